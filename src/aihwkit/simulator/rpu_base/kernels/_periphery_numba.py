"""numba kernels of the compiled periphery (:mod:`~aihwkit.simulator.rpu_base.kernels.periphery`).

Both stages mirror the torch periphery operation by operation in the arrays' floating
point type (Python floats are converted to that type first, as torch converts scalars),
so that without noise they give its values exactly; the product between them is torch's.
"""

import math

import numba
import numpy as np

from aihwkit.simulator.rpu_base.kernels._fused_numba import _normal, _uniform

_jit = numba.njit(cache=True, nogil=True)

# noise-management kinds understood by prepare()
NM_NONE, NM_ABS_MAX, NM_MAX, NM_CONSTANT = 0, 1, 2, 3


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
    rng = np.empty(1, np.uint64)
    rng[0] = np.uint64(seed)
    has_factor = kind > 0 or reduction != 1.0
    for r in range(rows):
        factor = one
        if kind > 0:
            if kind == NM_CONSTANT:
                scale = thres_t if thres > 0 else one
            else:
                scale = abs(x[r, 0]) if kind == NM_ABS_MAX else x[r, 0]
                for j in range(1, size):
                    value = abs(x[r, j]) if kind == NM_ABS_MAX else x[r, j]
                    if value > scale or value != value:
                        scale = value
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
        if inp_step > 0.0:
            c = factor * inv_t if has_factor else inv_t
            for j in range(size):
                value = x[r, j] * c
                if sto_round:
                    conv[0] = _uniform(rng)
                    value = value + (conv[0] - np.float32(0.5))
                u[r, j] = np.rint(value) * step_t
        elif has_factor:
            for j in range(size):
                u[r, j] = x[r, j] * factor
        else:
            for j in range(size):
                u[r, j] = x[r, j]
        for j in range(size):
            value = u[r, j]
            if bounded:
                if value < -bound_t:
                    value = -bound_t
                elif value > bound_t:
                    value = bound_t
            if inp_noise > 0.0:
                conv[0] = _normal(rng)
                value = value + noise_t * conv[0]
            u[r, j] = value
        if w_noise > 0.0:
            total = 0.0
            for j in range(size):
                total += float(u[r, j]) * float(u[r, j])
            w_std[r] = w_noise * math.sqrt(total)


@_jit
def finalize(v, fail, multiplier, w_std, w_noise, out_noise, out_inv, quantized, sto_round,
             bound, test_bound, negative_test, gain, has_scale, seed):
    """ADC of the analog outputs ``v`` ``[R, L]`` in place: the weight read noise of
    std ``w_std[r]`` (when ``w_noise > 0``), output noise, division by the
    ADC step, (stochastic) rounding to levels, clip to ``bound`` (levels), then the scale
    back by ``multiplier * gain`` (or ``gain``). ``fail[r]`` tells whether row ``r``
    exceeded the bound (when ``test_bound``). Returns whether any row failed."""
    rows, size = v.shape
    conv = np.empty(4, v.dtype)
    conv[0] = out_inv
    conv[1] = bound if math.isfinite(bound) else 0.0
    conv[2] = gain
    inv_t, bound_t, gain_t = conv[0], conv[1], conv[2]
    bounded = math.isfinite(bound)
    rng = np.empty(1, np.uint64)
    rng[0] = np.uint64(seed)
    noise_std = out_noise * (out_inv if quantized else 1.0)
    any_fail = False
    for r in range(rows):
        failed = False
        for j in range(size):
            value = v[r, j]
            if w_noise > 0.0:
                conv[3] = w_std[r] * _normal(rng)
                value = value + conv[3]
            if out_noise > 0.0:
                conv[3] = noise_std * _normal(rng)
                value = conv[3] + inv_t * value if quantized else conv[3] + value
            elif quantized:
                value = value * inv_t
            if quantized:
                if sto_round:
                    conv[3] = _uniform(rng)
                    value = value + (conv[3] - np.float32(0.5))
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
