"""Torch calls and host reads per layer call of small networks, counted with the profiler.

The counts depend only on the code path, not on machine load, so they pin the per-call
cost of the layer, tile and optimizer glue: a forward under ``torch.no_grad`` needs the
finiteness check of its input as its only host read; an optimizer step tests all its
stored traces and digital gradients with one read; forward and backward run on one
intra-op thread for small products. The op limits leave a few ops of headroom over the
present counts (stated next to each limit).

The torch paths are counted with the compiled kernels switched off (they are the paths of
GPUs, large tiles and installations without numba); the compiled paths of small CPU
layers are counted at the end.
"""

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, SingleRPUConfig)
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import IOParameters
from aihwkit.simulator.rpu_base.kernels import fused
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _torch_paths(request, monkeypatch):
    if "compiled" not in request.node.name:
        monkeypatch.setattr(fused, "available", lambda: False)


def counts(fn, skip=()):
    """``(top-level aten ops, host value reads, nonzero calls)`` of ``fn()``; ops named in
    ``skip`` are not counted."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    events = prof.events()
    top = [event.name for event in events if event.name.startswith("aten::") and (
        event.cpu_parent is None or not event.cpu_parent.name.startswith("aten::"))]
    reads = sum(1 for event in events if event.name == "aten::_local_scalar_dense")
    nonzero = sum(1 for event in events if event.name == "aten::nonzero")
    return sum(1 for name in top if name not in skip), reads, nonzero


def eval_layer(rpu_config, size=64):
    torch.manual_seed(0)
    layer = AnalogLinear(size, size, bias=False, rpu_config=rpu_config)
    layer.eval()
    return layer


def test_default_forward_of_the_engine_needs_no_read():
    """ABS_MAX noise management, iterative bound management, DAC/ADC and output noise:
    21 ops and the one size read of bound management (whether a row saturated)."""
    manager = IOManager(IOParameters(), 64, 64, is_backward=False, device=CPU,
                        dtype=torch.float32, rng=TileRNG(CPU, seed=0))
    weights = torch.rand(64, 64) * 0.2 - 0.1
    x = torch.rand(1, 64) - 0.5
    manager.mvm(weights, x)
    ops, reads, nonzero = counts(lambda: manager.mvm(weights, x))
    assert reads == 0
    assert nonzero == 1
    assert ops <= 22


@pytest.mark.parametrize("name, config, limit", [
    ("single_rpu", lambda: SingleRPUConfig(device=ConstantStepDevice()), 26),   # now 24
    ("perfect", lambda: SingleRPUConfig(forward=IOParameters(is_perfect=True)), 8),  # now 5
    ("floating_point", FloatingPointRPUConfig, 8),                              # now 5
])
def test_eval_forward_without_grad(name, config, limit):
    layer = eval_layer(config())
    x = torch.rand(1, 64) - 0.5
    with torch.no_grad():
        layer(x)
        ops, reads, _ = counts(lambda: layer(x))
    assert reads == 1, name  # the finiteness check of the input
    assert ops <= limit, (name, ops)


def test_no_grad_forward_equals_the_autograd_forward():
    """The forward without the autograd function gives the same values."""
    for config in (SingleRPUConfig(device=ConstantStepDevice()), InferenceRPUConfig()):
        layer = eval_layer(config, size=16)
        x = torch.rand(5, 16) - 0.5
        state = layer.analog_module.tile.rng.generator.get_state()
        with torch.no_grad():
            plain = layer(x)
        layer.analog_module.tile.rng.generator.set_state(state)
        graph = layer(x.requires_grad_())
        assert torch.equal(plain, graph.detach())


def mlp_step(rpu_config):
    torch.manual_seed(0)
    model = AnalogSequential(AnalogLinear(64, 64, bias=True, rpu_config=rpu_config),
                             torch.nn.Sigmoid(),
                             AnalogLinear(64, 10, bias=True, rpu_config=rpu_config))
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    x = torch.rand(16, 64)
    y = torch.randint(0, 10, (16,))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    step.model = model
    return step


def test_optimizer_step_checks_all_traces_with_one_read():
    """Floating point tiles: the two forwards' finiteness checks and one read for the
    traces and digital gradients of the step (was one per tensor and per update)."""
    ops, reads, _ = counts(mlp_step(FloatingPointRPUConfig()))
    assert reads == 3
    assert ops <= 52  # now 47


def test_pulsed_mlp_step_reads():
    """Constant step tiles: no read beyond those of the floating point step (the
    update's train lengths travel with ``tolist``, not counted here)."""
    ops, reads, _ = counts(mlp_step(SingleRPUConfig(device=ConstantStepDevice())))
    assert reads == 3
    assert ops <= 480  # now 456


def test_step_runs_small_work_on_one_thread(monkeypatch):
    """Forward, backward and the optimizer's tile updates of a small network run with
    one intra-op thread and restore the count afterwards."""
    step = mlp_step(SingleRPUConfig(device=ConstantStepDevice()))
    tiles = list(step.model.analog_tiles())
    seen = {}
    for index, tile in enumerate(tiles):
        for name in ("joint_forward", "backward", "update_finite"):
            original = getattr(tile, name)

            def recording(*args, _original=original, _key=(index, name)):
                seen.setdefault(_key, set()).add(torch.get_num_threads())
                return _original(*args)
            monkeypatch.setattr(tile, name, recording)
    torch.set_num_threads(2)
    step()
    # the first layer's input needs no gradient: no backward product there
    assert sorted(seen) == [(0, "joint_forward"), (0, "update_finite"), (1, "backward"),
                            (1, "joint_forward"), (1, "update_finite")]
    assert all(threads == {1} for threads in seen.values()), seen
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("management", ["ITERATIVE", "ITERATIVE_WORST_CASE"])
@pytest.mark.parametrize("noise", ["ABS_MAX", "MAX", "ABS_MAX_NP_SUM"])
def test_zero_rows_are_exact_zeros_through_bound_management(management, noise):
    """All-zero inputs give exact zero outputs despite output noise (they are scaled
    back by 0, without a mask), also when other rows of the batch saturate and are
    recomputed; without noise every other row equals its own single-row product."""
    from aihwkit.simulator.parameters.enums import BoundManagementType, NoiseManagementType

    def run(out_noise, x):
        io = IOParameters(out_noise=out_noise, out_bound=1.0,
                          bound_management=getattr(BoundManagementType, management),
                          noise_management=getattr(NoiseManagementType, noise))
        manager = IOManager(io, 4, 8, is_backward=False, device=CPU, dtype=torch.float64,
                            rng=TileRNG(CPU, seed=0))
        return manager.mvm(torch.full((4, 8), 0.5, dtype=torch.float64), x)

    x = torch.zeros(5, 8, dtype=torch.float64)
    x[1] = 1.0                      # saturates: recomputed with halved inputs
    x[3, 0] = 0.25
    noisy = run(0.1, x)
    for row in (0, 2, 4):
        assert torch.equal(noisy[row], torch.zeros(4, dtype=torch.float64))
    assert (noisy[1] != 0).all() and (noisy[3] != 0).all()
    exact = run(0.0, x)
    for row in (1, 3):
        assert torch.equal(exact[row], run(0.0, x[row:row + 1])[0])


compiled_only = pytest.mark.skipif(not fused.available(), reason="numba is not installed")
# the bookkeeping ops of Tensor.numpy() / torch.from_numpy() (about 1 us per conversion)
NUMPY_VIEW_OPS = ("aten::detach", "aten::to", "aten::resolve_conj", "aten::resolve_neg",
                  "aten::lift_fresh")


def compute_ops(fn):
    """:func:`counts` without the numpy view bookkeeping."""
    return counts(fn, NUMPY_VIEW_OPS)


@compiled_only
def test_compiled_eval_forward_reads_nothing():
    """The compiled periphery and finiteness check: no host read, the product and the
    seed draw of the output noise (was 24 ops)."""
    layer = eval_layer(SingleRPUConfig(device=ConstantStepDevice()))
    x = torch.rand(1, 64) - 0.5
    with torch.no_grad():
        layer(x)
        ops, reads, nonzero = compute_ops(lambda: layer(x))
    assert (reads, nonzero) == (0, 0)
    assert ops <= 4, ops  # now 2


@compiled_only
def test_compiled_pulsed_mlp_step():
    """A constant step MLP step on the compiled kernels: no host read, no nonzero, and a
    fraction of the torch path's calls (456)."""
    ops, reads, nonzero = compute_ops(mlp_step(SingleRPUConfig(device=ConstantStepDevice())))
    assert (reads, nonzero) == (0, 0)
    assert ops <= 40, ops  # now 33
