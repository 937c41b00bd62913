"""Phenomenological noise models of programmed analog devices."""

from aihwkit.inference.noise.base import BaseNoiseModel
from aihwkit.inference.noise.custom import StateIndependentNoiseModel
from aihwkit.inference.noise.pcm import CustomDriftPCMLikeNoiseModel, PCMLikeNoiseModel
from aihwkit.inference.noise.reram import ReRamCMONoiseModel, ReRamWan2022NoiseModel

__all__ = ["BaseNoiseModel", "PCMLikeNoiseModel", "CustomDriftPCMLikeNoiseModel",
           "StateIndependentNoiseModel", "ReRamWan2022NoiseModel", "ReRamCMONoiseModel"]
