"""Finiteness checks of tile inputs with one host read and few kernels.

``max |t|`` is NaN when an entry is NaN and infinite when one is infinite, so one
reduction and one read decide for a whole tensor (or several); only when it fails is the
detailed :func:`~aihwkit.simulator.tiles.checks.check_finite` run, for its message.
"""

import math

from typing import Dict, List, Sequence

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.fused import finite_many_on_cpu, finite_on_cpu
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling
from aihwkit.simulator.rpu_base.known_finite import known_finite_input
from aihwkit.simulator.tiles.checks import check_finite


# below this many elements the peak is ``max |t|`` (two cheap calls); larger tensors are
# reduced twice instead of allocating ``|t|``
_SMALL_PEAK = 1 << 16


def abs_peak(tensor: Tensor) -> Tensor:
    """0-d ``max |t|`` of a non-empty dense tensor; NaN when an entry is NaN, so it is
    finite exactly when every entry is (cheaper than ``isfinite(t).all()``)."""
    if tensor.numel() <= _SMALL_PEAK:
        return tensor.abs().amax()
    return torch.maximum(tensor.amax(), tensor.amin().neg())


def all_finite(tensors: Sequence[Tensor]) -> bool:
    """Whether every entry of every (non-empty, dense) tensor is finite: compiled passes
    over the CPU tensors where available (a few tensors per call), else one reduction and
    one host read per device (``max |t|`` is finite exactly when every entry is)."""
    finite, rest = finite_many_on_cpu([tensor for tensor in tensors if tensor.numel()])
    if not finite:
        return False
    peaks: Dict[torch.device, List[Tensor]] = {}
    for tensor in rest:
        peaks.setdefault(tensor.device, []).append(abs_peak(tensor))
    for values in peaks.values():
        peak = values[0] if len(values) == 1 else torch.stack(values).amax()
        if not math.isfinite(peak.item()):
            return False
    return True


def check_finite_input(x: Tensor) -> None:
    """:func:`check_finite` of a forward input (one host read at most; none for an input
    of an enclosing :class:`~aihwkit.simulator.rpu_base.known_finite.KnownFiniteInputs`
    block)."""
    if known_finite_input(x):
        return
    found = finite_on_cpu(x) if x.numel() else True
    if found is None:
        if _is_compiling():  # an asynchronous assertion in the graph
            check_finite("x", x)
            return
        with torch.no_grad():   # a check only: no graph
            found = all_finite([x])
    if not found:
        check_finite("x", x)


def check_finite_pair(x: Tensor, d: Tensor) -> None:
    """:func:`check_finite` of the update operands ``x`` and ``d`` (one host read at
    most)."""
    if _is_compiling() or not x.numel() or not d.numel() or not all_finite([x, d]):
        check_finite("x", x)
        check_finite("d", d)
