"""Every kernel ``choose_kernel`` can return against the reference, on heterogeneous devices.

Each case draws per-crosspoint parameters with device-to-device variation; the SoftBounds
cases spread the slope ``a = -dw/b`` over all three regimes of the affine kernels
(``a > -1/2``, ``-1 < a <= -1/2`` and ``a <= -1``). Each sample's counts differ per row
and sample, and the batch sizes cover both sides of every batch-size threshold. With the
cycle-to-cycle noise off the fast kernels must give the reference's values; with noise on
the paired differences (same device-to-device state, independent noise) must have mean
zero and equal second moments within 4 standard errors.
"""

import importlib
import math

import pytest
import torch

from aihwkit.simulator.configs.devices import SoftBoundsDevice
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.devices._affine import AffineStepEngine
from aihwkit.simulator.rpu_base.pulses import PulseCounts
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device
from tests.engine_speed.device_cases import CASES as ALL_CASES

ROWS, COLS = 32, 64
Z = 4.0
BATCHES = (1, kernels.CLASSIFY_BATCH, kernels.CLASSIFY_BATCH + 1, 9)


@pytest.fixture(autouse=True)
def _torch_kernels(monkeypatch):
    """These cases compare the batched torch kernels (large tiles, GPU); the compiled
    per-pulse kernels of small CPU tiles are compared in test_engine_speed_fused.py."""
    monkeypatch.setattr(kernels, "FUSED_WORK", 0)

# the torch kernels' cases (the reference device and the spread LinearStep are compared
# in the compiled kernels' tests)
CASES = {name: ALL_CASES[name] for name in ("soft_bounds_all_slopes", "soft_bounds_additive",
                                            "soft_bounds_fine", "linear_step", "constant_step",
                                            "exp_step")}


def make(config, seed=3):
    engine = build_device(config, ROWS, COLS, device=torch.device("cpu"), dtype=torch.float64,
                          rng=TileRNG(torch.device("cpu"), seed=seed))
    engine.set_weights(torch.zeros(ROWS, COLS, dtype=torch.float64))
    return engine


def counts(batch, seed):
    """Counts ``n[b, i, j] = c[b, i] * s[b, j]`` with ``c`` in [-5, 5] and ``s`` = +-1."""
    gen = torch.Generator().manual_seed(seed)
    d_factor = torch.randint(-5, 6, (batch, ROWS), generator=gen).double()
    x_factor = torch.randint(0, 2, (batch, COLS), generator=gen).double() * 2 - 1
    return PulseCounts(batch, ROWS, COLS, d_factor=d_factor, x_factor=x_factor)


def run(config, batch, reference, calls=3, engine_seed=3, scale=1.0):
    engine = make(config, engine_seed)
    if scale != 1.0:
        engine.dwmin_up = engine.dwmin_up * scale
        engine.dwmin_down = engine.dwmin_down * scale
        engine._cache_params = None
    chosen = set()
    for call in range(calls):
        trains = counts(batch, seed=100 + call)
        with kernels.reference_update(reference):
            kernel = kernels.choose_kernel(engine, trains)
            chosen.add(kernel)
            kernel(engine, trains)
    return engine.get_weights().clone(), chosen


@pytest.mark.parametrize("name", sorted(CASES))
def test_noise_free_fast_paths_equal_the_reference(name):
    config = CASES[name](0.0)
    seen = set()
    for batch in BATCHES:
        fast, chosen = run(config, batch, reference=False)
        reference, _ = run(config, batch, reference=True)
        seen |= chosen
        engine = make(config)
        if isinstance(engine, AffineStepEngine) or engine.batch_additive:
            atol = 1e-12
        else:
            # sub-stepped second-order maps: about SUBSTEP_CHANGE^2 / 4 of the displacement
            atol = 2.5e-3 * 3 * 5 * batch * engine.s.dw_min
        assert torch.allclose(fast, reference, atol=atol), (name, batch, chosen)
    assert kernels.reference_pulses not in seen
    assert len(seen) == 2            # both batch-size branches were exercised


def test_all_slope_regimes_are_present():
    engine = make(CASES["soft_bounds_all_slopes"](0.0))
    slope = -engine.dwmin_up / engine.max_bound
    assert bool((slope > -0.5).any()) and bool((slope <= -1).any())
    assert bool(((slope > -1) & (slope <= -0.5)).any())


def paired_agree(first, second, centre):
    """Mean and second moment of paired differences zero within Z standard errors."""
    diffs = [(first - second).flatten(),
             ((first - centre) ** 2 - (second - centre) ** 2).flatten()]
    # under agreement each difference has mean 0; its sample std over the crosspoints is
    # a (conservative) estimate of its spread, so the SE of the mean is std / sqrt(N)
    return all(abs(float(v.mean())) <= Z * float(v.std()) / math.sqrt(v.numel())
               for v in diffs)


@pytest.mark.parametrize("name", ["soft_bounds_all_slopes", "soft_bounds_additive",
                                  "constant_step", "exp_step"])
@pytest.mark.parametrize("batch", [1, 9])
def test_noisy_fast_paths_match_the_reference(name, batch):
    config = CASES[name](0.3)
    centre, _ = run(CASES[name](0.0), batch, reference=True)
    fast, chosen = run(config, batch, reference=False)
    reference, _ = run(config, batch, reference=True)
    assert kernels.reference_pulses not in chosen
    assert paired_agree(fast, reference, centre)


@pytest.mark.parametrize("batch", [1, 9])
def test_large_noise_takes_the_pulse_by_pulse_paths(batch):
    """Above SMALL_NOISE the near-bound crosspoints get their pulses one at a time."""
    config = CASES["soft_bounds_all_slopes"](0.5)
    centre, _ = run(CASES["soft_bounds_all_slopes"](0.0), batch, reference=True)
    fast, chosen = run(config, batch, reference=False)
    assert chosen <= {kernels.checked_moment_pulses, kernels.affine_moment_pulses}
    reference, _ = run(config, batch, reference=True)
    assert paired_agree(fast, reference, centre)


def test_noisy_comparison_has_power():
    """Steps mis-set by 10 % are told apart by the same comparison."""
    config = CASES["soft_bounds_fine"](0.3)
    centre, _ = run(CASES["soft_bounds_fine"](0.0), 9, reference=True, calls=6)
    reference, _ = run(config, 9, reference=True, calls=6)
    wrong, _ = run(config, 9, reference=False, calls=6, scale=1.1)
    assert not paired_agree(wrong, reference, centre)
    right, _ = run(config, 9, reference=False, calls=6)
    assert paired_agree(right, reference, centre)


def test_steep_affine_slope_regression():
    """a = -dw/b in (-1, -1/2] (here -0.625): one noise-free call of three pulses from 0
    gives the closed form w_{k+1} = w_k + dw (1 - w_k / b) with every kernel."""
    config = SoftBoundsDevice(dw_min=0.05, w_max=0.08, w_min=-1.0, dw_min_std=0.0,
                              dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0,
                              w_min_dtod=0.0)
    expected = 0.0
    for _ in range(3):
        expected += 0.05 * (1 - expected / 0.08)
    for batch in (1, 3):
        engine = build_device(config, 1, 1, device=torch.device("cpu"), dtype=torch.float64,
                              rng=TileRNG(torch.device("cpu"), seed=0))
        engine.set_weights(torch.zeros(1, 1, dtype=torch.float64))
        # three up pulses in total, spread over the batch (the last samples carry none)
        d_factor = torch.zeros(batch, 1, dtype=torch.float64)
        d_factor[0, 0] = 3.0
        trains = PulseCounts(batch, 1, 1, d_factor=d_factor,
                             x_factor=torch.ones(batch, 1, dtype=torch.float64))
        with kernels.reference_update(False):
            kernels.apply_pulses(engine, trains)
        assert float(engine.get_weights()) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["soft_bounds_all_slopes", "exp_step"])
def test_row_blocks_give_the_same_result(name, monkeypatch):
    """Large tiles are processed in blocks of rows; with noise off the result is the
    same as in one block (and as the reference)."""
    from aihwkit.simulator.rpu_base.kernels import moments
    config = CASES[name](0.0)
    whole, chosen = run(config, 9, reference=False)
    assert chosen & {kernels.affine_moment_pulses, kernels.affine_scan_pulses,
                     kernels.classified_moment_pulses}
    monkeypatch.setattr(moments, "BLOCK_ELEMENTS", 5 * COLS)     # 7 blocks, the last short
    blocked, _ = run(config, 9, reference=False)
    assert torch.allclose(blocked, whole, atol=1e-12)


@pytest.mark.parametrize("name", ["soft_bounds_all_slopes", "soft_bounds_additive",
                                  "linear_step"])
def test_scan_and_sequential_affine_recursions_agree(name, monkeypatch):
    """Small tiles use the prefix scan over the batch, large ones the sample-by-sample
    recursion: equal without noise, statistically equal with noise."""
    scan_exact, chosen = run(CASES[name](0.0), 9, reference=False)
    assert kernels.affine_scan_pulses in chosen
    scan_noisy, _ = run(CASES[name](0.3), 9, reference=False)
    monkeypatch.setattr(kernels, "SCAN_WORK", 0)
    sequential_exact, chosen = run(CASES[name](0.0), 9, reference=False)
    assert kernels.affine_moment_pulses in chosen
    sequential_noisy, _ = run(CASES[name](0.3), 9, reference=False)
    assert torch.allclose(scan_exact, sequential_exact, atol=1e-12)
    assert paired_agree(scan_noisy, sequential_noisy, scan_exact)


@pytest.mark.parametrize("std, train", [(0.0, 1), (0.3, 1), (0.0, 3)])
def test_very_steep_slopes_stay_finite(std, train, monkeypatch):
    """A crosspoint whose lower bound is almost 0 has a down slope a = -dw/|b-| of about
    -140: the composed factor (1 + a)^k of 30 pulses overflows float32, that of all the
    batch's pulses (up to 270, or 810 with trains of up to 90) float64. The clamped-map
    kernels compose the pulse maps in segments and must still give the reference's value
    (noise-free) and finite weights, without falling back to pulse-by-pulse steps."""
    checked = importlib.import_module("aihwkit.simulator.rpu_base.kernels.affine_checked")
    fallback = []
    one_by_one = checked.exact_pulses

    def counted(*args, **kwargs):
        fallback.append(1)
        return one_by_one(*args, **kwargs)

    monkeypatch.setattr(checked, "exact_pulses", counted)
    config = SoftBoundsDevice(dw_min=0.001, w_max=0.25, w_min=-0.3, dw_min_dtod=0.0,
                              up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0,
                              dw_min_std=std)
    results = []
    for reference in (False, True):
        engine = build_device(config, ROWS, COLS, device=torch.device("cpu"),
                              dtype=torch.float32, rng=TileRNG(torch.device("cpu"), seed=1))
        engine.min_bound = engine.min_bound.clone()
        engine.min_bound[3, 5] = -7e-6
        engine.slope_down = engine.slope_down.clone()
        engine.slope_down[3, 5] = engine.dwmin_down[3, 5] / 7e-6     # a- = -dw/|b-|
        engine._cache_params = None
        engine.set_weights(torch.zeros(ROWS, COLS))
        gen = torch.Generator().manual_seed(4)
        d_factor = torch.randint(-30, 31, (9, ROWS), generator=gen).float()
        x_factor = torch.full((9, COLS), float(train))
        trains = PulseCounts(9, ROWS, COLS, d_factor=d_factor, x_factor=x_factor)
        with kernels.reference_update(reference):
            kernel = kernels.choose_kernel(engine, trains)
            assert (kernel is kernels.reference_pulses) == reference
            kernel(engine, trains)
        results.append(engine.get_weights().clone())
    fast, exact = results
    assert not fallback
    assert bool(torch.isfinite(fast).all())
    if std == 0.0:
        assert torch.allclose(fast, exact, atol=1e-6)


@pytest.mark.parametrize("name", ["soft_bounds_all_slopes", "soft_bounds_additive"])
def test_exact_crosspoints_in_one_compiled_call(name, monkeypatch):
    """The crosspoints of steep slopes that the moment recursion always pulses one at a
    time take each sample's pulses in one compiled call: noise-free the same values as
    the torch per-pulse steps, with noise the same distribution (paired test)."""
    from aihwkit.simulator.rpu_base.kernels import fused, moments
    if not fused.available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(kernels, "SCAN_WORK", 0)     # the sample-by-sample recursion
    compiled_calls = []
    compiled = moments.exact_affine_pulses

    def counted(*args):
        compiled_calls.append(1)
        return compiled(*args)

    monkeypatch.setattr(moments, "exact_affine_pulses", counted)
    results = {}
    for path in ("compiled", "torch"):
        if path == "torch":
            monkeypatch.setattr(moments, "crosspoint_maps", lambda engine, params: None)
        for std in (0.0, 0.3):
            results[path, std], chosen = run(CASES[name](std), 9, reference=False, calls=6)
            assert kernels.affine_moment_pulses in chosen
        if path == "compiled":
            assert compiled_calls      # the devices have steep crosspoints
            seen = len(compiled_calls)
    assert len(compiled_calls) == seen   # none on the torch path
    assert torch.allclose(results["compiled", 0.0], results["torch", 0.0], atol=1e-12)
    assert paired_agree(results["compiled", 0.3], results["torch", 0.3],
                        results["compiled", 0.0])
