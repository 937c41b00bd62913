"""A run saved to a plain-data checkpoint and resumed continues bit for bit like the
uninterrupted run (model and optimizer state, random streams of every tile)."""

import io

import pytest
import torch

from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogLSTMCell, AnalogRNN, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters.enums import WeightClipType, WeightModifierType
from aihwkit.simulator.presets import MixedPrecisionEcRamPreset, TikiTakaEcRamPreset


def _pulsed():
    config = SingleRPUConfig(device=ConstantStepDevice(dw_min=0.01, dw_min_std=0.3))
    config.device.diffusion = 0.001
    return config


def _hwa():
    config = InferenceRPUConfig()
    config.forward.out_noise = 0.02
    config.modifier.type = WeightModifierType.ADD_NORMAL
    config.modifier.std_dev = 0.05
    config.clip.type = WeightClipType.FIXED_VALUE
    config.clip.fixed_value = 0.5
    return config


def _linear(factory):
    return AnalogSequential(AnalogLinear(6, 5, rpu_config=factory()), torch.nn.Tanh(),
                            AnalogLinear(5, 3, rpu_config=factory()))


def _linear_loss(model, gen):
    x = torch.rand(4, 6, generator=gen) - 0.5
    return ((model(x) - 0.1) ** 2).sum()


def _conv(factory):
    return AnalogSequential(AnalogConv2d(2, 3, kernel_size=3, rpu_config=factory()))


def _conv_loss(model, gen):
    x = torch.rand(2, 2, 5, 5, generator=gen) - 0.5
    return (model(x) ** 2).sum()


def _rnn(factory):
    return AnalogRNN(AnalogLSTMCell, 3, 4, rpu_config=factory())


def _rnn_loss(model, gen):
    x = torch.rand(5, 2, 3, generator=gen) - 0.5
    output, _ = model(x)
    return (output ** 2).sum()


CASES = {
    "pulsed-constant-step": (_linear, _linear_loss, _pulsed),
    "tiki-taka-preset": (_linear, _linear_loss, TikiTakaEcRamPreset),
    "mixed-precision": (_linear, _linear_loss, MixedPrecisionEcRamPreset),
    "hwa-inference-training": (_linear, _linear_loss, _hwa),
    "conv2d-pulsed": (_conv, _conv_loss, _pulsed),
    "lstm-tiki-taka": (_rnn, _rnn_loss, TikiTakaEcRamPreset),
}


def _train(model, opt, loss_fn, gen, steps):
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model, gen).backward()
        opt.step()


def _optimizer(model):
    opt = AnalogSGD(model.parameters(), lr=0.05, momentum=0.5)
    opt.regroup_param_groups(model)
    return opt


def _weights(model):
    out = []
    for tile in model.analog_tiles():
        weight, bias = tile.get_weights()
        out += [weight] + ([] if bias is None else [bias])
        out += list(tile.get_hidden_parameters().values())
    return out + [p.detach().clone() for p in model.parameters()
                  if not type(p).__name__ == "AnalogContext"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_resumed_run_is_bit_identical(case):
    build, loss_fn, factory = CASES[case]
    torch.manual_seed(11)
    model = build(factory)
    opt = _optimizer(model)
    gen = torch.Generator().manual_seed(5)
    _train(model, opt, loss_fn, gen, 3)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                "data": gen.get_state()}, buffer)
    _train(model, opt, loss_fn, gen, 3)  # the uninterrupted run

    buffer.seek(0)
    checkpoint = torch.load(buffer)  # weights_only=True
    torch.manual_seed(999)  # a different fresh model
    resumed = build(factory)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = _optimizer(resumed)
    resumed_opt.load_state_dict(checkpoint["opt"])
    resumed_gen = torch.Generator()
    resumed_gen.set_state(checkpoint["data"])
    _train(resumed, resumed_opt, loss_fn, resumed_gen, 3)

    for mine, theirs in zip(_weights(model), _weights(resumed)):
        assert torch.equal(mine, theirs), case
