"""The compound examples of the seed text "Using aihwkit Simulator", run and trained.

The text lost some lines (imports, device lists, closing brackets); those spots are
completed with the smallest addition and marked "completed".
"""

import torch
from torch.nn.functional import mse_loss

from aihwkit.optim import AnalogSGD

X = torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.2, 0.1, 0.1, 0.3]])
Y = torch.tensor([[1.0, 0.5], [0.7, 0.3]])


def train(model, epochs=100, lr=0.1):
    """Train on the two-sample toy problem; first and last loss."""
    opt = AnalogSGD(model.parameters(), lr=lr)
    opt.regroup_param_groups(model)
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = mse_loss(model(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses[0], losses[-1]


def test_vector_unit_cell_example():
    from aihwkit.nn import AnalogLinear
    from aihwkit.simulator.configs import UnitCellRPUConfig
    from aihwkit.simulator.configs.utils import VectorUnitCellUpdatePolicy
    from aihwkit.simulator.configs.devices import (  # completed: imported names
        ConstantStepDevice, VectorUnitCell, SoftBoundsDevice)

    torch.manual_seed(1)
    # Define a single-layer network, using a vector device having multiple
    # devices per crosspoint. Each device can be arbitrarily defined

    rpu_config = UnitCellRPUConfig()

    rpu_config.device = VectorUnitCell(
        unit_cell_devices=[  # completed: three devices of different pulse behaviour
            SoftBoundsDevice(w_min=-0.3, w_max=0.3),
            SoftBoundsDevice(w_min=-0.6, w_max=0.6),
            ConstantStepDevice(w_min=-0.2, w_max=0.2),
        ])  # completed: closing brackets

    # more configurations, if needed

    # only one of the devices should receive a single update that is
    # selected randomly, the effective weights is the sum of all
    # weights
    rpu_config.device.update_policy = VectorUnitCellUpdatePolicy.SINGLE_RANDOM

    # use this configuration for a simple model with one analog tile
    model = AnalogLinear(4, 2, bias=True, rpu_config=rpu_config)

    # print information about all parameters
    text = str(model)  # completed: the printing call
    assert "Vector(3):SoftBounds" in text
    first, last = train(model)
    assert last < first / 4


def test_tiki_taka_example():
    # Imports from aihwkit.
    from aihwkit.nn import AnalogLinear
    from aihwkit.simulator.configs import UnitCellRPUConfig
    from aihwkit.simulator.configs.devices import (  # completed: imported names
        SoftBoundsDevice, TransferCompound)

    torch.manual_seed(2)
    # The Tiki-taka learning rule can be implemented using the transfer device.
    rpu_config = UnitCellRPUConfig(
        device=TransferCompound(  # completed: the compound call

            # devices that compose the Tiki-taka compound
            unit_cell_devices=[  # completed: the keyword
                SoftBoundsDevice(w_min=-0.3, w_max=0.3),
                SoftBoundsDevice(w_min=-0.6, w_max=0.6)
            ],  # completed: closing bracket

            # Make some adjustments of the way Tiki-Taka is performed.
            units_in_mbatch=True,   # batch_size=1 anyway
            transfer_every=2,       # every 2 batches do a transfer-read
            n_cols_per_transfer=1,  # one forward read for each transfer
            gamma=0.0,              # all SGD weight in second device
            scale_transfer_lr=True,  # in relative terms to SGD LR
            transfer_lr=1.0,        # same transfer LR as for SGD
        )
    )  # completed: closing brackets

    # make more adjustments (can be made here or above)
    rpu_config.forward.inp_res = 1/64.  # 6 bit DAC

    # same forward/update for transfer-read as for actual SGD
    rpu_config.device.transfer_forward = rpu_config.forward

    # SGD update/transfer-update will be done with stochastic pulsing
    rpu_config.device.transfer_update = rpu_config.update

    # use tile configuration in model
    model = AnalogLinear(4, 2, bias=True, rpu_config=rpu_config)

    # print some parameter infos
    text = str(model)  # completed: the printing call
    assert "Transfer(2): SoftBounds -> SoftBounds" in text
    first, last = train(model, epochs=200)
    assert last < first / 4


def test_mixed_precision_example():
    # Imports from aihwkit.
    from aihwkit.nn import AnalogLinear
    from aihwkit.simulator.configs import DigitalRankUpdateRPUConfig
    from aihwkit.simulator.configs.devices import (
        SoftBoundsDevice, MixedPrecisionCompound
    )  # completed: closing bracket

    torch.manual_seed(3)
    rpu_config = DigitalRankUpdateRPUConfig(
        device=MixedPrecisionCompound(
            device=SoftBoundsDevice(),  # completed: the analog device

            # make some adjustments of mixed-precision hyper parameter
            n_x_bins=0,  # floating point actiations for Chi update
            n_d_bins=0,  # floating point delta for Chi update
        )
    )  # completed: closing brackets

    # use tile configuration in model
    model = AnalogLinear(4, 2, bias=True, rpu_config=rpu_config)
    assert "MixedPrec[SoftBounds]" in str(model)
    first, last = train(model)
    assert last < first / 4
