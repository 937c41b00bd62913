"""The gathered patch path of the analog convolutions gives the same bits as the plain
``F.unfold`` path (patches as the transposed im2col view handed to the tiles, outputs
transposed back), for outputs, input gradients, bias gradients and analog updates, and
agrees with torch's convolution for ideal tiles."""

import copy

import pytest
import torch
import torch.nn.functional as F

from aihwkit.nn import (AnalogConv1d, AnalogConv1dMapped, AnalogConv2d, AnalogConv2dMapped,
                        AnalogConv3d)
from aihwkit.nn.modules.conv import patch_rows
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, QuantizedTorchInferenceRPUConfig,
    SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.tiles.array import grid_forward


def _perfect():
    config = SingleRPUConfig()
    config.forward.is_perfect = True
    config.backward.is_perfect = True
    return config


FAMILIES = {
    "floating_point": FloatingPointRPUConfig,
    "perfect_single": _perfect,
    "single": SingleRPUConfig,             # noisy pulsed forward, backward and update
    "inference": InferenceRPUConfig,       # forward output noise, fixed seed below
    "torch_inference": TorchInferenceRPUConfig,
    "quantized": QuantizedTorchInferenceRPUConfig,  # its own array kind when split
}


def _family(name, split):
    config = FAMILIES[name]()
    if split:  # several tiles per layer, input splits that cut channels (27 -> 14 + 13)
        config.mapping.max_input_size = 20
        config.mapping.max_output_size = 3
    return config


# (layer, in, out, kernel, stride, padding, dilation, groups, spatial)
GEOMETRIES = [
    (AnalogConv2d, 3, 4, 3, 1, 1, 1, 1, (7, 6)),
    (AnalogConv2d, 4, 6, (2, 3), (2, 1), (1, 2), (1, 2), 2, (8, 9)),
    (AnalogConv1d, 3, 4, 3, 2, 1, 1, 1, (11,)),
    (AnalogConv2dMapped, 3, 4, 3, 1, 1, 1, 1, (7, 6)),
    (AnalogConv1dMapped, 4, 6, 2, 1, 2, 3, 2, (12,)),
]


def _unfold_reference(layer, x):
    """The plain path: transposed im2col view -> tiles -> transposed output."""
    dims = x.dim() - 2
    padding = tuple(layer.padding)
    if dims == 1:
        cols = F.unfold(x.unsqueeze(2), (1, layer.kernel_size[0]),
                        dilation=(1, layer.dilation[0]), padding=(0, padding[0]),
                        stride=(1, layer.stride[0]))
    else:
        cols = F.unfold(x, layer.kernel_size, dilation=layer.dilation, padding=padding,
                        stride=layer.stride)
    cols = cols.transpose(1, 2)
    if hasattr(layer, "analog_module"):
        rows = layer.analog_module(cols)
    elif hasattr(layer, "analog_groups"):
        parts = cols.split(layer.in_features, dim=-1)
        rows = torch.cat([tile(p) for p, tile in zip(parts, layer.analog_groups)], dim=-1)
    else:
        parts = cols.split(layer._widths * layer.groups, dim=-1)
        splits = len(layer.in_sizes)
        rows = torch.cat([grid_forward(grid, parts[g * splits:(g + 1) * splits])
                          for g, grid in enumerate(layer._grids())], dim=-1)
        if layer.bias is not None:
            rows = rows + layer.bias
    out_spatial = [F.conv1d, F.conv2d][dims - 1](
        torch.zeros(1, 1, *x.shape[2:]), torch.zeros(1, 1, *layer.kernel_size),
        stride=layer.stride, padding=padding, dilation=layer.dilation).shape[2:]
    return rows.transpose(1, 2).reshape(x.shape[0], layer.out_channels, *out_spatial)


def _step(layer, x, grad, forward):
    layer.train()
    optimizer = AnalogSGD(layer.parameters(), lr=0.1)
    optimizer.regroup_param_groups(layer)
    x = x.clone().requires_grad_(True)
    y = forward(layer, x)
    y.backward(grad)
    optimizer.step()
    weight, bias = layer.get_weights()
    layer.eval()
    with torch.no_grad():
        y_eval = forward(layer, x)
    return y.detach(), x.grad, weight, bias, y_eval


@pytest.mark.parametrize("split", [False, True], ids=["one_tile", "split"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("geometry", range(len(GEOMETRIES)))
@pytest.mark.parametrize("batch", [3, 1])
def test_gathered_path_is_bit_identical_to_unfold_path(geometry, family, split, batch):
    cls, c_in, c_out, kernel, stride, padding, dilation, groups, spatial = \
        GEOMETRIES[geometry]
    torch.manual_seed(123 + geometry)
    layer = cls(c_in, c_out, kernel, stride, padding, dilation, groups, True,
                rpu_config=_family(family, split))
    twin = copy.deepcopy(layer)  # same weights and the same tile random streams
    x = torch.randn(batch, c_in, *spatial)
    grad = torch.randn_like(layer(x).detach()) if family == "floating_point" else None
    if grad is None:
        with torch.no_grad():
            grad = torch.randn_like(copy.deepcopy(layer).eval()(x))
    new = _step(layer, x, grad, lambda mod, inp: mod(inp))
    old = _step(twin, x, grad, _unfold_reference)
    for name, a, b in zip(("y", "grad_x", "weight", "bias", "y_eval"), new, old):
        assert a.shape == b.shape and torch.equal(a, b), name


@pytest.mark.parametrize("family", ["floating_point", "perfect_single"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_ideal_tiles_match_torch_convolution(family, dims):
    torch.manual_seed(5)
    cls = {1: AnalogConv1d, 2: AnalogConv2d, 3: AnalogConv3d}[dims]
    conv = [F.conv1d, F.conv2d, F.conv3d][dims - 1]
    layer = cls(5, 4, 3, stride=2, padding=1, dilation=1, rpu_config=_family(family, True))
    x = torch.randn(2, 5, *(7,) * dims, requires_grad=True)
    weight, bias = layer.get_weights()
    kernel = weight.reshape(4, 5, *(3,) * dims)
    y = layer(x)
    x_ref = x.detach().clone().requires_grad_(True)
    y_ref = conv(x_ref, kernel, bias, stride=2, padding=1)
    # float32 sums of 45..135 products of O(1) terms: 1e-5 absolute is ~100 ulp
    torch.testing.assert_close(y, y_ref, atol=1e-5, rtol=1e-5)
    grad = torch.randn_like(y)
    y.backward(grad)
    y_ref.backward(grad)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("widths", [[36], [18, 18], [14, 13, 9]])
def test_patch_blocks_are_the_unfold_columns(dims, widths):
    torch.manual_seed(2)
    kernel = {1: (9,), 2: (3, 3), 3: (3, 3, 1)}[dims]
    geometry = (kernel, (2,) * dims, (1,) * dims, (1,) * dims)
    x = torch.randn(2, 4, *((10,) if dims == 1 else (6,) * dims), requires_grad=True)
    blocks = patch_rows(x, *geometry, widths)
    padded = F.pad(x, [1] * 2 * dims)
    windows = padded
    for dim, k in enumerate(kernel):
        windows = windows.unfold(2 + dim, k, 2)
    order = (0, *range(2, 2 + dims), 1, *range(2 + dims, 2 + 2 * dims))
    full = windows.permute(order).reshape(-1, 36)
    assert torch.equal(torch.cat(blocks, dim=1), full)
    assert [b.shape[1] for b in blocks] == widths
    grads = [torch.randn_like(b) for b in blocks]
    (gx,) = torch.autograd.grad(blocks, x, grads)
    (gx_ref,) = torch.autograd.grad(full, x, torch.cat(grads, dim=1))
    torch.testing.assert_close(gx, gx_ref, atol=1e-5, rtol=0)
