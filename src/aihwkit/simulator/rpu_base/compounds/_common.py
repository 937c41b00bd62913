"""Machinery shared by every compound engine: children, reduce, hidden parameters, reads.

A compound owns ``n`` child device engines (each with its own weight matrix ``W_k`` and
its own device-to-device state) and shows the tile a visible weight, by default the
reduce ``W = sum_k gamma_k W_k`` (spec 20 §1). Device operations (decay, diffusion, drift,
clip, reset) are passed on to the children, each applying its own rule, and the visible
weight is recomputed afterwards.
"""

from collections import OrderedDict
from copy import deepcopy
from typing import Any, Dict, List, Optional, Sequence

import torch

from aihwkit.exceptions import ConfigError, check_field
from aihwkit.simulator.configs.compounds import UnitCell
from aihwkit.simulator.configs.devices import PulsedDevice
from aihwkit.simulator.parameters.enums import BoundManagementType, NoiseManagementType
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG


def is_pulsed_config(config: Any) -> bool:
    """Whether ``config`` describes a pulsed device or a pulsed compound (unit cell)."""
    return isinstance(config, (PulsedDevice, UnitCell))


def check_pulsed_children(owner: str, name: str, children: Sequence[Any]) -> None:
    """Raise :class:`ConfigError` for a child that is not a pulsed device or compound."""
    for idx, child in enumerate(children):
        check_field(owner, f"{name}[{idx}]", type(child).__name__, is_pulsed_config(child),
                    "a pulsed device (a PulsedDevice subclass) or a pulsed compound; "
                    "IdealDevice and FloatingPointDevice cannot be added "
                    "(Could not add unit cell device parameter)")


def relink_rng(obj: Any, rng: TileRNG, seen: Optional[set] = None) -> None:
    """Point the ``rng`` attribute of ``obj`` and of every engine inside it at ``rng``."""
    seen = set() if seen is None else seen
    if id(obj) in seen or not hasattr(obj, "__dict__"):
        return
    seen.add(id(obj))
    for key, value in list(vars(obj).items()):
        if key == "rng":
            setattr(obj, key, rng)
        elif isinstance(value, EngineBase):
            relink_rng(value, rng, seen)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, EngineBase):
                    relink_rng(item, rng, seen)


def build_children(configs: Sequence[Any], d_size: int, x_size: int, *,
                   device: torch.device, dtype: torch.dtype, rng: TileRNG,
                   construction_seed: int = 0) -> List[DeviceEngine]:
    """Child engines built in list order (their device-to-device draws in that order).

    A non-zero ``construction_seed`` draws the children's construction state from a
    stream seeded with it; afterwards every child uses the tile's generator.
    """
    # imported here: tile.py imports the registry, which imports this package
    from aihwkit.simulator.rpu_base.tile import build_device  # pylint: disable=import-outside-toplevel

    build_rng = TileRNG(device, seed=int(construction_seed)) if construction_seed else rng
    children = [build_device(deepcopy(cfg), d_size, x_size, device=device, dtype=dtype,
                             rng=build_rng) for cfg in configs]
    if build_rng is not rng:
        for child in children:
            relink_rng(child, rng)
    return children


def transfer_io(io: Any) -> Any:
    """Copy of ``io`` with bound and noise management switched off (transfer/refresh reads
    use one-hot inputs, which need neither)."""
    io = deepcopy(io)
    io.bound_management = BoundManagementType.NONE
    io.noise_management = NoiseManagementType.NONE
    return io


# lines up to which a reader keeps an identity matrix for its one-hot reads (4 MiB in
# float32)
_EYE_SIZE = 1024


class LineReader(EngineBase):
    """Reads single columns (forward MVM with ``e_j``) or rows (backward MVM with ``e_i``)
    of a ``[d_size, x_size]`` matrix through the periphery of ``io``.

    Args:
        io: IOParameters of the reads (bound/noise management are forced to NONE).
        d_size, x_size: shape of the matrices read.
        columns: read columns (True) or rows (False).
    """

    def __init__(self, io: Any, d_size: int, x_size: int, *, columns: bool,
                 device: torch.device, dtype: torch.dtype, rng: TileRNG) -> None:
        self.columns = columns
        self.device = torch.device(device)
        self.dtype = dtype
        self.rng = rng
        out_size, in_size = (d_size, x_size) if columns else (x_size, d_size)
        self.in_size = in_size
        self.manager = IOManager(transfer_io(io), out_size, in_size, is_backward=not columns,
                                 device=self.device, dtype=dtype, rng=rng)

    def read(self, weights: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        """Read lines ``indices`` (1-d long tensor of length m) of ``weights``.

        Returns:
            ``[m, d_size]`` (columns) or ``[m, x_size]`` (rows): a (noisy) copy of
            ``weights[:, j]`` / ``weights[i, :]`` per index.
        """
        matrix = weights if self.columns else weights.t()
        return self.manager.mvm(matrix, self._one_hot(indices, weights), False)

    def _one_hot(self, indices: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """Rows ``e_i`` ``[m, in_size]`` for the lines ``indices`` (rows of a cached
        identity for up to :data:`_EYE_SIZE` lines)."""
        if self.in_size > _EYE_SIZE:
            one_hot = torch.zeros(indices.numel(), self.in_size, device=like.device,
                                  dtype=like.dtype)
            one_hot[torch.arange(indices.numel(), device=like.device), indices] = 1.0
            return one_hot
        eye = self.__dict__.get("_cache_eye")
        if eye is None or eye.dtype != like.dtype or eye.device != like.device:
            eye = self.__dict__["_cache_eye"] = torch.eye(self.in_size, dtype=like.dtype,
                                                          device=like.device)
        return eye.index_select(0, indices)


class CompoundEngine(DeviceEngine):
    """Base of compound engines holding child device engines in ``self.children``.

    Subclasses build ``self.children`` and ``self.gamma`` and implement ``update`` and
    ``set_weights``; the visible weight is kept in ``self.weights`` (see :meth:`reduce`).
    """

    def __init__(self, config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        super().__init__(config, d_size, x_size, device=device, dtype=dtype, rng=rng)
        self.children: List[DeviceEngine] = []
        self.gamma: List[float] = []

    # ---------------------------------------------------------------- helpers
    @property
    def owner(self) -> str:
        """Class name of the configuration (used in error messages)."""
        return type(self.config).__name__

    def granularity(self) -> float:
        """Mean of the children's granularities (spec 20 §1.2)."""
        return sum(child.granularity() for child in self.children) / len(self.children)

    def reduce(self) -> None:
        """Visible weight ``W = sum_k gamma_k W_k``."""
        out = torch.zeros_like(self.weights)
        for gam, child in zip(self.gamma, self.children):
            if gam != 0.0:
                out.add_(child.get_weights(), alpha=gam)
        self.weights = out

    # ---------------------------------------------------------------- device ops
    def requires_decay(self) -> bool:
        return any(child.requires_decay() for child in self.children)

    def requires_diffusion(self) -> bool:
        return any(child.requires_diffusion() for child in self.children)

    def decay_weights(self, alpha: float = 1.0) -> None:
        for child in self.children:
            child.decay_weights(alpha)
        self.reduce()

    def diffuse_weights(self) -> None:
        for child in self.children:
            child.diffuse_weights()
        self.reduce()

    def drift_weights(self, delta_t: float = 1.0) -> None:
        for child in self.children:
            child.drift_weights(delta_t)
        self.reduce()

    def clip_weights(self, clip: float = -1.0) -> None:
        for child in self.children:
            child.clip_weights(clip)
        self.reduce()

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        for child in self.children:
            child.reset_columns(start_column_idx, num_columns, reset_prob)
        self.reduce()

    # ---------------------------------------------------------------- hidden parameters
    def _extra_hidden_names(self) -> List[str]:
        """Names of compound-level hidden parameters after the children's."""
        return []

    def _get_extra_hidden(self) -> List[torch.Tensor]:
        return []

    def _set_extra_hidden(self, values: Dict[str, torch.Tensor]) -> None:
        """Write compound-level hidden parameters (``values`` keyed by name)."""

    def hidden_parameter_names(self) -> List[str]:
        names: List[str] = []
        for idx, child in enumerate(self.children):
            names.extend(f"{name}_{idx}" for name in child.hidden_parameter_names())
            names.append(f"hidden_weights_{idx}")
        return names + self._extra_hidden_names()

    def get_hidden_parameters(self) -> "OrderedDict[str, torch.Tensor]":
        values: List[torch.Tensor] = []
        for child in self.children:
            values.extend(child.get_hidden_parameters().values())
            values.append(child.get_weights().detach().clone())
        values.extend(value.detach().clone() for value in self._get_extra_hidden())
        return OrderedDict(zip(self.hidden_parameter_names(), values))

    def set_hidden_parameters(self, params: Dict[str, torch.Tensor]) -> None:
        if not self.check_hidden_names(params):
            return
        names = self.hidden_parameter_names()
        for idx, child in enumerate(self.children):
            child_names = child.hidden_parameter_names()
            child.set_hidden_parameters(OrderedDict(
                (name, params[f"{name}_{idx}"]) for name in child_names))
            if not isinstance(child, CompoundEngine):
                # a compound child's visible weight follows from its own children
                weights = torch.as_tensor(params[f"hidden_weights_{idx}"])
                child.set_weights(weights.to(device=self.device, dtype=self.dtype))
        self._set_extra_hidden({name: torch.as_tensor(params[name]).to(
            device=self.device, dtype=self.dtype) for name in self._extra_hidden_names()})
        self.reduce()


def check_vector_length(owner: str, name: str, values: Sequence[float], n_devices: int) -> None:
    """Raise :class:`ConfigError` when a non-empty per-device vector has the wrong length."""
    check_field(owner, name, list(values), len(values) in (0, n_devices),
                f"empty or a list of {n_devices} values (one per device)")


def require_devices(owner: str, children: Sequence[Any], minimum: int,
                    maximum: Optional[int] = None) -> None:
    """Raise :class:`ConfigError` unless ``minimum <= len(children) (<= maximum)``."""
    count = len(children)
    if count < minimum or (maximum is not None and count > maximum):
        allowed = (f"between {minimum} and {maximum}" if maximum is not None and
                   maximum != minimum else f"exactly {minimum}" if maximum == minimum
                   else f"at least {minimum}")
        raise ConfigError(f"{owner}.unit_cell_devices holds {count} device(s): must hold "
                          f"{allowed} device configurations")
