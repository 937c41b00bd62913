"""Every periphery test runs twice: on the compiled periphery of small CPU products (where
numba is installed) and on the torch periphery (GPUs, large products, no numba)."""

import pytest

from aihwkit.simulator.rpu_base.kernels import fused


@pytest.fixture(autouse=True, params=["compiled", "torch"])
def periphery_path(request, monkeypatch):
    """Which periphery implementation the test exercises."""
    if request.param == "compiled" and not fused.available():
        pytest.skip("numba is not installed")
    if request.param == "torch":
        monkeypatch.setattr(fused, "available", lambda: False)
    return request.param
