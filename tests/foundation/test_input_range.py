"""Input range learning on the tile periphery (spec 30 §1.6)."""

import pytest
import torch

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs import FloatingPointRPUConfig
from aihwkit.simulator.tiles import FloatingPointTile


def _tile(**fields):
    config = FloatingPointRPUConfig()
    config.pre_post.input_range.enable = True
    for key, value in fields.items():
        setattr(config.pre_post.input_range, key, value)
    return FloatingPointTile(2, 4, config)


def test_first_batch_sets_three_std_and_running_mean():
    tile = _tile()
    x1 = torch.randn(16, 4)
    tile(x1)
    assert tile.input_range.item() == pytest.approx(3 * x1.std().item(), rel=1e-6)
    x2 = 2 * torch.randn(16, 4)
    tile(x2)
    expected = (3 * x1.std() + 3 * x2.std()) / 2
    assert tile.input_range.item() == pytest.approx(expected.item(), rel=1e-6)
    tile.eval()
    tile(torch.randn(16, 4) * 10)
    assert tile.input_range.item() == pytest.approx(expected.item(), rel=1e-6)


def test_clip_and_scale_of_forward():
    tile = _tile(init_from_data=0, init_value=2.0)
    w = torch.randn(2, 4)
    tile.set_weights(w)
    x = torch.tensor([[3.0, -0.5, 1.0, -4.0]])
    torch.testing.assert_close(tile(x), x.clamp(-2, 2) @ w.t())


def test_range_gradient_formula():
    tile = _tile(init_from_data=0, init_value=3.0)
    w = torch.tensor([[0.5, -0.2, 0.1, 0.3], [-0.4, 0.6, 0.2, -0.1]])
    tile.set_weights(w)
    x = torch.tensor([[5.0, -5.0, 0.1, 0.2]], requires_grad=True)
    tile(x).sum().backward()
    dx = w.t() @ torch.ones(2)
    expected = 3.0 * (min(dx[0].item(), 0.0) - max(dx[1].item(), 0.0))
    assert tile.input_range.grad.item() == pytest.approx(expected, rel=1e-6)
    torch.testing.assert_close(x.grad[0], dx)


def test_decay_term_when_inputs_are_inside():
    tile = _tile(init_from_data=0, init_value=3.0, decay=0.01)
    tile(torch.full((1, 4), 0.5)).sum().backward()
    assert tile.input_range.grad.item() == pytest.approx(0.01 * 3.0)


def test_non_learned_range_is_a_buffer_and_output_clipping_needs_managed_io():
    tile = _tile(learn_input_range=False)
    assert "input_range" in dict(tile.named_buffers())
    with pytest.raises(ConfigError, match="manage_output_clipping"):
        _tile(manage_output_clipping=True)
