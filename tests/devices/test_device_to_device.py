"""Device-to-device draws at construction (spec 10 §3.2, §6.31)."""

import math

import pytest
import torch

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, LinearStepDevice, PowStepDevice, SoftBoundsReferenceDevice)

from tests.devices.helpers import make, mean_se, no_variation, std_se, within

N = 200  # 200 x 200 = 40000 crosspoints


def test_default_bounds_and_steps():
    engine = make(ConstantStepDevice(), N, N, dtype=torch.float32, weights=None)
    # b+ = 0.6 (1 + 0.3 xi) -> mean 0.6, std 0.18 (|.| of a ~3.3 sigma tail is negligible)
    mean, se = mean_se(engine.max_bound)
    assert within(mean, 0.6, se) and not within(mean, 0.66, se)
    std, se = std_se(engine.max_bound)
    assert within(std, 0.18, se) and not within(std, 0.198, se)
    mean, se = mean_se(engine.min_bound)
    assert within(mean, -0.6, se)
    # D = (gain + rho) dw_min: std 0.001 sqrt(0.3^2 + 0.01^2)
    std, se = std_se(engine.dwmin_up)
    assert within(std, 0.001 * math.hypot(0.3, 0.01), se)
    assert not within(std, 1.1 * 0.001 * math.hypot(0.3, 0.01), se)
    corr = torch.corrcoef(torch.stack([engine.dwmin_up.flatten(), engine.dwmin_down.flatten()]))
    assert corr[0, 1] > 0.99


def test_log_normal_gain():
    engine = make(ConstantStepDevice(dw_min_dtod_log_normal=True, up_down_dtod=0.0), N, N,
                  weights=None)
    gain = engine.dwmin_up / 0.001
    mean, se = mean_se(gain)
    assert within(mean, math.exp(0.045), se) and not within(mean, 1.0, se)
    std, se = std_se(gain.log())
    assert within(std, 0.3, se) and not within(std, 0.33, se)


@pytest.mark.parametrize("up_down, up, down", [(0.2, 0.001, 0.0008), (-0.2, 0.0008, 0.001)])
def test_up_down_asymmetry(up_down, up, down):
    engine = make(no_variation(ConstantStepDevice, up_down=up_down), 2, 2)
    assert torch.allclose(engine.dwmin_up, torch.full((2, 2), up, dtype=torch.float64))
    assert torch.allclose(engine.dwmin_down, torch.full((2, 2), down, dtype=torch.float64))


def test_perfect_bias_column():
    engine = make(ConstantStepDevice(perfect_bias=True), 5, 4, weights=None)
    assert torch.all(engine.max_bound[:, -1] == 60.0)
    assert torch.all(engine.min_bound[:, -1] == -60.0)
    assert torch.all(engine.dwmin_up[:, -1] == 0.001)
    assert not torch.any(engine.dwmin_up[:, :-1] == 0.001)


def test_corrupt_devices_are_stuck():
    engine = make(ConstantStepDevice(corrupt_devices_prob=0.3), N, N, weights=None)
    stuck = engine.max_bound == engine.min_bound
    # fraction of stuck crosspoints ~ 0.3, SE sqrt(0.21 / 40000) = 0.0023
    mean, se = mean_se(stuck.double())
    assert within(mean, 0.3, math.sqrt(0.21 / stuck.numel()))
    assert torch.all(engine.max_bound[stuck].abs() <= 0.1)
    assert torch.all(engine.dwmin_up[stuck] == 0) and torch.all(engine.dwmin_down[stuck] == 0)


def test_consistency_orders_the_bounds():
    engine = make(ConstantStepDevice(w_max_dtod=2.0, w_min_dtod=2.0, dw_min_dtod=2.0), 50, 50,
                  weights=None)
    assert torch.all(engine.max_bound >= 0) and torch.all(engine.min_bound <= 0)
    assert torch.all(engine.dwmin_up >= 0) and torch.all(engine.dwmin_down >= 0)
    loose = make(ConstantStepDevice(w_max_dtod=2.0, w_min_dtod=2.0, enforce_consistency=False),
                 50, 50, weights=None)
    assert torch.all(loose.max_bound >= loose.min_bound)


def test_decay_diffusion_and_reset_draws():
    engine = make(ConstantStepDevice(lifetime=10.0, lifetime_dtod=0.1, diffusion=0.01,
                                     diffusion_dtod=0.2, reset=0.2, reset_dtod=0.05),
                  N, N, weights=None)
    life = 1 / (1 - engine.decay_scales)
    mean, se = mean_se(life)
    assert within(mean, 10.0, se) and not within(mean, 11.0, se)
    mean, se = mean_se(engine.diffusion_rates)
    assert within(mean, 0.01, se)
    std, se = std_se(engine.reset_bias)
    assert within(std, 0.05, se) and not within(std, 0.055, se)


def test_no_decay_without_lifetime_and_full_decay_below_one():
    assert torch.all(make(ConstantStepDevice(), 2, 2).decay_scales == 1.0)
    assert torch.all(make(ConstantStepDevice(lifetime=0.5), 2, 2).decay_scales == 0.0)


def test_linear_step_slope_spread():
    # -a+ w_max / D+ = |gamma_up| with gamma ~ N(0, 0.05): mean 0.05 sqrt(2 / pi)
    engine = make(LinearStepDevice(), N, N, weights=None)
    ratio = -engine.slope_up * 0.6 / engine.dwmin_up
    mean, se = mean_se(ratio)
    assert within(mean, 0.05 * math.sqrt(2 / math.pi), se)


def test_reference_draws():
    engine = make(no_variation(SoftBoundsReferenceDevice, reference_mean=0.1, reference_std=0.2),
                  N, N, weights=None)
    mean, se = mean_se(engine.reference)
    assert within(mean, 0.1, se)
    std, se = std_se(engine.reference)
    assert within(std, 0.2, se) and not within(std, 0.22, se)


def test_construction_seed_makes_draws_reproducible():
    config = PowStepDevice(construction_seed=42)
    first = make(config, 6, 7, seed=1, weights=None)
    second = make(config, 6, 7, seed=2, weights=None)
    for name in first.hidden_parameter_names():
        assert torch.equal(getattr(first, name), getattr(second, name)), name
    other = make(PowStepDevice(), 6, 7, seed=1, weights=None)
    assert not torch.equal(first.max_bound, other.max_bound)
