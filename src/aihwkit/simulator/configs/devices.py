"""Device configurations: floating point, ideal and pulsed single-device models.

All weights and bounds are in normalized weight units (the tile's weight scale, a
conductance difference divided by a reference conductance). A *pulse* is one coincidence
of an up/down row pulse with a column pulse; every step size is the weight change of one
pulse. ``*_dtod`` fields are device-to-device spreads (drawn once per crosspoint when the
tile is built), ``*_std`` fields cycle-to-cycle spreads (drawn for every pulse). Symbols:
``b+``/``b-`` the crosspoint's bounds, ``D+``/``D-`` its up/down step sizes, ``s =
dw_min_std`` and ``xi`` a fresh standard normal draw.

The compound devices (unit cells, transfer compounds) live in
:mod:`aihwkit.simulator.configs.compounds` and are re-exported here for compatibility.
"""

# pylint: disable=too-many-instance-attributes

from dataclasses import dataclass, field
from typing import List, Optional

from aihwkit.simulator.parameters.helpers import _PrintableMixin
from aihwkit.simulator.parameters.inference import DriftParameter, SimpleDriftParameter


class _LifetimeDiffusionMixin:
    """``requires_diffusion``/``requires_decay`` of devices with ``diffusion`` and
    ``lifetime`` fields."""

    diffusion: float
    lifetime: float

    def requires_diffusion(self) -> bool:
        """Whether the optimizer step applies diffusion."""
        return self.diffusion > 0.0

    def requires_decay(self) -> bool:
        """Whether the optimizer step applies decay."""
        return self.lifetime > 0.0


@dataclass
class FloatingPointDevice(_LifetimeDiffusionMixin, _PrintableMixin):
    """Floating point reference device: exact forward, backward and update.

    ``lifetime`` (in optimizer steps, > 1 to act) decays weights as
    ``W <- W * (1 - 1 / lifetime)``; ``diffusion`` adds ``diffusion * xi`` per step.
    """

    diffusion: float = 0.0
    lifetime: float = 0.0
    drift: SimpleDriftParameter = field(default_factory=SimpleDriftParameter)


@dataclass
class IdealDevice(_LifetimeDiffusionMixin, _PrintableMixin):
    """Ideal update (exact ``W -= lr * d x^T``, no bounds) behind IO-managed forward/backward.

    Fields: ``diffusion`` std of one diffusion step (weight units); ``lifetime`` decay
    lifetime in optimizer steps (``W <- W * (1 - 1 / lifetime)``, 0: off);
    ``reset_std`` std of a reset (``W = reset_std * xi``, weight units);
    ``construction_seed`` seed of construction draws (0: random).
    """

    construction_seed: int = 0
    diffusion: float = 0.0
    lifetime: float = 0.0
    reset_std: float = 0.01


@dataclass
class PulsedDevice(_LifetimeDiffusionMixin, _PrintableMixin):
    """Parameters shared by every pulsed single device (the model itself is a subclass).

    Per crosspoint, at construction: bounds ``b+ = w_max * (1 + w_max_dtod * xi)``,
    ``b- = w_min * (1 + w_min_dtod * xi)``; step gain ``g = 1 + dw_min_dtod * xi``
    (log-normal with ``dw_min_dtod_log_normal``), asymmetry ``r = up_down_dtod * xi``;
    ``D+ = (min(up_down, 0) + g + r) * dw_min``, ``D- = (-max(up_down, 0) + g - r) *
    dw_min``. Every pulse is followed by ``w <- clip(w, b-, b+)``.

    Fields (weight units unless stated): ``construction_seed`` seed of all construction
    draws (0: random); ``corrupt_devices_prob`` probability that a crosspoint is stuck;
    ``corrupt_devices_range`` stuck value drawn within ``+-range``; ``diffusion`` std of one
    diffusion step, ``diffusion_dtod`` its relative spread; ``drift`` power-law drift
    (``nu = 0``: off); ``dw_min`` mean step size, ``dw_min_dtod`` its relative d2d spread,
    ``dw_min_std`` its relative cycle-to-cycle spread; ``enforce_consistency`` positive
    steps and ``b- <= 0 <= b+``; ``lifetime`` decay lifetime in mini-batches (0: no decay),
    ``lifetime_dtod`` its relative spread; ``perfect_bias`` last column is ideal-ish;
    ``reset`` mean reset value (also the decay target), ``reset_dtod`` its d2d spread,
    ``reset_std`` cycle-to-cycle spread of a reset; ``up_down`` up/down asymmetry
    (relative), ``up_down_dtod`` its d2d spread (relative to ``dw_min``); ``w_max``/
    ``w_min`` mean bounds, ``w_max_dtod``/``w_min_dtod`` relative spreads;
    ``count_pulses`` count applied pulses.
    """

    construction_seed: int = 0
    corrupt_devices_prob: float = 0.0
    corrupt_devices_range: float = 0.1
    diffusion: float = 0.0
    diffusion_dtod: float = 0.0
    drift: DriftParameter = field(default_factory=DriftParameter,
                                  metadata={"hide_if": DriftParameter()})
    dw_min: float = 0.001
    dw_min_dtod: float = 0.3
    dw_min_dtod_log_normal: bool = False
    dw_min_std: float = 0.3
    enforce_consistency: bool = True
    lifetime: float = 0.0
    lifetime_dtod: float = 0.0
    perfect_bias: bool = False
    reset: float = 0.0
    reset_dtod: float = 0.0
    reset_std: float = 0.01
    up_down: float = 0.0
    up_down_dtod: float = 0.01
    w_max: float = 0.6
    w_max_dtod: float = 0.3
    w_min: float = -0.6
    w_min_dtod: float = 0.3
    count_pulses: bool = False


@dataclass
class ConstantStepDevice(PulsedDevice):
    """Constant step up to hard bounds.

    Up pulse: ``w <- w + D+ * (1 + s * xi)``; down pulse: ``w <- w - D- * (1 + s * xi)``;
    then ``w <- clip(w, b-, b+)``. No fields beyond :class:`PulsedDevice`.
    """


@dataclass
class LinearStepDevice(PulsedDevice):
    """Step size linear in the weight (up to hard bounds).

    With ``g+ = gamma_up + gamma_up_dtod * xi``, ``g- = gamma_down + gamma_down_dtod * xi``
    (absolute values unless ``allow_increasing``) and reference points ``R+ = w_max``,
    ``R- = w_min`` (the config means with ``mean_bound_reference``, else the crosspoint's
    own bounds), an up pulse adds ``D+ * (1 - g+ * w / R+)`` and a down pulse subtracts
    ``D- * (1 - g- * w / R-)`` (noise-free), then ``w <- clip(w, b-, b+)``. With
    ``mult_noise`` the whole step is multiplied by ``(1 + s * xi)``, otherwise only the
    constant part ``D+-``.

    Fields: ``gamma_up``/``gamma_down`` slopes (dimensionless) and their d2d spreads
    ``gamma_*_dtod`` (absolute); ``allow_increasing`` allow negative slopes;
    ``mean_bound_reference`` see above; ``mult_noise`` see above; ``write_noise_std``
    std of the write noise in units of ``dw_min`` (the read weight is ``w_persistent +
    write_noise_std * dw_min * xi``); ``apply_write_noise_on_set`` apply it when weights
    are set; ``reverse_up``/``reverse_down`` use ``R+ = w_min - reverse_offset`` /
    ``R- = w_max + reverse_offset`` (weight units) so the step grows towards the bound.
    """

    gamma_up: float = 0.0
    gamma_down: float = 0.0
    gamma_up_dtod: float = 0.05
    gamma_down_dtod: float = 0.05
    allow_increasing: bool = False
    mean_bound_reference: bool = True
    mult_noise: bool = True
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True
    reverse_up: bool = False
    reverse_down: bool = False
    reverse_offset: float = 0.01


@dataclass
class SoftBoundsDevice(PulsedDevice):
    """Soft bounds: the step shrinks linearly to zero at the crosspoint's bound.

    Up pulse: ``w <- w + D+ * (1 - w / b+) * (1 + s * xi)``; down pulse:
    ``w <- w - D- * (1 - w / b-) * (1 + s * xi)`` (with ``mult_noise=False`` the noise
    factor acts on ``D+-`` only); then clip. Fields: ``mult_noise`` see above;
    ``write_noise_std`` write noise std in units of ``dw_min``; ``apply_write_noise_on_set``;
    ``reverse_up``/``reverse_down`` reference the opposite bound shifted by
    ``reverse_offset`` (weight units) so the step grows towards the bound.
    """

    mult_noise: bool = True
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True
    reverse_up: bool = False
    reverse_down: bool = False
    reverse_offset: float = 0.01


@dataclass
class SoftBoundsPmaxDevice(SoftBoundsDevice):
    """Soft bounds parameterized by the pulse response ``w(n) = range_min + B * (1 -
    exp(-alpha * n))`` from ``range_min`` after ``n`` up pulses.

    When the tile is built: ``B = (range_max - range_min) / (1 - exp(-p_max * alpha))``,
    ``w_min = range_min``, ``w_max = range_min + B``, ``dw_min = B * alpha``,
    ``up_down = 1 + 2 * range_min / B`` (so ``w_min``, ``w_max``, ``dw_min`` and
    ``up_down`` stay ``None`` here). Fields: ``p_max`` number of pulses from
    ``range_min`` to ``range_max``; ``alpha`` response rate per pulse (dimensionless);
    ``range_min``/``range_max`` weight range covered by ``p_max`` pulses (weight units).
    """

    p_max: int = 1000
    alpha: float = 0.001 / 2
    range_min: float = -1.0
    range_max: float = 1.0
    w_min: Optional[float] = None  # type: ignore[assignment]
    w_max: Optional[float] = None  # type: ignore[assignment]
    dw_min: Optional[float] = None  # type: ignore[assignment]
    up_down: Optional[float] = None  # type: ignore[assignment]


@dataclass
class SoftBoundsReferenceDevice(PulsedDevice):
    """Soft bounds acting on ``g = w + ref`` with a per-crosspoint reference ``ref``.

    ``ref = reference_mean + reference_std * xi`` (weight units); with
    ``subtract_symmetry_point`` the symmetry point ``(D+ - D-) / (D+/b+ - D-/b-)`` is added
    to ``ref`` and to the reset bias. Up pulse (additive noise, default):
    ``g <- g + D+ * (1 - g / b+ + s * xi)``; down: ``g <- g - D- * (1 - g / b- + s * xi)``;
    with ``mult_noise`` the noise multiplies the whole step; then ``g <- clip(g, b-, b+)``,
    ``w = g - ref``. ``slope_up_dtod``/``slope_down_dtod`` relative d2d spread of the
    slopes ``D/|b|``; ``write_noise_std`` in units of ``dw_min``.
    """

    mult_noise: bool = False
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True
    slope_up_dtod: float = 0.0
    slope_down_dtod: float = 0.0
    reference_mean: float = 0.0
    reference_std: float = 0.0
    subtract_symmetry_point: bool = False


@dataclass
class ExpStepDevice(PulsedDevice):
    """Exponential step-size dependence on the weight (CMOS-like).

    ``z = 2 * a * w / (b+ - b-) + b``; ``y+ = max(1 - A_up * exp(gamma_up * z), 0)``,
    ``y- = max(1 - A_down * exp(-gamma_down * z), 0)``. Up pulse:
    ``w <- w + y+ * D+ * (1 + s * xi)``; down: ``w <- w - y- * D- * (1 + s * xi)``; then
    clip. With ``dw_min_std_add`` or ``dw_min_std_slope`` non-zero the noise is
    ``s * (|d| + dw_min_std_add + dw_min_std_slope * |w|) * xi`` on the step ``d``.
    ``A_*``, ``gamma_*``, ``a``, ``b`` are dimensionless; ``dw_min_std_add`` is in weight
    units; ``write_noise_std`` in units of ``dw_min``.
    """

    A_up: float = 0.00081  # pylint: disable=invalid-name
    A_down: float = 0.36833  # pylint: disable=invalid-name
    gamma_up: float = 12.44625
    gamma_down: float = 12.78785
    a: float = 0.244
    b: float = 0.2425
    dw_min_std_add: float = 0.0
    dw_min_std_slope: float = 0.0
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


@dataclass
class PowStepDevice(PulsedDevice):
    """Power-law step size between the bounds.

    With ``R = b+ - b-`` and per-crosspoint exponents ``g+-`` (``pow_gamma`` with relative
    d2d spread ``pow_gamma_dtod`` and asymmetry ``pow_up_down`` +- ``pow_up_down_dtod``):
    up pulse ``w <- w + D+ * ((b+ - w) / R)^g+ * (1 + s * xi)``; down pulse
    ``w <- w - D- * ((w - b-) / R)^g- * (1 + s * xi)``; then clip. ``write_noise_std`` in
    units of ``dw_min``.
    """

    pow_gamma: float = 1.0
    pow_gamma_dtod: float = 0.1
    pow_up_down: float = 0.0
    pow_up_down_dtod: float = 0.0
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


@dataclass
class PowStepReferenceDevice(PulsedDevice):
    """Power-law step (as :class:`PowStepDevice`) acting on ``g = w + ref``.

    ``ref = reference_mean + reference_std * xi`` (weight units); with
    ``subtract_symmetry_point`` the symmetry point, estimated with ``n_estimation_steps``
    alternating up/down pulses (``-1``: automatic), is added to ``ref``. After each pulse
    ``g <- clip(g, b-, b+)``, ``w = g - ref``. No write noise.
    """

    pow_gamma: float = 1.0
    pow_gamma_dtod: float = 0.1
    pow_up_down: float = 0.0
    pow_up_down_dtod: float = 0.0
    subtract_symmetry_point: bool = False
    n_estimation_steps: int = -1
    reference_mean: float = 0.0
    reference_std: float = 0.0


@dataclass
class PiecewiseStepDevice(PulsedDevice):
    """Step size interpolated piecewise-linearly between nodes.

    ``N = len(piecewise_up) - 1`` segments between ``b-`` and ``b+``: with ``p = (w - b-) /
    (b+ - b-) * N``, ``k = floor(p)``, ``t = p - k``, up pulse
    ``w <- w + D+ * ((1 - t) * up[k] + t * up[k + 1]) * (1 + s * xi)``, down pulse likewise
    with ``piecewise_down``; then clip. Node values are relative to ``dw_min``
    (dimensionless); both lists have the same length >= 1. ``write_noise_std`` in units of
    ``dw_min``.
    """

    piecewise_up: List[float] = field(default_factory=lambda: [1])
    piecewise_down: List[float] = field(default_factory=lambda: [1])
    write_noise_std: float = 0.0
    apply_write_noise_on_set: bool = True


# Compound devices used to live in this module; keep them importable from here.
# pylint: disable=wrong-import-position,unused-import
from aihwkit.simulator.configs.compounds import (  # noqa: E402,F401
    BufferedTransferCompound, ChoppedTransferCompound, DifferenceUnitCell,
    DigitalRankUpdateCell, DynamicTransferCompound, MixedPrecisionCompound,
    OneSidedUnitCell, ReferenceUnitCell, TransferCompound, UnitCell, VectorUnitCell)
