"""Hardware cost counters of analog tiles: MVMs, ADC conversions, update samples, pulses.

Pulses are counted by the engine when a pulsed device has ``count_pulses=True``: every
pulsed update adds its up and down pulses per crosspoint to the device's counters (the
coincidences of the pulse trains, before the device's step rule; single-line writes of
transfer compounds are not included). :func:`get_pulse_counters` reads them.

:class:`CostCounters` counts the rest with forward hooks on the tiles of a layer or
model, so a run can report accuracy and hardware activity together:

* ``forward_mvms`` / ``backward_mvms``: matrix-vector products (one per input row);
  a backward MVM runs only when the tile's input needs a gradient.
* ``adc_conversions``: output conversions of the non-perfect passes, ``rows x out_size``
  per forward and ``rows x in_size`` per backward (one pass each: repetitions of bound
  management are not visible at the tile level, so this is a lower bound there).
* ``update_samples``: rows of (input, error) traces handed to the analog update of pulsed
  tiles (tiles updated by torch have no analog update).
* ``pulses``: up plus down pulses of the tile's counting devices (``None`` without).
"""

from collections import OrderedDict
from typing import Any, Dict, Optional

import torch
from torch import Tensor
from torch.nn import Module

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.tiles.base import TileModuleBase

COUNTER_NAMES = ("forward_mvms", "backward_mvms", "adc_conversions", "update_samples")


def get_pulse_counters(tile: TileModuleBase) -> Tensor:
    """Up and down pulses per crosspoint since construction, summed over the tile's
    devices with ``count_pulses=True``.

    Returns:
        int64 tensor ``[2, d_size, x_size]`` (index 0: up pulses, 1: down pulses).

    Raises:
        ConfigError: when no device of the tile counts pulses.
    """
    read = getattr(tile.tile, "get_pulse_counters", None)
    if read is None:
        raise ConfigError(f"{type(tile).__name__} has no pulsed devices to count pulses of")
    try:
        return read()
    except ConfigError as exc:
        raise ConfigError(f"{type(tile).__name__}: {exc}") from exc


def _rows(x: Tensor, size: int) -> int:
    return x.numel() // size if size else 0


def _is_perfect(io: Any) -> bool:
    return io is None or bool(getattr(io, "is_perfect", False))


class _TileCount:
    """Counts of one tile and the hook that updates them."""

    def __init__(self, tile: TileModuleBase) -> None:
        self.tile = tile
        self.values: Dict[str, int] = dict.fromkeys(COUNTER_NAMES, 0)
        self.pulse_offset = self._pulses_now()

    def _pulses_now(self) -> Optional[int]:
        try:
            return int(get_pulse_counters(self.tile).sum())
        except ConfigError:  # no counting device: pulses are not reported
            return None

    def pulses(self) -> Optional[int]:
        now = self._pulses_now()
        return None if now is None else now - (self.pulse_offset or 0)

    def forward_hook(self, tile: TileModuleBase, inputs: Any, output: Any) -> None:
        x = inputs[0] if inputs else None
        if not isinstance(x, Tensor):
            return
        rows = _rows(x, tile.in_size)
        config = tile.rpu_config
        floating = type(config).__name__ == "FloatingPointRPUConfig"
        self.values["forward_mvms"] += rows
        if not floating and not _is_perfect(getattr(config, "forward", None)):
            self.values["adc_conversions"] += rows * tile.out_size
        if isinstance(output, Tensor) and output.requires_grad:
            backward_io = None if floating else getattr(config, "backward", None)
            runs_mvm = x.requires_grad
            pulsed = not tile.analog_ctx.use_torch_update

            def on_grad(_grad: Tensor) -> None:
                if runs_mvm:
                    self.values["backward_mvms"] += rows
                    if not _is_perfect(backward_io):
                        self.values["adc_conversions"] += rows * tile.in_size
                if pulsed:
                    self.values["update_samples"] += rows

            output.register_hook(on_grad)

    def read(self) -> Dict[str, Optional[int]]:
        out: Dict[str, Optional[int]] = dict(self.values)
        out["pulses"] = self.pulses()
        return out

    def reset(self) -> None:
        self.values = dict.fromkeys(COUNTER_NAMES, 0)
        self.pulse_offset = self._pulses_now()


class CostCounters:
    """Counts the hardware activity of every analog tile of ``module`` (a layer or a
    model) from now on; see the module text for the counted quantities.

    Args:
        module: any ``torch.nn.Module`` holding analog tiles.

    Raises:
        ConfigError: when ``module`` holds no analog tile.

    Example:
        ``counters = CostCounters(model)``, train an epoch, ``counters.totals()``.
    """

    def __init__(self, module: Module) -> None:
        self._counts: "OrderedDict[str, _TileCount]" = OrderedDict()
        self._handles = []
        for name, sub in module.named_modules():
            if isinstance(sub, TileModuleBase):
                count = _TileCount(sub)
                self._counts[name or type(sub).__name__] = count
                self._handles.append(sub.register_forward_hook(count.forward_hook))
        if not self._counts:
            raise ConfigError(f"{type(module).__name__} holds no analog tile to count")
        self._last: Dict[str, Dict[str, Optional[int]]] = self.per_tile()
        self.history: List[Dict[str, Optional[int]]] = []

    def per_tile(self) -> "OrderedDict[str, Dict[str, Optional[int]]]":
        """Counts per tile (keys: the tiles' module paths)."""
        return OrderedDict((name, count.read()) for name, count in self._counts.items())

    def totals(self) -> Dict[str, Optional[int]]:
        """Counts summed over the tiles (``pulses``: ``None`` when no tile counts)."""
        return _sum(self.per_tile().values())

    def step(self) -> Dict[str, Optional[int]]:
        """Totals since the previous call (or since construction), appended to
        :attr:`history`; call it once per training step."""
        now = self.per_tile()
        delta = _sum(_difference(now[name], self._last[name]) for name in now)
        self._last = now
        self.history.append(delta)
        return delta

    def reset(self) -> None:
        """Zero every counter and forget the history."""
        for count in self._counts.values():
            count.reset()
        self._last = self.per_tile()
        self.history = []

    def remove(self) -> None:
        """Remove the hooks (the counts stay readable)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _difference(now: Dict[str, Optional[int]], before: Dict[str, Optional[int]]
                ) -> Dict[str, Optional[int]]:
    return {key: None if value is None else value - (before.get(key) or 0)
            for key, value in now.items()}


def _sum(rows: Any) -> Dict[str, Optional[int]]:
    total: Dict[str, Optional[int]] = dict.fromkeys(COUNTER_NAMES, 0)
    total["pulses"] = None
    for row in rows:
        for key, value in row.items():
            if value is None:
                continue
            total[key] = (total[key] or 0) + value
    return total
