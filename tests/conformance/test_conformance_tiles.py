"""Tile facts that match aihwkit 1.1.0 (observed with the same programs)."""

import pytest
import torch

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (FloatingPointDevice, FloatingPointRPUConfig,
                                       InferenceRPUConfig, SingleRPUConfig,
                                       SoftBoundsDevice, TorchInferenceRPUConfig)
from aihwkit.simulator.tiles import FloatingPointTile

W = torch.tensor([[0.5, -0.25, 0.1], [0.1, 0.2, 0.3]])
X = torch.tensor([[1.0, 2.0, 3.0]])
D = torch.tensor([[0.5, -1.0]])


@pytest.mark.parametrize("config", [InferenceRPUConfig(), SingleRPUConfig(),
                                    SingleRPUConfig(device=SoftBoundsDevice())])
def test_floating_point_tile_is_exact_with_any_config(config):
    # aihwkit: FloatingPointTile(RPUSimple<float>(2,3)), no IO noise, exact SGD update
    tile = FloatingPointTile(2, 3, config)
    assert repr(tile) == "FloatingPointTile(RPUSimple<float>(2,3))"
    assert list(tile.get_hidden_parameters()) == []
    tile.set_weights(W)
    outputs = [tile(X) for _ in range(3)]
    assert all(torch.equal(out, X @ W.T) for out in outputs)
    tile.set_learning_rate(0.1)
    tile.update(X, D)
    torch.testing.assert_close(tile.get_weights()[0], W - 0.1 * D.T @ X, rtol=0, atol=1e-7)
    assert type(tile.rpu_config) is type(config)  # the config itself is kept


def test_floating_point_tile_keeps_the_device_lifetime():
    # lifetime 10: W <- W * (1 - 1/10) per decay, also with a pulsed device's config
    for config in (SingleRPUConfig(device=SoftBoundsDevice(lifetime=10.0)),
                   FloatingPointRPUConfig(device=FloatingPointDevice(lifetime=10.0))):
        tile = FloatingPointTile(1, 2, config)
        tile.set_weights(torch.tensor([[0.5, -0.5]]))
        tile.decay_weights(1.0)
        torch.testing.assert_close(tile.get_weights()[0], torch.tensor([[0.45, -0.45]]))


def test_layer_with_floating_point_tile_module_class():
    layer = AnalogLinear(3, 2, bias=False, rpu_config=InferenceRPUConfig(),
                         tile_module_class=FloatingPointTile)
    assert repr(layer).splitlines()[2] == \
        "  (analog_module): FloatingPointTile(RPUSimple<float>(2,3))"
    layer.set_weights(W)
    assert torch.equal(layer(X), X @ W.T)
    # the state round trip rebuilds the exact engine
    clone = AnalogLinear(3, 2, bias=False, rpu_config=InferenceRPUConfig(),
                         tile_module_class=FloatingPointTile)
    clone.load_state_dict(layer.state_dict())
    assert torch.equal(clone(X), X @ W.T)


def _perfect(config_class):
    config = config_class()
    config.forward.is_perfect = True
    return config


@pytest.mark.parametrize("config_class", [TorchInferenceRPUConfig, InferenceRPUConfig])
@pytest.mark.parametrize("regroup_first", [True, False])
def test_optimizer_built_before_loading_keeps_training(config_class, regroup_first):
    # resuming: model and optimizer are built, then the checkpoint is loaded
    stored = AnalogLinear(2, 2, rpu_config=_perfect(config_class)).state_dict()
    layer = AnalogLinear(2, 2, rpu_config=_perfect(config_class))
    optimizer = AnalogSGD(layer.parameters(), lr=0.1)
    if regroup_first:
        optimizer.regroup_param_groups(layer)
    layer.load_state_dict(stored)
    if not regroup_first:
        optimizer.regroup_param_groups(layer)
    before, _ = layer.get_weights()
    x = torch.ones(1, 2)
    layer(x).sum().backward()
    optimizer.step()
    # d(sum y)/dW = 1 x^T: every weight moves by -lr * 1 = -0.1
    torch.testing.assert_close(layer.get_weights()[0], before - 0.1, rtol=0, atol=1e-6)


def test_optimizer_keeps_training_after_a_config_replacement():
    layer = AnalogLinear(2, 2, rpu_config=_perfect(TorchInferenceRPUConfig))
    optimizer = AnalogSGD(layer.parameters(), lr=0.1)
    optimizer.regroup_param_groups(layer)
    layer.replace_rpu_config(_perfect(TorchInferenceRPUConfig))
    before, _ = layer.get_weights()
    layer(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    torch.testing.assert_close(layer.get_weights()[0], before - 0.1, rtol=0, atol=1e-6)
