"""Floating point tile: exact products and updates."""

from typing import Any, Optional

from aihwkit.simulator.tiles.periphery import TileWithPeriphery


class FloatingPointTile(TileWithPeriphery):
    """Exact floating point tile of ``out_size x in_size`` weights.

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a :class:`FloatingPointRPUConfig` (default when ``None``).
        bias: whether the tile has a bias.
        in_trans, out_trans: feature dimension first for inputs / outputs.
    """

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import FloatingPointRPUConfig
            rpu_config = FloatingPointRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)


class CudaFloatingPointTile(FloatingPointTile):
    """A :class:`FloatingPointTile` whose state lives on a CUDA device."""


FloatingPointTile.cpu_class = FloatingPointTile
FloatingPointTile.cuda_class = CudaFloatingPointTile
