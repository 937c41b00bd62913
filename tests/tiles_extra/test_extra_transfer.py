"""``TorchTransferTile``: transfer compounds selected through ``tile_class``."""

import pytest
import torch

from aihwkit.exceptions import ConfigError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    ChoppedTransferCompound, ConstantStepDevice, DynamicTransferCompound, SingleRPUConfig,
    SoftBoundsDevice, TransferCompound, UnitCellRPUConfig)
from aihwkit.simulator.tiles.analog import AnalogTile
from aihwkit.simulator.tiles.transfer import TorchTransferTile, TransferSimulatorTile


def _config(compound_class, tile_class=TorchTransferTile):
    device = compound_class(unit_cell_devices=[SoftBoundsDevice(), SoftBoundsDevice()],
                            transfer_every=2)
    return UnitCellRPUConfig(device=device, tile_class=tile_class)


@pytest.mark.parametrize("compound", [TransferCompound, ChoppedTransferCompound,
                                      DynamicTransferCompound])
def test_same_as_analog_tile_with_same_engine(compound):
    x = torch.rand(6, 5)
    d = torch.rand(6, 3) - 0.5
    weights = []
    for tile_class in (TorchTransferTile, AnalogTile):
        torch.manual_seed(11)
        tile = tile_class(3, 5, _config(compound, tile_class))
        tile.set_learning_rate(0.1)
        for _ in range(4):
            tile.update(x, d)
        weights.append(tile.get_weights()[0])
    assert isinstance(TorchTransferTile(3, 5, _config(compound)).tile, TransferSimulatorTile)
    assert torch.equal(weights[0], weights[1])


def test_transfer_moves_fast_device_to_slow_device():
    device = TransferCompound(unit_cell_devices=[ConstantStepDevice(dw_min_std=0.0,
                                                                    dw_min_dtod=0.0,
                                                                    up_down_dtod=0.0),
                                                 ConstantStepDevice()],
                              transfer_every=1, gamma=0.0)
    tile = TorchTransferTile(2, 3, UnitCellRPUConfig(device=device))
    tile.set_weights(torch.zeros(2, 3))
    tile.set_learning_rate(0.5)
    before = tile.get_device_weights()
    for _ in range(6):
        tile.update(torch.ones(1, 3), -torch.ones(1, 2))
    fast, slow = tile.get_device_weights()
    assert (fast > before[0]).any()
    # the slow device receives the transferred (positive) fast weights
    assert (slow > before[1]).any()
    # gamma = 0: the visible weight is the slow device alone
    assert torch.allclose(tile.get_weights()[0], slow)


def test_layer_trains_with_analog_sgd():
    layer = AnalogLinear(4, 2, rpu_config=_config(ChoppedTransferCompound))
    assert isinstance(layer.analog_module, TorchTransferTile)
    optimizer = AnalogSGD(layer.parameters(), lr=0.1)
    x = torch.rand(10, 4)
    target = torch.rand(10, 2)
    before = layer.get_weights()[0]
    for _ in range(3):
        optimizer.zero_grad()
        loss = ((layer(x) - target) ** 2).sum()
        loss.backward()
        optimizer.step()
    assert not torch.equal(before, layer.get_weights()[0])


def test_state_dict_round_trip():
    layer = AnalogLinear(4, 3, rpu_config=_config(DynamicTransferCompound))
    layer.analog_module.update(torch.rand(5, 4), torch.rand(5, 3))
    other = AnalogLinear(4, 3, rpu_config=_config(DynamicTransferCompound))
    other.load_state_dict(layer.state_dict())
    assert torch.equal(other.get_weights()[0], layer.get_weights()[0])
    for mine, theirs in zip(other.analog_module.get_device_weights(),
                            layer.analog_module.get_device_weights()):
        assert torch.equal(mine, theirs)


def test_non_transfer_device_is_rejected():
    with pytest.raises(ConfigError, match="TransferCompound"):
        TorchTransferTile(3, 4, SingleRPUConfig())
    with pytest.raises(ConfigError, match="TransferCompound"):
        TorchTransferTile(3, 4)
