"""Shared fixtures: every test starts from the same global seed."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _fixed_seed():
    torch.manual_seed(1234)
    yield
