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

from typing import Any, Dict, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.moments import Extremes

# below this value of x = k log(1 + e), E = e^x - 1 uses its third-order series (relative
# error below x^3 / 24 = 4e-5)
SERIES_LIMIT = 0.1


def affine_propagate(engine: Any, counts: Any, state: Tensor, params: Dict[str, Tensor]
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
        series = float(p["le_mid"].abs().max() + p["le_half"].abs().max()) \
            * counts.max_count() < SERIES_LIMIT
    for _, chunk in counts.chunks():
        for n in chunk.to(mean.dtype):
            torch.sign(n, out=sign)
            torch.abs(n, out=k)
            total.add_(k)
            torch.addcmul(p["lr_mid"], sign, p["lr_half"], out=factor).mul_(k).exp_()  # r^k
            torch.addcmul(p["T_mid"], sign, p["T_half"], out=target)
            torch.sub(mean, target, out=work)                                    # d = m - T
            torch.addcmul(target, work, factor, out=mean)
            extremes.track(mean, var)
            if not noisy:
                continue
            factor.mul_(factor)                                                  # F^2
            if mult:
                torch.addcmul(p["le_mid"], sign, p["le_half"], out=extra).mul_(k)
                if series:                                                       # E
                    torch.mul(extra, 1 / 6, out=scratch).add_(0.5).mul_(extra).add_(1)
                    extra.mul_(scratch)
                else:
                    extra.expm1_()
                var.addcmul_(extra, work.mul_(work).add_(var)).mul_(factor)      # F^2 (V + E (V + d^2))
            else:
                torch.addcmul(p["ih_mid"], sign, p["ih_half"], out=extra)
                extra.mul_(factor - 1).mul_(torch.addcmul(p["cv_mid"], sign, p["cv_half"]))
                var.mul_(factor).add_(extra)
    extremes.track(mean, var)
    risky = extremes.risky(params)
    if "exact" in params:
        risky |= params["exact"] > 0
    if noisy:
        mean.addcmul_(var.sqrt_(), engine.rng.normal(mean.shape, mean.dtype))
    return engine.clip_state(mean, params), total > 0, risky
