"""The interface every device engine (single device or compound) implements.

A device engine owns the weights of one crossbar ``[d_size, x_size]`` together with all
hidden state of its device model (bounds, step sizes, child devices, buffers, counters).
The tile engine asks it for the visible weights before each matrix-vector product and
hands it each mini-batch for the update.
"""

import functools
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

from aihwkit.exceptions import TileError
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.kernels.threads import (
    SMALL_WORK, SmallWork, single_thread_active)
from aihwkit.simulator.rpu_base.rng import TileRNG


class DeviceEngine(EngineBase):
    """Base class of device engines.

    Subclasses set ``state_names`` (hidden parameters as aihwkit names them) and store
    each as a ``[d_size, x_size]`` tensor attribute of the same name, unless they override
    :meth:`get_hidden_parameters` / :meth:`set_hidden_parameters` (compounds do).

    Args:
        config: the device configuration dataclass (already deep-copied by the tile).
        d_size: number of output lines (rows of the weight matrix).
        x_size: number of input lines (columns, including an analog bias column).
        device: torch device of all state.
        dtype: floating point dtype of all state.
        rng: the tile's random number generator.
    """

    state_names: Tuple[str, ...] = ()
    brief_name: str = "Device"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "update" in cls.__dict__:
            cls.update = _small_work_update(cls.__dict__["update"])  # type: ignore[method-assign]

    def __init__(self, config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        self.config = config
        self.d_size = d_size
        self.x_size = x_size
        self.device = torch.device(device)
        self.dtype = dtype
        self.rng = rng
        self.weights = torch.zeros(d_size, x_size, device=self.device, dtype=dtype)

    # ---------------------------------------------------------------- weights
    def get_weights(self) -> torch.Tensor:
        """Visible weights ``[d_size, x_size]`` used by forward and backward (no copy)."""
        return self.weights

    def set_weights(self, weights: torch.Tensor) -> None:
        """Write ``weights`` ``[d_size, x_size]`` applying the device's rules."""
        self.weights = weights.to(device=self.device, dtype=self.dtype).clone()

    # ---------------------------------------------------------------- update
    def update(self, x: torch.Tensor, d: torch.Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        """Apply ``W <- W - lr * d^T x`` for a batch the way the device model does it.

        Args:
            x: inputs ``[B, x_size]``.
            d: errors ``[B, d_size]``.
            lr: learning rate (positive: gradient descent); 0 means no change.
            up: the :class:`UpdateParameters` (``None`` for floating point tiles).
            granularity: weight change per pulse used to size the pulse trains; ``None``
                uses :meth:`granularity` (compounds pass their own).
        """
        raise NotImplementedError

    def granularity(self) -> float:
        """Weight change of one pulse used to size pulse trains (spec 10 §2.9)."""
        return 1.0

    # ---------------------------------------------------------------- device ops
    def requires_decay(self) -> bool:
        """Whether ``post_update_step`` must call :meth:`decay_weights`."""
        return getattr(self.config, "lifetime", 0.0) > 0

    def requires_diffusion(self) -> bool:
        """Whether ``post_update_step`` must call :meth:`diffuse_weights`."""
        return getattr(self.config, "diffusion", 0.0) > 0

    def decay_weights(self, alpha: float = 1.0) -> None:
        """Relax weights towards their reset values (lifetime model)."""

    def diffuse_weights(self) -> None:
        """Add one diffusion step of Gaussian noise."""

    def drift_weights(self, delta_t: float = 1.0) -> None:
        """Apply power-law drift for a time step ``delta_t``."""

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        """Reset the selected columns (wrapping around) to their reset values."""

    def clip_weights(self, clip: float = -1.0) -> None:
        """Clip to the device bounds (``clip < 0``) or to ``[-clip, clip]`` as well."""

    # ---------------------------------------------------------------- hidden parameters
    def hidden_parameter_names(self) -> List[str]:
        """Names of the hidden parameters, in aihwkit's order."""
        return list(self.state_names)

    def get_hidden_parameters(self) -> "OrderedDict[str, torch.Tensor]":
        """Hidden parameters as ``[d_size, x_size]`` tensors (copies)."""
        return OrderedDict((name, getattr(self, name).detach().clone())
                           for name in self.hidden_parameter_names())

    def check_hidden_names(self, params: Dict[str, torch.Tensor]) -> bool:
        """Whether ``params`` is non-empty; raises :class:`TileError` unless its names are
        exactly :meth:`hidden_parameter_names` in order."""
        if not params:
            return False
        names = self.hidden_parameter_names()
        if list(params.keys()) != names:
            raise TileError(f"Hidden parameter names {list(params.keys())} do not match "
                            f"the device's {names}")
        return True

    def set_hidden_parameters(self, params: Dict[str, torch.Tensor]) -> None:
        """Write hidden parameters; names must match :meth:`hidden_parameter_names`."""
        if not self.check_hidden_names(params):
            return
        for name in self.hidden_parameter_names():
            value = torch.as_tensor(params[name])
            setattr(self, name, value.to(device=self.device, dtype=self.dtype).clone())

    # ---------------------------------------------------------------- vector cells
    def get_hidden_update_index(self) -> int:
        """Index of the sub-device updated next (unit cells); 0 otherwise."""
        return 0

    def set_hidden_update_index(self, index: int) -> None:
        """Set the sub-device updated next (unit cells); no-op otherwise."""

    def extra_state(self) -> Dict[str, Any]:
        """Counters and other plain values that are not hidden parameters (informative)."""
        return {}


def _small_work_update(update: Callable[..., None]) -> Callable[..., None]:
    """``update`` run on one intra-op thread for small batches (see :class:`SmallWork`)."""

    @functools.wraps(update)
    def wrapped(self: DeviceEngine, x: torch.Tensor, d: torch.Tensor, *args: Any,
                **kwargs: Any) -> None:
        if single_thread_active():   # an enclosing block runs on one thread already
            update(self, x, d, *args, **kwargs)
            return
        size = x.shape[0] * self.d_size * self.x_size if x.dim() == 2 else SMALL_WORK
        with SmallWork(size):
            update(self, x, d, *args, **kwargs)

    return wrapped
