"""Steps that are affine in the device value: ``w' = w + (a w + c)(1 + s xi)``
(multiplicative noise) or ``w' = w + a w + c + s |c| xi`` (additive noise), with
per-crosspoint ``(a, c)`` for the up and for the down direction.

Shared by LinearStep, SoftBounds (+Pmax) and SoftBoundsReference. Because each pulse
is an affine map with random coefficients independent of ``w``, the mean and variance
after ``k`` pulses have closed forms (with ``r = 1 + a``):

* mean: ``m_k = m + (a m + c) (r^k - 1) / a`` (``k c`` when ``a = 0``);
* multiplicative noise: ``V_k = r^2k ((1 + e G) V + s^2 u^2 G / r^2)`` with
  ``u = a m + c``, ``e = s^2 a^2 / r^2``, ``G = ((1 + e)^k - 1) / e`` (``k`` when ``e = 0``);
* additive noise: ``V_k = r^2k V + s^2 c^2 (r^2k - 1) / (r^2 - 1)`` (``k`` for ``a = 0``).

The expressions are evaluated with ``log1p``/``expm1`` so that tiny slopes keep full
precision; they need ``a > -1`` (a pulse never overshoots its fixed point). Crosspoints
with ``a <= -1`` (with multiplicative noise: ``a <= -1/2``) are marked ``exact`` and always
get their pulses one at a time.
"""

from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.kernels.params import AffineParams, directed

# the optional fields of both noise forms (affine_params fills those of one)
_NOISE_FIELDS = ("le_mid", "le_half", "cv_mid", "cv_half", "ih_mid", "ih_half")


def _ratio(numerator: Tensor, denominator: Tensor) -> Tensor:
    """``numerator / denominator`` with 0 where the denominator is 0."""
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


def affine_params(lo: Tensor, hi: Tensor, slope_up: Tensor, const_up: Tensor,
                  slope_down: Tensor, const_down: Tensor, sigma: float,
                  mult_noise: bool) -> AffineParams:
    """Per-direction coefficients and the derived constants of the moment map.

    Args:
        lo, hi: the device bounds ``[d, x]`` (kept as they are).
        slope_up, const_up: ``a`` and ``c`` of an up pulse ``[d, x]``.
        slope_down, const_down: ``a`` and ``c`` of a down pulse (``c < 0``) ``[d, x]``.
        sigma: ``dw_min_std``.
        mult_noise: multiplicative (True) or additive noise.
    """
    # a <= -1 overshoots the fixed point; with multiplicative noise the variance terms
    # (1 + e)^k and r^2k of a steep slope (a <= -1/2, r <= 1/2) overflow and underflow
    # within a few pulses, so those crosspoints also take their pulses one at a time
    limit = -0.5 if (mult_noise and sigma > 0) else -1.0
    overshoot = (slope_up <= limit) | (slope_down <= limit)
    exact = overshoot.to(slope_up.dtype) if bool(overshoot.any()) else None
    values: Dict[str, List[Tensor]] = {}
    for slope, const in ((slope_up, const_up), (slope_down, const_down)):
        # exact log(1 + a) for every a > -1; marked crosspoints never use it
        log_r = torch.log1p(torch.where(slope > limit, slope, torch.zeros_like(slope)))
        terms = {"a": slope, "c": const, "lr": log_r,
                 # fixed point T = -c / a of the map (0 where a = 0; then c = 0 is
                 # required by the fixed-point recursion of the affine kernel)
                 "T": _ratio(-const, slope)}
        if mult_noise:
            terms["le"] = torch.log1p(sigma ** 2 * torch.exp(-2 * log_r) * slope.square())
        else:
            terms["cv"] = sigma ** 2 * const.square()
            terms["ih"] = _ratio(torch.ones_like(slope), torch.expm1(2 * log_r))
        for name, value in terms.items():
            values.setdefault(name, []).append(value)
    # only the branch-free form is kept (memory: two tensors per quantity):
    # x(n) = x_mid + sign(n) x_half is the up value for n > 0 and the down value for n < 0
    fields: Dict[str, Optional[Tensor]] = dict.fromkeys(_NOISE_FIELDS)
    for name, (up, down) in values.items():
        fields[f"{name}_mid"] = (up + down) / 2
        fields[f"{name}_half"] = (up - down) / 2
    return AffineParams(lo, hi, exact=exact, **fields)


def has_fixed_points(params: AffineParams) -> bool:
    """Whether every crosspoint's maps have a fixed point or are the identity."""
    for sign in (1.0, -1.0):
        slope = params.a_mid + sign * params.a_half
        const = params.c_mid + sign * params.c_half
        if bool(((slope == 0) & (const != 0)).any()):
            return False
    return True


def affine_terms(w: Tensor, sign: Tensor, p: AffineParams, sigma: float,
                 mult_noise: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """Mean step, its derivative ``a`` and the std of one pulse at ``w``."""
    slope, const = directed(p.a_mid, p.a_half, sign), directed(p.c_mid, p.c_half, sign)
    step = slope * w + const
    std = sigma * (step.abs() if mult_noise else const.abs())
    return step, slope.expand_as(step), std


def affine_pulse(w: Tensor, sign: Tensor, noise: Optional[Tensor], p: AffineParams,
                 sigma: float, mult_noise: bool) -> Tensor:
    """One pulse (no clipping); ``noise`` may be ``None`` (no cycle-to-cycle noise)."""
    slope, const = directed(p.a_mid, p.a_half, sign), directed(p.c_mid, p.c_half, sign)
    step = slope * w + const
    if noise is None:
        return w + step
    if mult_noise:
        return w + step * (1 + sigma * noise)
    return w + step + sigma * const.abs() * noise


def affine_moments(mean: Tensor, var: Tensor, n: Tensor, p: AffineParams, sigma: float,
                   mult_noise: bool, fixed_points: Optional[bool] = None
                   ) -> Tuple[Tensor, Tensor]:
    """Mean and variance after ``|n|`` pulses in direction ``sign(n)`` (no clipping).

    ``fixed_points``: the known result of :func:`has_fixed_points` for ``p`` (computed
    when ``None``). Uses the fixed-point form ``m' = T + (m - T) r^k`` (branch-free
    selection) when every map has a fixed point, else the general form
    ``m' = m + (a m + c)(r^k - 1) / a``.
    """
    if not (has_fixed_points(p) if fixed_points is None else fixed_points):
        return _general_moments(mean, var, n, p, sigma, mult_noise)
    sign = n.sign()
    k = n.abs()
    factor = torch.exp(k * directed(p.lr_mid, p.lr_half, sign))        # F = r^k
    target = directed(p.T_mid, p.T_half, sign)
    distance = mean - target
    new_mean = torch.addcmul(target, distance, factor)
    if sigma == 0:
        return new_mean, var
    square = factor.square()
    if mult_noise:
        extra = torch.expm1(k * directed(p.le_mid, p.le_half, sign))    # E = (1 + e)^k - 1
        return new_mean, square * torch.addcmul(var, extra, torch.addcmul(var, distance,
                                                                          distance))
    added = (square - 1) * directed(p.ih_mid, p.ih_half, sign) \
        * directed(p.cv_mid, p.cv_half, sign)
    return new_mean, torch.addcmul(added, square, var)


def _general_moments(mean: Tensor, var: Tensor, n: Tensor, p: AffineParams, sigma: float,
                     mult_noise: bool) -> Tuple[Tensor, Tensor]:
    # direction +1 where n > 0, else -1 (n = 0 changes nothing with either)
    sign = torch.where(n > 0, torch.ones_like(n), -torch.ones_like(n))
    k = n.abs()
    slope = directed(p.a_mid, p.a_half, sign)
    log_r = directed(p.lr_mid, p.lr_half, sign)
    grow = torch.expm1(k * log_r)                                   # r^k - 1
    phi = torch.where(slope == 0, k, grow * _ratio(torch.ones_like(slope), slope))
    drive = torch.addcmul(directed(p.c_mid, p.c_half, sign), slope, mean)  # u = a m + c
    new_mean = torch.addcmul(mean, drive, phi)                      # m + u (r^k - 1) / a
    if sigma == 0:
        return new_mean, var
    scale = (1 + grow).square()                                     # r^2k
    if mult_noise:
        rel = sigma ** 2 * torch.exp(-2 * log_r)                    # s^2 / r^2
        e_val = rel * slope.square()
        geo = torch.where(e_val == 0, k, torch.expm1(k * directed(p.le_mid, p.le_half, sign))
                          * _ratio(torch.ones_like(e_val), e_val))
        inner = torch.addcmul(var, e_val * geo, var)
        inner = torch.addcmul(inner, rel * geo, drive.square())
        return new_mean, scale * inner
    geo = torch.where(slope == 0, k,
                      torch.expm1(2 * k * log_r) * directed(p.ih_mid, p.ih_half, sign))
    return new_mean, torch.addcmul(scale * var, directed(p.cv_mid, p.cv_half, sign), geo)


class AffineStepEngine(PulsedDeviceEngine[AffineParams]):
    """Base of devices with affine pulse maps; models supply :meth:`coefficients` and
    :attr:`mult_noise`."""

    @property
    def mult_noise(self) -> bool:
        """Whether the noise multiplies the whole step (else only the constant part)."""
        return bool(self.s.mult_noise)

    def coefficients(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(a_up, c_up, a_down, c_down)`` per crosspoint (``c_down <= 0``)."""
        raise NotImplementedError

    def model_params(self) -> AffineParams:
        return affine_params(self.min_bound, self.max_bound, *self.coefficients(),
                             self.c2c_std, self.mult_noise)

    def affine_coefficients(self, p: AffineParams) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        # x_mid + sign x_half, as the per-pulse rule selects them
        return (p.a_mid + p.a_half, p.c_mid + p.c_half,
                p.a_mid - p.a_half, p.c_mid - p.c_half)

    def affine_mult_noise(self) -> bool:
        return self.mult_noise

    def pulse(self, w: Tensor, sign: Tensor, noise: Optional[Tensor], p: AffineParams
              ) -> Tensor:
        return self.clip_state(affine_pulse(w, sign, noise, p, self.c2c_std, self.mult_noise),
                               p)

    def step_terms(self, w: Tensor, sign: Tensor, p: AffineParams
                   ) -> Tuple[Tensor, Tensor, Tensor]:
        return affine_terms(w, sign, p, self.c2c_std, self.mult_noise)

    def moments(self, mean: Tensor, var: Tensor, n: Tensor, p: AffineParams,
                bound: Optional[int] = None) -> Tuple[Tensor, Tensor]:
        return affine_moments(mean, var, n, p, self.c2c_std, self.mult_noise,
                              self.pulse_flag("fixed_points"))

    def model_flags(self, p: AffineParams) -> Dict[str, Any]:
        flags = super().model_flags(p)
        flags["fixed_points"] = has_fixed_points(p)
        if p.le_mid is not None and p.le_half is not None:
            # bound of k log(1 + e) per pulse for the series choice of the recursion
            flags["le_max"] = float(p.le_mid.abs().max() + p.le_half.abs().max())
        return flags
