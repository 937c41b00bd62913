"""Configurations as plain data: ``config_to_dict`` and ``config_from_dict``.

A configuration (RPU config, IO/update parameters, devices, compounds with their lists
of devices, presets, noise models and drift compensations) becomes nested plain data
that ``torch.load(..., weights_only=True)`` reads back:

* a dataclass: ``{"__class__": "module:Name", "fields": {field: value, ...}}`` (every
  ``init`` field);
* an enum member: ``{"__enum__": "module:Name", "name": "MEMBER"}``;
* a class (``tile_class`` and similar fields): ``{"__type__": "module:Name"}``;
* another object with attributes (noise models, converters, compensations):
  ``{"__object__": "module:Name", "attrs": {...}}``;
* tuples ``{"__tuple__": [...]}``, dicts ``{"__dict__": {...}}``; lists, tensors,
  numbers, strings, booleans and ``None`` as they are.

Decoding imports classes only from modules of this package or modules that are already
imported, so loading data never runs foreign import side effects.
"""

import enum
import importlib
import sys
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Dict

import torch

from aihwkit.exceptions import ConfigError

_PLAIN = (bool, int, float, str, type(None), torch.Tensor)


def _path(obj_type: type) -> str:
    return f"{obj_type.__module__}:{obj_type.__qualname__}"


def _resolve(path: Any) -> Any:
    if not isinstance(path, str) or ":" not in path:
        raise ConfigError(f"stored configuration names an invalid class {path!r}")
    module_name, _, qualname = path.partition(":")
    if module_name.split(".")[0] != "aihwkit" and module_name not in sys.modules:
        raise ConfigError(f"stored configuration names {path}, whose module is not "
                          "imported: import it before loading")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"stored configuration names {path}, which this version does "
                          "not provide") from exc
    return target


def _importable(obj_type: Any) -> bool:
    module = sys.modules.get(getattr(obj_type, "__module__", ""), None)
    if module is None or "<locals>" in getattr(obj_type, "__qualname__", "<locals>"):
        return False
    target: Any = module
    for part in obj_type.__qualname__.split("."):
        target = getattr(target, part, None)
    return target is obj_type


def config_to_dict(config: Any) -> Any:
    """Plain-data form of ``config`` (see the module docstring).

    Objects that cannot be named by an import path (local classes, lambdas) are kept as
    they are; such a state then needs ``weights_only=False`` to load.
    """
    return _encode(config)


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return {"__enum__": _path(type(value)), "name": value.name}
    if isinstance(value, _PLAIN):
        return value.detach().clone() if isinstance(value, torch.Tensor) else value
    if isinstance(value, type):
        return {"__type__": _path(value)} if _importable(value) else value
    if is_dataclass(value):
        if not _importable(type(value)):
            return value
        data = {}
        for fld in fields(value):
            if fld.init and hasattr(value, fld.name):
                data[fld.name] = _encode(getattr(value, fld.name))
        return {"__class__": _path(type(value)), "fields": data}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item) for item in value]}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {"__dict__": {key: _encode(item) for key, item in value.items()}}
        return value
    if callable(value) and not hasattr(value, "__dict__"):
        return value
    if hasattr(value, "__dict__") and _importable(type(value)) \
            and not isinstance(value, torch.nn.Module):
        return {"__object__": _path(type(value)),
                "attrs": {key: _encode(item) for key, item in vars(value).items()}}
    return value


def config_from_dict(data: Any) -> Any:
    """Rebuild a configuration from :func:`config_to_dict` data.

    Dataclasses are constructed through their ``__init__`` (missing fields take their
    defaults). A stored field the class does not have raises :class:`ConfigError`.
    """
    return _decode(data)


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__enum__" in value:
        enum_type = _resolve(value["__enum__"])
        try:
            return enum_type[value["name"]]
        except KeyError as exc:
            raise ConfigError(f"{enum_type.__name__} has no member {value['name']!r}") \
                from exc
    if "__type__" in value:
        return _resolve(value["__type__"])
    if "__tuple__" in value:
        return tuple(_decode(item) for item in value["__tuple__"])
    if "__dict__" in value:
        return {key: _decode(item) for key, item in value["__dict__"].items()}
    if "__class__" in value:
        return _build_dataclass(_resolve(value["__class__"]), value.get("fields", {}))
    if "__object__" in value:
        klass = _resolve(value["__object__"])
        obj = klass.__new__(klass)
        obj.__dict__.update({key: _decode(item) for key, item in value["attrs"].items()})
        return obj
    return {key: _decode(item) for key, item in value.items()}


def _build_dataclass(klass: Any, stored: Dict[str, Any]) -> Any:
    if not is_dataclass(klass):
        raise ConfigError(f"stored configuration class {klass!r} is not a dataclass")
    init_fields = {fld.name: fld for fld in fields(klass) if fld.init}
    unknown = sorted(set(stored) - set(init_fields))
    if unknown:
        raise ConfigError(f"stored {klass.__name__} has fields {unknown} that this "
                          "version does not know")
    kwargs = {name: _decode(item) for name, item in stored.items()}
    return klass(**kwargs)


def normalize_config(config: Any) -> Any:
    """A fresh configuration equal to ``config``, which may be plain data, one of our
    dataclass objects, or one unpickled from another release of the package (fields it
    lacks take their defaults; attributes that are no field are dropped when they are
    private, rejected otherwise)."""
    if isinstance(config, dict):
        return config_from_dict(config)
    return _decode(_encode_lenient(config))


def _encode_lenient(value: Any) -> Any:
    """Like :func:`_encode`, but reads dataclass fields from the instance dict so that
    objects unpickled from a different field set fall back to defaults."""
    if is_dataclass(value) and not isinstance(value, type) and _importable(type(value)):
        data = {}
        own = vars(value)
        for fld in fields(value):
            if not fld.init:
                continue
            if fld.name in own:
                data[fld.name] = _encode_lenient(own[fld.name])
            elif fld.default is MISSING and fld.default_factory is MISSING:  # type: ignore
                raise ConfigError(f"stored {type(value).__name__} lacks the required field "
                                  f"{fld.name!r}")
        names = {fld.name for fld in fields(value)}
        extra = sorted(key for key in own if key not in names and not key.startswith("_")
                       and key not in getattr(value, "bindings_ignore", ()))
        if extra:
            raise ConfigError(f"stored {type(value).__name__} has fields {extra} that this "
                              "version does not know")
        return {"__class__": _path(type(value)), "fields": data}
    if isinstance(value, list):
        return [_encode_lenient(item) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_lenient(item) for item in value]}
    return _encode(value)
