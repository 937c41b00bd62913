"""The tiles of one tile-array input split prepare their shared input once (noise
management and DAC), with exactly the values each tile computes on its own; inputs
changed in place, other settings and random DACs are prepared again."""

import contextlib
import copy

import pytest
import torch

from aihwkit.nn import AnalogLinear
from aihwkit.simulator.configs import InferenceRPUConfig
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.rpu_base import periphery as torch_periphery
from aihwkit.simulator.rpu_base.kernels import fused, periphery
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base import shared_inputs
from aihwkit.simulator.rpu_base.shared_inputs import (
    SharedInputStages, keep_stage, shared_stage)
from aihwkit.simulator.tiles import array as array_module

CPU = torch.device("cpu")
needs_numba = pytest.mark.skipif(not fused.available(), reason="numba is not installed")


def test_a_block_keeps_stages_for_the_very_tensor_until_it_ends():
    x = torch.ones(2, 3)
    keep_stage(x, "key", "outside")           # no block: nothing kept
    assert shared_stage(x, "key") is None
    with SharedInputStages():
        keep_stage(x, "key", "stage")
        assert shared_stage(x, "key") == "stage"
        assert shared_stage(x, "other key") is None
        assert shared_stage(x.clone(), "key") is None
        with SharedInputStages():             # an inner block starts empty
            assert shared_stage(x, "key") is None
        assert shared_stage(x, "key") == "stage"
        x.add_(1.0)                           # changed in place: not the kept input
        assert shared_stage(x, "key") is None
    assert shared_stage(x, "key") is None


def _counting(monkeypatch, compiled=True):
    """Records the input stages computed: ``(rows, reduction)`` of each compiled stage;
    for the torch periphery ``(rows, 1.0)`` for each first pass's noise management and
    ``(rows, r)`` for each retry with reduction ``r > 1``."""
    calls = []
    if compiled:
        original = periphery._input_stage

        def counted(manager, x, reduction):
            calls.append((x.shape[0], reduction))
            return original(manager, x, reduction)

        monkeypatch.setattr(periphery, "_input_stage", counted)
    else:
        original_scale = torch_periphery.noise_management_scale

        def counted_scale(cfg, x, state):
            calls.append((x.shape[0], 1.0))
            return original_scale(cfg, x, state)

        original_pass = torch_periphery.IOManager._one_pass

        def counted_pass(manager, view, x, scale, reduction, u=None):
            if reduction > 1.0:
                calls.append((x.shape[0], reduction))
            return original_pass(manager, view, x, scale, reduction, u)

        monkeypatch.setattr(torch_periphery, "noise_management_scale", counted_scale)
        monkeypatch.setattr(torch_periphery.IOManager, "_one_pass", counted_pass)
    return calls


def _layer(seed=0):
    torch.manual_seed(seed)
    config = InferenceRPUConfig()
    config.mapping.max_input_size = 40
    config.mapping.max_output_size = 30
    config.forward.out_bound = 0.2            # some rows saturate: bound management runs
    return AnalogLinear(100, 70, bias=True, rpu_config=config)


@pytest.mark.parametrize("compiled", [pytest.param(True, marks=needs_numba), False])
@pytest.mark.parametrize("grad", [False, True])
def test_tile_array_prepares_each_input_split_once(grad, compiled, monkeypatch):
    """A 3 x 3 grid: 3 first-pass input stages instead of 9, and bit for bit the outputs
    of the tiles preparing their inputs themselves (same noise draws); the compiled
    periphery (its staged pass of larger products forced for these small tiles) and the
    torch periphery."""
    if compiled:
        monkeypatch.setattr(periphery, "SMALL_PRODUCT", 0)
    else:
        monkeypatch.setattr(fused, "available", lambda: False)
    layer = _layer()
    layer.eval()
    twin = copy.deepcopy(layer)
    x = torch.randn(16, 100) * 2
    calls = _counting(monkeypatch, compiled)
    kept = []
    original_keep = shared_inputs.keep_stage

    def counted_keep(tensor, key, stage):
        entries = shared_inputs._KEPT.entries          # those before this one
        kept.append(None if entries is None else len(entries))
        original_keep(tensor, key, stage)

    monkeypatch.setattr(periphery if compiled else torch_periphery, "keep_stage",
                        counted_keep)
    with torch.set_grad_enabled(grad):
        shared = layer(x)
    assert kept == [0, 0, 0]                  # one block per split: the last one dropped
    assert shared_inputs._KEPT.entries is None
    first = [call for call in calls if call[1] == 1.0]
    assert len(first) == 3
    assert len(calls) > 3                     # rows saturated: bound management retried
    calls.clear()
    monkeypatch.setattr(array_module, "SharedInputStages", contextlib.nullcontext)
    with torch.set_grad_enabled(grad):
        alone = twin(x)
    assert len([call for call in calls if call[1] == 1.0]) == 9
    assert torch.equal(shared, alone)


def _manager(io, seed):
    return IOManager(io, 6, 10, is_backward=False, device=CPU, dtype=torch.float32,
                     rng=TileRNG(CPU, seed))


@pytest.mark.parametrize("compiled", [pytest.param(True, marks=needs_numba), False])
def test_other_settings_changed_inputs_and_random_dacs_prepare_again(compiled, monkeypatch):
    if compiled:
        monkeypatch.setattr(periphery, "SMALL_PRODUCT", 0)   # the staged pass at this size
    else:
        monkeypatch.setattr(fused, "available", lambda: False)
    gen = torch.Generator().manual_seed(3)
    weights = torch.rand(6, 10, generator=gen) - 0.5
    x = torch.rand(5, 10, generator=gen) - 0.5
    coarse = IOParameters(inp_res=1 / 30, out_noise=0.0)
    fine = IOParameters(inp_res=1 / 254, out_noise=0.0)
    expected_fine = _manager(fine, 1).mvm(weights, x)
    doubled = x * 2
    expected_doubled = _manager(coarse, 1).mvm(weights, doubled)
    calls = _counting(monkeypatch, compiled)
    with SharedInputStages():
        _manager(coarse, 1).mvm(weights, x)
        assert torch.equal(_manager(fine, 1).mvm(weights, x), expected_fine)
        assert len(calls) == 2
        x.mul_(2.0)
        assert torch.equal(_manager(coarse, 1).mvm(weights, x), expected_doubled)
        assert len(calls) == 3
        noisy = IOParameters(inp_noise=0.1, out_noise=0.0)
        _manager(noisy, 1).mvm(weights, x)
        _manager(noisy, 2).mvm(weights, x)
        assert len(calls) == 5
