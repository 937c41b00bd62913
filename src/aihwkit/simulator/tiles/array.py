"""Tile arrays: one logical weight matrix split over several analog tiles.

A layer larger than ``rpu_config.mapping.max_input_size`` inputs or
``max_output_size`` outputs is mapped onto a grid of tiles. Each tile is a complete tile
module (own engine, periphery, scales, random generator and analog optimizer context);
the array only splits the input, gathers the tile outputs and adds the bias. Partial sums
of the input splits are accumulated in digital, after each tile has applied its own
output scales.
"""

import inspect
from copy import deepcopy
from typing import Any, Generator, Iterable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch.nn import Module, ModuleList, Parameter

from aihwkit.exceptions import ArgumentError, ConfigError, TileError, check_field
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling
from aihwkit.simulator.rpu_base.known_finite import KnownFiniteInputs
from aihwkit.simulator.rpu_base.shared_inputs import SharedInputStages
from aihwkit.simulator.tiles.base import check_size
from aihwkit.simulator.tiles.finite_checks import check_finite_input


def get_split_sizes(size: int, max_size: int) -> List[int]:
    """Balanced split of ``size`` into pieces of at most ``max_size``.

    ``max_size <= 0`` means no limit (one piece). Otherwise ``n = ceil(size / max_size)``
    pieces of ``size // n``, the first ``size % n`` of them one larger, e.g.
    ``get_split_sizes(1030, 512) == [344, 343, 343]``.

    Raises:
        ArgumentError: ``size`` is not a positive integer or ``max_size`` not an integer.
    """
    check_size("size", size)
    if isinstance(max_size, bool) or not isinstance(max_size, int):
        raise ArgumentError(f"get_split_sizes: max_size must be an integer (<= 0: no limit), "
                            f"got {max_size!r}")
    if max_size <= 0:
        return [size]
    pieces = -(-size // max_size)
    base, extra = divmod(size, pieces)
    return [base + 1] * extra + [base] * (pieces - extra)



def check_mapping(owner: str, rpu_config: Any) -> Any:
    """The ``mapping`` parameters of ``rpu_config``, with integer size limits.

    Args:
        owner: name of the module asking (used in the error messages).
        rpu_config: the RPU configuration.

    Raises:
        ConfigError: the config has no ``mapping``, or ``max_input_size`` /
            ``max_output_size`` is not an integer (``<= 0`` means no limit).
    """
    mapping = getattr(rpu_config, "mapping", None)
    if mapping is None:
        raise ConfigError(f"{owner} needs an RPU config with mapping parameters "
                          f"(max_input_size, max_output_size), got {type(rpu_config).__name__}")
    for name in ("max_input_size", "max_output_size"):
        value = getattr(mapping, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{owner}: MappingParameter.{name} = {value!r} is invalid: must "
                              "be an integer (<= 0: no limit)")
    return mapping


# A tile grid is a sequence over input splits of sequences over output splits of tiles:
# grid[i][j] holds the weight block of input split i and output split j.
TileGrid = Sequence[Sequence[Any]]


def grid_blocks(grid: TileGrid, widths: Sequence[int], heights: Sequence[int],
                row_start: int = 0) -> Generator[Tuple[slice, slice, Any], None, None]:
    """``(row_slice, column_slice, tile)`` of every tile of ``grid`` in its weight matrix.

    Input split ``i`` covers ``widths[i]`` columns, output split ``j`` ``heights[j]`` rows;
    the blocks start at row ``row_start`` and column 0, by input split then output split.
    """
    col = 0
    for width, row in zip(widths, grid):
        out = row_start
        for height, tile in zip(heights, row):
            yield slice(out, out + height), slice(col, col + width), tile
            out += height
        col += width


def grid_forward(grid: TileGrid, parts: Iterable[Tensor]) -> Tensor:
    """``sum_i cat_j(grid[i][j](parts[i]))``: tile outputs concatenated over the output
    splits, partial sums of the input splits added in digital.

    The tiles of one input split share its noise management and DAC where their
    settings allow (one :class:`SharedInputStages` block per input split): the same
    values, computed once.

    Shape: ``parts[i]`` ``[..., width_i]``; returns ``[..., sum_j height_j]``.
    """
    if not torch.is_grad_enabled() and len(grid) > 1:
        return _summed_in_place(grid, parts)
    partials = [_split_outputs(row, part) for part, row in zip(parts, grid)]
    partials = [outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1) for outs in partials]
    result = partials[0]
    for partial in partials[1:]:
        result = result + partial
    return result


def _split_outputs(row: Sequence[Any], part: Tensor) -> List[Tensor]:
    """The outputs of the tiles ``row`` of one input split for its input ``part``, inside
    one :class:`SharedInputStages` block (what the tiles share is dropped after the
    split, so that at most one split's prepared inputs are kept)."""
    with SharedInputStages():
        return [tile(part) for tile in row]


def _summed_in_place(grid: TileGrid, parts: Iterable[Tensor]) -> Tensor:
    """:func:`grid_forward` without autograd: the first input split's outputs are copied
    into their columns of one result tensor, every later tile output is added into its
    columns (the same sums in the same order, without the concatenations and the
    temporaries of the partial sums)."""
    splits = iter(zip(parts, grid))
    part, row = next(splits)
    first = _split_outputs(row, part)
    columns, start = [], 0
    for out in first:
        columns.append(slice(start, start + out.shape[-1]))
        start += out.shape[-1]
    result = first[0].new_empty(first[0].shape[:-1] + (start,))
    for out, column in zip(first, columns):
        result[..., column].copy_(out)
    del first
    for part, row in splits:
        with SharedInputStages():
            for tile, column in zip(row, columns):
                result[..., column].add_(tile(part))
    return result


def grid_weights(grid: TileGrid, **kwargs: Any) -> Tensor:
    """The weight matrix ``[sum_j height_j, sum_i width_i]`` assembled from the tiles'
    ``get_weights(**kwargs)`` (tile biases ignored)."""
    columns = [torch.cat([tile.get_weights(**kwargs)[0] for tile in row], dim=0)
               for row in grid]
    return torch.cat(columns, dim=1)


class TileModuleArray(Module):
    """A logical ``[out_size, in_size]`` weight matrix held by a grid of tiles.

    ``in_sizes = get_split_sizes(in_size, mapping.max_input_size)`` and ``out_sizes =
    get_split_sizes(out_size, mapping.max_output_size)``; ``array[i][j]`` is a
    ``rpu_config.tile_class(out_sizes[j], in_sizes[i], rpu_config, bias=False)`` tile
    (module name ``array.<i>.<j>``) holding the weight block of output split ``j`` and
    input split ``i``. The bias is always a digital parameter of the array ``[out_size]``
    (whatever ``mapping.digital_bias`` says), added after the partial sums::

        y = sum_i cat_j(tile_ij(x_i)) + b        x_i: the i-th input split of x

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a mappable RPU configuration (has ``mapping`` and ``tile_class``).
        bias: whether the array has a (digital) bias.
        **kwargs: further keyword arguments of the tile class, passed to every tile
            (``in_trans``/``out_trans`` are not supported: the array splits the last
            dimension).

    Raises:
        ArgumentError: invalid sizes, ``bias`` not a bool, or transposed layouts.
        ConfigError: a config without ``mapping`` or ``tile_class``, or max sizes that
            are not integers.

    Shape: input ``[..., in_size]``, output ``[..., out_size]``.
    """

    supports_indexed = False

    def __init__(self, out_size: int, in_size: int, rpu_config: Any, bias: bool = False,
                 **kwargs: Any) -> None:
        super().__init__()
        self.out_size = check_size("out_size", out_size)
        self.in_size = check_size("in_size", in_size)
        owner = type(self).__name__
        if not isinstance(bias, bool):
            raise ArgumentError(f"{owner}: bias must be a bool, got {bias!r}")
        for name in ("in_trans", "out_trans"):
            if kwargs.get(name):
                raise ArgumentError(f"{owner} does not support {name}=True: it splits the "
                                    "last dimension of the input")
        mapping = check_mapping(owner, rpu_config)
        tile_class = getattr(rpu_config, "tile_class", None)
        if tile_class is None:
            raise ConfigError(f"{owner}: {type(rpu_config).__name__}.tile_class is None: "
                              "cannot build the tiles of the array")
        self.in_sizes = get_split_sizes(in_size, mapping.max_input_size)
        self.out_sizes = get_split_sizes(out_size, mapping.max_output_size)
        tile_config = self._tile_config(rpu_config)
        self.array = ModuleList(
            ModuleList(tile_class(out_tile, in_tile, tile_config, bias=False, **kwargs)
                       for out_tile in self.out_sizes)
            for in_tile in self.in_sizes)
        self.analog_tile_count = len(self.in_sizes) * len(self.out_sizes)
        self.bias: Optional[Parameter] = None
        if bias:
            self.bias = Parameter(torch.zeros(out_size, dtype=self.get_dtype()))

    def _tile_config(self, rpu_config: Any) -> Any:
        """The configuration every tile is built from."""
        return rpu_config

    # ------------------------------------------------------------------ tiles
    def analog_tiles(self) -> Generator[Module, None, None]:
        """Every tile, by input split then output split."""
        for row in self.array:
            yield from row

    def _first_tile(self) -> Any:
        return self.array[0][0]

    @property
    def rpu_config(self) -> Any:
        """The tiles' RPU configuration (that of the first tile)."""
        return self._first_tile().rpu_config

    @property
    def device(self) -> torch.device:
        """Torch device of the tiles."""
        return self._first_tile().device

    @property
    def is_cuda(self) -> bool:
        """Whether the tiles are on a CUDA device."""
        return self.device.type == "cuda"

    @property
    def supports_ddp(self) -> bool:
        """Whether every tile can be used with DistributedDataParallel."""
        return all(tile.supports_ddp for tile in self.analog_tiles())

    def get_dtype(self) -> torch.dtype:
        """Floating point dtype of the tiles."""
        return self._first_tile().get_dtype()

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor, tensor_view: Optional[Sequence[int]] = None
                ) -> Tensor:  # pylint: disable=arguments-differ
        """Tile outputs concatenated over output splits, summed over input splits, plus
        the bias.

        Args:
            x: input ``[..., in_size]``.
            tensor_view: shape the bias is viewed with before it is added (default
                ``(-1,)``: along the last dimension).

        Returns:
            ``[..., out_size]``.

        Raises:
            ArgumentError: ``x`` is not a tensor.
            TileError: the last dimension of ``x`` is not ``in_size``.
        """
        self._check_input(x)
        result = self._analog_sum(x)
        if self.bias is not None:
            result = self._add_bias(result, self.bias, tensor_view)
        return result

    def _check_input(self, x: Any) -> None:
        if not isinstance(x, Tensor):
            raise ArgumentError(f"{type(self).__name__}: x must be a torch.Tensor, got "
                                f"{type(x).__name__}")
        if x.dim() == 0 or x.shape[-1] != self.in_size:
            raise TileError(f"{type(self).__name__}: x has shape {tuple(x.shape)}: its last "
                            f"dimension must be in_size = {self.in_size}")

    def _analog_sum(self, x: Tensor) -> Tensor:
        """``sum_i cat_j(tile_ij(x_i))`` (no bias); ``[..., out_size]``."""
        if self.analog_tile_count == 1:
            return self.array[0][0](x)
        parts = x.split(self.in_sizes, dim=-1)
        if _is_compiling() or not x.is_floating_point():   # the tiles report bad dtypes
            return grid_forward(self.array, parts)
        # one finiteness test of the whole input before any tile runs (each tile would
        # test its split again, once per output split)
        check_finite_input(x)
        with KnownFiniteInputs(parts):
            return grid_forward(self.array, parts)

    @staticmethod
    def _add_bias(result: Tensor, bias: Tensor, tensor_view: Optional[Sequence[int]]
                  ) -> Tensor:
        view = (-1,) if tensor_view is None else tuple(tensor_view)
        return result + bias.view(*view)

    # ------------------------------------------------------------------ weights
    def _as_tensor(self, name: str, value: Any) -> Tensor:
        owner = type(self).__name__
        try:
            tensor = torch.as_tensor(value).detach()
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ArgumentError(f"{owner}.set_weights: {name} cannot be converted to a "
                                f"tensor: {exc}") from exc
        if not (tensor.is_floating_point() or tensor.dtype in (torch.int32, torch.int64)):
            raise ArgumentError(f"{owner}.set_weights: {name} must hold numbers, got dtype "
                                f"{tensor.dtype}")
        return tensor

    def set_weights(self, weight: Any, bias: Any = None, **kwargs: Any) -> None:
        """Write the logical weights block by block and the bias.

        Each tile receives its block ``weight[out_split, in_split]`` with ``bias=None``
        and ``kwargs`` (``apply_weight_scaling``, ``realistic``,
        ``weight_scaling_omega``), so weight scaling and programming act per tile. A
        ``bias`` of ``None`` leaves the array bias unchanged.

        Args:
            weight: ``[out_size, in_size]``.
            bias: ``[out_size]`` or ``None``.
            **kwargs: keyword arguments of the tiles' ``set_weights``.

        Raises:
            TileError: wrong shapes, or a bias for an array without bias.
            ArgumentError: values that are not numbers.
            TypeError: keyword arguments the tiles do not accept.
        """
        owner = type(self).__name__
        weight_t = self._as_tensor("weight", weight)
        if tuple(weight_t.shape) != (self.out_size, self.in_size):
            raise TileError(f"{owner}.set_weights: weight has shape {tuple(weight_t.shape)}, "
                            "expected [out_size, in_size] = "
                            f"{(self.out_size, self.in_size)}")
        bias_t = None
        if bias is not None:
            if self.bias is None:
                raise TileError(f"{owner}.set_weights: bias given but the array was built "
                                "with bias=False")
            bias_t = self._as_tensor("bias", bias)
            if tuple(bias_t.shape) != (self.out_size,):
                raise TileError(f"{owner}.set_weights: bias has shape {tuple(bias_t.shape)}, "
                                f"expected [out_size] = ({self.out_size},)")
        try:
            inspect.signature(self._first_tile().set_weights).bind(weight_t, None, **kwargs)
        except TypeError as exc:
            raise TypeError(f"set_weights of {type(self._first_tile()).__name__}: {exc}") \
                from exc
        for out_slice, in_slice, tile in grid_blocks(self.array, self.in_sizes,
                                                     self.out_sizes):
            tile.set_weights(weight_t[out_slice, in_slice], None, **kwargs)
        if bias_t is not None:
            with torch.no_grad():
                self.bias.copy_(bias_t.to(device=self.bias.device, dtype=self.bias.dtype))

    def get_weights(self, **kwargs: Any) -> Tuple[Tensor, Optional[Tensor]]:
        """Logical weights ``[out_size, in_size]`` assembled from the tiles, and the bias
        ``[out_size]`` (``None`` without bias); CPU copies.

        Args:
            **kwargs: keyword arguments of the tiles' ``get_weights``
                (``apply_weight_scaling``, ``realistic``).
        """
        weight = grid_weights(self.array, **kwargs)
        bias = None if self.bias is None else self.bias.detach().cpu().clone()
        return weight, bias

    # ------------------------------------------------------------------ delegation
    def set_learning_rate(self, learning_rate: Optional[float] = None) -> None:
        """Set the learning rate of every tile (``None``: unchanged)."""
        for tile in self.analog_tiles():
            tile.set_learning_rate(learning_rate)

    def get_learning_rate(self) -> float:
        """Learning rate of the tiles.

        Raises:
            TileError: the tiles have different learning rates.
        """
        rates = {tile.get_learning_rate() for tile in self.analog_tiles()}
        if len(rates) != 1:
            raise TileError(f"{type(self).__name__}: the tiles have different learning "
                            f"rates: {sorted(rates)}")
        return rates.pop()

    def program_weights(self, *args: Any, **kwargs: Any) -> None:
        """Program every tile (arguments of the tiles' ``program_weights``)."""
        for tile in self.analog_tiles():
            tile.program_weights(*args, **kwargs)

    def drift_weights(self, *args: Any, **kwargs: Any) -> None:
        """Drift every tile (arguments of the tiles' ``drift_weights``)."""
        for tile in self.analog_tiles():
            tile.drift_weights(*args, **kwargs)

    def remap_weights(self, weight_scaling_omega: Optional[float] = 1.0) -> None:
        """Re-apply weight scaling on every tile."""
        for tile in self.analog_tiles():
            tile.remap_weights(weight_scaling_omega)

    def post_update_step(self) -> None:
        """Post-update step (clip, remap, decay, ...) of every tile."""
        for tile in self.analog_tiles():
            tile.post_update_step()

    def set_load_rpu_config_state(self, load_rpu_config: Optional[bool] = None,
                                  strict_rpu_config_check: Optional[bool] = None) -> None:
        """Whether loading a state dict adopts the stored configs (every tile)."""
        for tile in self.analog_tiles():
            tile.set_load_rpu_config_state(load_rpu_config, strict_rpu_config_check)

    def get_split_sizes(self, size: int, split_max_size: int) -> List[int]:
        """Balanced split of ``size`` into pieces of at most ``split_max_size`` (``<= 0``:
        one piece), as used for ``in_sizes`` and ``out_sizes``; see
        :func:`get_split_sizes`."""
        del self
        return get_split_sizes(size, split_max_size)

    # ------------------------------------------------------------------ info
    def get_brief_info(self) -> str:
        """One-line description, e.g. ``TileModuleArray(600, 1030, in_sizes=[344, 343,
        343], out_sizes=[300, 300])``."""
        return (f"{type(self).__name__}({self.out_size}, {self.in_size}, "
                f"in_sizes={self.in_sizes}, out_sizes={self.out_sizes}, "
                f"bias={self.bias is not None})")

    def extra_repr(self) -> str:
        # ``print(model)`` shows only the tile grid below the array, as aihwkit does; the
        # split sizes are in ``get_brief_info()``.
        return ""


class QuantizedTileModuleArray(TileModuleArray):
    """Tile array of a ``QuantizedTorchInferenceRPUConfig`` with quantized digital stages.

    The tiles (``rpu_config.tile_class``, normally ``QuantizedTorchInferenceTile``) are
    built from a copy of the config without ``act_quant_config``: each one quantizes its
    own merged output scale (``pre_post.periph_quant``) but not its partial output. The
    array then quantizes the digital stages it owns, with ``Q`` the min-max fake
    quantizers of :mod:`aihwkit.simulator.tiles.quantized_inference_torch`::

        y = Q_act(sum_i cat_j(tile_ij(x_i)) + Q_bias(b))

    ``Q_bias`` (current min-max of the bias, ``periph_quant``) is off when
    ``periph_quant.n_bits == 0``; ``Q_act`` (running min-max, ``act_quant_config``) is
    off when ``act_quant_config`` is ``None`` or has ``n_bits == 0``. The array's
    settings (:attr:`rpu_config`) are re-read at every forward and a change rebuilds its
    two quantizers; each tile keeps its own copy of the config for its scale quantizer.

    Args: as :class:`TileModuleArray`.

    Raises:
        ConfigError: as :class:`TileModuleArray`, or invalid quantization settings.
    """

    def __init__(self, out_size: int, in_size: int, rpu_config: Any, bias: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(out_size, in_size, rpu_config, bias, **kwargs)
        self._array_config = deepcopy(rpu_config)
        self.bias_quantizer: Optional[Module] = None
        self.act_quantizer: Optional[Module] = None
        self._quant_settings: Optional[Tuple[Any, Any]] = None
        self._sync_quantizers()

    def _tile_config(self, rpu_config: Any) -> Any:
        config = deepcopy(rpu_config)
        if hasattr(config, "act_quant_config"):
            config.act_quant_config = None
        return config

    @property
    def rpu_config(self) -> Any:
        """The array's RPU configuration (including ``act_quant_config``)."""
        return self._array_config

    def _quant_configs(self) -> Tuple[Any, Any]:
        pre_post = getattr(self._array_config, "pre_post", None)
        return (getattr(pre_post, "periph_quant", None),
                getattr(self._array_config, "act_quant_config", None))

    def _sync_quantizers(self) -> None:
        """(Re)build the quantizers when the quantization settings changed."""
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.tiles.quantized_inference_torch import (
            MinMaxFakeQuantizer, _copy_config, check_quant_config)
        periph, act = self._quant_configs()
        if self._quant_settings is not None and self._quant_settings == (periph, act):
            return
        from aihwkit.simulator.parameters.pre_post import PeripheryQuantizationParameter
        from aihwkit.simulator.parameters.quantization import ActivationQuantConfig
        for owner, name, config, klass in (
                ("PrePostProcessingParameterQuant", "periph_quant", periph,
                 PeripheryQuantizationParameter),
                (type(self._array_config).__name__, "act_quant_config", act,
                 ActivationQuantConfig)):
            if config is not None:
                check_field(owner, name, config, isinstance(config, klass),
                            f"a {klass.__name__} or None")
                check_quant_config(klass.__name__, config)
        dtype = self.get_dtype()
        bias_q = MinMaxFakeQuantizer(periph, False, dtype) \
            if periph is not None and periph.n_bits > 0 and self.bias is not None else None
        act_q = MinMaxFakeQuantizer(act, True, dtype) \
            if act is not None and act.n_bits > 0 else None
        for name, module in (("bias_quantizer", bias_q), ("act_quantizer", act_q)):
            if module is not None:
                module.to(self.device).train(self.training)
            setattr(self, name, module)
        self._quant_settings = (_copy_config(periph), _copy_config(act))

    def forward(self, x: Tensor, tensor_view: Optional[Sequence[int]] = None
                ) -> Tensor:  # pylint: disable=arguments-differ
        """As :meth:`TileModuleArray.forward`, with quantized bias and output."""
        self._sync_quantizers()
        self._check_input(x)
        result = self._analog_sum(x)
        if self.bias is not None:
            bias = self.bias if self.bias_quantizer is None else self.bias_quantizer(self.bias)
            result = self._add_bias(result, bias, tensor_view)
        if self.act_quantizer is not None:
            result = self.act_quantizer(result)
        return result
