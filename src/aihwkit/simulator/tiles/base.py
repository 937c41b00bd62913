"""Tile module base: construction, engine ownership, state, device moves and printing.

A tile is a ``torch.nn.Module`` wrapping one engine object (``self.tile``) built from its
RPU configuration. Everything a tile holds can be pickled, deep-copied and stored in a
``state_dict``; a restored tile continues bit for bit (engine state and random stream
included).
"""

from collections import OrderedDict
from copy import deepcopy
from typing import Any, Dict, List, Optional

import torch
from torch import Tensor
from torch.nn import Module

from aihwkit.exceptions import AihwkitException, ArgumentError, ConfigError, CudaError, TileError
from aihwkit.simulator.tiles.checks import check_integer, check_real
from aihwkit.simulator.tiles.context import AnalogContext
from aihwkit.simulator.tiles.state import AnalogTileStateNames, TileStateMixin
from aihwkit.simulator.parameters.base import RPUConfigBase
from aihwkit.simulator.parameters.helpers import check_known_attributes
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.parameters.validation import validate_config_fields
from aihwkit.simulator.rpu_base import build_tile_engine
from aihwkit.simulator.rpu_base.rng import TileRNG


def check_size(name: str, value: Any) -> int:
    """Validate a tile size argument (a positive integer)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    return value


class TileModuleBase(TileStateMixin, Module):
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
        self.register_load_state_dict_post_hook(_reapply_loaded_weights)

    # ------------------------------------------------------------------ construction
    def _check_config(self) -> None:
        """Reject configurations that this tile cannot simulate, and fields of the wrong
        kind (NaN, strings for numbers, ...)."""
        validate_config_fields(self.rpu_config)
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
        """Set the tile learning rate, a finite number ``>= 0`` (``None``: unchanged).

        Raises:
            ArgumentError: for NaN, infinities, negative values and non-numbers.
        """
        if learning_rate is None:
            return
        learning_rate = check_real("learning_rate", learning_rate, minimum=0.0)
        self.tile.learning_rate = learning_rate * self.mapping_lr_scale

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
        self.tile.device_engine.set_hidden_update_index(check_integer("index", index, 0))

    # ------------------------------------------------------------------ state
    def _save_to_state_dict(self, destination: Dict[str, Any], prefix: str,
                            keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + AnalogTileStateNames.ANALOG_STATE_NAME] = self.get_analog_state()

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Any, strict: bool, missing_keys: List[str],
                              unexpected_keys: List[str], error_msgs: List[str]) -> None:
        key = prefix + AnalogTileStateNames.ANALOG_STATE_NAME
        if key in state_dict:
            entry = state_dict[key]
            pending = self.__dict__.pop("_pending_state", None)
            if pending is not None and pending[0] is entry:
                prepared = pending[1]
            else:
                prepared = self.prepare_named(entry, prefix[:-1])
            self.commit_analog_state(prepared)
        elif strict:
            missing_keys.append(key)
        rest = {k: v for k, v in state_dict.items() if k != key}
        super()._load_from_state_dict(rest, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def commit_analog_state(self, prepared: Any) -> None:
        super().commit_analog_state(prepared)
        if isinstance(self.tile, Module):
            # the engine's parameters are loaded after this tile by torch; the analog
            # state's weights (which may have been edited) are written again afterwards
            self.__dict__["_loaded_weights"] = self.tile.get_weights()

    def set_analog_state(self, state: Dict[str, Any]) -> None:
        super().set_analog_state(state)
        self.__dict__.pop("_loaded_weights", None)

    def prepare_named(self, entry: Any, name: str) -> Any:
        """:meth:`prepare_analog_state` whose errors name the tile (``name``: its module
        path in the model)."""
        try:
            return self.prepare_analog_state(entry)
        except AihwkitException as exc:
            where = name or type(self).__name__
            raise type(exc)(f"Cannot load the analog state of '{where}': {exc}") from exc

    def prepare_named_replacement(self, rpu_config: Any, name: str) -> Any:
        """:meth:`prepare_replacement` whose errors name the tile (``name``: its module
        path in the model)."""
        try:
            return self.prepare_replacement(rpu_config)
        except AihwkitException as exc:
            where = name or type(self).__name__
            raise type(exc)(f"Cannot replace the RPU config of '{where}': {exc}") from exc

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

    def to(self, *args: Any, **kwargs: Any) -> "TileModuleBase":  # type: ignore[override]
        """``torch.nn.Module.to``, which also accepts an RPU configuration (first
        positional argument or ``rpu_config=``) to :meth:`replace_with`; a device or dtype
        may follow. Returns the tile itself."""
        config = kwargs.pop("rpu_config", None)
        if args and isinstance(args[0], RPUConfigBase):
            if config is not None:
                raise ArgumentError("to(): the RPU config was given twice")
            config, args = args[0], args[1:]
        if config is not None:
            self.replace_with(config)
            if not args and not kwargs:
                return self
        return super().to(*args, **kwargs)

    def cuda(self, device: Any = None) -> "TileModuleBase":
        """Move the tile to a CUDA device (the object itself is returned)."""
        if not torch.cuda.is_available():
            raise CudaError("CUDA is not available: this torch install cannot use a GPU")
        return super().cuda(device)


def _reapply_loaded_weights(module: TileModuleBase, _incompatible: Any) -> None:
    """Post-load hook: the analog state's weights win over the engine module's own
    ``weight`` entry (``analog_tile_weights`` is the authoritative copy)."""
    weights = module.__dict__.pop("_loaded_weights", None)
    if weights is not None:
        module.tile.set_weights(weights)
