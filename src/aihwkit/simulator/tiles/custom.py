"""A user-defined analog tile written in plain torch, as a template for own tiles.

The pieces a tile needs are all here and small:

* :class:`CustomUpdateParameters` — the parameters of the update rule;
* :class:`CustomRPUConfig` — the configuration naming the tile class and holding the
  forward/backward periphery (:class:`IOParameters`), the update parameters, the
  mapping and pre/post-processing settings;
* :class:`CustomSimulatorTile` — the engine: weights, the IO-managed forward and
  backward products (the standard analog periphery) and the update rule;
* :class:`CustomTile` — the tile module (digital bias, scales, autograd, state).

Update rule (per optimizer step, on the accumulated batch): the exact SGD step
``ΔW = −lr · dᵀx`` is rounded to multiples of ``dw_min`` (stochastically when
``sto_round``: ``ΔW = dw_min · floor(ΔW/dw_min + U)``, ``U ~ U[0,1)``, unbiased;
otherwise to the nearest multiple) and the weights are clipped to ``[w_min, w_max]``.
``dw_min = 0`` gives exact SGD within the bounds.
"""

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from aihwkit.exceptions import ConfigError, TileError
from aihwkit.simulator.parameters.helpers import _PrintableMixin, lazy_class
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.mapping import MappableRPU
from aihwkit.simulator.parameters.pre_post import PrePostProcessingRPU
from aihwkit.simulator.rpu_base.base import EngineBase, NoHiddenParameters
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.tiles.periphery import TileWithPeriphery


@dataclass
class CustomUpdateParameters(_PrintableMixin):
    """Update rule of :class:`CustomSimulatorTile`.

    Attributes:
        dw_min: weight granularity of an update (tile units); ``0`` = exact.
        sto_round: round stochastically (unbiased) instead of to the nearest multiple.
        w_min: lower weight bound (tile units).
        w_max: upper weight bound (tile units).
    """

    dw_min: float = 0.001
    sto_round: bool = True
    w_min: float = -1.0
    w_max: float = 1.0

    def check(self) -> None:
        """Raise :class:`ConfigError` for invalid values."""
        if not self.dw_min >= 0:
            raise ConfigError(f"CustomUpdateParameters.dw_min = {self.dw_min!r} is invalid: "
                              "must be >= 0")
        if not self.w_min < self.w_max:
            raise ConfigError(f"CustomUpdateParameters.w_min = {self.w_min!r} is invalid: "
                              f"must be < w_max = {self.w_max!r}")


@dataclass
class CustomRPUConfig(MappableRPU, PrePostProcessingRPU):
    """Configuration of :class:`CustomTile`.

    Attributes:
        forward: periphery of the forward product.
        backward: periphery of the backward product.
        update: parameters of the update rule.
    """

    tile_class: Any = lazy_class("aihwkit.simulator.tiles.custom:CustomTile")
    tile_array_class: Any = lazy_class("aihwkit.simulator.tiles.array:TileModuleArray")
    forward: IOParameters = field(default_factory=IOParameters)
    backward: IOParameters = field(default_factory=IOParameters)
    update: CustomUpdateParameters = field(default_factory=CustomUpdateParameters)


class CustomSimulatorTile(NoHiddenParameters, EngineBase):
    """Engine of :class:`CustomTile`.

    Args:
        rpu_config: a :class:`CustomRPUConfig`.
        d_size: number of outputs.
        x_size: number of inputs.
        device, dtype: placement of the tensors.
        rng: the tile's random number generator.

    Shape: weights ``[d_size, x_size]``; forward ``[B, x_size] -> [B, d_size]``;
    backward ``[B, d_size] -> [B, x_size]``.
    """

    def __init__(self, rpu_config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        update = getattr(rpu_config, "update", None)
        if not isinstance(update, CustomUpdateParameters):
            raise ConfigError(f"{type(rpu_config).__name__}.update must be "
                              "CustomUpdateParameters for a CustomTile")
        update.check()
        self.update_parameters = update
        self.d_size = d_size
        self.x_size = x_size
        self.device = torch.device(device)
        self.dtype = dtype
        self.rng = rng
        self.learning_rate = 0.1
        self.weights = torch.zeros(d_size, x_size, dtype=dtype, device=self.device)
        self.fwd = IOManager(rpu_config.forward, d_size, x_size, is_backward=False,
                             device=self.device, dtype=dtype, rng=rng)
        self.bwd = IOManager(rpu_config.backward, x_size, d_size, is_backward=True,
                             device=self.device, dtype=dtype, rng=rng,
                             nm_state=self.fwd.nm_state)

    def forward(self, x: Tensor, is_test: bool = False) -> Tensor:
        """IO-managed ``y = W x`` per row of ``x``."""
        return self.fwd.mvm(self.weights, x, is_test)

    def backward(self, d: Tensor) -> Tensor:
        """IO-managed ``z = Wᵀ d`` per row of ``d``."""
        return self.bwd.mvm(self.weights.t(), d, False)

    def update(self, x: Tensor, d: Tensor) -> None:
        """``W <- clip(W + round(-lr dᵀx; dw_min), w_min, w_max)``."""
        par = self.update_parameters
        delta = (d.t() @ x) * (-self.learning_rate)
        if par.dw_min > 0:
            steps = delta / par.dw_min
            if par.sto_round:
                steps = torch.floor(steps + self.rng.uniform(steps.shape, steps.dtype)
                                    .to(steps.device))
            else:
                steps = torch.round(steps)
            delta = steps * par.dw_min
        self.weights = (self.weights + delta).clamp(par.w_min, par.w_max)

    def get_weights(self) -> Tensor:
        """Weights ``[d_size, x_size]`` (a copy)."""
        return self.weights.detach().clone()

    def set_weights(self, weights: Tensor) -> None:
        """Set the weights, clipped to ``[w_min, w_max]``."""
        par = self.update_parameters
        self.weights = weights.detach().to(self.device, self.dtype).clamp(
            par.w_min, par.w_max).clone()


    def brief_info(self) -> str:
        """``CustomSimulatorTile(d_size, x_size)``."""
        return f"{type(self).__name__}({self.d_size},{self.x_size})"


class CustomTile(TileWithPeriphery):
    """Analog tile built on :class:`CustomSimulatorTile`.

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a :class:`CustomRPUConfig` (default when ``None``).
        bias: whether the tile has a bias.
        in_trans, out_trans: feature dimension first for inputs / outputs.
    """

    def __init__(self, out_size: int, in_size: int, rpu_config: Any = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            rpu_config = CustomRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)

    def _create_engine(self) -> CustomSimulatorTile:
        return CustomSimulatorTile(self.rpu_config, self.d_size, self.x_size,
                                   device=self.device, dtype=self.get_dtype(), rng=self._rng)

    def post_update_step(self) -> None:
        """Nothing to do after an optimizer step: the device has no decay or diffusion
        (bounds are applied by the update itself)."""
        return None

    def _no_device_model(self, what: str) -> None:
        raise TileError(f"CustomTile has no {what}: the custom device does not model it")

    def decay_weights(self, alpha: float = 1.0) -> None:
        """Not modelled by the custom device (``TileError``)."""
        self._no_device_model("weight decay")

    def diffuse_weights(self) -> None:
        """Not modelled by the custom device (``TileError``)."""
        self._no_device_model("weight diffusion")

    def drift_weights(self, delta_t: float = 1.0) -> None:
        """Not modelled by the custom device (``TileError``)."""
        self._no_device_model("drift")

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        """Not modelled by the custom device (``TileError``)."""
        self._no_device_model("reset")


class CudaCustomTile(CustomTile):
    """A :class:`CustomTile` whose state lives on a CUDA device."""


CustomTile.cpu_class = CustomTile
CustomTile.cuda_class = CudaCustomTile
