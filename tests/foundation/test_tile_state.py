"""deepcopy, pickle and state_dict restore tiles exactly; training continues identically."""

import copy
import io
import pickle

import pytest
import torch

from aihwkit.exceptions import CudaError
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import FloatingPointRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base import cuda
from aihwkit.simulator.tiles import FloatingPointTile


def _model(pulsed=False):
    if pulsed:   # compiled periphery and update: seeds from the tiles' seed streams
        config = SingleRPUConfig(device=ConstantStepDevice(dw_min=0.01, dw_min_std=0.3))
    else:
        config = FloatingPointRPUConfig()
        config.device.diffusion = 0.01  # uses the tile generator at every step
    return AnalogSequential(AnalogLinear(4, 3, rpu_config=config), torch.nn.ReLU(),
                            AnalogLinear(3, 2, rpu_config=config))


def _steps(model, n, seed=0):
    gen = torch.Generator().manual_seed(seed)
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    for _ in range(n):
        opt.zero_grad()
        model(torch.randn(5, 4, generator=gen)).pow(2).sum().backward()
        opt.step()
    return model


def _weights(model):
    return [w for layer in (model[0], model[2]) for w in layer.get_weights() if w is not None]


@pytest.mark.parametrize("pulsed", [False, True])
@pytest.mark.parametrize("how", ["deepcopy", "pickle", "state_dict", "torch_save"])
def test_restore_then_continue_identically(how, pulsed):
    model = _steps(_model(pulsed), 3)
    if how == "deepcopy":
        clone = copy.deepcopy(model)
    elif how == "pickle":
        clone = pickle.loads(pickle.dumps(model))
    elif how == "state_dict":
        clone = _model(pulsed)
        clone.load_state_dict(model.state_dict())
    else:
        buffer = io.BytesIO()
        torch.save(model.state_dict(), buffer)
        buffer.seek(0)
        clone = _model(pulsed)
        clone.load_state_dict(torch.load(buffer, weights_only=False))
    for a, b in zip(_weights(model), _weights(clone)):
        assert torch.equal(a, b)
    _steps(model, 4, seed=9)
    _steps(clone, 4, seed=9)
    for a, b in zip(_weights(model), _weights(clone)):
        assert torch.equal(a, b)


def test_state_dict_keys():
    layer = AnalogLinear(3, 2, bias=True, rpu_config=FloatingPointRPUConfig())
    keys = list(layer.state_dict().keys())
    assert keys == ["analog_module.analog_ctx", "analog_module.bias",
                    "analog_module.analog_tile_state"]
    state = layer.state_dict()["analog_module.analog_tile_state"]
    assert state["analog_tile_class"] == "FloatingPointTile"
    assert state["analog_tile_weights"].shape == (2, 3)


def test_missing_analog_state_is_reported():
    layer = AnalogLinear(3, 2, rpu_config=FloatingPointRPUConfig())
    state = layer.state_dict()
    del state["analog_module.analog_tile_state"]
    with pytest.raises(RuntimeError, match="analog_tile_state"):
        layer.load_state_dict(state)


def test_cuda_when_unavailable():
    assert isinstance(cuda.is_compiled(), bool)
    if cuda.is_compiled():
        pytest.skip("CUDA present: covered by the cuda-marked tests")
    tile = FloatingPointTile(10, 20)
    with pytest.raises(CudaError):
        tile.cuda()
    with pytest.raises(CudaError):
        AnalogLinear(2, 2, rpu_config=FloatingPointRPUConfig()).cuda()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_tile_class_and_results():
    from aihwkit.simulator.tiles import CudaFloatingPointTile
    cpu_tile = FloatingPointTile(10, 20)
    x = torch.randn(3, 20)
    expected = cpu_tile(x)
    gpu_tile = cpu_tile.cuda()
    assert isinstance(gpu_tile, CudaFloatingPointTile)
    torch.testing.assert_close(gpu_tile(x.cuda()).cpu(), expected)


def test_module_to_double():
    layer = AnalogLinear(3, 2, rpu_config=FloatingPointRPUConfig())
    layer.to(torch.float64)
    out = layer(torch.randn(4, 3, dtype=torch.float64))
    assert out.dtype == torch.float64


def test_seed_stream_takes_one_draw_and_travels_with_the_state():
    """The compiled kernels' seeds: one generator draw starts the stream, the next seeds
    take none; pickling continues the stream, a restart begins anew from the generator."""
    rng = TileRNG(torch.device("cpu"), seed=4)
    first = rng.stream_seed()
    after_first = rng.generator.get_state()
    seeds = [rng.stream_seed() for _ in range(5)]
    assert torch.equal(rng.generator.get_state(), after_first)
    assert len(set([first] + seeds)) == 6 and all(0 <= s < 2 ** 63 for s in seeds)
    clone = pickle.loads(pickle.dumps(rng))
    assert [clone.stream_seed() for _ in range(3)] == [rng.stream_seed() for _ in range(3)]
    again = TileRNG(torch.device("cpu"), seed=4)
    assert [again.stream_seed() for _ in range(6)] == [first] + seeds
    again.set_stream_state(None)
    restarted = again.stream_seed()
    assert restarted not in [first] + seeds
    assert not torch.equal(again.generator.get_state(), after_first)
