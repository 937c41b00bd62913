"""Compiled elementwise passes of the torch tile's periphery (numba, optional).

A torch-tile layer of realistic size spends most of its non-product time in passes over
its weights and outputs: Gaussian draws (weight modifiers, output noise), quantization,
clipping and the input-range gradient. Each function here does one such chain in one
or two compiled passes over CPU float32/float64 tensors and says (by its return value)
when it does not apply, so that the caller keeps its torch code for everything else (other
devices and dtypes, numba missing, under ``torch.compile``).

Normals come from SplitMix64 streams seeded by one draw from the caller's
``torch.Generator`` (reproducible under ``torch.manual_seed``): float32 ones by a
vectorised Box-Muller transform (about 1 ns each on one core, torch's ``randn`` about
4 ns), float64 ones by the ziggurat.
"""

from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.kernels.fused import (
    LIKE, _compiles, available, generator_seed)
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling

_MODULE: dict = {}
_increment_version = getattr(getattr(torch.autograd, "graph", None), "increment_version", None)


def _kernels() -> Any:
    """The numba module (compiled, or loaded from numba's cache, on first use)."""
    found = _MODULE.get("kernels")
    if found is None:
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.rpu_base.kernels import _elementwise_numba
        found = _MODULE["kernels"] = _elementwise_numba
    return found


def applies(tensor: Tensor) -> bool:
    """Whether the compiled passes take ``tensor`` (contiguous CPU float32/float64, numba
    installed, not under ``torch.compile``)."""
    return _compiles(tensor)


def _any_layout(tensor: Tensor) -> bool:
    """:func:`applies` without the layout condition (for passes that take strides or
    write their own output)."""
    return tensor.dtype in LIKE and tensor.is_cpu and available() and not _is_compiling()


def _add_normal(source: Optional[Tensor], out: Tensor, scale: float, seed: int) -> None:
    """``out = source + scale xi`` (``source`` ``None``: ``scale xi``) in one thread: a
    second thread measured no faster beside torch's intra-op threads, which keep spinning
    on the other cores after each parallel operation."""
    module = _kernels()
    # float32: vectorised Box-Muller; float64: the ziggurat in float64
    kernel = module.add_normal32_at if out.dtype == torch.float32 else module.add_normal_at
    kernel(0 if source is None else source.data_ptr(), out.data_ptr(), out.numel(),
           float(scale), seed, LIKE[out.dtype])


def normal(like: Tensor, scale: float, generator: Optional[torch.Generator],
           seed: Optional[int] = None) -> Tensor:
    """``scale xi`` with standard normals ``xi`` of ``like``'s shape, dtype and device:
    compiled for CPU float32/float64 (any layout of ``like``; the stream starts at
    ``seed``, or at one draw from ``generator``), else ``torch.randn`` times ``scale``."""
    if not _any_layout(like):
        noise = torch.randn(like.shape, generator=generator, device=like.device,
                            dtype=like.dtype)
        return noise.mul_(scale) if scale != 1.0 else noise
    out = torch.empty(like.shape, dtype=like.dtype)
    _add_normal(None, out, scale, generator_seed(generator) if seed is None else seed)
    return out


def add_normal(values: Tensor, scale: float,
               generator: Optional[torch.Generator]) -> Optional[Tensor]:
    """``values + scale xi`` as a new tensor (``values`` unchanged) in one compiled pass;
    ``None`` where :func:`applies` is false."""
    if not applies(values):
        return None
    out = torch.empty(values.shape, dtype=values.dtype)
    _add_normal(values, out, scale, generator_seed(generator))
    return out


def add_normal_(values: Tensor, scale: float, seed: int) -> None:
    """``values += scale xi`` in place (contiguous CPU float32/float64, see
    :func:`applies`) with standard normals from the SplitMix64 stream at ``seed``."""
    _add_normal(values, values, scale, seed)


def abs_max(values: Tensor) -> float:
    """``max |values|`` (0 for no entries, NaN when some entry is NaN) in one pass, without
    an ``|values|`` temporary: compiled where :func:`applies`, else torch."""
    if values.numel() == 0:
        return 0.0
    if applies(values):
        return float(_kernels().abs_max_at(values.data_ptr(), values.numel(),
                                           LIKE[values.dtype]))
    low, high = torch.aminmax(values)
    if not values.is_cpu:   # one host read
        return float(torch.maximum(low.neg(), high))
    low, high = float(low), float(high)
    return low if low != low else max(-low, high)


def clamp_(values: Tensor, bound: float) -> bool:
    """``values.clamp_(-bound, bound)`` in one compiled pass where :func:`applies`
    (returns ``True``); ``False`` (nothing done) elsewhere. Advances the version counter
    as the torch operation does."""
    if not applies(values):
        return False
    _kernels().clamp_at(values.data_ptr(), values.numel(), float(bound), LIKE[values.dtype])
    if _increment_version is not None:
        _increment_version(values)
    return True


def output_stage_(values: Tensor, noise: float, step: float, bound: float,
                  generator: Optional[torch.Generator]) -> Optional[int]:
    """In place on a fresh product ``values``: additive output noise of std ``noise``
    (none when ``<= 0``), the ADC quantization ``v + (step rint(v / step) - v)`` (none
    when ``step <= 0``) and the saturation test against ``bound`` (none when infinite), in
    two compiled passes (the normals, then a vectorised quantization and test); the values
    are not clipped. Returns bit flags (1: some value outside
    ``[-bound, bound]``, 2: some above, 4: some below), or ``None`` (nothing done) where
    :func:`applies` is false. Noise and quantization pass gradients unchanged, so the
    caller's graph is the same as for the torch operations; the version counter is
    advanced as an in-place operation would."""
    if not applies(values):
        return None
    if values.dtype not in _SATURATION_READY:
        _load_saturation_kernels(values.dtype)
    if noise > 0:
        _add_normal(values, values, noise, generator_seed(generator))
    flags = _kernels().quantize_at(values.data_ptr(), values.numel(), float(step),
                                   float(bound), LIKE[values.dtype])
    if _increment_version is not None and values.requires_grad:
        _increment_version(values)
    return int(flags)


_SATURATION_READY: set = set()


def _load_saturation_kernels(dtype: torch.dtype) -> None:
    """Load the clip and mask kernels of a saturated output (from numba's cache, a few
    ms each) together with the output stage, by calling them on no entries: else the
    first saturation in a training run stalls that step."""
    module = _kernels()
    like = LIKE[dtype]
    scratch = torch.zeros(1, dtype=dtype)
    mask = torch.zeros(1, dtype=torch.bool)
    module.clip_masked_at(scratch.data_ptr(), 0, 1.0, mask.data_ptr(), like)
    module.masked_at(scratch.data_ptr(), mask.data_ptr(), scratch.data_ptr(), 0, like)
    _SATURATION_READY.add(dtype)


def clip_masked_(values: Tensor, bound: float) -> Optional[Tensor]:
    """Clip ``values`` to ``[-bound, bound]`` in place in one compiled pass and return the
    bool mask of the entries that were inside; ``None`` (nothing done) where
    :func:`applies` is false."""
    if not applies(values):
        return None
    mask = torch.empty(values.shape, dtype=torch.bool)
    _kernels().clip_masked_at(values.data_ptr(), values.numel(), float(bound), mask.data_ptr(),
                              LIKE[values.dtype])
    if _increment_version is not None and values.requires_grad:
        _increment_version(values)
    return mask


def masked(values: Tensor, mask: Tensor) -> Optional[Tensor]:
    """``where(mask, values, 0)`` as a new tensor in one compiled pass (``mask`` bool of
    the same shape); ``None`` where :func:`applies` is false for either."""
    if mask.dtype != torch.bool or mask.shape != values.shape or not mask.is_cpu \
            or not mask.is_contiguous() or not applies(values):
        return None
    out = torch.empty(values.shape, dtype=values.dtype)
    _kernels().masked_at(values.data_ptr(), mask.data_ptr(), out.data_ptr(), values.numel(),
                         LIKE[values.dtype])
    return out


def quantize_clip(values: Tensor, factor: Any, step: float, bound: float,
                  want_mask: bool) -> Optional[Tuple[Tensor, Optional[Tensor]]]:
    """DAC inputs ``clip(quant(values * factor), -bound, bound)`` of ``[B, N]`` values
    (``factor`` a float or per-row ``[B]``; ``quant`` as in :func:`output_stage_`; no
    clip for an infinite bound) as a new tensor, and with ``want_mask`` the bool mask of
    the entries inside the bounds, ``None`` when none was clipped. ``None`` where
    :func:`applies` is false (also for a factor tensor it does not take)."""
    if values.dim() != 2 or not applies(values):
        return None
    factors_at = 0
    if isinstance(factor, Tensor):
        if factor.dtype != values.dtype or not factor.is_cpu or not factor.is_contiguous() \
                or factor.shape != values.shape[:1]:
            return None
        factors_at = factor.data_ptr()
        factor = 1.0
    out = torch.empty(values.shape, dtype=values.dtype)
    mask = torch.empty(values.shape, dtype=torch.bool) if want_mask else None
    clipped = _kernels().quantize_clip_at(
        values.data_ptr(), out.data_ptr(), values.shape[0], values.shape[1], factors_at,
        float(factor), float(step), float(bound), 0 if mask is None else mask.data_ptr(),
        LIKE[values.dtype])
    return out, (mask if clipped else None)


def _rows(tensor: Tensor) -> Optional[int]:
    """The row stride of a 2-d tensor whose rows are contiguous (``None`` otherwise)."""
    if tensor.dim() != 2 or (tensor.stride(1) != 1 and tensor.shape[1] > 1):
        return None
    return tensor.stride(0)


def clip_scale(values: Tensor, bound: float) -> Optional[Tuple[Tensor, int]]:
    """The input-range clip ``clip(x, -r, r) / r`` of ``[B, N]`` inputs (rows contiguous)
    as a new contiguous tensor in one compiled pass, rounded as the torch operations, and
    the number of inputs with ``|x| < r`` false (on or beyond the bounds, or NaN);
    ``None`` where it does not apply (see :func:`applies`, ignoring the layout)."""
    stride = _rows(values)
    if stride is None or not _any_layout(values):
        return None
    out = torch.empty(values.shape, dtype=values.dtype)
    outside = _kernels().clip_scale_at(values.data_ptr(), stride, values.shape[0],
                                       values.shape[1], float(bound), out.data_ptr(),
                                       LIKE[values.dtype])
    return out, int(outside)


def clip_scale_backward(grad: Tensor, raw: Tensor, bound: float, input_grad: bool
                        ) -> Optional[Tuple[Optional[Tensor], float, int]]:
    """Backward of :func:`clip_scale` in one compiled call: with ``g = grad / r``, the
    input gradient (``g`` where ``-r <= x <= r``, else 0; only with ``input_grad``), the
    input-range gradient sum ``sum(min(g, 0) [x >= r]) - sum(max(g, 0) [x <= -r])``
    (float64) and the number of inputs with ``|x| < r``; ``None`` where it does not
    apply."""
    if grad.shape != raw.shape or grad.dtype != raw.dtype or grad.dim() != 2:
        return None
    if _rows(grad) is None:   # e.g. an expanded gradient: one contiguous copy
        grad = grad.contiguous()
    grad_stride, raw_stride = _rows(grad), _rows(raw)
    if raw_stride is None or not _any_layout(grad) or not raw.is_cpu:
        return None
    out = torch.empty(grad.shape, dtype=grad.dtype) if input_grad else None
    total, inside = _kernels().clip_scale_backward_at(
        grad.data_ptr(), grad_stride, raw.data_ptr(), raw_stride, grad.shape[0],
        grad.shape[1], float(bound), 0 if out is None else out.data_ptr(), LIKE[grad.dtype])
    return out, float(total), int(inside)


def std(values: Tensor) -> Optional[float]:
    """``values.std()`` (Bessel-corrected) as a float from compiled passes with float64
    sums (one for float32 values, two for float64), the result rounded to the values'
    type (within one float32 ulp of torch's value for data whose mean is not a thousand
    times its spread); NaN when some value is not finite. For contiguous tensors and matrices of
    contiguous rows; ``None`` where it does not apply (see :func:`applies`)."""
    if not _any_layout(values):
        return None
    if values.is_contiguous():
        shape = (1, values.numel(), values.numel())
    else:
        stride = _rows(values)
        if stride is None:
            return None
        shape = (values.shape[0], values.shape[1], stride)
    spread = _kernels().std_at(values.data_ptr(), *shape, LIKE[values.dtype])
    return float(LIKE[values.dtype].dtype.type(spread))   # rounded to the values' type
