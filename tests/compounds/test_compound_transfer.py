"""TransferCompound (Tiki-Taka) against the closed forms of spec 20 §5 and §15 (8-16)."""

import pytest
import torch

from aihwkit.simulator.configs import TransferCompound, UpdateParameters

from compound_helpers import DW, engine, hidden, mean_count, perfect, quiet, t64

# +-1 pulse per element is allowed for the rounding of the deterministic counts
PULSE = DW * 1.01


def tiki_taka(n_devices=2, **fields):
    fields.setdefault("transfer_forward", perfect())
    fields.setdefault("transfer_update", mean_count())
    return TransferCompound([quiet() for _ in range(n_devices)], **fields)


def test_gamma_and_periods_at_construction():
    eng = engine(tiki_taka(3, gamma=0.5, transfer_every=2, n_reads_per_transfer=2), 4, 6)
    assert eng.gamma == [0.25, 0.5, 1.0]
    assert [eng.transfer_period(k, 1) for k in range(3)] == [2, 4, 0]
    assert not eng.fully_hidden
    assert engine(tiki_taka(3), 4, 6).gamma == [0.0, 0.0, 1.0]


def test_set_weights_fills_last_device():
    eng = engine(tiki_taka(), 2, 3)
    assert eng.fully_hidden
    start = t64([[0.1, -0.2, 0.3], [0.0, 0.4, -0.5]])
    eng.set_weights(start)
    assert torch.equal(hidden(eng, "hidden_weights_0"), torch.zeros(2, 3, dtype=torch.float64))
    assert torch.equal(hidden(eng, "hidden_weights_1"), start)
    assert torch.equal(eng.get_weights(), start)


def test_visible_weight_with_gamma():
    eng = engine(tiki_taka(gamma=0.5, transfer_every=1000), 2, 3)
    start = t64([[0.1, -0.2, 0.3], [0.0, 0.4, -0.5]])
    eng.set_weights(start)
    eng.update(t64([[1.0, 0.5, 0.0]]), t64([[-0.1, 0.2]]), 0.1, mean_count())
    fast, slow = hidden(eng, "hidden_weights_0"), hidden(eng, "hidden_weights_1")
    assert fast.abs().sum() > 0
    assert torch.allclose(slow, start)
    assert torch.allclose(eng.get_weights(), 0.5 * fast + slow)


@pytest.mark.parametrize("fast_lr, x_0, grad", [(1.0, 0.1, [0.1, 0.05]),
                                                 (0.0, 1.0, [1.0, 0.5])])
def test_fast_learning_rate(fast_lr, x_0, grad):
    """``fast_lr > 0`` is absolute (1.1.0); ``fast_lr = 0`` uses the tile lr (0.01)."""
    eng = engine(tiki_taka(transfer_every=1000, fast_lr=fast_lr), 2, 3)
    eng.set_weights(torch.zeros(2, 3, dtype=torch.float64))
    eng.update(t64([[x_0, 0.0, 0.0]]), -t64([grad]), 0.01, mean_count())
    fast = hidden(eng, "hidden_weights_0")
    assert fast[:, 0].tolist() == pytest.approx([0.01, 0.005], abs=PULSE)
    assert torch.equal(fast[:, 1:], torch.zeros(2, 2, dtype=torch.float64))


def test_tiki_taka_closed_form():
    """Column ``k mod 3`` of C receives ``0.1 * A[:, k mod 3]`` after call k."""
    eng = engine(tiki_taka(fast_lr=0.0, transfer_lr=1.0, transfer_every=1), 2, 3)
    eng.set_weights(torch.zeros(2, 3, dtype=torch.float64))
    grad = t64([0.1, 0.2])
    slow_expected = torch.zeros(2, 3, dtype=torch.float64)
    for call in range(4):
        eng.update(torch.ones(1, 3, dtype=torch.float64), -grad[None, :], 0.1, mean_count())
        fast = hidden(eng, "hidden_weights_0")
        assert torch.allclose(fast, 0.1 * (call + 1) * grad[:, None].expand(2, 3),
                              atol=(call + 1) * PULSE)
        slow_expected[:, call % 3] += 0.01 * (call + 1) * grad
        assert torch.allclose(hidden(eng, "hidden_weights_1"), slow_expected, atol=2 * PULSE)
    assert torch.allclose(eng.get_weights(),
                          t64([[0.005, 0.002, 0.003], [0.01, 0.004, 0.006]]), atol=2 * PULSE)


def test_row_transfer():
    eng = engine(tiki_taka(transfer_columns=False, fast_lr=0.1), 3, 2)
    eng.set_weights(torch.zeros(3, 2, dtype=torch.float64))
    eng.update(t64([[1.0, 2.0]]), t64([[-0.1, -0.2, -0.3]]), 0.1, mean_count())
    fast = hidden(eng, "hidden_weights_0")
    assert torch.allclose(fast, 0.01 * t64([[1.0], [2.0], [3.0]]) * t64([[1.0, 2.0]]),
                          atol=PULSE)
    slow = hidden(eng, "hidden_weights_1")
    assert slow[0].tolist() == pytest.approx([0.001, 0.002], abs=PULSE)
    assert torch.equal(slow[1:], torch.zeros(2, 2, dtype=torch.float64))


def test_transfer_period_in_cycles():
    eng = engine(tiki_taka(units_in_mbatch=False, transfer_every=2, fast_lr=0.0), 1, 4)
    eng.set_weights(torch.zeros(1, 4, dtype=torch.float64))
    eng.update(torch.ones(3, 4, dtype=torch.float64), -torch.ones(3, 1, dtype=torch.float64),
               0.1, mean_count())
    slow = hidden(eng, "hidden_weights_1")
    # one transfer, after the second sample: C[0, 0] = 0.1 * A[0, 0] = 0.1 * 0.2
    assert slow[0, 0].item() == pytest.approx(0.02, abs=PULSE)
    assert torch.equal(slow[0, 1:], torch.zeros(3, dtype=torch.float64))
    assert eng.slice_pointers[0] == 1


def test_reads_per_transfer_wrap_around():
    eng = engine(tiki_taka(n_reads_per_transfer=3, fast_lr=0.0), 1, 4)
    eng.set_weights(torch.zeros(1, 4, dtype=torch.float64))
    x, d = torch.ones(1, 4, dtype=torch.float64), -torch.ones(1, 1, dtype=torch.float64)
    eng.update(x, d, 0.1, mean_count())
    assert eng.slice_pointers[0] == 3
    changed = hidden(eng, "hidden_weights_1")[0] != 0
    assert changed.tolist() == [True, True, True, False]
    before = hidden(eng, "hidden_weights_1").clone()
    eng.update(x, d, 0.1, mean_count())
    assert eng.slice_pointers[0] == 2
    step = hidden(eng, "hidden_weights_1")[0] - before[0]
    # A = 0.2 everywhere now: columns 3, 0, 1 receive 0.1 * 0.2
    assert step.tolist() == pytest.approx([0.02, 0.02, 0.0, 0.02], abs=PULSE)


def test_lower_order_transfer_first():
    eng = engine(tiki_taka(3, fast_lr=0.0, transfer_lr=1.0), 1, 1)
    assert [eng.transfer_period(k, 1) for k in range(3)] == [1, 1, 0]
    eng.set_weights(torch.zeros(1, 1, dtype=torch.float64))
    eng.update(t64([[1.0]]), t64([[-1.0]]), 0.1, mean_count())
    # A = 0.1; B = 0.1 * A = 0.01 in the same cycle; C = 0.1 * B = 0.001
    assert hidden(eng, "hidden_weights_0").item() == pytest.approx(0.1, abs=PULSE)
    assert hidden(eng, "hidden_weights_1").item() == pytest.approx(0.01, abs=PULSE)
    assert hidden(eng, "hidden_weights_2").item() == pytest.approx(0.001, abs=PULSE)


def test_compound_granularity_is_the_mean():
    """Fast dw 0.001, slow 0.01: pulses are sized with g = 0.0055 (spec 20 §1.2)."""
    config = TransferCompound([quiet(), quiet(dw_min=0.01)], transfer_every=1000.0,
                              fast_lr=0.0, transfer_forward=perfect())
    eng = engine(config, 2, 2)
    assert eng.granularity() == pytest.approx(0.0055)
    eng.set_weights(torch.zeros(2, 2, dtype=torch.float64))
    update = mean_count(1000)
    eng.update(torch.full((1, 2), 0.5, dtype=torch.float64),
               torch.full((1, 2), -0.5, dtype=torch.float64), 1.0, update)
    # 0.25 / 0.0055 = 45.45 pulses of 0.001
    assert hidden(eng, "hidden_weights_0")[0, 0].item() == pytest.approx(0.045, abs=PULSE)


def test_with_reset_prob_resets_read_columns():
    eng = engine(tiki_taka(with_reset_prob=1.0, fast_lr=0.0), 1, 3)
    eng.set_weights(torch.zeros(1, 3, dtype=torch.float64))
    eng.update(torch.ones(1, 3, dtype=torch.float64), -torch.ones(1, 1, dtype=torch.float64),
               0.1, mean_count())
    fast = hidden(eng, "hidden_weights_0")[0]
    assert fast.tolist() == pytest.approx([0.0, 0.1, 0.1], abs=PULSE)
    assert hidden(eng, "hidden_weights_1")[0, 0].item() == pytest.approx(0.01, abs=PULSE)


def test_random_selection_draws_start_column():
    eng = engine(tiki_taka(random_selection=True, fast_lr=0.0), 1, 5)
    eng.set_weights(torch.zeros(1, 5, dtype=torch.float64))
    for _ in range(20):
        eng.update(torch.ones(1, 5, dtype=torch.float64), -torch.ones(1, 1, dtype=torch.float64),
                   0.1, mean_count())
    reached = hidden(eng, "hidden_weights_1")[0] != 0
    assert int(reached.sum()) >= 3  # P(fewer than 3 of 5 columns in 20 draws) < 1e-9


def test_hidden_names_and_brief_name():
    eng = engine(tiki_taka(), 2, 3)
    assert eng.brief_name == "Transfer(2): ConstantStep -> ConstantStep"
    names = eng.hidden_parameter_names()
    per_child = len(eng.children[0].hidden_parameter_names())
    assert len(names) == 2 * (per_child + 1)
    assert names[per_child] == "hidden_weights_0" and names[-1] == "hidden_weights_1"


def test_reset_dispatches_to_fast_device_only():
    eng = engine(tiki_taka(gamma=0.5), 1, 2)
    start = t64([[0.3, -0.3]])
    eng.set_weights(start)
    eng.children[0].set_weights(t64([[0.2, 0.2]]))
    eng.reset_columns(0, -1, 1.0)
    assert torch.equal(hidden(eng, "hidden_weights_0"), torch.zeros(1, 2, dtype=torch.float64))
    assert torch.equal(hidden(eng, "hidden_weights_1"), start)


def test_zero_learning_rate_does_nothing():
    eng = engine(tiki_taka(), 1, 2)
    eng.set_weights(t64([[0.3, -0.3]]))
    eng.update(t64([[1.0, 1.0]]), t64([[-1.0]]), 0.0, UpdateParameters())
    assert eng.cycle == 0 and eng.slice_pointers == [0, 0]


def test_soft_bounds_transfer_has_22_hidden_parameters():
    from aihwkit.simulator.configs import SoftBoundsDevice
    eng = engine(TransferCompound([SoftBoundsDevice(), SoftBoundsDevice()]), 2, 3)
    names = eng.hidden_parameter_names()
    assert len(names) == 22
    assert names[9:11] == ["slope_down_0", "hidden_weights_0"]
    assert names[-1] == "hidden_weights_1"
