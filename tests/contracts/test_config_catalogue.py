"""Contracts over every RPU configuration and preset: a layer trains, copies continue bit
for bit, bad inputs leave the state untouched."""

import copy
import inspect
import pickle

import pytest
import torch

from aihwkit.exceptions import AihwkitException, NotSimulatedError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator import configs, presets
from aihwkit.simulator.configs import (
    DigitalRankUpdateRPUConfig, FloatingPointRPUConfig, SingleRPUConfig, UnitCellRPUConfig)
from aihwkit.simulator.parameters.base import RPUConfigBase

from contract_catalogue import ABSTRACT_RPU_CONFIGS

# abstract defaults (a user must choose a unit cell / compound)
ABSTRACT = set(ABSTRACT_RPU_CONFIGS)


def _catalogue():
    found = {}
    for module in (configs, presets):
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, RPUConfigBase) \
                    and not name.startswith("_") and obj is not RPUConfigBase:
                found[name] = obj
    return sorted(found.items())


CATALOGUE = _catalogue()


def _layer(klass, seed=0):
    torch.manual_seed(seed)
    return AnalogLinear(6, 4, bias=True, rpu_config=klass())


def _train(layer, steps, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    opt.regroup_param_groups(layer)
    for _ in range(steps):
        opt.zero_grad()
        x = torch.rand(5, 6, generator=gen) - 0.5
        target = torch.rand(5, 4, generator=gen) - 0.5
        ((layer(x) - target) ** 2).sum().backward()
        opt.step()


def _state(layer):
    weight, bias = layer.get_weights()
    hidden = [value for tile in layer.analog_tiles()
              for value in tile.get_hidden_parameters().values()]
    return [weight, bias] + hidden


def test_catalogue_is_complete():
    names = {name for name, _ in CATALOGUE}
    assert {"SingleRPUConfig", "InferenceRPUConfig", "TikiTakaEcRamPreset",
            "MixedPrecisionEcRamPreset", "StandardHWATrainingPreset"} <= names


@pytest.mark.parametrize("name,klass", [c for c in CATALOGUE if c[0] in ABSTRACT])
def test_abstract_configs_raise_clearly(name, klass):
    with pytest.raises((NotSimulatedError, AihwkitException)):
        AnalogLinear(3, 2, rpu_config=klass())


@pytest.mark.parametrize("name,klass", [c for c in CATALOGUE if c[0] not in ABSTRACT])
def test_trains_and_copies_continue_identically(name, klass):
    layer = _layer(klass)
    _train(layer, 2, seed=1)
    for tensor in _state(layer):
        if tensor is not None:
            assert torch.isfinite(tensor).all(), name
    clones = [copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))]
    loaded = _layer(klass, seed=5)
    loaded.load_state_dict(layer.state_dict())
    clones.append(loaded)
    _train(layer, 2, seed=2)
    for clone in clones:
        _train(clone, 2, seed=2)
        for mine, theirs in zip(_state(layer), _state(clone)):
            if mine is not None:
                assert torch.equal(mine, theirs), name


@pytest.mark.parametrize("name,klass", [c for c in CATALOGUE if c[0] not in ABSTRACT])
def test_bad_inputs_leave_state_untouched(name, klass):
    layer = _layer(klass)
    before = [t.clone() for t in _state(layer) if t is not None]
    tile = next(layer.analog_tiles())
    for bad in (torch.rand(3, 5), torch.rand(3, 6, dtype=torch.float64), [[0.0] * 6]):
        with pytest.raises(AihwkitException):
            layer(bad)
    with pytest.raises(AihwkitException):
        tile.update(torch.rand(3, 6), torch.rand(2, 4))
    with pytest.raises(AihwkitException):
        tile.set_weights(torch.rand(5, 6))
    after = [t for t in _state(layer) if t is not None]
    for old, new in zip(before, after):
        assert torch.equal(old, new), name


@pytest.mark.parametrize("config", [
    SingleRPUConfig(), UnitCellRPUConfig(device=presets.TikiTakaEcRamPreset().device),
    DigitalRankUpdateRPUConfig(device=presets.MixedPrecisionEcRamPreset().device)],
    ids=["single", "transfer", "mixed-precision"])
def test_nan_in_update_is_refused_without_writing(config):
    layer = AnalogLinear(6, 4, rpu_config=config)
    tile = layer.analog_module
    before = [t.clone() for t in _state(layer) if t is not None]
    x = torch.rand(3, 6)
    x[1, 2] = float("nan")
    with pytest.raises(AihwkitException):
        tile.update(x, torch.rand(3, 4))
    d = torch.rand(3, 4)
    d[0, 0] = float("inf")
    with pytest.raises(AihwkitException):
        tile.update(torch.rand(3, 6), d)
    for old, new in zip(before, [t for t in _state(layer) if t is not None]):
        assert torch.equal(old, new)


def test_floating_point_config_is_in_the_catalogue():
    assert ("FloatingPointRPUConfig", FloatingPointRPUConfig) in CATALOGUE
