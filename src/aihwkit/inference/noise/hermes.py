"""Noise model of the HERMES project PCM chip (one or two devices per conductance).

Programming noise as :class:`PCMLikeNoiseModel` with cubic coefficients; drift exponent
mean/std and the 1/f read-noise amplitude ``Q_s`` are piecewise functions of
``rho = |g / g_max|`` fitted to the chip (``ln`` below ``rho`` thresholds, polynomials
above).
"""

from typing import List, Optional

import torch
from torch import Tensor

from aihwkit.inference._common import (
    InferenceArgumentError, check_number)
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.noise.base import BaseNoiseModel
from aihwkit.inference.noise._shared import (
    abs_normal_nu, check_scales, poly_programming_noise, power_law_drift,
    read_noise_time_factor, resolve_converter, resolve_prog_coeff)

_DEFAULTS = {
    # num_devices: (g_max µS, t_0 s, programming coefficients)
    2: (20.7, 300.0, [0.16603222, 4.71806468, -8.48101252, 4.68961419]),
    1: (10.35, 200.0, [0.15781817, 2.32443916, -2.16310839, 0.68841818]),
}


def _piecewise(rho: Tensor, threshold: float, low: Tensor, high: Tensor) -> Tensor:
    return torch.where(rho < threshold, low, high)


class HermesNoiseModel(BaseNoiseModel):
    """PCM noise model of the HERMES chip.

    Args:
        prog_coeff: programming-noise coefficients (ascending powers of ``g / g_max``);
            default: the chip's cubic fit (reference = the default ``g_max``).
        g_converter: weight <-> conductance converter (deep-copied; default single pair).
        num_devices: devices per conductance, 1 or 2.
        g_max: maximal conductance in µS (default and maximum 20.7 for two devices,
            10.35 for one).
        t_read: read pulse duration in s.
        t_0: drift reference time in s (default 300 for two devices, 200 for one).
        prog_noise_scale, read_noise_scale, drift_scale: noise multipliers.
        prog_coeff_g_max_reference: ``g_max`` at which ``prog_coeff`` were measured.

    Raises:
        ArgumentError: (also a ``ValueError``) for ``num_devices`` not in ``{1, 2}`` or a
            ``g_max`` above the chip's maximum.
    """

    def __init__(self, prog_coeff: Optional[List[float]] = None,
                 g_converter: Optional[BaseConductanceConverter] = None, num_devices: int = 2,
                 g_max: Optional[float] = None, t_read: float = 512.0e-9,
                 t_0: Optional[float] = None, prog_noise_scale: float = 1.0,
                 read_noise_scale: float = 1.0, drift_scale: float = 1.0,
                 prog_coeff_g_max_reference: Optional[float] = None) -> None:
        name = type(self).__name__
        if num_devices not in _DEFAULTS:
            raise InferenceArgumentError(f"{name}: num_devices = {num_devices!r} must be 1 or 2")
        self.num_devices = int(num_devices)
        max_g, default_t0, default_coeff = _DEFAULTS[self.num_devices]
        g_converter, self.g_max = resolve_converter(name, g_converter, g_max,
                                                    default_g_max=max_g)
        if self.g_max > max_g:
            raise InferenceArgumentError(f"{name}: g_max = {self.g_max} must be <= {max_g} µS "
                                         f"for {self.num_devices} device(s)")
        super().__init__(g_converter)
        self.prog_coeff, self.prog_coeff_g_max_reference = resolve_prog_coeff(
            name, prog_coeff, default_coeff, max_g, self.g_max, prog_coeff_g_max_reference)
        self.t_read = check_number(name, "t_read", t_read, minimum=0.0, strict=True)
        self.t_0 = check_number(name, "t_0", default_t0 if t_0 is None else t_0,
                                minimum=0.0, strict=True)
        check_scales(name, prog_noise_scale=prog_noise_scale,
                     read_noise_scale=read_noise_scale, drift_scale=drift_scale)
        self.prog_noise_scale = float(prog_noise_scale)
        self.read_noise_scale = float(read_noise_scale)
        self.drift_scale = float(drift_scale)

    @torch.no_grad()
    def apply_programming_noise_to_conductance(self, g_target: Tensor) -> Tensor:
        return poly_programming_noise(self, g_target, self.prog_coeff, self.g_max,
                                      self.prog_coeff_g_max_reference, self.prog_noise_scale)

    def drift_nu_statistics(self, rho: Tensor) -> List[Tensor]:
        """Mean and std of the drift exponent at relative conductances ``rho``."""
        log_rho = torch.log(rho)
        mu_nu = _piecewise(rho, 0.0945, (-0.0387 * log_rho - 0.0182).clamp(0.072, 0.13),
                           -0.0436 * rho ** 2 - 0.0126 * rho + 0.0736)
        if self.num_devices == 1:
            sig_nu = _piecewise(rho, 0.3039, (-0.0120 * log_rho - 0.0023).clamp(0.0124, 0.04),
                                -0.0165 * rho ** 2 + 0.0116 * rho + 0.0104)
        else:
            sig_nu = _piecewise(rho, 0.3055, (-0.0117 * log_rho - 0.0057).clamp(0.0091, 0.04),
                                -0.0118 * rho ** 2 + 0.0093 * rho + 0.0073)
        return [mu_nu, sig_nu]

    def read_noise_amplitude(self, rho: Tensor) -> Tensor:
        """``Q_s`` of the 1/f read noise at relative programmed conductances ``rho``."""
        log_rho = torch.log(rho.clamp(min=1e-7))
        if self.num_devices == 1:
            return _piecewise(rho, 0.1591, (-0.0078 * log_rho + 0.0038).clamp(0.0179, 0.04),
                              0.0664 * rho ** 3 - 0.1352 * rho ** 2 + 0.0768 * rho + 0.0088)
        return _piecewise(rho, 0.16, (-0.0117 * log_rho - 0.0069).clamp(0.015, 0.04),
                          0.0069 * rho ** 3 - 0.0280 * rho ** 2 + 0.0211 * rho + 0.0123)

    @torch.no_grad()
    def generate_drift_coefficients(self, g_target: Tensor) -> Tensor:
        rho = (g_target / self.g_max).abs().clamp(min=1e-7)
        mu_nu, sig_nu = self.drift_nu_statistics(rho)
        return abs_normal_nu(self, mu_nu, sig_nu, g_target, self.drift_scale)

    @torch.no_grad()
    def apply_drift_noise_to_conductance(self, g_prog: Tensor, drift_noise_param: Tensor,
                                         t_inference: float) -> Tensor:
        t_total = t_inference + self.t_0
        g_drift = power_law_drift(g_prog, drift_noise_param, t_inference, self.t_0)
        q_s = self.read_noise_amplitude((g_prog / self.g_max).abs())
        sig_read = q_s * read_noise_time_factor(t_total, self.t_read)
        noise = g_drift.abs() * self.read_noise_scale * sig_read * self._randn_like(g_drift)
        return (g_drift + noise).clamp(min=0.0)
