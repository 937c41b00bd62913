"""Ready-made training and inference experiments on torch datasets, and their runners."""

from aihwkit.experiments.experiments.base import Experiment, Signals
from aihwkit.experiments.experiments.inferencing import BasicInferencing
from aihwkit.experiments.experiments.training import BasicTraining

__all__ = ["BasicInferencing", "BasicTraining", "Experiment", "Signals"]
