"""Weight modifiers, clipping and remapping of hardware-aware training.

Pure tensor functions on tile-unit weights ``[out_size, x_size]``; the inference tiles
call them. Two modifier flavours exist because the two inference tiles of the original
package differ (spec "Weight modifiers"): :func:`modify_weights` follows the compiled
tile (``InferenceRPUConfig``), :func:`modify_weights_torch` the torch tile
(``TorchInferenceRPUConfig``). Random draws come from the ``generator`` argument (torch's
global RNG if ``None``).
"""

import math
from typing import Optional, Tuple, Union

import torch
from torch import Tensor

from aihwkit.exceptions import ConfigError, TorchTileConfigError, check_choice, check_field
from aihwkit.simulator.rpu_base.kernels import elementwise, reference_forced
from aihwkit.simulator.rpu_base.kernels.fused import normal_modifier
from aihwkit.simulator.parameters.validation import unchanged_since_passed
from aihwkit.simulator.parameters.enums import (
    WeightClipType, WeightModifierType, WeightRemapType)

Mod = WeightModifierType
_PCM_COEFFS = (0.26348, 1.9650, -1.1731)
_PCM_T_READ = 250.0e-9
TORCH_MODIFIER_TYPES = (Mod.NONE, Mod.COPY, Mod.ADD_NORMAL, Mod.MULT_NORMAL, Mod.DISCRETIZE)


# ---------------------------------------------------------------------- validation
def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@unchanged_since_passed
def check_modifier(mod: object, torch_tile: bool = False) -> None:
    """Raise :class:`ConfigError` (``TorchTileConfigError`` for the torch tile) for an
    invalid or unsupported :class:`WeightModifierParameter`."""
    owner = "WeightModifierParameter"
    check_choice(owner, "type", mod.type, WeightModifierType)
    for name in ("std_dev", "res", "dorefa_clip", "assumed_wmax", "g_max", "pcm_zero_thres",
                 "pcm_t_inference", "pcm_t0"):
        value = getattr(mod, name)
        check_field(owner, name, value, _finite(value), "a finite number")
    check_field(owner, "std_dev", mod.std_dev, mod.std_dev >= 0, ">= 0")
    check_field(owner, "g_max", mod.g_max, mod.g_max > 0, "> 0")
    check_field(owner, "pcm_t0", mod.pcm_t0, mod.pcm_t0 > 0, "> 0")
    check_field(owner, "pcm_t_inference", mod.pcm_t_inference, mod.pcm_t_inference >= 0,
                ">= 0")
    for name in ("pdrop", "pcm_prob_at_reset", "pcm_prob_at_gmax", "pcm_prob_at_random"):
        value = getattr(mod, name)
        check_field(owner, name, value, _finite(value) and 0.0 <= value <= 1.0, "in [0, 1]")
    if not mod.rel_to_actual_wmax:
        check_field(owner, "assumed_wmax", mod.assumed_wmax, mod.assumed_wmax > 0,
                    "> 0 when rel_to_actual_wmax is False")
    check_field(owner, "coeffs", mod.coeffs,
                isinstance(mod.coeffs, (list, tuple)) and all(_finite(c) for c in mod.coeffs),
                "a list of finite numbers")
    if not torch_tile:
        check_field(owner, "per_batch_sample", mod.per_batch_sample,
                    not mod.per_batch_sample or mod.type in (Mod.NONE, Mod.COPY),
                    "False for InferenceRPUConfig (one modified weight per optimizer step; "
                    "use TorchInferenceRPUConfig for per-sample noise)")
        return
    if mod.type not in TORCH_MODIFIER_TYPES:
        raise TorchTileConfigError(
            f"WeightModifierParameter.type = {mod.type} is not supported by the torch tile: "
            f"use one of {', '.join(str(t) for t in TORCH_MODIFIER_TYPES)}")
    for name, bad in (("pdrop", mod.pdrop > 0), ("enable_during_test", mod.enable_during_test),
                      ("copy_last_column", mod.copy_last_column)):
        if bad:
            raise TorchTileConfigError(f"WeightModifierParameter.{name} = "
                                       f"{getattr(mod, name)!r} is not supported by the "
                                       "torch tile")
    if mod.type == Mod.DISCRETIZE and mod.res <= 0:
        raise TorchTileConfigError(f"WeightModifierParameter.res = {mod.res!r} must be > 0 "
                                   "for DISCRETIZE on the torch tile")


def check_clip(clip: object, torch_tile: bool = False) -> None:
    """Raise :class:`ConfigError` for an invalid :class:`WeightClipParameter`."""
    owner = "WeightClipParameter"
    check_choice(owner, "type", clip.type, WeightClipType)
    for name in ("fixed_value", "sigma"):
        check_field(owner, name, getattr(clip, name), _finite(getattr(clip, name)),
                    "a finite number")
    check_field(owner, "sigma", clip.sigma, clip.sigma >= 0, ">= 0")
    if torch_tile and clip.type == WeightClipType.AVERAGE_CHANNEL_MAX:
        raise TorchTileConfigError("WeightClipParameter.type = AVERAGE_CHANNEL_MAX is not "
                                   "supported by the torch tile")


def check_remap(remap: object, torch_tile: bool = False) -> None:
    """Raise :class:`ConfigError` for an invalid :class:`WeightRemapParameter`."""
    owner = "WeightRemapParameter"
    check_choice(owner, "type", remap.type, WeightRemapType)
    for name in ("remapped_wmax", "max_scale_range", "max_scale_ref"):
        check_field(owner, name, getattr(remap, name), _finite(getattr(remap, name)),
                    "a finite number")
    check_field(owner, "remapped_wmax", remap.remapped_wmax, remap.remapped_wmax > 0, "> 0")
    check_field(owner, "max_scale_range", remap.max_scale_range, remap.max_scale_range >= 0,
                ">= 0")
    if remap.max_scale_range > 0:
        check_field(owner, "remapped_wmax", remap.remapped_wmax, remap.remapped_wmax == 1.0,
                    "1.0 when max_scale_range > 0")
    if torch_tile and remap.type != WeightRemapType.NONE and (
            remap.remapped_wmax != 1.0 or remap.max_scale_range != 0
            or remap.max_scale_ref != 0):
        raise TorchTileConfigError("WeightRemapParameter on the torch tile needs "
                                   "remapped_wmax = 1.0 and max_scale_range = "
                                   "max_scale_ref = 0")


# ---------------------------------------------------------------------- helpers
def _randn(like: Tensor, gen: Optional[torch.Generator]) -> Tensor:
    return torch.randn(like.shape, generator=gen, device=like.device, dtype=like.dtype)


def _rand(like: Tensor, gen: Optional[torch.Generator]) -> Tensor:
    return torch.rand(like.shape, generator=gen, device=like.device, dtype=like.dtype)


def _round_away(values: Tensor) -> Tensor:
    """Round half away from zero (C ``roundf``)."""
    return torch.sign(values) * torch.floor(values.abs() + 0.5)


def quantize(values: Tensor, step: float, sto_round: bool,
             gen: Optional[torch.Generator]) -> Tensor:
    """``step * roundf(v / step)`` (``+ U - 0.5`` inside with ``sto_round``); identity if
    ``step <= 0``."""
    if step <= 0:
        return values
    scaled = values / step
    if sto_round:
        scaled = scaled + _rand(values, gen) - 0.5
    return _round_away(scaled) * step


def reference_amplitude(weights: Tensor, mod: object) -> float:
    """``a``: ``amax(W)`` (1 if zero) with ``rel_to_actual_wmax``, else ``assumed_wmax``."""
    if not mod.rel_to_actual_wmax:
        return float(mod.assumed_wmax)
    amax = elementwise.abs_max(weights)
    return amax if amax > 0 else 1.0


def amplitude(weights: Tensor, mod: object) -> Union[float, Tensor]:
    """:func:`reference_amplitude` without reading the weights back: a 0-d tensor when it
    depends on them, else the float ``assumed_wmax``."""
    if not mod.rel_to_actual_wmax:
        return float(mod.assumed_wmax)
    if weights.numel() == 0:
        return 1.0
    amax = weights.abs().amax()
    return torch.where(amax > 0, amax, torch.ones_like(amax))


def _poly(coeffs: Tuple[float, ...], values: Tensor) -> Tensor:
    result = torch.zeros_like(values)
    for coeff in reversed(list(coeffs)):
        result = result * values + coeff
    return result


# ---------------------------------------------------------------------- compiled-tile modifier
def modifier_is_active(mod: object) -> bool:
    """Whether ``post_update_step`` computes modified forward weights."""
    return mod.type != Mod.NONE and not (mod.type == Mod.COPY and mod.pdrop <= 0)


@torch.no_grad()
def modify_weights(weights: Tensor, mod: object,
                   generator: Optional[torch.Generator] = None) -> Tensor:
    """Forward weights ``W_fb`` of the compiled inference tile (a new tensor).

    Args:
        weights: tile weights ``[out_size, x_size]`` (last column = analog bias if any).
        mod: the :class:`WeightModifierParameter`.
        generator: source of the random draws.
    """
    out = weights.clone()
    kind, std, res = mod.type, float(mod.std_dev), float(mod.res)
    if kind in (Mod.ADD_NORMAL, Mod.MULT_NORMAL) and std > 0 and mod.pdrop <= 0 \
            and not mod.copy_last_column and not reference_forced() and normal_modifier(
                out, kind == Mod.MULT_NORMAL, std, bool(mod.rel_to_actual_wmax),
                float(mod.assumed_wmax), generator):
        return out   # small CPU weights: one compiled pass
    body = out[:, :-1] if mod.copy_last_column else out
    amp = amplitude(body, mod)
    if kind in (Mod.DISCRETIZE, Mod.DISCRETIZE_ADD_NORMAL) and res > 0:
        body.copy_(quantize(body / amp, res, mod.sto_round, generator) * amp)
    if kind in (Mod.ADD_NORMAL, Mod.DISCRETIZE_ADD_NORMAL) and std > 0:
        body.add_(_randn(body, generator) * (std * amp))
    elif kind == Mod.MULT_NORMAL and std > 0:
        body.mul_(1.0 + _randn(body, generator) * (std * amp))
    elif kind == Mod.DOREFA and res > 0:
        scale = (mod.dorefa_clip / torch.tanh(torch.as_tensor(amp, dtype=body.dtype))).abs()
        body.copy_(quantize(torch.tanh(body) * scale, res, mod.sto_round, generator))
    elif kind in (Mod.POLY, Mod.PROG_NOISE) and std > 0 and len(mod.coeffs) > 0:
        rel_std = std if kind == Mod.POLY else std / mod.g_max
        sigma = rel_std * _poly(tuple(mod.coeffs), body.abs() / amp)
        noisy = body + amp * sigma * _randn(body, generator)
        if kind == Mod.PROG_NOISE:
            noisy = torch.where(body < 0, -noisy.abs(), noisy.abs())
        body.copy_(noisy)
    elif kind == Mod.PCM_NOISE:
        body.copy_(_pcm_noise(body, mod, amp, generator))
    if mod.pdrop > 0:
        body.masked_fill_(_rand(body, generator) < mod.pdrop, 0.0)
    return out


def _pcm_noise(weights: Tensor, mod: object, amp: Union[float, Tensor],
               gen: Optional[torch.Generator]) -> Tensor:
    """PCM programming, drift and read noise on weights mapped to ``[-g_max, g_max]``."""
    g_max, noise = float(mod.g_max), float(mod.std_dev)
    p0, p1, p2 = _PCM_COEFFS
    cond = weights.clamp(-amp, amp) * (g_max / amp)
    cond = torch.where(cond.abs() <= mod.pcm_zero_thres * noise * p0,
                       torch.zeros_like(cond), cond)
    negative = cond < 0
    if mod.pcm_prob_at_reset > 0:
        cond = torch.where(_rand(cond, gen) < mod.pcm_prob_at_reset,
                           torch.zeros_like(cond), cond)
    if mod.pcm_prob_at_gmax > 0:
        hit = _rand(cond, gen) < mod.pcm_prob_at_gmax
        shift = torch.where(_rand(cond, gen) > 0.5, -g_max, g_max)
        cond = torch.where(hit, cond + shift, cond)
    if mod.pcm_prob_at_random > 0:
        hit = _rand(cond, gen) < mod.pcm_prob_at_random
        value = _rand(cond, gen) * g_max
        cond = torch.where(hit, torch.where(cond > 0, value, -value), cond)
    cond = cond.clamp(-g_max, g_max)
    rho = cond.abs() / g_max
    g_prog = cond + noise * (p0 + p1 * rho + p2 * rho * rho) * _randn(cond, gen)
    t_total = mod.pcm_t_inference + mod.pcm_t0
    g_drift = g_prog
    rho_p = (g_prog.abs() / g_max)
    if t_total > mod.pcm_t0:
        sig_nu = (-0.0125 * torch.log(rho_p.clamp(min=1e-6)) - 0.0059).clamp(0.008, 0.045)
        nu = (sig_nu * _randn(cond, gen)).abs()
        g_drift = g_prog * torch.pow(torch.full_like(nu, t_total / mod.pcm_t0), -nu)
    q_s = (0.0088 / rho_p.pow(0.65).clamp(min=1e-3)).clamp(max=0.2)
    time_factor = math.sqrt(math.log((t_total + _PCM_T_READ) / (2 * _PCM_T_READ)))
    g_final = g_drift + noise * g_drift.abs() * q_s * time_factor * _randn(cond, gen)
    result = (g_final / g_max * amp).abs()
    result = torch.where(negative, -result, result)
    return torch.where(cond == 0, torch.zeros_like(result), result)


# ---------------------------------------------------------------------- torch-tile modifier
class _StraightThrough(torch.autograd.Function):
    """Forward ``quantized``; gradient passes to ``values`` unchanged."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx, values: Tensor, quantized: Tensor) -> Tensor:  # type: ignore[override]
        return quantized

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None]:  # type: ignore[override]
        return grad, None


def modify_weights_torch(weights: Tensor, mod: object, batch_size: Optional[int] = None,
                         generator: Optional[torch.Generator] = None) -> Tensor:
    """Training-forward weights of the torch inference tile (differentiable).

    Fresh noise on every call. ``batch_size`` given (``per_batch_sample``): returns
    ``[batch_size, out_size, x_size]`` independent samples. Additive/multiplicative noise
    passes the gradient as identity; discretization is straight-through.
    """
    kind = mod.type
    if kind in (Mod.NONE, Mod.COPY):
        return weights
    base = weights.unsqueeze(0).expand(batch_size, *weights.shape) if batch_size else weights
    amp = reference_amplitude(weights.detach(), mod)
    if kind == Mod.ADD_NORMAL:
        if not batch_size:  # one compiled pass where it applies, identity gradient
            noisy = elementwise.add_normal(weights.detach(), mod.std_dev * amp, generator)
            if noisy is not None:
                return _StraightThrough.apply(weights, noisy)
        return base + elementwise.normal(base, mod.std_dev * amp, generator)
    if kind == Mod.MULT_NORMAL:
        return base * (1.0 + elementwise.normal(base, mod.std_dev, generator))
    res = 1.0 / mod.res if mod.res > 1.0 else mod.res
    step = res * 2.0 * amp
    with torch.no_grad():
        scaled = base / step
        if mod.sto_round:
            scaled = scaled + _rand(base, generator) - 0.5
        quantized = torch.round(scaled) * step
    return _StraightThrough.apply(base, quantized)


# ---------------------------------------------------------------------- clip and remap
@torch.no_grad()
def clip_weights(weights: Tensor, clip: object) -> None:
    """Clip ``weights`` in place to ``[-c, c]`` (``c`` from the clip type; no-op if ``c <= 0``)."""
    kind = clip.type
    if kind == WeightClipType.NONE or weights.numel() == 0:
        return
    if kind == WeightClipType.FIXED_VALUE:
        value = float(clip.fixed_value)
    else:
        if kind == WeightClipType.LAYER_GAUSSIAN:
            spread = elementwise.std(weights) if weights.numel() > 1 else 0.0
            spread = float(weights.std()) if spread is None else spread
            value = float(clip.sigma) * spread
        elif kind == WeightClipType.AVERAGE_CHANNEL_MAX:
            value = float(weights.abs().amax(dim=1).mean())
        else:
            raise ConfigError(f"WeightClipParameter.type = {kind} is not supported")
        if clip.fixed_value > 0:
            value = min(value, float(clip.fixed_value))
    if value > 0 and not elementwise.clamp_(weights, value):
        weights.clamp_(-value, value)


@torch.no_grad()
def remap_weights(weights: Tensor, scales: Optional[Tensor],
                  remap: object) -> Tuple[Tensor, Tensor]:
    """Remapped tile weights and per-output scales (logical weights ``W * s`` unchanged).

    Args:
        weights: tile weights ``[out_size, x_size]``.
        scales: current output scales (``None``, ``[1]`` or ``[out_size]``).
        remap: the :class:`WeightRemapParameter`.

    Returns:
        New weights and scales ``[out_size]``.
    """
    out_size = weights.shape[0]
    s = torch.ones(out_size, dtype=weights.dtype, device=weights.device)
    if scales is not None:
        s = s * scales.to(weights.device, weights.dtype).reshape(-1)
    if remap.type == WeightRemapType.LAYERWISE_SYMMETRIC:
        factor = float(weights.abs().max()) / remap.remapped_wmax if weights.numel() else 0.0
        if factor > 0:
            return weights / factor, s * factor
        return weights.clone(), s
    if remap.type != WeightRemapType.CHANNELWISE_SYMMETRIC:
        return weights.clone(), s
    factor = weights.abs().amax(dim=1) / remap.remapped_wmax
    if remap.max_scale_range <= 0:
        factor = torch.where(factor > 0, factor, torch.ones_like(factor))
        return weights / factor.unsqueeze(1), s * factor
    s_min = max(float(s.min()), 0.0)
    if s_min > 0 and remap.max_scale_ref != 0:
        s_min = max(s_min, float(remap.max_scale_ref))
    new_s = torch.where(factor > 0, factor * s, s)
    if s_min > 0:
        new_s = torch.where(new_s / s_min > remap.max_scale_range,
                            torch.full_like(new_s, s_min * remap.max_scale_range), new_s)
    return weights * (s / new_s).unsqueeze(1), new_s
