"""Analog convolutions split over an array of tiles: ``AnalogConv1dMapped``,
``AnalogConv2dMapped`` and ``AnalogConv3dMapped``.

The flattened kernel matrix ``[out, in_channels / groups * prod(kernel_size)]`` is cut
into blocks that fit the tile size limits of the configuration
(``mapping.max_input_size``, ``mapping.max_output_size``). The input side is split by whole
input channels, so every tile sees complete kernels of its channels: with ``k =
prod(kernel_size)`` a tile takes at most ``max_input_size // k`` channels. Each group is
split the same way on its own ``in_channels / groups`` inputs and ``out_channels / groups``
outputs. Tile ``[i][j]`` of a group holds its input-channel split ``i`` and output split
``j``; a group's output is the sum over its channel splits of the concatenated output
splits (partial sums in digital), the groups' outputs are concatenated, and the digital
bias is added.
"""

from typing import Any, List, Optional, Tuple, Union

import torch
from torch import Tensor
from torch.nn import ModuleList, Parameter

from aihwkit.exceptions import AnalogBiasConfigError, ModuleError
from aihwkit.nn.modules.base import global_rng_kept, validate_layer_config
from aihwkit.nn.modules.conv import (
    IntOrTuple, _AnalogConvBase, _default_rpu_config, check_use_indexed)
from aihwkit.simulator.tiles.base import check_size
from aihwkit.simulator.tiles.checks import check_integer
from aihwkit.simulator.tiles.array import (
    check_mapping, get_split_sizes, grid_blocks, grid_forward, grid_weights)


class _AnalogConvNdMapped(_AnalogConvBase):
    """Analog convolution whose weight matrix is split over a grid of tiles per group.

    With ``groups == 1`` the grid is ``array`` (a ``ModuleList`` over input-channel splits
    of ``ModuleList`` s over output splits; tiles named ``array.<i>.<j>``). With
    ``groups > 1`` every group ``g`` has such a grid in ``array_groups[g]`` (tiles named
    ``array_groups.<g>.<i>.<j>``), holding the output channels ``g * out / groups ...
    (g + 1) * out / groups - 1`` and seeing the input channels ``g * in / groups ...
    (g + 1) * in / groups - 1``.

    ``in_sizes`` are the input channels of each split of a group, ``out_sizes`` its output
    channels (the same for every group); both are balanced splits (``n = ceil(size /
    max)`` parts differing by at most one, larger parts first; ``max <= 0``: no split) of
    ``in / groups`` channels with ``max = max_input_size // prod(kernel_size)`` and of
    ``out / groups`` outputs with ``max = max_output_size``. ``in_features`` (``in / groups
    * prod(kernel_size)``) and ``out_features`` (``out / groups``) give the size of one
    group's weight matrix. ``weight`` is ``None``;
    ``bias`` is a digital ``Parameter [out]`` of the layer (or ``None``). ``use_indexed``
    (``None`` or a bool) is kept as an attribute: the patches are always gathered, which
    gives the same results as an indexed gather.

    Raises:
        ConfigError: a configuration without (integer) mapping parameters.
        AnalogBiasConfigError: ``bias=True`` with ``mapping.digital_bias=False``.
        ModuleError: ``prod(kernel_size) > mapping.max_input_size`` (a kernel does not fit
            a tile).
        ValueError: ``in_channels`` or ``out_channels`` not divisible by ``groups``.
    """

    # pylint: disable=abstract-method

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: Union[str, IntOrTuple] = 0,
                 dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", rpu_config: Optional[Any] = None,
                 tile_module_class: Optional[Any] = None,
                 use_indexed: Optional[bool] = None) -> None:
        owner = type(self).__name__
        use_indexed = check_use_indexed(owner, use_indexed)
        self._init_conv(in_channels, out_channels, kernel_size, stride, padding, dilation,
                        groups, bias, padding_mode)
        if rpu_config is None:
            rpu_config = _default_rpu_config()
        validate_layer_config(owner, rpu_config)
        mapping = check_mapping(owner, rpu_config)
        if bias and not mapping.digital_bias:
            raise AnalogBiasConfigError(f"{owner} supports only a digital bias: set "
                                        "mapping.digital_bias = True or bias=False")
        max_in = mapping.max_input_size
        if 0 < max_in < self.kernel_elements:
            raise ModuleError(f"{owner}: a kernel of {self.kernel_elements} elements does not "
                              f"fit mapping.max_input_size = {max_in}")
        # size of the weight matrix of one group (the whole layer for groups == 1)
        self.in_features = in_channels // groups * self.kernel_elements
        self.out_features = out_channels // groups
        self.in_sizes = get_split_sizes(in_channels // groups,
                                        max_in // self.kernel_elements if max_in > 0 else 0)
        self.out_sizes = get_split_sizes(out_channels // groups, mapping.max_output_size)
        if tile_module_class is None:
            tile_module_class = rpu_config.tile_class
        with global_rng_kept():
            grids = [self._build_grid(tile_module_class, rpu_config) for _ in range(groups)]
        if groups == 1:
            self.array = grids[0]
        else:
            self.array_groups = ModuleList(grids)
        self.use_indexed = use_indexed
        if bias:
            _, dtype = self._tile_device_dtype()
            self.bias = Parameter(torch.zeros(out_channels, dtype=dtype))
        self._tiles_built = True
        self.reset_parameters()

    def _build_grid(self, tile_module_class: Any, rpu_config: Any) -> ModuleList:
        """The tiles of one group: ``grid[i][j]`` for channel split ``i``, output split
        ``j``."""
        return ModuleList(
            ModuleList(tile_module_class(out_size, channels * self.kernel_elements,
                                         rpu_config, bias=False)
                       for out_size in self.out_sizes)
            for channels in self.in_sizes)

    def get_split_sizes(self, size: int, split_max_size: int,
                        group_size: int = 1) -> List[int]:
        """Split ``size`` inputs made of whole groups of ``group_size`` (e.g. the kernel
        elements of one channel) into tiles of at most ``split_max_size`` inputs.

        Returns:
            The number of groups per tile: a balanced split of ``size // group_size``
            groups into pieces of at most ``split_max_size // group_size`` (one piece when
            ``split_max_size <= 0``), e.g. ``(45, 20, 9) -> [2, 2, 1]``.

        Raises:
            ModuleError: ``group_size > split_max_size > 0``.
            ArgumentError: sizes that are not positive integers.
        """
        del self
        size = check_size("size", size)
        group_size = check_size("group_size", group_size)
        split_max_size = check_integer("split_max_size", split_max_size)
        if 0 < split_max_size < group_size:
            raise ModuleError(f"a group of {group_size} inputs does not fit a tile of "
                              f"{split_max_size} inputs")
        return get_split_sizes(size // group_size,
                               split_max_size // group_size if split_max_size > 0 else 0)

    @property
    def _widths(self) -> List[int]:
        """Tile input sizes of the channel splits of one group."""
        return [channels * self.kernel_elements for channels in self.in_sizes]

    def _grids(self) -> List[ModuleList]:
        """The tile grid of each group (one for ``groups == 1``)."""
        if self.groups == 1:
            return [self.array]
        return list(self.array_groups)

    def _store_weights(self, matrix: Tensor, bias: Optional[Tensor], **kwargs: Any) -> None:
        group_rows = self.out_channels // self.groups
        for group, grid in enumerate(self._grids()):
            for rows, cols, tile in grid_blocks(grid, self._widths, self.out_sizes,
                                                group * group_rows):
                tile.set_weights(matrix[rows, cols], None, **kwargs)
        if bias is not None:
            with torch.no_grad():
                self.bias.copy_(bias.to(self.bias.device, self.bias.dtype))

    def get_weights(self, **kwargs: Any) -> Tuple[Tensor, Optional[Tensor]]:
        """Logical weights ``[out, in_channels / groups * prod(kernel_size)]`` assembled
        from the tiles (groups stacked along the rows), and the bias ``[out]`` (or
        ``None``), as CPU tensors.

        Args:
            kwargs: forwarded to every tile's ``get_weights`` (``apply_weight_scaling``,
                ``realistic``).
        """
        weight = torch.cat([grid_weights(grid, **kwargs) for grid in self._grids()], dim=0)
        bias = None if self.bias is None else self.bias.detach().cpu().clone()
        return weight, bias

    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-renamed
        """Analog convolution over the tile grids.

        Shape: input ``[N, C_in, *spatial]`` or ``[C_in, *spatial]``; output
        ``[N, C_out, *out_spatial]`` (or without the batch dimension).
        """
        # patch columns are channel-first: groups, and channel splits within a group,
        # are consecutive column ranges, each gathered on its own
        parts, out_spatial, batched = self._patches(x, self._widths * self.groups)
        splits = len(self.in_sizes)
        outputs = [grid_forward(grid, parts[g * splits:(g + 1) * splits])
                   for g, grid in enumerate(self._grids())]
        total = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)
        if self.bias is not None:
            total = total + self.bias
        return self._to_image(total, out_spatial, batched)


class AnalogConv1dMapped(_AnalogConvNdMapped):
    """1-d convolution split over several tiles.

    Shape: input ``[N, C_in, W]`` or ``[C_in, W]``; output ``[N, C_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 1


class AnalogConv2dMapped(_AnalogConvNdMapped):
    """2-d convolution split over several tiles.

    Shape: input ``[N, C_in, H, W]`` or ``[C_in, H, W]``; output
    ``[N, C_out, H_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 2


class AnalogConv3dMapped(_AnalogConvNdMapped):
    """3-d convolution split over several tiles.

    Shape: input ``[N, C_in, D, H, W]`` or ``[C_in, D, H, W]``; output
    ``[N, C_out, D_out, H_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 3


__all__ = ["AnalogConv1dMapped", "AnalogConv2dMapped", "AnalogConv3dMapped"]
