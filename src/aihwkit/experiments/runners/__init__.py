"""Runners: execute experiments on this machine."""

from aihwkit.experiments.runners.i_local import InferenceLocalRunner
from aihwkit.experiments.runners.local import LocalRunner

__all__ = ["InferenceLocalRunner", "LocalRunner"]
