"""``MixedPrecisionCompound`` (Nandakumar et al. 2020), spec 20 §9.

The rank update is computed digitally: per update cycle ``chi += lr * q(d) q(x)^T`` with
optional per-vector quantization of ``x`` and ``d`` to ``n_*_bins`` levels. Every
``transfer_every`` mini-batches the integer part ``n = trunc(chi / eps)`` of
``n_rows_per_transfer`` rows is written onto the analog device as pulses
(``W[i, :] -= eps * transfer_lr * n`` in expectation) and removed from ``chi``. Forward,
backward and every device operation use the analog device only.
"""

import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional

import torch

from aihwkit.exceptions import ConfigError, check_field
from aihwkit.simulator.configs.compounds import MixedPrecisionCompound, UnitCell
from aihwkit.simulator.rpu_base.compounds._common import build_children, is_pulsed_config
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.kernels import fused
from aihwkit.simulator.rpu_base.compounds._shared import line_update
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.devices._pulsed import check_update_inputs
from aihwkit.simulator.rpu_base.pulses import validate_update_parameters
from aihwkit.simulator.rpu_base.registry import register
from aihwkit.simulator.rpu_base.rng import TileRNG


def quantize(values: torch.Tensor, n_bins: int, stochastic: bool,
             rng: TileRNG) -> torch.Tensor:
    """Per-row quantization to ``2 * floor(n_bins / 2) + 1`` levels (``n_bins = 0``: off).

    Each row ``v`` is scaled by ``w = max|v| / h`` (``h = floor(n_bins / 2)``, ``w = 1``
    for an all-zero row) and rounded half to even, after adding ``U - 0.5`` when
    ``stochastic``; levels are clipped to ``[-h, h]``.

    Shape: ``values`` ``[B, n]`` -> ``[B, n]``.
    """
    if n_bins <= 0:
        return values
    half = n_bins // 2
    width = values.abs().amax(dim=1, keepdim=True) / half
    width = torch.where(width > 0, width, torch.ones_like(width))
    scaled = values / width
    if stochastic:
        scaled = scaled + rng.uniform(values.shape, values.dtype) - 0.5
    return torch.round(scaled).clamp_(-half, half) * width


def forced_management(up: Any) -> Any:
    """The tile's update settings with update (BL) management switched on (validated,
    see :func:`~aihwkit.simulator.rpu_base.pulses.validate_update_parameters`)."""
    settings = validate_update_parameters(up)
    found = _FORCED.get(settings)
    if found is None:
        if len(_FORCED) >= 64:
            _FORCED.clear()
        found = _FORCED[settings] = settings._replace(update_management=True,
                                                      update_bl_management=True)
    return found


# forced settings per tile setting (few distinct ones in a process)
_FORCED: Dict[Any, Any] = {}


@register(MixedPrecisionCompound)
class MixedPrecisionEngine(DeviceEngine):
    """Engine of :class:`MixedPrecisionCompound`.

    State: the analog device engine ``device_engine``, the digital accumulator ``chi``
    (``[d, x]``), the cycle counter and the next transfer row.
    """

    def __init__(self, config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        super().__init__(config, d_size, x_size, device=device, dtype=dtype, rng=rng)
        owner = type(config).__name__
        device_config = config.device
        check_field(owner, "device", type(device_config).__name__,
                    is_pulsed_config(device_config),
                    "a pulsed device (a PulsedDevice subclass) or a pulsed unit cell")
        if isinstance(device_config, UnitCell) and not device_config.unit_cell_devices:
            raise ConfigError(f"{owner}.device = {type(device_config).__name__}() has no "
                              "unit_cell_devices: set device to a pulsed device or a "
                              "populated unit cell")
        self._validate(owner, config)
        self.device_engine = build_children(
            [config.device], d_size, x_size, device=self.device, dtype=dtype, rng=rng,
            construction_seed=config.construction_seed)[0]
        self.eps = float(config.granularity) if config.granularity > 0 \
            else float(self.device_engine.granularity())
        if not self.eps > 0:
            raise ConfigError(f"{owner}.granularity = {config.granularity!r} is invalid: the "
                              "device's granularity is not positive, set granularity > 0")
        self.chi = torch.zeros(d_size, x_size, device=self.device, dtype=dtype)
        self.cycle = 0
        self.row_pointer = 0

    @staticmethod
    def _validate(owner: str, config: Any) -> None:
        for name in ("n_x_bins", "n_d_bins"):
            value = getattr(config, name)
            check_field(owner, name, value, int(value) == value and (value == 0 or value >= 2),
                        "0 (no quantization) or an integer >= 2")
        check_field(owner, "n_rows_per_transfer", config.n_rows_per_transfer,
                    int(config.n_rows_per_transfer) >= -1, "-1 (all rows) or an integer >= 0")
        check_field(owner, "granularity", config.granularity,
                    math.isfinite(config.granularity) and config.granularity >= 0,
                    "a number >= 0 (0: the device's granularity)")
        check_field(owner, "transfer_lr", config.transfer_lr, math.isfinite(config.transfer_lr),
                    "a finite number")

    # ---------------------------------------------------------------- info
    @property
    def brief_name(self) -> str:  # type: ignore[override]
        return f"MixedPrec[{self.device_engine.brief_name}]"

    def granularity(self) -> float:
        return self.eps

    def extra_state(self) -> Dict[str, Any]:
        return {"current_row_index": self.row_pointer, "current_update_idx": self.cycle}

    # ---------------------------------------------------------------- weights
    def get_weights(self) -> torch.Tensor:
        return self.device_engine.get_weights()

    def set_weights(self, weights: torch.Tensor) -> None:
        self.chi.zero_()
        self.cycle = 0
        self.row_pointer = 0
        self.device_engine.set_weights(weights)

    # ---------------------------------------------------------------- update
    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0.0:
            return
        cfg = self.config
        q_x = quantize(x, int(cfg.n_x_bins), cfg.stoc_round_x, self.rng)
        q_d = quantize(d, int(cfg.n_d_bins), cfg.stoc_round_d, self.rng)
        batch = x.shape[0]
        period = int(cfg.transfer_every) * batch
        d_t = q_d.t()
        start = 0
        while start < batch:
            # the transfer check follows the accumulation of the cycle with t % period == 0
            stop = batch
            if period > 0:
                offset = (-self.cycle) % period
                if self.cycle + offset == 0:
                    offset = period
                if start + offset < batch:
                    stop = start + offset + 1
            if start == 0 and stop == batch:
                self.chi.addmm_(d_t, q_x, alpha=lr)
            else:   # the same product of the chunk's columns of d^T (a view, as before)
                self.chi.addmm_(d_t[:, start:stop], q_x[start:stop], alpha=lr)
            self.cycle += stop - start
            start = stop
            if period > 0 and (self.cycle - 1) > 0 and (self.cycle - 1) % period == 0:
                self.transfer(up)

    def transfer(self, up: Any) -> None:
        """Write the integer part of ``chi`` of the next rows onto the analog device."""
        cfg = self.config
        rows = self.d_size if cfg.n_rows_per_transfer < 0 else min(
            int(cfg.n_rows_per_transfer), self.d_size)
        if rows == 0 or cfg.transfer_lr == 0:
            return
        start = self.row_pointer
        if cfg.random_row and rows < self.d_size:
            draw = float(self.rng.uniform((1,), torch.float64).item())
            start = min(int(draw * self.d_size), self.d_size - 1)
        self.row_pointer = (start + rows) % self.d_size
        lr = self.eps * float(cfg.transfer_lr)
        line_up = forced_management(up)
        granularity = self.device_engine.granularity()
        engine = self.device_engine
        if rows == self.d_size and start == 0:
            # every row, in order: no gather and scatter of chi; compiled in one call
            # where the line writes are (same values and draws)
            if kernels.choose_line_update(engine, self.chi, lr, granularity, line_up) \
                    is not None and self.chi.is_contiguous():
                fused.fused_row_transfer(engine, self.chi, self.eps, lr, granularity, line_up)
                return
            indices = self._all_rows()
            counts = fused.split_whole_steps(self.chi, self.eps)
        else:
            indices = (torch.arange(rows, device=self.device) + start) % self.d_size
            chi_rows = self.chi[indices]
            counts = fused.split_whole_steps(chi_rows, self.eps)
            self.chi[indices] = chi_rows
        compiled = kernels.choose_line_update(engine, counts, lr, granularity, line_up)
        if compiled is not None:
            compiled(engine, indices, counts, lr, granularity, line_up, columns=False)
            return
        # the count-matrix path: only the rows with pulses
        active = (counts != 0).any(dim=1).nonzero().squeeze(1)   # one read-back
        if active.numel() == 0:
            return
        counts, indices = counts.index_select(0, active), indices.index_select(0, active)
        line_update(self.device_engine, indices, counts, lr, line_up, granularity,
                    columns=False)

    def _all_rows(self) -> torch.Tensor:
        """``arange(d_size)`` on the engine's device (cached)."""
        cached = getattr(self, "_cache_all_rows", None)
        if cached is None or cached.device != self.device:
            cached = self._cache_all_rows = torch.arange(self.d_size, device=self.device)
        return cached

    # ---------------------------------------------------------------- device ops
    def requires_decay(self) -> bool:
        return self.device_engine.requires_decay()

    def requires_diffusion(self) -> bool:
        return self.device_engine.requires_diffusion()

    def decay_weights(self, alpha: float = 1.0) -> None:
        self.device_engine.decay_weights(alpha)

    def diffuse_weights(self) -> None:
        self.device_engine.diffuse_weights()

    def drift_weights(self, delta_t: float = 1.0) -> None:
        self.device_engine.drift_weights(delta_t)

    def clip_weights(self, clip: float = -1.0) -> None:
        self.device_engine.clip_weights(clip)

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        self.device_engine.reset_columns(start_column_idx, num_columns, reset_prob)

    # ---------------------------------------------------------------- hidden parameters
    def hidden_parameter_names(self) -> List[str]:
        return self.device_engine.hidden_parameter_names() + ["hidden_weights_chi"]

    def get_hidden_parameters(self) -> "OrderedDict[str, torch.Tensor]":
        params = self.device_engine.get_hidden_parameters()
        params["hidden_weights_chi"] = self.chi.detach().clone()
        return params

    def set_hidden_parameters(self, params: Dict[str, torch.Tensor]) -> None:
        if not self.check_hidden_names(params):
            return
        names = self.hidden_parameter_names()
        self.device_engine.set_hidden_parameters(
            OrderedDict((name, params[name]) for name in names[:-1]))
        self.chi = torch.as_tensor(params["hidden_weights_chi"]).to(
            device=self.device, dtype=self.dtype).clone()
