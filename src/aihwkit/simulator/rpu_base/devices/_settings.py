"""Resolved and validated settings of a pulsed device configuration.

The engine reads a plain namespace copy of the config's fields, so derived values (e.g.
the bounds of ``SoftBoundsPmaxDevice``) and the clamps the reference engine applies never
modify the user's dataclass.
"""

import math
from copy import deepcopy
from dataclasses import fields, is_dataclass
from types import SimpleNamespace
from typing import Any, Iterable, Optional

import torch

from aihwkit.exceptions import check_field


def settings_of(config: Any) -> SimpleNamespace:
    """A namespace holding a copy of every dataclass field of ``config``."""
    if not is_dataclass(config):
        return SimpleNamespace(**deepcopy(vars(config)))
    return SimpleNamespace(**{f.name: deepcopy(getattr(config, f.name)) for f in fields(config)})


def is_number(value: Any) -> bool:
    """True for a finite real number (bools excluded)."""
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def check_number(owner: str, s: SimpleNamespace, name: str, *, low: Optional[float] = None,
                 strict: bool = False) -> None:
    """``ConfigError`` unless ``s.name`` is a finite number (``>= low`` / ``> low``)."""
    value = getattr(s, name)
    ok = is_number(value)
    allowed = "a finite number"
    if low is not None:
        ok = ok and (value > low if strict else value >= low)
        allowed = f"a number {'>' if strict else '>='} {low}"
    check_field(owner, name, value, ok, allowed)


def check_flags(owner: str, s: SimpleNamespace, names: Iterable[str]) -> None:
    """``ConfigError`` unless each named field is a bool."""
    for name in names:
        check_field(owner, name, getattr(s, name), isinstance(getattr(s, name), bool),
                    "True or False")


def validate_drift(owner: str, drift: Any) -> None:
    """Checks of a ``DriftParameter`` / ``SimpleDriftParameter`` (field names prefixed)."""
    sub = f"{owner}.drift"
    ns = SimpleNamespace(**{name: getattr(drift, name) for name in vars(drift)})
    check_number(sub, ns, "nu", low=0.0)
    check_number(sub, ns, "t_0", low=0.0, strict=True)
    check_number(sub, ns, "reset_tol", low=0.0)
    for name in ("nu_dtod", "nu_std", "w_noise_std"):
        if hasattr(ns, name):
            check_number(sub, ns, name, low=0.0)
    for name in ("g_offset", "w_offset", "nu_k", "log_g0"):
        if hasattr(ns, name):
            check_number(sub, ns, name)
    if hasattr(ns, "wg_ratio"):
        check_number(sub, ns, "wg_ratio")
        check_field(sub, "wg_ratio", ns.wg_ratio, ns.wg_ratio != 0, "a number != 0")


def validate_pulsed_common(owner: str, s: SimpleNamespace) -> None:
    """Checks of the :class:`PulsedDevice` fields (spec 10 §3.1); clamps the fields the
    reference engine clamps (negative ``diffusion``, ``lifetime``, ``reset_dtod``,
    ``reset_std`` become 0)."""
    check_field(owner, "construction_seed", s.construction_seed,
                isinstance(s.construction_seed, int) and not isinstance(s.construction_seed, bool)
                and s.construction_seed >= 0, "an integer >= 0 (0: random)")
    check_number(owner, s, "corrupt_devices_prob", low=0.0)
    check_field(owner, "corrupt_devices_prob", s.corrupt_devices_prob,
                s.corrupt_devices_prob <= 1.0, "a probability in [0, 1]")
    for name in ("corrupt_devices_range", "diffusion", "lifetime", "reset", "reset_dtod",
                 "reset_std", "up_down", "w_max", "w_min"):
        check_number(owner, s, name)
    for name in ("diffusion", "lifetime", "reset_dtod", "reset_std"):
        setattr(s, name, max(float(getattr(s, name)), 0.0))
    check_number(owner, s, "dw_min", low=0.0, strict=True)
    for name in ("diffusion_dtod", "dw_min_dtod", "dw_min_std", "lifetime_dtod",
                 "up_down_dtod", "w_max_dtod", "w_min_dtod"):
        check_number(owner, s, name, low=0.0)
    check_flags(owner, s, ("dw_min_dtod_log_normal", "enforce_consistency", "perfect_bias",
                           "count_pulses"))
    check_field(owner, "w_min", s.w_min, s.w_min <= 0.0,
                f"<= 0 <= w_max = {s.w_max} (the closed interval [w_min, w_max] must contain 0)")
    check_field(owner, "w_max", s.w_max, s.w_max >= 0.0,
                f">= 0 >= w_min = {s.w_min} (the closed interval [w_min, w_max] must contain 0)")
    validate_drift(owner, s.drift)


def validate_write_noise(owner: str, s: SimpleNamespace) -> None:
    """Checks of ``write_noise_std`` / ``apply_write_noise_on_set``."""
    check_number(owner, s, "write_noise_std", low=0.0)
    check_flags(owner, s, ("apply_write_noise_on_set",))


class Draws:
    """Construction-time draws of shape ``[d_size, x_size]`` from one generator."""

    def __init__(self, generator: torch.Generator, shape: Any, device: torch.device,
                 dtype: torch.dtype) -> None:
        self.generator = generator
        self.shape = tuple(shape)
        self.device = device
        self.dtype = dtype

    def normal(self) -> torch.Tensor:
        """Standard normal draws."""
        return torch.randn(self.shape, generator=self.generator, device=self.device,
                           dtype=self.dtype)

    def uniform(self) -> torch.Tensor:
        """Uniform draws on ``[0, 1)``."""
        return torch.rand(self.shape, generator=self.generator, device=self.device,
                          dtype=self.dtype)

    def full(self, value: float) -> torch.Tensor:
        """A constant tensor."""
        return torch.full(self.shape, float(value), device=self.device, dtype=self.dtype)

    def constant(self, value: float) -> torch.Tensor:
        """A constant of the full shape that stores one element (an expanded view); for
        state that is only read out of place (device operations), so that parameters
        without device-to-device variation cost no memory per crosspoint."""
        one = torch.full((1,) * len(self.shape), float(value), device=self.device,
                         dtype=self.dtype)
        return one.expand(self.shape)
