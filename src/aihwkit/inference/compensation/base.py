"""Base class of drift compensation: rescale outputs to undo the global conductance decay.

Right after programming a tile reads a fixed input (the *readout tensor*) through its
analog forward pass and stores a scalar or per-output *baseline*. After drift it reads
again; ``alpha = baseline / readout_now`` then multiplies the tile's outputs in eval mode.
"""

from typing import Any, Optional

import torch
from torch import Tensor

from aihwkit.inference._common import compact_str, public_equal

READOUT_MIN = 1e-4


class BaseDriftCompensation:
    """Drift compensation from a readout of the tile's analog forward pass.

    Subclasses implement :meth:`readout` (output ``[in_size, out_size]`` of the readout
    tensor -> scalar or ``[out_size]``) and may change :meth:`get_readout_tensor`.
    """

    def __eq__(self, other: object) -> bool:
        return public_equal(self, other)

    def __str__(self) -> str:
        return compact_str(self)

    __repr__ = __str__

    @torch.no_grad()
    def init_baseline(self, tile_or_output: Any) -> Tensor:
        """Reference readout taken right after programming.

        Args:
            tile_or_output: the inference tile (its drift readout forward is used) or the
                readout forward output ``[in_size, out_size]`` itself.
        """
        if isinstance(tile_or_output, Tensor):
            return self.readout(tile_or_output)
        return self.readout(tile_or_output._forward_drift_readout_tensor())

    @torch.no_grad()
    def apply(self, forward_output: Tensor, ref_value: Tensor) -> Tensor:
        """The compensation factor ``alpha = ref_value / readout(forward_output)``."""
        return ref_value / self.readout(forward_output)

    def get_readout_tensor(self, in_size: int, device: Optional[torch.device] = None,
                           dtype: Optional[torch.dtype] = None) -> Tensor:
        """Inputs of the readout forward pass ``[n, in_size]`` (default: identity)."""
        return torch.eye(in_size, device=device, dtype=dtype)

    def readout(self, out_tensor: Tensor) -> Tensor:
        """Summary of the readout forward output (scalar or ``[out_size]``)."""
        raise NotImplementedError
