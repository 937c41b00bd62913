"""Per-line periphery parameters drawn once at construction (spec 10 §1.3).

A direction with ``L`` output lines and ``N`` inputs holds:

* ``out_noise_values`` ``[L]``: per-line output noise std (drawn if ``out_noise_std > 0``);
* ``out_nonlinearity`` ``[L]``: per-line strength ``n_l`` of the S-shaped output
  nonlinearity (drawn if ``out_nonlinearity > 0`` or ``r_series > 0``);
* ``out_nonlinearity_factor`` ``[1]``: the slope-calibration gain ``f`` of that stage;
* ``v_offset`` ``[L]``: per-line voltage offsets (drawn if ``v_offset_std > 0`` or
  ``r_series > 0``);
* ``w_asymmetry`` ``[L, N]``: per-weight read asymmetry for negative inputs (drawn if
  ``w_read_asymmetry_dtod > 0``).

Unused entries are empty tensors; a stage is active exactly when its tensor is non-empty,
so values set by the user switch the stage on.
"""

from typing import Dict, Mapping

import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.periphery_config import ResolvedIO
from aihwkit.simulator.rpu_base.rng import TileRNG

PARAMETER_NAMES = ("out_noise_values", "out_nonlinearity", "out_nonlinearity_factor",
                   "v_offset", "w_asymmetry")


class LineParameters(EngineBase):
    """Holds (and draws) the per-line parameters of one direction.

    Args:
        cfg: the direction's resolved settings.
        out_size: number of output lines ``L``.
        in_size: number of inputs ``N``.
        device, dtype: placement of the tensors.
        rng: generator of the construction draws.
    """

    def __init__(self, cfg: ResolvedIO, out_size: int, in_size: int, *,
                 device: torch.device, dtype: torch.dtype, rng: TileRNG) -> None:
        self.device = torch.device(device)
        self.dtype = dtype
        self.out_size = out_size
        self.in_size = in_size
        self.slope_calibration = 0.0 if cfg.perfect else cfg.slope_calibration
        self.r_series = 0.0 if cfg.perfect else cfg.r_series
        self.nl_bound = 1.0 if cfg.perfect else cfg.nl_bound
        empty = self._empty()
        self.out_noise_values = empty
        self.out_nonlinearity = empty
        self.out_nonlinearity_factor = empty
        self.v_offset = empty
        self.w_asymmetry = empty
        if not cfg.perfect:
            self._draw(cfg, rng)

    def _empty(self) -> torch.Tensor:
        return torch.empty(0, device=self.device, dtype=self.dtype)

    def _draw(self, cfg: ResolvedIO, rng: TileRNG) -> None:
        lines = self.out_size
        if cfg.out_noise_std > 0:
            xi = rng.normal(lines, self.dtype)
            self.out_noise_values = (cfg.out_noise * (1.0 + cfg.out_noise_std * xi)).abs()
        if cfg.out_nonlinearity > 0 or cfg.r_series > 0:
            xi = rng.normal(lines, self.dtype)
            strength = cfg.out_nonlinearity / cfg.nl_bound
            self.out_nonlinearity = (strength * (1.0 + cfg.out_nonlinearity_std * xi)).abs()
            self.out_nonlinearity_factor = self.calibrated_factor(self.out_nonlinearity)
        if cfg.v_offset_std > 0 or cfg.r_series > 0:
            # Engine artefact reproduced on purpose: half of the lines get exactly 0.
            keep = rng.uniform(lines, self.dtype) >= 0.5
            values = cfg.v_offset_std * rng.normal(lines, self.dtype)
            self.v_offset = torch.where(keep, values, torch.zeros_like(values))
        if cfg.w_read_asymmetry_dtod > 0:
            xi = rng.normal((lines, self.in_size), self.dtype)
            self.w_asymmetry = 1.0 + cfg.w_read_asymmetry_dtod * xi

    def calibrated_factor(self, strengths: torch.Tensor) -> torch.Tensor:
        """Gain ``f`` of the nonlinearity stage for line strengths ``n`` (shape ``[1]``).

        ``f = (1 + (mean|n| + r_series) · slope_calibration · B_o)²`` if
        ``slope_calibration > 0``, else 1.
        """
        factor = torch.ones(1, device=self.device, dtype=self.dtype)
        if self.slope_calibration > 0:
            mean = strengths.abs().mean() if strengths.numel() else 0.0
            factor = factor * (1.0 + (mean + self.r_series) * self.slope_calibration
                               * self.nl_bound) ** 2
        return factor

    # ------------------------------------------------------------------ access
    @property
    def nl_active(self) -> bool:
        """Whether the output nonlinearity stage runs."""
        return self.out_nonlinearity.numel() > 0

    def get(self) -> Dict[str, torch.Tensor]:
        """Copies of all parameters, keyed by :data:`PARAMETER_NAMES`."""
        return {name: getattr(self, name).detach().clone() for name in PARAMETER_NAMES}

    def set(self, params: Mapping[str, torch.Tensor]) -> None:
        """Replace some parameters; an empty tensor switches that stage off.

        Raises:
            ArgumentError: unknown name, wrong number of elements, or non-finite or
                (for ``out_noise_values``) negative values. Nothing changes then.
        """
        sizes = {"out_noise_values": (self.out_size,), "out_nonlinearity": (self.out_size,),
                 "out_nonlinearity_factor": (1,), "v_offset": (self.out_size,),
                 "w_asymmetry": (self.out_size, self.in_size)}
        new: Dict[str, torch.Tensor] = {}
        for name, value in params.items():
            if name not in sizes:
                raise ArgumentError(
                    f"unknown periphery parameter {name!r}: expected one of "
                    f"{', '.join(PARAMETER_NAMES)}")
            tensor = torch.as_tensor(value).detach().to(device=self.device, dtype=self.dtype)
            shape = sizes[name]
            expected = 1
            for dim in shape:
                expected *= dim
            if tensor.numel() not in (0, expected):
                raise ArgumentError(
                    f"periphery parameter {name!r} has {tensor.numel()} elements, "
                    f"expected {expected} (shape {list(shape)}) or 0 to switch it off")
            if not bool(torch.isfinite(tensor).all()):
                raise ArgumentError(f"periphery parameter {name!r} has non-finite values")
            if name == "out_noise_values" and bool((tensor < 0).any()):
                raise ArgumentError("periphery parameter 'out_noise_values' must be >= 0")
            new[name] = tensor.reshape(shape).clone() if tensor.numel() else self._empty()
        for name, tensor in new.items():
            setattr(self, name, tensor)
        if self.nl_active and not self.out_nonlinearity_factor.numel():
            self.out_nonlinearity_factor = self.calibrated_factor(self.out_nonlinearity)
        if not self.nl_active and "out_nonlinearity_factor" not in new:
            self.out_nonlinearity_factor = self._empty()
