"""Update operands the optimizer has tested are not tested again by the engine, and only
those: other tensors, derived ones and tensors outside the block are still tested."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import UpdateParameters
from aihwkit.simulator.rpu_base.kernels import fused
from aihwkit.simulator.rpu_base.known_finite import KnownFinite, known_finite
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device

CPU = torch.device("cpu")


def _engine():
    engine = build_device(ConstantStepDevice(), 3, 4, device=CPU, dtype=torch.float32,
                          rng=TileRNG(CPU, seed=2))
    engine.set_weights(torch.zeros(3, 4))
    return engine


def test_the_block_names_exactly_its_tensors():
    x, d = torch.ones(2, 4), torch.ones(2, 3)
    assert not known_finite(x, d)
    with KnownFinite(x, d):
        assert known_finite(x, d)
        assert not known_finite(x.clone(), d)
        with KnownFinite(d, x):
            assert not known_finite(x, d)
        assert known_finite(x, d)
    assert not known_finite(x, d)


def test_non_finite_operands_raise_unless_the_caller_vouches_for_them():
    """Outside a block, or with other tensors in it, NaN raises before any change."""
    engine = _engine()
    x, d = torch.ones(2, 4), torch.ones(2, 3)
    x[0, 1] = float("nan")
    up = UpdateParameters()
    with pytest.raises((ArgumentError, TileError)):
        engine.update(x, d, 0.1, up)
    with KnownFinite(torch.ones(2, 4), d), pytest.raises((ArgumentError, TileError)):
        engine.update(x, d, 0.1, up)
    assert torch.equal(engine.get_weights(), torch.zeros(3, 4))


def test_optimizer_step_tests_each_trace_once(monkeypatch):
    """A training step tests the traces in the optimizer only (the compiled update skips
    its own test for them); a NaN batch still steps nothing."""
    if not fused.available():
        pytest.skip("numba is not installed")
    torch.manual_seed(0)
    layer = AnalogLinear(4, 3, bias=False, rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    seen = []
    original = fused.finite_on_cpu

    def counting(tensor):
        seen.append(tuple(tensor.shape))
        return original(tensor)
    monkeypatch.setattr(fused, "finite_on_cpu", counting)
    x = torch.rand(5, 4)
    opt.zero_grad()
    (layer(x) ** 2).sum().backward()
    seen.clear()
    opt.step()
    assert seen == []   # the compiled update did not test the traces again
    before = layer.get_weights()[0].clone()
    opt.zero_grad()
    (layer(x) * float("nan")).sum().backward()
    with pytest.raises(TileError):
        opt.step()
    assert torch.equal(layer.get_weights()[0], before)
