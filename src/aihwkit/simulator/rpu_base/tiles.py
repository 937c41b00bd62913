"""Engine tiles by name, as the compiled engine's ``rpu_base.tiles`` module offers them.

``AnalogTile(x_size, d_size)`` and ``FloatingPointTile(x_size, d_size)`` build bare
engines (no digital periphery, no autograd) from an RPU configuration
(``SingleRPUConfig()`` / ``FloatingPointRPUConfig()`` when none is given). They expose
the engine-tile methods (``forward``, ``backward``, ``update``, ``get/set_weights``,
``get/set_learning_rate``, ``get/set_hidden_parameters``, ``decay_weights``, ...).
The inference weight parameters and their enums are re-exported.

Shape: inputs ``[B, x_size]``, outputs ``[B, d_size]``, weights ``[d_size, x_size]``.
"""

from typing import Any, Optional

import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.parameters.enums import (  # noqa: F401
    WeightClipType, WeightModifierType, WeightRemapType)
from aihwkit.simulator.parameters.inference import (  # noqa: F401
    WeightClipParameter, WeightModifierParameter, WeightRemapParameter)
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import RPUPulsed, RPUSimple


def _sizes(x_size: Any, d_size: Any) -> None:
    for name, value in (("x_size", x_size), ("d_size", d_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ArgumentError(f"{name} must be an integer >= 1, got {value!r}")


def _build(tile: Any, base: type, x_size: int, d_size: int, rpu_config: Any, device: Any,
           dtype: torch.dtype, seed: Optional[int]) -> None:
    """Initialise ``tile`` as a ``base`` engine with its own generator and zero weights."""
    _sizes(x_size, d_size)
    device = torch.device(device)
    base.__init__(tile, rpu_config, d_size, x_size, device=device, dtype=dtype,
                  rng=TileRNG(device, seed))
    tile.set_weights(torch.zeros(d_size, x_size, dtype=dtype, device=device))


class FloatingPointTile(RPUSimple):
    """Exact floating point engine tile of ``d_size x x_size`` weights.

    Args:
        x_size: number of inputs.
        d_size: number of outputs.
        rpu_config: a ``FloatingPointRPUConfig`` (default when ``None``).
        device, dtype: placement of the tensors.
        seed: seed of the tile's generator (``None``: drawn from torch's global RNG).
    """

    def __init__(self, x_size: int, d_size: int, rpu_config: Optional[Any] = None,
                 device: Any = "cpu", dtype: torch.dtype = torch.float32,
                 seed: Optional[int] = None) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import FloatingPointRPUConfig
            rpu_config = FloatingPointRPUConfig()
        _build(self, RPUSimple, x_size, d_size, rpu_config, device, dtype, seed)


class AnalogTile(RPUPulsed):
    """IO-managed engine tile with a pulsed device (or unit cell/compound) model.

    Args:
        x_size: number of inputs.
        d_size: number of outputs.
        rpu_config: a ``SingleRPUConfig``/``UnitCellRPUConfig`` (``SingleRPUConfig()``
            when ``None``).
        device, dtype: placement of the tensors.
        seed: seed of the tile's generator (``None``: drawn from torch's global RNG).
    """

    def __init__(self, x_size: int, d_size: int, rpu_config: Optional[Any] = None,
                 device: Any = "cpu", dtype: torch.dtype = torch.float32,
                 seed: Optional[int] = None) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import SingleRPUConfig
            rpu_config = SingleRPUConfig()
        _build(self, RPUPulsed, x_size, d_size, rpu_config, device, dtype, seed)


__all__ = ["AnalogTile", "FloatingPointTile", "WeightClipParameter", "WeightRemapParameter",
           "WeightModifierParameter", "WeightClipType", "WeightRemapType",
           "WeightModifierType"]
