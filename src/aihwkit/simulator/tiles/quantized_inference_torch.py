"""Torch inference tile with fake-quantized digital periphery
(``QuantizedTorchInferenceRPUConfig``).

Two independent quantizations, each off when its bit width is 0 (a negative width is a
ConfigError):

* ``rpu_config.pre_post.periph_quant`` (:class:`PeripheryQuantizationParameter`): the
  merged digital output scale ``r · s_map · s_learn`` (input range, mapping scales,
  learned output scales; ``[1]`` or ``[out_size]``) and the digital bias ``[out_size]``
  are each fake-quantized on one uniform grid per tensor whose range is the tensor's
  current minimum and maximum;
* ``rpu_config.act_quant_config`` (:class:`ActivationQuantConfig`): the tile outputs
  (after scales and bias) are fake-quantized on one grid whose range is a running
  min-max estimate over the training batches.

Fake quantization rounds in the forward pass and passes the gradient straight through
(zero for values clipped by the range). With ``learn_quant_params`` the range becomes a
pair of learnable parameters once the estimate has seen ``init_learning_after`` training
batches.
"""

from copy import copy
from typing import Any, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Module, Parameter

from aihwkit.exceptions import ConfigError, check_field
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

MAX_BITS = 32


def check_quant_config(owner: str, config: Any) -> None:
    """Validate one quantization setting (``PeripheryQuantizationParameter`` or
    ``ActivationQuantConfig``).

    Raises:
        ConfigError: a field outside its allowed range, naming the field.
    """
    n_bits = config.n_bits
    check_field(owner, "n_bits", n_bits,
                isinstance(n_bits, int) and not isinstance(n_bits, bool)
                and 0 <= n_bits <= MAX_BITS,
                f"an integer in [0, {MAX_BITS}] (0: off)")
    check_field(owner, "symmetric", config.symmetric, isinstance(config.symmetric, bool),
                "a bool")
    check_field(owner, "learn_quant_params", config.learn_quant_params,
                isinstance(config.learn_quant_params, bool), "a bool")
    after = config.init_learning_after
    check_field(owner, "init_learning_after", after,
                isinstance(after, int) and not isinstance(after, bool) and after >= 0,
                "an integer >= 0")
    if config.symmetric and n_bits == 1:
        raise ConfigError(f"{owner}.n_bits = 1 is invalid with symmetric = True: must be "
                          "0 or >= 2 (a symmetric grid needs a sign bit and one magnitude "
                          "bit)")


def _round_ste(values: Tensor) -> Tensor:
    """``round(values)`` with the identity as gradient."""
    return values + (torch.round(values) - values).detach()


def fake_quantize(values: Tensor, range_min: Tensor, range_max: Tensor, n_bits: int,
                  symmetric: bool) -> Tensor:
    """Round ``values`` to a uniform ``n_bits`` grid over ``[range_min, range_max]``.

    Symmetric: ``r = max(|range_min|, |range_max|)``, step ``Δ = r / (2^(n-1) - 1)``,
    levels ``k·Δ`` with integers ``k`` in ``[-2^(n-1), 2^(n-1) - 1]``. Asymmetric: step
    ``Δ = (range_max - range_min) / (2^n - 1)``, integer zero point
    ``z = round(-range_min / Δ)``, levels ``(k - z)·Δ`` with ``k`` in ``[0, 2^n - 1]``
    (zero is exactly representable). A collapsed asymmetric range is widened to include
    zero; an all-zero range gives ``Δ = 1``.

    The gradient passes straight through rounding, is zero for clipped values (those
    more than ``Δ/2`` outside the grid), and reaches the range tensors through ``Δ``
    and ``z`` (when they require gradients).

    Shape: ``values`` any; ``range_min``/``range_max`` ``[1]``; returns ``values``' shape.
    """
    one = torch.ones_like(range_max)
    if symmetric:
        q_min, q_max = -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1
        bound = torch.maximum(range_min.abs(), range_max.abs())
        delta = torch.where(bound > 0, bound / q_max, one)
        zero = torch.zeros_like(delta)
    else:
        q_min, q_max = 0, 2 ** n_bits - 1
        span = range_max - range_min
        collapsed = span <= 0
        low = torch.where(collapsed, torch.clamp(range_min, max=0.0), range_min)
        span = torch.where(collapsed, torch.clamp(range_max, min=0.0) - low, span)
        delta = torch.where(span > 0, span / q_max, one)
        zero = _round_ste(-low / delta)
    scaled = values / delta + zero
    rounded = _round_ste(scaled)
    clamped = torch.clamp(rounded, q_min, q_max)
    # values that round onto the grid count as inside (their error is a rounding error
    # of at most Δ/2): this keeps the gradient of a range end point that lands a hair
    # outside through floating point error
    inside = (scaled.detach() >= q_min - 0.5) & (scaled.detach() <= q_max + 0.5)
    levels = torch.where(inside, rounded + (clamped - rounded).detach(), clamped.detach())
    return (levels - zero) * delta


class MinMaxFakeQuantizer(Module):
    """Fake quantizer with a min-max range estimate, optionally learned later.

    Range estimate (training forwards before learning starts): ``running=False`` uses
    the current tensor's min and max (digital scales and bias, which are known exactly);
    ``running=True`` keeps an exponential running average (momentum
    :attr:`MOMENTUM`; the first batch sets it) of the batch min and max (activations).
    In eval mode a running estimate is frozen (a quantizer that has never seen a
    training batch uses the batch's own min-max, without storing it); a current
    estimate always follows the tensor.

    With ``learn_quant_params`` the stored ``range_min``/``range_max`` are parameters:
    written by the estimator during the first ``max(init_learning_after, 1)`` training
    batches (they get no gradient then), afterwards used as the range in train and eval
    and trained by the optimizer through the straight-through gradient.

    State (buffers, or parameters when learned): ``range_min`` ``[1]``, ``range_max``
    ``[1]``, ``batches`` (number of training forwards seen, int64 scalar).

    Args:
        config: a ``PeripheryQuantizationParameter`` or ``ActivationQuantConfig``
            with ``n_bits > 0`` (validated by :func:`check_quant_config`).
        running: running (activations) instead of current (parameters) estimate.
        dtype: dtype of the range tensors.
    """

    MOMENTUM = 0.9

    def __init__(self, config: Any, running: bool, dtype: torch.dtype) -> None:
        super().__init__()
        self.n_bits = int(config.n_bits)
        self.symmetric = bool(config.symmetric)
        self.learn = bool(config.learn_quant_params)
        self.init_learning_after = int(config.init_learning_after)
        self.running = running
        self.register_buffer("batches", torch.zeros((), dtype=torch.int64))
        for name in ("range_min", "range_max"):
            init = torch.zeros(1, dtype=dtype)
            if self.learn:
                setattr(self, name, Parameter(init))
            else:
                self.register_buffer(name, init)

    def extra_repr(self) -> str:
        return (f"n_bits={self.n_bits}, symmetric={self.symmetric}, learn={self.learn}, "
                f"running={self.running}")

    def is_learning(self) -> bool:
        """Whether the range is a learned parameter now (estimation is over)."""
        return self._learning(int(self.batches))

    def _learning(self, seen: int) -> bool:
        return self.learn and seen >= max(self.init_learning_after, 1)

    def forward(self, values: Tensor) -> Tensor:  # pylint: disable=arguments-differ
        """Fake-quantize ``values`` (any shape) on one grid."""
        range_min, range_max = self._current_range(values)
        return fake_quantize(values, range_min, range_max, self.n_bits, self.symmetric)

    def _current_range(self, values: Tensor) -> Tuple[Tensor, Tensor]:
        seen = int(self.batches)  # one host read per forward
        learning = self._learning(seen)
        if self.training:
            if not learning:
                self._estimate(values.detach(), seen)
            with torch.no_grad():
                self.batches.add_(1)
            seen += 1
        if learning:
            return self.range_min, self.range_max
        if self.running and seen > 0:
            return self.range_min.detach(), self.range_max.detach()
        low, high = _min_max(values.detach())
        return low.to(self.range_min.dtype), high.to(self.range_max.dtype)

    @torch.no_grad()
    def _estimate(self, values: Tensor, seen: int) -> None:
        low, high = _min_max(values)
        if self.running and seen > 0:
            low = self.MOMENTUM * self.range_min + (1.0 - self.MOMENTUM) * low
            high = self.MOMENTUM * self.range_max + (1.0 - self.MOMENTUM) * high
        self.range_min.copy_(low)
        self.range_max.copy_(high)


def _min_max(values: Tensor) -> Tuple[Tensor, Tensor]:
    """Minimum and maximum of ``values`` as ``[1]`` tensors."""
    flat = values.reshape(-1)
    return flat.min().reshape(1), flat.max().reshape(1)


class QuantizedTorchInferenceTile(TorchInferenceTile):
    """:class:`TorchInferenceTile` with fake-quantized digital periphery and outputs.

    Forward (training and eval), with ``Q`` the fake quantizers of the module docstring::

        y_tile = MVM(clip(x)/r)                          # as TorchInferenceTile
        y = y_tile · Q_scale(r · s_map · s_learn)        # merged scales; one grid
        y = y · alpha_drift                              # eval only, not quantized
        y = Q_act(y + Q_bias(bias))

    Each factor of the merged scale is present only if the tile has it; without any of
    them nothing is scaled. The input range enters the merged scale without gradient
    (it learns through the clipping gradient, as in :class:`TorchInferenceTile`); the
    learned output scales and the bias receive the straight-through gradient. With
    ``periph_quant.n_bits == 0`` the periphery is computed exactly as by
    :class:`TorchInferenceTile`; with ``act_quant_config`` ``None`` or ``n_bits == 0``
    the outputs are not quantized. ``get_weights``/``get_scales`` report the unquantized
    values.

    The quantization settings are re-read at every forward; changing them rebuilds the
    quantizers (their range estimates and counters start afresh).

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a ``QuantizedTorchInferenceRPUConfig`` (default when ``None``).
        bias: whether the tile has a (digital) bias.
        in_trans, out_trans: not supported (``TorchTileConfigError`` if set).

    Raises:
        ConfigError: invalid quantization settings (``n_bits`` outside ``[0, 32]``, 1 with
            ``symmetric``, negative ``init_learning_after``, wrong types), or an
            ``act_quant_config`` / ``periph_quant`` of the wrong type.
        TorchTileConfigError, AnalogBiasConfigError: as :class:`TorchInferenceTile`.
    """

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import QuantizedTorchInferenceRPUConfig
            rpu_config = QuantizedTorchInferenceRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)
        self.periph_scale_quantizer: Optional[MinMaxFakeQuantizer] = None
        self.periph_bias_quantizer: Optional[MinMaxFakeQuantizer] = None
        self.act_quantizer: Optional[MinMaxFakeQuantizer] = None
        self._quant_settings: Optional[Tuple[Any, Any]] = None
        self._sync_quantizers()

    # ------------------------------------------------------------------ configuration
    def _quant_configs(self) -> Tuple[Any, Any]:
        """The config's ``(periph_quant, act_quant_config)`` (``None`` where absent)."""
        pre_post = getattr(self.rpu_config, "pre_post", None)
        return (getattr(pre_post, "periph_quant", None),
                getattr(self.rpu_config, "act_quant_config", None))

    def _check_config(self) -> None:
        super()._check_config()
        periph, act = self._quant_configs()
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.parameters.pre_post import PeripheryQuantizationParameter
        from aihwkit.simulator.parameters.quantization import ActivationQuantConfig
        if periph is not None:
            check_field("PrePostProcessingParameterQuant", "periph_quant", periph,
                        isinstance(periph, PeripheryQuantizationParameter),
                        "a PeripheryQuantizationParameter")
            check_quant_config("PeripheryQuantizationParameter", periph)
        if act is not None:
            check_field(type(self.rpu_config).__name__, "act_quant_config", act,
                        isinstance(act, ActivationQuantConfig),
                        "an ActivationQuantConfig or None")
            check_quant_config("ActivationQuantConfig", act)

    def _sync_quantizers(self) -> None:
        """(Re)build the quantizers when the config's quantization settings changed."""
        periph, act = self._quant_configs()
        if self._quant_settings is not None and self._quant_settings == (periph, act):
            return
        self._check_config()
        dtype = self.get_dtype()
        periph_on = periph is not None and periph.n_bits > 0
        act_on = act is not None and act.n_bits > 0
        scale_q = MinMaxFakeQuantizer(periph, False, dtype) if periph_on else None
        bias_q = MinMaxFakeQuantizer(periph, False, dtype) \
            if periph_on and self.bias is not None else None
        act_q = MinMaxFakeQuantizer(act, True, dtype) if act_on else None
        for name, module in (("periph_scale_quantizer", scale_q),
                             ("periph_bias_quantizer", bias_q), ("act_quantizer", act_q)):
            if module is not None:
                module.to(self.device).train(self.training)
            setattr(self, name, module)
        self._quant_settings = (_copy_config(periph), _copy_config(act))

    def commit_analog_state(self, prepared: Any) -> None:
        """Adopt a restored analog state; rebuild the quantizers if the adopted config
        quantizes differently (their buffers are loaded afterwards by ``load_state_dict``,
        which visits child modules after this tile)."""
        super().commit_analog_state(prepared)
        self._sync_quantizers()

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor) -> Tensor:  # pylint: disable=arguments-differ
        """Differentiable analog forward with fake-quantized digital periphery.

        Shape: ``x`` ``[..., in_size]``; returns ``[..., out_size]``.
        """
        self._sync_quantizers()
        out = super().forward(x)
        if self.act_quantizer is not None:
            out = self.act_quantizer(out)
        return out

    def _digital_periphery(self, out: Tensor, shape: Tuple[int, ...]) -> Tensor:
        """With periphery quantization: the digital output scales merged into one
        fake-quantized factor, then drift alpha (eval) and a fake-quantized bias."""
        if self.periph_scale_quantizer is None:
            return super()._digital_periphery(out, shape)
        scales = self.merged_scales()
        if scales is not None:
            out = out * self.periph_scale_quantizer(scales)
        if not self.training:
            out = self._apply_drift_alpha(out)
        out = self._from_rows(out, shape, False)
        if self.bias is not None:
            out = out + self.periph_bias_quantizer(self.bias)
        return out

    def merged_scales(self) -> Optional[Tensor]:
        """Unquantized digital output scale ``r · s_map · s_learn`` (``[1]`` or
        ``[out_size]``; ``None`` when the tile has none of the factors). Gradient
        reaches only the learned output scales."""
        scales = None
        for factor in (None if self.input_range is None else self.input_range.detach().abs(),
                       self.mapping_scales, self.out_scaling_alpha):
            if factor is not None:
                scales = factor if scales is None else scales * factor
        return scales


def _copy_config(config: Any) -> Any:
    """A detached copy of a (flat) quantization dataclass."""
    return None if config is None else copy(config)


class CudaQuantizedTorchInferenceTile(QuantizedTorchInferenceTile):
    """A :class:`QuantizedTorchInferenceTile` whose state lives on a CUDA device."""


QuantizedTorchInferenceTile.cpu_class = QuantizedTorchInferenceTile
QuantizedTorchInferenceTile.cuda_class = CudaQuantizedTorchInferenceTile
