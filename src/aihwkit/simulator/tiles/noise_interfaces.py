"""What inference tiles require of a noise model and of a drift compensation.

Tiles sit below :mod:`aihwkit.inference` and do not import it: a noise model is any
object with ``apply_programming_noise(weights)`` and ``apply_drift_noise(weights,
parameters, t_inference)``; a drift compensation any object with ``init_baseline(tile)``,
``apply(readout, baseline)`` and ``get_readout_tensor(in_size)``. The classes of
:mod:`aihwkit.inference` (``BaseNoiseModel``, ``BaseDriftCompensation``) provide them.
"""

import math
from abc import ABC
from typing import Any

from aihwkit.exceptions import ArgumentError

_NOISE_METHODS = ("apply_programming_noise", "apply_drift_noise")
_COMPENSATION_METHODS = ("init_baseline", "apply", "get_readout_tensor")


def _has_methods(obj: Any, names: Any) -> bool:
    return all(callable(getattr(obj, name, None)) for name in names)


class NoiseModelInterface(ABC):
    """``isinstance(obj, NoiseModelInterface)`` is true for every object with the noise
    model methods (structural check)."""

    @classmethod
    def __subclasshook__(cls, klass: type) -> Any:
        if cls is NoiseModelInterface:
            return _has_methods(klass, _NOISE_METHODS) or NotImplemented
        return NotImplemented


class DriftCompensationInterface(ABC):
    """``isinstance(obj, DriftCompensationInterface)`` is true for every object with the
    drift compensation methods (structural check)."""

    @classmethod
    def __subclasshook__(cls, klass: type) -> Any:
        if cls is DriftCompensationInterface:
            return _has_methods(klass, _COMPENSATION_METHODS) or NotImplemented
        return NotImplemented


def check_time(owner: str, name: str, value: Any) -> float:
    """A time in seconds: a finite real number ``>= 0``.

    Raises:
        ArgumentError: for other values (the message names ``owner`` and ``name``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            and not (hasattr(value, "item") and getattr(value, "numel", lambda: 0)() == 1):
        raise ArgumentError(f"{owner}: {name} must be a real number >= 0, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ArgumentError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return number
