"""Buffered, chopped and dynamic transfer against spec 20 §6-§8 and §15 (17-20)."""

import pytest
import torch

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs import (
    BufferedTransferCompound, ChoppedTransferCompound, DynamicTransferCompound)

from compound_helpers import DW, engine, hidden, mean_count, perfect, quiet, t64

PULSE = DW * 1.01


@pytest.mark.parametrize("forget, momentum, expected", [
    (True, 0.1, [0.0002, 0.0008]), (False, 0.1, [0.0002, 0.0035]), (True, 0.0, [0.0, 0.0])])
def test_buffered_transfer(forget, momentum, expected):
    config = BufferedTransferCompound(
        [quiet(), quiet()], transfer_every=1, fast_lr=1.0, forget_buffer=forget,
        momentum=momentum, transfer_forward=perfect(),
        transfer_update=mean_count(5, update_bl_management=False, update_management=False))
    eng = engine(config, 2, 1)
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    eng.update(t64([[1.0]]), t64([[-0.0015, -0.0072]]), 1.0, mean_count())
    assert hidden(eng, "hidden_weights_0")[:, 0].tolist() == pytest.approx([0.002, 0.008])
    assert hidden(eng, "buffered_FP_weight_0")[:, 0].tolist() == pytest.approx(expected)
    # n = [2, 5] steps; without update management BL 5 writes rint(c_d / 5 * 2) = 2 each
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == pytest.approx([0.002, 0.002])
    assert eng.brief_name == "BufferedTransfer(2): ConstantStep -> ConstantStep"
    assert eng.hidden_parameter_names()[-1] == "buffered_FP_weight_0"


def test_buffered_keeps_buffer_on_set_weights():
    config = BufferedTransferCompound([quiet(), quiet()], transfer_forward=perfect())
    eng = engine(config, 2, 1)
    eng.buffers[0].fill_(0.0003)
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    assert torch.all(hidden(eng, "buffered_FP_weight_0") == 0.0003)


def chopped(**fields):
    fields.setdefault("transfer_forward", perfect())
    return ChoppedTransferCompound([quiet(), quiet()], **fields)


def test_chopped_example():
    """Spec 20 §7.4: A, C, H and the input chopper over four calls."""
    config = chopped(transfer_every=1, fast_lr=1.0, transfer_lr=1.0, in_chop_prob=1.0)
    eng = engine(config, 2, 1)
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    fast = [[0.002, 0.001], [0.0, 0.0], [0.002, 0.001], [0.0, 0.0]]
    slow = [[0.001, 0.0], [0.001, 0.0], [0.002, 0.001], [0.002, 0.001]]
    buffer = [[0.0, 0.5], [0.0, 0.5], [0.0, 0.0], [0.0, 0.0]]
    for call in range(4):
        eng.update(t64([[1.0]]), t64([[-0.002, -0.001]]), 0.5, mean_count())
        assert hidden(eng, "hidden_weights_0")[:, 0].tolist() == pytest.approx(fast[call])
        assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == pytest.approx(slow[call])
        assert hidden(eng, "buffered_FP_weight_0")[:, 0].tolist() == pytest.approx(buffer[call])
        assert eng.extra_state()["in_chopper"] == [call % 2 == 0]
    assert torch.equal(eng.get_weights(), hidden(eng, "hidden_weights_1"))


def test_chopped_regular_switching_and_output_chopper():
    eng = engine(chopped(transfer_every=1, in_chop_prob=0.5, in_chop_random=False,
                         out_chop_prob=1.0), 2, 1)
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    in_states, out_states = [], []
    for _ in range(4):
        eng.update(t64([[1.0]]), t64([[-0.002, -0.001]]), 0.5, mean_count())
        in_states.append(eng.in_chopper[0].item())
        out_states.append(eng.out_chopper.tolist())
    # K = 2: the input chopper flips on every second sweep; the outputs after every sweep
    assert in_states == [False, True, True, False]
    assert out_states == [[True, True], [False, False], [True, True], [False, False]]


def test_chopped_sgd_pulses_carry_the_chopper_sign():
    eng = engine(chopped(transfer_every=1000, gamma=0.5), 2, 2)
    eng.set_weights(torch.zeros(2, 2, dtype=torch.float64))
    eng.in_chopper[1] = True
    eng.out_chopper[0] = True
    eng.update(t64([[1.0, 1.0]]), t64([[-0.002, -0.002]]), 0.5, mean_count())
    signs = t64([[1.0, -1.0], [-1.0, 1.0]]) * -1.0  # s_out s_in with s_out[0] = -1
    assert torch.allclose(hidden(eng, "hidden_weights_0"), 0.002 * signs)
    # visible weight de-chops A
    assert torch.allclose(eng.get_weights(), 0.5 * 0.002 * torch.ones(2, 2, dtype=torch.float64))


def test_chopped_validation_and_defaults():
    assert ChoppedTransferCompound().units_in_mbatch is False
    update = ChoppedTransferCompound().transfer_update
    assert update.desired_bl == 1
    assert not update.update_management and not update.update_bl_management
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        engine(ChoppedTransferCompound([quiet(), quiet(), quiet()]), 2, 2)
    with pytest.raises(ConfigError, match="n_reads_per_transfer"):
        engine(chopped(n_reads_per_transfer=2), 2, 2)
    with pytest.raises(ConfigError, match="random_selection"):
        engine(chopped(random_selection=True), 2, 2)


def test_dynamic_warm_up_and_reference():
    config = DynamicTransferCompound([quiet(), quiet()], transfer_every=1, in_chop_prob=0.5,
                                     transfer_forward=perfect(), transfer_lr=1.0, fast_lr=1.0)
    eng = engine(config, 2, 1)
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    assert eng.brief_name == "DynamicTransfer(2): ConstantStep -> ConstantStep"
    assert eng.hidden_parameter_names()[-3:] == [
        "buffered_FP_weight", "running_mean_weight", "past_mean_weight"]
    past_changes = []
    for call in range(8):
        past_before = hidden(eng, "past_mean_weight").clone()
        switched_before = bool(eng.switched[0])
        eng.update(t64([[1.0]]), t64([[-0.004, -0.002]]), 0.5, mean_count())
        changed = not torch.equal(past_before, hidden(eng, "past_mean_weight"))
        past_changes.append(changed)
        assert not changed or switched_before  # Q moves only on the read after a switch
        if eng.sweep <= 3:  # K = 2: no write before N_sweep > 2 at the read
            assert torch.equal(hidden(eng, "hidden_weights_1"),
                               torch.zeros(2, 1, dtype=torch.float64))
    assert any(past_changes)
    assert hidden(eng, "hidden_weights_1").abs().sum() > 0


def test_dynamic_needs_a_chopper_period():
    with pytest.raises(ConfigError, match="in_chop_prob"):
        engine(DynamicTransferCompound([quiet(), quiet()], in_chop_prob=0.0), 2, 2)
