"""Pieces shared by the PCM-like noise models: converter setup, drift, 1/f read noise."""

import copy
import math
from typing import Any, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from aihwkit.inference._common import (
    InferenceArgumentError, check_coefficients, check_number, polyval)
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.converter.conductance import SinglePairConductanceConverter


def resolve_converter(owner: str, g_converter: Optional[BaseConductanceConverter],
                      g_max: Optional[float], default_g_max: float = 25.0
                      ) -> Tuple[BaseConductanceConverter, float]:
    """A private converter and the model's ``g_max`` (µS).

    A given converter is deep-copied and its ``g_max`` wins; otherwise a
    :class:`SinglePairConductanceConverter` with ``g_max`` (default ``default_g_max``).
    """
    if g_converter is None:
        g_converter = SinglePairConductanceConverter(
            g_max=default_g_max if g_max is None else g_max)
    elif not isinstance(g_converter, BaseConductanceConverter):
        raise InferenceArgumentError(f"{owner}: g_converter must be a BaseConductanceConverter,"
                                     f" got {type(g_converter).__name__}")
    else:
        g_converter = copy.deepcopy(g_converter)
    value = getattr(g_converter, "g_max", g_max)
    if value is None:
        raise InferenceArgumentError(f"{owner}: g_max is needed (neither given nor defined "
                                     "by the converter)")
    return g_converter, check_number(owner, "g_max", value, minimum=0.0, strict=True)


def resolve_prog_coeff(owner: str, prog_coeff: Optional[Sequence[float]],
                       default_coeff: Sequence[float], default_reference: float, g_max: float,
                       g_max_reference: Optional[float]) -> Tuple[List[float], float]:
    """Programming-noise coefficients and the ``g_max`` they were fitted at.

    The default fit keeps its own reference conductance; user coefficients refer to
    ``g_max``; an explicit ``g_max_reference`` overrides both.
    """
    if prog_coeff is None:
        coeffs, reference = list(default_coeff), default_reference
    else:
        coeffs, reference = check_coefficients(owner, "prog_coeff", prog_coeff), g_max
    if g_max_reference is not None:
        reference = g_max_reference
    return coeffs, check_number(owner, "prog_coeff_g_max_reference", reference, minimum=0.0,
                                strict=True)


def check_scales(owner: str, **scales: Any) -> None:
    """Noise scales must be finite numbers ``>= 0``."""
    for name, value in scales.items():
        check_number(owner, name, value, minimum=0.0)


def poly_programming_noise(model: Any, g_target: Tensor, coeffs: Any, g_max: float,
                           g_ref: float, scale: float) -> Tensor:
    """``max(g_T + scale * poly(g_T / g_max) * g_max / g_ref * xi, 0)`` (µS)."""
    sigma = polyval(coeffs, g_target / g_max) * (g_max / g_ref)
    return (g_target + scale * sigma * model._randn_like(g_target)).clamp(min=0.0)


def abs_normal_nu(model: Any, mean: Any, std: Any, like: Tensor, drift_scale: float) -> Tensor:
    """Drift exponents ``|mean + std * xi| * drift_scale`` shaped like ``like``."""
    return (mean + std * model._randn_like(like)).abs() * drift_scale


def power_law_drift(g_prog: Tensor, nu: Any, t_inference: float, t_0: float) -> Tensor:
    """``g_prog * (t / t_0)^(-nu)`` with ``t = t_inference + t_0``; unchanged if ``t <= t_0``."""
    t_total = t_inference + t_0
    if t_total > t_0:
        if isinstance(nu, Tensor):
            nu = nu.to(device=g_prog.device, dtype=g_prog.dtype)
        return g_prog * torch.pow(torch.as_tensor(t_total / t_0, dtype=g_prog.dtype,
                                                  device=g_prog.device), -nu)
    return g_prog


def read_noise_time_factor(t_total: float, t_read: float) -> float:
    """``sqrt(ln((t + t_read) / (2 t_read)))``: growth of 1/f read noise with time."""
    return math.sqrt(math.log((t_total + t_read) / (2.0 * t_read)))
