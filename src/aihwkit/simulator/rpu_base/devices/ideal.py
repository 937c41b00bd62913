"""IdealDevice (spec 10 §4.2) and the floating point stand-in of a pulsed device updated
with ``PulseType.NONE`` (§2.2): exact update, no bounds, no hidden parameters."""

from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.exceptions import TileError, check_field
from aihwkit.simulator.configs.devices import IdealDevice
from aihwkit.simulator.rpu_base.devices._drift import Drifter, drift_exponents, is_active
from aihwkit.simulator.rpu_base.devices._pulsed import check_update_inputs, column_mask
from aihwkit.simulator.rpu_base.devices._settings import Draws, check_number, settings_of
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.devices.floating_point import exact_update
from aihwkit.simulator.rpu_base.registry import register


@register(IdealDevice)
class IdealEngine(DeviceEngine):
    """``W -= lr d^T x`` exactly whatever the pulse type; decay ``W *= 1 - alpha /
    lifetime`` (``lifetime > 1``), diffusion ``W += diffusion xi``, reset
    ``W = reset_std xi``; optional drift (only for the ``PulseType.NONE`` stand-in)."""

    brief_name = "SimpleRPUDevice"

    def __init__(self, config: Any, d_size: int, x_size: int, **kwargs: Any) -> None:
        super().__init__(config, d_size, x_size, **kwargs)
        owner = type(config).__name__
        s = settings_of(config)
        check_field(owner, "construction_seed", s.construction_seed,
                    isinstance(s.construction_seed, int) and s.construction_seed >= 0,
                    "an integer >= 0 (0: random)")
        for name in ("diffusion", "lifetime", "reset_std"):
            check_number(owner, s, name, low=0.0)
        self._setup(s, drift=None)

    @classmethod
    def from_settings(cls, s: Any, d_size: int, x_size: int, **kwargs: Any) -> "IdealEngine":
        """Stand-in for a pulsed device with resolved settings ``s`` (``PulseType.NONE``)."""
        engine = cls.__new__(cls)
        DeviceEngine.__init__(engine, s, d_size, x_size, **kwargs)
        engine._setup(s, drift=s.drift if is_active(s.drift) else None)
        return engine

    def _setup(self, s: Any, drift: Optional[Any]) -> None:
        self.lifetime = float(s.lifetime)
        self.diffusion = float(s.diffusion)
        self.reset_std = float(s.reset_std)
        self.drifter: Optional[Drifter] = None
        self.drift_nu: Optional[Tensor] = None
        if drift is not None:
            gen = self.rng.seeded(s.construction_seed) if s.construction_seed \
                else self.rng.generator
            draws = Draws(gen, (self.d_size, self.x_size), self.device, self.dtype)
            self.drift_nu = drift_exponents(drift, draws)
            self.drifter = Drifter(drift, self.device, self.dtype)

    def requires_decay(self) -> bool:
        return self.lifetime > 0

    def requires_diffusion(self) -> bool:
        return self.diffusion > 0

    def set_weights(self, weights: Tensor) -> None:
        weights = torch.as_tensor(weights)
        if tuple(weights.shape) != (self.d_size, self.x_size):
            raise TileError(f"weights must have shape {(self.d_size, self.x_size)}, "
                            f"got {tuple(weights.shape)}")
        super().set_weights(weights)

    def update(self, x: Tensor, d: Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0 or x.shape[0] == 0:
            return
        exact_update(self.weights, x.to(self.weights), d.to(self.weights), float(lr))

    def decay_weights(self, alpha: float = 1.0) -> None:
        if self.lifetime > 1.0:
            factor = 1.0 - alpha / self.lifetime
            if 0.0 < factor < 1.0:
                self.weights = self.weights * factor

    def diffuse_weights(self) -> None:
        if self.diffusion > 0:
            self.weights = self.weights + self.diffusion * self.rng.normal(
                self.weights.shape, self.dtype)

    def drift_weights(self, delta_t: float = 1.0) -> None:
        if self.drifter is not None:
            self.weights = self.drifter.apply(self.weights, self.drift_nu, delta_t, self.rng)

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        selected = column_mask(self.x_size, start_column_idx, num_columns, self.device)
        mask = selected.unsqueeze(0).expand(self.d_size, self.x_size)
        if reset_prob < 1.0:
            mask = mask & (self.rng.uniform(mask.shape, self.dtype) < reset_prob)
        values = self.reset_std * self.rng.normal(mask.shape, self.dtype)
        self.weights = torch.where(mask, values, self.weights)

    def clip_weights(self, clip: float = -1.0) -> None:
        if clip >= 0:
            self.weights = self.weights.clamp(-clip, clip)
