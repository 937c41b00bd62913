"""Pulse-train lengths, probabilities and coincidence counts (spec 10 §2.3-§2.7)."""

import math

import pytest
import torch

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.parameters import PulseType, UpdateParameters
from aihwkit.simulator.rpu_base.pulses import pulse_counts, train_scales
from aihwkit.simulator.rpu_base.rng import TileRNG

from tests.devices.helpers import Z, mean_se, within


def counts_of(x, d, lr, g, up, seed=0):
    """Per-sample signed counts ``[B, d, x]`` (positive: up)."""
    counts = pulse_counts(x, d, lr, g, up, TileRNG(torch.device("cpu"), seed=seed))
    return torch.cat([chunk.reshape(-1, d.shape[1], x.shape[1]) for _, chunk in counts.chunks()])


def single_crosspoint(up, lr=0.01, x=0.3, d=0.2, n=20000, g=0.001):
    return counts_of(torch.full((n, 1), x), torch.full((n, 1), d), lr, g, up).flatten()


def test_deterministic_types_match_the_verified_matrices():
    x = torch.tensor([[1.0, 0.5, 0.2]])
    d = torch.tensor([[-1.0, 0.3, 0.05]])
    mean_count = counts_of(x, d, 0.01, 0.001, UpdateParameters(pulse_type=PulseType.MEAN_COUNT))
    assert mean_count[0].tolist() == [[10, 5, 2], [-3, -2, -1], [0, 0, 0]]
    implicit = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT)
    assert counts_of(x, d, 0.01, 0.001, implicit)[0].tolist() == \
        [[10, 5, 2], [-3, -1, -1], [0, 0, 0]]
    fixed = UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT, fixed_bl=True,
                             update_management=False, update_bl_management=False)
    assert counts_of(x, d, 0.01, 0.001, fixed)[0].tolist() == \
        [[10, 5, 2], [-3, -1, -1], [0, 0, 0]]


def test_deterministic_types_ignore_the_sign_of_lr():
    x = torch.tensor([[1.0, 0.5]])
    d = torch.tensor([[-1.0]])
    up = UpdateParameters(pulse_type=PulseType.MEAN_COUNT)
    assert torch.equal(counts_of(x, d, 0.01, 0.001, up), counts_of(x, d, -0.01, 0.001, up))


def test_scales_with_update_bl_management():
    # k = lr x_m d_m / g = 0.6 -> BL = 1, A = B = sqrt(10), rescaled by sqrt(x_m / d_m)
    scales = train_scales(torch.tensor([[0.3]]), torch.tensor([[0.2]]), 0.01, 0.001,
                          UpdateParameters())
    assert scales.bl.tolist() == [1]
    assert 0.3 * scales.b.item() == pytest.approx(0.7746, abs=1e-4)
    assert 0.2 * scales.a.item() == pytest.approx(0.7746, abs=1e-4)


def test_scales_without_management_and_long_trains():
    # g * desired_bl < lr: A = B = 1 and BL = ceil(lr / g)
    up = UpdateParameters(fixed_bl=False, update_management=False, update_bl_management=False)
    scales = train_scales(torch.ones(1, 1), torch.ones(1, 1), 0.1, 0.001, up)
    assert scales.bl.tolist() == [100]
    assert scales.a.item() == 1.0 and scales.b.item() == 1.0


@pytest.mark.parametrize("pulse_type", [PulseType.STOCHASTIC_COMPRESSED, PulseType.STOCHASTIC])
def test_mean_and_variance_of_pulses_per_sample(pulse_type):
    # spec 10 §6.22: BL = 1, n ~ Bernoulli(0.6); mean SE = sqrt(0.24 / 20000) = 0.0035
    n = -single_crosspoint(UpdateParameters(pulse_type=pulse_type))   # positive x d: down
    assert set(n.unique().tolist()) <= {0.0, 1.0}
    mean, se = mean_se(n)
    assert within(mean, 0.6, se)
    assert not within(mean, 0.66, se)           # power: lr mis-set by 10%
    # variance of a Bernoulli mean: SE of p(1-p) ~ sqrt(p(1-p)(1-2p)^2 / n) + ... < 0.002
    assert n.var().item() == pytest.approx(0.24, abs=Z * 0.0025)


def test_um_grad_scale_biases_the_count():
    # spec 10 §6.23: k = 0.3, P^x = 0.5477, P^d capped at 1 -> mean 0.5477
    n = -single_crosspoint(UpdateParameters(um_grad_scale=0.5))
    mean, se = mean_se(n)
    assert within(mean, math.sqrt(0.3), se)
    assert not within(mean, 0.6, se)


def test_fixed_length_trains_without_bl_management():
    # spec 10 §6.24: BL = 31, n ~ Binomial(31, p), p = 0.6 / 31
    n = -single_crosspoint(UpdateParameters(update_bl_management=False))
    p = 0.6 / 31
    mean, se = mean_se(n)
    assert within(mean, 0.6, se) and not within(mean, 0.66, se)
    var_se = math.sqrt(2.0 / n.numel()) * 31 * p * (1 - p) * 1.2   # ~ sigma^2 sqrt(2/n)
    assert n.var().item() == pytest.approx(31 * p * (1 - p), abs=Z * var_se)


def test_saturated_update_clips_the_largest_crosspoint():
    # spec 10 §6.25: column 0 gets exactly 31, column 1 Binomial(31, 1/2)
    batch = 2000
    x = torch.tensor([[1.0, 0.5]]).repeat(batch, 1)
    n = -counts_of(x, torch.ones(batch, 1), 0.1, 0.001, UpdateParameters())[:, 0, :]
    assert torch.all(n[:, 0] == 31)
    mean, se = mean_se(n[:, 1])
    assert within(mean, 15.5, se) and not within(mean, 17.05, se)


def test_probability_resolution():
    # spec 10 §6.26: res = 0.25 rounds 0.7746 to 0.75 -> mean 0.5625; res = 4 -> nothing
    n = -single_crosspoint(UpdateParameters(res=0.25))
    mean, se = mean_se(n)
    assert within(mean, 0.5625, se) and not within(mean, 0.6, se)
    assert not single_crosspoint(UpdateParameters(res=4.0)).any()


def test_stochastic_rounding_of_probabilities_is_unbiased():
    # sto_round: E[QuantP(p)] = p, independent for x and d -> mean 0.6 again
    n = -single_crosspoint(UpdateParameters(res=0.25, sto_round=True))
    mean, se = mean_se(n)
    assert within(mean, 0.6, se) and not within(mean, 0.5625, se)


@pytest.mark.parametrize("pulse_type", [PulseType.STOCHASTIC_COMPRESSED, PulseType.STOCHASTIC,
                                        PulseType.MEAN_COUNT, PulseType.DETERMINISTIC_IMPLICIT])
def test_mean_count_per_crosspoint_for_every_pulse_type(pulse_type):
    """E[n_ij] = lr |x_j d_i| / g (unsaturated); the NONE types are exact updates
    (test_update_dispatch.py)."""
    x = torch.tensor([[0.9, -0.4, 0.2]])
    d = torch.tensor([[0.5, -0.8]])
    batch = 4000 if pulse_type in (PulseType.STOCHASTIC, PulseType.STOCHASTIC_COMPRESSED) else 1
    up = UpdateParameters(pulse_type=pulse_type)
    n = counts_of(x.repeat(batch, 1), d.repeat(batch, 1), 0.01, 0.001, up)
    expected = -0.01 * d.t() * x / 0.001            # positive x d: down pulses
    if batch == 1:
        assert torch.allclose(n[0], expected.round(), atol=1.0)
        return
    mean = n.double().mean(0)
    se = n.double().std(0) / math.sqrt(batch)
    assert torch.all((mean - expected.double()).abs() <= Z * se + 1e-9)
    assert not torch.all((mean - 1.1 * expected.double()).abs() <= Z * se + 1e-9)


def test_invalid_update_parameters_raise_config_error():
    from aihwkit.simulator.rpu_base.pulses import validate_update_parameters
    with pytest.raises(ConfigError, match="desired_bl"):
        validate_update_parameters(UpdateParameters(desired_bl=0))
    with pytest.raises(ConfigError, match="um_grad_scale"):
        validate_update_parameters(UpdateParameters(um_grad_scale=0.0))
    with pytest.raises(ConfigError, match="pulse_type"):
        validate_update_parameters(UpdateParameters(pulse_type="Stochastic"))
