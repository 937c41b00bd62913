"""RPU configurations: which tile to build and every parameter it needs."""

from dataclasses import dataclass, field
from typing import Any

from aihwkit.simulator.configs.devices import FloatingPointDevice
from aihwkit.simulator.parameters.mapping import MappableRPU
from aihwkit.simulator.parameters.helpers import lazy_class
from aihwkit.simulator.parameters.pre_post import PrePostProcessingRPU


@dataclass
class FloatingPointRPUConfig(MappableRPU, PrePostProcessingRPU):
    """Configuration of an exact floating point tile."""

    tile_class: Any = lazy_class("aihwkit.simulator.tiles.floating_point:FloatingPointTile")
    device: FloatingPointDevice = field(default_factory=FloatingPointDevice)
