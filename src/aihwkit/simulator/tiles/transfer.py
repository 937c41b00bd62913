"""``TorchTransferTile``: a training tile for the Tiki-Taka family of transfer compounds.

Selected with ``UnitCellRPUConfig(device=<transfer compound>, tile_class=TorchTransferTile)``
(``TransferCompound``, ``BufferedTransferCompound``, ``ChoppedTransferCompound`` or
``DynamicTransferCompound``). The simulation is the engine's transfer compound, written
in torch like every other engine: the gradient is pulsed onto the fast (gradient) device
with ``fast_lr``; every ``transfer_every`` update cycles ``n_reads_per_transfer``
columns (or rows) of a device are read through ``transfer_forward`` and written onto the
next device with ``transfer_update`` (through a digital buffer, with chopper signs, or
with the dynamic thresholds of the chosen variant); the visible weight is the
``gamma``-weighted sum of the devices (or the last device when fully hidden).

aihwkit 1.1.0 ships a separate Python implementation under this name that only covers the
chopped and dynamic compounds with one read per transfer, no automatic transfer period
and no bias or transposed layouts. Here the tile uses the same engine as
:class:`AnalogTile` with a transfer compound, so it produces the same results as that
tile for the same configuration and seed, and it supports every transfer variant, bias
and layout the engine supports.
"""

from typing import Any, List, Optional

import torch

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.rpu_base.tile import RPUPulsed
from aihwkit.simulator.tiles.analog import AnalogTile


def _is_transfer(device: Any) -> bool:
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs.compounds import TransferCompound
    return isinstance(device, TransferCompound)


class TransferSimulatorTile(RPUPulsed):
    """Engine of a :class:`TorchTransferTile`: IO-managed products and the transfer
    compound's update.

    Args:
        rpu_config: a ``UnitCellRPUConfig`` whose ``device`` is a transfer compound.
        d_size: number of outputs.
        x_size: number of inputs.
        device, dtype, rng: placement and random number generator (the tile's).

    Raises:
        ConfigError: ``rpu_config.device`` is not a transfer compound.
    """

    kind = "RPUPulsed"

    def __init__(self, rpu_config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: Any) -> None:
        device_config = getattr(rpu_config, "device", None)
        if not _is_transfer(device_config):
            raise ConfigError(f"{type(rpu_config).__name__}.device = "
                              f"{type(device_config).__name__} is invalid for a transfer "
                              "tile: must be a TransferCompound (or Buffered/Chopped/"
                              "DynamicTransferCompound)")
        super().__init__(rpu_config, d_size, x_size, device=device, dtype=dtype, rng=rng)

    def get_device_weights(self) -> List[torch.Tensor]:
        """Weights ``[d_size, x_size]`` of every device, the fast (gradient) device first."""
        return [child.get_weights().detach().clone()
                for child in self.device_engine.children]


class TorchTransferTile(AnalogTile):
    """Analog training tile whose crosspoints are a transfer compound (Tiki-Taka).

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a ``UnitCellRPUConfig`` with a transfer compound as ``device``.
        bias: whether the tile has a bias.
        in_trans, out_trans: feature dimension first for inputs / outputs.

    Raises:
        ConfigError: the config has no transfer compound.
    """

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            raise ConfigError("TorchTransferTile needs rpu_config: a UnitCellRPUConfig with a "
                              "TransferCompound (or a variant) as device")
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)

    def _create_engine(self) -> TransferSimulatorTile:
        return TransferSimulatorTile(self.rpu_config, self.d_size, self.x_size,
                                     device=self.device, dtype=self.get_dtype(), rng=self._rng)

    def get_device_weights(self) -> List[torch.Tensor]:
        """Weights of every device of the compound (CPU copies), the fast device first."""
        return [weights.cpu() for weights in self.tile.get_device_weights()]


class CudaTorchTransferTile(TorchTransferTile):
    """A :class:`TorchTransferTile` whose state lives on a CUDA device."""


TorchTransferTile.cpu_class = TorchTransferTile
TorchTransferTile.cuda_class = CudaTorchTransferTile
