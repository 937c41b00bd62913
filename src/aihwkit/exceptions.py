"""Exceptions raised by the simulator, and small argument-check helpers.

Every error the package raises on purpose derives from :class:`AihwkitException`.
Configuration problems are :class:`ConfigError` (they name the field and the allowed
range); problems with tensors handed to a tile are :class:`TileError` or
:class:`ArgumentError`, raised before any state changes.
"""

from typing import Any, Iterable, Optional


class AihwkitException(Exception):
    """Base class of every exception raised by this package."""


class ModuleError(AihwkitException):
    """A problem with an analog ``torch.nn`` module."""


class TileError(AihwkitException):
    """A problem with an analog tile or the tensors handed to it."""


class TileModuleError(TileError):
    """A problem with a tile module."""


class ArgumentError(AihwkitException):
    """A function was called with an invalid argument."""


class CudaError(AihwkitException):
    """CUDA was asked for but is not available."""


class ConfigError(AihwkitException):
    """An RPU configuration is invalid, contradictory or not supported."""


class NotSimulatedError(ConfigError, NotImplementedError):
    """The configuration names something this version cannot simulate (e.g. the abstract
    ``UnitCell``); also a ``NotImplementedError`` as in aihwkit."""


class AnalogBiasConfigError(ConfigError):
    """The tile cannot hold an analog bias column."""


class TorchTileConfigError(ConfigError):
    """The torch inference tile does not support a setting of its configuration."""


class CloudError(AihwkitException):
    """A problem with exporting to a remote service."""


class FusionExportError(CloudError):
    """A problem with exporting to the Fusion chip format."""


def check_field(owner: str, name: str, value: Any, ok: bool, allowed: str) -> None:
    """Raise :class:`ConfigError` naming ``owner.name`` when ``ok`` is false.

    Args:
        owner: class name of the configuration object (e.g. ``"IOParameters"``).
        name: field name.
        value: offending value (shown in the message).
        ok: result of the check.
        allowed: human readable allowed range, e.g. ``">= 0"``.
    """
    if not ok:
        raise ConfigError(f"{owner}.{name} = {value!r} is invalid: must be {allowed}")


def check_non_negative(owner: str, obj: Any, names: Iterable[str]) -> None:
    """Raise :class:`ConfigError` when any of the named float fields is negative or NaN."""
    for name in names:
        value = getattr(obj, name)
        check_field(owner, name, value, _is_number(value) and value >= 0, "a number >= 0")


def check_choice(owner: str, name: str, value: Any, enum_type: type,
                 allowed: Optional[Iterable[Any]] = None) -> None:
    """Raise :class:`ConfigError` when ``value`` is not a member of ``enum_type``
    (or not among ``allowed`` members)."""
    if allowed is None and isinstance(value, enum_type):
        return
    members = list(allowed) if allowed is not None else list(enum_type)
    if value not in members:
        names = ", ".join(f"{enum_type.__name__}.{m.name}" for m in members)
        raise ConfigError(f"{owner}.{name} = {value!r} is invalid: must be one of {names}")


def _is_number(value: Any) -> bool:
    try:
        return float(value) == float(value)  # False for NaN
    except (TypeError, ValueError):
        return False
