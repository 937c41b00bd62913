"""Validation and normalisation of one direction's :class:`IOParameters` (spec 10 §1.2).

:func:`resolve_io` checks every field and turns the dataclass into a :class:`ResolvedIO`:
plain Python numbers with the conventions of the engine already applied (resolutions
turned into step sizes, non-positive bounds turned into ``inf``, bound management forced
off for the backward pass, ``nm_thres`` forced to 0 without noise management).
"""

import math
import warnings
from dataclasses import fields
from typing import Any

from aihwkit.exceptions import ConfigError, check_choice, check_field
from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.helpers import check_known_attributes
from aihwkit.simulator.parameters.io import IOParameters

# Engine constants that are not dataclass fields (spec 10 §1.1).
NM_ASSUMED_WMAX = 0.6
NM_DECAY = 1e-3

ANALOG_MV_TYPES = (AnalogMVType.ONE_PASS, AnalogMVType.POS_NEG_SEPARATE,
                   AnalogMVType.POS_NEG_SEPARATE_DIGITAL_SUM)
BOUND_MANAGEMENT_TYPES = (BoundManagementType.NONE, BoundManagementType.ITERATIVE,
                          BoundManagementType.ITERATIVE_WORST_CASE)

_NON_NEGATIVE = ("inp_noise", "out_noise", "out_noise_std", "out_asymmetry", "w_noise",
                 "ir_drop", "out_nonlinearity", "out_nonlinearity_std", "slope_calibration",
                 "v_offset_std", "r_series", "w_read_asymmetry_dtod", "max_bm_factor",
                 "max_bm_res", "nm_thres")
_FINITE = ("inp_res", "out_res", "inp_asymmetry", "out_scale", "v_offset_w_min")
_BOUNDS = ("inp_bound", "out_bound")
_BASE_FIELDS = frozenset(f.name for f in fields(IOParameters))


def _check_time_resolved_fields(owner: str, io: Any) -> None:
    """Fields beyond :class:`IOParameters` (those of ``IOParametersIRDropT``) describe the
    time-resolved IR drop, which only ``TorchInferenceRPUConfigIRDropT`` simulates.

    At their defaults they are accepted (the static IR drop of ``ir_drop`` and
    ``ir_drop_g_ratio`` is simulated here) with a warning that the time-resolved part is
    not; set to anything else they raise, as this periphery cannot honour them.
    """
    extra = [fld for fld in fields(io) if fld.name not in _BASE_FIELDS]
    if not extra:
        return
    reference = type(io)()
    changed = [fld.name for fld in extra
               if getattr(io, fld.name) != getattr(reference, fld.name)]
    if changed:
        raise ConfigError(
            f"{owner}.{changed[0]} is not simulated by the analog tile periphery (it belongs "
            f"to {type(io).__name__}, used by the time-resolved IR-drop tile of "
            "TorchInferenceRPUConfigIRDropT): leave it at its default or use that config")
    warnings.warn(f"{owner} is a {type(io).__name__}: this tile simulates the static IR "
                  "drop (ir_drop, ir_drop_g_ratio) only; the time-resolved fields are left "
                  "at their defaults and have no effect here", UserWarning, stacklevel=4)


def _number(value: Any) -> float:
    """``float(value)``, or NaN when ``value`` is not a real number."""
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _snap(value: float) -> float:
    """``value`` rounded to the nearest integer when within rounding error of it."""
    if not math.isfinite(value):
        return value
    nearest = round(value)
    if nearest != 0 and abs(value - nearest) <= 1e-9 * abs(value):
        return float(nearest)
    return value


def inverse_step(step: float) -> float:
    """``1/Δ`` (0 without quantization), snapped to an integer level count when within
    rounding error of one, so that ``v·(1/Δ)`` is as exact as the resolution given."""
    return _snap(1.0 / step) if step > 0 else 0.0


def resolution_step(res: float, bound: float) -> float:
    """Quantization step ``Δ = r̂ · 2 · bound`` of a resolution field; ``0`` means none.

    ``res < 0`` gives no quantization, ``res > 1`` is a number of steps (``r̂ = 1/res``).
    A non-positive or infinite bound also gives no quantization.
    """
    if res < 0:
        norm = 0.0
    elif res > 1:
        norm = 1.0 / res
    else:
        norm = res
    step = norm * 2.0 * bound
    if step <= 0 or not math.isfinite(step):
        return 0.0
    return step


class ResolvedIO:
    """Validated, normalised settings of one MVM direction (plain Python values).

    Attributes mirror the :class:`IOParameters` fields; in addition ``inp_step`` /
    ``out_step`` hold the DAC/ADC step sizes (``0``: no quantization), bounds are ``inf``
    when unbounded and ``perfect`` tells whether the direction is an exact product.
    ``inp_inv_step`` / ``out_inv_step`` are the reciprocal steps used to quantize.
    """

    def __init__(self, io: Any, is_backward: bool) -> None:
        self.owner = "rpu_config.backward" if is_backward else "rpu_config.forward"
        self.is_backward = is_backward
        check_known_attributes(io, self.owner)
        out_scale = _number(io.out_scale)
        check_field(self.owner, "out_scale", io.out_scale, math.isfinite(out_scale),
                    "a finite number")
        self.out_scale = out_scale
        self.perfect = bool(io.is_perfect) or io.mv_type == AnalogMVType.IDEAL
        if self.perfect:
            return
        self._validate(io)
        self._normalise(io, is_backward)

    # ------------------------------------------------------------------ checks
    def _validate(self, io: Any) -> None:
        owner = self.owner
        _check_time_resolved_fields(owner, io)
        check_choice(owner, "mv_type", io.mv_type, AnalogMVType, ANALOG_MV_TYPES)
        check_choice(owner, "noise_management", io.noise_management, NoiseManagementType)
        check_choice(owner, "bound_management", io.bound_management, BoundManagementType,
                     BOUND_MANAGEMENT_TYPES)
        check_choice(owner, "w_noise_type", io.w_noise_type, WeightNoiseType)
        for name in _NON_NEGATIVE:
            value = getattr(io, name)
            num = _number(value)
            check_field(owner, name, value, math.isfinite(num) and num >= 0,
                        "a finite number >= 0")
        for name in _FINITE:
            value = getattr(io, name)
            check_field(owner, name, value, math.isfinite(_number(value)), "a finite number")
        for name in _BOUNDS:
            value = getattr(io, name)
            check_field(owner, name, value, not math.isnan(_number(value)),
                        "a number (<= 0 or inf: unbounded)")
        ratio = _number(io.ir_drop_g_ratio)
        check_field(owner, "ir_drop_g_ratio", io.ir_drop_g_ratio,
                    math.isfinite(ratio) and ratio > 0, "a finite number > 0")
        if io.noise_management != NoiseManagementType.NONE:
            check_field(owner, "inp_bound", io.inp_bound, _number(io.inp_bound) == 1.0,
                        "exactly 1.0 when noise_management is not NoiseManagementType.NONE "
                        "(noise management expects the DAC bound 1)")

    def _normalise(self, io: Any, is_backward: bool) -> None:
        self.mv_type = io.mv_type
        self.noise_management = io.noise_management
        self.nm_on = io.noise_management != NoiseManagementType.NONE
        self.nm_thres = float(io.nm_thres) if self.nm_on else 0.0
        self.bound_management = (BoundManagementType.NONE if is_backward
                                 else io.bound_management)
        self.bm_on = self.bound_management != BoundManagementType.NONE

        inp_bound, out_bound = float(io.inp_bound), float(io.out_bound)
        self.inp_step = resolution_step(float(io.inp_res), inp_bound)
        self.out_step = resolution_step(float(io.out_res), out_bound)
        self.inp_inv_step = inverse_step(self.inp_step)
        self.out_inv_step = inverse_step(self.out_step)
        self.inp_bound = inp_bound if inp_bound > 0 else math.inf
        self.out_bound = out_bound if out_bound > 0 else math.inf
        # the output bound in ADC levels (255 for the defaults)
        self.out_bound_levels = (_snap(self.out_bound * self.out_inv_step)
                                 if self.out_step > 0 else self.out_bound)
        self.inp_sto_round = bool(io.inp_sto_round)
        self.out_sto_round = bool(io.out_sto_round)
        self.inp_noise = float(io.inp_noise)
        self.inp_asymmetry = float(io.inp_asymmetry)
        self.out_noise = float(io.out_noise)
        self.out_noise_std = float(io.out_noise_std)
        self.out_asymmetry = float(io.out_asymmetry)

        self.w_noise_type = io.w_noise_type
        self.w_noise = float(io.w_noise) if io.w_noise_type != WeightNoiseType.NONE else 0.0
        self.ir_drop = float(io.ir_drop)
        self.ir_drop_g_ratio = float(io.ir_drop_g_ratio)
        self.out_nonlinearity = float(io.out_nonlinearity)
        self.out_nonlinearity_std = float(io.out_nonlinearity_std)
        self.slope_calibration = float(io.slope_calibration)
        self.v_offset_std = float(io.v_offset_std)
        self.v_offset_w_min = float(io.v_offset_w_min)
        self.r_series = float(io.r_series)
        self.w_read_asymmetry_dtod = float(io.w_read_asymmetry_dtod)

        self.max_bm_factor = float(io.max_bm_factor)
        self.max_bm_res = float(io.max_bm_res)
        self.bm_test_negative_bound = bool(io.bm_test_negative_bound)

    # ------------------------------------------------------------------ derived
    @property
    def nl_bound(self) -> float:
        """``B_o``: the output bound when finite, else 1 (scales the nonlinearity)."""
        return self.out_bound if math.isfinite(self.out_bound) else 1.0

    def bm_limit_reached(self, reduction: float) -> bool:
        """Whether bound management stops after a pass with input reduction ``r``."""
        if int(reduction) > self.max_bm_factor:
            return True
        return self.inp_step > 0 and reduction > self.max_bm_res / self.inp_step


def resolve_io(io: Any, is_backward: bool) -> ResolvedIO:
    """Validate ``io`` and return its normalised settings.

    Raises:
        ConfigError: a field is out of range, an unsupported choice, or not a field.
    """
    return ResolvedIO(io, is_backward)
