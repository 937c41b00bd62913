"""ExpStep device (spec 10 §4.8): step sizes depending exponentially on the weight.

With ``z = 2 a w / (b+ - b-) + b``: up pulse ``w += max(1 - A_up e^(gamma_up z), 0) D+
(1 + s xi)``, down pulse ``w -= max(1 - A_down e^(-gamma_down z), 0) D- (1 + s xi)``;
with ``dw_min_std_add`` or ``dw_min_std_slope`` the noise of a step ``d`` is
``s (|d| + dw_min_std_add + dw_min_std_slope |w|) xi``. Crosspoints with
``b+ - b- <= 0`` never change.
"""

import math
from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.configs.devices import ExpStepDevice
from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.devices._settings import check_number
from aihwkit.simulator.rpu_base.kernels.params import ExpStepParams
from aihwkit.simulator.rpu_base.registry import register


@register(ExpStepDevice)
class ExpStepEngine(PulsedDeviceEngine[ExpStepParams]):
    """Weight-dependent (exponential) steps; second-order moment map."""

    brief_name = "ExpStep"
    has_write_noise = True

    def validate(self, owner: str, s: Any) -> None:
        for name in ("A_up", "A_down", "gamma_up", "gamma_down", "a", "b"):
            check_number(owner, s, name)
        for name in ("dw_min_std_add", "dw_min_std_slope"):
            check_number(owner, s, name, low=0.0)

    @property
    def complex_noise(self) -> bool:
        """Whether the noise has the additive and weight-proportional terms."""
        s = self.s
        return s.dw_min_std > 0 and (s.dw_min_std_add != 0 or s.dw_min_std_slope != 0)

    def model_params(self) -> ExpStepParams:
        span = self.max_bound - self.min_bound
        live = span > 0
        scale = torch.where(live, 2 * self.s.a / torch.where(live, span, torch.ones_like(span)),
                            torch.zeros_like(span))
        up = torch.where(live, self.dwmin_up, torch.zeros_like(span))
        down = torch.where(live, self.dwmin_down, torch.zeros_like(span))
        # signed step size D(sign) = step_mid + sign step_half (up: D+, down: -D-)
        return ExpStepParams(self.min_bound, self.max_bound, step_mid=(up - down) / 2,
                             step_half=(up + down) / 2, z_scale=scale,
                             live=live.to(span.dtype))

    def step_terms(self, w: Tensor, sign: Tensor, p: ExpStepParams
                   ) -> Tuple[Tensor, Tensor, Tensor]:
        s = self.s
        # up: A_up exp(gamma_up z); down: A_down exp(-gamma_down z)
        amp = sign * ((s.A_up - s.A_down) / 2) + (s.A_up + s.A_down) / 2
        rate = sign * ((s.gamma_up + s.gamma_down) / 2) + (s.gamma_up - s.gamma_down) / 2
        scale = p.z_scale
        growth = amp * torch.exp(rate * (scale * w + s.b))
        factor = 1 - growth
        size = torch.addcmul(p.step_mid, sign, p.step_half)
        step = factor.clamp(min=0) * size
        slope = (factor > 0).to(w.dtype) * growth * rate * scale * size
        slope = -slope
        if self.complex_noise:
            std = s.dw_min_std * (step.abs() + s.dw_min_std_add + s.dw_min_std_slope * w.abs())
            std = std * p.live
        else:
            std = s.dw_min_std * step.abs()
        return step, slope, std

    def pulse(self, w: Tensor, sign: Tensor, noise: Optional[Tensor], p: ExpStepParams
              ) -> Tensor:
        step, _, std = self.step_terms(w, sign, p)
        if noise is None:
            return self.clip_state(w + step, p)
        if self.complex_noise:
            return self.clip_state(w + step + std * noise, p)
        return self.clip_state(w + step * (1 + self.c2c_std * noise), p)

    def clip_state(self, w: Tensor, p: ExpStepParams) -> Tensor:
        # crosspoints without range never change, not even by a clip
        return torch.where(p.live > 0, super().clip_state(w, p), w)

    def curvature(self) -> float:
        # |s'/s| = |gamma 2a / R| g / (1 - g) with g = A e^(+-gamma z), largest at the
        # bound a pulse moves towards (capped where the step vanishes inside the range)
        s = self.s
        span = s.w_max - s.w_min
        if span <= 0:
            return 0.0
        ratios = []
        for amp, rate, w in ((s.A_up, s.gamma_up, s.w_max), (s.A_down, -s.gamma_down, s.w_min)):
            g = abs(amp) * math.exp(min(rate * (2 * s.a * w / span + s.b), 50.0))
            ratios.append(min(g / (1 - g), 1.0) if g < 1 else 1.0)
        return max(abs(s.gamma_up), abs(s.gamma_down)) * abs(2 * s.a) / span * max(ratios)

    def granularity(self) -> float:
        s = self.s
        down = (1 - max(s.up_down, 0.0)) * self.dw_min_estimate
        value = down * max(1 - s.A_down * math.exp(-s.gamma_down * s.b), 0.0)
        return value if value > 0 else self.dw_min_estimate
