"""Argument checks of the tile API: numbers, integers and finite tensors.

Every check raises :class:`~aihwkit.exceptions.ArgumentError` (tensors handed to a tile:
:class:`~aihwkit.exceptions.TileError`) naming the argument and the allowed range, and
is called before anything is changed.
"""

import math
from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError, TileError


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


def check_finite(name: str, tensor: Tensor) -> Tensor:
    """Raise :class:`TileError` when ``tensor`` holds NaN or an infinity.

    Inside ``torch.compile`` the check is an asynchronous assertion in the graph (it
    raises a ``RuntimeError`` naming ``name``): a host read would break the graph.
    """
    if _is_compiling():
        torch._assert_async(torch.isfinite(tensor).all(),  # pylint: disable=protected-access
                            f"{name} holds NaN or infinite values")
        return tensor
    if tensor.numel() and not bool(torch.isfinite(tensor).all()):
        raise TileError(f"{name} holds NaN or infinite values: nothing was changed")
    return tensor


def _is_compiling() -> bool:
    """True while ``torch.compile`` traces the caller (torch releases without
    ``torch.compiler.is_compiling`` never trace through here)."""
    probe = getattr(getattr(torch, "compiler", None), "is_compiling", None)
    return bool(probe()) if probe is not None else False


def autocast_input(x: Any, dtype: torch.dtype) -> Any:
    """Inside a ``torch.autocast`` region for ``x``'s device, a floating point ``x`` is
    cast to the tile's compute ``dtype`` (``runtime.data_type``): autocast lowers the
    precision of digital layers, the analog tile keeps the precision it simulates and
    returns its output in ``dtype``. Elsewhere ``x`` is returned unchanged (and dtype
    mismatches are reported by the tile's input checks)."""
    if not isinstance(x, Tensor) or not x.is_floating_point() or x.dtype == dtype:
        return x
    try:
        enabled = torch.is_autocast_enabled(x.device.type)
    except TypeError:  # torch releases before 2.4 take no device type
        enabled = (torch.is_autocast_cpu_enabled() if x.device.type == "cpu"
                   else torch.is_autocast_enabled())
    return x.to(dtype) if enabled else x
