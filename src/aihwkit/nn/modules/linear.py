"""``AnalogLinear``: a fully connected layer on an analog tile."""

import math
from typing import Any, Optional

import torch
from torch import Tensor
from torch.nn import Linear

from aihwkit.exceptions import ArgumentError, NotSimulatedError
from aihwkit.nn.modules.base import (AnalogLayerBase, global_rng_kept,
                                     validate_layer_config)


def _default_rpu_config() -> Any:
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs.configs import SingleRPUConfig
    return SingleRPUConfig()


class AnalogLinear(AnalogLayerBase, Linear):
    """Linear layer ``y = W x + b`` computed on an analog tile.

    ``weight`` and ``bias`` are not parameters of this module: the weights live in the
    tile (``analog_module``) and ``bias`` is the flag given at construction.

    Args:
        in_features: input size.
        out_features: output size.
        bias: whether the layer has a bias.
        rpu_config: RPU configuration (``SingleRPUConfig()`` when ``None``).
        tile_module_class: tile class (default: the config's choice).

    Shape: input ``[..., in_features]``, output ``[..., out_features]``.
    """

    # pylint: disable=abstract-method

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rpu_config: Optional[Any] = None, tile_module_class: Optional[Any] = None
                 ) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentError(f"{name} must be an integer >= 1, got {value!r}")
        if rpu_config is None:
            rpu_config = _default_rpu_config()
        validate_layer_config(type(self).__name__, rpu_config)
        if tile_module_class is None:
            tile_module_class = rpu_config.get_default_tile_module_class(out_features,
                                                                         in_features)
        if tile_module_class is None:
            raise NotSimulatedError(f"{type(rpu_config).__name__} names a tile class that "
                                    "this version does not provide")
        Linear.__init__(self, in_features, out_features, bias=False, device="meta")
        # the weights live in the tile: ``weight`` is None and ``bias`` the bias flag
        del self._parameters["weight"]
        del self._parameters["bias"]
        self.weight = None  # type: ignore[assignment]
        self.bias = bias  # type: ignore[assignment]
        with global_rng_kept():
            self.analog_module = tile_module_class(out_features, in_features, rpu_config,
                                                   bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default ``Linear`` init, written through ``set_weights``."""
        if not hasattr(self, "analog_module"):
            return
        bound = 1.0 / math.sqrt(self.in_features)
        weight = torch.empty(self.out_features, self.in_features).uniform_(-bound, bound)
        bias = torch.empty(self.out_features).uniform_(-bound, bound) if self.bias else None
        self.set_weights(weight, bias)

    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-renamed
        return self.analog_module(x)

    def extra_repr(self) -> str:
        config = type(self.analog_module.rpu_config).__name__
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={bool(self.bias)}, {config}")

    @classmethod
    def from_digital(cls, module: Linear, rpu_config: Any,
                     tile_module_class: Optional[Any] = None) -> "AnalogLinear":
        """An analog copy of a ``torch.nn.Linear``."""
        layer = cls(module.in_features, module.out_features, module.bias is not None,
                    rpu_config, tile_module_class)
        if module.weight.is_meta:
            # weights not materialised yet (built on the meta device): the layer keeps its
            # own initial weights until real ones are loaded (set_weights/load_state_dict)
            return layer
        layer.set_weights(module.weight.detach(),
                          None if module.bias is None else module.bias.detach())
        return layer.to(module.weight.device)

    @classmethod
    def to_digital(cls, module: "AnalogLinear", realistic: bool = False) -> Linear:
        """A ``torch.nn.Linear`` holding the layer's logical weights."""
        weight, bias = module.get_weights(realistic=realistic)
        tile = module.analog_module
        digital = Linear(module.in_features, module.out_features, bias is not None,
                         device=tile.device, dtype=tile.get_dtype())
        with torch.no_grad():
            digital.weight.copy_(weight)
            if bias is not None:
                digital.bias.copy_(bias)
        return digital
