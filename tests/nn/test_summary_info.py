"""``analog_summary``: tile counts, sizes, utilization and reuse factors."""

import importlib

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.nn.conversion import convert_to_analog
from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.utils.analog_info import AnalogInfo, analog_summary

AnalogLinearMapped = getattr(importlib.import_module("aihwkit.nn"), "AnalogLinearMapped",
                             None)
AnalogConv2d = getattr(importlib.import_module("aihwkit.nn"), "AnalogConv2d", None)


def test_split_linear_layer(capsys):
    model = AnalogSequential(AnalogLinear(1030, 600, rpu_config=InferenceRPUConfig()),
                             nn.ReLU(), AnalogLinear(600, 10, rpu_config=InferenceRPUConfig()))
    info = analog_summary(model, (2, 1030))
    assert capsys.readouterr().out == ""  # returned, not printed
    assert isinstance(info, AnalogInfo)
    assert info.total_tile_number == 8 and info.total_nb_analog == 2
    first, relu, last = info.layers
    assert (first.name, first.type_name, first.is_analog) == ("0", "AnalogLinear", True)
    assert first.in_shape == (2, 1030) and first.out_shape == (2, 600)
    assert first.num_tiles == 6 and first.reuse_factor == 1
    assert [(t.out_size, t.in_size) for t in first.tiles] == \
        [(300, 344), (300, 344), (300, 343), (300, 343), (300, 343), (300, 343)]
    assert all((t.rows, t.columns) == (512, 512) for t in first.tiles)
    assert first.tiles[0].utilization == pytest.approx(300 * 344 / 512 ** 2)
    assert first.analog_params == 1030 * 600
    assert first.digital_params == 600  # the digital bias
    assert not relu.is_analog and relu.num_tiles == 0 and relu.reuse_factor is None
    assert last.num_tiles == 2  # max_output_size 512 -> one split, inputs 600 -> two
    assert info.total_analog_params == 1030 * 600 + 600 * 10
    assert info.total_digital_params == 610
    assert len(info.tiles) == 8
    expected_mean = (4 * 300 * 343 + 2 * 300 * 344 + 2 * 10 * 300) / (8 * 512 ** 2)
    assert info.mean_utilization == pytest.approx(expected_mean)
    text = str(info)
    for needle in ("Per-layer information", "Per-tile information", "AnalogLinear",
                   "analog_module.array.2.1", "300 x 344", "512 x 512", "39.4%",
                   "Tiles: 8"):
        assert needle in text


def test_unlimited_mapping_and_analog_bias():
    config = SingleRPUConfig(mapping=MappingParameter(max_input_size=0, max_output_size=0,
                                                      digital_bias=False))
    info = analog_summary(AnalogLinear(7, 5, rpu_config=config))
    (layer,) = info.layers
    assert layer.name == "" and layer.in_shape is None and layer.reuse_factor is None
    (tile,) = layer.tiles
    # the analog bias is the eighth column; an unlimited tile is exactly as large
    assert (tile.out_size, tile.in_size, tile.rows, tile.columns) == (5, 8, 5, 8)
    assert tile.utilization == 1.0
    assert layer.analog_params == 40 and layer.digital_params == 0
    assert "(model)" in str(info)


def test_rpu_config_converts_a_copy():
    model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2))
    info = analog_summary(model, (3, 6), rpu_config=InferenceRPUConfig())
    assert type(model[0]) is nn.Linear
    assert [layer.is_analog for layer in info.layers] == [True, False, True]
    assert info.layers[1].in_shape == (3, 4)


def test_sequence_inputs_reuse_the_tile():
    info = analog_summary(AnalogLinear(4, 3, rpu_config=InferenceRPUConfig()), (2, 7, 4))
    assert info.layers[0].reuse_factor == 7


@pytest.mark.skipif(AnalogLinearMapped is None, reason="mapped layers missing")
def test_mapped_layer():
    mapping = MappingParameter(max_input_size=4, max_output_size=3)
    layer = AnalogLinearMapped(6, 5, rpu_config=InferenceRPUConfig(mapping=mapping))
    info = analog_summary(layer, (1, 6))
    tiles = info.layers[0].tiles
    assert sorted((t.out_size, t.in_size) for t in tiles) == [(2, 3), (2, 3), (3, 3), (3, 3)]
    assert all((t.rows, t.columns) == (3, 4) for t in tiles)
    assert sum(t.utilization for t in tiles) == pytest.approx((9 + 9 + 6 + 6) / 12)


@pytest.mark.skipif(AnalogConv2d is None, reason="analog convolutions missing")
def test_lenet_like_model():
    model = nn.Sequential(nn.Conv2d(1, 16, 5), nn.Tanh(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 5), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(512, 128), nn.Tanh(), nn.Linear(128, 10))
    config = InferenceRPUConfig(mapping=MappingParameter(max_input_size=256,
                                                         max_output_size=256))
    info = analog_summary(convert_to_analog(model, config), (1, 1, 28, 28))
    conv1, conv2 = info.layers[0], info.layers[3]
    assert conv1.kernel_shape == (5, 5) and conv1.out_shape == (1, 16, 24, 24)
    assert conv1.reuse_factor == 24 * 24 and conv2.reuse_factor == 8 * 8
    assert [(t.out_size, t.in_size) for t in conv1.tiles] == [(16, 25)]
    assert [(t.out_size, t.in_size) for t in conv2.tiles] == [(32, 200), (32, 200)]
    assert info.layers[7].num_tiles == 2
    assert len(info.tiles) == 6


def test_bad_arguments():
    with pytest.raises(ArgumentError, match="input_size"):
        analog_summary(AnalogLinear(3, 2), (0, 3))
    with pytest.raises(ArgumentError, match="model"):
        analog_summary("not a model")
    assert torch.is_grad_enabled()
