"""PiecewiseStep device (spec 10 §4.11): step size interpolated between nodes.

``N = len(piecewise_up) - 1`` segments span ``[b-, b+]``; with
``s = max((w - b-) / (b+ - b-) N, 0)``, ``k = min(floor(s), N - 1)``, ``t = min(s - k, 1)``
an up pulse adds ``D+ ((1 - t) up[k] + t up[k + 1]) (1 + s xi)`` and a down pulse
subtracts ``D- ((1 - t) down[k] + t down[k + 1]) (1 + s xi)``; then clip. With one node
(or ``b+ <= b-``) the factor is ``up[0]`` / ``down[0]``.
"""

from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import check_field
from aihwkit.simulator.configs.devices import PiecewiseStepDevice
from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.devices._settings import is_number
from aihwkit.simulator.rpu_base.kernels.params import PiecewiseStepParams
from aihwkit.simulator.rpu_base.registry import register


@register(PiecewiseStepDevice)
class PiecewiseStepEngine(PulsedDeviceEngine[PiecewiseStepParams]):
    """Piecewise-linear step-size profile; second-order moment map."""

    brief_name = "PiecewiseStep"
    has_write_noise = True

    def validate(self, owner: str, s: Any) -> None:
        for name in ("piecewise_up", "piecewise_down"):
            nodes = getattr(s, name)
            check_field(owner, name, nodes, isinstance(nodes, (list, tuple)) and len(nodes) >= 1
                        and all(is_number(v) for v in nodes),
                        "a non-empty list of finite numbers")
        check_field(owner, "piecewise_down", s.piecewise_down,
                    len(s.piecewise_down) == len(s.piecewise_up),
                    f"a list of the same length as piecewise_up ({len(s.piecewise_up)})")

    @property
    def segments(self) -> int:
        """Number of segments ``N`` between the bounds."""
        return len(self.s.piecewise_up) - 1

    def model_params(self) -> PiecewiseStepParams:
        span = self.max_bound - self.min_bound
        live = span > 0
        inv_span = torch.where(live, 1 / torch.where(live, span, torch.ones_like(span)),
                               torch.zeros_like(span))
        return PiecewiseStepParams(self.min_bound, self.max_bound, step_up=self.dwmin_up,
                                   step_down=-self.dwmin_down,
                                   size_mid=(self.dwmin_up - self.dwmin_down) / 2,
                                   size_half=(self.dwmin_up + self.dwmin_down) / 2,
                                   inv_span=inv_span * self.segments)

    def _nodes(self, like: Tensor) -> Tuple[Tensor, Tensor]:
        """Node values ``mid`` and ``half`` with ``node(sign) = mid + sign half``."""
        up = torch.tensor(self.s.piecewise_up, dtype=like.dtype, device=like.device)
        down = torch.tensor(self.s.piecewise_down, dtype=like.dtype, device=like.device)
        return (up + down) / 2, (up - down) / 2

    def step_terms(self, w: Tensor, sign: Tensor, p: PiecewiseStepParams
                   ) -> Tuple[Tensor, Tensor, Tensor]:
        mid, half = self._nodes(w)
        size = torch.addcmul(p.size_mid, sign, p.size_half)                # D+ or -D-
        if self.segments == 0:
            step = size * torch.addcmul(mid[0], sign, half[0])
            return step, torch.zeros_like(step), self.c2c_std * step.abs()
        scaled = p.inv_span
        position = ((w - p.lo) * scaled).clamp(min=0)
        index = position.floor().clamp(max=self.segments - 1)
        frac = (position - index).clamp(max=1)
        index = index.long()
        left = torch.addcmul(mid[index], sign, half[index])
        right = torch.addcmul(mid[index + 1], sign, half[index + 1])
        # crosspoints without range (scaled = 0) sit at position 0: the first node
        factor = torch.addcmul(left, frac, right - left)
        step = size * factor
        inside = ((frac < 1) & (position > 0)).to(w.dtype)
        slope = size * (right - left) * scaled * inside
        return step, slope, self.c2c_std * step.abs()

    def pulse(self, w: Tensor, sign: Tensor, noise: Optional[Tensor], p: PiecewiseStepParams
              ) -> Tensor:
        step = self.step_terms(w, sign, p)[0]
        if noise is not None:
            step = step * (1 + self.c2c_std * noise)
        return self.clip_state(w + step, p)

    def max_steps(self, p: PiecewiseStepParams) -> Tuple[Tensor, Tensor, Tensor]:
        # the profile need not be monotone: the largest node bounds every step
        up = p.step_up.abs() * max(abs(v) for v in self.s.piecewise_up)
        down = p.step_down.abs() * max(abs(v) for v in self.s.piecewise_down)
        return up, down, self.c2c_std * torch.maximum(up, down)

    def curvature(self) -> float:
        s = self.s
        span = s.w_max - s.w_min
        nodes = list(s.piecewise_up) + list(s.piecewise_down)
        spread = max(abs(v) for v in nodes) / max(min(abs(v) for v in nodes), 1e-3)
        return self.segments * spread / span if span > 0 else 0.0

    def granularity(self) -> float:
        nodes = self.s.piecewise_up
        return self.dw_min_estimate * float(nodes[len(nodes) // 2])
