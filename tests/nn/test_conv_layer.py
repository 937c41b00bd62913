"""Analog convolution layers: attributes, weights API, conversion, state, printing, every
tile family, and rejection of bad arguments and inputs."""

import copy
import math

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError
from aihwkit.nn import AnalogConv1d, AnalogConv2d, AnalogConv3d, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, MappingParameter,
    QuantizedTorchInferenceRPUConfig, SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.presets import TikiTakaIdealizedPreset
from aihwkit.simulator.tiles.analog import AnalogTile


def test_attributes_and_tile_layout():
    layer = AnalogConv2d(3, 4, (2, 3), rpu_config=FloatingPointRPUConfig())
    assert layer.weight is None and layer.bias is True
    assert (layer.in_features, layer.out_features) == (18, 4)
    assert [name for name, _ in layer.named_analog_tiles()] == ["analog_module"]
    assert (layer.analog_module.out_size, layer.analog_module.in_size) == (4, 18)
    weight, bias = layer.get_weights()
    assert weight.shape == (4, 18) and bias.shape == (4,)
    # torch's init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = 3 * 2 * 3
    bound = 1 / math.sqrt(18)
    assert weight.abs().max() <= bound and bias.abs().max() <= bound
    assert weight.std() > 0.3 * bound
    assert AnalogConv2d(3, 4, 2, bias=False).bias is False
    assert isinstance(AnalogConv2d(3, 4, 2).analog_module, AnalogTile)  # SingleRPUConfig


def test_groups_have_one_tile_each_and_torch_weight_layout():
    layer = AnalogConv2d(6, 4, 3, groups=2, rpu_config=FloatingPointRPUConfig())
    assert [name for name, _ in layer.named_analog_tiles()] == ["analog_groups.0",
                                                                 "analog_groups.1"]
    assert layer.analog_tile_count() == 2
    assert all((t.out_size, t.in_size) == (2, 27) for t in layer.analog_tiles())
    kernel = torch.randn(4, 3, 3, 3)
    bias = torch.randn(4)
    layer.set_weights(kernel, bias)
    weight, got_bias = layer.get_weights()
    assert torch.equal(weight, kernel.reshape(4, -1)) and torch.equal(got_bias, bias)
    assert torch.equal(layer.analog_groups[1].get_weights()[0], kernel[2:].reshape(2, -1))
    assert torch.equal(layer.analog_groups[1].get_weights()[1], bias[2:])
    depthwise = AnalogConv1d(5, 5, 3, groups=5)
    assert depthwise.analog_tile_count() == 5


def test_large_layer_on_the_config_tile_array_matches_torch():
    """A layer larger than the config's maximal tile size gets the config's default tile
    module (a tile array splitting the flattened patch)."""
    config = FloatingPointRPUConfig(mapping=MappingParameter(max_input_size=40))
    digital = nn.Conv2d(8, 3, 3, padding=1)
    layer = AnalogConv2d.from_digital(digital, config)
    assert layer.analog_tile_count() > 1
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(layer(x), digital(x), rtol=1e-5, atol=1e-5)
    assert torch.equal(AnalogConv2d.to_digital(layer).weight, digital.weight)


def test_set_weights_accepts_kernel_or_matrix():
    layer = AnalogConv3d(2, 3, (1, 2, 2), rpu_config=FloatingPointRPUConfig())
    kernel = torch.randn(3, 2, 1, 2, 2)
    layer.set_weights(kernel, torch.zeros(3))
    assert torch.equal(layer.get_weights()[0], kernel.reshape(3, 8))
    matrix = torch.randn(3, 8)
    layer.set_weights(matrix)
    assert torch.equal(layer.get_weights()[0], matrix)
    assert torch.equal(layer.get_weights()[1], torch.zeros(3))  # bias kept


@pytest.mark.parametrize("dims,digital_cls,analog_cls,kwargs", [
    (1, nn.Conv1d, AnalogConv1d, {"stride": 2, "padding": 1, "dilation": 2}),
    (2, nn.Conv2d, AnalogConv2d, {"padding": 1, "groups": 2, "padding_mode": "reflect"}),
    (2, nn.Conv2d, AnalogConv2d, {"padding": "same", "bias": False}),
    (3, nn.Conv3d, AnalogConv3d, {"stride": (1, 2, 1), "groups": 2}),
])
@pytest.mark.parametrize("config", [FloatingPointRPUConfig, InferenceRPUConfig])
def test_from_and_to_digital_round_trip_is_exact(dims, digital_cls, analog_cls, kwargs, config):
    """Exact for tiles without weight bounds (pulsed devices clip at their bounds)."""
    digital = digital_cls(4, 6, 3, **kwargs)
    analog = analog_cls.from_digital(digital, config())
    assert isinstance(analog, analog_cls)
    weight, bias = analog.get_weights()
    assert torch.equal(weight, digital.weight.detach().reshape(6, -1))
    assert (bias is None) == (digital.bias is None)
    back = analog_cls.to_digital(analog)
    assert type(back) is digital_cls
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                 "dilation", "groups", "padding_mode"):
        assert getattr(back, name) == getattr(digital, name), name
    assert torch.equal(back.weight, digital.weight)
    if digital.bias is not None:
        assert torch.equal(back.bias, digital.bias)
        assert torch.equal(bias, digital.bias.detach())
    x = torch.randn(2, 4, *([7] * dims))
    torch.testing.assert_close(back(x), digital(x), rtol=0, atol=0)


def test_to_digital_follows_tile_dtype():
    layer = AnalogConv2d(2, 3, 2, rpu_config=FloatingPointRPUConfig()).double()
    digital = AnalogConv2d.to_digital(layer)
    assert digital.weight.dtype == torch.float64
    x = torch.randn(2, 2, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(layer(x), digital(x), rtol=1e-12, atol=1e-12)


def test_from_digital_rejects_other_modules():
    with pytest.raises(ArgumentError, match="AnalogConv2d.from_digital needs a torch.nn.Conv2d"):
        AnalogConv2d.from_digital(nn.Conv1d(2, 3, 2), FloatingPointRPUConfig())


@pytest.mark.parametrize("make", [
    lambda c: AnalogConv2d(3, 4, 3, padding=1, rpu_config=c),
    lambda c: AnalogConv1d(4, 4, 3, groups=2, rpu_config=c),
    lambda c: AnalogConv3d(2, 2, 2, rpu_config=c),
])
@pytest.mark.parametrize("config", [SingleRPUConfig, InferenceRPUConfig, TorchInferenceRPUConfig])
def test_state_dict_round_trip_restores_weights(make, config):
    source = make(config())
    target = make(config())
    assert not torch.equal(source.get_weights()[0], target.get_weights()[0])
    target.load_state_dict(source.state_dict())
    for got, want in zip(target.get_weights(), source.get_weights()):
        assert torch.equal(got, want)
    clone = copy.deepcopy(source)
    assert torch.equal(clone.get_weights()[0], source.get_weights()[0])


def test_extra_repr_like_torch_plus_config():
    layer = AnalogConv2d(3, 4, 3, stride=2, padding=1, dilation=2, groups=1, bias=False,
                         padding_mode="reflect", rpu_config=InferenceRPUConfig())
    torch_text = nn.Conv2d(3, 4, 3, stride=2, padding=1, dilation=2, bias=False,
                           padding_mode="reflect").extra_repr()
    assert layer.extra_repr() == torch_text + ", InferenceRPUConfig"
    assert AnalogConv1d(2, 2, 1, groups=2).extra_repr() == \
        nn.Conv1d(2, 2, 1, groups=2).extra_repr() + ", SingleRPUConfig"


def test_use_indexed_is_accepted_and_gives_the_same_result():
    config = FloatingPointRPUConfig()
    layers = [AnalogConv2d(2, 3, 3, use_indexed=flag, rpu_config=config)
              for flag in (None, True, False)]
    for layer in layers[1:]:
        layer.set_weights(*layers[0].get_weights())
    x = torch.randn(2, 2, 6, 6)
    assert layers[1].use_indexed is True
    for layer in layers[1:]:
        assert torch.equal(layer(x), layers[0](x))


def _configs():
    single = SingleRPUConfig(device=ConstantStepDevice())
    return [FloatingPointRPUConfig(), single, TikiTakaIdealizedPreset(), InferenceRPUConfig(),
            TorchInferenceRPUConfig(), QuantizedTorchInferenceRPUConfig()]


def _tile_state(tile):
    state = [tile.get_weights()[0]]
    state += list(tile.get_hidden_parameters().values())
    return state


@pytest.mark.parametrize("config", _configs(), ids=lambda c: type(c).__name__)
def test_every_tile_family_trains(config):
    """Forward, backward and one AnalogSGD step through a small conv network change the
    state of every tile."""
    model = AnalogSequential(AnalogConv2d(2, 4, 3, padding=1, rpu_config=config), nn.Tanh(),
                             AnalogConv1d(4, 2, 2, groups=2, rpu_config=config))
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    before = [_tile_state(tile) for tile in model.analog_tiles()]
    x = torch.randn(3, 2, 1, 5)
    out = model[2](model[1](model[0](x)).flatten(2))
    assert out.shape == (3, 2, 4) and torch.isfinite(out).all()
    (out ** 2).sum().backward()
    opt.step()
    after = [_tile_state(tile) for tile in model.analog_tiles()]
    assert len(before) == 3
    for old, new in zip(before, after):
        assert any(not torch.equal(a, b) for a, b in zip(old, new))


# ---------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("kwargs,error,match", [
    ({"in_channels": 5, "groups": 2}, ValueError, "in_channels=5 must be divisible by groups=2"),
    ({"out_channels": 3, "groups": 2}, ValueError, "out_channels=3 must be divisible"),
    ({"groups": 0}, ArgumentError, "groups must be an integer >= 1"),
    ({"kernel_size": 0}, ArgumentError, "kernel_size must be an integer >= 1"),
    ({"kernel_size": (2, 2, 2)}, ArgumentError, "tuple of 2"),
    ({"stride": -1}, ArgumentError, "stride must be"),
    ({"dilation": 0}, ArgumentError, "dilation must be"),
    ({"padding": -1}, ArgumentError, "padding must be an integer >= 0"),
    ({"padding": "full"}, ValueError, "Invalid padding string"),
    ({"padding": "same", "stride": 2}, ValueError, "strided"),
    ({"padding_mode": "mirror"}, ValueError, "padding_mode"),
    ({"bias": 1}, ArgumentError, "bias must be a bool"),
    ({"in_channels": 0}, ArgumentError, "in_channels must be an integer >= 1"),
    ({"use_indexed": "yes"}, ArgumentError, "use_indexed"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    args = {"in_channels": 4, "out_channels": 4, "kernel_size": 2, **kwargs}
    with pytest.raises(error, match=match):
        AnalogConv2d(**args)


def _fp_layer():
    return AnalogConv2d(3, 4, 3, rpu_config=FloatingPointRPUConfig())


@pytest.mark.parametrize("x,match", [
    (torch.randn(2, 3, 5), r"AnalogConv2d: input has 2 channels, expected in_channels=3"),
    (torch.randn(5, 5), r"AnalogConv2d: input must have shape \[N, C, \*spatial\]"),
    (torch.randn(1, 2, 3, 5, 5), r"4 dimensions"),
    (torch.randn(2, 4, 5, 5), r"input has 4 channels"),
    (torch.randn(2, 3, 2, 5), r"smaller than the dilated kernel \(3, 3\)"),
    ([[1.0]], r"input must be a torch.Tensor"),
])
def test_bad_inputs_raise_and_leave_the_layer_unchanged(x, match):
    layer = AnalogConv2d(3, 4, 3)  # pulsed tile: a forward would store update traces
    before = layer.get_weights()
    with pytest.raises(ArgumentError, match=match):
        layer(x)
    after = layer.get_weights()
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])
    assert not layer.analog_module.analog_ctx.analog_input


@pytest.mark.parametrize("weight,bias,match", [
    (torch.randn(4, 3, 3), None, r"weight has shape \(4, 3, 3\), expected \(4, 3, 3, 3\) "
                                 r"or \(4, 27\)"),
    (torch.randn(4, 26), None, "weight has shape"),
    (torch.randn(4, 27), torch.randn(3), r"bias has shape \(3,\), expected \(4,\)"),
    ("weights", None, "weight cannot be converted"),
])
def test_set_weights_rejects_bad_shapes(weight, bias, match):
    layer = _fp_layer()
    before = layer.get_weights()
    with pytest.raises(ArgumentError, match="AnalogConv2d.set_weights: " + match):
        layer.set_weights(weight, bias)
    assert torch.equal(layer.get_weights()[0], before[0])


def test_set_weights_rejects_bias_without_bias():
    layer = AnalogConv1d(2, 2, 2, bias=False, groups=2, rpu_config=FloatingPointRPUConfig())
    with pytest.raises(ArgumentError, match="built with bias=False"):
        layer.set_weights(torch.randn(2, 1, 2), torch.randn(2))
