"""Global and per-output drift compensation."""

import torch
from torch import Tensor

from aihwkit.inference.compensation.base import READOUT_MIN, BaseDriftCompensation


class GlobalDriftCompensation(BaseDriftCompensation):
    """One factor per tile: ``readout = max(mean |y|, 1e-4)`` over the whole readout.

    The readout tensor is the identity, so the readout is the mean absolute weight (as
    seen through the forward periphery); ``alpha`` restores the mean output scale.
    """

    @torch.no_grad()
    def readout(self, out_tensor: Tensor) -> Tensor:
        return out_tensor.abs().mean().clamp(min=READOUT_MIN)


class GlobalDriftCompensationWithExactReference(GlobalDriftCompensation):
    """As :class:`GlobalDriftCompensation`, but the baseline is the ideal readout of the
    reference (unprogrammed) weights, so programming noise is compensated as well."""

    @torch.no_grad()
    def init_baseline(self, tile_or_output: object) -> Tensor:
        if isinstance(tile_or_output, Tensor):
            return self.readout(tile_or_output)
        tile = tile_or_output
        reference = tile.reference_combined_weights
        if reference is None:
            return super().init_baseline(tile)
        inputs = self.get_readout_tensor(reference.shape[1], device=reference.device,
                                         dtype=reference.dtype)
        return self.readout(inputs @ reference.t())


class PerColumnDriftCompensation(BaseDriftCompensation):
    """One factor per output: ``readout = max(mean over inputs of |y|, 1e-4)``
    (``[out_size]``)."""

    @torch.no_grad()
    def readout(self, out_tensor: Tensor) -> Tensor:
        return out_tensor.abs().mean(dim=0).clamp(min=READOUT_MIN)
