"""Inference: noise models of programmed devices, conductance converters and drift
compensation, and helpers to program/drift whole models."""

from aihwkit.inference.compensation.base import BaseDriftCompensation
from aihwkit.inference.compensation.drift import GlobalDriftCompensation
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.converter.conductance import (
    CustomPairConductanceConverter, DualPairConductanceConverter, NPairConductanceConverter,
    SingleDeviceConductanceConverter, SinglePairConductanceConverter)
from aihwkit.inference.noise.base import BaseNoiseModel
from aihwkit.inference.noise.custom import StateIndependentNoiseModel
from aihwkit.inference.noise.pcm import CustomDriftPCMLikeNoiseModel, PCMLikeNoiseModel
from aihwkit.inference.noise.reram import ReRamCMONoiseModel, ReRamWan2022NoiseModel
from aihwkit.inference.utils import drift_analog_weights, program_analog_weights

__all__ = [
    "BaseConductanceConverter", "SinglePairConductanceConverter",
    "SingleDeviceConductanceConverter", "DualPairConductanceConverter",
    "NPairConductanceConverter", "CustomPairConductanceConverter", "BaseNoiseModel",
    "PCMLikeNoiseModel", "CustomDriftPCMLikeNoiseModel", "ReRamWan2022NoiseModel",
    "ReRamCMONoiseModel", "StateIndependentNoiseModel", "BaseDriftCompensation",
    "GlobalDriftCompensation", "drift_analog_weights", "program_analog_weights",
]
