"""Drift compensation methods."""

from aihwkit.inference.compensation.base import BaseDriftCompensation
from aihwkit.inference.compensation.drift import (
    GlobalDriftCompensation, GlobalDriftCompensationWithExactReference,
    PerColumnDriftCompensation)

__all__ = ["BaseDriftCompensation", "GlobalDriftCompensation",
           "GlobalDriftCompensationWithExactReference", "PerColumnDriftCompensation"]
