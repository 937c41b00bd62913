"""Analog containers."""

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Dict, Optional, Tuple

from torch import Tensor
from torch.nn import Module, Sequential

from aihwkit.exceptions import ArgumentError, ModuleError
from aihwkit.nn.modules.base import AnalogLayerBase


class AnalogContainerBase(AnalogLayerBase):
    """Base of containers: weights of all tiles by tile name."""

    IS_CONTAINER = True

    def get_weights(self, **kwargs: Any) -> "OrderedDict[str, Tuple[Tensor, Any]]":
        """``tile name -> (weight, bias)`` for every tile."""
        return OrderedDict((name, tile.get_weights(**kwargs))
                           for name, tile in self.named_analog_tiles())

    def set_weights(self, weights_dic: Dict[str, Tuple[Tensor, Any]],  # type: ignore[override]
                    **kwargs: Any) -> None:
        """Set weights of every tile from ``tile name -> (weight, bias)``.

        Raises:
            ArgumentError: ``weights_dic`` is not a mapping.
            ModuleError: a tile name is missing from ``weights_dic`` (no tile changed).
        """
        if not isinstance(weights_dic, Mapping):
            raise ArgumentError(f"{type(self).__name__}.set_weights: weights_dic must be a "
                                "mapping of tile name -> (weight, bias) as returned by "
                                f"get_weights(), got {type(weights_dic).__name__}")
        tiles = list(self.named_analog_tiles())
        for name, _ in tiles:
            if name not in weights_dic:
                raise ModuleError(f"{type(self).__name__}.set_weights: cannot find tile "
                                  f"weight {name} in the given dictionary")
        for name, tile in tiles:
            tile.set_weights(*weights_dic[name], **kwargs)


class AnalogSequential(AnalogContainerBase, Sequential):
    """``torch.nn.Sequential`` with the analog helpers of :class:`AnalogLayerBase`."""

    def extra_repr(self) -> str:
        return ""

    @classmethod
    def from_digital(cls, module: Sequential, *args: Any, **kwargs: Any) -> "AnalogSequential":
        """An analog sequential with the same children.

        The further arguments of the conversion interface (``rpu_config``,
        ``tile_module_class``) are accepted and not used: a sequential has no tiles of its
        own, its children are converted one by one.
        """
        return cls(OrderedDict(module.named_children()))

    @classmethod
    def to_digital(cls, module: "AnalogSequential", *args: Any, **kwargs: Any) -> Module:
        """A ``torch.nn.Sequential`` with the same children (further arguments of the
        conversion interface are accepted and not used)."""
        return Sequential(OrderedDict(module.named_children()))


def _restore_wrapper(wrapped_class: type) -> "AnalogWrapper":
    """Empty wrapper instance of ``wrapped_class`` (pickle support; the state follows)."""
    cls = AnalogWrapper.wrapper_class(wrapped_class)
    return cls.__new__(cls)


class AnalogWrapper(AnalogContainerBase):
    """Gives any torch module the analog helpers without changing its forward.

    ``AnalogWrapper(module)`` returns an instance of a class named
    ``"AnalogWrapper" + type(module).__name__`` deriving from ``(AnalogWrapper,
    type(module))``; the class is created once per wrapped class and cached in
    :attr:`SUBCLASSES`. The new instance shares the ``__dict__`` of ``module`` (its
    parameters, children and attributes), so ``module`` itself must not be used any
    further. ``forward`` and every other method are those of the wrapped class.

    Args:
        module: the torch module to wrap.
    """

    SUBCLASSES: Dict[type, type] = {}

    @classmethod
    def wrapper_class(cls, wrapped_class: type) -> type:
        """The cached ``AnalogWrapper<Name>`` class for ``wrapped_class``."""
        if issubclass(wrapped_class, AnalogWrapper):
            return wrapped_class
        sub = AnalogWrapper.SUBCLASSES.get(wrapped_class)
        if sub is None:
            sub = type("AnalogWrapper" + wrapped_class.__name__,
                       (AnalogWrapper, wrapped_class),
                       {"__module__": wrapped_class.__module__, "_wrapped_class": wrapped_class})
            AnalogWrapper.SUBCLASSES[wrapped_class] = sub
        return sub

    def __new__(cls, module: Optional[Module] = None, *args: Any, **kwargs: Any
                ) -> "AnalogWrapper":
        if module is None:
            # unpickling and copying create the instance first and fill it afterwards
            return super().__new__(cls)
        if not isinstance(module, Module):
            raise ArgumentError(f"AnalogWrapper needs a torch.nn.Module, got "
                                f"{type(module).__name__}")
        return super().__new__(AnalogWrapper.wrapper_class(type(module)))

    def __init__(self, module: Module) -> None:  # pylint: disable=super-init-not-called
        # the wrapped module is already initialised: share its state instead of
        # running any __init__ again
        if module is not self:
            object.__setattr__(self, "__dict__", module.__dict__)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # the dynamic class cannot be found by name: rebuild it from the wrapped class
        return (_restore_wrapper, (type(self)._wrapped_class,), self.__getstate__())

    @classmethod
    def from_digital(cls, module: Module, *args: Any, **kwargs: Any) -> "AnalogWrapper":
        """Wrap ``module`` (extra arguments are accepted and not used)."""
        return AnalogWrapper(module)

    @classmethod
    def to_digital(cls, module: "AnalogWrapper", *args: Any, **kwargs: Any) -> Module:
        """An instance of the wrapped class sharing the wrapper's ``__dict__``."""
        if not isinstance(module, AnalogWrapper):
            raise ArgumentError(f"to_digital needs an AnalogWrapper, got "
                                f"{type(module).__name__}")
        base = type(module)._wrapped_class
        digital = base.__new__(base)
        object.__setattr__(digital, "__dict__", module.__dict__)
        return digital
