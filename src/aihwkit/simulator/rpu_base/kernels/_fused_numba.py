"""numba kernels of :mod:`~aihwkit.simulator.rpu_base.kernels.fused` (imported on first use).

Arithmetic on device values stays in the state's floating point type (the float64 noise
factors are rounded to it first, :func:`_rounded_like`), so that without noise every pulse
rounds exactly as the torch reference does. Helpers called per pulse take and return
scalars (the stream's counter too): an array handed to them costs reference counting on
every call even where they are inlined.
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from aihwkit.simulator.rpu_base.rng import SPLITMIX_GOLDEN, SPLITMIX_MIX1, SPLITMIX_MIX2

_intrinsic = intrinsic

_GOLDEN = np.uint64(SPLITMIX_GOLDEN)
_MIX1 = np.uint64(SPLITMIX_MIX1)
_MIX2 = np.uint64(SPLITMIX_MIX2)
_LOW32 = np.uint64(0xFFFFFFFF)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ONE = np.uint64(1)
_S11, _S27, _S30, _S31, _S32 = (np.uint64(v) for v in (11, 27, 30, 31, 32))
_INV53 = 1.0 / 9007199254740992.0
_TWO32 = 4294967296.0

_jit = numba.njit(cache=True, nogil=True)
# small helpers, inlined into their callers (no call per pulse; array arguments still cost
# reference counting per call, so the per-pulse ones take scalars)
_inline = numba.njit(cache=True, nogil=True, inline="always")


@intrinsic
def _popcount(typingctx, value):  # pylint: disable=unused-argument
    """Number of set bits of a uint64 (LLVM's ctpop)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):  # pylint: disable=unused-argument
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, args)
    return sig, codegen


# kernels named ``*_at`` take contiguous CPU tensors by address and shape
# (``tensor.data_ptr()``; no array object is built per call for them) and an empty array
# ``like`` of their floating point type
@intrinsic
def _values_at(typingctx, address, like):  # pylint: disable=unused-argument
    """A pointer to values of the dtype of the array ``like`` (an empty witness) at the
    int64 ``address``: one kernel compiles once per dtype."""
    element = like.dtype
    sig = types.CPointer(element)(types.int64, like)

    def codegen(context, builder, signature, args):  # pylint: disable=unused-argument
        return builder.inttoptr(args[0], context.get_value_type(element).as_pointer())
    return sig, codegen


@_inline
def _mixed(z):
    """SplitMix64's output function of the counter value ``z``."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@_inline
def _next64(rng):
    """SplitMix64; ``rng[0]`` is the stream's counter."""
    z = rng[0] + _GOLDEN
    rng[0] = z
    return _mixed(z)


@_inline
def _uniform_from(counter):
    """Uniform on [0, 1) with 53 random bits from the SplitMix64 stream at ``counter``;
    returns the value and the advanced counter."""
    counter += _GOLDEN
    return float(_mixed(counter) >> _S11) * _INV53, counter


def _ziggurat_tables(layers: int = 128, edge: float = 3.442619855899,
                     area: float = 9.91256303526217e-3):
    """Layer tables of Marsaglia and Tsang's ziggurat for the standard normal density
    ``f(x) = exp(-x^2 / 2)`` with ``layers`` layers of equal ``area``; ``edge`` is the
    start of the tail. Returns ``(k, w, f)``: acceptance thresholds for a signed 32-bit
    draw, the scale of a draw to ``x``, and ``f`` at the layer edges."""
    scale = 2.0 ** 31
    k = np.zeros(layers, np.int64)
    w = np.zeros(layers, np.float64)
    f = np.zeros(layers, np.float64)
    x = edge
    q = area / math.exp(-0.5 * x * x)
    k[0] = int(x / q * scale)
    w[0] = q / scale
    w[layers - 1] = x / scale
    f[0] = 1.0
    f[layers - 1] = math.exp(-0.5 * x * x)
    previous = x
    for i in range(layers - 2, 0, -1):
        x = math.sqrt(-2.0 * math.log(area / x + math.exp(-0.5 * x * x)))
        k[i + 1] = int(x / previous * scale)
        previous = x
        f[i] = math.exp(-0.5 * x * x)
        w[i] = x / scale
    return k, w, f


_ZK, _ZW, _ZF = _ziggurat_tables()
_ZEDGE = 3.442619855899
_LAYER = np.uint64(127)


@_inline
def _normal_from(counter):
    """Standard normal by the ziggurat from the SplitMix64 stream at ``counter``; returns
    the value and the advanced counter (a local counter stays in a register). The low 7
    bits of one 64-bit draw pick the layer, the high 32 bits (signed) the position; most
    draws are accepted at once, the rest go to :func:`_normal_rest`."""
    counter += _GOLDEN
    z = _mixed(counter)
    layer = int(z & _LAYER)
    signed = np.int64(np.int32(np.uint32(z >> _S32)))
    if abs(signed) < _ZK[layer]:
        return signed * _ZW[layer], counter
    return _normal_rest(z, counter)


@_inline
def _outside(layer, signed, counter):
    """One try of the ziggurat for a draw outside its layer's rectangle (position
    ``signed`` in ``layer``): the tail beyond the edge (layer 0, by Marsaglia's exponential
    method) or the wedge between the rectangle and the density. Returns whether it was
    accepted, the value and the advanced counter."""
    x = signed * _ZW[layer]
    if layer == 0:
        while True:
            uniform, counter = _uniform_from(counter)
            tail = -math.log(1.0 - uniform) / _ZEDGE
            uniform, counter = _uniform_from(counter)
            height = -math.log(1.0 - uniform)
            if height + height >= tail * tail:
                break
        return True, (_ZEDGE + tail if signed > 0 else -_ZEDGE - tail), counter
    wedge, counter = _uniform_from(counter)
    return (_ZF[layer] + wedge * (_ZF[layer - 1] - _ZF[layer]) < math.exp(-0.5 * x * x),
            x, counter)


@_jit
def _normal_rest(z, counter):
    """The ziggurat after the draw ``z`` fell outside its layer's rectangle, with fresh
    draws until one is accepted (a call of its own, so that the accepted case stays short
    where it is inlined)."""
    while True:
        layer = int(z & _LAYER)
        signed = np.int64(np.int32(np.uint32(z >> _S32)))
        if abs(signed) < _ZK[layer]:
            return signed * _ZW[layer], counter
        accepted, value, counter = _outside(layer, signed, counter)
        if accepted:
            return value, counter
        counter += _GOLDEN
        z = _mixed(counter)


@_intrinsic
def _rounded_like(typingctx, value, witness):  # pylint: disable=unused-argument
    """``value`` converted to the floating point type of ``witness`` (rounded to nearest,
    as a store into an array of that type rounds it)."""
    sig = witness(value, witness)

    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], signature.return_type)
    return sig, codegen


@_inline
def _pulse_run(w, n, a, c, lo, hi, sigma, mult, counter):
    """``n`` pulses of mean step ``a w + c`` on one device value, each with its own
    noise draw and a clip to ``[lo, hi]``; returns the value and the advanced counter of
    the SplitMix64 stream. The noise factor is rounded to the value's type before it
    scales the step, as the torch reference computes it."""
    if sigma <= 0.0:
        for _ in range(n):
            w = w + (a * w + c)
            w = lo if w < lo else (hi if w > hi else w)
        return w, counter
    for _ in range(n):
        step = a * w + c
        value, counter = _normal_from(counter)
        if mult:
            w = w + step * _rounded_like(1.0 + sigma * value, w)
        else:
            w = (w + step) + _rounded_like(sigma * value, w) * abs(c)
        w = lo if w < lo else (hi if w > hi else w)
    return w, counter


@_inline
def _probability(value, scale, res, sto_round, counter):
    """The pulse probability ``|value| scale`` of one train, quantized to ``res`` when
    ``res > 0`` (stochastically rounded with ``sto_round``, one uniform draw); returns it
    and the advanced counter."""
    p = abs(value) * scale
    if res > 0.0:
        if sto_round:
            uniform, counter = _uniform_from(counter)
            p = res * np.rint(p / res + uniform - 0.5)
        else:
            p = res * np.rint(p / res)
    return p, counter


@_inline
def _train(p, length, full, counter):
    """A Bernoulli train of ``length`` bits (``full``: all of them set) with probability
    ``p``: one 64-bit draw per two bits where ``0 < p < 1``. Returns the bits and the
    advanced counter."""
    if p >= 1.0:
        return full, counter
    bits = np.uint64(0)
    if p > 0.0:
        # a 32-bit draw u is below p 2^32 exactly when u < ceil(p 2^32): integer
        # compares, set without branches (the outcomes are random, branches mispredict)
        threshold = np.uint64(math.ceil(p * _TWO32))
        k = 0
        while k < length:
            counter += _GOLDEN
            z = _mixed(counter)
            bits |= np.uint64((z & _LOW32) < threshold) << np.uint64(k)
            bits |= np.uint64((z >> _S32) < threshold) << np.uint64(k + 1)
            k += 2
        bits &= full
    return bits, counter


@_inline
def _full_bits(length):
    """The train with all ``length`` bits set."""
    return _ALL if length == 64 else (_ONE << np.uint64(length)) - _ONE


@_inline
def _masks(values, scale, length, res, sto_round, out, rng):
    """Bernoulli trains of ``length`` bits with probabilities ``|v| scale`` (quantized to
    ``res`` when ``res > 0``, stochastically rounded with ``sto_round``)."""
    full = _full_bits(length)
    counter = rng[0]   # in a local for the trains, stored back after them
    for j in range(values.shape[0]):
        p, counter = _probability(values[j], scale, res, sto_round, counter)
        out[j], counter = _train(p, length, full, counter)
    rng[0] = counter


@_inline
def _one_hot_train(line, size, scale, length, res, sto_round, counter):
    """:func:`_masks` of the one-hot vector ``e_line`` of ``size`` entries: the train of
    entry ``line`` (probability ``scale``) and the counter advanced as the whole vector
    advances it (each zero entry takes one draw when ``res > 0`` and ``sto_round``, and
    never gets a pulse: ``rint(u - 1/2) = 0`` for ``u`` in [0, 1))."""
    zero_draws = res > 0.0 and sto_round
    if zero_draws:
        counter += _GOLDEN * np.uint64(line)
    p, counter = _probability(1.0, scale, res, sto_round, counter)
    bits, counter = _train(p, length, _full_bits(length), counter)
    if zero_draws:
        counter += _GOLDEN * np.uint64(size - 1 - line)
    return bits, counter


@_intrinsic
def _lowest_bit(typingctx, value):  # pylint: disable=unused-argument
    """Index of the lowest set bit of a non-zero uint64 (LLVM's cttz)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):  # pylint: disable=unused-argument
        fn = builder.module.declare_intrinsic("llvm.cttz", [ir.IntType(64), ir.IntType(1)])
        return builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 1)])
    return sig, codegen


@_inline
def _list_columns(x_bits, length, work):
    """Fill the column lists of ``work`` (a :func:`_work_buffers` tuple): the columns
    whose train holds bit ``k`` are ``columns[offsets[k]:offsets[k + 1]]`` and the
    columns with any bit ``active[:count]``, each in ascending order; returns ``count``."""
    offsets, columns, cursor, active, _, _ = work
    for k in range(length + 1):
        offsets[k] = 0
    count = 0
    for j in range(x_bits.shape[0]):
        bits = x_bits[j]
        # branch-free append (whether a train is empty is random)
        active[count] = j
        count += bits != 0
        while bits != 0:
            offsets[np.int64(_lowest_bit(bits)) + 1] += 1
            bits &= bits - _ONE
    for k in range(length):
        offsets[k + 1] += offsets[k]
        cursor[k] = offsets[k]
    for position in range(count):
        j = active[position]
        bits = x_bits[j]
        while bits != 0:
            k = np.int64(_lowest_bit(bits))
            columns[cursor[k]] = j
            cursor[k] += 1
            bits &= bits - _ONE
    return count


@_inline
def _apply_rows(state, table, touched, d_bits, d_sign, x_bits, x_sign, work, count, sigma,
                mult, counter):
    """The coincidences of every row (trains ``d_bits``, signs ``d_sign``) with the
    ``count`` listed columns (:func:`_list_columns`), pulse by pulse: the
    crosspoints of a row in ascending column order, each once with all its
    coincidences (the common bits of the two trains). Returns the advanced counter.

    A row with one bit visits that bit's column list; other rows visit the columns with
    any bit and count the common bits, so no count is written twice and read back (a
    read after a write to the same place stalls the processor where the columns repeat
    at random). (One loop over the rows here: an inlined helper called per row costs
    reference counting of its array arguments on every call.)"""
    offsets, columns, _, active, hits, found_counts = work
    x_size = x_sign.shape[0]
    for i in range(d_bits.shape[0]):
        bits = d_bits[i]
        found = 0
        if bits != 0 and bits & (bits - _ONE) == 0:
            k = np.int64(_lowest_bit(bits))
            for position in range(offsets[k], offsets[k + 1]):
                hits[found] = columns[position]
                found_counts[found] = 1
                found += 1
        elif bits != 0:
            for position in range(count):
                j = active[position]
                n = np.int64(_popcount(bits & x_bits[j]))
                hits[found] = j
                found_counts[found] = n
                found += n > 0
        base = i * x_size
        for position in range(found):
            j = hits[position]
            idx = base + j
            if d_sign[i] * x_sign[j] > 0:
                a = table[idx, 0]
                c = table[idx, 1]
            else:
                a = table[idx, 2]
                c = table[idx, 3]
            state[idx], counter = _pulse_run(state[idx], found_counts[position], a, c,
                                             table[idx, 4], table[idx, 5], sigma, mult,
                                             counter)
            touched[idx] = True
    return counter


@_inline
def _apply_sample(state, table, touched, d_bits, x_bits, d_sign, x_sign, length, work,
                  sigma, mult, rng):
    """The coincidences of one sample's trains (``length`` bits), applied pulse by pulse.

    Costs grow with the pulses and the columns that have any, not with the tile: the
    columns are listed by bit once, then every row with pulses visits the columns of its
    bit (one bit) or of any bit (:func:`_apply_rows`). ``work`` is a
    :func:`_work_buffers` tuple.
    """
    count = _list_columns(x_bits, length, work)
    rng[0] = _apply_rows(state, table, touched, d_bits, d_sign, x_bits, x_sign, work, count,
                         sigma, mult, rng[0])


@_jit
def _work_buffers(x_size):
    """Scratch of :func:`_apply_sample`: per-bit offsets and cursors, the per-bit column
    lists, the active columns, and the hit columns of a row with their coincidence
    counts; everything is written before it is read (nothing to zero)."""
    # active, hits, counts: one slot more than columns, the branch-free appends write one
    # ahead
    return (np.empty(65, np.int64), np.empty(64 * x_size, np.int32), np.empty(65, np.int64),
            np.empty(x_size + 1, np.int64), np.empty(x_size + 1, np.int64),
            np.empty(x_size + 1, np.int64))


@_inline
def _sample_buffers(x_size, d_size, seed):
    """The generator (seeded), the trains and signs of one sample and the
    :func:`_work_buffers` of an update."""
    rng = np.empty(1, np.uint64)
    rng[0] = np.uint64(seed)
    return (rng, np.empty(x_size, np.uint64),
            np.empty(d_size, np.uint64), np.empty(x_size, np.int8), np.empty(d_size, np.int8),
            _work_buffers(x_size))


@_inline
def _base_train(lam, gran, desired, fixed_bl, ublm):
    """Train length and probability scale of every sample when update BL management is
    off (``ublm`` on: computed per sample)."""
    if not ublm:
        if fixed_bl or gran * desired >= lam:
            return desired, math.sqrt(lam / (gran * desired))
        return max(int(math.ceil(lam / gran)), 1), 1.0
    return desired, 1.0


@_inline
def _sample_scales(x_max, d_max, lam, gran, desired, ublm, um_grad_scale, base_bl,
                   base_scale):
    """Train length and the probability scales ``(bl, a, b)`` of the ``d`` and ``x``
    trains of one sample with update management, from ``max |x|`` and ``max |d|``
    (both > 0); ``ublm``: the length from the sample as well."""
    bl = base_bl
    a_scale = base_scale
    b_scale = base_scale
    d_val = d_max * um_grad_scale
    k_val = lam * x_max * d_val / gran
    if ublm:
        bl = min(max(int(math.ceil(k_val)), 1), desired)
        a_scale = math.sqrt(lam / (gran * bl))
        b_scale = a_scale
    if k_val > desired:
        d_val = d_val * (desired / k_val)
    a_scale = a_scale * math.sqrt(x_max / d_val)
    b_scale = b_scale * math.sqrt(d_val / x_max)
    return bl, a_scale, b_scale


@_inline
def _abs_max(values):
    """``max |v|`` of a 1-d array (0 when empty)."""
    peak = 0.0
    for j in range(values.shape[0]):
        peak = max(peak, abs(values[j]))
    return peak


@_inline
def _update_sample(xb, db, state, table, touched, lam, direction, gran, desired, ublm, um,
                   um_grad_scale, res, sto_round, sigma, mult, base_bl, base_scale, rng,
                   x_bits, d_bits, x_sign, d_sign, work):
    """Trains and pulses of one sample ``(xb [X], db [D])`` of a stochastic update."""
    bl = base_bl
    a_scale = base_scale
    b_scale = base_scale
    if ublm or um:
        x_max = _abs_max(xb)
        d_max = _abs_max(db)
        if x_max == 0.0 or d_max == 0.0:
            return
        bl, a_scale, b_scale = _sample_scales(x_max, d_max, lam, gran, desired, ublm,
                                              um_grad_scale, base_bl, base_scale)
    _masks(xb, b_scale, bl, res, sto_round, x_bits, rng)
    _masks(db, a_scale, bl, res, sto_round, d_bits, rng)
    for j in range(xb.shape[0]):
        x_sign[j] = 1 if xb[j] > 0 else -1
    for i in range(db.shape[0]):
        # up pulses where -sign(lr) sign(d) sign(x) > 0
        d_sign[i] = -direction if db[i] > 0 else direction
    _apply_sample(state, table, touched, d_bits, x_bits, d_sign, x_sign, bl, work,
                  sigma, mult, rng)


@_inline
def _line_sample(values, line, columns, x_size, d_size, state, table, touched, lam,
                 direction, gran, desired, ublm, um, um_grad_scale, res, sto_round, sigma,
                 mult, base_bl, base_scale, rng, entries, entry_bits):
    """:func:`_update_sample` of one single-line write without its one-hot operand:
    ``x = e_line``, ``d = values`` (``columns``) or ``x = values``, ``d = e_line`` (rows).
    The same values and draws (pulses along the line in ascending order); the work
    grows with the line and its pulses, not with the other dimension of the tile.
    ``entries``, ``entry_bits``: scratch of the line's length."""
    bl = base_bl
    a_scale = base_scale
    b_scale = base_scale
    if ublm or um:
        peak = _abs_max(values)
        if peak == 0.0:
            return
        x_max, d_max = (1.0, peak) if columns else (peak, 1.0)
        bl, a_scale, b_scale = _sample_scales(x_max, d_max, lam, gran, desired, ublm,
                                              um_grad_scale, base_bl, base_scale)
    counter = rng[0]
    if columns:   # x = e_line is drawn first, then d = values
        hot, counter = _one_hot_train(line, x_size, b_scale, bl, res, sto_round, counter)
    # the trains of the line's entries; a zero entry gets no pulse and takes a draw only
    # where quantized probabilities are rounded stochastically (see _one_hot_train)
    scale = a_scale if columns else b_scale
    zero_draws = res > 0.0 and sto_round
    full = _full_bits(bl)
    count = 0
    for k in range(values.shape[0]):
        value = values[k]
        if value == 0.0:
            if zero_draws:
                counter += _GOLDEN
            continue
        p, counter = _probability(value, scale, res, sto_round, counter)
        bits, counter = _train(p, bl, full, counter)
        entries[count] = k
        entry_bits[count] = bits
        count += bits != 0
    if not columns:   # d = e_line after x = values
        hot, counter = _one_hot_train(line, d_size, a_scale, bl, res, sto_round, counter)
    if hot != 0:
        for position in range(count):
            k = entries[position]
            n = np.int64(_popcount(entry_bits[position] & hot))
            if n == 0:
                continue
            idx = k * x_size + line if columns else line * x_size + k
            # up pulses where -sign(lr) sign(d) sign(x) > 0; the one-hot side is +1
            if (values[k] > 0) == (direction < 0):
                a = table[idx, 0]
                c = table[idx, 1]
            else:
                a = table[idx, 2]
                c = table[idx, 3]
            state[idx], counter = _pulse_run(state[idx], n, a, c, table[idx, 4],
                                             table[idx, 5], sigma, mult, counter)
            touched[idx] = True
    rng[0] = counter


@_jit
def fused_update(x, d, state, table, touched, lam, direction, gran, desired, fixed_bl, ublm,
                 um, um_grad_scale, res, sto_round, sigma, mult, seed):
    """One stochastic pulsed update (of finite inputs: the caller checks them first).

    ``x`` ``[B, X]``, ``d`` ``[B, D]``, ``state`` ``[D X]`` (updated in place), ``table``
    ``[D X, 6]`` (per crosspoint: a_up, c_up, a_down, c_down, lo, hi), ``touched``
    ``[D X]`` (set where a pulse arrived); ``lam = |lr|``, ``direction = sign(lr)``,
    ``gran`` the granularity.
    """
    rng, x_bits, d_bits, x_sign, d_sign, work = _sample_buffers(
        x.shape[1], d.shape[1], seed)
    base_bl, base_scale = _base_train(lam, gran, desired, fixed_bl, ublm)
    for b in range(x.shape[0]):
        _update_sample(x[b], d[b], state, table, touched, lam, direction, gran, desired, ublm,
                       um, um_grad_scale, res, sto_round, sigma, mult, base_bl, base_scale,
                       rng, x_bits, d_bits, x_sign, d_sign, work)


@_jit
def fused_line_update(values, lines, columns, x_size, d_size, state, table, touched, lam,
                      direction, gran, desired, fixed_bl, ublm, um, um_grad_scale, res,
                      sto_round, sigma, mult, seed):
    """:func:`fused_update` of single-line writes: sample ``k`` is ``x = e_{lines[k]}``,
    ``d = values[k]`` (``columns``) or ``x = values[k]``, ``d = e_{lines[k]}`` (rows),
    without building the one-hot operands (the same values and draws as with them).
    The line indices must be valid (:func:`lines_in_range`)."""
    rng = np.empty(1, np.uint64)
    rng[0] = np.uint64(seed)
    entries = np.empty(values.shape[1] + 1, np.int64)   # the appends write one ahead
    entry_bits = np.empty(values.shape[1] + 1, np.uint64)
    base_bl, base_scale = _base_train(lam, gran, desired, fixed_bl, ublm)
    for k in range(values.shape[0]):
        _line_sample(values[k], lines[k], columns, x_size, d_size, state, table, touched, lam,
                     direction, gran, desired, ublm, um, um_grad_scale, res, sto_round,
                     sigma, mult, base_bl, base_scale, rng, entries, entry_bits)


@_jit
def split_whole_steps_at(values_at, count, step, counts_at, like):
    """``counts = trunc(values / step)`` and ``values -= counts * step`` (in place) for
    ``count`` values by address, in their floating point type (``step`` converted to it
    first, as torch converts a scalar)."""
    _split_whole_steps(numba.carray(_values_at(values_at, like), (count,)),
                       numba.carray(_values_at(counts_at, like), (count,)), step)


@_inline
def _split_whole_steps(values, counts, step):
    """:func:`split_whole_steps_at` of the 1-d arrays ``values`` and ``counts``."""
    conv = np.empty(1, values.dtype)
    conv[0] = step
    step_t = conv[0]
    for k in range(values.shape[0]):
        whole = np.trunc(values[k] / step_t)
        counts[k] = whole
        values[k] = values[k] - whole * step_t


@_jit
def transfer_rows_at(chi_at, step, d_size, x_size, state_at, like, table, touched, lam,
                     direction, gran, desired, fixed_bl, ublm, um, um_grad_scale, res,
                     sto_round, sigma, mult, seed):
    """Mixed-precision transfer of every row in one call: :func:`split_whole_steps_at` of
    the accumulator ``chi`` ``[d_size, x_size]`` (by address, in place), then
    :func:`fused_line_update` of the rows in order with their whole steps (the same
    values and draws as those two calls)."""
    chi = numba.carray(_values_at(chi_at, like), (d_size * x_size,))
    counts = np.empty(d_size * x_size, chi.dtype)
    _split_whole_steps(chi, counts, step)
    fused_line_update(counts.reshape((d_size, x_size)), np.arange(d_size), False, x_size,
                      d_size, numba.carray(_values_at(state_at, like), (d_size * x_size,)),
                      table, touched, lam, direction, gran, desired, fixed_bl, ublm, um,
                      um_grad_scale, res, sto_round, sigma, mult, seed)


@_jit
def normal_modifier(values, mult, std, relative, assumed, seed):
    """Gaussian weight modifier in place on the 1-d ``values``: ``w += a std xi``, or
    ``w *= 1 + a std xi`` (``mult``), with the amplitude ``a = max |w|`` (1 where all
    are 0) when ``relative``, else ``a = assumed``; in the values' type."""
    conv = np.empty(2, values.dtype)
    if not relative:
        conv[0] = assumed
    else:
        peak = 0.0
        for value in values:
            peak = max(peak, abs(value))
        conv[0] = peak if peak > 0 else 1.0
    conv[1] = std
    scale = conv[1] * conv[0]
    counter = np.uint64(seed)
    for k in range(values.shape[0]):
        draw, counter = _normal_from(counter)
        conv[1] = draw
        if mult:
            values[k] = values[k] * (1.0 + conv[1] * scale)
        else:
            values[k] = values[k] + conv[1] * scale


@_jit
def lines_in_range(lines, count):
    """Whether every index of ``lines`` lies in ``[0, count)``."""
    for line in lines:
        if line < 0 or line >= count:
            return False
    return True


@_jit
def finite_at(address, count, like):
    """Whether the ``count`` values at ``address`` (of ``like``'s float type) are all
    finite: no value has all exponent bits set (infinity or NaN)."""
    if like.itemsize == 4:
        return finite32_at(address, count)
    return finite64_at(address, count)


@_jit
def finite32_at(address, count):
    """:func:`finite_at` of float32 values (integer arguments only: the cheapest call)."""
    return _exponents_below(numba.carray(_values_at(address, _U32), (count,)), _EXP32)


@_jit
def finite64_at(address, count):
    """:func:`finite_at` of float64 values."""
    return _exponents_below(numba.carray(_values_at(address, _U64), (count,)), _EXP64)


@_jit
def finite_rows_at(address, rows, cols, row_stride, like):
    """:func:`finite_at` of ``rows`` rows of ``cols`` contiguous values, ``row_stride``
    values apart."""
    for r in range(rows):
        if not finite_at(address + r * row_stride * like.itemsize, cols, like):
            return False
    return True


_U32, _U64 = np.empty(0, np.uint32), np.empty(0, np.uint64)
_EXP32, _EXP64 = np.uint32(0x7F800000), np.uint64(0x7FF0000000000000)
_FINITE_BLOCK = 4096


@_inline
def _exponents_below(bits, exponent):
    """Whether no entry of ``bits`` has every bit of ``exponent`` set; blocks of
    :data:`_FINITE_BLOCK` entries (each tested without branches, so that it vectorises)
    stop at the first block with a hit."""
    for start in range(0, bits.shape[0], _FINITE_BLOCK):
        block = bits[start:start + _FINITE_BLOCK]
        hit = 0
        for k in range(block.shape[0]):
            hit |= (block[k] & exponent) == exponent
        if hit:
            return False
    return True


@_jit
def counts_update(counts, state, table, touched, sigma, mult, seed):
    """Signed counts ``[B, D X]`` applied sample by sample, pulse by pulse."""
    counter = np.uint64(seed)
    for b in range(counts.shape[0]):
        for idx in range(counts.shape[1]):
            n = counts[b, idx]
            if n == 0:
                continue
            if n > 0:
                a = table[idx, 0]
                c = table[idx, 1]
            else:
                a = table[idx, 2]
                c = table[idx, 3]
                n = -n
            state[idx], counter = _pulse_run(state[idx], n, a, c, table[idx, 4],
                                             table[idx, 5], sigma, mult, counter)
            touched[idx] = True


@_jit
def fused_update_at(x_at, d_at, batch, x_size, d_size, state_at, like, table, touched, lam,
                    direction, gran, desired, fixed_bl, ublm, um, um_grad_scale, res,
                    sto_round, sigma, mult, seed):
    """:func:`fused_update` of ``x`` ``[batch, x_size]`` and ``d`` ``[batch, d_size]`` on
    the state ``[d_size x_size]``, all by address."""
    fused_update(numba.carray(_values_at(x_at, like), (batch, x_size)),
                 numba.carray(_values_at(d_at, like), (batch, d_size)),
                 numba.carray(_values_at(state_at, like), (d_size * x_size,)), table, touched,
                 lam, direction, gran, desired, fixed_bl, ublm, um, um_grad_scale, res,
                 sto_round, sigma, mult, seed)


@_jit
def fused_line_update_at(values_at, count, size, lines_at, columns, x_size, d_size, state_at,
                         like, table, touched, lam, direction, gran, desired, fixed_bl, ublm,
                         um, um_grad_scale, res, sto_round, sigma, mult, seed):
    """:func:`fused_line_update` of values ``[count, size]`` and int64 lines ``[count]``
    on the state ``[d_size x_size]``, all by address."""
    fused_line_update(numba.carray(_values_at(values_at, like), (count, size)),
                      numba.carray(_values_at(lines_at, np.empty(0, np.int64)), (count,)),
                      columns, x_size, d_size,
                      numba.carray(_values_at(state_at, like), (d_size * x_size,)), table,
                      touched, lam, direction, gran, desired, fixed_bl, ublm, um,
                      um_grad_scale, res, sto_round, sigma, mult, seed)


@_jit
def lines_in_range_at(lines_at, count, limit):
    """:func:`lines_in_range` of the ``count`` int64 indices at ``lines_at``."""
    return lines_in_range(numba.carray(_values_at(lines_at, np.empty(0, np.int64)),
                                       (count,)), limit)


@_jit
def at_least_at(values_at, count, threshold, out_at, like):
    """``out[k] = |values[k]| >= threshold`` for ``count`` values into bools (bytes), both
    by address, compared in the values' type (the threshold converted first, as torch
    converts a scalar); returns whether any is set. ``out_at = 0``: only the answer
    (nothing written)."""
    values = numba.carray(_values_at(values_at, like), (count,))
    conv = np.empty(1, like.dtype)
    conv[0] = threshold
    bound = conv[0]
    if out_at == 0:
        hit = False
        for k in range(count):
            hit |= abs(values[k]) >= bound
        return hit
    out = numba.carray(_values_at(out_at, np.empty(0, np.uint8)), (count,))
    found = False
    for k in range(count):
        hit = abs(values[k]) >= bound
        out[k] = 1 if hit else 0
        found = found or hit
    return found
