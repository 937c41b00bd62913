"""``AnalogLayerBase``: what every analog layer and container offers."""

from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any, Callable, Dict, Generator, Iterator, List, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Module, Parameter

from aihwkit.exceptions import ConfigError, ModuleError
from aihwkit.simulator.parameters.validation import validate_config_fields
from aihwkit.simulator.tiles.base import TileModuleBase


@contextmanager
def global_rng_kept() -> Iterator[None]:
    """Leave torch's global (CPU) random state as it was before the block.

    Layers build their tiles inside this block: each tile seeds its own generator from
    torch's global RNG, and rewinding afterwards makes a layer advance the global RNG
    exactly as the torch layer it replaces does (its weight init only), so
    ``torch.manual_seed(s)`` gives an ``AnalogLinear`` the initial weights of
    ``torch.nn.Linear`` and the same random stream afterwards. Tiles of one layer still
    get distinct seeds (drawn one after the other); tiles of different layers differ
    because the weight init advances the global RNG between layers.
    """
    state = torch.get_rng_state()
    try:
        yield
    finally:
        torch.set_rng_state(state)


def validate_layer_config(layer_name: str, rpu_config: Any) -> None:
    """Check every field of ``rpu_config`` before a layer reads its mapping.

    Raises:
        ConfigError: naming the layer class and the offending field.
    """
    try:
        validate_config_fields(rpu_config)
    except ConfigError as exc:
        raise type(exc)(f"{layer_name}: {exc}") from exc


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

    def replace_rpu_config(self, rpu_config: Any) -> None:
        """Give every tile (a copy of) ``rpu_config``: each tile's engine is rebuilt from
        the new config with its current weights, hidden parameters and learning rate.
        All tiles are checked before any changes.

        Raises:
            TileModuleError: the config class is not related to a tile's current one, or
                the mapping parameters differ beyond the ``weight_scaling_*`` fields.
            TileError: the new device model has other hidden parameters.
            ConfigError: ``rpu_config`` is invalid.
        """
        tiles = list(self.named_analog_tiles())
        prepared = [(tile, tile.prepare_named_replacement(rpu_config, name))
                    for name, tile in tiles]
        for tile, ready in prepared:
            tile.commit_replacement(ready)

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
        """Load a state dict, all or nothing.

        Every tile's analog state is checked and its new engine built before anything
        changes (errors name the tile's module path); tensor shapes of the digital
        parameters are checked too. If torch's loading still fails (missing or
        unexpected keys with ``strict``), the model is restored to its previous state.

        Args:
            state_dict: the state dict.
            strict: whether keys must match exactly (as in torch).
            load_rpu_config: adopt the stored RPU configs (``True``, default) or keep the
                current ones (``False``; the stored ones must be compatible). Kept on the
                tiles for later loads; ``None`` leaves the previous setting.
            strict_rpu_config_check: with ``load_rpu_config=False``, require the stored
                config class to be related to the current one.

        Raises:
            TileError, TileModuleError, ConfigError: an analog state does not fit.
            ModuleError: a digital tensor has the wrong shape.
            TypeError: ``state_dict`` is not a mapping.
            RuntimeError: torch's key checks failed (model unchanged).
        """
        if not isinstance(state_dict, Mapping):
            # a TypeError, as torch raises for this
            raise TypeError(f"Expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}")
        tiles = list(self.named_analog_tiles())
        for _, tile in tiles:
            tile.set_load_rpu_config_state(load_rpu_config, strict_rpu_config_check)
        self._check_digital_shapes(state_dict)
        prepared = []
        for name, tile in tiles:
            key = (name + "." if name else "") + "analog_tile_state"
            if key in state_dict:
                entry = state_dict[key]
                prepared.append((tile, entry, tile.prepare_named(entry, name)))
        backup = _snapshot(self)
        try:
            for tile, entry, ready in prepared:
                tile.__dict__["_pending_state"] = (entry, ready)
            return Module.load_state_dict(self, state_dict, strict)  # type: ignore[arg-type]
        except BaseException:
            _restore(self, backup)
            raise
        finally:
            for tile, _, _ in prepared:
                tile.__dict__.pop("_pending_state", None)

    def _check_digital_shapes(self, state_dict: Mapping) -> None:
        """Every stored parameter/buffer tensor has the shape of the module's own."""
        own = {}
        for prefix, module in self.named_modules():  # type: ignore[attr-defined]
            for name, value in list(module._parameters.items()) + list(module._buffers.items()):
                own[f"{prefix}.{name}" if prefix else name] = value
        for key, value in own.items():
            stored = state_dict.get(key)
            if isinstance(value, Tensor) and isinstance(stored, Tensor) \
                    and key.rsplit(".", 1)[-1] not in _FREE_SHAPE_KEYS \
                    and tuple(stored.shape) != tuple(value.shape):
                raise ModuleError(f"Cannot load '{key}': stored shape {tuple(stored.shape)}, "
                                  f"the model has {tuple(value.shape)}")

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


# tensors whose shape follows the stored state (shared weights are restored from the
# analog state; mapping scales may change between per-layer and per-output; the drift
# compensation factor is [1], 0-d or per output)
_FREE_SHAPE_KEYS = frozenset({"shared_weights", "mapping_scales", "analog_ctx", "alpha"})


def _snapshot(model: Module) -> Dict[str, Any]:
    """A detached copy of the model's complete state (analog states included)."""
    flags = [(tile, tile.load_rpu_config, tile.strict_rpu_config_check)
             for tile in model.analog_tiles()]  # type: ignore[attr-defined]
    state = {key: (value.detach().clone() if isinstance(value, Tensor) else value)
             for key, value in Module.state_dict(model).items()}
    return {"state": state, "flags": flags}


def _restore(model: Module, backup: Dict[str, Any]) -> None:
    """Put a :func:`_snapshot` back (exactly, with the stored configs)."""
    for tile, _, _ in backup["flags"]:
        tile.load_rpu_config = True
    try:
        with torch.no_grad():
            Module.load_state_dict(model, backup["state"], strict=False)
    finally:
        for tile, load_flag, strict_flag in backup["flags"]:
            tile.load_rpu_config = load_flag
            tile.strict_rpu_config_check = strict_flag
