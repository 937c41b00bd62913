"""Example 6: hardware-aware training of a small CNN and drift evaluation up to 1e7 s.

The ``InferenceRPUConfig`` has learned column-wise output scales (weight scaling omega
1), channel-wise remapping, clipping at 2.5 std of each layer's weights, an input range
learned from the data with output-clipping management, no noise or bound management,
an output bound of 10 and Gaussian weight noise of std 0.1 during training. After
training the weights are programmed and the test accuracy is read over drift time.
"""

import torch
from torch import nn

from aihwkit.inference import PCMLikeNoiseModel
from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    BoundManagementType, InferenceRPUConfig, NoiseManagementType, WeightClipType,
    WeightModifierType, WeightNoiseType, WeightRemapType)
from aihwkit.simulator.parameters.enums import RPUDataType
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import glyph_dataset

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")

rpu_config = InferenceRPUConfig()
rpu_config.runtime.data_type = RPUDataType.FLOAT
rpu_config.mapping.digital_bias = True
rpu_config.mapping.weight_scaling_omega = 1.0
rpu_config.mapping.weight_scaling_columnwise = True
rpu_config.mapping.learn_out_scaling = True
rpu_config.mapping.out_scaling_columnwise = True
rpu_config.remap.type = WeightRemapType.CHANNELWISE_SYMMETRIC
rpu_config.clip.type = WeightClipType.LAYER_GAUSSIAN
rpu_config.clip.sigma = 2.5
rpu_config.pre_post.input_range.enable = True
rpu_config.pre_post.input_range.manage_output_clipping = True
rpu_config.forward.noise_management = NoiseManagementType.NONE
rpu_config.forward.bound_management = BoundManagementType.NONE
rpu_config.forward.out_bound = 10.0
rpu_config.forward.w_noise_type = WeightNoiseType.PCM_READ
rpu_config.forward.w_noise = 0.0175
rpu_config.modifier.type = WeightModifierType.ADD_NORMAL
rpu_config.modifier.std_dev = 0.1
rpu_config.noise_model = PCMLikeNoiseModel(g_max=25.0)

model = AnalogSequential(
    AnalogConv2d(1, 8, kernel_size=3, padding=1, rpu_config=rpu_config), nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    AnalogLinear(8 * 7 * 5, 32, rpu_config=rpu_config), nn.ReLU(),
    AnalogLinear(32, 10, rpu_config=rpu_config),
).to(DEVICE)

train_x, train_y = (t.to(DEVICE) for t in glyph_dataset(800, 0, True, scale=2).tensors)
test_x, test_y = (t.to(DEVICE) for t in glyph_dataset(300, 1, True, scale=2).tensors)

optimizer = AnalogSGD(model.parameters(), lr=0.02)
optimizer.regroup_param_groups(model)
for epoch in range(4):
    order = torch.randperm(train_x.shape[0], device=DEVICE)
    for start in range(0, train_x.shape[0], 16):
        idx = order[start:start + 16]
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(train_x[idx]), train_y[idx]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    model.train()
    print(f"epoch {epoch}: test accuracy {acc:.3f}")

model.eval()
model.program_analog_weights()
for t_inference in (0.0, 3600.0, 86400.0, 1e6, 1e7):
    model.drift_analog_weights(t_inference)
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    print(f"accuracy {t_inference:10.0f} s after programming: {acc:.3f}")
