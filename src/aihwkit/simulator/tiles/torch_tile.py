"""Pure-torch analog tile: the forward IO periphery written with autograd.

:class:`TorchSimulatorTile` holds the weights as a ``Parameter`` and computes the managed
matrix-vector product of spec 10 §1 for a whole batch in differentiable torch.
Quantizers pass the gradient straight through; clipping (DAC/ADC bounds) passes none
outside the range; noise is additive (identity gradient). Supported subset (anything else
raises :class:`TorchTileConfigError`): noise management ``NONE``/``ABS_MAX``/``MAX``/
``CONSTANT``, bound management ``NONE``/``ITERATIVE`` (the whole batch is retried with a
common factor until every sample passes), ``mv_type`` ``ONE_PASS`` (or perfect),
input/output noise, resolution, stochastic rounding and asymmetry, ``w_noise``
(``ADDITIVE_CONSTANT``/``PCM_READ``) and IR drop. Output nonlinearity, voltage offsets,
series resistance and read asymmetry are not simulated.

Memory kept for backward is close to a digital layer's: with deterministic inputs (no
stochastic input rounding, input noise or asymmetry, IR drop or weight noise) the DAC
inputs are recomputed from the layer input in backward instead of being stored; the
quantizers store nothing and the ADC clip stores a bool mask only when an output
saturated.
"""

import math
from typing import Any, List, Optional, Tuple

import torch
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import once_differentiable
from torch.nn import Module, Parameter

from aihwkit.exceptions import (
    ArgumentError, ConfigError, TileError, TorchTileConfigError, check_choice)
from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.validation import unchanged_since_passed
from aihwkit.simulator.rpu_base.base import NoHiddenParameters
from aihwkit.simulator.rpu_base.kernels import elementwise
from aihwkit.simulator.rpu_base.rng import TileRNG

_NM = NoiseManagementType
_UNSUPPORTED_IO = (("out_nonlinearity", 0.0), ("out_nonlinearity_std", 0.0),
                   ("slope_calibration", 0.0), ("v_offset_std", 0.0), ("r_series", 0.0),
                   ("w_read_asymmetry_dtod", 0.0))


@unchanged_since_passed
def check_torch_io(io: Any) -> None:
    """Raise :class:`TorchTileConfigError` for forward settings the torch tile cannot
    simulate, :class:`ConfigError` for invalid ones."""
    owner = "IOParameters"
    if io.is_perfect or io.mv_type == AnalogMVType.IDEAL:
        return
    check_choice(owner, "mv_type", io.mv_type, AnalogMVType)
    check_choice(owner, "noise_management", io.noise_management, NoiseManagementType)
    check_choice(owner, "bound_management", io.bound_management, BoundManagementType)
    check_choice(owner, "w_noise_type", io.w_noise_type, WeightNoiseType)
    if io.mv_type != AnalogMVType.ONE_PASS:
        raise TorchTileConfigError(f"IOParameters.mv_type = {io.mv_type} is not supported by "
                                   "the torch tile (ONE_PASS or IDEAL only)")
    if io.noise_management not in (_NM.NONE, _NM.ABS_MAX, _NM.MAX, _NM.CONSTANT):
        raise TorchTileConfigError(f"IOParameters.noise_management = {io.noise_management} "
                                   "is not supported by the torch tile")
    if io.bound_management not in (BoundManagementType.NONE, BoundManagementType.ITERATIVE):
        raise TorchTileConfigError(f"IOParameters.bound_management = {io.bound_management} "
                                   "is not supported by the torch tile (NONE or ITERATIVE)")
    for name, neutral in _UNSUPPORTED_IO:
        if getattr(io, name) != neutral:
            raise TorchTileConfigError(f"IOParameters.{name} = {getattr(io, name)!r} is not "
                                       f"supported by the torch tile (must be {neutral})")
    if io.noise_management != _NM.NONE and io.inp_bound != 1.0:
        raise ConfigError(f"IOParameters.inp_bound = {io.inp_bound!r} is invalid: must be 1.0 "
                          "when noise management is on")
    for name in ("inp_noise", "out_noise", "out_noise_std", "w_noise", "ir_drop"):
        if not getattr(io, name) >= 0:
            raise ConfigError(f"IOParameters.{name} = {getattr(io, name)!r} is invalid: "
                              "must be >= 0")


def _step(res: float, bound: float) -> float:
    """Quantization step of a DAC/ADC (0: none); ``res > 1`` counts steps."""
    if res <= 0 or not math.isfinite(bound) or bound <= 0:
        return 0.0
    return (1.0 / res if res > 1.0 else res) * 2.0 * bound


def _bound(value: float) -> float:
    return value if value > 0 else math.inf


def _quantize(values: Tensor, step: float, sto_round: bool,
              gen: Optional[torch.Generator]) -> Tensor:
    """``values + (step * rint(v / step) - values)``, straight-through gradient."""
    if step <= 0:
        return values
    if not values.requires_grad:
        return _quantized(values, step, sto_round, gen)
    return _StraightThroughQuantize.apply(values, step, sto_round, gen)


def _quantized(values: Tensor, step: float, sto_round: bool,
               gen: Optional[torch.Generator]) -> Tensor:
    """The quantized values, computed in place on one temporary (no autograd).

    Written as ``values + (q - values)`` so that it rounds exactly like the
    straight-through expression used for gradients.
    """
    with torch.no_grad():
        out = values / step
        if sto_round:
            out.add_(torch.rand(values.shape, generator=gen, device=values.device,
                                dtype=values.dtype)).sub_(0.5)
        out.round_().mul_(step).sub_(values).add_(values)
    return out


class _StraightThroughQuantize(Function):
    """Quantization whose gradient is the identity; saves nothing for backward."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, values: Tensor, step: float, sto_round: bool,
                gen: Optional[torch.Generator]) -> Tensor:
        return _quantized(values, step, sto_round, gen)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None, None, None]:
        return grad, None, None, None


def _clamp(values: Tensor, bound: float) -> Tensor:
    """``clamp(values, -bound, bound)``; clipped entries get no gradient."""
    if not values.requires_grad:
        return torch.clamp(values, -bound, bound)
    return _MaskedClamp.apply(values, bound)


class _MaskedClamp(Function):
    """Clamp to ``[-bound, bound]`` saving a bool mask (1 byte per entry) for backward."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, values: Tensor, bound: float,
                inside: Optional[Tensor] = None) -> Tensor:
        if inside is None:
            inside = (values >= -bound).logical_and_(values <= bound)
        ctx.save_for_backward(inside)
        return torch.clamp(values, -bound, bound)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None, None]:
        (inside,) = ctx.saved_tensors
        found = elementwise.masked(grad, inside)
        if found is None:
            found = torch.where(inside, grad, grad.new_zeros(()))
        return found, None, None


class _ClippedInPlace(Function):
    """Marks ``values``, already clipped in place, as clipped: gradient zero outside the
    bool mask ``inside``, identity inside (the values are returned, not copied)."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, values: Tensor, inside: Tensor) -> Tensor:
        ctx.mark_dirty(values)
        ctx.save_for_backward(inside)
        return values

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None]:
        return _MaskedClamp.backward(ctx, grad)[0], None


def _mv(weights: Tensor, u: Tensor) -> Tensor:
    """``W u`` per sample; ``weights`` ``[out, in]`` or per sample ``[B, out, in]``."""
    if weights.dim() == 2:
        return torch.nn.functional.linear(u, weights)   # faster than u @ W^T on CPU
    return torch.einsum("boi,bi->bo", weights, u)


def _recomputable_inputs(io: Any, weights: Tensor) -> bool:
    """Whether the DAC inputs are a deterministic function of ``x`` used only by the
    plain product (so backward can recompute them instead of saving them)."""
    return (weights.dim() == 2 and not io.inp_sto_round and io.inp_noise <= 0
            and io.inp_asymmetry == 0 and io.ir_drop <= 0
            and (io.w_noise <= 0 or io.w_noise_type == WeightNoiseType.NONE))


def _scaled(x: Tensor, factor: Any) -> Tensor:
    """``x * factor`` (``factor`` a float or per-sample ``[B]``)."""
    if isinstance(factor, Tensor):
        return x * factor.unsqueeze(1)
    return x * factor if factor != 1.0 else x


def _prepare(x: Tensor, factor: Any, step: float, bound: float, sto_round: bool,
             gen: Optional[torch.Generator]) -> Tensor:
    """DAC inputs: scaled, quantized (straight-through), clipped to ``[-bound, bound]``."""
    u = _quantize(_scaled(x, factor), step, sto_round, gen)
    return _clamp(u, bound) if math.isfinite(bound) else u


def _prepare_inplace(x: Tensor, factor: Any, step: float, bound: float,
                     masks: Optional[List[Tensor]] = None) -> Tensor:
    """:func:`_prepare` without autograd and stochastic rounding, reusing temporaries;
    appends the not-clipped mask to ``masks`` when given (and the bound is finite; a
    compiled pass appends it only when some input was clipped)."""
    if step > 0 or math.isfinite(bound):
        found = elementwise.quantize_clip(x, factor, step, bound, masks is not None)
        if found is not None:
            if found[1] is not None:
                masks.append(found[1])
            return found[0]
    u = _scaled(x, factor)
    if step > 0:
        scaled = u
        u = _quantized(scaled, step, False, None)
        del scaled
    elif u is x:
        u = x.clone() if math.isfinite(bound) else x
    if math.isfinite(bound):
        if masks is not None:
            masks.append((u >= -bound).logical_and_(u <= bound))
        u.clamp_(-bound, bound)
    return u


class _PreparedMV(Function):
    """``W clip(quant(x * factor))`` saving ``W``, the factor and either ``x`` or, when
    ``keep_prepared`` (``x`` is a temporary nothing else keeps), the DAC inputs.

    Backward recomputes the DAC inputs from ``x`` where they were not kept
    (deterministic: no stochastic rounding or input noise) and applies the same gradient
    rules as the step-by-step graph: identity through the quantizer, zero where the
    input was clipped, times the factor.
    """

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, x: Tensor, weights: Tensor, factor: Any, step: float,
                bound: float, keep_prepared: bool = False) -> Tensor:
        # the clip mask is needed only for an input gradient
        masks: Optional[List[Tensor]] = [] if keep_prepared and x.requires_grad else None
        u = _prepare_inplace(x, factor, step, bound, masks)   # forward runs without grad
        out = _mv(weights, u)
        scale = factor if isinstance(factor, Tensor) else None
        inside = masks[0] if masks else None
        ctx.save_for_backward(u if keep_prepared else x, weights, scale, inside)
        ctx.factor = None if scale is not None else factor
        ctx.step, ctx.bound, ctx.prepared = step, bound, keep_prepared
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor) -> Tuple[Optional[Tensor], ...]:
        inputs, weights, scale, inside = ctx.saved_tensors
        factor = scale if scale is not None else ctx.factor
        # once_differentiable: runs without grad
        if ctx.prepared:
            u = inputs
        else:
            masks: List[Tensor] = []
            u = _prepare_inplace(inputs, factor, ctx.step, ctx.bound, masks)
            inside = masks[0] if masks else None
        grad_w = grad.t().mm(u) if ctx.needs_input_grad[1] else None
        del u
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = grad.mm(weights)  # a fresh result: masked and scaled in place
            if inside is not None:
                grad_x.masked_fill_(torch.logical_not(inside), 0.0)
            if isinstance(factor, Tensor):
                grad_x.mul_(factor.unsqueeze(1))
            elif factor != 1.0:
                grad_x.mul_(factor)
        return grad_x, grad_w, None, None, None, None


class TorchSimulatorTile(NoHiddenParameters, Module):
    """Weights ``[d_size, x_size]`` and the differentiable analog forward.

    Args:
        x_size: number of inputs (columns).
        d_size: number of outputs (rows).
        rpu_config: a ``TorchInferenceRPUConfig`` (its ``forward`` is read at every call).
        rng: random number generator (the owning tile's).
        dtype: dtype of the weights.
    """

    def __init__(self, x_size: int, d_size: int, rpu_config: Any,
                 rng: Optional[TileRNG] = None, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.x_size = x_size
        self.d_size = d_size
        self.rpu_config = rpu_config
        self.rng = rng if rng is not None else TileRNG(torch.device("cpu"))
        self.learning_rate = 0.1
        check_torch_io(rpu_config.forward)
        self.weight = Parameter(torch.zeros(d_size, x_size, dtype=dtype))
        io = rpu_config.forward
        values = None
        if io.out_noise_std > 0 and not io.is_perfect:
            draw = torch.randn(d_size, generator=self.rng.generator, dtype=dtype)
            values = (io.out_noise * (1.0 + io.out_noise_std * draw)).abs()
        self.register_buffer("out_noise_values", values)

    def set_config(self, rpu_config: Any) -> None:
        """Use ``rpu_config`` from now on (validated)."""
        check_torch_io(rpu_config.forward)
        self.rpu_config = rpu_config

    # ------------------------------------------------------------------ engine interface
    def brief_info(self) -> str:
        """``TorchSimulatorTile(d, x, device)``."""
        return f"{type(self).__name__}({self.d_size}, {self.x_size}, {self.weight.device})"

    def extra_repr(self) -> str:
        return f"{self.d_size}, {self.x_size}, {self.weight.device}"

    def get_brief_info(self) -> str:
        """Same as :meth:`brief_info`."""
        return self.brief_info()

    def get_x_size(self) -> int:
        """Number of inputs."""
        return self.x_size

    def get_d_size(self) -> int:
        """Number of outputs."""
        return self.d_size

    def get_learning_rate(self) -> float:
        """Learning rate of :meth:`update`."""
        return self.learning_rate

    def set_learning_rate(self, learning_rate: float) -> None:
        """Set the learning rate of :meth:`update` (finite, ``>= 0``)."""
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
                or not math.isfinite(learning_rate) or learning_rate < 0:
            raise ArgumentError(f"learning_rate must be a finite number >= 0, got "
                                f"{learning_rate!r}")
        self.learning_rate = float(learning_rate)

    def get_weights(self) -> Tensor:
        """Weights ``[d_size, x_size]`` (a detached copy)."""
        return self.weight.detach().clone()

    def set_weights(self, weights: Tensor) -> None:
        """Write ``weights`` (exactly ``[d_size, x_size]``, finite) in place."""
        if not isinstance(weights, Tensor) or tuple(weights.shape) != (self.d_size, self.x_size):
            shape = tuple(weights.shape) if isinstance(weights, Tensor) else type(weights)
            raise TileError(f"weights have shape {shape}, expected exactly "
                            f"{(self.d_size, self.x_size)}")
        if not bool(torch.isfinite(weights).all()):
            raise TileError("weights must hold finite values")
        with torch.no_grad():
            self.weight.copy_(weights.to(self.weight.device, self.weight.dtype))

    def backward(self, d: Tensor) -> Tensor:
        """Perfect backward ``W^T d`` (the config's backward is perfect)."""
        return d @ self.weight.detach()

    def update(self, x: Tensor, d: Tensor) -> None:
        """Exact SGD update ``W <- W - lr d^T x``."""
        with torch.no_grad():
            self.weight.addmm_(d.t(), x, alpha=-self.learning_rate)


    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor, is_test: bool = False,  # pylint: disable=arguments-differ
                weights: Optional[Tensor] = None, owned_input: bool = False) -> Tensor:
        """Analog MVM ``y = W x`` with the forward periphery (the same in train and eval).

        Args:
            x: inputs ``[B, x_size]``.
            is_test: accepted for the engine interface (no effect).
            weights: weights to use instead of ``self.weight`` (e.g. modified weights,
                ``[d_size, x_size]`` or per sample ``[B, d_size, x_size]``).
            owned_input: ``x`` is a temporary of the caller that nothing else keeps:
                backward keeps the DAC inputs instead of ``x`` (the same size; for an
                input gradient also the bool mask of the clipped inputs, on CPU only
                when some input is clipped) and does not recompute them.

        Returns:
            ``[B, d_size]``.
        """
        io = self.rpu_config.forward
        check_torch_io(io)
        weights = self.weight if weights is None else weights
        if io.is_perfect or io.mv_type == AnalogMVType.IDEAL:
            return _mv(weights, x) * io.out_scale
        return self._managed(weights, x, io, owned_input)

    def _noise_management(self, x: Tensor, io: Any) -> Optional[Tensor]:
        """Per-sample input scale ``[B]`` (``None``: no scaling)."""
        thres = io.nm_thres
        kind = io.noise_management
        if kind == _NM.NONE:
            return None
        with torch.no_grad():
            if kind == _NM.CONSTANT:
                return torch.full((x.shape[0],), thres if thres > 0 else 1.0,
                                  device=x.device, dtype=x.dtype)
            if kind == _NM.ABS_MAX:  # max |x| per sample, without a |x| temporary
                scale = torch.maximum(x.amax(dim=1), x.amin(dim=1).neg_())
            else:
                scale = x.amax(dim=1)
            return scale.clamp(max=thres) if thres > 0 else scale

    def _managed(self, weights: Tensor, x: Tensor, io: Any, owned_input: bool = False) -> Tensor:
        gen = self.rng.generator
        scale = self._noise_management(x, io)
        zero_rows = None
        if scale is not None:
            if io.inp_noise <= 0:
                zero_rows = scale <= 0
            scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        inp_step = _step(io.inp_res, io.inp_bound)
        bm_on = io.bound_management != BoundManagementType.NONE
        reduction = 1.0
        while True:
            factor = 1.0 / reduction if scale is None else 1.0 / (scale * reduction)
            out, failed = self._one_pass(weights, x, factor, io, gen, owned_input)
            done = (not bm_on or not failed or int(reduction) > io.max_bm_factor
                    or (inp_step > 0 and reduction > io.max_bm_res / inp_step))
            if done:
                break
            reduction *= 2.0
        if io.out_scale * reduction != 1.0:  # multiplying by 1.0 is exact: skipped
            out = out * (io.out_scale * reduction)
        if scale is not None:  # out is a fresh result that autograd does not keep
            out = out.mul_(scale.unsqueeze(1))
        if zero_rows is not None and bool(zero_rows.any()):
            out = torch.where(zero_rows.unsqueeze(1), torch.zeros_like(out), out)
        return out

    def _one_pass(self, weights: Tensor, x: Tensor, factor: Any, io: Any,
                  gen: torch.Generator, owned_input: bool = False) -> Tuple[Tensor, bool]:
        """Scale and prepare inputs, analog MV, finalize outputs; also whether any output
        saturated. ``factor`` is a float or a per-sample ``[B]`` input scale."""
        inp_bound = _bound(io.inp_bound)
        inp_step = _step(io.inp_res, io.inp_bound)
        if _recomputable_inputs(io, weights) and torch.is_grad_enabled() and (
                x.requires_grad or weights.requires_grad):
            v = _PreparedMV.apply(x, weights, factor, inp_step, inp_bound, owned_input)
            return self._finish(weights, None, v, io, gen)
        u = _prepare(x, factor, inp_step, inp_bound, io.inp_sto_round, gen)
        if io.inp_noise > 0:
            u = u + io.inp_noise * self._randn(u)
        if io.inp_asymmetry != 0:
            u = torch.where(u < 0, u * (1.0 - io.inp_asymmetry), u)
        return self._finish(weights, u, _mv(weights, u), io, gen)

    def _finish(self, weights: Tensor, u: Optional[Tensor], v: Tensor, io: Any,
                gen: torch.Generator) -> Tuple[Tensor, bool]:
        """Weight noise, IR drop, output noise, ADC; ``u`` is only needed (and given)
        for IR drop and weight noise."""
        if io.ir_drop > 0:
            v = v - self._ir_drop(weights, u, io)
        if io.w_noise > 0 and io.w_noise_type != WeightNoiseType.NONE:
            if io.w_noise_type == WeightNoiseType.ADDITIVE_CONSTANT:
                std = u.norm(dim=1, keepdim=True)
            else:
                std = _mv(weights.abs(), u * u).clamp(min=0).sqrt()
            v = v + io.w_noise * std * self._randn(v)
        if io.out_asymmetry > 0:
            v = torch.where(v < 0, v * (1.0 - io.out_asymmetry), v)
        out_bound = _bound(io.out_bound)
        if self.out_noise_values is None and not io.out_sto_round:
            # noise, ADC and saturation test in one compiled pass where it applies
            flags = elementwise.output_stage_(v, io.out_noise, _step(io.out_res, io.out_bound),
                                              out_bound, gen)
            if flags is not None:
                if not flags & 1:
                    return v, False
                inside = elementwise.clip_masked_(v, out_bound)   # clipped in place
                failed = bool(flags & 2) or (io.bm_test_negative_bound and bool(flags & 4))
                if not v.requires_grad:
                    return v, failed
                return _ClippedInPlace.apply(v, inside), failed
        # v is a fresh product that autograd does not keep: noise is added in place
        # (the draw comes first: a compiled graph may break at the random draw)
        if self.out_noise_values is not None:
            noise = self._randn(v)
            v = v.add_(noise.mul_(self.out_noise_values.to(v.dtype)))
        elif io.out_noise > 0:
            noise = self._randn(v)
            v = v.add_(noise.mul_(io.out_noise))
        if not math.isfinite(out_bound):
            return v, False
        v = _quantize(v, _step(io.out_res, io.out_bound), io.out_sto_round, gen)
        with torch.no_grad():
            inside = (v >= -out_bound).logical_and_(v <= out_bound)
            if bool(inside.all()):  # nothing saturates: the clip is the identity
                return v, False
            failed = bool((v > out_bound).any()) or (
                io.bm_test_negative_bound and bool((v < -out_bound).any()))
        return self._saturated(v, out_bound, failed, inside)

    @staticmethod
    def _saturated(v: Tensor, out_bound: float, failed: bool,
                   inside: Optional[Tensor] = None) -> Tuple[Tensor, bool]:
        """``v`` clipped to ``[-out_bound, out_bound]`` (clipped entries get no gradient;
        ``inside``: the not-clipped mask when known) and ``failed``."""
        if not v.requires_grad:
            return torch.clamp(v, -out_bound, out_bound), failed
        return _MaskedClamp.apply(v, out_bound, inside), failed

    @staticmethod
    def _ir_drop(weights: Tensor, u: Tensor, io: Any) -> Tensor:
        """IR-drop correction term (subtracted from ``W u``), spec 10 §1.7 (i)."""
        n_in = u.shape[1]
        current = _mv(weights.abs(), u.abs())
        a_i = current * (n_in / io.ir_drop_g_ratio)
        kappa = a_i * (a_i * (0.05 * a_i - 0.2) + 0.5)
        position = torch.arange(n_in, device=u.device, dtype=u.dtype) / n_in
        weighted = u * (1.0 - (1.0 - position) ** 2)
        return io.ir_drop * kappa * _mv(weights, weighted)

    def _randn(self, like: Tensor) -> Tensor:
        return torch.randn(like.shape, generator=self.rng.generator, device=like.device,
                           dtype=like.dtype)
