"""Patch extraction of the analog convolutions.

The patches of a convolution input ``[N, C, *spatial]`` are the rows of a matrix
``[N * L, C * prod(kernel)]``: row ``n * L + l`` holds the (zero padded) input values
seen by output position ``l`` of sample ``n``, channel first, then kernel position (the
column order of ``torch.nn.functional.unfold``). Each row is one input vector of an
analog tile. The matrix is gathered in one copy from a sliding-window view of the input
and can be cut into column blocks (one per tile); the gradient is summed back with
col2im, the adjoint of the gather.
"""

import math
from typing import Any, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def patch_windows(x: Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
                  dilation: Tuple[int, ...]) -> Tensor:
    """Sliding-window view of the patches of an (already padded) input; no copy.

    Shape: ``x`` ``[N, C, *spatial]``; returns the view ``[N, *out_spatial, C, *kernel]``
    whose trailing ``C * prod(kernel)`` elements are one patch, channel first.
    """
    n_dims = len(kernel)
    for dim, (k, s, d) in enumerate(zip(kernel, stride, dilation)):
        # a dilated window spans d * (k - 1) + 1 elements; keep every d-th
        x = x.unfold(2 + dim, d * (k - 1) + 1, s)
        if d > 1:
            x = x[..., ::d]
    # [N, C, *out, *kernel] -> [N, *out, C, *kernel]
    order = (0, *range(2, 2 + n_dims), 1, *range(2 + n_dims, 2 + 2 * n_dims))
    return x.permute(order)


def _zero_pad(x: Tensor, padding: Tuple[int, ...]) -> Tensor:
    """Symmetric zero padding of the spatial dimensions of ``[N, C, *spatial]``."""
    if not any(padding):
        return x
    pads: List[int] = []
    for pad in reversed(padding):
        pads += [pad, pad]
    return F.pad(x, pads)


def _gather(x: Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
            dilation: Tuple[int, ...]) -> Tensor:
    """The patches of the padded ``[N, C, *spatial]`` as a fresh contiguous
    ``[N * L, C * prod(kernel)]`` matrix (one gathering copy)."""
    windows = patch_windows(x, kernel, stride, dilation)
    return windows.reshape(math.prod(windows.shape[:len(kernel) + 1]), -1)


def unfold_view(x: Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
                dilation: Tuple[int, ...], padding: Tuple[int, ...]) -> Tensor:
    """The patches of a 1-d or 2-d input as the transposed view ``[N, L, C * k]`` of
    ``F.unfold``'s ``[N, C * k, L]`` (no copy beyond the im2col).

    Shape: ``x`` ``[N, C, *spatial]`` (unpadded).
    """
    if len(kernel) == 1:
        cols = F.unfold(x.unsqueeze(2), (1, kernel[0]), dilation=(1, dilation[0]),
                        padding=(0, padding[0]), stride=(1, stride[0]))
    else:
        cols = F.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    return cols.transpose(1, 2)


def patch_rows(x: Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
               dilation: Tuple[int, ...], padding: Tuple[int, ...],
               widths: Sequence[int]) -> List[Tensor]:
    """The patches of ``x`` as row matrices, cut into column blocks of ``widths``.

    Row ``n * L + l`` is the patch of sample ``n`` at output position ``l`` (row-major
    over the output positions); its ``C * prod(kernel)`` columns are ordered channel
    first, then kernel position, as ``torch.nn.functional.unfold`` orders them. Block
    ``i`` holds the columns ``sum(widths[:i]) ... sum(widths[:i + 1]) - 1``.

    Layout: batches of 1-d and 2-d inputs give every block as a fresh contiguous matrix,
    gathered straight from the input (blocks made of whole channels read only their
    channels); a single 1-d or 2-d sample gives column views of the transposed im2col
    matrix; 3-d inputs give column views of one contiguous patch matrix.

    Shape: ``x`` ``[N, C, *spatial]`` (unpadded: ``padding`` zeros are added on both
    sides); returns ``[N * L, widths[i]]`` per block.
    """
    geometry = (kernel, stride, dilation, padding)
    n_dims = len(kernel)
    if n_dims == 3 or x.shape[0] == 1:
        if n_dims == 3:
            # no col2im in torch: the autograd of the window view scatters the gradient
            rows = _gather(_zero_pad(x, padding), kernel, stride, dilation)
        else:
            rows = unfold_view(x, *geometry)[0]
        return [rows] if len(widths) == 1 else list(rows.split(list(widths), dim=1))
    return list(_PatchRows.apply(x, geometry, tuple(widths)))


class _PatchRows(torch.autograd.Function):
    """:func:`patch_rows` for batches of 1-d and 2-d inputs.

    Forward: zero padding and one gathering copy of the window view per block (the
    im2col of ``F.unfold`` followed by a transposed copy would move the patches twice).
    Blocks that cut a channel are taken from one gathered matrix (one more copy each).
    Backward: the patch gradients are summed back into the input with ``F.fold``
    (col2im), the adjoint of ``F.unfold``, block by block when the blocks hold whole
    channels (every pixel sums only the kernel positions of its own channel, in the
    same order), so input gradients equal those of an ``F.unfold`` path bit for bit.
    """

    # pylint: disable=arguments-differ,abstract-method

    @staticmethod
    def forward(ctx: Any, x: Tensor, geometry: Tuple[Tuple[int, ...], ...],
                widths: Tuple[int, ...]) -> Tuple[Tensor, ...]:
        kernel, stride, dilation, padding = geometry
        elements = math.prod(kernel)
        ctx.geometry = geometry
        ctx.shape = tuple(x.shape)
        bounds = [0]
        for width in widths:
            bounds.append(bounds[-1] + width)
        ctx.aligned = all(bound % elements == 0 for bound in bounds)
        padded = _zero_pad(x, padding)
        if ctx.aligned:
            return tuple(_gather(padded[:, start // elements:stop // elements], kernel,
                                 stride, dilation)
                         for start, stop in zip(bounds[:-1], bounds[1:]))
        rows = _gather(padded, kernel, stride, dilation)
        return tuple(rows[:, start:stop].contiguous()
                     for start, stop in zip(bounds[:-1], bounds[1:]))

    @staticmethod
    def backward(ctx: Any, *grads: Optional[Tensor]) -> Tuple[Optional[Tensor], ...]:
        if not ctx.needs_input_grad[0]:
            return None, None, None
        kernel, stride, dilation, padding = ctx.geometry
        shape = ctx.shape
        blocks = list(grads)  # unused outputs arrive as zeros (materialized gradients)

        def fold(block: Tensor) -> Tensor:
            # [N * L, c * k] -> [N, c * k, L], the layout of F.unfold's result
            cols = block.reshape(shape[0], -1, block.shape[1]).transpose(1, 2)
            if len(kernel) == 1:
                return F.fold(cols, (1, shape[2]), (1, kernel[0]), dilation=(1, dilation[0]),
                              padding=(0, padding[0]), stride=(1, stride[0])).squeeze(2)
            return F.fold(cols, shape[2:], kernel, dilation=dilation, padding=padding,
                          stride=stride)

        if ctx.aligned:
            parts = [fold(block) for block in blocks]
            grad = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        else:
            grad = fold(torch.cat(blocks, dim=1))
        return grad, None, None


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """``floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


__all__ = ["conv_output_size", "patch_rows", "patch_windows", "unfold_view"]
