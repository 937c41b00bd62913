"""Forward/backward periphery of an analog tile: DAC, ADC, noise and bound management.

:class:`IOManager` holds one direction's validated :class:`IOParameters` and the per-line
parameters drawn at construction, and computes the managed matrix-vector product
(spec 10 §1). The backward pass uses a second manager on the transposed weights.
"""

from typing import Any

import torch

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.parameters.enums import AnalogMVType
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.rng import TileRNG


class IOManager(EngineBase):
    """One direction of the analog MVM.

    Args:
        io: the direction's IOParameters (a private copy is kept).
        out_size: number of output lines of this direction.
        in_size: number of input lines of this direction.
        is_backward: True for the backward direction (bound management is forced off).
        device, dtype: placement of drawn per-line parameters.
        rng: the tile's random number generator.
    """

    def __init__(self, io: Any, out_size: int, in_size: int, *, is_backward: bool,
                 device: torch.device, dtype: torch.dtype, rng: TileRNG) -> None:
        self.io = io
        self.out_size = out_size
        self.in_size = in_size
        self.is_backward = is_backward
        self.device = torch.device(device)
        self.dtype = dtype
        self.rng = rng
        self.is_perfect = bool(io.is_perfect) or io.mv_type == AnalogMVType.IDEAL
        if not self.is_perfect:
            raise ConfigError(
                f"IOParameters.is_perfect = False is not simulated by this version: "
                f"set is_perfect=True for the {'backward' if is_backward else 'forward'} pass")

    def mvm(self, weights: torch.Tensor, x: torch.Tensor, is_test: bool = False) -> torch.Tensor:
        """Managed product ``y = W x`` for a batch.

        Shape:
            weights: ``[out_size, in_size]``; x: ``[B, in_size]``; returns ``[B, out_size]``.
        """
        return (x @ weights.t()) * self.io.out_scale
