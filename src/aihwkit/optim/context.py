"""``AnalogContext``: the parameter through which an optimizer reaches an analog tile.

The class lives with the tiles (:mod:`aihwkit.simulator.tiles.context`), which create
one per tile; this module keeps the import path of the original package.
"""

from aihwkit.simulator.tiles.context import AnalogContext

__all__ = ["AnalogContext"]
