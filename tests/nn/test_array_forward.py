"""Tile arrays: the split layer computes what the unsplit layer computes (outputs and input
gradients), per-tile weight scaling, the weights API and rejected inputs."""

import pytest
import torch
from torch.nn.functional import linear

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.nn import AnalogLinear, AnalogLinearMapped
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.tiles import TileModuleArray


def _mapping(max_in: int, max_out: int, **kwargs) -> MappingParameter:
    return MappingParameter(max_input_size=max_in, max_output_size=max_out, **kwargs)


def _perfect_single(max_in: int, max_out: int, **kwargs) -> SingleRPUConfig:
    config = SingleRPUConfig(mapping=_mapping(max_in, max_out, **kwargs))
    config.forward.is_perfect = True
    config.backward.is_perfect = True
    return config


def _perfect_inference(max_in: int, max_out: int, **kwargs) -> InferenceRPUConfig:
    config = InferenceRPUConfig(mapping=_mapping(max_in, max_out, **kwargs))
    config.forward.is_perfect = True
    return config


def _grid_layer(rpu_config, bias: bool = True) -> AnalogLinear:
    """7 inputs, 5 outputs on a 3 x 3 grid of tiles (in [3, 2, 2], out [2, 2, 1])."""
    layer = AnalogLinear(7, 5, bias=bias, rpu_config=rpu_config)
    assert isinstance(layer.analog_module, TileModuleArray)
    assert layer.analog_module.in_sizes == [3, 2, 2]
    assert layer.analog_module.out_sizes == [2, 2, 1]
    return layer


def _check_ideal(layer, atol: float) -> None:
    """Output and input gradient equal the exact MVM with the layer's stored weights."""
    weight, bias = layer.get_weights()
    x = torch.randn(2, 3, 7, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    grad = torch.randn(2, 3, 5)
    out = layer(x)
    ref = linear(x_ref, weight, bias)
    torch.testing.assert_close(out, ref, rtol=0, atol=atol)
    (out * grad).sum().backward()
    (ref * grad).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=0, atol=atol)


@pytest.mark.parametrize("bias", [True, False])
def test_floating_point_split_equals_single_tile(bias):
    split = _grid_layer(FloatingPointRPUConfig(mapping=_mapping(3, 2)), bias)
    whole = AnalogLinear(7, 5, bias=bias, rpu_config=FloatingPointRPUConfig(
        mapping=_mapping(0, 0)))
    assert not isinstance(whole.analog_module, TileModuleArray)
    whole.set_weights(*split.get_weights())
    x = torch.randn(4, 7, requires_grad=True)
    x_whole = x.detach().clone().requires_grad_(True)
    torch.testing.assert_close(split(x), whole(x_whole), rtol=0, atol=1e-6)
    split(x).sum().backward()
    whole(x_whole).sum().backward()
    torch.testing.assert_close(x.grad, x_whole.grad, rtol=0, atol=1e-6)
    _check_ideal(split, 1e-6)


def test_pulsed_split_with_perfect_io_is_the_ideal_mvm():
    _check_ideal(_grid_layer(_perfect_single(3, 2)), 1e-6)


def test_torch_inference_split_is_the_ideal_mvm():
    config = TorchInferenceRPUConfig(mapping=_mapping(3, 2))
    config.forward.is_perfect = True
    _check_ideal(_grid_layer(config), 1e-6)


def test_each_tile_applies_its_own_weight_scaling_before_the_sum():
    config = _perfect_inference(3, 2, weight_scaling_omega=1.0,
                                weight_scaling_columnwise=True, learn_out_scaling=True)
    layer = _grid_layer(config)
    weight = torch.randn(5, 7)
    bias = torch.randn(5)
    layer.set_weights(weight, bias)
    got, got_bias = layer.get_weights()
    torch.testing.assert_close(got, weight, rtol=1e-6, atol=1e-6)
    assert torch.equal(got_bias, bias)
    array = layer.analog_module
    start_in = 0
    for in_size, row in zip(array.in_sizes, array.array):
        start_out = 0
        for out_size, tile in zip(array.out_sizes, row):
            block = weight[start_out:start_out + out_size, start_in:start_in + in_size]
            # per tile and row: the block's own abs-max is mapped to omega = 1
            torch.testing.assert_close(tile.get_mapping_scales(), block.abs().amax(dim=1))
            raw, _ = tile.get_weights(apply_weight_scaling=False)
            torch.testing.assert_close(raw.abs().amax(dim=1), torch.ones(out_size))
            start_out += out_size
        start_in += in_size
    _check_ideal(layer, 1e-5)
    # learned output scales of one tile scale only that tile's block of the output
    tile = array.array[1][0]
    tile.set_learned_out_scales(torch.tensor(2.0))
    _check_ideal(layer, 1e-5)
    scaled = weight.clone()
    scaled[0:2, 3:5] *= 2.0
    torch.testing.assert_close(layer.get_weights()[0], scaled, rtol=1e-6, atol=1e-6)


def test_set_get_weights_round_trip_and_kwargs():
    layer = _grid_layer(FloatingPointRPUConfig(mapping=_mapping(3, 2)))
    weight = torch.randn(5, 7)
    bias = torch.randn(5)
    layer.set_weights(weight, bias)
    got, got_bias = layer.get_weights()
    assert torch.equal(got, weight) and torch.equal(got_bias, bias)
    assert got.device.type == "cpu" and got_bias.device.type == "cpu"
    got_bias += 1.0  # a copy: the layer is unchanged
    assert torch.equal(layer.get_weights()[1], bias)
    # bias=None leaves the bias alone; array-likes are accepted
    layer.set_weights(weight.tolist())
    assert torch.equal(layer.get_weights()[1], bias)
    # keyword arguments reach every tile
    scaled = _grid_layer(FloatingPointRPUConfig(mapping=_mapping(3, 2)))
    scaled.set_weights(weight, bias, weight_scaling_omega=0.5)
    for tile in scaled.analog_tiles():
        raw, _ = tile.get_weights(apply_weight_scaling=False)
        torch.testing.assert_close(raw.abs().max(), torch.tensor(0.5))
    torch.testing.assert_close(scaled.get_weights()[0], weight, rtol=1e-6, atol=1e-6)
    raw = scaled.get_weights(apply_weight_scaling=False)[0]
    assert not torch.allclose(raw, weight)
    # realistic read-back: least-squares fit per tile, exact for a floating point tile
    torch.testing.assert_close(scaled.get_weights(realistic=True)[0], weight,
                               rtol=1e-4, atol=1e-4)


def test_analog_bias_config_keeps_the_bias_digital_on_the_array():
    config = _perfect_single(3, 2, digital_bias=False)
    layer = _grid_layer(config)
    weight = torch.rand(5, 7) * 0.2 - 0.1
    bias = torch.tensor([0.5, -1.5, 2.0, 7.0, -3.0])  # beyond any device bound
    layer.set_weights(weight, bias)
    got, got_bias = layer.get_weights()
    assert torch.equal(got_bias, bias)  # exact: never stored on a device
    x = torch.randn(6, 7)
    torch.testing.assert_close(layer(x), linear(x, got, bias), rtol=0, atol=1e-5)


def _snapshot(layer):
    weight, bias = layer.get_weights()
    return weight.clone(), None if bias is None else bias.clone()


@pytest.mark.parametrize("weight,bias,error", [
    (torch.zeros(7, 5), None, TileError),          # transposed
    (torch.zeros(35), None, TileError),            # right size, wrong shape
    (torch.zeros(5, 7, 1), None, TileError),
    (torch.zeros(5, 6), None, TileError),
    (torch.zeros(5, 7), torch.zeros(4), TileError),
    (torch.zeros(5, 7), torch.zeros(5, 1), TileError),
    (["a"], None, ArgumentError),
    (torch.zeros(5, 7, dtype=torch.bool), None, ArgumentError),
])
def test_bad_weights_leave_the_layer_unchanged(weight, bias, error):
    layer = _grid_layer(FloatingPointRPUConfig(mapping=_mapping(3, 2)))
    before = _snapshot(layer)
    with pytest.raises(error):
        layer.set_weights(weight, bias)
    after = _snapshot(layer)
    assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])


def test_bias_for_a_layer_without_bias_and_unknown_keyword_are_rejected():
    layer = _grid_layer(FloatingPointRPUConfig(mapping=_mapping(3, 2)), bias=False)
    before = _snapshot(layer)[0]
    with pytest.raises(TileError, match="bias"):
        layer.set_weights(torch.ones(5, 7), torch.ones(5))
    with pytest.raises(TypeError, match="apply_scaling"):
        layer.set_weights(torch.ones(5, 7), apply_scaling=True)
    assert torch.equal(_snapshot(layer)[0], before)


def test_bad_inputs_are_rejected():
    layer = AnalogLinearMapped(7, 5, rpu_config=FloatingPointRPUConfig(mapping=_mapping(3, 2)))
    with pytest.raises(TileError, match="in_size = 7"):
        layer(torch.randn(4, 6))
    with pytest.raises(TileError, match="in_size = 7"):
        layer(torch.tensor(1.0))
    with pytest.raises(ArgumentError, match="torch.Tensor"):
        layer.analog_module([1.0] * 7)
    # the layer still works afterwards
    assert layer(torch.randn(4, 7)).shape == (4, 5)


def test_tensor_view_places_the_bias():
    layer = _grid_layer(FloatingPointRPUConfig(mapping=_mapping(3, 2)))
    array = layer.analog_module
    x = torch.randn(3, 7)
    no_bias = array(x) - array.bias
    bias = torch.randn(5)
    layer.set_weights(layer.get_weights()[0], bias)
    out = array(x, tensor_view=(1, -1))
    torch.testing.assert_close(out, no_bias + bias, rtol=0, atol=1e-6)


@pytest.mark.parametrize("batch_shape", [(6,), (2, 3)])
def test_forward_without_grad_sums_in_place_to_the_same_values(batch_shape):
    """Without autograd the tile outputs are added into one result; the values equal
    those of the graph-recording forward (the same sums in the same order)."""
    torch.manual_seed(4)
    config = InferenceRPUConfig(mapping=_mapping(3, 2))
    config.forward.out_noise = 0.0
    layer = _grid_layer(config)
    layer.eval()
    x = torch.randn(*batch_shape, 7, generator=torch.Generator().manual_seed(2))
    recorded = layer(x.clone().requires_grad_(True)).detach()
    with torch.no_grad():
        summed = layer(x)
    assert summed.shape == (*batch_shape, 5)
    assert torch.equal(summed, recorded)


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.float64])
def test_wrong_input_dtypes_get_the_tiles_error(dtype):
    layer = _grid_layer(InferenceRPUConfig(mapping=_mapping(3, 2)))
    with pytest.raises(TileError, match="dtype|floating point"):
        layer(torch.ones(2, 7, dtype=dtype))
