"""One set of pulse trains applied to several children (unit cells, spec 20 §2.4, §4.4).

``VectorUnitCell`` with policy ``ALL`` applies the *same* coincidence counts to every
child, each with its own step rule; ``OneSidedUnitCell`` turns the counts of one set of
trains into up pulses on the positive or the negative device. The counts come from
:func:`aihwkit.simulator.rpu_base.pulses.pulse_counts` and are applied with the devices'
own kernels (:func:`aihwkit.simulator.rpu_base.kernels.apply_pulses`), so no per-pulse
rule is repeated here.
"""

from typing import Any, Optional, Sequence, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.devices._pulsed import (
    PulsedDeviceEngine, check_update_inputs, check_update_shapes)
from aihwkit.simulator.rpu_base.kernels.lines import line_count_bound
from aihwkit.simulator.rpu_base.pulses import (
    PulseCounts, pulse_counts, validate_update_parameters)
from aihwkit.simulator.rpu_base.rng import TileRNG

# How a child sees the signed counts ``n`` (positive: up pulses) of the shared trains.
SAME = "same"              # n itself
UP_ONLY = "up_only"        # the up pulses only
DOWN_AS_UP = "down_as_up"  # the down pulses, applied as up pulses
MODES = (SAME, UP_ONLY, DOWN_AS_UP)


def map_counts(counts: Tensor, mode: str) -> Tensor:
    """Counts as seen by a child in ``mode`` (any shape)."""
    if mode == UP_ONLY:
        return counts.clamp(min=0)
    if mode == DOWN_AS_UP:
        return (-counts).clamp(min=0)
    return counts


def _parts(values: Tensor) -> Tuple[Tensor, Tensor]:
    """Positive and negative parts ``(max(v, 0), min(v, 0))``."""
    return values.clamp(min=0), values.clamp(max=0)


def mapped_pulse_counts(counts: PulseCounts, mode: str) -> PulseCounts:
    """The counts of ``counts`` as seen through ``mode``, as :class:`PulseCounts`.

    The sign of a coincidence is the product of the signs of its two factors, so the up
    pulses are the coincidences of equal-signed factors, ``d+ x+^T + d- x-^T``, and the
    down pulses those of opposite signs. Trains: both products become one train of twice
    the length. Deterministic factors: both products become two consecutive samples
    (each crosspoint has counts in only one of them).
    """
    if mode == SAME:
        return counts
    if counts.is_dense:
        d_pos, d_neg = _parts(counts.d_factor)
        x_pos, x_neg = _parts(counts.x_factor)
        if mode == UP_ONLY:
            d_factor, x_factor = (d_pos, d_neg), (x_pos, x_neg)
        else:
            d_factor, x_factor = (d_pos, -d_neg), (-x_neg, x_pos)
        return PulseCounts(2 * counts.batch, counts.d_size, counts.x_size,
                           d_factor=torch.stack(d_factor, 1).flatten(0, 1),
                           x_factor=torch.stack(x_factor, 1).flatten(0, 1))
    d_pos, d_neg = _parts(counts.d_trains)
    x_pos, x_neg = _parts(counts.x_trains)
    if mode == UP_ONLY:
        d_trains, x_trains = (d_pos, d_neg), (x_pos, x_neg)
    else:
        d_trains, x_trains = (d_pos, -d_neg), (-x_neg, x_pos)
    # at each train position a crosspoint coincides in at most one of the two halves,
    # so the sample bounds of the original trains still hold
    return PulseCounts(counts.batch, counts.d_size, counts.x_size,
                       d_trains=torch.cat(d_trains, 1), x_trains=torch.cat(x_trains, 1),
                       d_sparsity=counts.d_sparsity, bounds=counts.bounds)


def _exact_deltas(x: Tensor, d: Tensor, lr: float, mode: str) -> Tensor:
    """Sum over the batch of the mapped exact per-sample changes ``-lr d_b x_b^T``."""
    if mode == SAME:
        return -lr * (d.t() @ x)
    total = torch.zeros(d.shape[1], x.shape[1], dtype=x.dtype, device=x.device)
    chunk = max(1, (1 << 22) // max(1, d.shape[1] * x.shape[1]))
    for start in range(0, x.shape[0], chunk):
        outer = -lr * d[start:start + chunk].unsqueeze(2) * x[start:start + chunk].unsqueeze(1)
        total += map_counts(outer, mode).sum(0)
    return total


def shared_update(targets: Sequence[Tuple[Any, str]], x: Tensor, d: Tensor, lr: float,
                  up: Any, granularity: float, rng: TileRNG) -> None:
    """Generate one set of pulse trains for ``(x, d)`` and apply them to every child.

    Args:
        targets: ``(child engine, mode)`` pairs, mode from :data:`MODES`.
        x: inputs ``[B, x_size]``; d: errors ``[B, d_size]``.
        lr: learning rate; up: UpdateParameters; granularity: weight change per pulse
            used to size the trains (the compound's).
        rng: the tile's generator.
    """
    if lr == 0.0 or x.shape[0] == 0:
        return
    if len(targets) == 1 and targets[0][1] == SAME:
        targets[0][0].update(x, d, lr, up, granularity=granularity)
        return
    first = targets[0][0]
    check_update_shapes(x, d, first.d_size, first.x_size)
    validate_update_parameters(up)
    x = x.to(device=first.device, dtype=first.dtype)
    d = d.to(device=first.device, dtype=first.dtype)
    if up.pulse_type in (PulseType.NONE, PulseType.NONE_WITH_DEVICE):
        check_update_inputs(x, d, first.d_size, first.x_size)
        for child, mode in targets:
            if mode == SAME:
                child.update(x, d, lr, up, granularity=granularity)
            else:
                child.set_weights(child.get_weights() + _exact_deltas(x, d, lr, mode))
        return
    # finiteness is checked with the train length, before any draw; kernels leave
    # crosspoints without pulses unchanged, so empty counts need no test
    counts = pulse_counts(x, d, lr, granularity, up, rng, check_finite=True)
    for child, mode in targets:
        if isinstance(child, PulsedDeviceEngine):
            kernels.apply_pulses(child, mapped_pulse_counts(counts, mode))
        else:
            # a compound child draws its own trains (it has no single pulse rule)
            _fallback_update(child, mode, x, d, lr, up, granularity)


def _fallback_update(child: Any, mode: str, x: Tensor, d: Tensor, lr: float, up: Any,
                     granularity: float) -> None:
    """Update of a child without a pulse kernel of its own (a nested compound), which
    draws its own trains."""
    if mode != SAME:
        raise TypeError("only pulsed single devices can take one-sided pulses")
    child.update(x, d, lr, up, granularity=granularity)


def reset_elements(child: Any, mask: Tensor) -> None:
    """Reset the crosspoints of ``child`` where ``mask`` (``[d, x]``) with the device's
    reset rule (reset value plus ``reset_std`` noise, clipped to the bounds)."""
    if hasattr(child, "reset_elements"):
        child.reset_elements(mask)
        return
    before = child.get_weights().clone()
    child.reset_columns(0, -1, 1.0)
    after = child.get_weights()
    child.set_weights(torch.where(mask, after, before))


def count_matrix_counts(matrix: Tensor, bound: Optional[int] = None) -> PulseCounts:
    """:class:`PulseCounts` of one sample whose signed count matrix is ``matrix``
    (``[d, x]``), in the train form ``n = I^T @ matrix``; ``bound``: a known upper bound
    of ``|matrix|``."""
    d_size, x_size = matrix.shape
    eye = torch.eye(d_size, dtype=matrix.dtype, device=matrix.device).unsqueeze(0)
    return PulseCounts(1, d_size, x_size, d_trains=eye, x_trains=matrix.unsqueeze(0),
                       bounds=None if bound is None else [bound])


def apply_count_matrix(child: Any, matrix: Tensor, bound: Optional[int] = None) -> None:
    """Apply the signed pulse counts ``matrix`` ``[d, x]`` (positive: up) to a pulsed
    device as one update cycle (``bound``: a known upper bound of ``|matrix|``)."""
    kernels.apply_pulses(child, count_matrix_counts(matrix.to(child.dtype), bound))


def line_update(engine: Any, lines: Tensor, values: Tensor, lr: float, up: Any,
                granularity: float, columns: bool) -> None:
    """Single-line pulsed writes, one update cycle per line.

    Columns: for each ``k`` ``PULSE(x = e_{lines[k]}, d = values[k])``, i.e. in
    expectation ``W[:, lines[k]] -= lr * values[k]``; rows: ``PULSE(x = values[k],
    d = e_{lines[k]})``, i.e. ``W[lines[k], :] -= lr * values[k]``. The lines are
    distinct, so every crosspoint sees at most one of these cycles and they are applied
    together as one count matrix.

    Args:
        engine: device engine written to.
        lines: distinct line indices ``[m]`` (long).
        values: ``[m, d_size]`` (columns) or ``[m, x_size]`` (rows).
        lr, up, granularity: learning rate, UpdateParameters, pulse granularity.
        columns: column (True) or row (False) writes.
    """
    if lines.numel() == 0 or lr == 0.0:
        return
    if hasattr(engine, "line_update"):
        engine.line_update(lines, values, lr, up, granularity, columns)
        return
    pulsed = isinstance(engine, PulsedDeviceEngine) and up.pulse_type not in (
        PulseType.NONE, PulseType.NONE_WITH_DEVICE)
    # the compiled writes take the one-hot cycles one by one (the lines need not be
    # distinct)
    compiled = kernels.choose_line_update(engine, values, lr, granularity, up) \
        if pulsed else None
    if compiled is not None:
        compiled(engine, lines, values, lr, granularity, validate_update_parameters(up),
                 columns)
        return
    if not pulsed or torch.unique(lines).numel() != lines.numel():
        size = engine.x_size if columns else engine.d_size
        values = values.to(device=engine.device, dtype=engine.dtype)
        one_hot = torch.zeros(lines.numel(), size, dtype=values.dtype, device=values.device)
        one_hot[torch.arange(lines.numel(), device=values.device), lines] = 1.0
        x, d = (one_hot, values) if columns else (values, one_hot)
        engine.update(x, d, lr, up, granularity=granularity)
        return
    validate_update_parameters(up)
    values = values.to(device=engine.device, dtype=engine.dtype)
    counts = kernels.line_counts(values, lr, up, granularity, engine.rng, columns)
    apply_count_matrix(engine, scatter_lines(counts, lines, engine.d_size, engine.x_size,
                                             columns),
                       line_count_bound(up, lr, granularity))


def scatter_lines(counts: Tensor, lines: Tensor, d_size: int, x_size: int,
                  columns: bool) -> Tensor:
    """``[d, x]`` matrix with ``counts[k]`` in column (row) ``lines[k]``, zeros elsewhere."""
    matrix = torch.zeros(d_size, x_size, dtype=counts.dtype, device=counts.device)
    if columns:
        matrix[:, lines] = counts.t()
    else:
        matrix[lines, :] = counts
    return matrix


def shared_line_counts(x_like: Any, lines: Tensor, values: Tensor, lr: float, up: Any,
                       granularity: float, columns: bool) -> Tensor:
    """Signed count matrix ``[d, x]`` of :func:`line_update` on ``x_like`` (an engine
    whose shape, dtype and generator are used), without applying it."""
    validate_update_parameters(up)
    values = values.to(device=x_like.device, dtype=x_like.dtype)
    counts = kernels.line_counts(values, lr, up, granularity, x_like.rng, columns)
    return scatter_lines(counts, lines, x_like.d_size, x_like.x_size, columns)
