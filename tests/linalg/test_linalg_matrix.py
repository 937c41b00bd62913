"""``AnalogMatrix``: products, updates and use in scipy solvers."""

import numpy as np
import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.linalg import AnalogMatrix
from aihwkit.simulator.configs import FloatingPointRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs import ConstantStepDevice


@pytest.fixture
def values():
    return np.random.default_rng(0).uniform(-0.5, 0.5, (5, 3)).astype(np.float32)


def test_products_match_numpy(values):
    matrix = AnalogMatrix(values, FloatingPointRPUConfig())
    x, y = np.arange(3, dtype=np.float32), np.arange(5, dtype=np.float32)
    assert matrix.shape == (5, 3) and matrix.dtype == np.float32
    assert matrix @ x == pytest.approx(values @ x, abs=1e-5)
    assert y @ matrix == pytest.approx(y @ values, abs=1e-5)
    xs = np.ones((3, 4), dtype=np.float32)
    assert matrix @ xs == pytest.approx(values @ xs, abs=1e-5)
    assert matrix.matvec(x) == pytest.approx(values @ x, abs=1e-5)
    assert matrix.rmatvec(y) == pytest.approx(values.T @ y, abs=1e-5)
    assert isinstance(matrix @ x, np.ndarray)


def test_torch_in_torch_out(values):
    matrix = AnalogMatrix(torch.tensor(values), FloatingPointRPUConfig())
    x = torch.ones(3)
    out = matrix @ x
    assert isinstance(out, torch.Tensor)
    assert out.numpy() == pytest.approx(values.sum(axis=1), abs=1e-5)
    batch = torch.ones(2, 5) @ matrix
    assert batch.shape == (2, 3)
    assert batch[1].numpy() == pytest.approx(values.sum(axis=0), abs=1e-5)


def test_ger_is_a_rank_update(values):
    matrix = AnalogMatrix(values, FloatingPointRPUConfig())
    lr_before = matrix.analog_tile.get_learning_rate()
    x = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    d = np.array([[1.0, 2.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 3.0, 0.0]], dtype=np.float32)
    matrix.ger(x, d, alpha=0.1)
    assert matrix.get_matrix().numpy() == pytest.approx(values + 0.1 * d.T @ x, abs=1e-6)
    assert matrix.analog_tile.get_learning_rate() == pytest.approx(lr_before)
    with pytest.raises(ArgumentError, match="batch size"):
        matrix.ger(x, d[:1])


def test_pulsed_ger_moves_towards_the_update():
    config = SingleRPUConfig(device=ConstantStepDevice(dw_min_dtod=0.0, dw_min_std=0.0,
                                                       up_down_dtod=0.0))
    config.forward.is_perfect = True
    matrix = AnalogMatrix(np.zeros((2, 2), dtype=np.float32), config)
    matrix.ger(np.array([1.0, 0.0]), np.array([1.0, -1.0]), alpha=0.05)
    change = matrix.get_matrix().numpy()
    assert change[0, 0] > 0.01 and change[1, 0] < -0.01  # about +-0.05 in pulses of 0.001
    assert change[:, 1] == pytest.approx(0.0)


def test_bad_inputs(values):
    with pytest.raises(ArgumentError, match="two-dimensional"):
        AnalogMatrix(np.ones(3), FloatingPointRPUConfig())
    matrix = AnalogMatrix(values, FloatingPointRPUConfig())
    with pytest.raises(ArgumentError, match="rows"):
        matrix @ torch.ones(4)


def test_scipy_solver_accepts_the_operator():
    linalg = pytest.importorskip("scipy.sparse.linalg")
    rng = np.random.default_rng(1)
    system = (np.eye(6) * 0.5 + 0.05 * rng.standard_normal((6, 6))).astype(np.float32)
    rhs = rng.standard_normal(6).astype(np.float32)
    operator = AnalogMatrix(system, FloatingPointRPUConfig())
    assert isinstance(operator, linalg.LinearOperator)
    solution, info = linalg.gmres(operator, rhs, rtol=1e-6)
    assert info == 0
    assert system @ solution == pytest.approx(rhs, abs=1e-4)
