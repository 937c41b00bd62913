"""Builders and statistics shared by the device-engine tests (4 standard errors)."""

import math
from typing import Any, Optional

import torch

from aihwkit.simulator.parameters import PulseType, UpdateParameters
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device

Z = 4.0
NO_VARIATION = dict(dw_min_dtod=0.0, dw_min_std=0.0, up_down_dtod=0.0, w_max_dtod=0.0,
                    w_min_dtod=0.0)


def make(config: Any, d_size: int = 1, x_size: int = 1, *, dtype=torch.float64,
         seed: int = 0, weights: Optional[float] = 0.0):
    """Device engine for ``config`` on CPU with its own seeded generator."""
    rng = TileRNG(torch.device("cpu"), seed=seed)
    engine = build_device(config, d_size, x_size, device=torch.device("cpu"), dtype=dtype,
                          rng=rng)
    if weights is not None:
        engine.set_weights(torch.full((d_size, x_size), float(weights), dtype=dtype))
    return engine


def no_variation(cls: type, **fields: Any) -> Any:
    """Device config with all device-to-device and cycle-to-cycle variation off."""
    values = dict(NO_VARIATION)
    if "gamma_up_dtod" in {f for f in cls.__dataclass_fields__}:
        values.update(gamma_up_dtod=0.0, gamma_down_dtod=0.0)
    if "pow_gamma_dtod" in {f for f in cls.__dataclass_fields__}:
        values.update(pow_gamma_dtod=0.0)
    values.update(fields)
    return cls(**values)


def exact_counts_update() -> UpdateParameters:
    """Update parameters giving exactly ``lr |x d| / g`` pulses (``MEAN_COUNT``)."""
    return UpdateParameters(pulse_type=PulseType.MEAN_COUNT, desired_bl=100)


def pulse(engine: Any, n: int) -> None:
    """``|n|`` pulses (positive: up) on every crosspoint in one sample."""
    if n == 0:
        return
    g = engine.granularity()
    x = torch.ones(1, engine.x_size, dtype=engine.dtype)
    d = torch.full((1, engine.d_size), -math.copysign(1.0, n), dtype=engine.dtype)
    # k = lr |x d| / g = |n| - 1/4: BL = |n| and MEAN_COUNT rounds both trains to |n|
    engine.update(x, d, (abs(n) - 0.25) * g, exact_counts_update())


def mean_se(values: torch.Tensor):
    """Sample mean and its standard error."""
    v = values.double().flatten()
    return v.mean().item(), v.std().item() / math.sqrt(v.numel())


def std_se(values: torch.Tensor):
    """Sample std and its standard error (delta method)."""
    v = values.double().flatten()
    centered = v - v.mean()
    var = centered.pow(2).mean().item()
    m4 = centered.pow(4).mean().item()
    std = math.sqrt(var)
    return std, math.sqrt(max(m4 - var * var, 0.0) / v.numel()) / (2 * std)


def within(value: float, expected: float, se: float, z: float = Z) -> bool:
    """``|value - expected| <= z * se``."""
    return abs(value - expected) <= z * se
