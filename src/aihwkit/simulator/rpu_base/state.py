"""One walk over an engine object graph: export, import and tensor mapping.

An engine (tile engine, periphery managers, device engines, compounds) is a tree of
plain Python objects. Its *state* is what changes while it runs: tensors, numbers,
strings, booleans and lists/dicts of those, held by engine objects
(:class:`~aihwkit.simulator.rpu_base.base.EngineBase`). Everything else an engine holds is
derived from its configuration when it is built (config dataclasses, resolved settings,
enums, the device and dtype) or is the tile's random generator, which the tile stores on
its own. Attributes whose names start with ``_cache`` are derived data too.

:func:`export_state` turns an engine into nested plain data that ``torch.load`` reads
with ``weights_only=True``; :func:`import_state` writes such data into a freshly built
engine of the same configuration (checking class names and tensor shapes first);
:func:`map_tensors` replaces every tensor (device and dtype moves); :func:`engine_parts`
lists the engine objects (used to point them at a generator). All four use the same walk.
"""

import enum
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

import torch

from aihwkit.exceptions import TileError

STATE_VERSION = 1
_CLASS_KEY = "__engine__"
_SHARED_KEY = "__shared__"
_PLAIN = (bool, int, float, str, type(None))
_SKIPPED_NAMES = frozenset({"rng", "device", "dtype"})


def _is_engine(value: Any) -> bool:
    # engine objects share ``apply_to_tensors`` (EngineBase); checked by duck typing so
    # that this module does not import the engine base class
    return hasattr(value, "apply_to_tensors") and hasattr(value, "__dict__") \
        and not isinstance(value, torch.nn.Module)


def _is_derived(value: Any) -> bool:
    """Values rebuilt from the configuration (not state)."""
    if isinstance(value, (enum.Enum, torch.device, torch.dtype, SimpleNamespace, type)):
        return True
    if hasattr(value, "__dataclass_fields__") or callable(value):
        return True
    return False


def _skipped(name: str) -> bool:
    return name in _SKIPPED_NAMES or name.startswith("_cache")


def _holds_tensor(value: Any, depth: int = 0) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if depth > 4:
        return False
    if isinstance(value, (list, tuple)):
        return any(_holds_tensor(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return any(_holds_tensor(item, depth + 1) for item in value.values())
    if hasattr(value, "__dict__") and not _is_derived(value):
        return any(_holds_tensor(item, depth + 1) for item in vars(value).values())
    return False


# ---------------------------------------------------------------------------- walk
def _walk(engine: Any, path: str, seen: Dict[int, str]
          ) -> Iterator[Tuple[str, Any, str, Any]]:
    """Yield ``(path, owner, attribute, value)`` for every state attribute of every engine
    object reachable from ``engine`` (each object once, first path wins)."""
    seen[id(engine)] = path
    for name, value in list(vars(engine).items()):
        if _skipped(name):
            continue
        yield f"{path}.{name}", engine, name, value


def engine_parts(engine: Any) -> List[Any]:
    """Every engine object of the graph (``engine`` first, each object once)."""
    parts: List[Any] = []
    seen: Set[int] = set()

    def visit(obj: Any) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        parts.append(obj)
        for name, value in vars(obj).items():
            if not _skipped(name):
                for child in _children(value):
                    visit(child)

    visit(engine)
    return parts


def _children(value: Any) -> Iterator[Any]:
    if _is_engine(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _children(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _children(item)


# ---------------------------------------------------------------------------- export
def export_state(engine: Any) -> Dict[str, Any]:
    """The state of ``engine`` as nested plain data (tensors detached, cloned, on CPU).

    Raises:
        TypeError: an engine attribute holds an object that is neither state nor derived
            from the configuration (so it could not be restored).
    """
    seen: Dict[int, str] = {}
    return _export_engine(engine, "engine", seen)


def _export_engine(engine: Any, path: str, seen: Dict[int, str]) -> Dict[str, Any]:
    if id(engine) in seen:
        return {_SHARED_KEY: seen[id(engine)]}
    out: Dict[str, Any] = {_CLASS_KEY: type(engine).__name__}
    for sub, _, name, value in _walk(engine, path, seen):
        encoded = _export_value(value, sub, seen)
        if encoded is not _DERIVED:
            out[name] = encoded
    return out


class _Derived:  # pylint: disable=too-few-public-methods
    """Marker of values that are not stored."""


_DERIVED = _Derived()


def _export_value(value: Any, path: str, seen: Dict[int, str]) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, _PLAIN):
        return value
    if _is_engine(value):
        return _export_engine(value, path, seen)
    if isinstance(value, (list, tuple)):
        items = [_export_value(item, f"{path}[{i}]", seen) for i, item in enumerate(value)]
        if any(item is _DERIVED for item in items):
            return _DERIVED
        return items
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"engine attribute {path} is a dict with non-string keys")
        items = {key: _export_value(item, f"{path}.{key}", seen) for key, item in value.items()}
        if any(item is _DERIVED for item in items.values()):
            return _DERIVED
        return items
    if _is_derived(value) or not _holds_tensor(value):
        return _DERIVED
    raise TypeError(f"engine attribute {path} holds a {type(value).__name__} with tensors "
                    "that is not an engine object: its state cannot be stored")


# ---------------------------------------------------------------------------- import
def import_state(engine: Any, state: Dict[str, Any]) -> None:
    """Write ``state`` (from :func:`export_state`) into ``engine``, a freshly built engine
    of the same configuration. Everything is checked before anything is written.

    Raises:
        TileError: the state belongs to a different engine structure (class names,
            attributes or tensor shapes differ).
    """
    writes: List[Tuple[Any, str, Any]] = []
    _plan_engine(engine, state, "engine", writes, set())
    for owner, name, value in writes:
        setattr(owner, name, value)
    if hasattr(engine, "to"):
        engine.to(engine.device, engine.dtype)  # stored tensors are on the CPU


def _plan_engine(engine: Any, state: Any, path: str, writes: List[Tuple[Any, str, Any]],
                 seen: Set[int]) -> None:
    if not isinstance(state, dict):
        raise TileError(f"stored engine state {path} is a {type(state).__name__}, "
                        "expected a dict")
    if _SHARED_KEY in state:
        return
    stored_class = state.get(_CLASS_KEY)
    if stored_class != type(engine).__name__:
        raise TileError(f"stored engine state {path} is of {stored_class}, the tile's "
                        f"engine is {type(engine).__name__}")
    if id(engine) in seen:
        return
    seen.add(id(engine))
    current = {name: value for name, value in vars(engine).items() if not _skipped(name)}
    for name, stored in state.items():
        if name == _CLASS_KEY:
            continue
        if name not in current:
            raise TileError(f"stored engine state has {path}.{name}, which the tile's "
                            "engine does not have")
        value = _plan_value(current[name], stored, f"{path}.{name}", writes, seen)
        if value is not _KEEP:
            writes.append((engine, name, value))


class _Keep:  # pylint: disable=too-few-public-methods
    """Marker: the attribute was written inside (child engine), keep the object."""


_KEEP = _Keep()


def _plan_value(current: Any, stored: Any, path: str, writes: List[Tuple[Any, str, Any]],
                seen: Set[int]) -> Any:
    if _is_engine(current):
        _plan_engine(current, stored, path, writes, seen)
        return _KEEP
    if isinstance(stored, torch.Tensor):
        if isinstance(current, torch.Tensor) and current.shape != stored.shape:
            raise TileError(f"stored {path} has shape {tuple(stored.shape)}, the tile "
                            f"expects {tuple(current.shape)}")
        return stored.clone()
    if isinstance(stored, list) and isinstance(current, (list, tuple)):
        if any(True for _ in _children(current)) and len(stored) != len(current):
            raise TileError(f"stored {path} has {len(stored)} parts, the tile has "
                            f"{len(current)}")
        if len(stored) == len(current):
            result = []
            for i, (cur, sto) in enumerate(zip(current, stored)):
                value = _plan_value(cur, sto, f"{path}[{i}]", writes, seen)
                result.append(cur if value is _KEEP else value)
        else:
            result = [_plan_value(None, sto, f"{path}[{i}]", writes, seen)
                      for i, sto in enumerate(stored)]
        return type(current)(result)
    if isinstance(stored, list):
        return [_plan_value(None, sto, f"{path}[{i}]", writes, seen)
                for i, sto in enumerate(stored)]
    if isinstance(stored, dict) and _CLASS_KEY in stored:
        raise TileError(f"stored {path} is an engine part ({stored[_CLASS_KEY]}), the "
                        f"tile has a {type(current).__name__}")
    if isinstance(stored, dict):
        current = current if isinstance(current, dict) else {}
        result = {}
        for key, item in stored.items():
            value = _plan_value(current.get(key), item, f"{path}.{key}", writes, seen)
            result[key] = current[key] if value is _KEEP else value
        return result
    if not isinstance(stored, _PLAIN):
        raise TileError(f"stored {path} is a {type(stored).__name__}: engine state holds "
                        "only tensors and plain data")
    return stored


# ---------------------------------------------------------------------------- tensors
def map_tensors(engine: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Replace every tensor held by the engine graph by ``fn(tensor)``."""
    for part in engine_parts(engine):
        for name, value in list(vars(part).items()):
            if _skipped(name) and not name.startswith("_cache"):
                continue
            mapped = _map_value(value, fn)
            if mapped is not value:
                setattr(part, name, mapped)


def _map_value(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, list):
        return [_map_value(item, fn) for item in value]
    if isinstance(value, tuple):
        return tuple(_map_value(item, fn) for item in value)
    if isinstance(value, dict):
        return {key: _map_value(item, fn) for key, item in value.items()}
    return value


def state_tensors(state: Any) -> Iterator[torch.Tensor]:
    """Every tensor in exported state (for checks such as finiteness)."""
    if isinstance(state, torch.Tensor):
        yield state
    elif isinstance(state, list):
        for item in state:
            yield from state_tensors(item)
    elif isinstance(state, dict):
        for item in state.values():
            yield from state_tensors(item)


def rng_state(generator: torch.Generator) -> torch.Tensor:
    """The generator state as a ``uint8`` CPU tensor."""
    return generator.get_state().to("cpu", copy=True)


def set_rng_state(generator: torch.Generator, state: Optional[torch.Tensor]) -> None:
    """Restore a generator from :func:`rng_state` (``None``: unchanged)."""
    if state is None:
        return
    if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
        raise TileError("stored generator state must be a uint8 tensor")
    try:
        generator.set_state(state.to("cpu"))
    except RuntimeError:
        # a state of another device type: continue from a seed derived from it
        seed = int(torch.sum(state.to(torch.int64) * torch.arange(1, state.numel() + 1)))
        generator.manual_seed(seed % (2**62))
