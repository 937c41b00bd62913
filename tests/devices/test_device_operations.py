"""Decay, diffusion, reset, clip, drift, write noise and hidden parameters (spec 10 §3)."""

import copy
import math
import pickle

import pytest
import torch

from aihwkit.exceptions import TileError
from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, IdealDevice, LinearStepDevice, PiecewiseStepDevice,
    PowStepDevice, PowStepReferenceDevice, SoftBoundsDevice, SoftBoundsPmaxDevice,
    SoftBoundsReferenceDevice)
from aihwkit.simulator.parameters import DriftParameter, UpdateParameters

from tests.devices.helpers import make, mean_se, no_variation, pulse, std_se, within

COMMON = ["max_bound", "min_bound", "dwmin_up", "dwmin_down", "decay_scales",
          "diffusion_rates", "reset_bias", "drift_nu"]


def test_decay_towards_the_reset_bias():
    engine = make(no_variation(ConstantStepDevice, lifetime=10.0, reset=0.1), 1, 2)
    engine.set_weights(torch.tensor([[0.5, -0.5]]))
    engine.decay_weights()
    assert engine.get_weights().tolist()[0] == pytest.approx([0.46, -0.44])
    engine.decay_weights(0.5)
    assert engine.get_weights().tolist()[0] == pytest.approx([0.442, -0.413])


def test_diffusion_std():
    engine = make(no_variation(ConstantStepDevice, diffusion=0.01, w_max=1, w_min=-1), 200, 200)
    engine.diffuse_weights()
    std, se = std_se(engine.get_weights())
    assert within(std, 0.01, se) and not within(std, 0.011, se)


def test_reset_columns_statistics_and_selection():
    engine = make(ConstantStepDevice(reset=0.2, reset_dtod=0.05, reset_std=0.01), 300, 100,
                  weights=-0.3)
    engine.reset_columns(95, 10)             # wraps around: columns 95..99 and 0..4
    w = engine.get_weights()
    chosen = torch.zeros(100, dtype=torch.bool)
    chosen[95:] = True
    chosen[:5] = True
    assert torch.all(w[:, ~chosen] == engine._clip(torch.full_like(w, -0.3))[:, ~chosen])
    mean, se = mean_se(w[:, chosen])
    assert within(mean, 0.2, se)
    std, se = std_se(w[:, chosen])
    assert within(std, math.hypot(0.05, 0.01), se) and not within(std, 0.056, se)


def test_reset_probability():
    engine = make(no_variation(ConstantStepDevice, reset_std=0.0), 200, 200, weights=0.3)
    engine.reset_columns(0, -1, 0.25)
    fraction = (engine.get_weights() == 0.0).double().mean().item()
    assert abs(fraction - 0.25) <= 4 * math.sqrt(0.25 * 0.75 / 40000)


def test_clip_weights():
    engine = make(no_variation(ConstantStepDevice), 1, 3)
    engine.set_weights(torch.tensor([[0.5, -0.5, 0.1]]))
    engine.clip_weights(0.2)
    assert engine.get_weights().tolist()[0] == pytest.approx([0.2, -0.2, 0.1])


def test_set_weights_clips_to_the_bounds():
    engine = make(no_variation(ConstantStepDevice, w_max=0.5, w_min=-0.5), 1, 2)
    engine.set_weights(torch.tensor([[2.0, -3.0]]))
    assert engine.get_weights().tolist()[0] == [0.5, -0.5]


def test_write_noise_on_set_and_after_pulses():
    config = no_variation(SoftBoundsDevice, dw_min=0.01, write_noise_std=2.0, w_max=5, w_min=-5)
    engine = make(config, 200, 200)
    assert engine.hidden_parameter_names() == COMMON + ["persistent_weights", "slope_up",
                                                        "slope_down"]
    std, se = std_se(engine.get_weights())
    assert within(std, 0.02, se) and not within(std, 0.022, se)
    assert torch.all(engine.persistent_weights == 0)
    quiet = make(no_variation(SoftBoundsDevice, dw_min=0.01, write_noise_std=2.0,
                              apply_write_noise_on_set=False), 3, 3)
    assert torch.all(quiet.get_weights() == 0)
    # untouched crosspoints keep their apparent value, pulsed ones are redrawn
    before = engine.get_weights().clone()
    x = torch.zeros(1, 200, dtype=torch.float64)
    x[0, 0] = 1.0
    engine.update(x, -torch.ones(1, 200, dtype=torch.float64), 0.0099,
                  UpdateParameters(pulse_type=UpdateParameters().pulse_type.MEAN_COUNT))
    after = engine.get_weights()
    assert torch.equal(after[:, 1:], before[:, 1:])
    assert not torch.equal(after[:, 0], before[:, 0])
    assert torch.all(engine.persistent_weights[:, 0] > 0.009)


@pytest.mark.parametrize("config, extras", [
    (ConstantStepDevice(), []),
    (LinearStepDevice(), ["slope_up", "slope_down"]),
    (SoftBoundsDevice(), ["slope_up", "slope_down"]),
    (SoftBoundsPmaxDevice(), ["slope_up", "slope_down"]),
    (SoftBoundsReferenceDevice(), ["reference"]),
    (ExpStepDevice(), []),
    (ExpStepDevice(write_noise_std=1.0), ["persistent_weights"]),
    (PowStepDevice(), ["gamma_up", "gamma_down"]),
    (PowStepReferenceDevice(), ["gamma_up", "gamma_down", "reference"]),
    (PiecewiseStepDevice(), []),
    (IdealDevice(), None),
])
def test_hidden_parameter_names_and_round_trip(config, extras):
    engine = make(config, 3, 4, weights=0.05)
    if extras is None:
        assert engine.get_hidden_parameters() == {}
        return
    names = COMMON + extras
    assert list(engine.get_hidden_parameters()) == names
    params = engine.get_hidden_parameters()
    params["max_bound"] = params["max_bound"] * 0.9
    other = make(config, 3, 4, seed=5, weights=0.05)
    other.set_hidden_parameters(params)
    for name, value in other.get_hidden_parameters().items():
        if name != "persistent_weights":
            assert torch.equal(value, params[name]), name
    with pytest.raises(TileError):
        other.set_hidden_parameters({"max_bound": params["max_bound"]})


def test_set_hidden_parameters_reapplies_the_bounds_and_granularity():
    engine = make(no_variation(ConstantStepDevice), 1, 2, weights=0.4)
    params = engine.get_hidden_parameters()
    params["max_bound"] = torch.full((1, 2), 0.1, dtype=torch.float64)
    params["dwmin_up"] = params["dwmin_up"] * 3
    params["dwmin_down"] = params["dwmin_down"] * 3
    with pytest.warns(UserWarning, match="granularity"):
        engine.set_hidden_parameters(params)
    assert engine.get_weights().tolist()[0] == [0.1, 0.1]
    assert engine.granularity() == pytest.approx(0.003)


def test_drift_power_law():
    drift = DriftParameter(nu=0.1, t_0=1.0)
    engine = make(no_variation(ConstantStepDevice, drift=drift, w_max=1, w_min=-1), 1, 2)
    engine.set_weights(torch.tensor([[0.5, -0.4]]))
    assert torch.all(engine.drift_nu == 0.1)
    engine.drift_weights(2.0)                  # T = 2, tau = 2 since the first call
    assert engine.get_weights().tolist()[0] == pytest.approx([0.5 * 2 ** -0.1, -0.4 * 2 ** -0.1])
    engine.drift_weights(3.0)                  # T = 5
    assert engine.get_weights().tolist()[0] == pytest.approx([0.5 * 5 ** -0.1, -0.4 * 5 ** -0.1])
    # a programmed weight restarts its clock
    pulse(engine, 3)
    programmed = engine.get_weights().clone()
    engine.drift_weights(1.0)                  # changed since the last call: kept
    assert torch.allclose(engine.get_weights(), programmed)
    engine.drift_weights(4.0)                  # T = 10, t_last = 6: tau = 4
    assert torch.allclose(engine.get_weights(), programmed * 4 ** -0.1)


def test_drift_with_offset_and_variation():
    drift = DriftParameter(nu=0.05, nu_dtod=0.2, g_offset=0.1, wg_ratio=2.0, w_offset=0.05)
    engine = make(no_variation(ConstantStepDevice, drift=drift, w_max=1, w_min=-1), 200, 200,
                  weights=0.3)
    std, se = std_se(engine.drift_nu)
    assert within(std, 0.01, se)
    engine.drift_weights(1.0)
    engine.drift_weights(9.0)                  # tau = 10 - 0 = 10
    expected = 0.3 * 10 ** -engine.drift_nu + 0.25 * (10 ** -engine.drift_nu - 1)
    assert torch.allclose(engine.get_weights(), expected)


def test_engine_state_survives_copy_and_pickle():
    engine = make(SoftBoundsDevice(write_noise_std=1.0), 4, 5, weights=0.1)
    pulse(engine, 3)
    for clone in (copy.deepcopy(engine), pickle.loads(pickle.dumps(engine))):
        for name in engine.hidden_parameter_names():
            assert torch.equal(getattr(clone, name), getattr(engine, name))
        x = torch.rand(3, 5, dtype=torch.float64)
        d = torch.rand(3, 4, dtype=torch.float64) - 0.5
        twin = copy.deepcopy(engine)
        twin.update(x, d, 0.05, UpdateParameters())
        clone.update(x, d, 0.05, UpdateParameters())
        assert torch.equal(twin.get_weights(), clone.get_weights())


def test_floating_point_device_simple_drift():
    from aihwkit.simulator.configs.devices import FloatingPointDevice
    from aihwkit.simulator.parameters import SimpleDriftParameter
    engine = make(FloatingPointDevice(drift=SimpleDriftParameter(nu=0.1, t_0=2.0)), 1, 2)
    engine.set_weights(torch.tensor([[0.5, -0.4]]))
    engine.drift_weights(1.0)                  # T = 0.5: tau = max(0.5, 1) = 1
    assert engine.get_weights().tolist()[0] == pytest.approx([0.5, -0.4])
    engine.drift_weights(7.0)                  # T = 4
    assert engine.get_weights().tolist()[0] == pytest.approx([0.5 * 4 ** -0.1, -0.4 * 4 ** -0.1])
