"""Analog convolutions: ``AnalogConv1d``, ``AnalogConv2d`` and ``AnalogConv3d``.

A convolution runs as matrix-vector products on analog tiles. The (padded) input is cut
into patches, one per output position; a patch of ``C * prod(kernel_size)`` values,
ordered channel first and then kernel position (the order of
``torch.nn.functional.unfold``), is one input vector of the tile, so every patch sees the
tile's forward periphery (noise, bound and noise management) on its own. All patches of
a batch are gathered in one copy into contiguous ``[N * L, C * prod(kernel_size)]``
rows (``L`` output positions, sample major; one block per tile input split, see
:mod:`aihwkit.nn.modules.conv_patches`), the rows the tiles take. The outputs are
folded back into ``[N, C_out, *out_spatial]`` with the usual size rule
``out = floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``.

The tile weight is the torch kernel ``[out, in / groups, *kernel_size]`` flattened to
``[out, in / groups * prod(kernel_size)]``. With ``groups > 1`` every group has its own
tile (``analog_groups.<g>``) holding the rows ``g * out / groups ... (g + 1) * out /
groups - 1`` of that matrix.
"""

import math
from typing import Any, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Conv1d, Conv2d, Conv3d, Module, ModuleList, init
from torch.nn.modules.conv import _ConvNd

from aihwkit.exceptions import ArgumentError, NotSimulatedError
from aihwkit.nn.modules.base import AnalogLayerBase, global_rng_kept, validate_layer_config
from aihwkit.nn.modules.conv_patches import conv_output_size, patch_rows
from aihwkit.simulator.tiles.array import TileModuleArray, grid_forward

IntOrTuple = Union[int, Tuple[int, ...]]


def _default_rpu_config() -> Any:
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs.configs import SingleRPUConfig
    return SingleRPUConfig()


# ---------------------------------------------------------------------- argument checks
def _int_tuple(owner: str, name: str, value: Any, n_dims: int, minimum: int) -> Tuple[int, ...]:
    """``value`` as an ``n_dims``-tuple of ints ``>= minimum`` (an int is repeated)."""
    values = (value,) * n_dims if isinstance(value, int) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != n_dims or any(isinstance(v, bool) or not isinstance(v, int)
                                    or v < minimum for v in values):
        raise ArgumentError(f"{owner}: {name} must be an integer >= {minimum} or a tuple of "
                            f"{n_dims} such integers, got {value!r}")
    return values


def _positive_int(owner: str, name: str, value: Any) -> int:
    """``value`` if it is an integer ``>= 1``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{owner}: {name} must be an integer >= 1, got {value!r}")
    return value


def check_use_indexed(owner: str, use_indexed: Any) -> Optional[bool]:
    """``use_indexed`` if it is ``None`` or a bool.

    The choice never changes a result: an indexed implementation gathers the same
    patches as the explicit gather and computes the same per-patch products.
    """
    if use_indexed is not None and not isinstance(use_indexed, bool):
        raise ArgumentError(f"{owner}: use_indexed must be None or a bool, got "
                            f"{use_indexed!r}")
    return use_indexed


# spatial dimensions -> torch convolution class
_GEOMETRY = {1: Conv1d, 2: Conv2d, 3: Conv3d}


class _AnalogConvBase(AnalogLayerBase, _ConvNd):
    """Arguments, patch extraction, weight layout and conversion shared by the analog
    convolutions (single tile, one tile per group, or split over a tile array).

    Subclasses set ``_N_DIMS`` (spatial dimensions, 1 to 3; ``_DIGITAL``, the torch class,
    follows from it) and implement
    ``_store_weights``, ``get_weights`` and ``forward``.
    """

    # pylint: disable=abstract-method,too-many-instance-attributes

    _N_DIMS = 0
    _DIGITAL: Any = _ConvNd
    _tiles_built = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls._N_DIMS:
            cls._DIGITAL = _GEOMETRY[cls._N_DIMS]

    def _init_conv(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                   stride: IntOrTuple, padding: Union[str, IntOrTuple], dilation: IntOrTuple,
                   groups: int, bias: bool, padding_mode: str) -> None:
        """Check the arguments and set up the ``_ConvNd`` attributes without parameters."""
        owner = type(self).__name__
        n_dims = self._N_DIMS
        _positive_int(owner, "in_channels", in_channels)
        _positive_int(owner, "out_channels", out_channels)
        _positive_int(owner, "groups", groups)
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{owner}: {name}={channels} must be divisible by "
                                 f"groups={groups}")
        kernel = _int_tuple(owner, "kernel_size", kernel_size, n_dims, 1)
        stride_t = _int_tuple(owner, "stride", stride, n_dims, 1)
        dilation_t = _int_tuple(owner, "dilation", dilation, n_dims, 1)
        if isinstance(padding, str):
            padding_t: Union[str, Tuple[int, ...]] = padding  # 'same'/'valid', checked by torch
        else:
            padding_t = _int_tuple(owner, "padding", padding, n_dims, 0)
        if not isinstance(bias, bool):
            raise ArgumentError(f"{owner}: bias must be a bool, got {bias!r}")
        try:
            _ConvNd.__init__(self, in_channels, out_channels, kernel, stride_t, padding_t,
                             dilation_t, False, (0,) * n_dims, groups, False, padding_mode,
                             device="meta")
        except ValueError as exc:  # padding string or padding_mode rejected by torch
            raise ValueError(f"{owner}: {exc}") from exc
        del self._parameters["weight"]
        self.weight = None  # type: ignore[assignment]
        self.use_bias = bias
        self.kernel_elements = math.prod(kernel)

    # ------------------------------------------------------------------ shapes
    @property
    def _kernel_shape(self) -> Tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    @property
    def _matrix_shape(self) -> Tuple[int, int]:
        return (self.out_channels, self.in_channels // self.groups * self.kernel_elements)

    def _tile_device_dtype(self) -> Tuple[torch.device, torch.dtype]:
        tile = next(self.analog_tiles())
        return tile.device, tile.get_dtype()

    def _rpu_config(self) -> Any:
        return next(self.analog_tiles()).rpu_config

    # ------------------------------------------------------------------ weights
    def reset_parameters(self) -> None:
        """torch's default convolution init, written through ``set_weights``: weights
        ``kaiming_uniform_(a=sqrt(5))``, i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, and
        bias ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
        ``fan_in = in_channels / groups * prod(kernel_size)``."""
        if not self._tiles_built:
            return
        weight = torch.empty(self._kernel_shape)
        init.kaiming_uniform_(weight, a=math.sqrt(5))
        bias = None
        if self.use_bias:
            bound = 1.0 / math.sqrt(self._matrix_shape[1])
            bias = torch.empty(self.out_channels).uniform_(-bound, bound)
        self.set_weights(weight, bias)

    def set_weights(self, weight: Tensor, bias: Optional[Tensor] = None,
                    **kwargs: Any) -> None:
        """Set the logical weights and bias.

        Args:
            weight: the kernel ``[out, in / groups, *kernel_size]`` or its flattened matrix
                ``[out, in / groups * prod(kernel_size)]``.
            bias: ``[out]`` or ``None`` (bias unchanged).
            kwargs: forwarded to the tiles' ``set_weights`` (``apply_weight_scaling``,
                ``realistic``, ``weight_scaling_omega``).

        Raises:
            ArgumentError: a weight or bias of another shape, or a bias for a layer
                without one.
        """
        owner = type(self).__name__
        matrix = self._as_tensor("weight", weight)
        if tuple(matrix.shape) not in (self._kernel_shape, self._matrix_shape):
            raise ArgumentError(f"{owner}.set_weights: weight has shape {tuple(matrix.shape)}, "
                                f"expected {self._kernel_shape} or {self._matrix_shape}")
        matrix = matrix.reshape(self._matrix_shape)
        bias_t = None
        if bias is not None:
            if not self.use_bias:
                raise ArgumentError(f"{owner}.set_weights: bias given but the layer was "
                                    "built with bias=False")
            bias_t = self._as_tensor("bias", bias)
            if tuple(bias_t.shape) != (self.out_channels,):
                raise ArgumentError(f"{owner}.set_weights: bias has shape "
                                    f"{tuple(bias_t.shape)}, expected ({self.out_channels},)")
        self._store_weights(matrix, bias_t, **kwargs)

    def _as_tensor(self, name: str, value: Any) -> Tensor:
        try:
            return torch.as_tensor(value).detach()
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ArgumentError(f"{type(self).__name__}.set_weights: {name} cannot be "
                                f"converted to a tensor: {exc}") from exc

    def _store_weights(self, matrix: Tensor, bias: Optional[Tensor], **kwargs: Any) -> None:
        """Write the checked ``[out, in / groups * prod(kernel_size)]`` matrix and bias to
        the tiles; every layer kind defines its own layout."""
        raise NotImplementedError(f"{type(self).__name__} does not define a tile layout")

    # ------------------------------------------------------------------ forward helpers
    def _patches(self, x: Tensor, widths: Optional[Sequence[int]] = None
                 ) -> Tuple[List[Tensor], Tuple[int, ...], bool]:
        """Check the input and cut it into patch rows (:func:`patch_rows`).

        Args:
            x: the input ``[N, C_in, *spatial]`` or ``[C_in, *spatial]``.
            widths: column blocks to cut the patch matrix into (default: one block of
                all ``in_channels * prod(kernel_size)`` columns).

        Returns:
            the patch blocks ``[N * L, widths[i]]`` (sample major), the output spatial
            size (``L`` is its product) and whether the input had a batch dimension.
        """
        x, padding, out_spatial, batched = self._prepare(x)
        if widths is None:
            widths = [self.in_channels * self.kernel_elements]
        blocks = patch_rows(x, self.kernel_size, self.stride, self.dilation, padding, widths)
        return blocks, out_spatial, batched

    def _prepare(self, x: Tensor) -> Tuple[Tensor, Tuple[int, ...], Tuple[int, ...], bool]:
        """Check the input, add the batch dimension and apply the explicit padding.

        Returns:
            the input ``[N, C_in, *spatial]``, the zero padding left to the patch
            extraction, the output spatial size and whether the input was batched.
        """
        owner = type(self).__name__
        n_dims = self._N_DIMS
        if not isinstance(x, Tensor):
            raise ArgumentError(f"{owner}: input must be a torch.Tensor, got "
                                f"{type(x).__name__}")
        if x.dim() not in (n_dims + 1, n_dims + 2):
            raise ArgumentError(f"{owner}: input must have shape [N, C, *spatial] ({n_dims + 2} "
                                f"dimensions) or [C, *spatial] ({n_dims + 1}), got "
                                f"{tuple(x.shape)}")
        batched = x.dim() == n_dims + 2
        if not batched:
            x = x.unsqueeze(0)
        if x.shape[1] != self.in_channels:
            raise ArgumentError(f"{owner}: input has {x.shape[1]} channels, expected "
                                f"in_channels={self.in_channels} (shape {tuple(x.shape)})")
        x, padding = self._pad(x)
        out_spatial = tuple(
            conv_output_size(size, k, s, p, d) for size, k, s, p, d in zip(
                x.shape[2:], self.kernel_size, self.stride, padding, self.dilation))
        if min(out_spatial) < 1:
            span = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))
            raise ArgumentError(f"{owner}: input spatial size {tuple(x.shape[2:])} (padding "
                                f"{padding}) is smaller than the dilated kernel {span}")
        return x, padding, out_spatial, batched

    def _pad(self, x: Tensor) -> Tuple[Tensor, Tuple[int, ...]]:
        """Pad explicitly where the patch extraction cannot (string padding, non-zero
        modes); returns the input and the symmetric zero padding left to it."""
        if isinstance(self.padding, str) or self.padding_mode != "zeros":
            pads = self._reversed_padding_repeated_twice
            if any(pads):
                mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
                x = F.pad(x, pads, mode=mode)
            return x, (0,) * self._N_DIMS
        return x, tuple(self.padding)

    def _to_image(self, rows: Tensor, out_spatial: Tuple[int, ...], batched: bool) -> Tensor:
        """``[N * L, C_out]`` -> ``[N, C_out, *out_spatial]`` as a view of the rows
        (channels-last strides, no copy; batch dimension dropped again for unbatched
        inputs).

        The gradient flows back as one contiguous ``[N * L, C_out]`` copy, shared by
        every tile that produced the rows."""
        batch = rows.shape[0] // math.prod(out_spatial)
        out = rows.view(batch, -1, self.out_channels).transpose(1, 2).reshape(
            batch, self.out_channels, *out_spatial)
        return out if batched else out.squeeze(0)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        n_dims = self._N_DIMS
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n_dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n_dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if not self.use_bias:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return f"{text}, {type(self._rpu_config()).__name__}"

    # ------------------------------------------------------------------ conversion
    @classmethod
    def _check_digital(cls, module: Any) -> None:
        if not isinstance(module, cls._DIGITAL):
            raise ArgumentError(f"{cls.__name__}.from_digital needs a torch.nn."
                                f"{cls._DIGITAL.__name__}, got {type(module).__name__}")

    @classmethod
    def from_digital(cls, module: _ConvNd, rpu_config: Any,
                     tile_module_class: Optional[Any] = None) -> "_AnalogConvBase":
        """An analog copy of a torch convolution (same geometry, exact weights), on the
        device of ``module``."""
        cls._check_digital(module)
        layer = cls(module.in_channels, module.out_channels, module.kernel_size,
                    module.stride, module.padding, module.dilation, module.groups,
                    module.bias is not None, module.padding_mode, rpu_config,
                    tile_module_class)
        layer.set_weights(module.weight.detach(),
                          None if module.bias is None else module.bias.detach())
        return layer.to(module.weight.device)

    @classmethod
    def to_digital(cls, module: "_AnalogConvBase", realistic: bool = False) -> _ConvNd:
        """A torch convolution holding the layer's logical weights, on the tiles' device
        and dtype."""
        weight, bias = module.get_weights(realistic=realistic)
        device, dtype = module._tile_device_dtype()  # pylint: disable=protected-access
        digital = cls._DIGITAL(module.in_channels, module.out_channels, module.kernel_size,
                               module.stride, module.padding, module.dilation, module.groups,
                               bias is not None, module.padding_mode, device=device,
                               dtype=dtype)
        with torch.no_grad():
            digital.weight.copy_(weight.reshape(digital.weight.shape))
            if bias is not None:
                digital.bias.copy_(bias)
        return digital


class _AnalogConvNd(_AnalogConvBase):
    """Analog convolution on one tile (``analog_module``), or one tile per group
    (``analog_groups``, a ``ModuleList``) when ``groups > 1``.

    ``weight`` is ``None`` and ``bias`` the bias flag: the weights and the bias live in the
    tiles. ``in_features``/``out_features`` are the size of each tile
    (``in_channels / groups * prod(kernel_size)`` and ``out_channels / groups``).
    """

    # pylint: disable=abstract-method

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: Union[str, IntOrTuple] = 0,
                 dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", rpu_config: Optional[Any] = None,
                 tile_module_class: Optional[Any] = None) -> None:
        self._init_conv(in_channels, out_channels, kernel_size, stride, padding, dilation,
                        groups, bias, padding_mode)
        del self._parameters["bias"]
        self.bias = bias  # type: ignore[assignment]
        if rpu_config is None:
            rpu_config = _default_rpu_config()
        validate_layer_config(type(self).__name__, rpu_config)
        self.out_features, self.in_features = (self.out_channels // groups,
                                               self._matrix_shape[1])
        if tile_module_class is None:
            chooser = getattr(rpu_config, "get_default_tile_module_class", None)
            tile_module_class = (chooser(self.out_features, self.in_features) if chooser
                                 else getattr(rpu_config, "tile_class", None))
        if tile_module_class is None:
            raise NotSimulatedError(f"{type(self).__name__}: rpu_config "
                                    f"{type(rpu_config).__name__} names a tile class that "
                                    "this version does not provide")
        with global_rng_kept():
            if groups == 1:
                self.analog_module = tile_module_class(self.out_features, self.in_features,
                                                       rpu_config, bias)
            else:
                self.analog_groups = ModuleList(
                    tile_module_class(self.out_features, self.in_features, rpu_config, bias)
                    for _ in range(groups))
        self._tiles_built = True
        self.reset_parameters()

    def _group_tiles(self) -> List[Module]:
        """The tile of each group (one for ``groups == 1``)."""
        if self.groups == 1:
            return [self.analog_module]
        return list(self.analog_groups)

    def _store_weights(self, matrix: Tensor, bias: Optional[Tensor], **kwargs: Any) -> None:
        rows = self.out_features
        for group, tile in enumerate(self._group_tiles()):
            part = slice(group * rows, (group + 1) * rows)
            tile.set_weights(matrix[part], None if bias is None else bias[part], **kwargs)

    def get_weights(self, **kwargs: Any) -> Tuple[Tensor, Optional[Tensor]]:
        """Logical weights ``[out, in / groups * prod(kernel_size)]`` (the torch kernel
        flattened; groups stacked along the rows) and bias ``[out]`` or ``None``.

        Args:
            kwargs: forwarded to the tiles' ``get_weights`` (``apply_weight_scaling``,
                ``realistic``).
        """
        pairs = [tile.get_weights(**kwargs) for tile in self._group_tiles()]
        weight = torch.cat([w for w, _ in pairs], dim=0)
        bias = None if pairs[0][1] is None else torch.cat([b for _, b in pairs], dim=0)
        return weight, bias

    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-renamed
        """Analog convolution.

        Shape: input ``[N, C_in, *spatial]`` or ``[C_in, *spatial]``; output
        ``[N, C_out, *out_spatial]`` (or without the batch dimension).
        """
        if self.groups > 1:
            # channel-first patches: the columns of a group are one block
            parts, out_spatial, batched = self._patches(x, [self.in_features] * self.groups)
            rows = torch.cat([tile(part) for part, tile in zip(parts, self.analog_groups)],
                             dim=-1)
            return self._to_image(rows, out_spatial, batched)
        module = self.analog_module
        in_sizes = getattr(module, "in_sizes", ())
        if type(module) is TileModuleArray and len(in_sizes) > 1:  # pylint: disable=C0123
            # the array's sum over its input splits, each split gathered on its own
            parts, out_spatial, batched = self._patches(x, in_sizes)
            rows = grid_forward(module.array, parts)
            if module.bias is not None:
                rows = rows + module.bias
        else:  # a single tile, or an array kind with its own forward (splits views)
            parts, out_spatial, batched = self._patches(x)
            rows = module(parts[0])
        return self._to_image(rows, out_spatial, batched)


class AnalogConv1d(_AnalogConvNd):
    """1-d convolution on analog tiles (same arguments as ``torch.nn.Conv1d`` plus
    ``rpu_config`` and ``tile_module_class``; default config ``SingleRPUConfig()``).

    Shape: input ``[N, C_in, W]`` or ``[C_in, W]``; output ``[N, C_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 1


class AnalogConv2d(_AnalogConvNd):
    """2-d convolution on analog tiles (same arguments as ``torch.nn.Conv2d`` plus
    ``rpu_config``, ``tile_module_class`` and ``use_indexed``; default config
    ``SingleRPUConfig()``).

    ``use_indexed`` (``None``, ``True`` or ``False``) is kept as an attribute for
    compatibility. The patches are always gathered explicitly into a matrix; an indexed
    implementation gathers the same patches and computes the same per-patch products,
    so the results do not depend on it.

    Shape: input ``[N, C_in, H, W]`` or ``[C_in, H, W]``; output
    ``[N, C_out, H_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: Union[str, IntOrTuple] = 0,
                 dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", rpu_config: Optional[Any] = None,
                 tile_module_class: Optional[Any] = None,
                 use_indexed: Optional[bool] = None) -> None:
        use_indexed = check_use_indexed(type(self).__name__, use_indexed)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, rpu_config, tile_module_class)
        self.use_indexed = use_indexed


class AnalogConv3d(_AnalogConvNd):
    """3-d convolution on analog tiles (same arguments as ``torch.nn.Conv3d`` plus
    ``rpu_config`` and ``tile_module_class``; default config ``SingleRPUConfig()``).

    Shape: input ``[N, C_in, D, H, W]`` or ``[C_in, D, H, W]``; output
    ``[N, C_out, D_out, H_out, W_out]``.
    """

    # pylint: disable=abstract-method
    _N_DIMS = 3


__all__ = ["AnalogConv1d", "AnalogConv2d", "AnalogConv3d"]
