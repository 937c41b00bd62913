"""Bound-checked application of affine pulses as one prefix scan over the batch.

A pulse of an affine device, clipped to the bounds, is the map
``w -> clamp(alpha w + beta, lo, hi)`` with random ``alpha, beta`` independent of ``w``
(multiplicative noise: ``alpha = 1 + a (1 + s xi)``, ``beta = c (1 + s xi)``; additive:
``alpha = 1 + a``, ``beta = c + s |c| xi``). Such clamped affine maps are closed under
composition: for ``f_i(w) = clamp(a_i w + b_i, l_i, h_i)``,

    f_2(f_1(w)) = clamp(a_2 a_1 w + a_2 b_1 + b_2, l, h)

with ``{l, h} = clamp({a_2 l_1 + b_2, a_2 h_1 + b_2}, l_2, h_2)`` (the two swapped when
``a_2 < 0``). So the maps of all pulses of a batch compose in ``log2(P)`` batched steps.

* Crosspoints marked ``exact`` (steep slopes) get every pulse as its own map: exact.
* The others get one map per sample, ``clamp(T + (w - T) F (1 + sqrt(E) xi), lo, hi)``
  (multiplicative) or ``clamp(T + (w - T) F + sqrt(V_add) xi, lo, hi)`` (additive): the
  moments of the sample's pulses drawn once and clipped once, the rule the moment kernels
  use near a bound for ``dw_min_std <= SMALL_NOISE`` (where ``1 + sqrt(E) xi < 0`` has a
  negligible probability; such a factor is taken as 0). Without noise both are exact.
"""

from typing import Any, List, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.params import AffineParams, directed
from aihwkit.simulator.rpu_base.kernels.reference import exact_pulses


def compose_clamped_prefix(factor: Tensor, offset: Tensor, low: Tensor, high: Tensor
                           ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Inclusive prefix composition along dim 0 of ``w -> clamp(factor w + offset, low,
    high)`` (all ``[P, M]``, updated in place): element ``p`` becomes maps ``0 .. p``
    applied in order."""
    shift = 1
    size = factor.shape[0]
    while shift < size:
        f2, o2, l2, h2 = factor[shift:], offset[shift:], low[shift:], high[shift:]
        f1, o1, l1, h1 = factor[:-shift], offset[:-shift], low[:-shift], high[:-shift]
        from_low = torch.addcmul(o2, f2, l1)
        from_high = torch.addcmul(o2, f2, h1)
        rising = f2 >= 0
        new_low = torch.where(rising, from_low, from_high)
        new_high = torch.where(rising, from_high, from_low)
        new_low = torch.minimum(torch.maximum(new_low, l2), h2)
        new_high = torch.minimum(torch.maximum(new_high, l2), h2)
        new_offset = torch.addcmul(o2, f2, o1)
        new_factor = f2 * f1
        f2.copy_(new_factor)
        o2.copy_(new_offset)
        l2.copy_(new_low)
        h2.copy_(new_high)
        shift <<= 1
    return factor, offset, low, high


def _apply_maps(start: Tensor, factor: Tensor, offset: Tensor, lo: Tensor, hi: Tensor
                ) -> Tensor:
    """``start`` ``[M]`` through all maps ``[P, M]`` with bounds ``lo``/``hi`` ``[M]``."""
    low = lo.expand_as(factor).clone()
    high = hi.expand_as(factor).clone()
    factor, offset, low, high = compose_clamped_prefix(factor, offset, low, high)
    value = torch.addcmul(offset[-1], factor[-1], start)
    return torch.minimum(torch.maximum(value, low[-1]), high[-1])


def _sample_maps(engine: Any, n: Tensor, p: AffineParams) -> Tuple[Tensor, Tensor]:
    """One map per sample and crosspoint (``n``: ``[B, M]``)."""
    sign = n.sign()
    k = n.abs()
    factor = directed(p.lr_mid, p.lr_half, sign).mul_(k).exp_()          # F = r^k
    target = directed(p.T_mid, p.T_half, sign)
    sigma = engine.c2c_std
    if sigma > 0 and engine.mult_noise:
        spread = directed(p.le_mid, p.le_half, sign).mul_(k).expm1_().sqrt_()  # sqrt(E)
        noise = engine.rng.normal(n.shape, n.dtype)
        factor.mul_(spread.mul_(noise).add_(1).clamp_(min=0))
    offset = torch.addcmul(target, target, factor, value=-1)             # T (1 - alpha)
    if sigma > 0 and not engine.mult_noise:
        square = directed(p.lr_mid, p.lr_half, sign).mul_(2 * k).exp_()  # F^2
        added = directed(p.ih_mid, p.ih_half, sign).mul_(square - 1) \
            .mul_(directed(p.cv_mid, p.cv_half, sign))
        offset.addcmul_(added.clamp_(min=0).sqrt_(), engine.rng.normal(n.shape, n.dtype))
    return factor, offset


def _pulse_maps(engine: Any, n: Tensor, p: AffineParams, bounds: List[int]
                ) -> Tuple[Tensor, Tensor]:
    """One map per pulse (``bounds[b]`` pulse slots for sample ``b``; empty slots are the
    identity) for the crosspoints of ``n`` ``[B, M]``."""
    # slot indices built on the host from the known bounds (no read-back of sizes)
    sample = torch.tensor([b for b, size in enumerate(bounds) for _ in range(size)],
                          dtype=torch.long, device=n.device)
    position = torch.tensor([j for size in bounds for j in range(size)], dtype=n.dtype,
                            device=n.device)
    counts = n.index_select(0, sample)                                   # [P, M]
    active = (counts.abs() > position.unsqueeze(1)).to(n.dtype)
    sign = counts.sign()
    slope = directed(p.a_mid, p.a_half, sign)
    const = directed(p.c_mid, p.c_half, sign)
    sigma = engine.c2c_std
    if sigma > 0:
        noise = engine.rng.normal(counts.shape, counts.dtype)
        if engine.mult_noise:
            gain = noise.mul_(sigma).add_(1)                                 # 1 + s xi
            slope = slope * gain
            const = const * gain
        else:
            const = const + sigma * const.abs() * noise
    factor = slope.mul_(active).add_(1)                                  # identity if idle
    offset = const.mul_(active)
    return factor, offset


def affine_checked(engine: Any, counts: Any, state: Tensor, params: AffineParams,
                   index: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, None]:
    """Checked application of all samples to the flat device values ``state`` ``[M]``
    (crosspoints ``index`` of the tile, or all), same contract as
    :func:`~.moments.propagate` with ``check=True``."""
    n = torch.cat([chunk for _, chunk in counts.chunks(index)]).to(state.dtype)  # [B, M]
    touched = (n != 0).any(0)
    factor, offset = _sample_maps(engine, n, params)
    new = _apply_maps(state, factor, offset, params.lo, params.hi)
    if params.exact is not None:
        rows = (params.exact > 0).nonzero().squeeze(1)
        if rows.numel():
            new[rows] = _steep_rows(engine, counts, state[rows], n[:, rows],
                                    params.select(rows))
    return new, touched, None


_FACTOR_CAP = 1e9
# pulses per composed segment: 30 capped factors multiply to at most 1e270 (finite)
_SEGMENT = 30


def _steep_rows(engine: Any, counts: Any, start: Tensor, n: Tensor,
                params: AffineParams) -> Tensor:
    """Crosspoints marked ``exact`` (slopes ``a <= -1``: a pulse jumps past its fixed
    point) through one clamped map per pulse. The composed factors ``prod (1 + a)`` grow
    like ``|1 + a|^k``, so the maps are composed in float64 with capped factors, in
    segments of at most :data:`_SEGMENT` pulses applied one after the other (their
    compositions stay finite); a crosspoint whose result is still not finite gets its
    pulses one at a time."""
    bounds = counts.bounds if counts.bounds is not None else \
        [int(v) for v in n.abs().amax(1).tolist()]
    wide = params.apply(Tensor.double)
    factor, offset = _pulse_maps(engine, n.double(), wide, bounds)
    if not factor.shape[0]:
        return start
    # a factor beyond the cap sends every input farther than (hi - lo) / cap from the map's
    # fixed point T to a bound: capping it (T kept) changes nothing else and keeps the
    # composed factors finite for trains of up to 30 such pulses
    capped = factor.clamp(-_FACTOR_CAP, _FACTOR_CAP)
    offset = torch.where(capped != factor, offset * (1 - capped) / (1 - factor), offset)
    factor = capped
    result = start.double()
    for first in range(0, factor.shape[0], _SEGMENT):
        result = _apply_maps(result, factor[first:first + _SEGMENT],
                             offset[first:first + _SEGMENT], wide.lo, wide.hi)
    broken = ~torch.isfinite(result)
    if bool(broken.any()):
        cols = broken.nonzero().squeeze(1)
        value = start[cols]
        sub = params.select(cols)
        for sample, bound in enumerate(bounds):
            value = exact_pulses(engine, value, n[sample, cols], sub, bound)
        result[cols] = value.double()
    return result.to(start.dtype)
