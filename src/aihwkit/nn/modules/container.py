"""Analog containers."""

from collections import OrderedDict
from typing import Any, Dict, Tuple

from torch import Tensor
from torch.nn import Module, Sequential

from aihwkit.exceptions import ModuleError
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
        """Set weights of every tile from ``tile name -> (weight, bias)``."""
        for name, tile in self.named_analog_tiles():
            if name not in weights_dic:
                raise ModuleError(f"Cannot find tile weight {name} in given dictionary")
            tile.set_weights(*weights_dic[name], **kwargs)


class AnalogSequential(AnalogContainerBase, Sequential):
    """``torch.nn.Sequential`` with the analog helpers of :class:`AnalogLayerBase`."""

    def extra_repr(self) -> str:
        return ""

    @classmethod
    def from_digital(cls, module: Sequential, *args: Any, **kwargs: Any) -> "AnalogSequential":
        """An analog sequential with the same children."""
        return cls(OrderedDict(module.named_children()))

    @classmethod
    def to_digital(cls, module: "AnalogSequential", *args: Any, **kwargs: Any) -> Module:
        """A ``torch.nn.Sequential`` with the same children."""
        return Sequential(OrderedDict(module.named_children()))
