"""Weight clipping and remapping after each optimizer step (spec §1.7, §1.9, §1.10,
checks 16, 17)."""

import pytest
import torch

from aihwkit.exceptions import ConfigError, TorchTileConfigError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import WeightClipType, WeightRemapType
from aihwkit.simulator.tiles.inference import InferenceTile
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

from inference_helpers import perfect_config


def _normal_weights():
    return torch.randn(6, 8, generator=torch.Generator().manual_seed(5))


def _tile(torch_tile=False, clip=None, remap=None, **mapping):
    config = perfect_config(torch_tile, **mapping)
    for key, value in (clip or {}).items():
        setattr(config.clip, key, value)
    for key, value in (remap or {}).items():
        setattr(config.remap, key, value)
    return (TorchInferenceTile if torch_tile else InferenceTile)(6, 8, config)


@pytest.mark.parametrize("torch_tile", [False, True])
def test_clip_types(torch_tile):
    w = _normal_weights()
    cases = [({"type": WeightClipType.FIXED_VALUE, "fixed_value": 0.5}, 0.5),
             ({"type": WeightClipType.LAYER_GAUSSIAN, "sigma": 1.0}, w.std().item()),
             ({"type": WeightClipType.LAYER_GAUSSIAN, "sigma": 1.0, "fixed_value": 0.5}, 0.5)]
    if not torch_tile:
        cases.append(({"type": WeightClipType.AVERAGE_CHANNEL_MAX},
                      w.abs().amax(1).mean().item()))
    for clip, bound in cases:
        tile = _tile(torch_tile, clip=clip)
        tile.set_weights(w)
        tile.post_update_step()
        got = tile.get_weights()[0]
        assert got.abs().max().item() == pytest.approx(bound, rel=1e-5)
        inside = w.abs() < bound
        assert torch.equal(got[inside], w[inside])
    tile = _tile(torch_tile)
    tile.set_weights(w)
    tile.post_update_step()
    assert torch.equal(tile.get_weights()[0], w)


def test_torch_tile_rejects_average_channel_max():
    with pytest.raises(TorchTileConfigError):
        _tile(True, clip={"type": WeightClipType.AVERAGE_CHANNEL_MAX})


@pytest.mark.parametrize("torch_tile", [False, True])
def test_remap_keeps_logical_weights(torch_tile):
    w = _normal_weights()
    tile = _tile(torch_tile, remap={"type": WeightRemapType.CHANNELWISE_SYMMETRIC},
                 learn_out_scaling=True)
    assert tile.mapping_scales.shape == (6,)
    tile.set_weights(w)
    with torch.no_grad():
        tile.out_scaling_alpha.fill_(2.0)
    tile.post_update_step()
    assert torch.allclose(tile.get_weights()[0], 2 * w, atol=1e-5)
    raw = tile.get_weights(apply_weight_scaling=False)[0]
    assert torch.allclose(raw.abs().amax(1), torch.ones(6))
    assert torch.equal(tile.out_scaling_alpha.detach(), torch.ones(1))
    tile = _tile(torch_tile, remap={"type": WeightRemapType.LAYERWISE_SYMMETRIC})
    tile.set_weights(w)
    tile.post_update_step()
    assert torch.allclose(tile.get_weights()[0], w, atol=1e-5)
    raw = tile.get_weights(apply_weight_scaling=False)[0]
    assert raw.abs().max().item() == pytest.approx(1.0)
    scales = tile.get_scales()
    assert torch.allclose(scales, scales[0].expand(6))


def test_remap_max_scale_range_limits_scales():
    w = torch.ones(6, 8) * torch.tensor([1.0, 2.0, 4.0, 8.0, 16.0, 0.5]).unsqueeze(1)
    tile = _tile(remap={"type": WeightRemapType.CHANNELWISE_SYMMETRIC, "max_scale_range": 4.0})
    tile.set_weights(w)
    tile.post_update_step()  # scales start at 1: s_min = 1 -> scales capped at 4
    scales = tile.get_scales()
    assert torch.allclose(scales, torch.tensor([1.0, 2.0, 4.0, 4.0, 4.0, 0.5]))
    raw = tile.get_weights(apply_weight_scaling=False)[0]
    assert torch.allclose(raw[:, 0], torch.tensor([1.0, 1.0, 1.0, 2.0, 4.0, 1.0]))


def test_post_update_step_order_clip_then_remap():
    w = _normal_weights()
    tile = _tile(clip={"type": WeightClipType.FIXED_VALUE, "fixed_value": 0.5},
                 remap={"type": WeightRemapType.LAYERWISE_SYMMETRIC})
    tile.set_weights(w)
    tile.post_update_step()
    # clipped to 0.5 first, then remapped to max 1 with scale 0.5
    assert torch.allclose(tile.get_weights()[0], w.clamp(-0.5, 0.5), atol=1e-6)
    assert torch.allclose(tile.get_scales(), torch.full((6,), 0.5))


def test_clip_through_analog_optimizer_only():
    config = perfect_config()
    config.clip.type = WeightClipType.FIXED_VALUE
    config.clip.fixed_value = 0.1
    layer = AnalogLinear(8, 6, bias=False, rpu_config=config)
    layer.set_weights(_normal_weights())
    layer(torch.randn(3, 8)).sum().backward()
    torch.optim.SGD(layer.parameters(), lr=0.0).step()
    assert layer.get_weights()[0].abs().max() > 0.1  # plain torch step: no clipping
    opt = AnalogSGD(layer.parameters(), lr=0.0)
    opt.step()
    assert layer.get_weights()[0].abs().max().item() == pytest.approx(0.1)


@pytest.mark.parametrize("kwargs", [
    {"clip": {"type": "FixedValue"}}, {"clip": {"sigma": -1.0}},
    {"remap": {"remapped_wmax": 0.0}},
    {"remap": {"max_scale_range": 2.0, "remapped_wmax": 0.5}}])
def test_invalid_clip_remap_config(kwargs):
    with pytest.raises(ConfigError):
        _tile(**kwargs)
