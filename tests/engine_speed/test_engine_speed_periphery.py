"""The compiled periphery of small CPU products against the torch periphery.

Without noise the two give identical values over a grid of settings (noise management
kinds and thresholds, bound management with rows that saturate, DAC/ADC on and off,
unbounded inputs and outputs, zero rows, the backward direction, output scales, both
float types); with noise the per-entry means and variances over repeated products agree
within 4 standard errors. The dispatcher sends everything it does not cover to torch.
"""

import itertools
import math

import numpy as np

import pytest
import torch

from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.kernels import fused, periphery
from aihwkit.simulator.rpu_base import periphery_analog
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG

pytestmark = pytest.mark.skipif(not fused.available(), reason="numba is not installed")

CPU = torch.device("cpu")
Z = 4.0
NM = NoiseManagementType
BM = BoundManagementType


@pytest.fixture(params=["torch product", "compiled product"])
def same_product(request, monkeypatch):
    """Both peripheries with the same crossbar product: torch's (the compiled pass of
    small tiles switched off), or the compiled pass's own (the torch periphery computing
    its product the same way). The stages around the product are then compared exactly;
    :func:`test_compiled_product_equals_torch_up_to_rounding` compares the products."""
    if request.param == "torch product":
        monkeypatch.setattr(periphery, "SMALL_PRODUCT", 0)
    else:
        monkeypatch.setattr(periphery_analog, "crossbar_product", periphery.small_product)
    return request.param


def manager(io, out_size=12, in_size=20, backward=False, dtype=torch.float64, seed=0):
    return IOManager(io, out_size, in_size, is_backward=backward, device=CPU, dtype=dtype,
                     rng=TileRNG(CPU, seed))


def operands(dtype, out_size=12, in_size=20, batch=7, seed=1):
    gen = torch.Generator().manual_seed(seed)
    weights = (torch.rand(out_size, in_size, generator=gen, dtype=dtype) - 0.5) * 0.8
    x = (torch.rand(batch, in_size, generator=gen, dtype=dtype) - 0.5) * 2
    x[2] = 0.0                                              # a zero row
    x[4] *= 0.01                                            # a small row
    return weights, x


def both_paths(mgr, weights, x):
    assert kernels.choose_periphery(mgr, x) is periphery.fused_mvm
    compiled = mgr.mvm(weights, x)
    with kernels.reference_update():
        assert kernels.choose_periphery(mgr, x) is None
        plain = mgr.mvm(weights, x)
    return compiled, plain


GRID = list(itertools.product(
    [NM.NONE, NM.ABS_MAX, NM.MAX, NM.CONSTANT],      # noise management
    [BM.NONE, BM.ITERATIVE],                          # bound management
    [(1 / 126, 1 / 510), (-1.0, -1.0), (1 / 30, -1.0)],  # (inp_res, out_res)
    [0.0, 0.4],                                       # nm_thres
))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("nm, bm, res, thres", GRID)
def test_noise_free_products_equal_the_torch_periphery(nm, bm, res, thres, dtype,
                                                      same_product):
    inp_res, out_res = res
    io = IOParameters(out_noise=0.0, noise_management=nm, bound_management=bm,
                      nm_thres=thres, inp_res=inp_res, out_res=out_res,
                      out_bound=0.4 if bm == BM.ITERATIVE else 12.0, out_scale=1.25)
    weights, x = operands(dtype)
    compiled, plain = both_paths(manager(io, dtype=dtype), weights, x)
    assert torch.equal(compiled, plain)
    if bm == BM.ITERATIVE and nm != NM.NONE:
        # rows did saturate: without bound management the outputs differ
        io.bound_management = BM.NONE
        clipped, _ = both_paths(manager(io, dtype=dtype), weights, x)
        assert not torch.equal(clipped, compiled)


@pytest.mark.parametrize("settings", [
    dict(inp_bound=0.0, out_bound=0.0, noise_management=NM.NONE),     # unbounded
    dict(bm_test_negative_bound=False, bound_management=BM.ITERATIVE, out_bound=1.0),
    dict(max_bm_factor=2, bound_management=BM.ITERATIVE, out_bound=0.5),
    dict(out_scale=0.5, inp_res=1 / 64, out_res=1 / 64),
])
def test_noise_free_special_settings(settings, same_product):
    io = IOParameters(out_noise=0.0, **settings)
    weights, x = operands(torch.float32)
    compiled, plain = both_paths(manager(io, dtype=torch.float32), weights, x)
    assert torch.equal(compiled, plain)


def test_noise_free_backward_direction(same_product):
    """The backward manager: bound management off, zero rows exact zeros."""
    io = IOParameters(out_noise=0.0)
    weights, x = operands(torch.float32, out_size=20, in_size=12)
    compiled, plain = both_paths(manager(io, 20, 12, backward=True, dtype=torch.float32),
                                 weights, x)
    assert torch.equal(compiled, plain)
    assert not compiled[2].any()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("nm", [NM.ABS_MAX, NM.MAX, NM.NONE])
def test_noise_free_staged_products_over_several_blocks(nm, dtype, monkeypatch):
    """The two compiled stages (forced) on outputs of several ADC blocks (4096 entries),
    rows crossing block boundaries, rows that saturate and a NaN row: the torch
    periphery's values (NaN where it gives NaN)."""
    monkeypatch.setattr(periphery, "SMALL_PRODUCT", 0)
    io = IOParameters(out_noise=0.0, noise_management=nm, out_bound=2.0, out_scale=1.5)
    weights, x = operands(dtype, out_size=300, in_size=40, batch=37)
    x[5, 7] = float("nan")
    compiled, plain = both_paths(manager(io, 300, 40, dtype=dtype), weights, x)
    torch.testing.assert_close(compiled, plain, rtol=0, atol=0, equal_nan=True)
    assert compiled[5].isnan().all() and not compiled[6].isnan().any()
    io.bound_management = BM.NONE
    clipped, _ = both_paths(manager(io, 300, 40, dtype=dtype), weights, x)
    assert not torch.equal(clipped[:5], compiled[:5])   # rows did saturate


@pytest.mark.parametrize("rows, size", [(3, 5), (9, 1000), (1, 8193)])
def test_adc_stage_adds_the_vectorised_normals(rows, size):
    """The ADC stage's own float32 normals are those of the vectorised normal pass at the
    same seed, entry for entry (odd counts, rows across blocks): with a unit ADC step the
    stage equals that noise added, rounded, clipped and scaled (exact: no rounding of a
    division is involved)."""
    from aihwkit.simulator.rpu_base.kernels import elementwise
    gen = torch.Generator().manual_seed(rows + size)
    v = (torch.rand(rows, size, generator=gen) - 0.5) * 8
    multiplier = torch.rand(rows, generator=gen) + 0.5
    noise = torch.zeros(rows, size)
    elementwise.add_normal_(noise, 0.7, 11)
    scale = (multiplier * 0.25).unsqueeze(1)
    expected = (v + noise).round().clamp(-3, 3) * scale
    peak = (v + noise).round().abs().amax(1)
    got = v.clone()
    fail = np.zeros(rows, np.bool_)
    any_fail = periphery._compiled().adc_stage(
        got.numpy(), fail, multiplier.numpy(), True, 0.7, 1.0, True, 3.0, True, True, 0.25,
        11)
    assert torch.equal(got, expected)
    assert fail.tolist() == (peak > 3).tolist() and any_fail == bool((peak > 3).any())


@pytest.mark.parametrize("dtype, rtol", [(torch.float32, 1e-5), (torch.float64, 1e-13)])
@pytest.mark.parametrize("rows, lines, size", [(1, 12, 20), (7, 12, 20), (16, 64, 64),
                                               (5, 3, 1), (9, 1, 33)])
def test_compiled_product_equals_torch_up_to_rounding(rows, lines, size, dtype, rtol):
    """The compiled pass's own product (reassociated sums) against torch's, also for the
    transposed weight views of the backward read; and that the pass uses it."""
    gen = torch.Generator().manual_seed(rows * 100 + size)
    u = torch.rand(rows, size, generator=gen, dtype=dtype) - 0.5
    weights = torch.rand(lines, size, generator=gen, dtype=dtype) - 0.5
    scale = u.abs() @ weights.abs().t()          # bound of the rounding error per entry
    for matrix in (weights, weights.t().contiguous().t()):
        got = periphery.small_product(u, matrix)
        expected = torch.nn.functional.linear(u, matrix)
        assert torch.all((got - expected).abs() <= rtol * size * scale + 1e-30)
    io = IOParameters(out_noise=0.0, noise_management=NM.NONE, inp_res=-1.0, out_res=-1.0,
                      inp_bound=0.0, out_bound=0.0)
    mgr = manager(io, lines, size, dtype=dtype)
    assert torch.equal(mgr.mvm(weights, u), periphery.small_product(u, weights))


def moments(mgr, weights, x, repeats, compiled):
    draws = []
    for _ in range(repeats):
        if compiled:
            draws.append(mgr.mvm(weights, x))
        else:
            with kernels.reference_update():
                draws.append(mgr.mvm(weights, x))
    stacked = torch.stack(draws)
    return stacked.mean(0), stacked.var(0), stacked


@pytest.mark.parametrize("settings", [
    dict(out_noise=0.06),
    dict(out_noise=0.06, inp_noise=0.05, bound_management=BM.NONE),
    dict(out_noise=0.0, inp_sto_round=True, out_sto_round=True, inp_res=1 / 30,
         out_res=1 / 60),
    dict(out_noise=0.0, w_noise=0.05, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT),
])
def test_noisy_products_match_the_torch_periphery(settings):
    """Per entry mean and variance over repeats. The entries of one row share their input
    draws, so the rows (not the entries) are the independent units: pooled over the
    entries, the standardized mean differences and the log variance ratios must be
    within Z standard errors of a mean over the rows."""
    _noisy_paths_agree(IOParameters(**settings), torch.float64)


def test_staged_float32_output_noise_matches_the_torch_periphery(monkeypatch):
    """The two-stage pass of larger products (forced here) adds float32 output noise by
    the vectorised normals before the ADC stage: the same statistics."""
    monkeypatch.setattr(periphery, "SMALL_PRODUCT", 0)
    _noisy_paths_agree(IOParameters(out_noise=0.06), torch.float32)


def _noisy_paths_agree(io, dtype):
    weights, x = operands(dtype)
    x = x[[0, 1, 3, 5, 6]]                      # rows with noise (no exact-zero rows)
    rows = x.shape[0]
    repeats = 300
    mean_c, var_c, _ = moments(manager(io, seed=3, dtype=dtype), weights, x, repeats, True)
    mean_t, var_t, _ = moments(manager(io, seed=4, dtype=dtype), weights, x, repeats, False)
    assert float(var_c.mean()) > 0
    se_mean = torch.sqrt((var_c + var_t) / repeats)
    z_means = ((mean_c - mean_t) / se_mean.clamp(min=1e-12)).flatten()
    # each z is about N(0, 1)
    assert abs(float(z_means.mean())) <= Z / math.sqrt(rows)
    assert float(z_means.abs().max()) <= 6.0
    # the log ratio of two sample variances has SE about sqrt(4 / (repeats - 1))
    ratio = torch.log(var_c / var_t).flatten()
    assert abs(float(ratio.mean())) <= Z * math.sqrt(4 / (repeats - 1)) / math.sqrt(rows)


def test_noisy_comparison_has_power():
    """Output noise mis-set by 20 % is told apart by the variance comparison."""
    weights, x = operands(torch.float64)
    x = x[[0, 1, 3, 5, 6]]
    _, var_c, _ = moments(manager(IOParameters(out_noise=0.072), seed=3), weights, x, 300,
                          True)
    _, var_t, _ = moments(manager(IOParameters(out_noise=0.06), seed=4), weights, x, 300,
                          False)
    ratio = torch.log(var_c / var_t).flatten()
    assert abs(float(ratio.mean())) > Z * math.sqrt(4 / 299) / math.sqrt(5)


def test_deterministic_settings_draw_nothing():
    io = IOParameters(out_noise=0.0)
    mgr = manager(io)
    weights, x = operands(torch.float64)
    state = mgr.rng.generator.get_state()
    mgr.mvm(weights, x)
    assert torch.equal(mgr.rng.generator.get_state(), state)


def test_seeded_noisy_products_are_reproducible():
    weights, x = operands(torch.float32)
    first = manager(IOParameters(), dtype=torch.float32, seed=5).mvm(weights, x)
    again = manager(IOParameters(), dtype=torch.float32, seed=5).mvm(weights, x)
    other = manager(IOParameters(), dtype=torch.float32, seed=6).mvm(weights, x)
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize("settings", [
    dict(ir_drop=1.0),
    dict(w_noise=0.01, w_noise_type=WeightNoiseType.PCM_READ),
    dict(inp_asymmetry=0.1),
    dict(out_asymmetry=0.1),
    dict(out_nonlinearity=0.1),
    dict(out_noise_std=0.1),
    dict(v_offset_std=0.01),
    dict(noise_management=NM.AVERAGE_ABS_MAX),
    dict(noise_management=NM.ABS_MAX_NP_SUM),
    dict(bound_management=BM.ITERATIVE_WORST_CASE),
    dict(mv_type=AnalogMVType.POS_NEG_SEPARATE),
])
def test_uncovered_settings_use_the_torch_periphery(settings):
    mgr = manager(IOParameters(**settings))
    assert kernels.choose_periphery(mgr, torch.rand(3, 20)) is None


def test_every_size_and_the_float_dtypes():
    mgr = manager(IOParameters(), out_size=512, in_size=512, dtype=torch.float32)
    assert kernels.choose_periphery(mgr, torch.rand(2, 512)) is periphery.fused_mvm
    assert kernels.choose_periphery(mgr, torch.rand(512, 512)) is periphery.fused_mvm
    half = manager(IOParameters(), dtype=torch.bfloat16)
    assert kernels.choose_periphery(half, torch.rand(3, 20, dtype=torch.bfloat16)) is None


def test_new_line_parameters_are_seen():
    """Per-line parameters set later (here output noise per line) move the product to
    the torch periphery, which implements them."""
    mgr = manager(IOParameters())
    x = torch.rand(3, 20, dtype=torch.float64)
    assert kernels.choose_periphery(mgr, x) is periphery.fused_mvm
    mgr.set_parameters({"out_noise_values": torch.full((12,), 0.1, dtype=torch.float64)})
    assert kernels.choose_periphery(mgr, x) is None


def test_compiled_pass_refuses_mismatched_operands():
    """Shapes are checked before any memory is addressed."""
    from aihwkit.exceptions import ArgumentError, TileError
    mgr = manager(IOParameters(), dtype=torch.float32)
    weights, x = operands(torch.float32)
    with pytest.raises(TileError):
        periphery.fused_mvm(mgr, weights[:, :10], x)
    with pytest.raises(ArgumentError):
        periphery.fused_mvm(mgr, weights, x[:, :10])
    with pytest.raises(TileError):
        periphery.small_product(x[:, :10], weights)
