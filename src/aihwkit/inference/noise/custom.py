"""A simple noise model whose drift and read noise do not depend on the conductance.

Formulas (``G = g_max``, µS, ``xi`` standard normal, ``t = t_inference + t_0``):

* programming: ``g_p = max(g_T + s_p poly(g_T / G) xi, 0)`` (coefficients in µS);
* drift exponent: ``nu = |drift_nu_mean + drift_nu_std xi| * drift_scale``;
* ``g_d = g_p (t / t_0)^(-nu)`` (if ``t > t_0``);
  ``g = max(g_d + |g_d / G| s_r sqrt(ln((t + t_read) / (2 t_read))) xi, 0)``.
"""

from typing import List, Optional

import torch
from torch import Tensor

from aihwkit.inference._common import check_coefficients, check_number
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.noise.base import BaseNoiseModel
from aihwkit.inference.noise._shared import (
    abs_normal_nu, check_scales, poly_programming_noise, power_law_drift,
    read_noise_time_factor, resolve_converter)


class StateIndependentNoiseModel(BaseNoiseModel):
    """Programming noise, drift and read noise independent of the device state.

    Args:
        g_converter: weight <-> conductance converter (deep-copied; default single pair).
        g_max: maximal conductance in µS (default 25; a converter's own ``g_max`` wins).
        prog_coeff: programming-noise polynomial in µS (ascending powers of ``g / G``),
            default ``[0.2, 0.0, 0.0]``.
        prog_noise_scale: multiplier of the programming noise.
        drift_nu_mean: mean drift exponent.
        drift_nu_std: standard deviation of the drift exponent.
        drift_scale: multiplier of the drift exponents.
        t_0: time in s between programming and the first read.
        read_noise_scale: multiplier of the read noise.
        t_read: read pulse duration in s.
    """

    def __init__(self, g_converter: Optional[BaseConductanceConverter] = None,
                 g_max: Optional[float] = None, prog_coeff: Optional[List[float]] = None,
                 prog_noise_scale: float = 1.0, drift_nu_mean: float = 0.1,
                 drift_nu_std: float = 0.05, drift_scale: float = 1.0, t_0: float = 20.0,
                 read_noise_scale: float = 1.0, t_read: float = 250.0e-9) -> None:
        name = type(self).__name__
        g_converter, self.g_max = resolve_converter(name, g_converter, g_max)
        super().__init__(g_converter)
        self.prog_coeff = ([0.2, 0.0, 0.0] if prog_coeff is None
                           else check_coefficients(name, "prog_coeff", prog_coeff))
        check_scales(name, prog_noise_scale=prog_noise_scale, drift_nu_std=drift_nu_std,
                     drift_scale=drift_scale, read_noise_scale=read_noise_scale)
        self.prog_noise_scale = float(prog_noise_scale)
        self.drift_nu_mean = check_number(name, "drift_nu_mean", drift_nu_mean)
        self.drift_nu_std = float(drift_nu_std)
        self.drift_scale = float(drift_scale)
        self.t_0 = check_number(name, "t_0", t_0, minimum=0.0, strict=True)
        self.read_noise_scale = float(read_noise_scale)
        self.t_read = check_number(name, "t_read", t_read, minimum=0.0, strict=True)

    @torch.no_grad()
    def apply_programming_noise_to_conductance(self, g_target: Tensor) -> Tensor:
        # coefficients are absolute (µS): reference equals g_max, no rescaling
        return poly_programming_noise(self, g_target, self.prog_coeff, self.g_max, self.g_max,
                                      self.prog_noise_scale)

    @torch.no_grad()
    def generate_drift_coefficients(self, g_target: Tensor) -> Tensor:
        return abs_normal_nu(self, self.drift_nu_mean, self.drift_nu_std, g_target,
                             self.drift_scale)

    @torch.no_grad()
    def apply_drift_noise_to_conductance(self, g_prog: Tensor, drift_noise_param: Tensor,
                                         t_inference: float) -> Tensor:
        t_total = t_inference + self.t_0
        g_drift = power_law_drift(g_prog, drift_noise_param, t_inference, self.t_0)
        sig_read = read_noise_time_factor(t_total, self.t_read)
        noise = (g_drift / self.g_max).abs() * self.read_noise_scale * sig_read
        return (g_drift + noise * self._randn_like(g_drift)).clamp(min=0.0)
