"""Noise-free pulse rules of every device model (spec 10 §4, verified numbers of §6)."""

import math

import pytest
import torch

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, LinearStepDevice, PiecewiseStepDevice, PowStepDevice,
    PowStepReferenceDevice, SoftBoundsDevice, SoftBoundsPmaxDevice, SoftBoundsReferenceDevice)
from aihwkit.simulator.parameters import UpdateParameters
from aihwkit.simulator.rpu_base.kernels import reference_update

from tests.devices.helpers import make, mean_se, no_variation, pulse, std_se, within

KERNELS = pytest.mark.parametrize("reference", [True, False], ids=["reference", "fast"])


def weight(engine) -> float:
    return engine.get_weights().item()


@KERNELS
def test_constant_step_moves_three_steps_per_update_until_the_bound(reference):
    # spec 10 §6.21: dw_min = 0.01, bounds +-0.5, lr = 0.03, x = 1, d = -1 (default update)
    engine = make(no_variation(ConstantStepDevice, dw_min=0.01, w_max=0.5, w_min=-0.5))
    seen = []
    with reference_update(reference):
        for _ in range(20):
            engine.update(torch.ones(1, 1, dtype=torch.float64),
                          -torch.ones(1, 1, dtype=torch.float64), 0.03, UpdateParameters())
            seen.append(weight(engine))
    expected = [min(0.03 * (i + 1), 0.5) for i in range(20)]
    assert seen == pytest.approx(expected, abs=1e-12)


@KERNELS
def test_soft_bounds_geometric_approach(reference):
    # spec 10 §4.5: dw_min = 0.1, bounds +-1: w_n = 1 - 0.9^n up, -(1 - 0.9^n) down
    engine = make(no_variation(SoftBoundsDevice, dw_min=0.1, w_max=1.0, w_min=-1.0))
    with reference_update(reference):
        pulse(engine, 7)
        assert weight(engine) == pytest.approx(1 - 0.9 ** 7, abs=1e-12)
        engine.set_weights(torch.zeros(1, 1))
        pulse(engine, -5)
        assert weight(engine) == pytest.approx(-(1 - 0.9 ** 5), abs=1e-12)


@KERNELS
@pytest.mark.parametrize("cls, fields, start, up, down", [
    (LinearStepDevice, dict(gamma_up=0.5, gamma_down=0.5), 0.4, 0.08, -0.12),
    (ExpStepDevice, {}, 0.2, 0.0969587, -0.0991119),
    (PowStepDevice, dict(pow_gamma=2.0), 0.2, 0.016, None),
    (PiecewiseStepDevice, dict(piecewise_up=[2, 1, 0.5], piecewise_down=[0.5, 1, 2]), 0.5,
     0.075, -0.15),
    (SoftBoundsReferenceDevice, dict(reference_mean=0.3), 0.0, 0.07, None),
    (PowStepReferenceDevice, dict(pow_gamma=2.0), 0.2, 0.016, None),
])
def test_single_pulse_values(reference, cls, fields, start, up, down):
    config = no_variation(cls, dw_min=0.1, w_max=1.0, w_min=-1.0, **fields)
    for n, change in ((1, up), (-1, down)):
        if change is None:
            continue
        engine = make(config, weights=start)
        with reference_update(reference):
            pulse(engine, n)
        assert weight(engine) - start == pytest.approx(change, abs=2e-7)


@KERNELS
@pytest.mark.parametrize("cls, fields", [
    (LinearStepDevice, dict(gamma_up=0.5, gamma_down=0.3)),
    (SoftBoundsDevice, dict(up_down=0.1)),
    (SoftBoundsDevice, dict(mult_noise=False, reverse_up=False)),
    (SoftBoundsReferenceDevice, dict(reference_mean=0.2, up_down=0.05)),
    (ExpStepDevice, {}),
    (PowStepDevice, dict(pow_gamma=1.5, pow_up_down=0.1)),
    (PowStepReferenceDevice, dict(pow_gamma=0.7, reference_mean=-0.1)),
    (PiecewiseStepDevice, dict(piecewise_up=[1.5, 1, 0.7, 0.2], piecewise_down=[0.3, 0.8, 1, 1.4])),
])
def test_many_pulses_follow_the_per_pulse_rule(reference, cls, fields):
    """n pulses in one sample equal n single pulses applied one after another; the fast
    kernel is exact for affine steps and within its third-order error otherwise."""
    config = no_variation(cls, dw_min=0.01, **fields)
    single, many = make(config, weights=0.1), make(config, weights=0.1)
    for n in (12, -30, 25, -4):
        for _ in range(abs(n)):
            with reference_update(True):
                pulse(single, int(math.copysign(1, n)))
        with reference_update(reference):
            pulse(many, n)
        # k pulses of size ~0.01 with curvature |s''| < 5 / range: error < k^3 1e-6 * 5
        tol = 1e-12 if reference or cls in (LinearStepDevice, SoftBoundsDevice,
                                            SoftBoundsReferenceDevice) else 2e-5
        assert weight(many) == pytest.approx(weight(single), abs=tol)


@pytest.mark.parametrize("cls, fields, expected", [
    (ConstantStepDevice, {}, 0.001),
    (LinearStepDevice, {}, 0.001),
    (SoftBoundsDevice, {}, 0.001),
    (SoftBoundsReferenceDevice, {}, 0.001),
    (SoftBoundsPmaxDevice, {}, 0.0025414941),
    (ExpStepDevice, {}, 0.00098342),
    (PowStepDevice, {}, 0.0005),
    (PowStepDevice, dict(pow_gamma=2.0), 0.00025),
    (PowStepReferenceDevice, {}, 0.0005),
    (PiecewiseStepDevice, {}, 0.001),
    (PiecewiseStepDevice, dict(piecewise_up=[3, 2, 1.5, 1.2, 1], piecewise_down=[1] * 5),
     0.0015),
])
def test_granularity(cls, fields, expected):
    engine = make(cls(**fields), 2, 2, dtype=torch.float32)
    assert engine.granularity() == pytest.approx(expected, rel=1e-5)


def test_soft_bounds_pmax_mapping():
    engine = make(no_variation(SoftBoundsPmaxDevice, up_down_dtod=0.0), 1, 1)
    s = engine.s
    assert s.w_min == pytest.approx(-1.0)
    assert s.w_max == pytest.approx(4.0829883, rel=1e-6)
    assert s.dw_min == pytest.approx(0.0025414941, rel=1e-6)
    assert s.up_down == pytest.approx(0.6065307, rel=1e-6)
    assert engine.max_bound.item() == pytest.approx(4.0829883, rel=1e-6)
    assert engine.brief_name == "SoftBounds"


def test_linear_step_slopes_against_mean_bounds():
    config = no_variation(LinearStepDevice, gamma_up=0.5, gamma_down=0.25, dw_min=0.1,
                          w_max=1.0, w_min=-0.5)
    engine = make(config)
    assert engine.slope_up.item() == pytest.approx(-0.05)
    assert engine.slope_down.item() == pytest.approx(0.05)


def test_reverse_soft_bounds_grow_towards_the_bound():
    config = no_variation(SoftBoundsDevice, dw_min=0.1, w_max=1.0, w_min=-1.0, reverse_up=True,
                          reverse_offset=0.01)
    engine = make(config, weights=0.5)
    pulse(engine, 1)
    # R+ = b- - offset = -1.01: step = 0.1 (1 - 0.5 / -1.01)
    assert weight(engine) - 0.5 == pytest.approx(0.1 * (1 + 0.5 / 1.01), abs=1e-12)


def test_symmetry_points_of_the_reference_devices():
    sbr = make(no_variation(SoftBoundsReferenceDevice, up_down=0.2, w_max=1.0, w_min=-1.0,
                            subtract_symmetry_point=True))
    assert sbr.reference.item() == pytest.approx(1 / 9, abs=1e-6)
    assert sbr.reset_bias.item() == pytest.approx(1 / 9, abs=1e-6)
    psr = make(no_variation(PowStepReferenceDevice, up_down=0.2, w_max=1.0, w_min=-1.0,
                            subtract_symmetry_point=True))
    assert psr.reference.item() == pytest.approx(1 / 9, abs=1e-4)


def test_pow_step_exponent_asymmetry():
    for up_down, expected in ((0.2, (2.0, 1.6)), (-0.2, (1.6, 2.0))):
        engine = make(no_variation(PowStepDevice, pow_gamma=2.0, pow_up_down=up_down))
        assert (engine.gamma_up.item(), engine.gamma_down.item()) == pytest.approx(expected)


@KERNELS
@pytest.mark.parametrize("pulses", [1, 10])
def test_cycle_to_cycle_noise_of_constant_steps(reference, pulses):
    # spec 10 §3.4: dw_min = 0.01, dw_min_std = 0.3: mean 0.01 n, std 0.003 sqrt(n)
    config = no_variation(ConstantStepDevice, dw_min=0.01, dw_min_std=0.3, w_max=1, w_min=-1)
    engine = make(config, 100, 100)
    with reference_update(reference):
        pulse(engine, pulses)
    w = engine.get_weights()
    mean, se = mean_se(w)
    assert within(mean, 0.01 * pulses, se) and not within(mean, 0.011 * pulses, se)
    std, se = std_se(w)
    expected = 0.003 * math.sqrt(pulses)
    assert within(std, expected, se) and not within(std, 1.1 * expected, se)
    sign = torch.ones(1, dtype=torch.float64)
    params = engine.pulse_params().flat().select(slice(0, 1))
    assert engine.mean_step(torch.zeros(1, dtype=torch.float64), sign, params).item() == \
        pytest.approx(0.01)
    assert engine.step_std(torch.zeros(1, dtype=torch.float64), sign, params).item() == \
        pytest.approx(0.003)
