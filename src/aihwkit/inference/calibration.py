"""Post-training calibration of the tiles' input ranges from data.

``calibrate_input_ranges`` runs a data loader through a model in eval mode, watches the
inputs of every tile and sets each tile's (non-learned) input range from them.
"""

from enum import Enum
from typing import Any, Dict, Iterable, List, Optional

import torch
from torch import Tensor
from torch.nn import Module

from aihwkit.exceptions import ArgumentError, ConfigError
from aihwkit.simulator.parameters.enums import NoiseManagementType


class InputRangeCalibrationType(Enum):
    """How the input range of a tile is derived from the observed inputs."""

    NONE = "None"
    """No calibration."""
    MOVING_STD = "MovingStd"
    """Running mean over batches of ``init_std_alpha * std(x)``."""
    MOVING_QUANTILE = "MovingQuantile"
    """Running mean over batches of the ``quantile`` of ``|x|``."""
    CACHE_QUANTILE = "CacheQuantile"
    """``quantile`` of ``|x|`` over a cache of input rows (perfect forward meanwhile)."""
    MAX = "Max"
    """Largest ``|x|`` seen (perfect forward meanwhile)."""


def _quantile(values: Tensor, quantile: float) -> Tensor:
    """``quantile`` of the flattened ``values`` (1.0: the maximum)."""
    flat = values.reshape(-1).float()
    if quantile >= 1.0 or flat.numel() == 1:
        return flat.max()
    rank = quantile * (flat.numel() - 1)
    low = int(rank)
    lower = torch.kthvalue(flat, low + 1).values
    upper = torch.kthvalue(flat, min(low + 2, flat.numel())).values
    return lower + (upper - lower) * (rank - low)


class _Collector:
    """Statistics of one tile's inputs during calibration."""

    def __init__(self, tile: Any, kind: InputRangeCalibrationType, quantile: float,
                 max_samples: int) -> None:
        self.tile = tile
        self.kind = kind
        self.quantile = quantile
        self.max_samples = max_samples
        self.value = 0.0
        self.count = 0
        self.cache: List[Tensor] = []
        self.cached_rows = 0

    def __call__(self, module: Module, args: Any) -> None:
        x = args[0].detach()
        if self.tile.in_trans:
            x = x.movedim(0, -1)
        rows = x.reshape(-1, x.shape[-1])
        rows = rows[rows.abs().sum(dim=1) > 0]
        if rows.numel() == 0:
            return
        kind = self.kind
        if kind == InputRangeCalibrationType.MAX:
            self.value = max(self.value, float(rows.abs().max()))
        elif kind == InputRangeCalibrationType.CACHE_QUANTILE:
            self._add_to_cache(rows)
        elif kind == InputRangeCalibrationType.MOVING_QUANTILE:
            self._running_mean(float(_quantile(rows.abs(), self.quantile)))
        elif kind == InputRangeCalibrationType.MOVING_STD and self.count < self.max_samples:
            alpha = self.tile.rpu_config.pre_post.input_range.init_std_alpha
            self._running_mean(alpha * float(rows.std()) if rows.numel() > 1 else 0.0)

    def _running_mean(self, value: float) -> None:
        self.value = (self.value * self.count + value) / (self.count + 1)
        self.count += 1

    def _add_to_cache(self, rows: Tensor) -> None:
        self.cache.append(rows)
        self.cached_rows += rows.shape[0]
        if self.cached_rows > self.max_samples:
            stacked = torch.cat(self.cache)
            keep = torch.randperm(stacked.shape[0], generator=self.tile._rng.generator,
                                  device=stacked.device)[:self.max_samples]
            self.cache = [stacked[keep]]
            self.cached_rows = self.max_samples

    def result(self) -> Optional[float]:
        """The calibrated range (``None`` if no input was seen)."""
        if self.kind == InputRangeCalibrationType.CACHE_QUANTILE:
            if not self.cache:
                return None
            return float(_quantile(torch.cat(self.cache).abs(), self.quantile))
        return self.value if self.value > 0 else None


def _rebuild_engine(tile: Any) -> None:
    """Rebuild the tile's engine from its (changed) config, keeping weights and device
    state."""
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.tiles.base import AnalogTileStateNames
    state = tile.get_analog_state()
    state.pop(AnalogTileStateNames.ENGINE, None)
    load_flag = tile.load_rpu_config
    tile.load_rpu_config = True
    try:
        tile.set_analog_state(state)
    finally:
        tile.load_rpu_config = load_flag


def _enable_input_range(tile: Any) -> None:
    """Give ``tile`` a non-learned input range buffer (config and tensors)."""
    params = tile.rpu_config.pre_post.input_range
    params.enable = True
    params.learn_input_range = False
    dtype = tile.get_dtype()
    tile.__dict__.pop("input_range", None)
    tile.register_buffer("input_range", torch.full((1,), abs(float(params.init_value)),
                                                   dtype=dtype, device=tile.device))
    tile.__dict__.pop("input_range_update_idx", None)
    tile.input_range_update_idx = torch.nn.Parameter(
        torch.zeros(1, dtype=dtype, device=tile.device), requires_grad=False)


@torch.no_grad()
def calibrate_input_ranges(model: Module, calibration_type: InputRangeCalibrationType,
                           dataloader: Iterable[Any], quantile: float = 0.99995,
                           max_samples: int = 1000, std_alpha: Optional[float] = None,
                           force_all_layers: bool = True, verbose: bool = False) -> None:
    """Set the input range of every tile from the inputs it sees on ``dataloader``.

    Each tile gets a non-learned input range (enabled if needed), ``init_from_data = 0``
    and noise management ``NONE``. ``MAX`` and ``CACHE_QUANTILE`` run with a perfect
    forward meanwhile. The result is also stored as ``init_value`` with
    ``calibration_info`` in each tile's config. Random subsets of the cache come from
    the tile's generator.

    Args:
        model: an analog model (``AnalogLayerBase`` and ``Module``).
        calibration_type: the method.
        dataloader: yields ``(args, kwargs)`` pairs fed as ``model(*args, **kwargs)``.
        quantile: quantile of ``|x|`` used by the quantile methods.
        max_samples: cache size in rows (``CACHE_QUANTILE``) or number of batches
            (``MOVING_STD``).
        std_alpha: overrides ``init_std_alpha`` (``MOVING_STD``).
        force_all_layers: switch noise management off where it is on (else
            ``ConfigError``).
        verbose: print the range of every tile.

    Raises:
        ArgumentError: ``model`` is not an analog module or an argument is invalid.
        ConfigError: a tile uses noise management and ``force_all_layers`` is False.
    """
    # pylint: disable=import-outside-toplevel,too-many-locals
    from aihwkit.nn.modules.base import AnalogLayerBase
    if not (isinstance(model, AnalogLayerBase) and isinstance(model, Module)):
        raise ArgumentError("calibrate_input_ranges needs an analog model (AnalogLayerBase)")
    if not isinstance(calibration_type, InputRangeCalibrationType):
        raise ArgumentError(f"calibration_type = {calibration_type!r} is not an "
                            "InputRangeCalibrationType")
    if not 0.0 < quantile <= 1.0 or max_samples < 1:
        raise ArgumentError("quantile must be in (0, 1] and max_samples >= 1")
    if calibration_type == InputRangeCalibrationType.NONE:
        return
    was_training = model.training
    model.eval()
    perfect = calibration_type in (InputRangeCalibrationType.MAX,
                                   InputRangeCalibrationType.CACHE_QUANTILE)
    tiles = [tile for tile in model.analog_tiles()
             if hasattr(tile.rpu_config, "pre_post") and hasattr(tile.rpu_config, "forward")]
    restore: Dict[int, bool] = {}
    for tile in tiles:
        params = tile.rpu_config.pre_post.input_range
        if not params.enable or tile.input_range is None:
            _enable_input_range(tile)
        params.init_from_data = 0
        if std_alpha is not None:
            params.init_std_alpha = std_alpha
        forward = tile.rpu_config.forward
        rebuild = False
        if forward.noise_management != NoiseManagementType.NONE:
            if not force_all_layers:
                raise ConfigError("IOParameters.noise_management must be NONE for input range "
                                  "calibration (or use force_all_layers=True)")
            forward.noise_management = NoiseManagementType.NONE
            rebuild = True
        if perfect and not forward.is_perfect:
            restore[id(tile)] = forward.is_perfect
            forward.is_perfect = True
            rebuild = True
        if rebuild:
            _rebuild_engine(tile)
    collectors = [_Collector(tile, calibration_type, quantile, max_samples) for tile in tiles]
    handles = [tile.register_forward_pre_hook(col) for tile, col in zip(tiles, collectors)]
    try:
        for args, kwargs in dataloader:
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    for tile, collector in zip(tiles, collectors):
        value = collector.result()
        if id(tile) in restore:
            tile.rpu_config.forward.is_perfect = restore[id(tile)]
            _rebuild_engine(tile)
        if value is None:
            continue
        tile.set_input_range(value)
        params = tile.rpu_config.pre_post.input_range
        params.init_value = value
        params.calibration_info = calibration_type.value
        if verbose:
            print(f"{type(tile).__name__}({tile.out_size}, {tile.in_size}): input range "
                  f"{value:.6g} ({calibration_type.value})")
    model.train(was_training)
