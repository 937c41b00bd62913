"""Pulse trains of the pulsed update: train length, probabilities and coincidence counts.

Turns one mini-batch ``(x, d)`` and a learning rate into signed per-sample pulse counts
``n[b, i, j]`` (positive: ``n`` up pulses, negative: ``|n|`` down pulses) following
spec 10 §2.3-§2.7. Samples are independent here; the order in which their pulses are
applied is the device kernels' business.

Scales are computed per sample in the tile's floating point type, in the order the
reference engine uses, so that roundings of the deterministic pulse types agree.
"""

import math
import operator
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError, check_choice, check_field
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base.rng import TileRNG

OWNER = "UpdateParameters"
# at most this many elements in one chunk of per-sample counts [chunk, d, x]
CHUNK_ELEMENTS = 1 << 22


class UpdateSettings(NamedTuple):
    """The fields of an :class:`UpdateParameters`, validated and typed (``int``,
    ``float``, ``bool``): what the update kernels read. Same field names, so a kernel
    takes either."""

    desired_bl: int
    fixed_bl: bool
    pulse_type: PulseType
    res: float
    x_res_implicit: float
    d_res_implicit: float
    d_sparsity: bool
    sto_round: bool
    update_bl_management: bool
    update_management: bool
    um_grad_scale: float


_SNAPSHOT = operator.attrgetter(*UpdateSettings._fields)
# settings already validated, by the field values and their types (``1 == True``, but
# only ``True`` is a valid flag)
_VALIDATED: Dict[Tuple[Any, ...], UpdateSettings] = {}
_VALIDATED_MAX = 256


def validate_update_parameters(up: Any) -> UpdateSettings:
    """The :class:`UpdateSettings` of ``up``; raises ``ConfigError`` for invalid fields.

    An update validates its parameters at every call (they may be changed between
    calls); values seen before are looked up instead of checked again.
    """
    values = _SNAPSHOT(up)
    key = (values, tuple(map(type, values)))
    try:
        found = _VALIDATED.get(key)
    except TypeError:   # an unhashable field value: invalid, the checks name it
        found, key = None, None
    if found is not None:
        return found
    _check_update_parameters(up)
    found = UpdateSettings(int(up.desired_bl), up.fixed_bl, up.pulse_type, float(up.res),
                           float(up.x_res_implicit), float(up.d_res_implicit), up.d_sparsity,
                           up.sto_round, up.update_bl_management, up.update_management,
                           float(up.um_grad_scale))
    if key is not None:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[key] = found
    return found


def update_settings(up: Any) -> UpdateSettings:
    """``up`` itself when it is an :class:`UpdateSettings`, else its validated settings."""
    if isinstance(up, UpdateSettings):
        return up
    return validate_update_parameters(up)


def _check_update_parameters(up: Any) -> None:
    check_choice(OWNER, "pulse_type", up.pulse_type, PulseType)
    bl = up.desired_bl
    check_field(OWNER, "desired_bl", bl,
                isinstance(bl, (int, float)) and not isinstance(bl, bool)
                and bl == int(bl) and bl >= 1, "an integer >= 1")
    for name in ("res", "x_res_implicit", "d_res_implicit"):
        value = getattr(up, name)
        check_field(OWNER, name, value, _finite(value), "a finite number (<= 0: off)")
    scale = up.um_grad_scale
    check_field(OWNER, "um_grad_scale", scale, _finite(scale) and scale > 0, "a number > 0")
    for name in ("fixed_bl", "sto_round", "update_bl_management", "update_management",
                 "d_sparsity"):
        check_field(OWNER, name, getattr(up, name), isinstance(getattr(up, name), bool),
                    "True or False")


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


@dataclass
class TrainScales:
    """Per-sample train length and probability scales (spec 10 §2.3).

    Attributes:
        bl: train length per sample ``[B]`` (int64, >= 1).
        a: scale of the ``d`` probabilities ``[B]``.
        b: scale of the ``x`` probabilities ``[B]``.
        active: samples that produce pulses at all ``[B]`` (bool).
        max_bl: the common train length when it is known without looking at the data
            (no update BL management), else ``None``.
        peaks: ``max_j |x_bj|`` and ``max_i |d_bi|`` ``[B]`` when update management
            computed them (NaN for rows holding NaN), else ``None``.
    """

    bl: Tensor
    a: Tensor
    b: Tensor
    active: Tensor
    max_bl: Optional[int] = None
    peaks: Optional[Tuple[Tensor, Tensor]] = None


# 0-d tensors of (|lr|, granularity) per dtype and device, and derived scalars: an
# update call would otherwise build them afresh (a few torch calls and host reads)
_SCALARS: Dict[Tuple[Any, ...], Tuple[Tensor, Tensor, Dict[Any, Any]]] = {}
_SCALARS_MAX = 256


def _train_scalars(lr: float, granularity: float, dtype: torch.dtype, device: torch.device
                   ) -> Tuple[Tensor, Tensor, Dict[Any, Any]]:
    """``(lam, gran, derived)``: ``|lr|`` and the granularity as 0-d tensors, and a dict
    for values derived from them (cached per dtype and device)."""
    key = (abs(lr), granularity, dtype, device)
    found = _SCALARS.get(key)
    if found is None:
        if len(_SCALARS) >= _SCALARS_MAX:
            _SCALARS.clear()
        found = (torch.tensor(abs(lr), dtype=dtype, device=device),
                 torch.tensor(granularity, dtype=dtype, device=device), {})
        _SCALARS[key] = found
    return found


def train_scales(x: Tensor, d: Tensor, lr: float, granularity: float, up: Any) -> TrainScales:
    """BL, A and B for every sample of ``x`` ``[B, x_size]`` and ``d`` ``[B, d_size]``.

    The returned tensors are read-only (``a`` and ``b`` may share storage).
    """
    dtype, device = x.dtype, x.device
    batch = x.shape[0]
    lam, gran, derived = _train_scalars(lr, granularity, dtype, device)
    desired = int(up.desired_bl)
    ublm = bool(up.update_bl_management)
    use_um = ublm or bool(up.update_management)

    if ublm:
        # every initial value below is replaced by the per-sample management
        bl_value = desired
    else:
        long_enough = derived.get(("long", desired))
        if long_enough is None:
            long_enough = derived[("long", desired)] = float(gran * desired) >= float(lam)
        if up.fixed_bl or long_enough:
            bl_value = desired
            scale = derived.get(("scale", bl_value))
            if scale is None:
                scale = derived[("scale", bl_value)] = torch.sqrt(lam / (gran * bl_value))
        else:
            bl_value = max(int(math.ceil(float(lam / gran))), 1)
            scale = torch.ones((), dtype=dtype, device=device)
        bl = torch.full((batch,), bl_value, dtype=torch.int64, device=device)
        a = b = scale.expand(batch)
        if not use_um:
            return TrainScales(bl, a, b, torch.ones(batch, dtype=torch.bool, device=device),
                               bl_value)

    x_max = x.abs().amax(dim=1)
    d_max = d.abs().amax(dim=1)
    peaks = (x_max, d_max)
    active = (x_max > 0) & (d_max > 0)
    # inactive samples get harmless stand-ins; their probabilities are zero anyway
    x_max = torch.where(active, x_max, 1.0)
    d_val = torch.where(active, d_max, 1.0)
    if up.um_grad_scale != 1.0:
        d_val = d_val * up.um_grad_scale
    k_val = lam * x_max * d_val / gran
    if ublm:
        bl = torch.clamp(torch.ceil(k_val), min=1, max=desired).to(torch.int64)
        a = b = torch.sqrt(lam / (gran * bl.to(dtype)))
    saturated = k_val > desired
    d_val = torch.where(saturated, d_val * (desired / k_val), d_val)
    a = a * torch.sqrt(x_max / d_val)
    b = b * torch.sqrt(d_val / x_max)
    bl = torch.where(active, bl, 1)
    return TrainScales(bl, a, b, active, None if ublm else bl_value, peaks)


def quantize(p: Tensor, res: float, sto_round: bool, rng: TileRNG) -> Tensor:
    """``QuantP`` of spec 10 §2.4: bin width ``res`` (<= 0: identity), stochastic rounding
    with ``sto_round``."""
    if res <= 0:
        return p
    if sto_round:
        return res * torch.round(p / res + rng.uniform(p.shape, p.dtype) - 0.5)
    return res * torch.round(p / res)


class PulseCounts:
    """Signed pulse counts of one update call, produced lazily per chunk of samples.

    Stochastic pulse types keep the bit trains ``d_trains`` ``[B, K, d]`` and ``x_trains``
    ``[B, K, x]`` with entries in ``{-1, 0, 1}`` (the direction folded in), so that
    ``n[b] = d_trains[b]^T @ x_trains[b]``. Deterministic types keep two signed factors
    ``d_factor`` ``[B, d]`` and ``x_factor`` ``[B, x]`` with
    ``n[b] = rint(d_factor[b] x_factor[b]^T)``.

    Attributes:
        bounds: per sample an upper bound of ``|n|`` known on the host (the sample's
            train length), or ``None``.
        d_sparsity: fraction of zero-probability ``d`` entries per sample ``[B]`` (only
            when ``UpdateParameters.d_sparsity``), else ``None``.
    """

    def __init__(self, batch: int, d_size: int, x_size: int, *,
                 d_trains: Optional[Tensor] = None, x_trains: Optional[Tensor] = None,
                 d_factor: Optional[Tensor] = None, x_factor: Optional[Tensor] = None,
                 d_sparsity: Optional[Tensor] = None,
                 bounds: Optional[List[int]] = None) -> None:
        self.batch = batch
        self.bounds = bounds
        self.d_size = d_size
        self.x_size = x_size
        self.d_trains = d_trains
        self.x_trains = x_trains
        if d_trains is not None:
            # [B, size, K] layouts: contiguous operands for the count products
            self._d_cols = d_trains.transpose(1, 2).contiguous()
            self._x_cols = x_trains.transpose(1, 2).contiguous()
        self.d_factor = d_factor
        self.x_factor = x_factor
        self.d_sparsity = d_sparsity

    def row_block(self, start: int, stop: int) -> "PulseCounts":
        """The counts of rows ``start .. stop - 1`` only (views of the factors or trains;
        the flat crosspoint order of the block is that of the full counts)."""
        rows = stop - start
        if self.is_dense:
            return PulseCounts(self.batch, rows, self.x_size,
                               d_factor=self.d_factor[:, start:stop], x_factor=self.x_factor,
                               bounds=self.bounds)
        block = PulseCounts.__new__(PulseCounts)
        block.__dict__.update(self.__dict__)
        block.d_size = rows
        block.d_trains = self.d_trains[:, :, start:stop]
        block._d_cols = self._d_cols[:, start:stop]
        return block

    @property
    def is_dense(self) -> bool:
        """True for the deterministic pulse types (rounded outer products)."""
        return self.d_factor is not None

    def chunks(self, index: Optional[Tensor] = None) -> Iterator[Tuple[int, Tensor]]:
        """Yield ``(start, counts)`` for consecutive chunks of samples.

        Args:
            index: flat crosspoint indices (``row * x_size + column``); ``None``: all.

        Yields:
            The first sample of the chunk and its counts ``[chunk, M]`` (``M`` crosspoints).
        """
        size = self.d_size * self.x_size
        width = size if index is None else index.numel()
        gather = index is not None and width * self.train_length < size
        step = max(1, CHUNK_ELEMENTS // max(1, width * (self.train_length if gather else 1)))
        if gather:
            rows, cols = index // self.x_size, index % self.x_size
        for start in range(0, self.batch, step):
            stop = min(start + step, self.batch)
            if gather:
                yield start, self._gathered(start, stop, rows, cols)
                continue
            counts = self.chunk(start, stop).reshape(stop - start, -1)
            yield start, counts if index is None else counts[:, index]

    @property
    def train_length(self) -> int:
        """Inner dimension of one sample's count product (train length, or 1)."""
        return 1 if self.is_dense else self.d_trains.shape[1]

    def _gathered(self, start: int, stop: int, rows: Tensor, cols: Tensor) -> Tensor:
        """Counts ``[stop - start, M]`` of the crosspoints ``(rows, cols)`` only."""
        if self.is_dense:
            return torch.round(self.d_factor[start:stop, rows] * self.x_factor[start:stop, cols])
        return (self._d_cols[start:stop, rows] * self._x_cols[start:stop, cols]).sum(2)

    def chunk(self, start: int, stop: int) -> Tensor:
        """Counts ``[stop - start, d_size, x_size]`` of samples ``start..stop-1``."""
        if self.is_dense:
            product = self.d_factor[start:stop].unsqueeze(2) * self.x_factor[start:stop].unsqueeze(1)
            return torch.round(product)
        return torch.bmm(self._d_cols[start:stop], self.x_trains[start:stop])

    def sample(self, index: int) -> Tensor:
        """Counts ``[d_size, x_size]`` of one sample."""
        return self.chunk(index, index + 1)[0]

    def totals(self) -> Tuple[Tensor, Tensor]:
        """Numbers of up and of down pulses per crosspoint summed over the batch."""
        if self.is_dense:
            ups = torch.zeros(self.d_size, self.x_size, dtype=self.d_factor.dtype,
                              device=self.d_factor.device)
            downs = torch.zeros_like(ups)
            for _, counts in self.chunks():
                ups += counts.clamp(min=0).sum(0).reshape(ups.shape)
                downs += (-counts).clamp(min=0).sum(0).reshape(ups.shape)
            return ups, downs
        d_all = self._d_cols.transpose(0, 1).reshape(self.d_size, -1)       # [d, B K]
        x_all = self.x_trains.reshape(-1, self.x_size)                      # [B K, x]
        signed = d_all @ x_all
        total = d_all.abs() @ x_all.abs()
        return (total + signed) * 0.5, (total - signed) * 0.5

    def max_count(self) -> int:
        """Upper bound of ``|n|`` over samples and crosspoints."""
        if self.is_dense:
            return int((self.d_factor.abs().amax(1) * self.x_factor.abs().amax(1)).max()) + 1
        return int(self.train_length)

    def is_empty(self) -> bool:
        """True when certainly no crosspoint receives a pulse (a cheap shortcut test)."""
        if self.is_dense:
            return not bool((self.d_factor.abs().amax(1) * self.x_factor.abs().amax(1)
                             >= 0.5).any())
        return not bool(((self.d_trains != 0).any(2) & (self.x_trains != 0).any(2)).any())


def finite_flag(x: Tensor, d: Tensor, peaks: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tensor:
    """0-d bool tensor: every entry of ``x`` and ``d`` is finite (no host read).

    ``max(|x|, |d|) < inf`` is false for an infinity and for NaN (which the maxima
    propagate), and costs fewer kernels than ``isfinite(x).all()``. ``peaks``: the row
    maxima of ``|x|`` and ``|d|`` when known already (:attr:`TrainScales.peaks`).
    """
    if not x.numel() or not d.numel():
        return torch.isfinite(x).all() & torch.isfinite(d).all()
    if peaks is not None:
        return torch.maximum(peaks[0].amax(), peaks[1].amax()) < math.inf
    return torch.maximum(x.abs().amax(), d.abs().amax()) < math.inf


def raise_not_finite() -> None:
    """The error of update inputs holding NaN or infinite values."""
    raise ArgumentError("update inputs contain NaN or infinite values; the weights "
                        "were left unchanged")


def pulse_counts(x: Tensor, d: Tensor, lr: float, granularity: float, up: Any,
                 rng: TileRNG, check_finite: bool = False) -> PulseCounts:
    """Signed pulse counts for the batch ``x`` ``[B, x_size]``, ``d`` ``[B, d_size]``.

    Positive counts are up pulses (the weight grows): with SGD semantics a crosspoint
    moves down when ``lr * x_j * d_i > 0``. With ``check_finite`` non-finite inputs raise
    :class:`ArgumentError` before any random draw; the check shares its one host read
    with the train length of the batch.
    """
    scales = train_scales(x, d, lr, granularity, up)
    stochastic = up.pulse_type not in (PulseType.MEAN_COUNT, PulseType.DETERMINISTIC_IMPLICIT)
    length = scales.max_bl if stochastic else 0
    bounds = None if length is None else [length] * x.shape[0]
    if check_finite or (stochastic and length is None):
        if check_finite:
            finite = finite_flag(x, d, scales.peaks)
        else:
            finite = torch.ones((), dtype=torch.bool, device=x.device)
        flag = finite.to(torch.int64).view(1)
        parts = torch.cat([flag, scales.bl]) if stochastic and length is None else flag
        values = parts.tolist()                     # the call's one host read
        if not values[0]:
            raise_not_finite()
        if stochastic and length is None:
            bounds = values[1:]
            length = max(max(bounds, default=1), 1)
    if not stochastic:
        return _deterministic_counts(x, d, scales, up, rng)
    return _stochastic_counts(x, d, lr, scales, up, rng, int(length), bounds)


def _stochastic_counts(x: Tensor, d: Tensor, lr: float, scales: TrainScales, up: Any,
                       rng: TileRNG, length: int, bounds: List[int]) -> PulseCounts:
    """Bernoulli trains of spec 10 §2.4 (``STOCHASTIC`` is treated like the compressed
    type: same distribution for single devices)."""
    batch, x_size = x.shape
    d_size = d.shape[1]
    count_dtype = _count_dtype(x.dtype)
    active = scales.active.unsqueeze(1)
    p_x = quantize(x.abs() * scales.b.unsqueeze(1), up.res, up.sto_round, rng)
    p_d = quantize(d.abs() * scales.a.unsqueeze(1), up.res, up.sto_round, rng)
    p_x = torch.where(active, p_x, 0.0)
    p_d = torch.where(active, p_d, 0.0)
    in_train = (torch.arange(length, device=x.device).unsqueeze(0)
                < scales.bl.unsqueeze(1)).unsqueeze(2)                  # [B, K, 1]
    x_bits = (rng.uniform((batch, length, x_size), x.dtype) < p_x.unsqueeze(1)) & in_train
    d_bits = (rng.uniform((batch, length, d_size), x.dtype) < p_d.unsqueeze(1)) & in_train
    # direction: down (negative count) when sign(x) * sign(d) * sign(lr) > 0
    x_sign = _as_dtype(torch.sign(x), count_dtype)
    d_sign = (-math.copysign(1.0, lr)) * _as_dtype(torch.sign(d), count_dtype)
    return PulseCounts(batch, d_size, x_size,
                       d_trains=d_bits.to(count_dtype) * d_sign.unsqueeze(1),
                       x_trains=x_bits.to(count_dtype) * x_sign.unsqueeze(1),
                       d_sparsity=_sparsity(p_d, up), bounds=bounds)


def _deterministic_counts(x: Tensor, d: Tensor, scales: TrainScales, up: Any,
                          rng: TileRNG) -> PulseCounts:
    """``MEAN_COUNT`` and ``DETERMINISTIC_IMPLICIT`` counts of spec 10 §2.7 (the sign of
    the learning rate is ignored by both, as in the reference engine)."""
    batch, x_size = x.shape
    d_size = d.shape[1]
    bl = scales.bl.to(x.dtype).unsqueeze(1)                          # [B, 1]
    active = scales.active.unsqueeze(1)
    if up.pulse_type == PulseType.MEAN_COUNT:
        q_x = quantize(x.abs() * scales.b.unsqueeze(1), up.res, up.sto_round, rng)
        q_d = quantize(d.abs() * scales.a.unsqueeze(1), up.res, up.sto_round, rng)
        c_x = torch.sign(x) * torch.round(bl * q_x).clamp(min=0).minimum(bl)
        c_d = torch.sign(d) * torch.round(bl * q_d).clamp(min=0).minimum(bl)
        d_factor, x_factor = c_d / bl, c_x
    else:
        q_x = quantize(x.abs() * scales.b.unsqueeze(1), up.x_res_implicit, up.sto_round, rng)
        q_d = quantize(d.abs() * scales.a.unsqueeze(1), up.d_res_implicit, up.sto_round, rng)
        d_factor = bl * (torch.sign(d) * q_d.clamp(0, 1))
        x_factor = torch.sign(x) * q_x.clamp(0, 1)
    count_dtype = _count_dtype(x.dtype)
    # negative factor on d: a positive product means down pulses
    d_factor = torch.where(active, -d_factor, 0.0).to(count_dtype)
    x_factor = torch.where(active, x_factor, 0.0).to(count_dtype)
    return PulseCounts(batch, d_size, x_size, d_factor=d_factor, x_factor=x_factor,
                       d_sparsity=_sparsity(d_factor, up))


def _sparsity(p_d: Tensor, up: Any) -> Optional[Tensor]:
    """Fraction of zero-probability ``d`` entries per sample (``d_sparsity`` only)."""
    if not up.d_sparsity:
        return None
    return (p_d == 0).to(p_d.dtype).mean(dim=1)


def _as_dtype(tensor: Tensor, dtype: torch.dtype) -> Tensor:
    """``tensor.to(dtype)`` without a call when it has that dtype already."""
    return tensor if tensor.dtype == dtype else tensor.to(dtype)


def _count_dtype(dtype: torch.dtype) -> torch.dtype:
    """Counts are small integers; half precision matrix products are avoided."""
    return dtype if dtype in (torch.float32, torch.float64) else torch.float32
