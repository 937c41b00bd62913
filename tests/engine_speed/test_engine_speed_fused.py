"""The compiled per-pulse kernels of small CPU tiles (``kernels.fused``) against the reference.

* Given counts (``fused_counts_pulses``): with the cycle-to-cycle noise off, exactly the
  reference's values (same roundings, float32 and float64) on heterogeneous devices over
  every slope regime; with noise on, paired differences of mean zero within 4 standard
  errors.
* Whole updates (``fused_update``): the coincidence counts of the stochastic trains have
  the closed-form mean ``lr |x| |d| / dw_min`` and binomial variance; the resulting weights
  agree statistically with the two-stage reference path.
* Its normal generator, the dispatcher's choice, reproducibility, and bad input.
"""

import math

import numpy as np
import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, LinearStepDevice)
from aihwkit.simulator.parameters import UpdateParameters
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.kernels import fused
from aihwkit.simulator.rpu_base.pulses import PulseCounts
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device
from tests.engine_speed.device_cases import AFFINE, CASES as ALL_CASES

pytestmark = pytest.mark.skipif(not fused.available(), reason="numba is not installed")

CPU = torch.device("cpu")
ROWS, COLS = 24, 40
Z = 4.0

CASES = {name: ALL_CASES[name] for name in AFFINE}


def make(config, dtype=torch.float64, seed=3, rows=ROWS, cols=COLS):
    engine = build_device(config, rows, cols, device=CPU, dtype=dtype,
                          rng=TileRNG(CPU, seed=seed))
    engine.set_weights(torch.zeros(rows, cols, dtype=dtype))
    return engine


def counts(batch, seed, dtype):
    """Counts ``n[b, i, j] = c[b, i] * s[b, j]``, ``c`` in [-5, 5], ``s = +-1``."""
    gen = torch.Generator().manual_seed(seed)
    d_factor = torch.randint(-5, 6, (batch, ROWS), generator=gen).to(dtype)
    x_factor = (torch.randint(0, 2, (batch, COLS), generator=gen) * 2 - 1).to(dtype)
    return PulseCounts(batch, ROWS, COLS, d_factor=d_factor, x_factor=x_factor)


def run_counts(config, batch, kernel, dtype=torch.float64, calls=3, engine_seed=3):
    engine = make(config, dtype, engine_seed)
    for call in range(calls):
        kernel(engine, counts(batch, 100 + call, dtype))
    return engine.get_weights().clone()


def paired_agree(first, second, centre):
    """Mean and second moment of paired differences zero within Z standard errors."""
    diffs = [(first - second).flatten(),
             ((first - centre) ** 2 - (second - centre) ** 2).flatten()]
    return all(abs(float(v.mean())) <= Z * float(v.std()) / math.sqrt(v.numel())
               for v in diffs)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_noise_free_counts_equal_the_reference_exactly(name, dtype):
    config = CASES[name](0.0)
    for batch in (1, 3, 9):
        fast = run_counts(config, batch, fused.fused_counts_pulses, dtype)
        reference = run_counts(config, batch, kernels.reference_pulses, dtype)
        assert torch.equal(fast, reference), (name, batch)
        assert float(fast.abs().max()) > 0


def test_every_slope_regime_is_present():
    engine = make(CASES["soft_bounds_all_slopes"](0.0))
    slope = -engine.dwmin_up / engine.max_bound
    assert bool((slope > -0.5).any()) and bool((slope <= -1).any())
    assert bool(((slope > -1) & (slope <= -0.5)).any())


@pytest.mark.parametrize("name", sorted(CASES))
def test_noisy_counts_match_the_reference(name):
    centre = run_counts(CASES[name](0.0), 9, kernels.reference_pulses, calls=4)
    config = CASES[name](0.3)
    fast = run_counts(config, 9, fused.fused_counts_pulses, calls=4)
    reference = run_counts(config, 9, kernels.reference_pulses, calls=4)
    assert paired_agree(fast, reference, centre)


def test_noisy_comparison_has_power():
    """A noise level mis-set by half is told apart by the same comparison (bounds out of
    reach, so that the noise is not clipped away)."""
    def device(std):
        return ConstantStepDevice(dw_min=0.01, w_max=10.0, w_min=-10.0, dw_min_std=std)
    centre = run_counts(device(0.0), 9, kernels.reference_pulses, calls=4)
    reference = run_counts(device(0.3), 9, kernels.reference_pulses, calls=4)
    assert paired_agree(run_counts(device(0.3), 9, fused.fused_counts_pulses, calls=4),
                        reference, centre)
    wrong = run_counts(device(0.45), 9, fused.fused_counts_pulses, calls=4)
    assert not paired_agree(wrong, reference, centre)


def one_by_one_counts(lr, x_value, d_value, calls, up=None):
    """Pulse counts of ``calls`` independent single-sample updates of a 1 x 1 ConstantStep
    tile without noise or bounds in reach (``-dw / dw_min``)."""
    device = ConstantStepDevice(dw_min=0.001, w_max=10.0, w_min=-10.0, dw_min_dtod=0.0,
                                up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0,
                                dw_min_std=0.0)
    engine = make(device, torch.float64, seed=11, rows=1, cols=1)
    up = up or UpdateParameters()
    x = torch.full((1, 1), x_value, dtype=torch.float64)
    d = torch.full((1, 1), d_value, dtype=torch.float64)
    assert kernels.choose_update(engine, x, lr, 0.001, up) is fused.fused_update
    before = engine.get_weights().clone()
    values = []
    for _ in range(calls):
        fused.fused_update(engine, x, d, lr, 0.001, up)
        after = engine.get_weights().clone()
        values.append(float((after - before).item()) / -0.001)
        before = after
    return np.round(np.array(values))


def test_coincidences_have_the_closed_form_distribution():
    """x = d = 0.5, lr = 0.01, dw_min = 0.001 with update management: BL = ceil(2.5) = 3,
    p_x = p_d = 0.5 sqrt(lr / (dw_min BL)), so n ~ Binomial(3, p_x p_d) with mean 2.5."""
    calls = 3000
    n = one_by_one_counts(0.01, 0.5, 0.5, calls)
    q = 0.25 * 0.01 / (0.001 * 3)
    mean, var = 3 * q, 3 * q * (1 - q)
    assert abs(n.mean() - mean) <= Z * math.sqrt(var / calls)
    # variance of the sample variance: (mu4 - var^2) / N with the binomial's mu4
    mu4 = 3 * q * (1 - q) * (1 + (3 * 3 - 6) * q * (1 - q))
    assert abs(n.var() - var) <= Z * math.sqrt((mu4 - var ** 2) / calls)
    assert set(np.unique(n)) <= {0.0, 1.0, 2.0, 3.0}


def test_signs_follow_the_learning_rate():
    """Down pulses for lr x d > 0, up pulses when either sign flips."""
    assert one_by_one_counts(0.01, 0.5, 0.5, 50).min() >= 0
    assert one_by_one_counts(0.01, -0.5, 0.5, 50).max() <= 0
    assert one_by_one_counts(-0.01, 0.5, 0.5, 50).max() <= 0


def test_without_update_management_the_train_has_the_desired_length():
    """No management: BL = desired_bl = 31 and p = |v| sqrt(lr / (dw_min BL)) capped at 1."""
    up = UpdateParameters(update_management=False, update_bl_management=False)
    calls = 2000
    n = one_by_one_counts(0.01, 0.8, 0.4, calls, up)
    scale = math.sqrt(0.01 / (0.001 * 31))
    q = min(0.8 * scale, 1.0) * min(0.4 * scale, 1.0)
    mean, var = 31 * q, 31 * q * (1 - q)
    assert abs(n.mean() - mean) <= Z * math.sqrt(var / calls)


def sgd_update(config, fused_on, seed, stream=None, batch=6, lr=0.05):
    """Three stochastic updates of a fresh engine (device-to-device state from ``seed``,
    trains and noise from ``stream``) from fixed inputs."""
    engine = make(config, torch.float32, seed=seed)
    if stream is not None:
        engine.rng.generator.manual_seed(stream)
    gen = torch.Generator().manual_seed(5)
    x = torch.rand(batch, COLS, generator=gen) * 2 - 1
    d = (torch.rand(batch, ROWS, generator=gen) * 2 - 1) * 0.5
    with kernels.reference_update(not fused_on):
        chosen = kernels.choose_update(engine, x, lr, engine.granularity(), UpdateParameters())
        assert (chosen is fused.fused_update) == fused_on
        for _ in range(3):
            engine.update(x, d, lr, UpdateParameters())
    return engine.get_weights().clone()


def two_sample_agree(first, second):
    """Equal means of two iid samples within Z standard errors."""
    first, second = np.asarray(first), np.asarray(second)
    se = math.sqrt(first.var(ddof=1) / first.size + second.var(ddof=1) / second.size)
    return abs(first.mean() - second.mean()) <= Z * se


@pytest.mark.parametrize("name", ["constant_step", "soft_bounds_all_slopes",
                                  "linear_step_spread"])
def test_whole_updates_match_the_two_stage_reference(name):
    """Same device-to-device state, independent streams: per run the mean weight, the mean
    magnitude and the mean squared distance from the noise-free centre are iid over runs, and their means
    agree between the fused update and the forced reference within 4 standard errors."""
    config = CASES[name](0.3)
    centre = sgd_update(CASES[name](0.0), False, seed=21, stream=0)
    runs = 16
    fast = [sgd_update(config, True, seed=21, stream=100 + r) for r in range(runs)]
    reference = [sgd_update(config, False, seed=21, stream=200 + r) for r in range(runs)]
    for statistic in (lambda w: float(w.mean()), lambda w: float(w.abs().mean()),
                      lambda w: float(((w - centre) ** 2).mean())):
        assert two_sample_agree([statistic(w) for w in fast],
                                [statistic(w) for w in reference]), name
    assert float((fast[0] - centre).abs().max()) > 0


def test_whole_update_comparison_has_power():
    """A learning rate mis-set by 20 % is told apart by the same comparison."""
    config = CASES["constant_step"](0.3)
    fast = [sgd_update(config, True, seed=21, stream=100 + r, lr=0.06) for r in range(16)]
    reference = [sgd_update(config, False, seed=21, stream=200 + r) for r in range(16)]
    assert not two_sample_agree([float(w.abs().mean()) for w in fast],
                                [float(w.abs().mean()) for w in reference])


def test_normal_generator_distribution():
    """Mean, variance, skew, kurtosis and tail mass of 400k draws (ziggurat) within 4
    standard errors of the standard normal's."""
    from aihwkit.simulator.rpu_base.kernels import _fused_numba  # compiled on import
    counts_ = np.zeros((1, 400_000), np.int32)
    counts_[0, :] = 1
    # one pulse per crosspoint on a constant step of 1 with multiplicative noise 1:
    # the change is 1 + xi
    table = np.zeros((counts_.shape[1], 6), np.float64)
    table[:, 1], table[:, 4], table[:, 5] = 1.0, -1e9, 1e9
    state = np.zeros(counts_.shape[1], np.float64)
    touched = np.zeros(counts_.shape[1], np.bool_)
    _fused_numba.counts_update(counts_, state, table, touched, 1.0, True, 12345)
    xi = state - 1.0
    size = xi.size
    assert abs(xi.mean()) <= Z / math.sqrt(size)
    assert abs(xi.var() - 1) <= Z * math.sqrt(2 / size)
    assert abs((xi ** 3).mean()) <= Z * math.sqrt(15 / size)
    assert abs((xi ** 4).mean() - 3) <= Z * math.sqrt(96 / size)
    # the ziggurat's tail beyond its edge 3.4426 (two-sided mass 5.76e-4) and beyond 4
    for edge, mass in ((3.442619855899, 5.7611e-4), (4.0, 6.3342e-5)):
        seen = float((np.abs(xi) > edge).mean())
        assert abs(seen - mass) <= Z * math.sqrt(mass / size)
    assert touched.all()


def test_seeded_runs_are_reproducible():
    config = CASES["soft_bounds_all_slopes"](0.3)
    first = sgd_update(config, True, seed=8)
    again = sgd_update(config, True, seed=8)
    other = sgd_update(config, True, seed=9)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_non_finite_input_leaves_weights_and_generator_untouched():
    engine = make(CASES["constant_step"](0.3), torch.float32)
    x = torch.rand(4, COLS)
    d = torch.rand(4, ROWS)
    engine.update(x, d, 0.1, UpdateParameters())
    weights = engine.get_weights().clone()
    state = engine.rng.generator.get_state()
    d[2, 3] = float("nan")
    with pytest.raises(ArgumentError):
        engine.update(x, d, 0.1, UpdateParameters())
    assert torch.equal(engine.get_weights(), weights)
    assert torch.equal(engine.rng.generator.get_state(), state)


def test_write_noise_redraws_only_written_crosspoints():
    device = LinearStepDevice(dw_min=0.01, write_noise_std=1.0)
    engine = make(device, torch.float32, rows=4, cols=6)
    x = torch.zeros(1, 6)
    x[0, 2] = 1.0
    d = torch.ones(1, 4)
    before = engine.get_weights().clone()
    assert kernels.choose_update(engine, x, 0.05, engine.granularity(),
                                 UpdateParameters()) is fused.fused_update
    engine.update(x, d, 0.05, UpdateParameters())
    after = engine.get_weights()
    untouched = torch.ones(4, 6, dtype=torch.bool)
    untouched[:, 2] = False
    assert torch.equal(after[untouched], before[untouched])
    assert bool((after[:, 2] != before[:, 2]).all())


def test_dispatcher_choice():
    constant = make(ConstantStepDevice(), torch.float32, rows=8, cols=8)
    x = torch.rand(4, 8)
    up = UpdateParameters()
    assert kernels.choose_update(constant, x, 0.01, 0.001, up) is fused.fused_update
    small = make(ConstantStepDevice(), torch.float32)
    trains = stochastic_counts(4)
    assert kernels.choose_kernel(small, trains) is fused.fused_counts_pulses
    # dense count matrices (their cost in pulses is unknown) stay with the torch kernels
    assert kernels.choose_kernel(small, counts(4, 0, torch.float32)) is not \
        fused.fused_counts_pulses
    with kernels.reference_update():
        assert kernels.choose_update(constant, x, 0.01, 0.001, up) is None
        assert kernels.choose_kernel(small, trains) is kernels.reference_pulses
    for changed in (UpdateParameters(pulse_type=PulseType.MEAN_COUNT),
                    UpdateParameters(d_sparsity=True),
                    UpdateParameters(desired_bl=100)):
        assert kernels.choose_update(constant, x, 0.01, 0.001, changed) is None
    # not affine: the torch kernels
    assert kernels.choose_update(make(ExpStepDevice(), torch.float32, rows=8, cols=8), x,
                                 0.01, 0.001, up) is None
    # above the size limit
    big = make(ConstantStepDevice(), torch.float32, rows=256, cols=256)
    assert kernels.choose_update(big, torch.rand(8, 256), 0.01, 0.001, up) is None


def stochastic_counts(batch):
    """Counts as bit trains of length 4 (the form stochastic pulses take)."""
    gen = torch.Generator().manual_seed(2)
    d_trains = (torch.rand(batch, 4, ROWS, generator=gen) < 0.3).float()
    x_trains = (torch.rand(batch, 4, COLS, generator=gen) < 0.3).float()
    return PulseCounts(batch, ROWS, COLS, d_trains=d_trains, x_trains=x_trains,
                       bounds=[4] * batch)


def test_without_numba_the_torch_kernels_run(monkeypatch):
    monkeypatch.setattr(fused, "available", lambda: False)
    engine = make(ConstantStepDevice(), torch.float32, rows=8, cols=8)
    assert kernels.choose_update(engine, torch.rand(4, 8), 0.01, 0.001,
                                 UpdateParameters()) is None
    assert kernels.choose_kernel(engine, stochastic_counts(4)) is not \
        fused.fused_counts_pulses


LINE_SETTINGS = {
    "managed": ({"update_management": True, "update_bl_management": True, "desired_bl": 10},
                0.02),
    "managed_negative_lr": ({"update_management": True, "update_bl_management": True,
                             "desired_bl": 10}, -0.02),
    "quantized_stochastic": ({"update_management": True, "update_bl_management": False,
                              "desired_bl": 12, "res": 0.1, "sto_round": True}, 0.02),
    "unmanaged": ({"update_management": False, "update_bl_management": False,
                   "desired_bl": 7}, 0.003),
}


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("settings", sorted(LINE_SETTINGS))
def test_line_writes_equal_the_one_hot_update(columns, dtype, settings):
    """The compiled line writes give the values and draws of the whole update of their
    one-hot cycles (noisy device, repeated lines, an all-zero line; with and without
    update management, quantized stochastically rounded probabilities, either sign of
    the learning rate)."""
    config = CASES["soft_bounds_all_slopes"](0.3)
    gen = torch.Generator().manual_seed(5)
    size, count = (ROWS, COLS) if columns else (COLS, ROWS)
    lines = torch.tensor([3, 0, count - 1, 3, 7, 5])
    values = torch.randint(-4, 5, (lines.numel(), size), generator=gen).to(dtype)
    values[-1] = 0.0
    fields, lr = LINE_SETTINGS[settings]
    up = UpdateParameters(**fields)
    one_hot = torch.zeros(lines.numel(), count, dtype=dtype)
    one_hot[torch.arange(lines.numel()), lines] = 1.0
    x, d = (one_hot, values) if columns else (values, one_hot)
    expected, got = make(config, dtype, seed=11), make(config, dtype, seed=11)
    for _ in range(2):   # the second call starts from written weights
        fused.fused_update(expected, x, d, lr, expected.granularity(), up)
        fused.fused_line_update(got, lines, values, lr, got.granularity(), up, columns)
    assert torch.equal(got.get_weights(), expected.get_weights())
    assert torch.equal(got.rng.generator.get_state(), expected.rng.generator.get_state())
    assert (got.get_weights() != 0).any()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_row_transfer_equals_split_then_line_writes(dtype):
    """The one-call mixed-precision transfer gives the values, remainders and draws of the
    whole-step split followed by the line writes of every row in order."""
    config = CASES["soft_bounds_all_slopes"](0.3)
    gen = torch.Generator().manual_seed(6)
    up = UpdateParameters(update_management=True, update_bl_management=True, desired_bl=10)
    expected, got = make(config, dtype, seed=12), make(config, dtype, seed=12)
    step = expected.granularity()
    chi = (torch.rand(ROWS, COLS, generator=gen, dtype=dtype) - 0.5) * (8 * step)
    rest = chi.clone()
    counts = fused.split_whole_steps(rest, step)
    fused.fused_line_update(expected, torch.arange(ROWS), counts, 0.02, step, up, False)
    remainder = chi.clone()
    fused.fused_row_transfer(got, remainder, step, 0.02, step, up)
    assert torch.equal(remainder, rest)
    assert torch.equal(got.get_weights(), expected.get_weights())
    assert torch.equal(got.rng.generator.get_state(), expected.rng.generator.get_state())
    assert (got.get_weights() != 0).any()
    spoiled = chi.clone()
    spoiled[2, 3] = float("inf")
    with pytest.raises(ArgumentError):
        fused.fused_row_transfer(got, spoiled, step, 0.02, step, up)
    with pytest.raises(ArgumentError):
        fused.fused_row_transfer(got, chi.t(), step, 0.02, step, up)


def test_bad_line_writes_raise_before_any_draw():
    engine = make(CASES["constant_step"](0.3), torch.float32)
    state = engine.rng.generator.get_state()
    up = UpdateParameters()
    with pytest.raises(ArgumentError, match="line indices"):
        fused.fused_line_update(engine, torch.tensor([0, ROWS]), torch.ones(2, COLS), 0.1,
                                0.001, up, columns=False)
    with pytest.raises(ArgumentError, match="line writes need"):
        fused.fused_line_update(engine, torch.tensor([0]), torch.ones(1, ROWS), 0.1, 0.001,
                                up, columns=False)
    values = torch.ones(1, COLS)
    values[0, 2] = float("nan")
    with pytest.raises(ArgumentError):
        fused.fused_line_update(engine, torch.tensor([1]), values, 0.1, 0.001, up,
                                columns=False)
    assert torch.equal(engine.rng.generator.get_state(), state)
    assert not engine.get_weights().any()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_whole_steps_split_like_the_torch_operations(dtype):
    gen = torch.Generator().manual_seed(9)
    step = 0.0007324
    values = (torch.rand(33, 17, generator=gen, dtype=dtype) - 0.5) * 0.02
    values[0, :4] = torch.tensor([3 * step, -2 * step, 0.0, step * 0.999], dtype=dtype)
    expected_counts = torch.trunc(values / step)
    expected_rest = values - expected_counts * step
    rest = values.clone()
    counts = fused.split_whole_steps(rest, step)
    assert torch.equal(counts, expected_counts)
    assert torch.equal(rest, expected_rest)
    assert counts.abs().max() >= 5


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_saturation_mask_compares_like_torch(dtype):
    gen = torch.Generator().manual_seed(4)
    values = (torch.rand(9, 13, generator=gen, dtype=dtype) - 0.5) * 24
    threshold = 12 * 0.999 * 0.5
    values[0, :3] = torch.tensor([threshold, -threshold, 5.994], dtype=dtype)
    expected = values.abs() >= threshold
    got = fused.saturation_mask(values, threshold)
    assert got.dtype == torch.bool and torch.equal(got, expected)
    assert expected.any() and not expected.all()
    assert fused.saturation_mask(values * 0.01, threshold) is None     # nothing saturated
    # a single entry at the threshold as the values' type rounds it: a mask, not None
    edge = torch.zeros(3, 4, dtype=dtype)
    edge[1, 2] = -torch.tensor(threshold, dtype=dtype)
    got = fused.saturation_mask(edge, threshold)
    assert got is not None and torch.equal(got, edge.abs() >= threshold)


def test_weights_of_any_layout_are_updated():
    """Weights set from a transposed tensor keep its strides; the compiled update writes
    every crosspoint it pulses all the same (the same result as contiguous weights)."""
    config = CASES["constant_step"](0.0)
    start = (torch.rand(COLS, ROWS, generator=torch.Generator().manual_seed(2)) - 0.5) * 0.2
    x = torch.rand(4, COLS, generator=torch.Generator().manual_seed(3))
    d = torch.rand(4, ROWS, generator=torch.Generator().manual_seed(4)) - 0.5
    results = []
    for weights in (start.t(), start.t().contiguous()):
        engine = make(config, torch.float32, seed=5)
        engine.set_weights(weights)
        engine.update(x, d, 0.05, UpdateParameters())
        results.append(engine.get_weights().clone())
    assert torch.equal(results[0], results[1])
    assert not torch.equal(results[0], start.t())


def test_compiled_update_writes_dense_weights_in_place():
    """Dense weights without write noise or reference are pulsed in place (no copy per
    update), with the same values and draws as the copy-and-commit route that strided
    weights take; a copy taken before is untouched; write noise keeps the commit."""
    config = CASES["soft_bounds_all_slopes"](0.3)
    start = (torch.rand(COLS, ROWS, generator=torch.Generator().manual_seed(2)) - 0.5) * 0.2
    x = torch.rand(4, COLS, generator=torch.Generator().manual_seed(3))
    d = torch.rand(4, ROWS, generator=torch.Generator().manual_seed(4)) - 0.5
    dense, strided = make(config, torch.float32, seed=5), make(config, torch.float32, seed=5)
    dense.set_weights(start.t().contiguous())
    strided.set_weights(start.t())
    assert dense.writable_pulse_state() is dense.weights
    assert strided.writable_pulse_state() is None
    stored, before = dense.weights, dense.get_weights().clone()
    snapshot = before.clone()
    for engine in (dense, strided):
        engine.update(x, d, 0.05, UpdateParameters())
    assert dense.weights is stored
    assert torch.equal(dense.get_weights(), strided.get_weights())
    assert not torch.equal(dense.get_weights(), before)
    assert torch.equal(before, snapshot)
    noisy = make(LinearStepDevice(write_noise_std=0.5), torch.float32, seed=5)
    assert noisy.writable_pulse_state() is None


def test_compiled_update_refuses_mismatched_operands():
    engine = make(CASES["constant_step"](0.3), torch.float32)
    with pytest.raises(ArgumentError, match="update operands"):
        fused.fused_update(engine, torch.rand(4, COLS - 1), torch.rand(4, ROWS), 0.1, 0.001,
                           UpdateParameters())
    with pytest.raises(ArgumentError, match="update operands"):
        fused.fused_update(engine, torch.rand(4, COLS), torch.rand(3, ROWS), 0.1, 0.001,
                           UpdateParameters())
    assert not engine.get_weights().any()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_finite_check_of_every_layout(dtype):
    """The compiled finiteness check reads the exponent bits: every non-finite value is
    found wherever it lies, in contiguous tensors and in row slices of wider matrices,
    and the largest and smallest finite values pass."""
    values = torch.randn(70, 9000, dtype=dtype)
    assert fused.finite_on_cpu(values) is True
    assert fused.finite_on_cpu(values[:, 4500:]) is True
    extremes = torch.tensor([torch.finfo(dtype).max, -torch.finfo(dtype).max,
                             torch.finfo(dtype).tiny / 8, 0.0, -0.0], dtype=dtype)
    assert fused.finite_on_cpu(extremes) is True
    for bad in (math.nan, math.inf, -math.inf):
        for row, col in ((0, 0), (33, 4096), (69, 8999)):
            spoiled = values.clone()
            spoiled[row, col] = bad
            assert fused.finite_on_cpu(spoiled) is False
            assert fused.finite_on_cpu(spoiled[:, 4000:5000]) is (not 4000 <= col < 5000)
            assert fused.finite_on_cpu(spoiled.t()) is False     # strided: a copy
