"""Tile state as plain data: ``state_dict`` entries, pickling and deep copies.

The analog state of a tile (``<prefix>analog_tile_state`` in a state dict) holds only
tensors and plain Python data, so ``torch.load(f)`` reads it with ``weights_only=True``:

* ``analog_tile_weights`` ``[d_size, x_size]``, ``analog_tile_hidden_parameters``
  ``[n, d_size, x_size]`` and their names, ``analog_tile_class``, ``analog_lr``,
  ``analog_ctx``, ``aihwkit_version`` (the keys of the original package);
* ``rpu_config``: the configuration as a plain nested dict with class names;
* ``analog_tile_engine``: the complete engine state (tensors, counters, the random
  generator as a ``uint8`` tensor) with a ``_version``, so a restored tile continues
  bit for bit;
* ``_version``: the layout version of this dict.

Loading checks everything first (class, config, shapes, hidden-parameter names, engine
structure), builds the new engine aside and only then swaps it in. Edited
``analog_tile_weights`` or hidden parameters take effect: they are written through the
device model after the engine state is restored. A state written by the original
package (no ``analog_tile_engine``) is mapped onto a freshly built engine: hidden
parameters, then weights and learning rate.

``pickle`` and ``copy.deepcopy`` use the same engine export and rebuild.
"""

from collections import OrderedDict
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from aihwkit import __version__
from aihwkit.exceptions import TileError, TileModuleError
from aihwkit.simulator.parameters.serialization import config_to_dict, normalize_config
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.state import (
    STATE_VERSION, export_state, import_state, rng_state, set_rng_state)

TILE_STATE_VERSION = 1


class AnalogTileStateNames:  # pylint: disable=too-few-public-methods
    """Keys of the analog state stored with a tile."""

    VERSION = "aihwkit_version"
    WEIGHTS = "analog_tile_weights"
    HIDDEN_PARAMETERS = "analog_tile_hidden_parameters"
    HIDDEN_PARAMETER_NAMES = "analog_tile_hidden_parameter_names"
    CLASS = "analog_tile_class"
    LR = "analog_lr"
    SHARED_WEIGHTS = "shared_weights"
    CONTEXT = "analog_ctx"
    OUT_SCALING = "out_scaling_alpha"
    MAPPING_SCALES = "mapping_scales"
    RPU_CONFIG = "rpu_config"
    ANALOG_STATE_PREFIX = "analog_tile_state_"
    ANALOG_STATE_NAME = "analog_tile_state"
    EXTRA = "state_extra"
    ENGINE = "analog_tile_engine"
    LAYOUT = "_version"

    @staticmethod
    def get_field_names() -> List[str]:
        """Values of the key constants."""
        return [value for key, value in vars(AnalogTileStateNames).items()
                if key.isupper() and not key.startswith("ANALOG_STATE")]


@dataclass
class PreparedState:
    """A checked analog state, ready to be swapped into a tile."""

    rpu_config: Any
    engine: Any
    rng: TileRNG
    learning_rate: float
    context: Optional[Tensor]


def _engine_is_plain(engine: Any) -> bool:
    return hasattr(engine, "apply_to_tensors") and not isinstance(engine, torch.nn.Module)


def _keep_parameter_objects(old: torch.nn.Module, new: torch.nn.Module) -> None:
    """Register the ``Parameter`` objects of the ``old`` engine module in the ``new`` one
    (holding the new values), so optimizers built before a state was loaded keep
    training the tile."""
    old_params = dict(old.named_parameters())
    for prefix, module in new.named_modules():
        for name, param in list(module._parameters.items()):  # pylint: disable=protected-access
            kept = old_params.get(f"{prefix}.{name}" if prefix else name)
            if param is None or kept is None or kept is param or kept.shape != param.shape:
                continue
            kept.data = param.data
            kept.requires_grad_(param.requires_grad)
            module._parameters[name] = kept  # pylint: disable=protected-access


class TileStateMixin:
    """State handling of :class:`~aihwkit.simulator.tiles.base.TileModuleBase`."""

    # provided by the tile
    tile: Any
    _rng: TileRNG
    rpu_config: Any
    d_size: int
    x_size: int
    device: torch.device
    load_rpu_config: bool
    strict_rpu_config_check: bool

    # ------------------------------------------------------------------ export
    def _class_name(self) -> str:
        klass = type(self)
        return klass.cpu_class.__name__ if getattr(klass, "cpu_class", None) \
            else klass.__name__

    def _engine_state(self) -> Optional[Dict[str, Any]]:
        """Engine and generator state (plain data) or ``None`` for torch-module engines,
        whose tensors are ordinary parameters and buffers of the tile."""
        state: Dict[str, Any] = {"_version": STATE_VERSION,
                                 "rng": rng_state(self._rng.generator),
                                 "rng_stream": self._rng.stream_state()}
        state["engine"] = export_state(self.tile) if _engine_is_plain(self.tile) else None
        return state

    def get_analog_state(self) -> Dict[str, Any]:
        """Analog state stored under ``analog_tile_state`` in a state dict (tensors and
        plain data only)."""
        names = AnalogTileStateNames
        hidden = self.tile.get_hidden_parameters()
        stacked = (torch.stack([v.detach().cpu() for v in hidden.values()])
                   if hidden else torch.empty(0))
        state: Dict[str, Any] = {
            names.VERSION: __version__,
            names.LAYOUT: TILE_STATE_VERSION,
            names.WEIGHTS: self.tile.get_weights().detach().cpu().clone(),
            names.HIDDEN_PARAMETERS: stacked,
            names.HIDDEN_PARAMETER_NAMES: list(hidden.keys()),
            names.CLASS: self._class_name(),
            names.LR: float(self.get_learning_rate()),  # type: ignore[attr-defined]
            names.CONTEXT: self.analog_ctx.data.detach().cpu().clone(),  # type: ignore
            names.RPU_CONFIG: config_to_dict(self.rpu_config),
            names.EXTRA: None,
            names.ENGINE: self._engine_state(),
        }
        registered = set(self._parameters) | set(self._buffers)  # type: ignore[attr-defined]
        for name in (names.SHARED_WEIGHTS, names.OUT_SCALING):
            if name not in registered:
                value = getattr(self, name, None)
                state[name] = value.detach().cpu().clone() if isinstance(value, Tensor) \
                    else None
        return state

    # ------------------------------------------------------------------ import
    def prepare_analog_state(self, state: Any) -> PreparedState:
        """Check ``state`` and build the engine it describes, without changing the tile.

        Raises:
            TileError: wrong class, shapes, hidden-parameter names or engine structure.
            TileModuleError: the stored config cannot replace the current one
                (``load_rpu_config=False`` with ``strict_rpu_config_check``).
            ConfigError: the stored config is invalid.
        """
        names = AnalogTileStateNames
        if not isinstance(state, dict):
            raise TileError(f"analog_tile_state must be a dict, got {type(state).__name__}")
        for key in (names.WEIGHTS, names.RPU_CONFIG):
            if key not in state:
                raise TileError(f"analog_tile_state has no '{key}' entry")
        stored_config = normalize_config(state[names.RPU_CONFIG])
        stored_class = state.get(names.CLASS, self._class_name())
        if not self.load_rpu_config:
            # the config check comes first: it names the real problem of loading a
            # checkpoint of another config family into this model
            self._check_replaceable(stored_config)
        if not self._compatible_class(stored_config, stored_class):
            raise TileError("Error creating tile. Possible mismatch between "
                            f"{stored_class} and {type(self).__name__}")
        if self.load_rpu_config:
            config = stored_config
            if hasattr(self.rpu_config, "tile_class"):
                config.tile_class = self.rpu_config.tile_class
        else:
            config = deepcopy(self.rpu_config)
        weights = state[names.WEIGHTS]
        expected = (self.d_size, self.x_size)
        if not isinstance(weights, Tensor) or tuple(weights.shape) != expected:
            shape = tuple(weights.shape) if isinstance(weights, Tensor) else type(weights)
            raise TileError(f"stored analog_tile_weights have shape {shape}, the tile "
                            f"expects {expected} (outputs x inputs"
                            f"{' + bias column' if self.analog_bias else ''})")  # type: ignore
        engine, rng = self._build_engine_for(config)
        engine_state = state.get(names.ENGINE)
        exact = isinstance(engine_state, dict) and (
            self.load_rpu_config or normalize_config(state[names.RPU_CONFIG]) == config)
        if exact:
            self._restore_engine(engine, rng, engine_state, state)
        else:
            self._map_onto_engine(engine, state)
        lr = state.get(names.LR)
        lr = 0.01 if lr is None else float(lr)
        context = state.get(names.CONTEXT)
        return PreparedState(config, engine, rng, lr,
                             context if isinstance(context, Tensor) else None)

    def _build_engine_for(self, config: Any) -> Any:
        """A new engine (and generator) for ``config`` with this tile's sizes."""
        old_config, old_rng, old_tile = self.rpu_config, self._rng, self.tile
        # continue the current stream unless the state brings its own (no global draws)
        rng = TileRNG(self.device, seed=0)
        set_rng_state(rng.generator, rng_state(old_rng.generator))
        rng.set_stream_state(old_rng.stream_state())
        try:
            self.rpu_config = config
            self._rng = rng
            self._check_config()  # type: ignore[attr-defined]
            engine = self._create_engine()  # type: ignore[attr-defined]
        finally:
            self.rpu_config, self._rng = old_config, old_rng
            if self.tile is not old_tile:
                self.tile = old_tile
        return engine, rng

    def _restore_engine(self, engine: Any, rng: TileRNG, engine_state: Dict[str, Any],
                        state: Dict[str, Any]) -> None:
        """Exact restore, then apply stored weights/hidden parameters that were edited."""
        names = AnalogTileStateNames
        if engine_state.get("_version") != STATE_VERSION:
            raise TileError(f"analog_tile_engine has layout version "
                            f"{engine_state.get('_version')!r}; this version reads "
                            f"{STATE_VERSION}")
        stored_engine = engine_state.get("engine")
        if stored_engine is not None and _engine_is_plain(engine):
            import_state(engine, stored_engine)
        if engine_state.get("rng") is not None:
            set_rng_state(rng.generator, engine_state["rng"])
            # the kernels' seed stream with it (restarted for states saved without one)
            rng.set_stream_state(engine_state.get("rng_stream"))
        hidden_names = state.get(names.HIDDEN_PARAMETER_NAMES, [])
        if hidden_names:
            self._check_hidden_names(engine, hidden_names)
            stored = state[names.HIDDEN_PARAMETERS]
            current = engine.get_hidden_parameters()
            if any(not torch.equal(s.to(c.dtype), c.detach().cpu())
                   for s, c in zip(stored, current.values())):
                engine.set_hidden_parameters(OrderedDict(zip(hidden_names, stored)))
        weights = state[names.WEIGHTS]
        current_w = engine.get_weights().detach().cpu()
        if not torch.equal(weights.to(current_w.dtype), current_w):
            engine.set_weights(weights.to(self.device))

    def _map_onto_engine(self, engine: Any, state: Dict[str, Any]) -> None:
        """States without an exact engine state: hidden parameters, then weights."""
        names = AnalogTileStateNames
        hidden_names = state.get(names.HIDDEN_PARAMETER_NAMES, []) or []
        self._check_hidden_names(engine, hidden_names)
        if hidden_names:
            hidden = state[names.HIDDEN_PARAMETERS]
            if tuple(hidden.shape) != (len(hidden_names), self.d_size, self.x_size):
                raise TileError(f"stored analog_tile_hidden_parameters have shape "
                                f"{tuple(hidden.shape)}, expected "
                                f"{(len(hidden_names), self.d_size, self.x_size)}")
            engine.set_hidden_parameters(OrderedDict(zip(hidden_names, hidden)))
        engine.set_weights(state[names.WEIGHTS].to(self.device))

    @staticmethod
    def _check_hidden_names(engine: Any, stored_names: List[str]) -> None:
        if list(stored_names) != list(engine.get_hidden_parameter_names()):
            raise TileError("Mismatch with loaded analog state: Hidden parameter structure "
                            f"is unexpected (stored {list(stored_names)}, the tile has "
                            f"{engine.get_hidden_parameter_names()}).")

    def commit_analog_state(self, prepared: PreparedState) -> None:
        """Swap a prepared state into the tile (cannot fail on checked data)."""
        self.rpu_config = prepared.rpu_config
        self._rng = prepared.rng
        if isinstance(self.tile, torch.nn.Module) and isinstance(prepared.engine,
                                                                 torch.nn.Module):
            _keep_parameter_objects(self.tile, prepared.engine)
        self.tile = prepared.engine
        self._relink_rng(self.tile)
        self.tile.to(self.device)
        self.set_learning_rate(prepared.learning_rate)  # type: ignore[attr-defined]
        if prepared.context is not None and prepared.context.numel() == 1:
            with torch.no_grad():
                self.analog_ctx.data.fill_(float(prepared.context.reshape(-1)[0]))  # type: ignore

    def set_analog_state(self, state: Dict[str, Any]) -> None:
        """Restore the analog state written by :meth:`get_analog_state` (or by the
        original package); the tile is unchanged when this raises."""
        self.commit_analog_state(self.prepare_analog_state(state))

    def _relink_rng(self, engine: Any) -> None:
        """Point every engine part at this tile's generator."""
        if not _engine_is_plain(engine):
            if hasattr(engine, "rng"):
                engine.rng = self._rng
            return
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.rpu_base.state import engine_parts
        for part in engine_parts(engine):
            if "rng" in vars(part):
                part.rng = self._rng

    # ------------------------------------------------------------------ config checks
    def _compatible_class(self, stored_config: Any, stored_class: str) -> bool:
        if stored_class == self._class_name():
            return True
        compatible = getattr(self.rpu_config, "compatible_with", None)
        return bool(compatible and compatible(stored_class))

    def _replace_problem(self, new_config: Any) -> Optional[str]:
        """Why ``new_config`` cannot take the place of the tile's config (``None``: it
        can). The classes must be related (one an instance of the other's class) while
        ``strict_rpu_config_check`` is set, and the mapping parameters must be equal
        apart from the ``weight_scaling_*`` fields (they fix the tile structure)."""
        if self.strict_rpu_config_check and not (
                isinstance(new_config, type(self.rpu_config))
                or isinstance(self.rpu_config, type(new_config))):
            return (f"RPU config mismatch: Cannot replace {type(new_config).__name__} "
                    f"with {type(self.rpu_config).__name__}")
        new_mapping = getattr(new_config, "mapping", None)
        own_mapping = getattr(self.rpu_config, "mapping", None)
        if new_mapping is not None and own_mapping is not None \
                and not own_mapping.compatible_with(new_mapping):
            return ("RPU config mismatch: the mapping parameters differ (only the "
                    "weight_scaling_* fields may change, the others fix the tile structure)")
        return None

    def _check_replaceable(self, stored_config: Any) -> None:
        problem = self._replace_problem(stored_config)
        if problem is not None:
            raise TileModuleError(problem)

    def compatible_with(self, rpu_config: Any) -> Tuple[bool, Optional[str]]:
        """Whether :meth:`replace_with` accepts ``rpu_config``.

        Returns:
            ``(True, None)``, or ``(False, reason)``.
        """
        problem = self._replace_problem(rpu_config) or self._structure_problem(rpu_config)
        return problem is None, problem

    def _structure_problem(self, new_config: Any) -> Optional[str]:
        """Why the tile's registered tensors would not fit ``new_config`` (``None``: they
        do); tiles with config-dependent tensors beyond the mapping extend this."""
        del new_config
        return None

    def prepare_replacement(self, rpu_config: Any) -> PreparedState:
        """Check ``rpu_config`` and build the engine it describes, holding the tile's
        current weights, hidden parameters and learning rate, without changing the tile.

        Raises:
            TileModuleError: ``compatible_with(rpu_config)`` is false.
            TileError: the new device model has other hidden parameters.
            ConfigError: ``rpu_config`` is invalid for this tile.
        """
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.parameters.helpers import check_known_attributes
        ok, problem = self.compatible_with(rpu_config)
        if not ok:
            raise TileModuleError(problem)
        check_known_attributes(rpu_config)
        config = deepcopy(rpu_config)
        if hasattr(self.rpu_config, "tile_class") and hasattr(config, "tile_class"):
            config.tile_class = self.rpu_config.tile_class  # the tile keeps its class
        state = self.get_analog_state()
        engine, rng = self._build_engine_for(config)
        self._map_onto_engine(engine, state)
        return PreparedState(config, engine, rng,
                             float(self.get_learning_rate()),  # type: ignore[attr-defined]
                             None)

    def replace_with(self, rpu_config: Any) -> None:
        """Use (a copy of) ``rpu_config`` from now on: the engine is rebuilt from the new
        config with the tile's current weights, hidden parameters and learning rate; the
        tile class and the registered tensors (bias, scales, input range) stay.

        Raises:
            TileModuleError: ``compatible_with(rpu_config)`` is false.
            TileError: the new device model has other hidden parameters.
            ConfigError: ``rpu_config`` is invalid for this tile.
        """
        self.commit_replacement(self.prepare_replacement(rpu_config))

    def commit_replacement(self, prepared: PreparedState) -> None:
        """Swap in a state built by :meth:`prepare_replacement`."""
        self.commit_analog_state(prepared)
        self.__dict__.pop("_loaded_weights", None)

    def set_load_rpu_config_state(self, load_rpu_config: Optional[bool] = None,
                                  strict_rpu_config_check: Optional[bool] = None) -> None:
        """Whether loading a state dict adopts the stored config (kept across loads)."""
        for name, value in (("load_rpu_config", load_rpu_config),
                            ("strict_rpu_config_check", strict_rpu_config_check)):
            if value is not None and not isinstance(value, bool):
                raise TileError(f"{name} must be a bool or None, got {value!r}")
        if load_rpu_config is not None:
            self.load_rpu_config = load_rpu_config
        if strict_rpu_config_check is not None:
            self.strict_rpu_config_check = strict_rpu_config_check

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        params = OrderedDict(state["_parameters"])
        ctx = params.pop("analog_ctx", None)
        state["_parameters"] = params
        state["_analog_ctx_data"] = None if ctx is None else ctx.data.detach().clone()
        if _engine_is_plain(self.tile):
            state.pop("tile", None)
            state["_engine_state"] = export_state(self.tile)
        state.pop("_rng", None)
        state["_rng_state"] = rng_state(self._rng.generator)
        state["_rng_stream"] = self._rng.stream_state()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.tiles.context import AnalogContext
        ctx_data = state.pop("_analog_ctx_data", None)
        engine_state = state.pop("_engine_state", None)
        generator_state = state.pop("_rng_state", None)
        stream_state = state.pop("_rng_stream", None)
        super().__setstate__(state)  # type: ignore[misc]
        if "_rng" not in self.__dict__:
            self._rng = TileRNG(self.device, seed=0)  # state set below
        if engine_state is not None:
            self.tile = self._create_engine()  # type: ignore[attr-defined]
            import_state(self.tile, engine_state)
            self.tile.to(self.device)
        set_rng_state(self._rng.generator, generator_state)
        if generator_state is not None:
            self._rng.set_stream_state(stream_state)
        self._relink_rng(self.tile)
        self.analog_ctx = AnalogContext(self)
        if ctx_data is not None:
            self.analog_ctx.data = ctx_data.to(self.analog_ctx.device)
