"""Pulsed analog training under ``torch.nn.parallel.DistributedDataParallel``.

DDP all-reduces gradients of ordinary parameters, which covers tiles whose weights torch
updates (inference tiles in hardware-aware training). A pulsed tile has no weight
gradient: its update is drawn from the stored (input, error) traces of the step. If every
rank applied the pulses of its own traces, the replicas would drift apart. The policy here:

* Before the analog updates of a step, the ranks all-gather the stored traces of every
  pulsed tile that ran inside a DDP forward; the errors are divided by the world size, so
  the gathered batch gives the update of the averaged gradient, as DDP does for digital
  parameters (``sum_r sum_b d_rb x_rb^T / R``).
* At the first DDP forward of a pulsed tile every rank adopts rank 0's analog state
  (weights, hidden parameters; done by the tile's autograd function, as DDP does for
  parameters at construction), and rank 0's tile generator state is broadcast at every
  synchronised step. Every rank then draws the same pulse trains from the same gathered
  batch, and the weights stay identical (bit for bit on deterministic back-ends).

The cost per step is one all-gather of the batch sizes, one of the traces per tile
(``R * N * (in_size + out_size)`` numbers) and one broadcast of generator states. Ranks
must run the same model and step the optimizer together, as DDP requires anyway. No
extra call is needed: the analog optimizers call :func:`synchronize_traces` at each step.
"""

from typing import Any, List, Sequence, Tuple

import torch
from torch import Tensor

from aihwkit.exceptions import TileError

def _group_info(group: Any) -> Tuple[int, int]:
    """``(rank, world_size)`` within ``group``."""
    dist = torch.distributed
    return dist.get_rank(group), dist.get_world_size(group)


def _rows(trace: Tensor, trans: bool) -> Tensor:
    """A stored trace as ``[N, features]`` rows (feature dimension first when ``trans``)."""
    if trans:
        return trace.reshape(trace.shape[0], -1).t()
    return trace.reshape(-1, trace.shape[-1])


def _local_batch(ctx: Any) -> Tensor:
    """The traces of one context as one ``[N, in_size + out_size]`` block on the tile's
    device (``N = 0`` when the tile was not used in this step)."""
    tile = ctx.analog_tile
    width = tile.in_size + tile.out_size
    if not ctx.analog_input:
        return torch.zeros(0, width, dtype=tile.get_dtype(), device=tile.device)
    x = torch.cat([_rows(t.to(tile.device), tile.in_trans) for t in ctx.analog_input])
    d = torch.cat([_rows(t.to(tile.device), tile.out_trans) for t in ctx.analog_grad_output])
    if x.shape[0] != d.shape[0]:
        raise TileError(f"stored inputs ({x.shape[0]} rows) and errors ({d.shape[0]} rows) "
                        f"of {tile.get_brief_info()} disagree")
    return torch.cat([x, d.to(x.dtype)], dim=1)


def _store(ctx: Any, block: Tensor) -> None:
    """Replace the traces of ``ctx`` by the gathered ``block``."""
    tile = ctx.analog_tile
    x, d = block[:, :tile.in_size], block[:, tile.in_size:]
    if tile.in_trans:
        x = x.t()
    if tile.out_trans:
        d = d.t()
    ctx.analog_input = [x.contiguous()] if block.shape[0] else []
    ctx.analog_grad_output = [d.contiguous()] if block.shape[0] else []


def _broadcast_generators(tiles: Sequence[Any], group: Any, rank: int) -> None:
    """Every rank continues with rank 0's tile generator states."""
    dist = torch.distributed
    payload: List[Any] = [None]
    if rank == 0:
        # pylint: disable=protected-access
        payload[0] = [(tile._rng.generator.get_state(), tile._rng.stream_state())
                      for tile in tiles]
    dist.broadcast_object_list(payload, src=dist.get_global_rank(group, 0), group=group)
    if rank != 0:
        for tile, (state, stream) in zip(tiles, payload[0]):
            tile._rng.generator.set_state(state)  # pylint: disable=protected-access
            tile._rng.set_stream_state(stream)  # pylint: disable=protected-access


def synchronize_traces(contexts: Sequence[Any]) -> None:
    """Gather the update traces of pulsed tiles trained under DDP (see the module text).

    Contexts of tiles updated by torch (``use_torch_update``) and of tiles that did not run
    inside a DDP forward are left alone. Collective: every rank of the group must call it
    at the same step with the same model.

    Args:
        contexts: the :class:`~aihwkit.optim.context.AnalogContext` objects of the step,
            in the same order on every rank.
    """
    dist = torch.distributed
    if not dist.is_available() or not dist.is_initialized():
        return
    by_group: dict = {}
    for ctx in contexts:
        group = getattr(ctx, "ddp_process_group", None)
        if ctx.use_torch_update or group is None:
            continue
        by_group.setdefault(id(group), (group, []))[1].append(ctx)
    for group, members in by_group.values():
        _synchronize_group(group, members)


def _synchronize_group(group: Any, contexts: List[Any]) -> None:
    dist = torch.distributed
    rank, world = _group_info(group)
    if world == 1:
        return
    blocks = [_local_batch(ctx) for ctx in contexts]
    device = blocks[0].device
    sizes = torch.tensor([b.shape[0] for b in blocks], dtype=torch.int64, device=device)
    all_sizes = [torch.zeros_like(sizes) for _ in range(world)]
    dist.all_gather(all_sizes, sizes, group=group)
    table = torch.stack(all_sizes).cpu()  # [world, tiles]
    for index, (ctx, block) in enumerate(zip(contexts, blocks)):
        counts = table[:, index].tolist()
        longest = max(counts)
        if longest == 0:
            continue
        block = block.clone()
        block[:, ctx.analog_tile.in_size:] /= world
        padded = torch.zeros(longest, block.shape[1], dtype=block.dtype, device=block.device)
        padded[:block.shape[0]] = block
        gathered = [torch.empty_like(padded) for _ in range(world)]
        dist.all_gather(gathered, padded, group=group)
        _store(ctx, torch.cat([g[:n] for g, n in zip(gathered, counts)]))
    _broadcast_generators([ctx.analog_tile for ctx in contexts], group, rank)

