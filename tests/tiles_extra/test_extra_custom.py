"""``CustomTile``: a user-defined torch tile with its own update rule."""

import math

import pytest
import torch

from aihwkit.exceptions import ConfigError, TileError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.tiles.custom import (
    CustomRPUConfig, CustomSimulatorTile, CustomTile, CustomUpdateParameters)


def _perfect_config(**update):
    return CustomRPUConfig(forward=IOParameters(is_perfect=True),
                           backward=IOParameters(is_perfect=True),
                           update=CustomUpdateParameters(**update))


def test_layer_uses_custom_tile_and_forward_is_managed():
    layer = AnalogLinear(5, 3, rpu_config=CustomRPUConfig())
    assert isinstance(layer.analog_module, CustomTile)
    assert isinstance(layer.analog_module.tile, CustomSimulatorTile)
    weights = torch.rand(3, 5) - 0.5
    layer.set_weights(weights, torch.zeros(3))
    x = torch.rand(4, 5)
    # default IOParameters: output noise 0.06 (normalized), quantized IO; close to exact
    assert torch.allclose(layer(x), x @ weights.t(), atol=0.5)
    exact = AnalogLinear(5, 3, rpu_config=_perfect_config())
    exact.set_weights(weights, torch.zeros(3))
    assert torch.allclose(exact(x), x @ weights.t(), atol=1e-6)


def test_deterministic_rounding_and_bounds():
    tile = CustomTile(2, 3, _perfect_config(dw_min=0.1, sto_round=False, w_min=-0.5,
                                            w_max=0.5))
    tile.set_weights(torch.zeros(2, 3))
    tile.set_learning_rate(1.0)
    x = torch.tensor([[0.12, 0.26, 1.0]])
    d = torch.tensor([[-1.0, 2.0]])
    tile.update(x, d)
    exact = -(d.t() @ x)  # [[0.12, 0.26, 1.0], [-0.24, -0.52, -2.0]]
    expected = (torch.round(exact / 0.1) * 0.1).clamp(-0.5, 0.5)
    assert torch.allclose(tile.get_weights()[0], expected, atol=1e-6)
    # weights written out of bounds are clipped too
    tile.set_weights(torch.full((2, 3), 3.0))
    assert torch.equal(tile.get_weights()[0], torch.full((2, 3), 0.5))


def test_stochastic_rounding_is_unbiased():
    # every crosspoint wants 0.3 dw_min: it moves by dw_min with probability 0.3.
    # n = 9e4 crosspoints: std of the mean = sqrt(0.3 * 0.7 / 9e4) = 0.00153;
    # 4 standard errors = 0.0061, well below the 0.03 of a rule mis-set to p = 0.33
    dw_min = 0.01
    tile = CustomTile(300, 300, _perfect_config(dw_min=dw_min, sto_round=True))
    tile.set_weights(torch.zeros(300, 300))
    tile.set_learning_rate(1.0)
    tile.update(torch.full((1, 300), 0.3 * dw_min), -torch.ones(1, 300))
    steps = tile.get_weights()[0] / dw_min
    assert set(torch.round(steps).unique().tolist()) <= {0.0, 1.0}
    fraction = float(torch.round(steps).mean())
    standard_error = math.sqrt(0.3 * 0.7 / steps.numel())
    assert abs(fraction - 0.3) < 4 * standard_error
    # power: the same check rejects a rule mis-set by 10 % (p = 0.33)
    assert abs(fraction - 0.33) >= 4 * standard_error


def test_trains_with_analog_sgd_and_state_round_trips():
    torch.manual_seed(3)
    layer = AnalogLinear(4, 2, rpu_config=_perfect_config(dw_min=0.0))
    target_w = torch.rand(2, 4) - 0.5
    x = torch.rand(64, 4)
    target = x @ target_w.t()
    optimizer = AnalogSGD(layer.parameters(), lr=0.2)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    other = AnalogLinear(4, 2, rpu_config=_perfect_config(dw_min=0.0))
    other.load_state_dict(layer.state_dict())
    assert torch.equal(other.get_weights()[0], layer.get_weights()[0])


def test_invalid_update_parameters_and_unmodelled_operations():
    with pytest.raises(ConfigError, match="dw_min"):
        CustomTile(2, 2, _perfect_config(dw_min=-1.0))
    with pytest.raises(ConfigError, match="w_min"):
        CustomTile(2, 2, _perfect_config(w_min=1.0, w_max=0.0))
    tile = CustomTile(2, 2)
    with pytest.raises(TileError):
        tile.decay_weights()
    with pytest.raises(TileError):
        tile.diffuse_weights()
