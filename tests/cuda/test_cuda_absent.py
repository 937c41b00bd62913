"""Without a GPU: requesting CUDA raises CudaError with a clear message, and
``rpu_base.cuda.is_compiled()`` tells the truth."""

import pytest
import torch

from aihwkit.exceptions import CudaError
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.configs import InferenceRPUConfig, TorchInferenceRPUConfig
from aihwkit.simulator.rpu_base import cuda
from aihwkit.simulator.tiles import AnalogTile, FloatingPointTile, InferenceTile

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
MESSAGE = "CUDA is not available"


def test_is_compiled_tells_the_truth():
    assert cuda.is_compiled() is torch.cuda.is_available()


@no_gpu
@pytest.mark.parametrize("make", [lambda: AnalogTile(3, 4), lambda: FloatingPointTile(3, 4),
                                  lambda: InferenceTile(3, 4)])
def test_tile_cuda_raises(make):
    tile = make()
    weights = tile.get_weights()[0].clone()
    for move in (lambda: tile.cuda(), lambda: tile.to("cuda"),
                 lambda: tile.to(torch.device("cuda", 0))):
        with pytest.raises(CudaError, match=MESSAGE):
            move()
    # nothing changed: the tile still works on the CPU
    assert tile.device.type == "cpu" and not tile.is_cuda
    assert torch.equal(tile.get_weights()[0], weights)
    assert tile(torch.randn(2, 4)).shape == (2, 3)


@no_gpu
@pytest.mark.parametrize("config", [None, InferenceRPUConfig(), TorchInferenceRPUConfig()])
def test_layer_and_model_cuda_raise(config):
    kwargs = {} if config is None else {"rpu_config": config}
    model = AnalogSequential(AnalogLinear(4, 3, **kwargs), torch.nn.ReLU())
    for move in (lambda: model.cuda(), lambda: model.to("cuda"),
                 lambda: model.to(device="cuda"), lambda: model[0].cuda()):
        with pytest.raises(CudaError, match=MESSAGE):
            move()
    assert all(tile.device.type == "cpu" for tile in model.analog_tiles())
    assert model(torch.randn(2, 4)).shape == (2, 3)
