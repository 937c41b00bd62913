"""Helpers of the inference tests: statistics with 4-standard-error tolerances and
config builders."""

import math

import torch

Z = 4.0


def std_with_se(samples: torch.Tensor):
    """Sample std and its standard error (delta method on the sample variance)."""
    x = samples.double().flatten()
    n = x.numel()
    centered = x - x.mean()
    var = centered.pow(2).mean()
    m4 = centered.pow(4).mean()
    se_var = math.sqrt(max((m4 - var ** 2).item(), 0.0) / n)
    std = math.sqrt(var.item())
    return std, se_var / (2.0 * std)


def mean_with_se(samples: torch.Tensor):
    """Sample mean and its standard error."""
    x = samples.double().flatten()
    return x.mean().item(), x.std().item() / math.sqrt(x.numel())


def close(value: float, expected: float, se: float, z: float = Z) -> bool:
    """Whether ``value`` is within ``z`` standard errors of ``expected``."""
    return abs(value - expected) <= z * se


def folded_normal_mean(mu: float, sigma: float) -> float:
    """``E|mu + sigma xi|``."""
    phi = 0.5 * (1.0 + math.erf((-mu / sigma) / math.sqrt(2.0)))
    return sigma * math.sqrt(2.0 / math.pi) * math.exp(-mu * mu / (2 * sigma * sigma)) \
        + mu * (1.0 - 2.0 * phi)


def perfect_config(torch_tile: bool = False, **mapping):
    """An inference config with a perfect forward (exact products); ``mapping`` fields
    given as keywords."""
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs import InferenceRPUConfig, TorchInferenceRPUConfig
    config = TorchInferenceRPUConfig() if torch_tile else InferenceRPUConfig()
    config.forward.is_perfect = True
    for key, value in mapping.items():
        setattr(config.mapping, key, value)
    return config
