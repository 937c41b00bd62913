"""Power of the distribution check used by the CUDA suite (runs on any machine)."""

import pytest
import torch

from cuda_catalogue import assert_same_distribution


def _sample(mean: float, std: float, seed: int, n: int = 4096) -> torch.Tensor:
    return mean + std * torch.randn(n, generator=torch.Generator().manual_seed(seed))


def test_accepts_equal_distributions():
    # 20 independent pairs from one model: a 4-SE check almost never rejects
    for seed in range(20):
        assert_same_distribution(_sample(0.1, 0.02, seed), _sample(0.1, 0.02, 100 + seed))


def test_rejects_a_mean_shifted_by_ten_percent():
    # shift 0.01 vs 4 SE = 4 * 0.02 * sqrt(2 / 4096) = 0.0018
    with pytest.raises(AssertionError):
        assert_same_distribution(_sample(0.1, 0.02, 1), _sample(0.11, 0.02, 2))


def test_rejects_a_spread_larger_by_ten_percent():
    # variance 4.0e-4 vs 4.84e-4; 4 SE of the difference ~ 4 * sqrt(2) * 4.4e-4 * sqrt(2/4096)
    # = 5.5e-5 < 8.4e-5
    with pytest.raises(AssertionError):
        assert_same_distribution(_sample(0.1, 0.02, 3), _sample(0.1, 0.022, 4))
