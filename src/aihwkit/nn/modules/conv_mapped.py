"""Analog convolutions split over an array of tiles: ``AnalogConv1dMapped``,
``AnalogConv2dMapped`` and ``AnalogConv3dMapped``.

The flattened kernel matrix ``[out, in_channels * prod(kernel_size)]`` is cut into
blocks that fit the tile size limits of the configuration (``mapping.max_input_size``,
``mapping.max_output_size``). The input side is split by whole input channels, so every
tile sees complete kernels of its channels: with ``k = prod(kernel_size)`` a tile takes at
most ``max_input_size // k`` channels. Tile ``array[i][j]`` holds input-channel split ``i``
and output split ``j``; the layer output is the sum over the channel splits of the
concatenated output splits (partial sums in digital), plus the digital bias.
"""

from typing import Any, List, Optional, Tuple, Union

import torch
from torch import Tensor
from torch.nn import Conv1d, Conv2d, Conv3d, ModuleList, Parameter

from aihwkit.exceptions import AnalogBiasConfigError, ArgumentError, ConfigError, ModuleError
from aihwkit.nn.modules.conv import (
    IntOrTuple, _AnalogConvBase, _default_rpu_config, unfold_1d, unfold_2d, unfold_3d)
from aihwkit.simulator.tiles.array import get_split_sizes


class _AnalogConvNdMapped(_AnalogConvBase):
    """Analog convolution whose weight matrix is split over ``array`` (a ``ModuleList``
    over input-channel splits of ``ModuleList`` s over output splits; tiles named
    ``array.<i>.<j>``).

    ``in_sizes`` are the input channels of each split, ``out_sizes`` the output channels;
    both are balanced splits (``n = ceil(size / max)`` parts differing by at most one,
    larger parts first; ``max <= 0``: no split) with ``max = max_input_size //
    prod(kernel_size)`` channels and ``max = max_output_size`` outputs.
    ``weight`` is ``None``; ``bias`` is a digital ``Parameter [out]`` of the layer (or
    ``None``). Only ``groups=1`` is supported.

    Raises:
        ValueError: ``groups != 1``.
        ConfigError: a configuration without mapping parameters.
        AnalogBiasConfigError: ``bias=True`` with ``mapping.digital_bias=False``.
        ModuleError: ``prod(kernel_size) > mapping.max_input_size`` (a kernel does not fit
            a tile).
    """

    # pylint: disable=abstract-method

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: Union[str, IntOrTuple] = 0,
                 dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", rpu_config: Optional[Any] = None,
                 tile_module_class: Optional[Any] = None,
                 use_indexed: Optional[bool] = None) -> None:
        owner = type(self).__name__
        if groups != 1:
            raise ValueError(f"{owner}: only groups=1 is supported, got groups={groups!r} "
                             "(grouped convolutions: use the unmapped layer)")
        if use_indexed is not None and not isinstance(use_indexed, bool):
            raise ArgumentError(f"{owner}: use_indexed must be None or a bool, got "
                                f"{use_indexed!r}")
        self._init_conv(in_channels, out_channels, kernel_size, stride, padding, dilation,
                        groups, bias, padding_mode)
        if rpu_config is None:
            rpu_config = _default_rpu_config()
        mapping = getattr(rpu_config, "mapping", None)
        if mapping is None:
            raise ConfigError(f"{owner} needs an RPU config with mapping parameters, got "
                              f"{type(rpu_config).__name__}")
        if bias and not mapping.digital_bias:
            raise AnalogBiasConfigError(f"{owner} supports only a digital bias: set "
                                        "mapping.digital_bias = True or bias=False")
        max_in = mapping.max_input_size
        if 0 < max_in < self.kernel_elements:
            raise ModuleError(f"{owner}: a kernel of {self.kernel_elements} elements does not "
                              f"fit mapping.max_input_size = {max_in}")
        self.in_sizes = get_split_sizes(in_channels,
                                        max_in // self.kernel_elements if max_in > 0 else 0)
        self.out_sizes = get_split_sizes(out_channels, mapping.max_output_size)
        if tile_module_class is None:
            tile_module_class = rpu_config.tile_class
        self.array = ModuleList(
            ModuleList(tile_module_class(out_size, channels * self.kernel_elements,
                                         rpu_config, bias=False)
                       for out_size in self.out_sizes)
            for channels in self.in_sizes)
        # the use_indexed choice does not change the result: patches are always unfolded
        self.use_indexed = use_indexed
        if bias:
            _, dtype = self._tile_device_dtype()
            self.bias = Parameter(torch.zeros(out_channels, dtype=dtype))
        self._tiles_built = True
        self.reset_parameters()

    def _blocks(self) -> List[Tuple[slice, slice, Any]]:
        """``(rows, columns, tile)`` of every tile in the flattened kernel matrix."""
        blocks = []
        col = 0
        for channels, tiles in zip(self.in_sizes, self.array):
            width = channels * self.kernel_elements
            row = 0
            for out_size, tile in zip(self.out_sizes, tiles):
                blocks.append((slice(row, row + out_size), slice(col, col + width), tile))
                row += out_size
            col += width
        return blocks

    def _store_weights(self, matrix: Tensor, bias: Optional[Tensor], **kwargs: Any) -> None:
        for rows, cols, tile in self._blocks():
            tile.set_weights(matrix[rows, cols], None, **kwargs)
        if bias is not None:
            with torch.no_grad():
                self.bias.copy_(bias.to(self.bias.device, self.bias.dtype))

    def get_weights(self, **kwargs: Any) -> Tuple[Tensor, Optional[Tensor]]:
        """Logical weights ``[out, in_channels * prod(kernel_size)]`` assembled from the
        tiles, and the bias ``[out]`` (or ``None``), as CPU tensors.

        Args:
            kwargs: forwarded to every tile's ``get_weights`` (``apply_weight_scaling``,
                ``realistic``).
        """
        parts = []
        for rows, cols, tile in self._blocks():
            parts.append((rows, cols, tile.get_weights(**kwargs)[0]))
        weight = torch.empty(self._matrix_shape, dtype=parts[0][2].dtype)
        for rows, cols, block in parts:
            weight[rows, cols] = block
        bias = None if self.bias is None else self.bias.detach().cpu().clone()
        return weight, bias

    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-renamed
        """Analog convolution over the tile array.

        Shape: input ``[N, C_in, *spatial]`` or ``[C_in, *spatial]``; output
        ``[N, C_out, *out_spatial]`` (or without the batch dimension).
        """
        cols, out_spatial, batched = self._patches(x)
        total: Optional[Tensor] = None
        start = 0
        for channels, tiles in zip(self.in_sizes, self.array):
            width = channels * self.kernel_elements
            part = cols[..., start:start + width]
            start += width
            if len(tiles) == 1:
                out = tiles[0](part)
            else:
                out = torch.cat([tile(part) for tile in tiles], dim=-1)
            total = out if total is None else total + out
        if self.bias is not None:
            total = total + self.bias
        return self._to_image(total, out_spatial, batched)


class AnalogConv1dMapped(_AnalogConvNdMapped):
    """1-d convolution split over several tiles.

    Shape: input ``[N, C_in, W]`` or ``[C_in, W]``; output ``[N, C_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 1
    _DIGITAL = Conv1d
    _UNFOLD = staticmethod(unfold_1d)


class AnalogConv2dMapped(_AnalogConvNdMapped):
    """2-d convolution split over several tiles.

    Shape: input ``[N, C_in, H, W]`` or ``[C_in, H, W]``; output
    ``[N, C_out, H_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 2
    _DIGITAL = Conv2d
    _UNFOLD = staticmethod(unfold_2d)


class AnalogConv3dMapped(_AnalogConvNdMapped):
    """3-d convolution split over several tiles.

    Shape: input ``[N, C_in, D, H, W]`` or ``[C_in, D, H, W]``; output
    ``[N, C_out, D_out, H_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 3
    _DIGITAL = Conv3d
    _UNFOLD = staticmethod(unfold_3d)


__all__ = ["AnalogConv1dMapped", "AnalogConv2dMapped", "AnalogConv3dMapped"]
