"""Analog neural network layers (aihwkit's ``nn``)."""

from aihwkit.nn.modules.base import AnalogLayerBase
from aihwkit.nn.modules.container import AnalogContainerBase, AnalogSequential
from aihwkit.nn.modules.linear import AnalogLinear
