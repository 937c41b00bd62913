"""Update operands and forward inputs that the caller has already found finite, per thread.

The analog optimizers test every stored trace of a step for NaN and infinities before
anything changes; the engines test their update operands again, since they can be called
on their own. Inside a :class:`KnownFinite` block the engine's own test is skipped for
exactly those tensors (by identity: a tensor derived from them is tested as usual).
"""

import threading
from types import TracebackType
from typing import Optional, Tuple, Type

from torch import Tensor


class _Known(threading.local):
    """The operand pair of this thread's innermost :class:`KnownFinite` block."""

    pair: Tuple[Optional[Tensor], Optional[Tensor]] = (None, None)


_KNOWN = _Known()


class KnownFinite:
    """Context manager: ``x`` and ``d`` hold only finite values while inside (the caller
    has tested them and does not change them)."""

    __slots__ = ("pair", "previous")

    def __init__(self, x: Tensor, d: Tensor) -> None:
        self.pair = (x, d)
        self.previous: Tuple[Optional[Tensor], Optional[Tensor]] = (None, None)

    def __enter__(self) -> "KnownFinite":
        self.previous = _KNOWN.pair
        _KNOWN.pair = self.pair
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        _KNOWN.pair = self.previous


class _Inputs(threading.local):
    """The forward inputs of this thread's innermost :class:`KnownFiniteInputs` block."""

    tensors: Tuple[Tensor, ...] = ()


_INPUTS = _Inputs()


class KnownFiniteInputs:
    """Context manager: the forward inputs ``tensors`` hold only finite values while
    inside (e.g. the input splits of a tile array that tested the whole input once)."""

    __slots__ = ("tensors", "previous")

    def __init__(self, tensors: Tuple[Tensor, ...]) -> None:
        self.tensors = tuple(tensors)
        self.previous: Tuple[Tensor, ...] = ()

    def __enter__(self) -> "KnownFiniteInputs":
        self.previous = _INPUTS.tensors
        _INPUTS.tensors = self.tensors
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        _INPUTS.tensors = self.previous


def known_finite_input(x: Tensor) -> bool:
    """Whether ``x`` is one of the very tensors of the enclosing
    :class:`KnownFiniteInputs` block."""
    return any(x is tensor for tensor in _INPUTS.tensors)


def known_finite(x: Tensor, d: Tensor) -> bool:
    """Whether ``x`` and ``d`` are the very tensors of the enclosing
    :class:`KnownFinite` block."""
    known_x, known_d = _KNOWN.pair
    return x is known_x and d is known_d
