"""Per-line "MV parameters" (spec 10 §1.3): access, validation, state round trips."""

import copy
import pickle

import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.parameters.enums import NoiseManagementType
from aihwkit.simulator.parameters.io import IOParameters

from periphery_helpers import exact_io, manager, tensor

KEYS = {"out_noise_values", "out_nonlinearity", "out_nonlinearity_factor", "v_offset",
        "w_asymmetry"}


def test_defaults_leave_every_parameter_empty():
    params = manager(IOParameters(), 3, 4).get_parameters()
    assert set(params) == KEYS
    assert all(value.numel() == 0 for value in params.values())
    assert set(manager(IOParameters(is_perfect=True), 3, 4).get_parameters()) == KEYS


def test_shapes_of_drawn_parameters():
    io = IOParameters(out_noise_std=0.1, out_nonlinearity=0.2, v_offset_std=0.1,
                      w_read_asymmetry_dtod=0.1)
    params = manager(io, 3, 4).get_parameters()
    assert params["out_noise_values"].shape == (3,)
    assert params["out_nonlinearity"].shape == (3,)
    assert params["out_nonlinearity_factor"].shape == (1,)
    assert params["out_nonlinearity_factor"].item() == 1.0  # no slope calibration
    assert params["v_offset"].shape == (3,)
    assert params["w_asymmetry"].shape == (3, 4)
    back = manager(io, 4, 3, backward=True).get_parameters()
    assert back["out_noise_values"].shape == (4,) and back["w_asymmetry"].shape == (4, 3)


def test_get_returns_copies():
    mgr = manager(IOParameters(out_noise_std=0.1), 3, 2)
    params = mgr.get_parameters()
    params["out_noise_values"].fill_(7.0)
    assert not mgr.get_parameters()["out_noise_values"].eq(7.0).any()


def test_set_and_get_round_trip_and_effect():
    mgr = manager(exact_io(), 2, 2)
    mgr.set_parameters({"out_nonlinearity": [0.5, 0.0]})
    params = mgr.get_parameters()
    assert torch.equal(params["out_nonlinearity"], tensor([0.5, 0.0]).squeeze(0))
    assert params["out_nonlinearity_factor"].item() == 1.0
    y = mgr.mvm(torch.eye(2, dtype=torch.float64), tensor([[1.0, 1.0]]))
    assert torch.allclose(y, tensor([[1 / 1.5, 1.0]]))
    mgr.set_parameters({"out_nonlinearity": torch.empty(0)})
    assert mgr.get_parameters()["out_nonlinearity_factor"].numel() == 0
    y = mgr.mvm(torch.eye(2, dtype=torch.float64), tensor([[1.0, 1.0]]))
    assert torch.equal(y, tensor([[1.0, 1.0]]))


@pytest.mark.parametrize("name,value", [
    ("out_noise_values", torch.ones(3)), ("out_nonlinearity", torch.ones(1)),
    ("v_offset", torch.ones(2, 2)), ("w_asymmetry", torch.ones(2, 3)),
    ("out_nonlinearity_factor", torch.ones(2)), ("out_noise_values", -torch.ones(2)),
    ("v_offset", torch.tensor([1.0, float("nan")])), ("noise", torch.ones(2)),
])
def test_bad_values_raise_and_change_nothing(name, value):
    mgr = manager(IOParameters(out_noise_std=0.1, v_offset_std=0.1), 2, 2)
    before = mgr.get_parameters()
    with pytest.raises(ArgumentError):
        mgr.set_parameters({"v_offset": torch.zeros(2), name: value})
    after = mgr.get_parameters()
    assert all(torch.equal(before[key], after[key]) for key in KEYS)


def test_deepcopy_and_pickle_continue_identically():
    io = IOParameters(inp_noise=0.01, out_noise_std=0.2,
                      noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    mgr = manager(io, 5, 6)
    w = torch.rand(5, 6, dtype=torch.float64)
    x = torch.rand(4, 6, dtype=torch.float64)
    mgr.mvm(w, x)
    for clone in (copy.deepcopy(mgr), pickle.loads(pickle.dumps(mgr))):
        assert torch.equal(clone.mvm(w, x), copy.deepcopy(mgr).mvm(w, x))
        assert clone.nm_state.value.item() != -1.0


def test_deepcopy_keeps_a_shared_running_state_shared():
    io = exact_io(noise_management=NoiseManagementType.AVERAGE_ABS_MAX)
    fwd = manager(io, 2, 2)
    pair = copy.deepcopy((fwd, manager(io, 2, 2, backward=True, nm_state=fwd.nm_state)))
    assert pair[0].nm_state is pair[1].nm_state


def test_move_to_another_dtype():
    mgr = manager(IOParameters(out_noise_std=0.1, w_read_asymmetry_dtod=0.1), 3, 2)
    mgr.to(dtype=torch.float32)
    params = mgr.get_parameters()
    assert params["out_noise_values"].dtype == torch.float32
    assert mgr.nm_state.value.dtype == torch.float32
    y = mgr.mvm(torch.rand(3, 2), torch.rand(4, 2))
    assert y.dtype == torch.float32 and y.shape == (4, 3)


def test_float32_and_float64_agree_without_noise():
    gen = torch.Generator().manual_seed(4)
    w = torch.rand(6, 30, generator=gen, dtype=torch.float64) - 0.5
    x = torch.randn(8, 30, generator=gen, dtype=torch.float64)
    io = IOParameters(out_noise=0.0, inp_res=-1, out_res=-1, ir_drop=0.5, r_series=0.05,
                      out_nonlinearity=0.3, slope_calibration=0.2)
    y64 = manager(io, 6, 30).mvm(w, x)
    y32 = manager(io, 6, 30, dtype=torch.float32).mvm(w.float(), x.float())
    assert torch.allclose(y32.double(), y64, rtol=1e-5, atol=1e-5)


def test_empty_batch():
    y = manager(IOParameters(), 3, 2).mvm(torch.ones(3, 2, dtype=torch.float64),
                                          torch.ones(0, 2, dtype=torch.float64))
    assert y.shape == (0, 3)
