"""Example 7: a layer whose cross-points are unit cells of three devices.

Each weight is the sum of three constant-step devices (``VectorUnitCell``); every update
goes to one device chosen at random (``SINGLE_RANDOM``), which spreads the wear over the
devices.
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    ConstantStepDevice, UnitCellRPUConfig, VectorUnitCell, VectorUnitCellUpdatePolicy)
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(1)

x = torch.Tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.Tensor([[1.0, 0.5], [0.7, 0.3]])

rpu_config = UnitCellRPUConfig(device=VectorUnitCell(
    unit_cell_devices=[ConstantStepDevice(), ConstantStepDevice(), ConstantStepDevice()],
    update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM,
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

hidden = model.analog_module.get_hidden_parameters()
print("hidden parameters of the unit cell:", ", ".join(list(hidden)[:6]), "...")
