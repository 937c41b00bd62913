"""Noise models of resistive RAM devices.

* :class:`ReRamWan2022NoiseModel`: conductance-dependent normal noise whose polynomial
  amplitude was measured at a few times after programming (table ``coeff_dic``).
* :class:`ReRamCMONoiseModel`: conductive-metal-oxide devices on one device per weight,
  with log-time drift of the mean and spread and a log-conductance read noise.
"""

import math
from typing import Dict, List, Optional

import torch
from torch import Tensor

from aihwkit.inference._common import (
    InferenceArgumentError, check_coefficients, check_number, polyval)
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.converter.conductance import SingleDeviceConductanceConverter
from aihwkit.inference.noise.base import BaseNoiseModel
from aihwkit.inference.noise._shared import check_scales, read_noise_time_factor, \
    resolve_converter

WAN2022_COEFFS = {
    1.0: [0.348, 16.030, -43.853, 45.393, -16.815],
    86400.0: [0.701, 22.086, -50.773, 47.095, -16.458],
    172800.0: [0.782, 20.274, -43.507, 37.062, -11.934],
}


class ReRamWan2022NoiseModel(BaseNoiseModel):
    """ReRAM noise from measurements at fixed times after programming.

    ``g' = max(g + noise_scale * poly_t(g / G) * (G / g_ref) * xi, 0)`` with the
    coefficients ``coeff_dic[t]`` (ascending powers). Programming uses the smallest
    time of the table; drift at ``t_inference`` redraws around the *target* conductance
    with the coefficients of that time, which must be a key of the table.

    Args:
        coeff_dic: map time (s) -> polynomial coefficients (µS).
        g_converter: weight <-> conductance converter (deep-copied; default single pair).
        g_max: maximal conductance in µS (default 25; a converter's own ``g_max`` wins).
        noise_scale: multiplier of the noise.
        coeff_g_max_reference: ``g_max`` (µS) at which the coefficients apply
            (default: ``g_max``, i.e. no rescaling).
    """

    def __init__(self, coeff_dic: Optional[Dict[float, List[float]]] = None,
                 g_converter: Optional[BaseConductanceConverter] = None,
                 g_max: Optional[float] = None, noise_scale: float = 1.0,
                 coeff_g_max_reference: Optional[float] = None) -> None:
        name = type(self).__name__
        g_converter, self.g_max = resolve_converter(name, g_converter, g_max)
        super().__init__(g_converter)
        if coeff_dic is None:
            coeff_dic = WAN2022_COEFFS
        if not isinstance(coeff_dic, dict) or not coeff_dic:
            raise InferenceArgumentError(f"{name}: coeff_dic must be a non-empty dict "
                                         "time -> coefficients")
        self.coeff_dic = {check_number(name, "coeff_dic key", t, minimum=0.0):
                          check_coefficients(name, f"coeff_dic[{t}]", c)
                          for t, c in coeff_dic.items()}
        check_scales(name, noise_scale=noise_scale)
        self.noise_scale = float(noise_scale)
        reference = self.g_max if coeff_g_max_reference is None else coeff_g_max_reference
        self.coeff_g_max_reference = check_number(name, "coeff_g_max_reference", reference,
                                                  minimum=0.0, strict=True)

    def _noisy(self, g_target: Tensor, coeffs: List[float]) -> Tensor:
        sigma = polyval(coeffs, g_target / self.g_max) * (self.g_max /
                                                          self.coeff_g_max_reference)
        return (g_target + self.noise_scale * sigma * self._randn_like(g_target)).clamp(min=0.0)

    @torch.no_grad()
    def apply_programming_noise_to_conductance(self, g_target: Tensor) -> Tensor:
        return self._noisy(g_target, self.coeff_dic[min(self.coeff_dic)])

    @torch.no_grad()
    def generate_drift_coefficients(self, g_target: Tensor) -> Tensor:
        return g_target.clone()

    @torch.no_grad()
    def apply_drift_noise_to_conductance(self, g_prog: Tensor, drift_noise_param: Tensor,
                                         t_inference: float) -> Tensor:
        key = float(t_inference)
        if key not in self.coeff_dic:
            raise InferenceArgumentError(
                f"{type(self).__name__}: t_inference = {t_inference} s is not a time of "
                f"coeff_dic (available: {sorted(self.coeff_dic)})")
        g_target = drift_noise_param.to(device=g_prog.device, dtype=g_prog.dtype)
        return self._noisy(g_target, self.coeff_dic[key])


class ReRamCMONoiseModel(BaseNoiseModel):
    """Noise model of conductive-metal-oxide ReRAM (one device per weight).

    Programming: ``g_p = g + s_p (c0 + c1 g) xi`` (µS, ``c`` from ``coeff_dict`` at the
    acceptance range). Drift, for ``t = t_inference > 0`` (unchanged at 0):
    ``g_m = g_p + mean0 ln(t) s_d``, ``g_d = g_m + (std0 ln t + std1) s_d xi``,
    ``sigma_r = K log10(g_d) sqrt(ln((t + t_read) / (2 t_read)))``,
    ``g = clip(g_d + sigma_r s_r xi, g_min, g_max)``.

    Args:
        coeff_dict: acceptance range (%) -> ``[c0, c1]``; a missing ``acceptance_range``
            uses the smallest key.
        g_max, g_min: conductance range in µS (defaults 88.199997 and 9.0).
        prog_noise_scale, read_noise_scale, drift_scale: noise multipliers.
        decay_dict: ``{"mean": [mean0], "std": [std0, std1]}``.
        read_dict: ``{"K": ..., "t_read": ...}`` (``t_read`` in s).
        acceptance_range: programming acceptance range.
    """

    def __init__(self, coeff_dict: Optional[Dict[float, List[float]]] = None,
                 g_max: Optional[float] = None, g_min: Optional[float] = None,
                 prog_noise_scale: float = 1.0, read_noise_scale: float = 1.0,
                 drift_scale: float = 1.0, decay_dict: Optional[Dict[str, List[float]]] = None,
                 read_dict: Optional[Dict[str, float]] = None,
                 acceptance_range: float = 2e-2) -> None:
        name = type(self).__name__
        super().__init__(SingleDeviceConductanceConverter(g_max, g_min))
        self.g_max = self.g_converter.g_max
        self.g_min = self.g_converter.g_min
        if coeff_dict is None:
            coeff_dict = {0.2: [0.00081107, 0.00106879], 2: [0.0112185391, 0.01129027418]}
        if not isinstance(coeff_dict, dict) or not coeff_dict:
            raise InferenceArgumentError(f"{name}: coeff_dict must be a non-empty dict")
        self.coeff_dict = {k: check_coefficients(name, f"coeff_dict[{k}]", v)
                           for k, v in coeff_dict.items()}
        self.decay_dict = decay_dict if decay_dict is not None else {
            "mean": [-0.08900206], "std": [0.04201137, 0.41183342]}
        self.read_dict = read_dict if read_dict is not None else {
            "K": 0.0277316483, "t_read": 1e-6}
        if (not isinstance(self.decay_dict, dict) or len(self.decay_dict.get("mean", [])) < 1
                or len(self.decay_dict.get("std", [])) < 2):
            raise InferenceArgumentError(f"{name}: decay_dict needs 'mean': [m0] and "
                                         "'std': [s0, s1]")
        if not isinstance(self.read_dict, dict) or not {"K", "t_read"} <= set(self.read_dict):
            raise InferenceArgumentError(f"{name}: read_dict needs the keys 'K' and 't_read'")
        check_number(name, "read_dict['t_read']", self.read_dict["t_read"], minimum=0.0,
                     strict=True)
        check_scales(name, prog_noise_scale=prog_noise_scale,
                     read_noise_scale=read_noise_scale, drift_scale=drift_scale)
        self.prog_noise_scale = float(prog_noise_scale)
        self.read_noise_scale = float(read_noise_scale)
        self.drift_scale = float(drift_scale)
        self.acceptance_range = acceptance_range

    def _prog_coefficients(self) -> List[float]:
        if self.acceptance_range in self.coeff_dict:
            return self.coeff_dict[self.acceptance_range]
        return self.coeff_dict[min(self.coeff_dict)]

    @torch.no_grad()
    def apply_programming_noise_to_conductance(self, g_target: Tensor) -> Tensor:
        c0, c1 = (self._prog_coefficients() + [0.0, 0.0])[:2]
        sigma = c0 + c1 * g_target
        return g_target + self.prog_noise_scale * sigma * self._randn_like(g_target)

    @torch.no_grad()
    def apply_drift_noise_to_conductance(self, g_prog: Tensor, drift_noise_param: Tensor,
                                         t_inference: float) -> Tensor:
        if t_inference == 0.0:
            return g_prog
        log_t = math.log(t_inference)
        mean0 = self.decay_dict["mean"][0]
        std0, std1 = self.decay_dict["std"][:2]
        g_mean = g_prog + mean0 * log_t * self.drift_scale
        g_drift = g_mean + (std0 * log_t + std1) * self.drift_scale * self._randn_like(g_prog)
        t_read = self.read_dict["t_read"]
        # log10 of a non-positive conductance is undefined: such rare draws get the
        # amplitude of the smallest positive conductance instead of NaN
        sig_read = (self.read_dict["K"] * torch.log10(g_drift.clamp(min=1e-12))
                    * read_noise_time_factor(t_inference, t_read))
        noisy = g_drift + sig_read * self.read_noise_scale * self._randn_like(g_drift)
        return noisy.clamp(self.g_min, self.g_max)
