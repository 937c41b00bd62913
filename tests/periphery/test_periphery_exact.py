"""Noise-free forward/backward results against the closed forms of spec 10 §1 and §6."""

import pytest
import torch

from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.rpu_base import kernels

from periphery_helpers import (
    DELTA_IN, DELTA_OUT, exact_io, manager, plain_io, quant, run, tensor)

DTYPES = [torch.float64, torch.float32]


# ---------------------------------------------------------------- perfect
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("io", [IOParameters(is_perfect=True, out_scale=3.0),
                                IOParameters(mv_type=AnalogMVType.IDEAL, out_scale=3.0)])
def test_perfect_is_the_exact_product(dtype, io):
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(5, 7, generator=gen, dtype=dtype)
    x = torch.randn(4, 7, generator=gen, dtype=dtype) * 100
    y = manager(io, 5, 7, dtype=dtype).mvm(w, x)
    assert torch.equal(y, (x @ w.t()) * 3.0)
    assert torch.equal(run(IOParameters(is_perfect=True, out_scale=3), [[1, 1]], [100, 200]),
                       tensor([[900.0]]))


def test_perfect_backward_uses_backward_settings():
    w = tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # tile weights [d=3, x=2]
    d = tensor([[1.0, -1.0, 2.0]])
    bwd = manager(IOParameters(is_perfect=True, out_scale=0.5), 2, 3, backward=True)
    assert torch.equal(bwd.mvm(w.t(), d), (d @ w) * 0.5)


# ---------------------------------------------------------------- quantization
@pytest.mark.parametrize("dtype", DTYPES)
def test_output_quantization_grid(dtype):
    """§6.3: y = rint(Wx/Δ_out)·Δ_out."""
    w = [[.1, .2, .3, .4], [0, .01, .02, .03], [-.5, .5, .1, 0]]
    x = [1, .5, -.25, .1]
    y = run(IOParameters(out_noise=0, inp_res=-1), w, x, dtype=dtype)
    expected = quant(tensor(x) @ tensor(w).t(), DELTA_OUT)
    assert torch.allclose(y.double(), expected, atol=1e-6)
    assert torch.allclose(y.double(), tensor([[0.1882, 0.0, -0.2824]]), atol=1e-4)


def test_input_quantization_grid_and_bias():
    """Inputs land on k·Δ_inp (k = -63..63) of the NM-scaled vector; rounding is biased."""
    x = tensor([[4.0, 1.3, -2.0, 0.05, -0.031]])
    y = run(exact_io(inp_res=1 / 126), torch.eye(5), x)
    scale = 4.0
    expected = quant(x / scale, DELTA_IN) * scale
    assert torch.allclose(y, expected, rtol=0, atol=1e-12)
    levels = y / scale / DELTA_IN
    assert torch.allclose(levels, levels.round(), atol=1e-9)
    # deterministic rounding: a constant bias, the same on every call
    x = tensor([[1.0, 0.3]])
    mgr = manager(plain_io(inp_res=0.5, inp_bound=1.0), 2, 2)  # step 1.0
    outs = torch.cat([mgr.mvm(torch.eye(2, dtype=torch.float64), x) for _ in range(5)])
    assert torch.equal(outs, tensor([[1.0, 0.0]]).repeat(5, 1))


def test_resolution_as_number_of_steps():
    """§6.12: inp_res = 4 with NM NONE is a step of 0.5."""
    y = run(plain_io(inp_res=4, inp_bound=1.0), torch.eye(3), [0.3, 0.2, 0.8])
    assert torch.equal(y, tensor([[0.5, 0.0, 1.0]]))


def test_unbounded_output_is_not_quantized():
    """§6.13: out_bound <= 0 switches off the ADC clip and quantization."""
    assert torch.allclose(run(IOParameters(out_noise=0, out_bound=0), [[0.0123]], [1.0]),
                          tensor([[0.0123]]), rtol=0, atol=1e-15)


# ---------------------------------------------------------------- noise management
def test_noise_management_none_clips_at_the_dac():
    """§6.7."""
    y = run(exact_io(noise_management=NoiseManagementType.NONE), [[1, 1]], [3, 0.5])
    assert torch.equal(y, tensor([[1.5]]))


@pytest.mark.parametrize("nm", [NoiseManagementType.CONSTANT, NoiseManagementType.ABS_MAX])
def test_threshold_caps_the_scale(nm):
    """§1.5: τ = 2 with x = [3, 1] → inputs [1, 0.5] → y = 1.5·2."""
    y = run(exact_io(noise_management=nm, nm_thres=2.0), [[1, 1]], [3, 1])
    assert torch.equal(y, tensor([[3.0]]))


def test_scales_of_each_noise_management_type():
    """W = I shows u·s: the prepared inputs times the scale."""
    x = tensor([[2.0, -5.0, 0.5]])
    eye = torch.eye(3)
    assert torch.equal(run(exact_io(), eye, x), x)  # ABS_MAX: s = 5, inside the bound
    # MAX: s = 2 (signed max), so -5/2 clips at -1
    y = run(exact_io(noise_management=NoiseManagementType.MAX), eye, x)
    assert torch.equal(y, tensor([[2.0, -2.0, 0.5]]))
    # CONSTANT without threshold: s = 1, the DAC clips
    y = run(exact_io(noise_management=NoiseManagementType.CONSTANT), eye, x)
    assert torch.equal(y, tensor([[1.0, -1.0, 0.5]]))
    # NP sum: a = 5, S = max(2.5, 5) = 5, t = 5·0.6/12 = 0.25 → s = 5
    assert torch.allclose(run(exact_io(noise_management=NoiseManagementType.ABS_MAX_NP_SUM),
                              eye, x), x, atol=1e-12)


def test_abs_max_np_sum_example():
    """§1.5: s = max(1, min(5, 15.75)) = 5 → 13/63 inputs → clipped at 12 → y = 60."""
    io = IOParameters(out_noise=0, noise_management=NoiseManagementType.ABS_MAX_NP_SUM,
                      bound_management=BoundManagementType.NONE)
    assert torch.allclose(run(io, torch.ones(1, 100), torch.ones(100)), tensor([[60.0]]))
    # the cap a·max_bm_res/Δ_inp = 15.75 wins for a large sum
    mgr = manager(io, 1, 600)
    from aihwkit.simulator.rpu_base.periphery_management import np_sum_scale
    assert np_sum_scale(mgr.cfg, torch.ones(1, 600, dtype=torch.float64)).item() == \
        pytest.approx(15.75)


def test_zero_shortcut_gives_exact_zeros_despite_output_noise():
    """§1.4 step 2 and §6.8: rows with s <= 0 are exact zeros, other rows are not."""
    io = IOParameters(noise_management=NoiseManagementType.MAX)
    y = run(io, [[1, 1]], [[0.5, -3], [-0.5, -3], [0.0, 0.0]])
    assert y[1].eq(0).all() and y[2].eq(0).all()
    y = run(IOParameters(), torch.ones(4, 3), [[0, 0, 0], [1, 0, 0]])
    assert y[0].eq(0).all() and not y[1].eq(1).all()
    # forward with input noise: no shortcut; backward: always the shortcut
    y = run(IOParameters(inp_noise=0.1), torch.ones(4, 3), torch.zeros(1, 3))
    assert not y.eq(0).all()
    y = run(IOParameters(inp_noise=0.1), torch.ones(4, 3), torch.zeros(1, 3), backward=True)
    assert y.eq(0).all()


def test_average_abs_max_running_value():
    """§6.14 and the batch recurrence equals feeding the samples one by one."""
    w = tensor([[1.0, 0.0]])
    io = exact_io(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    mgr = manager(io, 1, 2)
    assert mgr.mvm(w, tensor([2.0, 0.0])).item() == pytest.approx(2.0)
    y = mgr.mvm(w, tensor([4.0, 0.0]))  # s = 0.999·2 + 0.001·4 = 2.002 → input clips at 1
    assert y.item() == pytest.approx(2.002, abs=1e-12)
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2500, 2, generator=gen, dtype=torch.float64) * 3
    batched = manager(io, 1, 2)
    single = manager(io, 1, 2)
    y_batch = batched.mvm(w, x)
    y_single = torch.cat([single.mvm(w, x[i:i + 1]) for i in range(x.shape[0])])
    assert torch.allclose(y_batch, y_single, rtol=1e-10, atol=1e-12)
    assert batched.nm_state.value.item() == pytest.approx(single.nm_state.value.item(),
                                                          rel=1e-10)


def test_average_abs_max_state_can_be_shared_with_backward():
    """§1.5: one running value for both directions when the tile shares it."""
    io = exact_io(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    fwd = manager(io, 2, 2)
    bwd = manager(io, 2, 2, backward=True, nm_state=fwd.nm_state)
    eye = torch.eye(2, dtype=torch.float64)
    fwd.mvm(eye, tensor([2.0, 0.0]))
    bwd.mvm(eye, tensor([10.0, 0.0]))
    assert fwd.nm_state.value.item() == pytest.approx(2.008)


# ---------------------------------------------------------------- bound management
def _row(value):
    return torch.full((1, 10), value, dtype=torch.float64)


def _saturating(io, sign=1.0, out=10, inp=600):
    return run(io, sign * 0.5 * torch.ones(out, inp), torch.ones(inp))


def test_iterative_bound_management_values():
    """§6.5."""
    assert torch.allclose(_saturating(IOParameters(out_noise=0)), _row(192.0))
    none = IOParameters(out_noise=0, bound_management=BoundManagementType.NONE)
    assert torch.allclose(_saturating(none), _row(12.0))
    # inp_res <= 0: only max_bm_factor limits; the pass with r = 32 fits
    expected = quant(600 * 0.5 / 32, DELTA_OUT) * 32
    y = _saturating(IOParameters(out_noise=0, inp_res=-1))
    assert torch.allclose(y, expected.expand(1, 10)) and y[0, 0].item() == pytest.approx(299.67,
                                                                                         abs=5e-3)
    assert torch.allclose(_saturating(IOParameters(out_noise=0), -1.0),
                          _row(-192.0))
    no_neg = IOParameters(out_noise=0, bm_test_negative_bound=False)
    assert torch.allclose(_saturating(no_neg, -1.0), _row(-12.0))


def test_worst_case_bound_management_continues_doubling():
    """§1.6: pass 2 with the NP-sum scale 15.75 still clips, pass 3 (r = 2) fits."""
    io = IOParameters(out_noise=0, bound_management=BoundManagementType.ITERATIVE_WORST_CASE)
    y = _saturating(io)
    u = quant(1 / (15.75 * 2), DELTA_IN)
    expected = quant(600 * 0.5 * u, DELTA_OUT) * 15.75 * 2
    assert torch.allclose(y, expected.expand(1, 10)) and y[0, 0].item() == pytest.approx(299.44,
                                                                                         abs=5e-3)


def test_bound_management_limits():
    """The last pass is the first with int(r) > max_bm_factor or r > max_bm_res/Δ_inp."""
    assert torch.allclose(_saturating(IOParameters(out_noise=0, inp_res=-1, max_bm_factor=4)),
                          _row(96.0))
    assert torch.allclose(_saturating(IOParameters(out_noise=0, max_bm_res=0.1)),
                          _row(96.0))
    assert torch.allclose(_saturating(IOParameters(out_noise=0, inp_res=-1, max_bm_factor=0)),
                          _row(12.0))


def test_bound_management_recovers_the_ideal_result():
    """Without quantization, a saturating row is recomputed until it fits: y = W x."""
    w = 0.5 * torch.ones(4, 100, dtype=torch.float64)
    y = run(IOParameters(out_noise=0, inp_res=-1, out_res=-1), w, torch.ones(100))
    assert torch.allclose(y, torch.full((1, 4), 50.0, dtype=torch.float64), rtol=1e-12)


def test_bound_management_keeps_normalized_outputs_within_bound():
    gen = torch.Generator().manual_seed(2)
    w = torch.rand(30, 200, generator=gen, dtype=torch.float64) * 0.4
    x = torch.rand(50, 200, generator=gen, dtype=torch.float64) * torch.rand(50, 1,
                                                                           generator=gen)
    y = run(IOParameters(), w, x)
    scale = x.abs().amax(1, keepdim=True)
    assert (y.abs() <= 16 * 12 * scale + 1e-9).all()
    ideal = x @ w.t()
    ok = ideal.abs().amax(1) < 0.9 * 16 * 12 * scale.squeeze(1)
    # rows that could fit are resolved to within the quantization/noise error
    assert torch.allclose(y[ok], ideal[ok], rtol=0.05, atol=0.5)


def saturating_rows():
    """Weights 0.5 and six inputs of which rows 2 and 4 saturate the default bound."""
    w = 0.5 * torch.ones(8, 100, dtype=torch.float64)
    x = torch.zeros(6, 100, dtype=torch.float64)
    x[:, 0] = 1.0
    x[2] = 1.0
    x[4] = 1.0
    return w, x


def test_only_saturated_rows_are_recomputed():
    w, x = saturating_rows()
    mgr = manager(IOParameters(out_noise=0), 8, 100)
    sizes = []
    original = mgr._one_pass

    def spy(view, rows, scale, reduction, u=None):
        sizes.append((rows.shape[0], reduction))
        return original(view, rows, scale, reduction, u)

    mgr._one_pass = spy
    with kernels.reference_update():        # the torch periphery
        y = mgr.mvm(w, x)
    assert sizes == [(6, 1.0), (2, 2.0), (2, 4.0), (2, 8.0)]
    single = [manager(IOParameters(out_noise=0), 8, 100).mvm(w, x[i:i + 1]) for i in range(6)]
    assert torch.equal(y, torch.cat(single))


def test_compiled_periphery_recomputes_only_saturated_rows(monkeypatch):
    """The two compiled stages around torch's product (products above the small size):
    only the saturated rows pass again."""
    from aihwkit.simulator.rpu_base.kernels import fused, periphery
    if not fused.available():
        pytest.skip("numba is not installed")
    w, x = saturating_rows()
    mgr = manager(IOParameters(out_noise=0), 8, 100)
    assert kernels.choose_periphery(mgr, x) is periphery.fused_mvm
    sizes = []
    original = periphery._one_pass

    def spy(manager_, weights, stage, reduction):
        sizes.append((stage[0].shape[0], reduction))   # the stage's prepared inputs
        return original(manager_, weights, stage, reduction)

    monkeypatch.setattr(periphery, "SMALL_PRODUCT", 0)
    monkeypatch.setattr(periphery, "_one_pass", spy)
    y = mgr.mvm(w, x)
    assert sizes == [(6, 1.0), (2, 2.0), (2, 4.0), (2, 8.0)]
    with kernels.reference_update():
        assert torch.equal(y, mgr.mvm(w, x))


def test_small_compiled_products_manage_bounds_in_one_call(monkeypatch):
    """Small products run every bound-management pass inside one compiled call: the
    values of the torch periphery computing its product the same way."""
    from aihwkit.simulator.rpu_base import periphery_analog
    from aihwkit.simulator.rpu_base.kernels import fused, periphery
    if not fused.available():
        pytest.skip("numba is not installed")
    w, x = saturating_rows()
    mgr = manager(IOParameters(out_noise=0), 8, 100)
    monkeypatch.setattr(periphery, "_one_pass", None)     # not used by small products
    y = mgr.mvm(w, x)
    monkeypatch.setattr(periphery_analog, "crossbar_product", periphery.small_product)
    with kernels.reference_update():
        expected = mgr.mvm(w, x)
    assert torch.equal(y, expected)
    unmanaged = manager(IOParameters(out_noise=0, bound_management=BoundManagementType.NONE),
                        8, 100)
    assert not torch.equal(y, unmanaged.mvm(w, x))    # rows did saturate


# ---------------------------------------------------------------- asymmetries, scale
def test_asymmetries_and_out_scale():
    """§6.9."""
    assert torch.equal(run(exact_io(inp_asymmetry=0.5), [[1, 1]], [1, -1]), tensor([[0.5]]))
    assert torch.equal(run(exact_io(out_asymmetry=0.5), [[1, 1]], [-1, -1]), tensor([[-1.0]]))
    assert torch.equal(run(exact_io(out_scale=3), [[1, 1]], [1, 1]), tensor([[6.0]]))
    assert torch.equal(run(exact_io(out_scale=3), [[1, 1]], [4, 4]), tensor([[24.0]]))


@pytest.mark.parametrize("mv", [AnalogMVType.POS_NEG_SEPARATE,
                                AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM])
def test_input_asymmetry_in_every_mode(mv):
    assert torch.equal(run(exact_io(inp_asymmetry=0.5, mv_type=mv), [[1, 1]], [1, -1]),
                       tensor([[0.5]]))


# ---------------------------------------------------------------- mv types
def test_pos_neg_separate_reads_negative_inputs_with_asymmetric_weights():
    io = exact_io(mv_type=AnalogMVType.POS_NEG_SEPARATE, w_read_asymmetry_dtod=0.2)
    mgr = manager(io, 2, 3)
    asym = mgr.get_parameters()["w_asymmetry"]
    assert asym.shape == (2, 3) and not torch.equal(asym, torch.ones(2, 3, dtype=torch.float64))
    w = tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
    x = tensor([[0.5, -1.0, 0.25]])
    expected = x.clamp(min=0) @ w.t() + x.clamp(max=0) @ (w * asym).t()
    assert torch.allclose(mgr.mvm(w, x), expected, rtol=1e-12)
    # one pass ignores the asymmetry
    one = manager(exact_io(w_read_asymmetry_dtod=0.2), 2, 3)
    assert torch.allclose(one.mvm(w, x), x @ w.t(), rtol=1e-12)


def test_digital_sum_clips_each_sign_separately():
    x, w = [15.0, -5.0], [[1.0, 1.0]]
    base = dict(inp_bound=20.0, out_bound=12.0)
    assert torch.equal(run(plain_io(**base), w, x), tensor([[10.0]]))
    sep = plain_io(mv_type=AnalogMVType.POS_NEG_SEPARATE, **base)
    assert torch.equal(run(sep, w, x), tensor([[10.0]]))
    dig = plain_io(mv_type=AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM, **base)
    assert torch.equal(run(dig, w, x), tensor([[7.0]]))


def test_digital_sum_bound_management_needs_both_passes_to_fit():
    io = IOParameters(out_noise=0, inp_res=-1, out_res=-1,
                      mv_type=AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM)
    x = torch.cat([torch.ones(30), -torch.ones(30)]).unsqueeze(0).double()
    w = torch.ones(1, 60, dtype=torch.float64)
    # each sign sums to ±30 > 12: r = 4 is the first that fits (30/4 = 7.5); exact 0
    assert torch.allclose(run(io, w, x), tensor([[0.0]]), atol=1e-12)
    w[0, 30:] = 0.1
    assert torch.allclose(run(io, w, x), tensor([[27.0]]), rtol=1e-12)


# ---------------------------------------------------------------- analog non-idealities
def test_ir_drop_examples():
    """§6.16."""
    io = exact_io(ir_drop=1.0, out_bound=0)
    assert run(io, torch.ones(1, 100), torch.ones(100)).item() == pytest.approx(99.42509,
                                                                                 abs=1e-5)
    half = torch.cat([torch.ones(50), torch.zeros(50)])
    assert run(io, torch.ones(1, 100), half).item() == pytest.approx(49.91081, abs=1e-5)


def test_ir_drop_formula_on_a_small_case():
    w = tensor([[0.5, -1.0, 2.0], [1.0, 1.0, -0.5]])
    x = tensor([[0.5, -0.25, 1.0]])
    y = run(plain_io(ir_drop=0.7, ir_drop_g_ratio=2.0), w, x)
    assert torch.allclose(y, _ir_dropped(w, x, 0.7, 2.0), rtol=1e-12)


def _ir_dropped(w, u, scale, ratio):
    n = u.shape[1]
    current = u.abs() @ w.abs().t() * n / ratio
    kappa = 0.5 * current - 0.2 * current ** 2 + 0.05 * current ** 3
    pos = 1 - (1 - torch.arange(n, dtype=torch.float64) / n) ** 2
    return u @ w.t() - scale * kappa * ((u * pos) @ w.t())


def test_pos_neg_passes_apply_their_own_ir_drop():
    w = tensor([[0.5, -1.0, 2.0], [1.0, 1.0, -0.5]])
    x = tensor([[0.5, -0.25, 1.0]])
    io = plain_io(ir_drop=0.7, ir_drop_g_ratio=2.0, mv_type=AnalogMVType.POS_NEG_SEPARATE)
    expected = (_ir_dropped(w, x.clamp(max=0), 0.7, 2.0)
                + _ir_dropped(w, x.clamp(min=0), 0.7, 2.0))
    assert torch.allclose(run(io, w, x), expected, rtol=1e-12)
    assert not torch.allclose(expected, _ir_dropped(w, x, 0.7, 2.0))


def test_output_nonlinearity_and_slope_calibration():
    """§6.17: v = 2, 6, -10 → 1.8462, 4.8, -7.0588; slope calibration f = 1.5625."""
    io = exact_io(out_nonlinearity=0.5, noise_management=NoiseManagementType.NONE,
                  inp_bound=100.0)
    y = run(io, [[1.0]], [[2.0], [6.0], [-10.0]])
    assert torch.allclose(y, tensor([[2 / (1 + 2 / 24)], [6 / 1.25], [-10 / (1 + 10 / 24)]]))
    assert torch.allclose(y.squeeze(1), tensor([1.8462, 4.8, -7.0588]).squeeze(0), atol=1e-4)
    io.slope_calibration = 0.5
    mgr = manager(io, 1, 1)
    assert mgr.get_parameters()["out_nonlinearity_factor"].item() == pytest.approx(1.5625)
    y = mgr.mvm(tensor([[1.0]]), tensor([[6.0]]))
    assert y.item() == pytest.approx(1.5625 * 4.8)


def test_series_resistance_example():
    """§1.7 (ii): r_series = 0.1, v_offset_w_min = -1, u = 1, W = 2 → 3/1.3 - 1/1.1."""
    y = run(exact_io(r_series=0.1), [[2.0]], [1.0])
    assert y.item() == pytest.approx(3 / 1.3 - 1 / 1.1)


@pytest.mark.parametrize("w_min,rho", [(0.0, 0.0), (0.0, 0.2), (-1.0, 0.0), (-0.5, 0.2)])
def test_voltage_offset_formulas(w_min, rho):
    w = tensor([[1.0, 0.5], [-2.0, 0.25]])
    x = tensor([[0.5, 1.0]])
    io = exact_io(v_offset_std=0.1, v_offset_w_min=w_min, r_series=rho)
    mgr = manager(io, 2, 2)
    offset = tensor([0.1, -0.3]).squeeze(0)
    mgr.set_parameters({"v_offset": offset, "out_nonlinearity": torch.zeros(2)})
    v = x @ w.t()
    if w_min == 0:
        expected = (1 - offset) * v / (1 + rho * v.abs())
    else:
        y_ref = -w_min * x.sum()
        if rho == 0:
            expected = (1 - offset) * v - 2 * offset * y_ref
        else:
            expected = ((1 - offset) * (v + y_ref) / (1 + rho * (v + y_ref).abs())
                        - (1 + offset) * y_ref / (1 + rho * abs(y_ref)))
    assert torch.allclose(mgr.mvm(w, x), expected, rtol=1e-12)


def test_weight_noise_type_none_adds_nothing():
    y = run(exact_io(w_noise=0.5, w_noise_type=WeightNoiseType.NONE), [[1.0, 2.0]], [0.5, 0.5])
    assert torch.equal(y, tensor([[1.5]]))


# ---------------------------------------------------------------- backward
def test_backward_never_manages_bounds():
    """§6.18: W = 0.5·ones(600, 10), δ = ones(600) → every output 12."""
    w = 0.5 * torch.ones(600, 10, dtype=torch.float64)  # tile weights [d, x]
    bwd = manager(IOParameters(out_noise=0), 10, 600, backward=True)
    z = bwd.mvm(w.t(), torch.ones(1, 600, dtype=torch.float64))
    assert torch.equal(z, _row(12.0))


def test_backward_uses_its_own_settings():
    w = tensor([[1.0, 2.0], [3.0, 4.0]])
    d = tensor([[0.5, -0.25]])
    bwd = manager(exact_io(out_scale=2.0, inp_asymmetry=0.5), 2, 2, backward=True)
    u = torch.where(d < 0, d * 0.5, d)
    assert torch.allclose(bwd.mvm(w.t(), d), (u @ w) * 2.0, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batched_rows_match_single_rows(dtype):
    gen = torch.Generator().manual_seed(7)
    w = (torch.rand(6, 40, generator=gen, dtype=dtype) - 0.3)
    x = torch.randn(9, 40, generator=gen, dtype=dtype) * torch.rand(9, 1, generator=gen,
                                                                    dtype=dtype) * 4
    x[3] = 0.0
    io = IOParameters(out_noise=0, bound_management=BoundManagementType.ITERATIVE_WORST_CASE)
    y = manager(io, 6, 40, dtype=dtype).mvm(w, x)
    single = [manager(io, 6, 40, dtype=dtype).mvm(w, x[i:i + 1]) for i in range(9)]
    assert y.dtype == dtype and torch.equal(y, torch.cat(single))
