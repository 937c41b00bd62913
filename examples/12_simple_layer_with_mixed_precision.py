"""Example 12: mixed precision, a digital rank-update accumulator in front of the devices.

The weight gradient is accumulated in digital memory ``chi``; whenever an entry exceeds
the device granularity, that many single pulses are applied to the soft-bounds devices
and subtracted from ``chi``.
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    DigitalRankUpdateRPUConfig, MixedPrecisionCompound, SoftBoundsDevice)
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(1)

x = torch.Tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.Tensor([[1.0, 0.5], [0.7, 0.3]])

rpu_config = DigitalRankUpdateRPUConfig(device=MixedPrecisionCompound(
    device=SoftBoundsDevice(),
))
print(rpu_config)

model = AnalogLinear(4, 2, bias=True, rpu_config=rpu_config)
if cuda.is_compiled():
    x, y, model = x.cuda(), y.cuda(), model.cuda()

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)

for epoch in range(100):
    optimizer.zero_grad()
    loss = mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0 or epoch == 99:
        print(f"Epoch {epoch:3d}: loss {loss.item():.6f}")
