"""``BufferedTransferCompound``: transfer through a digital buffer (TTv2-style, spec 20 §6).

Scheduling, reads and the SGD onto child 0 are those of Tiki-Taka. A transfer from child
``k`` adds ``|tau| * read`` to a floating point buffer ``H_k``; where the buffer reaches
``theta = thres_scale * g(child k+1)`` the integer part ``n = trunc(H / theta)`` (at most
``transfer_update.desired_bl`` in magnitude) is written onto child ``k + 1`` as ``n``
steps of ``step * g(child k+1)``, and the buffer keeps ``momentum`` times its value
(``forget_buffer``) or loses the written amount.
"""

from copy import deepcopy
from typing import Any, Dict, List

import torch

from aihwkit.exceptions import check_field
from aihwkit.simulator.configs.compounds import BufferedTransferCompound
from aihwkit.simulator.rpu_base.compounds.transfer import TransferEngine
from aihwkit.simulator.rpu_base.registry import register


def buffer_step(omega: torch.Tensor, max_steps: int, momentum: float,
                forget: bool) -> torch.Tensor:
    """Thresholded write of a buffer in units of the threshold (in place on ``omega``).

    Args:
        omega: buffer values plus the new contribution, in units of the threshold.
        max_steps: largest number of steps written per element.
        momentum: fraction kept after a write (``forget``) or the kept share of the
            written amount (subtract mode, clipped to ``[0, 1]``).
        forget: reset-to-momentum (True) or subtract (False) mode.

    Returns:
        The integer step counts ``n`` (as floats, same shape); ``omega`` holds the new
        buffer values afterwards.
    """
    steps = torch.trunc(omega).clamp_(-max_steps, max_steps)
    written = steps != 0
    if forget:
        omega.copy_(torch.where(written, omega * momentum, omega))
    else:
        keep = min(max(momentum, 0.0), 1.0)
        omega.sub_(steps * (1.0 - keep))
    return steps


@register(BufferedTransferCompound)
class BufferedTransferEngine(TransferEngine):
    """Engine of :class:`BufferedTransferCompound`; buffers ``H_k`` (``k < n - 1``) are
    the hidden parameters ``buffered_FP_weight_k`` and survive ``set_weights``."""

    name_prefix = "BufferedTransfer"

    def init_state(self, config: Any) -> None:
        check_field(self.owner, "with_reset_prob", config.with_reset_prob,
                    config.with_reset_prob == 0.0,
                    "0.0 (buffered transfers do not reset the read lines)")
        check_field(self.owner, "thres_scale", config.thres_scale, config.thres_scale > 0,
                    "a number > 0")
        check_field(self.owner, "step", config.step, config.step > 0, "a number > 0")
        check_field(self.owner, "transfer_update.desired_bl",
                    config.transfer_update.desired_bl,
                    int(config.transfer_update.desired_bl) >= 1, "an integer >= 1")
        # the writes always use the full (fixed) train length
        self.write_update = deepcopy(config.transfer_update)
        self.write_update.fixed_bl = True
        self.buffers = [torch.zeros(self.d_size, self.x_size, device=self.device,
                                    dtype=self.dtype) for _ in range(self.n_devices - 1)]

    # ---------------------------------------------------------------- hidden parameters
    def _extra_hidden_names(self) -> List[str]:
        return [f"buffered_FP_weight_{k}" for k in range(self.n_devices - 1)]

    def _get_extra_hidden(self) -> List[torch.Tensor]:
        return list(self.buffers)

    def _set_extra_hidden(self, values: Dict[str, torch.Tensor]) -> None:
        self.buffers = [values[name].clone() for name in self._extra_hidden_names()]

    # ---------------------------------------------------------------- transfer
    def transfer_lr(self, k: int, k_to: int, lr: float) -> float:
        tau = super().transfer_lr(k, k_to, lr)
        if self.gamma[k] > 0 and self.gamma[k_to] > 0:
            tau *= self.gamma[k] / self.gamma[k_to]
        return tau

    def transfer(self, k: int, k_to: int, lr: float) -> None:
        runs = self.next_indices(k)
        tau = self.transfer_lr(k, k_to, lr)
        if tau == 0.0 or k == k_to or k >= self.n_devices - 1:
            return
        source, target = self.children[k], self.children[k_to]
        g_to = target.granularity()
        threshold = self.config.thres_scale * g_to
        max_steps = int(self.config.transfer_update.desired_bl)
        buffer = self.buffers[k]
        for indices in runs:
            values = self.reader.read(source.get_weights(), indices)  # [m, out]
            lines = buffer[:, indices].t() if self.columns else buffer[indices, :]
            # the buffer holds weight units: both terms are scaled to threshold units
            omega = (lines + values * abs(tau)) / threshold
            steps = buffer_step(omega, max_steps, self.config.momentum,
                                self.config.forget_buffer)
            if self.columns:
                buffer[:, indices] = (omega * threshold).t()
            else:
                buffer[indices, :] = omega * threshold
            if bool((steps != 0).any()):
                self.write(target, indices, -steps, self.config.step * g_to,
                           self.write_update)
