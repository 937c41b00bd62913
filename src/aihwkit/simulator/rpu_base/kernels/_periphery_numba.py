"""numba kernels of the compiled periphery (:mod:`~aihwkit.simulator.rpu_base.kernels.periphery`).

Both stages mirror the torch periphery operation by operation in the arrays' floating
point type (Python floats are converted to that type first, as torch converts scalars),
so that without noise they give its values exactly; the product between them is torch's.
"""

import math

import numba
import numpy as np

from aihwkit.simulator.rpu_base.kernels._elementwise_numba import (
    PAIRS, _LOW24, _S8, _S40, _TWO_M24, _octant_pair)
from aihwkit.simulator.rpu_base.kernels._fused_numba import (
    _GOLDEN, _mixed, _next64, _normal_from, _uniform_from, _values_at)

_jit = numba.njit(cache=True, nogil=True)
_inline = numba.njit(cache=True, nogil=True, inline="always")
# float32 normals and loops of selects: fused multiply-adds allowed, no reassociation
_vector = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})

# noise-management kinds understood by prepare()
NM_NONE, NM_ABS_MAX, NM_MAX, NM_CONSTANT = 0, 1, 2, 3


@_inline
def _row_scale(row, absolute):
    """``max_j |row_j|`` (``absolute``) or ``max_j row_j`` of a non-empty row; the row's
    first NaN if it holds one (as torch's reductions propagate NaN). Selects and an
    integer count, so that the loop vectorises."""
    high = row[0]
    low = row[0]
    nans = 0
    for j in range(row.shape[0]):
        value = row[j]
        high = value if value > high else high
        low = value if value < low else low
        nans += value != value
    if nans:
        for j in range(row.shape[0]):
            if row[j] != row[j]:
                return row[j]
    if not absolute:
        return high
    # high >= -low implies high >= 0 (abs turns a zero's sign positive, as |x| does)
    return abs(high) if high >= -low else -low


@_jit
def prepare(x, u, divisor, multiplier, w_std, kind, thres, zero_shortcut, inp_step, inp_inv,
            sto_round, inp_bound, inp_noise, w_noise, reduction, seed):
    """Noise management and DAC of rows ``x`` ``[R, N]`` into ``u`` ``[R, N]``.

    Writes the rows' divisors ``s`` (1 where ``s <= 0``) and output multipliers (0 on the
    exact-zero rows of the zero shortcut) when noise management is on (``kind > 0``);
    ``reduction`` is the bound-management input reduction of this pass. With additive
    weight noise (``w_noise > 0``) ``w_std[r] = w_noise ||u_r||`` is the std of the read
    noise of row ``r``'s outputs.
    """
    rows, size = x.shape
    conv = np.empty(4, x.dtype)
    conv[0] = inp_inv
    conv[1] = inp_step
    conv[2] = inp_bound if math.isfinite(inp_bound) else 0.0
    conv[3] = inp_noise
    inv_t, step_t, bound_t, noise_t = conv[0], conv[1], conv[2], conv[3]
    conv[0] = reduction
    reduction_t = conv[0]
    conv[0] = thres
    thres_t = conv[0]
    conv[0] = 1.0
    one = conv[0]
    conv[0] = 0.0
    zero = conv[0]
    bounded = math.isfinite(inp_bound)
    counter = np.uint64(seed)   # the stream's counter, a local (see _fused_numba)
    has_factor = kind > 0 or reduction != 1.0
    # quantization and clip without random draws: one loop of selects (it vectorises)
    quantize_clip = inp_step > 0.0 and not sto_round and inp_noise <= 0.0
    for r in range(rows):
        factor = one
        if kind > 0:
            if kind == NM_CONSTANT:
                scale = thres_t if thres > 0 else one
            else:
                scale = _row_scale(x[r], kind == NM_ABS_MAX)
                if thres > 0 and scale > thres_t:
                    scale = thres_t
            positive = scale > zero
            div = scale if positive else one
            divisor[r] = div
            if not zero_shortcut:
                multiplier[r] = div
            elif kind == NM_MAX:
                multiplier[r] = scale if positive else zero
            else:
                multiplier[r] = scale
            factor = one / div
            if reduction != 1.0:
                factor = factor / reduction_t
        elif reduction != 1.0:
            factor = one / reduction_t
        if quantize_clip:
            c = factor * inv_t if has_factor else inv_t
            source = x[r]
            target = u[r]
            for j in range(size):
                value = np.rint(source[j] * c) * step_t
                if bounded:
                    value = -bound_t if value < -bound_t else value
                    value = bound_t if value > bound_t else value
                target[j] = value
        elif inp_step > 0.0:
            c = factor * inv_t if has_factor else inv_t
            for j in range(size):
                value = x[r, j] * c
                if sto_round:
                    draw, counter = _uniform_from(counter)
                    conv[0] = draw
                    value = value + (conv[0] - np.float32(0.5))
                u[r, j] = np.rint(value) * step_t
        elif has_factor:
            for j in range(size):
                u[r, j] = x[r, j] * factor
        else:
            for j in range(size):
                u[r, j] = x[r, j]
        if not quantize_clip:
            for j in range(size):
                value = u[r, j]
                if bounded:
                    if value < -bound_t:
                        value = -bound_t
                    elif value > bound_t:
                        value = bound_t
                if inp_noise > 0.0:
                    draw, counter = _normal_from(counter)
                    conv[0] = draw
                    value = value + noise_t * conv[0]
                u[r, j] = value
        if w_noise > 0.0:
            total = 0.0
            for j in range(size):
                total += float(u[r, j]) * float(u[r, j])
            w_std[r] = w_noise * math.sqrt(total)


@_inline
def _adc_constants(v, out_inv, bound, gain):
    """``1/Δ``, the bound (0 when infinite) and the gain in the type of the values ``v``
    (Python floats rounded as torch rounds scalars)."""
    conv = np.empty(3, v.dtype)
    conv[0] = out_inv
    conv[1] = bound if math.isfinite(bound) else 0.0
    conv[2] = gain
    return conv[0], conv[1], conv[2]


@_jit
def finalize(v, fail, multiplier, w_std, w_noise, out_noise, out_inv, quantized, sto_round,
             bound, test_bound, negative_test, gain, has_scale, seed):
    """ADC of the analog outputs ``v`` ``[R, L]`` in place: the weight read noise of
    std ``w_std[r]`` (when ``w_noise > 0``), output noise, division by the
    ADC step, (stochastic) rounding to levels, clip to ``bound`` (levels), then the scale
    back by ``multiplier * gain`` (or ``gain``). ``fail[r]`` tells whether row ``r``
    exceeded the bound (when ``test_bound``). Returns whether any row failed."""
    rows, size = v.shape
    inv_t, bound_t, gain_t = _adc_constants(v, out_inv, bound, gain)
    conv = np.empty(1, v.dtype)   # rounds a float64 draw to the values' type
    bounded = math.isfinite(bound)
    counter = np.uint64(seed)
    noise_std = out_noise * (out_inv if quantized else 1.0)
    any_fail = False
    for r in range(rows):
        failed = False
        for j in range(size):
            value = v[r, j]
            if w_noise > 0.0:
                draw, counter = _normal_from(counter)
                conv[0] = w_std[r] * draw
                value = value + conv[0]
            if out_noise > 0.0:
                draw, counter = _normal_from(counter)
                conv[0] = noise_std * draw
                value = conv[0] + inv_t * value if quantized else conv[0] + value
            elif quantized:
                value = value * inv_t
            if quantized:
                if sto_round:
                    draw, counter = _uniform_from(counter)
                    conv[0] = draw
                    value = value + (conv[0] - np.float32(0.5))
                value = np.rint(value)
            if bounded:
                if test_bound:
                    peak = abs(value) if negative_test else value
                    if peak > bound_t:
                        failed = True
                if value < -bound_t:
                    value = -bound_t
                elif value > bound_t:
                    value = bound_t
            v[r, j] = value
        fail[r] = failed
        any_fail = any_fail or failed
        if has_scale:
            scale = multiplier[r] * gain_t if gain != 1.0 else multiplier[r]
            for j in range(size):
                v[r, j] = v[r, j] * scale
        elif gain != 1.0:
            for j in range(size):
                v[r, j] = v[r, j] * gain_t
    return any_fail


@_vector
def adc_stage(v, fail, multiplier, has_scale, noise, out_inv, quantized, bound, test_bound,
              negative_test, gain, seed):
    """ADC of the analog outputs ``v`` ``[R, L]`` (contiguous) in place, in vectorised
    passes over blocks of ``2 PAIRS`` entries: ``v <- v / Δ + (σ / Δ) ξ`` (``out_inv =
    1/Δ``, or 1 without quantization; ``noise = σ/Δ``, float32 values only, 0: none), the
    rounding to levels (``quantized``), the clip to ``±bound`` (levels; infinite: none)
    and the scale back by ``multiplier[r] * gain`` (``has_scale``) or ``gain``.

    The normals are those of ``add_normal32_at`` at ``seed`` (pair ``p`` of block entries
    ``(j, j + PAIRS)`` from SplitMix64 counter ``seed + p golden``). ``fail[r]`` tells
    whether row ``r`` exceeded ``+bound`` (``|v| > bound`` with ``negative_test``) before
    the clip, when ``test_bound``; returns whether any row did. Without noise the values
    equal those of :func:`finalize`."""
    rows, size = v.shape
    count = rows * size
    flat = v.reshape(count)
    inv_t, bound_t, gain_t = _adc_constants(v, out_inv, bound, gain)
    bounded = math.isfinite(bound)
    factor = np.float32(noise)
    uniform = np.empty(PAIRS, np.float32)
    angle = np.empty(PAIRS, np.int32)
    base = np.uint64(seed)
    for r in range(rows):
        fail[r] = False
    any_fail = False
    for block in range(-(-count // (2 * PAIRS))):
        start = block * 2 * PAIRS
        stop = min(count, start + 2 * PAIRS)
        if noise > 0.0:
            pairs = min(PAIRS, (count - start + 1) // 2)
            offset = np.uint64(block * PAIRS)
            for j in range(pairs):
                z = _mixed(base + (offset + np.uint64(j)) * _GOLDEN)
                uniform[j] = np.float32(np.int32(z >> _S40) + np.int32(1)) * _TWO_M24
                angle[j] = np.int32((z >> _S8) & _LOW24)
            firsts = flat[start:start + pairs]
            seconds = flat[start + pairs:stop]
            paired = seconds.shape[0]    # pairs, or pairs - 1 for an odd count
            for j in range(paired):
                a, b = _octant_pair(uniform[j], angle[j], factor)
                firsts[j] = firsts[j] * inv_t + a
                seconds[j] = seconds[j] * inv_t + b
            if paired < pairs:   # the last pair has its first entry only
                a, _ = _octant_pair(uniform[pairs - 1], angle[pairs - 1], factor)
                firsts[pairs - 1] = firsts[pairs - 1] * inv_t + a
        elif out_inv != 1.0:
            chunk = flat[start:stop]
            for k in range(chunk.shape[0]):
                chunk[k] = chunk[k] * inv_t
        # the rows (or parts of rows) of this block, each in one loop of selects
        r = start // size
        while r * size < stop:
            part = flat[max(start, r * size):min(stop, (r + 1) * size)]
            scale = gain_t
            if has_scale:
                scale = multiplier[r] * gain_t if gain != 1.0 else multiplier[r]
            hits = 0
            for k in range(part.shape[0]):
                value = np.rint(part[k]) if quantized else part[k]
                if bounded:
                    peak = abs(value) if negative_test else value
                    hits += peak > bound_t
                    value = -bound_t if value < -bound_t else value
                    value = bound_t if value > bound_t else value
                part[k] = value * scale
            if test_bound and hits > 0:
                fail[r] = True
                any_fail = True
            r += 1
    return any_fail


_fast = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})


@_fast
def product(u, w, transposed, out):
    """``out = u w^T`` (``w`` ``[L, N]``) or ``out = u w`` (``transposed``, ``w``
    ``[N, L]``) for ``u`` ``[R, N]``: the analog product of a small tile. The sums are
    reassociated so that they vectorise; they differ from a BLAS product by rounding."""
    if transposed:
        _rows_times_matrix(u, w, out)
    else:
        _rows_times_transpose(u, w, out)


@_fast
def _rows_times_transpose(u, w, out):
    """``out = u w^T``: dot products of rows, four input rows per pass over ``w``."""
    rows, size = u.shape
    lines = w.shape[0]
    r = 0
    while r + 4 <= rows:
        for i in range(lines):
            # np.float32 zeros: the sums take the arrays' type (float64 arrays promote)
            a0 = np.float32(0.0)
            a1 = np.float32(0.0)
            a2 = np.float32(0.0)
            a3 = np.float32(0.0)
            for j in range(size):
                weight = w[i, j]
                a0 += u[r, j] * weight
                a1 += u[r + 1, j] * weight
                a2 += u[r + 2, j] * weight
                a3 += u[r + 3, j] * weight
            out[r, i] = a0
            out[r + 1, i] = a1
            out[r + 2, i] = a2
            out[r + 3, i] = a3
        r += 4
    while r < rows:
        for i in range(lines):
            total = np.float32(0.0)
            for j in range(size):
                total += u[r, j] * w[i, j]
            out[r, i] = total
        r += 1


@_fast
def _rows_times_matrix(u, w, out):
    """``out = u w``: each output row accumulates the rows of ``w`` scaled by ``u``."""
    rows, size = u.shape
    lines = w.shape[1]
    for r in range(rows):
        for i in range(lines):
            out[r, i] = 0.0
        for j in range(size):
            value = u[r, j]
            for i in range(lines):
                out[r, i] += value * w[j, i]


@_jit
def one_pass(x, w, transposed, out, fail, reals, flags, reduction, seed_in, seed_out):
    """One managed pass of the rows ``x`` ``[R, N]`` through a small tile in one call:
    :func:`prepare`, :func:`product` into ``out`` ``[R, L]``, :func:`finalize` in place.

    ``reals``: ``nm_thres, inp_step, inp_inv, inp_bound, inp_noise, w_noise, out_noise,
    out_inv, bound, gain`` (float64); ``flags``: ``kind, zero_shortcut, inp_sto_round,
    quantized, out_sto_round, test_bound, negative_test`` (int64). Returns whether any row
    saturated (``fail`` marks which)."""
    rows = x.shape[0]
    u = np.empty_like(x)
    divisor = np.empty(rows, x.dtype)
    multiplier = np.empty(rows, x.dtype)
    w_std = np.empty(rows, np.float64)
    kind = flags[0]
    prepare(x, u, divisor, multiplier, w_std, kind, reals[0], flags[1] != 0, reals[1],
            reals[2], flags[2] != 0, reals[3], reals[4], reals[5], reduction, seed_in)
    product(u, w, transposed, out)
    return finalize(out, fail, multiplier, w_std, reals[5], reals[6], reals[7], flags[3] != 0,
                    flags[4] != 0, reals[8], flags[5] != 0, flags[6] != 0,
                    reals[9] * reduction, kind > 0, seed_out)


_RETRY_STREAM = np.uint64(0x5851F42D4C957F2D)
_HALF = np.uint64(1)


@_jit
def _bm_limit_reached(reduction, max_factor, max_res, inp_step):
    """Whether iterative bound management stops after a pass with input reduction
    ``reduction`` (beyond ``max_factor``, or beyond ``max_res / inp_step`` with a DAC)."""
    if int(reduction) > max_factor:
        return True
    return inp_step > 0.0 and reduction > max_res / inp_step


@_jit
def managed_pass(x, w, transposed, out, reals, flags, max_factor, max_res, seed_in,
                 seed_out):
    """:func:`one_pass` over all rows, then iterative bound management: the rows that
    saturated are computed again with the input reduction doubled, until none saturates
    or the limit is reached (:func:`_bm_limit_reached`). The passes after the first draw
    from streams derived from ``seed_out``."""
    rows = x.shape[0]
    fail = np.empty(rows, np.bool_)
    if not one_pass(x, w, transposed, out, fail, reals, flags, 1.0, seed_in, seed_out):
        return
    rng = np.empty(1, np.uint64)
    rng[0] = np.uint64(seed_out) ^ _RETRY_STREAM
    index = np.arange(rows)
    values = x
    reduction = 1.0
    while not _bm_limit_reached(reduction, max_factor, max_res, reals[1]):
        count = 0
        for r in range(fail.shape[0]):
            if fail[r]:
                count += 1
        if count == 0:
            break
        kept = np.empty(count, np.int64)
        retry = np.empty((count, x.shape[1]), x.dtype)
        k = 0
        for r in range(fail.shape[0]):
            if fail[r]:
                kept[k] = index[r]
                retry[k, :] = values[r, :]
                k += 1
        index = kept
        values = retry
        reduction *= 2.0
        part = np.empty((count, out.shape[1]), out.dtype)
        fail = np.empty(count, np.bool_)
        next_in = np.int64(_next64(rng) >> _HALF)
        next_out = np.int64(_next64(rng) >> _HALF)
        one_pass(values, w, transposed, part, fail, reals, flags, reduction, next_in, next_out)
        for k in range(count):
            out[index[k], :] = part[k, :]


@_jit
def managed_at(x_at, rows, size, w_at, transposed, lines, out_at, like, reals, flags,
               max_factor, max_res, seed_in, seed_out):
    """:func:`managed_pass` on the memory of contiguous tensors of the dtype of ``like``
    (addresses and shapes): inputs ``[rows, size]``, weights ``[lines, size]``
    (``[size, lines]`` when ``transposed``), outputs ``[rows, lines]``."""
    managed_pass(numba.carray(_values_at(x_at, like), (rows, size)),
                 numba.carray(_values_at(w_at, like), (size, lines) if transposed
                              else (lines, size)),
                 transposed, numba.carray(_values_at(out_at, like), (rows, lines)), reals,
                 flags, max_factor, max_res, seed_in, seed_out)
