"""Cost counters: engine pulse counts and per-tile MVM / ADC / update counts."""

import pytest
import torch

from aihwkit.exceptions import ConfigError
from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (FloatingPointRPUConfig, InferenceRPUConfig,
                                       SingleRPUConfig, UnitCellRPUConfig)
from aihwkit.simulator.configs.compounds import VectorUnitCell
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import IOParameters, UpdateParameters
from aihwkit.simulator.tiles import AnalogTile
from aihwkit.simulator.tiles.counters import CostCounters, get_pulse_counters


def _exact_device(**kwargs) -> ConstantStepDevice:
    return ConstantStepDevice(dw_min=0.01, dw_min_std=0.0, dw_min_dtod=0.0, up_down_dtod=0.0,
                              w_max_dtod=0.0, w_min_dtod=0.0, count_pulses=True, **kwargs)


def test_pulse_counters_explain_the_weight_change():
    # noise-free constant steps far from the bounds: dW = dw_min * (ups - downs) exactly
    tile = AnalogTile(5, 6, rpu_config=SingleRPUConfig(device=_exact_device()))
    before = tile.get_weights()[0].clone()
    assert torch.equal(get_pulse_counters(tile), torch.zeros(2, 5, 6, dtype=torch.int64))
    tile.set_learning_rate(0.05)
    tile.update(torch.rand(20, 6) - 0.5, torch.rand(20, 5) - 0.5)
    counts = get_pulse_counters(tile)
    assert counts.dtype == torch.int64 and counts.shape == (2, 5, 6)
    assert int(counts.sum()) > 0
    delta = tile.get_weights()[0] - before
    torch.testing.assert_close(delta, 0.01 * (counts[0] - counts[1]).float(), rtol=0, atol=1e-5)


def test_pulse_counters_accumulate_and_survive_state_dict():
    config = SingleRPUConfig(device=_exact_device())
    tile = AnalogTile(3, 4, rpu_config=config)
    tile.update(torch.randn(8, 4), torch.randn(8, 3))
    first = get_pulse_counters(tile)
    tile.update(torch.randn(8, 4), torch.randn(8, 3))
    second = get_pulse_counters(tile)
    assert bool((second >= first).all()) and int(second.sum()) > int(first.sum())
    restored = AnalogTile(3, 4, rpu_config=config)
    restored.load_state_dict(tile.state_dict())
    assert torch.equal(get_pulse_counters(restored), second)


def test_compound_sums_its_counting_devices():
    cell = VectorUnitCell(unit_cell_devices=[_exact_device(), _exact_device()])
    tile = AnalogTile(3, 4, rpu_config=UnitCellRPUConfig(device=cell))
    tile.update(torch.randn(8, 4), torch.randn(8, 3))
    assert get_pulse_counters(tile).shape == (2, 3, 4)
    assert int(get_pulse_counters(tile).sum()) > 0


def test_engine_tile_reports_the_same_counters():
    # aihwkit programs read the counters through the engine object, ``tile.tile``
    tile = AnalogTile(3, 4, rpu_config=SingleRPUConfig(device=_exact_device()))
    tile.update(torch.randn(8, 4), torch.randn(8, 3))
    assert torch.equal(tile.tile.get_pulse_counters(), get_pulse_counters(tile))
    with pytest.raises(ConfigError, match="count_pulses=True"):
        AnalogTile(3, 4).tile.get_pulse_counters()


def test_no_counting_device_raises():
    with pytest.raises(ConfigError, match="count_pulses=True"):
        get_pulse_counters(AnalogTile(3, 4))
    with pytest.raises(ConfigError, match="no analog tile"):
        CostCounters(torch.nn.Linear(3, 4))


def _train(model, steps: int, batch: int, counters: CostCounters) -> list:
    opt = AnalogSGD(model.parameters(), lr=0.05)
    opt.regroup_param_groups(model)
    deltas = []
    for _ in range(steps):
        opt.zero_grad()
        model(torch.randn(batch, 6)).pow(2).sum().backward()
        opt.step()
        deltas.append(counters.step())
    return deltas


@pytest.mark.parametrize("kind", ["floating_point", "inference", "pulsed"])
def test_layer_and_model_counts(kind):
    config = {"floating_point": FloatingPointRPUConfig(),
              "inference": InferenceRPUConfig(),
              "pulsed": SingleRPUConfig(device=_exact_device(),
                                        update=UpdateParameters(desired_bl=5))}[kind]
    model = AnalogSequential(AnalogLinear(6, 4, rpu_config=config), torch.nn.ReLU(),
                             AnalogLinear(4, 3, rpu_config=config))
    counters = CostCounters(model)
    steps, batch = 3, 7
    deltas = _train(model, steps, batch, counters)
    tiles = counters.per_tile()
    first, second = tiles["0.analog_module"], tiles["2.analog_module"]
    assert first["forward_mvms"] == second["forward_mvms"] == steps * batch
    # the first layer's input needs no gradient: no backward MVM there
    assert first["backward_mvms"] == 0 and second["backward_mvms"] == steps * batch
    analog_io = kind != "floating_point"
    # forward ADC: rows x outputs; the inference config's backward is perfect (no ADC)
    backward_adc = steps * batch * 4 if kind == "pulsed" else 0
    assert first["adc_conversions"] == (steps * batch * 4 if analog_io else 0)
    assert second["adc_conversions"] == (steps * batch * 3 if analog_io else 0) + backward_adc
    samples = steps * batch if kind in ("pulsed", "floating_point") else 0
    assert first["update_samples"] == second["update_samples"] == samples
    if kind == "pulsed":
        assert first["pulses"] == int(get_pulse_counters(model[0].analog_module).sum()) > 0
    else:
        assert first["pulses"] is None
    totals = counters.totals()
    assert totals["forward_mvms"] == 2 * steps * batch
    # the per-step deltas add up to the totals
    for key in ("forward_mvms", "backward_mvms", "adc_conversions", "update_samples"):
        assert sum(d[key] for d in deltas) == totals[key]
    counters.reset()
    assert counters.totals()["forward_mvms"] == 0 and counters.history == []
    counters.remove()
    model(torch.randn(2, 6))
    assert counters.totals()["forward_mvms"] == 0


def test_single_layer_and_convolution_rows():
    layer = AnalogLinear(6, 4, rpu_config=InferenceRPUConfig())
    counters = CostCounters(layer)
    with torch.no_grad():
        layer(torch.randn(2, 5, 6))
    assert counters.totals()["forward_mvms"] == 10
    conv = AnalogConv2d(2, 3, kernel_size=3, rpu_config=InferenceRPUConfig(
        forward=IOParameters(is_perfect=True)))
    counters = CostCounters(conv)
    with torch.no_grad():
        conv(torch.randn(4, 2, 6, 6))
    # one MVM per output pixel and image: 4 x 4 x 4; a perfect forward converts nothing
    assert counters.totals()["forward_mvms"] == 4 * 4 * 4
    assert counters.totals()["adc_conversions"] == 0
