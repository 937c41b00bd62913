"""Example 15: hardware-aware training of analog recurrent networks, then drift inference.

An ``AnalogRNN`` of GRU cells (``AnalogGRUCell``; ``--lstm`` for ``AnalogLSTMCell``,
``--bidir`` for a bidirectional network) with an ``AnalogLinear`` read-out learns to
predict a noisy sine wave one step ahead. Training uses the hardware-aware
``InferenceRPUConfig`` of example 5; afterwards the weights are programmed and the test
loss is evaluated after PCM drift.
"""

import math
import sys

import torch
from torch import nn

from aihwkit.inference import GlobalDriftCompensation, PCMLikeNoiseModel
from aihwkit.nn import AnalogGRUCell, AnalogLinear, AnalogLSTMCell, AnalogRNN, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    InferenceRPUConfig, WeightClipType, WeightModifierType, WeightNoiseType)
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")
CELL = AnalogLSTMCell if "--lstm" in sys.argv else AnalogGRUCell
BIDIR = "--bidir" in sys.argv
HIDDEN, SEQ_LEN, BATCH = 16, 40, 8

rpu_config = InferenceRPUConfig()
rpu_config.forward.out_res = -1.0
rpu_config.forward.w_noise_type = WeightNoiseType.ADDITIVE_CONSTANT
rpu_config.forward.w_noise = 0.02
rpu_config.clip.type = WeightClipType.FIXED_VALUE
rpu_config.clip.fixed_value = 1.0
rpu_config.modifier.type = WeightModifierType.ADD_NORMAL
rpu_config.modifier.std_dev = 0.1
rpu_config.modifier.pdrop = 0.03
rpu_config.noise_model = PCMLikeNoiseModel(g_max=25.0)
rpu_config.drift_compensation = GlobalDriftCompensation()


def sine_batch(batch: int):
    """Inputs ``[T, B, 1]`` (noisy sine, random phase) and targets shifted by one step."""
    phase = torch.rand(1, batch) * 2 * math.pi
    t = torch.arange(SEQ_LEN + 1).float().unsqueeze(1) * 0.3
    wave = torch.sin(t + phase) + 0.05 * torch.randn(SEQ_LEN + 1, batch)
    return wave[:-1].unsqueeze(2), wave[1:].unsqueeze(2)


class AnalogRNNNetwork(AnalogSequential):
    """Analog RNN followed by an analog linear read-out of every time step."""

    def __init__(self):
        super().__init__()
        self.rnn = AnalogRNN(CELL, 1, HIDDEN, bias=True, rpu_config=rpu_config, bidir=BIDIR)
        self.out = AnalogLinear((2 if BIDIR else 1) * HIDDEN, 1, rpu_config=rpu_config)

    def forward(self, x):  # pylint: disable=arguments-differ
        sequence, _ = self.rnn(x)
        return self.out(sequence)


model = AnalogRNNNetwork().to(DEVICE)
optimizer = AnalogSGD(model.parameters(), lr=0.05)
optimizer.regroup_param_groups(model)
test_x, test_y = (t.to(DEVICE) for t in sine_batch(32))

for step in range(150):
    x, y = (t.to(DEVICE) for t in sine_batch(BATCH))
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    if step % 50 == 0 or step == 149:
        print(f"step {step:3d}: training loss {loss.item():.4f}")

model.eval()
model.program_analog_weights()
for t_inference in (0.0, 3600.0, 86400.0, 3.15e7):
    model.drift_analog_weights(t_inference)
    with torch.no_grad():
        test_loss = nn.functional.mse_loss(model(test_x), test_y).item()
    print(f"{CELL.__name__}: test loss {t_inference:10.0f} s after programming: "
          f"{test_loss:.4f}")
