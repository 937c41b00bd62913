"""The engine-tile API reached through ``tile.tile`` and the ``rpu_base.tiles`` /
``rpu_base.device_parameters`` modules: code written against the compiled engine's
low-level objects runs."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.nn import AnalogLinear
from aihwkit.simulator.configs import SingleRPUConfig, TorchInferenceRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.presets import TikiTakaEcRamPreset
from aihwkit.simulator.rpu_base import device_parameters, tiles


def test_engine_tile_methods_through_tile_tile():
    config = SingleRPUConfig(device=ConstantStepDevice(dw_min_std=0.0, dw_min_dtod=0.0,
                                                       up_down_dtod=0.0))
    config.device.reset_std = 0.0
    engine = AnalogLinear(4, 3, bias=False, rpu_config=config).analog_module.tile
    assert (engine.get_x_size(), engine.get_d_size()) == (4, 3)
    engine.set_learning_rate(0.25)
    assert engine.get_learning_rate() == 0.25
    weights = torch.full((3, 4), 0.1)
    engine.set_weights(weights)
    assert torch.equal(engine.get_weights(), weights)
    assert engine.get_hidden_parameter_names() == list(engine.get_hidden_parameters())
    assert engine.get_brief_info() == "RPUPulsed<float>[ConstantStep](3,4)"
    assert engine.get_brief_info() in engine.get_info()
    engine.decay_weights(1.0)
    engine.diffuse_weights()
    engine.drift_weights(1.0)
    engine.reset_columns(0, 1, 1.0)
    assert torch.all(engine.get_weights()[:, 0] == 0.0)  # reset to 0 (no spread)
    engine.set_weights_uniform_random(-0.2, 0.2)
    values = engine.get_weights()
    assert values.abs().max() <= 0.2 and values.std() > 0
    with pytest.raises(TileError, match="expected exactly"):
        engine.set_weights(torch.zeros(4, 3))
    with pytest.raises(ArgumentError, match="reset_prob"):
        engine.reset_columns(0, 1, 2.0)


def test_dump_and_load_extra_restore_the_engine_exactly():
    torch.manual_seed(0)
    source = AnalogLinear(4, 3, rpu_config=TikiTakaEcRamPreset()).analog_module
    source.update(torch.rand(5, 4), torch.rand(5, 3))
    target = AnalogLinear(4, 3, rpu_config=TikiTakaEcRamPreset()).analog_module
    target.tile.load_extra(source.tile.dump_extra())
    for (name, a), b in zip(source.tile.get_hidden_parameters().items(),
                            target.tile.get_hidden_parameters().values()):
        assert torch.equal(a, b), name


def test_torch_engine_has_the_size_and_learning_rate_methods():
    engine = AnalogLinear(4, 3, rpu_config=TorchInferenceRPUConfig()).analog_module.tile
    assert (engine.get_x_size(), engine.get_d_size()) == (4, 3)
    engine.set_learning_rate(0.5)
    assert engine.get_learning_rate() == 0.5
    with pytest.raises(ArgumentError, match="learning_rate"):
        engine.set_learning_rate(float("nan"))
    with pytest.raises(TileError, match="expected exactly"):
        engine.set_weights(torch.zeros(12))


def test_rpu_base_tiles_build_bare_engines():
    tile = tiles.AnalogTile(4, 3, seed=1)
    tile.set_weights_uniform_random(-0.1, 0.1)
    x, d = torch.rand(2, 4), torch.rand(2, 3)
    before = tile.get_weights()
    assert tile.forward(x).shape == (2, 3) and tile.backward(d).shape == (2, 4)
    tile.update(x, d)
    assert not torch.equal(before, tile.get_weights())
    floating = tiles.FloatingPointTile(4, 3)
    floating.set_weights(torch.eye(3, 4))
    assert torch.equal(floating.forward(x), x[:, :3])
    assert tiles.WeightClipParameter().type == tiles.WeightClipType.NONE
    with pytest.raises(ArgumentError, match="x_size"):
        tiles.AnalogTile(0, 3)


def test_device_parameters_create_arrays():
    params = device_parameters.AnalogTileParameter()
    single = params.create_array(4, 3, device_parameters.ConstantStepResistiveDeviceParameter())
    assert single.get_brief_info() == "RPUPulsed<float>[ConstantStep](3,4)"
    pair = [device_parameters.ConstantStepResistiveDeviceParameter() for _ in range(2)]
    transfer = params.create_array(
        4, 3, device_parameters.TransferResistiveDeviceParameter(unit_cell_devices=pair))
    assert "Transfer" in transfer.get_brief_info()
    floating = device_parameters.FloatingPointTileParameter().create_array(4, 3)
    assert floating.get_brief_info() == "RPUSimple<float>(3,4)"
    with pytest.raises(ArgumentError, match="device_param"):
        params.create_array(4, 3, "ConstantStep")
