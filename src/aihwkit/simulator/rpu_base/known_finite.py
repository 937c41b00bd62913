"""Update operands and forward inputs that the caller has already found finite, per thread.

The analog optimizers test every stored trace of a step for NaN and infinities before
anything changes; the engines test their update operands again, since they can be called
on their own. Inside a :class:`KnownFinite` block the engine's own test is skipped for
exactly those tensors (by identity: a tensor derived from them is tested as usual). A tile
array tests its whole forward input once; inside its :class:`KnownFiniteInputs` block the
tiles skip the test of their input splits.
"""

import threading
from types import TracebackType
from typing import Any, Optional, Tuple, Type

from torch import Tensor


class _Known(threading.local):
    """What this thread's innermost blocks declare finite: the update operand pair of
    :class:`KnownFinite` and the forward inputs of :class:`KnownFiniteInputs`."""

    pair: Tuple[Optional[Tensor], Optional[Tensor]] = (None, None)
    inputs: Tuple[Tensor, ...] = ()


_KNOWN = _Known()


class _Block:
    """Context manager that sets one field of :data:`_KNOWN` while inside."""

    __slots__ = ("field", "value", "previous")

    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        self.value = value
        self.previous: Any = None

    def __enter__(self) -> "_Block":
        self.previous = getattr(_KNOWN, self.field)
        setattr(_KNOWN, self.field, self.value)
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        setattr(_KNOWN, self.field, self.previous)


class KnownFinite(_Block):
    """Context manager: ``x`` and ``d`` hold only finite values while inside (the caller
    has tested them and does not change them)."""

    __slots__ = ()

    def __init__(self, x: Tensor, d: Tensor) -> None:
        super().__init__("pair", (x, d))


class KnownFiniteInputs(_Block):
    """Context manager: the forward inputs ``tensors`` hold only finite values while
    inside (e.g. the input splits of a tile array that tested the whole input once)."""

    __slots__ = ()

    def __init__(self, tensors: Tuple[Tensor, ...]) -> None:
        super().__init__("inputs", tuple(tensors))


def known_finite(x: Tensor, d: Tensor) -> bool:
    """Whether ``x`` and ``d`` are the very tensors of the enclosing
    :class:`KnownFinite` block."""
    known_x, known_d = _KNOWN.pair
    return x is known_x and d is known_d


def known_finite_input(x: Tensor) -> bool:
    """Whether ``x`` is one of the very tensors of the enclosing
    :class:`KnownFiniteInputs` block."""
    return any(x is tensor for tensor in _KNOWN.inputs)
