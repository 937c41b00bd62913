"""Input stages shared by the tiles that read one input, per thread.

The tiles of one input split of a tile array all read the same input tensor. When their
forward settings are equal and the DAC draws no random numbers, their noise management
and DAC compute the same prepared inputs. Inside a :class:`SharedInputStages` block the
first tile's result is kept, keyed by the very input tensor (identity and version
counter, so an input changed in place is prepared again) and by the settings it depends
on, and later tiles reuse it. Nothing is kept outside a block, and a block drops what it
kept when it ends.
"""

import threading
from types import TracebackType
from typing import Any, Hashable, List, Optional, Tuple, Type

from torch import Tensor

_Entry = Tuple[Tensor, int, Hashable, Any]


class _Kept(threading.local):
    """This thread's entries of the innermost block (``None``: no block)."""

    entries: Optional[List[_Entry]] = None


_KEPT = _Kept()


class SharedInputStages:
    """Context manager: input stages computed inside are shared by later readers of the
    same input tensor with the same settings (see the module docstring)."""

    __slots__ = ("previous",)

    def __init__(self) -> None:
        self.previous: Optional[List[_Entry]] = None

    def __enter__(self) -> "SharedInputStages":
        self.previous = _KEPT.entries
        _KEPT.entries = []
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        _KEPT.entries = self.previous


def shared_stage(x: Tensor, key: Hashable) -> Optional[Any]:
    """The stage kept in the enclosing block for the tensor ``x`` (unchanged since) and
    the settings ``key``, or ``None``."""
    entries = _KEPT.entries
    if not entries:
        return None
    for tensor, version, settings, stage in entries:
        if tensor is x and version == x._version and settings == key:
            return stage
    return None


def keep_stage(x: Tensor, key: Hashable, stage: Any) -> None:
    """Keep ``stage`` (which its readers must not modify) for :func:`shared_stage` until
    the enclosing block ends; nothing is kept outside a block."""
    entries = _KEPT.entries
    if entries is not None:
        entries.append((x, x._version, key, stage))
