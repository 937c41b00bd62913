"""The simulation engine: device-agnostic torch code behind every tile.

``build_tile_engine`` turns an RPU configuration into an engine object holding the
weights, device state and periphery of one tile.
"""

from typing import Any

import torch

from aihwkit.simulator.rpu_base import cuda  # noqa: F401
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import RPUPulsed, RPUSimple


def build_tile_engine(rpu_config: Any, d_size: int, x_size: int, *, device: torch.device,
                      dtype: torch.dtype, rng: TileRNG) -> RPUSimple:
    """Engine of a tile with ``d_size`` outputs and ``x_size`` inputs for ``rpu_config``."""
    engine_class = RPUPulsed if hasattr(rpu_config, "forward") else RPUSimple
    return engine_class(rpu_config, d_size, x_size, device=device, dtype=dtype, rng=rng)


__all__ = ["build_tile_engine", "TileRNG", "RPUSimple", "RPUPulsed", "cuda"]
