"""Checks of numeric arguments handed to engine and tile methods.

Each raises :class:`~aihwkit.exceptions.ArgumentError` naming the argument and the allowed
range, before anything is changed.
"""

import math
from typing import Any, Optional

from torch import Tensor

from aihwkit.exceptions import ArgumentError


def check_real(name: str, value: Any, minimum: Optional[float] = None,
               maximum: Optional[float] = None, strict_minimum: bool = False) -> float:
    """``value`` as a finite float within ``[minimum, maximum]``.

    Accepts Python and numpy numbers and one-element tensors; rejects booleans, strings,
    NaN and infinities.
    """
    if isinstance(value, Tensor):
        if value.numel() != 1 or value.is_complex():
            raise ArgumentError(f"{name} must be a real number, got a tensor of shape "
                                f"{tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise ArgumentError(f"{name} must be a real number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise ArgumentError(f"{name} must be finite, got {value!r}")
    if minimum is not None and (number < minimum or (strict_minimum and number == minimum)):
        rel = ">" if strict_minimum else ">="
        raise ArgumentError(f"{name} must be {rel} {minimum}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ArgumentError(f"{name} must be <= {maximum}, got {value!r}")
    return number


def check_integer(name: str, value: Any, minimum: Optional[int] = None) -> int:
    """``value`` as an int ``>= minimum`` (booleans and floats are rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if not (hasattr(value, "__index__") and not isinstance(value, (float, Tensor))):
            raise ArgumentError(f"{name} must be an integer, got {value!r}")
        value = int(value.__index__())
    if minimum is not None and value < minimum:
        raise ArgumentError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
