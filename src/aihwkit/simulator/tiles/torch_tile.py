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
"""

import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Module, Parameter

from aihwkit.exceptions import (
    ArgumentError, ConfigError, TileError, TorchTileConfigError, check_choice)
from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.rpu_base.rng import TileRNG

_NM = NoiseManagementType
_UNSUPPORTED_IO = (("out_nonlinearity", 0.0), ("out_nonlinearity_std", 0.0),
                   ("slope_calibration", 0.0), ("v_offset_std", 0.0), ("r_series", 0.0),
                   ("w_read_asymmetry_dtod", 0.0))


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
    """``step * rint(v / step)``, straight-through gradient."""
    if step <= 0:
        return values
    with torch.no_grad():
        scaled = values / step
        if sto_round:
            scaled = scaled + torch.rand(values.shape, generator=gen, device=values.device,
                                         dtype=values.dtype) - 0.5
        quantized = torch.round(scaled) * step
    return values + (quantized - values).detach()


def _mv(weights: Tensor, u: Tensor) -> Tensor:
    """``W u`` per sample; ``weights`` ``[out, in]`` or per sample ``[B, out, in]``."""
    if weights.dim() == 2:
        return u @ weights.t()
    return torch.einsum("boi,bi->bo", weights, u)


class TorchSimulatorTile(Module):
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

    def get_hidden_parameters(self) -> "OrderedDict[str, Tensor]":
        """No hidden parameters."""
        return OrderedDict()

    def get_hidden_parameter_names(self) -> List[str]:
        """No hidden parameters."""
        return []

    def set_hidden_parameters(self, params: Dict[str, Tensor]) -> None:
        """Accept only an empty set of hidden parameters."""
        if params:
            raise ConfigError("TorchSimulatorTile has no hidden parameters")

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor, is_test: bool = False,  # pylint: disable=arguments-differ
                weights: Optional[Tensor] = None) -> Tensor:
        """Analog MVM ``y = W x`` with the forward periphery (the same in train and eval).

        Args:
            x: inputs ``[B, x_size]``.
            is_test: accepted for the engine interface (no effect).
            weights: weights to use instead of ``self.weight`` (e.g. modified weights,
                ``[d_size, x_size]`` or per sample ``[B, d_size, x_size]``).

        Returns:
            ``[B, d_size]``.
        """
        io = self.rpu_config.forward
        check_torch_io(io)
        weights = self.weight if weights is None else weights
        if io.is_perfect or io.mv_type == AnalogMVType.IDEAL:
            return _mv(weights, x) * io.out_scale
        return self._managed(weights, x, io)

    def _noise_management(self, x: Tensor, io: Any) -> Optional[Tensor]:
        """Per-sample input scale ``[B]`` (``None``: no scaling)."""
        thres = io.nm_thres
        kind = io.noise_management
        with torch.no_grad():
            if kind == _NM.NONE:
                return None
            if kind == _NM.CONSTANT:
                return torch.full((x.shape[0],), thres if thres > 0 else 1.0,
                                  device=x.device, dtype=x.dtype)
            scale = x.abs().amax(dim=1) if kind == _NM.ABS_MAX else x.amax(dim=1)
            return scale.clamp(max=thres) if thres > 0 else scale

    def _managed(self, weights: Tensor, x: Tensor, io: Any) -> Tensor:
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
            if isinstance(factor, Tensor):
                u = x * factor.unsqueeze(1)
            else:
                u = x * factor if factor != 1.0 else x
            out, failed = self._one_pass(weights, u, io, gen)
            done = (not bm_on or not failed or int(reduction) > io.max_bm_factor
                    or (inp_step > 0 and reduction > io.max_bm_res / inp_step))
            if done:
                break
            reduction *= 2.0
        out = out * (io.out_scale * reduction)
        if scale is not None:
            out = out * scale.unsqueeze(1)
        if zero_rows is not None and bool(zero_rows.any()):
            out = torch.where(zero_rows.unsqueeze(1), torch.zeros_like(out), out)
        return out

    def _one_pass(self, weights: Tensor, u: Tensor, io: Any,
                  gen: torch.Generator) -> Tuple[Tensor, bool]:
        """Prepare inputs, analog MV, finalize outputs; also whether any output saturated."""
        inp_bound = _bound(io.inp_bound)
        u = _quantize(u, _step(io.inp_res, io.inp_bound), io.inp_sto_round, gen)
        if math.isfinite(inp_bound):
            u = torch.clamp(u, -inp_bound, inp_bound)
        if io.inp_noise > 0:
            u = u + io.inp_noise * self._randn(u)
        if io.inp_asymmetry != 0:
            u = torch.where(u < 0, u * (1.0 - io.inp_asymmetry), u)
        v = _mv(weights, u)
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
        if self.out_noise_values is not None:
            v = v + self.out_noise_values.to(v.dtype) * self._randn(v)
        elif io.out_noise > 0:
            v = v + io.out_noise * self._randn(v)
        out_bound = _bound(io.out_bound)
        if not math.isfinite(out_bound):
            return v, False
        v = _quantize(v, _step(io.out_res, io.out_bound), io.out_sto_round, gen)
        with torch.no_grad():
            failed = bool((v > out_bound).any()) or (
                io.bm_test_negative_bound and bool((v < -out_bound).any()))
        return torch.clamp(v, -out_bound, out_bound), failed

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
