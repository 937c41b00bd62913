"""Phase-change memory noise model (programming noise, drift, 1/f read noise).

Formulas (``G = g_max``, conductances in µS, ``xi`` standard normal):

* programming: ``sigma = poly(g_T / G) * G / g_ref``; ``g_p = max(g_T + s_p sigma xi, 0)``;
* drift exponent: ``rho = max(|g_T / G|, 1e-7)``,
  ``mu = clip(-0.0155 ln rho + 0.0244, 0.049, 0.1)``,
  ``sd = clip(-0.0125 ln rho - 0.0059, 0.008, 0.045)``, ``nu = |mu + sd xi| * s_d``;
* at ``t = t_inference + t_0``: ``g_d = g_p (t / t_0)^(-nu)`` (if ``t > t_0``),
  ``Q_s = min(0.0088 / max((|g_p| / G)^0.65, 1e-3), 0.2)``,
  ``g = max(g_d + |g_d| s_r Q_s sqrt(ln((t + t_read) / (2 t_read))) xi, 0)``.
"""

from typing import Any, Dict, List, Optional

import torch
from torch import Tensor

from aihwkit.inference._common import (
    InferenceArgumentError, check_number, interp)
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.converter.conductance import (
    CustomPairConductanceConverter, NPairConductanceConverter, SinglePairConductanceConverter)
from aihwkit.inference.noise.base import BaseNoiseModel
from aihwkit.inference.noise._shared import (
    abs_normal_nu, check_scales, poly_programming_noise, power_law_drift,
    read_noise_time_factor, resolve_converter, resolve_prog_coeff)

PCM_PROG_COEFF = [0.26348, 1.9650, -1.1731]
PCM_PROG_COEFF_G_MAX_REFERENCE = 25.0


class PCMLikeNoiseModel(BaseNoiseModel):
    """Noise model of phase-change memory devices (statistics of a PCM chip).

    Args:
        prog_coeff: programming-noise polynomial coefficients (ascending powers of
            ``g / g_max``, µS at ``g_max = prog_coeff_g_max_reference``). Default
            ``[0.26348, 1.9650, -1.1731]`` with reference 25 µS.
        g_converter: weight <-> conductance converter (deep-copied). Default
            ``SinglePairConductanceConverter(g_max=g_max)``.
        g_max: maximal conductance in µS (default 25; a converter's own ``g_max`` wins).
        t_read: read pulse duration in s for the 1/f noise.
        t_0: time in s between programming and the first read (drift reference).
        prog_noise_scale: multiplier of the programming noise.
        read_noise_scale: multiplier of the read noise.
        drift_scale: multiplier of the drift exponents.
        prog_coeff_g_max_reference: ``g_max`` (µS) at which ``prog_coeff`` were measured;
            ``None``: 25 with the default coefficients, else ``g_max``.
    """

    def __init__(self, prog_coeff: Optional[List[float]] = None,
                 g_converter: Optional[BaseConductanceConverter] = None,
                 g_max: Optional[float] = None, t_read: float = 250.0e-9, t_0: float = 20.0,
                 prog_noise_scale: float = 1.0, read_noise_scale: float = 1.0,
                 drift_scale: float = 1.0,
                 prog_coeff_g_max_reference: Optional[float] = None) -> None:
        name = type(self).__name__
        g_converter, self.g_max = resolve_converter(name, g_converter, g_max)
        super().__init__(g_converter)
        self.prog_coeff, self.prog_coeff_g_max_reference = resolve_prog_coeff(
            name, prog_coeff, PCM_PROG_COEFF, PCM_PROG_COEFF_G_MAX_REFERENCE, self.g_max,
            prog_coeff_g_max_reference)
        self.t_read = check_number(name, "t_read", t_read, minimum=0.0, strict=True)
        self.t_0 = check_number(name, "t_0", t_0, minimum=0.0, strict=True)
        check_scales(name, prog_noise_scale=prog_noise_scale,
                     read_noise_scale=read_noise_scale, drift_scale=drift_scale)
        self.prog_noise_scale = float(prog_noise_scale)
        self.read_noise_scale = float(read_noise_scale)
        self.drift_scale = float(drift_scale)

    @torch.no_grad()
    def apply_programming_noise_to_conductance(self, g_target: Tensor) -> Tensor:
        return poly_programming_noise(self, g_target, self.prog_coeff, self.g_max,
                                      self.prog_coeff_g_max_reference, self.prog_noise_scale)

    @torch.no_grad()
    def generate_drift_coefficients(self, g_target: Tensor) -> Tensor:
        rho = (g_target / self.g_max).abs().clamp(min=1e-7)
        log_rho = torch.log(rho)
        mu_nu = (-0.0155 * log_rho + 0.0244).clamp(0.049, 0.1)
        sig_nu = (-0.0125 * log_rho - 0.0059).clamp(0.008, 0.045)
        return abs_normal_nu(self, mu_nu, sig_nu, g_target, self.drift_scale)

    @torch.no_grad()
    def apply_drift_noise_to_conductance(self, g_prog: Tensor, drift_noise_param: Tensor,
                                         t_inference: float) -> Tensor:
        t_total = t_inference + self.t_0
        g_drift = power_law_drift(g_prog, drift_noise_param, t_inference, self.t_0)
        q_s = (0.0088 / (g_prog.abs() / self.g_max).pow(0.65).clamp(min=1e-3)).clamp(max=0.2)
        sig_read = q_s * read_noise_time_factor(t_total, self.t_read)
        noise = g_drift.abs() * self.read_noise_scale * sig_read * self._randn_like(g_drift)
        return (g_drift + noise).clamp(min=0.0)


class CustomDriftPCMLikeNoiseModel(PCMLikeNoiseModel):
    """PCM noise model whose drift exponents follow tabulated statistics.

    Args:
        custom_drift_model: dict with keys ``g_lst`` (ascending conductances in µS),
            ``nu_mean_lst`` and ``nu_std_lst`` (drift-exponent mean and std at those
            conductances), each a list of at least two numbers. The exponent of a device
            is ``|mu + sd xi| * drift_scale`` with ``mu, sd`` interpolated linearly at the
            target conductance (clipped into the table range).
        Other arguments: as :class:`PCMLikeNoiseModel`.

    Raises:
        ArgumentError: (also a ``ValueError``) on a malformed table, or if the
            converter's conductance range exceeds the table range.
    """

    def __init__(self, custom_drift_model: Dict[str, List[float]],
                 prog_coeff: Optional[List[float]] = None,
                 g_converter: Optional[BaseConductanceConverter] = None,
                 g_max: Optional[float] = None, t_read: float = 250.0e-9, t_0: float = 20.0,
                 prog_noise_scale: float = 1.0, read_noise_scale: float = 1.0,
                 drift_scale: float = 1.0,
                 prog_coeff_g_max_reference: Optional[float] = None) -> None:
        super().__init__(prog_coeff, g_converter, g_max, t_read, t_0, prog_noise_scale,
                         read_noise_scale, drift_scale, prog_coeff_g_max_reference)
        self.custom_drift_model = self._check_table(custom_drift_model)
        self._check_converter_range()

    def _check_table(self, table: Any) -> Dict[str, List[float]]:
        name = type(self).__name__
        keys = ("g_lst", "nu_mean_lst", "nu_std_lst")
        if not isinstance(table, dict) or set(table) != set(keys):
            raise InferenceArgumentError(
                f"{name}: custom_drift_model must be a dict with exactly the keys {keys}")
        result = {}
        for key in keys:
            values = table[key]
            if not isinstance(values, (list, tuple)) or len(values) < 2:
                raise InferenceArgumentError(
                    f"{name}: custom_drift_model['{key}'] must be a list of >= 2 numbers")
            result[key] = [check_number(name, f"custom_drift_model['{key}']", v)
                           for v in values]
        if len({len(v) for v in result.values()}) != 1:
            raise InferenceArgumentError(f"{name}: the lists of custom_drift_model must have "
                                         "equal lengths")
        g_lst = result["g_lst"]
        if any(b <= a for a, b in zip(g_lst, g_lst[1:])):
            raise InferenceArgumentError(f"{name}: custom_drift_model['g_lst'] must be "
                                         "strictly ascending")
        return result

    def _check_converter_range(self) -> None:
        name = type(self).__name__
        conv = self.g_converter
        if isinstance(conv, CustomPairConductanceConverter):
            flat = [v for g in conv.g_lst for v in g]
            low, high = min(flat), max(flat)
        elif isinstance(conv, (SinglePairConductanceConverter, NPairConductanceConverter)):
            low, high = conv.g_min, conv.g_max
        else:
            raise InferenceArgumentError(
                f"{name}: converter {type(conv).__name__} is not supported (use a single, "
                "dual/N or custom pair converter)")
        g_lst = self.custom_drift_model["g_lst"]
        if low < min(g_lst) or high > max(g_lst):
            raise InferenceArgumentError(
                f"{name}: the converter's conductance range [{low}, {high}] µS must lie "
                f"within the drift table range [{min(g_lst)}, {max(g_lst)}] µS")

    @torch.no_grad()
    def generate_drift_coefficients(self, g_target: Tensor) -> Tensor:
        table = self.custom_drift_model
        g_lst = torch.tensor(table["g_lst"], dtype=g_target.dtype, device=g_target.device)
        g_clipped = g_target.clamp(min(table["g_lst"]), max(table["g_lst"]))
        mu_nu = interp(g_clipped, g_lst, torch.tensor(table["nu_mean_lst"]))
        sig_nu = interp(g_clipped, g_lst, torch.tensor(table["nu_std_lst"]))
        return abs_normal_nu(self, mu_nu, sig_nu, g_target, self.drift_scale)
