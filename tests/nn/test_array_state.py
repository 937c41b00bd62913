"""Tile arrays: state_dict, pickle and deepcopy restore a mapped layer exactly (random
streams included), device/dtype moves, and the quantized tile array."""

import io
import pickle
from copy import deepcopy

import pytest
import torch

from aihwkit.exceptions import ConfigError, CudaError
from aihwkit.nn import AnalogLinear, AnalogLinearMapped
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, QuantizedTorchInferenceRPUConfig,
    SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.parameters.quantization import ActivationQuantConfig
from aihwkit.simulator.tiles import QuantizedTileModuleArray, TileModuleArray


def _mapping(max_in: int = 3, max_out: int = 2) -> MappingParameter:
    return MappingParameter(max_input_size=max_in, max_output_size=max_out)


def _trained_layer(config) -> AnalogLinearMapped:
    """A 7 -> 5 layer on 3 x 3 tiles after two AnalogSGD steps (noisy forward)."""
    layer = AnalogLinearMapped(7, 5, rpu_config=config)
    optimizer = AnalogSGD(layer.parameters(), lr=0.1)
    optimizer.regroup_param_groups(layer)
    for _ in range(2):
        optimizer.zero_grad()
        (layer(torch.randn(4, 7)) ** 2).sum().backward()
        optimizer.step()
    return layer


CONFIGS = {
    "single": lambda: SingleRPUConfig(mapping=_mapping()),
    "inference": lambda: InferenceRPUConfig(mapping=_mapping()),
    "torch_inference": lambda: TorchInferenceRPUConfig(mapping=_mapping()),
}


def _same_outputs(original, restored) -> None:
    """Both layers produce identical outputs in train and eval mode, including the
    forward noise (each restored tile continues its own random stream)."""
    x = torch.randn(6, 7)
    for training in (True, False):
        original.train(training)
        restored.train(training)
        with torch.no_grad():
            assert torch.equal(original(x), restored(x))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_state_dict_round_trip(name):
    layer = _trained_layer(CONFIGS[name]())
    state = layer.state_dict()
    for i in range(3):
        for j in range(3):
            assert f"analog_module.array.{i}.{j}.analog_tile_state" in state
    assert torch.equal(state["analog_module.bias"], layer.analog_module.bias.detach())
    torch.manual_seed(99)
    fresh = AnalogLinearMapped(7, 5, rpu_config=CONFIGS[name]())
    assert not torch.equal(fresh.get_weights()[0], layer.get_weights()[0])
    fresh.load_state_dict(state)
    for (w_a, b_a), (w_b, b_b) in ((layer.get_weights(), fresh.get_weights()),):
        assert torch.equal(w_a, w_b) and torch.equal(b_a, b_b)
    _same_outputs(layer, fresh)


def test_state_dict_with_missing_tile_state_is_reported():
    layer = AnalogLinearMapped(7, 5, rpu_config=FloatingPointRPUConfig(mapping=_mapping()))
    state = layer.state_dict()
    del state["analog_module.array.2.1.analog_tile_state"]
    with pytest.raises(RuntimeError, match="array.2.1.analog_tile_state"):
        AnalogLinearMapped(7, 5, rpu_config=FloatingPointRPUConfig(
            mapping=_mapping())).load_state_dict(state)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_pickle_and_deepcopy_restore_exactly(name):
    layer = _trained_layer(CONFIGS[name]())
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    copied = deepcopy(layer)
    pickled = pickle.loads(pickle.dumps(layer))
    for restored in (loaded, copied, pickled):
        assert type(restored.analog_module) is TileModuleArray
        assert restored.analog_tile_count() == 9
        # every restored tile has its own context, linked to itself
        for tile in restored.analog_tiles():
            assert tile.analog_ctx.analog_tile is tile
    clone = deepcopy(layer)
    for restored in (loaded, copied, pickled):
        _same_outputs(deepcopy(clone), restored)


def test_deepcopy_is_independent():
    layer = AnalogLinearMapped(7, 5, rpu_config=SingleRPUConfig(mapping=_mapping()))
    copied = deepcopy(layer)
    before = layer.get_weights()[0]
    optimizer = AnalogSGD(copied.parameters(), lr=0.5)
    optimizer.regroup_param_groups(copied)
    (copied(torch.randn(4, 7)) ** 2).sum().backward()
    optimizer.step()
    assert torch.equal(layer.get_weights()[0], before)
    assert not torch.equal(copied.get_weights()[0], before)


def test_dtype_move_reaches_every_tile_and_the_bias():
    config = FloatingPointRPUConfig(mapping=_mapping())
    layer = AnalogLinearMapped(7, 5, rpu_config=config)
    weight, bias = layer.get_weights()
    layer = layer.to(torch.float64)
    array = layer.analog_module
    assert array.get_dtype() == torch.float64
    assert array.bias.dtype == torch.float64
    assert all(tile.get_dtype() == torch.float64 for tile in array.analog_tiles())
    x = torch.randn(3, 7, dtype=torch.float64)
    out = layer(x)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, x @ weight.double().t() + bias.double(),
                               rtol=0, atol=1e-6)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only error")
def test_cuda_without_cuda_raises_and_keeps_the_layer_usable():
    layer = AnalogLinearMapped(7, 5, rpu_config=FloatingPointRPUConfig(mapping=_mapping()))
    with pytest.raises(CudaError):
        layer.cuda()
    assert layer.analog_module.device == torch.device("cpu")
    assert layer(torch.randn(2, 7)).shape == (2, 5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_move_and_back():
    layer = _trained_layer(SingleRPUConfig(mapping=_mapping()))
    reference = deepcopy(layer)
    moved = deepcopy(layer).cuda()
    array = moved.analog_module
    assert array.is_cuda and array.bias.is_cuda
    assert all(tile.is_cuda for tile in array.analog_tiles())
    weight, bias = reference.get_weights()
    moved.eval()
    x = torch.randn(4, 7)
    with torch.no_grad():
        out = moved(x.cuda())
    assert out.is_cuda and out.shape == (4, 5)
    torch.testing.assert_close(moved.get_weights()[0], weight)
    optimizer = AnalogSGD(moved.parameters(), lr=0.1)
    optimizer.regroup_param_groups(moved)
    moved.train()
    (moved(x.cuda()) ** 2).sum().backward()
    optimizer.step()
    moved_back = moved.cpu()
    assert moved_back.analog_module.device == torch.device("cpu")
    assert not torch.equal(moved_back.get_weights()[0], weight)
    assert torch.equal(moved_back.get_weights()[1], bias)


def _quant_config(act_bits: int, periph_bits: int) -> QuantizedTorchInferenceRPUConfig:
    config = QuantizedTorchInferenceRPUConfig(mapping=_mapping())
    config.forward.is_perfect = True
    config.pre_post.periph_quant.n_bits = periph_bits
    config.act_quant_config = ActivationQuantConfig(n_bits=act_bits) if act_bits else None
    return config


def test_quantized_array_quantizes_the_accumulated_output():
    layer = AnalogLinear(7, 5, rpu_config=_quant_config(3, 0))
    array = layer.analog_module
    assert type(array) is QuantizedTileModuleArray
    assert array.rpu_config.act_quant_config.n_bits == 3
    for tile in array.analog_tiles():  # the tiles' partial outputs are not quantized
        assert tile.rpu_config.act_quant_config is None and tile.act_quantizer is None
    out = layer(torch.randn(32, 7)).detach()
    # one grid of 2^3 levels for the whole (summed) output
    assert len(torch.unique(out)) <= 8
    # without quantization the array computes exactly what a plain array computes
    plain = AnalogLinear(7, 5, rpu_config=_quant_config(0, 0))
    ref_config = TorchInferenceRPUConfig(mapping=_mapping())
    ref_config.forward.is_perfect = True
    reference = AnalogLinear(7, 5, rpu_config=ref_config)
    assert type(reference.analog_module) is TileModuleArray
    reference.set_weights(*plain.get_weights())
    x = torch.randn(4, 7)
    torch.testing.assert_close(plain(x), reference(x), rtol=0, atol=1e-6)


def test_quantized_array_quantizes_its_bias():
    layer = AnalogLinear(7, 5, rpu_config=_quant_config(0, 2))
    array = layer.analog_module
    assert array.bias_quantizer is not None and array.act_quantizer is None
    weight = torch.zeros(5, 7)
    bias = torch.tensor([-1.0, -0.4, 0.1, 0.6, 1.0])
    layer.set_weights(weight, bias)
    out = layer(torch.randn(3, 7)).detach()
    # symmetric 2-bit grid over max|b| = 1: levels k * 1.0 with k in {-2, -1, 0, 1}
    expected = torch.tensor([-1.0, 0.0, 0.0, 1.0, 1.0])
    torch.testing.assert_close(out, expected.expand(3, 5), rtol=0, atol=1e-6)
    # get_weights reports the unquantized bias
    assert torch.equal(layer.get_weights()[1], bias)
    # the quantization settings are re-read: switching it off adds the exact bias
    array.rpu_config.pre_post.periph_quant.n_bits = 0
    out = layer(torch.randn(3, 7)).detach()
    torch.testing.assert_close(out, bias.expand(3, 5), rtol=0, atol=1e-6)
    assert array.bias_quantizer is None


def test_quantized_array_rejects_bad_settings():
    config = _quant_config(0, 0)
    config.act_quant_config = 4
    with pytest.raises(ConfigError, match="act_quant_config"):
        AnalogLinear(7, 5, rpu_config=config)
    config = _quant_config(0, 0)
    config.act_quant_config = ActivationQuantConfig(n_bits=-1)
    with pytest.raises(ConfigError, match="n_bits"):
        AnalogLinear(7, 5, rpu_config=config)
