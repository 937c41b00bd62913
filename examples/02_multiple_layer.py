"""Example 2: two stacked analog layers.

``AnalogLinear(4, 3)`` followed by ``AnalogLinear(3, 2)`` (both on constant-step devices)
learn the same toy relation as example 1 through an intermediate representation.
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import ConstantStepDevice, SingleRPUConfig
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(1)

x = torch.Tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.Tensor([[1.0, 0.5], [0.7, 0.3]])

rpu_config = SingleRPUConfig(device=ConstantStepDevice())
model = AnalogSequential(
    AnalogLinear(4, 3, rpu_config=rpu_config),
    AnalogLinear(3, 2, rpu_config=rpu_config),
)
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
print(model)
