"""Configurations of the CUDA contract suite and the device the suite targets.

The suite runs on ``cuda`` and is skipped without a GPU. Setting the environment
variable ``AIHWKIT_CUDA_SUITE_TARGET=cpu`` runs the same tests with the CPU as the
"second" device, which checks the suite itself on machines without a GPU.
"""

import math
import os
import sys
from typing import Any, Callable, Dict

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "contracts"))

# pylint: disable=wrong-import-position
from contract_catalogue import DEVICE_FACTORIES  # noqa: E402

from aihwkit.simulator import presets  # noqa: E402
from aihwkit.simulator.configs import (  # noqa: E402
    InferenceRPUConfig, QuantizedTorchInferenceRPUConfig, TorchInferenceRPUConfig)

TARGET = os.environ.get("AIHWKIT_CUDA_SUITE_TARGET", "cuda")
AVAILABLE = TARGET == "cpu" or torch.cuda.is_available()

# every test module of the suite: the cuda marker, skipped cleanly without a GPU
SUITE_MARKS = [pytest.mark.cuda,
               pytest.mark.skipif(not AVAILABLE, reason="needs a CUDA device")]


def target_device() -> torch.device:
    """The device under test."""
    return torch.device(TARGET)


CONFIGS: Dict[str, Callable[[], Any]] = {
    klass.__name__: factory for klass, factory in DEVICE_FACTORIES.items()}
CONFIGS.update({
    "TikiTakaReRamSBPreset": presets.TikiTakaReRamSBPreset,
    "MixedPrecisionReRamSBPreset": presets.MixedPrecisionReRamSBPreset,
    "InferenceRPUConfig": InferenceRPUConfig,
    "TorchInferenceRPUConfig": TorchInferenceRPUConfig,
    "QuantizedTorchInferenceRPUConfig": QuantizedTorchInferenceRPUConfig,
})

# configurations trained through the analog (pulsed or exact) update
PULSED = sorted(name for name in CONFIGS
                if "Inference" not in name and name != "FloatingPointDevice")


def _moments(values: torch.Tensor) -> tuple:
    """Mean, variance, standard error of the mean and of the variance of a sample."""
    values = values.detach().double().flatten().cpu()
    n = values.numel()
    mean = values.mean()
    var = values.var()
    m4 = ((values - mean) ** 4).mean()
    # SE of a sample variance: sqrt((mu4 - sigma^4) / n), valid for any distribution
    se_var = math.sqrt(max(float(m4 - var ** 2), 0.0) / n)
    return float(mean), float(var), math.sqrt(float(var) / n), se_var


def assert_same_distribution(first: torch.Tensor, second: torch.Tensor) -> None:
    """Two samples agree in mean and variance within 4 combined standard errors.

    Tolerances come from the samples: ``|m1 - m2| <= 4 sqrt(se1^2 + se2^2)`` and the same
    for the variances with the distribution-free standard error of a sample variance.
    Constant samples (noise-free configurations) must agree to float rounding.
    """
    m1, v1, se1, sev1 = _moments(first)
    m2, v2, se2, sev2 = _moments(second)
    rounding = 1e-5 * max(abs(m1), abs(m2), 1e-3)  # CPU vs GPU float32 summation order
    assert abs(m1 - m2) <= 4 * math.hypot(se1, se2) + rounding, (m1, m2, se1, se2)
    assert abs(v1 - v2) <= 4 * math.hypot(sev1, sev2) + rounding ** 2, (v1, v2, sev1, sev2)
