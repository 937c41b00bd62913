"""``AnalogLayerBase``: what every analog layer and container offers."""

from typing import Any, Callable, Generator, List, Optional, Tuple

from torch import Tensor
from torch.nn import Module, Parameter

from aihwkit.exceptions import ModuleError
from aihwkit.simulator.tiles.base import TileModuleBase


class AnalogLayerBase:
    """Mixin of analog layers: tile iteration, weights, state loading, inference helpers."""

    IS_CONTAINER = False

    # ------------------------------------------------------------------ iteration
    def named_analog_tiles(self) -> Generator[Tuple[str, TileModuleBase], None, None]:
        """``(name, tile)`` for every tile in this module."""
        for name, module in self.named_modules():  # type: ignore[attr-defined]
            if isinstance(module, TileModuleBase):
                yield name, module

    def analog_tiles(self) -> Generator[TileModuleBase, None, None]:
        """Every tile in this module."""
        for _, tile in self.named_analog_tiles():
            yield tile

    def named_analog_layers(self) -> Generator[Tuple[str, "AnalogLayerBase"], None, None]:
        """``(name, layer)`` for every analog layer that is not a container."""
        for name, module in self.named_modules():  # type: ignore[attr-defined]
            if isinstance(module, AnalogLayerBase) and not module.IS_CONTAINER:
                yield name, module

    def analog_layers(self) -> Generator["AnalogLayerBase", None, None]:
        """Every analog layer that is not a container."""
        for _, layer in self.named_analog_layers():
            yield layer

    def named_analog_modules(self) -> Generator[Tuple[str, "AnalogLayerBase"], None, None]:
        """``(name, module)`` for every analog layer or container (self included)."""
        for name, module in self.named_modules():  # type: ignore[attr-defined]
            if isinstance(module, AnalogLayerBase):
                yield name, module

    def analog_modules(self) -> Generator["AnalogLayerBase", None, None]:
        """Every analog layer or container (self included)."""
        for _, module in self.named_analog_modules():
            yield module

    def analog_tile_count(self) -> int:
        """Number of tiles."""
        return sum(1 for _ in self.analog_tiles())

    def get_analog_tile_devices(self) -> List[Any]:
        """Torch device of each tile."""
        return [tile.device for tile in self.analog_tiles()]

    def apply_to_analog_tiles(self, fn: Callable[[TileModuleBase], Any]) -> "AnalogLayerBase":
        """Call ``fn`` on every tile."""
        for tile in self.analog_tiles():
            fn(tile)
        return self

    def apply_to_analog_layers(self, fn: Callable[["AnalogLayerBase"], Any]) -> "AnalogLayerBase":
        """Call ``fn`` on every analog layer."""
        for layer in self.analog_layers():
            fn(layer)
        return self

    # ------------------------------------------------------------------ weights
    def _analog_module(self) -> Any:
        module = getattr(self, "analog_module", None)
        if module is None:
            raise ModuleError(f"{type(self).__name__} has no analog module")
        return module

    def set_weights(self, weight: Tensor, bias: Optional[Tensor] = None, **kwargs: Any) -> None:
        """Set the logical weights (and bias) of the layer's tile."""
        self._analog_module().set_weights(weight, bias, **kwargs)

    def get_weights(self, **kwargs: Any) -> Tuple[Tensor, Optional[Tensor]]:
        """Logical weights and bias of the layer's tile."""
        return self._analog_module().get_weights(**kwargs)

    def remap_analog_weights(self, weight_scaling_omega: Optional[float] = 1.0) -> None:
        """Re-apply weight scaling on every tile."""
        for tile in self.analog_tiles():
            tile.remap_weights(weight_scaling_omega)

    # ------------------------------------------------------------------ inference
    def _require_eval(self, what: str) -> None:
        if self.training:  # type: ignore[attr-defined]
            raise ModuleError(f"{what} can only be applied in evaluation mode")

    def program_analog_weights(self, noise_model: Optional[Any] = None) -> None:
        """Program every tile (inference tiles: apply programming noise)."""
        self._require_eval("program_analog_weights")
        for tile in self.analog_tiles():
            tile.program_weights(noise_model=noise_model)

    def drift_analog_weights(self, t_inference: float = 0.0) -> None:
        """Drift every inference tile to ``t_inference`` seconds after programming."""
        self._require_eval("drift_analog_weights")
        for tile in self.analog_tiles():
            if tile.is_inference_tile:
                tile.drift_weights(t_inference)

    # ------------------------------------------------------------------ state
    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        load_rpu_config: Optional[bool] = None,
                        strict_rpu_config_check: Optional[bool] = None) -> Any:
        """Load a state dict; ``load_rpu_config=False`` keeps the current configs."""
        for tile in self.analog_tiles():
            tile.set_load_rpu_config_state(load_rpu_config, strict_rpu_config_check)
        return Module.load_state_dict(self, state_dict, strict)  # type: ignore[arg-type]

    def prepare_for_ddp(self) -> None:
        """Mark analog state as not to be synchronised by DistributedDataParallel."""
        for tile in self.analog_tiles():
            if not tile.supports_ddp:
                raise ModuleError(f"{type(tile).__name__} does not support DDP")
        keys = [k for k in self.state_dict()  # type: ignore[attr-defined]
                if "analog_ctx" in k or "analog_tile_state" in k]
        self._ddp_params_and_buffers_to_ignore = keys

    def unregister_parameter(self, param_name: str) -> None:
        """Remove a registered parameter and set the attribute to ``None``."""
        params = self._parameters  # type: ignore[attr-defined]
        if not isinstance(params.get(param_name), Parameter):
            raise ModuleError(f"{param_name} is not a registered parameter")
        del params[param_name]
        object.__setattr__(self, param_name, None)

    def extra_repr(self) -> str:
        """Base repr plus the RPU config class name."""
        base = super().extra_repr()  # type: ignore[misc]
        config = getattr(getattr(self, "analog_module", None), "rpu_config", None)
        name = type(config).__name__ if config is not None else ""
        return f"{base}, {name}" if base and name else (base or name)
