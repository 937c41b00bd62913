"""PowStep (spec 10 §4.9) and PowStepReference (§4.10) devices.

With ``R = b+ - b-``: up pulse ``w += D+ ((b+ - w) / R)^g+ (1 + s xi)``, down pulse
``w -= D- ((w - b-) / R)^g- (1 + s xi)``, then clip; crosspoints with ``R = 0`` never
change. PowStepReference applies the rule to ``g = w + reference``.
"""

from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import check_field
from aihwkit.simulator.configs.devices import PowStepDevice, PowStepReferenceDevice
from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.devices._settings import Draws, check_flags, check_number
from aihwkit.simulator.rpu_base.kernels.params import PowStepParams
from aihwkit.simulator.rpu_base.registry import register

MAX_ESTIMATION_STEPS = 10000


@register(PowStepDevice)
class PowStepEngine(PulsedDeviceEngine[PowStepParams]):
    """Power-law steps; second-order moment map."""

    brief_name = "PowStep"
    extra_names: Tuple[str, ...] = ("gamma_up", "gamma_down")
    has_write_noise = True

    def validate(self, owner: str, s: Any) -> None:
        check_number(owner, s, "pow_gamma")
        check_number(owner, s, "pow_up_down")
        for name in ("pow_gamma_dtod", "pow_up_down_dtod"):
            check_number(owner, s, name, low=0.0)

    def sample_state(self, draws: Draws) -> None:
        s = self.s
        gain = 1 + s.pow_gamma_dtod * draws.normal() if s.pow_gamma_dtod > 0 \
            else draws.full(1.0)
        rho = s.pow_up_down_dtod * draws.normal() if s.pow_up_down_dtod > 0 \
            else draws.full(0.0)
        self.gamma_up = (min(s.pow_up_down, 0.0) + gain + rho) * s.pow_gamma
        self.gamma_down = (-max(s.pow_up_down, 0.0) + gain - rho) * s.pow_gamma
        if s.enforce_consistency:
            self.gamma_up, self.gamma_down = self.gamma_up.abs(), self.gamma_down.abs()

    def model_params(self) -> PowStepParams:
        span = self.max_bound - self.min_bound
        live = span != 0
        inv_span = torch.where(live, 1 / torch.where(live, span, torch.ones_like(span)),
                               torch.zeros_like(span))
        # branch-free direction selection: x(sign) = x_mid + sign x_half
        return PowStepParams(self.min_bound, self.max_bound,
                             size_mid=(self.dwmin_up + self.dwmin_down) / 2,
                             size_half=(self.dwmin_up - self.dwmin_down) / 2,
                             gamma_mid=(self.gamma_up + self.gamma_down) / 2,
                             gamma_half=(self.gamma_up - self.gamma_down) / 2,
                             center=(self.max_bound + self.min_bound) / 2, half_span=span / 2,
                             inv_span=inv_span, live=live.to(span.dtype))

    def step_terms(self, w: Tensor, sign: Tensor, p: PowStepParams
                   ) -> Tuple[Tensor, Tensor, Tensor]:
        inv_span = p.inv_span
        # (b+ - w) / R for up pulses, (w - b-) / R for down pulses
        base = torch.addcmul(p.half_span, sign, p.center - w).mul_(inv_span).clamp_(min=0)
        gamma = torch.addcmul(p.gamma_mid, sign, p.gamma_half)
        size = torch.addcmul(p.size_mid, sign, p.size_half)
        power = base.pow(gamma)
        step = sign * size * power
        # d step / dw = -size gamma base^(gamma - 1) / R in both directions (taken as 0 at
        # base = 0); below -1 (a pulse overshooting its fixed point) it is clamped
        slope = (-size * gamma * inv_span) * power / base.clamp(min=1e-30)
        return step, slope.clamp_(min=-1.0), self.c2c_std * step.abs()

    def pulse(self, w: Tensor, sign: Tensor, noise: Optional[Tensor], p: PowStepParams
              ) -> Tensor:
        step = self.step_terms(w, sign, p)[0]
        if noise is not None:
            step = step * (1 + self.c2c_std * noise)
        return self.clip_state(w + step, p)

    def clip_state(self, w: Tensor, p: PowStepParams) -> Tensor:
        # crosspoints without range never change, not even by a clip
        return torch.where(p.live > 0, super().clip_state(w, p), w)

    def curvature(self) -> float:
        s = self.s
        span = s.w_max - s.w_min
        return 4 * max(abs(s.pow_gamma), 1.0) / span if span > 0 else 0.0

    def granularity(self) -> float:
        return self.dw_min_estimate * 0.5 ** self.s.pow_gamma


@register(PowStepReferenceDevice)
class PowStepReferenceEngine(PowStepEngine):
    """PowStep acting on ``g = w + reference`` (no write noise)."""

    brief_name = "PowStepReference"
    extra_names = ("gamma_up", "gamma_down", "reference")
    has_write_noise = False
    uses_reference = True

    def validate(self, owner: str, s: Any) -> None:
        super().validate(owner, s)
        check_flags(owner, s, ("subtract_symmetry_point",))
        check_number(owner, s, "reference_mean")
        check_number(owner, s, "reference_std", low=0.0)
        steps = s.n_estimation_steps
        check_field(owner, "n_estimation_steps", steps,
                    isinstance(steps, int) and not isinstance(steps, bool),
                    "an integer (<= 0: automatic)")

    def sample_state(self, draws: Draws) -> None:
        super().sample_state(draws)
        s = self.s
        self.reference = s.reference_mean + s.reference_std * draws.normal() \
            if s.reference_std > 0 else draws.full(s.reference_mean)
        if s.subtract_symmetry_point:
            point = self._symmetry_point()
            self.reference = self.reference + point
            self.reset_bias = self.reset_bias + point

    def _symmetry_point(self) -> Tensor:
        """Alternate one down and one up pulse (noise-free) from 0, ``N`` times per
        crosspoint (spec 10 §4.10); 0 where the bounds do not straddle 0."""
        b_up, b_down = self.max_bound, self.min_bound
        span = b_up - b_down
        straddle = (b_up > 0) & (b_down < 0)
        safe_span = torch.where(straddle, span, torch.ones_like(span))
        if self.s.n_estimation_steps > 0:
            steps = torch.full_like(span, float(self.s.n_estimation_steps))
        else:
            smallest = torch.minimum(self.dwmin_up, self.dwmin_down)
            ratio = torch.where(smallest > 0, 10 * span / torch.where(
                smallest > 0, smallest, torch.ones_like(smallest)),
                torch.full_like(span, float(MAX_ESTIMATION_STEPS)))
            steps = torch.round(ratio).clamp(max=MAX_ESTIMATION_STEPS)
        steps = torch.where(straddle, steps, torch.zeros_like(steps))
        point = torch.zeros_like(span)
        for index in range(int(steps.max()) if steps.numel() else 0):
            down = self.dwmin_down * ((point - b_down) / safe_span).clamp(min=0) \
                .pow(self.gamma_down)
            up = self.dwmin_up * ((b_up - point) / safe_span).clamp(min=0).pow(self.gamma_up)
            moved = torch.where(steps > index, point - down + up, point)
            if bool((moved == point).all()):
                break
            point = moved
        return point
