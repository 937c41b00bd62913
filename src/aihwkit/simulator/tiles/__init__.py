"""Analog tiles (aihwkit's ``simulator.tiles``)."""

from aihwkit.simulator.tiles.analog import AnalogTile, CudaAnalogTile
from aihwkit.simulator.tiles.floating_point import CudaFloatingPointTile, FloatingPointTile
from aihwkit.simulator.tiles.periphery import TileWithPeriphery
