"""Floating point device: exact update, optional decay, diffusion and simple drift."""

from typing import Any, Optional

import torch

from aihwkit.exceptions import check_non_negative
from aihwkit.simulator.configs.devices import FloatingPointDevice
from aihwkit.simulator.rpu_base.devices._drift import Drifter, is_active
from aihwkit.simulator.rpu_base.devices._settings import validate_drift
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.registry import register


def exact_update(weights: torch.Tensor, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
    """In place ``W -= lr * d^T x`` summed over the batch (``x``: ``[B, x]``, ``d``: ``[B, d]``)."""
    weights.addmm_(d.t(), x, alpha=-lr)


@register(FloatingPointDevice)
class FloatingPointEngine(DeviceEngine):
    """Exact rank update; decay ``W *= 1 - alpha / lifetime``, diffusion ``W += nu * xi``
    and simple power-law drift ``W = W0 (t / t_0)^-nu`` (spec 10 §4.1, §3.7)."""

    brief_name = "FloatingPoint"

    def __init__(self, config: Any, d_size: int, x_size: int, **kwargs: Any) -> None:
        check_non_negative(type(config).__name__, config, ("diffusion", "lifetime"))
        validate_drift(type(config).__name__, config.drift)
        super().__init__(config, d_size, x_size, **kwargs)
        self.drifter = Drifter(config.drift, self.device, self.dtype) \
            if is_active(config.drift) else None

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        exact_update(self.weights, x, d, lr)

    def decay_weights(self, alpha: float = 1.0) -> None:
        lifetime = self.config.lifetime
        if lifetime > 1.0:
            factor = 1.0 - alpha / lifetime
            if 0.0 < factor < 1.0:
                self.weights.mul_(factor)

    def diffuse_weights(self) -> None:
        if self.config.diffusion > 0:
            self.weights.add_(self.rng.normal(self.weights.shape, self.dtype),
                              alpha=self.config.diffusion)

    def drift_weights(self, delta_t: float = 1.0) -> None:
        if self.drifter is not None:
            nu = torch.full_like(self.weights, float(self.config.drift.nu))
            self.weights = self.drifter.apply(self.weights, nu, delta_t, self.rng)
