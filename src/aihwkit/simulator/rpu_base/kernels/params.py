"""Typed per-crosspoint parameters of the pulse rules, as device models hand them to kernels.

A pulsed device engine's ``pulse_params()`` returns one of these containers: the bounds
``lo``/``hi`` and the tensors its per-pulse rule and moment map read, all of one shape:
``[d_size, x_size]`` as built, ``[d_size * x_size]`` after :meth:`PulseParams.flat`,
``[M]`` after :meth:`PulseParams.select`. Values are in weight units unless stated.
Containers are frozen, and nothing is validated when they are built or read: kernels
read the fields as plain attributes.

Pairs ``x_mid``/``x_half`` select a direction without a branch: ``x_mid + sign x_half``
is the up value for ``sign = +1`` and the down value for ``sign = -1``.
"""

import sys
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, TypeVar, Union

import torch
from torch import Tensor

Index = Union[Tensor, slice]
ParamsT = TypeVar("ParamsT", bound="PulseParams")

# frozen and compared by identity; slotted where dataclasses can (Python 3.10 on)
_frozen = dataclass(frozen=True, eq=False, slots=True) if sys.version_info >= (3, 10) \
    else dataclass(frozen=True, eq=False)

# per container class: its field names and a getter of all its values (in field order)
_LAYOUT: Dict[type, Tuple[Tuple[str, ...], Callable[[Any], Tuple[Any, ...]]]] = {}


def _layout(cls: type) -> Tuple[Tuple[str, ...], Callable[[Any], Tuple[Any, ...]]]:
    found = _LAYOUT.get(cls)
    if found is None:
        names = tuple(cls.__dataclass_fields__)   # type: ignore[attr-defined]
        found = _LAYOUT[cls] = (names, attrgetter(*names))
    return found


@_frozen
class PulseParams:
    """Bounds of every crosspoint; the container of models without further fields.

    Attributes:
        lo: lower bound ``b-``.
        hi: upper bound ``b+``.
    """

    lo: Tensor
    hi: Tensor

    @classmethod
    def names(cls) -> Tuple[str, ...]:
        """Field names in construction order (those of the base classes first)."""
        return _layout(cls)[0]

    def values(self) -> Tuple[Optional[Tensor], ...]:
        """Field values in the order of :meth:`names` (``None`` for absent optional ones)."""
        return _layout(type(self))[1](self)

    def items(self) -> Iterator[Tuple[str, Tensor]]:
        """``(name, tensor)`` of every present field."""
        for name, value in zip(self.names(), self.values()):
            if value is not None:
                yield name, value

    def apply(self: ParamsT, fn: Callable[[Tensor], Tensor]) -> ParamsT:
        """A container of the same type with ``fn`` applied to every present field."""
        return type(self)(*[None if value is None else fn(value) for value in self.values()])

    def flat(self: ParamsT) -> ParamsT:
        """Every field as a flat ``[d_size * x_size]`` view (storage shared)."""
        return self.apply(_flatten)

    def select(self: ParamsT, index: Index) -> ParamsT:
        """The crosspoints ``index`` of the first dimension (flat crosspoint indices for
        :meth:`flat` parameters): a tensor index gathers copies, a slice gives views."""
        return type(self)(*[None if value is None else value[index]
                            for value in self.values()])


def _flatten(value: Tensor) -> Tensor:
    return value.reshape(-1)


def directed(mid: Tensor, half: Tensor, sign: Tensor) -> Tensor:
    """``mid + sign half`` of a ``x_mid``/``x_half`` pair: the up value where ``sign``
    is +1, the down value where it is -1."""
    return torch.addcmul(mid, sign, half)


@_frozen
class SignedStepParams(PulseParams):
    """Bounds and the weight-independent part of the signed steps.

    Attributes:
        step_up: step of one up pulse ``D+`` (negative: reversed).
        step_down: step of one down pulse ``-D-`` (positive: reversed).
    """

    step_up: Tensor
    step_down: Tensor


@_frozen
class ConstantStepParams(SignedStepParams):
    """ConstantStep: ``n`` signed pulses move the mean by ``n mid + |n| half`` and add the
    variance ``|n| var_mid + n var_half`` (one pulse: step ``half + sign mid``).

    Attributes:
        mid: ``(D+ + D-) / 2``.
        half: ``(D+ - D-) / 2``.
        var_mid: ``(v+ + v-) / 2`` with ``v = (dw_min_std D)^2`` (weight units squared).
        var_half: ``(v+ - v-) / 2`` (weight units squared).
    """

    mid: Tensor
    half: Tensor
    var_mid: Tensor
    var_half: Tensor


@_frozen
class PiecewiseStepParams(SignedStepParams):
    """PiecewiseStep.

    Attributes:
        size_mid: ``(D+ - D-) / 2``; with ``size_half`` the step scale ``D+`` or ``-D-``.
        size_half: ``(D+ + D-) / 2``.
        inv_span: segments per weight unit, ``N / (b+ - b-)`` (0 without range).
    """

    size_mid: Tensor
    size_half: Tensor
    inv_span: Tensor


@_frozen
class ExpStepParams(PulseParams):
    """ExpStep.

    Attributes:
        step_mid: ``(D+ - D-) / 2``; with ``step_half`` the signed size ``D+`` or ``-D-``
            (0 without range).
        step_half: ``(D+ + D-) / 2``.
        z_scale: ``2 a / (b+ - b-)`` per weight unit (0 without range).
        live: 1 where ``b+ > b-``, else 0 (dimensionless).
    """

    step_mid: Tensor
    step_half: Tensor
    z_scale: Tensor
    live: Tensor


@_frozen
class PowStepParams(PulseParams):
    """PowStep and PowStepReference.

    Attributes:
        size_mid: ``(D+ + D-) / 2``; with ``size_half`` the size ``D+`` or ``D-``.
        size_half: ``(D+ - D-) / 2``.
        gamma_mid: ``(g+ + g-) / 2`` (dimensionless exponents).
        gamma_half: ``(g+ - g-) / 2``.
        center: ``(b+ + b-) / 2``.
        half_span: ``(b+ - b-) / 2``.
        inv_span: ``1 / (b+ - b-)`` per weight unit (0 without range).
        live: 1 where ``b+ != b-``, else 0 (dimensionless).
    """

    size_mid: Tensor
    size_half: Tensor
    gamma_mid: Tensor
    gamma_half: Tensor
    center: Tensor
    half_span: Tensor
    inv_span: Tensor
    live: Tensor


@_frozen
class AffineParams(PulseParams):
    """Affine pulse maps ``w + a w + c`` (LinearStep, SoftBounds, SoftBoundsReference) and
    the constants of their n-pulse moment maps
    (:mod:`aihwkit.simulator.rpu_base.devices._affine`).

    Attributes:
        a_mid, a_half: slope ``a`` per pulse (dimensionless).
        c_mid, c_half: constant ``c`` per pulse.
        lr_mid, lr_half: ``log(1 + a)`` (0 where a crosspoint is ``exact``).
        T_mid, T_half: fixed point ``-c / a`` (0 where ``a = 0``).
        le_mid, le_half: ``log(1 + s^2 a^2 / (1 + a)^2)`` with ``s = dw_min_std``
            (multiplicative noise; ``None`` with additive noise).
        cv_mid, cv_half: ``s^2 c^2`` (additive noise only; weight units squared).
        ih_mid, ih_half: ``1 / ((1 + a)^2 - 1)`` (additive noise only; 0 where ``a = 0``).
        exact: 1 where a crosspoint always takes its pulses one at a time (steep slopes),
            else 0; ``None`` when there is no such crosspoint.
    """

    a_mid: Tensor
    a_half: Tensor
    c_mid: Tensor
    c_half: Tensor
    lr_mid: Tensor
    lr_half: Tensor
    T_mid: Tensor      # pylint: disable=invalid-name
    T_half: Tensor     # pylint: disable=invalid-name
    le_mid: Optional[Tensor]
    le_half: Optional[Tensor]
    cv_mid: Optional[Tensor]
    cv_half: Optional[Tensor]
    ih_mid: Optional[Tensor]
    ih_half: Optional[Tensor]
    exact: Optional[Tensor]


__all__ = ["PulseParams", "SignedStepParams", "ConstantStepParams", "PiecewiseStepParams",
           "ExpStepParams", "PowStepParams", "AffineParams", "Index", "ParamsT", "directed"]
