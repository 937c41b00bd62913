"""Fast pulse application by moment propagation (statistically matched).

For each crosspoint the kernel follows the mean and the variance of its device value
through the samples of the batch with the device's n-pulse moment map (exact first two
moments for devices with affine steps, second-order accurate otherwise) and draws one
Gaussian at the end instead of one per pulse. Where the propagated distribution comes
within ``Z_SAFE`` standard deviations of a bound during a sample (or the device marks a
crosspoint ``exact``), that crosspoint is first sampled from its current moments and the
sample's pulses are then applied to it in order: with ``dw_min_std <= SMALL_NOISE`` as
one draw from the moments of the sample's pulses followed by one clip (the pulses of a
sample share their direction, so clipping after each of them differs only when a noise
factor ``1 + s xi`` turns negative, which is negligible there; aihwkit's CUDA engine uses
the same threshold for its aggregated pulses), otherwise one pulse at a time with
clipping, as the reference does. With ``dw_min_std = 0`` the variance stays zero and the kernel
reproduces the noise-free reference up to rounding (exactly for affine steps, to third
order in the step for weight-dependent steps).
"""

from typing import Any, Callable, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.fused import (
    AffineMaps, crosspoint_maps, exact_affine_pulses)
from aihwkit.simulator.rpu_base.kernels.params import AffineParams, PulseParams
from aihwkit.simulator.rpu_base.kernels.reference import exact_pulses

Z_SAFE = 5.0
SMALL_NOISE = 0.33
# up to this many crosspoints the checked recursion selects near-bound crosspoints by mask
MASKED_ROWS = 1 << 14
# crosspoints per block of the classified kernel (4 MiB per float32 work buffer)
BLOCK_ELEMENTS = 1 << 20


class Extremes:
    """Running minimum and maximum of the mean and maximum of the variance of flat device
    values (three cheap operations per sample), to find afterwards the crosspoints whose
    distribution may have come near a bound."""

    def __init__(self, mean: Tensor) -> None:
        self.low = mean.clone()
        self.high = mean.clone()
        self.var = torch.zeros_like(mean)

    def track(self, mean: Tensor, var: Tensor) -> None:
        """Include the current moments."""
        torch.minimum(self.low, mean, out=self.low)
        torch.maximum(self.high, mean, out=self.high)
        torch.maximum(self.var, var, out=self.var)

    def risky(self, params: PulseParams) -> Tensor:
        """Crosspoints within ``Z_SAFE`` standard deviations of a bound at some sample."""
        spread = self.var.sqrt().mul_(Z_SAFE)
        return (self.high + spread > params.hi) | (self.low - spread < params.lo)


def _exact_mask(params: PulseParams) -> Optional[Tensor]:
    """Crosspoints that always take their pulses one at a time (``None``: none)."""
    exact = params.exact if isinstance(params, AffineParams) else None
    return None if exact is None else exact > 0


def propagate(engine: Any, counts: Any, state: Tensor, params: PulseParams,
              index: Optional[Tensor] = None, check: bool = True
              ) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
    """Apply all samples of ``counts`` to the flat device values ``state``.

    Args:
        engine: the pulsed device engine.
        counts: :class:`PulseCounts` of the update call.
        state: flat device values ``[M]`` (all crosspoints, or those in ``index``).
        params: flat pulse parameters of the same crosspoints.
        index: flat crosspoint indices of ``state`` (``None``: all, in order).
        check: apply pulses exactly where a bound comes near; without, only record the
            crosspoints that came near a bound (their result is to be recomputed).

    Returns:
        New flat device values ``[M]``, the mask of crosspoints that got pulses and
        (without ``check``) the mask of crosspoints to recompute with checks.
    """
    mean = state.clone()
    extremes = None if check else Extremes(mean)
    var = torch.zeros_like(mean)
    touched = torch.zeros(mean.shape, dtype=torch.bool, device=mean.device)
    noisy = engine.c2c_std > 0
    low, high = params.lo, params.hi
    always = _exact_mask(params)
    # few crosspoints: treat every one as if near a bound and select with a mask, instead
    # of reading back which are (one host read per sample)
    masked = check and engine.c2c_std <= SMALL_NOISE and mean.numel() <= MASKED_ROWS
    exact_rows = exact_params = exact_maps = None
    if masked and always is not None:
        # crosspoints that always take their pulses one at a time (one size read per call)
        exact_rows = always.nonzero().squeeze(1)
        exact_params = params.select(exact_rows)
        if exact_rows.numel():   # their pulses in one compiled call per sample
            exact_maps = crosspoint_maps(engine, exact_params)
    bounds = counts.bounds
    for first, chunk in counts.chunks(index):
        for offset, n in enumerate(chunk.to(mean.dtype)):
            bound = None if bounds is None else bounds[first + offset]
            new_mean, new_var = engine.moments(mean, var, n, params, bound)
            if extremes is not None:
                mean, var = new_mean, new_var
                extremes.track(mean, var)
                touched |= n != 0
                continue
            spread = Z_SAFE * new_var.sqrt() if noisy else 0.0
            risky = (new_mean + spread > high) | (new_mean - spread < low)
            if always is not None:
                risky |= always
            risky &= n != 0
            if masked:
                new_mean, new_var = _masked_sample(engine, mean, var, n, params, risky,
                                                   new_mean, new_var, bound)
                if exact_rows is not None and exact_rows.numel():
                    _exact_rows(engine, mean, var, n, exact_rows, exact_params, new_mean,
                                new_var, bound, exact_maps)
            elif bool(risky.any()):
                rows = risky.nonzero().squeeze(1)
                sub = params.select(rows)
                start = mean[rows]
                if noisy:
                    start = engine.clip_state(
                        start + var[rows].sqrt() * engine.rng.normal(start.shape, start.dtype),
                        sub)
                new_mean[rows] = _apply_sample(engine, start, n[rows], sub,
                                               None if always is None else always[rows])
                new_var[rows] = 0.0
            mean, var = new_mean, new_var
            touched |= n != 0
    risky = None
    if extremes is not None:
        risky = extremes.risky(params)
        if always is not None:
            risky |= always
    if noisy:
        mean = engine.clip_state(mean + var.sqrt() * engine.rng.normal(mean.shape, mean.dtype),
                                 params)
    return mean, touched, risky


def _masked_sample(engine: Any, mean: Tensor, var: Tensor, n: Tensor,
                   params: PulseParams, risky: Tensor, new_mean: Tensor,
                   new_var: Tensor, bound: Optional[int]) -> Tuple[Tensor, Tensor]:
    """:func:`_apply_sample` (``dw_min_std <= SMALL_NOISE``, no ``exact`` crosspoints) for
    the ``risky`` crosspoints, computed for all and selected by the mask."""
    start = mean
    noisy = engine.c2c_std > 0
    if noisy:
        start = engine.clip_state(mean + var.sqrt() * engine.rng.normal(mean.shape, mean.dtype),
                                  params)
    sampled, spread = engine.moments(start, torch.zeros_like(start), n, params, bound)
    if noisy:
        sampled = sampled + spread.sqrt() * engine.rng.normal(mean.shape, mean.dtype)
    sampled = engine.clip_state(sampled, params)
    return (torch.where(risky, sampled, new_mean),
            torch.where(risky, torch.zeros_like(new_var), new_var))


def _exact_rows(engine: Any, mean: Tensor, var: Tensor, n: Tensor, rows: Tensor,
                params: PulseParams, new_mean: Tensor, new_var: Tensor,
                bound: Optional[int], maps: Optional[AffineMaps] = None) -> None:
    """Pulse-by-pulse application of one sample to the crosspoints ``rows`` (with
    ``params`` of those crosspoints), started from a draw of their current moments;
    ``new_mean``/``new_var`` are updated in place where the sample has pulses. With the
    affine ``maps`` of those crosspoints the pulses run in one compiled call (the same
    rule; a few torch calls per pulse otherwise)."""
    start = mean[rows]
    if engine.c2c_std > 0:
        start = engine.clip_state(
            start + var[rows].sqrt() * engine.rng.normal(start.shape, start.dtype), params)
    counts = n[rows]
    pulsed = counts != 0
    if maps is not None:
        result = exact_affine_pulses(engine, maps, start, counts)
    else:
        result = exact_pulses(engine, start, counts, params, bound)
    new_mean[rows] = torch.where(pulsed, result, new_mean[rows])
    new_var[rows] = torch.where(pulsed, torch.zeros_like(result), new_var[rows])


def _apply_sample(engine: Any, start: Tensor, n: Tensor, params: PulseParams,
                  exact: Optional[Tensor]) -> Tensor:
    """One sample's pulses on crosspoints near a bound: one draw from the moments of the
    sample's pulses and one clip (``dw_min_std <= SMALL_NOISE``), else pulse by pulse;
    crosspoints marked ``exact`` always pulse by pulse."""
    if engine.c2c_std > SMALL_NOISE:
        return exact_pulses(engine, start, n, params)
    mean, var = engine.moments(start, torch.zeros_like(start), n, params)
    if engine.c2c_std > 0:
        mean = mean + var.sqrt() * engine.rng.normal(start.shape, start.dtype)
    result = engine.clip_state(mean, params)
    if exact is not None and bool(exact.any()):
        rows = exact.nonzero().squeeze(1)
        result[rows] = exact_pulses(engine, start[rows], n[rows], params.select(rows))
    return result


def checked_moment_pulses(engine: Any, counts: Any) -> None:
    """Moment propagation with the bound check at every sample (small batches)."""
    shape = engine.weights.shape
    state = engine.pulse_state().reshape(-1)
    new, touched, _ = propagate(engine, counts, state, engine.flat_pulse_params())
    engine.commit_pulses(new.reshape(shape), touched.reshape(shape))


Recursion = Callable[..., Tuple[Tensor, Tensor, Optional[Tensor]]]


def classified_moment_pulses(engine: Any, counts: Any, unchecked: Optional[Recursion] = None,
                             checked: Optional[Recursion] = None) -> None:
    """Moment propagation of every crosspoint without per-sample checks (with the
    ``unchecked`` recursion, default the generic one); the few crosspoints whose
    distribution came near a bound are then recomputed from their initial value with the
    checks (the ``checked`` application, default :func:`propagate`). Large tiles are
    processed in blocks of whole rows of at most
    ``BLOCK_ELEMENTS`` crosspoints, so that the recursion's work buffers stay small."""
    shape = engine.weights.shape
    state = engine.pulse_state().reshape(-1)
    params = engine.flat_pulse_params()
    rows_per_block = max(1, BLOCK_ELEMENTS // max(1, engine.x_size))
    if rows_per_block >= engine.d_size:
        new, touched = _classified_block(engine, counts, state, params, unchecked, checked)
    else:
        new = torch.empty_like(state)
        touched = torch.empty(state.shape, dtype=torch.bool, device=state.device)
        for first in range(0, engine.d_size, rows_per_block):
            last = min(first + rows_per_block, engine.d_size)
            span = slice(first * engine.x_size, last * engine.x_size)
            new[span], touched[span] = _classified_block(
                engine, counts.row_block(first, last), state[span],
                params.select(span), unchecked, checked)
    engine.commit_pulses(new.reshape(shape), touched.reshape(shape))


def _classified_block(engine: Any, counts: Any, state: Tensor, params: PulseParams,
                      unchecked: Optional[Recursion], checked: Optional[Recursion]
                      ) -> Tuple[Tensor, Tensor]:
    """New flat values and touched mask of the crosspoints of ``counts`` (all its rows)."""
    if unchecked is None:
        new, touched, risky = propagate(engine, counts, state, params, check=False)
    else:
        new, touched, risky = unchecked(engine, counts, state, params)
    risky &= touched
    index = risky.nonzero().squeeze(1)   # the one data-dependent size of the block
    if index.numel():
        apply = propagate if checked is None else checked
        new[index] = apply(engine, counts, state[index], params.select(index), index)[0]
    return new, touched
