"""Analog tiles (aihwkit's ``simulator.tiles``)."""

from aihwkit.simulator.tiles.analog import AnalogTile, CudaAnalogTile
from aihwkit.simulator.tiles.array import QuantizedTileModuleArray, TileModuleArray
from aihwkit.simulator.tiles.floating_point import CudaFloatingPointTile, FloatingPointTile
from aihwkit.simulator.tiles.inference import InferenceTile, InferenceTileWithPeriphery
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile
from aihwkit.simulator.tiles.periphery import TileWithPeriphery
from aihwkit.simulator.tiles.quantized_inference_torch import QuantizedTorchInferenceTile
