"""Forward/backward periphery of an analog tile: DAC, ADC, noise and bound management.

:class:`IOManager` holds one direction's validated :class:`IOParameters` and the per-line
parameters drawn at construction, and computes the managed matrix-vector product of
spec 10 §1 for a whole batch at once. The backward pass uses a second manager on the
transposed weights.

Every sample keeps the per-vector semantics of the reference engine: its own noise
management scale, its own zero shortcut and its own bound-management passes (only the
rows that saturated are recomputed, with fresh noise). The periphery behaves the same in
training and evaluation (the reference CPU engine ignores ``is_test``).

Choices where the specification is silent: ``nm_thres`` does not cap the
``AVERAGE_ABS_MAX`` scale (the specification lists the cap for the other types only),
and per-line values set through :meth:`IOManager.set_parameters` are used whenever they
are non-empty (e.g. ``out_noise_values`` also with ``out_noise_std = 0``).
"""

import copy
from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple

import torch

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.simulator.parameters.enums import AnalogMVType, BoundManagementType, \
    NoiseManagementType
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.kernels.threads import SmallWork, single_thread_active
from aihwkit.simulator.rpu_base.periphery_analog import (
    CrossbarView, analog_mv, finalize_output, prepare_input)
from aihwkit.simulator.rpu_base.periphery_config import ResolvedIO, resolve_io
from aihwkit.simulator.rpu_base.periphery_lines import PARAMETER_NAMES, LineParameters
from aihwkit.simulator.rpu_base.periphery_management import (
    RunningAbsMax, noise_management_scale, np_sum_scale)
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.shared_inputs import keep_stage, shared_stage

__all__ = ["IOManager", "RunningAbsMax", "PARAMETER_NAMES", "RowScale"]


class RowScale(NamedTuple):
    """Noise-management scales of the rows of one pass, as columns ``[R, 1]``.

    ``divisor`` is the scale ``s`` the inputs are divided by (1 for rows with ``s <= 0``);
    ``multiplier`` scales the outputs back: equal to ``divisor``, except 0 for rows whose
    output is the exact zero of the zero shortcut (so no separate masking is needed).
    """

    divisor: torch.Tensor
    multiplier: torch.Tensor

    def select(self, index: torch.Tensor) -> "RowScale":
        """The scales of the rows ``index`` (a 1-d index tensor)."""
        return RowScale(self.divisor.index_select(0, index),
                        self.multiplier.index_select(0, index))


class IOManager(EngineBase):
    """One direction of the analog MVM.

    Args:
        io: the direction's IOParameters (a private copy is kept).
        out_size: number of output lines of this direction.
        in_size: number of input lines of this direction.
        is_backward: True for the backward direction (bound management is forced off).
        device, dtype: placement of drawn per-line parameters.
        rng: the tile's random number generator.
        nm_state: running state of ``AVERAGE_ABS_MAX`` noise management; pass the forward
            manager's ``nm_state`` to the backward manager to share it as the reference
            engine does. A fresh one is made when ``None``.

    Raises:
        ConfigError: a field of ``io`` is invalid or not supported (named in the message).
    """

    def __init__(self, io: Any, out_size: int, in_size: int, *, is_backward: bool,
                 device: torch.device, dtype: torch.dtype, rng: TileRNG,
                 nm_state: Optional[RunningAbsMax] = None) -> None:
        self.io = copy.deepcopy(io)
        self.cfg: ResolvedIO = resolve_io(self.io, is_backward)
        self.out_size = out_size
        self.in_size = in_size
        self.is_backward = is_backward
        self.device = torch.device(device)
        self.dtype = dtype
        self.rng = rng
        self.is_perfect = self.cfg.perfect
        self.lines = LineParameters(self.cfg, out_size, in_size, device=self.device,
                                    dtype=dtype, rng=rng)
        self.nm_state = nm_state if nm_state is not None else RunningAbsMax(self.device,
                                                                           dtype)

    # ------------------------------------------------------------------ parameters
    def get_parameters(self) -> Dict[str, torch.Tensor]:
        """Per-line periphery parameters (copies): ``out_noise_values``,
        ``out_nonlinearity``, ``out_nonlinearity_factor``, ``v_offset``, ``w_asymmetry``.
        Empty tensors for unused stages."""
        return self.lines.get()

    def set_parameters(self, params: Mapping[str, torch.Tensor]) -> None:
        """Replace some per-line parameters (see :meth:`get_parameters`).

        Raises:
            ArgumentError: unknown key or a length that does not match the lines.
        """
        self.lines.set(params)
        self._cache_fused_periphery = None     # the stages in use may have changed

    # ------------------------------------------------------------------ product
    def mvm(self, weights: torch.Tensor, x: torch.Tensor, is_test: bool = False) -> torch.Tensor:
        """Managed product ``y = W x`` for each row of ``x``.

        ``is_test`` is accepted for the tile interface; the periphery behaves the same in
        training and evaluation. Not differentiable (the tile's autograd function defines
        the gradient).

        Shape:
            weights: ``[out_size, in_size]``; x: ``[B, in_size]``; returns ``[B, out_size]``.

        Raises:
            TileError: ``weights`` has the wrong shape.
            ArgumentError: ``x`` is not ``[B, in_size]``.
        """
        self._check_shapes(weights, x)
        if torch.is_grad_enabled():
            with torch.no_grad():
                return self._product(weights, x)
        return self._product(weights, x)

    def _product(self, weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if single_thread_active():   # the tile's forward or backward runs on one thread
            return self._product_here(weights, x)
        with SmallWork(x.shape[0] * self.out_size * self.in_size):
            return self._product_here(weights, x)

    def _product_here(self, weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """:meth:`_product` on the intra-op threads set now."""
        if self.is_perfect:
            out = torch.nn.functional.linear(x, weights)
            if self.cfg.out_scale != 1.0:
                out.mul_(self.cfg.out_scale)
            return out
        compiled = kernels.choose_periphery(self, x)
        if compiled is not None:
            return compiled(self, weights, x)
        return self._managed(weights, x)

    def _check_shapes(self, weights: torch.Tensor, x: torch.Tensor) -> None:
        if weights.dim() != 2 or tuple(weights.shape) != (self.out_size, self.in_size):
            raise TileError(f"weights of shape {list(weights.shape)} given, expected "
                            f"[{self.out_size}, {self.in_size}]")
        if x.dim() != 2 or x.shape[1] != self.in_size:
            raise ArgumentError(f"input of shape {list(x.shape)} given, expected "
                                f"[batch, {self.in_size}]")

    def _managed(self, weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        batch = x.shape[0]
        if batch == 0:
            return x.new_zeros(0, self.out_size)
        view = CrossbarView(weights, self.lines.w_asymmetry)
        key = self.input_stage_key(x.dtype)
        if key is not None:
            key += ("torch periphery",)    # the stage as this periphery keeps it
            stage = shared_stage(x, key)
            if stage is not None:   # another tile's first pass over this very input
                return self._bound_managed(view, x, stage[0], stage[1])
        scale = self._row_scale(x)
        return self._bound_managed(view, x, scale, None, key)

    def _row_scale(self, x: torch.Tensor) -> Optional[RowScale]:
        """The noise-management scales of the rows ``x`` (``None``: no management)."""
        cfg = self.cfg
        scale = noise_management_scale(cfg, x, self.nm_state)
        if scale is None:
            return None
        # Rows with s <= 0 (all-zero inputs) are exact zeros (forward only without input
        # noise); other such rows run unscaled. The zero rows are computed like the others
        # and scaled back by 0, which needs no read-back of the mask.
        positive = scale > 0
        divisor = torch.where(positive, scale, 1.0)
        if not self._zero_shortcut():
            return RowScale(divisor, divisor)
        if cfg.noise_management == NoiseManagementType.MAX:
            multiplier = torch.where(positive, scale, 0.0)
        else:  # the other scales are >= 0: s itself is 0 exactly on the zero rows
            multiplier = scale
        return RowScale(divisor, multiplier)

    def input_stage_key(self, dtype: torch.dtype) -> Optional[Tuple[Any, ...]]:
        """The settings the first pass's noise-management scales and DAC inputs (and the
        additive read-noise std derived from them) depend on, for sharing them among
        managers that read the same input (:mod:`~.shared_inputs`); ``None`` where they
        are not shared: random DAC draws, a running noise-management state, or pos/neg
        passes that clip the DAC inputs in place."""
        cfg = self.cfg
        cached = getattr(self, "_cache_stage_key", None)
        if cached is None or cached[0] is not cfg:
            key = None
            if not (cfg.inp_sto_round or cfg.inp_noise > 0
                    or cfg.noise_management == NoiseManagementType.AVERAGE_ABS_MAX
                    or cfg.mv_type != AnalogMVType.ONE_PASS):
                key = (cfg.noise_management, cfg.nm_thres, cfg.is_backward, cfg.inp_step,
                       cfg.inp_inv_step, cfg.inp_bound, cfg.inp_asymmetry, cfg.out_bound,
                       cfg.max_bm_res, cfg.w_noise)
            cached = self._cache_stage_key = (cfg, key)
        return None if cached[1] is None else cached[1] + (dtype,)

    def _zero_shortcut(self) -> bool:
        """Whether rows with noise-management scale ``s <= 0`` give exact zeros."""
        return self.cfg.is_backward or self.cfg.inp_noise <= 0

    def _bound_managed(self, view: CrossbarView, x: torch.Tensor,
                       scale: Optional[RowScale], first: Optional[torch.Tensor] = None,
                       key: Optional[Tuple[Any, ...]] = None) -> torch.Tensor:
        """Passes of bound management: retry the saturated rows with halved inputs.

        ``first``: the DAC inputs of the first pass when known (shared), else computed;
        with ``key`` they are kept with ``scale`` for the other readers of ``x``."""
        cfg = self.cfg
        reduction = 1.0
        if first is None:
            first = self._dac_inputs(x, scale, reduction)
            if key is not None:
                keep_stage(x, key, (scale, first))
        out, fail = self._one_pass(view, x, scale, reduction, first)
        if fail is None:
            return out
        rows = None  # indices (into x) of the rows still being managed; None: all
        worst_case = (cfg.bound_management == BoundManagementType.ITERATIVE_WORST_CASE
                      and cfg.noise_management != NoiseManagementType.ABS_MAX_NP_SUM)
        passes = 1
        while not cfg.bm_limit_reached(reduction):
            failed = fail.nonzero()
            if failed.numel() == 0:
                break
            failed = failed.squeeze(1)
            rows = failed if rows is None else rows.index_select(0, failed)
            x = x.index_select(0, failed)
            if scale is not None:
                scale = scale.select(failed)
            reduction *= 2.0
            passes += 1
            if passes == 2 and worst_case:
                reduction = 1.0
                if scale is not None:
                    scale = self._worst_case_scale(x, scale)
            part, fail = self._one_pass(view, x, scale, reduction)
            out.index_copy_(0, rows, part)
        return out

    def _worst_case_scale(self, x: torch.Tensor, scale: RowScale) -> RowScale:
        """``ABS_MAX_NP_SUM`` scales of the rows ``x`` (second pass of the worst case);
        rows of the zero shortcut stay exact zeros."""
        new_scale = np_sum_scale(self.cfg, x).unsqueeze(1)
        divisor = torch.where(new_scale > 0, new_scale, 1.0)
        if not self._zero_shortcut():
            return RowScale(divisor, divisor)
        return RowScale(divisor, torch.where(scale.multiplier == 0, 0.0, divisor))

    def _dac_inputs(self, x: torch.Tensor, scale: Optional[RowScale],
                    reduction: float) -> torch.Tensor:
        """DAC inputs of the rows ``x`` for a pass with factor ``c = (1/s)/r``."""
        factor: Optional[torch.Tensor] = None
        if scale is not None:
            factor = scale.divisor.reciprocal()
            if reduction != 1.0:
                factor.div_(reduction)
        elif reduction != 1.0:
            factor = torch.full((x.shape[0], 1), 1.0 / reduction, device=x.device,
                                dtype=x.dtype)
        return prepare_input(self.cfg, x, factor, self.rng)

    def _one_pass(self, view: CrossbarView, x: torch.Tensor, scale: Optional[RowScale],
                  reduction: float, u: Optional[torch.Tensor] = None
                  ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """One pass with ``c = (1/s)/r``: returns outputs in real units and the rows
        that saturated (``None`` when bound management is off). ``u``: the pass's DAC
        inputs when already computed (read only)."""
        cfg = self.cfg
        if u is None:
            u = self._dac_inputs(x, scale, reduction)
        test = cfg.bm_on
        if cfg.mv_type == AnalogMVType.ONE_PASS:
            out, fail, unit = finalize_output(cfg, self.lines,
                                              analog_mv(cfg, self.lines, view, u, self.rng),
                                              self.rng, test)
        else:
            v_neg = analog_mv(cfg, self.lines, view, u.clamp(max=0), self.rng, negative=True)
            v_pos = analog_mv(cfg, self.lines, view, u.clamp_(min=0), self.rng)
            if cfg.mv_type == AnalogMVType.POS_NEG_SEPARATE:
                out, fail, unit = finalize_output(cfg, self.lines, v_neg.add_(v_pos),
                                                  self.rng, test)
            else:  # POS_NEG_SEPARATE_DIGITAL_SUM: both results share the ADC unit
                out, fail, unit = finalize_output(cfg, self.lines, v_neg, self.rng, test)
                out_pos, fail_pos, _ = finalize_output(cfg, self.lines, v_pos, self.rng, test)
                out = out.add_(out_pos)
                if fail is not None and fail_pos is not None:
                    fail |= fail_pos
        # y = y_n · out_scale / c, i.e. · s · r for the active factors (y_n = out · unit)
        gain = unit * reduction * cfg.out_scale
        if scale is not None:
            multiplier = scale.multiplier
            out.mul_(multiplier * gain if gain != 1.0 else multiplier)
        elif gain != 1.0:
            out.mul_(gain)
        return out, fail
