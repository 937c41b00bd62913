"""Example 5: hardware-aware training of one layer, then inference with PCM drift.

The layer is trained with an ``InferenceRPUConfig``: additive weight noise in the forward
pass, weights clipped to 1, and a weight modifier (Gaussian noise of std 0.1 and 3 %
drop-connect) so that the learned weights tolerate the programming noise of PCM devices.
After training the weights are programmed once and read at several times after
programming; global drift compensation rescales the outputs.
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.inference import GlobalDriftCompensation, PCMLikeNoiseModel
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    InferenceRPUConfig, WeightClipType, WeightModifierType, WeightNoiseType)
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(1)

x = torch.Tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.Tensor([[1.0, 0.5], [0.7, 0.3]])

rpu_config = InferenceRPUConfig()
rpu_config.forward.out_res = -1.0  # turn off (output) ADC discretization
rpu_config.forward.w_noise_type = WeightNoiseType.ADDITIVE_CONSTANT
rpu_config.forward.w_noise = 0.02
rpu_config.clip.type = WeightClipType.FIXED_VALUE
rpu_config.clip.fixed_value = 1.0
rpu_config.modifier.pdrop = 0.03
rpu_config.modifier.type = WeightModifierType.ADD_NORMAL
rpu_config.modifier.std_dev = 0.1
rpu_config.noise_model = PCMLikeNoiseModel(g_max=25.0)
rpu_config.drift_compensation = GlobalDriftCompensation()

model = AnalogLinear(4, 2, bias=True, rpu_config=rpu_config)
if cuda.is_compiled():
    x, y, model = x.cuda(), y.cuda(), model.cuda()

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)

for epoch in range(100):
    model.train()
    optimizer.zero_grad()
    loss = mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
print(f"Loss after hardware-aware training: {loss.item():.6f}")

model.eval()
model.program_analog_weights()
for t_inference in [0.0, 1.0, 20.0, 1000.0, 1e5]:
    model.drift_analog_weights(t_inference)
    with torch.no_grad():
        pred = model(x)
    print(f"t = {t_inference:8.0f} s: prediction {pred.cpu().numpy().ravel().round(3)}, "
          f"loss {mse_loss(pred, y).item():.6f}")
