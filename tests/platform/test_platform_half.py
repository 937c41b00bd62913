"""Half precision: ``runtime.data_type = HALF`` tiles and analog layers under autocast."""

import copy

import pytest
import torch

from aihwkit.exceptions import TileError
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.nn.conversion import convert_to_analog
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (FloatingPointRPUConfig, InferenceRPUConfig,
                                       SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.parameters import IOParameters
from aihwkit.simulator.parameters.enums import RPUDataType

CONFIGS = {
    "floating_point": FloatingPointRPUConfig,
    "pulsed": SingleRPUConfig,
    "inference": InferenceRPUConfig,
    "inference_torch": TorchInferenceRPUConfig,
}


def _config(name: str, data_type: RPUDataType = RPUDataType.HALF, perfect: bool = False):
    config = CONFIGS[name]()
    config.runtime.data_type = data_type
    if perfect and hasattr(config, "forward"):
        config.forward = IOParameters(is_perfect=True)
    return config


def _model(config) -> AnalogSequential:
    return AnalogSequential(AnalogLinear(8, 16, bias=True, rpu_config=config),
                            torch.nn.Tanh(), AnalogLinear(16, 2, bias=True, rpu_config=config))


def _task(dtype: torch.dtype):
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(32, 8, generator=gen) * 2 - 1
    y = torch.stack([x[:, :4].sum(1), x[:, 4:].sum(1)], 1) * 0.3
    return x.to(dtype), y.to(dtype)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_half_training_learns(name):
    model = _model(_config(name))
    x, y = _task(torch.float16)
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    weights = model[0].get_weights()[0]
    assert weights.dtype == torch.float16 and bool(torch.isfinite(weights).all())
    assert model(x).dtype == torch.float16
    # the initial loss is ~0.1 (targets of std ~0.35); every config more than halves it
    assert losses[-1] < 0.5 * losses[0], losses


@pytest.mark.parametrize("name", ["floating_point", "inference", "inference_torch"])
def test_half_inference_matches_float32(name):
    half = _model(_config(name, perfect=True)).eval()
    single = copy.deepcopy(half).to(torch.float32)
    assert single[0].analog_module.get_dtype() == torch.float32
    x, _ = _task(torch.float32)
    with torch.no_grad():
        expected = single(x)
        got = half(x.half())
    assert got.dtype == torch.float16
    # fp16 rounding (unit roundoff 2^-11 = 4.9e-4) of weights, inputs, 16-term sums and
    # the output: a few 1e-3 at outputs of size ~0.3
    torch.testing.assert_close(got.float(), expected, rtol=1e-2, atol=5e-3)


def test_convert_half_model():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 2)).half()
    analog = convert_to_analog(net, _config("inference_torch", perfect=True)).eval()
    x, _ = _task(torch.float16)
    with torch.no_grad():
        torch.testing.assert_close(analog(x), net(x), rtol=1e-2, atol=5e-3)


def test_tile_to_half_sets_data_type():
    layer = AnalogLinear(4, 3, rpu_config=InferenceRPUConfig())
    layer.to(torch.float16)
    tile = layer.analog_module
    assert tile.rpu_config.runtime.data_type == RPUDataType.HALF
    assert layer(torch.randn(2, 4, dtype=torch.float16)).dtype == torch.float16


def test_dtype_mismatch_outside_autocast_raises():
    layer = AnalogLinear(4, 3, rpu_config=InferenceRPUConfig())
    with pytest.raises(TileError, match="dtype torch.bfloat16"):
        layer(torch.randn(2, 4, dtype=torch.bfloat16))


def _mixed(config) -> torch.nn.Sequential:
    torch.manual_seed(5)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                               AnalogLinear(16, 2, bias=True, rpu_config=config))


@pytest.mark.parametrize("name", ["inference", "inference_torch", "pulsed"])
def test_autocast_bfloat16_training_step(name):
    config = _config(name, RPUDataType.FLOAT, perfect=True)
    plain = _mixed(config)
    cast = copy.deepcopy(plain)
    x, y = _task(torch.float32)
    results = []
    for model, autocast in ((plain, False), (cast, True)):
        opt = AnalogSGD(model.parameters(), lr=0.1)
        opt.regroup_param_groups(model)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = model(x)
            # the digital layer runs in bfloat16, the analog tile in its float32
            assert out.dtype == torch.float32
            loss = torch.nn.functional.mse_loss(out, y)
        loss.backward()
        opt.step()
        results.append((float(loss.detach()), model[0].weight.detach().clone()))
    # bfloat16 unit roundoff 2^-9 = 2e-3 in the first layer: the losses agree to ~1e-2
    assert results[1][0] == pytest.approx(results[0][0], rel=3e-2)
    assert not torch.equal(results[1][1], _mixed(config)[0].weight)
    torch.testing.assert_close(results[1][1], results[0][1], rtol=3e-2, atol=3e-3)
