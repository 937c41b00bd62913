"""Small helpers shared by the noise models, converters and drift compensations."""

import inspect
import math
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence

import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError


class InferenceArgumentError(ArgumentError, ValueError):
    """An invalid argument of a noise model, converter or compensation.

    Also a :class:`ValueError`, so code written against the original package, which
    raised plain ``ValueError`` in these places, keeps working.
    """


def check_number(owner: str, name: str, value: Any, *, minimum: Optional[float] = None,
                 strict: bool = False, maximum: Optional[float] = None) -> float:
    """Return ``value`` as float, or raise :class:`InferenceArgumentError` naming it.

    Args:
        owner: class or function name used in the message.
        name: argument name.
        value: the value to check (must be a finite real number).
        minimum: lower bound (inclusive unless ``strict``).
        strict: whether ``minimum`` itself is excluded.
        maximum: inclusive upper bound.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InferenceArgumentError(f"{owner}: {name} = {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InferenceArgumentError(f"{owner}: {name} = {value!r} must be finite")
    if minimum is not None and (number < minimum or (strict and number == minimum)):
        rel = ">" if strict else ">="
        raise InferenceArgumentError(f"{owner}: {name} = {value!r} must be {rel} {minimum}")
    if maximum is not None and number > maximum:
        raise InferenceArgumentError(f"{owner}: {name} = {value!r} must be <= {maximum}")
    return number


def check_t_inference(owner: str, t_inference: Any) -> float:
    """Time since programming in seconds: a finite number ``>= 0``."""
    return check_number(owner, "t_inference", t_inference, minimum=0.0)


def check_coefficients(owner: str, name: str, coeffs: Any) -> List[float]:
    """A non-empty list of finite polynomial coefficients (ascending powers)."""
    if isinstance(coeffs, Tensor):
        coeffs = coeffs.tolist()
    if not isinstance(coeffs, (list, tuple)) or len(coeffs) == 0:
        raise InferenceArgumentError(f"{owner}: {name} must be a non-empty list of numbers, "
                                     f"got {coeffs!r}")
    return [check_number(owner, f"{name}[{i}]", c) for i, c in enumerate(coeffs)]


def polyval(coeffs: Sequence[float], x: Tensor) -> Tensor:
    """``sum_k coeffs[k] * x**k`` elementwise (ascending powers, Horner scheme)."""
    result = torch.zeros_like(x)
    for coeff in reversed(list(coeffs)):
        result = result * x + coeff
    return result


def interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """Piecewise linear interpolation like ``numpy.interp`` (end values held outside).

    Args:
        x: points to evaluate (any shape).
        xp: ascending sample points ``[n]`` (``n >= 2``).
        fp: sample values ``[n]``.
    """
    xp = xp.to(device=x.device, dtype=x.dtype)
    fp = fp.to(device=x.device, dtype=x.dtype)
    flat = x.reshape(-1).contiguous()
    idx = torch.searchsorted(xp, flat, right=True).clamp(1, xp.numel() - 1)
    x0, x1 = xp[idx - 1], xp[idx]
    y0, y1 = fp[idx - 1], fp[idx]
    width = x1 - x0
    frac = torch.where(width > 0, (flat - x0) / torch.where(width > 0, width, 1.0),
                       torch.zeros_like(flat))
    result = y0 + frac.clamp(0.0, 1.0) * (y1 - y0)
    result = torch.where(flat <= xp[0], fp[0], result)
    result = torch.where(flat >= xp[-1], fp[-1], result)
    return result.reshape(x.shape)


def format_value(value: Any) -> str:
    """Compact text of an attribute value for ``__str__``."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(format_value(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, dict):
        inner = ", ".join(f"{format_value(k)}: {format_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def compact_str(obj: Any) -> str:
    """``ClassName(key=value, ...)`` listing only what differs from the defaults.

    The defaults are those of an instance built with the same required constructor
    arguments; attributes follow the constructor's argument order.
    """
    items = public_items(obj)
    params = inspect.signature(type(obj).__init__).parameters
    order = [name for name in params if name in items]
    order += [name for name in items if name not in order]
    required = {name: items[name] for name, par in params.items()
                if name != "self" and par.default is inspect.Parameter.empty
                and par.kind not in (par.VAR_POSITIONAL, par.VAR_KEYWORD) and name in items}
    try:
        reference: Optional[Dict[str, Any]] = public_items(type(obj)(**required))
    except Exception:  # pylint: disable=broad-except
        reference = None
    shown = [name for name in order if reference is None or name in required
             or name not in reference or not _values_equal(items[name], reference[name])]
    args = ", ".join(f"{name}={format_value(items[name])}" for name in shown)
    return f"{type(obj).__name__}({args})"


def public_items(obj: Any) -> Dict[str, Any]:
    """The instance attributes that define ``obj`` (private ones left out)."""
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def public_equal(left: Any, right: Any) -> bool:
    """Same class and equal public attributes (tensors compared by value)."""
    if type(left) is not type(right):
        return False
    mine, theirs = public_items(left), public_items(right)
    if mine.keys() != theirs.keys():
        return False
    return all(_values_equal(mine[k], theirs[k]) for k in mine)


def _values_equal(left: Any, right: Any) -> bool:
    if isinstance(left, Tensor) or isinstance(right, Tensor):
        return (isinstance(left, Tensor) and isinstance(right, Tensor)
                and left.shape == right.shape and bool(torch.equal(left.cpu(), right.cpu())))
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(_values_equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_values_equal(left[k], right[k])
                                                    for k in left)
    return bool(left == right)


class RandomSource:
    """Mixin giving random draws from an optional generator for the duration of a call.

    Public methods accept ``generator=None``; inside :meth:`_rng_scope` every draw made
    through :meth:`_randn_like` / :meth:`_rand_like` uses that generator, or torch's global
    RNG when none was given. Keeps the overridable per-conductance hooks free of a
    generator argument (their signatures match the original package).
    """

    _generator: Optional[torch.Generator] = None

    @contextmanager
    def _rng_scope(self, generator: Optional[torch.Generator]) -> Iterator[None]:
        previous = self.__dict__.get("_generator")
        if generator is not None:
            self._generator = generator
        try:
            yield
        finally:
            if previous is None:
                self.__dict__.pop("_generator", None)
            else:
                self._generator = previous

    def _randn_like(self, tensor: Tensor) -> Tensor:
        """Standard normal draws shaped, typed and placed like ``tensor``."""
        return torch.randn(tensor.shape, generator=self._generator, device=tensor.device,
                           dtype=tensor.dtype)

    def _rand_like(self, tensor: Tensor) -> Tensor:
        """Uniform ``[0, 1)`` draws shaped, typed and placed like ``tensor``."""
        return torch.rand(tensor.shape, generator=self._generator, device=tensor.device,
                          dtype=tensor.dtype)

    def __getstate__(self) -> Dict[str, Any]:
        return public_items(self) | {k: v for k, v in vars(self).items()
                                     if k.startswith("_") and k != "_generator"}
