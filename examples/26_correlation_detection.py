"""Example 26: correlation detection with raw tile updates.

Two of eight input streams are correlated with the output stream; all others are
independent noise. Repeated pulsed outer-product updates ``tile.update(x, d)`` grow the
weights of the correlated inputs only, on several learning rules: plain soft-bounds
devices, mixed precision, chopped and dynamic transfer compounds.
"""

import torch

from aihwkit.simulator.configs import (
    ChoppedTransferCompound, DigitalRankUpdateRPUConfig, DynamicTransferCompound,
    MixedPrecisionCompound, SingleRPUConfig, SoftBoundsDevice, UnitCellRPUConfig)

torch.manual_seed(0)
N_IN, STEPS, LR = 8, 300, 0.01
CORRELATED = (1, 5)


def device():
    """A soft-bounds device with a fine step."""
    return SoftBoundsDevice(dw_min=0.002, w_max=1.0, w_min=-1.0)


CONFIGS = {
    "soft bounds": SingleRPUConfig(device=device()),
    "mixed precision": DigitalRankUpdateRPUConfig(
        device=MixedPrecisionCompound(device=device())),
    "chopped transfer": UnitCellRPUConfig(device=ChoppedTransferCompound(
        unit_cell_devices=[device(), device()])),
    "dynamic transfer": UnitCellRPUConfig(device=DynamicTransferCompound(
        unit_cell_devices=[device(), device()])),
}

for name, config in CONFIGS.items():
    tile_class = config.get_default_tile_module_class(1, N_IN)
    tile = tile_class(1, N_IN, config)
    tile.set_weights(torch.zeros(1, N_IN))
    tile.set_learning_rate(LR)
    for _ in range(STEPS):
        signal = torch.randn(1)
        x = torch.randn(1, N_IN) * 0.5
        for index in CORRELATED:
            x[0, index] = signal + 0.2 * torch.randn(1)
        # d = -signal: the update W <- W - lr d x^T adds lr * signal * x
        tile.update(x, -signal.reshape(1, 1))
    weights = tile.get_weights()[0][0]
    others = [weights[i].item() for i in range(N_IN) if i not in CORRELATED]
    print(f"{name:17s} correlated {[round(weights[i].item(), 3) for i in CORRELATED]}, "
          f"others max |w| {max(abs(v) for v in others):.3f}")
