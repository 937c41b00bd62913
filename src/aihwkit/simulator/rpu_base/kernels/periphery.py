"""Compiled periphery of CPU products (numba, optional).

A managed product through torch is about twenty calls (noise management, DAC, ADC,
output noise, the bound test), each a pass over the inputs or outputs; on a small tile
their fixed cost decides, on a large one their passes. :func:`fused_mvm` does the same
stages compiled:

1. noise management ``s = max_j |x_j|`` (or ``max_j x_j``, or a constant; capped at
   ``nm_thres``), then the DAC: ``u = clip(rint(x / (s r) / Δ_in) Δ_in, ±b_in)`` plus
   input noise, with ``r`` the bound-management reduction of the pass;
2. the product ``v = u W^T``;
3. additive weight read noise ``v += σ_w ||u|| ξ``, then the ADC:
   ``k = clip(rint((v + σ_out ξ) / Δ_out), ±B)`` in levels, the saturation
   test of each row, and the scale back ``y = k Δ_out s r``.

Rows that saturate are recomputed with halved inputs (iterative bound management) like
the torch periphery does. Products up to :data:`SMALL_PRODUCT` multiply-adds run every
pass in one compiled call with its own vectorised product (equal to torch's up to the
rounding of reordered sums); larger ones run stages 1 and 3 compiled around torch's
product (stage 3 as one vectorised pass that draws the float32 output noise itself), and
give the torch periphery's values exactly without noise. The first pass's stage 1 of a
DAC without random draws is shared by the tiles reading the same input inside a
:class:`~aihwkit.simulator.rpu_base.shared_inputs.SharedInputStages` block (the tiles of
one tile-array input split). Random draws come from streams seeded from the tile's
generator (none for deterministic settings).
"""

from typing import Any, Dict, Tuple

import numpy as np
import torch
from torch import Tensor

from aihwkit.exceptions import TileError
from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.rpu_base.kernels.elementwise import add_normal_
from aihwkit.simulator.rpu_base.kernels.fused import LIKE, as_array
from aihwkit.simulator.rpu_base.shared_inputs import keep_stage, shared_stage

_NM_KINDS = {NoiseManagementType.NONE: 0, NoiseManagementType.ABS_MAX: 1,
             NoiseManagementType.MAX: 2, NoiseManagementType.CONSTANT: 3}
_BM_KINDS = (BoundManagementType.NONE, BoundManagementType.ITERATIVE)
# up to this many multiply-adds (rows x outputs x inputs) a pass is one compiled call with
# its own product (faster than torch's for small tiles); above, torch computes the product
SMALL_PRODUCT = 1 << 16


def periphery_supported(manager: Any) -> bool:
    """Whether the settings of an :class:`~aihwkit.simulator.rpu_base.periphery.IOManager`
    are within the compiled periphery's stages (one pass; weight noise only of the
    additive constant type; no IR drop, asymmetries, offsets, nonlinearity or per-line
    output noise; noise management none, abs-max, max or constant; bound management none
    or iterative)."""
    cfg = manager.cfg
    if cfg.perfect or cfg.mv_type != AnalogMVType.ONE_PASS:
        return False
    if cfg.noise_management not in _NM_KINDS or cfg.bound_management not in _BM_KINDS:
        return False
    if cfg.ir_drop > 0 or cfg.inp_asymmetry != 0 or cfg.out_asymmetry != 0:
        return False
    if cfg.w_noise > 0 and cfg.w_noise_type != WeightNoiseType.ADDITIVE_CONSTANT:
        return False
    lines = manager.lines
    return not (lines.nl_active or lines.v_offset.numel() or lines.out_noise_values.numel())


_MODULE: Dict[str, Any] = {}


def _compiled() -> Any:
    """The numba module of the periphery (imported, hence compiled or loaded from the
    cache, on first use)."""
    found = _MODULE.get("kernels")
    if found is None:
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.rpu_base.kernels import _periphery_numba
        found = _MODULE["kernels"] = _periphery_numba
    return found


def _seed(manager: Any, needed: bool) -> int:
    return manager.rng.stream_seed() if needed else 0


Stage = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _input_stage(manager: Any, x: np.ndarray, reduction: float) -> Stage:
    """``(u, divisor, multiplier, w_std)`` of the rows ``x`` with input reduction
    ``reduction``: noise management and DAC (the first compiled stage)."""
    rows = x.shape[0]
    cfg = manager.cfg
    u = np.empty_like(x)
    divisor = np.empty(rows, x.dtype)
    multiplier = np.empty(rows, x.dtype)
    w_std = np.empty(rows, np.float64)
    _compiled().prepare(x, u, divisor, multiplier, w_std, _NM_KINDS[cfg.noise_management],
                        cfg.nm_thres, cfg.is_backward or cfg.inp_noise <= 0, cfg.inp_step,
                        cfg.inp_inv_step, cfg.inp_sto_round, cfg.inp_bound, cfg.inp_noise,
                        cfg.w_noise, reduction,
                        _seed(manager, cfg.inp_sto_round or cfg.inp_noise > 0))
    return u, divisor, multiplier, w_std


def _first_stage(manager: Any, x: Tensor) -> Stage:
    """The input stage of the first pass over ``x``, shared with the other tiles that
    read the same tensor inside a :class:`SharedInputStages` block."""
    key = manager.input_stage_key(x.dtype)
    if key is None:
        return _input_stage(manager, as_array(x), 1.0)
    key += ("compiled periphery",)    # the stage as this periphery keeps it
    stage = shared_stage(x, key)
    if stage is None:
        stage = _input_stage(manager, as_array(x), 1.0)
        keep_stage(x, key, stage)
    return stage


def _one_pass(manager: Any, weights: Tensor, stage: Stage, reduction: float) -> Any:
    """``(y, fail, any_fail)`` of one pass with input reduction ``reduction`` over the
    rows of the input stage ``stage``: torch's product, then the compiled ADC stage
    (:func:`adc_stage` where it covers the settings, else :func:`finalize`)."""
    u, _, multiplier, w_std = stage
    rows = u.shape[0]
    kernels = _compiled()
    cfg = manager.cfg
    kind = _NM_KINDS[cfg.noise_management]
    out = torch.nn.functional.linear(torch.from_numpy(u), weights)
    quantized = cfg.out_step > 0
    unit = cfg.out_step if quantized else 1.0
    bound = cfg.out_bound_levels if quantized else cfg.out_bound
    out_inv = cfg.out_inv_step if quantized else 1.0
    gain = unit * reduction * cfg.out_scale
    out_noise = cfg.out_noise
    fail = np.zeros(rows, np.bool_)
    if cfg.w_noise <= 0 and not (quantized and cfg.out_sto_round):
        seed = 0
        noise = out_noise * out_inv
        if out_noise > 0:
            seed = manager.rng.stream_seed()
            if out.dtype != torch.float32:   # float64 normals by the ziggurat first
                add_normal_(out, out_noise, seed)
                noise = 0.0
        any_fail = kernels.adc_stage(out.numpy(), fail, multiplier, kind > 0, noise, out_inv,
                                     quantized, bound, cfg.bm_on, cfg.bm_test_negative_bound,
                                     gain, seed)
        return out, fail, any_fail
    if out_noise > 0 and cfg.w_noise <= 0 and out.dtype == torch.float32:
        # the output noise v + sigma xi first, by the vectorised float32 normals (the
        # same distribution as the per-entry draws of the finalize stage)
        add_normal_(out, out_noise, manager.rng.stream_seed())
        out_noise = 0.0
    any_fail = kernels.finalize(
        out.numpy(), fail, multiplier, w_std, cfg.w_noise, out_noise, out_inv, quantized,
        cfg.out_sto_round, bound, cfg.bm_on, cfg.bm_test_negative_bound, gain, kind > 0,
        _seed(manager, cfg.w_noise > 0 or out_noise > 0
              or (quantized and cfg.out_sto_round)))
    return out, fail, any_fail


def _small_managed(manager: Any, weights: Tensor, x: Tensor) -> Tensor:
    """:func:`fused_mvm` of a small product: every pass, bound management included, in
    one compiled call on the tensors' memory."""
    cfg = manager.cfg
    # the shapes the compiled call addresses (IOManager.mvm has checked them already;
    # checked again here since this function can be called on its own)
    manager._check_shapes(weights, x)   # pylint: disable=protected-access
    reals, flags, seeds_in, seeds_out = _settings(manager)
    matrix, transposed = _layout(weights)
    if not x.is_contiguous():
        x = x.contiguous()
    rows, lines = x.shape[0], manager.out_size
    out = torch.empty(rows, lines, dtype=x.dtype)
    _compiled().managed_at(x.data_ptr(), rows, x.shape[1], matrix.data_ptr(), transposed,
                           lines, out.data_ptr(), LIKE[x.dtype], reals, flags,
                           float(cfg.max_bm_factor), float(cfg.max_bm_res),
                           _seed(manager, seeds_in), _seed(manager, seeds_out))
    return out


def _layout(weights: Tensor) -> Tuple[Tensor, bool]:
    """``weights`` ``[L, N]`` as the contiguous matrix the compiled product reads, and
    whether it is the ``[N, L]`` matrix they are a transposed view of (the backward read;
    other strided weights are copied)."""
    transposed = not weights.is_contiguous() and weights.t().is_contiguous()
    return (weights.t() if transposed else weights.contiguous()), transposed


def small_product(u: Tensor, weights: Tensor) -> Tensor:
    """``u W^T`` (``[R, N]`` x ``[L, N]``) computed as the one-call pass of small tiles
    computes it (CPU float32/float64)."""
    if u.dim() != 2 or weights.dim() != 2 or u.shape[1] != weights.shape[1] \
            or u.dtype != weights.dtype:
        raise TileError(f"u {list(u.shape)} ({u.dtype}) and weights {list(weights.shape)} "
                        f"({weights.dtype}) do not make a product u W^T")
    matrix, transposed = _layout(weights)
    rows = as_array(u)
    out = np.empty((u.shape[0], weights.shape[0]), rows.dtype)
    _compiled().product(rows, as_array(matrix), transposed, out)
    return torch.from_numpy(out)


def _settings(manager: Any) -> Tuple[np.ndarray, np.ndarray, bool, bool]:
    """The resolved IO settings as the arrays :func:`one_pass` takes, and whether its
    input and output stages draw random numbers (cached for the manager's config)."""
    cfg = manager.cfg
    cached = getattr(manager, "_cache_small_pass", None)
    if cached is not None and cached[0] is cfg:
        return cached[1]
    quantized = cfg.out_step > 0
    reals = np.array([
        cfg.nm_thres, cfg.inp_step, cfg.inp_inv_step, cfg.inp_bound, cfg.inp_noise,
        cfg.w_noise, cfg.out_noise, cfg.out_inv_step if quantized else 1.0,
        cfg.out_bound_levels if quantized else cfg.out_bound,
        (cfg.out_step if quantized else 1.0) * cfg.out_scale], dtype=np.float64)
    flags = np.array([
        _NM_KINDS[cfg.noise_management], cfg.is_backward or cfg.inp_noise <= 0,
        cfg.inp_sto_round, quantized, cfg.out_sto_round, cfg.bm_on,
        cfg.bm_test_negative_bound], dtype=np.int64)
    found = (reals, flags, bool(cfg.inp_sto_round or cfg.inp_noise > 0),
             bool(cfg.w_noise > 0 or cfg.out_noise > 0 or (quantized and cfg.out_sto_round)))
    manager._cache_small_pass = (cfg, found)   # pylint: disable=protected-access
    return found


def fused_mvm(manager: Any, weights: Tensor, x: Tensor) -> Tensor:
    """Managed product ``[B, out]`` of ``weights`` ``[out, in]`` and the rows ``x``
    ``[B, in]`` (CPU), as :meth:`IOManager.mvm` defines it."""
    cfg = manager.cfg
    if x.shape[0] * manager.out_size * manager.in_size <= SMALL_PRODUCT \
            and weights.is_cpu and weights.dtype == x.dtype:
        return _small_managed(manager, weights, x)
    out, fail, any_fail = _one_pass(manager, weights, _first_stage(manager, x), 1.0)
    if not any_fail:
        return out
    values = as_array(x)
    rows = np.arange(values.shape[0])
    reduction = 1.0
    while not cfg.bm_limit_reached(reduction):
        failed = np.flatnonzero(fail)
        if failed.size == 0:
            break
        rows = rows[failed]
        values = values[failed]
        reduction *= 2.0
        part, fail, _ = _one_pass(manager, weights, _input_stage(manager, values, reduction),
                                  reduction)
        out[torch.from_numpy(rows)] = part
    return out
