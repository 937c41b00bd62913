"""CUDA contracts of convolution and recurrent layers, and of inference programming and
drift."""

import copy

import pytest
import torch

from aihwkit.inference import PCMLikeNoiseModel
from aihwkit.nn import AnalogConv2d, AnalogLSTMCell, AnalogLinear, AnalogRNN
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (FloatingPointRPUConfig, InferenceRPUConfig,
                                       SingleRPUConfig, TorchInferenceRPUConfig)

from cuda_catalogue import SUITE_MARKS, assert_same_distribution, target_device

pytestmark = SUITE_MARKS
LAYER_CONFIGS = {"floating_point": FloatingPointRPUConfig, "pulsed": SingleRPUConfig,
                 "inference": InferenceRPUConfig, "inference_torch": TorchInferenceRPUConfig}


def _step(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    opt = AnalogSGD(model.parameters(), lr=0.05)
    opt.regroup_param_groups(model)
    opt.zero_grad()
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    out.pow(2).sum().backward()
    opt.step()
    return out


@pytest.mark.parametrize("kind", ["floating_point", "pulsed", "inference"])
def test_conv2d_on_device(kind):
    device = target_device()
    torch.manual_seed(0)
    conv = AnalogConv2d(2, 3, kernel_size=3, padding=1, rpu_config=LAYER_CONFIGS[kind]())
    x = torch.rand(2, 2, 5, 5)
    expected = copy.deepcopy(conv).eval()(x) if kind == "floating_point" else None
    conv.to(device)
    if expected is not None:
        with torch.no_grad():
            torch.testing.assert_close(conv.eval()(x.to(device)).cpu(), expected,
                                       rtol=1e-5, atol=1e-5)
        conv.train()
    before = conv.get_weights()[0].clone()
    out = _step(conv, x.to(device))
    assert out.shape == (2, 3, 5, 5) and out.device.type == device.type
    assert not torch.equal(conv.get_weights()[0], before)


@pytest.mark.parametrize("kind", ["floating_point", "pulsed", "inference_torch"])
def test_lstm_on_device(kind):
    device = target_device()
    torch.manual_seed(0)
    rnn = AnalogRNN(AnalogLSTMCell, 4, 5, rpu_config=LAYER_CONFIGS[kind]()).to(device)
    x = torch.rand(3, 2, 4, device=device)
    out = _step(rnn, x)
    assert out.shape == (3, 2, 5) and out.device.type == device.type
    assert bool(torch.isfinite(out).all())


def test_program_and_drift_on_device():
    # programming noise and drift: the programmed weight error and the drifted weights
    # of the device tile follow the CPU tile's distribution
    device = target_device()
    torch.manual_seed(0)
    config = InferenceRPUConfig(noise_model=PCMLikeNoiseModel(g_max=25.0))
    layer = AnalogLinear(64, 64, bias=False, rpu_config=config)
    moved = copy.deepcopy(layer).to(device)
    errors = []
    for model in (layer, moved):
        model.eval()
        target = model.get_weights()[0].clone()
        model.program_analog_weights()
        model.drift_analog_weights(1000.0)
        with torch.no_grad():
            out = model(torch.eye(64, device=next(model.parameters()).device)).cpu()
        errors.append(out.t() - target.cpu())
    assert_same_distribution(errors[0], errors[1])
