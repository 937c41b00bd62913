"""Argument checks of the tile API: numbers, integers and finite tensors.

Every check raises :class:`~aihwkit.exceptions.ArgumentError` (tensors handed to a tile:
:class:`~aihwkit.exceptions.TileError`) naming the argument and the allowed range, and
is called before anything is changed.
"""

from typing import Any

import torch
from torch import Tensor

from aihwkit.exceptions import TileError
# the numeric checks live with the engine, which uses them too; tiles import them from here
from aihwkit.simulator.rpu_base.arguments import check_integer, check_real  # noqa: F401
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling


def check_finite(name: str, tensor: Tensor) -> Tensor:
    """Raise :class:`TileError` when ``tensor`` holds NaN or an infinity.

    Inside ``torch.compile`` the check is an asynchronous assertion in the graph (it
    raises a ``RuntimeError`` naming ``name``): a host read would break the graph.
    """
    if _is_compiling():
        torch._assert_async(torch.isfinite(tensor).all(),  # pylint: disable=protected-access
                            f"{name} holds NaN or infinite values")
        return tensor
    if tensor.numel() and not bool(torch.isfinite(tensor).all()):
        raise TileError(f"{name} holds NaN or infinite values: nothing was changed")
    return tensor


def autocast_input(x: Any, dtype: torch.dtype) -> Any:
    """Inside a ``torch.autocast`` region for ``x``'s device, a floating point ``x`` is
    cast to the tile's compute ``dtype`` (``runtime.data_type``): autocast lowers the
    precision of digital layers, the analog tile keeps the precision it simulates and
    returns its output in ``dtype``. Elsewhere ``x`` is returned unchanged (and dtype
    mismatches are reported by the tile's input checks)."""
    if not isinstance(x, Tensor) or not x.is_floating_point() or x.dtype == dtype:
        return x
    try:
        enabled = torch.is_autocast_enabled(x.device.type)
    except TypeError:  # torch releases before 2.4 take no device type
        enabled = (torch.is_autocast_cpu_enabled() if x.device.type == "cpu"
                   else torch.is_autocast_enabled())
    return x.to(dtype) if enabled else x
