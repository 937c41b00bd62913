"""``AnalogFunction``: plugs a tile into autograd."""

from typing import Any, Optional, Tuple

import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable


class AnalogFunction(Function):
    """Forward through the tile; backward stores the update traces (pulsed tiles) or
    returns the weight gradient of the shared weights (tiles updated by torch)."""

    # pylint: disable=arguments-differ,abstract-method

    @staticmethod
    def forward(ctx: Any, analog_ctx: Any, analog_tile: Any, input_: torch.Tensor,
                shared_weights: Optional[torch.Tensor] = None,
                is_test: bool = False) -> torch.Tensor:
        analog_ctx.use_torch_update = shared_weights is not None
        output, mask = analog_tile.joint_forward(input_, is_test)
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
        grad_output = grad_output.contiguous()
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
            input_ = input_.detach()
            analog_ctx.analog_input.append(input_.cpu() if offload.offload_input else input_)
            analog_ctx.analog_grad_output.append(
                grad_output.cpu() if offload.offload_gradient else grad_output)
        if not ctx.needs_input_grad[2]:
            grad_input = None
        return None, None, grad_input, grad_shared, None
