"""Linear algebra with analog tiles: a tile used as a matrix operator."""

from aihwkit.linalg.matrix import AnalogMatrix

__all__ = ["AnalogMatrix"]
