"""``DynamicTransferCompound`` (TTv4 / AGAD), spec 20 §8.

As the chopped transfer, but the buffer accumulates the difference between each read and
a reference: the running mean ``M`` of the reads of the previous chopper phase, taken over
as past mean ``Q`` on the first read after a switch. The input chopper switches regularly
every ``K = max(ceil(1 / in_chop_prob), 2)`` sweeps (plus random switches with
``in_chop_random``); output choppers never switch. Writes onto C start after ``K + 1``
sweeps.
"""

from typing import Any, Dict, List

import torch

from aihwkit.exceptions import check_field, check_non_negative
from aihwkit.simulator.configs.compounds import DynamicTransferCompound
from aihwkit.simulator.rpu_base.compounds.chopped import ChoppedTransferEngine
from aihwkit.simulator.rpu_base.registry import register


@register(DynamicTransferCompound)
class DynamicTransferEngine(ChoppedTransferEngine):
    """Engine of :class:`DynamicTransferCompound`; extra state: running mean ``M``, past
    mean ``Q`` (``[d, x]``) and per-line "switched" flags."""

    name_prefix = "DynamicTransfer"

    def init_state(self, config: Any) -> None:
        super().init_state(config)
        owner = self.owner
        check_field(owner, "in_chop_prob", config.in_chop_prob, config.in_chop_prob > 0,
                    "a number in (0, 1] (it sets the chopper period)")
        check_field(owner, "out_chop_prob", config.out_chop_prob, config.out_chop_prob == 0,
                    "0.0 (output choppers do not switch in this compound)")
        check_non_negative(owner, config, ("buffer_cap", "tail_weightening"))
        self.running_mean = torch.zeros(self.d_size, self.x_size, device=self.device,
                                        dtype=self.dtype)
        self.past_mean = torch.zeros_like(self.running_mean)
        self.switched = torch.zeros(self.in_size, dtype=torch.bool, device=self.device)

    def _extra_hidden_names(self) -> List[str]:
        return ["buffered_FP_weight", "running_mean_weight", "past_mean_weight"]

    def _get_extra_hidden(self) -> List[torch.Tensor]:
        return [self.buffer, self.running_mean, self.past_mean]

    def _set_extra_hidden(self, values: Dict[str, torch.Tensor]) -> None:
        self.buffer = values["buffered_FP_weight"].clone()
        self.running_mean = values["running_mean_weight"].clone()
        self.past_mean = values["past_mean_weight"].clone()

    def extra_state(self) -> Dict[str, Any]:
        state = super().extra_state()
        state["switched"] = self.switched.tolist()
        return state

    def transfer(self, k: int, k_to: int, lr: float) -> None:
        if k != 0:
            return
        j = self.slice_pointers[0]
        self.slice_pointers[0] = (j + 1) % self.in_size
        indices = torch.tensor([j], device=self.device)
        values = self.reader.read(self.children[0].get_weights(), indices)[0]
        period = self.chopper_period()
        phase = self.sweep % period + 1
        beta = min(self.config.tail_weightening / period, 1.0)
        kappa = self.kappa(lr)
        if self.config.experimental_correct_accumulation:
            kappa /= min(phase, 1.0 / self.children[0].granularity())

        switched = bool(self.switched[j])
        self.switched[j] = False
        past = self.line(self.past_mean, j)
        running = self.line(self.running_mean, j)
        if switched:
            past.copy_(running)
        delta = values - past
        delta = torch.where(self.out_chopper != self.in_chopper[j], -delta, delta)
        buffer_line = self.line(self.buffer, j)
        omega = (0.0 if self.config.no_buffer else buffer_line) + delta * kappa
        max_steps = int(self.config.transfer_update.desired_bl)
        forget = self.config.forget_buffer
        steps = self._steps(omega, max_steps, forget)
        buffer_line.copy_(omega)
        running.mul_(1.0 - beta).add_(values, alpha=beta)

        if bool((steps != 0).any()) and self.sweep > period:
            self.write_steps(j, indices, steps)

        flip = phase == period
        if self.config.in_chop_random:
            draw = float(self.rng.uniform((1,), torch.float64).item())
            flip = flip or draw < self.config.in_chop_prob
        if flip:
            self.in_chopper[j] = ~self.in_chopper[j]
            self.switched[j] = True
        if j == self.in_size - 1:
            self.sweep += 1

    def _steps(self, omega: torch.Tensor, max_steps: int, forget: bool) -> torch.Tensor:
        """Thresholded write (in place on ``omega``) with the optional buffer cap."""
        steps = torch.trunc(omega).clamp_(-max_steps, max_steps)
        written = steps != 0
        momentum = self.config.momentum
        if forget:
            omega.copy_(torch.where(written, omega * momentum, omega))
        else:
            omega.sub_(steps * (1.0 - momentum))
            cap = self.config.buffer_cap
            if cap > 0:
                capped = omega.clamp(-max_steps * cap, max_steps * cap)
                omega.copy_(torch.where(written, capped, omega))
        return steps
