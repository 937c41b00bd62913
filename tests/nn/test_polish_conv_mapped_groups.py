"""Grouped and depthwise convolutions split over tile grids: split rule per group, tile
names, ideal forward/backward against torch, SGD against torch, conversion and errors."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from aihwkit.exceptions import ArgumentError
from aihwkit.nn import (
    AnalogConv1d, AnalogConv1dMapped, AnalogConv2dMapped, AnalogConv3dMapped)
from aihwkit.nn.conversion import (
    _DEFAULT_MAPPED_CONVERSION_MAP, convert_to_analog, convert_to_digital)
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import FloatingPointRPUConfig, MappingParameter


def _fp(max_in, max_out):
    return FloatingPointRPUConfig(
        mapping=MappingParameter(max_input_size=max_in, max_output_size=max_out))


def test_split_rule_and_tile_names_per_group():
    # 6 inputs / 2 groups = 3 channels per group, kernel 3x3 = 9 elements:
    # max_input_size 20 // 9 = 2 channels per tile -> in_sizes [2, 1];
    # 8 outputs / 2 groups = 4 per group, max_output_size 3 -> out_sizes [2, 2]
    layer = AnalogConv2dMapped(6, 8, 3, groups=2, rpu_config=_fp(20, 3))
    assert layer.in_sizes == [2, 1] and layer.out_sizes == [2, 2]
    names = [name for name, _ in layer.named_analog_tiles()]
    assert names == [f"array_groups.{g}.{i}.{j}"
                     for g in range(2) for i in range(2) for j in range(2)]
    sizes = [(tile.in_size, tile.out_size) for tile in layer.analog_tiles()]
    assert sizes == [(18, 2), (18, 2), (9, 2), (9, 2)] * 2
    assert not hasattr(layer, "array")
    assert layer.get_weights()[0].shape == (8, 27)
    assert "groups=2" in layer.extra_repr()


@pytest.mark.parametrize("c_in,c_out,groups,kwargs,limits", [
    (6, 8, 2, {"kernel_size": 3, "padding": 1}, (20, 3)),
    (4, 4, 4, {"kernel_size": (2, 3), "stride": 2}, (6, 0)),           # depthwise
    (4, 8, 4, {"kernel_size": 2, "dilation": 2, "bias": False}, (4, 1)),  # multiplier 2
    (6, 9, 3, {"kernel_size": 1}, (1, 2)),
    (6, 6, 2, {"kernel_size": 3, "padding": 1, "padding_mode": "reflect"}, (0, 0)),
])
def test_ideal_forward_and_backward_match_torch(c_in, c_out, groups, kwargs, limits):
    layer = AnalogConv2dMapped(c_in, c_out, groups=groups, rpu_config=_fp(*limits), **kwargs)
    weight = torch.randn(c_out, c_in // groups, *layer.kernel_size)
    bias = torch.randn(c_out) if kwargs.get("bias", True) else None
    layer.set_weights(weight, bias)
    got_w, got_b = layer.get_weights()
    assert torch.equal(got_w, weight.reshape(c_out, -1))
    assert (got_b is None and bias is None) or torch.equal(got_b, bias)

    x = torch.randn(3, c_in, 7, 8)
    x_a = x.clone().requires_grad_(True)
    x_d = x.clone().requires_grad_(True)
    y_a = layer(x_a)
    if kwargs.get("padding_mode", "zeros") == "zeros":
        y_d = F.conv2d(x_d, weight, bias, layer.stride, layer.padding, layer.dilation, groups)
    else:
        pads = layer._reversed_padding_repeated_twice  # pylint: disable=protected-access
        padded = F.pad(x_d, pads, mode=layer.padding_mode)
        y_d = F.conv2d(padded, weight, bias, layer.stride, 0, layer.dilation, groups)
    torch.testing.assert_close(y_a, y_d, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(y_d)
    y_a.backward(grad)
    y_d.backward(grad)
    torch.testing.assert_close(x_a.grad, x_d.grad, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer(x[0]), y_d[0].detach(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dims,kernel,spatial", [(1, 3, (9,)), (3, 2, (3, 4, 4))])
def test_other_dimensions_equal_the_grouped_unmapped_layer(dims, kernel, spatial):
    mapped_class = {1: AnalogConv1dMapped, 3: AnalogConv3dMapped}[dims]
    digital_class = {1: nn.Conv1d, 3: nn.Conv3d}[dims]
    digital = digital_class(6, 4, kernel, groups=2)
    # 3 channels per group, 8 // prod(kernel) channels per tile
    mapped = mapped_class.from_digital(digital, _fp(8, 1))
    assert mapped.analog_tile_count() > 2
    x = torch.randn(2, 6, *spatial)
    torch.testing.assert_close(mapped(x), digital(x).detach(), rtol=1e-5, atol=1e-5)
    back = mapped_class.to_digital(mapped)
    assert type(back) is digital_class and back.groups == 2
    assert torch.equal(back.weight, digital.weight) and torch.equal(back.bias, digital.bias)


def test_groups_one_keeps_the_array_layout():
    layer = AnalogConv1dMapped(5, 7, 3, rpu_config=_fp(6, 4))
    assert [name for name, _ in layer.named_analog_tiles()] == [
        f"array.{i}.{j}" for i in range(3) for j in range(2)]
    assert not hasattr(layer, "array_groups")


def test_analog_sgd_on_grouped_split_layer_matches_torch():
    digital = nn.Conv2d(6, 8, 3, padding=1, groups=2)
    layer = AnalogConv2dMapped.from_digital(digital, _fp(20, 3))
    opt_a = AnalogSGD(layer.parameters(), lr=0.05)
    opt_a.regroup_param_groups(layer)
    opt_d = torch.optim.SGD(digital.parameters(), lr=0.05)
    x = torch.randn(3, 6, 5, 5)
    for model, opt in ((layer, opt_a), (digital, opt_d)):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        opt.step()
    weight, bias = layer.get_weights()
    torch.testing.assert_close(weight, digital.weight.detach().reshape(8, -1),
                               rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(bias, digital.bias.detach(), rtol=1e-5, atol=1e-5)


def test_mapped_conversion_of_a_depthwise_model():
    model = nn.Sequential(nn.Conv2d(3, 3, 3, groups=3), nn.ReLU(), nn.Conv2d(3, 6, 1))
    analog = convert_to_analog(model, _fp(9, 2), conversion_map=_DEFAULT_MAPPED_CONVERSION_MAP)
    assert isinstance(analog[0], AnalogConv2dMapped) and analog[0].groups == 3
    x = torch.randn(2, 3, 6, 6)
    torch.testing.assert_close(analog(x), model(x).detach(), rtol=1e-5, atol=1e-5)
    back = convert_to_digital(analog)
    torch.testing.assert_close(back(x), model(x), rtol=1e-5, atol=1e-5)


def test_bad_inputs_are_rejected_before_any_change():
    with pytest.raises(ValueError, match="AnalogConv2dMapped: out_channels=5 must be "
                                         "divisible by groups=2"):
        AnalogConv2dMapped(4, 5, 3, groups=2, rpu_config=_fp(20, 3))
    with pytest.raises(ArgumentError, match="AnalogConv2dMapped: groups must be an integer"):
        AnalogConv2dMapped(4, 4, 3, groups=0, rpu_config=_fp(20, 3))
    layer = AnalogConv2dMapped(4, 6, 3, groups=2, rpu_config=_fp(20, 3))
    before = layer.get_weights()
    with pytest.raises(ArgumentError, match=r"AnalogConv2dMapped.set_weights: weight has "
                                            r"shape \(6, 4, 3, 3\), expected \(6, 2, 3, 3\)"):
        layer.set_weights(torch.randn(6, 4, 3, 3))
    with pytest.raises(ArgumentError, match="AnalogConv2dMapped: input has 2 channels, "
                                            "expected in_channels=4"):
        layer(torch.randn(1, 2, 5, 5))
    after = layer.get_weights()
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])


def test_unmapped_grouped_layer_splits_the_patches_per_group():
    # the per-group column split of the patches (channel first) matches torch
    layer = AnalogConv1d(6, 4, 2, groups=2, rpu_config=FloatingPointRPUConfig())
    weight, bias = torch.randn(4, 3, 2), torch.randn(4)
    layer.set_weights(weight, bias)
    x = torch.randn(2, 6, 7)
    torch.testing.assert_close(layer(x), F.conv1d(x, weight, bias, groups=2),
                               rtol=1e-5, atol=1e-5)
