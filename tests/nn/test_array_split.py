"""Tile arrays: split sizes, tile names, which tile module a layer gets, construction
errors, and the mapped linear layer's constructors."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError, ConfigError, TileError
from aihwkit.nn import AnalogLinear, AnalogLinearMapped
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, QuantizedTorchInferenceRPUConfig,
    SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.parameters.base import RPUConfigBase
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.presets import StandardHWATrainingPreset
from aihwkit.simulator.tiles import (
    FloatingPointTile, InferenceTile, QuantizedTileModuleArray, TileModuleArray)
from aihwkit.simulator.tiles.array import get_split_sizes


def _fp_config(max_in: int, max_out: int) -> FloatingPointRPUConfig:
    return FloatingPointRPUConfig(mapping=MappingParameter(max_input_size=max_in,
                                                           max_output_size=max_out))


@pytest.mark.parametrize("size,max_size,expected", [
    (1030, 512, [344, 343, 343]),
    (600, 512, [300, 300]),
    (512, 512, [512]),
    (513, 512, [257, 256]),
    (10, 3, [3, 3, 2, 2]),
    (10, 4, [4, 3, 3]),
    (7, 1, [1] * 7),
    (1, 5, [1]),
    (10, 0, [10]),
    (10, -4, [10]),
])
def test_split_sizes(size, max_size, expected):
    assert get_split_sizes(size, max_size) == expected


def test_split_sizes_are_balanced_and_bounded():
    for size in range(1, 60):
        for max_size in range(1, 20):
            sizes = get_split_sizes(size, max_size)
            assert sum(sizes) == size
            assert max(sizes) <= max_size
            assert len(sizes) == -(-size // max_size)  # ceil: as few tiles as possible
            assert max(sizes) - min(sizes) <= 1
            assert sizes == sorted(sizes, reverse=True)  # larger pieces first


@pytest.mark.parametrize("size,max_size", [(0, 3), (-2, 3), (2.0, 3), (4, 1.5), (4, None)])
def test_split_sizes_reject_bad_arguments(size, max_size):
    with pytest.raises(ArgumentError):
        get_split_sizes(size, max_size)


def test_large_linear_layer_gets_an_array_with_balanced_tiles():
    layer = AnalogLinear(1030, 600, rpu_config=InferenceRPUConfig())
    assert isinstance(layer.analog_module, TileModuleArray)
    tiles = list(layer.named_analog_tiles())
    assert [name for name, _ in tiles] == [f"analog_module.array.{i}.{j}"
                                           for i in range(3) for j in range(2)]
    assert [(t.in_size, t.out_size) for _, t in tiles] == [
        (344, 300), (344, 300), (343, 300), (343, 300), (343, 300), (343, 300)]
    assert all(type(t) is InferenceTile for _, t in tiles)
    assert layer.analog_module.analog_tile_count == 6
    assert layer.analog_tile_count() == 6
    assert layer.analog_module.supports_indexed is False


def test_default_tile_module_class_dispatch():
    assert AnalogLinear(8, 8, rpu_config=_fp_config(8, 8)).analog_module.__class__ \
        is FloatingPointTile
    assert isinstance(AnalogLinear(9, 8, rpu_config=_fp_config(8, 8)).analog_module,
                      TileModuleArray)
    assert isinstance(AnalogLinear(8, 9, rpu_config=_fp_config(8, 8)).analog_module,
                      TileModuleArray)
    # no limits at all: always one tile
    assert type(AnalogLinear(700, 700, rpu_config=_fp_config(0, 0)).analog_module) \
        is FloatingPointTile
    # one limit 0 and the other not: always an array (here with a single output split)
    layer = AnalogLinear(4, 3, rpu_config=StandardHWATrainingPreset())
    assert isinstance(layer.analog_module, TileModuleArray)
    assert layer.analog_module.in_sizes == [4] and layer.analog_module.out_sizes == [3]


@pytest.mark.parametrize("config_class,array_class", [
    (FloatingPointRPUConfig, TileModuleArray), (SingleRPUConfig, TileModuleArray),
    (InferenceRPUConfig, TileModuleArray), (TorchInferenceRPUConfig, TileModuleArray),
    (QuantizedTorchInferenceRPUConfig, QuantizedTileModuleArray)])
def test_config_tile_array_classes(config_class, array_class):
    config = config_class()
    assert config.tile_array_class is array_class
    assert "tile_array_class" not in str(config)  # the default is not printed
    assert config.get_default_tile_module_class(513, 4) is array_class


def test_bias_lives_on_the_array_even_for_analog_bias_configs():
    config = SingleRPUConfig(mapping=MappingParameter(digital_bias=False, max_input_size=3,
                                                      max_output_size=2))
    layer = AnalogLinear(5, 4, rpu_config=config)
    array = layer.analog_module
    assert isinstance(array.bias, torch.nn.Parameter) and array.bias.shape == (4,)
    for tile in array.analog_tiles():
        assert not tile.analog_bias and not tile.digital_bias and tile.bias is None
        assert tile.x_size == tile.in_size
    without = AnalogLinear(5, 4, bias=False, rpu_config=config)
    assert without.analog_module.bias is None


def test_array_construction_errors():
    config = _fp_config(2, 2)
    with pytest.raises(ArgumentError, match="out_size"):
        TileModuleArray(0, 3, config)
    with pytest.raises(ArgumentError, match="bias"):
        TileModuleArray(3, 3, config, bias=1)
    with pytest.raises(ArgumentError, match="in_trans"):
        TileModuleArray(3, 3, config, in_trans=True)
    plain = RPUConfigBase(tile_class=FloatingPointTile)
    with pytest.raises(ConfigError, match="mapping"):
        TileModuleArray(3, 3, plain)
    with pytest.raises(ConfigError, match="max_output_size"):
        TileModuleArray(3, 3, _fp_config(2, 2.5))


def test_mapped_layer_always_uses_an_array():
    layer = AnalogLinearMapped(4, 3, rpu_config=FloatingPointRPUConfig())
    assert type(layer.analog_module) is TileModuleArray
    assert layer.analog_tile_count() == 1
    assert [name for name, _ in layer.named_analog_tiles()] == ["analog_module.array.0.0"]
    assert layer(torch.randn(2, 4)).shape == (2, 3)
    assert layer.weight is None and layer.bias is True
    assert repr(layer).startswith(
        "AnalogLinearMapped(\n  in_features=4, out_features=3, bias=True, "
        "FloatingPointRPUConfig")
    quantized = AnalogLinearMapped(4, 3, rpu_config=QuantizedTorchInferenceRPUConfig(),
                                   tile_module_class=None)
    assert type(quantized.analog_module) is QuantizedTileModuleArray
    default = AnalogLinearMapped(4, 3)
    assert type(default.analog_module.rpu_config) is SingleRPUConfig
    with pytest.raises(ConfigError, match="MappableRPU"):
        AnalogLinearMapped(4, 3, rpu_config=RPUConfigBase(tile_class=FloatingPointTile))


def test_mapped_from_digital_and_to_digital():
    digital = torch.nn.Linear(7, 5)
    layer = AnalogLinearMapped.from_digital(digital, _fp_config(3, 2))
    assert type(layer) is AnalogLinearMapped
    assert layer.analog_module.in_sizes == [3, 2, 2]
    assert layer.analog_module.out_sizes == [2, 2, 1]
    weight, bias = layer.get_weights()
    assert torch.equal(weight, digital.weight.detach())
    assert torch.equal(bias, digital.bias.detach())
    back = AnalogLinearMapped.to_digital(layer)
    assert type(back) is torch.nn.Linear
    assert torch.equal(back.weight, digital.weight) and torch.equal(back.bias, digital.bias)
    x = torch.randn(3, 7)
    torch.testing.assert_close(layer(x), digital(x), rtol=0, atol=1e-6)
    with pytest.raises(ConfigError, match="MappableRPU"):
        AnalogLinearMapped.from_digital(digital, RPUConfigBase(tile_class=FloatingPointTile))


def test_array_brief_info():
    array = AnalogLinear(7, 5, rpu_config=_fp_config(3, 2)).analog_module
    assert array.get_brief_info() == ("TileModuleArray(5, 7, in_sizes=[3, 2, 2], "
                                      "out_sizes=[2, 2, 1], bias=True)")
    assert array.device == torch.device("cpu") and not array.is_cuda
    assert array.get_dtype() == torch.float32
    with pytest.raises(TileError):
        array(torch.randn(2, 6))


def test_mapped_conversion_of_a_digital_model():
    # pylint: disable=import-outside-toplevel
    from aihwkit.nn.conversion import (
        _DEFAULT_MAPPED_CONVERSION_MAP, convert_to_analog, convert_to_digital)
    net = torch.nn.Sequential(torch.nn.Linear(20, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2))
    analog = convert_to_analog(net, _fp_config(10, 3),
                               conversion_map=_DEFAULT_MAPPED_CONVERSION_MAP)
    assert [type(m).__name__ for m in analog] == ["AnalogLinearMapped", "ReLU",
                                                  "AnalogLinearMapped"]
    assert analog[0].analog_module.in_sizes == [10, 10]
    assert analog[0].analog_module.out_sizes == [3, 2, 2]
    assert analog.analog_tile_count() == 7
    x = torch.randn(4, 20)
    torch.testing.assert_close(analog(x), net(x), rtol=0, atol=1e-6)
    back = convert_to_digital(analog)
    assert type(back[0]) is torch.nn.Linear
    assert torch.equal(back[0].weight, net[0].weight)
