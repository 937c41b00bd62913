"""Example 25: hardware-aware training with the torch inference tile.

``StandardHWATrainingPreset`` (8-bit DAC/ADC, PCM read noise, learned input ranges and
output scales, channel-wise remapping) is switched to the torch inference tile
(``TorchInferenceRPUConfig`` semantics: a fresh weight-noise draw at every training
forward, here one draw per batch sample with ``per_batch_sample=True``). A small MLP is
trained on the embedded glyph digits and then evaluated after PCM drift.
"""

import torch
from torch import nn

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    TorchInferenceRPUConfig, WeightModifierType, WeightRemapType)
from aihwkit.simulator.presets import StandardHWATrainingPreset
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import noisy_glyphs

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")

preset = StandardHWATrainingPreset()
rpu_config = TorchInferenceRPUConfig(
    forward=preset.forward, mapping=preset.mapping, pre_post=preset.pre_post,
    clip=preset.clip, noise_model=preset.noise_model,
    drift_compensation=preset.drift_compensation)
rpu_config.remap.type = WeightRemapType.LAYERWISE_SYMMETRIC
rpu_config.forward.inp_res = 2 ** 8 - 2
rpu_config.forward.out_res = 2 ** 8 - 2
rpu_config.mapping.max_input_size = 256
rpu_config.mapping.max_output_size = 256
rpu_config.modifier.type = WeightModifierType.ADD_NORMAL
rpu_config.modifier.std_dev = 0.06
rpu_config.modifier.per_batch_sample = True

train_x, train_y = noisy_glyphs(2000, seed=0)
test_x, test_y = noisy_glyphs(500, seed=1)
train_x, train_y, test_x, test_y = (t.to(DEVICE) for t in (train_x, train_y, test_x, test_y))

model = AnalogSequential(
    AnalogLinear(35, 64, rpu_config=rpu_config), nn.ReLU(),
    AnalogLinear(64, 10, rpu_config=rpu_config),
).to(DEVICE)
optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
loss_fn = nn.CrossEntropyLoss()


def accuracy() -> float:
    """Test accuracy in eval mode."""
    model.eval()
    with torch.no_grad():
        value = float((model(test_x).argmax(1) == test_y).float().mean())
    model.train()
    return value


for epoch in range(6):
    order = torch.randperm(train_x.shape[0], device=DEVICE)
    for start in range(0, train_x.shape[0], 32):
        idx = order[start:start + 32]
        optimizer.zero_grad()
        loss_fn(model(train_x[idx]), train_y[idx]).backward()
        optimizer.step()
    print(f"epoch {epoch}: test accuracy {accuracy():.3f}")

model.eval()
model.program_analog_weights()
for t_inference in (0.0, 3600.0, 86400.0, 3.15e7):
    model.drift_analog_weights(t_inference)
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    print(f"accuracy {t_inference:10.0f} s after programming: {acc:.3f}")
