"""CUDA contract suite: every catalogue configuration on the GPU.

Forward, backward and update run on the device; results agree statistically with the
CPU tile; runs are bit-for-bit reproducible on one device; state round trips and moving
a trained model between devices keep the weights exactly.
"""

import copy
import io
import pickle

import pytest
import torch

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD

from cuda_catalogue import (CONFIGS, PULSED, SUITE_MARKS, assert_same_distribution,
                            target_device)

pytestmark = SUITE_MARKS
NAMES = sorted(CONFIGS)


def _layer(name: str, seed: int = 0) -> AnalogLinear:
    torch.manual_seed(seed)
    return AnalogLinear(6, 4, bias=True, rpu_config=CONFIGS[name]())


def _batches(steps: int, device: torch.device, seed: int = 1) -> list:
    gen = torch.Generator().manual_seed(seed)
    return [((torch.rand(5, 6, generator=gen) - 0.5).to(device),
             (torch.rand(5, 4, generator=gen) - 0.5).to(device)) for _ in range(steps)]


def _train(layer: AnalogLinear, data: list) -> None:
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    opt.regroup_param_groups(layer)
    for x, y in data:
        opt.zero_grad()
        ((layer(x) - y) ** 2).sum().backward()
        opt.step()


def _weights(layer: AnalogLinear) -> list:
    weight, bias = layer.get_weights()
    hidden = [v for tile in layer.analog_tiles() for v in tile.get_hidden_parameters().values()]
    return [t.cpu() for t in [weight] + ([] if bias is None else [bias]) + hidden]


def _assert_same(first: list, second: list) -> None:
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_move_train_and_class(name):
    device = target_device()
    layer = _layer(name).to(device)
    for tile in layer.analog_tiles():
        assert tile.device.type == device.type
        expected = type(tile).cuda_class if device.type == "cuda" else type(tile).cpu_class
        if expected is not None:
            assert type(tile) is expected
    before = _weights(layer)
    x, _ = _batches(1, device)[0]
    out = layer(x)
    assert out.device.type == device.type and bool(torch.isfinite(out).all())
    _train(layer, _batches(3, device))
    after = _weights(layer)
    assert all(bool(torch.isfinite(t).all()) for t in after)
    # transfer compounds may show the change in their hidden devices only
    assert any(not torch.equal(a, b) for a, b in zip(after, before))


@pytest.mark.parametrize("name", NAMES)
def test_reproducible_on_one_device(name):
    device = target_device()
    runs = []
    for _ in range(2):
        layer = _layer(name, seed=3).to(device)
        _train(layer, _batches(3, device))
        runs.append(_weights(layer))
    _assert_same(runs[0], runs[1])


@pytest.mark.parametrize("name", NAMES)
def test_state_round_trips_on_device(name):
    device = target_device()
    layer = _layer(name).to(device)
    _train(layer, _batches(2, device))
    buffer = io.BytesIO()
    torch.save(layer.state_dict(), buffer)
    buffer.seek(0)
    on_cpu = _layer(name, seed=9)
    on_cpu.load_state_dict(torch.load(buffer, map_location="cpu"))
    torch.testing.assert_close(on_cpu.get_weights()[0], layer.get_weights()[0].cpu(),
                               rtol=0, atol=0)
    # copies continue bit for bit on the device
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        data = _batches(2, device, seed=5)
        reference = copy.deepcopy(layer)
        _train(reference, data)
        _train(clone, data)
        _assert_same(_weights(clone), _weights(reference))


@pytest.mark.parametrize("name", NAMES)
def test_move_trained_model_between_devices(name):
    device = target_device()
    layer = _layer(name)
    _train(layer, _batches(2, torch.device("cpu")))
    trained = _weights(layer)
    layer.to(device)
    _assert_same(_weights(layer), trained)
    _train(layer, _batches(2, device, seed=7))
    on_device = _weights(layer)
    layer.cpu()
    _assert_same(_weights(layer), on_device)
    assert all(tile.device.type == "cpu" for tile in layer.analog_tiles())


@pytest.mark.parametrize("name", NAMES)
def test_forward_agrees_with_cpu(name):
    # one input row repeated 2048 times: every output row is an independent draw of the
    # forward noise, so CPU and device output distributions can be compared directly
    device = target_device()
    layer = _layer(name).eval()
    moved = copy.deepcopy(layer).to(device)
    x = (torch.rand(1, 6) - 0.5).repeat(2048, 1)
    with torch.no_grad():
        cpu_out = layer(x)
        dev_out = moved(x.to(device)).cpu()
    for column in range(cpu_out.shape[1]):
        assert_same_distribution(cpu_out[:, column], dev_out[:, column])


@pytest.mark.parametrize("name", PULSED)
def test_update_agrees_with_cpu(name):
    # a 64 x 64 tile from zero weights, one update with constant x and d: all 4096
    # crosspoints see the same expected change, their spread comes from the pulse trains
    # and the device model (d2d variations are drawn from each device's own generator)
    device = target_device()
    torch.manual_seed(4)
    layer = AnalogLinear(64, 64, bias=False, rpu_config=CONFIGS[name]())
    layer.set_weights(torch.zeros(64, 64))
    moved = copy.deepcopy(layer).to(device)
    x = torch.full((8, 64), 0.5)
    d = torch.full((8, 64), -0.5)
    results = []
    for model, dev in ((layer, torch.device("cpu")), (moved, device)):
        tile = next(model.analog_tiles())
        tile.set_learning_rate(0.05)
        tile.update(x.to(dev), d.to(dev))
        results.append(model.get_weights()[0].cpu())
    assert_same_distribution(results[0], results[1])
