"""Tile module base: construction, engine ownership, state, device moves and printing.

A tile is a ``torch.nn.Module`` wrapping one engine object (``self.tile``) built from its
RPU configuration. Everything a tile holds can be pickled, deep-copied and stored in a
``state_dict``; a restored tile continues bit for bit (engine state and random stream
included).
"""

from collections import OrderedDict
from copy import deepcopy
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Module, Parameter

from aihwkit import __version__
from aihwkit.exceptions import ArgumentError, ConfigError, CudaError, TileError, TileModuleError
from aihwkit.optim.context import AnalogContext
from aihwkit.simulator.parameters.helpers import check_known_attributes
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.rpu_base import build_tile_engine
from aihwkit.simulator.rpu_base.rng import TileRNG


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

    @staticmethod
    def get_field_names() -> List[str]:
        """Values of the key constants."""
        return [value for key, value in vars(AnalogTileStateNames).items()
                if key.isupper() and not key.startswith("ANALOG_STATE")]


def check_size(name: str, value: Any) -> int:
    """Validate a tile size argument (a positive integer)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    return value


class TileModuleBase(Module):
    """Construction, engine, state handling and device moves shared by all tiles.

    Args:
        out_size: number of outputs (rows of the weight matrix).
        in_size: number of inputs (columns, without an analog bias column).
        rpu_config: the RPU configuration (deep-copied).
        bias: whether the tile has a bias (digital unless ``mapping.digital_bias=False``).
        in_trans: inputs come with the feature dimension first.
        out_trans: outputs are returned with the feature dimension first.
    """

    supports_ddp = False
    # inference tiles (program/drift with a noise model) set this; drift_analog_weights of
    # layers only visits such tiles
    is_inference_tile = False
    cuda_class: Optional[type] = None  # set by subclasses: class of the tile after .cuda()
    cpu_class: Optional[type] = None

    def __init__(self, out_size: int, in_size: int, rpu_config: Any, bias: bool = False,
                 in_trans: bool = False, out_trans: bool = False) -> None:
        super().__init__()
        self.out_size = check_size("out_size", out_size)
        self.in_size = check_size("in_size", in_size)
        if not isinstance(bias, bool):
            raise ArgumentError(f"bias must be a bool, got {bias!r}")
        check_known_attributes(rpu_config)
        self.rpu_config = deepcopy(rpu_config)
        self.in_trans = bool(in_trans)
        self.out_trans = bool(out_trans)
        mapping = getattr(self.rpu_config, "mapping", MappingParameter())
        self.use_bias = bias
        self.digital_bias = bias and mapping.digital_bias
        self.analog_bias = bias and not mapping.digital_bias
        self.x_size = self.in_size + int(self.analog_bias)
        self.d_size = self.out_size
        self.device = torch.device("cpu")
        self.is_cuda = False
        self._check_config()
        self._rng = TileRNG(self.device)
        self.tile = self._create_engine()
        self.tile.set_weights(self._initial_weights())
        self.load_rpu_config = True
        self.strict_rpu_config_check = True
        self.non_blocking = False
        self.reference_combined_weights: Optional[Tensor] = None
        self.analog_ctx = AnalogContext(self)

    # ------------------------------------------------------------------ construction
    def _check_config(self) -> None:
        """Reject configurations that this tile cannot simulate."""
        data_type = getattr(getattr(self.rpu_config, "runtime", None), "data_type", None)
        if data_type is not None and not hasattr(data_type, "as_torch"):
            raise ConfigError(f"RuntimeParameter.data_type = {data_type!r} is invalid: "
                              "must be an RPUDataType")

    def get_dtype(self) -> torch.dtype:
        """Floating point dtype of the tile's tensors."""
        runtime = getattr(self.rpu_config, "runtime", None)
        return runtime.data_type.as_torch() if runtime is not None else torch.float32

    def _create_engine(self) -> Any:
        return build_tile_engine(self.rpu_config, self.d_size, self.x_size,
                                 device=self.device, dtype=self.get_dtype(), rng=self._rng)

    def _initial_weights(self) -> Tensor:
        """Engine initial weights ``U(-0.1, 0.1)`` from the tile's generator."""
        draw = self._rng.uniform((self.d_size, self.x_size), self.get_dtype())
        return draw * 0.2 - 0.1

    # ------------------------------------------------------------------ info
    def get_brief_info(self) -> str:
        """One-line description of the engine, e.g. ``RPUPulsed<float>[ConstantStep](3,4)``."""
        info = self.tile.brief_info()
        if self.is_cuda:
            info = info.replace("RPU", "RPUCuda", 1)
        return info

    def extra_repr(self) -> str:
        return self.get_brief_info()

    # ------------------------------------------------------------------ learning rate
    def set_learning_rate(self, learning_rate: Optional[float] = None) -> None:
        """Set the tile learning rate (``None``: unchanged)."""
        if learning_rate is None:
            return
        self.tile.learning_rate = float(learning_rate) * self.mapping_lr_scale

    def get_learning_rate(self) -> float:
        """The tile learning rate."""
        return self.tile.learning_rate / self.mapping_lr_scale

    # ------------------------------------------------------------------ hidden parameters
    def get_hidden_parameters(self) -> "OrderedDict[str, Tensor]":
        """Hidden parameters of the device model as CPU tensors ``[d_size, x_size]``."""
        return OrderedDict((name, value.detach().cpu().clone())
                           for name, value in self.tile.get_hidden_parameters().items())

    def set_hidden_parameters(self, params: Dict[str, Tensor]) -> None:
        """Write hidden parameters (same names and order as :meth:`get_hidden_parameters`)."""
        names = self.tile.get_hidden_parameter_names()
        if params and list(params.keys()) != names:
            raise TileError(f"Hidden parameter names {list(params.keys())} do not match "
                            f"{names}")
        self.tile.set_hidden_parameters(params)

    def get_hidden_update_index(self) -> int:
        """Sub-device that receives the next update (unit cells)."""
        return self.tile.device_engine.get_hidden_update_index()

    def set_hidden_update_index(self, index: int) -> None:
        """Choose the sub-device that receives the next update (unit cells)."""
        self.tile.device_engine.set_hidden_update_index(index)

    # ------------------------------------------------------------------ state
    def get_analog_state(self) -> Dict[str, Any]:
        """Analog state stored under ``analog_tile_state`` in a state dict."""
        names = AnalogTileStateNames
        hidden = self.tile.get_hidden_parameters()
        stacked = (torch.stack([v.detach().cpu() for v in hidden.values()])
                   if hidden else torch.empty(0))
        engine = deepcopy(self.tile)
        engine.to(torch.device("cpu"))
        return {
            names.VERSION: __version__,
            names.WEIGHTS: self.tile.get_weights().detach().cpu(),
            names.HIDDEN_PARAMETERS: stacked,
            names.HIDDEN_PARAMETER_NAMES: list(hidden.keys()),
            names.CLASS: type(self).cpu_class.__name__ if type(self).cpu_class
            else type(self).__name__,
            names.LR: self.get_learning_rate(),
            names.CONTEXT: self.analog_ctx.data.detach().cpu().clone(),
            names.RPU_CONFIG: deepcopy(self.rpu_config),
            names.EXTRA: None,
            names.ENGINE: {"engine": engine, "rng": deepcopy(self._rng)},
        }

    def set_analog_state(self, state: Dict[str, Any]) -> None:
        """Restore the analog state written by :meth:`get_analog_state`."""
        names = AnalogTileStateNames
        stored_config = state[names.RPU_CONFIG]
        stored_class = state.get(names.CLASS, type(self).__name__)
        if not self._compatible_class(stored_config, stored_class):
            raise TileError("Error creating tile. Possible mismatch between "
                            f"{stored_class} and {type(self).__name__}")
        if self.load_rpu_config:
            config = deepcopy(stored_config)
            if hasattr(self.rpu_config, "tile_class"):
                config.tile_class = self.rpu_config.tile_class
        else:
            self._check_replaceable(stored_config)
            config = self.rpu_config
        engine_state = state.get(names.ENGINE)
        same_config = engine_state is not None and stored_config == config
        if same_config:
            self.rpu_config = config
            self._rng = deepcopy(engine_state["rng"]).to(self.device)
            self.tile = deepcopy(engine_state["engine"])
            self._relink_rng(self.tile)
            self.tile.to(self.device)
        else:
            self.rpu_config = config
            self.tile = self._create_engine()
            names_stored = state.get(names.HIDDEN_PARAMETER_NAMES, [])
            if names_stored != self.tile.get_hidden_parameter_names():
                raise TileError("Mismatch with loaded analog state: Hidden parameter "
                                "structure is unexpected.")
            hidden = state[names.HIDDEN_PARAMETERS]
            if names_stored:
                self.tile.set_hidden_parameters(OrderedDict(zip(names_stored, hidden)))
            self.tile.set_weights(state[names.WEIGHTS].to(self.device))
        lr = state.get(names.LR)
        self.set_learning_rate(0.01 if lr is None else lr)

    def _relink_rng(self, engine: Any) -> None:
        """Point every engine part at this tile's generator."""
        seen = set()

        def walk(obj: Any) -> None:
            if id(obj) in seen or not hasattr(obj, "__dict__"):
                return
            seen.add(id(obj))
            for key, value in vars(obj).items():
                if key == "rng":
                    setattr(obj, key, self._rng)
                elif hasattr(value, "apply_to_tensors"):
                    walk(value)
                elif isinstance(value, list):
                    for item in value:
                        if hasattr(item, "apply_to_tensors"):
                            walk(item)

        walk(engine)

    def _compatible_class(self, stored_config: Any, stored_class: str) -> bool:
        own = type(self).cpu_class.__name__ if type(self).cpu_class else type(self).__name__
        if stored_class == own:
            return True
        compatible = getattr(self.rpu_config, "compatible_with", None)
        return bool(compatible and compatible(stored_class))

    def _check_replaceable(self, stored_config: Any) -> None:
        if self.strict_rpu_config_check and not (
                isinstance(stored_config, type(self.rpu_config))
                or isinstance(self.rpu_config, type(stored_config))):
            raise TileModuleError(
                f"RPU config mismatch: Cannot replace {type(stored_config).__name__} "
                f"with {type(self.rpu_config).__name__}")
        stored_mapping = getattr(stored_config, "mapping", None)
        own_mapping = getattr(self.rpu_config, "mapping", None)
        if stored_mapping is not None and own_mapping is not None \
                and not own_mapping.compatible_with(stored_mapping):
            raise TileModuleError("RPU config mismatch: mapping parameters differ")

    def set_load_rpu_config_state(self, load_rpu_config: Optional[bool] = None,
                                  strict_rpu_config_check: Optional[bool] = None) -> None:
        """Whether loading a state dict adopts the stored config (kept across loads)."""
        if load_rpu_config is not None:
            self.load_rpu_config = load_rpu_config
        if strict_rpu_config_check is not None:
            self.strict_rpu_config_check = strict_rpu_config_check

    def _save_to_state_dict(self, destination: Dict[str, Any], prefix: str,
                            keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + AnalogTileStateNames.ANALOG_STATE_NAME] = self.get_analog_state()

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Any, strict: bool, missing_keys: List[str],
                              unexpected_keys: List[str], error_msgs: List[str]) -> None:
        key = prefix + AnalogTileStateNames.ANALOG_STATE_NAME
        if key in state_dict:
            self.set_analog_state(state_dict[key])
        elif strict:
            missing_keys.append(key)
        rest = {k: v for k, v in state_dict.items() if k != key}
        super()._load_from_state_dict(rest, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        params = OrderedDict(state["_parameters"])
        ctx = params.pop("analog_ctx", None)
        state["_parameters"] = params
        state["_analog_ctx_data"] = None if ctx is None else ctx.data.detach().clone()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        ctx_data = state.pop("_analog_ctx_data", None)
        super().__setstate__(state)
        self.analog_ctx = AnalogContext(self)
        if ctx_data is not None:
            self.analog_ctx.data = ctx_data.to(self.analog_ctx.device)

    # ------------------------------------------------------------------ device moves
    def _apply(self, fn: Any, recurse: bool = True) -> "TileModuleBase":
        try:
            probe = fn(torch.zeros(1, dtype=self.get_dtype(), device=self.device))
        except (AssertionError, RuntimeError) as exc:
            if not torch.cuda.is_available():
                raise CudaError("CUDA is not available: this torch install cannot use a "
                                "GPU") from exc
            raise
        self._move_engine(probe.device, probe.dtype)
        return super()._apply(fn, recurse)

    def _move_engine(self, device: torch.device, dtype: torch.dtype) -> None:
        if device.type == "cuda" and not torch.cuda.is_available():
            raise CudaError("CUDA is not available: this torch install cannot use a GPU")
        if device == self.device and dtype == self.get_dtype():
            return
        if dtype != self.get_dtype():
            self._set_dtype(dtype)
        self._rng.to(device)
        self.tile.to(device, dtype)
        self.device = device
        self.is_cuda = device.type == "cuda"
        target = type(self).cuda_class if self.is_cuda else type(self).cpu_class
        if target is not None:
            self.__class__ = target

    def _set_dtype(self, dtype: torch.dtype) -> None:
        runtime = getattr(self.rpu_config, "runtime", None)
        if runtime is None:
            raise ConfigError(f"{type(self.rpu_config).__name__} has no runtime data type")
        from aihwkit.simulator.parameters.enums import RPUDataType  # pylint: disable=import-outside-toplevel
        for member in RPUDataType:
            if member.as_torch() == dtype:
                runtime.data_type = member
                return
        raise ArgumentError(f"dtype {dtype} is not supported: use float16, float32 or float64")

    def cuda(self, device: Any = None) -> "TileModuleBase":
        """Move the tile to a CUDA device (the object itself is returned)."""
        if not torch.cuda.is_available():
            raise CudaError("CUDA is not available: this torch install cannot use a GPU")
        return super().cuda(device)
