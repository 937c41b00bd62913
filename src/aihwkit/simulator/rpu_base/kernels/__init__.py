"""Pulse application kernels and the one place that chooses between them.

Every kernel follows :class:`PulseKernel`: it takes a pulsed device engine and the
:class:`~aihwkit.simulator.rpu_base.pulses.PulseCounts` of one update call and writes
the new device values back through the engine's ``commit_pulses``.

* :func:`~.reference.reference_pulses`: plain torch, exact per-pulse semantics.
* :func:`~.additive.walk_pulses`: weight-independent steps, small batches: per sample one
  Gaussian step of matched moments and one clip (statistically matched).
* :func:`~.additive.aggregate_pulses`: weight-independent steps aggregated over the batch
  (statistically matched).
* :func:`~.moments.checked_moment_pulses`: per-sample moment propagation with the bound
  check at every sample (statistically matched; exact without noise for affine steps).
* :func:`~.moments.classified_moment_pulses`: the same without per-sample checks, then
  the crosspoints that came near a bound recomputed with them.
* :func:`affine_moment_pulses`: the classified kernel with the fixed-point recursion of
  affine steps, sample by sample (large tiles).
* :func:`affine_scan_pulses`: the same recursion as a prefix scan over the batch (small
  tiles, where the number of operations decides), near-bound crosspoints by the scan of
  clamped maps.
* :func:`affine_checked_pulses`: every crosspoint by the scan of clamped maps
  (:mod:`~.affine_checked`; small batches of affine devices).

Single-line writes (transfers, refresh, mixed-precision transfers) follow
:class:`LineCountKernel`: :func:`~.lines.reference_line_counts` draws the full trains,
:func:`~.lines.binomial_line_counts` draws nested binomials of the same distribution.

The reference (for pulses and for line writes) can be forced with the environment
variable ``AIHWKIT_REFERENCE_UPDATE=1`` (read once, at import) or, for a block of code,
with ``with reference_update(): ...``.
"""

import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, Protocol

import torch
from torch import Tensor

from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base.kernels import fused, periphery
from aihwkit.simulator.rpu_base.kernels.additive import aggregate_pulses, walk_pulses
from aihwkit.simulator.rpu_base.kernels.affine import affine_propagate, affine_scan
from aihwkit.simulator.rpu_base.kernels.affine_checked import affine_checked
from aihwkit.simulator.rpu_base.kernels.lines import binomial_line_counts, reference_line_counts
from aihwkit.simulator.rpu_base.kernels.moments import (
    SMALL_NOISE, checked_moment_pulses, classified_moment_pulses)
from aihwkit.simulator.rpu_base.kernels.reference import reference_pulses
from aihwkit.simulator.rpu_base.pulses import PulseCounts
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling
from aihwkit.simulator.rpu_base.rng import TileRNG

_ENV_REFERENCE = os.environ.get("AIHWKIT_REFERENCE_UPDATE", "").strip().lower() \
    not in ("", "0", "false", "no")
class _ForcedState(threading.local):
    """Per-thread override of :func:`reference_forced` (``None``: the environment);
    the class default makes the lookup cheap in every thread."""

    forced: Optional[bool] = None


_STATE = _ForcedState()

# up to this batch size the ordered walk over all crosspoints is cheaper than aggregation
WALK_BATCH = 2
# up to this batch size every crosspoint is checked against the bounds at every sample
CLASSIFY_BATCH = 2
# up to this many sample-crosspoint pairs (batch x rows x columns) the affine recursion
# runs as a prefix scan over the batch (few large operations); above, sample by sample
# on cache-sized buffers
SCAN_WORK = 1 << 20
# up to this many sample-crosspoint pairs a whole update runs in the fused kernel
# (the compiled kernel's cost grows with the number of pulses, the torch kernels' with the
# number of operations: 2^16 keeps a dense 512 x 512 single-sample update on torch)
FUSED_WORK = 1 << 16


class PulseKernel(Protocol):
    """Applies the signed pulse counts of one update call to a pulsed device engine."""

    def __call__(self, engine: Any, counts: PulseCounts) -> None: ...


class UpdateKernel(Protocol):
    """One whole pulsed update (trains, coincidences, pulses) of a device engine."""

    def __call__(self, engine: Any, x: Tensor, d: Tensor, lr: float, granularity: float,
                 up: Any) -> None: ...


class LineCountKernel(Protocol):
    """Signed counts ``[m, L]`` of ``m`` single-line writes with values ``[m, L]``."""

    def __call__(self, values: Tensor, lr: float, up: Any, granularity: float, rng: TileRNG,
                 columns: bool) -> Tensor: ...


@contextmanager
def reference_update(enabled: bool = True) -> Iterator[None]:
    """Within the block, pulsed updates and line writes use the exact reference
    (``enabled``) or the automatic choice (``enabled=False``, e.g. to compare against the
    reference)."""
    previous = _STATE.forced
    _STATE.forced = bool(enabled)
    try:
        yield
    finally:
        _STATE.forced = previous


def reference_forced() -> bool:
    """Whether the reference is forced here (context manager, else environment)."""
    forced = _STATE.forced
    return _ENV_REFERENCE if forced is None else forced


def affine_moment_pulses(engine: Any, counts: PulseCounts) -> None:
    """:func:`classified_moment_pulses` with the affine fixed-point recursion."""
    classified_moment_pulses(engine, counts, affine_propagate)


def affine_scan_pulses(engine: Any, counts: PulseCounts) -> None:
    """:func:`classified_moment_pulses` with the affine recursion as a prefix scan over
    the batch (:func:`~.affine.affine_scan`) and the near-bound crosspoints recomputed by
    the clamped-map scan (:func:`~.affine_checked.affine_checked`)."""
    classified_moment_pulses(engine, counts, affine_scan, affine_checked)


def affine_checked_pulses(engine: Any, counts: PulseCounts) -> None:
    """Every crosspoint through the clamped-map scan (small batches of affine devices)."""
    shape = engine.weights.shape
    state = engine.pulse_state().reshape(-1)
    new, touched, _ = affine_checked(engine, counts, state,
                                     engine.flat_pulse_params())
    engine.commit_pulses(new.reshape(shape), touched.reshape(shape))


def choose_kernel(engine: Any, counts: PulseCounts) -> PulseKernel:
    """The kernel for ``engine`` and ``counts``: the only place that decides.

    Uses plain Python facts only (batch size, the noise setting, flags the engine
    computed once per parameter set), so choosing never waits for the device.
    """
    if reference_forced():
        return reference_pulses
    # given counts go to the compiled kernel only as short stochastic trains (its cost
    # grows with the pulses: dense count matrices stay with the batched kernels)
    if not counts.is_dense and _fusable(engine, counts.batch * engine.d_size
                                        * engine.x_size * counts.train_length):
        return fused.fused_counts_pulses
    if engine.batch_additive:
        if counts.batch <= WALK_BATCH and engine.c2c_std <= SMALL_NOISE \
                and not engine.write_noise:
            return walk_pulses
        return aggregate_pulses
    affine = engine.pulse_flag("fixed_points")
    small_noise = engine.c2c_std <= SMALL_NOISE
    if counts.batch <= CLASSIFY_BATCH:
        return affine_checked_pulses if affine and small_noise else checked_moment_pulses
    if affine:
        if small_noise and counts.batch * engine.d_size * engine.x_size <= SCAN_WORK:
            return affine_scan_pulses
        return affine_moment_pulses
    return classified_moment_pulses


def choose_update(engine: Any, x: Tensor, lr: float, granularity: float,
                  up: Any, work: Optional[int] = None) -> Optional[UpdateKernel]:
    """The fused whole-update kernel for this call, or ``None`` for the two-stage path
    (:func:`~aihwkit.simulator.rpu_base.pulses.pulse_counts`, then :func:`choose_kernel`).

    The fused kernel (:mod:`~.fused`) takes small CPU updates of affine devices with
    stochastic trains of at most 64 pulses, when numba is installed. ``work``: the
    sample-crosspoint pairs the update can touch (default: batch x rows x columns; a
    single-line write touches one line per cycle).
    """
    if reference_forced() or up.d_sparsity \
            or getattr(getattr(engine, "s", None), "count_pulses", False):
        return None
    if up.pulse_type not in (PulseType.STOCHASTIC_COMPRESSED, PulseType.STOCHASTIC):
        return None
    if work is None:
        work = x.shape[0] * engine.d_size * engine.x_size
    if not _fusable(engine, work) or not fused.train_fits(up, lr, granularity):
        return None
    return fused.fused_update


def choose_line_update(engine: Any, values: Tensor, lr: float, granularity: float,
                       up: Any) -> Optional[Callable[..., None]]:
    """The compiled single-line writes (:func:`~.fused.fused_line_update`) of ``m`` lines
    with ``values`` ``[m, L]``, or ``None`` for the torch paths: where
    :func:`choose_update` takes their one-hot cycles (a cycle touches one line)."""
    work = values.shape[0] * (engine.d_size + engine.x_size)
    if choose_update(engine, values, lr, granularity, up, work=work) is None:
        return None
    return fused.fused_line_update


def _fusable(engine: Any, work: int) -> bool:
    """Whether the compiled per-pulse kernels take an update of this engine touching
    ``work`` sample-crosspoint pairs: affine pulse maps, CPU, float32/64, at most
    :data:`FUSED_WORK` pairs, numba installed, not under ``torch.compile``."""
    if not getattr(engine, "fused_affine", False) or engine.device.type != "cpu":
        return False
    if engine.dtype not in (torch.float32, torch.float64):
        return False
    if work > FUSED_WORK or _is_compiling():
        return False
    return fused.available()


def choose_periphery(manager: Any, x: Tensor) -> Optional[Callable[..., Tensor]]:
    """The compiled periphery (:func:`~.periphery.fused_mvm`) for this managed product of
    an :class:`~aihwkit.simulator.rpu_base.periphery.IOManager`, or ``None`` for the torch
    periphery: CPU float32/float64 products whose settings it covers, with numba installed
    and the reference not forced (at every size: for large products its stages around
    torch's product, one pass over the inputs and one over the outputs, cost less than the
    torch periphery's passes)."""
    if reference_forced() or x.device.type != "cpu" or _is_compiling():
        return None
    if x.dtype not in (torch.float32, torch.float64):
        return None
    supported = getattr(manager, "_cache_fused_periphery", None)
    if supported is None:
        supported = periphery.periphery_supported(manager)
        manager._cache_fused_periphery = supported   # pylint: disable=protected-access
    if not supported or not fused.available():
        return None
    return periphery.fused_mvm


def choose_line_counts(up: Any) -> LineCountKernel:
    """The count generator of single-line writes with UpdateParameters ``up``."""
    if reference_forced() or up.pulse_type in (PulseType.MEAN_COUNT,
                                               PulseType.DETERMINISTIC_IMPLICIT):
        return reference_line_counts
    return binomial_line_counts


def apply_pulses(engine: Any, counts: PulseCounts) -> None:
    """Apply the pulse counts of one update call to the device ``engine``."""
    choose_kernel(engine, counts)(engine, counts)
    if getattr(getattr(engine, "s", None), "count_pulses", False):
        record_pulses(engine, counts)


def record_pulses(engine: Any, counts: PulseCounts) -> None:
    """Add the up and down pulses of ``counts`` to ``engine.pulse_counters``
    ``[2, d_size, x_size]`` (int64 counts on the engine's device, index 0: up)."""
    ups, downs = counts.totals()
    total = torch.stack([ups, downs]).round().to(torch.int64)
    current = getattr(engine, "pulse_counters", None)
    if current is None or current.shape != total.shape:
        engine.pulse_counters = total
    else:
        engine.pulse_counters = current.to(total.device) + total


def line_counts(values: Tensor, lr: float, up: Any, granularity: float, rng: TileRNG,
                columns: bool) -> Tensor:
    """Signed counts ``[m, L]`` of ``m`` single-line writes (see :class:`LineCountKernel`)."""
    return choose_line_counts(up)(values, lr, up, granularity, rng, columns)


__all__ = ["PulseKernel", "UpdateKernel", "LineCountKernel", "apply_pulses", "choose_kernel",
           "choose_update", "choose_line_update", "choose_periphery", "FUSED_WORK",
           "choose_line_counts", "line_counts", "reference_update", "reference_forced",
           "reference_pulses", "walk_pulses", "aggregate_pulses", "checked_moment_pulses",
           "classified_moment_pulses", "affine_moment_pulses", "affine_scan_pulses",
           "affine_checked_pulses",
           "reference_line_counts",
           "binomial_line_counts", "WALK_BATCH", "CLASSIFY_BATCH", "SCAN_WORK"]
