"""Whether this install can run tiles on CUDA."""

import torch


def is_compiled() -> bool:
    """True when tiles can be moved to a CUDA device (nothing is compiled: torch's CUDA
    support is all that is needed)."""
    return bool(torch.cuda.is_available())
