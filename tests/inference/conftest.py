"""Fixtures of the inference tests."""

import pytest
import torch


@pytest.fixture
def uniform_weights():
    """``[40, 50]`` weights uniform in +-0.5 with one entry at 0.5 (amax = 0.5)."""
    gen = torch.Generator().manual_seed(42)
    weights = torch.rand(40, 50, generator=gen) - 0.5
    weights[0, 0] = 0.5
    return weights
