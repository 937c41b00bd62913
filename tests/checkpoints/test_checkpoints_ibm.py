"""State dicts written by IBM aihwkit 1.1.0 load, give the stored weights and train on."""

import io
import json
import os
from pathlib import Path

import pytest
import torch

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import FloatingPointRPUConfig, InferenceRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.presets import TikiTakaEcRamPreset

FIXTURES = Path(os.environ.get(
    "AIHWKIT_110_FIXTURES",
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aihwkit-1.1.0"))
EXPECTED = json.loads((FIXTURES / "expected.json").read_text()) \
    if (FIXTURES / "expected.json").exists() else {"cases": {}}
CONFIGS = {
    "floatingpoint": FloatingPointRPUConfig,
    "constantstep": lambda: SingleRPUConfig(device=ConstantStepDevice()),
    "tikitaka_ecram": TikiTakaEcRamPreset,
    "inference": InferenceRPUConfig,
}
CASES = sorted(EXPECTED["cases"].items())


def _model(rpu_config):
    # "AnalogSequential(AnalogLinear(6,5,bias=True), Sigmoid(), AnalogLinear(5,3,bias=True))"
    return AnalogSequential(AnalogLinear(6, 5, bias=True, rpu_config=rpu_config()),
                            torch.nn.Sigmoid(),
                            AnalogLinear(5, 3, bias=True, rpu_config=rpu_config()))


def test_fixtures_are_present():
    assert len(CASES) == 4, f"aihwkit 1.1.0 fixtures not found in {FIXTURES}"


@pytest.mark.parametrize("name,case", CASES, ids=[n for n, _ in CASES])
def test_ibm_checkpoint_loads_with_the_expected_weights_and_trains_on(name, case):
    model = _model(CONFIGS[case["rpu_config"]])
    state = torch.load(FIXTURES / f"{name}.pth", weights_only=False)
    model.load_state_dict(state)
    weights = model.get_weights()
    for key, (weight, bias) in case["weights"].items():
        got_weight, got_bias = weights[key]
        assert torch.equal(got_weight, torch.tensor(weight)), key
        assert torch.equal(got_bias, torch.tensor(bias)), key
    tile = model[0].analog_module
    stored = state["0.analog_module.analog_tile_state"]
    assert type(tile.rpu_config).__name__ == type(stored["rpu_config"]).__name__
    assert tile.get_learning_rate() == pytest.approx(stored["analog_lr"])
    # trains on: the loss of a fixed batch goes down over a few steps
    torch.manual_seed(0)
    x = torch.rand(8, 6)
    target = torch.rand(8, 3)
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    model.train()
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert all(torch.isfinite(w).all() for w, _ in model.get_weights().values())
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name,case", CASES, ids=[n for n, _ in CASES])
def test_ibm_checkpoint_resaved_is_plain_data(name, case):
    model = _model(CONFIGS[case["rpu_config"]])
    model.load_state_dict(torch.load(FIXTURES / f"{name}.pth", weights_only=False))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    again = _model(CONFIGS[case["rpu_config"]])
    again.load_state_dict(torch.load(buffer))
    for key, (weight, _) in model.get_weights().items():
        assert torch.equal(weight, again.get_weights()[key][0])
