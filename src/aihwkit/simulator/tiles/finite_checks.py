"""Finiteness checks of tile inputs with one host read and few kernels.

``max |t|`` is NaN when an entry is NaN and infinite when one is infinite, so one
reduction and one read decide for a whole tensor (or several); only when it fails is the
detailed :func:`~aihwkit.simulator.tiles.checks.check_finite` run, for its message.
"""

import math

import torch
from torch import Tensor

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


def _compiling() -> bool:
    probe = getattr(getattr(torch, "compiler", None), "is_compiling", None)
    return probe is not None and bool(probe())


def check_finite_input(x: Tensor) -> None:
    """:func:`check_finite` of a forward input (one host read)."""
    if _compiling():  # an asynchronous assertion in the graph
        check_finite("x", x)
    elif x.numel() and not math.isfinite(abs_peak(x).item()):
        check_finite("x", x)


def check_finite_pair(x: Tensor, d: Tensor) -> None:
    """:func:`check_finite` of the update operands ``x`` and ``d`` with one host read."""
    if _compiling() or not x.numel() or not d.numel():
        check_finite("x", x)
        check_finite("d", d)
        return
    if math.isfinite(torch.maximum(abs_peak(x), abs_peak(d)).item()):
        return
    check_finite("x", x)
    check_finite("d", d)
