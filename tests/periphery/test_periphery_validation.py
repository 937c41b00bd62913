"""Construction-time checks of IOParameters (spec 10 §1.1, §1.2)."""

import math

import pytest
import torch

from aihwkit.exceptions import ArgumentError, ConfigError, TileError
from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.io import IOParameters, IOParametersIRDropT

from periphery_helpers import manager


@pytest.mark.parametrize("name,value", [
    ("inp_noise", -0.1), ("out_noise", -0.01), ("out_noise_std", -1.0), ("w_noise", -0.2),
    ("v_offset_std", -0.1), ("out_nonlinearity_std", -0.5), ("out_nonlinearity", -1.0),
    ("ir_drop", -1.0), ("r_series", -0.1), ("slope_calibration", -0.5),
    ("w_read_asymmetry_dtod", -0.1), ("out_asymmetry", -0.1), ("nm_thres", -1.0),
    ("max_bm_factor", -1), ("max_bm_res", -0.25), ("inp_noise", math.nan),
    ("out_noise", math.inf), ("inp_res", math.nan), ("out_res", math.inf),
    ("inp_bound", math.nan), ("out_bound", math.nan), ("ir_drop_g_ratio", 0.0),
    ("ir_drop_g_ratio", -5.0), ("out_scale", math.nan), ("inp_asymmetry", math.inf),
    ("v_offset_w_min", math.nan), ("out_noise", "loud"),
])
def test_out_of_range_field_names_itself(name, value):
    io = IOParameters()
    setattr(io, name, value)
    with pytest.raises(ConfigError, match=name):
        manager(io, 3, 4)


@pytest.mark.parametrize("nm", [t for t in NoiseManagementType if t != NoiseManagementType.NONE])
def test_inp_bound_must_be_one_with_noise_management(nm):
    with pytest.raises(ConfigError, match="inp_bound"):
        manager(IOParameters(inp_bound=2.0, noise_management=nm), 2, 2)
    manager(IOParameters(inp_bound=1.0, noise_management=nm), 2, 2)


def test_inp_bound_free_without_noise_management():
    for bound in (2.0, 0.5, 0.0, -1.0):
        manager(IOParameters(inp_bound=bound, noise_management=NoiseManagementType.NONE), 2, 2)


@pytest.mark.parametrize("backward", [False, True])
def test_shift_bound_management_is_rejected(backward):
    io = IOParameters(bound_management=BoundManagementType.SHIFT)
    with pytest.raises(ConfigError, match="bound_management"):
        manager(io, 2, 2, backward=backward)


@pytest.mark.parametrize("mv_type", [AnalogMVType.SPLIT_MODE, AnalogMVType.BIT_WISE])
def test_split_and_bitwise_are_not_analog_tile_modes(mv_type):
    with pytest.raises(ConfigError, match="mv_type"):
        manager(IOParameters(mv_type=mv_type), 2, 2)


@pytest.mark.parametrize("name,value", [
    ("noise_management", "AbsMax"), ("bound_management", 1), ("w_noise_type", None),
    ("mv_type", "OnePass"), ("w_noise_type", NoiseManagementType.ABS_MAX),
])
def test_unknown_enum_values_are_rejected(name, value):
    io = IOParameters()
    setattr(io, name, value)
    with pytest.raises(ConfigError, match=name):
        manager(io, 2, 2)


def test_engine_constants_are_not_settable():
    io = IOParameters()
    io.nm_decay = 0.1  # not a dataclass field
    with pytest.raises(ConfigError, match="nm_decay"):
        manager(io, 2, 2)


def test_time_resolved_ir_drop_parameters_at_defaults_warn():
    # aihwkit programs put IOParametersIRDropT on InferenceRPUConfig: the static IR drop is
    # simulated, the time-resolved fields (at their defaults) are reported as unused
    with pytest.warns(UserWarning, match="time-resolved"):
        manager(IOParametersIRDropT(), 2, 2)


@pytest.mark.parametrize("field,value", [("ir_drop_segments", 4), ("ir_drop_rs", 0.3),
                                         ("adc_quantization", False)])
def test_time_resolved_ir_drop_parameters_set_are_rejected(field, value):
    io = IOParametersIRDropT()
    setattr(io, field, value)
    with pytest.raises(ConfigError, match=field):
        manager(io, 2, 2)


def test_perfect_ignores_every_other_field():
    io = IOParameters(is_perfect=True, inp_bound=3.0, bound_management=BoundManagementType.SHIFT,
                      mv_type=AnalogMVType.SPLIT_MODE, out_noise=-1.0)
    manager(io, 2, 2)
    io = IOParameters(mv_type=AnalogMVType.IDEAL, inp_bound=3.0, inp_noise=-1.0)
    assert manager(io, 2, 2).is_perfect


def test_backward_forces_bound_management_off_silently():
    for bm in (BoundManagementType.ITERATIVE, BoundManagementType.ITERATIVE_WORST_CASE):
        mgr = manager(IOParameters(bound_management=bm), 2, 2, backward=True)
        assert mgr.cfg.bound_management == BoundManagementType.NONE
        assert not mgr.cfg.bm_on
        assert manager(IOParameters(bound_management=bm), 2, 2).cfg.bm_on


def test_given_parameters_are_copied():
    io = IOParameters(out_noise=0.0)
    mgr = manager(io, 2, 2)
    io.out_noise = 5.0
    assert mgr.cfg.out_noise == 0.0 and mgr.io.out_noise == 0.0


def test_resolution_conventions():
    cfg = manager(IOParameters(inp_res=126, out_res=510.0), 2, 2).cfg
    assert cfg.inp_step == pytest.approx(2 / 126) and cfg.out_step == pytest.approx(24 / 510)
    cfg = manager(IOParameters(inp_res=0.0, out_res=-3.0), 2, 2).cfg
    assert cfg.inp_step == 0.0 and cfg.out_step == 0.0
    cfg = manager(IOParameters(out_bound=-1.0, noise_management=NoiseManagementType.NONE,
                               inp_bound=0.0), 2, 2).cfg
    assert cfg.out_bound == math.inf and cfg.out_step == 0.0
    assert cfg.inp_bound == math.inf and cfg.inp_step == 0.0
    cfg = manager(IOParameters(noise_management=NoiseManagementType.NONE, nm_thres=3.0), 2, 2).cfg
    assert cfg.nm_thres == 0.0
    cfg = manager(IOParameters(w_noise=0.5, w_noise_type=WeightNoiseType.NONE), 2, 2).cfg
    assert cfg.w_noise == 0.0


def test_bad_tensors_are_rejected():
    mgr = manager(IOParameters(), 3, 4)
    with pytest.raises(TileError):
        mgr.mvm(torch.zeros(4, 3, dtype=torch.float64), torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ArgumentError):
        mgr.mvm(torch.zeros(3, 4, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ArgumentError):
        mgr.mvm(torch.zeros(3, 4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64))
