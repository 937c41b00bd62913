"""Pulse counts of single-line writes (one-hot input or one-hot output per sample).

Transfer writes, refresh rewrites and mixed-precision transfers are update cycles whose
input (column writes) or error (row writes) is a one-hot vector ``e_l``. Such a cycle
only pulses line ``l``, and its trains are those of a tile with a single line of value 1
on the one-hot side. With stochastic pulses (spec 10 §2.4) the one-hot side fires
``m ~ Binomial(BL, p_hot)`` times and every crosspoint of the line then coincides
``n ~ Binomial(m, p)`` times, independently given ``m``. Drawing ``m`` and ``n`` directly
is exact in distribution and needs one uniform per crosspoint instead of ``BL``.
Deterministic pulse types go through :func:`pulse_counts` unchanged.

:func:`binomial_line_counts` is the exact-in-distribution fast path;
:func:`reference_line_counts` draws the full trains (the reference); the choice between
them is made by :func:`aihwkit.simulator.rpu_base.kernels.choose_line_counts`.
"""

import math
from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base.pulses import pulse_counts, quantize, train_scales
from aihwkit.simulator.rpu_base.rng import TileRNG


def _inputs(values: Tensor, columns: bool) -> Any:
    """``(x, d)`` of the one-line tile: the one-hot side becomes a single line of ones."""
    ones = torch.ones(values.shape[0], 1, dtype=values.dtype, device=values.device)
    return (ones, values) if columns else (values, ones)


def reference_line_counts(values: Tensor, lr: float, up: Any, granularity: float,
                          rng: TileRNG, columns: bool) -> Tensor:
    """Signed counts ``[m, L]`` from the full pulse trains (positive: up pulses)."""
    x, d = _inputs(values, columns)
    counts = pulse_counts(x, d, lr, granularity, up, rng)
    chunk = counts.chunk(0, counts.batch)
    return chunk[:, :, 0] if columns else chunk[:, 0, :]


def binomial_icdf(trials: Tensor, prob: Tensor, uniform: Tensor,
                  max_trials: Optional[int] = None) -> Tensor:
    """Binomial draws by inversion: the smallest ``n`` with ``CDF(n) >= uniform``.

    Args:
        trials: number of trials (integer valued floats) ``[m, 1]``.
        prob: success probabilities in ``[0, 1]``, ``[m, L]``.
        uniform: uniform draws ``[m, L]``.
        max_trials: an upper bound of ``trials`` known to the caller; then the inversion
            runs exactly that many steps without reading anything back (else it reads
            the bound and stops early once every draw is decided).
    """
    flip = prob > 0.5  # count the failures instead: keeps (1 - q)^n away from underflow
    q = torch.where(flip, 1.0 - prob, prob)
    pmf = (1.0 - q).pow(trials)
    cdf = pmf.clone()
    ratio = q / (1.0 - q)
    draws = torch.zeros_like(q)
    known = max_trials is not None
    steps = max_trials if known else (int(trials.max()) if trials.numel() else 0)
    if steps:
        # the factors max(trials - k, 0) / (k + 1) of all steps at once [steps, m, 1]
        ks = torch.arange(steps, dtype=q.dtype, device=q.device).view(-1, 1, 1)
        factors = (trials.unsqueeze(0) - ks).clamp_(min=0) / (ks + 1)
    for k in range(steps):
        undecided = uniform > cdf
        if not known and k % 4 == 0 and not bool(undecided.any()):
            break
        draws += undecided
        pmf.mul_(ratio).mul_(factors[k])
        cdf.add_(pmf)
    draws = torch.minimum(draws, trials)
    return torch.where(flip, trials - draws, draws)


def binomial_line_counts(values: Tensor, lr: float, up: Any, granularity: float,
                         rng: TileRNG, columns: bool) -> Tensor:
    """Signed counts ``[m, L]`` of ``m`` single-line writes with stochastic pulses, drawn
    as nested binomials (see the module docstring).

    Args:
        values: the line values ``[m, L]`` (errors of a column write, inputs of a row
            write).
        lr: learning rate (positive: ``W -= lr * ...``).
        up: UpdateParameters; granularity: weight change per pulse sizing the trains.
        rng: the tile's generator.
        columns: True for column writes (one-hot input).
    """
    x, d = _inputs(values, columns)
    scales = train_scales(x, d, lr, granularity, up)
    line_scale, hot_scale = (scales.a, scales.b) if columns else (scales.b, scales.a)
    p_line = quantize(values.abs() * line_scale.unsqueeze(1), up.res, up.sto_round, rng)
    p_hot = quantize(hot_scale.unsqueeze(1), up.res, up.sto_round, rng)
    active = scales.active.unsqueeze(1)
    p_line = torch.where(active, p_line.clamp(0.0, 1.0), 0.0)
    p_hot = torch.where(active, p_hot.clamp(0.0, 1.0), 0.0)
    length = scales.max_bl if scales.max_bl is not None else \
        (int(scales.bl.max()) if values.shape[0] else 1)     # the call's one host read
    in_train = torch.arange(length, device=values.device).unsqueeze(0) < scales.bl.unsqueeze(1)
    hot_bits = (rng.uniform((values.shape[0], length), values.dtype) < p_hot) & in_train
    fired = hot_bits.sum(dim=1, keepdim=True).to(values.dtype)          # [m, 1]
    counts = binomial_icdf(fired, p_line, rng.uniform(values.shape, values.dtype), length)
    return counts * torch.sign(values) * (-math.copysign(1.0, lr))


def line_count_bound(up: Any, lr: float, granularity: float) -> Optional[int]:
    """Upper bound of ``|n|`` of any line write with these settings, known on the host:
    the train length of stochastic pulses (the longest one under BL management);
    ``None`` for the deterministic pulse types."""
    if up.pulse_type in (PulseType.MEAN_COUNT, PulseType.DETERMINISTIC_IMPLICIT):
        return None
    desired = int(up.desired_bl)
    lam = abs(float(lr))
    if up.fixed_bl or up.update_bl_management or granularity * desired >= lam:
        return desired
    return max(int(math.ceil(lam / granularity)), 1)
