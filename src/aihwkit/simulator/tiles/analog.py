"""Analog training tile: IO-managed products and pulsed (or compound) updates."""

from typing import Any, Optional

from aihwkit.simulator.tiles.periphery import TileWithPeriphery


class AnalogTile(TileWithPeriphery):
    """Analog tile for training with a pulsed device, unit cell or compound.

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a :class:`SingleRPUConfig`, :class:`UnitCellRPUConfig` or
            :class:`DigitalRankUpdateRPUConfig` (``SingleRPUConfig()`` when ``None``).
        bias: whether the tile has a bias.
        in_trans, out_trans: feature dimension first for inputs / outputs.
    """

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import SingleRPUConfig
            rpu_config = SingleRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)


class CudaAnalogTile(AnalogTile):
    """An :class:`AnalogTile` whose state lives on a CUDA device."""


AnalogTile.cpu_class = AnalogTile
AnalogTile.cuda_class = CudaAnalogTile
