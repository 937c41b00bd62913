"""Analog optimizers (aihwkit's ``optim``)."""

from aihwkit.optim.analog_optimizer import AnalogAdam, AnalogOptimizer, AnalogSGD
from aihwkit.optim.context import AnalogContext
