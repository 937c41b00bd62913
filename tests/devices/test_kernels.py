"""Fast kernels against the exact reference, statistically, for every device model.

Every crosspoint of a 64 x 128 tile has the same parameters (no device-to-device
variation) and receives the same pulse counts, so the 8192 final weights are independent
draws of one distribution under each kernel. Means and standard deviations must agree
within 4 standard errors of their difference; each comparison also runs against a fast
run with the step sizes mis-set by 10 %, which must be told apart (power check).
"""

import math
import os
import subprocess
import sys

import pytest
import torch

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, LinearStepDevice, PiecewiseStepDevice, PowStepDevice,
    PowStepReferenceDevice, SoftBoundsDevice, SoftBoundsPmaxDevice, SoftBoundsReferenceDevice)
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.devices._affine import AffineStepEngine
from aihwkit.simulator.rpu_base.devices.constant_step import ConstantStepEngine
from aihwkit.simulator.rpu_base.kernels.affine import affine_propagate
from aihwkit.simulator.rpu_base.kernels.moments import propagate
from aihwkit.simulator.rpu_base.pulses import PulseCounts

from tests.devices.helpers import Z, make, mean_se, no_variation, std_se

ROWS, COLS = 64, 128
# pulses per sample (+: up); the partial sums reach +19 steps and end at 0, so hard bounds
# 16 steps away are hit and left again
SEQUENCE = [6, 4, -3, 8, -5, 7, 2, -9, 3, -6, -8, 5, -4]

CASES = {
    "constant_step": no_variation(ConstantStepDevice, dw_min=0.005, dw_min_std=0.3,
                                  w_max=0.08, w_min=-0.08),
    "constant_step_large_noise": no_variation(ConstantStepDevice, dw_min=0.005, dw_min_std=1.0,
                                              w_max=0.08, w_min=-0.08),
    "linear_step": no_variation(LinearStepDevice, dw_min=0.005, dw_min_std=0.3, gamma_up=0.5,
                                gamma_down=0.3, w_max=0.2, w_min=-0.2),
    "soft_bounds": no_variation(SoftBoundsDevice, dw_min=0.005, dw_min_std=0.3, w_max=0.15,
                                w_min=-0.15),
    "soft_bounds_additive": no_variation(SoftBoundsDevice, dw_min=0.005, dw_min_std=0.5,
                                         mult_noise=False, w_max=0.15, w_min=-0.15),
    "soft_bounds_pmax": no_variation(SoftBoundsPmaxDevice, p_max=100, alpha=0.01,
                                     dw_min_std=0.3, up_down_dtod=0.0),
    "soft_bounds_reference": no_variation(SoftBoundsReferenceDevice, dw_min=0.005,
                                          dw_min_std=0.3, reference_mean=0.02, w_max=0.15,
                                          w_min=-0.15),
    "exp_step": no_variation(ExpStepDevice, dw_min=0.005, dw_min_std=0.3, w_max=0.2,
                             w_min=-0.2),
    "exp_step_complex_noise": no_variation(ExpStepDevice, dw_min=0.005, dw_min_std=0.3,
                                           dw_min_std_add=0.002, dw_min_std_slope=0.1,
                                           w_max=0.2, w_min=-0.2),
    # fine steps: sub-steps of several pulses in the generic moment map
    "exp_step_fine": no_variation(ExpStepDevice, dw_min=0.0002, dw_min_std=0.3, w_max=0.2,
                                  w_min=-0.2),
    "pow_step_fine": no_variation(PowStepDevice, dw_min=0.0002, dw_min_std=0.3, pow_gamma=1.5,
                                  w_max=0.2, w_min=-0.2),
    "piecewise_step_fine": no_variation(PiecewiseStepDevice, dw_min=0.0002, dw_min_std=0.3,
                                        piecewise_up=[1.5, 1.0, 0.6],
                                        piecewise_down=[0.5, 1.0, 1.4], w_max=0.2,
                                        w_min=-0.2),
    # wide bounds: no crosspoint can reach a bound, the unchecked fast recursions run
    "soft_bounds_wide": no_variation(SoftBoundsDevice, dw_min=0.005, dw_min_std=0.3,
                                     w_max=1.0, w_min=-1.0),
    "soft_bounds_additive_wide": no_variation(SoftBoundsDevice, dw_min=0.005, dw_min_std=0.5,
                                              mult_noise=False, w_max=1.0, w_min=-1.0),
    "soft_bounds_reference_wide": no_variation(SoftBoundsReferenceDevice, dw_min=0.005,
                                               dw_min_std=0.3, reference_mean=0.02,
                                               w_max=1.0, w_min=-1.0),
    "linear_step_wide": no_variation(LinearStepDevice, dw_min=0.005, dw_min_std=0.3,
                                     gamma_up=0.5, gamma_down=0.3, w_max=1.0, w_min=-1.0),
    "exp_step_wide": no_variation(ExpStepDevice, dw_min=0.005, dw_min_std=0.3, w_max=1.0,
                                  w_min=-1.0),
    "pow_step_wide": no_variation(PowStepDevice, dw_min=0.005, dw_min_std=0.3, pow_gamma=1.5,
                                  w_max=1.0, w_min=-1.0),
    "constant_step_wide": no_variation(ConstantStepDevice, dw_min=0.005, dw_min_std=0.3,
                                       w_max=1.0, w_min=-1.0),
    "pow_step": no_variation(PowStepDevice, dw_min=0.005, dw_min_std=0.3, pow_gamma=1.5,
                             w_max=0.2, w_min=-0.2),
    "pow_step_reference": no_variation(PowStepReferenceDevice, dw_min=0.005, dw_min_std=0.3,
                                       pow_gamma=0.8, reference_mean=0.01, w_max=0.2,
                                       w_min=-0.2),
    "piecewise_step": no_variation(PiecewiseStepDevice, dw_min=0.005, dw_min_std=0.3,
                                   piecewise_up=[1.5, 1.0, 0.6], piecewise_down=[0.5, 1.0, 1.4],
                                   w_max=0.2, w_min=-0.2),
}



@pytest.fixture(autouse=True)
def _torch_kernels(monkeypatch):
    """These cases compare the batched torch kernels (large tiles, GPU); the compiled
    per-pulse kernels of small CPU tiles are compared in test_engine_speed_fused.py."""
    monkeypatch.setattr(kernels, "FUSED_WORK", 0)

def dense_counts(sequence, dtype=torch.float64):
    """Counts ``n[b, i, j] = sequence[b]`` for every crosspoint (deterministic)."""
    batch = len(sequence)
    d_factor = torch.tensor(sequence, dtype=dtype).unsqueeze(1).expand(batch, ROWS).clone()
    return PulseCounts(batch, ROWS, COLS, d_factor=d_factor,
                       x_factor=torch.ones(batch, COLS, dtype=dtype))


def mis_set(engine, scale):
    """Scale the step sizes of ``engine`` (derived parameters recomputed)."""
    engine.dwmin_up = engine.dwmin_up * scale
    engine.dwmin_down = engine.dwmin_down * scale
    engine._cache_params = None


def run(config, kernel, scale=1.0, calls=2):
    engine = make(config, ROWS, COLS, seed=11)
    mis_set(engine, scale)
    for _ in range(calls):
        kernel(engine, dense_counts(SEQUENCE))
    return engine.get_weights()


def agree(first, second):
    """Means and stds agree within Z standard errors of their difference."""
    (m1, s1), (m2, s2) = mean_se(first), mean_se(second)
    (d1, e1), (d2, e2) = std_se(first), std_se(second)
    return abs(m1 - m2) <= Z * math.hypot(s1, s2) and abs(d1 - d2) <= Z * math.hypot(e1, e2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_kernel_matches_reference(name):
    config = CASES[name]
    engine = make(config, 1, 1)
    with kernels.reference_update(False):
        fast = kernels.choose_kernel(engine, dense_counts([1]))
    assert fast is not kernels.reference_pulses
    if name.endswith("_fine"):
        assert engine.substep_pulses() >= 4
    if name.endswith("_wide") and fast in (kernels.affine_moment_pulses,
                                           kernels.classified_moment_pulses):
        # every crosspoint stays on the unchecked path
        engine = make(config, ROWS, COLS)
        state = engine.pulse_state().reshape(-1)
        params = engine.pulse_params().flat()
        if fast is kernels.affine_moment_pulses:
            result = affine_propagate(engine, dense_counts(SEQUENCE), state, params)
        else:
            result = propagate(engine, dense_counts(SEQUENCE), state, params, check=False)
        assert not result[2].any()
    reference = run(config, kernels.reference_pulses)
    assert reference.std() > 0
    assert agree(run(config, fast), reference)
    assert not agree(run(config, fast, scale=1.1), reference)      # power


def test_additive_kernel_with_stochastic_trains():
    """Same bit trains (one column, independent rows): batch aggregation equals the
    ordered application in distribution, including crosspoints driven into a bound."""
    gen = torch.Generator().manual_seed(3)
    batch, length = 16, 12
    sign = torch.tensor([1, 1, -1, 1, -1, 1, 1, -1, 1, 1, -1, 1, 1, 1, -1, 1],
                        dtype=torch.float64)
    d_trains = (torch.rand(batch, length, ROWS * COLS, generator=gen) < 0.4).double()
    d_trains = d_trains * sign.view(-1, 1, 1)
    x_trains = torch.ones(batch, length, 1, dtype=torch.float64)

    def counts():
        return PulseCounts(batch, ROWS * COLS, 1, d_trains=d_trains, x_trains=x_trains)

    config = no_variation(ConstantStepDevice, dw_min=0.005, dw_min_std=0.3, w_max=0.1,
                          w_min=-0.1)

    def final(kernel, scale=1.0):
        engine = make(config, ROWS * COLS, 1, seed=5)
        mis_set(engine, scale)
        for _ in range(3):
            kernel(engine, counts())
        return engine.get_weights()

    reference = final(kernels.reference_pulses)
    assert (reference == 0.1).any()                    # some crosspoints sit at the bound
    assert agree(final(kernels.aggregate_pulses), reference)
    assert not agree(final(kernels.aggregate_pulses, scale=1.1), reference)


def test_noise_free_fast_kernels_equal_the_reference():
    for name, config in CASES.items():
        config = type(config)(**{**vars(config), "dw_min_std": 0.0})
        with kernels.reference_update(False):
            fast = kernels.choose_kernel(make(config, 1, 1), dense_counts([1]))
        # exact for constant and affine steps; the sub-stepped midpoint maps of the other
        # models err by about SUBSTEP_CHANGE^2 / 4 = 2.5e-3 of each sub-step's displacement
        # (bounded by the total displacement sum |n| dw_min over the two calls)
        engine = make(config, 1, 1)
        total = 2 * sum(abs(n) for n in SEQUENCE) * engine.s.dw_min
        exact = isinstance(engine, (AffineStepEngine, ConstantStepEngine))
        atol = 1e-9 if exact else 2.5e-3 * total
        assert torch.allclose(run(config, fast, calls=2), run(config, kernels.reference_pulses,
                                                              calls=2), atol=atol), name


def test_kernel_choice_and_forcing_the_reference():
    constant = make(ConstantStepDevice(), 1, 1)
    soft = make(SoftBoundsDevice(), 1, 1)
    counts = dense_counts([1])
    with kernels.reference_update(False):
        assert kernels.choose_kernel(constant, counts) is kernels.walk_pulses
        assert kernels.choose_kernel(soft, counts) is kernels.affine_checked_pulses
        with kernels.reference_update():
            assert kernels.choose_kernel(soft, counts) is kernels.reference_pulses
    code = ("from aihwkit.simulator.rpu_base import kernels; "
            "print(kernels.reference_forced())")
    env = dict(os.environ, AIHWKIT_REFERENCE_UPDATE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def test_overshooting_affine_steps_are_applied_pulse_by_pulse():
    """Slopes a <= -1 (a pulse jumps past its fixed point) have no closed form: such
    crosspoints get their pulses one at a time in the fast kernel as well."""
    config = no_variation(SoftBoundsDevice, dw_min=0.1, dw_min_std=0.0, w_max=0.08,
                          w_min=-0.08)
    assert make(config, 1, 1).pulse_params().exact is not None
    with kernels.reference_update(False):
        fast = kernels.choose_kernel(make(config, 1, 1), dense_counts([1]))
    assert torch.allclose(run(config, fast), run(config, kernels.reference_pulses), atol=1e-12)
    noisy = type(config)(**{**vars(config), "dw_min_std": 0.2})
    assert agree(run(noisy, fast), run(noisy, kernels.reference_pulses))
