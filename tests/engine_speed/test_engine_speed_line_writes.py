"""Forcing the reference reaches single-line writes (transfers, refresh, mixed precision)."""

import torch

from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import UpdateParameters
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.compounds._shared import (
    apply_count_matrix, line_update, scatter_lines)
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device

CPU = torch.device("cpu")


def engine(seed=5):
    device = build_device(ConstantStepDevice(dw_min_std=0.0), 6, 4, device=CPU,
                          dtype=torch.float64, rng=TileRNG(CPU, seed=seed))
    device.set_weights(torch.zeros(6, 4, dtype=torch.float64))
    return device


def test_choice_of_line_counts():
    stochastic = UpdateParameters()
    with kernels.reference_update(False):
        assert kernels.choose_line_counts(stochastic) is kernels.binomial_line_counts
        assert kernels.choose_line_counts(UpdateParameters(pulse_type=PulseType.MEAN_COUNT)) \
            is kernels.reference_line_counts
        with kernels.reference_update():
            assert kernels.choose_line_counts(stochastic) is kernels.reference_line_counts


def test_forced_line_writes_draw_the_full_trains():
    up = UpdateParameters(desired_bl=31)
    lines = torch.tensor([0, 2])
    values = torch.linspace(-0.02, 0.03, 12, dtype=torch.float64).reshape(2, 6)
    lr = 0.5
    forced = engine()
    with kernels.reference_update():
        line_update(forced, lines, values, lr, up, forced.granularity(), True)
    # the same call spelled out with the full-train reference counts and generator state
    manual = engine()
    with kernels.reference_update():
        counts = kernels.reference_line_counts(values, lr, up, manual.granularity(),
                                               manual.rng, True)
        apply_count_matrix(manual, scatter_lines(counts, lines, 6, 4, True))
    assert torch.equal(forced.get_weights(), manual.get_weights())
    assert forced.get_weights().abs().sum() > 0
    fast = engine()
    with kernels.reference_update(False):
        line_update(fast, lines, values, lr, up, fast.granularity(), True)
    assert not torch.equal(fast.get_weights(), forced.get_weights())   # other draws
