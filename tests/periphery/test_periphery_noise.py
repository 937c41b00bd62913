"""Statistical checks of the periphery noise sources (spec 10 §1.3, §1.7–§1.10, §6).

Tolerances: Z = 4 standard errors from the model (periphery_helpers); every check also
asserts that a model mis-set by 10 % is rejected (power check). With n = 20000 samples a
std has relative standard error 1/sqrt(2·19999) = 0.5 %, so 4 SE = 2 % << 10 %.
"""

import math

import pytest
import torch

from aihwkit.simulator.parameters.enums import (
    AnalogMVType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.rpu_base import kernels

from periphery_helpers import (
    DELTA_IN, DELTA_OUT, Z, assert_mean, assert_std, manager, prob_ok, quant,
    tensor)

X_SPEC = [0.3, -2.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1]


def _outputs(io, w, x, repeats=1, **kwargs):
    w, x = tensor(w), tensor(x)
    mgr = manager(io, w.shape[0], w.shape[1], **kwargs)
    return torch.cat([mgr.mvm(w, x) for _ in range(repeats)])


@pytest.mark.parametrize("torch_periphery", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_output_noise_only(dtype, torch_periphery):
    """§6.1: W = 0 (2000x10), max|x| = 2 → mean 0, std 0.06·2 = 0.12 (n = 20000), on the
    compiled periphery and on the torch one (reference forced)."""
    io = IOParameters(inp_res=-1, out_res=-1)
    w = torch.zeros(2000, 10, dtype=dtype)
    mgr = manager(io, 2000, 10, dtype=dtype)
    if torch_periphery:
        with kernels.reference_update():
            err = mgr.mvm(w, tensor([X_SPEC] * 10, dtype))
    else:
        err = mgr.mvm(w, tensor([X_SPEC] * 10, dtype))
    assert err.dtype == dtype
    assert_std(err, 0.12)
    # the mean is 0: check to 4 SE = 4·0.12/sqrt(20000) = 0.0034, and a mean shifted by
    # 10 % of the noise std (0.012) is rejected
    assert abs(err.double().mean().item()) < Z * 0.12 / math.sqrt(err.numel())
    assert abs(err.double().mean().item() - 0.012) >= Z * 0.12 / math.sqrt(err.numel())


def test_output_noise_with_default_resolutions():
    """§6.2: std 2·sqrt(0.06² + Δ_out²/12) = 0.1230 (Sheppard; exact to e^-32 here)."""
    err = _outputs(IOParameters(), torch.zeros(2000, 10), [X_SPEC] * 10)
    assert_std(err, 2 * math.sqrt(0.06 ** 2 + DELTA_OUT ** 2 / 12))
    assert err.div(2 * DELTA_OUT).sub(err.div(2 * DELTA_OUT).round()).abs().max() < 1e-9


def test_bound_management_scales_noise_per_sample():
    """§6.4/§6.6: W = 0.5 (2000x100), 5 calls (n = 10000 per row; std SE 0.7 %): one-hot
    row std 0.06, all-ones row r = 8 → 8·0.0615; its mean 8·50·8/63 (input quantization)."""
    w = 0.5 * torch.ones(2000, 100)
    one_hot = torch.zeros(100)
    one_hot[7] = 1.0
    x = torch.stack([one_hot, torch.ones(100)])
    y = _outputs(IOParameters(inp_res=-1, out_res=-1), w, x, repeats=5)
    assert_std(y[0::2], 0.06)
    assert_mean(y[0::2], 0.5, 0.06)
    y = _outputs(IOParameters(), w, x, repeats=5)
    noise = math.sqrt(0.06 ** 2 + DELTA_OUT ** 2 / 12)
    assert_std(y[1::2], 8 * noise)
    assert_mean(y[1::2], 8 * 50 * quant(1 / 8, DELTA_IN).item(), 8 * noise)


def test_input_noise():
    """§6.10: inp_noise 0.1, W = [1], x = 3 → mean 3, std 0.3 (NM scale 3)."""
    y = _outputs(IOParameters(inp_noise=0.1, out_noise=0, out_res=-1), [[1.0]],
                 torch.full((20000, 1), 3.0))
    assert_std(y, 0.3)
    assert_mean(y, 3.0, 0.3)


def test_input_stochastic_rounding_is_unbiased():
    """§6.11: step 1.0, x = [0.3, 1.0], W = [1, 0] → outputs in {0, 1}, P(1) = 0.3."""
    io = IOParameters(inp_sto_round=True, inp_res=0.5, out_noise=0, out_res=-1)
    y = _outputs(io, [[1.0, 0.0]], torch.tensor([[0.3, 1.0]]).repeat(20000, 1))
    assert set(y.unique().tolist()) <= {0.0, 1.0}
    hits = int(y.sum().item())
    assert prob_ok(hits, y.numel(), 0.3) and not prob_ok(hits, y.numel(), 0.33)


def test_output_stochastic_rounding_is_unbiased():
    """v = 0.37·Δ_out between two levels: P(upper) = 0.37, mean = v (deterministic: 0)."""
    v = 0.37 * DELTA_OUT
    io = IOParameters(out_noise=0, out_sto_round=True, inp_res=-1)
    y = _outputs(io, [[v]], torch.ones(20000, 1))
    levels = (y / DELTA_OUT).round()
    assert torch.allclose(y, levels * DELTA_OUT) and set(levels.unique().tolist()) <= {0.0, 1.0}
    hits = int(levels.sum().item())
    assert prob_ok(hits, y.numel(), 0.37) and not prob_ok(hits, y.numel(), 0.37 * 1.1)
    det = _outputs(IOParameters(out_noise=0, inp_res=-1), [[v]], torch.ones(3, 1))
    assert det.eq(0).all()


def test_additive_weight_noise():
    """§6.15: w_noise 0.1, x = [2, 1, 0, -1], W = 0 → std 0.1·‖u‖·2 with u quantized."""
    io = IOParameters(w_noise=0.1, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT,
                      out_noise=0, out_res=-1)
    y = _outputs(io, torch.zeros(2000, 4), [[2.0, 1.0, 0.0, -1.0]] * 10)
    u = quant(tensor([1.0, 0.5, 0.0, -0.5]), DELTA_IN)
    std = 0.1 * u.norm().item() * 2
    assert std == pytest.approx(0.2449, abs=3e-3)
    assert_std(y, std)


def test_pcm_read_weight_noise():
    """§6.15: W_row = [0.5, -0.2, 0, 0] → mean 0.8, std 0.1·sqrt(Σ|W|u²)·2 = 0.1483."""
    io = IOParameters(w_noise=0.1, w_noise_type=WeightNoiseType.PCM_READ, out_noise=0,
                      out_res=-1, inp_res=-1)
    w = torch.tensor([[0.5, -0.2, 0.0, 0.0]]).repeat(2000, 1)
    y = _outputs(io, w, [[2.0, 1.0, 0.0, -1.0]] * 10)
    std = 0.1 * math.sqrt(0.5 * 1 + 0.2 * 0.25) * 2
    assert std == pytest.approx(0.1483, abs=1e-4)
    assert_std(y, std)
    assert_mean(y, 0.8, std)


def test_out_noise_std_draws_line_values():
    """§1.3: σ_l = |0.06(1 + 0.1ξ)| over 20000 lines: mean 0.06, std 0.006."""
    mgr = manager(IOParameters(out_noise_std=0.1), 20000, 3)
    sigma = mgr.get_parameters()["out_noise_values"]
    assert sigma.shape == (20000,) and (sigma >= 0).all()
    assert_std(sigma, 0.006)
    assert_mean(sigma, 0.06, 0.006)


def test_line_noise_values_are_used_per_line():
    """Lines with σ = 0.03 and 0.12 give those output stds (x max 1, no quantization)."""
    io = IOParameters(out_noise_std=0.1, inp_res=-1, out_res=-1)
    mgr = manager(io, 2, 1)
    mgr.set_parameters({"out_noise_values": torch.tensor([0.03, 0.12])})
    y = mgr.mvm(torch.zeros(2, 1, dtype=torch.float64), torch.ones(20000, 1,
                                                                   dtype=torch.float64))
    assert_std(y[:, 0], 0.03)
    assert_std(y[:, 1], 0.12)


def test_nonlinearity_line_spread():
    """n_l = |0.5/12·(1 + 0.2ξ)|: mean 0.5/12, std 0.2·0.5/12 (20000 lines)."""
    mgr = manager(IOParameters(out_nonlinearity=0.5, out_nonlinearity_std=0.2), 20000, 2)
    strength = mgr.get_parameters()["out_nonlinearity"]
    assert_mean(strength, 0.5 / 12, 0.2 * 0.5 / 12)
    assert_std(strength, 0.2 * 0.5 / 12)


def test_voltage_offset_draws():
    """§1.3: half of the lines exactly 0, the others N(0, 0.1²)."""
    offset = manager(IOParameters(v_offset_std=0.1), 40000, 2).get_parameters()["v_offset"]
    zero = int(offset.eq(0).sum().item())
    assert prob_ok(zero, offset.numel(), 0.5) and not prob_ok(zero, offset.numel(), 0.55)
    assert_std(offset[offset != 0], 0.1)
    only_rs = manager(IOParameters(r_series=0.1), 50, 2).get_parameters()
    assert only_rs["v_offset"].eq(0).all() and only_rs["out_nonlinearity"].eq(0).all()


def test_read_asymmetry_draws():
    """w_asymmetry = 1 + 0.05ξ per weight (200x100 = 20000 weights)."""
    asym = manager(IOParameters(w_read_asymmetry_dtod=0.05), 200, 100).get_parameters()
    assert_std(asym["w_asymmetry"], 0.05)
    assert_mean(asym["w_asymmetry"] - 1.0 + 0.05, 0.05, 0.05)


def test_digital_sum_draws_output_noise_twice():
    """Two finalized passes: std sqrt(2)·0.06 per output."""
    io = IOParameters(mv_type=AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM, inp_res=-1,
                      out_res=-1)
    y = _outputs(io, torch.zeros(2000, 2), [[1.0, -1.0]] * 10)
    assert_std(y, math.sqrt(2) * 0.06)
    single = _outputs(IOParameters(mv_type=AnalogMVType.POS_NEG_SEPARATE, inp_res=-1,
                                   out_res=-1), torch.zeros(2000, 2), [[1.0, -1.0]] * 10)
    assert_std(single, 0.06)


def test_backward_output_noise():
    """§1.10: W = 0, max|δ| = 3 → std 3·sqrt(0.06² + Δ²/12) = 0.185."""
    w = torch.zeros(5, 2000, dtype=torch.float64)  # tile weights [d = 5, x = 2000]
    bwd = manager(IOParameters(), 2000, 5, backward=True)
    z = bwd.mvm(w.t(), tensor([[3.0, 1.0, 0.0, -2.0, 0.5]] * 10))
    std = 3 * math.sqrt(0.06 ** 2 + DELTA_OUT ** 2 / 12)
    assert std == pytest.approx(0.185, abs=1e-3)
    assert_std(z, std)


def test_every_bound_management_pass_redraws_noise():
    """A row retried to r = 8 carries noise 8·0.06, not the first pass's draw."""
    w = 0.5 * torch.ones(2000, 100)
    y = _outputs(IOParameters(inp_res=-1, out_res=-1), w, [[1.0] * 100] * 10)
    assert_std(y, 8 * 0.06)


def test_noise_management_scales_input_noise():
    """Input noise is in normalized units: NM scale 4 gives std 4·0.05 with W = 1."""
    y = _outputs(IOParameters(inp_noise=0.05, out_noise=0, out_res=-1, inp_res=-1),
                 [[1.0, 0.0]], torch.tensor([[0.5, 4.0]]).repeat(20000, 1))
    assert_std(y, 4 * 0.05)
    none = IOParameters(inp_noise=0.05, out_noise=0, out_res=-1, inp_res=-1,
                        noise_management=NoiseManagementType.NONE, inp_bound=10.0)
    y = _outputs(none, [[1.0, 0.0]], torch.tensor([[0.5, 4.0]]).repeat(20000, 1))
    assert_std(y, 0.05)


def test_runs_are_reproducible_from_the_seed():
    io = IOParameters(inp_noise=0.01, w_noise=0.02, w_noise_type=WeightNoiseType.PCM_READ)
    w = torch.rand(7, 9, dtype=torch.float64)
    x = torch.rand(5, 9, dtype=torch.float64)
    first = manager(io, 7, 9, seed=11).mvm(w, x)
    assert torch.equal(first, manager(io, 7, 9, seed=11).mvm(w, x))
    assert not torch.equal(first, manager(io, 7, 9, seed=12).mvm(w, x))
