"""Post-training input-range calibration (spec §2.10)."""

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError, ConfigError
from aihwkit.inference.calibration import InputRangeCalibrationType, calibrate_input_ranges
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.configs import InferenceRPUConfig, NoiseManagementType

Cal = InputRangeCalibrationType


def _model():
    torch.manual_seed(3)
    return AnalogSequential(AnalogLinear(6, 5, rpu_config=InferenceRPUConfig()), nn.ReLU(),
                            AnalogLinear(5, 2, rpu_config=InferenceRPUConfig()))


def _loader():
    gen = torch.Generator().manual_seed(9)
    return [((torch.randn(16, 6, generator=gen) * (i + 1),), {}) for i in range(4)]


def test_max_and_cache_quantile_agree_on_first_layer():
    loader = _loader()
    expected = max(float(args[0].abs().max()) for args, _ in loader)
    for kind in (Cal.MAX, Cal.CACHE_QUANTILE):
        model = _model()
        model.train()
        calibrate_input_ranges(model, kind, loader, quantile=1.0, max_samples=1000)
        first = next(model.analog_tiles())
        assert first.input_range.item() == pytest.approx(expected, rel=1e-6)
        config = first.rpu_config
        assert config.forward.is_perfect is False  # restored
        assert config.forward.noise_management == NoiseManagementType.NONE
        assert config.pre_post.input_range.calibration_info == kind.value
        assert config.pre_post.input_range.init_value == pytest.approx(expected, rel=1e-6)
        assert model.training
        assert all(tile.input_range.item() > 0 for tile in model.analog_tiles())


def test_moving_std_and_quantile():
    loader = _loader()
    model = _model()
    calibrate_input_ranges(model, Cal.MOVING_STD, loader, std_alpha=2.0)
    expected = sum(2.0 * float(args[0].std()) for args, _ in loader) / len(loader)
    assert next(model.analog_tiles()).input_range.item() == pytest.approx(expected, rel=1e-5)
    model = _model()
    calibrate_input_ranges(model, Cal.MOVING_QUANTILE, loader, quantile=0.5)
    expected = sum(float(args[0].abs().flatten().quantile(0.5)) for args, _ in loader) / 4
    assert next(model.analog_tiles()).input_range.item() == pytest.approx(expected, rel=1e-5)


def test_bad_arguments():
    with pytest.raises(ArgumentError):
        calibrate_input_ranges(nn.Linear(2, 2), Cal.MAX, [])
    with pytest.raises(ConfigError):
        calibrate_input_ranges(_model(), Cal.MAX, _loader(), force_all_layers=False)
