"""Moment recursion for affine pulse maps without bound checks (fast path).

Each pulse maps ``w -> T + (w - T) r (1 + noise)`` around the fixed point ``T = -c/a``
of its direction, so ``k`` pulses multiply the distance to ``T`` by ``F = r^k``; with
multiplicative noise the variance becomes ``F^2 (V + E (V + d^2))`` with ``d = m - T``
and ``E = (1 + e)^k - 1``, with additive noise ``F^2 V + s^2 c^2 (F^2 - 1) / (r^2 - 1)``
(see :mod:`aihwkit.simulator.rpu_base.devices._affine`). The per-sample coefficients
are computed for a chunk of samples at once; the recursion over samples then costs a
handful of in-place operations per sample. Used for crosspoints that cannot reach a
bound during the update call; exact first two moments.
"""

from typing import Any, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.moments import Z_SAFE, Extremes
from aihwkit.simulator.rpu_base.kernels.params import AffineParams

# below this value of x = k log(1 + e), E = e^x - 1 uses its third-order series (relative
# error below x^3 / 24 = 4e-5)
SERIES_LIMIT = 0.1


def affine_propagate(engine: Any, counts: Any, state: Tensor, params: AffineParams
                     ) -> Tuple[Tensor, Tensor, Tensor]:
    """Apply all samples to the flat device values ``state`` ``[N]`` (every crosspoint).

    One sample at a time on preallocated buffers (cache-resident at typical tile sizes),
    with branch-free direction selection ``x_mid + sign(n) x_half``.

    Returns:
        The new values (one Gaussian draw per crosspoint, clipped), the touched mask and
        the crosspoints whose distribution came within ``Z_SAFE`` standard deviations of
        a bound (to be recomputed with checks).
    """
    mean = state.clone()
    extremes = Extremes(mean)
    var = torch.zeros_like(mean)
    total = torch.zeros_like(mean)
    sign, k, factor, target, work, extra, scratch = (torch.empty_like(mean) for _ in range(7))
    noisy = engine.c2c_std > 0
    mult = engine.mult_noise
    p = params
    if noisy and mult:
        series = engine.pulse_flag("le_max") * counts.max_count() < SERIES_LIMIT
    for _, chunk in counts.chunks():
        for n in chunk.to(mean.dtype):
            torch.sign(n, out=sign)
            torch.abs(n, out=k)
            total.add_(k)
            torch.addcmul(p.lr_mid, sign, p.lr_half, out=factor).mul_(k).exp_()  # r^k
            torch.addcmul(p.T_mid, sign, p.T_half, out=target)
            torch.sub(mean, target, out=work)                                    # d = m - T
            torch.addcmul(target, work, factor, out=mean)
            extremes.track(mean, var)
            if not noisy:
                continue
            factor.mul_(factor)                                                  # F^2
            if mult:
                torch.addcmul(p.le_mid, sign, p.le_half, out=extra).mul_(k)
                if series:                                                       # E
                    torch.mul(extra, 1 / 6, out=scratch).add_(0.5).mul_(extra).add_(1)
                    extra.mul_(scratch)
                else:
                    extra.expm1_()
                # F^2 (V + E (V + d^2))
                var.addcmul_(extra, work.mul_(work).add_(var)).mul_(factor)
            else:
                torch.addcmul(p.ih_mid, sign, p.ih_half, out=extra)
                extra.mul_(factor - 1).mul_(torch.addcmul(p.cv_mid, sign, p.cv_half))
                var.mul_(factor).add_(extra)
    extremes.track(mean, var)
    risky = extremes.risky(params)
    if params.exact is not None:
        risky |= params.exact > 0
    if noisy:
        mean.addcmul_(var.sqrt_(), engine.rng.normal(mean.shape, mean.dtype))
    return engine.clip_state(mean, params), total > 0, risky


def compose_prefix(factor: Tensor, offset: Tensor) -> Tuple[Tensor, Tensor]:
    """Inclusive prefix composition of the affine maps ``v -> factor[b] v + offset[b]``
    along dim 0 (in place): afterwards element ``b`` is the map of samples ``0 .. b``
    applied in order. ``log2(B)`` steps of a parallel scan; the composition
    ``(f2, o2) o (f1, o1) = (f2 f1, f2 o1 + o2)`` is associative.
    """
    shift = 1
    size = factor.shape[0]
    while shift < size:
        offset_late, factor_late = offset[shift:], factor[shift:]
        new_offset = torch.addcmul(offset_late, factor_late, offset[:-shift])
        new_factor = factor_late * factor[:-shift]
        offset_late.copy_(new_offset)
        factor_late.copy_(new_factor)
        shift <<= 1
    return factor, offset


def affine_scan(engine: Any, counts: Any, state: Tensor, params: AffineParams
                ) -> Tuple[Tensor, Tensor, Tensor]:
    """:func:`affine_propagate` with the recursion over the samples done as a prefix scan.

    Mean and variance follow affine recursions in their own value: ``m' = F m + (1 - F) T``
    and ``V' = F^2 (1 + E) V + F^2 E d^2`` (multiplicative noise; ``d = m - T`` with the
    mean before the sample) or ``V' = F^2 V + (F^2 - 1) s^2 c^2 / (r^2 - 1)`` (additive),
    so both are compositions of per-sample affine maps, computed for a whole chunk of
    samples in ``log2(B)`` batched steps instead of ``B`` sequential ones. Same moments,
    same outputs as :func:`affine_propagate`; for small tiles, where the per-sample
    operations cost more in dispatch than in arithmetic.
    """
    mean = state.clone()
    var = torch.zeros_like(mean)
    low, high, top = mean.clone(), mean.clone(), torch.zeros_like(mean)
    total = torch.zeros_like(mean)
    noisy = engine.c2c_std > 0
    mult = engine.mult_noise
    p = params
    for _, chunk in counts.chunks():
        n = chunk.to(mean.dtype)                                         # [b, N]
        sign = n.sign()
        k = n.abs()
        total.add_(k.sum(0))
        factor = torch.addcmul(p.lr_mid, sign, p.lr_half).mul_(k).exp_()   # F = r^k
        target = torch.addcmul(p.T_mid, sign, p.T_half)
        offset = (1 - factor).mul_(target)
        means_factor, means_offset = compose_prefix(factor.clone(), offset)
        means = torch.addcmul(means_offset, means_factor, mean)         # after each sample
        torch.minimum(low, means.amin(0), out=low)
        torch.maximum(high, means.amax(0), out=high)
        if noisy:
            square = factor.square_()                                     # F^2
            if mult:
                before = torch.cat([mean.unsqueeze(0), means[:-1]])
                distance = before.sub_(target)                            # d = m - T
                extra = torch.addcmul(p.le_mid, sign, p.le_half).mul_(k).expm1_()
                gain = extra.mul(square)                                  # F^2 E
                added = gain.mul_(distance.square_())                     # F^2 E d^2
                growth = extra.add_(1).mul_(square)                       # F^2 (1 + E)
            else:
                growth = square
                added = torch.addcmul(p.ih_mid, sign, p.ih_half).mul_(square - 1)
                added.mul_(torch.addcmul(p.cv_mid, sign, p.cv_half))
            var_factor, var_offset = compose_prefix(growth, added)
            variances = torch.addcmul(var_offset, var_factor, var)
            torch.maximum(top, variances.amax(0), out=top)
            var = variances[-1].clone()
        mean = means[-1].clone()
    spread = top.sqrt_().mul_(Z_SAFE)
    risky = (high + spread > params.hi) | (low - spread < params.lo)
    if params.exact is not None:
        risky |= params.exact > 0
    if noisy:
        mean.addcmul_(var.sqrt_(), engine.rng.normal(mean.shape, mean.dtype))
    return engine.clip_state(mean, params), total > 0, risky
