"""Fused pulsed update of affine devices on the CPU, compiled with numba (optional).

A small tile's update through batched torch operations is a few hundred tiny calls, so
its cost is dispatch, not arithmetic. This module does one update call in one compiled
function: per sample the train length and probability scales (update management and
update BL management), the Bernoulli pulse trains of ``x`` and ``d`` as bit masks (train
length <= 64), the coincidences ``n_ij = popcount(d_i & x_j)``, and then every pulse
one at a time in sample order, each with its own cycle-to-cycle draw and a clip to the
bounds, by the reference kernel's rule (the draws come from the kernel's own stream):

* multiplicative noise: ``w <- clip(w + (a w + c)(1 + s xi))``;
* additive noise: ``w <- clip(w + (a w + c) + s |c| xi)``;

with per-crosspoint ``(a, c)`` for an up and for a down pulse (``a = 0`` for constant
steps). :func:`fused_counts_pulses` applies given counts the same way (any pulse type).

Random numbers come from a SplitMix64 stream seeded per call from the tile's
``torch.Generator``, so runs are reproducible under ``torch.manual_seed`` and checkpoints
continue their stream. numba is imported on first use only; without it :func:`available`
is false and the dispatcher (which also keeps tensors off the CPU and large updates away
from these kernels) uses the torch kernels.

Small compiled helpers of the same kind live here too: finiteness checks, saturation
masks, the whole-step split of mixed precision and the Gaussian weight modifiers. The
kernels read contiguous CPU tensors by address (``data_ptr``) with an empty array of
their dtype (:data:`LIKE`), so no array object is built per call.
"""

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling
from aihwkit.simulator.rpu_base.known_finite import known_finite
from aihwkit.simulator.rpu_base.pulses import raise_not_finite, update_settings

# bits of one pulse-train mask
MAX_TRAIN = 64

_KERNELS: Dict[str, Callable[..., Any]] = {}
_STATE = {"checked": False, "ok": False}


def available() -> bool:
    """Whether numba can be imported (checked once)."""
    if not _STATE["checked"]:
        _STATE["checked"] = True
        try:
            import numba  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
            _STATE["ok"] = True
        except ImportError:
            _STATE["ok"] = False
    return bool(_STATE["ok"])


@dataclass(frozen=True)
class AffineMaps:
    """Per-crosspoint coefficients of the affine pulse maps, flat and contiguous.

    Attributes:
        table: ``[d_size * x_size, 6]``: per crosspoint ``a_up, c_up, a_down, c_down, lo,
            hi`` (the signed step of a pulse at ``w`` is ``a w + c``; ``c_down <= 0``), one
            crosspoint's coefficients side by side in memory.
        mult_noise: the noise multiplies the whole step (else only ``c``).
        sigma: relative cycle-to-cycle spread ``dw_min_std``.
    """

    table: np.ndarray
    mult_noise: bool
    sigma: float

    @staticmethod
    def from_tensors(a_up: Tensor, c_up: Tensor, a_down: Tensor, c_down: Tensor, lo: Tensor,
                     hi: Tensor, mult_noise: bool, sigma: float) -> "AffineMaps":
        """Stack the six ``[d, x]`` tensors (CPU) into one table."""
        parts = [t.detach().reshape(-1) for t in (a_up, c_up, a_down, c_down, lo, hi)]
        table = torch.stack(parts, dim=1).contiguous().numpy().copy()
        return AffineMaps(table, bool(mult_noise), float(sigma))


def train_fits(up: Any, lr: float, granularity: float) -> bool:
    """Whether every train of an update with these settings has at most 64 pulses
    (known from the settings alone)."""
    desired = int(up.desired_bl)
    if up.update_bl_management or up.fixed_bl or granularity * desired >= abs(lr):
        return desired <= MAX_TRAIN
    return max(int(math.ceil(abs(lr) / granularity)), 1) <= MAX_TRAIN


def _kernel(name: str) -> Callable[..., Any]:
    """The compiled kernel ``name`` (compiled, or loaded from numba's cache, on first use)."""
    if not _KERNELS:
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.rpu_base.kernels import _fused_numba
        for key, value in vars(_fused_numba).items():
            if hasattr(value, "py_func") and not key.startswith("_"):  # compiled kernels
                _KERNELS[key] = value
    return _KERNELS[name]


# empty arrays of the compiled floating point types: the ``like`` argument of the
# kernels that take tensors by address (it selects their dtype)
LIKE = {torch.float32: np.empty(0, np.float32), torch.float64: np.empty(0, np.float64)}


def _compiles(tensor: Tensor, limit: Optional[int] = None) -> bool:
    """Whether a compiled helper takes ``tensor``: contiguous, CPU, float32/float64, at
    most ``limit`` entries (when given), numba installed, not under ``torch.compile``."""
    return (tensor.dtype in LIKE and tensor.is_cpu and tensor.is_contiguous()
            and (limit is None or tensor.numel() <= limit) and available()
            and not _is_compiling())


# the compiled finiteness check of each floating point type (integer arguments only)
_FINITE_NAMES = {torch.float32: "finite32_at", torch.float64: "finite64_at"}
_FINITE: Dict[torch.dtype, Callable[[int, int], bool]] = {}


def _finite_check(dtype: torch.dtype) -> Optional[Callable[[int, int], bool]]:
    """The compiled finiteness check of ``dtype`` (loaded on first use; numba must be
    available), ``None`` for other dtypes."""
    check = _FINITE.get(dtype)
    if check is None and dtype in _FINITE_NAMES:
        check = _FINITE[dtype] = _kernel(_FINITE_NAMES[dtype])
    return check


def _finite_dense(tensor: Tensor, check: Callable[[int, int], bool]) -> bool:
    """``check`` (:func:`_finite_check`) of a dense CPU tensor of any strides."""
    if tensor.is_contiguous():
        return bool(check(tensor.data_ptr(), tensor.numel()))
    if tensor.dim() == 2 and tensor.stride(1) == 1 and tensor.stride(0) >= tensor.shape[1]:
        # rows of a wider matrix (e.g. a tile's slice of a layer input): row by row
        rows = _KERNELS.get("finite_rows_at") or _kernel("finite_rows_at")
        return bool(rows(tensor.data_ptr(), tensor.shape[0], tensor.shape[1],
                         tensor.stride(0), LIKE[tensor.dtype]))
    dense = tensor.contiguous()   # kept alive by this frame during the call
    return bool(check(dense.data_ptr(), dense.numel()))


def finite_on_cpu(tensor: Tensor) -> Optional[bool]:
    """Whether every entry of a dense CPU float32/float64 tensor is finite, in one
    compiled pass over its memory (no torch call, no array object); ``None`` where this
    check does not apply (other devices, layouts or dtypes, numba missing, under
    ``torch.compile``). Called on every forward input: kept to few Python steps."""
    if not tensor.is_cpu or tensor.layout is not torch.strided or not available() \
            or _is_compiling():
        return None
    check = _finite_check(tensor.dtype)
    return None if check is None else _finite_dense(tensor, check)


def finite_many_on_cpu(tensors: Sequence[Tensor]) -> Tuple[bool, List[Tensor]]:
    """Whether every entry of the dense CPU float32/float64 tensors among ``tensors`` is
    finite (:func:`finite_on_cpu` each; the conditions that hold for all of them tested
    once); also returns the tensors this check does not apply to."""
    if not tensors or not available() or _is_compiling():
        return True, list(tensors)
    rest = []
    strided = torch.strided
    for tensor in tensors:
        check = _finite_check(tensor.dtype)
        if check is None or not tensor.is_cpu or tensor.layout is not strided:
            rest.append(tensor)
        elif not _finite_dense(tensor, check):
            return False, rest
    return True, rest


# up to this many weights a Gaussian weight modifier runs compiled
MODIFIER_SIZE = 1 << 16


def normal_modifier(values: Tensor, multiplicative: bool, std: float, relative: bool,
                    assumed: float, generator: Optional[torch.Generator]) -> bool:
    """The Gaussian weight modifier in place on ``values`` (see
    :func:`~aihwkit.simulator.rpu_base.weight_ops.modify_weights`; amplitude ``max |w|``
    when ``relative``, else ``assumed``) in one compiled pass with its own normals,
    seeded by one draw from ``generator``. Returns ``False`` (nothing done) where it does
    not apply (see :func:`_compiles`; more than :data:`MODIFIER_SIZE` weights)."""
    if not _compiles(values, MODIFIER_SIZE):
        return False
    _kernel("normal_modifier")(as_array(values).reshape(-1), bool(multiplicative),
                               float(std), bool(relative), float(assumed),
                               generator_seed(generator))
    return True


def generator_seed(generator: Optional[torch.Generator]) -> int:
    """A stream seed in ``[0, 2^63)`` for a compiled kernel: one draw from ``generator``
    (torch's default generator when ``None``)."""
    return int(torch.empty((), dtype=torch.int64).random_(generator=generator))


# up to this many entries a saturation mask is one compiled pass (larger ones: torch)
_MASK_SIZE = 1 << 16


def saturation_mask(values: Tensor, threshold: float) -> Optional[Tensor]:
    """``|values| >= threshold`` (bool, same shape), or ``None`` where it is known without
    a host read that no entry is set: one compiled pass for small contiguous CPU
    float32/float64 tensors, torch elsewhere (the same comparisons)."""
    if _compiles(values, _MASK_SIZE):
        like, kernel = LIKE[values.dtype], _kernel("at_least_at")
        # saturation is rare: test first (no output), allocate and fill the mask only
        # where it occurs
        if not kernel(values.data_ptr(), values.numel(), float(threshold), 0, like):
            return None
        out = torch.empty(values.shape, dtype=torch.bool)
        kernel(values.data_ptr(), values.numel(), float(threshold), out.data_ptr(), like)
        return out
    return values.abs() >= threshold


def split_whole_steps(values: Tensor, step: float) -> Tensor:
    """The whole steps ``n = trunc(values / step)`` of an accumulator, which keeps the
    remainder (``values -= n * step`` in place). One compiled pass for contiguous CPU
    float32/float64 tensors (the same roundings as the torch operations), torch
    elsewhere."""
    if _compiles(values):
        counts = torch.empty_like(values)
        _kernel("split_whole_steps_at")(values.data_ptr(), values.numel(), float(step),
                                        counts.data_ptr(), LIKE[values.dtype])
        return counts
    counts = torch.trunc(values / step)
    values.sub_(counts * step)
    return counts


def as_array(tensor: Tensor) -> np.ndarray:
    """A numpy view of a CPU tensor's values (a contiguous copy when it is strided), with
    as few torch calls as possible (numpy reshapes are free)."""
    if tensor.requires_grad:
        tensor = tensor.detach()
    if not tensor.is_contiguous():
        tensor = tensor.contiguous()
    return tensor.numpy()


def _seed(engine: Any) -> int:
    """A fresh stream seed from the engine's generator (one draw)."""
    return engine.rng.stream_seed()


def fused_update(engine: Any, x: Tensor, d: Tensor, lr: float, granularity: float,
                 up: Any) -> None:
    """One pulsed update of an affine device engine from ``x`` ``[B, x_size]`` and ``d``
    ``[B, d_size]`` (CPU tensors of the engine's dtype): trains, coincidences and
    per-pulse application in one compiled call (the :class:`UpdateKernel` contract).
    NaN or infinite inputs raise the engine's non-finite error before any random draw
    (weights and generator untouched)."""
    if x.dim() != 2 or d.dim() != 2 or x.shape[0] != d.shape[0] \
            or x.shape[1] != engine.x_size or d.shape[1] != engine.d_size:
        raise ArgumentError(f"update operands must be [B, {engine.x_size}] and "
                            f"[B, {engine.d_size}], got {list(x.shape)} and {list(d.shape)}")
    x = _contiguous_as(x, engine.dtype)
    d = _contiguous_as(d, engine.dtype)
    if not known_finite(x, d) and not (finite_on_cpu(x) and finite_on_cpu(d)):
        raise_not_finite()
    operands = (x.data_ptr(), d.data_ptr(), x.shape[0], x.shape[1], d.shape[1])
    _run_update(engine, "fused_update_at", operands, lr, granularity, up)


def _contiguous_as(tensor: Tensor, dtype: torch.dtype) -> Tensor:
    """``tensor`` as a contiguous CPU tensor of ``dtype`` (itself when it is one)."""
    if tensor.dtype != dtype or not tensor.is_cpu:
        tensor = tensor.to(device="cpu", dtype=dtype)
    return tensor if tensor.is_contiguous() else tensor.contiguous()


def fused_line_update(engine: Any, lines: Tensor, values: Tensor, lr: float,
                      granularity: float, up: Any, columns: bool) -> None:
    """Single-line writes as :func:`fused_update` of the one-hot cycles
    ``(x = e_{lines[k]}, d = values[k])`` (``columns``; ``values`` ``[m, d_size]``) or
    ``(x = values[k], d = e_{lines[k]})`` (rows; ``values`` ``[m, x_size]``), without
    building the one-hot operands: the same values and random draws. Bad operands raise
    before any random draw."""
    size, count = (engine.d_size, engine.x_size) if columns else (engine.x_size, engine.d_size)
    if values.dim() != 2 or values.shape[1] != size or lines.shape != values.shape[:1]:
        raise ArgumentError(f"line writes need values [m, {size}] and lines [m], got "
                            f"{list(values.shape)} and {list(lines.shape)}")
    values = _contiguous_as(values, engine.dtype)
    indices = _contiguous_as(lines, torch.int64)
    if not _kernel("lines_in_range_at")(indices.data_ptr(), indices.numel(), count):
        raise ArgumentError(f"line indices must lie in [0, {count}), got {lines.tolist()}")
    if not finite_on_cpu(values):
        raise_not_finite()
    operands = (values.data_ptr(), values.shape[0], size, indices.data_ptr(), columns,
                engine.x_size, engine.d_size)
    _run_update(engine, "fused_line_update_at", operands, lr, granularity, up)


def fused_row_transfer(engine: Any, chi: Tensor, step: float, lr: float, granularity: float,
                       up: Any) -> None:
    """A mixed-precision transfer of every row in one compiled call: the whole steps
    ``n = trunc(chi / step)`` of the accumulator ``chi`` ``[d_size, x_size]`` (which keeps
    the remainders) written row by row as single-line writes (:func:`fused_line_update`
    of rows ``0 .. d_size - 1``; the same values and draws as :func:`split_whole_steps`
    followed by it). A non-finite accumulator raises before anything changes."""
    shape = (engine.d_size, engine.x_size)
    if tuple(chi.shape) != shape or chi.dtype != engine.dtype or not _compiles(chi):
        raise ArgumentError(f"the accumulator must be a contiguous CPU {engine.dtype} tensor "
                            f"of shape {list(shape)}, got {chi.dtype} {list(chi.shape)}")
    if not finite_on_cpu(chi):
        raise_not_finite()
    operands = (chi.data_ptr(), float(step), engine.d_size, engine.x_size)
    _run_update(engine, "transfer_rows_at", operands, lr, granularity, up)


def _run_update(engine: Any, name: str, operands: Tuple[Any, ...], lr: float,
                granularity: float, up: Any) -> None:
    """Run the compiled update kernel ``name`` on ``operands`` and the engine's pulse
    state (by address; with its maps, the train settings and a fresh seed), then commit
    the state."""
    maps: AffineMaps = engine.affine_maps()
    train = update_settings(up)
    # the kernel cannot fail once it runs (its inputs are checked): it writes the stored
    # weights in place where pulses act on them directly
    state = engine.writable_pulse_state()
    in_place = state is not None
    if not in_place:
        state = _pulse_state(engine)
    touched = _touched_buffer(engine, state.numel())
    (_KERNELS.get(name) or _kernel(name))(
        *operands, state.data_ptr(), LIKE[engine.dtype], maps.table, touched, abs(lr),
        1 if lr > 0 else -1, float(granularity), train.desired_bl, train.fixed_bl,
        train.update_bl_management, train.update_management, train.um_grad_scale, train.res,
        train.sto_round, maps.sigma, maps.mult_noise, _seed(engine))
    if not in_place:
        engine.commit_pulses(state, _touched_mask(engine, touched, state))


def _touched_buffer(engine: Any, size: int) -> np.ndarray:
    """The kernels' record of written crosspoints: zeroed where it is read (write noise
    redraws the written ones), else a scratch buffer of the engine that nobody reads."""
    if engine.write_noise:
        return np.zeros(size, dtype=np.bool_)
    found = engine.__dict__.get("_touched_scratch")
    if found is None or found.shape[0] != size:
        found = engine.__dict__["_touched_scratch"] = np.empty(size, dtype=np.bool_)
    return found


def fused_counts_pulses(engine: Any, counts: Any) -> None:
    """Apply :class:`PulseCounts` (any pulse type) pulse by pulse in one compiled call
    (the :class:`PulseKernel` contract)."""
    maps: AffineMaps = engine.affine_maps()
    state = _pulse_state(engine)
    flat = state.view(-1).numpy()
    touched = _touched_buffer(engine, flat.shape[0])
    kernel = _kernel("counts_update")
    for _, chunk in counts.chunks():
        values = chunk.detach().to(torch.int32).contiguous().numpy()
        kernel(values, flat, maps.table, touched, maps.sigma, maps.mult_noise, _seed(engine))
    engine.commit_pulses(state, _touched_mask(engine, touched, state))


def crosspoint_maps(engine: Any, params: Any) -> Optional[AffineMaps]:
    """:class:`AffineMaps` of the crosspoints of the flat pulse parameters ``params`` (a
    selection of the engine's), for :func:`exact_affine_pulses`; ``None`` where the
    compiled per-pulse kernel does not apply (no affine maps, numba missing, not CPU
    float32/float64, or parameters that are not one value per crosspoint)."""
    if not engine.fused_affine or not available() or _is_compiling():
        return None
    parts = (*engine.affine_coefficients(params), params.lo, params.hi)
    count = params.lo.numel() if isinstance(params.lo, Tensor) else -1
    if count < 0 or any(not isinstance(part, Tensor) or part.numel() != count
                        or not part.is_cpu or part.dtype not in LIKE for part in parts):
        return None
    return AffineMaps.from_tensors(*parts, engine.affine_mult_noise(), engine.c2c_std)


def exact_affine_pulses(engine: Any, maps: AffineMaps, state: Tensor, n: Tensor) -> Tensor:
    """:func:`~aihwkit.simulator.rpu_base.kernels.reference.exact_pulses` of one sample
    in one compiled call: ``|n|`` pulses in direction ``sign(n)``, one at a time, each
    with its own cycle-to-cycle draw (from a stream seeded by the engine's generator) and
    a clip, on the flat ``state`` ``[R]`` of the crosspoints of ``maps`` (from
    :func:`crosspoint_maps`). Returns the new values (``state`` is unchanged); noise-free
    the same values as the torch reference."""
    result = state.detach().to(engine.dtype).contiguous().clone()
    counts = n.detach().to(torch.int32).reshape(1, -1).contiguous().numpy()
    touched = np.empty(result.numel(), dtype=np.bool_)
    _kernel("counts_update")(counts, result.view(-1).numpy(), maps.table, touched,
                             maps.sigma, maps.mult_noise, _seed(engine))
    return result


def _pulse_state(engine: Any) -> Tensor:
    """The engine's fresh pulse state as a contiguous tensor (weights set from a strided
    tensor keep its layout; the kernels address the state flat)."""
    state = engine.pulse_state()
    return state if state.is_contiguous() else state.contiguous()


def _touched_mask(engine: Any, touched: np.ndarray, state: Tensor) -> Optional[Tensor]:
    """The written crosspoints as a bool tensor (only write noise needs them)."""
    if not engine.write_noise:
        return None
    return torch.from_numpy(touched).view(state.shape)
