"""Data movement of the analog convolutions, counted with the torch profiler: a batched
forward moves the patches once (no im2col plus transposed copy, no per-tile copies of
the input splits) and returns its output as a view; the backward copies the output
gradient once for all tiles and the patch gradient once (inside col2im)."""

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from aihwkit.nn import AnalogConv2d, AnalogConv2dMapped
from aihwkit.simulator.configs import FloatingPointRPUConfig, InferenceRPUConfig

N, C_IN, C_OUT, SIZE = 4, 16, 8, 8          # 3x3 kernel, padding 1: L = 64 positions
L = SIZE * SIZE
PATCHES = N * L * C_IN * 9                  # 36864 patch elements
OUTPUT = N * L * C_OUT
PADDED = N * C_IN * (SIZE + 2) ** 2


def _config(name):
    config = {"floating_point": FloatingPointRPUConfig, "inference": InferenceRPUConfig}[name]()
    config.mapping.max_input_size = 72      # 144 patch columns -> two tiles of 8 channels
    return config


def _copied(prof, names=("aten::copy_",)):
    """Elements written by the named ops (their first argument is the destination)."""
    total = 0
    for event in prof.events():
        if event.name in names and event.input_shapes and event.input_shapes[0]:
            total += torch.Size(event.input_shapes[0]).numel()
    return total


def _count(prof, name):
    return sum(1 for event in prof.events() if event.name == name)


@pytest.mark.parametrize("layer_class", [AnalogConv2d, AnalogConv2dMapped])
@pytest.mark.parametrize("family", ["floating_point", "inference"])
def test_batched_forward_moves_the_patches_once(layer_class, family):
    torch.manual_seed(0)
    layer = layer_class(C_IN, C_OUT, 3, padding=1, rpu_config=_config(family)).eval()
    assert sum(1 for _ in layer.analog_tiles()) == 2
    x = torch.randn(N, C_IN, SIZE, SIZE)
    with torch.no_grad():
        layer(x)
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            layer(x)
    assert _count(prof, "aten::im2col") == 0
    # padding (input copy) + one gather of every patch; the output is a transposed view
    # of the tile rows. The plain unfold path also copies each tile's split.
    assert _copied(prof) <= PADDED + PATCHES


def test_training_step_copies_the_patch_gradient_once():
    torch.manual_seed(0)
    layer = AnalogConv2d(C_IN, C_OUT, 3, padding=1, rpu_config=_config("floating_point"))
    x = torch.randn(N, C_IN, SIZE, SIZE, requires_grad=True)
    grad = torch.randn(N, C_OUT, SIZE, SIZE)
    layer(x).backward(grad)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        layer(x).backward(grad)
    # forward as above; backward: one contiguous copy of the output gradient rows shared
    # by both tiles (not one per tile) and the transposed copy col2im makes of the
    # patch gradient
    assert _count(prof, "aten::im2col") == 0
    output_copies = [event for event in prof.events() if event.name == "aten::copy_"
                     and torch.Size(event.input_shapes[0]).numel() == OUTPUT]
    assert len(output_copies) == 1
    assert _copied(prof) <= PADDED + PATCHES + OUTPUT + PATCHES
