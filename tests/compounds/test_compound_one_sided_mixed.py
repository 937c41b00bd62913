"""OneSidedUnitCell (spec 20 §4) and MixedPrecisionCompound (§9) closed forms."""

import pytest
import torch

from aihwkit.simulator.configs import (
    MixedPrecisionCompound, OneSidedUnitCell, UpdateParameters)

from compound_helpers import DW, engine, hidden, mean_count, perfect, quiet, t64


def one_sided(**fields):
    fields.setdefault("refresh_forward", perfect())
    return OneSidedUnitCell([quiet(w_max=1.0, w_min=-1.0)], **fields)


def test_one_sided_split_and_update():
    eng = engine(one_sided(), 2, 1)
    assert eng.brief_name == "OneSided(2):ConstantStep"
    eng.set_weights(t64([[0.3], [-0.2]]))
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == [0.3, 0.0]
    assert hidden(eng, "hidden_weights_0")[:, 0].tolist() == [0.0, 0.2]
    eng.update(t64([[1.0]]), t64([[0.05, -0.05]]), 1.0, mean_count())
    assert hidden(eng, "hidden_weights_0")[:, 0].tolist() == pytest.approx([0.05, 0.2])
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == pytest.approx([0.3, 0.05])
    assert eng.get_weights()[:, 0].tolist() == pytest.approx([0.25, -0.15])


def test_one_sided_only_up_pulses_under_stochastic_trains():
    eng = engine(one_sided(), 3, 4)
    eng.set_weights(torch.zeros(3, 4, dtype=torch.float64))
    x = torch.rand(16, 4, dtype=torch.float64) - 0.5
    d = torch.rand(16, 3, dtype=torch.float64) - 0.5
    for _ in range(3):
        eng.update(x, d, 0.1, UpdateParameters())
    assert torch.all(hidden(eng, "hidden_weights_0") >= 0)
    assert torch.all(hidden(eng, "hidden_weights_1") >= 0)
    assert (hidden(eng, "hidden_weights_0") > 0).any()
    assert (hidden(eng, "hidden_weights_1") > 0).any()


def refresh_engine(rows, pair, **fields):
    eng = engine(one_sided(refresh_every=1, refresh_update=UpdateParameters(desired_bl=1000),
                           **fields), rows, 1)
    eng.children[1].set_weights(torch.full((rows, 1), pair[0], dtype=torch.float64))
    eng.children[0].set_weights(torch.full((rows, 1), pair[1], dtype=torch.float64))
    eng.reduce()
    return eng


@pytest.mark.parametrize("pair, expected", [((0.8, 0.5), (0.3, 0.0)), ((0.5, 0.8), (0.0, 0.3))])
def test_one_sided_refresh_moves_the_difference(pair, expected):
    rows = 200
    eng = refresh_engine(rows, pair)
    eng.update(t64([[0.0]]), torch.zeros(1, rows, dtype=torch.float64), 0.1, mean_count())
    pos = hidden(eng, "hidden_weights_1")[:, 0]
    neg = hidden(eng, "hidden_weights_0")[:, 0]
    # stochastic write of 300 pulses of 0.001: per-row variance <= 300 pulses^2 (Poisson
    # bound); mean of 200 rows within 4 * sqrt(300 / 200) * 0.001 = 0.0049
    tol = 4 * (300 / rows) ** 0.5 * DW
    assert abs(pos.mean().item() - expected[0]) < tol
    assert abs(neg.mean().item() - expected[1]) < tol
    # power: a write mis-set by 10 % (0.33) would fail the same check
    assert abs(max(expected) * 1.1 - max(pos.mean().item(), neg.mean().item())) > tol
    assert eng.refresh_counter == rows
    assert torch.allclose(eng.get_weights(), (pos - neg)[:, None])


def test_one_sided_refresh_leaves_unflagged_pairs():
    eng = refresh_engine(4, (0.9, 0.2))
    eng.update(t64([[0.0]]), torch.zeros(1, 4, dtype=torch.float64), 0.1, mean_count())
    assert torch.all(hidden(eng, "hidden_weights_1") == 0.9)
    assert torch.all(hidden(eng, "hidden_weights_0") == 0.2)
    assert eng.refresh_counter == 0


def test_one_sided_refresh_period_in_mini_batches():
    eng = refresh_engine(2, (0.8, 0.5))
    eng.config.refresh_every = 2
    x, d = torch.zeros(3, 1, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64)
    eng.update(x, d, 0.1, mean_count())
    assert eng.refresh_counter == 0
    eng.update(x, d, 0.1, mean_count())
    assert eng.refresh_counter == 2


def mixed(**fields):
    return MixedPrecisionCompound(device=quiet(), **fields)


def test_mixed_precision_example():
    eng = engine(mixed(), 2, 1)
    assert eng.brief_name == "MixedPrec[ConstantStep]"
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    x = torch.ones(2, 1, dtype=torch.float64)
    d = t64([[-0.0025, 0.0013], [-0.0025, 0.0013]])
    chi = [[-0.005, 0.0026], [-0.003, 0.0022], [-0.003, 0.0018]]
    weights = [[0.0, 0.0], [0.007, -0.003], [0.012, -0.006]]
    for call in range(3):
        eng.update(x, d, 1.0, mean_count())
        assert hidden(eng, "hidden_weights_chi")[:, 0].tolist() == pytest.approx(chi[call])
        assert eng.get_weights()[:, 0].tolist() == pytest.approx(weights[call])


def test_mixed_precision_quantization():
    eng = engine(mixed(n_x_bins=4, n_d_bins=4, stoc_round_x=False, stoc_round_d=False), 2, 3)
    eng.set_weights(torch.zeros(2, 3, dtype=torch.float64))
    eng.update(t64([[1.0, 0.3, -0.6]]), t64([[0.2, -0.05]]), 1.0, mean_count())
    chi = hidden(eng, "hidden_weights_chi")
    assert chi[0].tolist() == pytest.approx([0.2, 0.1, -0.1])
    assert chi[1].tolist() == [0.0, 0.0, 0.0]


def test_mixed_precision_stochastic_rounding_is_unbiased():
    # x = [1, 0.3]: w = 0.5, 0.3 -> 0.6 levels, rounded up with probability 0.6;
    # chi[0, 1] after n samples: 0.5 * Binomial(n, 0.6); mean 0.3 with std 0.5 * 0.49 / sqrt(n)
    samples = 2000
    x = t64([[1.0, 0.3]]).repeat(samples, 1)
    eng = engine(mixed(n_x_bins=4, transfer_every=0), 1, 2)
    eng.set_weights(torch.zeros(1, 2, dtype=torch.float64))
    eng.update(x, torch.ones(samples, 1, dtype=torch.float64), 1.0, mean_count())
    mean = hidden(eng, "hidden_weights_chi")[0, 1].item() / samples
    tol = 4 * 0.5 * (0.6 * 0.4) ** 0.5 / samples ** 0.5
    assert abs(mean - 0.3) < tol
    assert abs(mean - 0.33) > tol  # power: a 10 % bias would be detected


def test_mixed_precision_rows_per_transfer():
    eng = engine(mixed(n_rows_per_transfer=1), 3, 1)
    eng.set_weights(torch.zeros(3, 1, dtype=torch.float64))
    x, d = torch.ones(1, 1, dtype=torch.float64), -0.0021 * torch.ones(1, 3, dtype=torch.float64)
    for _ in range(3):
        eng.update(x, d, 1.0, mean_count())
    # transfers at cycles 1 and 2: row 0 (chi = -0.0042: 4 pulses), then row 1 (6 pulses)
    assert eng.get_weights()[:, 0].tolist() == pytest.approx([0.004, 0.006, 0.0])
    assert eng.row_pointer == 2


def test_mixed_precision_transfer_schedule():
    """transfer_every = 2 mini-batches of 2: transfers while processing cycles 4, 8, ..."""
    eng = engine(mixed(transfer_every=2), 1, 1)
    eng.set_weights(torch.zeros(1, 1, dtype=torch.float64))
    x, d = torch.ones(2, 1, dtype=torch.float64), -0.001 * torch.ones(2, 1, dtype=torch.float64)
    weights = []
    for _ in range(5):
        eng.update(x, d, 1.0, mean_count())
        weights.append(round(eng.get_weights().item(), 9))
    # first transfer in call 2 (cycle 4: chi = 5 * 0.001), second in call 4 (cycle 8)
    assert weights == [0.0, 0.0, 0.005, 0.005, 0.009]


def test_mixed_precision_random_row_and_no_rows():
    eng = engine(mixed(n_rows_per_transfer=1, random_row=True), 4, 1)
    eng.set_weights(torch.zeros(4, 1, dtype=torch.float64))
    x, d = torch.ones(1, 1, dtype=torch.float64), -0.002 * torch.ones(1, 4, dtype=torch.float64)
    shadow = type(eng.rng)(eng.rng.device)
    for _ in range(2):
        shadow.generator.set_state(eng.rng.generator.get_state())
        eng.update(x, d, 1.0, mean_count())
    row = min(int(shadow.uniform((1,), torch.float64).item() * 4), 3)
    written = (eng.get_weights()[:, 0] != 0).nonzero().flatten().tolist()
    assert written == [row]
    assert eng.row_pointer == (row + 1) % 4
    none = engine(mixed(n_rows_per_transfer=0), 2, 1)
    none.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    for _ in range(3):
        none.update(x[:, :1], d[:, :2], 1.0, mean_count())
    assert torch.all(none.get_weights() == 0)
