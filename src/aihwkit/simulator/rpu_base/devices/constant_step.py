"""ConstantStep device (spec 10 §4.3): ``w += D+ (1 + s xi)`` up, ``w -= D- (1 + s xi)``
down, clipped to ``[b-, b+]`` after every pulse."""

from typing import Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.kernels.params import ConstantStepParams
from aihwkit.simulator.rpu_base.registry import register


@register(ConstantStepDevice)
class ConstantStepEngine(PulsedDeviceEngine[ConstantStepParams]):
    """Weight-independent steps: the batch-aggregated kernel applies."""

    brief_name = "ConstantStep"
    batch_additive = True

    def model_params(self) -> ConstantStepParams:
        # signed step of n pulses: n * mid + |n| * half (no branch on the direction)
        var_up = self.c2c_std ** 2 * self.dwmin_up.square()
        var_down = self.c2c_std ** 2 * self.dwmin_down.square()
        return ConstantStepParams(
            self.min_bound, self.max_bound, step_up=self.dwmin_up, step_down=-self.dwmin_down,
            mid=(self.dwmin_up + self.dwmin_down) / 2,
            half=(self.dwmin_up - self.dwmin_down) / 2,
            var_mid=(var_up + var_down) / 2, var_half=(var_up - var_down) / 2)

    def pulse(self, w: Tensor, sign: Tensor, noise: Optional[Tensor], p: ConstantStepParams
              ) -> Tensor:
        step = torch.addcmul(p.half, sign, p.mid)
        if noise is not None:
            step = step * (1 + self.c2c_std * noise)
        return self.clip_state(w + step, p)

    def affine_coefficients(self, p: ConstantStepParams
                            ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        # the steps exactly as pulse() forms them: half + sign * mid
        zero = torch.zeros_like(p.mid)
        return zero, p.half + p.mid, zero, p.half - p.mid

    def step_terms(self, w: Tensor, sign: Tensor, p: ConstantStepParams
                   ) -> Tuple[Tensor, Tensor, Tensor]:
        step = torch.addcmul(p.half, sign, p.mid).expand_as(w)
        return step, torch.zeros_like(step), self.c2c_std * step.abs()

    def moments(self, mean: Tensor, var: Tensor, n: Tensor, p: ConstantStepParams,
                bound: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        k = n.abs()
        new_mean = torch.addcmul(torch.addcmul(mean, n, p.mid), k, p.half)
        if self.c2c_std == 0:
            return new_mean, var
        return new_mean, torch.addcmul(torch.addcmul(var, k, p.var_mid), n, p.var_half)
