"""Pulse application kernels and the one place that chooses between them.

* :func:`~.reference.reference_pulses` — plain torch, exact per-pulse semantics.
* :func:`~.moments.moment_pulses` — per-sample moment propagation, one Gaussian draw per
  crosspoint and update call, exact pulses near the bounds (statistically matched).
* :func:`~.additive.additive_pulses` — weight-independent steps aggregated over the batch
  (statistically matched).

The reference can be forced with the environment variable
``AIHWKIT_REFERENCE_UPDATE=1`` (read once, at import) or, for a block of code, with
``with reference_update(): ...``.
"""

import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from aihwkit.simulator.rpu_base.kernels.additive import additive_pulses
from aihwkit.simulator.rpu_base.kernels.moments import moment_pulses
from aihwkit.simulator.rpu_base.kernels.reference import reference_pulses

_ENV_REFERENCE = os.environ.get("AIHWKIT_REFERENCE_UPDATE", "").strip().lower() \
    not in ("", "0", "false", "no")
_STATE = threading.local()


@contextmanager
def reference_update(enabled: bool = True) -> Iterator[None]:
    """Within the block, pulsed updates use the exact reference kernel (``enabled``) or
    the automatic choice (``enabled=False``, e.g. to compare against the reference)."""
    previous = getattr(_STATE, "forced", None)
    _STATE.forced = bool(enabled)
    try:
        yield
    finally:
        _STATE.forced = previous


def reference_forced() -> bool:
    """Whether the reference kernel is forced here (context manager, else environment)."""
    forced = getattr(_STATE, "forced", None)
    return _ENV_REFERENCE if forced is None else forced


def choose_kernel(engine: Any, counts: Any) -> Callable[[Any, Any], None]:
    """The kernel used for ``engine`` and ``counts`` (see the module docstring)."""
    if reference_forced():
        return reference_pulses
    if engine.batch_additive:
        return additive_pulses
    return moment_pulses


def apply_pulses(engine: Any, counts: Any) -> None:
    """Apply the pulse counts of one update call to the device ``engine``."""
    choose_kernel(engine, counts)(engine, counts)


__all__ = ["apply_pulses", "choose_kernel", "reference_update", "reference_forced",
           "reference_pulses", "moment_pulses", "additive_pulses"]
