"""``AnalogMatrix``: a matrix stored on an analog tile, used as a linear operator.

``A @ x`` is the tile's forward pass (``y = W x``), ``x @ A`` its backward pass
(``z = x W``), and :meth:`AnalogMatrix.ger` a rank-one (or rank-B) pulsed update. With
scipy installed the class is a ``scipy.sparse.linalg.LinearOperator``, so it can be handed
to scipy's iterative solvers (e.g. as a preconditioner); without scipy it offers the same
products itself.
"""

from typing import Any, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from aihwkit.exceptions import ArgumentError

try:  # scipy is optional: it only adds the LinearOperator interface
    from scipy.sparse.linalg import LinearOperator as _OperatorBase
    HAVE_SCIPY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_SCIPY = False

    class _OperatorBase:  # type: ignore[no-redef]
        """Minimal operator interface used when scipy is not installed."""

        shape: Tuple[int, int]

        def __init__(self, dtype: Any, shape: Tuple[int, int]) -> None:
            self.dtype = np.dtype(dtype)
            self.shape = shape

        def matvec(self, x: Any) -> Any:
            """``A x`` for a vector ``x``."""
            return self._matvec(x)

        def rmatvec(self, x: Any) -> Any:
            """``A^T x`` for a vector ``x``."""
            return self._rmatvec(x)

        def matmat(self, x: Any) -> Any:
            """``A X`` for a matrix ``X``."""
            return self._matmat(x)

        def rmatmat(self, x: Any) -> Any:
            """``A^T X`` for a matrix ``X``."""
            return self._rmatmat(x)

        def dot(self, x: Any) -> Any:
            """``A @ x``."""
            return self._matvec(x) if np.ndim(x) == 1 else self._matmat(x)

        def __matmul__(self, x: Any) -> Any:
            return self.dot(x)

        def __rmatmul__(self, x: Any) -> Any:
            if np.ndim(x) == 1:
                return self._rmatvec(x)
            return self._rmatmat(x.T).T


ArrayLike = Union[np.ndarray, Tensor]


class AnalogMatrix(_OperatorBase):
    """A ``[rows, cols]`` matrix held by an analog tile.

    Products go through the tile's analog periphery (noise, quantization and bounds of
    the configuration), without autograd. numpy inputs give numpy outputs, torch inputs
    torch outputs.

    Args:
        matrix: ``[rows, cols]`` values (numpy array, tensor or nested lists).
        rpu_config: RPU configuration of the tile.
        realistic: program the values with closed-loop pulsed updates (or programming
            noise for inference configurations) instead of writing them exactly.
        to_kwargs: passed to the tile's ``.to()`` (e.g. ``device="cuda"``).

    Raises:
        ArgumentError: ``matrix`` is not two-dimensional.
    """

    def __init__(self, matrix: Any, rpu_config: Any, realistic: bool = False,
                 **to_kwargs: Any) -> None:
        values = torch.as_tensor(np.asarray(matrix) if not isinstance(matrix, Tensor)
                                 else matrix).detach()
        if values.dim() != 2:
            raise ArgumentError(f"matrix must be two-dimensional, got shape "
                                f"{tuple(values.shape)}")
        rows, cols = int(values.shape[0]), int(values.shape[1])
        tile_class = rpu_config.get_default_tile_module_class(rows, cols)
        self.analog_tile = tile_class(rows, cols, rpu_config, bias=False)
        if to_kwargs:
            self.analog_tile = self.analog_tile.to(**to_kwargs)
        self.analog_tile.eval()
        self.analog_tile.set_weights(values.float(), realistic=realistic)
        super().__init__(dtype=np.dtype("float32"), shape=(rows, cols))

    # ------------------------------------------------------------------ conversions
    def _as_rows(self, x: ArrayLike, size: int, name: str) -> Tuple[Tensor, bool]:
        """``x`` as a float tensor on the tile's device; returns also whether it was numpy."""
        is_numpy = not isinstance(x, Tensor)
        tensor = torch.as_tensor(np.asarray(x) if is_numpy else x).detach()
        if tensor.shape[0] != size:
            raise ArgumentError(f"{name} has {tensor.shape[0]} rows, expected {size}")
        tile = self.analog_tile
        return tensor.to(device=tile.device, dtype=tile.get_dtype()), is_numpy

    @staticmethod
    def _back(value: Tensor, is_numpy: bool) -> ArrayLike:
        value = value.detach()
        return value.cpu().numpy() if is_numpy else value

    # ------------------------------------------------------------------ products
    @torch.no_grad()
    def _matmat(self, x: ArrayLike) -> ArrayLike:
        """``A X`` for ``X`` ``[cols, k]``: one forward pass per column. Returns ``[rows, k]``."""
        tensor, is_numpy = self._as_rows(x, self.shape[1], "x")
        return self._back(self.analog_tile.forward(tensor.t().contiguous()).t(), is_numpy)

    def _matvec(self, x: ArrayLike) -> ArrayLike:
        """``A x`` for ``x`` ``[cols]`` (or ``[cols, 1]``); returns the same layout."""
        column = x.reshape(-1, 1)
        out = self._matmat(column)
        return out.reshape(-1) if np.ndim(x) == 1 else out

    @torch.no_grad()
    def _rmatmat(self, x: ArrayLike) -> ArrayLike:
        """``A^T X`` for ``X`` ``[rows, k]``: one backward pass per column.
        Returns ``[cols, k]``."""
        tensor, is_numpy = self._as_rows(x, self.shape[0], "x")
        return self._back(self.analog_tile.backward(tensor.t().contiguous()).t(), is_numpy)

    def _rmatvec(self, x: ArrayLike) -> ArrayLike:
        """``A^T x`` for ``x`` ``[rows]`` (or ``[rows, 1]``)."""
        column = x.reshape(-1, 1)
        out = self._rmatmat(column)
        return out.reshape(-1) if np.ndim(x) == 1 else out

    # torch tensors bypass scipy's dispatch (which would turn them into numpy arrays)
    def dot(self, x: Any) -> Any:
        """``A @ x`` for a vector ``[cols]`` or a matrix ``[cols, k]``."""
        if isinstance(x, Tensor):
            return self._matvec(x) if x.dim() == 1 else self._matmat(x)
        return super().dot(x)

    def __matmul__(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            return self.dot(x)
        return super().__matmul__(x)

    def __rmatmul__(self, x: Any) -> Any:
        """``x @ A`` for a vector ``[rows]`` or a matrix ``[k, rows]``."""
        if isinstance(x, Tensor):
            return self._rmatvec(x) if x.dim() == 1 else self._rmatmat(x.t()).t()
        return super().__rmatmul__(x)

    def matvec(self, x: Any) -> Any:
        """``A x``."""
        return self._matvec(x) if isinstance(x, Tensor) else super().matvec(x)

    def rmatvec(self, x: Any) -> Any:
        """``A^T x``."""
        return self._rmatvec(x) if isinstance(x, Tensor) else super().rmatvec(x)

    # ------------------------------------------------------------------ update
    @torch.no_grad()
    def ger(self, x: ArrayLike, d: ArrayLike, alpha: float = 1.0) -> None:
        """Pulsed rank update ``A += alpha * sum_b d_b x_b^T``.

        Args:
            x: ``[cols]`` or ``[B, cols]`` inputs.
            d: ``[rows]`` or ``[B, rows]`` errors (same batch size as ``x``).
            alpha: scale of the update (the tile's learning rate during the update).
        """
        tile = self.analog_tile
        x_t = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x).detach()
        d_t = torch.as_tensor(np.asarray(d) if not isinstance(d, Tensor) else d).detach()
        x_t = x_t.reshape(-1, self.shape[1]).to(tile.device, tile.get_dtype())
        d_t = d_t.reshape(-1, self.shape[0]).to(tile.device, tile.get_dtype())
        if x_t.shape[0] != d_t.shape[0]:
            raise ArgumentError(f"x and d disagree in batch size: {x_t.shape[0]} vs "
                                f"{d_t.shape[0]}")
        old_lr = tile.get_learning_rate()
        tile.set_learning_rate(alpha)
        try:
            tile.update(x_t, -d_t)
        finally:
            tile.set_learning_rate(old_lr)

    def get_matrix(self) -> Tensor:
        """The stored ``[rows, cols]`` values (CPU tensor, read directly)."""
        return self.analog_tile.get_weights()[0]

    def __repr__(self) -> str:
        return (f"AnalogMatrix(shape={self.shape}, "
                f"rpu_config={type(self.analog_tile.rpu_config).__name__})")
