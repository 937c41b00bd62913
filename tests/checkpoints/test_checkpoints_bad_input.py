"""Bad input never breaks a model (regressions of reported failures)."""

import pytest
import torch

from aihwkit.exceptions import AihwkitException, ArgumentError, ConfigError, TileError
from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.presets import TikiTakaEcRamPreset

from checkpoint_helpers import same, snapshot

NAN = float("nan")


def _opt(layer, lr=0.1):
    opt = AnalogSGD(layer.parameters(), lr=lr)
    opt.regroup_param_groups(layer)
    return opt


def test_nan_loss_raises_clears_traces_keeps_digital_bias_and_training_goes_on():
    torch.manual_seed(0)
    layer = AnalogLinear(4, 3, bias=True, rpu_config=SingleRPUConfig())
    opt = _opt(layer)
    x = torch.rand(2, 4)
    opt.zero_grad()
    (layer(x).sum() * NAN).backward()
    before = snapshot(layer)  # forward/backward noise draws advanced the generator
    with pytest.raises(TileError, match="NaN or infinite"):
        opt.step()
    assert same(before, snapshot(layer))  # digital bias included
    assert not layer.analog_module.analog_ctx.has_gradient()
    for _ in range(2):  # the next good batches train normally
        opt.zero_grad()
        (layer(x) ** 2).sum().backward()
        opt.step()
    weight, bias = layer.get_weights()
    assert torch.isfinite(weight).all() and torch.isfinite(bias).all()
    assert not same(before, snapshot(layer))


def test_nan_input_is_refused_before_the_forward():
    layer = AnalogLinear(4, 3, rpu_config=InferenceRPUConfig())
    before = snapshot(layer)
    with pytest.raises(TileError, match="x holds NaN"):
        layer(torch.tensor([[0.0, NAN, 0.0, 0.0]]))
    with pytest.raises(TileError, match="x holds NaN"):
        layer(torch.tensor([[0.0, float("inf"), 0.0, 0.0]]))
    assert same(before, snapshot(layer))


@pytest.mark.parametrize("bad", [NAN, float("inf")])
def test_nan_input_of_a_tile_array_is_refused_before_any_tile_runs(bad):
    """A tile array tests its whole input once: a NaN in the last input split is refused
    before the first split's tiles step their input-range estimate."""
    config = InferenceRPUConfig(
        mapping=MappingParameter(max_input_size=3, max_output_size=2))
    config.pre_post.input_range.enable = True
    layer = AnalogLinear(7, 5, rpu_config=config)
    assert layer.analog_module.analog_tile_count == 9   # inputs 3+2+2, outputs 2+2+1
    layer.train()
    before = snapshot(layer)
    x = torch.rand(4, 7)
    x[1, 6] = bad
    with pytest.raises(TileError, match="x holds"):
        layer(x)
    assert same(before, snapshot(layer))


def test_stored_inputs_changed_after_the_backward_are_tested_again():
    """Inputs the forward found finite are not tested again by the step, unless they
    were changed in place (or replaced) after the backward."""
    torch.manual_seed(0)
    layer = AnalogLinear(4, 3, rpu_config=SingleRPUConfig())
    opt = _opt(layer)
    ctx = layer.analog_module.analog_ctx
    x = torch.rand(2, 4)
    opt.zero_grad()
    layer(x).sum().backward()
    assert ctx.unchecked_inputs() == []
    x[0, 1] = NAN                     # the stored trace is x itself
    assert len(ctx.unchecked_inputs()) == 1
    before = snapshot(layer)
    with pytest.raises(TileError, match="stored inputs"):
        opt.step()
    assert same(before, snapshot(layer))
    opt.zero_grad()
    layer(torch.rand(2, 4)).sum().backward()
    ctx.analog_input[0] = torch.full((2, 4), NAN)      # replaced: not known finite
    with pytest.raises(TileError, match="stored inputs"):
        opt.step()


def test_nan_digital_gradient_is_refused_before_any_step():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), AnalogLinear(4, 2))
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    opt.zero_grad()
    model(torch.rand(2, 3)).sum().backward()
    model[0].weight.grad[0, 0] = NAN
    before = snapshot(model)
    with pytest.raises(TileError, match="digital parameter"):
        opt.step()
    assert same(before, snapshot(model))
    assert not model[1].analog_module.analog_ctx.has_gradient()


@pytest.mark.parametrize("bad", [torch.rand(6, 4), torch.rand(24), torch.rand(1, 4, 6)],
                         ids=["transposed", "flat", "extra-dim"])
def test_set_weights_accepts_exactly_out_by_in(bad):
    tile = AnalogLinear(6, 4).analog_module
    before = snapshot(tile)
    with pytest.raises(TileError, match="expected exactly"):
        tile.set_weights(bad)
    assert same(before, snapshot(tile))


def test_set_weights_with_nan_is_refused():
    tile = AnalogLinear(6, 4).analog_module
    weights = torch.rand(4, 6)
    weights[1, 1] = NAN
    with pytest.raises(TileError, match="weight holds NaN"):
        tile.set_weights(weights)


@pytest.mark.parametrize("call,name", [
    (lambda t: t.set_learning_rate(NAN), "learning_rate"),
    (lambda t: t.set_learning_rate(-1.0), "learning_rate"),
    (lambda t: t.set_learning_rate("0.1"), "learning_rate"),
    (lambda t: t.decay_weights(NAN), "alpha"),
    (lambda t: t.drift_weights(float("inf")), "delta_t"),
    (lambda t: t.reset_columns(0, 1, 1.5), "reset_prob"),
    (lambda t: t.reset_columns(0.5, 1, 1.0), "start_column_idx"),
    (lambda t: t.tile.set_learning_rate(NAN), "learning_rate"),
    (lambda t: t.tile.decay_weights(NAN), "alpha"),
], ids=["lr-nan", "lr-negative", "lr-string", "decay-nan", "drift-inf", "reset-prob",
        "reset-index", "engine-lr", "engine-decay"])
def test_numeric_setters_reject_bad_values_naming_the_argument(call, name):
    tile = AnalogLinear(4, 3).analog_module
    before = snapshot(tile)
    with pytest.raises(ArgumentError, match=name):
        call(tile)
    assert same(before, snapshot(tile))


def test_analog_sgd_rejects_a_nan_learning_rate():
    layer = AnalogLinear(4, 3)
    with pytest.raises(ArgumentError, match="lr"):
        AnalogSGD(layer.parameters(), lr=NAN)
    opt = _opt(layer)
    with pytest.raises(ArgumentError, match="learning_rate"):
        opt.set_learning_rate(float("inf"))
    opt.param_groups[0]["lr"] = NAN
    opt.zero_grad()
    layer(torch.rand(2, 4)).sum().backward()
    before = snapshot(layer)
    with pytest.raises(ArgumentError, match="lr"):
        opt.step()
    assert same(before, snapshot(layer))


def test_config_fields_are_checked_when_the_tile_is_built():
    config = TikiTakaEcRamPreset()
    config.device.transfer_every = NAN
    with pytest.raises(ConfigError, match="transfer_every"):
        AnalogLinear(4, 3, rpu_config=config)
    config = TikiTakaEcRamPreset()
    config.device.units_in_mbatch = "yes"
    with pytest.raises(ConfigError, match="units_in_mbatch"):
        AnalogLinear(4, 3, rpu_config=config)
    config = SingleRPUConfig()
    config.forward.out_noise = "0.1"
    with pytest.raises(ConfigError, match="out_noise"):
        AnalogLinear(4, 3, rpu_config=config)


def test_set_weights_of_a_layer_without_bias_ignores_the_bias():
    layer = AnalogLinear(4, 3, bias=False)
    weight = torch.rand(3, 4) - 0.5
    layer.set_weights(weight, torch.ones(3))
    got, bias = layer.get_weights()
    assert bias is None
    assert torch.allclose(got, weight, atol=1e-6)


def test_drift_compensation_alpha_is_a_scalar_and_checkpoints_load_both_ways():
    torch.manual_seed(0)
    layer = AnalogLinear(4, 3, rpu_config=InferenceRPUConfig())
    fresh_state = layer.state_dict()
    assert fresh_state["analog_module.alpha"].shape == (1,)  # as in aihwkit 1.1.0
    layer.eval()
    layer.drift_analog_weights(1000.0)
    alpha = layer.analog_module.alpha
    assert alpha.dim() == 0
    assert f"{alpha:.3f}" == f"{alpha.item():.3f}"
    other = AnalogLinear(4, 3, rpu_config=InferenceRPUConfig())
    other.load_state_dict(layer.state_dict())
    assert torch.equal(other.analog_module.alpha, alpha)
    layer.load_state_dict(fresh_state)
    assert layer.analog_module.alpha.shape == (1,)


def test_update_with_non_finite_errors_is_refused():
    tile = AnalogLinear(4, 3).analog_module
    before = snapshot(tile)
    d = torch.rand(2, 3)
    d[0, 0] = NAN
    with pytest.raises(AihwkitException, match="d holds NaN"):
        tile.update(torch.rand(2, 4), d)
    assert same(before, snapshot(tile))
