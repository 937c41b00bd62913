"""Intra-op threads for small engine work.

A small tile's products and updates are hundreds of tiny torch operations. Spread over
several threads each of them pays a fork/join, and when another process occupies one of
the cores every join waits for a thread that is not running, which slows a small
network by an order of magnitude. Below :data:`SMALL_WORK` multiply-adds per call the
engine therefore runs its calls on one intra-op thread and restores the previous count
afterwards (about 0.3 us per call). The thread count is process-wide: torch work that
another Python thread runs at the same moment also runs on one thread for that time.
"""

import threading
from types import TracebackType
from typing import Callable, Optional, Type

import torch

# multiply-adds of one call (batch x rows x columns) below which one thread is used;
# a 64 x 64 tile with batch 16 is 2^16, a 512 x 512 tile with batch 64 is 2^24
SMALL_WORK = 1 << 18


class _Single(threading.local):
    """Whether this thread is inside a :class:`SmallWork` block that runs on one thread."""

    active = False


_SINGLE = _Single()


def single_thread_active() -> bool:
    """Whether an enclosing :class:`SmallWork` block of this thread runs on one intra-op
    thread (nested small calls then need no block of their own)."""
    return _SINGLE.active


class SmallWork:
    """Context manager: one intra-op thread while inside, when ``size`` is below
    :data:`SMALL_WORK` (re-entrant; does nothing when one thread is set already).

    Args:
        size: multiply-adds of the call (e.g. ``batch * rows * columns``).
    """

    __slots__ = ("size", "previous", "outer")

    def __init__(self, size: int) -> None:
        self.size = size
        self.previous = 0
        self.outer = True

    def __enter__(self) -> "SmallWork":
        self.outer = _SINGLE.active
        # under torch.compile the thread count of the tracing pass is meaningless (and
        # torch.get_num_threads would break the graph)
        if not self.outer and self.size < SMALL_WORK and not _is_compiling():
            threads = torch.get_num_threads()
            if threads > 1:
                self.previous = threads
                torch.set_num_threads(1)
            _SINGLE.active = True
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        if self.previous:
            torch.set_num_threads(self.previous)
            self.previous = 0
        _SINGLE.active = self.outer


def _never() -> bool:
    """``False``: torch releases without ``torch.compiler.is_compiling`` never trace
    through the engine."""
    return False


# True while ``torch.compile`` traces the caller: torch's own probe itself (resolved
# once; a wrapper around it would cost a call more on every small engine call, and
# torch.compile recognises the probe where it traces)
_is_compiling: Callable[[], bool] = getattr(getattr(torch, "compiler", None), "is_compiling",
                                            None) or _never
