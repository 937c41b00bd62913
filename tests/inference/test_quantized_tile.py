"""``QuantizedTorchInferenceTile``: fake-quantized digital periphery and outputs.

All checks are deterministic (perfect forward or identical seeds): grids against an
independent float64 reference quantizer, straight-through gradients against closed forms.
"""

import copy
import pickle

import pytest
import torch

from aihwkit.exceptions import ConfigError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    QuantizedTorchInferenceRPUConfig, TorchInferenceRPUConfig, WeightModifierType)
from aihwkit.simulator.parameters.pre_post import PeripheryQuantizationParameter
from aihwkit.simulator.parameters.quantization import ActivationQuantConfig
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile
from aihwkit.simulator.tiles.quantized_inference_torch import (
    MinMaxFakeQuantizer, QuantizedTorchInferenceTile)


def reference_quantize(values, n_bits, symmetric):
    """Min-max fake quantization in float64: ``(levels, step, zero point)``."""
    v = values.detach().double()
    if symmetric:
        step = v.abs().max() / (2 ** (n_bits - 1) - 1)
        k = torch.clamp(torch.round(v / step), -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1)
        return k * step, step, 0.0
    step = (v.max() - v.min()) / (2 ** n_bits - 1)
    zero = torch.round(-v.min() / step)
    k = torch.clamp(torch.round(v / step) + zero, 0, 2 ** n_bits - 1)
    return (k - zero) * step, step, zero


def assert_on_grid(values, n_bits, symmetric, step, zero):
    """At most ``2**n_bits`` distinct values, each ``(k - zero)·step`` with an integer
    ``k`` in the grid's index range."""
    k = values.double() / step + zero
    assert torch.allclose(k, torch.round(k), atol=1e-4)
    low, high = (-(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1) if symmetric \
        else (0, 2 ** n_bits - 1)
    assert int(torch.round(k).min()) >= low and int(torch.round(k).max()) <= high
    assert torch.unique(torch.round(k)).numel() <= 2 ** n_bits


def quant_config(n_bits=0, symmetric=True, act=None, **mapping):
    """A quantized config with a perfect forward."""
    config = QuantizedTorchInferenceRPUConfig()
    config.forward.is_perfect = True
    config.pre_post.periph_quant = PeripheryQuantizationParameter(n_bits=n_bits,
                                                                  symmetric=symmetric)
    config.act_quant_config = act
    for key, value in mapping.items():
        setattr(config.mapping, key, value)
    return config


def hwa_config(config):
    """Noisy forward, learned input range, modifier, learned and mapped output scales."""
    config.pre_post.input_range.enable = True
    config.pre_post.input_range.init_from_data = 2
    config.mapping.learn_out_scaling = True
    config.mapping.out_scaling_columnwise = True
    config.mapping.weight_scaling_omega = 1.0
    config.mapping.weight_scaling_columnwise = True
    config.modifier.type = WeightModifierType.ADD_NORMAL
    config.modifier.std_dev = 0.05
    return config


# ---------------------------------------------------------------------- quantization off
@pytest.mark.parametrize("act", [None, ActivationQuantConfig(n_bits=0)])
def test_off_equals_torch_tile(act):
    gen = torch.Generator().manual_seed(3)
    weights, bias = torch.randn(6, 5, generator=gen), torch.randn(6, generator=gen)
    alpha = torch.rand(6, generator=gen) + 0.5
    config = hwa_config(QuantizedTorchInferenceRPUConfig())
    config.act_quant_config = act
    tiles = []
    for cls, cfg in ((TorchInferenceTile, hwa_config(TorchInferenceRPUConfig())),
                     (QuantizedTorchInferenceTile, config)):
        torch.manual_seed(11)
        tile = cls(6, 5, cfg, bias=True)
        tile.set_weights(weights, bias)
        tile.set_learned_out_scales(alpha)
        tiles.append(tile)
    plain, quant = tiles
    for _ in range(3):
        x = torch.randn(4, 5, generator=gen) * 2
        g = torch.randn(4, 6, generator=gen)
        outs = [tile(x) for tile in tiles]
        assert torch.equal(outs[0], outs[1])
        for out in outs:
            (out * g).sum().backward()
        grads = [{name: p.grad for name, p in tile.named_parameters()} for tile in tiles]
        assert grads[0].keys() == grads[1].keys()
        for name, grad in grads[0].items():
            other = grads[1][name]
            assert (grad is None and other is None) or torch.equal(grad, other), name
    for tile in tiles:
        tile.eval()
    x = torch.randn(4, 5, generator=gen)
    assert torch.equal(plain(x), quant(x))
    assert plain.state_dict().keys() == quant.state_dict().keys()


def test_fine_grid_follows_torch_tile():
    """24-bit periphery: the quantized data path (noise, modifier, input range, mapping
    and learned scales, bias) matches the torch tile to float precision."""
    gen = torch.Generator().manual_seed(8)
    weights, bias = torch.randn(6, 5, generator=gen), torch.randn(6, generator=gen)
    alpha = torch.rand(6, generator=gen) + 0.5
    config = hwa_config(QuantizedTorchInferenceRPUConfig())
    config.pre_post.periph_quant.n_bits = 24
    tiles = []
    for cls, cfg in ((TorchInferenceTile, hwa_config(TorchInferenceRPUConfig())),
                     (QuantizedTorchInferenceTile, config)):
        torch.manual_seed(12)
        tile = cls(6, 5, cfg, bias=True)
        tile.set_weights(weights, bias)
        tile.set_learned_out_scales(alpha)
        tiles.append(tile)
    for _ in range(3):
        x = torch.randn(4, 5, generator=gen) * 2
        g = torch.randn(4, 6, generator=gen)
        outs = [tile(x) for tile in tiles]
        assert torch.allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)
        assert not torch.equal(outs[0], outs[1])  # the quantized path was taken
        for out in outs:
            (out * g).sum().backward()
    grads = [dict(tile.named_parameters()) for tile in tiles]
    for name in ("tile.weight", "bias", "out_scaling_alpha", "input_range"):
        assert torch.allclose(grads[0][name].grad, grads[1][name].grad, rtol=1e-4,
                              atol=1e-5), name
    for tile in tiles:
        tile.eval()
    x = torch.randn(4, 5, generator=gen)
    assert torch.allclose(tiles[0](x), tiles[1](x), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------- grids
@pytest.mark.parametrize("n_bits", [2, 3, 5])
@pytest.mark.parametrize("symmetric", [True, False])
def test_learned_scales_on_grid(n_bits, symmetric):
    config = quant_config(n_bits, symmetric, learn_out_scaling=True,
                          out_scaling_columnwise=True)
    tile = QuantizedTorchInferenceTile(20, 20, config, bias=True)
    tile.set_weights(torch.eye(20), torch.zeros(20))
    alpha = torch.rand(20, generator=torch.Generator().manual_seed(n_bits)) * 1.4 + 0.3
    tile.set_learned_out_scales(alpha)
    out = tile(torch.eye(20)).detach()
    assert torch.count_nonzero(out - torch.diag(torch.diagonal(out))) == 0
    quantized = torch.diagonal(out)
    expected, step, zero = reference_quantize(alpha, n_bits, symmetric)
    assert torch.allclose(quantized.double(), expected, atol=1e-6)
    assert_on_grid(quantized, n_bits, symmetric, step, zero)
    assert float((quantized.double() - alpha.double()).abs().max()) <= step / 2 + 1e-6
    assert not torch.allclose(quantized, alpha, atol=1e-3)  # rounding did happen


@pytest.mark.parametrize("symmetric", [True, False])
def test_bias_on_grid(symmetric):
    tile = QuantizedTorchInferenceTile(16, 3, quant_config(3, symmetric), bias=True)
    bias = torch.randn(16, generator=torch.Generator().manual_seed(5))
    tile.set_weights(torch.zeros(16, 3), bias)
    out = tile(torch.randn(2, 3)).detach()
    expected, step, zero = reference_quantize(bias, 3, symmetric)
    assert torch.allclose(out[0].double(), expected, atol=1e-6)
    assert torch.equal(out[0], out[1])
    assert_on_grid(out[0], 3, symmetric, step, zero)


def test_merged_scales_quantized_as_one_tensor():
    """Input range × mapping scales × learned scales share one grid."""
    config = quant_config(4, True, learn_out_scaling=True, out_scaling_columnwise=True,
                          weight_scaling_omega=1.0, weight_scaling_columnwise=True)
    config.pre_post.input_range.enable = True
    config.pre_post.input_range.init_value = 2.0
    config.pre_post.input_range.init_from_data = 0
    tile = QuantizedTorchInferenceTile(8, 8, config)
    gen = torch.Generator().manual_seed(9)
    diag = torch.rand(8, generator=gen) * 1.5 + 0.5
    alpha = torch.rand(8, generator=gen) + 0.5
    tile.set_weights(torch.diag(diag))  # mapping scales = diag, tile weights = I
    tile.set_learned_out_scales(alpha)
    merged = tile.merged_scales().detach()
    assert torch.allclose(merged, 2.0 * diag * alpha)
    out = tile(0.5 * torch.eye(8)).detach()  # tile output 0.25 · I (inputs / r)
    expected, step, zero = reference_quantize(merged, 4, True)
    assert torch.allclose(torch.diagonal(out).double(), 0.25 * expected, atol=1e-6)
    assert_on_grid(4.0 * torch.diagonal(out), 4, True, step, zero)


# ---------------------------------------------------------------------- gradients
def test_straight_through_gradients_of_periphery():
    config = quant_config(3, True, learn_out_scaling=True, out_scaling_columnwise=True)
    tile = QuantizedTorchInferenceTile(6, 5, config, bias=True)
    gen = torch.Generator().manual_seed(1)
    weights, bias = torch.randn(6, 5, generator=gen), torch.randn(6, generator=gen)
    alpha = torch.rand(6, generator=gen) + 0.5
    tile.set_weights(weights, bias)
    tile.set_learned_out_scales(alpha)
    x = torch.randn(8, 5, generator=gen, requires_grad=True)
    g = torch.randn(8, 6, generator=gen)
    out = tile(x)
    (out * g).sum().backward()
    q_alpha = reference_quantize(alpha, 3, True)[0].float()
    q_bias = reference_quantize(bias, 3, True)[0].float()
    analog = x.detach() @ weights.t()
    assert torch.allclose(out, analog * q_alpha + q_bias, atol=1e-5)
    assert torch.allclose(tile.tile.weight.grad, (g * q_alpha).t() @ x.detach(), atol=1e-5)
    assert torch.allclose(tile.out_scaling_alpha.grad, (g * analog).sum(0), atol=1e-5)
    assert torch.allclose(tile.bias.grad, g.sum(0), atol=1e-6)
    assert torch.allclose(x.grad, (g * q_alpha) @ weights, atol=1e-5)


def test_activation_quantizer_running_estimate_and_clipped_gradient():
    quantizer = MinMaxFakeQuantizer(ActivationQuantConfig(n_bits=4, symmetric=False),
                                    True, torch.float64)
    first = torch.linspace(-1.0, 3.0, 50, dtype=torch.float64, requires_grad=True)
    out = quantizer(first)
    assert float(quantizer.range_min) == -1.0 and float(quantizer.range_max) == 3.0
    out.sum().backward()
    assert torch.equal(first.grad, torch.ones_like(first))  # all inside the range
    second = torch.linspace(-5.0, 13.0, 50, dtype=torch.float64, requires_grad=True)
    out = quantizer(second)
    assert torch.isclose(quantizer.range_min, torch.tensor([-1.4], dtype=torch.float64))
    assert torch.isclose(quantizer.range_max, torch.tensor([4.0], dtype=torch.float64))
    out.sum().backward()
    step = 5.4 / 15
    zero = round(1.4 / step)
    scaled = second.detach() / step + zero
    inside = (scaled >= -0.5) & (scaled <= 15.5)  # rounds onto the grid
    assert torch.equal(second.grad, inside.double())
    assert 0 < int(inside.sum()) < 50
    assert int(quantizer.batches) == 2
    quantizer.eval()
    quantizer(second * 10)
    assert int(quantizer.batches) == 2
    assert torch.isclose(quantizer.range_max, torch.tensor([4.0], dtype=torch.float64))


def test_untrained_running_quantizer_uses_batch_range_in_eval():
    quantizer = MinMaxFakeQuantizer(ActivationQuantConfig(n_bits=3), True, torch.float64)
    quantizer.eval()
    values = torch.tensor([-2.0, 0.5, 3.0], dtype=torch.float64)
    expected = reference_quantize(values, 3, True)[0]
    assert torch.allclose(quantizer(values), expected)
    assert int(quantizer.batches) == 0 and float(quantizer.range_max) == 0.0


def test_learned_range_gradient_closed_form():
    """Symmetric 3 bits, r = 3 (step 1): d out/d r = Σ (round(v/Δ) - v/Δ inside,
    the clipped level outside) / q_max."""
    config = ActivationQuantConfig(n_bits=3, learn_quant_params=True, init_learning_after=2)
    quantizer = MinMaxFakeQuantizer(config, True, torch.float64)
    for _ in range(2):
        values = torch.randn(10, dtype=torch.float64, requires_grad=True)
        quantizer(values).sum().backward()
        assert quantizer.range_min.grad is None and quantizer.range_max.grad is None
    assert quantizer.is_learning()
    with torch.no_grad():
        quantizer.range_min.fill_(-0.5)
        quantizer.range_max.fill_(3.0)
    values = torch.tensor([0.25, 1.5, 5.0, -7.0], dtype=torch.float64, requires_grad=True)
    out = quantizer(values)
    assert torch.equal(out.detach(), torch.tensor([0.0, 2.0, 3.0, -4.0],
                                                  dtype=torch.float64))
    out.sum().backward()
    assert torch.isclose(quantizer.range_max.grad, torch.tensor([-0.75 / 3],
                                                               dtype=torch.float64))
    assert float(quantizer.range_min.grad) == 0.0
    assert torch.equal(values.grad, torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=torch.float64))
    assert float(quantizer.range_max.detach()) == 3.0  # not re-estimated once learning


def test_current_estimate_follows_the_tensor_in_eval():
    quantizer = MinMaxFakeQuantizer(PeripheryQuantizationParameter(n_bits=2, symmetric=False),
                                    False, torch.float64)
    quantizer.eval()
    values = torch.tensor([1.0, 1.6, 3.3, 4.0], dtype=torch.float64)
    assert torch.equal(quantizer(values), torch.tensor([1.0, 2.0, 3.0, 4.0],
                                                       dtype=torch.float64))
    assert torch.equal(quantizer(values * 2), torch.tensor([2.0, 4.0, 6.0, 8.0],
                                                           dtype=torch.float64))


# ---------------------------------------------------------------------- training
def _train(optimizer_class, quantized=True, steps=30):
    config = QuantizedTorchInferenceRPUConfig()
    if not quantized:
        layer = AnalogLinear(6, 3, rpu_config=config)
        return _fit(layer, optimizer_class, steps)
    config.pre_post.periph_quant = PeripheryQuantizationParameter(
        n_bits=6, learn_quant_params=True, init_learning_after=5)
    config.act_quant_config = ActivationQuantConfig(n_bits=8, symmetric=False,
                                                    learn_quant_params=True,
                                                    init_learning_after=5)
    config.mapping.learn_out_scaling = True
    return _fit(AnalogLinear(6, 3, rpu_config=config), optimizer_class, steps)


def _fit(layer, optimizer_class, steps):
    gen = torch.Generator().manual_seed(4)
    target = torch.randn(3, 6, generator=gen) * 0.5
    x = torch.randn(32, 6, generator=gen)
    y = x @ target.t()
    optimizer = optimizer_class(layer.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return layer.analog_module, losses


@pytest.mark.parametrize("optimizer_class", [AnalogSGD, torch.optim.SGD])
def test_analog_linear_trains_with_default_config(optimizer_class):
    tile, losses = _train(optimizer_class, quantized=False)
    assert isinstance(tile, QuantizedTorchInferenceTile) and tile.act_quantizer is None
    assert losses[-1] < 0.3 * losses[0]


@pytest.mark.parametrize("optimizer_class", [AnalogSGD, torch.optim.SGD])
def test_analog_linear_trains(optimizer_class):
    tile, losses = _train(optimizer_class)
    assert losses[-1] < 0.3 * losses[0]
    assert tile.act_quantizer.is_learning()
    assert tile.act_quantizer.range_max.grad is not None
    assert tile.periph_bias_quantizer.range_max.grad is not None


# ---------------------------------------------------------------------- state
def _trained_tile():
    config = quant_config(5, False, act=ActivationQuantConfig(
        n_bits=6, learn_quant_params=True, init_learning_after=1), learn_out_scaling=True)
    config.forward.is_perfect = False
    tile = QuantizedTorchInferenceTile(4, 3, config, bias=True)
    tile.set_weights(torch.randn(4, 3), torch.randn(4))
    optimizer = AnalogSGD(tile.parameters(), lr=0.05)
    for _ in range(3):
        optimizer.zero_grad()
        tile(torch.randn(5, 3)).pow(2).sum().backward()
        optimizer.step()
    return tile


def test_state_dict_round_trip():
    tile = _trained_tile()
    assert float(tile.act_quantizer.range_max.detach()) != 0.0
    torch.manual_seed(99)
    config = quant_config(learn_out_scaling=True)  # quantization off
    config.forward.is_perfect = False
    fresh = QuantizedTorchInferenceTile(4, 3, config, bias=True)
    fresh.load_state_dict(tile.state_dict())
    assert fresh.act_quantizer is not None and fresh.periph_scale_quantizer is not None
    for (name, value), (other_name, other) in zip(tile.state_dict().items(),
                                                  fresh.state_dict().items()):
        assert name == other_name
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, other), name
    assert int(fresh.act_quantizer.batches) == 3
    tile.eval()
    fresh.eval()
    x = torch.randn(6, 3)
    assert torch.equal(tile(x), fresh(x))


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))])
def test_copies_continue_identically(clone):
    tile = _trained_tile()
    other = clone(tile)
    x = torch.randn(5, 3)
    for _ in range(2):
        assert torch.equal(tile(x), other(x))  # noisy training forward, same stream
    for name, value in tile.state_dict().items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, other.state_dict()[name]), name
    assert isinstance(other.act_quantizer.range_max, torch.nn.Parameter)


def test_config_change_rebuilds_quantizers():
    tile = QuantizedTorchInferenceTile(3, 2, quant_config(), bias=True)
    assert tile.act_quantizer is None and tile.periph_scale_quantizer is None
    tile.rpu_config.act_quant_config = ActivationQuantConfig(n_bits=2, symmetric=False)
    tile.rpu_config.pre_post.periph_quant.n_bits = 4
    out = tile(torch.randn(7, 2)).detach()
    assert tile.act_quantizer is not None and tile.periph_bias_quantizer is not None
    assert torch.unique(out).numel() <= 4
    tile.rpu_config.act_quant_config.n_bits = -1
    with pytest.raises(ConfigError, match="ActivationQuantConfig.n_bits"):
        tile(torch.randn(7, 2))


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("field, value, match", [
    ("n_bits", -1, "PeripheryQuantizationParameter.n_bits"),
    ("n_bits", 33, "PeripheryQuantizationParameter.n_bits"),
    ("n_bits", 2.5, "PeripheryQuantizationParameter.n_bits"),
    ("n_bits", 1, "symmetric"),
    ("init_learning_after", -3, "PeripheryQuantizationParameter.init_learning_after"),
    ("symmetric", "yes", "PeripheryQuantizationParameter.symmetric"),
    ("learn_quant_params", 1, "PeripheryQuantizationParameter.learn_quant_params"),
])
def test_invalid_periphery_settings(field, value, match):
    config = QuantizedTorchInferenceRPUConfig()
    setattr(config.pre_post.periph_quant, field, value)
    with pytest.raises(ConfigError, match=match):
        QuantizedTorchInferenceTile(3, 2, config)


def test_invalid_activation_settings():
    config = QuantizedTorchInferenceRPUConfig(act_quant_config=ActivationQuantConfig(n_bits=-2))
    with pytest.raises(ConfigError, match="ActivationQuantConfig.n_bits"):
        QuantizedTorchInferenceTile(3, 2, config)
    config.act_quant_config = {"n_bits": 4}
    with pytest.raises(ConfigError, match="act_quant_config"):
        QuantizedTorchInferenceTile(3, 2, config)


def test_asymmetric_one_bit_is_allowed():
    config = quant_config(1, False)
    tile = QuantizedTorchInferenceTile(6, 2, config, bias=True)
    tile.set_weights(torch.zeros(6, 2), torch.tensor([0.1, 0.2, 0.7, 0.9, 1.0, 0.3]))
    out = tile(torch.zeros(1, 2)).detach()
    # step 0.9, zero point round(-0.1 / 0.9) = 0: levels {0, 0.9}
    assert torch.allclose(out, torch.tensor([[0.0, 0.0, 0.9, 0.9, 0.9, 0.0]]))
