"""Floating point device: exact update, optional decay, diffusion and simple drift."""

from typing import Any, Optional

import torch

from aihwkit.exceptions import check_field, check_non_negative
from aihwkit.simulator.configs.devices import FloatingPointDevice
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.registry import register


def exact_update(weights: torch.Tensor, x: torch.Tensor, d: torch.Tensor, lr: float) -> None:
    """In place ``W -= lr * d^T x`` summed over the batch (``x``: ``[B, x]``, ``d``: ``[B, d]``)."""
    weights.addmm_(d.t(), x, alpha=-lr)


@register(FloatingPointDevice)
class FloatingPointEngine(DeviceEngine):
    """Exact rank update; decay ``W *= 1 - alpha / lifetime`` and diffusion ``W += nu * xi``
    (spec 10 §4.1)."""

    brief_name = "FloatingPoint"

    def __init__(self, config: Any, d_size: int, x_size: int, **kwargs: Any) -> None:
        check_non_negative(type(config).__name__, config, ("diffusion", "lifetime"))
        check_field(type(config).__name__, "drift.nu", config.drift.nu, config.drift.nu == 0.0,
                    "0.0 (drift of floating point devices is not simulated by this version)")
        super().__init__(config, d_size, x_size, **kwargs)

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
