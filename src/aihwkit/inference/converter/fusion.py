"""Converter for the Fusion chip: one device per weight, sign kept digitally."""

from typing import Any, Dict, List, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError
from aihwkit.inference._common import check_number
from aihwkit.inference.converter.base import BaseConductanceConverter, Conductances


class FusionConductanceConverter(BaseConductanceConverter):
    """Maps each output row to one device per weight: ``g = clip(|k_r W|, 0, g_max)``.

    ``k_r = g_max / max_j |W_rj|`` per row. Back conversion gives ``sgn(W_orig) g`` and then,
    per row, fits ``W_orig ~ a x + b`` by least squares (with intercept) and returns
    ``a x`` (slope only), which removes the scale error of the read conductances.

    Args:
        g_max: maximal conductance in µS, between 10 and 40 (default 40).

    Raises:
        ArgumentError: if ``g_max`` is outside ``[10, 40]``.
    """

    def __init__(self, g_max: float = 40) -> None:
        name = type(self).__name__
        value = check_number(name, "g_max", g_max)
        if not 10.0 <= value <= 40.0:
            raise ArgumentError(f"{name}: g_max = {g_max!r} must be between 10 and 40 µS")
        self.g_max = value

    def convert_to_conductances(self, weights: Tensor) -> Tuple[List[Tensor], Dict[str, Any]]:
        rows = weights.reshape(weights.shape[0], -1) if weights.dim() > 1 else weights[None]
        scale = self.g_max / rows.abs().max(dim=1, keepdim=True).values.clamp(min=1e-10)
        conductance = (rows * scale).abs().clamp(0.0, self.g_max).reshape(weights.shape)
        return [conductance], {"original_weights": weights.detach().clone()}

    def convert_back_to_weights(self, conductances: Conductances,
                                params: Dict[str, Any]) -> Tensor:
        if isinstance(conductances, (list, tuple)):
            conductances = conductances[0]
        original = params["original_weights"].to(conductances.device, conductances.dtype)
        shape = original.shape
        orig_rows = original.reshape(shape[0], -1) if original.dim() > 1 else original[None]
        signed = (torch.sign(orig_rows) * conductances.reshape(orig_rows.shape))
        x_centered = signed - signed.mean(dim=1, keepdim=True)
        y_centered = orig_rows - orig_rows.mean(dim=1, keepdim=True)
        var = (x_centered * x_centered).sum(dim=1, keepdim=True)
        cov = (x_centered * y_centered).sum(dim=1, keepdim=True)
        # a constant regressor has no defined slope: its contribution is dropped (slope 0)
        slope = torch.where(var > 0, cov / torch.where(var > 0, var, torch.ones_like(var)),
                            torch.zeros_like(var))
        return (slope * signed).reshape(shape)
