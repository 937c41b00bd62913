"""``ChoppedTransferCompound`` (TTv3 / c-TTv2; TTv2 without choppers), spec 20 §7.

Two devices, A (child 0, fast) and C (child 1). The gradient is pulsed onto A with the
signs of an input chopper ``c_in`` and an output chopper ``c_out``; one column (row) ``j``
of A is read per transfer event, de-chopped, scaled by ``kappa`` and accumulated into the
digital buffer ``H``; whole steps ``n = trunc(H)`` (at most ``transfer_update.desired_bl``)
are written onto C as ``C[:, j] += n * step * g(C)``. After the read the input chopper of
line ``j`` may switch (randomly with ``in_chop_prob``, or regularly every
``ceil(1 / in_chop_prob)`` sweeps); after a full sweep the output choppers may switch.
"""

import math
from typing import Any, Dict, List, Optional

import torch

from aihwkit.exceptions import check_field, check_non_negative
from aihwkit.simulator.configs.compounds import ChoppedTransferCompound
from aihwkit.simulator.rpu_base.compounds.buffered import buffer_step
from aihwkit.simulator.rpu_base.compounds.transfer import TransferEngine
from aihwkit.simulator.rpu_base.devices._pulsed import check_update_inputs
from aihwkit.simulator.rpu_base.registry import register


def signs(flags: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Chopper signs ``s(b) = -1 if b else +1``."""
    return 1.0 - 2.0 * flags.to(dtype)


def ema(value: float, sample: float, rate: float) -> float:
    """Running mean used by ``auto_scale``: starts at the first positive sample."""
    if value <= 0.0:
        return sample
    if sample <= 0.0:
        return value
    return (1.0 - rate) * value + rate * sample


@register(ChoppedTransferCompound)
class ChoppedTransferEngine(TransferEngine):
    """Engine of :class:`ChoppedTransferCompound`.

    State: choppers ``in_chopper`` (``[in]``) and ``out_chopper`` (``[out]``) as bools
    (True = sign -1), buffer ``H`` (hidden parameter ``buffered_FP_weight_0``), running
    scales ``m_x``/``m_d``, sweep counter and the last fast learning rate.
    """

    name_prefix = "ChoppedTransfer"
    min_devices = 2
    max_devices: Optional[int] = 2

    def init_state(self, config: Any) -> None:
        self._validate_chopper_fields(config)
        self.in_chopper = torch.zeros(self.in_size, dtype=torch.bool, device=self.device)
        self.out_chopper = torch.zeros(self.out_size, dtype=torch.bool, device=self.device)
        self.buffer = torch.zeros(self.d_size, self.x_size, device=self.device,
                                  dtype=self.dtype)
        self.m_x = 0.0
        self.m_d = 0.0
        self.sweep = 0
        self.count_lr = 0.0
        self.main_desired_bl = 31
        self.m_batch = 1

    def _validate_chopper_fields(self, config: Any) -> None:
        owner = self.owner
        check_field(owner, "n_reads_per_transfer", config.n_reads_per_transfer,
                    config.n_reads_per_transfer == 1, "1 (one line per transfer)")
        check_field(owner, "random_selection", config.random_selection,
                    not config.random_selection, "False (lines are read in turn)")
        check_field(owner, "with_reset_prob", config.with_reset_prob,
                    config.with_reset_prob == 0.0, "0.0")
        check_non_negative(owner, config, ("in_chop_prob", "out_chop_prob",
                                           "buffer_granularity", "auto_granularity",
                                           "momentum"))
        for name in ("in_chop_prob", "out_chop_prob"):
            check_field(owner, name, getattr(config, name), getattr(config, name) <= 1.0,
                        "a probability in [0, 1]")
        check_field(owner, "step", config.step, config.step > 0, "a number > 0")
        check_field(owner, "auto_momentum", config.auto_momentum,
                    0.0 <= config.auto_momentum <= 1.0, "a number in [0, 1]")
        check_field(owner, "transfer_update.desired_bl", config.transfer_update.desired_bl,
                    int(config.transfer_update.desired_bl) >= 1, "an integer >= 1")

    # ---------------------------------------------------------------- info / state
    def extra_state(self) -> Dict[str, Any]:
        state = super().extra_state()
        state.update({"in_chopper": self.in_chopper.tolist(),
                      "out_chopper": self.out_chopper.tolist(),
                      "m_x": self.m_x, "m_d": self.m_d, "d_sparsity": 0.0,
                      "transfer_counter": self.sweep, "tmp_count_lr": self.count_lr})
        return state

    def _extra_hidden_names(self) -> List[str]:
        return ["buffered_FP_weight_0"]

    def _get_extra_hidden(self) -> List[torch.Tensor]:
        return [self.buffer]

    def _set_extra_hidden(self, values: Dict[str, torch.Tensor]) -> None:
        self.buffer = values["buffered_FP_weight_0"].clone()

    # ---------------------------------------------------------------- weights
    def chopper_matrix(self) -> torch.Tensor:
        """``[d, x]`` matrix of the chopper signs of each crosspoint."""
        s_in = signs(self.in_chopper, self.dtype)
        s_out = signs(self.out_chopper, self.dtype)
        if self.columns:
            return s_out[:, None] * s_in[None, :]
        return s_in[:, None] * s_out[None, :]

    def reduce(self) -> None:
        if self.fully_hidden:
            return
        fast = self.children[0].get_weights() * self.chopper_matrix()
        self.weights = fast * self.gamma[0] + self.children[1].get_weights() * self.gamma[1]

    # ---------------------------------------------------------------- SGD
    def max_segment(self) -> int:
        # the running scales change with every cycle
        return 1 if self.config.auto_scale else super().max_segment()

    def fast_lr(self, lr: float) -> float:
        fast = float(self.config.fast_lr)
        if self.config.auto_scale and fast > 0:
            count_lr = fast * float(self.main_desired_bl) * self.children[0].granularity()
            if self.m_x > 0 and self.m_d > 0:
                count_lr /= self.m_x * self.m_d
            if getattr(self.config, "scale_fast_lr", False):
                count_lr *= lr
            return count_lr
        return super().fast_lr(lr)

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0.0:
            return
        if up is not None:
            self.main_desired_bl = int(up.desired_bl)
        self.m_batch = x.shape[0]
        super().update(x, d, lr, up, granularity)

    def sgd(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any, g_c: float) -> None:
        if self.config.auto_scale:  # one cycle per call (max_segment)
            rate = (1.0 - self.config.auto_momentum) / self.m_batch
            self.m_x = ema(self.m_x, float(x.detach().abs().max()), rate)
            self.m_d = ema(self.m_d, float(d.detach().abs().max()), rate)
        self.count_lr = self.fast_lr(lr)
        s_in = signs(self.in_chopper, x.dtype)
        s_out = signs(self.out_chopper, x.dtype)
        if self.columns:
            x_chop, d_chop = x * s_in, d * s_out
        else:
            x_chop, d_chop = x * s_out, d * s_in
        self.children[0].update(x_chop, d_chop, self.count_lr, up, granularity=g_c)

    # ---------------------------------------------------------------- transfer
    def transfer_lr(self, k: int, k_to: int, lr: float) -> float:
        tau = super().transfer_lr(k, k_to, lr)
        if self.gamma[k] > 0 and self.gamma[k_to] > 0:
            tau *= self.gamma[k] / self.gamma[k_to]
        return tau

    def kappa(self, lr: float) -> float:
        """Buffer increment per unit of read weight (spec 20 §7.2)."""
        g_a = self.children[0].granularity()
        g_c = self.children[1].granularity()
        scale = self.config.buffer_granularity if self.config.buffer_granularity > 0 else 1.0
        granularity = scale * g_a
        if self.config.auto_granularity > 0:
            sweep_period = self.in_size * abs(self.transfer_every[0])
            granularity = scale * g_a * self.config.auto_granularity / sweep_period
        tau = abs(self.transfer_lr(0, 1, lr))
        if self.config.correct_gradient_magnitudes:
            granularity *= g_c / g_a
            return tau / self.count_lr / granularity
        return tau / granularity

    def chopper_period(self) -> int:
        """Regular switching period ``K`` in sweeps."""
        return max(int(math.ceil(1.0 / self.config.in_chop_prob)), 2)

    def line(self, tensor: torch.Tensor, j: int) -> torch.Tensor:
        """View of line ``j`` (column, or row in row mode) of a ``[d, x]`` tensor."""
        return tensor[:, j] if self.columns else tensor[j, :]

    def transfer(self, k: int, k_to: int, lr: float) -> None:
        if k != 0:  # only the fast device is transferred from
            return
        j = self.slice_pointers[0]
        self.slice_pointers[0] = (j + 1) % self.in_size
        indices = torch.tensor([j], device=self.device)
        values = self.reader.read(self.children[0].get_weights(), indices)[0]
        steps = self.accumulate(j, values, lr)
        if bool((steps != 0).any()):
            self.write_steps(j, indices, steps)
        self.switch_choppers(j)

    def accumulate(self, j: int, values: torch.Tensor, lr: float) -> torch.Tensor:
        """Add the de-chopped read of line ``j`` to the buffer; the steps to write."""
        flip = self.out_chopper != self.in_chopper[j]
        increment = values * self.kappa(lr)
        increment = torch.where(flip, -increment, increment)
        buffer_line = self.line(self.buffer, j)
        omega = increment if self.config.no_buffer else buffer_line + increment
        steps = buffer_step(omega, int(self.config.transfer_update.desired_bl),
                            self.config.momentum, self.config.forget_buffer)
        buffer_line.copy_(omega)
        return steps

    def write_steps(self, j: int, indices: torch.Tensor, steps: torch.Tensor) -> None:
        """``C[:, j] += steps * step * g(C)`` through ``transfer_update`` pulses."""
        target = self.children[1]
        self.write(target, indices, -steps[None, :], self.config.step * target.granularity(),
                   self.config.transfer_update)

    def switch_choppers(self, j: int) -> None:
        """Input chopper of line ``j`` after its read; output choppers after a sweep."""
        prob = self.config.in_chop_prob
        if prob > 0:
            if self.config.in_chop_random:
                flip = float(self.rng.uniform((1,), torch.float64).item()) < prob
            else:
                period = self.chopper_period()
                flip = (self.sweep % period) + 1 == period
            if flip:
                self.in_chopper[j] = ~self.in_chopper[j]
        if j == self.in_size - 1:
            if self.config.out_chop_prob > 0:
                draws = self.rng.uniform((self.out_size,), torch.float64)
                self.out_chopper ^= (draws < self.config.out_chop_prob).to(self.device)
            self.sweep += 1
