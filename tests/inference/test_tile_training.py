"""Inference tiles in training: gradients, optimizers, out-bound mask, input range
(spec §1.4–§1.6, checks 12, 18, 18b)."""

import pytest
import torch

from aihwkit.exceptions import AnalogBiasConfigError, TorchTileConfigError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.tiles.inference import InferenceTile
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

from inference_helpers import perfect_config


def _weights(tile):
    return tile.shared_weights if isinstance(tile, InferenceTile) else tile.tile.weight


@pytest.mark.parametrize("torch_tile", [False, True])
def test_perfect_forward_gradients_and_sgd_step(torch_tile):
    layer = AnalogLinear(4, 3, bias=True, rpu_config=perfect_config(torch_tile))
    tile = layer.analog_module
    w = torch.randn(3, 4)
    b = torch.randn(3)
    layer.set_weights(w, b)
    x = torch.randn(6, 4)
    y = layer(x)
    assert torch.allclose(y, x @ w.t() + b, atol=1e-6)
    y.sum().backward()
    expected = x.sum(0).expand(3, 4)
    assert torch.allclose(_weights(tile).grad, expected, atol=1e-5)
    assert torch.allclose(tile.bias.grad, torch.full((3,), 6.0))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    before = layer.get_weights()[0]
    opt.step()
    assert torch.allclose(layer.get_weights()[0], before - 0.1 * expected, atol=1e-5)


@pytest.mark.parametrize("torch_tile", [False, True])
def test_plain_torch_optimizer_trains(torch_tile):
    torch.manual_seed(0)
    layer = AnalogLinear(5, 2, rpu_config=perfect_config(torch_tile))
    target = torch.randn(2, 5)
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    x = torch.randn(64, 5)
    for _ in range(200):
        opt.zero_grad()
        loss = ((layer(x) - x @ target.t()) ** 2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-3


def test_shared_weights_parameter_order_and_storage():
    tile = InferenceTile(3, 4, perfect_config(), bias=True)
    assert list(dict(tile.named_parameters()))[:3] == ["analog_ctx", "shared_weights", "bias"]
    assert tile.shared_weights.data_ptr() == tile.tile.device_engine.weights.data_ptr()
    tile.set_weights(torch.ones(3, 4), torch.zeros(3))
    assert torch.equal(tile.shared_weights.data, torch.ones(3, 4))
    assert "SimpleRPUDevice" in tile.get_brief_info()


def test_gradient_scale_with_mapping_and_input_range():
    # C++ tile: grad = dL/dW_logical / (s r); torch tile: / s only (spec §1.4.1, §1.4.3)
    w = torch.tensor([[0.5, -1.0, 2.0], [0.25, 1.5, -0.5]])
    x = torch.tensor([[0.3, -0.2, 0.1], [0.5, 0.4, -0.3]])
    for torch_tile in (False, True):
        config = perfect_config(torch_tile, weight_scaling_omega=1.0)
        config.pre_post.input_range.enable = True
        config.pre_post.input_range.init_from_data = 0
        config.pre_post.input_range.init_value = 2.0
        layer = AnalogLinear(3, 2, bias=False, rpu_config=config)
        layer.set_weights(w)
        tile = layer.analog_module
        scale = float(tile.get_scales())
        assert scale == pytest.approx(2.0)
        layer(x).sum().backward()
        logical = x.sum(0).expand(2, 3)
        divisor = scale if torch_tile else scale * 2.0
        assert torch.allclose(_weights(tile).grad, logical / divisor, atol=1e-6)


def test_out_bound_mask_blocks_input_gradient_only():
    layer = AnalogLinear(2, 2, bias=False, rpu_config=perfect_config())
    layer.set_weights(torch.tensor([[10.0, 10.0], [0.1, 0.1]]))
    x = torch.ones(1, 2, requires_grad=True)
    y = layer(x)
    assert torch.allclose(y, torch.tensor([[20.0, 0.2]]))
    y.sum().backward()
    assert torch.allclose(x.grad, torch.tensor([[0.1, 0.1]]))
    assert torch.allclose(layer.analog_module.shared_weights.grad, torch.ones(2, 2))


@pytest.mark.parametrize("torch_tile", [False, True])
def test_input_range_init_and_gradient(torch_tile):
    config = perfect_config(torch_tile)
    config.pre_post.input_range.enable = True
    tile_class = TorchInferenceTile if torch_tile else InferenceTile
    tile = tile_class(2, 4, config)
    x = torch.randn(20, 4) * 2
    tile(x)
    assert tile.input_range.item() == pytest.approx(3.0 * x.std().item(), rel=1e-5)
    # clipped-input gradients (init from data off)
    config.pre_post.input_range.init_from_data = 0
    tile = tile_class(2, 4, config)
    w = torch.tensor([[1.0, -2.0, 0.5, 1.0], [0.5, 1.0, -1.0, 2.0]])
    tile.set_weights(w)
    x = torch.tensor([[5.0, -5.0, 0.1, 0.2]], requires_grad=True)
    tile(x).sum().backward()
    delta = w.sum(0)  # dL/d clip(x)
    expected_x = delta.clone()
    if torch_tile:
        expected_x[:2] = 0.0  # torch.clamp passes no gradient outside the range
    assert torch.allclose(x.grad[0], expected_x)
    r = 3.0
    grad = r * (min(delta[0].item(), 0.0) - max(delta[1].item(), 0.0))
    # decay term: only 50 % of the inputs are inside the range (< 95 %): not added
    assert tile.input_range.grad.item() == pytest.approx(grad, rel=1e-6)


def test_torch_tile_rejects_unsupported_layouts():
    with pytest.raises(TorchTileConfigError):
        TorchInferenceTile(2, 3, perfect_config(True), in_trans=True)
    with pytest.raises(AnalogBiasConfigError):
        TorchInferenceTile(2, 3, perfect_config(True, digital_bias=False), bias=True)


def test_analog_bias_column_on_compiled_tile():
    layer = AnalogLinear(3, 2, bias=True, rpu_config=perfect_config(digital_bias=False))
    w, b = torch.randn(2, 3), torch.randn(2)
    layer.set_weights(w, b)
    x = torch.randn(4, 3)
    assert torch.allclose(layer(x), x @ w.t() + b, atol=1e-6)
    assert layer.analog_module.shared_weights.shape == (2, 4)


def test_without_shared_weights_the_analog_optimizer_updates():
    tile = InferenceTile(3, 4, perfect_config(), shared_weights=False)
    assert tile.shared_weights is None
    w = torch.randn(3, 4)
    tile.set_weights(w)
    x = torch.randn(5, 4)
    tile(x).sum().backward()
    opt = AnalogSGD([tile.analog_ctx], lr=0.1)
    opt.regroup_param_groups(tile)
    opt.step()
    assert torch.allclose(tile.get_weights()[0], w - 0.1 * x.sum(0).expand(3, 4), atol=1e-5)


def test_noisy_forward_runs_in_train_and_eval():
    from aihwkit.simulator.configs import InferenceRPUConfig
    layer = AnalogLinear(10, 5, rpu_config=InferenceRPUConfig())
    x = torch.randn(7, 10)
    w, b = layer.get_weights()
    ideal = x @ w.t() + b
    for mode in (True, False):
        layer.train(mode)
        y1, y2 = layer(x), layer(x)
        assert not torch.equal(y1, y2)  # output noise redrawn
        assert (y1 - ideal).abs().max() < 1.0


@pytest.mark.parametrize("torch_tile", [False, True])
def test_learned_out_scaling_gets_gradient(torch_tile):
    config = perfect_config(torch_tile, learn_out_scaling=True, out_scaling_columnwise=True)
    layer = AnalogLinear(4, 3, bias=False, rpu_config=config)
    w = torch.randn(3, 4)
    layer.set_weights(w)
    x = torch.randn(5, 4)
    layer(x).sum().backward()
    alpha = layer.analog_module.out_scaling_alpha
    assert alpha.shape == (3,)
    assert torch.allclose(alpha.grad, (x @ w.t()).sum(0), atol=1e-5)


def test_device_moves_keep_shared_storage_and_state():
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    layer.eval()
    layer.program_analog_weights()
    layer.double()
    tile = layer.analog_module
    assert tile.shared_weights.dtype == torch.float64
    assert tile.shared_weights.data_ptr() == tile.tile.device_engine.weights.data_ptr()
    assert tile.programmed_weights.dtype == torch.float64
    layer.drift_analog_weights(10.0)
    assert layer(torch.randn(2, 4, dtype=torch.float64)).dtype == torch.float64


def test_device_decay_reaches_shared_weights_before_clip():
    from aihwkit.simulator.configs import IdealDevice, WeightClipType
    config = perfect_config()
    config.device = IdealDevice(lifetime=10.0)
    config.clip.type = WeightClipType.FIXED_VALUE
    config.clip.fixed_value = 0.45
    tile = InferenceTile(2, 3, config)
    tile.set_weights(torch.tensor([[0.5, -0.2, 0.1], [1.0, 0.0, -0.3]]))
    tile.post_update_step()  # decay x0.9 first, then clip at 0.45
    expected = torch.tensor([[0.45, -0.18, 0.09], [0.45, 0.0, -0.27]])
    assert torch.allclose(tile.shared_weights.data, expected)
    assert tile.shared_weights.data_ptr() == tile.tile.device_engine.weights.data_ptr()
