"""Shared pulse trains (one set for several children) and single-line writes."""

import pytest
import torch

from aihwkit.simulator.configs import UpdateParameters
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base.kernels import line_counts
from aihwkit.simulator.rpu_base.compounds._shared import (
    DOWN_AS_UP, SAME, UP_ONLY, line_update, map_counts, mapped_pulse_counts)
from aihwkit.simulator.rpu_base.pulses import pulse_counts
from aihwkit.simulator.rpu_base.rng import TileRNG

from compound_helpers import CPU, engine, mean_count, quiet


@pytest.mark.parametrize("pulse_type", [PulseType.STOCHASTIC_COMPRESSED, PulseType.MEAN_COUNT])
@pytest.mark.parametrize("mode", [SAME, UP_ONLY, DOWN_AS_UP])
def test_mapped_counts_are_the_mapped_coincidences(pulse_type, mode):
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(5, 6, generator=gen, dtype=torch.float64) - 0.5
    d = torch.rand(5, 4, generator=gen, dtype=torch.float64) - 0.5
    counts = pulse_counts(x, d, 0.3, 0.001, UpdateParameters(pulse_type=pulse_type),
                          TileRNG(CPU, seed=1))
    mapped = mapped_pulse_counts(counts, mode)
    source = counts.chunk(0, counts.batch)
    got = mapped.chunk(0, mapped.batch)
    if mapped.batch != counts.batch:  # deterministic: two samples per source sample
        got = got.reshape(counts.batch, 2, 4, 6).sum(1)
    assert torch.equal(got, map_counts(source, mode))
    ups, downs = mapped.totals()
    assert torch.equal(ups - downs, map_counts(source, mode).sum(0))


def test_line_update_equals_one_hot_updates():
    """Deterministic pulses: the count-matrix path equals one update cycle per line."""
    values = torch.tensor([[0.01, -0.02, 0.03], [0.004, 0.0, -0.05]], dtype=torch.float64)
    lines = torch.tensor([3, 1])
    for columns in (True, False):
        shape = (3, 5) if columns else (5, 3)
        fast, slow = engine(quiet(), *shape), engine(quiet(), *shape)
        start = torch.rand(*shape, dtype=torch.float64) * 0.1
        fast.set_weights(start)
        slow.set_weights(start)
        line_update(fast, lines, values, 1.0, mean_count(), 0.001, columns)
        one_hot = torch.zeros(2, 5, dtype=torch.float64)
        one_hot[[0, 1], lines] = 1.0
        if columns:
            slow.update(one_hot, values, 1.0, mean_count())
        else:
            slow.update(values, one_hot, 1.0, mean_count())
        # the two go through different kernels (pulse by pulse, one step per sample):
        # equal up to the rounding of the additions
        assert torch.allclose(fast.get_weights(), slow.get_weights(), rtol=0, atol=1e-12)
        assert not torch.equal(fast.get_weights(), start)


def test_line_counts_statistics():
    """Column writes without update management: BL = 31, A = B = 0.5 (lr / (g BL) = 1/4).

    Each count is Binomial(31, p_hot p_line) = Binomial(31, 0.25): mean 7.75, variance
    5.81; two crosspoints of one line share the input train: covariance
    31 p_hot (1 - p_hot) p_line^2 = 1.94. With n = 4000 lines: SE(mean) = 0.038, SE(cov)
    ~ sqrt((5.81^2 + 1.94^2) / n) = 0.097; tolerance 4 SE.
    """
    up = UpdateParameters(desired_bl=31, update_bl_management=False, update_management=False)
    n = 4000
    counts = line_counts(torch.ones(n, 2, dtype=torch.float64), 0.25 * 31 * 0.001, up, 0.001,
                         TileRNG(CPU, seed=3), columns=True)
    assert torch.all(counts <= 0)  # positive lr * x * d: down pulses
    counts = -counts
    mean = counts[:, 0].mean().item()
    cov = torch.cov(counts.t())[0, 1].item()
    tol_mean, tol_cov = 4 * 0.038, 4 * 0.097
    assert abs(mean - 7.75) < tol_mean
    assert abs(cov - 1.94) < tol_cov
    # power: a 10 % larger probability (mean 8.5) or independent trains (cov 0) would fail
    assert abs(mean - 7.75 * 1.1) > tol_mean
    assert abs(cov - 0.0) > tol_cov
