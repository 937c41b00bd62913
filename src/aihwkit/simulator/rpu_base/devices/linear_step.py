"""LinearStep (spec 10 §4.4), SoftBounds (§4.5) and SoftBoundsPmax (§4.6) devices.

Up pulse ``w += (a+ w + D+)(1 + s xi)``, down pulse ``w -= (a- w + D-)(1 + s xi)`` with
slopes ``a+ = -g+ D+ / R+``, ``a- = -g- D- / R-`` (only the constant part is noisy
without ``mult_noise``); clipped to ``[b-, b+]`` after every pulse. SoftBounds fixes
``g+- = 1`` and references the crosspoint's own bounds.
"""

import math
from typing import Any, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import check_field
from aihwkit.simulator.configs.devices import (
    LinearStepDevice, SoftBoundsDevice, SoftBoundsPmaxDevice)
from aihwkit.simulator.rpu_base.devices._affine import AffineStepEngine
from aihwkit.simulator.rpu_base.devices._settings import Draws, check_flags, check_number
from aihwkit.simulator.rpu_base.registry import register


def _slope(gamma: Tensor, step: Tensor, reference: Any) -> Tensor:
    """``-gamma * step / reference`` (0 where the reference is 0)."""
    reference = torch.as_tensor(reference, dtype=step.dtype, device=step.device)
    safe = torch.where(reference == 0, torch.ones_like(reference), reference)
    return torch.where(reference == 0, torch.zeros_like(step), -gamma * step / safe)


@register(LinearStepDevice)
class LinearStepEngine(AffineStepEngine):
    """Steps linear in the weight (affine pulse maps)."""

    brief_name = "LinearStep"
    extra_names = ("slope_up", "slope_down")
    has_write_noise = True
    fixed_gamma = False          # SoftBounds: gamma = 1, no spread, own bounds

    def validate(self, owner: str, s: Any) -> None:
        check_flags(owner, s, ("mult_noise", "reverse_up", "reverse_down"))
        check_number(owner, s, "reverse_offset")
        for name in ("reverse_up", "reverse_down"):
            check_field(owner, name, getattr(s, name), not getattr(s, name) or s.mult_noise,
                        "False unless mult_noise=True (reversed steps need multiplicative "
                        "noise)")
        if not self.fixed_gamma:
            check_flags(owner, s, ("allow_increasing", "mean_bound_reference"))
            for name in ("gamma_up", "gamma_down"):
                check_number(owner, s, name)
            for name in ("gamma_up_dtod", "gamma_down_dtod"):
                check_number(owner, s, name, low=0.0)

    def sample_state(self, draws: Draws) -> None:
        s = self.s
        if self.fixed_gamma:
            gamma_up, gamma_down = draws.full(1.0), draws.full(1.0)
            own_bounds = True
        else:
            gamma_up = s.gamma_up + s.gamma_up_dtod * draws.normal() if s.gamma_up_dtod > 0 \
                else draws.full(s.gamma_up)
            gamma_down = s.gamma_down + s.gamma_down_dtod * draws.normal() \
                if s.gamma_down_dtod > 0 else draws.full(s.gamma_down)
            if not s.allow_increasing:
                gamma_up, gamma_down = gamma_up.abs(), gamma_down.abs()
            own_bounds = not s.mean_bound_reference
        low = self.min_bound if own_bounds else s.w_min
        high = self.max_bound if own_bounds else s.w_max
        ref_up = low - s.reverse_offset if s.reverse_up else high
        ref_down = high + s.reverse_offset if s.reverse_down else low
        self.slope_up = _slope(gamma_up, self.dwmin_up, ref_up)
        self.slope_down = _slope(gamma_down, self.dwmin_down, ref_down)

    def coefficients(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        return self.slope_up, self.dwmin_up, -self.slope_down, -self.dwmin_down


@register(SoftBoundsDevice)
class SoftBoundsEngine(LinearStepEngine):
    """LinearStep with ``gamma = 1`` relative to the crosspoint's own bounds."""

    brief_name = "SoftBounds"
    fixed_gamma = True


@register(SoftBoundsPmaxDevice)
class SoftBoundsPmaxEngine(SoftBoundsEngine):
    """SoftBounds parameterized by ``p_max``, ``alpha`` and the range (spec 10 §4.6)."""

    def resolve(self, s: Any) -> None:
        owner = "SoftBoundsPmaxDevice"
        for name in ("w_min", "w_max", "dw_min", "up_down"):
            check_field(owner, name, getattr(s, name), getattr(s, name) is None,
                        "None (derived from p_max, alpha, range_min and range_max)")
        check_number(owner, s, "p_max", low=0.0, strict=True)
        check_number(owner, s, "alpha", low=0.0, strict=True)
        check_number(owner, s, "range_min")
        check_number(owner, s, "range_max")
        check_field(owner, "range_min", s.range_min, s.range_min <= 0.0,
                    "<= 0 (the weight range must contain 0)")
        check_field(owner, "range_max", s.range_max, s.range_max > s.range_min,
                    f"> range_min = {s.range_min}")
        span = (s.range_max - s.range_min) / (1 - math.exp(-s.p_max * s.alpha))
        s.w_min = s.range_min
        s.w_max = s.range_min + span
        s.dw_min = span * s.alpha
        s.up_down = 1 + 2 * s.range_min / span
