"""Inference tiles: hardware-aware training and programming/drift of the weights.

:class:`InferenceTileWithPeriphery` holds what both inference tiles share: the drift
compensation factor ``alpha``, programming and drift with the configured noise model,
weight clipping and remapping after each optimizer step. :class:`InferenceTile` follows
the compiled tile of the original package (``InferenceRPUConfig``): noisy IO-managed
forward, perfect backward, weights in a ``shared_weights`` parameter updated by the torch
optimizer, and weight modifiers drawn once per optimizer step.
"""

import inspect
from copy import deepcopy
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import Tensor
from torch.nn import Parameter

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.rpu_base.weight_ops import (
    check_clip, check_modifier, check_remap, clip_weights, modifier_is_active, modify_weights,
    remap_weights)
from aihwkit.simulator.parameters.enums import WeightClipType, WeightRemapType
from aihwkit.simulator.rpu_base.devices.ideal import IdealEngine
from aihwkit.simulator.rpu_base.kernels.threads import _is_compiling
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import RPUPulsed
from aihwkit.simulator.tiles.noise_interfaces import (
    DriftCompensationInterface as BaseDriftCompensation, NoiseModelInterface as BaseNoiseModel,
    check_time)
from aihwkit.simulator.tiles.periphery import TileWithPeriphery


def call_with_generator(function: Callable[..., Any], *args: Any,
                        generator: Optional[torch.Generator]) -> Any:
    """Call ``function(*args, generator=...)`` if it accepts a generator, else without
    (noise models written for the original package take none)."""
    try:
        params = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function(*args)
    if "generator" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return function(*args, generator=generator)
    return function(*args)


class SharedWeightDevice(IdealEngine):
    """``IdealDevice`` engine whose weight tensor is the storage of the tile's
    ``shared_weights`` parameter: every assignment of ``weights`` is written in place, so
    updates, decay, diffusion and resets reach the parameter the torch optimizer steps.
    """

    @property  # type: ignore[override]
    def weights(self) -> Tensor:
        """The shared weights ``[d_size, x_size]``."""
        return self.__dict__["_shared"]

    @weights.setter
    def weights(self, value: Tensor) -> None:
        shared = self.__dict__.get("_shared")
        if shared is None or shared.shape != value.shape:
            self.__dict__["_shared"] = value
        elif value.data_ptr() != shared.data_ptr():
            with torch.no_grad():
                shared.copy_(value)

    def share(self, tensor: Tensor) -> None:
        """Use ``tensor``'s storage as the weights from now on."""
        self.__dict__["_shared"] = tensor


class InferenceEngine(RPUPulsed):
    """Engine of :class:`InferenceTile`: IO-managed products on the weights or on the
    modified forward weights ``W_fb`` set after each optimizer step.

    Shape: weights ``[d_size, x_size]``; forward ``[B, x_size] -> [B, d_size]``.
    """

    def __init__(self, rpu_config: Any, d_size: int, x_size: int, *, device: torch.device,
                 dtype: torch.dtype, rng: TileRNG) -> None:
        super().__init__(rpu_config, d_size, x_size, device=device, dtype=dtype, rng=rng)
        self.modified_weights: Optional[Tensor] = None
        self.modified_in_test = False
        self.last_forward_modified = False

    def _build_device(self, rpu_config: Any) -> SharedWeightDevice:
        return SharedWeightDevice(rpu_config.device, self.d_size, self.x_size,
                                  device=self.device, dtype=self.dtype, rng=self.rng)

    def set_modified_weights(self, weights: Tensor, in_test: bool) -> None:
        """Store the forward weights ``W_fb`` (used until the next call)."""
        self.modified_weights = weights.to(self.device, self.dtype)
        self.modified_in_test = bool(in_test)

    def forward(self, x: Tensor, is_test: bool = False) -> Tensor:
        use_modified = self.modified_weights is not None and (
            not is_test or self.modified_in_test)
        self.last_forward_modified = use_modified
        weights = self.modified_weights if use_modified else self.device_engine.weights
        return self.fwd.mvm(weights, x, is_test)

    def backward(self, d: Tensor) -> Tensor:
        weights = self.modified_weights if self.last_forward_modified \
            and self.modified_weights is not None else self.device_engine.weights
        return self.bwd.mvm(weights.t(), d, False)


class InferenceTileWithPeriphery(TileWithPeriphery):
    """Programming, drift, drift compensation, clipping and remapping of inference tiles.

    Subclasses provide :meth:`_tile_weights` (the tile-unit weight tensor, written in
    place) and the raw forward used for the drift readout.
    """

    is_inference_tile = True
    supports_ddp = True
    torch_semantics = False  # True: the torch tile's variant of the checks

    def __init__(self, out_size: int, in_size: int, rpu_config: Any, bias: bool = False,
                 in_trans: bool = False, out_trans: bool = False) -> None:
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)
        dtype = self.get_dtype()
        self.register_buffer("alpha", torch.ones(1, dtype=dtype))
        if self.rpu_config.remap.type != WeightRemapType.NONE:
            # remapping keeps one scale per output
            self.mapping_scales = torch.ones(out_size, dtype=dtype)
        self.programmed_weights: Optional[Tensor] = None
        self.drift_noise_parameters: Optional[Any] = None
        self.drift_baseline: Optional[Tensor] = None
        self.drift_readout_tensor: Optional[Tensor] = None

    # ------------------------------------------------------------------ config checks
    def _check_config(self) -> None:
        super()._check_config()
        config = self.rpu_config
        for name in ("noise_model", "drift_compensation", "clip", "remap", "modifier"):
            if not hasattr(config, name):
                raise ConfigError(f"{type(config).__name__} has no field '{name}': inference "
                                  "tiles need an InferenceRPUConfig")
        if config.noise_model is not None and not isinstance(config.noise_model,
                                                             BaseNoiseModel):
            raise ConfigError(f"InferenceRPUConfig.noise_model = {config.noise_model!r} is "
                              "invalid: must be a BaseNoiseModel or None")
        if config.drift_compensation is not None and not isinstance(
                config.drift_compensation, BaseDriftCompensation):
            raise ConfigError(f"InferenceRPUConfig.drift_compensation = "
                              f"{config.drift_compensation!r} is invalid: must be a "
                              "BaseDriftCompensation or None")
        check_modifier(config.modifier, self.torch_semantics)
        check_clip(config.clip, self.torch_semantics)
        check_remap(config.remap, self.torch_semantics)

    # ------------------------------------------------------------------ weights access
    def _tile_weights(self) -> Tensor:
        """The tile-unit weights ``[out_size, x_size]`` (modified in place)."""
        raise NotImplementedError

    def _raw_forward(self, x: Tensor) -> Tensor:
        """Eval-mode analog forward of tile-unit inputs ``[B, x_size]`` (no digital
        periphery)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ programming / drift
    def program_weights(self, from_reference: bool = True,
                        noise_model: Optional[BaseNoiseModel] = None) -> None:
        """Program the weights: apply programming noise of the noise model.

        The reference (target) weights are the current tile weights, taken on the first
        call after :meth:`set_weights` (or always if ``from_reference`` is False); later
        calls re-program the same reference (a new chip instance). Random draws come from
        the tile's generator.

        Args:
            from_reference: re-use the stored reference weights if there are any.
            noise_model: replaces ``rpu_config.noise_model`` when given.

        Raises:
            ConfigError: no noise model, or ``noise_model`` is not a ``BaseNoiseModel``.
        """
        if noise_model is not None:
            if not isinstance(noise_model, BaseNoiseModel):
                raise ConfigError(f"noise_model = {noise_model!r} is invalid: must be a "
                                  "BaseNoiseModel")
            self.rpu_config.noise_model = noise_model
        model = self._noise_model()
        if not from_reference or self.reference_combined_weights is None:
            self.reference_combined_weights = self._tile_weights().detach().clone()
        programmed, drift_params = call_with_generator(
            model.apply_programming_noise, self.reference_combined_weights,
            generator=self._rng.generator)
        self.programmed_weights = programmed.to(self.device, self.get_dtype())
        self.drift_noise_parameters = drift_params
        with torch.no_grad():
            self._tile_weights().copy_(self.programmed_weights)
        compensation = self.rpu_config.drift_compensation
        if compensation is not None:
            self.drift_baseline = compensation.init_baseline(self)

    def drift_weights(self, t_inference: float = 0.0) -> None:  # type: ignore[override]
        """Weights read ``t_inference`` seconds after programming (programs first if
        needed); drift exponents stay, read noise is redrawn on every call. Updates the
        drift compensation factor ``alpha``.

        Raises:
            ConfigError: the config has no noise model.
            ArgumentError: ``t_inference < 0``.
        """
        t_inference = check_time(type(self).__name__, "t_inference", t_inference)
        model = self._noise_model()
        if self.programmed_weights is None:
            self.program_weights()
        drifted = call_with_generator(model.apply_drift_noise, self.programmed_weights,
                                      self.drift_noise_parameters, t_inference,
                                      generator=self._rng.generator)
        with torch.no_grad():
            self._tile_weights().copy_(drifted)
        compensation = self.rpu_config.drift_compensation
        if compensation is not None:
            if self.drift_baseline is None:
                self.drift_baseline = compensation.init_baseline(self)
            alpha = compensation.apply(self._forward_drift_readout_tensor(),
                                       self.drift_baseline)
            # 0-d for a global compensation (as in the original package, so that
            # ``f"{tile.alpha:.3f}"`` works), ``[out_size]`` for a per-column one
            alpha = alpha.detach().to(self.device, self.get_dtype())
            self.alpha = alpha.reshape(()) if alpha.numel() == 1 else alpha.reshape(-1)

    def _noise_model(self) -> BaseNoiseModel:
        model = self.rpu_config.noise_model
        if model is None:
            raise ConfigError("InferenceRPUConfig.noise_model is None: set a noise model to "
                              "program or drift the weights")
        return model

    @torch.no_grad()
    def _forward_drift_readout_tensor(self, reset: bool = False) -> Tensor:
        """Eval forward of the compensation's readout inputs through the bare tile.

        Returns:
            ``[n, out_size]`` outputs in tile units (no input range, scales or alpha).
        """
        compensation = self.rpu_config.drift_compensation
        cached = self.drift_readout_tensor
        if (reset or cached is None or cached.device != self.device
                or cached.dtype != self.get_dtype()):
            cached = compensation.get_readout_tensor(self.x_size)
            self.drift_readout_tensor = cached.to(self.device, self.get_dtype())
        return self._raw_forward(self.drift_readout_tensor)

    def _apply_drift_alpha(self, values: Tensor) -> Tensor:
        """Eval outputs times the drift compensation factor (if compensation is set)."""
        if self.rpu_config.drift_compensation is None:
            return values
        alpha = self.alpha
        if alpha.numel() == 1 and alpha.is_cpu and not _is_compiling() \
                and float(alpha) == 1.0:
            return values   # not compensated yet: times 1 changes no value
        return values * self._view_out(alpha, values)

    # ------------------------------------------------------------------ after each step
    def _clip_and_remap(self, clip: Any, remap: Any) -> None:
        """Clip then remap the tile weights (remap folds the learned out scales into the
        mapping scales)."""
        weights = self._tile_weights()
        if clip.type != WeightClipType.NONE:
            clip_weights(weights.data, clip)
        if remap.type != WeightRemapType.NONE:
            new_weights, scales = remap_weights(weights.detach(), self.get_scales(), remap)
            with torch.no_grad():
                weights.copy_(new_weights)
            self.set_scales(scales)

    # ------------------------------------------------------------------ state
    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Any, strict: bool, missing_keys: List[str],
                              unexpected_keys: List[str], error_msgs: List[str]) -> None:
        # ``alpha`` is ``[1]`` on a fresh tile and takes the compensation's shape after
        # drift (0-d or ``[out_size]``): adopt the stored shape
        stored = state_dict.get(prefix + "alpha")
        if isinstance(stored, Tensor) and stored.shape != self.alpha.shape \
                and stored.numel() in (1, self.out_size):
            self.alpha = torch.ones(stored.shape, dtype=self.alpha.dtype,
                                    device=self.alpha.device)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def _move_extra_state(self) -> None:
        """Follow the tile's device and dtype with the programming/drift state."""
        def move(value: Any) -> Any:
            if isinstance(value, Tensor):
                return value.to(self.device, self.get_dtype())
            if isinstance(value, list):
                return [move(item) for item in value]
            return value

        for name in ("programmed_weights", "reference_combined_weights", "drift_baseline",
                     "drift_noise_parameters"):
            setattr(self, name, move(getattr(self, name, None)))

    def _apply(self, fn: Any, recurse: bool = True) -> "InferenceTileWithPeriphery":
        result = super()._apply(fn, recurse)
        self._move_extra_state()
        return result


class InferenceTile(InferenceTileWithPeriphery):
    """Inference tile following the compiled tile of the original package.

    Forward: the ``forward`` IO periphery on the forward weights ``W_fb`` (the weight
    modifier's output, recomputed once per optimizer step in :meth:`post_update_step`,
    or ``W`` if no modifier is active); eval mode uses ``W`` unless
    ``modifier.enable_during_test``. Backward: perfect, no masking of clipped inputs, but
    outputs at the ADC bound pass no gradient. With ``shared_weights`` the weight
    gradient lands in the ``shared_weights`` parameter, so any torch optimizer (or
    ``AnalogSGD``) updates the weights.

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: an ``InferenceRPUConfig`` (default when ``None``).
        bias: whether the tile has a bias (digital unless ``mapping.digital_bias=False``).
        in_trans, out_trans: feature dimension first for inputs / outputs.
        shared_weights: keep the weights in a torch parameter (``False``: the analog
            optimizer applies an exact SGD update through :meth:`update`).
    """

    supports_indexed = True

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False,
                 shared_weights: bool = True) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import InferenceRPUConfig
            rpu_config = InferenceRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)
        self._hwa_snapshot: Optional[Dict[str, Any]] = None
        if shared_weights:
            self.shared_weights = Parameter(self.tile.get_weights().clone())
            self._link_shared_weights()
            self._order_parameters()
        else:
            self.shared_weights = None

    def _create_engine(self) -> InferenceEngine:
        return InferenceEngine(self.rpu_config, self.d_size, self.x_size, device=self.device,
                               dtype=self.get_dtype(), rng=self._rng)

    def _order_parameters(self) -> None:
        """``analog_ctx`` and ``shared_weights`` first, as in the original state dicts."""
        params = self._parameters
        for name in [k for k in params if k not in ("analog_ctx", "shared_weights")]:
            params[name] = params.pop(name)

    def _link_shared_weights(self, from_engine: bool = False) -> None:
        """Make the engine weights and the ``shared_weights`` parameter one storage."""
        if getattr(self, "shared_weights", None) is None:
            return
        if from_engine:
            with torch.no_grad():
                self.shared_weights.data = self.tile.device_engine.weights.detach().clone()
        self.tile.device_engine.share(self.shared_weights.data)

    def _shared_weights(self) -> Optional[Tensor]:
        return self.shared_weights

    def _tile_weights(self) -> Tensor:
        return self.tile.device_engine.weights

    def _raw_forward(self, x: Tensor) -> Tensor:
        return self.tile.forward(x, True)

    def joint_forward(self, x: Tensor, is_test: bool = False) -> Any:
        output, mask = super().joint_forward(x, is_test)
        if is_test:
            output = self._apply_drift_alpha(output)
        return output, mask

    # ------------------------------------------------------------------ after each step
    def _hwa_parameters(self) -> Dict[str, Any]:
        """Clip, remap and modifier parameters: read once at the first step unless
        ``runtime.on_the_fly_bindings`` (as the compiled tile binds them once)."""
        config = self.rpu_config
        if config.runtime.on_the_fly_bindings or self._hwa_snapshot is None:
            check_modifier(config.modifier)
            check_clip(config.clip)
            check_remap(config.remap)
            snapshot = {"clip": config.clip, "remap": config.remap, "modifier": config.modifier}
            if config.runtime.on_the_fly_bindings:
                return snapshot
            self._hwa_snapshot = deepcopy(snapshot)
        return self._hwa_snapshot

    def post_update_step(self) -> None:
        """After each optimizer step: device decay/diffusion, clip, remap, then a new
        modified forward weight ``W_fb`` (weight modifier)."""
        super().post_update_step()
        params = self._hwa_parameters()
        self._clip_and_remap(params["clip"], params["remap"])
        modifier = params["modifier"]
        if modifier_is_active(modifier):
            self.tile.set_modified_weights(
                modify_weights(self._tile_weights().detach(), modifier, self._rng.generator),
                modifier.enable_during_test)

    # ------------------------------------------------------------------ state
    def commit_analog_state(self, prepared: Any) -> None:
        super().commit_analog_state(prepared)
        self._hwa_snapshot = None
        self._link_shared_weights(from_engine=True)

    def _load_from_state_dict(self, state_dict: Dict[str, Any], prefix: str,
                              local_metadata: Any, strict: bool, missing_keys: List[str],
                              unexpected_keys: List[str], error_msgs: List[str]) -> None:
        # the weights come from the analog state; a stored ``shared_weights`` entry and
        # the weight of a torch tile checkpoint (``tile.weight``) are ignored
        rest = {k: v for k, v in state_dict.items() if k != prefix + "shared_weights"}
        super()._load_from_state_dict(rest, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        missing_keys[:] = [k for k in missing_keys if k != prefix + "shared_weights"]
        unexpected_keys[:] = [k for k in unexpected_keys if not k.startswith(prefix + "tile.")]

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        self._link_shared_weights()

    def _apply(self, fn: Any, recurse: bool = True) -> "InferenceTile":
        result = super()._apply(fn, recurse)
        self._link_shared_weights()
        return result


class CudaInferenceTile(InferenceTile):
    """An :class:`InferenceTile` whose state lives on a CUDA device."""


InferenceTile.cpu_class = InferenceTile
InferenceTile.cuda_class = CudaInferenceTile
