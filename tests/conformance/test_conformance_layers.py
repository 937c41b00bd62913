"""Layer facts that match aihwkit 1.1.0: printed models, sizes of mapped layers, the
analog summary, and replacing the RPU config of tiles and layers.

The expected values were observed on aihwkit 1.1.0 with the same programs.
"""

import copy

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError, ModuleError, TileError, TileModuleError
from aihwkit.nn import (AnalogConv1dMapped, AnalogConv2d, AnalogConv2dMapped,
                        AnalogConv3dMapped, AnalogLinear, AnalogLinearMapped,
                        AnalogLSTMCell, AnalogRNN, AnalogSequential)
from aihwkit.nn.conversion import convert_to_analog
from aihwkit.simulator.configs import (ConstantStepDevice, FloatingPointRPUConfig,
                                       InferenceRPUConfig, MappingParameter,
                                       SingleRPUConfig, SoftBoundsDevice,
                                       TorchInferenceRPUConfig)
from aihwkit.utils.analog_info import analog_summary


# ---------------------------------------------------------------------------- printing
def test_split_linear_prints_only_the_tile_grid():
    layer = AnalogLinear(1030, 600, rpu_config=InferenceRPUConfig())
    assert repr(layer).splitlines()[:7] == [
        "AnalogLinear(",
        "  in_features=1030, out_features=600, bias=True, InferenceRPUConfig",
        "  (analog_module): TileModuleArray(",
        "    (array): ModuleList(",
        "      (0): ModuleList(",
        "        (0-1): 2 x InferenceTile(RPUPulsed<float>[SimpleRPUDevice](300,344))",
        "      )",
    ]


def test_mapped_linear_print():
    config = FloatingPointRPUConfig(mapping=MappingParameter(max_input_size=3,
                                                             max_output_size=2))
    text = repr(AnalogLinearMapped(7, 5, rpu_config=config))
    assert text.splitlines()[:4] == [
        "AnalogLinearMapped(",
        "  in_features=7, out_features=5, bias=True, FloatingPointRPUConfig",
        "  (analog_module): TileModuleArray(",
        "    (array): ModuleList(",
    ]


def test_lstm_cell_prints_only_its_sub_layers():
    cell = AnalogLSTMCell(3, 4, True, rpu_config=FloatingPointRPUConfig())
    assert repr(cell).splitlines()[:3] == [
        "AnalogLSTMCell(",
        "  (weight_ih): AnalogLinear(",
        "    in_features=3, out_features=16, bias=True, FloatingPointRPUConfig",
    ]
    rnn = AnalogRNN(AnalogLSTMCell, 3, 4, rpu_config=FloatingPointRPUConfig())
    lines = repr(rnn).splitlines()
    assert lines[4:7] == ["        (cell): AnalogLSTMCell(",
                          "          (weight_ih): AnalogLinear(",
                          "            in_features=3, out_features=16, bias=True, "
                          "FloatingPointRPUConfig"]


# ---------------------------------------------------------------------------- mapped conv
@pytest.mark.parametrize("layer_class, in_features, config_size", [
    (AnalogConv1dMapped, 15, 20), (AnalogConv2dMapped, 45, 20), (AnalogConv3dMapped, 135, 60)])
def test_mapped_conv_in_and_out_features(layer_class, in_features, config_size):
    # aihwkit: in_features = in_channels * prod(kernel_size), out_features = out_channels
    config = FloatingPointRPUConfig(mapping=MappingParameter(max_input_size=config_size,
                                                             max_output_size=3))
    layer = layer_class(5, 7, 3, rpu_config=config)
    assert (layer.in_features, layer.out_features) == (in_features, 7)
    assert layer.out_sizes == [3, 2, 2]


# ---------------------------------------------------------------------------- summary
def test_analog_summary_returns_without_printing(capsys):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(32, 10))
    config = InferenceRPUConfig(mapping=MappingParameter(max_input_size=16,
                                                         max_output_size=4))
    analog = convert_to_analog(model, config)
    info = analog_summary(analog, (1, 1, 6, 6))
    assert capsys.readouterr().out == ""
    # conv: 1 tile (2 x 9); linear 32 -> 10: inputs 2 x 16, outputs 4, 3, 3 -> 6 tiles
    assert info.total_tile_number == 7
    assert info.total_nb_analog == 2
    assert repr(info) == str(info)
    assert [layer.reuse_factor for layer in info.layers] == [16, None, None, 1]


# ---------------------------------------------------------------------------- replacing
def _inference_linear():
    layer = AnalogLinear(4, 3, rpu_config=InferenceRPUConfig())
    layer.set_weights(torch.arange(12.0).reshape(3, 4) / 20, torch.tensor([0.1, 0.2, 0.3]))
    return layer


def _noisy(config_class=InferenceRPUConfig, **mapping):
    config = config_class(mapping=MappingParameter(**mapping))
    config.forward.out_noise = 0.123
    return config


def test_replace_rpu_config_keeps_weights_and_copies_the_config():
    layer = _inference_linear()
    weight, bias = layer.get_weights()
    config = _noisy()
    assert layer.replace_rpu_config(config) is None
    tile = layer.analog_module
    assert type(tile).__name__ == "InferenceTile"
    assert tile.rpu_config.forward.out_noise == 0.123 and tile.rpu_config is not config
    new_weight, new_bias = layer.get_weights()
    assert torch.equal(new_weight, weight) and torch.equal(new_bias, bias)


def test_replace_with_a_subclass_config_keeps_the_tile_class():
    # a TorchInferenceRPUConfig is an InferenceRPUConfig: accepted, the tile stays
    layer = _inference_linear()
    tile = layer.analog_module
    assert tile.compatible_with(_noisy(TorchInferenceRPUConfig)) == (True, None)
    tile.replace_with(_noisy(TorchInferenceRPUConfig))
    assert type(layer.analog_module).__name__ == "InferenceTile"
    assert layer.analog_module.rpu_config.forward.out_noise == 0.123


def test_weight_scaling_fields_may_change():
    layer = _inference_linear()
    ok, reason = layer.analog_module.compatible_with(_noisy(weight_scaling_omega=0.5))
    assert ok and reason is None
    layer.replace_rpu_config(_noisy(weight_scaling_omega=0.5))
    assert layer.analog_module.rpu_config.mapping.weight_scaling_omega == 0.5


@pytest.mark.parametrize("config", [SingleRPUConfig(), FloatingPointRPUConfig()])
def test_unrelated_config_class_is_refused(config):
    layer = _inference_linear()
    tile = layer.analog_module
    before = copy.deepcopy(layer.state_dict())
    out_noise = tile.rpu_config.forward.out_noise
    ok, reason = tile.compatible_with(config)
    assert not ok
    assert reason == (f"RPU config mismatch: Cannot replace {type(config).__name__} "
                      "with InferenceRPUConfig")
    for call in (lambda: tile.replace_with(config), lambda: tile.to(config),
                 lambda: tile.to(rpu_config=config),
                 lambda: layer.replace_rpu_config(config)):
        with pytest.raises(TileModuleError, match="Cannot replace"):
            call()
    assert torch.equal(layer.state_dict()["analog_module.analog_tile_state"]
                       ["analog_tile_weights"],
                       before["analog_module.analog_tile_state"]["analog_tile_weights"])
    assert tile.rpu_config.forward.out_noise == out_noise


@pytest.mark.parametrize("mapping", [{"max_input_size": 2}, {"digital_bias": False}])
def test_structural_mapping_change_is_refused(mapping):
    tile = _inference_linear().analog_module
    ok, reason = tile.compatible_with(_noisy(**mapping))
    assert not ok and "mapping" in reason
    with pytest.raises(TileModuleError):
        tile.replace_with(_noisy(**mapping))


def test_tile_to_config_returns_the_tile():
    tile = _inference_linear().analog_module
    assert tile.to(_noisy()) is tile
    assert tile.rpu_config.forward.out_noise == 0.123
    assert tile.to(rpu_config=_noisy(), dtype=torch.float64) is tile
    assert tile.get_dtype() == torch.float64


def test_pulsed_replacement_keeps_learning_rate():
    layer = AnalogLinear(4, 3, rpu_config=SingleRPUConfig())
    layer.analog_module.set_learning_rate(0.3)
    config = SingleRPUConfig()
    config.update.desired_bl = 7
    layer.replace_rpu_config(config)
    assert layer.analog_module.get_learning_rate() == pytest.approx(0.3)
    assert layer.analog_module.rpu_config.update.desired_bl == 7


def test_other_device_model_is_refused_by_its_hidden_parameters():
    layer = AnalogLinear(4, 3, rpu_config=SingleRPUConfig(device=SoftBoundsDevice()))
    with pytest.raises(TileError, match="Hidden parameter structure"):
        layer.replace_rpu_config(SingleRPUConfig(device=ConstantStepDevice()))
    assert type(layer.analog_module.rpu_config.device).__name__ == "SoftBoundsDevice"


def test_sequential_replacement_gives_every_tile_its_own_copy():
    model = AnalogSequential(AnalogLinear(2, 2, rpu_config=InferenceRPUConfig()),
                             AnalogLinear(2, 2, rpu_config=InferenceRPUConfig()))
    config = _noisy()
    model.replace_rpu_config(config)
    first, second = (layer.analog_module.rpu_config for layer in model)
    assert first is not config and second is not config and first is not second
    assert first.forward.out_noise == second.forward.out_noise == 0.123


def test_split_layer_replacement():
    config = InferenceRPUConfig(mapping=MappingParameter(max_input_size=5))
    layer = AnalogLinear(10, 4, rpu_config=config)
    weight, _ = layer.get_weights()
    new = InferenceRPUConfig(mapping=MappingParameter(max_input_size=5))
    new.forward.out_noise = 0.05
    layer.replace_rpu_config(new)
    assert type(layer.analog_module).__name__ == "TileModuleArray"
    assert all(t.rpu_config.forward.out_noise == 0.05 for t in layer.analog_tiles())
    assert torch.equal(layer.get_weights()[0], weight)


def test_input_range_switch_is_refused():
    # aihwkit accepts it but keeps the old tensors (the tile then disagrees with its
    # config); here the replacement is refused
    layer = _inference_linear()
    config = InferenceRPUConfig()
    config.pre_post.input_range.enable = True
    with pytest.raises(TileModuleError, match="input_range"):
        layer.replace_rpu_config(config)


# ---------------------------------------------------------------------------- loading
def _two_layers(config):
    return AnalogSequential(AnalogLinear(4, 3, rpu_config=config), nn.ReLU(),
                            AnalogLinear(3, 2, rpu_config=copy.deepcopy(config)))


def test_keeping_the_config_of_another_family_is_a_config_mismatch():
    # aihwkit checks the config before the tile class when load_rpu_config=False
    stored = _two_layers(InferenceRPUConfig()).state_dict()
    model = _two_layers(SingleRPUConfig())
    with pytest.raises(TileModuleError,
                       match="Cannot replace InferenceRPUConfig with SingleRPUConfig"):
        model.load_state_dict(stored, load_rpu_config=False)
    assert model[0].analog_module.load_rpu_config is False  # the flag persists
    # with the stored config adopted, the tile class decides
    with pytest.raises(TileError, match="Possible mismatch between InferenceTile and "
                                        "AnalogTile"):
        _two_layers(SingleRPUConfig()).load_state_dict(stored)


# ---------------------------------------------------------------------------- helpers
def test_array_split_sizes_method():
    array = AnalogLinear(7, 5, rpu_config=FloatingPointRPUConfig(
        mapping=MappingParameter(max_input_size=3, max_output_size=2))).analog_module
    assert [array.get_split_sizes(*args) for args in
            [(10, 3), (10, 0), (10, -1), (7, 7), (7, 8), (1030, 512), (1, 1)]] == \
        [[3, 3, 2, 2], [10], [10], [7], [7], [344, 343, 343], [1]]


def test_mapped_conv_split_sizes_method():
    layer = AnalogConv2dMapped(5, 7, 3, rpu_config=FloatingPointRPUConfig())
    assert [layer.get_split_sizes(*args) for args in
            [(10, 3), (10, 3, 2), (45, 20, 9), (45, 0, 9), (7, 3, 1), (12, 7, 3)]] == \
        [[3, 3, 2, 2], [1, 1, 1, 1, 1], [2, 2, 1], [5], [3, 2, 2], [2, 2]]
    with pytest.raises(ModuleError):
        layer.get_split_sizes(45, 8, 9)


def test_container_set_weights_needs_a_mapping():
    model = AnalogSequential(AnalogLinear(2, 2, rpu_config=FloatingPointRPUConfig()))
    with pytest.raises(ArgumentError, match="mapping of tile name"):
        model.set_weights(torch.ones(2, 2))


def test_load_state_dict_of_a_non_mapping_is_a_type_error():
    # torch (and so aihwkit) raise TypeError here
    with pytest.raises(TypeError, match="dict-like"):
        AnalogSequential().load_state_dict(5)


# ---------------------------------------------------------------------------- seeding
_SPLIT = MappingParameter(max_input_size=3, max_output_size=2)


@pytest.mark.parametrize("build", [
    lambda: AnalogLinear(4, 3, rpu_config=FloatingPointRPUConfig()),
    lambda: AnalogLinear(4, 3, rpu_config=InferenceRPUConfig()),
    lambda: AnalogLinear(4, 3, rpu_config=TorchInferenceRPUConfig()),
    lambda: AnalogLinear(4, 3, rpu_config=SingleRPUConfig()),
    lambda: AnalogLinear(4, 3, rpu_config=InferenceRPUConfig(mapping=_SPLIT)),
    lambda: AnalogLinearMapped(4, 3, rpu_config=InferenceRPUConfig(mapping=_SPLIT)),
])
def test_linear_layers_draw_like_torch_linear(build):
    # aihwkit: after torch.manual_seed(0) an analog linear layer has nn.Linear's initial
    # weights and leaves the global RNG where nn.Linear leaves it
    torch.manual_seed(0)
    reference = nn.Linear(4, 3)
    after_reference = torch.rand(3)
    torch.manual_seed(0)
    layer = build()
    assert torch.equal(torch.rand(3), after_reference)
    weight, bias = layer.get_weights()
    torch.testing.assert_close(weight, reference.weight.detach(), rtol=0, atol=1e-7)
    torch.testing.assert_close(bias, reference.bias.detach(), rtol=0, atol=1e-7)


@pytest.mark.parametrize("build", [
    lambda: AnalogConv2d(2, 3, 2, rpu_config=InferenceRPUConfig()),
    lambda: AnalogConv2dMapped(2, 3, 2, rpu_config=InferenceRPUConfig(
        mapping=MappingParameter(max_input_size=4, max_output_size=2))),
])
def test_conv_layers_draw_like_torch_conv(build):
    torch.manual_seed(0)
    reference = nn.Conv2d(2, 3, 2)
    after_reference = torch.rand(3)
    torch.manual_seed(0)
    layer = build()
    assert torch.equal(torch.rand(3), after_reference)
    weight, bias = layer.get_weights()
    torch.testing.assert_close(weight, reference.weight.detach().reshape(3, -1),
                               rtol=0, atol=1e-7)
    torch.testing.assert_close(bias, reference.bias.detach(), rtol=0, atol=1e-7)


def test_recurrent_layers_leave_the_global_rng_as_aihwkit():
    # an LSTM cell draws as much as nn.LSTM(2, 3); AnalogRNN then re-initialises its
    # weights; the values after construction were observed on aihwkit 1.1.0
    torch.manual_seed(0)
    nn.LSTM(2, 3)
    after_lstm = torch.rand(1)
    torch.manual_seed(0)
    AnalogLSTMCell(2, 3, True, rpu_config=InferenceRPUConfig())
    assert torch.equal(torch.rand(1), after_lstm)
    torch.manual_seed(0)
    AnalogRNN(AnalogLSTMCell, 2, 3, rpu_config=InferenceRPUConfig())
    assert torch.rand(1).item() == pytest.approx(0.049971, abs=1e-6)


def test_tiles_of_one_layer_get_distinct_generators():
    layer = AnalogLinear(7, 5, rpu_config=InferenceRPUConfig(mapping=_SPLIT))
    # pylint: disable=protected-access
    states = [tile._rng.generator.get_state() for tile in layer.analog_tiles()]
    assert len(states) == 9
    assert all(not torch.equal(a, b) for i, a in enumerate(states) for b in states[i + 1:])
