"""Invalid settings, refused inputs and the update dispatch by pulse type (spec 10 §2.2)."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError, ConfigError, TileError
from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, IdealDevice, LinearStepDevice, PiecewiseStepDevice,
    PowStepDevice, PowStepReferenceDevice, SoftBoundsDevice, SoftBoundsPmaxDevice,
    SoftBoundsReferenceDevice)
from aihwkit.simulator.parameters import DriftParameter, PulseType, UpdateParameters

from tests.devices.helpers import make, no_variation

ALL_PULSED = [ConstantStepDevice, LinearStepDevice, SoftBoundsDevice, SoftBoundsPmaxDevice,
              SoftBoundsReferenceDevice, ExpStepDevice, PowStepDevice, PowStepReferenceDevice,
              PiecewiseStepDevice]


@pytest.mark.parametrize("config, field", [
    (ConstantStepDevice(w_min=0.1), "w_min"),
    (ConstantStepDevice(w_max=-0.1), "w_max"),
    (ConstantStepDevice(dw_min=-0.001), "dw_min"),
    (ConstantStepDevice(dw_min_std=-0.1), "dw_min_std"),
    (ConstantStepDevice(w_max_dtod=float("nan")), "w_max_dtod"),
    (ConstantStepDevice(corrupt_devices_prob=1.5), "corrupt_devices_prob"),
    (ConstantStepDevice(drift=DriftParameter(nu=0.1, t_0=0.0)), "t_0"),
    (SoftBoundsDevice(reverse_up=True, mult_noise=False), "reverse_up"),
    (LinearStepDevice(reverse_down=True, mult_noise=False), "reverse_down"),
    (LinearStepDevice(gamma_up_dtod=-1.0), "gamma_up_dtod"),
    (PiecewiseStepDevice(piecewise_up=[1, 2], piecewise_down=[1]), "piecewise_down"),
    (PiecewiseStepDevice(piecewise_up=[], piecewise_down=[]), "piecewise_up"),
    (SoftBoundsPmaxDevice(alpha=0.0), "alpha"),
    (SoftBoundsPmaxDevice(w_max=1.0), "w_max"),
    (ExpStepDevice(write_noise_std=-1.0), "write_noise_std"),
    (PowStepReferenceDevice(n_estimation_steps=1.5), "n_estimation_steps"),
    (IdealDevice(lifetime=-1.0), "lifetime"),
])
def test_invalid_settings_name_the_field(config, field):
    with pytest.raises(ConfigError, match=field):
        make(config, 2, 2)


def test_negative_lifetime_and_diffusion_are_clamped():
    engine = make(ConstantStepDevice(lifetime=-3.0, diffusion=-0.1), 2, 2)
    assert torch.all(engine.decay_scales == 1.0) and torch.all(engine.diffusion_rates == 0.0)


@pytest.mark.parametrize("cls", ALL_PULSED + [IdealDevice])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_inputs_are_refused_without_touching_state(cls, bad):
    engine = make(cls(), 3, 4, weights=0.05)
    before = {name: value.clone() for name, value in engine.get_hidden_parameters().items()}
    weights = engine.get_weights().clone()
    x = torch.ones(2, 4, dtype=torch.float64)
    x[1, 2] = bad
    with pytest.raises(ArgumentError):
        engine.update(x, torch.ones(2, 3, dtype=torch.float64), 0.1, UpdateParameters())
    with pytest.raises(ArgumentError):
        engine.update(torch.ones(2, 4, dtype=torch.float64), x[:, :3], 0.1, UpdateParameters())
    assert torch.equal(engine.get_weights(), weights)
    for name, value in engine.get_hidden_parameters().items():
        assert torch.equal(value, before[name])


def test_wrong_shapes_raise_tile_error():
    engine = make(ConstantStepDevice(), 3, 4)
    with pytest.raises(TileError):
        engine.update(torch.ones(2, 3), torch.ones(2, 3), 0.1, UpdateParameters())
    with pytest.raises(TileError):
        engine.set_weights(torch.ones(4, 3))


def test_invalid_update_parameters_are_refused_before_any_change():
    engine = make(ConstantStepDevice(), 1, 1)
    with pytest.raises(ConfigError, match="desired_bl"):
        engine.update(torch.ones(1, 1), torch.ones(1, 1), 0.1, UpdateParameters(desired_bl=0))
    assert engine.get_weights().item() == 0.0


def _none_vs_device(pulse_type):
    config = no_variation(ConstantStepDevice, lifetime=10.0, reset=0.1, w_max=0.5, w_min=-0.5)
    engine = make(config, 1, 1, weights=0.3)
    if pulse_type == PulseType.NONE:
        engine = engine.as_floating_point()
    engine.update(torch.tensor([[1.0]]), torch.tensor([[-0.369]]), 1.0,
                  UpdateParameters(pulse_type=pulse_type))
    return engine


def test_pulse_type_none_replaces_the_device_by_floating_point():
    engine = _none_vs_device(PulseType.NONE)
    assert engine.get_weights().item() == pytest.approx(0.669)
    assert engine.get_hidden_parameters() == {}
    engine.set_weights(torch.tensor([[2.0]]))
    assert engine.get_weights().item() == 2.0
    engine.set_weights(torch.tensor([[0.5]]))
    engine.decay_weights()                     # floating point rule: 0.5 (1 - 1 / 10)
    assert engine.get_weights().item() == pytest.approx(0.45)


def test_none_with_device_clips_each_sample():
    engine = _none_vs_device(PulseType.NONE_WITH_DEVICE)
    assert engine.get_weights().item() == pytest.approx(0.5)
    x = torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    d = torch.tensor([[-0.5], [0.3]], dtype=torch.float64)
    engine.update(x, d, 1.0, UpdateParameters(pulse_type=PulseType.NONE_WITH_DEVICE))
    assert engine.get_weights().item() == pytest.approx(0.2)     # clip(1.0) = 0.5, - 0.3


@pytest.mark.parametrize("pulse_type", list(PulseType))
def test_ideal_device_is_exact_for_every_pulse_type(pulse_type):
    engine = make(IdealDevice(), 3, 4, weights=0.1)
    x = torch.rand(5, 4, dtype=torch.float64)
    d = torch.rand(5, 3, dtype=torch.float64) - 0.5
    engine.update(x, d, 0.3, UpdateParameters(pulse_type=pulse_type))
    assert torch.allclose(engine.get_weights(), 0.1 - 0.3 * d.t() @ x)
    assert engine.brief_name == "SimpleRPUDevice"


def test_ideal_device_decay_diffusion_reset():
    engine = make(IdealDevice(lifetime=10.0, diffusion=0.01, reset_std=0.1), 200, 200,
                  weights=0.5)
    engine.decay_weights()
    assert torch.allclose(engine.get_weights(), torch.full((200, 200), 0.45, dtype=torch.float64))
    engine.reset_columns(0, -1)
    assert abs(engine.get_weights().std().item() - 0.1) < 4 * 0.1 / (2 * 40000) ** 0.5
    engine.set_weights(torch.zeros(200, 200))
    engine.diffuse_weights()
    assert abs(engine.get_weights().std().item() - 0.01) < 4 * 0.01 / (2 * 40000) ** 0.5


def test_zero_learning_rate_changes_nothing():
    engine = make(ConstantStepDevice(), 2, 2, weights=0.1)
    engine.update(torch.ones(1, 2), torch.ones(1, 2), 0.0, UpdateParameters())
    assert torch.all(engine.get_weights() == 0.1)


def test_brief_names():
    names = {cls: make(cls(), 1, 1).brief_name for cls in ALL_PULSED}
    assert names[ConstantStepDevice] == "ConstantStep"
    assert names[SoftBoundsPmaxDevice] == "SoftBounds"
    assert names[PowStepReferenceDevice] == "PowStepReference"
