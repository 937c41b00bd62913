"""Analog recurrent cells: equations, torch equivalence, defaults and input checks."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.nn import (AnalogGRUCell, AnalogLinear, AnalogLSTMCell,
                        AnalogLSTMCellCombinedWeight, AnalogVanillaRNNCell)
from aihwkit.nn.modules.rnn.cells import LSTMState
from aihwkit.simulator.configs import FloatingPointRPUConfig
from aihwkit.simulator.tiles.floating_point import FloatingPointTile

F, H, B = 4, 5, 3


def _weights(layer):
    """``(W, b)`` of an analog or digital linear map (``b`` zeros without bias)."""
    if isinstance(layer, AnalogLinear):
        weight, bias = layer.get_weights()
    else:
        weight, bias = layer.weight.detach(), layer.bias
        bias = None if bias is None else bias.detach()
    if bias is None:
        bias = torch.zeros(weight.shape[0])
    return weight, bias


def _affine(layer, x):
    weight, bias = _weights(layer)
    return x @ weight.t() + bias


def _load_torch_cell(reference, cell):
    """Copy ``weight_ih`` / ``weight_hh`` of an analog cell into a torch cell."""
    with torch.no_grad():
        for name in ("ih", "hh"):
            weight, bias = _weights(getattr(cell, "weight_" + name))
            getattr(reference, "weight_" + name).copy_(weight)
            getattr(reference, "bias_" + name).copy_(bias)
    return reference


def _inputs():
    return torch.randn(B, F), torch.randn(B, H), torch.randn(B, H)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("rpu_config", [FloatingPointRPUConfig(), None],
                         ids=["analog_fp", "digital"])
def test_vanilla_cell_equations(bias, rpu_config):
    cell = AnalogVanillaRNNCell(F, H, bias, rpu_config)
    x, h, _ = _inputs()
    out, state = cell(x, h)
    expected = torch.tanh(_affine(cell.weight_ih, x) + _affine(cell.weight_hh, h))
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)
    assert state is out
    reference = _load_torch_cell(torch.nn.RNNCell(F, H, nonlinearity="tanh"), cell)
    torch.testing.assert_close(out, reference(x, h), rtol=0, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("rpu_config", [FloatingPointRPUConfig(), None],
                         ids=["analog_fp", "digital"])
def test_lstm_cell_equations(bias, rpu_config):
    cell = AnalogLSTMCell(F, H, bias, rpu_config)
    x, h, c = _inputs()
    out, state = cell(x, (h, c))
    gates = _affine(cell.weight_ih, x) + _affine(cell.weight_hh, h)
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_new = torch.sigmoid(o) * torch.tanh(c_new)
    assert isinstance(state, LSTMState)
    torch.testing.assert_close(out, h_new, rtol=0, atol=1e-5)
    torch.testing.assert_close(state.hx, h_new, rtol=0, atol=1e-5)
    torch.testing.assert_close(state.cx, c_new, rtol=0, atol=1e-5)
    ref_h, ref_c = _load_torch_cell(torch.nn.LSTMCell(F, H), cell)(x, (h, c))
    torch.testing.assert_close(state.hx, ref_h, rtol=0, atol=1e-5)
    torch.testing.assert_close(state.cx, ref_c, rtol=0, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_combined_weight_cell_equations(bias):
    cell = AnalogLSTMCellCombinedWeight(F, H, bias, FloatingPointRPUConfig())
    assert cell.weight.in_features == F + H and cell.weight.out_features == 4 * H
    x, h, c = _inputs()
    out, (hx, cx) = cell(x, LSTMState(h, c))
    weight, b = _weights(cell.weight)
    gates = torch.cat((x, h), 1) @ weight.t() + b
    i, f, g, o = gates.chunk(4, 1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    torch.testing.assert_close(cx, c_new, rtol=0, atol=1e-5)
    torch.testing.assert_close(out, torch.sigmoid(o) * torch.tanh(c_new), rtol=0, atol=1e-5)
    # the same as torch's LSTMCell with W_ih = W[:, :F], W_hh = W[:, F:]
    reference = torch.nn.LSTMCell(F, H)
    with torch.no_grad():
        reference.weight_ih.copy_(weight[:, :F])
        reference.weight_hh.copy_(weight[:, F:])
        reference.bias_ih.copy_(b)
        reference.bias_hh.zero_()
    ref_h, ref_c = reference(x, (h, c))
    torch.testing.assert_close(hx, ref_h, rtol=0, atol=1e-5)
    torch.testing.assert_close(cx, ref_c, rtol=0, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_gru_cell_equations(bias):
    cell = AnalogGRUCell(F, H, bias, FloatingPointRPUConfig())
    x, h, _ = _inputs()
    out, state = cell(x, h)
    i_r, i_z, i_n = _affine(cell.weight_ih, x).chunk(3, 1)
    h_r, h_z, h_n = _affine(cell.weight_hh, h).chunk(3, 1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    torch.testing.assert_close(out, n + z * (h - n), rtol=0, atol=1e-5)
    assert state is out
    # torch's GRUCell stacks its chunks as (r, z, n) and computes h' = (1 - z) n + z h:
    # the weights map one to one
    reference = _load_torch_cell(torch.nn.GRUCell(F, H), cell)
    torch.testing.assert_close(out, reference(x, h), rtol=0, atol=1e-5)


def test_gru_chunk_order_matters():
    """Swapping the reset and update chunks changes the result (the test above can fail)."""
    cell = AnalogGRUCell(F, H, True, FloatingPointRPUConfig())
    x, h, _ = _inputs()
    out, _ = cell(x, h)
    reference = _load_torch_cell(torch.nn.GRUCell(F, H), cell)
    with torch.no_grad():
        for param in (reference.weight_ih, reference.weight_hh, reference.bias_ih,
                      reference.bias_hh):
            r_part, z_part, n_part = param.data.chunk(3, 0)
            param.copy_(torch.cat((z_part, r_part, n_part), 0))
    assert (out - reference(x, h)).abs().max() > 1e-3


@pytest.mark.parametrize("cell_class, torch_class", [
    (AnalogVanillaRNNCell, torch.nn.RNNCell), (AnalogLSTMCell, torch.nn.LSTMCell),
    (AnalogGRUCell, torch.nn.GRUCell)])
def test_cells_follow_torch_over_several_steps(cell_class, torch_class):
    cell = cell_class(F, H, True, FloatingPointRPUConfig())
    reference = _load_torch_cell(torch_class(F, H), cell)
    state = cell.get_zero_state(B)
    ref_state = None
    for _ in range(4):
        x = torch.randn(B, F)
        out, state = cell(x, state)
        ref_state = reference(x, ref_state)
        ref_out = ref_state[0] if isinstance(ref_state, tuple) else ref_state
        torch.testing.assert_close(out, ref_out, rtol=0, atol=1e-5)


def test_default_rpu_configs():
    for cell_class in (AnalogVanillaRNNCell, AnalogLSTMCell):
        cell = cell_class(F, H, True)
        assert type(cell.weight_ih) is torch.nn.Linear  # pylint: disable=unidiomatic-typecheck
        assert type(cell.weight_hh) is torch.nn.Linear  # pylint: disable=unidiomatic-typecheck
        assert cell.analog_tile_count() == 0
    combined = AnalogLSTMCellCombinedWeight(F, H, False)
    assert type(combined.weight) is torch.nn.Linear  # pylint: disable=unidiomatic-typecheck
    assert combined.weight.bias is None
    gru = AnalogGRUCell(F, H, True)
    for layer in (gru.weight_ih, gru.weight_hh):
        assert isinstance(layer, AnalogLinear)
        assert type(layer.analog_module.rpu_config).__name__ == "InferenceRPUConfig"
    assert gru.analog_tile_count() == 2


def test_each_matrix_has_its_own_tile():
    cell = AnalogLSTMCell(F, H, True, FloatingPointRPUConfig())
    tiles = dict(cell.named_analog_tiles())
    assert list(tiles) == ["weight_ih.analog_module", "weight_hh.analog_module"]
    assert tiles["weight_ih.analog_module"] is not tiles["weight_hh.analog_module"]
    assert isinstance(tiles["weight_hh.analog_module"], FloatingPointTile)
    assert (tiles["weight_ih.analog_module"].out_size,
            tiles["weight_ih.analog_module"].in_size) == (4 * H, F)
    assert (tiles["weight_hh.analog_module"].out_size,
            tiles["weight_hh.analog_module"].in_size) == (4 * H, H)
    assert set(cell.get_weights()) == set(tiles)


def test_tile_module_class_is_passed_on_and_needs_a_config():
    cell = AnalogVanillaRNNCell(F, H, True, FloatingPointRPUConfig(), FloatingPointTile)
    assert isinstance(cell.weight_ih.analog_module, FloatingPointTile)
    with pytest.raises(ArgumentError, match="tile_module_class needs an rpu_config"):
        AnalogLSTMCell(F, H, True, None, FloatingPointTile)


@pytest.mark.parametrize("cell_class", [AnalogVanillaRNNCell, AnalogLSTMCell,
                                        AnalogLSTMCellCombinedWeight, AnalogGRUCell])
def test_zero_state_follows_dtype_and_none_state(cell_class):
    cell = cell_class(F, H, True, FloatingPointRPUConfig()).to(torch.float64)
    state = cell.get_zero_state(B)
    tensors = state if isinstance(state, tuple) else (state,)
    for tensor in tensors:
        assert tensor.shape == (B, H) and tensor.dtype == torch.float64
        assert not tensor.any()
    x = torch.randn(B, F, dtype=torch.float64)
    out_none, _ = cell(x)
    out_zero, _ = cell(x, state)
    assert torch.equal(out_none, out_zero)
    digital = cell_class(F, H, True).double() if cell_class is not AnalogGRUCell else None
    if digital is not None:
        assert digital.get_zero_state(2)[0].dtype == torch.float64


@pytest.mark.parametrize("cell_class", [AnalogVanillaRNNCell, AnalogLSTMCell,
                                        AnalogLSTMCellCombinedWeight, AnalogGRUCell])
def test_bad_input_and_arguments(cell_class):
    cell = cell_class(F, H, True, FloatingPointRPUConfig())
    with pytest.raises(ArgumentError, match=r"\[batch, 4\]"):
        cell(torch.randn(B, F + 1))
    with pytest.raises(ArgumentError, match=r"\[batch, 4\]"):
        cell(torch.randn(2, B, F))
    with pytest.raises(ArgumentError, match="torch.Tensor"):
        cell([[0.0] * F])
    with pytest.raises(ArgumentError, match="batch_size"):
        cell.get_zero_state(0)
    x = torch.randn(B, F)
    if isinstance(cell.get_zero_state(B), tuple):
        with pytest.raises(ArgumentError, match=r"pair \(hx, cx\)"):
            cell(x, torch.zeros(2, H))
        with pytest.raises(ArgumentError, match=r"cx must be a tensor of shape \[3, 5\]"):
            cell(x, (torch.zeros(B, H), torch.zeros(1, H)))
    else:
        with pytest.raises(ArgumentError, match=r"state must be a tensor of shape \[3, 5\]"):
            cell(x, torch.zeros(1, H))
    for args in ((0, H, True), (F, 2.5, True), (F, H, 1), (True, H, True)):
        with pytest.raises(ArgumentError):
            cell_class(*args, FloatingPointRPUConfig())
    with pytest.raises(TypeError):
        cell_class(F, H)  # pylint: disable=no-value-for-parameter


def test_repr():
    text = repr(AnalogLSTMCell(F, H, False, FloatingPointRPUConfig()))
    # like aihwkit, the cell prints only its sub-layers
    assert text.startswith("AnalogLSTMCell(\n  (weight_ih): AnalogLinear(\n    in_features=4, "
                           "out_features=20, bias=False, FloatingPointRPUConfig")
    assert "FloatingPointRPUConfig" in text
