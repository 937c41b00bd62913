"""Example 9: deterministic implicit pulse trains.

Instead of stochastic pulse trains, the update uses deterministic trains whose lengths
encode ``x`` and ``d`` at the resolutions ``x_res_implicit`` and ``d_res_implicit``; the
pulse train length is ``desired_bl``.
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import ConstantStepDevice, PulseType, SingleRPUConfig
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(1)

x = torch.Tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.Tensor([[1.0, 0.5], [0.7, 0.3]])

rpu_config = SingleRPUConfig(device=ConstantStepDevice())
rpu_config.update.pulse_type = PulseType.DETERMINISTIC_IMPLICIT
rpu_config.update.desired_bl = 10  # pulse train length
rpu_config.update.x_res_implicit = 0.1  # resolution of the x pulse trains
rpu_config.update.d_res_implicit = 0.1  # resolution of the d pulse trains
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
