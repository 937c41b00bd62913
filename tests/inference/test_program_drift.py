"""Programming, drift and drift compensation on tiles and models (spec §1.11, §2.8,
checks 9–11)."""

import copy
import pickle

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError, ConfigError, ModuleError
from aihwkit.inference import (
    GlobalDriftCompensation, PCMLikeNoiseModel, StateIndependentNoiseModel,
    drift_analog_weights, program_analog_weights)
from aihwkit.inference.compensation.drift import (
    GlobalDriftCompensationWithExactReference, PerColumnDriftCompensation)
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.tiles.inference import InferenceTile
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

from inference_helpers import perfect_config

FIXED_DRIFT = dict(prog_noise_scale=0.0, read_noise_scale=0.0, drift_nu_mean=0.05,
                   drift_nu_std=0.0)


@pytest.mark.parametrize("comp_class", [GlobalDriftCompensation, PerColumnDriftCompensation,
                                        GlobalDriftCompensationWithExactReference])
@pytest.mark.parametrize("torch_tile", [False, True])
def test_alpha_for_fixed_drift(comp_class, torch_tile):
    config = perfect_config(torch_tile)
    config.noise_model = StateIndependentNoiseModel(**FIXED_DRIFT)
    config.drift_compensation = comp_class()
    layer = AnalogLinear(6, 4, bias=True, rpu_config=config)
    w, b = torch.rand(4, 6) - 0.5, torch.randn(4)
    layer.set_weights(w, b)
    layer.eval()
    layer.program_analog_weights()
    assert torch.equal(layer.analog_module.alpha, torch.ones(1))
    layer.drift_analog_weights(3600.0)
    alpha = layer.analog_module.alpha
    assert torch.allclose(alpha, torch.full_like(alpha, 181 ** 0.05), rtol=1e-5)
    x = torch.randn(5, 6)
    assert torch.allclose(layer(x), x @ w.t() + b, atol=1e-5)  # fully compensated
    drifted = layer.get_weights()[0]  # alpha is not part of get_weights
    assert torch.allclose(drifted, w * 181 ** -0.05, atol=1e-6)
    assert torch.allclose(layer.get_weights(realistic=True)[0], w, atol=1e-4)


def test_compensation_restores_mean_output_scale():
    # check 9: 256 -> 128, U(-1, 1), default PCM model, perfect forward
    torch.manual_seed(11)
    layer = AnalogLinear(256, 128, bias=False, rpu_config=perfect_config())
    w = torch.rand(128, 256) * 2 - 1
    layer.set_weights(w)
    layer.eval()
    layer.program_analog_weights()
    x = torch.randn(200, 256)
    ideal = (x @ w.t()).abs().mean()
    expected = {0.0: (0.993, 0.999), 3600.0: (0.768, 1.29), 86400.0: (0.658, 1.51),
                1e7: (0.523, 1.90)}
    for t_inference, (weight_ratio, alpha) in expected.items():
        layer.drift_analog_weights(t_inference)
        tile = layer.analog_module
        raw_ratio = (tile.get_weights()[0].abs().mean() / w.abs().mean()).item()
        assert raw_ratio == pytest.approx(weight_ratio, abs=0.01)
        assert tile.alpha.item() == pytest.approx(alpha, rel=0.02)
        ratio = (layer(x).abs().mean() / ideal).item()
        # programming noise is not compensated: within 1.5 % of the ideal scale
        assert abs(ratio - 1.0) < 0.015


def test_program_from_reference_and_repeat_gives_new_instance():
    layer = AnalogLinear(20, 10, bias=False, rpu_config=perfect_config())
    w = torch.rand(10, 20) - 0.5
    layer.set_weights(w)
    layer.eval()
    tile = layer.analog_module
    layer.program_analog_weights()
    first = tile.get_weights()[0]
    assert torch.equal(tile.reference_combined_weights, w)
    layer.program_analog_weights()  # same reference, new programming noise
    second = tile.get_weights()[0]
    assert not torch.equal(first, second)
    assert (second - w).abs().mean() < 0.1
    tile.program_weights(from_reference=False)  # reference := programmed weights
    assert torch.equal(tile.reference_combined_weights, second)
    layer.set_weights(w)
    assert tile.reference_combined_weights is None
    # drift re-samples read noise from the fixed programmed state
    layer.program_analog_weights()
    layer.drift_analog_weights(100.0)
    a = tile.get_weights()[0]
    layer.drift_analog_weights(100.0)
    assert not torch.equal(a, tile.get_weights()[0])


def test_drift_programs_first_and_noise_model_replacement():
    layer = AnalogLinear(5, 3, bias=False, rpu_config=perfect_config(True))
    layer.eval()
    tile = layer.analog_module
    assert tile.programmed_weights is None
    layer.drift_analog_weights(10.0)
    assert tile.programmed_weights is not None
    model = StateIndependentNoiseModel(**FIXED_DRIFT)
    layer.program_analog_weights(model)
    assert tile.rpu_config.noise_model is model
    with pytest.raises(ConfigError):
        tile.program_weights(noise_model="pcm")
    tile.rpu_config.noise_model = None
    with pytest.raises(ConfigError):
        tile.drift_weights(1.0)


def test_no_compensation_leaves_alpha():
    config = perfect_config()
    config.drift_compensation = None
    config.noise_model = StateIndependentNoiseModel(**FIXED_DRIFT)
    layer = AnalogLinear(4, 2, bias=False, rpu_config=config)
    w = torch.rand(2, 4)
    layer.set_weights(w)
    layer.eval()
    layer.drift_analog_weights(3600.0)
    assert torch.equal(layer.analog_module.alpha, torch.ones(1))
    x = torch.rand(3, 4)
    assert torch.allclose(layer(x), x @ w.t() * 181 ** -0.05, atol=1e-6)


def test_training_mode_and_bad_time_raise():
    model = AnalogSequential(AnalogLinear(3, 2, rpu_config=perfect_config()))
    with pytest.raises(ModuleError):
        model.program_analog_weights()
    with pytest.raises(ModuleError):
        drift_analog_weights(model, 10.0)
    with pytest.raises(ModuleError):
        program_analog_weights(nn.Sequential(model), None)
    model.eval()
    with pytest.raises(ArgumentError):
        drift_analog_weights(model, -1.0)
    with pytest.raises(ArgumentError):
        next(model.analog_tiles()).drift_weights(-5.0)


def test_function_forms_on_plain_torch_containers():
    inner = AnalogLinear(4, 3, rpu_config=perfect_config())
    model = nn.Sequential(inner, nn.ReLU()).eval()
    program_analog_weights(model, StateIndependentNoiseModel(**FIXED_DRIFT))
    drift_analog_weights(model, 3600.0)
    assert inner.analog_module.alpha.item() == pytest.approx(181 ** 0.05, rel=1e-5)


@pytest.mark.parametrize("tile_class", [InferenceTile, TorchInferenceTile])
def test_random_stream_survives_copies(tile_class):
    tile = tile_class(8, 6, perfect_config(tile_class is TorchInferenceTile))
    tile.set_weights(torch.rand(8, 6))
    tile.eval()
    for clone in (copy.deepcopy(tile), pickle.loads(pickle.dumps(tile))):
        tile_copy = copy.deepcopy(tile)
        tile_copy.program_weights()
        clone.program_weights()
        assert torch.equal(clone.get_weights()[0], tile_copy.get_weights()[0])
    if tile_class is InferenceTile:
        clone = pickle.loads(pickle.dumps(tile))
        assert clone.shared_weights.data_ptr() == clone.tile.device_engine.weights.data_ptr()


def test_state_dict_round_trip_and_cross_tile_loading():
    layer = AnalogLinear(4, 3, rpu_config=perfect_config())
    layer.set_weights(torch.rand(3, 4), torch.rand(3))
    state = layer.state_dict()
    other = AnalogLinear(4, 3, rpu_config=perfect_config())
    other.load_state_dict(state)
    assert torch.equal(other.get_weights()[0], layer.get_weights()[0])
    tile = other.analog_module
    assert tile.shared_weights.data_ptr() == tile.tile.device_engine.weights.data_ptr()
    torch_layer = AnalogLinear(4, 3, rpu_config=perfect_config(True))
    keys = list(torch_layer.state_dict())
    assert keys[-2:] == ["analog_module.tile.weight", "analog_module.analog_tile_state"]
    from aihwkit.exceptions import TileError
    with pytest.raises(TileError):
        torch_layer.load_state_dict(state)
    layer.load_state_dict(torch_layer.state_dict())  # torch tile -> compiled tile: allowed
    assert torch.equal(layer.get_weights()[0], torch_layer.get_weights()[0])


@pytest.mark.parametrize("build", [
    lambda: PCMLikeNoiseModel(),
    lambda: PCMLikeNoiseModel(g_converter=__import__(
        "aihwkit.inference", fromlist=["x"]).DualPairConductanceConverter([1.0, 3.0])),
    lambda: StateIndependentNoiseModel(),
    lambda: __import__("aihwkit.inference.noise.hermes",
                       fromlist=["x"]).HermesNoiseModel(),
    lambda: __import__("aihwkit.inference", fromlist=["x"]).ReRamCMONoiseModel(),
])
def test_every_noise_model_programs_and_drifts_a_tile(build):
    layer = AnalogLinear(12, 6, rpu_config=perfect_config())
    w = layer.get_weights()[0]
    layer.eval()
    layer.program_analog_weights(build())
    layer.drift_analog_weights(3600.0)
    drifted = layer.get_weights()[0]
    assert torch.isfinite(drifted).all() and not torch.equal(drifted, w)
    assert torch.isfinite(layer(torch.randn(3, 12))).all()
