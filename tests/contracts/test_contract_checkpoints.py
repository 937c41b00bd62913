"""Contract suites over the catalogue (every registered config class, preset and RPU
config): plain-data checkpoints that resume bit for bit, and bad input that changes
nothing and leaves the layer trainable."""

import io

import pytest
import torch

from aihwkit.exceptions import AihwkitException
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD

from contract_catalogue import CASE_IDS, CASES, registered_classes, uncovered

PLAIN = (bool, int, float, str, type(None), torch.Tensor)


def _layer(factory, seed):
    torch.manual_seed(seed)
    return AnalogLinear(6, 4, bias=True, rpu_config=factory())


def _optimizer(layer):
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    opt.regroup_param_groups(layer)
    return opt


def _batch(gen):
    return torch.rand(5, 6, generator=gen) - 0.5, torch.rand(5, 4, generator=gen) - 0.5


def _step(layer, opt, x, target):
    opt.zero_grad()
    ((layer(x) - target) ** 2).sum().backward()
    opt.step()


def _train(layer, opt, steps, seed):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        _step(layer, opt, *_batch(gen))


def _state(layer):
    out = []
    for tile in layer.analog_tiles():
        weight, bias = tile.get_weights()
        out += [weight, bias] + list(tile.get_hidden_parameters().values())
    weight, bias = layer.get_weights()
    return [t for t in out + [weight, bias] if t is not None]


def _assert_plain(value, path):
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), path
            _assert_plain(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _assert_plain(item, f"{path}[{index}]")
    else:
        assert isinstance(value, PLAIN), f"{path} is a {type(value).__name__}"


def test_every_registered_class_has_a_catalogue_entry():
    assert not uncovered(), f"registered config classes without a catalogue entry: " \
                            f"{uncovered()}"
    ids = set(CASE_IDS)
    for klass in registered_classes():
        assert f"device:{klass.__name__}" in ids


@pytest.mark.parametrize("factory", [f for _, f in CASES], ids=CASE_IDS)
def test_checkpoint_is_plain_data_and_resumes_bit_for_bit(factory):
    layer = _layer(factory, seed=0)
    opt = _optimizer(layer)
    _train(layer, opt, 2, seed=1)
    state = layer.state_dict()
    for key, value in state.items():
        if key.endswith("analog_tile_state"):
            _assert_plain(value, key)
    buffer = io.BytesIO()
    torch.save({"model": state, "optimizer": opt.state_dict()}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer)  # weights_only=True (torch's default)
    resumed = _layer(factory, seed=7)
    resumed.load_state_dict(loaded["model"])
    resumed_opt = _optimizer(resumed)
    resumed_opt.load_state_dict(loaded["optimizer"])
    for mine, theirs in zip(_state(layer), _state(resumed)):
        assert torch.equal(mine, theirs)
    _train(layer, opt, 2, seed=2)
    _train(resumed, resumed_opt, 2, seed=2)
    for mine, theirs in zip(_state(layer), _state(resumed)):
        assert torch.equal(mine, theirs)


@pytest.mark.parametrize("factory", [f for _, f in CASES], ids=CASE_IDS)
def test_bad_input_changes_nothing_and_training_goes_on(factory):
    layer = _layer(factory, seed=0)
    opt = _optimizer(layer)
    _train(layer, opt, 1, seed=1)
    before = [t.clone() for t in _state(layer)]
    gen = torch.Generator().manual_seed(3)
    x, target = _batch(gen)
    bad_x = x.clone()
    bad_x[2, 1] = float("nan")
    with pytest.raises(AihwkitException, match="NaN or infinite"):
        layer(bad_x)
    bad_target = target.clone()
    bad_target[0, 0] = float("inf")
    opt.zero_grad()
    ((layer(x) - bad_target) ** 2).sum().backward()
    with pytest.raises(AihwkitException, match="NaN or infinite"):
        opt.step()
    for old, new in zip(before, _state(layer)):
        assert torch.equal(old, new)
    for tile in layer.analog_tiles():
        assert not tile.analog_ctx.has_gradient()
    _step(layer, opt, x, target)
    after = _state(layer)
    assert all(torch.isfinite(t).all() for t in after)
    assert any(not torch.equal(old, new) for old, new in zip(before, after))
