"""Ideal analog convolutions compute torch's convolution: outputs, input gradients and
weight gradients, over a grid of geometries (1d/2d/3d, stride, padding and padding modes,
dilation, groups incl. depthwise, bias)."""

import pytest
import torch
from torch import nn

from aihwkit.nn import AnalogConv1d, AnalogConv2d, AnalogConv3d
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, SingleRPUConfig, TorchInferenceRPUConfig)

ANALOG = {1: AnalogConv1d, 2: AnalogConv2d, 3: AnalogConv3d}
DIGITAL = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}

# (dims, in, out, kernel, stride, padding, dilation, groups, bias, padding_mode, spatial)
CASES = [
    (2, 3, 4, 3, 1, 0, 1, 1, True, "zeros", (7, 6)),
    (2, 3, 5, (2, 3), (2, 1), (1, 2), 1, 1, False, "zeros", (8, 7)),
    (2, 2, 3, 3, 1, 2, 2, 1, True, "zeros", (9, 9)),
    (2, 4, 6, 3, 2, 1, 1, 2, True, "zeros", (8, 9)),
    (2, 4, 4, 3, 1, 1, 1, 4, True, "zeros", (6, 6)),          # depthwise
    (2, 3, 6, 3, 1, 1, 1, 3, False, "zeros", (5, 6)),         # depthwise, multiplier 2
    (2, 2, 3, 3, 1, 1, 1, 1, True, "reflect", (6, 5)),
    (2, 2, 3, 3, 1, (1, 2), 1, 1, True, "replicate", (5, 6)),
    (2, 2, 4, (3, 2), 1, 2, (1, 2), 2, True, "circular", (6, 7)),
    (2, 3, 2, 3, 1, "same", 2, 1, True, "zeros", (7, 8)),
    (2, 2, 2, (2, 4), 1, "same", 1, 1, True, "reflect", (6, 7)),  # asymmetric 'same'
    (1, 3, 4, 3, 2, 1, 1, 1, True, "zeros", (11,)),
    (1, 4, 6, 2, 1, 2, 3, 2, False, "zeros", (12,)),
    (1, 2, 3, 3, 1, 2, 1, 1, True, "circular", (9,)),
    (3, 2, 3, 2, 1, 0, 1, 1, True, "zeros", (4, 5, 4)),
    (3, 2, 4, (2, 3, 2), (1, 2, 1), (1, 0, 1), (2, 1, 1), 2, True, "zeros", (5, 6, 4)),
    (3, 2, 2, 3, 2, 1, 1, 1, False, "replicate", (5, 5, 6)),
]


def _ideal_configs():
    single = SingleRPUConfig()
    single.forward.is_perfect = True
    single.backward.is_perfect = True
    return {"floating_point": FloatingPointRPUConfig(), "perfect_single": single}


def _pair(case, rpu_config):
    dims, c_in, c_out, kernel, stride, padding, dilation, groups, bias, mode, _ = case
    args = (c_in, c_out, kernel, stride, padding, dilation, groups, bias, mode)
    analog = ANALOG[dims](*args, rpu_config=rpu_config)
    digital = DIGITAL[dims](*args)
    weight, b = analog.get_weights()
    with torch.no_grad():
        digital.weight.copy_(weight.reshape(digital.weight.shape))
        if bias:
            digital.bias.copy_(b)
    return analog, digital


def _input(case, batch=2):
    return torch.randn(batch, case[1], *case[-1])


@pytest.mark.parametrize("config_name", ["floating_point", "perfect_single"])
@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_forward_and_input_gradient_match_torch(case, config_name):
    analog, digital = _pair(case, _ideal_configs()[config_name])
    x = _input(case)
    x_a = x.clone().requires_grad_(True)
    x_d = x.clone().requires_grad_(True)
    y_a = analog(x_a)
    y_d = digital(x_d)
    assert y_a.shape == y_d.shape
    torch.testing.assert_close(y_a, y_d, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(y_d)
    y_a.backward(grad)
    y_d.backward(grad)
    torch.testing.assert_close(x_a.grad, x_d.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES[::2], ids=[f"case{i}" for i in range(0, len(CASES), 2)])
def test_input_without_batch_dimension(case):
    analog, digital = _pair(case, FloatingPointRPUConfig())
    x = _input(case, batch=1)[0]
    y = analog(x)
    assert y.shape == digital(x).shape
    torch.testing.assert_close(y, digital(x), rtol=1e-5, atol=1e-5)


def _perfect_inference():
    config = InferenceRPUConfig()
    config.forward.is_perfect = True
    return config


@pytest.mark.parametrize("case", CASES[::3], ids=[f"case{i}" for i in range(0, len(CASES), 3)])
def test_shared_weight_gradient_matches_torch(case):
    """An inference tile with a perfect forward (no modifier, no weight scaling) hands
    autograd the exact weight gradient: per group, the rows of torch's kernel gradient."""
    analog, digital = _pair(case, _perfect_inference())
    x = _input(case)
    grad = torch.randn_like(digital(x))
    analog(x).backward(grad)
    digital(x).backward(grad)
    tiles = [tile for _, tile in analog.named_analog_tiles()]
    assert len(tiles) == case[7]
    expected = digital.weight.grad.reshape(case[2], -1).chunk(len(tiles), dim=0)
    expected_bias = (digital.bias.grad.chunk(len(tiles)) if case[8] else [None] * len(tiles))
    for tile, weight_grad, bias_grad in zip(tiles, expected, expected_bias):
        torch.testing.assert_close(tile.shared_weights.grad, weight_grad, rtol=1e-5, atol=1e-5)
        if bias_grad is not None:
            torch.testing.assert_close(tile.bias.grad, bias_grad, rtol=1e-5, atol=1e-5)


def test_torch_inference_tile_weight_gradient_matches_torch():
    case = CASES[3]
    config = TorchInferenceRPUConfig()
    config.forward.is_perfect = True
    analog, digital = _pair(case, config)
    x = _input(case)
    grad = torch.randn_like(digital(x))
    analog(x).backward(grad)
    digital(x).backward(grad)
    expected = digital.weight.grad.reshape(case[2], -1).chunk(case[7], dim=0)
    for tile, weight_grad in zip(analog.analog_groups, expected):
        torch.testing.assert_close(tile.tile.weight.grad, weight_grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES[1::3], ids=[f"case{i}" for i in range(1, len(CASES), 3)])
def test_analog_sgd_step_matches_torch_sgd(case):
    """Floating point tiles updated by AnalogSGD take torch's SGD step exactly."""
    analog, digital = _pair(case, FloatingPointRPUConfig())
    opt_a = AnalogSGD(analog.parameters(), lr=0.1)
    opt_a.regroup_param_groups(analog)
    opt_d = torch.optim.SGD(digital.parameters(), lr=0.1)
    for _ in range(2):
        x = _input(case, batch=3)
        target = torch.randn_like(digital(x))
        for model, opt in ((analog, opt_a), (digital, opt_d)):
            opt.zero_grad()
            ((model(x) - target) ** 2).sum().backward()
            opt.step()
    weight, bias = analog.get_weights()
    torch.testing.assert_close(weight, digital.weight.detach().reshape(case[2], -1),
                               rtol=1e-5, atol=1e-5)
    if case[8]:
        torch.testing.assert_close(bias, digital.bias.detach(), rtol=1e-5, atol=1e-5)
