"""Torch simulator tile with a time-resolved IR-drop model (``TorchInferenceRPUConfigIRDropT``).

Physical picture (all inputs of one MVM, per sample):

* Weights map to a differential conductance pair per crosspoint,
  ``G± = g_min + (g_max - g_min) · max(±W, 0) / amax(|W|)`` [µS], with ``g_min``/``g_max``
  taken from ``rpu_config.noise_model.g_converter`` (25 µS / 0 µS without one).
* Prepared inputs ``u_j`` (after the DAC, normalized to ``[-1, 1]``) are pulse-width
  modulated: input ``j`` drives its row with ``sign(u_j) · V_read`` for
  ``|u_j| · N`` of the ``N`` time steps of a read phase (``N`` = number of DAC levels per
  polarity, ``round(inp_bound / step)``; 127 when the DAC is not quantized); once its
  pulse has ended the row driver is disconnected, so the row neither drives nor loads
  the output wires.
* Each output wire runs along the inputs towards its ADC, which sits next to input 0.
  The inputs are grouped into ``ir_drop_segments`` contiguous segments; segment ``m``
  (``n_m`` cells) has the wire resistance ``R_m = ir_drop_rs · n_m`` [Ω]. At time step
  ``t`` segment ``l`` injects the current ``I_l(t) = Σ_{j∈l} G_j · sign(u_j) a_j(t)`` (in
  units of ``V_read``; ``a_j(t)`` is the active fraction of the step), the wire segment
  ``m`` carries ``J_m(t) = Σ_{l≥m} I_l(t)`` and the wire voltage at segment ``k`` is
  ``V_k(t) = ir_drop · 1e-6 · Σ_{m≤k} R_m J_m(t)`` (relative to ``V_read``; 1e-6 turns Ω·µS
  into a ratio).
* Every driven device of segment ``k`` sees its voltage lowered by ``V_k(t)``, the wire
  voltage at the far end of its segment (one segment per cell gives the discrete
  ladder, fewer segments a coarser and larger estimate), so the integrated output loses
  ``D = Σ_t Σ_k V_k(t) · Σ_{j∈k} G_j a_j(t)`` per wire; the tile output is
  ``W u − (D⁺ − D⁻) · amax(|W|) / ((g_max − g_min) · N)``.

The model is first order in ``R · G``: it is accurate while the drop is a small fraction
of ``V_read`` (e.g. one fully driven segment of ``n`` cells at ``g_max`` loses
``1e-6 · ir_drop_rs · n^3 · (g_max + g_min)`` of the ``n`` output units).

Because both the wire current and the load depend on which rows are still driven, the
drop is quadratic in the instantaneous activity and depends on the timing of the pulses,
not only on their total length: a short pulse among long ones sees a different drop
than in a static model.
``ir_drop_time_step_resolution_scale`` sets the time grid: the phase is integrated on
``round(N · scale)`` steps (pulse lengths resolved to that grid; below 1 it is coarser and
cheaper, above 1 it gives the same result as 1 since the currents are constant within a
DAC step). ``mv_type``: ``ONE_PASS`` (one PWM phase), ``SPLIT_MODE`` (integer input
levels split into a most significant part ``L >> split_mode_bit_shift`` and the rest, read
in two PWM phases and combined as ``2**shift · MSB + LSB``) and ``BIT_WISE`` (one single-step
phase per input bit, combined with weights ``2**k``); the ideal product is the same in
every mode, only the drop differs. ``adc_quantization=False`` switches the output
quantization off.

Simulated in time: the IR drop itself. Not simulated (rejected with
``TorchTileConfigError`` when changed from their defaults): ``ir_drop_v_read`` and
``adc_frequency`` (with linear devices the relative drop does not depend on the read
voltage or the ADC clock), ``apply_xdep_pcm_read_noise`` and ``ir_drop_integration_sum``.
Everything else of the forward (noise and bound management, DAC/ADC, noise) is that of
:class:`TorchSimulatorTile`.
"""

import copy
import dataclasses
import math
from typing import Any, Iterator, List, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import ConfigError, TorchTileConfigError
from aihwkit.simulator.parameters.enums import AnalogMVType
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.tiles.torch_tile import TorchSimulatorTile, _mv, _step, check_torch_io

_MODES = (AnalogMVType.ONE_PASS, AnalogMVType.SPLIT_MODE, AnalogMVType.BIT_WISE)
_UNQUANTIZED_LEVELS = 127
_CHUNK_ELEMENTS = 1 << 22  # time steps are processed in chunks of at most this many inputs
_FIXED = (("ir_drop_v_read", 0.4005), ("adc_frequency", 6.24),
          ("apply_xdep_pcm_read_noise", False), ("ir_drop_integration_sum", False))


def check_irdrop_io(io: Any) -> None:
    """Validate forward parameters for the time-resolved IR-drop tile.

    Raises:
        TorchTileConfigError: settings this tile does not simulate.
        ConfigError: invalid values.
    """
    if io.is_perfect or io.mv_type == AnalogMVType.IDEAL:
        return
    if io.mv_type not in _MODES:
        raise TorchTileConfigError(f"IOParameters.mv_type = {io.mv_type} is not supported by "
                                   "the IR-drop tile (ONE_PASS, SPLIT_MODE or BIT_WISE)")
    check_torch_io(dataclasses.replace(io, mv_type=AnalogMVType.ONE_PASS))
    for name, default in _FIXED:
        value = getattr(io, name, default)
        if value != default:
            raise TorchTileConfigError(f"IOParameters.{name} = {value!r} is not simulated by "
                                       f"the IR-drop tile (must be {default!r})")
    segments = getattr(io, "ir_drop_segments", 1)
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ConfigError(f"IOParameters.ir_drop_segments = {segments!r} is invalid: must be "
                          "an integer >= 1")
    for name in ("ir_drop_rs", "ir_drop_time_step_resolution_scale"):
        value = getattr(io, name, 1.0)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(f"IOParameters.{name} = {value!r} is invalid: must be a finite "
                              "number >= 0")
    if getattr(io, "ir_drop_time_step_resolution_scale", 1.0) <= 0:
        raise ConfigError("IOParameters.ir_drop_time_step_resolution_scale must be > 0")
    shift = getattr(io, "split_mode_bit_shift", 3)
    if io.mv_type == AnalogMVType.SPLIT_MODE and (not isinstance(shift, int) or shift < 1):
        raise ConfigError(f"IOParameters.split_mode_bit_shift = {shift!r} is invalid: must be "
                          "an integer >= 1")


def _segment_bounds(n_in: int, segments: int) -> List[Tuple[int, int]]:
    """Balanced contiguous ``(start, stop)`` ranges (larger ones first)."""
    count = min(segments, n_in)
    base, extra = divmod(n_in, count)
    bounds, start = [], 0
    for idx in range(count):
        stop = start + base + (1 if idx < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def input_levels(io: Any) -> int:
    """Number ``N`` of DAC levels per polarity (time steps of one PWM phase)."""
    step = _step(io.inp_res, io.inp_bound)
    if step <= 0:
        return _UNQUANTIZED_LEVELS
    return max(1, int(round(io.inp_bound / step)))


def conductance_range(rpu_config: Any) -> Tuple[float, float]:
    """``(g_min, g_max)`` in µS from the noise model's converter (0, 25 without one)."""
    converter = getattr(getattr(rpu_config, "noise_model", None), "g_converter", None)
    g_max = float(getattr(converter, "g_max", 25.0))
    g_min = float(getattr(converter, "g_min", 0.0))
    return g_min, g_max


def _segment_currents(active: Tensor, conductance: Tensor,
                      bounds: List[Tuple[int, int]]) -> Tensor:
    """``I_k = Σ_{j∈k} G_ij a_j`` for every segment: ``[S, T, B, out]``.

    ``active`` is ``[T, B, in]``; ``conductance`` ``[out, in]`` or ``[B, out, in]``.
    """
    parts = []
    for start, stop in bounds:
        a_seg = active[..., start:stop]
        g_seg = conductance[..., start:stop]
        if g_seg.dim() == 2:
            parts.append(a_seg @ g_seg.t())
        else:
            parts.append(torch.einsum("tbj,boj->tbo", a_seg, g_seg))
    return torch.stack(parts)


def _wire_drop(active: Tensor, conductance: Tensor, bounds: List[Tuple[int, int]],
               resistance: Tensor) -> Tensor:
    """``Σ_t Σ_k V_k(t) Σ_{j∈k} G_ij |a_j(t)|`` of one wire polarity: ``[B, out]``.

    ``active`` ``[T, B, in]`` holds the signed activity ``sign(u_j) a_j(t)``.
    """
    currents = _segment_currents(active, conductance, bounds)        # [S, T, B, out]
    through = currents.flip(0).cumsum(0).flip(0)                     # J_m
    view = (-1,) + (1,) * (through.dim() - 1)
    voltage = (resistance.view(view) * through).cumsum(0)            # V_k
    load = _segment_currents(active.abs(), conductance, bounds)      # driven conductance
    return (voltage * load).sum(dim=(0, 1))


class TorchSimulatorTileIRDropT(TorchSimulatorTile):
    """:class:`TorchSimulatorTile` whose IR drop is the time-resolved crossbar model of
    this module (replacing the static correction of the plain torch tile).

    Args:
        x_size: number of inputs.
        d_size: number of outputs.
        rpu_config: a ``TorchInferenceRPUConfigIRDropT`` (forward ``IOParametersIRDropT``).
        rng: random number generator (the owning tile's).
        dtype: dtype of the weights.
    """

    def __init__(self, x_size: int, d_size: int, rpu_config: Any,
                 rng: Optional[TileRNG] = None, dtype: torch.dtype = torch.float32) -> None:
        check_irdrop_io(rpu_config.forward)
        # the parent validates the plain torch subset, in which only ONE_PASS exists
        plain = copy.copy(rpu_config)
        plain.forward = dataclasses.replace(rpu_config.forward, mv_type=AnalogMVType.ONE_PASS)
        super().__init__(x_size, d_size, plain, rng, dtype)
        self.rpu_config = rpu_config

    def set_config(self, rpu_config: Any) -> None:
        """Use ``rpu_config`` from now on (validated)."""
        check_irdrop_io(rpu_config.forward)
        self.rpu_config = rpu_config

    def forward(self, x: Tensor, is_test: bool = False,  # pylint: disable=arguments-differ
                weights: Optional[Tensor] = None, owned_input: bool = False) -> Tensor:
        """Analog MVM with the forward periphery and the time-resolved IR drop.

        Args:
            x: inputs ``[B, x_size]``.
            is_test: accepted for the engine interface (no effect).
            weights: weights to use instead of ``self.weight`` (``[d_size, x_size]`` or
                per sample ``[B, d_size, x_size]``).
            owned_input: ``x`` is a temporary of the caller (see
                :meth:`TorchSimulatorTile.forward`).

        Returns:
            ``[B, d_size]``.
        """
        io = self.rpu_config.forward
        check_irdrop_io(io)
        weights = self.weight if weights is None else weights
        if io.is_perfect or io.mv_type == AnalogMVType.IDEAL:
            return _mv(weights, x) * io.out_scale
        if not getattr(io, "adc_quantization", True):
            io = dataclasses.replace(io, out_res=0.0)
        return self._managed(weights, x, io, owned_input)

    def _ir_drop(self, weights: Tensor, u: Tensor, io: Any) -> Tensor:  # type: ignore[override]
        """Output lost to the wire resistance (subtracted from ``W u``): ``[B, d_size]``."""
        levels = input_levels(io)
        g_min, g_max = conductance_range(self.rpu_config)
        amax = weights.detach().abs().amax(dim=(-2, -1), keepdim=True)
        amax = torch.where(amax > 0, amax, torch.ones_like(amax))
        span = (g_max - g_min) / amax
        g_pos = g_min + span * weights.clamp(min=0)
        g_neg = g_min + span * (-weights).clamp(min=0)
        bounds = _segment_bounds(u.shape[1], int(getattr(io, "ir_drop_segments", 1)))
        resistance = torch.tensor([getattr(io, "ir_drop_rs", 0.0) * (stop - start)
                                   for start, stop in bounds], dtype=u.dtype, device=u.device)
        resistance = resistance * (1e-6 * io.ir_drop)
        sign = torch.sign(u)
        total = torch.zeros(u.shape[0], weights.shape[-2], dtype=u.dtype, device=u.device)
        for durations, n_steps, factor in self._phases(u, io, levels):
            for active, step_length in self._active(durations, n_steps, io):
                active = active * sign
                drop = (_wire_drop(active, g_pos, bounds, resistance)
                        - _wire_drop(active, g_neg, bounds, resistance))
                total = total + (factor * step_length) * drop
        return total / (span.squeeze(-1) * levels)

    @staticmethod
    def _phases(u: Tensor, io: Any, levels: int) -> List[Tuple[Tensor, int, float]]:
        """``(pulse lengths in steps [B, in], steps of the phase, weight)`` per read phase."""
        magnitude = u.abs() * levels
        if io.mv_type == AnalogMVType.ONE_PASS:
            return [(magnitude, levels, 1.0)]
        integer = torch.round(magnitude.detach()).to(torch.int64)
        if io.mv_type == AnalogMVType.SPLIT_MODE:
            shift = int(getattr(io, "split_mode_bit_shift", 3))
            high, low = integer >> shift, integer & ((1 << shift) - 1)
            return [(high.to(u.dtype), max(1, levels >> shift), float(1 << shift)),
                    (low.to(u.dtype), (1 << shift) - 1, 1.0)]
        bits = max(1, int(integer.max()).bit_length()) if integer.numel() else 1
        return [(((integer >> k) & 1).to(u.dtype), 1, float(1 << k)) for k in range(bits)]

    @staticmethod
    def _active(durations: Tensor, n_steps: int, io: Any
                ) -> Iterator[Tuple[Tensor, float]]:
        """Active fraction of each input per step of the integration grid, in chunks of
        ``[T_chunk, B, in]`` (bounded memory), with the length of one grid step in DAC
        steps."""
        scale = float(getattr(io, "ir_drop_time_step_resolution_scale", 1.0))
        n_eval = max(1, int(round(n_steps * scale)))
        grid = durations * (n_eval / n_steps)
        span = max(n_eval, int(math.ceil(float(grid.detach().max()))) if grid.numel() else 1)
        chunk = max(1, _CHUNK_ELEMENTS // max(1, grid.numel()))
        for first in range(0, span, chunk):
            steps = torch.arange(first, min(span, first + chunk), dtype=durations.dtype,
                                 device=durations.device)
            yield (grid.unsqueeze(0) - steps.view(-1, 1, 1)).clamp(0.0, 1.0), n_steps / n_eval
