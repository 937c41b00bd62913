"""Bytes that a hardware-aware training forward keeps for autograd stay bounded.

A digital ``nn.Linear`` keeps its input and its weight. The analog layers may add only
small per-sample scales and a 1-byte clipping mask per output; the counts below are
the unique storages seen by ``torch.autograd.graph.saved_tensors_hooks``, without the
parameters and the layer input (shared with a digital layer's cost).
"""

import pytest
import torch

from aihwkit.nn import AnalogLinear
from aihwkit.simulator.configs import (
    InferenceRPUConfig, TorchInferenceRPUConfig, WeightModifierType)

BATCH, IN, OUT = 32, 64, 48


def _graph_saved(out):
    """Tensors saved by the nodes of the graph that produced ``out``."""
    found, seen, stack = [], set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        for name in dir(node):
            if name.startswith("_saved_"):
                value = getattr(node, name, None)
                if isinstance(value, torch.Tensor):
                    found.append(value)
        found.extend(t for t in getattr(node, "saved_tensors", ()) if t is not None)
        stack.extend(parent for parent, _ in node.next_functions)
    return found


def _extra_saved_bytes(layer, x):
    """Bytes of tensors that ``layer(x)`` keeps for backward beyond parameters and ``x``,
    counting each storage once; cross-checked against ``saved_tensors_hooks``."""
    skip = {p.untyped_storage().data_ptr() for p in layer.parameters()}
    skip.add(x.untyped_storage().data_ptr())
    hooked = set()

    def pack(tensor):
        hooked.add(tensor.untyped_storage().data_ptr())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out = layer(x)
    alive = {}
    for tensor in _graph_saved(out):
        storage = tensor.untyped_storage()
        assert tensor.numel() <= 1 or storage.data_ptr() in hooked  # scalars are not hooked
        if storage.data_ptr() not in skip:
            alive[storage.data_ptr()] = storage.nbytes()
    out.sum().backward()  # the saved graph is usable
    return sum(alive.values())


def _layer(config):
    torch.manual_seed(0)
    layer = AnalogLinear(IN, OUT, bias=True, rpu_config=config)
    layer.train()
    return layer


# allowance: a bool clipping mask per output (1 byte) and a few float32 per sample
LIMIT = BATCH * OUT * 1 + BATCH * 4 * 4


@pytest.mark.parametrize("tiled", [False, True])
def test_torch_config_saves_mask_and_scales_only(tiled):
    config = TorchInferenceRPUConfig()
    if tiled:
        config.mapping.max_input_size = 32
        config.mapping.max_output_size = 16
    x = torch.randn(BATCH, IN, requires_grad=True)
    extra = _extra_saved_bytes(_layer(config), x)
    tiles = 6 if tiled else 1  # every tile keeps its own scales (masks add up to OUT)
    assert extra <= LIMIT * (2 if tiled else 1) + tiles * BATCH * 4 * 4
    # before the lean periphery this was >= 8 bytes per input and 4 per output
    assert extra < BATCH * (8 * IN + 4 * OUT) / 4


@pytest.mark.parametrize("saturating", [False, True])
def test_torch_config_without_noise_management_saves_little(saturating):
    config = TorchInferenceRPUConfig()
    config.forward.noise_management = config.forward.noise_management.NONE
    config.forward.bound_management = config.forward.bound_management.NONE
    if saturating:
        config.forward.out_bound = 0.2
    x = torch.randn(BATCH, IN, requires_grad=True)
    extra = _extra_saved_bytes(_layer(config), x)
    assert extra <= LIMIT
    if saturating:  # the clipping mask is kept, as bools
        assert extra >= BATCH * OUT


def test_modifier_keeps_one_modified_weight_copy():
    config = TorchInferenceRPUConfig()
    config.modifier.type = WeightModifierType.ADD_NORMAL
    config.modifier.std_dev = 0.05
    x = torch.randn(BATCH, IN, requires_grad=True)
    # the modified weights are needed for the input gradient: exactly one copy
    assert _extra_saved_bytes(_layer(config), x) <= LIMIT + OUT * IN * 4


def test_inference_config_saves_the_input_only():
    x = torch.randn(BATCH, IN, requires_grad=True)
    assert _extra_saved_bytes(_layer(InferenceRPUConfig()), x) <= BATCH * 4 * 4
