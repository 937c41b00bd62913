"""Maps configuration classes to the engine classes that simulate them.

Lookup walks the config's class chain, so presets (subclasses that only change defaults)
need no entry of their own.
"""

from typing import Callable, Dict, Type, TypeVar

from aihwkit.exceptions import NotSimulatedError

_ENGINES: Dict[type, type] = {}
T = TypeVar("T")


def register(config_class: type) -> Callable[[Type[T]], Type[T]]:
    """Class decorator: the decorated engine simulates ``config_class``."""

    def decorate(engine_class: Type[T]) -> Type[T]:
        _ENGINES[config_class] = engine_class
        return engine_class

    return decorate


def lookup(config: object) -> type:
    """The engine class registered for ``type(config)`` or its nearest base class."""
    _load_engines()
    for klass in type(config).__mro__:
        if klass in _ENGINES:
            return _ENGINES[klass]
    raise NotSimulatedError(
        f"{type(config).__name__} cannot be simulated by this version: no engine is "
        "registered for it (or for any of its base classes)")


def _load_engines() -> None:
    """Import the engine modules so that their ``@register`` decorators run."""
    # pylint: disable=import-outside-toplevel,unused-import
    from aihwkit.simulator.rpu_base import devices, compounds  # noqa: F401
