"""The compiled elementwise passes of the torch tile (``kernels.elementwise``).

* Normals: moments of the standard normal (mean, variance, fourth moment) within 4
  standard errors, reproducible under a seed.
* Quantization, clipping and the input-range gradient: exactly the torch operations they
  replace (float32 and float64), including masks and saturation flags.
* The torch tile with the compiled passes against the same tile on its torch code:
  identical outputs and gradients without noise, the output-noise std with noise.
"""

import math

import pytest
import torch

from aihwkit.exceptions import TileError
from aihwkit.simulator.configs import TorchInferenceRPUConfig
from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, WeightClipType, WeightModifierType)
from aihwkit.simulator.rpu_base.kernels import elementwise, fused
from aihwkit.simulator.rpu_base.weight_ops import modify_weights_torch
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

pytestmark = pytest.mark.skipif(not fused.available(), reason="numba is not installed")

DTYPES = [torch.float32, torch.float64]
Z = 4.0


def _torch_quantized(values, step):
    """The torch tile's quantizer ``v + (step rint(v / step) - v)``."""
    return (torch.round(values / step) * step - values) + values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1000, 1 << 18])
def test_normal_moments(dtype, size):
    scale = 0.3
    values = elementwise.normal(torch.empty(size, dtype=dtype), scale,
                                torch.Generator().manual_seed(4)) / scale
    assert values.dtype == dtype and values.shape == (size,)
    n = float(size)
    assert abs(float(values.mean())) < Z * math.sqrt(1 / n)
    # var of the sample variance 2/n, of the fourth moment (105 - 9)/n
    assert abs(float(values.square().mean()) - 1) < Z * math.sqrt(2 / n)
    assert abs(float((values ** 4).mean()) - 3) < Z * math.sqrt(96 / n)
    # the tail beyond the ziggurat's edge is drawn: P(|xi| > 3.44) = 5.8e-4
    if size > 100000:
        tail = float((values.abs() > 3.442619855899).double().mean())
        assert abs(tail - 5.77e-4) < Z * math.sqrt(5.77e-4 / n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_of_any_count(dtype):
    for count in (1, 2, 3, 4095, 4096, 4097, 16385, 40001):
        noise = elementwise.normal(torch.empty(count, dtype=dtype), 1.0,
                                   torch.Generator().manual_seed(count))
        assert bool(torch.isfinite(noise).all()) and bool((noise != 0).all())
        # float32 normals have |xi| <= sqrt(-2 ln 2^-24) = 5.77 (as torch's)
        assert dtype != torch.float32 or float(noise.abs().max()) <= 5.7683
        ones = torch.ones(count, dtype=dtype)
        noisy = elementwise.add_normal(ones, 2.0, torch.Generator().manual_seed(count))
        assert torch.allclose(noisy - ones, 2 * noise, atol=1e-6)


def test_normal_reproducible():
    like = torch.empty(300, 1000)
    first = elementwise.normal(like, 1.0, torch.Generator().manual_seed(9))
    again = elementwise.normal(like, 1.0, torch.Generator().manual_seed(9))
    other = elementwise.normal(like, 1.0, torch.Generator().manual_seed(10))
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_gradients_are_zero_where_torch_sets_zero(dtype):
    """Masked entries are 0 whatever the gradient holds there (also infinities), and the
    input-clip backward takes expanded gradients as torch does."""
    grad = torch.randn(6, 9, dtype=dtype)
    grad[0, 0] = float("inf")
    grad[2, 3] = -float("inf")
    mask = torch.ones(6, 9, dtype=torch.bool)
    mask[0, 0] = mask[2, 3] = mask[4, 4] = False
    assert torch.equal(elementwise.masked(grad, mask), torch.where(mask, grad, 0.0))
    raw = torch.randn(6, 9, dtype=dtype) * 2
    raw[0, 0] = 5.0                                   # clipped where the gradient is inf
    wide = torch.ones(6, 1, dtype=dtype).expand(6, 9) * float("inf")
    wide = wide.clone()
    wide[:, 1:] = 1.0
    spread = torch.full((1, 9), 0.5, dtype=dtype).expand(6, 9)     # stride 0 rows
    for gradient in (wide, spread):
        leaf = raw.clone().requires_grad_(True)
        limit = torch.tensor([1.25], dtype=dtype)
        (torch.clamp(leaf, -limit, limit) / limit).backward(gradient)
        grad_rows, _, _ = elementwise.clip_scale_backward(gradient, raw, 1.25, True)
        assert torch.equal(grad_rows, leaf.grad)


def test_add_normal_adds_the_same_draws():
    values = torch.rand(50, 70, dtype=torch.float64)
    noisy = elementwise.add_normal(values, 0.5, torch.Generator().manual_seed(1))
    noise = elementwise.normal(values, 0.5, torch.Generator().manual_seed(1))
    assert torch.allclose(noisy - values, noise, atol=1e-12)
    assert elementwise.add_normal(values.t(), 0.5, None) is None      # strided: torch
    assert elementwise.add_normal(values.half(), 0.5, None) is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("factor", ["one", "scalar", "rows"])
@pytest.mark.parametrize("step,bound", [(2 / 254, 1.0), (0.0, 1.0), (2 / 254, math.inf)])
def test_quantize_clip_is_exact(dtype, factor, step, bound):
    gen = torch.Generator().manual_seed(5)
    values = (torch.rand(33, 47, generator=gen, dtype=dtype) - 0.5) * 3
    scale = {"one": 1.0, "scalar": 0.37,
             "rows": torch.rand(33, generator=gen, dtype=dtype) + 0.5}[factor]
    expected = values * (scale.unsqueeze(1) if isinstance(scale, torch.Tensor) else scale)
    if step > 0:
        expected = _torch_quantized(expected, step)
    inside = (expected >= -bound) & (expected <= bound)
    expected = expected.clamp(-bound, bound)
    out, mask = elementwise.quantize_clip(values, scale, step, bound, True)
    assert torch.equal(out, expected)
    if bool(inside.all()):   # nothing clipped (or no bound): no mask needed
        assert mask is None
    else:
        assert mask is not None and torch.equal(mask, inside)
    small, no_mask = elementwise.quantize_clip(values * 0.1, 1.0, step, 10.0, True)
    assert no_mask is None and torch.equal(small, _torch_quantized(values * 0.1, step)
                                           if step > 0 else values * 0.1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_output_stage_quantizes_exactly_and_flags_saturation(dtype):
    values = torch.randn(64, 80, generator=torch.Generator().manual_seed(2), dtype=dtype) * 4
    step, bound = 20 / 254, 10.0
    expected = _torch_quantized(values, step)
    out = values.clone()
    flags = elementwise.output_stage_(out, 0.0, step, bound, None)
    assert torch.equal(out, expected)
    above, below = bool((expected > bound).any()), bool((expected < -bound).any())
    assert flags == (1 if above or below else 0) | (2 if above else 0) | (4 if below else 0)
    low = values.clamp(max=bound - 1)
    assert elementwise.output_stage_(low, 0.0, step, bound, None) & 2 == 0
    mask = elementwise.clip_masked_(out, bound)
    assert torch.equal(mask, (expected >= -bound) & (expected <= bound))
    assert torch.equal(out, expected.clamp(-bound, bound))
    grad = torch.randn(values.shape, dtype=dtype)
    assert torch.equal(elementwise.masked(grad, mask), torch.where(mask, grad, 0.0))


def test_output_stage_noise_std():
    values = torch.zeros(400, 500)
    elementwise.output_stage_(values, 0.07, 0.0, math.inf, torch.Generator().manual_seed(3))
    n = values.numel()
    assert abs(float(values.mean())) < Z * 0.07 / math.sqrt(n)
    assert abs(float(values.std()) / 0.07 - 1) < Z * math.sqrt(0.5 / n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_input_clip_matches_torch(dtype):
    gen = torch.Generator().manual_seed(8)
    wide = torch.randn(40, 130, generator=gen, dtype=dtype) * 2
    raw = wide[:, 7:67]            # rows of a wider matrix, as a tile's slice of a layer input
    raw[0, :5] = 1.25              # on the bound
    raw[1, :5] = -1.25
    bound = 1.25
    leaf = raw.clone().requires_grad_(True)
    limit = torch.tensor([bound], dtype=dtype)
    expected = torch.clamp(leaf, -limit, limit) / limit
    grad = torch.randn(expected.shape, generator=gen, dtype=dtype)
    expected.backward(grad)
    out, outside = elementwise.clip_scale(raw, bound)
    assert torch.equal(out, expected.detach())
    assert outside == int((raw.abs() >= bound).sum()) >= 10
    grad_rows, total, inside = elementwise.clip_scale_backward(grad, raw, bound, True)
    assert torch.equal(grad_rows, leaf.grad)
    scaled = grad / limit
    reference = ((scaled.clamp(max=0) * (raw >= bound)).sum()
                 - (scaled.clamp(min=0) * (raw <= -bound)).sum())
    assert math.isclose(total, float(reference), rel_tol=1e-5, abs_tol=1e-6)
    assert inside == int((raw.abs() < bound).sum())
    assert elementwise.clip_scale_backward(grad, raw, bound, False)[0] is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("offset", [0.0, 3.0, -40.0])
def test_std_matches_torch(dtype, offset):
    gen = torch.Generator().manual_seed(11)
    wide = torch.randn(300, 700, generator=gen, dtype=dtype) * 0.7 + offset
    for values in (wide, wide[:, 13:413]):     # contiguous, rows of a wider matrix
        expected = float(values.std())
        found = elementwise.std(values)
        if dtype == torch.float64:   # float64 sums in another order
            assert math.isclose(found, expected, rel_tol=1e-12)
        else:                        # the same float32 value, or its neighbour
            ulp = float(torch.tensor(expected).nextafter(torch.tensor(math.inf))) - expected
            assert abs(found - expected) <= ulp
    assert elementwise.std(torch.ones(1, dtype=dtype)) == 0.0
    spoiled = wide.clone()
    spoiled[7, 9] = math.inf
    assert math.isnan(elementwise.std(spoiled))
    spoiled[7, 9] = math.nan
    assert math.isnan(elementwise.std(spoiled[:, 5:20]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 15, 4099, 1 << 18])
def test_abs_max_matches_torch(dtype, size):
    gen = torch.Generator().manual_seed(size)
    values = torch.randn(size, generator=gen, dtype=dtype)   # |v| < 7.5
    assert elementwise.abs_max(values) == float(values.abs().max())
    values[size // 2] = -7.5      # the largest magnitude negative
    assert elementwise.abs_max(values) == 7.5
    values[size - 1] = -math.inf
    assert elementwise.abs_max(values) == math.inf
    values[0] = math.nan          # NaN wins over infinity, wherever it lies
    assert math.isnan(elementwise.abs_max(values))
    assert elementwise.abs_max(torch.full((size,), -0.0, dtype=dtype)) == 0.0
    assert elementwise.abs_max(torch.empty(0, dtype=dtype)) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp_matches_torch(dtype):
    gen = torch.Generator().manual_seed(4)
    values = torch.randn(5001, generator=gen, dtype=dtype)
    values[:4] = torch.tensor([math.nan, math.inf, -math.inf, 0.3], dtype=dtype)
    bound = 0.3000000001     # rounds to the values' type first, as torch converts scalars
    expected = values.clone().clamp_(-bound, bound)
    found = values.clone()
    version = found._version
    assert elementwise.clamp_(found, bound)
    assert found._version > version
    assert torch.equal(found[1:], expected[1:])
    assert math.isnan(float(found[0]))
    assert not elementwise.clamp_(values[::2], bound)    # not contiguous: left to torch


def _hwa_tile(out_noise=0.0, modifier=WeightModifierType.NONE, seed=0):
    config = TorchInferenceRPUConfig()
    config.forward.inp_res = 1 / 254
    config.forward.out_res = 1 / 254
    config.forward.out_noise = out_noise
    config.forward.out_bound = 0.5
    config.forward.noise_management = NoiseManagementType.NONE
    config.forward.bound_management = BoundManagementType.NONE
    config.modifier.type = modifier
    config.modifier.std_dev = 0.02
    config.clip.type = WeightClipType.LAYER_GAUSSIAN
    config.pre_post.input_range.enable = True
    config.pre_post.input_range.init_value = 1.5
    config.pre_post.input_range.decay = 0.01
    torch.manual_seed(seed)
    tile = TorchInferenceTile(24, 40, config)
    tile.set_weights(torch.rand(24, 40, generator=torch.Generator().manual_seed(1)) - 0.5)
    tile.train()
    return tile


def _forward_backward(tile, seed=6):
    gen = torch.Generator().manual_seed(seed)
    x = ((torch.rand(32, 40, generator=gen) - 0.5) * 5).requires_grad_(True)
    out = tile(x)
    (out * (torch.rand(out.shape, generator=gen) - 0.5)).sum().backward()
    return (out.detach(), x.grad, tile.tile.weight.grad, tile.input_range.grad)


def _switch_off(monkeypatch):
    """Every compiled pass of this module off (the callers' torch code runs)."""
    monkeypatch.setattr(elementwise, "applies", lambda tensor: False)
    monkeypatch.setattr(elementwise, "available", lambda: False)


def test_torch_tile_same_without_noise(monkeypatch):
    compiled = _forward_backward(_hwa_tile())
    _switch_off(monkeypatch)
    reference = _forward_backward(_hwa_tile())
    peak = reference[0].abs().max()
    assert int((reference[0].abs() == peak).sum()) > 3    # some outputs saturate
    assert torch.equal(compiled[0], reference[0])
    assert torch.equal(compiled[1], reference[1])
    assert torch.equal(compiled[2], reference[2])
    assert torch.allclose(compiled[3], reference[3], rtol=1e-5)


def _grad_chain(tensor):
    """Names of the autograd nodes reachable from ``tensor``."""
    names, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and type(node).__name__ not in names:
            names.add(type(node).__name__)
            todo.extend(next_node for next_node, _ in node.next_functions)
    return names


@pytest.mark.parametrize("decay, min_percentage", [(0.01, 0.95), (0.01, 1.0), (0.0, 0.95)])
def test_unclipped_inputs_skip_the_input_gradient(decay, min_percentage):
    """Inputs inside the range that need no gradient: the range gradient comes from the
    output node, the product computes no input gradient, and outputs and gradients are
    those of the full graph (the same inputs with ``requires_grad``)."""
    results = []
    for input_grad in (False, True):
        tile = _hwa_tile(out_noise=0.03, modifier=WeightModifierType.ADD_NORMAL, seed=4)
        tile.input_range_parameter.decay = decay
        tile.input_range_parameter.input_min_percentage = min_percentage
        tile.input_range_parameter.init_from_data = 0
        gen = torch.Generator().manual_seed(9)
        x = (torch.rand(32, 40, generator=gen) - 0.5) * 2.9   # |x| < 1.45 < 1.5
        x.requires_grad_(input_grad)
        out = tile(x)
        shortcut = any("UnclippedRangeGrad" in name for name in _grad_chain(out))
        assert shortcut is not input_grad
        (out * (torch.rand(out.shape, generator=gen) - 0.5)).sum().backward()
        results.append((out.detach(), tile.tile.weight.grad, tile.input_range.grad))
    for fast, full in zip(*results):
        assert torch.equal(fast, full)
    expected = 0.01 * 1.5 if decay > 0 and min_percentage < 1 else 0.0
    assert math.isclose(float(results[0][2]), expected, rel_tol=1e-6)


def test_clipped_inputs_keep_the_clip_gradient(monkeypatch):
    """Inputs on and beyond the bound: the compiled clip's graph (range gradient from the clip
    sums), the same gradients as the torch code."""
    results = []
    for compiled in (True, False):
        if not compiled:
            _switch_off(monkeypatch)
        tile = _hwa_tile(seed=2)
        tile.input_range_parameter.init_from_data = 0
        gen = torch.Generator().manual_seed(5)
        x = (torch.rand(16, 40, generator=gen) - 0.5) * 2
        x[3] = 1.5     # a row on the bound, one beyond it
        x[4] = -1.7
        out = tile(x)
        assert not any("UnclippedRangeGrad" in name for name in _grad_chain(out))
        out.backward(torch.rand(out.shape, generator=gen) - 0.5)
        results.append((tile.tile.weight.grad, tile.input_range.grad))
    assert torch.equal(results[0][0], results[1][0])
    assert torch.allclose(results[0][1], results[1][1], rtol=1e-5)
    assert abs(float(results[0][1]) - 0.01 * 1.5) > 1e-4   # the clip sum contributes


@pytest.mark.parametrize("dtype", DTYPES)
def test_range_from_data_rounds_as_the_tensor_expression(dtype):
    tile = TorchInferenceTile(24, 40, _hwa_tile().rpu_config).to(dtype)
    tile.train()
    params = tile.input_range_parameter
    expected = tile.input_range.detach().clone()
    gen = torch.Generator().manual_seed(3)
    for idx in range(6):
        x = (torch.rand(32, 40, generator=gen, dtype=dtype) - 0.5) * (idx + 1)
        spread = elementwise.std(x)
        expected = ((expected * float(idx) + params.init_std_alpha * spread)
                    / (float(idx) + 1)).abs()
        tile(x)
        assert torch.equal(tile.input_range.detach(), expected)
        assert float(tile.input_range_update_idx) == idx + 1


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_refused_with_the_range_untouched(monkeypatch, compiled, training,
                                                           bad):
    if not compiled:
        _switch_off(monkeypatch)
    tile = _hwa_tile(modifier=WeightModifierType.ADD_NORMAL)
    tile.train(training)
    tile(torch.rand(8, 40) - 0.5)
    before = {key: value.clone() for key, value in tile.state_dict().items()
              if isinstance(value, torch.Tensor)}
    rng_state = tile._rng.generator.get_state()
    x = torch.rand(8, 40) - 0.5
    x[5, 33] = bad
    with pytest.raises(TileError, match="x holds"):
        tile(x)
    after = tile.state_dict()
    for key, value in before.items():
        assert torch.equal(after[key], value), key
    assert torch.equal(tile._rng.generator.get_state(), rng_state)


def test_torch_tile_noise_std_on_both_paths(monkeypatch):
    n = 2000 * 24
    for compiled in (True, False):
        if not compiled:
            _switch_off(monkeypatch)
        tile = _hwa_tile(out_noise=0.05)
        tile.rpu_config.forward.out_res = 0.0
        tile.rpu_config.forward.out_bound = 0.0   # unbounded
        tile.set_weights(torch.zeros(24, 40))
        with torch.no_grad():
            out = tile(torch.zeros(2000, 40))
        # outputs in units of the input range 1.5
        assert abs(float(out.std()) / (0.05 * 1.5) - 1) < Z * math.sqrt(0.5 / n)


@pytest.mark.parametrize("compiled", [True, False])
def test_add_normal_modifier_std_and_gradient(monkeypatch, compiled):
    if not compiled:
        _switch_off(monkeypatch)
    modifier = TorchInferenceRPUConfig().modifier
    modifier.type = WeightModifierType.ADD_NORMAL
    modifier.std_dev = 0.02
    weights = (torch.rand(300, 400, generator=torch.Generator().manual_seed(3)) - 0.5)
    weights.requires_grad_(True)
    noisy = modify_weights_torch(weights, modifier, None, torch.Generator().manual_seed(4))
    noise = (noisy - weights).detach()
    n = noise.numel()
    amplitude = float(weights.detach().abs().max())
    assert abs(float(noise.mean())) < Z * 0.02 * amplitude / math.sqrt(n)
    assert abs(float(noise.std()) / (0.02 * amplitude) - 1) < Z * math.sqrt(0.5 / n)
    noisy.sum().backward()
    assert torch.equal(weights.grad, torch.ones_like(weights))
