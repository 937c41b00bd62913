"""Tile engines: a device engine plus (for IO-managed configs) the forward/backward periphery.

``RPUSimple`` (floating point configs) computes exact products; ``RPUPulsed`` (every
IO-managed config) sends them through :class:`IOManager`. Both delegate the update to the
device engine built from ``rpu_config.device``.
"""

from collections import OrderedDict
from typing import Any, Dict, List

import torch

from aihwkit.exceptions import TileError
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.parameters.helpers import check_known_attributes
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.registry import lookup
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile_api import EngineTileAPI

DEFAULT_LEARNING_RATE = 0.1


def build_device(device_config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG, **kwargs: Any) -> DeviceEngine:
    """Build the device engine registered for ``device_config`` (or a base class of it)."""
    engine_class = lookup(device_config)
    return engine_class(device_config, d_size, x_size, device=device, dtype=dtype, rng=rng,
                        **kwargs)


class RPUSimple(EngineTileAPI, EngineBase):
    """Exact floating point tile engine.

    Shape: weights ``[d_size, x_size]``; forward ``[B, x_size] -> [B, d_size]``; backward
    ``[B, d_size] -> [B, x_size]``.
    """

    kind = "RPUSimple"

    def __init__(self, rpu_config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        check_known_attributes(rpu_config)
        self.rpu_config = rpu_config
        self.d_size = d_size
        self.x_size = x_size
        self.device = torch.device(device)
        self.dtype = dtype
        self.rng = rng
        self.learning_rate = DEFAULT_LEARNING_RATE
        self.device_engine = self._build_device(rpu_config)
        self._build_periphery(rpu_config)

    def _build_device(self, rpu_config: Any) -> DeviceEngine:
        """The device engine registered for ``rpu_config.device``."""
        return build_device(rpu_config.device, self.d_size, self.x_size, device=self.device,
                            dtype=self.dtype, rng=self.rng)

    def _build_periphery(self, rpu_config: Any) -> None:
        """Exact products: nothing to build."""

    # ---------------------------------------------------------------- products
    def forward(self, x: torch.Tensor, is_test: bool = False) -> torch.Tensor:
        """``y = W x`` for each row of ``x``."""
        return torch.nn.functional.linear(x, self.device_engine.get_weights())

    def backward(self, d: torch.Tensor) -> torch.Tensor:
        """``z = W^T d`` for each row of ``d``."""
        return d @ self.device_engine.get_weights()

    def update(self, x: torch.Tensor, d: torch.Tensor) -> None:
        """``W <- W - lr * d^T x`` as the device model does it (nothing if lr is 0)."""
        if self.learning_rate == 0.0:
            return
        self.device_engine.update(x, d, self.learning_rate, None)

    # ---------------------------------------------------------------- weights
    def get_weights(self) -> torch.Tensor:
        """Visible weights ``[d_size, x_size]`` (a copy)."""
        return self.device_engine.get_weights().detach().clone()

    def set_weights(self, weights: torch.Tensor) -> None:
        """Set weights (exactly ``[d_size, x_size]``, finite) through the device's rules.

        Raises:
            TileError: wrong shape, non-finite values or not a tensor (nothing changed).
        """
        _check_matrix("weights", weights, (self.d_size, self.x_size))
        self.device_engine.set_weights(weights.to(self.device, self.dtype))

    def get_hidden_parameters(self) -> "OrderedDict[str, torch.Tensor]":
        """Hidden parameters of the device engine."""
        return self.device_engine.get_hidden_parameters()

    def get_hidden_parameter_names(self) -> List[str]:
        """Names of the hidden parameters."""
        return self.device_engine.hidden_parameter_names()

    def set_hidden_parameters(self, params: Dict[str, torch.Tensor]) -> None:
        """Write hidden parameters (names and order must match; each ``[d_size, x_size]``,
        finite)."""
        for name, value in params.items():
            _check_matrix(f"hidden parameter {name}", value, (self.d_size, self.x_size))
        self.device_engine.set_hidden_parameters(params)

    def __str__(self) -> str:
        """Multi-line summary: the periphery, update and device settings that differ from
        their defaults, then the brief info line."""
        lines = []
        for title, name in (("Forward", "forward"), ("Backward", "backward"),
                            ("Update", "update"), ("Device", "device")):
            value = getattr(self.rpu_config, name, None)
            if value is not None:
                lines.append(f"{title}:\n" + "\n".join("  " + line
                                                      for line in str(value).split("\n")))
        lines.append(self.brief_info())
        return "\n".join(lines)

    def brief_info(self) -> str:
        """``RPUSimple<float>(d,x)`` style summary."""
        return f"{self.kind}<{_dtype_name(self.dtype)}>({self.d_size},{self.x_size})"


class RPUPulsed(RPUSimple):
    """IO-managed tile engine: products go through the forward/backward periphery and the
    update through the device model with the config's :class:`UpdateParameters`."""

    kind = "RPUPulsed"

    def _build_periphery(self, rpu_config: Any) -> None:
        self.update_parameters = rpu_config.update
        if rpu_config.update.pulse_type == PulseType.NONE \
                and hasattr(self.device_engine, "as_floating_point"):
            # no pulses: a pulsed device becomes a plain floating point one (spec 10 §2.2)
            self.device_engine = self.device_engine.as_floating_point()
        self.fwd = IOManager(rpu_config.forward, self.d_size, self.x_size, is_backward=False,
                             device=self.device, dtype=self.dtype, rng=self.rng)
        # the reference engine keeps one running AVERAGE_ABS_MAX state for both directions
        self.bwd = IOManager(rpu_config.backward, self.x_size, self.d_size, is_backward=True,
                             device=self.device, dtype=self.dtype, rng=self.rng,
                             nm_state=self.fwd.nm_state)

    def forward(self, x: torch.Tensor, is_test: bool = False) -> torch.Tensor:
        return self.fwd.mvm(self.device_engine.get_weights(), x, is_test)

    def backward(self, d: torch.Tensor) -> torch.Tensor:
        return self.bwd.mvm(self.device_engine.get_weights().t(), d, False)

    def update(self, x: torch.Tensor, d: torch.Tensor) -> None:
        if self.learning_rate == 0.0:
            return
        self.device_engine.update(x, d, self.learning_rate, self.update_parameters)

    def brief_info(self) -> str:
        return (f"{self.kind}<{_dtype_name(self.dtype)}>[{self.device_engine.brief_name}]"
                f"({self.d_size},{self.x_size})")


def _dtype_name(dtype: torch.dtype) -> str:
    return {torch.float32: "float", torch.float64: "double", torch.float16: "half"}.get(
        dtype, str(dtype))


def _check_matrix(name: str, value: Any, shape: tuple) -> None:
    if not isinstance(value, torch.Tensor):
        raise TileError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if tuple(value.shape) != tuple(shape):
        raise TileError(f"{name} has shape {tuple(value.shape)}, expected exactly {shape}")
    if not value.is_floating_point() or not bool(torch.isfinite(value).all()):
        raise TileError(f"{name} must hold finite floating point values")
