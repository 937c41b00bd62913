"""Tiki-Taka (``TransferCompound``): SGD onto a fast device, periodic transfer onward.

Per update cycle (one input vector, spec 20 §5.4): the gradient is pulsed onto child 0
only (learning rate ``fast_lr``, compound granularity); then the cycle counter advances and
for every source ``k`` whose period divides it, ``n_reads_per_transfer`` columns (or rows)
of child ``k`` are read through the transfer periphery and written onto child ``k + 1``
with ``transfer_update``: in expectation ``W_{k+1}[:, i] += tau * W_k[:, i]``. Finally the
visible weight is the reduce ``sum_k gamma_k W_k`` (or the last child's matrix when fully
hidden).

Cycles between two transfer events are handed to child 0 as one batch, which is exact:
the transfer reads only happen at the cycle boundaries where they are scheduled.
"""

import math
from typing import Any, Dict, List, Optional, Tuple

import torch

from aihwkit.exceptions import ConfigError, check_field, check_non_negative
from aihwkit.simulator.configs.compounds import TransferCompound
from aihwkit.simulator.rpu_base.compounds._common import (
    CompoundEngine, LineReader, build_children, check_pulsed_children, check_vector_length,
    require_devices)
from aihwkit.simulator.rpu_base.compounds._shared import line_update
from aihwkit.simulator.rpu_base.devices._pulsed import check_update_inputs, check_update_shapes
from aihwkit.simulator.rpu_base.registry import register
from aihwkit.simulator.rpu_base.rng import TileRNG


def round_half_away(value: float) -> int:
    """Round half away from zero (C ``round``)."""
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


@register(TransferCompound)
class TransferEngine(CompoundEngine):
    """Engine of :class:`TransferCompound` (Tiki-Taka v1), base of the buffered,
    chopped and dynamic variants.

    State: the children, the cycle counter ``cycle`` and one slice pointer per source.
    """

    name_prefix = "Transfer"
    min_devices = 2
    max_devices: Optional[int] = None

    def __init__(self, config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        super().__init__(config, d_size, x_size, device=device, dtype=dtype, rng=rng)
        devices = config.unit_cell_devices
        require_devices(self.owner, devices, self.min_devices, self.max_devices)
        check_pulsed_children(self.owner, "unit_cell_devices", devices[:2])
        self.n_devices = len(devices)
        # every slow child is built from the second entry (further entries are ignored)
        configs = [devices[0]] + [devices[1]] * (self.n_devices - 1)
        self.children = build_children(configs, d_size, x_size, device=self.device,
                                       dtype=dtype, rng=rng,
                                       construction_seed=config.construction_seed)
        self.columns = bool(config.transfer_columns)
        self.in_size, self.out_size = (x_size, d_size) if self.columns else (d_size, x_size)
        self._validate_numbers(config)
        self.gamma, self.fully_hidden = self._gammas(config)
        self.transfer_lrs = self._transfer_lrs(config)
        self.n_reads = min(int(config.n_reads_per_transfer), self.in_size)
        self.transfer_every = self._periods(config)
        self.reader = LineReader(config.transfer_forward, d_size, x_size,
                                 columns=self.columns, device=self.device, dtype=dtype, rng=rng)
        self.cycle = 0
        self.slice_pointers = [0] * self.n_devices
        self.init_state(config)
        self.reduce()

    # ---------------------------------------------------------------- construction
    def init_state(self, config: Any) -> None:
        """Validate variant-specific fields and create their state (before the first
        reduce)."""

    def _validate_numbers(self, config: Any) -> None:
        owner = self.owner
        check_non_negative(owner, config, ("fast_lr", "with_reset_prob"))
        check_field(owner, "with_reset_prob", config.with_reset_prob,
                    config.with_reset_prob <= 1.0, "a probability in [0, 1]")
        check_field(owner, "n_reads_per_transfer", config.n_reads_per_transfer,
                    int(config.n_reads_per_transfer) >= 1, "an integer >= 1")
        check_field(owner, "with_reset_prob", config.with_reset_prob,
                    self.columns or config.with_reset_prob == 0.0,
                    "0 when transfer_columns is False (only column reads can reset)")

    def _gammas(self, config: Any) -> Tuple[List[float], bool]:
        n = self.n_devices
        check_vector_length(self.owner, "gamma_vec", config.gamma_vec, n)
        if config.gamma_vec:
            gammas = [float(g) for g in config.gamma_vec]
            check_field(self.owner, "gamma_vec", gammas, gammas[-1] != 0.0,
                        "a list whose last entry is non-zero (the last device must "
                        "contribute to the weight)")
            gamma = sum(gammas[:-1])
        else:
            gamma = float(config.gamma)
            check_field(self.owner, "gamma", gamma, math.isfinite(gamma), "a finite number")
            gammas = [gamma ** (n - 1 - k) for k in range(n)]  # 0 ** 0 == 1
        return gammas, gamma == 0.0 and gammas[-1] == 1.0

    def _transfer_lrs(self, config: Any) -> List[float]:
        check_vector_length(self.owner, "transfer_lr_vec", config.transfer_lr_vec,
                            self.n_devices)
        if config.transfer_lr_vec:
            return [float(v) for v in config.transfer_lr_vec]
        return [float(config.transfer_lr)] * self.n_devices

    def _periods(self, config: Any) -> List[float]:
        n = self.n_devices
        check_vector_length(self.owner, "transfer_every_vec", config.transfer_every_vec, n)
        if config.transfer_every_vec:
            return [float(v) for v in config.transfer_every_vec]
        periods = [float(config.transfer_every)]
        for _ in range(1, n):
            periods.append(periods[-1] * self.out_size / self.n_reads)
        if config.no_self_transfer:
            periods[-1] = 0.0
        return periods

    # ---------------------------------------------------------------- info
    @property
    def brief_name(self) -> str:  # type: ignore[override]
        return (f"{self.name_prefix}({self.n_devices}): {self.children[0].brief_name} -> "
                f"{self.children[1].brief_name}")

    def extra_state(self) -> Dict[str, Any]:
        return {"current_slice_indices": list(self.slice_pointers),
                "current_update_idx": self.cycle}

    # ---------------------------------------------------------------- weights
    def get_weights(self) -> torch.Tensor:
        if self.fully_hidden:
            return self.children[-1].get_weights()
        return self.weights

    def reduce(self) -> None:
        if not self.fully_hidden:
            super().reduce()

    def set_weights(self, weights: torch.Tensor) -> None:
        weights = weights.to(device=self.device, dtype=self.dtype)
        self.cycle = 0
        self.slice_pointers = [0] * self.n_devices
        zeros = torch.zeros_like(weights)
        for child in self.children[:-1]:
            child.set_weights(zeros)
        self.children[-1].set_weights(weights / self.gamma[-1])
        self.reduce()

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        self.children[0].reset_columns(start_column_idx, num_columns, reset_prob)
        self.reduce()

    # ---------------------------------------------------------------- update
    def fast_lr(self, lr: float) -> float:
        """Learning rate of the SGD pulses onto child 0 (1.1.0: ``fast_lr`` absolute)."""
        fast = float(self.config.fast_lr)
        if getattr(self.config, "scale_fast_lr", False):
            return fast * lr
        return fast if fast > 0 else lr

    def transfer_period(self, k: int, m_batch: int) -> int:
        """Period ``P_k`` of the transfer from child ``k`` in update cycles (0: never)."""
        period = self.transfer_every[k]
        if period < 0:  # automatic: a sweep per |period| times the number of states
            n_states = self._n_states(self.children[k])
            return max(1, round_half_away(n_states / self.in_size * abs(period)))
        if self.config.units_in_mbatch:
            return max(0, int(math.ceil(period * m_batch)))
        return max(0, round_half_away(period))

    def _n_states(self, child: Any) -> float:
        cfg = getattr(child, "s", child.config)
        if getattr(cfg, "w_max", None) is None or getattr(cfg, "w_min", None) is None:
            raise ConfigError(f"{self.owner}.transfer_every < 0 (automatic period) needs "
                              "devices with w_max/w_min: use transfer_every >= 0")
        return (cfg.w_max - cfg.w_min) / child.granularity()

    def max_segment(self) -> int:
        """Longest run of cycles that may be pulsed as one batch (no per-cycle state)."""
        return 1 << 30

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_shapes(x, d, self.d_size, self.x_size)
        batch = x.shape[0]
        periods = [self.transfer_period(k, batch) for k in range(self.n_devices)]
        if lr == 0.0 or type(self).sgd is not TransferEngine.sgd \
                or self._segment_length(batch, periods) < batch:
            # a single run of cycles reaches child 0 before any state changes, and child 0
            # checks its inputs itself; otherwise check here, before the first run
            check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0.0:
            return
        g_c = granularity if granularity is not None else self.granularity()
        start = 0
        while start < batch:
            steps = self._segment_length(batch - start, periods)
            self.sgd(x[start:start + steps], d[start:start + steps], lr, up, g_c)
            self.cycle += steps
            start += steps
            for k, period in enumerate(periods):
                if period > 0 and self.cycle % period == 0:
                    self.transfer(k, min(k + 1, self.n_devices - 1), lr)
        self.reduce()

    def _segment_length(self, remaining: int, periods: List[int]) -> int:
        """Cycles until the next scheduled transfer (at most ``remaining``)."""
        steps = min(remaining, self.max_segment())
        for period in periods:
            if period > 0:
                steps = min(steps, period - self.cycle % period)
        return steps

    def sgd(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any, g_c: float) -> None:
        """Gradient pulses of a run of cycles onto child 0."""
        self.children[0].update(x, d, self.fast_lr(lr), up, granularity=g_c)

    # ---------------------------------------------------------------- transfer
    def transfer_lr(self, k: int, k_to: int, lr: float) -> float:
        """Transfer learning rate ``tau`` of the transfer ``k -> k_to``."""
        return self.transfer_lrs[k] * (lr if self.config.scale_transfer_lr else 1.0)

    def next_indices(self, k: int) -> List[torch.Tensor]:
        """Lines read by the next transfer from child ``k`` as contiguous runs; advances
        the slice pointer."""
        if self.config.random_selection:
            draw = float(self.rng.uniform((1,), torch.float64).item())
            start = min(int(draw * self.in_size), self.in_size - 1)
        else:
            start = self.slice_pointers[k]
        count = self.n_reads
        self.slice_pointers[k] = (start + count) % self.in_size
        first = min(count, self.in_size - start)
        runs = [torch.arange(start, start + first, device=self.device)]
        if count > first:
            runs.append(torch.arange(0, count - first, device=self.device))
        return runs

    def transfer(self, k: int, k_to: int, lr: float) -> None:
        """Read ``n_reads`` lines of child ``k`` and write them onto child ``k_to``."""
        runs = self.next_indices(k)
        tau = self.transfer_lr(k, k_to, lr)
        if tau == 0.0 or k == k_to:
            return
        source, target = self.children[k], self.children[k_to]
        for indices in runs:
            values = -self.reader.read(source.get_weights(), indices)
            reset_prob = self.config.with_reset_prob
            if reset_prob > 0.0:
                draws = self.rng.uniform((indices.numel(),), torch.float64)
                if bool((draws < reset_prob).any()):
                    source.reset_columns(int(indices[0]), indices.numel(), 1.0)
            self.write(target, indices, values, tau, self.config.transfer_update)

    def write(self, target: Any, indices: torch.Tensor, values: torch.Tensor, lr: float,
              up: Any) -> None:
        """Pulse ``W[:, i] -= lr * values`` (rows: ``W[i, :]``) onto ``target`` for each
        line ``i`` of ``indices`` (``values``: ``[m, out]``), with the target's own
        granularity."""
        line_update(target, indices, values, lr, up, target.granularity(), self.columns)
