"""``AnalogFunction``: plugs a tile into autograd."""

from typing import Any, Optional, Tuple
import weakref

import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable
from torch.nn.parallel import DistributedDataParallel

from aihwkit.simulator.rpu_base.kernels.threads import SmallWork, _is_compiling


_DDP_ADOPTED: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _active_ddp_group(analog_tile: Any, pulsed: bool) -> Any:
    """Process group of the ``DistributedDataParallel`` forward now running, else ``None``.

    The analog optimizers gather the update traces of pulsed tiles across its ranks. DDP
    broadcasts rank 0's parameters; a pulsed tile's weights are no parameter, so at its
    first DDP forward every rank adopts rank 0's analog state here (a collective: DDP
    ranks run the same forward).
    """
    active = getattr(DistributedDataParallel, "_active_ddp_module", None)
    if active is None:
        return None
    group = active.process_group
    if pulsed and analog_tile not in _DDP_ADOPTED:
        dist = torch.distributed
        rank = dist.get_rank(group)
        payload = [analog_tile.get_analog_state() if rank == 0 else None]
        dist.broadcast_object_list(payload, src=dist.get_global_rank(group, 0), group=group)
        if rank != 0:
            analog_tile.set_analog_state(payload[0])
        _DDP_ADOPTED.add(analog_tile)
    return group


def analog_forward(analog_ctx: Any, analog_tile: Any, input_: torch.Tensor,
                   shared_weights: Optional[torch.Tensor] = None,
                   is_test: bool = False) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """The tile's forward without autograd: ``(output, saturation mask)``.

    :class:`AnalogFunction` runs it inside autograd; a forward with gradients disabled
    calls it directly (the same values, without the cost of the autograd function).
    Small products run on one intra-op thread (:class:`SmallWork`).
    """
    analog_ctx.use_torch_update = shared_weights is not None
    analog_ctx.ddp_process_group = None if getattr(
        DistributedDataParallel, "_active_ddp_module", None) is None \
        else _active_ddp_group(analog_tile, shared_weights is None)
    with SmallWork(input_.numel() * analog_tile.out_size):
        device_type = input_.device.type
        if _is_compiling() or torch.is_autocast_enabled(device_type):
            # the engine simulates in the tile's dtype: no autocast inside (inputs were cast)
            with torch.autocast(device_type, enabled=False):
                return analog_tile.joint_forward(input_, is_test)
        return analog_tile.joint_forward(input_, is_test)


class AnalogFunction(Function):
    """Forward through the tile; backward stores the update traces (pulsed tiles) or
    returns the weight gradient of the shared weights (tiles updated by torch)."""

    # pylint: disable=arguments-differ,abstract-method

    @staticmethod
    def forward(ctx: Any, analog_ctx: Any, analog_tile: Any, input_: torch.Tensor,
                shared_weights: Optional[torch.Tensor] = None,
                is_test: bool = False) -> torch.Tensor:
        output, mask = analog_forward(analog_ctx, analog_tile, input_, shared_weights,
                                      is_test)
        ctx.analog_ctx = analog_ctx
        ctx.analog_tile = analog_tile
        ctx.has_shared = shared_weights is not None
        ctx.output_mask = mask
        ctx.save_for_backward(input_)
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> Tuple[Any, ...]:
        (input_,) = ctx.saved_tensors
        tile = ctx.analog_tile
        with SmallWork(input_.numel() * tile.out_size):
            if not grad_output.is_contiguous():
                grad_output = grad_output.contiguous()
            return _backward(ctx, tile, input_, grad_output)


def _backward(ctx: Any, tile: Any, input_: torch.Tensor,
              grad_output: torch.Tensor) -> Tuple[Any, ...]:
    """Gradients of :meth:`AnalogFunction.backward` (``grad_output`` contiguous)."""
    grad_input = None
    learns_range = tile.input_range is not None and tile.input_range.requires_grad
    if ctx.needs_input_grad[2] or learns_range:
        grad_input = tile.backward(grad_output, ctx.output_mask)
        if learns_range:
            tile.input_range_backward(input_, grad_input, ctx.output_mask)
    grad_shared = None
    if ctx.has_shared:
        grad_shared = tile.weight_gradient(input_, grad_output)
    else:
        analog_ctx = ctx.analog_ctx
        offload = tile.rpu_config.runtime
        if input_.requires_grad:
            input_ = input_.detach()
        # the forward tested input_ for finiteness (the tile's forward does before it
        # calls this function) and autograd guarantees it unchanged since (saved
        # tensors are version checked when unpacked)
        analog_ctx.add_trace(input_.cpu() if offload.offload_input else input_,
                             grad_output.cpu() if offload.offload_gradient else grad_output,
                             x_finite=True)
    if not ctx.needs_input_grad[2]:
        grad_input = None
    return None, None, grad_input, grad_shared, None
