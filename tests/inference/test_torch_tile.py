"""The differentiable periphery of ``TorchSimulatorTile`` against the compiled engine's
periphery (noise off) and closed forms (noise on)."""

import math

import pytest
import torch

from aihwkit.exceptions import ConfigError, TorchTileConfigError
from aihwkit.simulator.configs import (
    BoundManagementType, InferenceRPUConfig, NoiseManagementType, TorchInferenceRPUConfig,
    WeightNoiseType)
from aihwkit.simulator.tiles.inference import InferenceTile
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

from inference_helpers import close, std_with_se

NM = NoiseManagementType


def _pair(**forward):
    """A compiled and a torch tile with the same weights and forward settings."""
    tiles = []
    for config, tile_class in ((InferenceRPUConfig(), InferenceTile),
                               (TorchInferenceRPUConfig(), TorchInferenceTile)):
        for key, value in forward.items():
            setattr(config.forward, key, value)
        tiles.append(tile_class(6, 9, config))
    w = torch.rand(6, 9, generator=torch.Generator().manual_seed(2)) - 0.5
    for tile in tiles:
        tile.set_weights(w)
        tile.eval()
    return tiles


@pytest.mark.parametrize("forward", [
    {"noise_management": NM.ABS_MAX},
    {"noise_management": NM.NONE, "inp_bound": 2.0},
    {"noise_management": NM.CONSTANT, "nm_thres": 2.0},
    {"noise_management": NM.MAX},
    {"noise_management": NM.ABS_MAX, "ir_drop": 1.0, "ir_drop_g_ratio": 20.0},
    {"noise_management": NM.ABS_MAX, "inp_asymmetry": 0.2, "out_asymmetry": 0.1,
     "out_bound": 1.5},
])
def test_matches_compiled_periphery_without_noise(forward):
    forward.update(out_noise=0.0, bound_management=BoundManagementType.NONE)
    compiled, torch_tile = _pair(**forward)
    x = torch.randn(7, 9) * 3
    x[0] = 0.0
    assert torch.allclose(torch_tile(x), compiled(x), atol=1e-5)


def test_bound_management_retries_whole_batch():
    forward = dict(out_noise=0.0, out_bound=1.0, inp_res=0.0, out_res=0.0,
                   bound_management=BoundManagementType.ITERATIVE)
    compiled, torch_tile = _pair(**forward)
    x = torch.ones(2, 9)
    x[1] *= 0.01
    # exact result for both: the common factor only matters once saturation is gone
    exact = x @ compiled.get_weights()[0].t()
    assert torch.allclose(torch_tile(x), exact, atol=1e-5)
    assert torch.allclose(compiled(x), exact, atol=1e-5)


def test_noise_amplitudes():
    config = TorchInferenceRPUConfig()
    config.forward.noise_management = NM.NONE
    config.forward.inp_res = 0.0
    config.forward.out_res = 0.0
    config.forward.out_noise = 0.1
    config.forward.w_noise = 0.2
    config.forward.w_noise_type = WeightNoiseType.ADDITIVE_CONSTANT
    config.forward.bound_management = BoundManagementType.NONE
    tile = TorchInferenceTile(1, 4, config)
    tile.set_weights(torch.zeros(1, 4))
    x = torch.tensor([[1.0, 0.5, 0.0, -0.5]]).repeat(20000, 1)
    out = tile(x)
    expected = math.sqrt(0.1 ** 2 + (0.2 * x[0].norm().item()) ** 2)
    std, se = std_with_se(out)
    assert close(std, expected, se) and not close(std, 1.1 * expected, se)


def test_gradient_straight_through_quantizers():
    config = TorchInferenceRPUConfig()
    config.forward.out_noise = 0.0
    tile = TorchInferenceTile(3, 4, config)
    w = torch.rand(3, 4) - 0.5
    tile.set_weights(w)
    x = torch.rand(5, 4, requires_grad=True)
    tile(x).sum().backward()
    assert torch.allclose(x.grad, w.sum(0).expand(5, 4), atol=1e-6)
    # the weights see the DAC-quantized inputs: s * rint(x / s * 63) / 63, s = max|x|
    scale = x.detach().abs().amax(1, keepdim=True)
    seen = torch.round(x.detach() / scale * 63) / 63 * scale
    assert torch.allclose(tile.tile.weight.grad, seen.sum(0).expand(3, 4), atol=1e-5)


@pytest.mark.parametrize("noise_management", [NM.NONE, NM.ABS_MAX])
@pytest.mark.parametrize("input_grad", [True, False])
def test_owned_input_keeps_dac_inputs_with_the_same_gradients(noise_management, input_grad):
    """An owned input (DAC inputs kept for backward) and a borrowed one (recomputed):
    the same outputs and gradients, with inputs clipped by the DAC bound."""
    config = TorchInferenceRPUConfig()
    config.forward.out_noise = 0.0
    config.forward.noise_management = noise_management
    config.forward.inp_bound = 0.6 if noise_management == NM.NONE else 1.0
    config.forward.nm_thres = 0.8 if noise_management == NM.ABS_MAX else 0.0
    config.forward.bound_management = BoundManagementType.NONE
    weights = torch.rand(5, 11, generator=torch.Generator().manual_seed(4)) - 0.5
    x = torch.randn(13, 11, generator=torch.Generator().manual_seed(5))
    grad = torch.randn(13, 5, generator=torch.Generator().manual_seed(6))
    results = []
    for owned in (True, False):
        tile = TorchInferenceTile(5, 11, config).tile
        tile.set_weights(weights)
        inputs = x.clone().requires_grad_(input_grad)
        out = tile(inputs, owned_input=owned)
        out.backward(grad)
        results.append((out.detach(), tile.weight.grad, inputs.grad))
    assert bool((x.abs() > 0.6).any())
    for kept, recomputed in zip(*results):
        assert (kept is None and recomputed is None) or torch.equal(kept, recomputed)
    assert (results[0][2] is not None) is input_grad
    if input_grad:   # entries beyond the DAC bound get no input gradient
        assert bool((results[0][2] == 0).any())


@pytest.mark.parametrize("field,value", [
    ("noise_management", NM.ABS_MAX_NP_SUM),
    ("bound_management", BoundManagementType.ITERATIVE_WORST_CASE),
    ("out_nonlinearity", 0.5), ("r_series", 0.1)])
def test_unsupported_forward_settings(field, value):
    config = TorchInferenceRPUConfig()
    setattr(config.forward, field, value)
    with pytest.raises(TorchTileConfigError):
        TorchInferenceTile(2, 3, config)


def test_invalid_forward_settings():
    config = TorchInferenceRPUConfig()
    config.forward.inp_bound = 2.0  # noise management needs 1
    with pytest.raises(ConfigError):
        TorchInferenceTile(2, 3, config)


def test_out_noise_values_parameters():
    config = TorchInferenceRPUConfig()
    config.forward.out_noise_std = 0.3
    tile = TorchInferenceTile(4, 3, config)
    values = tile.get_forward_parameters()["out_noise_values"]
    assert values.shape == (4,) and (values >= 0).all()
    tile.set_forward_parameters(out_noise_values=torch.zeros(4))
    assert torch.equal(tile.tile.out_noise_values, torch.zeros(4))
    keys = list(tile.state_dict())
    assert keys[-3:] == ["tile.weight", "tile.out_noise_values", "analog_tile_state"]
    with pytest.raises(Exception):
        tile.set_forward_parameters(v_offset=torch.zeros(4))
