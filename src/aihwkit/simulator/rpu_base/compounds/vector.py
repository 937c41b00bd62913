"""``VectorUnitCell``: several devices per crosspoint, visible ``W = sum_k gamma_k W_k``.

The update policy chooses which child receives the pulses of each update cycle (spec 20
§2.4): ``ALL`` applies the same coincidence counts to every child (each with its own step
rule), the single policies pulse one child per cycle: ``SINGLE_FIXED`` the current index,
``SINGLE_SEQUENTIAL`` the next one (advanced before the pulses), ``SINGLE_RANDOM`` a
uniformly drawn one. Pulse trains use the compound granularity (mean of the children's).
"""

from typing import Any, Dict, List, Optional

import torch

from aihwkit.exceptions import ArgumentError, check_choice, check_field
from aihwkit.simulator.configs.compounds import VectorUnitCell
from aihwkit.simulator.parameters.enums import PulseType, VectorUnitCellUpdatePolicy
from aihwkit.simulator.rpu_base.compounds._common import (
    CompoundEngine, build_children, check_pulsed_children, check_vector_length,
    require_devices)
from aihwkit.simulator.rpu_base.compounds._shared import (
    SAME, apply_count_matrix, line_update, shared_line_counts, shared_update)
from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.devices._pulsed import check_update_inputs
from aihwkit.simulator.rpu_base.kernels.lines import line_count_bound
from aihwkit.simulator.rpu_base.registry import register
from aihwkit.simulator.rpu_base.rng import TileRNG

Policy = VectorUnitCellUpdatePolicy


@register(VectorUnitCell)
class VectorUnitCellEngine(CompoundEngine):
    """Engine of :class:`VectorUnitCell` (and, with other defaults, ReferenceUnitCell).

    State: the children, the current update index ``current_index`` and the cycle
    counter ``cycle``.
    """

    def __init__(self, config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        super().__init__(config, d_size, x_size, device=device, dtype=dtype, rng=rng)
        devices = self.child_configs(config)
        require_devices(self.owner, devices, 1)
        check_pulsed_children(self.owner, "unit_cell_devices", devices)
        n_devices = len(devices)
        check_vector_length(self.owner, "gamma_vec", config.gamma_vec, n_devices)
        check_choice(self.owner, "update_policy", config.update_policy, Policy)
        check_field(self.owner, "first_update_idx", config.first_update_idx,
                    0 <= int(config.first_update_idx) < n_devices,
                    f"an index in [0, {n_devices - 1}]")
        self.children = build_children(devices, d_size, x_size, device=self.device,
                                       dtype=dtype, rng=rng,
                                       construction_seed=config.construction_seed)
        self.gamma = ([float(g) for g in config.gamma_vec] if config.gamma_vec
                      else [1.0 / n_devices] * n_devices)
        self.policy = config.update_policy
        self.current_index = int(config.first_update_idx)
        self.cycle = 0
        self.reduce()

    def child_configs(self, config: Any) -> List[Any]:
        """The child device configurations to build."""
        return list(config.unit_cell_devices)

    @property
    def brief_name(self) -> str:  # type: ignore[override]
        return f"Vector({len(self.children)}):{self.children[0].brief_name}"

    def extra_state(self) -> Dict[str, Any]:
        return {"current_device_idx": self.current_index, "current_update_idx": self.cycle}

    # ---------------------------------------------------------------- index
    def get_hidden_update_index(self) -> int:
        return self.current_index

    def set_hidden_update_index(self, index: int) -> None:
        if not 0 <= int(index) < len(self.children):
            raise ArgumentError(f"hidden update index {index} is out of range: must be in "
                                f"[0, {len(self.children) - 1}]")
        self.current_index = int(index)

    # ---------------------------------------------------------------- weights
    def set_weights(self, weights: torch.Tensor) -> None:
        weights = weights.to(device=self.device, dtype=self.dtype)
        self.cycle = 0
        if self.policy == Policy.SINGLE_FIXED:
            self.children[self.current_index].set_weights(weights)
        else:
            self.current_index = int(self.config.first_update_idx)
            for child in self.children:
                child.set_weights(weights)
        self.reduce()

    # ---------------------------------------------------------------- update
    def _targets(self, batch: int) -> torch.Tensor:
        """Child index of each of ``batch`` cycles (single policies); advances the index."""
        n_devices = len(self.children)
        if self.policy == Policy.SINGLE_FIXED:
            return torch.full((batch,), self.current_index, device=self.device)
        if self.policy == Policy.SINGLE_SEQUENTIAL:
            steps = torch.arange(1, batch + 1, device=self.device)
            targets = (self.current_index + steps) % n_devices
        else:
            draws = self.rng.uniform((batch,), torch.float64)
            targets = (draws * n_devices).floor().long().clamp_(max=n_devices - 1)
        self.current_index = int(targets[-1])
        return targets

    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0.0:
            return
        g_c = granularity if granularity is not None else self.granularity()
        batch = x.shape[0]
        if self.policy == Policy.ALL:
            shared_update([(child, SAME) for child in self.children], x, d, lr, up, g_c,
                          self.rng)
        else:
            targets = self._targets(batch)
            for k, child in enumerate(self.children):
                picked = (targets == k).nonzero().flatten()
                if picked.numel() == batch:
                    child.update(x, d, lr, up, granularity=g_c)
                elif picked.numel() > 0:
                    child.update(x[picked], d[picked], lr, up, granularity=g_c)
        self.cycle += batch
        self.reduce()

    def line_update(self, lines: torch.Tensor, values: torch.Tensor, lr: float, up: Any,
                    granularity: float, columns: bool) -> None:
        """Single-line writes (see :func:`line_update`), one cycle per line, distributed
        by the update policy."""
        count = lines.numel()
        shared = (self.policy == Policy.ALL
                  and all(isinstance(child, PulsedDeviceEngine) for child in self.children)
                  and up.pulse_type not in (PulseType.NONE, PulseType.NONE_WITH_DEVICE))
        if shared:
            counts = shared_line_counts(self, lines, values, lr, up, granularity, columns)
            bound = line_count_bound(up, lr, granularity)
            for child in self.children:
                apply_count_matrix(child, counts, bound)
        elif self.policy == Policy.ALL:
            for child in self.children:
                line_update(child, lines, values, lr, up, granularity, columns)
        else:
            targets = self._targets(count)
            for k, child in enumerate(self.children):
                picked = (targets == k).nonzero().flatten()
                if picked.numel() > 0:
                    line_update(child, lines[picked], values[picked], lr, up, granularity,
                                columns)
        self.cycle += count
        self.reduce()
