"""Digital output scales of a tile: weight-mapping scales and learned output scales.

``y = scales * alpha * (W x)`` per output, where ``scales`` are the mapping scales set by
weight scaling (``[1]`` or ``[out_size]``) and ``alpha`` the learned output scales
(``mapping.learn_out_scaling``).
"""

from typing import Optional, Tuple, Union

import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError, ConfigError, TileError
from aihwkit.simulator.tiles.checks import check_finite


class TileScalesMixin:
    """Mapping and learned output scales of :class:`TileWithPeriphery`."""

    # provided by the tile
    mapping_scales: Optional[Tensor]
    out_scaling_alpha: Optional[Tensor]
    out_size: int
    device: torch.device
    mapping_lr_scale: float

    def apply_out_scaling(self, values: Tensor, tensor_view: Optional[Tuple[int, ...]] = None
                          ) -> Tensor:
        """Multiply by the learned output scales (if any)."""
        if self.out_scaling_alpha is None:
            return values
        if tensor_view is not None:
            return values * self.out_scaling_alpha.view(*tensor_view)
        return values * self._view_out(self.out_scaling_alpha, values)

    def get_mapping_scales(self) -> Optional[Tensor]:
        """Digital output scales of the weight mapping."""
        return self.mapping_scales

    def set_mapping_scales(self, mapping_scales: Union[Tensor, float, None]) -> None:
        """Set the mapping scales.

        ``None`` removes them; a float creates ``[1]`` scales only where none exist (on
        existing scales it changes nothing, as in aihwkit); a single value given as a
        tensor fills an existing per-output vector.
        """
        if mapping_scales is None:
            self.mapping_scales = None
            return
        if isinstance(mapping_scales, float) and self.mapping_scales is not None:
            return
        if isinstance(mapping_scales, bool) or isinstance(mapping_scales, (str, bytes)):
            raise ArgumentError(f"mapping_scales must be numbers, got {mapping_scales!r}")
        try:
            scales = torch.as_tensor(mapping_scales, dtype=self.get_dtype(),
                                     device=self.device).reshape(-1)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ArgumentError(f"mapping_scales cannot be converted to a tensor: {exc}") \
                from exc
        check_finite("mapping_scales", scales)
        if self.mapping_scales is not None and scales.numel() not in (
                1, self.mapping_scales.numel(), self.out_size):
            raise TileError(f"mapping_scales needs 1 or {self.out_size} values, got "
                            f"{scales.numel()}")
        if self.mapping_scales is not None and self.mapping_scales.numel() > 1 \
                and scales.numel() == 1:
            scales = scales.expand(self.mapping_scales.numel())
        self.mapping_scales = scales.clone()
        if self.mapping.weight_scaling_lr_compensation:
            self.mapping_lr_scale = float(1.0 / self.mapping_scales.mean())

    def get_learned_out_scales(self) -> Optional[Tensor]:
        """Learned output scales (``None`` unless ``learn_out_scaling``)."""
        return self.out_scaling_alpha

    def set_learned_out_scales(self, alpha: Union[Tensor, float]) -> None:
        """Set the learned output scales."""
        if self.out_scaling_alpha is None:
            raise ConfigError("MappingParameter.learn_out_scaling = False: the tile has no "
                              "learned output scales")
        values = self._as_matrix("alpha", alpha, None)
        if values.numel() not in (1, self.out_scaling_alpha.numel()):
            raise TileError(f"alpha needs 1 or {self.out_scaling_alpha.numel()} values, got "
                            f"{values.numel()}")
        with torch.no_grad():
            self.out_scaling_alpha.copy_(values.reshape(-1).expand_as(self.out_scaling_alpha)
                                         if values.numel() == 1 else
                                         values.reshape(self.out_scaling_alpha.shape))

    def get_scales(self) -> Optional[Tensor]:
        """Combined digital output scales (mapping scales times learned scales)."""
        scales = self.mapping_scales
        alpha = self.out_scaling_alpha
        if scales is None:
            return None if alpha is None else alpha.detach().clone()
        return scales.clone() if alpha is None else scales * alpha.detach()

    def set_scales(self, scales: Union[Tensor, float]) -> None:
        """Set the mapping scales to ``scales`` and the learned scales to one."""
        self.set_mapping_scales(scales)
        if self.out_scaling_alpha is not None:
            with torch.no_grad():
                self.out_scaling_alpha.fill_(1.0)
