"""Conversion between tile weights and device conductances (µS)."""

from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.converter.conductance import (
    CustomPairConductanceConverter, DualPairConductanceConverter, NPairConductanceConverter,
    SingleDeviceConductanceConverter, SinglePairConductanceConverter)

__all__ = ["BaseConductanceConverter", "SinglePairConductanceConverter",
           "DualPairConductanceConverter", "NPairConductanceConverter",
           "CustomPairConductanceConverter", "SingleDeviceConductanceConverter"]
