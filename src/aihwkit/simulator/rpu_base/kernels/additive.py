"""Fast pulse application for weight-independent steps, aggregated over the whole batch.

For a device whose step does not depend on the weight (ConstantStep), ``N+`` up and
``N-`` down pulses away from the bounds sum to one Gaussian of mean
``N+ s+ + N- s-`` and variance ``N+ v+ + N- v-`` whatever their order (the device's
pulse parameters provide ``step_up``/``step_down`` and, for ``n`` signed pulses,
the mean ``n mid + |n| half`` and variance ``|n| var_mid + n var_half``), so one matrix
product of the stacked pulse trains and one draw per crosspoint replace the per-sample
loop. A crosspoint whose worst-case excursion (all its up pulses first, or all its down
pulses first, plus ``Z_SAFE`` standard deviations) could reach a bound is applied in
sample order instead: with ``dw_min_std <= SMALL_NOISE`` the pulses of one sample are
one Gaussian step followed by one clip (they share their direction, so clipping after
each pulse only differs when a noise factor ``1 + s xi`` turns negative, which is
negligible there; aihwkit's CUDA engine uses the same threshold); otherwise the moment
kernel applies them exactly near the bounds. Statistically matched.
"""

from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.moments import SMALL_NOISE, Z_SAFE, propagate
from aihwkit.simulator.rpu_base.kernels.params import ConstantStepParams


def clipped_walk(engine: Any, counts: Any, state: Tensor, params: ConstantStepParams,
                 index: Optional[Tensor] = None) -> Tensor:
    """Sample-ordered application to the flat device values ``state`` (crosspoints
    ``index``, or all): per sample one Gaussian step of matched mean and variance, then
    a clip. ``params``: the flat parameters of all crosspoints (only the fields read are
    gathered at ``index``). ``state`` (a fresh tensor) is updated in place and returned."""
    noisy = engine.c2c_std > 0
    fields = (params.lo, params.hi, params.mid, params.half)
    if noisy:
        fields += (params.var_mid, params.var_half)
    if index is not None:
        fields = tuple(value[index] for value in fields)
    low, high, mid, half, *variance = fields
    for _, chunk in counts.chunks(index):
        if chunk.dtype != state.dtype:
            chunk = chunk.to(state.dtype)
        k = chunk.abs()
        moves = torch.addcmul(chunk * mid, k, half)
        if noisy:
            var_mid, var_half = variance
            spread = torch.addcmul(k.mul_(var_mid), chunk, var_half).sqrt_()
            moves.addcmul_(spread, engine.rng.normal(moves.shape, moves.dtype))
        for move in moves:
            state.add_(move).clamp_(min=low, max=high)
    return state


def walk_pulses(engine: Any, counts: Any) -> None:
    """Apply the pulse counts in sample order to every crosspoint, one Gaussian step and
    one clip per sample (small batches with ``dw_min_std <= SMALL_NOISE``, no write noise).
    """
    state = engine.pulse_state()
    # every crosspoint is written back: untouched ones keep their value exactly
    flat = clipped_walk(engine, counts, state.reshape(-1), engine.flat_pulse_params())
    engine.commit_pulses(flat.reshape(state.shape), None)


def aggregate_pulses(engine: Any, counts: Any) -> None:
    """Apply the pulse counts of one update call, aggregated over the batch.

    Work buffers are updated in place: at the sizes of interest the cost is memory
    traffic, not arithmetic.
    """
    state = engine.pulse_state()
    params = engine.pulse_params()
    n_up, n_down = (total if total.dtype == state.dtype else total.to(state.dtype)
                    for total in counts.totals())
    step_up, step_down = params.step_up, params.step_down
    touched = (n_up + n_down) > 0 if engine.write_noise else None
    noisy = engine.c2c_std > 0
    if noisy:
        # variance (N+ + N-) var_mid + (N+ - N-) var_half
        std = torch.addcmul((n_up + n_down).mul_(params.var_mid), n_up - n_down,
                            params.var_half).sqrt_()
    rise = n_up.mul_(step_up)                  # the counts are not needed any more
    fall = n_down.mul_(step_down)
    mean = rise + fall
    if engine.reversed_steps():
        # steps against their direction (no consistency): worst case both ways
        rise, fall = rise.clamp(min=0) + fall.clamp(min=0), rise.clamp(max=0) + fall.clamp(max=0)
    if noisy:
        mean.addcmul_(std, engine.rng.normal(state.shape, state.dtype))
        std.mul_(Z_SAFE)
        rise.add_(std)
        fall.sub_(std)
    # safe: neither the highest nor the lowest possible path leaves the bounds
    # (untouched crosspoints are always safe)
    rise.add_(state)
    fall.add_(state)
    safe = (rise <= params.hi) & (fall >= params.lo)
    before = state.clone()
    state.addcmul_(mean, safe.to(state.dtype))
    index = (~safe).reshape(-1).nonzero().squeeze(1)   # the call's one data-dependent size
    if index.numel():
        sub_state = before.reshape(-1)[index]
        flat = engine.flat_pulse_params()
        if engine.c2c_std <= SMALL_NOISE:
            new = clipped_walk(engine, counts, sub_state, flat, index)
        else:
            new = propagate(engine, counts, sub_state, flat.select(index), index)[0]
        state.reshape(-1)[index] = new
    engine.commit_pulses(state, touched)
