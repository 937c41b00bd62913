"""Printing and attribute checks shared by every configuration dataclass."""

import importlib
from dataclasses import MISSING, field, fields, is_dataclass
from typing import Any, List

from aihwkit.exceptions import ConfigError


def _format_value(value: Any) -> str:
    if isinstance(value, list) and value:
        inner = ",\n".join(_indent(str(item)) for item in value)
        return "[\n" + inner + "\n]"
    return str(value)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.split("\n"))


def resolve_path(path: str) -> Any:
    """Import ``"package.module:Name"`` and return ``Name``."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def lazy_class(path: str, **kwargs: Any) -> Any:
    """A dataclass field whose default is the class at ``path``, imported on first use.

    Keeps configuration modules free of imports of tiles and engines.
    """
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["lazy_default"] = path
    return field(default=None, metadata=metadata, **kwargs)


def lazy_path(cls: type, fld: Any) -> Any:
    """Import path of a :func:`lazy_class` field, also when a mixin earlier in the class
    chain re-declared the field without it (dataclass inheritance keeps the first
    declaration); ``None`` for ordinary fields."""
    if "lazy_default" in fld.metadata:
        return fld.metadata["lazy_default"]
    for klass in cls.__mro__:
        own = vars(klass).get("__dataclass_fields__", {}).get(fld.name)
        if own is not None and "lazy_default" in own.metadata:
            return own.metadata["lazy_default"]
    return None


def resolve_lazy_fields(obj: Any) -> None:
    """Replace ``None`` in every :func:`lazy_class` field of ``obj`` by its class.

    A class that this version does not provide stays ``None``; building a tile from such
    a config raises :class:`ConfigError` then.
    """
    for fld in fields(obj):
        path = lazy_path(type(obj), fld)
        if path is not None and getattr(obj, fld.name) is None:
            try:
                setattr(obj, fld.name, resolve_path(path))
            except (ImportError, AttributeError):
                continue


def _is_hidden(obj: Any, fld: Any, value: Any) -> bool:
    """Whether a field is left out of the compact print of ``obj``."""
    path = lazy_path(type(obj), fld)
    if path is not None:
        try:
            return value is None or value is resolve_path(path)
        except (ImportError, AttributeError):
            return False
    if getattr(obj, "is_perfect", False) and fld.name != "is_perfect":
        return True
    if "hide_if" in fld.metadata and _equal(fld.metadata["hide_if"], value):
        return True
    if fld.metadata.get("always_show", False):
        return False
    default = _field_default(type(obj), fld)
    return default is not MISSING and _equal(default, value)


def _field_default(cls: type, fld: Any) -> Any:
    """The class default of a field; a ``default_factory`` default is built fresh."""
    if fld.default is not MISSING:
        return fld.default
    return MISSING


def _equal(left: Any, right: Any) -> bool:
    try:
        return bool(left == right)
    except Exception:  # e.g. tensors
        return False


class _PrintableMixin:
    """Compact ``str()``: only the fields that differ from their defaults, nested."""

    def __str__(self) -> str:
        parts: List[str] = []
        for fld in fields(self):  # type: ignore[arg-type]
            if not fld.repr:
                continue
            value = getattr(self, fld.name)
            if _is_hidden(self, fld, value):
                continue
            parts.append(f"{fld.name}={_format_value(value)}")
        name = type(self).__name__
        if len(parts) > 3 or any("\n" in part for part in parts):
            return name + "(\n" + ",\n".join(_indent(p) for p in parts) + "\n)"
        return name + "(" + ", ".join(parts) + ")"


def check_known_attributes(obj: Any, path: str = "") -> None:
    """Raise :class:`ConfigError` for instance attributes that are no dataclass field.

    Catches misspelt assignments such as ``rpu_config.forward.out_nosie = 0.1``, which
    a plain dataclass accepts silently. Walks nested dataclasses and lists of them.
    """
    if not is_dataclass(obj) or isinstance(obj, type):
        return
    names = {f.name for f in fields(obj)}
    ignore = set(getattr(obj, "bindings_ignore", ()))
    where = path or type(obj).__name__
    for key in vars(obj):
        if key.startswith("_"):
            continue
        if key not in names and key not in ignore:
            raise ConfigError(
                f"Cannot find '{key}' in params '{type(obj).__name__}' ({where}). "
                "Wrong attribute name?")
    for fld in fields(obj):
        value = getattr(obj, fld.name, None)
        if is_dataclass(value) and not isinstance(value, type):
            check_known_attributes(value, f"{where}.{fld.name}")
        elif isinstance(value, (list, tuple)):
            for idx, item in enumerate(value):
                check_known_attributes(item, f"{where}.{fld.name}[{idx}]")


def parameters_to_bindings(params: Any, data_type: Any = None, check_fields: bool = True) -> Any:
    """Validation entry point kept from the compiled engine's API.

    The engine reads the dataclass itself, so ``params`` is returned unchanged after
    checking (with ``check_fields``) that every attribute set on it, and on the
    dataclasses nested in it, is a field (``data_type`` is accepted for compatibility).

    Raises:
        ConfigError: an attribute is not a field (e.g. a misspelt assignment).
    """
    del data_type  # the engine chooses the dtype from the tile's runtime parameters
    if check_fields:
        check_known_attributes(params)
    return params


def tile_parameters_to_bindings(params: Any, data_type: Any = None) -> Any:
    """Like :func:`parameters_to_bindings` for a whole RPU config."""
    return parameters_to_bindings(params, data_type)
