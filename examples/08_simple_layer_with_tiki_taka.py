"""Example 8: Tiki-Taka, a transfer compound of two soft-bounds devices.

Gradients are accumulated on a fast device A; every few updates one column of A is read
(``transfer_forward``) and written onto the slow device C (``transfer_update``). The
weight seen by the network is ``gamma * A + C`` (here ``gamma = 0``: only C).
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    SoftBoundsDevice, TransferCompound, UnitCellRPUConfig)
from aihwkit.simulator.parameters import IOParameters, UpdateParameters
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(1)

x = torch.Tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
y = torch.Tensor([[1.0, 0.5], [0.7, 0.3]])

rpu_config = UnitCellRPUConfig(device=TransferCompound(
    unit_cell_devices=[SoftBoundsDevice(w_min=-0.3, w_max=0.3),
                       SoftBoundsDevice(w_min=-0.6, w_max=0.6)],
    transfer_every=2,            # transfer after every second update
    units_in_mbatch=True,        # ... counted in mini-batches
    n_reads_per_transfer=1,      # one column per transfer
    transfer_lr=1.0,
    gamma=0.0,
    transfer_forward=IOParameters(),
    transfer_update=UpdateParameters(),
))
print(rpu_config)

model = AnalogLinear(4, 2, bias=True, rpu_config=rpu_config)
if cuda.is_compiled():
    x, y, model = x.cuda(), y.cuda(), model.cuda()
print(repr(model))

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)

for epoch in range(100):
    optimizer.zero_grad()
    loss = mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0 or epoch == 99:
        print(f"Epoch {epoch:3d}: loss {loss.item():.6f}")
