"""Host synchronisations per engine call, counted with the torch profiler.

A host read of a tensor value (``.item()``, ``bool(t)``, ``int(t)``, ``float(t)``)
appears as ``aten::_local_scalar_dense`` in the profiler; ``.tolist()`` does not, so it
is counted by wrapping it. Forward and backward products must need none; an update call
at most one (the train lengths of the batch together with the finiteness check of its
inputs), plus one per transfer event of a transfer compound (the train length of the
transfer writes). Reads of data-dependent sizes (``nonzero``: the crosspoints near a
bound, recomputed with checks, and among them those that always pulse one at a time)
are counted separately: at most two per update call.
"""

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from aihwkit.simulator.configs import (
    InferenceRPUConfig, SingleRPUConfig, UnitCellRPUConfig)
from aihwkit.simulator.configs.compounds import TransferCompound
from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, SoftBoundsDevice)
from aihwkit.simulator.rpu_base import build_tile_engine
from aihwkit.simulator.rpu_base.rng import TileRNG

CPU = torch.device("cpu")


def count_reads(fn, op="aten::_local_scalar_dense") -> int:
    """Host reads of values (``op`` default) or of sizes (``aten::nonzero``) in ``fn()``."""
    lists = []
    original = torch.Tensor.tolist

    def counted(self):
        lists.append(1)
        return original(self)

    torch.Tensor.tolist = counted
    try:
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            fn()
    finally:
        torch.Tensor.tolist = original
    found = sum(1 for event in prof.events() if event.name == op)
    return found + (len(lists) if op == "aten::_local_scalar_dense" else 0)


def count_syncs(fn) -> int:
    return count_reads(fn)


def tile(rpu_config, rows=64, cols=64):
    engine = build_tile_engine(rpu_config, rows, cols, device=CPU, dtype=torch.float32,
                               rng=TileRNG(CPU, seed=1))
    engine.learning_rate = 0.1
    engine.set_weights(torch.rand(rows, cols) * 0.2 - 0.1)
    return engine


def tiki_taka():
    return UnitCellRPUConfig(device=TransferCompound(
        unit_cell_devices=[SoftBoundsDevice(w_min=-0.3, w_max=0.3),
                           SoftBoundsDevice(w_min=-0.6, w_max=0.6)],
        transfer_every=1, units_in_mbatch=True))


CONFIGS = {
    "constant_step": lambda: SingleRPUConfig(device=ConstantStepDevice()),
    "soft_bounds": lambda: SingleRPUConfig(device=SoftBoundsDevice()),
    "exp_step": lambda: SingleRPUConfig(device=ExpStepDevice()),
    "inference": InferenceRPUConfig,
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("batch", [1, 16])
def test_products_and_update_syncs(name, batch):
    engine = tile(CONFIGS[name]())
    x = torch.rand(batch, 64) * 2 - 1
    d = torch.rand(batch, 64) * 2 - 1
    for _ in range(2):          # warm caches first
        engine.forward(x)
        engine.backward(d)
        engine.update(x, d)
    # bound management may retry saturated rows: inputs well inside the bounds here
    assert count_syncs(lambda: engine.forward(x * 0.1)) == 0
    assert count_syncs(lambda: engine.backward(d)) == 0
    assert count_syncs(lambda: engine.update(x, d)) <= 1
    assert count_reads(lambda: engine.update(x, d), "aten::nonzero") <= 2


def test_transfer_compound_syncs():
    engine = tile(tiki_taka())
    x = torch.rand(16, 64) * 2 - 1
    d = torch.rand(16, 64) * 2 - 1
    engine.update(x, d)
    # one run of 16 cycles and one transfer event: the update's read and the write's
    assert count_syncs(lambda: engine.update(x, d)) <= 2
    assert count_syncs(lambda: engine.forward(x * 0.1)) == 0


def test_counter_sees_syncs():
    """The profiler count is not trivially zero."""
    values = torch.rand(4)
    assert count_syncs(lambda: bool(values.sum() > 0) and values.max().item()) == 2
    assert count_syncs(lambda: values.tolist()) == 1
    assert count_reads(lambda: values.nonzero(), "aten::nonzero") == 1
