"""``OneSidedUnitCell`` (and ``DifferenceUnitCell``): two devices receiving only up pulses.

Child 1 carries the positive part ``g+`` and child 0 the negative part ``g-`` of the
visible weight ``W = W_1 - W_0`` (spec 20 §4). One set of pulse trains is generated per
update cycle; coincidences that should increase ``W`` become up pulses on child 1, those
that should decrease it up pulses on child 0. Every ``refresh_every`` cycles (times the
mini-batch size with ``units_in_mbatch``) pairs where one side is above
``refresh_upper_thres`` and the other above ``refresh_lower_thres`` (fractions of
``|w_max|``) are read, both reset, and the difference is written back onto the larger side.
"""

import warnings
from copy import deepcopy
from typing import Any, Callable, Dict, Optional

import torch

from aihwkit.exceptions import ConfigError, check_field
from aihwkit.simulator.configs.compounds import OneSidedUnitCell
from aihwkit.simulator.configs.devices import PulsedDevice
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base.compounds._common import (
    CompoundEngine, LineReader, build_children, check_pulsed_children, require_devices)
from aihwkit.simulator.rpu_base.compounds._shared import (
    DOWN_AS_UP, UP_ONLY, apply_count_matrix, line_update, reset_elements, shared_line_counts,
    shared_update)
from aihwkit.simulator.rpu_base.devices._pulsed import check_update_inputs
from aihwkit.simulator.rpu_base.kernels.lines import line_count_bound
from aihwkit.simulator.rpu_base.registry import register
from aihwkit.simulator.rpu_base.rng import TileRNG


@register(OneSidedUnitCell)
class OneSidedUnitCellEngine(CompoundEngine):
    """Engine of :class:`OneSidedUnitCell`.

    State: the two children, the cycle counter and the number of refreshed elements.
    """

    def __init__(self, config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        super().__init__(config, d_size, x_size, device=device, dtype=dtype, rng=rng)
        devices = config.unit_cell_devices
        require_devices(self.owner, devices, 1, 2)
        check_pulsed_children(self.owner, "unit_cell_devices", devices)
        check_field(self.owner, "unit_cell_devices[0]", type(devices[0]).__name__,
                    isinstance(devices[0], PulsedDevice),
                    "a pulsed single device (a PulsedDevice subclass), not a compound")
        if len(devices) == 2 and type(devices[0]) is not type(devices[1]):
            raise ConfigError(f"{self.owner}.unit_cell_devices holds a "
                              f"{type(devices[0]).__name__} and a {type(devices[1]).__name__}: "
                              "both devices need to be of the same type")
        check_field(self.owner, "refresh_upper_thres", config.refresh_upper_thres,
                    config.refresh_upper_thres >= config.refresh_lower_thres,
                    "a number >= refresh_lower_thres")
        # both children are built from the first specification
        self.children = build_children([devices[0], devices[0]], d_size, x_size,
                                       device=self.device, dtype=dtype, rng=rng,
                                       construction_seed=config.construction_seed)
        self.gamma = [-1.0, 1.0]
        if config.copy_inverted:
            self._invert(self.children[1])
        refresh_io = deepcopy(config.refresh_forward)
        refresh_io.out_scale = 1.0
        self.reader = LineReader(refresh_io, d_size, x_size, columns=True,
                                 device=self.device, dtype=dtype, rng=rng)
        self.cycle = 0
        self.refresh_counter = 0
        self.reduce()

    def _invert(self, child: Any) -> None:
        """Swap the up/down step sizes and mirror the bounds of ``child``."""
        params = child.get_hidden_parameters()
        needed = ("max_bound", "min_bound", "dwmin_up", "dwmin_down")
        if not all(name in params for name in needed):
            raise ConfigError(f"{self.owner}.copy_inverted = True needs single pulsed "
                              "devices (with bounds and step sizes)")
        upper, lower = params["max_bound"].clone(), params["min_bound"].clone()
        params["max_bound"], params["min_bound"] = -lower, -upper
        params["dwmin_up"], params["dwmin_down"] = (params["dwmin_down"].clone(),
                                                    params["dwmin_up"].clone())
        with warnings.catch_warnings():
            # the mean step size is unchanged by the swap: no granularity message
            warnings.simplefilter("ignore", UserWarning)
            child.set_hidden_parameters(params)

    @property
    def brief_name(self) -> str:  # type: ignore[override]
        return f"OneSided(2):{self.children[0].brief_name}"

    def extra_state(self) -> Dict[str, Any]:
        return {"refresh_counter": self.refresh_counter, "current_update_idx": self.cycle}

    # ---------------------------------------------------------------- weights
    def set_weights(self, weights: torch.Tensor) -> None:
        weights = weights.to(device=self.device, dtype=self.dtype)
        self.cycle = 0
        self.refresh_counter = 0
        self.children[1].set_weights(weights.clamp(min=0.0))
        self.children[0].set_weights((-weights).clamp(min=0.0))
        self.reduce()

    # ---------------------------------------------------------------- update
    def refresh_period(self, m_batch: int) -> int:
        """Refresh period in cycles (0: never)."""
        every = int(self.config.refresh_every)
        if every <= 0:
            return 0
        return every * (m_batch if self.config.units_in_mbatch else 1)

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0.0:
            return
        g_c = granularity if granularity is not None else self.granularity()
        targets = [(self.children[0], DOWN_AS_UP), (self.children[1], UP_ONLY)]

        def pulse(start: int, stop: int) -> None:
            shared_update(targets, x[start:stop], d[start:stop], lr, up, g_c, self.rng)

        self._run_cycles(x.shape[0], pulse)

    def line_update(self, lines: torch.Tensor, values: torch.Tensor, lr: float, up: Any,
                    granularity: float, columns: bool) -> None:
        """Single-line writes (see :func:`line_update`), one cycle per line, split onto
        the two sides like the gradient pulses."""
        if up.pulse_type in (PulseType.NONE, PulseType.NONE_WITH_DEVICE):
            size = self.x_size if columns else self.d_size
            one_hot = torch.zeros(lines.numel(), size, dtype=values.dtype,
                                  device=values.device)
            one_hot[torch.arange(lines.numel(), device=values.device), lines] = 1.0
            pair = (one_hot, values) if columns else (values, one_hot)
            self.update(pair[0], pair[1], lr, up, granularity)
            return

        def pulse(start: int, stop: int) -> None:
            counts = shared_line_counts(self, lines[start:stop], values[start:stop], lr, up,
                                        granularity, columns)
            bound = line_count_bound(up, lr, granularity)
            apply_count_matrix(self.children[1], counts.clamp(min=0), bound)
            apply_count_matrix(self.children[0], (-counts).clamp(min=0), bound)

        self._run_cycles(lines.numel(), pulse)

    def _run_cycles(self, n_cycles: int, pulse: Callable[[int, int], None]) -> None:
        """Run ``n_cycles`` update cycles (one call's batch) in runs between refreshes."""
        period = self.refresh_period(n_cycles)
        start = 0
        while start < n_cycles:
            steps = n_cycles - start
            if period > 0:
                steps = min(steps, period - self.cycle % period)
            pulse(start, start + steps)
            self.cycle += steps
            start += steps
            if period > 0 and self.cycle % period == 0:
                self.refresh()
        self.reduce()

    # ---------------------------------------------------------------- refresh
    def refresh(self) -> None:
        """Reset saturated pairs and rewrite their difference onto the larger side."""
        cfg = self.config
        columns = torch.arange(self.x_size, device=self.device)
        pos = self.reader.read(self.children[1].get_weights(), columns).t()  # [d, x]
        neg = self.reader.read(self.children[0].get_weights(), columns).t()
        scale_pos = abs(_settings(self.children[1]).w_max)
        scale_neg = abs(_settings(self.children[0]).w_max)
        upper, lower = cfg.refresh_upper_thres, cfg.refresh_lower_thres
        larger = pos > neg
        flagged = torch.where(
            larger, (pos / scale_pos > upper) & (neg / scale_neg > lower),
            (pos / scale_pos > lower) & (neg / scale_neg > upper))
        count = int(flagged.sum())
        if count == 0:
            return
        for child in self.children:
            reset_elements(child, flagged)
        diff = pos - neg
        zero = torch.zeros_like(diff)
        self._rewrite(self.children[1], torch.where(flagged & larger, diff, zero))
        self._rewrite(self.children[0], torch.where(flagged & ~larger, -diff, zero))
        self.refresh_counter += count

    def _rewrite(self, child: Any, amounts: torch.Tensor) -> None:
        """Pulse ``W[:, j] += amounts[:, j]`` onto ``child`` for the columns that need it."""
        active = (amounts != 0).any(dim=0).nonzero().flatten()
        if active.numel() == 0:
            return
        line_update(child, active, amounts[:, active].t(), -1.0, self.config.refresh_update,
                    child.granularity(), columns=True)



def _settings(child: Any) -> Any:
    """Resolved device settings (derived bounds filled in), else the configuration."""
    return getattr(child, "s", child.config)
