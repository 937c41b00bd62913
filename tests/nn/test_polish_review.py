"""Error messages that name the layer and the argument, arguments that are checked
instead of ignored, and the shared tile-grid helpers."""

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError, ConfigError, ModuleError, TileError
from aihwkit.nn import (
    AnalogConv2d, AnalogConv2dMapped, AnalogGRUCell, AnalogLinear, AnalogLinearMapped,
    AnalogLSTMCell, AnalogLSTMCellCombinedWeight, AnalogRNN, AnalogSequential,
    AnalogVanillaRNNCell)
from aihwkit.nn.conversion import convert_to_analog, convert_to_digital
from aihwkit.nn.modules.rnn import (
    AnalogBidirRNNLayer, AnalogReverseRNNLayer, AnalogRNNLayer, ModularRNN)
from aihwkit.simulator.configs import FloatingPointRPUConfig, MappingParameter
from aihwkit.simulator.tiles import TileModuleArray
from aihwkit.simulator.tiles.array import grid_blocks, grid_forward, grid_weights


def _fp(max_in=0, max_out=0):
    return FloatingPointRPUConfig(
        mapping=MappingParameter(max_input_size=max_in, max_output_size=max_out))


# ---------------------------------------------------------------------- tile grids
def test_grid_helpers_reproduce_the_array():
    array = TileModuleArray(5, 7, _fp(3, 2), bias=False)  # in [3, 2, 2], out [2, 2, 1]
    weight = torch.randn(5, 7)
    array.set_weights(weight)
    blocks = list(grid_blocks(array.array, array.in_sizes, array.out_sizes, row_start=4))
    assert [(rows.start, rows.stop, cols.start, cols.stop) for rows, cols, _ in blocks[:4]] \
        == [(4, 6, 0, 3), (6, 8, 0, 3), (8, 9, 0, 3), (4, 6, 3, 5)]
    assert torch.equal(grid_weights(array.array), weight)
    x = torch.randn(4, 7)
    parts = x.split(array.in_sizes, dim=-1)
    torch.testing.assert_close(grid_forward(array.array, parts), x @ weight.T,
                               rtol=1e-5, atol=1e-5)
    assert torch.equal(grid_forward(array.array, parts), array(x))


# ---------------------------------------------------------------------- messages
@pytest.mark.parametrize("build,error,match", [
    (lambda: AnalogVanillaRNNCell(0, 3, True), ArgumentError,
     "AnalogVanillaRNNCell: input_size must be an integer >= 1, got 0"),
    (lambda: AnalogGRUCell(2, 3, "yes"), ArgumentError, "AnalogGRUCell: bias must be a bool"),
    (lambda: AnalogLSTMCell(2, 3, True, tile_module_class=object), ArgumentError,
     "AnalogLSTMCell: tile_module_class needs an rpu_config"),
    (lambda: AnalogRNN(AnalogLSTMCell, 2, 3, num_layers=0), ArgumentError,
     "AnalogRNN: num_layers must be an integer >= 1, got 0"),
    (lambda: AnalogRNN(AnalogLSTMCell, 2, 3, bidir="no"), ArgumentError,
     "AnalogRNN: bidir must be a bool, got 'no'"),
    (lambda: AnalogRNN(AnalogLSTMCell, 2, 3, xavier=1), ArgumentError,
     "AnalogRNN: xavier must be a bool, got 1"),
    (lambda: AnalogRNN(AnalogLSTMCell, 2, 3, dropout=2.0), ArgumentError,
     "ModularRNN: dropout must be a number in"),
    (lambda: AnalogBidirRNNLayer(3), ArgumentError,
     "AnalogBidirRNNLayer: cell must be a torch.nn.Module class"),
    (lambda: AnalogConv2d(2, 2, 2, padding_mode="mirror"), ValueError,
     "AnalogConv2d: padding_mode"),
    (lambda: AnalogConv2dMapped(2, 2, 2, padding="full"), ValueError,
     "AnalogConv2dMapped: Invalid padding string"),
    (lambda: AnalogConv2dMapped(2, 2, 2, use_indexed=1), ArgumentError,
     "AnalogConv2dMapped: use_indexed must be None or a bool"),
    (lambda: AnalogConv2dMapped(2, 2, 2, rpu_config=_fp(1.5, 0)), ConfigError,
     "AnalogConv2dMapped: MappingParameter.max_input_size = 1.5"),
    (lambda: AnalogConv2dMapped(2, 2, 2, rpu_config=object()), ConfigError,
     "AnalogConv2dMapped needs an RPU config with mapping parameters"),
    (lambda: TileModuleArray(2, 2, _fp(), bias=1), ArgumentError,
     "TileModuleArray: bias must be a bool"),
    (lambda: AnalogLinearMapped(2, 2, rpu_config=object()), ConfigError,
     "AnalogLinearMapped: rpu_config object is not a MappableRPU"),
])
def test_constructor_errors_name_the_layer_and_argument(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize("cell", [AnalogVanillaRNNCell, AnalogLSTMCell,
                                  AnalogLSTMCellCombinedWeight, AnalogGRUCell])
def test_cell_input_errors_name_the_cell(cell):
    layer = cell(2, 3, True)
    name = cell.__name__
    with pytest.raises(ArgumentError, match=rf"{name}: input must have shape \[batch, 2\]"):
        layer(torch.randn(4, 3))
    with pytest.raises(ArgumentError, match=f"{name}: input must be a torch.Tensor"):
        layer([[1.0, 2.0]])
    with pytest.raises(ArgumentError, match=f"{name}: batch_size must be an integer"):
        layer.get_zero_state(0)
    bad_state = torch.zeros(5, 3)
    if cell in (AnalogLSTMCell, AnalogLSTMCellCombinedWeight):
        with pytest.raises(ArgumentError, match=rf"{name}: hx must be a tensor of shape "
                                                r"\[4, 3\]"):
            layer(torch.randn(4, 2), (bad_state, torch.zeros(4, 3)))
        with pytest.raises(ArgumentError, match=f"{name}: state of an LSTM cell must be a pair"):
            layer(torch.randn(4, 2), torch.zeros(4, 3))
    else:
        with pytest.raises(ArgumentError, match=rf"{name}: state must be a tensor of shape "
                                                r"\[4, 3\]"):
            layer(torch.randn(4, 2), bad_state)


def test_sequence_errors_name_the_layer():
    layer = AnalogReverseRNNLayer(AnalogVanillaRNNCell, 2, 3, True)
    with pytest.raises(ArgumentError, match="AnalogReverseRNNLayer: input must be a time-major"):
        layer(torch.randn(4, 2))
    stack = ModularRNN(2, type(layer), 0.0, [AnalogVanillaRNNCell, 2, 3, True],
                       [AnalogVanillaRNNCell, 3, 3, True])
    with pytest.raises(ArgumentError, match="ModularRNN: input must be a time-major"):
        stack(torch.randn(4, 2), stack.get_zero_state(4))
    with pytest.raises(ArgumentError, match="ModularRNN: states must be a list"):
        stack(torch.randn(5, 4, 2), None)
    with pytest.raises(ArgumentError, match="AnalogRNN: input must have 2 features"):
        AnalogRNN(AnalogVanillaRNNCell, 2, 3)(torch.randn(5, 4, 3))


def test_reverse_layer_still_equals_the_forward_layer_on_flipped_input():
    torch.manual_seed(0)
    reverse = AnalogReverseRNNLayer(AnalogGRUCell, 2, 3, True, FloatingPointRPUConfig())
    x = torch.randn(5, 4, 2)
    out, state = reverse(x)
    flipped, state_f = AnalogRNNLayer.forward(reverse, x.flip(0))
    assert torch.equal(flipped.flip(0), out) and torch.equal(state, state_f)


def test_array_errors_name_the_array():
    array = TileModuleArray(3, 4, _fp(2, 0))
    with pytest.raises(TileError, match="TileModuleArray: x has shape"):
        array(torch.randn(2, 5))
    with pytest.raises(TileError, match="TileModuleArray.set_weights: weight has shape"):
        array.set_weights(torch.randn(4, 3))
    with pytest.raises(TileError, match="TileModuleArray.set_weights: bias given"):
        array.set_weights(torch.randn(3, 4), torch.randn(3))
    with pytest.raises(ArgumentError, match="TileModuleArray.set_weights: weight must hold "
                                            "numbers"):
        array.set_weights(torch.ones(3, 4, dtype=torch.bool))


def test_container_set_weights_checks_every_name_before_writing():
    model = AnalogSequential(AnalogLinear(2, 2, rpu_config=FloatingPointRPUConfig()),
                             AnalogLinear(2, 2, rpu_config=FloatingPointRPUConfig()))
    before = model.get_weights()
    first = next(iter(before))
    with pytest.raises(ModuleError, match="AnalogSequential.set_weights: cannot find tile "
                                          "weight 1.analog_module"):
        model.set_weights({first: (torch.ones(2, 2), torch.ones(2))})
    for name, (weight, bias) in model.get_weights().items():
        assert torch.equal(weight, before[name][0]) and torch.equal(bias, before[name][1])


@pytest.mark.parametrize("kwargs,match", [
    ({"inplace": "yes"}, "convert_to_analog: inplace must be a bool"),
    ({"verbose": 1}, "convert_to_analog: verbose must be a bool"),
    ({"ensure_analog_root": None}, "convert_to_analog: ensure_analog_root must be a bool"),
    ({"module_name": 3}, "convert_to_analog: module_name must be a str"),
    ({"specific_rpu_config_fun": "id"}, "convert_to_analog: specific_rpu_config_fun must be "
                                        "a callable"),
])
def test_conversion_options_are_checked(kwargs, match):
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ArgumentError, match=match):
        convert_to_analog(model, FloatingPointRPUConfig(), **kwargs)
    assert type(model[0]) is nn.Linear


def test_convert_to_digital_names_the_module_without_to_digital():
    class NoDigital(AnalogLinear):  # pylint: disable=abstract-method
        to_digital = None

    model = nn.Sequential(nn.Sequential(NoDigital(2, 2, rpu_config=FloatingPointRPUConfig())))
    with pytest.raises(ArgumentError, match="convert_to_digital: module 'net.0.0' of class "
                                            "NoDigital has no to_digital"):
        convert_to_digital(model, {NoDigital}, module_name="net")
    with pytest.raises(ArgumentError, match="convert_to_digital: inplace must be a bool"):
        convert_to_digital(model, inplace=0)
