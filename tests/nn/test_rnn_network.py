"""Recurrent layers and ``AnalogRNN``: torch equivalence, dropout, init, state, checks."""

import copy
import io
import math
import warnings

import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.nn import (AnalogGRUCell, AnalogLinear, AnalogLSTMCell,
                        AnalogLSTMCellCombinedWeight, AnalogRNN, AnalogVanillaRNNCell)
from aihwkit.nn.modules.rnn.layers import (AnalogBidirRNNLayer, AnalogReverseRNNLayer,
                                           AnalogRNNLayer)
from aihwkit.nn.modules.rnn.rnn import ModularRNN
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (ConstantStepDevice, FloatingPointRPUConfig,
                                       InferenceRPUConfig, SingleRPUConfig)

F, H, B, T = 3, 4, 2, 5
TORCH_CLASSES = {AnalogLSTMCell: torch.nn.LSTM, AnalogGRUCell: torch.nn.GRU,
                 AnalogVanillaRNNCell: torch.nn.RNN}


def _weights(layer):
    if isinstance(layer, AnalogLinear):
        return layer.get_weights()
    return layer.weight.detach(), None if layer.bias is None else layer.bias.detach()


def _cells(model):
    """``(layer index, direction suffix, cell)`` in torch's parameter naming."""
    for index, layer in enumerate(model.rnn.layers):
        directions = layer.directions if isinstance(layer, AnalogBidirRNNLayer) else [layer]
        for direction, suffix in zip(directions, ("", "_reverse")):
            yield index, suffix, direction.cell


def _torch_twin(model, cell_class, bidir, num_layers, bias=True):
    """A ``torch.nn.LSTM/GRU/RNN`` holding the analog model's weights."""
    reference = TORCH_CLASSES[cell_class](F, H, num_layers=num_layers, bias=bias,
                                          bidirectional=bidir)
    with torch.no_grad():
        for index, suffix, cell in _cells(model):
            for name in ("ih", "hh"):
                weight, b = _weights(getattr(cell, "weight_" + name))
                getattr(reference, f"weight_{name}_l{index}{suffix}").copy_(weight)
                if bias:
                    getattr(reference, f"bias_{name}_l{index}{suffix}").copy_(b)
    return reference


def _final_hidden(states):
    """Final states of an ``AnalogRNN`` as torch's ``h_n`` (and ``c_n``)."""
    flat = []
    for state in states:
        flat.extend(state if isinstance(state, list) else [state])
    if isinstance(flat[0], tuple):
        return torch.stack([s[0] for s in flat]), torch.stack([s[1] for s in flat])
    return torch.stack(flat), None


# ---------------------------------------------------------------------------- layers
def test_forward_layer_is_the_cell_loop():
    layer = AnalogRNNLayer(AnalogLSTMCell, F, H, True, FloatingPointRPUConfig())
    x = torch.randn(T, B, F)
    out, state = layer(x, layer.get_zero_state(B))
    expected_state = layer.cell.get_zero_state(B)
    for step in range(T):
        expected_out, expected_state = layer.cell(x[step], expected_state)
        assert torch.equal(out[step], expected_out)
    assert torch.equal(state.hx, expected_state.hx) and torch.equal(state.cx, expected_state.cx)
    out_default, _ = layer(x)
    assert torch.equal(out_default, out)


def test_reverse_layer_runs_backwards_in_original_order():
    layer = AnalogReverseRNNLayer(AnalogGRUCell, F, H, True, FloatingPointRPUConfig())
    x = torch.randn(T, B, F)
    out, state = layer(x)
    expected = layer.cell.get_zero_state(B)
    for step in reversed(range(T)):
        expected_out, expected = layer.cell(x[step], expected)
        assert torch.equal(out[step], expected_out)
    assert torch.equal(state, expected)  # the state after input[0]
    flipped, _ = AnalogRNNLayer.forward(layer, x.flip(0))
    assert torch.equal(flipped.flip(0), out)


def test_bidirectional_layer():
    layer = AnalogBidirRNNLayer(AnalogVanillaRNNCell, F, H, True, FloatingPointRPUConfig())
    forward, reverse = layer.directions
    assert isinstance(forward, AnalogRNNLayer) and isinstance(reverse, AnalogReverseRNNLayer)
    assert layer.analog_tile_count() == 4
    x = torch.randn(T, B, F)
    out, states = layer(x)
    out_f, state_f = forward(x)
    out_r, state_r = reverse(x)
    assert out.shape == (T, B, 2 * H)
    assert torch.equal(out, torch.cat((out_f, out_r), -1))
    assert isinstance(states, list) and torch.equal(states[0], state_f)
    assert torch.equal(states[1], state_r)
    assert not torch.equal(out_f, out_r)  # two cells with their own weights
    with pytest.raises(ArgumentError, match="forward state, reverse state"):
        layer(x, [state_f])


# ---------------------------------------------------------------------------- AnalogRNN
@pytest.mark.parametrize("cell_class", list(TORCH_CLASSES))
@pytest.mark.parametrize("bidir", [False, True])
def test_analog_rnn_matches_torch(cell_class, bidir):
    model = AnalogRNN(cell_class, F, H, rpu_config=FloatingPointRPUConfig(), num_layers=2,
                      bidir=bidir)
    reference = _torch_twin(model, cell_class, bidir, 2)
    x = torch.randn(T, B, F)
    out, states = model(x)
    ref_out, ref_state = reference(x)
    dirs = 2 if bidir else 1
    assert out.shape == (T, B, dirs * H) and len(states) == 2
    torch.testing.assert_close(out, ref_out, rtol=0, atol=1e-5)
    h_n, c_n = _final_hidden(states)
    if cell_class is AnalogLSTMCell:
        torch.testing.assert_close(h_n, ref_state[0], rtol=0, atol=1e-5)
        torch.testing.assert_close(c_n, ref_state[1], rtol=0, atol=1e-5)
    else:
        torch.testing.assert_close(h_n, ref_state, rtol=0, atol=1e-5)


def test_analog_rnn_without_bias_and_digital_cells_match_torch():
    model = AnalogRNN(AnalogLSTMCell, F, H, bias=False, num_layers=2)
    assert model.analog_tile_count() == 0  # rpu_config=None: torch.nn.Linear
    reference = _torch_twin(model, AnalogLSTMCell, False, 2, bias=False)
    x = torch.randn(T, B, F)
    torch.testing.assert_close(model(x)[0], reference(x)[0], rtol=0, atol=1e-5)


def test_combined_weight_rnn_matches_torch():
    model = AnalogRNN(AnalogLSTMCellCombinedWeight, F, H, rpu_config=FloatingPointRPUConfig(),
                      num_layers=2, bidir=True)
    reference = torch.nn.LSTM(F, H, num_layers=2, bidirectional=True)
    with torch.no_grad():
        for index, suffix, cell in _cells(model):
            weight, bias = cell.weight.get_weights()
            in_size = weight.shape[1] - H
            getattr(reference, f"weight_ih_l{index}{suffix}").copy_(weight[:, :in_size])
            getattr(reference, f"weight_hh_l{index}{suffix}").copy_(weight[:, in_size:])
            getattr(reference, f"bias_ih_l{index}{suffix}").copy_(bias)
            getattr(reference, f"bias_hh_l{index}{suffix}").zero_()
    x = torch.randn(T, B, F)
    torch.testing.assert_close(model(x)[0], reference(x)[0], rtol=0, atol=1e-5)


def test_structure_and_given_states():
    model = AnalogRNN(AnalogLSTMCell, F, H, rpu_config=FloatingPointRPUConfig(), num_layers=3,
                      bidir=True)
    assert isinstance(model.rnn, ModularRNN) and len(model.rnn.layers) == 3
    assert model.analog_tile_count() == 12
    second = model.rnn.layers[1].directions[0].cell
    assert second.weight_ih.in_features == 2 * H  # later layers take both directions
    names = list(model.get_weights())
    assert names[0] == "rnn.layers.0.directions.0.cell.weight_ih.analog_module"
    x = torch.randn(T, B, F)
    states = model.get_zero_state(B)
    assert len(states) == 3 and len(states[0]) == 2
    states[0][1] = type(states[0][1])(torch.randn(B, H), torch.randn(B, H))
    out_given, _ = model(x, states)
    out_zero, _ = model(x)
    assert not torch.allclose(out_given, out_zero)
    # in layer 0 only the reverse direction starts from a different state
    first_given, _ = model.rnn.layers[0](x, states[0])
    first_zero, _ = model.rnn.layers[0](x)
    assert torch.equal(first_given[..., :H], first_zero[..., :H])
    assert not torch.allclose(first_given[..., H:], first_zero[..., H:])


def test_dropout_between_layers_only():
    model = AnalogRNN(AnalogGRUCell, F, H, rpu_config=FloatingPointRPUConfig(), num_layers=2,
                      dropout=1.0)
    x = torch.randn(T, B, F)
    model.eval()
    reference = _torch_twin(model, AnalogGRUCell, False, 2)
    torch.testing.assert_close(model(x)[0], reference(x)[0], rtol=0, atol=1e-5)
    model.train()
    # dropout 1 zeroes the first layer's outputs: the second layer then sees zeros
    out, _ = model(x)
    expected, _ = model.rnn.layers[1](torch.zeros(T, B, H))
    assert torch.equal(out, expected)


def test_dropout_with_one_layer_warns_and_is_unused():
    with pytest.warns(UserWarning, match="num_layers=1"):
        model = AnalogRNN(AnalogVanillaRNNCell, F, H, rpu_config=FloatingPointRPUConfig(),
                          dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AnalogRNN(AnalogVanillaRNNCell, F, H, rpu_config=FloatingPointRPUConfig(),
                  num_layers=2, dropout=0.5)
    x = torch.randn(T, B, F)
    model.train()
    out, _ = model(x)
    model.eval()
    assert torch.equal(out, model(x)[0])  # no dropout after the last layer


# ---------------------------------------------------------------------------- init
def _all_weights(model):
    """``(weight, bias)`` of every linear map."""
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            yield _weights(module)


def _check_uniform(values, bound):
    """``values`` look like ``U(-bound, bound)``: all inside, mean square ``bound²/3``.

    For ``U(-a, a)``: ``E[x²] = a²/3``, ``Var[x²] = a⁴/5 - a⁴/9 = 4a⁴/45``; the mean square of
    ``n`` draws is within 4 standard errors ``4·sqrt(4/45)·a²/sqrt(n)``. With n >= 2000 that is
    within 8% of ``a²/3``, while a 10% error in ``a`` shifts ``a²/3`` by 21%.
    """
    assert values.abs().max() <= bound + 1e-7
    mean_square = float((values ** 2).mean())
    tolerance = 4 * math.sqrt(4 / 45) * bound ** 2 / math.sqrt(values.numel())
    assert abs(mean_square - bound ** 2 / 3) < tolerance, (mean_square, bound ** 2 / 3)


@pytest.mark.parametrize("rpu_config", [FloatingPointRPUConfig(), None],
                         ids=["analog_fp", "digital"])
def test_default_init_is_uniform_in_one_over_sqrt_hidden(rpu_config):
    hidden = 25
    model = AnalogRNN(AnalogLSTMCell, 20, hidden, rpu_config=rpu_config)
    values = torch.cat([torch.cat((w.flatten(), b)) for w, b in _all_weights(model)])
    assert values.numel() == 100 * 20 + 100 * 25 + 2 * 100
    _check_uniform(values, 1 / math.sqrt(hidden))


@pytest.mark.parametrize("rpu_config", [FloatingPointRPUConfig(), None],
                         ids=["analog_fp", "digital"])
def test_xavier_init(rpu_config):
    model = AnalogRNN(AnalogLSTMCell, 20, 25, rpu_config=rpu_config, xavier=True)
    for weight, bias in _all_weights(model):
        assert not bias.any()
        fan_out, fan_in = weight.shape
        _check_uniform(weight, math.sqrt(6 / (fan_in + fan_out)))


def test_uniform_check_has_power():
    """A bound mis-set by 10% fails the mean-square check (the values stay inside)."""
    _check_uniform(torch.empty(2500).uniform_(-1.0, 1.0), 1.0)
    with pytest.raises(AssertionError):
        _check_uniform(torch.empty(2500).uniform_(-0.9, 0.9), 1.0)


def test_init_layers_with_custom_functions():
    model = AnalogRNN(AnalogGRUCell, F, H, rpu_config=FloatingPointRPUConfig())
    model.init_layers(lambda w: torch.nn.init.constant_(w, 0.25))
    for weight, bias in _all_weights(model):
        assert torch.all(weight == 0.25) and torch.all(bias == 0.25)
    model.init_layers(lambda w: torch.nn.init.constant_(w, 0.5), torch.nn.init.zeros_)
    for weight, bias in _all_weights(model):
        assert torch.all(weight == 0.5) and not bias.any()


# ---------------------------------------------------------------------------- state
def _perfect_pulsed():
    config = SingleRPUConfig(device=ConstantStepDevice())
    config.forward.is_perfect = True
    return config


@pytest.mark.parametrize("rpu_config", [FloatingPointRPUConfig(), _perfect_pulsed()],
                         ids=["fp", "constant_step"])
def test_state_dict_round_trip(rpu_config):
    torch.manual_seed(1)
    model = AnalogRNN(AnalogLSTMCell, F, H, rpu_config=rpu_config, num_layers=2, bidir=True)
    torch.manual_seed(2)
    other = AnalogRNN(AnalogLSTMCell, F, H, rpu_config=rpu_config, num_layers=2, bidir=True)
    x = torch.randn(T, B, F)
    model.eval()
    other.eval()
    expected, _ = model(x)
    assert not torch.equal(other(x)[0], expected)
    other.load_state_dict(model.state_dict())
    assert torch.equal(other(x)[0], expected)
    for (name, tile), (_, twin) in zip(model.named_analog_tiles(), other.named_analog_tiles()):
        for key, value in tile.get_hidden_parameters().items():
            assert torch.equal(value, twin.get_hidden_parameters()[key]), (name, key)


# ---------------------------------------------------------------------------- checks
def test_bad_inputs_and_arguments():
    model = AnalogRNN(AnalogLSTMCell, F, H, rpu_config=FloatingPointRPUConfig(), num_layers=2)
    with pytest.raises(ArgumentError, match="3 features"):
        model(torch.randn(T, B, F + 1))
    with pytest.raises(ArgumentError, match="time-major"):
        model(torch.randn(B, F))
    with pytest.raises(ArgumentError, match="time-major"):
        model(torch.randn(0, B, F))
    with pytest.raises(ArgumentError, match="torch.Tensor"):
        model("sequence")
    with pytest.raises(ArgumentError, match="one state per layer"):
        model(torch.randn(T, B, F), model.get_zero_state(B)[:1])
    with pytest.raises(ArgumentError, match="time-major"):
        model.rnn.layers[0](torch.randn(B, F))
    for kwargs in ({"num_layers": 0}, {"dropout": 1.5}, {"dropout": -0.1},
                   {"dropout": "0.2"}, {"hidden_size": 0}, {"input_size": 1.5}):
        arguments = {"cell": AnalogLSTMCell, "input_size": F, "hidden_size": H,
                     "rpu_config": FloatingPointRPUConfig(), **kwargs}
        with pytest.raises(ArgumentError):
            AnalogRNN(**arguments)
    with pytest.raises(ArgumentError, match="cell must be a torch.nn.Module class"):
        AnalogRNN(AnalogLSTMCell(F, H, True), F, H)


# ---------------------------------------------------------------------------- gradients
def _analog_linears(model):
    """``(torch parameter stem, AnalogLinear)`` for each matrix of an ``AnalogRNN``."""
    for index, suffix, cell in _cells(model):
        for name in ("ih", "hh"):
            yield f"{name}_l{index}{suffix}", getattr(cell, "weight_" + name)


def _perfect_inference():
    config = InferenceRPUConfig()
    config.forward.is_perfect = True
    return config


@pytest.mark.parametrize("cell_class", [AnalogLSTMCell, AnalogGRUCell])
@pytest.mark.parametrize("rpu_config", [FloatingPointRPUConfig(), _perfect_inference()],
                         ids=["fp", "inference"])
def test_gradients_and_sgd_step_match_torch(cell_class, rpu_config):
    """A floating point tile stores one (input, output gradient) pair per time step and
    AnalogSGD applies their summed outer products, which is torch's weight gradient; an
    inference tile's weights get the same sum through autograd."""
    model = AnalogRNN(cell_class, F, H, rpu_config=rpu_config, num_layers=2, bidir=True)
    reference = _torch_twin(model, cell_class, True, 2)
    x = torch.randn(T, B, F)
    target = torch.randn(T, B, 2 * H)
    x_analog = x.clone().requires_grad_(True)
    x_torch = x.clone().requires_grad_(True)
    (model(x_analog)[0] * target).sum().backward()
    (reference(x_torch)[0] * target).sum().backward()
    torch.testing.assert_close(x_analog.grad, x_torch.grad, rtol=0, atol=1e-5)
    params = dict(reference.named_parameters())
    for stem, layer in _analog_linears(model):
        ctx = layer.analog_module.analog_ctx
        if ctx.use_torch_update:
            assert not ctx.has_gradient()
            continue
        assert len(ctx.analog_input) == T and len(ctx.analog_grad_output) == T
        grad = sum(d.t() @ inp for inp, d in zip(ctx.analog_input, ctx.analog_grad_output))
        torch.testing.assert_close(grad, params["weight_" + stem].grad, rtol=0, atol=1e-5)
        torch.testing.assert_close(layer.analog_module.bias.grad, params["bias_" + stem].grad,
                                   rtol=0, atol=1e-5)

    optimizer = AnalogSGD(model.parameters(), lr=0.1)
    optimizer.regroup_param_groups(model)
    optimizer.step()
    torch.optim.SGD(reference.parameters(), lr=0.1).step()
    for stem, layer in _analog_linears(model):
        weight, bias = layer.get_weights()
        torch.testing.assert_close(weight, params["weight_" + stem].detach(), rtol=0,
                                   atol=1e-5)
        torch.testing.assert_close(bias, params["bias_" + stem].detach(), rtol=0, atol=1e-5)
        assert not layer.analog_module.analog_ctx.has_gradient()


def test_split_tiles_match_torch_and_pickle():
    """Matrices larger than the tile limits go to tile arrays; results do not change."""
    config = FloatingPointRPUConfig()
    config.mapping.max_input_size = 3
    config.mapping.max_output_size = 5
    model = AnalogRNN(AnalogLSTMCell, F, H, rpu_config=config, num_layers=2)
    # weight_ih [16, 3] -> 1 x 4 tiles, weight_hh [16, 4] -> 2 x 4 tiles, per layer; the
    # second layer's weight_ih sees 4 inputs as well
    assert model.analog_tile_count() == 4 + 8 + 8 + 8
    reference = _torch_twin(model, AnalogLSTMCell, False, 2)
    x = torch.randn(T, B, F)
    out, _ = model(x)
    torch.testing.assert_close(out, reference(x)[0], rtol=0, atol=1e-5)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    assert torch.equal(restored(x)[0], out)
    assert torch.equal(copy.deepcopy(model)(x)[0], out)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_zero_states_and_results():
    model = AnalogRNN(AnalogLSTMCell, F, H, rpu_config=FloatingPointRPUConfig(), bidir=True)
    x = torch.randn(T, B, F)
    expected, _ = model(x)
    model.cuda()
    state = model.get_zero_state(B)[0][1]
    assert state.hx.is_cuda and state.cx.is_cuda
    out, _ = model(x.cuda())
    torch.testing.assert_close(out.cpu(), expected, rtol=0, atol=1e-5)
