"""The buffer of BufferedTransferCompound carries sub-threshold reads between transfers.

Per read ``omega = H + |tau| v`` in weight units, compared with the threshold
``theta = thres_scale * g``; ``H`` is kept as ``omega`` (no write) or ``momentum * omega``
(after a write). A buffer that lost its weight units between two reads would never reach
the threshold with reads below ``theta``.
"""

import pytest
import torch

from aihwkit.simulator.configs import BufferedTransferCompound

from compound_helpers import DW, engine, hidden, mean_count, perfect, quiet, t64


def _buffered(**fields):
    config = BufferedTransferCompound(
        [quiet(), quiet()], transfer_every=1, fast_lr=1.0, transfer_forward=perfect(),
        transfer_update=mean_count(1, update_bl_management=False, update_management=False),
        **fields)
    eng = engine(config, 2, 1)
    eng.set_weights(torch.zeros(2, 1, dtype=torch.float64))
    # A holds reads below the threshold theta = DW; the updates themselves add no pulses
    eng.children[0].set_weights(t64([[0.4 * DW], [0.7 * DW]]))
    return eng


def buffer(eng):
    return hidden(eng, "buffered_FP_weight_0")[:, 0].tolist()


def _call(eng):
    eng.update(t64([[1.0]]), t64([[0.0, 0.0]]), 1.0, mean_count())


def test_buffer_accumulates_reads_below_the_threshold():
    eng = _buffered(momentum=0.1, forget_buffer=True)
    _call(eng)   # omega = [0.4, 0.7] theta: nothing written, kept as it is
    assert buffer(eng) == pytest.approx([0.4 * DW, 0.7 * DW])
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == [0.0, 0.0]
    _call(eng)   # omega = [0.8, 1.4] theta: the second line writes one step, keeps 0.1 omega
    assert buffer(eng) == pytest.approx([0.8 * DW, 0.14 * DW])
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == pytest.approx([0.0, DW])
    _call(eng)   # omega = [1.2, 0.84] theta
    assert buffer(eng) == pytest.approx([0.12 * DW, 0.84 * DW])
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == pytest.approx([DW, DW])


def test_subtract_mode_keeps_the_remainder_in_weight_units():
    eng = _buffered(momentum=0.0, forget_buffer=False)
    for _ in range(3):
        _call(eng)
    # line 0: 0.4, 0.8, 1.2 -> one step, 0.2 left; line 1: 0.7, 1.4 -> step, 0.4; 1.1 -> step, 0.1
    assert buffer(eng) == pytest.approx([0.2 * DW, 0.1 * DW])
    assert hidden(eng, "hidden_weights_1")[:, 0].tolist() == pytest.approx([DW, 2 * DW])
