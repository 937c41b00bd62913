"""Conductance converters: one or several device pairs, custom pairs, a single device.

Units: conductances in µS, weights unitless. Every converter uses one scale for the
whole tile matrix.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from aihwkit.inference._common import InferenceArgumentError, check_number, interp
from aihwkit.inference.converter.base import BaseConductanceConverter, Conductances

_MIN_AMAX = 1e-7


def _check_range(owner: str, g_max: float, g_min: float) -> None:
    check_number(owner, "g_max", g_max, minimum=0.0, strict=True)
    check_number(owner, "g_min", g_min, minimum=0.0)
    if g_min >= g_max:
        raise InferenceArgumentError(
            f"{owner}: g_min = {g_min} must be smaller than g_max = {g_max}")


def _amax(weights: Tensor) -> Tensor:
    return weights.abs().max().clamp(min=_MIN_AMAX) if weights.numel() else \
        torch.tensor(_MIN_AMAX, dtype=weights.dtype, device=weights.device)


class SinglePairConductanceConverter(BaseConductanceConverter):
    """One differential pair per weight: ``w = (g+ - g-) / k``.

    ``k = (g_max - g_min) / max|W|``; positive weights go to ``g+``, negative ones to
    ``g-``, the other device stays at ``g_min``.

    Args:
        g_max: maximal conductance in µS (default 25.0).
        g_min: minimal conductance in µS (default 0.0).

    Raises:
        ArgumentError: (also a ``ValueError``) if ``g_max <= 0``, ``g_min < 0`` or
            ``g_min >= g_max``.
    """

    def __init__(self, g_max: Optional[float] = None, g_min: Optional[float] = None) -> None:
        self.g_max = 25.0 if g_max is None else float(g_max)
        self.g_min = 0.0 if g_min is None else float(g_min)
        _check_range(type(self).__name__, self.g_max, self.g_min)

    def __str__(self) -> str:
        return f"{type(self).__name__}(g_max={self.g_max:.2f}, g_min={self.g_min:.2f})"

    __repr__ = __str__

    def convert_to_conductances(self, weights: Tensor) -> Tuple[List[Tensor], Dict[str, Any]]:
        scale_ratio = (self.g_max - self.g_min) / _amax(weights)
        scaled = weights * scale_ratio
        g_plus = scaled.clamp(0.0, self.g_max) + self.g_min
        g_minus = (-scaled).clamp(0.0, self.g_max) + self.g_min
        return [g_plus, g_minus], {"scale_ratio": scale_ratio}

    def convert_back_to_weights(self, conductances: Conductances,
                                params: Dict[str, Any]) -> Tensor:
        g_plus, g_minus = _pair_list(type(self).__name__, conductances, 2)
        return ((g_plus - self.g_min) - (g_minus - self.g_min)) / params["scale_ratio"]


class NPairConductanceConverter(BaseConductanceConverter):
    """Several differential pairs of significance ``f_lst`` (least significant first).

    ``k = sum(f) * (g_max - g_min) / max|W|`` and ``u = k W``. Pair ``i`` covers the slice
    ``[L_i, L_i + f_i (g_max - g_min)]`` of ``|u|`` (``L_0 = 0``): the lower pair saturates
    before the next is used. Conductance list order ``[g+_0, g-_0, g+_1, g-_1, ...]``;
    ``w = sum_i f_i (g+_i - g-_i) / k``.

    Args:
        f_lst: significance factors (a list of positive numbers).
        g_max: maximal conductance in µS (default 25.0).
        g_min: minimal conductance in µS (default 0.0).
    """

    def __init__(self, f_lst: List[float], g_max: Optional[float] = None,
                 g_min: Optional[float] = None) -> None:
        name = type(self).__name__
        if not isinstance(f_lst, (list, tuple)) or len(f_lst) == 0:
            raise InferenceArgumentError(f"{name}: f_lst must be a non-empty list, "
                                         f"got {f_lst!r}")
        self.f_lst = [check_number(name, f"f_lst[{i}]", f, minimum=0.0, strict=True)
                      for i, f in enumerate(f_lst)]
        self.g_max = 25.0 if g_max is None else float(g_max)
        self.g_min = 0.0 if g_min is None else float(g_min)
        _check_range(name, self.g_max, self.g_min)

    def convert_to_conductances(self, weights: Tensor) -> Tuple[List[Tensor], Dict[str, Any]]:
        g_span = self.g_max - self.g_min
        scale_ratio = sum(self.f_lst) * g_span / _amax(weights)
        scaled = weights * scale_ratio
        positive, negative = scaled.clamp(min=0.0), (-scaled).clamp(min=0.0)
        conductances: List[Tensor] = []
        offset = 0.0
        for factor in self.f_lst:
            for part in (positive, negative):
                conductances.append(((part - offset) / factor + self.g_min)
                                    .clamp(self.g_min, self.g_max))
            offset += factor * g_span
        return conductances, {"scale_ratio": scale_ratio, "f_lst": list(self.f_lst)}

    def convert_back_to_weights(self, conductances: Conductances,
                                params: Dict[str, Any]) -> Tensor:
        f_lst = params.get("f_lst", self.f_lst)
        pairs = _pair_list(type(self).__name__, conductances, 2 * len(f_lst))
        total = torch.zeros_like(pairs[0])
        for i, factor in enumerate(f_lst):
            total = total + factor * (pairs[2 * i] - pairs[2 * i + 1])
        return total / params["scale_ratio"]


class DualPairConductanceConverter(NPairConductanceConverter):
    """Two differential pairs (an :class:`NPairConductanceConverter` with two factors).

    Raises:
        ArgumentError: (also a ``ValueError``) if ``f_lst`` does not have two entries.
    """

    def __init__(self, f_lst: List[float], g_max: Optional[float] = None,
                 g_min: Optional[float] = None) -> None:
        if not isinstance(f_lst, (list, tuple)) or len(f_lst) != 2:
            raise InferenceArgumentError(
                f"{type(self).__name__}: f_lst must hold exactly 2 factors, got {f_lst!r}")
        super().__init__(f_lst, g_max, g_min)


class CustomPairConductanceConverter(BaseConductanceConverter):
    """Device pairs whose conductances follow tabulated curves.

    ``g_lst`` holds ``2 * len(f_lst)`` lists (order ``[g+_0, g-_0, g+_1, ...]``), each the
    conductance (µS) of one device at ``n`` equally spaced weight grid points. With
    ``U_j = sum_i f_i (g+_i[j] - g-_i[j])`` and ``k = max|U| / max|W|`` the grid is
    ``w_j = linspace(-max|U|, max|U|, n) / k``; each device conductance is interpolated
    linearly at ``W``. ``w = sum_i f_i (g+_i - g-_i) / k``.

    Args:
        f_lst: significance factors (positive numbers).
        g_lst: the tabulated conductances (list of equally long lists, ``n >= 2``).
        g_max: maximal conductance in µS (default: largest value in ``g_lst``).
        g_min: minimal conductance in µS (default: smallest value in ``g_lst``).
        invertibility_test: check that the tables are invertible on ``linspace(-1, 1, 5)``.

    Raises:
        ArgumentError: (also a ``ValueError``) on badly structured lists or values
            outside ``[g_min, g_max]``.
        ArithmeticError: if the invertibility test fails.
    """

    def __init__(self, f_lst: List[float], g_lst: List[List[float]],
                 g_max: Optional[float] = None, g_min: Optional[float] = None,
                 invertibility_test: bool = True) -> None:
        name = type(self).__name__
        if not isinstance(f_lst, (list, tuple)) or len(f_lst) == 0:
            raise InferenceArgumentError(f"{name}: f_lst must be a non-empty list")
        self.f_lst = [check_number(name, f"f_lst[{i}]", f, minimum=0.0, strict=True)
                      for i, f in enumerate(f_lst)]
        if (not isinstance(g_lst, (list, tuple))
                or not all(isinstance(g, (list, tuple)) for g in g_lst)):
            raise InferenceArgumentError(f"{name}: g_lst must be a list of lists")
        if len(g_lst) != 2 * len(self.f_lst):
            raise InferenceArgumentError(
                f"{name}: g_lst needs 2 * len(f_lst) = {2 * len(self.f_lst)} lists, "
                f"got {len(g_lst)}")
        lengths = {len(g) for g in g_lst}
        if len(lengths) != 1 or lengths.pop() < 2:
            raise InferenceArgumentError(f"{name}: the lists of g_lst must have one common "
                                         "length >= 2")
        self.g_lst = [[check_number(name, "g_lst entry", v) for v in g] for g in g_lst]
        flat = [v for g in self.g_lst for v in g]
        self.g_max = max(flat) if g_max is None else float(g_max)
        self.g_min = min(flat) if g_min is None else float(g_min)
        _check_range(name, self.g_max, self.g_min)
        if min(flat) < self.g_min or max(flat) > self.g_max:
            raise InferenceArgumentError(
                f"{name}: g_lst values must lie in [g_min, g_max] = [{self.g_min}, {self.g_max}]")
        self.invertibility_test = bool(invertibility_test)
        if self.invertibility_test:
            self._test_invertibility()

    def _unit_table(self) -> Tensor:
        table = torch.tensor(self.g_lst, dtype=torch.float64)
        factors = torch.tensor(self.f_lst, dtype=torch.float64)
        return (factors[:, None] * (table[0::2] - table[1::2])).sum(0)

    def _test_invertibility(self) -> None:
        weights = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
        conductances, params = self.convert_to_conductances(weights)
        restored = self.convert_back_to_weights(conductances, params)
        if not torch.allclose(restored, weights, atol=1e-4, rtol=0.0):
            raise ArithmeticError(
                f"{type(self).__name__}: the conductance tables are not invertible "
                f"(weights {weights.tolist()} come back as {restored.tolist()})")

    def convert_to_conductances(self, weights: Tensor) -> Tuple[List[Tensor], Dict[str, Any]]:
        u_max = self._unit_table().abs().max().item()
        if u_max <= 0.0:
            raise InferenceArgumentError(
                f"{type(self).__name__}: g_lst encodes no weight (all pair differences 0)")
        scale_ratio = u_max / _amax(weights)
        n_points = len(self.g_lst[0])
        grid = torch.linspace(-u_max, u_max, n_points, dtype=weights.dtype,
                              device=weights.device) / scale_ratio
        conductances = [interp(weights, grid, torch.tensor(g, dtype=weights.dtype))
                        for g in self.g_lst]
        return conductances, {"scale_ratio": scale_ratio, "f_lst": list(self.f_lst)}

    def convert_back_to_weights(self, conductances: Conductances,
                                params: Dict[str, Any]) -> Tensor:
        pairs = _pair_list(type(self).__name__, conductances, 2 * len(self.f_lst))
        total = torch.zeros_like(pairs[0])
        for i, factor in enumerate(self.f_lst):
            total = total + factor * (pairs[2 * i] - pairs[2 * i + 1])
        return total / params["scale_ratio"]


class SingleDeviceConductanceConverter(BaseConductanceConverter):
    """One device per weight with an affine map onto ``[g_min, g_max]``.

    ``g = (W - min W) k + g_min`` with ``k = (g_max - g_min) / (max W - min W)``.
    Returns a single tensor (not a list).

    Args:
        g_max: maximal conductance in µS (default 88.199997).
        g_min: minimal conductance in µS (default 9.0).
    """

    def __init__(self, g_max: Optional[float] = None, g_min: Optional[float] = None) -> None:
        self.g_max = 88.199997 if g_max is None else float(g_max)
        self.g_min = 9.0 if g_min is None else float(g_min)
        _check_range(type(self).__name__, self.g_max, self.g_min)

    def convert_to_conductances(self, weights: Tensor) -> Tuple[Tensor, Dict[str, Any]]:
        w_min = weights.min()
        span = (weights.max() - w_min).clamp(min=_MIN_AMAX)
        scale_ratio = (self.g_max - self.g_min) / span
        conductance = (weights - w_min) * scale_ratio + self.g_min
        return conductance, {"scale_ratio": scale_ratio, "min": w_min}

    def convert_back_to_weights(self, conductances: Conductances,
                                params: Dict[str, Any]) -> Tensor:
        if isinstance(conductances, (list, tuple)):
            conductances = torch.stack(list(conductances))
        return params["min"] + (conductances - self.g_min) / params["scale_ratio"]


def _pair_list(owner: str, conductances: Conductances, count: int) -> Sequence[Tensor]:
    if isinstance(conductances, Tensor) or len(conductances) != count:
        got = "a tensor" if isinstance(conductances, Tensor) else f"{len(conductances)} tensors"
        raise InferenceArgumentError(f"{owner}: expected a list of {count} conductance "
                                     f"tensors, got {got}")
    return conductances
