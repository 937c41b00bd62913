"""The engine shared by every pulsed single device (spec 10 §3).

:class:`PulsedDeviceEngine` owns the device-to-device state of §3.2 (bounds, step sizes,
decay, diffusion, reset, drift exponents), the persistent weights of write noise, the
device operations of §3.5/§3.7 and the update dispatch of §2.2. A device model subclasses
it and supplies its extra state (``sample_state``), its per-pulse rule (``pulse``), its
n-pulse moment map (``moments``) and the closed forms ``mean_step`` / ``step_std``.

Pulses act on the *device value*: the stored weight, or ``w + reference`` for the
reference devices. Kernels (:mod:`aihwkit.simulator.rpu_base.kernels`) apply the counts
produced by :mod:`aihwkit.simulator.rpu_base.pulses` through these hooks.
"""

import warnings
from typing import Any, Dict, Generic, List, Optional, Tuple, cast

import torch
from torch import Tensor

from aihwkit.exceptions import TileError
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.devices._drift import Drifter, drift_exponents, is_active
from aihwkit.simulator.rpu_base.devices._settings import (
    Draws, settings_of, validate_pulsed_common, validate_write_noise)
from aihwkit.simulator.rpu_base.devices.base import DeviceEngine
from aihwkit.simulator.rpu_base.kernels.fused import finite_on_cpu
from aihwkit.simulator.rpu_base.kernels.params import ParamsT, PulseParams, SignedStepParams
from aihwkit.simulator.rpu_base.known_finite import known_finite
from aihwkit.simulator.rpu_base.pulses import (
    finite_flag, pulse_counts, raise_not_finite, validate_update_parameters)

COMMON_NAMES = ("max_bound", "min_bound", "dwmin_up", "dwmin_down", "decay_scales",
                "diffusion_rates", "reset_bias", "drift_nu")
SUBSTEP_CHANGE = 0.1


def check_update_shapes(x: Tensor, d: Tensor, d_size: int, x_size: int) -> None:
    """``TileError`` for wrong shapes (no host read)."""
    if x.dim() != 2 or d.dim() != 2 or x.shape[1] != x_size or d.shape[1] != d_size \
            or x.shape[0] != d.shape[0]:
        raise TileError(f"update expects x [B, {x_size}] and d [B, {d_size}], got "
                        f"{tuple(x.shape)} and {tuple(d.shape)}")


def check_update_inputs(x: Tensor, d: Tensor, d_size: int, x_size: int) -> None:
    """``TileError`` for wrong shapes, ``ArgumentError`` for non-finite values (one host
    read for both inputs)."""
    check_update_shapes(x, d, d_size, x_size)
    if known_finite(x, d):   # tested by the caller (the analog optimizer's step)
        return
    x_finite, d_finite = finite_on_cpu(x), finite_on_cpu(d)
    if x_finite is None or d_finite is None:
        if not bool(finite_flag(x, d)):
            raise_not_finite()
    elif not (x_finite and d_finite):
        raise_not_finite()


class PulsedDeviceEngine(DeviceEngine, Generic[ParamsT]):
    """Common state and behaviour of pulsed devices.

    Generic in the model's pulse-parameter container (a
    :class:`~aihwkit.simulator.rpu_base.kernels.params.PulseParams`), which every pulse
    hook receives as ``p``.

    Class attributes set by models: ``extra_names`` (model hidden parameters, after the
    common ones and ``persistent_weights``), ``has_write_noise`` (the config has
    ``write_noise_std``), ``uses_reference`` (pulses act on ``w + reference``),
    ``batch_additive`` (the step does not depend on the weight, enabling the batch
    aggregated kernel).
    """

    extra_names: Tuple[str, ...] = ()
    has_write_noise = False
    uses_reference = False
    batch_additive = False

    def __init__(self, config: Any, d_size: int, x_size: int, **kwargs: Any) -> None:
        super().__init__(config, d_size, x_size, **kwargs)
        owner = type(config).__name__
        s = settings_of(config)
        self.resolve(s)
        validate_pulsed_common(owner, s)
        if self.has_write_noise:
            validate_write_noise(owner, s)
        self.validate(owner, s)
        self.s = s
        gen = self.rng.seeded(s.construction_seed) if s.construction_seed else self.rng.generator
        draws = Draws(gen, (d_size, x_size), self.device, self.dtype)
        self._sample_common(draws)
        self.sample_state(draws)
        self.write_noise = self.has_write_noise and s.write_noise_std > 0
        if self.write_noise:
            self.persistent_weights = torch.zeros_like(self.weights)
        self.drifter = Drifter(s.drift, self.device, self.dtype) if is_active(s.drift) else None
        self.dw_min_estimate = float(s.dw_min)
        self.d_sparsity: Optional[Tensor] = None
        # int64 [2, d_size, x_size] up/down pulses with count_pulses (kernels.record_pulses)
        self.pulse_counters: Optional[Tensor] = None
        self._cache_params: Optional[ParamsT] = None
        self._cache_flags: Dict[str, Any] = {}
        # (the pulse_params container, its flat views)
        self._cache_flat: Optional[Tuple[ParamsT, ParamsT]] = None

    # ---------------------------------------------------------------- model hooks
    def resolve(self, s: Any) -> None:
        """Fill derived settings in place (before validation)."""

    def validate(self, owner: str, s: Any) -> None:
        """Model field checks raising ``ConfigError`` (common fields are checked already)."""

    def sample_state(self, draws: Draws) -> None:
        """Draw the model's extra device-to-device state (after the common state)."""

    def model_params(self) -> ParamsT:
        """The model's pulse parameters ``[d_size, x_size]``, bounds included (the bound
        tensors themselves, not copies)."""
        return cast(ParamsT, PulseParams(self.min_bound, self.max_bound))

    def pulse(self, w: Tensor, sign: Tensor, noise: Optional[Tensor], p: ParamsT) -> Tensor:
        """One pulse on every crosspoint (direction ``sign``), clipped to the bounds.

        Args:
            w: device values (any shape ``S``).
            sign: ``S``, +1 for an up pulse, -1 for a down pulse (other values only where
                the caller discards the result).
            noise: standard normal ``S`` (cycle-to-cycle), ``None`` when ``dw_min_std = 0``.
            p: parameters of the same crosspoints (:meth:`pulse_params`).
        """
        raise NotImplementedError

    def moments(self, mean: Tensor, var: Tensor, n: Tensor, p: ParamsT,
                bound: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        """Mean and variance after ``|n|`` pulses in direction ``sign(n)`` (no clipping).

        ``bound``: an upper bound of ``|n|`` known on the host (``None``: read from ``n``).

        The default, for weight-dependent steps ``s(w)``, applies the pulses in sub-steps
        of at most :meth:`substep_pulses` pulses; ``k`` pulses move the mean by
        ``k s (1 + (k - 1) s' / 2)`` (the k-fold map to second order in the step), scale
        earlier variance by ``(1 + s')^(2k)`` and add ``k (1 + (k - 1) s') v`` for the
        single-pulse variance ``v`` at the mean.
        """
        sign = n.sign()
        remaining = n.abs()
        size = self.substep_pulses()
        if bound is None:
            bound = int(remaining.max()) if remaining.numel() else 0
        steps = -(-bound // size)
        for _ in range(steps):
            k = remaining.clamp(max=size) if steps > 1 else remaining
            step, slope, std = self.step_terms(mean, sign, p)
            later = (k - 1).clamp_(min=0).mul_(slope)                   # (k - 1) s'
            mean = torch.addcmul(mean, k * step, later.mul(0.5).add_(1))
            grow = (1 + slope).clamp_(min=1e-30).log_().mul_(2 * k).exp_()  # (1 + s')^(2k)
            var = torch.addcmul(grow.mul_(var), std.square_().mul_(k), later.add_(1).clamp_(min=0))
            if steps > 1:
                remaining = remaining - k
        return mean, var

    def max_steps(self, p: ParamsT) -> Tuple[Tensor, Tensor, Tensor]:
        """Largest up-step size, down-step size and single-pulse std over ``[b-, b+]``
        (flat ``p``); the default evaluates the step at both bounds (monotone steps)."""
        ups, downs, stds = [], [], []
        for w in (p.lo, p.hi):
            for sign, sizes in ((1.0, ups), (-1.0, downs)):
                step, _, std = self.step_terms(w, torch.full_like(w, sign), p)
                sizes.append(step.abs())
                stds.append(std)
        return (torch.maximum(*ups), torch.maximum(*downs),
                torch.stack(stds).amax(0))

    def curvature(self) -> float:
        """Inverse weight scale on which the step size changes (0: it does not)."""
        return 0.0

    def substep_pulses(self) -> int:
        """Most pulses per sub-step of the generic moment map: the relative change of
        the step within a sub-step stays below ``SUBSTEP_CHANGE`` (the relative error of
        a sub-step's displacement is then about ``SUBSTEP_CHANGE^2 / 4``)."""
        scale = self.curvature() * 2 * self.dw_min_estimate
        return max(1, int(SUBSTEP_CHANGE / scale)) if scale > 0 else 1 << 30

    def step_terms(self, w: Tensor, sign: Tensor, p: ParamsT) -> Tuple[Tensor, Tensor, Tensor]:
        """Mean step, its derivative in ``w`` and the std of one pulse at ``w`` in direction
        ``sign`` (+1 up, -1 down)."""
        raise NotImplementedError

    def mean_step(self, w: Tensor, sign: Tensor, p: ParamsT) -> Tensor:
        """Expected signed weight change of one pulse at ``w`` (closed form)."""
        return self.step_terms(w, sign, p)[0]

    def step_std(self, w: Tensor, sign: Tensor, p: ParamsT) -> Tensor:
        """Std of the weight change of one pulse at ``w`` (closed form, before clipping)."""
        return self.step_terms(w, sign, p)[2]

    def clip_state(self, w: Tensor, p: ParamsT) -> Tensor:
        """Device values clipped to the bounds."""
        return torch.clamp(w, p.lo, p.hi)

    # ---------------------------------------------------------------- construction
    def _sample_common(self, draws: Draws) -> None:
        """Spec 10 §3.2, in the reference engine's draw order."""
        s = self.s
        b_up = s.w_max * (1 + s.w_max_dtod * draws.normal()) if s.w_max_dtod > 0 \
            else draws.full(s.w_max)
        b_down = s.w_min * (1 + s.w_min_dtod * draws.normal()) if s.w_min_dtod > 0 \
            else draws.full(s.w_min)
        if s.dw_min_dtod > 0:
            xi = draws.normal()
            gain = torch.exp(s.dw_min_dtod * xi) if s.dw_min_dtod_log_normal \
                else 1 + s.dw_min_dtod * xi
        else:
            gain = draws.full(1.0)
        rho = s.up_down_dtod * draws.normal() if s.up_down_dtod > 0 else draws.full(0.0)
        dw_up = (min(s.up_down, 0.0) + gain + rho) * s.dw_min
        dw_down = (-max(s.up_down, 0.0) + gain - rho) * s.dw_min
        if s.enforce_consistency:
            dw_up, dw_down = dw_up.abs(), dw_down.abs()
            swap = b_down > b_up
            b_up, b_down = torch.where(swap, b_down, b_up), torch.where(swap, b_up, b_down)
            b_up, b_down = b_up.abs(), -b_down.abs()
        else:
            mid = (b_up + b_down) / 2
            frozen = b_down > b_up
            b_up, b_down = torch.where(frozen, mid, b_up), torch.where(frozen, mid, b_down)
        if s.corrupt_devices_prob > 0:
            corrupt = draws.uniform() < s.corrupt_devices_prob
            limit = abs(s.corrupt_devices_range)
            low = torch.minimum(b_up, b_down).clamp(min=-limit)
            high = torch.maximum(b_up, b_down).clamp(max=limit)
            stuck = low + (high - low) * draws.uniform()
            b_up, b_down = torch.where(corrupt, stuck, b_up), torch.where(corrupt, stuck, b_down)
            dw_up = torch.where(corrupt, torch.zeros_like(dw_up), dw_up)
            dw_down = torch.where(corrupt, torch.zeros_like(dw_down), dw_down)
        if s.perfect_bias:
            dw_up[:, -1] = s.dw_min
            dw_down[:, -1] = s.dw_min
            b_down[:, -1] = 100 * s.w_min
            b_up[:, -1] = 100 * s.w_max
        self.max_bound, self.min_bound = b_up, b_down
        self.dwmin_up, self.dwmin_down = dw_up, dw_down
        self.diffusion_rates = (s.diffusion * (1 + s.diffusion_dtod * draws.normal())).abs() \
            if s.diffusion_dtod > 0 else draws.constant(abs(s.diffusion))
        self.reset_bias = s.reset + s.reset_dtod * draws.normal() if s.reset_dtod > 0 \
            else draws.constant(s.reset)
        if s.lifetime > 0:
            life = s.lifetime * (1 + s.lifetime_dtod * draws.normal()) if s.lifetime_dtod > 0 \
                else draws.full(s.lifetime)
            self.decay_scales = torch.where(life > 1, 1 - 1 / life, torch.zeros_like(life))
        else:
            self.decay_scales = draws.constant(1.0)
        self.drift_nu = drift_exponents(s.drift, draws)

    # ---------------------------------------------------------------- parameters
    def pulse_params(self) -> ParamsT:
        """Per-crosspoint parameters of the pulse rule, ``[d_size, x_size]``
        (:meth:`model_params`); cached until the hidden parameters change or the state is
        moved (the cache is valid while its bounds are the engine's bound tensors
        themselves)."""
        cached = self._cache_params
        if cached is None or cached.lo is not self.min_bound \
                or cached.hi is not self.max_bound:
            cached = self.model_params()
            self._cache_params = cached
            self._cache_flags = self.model_flags(cached)
        return cached

    def flat_pulse_params(self) -> ParamsT:
        """:meth:`pulse_params` as flat ``[d_size * x_size]`` views (cached with them)."""
        params = self.pulse_params()
        cached = self._cache_flat
        if cached is None or cached[0] is not params:
            cached = (params, params.flat())
            self._cache_flat = cached
        return cached[1]

    def model_flags(self, p: ParamsT) -> Dict[str, Any]:
        """Facts about the pulse parameters that kernels branch on, computed once per
        parameter set (so that no update call has to ask the device for them):
        ``reversed`` (some step goes against its direction) and ``fixed_points`` (the
        model has an unchecked fast recursion for these parameters)."""
        flags = {"fixed_points": False, "reversed": False}
        if isinstance(p, SignedStepParams):
            flags["reversed"] = bool((p.step_up < 0).any() or (p.step_down > 0).any())
        return flags

    def affine_coefficients(self, p: ParamsT
                            ) -> Optional[Tuple[Tensor, Tensor, Tensor, Tensor]]:
        """``(a_up, c_up, a_down, c_down)`` ``[d, x]`` when every pulse of this model is the
        affine map ``w + a w + c`` (plus noise), rounded exactly as :meth:`pulse` forms
        them from ``p``; ``None`` for other models. The fused kernel applies such maps."""
        return None

    def affine_maps(self) -> Any:
        """:class:`~aihwkit.simulator.rpu_base.kernels.fused.AffineMaps` of the current
        parameters (cached with them); only for models with :meth:`affine_coefficients`."""
        params = self.pulse_params()
        cached = self._cache_flags.get("affine_maps")
        if cached is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.rpu_base.kernels.fused import AffineMaps
            coefficients = self.affine_coefficients(params)
            if coefficients is None:
                raise TileError(f"{type(self).__name__} has no affine pulse maps")
            cached = AffineMaps.from_tensors(*coefficients, params.lo, params.hi,
                                             self.affine_mult_noise(), self.c2c_std)
            self._cache_flags["affine_maps"] = cached
        return cached

    def affine_mult_noise(self) -> bool:
        """Whether the noise of the affine maps multiplies the whole step."""
        return True

    @property
    def fused_affine(self) -> bool:
        """Whether this model defines :meth:`affine_coefficients` (fused kernel)."""
        return type(self).affine_coefficients is not PulsedDeviceEngine.affine_coefficients

    def pulse_flag(self, name: str) -> Any:
        """One of :meth:`model_flags` for the current parameters."""
        self.pulse_params()
        return self._cache_flags[name]

    def reversed_steps(self) -> bool:
        """Whether some up step is negative or some down step positive."""
        return self.pulse_flag("reversed")

    def hidden_parameter_names(self) -> List[str]:
        names = list(COMMON_NAMES)
        if self.write_noise:
            names.append("persistent_weights")
        return names + list(self.extra_names)

    def set_hidden_parameters(self, params: Dict[str, Tensor]) -> None:
        if not params:
            return
        for name, value in params.items():
            if tuple(torch.as_tensor(value).shape) != (self.d_size, self.x_size):
                raise TileError(f"hidden parameter {name} must have shape "
                                f"{(self.d_size, self.x_size)}")
        super().set_hidden_parameters(params)
        self._cache_params = None
        self._estimate_dw_min()
        current = self.persistent_weights if self.write_noise else self.weights
        self.set_weights(current)

    def _estimate_dw_min(self) -> None:
        """Replace the granularity's ``dw_min`` by the mean step when hidden parameters
        moved it by more than ``2 * dw_min_dtod`` (relative), as the reference does."""
        mean = float(((self.dwmin_up.abs() + self.dwmin_down.abs()) / 2).mean())
        dw_min = float(self.s.dw_min)
        # a relative 1e-6 absorbs float rounding of the mean when dw_min_dtod = 0
        if abs(mean - dw_min) > (2 * self.s.dw_min_dtod + 1e-6) * dw_min:
            warnings.warn(f"mean step size {mean:g} of the hidden parameters differs from "
                          f"dw_min = {dw_min:g}; using it as the weight granularity")
            self.dw_min_estimate = mean
        else:
            self.dw_min_estimate = dw_min

    def granularity(self) -> float:
        return self.dw_min_estimate

    # ---------------------------------------------------------------- weights
    def _stored(self) -> Tensor:
        """The weights pulses and device operations act on (persistent with write noise)."""
        return self.persistent_weights if self.write_noise else self.weights

    def _redraw_apparent(self, mask: Optional[Tensor] = None) -> None:
        """Apparent weights ``W = W_p + write_noise_std * dw_min * xi`` (where ``mask``)."""
        if not self.write_noise:
            return
        noisy = self.persistent_weights + (self.s.write_noise_std * self.s.dw_min) * \
            self.rng.normal(self.weights.shape, self.dtype)
        self.weights = noisy if mask is None else torch.where(mask, noisy, self.weights)

    def _store(self, values: Tensor, mask: Optional[Tensor] = None) -> None:
        """Write stored weights (where ``mask``) and redraw their apparent values."""
        if self.write_noise:
            self.persistent_weights = values if mask is None else \
                torch.where(mask, values, self.persistent_weights)
            self._redraw_apparent(mask)
        else:
            self.weights = values if mask is None else torch.where(mask, values, self.weights)

    def _clip(self, w: Tensor) -> Tensor:
        return torch.clamp(w, self.min_bound, self.max_bound)

    def set_weights(self, weights: Tensor) -> None:
        weights = torch.as_tensor(weights).to(device=self.device, dtype=self.dtype)
        if tuple(weights.shape) != (self.d_size, self.x_size):
            raise TileError(f"weights must have shape {(self.d_size, self.x_size)}, "
                            f"got {tuple(weights.shape)}")
        clipped = self._clip(weights)
        if self.write_noise:
            self.persistent_weights = clipped
            if self.s.apply_write_noise_on_set:
                self._redraw_apparent()
            else:
                self.weights = clipped.clone()
        else:
            self.weights = clipped

    # ---------------------------------------------------------------- update
    def update(self, x: Tensor, d: Tensor, lr: float, up: Any,
               granularity: Optional[float] = None) -> None:
        check_update_shapes(x, d, self.d_size, self.x_size)
        up = validate_update_parameters(up)
        lr = float(lr)
        pulsed = up.pulse_type not in (PulseType.NONE, PulseType.NONE_WITH_DEVICE)
        if lr == 0.0 or x.shape[0] == 0 or not pulsed:
            # the pulsed path checks finiteness together with the train length
            check_update_inputs(x, d, self.d_size, self.x_size)
        if lr == 0.0 or x.shape[0] == 0:
            return
        if x.device != self.device or x.dtype != self.dtype:
            x = x.to(device=self.device, dtype=self.dtype)
        if d.device != self.device or d.dtype != self.dtype:
            d = d.to(device=self.device, dtype=self.dtype)
        if up.pulse_type == PulseType.NONE:
            self._store(torch.addmm(self._stored(), d.t(), x, alpha=-lr))
            return
        if up.pulse_type == PulseType.NONE_WITH_DEVICE:
            stored = self._stored().clone()
            for index in range(x.shape[0]):
                stored = self._clip(torch.addr(stored, d[index], x[index], alpha=-lr))
            self._store(stored)
            return
        gran = float(granularity) if granularity is not None else self.granularity()
        fused = kernels.choose_update(self, x, lr, gran, up)
        if fused is not None:
            fused(self, x, d, lr, gran, up)
            return
        counts = pulse_counts(x, d, lr, gran, up, self.rng, check_finite=True)
        if counts.d_sparsity is not None:
            self.d_sparsity = counts.d_sparsity[-1]
        # no emptiness test: every kernel leaves crosspoints without pulses unchanged
        kernels.apply_pulses(self, counts)

    # hooks used by the kernels ---------------------------------------------
    @property
    def c2c_std(self) -> float:
        """Relative cycle-to-cycle spread of one pulse (``dw_min_std``)."""
        return float(self.s.dw_min_std)

    def pulse_state(self) -> Tensor:
        """A fresh copy of the device values ``[d_size, x_size]`` pulses act on."""
        stored = self._stored()
        if self.uses_reference:
            return stored + self.reference
        return stored.clone()

    def writable_pulse_state(self) -> Optional[Tensor]:
        """The stored weights themselves, for a kernel that writes pulses in place and
        cannot fail once it has started (a compiled update whose inputs were checked),
        where pulses act on them directly: no write noise, no reference offset, dense
        layout. ``None`` elsewhere (use :meth:`pulse_state` and :meth:`commit_pulses`)."""
        if self.write_noise or self.uses_reference:
            return None
        weights = self.weights
        return weights if weights.is_contiguous() else None

    def commit_pulses(self, state: Tensor, touched: Optional[Tensor]) -> None:
        """Write device values back where ``touched`` (redrawing their write noise);
        ``touched=None``: every crosspoint (untouched ones must hold their old value)."""
        if self.uses_reference:
            state = state - self.reference
        self._store(state, touched)

    # ---------------------------------------------------------------- device operations
    def decay_weights(self, alpha: float = 1.0) -> None:
        scale = 1 + alpha * (self.decay_scales - 1)
        stored = self._stored()
        self._store(self._clip((stored - self.reset_bias) * scale + self.reset_bias))

    def diffuse_weights(self) -> None:
        noise = self.rng.normal(self.weights.shape, self.dtype)
        self._store(self._clip(self._stored() + self.diffusion_rates * noise))

    def drift_weights(self, delta_t: float = 1.0) -> None:
        if self.drifter is None:
            return
        drifted = self.drifter.apply(self._stored(), self.drift_nu, delta_t, self.rng)
        self._store(self._clip(drifted))

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        selected = column_mask(self.x_size, start_column_idx, num_columns, self.device)
        mask = selected.unsqueeze(0).expand(self.d_size, self.x_size)
        if reset_prob < 1.0:
            mask = mask & (self.rng.uniform(mask.shape, self.dtype) < reset_prob)
        values = self.reset_bias
        if self.s.reset_std > 0:
            values = values + self.s.reset_std * self.rng.normal(mask.shape, self.dtype)
        stored = torch.where(mask, self._clip(values), self._stored())
        self._store(stored)

    def clip_weights(self, clip: float = -1.0) -> None:
        stored = self._clip(self._stored())
        if clip >= 0:
            stored = stored.clamp(-clip, clip)
        self._store(stored)

    def as_floating_point(self) -> DeviceEngine:
        """The floating point engine that replaces this device for ``PulseType.NONE``
        (keeps ``lifetime``, ``diffusion``, ``reset_std`` and ``drift``; spec 10 §2.2)."""
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.rpu_base.devices.ideal import IdealEngine
        engine = IdealEngine.from_settings(self.s, self.d_size, self.x_size, device=self.device,
                                           dtype=self.dtype, rng=self.rng)
        engine.set_weights(self.weights)
        return engine

    def extra_state(self) -> Dict[str, Any]:
        return {"dw_min_estimate": self.dw_min_estimate}


def column_mask(x_size: int, start: int, count: int, device: torch.device) -> Tensor:
    """Columns ``start .. start + count - 1`` (wrapping around; ``count < 0``: all)."""
    if count < 0 or count >= x_size:
        return torch.ones(x_size, dtype=torch.bool, device=device)
    offsets = (torch.arange(x_size, device=device) - start) % x_size
    return offsets < count
