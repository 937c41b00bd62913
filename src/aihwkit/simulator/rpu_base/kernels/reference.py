"""Reference pulse application: exact per-pulse semantics (spec 10 §2.6).

Samples are applied in batch order; within a sample every crosspoint receives its
``|n|`` pulses one at a time, each with its own cycle-to-cycle draw and a clip to the
bounds after it. Exact (distributions and noise-free values); slow for long trains.
"""

from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.params import PulseParams


def exact_pulses(engine: Any, state: Tensor, n: Tensor, params: PulseParams,
                 bound: Optional[int] = None) -> Tensor:
    """Apply ``|n|`` pulses in direction ``sign(n)`` one at a time to ``state``.

    Args:
        engine: the pulsed device engine (its ``pulse`` rule and generator are used).
        state: device values (any shape ``S``).
        n: signed pulse counts ``S`` (positive: up).
        params: the engine's pulse parameters for the same crosspoints.
        bound: an upper bound of ``|n|`` known on the host (``None``: read from ``n``).

    Returns:
        The new device values ``S``.
    """
    k = n.abs()
    sign = n.sign()
    sigma = engine.c2c_std
    if bound is None:
        bound = int(k.max()) if k.numel() else 0
    for pulse_index in range(bound):
        active = k > pulse_index
        noise = engine.rng.normal(state.shape, state.dtype) if sigma > 0 else None
        state = torch.where(active, engine.pulse(state, sign, noise, params), state)
    return state


def reference_pulses(engine: Any, counts: Any) -> None:
    """Apply the pulse counts of one update call sample by sample, pulse by pulse."""
    state = engine.pulse_state()
    params = engine.pulse_params()
    touched = torch.zeros(state.shape, dtype=torch.bool, device=state.device)
    for index in range(counts.batch):
        n = counts.sample(index).to(state.dtype)
        state = exact_pulses(engine, state, n, params)
        touched |= n != 0
    engine.commit_pulses(state, touched)
