"""Floating point tile: exact products, update rule, weights API, printing."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.simulator.configs import FloatingPointRPUConfig, RPUDataType
from aihwkit.simulator.tiles import FloatingPointTile


def _double_config():
    config = FloatingPointRPUConfig()
    config.runtime.data_type = RPUDataType.DOUBLE
    return config


def test_seed_constructor_without_config():
    tile = FloatingPointTile(10, 20)
    assert tile.get_weights()[0].shape == (10, 20)
    assert repr(tile) == "FloatingPointTile(RPUSimple<float>(10,20))"


def test_forward_backward_update_are_exact():
    tile = FloatingPointTile(3, 5, _double_config())
    weights = torch.randn(3, 5, dtype=torch.float64)
    tile.set_weights(weights)
    x = torch.randn(7, 5, dtype=torch.float64)
    d = torch.randn(7, 3, dtype=torch.float64)
    torch.testing.assert_close(tile.tile.forward(x), x @ weights.t(), rtol=0, atol=1e-12)
    torch.testing.assert_close(tile.tile.backward(d), d @ weights, rtol=0, atol=1e-12)
    tile.set_learning_rate(0.3)
    tile.update(x, d)
    torch.testing.assert_close(tile.get_weights()[0], weights - 0.3 * d.t() @ x,
                               rtol=0, atol=1e-12)


def test_learning_rate_default_and_zero_lr():
    tile = FloatingPointTile(2, 3)
    assert tile.get_learning_rate() == pytest.approx(0.1)
    tile.set_learning_rate(0.0)
    before = tile.get_weights()[0]
    tile.update(torch.ones(1, 3), torch.ones(1, 2))
    assert torch.equal(before, tile.get_weights()[0])


def test_leading_batch_dims_and_transposed_layouts():
    tile = FloatingPointTile(3, 4, _double_config())
    w = torch.randn(3, 4, dtype=torch.float64)
    tile.set_weights(w)
    x = torch.randn(2, 5, 4, dtype=torch.float64)
    assert tile(x).shape == (2, 5, 3)
    torch.testing.assert_close(tile(x), x @ w.t())
    trans = FloatingPointTile(3, 4, _double_config(), in_trans=True, out_trans=True)
    trans.set_weights(w)
    xt = torch.randn(4, 6, dtype=torch.float64)
    torch.testing.assert_close(trans(xt), (xt.t() @ w.t()).t())


def test_digital_and_analog_bias():
    config = _double_config()
    tile = FloatingPointTile(2, 3, config, bias=True)
    w, b = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    tile.set_weights(w, b)
    x = torch.randn(4, 3, dtype=torch.float64)
    torch.testing.assert_close(tile(x), x @ w.t() + b)
    config.mapping.digital_bias = False
    analog = FloatingPointTile(2, 3, config, bias=True)
    analog.set_weights(w, b)
    assert analog.tile.get_weights().shape == (2, 4)
    torch.testing.assert_close(analog(x), x @ w.t() + b)
    got_w, got_b = analog.get_weights()
    torch.testing.assert_close(got_w, w)
    torch.testing.assert_close(got_b, b)
    with pytest.raises(ValueError):
        analog.set_weights(w)


def test_weight_scaling_omega():
    config = FloatingPointRPUConfig()
    config.mapping.weight_scaling_omega = 0.5
    tile = FloatingPointTile(2, 3, config)
    w = torch.tensor([[0.4, -0.2, 0.1], [0.0, 0.3, -0.1]])
    tile.set_weights(w)
    torch.testing.assert_close(tile.tile.get_weights(), w / 0.8)
    torch.testing.assert_close(tile.get_scales(), torch.tensor([0.8]))
    torch.testing.assert_close(tile.get_weights()[0], w)
    config.mapping.weight_scaling_columnwise = True
    col = FloatingPointTile(2, 3, config)
    col.set_weights(w)
    torch.testing.assert_close(col.get_scales(), torch.tensor([0.8, 0.6]))
    torch.testing.assert_close(col(torch.eye(3)), (w @ torch.eye(3)).t())


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_bad_sizes(bad):
    with pytest.raises(ArgumentError):
        FloatingPointTile(bad, 3)
    with pytest.raises(ArgumentError):
        FloatingPointTile(3, bad)


def test_bad_inputs_leave_state_untouched():
    tile = FloatingPointTile(3, 4)
    before = tile.get_weights()[0]
    with pytest.raises(TileError):
        tile(torch.randn(2, 5))
    with pytest.raises(TileError):
        tile(torch.randn(2, 4, dtype=torch.float64))
    with pytest.raises(TileError):
        tile(torch.ones(2, 4, dtype=torch.int64))
    with pytest.raises(ArgumentError):
        tile([[1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(TileError):
        tile.update(torch.randn(2, 4), torch.randn(3, 3))
    with pytest.raises(TileError):
        tile.update(torch.randn(2, 4), torch.randn(2, 4))
    with pytest.raises(TileError):
        tile.set_weights(torch.randn(4, 3, 2))
    with pytest.raises(ArgumentError):
        tile.set_weights([["a", "b"]])
    assert torch.equal(before, tile.get_weights()[0])


def test_array_like_weights_are_accepted():
    tile = FloatingPointTile(2, 2)
    tile.set_weights([[1.0, 2.0], [3.0, 4.0]])
    torch.testing.assert_close(tile.get_weights()[0], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))


def test_engine_summary_lists_settings_and_brief_info():
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice
    from aihwkit.simulator.tiles import AnalogTile

    tile = AnalogTile(3, 4, SingleRPUConfig(device=ConstantStepDevice(dw_min=0.01)))
    assert repr(tile) == "AnalogTile(RPUPulsed<float>[ConstantStep](3,4))"
    text = str(tile.tile)
    assert "Device:\n  ConstantStepDevice(dw_min=0.01)" in text
    assert text.endswith("RPUPulsed<float>[ConstantStep](3,4)")
