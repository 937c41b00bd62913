"""Type and finiteness checks of every configuration field, run when a tile is built.

Each dataclass field is checked against the kind of its declared default (or its type
annotation when the default is ``None``, or is an integer for a field annotated ``float``):

* ``bool`` fields take only ``True``/``False``;
* ``int`` fields take integers (or floats with an integral value);
* ``float`` fields take finite real numbers (``inf`` only where the default is
  infinite; never NaN);
* ``str`` fields take strings, enum fields members of their enum;
* nested configurations and lists of them are checked recursively.

Range checks that depend on the model (``dw_min > 0`` and the like) are made by the
engine part that uses the field; this module catches wrong kinds of values early and
names the field.
"""

import copy
import enum
import functools
import math
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Callable, Optional

from aihwkit.exceptions import ConfigError


def validate_config_fields(config: Any, path: Optional[str] = None) -> None:
    """Raise :class:`ConfigError` naming ``Class.field`` (and its path from the top
    config) for the first ill-typed field.

    Args:
        config: a configuration dataclass (anything else is ignored).
        path: name used for ``config`` in messages (default: its class name).
    """
    if not is_dataclass(config) or isinstance(config, type):
        return
    where = path or type(config).__name__
    hints = _hints(type(config))
    for fld in fields(config):
        if not hasattr(config, fld.name):
            continue
        value = getattr(config, fld.name)
        name = f"{where}.{fld.name}"
        label = f"{type(config).__name__}.{fld.name}"
        if label != name:
            label = f"{label} (at {name})"
        _check_value(label, value, _default_of(fld), hints.get(fld.name))
        if is_dataclass(value) and not isinstance(value, type):
            validate_config_fields(value, name)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                validate_config_fields(item, f"{name}[{index}]")


@functools.lru_cache(maxsize=None)
def _hints(klass: type) -> dict:
    try:
        return typing.get_type_hints(klass)
    except Exception:  # pylint: disable=broad-except
        return {}


def _default_of(fld: Any) -> Any:
    if fld.default is not MISSING:
        return fld.default
    if fld.default_factory is not MISSING:  # type: ignore[misc]
        try:
            return fld.default_factory()  # type: ignore[misc]
        except Exception:  # pylint: disable=broad-except
            return None
    return None


def _fail(label: str, value: Any, allowed: str) -> None:
    owner, _, where = label.partition(" (at ")
    suffix = f" (at {where}" if where else ""
    raise ConfigError(f"{owner} = {value!r} is invalid: must be {allowed}{suffix}")


def _kind_from_hint(hint: Any) -> Optional[type]:
    """``float``/``int``/``bool``/``str`` for ``Optional[X]`` hints, else ``None``."""
    if hint in (float, int, bool, str):
        return hint
    args = [arg for arg in getattr(hint, "__args__", ()) if arg is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1 \
            and args[0] in (float, int, bool, str):
        return args[0]
    return None


def _check_value(name: str, value: Any, default: Any, hint: Any) -> None:
    if isinstance(default, enum.Enum):
        if not isinstance(value, type(default)):
            members = ", ".join(f"{type(default).__name__}.{m.name}" for m in type(default))
            _fail(name, value, f"one of {members}")
        return
    kind: Optional[type] = None
    if isinstance(default, bool):
        kind = bool
    elif isinstance(default, int):
        # ``x: float = 0`` declares a real number despite its integer default
        kind = float if _kind_from_hint(hint) is float else int
    elif isinstance(default, float):
        kind = float
    elif isinstance(default, str):
        kind = str
    elif default is None and value is not None:
        kind = _kind_from_hint(hint)
    if kind is None:
        return
    if kind is bool:
        if not isinstance(value, bool):
            _fail(name, value, "True or False")
        return
    if kind is str:
        if not isinstance(value, str):
            _fail(name, value, "a string")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # numpy scalars and one-element tensors convert cleanly
        if not (hasattr(value, "item") and getattr(value, "ndim", 0) == 0):
            _fail(name, value, "an integer" if kind is int else "a real number")
        value = value.item()
        if isinstance(value, bool):
            _fail(name, value, "a number")
    if kind is int:
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            _fail(name, value, "an integer")
        return
    if math.isnan(value):
        _fail(name, value, "a finite number (not NaN)")
    if math.isinf(value) and not (isinstance(default, float) and math.isinf(default)):
        _fail(name, value, "a finite number")


def unchanged_since_passed(check: Callable[..., None]) -> Callable[..., None]:
    """Wrap ``check(config, *args, **kwargs)`` of a flat configuration dataclass (fields
    of numbers, strings, enums and lists of them) so that it is skipped while the
    config's class, its field values and the arguments equal those of the last call that
    passed. Lists are compared by value (a copy is kept), so changing a field in place
    or assigning it runs the check again; per-call checks of the forward path then cost
    one tuple comparison."""
    last: list = [None]

    @functools.wraps(check)
    def checked(config: Any, *args: Any, **kwargs: Any) -> None:
        values = tuple(vars(config).values())
        key = (type(config), args, tuple(kwargs.items()), values)
        if key == last[0]:
            return
        check(config, *args, **kwargs)
        last[0] = key[:3] + (tuple(copy.copy(v) if type(v) is list else v for v in values),)
    return checked
