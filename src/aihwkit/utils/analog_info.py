"""``analog_summary``: a per-layer and per-tile table of how a model maps onto tiles.

For every layer (analog layers and digital leaf modules) the table lists its type, the
input/output shapes seen in one forward pass, the kernel shape (convolutions), the
number of analog weights (held by tiles) and digital parameters, the number of tiles and
the reuse factor (analog products per input sample, e.g. the number of output positions of
a convolution). For every tile it lists the logical size ``out x in`` (inputs include an
analog bias column), the physical tile size ``mapping.max_output_size x
mapping.max_input_size`` (a limit of 0 means the tile is exactly as large as needed) and
the utilization ``(out * in) / (rows * columns)`` of the physical tile.
"""

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple

import torch
from torch.nn import Module

from aihwkit.exceptions import ArgumentError
from aihwkit.nn.modules.base import AnalogLayerBase
from aihwkit.simulator.tiles.base import TileModuleBase

Shape = Optional[Tuple[int, ...]]
# parameters of a tile module that are digital: bias, learned scales, input range
_DIGITAL_TILE_PARAMETERS = ("bias", "out_scaling_alpha", "input_range")


@dataclass
class TileInfo:
    """One tile of an analog layer.

    Attributes:
        layer_name: dotted name of the owning layer.
        tile_name: name of the tile inside the layer.
        out_size: outputs (rows) used.
        in_size: inputs (columns) used, including an analog bias column.
        rows: physical rows of the tile.
        columns: physical columns of the tile.
    """

    layer_name: str
    tile_name: str
    out_size: int
    in_size: int
    rows: int
    columns: int

    @property
    def utilization(self) -> float:
        """Fraction of the physical crosspoints that hold weights (0..1)."""
        return (self.out_size * self.in_size) / (self.rows * self.columns)


@dataclass
class LayerInfo:
    """One layer of the model.

    Attributes:
        name: dotted module name (``""`` for a model that is a single layer).
        type_name: class name.
        is_analog: whether its weights live on tiles.
        in_shape, out_shape: shapes seen in the forward pass (``None`` without one).
        kernel_shape: kernel size of a convolution, else ``None``.
        analog_params: number of weights held by tiles.
        digital_params: number of torch parameters (e.g. a digital bias).
        tiles: the layer's tiles.
        out_features: outputs of the logical weight matrix (analog layers).
    """

    name: str
    type_name: str
    is_analog: bool
    in_shape: Shape = None
    out_shape: Shape = None
    kernel_shape: Shape = None
    analog_params: int = 0
    digital_params: int = 0
    tiles: List[TileInfo] = field(default_factory=list)
    out_features: int = 0

    @property
    def num_tiles(self) -> int:
        """Number of tiles of the layer."""
        return len(self.tiles)

    @property
    def reuse_factor(self) -> Optional[int]:
        """Analog products per input sample: output elements per sample divided by the
        layer's output features (``None`` for digital layers or without a forward)."""
        if not self.is_analog or self.out_shape is None or not self.out_features:
            return None
        per_sample = 1
        for size in self.out_shape[1:]:
            per_sample *= size
        return max(1, per_sample // self.out_features)


@dataclass
class AnalogInfo:
    """Result of :func:`analog_summary`; ``str()`` renders the tables.

    Attributes:
        model_name: class name of the model.
        input_size: shape of the input used for the forward pass (``None``: none run).
        layers: one entry per layer, in module order.
    """

    model_name: str
    input_size: Shape
    layers: List[LayerInfo]

    @property
    def tiles(self) -> List[TileInfo]:
        """Every tile of the model."""
        return [tile for layer in self.layers for tile in layer.tiles]

    @property
    def total_analog_params(self) -> int:
        """Weights held by tiles."""
        return sum(layer.analog_params for layer in self.layers)

    @property
    def total_digital_params(self) -> int:
        """Digital (torch) parameters of all layers."""
        return sum(layer.digital_params for layer in self.layers)

    @property
    def total_tile_number(self) -> int:
        """Number of tiles of the model."""
        return len(self.tiles)

    @property
    def total_nb_analog(self) -> int:
        """Number of analog layers of the model."""
        return sum(1 for layer in self.layers if layer.is_analog)

    @property
    def mean_utilization(self) -> Optional[float]:
        """Mean tile utilization (``None`` without tiles)."""
        tiles = self.tiles
        return sum(t.utilization for t in tiles) / len(tiles) if tiles else None

    def __str__(self) -> str:
        layer_rows = [["Layer", "Type", "Analog", "In shape", "Out shape", "Kernel",
                       "# Analog", "# Digital", "# Tiles", "Reuse"]]
        for layer in self.layers:
            layer_rows.append([layer.name or "(model)", layer.type_name,
                               "yes" if layer.is_analog else "no", _shape(layer.in_shape),
                               _shape(layer.out_shape), _shape(layer.kernel_shape),
                               str(layer.analog_params), str(layer.digital_params),
                               str(layer.num_tiles),
                               "-" if layer.reuse_factor is None else str(layer.reuse_factor)])
        tile_rows = [["Layer", "Tile", "Used (out x in)", "Tile (rows x cols)",
                      "Utilization"]]
        for tile in self.tiles:
            tile_rows.append([tile.layer_name or "(model)", tile.tile_name,
                              f"{tile.out_size} x {tile.in_size}",
                              f"{tile.rows} x {tile.columns}",
                              f"{100.0 * tile.utilization:.1f}%"])
        mean = self.mean_utilization
        analog_layers = sum(1 for layer in self.layers if layer.is_analog)
        lines = [f"Analog summary of {self.model_name}"
                 + ("" if self.input_size is None else f" for input {_shape(self.input_size)}"),
                 "", "Per-layer information:", _table(layer_rows), "",
                 "Per-tile information:", _table(tile_rows), "",
                 f"Layers: {len(self.layers)} ({analog_layers} analog)",
                 f"Tiles: {len(self.tiles)}",
                 f"Analog weights: {self.total_analog_params}",
                 f"Digital parameters: {self.total_digital_params}",
                 "Mean tile utilization: "
                 + ("-" if mean is None else f"{100.0 * mean:.1f}%")]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _shape(shape: Shape) -> str:
    return "-" if shape is None else "(" + ", ".join(str(s) for s in shape) + ")"


def _table(rows: List[List[str]]) -> str:
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    rule = "-" * (sum(widths) + 3 * (len(widths) - 1))

    def line(row: List[str]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    return "\n".join([line(rows[0]), rule] + [line(row) for row in rows[1:]])


def _physical_size(tile: TileModuleBase) -> Tuple[int, int]:
    mapping = getattr(tile.rpu_config, "mapping", None)
    rows = getattr(mapping, "max_output_size", 0) if mapping is not None else 0
    columns = getattr(mapping, "max_input_size", 0) if mapping is not None else 0
    rows = rows if rows > 0 else tile.out_size
    columns = columns if columns > 0 else tile.x_size
    return max(rows, tile.out_size), max(columns, tile.x_size)


def _layer_info(name: str, module: Module) -> LayerInfo:
    is_analog = isinstance(module, AnalogLayerBase)
    kernel = getattr(module, "kernel_size", None)
    kernel_shape = tuple(kernel) if isinstance(kernel, (tuple, list)) else (
        (kernel,) if isinstance(kernel, int) else None)
    info = LayerInfo(name=name, type_name=type(module).__name__, is_analog=is_analog,
                     kernel_shape=kernel_shape)
    not_digital = set()
    if is_analog:
        info.out_features = int(getattr(module, "out_features", 0)
                                or getattr(module, "out_channels", 0) or 0)
        for tile_name, tile in module.named_analog_tiles():
            rows, columns = _physical_size(tile)
            info.tiles.append(TileInfo(name, tile_name, tile.out_size, tile.x_size, rows,
                                       columns))
            info.analog_params += tile.out_size * tile.x_size
            # the analog weights (and bookkeeping tensors) are not digital parameters
            for param_name, param in tile.named_parameters():
                if param_name in _DIGITAL_TILE_PARAMETERS:
                    continue
                not_digital.add(id(param))
    info.digital_params = sum(p.numel() for p in module.parameters()
                              if id(p) not in not_digital)
    return info


def _layers(model: Module) -> List[Tuple[str, Module]]:
    """Analog layers and digital leaf modules outside analog layers, in module order."""
    found: List[Tuple[str, Module]] = []

    def visit(name: str, module: Module) -> None:
        if isinstance(module, AnalogLayerBase) and not module.IS_CONTAINER:
            found.append((name, module))
            return
        children = list(module.named_children())
        if not children:
            if not isinstance(module, TileModuleBase):
                found.append((name, module))
            return
        for child_name, child in children:
            visit(f"{name}.{child_name}" if name else child_name, child)

    visit("", model)
    return found


def _first_output(value: Any) -> Any:
    while isinstance(value, (tuple, list)) and value:
        value = value[0]
    return value


def _example_input(model: Module, input_size: Sequence[int]) -> torch.Tensor:
    tiles = [m for m in model.modules() if isinstance(m, TileModuleBase)]
    if tiles:
        device, dtype = tiles[0].device, tiles[0].get_dtype()
    else:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None else torch.float32
    return torch.rand(*input_size, device=device, dtype=dtype)


def analog_summary(model: Module, input_size: Optional[Sequence[int]] = None,
                   rpu_config: Optional[Any] = None) -> AnalogInfo:
    """The analog summary of ``model`` (returned, not printed: ``print()`` the result to
    see the tables).

    Args:
        model: a torch model (analog or digital).
        input_size: shape of one input batch, e.g. ``(1, 1, 28, 28)``; a uniform random
            input of that shape is passed through the model (in eval mode, without
            gradients) to record the layer shapes. ``None``: no forward pass.
        rpu_config: if given, the summary is made for
            ``convert_to_analog(model, rpu_config)`` (``model`` is not changed).

    Returns:
        An :class:`AnalogInfo`; ``str()`` of it renders the tables.

    Raises:
        ArgumentError: ``model`` is not a module or ``input_size`` is not a shape.
    """
    if not isinstance(model, Module):
        raise ArgumentError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if input_size is not None:
        if isinstance(input_size, int) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in input_size):
            raise ArgumentError("input_size must be a sequence of positive integers, got "
                                f"{input_size!r}")
        input_size = tuple(input_size)
    if rpu_config is not None:
        from aihwkit.nn.conversion import (  # pylint: disable=import-outside-toplevel
            convert_to_analog)
        model = convert_to_analog(model, rpu_config)
    layers = _layers(model)
    infos = [_layer_info(name, module) for name, module in layers]
    if input_size is not None:
        _record_shapes(model, layers, infos, input_size)
    name = type(model).__name__
    return AnalogInfo(model_name=name, input_size=input_size, layers=infos)


def _record_shapes(model: Module, layers: List[Tuple[str, Module]], infos: List[LayerInfo],
                   input_size: Tuple[int, ...]) -> None:
    handles = []
    for (_, module), info in zip(layers, infos):
        def hook(_mod: Module, inputs: Any, output: Any, info: LayerInfo = info) -> None:
            first_in = _first_output(inputs)
            first_out = _first_output(output)
            if info.in_shape is None and isinstance(first_in, torch.Tensor):
                info.in_shape = tuple(first_in.shape)
            if info.out_shape is None and isinstance(first_out, torch.Tensor):
                info.out_shape = tuple(first_out.shape)
        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(_example_input(model, input_size))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
