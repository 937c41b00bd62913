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

from typing import Any, Dict, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.reference import exact_pulses

Z_SAFE = 5.0
SMALL_NOISE = 0.33
# up to this batch size every crosspoint is checked against the bounds at every sample
CLASSIFY_BATCH = 2


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

    def risky(self, params: Dict[str, Tensor]) -> Tensor:
        """Crosspoints within ``Z_SAFE`` standard deviations of a bound at some sample."""
        spread = self.var.sqrt().mul_(Z_SAFE)
        return (self.high + spread > params["hi"]) | (self.low - spread < params["lo"])


def flat_params(params: Dict[str, Tensor], index: Optional[Tensor] = None) -> Dict[str, Tensor]:
    """Parameters as flat vectors (optionally only the crosspoints ``index``)."""
    if index is None:
        return {key: value.reshape(-1) for key, value in params.items()}
    return {key: value.reshape(-1)[index] for key, value in params.items()}


def propagate(engine: Any, counts: Any, state: Tensor, params: Dict[str, Tensor],
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
    low, high = params["lo"], params["hi"]
    always = params["exact"] > 0 if "exact" in params else None
    for _, chunk in counts.chunks(index):
        for n in chunk.to(mean.dtype):
            new_mean, new_var = engine.moments(mean, var, n, params)
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
            if bool(risky.any()):
                rows = risky.nonzero().squeeze(1)
                sub = {key: value[rows] for key, value in params.items()}
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
        if "exact" in params:
            risky |= params["exact"] > 0
    if noisy:
        mean = engine.clip_state(mean + var.sqrt() * engine.rng.normal(mean.shape, mean.dtype),
                                 params)
    return mean, touched, risky


def _apply_sample(engine: Any, start: Tensor, n: Tensor, params: Dict[str, Tensor],
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
        result[rows] = exact_pulses(engine, start[rows], n[rows],
                                    {key: value[rows] for key, value in params.items()})
    return result


def moment_pulses(engine: Any, counts: Any) -> None:
    """Apply the pulse counts of one update call by moment propagation.

    For batches of more than ``CLASSIFY_BATCH`` samples every crosspoint is first
    propagated without per-sample checks (with the device's fast recursion where it has
    one); the few whose distribution came near a bound are then recomputed from their
    initial value with the checks.
    """
    shape = engine.weights.shape
    state = engine.pulse_state().reshape(-1)
    params = flat_params(engine.pulse_params())
    if counts.batch <= CLASSIFY_BATCH:
        new, touched, _ = propagate(engine, counts, state, params)
    else:
        fast = engine.unchecked_propagate(counts, state, params)
        new, touched, risky = fast if fast is not None else \
            propagate(engine, counts, state, params, check=False)
        risky &= touched
        if bool(risky.any()):
            index = risky.nonzero().squeeze(1)
            new[index] = propagate(engine, counts, state[index], flat_params(params, index),
                                   index)[0]
    engine.commit_pulses(new.reshape(shape), touched.reshape(shape))
