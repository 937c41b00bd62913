"""Example 29: an analog preconditioner inside a flexible Krylov solver.

A system ``M u = b`` (a 1D Laplacian with random diagonal) is solved with flexible GMRES
(FGMRES). The preconditioner, an approximate inverse ``P ~ M^-1``, is stored on an analog
tile (``AnalogMatrix``, a scipy ``LinearOperator``): every preconditioning step is a noisy
analog matrix-vector product. FGMRES allows the preconditioner to differ from one
application to the next, so the residual still falls to the tolerance, in far fewer
iterations than without a preconditioner.
"""

import numpy as np
import torch

from aihwkit.linalg import AnalogMatrix
from aihwkit.simulator.configs import InferenceRPUConfig

torch.manual_seed(0)
rng = np.random.default_rng(0)
N = 64

system = (np.diag(2.0 + rng.uniform(0.0, 1.0, N)) - np.diag(np.ones(N - 1), 1)
          - np.diag(np.ones(N - 1), -1))
rhs = rng.standard_normal(N)


def fgmres(matrix, b, precondition, tol=1e-8, restart=20, max_restarts=50):
    """Right-preconditioned flexible GMRES; returns (solution, iterations, residual)."""
    x = np.zeros_like(b)
    iterations = 0
    for _ in range(max_restarts):
        r = b - matrix @ x
        beta = np.linalg.norm(r)
        if beta / np.linalg.norm(b) < tol:
            break
        basis = np.zeros((restart + 1, b.size))
        precond = np.zeros((restart, b.size))
        hessenberg = np.zeros((restart + 1, restart))
        basis[0] = r / beta
        for j in range(restart):
            iterations += 1
            precond[j] = precondition(basis[j])
            w = matrix @ precond[j]
            for i in range(j + 1):  # modified Gram-Schmidt
                hessenberg[i, j] = w @ basis[i]
                w = w - hessenberg[i, j] * basis[i]
            hessenberg[j + 1, j] = np.linalg.norm(w)
            basis[j + 1] = w / hessenberg[j + 1, j]
            e1 = np.zeros(j + 2)
            e1[0] = beta
            coeff = np.linalg.lstsq(hessenberg[:j + 2, :j + 1], e1, rcond=None)[0]
            if np.linalg.norm(hessenberg[:j + 2, :j + 1] @ coeff - e1) / np.linalg.norm(b) < tol:
                break
        x = x + precond[:j + 1].T @ coeff
    return x, iterations, np.linalg.norm(b - matrix @ x) / np.linalg.norm(b)


analog_inverse = AnalogMatrix(np.linalg.inv(system).astype(np.float32), InferenceRPUConfig())


def analog_preconditioner(vector):
    """``P v`` on the analog tile (float32, with the tile's read noise)."""
    return np.asarray(analog_inverse @ vector.astype(np.float32), dtype=float)


for label, precondition in (("no preconditioner", lambda v: v),
                            ("analog inverse preconditioner", analog_preconditioner)):
    solution, iterations, residual = fgmres(system, rhs, precondition)
    print(f"{label:30s} {iterations:4d} iterations, relative residual {residual:.1e}")
