"""numba kernels of :mod:`~aihwkit.simulator.rpu_base.kernels.elementwise` (imported on
first use).

Every kernel takes contiguous CPU tensors by address with an empty array ``like`` of
their floating point type. Quantization and clipping compute in that type (Python floats
converted first, as torch converts scalars), so that they round exactly as the torch
operations they replace.
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from aihwkit.simulator.rpu_base.kernels._fused_numba import (
    _GOLDEN, _mixed, _normal_from, _values_at)

_jit = numba.njit(cache=True, nogil=True)
_inline = numba.njit(cache=True, nogil=True, inline="always")
# float32 normals: fused multiply-adds allowed (the polynomials are ours), no other
# reassociation; square roots of the (non-negative) radii without error checks
_vector = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
# sums over finite values in any order (they vectorise); the results differ from a
# sequential sum by rounding only
_reduce = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})

_BYTES = np.empty(0, np.uint8)


@_jit
def add_normal_at(source_at, out_at, count, scale, seed, like):
    """``out[k] = source[k] + scale xi_k`` (``source_at == 0``: ``out[k] = scale xi_k``)
    with standard normals ``xi`` by the ziggurat from the SplitMix64 stream at
    ``seed``; the sum is formed in float64 and rounded once to the values' type."""
    out = numba.carray(_values_at(out_at, like), (count,))
    source = numba.carray(_values_at(source_at if source_at else out_at, like), (count,))
    counter = _mixed(np.uint64(seed))
    if source_at:
        for k in range(count):
            value, counter = _normal_from(counter)
            out[k] = source[k] + scale * value
    else:
        for k in range(count):
            value, counter = _normal_from(counter)
            out[k] = scale * value


@intrinsic
def _float_of(typingctx, bits):  # pylint: disable=unused-argument
    """The float32 with the bit pattern of the uint32 ``bits``."""
    sig = types.float32(types.uint32)

    def codegen(context, builder, signature, args):  # pylint: disable=unused-argument
        return builder.bitcast(args[0], ir.FloatType())
    return sig, codegen


@intrinsic
def _bits_of(typingctx, value):  # pylint: disable=unused-argument
    """The bit pattern (uint32) of the float32 ``value``."""
    sig = types.uint32(types.float32)

    def codegen(context, builder, signature, args):  # pylint: disable=unused-argument
        return builder.bitcast(args[0], ir.IntType(32))
    return sig, codegen


_F = np.float32
# log(1 + x) = x - x^2/2 + x^3 P(x) on [sqrt(1/2) - 1, sqrt(2) - 1] (Cephes' logf
# coefficients, about 1 ulp), ln 2 split in a high and a low part
_LOG = tuple(_F(v) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                             -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                             2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_LN2_HIGH, _LN2_LOW = _F(0.693359375), _F(-2.12194440e-4)
# sin and cos on [0, pi/4] (Cephes' sinf/cosf coefficients)
_SIN = (_F(-1.9515295891e-4), _F(8.3321608736e-3), _F(-1.6666654611e-1))
_COS = (_F(2.443315711809948e-5), _F(-1.388731625493765e-3), _F(4.166664568298827e-2))
_MANTISSA = np.uint32(0x7FFFFF)
_SQRT_HALF_BITS = np.uint32(0x3F3504F3)
_TO_SQRT_HALF = np.uint32(0x3F800000 - 0x3F3504F3)
_EXP_SHIFT = np.uint32(23)
_BIAS = np.int32(0x7F)
_TWO_M24 = _F(2.0 ** -24)
_OCTANT_STEP = _F(2.0 ** -21 * math.pi / 4)
_S40, _S8, _S21 = np.uint64(40), np.uint64(8), np.uint64(21)
_LOW24 = np.uint64(0xFFFFFF)
_LOW21 = np.int32(0x1FFFFF)
# pairs of normals per block (scratch of two float32 rows)
PAIRS = 2048


@_inline
def _log32(u):
    """Natural logarithm of a positive normal float32 ``u`` without branches: ``u = 2^e m``
    with ``m`` in ``[sqrt(1/2), sqrt(2))`` read from the bits."""
    bits = _bits_of(u) + _TO_SQRT_HALF
    e = _F(np.int32(bits >> _EXP_SHIFT) - _BIAS)
    x = _float_of((bits & _MANTISSA) + _SQRT_HALF_BITS) - _F(1.0)
    z = x * x
    p = ((((((((_LOG[0] * x + _LOG[1]) * x + _LOG[2]) * x + _LOG[3]) * x + _LOG[4]) * x
              + _LOG[5]) * x + _LOG[6]) * x + _LOG[7]) * x + _LOG[8])
    return x + (p * x * z + _LN2_LOW * e - _F(0.5) * z) + _LN2_HIGH * e


@_inline
def _octant_pair(uniform, angle, factor):
    """``factor (r cos t, r sin t)`` with ``r = sqrt(-2 ln uniform)`` and ``t`` from the
    24-bit ``angle``: the octant from its top 3 bits, ``[0, pi/4)`` from the rest;
    reflections (swap, sign of either part) by the octant bits cover the circle once."""
    radius = np.sqrt(_F(-2.0) * _log32(uniform)) * factor
    octant = angle >> np.int32(21)
    y = _F(angle & _LOW21) * _OCTANT_STEP
    y2 = y * y
    s = y + y * y2 * (_SIN[2] + y2 * (_SIN[1] + y2 * _SIN[0]))
    c = _F(1.0) - _F(0.5) * y2 + y2 * y2 * (_COS[2] + y2 * (_COS[1] + y2 * _COS[0]))
    swap = (octant & 1) != 0
    a = s if swap else c
    b = c if swap else s
    a = -a if (octant & 2) != 0 else a
    b = -b if (octant & 4) != 0 else b
    return radius * a, radius * b


@_vector
def add_normal32_at(source_at, out_at, count, scale, seed, like):
    """float32 version of :func:`add_normal_at` by the Box-Muller transform in vectorised
    passes over blocks of ``2 PAIRS`` entries: pair ``p`` of block entries
    ``(j, j + PAIRS)`` takes one SplitMix64 output of counter ``seed + p golden``, 24 bits for ``u1`` in ``(0, 1]`` (so ``|xi| <= 5.77``, as for
    torch's float32 normals), 24 bits for the angle ``t``: ``(r cos t, r sin t)`` with
    ``r = sqrt(-2 ln u1)``. The last block may be short (its second half shorter)."""
    out = numba.carray(_values_at(out_at, like), (count,))
    source = numba.carray(_values_at(source_at if source_at else out_at, like), (count,))
    uniform = np.empty(PAIRS, np.float32)
    angle = np.empty(PAIRS, np.int32)
    base = np.uint64(seed)
    factor = _F(scale)
    for block in range(-(-count // (2 * PAIRS))):
        start = block * 2 * PAIRS
        pairs = min(PAIRS, (count - start + 1) // 2)
        offset = np.uint64(block * PAIRS)
        for j in range(pairs):
            z = _mixed(base + (offset + np.uint64(j)) * _GOLDEN)
            uniform[j] = _F(np.int32(z >> _S40) + np.int32(1)) * _TWO_M24
            angle[j] = np.int32((z >> _S8) & _LOW24)
        firsts = out[start:start + pairs]
        seconds = out[start + pairs:min(count, start + 2 * pairs)]
        paired = seconds.shape[0]    # pairs, or pairs - 1 for an odd count
        if source_at == out_at:   # in place (one array: the loop vectorises)
            for j in range(paired):
                a, b = _octant_pair(uniform[j], angle[j], factor)
                firsts[j] += a
                seconds[j] += b
        elif source_at:
            origin_first = source[start:start + pairs]
            origin_second = source[start + pairs:start + pairs + paired]
            for j in range(paired):
                a, b = _octant_pair(uniform[j], angle[j], factor)
                firsts[j] = origin_first[j] + a
                seconds[j] = origin_second[j] + b
        else:
            for j in range(paired):
                a, b = _octant_pair(uniform[j], angle[j], factor)
                firsts[j] = a
                seconds[j] = b
        if paired < pairs:   # the last pair has its first entry only
            a, _ = _octant_pair(uniform[pairs - 1], angle[pairs - 1], factor)
            firsts[pairs - 1] = source[start + pairs - 1] + a if source_at else a


@_jit
def quantize_clip_at(values_at, out_at, rows, size, factors_at, factor, step, bound,
                     mask_at, like):
    """DAC inputs ``out = clip(quant(values * f), -bound, bound)`` of ``[rows, size]``
    values, with the per-row factors at ``factors_at`` (0: the scalar ``factor``).
    ``quant(v) = v + (step rint(v / step) - v)`` (half to even; ``step <= 0``: none);
    ``bound`` infinite or ``<= 0``: no clip. With ``mask_at``, ``mask[k] = 1`` where the
    quantized value lay inside the bounds (bytes). Returns whether some value was
    clipped. ``out`` may be ``values``."""
    values = numba.carray(_values_at(values_at, like), (rows, size))
    out = numba.carray(_values_at(out_at, like), (rows, size))
    factors = numba.carray(_values_at(factors_at if factors_at else values_at, like), (rows,))
    mask = numba.carray(_values_at(mask_at if mask_at else out_at, _BYTES), (rows, size))
    clip = math.isfinite(bound) and bound > 0
    conv = np.empty(3, like.dtype)
    conv[0] = factor
    conv[1] = step if step > 0 else 1.0
    conv[2] = bound if clip else 0.0
    step_t, high = conv[1], conv[2]
    outside = 0
    # row views and loops from 0: the loops vectorise
    for r in range(rows):
        f = factors[r] if factors_at else conv[0]
        source = values[r]
        target = out[r]
        if step > 0:
            for k in range(size):
                v = source[k] * f
                target[k] = (np.rint(v / step_t) * step_t - v) + v
        else:
            for k in range(size):
                target[k] = source[k] * f
        if clip and mask_at:
            outside |= _clip_masked(target, mask[r], high)
        elif clip:
            for k in range(size):
                v = target[k]
                outside |= np.uint8((v < -high) | (v > high))
                target[k] = min(max(v, -high), high)
    return outside != 0


@_inline
def _clip_masked(target, inside_row, high):
    """Clip the 1-d ``target`` to ``[-high, high]`` in place, ``inside_row[k] = 1`` where
    it was inside; returns 1 when some value was outside."""
    outside = np.uint8(0)
    for k in range(target.shape[0]):
        v = target[k]
        inside = (v >= -high) & (v <= high)
        outside |= np.uint8(inside) ^ np.uint8(1)
        inside_row[k] = inside
        target[k] = min(max(v, -high), high)
    return outside


@_jit
def clip_masked_at(values_at, count, bound, mask_at, like):
    """Clip ``count`` values to ``[-bound, bound]`` in place (the bound converted to their
    type first) and write ``mask[k] = 1`` (bytes) where a value was inside."""
    conv = np.empty(1, like.dtype)
    conv[0] = bound
    _clip_masked(numba.carray(_values_at(values_at, like), (count,)),
                 numba.carray(_values_at(mask_at, _BYTES), (count,)), conv[0])


@_jit
def masked_at(values_at, mask_at, out_at, count, like):
    """``out[k] = values[k]`` where the byte ``mask[k]`` is set, else 0."""
    values = numba.carray(_values_at(values_at, like), (count,))
    mask = numba.carray(_values_at(mask_at, _BYTES), (count,))
    out = numba.carray(_values_at(out_at, like), (count,))
    conv = np.zeros(1, like.dtype)
    zero = conv[0]
    for k in range(count):
        out[k] = values[k] if mask[k] else zero


_MAGNITUDE = np.uint32(0x7FFFFFFF)


@_jit
def abs_max_at(values_at, count, like):
    """``max |v|`` of ``count`` values (0 for none; NaN when some value is NaN). float32
    compares the bit patterns with the sign cleared as unsigned integers: their order is
    that of the magnitudes, every NaN pattern lies above infinity, and the integer
    maximum vectorises (a floating point maximum with NaN semantics does not)."""
    values = numba.carray(_values_at(values_at, like), (count,))
    if like.itemsize == 4:
        peak_bits = np.uint32(0)
        for k in range(count):
            bits = _bits_of(values[k]) & _MAGNITUDE
            peak_bits = bits if bits > peak_bits else peak_bits
        return np.float64(_float_of(peak_bits))
    peak = 0.0
    for k in range(count):
        magnitude = abs(values[k])
        if not magnitude <= peak:   # larger, or NaN
            peak = magnitude
            if magnitude != magnitude:
                return magnitude
    return peak


@_jit
def clamp_at(values_at, count, bound, like):
    """``clamp(v, -bound, bound)`` in place (the bound converted to the values' type
    first, NaN stays NaN), as ``torch.clamp_``."""
    values = numba.carray(_values_at(values_at, like), (count,))
    conv = np.empty(1, like.dtype)
    conv[0] = bound
    high = conv[0]
    for k in range(count):
        v = values[k]
        v = -high if v < -high else v
        values[k] = high if v > high else v


@_jit
def quantize_at(values_at, count, step, bound, like):
    """ADC in place: ``v = v + (step rint(v / step) - v)`` (half to even; ``step <= 0``:
    none), then the saturation test against ``bound`` (infinite: none; no clip). Returns
    bit flags: 1 some value outside ``[-bound, bound]``, 2 some above, 4 some below."""
    values = numba.carray(_values_at(values_at, like), (count,))
    conv = np.empty(2, like.dtype)
    conv[0] = step if step > 0 else 1.0
    conv[1] = bound if math.isfinite(bound) else 0.0
    step_t, high = conv[0], conv[1]
    if step > 0:
        for k in range(count):
            v = values[k]
            values[k] = (np.rint(v / step_t) * step_t - v) + v
    above = False
    below = False
    if math.isfinite(bound):
        for k in range(count):
            v = values[k]
            above |= v > high
            below |= v < -high
    return (3 if above else 0) | (5 if below else 0)


@_jit
def clip_scale_at(values_at, stride, rows, cols, bound, out_at, like):
    """``out = clip(x, -r, r) / r`` of ``[rows, cols]`` inputs (rows ``stride`` values
    apart) into the contiguous ``out``, in the values' type (``r`` converted first).
    Returns the number of inputs not strictly inside, ``not |x| < r`` (NaN included)."""
    out = numba.carray(_values_at(out_at, like), (rows, cols))
    conv = np.empty(1, like.dtype)
    conv[0] = bound
    r = conv[0]
    outside = 0
    for row in range(rows):
        values = numba.carray(_values_at(values_at + row * stride * like.itemsize, like),
                              (cols,))
        target = out[row]
        for k in range(cols):
            x = values[k]
            outside += 0 if abs(x) < r else 1
            target[k] = min(max(x, -r), r) / r
    return outside


@_reduce
def clip_scale_backward_at(grad_at, grad_stride, raw_at, raw_stride, rows, cols, bound,
                           out_at, like):
    """Backward of :func:`clip_scale_at` for the output gradient ``grad`` and the inputs
    ``x`` (rows ``*_stride`` values apart): ``g = grad / r``; with ``out_at`` the input
    gradient ``out = g`` where ``-r <= x <= r``, else 0 (contiguous); returns the sums of
    the input-range gradient ``sum(min(g, 0) [x >= r]) - sum(max(g, 0) [x <= -r])``
    (float64) and the number of inputs with ``|x| < r``."""
    out = numba.carray(_values_at(out_at if out_at else grad_at, like), (rows, cols))
    conv = np.zeros(2, like.dtype)
    conv[0] = bound
    r, zero = conv[0], conv[1]
    total = 0.0
    inside = 0
    for row in range(rows):
        grad = numba.carray(_values_at(grad_at + row * grad_stride * like.itemsize, like),
                            (cols,))
        raw = numba.carray(_values_at(raw_at + row * raw_stride * like.itemsize, like),
                           (cols,))
        for k in range(cols):
            x = raw[k]
            g = grad[k] / r
            low = g if (x >= r) & (g < 0) else 0.0
            high = g if (x <= -r) & (g > 0) else 0.0
            total += np.float64(low) - np.float64(high)
            inside += 1 if abs(x) < r else 0
        if out_at:   # a loop of its own: both vectorise
            target = out[row]
            for k in range(cols):
                x = raw[k]
                g = grad[k] / r
                target[k] = g if (x >= -r) & (x <= r) else zero
    return total, inside


@_reduce
def std_at(address, rows, cols, row_stride, like):
    """Standard deviation (Bessel-corrected, float64 sums) of ``[rows, cols]`` values
    (rows ``row_stride`` values apart); 0 for fewer than two. float32 values in one pass
    (``sum x`` and ``sum x^2`` in float64: their cancellation error stays far below a
    float32 ulp unless ``|mean| / std`` exceeds about 1e3), float64 ones in two (the mean
    first)."""
    count = rows * cols
    if count < 2:
        return 0.0
    total = 0.0
    squares = 0.0
    single = like.itemsize == 4
    for row in range(rows):
        values = numba.carray(_values_at(address + row * row_stride * like.itemsize, like),
                              (cols,))
        if single:
            for k in range(cols):
                value = np.float64(values[k])
                total += value
                squares += value * value
        else:
            for k in range(cols):
                total += np.float64(values[k])
    mean = total / count
    if single:
        spread = squares - total * mean
        if spread < 0.0:   # rounding only (NaN stays NaN)
            spread = 0.0
        return math.sqrt(spread / (count - 1))
    for row in range(rows):
        values = numba.carray(_values_at(address + row * row_stride * like.itemsize, like),
                              (cols,))
        for k in range(cols):
            deviation = np.float64(values[k]) - mean
            squares += deviation * deviation
    return math.sqrt(squares / (count - 1))
