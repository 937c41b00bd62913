"""Power-law conductance drift applied by explicit ``drift_weights(delta_t)`` calls
(spec 10 §3.7).

The drifter remembers, per crosspoint, when its weight was last changed by something
other than drift (``t_last``) and the weight at that moment (``w_start``); a global clock
``time`` advances by ``delta_t / t_0`` per call.
"""

import math
from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.rng import TileRNG


class Drifter(EngineBase):
    """Drift state of one weight matrix.

    Args:
        params: a ``DriftParameter`` or ``SimpleDriftParameter`` (fields missing from the
            simple one act as their neutral values).
        device, dtype: placement of the state tensors.
    """

    def __init__(self, params: Any, device: torch.device, dtype: torch.dtype) -> None:
        self.params = params
        self.device = torch.device(device)
        self.dtype = dtype
        self.time = 0.0
        self.t_last: Optional[Tensor] = None
        self.w_start: Optional[Tensor] = None
        self.w_prev: Optional[Tensor] = None

    def _get(self, name: str, default: float) -> float:
        return float(getattr(self.params, name, default))

    def apply(self, weights: Tensor, nu: Tensor, delta_t: float, rng: TileRNG) -> Tensor:
        """Drifted weights after a time step ``delta_t`` (same shape as ``weights``).

        Args:
            weights: current weights ``[d_size, x_size]``.
            nu: per-crosspoint drift exponents ``[d_size, x_size]``.
            delta_t: elapsed time (the clock advances by ``delta_t / t_0``).
            rng: the tile's generator (cycle-to-cycle drift noise).
        """
        if self.w_prev is None:
            self.t_last = torch.zeros_like(weights)
            self.w_start = weights.clone()
            self.w_prev = weights.clone()
        reset_tol = self._get("reset_tol", 1e-7)
        self.time += float(delta_t) / self._get("t_0", 1.0)
        g_offset, w_offset = self._get("g_offset", 0.0), self._get("w_offset", 0.0)
        wg_ratio = self._get("wg_ratio", 1.0)
        offset = g_offset * wg_ratio + w_offset
        if abs(offset) < reset_tol:
            offset = 0.0

        changed = (self.w_prev - weights).abs() > reset_tol
        self.t_last = torch.where(changed, torch.full_like(weights, self.time), self.t_last)
        self.w_start = torch.where(changed, weights, self.w_start)

        exponent = nu
        nu_std = self._get("nu_std", 0.0)
        if nu_std > 0:
            exponent = exponent + nu_std * nu * rng.normal(weights.shape, weights.dtype)
        nu_k = self._get("nu_k", 0.0)
        if nu_k != 0:
            conductance = (weights - w_offset) / wg_ratio + g_offset
            exponent = exponent - nu_k * torch.log(conductance) + nu_k * self._get("log_g0", 0.0)
        tau = (self.time - self.t_last).clamp(min=1.0)
        factor = torch.pow(tau, -exponent)
        drifted = self.w_start * factor
        if offset != 0.0:
            drifted = drifted + offset * (factor - 1.0)
        result = torch.where(changed, weights, drifted)
        w_noise_std = self._get("w_noise_std", 0.0)
        if w_noise_std > 0:
            result = result + w_noise_std * rng.normal(weights.shape, weights.dtype)
        self.w_prev = result.clone()
        return result


def drift_exponents(params: Any, draws: Any) -> Tensor:
    """Per-crosspoint exponents ``nu + nu_dtod * nu * xi`` (0 everywhere when off)."""
    nu = float(params.nu)
    if nu <= 0:
        return draws.constant(0.0)
    dtod = float(getattr(params, "nu_dtod", 0.0))
    if dtod > 0:
        return nu + dtod * nu * draws.normal()
    return draws.constant(nu)


def is_active(params: Any) -> bool:
    """Whether drift is switched on (``nu > 0``)."""
    return params is not None and math.isfinite(float(params.nu)) and float(params.nu) > 0
