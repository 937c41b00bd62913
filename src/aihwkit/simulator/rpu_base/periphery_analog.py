"""One pass of the analog MVM: DAC, crossbar non-idealities and ADC (spec 10 §1.7–§1.9).

All functions work on a batch of rows in normalized units (the ADC stage hands back
integer levels and their size) and modify freshly created tensors in place. Random
draws come from the tile's :class:`TileRNG`.
"""

import math
from typing import Optional, Tuple

import torch

from aihwkit.simulator.parameters.enums import WeightNoiseType
from aihwkit.simulator.rpu_base.kernels import elementwise
from aihwkit.simulator.rpu_base.periphery_config import ResolvedIO
from aihwkit.simulator.rpu_base.periphery_management import abs_max
from aihwkit.simulator.rpu_base.periphery_lines import LineParameters
from aihwkit.simulator.rpu_base.rng import TileRNG


class CrossbarView:
    """Weights of one call and the derived matrices some stages need (built lazily).

    Args:
        weights: ``[L, N]`` apparent weights of this direction.
        w_asymmetry: ``[L, N]`` read asymmetry factors, or an empty tensor.
    """

    def __init__(self, weights: torch.Tensor, w_asymmetry: torch.Tensor) -> None:
        self.weights = weights
        self._w_asymmetry = w_asymmetry
        self._abs: Optional[torch.Tensor] = None
        self._neg: Optional[torch.Tensor] = None
        self._neg_abs: Optional[torch.Tensor] = None
        self._position: Optional[torch.Tensor] = None

    def matrix(self, negative: bool) -> torch.Tensor:
        """Weights read by inputs of one sign (``W ∘ w_asymmetry`` for negative ones)."""
        if not negative or not self._w_asymmetry.numel():
            return self.weights
        if self._neg is None:
            self._neg = self.weights * self._w_asymmetry.to(self.weights.dtype)
        return self._neg

    def abs_matrix(self, negative: bool) -> torch.Tensor:
        """``|W|`` of :meth:`matrix`, cached."""
        if negative and self._w_asymmetry.numel():
            if self._neg_abs is None:
                self._neg_abs = self.matrix(True).abs()
            return self._neg_abs
        if self._abs is None:
            self._abs = self.weights.abs()
        return self._abs

    def position_weights(self) -> torch.Tensor:
        """IR-drop input weighting ``1 - (1 - j/n)²`` for ``j = 0..n-1`` (shape ``[n]``)."""
        if self._position is None:
            size = self.weights.shape[1]
            frac = torch.arange(size, device=self.weights.device,
                                dtype=self.weights.dtype) / size
            self._position = 1.0 - (1.0 - frac) ** 2
        return self._position


def prepare_input(cfg: ResolvedIO, x: torch.Tensor, scale: Optional[torch.Tensor],
                  rng: TileRNG) -> torch.Tensor:
    """DAC: ``u = PrepareInput(c·x)``: quantize, clip, input noise, input asymmetry.

    Args:
        x: ``[R, N]`` raw inputs.
        scale: ``[R, 1]`` per-row factor ``c`` or ``None`` (no scaling).

    Returns:
        ``[R, N]`` prepared inputs (a new tensor).
    """
    if cfg.inp_step > 0:
        # Quant(c·x) with the scaling and the division by Δ folded into one product
        if scale is None:
            u = x * cfg.inp_inv_step
        elif x.dtype == torch.float16:
            # c / Δ overflows float16 for small-valued rows (c ~ 1e3, 1/Δ ~ 1e2)
            u = (x * scale).mul_(cfg.inp_inv_step)
        else:
            u = x * (scale * cfg.inp_inv_step)
        if cfg.inp_sto_round:
            u.add_(rng.uniform(u.shape, u.dtype).sub_(0.5))
        u.round_().mul_(cfg.inp_step)
    else:
        u = x * scale if scale is not None else x.clone()
    if math.isfinite(cfg.inp_bound):
        u.clamp_(-cfg.inp_bound, cfg.inp_bound)
    if cfg.inp_noise > 0:
        u.add_(rng.normal(u.shape, u.dtype), alpha=cfg.inp_noise)
    if cfg.inp_asymmetry != 0:
        u = torch.where(u < 0, u * (1.0 - cfg.inp_asymmetry), u)
    return u


def crossbar_product(u: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The ideal crossbar read ``u W^T`` (``[R, N]`` x ``[L, N]`` -> ``[R, L]``) in one
    call."""
    return torch.nn.functional.linear(u, weights)


def analog_mv(cfg: ResolvedIO, lines: LineParameters, view: CrossbarView, u: torch.Tensor,
              rng: TileRNG, negative: bool = False) -> torch.Tensor:
    """Crossbar read ``v = W u`` with IR drop, offsets/series resistance and weight noise.

    Args:
        u: ``[R, N]`` prepared inputs.
        negative: read with the negative-input weights (pos/neg separate modes).

    Returns:
        ``[R, L]`` analog outputs in normalized units.
    """
    weights = view.matrix(negative)
    v = crossbar_product(u, weights)
    if cfg.ir_drop > 0:
        _apply_ir_drop_(cfg, view, weights, u, v, negative)
    if lines.v_offset.numel():
        v = _apply_offsets(cfg, lines, u, v)
    if cfg.w_noise > 0:
        _apply_weight_noise_(cfg, view, u, v, rng, negative)
    return v


def _apply_ir_drop_(cfg: ResolvedIO, view: CrossbarView, weights: torch.Tensor,
                    u: torch.Tensor, v: torch.Tensor, negative: bool) -> None:
    """``v_i -= ir_drop · κ(a_i) · Σ_j W_ij u_j (1 - (1 - j/n)²)``,
    ``a_i = n / g_ratio · Σ_j |W_ij||u_j|``, ``κ(a) = 0.5a - 0.2a² + 0.05a³``."""
    size = u.shape[1]
    current = u.abs() @ view.abs_matrix(negative).t()
    current.mul_(size / cfg.ir_drop_g_ratio)
    kappa = current.mul(0.05).sub_(0.2).mul_(current).add_(0.5).mul_(current)
    weighted = (u * view.position_weights()) @ weights.t()
    v.sub_(kappa.mul_(weighted), alpha=cfg.ir_drop)


def _apply_offsets(cfg: ResolvedIO, lines: LineParameters, u: torch.Tensor,
                   v: torch.Tensor) -> torch.Tensor:
    """Per-line voltage offsets ``V`` and series resistance ``ρ`` (spec 10 §1.7 (ii))."""
    offset = lines.v_offset.to(v.dtype)
    rho = cfg.r_series
    if cfg.v_offset_w_min == 0:
        out = v * (1.0 - offset)
        if rho > 0:
            out.div_(v.abs().mul_(rho).add_(1.0))
        return out
    y_ref = u.sum(1, keepdim=True).mul_(-cfg.v_offset_w_min)
    if rho == 0:
        return v * (1.0 - offset) - 2.0 * offset * y_ref
    shifted = v + y_ref
    active = (1.0 - offset) * shifted / (shifted.abs().mul_(rho).add_(1.0))
    reference = (1.0 + offset) * y_ref / (y_ref.abs().mul(rho).add_(1.0))
    return active.sub_(reference)


def _apply_weight_noise_(cfg: ResolvedIO, view: CrossbarView, u: torch.Tensor,
                         v: torch.Tensor, rng: TileRNG, negative: bool) -> None:
    """Output-referred weight read noise (additive constant or PCM read)."""
    draws = rng.normal(v.shape, v.dtype)
    if cfg.w_noise_type == WeightNoiseType.ADDITIVE_CONSTANT:
        std = torch.linalg.vector_norm(u, dim=1, keepdim=True).mul_(cfg.w_noise)
    else:  # PCM_READ
        std = ((u * u) @ view.abs_matrix(negative).t()).sqrt_().mul_(cfg.w_noise)
    v.addcmul_(draws, std)


def finalize_output(cfg: ResolvedIO, lines: LineParameters, v: torch.Tensor, rng: TileRNG,
                    test_bound: bool) -> Tuple[torch.Tensor, Optional[torch.Tensor], float]:
    """ADC side: nonlinearity, output asymmetry, output noise, quantization, clip.

    With quantization the result is returned as integer ADC levels ``k`` (the value is
    ``k·Δ_out``), so that the caller folds ``Δ_out`` into its output scaling; the clip
    and the saturation test then use the bound in levels, ``out_bound/Δ_out``.

    Args:
        v: ``[R, L]`` analog outputs (modified in place when possible).
        test_bound: report which rows saturate (bound management).

    Returns:
        ``(y, fail, unit)``: ``[R, L]`` outputs in multiples of ``unit`` (``Δ_out``, or 1
        without quantization); ``[R]`` booleans telling whether a row exceeded
        ``+out_bound`` (or ``-out_bound`` if ``bm_test_negative_bound``) before clipping,
        ``None`` when not tested or when the output is unbounded.
    """
    if lines.nl_active:
        strength = lines.out_nonlinearity.to(v.dtype)
        denominator = (v * strength).abs_().add_(1.0)
        v.mul_(lines.out_nonlinearity_factor.to(v.dtype)).div_(denominator)
    if cfg.out_asymmetry > 0:
        v = torch.where(v < 0, v * (1.0 - cfg.out_asymmetry), v)
    quantized = cfg.out_step > 0
    inv_step = cfg.out_inv_step if quantized else 1.0
    # output noise and the division by Δ in one pass: v/Δ + (σ/Δ)·ξ
    if lines.out_noise_values.numel():
        noise = rng.normal(v.shape, v.dtype).mul_(lines.out_noise_values.to(v.dtype) * inv_step)
        v = noise.add_(v, alpha=inv_step)
    elif cfg.out_noise > 0:
        std = cfg.out_noise * inv_step
        if elementwise.applies(v):   # compiled normals from the tile's seed stream
            noise = elementwise.normal(v, std, None, rng.stream_seed())
        else:
            noise = torch.normal(0.0, std, tuple(v.shape), generator=rng.generator,
                                 dtype=v.dtype, device=v.device)
        v = noise.add_(v, alpha=inv_step)
    elif quantized:
        v.mul_(inv_step)
    unit = 1.0
    bound = cfg.out_bound
    if quantized:  # levels k = rint(v/Δ) (+ U - 0.5 when stochastic)
        if cfg.out_sto_round:
            v.add_(rng.uniform(v.shape, v.dtype).sub_(0.5))
        v.round_()
        unit = cfg.out_step
        bound = cfg.out_bound_levels
    fail = None
    if math.isfinite(bound):
        if test_bound:
            # max_l |v_l| > B  <=>  max_l v_l > B or min_l v_l < -B
            peak = abs_max(v) if cfg.bm_test_negative_bound else v.amax(1)
            fail = peak > bound
        v.clamp_(-bound, bound)
    return v, fail, unit
