"""Builders and statistical assertions shared by the periphery tests."""

import math
from typing import Any

import torch

from aihwkit.simulator.parameters.enums import BoundManagementType, NoiseManagementType
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG

Z = 4.0            # tolerance in standard errors
MISSET = 1.1       # power checks: the model mis-set by 10 %

DELTA_IN = 2 / 126           # default DAC step
DELTA_OUT = 24 / 510         # default ADC step


def exact_io(**kwargs: Any) -> IOParameters:
    """IOParameters without noise, quantization and bound management (overridable)."""
    base = dict(out_noise=0.0, inp_res=-1.0, out_res=-1.0,
                bound_management=BoundManagementType.NONE)
    base.update(kwargs)
    return IOParameters(**base)


def plain_io(**kwargs: Any) -> IOParameters:
    """Like :func:`exact_io` and also without noise management and bounds."""
    base = dict(noise_management=NoiseManagementType.NONE, inp_bound=0.0, out_bound=0.0)
    base.update(kwargs)
    return exact_io(**base)


def manager(io: IOParameters, out_size: int, in_size: int, *, backward: bool = False,
            dtype: torch.dtype = torch.float64, seed: int = 0, **kwargs: Any) -> IOManager:
    """An IOManager on CPU with its own seeded generator."""
    return IOManager(io, out_size, in_size, is_backward=backward, device=torch.device("cpu"),
                     dtype=dtype, rng=TileRNG(torch.device("cpu"), seed), **kwargs)


def tensor(values: Any, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A tensor of ``values``; 1-d inputs become a batch of one row."""
    out = torch.as_tensor(values, dtype=dtype)
    return out.unsqueeze(0) if out.dim() == 1 else out


def run(io: IOParameters, weights: Any, x: Any, *, backward: bool = False,
        dtype: torch.dtype = torch.float64, seed: int = 0) -> torch.Tensor:
    """One managed product of ``weights [L, N]`` and ``x [B, N]`` with a fresh manager."""
    w = tensor(weights, dtype)
    mgr = manager(io, w.shape[0], w.shape[1], backward=backward, dtype=dtype, seed=seed)
    return mgr.mvm(w, tensor(x, dtype))


def quant(values: Any, step: float) -> torch.Tensor:
    """Deterministic quantizer ``Δ·rint(v/Δ)`` in float64."""
    return torch.round(torch.as_tensor(values, dtype=torch.float64) / step) * step


# ---------------------------------------------------------------- statistics
def mean_ok(sample: torch.Tensor, mean: float, std: float) -> bool:
    """Sample mean within Z standard errors ``std/sqrt(n)`` of ``mean``."""
    n = sample.numel()
    return abs(sample.double().mean().item() - mean) < Z * std / math.sqrt(n)


def std_ok(sample: torch.Tensor, std: float) -> bool:
    """Sample std within Z standard errors ``std/sqrt(2(n-1))`` of ``std``."""
    n = sample.numel()
    return abs(sample.double().std().item() - std) < Z * std / math.sqrt(2 * (n - 1))


def prob_ok(hits: int, n: int, p: float) -> bool:
    """Observed frequency within Z standard errors ``sqrt(p(1-p)/n)`` of ``p``."""
    return abs(hits / n - p) < Z * math.sqrt(p * (1 - p) / n)


def assert_std(sample: torch.Tensor, std: float) -> None:
    """Std matches the model, and the same check rejects a model mis-set by 10 %."""
    assert std_ok(sample, std), (sample.double().std().item(), std)
    assert not std_ok(sample, std * MISSET), "power check: 10 % mis-set std not rejected"


def assert_mean(sample: torch.Tensor, mean: float, std: float) -> None:
    """Mean matches the model, and the same check rejects a mean mis-set by 10 %."""
    assert mean_ok(sample, mean, std), (sample.double().mean().item(), mean)
    assert not mean_ok(sample, mean * MISSET, std), "power check: 10 % mis-set mean"

