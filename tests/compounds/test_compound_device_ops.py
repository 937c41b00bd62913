"""Device operations dispatched to the children, nesting, and remaining options."""

import math

import pytest
import torch

from aihwkit.simulator.configs import (
    ChoppedTransferCompound, MixedPrecisionCompound, OneSidedUnitCell, TransferCompound,
    VectorUnitCell)

from compound_helpers import engine, hidden, mean_count, perfect, quiet, t64


def test_decay_reaches_every_child():
    cell = VectorUnitCell([quiet(lifetime=10.0), quiet(lifetime=5.0)])
    eng = engine(cell, 1, 2)
    assert eng.requires_decay() and not eng.requires_diffusion()
    eng.set_weights(t64([[0.5, -0.5]]))
    eng.decay_weights()
    assert hidden(eng, "hidden_weights_0")[0].tolist() == pytest.approx([0.45, -0.45])
    assert hidden(eng, "hidden_weights_1")[0].tolist() == pytest.approx([0.4, -0.4])
    assert eng.get_weights()[0].tolist() == pytest.approx([0.425, -0.425])


def test_transfer_decays_all_but_resets_fast_only():
    eng = engine(TransferCompound([quiet(lifetime=10.0), quiet(lifetime=10.0)],
                                  transfer_forward=perfect()), 1, 2)
    eng.set_weights(t64([[0.5, -0.5]]))
    eng.children[0].set_weights(t64([[0.2, 0.2]]))
    eng.decay_weights()
    assert hidden(eng, "hidden_weights_0")[0].tolist() == pytest.approx([0.18, 0.18])
    assert eng.get_weights()[0].tolist() == pytest.approx([0.45, -0.45])


def test_mixed_precision_operations_leave_chi():
    eng = engine(MixedPrecisionCompound(device=quiet(lifetime=10.0)), 1, 2)
    eng.set_weights(t64([[0.5, -0.5]]))
    eng.update(t64([[1.0, 1.0]]), t64([[0.0004]]), 1.0, mean_count())
    chi = hidden(eng, "hidden_weights_chi").clone()
    eng.decay_weights()
    eng.reset_columns(0, 1, 1.0)
    assert torch.equal(hidden(eng, "hidden_weights_chi"), chi)
    assert eng.get_weights()[0].tolist() == pytest.approx([0.0, -0.45])


def test_nested_compound_names():
    inner = VectorUnitCell([quiet(), quiet()])
    eng = engine(TransferCompound([inner, quiet()], transfer_forward=perfect()), 2, 3)
    assert eng.brief_name == "Transfer(2): Vector(2):ConstantStep -> ConstantStep"
    names = eng.hidden_parameter_names()
    single = len(eng.children[1].hidden_parameter_names())
    assert names[0] == "max_bound_0_0"
    assert names[single] == "hidden_weights_0_0"
    assert names[2 * single + 1] == "hidden_weights_1_0"
    assert names[2 * single + 2] == "hidden_weights_0"
    assert names[2 * single + 3] == "max_bound_1" and names[-1] == "hidden_weights_1"


def test_copy_inverted_mirrors_the_second_device():
    device = quiet(w_max=0.8, w_min=-0.4, up_down=0.2)
    eng = engine(OneSidedUnitCell([device], copy_inverted=True,
                                  refresh_forward=perfect()), 1, 1)
    first, second = eng.children[0].get_hidden_parameters(), \
        eng.children[1].get_hidden_parameters()
    assert second["max_bound"].item() == pytest.approx(0.4)
    assert second["min_bound"].item() == pytest.approx(-0.8)
    assert second["dwmin_up"].item() == pytest.approx(first["dwmin_down"].item())
    assert second["dwmin_down"].item() == pytest.approx(first["dwmin_up"].item())


def test_automatic_transfer_period():
    """``transfer_every < 0``: ``round(n_states / in * |T|)`` cycles, n_states of the
    source device (20 / 0.001 = 20000 states)."""
    eng = engine(TransferCompound([quiet(), quiet()], transfer_every=-0.5,
                                  transfer_forward=perfect()), 2, 1000)
    assert eng.transfer_period(0, 8) == 10


def test_chopped_buffer_scale():
    """kappa = |tau| / (buffer_granularity g_A) and its automatic and corrected forms."""
    def make(**fields):
        config = ChoppedTransferCompound([quiet(), quiet(dw_min=0.002)], transfer_every=2,
                                         transfer_forward=perfect(), **fields)
        return engine(config, 2, 4)

    assert make(buffer_granularity=2.0).kappa(0.1) == pytest.approx(0.1 / 0.002)
    assert make(auto_granularity=16.0).kappa(0.1) == pytest.approx(0.1 / (0.001 * 16 / 8))
    corrected = make(correct_gradient_magnitudes=True)
    corrected.count_lr = 0.5
    assert corrected.kappa(0.1) == pytest.approx(0.1 / 0.5 / 0.002)


def test_chopped_no_buffer_forgets_residues():
    config = ChoppedTransferCompound([quiet(), quiet()], transfer_every=1, no_buffer=True,
                                     in_chop_prob=0.0, transfer_forward=perfect())
    eng = engine(config, 1, 1)
    eng.set_weights(t64([[0.0]]))
    for _ in range(3):
        eng.update(t64([[1.0]]), t64([[-0.0005]]), 0.5, mean_count())
    # A grows by 0.0005 per call (reads 0.5, 1.0, 1.5 thresholds): writes at calls 2, 3
    assert hidden(eng, "hidden_weights_1").item() == pytest.approx(0.002)
    assert math.isclose(hidden(eng, "buffered_FP_weight_0").item(), 0.0, abs_tol=1e-12)


def test_construction_seed_fixes_the_children():
    from aihwkit.simulator.configs import SoftBoundsDevice

    def build(seed, global_seed):
        torch.manual_seed(global_seed)
        cell = VectorUnitCell([SoftBoundsDevice(), SoftBoundsDevice()], construction_seed=seed)
        return engine(cell, 3, 4, seed=global_seed)

    one, two, other = build(42, 1), build(42, 2), build(43, 1)
    bounds = [e.get_hidden_parameters()["max_bound_1"] for e in (one, two, other)]
    assert torch.equal(bounds[0], bounds[1])
    assert not torch.equal(bounds[0], bounds[2])
    assert not torch.equal(one.get_hidden_parameters()["max_bound_0"], bounds[0])
    assert one.children[0].rng is one.rng  # run-time draws use the tile's generator
