"""SoftBoundsReference device (spec 10 §4.7): soft bounds on ``g = w + reference``.

Up pulse ``g += D+ (1 - g / b+ + s xi)``, down pulse ``g -= D- (1 - g / b- + s xi)``
(additive noise, default) or the whole step times ``(1 + s xi)`` with ``mult_noise``;
the ``g / b`` term is dropped where ``b+ <= 0`` (resp. ``b- >= 0``); then ``g`` is
clipped to ``[b-, b+]`` and ``w = g - reference``.
"""

from typing import Any, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.configs.devices import SoftBoundsReferenceDevice
from aihwkit.simulator.rpu_base.devices._affine import AffineStepEngine
from aihwkit.simulator.rpu_base.devices._settings import Draws, check_flags, check_number
from aihwkit.simulator.rpu_base.registry import register


@register(SoftBoundsReferenceDevice)
class SoftBoundsReferenceEngine(AffineStepEngine):
    """Soft bounds around a per-crosspoint reference (affine pulse maps)."""

    brief_name = "SoftBoundsReference"
    extra_names = ("reference",)
    has_write_noise = True
    uses_reference = True

    def validate(self, owner: str, s: Any) -> None:
        check_flags(owner, s, ("mult_noise", "subtract_symmetry_point"))
        for name in ("slope_up_dtod", "slope_down_dtod", "reference_std"):
            check_number(owner, s, name, low=0.0)
        check_number(owner, s, "reference_mean")

    def sample_state(self, draws: Draws) -> None:
        s = self.s
        straddle = (self.max_bound > 0) & (self.min_bound < 0)
        if s.slope_down_dtod > 0:
            scaled = self.min_bound / (1 + s.slope_down_dtod * draws.normal()).abs()
            self.min_bound = torch.where(straddle, scaled, self.min_bound)
        if s.slope_up_dtod > 0:
            scaled = self.max_bound / (1 + s.slope_up_dtod * draws.normal()).abs()
            self.max_bound = torch.where(straddle, scaled, self.max_bound)
        self.reference = s.reference_mean + s.reference_std * draws.normal() \
            if s.reference_std > 0 else draws.full(s.reference_mean)
        if s.subtract_symmetry_point:
            denominator = self.dwmin_up / self.max_bound - self.dwmin_down / self.min_bound
            valid = straddle & (denominator != 0)
            safe = torch.where(valid, denominator, torch.ones_like(denominator))
            point = torch.where(valid, (self.dwmin_up - self.dwmin_down) / safe,
                                torch.zeros_like(denominator))
            self.reference = self.reference + point
            self.reset_bias = self.reset_bias + point

    def coefficients(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        # the g / b term is dropped where b+ <= 0 (up) or b- >= 0 (down)
        positive = self.max_bound > 0
        negative = self.min_bound < 0
        ones = torch.ones_like(self.max_bound)
        slope_up = torch.where(positive, -self.dwmin_up / torch.where(positive, self.max_bound,
                                                                         ones), 0 * ones)
        slope_down = torch.where(negative, self.dwmin_down / torch.where(negative, self.min_bound,
                                                                            -ones), 0 * ones)
        return slope_up, self.dwmin_up, slope_down, -self.dwmin_down
