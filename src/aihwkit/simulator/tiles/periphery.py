"""Digital periphery of a tile: bias, mapping scales, learned output scales, the data
path of forward/backward/update, the weights API and device operations."""

from typing import Any, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor
from torch.nn import Parameter

from aihwkit.exceptions import ArgumentError, ConfigError, TileError
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.rpu_base.kernels import elementwise
from aihwkit.simulator.rpu_base.kernels.fused import saturation_mask
from aihwkit.simulator.tiles.base import TileModuleBase
from aihwkit.simulator.tiles.checks import (autocast_input, check_finite, check_integer,
                                           check_real)
from aihwkit.simulator.tiles.finite_checks import check_finite_input, check_finite_pair
from aihwkit.simulator.tiles.functions import AnalogFunction, analog_forward
from aihwkit.simulator.tiles.scales import TileScalesMixin

# numpy scalar types that round as the tensors of these dtypes
_SCALAR_TYPES = {torch.float32: np.float32, torch.float64: np.float64}

_FLOAT_TYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


class TileWithPeriphery(TileScalesMixin, TileModuleBase):
    """A tile with digital bias, weight scaling and the autograd data path."""

    handle_output_bound = True

    def __init__(self, out_size: int, in_size: int, rpu_config: Any, bias: bool = False,
                 in_trans: bool = False, out_trans: bool = False) -> None:
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)
        mapping = self.mapping
        dtype = self.get_dtype()
        self.bias = Parameter(torch.zeros(out_size, dtype=dtype)) if self.digital_bias else None
        self.out_scaling_alpha: Optional[Parameter] = None
        if mapping.learn_out_scaling:
            shape = out_size if mapping.out_scaling_columnwise else 1
            self.out_scaling_alpha = Parameter(torch.ones(shape, dtype=dtype))
        scales = None
        if mapping.weight_scaling_omega > 0 and not mapping.weight_scaling_columnwise:
            scales = torch.ones(1, dtype=dtype)
        self.register_buffer("mapping_scales", scales)
        self.mapping_lr_scale = 1.0
        self.input_range_update_idx: Optional[Parameter] = None
        params = self.input_range_parameter
        if params is None:
            self.input_range: Optional[Tensor] = None
        else:
            self.input_range_update_idx = Parameter(torch.zeros(1, dtype=dtype),
                                                    requires_grad=False)
            init = torch.full((1,), abs(float(params.init_value)), dtype=dtype)
            if params.learn_input_range:
                self.input_range = Parameter(init)
            else:
                self.register_buffer("input_range", init)

    def _check_config(self) -> None:
        super()._check_config()
        params = self.input_range_parameter
        if params is None or not params.manage_output_clipping:
            return
        forward = getattr(self.rpu_config, "forward", None)
        from aihwkit.simulator.parameters.enums import (  # pylint: disable=import-outside-toplevel
            BoundManagementType, NoiseManagementType)
        if forward is None or forward.is_perfect \
                or forward.noise_management != NoiseManagementType.NONE \
                or forward.bound_management != BoundManagementType.NONE:
            raise ConfigError("InputRangeParameter.manage_output_clipping = True needs a "
                              "non-perfect forward with noise_management and "
                              "bound_management both NONE")

    def _structure_problem(self, new_config: Any) -> Optional[str]:
        """An input range (a parameter or a buffer of the tile) cannot be switched on,
        off or between learned and fixed by replacing the config."""
        pre_post = getattr(new_config, "pre_post", None)
        new = pre_post.input_range if pre_post is not None and pre_post.input_range.enable \
            else None
        old = self.input_range_parameter
        if (old is None) != (new is None) or (
                old is not None and bool(old.learn_input_range) != bool(new.learn_input_range)):
            return ("RPU config mismatch: pre_post.input_range.enable and learn_input_range "
                    "must stay as they are (they fix the tile's input range tensor)")
        return super()._structure_problem(new_config)

    @property
    def input_range_parameter(self) -> Optional[Any]:
        """The config's enabled :class:`InputRangeParameter`, else ``None``."""
        pre_post = getattr(self.rpu_config, "pre_post", None)
        if pre_post is None or not pre_post.input_range.enable:
            return None
        return pre_post.input_range

    @property
    def mapping(self) -> MappingParameter:
        """The config's mapping parameters (defaults if the config has none)."""
        return getattr(self.rpu_config, "mapping", MappingParameter())

    # ------------------------------------------------------------------ input checks
    def _check_tensor(self, name: str, value: Any, size: int, trans: bool,
                      dtype: Optional[torch.dtype] = None) -> Tensor:
        """``value`` when it is a tensor of the tile's ``dtype`` (default: looked up)
        and device with ``size`` features; else a clear error."""
        if not isinstance(value, Tensor):
            raise ArgumentError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if dtype is None:
            dtype = self.get_dtype()
        if value.dtype != dtype:
            if value.dtype not in _FLOAT_TYPES:
                raise TileError(f"{name} must be a floating point tensor, got {value.dtype}")
            raise TileError(f"{name} has dtype {value.dtype} but the tile computes in "
                            f"{dtype}: convert it or set runtime.data_type")
        if value.device != self.device:
            raise TileError(f"{name} is on {value.device} but the tile is on {self.device}")
        if value.dim() == 0:
            raise TileError(f"{name} must have at least one dimension")
        features = value.shape[0] if trans else value.shape[-1]
        if features != size:
            where = "first" if trans else "last"
            raise TileError(f"{name} has size {features} in its {where} dimension, "
                            f"expected {size} (shape {tuple(value.shape)})")
        return value

    def _to_rows(self, value: Tensor, trans: bool) -> Tuple[Tensor, Tuple[int, ...]]:
        """Flatten to ``[B, features]``; also return the original shape."""
        if trans:
            value = value.movedim(0, -1)
        shape = tuple(value.shape)
        if len(shape) == 2:
            return value, shape
        return value.reshape(-1, shape[-1]), shape

    def _from_rows(self, rows: Tensor, shape: Tuple[int, ...], trans: bool) -> Tensor:
        out = rows if len(shape) == 2 else rows.reshape(*shape[:-1], rows.shape[-1])
        return out.movedim(-1, 0) if trans else out

    def _with_bias_column(self, rows: Tensor) -> Tensor:
        if not self.analog_bias:
            return rows
        return torch.cat([rows, torch.ones_like(rows[:, :1])], dim=1)

    # ------------------------------------------------------------------ data path
    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-differ
        """Analog MVM with digital periphery.

        Shape: ``x`` ``[..., in_size]`` (``[in_size, ...]`` with ``in_trans``); returns
        ``[..., out_size]`` (``[out_size, ...]`` with ``out_trans``).
        """
        dtype = self.get_dtype()
        if not isinstance(x, Tensor) or x.dtype != dtype:
            x = autocast_input(x, dtype)
        self._check_tensor("x", x, self.in_size, self.in_trans, dtype)
        check_finite_input(x)
        grad = torch.is_grad_enabled()
        # a plain flag: skips the attribute bookkeeping of torch.nn.Module
        object.__setattr__(self, "_needs_output_mask", grad)
        if grad:
            out = AnalogFunction.apply(self.analog_ctx, self, x, self._shared_weights(),
                                       not self.training)
        else:  # no graph to record: the same forward without the autograd function
            out, _ = analog_forward(self.analog_ctx, self, x, self._shared_weights(),
                                    not self.training)
        out = self.apply_out_scaling(out)
        if self.bias is not None:
            out = out + self._view_out(self.bias, out)
        return out

    def _shared_weights(self) -> Optional[Tensor]:
        """Weights handed to autograd when torch updates them (inference tiles)."""
        return None

    def _view_out(self, vec: Tensor, out: Tensor) -> Tensor:
        if self.out_trans:
            return vec.view(-1, *([1] * (out.dim() - 1)))
        return vec

    def joint_forward(self, x: Tensor, is_test: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """Engine forward with mapping scales; returns the output and the saturation mask
        used by the backward pass (``None`` when outputs are unbounded)."""
        rows, shape = self._to_rows(x, self.in_trans)
        input_range = self.input_range
        if input_range is not None:
            if self.training and not is_test:
                self._init_input_range_from_data(rows)
            rows = self.apply_input_range(rows)
        if self.analog_bias:
            rows = self._with_bias_column(rows)
        y = self.tile.forward(rows, is_test)
        mask = self._output_bound_mask(y)
        if input_range is not None:
            y = y * input_range.detach().abs()
        scales = self.mapping_scales
        if scales is not None:
            y = y * scales
        if len(shape) == 2 and not self.out_trans:
            return y, mask
        return self._from_rows(y, shape, self.out_trans), mask

    def _output_bound_mask(self, y: Tensor) -> Optional[Tensor]:
        """Saturated outputs pass no gradient (tile units, before any scaling); ``None``
        when none is (or can be) saturated."""
        forward = getattr(self.rpu_config, "forward", None)
        if not self.handle_output_bound or forward is None or forward.out_bound <= 0:
            return None
        if not getattr(self, "_needs_output_mask", True):
            return None  # no backward will follow (forward under torch.no_grad)
        return saturation_mask(y, forward.out_scale * forward.out_bound * 0.999)

    # ------------------------------------------------------------------ input range
    def apply_input_range(self, values: Tensor, update_from_data: bool = False) -> Tensor:
        """``clip(x, -r, r) / r`` when an input range is enabled, else ``x``."""
        if self.input_range is None:
            return values
        if update_from_data:
            self._init_input_range_from_data(values)
        bound = self.input_range.detach().abs()
        return torch.maximum(torch.minimum(values, bound), -bound) / bound

    def _init_input_range_from_data(self, values: Tensor) -> None:
        """Running mean of ``init_std_alpha * std(x)`` over the first training batches
        (no step for a non-finite ``x``: its std is NaN). Written through ``.data``: a
        graph of an earlier forward that saved the range stays usable."""
        params = self.input_range_parameter
        idx = float(self.input_range_update_idx)
        if idx >= params.init_from_data:
            return
        std = elementwise.std(values)
        kind = _SCALAR_TYPES.get(self.input_range.dtype)
        if std is not None and kind is not None and self.input_range.is_cpu:
            if std > 0:   # float arithmetic that rounds as the tensor expression below
                value = (kind(kind(float(self.input_range.detach())) * kind(idx))
                         + kind(params.init_std_alpha * std)) / kind(idx + 1)
                self.input_range.data.fill_(float(abs(value)))
                self.input_range_update_idx.data.fill_(idx + 1.0)
            return
        with torch.no_grad():
            std = values.std() if std is None else std
            if std > 0:
                value = (self.input_range * idx + params.init_std_alpha * std) / (idx + 1)
                self.input_range.data.copy_(value.abs())
                self.input_range_update_idx.data.add_(1.0)

    def set_input_range(self, value: Union[Tensor, float]) -> None:
        """Set the input range ``r`` to ``|value|``."""
        if self.input_range is None:
            raise ConfigError("InputRangeParameter.enable = False: the tile has no input range")
        if isinstance(value, Tensor) and value.numel() > 1:
            value = value.reshape(-1)[0]
        value = check_real("input_range", value)
        if value == 0:
            raise ArgumentError("input_range must be non-zero, got 0")
        with torch.no_grad():
            self.input_range.fill_(abs(float(value)))

    def input_range_backward(self, x: Tensor, dx: Tensor, mask: Optional[Tensor]) -> None:
        """Accumulate the range gradient into ``input_range.grad`` (one-sided: clipping
        pushes ``r`` up, ``decay`` pulls it down)."""
        if self.input_range is None or not self.input_range.requires_grad:
            return
        params = self.input_range_parameter
        r = self.input_range.detach().abs()
        grad = (dx.clamp(max=0) * (x >= r)).sum() - (dx.clamp(min=0) * (x <= -r)).sum()
        if params.gradient_relative:
            grad = grad * r * params.gradient_scale
        if params.manage_output_clipping and mask is not None:
            p_out = 1.0 - mask.float().mean()
            if p_out < params.output_min_percentage:
                grad = grad - (1.0 - p_out) * r
        if params.decay > 0:
            p_in = (x.abs() < r).float().mean()
            if p_in > params.input_min_percentage:
                grad = grad + params.decay * r
        grad = grad.reshape(1).to(self.input_range.dtype)
        if self.input_range.grad is None:
            self.input_range.grad = grad
        else:
            self.input_range.grad += grad

    def backward(self, d: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """Engine backward ``W^T d`` for the output gradient ``d`` (same layout as the
        forward output); returns the input gradient."""
        rows, shape = self._to_rows(d, self.out_trans)
        if self.mapping_scales is not None:
            rows = rows * self.mapping_scales
        if mask is not None:
            rows = rows.masked_fill(mask, 0.0)
        z = self.tile.backward(rows)
        if self.analog_bias:
            z = z[:, :-1]
        if len(shape) == 2 and not self.in_trans:
            return z
        return self._from_rows(z, shape, self.in_trans)

    def update(self, x: Tensor, d: Tensor) -> None:
        """Analog update ``W <- W - lr * d^T x`` with the tile learning rate.

        Shape: ``x`` ``[..., in_size]``, ``d`` ``[..., out_size]`` with equal batch size.
        """
        self._check_tensor("x", x, self.in_size, self.in_trans)
        self._check_tensor("d", d, self.out_size, self.out_trans)
        check_finite_pair(x, d)
        self._update_checked(x, d)

    def update_finite(self, x: Tensor, d: Tensor) -> None:
        """:meth:`update` for operands the caller has already found finite (the analog
        optimizers test all stored traces of a step at once): skips that test."""
        if type(self).update is not TileWithPeriphery.update:
            self.update(x, d)  # a subclass's own update decides
            return
        dtype = self.get_dtype()
        self._check_tensor("x", x, self.in_size, self.in_trans, dtype)
        self._check_tensor("d", d, self.out_size, self.out_trans, dtype)
        self._update_checked(x, d)

    def _update_checked(self, x: Tensor, d: Tensor) -> None:
        """The engine update of checked operands (batch sizes still compared here)."""
        if x.dim() == 2 and d.dim() == 2 and not (self.in_trans or self.out_trans):
            x_rows, d_rows = x, d
        else:
            x_rows, _ = self._to_rows(x, self.in_trans)
            d_rows, _ = self._to_rows(d, self.out_trans)
        if x_rows.shape[0] != d_rows.shape[0]:
            raise TileError(f"x and d disagree in batch size: {x_rows.shape[0]} vs "
                            f"{d_rows.shape[0]}")
        x_rows, d_rows = self._update_operands(_detached(x_rows), _detached(d_rows))
        self.tile.update(_contiguous(x_rows), _contiguous(d_rows))

    def _update_operands(self, x_rows: Tensor, d_rows: Tensor) -> Tuple[Tensor, Tensor]:
        """``x~ = clip(x)/r`` (+ bias column) and ``d~ = d / (mapping_scales * lr_scale)``."""
        scale = self.mapping_lr_scale
        if self.mapping_scales is not None:
            d_rows = d_rows / (self.mapping_scales * scale)
        elif scale != 1.0:
            d_rows = d_rows / scale
        return self._with_bias_column(self.apply_input_range(x_rows)), d_rows

    def weight_gradient(self, x: Tensor, d: Tensor) -> Tensor:
        """Gradient ``d~^T x~`` of the engine weights ``[d_size, x_size]`` (the operands
        of the analog update, see :meth:`_update_operands`)."""
        x_rows, _ = self._to_rows(x, self.in_trans)
        d_rows, _ = self._to_rows(d, self.out_trans)
        x_rows, d_rows = self._update_operands(x_rows, d_rows)
        return d_rows.t() @ x_rows

    # ------------------------------------------------------------------ weights
    def set_weights(self, weight: Any, bias: Any = None, apply_weight_scaling: bool = True,
                    realistic: bool = False, weight_scaling_omega: Optional[float] = None
                    ) -> None:
        """Set the logical weights and bias.

        Args:
            weight: exactly ``[out_size, in_size]`` (a convolution kernel
                ``[out_size, ...]`` whose trailing sizes multiply to ``in_size`` is
                flattened row by row); finite numbers.
            bias: ``[out_size]``; ignored when the tile was built without a bias.
            apply_weight_scaling: normalise by the mapping scales (weight scaling omega).
            realistic: program the weights afterwards.
            weight_scaling_omega: overrides ``mapping.weight_scaling_omega``.

        Raises:
            TileError: wrong shape or non-finite values (nothing is changed).
            ArgumentError: not a tensor of numbers.
        """
        weight = self._as_matrix("weight", weight, (self.out_size, self.in_size),
                                 kernel=True)
        bias_t = None
        if bias is not None and self.use_bias:
            bias_t = self._as_matrix("bias", bias, (self.out_size,))
        if weight_scaling_omega is not None:
            weight_scaling_omega = check_real("weight_scaling_omega", weight_scaling_omega,
                                              minimum=0.0)
        if self.analog_bias:
            if bias_t is None:
                raise ValueError("Analog tile has a bias, but no bias given")
            weight = torch.cat([weight, bias_t.unsqueeze(1)], dim=1)
        self.reference_combined_weights = None
        if apply_weight_scaling:
            omega = self.mapping.weight_scaling_omega if weight_scaling_omega is None \
                else weight_scaling_omega
            if omega > 0:
                if self.mapping.weight_scaling_columnwise:
                    wmax = weight.abs().amax(dim=1)
                else:
                    wmax = weight.abs().max().reshape(1)
                alpha = wmax / omega
                alpha[alpha == 0] = 1.0
                weight = weight / alpha.unsqueeze(1)
                self.set_scales(alpha)
        if self.digital_bias and bias_t is not None:
            with torch.no_grad():
                self.bias.copy_(bias_t.to(self.bias.device))
        self.tile.set_weights(weight.to(self.device))
        if realistic:
            self.program_weights()

    def _as_matrix(self, name: str, value: Any, shape: Optional[Tuple[int, ...]],
                   kernel: bool = False) -> Tensor:
        """``value`` as a finite CPU tensor of exactly ``shape`` (``None``: any shape;
        ``kernel``: also ``[shape[0], ...]`` with trailing sizes multiplying to
        ``shape[1]``, flattened row by row)."""
        if isinstance(value, (str, bytes, bool)):
            raise ArgumentError(f"{name} must be a tensor of numbers, got {value!r}")
        try:
            tensor = torch.as_tensor(value).detach()
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ArgumentError(f"{name} cannot be converted to a tensor: {exc}") from exc
        if not (tensor.is_floating_point() or tensor.dtype in (torch.int32, torch.int64)):
            raise ArgumentError(f"{name} must hold real numbers, got dtype {tensor.dtype}")
        if shape is not None and tuple(tensor.shape) != tuple(shape):
            is_kernel = (kernel and tensor.dim() > 2 and tensor.shape[0] == shape[0]
                         and tensor[0].numel() == shape[1])
            if not is_kernel:
                raise TileError(f"{name} has shape {tuple(tensor.shape)}, expected exactly "
                                f"{tuple(shape)}")
            tensor = tensor.reshape(shape)
        check_finite(name, tensor)
        return tensor.to(device="cpu", dtype=self.get_dtype()).clone()

    def get_weights(self, apply_weight_scaling: bool = True, realistic: bool = False
                    ) -> Tuple[Tensor, Optional[Tensor]]:
        """Logical weights ``[out_size, in_size]`` and bias ``[out_size]`` (CPU copies)."""
        if realistic:
            return self.read_weights(apply_weight_scaling)
        weight = self.tile.get_weights().detach().cpu()
        if apply_weight_scaling:
            scales = self.get_scales()
            if scales is not None:
                weight = weight * scales.detach().cpu().reshape(-1, 1)
        bias = None
        if self.analog_bias:
            weight, bias = weight[:, :-1].clone(), weight[:, -1].clone()
        elif self.digital_bias:
            bias = self.bias.detach().cpu().clone()
        return weight.clone(), bias

    def read_weights(self, apply_weight_scaling: bool = False, x_values: Optional[Tensor] = None,
                     over_sampling: int = 10) -> Tuple[Tensor, Optional[Tensor]]:
        """Estimate the weights by a least-squares fit of eval-mode forward passes."""
        over_sampling = check_integer("over_sampling", over_sampling, minimum=1)
        was_training = self.training
        self.eval()
        try:
            if x_values is None:
                x_values = torch.randn(over_sampling * self.in_size, self.in_size,
                                       dtype=self.get_dtype(), device=self.device)
            with torch.no_grad():
                y = self.forward(x_values)
                if self.bias is not None:
                    y = y - self.bias
            ones = torch.ones_like(x_values[:, :1])
            design = torch.cat([x_values, ones], dim=1) if self.analog_bias else x_values
            solution = torch.linalg.lstsq(design.cpu().double(), y.cpu().double()).solution
            est = solution.t().to(self.get_dtype())
        finally:
            self.train(was_training)
        weight = est[:, :self.in_size]
        bias = est[:, -1] if self.analog_bias else (
            self.bias.detach().cpu().clone() if self.bias is not None else None)
        if not apply_weight_scaling:
            scales = self.get_scales()
            if scales is not None:
                weight = weight / scales.cpu().reshape(-1, 1)
        return weight, bias

    def remap_weights(self, weight_scaling_omega: Optional[float] = 1.0) -> None:
        """Re-apply weight scaling with ``weight_scaling_omega``."""
        weight, bias = self.get_weights(apply_weight_scaling=True)
        self.set_weights(weight, bias, apply_weight_scaling=True,
                         weight_scaling_omega=weight_scaling_omega)

    def program_weights(self, from_reference: bool = True, x_values: Optional[Tensor] = None,
                        learning_rate: float = 0.1, max_iter: int = 10000,
                        tolerance: Optional[float] = 0.01, w_init: Union[float, Tensor] = 0.01
                        ) -> None:
        """Program the current weights by closed-loop pulsed updates (training tiles)."""
        learning_rate = check_real("learning_rate", learning_rate, minimum=0.0)
        max_iter = check_integer("max_iter", max_iter, minimum=0)
        if tolerance is not None:
            tolerance = check_real("tolerance", tolerance, minimum=0.0)
        if not isinstance(w_init, Tensor):
            w_init = check_real("w_init", w_init)
        target = self.tile.get_weights().detach().clone()
        x = torch.eye(self.x_size, dtype=self.get_dtype(), device=self.device) \
            if x_values is None else x_values
        if isinstance(w_init, Tensor):
            self.tile.set_weights(w_init.to(self.device, self.get_dtype()))
        else:
            draw = self._rng.uniform(target.shape, self.get_dtype())
            self.tile.set_weights((draw * 2 - 1) * w_init)
        old_lr = self.tile.learning_rate
        self.tile.learning_rate = learning_rate
        try:
            ref = (x @ target.t())
            scale = ref.abs().max().clamp_min(1e-12)
            for _ in range(max_iter):
                error = self.tile.forward(x, True) - ref
                if tolerance is not None and float(error.abs().mean() / scale) < tolerance:
                    break
                self.tile.update(x, error)
        finally:
            self.tile.learning_rate = old_lr

    # ------------------------------------------------------------------ device operations
    def post_update_step(self) -> None:
        """Called once per optimizer step: diffusion then decay, if the device has them."""
        device = self.tile.device_engine
        if device.requires_diffusion():
            device.diffuse_weights()
        if device.requires_decay():
            device.decay_weights(1.0)

    def decay_weights(self, alpha: float = 1.0) -> None:
        """Decay weights towards their reset values (``alpha``: finite, ``>= 0``, scales
        the decay rate)."""
        alpha = check_real("alpha", alpha, minimum=0.0)
        self.tile.device_engine.decay_weights(alpha)

    def diffuse_weights(self) -> None:
        """Apply one diffusion step."""
        self.tile.device_engine.diffuse_weights()

    def drift_weights(self, delta_t: float = 1.0) -> None:
        """Apply device drift for ``delta_t``."""
        delta_t = check_real("delta_t", delta_t, minimum=0.0)
        self.tile.device_engine.drift_weights(delta_t)

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        """Reset ``num_columns`` columns from ``start_column_idx`` (wrapping around)."""
        start_column_idx = check_integer("start_column_idx", start_column_idx)
        num_columns = check_integer("num_columns", num_columns, minimum=-1)
        reset_prob = check_real("reset_prob", reset_prob, minimum=0.0, maximum=1.0)
        self.tile.device_engine.reset_columns(start_column_idx, num_columns, reset_prob)

    def reset(self, reset_prob: float = 1.0) -> None:
        """Reset all columns."""
        self.reset_columns(0, -1, reset_prob)

    def get_forward_parameters(self) -> dict:
        """Per-line forward periphery parameters drawn at construction."""
        return self._periphery("fwd").get_parameters()

    def set_forward_parameters(self, dic: Optional[dict] = None, **kwargs: Tensor) -> None:
        """Overwrite per-line forward periphery parameters (finite tensors)."""
        self._periphery("fwd").set_parameters(_finite_parameters({**(dic or {}), **kwargs}))

    def get_backward_parameters(self) -> dict:
        """Per-line backward periphery parameters drawn at construction."""
        return self._periphery("bwd").get_parameters()

    def set_backward_parameters(self, dic: Optional[dict] = None, **kwargs: Tensor) -> None:
        """Overwrite per-line backward periphery parameters (finite tensors)."""
        self._periphery("bwd").set_parameters(_finite_parameters({**(dic or {}), **kwargs}))

    def _periphery(self, name: str) -> Any:
        manager = getattr(self.tile, name, None)
        if manager is None:
            raise TileError(f"{type(self).__name__} has no analog periphery")
        return manager


def _detached(tensor: Tensor) -> Tensor:
    return tensor.detach() if tensor.requires_grad else tensor


def _contiguous(tensor: Tensor) -> Tensor:
    return tensor if tensor.is_contiguous() else tensor.contiguous()


def _finite_parameters(params: dict) -> dict:
    """Check that every given periphery parameter is a finite tensor (before any write)."""
    for name, value in params.items():
        if not isinstance(value, Tensor):
            raise ArgumentError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        check_finite(name, value)
    return params
