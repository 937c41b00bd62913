"""Inference tile simulated in plain torch (``TorchInferenceRPUConfig``).

Differences to :class:`InferenceTile` follow the torch tile of the original package:
the whole forward is torch autograd; the weight modifier is applied on every training
forward (fresh noise, never in eval); inputs clipped by the input range get no gradient;
after ``set_scales`` the weight gradient is divided by the squared mapping scales;
``post_update_step`` only clips and remaps.
"""

from typing import Any, Dict, Optional, Tuple

import torch
from torch import Tensor
from torch.autograd import Function

from aihwkit.exceptions import (
    AnalogBiasConfigError, ArgumentError, TileError, TorchTileConfigError)
from aihwkit.simulator.rpu_base.kernels import elementwise
from aihwkit.simulator.rpu_base.weight_ops import check_modifier, modify_weights_torch
from aihwkit.simulator.tiles.checks import autocast_input, check_finite
from aihwkit.simulator.tiles.finite_checks import check_finite_input
from aihwkit.simulator.tiles.inference import InferenceTileWithPeriphery
from aihwkit.simulator.tiles.torch_tile import TorchSimulatorTile


class _ScaleWeightGrad(Function):
    """Identity on the weights; divides their gradient by ``scales**2`` per row."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, weights: Tensor, scales: Tensor) -> Tensor:
        ctx.save_for_backward(scales)
        return weights.view_as(weights)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None]:
        (scales,) = ctx.saved_tensors
        return grad / (scales * scales).reshape(-1, 1), None


def _range_sums(grad: Tensor, raw: Tensor, bound: Tensor) -> Tuple[Tensor, Tensor]:
    """``sum(min(g, 0) [x >= r]) - sum(max(g, 0) [x <= -r])`` of the gradient ``g`` of the
    clipped inputs and the inputs ``x``, and the fraction of inputs with ``|x| < r``."""
    total = ((grad.clamp(max=0) * (raw >= bound)).sum()
             - (grad.clamp(min=0) * (raw <= -bound)).sum())
    return total, (raw.abs() < bound).to(raw.dtype).mean()


def _range_gradient(total: Tensor, inside: Any, bound: Tensor, params: Any) -> Tensor:
    """The input-range gradient from the clip sums ``total`` (``sum(min(g, 0) [x >= r])
    - sum(max(g, 0) [x <= -r])``) and the fraction ``inside`` of inputs with
    ``|x| < r``: scaled by ``r gradient_scale`` when ``gradient_relative``, plus
    ``decay r`` while more than ``input_min_percentage`` of the inputs are inside."""
    if params.gradient_relative:
        total = total * bound * params.gradient_scale
    if params.decay > 0 and inside > params.input_min_percentage:
        total = total + params.decay * bound
    return total


class _InputRangeGrad(Function):
    """Identity on the clipped inputs; returns the input-range gradient (spec §1.6)."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, clipped: Tensor, raw: Tensor, input_range: Tensor,
                params: Any) -> Tensor:
        ctx.save_for_backward(raw, input_range)
        ctx.params = params
        return clipped.view_as(clipped)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, None, Tensor, None]:
        raw, input_range = ctx.saved_tensors
        params = ctx.params
        bound = input_range.detach().abs()
        range_grad = _range_gradient(*_range_sums(grad, raw, bound), bound, params)
        return grad, None, range_grad.reshape(input_range.shape).to(input_range.dtype), None


class _CompiledInputClip(Function):
    """``clip(x, -r, r) / r`` and its gradients (input and, when learned, input range)
    in one compiled call each way: the same values and input gradients as the torch
    operations of :meth:`TorchInferenceTile._clip_input` (``r`` is a float here)."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, rows: Tensor, input_range: Tensor, out: Tensor, bound: float,
                params: Any) -> Tensor:
        ctx.save_for_backward(rows, input_range)
        ctx.bound, ctx.params = bound, params
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Optional[Tensor], ...]:
        rows, input_range = ctx.saved_tensors
        found = elementwise.clip_scale_backward(grad, rows, ctx.bound, ctx.needs_input_grad[0])
        if found is None:   # e.g. traced by torch.compile: the torch operations
            bound = input_range.detach().abs()
            scaled = grad / bound
            grad_rows = torch.where((rows >= -bound) & (rows <= bound), scaled,
                                    scaled.new_zeros(()))
            total, fraction = _range_sums(scaled, rows, bound)
        else:
            grad_rows, total, count = found
            fraction = count / max(rows.numel(), 1)
        range_grad = None
        if ctx.needs_input_grad[1]:
            bound = input_range.detach().abs()
            range_grad = _range_gradient(torch.full_like(bound, float(total)), fraction,
                                         bound, ctx.params)
            range_grad = range_grad.reshape(input_range.shape).to(input_range.dtype)
        return grad_rows, range_grad, None, None, None


class _UnclippedRangeGrad(Function):
    """Identity on the tile outputs; gives the input range the gradient of an input clip
    that clipped nothing (every ``|x| < r``) of inputs that need no gradient: the clip
    sums are zero and all inputs are inside, so the range gradient is ``decay r`` (when
    ``1 > input_min_percentage``) or 0, whatever the output gradient. Autograd then
    needs no input gradient of the product (one matrix product fewer per backward)."""

    # pylint: disable=arguments-differ,abstract-method
    @staticmethod
    def forward(ctx: Any, out: Tensor, input_range: Tensor, params: Any) -> Tensor:
        ctx.save_for_backward(input_range)
        ctx.params = params
        return out.view_as(out)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Tensor, Optional[Tensor], None]:
        (input_range,) = ctx.saved_tensors
        range_grad = None
        if ctx.needs_input_grad[1]:
            # _range_gradient with zero sums and every input inside, in one operation
            params = ctx.params
            bound = input_range.detach().abs()
            if params.decay > 0 and 1.0 > params.input_min_percentage:
                range_grad = bound * params.decay
            else:
                range_grad = torch.zeros_like(bound)
        return grad, range_grad, None


class TorchInferenceTile(InferenceTileWithPeriphery):
    """Inference tile whose analog forward is differentiable torch code.

    The weights are the parameter ``tile.weight`` of the child :class:`TorchSimulatorTile`
    and learn through ordinary autograd.

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a ``TorchInferenceRPUConfig`` (default when ``None``).
        bias: whether the tile has a (digital) bias.
        in_trans, out_trans: not supported (``TorchTileConfigError`` if set).

    Raises:
        TorchTileConfigError: unsupported settings (transposed layouts, modifier types
            other than NONE/COPY/ADD_NORMAL/MULT_NORMAL/DISCRETIZE, ``pdrop``,
            ``enable_during_test``, ``copy_last_column``, AVERAGE_CHANNEL_MAX clipping,
            remapping other than symmetric to 1, ``manage_output_clipping``, forward IO
            outside the torch subset).
        AnalogBiasConfigError: an analog bias (``mapping.digital_bias=False``).
    """

    torch_semantics = True
    supports_indexed = False
    context_requires_grad = False  # the forward does not run through AnalogFunction

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import TorchInferenceRPUConfig
            rpu_config = TorchInferenceRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)
        self.analog_ctx.use_torch_update = True
        self._register_state_dict_hook(_analog_state_last)

    def _check_config(self) -> None:
        if self.in_trans or self.out_trans:
            raise TorchTileConfigError("TorchInferenceTile does not support in_trans/out_trans")
        if self.analog_bias:
            raise AnalogBiasConfigError("TorchInferenceTile does not support an analog bias: "
                                        "set mapping.digital_bias = True")
        params = self.input_range_parameter
        if params is not None and params.manage_output_clipping:
            raise TorchTileConfigError("InputRangeParameter.manage_output_clipping is not "
                                       "supported by the torch tile")
        if getattr(self.rpu_config, "simulator_tile_class", None) is None:
            raise TorchTileConfigError(f"{type(self.rpu_config).__name__} has no "
                                       "simulator_tile_class: use a TorchInferenceRPUConfig")
        super()._check_config()

    def _create_engine(self) -> TorchSimulatorTile:
        return self.rpu_config.simulator_tile_class(self.x_size, self.d_size, self.rpu_config,
                                                    rng=self._rng, dtype=self.get_dtype())

    def _initial_weights(self) -> Tensor:
        return torch.zeros(self.d_size, self.x_size, dtype=self.get_dtype())

    def _tile_weights(self) -> Tensor:
        return self.tile.weight.data

    def _raw_forward(self, x: Tensor) -> Tensor:
        return self.tile(x, True)

    def get_brief_info(self) -> str:
        return self.tile.brief_info()

    def extra_repr(self) -> str:
        return ""

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-differ
        """Differentiable analog forward with digital periphery.

        Shape: ``x`` ``[..., in_size]``; returns ``[..., out_size]``.
        """
        out, shape = self._analog_forward(x)
        return self._digital_periphery(out, shape)

    def _analog_forward(self, x: Tensor) -> Tuple[Tensor, Tuple[int, ...]]:
        """Input range, modified weights and the analog MVM; returns the output rows
        ``[B, out_size]`` (tile units) and the input's shape."""
        x = autocast_input(x, self.get_dtype())
        self._check_tensor("x", x, self.in_size, False)
        if self.input_range is None:
            check_finite_input(x)
        # else the input clip tests it, before any state changes: the running range
        # estimate takes no step for a non-finite input (its std is NaN)
        if self.tile.rpu_config is not self.rpu_config:   # else the tile's forward checks it
            self.tile.set_config(self.rpu_config)
        rows, shape = self._to_rows(x, False)
        unclipped = False
        if self.input_range is not None:
            if self.training:
                self._init_input_range_from_data(rows.detach())
            rows, unclipped = self._clip_input(rows)
        weights = self.tile.weight
        if self.mapping_scales is not None:
            weights = _ScaleWeightGrad.apply(weights, self.mapping_scales.detach())
        modifier = self.rpu_config.modifier
        if self.training:
            check_modifier(modifier, torch_tile=True)
            batch = rows.shape[0] if modifier.per_batch_sample else None
            weights = modify_weights_torch(weights, modifier, batch, self._rng.generator)
        if self.input_range is not None and isinstance(self.tile, TorchSimulatorTile):
            # the clipped rows are this call's temporary
            out = self.tile(rows, not self.training, weights, owned_input=True)
        else:
            out = self.tile(rows, not self.training, weights)
        if unclipped:
            out = _UnclippedRangeGrad.apply(out, self.input_range, self.input_range_parameter)
        return out, shape

    def _digital_periphery(self, out: Tensor, shape: Tuple[int, ...]) -> Tensor:
        """Digital output stage: input range, mapping and learned scales, drift alpha
        (eval), bias."""
        if self.input_range is not None:
            out = out * self.input_range.detach().abs()
        if self.mapping_scales is not None:
            out = out * self.mapping_scales
        if not self.training:
            out = self._apply_drift_alpha(out)
        out = self._from_rows(out, shape, False)
        out = self.apply_out_scaling(out)
        if self.bias is not None:
            out = out + self.bias
        return out

    def _clip_input(self, rows: Tensor) -> Tuple[Tensor, bool]:
        """``clip(x, -r, r) / r``; clipped entries get no input gradient, the range gets
        the gradient of spec §1.6 when it is learned. Also whether that gradient is left
        to :class:`_UnclippedRangeGrad` on the tile outputs (nothing clipped, inputs
        without gradient): the clipped inputs then carry no graph."""
        bound = self.input_range.detach().abs()
        if bound.numel() == 1 and bound.is_cpu:
            value = float(bound)
            found = elementwise.clip_scale(rows.detach(), value)
            if found is not None:   # one compiled pass each way
                out, outside = found
                if outside:   # the count includes non-finite inputs
                    check_finite_input(rows)
                if not (rows.requires_grad or self.input_range.requires_grad):
                    return out, False
                if not rows.requires_grad and outside == 0 and rows.numel() \
                        and torch.is_grad_enabled():
                    return out, True
                params = self.input_range_parameter
                return _CompiledInputClip.apply(rows, self.input_range, out, value,
                                                params), False
        check_finite_input(rows)
        clipped = torch.clamp(rows, -bound, bound)
        if self.input_range.requires_grad:
            clipped = _InputRangeGrad.apply(clipped, rows.detach(), self.input_range,
                                            self.input_range_parameter)
        return clipped / bound, False

    # ------------------------------------------------------------------ after each step
    def post_update_step(self) -> None:
        """Clip, then remap (no modifier, decay or diffusion)."""
        self._clip_and_remap(self.rpu_config.clip, self.rpu_config.remap)

    def decay_weights(self, alpha: float = 1.0) -> None:
        """Not available: the torch tile has no device model."""
        raise TileError("TorchInferenceTile has no device model: decay is not simulated")

    def diffuse_weights(self) -> None:
        """Not available: the torch tile has no device model."""
        raise TileError("TorchInferenceTile has no device model: diffusion is not simulated")

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        """Not available: the torch tile has no device model."""
        raise TileError("TorchInferenceTile has no device model: reset is not simulated")

    # ------------------------------------------------------------------ periphery params
    def get_forward_parameters(self) -> Dict[str, Tensor]:
        """``{"out_noise_values": ...}`` (empty tensor without ``out_noise_std``)."""
        values = self.tile.out_noise_values
        return {"out_noise_values": torch.empty(0) if values is None
                else values.detach().clone()}

    def set_forward_parameters(self, dic: Optional[Dict[str, Tensor]] = None,
                               **kwargs: Tensor) -> None:
        """Set ``out_noise_values`` (one per output)."""
        params = {**(dic or {}), **kwargs}
        unknown = set(params) - {"out_noise_values"}
        if unknown:
            raise ArgumentError(f"Unknown forward parameters {sorted(unknown)}: only "
                                "'out_noise_values' can be set on the torch tile")
        if "out_noise_values" in params:
            values = torch.as_tensor(params["out_noise_values"]).reshape(-1)
            check_finite("out_noise_values", values)
            if bool((values < 0).any()):
                raise ArgumentError("out_noise_values must be >= 0")
            if values.numel() != self.out_size:
                raise ArgumentError(f"out_noise_values needs {self.out_size} values, got "
                                    f"{values.numel()}")
            self.tile.out_noise_values = values.to(self.device, self.get_dtype()).clone()

    def get_backward_parameters(self) -> Dict[str, Tensor]:
        """The backward pass is perfect: no parameters."""
        return {}

    def set_backward_parameters(self, dic: Optional[Dict[str, Tensor]] = None,
                                **kwargs: Tensor) -> None:
        """The backward pass is perfect: nothing can be set."""
        if dic or kwargs:
            raise ArgumentError("The torch tile has no backward periphery parameters")


def _analog_state_last(module: Any, state_dict: Dict[str, Any], prefix: str,
                       local_metadata: Any) -> None:
    """Move ``analog_tile_state`` after the child ``tile.*`` entries."""
    key = prefix + "analog_tile_state"
    if key in state_dict:
        state_dict[key] = state_dict.pop(key)


class CudaTorchInferenceTile(TorchInferenceTile):
    """A :class:`TorchInferenceTile` whose state lives on a CUDA device."""


TorchInferenceTile.cpu_class = TorchInferenceTile
TorchInferenceTile.cuda_class = CudaTorchInferenceTile
