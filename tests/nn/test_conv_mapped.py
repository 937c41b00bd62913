"""Convolutions split over tile arrays: split rule, equality with the unsplit layer,
per-tile updates, bias handling, conversion and errors."""

import pytest
import torch
from torch import nn

from aihwkit.exceptions import AnalogBiasConfigError, ArgumentError, ModuleError
from aihwkit.nn import (
    AnalogConv1d, AnalogConv1dMapped, AnalogConv2d, AnalogConv2dMapped, AnalogConv3d,
    AnalogConv3dMapped)
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, MappingParameter, SingleRPUConfig,
    TorchInferenceRPUConfig)
from aihwkit.simulator.configs.devices import ConstantStepDevice


def _mapping(max_in, max_out):
    return MappingParameter(max_input_size=max_in, max_output_size=max_out)


def _perfect_single(max_in, max_out):
    # no device-to-device spread of the bounds: every tile clips at the same +-0.6
    device = ConstantStepDevice(w_max_dtod=0.0, w_min_dtod=0.0)
    config = SingleRPUConfig(device=device, mapping=_mapping(max_in, max_out))
    config.forward.is_perfect = True
    config.backward.is_perfect = True
    return config


@pytest.mark.parametrize("channels,outputs,kernel,limits,in_sizes,out_sizes", [
    (10, 4, 1, (4, 3), [4, 3, 3], [2, 2]),
    (6, 6, 2, (11, 3), [3, 3], [3, 3]),     # 11 // 2 = 5 channels per tile at most
    (6, 6, 2, (12, 4), [6], [3, 3]),
    (5, 3, 2, (0, 0), [5], [3]),
    (5, 3, 2, (-1, 8), [5], [3]),
    (2, 2, 3, (100, 2), [2], [2]),
])
def test_split_rule(channels, outputs, kernel, limits, in_sizes, out_sizes):
    layer = AnalogConv1dMapped(channels, outputs, kernel,
                               rpu_config=FloatingPointRPUConfig(mapping=_mapping(*limits)))
    assert (layer.in_sizes, layer.out_sizes) == (in_sizes, out_sizes)
    assert layer.analog_tile_count() == len(in_sizes) * len(out_sizes)


def test_verified_split_of_a_2d_layer():
    layer = AnalogConv2dMapped(5, 7, 3, rpu_config=SingleRPUConfig(mapping=_mapping(20, 3)))
    assert layer.in_sizes == [2, 2, 1] and layer.out_sizes == [3, 2, 2]
    names = [name for name, _ in layer.named_analog_tiles()]
    assert names == [f"array.{i}.{j}" for i in range(3) for j in range(3)]
    sizes = [(tile.in_size, tile.out_size) for tile in layer.analog_tiles()]
    assert sizes == [(18, 3), (18, 2), (18, 2)] * 2 + [(9, 3), (9, 2), (9, 2)]
    assert layer.weight is None
    assert isinstance(layer.bias, nn.Parameter) and layer.bias.shape == (7,)
    assert all(not tile.use_bias for tile in layer.analog_tiles())
    assert layer.get_weights()[0].shape == (7, 45)


def test_no_split_and_tile_class():
    layer = AnalogConv1dMapped(4, 3, 3, bias=False,
                               rpu_config=InferenceRPUConfig(mapping=_mapping(0, 0)))
    assert layer.analog_tile_count() == 1 and layer.bias is None
    assert type(next(layer.analog_tiles())).__name__ == "InferenceTile"
    assert "bias=False, InferenceRPUConfig" in layer.extra_repr()


CASES = [
    (1, {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2}, (13,), (7, 5)),
    (2, {"kernel_size": (2, 3), "padding": 1, "padding_mode": "circular"}, (6, 7), (13, 4)),
    (2, {"kernel_size": 3, "stride": 2, "dilation": 2, "bias": False}, (9, 9), (20, 3)),
    (3, {"kernel_size": 2, "padding": (1, 0, 1)}, (4, 4, 3), (17, 2)),
]
MAPPED = {1: AnalogConv1dMapped, 2: AnalogConv2dMapped, 3: AnalogConv3dMapped}
SINGLE = {1: AnalogConv1d, 2: AnalogConv2d, 3: AnalogConv3d}


@pytest.mark.parametrize("perfect", [False, True], ids=["floating_point", "perfect_single"])
@pytest.mark.parametrize("dims,kwargs,spatial,limits", CASES)
def test_split_layer_equals_unsplit_layer(dims, kwargs, spatial, limits, perfect):
    if perfect:
        split_config, whole_config = _perfect_single(*limits), _perfect_single(0, 0)
    else:
        split_config = FloatingPointRPUConfig(mapping=_mapping(*limits))
        whole_config = FloatingPointRPUConfig()
    mapped = MAPPED[dims](5, 7, rpu_config=split_config, **kwargs)
    whole = SINGLE[dims](5, 7, rpu_config=whole_config, **kwargs)
    assert mapped.analog_tile_count() > 2 and whole.analog_tile_count() == 1
    weight = (torch.randn(7, 5, *whole.kernel_size) * 0.2).clamp(-0.5, 0.5)
    bias = torch.randn(7) if whole.bias else None
    mapped.set_weights(weight, bias)
    whole.set_weights(weight, bias)
    for got, want in zip(mapped.get_weights(), whole.get_weights()):
        assert (got is None and want is None) or torch.equal(got, want)
    x = torch.randn(2, 5, *spatial)
    x_m = x.clone().requires_grad_(True)
    x_w = x.clone().requires_grad_(True)
    y_m, y_w = mapped(x_m), whole(x_w)
    torch.testing.assert_close(y_m, y_w, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(y_w)
    y_m.backward(grad)
    y_w.backward(grad)
    torch.testing.assert_close(x_m.grad, x_w.grad, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(mapped(x[0]), whole(x[0]), rtol=1e-5, atol=1e-5)


def test_every_tile_gets_its_own_pulsed_update():
    layer = AnalogConv2dMapped(5, 7, 3, padding=1,
                               rpu_config=SingleRPUConfig(mapping=_mapping(20, 3)))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    before = [tile.get_weights()[0] for tile in layer.analog_tiles()]
    bias_before = layer.bias.detach().clone()
    x = torch.randn(4, 5, 6, 6)
    (layer(x) ** 2).sum().backward()
    opt.step()
    after = [tile.get_weights()[0] for tile in layer.analog_tiles()]
    assert len(after) == 9
    for old, new in zip(before, after):
        assert not torch.equal(old, new)
    assert not torch.equal(layer.bias.detach(), bias_before)  # digital bias trained by SGD


def test_analog_sgd_on_split_layer_matches_torch():
    digital = nn.Conv2d(5, 7, 3, padding=1)
    layer = AnalogConv2dMapped.from_digital(
        digital, FloatingPointRPUConfig(mapping=_mapping(20, 3)))
    opt_a = AnalogSGD(layer.parameters(), lr=0.05)
    opt_a.regroup_param_groups(layer)
    opt_d = torch.optim.SGD(digital.parameters(), lr=0.05)
    x = torch.randn(3, 5, 5, 5)
    for model, opt in ((layer, opt_a), (digital, opt_d)):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        opt.step()
    weight, bias = layer.get_weights()
    torch.testing.assert_close(weight, digital.weight.detach().reshape(7, -1),
                               rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(bias, digital.bias.detach(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("config", [FloatingPointRPUConfig, InferenceRPUConfig,
                                    TorchInferenceRPUConfig])
def test_conversion_and_state_round_trip(config):
    digital = nn.Conv3d(5, 4, 2, stride=(1, 2, 1))
    layer = AnalogConv3dMapped.from_digital(digital, config(mapping=_mapping(17, 3)))
    assert layer.analog_tile_count() == 6
    back = AnalogConv3dMapped.to_digital(layer)
    assert type(back) is nn.Conv3d and back.stride == (1, 2, 1)
    assert torch.equal(back.weight, digital.weight) and torch.equal(back.bias, digital.bias)
    other = AnalogConv3dMapped(5, 4, 2, stride=(1, 2, 1),
                               rpu_config=config(mapping=_mapping(17, 3)))
    other.load_state_dict(layer.state_dict())
    for got, want in zip(other.get_weights(), layer.get_weights()):
        assert torch.equal(got, want)


def test_errors():
    with pytest.raises(ModuleError, match="9 elements does not fit mapping.max_input_size = 8"):
        AnalogConv2dMapped(2, 2, 3, rpu_config=SingleRPUConfig(mapping=_mapping(8, 0)))
    no_digital_bias = SingleRPUConfig(mapping=MappingParameter(digital_bias=False))
    with pytest.raises(AnalogBiasConfigError, match="digital bias"):
        AnalogConv2dMapped(2, 2, 3, rpu_config=no_digital_bias)
    AnalogConv2dMapped(2, 2, 3, bias=False, rpu_config=no_digital_bias)
    with pytest.raises(ValueError, match="AnalogConv1dMapped: in_channels=4 must be divisible "
                       "by groups=3"):
        AnalogConv1dMapped(4, 4, 3, groups=3)
    layer = AnalogConv2dMapped(3, 4, 3, rpu_config=FloatingPointRPUConfig(mapping=_mapping(9, 2)))
    before = layer.get_weights()[0]
    with pytest.raises(ArgumentError, match=r"AnalogConv2dMapped.set_weights: weight has shape"):
        layer.set_weights(torch.randn(4, 3, 2, 2))
    assert torch.equal(layer.get_weights()[0], before)
    with pytest.raises(ArgumentError, match="AnalogConv2dMapped: input has 2 channels"):
        layer(torch.randn(1, 2, 5, 5))
