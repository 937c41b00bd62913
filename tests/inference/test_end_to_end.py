"""Hardware-aware training, programming and drift of a small network (spec §1.12)."""

import pytest
import torch
from torch import nn

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    InferenceRPUConfig, TorchInferenceRPUConfig, WeightClipType, WeightModifierType,
    WeightRemapType)

DAY = 86400.0


def _data(n, gen):
    """Three classes split by two parallel planes away from the origin: the decision
    depends on the (digital) biases, so an uncompensated output scale hurts."""
    x = torch.randn(n, 8, generator=gen)
    score = x[:, 0] + 0.5 * x[:, 1] - 0.5 * x[:, 2]
    return x, (score > 0.6).long() + (score > -0.6).long()


def _config(torch_tile):
    config = TorchInferenceRPUConfig() if torch_tile else InferenceRPUConfig()
    config.modifier.type = WeightModifierType.ADD_NORMAL
    config.modifier.std_dev = 0.05
    config.clip.type = WeightClipType.FIXED_VALUE
    config.clip.fixed_value = 1.0
    config.remap.type = WeightRemapType.CHANNELWISE_SYMMETRIC
    return config


def _accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


@pytest.mark.parametrize("torch_tile", [False, True])
def test_hwa_training_survives_programming_and_a_day_of_drift(torch_tile):
    gen = torch.Generator().manual_seed(1)
    x_train, y_train = _data(2000, gen)
    x_test, y_test = _data(1000, gen)
    torch.manual_seed(0)
    config = _config(torch_tile)
    model = AnalogSequential(AnalogLinear(8, 16, rpu_config=config), nn.ReLU(),
                             AnalogLinear(16, 3, rpu_config=config))
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    for _ in range(15):
        perm = torch.randperm(2000)
        for start in range(0, 2000, 50):
            idx = perm[start:start + 50]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    model.eval()
    trained = _accuracy(model, x_test, y_test)
    assert trained > 0.8
    compensated, uncompensated = [], []
    for _ in range(3):  # three chip instances
        model.program_analog_weights()
        model.drift_analog_weights(DAY)
        compensated.append(_accuracy(model, x_test, y_test))
        for tile in model.analog_tiles():
            tile.alpha.fill_(1.0)  # what the same chip gives without compensation
        uncompensated.append(_accuracy(model, x_test, y_test))
    mean_comp = sum(compensated) / 3
    mean_uncomp = sum(uncompensated) / 3
    # margins: compensated within 5 points of the trained accuracy (programming and read
    # noise remain), uncompensated at least 15 points below the compensated one
    assert mean_comp > trained - 0.05
    assert mean_uncomp < mean_comp - 0.15
