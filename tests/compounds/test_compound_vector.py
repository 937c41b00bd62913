"""VectorUnitCell and ReferenceUnitCell against the closed forms of spec 20 §2, §3, §15."""

import pytest
import torch

from aihwkit.simulator.configs import (
    ReferenceUnitCell, UpdateParameters, VectorUnitCell, VectorUnitCellUpdatePolicy)
from aihwkit.simulator.rpu_base.rng import TileRNG

from compound_helpers import DW, engine, hidden, mean_count, quiet, t64

Policy = VectorUnitCellUpdatePolicy
X_ONE = t64([[1.0, 0.0]])
D_ONE = t64([[-1.0]])


def weights_of(eng):
    return [child.get_weights().clone() for child in eng.children]


def test_all_policy_sets_and_updates_every_child_identically():
    eng = engine(VectorUnitCell([quiet(), quiet(), quiet()]), 1, 2)
    start = t64([[0.2, -0.3]])
    eng.set_weights(start)
    for idx in range(3):
        assert torch.equal(hidden(eng, f"hidden_weights_{idx}"), start)
    assert torch.allclose(eng.get_weights(), start)
    for call in range(1, 4):
        eng.update(X_ONE, D_ONE, 0.1, mean_count(1000))
        for child_weights in weights_of(eng):
            assert child_weights[0, 0].item() == pytest.approx(0.2 + 0.1 * call, abs=1e-9)
            assert child_weights[0, 1].item() == pytest.approx(-0.3)


def test_all_policy_caps_at_desired_bl():
    eng = engine(VectorUnitCell([quiet(), quiet(), quiet()]), 1, 2)
    eng.set_weights(t64([[0.0, 0.0]]))
    eng.update(X_ONE, D_ONE, 0.1, mean_count(31))
    for child_weights in weights_of(eng):
        assert child_weights[0, 0].item() == pytest.approx(31 * DW)


def test_all_policy_shares_stochastic_trains():
    """Noise-free identical children stay identical under stochastic pulses."""
    eng = engine(VectorUnitCell([quiet(), quiet()]), 4, 5)
    eng.set_weights(torch.zeros(4, 5, dtype=torch.float64))
    x = torch.rand(8, 5, dtype=torch.float64) - 0.5
    d = torch.rand(8, 4, dtype=torch.float64) - 0.5
    eng.update(x, d, 0.05, UpdateParameters())
    first, second = weights_of(eng)
    assert first.abs().sum() > 0
    assert torch.equal(first, second)


def test_gamma_vec_reduce():
    eng = engine(VectorUnitCell([quiet(), quiet()], gamma_vec=[1.0, 0.5]), 1, 2)
    start = t64([[0.2, -0.4]])
    eng.set_weights(start)
    assert torch.allclose(eng.get_weights(), 1.5 * start)
    eng.update(X_ONE, D_ONE, 0.1, mean_count())
    w_0, w_1 = weights_of(eng)
    assert torch.allclose(eng.get_weights(), w_0 + 0.5 * w_1)
    assert w_0[0, 0].item() == pytest.approx(0.3)


def updated_children(eng, calls, samples=1):
    """Index of the child whose weight changed at each call."""
    sequence = []
    for _ in range(calls):
        before = weights_of(eng)
        eng.update(X_ONE.repeat(samples, 1), D_ONE.repeat(samples, 1), 0.01, mean_count())
        after = weights_of(eng)
        sequence.append([k for k in range(len(before)) if not torch.equal(before[k], after[k])])
    return sequence


@pytest.mark.parametrize("first, expected", [(0, [1, 2, 0, 1]), (1, [2, 0, 1, 2])])
def test_sequential_policy_order(first, expected):
    cell = VectorUnitCell([quiet(), quiet(), quiet()], update_policy=Policy.SINGLE_SEQUENTIAL,
                          first_update_idx=first)
    eng = engine(cell, 1, 2)
    eng.set_weights(torch.zeros(1, 2, dtype=torch.float64))
    assert updated_children(eng, 4) == [[k] for k in expected]


def test_sequential_policy_switches_per_sample():
    cell = VectorUnitCell([quiet(), quiet(), quiet()], update_policy=Policy.SINGLE_SEQUENTIAL)
    eng = engine(cell, 1, 2)
    eng.set_weights(torch.zeros(1, 2, dtype=torch.float64))
    assert updated_children(eng, 1, samples=2) == [[1, 2]]
    assert eng.get_hidden_update_index() == 2


def test_random_policy_draws_one_uniform_per_sample():
    cell = VectorUnitCell([quiet(), quiet(), quiet()], update_policy=Policy.SINGLE_RANDOM)
    eng = engine(cell, 1, 2)
    eng.set_weights(torch.zeros(1, 2, dtype=torch.float64))
    shadow = TileRNG(eng.rng.device)
    shadow.generator.set_state(eng.rng.generator.get_state())
    expected = (shadow.uniform((12,), torch.float64) * 3).floor().long()
    eng.update(X_ONE.repeat(12, 1), D_ONE.repeat(12, 1), 0.01, mean_count())
    counts = [int((expected == k).sum()) for k in range(3)]
    for k, child_weights in enumerate(weights_of(eng)):
        assert child_weights[0, 0].item() == pytest.approx(0.01 * counts[k], abs=1e-12)
    assert eng.get_hidden_update_index() == int(expected[-1])


def test_single_fixed_policy():
    cell = VectorUnitCell([quiet(), quiet(), quiet()], update_policy=Policy.SINGLE_FIXED,
                          first_update_idx=1)
    eng = engine(cell, 1, 2)
    eng.set_weights(t64([[0.3, 0.3]]))
    assert eng.get_hidden_update_index() == 1
    assert torch.allclose(eng.get_weights(), t64([[0.1, 0.1]]))
    assert torch.equal(hidden(eng, "hidden_weights_0"), torch.zeros(1, 2, dtype=torch.float64))
    assert updated_children(eng, 3) == [[1], [1], [1]]


def test_brief_name_and_hidden_names():
    eng = engine(VectorUnitCell([quiet(), quiet()]), 2, 3)
    assert eng.brief_name == "Vector(2):ConstantStep"
    names = eng.hidden_parameter_names()
    assert names[0] == "max_bound_0" and names[-1] == "hidden_weights_1"
    assert len(names) == 2 * (len(eng.children[0].hidden_parameter_names()) + 1)


def test_reference_cell_programs_the_reference():
    eng = engine(ReferenceUnitCell([quiet()]), 1, 2)
    assert eng.brief_name == "Vector(2):ConstantStep"
    w_start, reference = t64([[0.2, -0.1]]), t64([[0.05, 0.07]])
    eng.set_weights(w_start)
    assert torch.equal(hidden(eng, "hidden_weights_0"), w_start)
    assert torch.equal(hidden(eng, "hidden_weights_1"), torch.zeros(1, 2, dtype=torch.float64))
    eng.set_hidden_update_index(1)
    eng.set_weights(reference)
    eng.set_hidden_update_index(0)
    assert torch.equal(hidden(eng, "hidden_weights_1"), reference)
    assert torch.allclose(eng.get_weights(), w_start - reference)
    eng.update(X_ONE, D_ONE, 0.1, mean_count())
    assert torch.equal(hidden(eng, "hidden_weights_1"), reference)
    assert hidden(eng, "hidden_weights_0")[0, 0].item() == pytest.approx(0.3)


def test_reference_cell_device_list_handling():
    cell = ReferenceUnitCell([quiet(), quiet(), quiet()])
    eng = engine(cell, 1, 2)
    assert len(eng.children) == 2
    assert len(cell.unit_cell_devices) == 2
