"""The typed pulse-parameter containers the device models hand to the kernels."""

import copy
import pickle

import pytest
import torch

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, LinearStepDevice, PiecewiseStepDevice, PowStepDevice,
    PowStepReferenceDevice, SoftBoundsDevice, SoftBoundsPmaxDevice, SoftBoundsReferenceDevice)
from aihwkit.simulator.parameters import UpdateParameters
from aihwkit.simulator.rpu_base import registry
from aihwkit.simulator.rpu_base.devices._pulsed import PulsedDeviceEngine
from aihwkit.simulator.rpu_base.kernels.params import (
    AffineParams, ConstantStepParams, ExpStepParams, PiecewiseStepParams, PowStepParams,
    PulseParams)

from tests.devices.helpers import make

ROWS, COLS = 3, 4
BOUNDS = ("lo", "hi")
AFFINE = BOUNDS + ("a_mid", "a_half", "c_mid", "c_half", "lr_mid", "lr_half", "T_mid",
                   "T_half")
MULT = AFFINE + ("le_mid", "le_half")
ADD = AFFINE + ("cv_mid", "cv_half", "ih_mid", "ih_half")
POW = BOUNDS + ("size_mid", "size_half", "gamma_mid", "gamma_half", "center", "half_span",
                "inv_span", "live")
SPREAD = dict(dw_min_dtod=0.3, w_max_dtod=0.2, w_min_dtod=0.2, up_down_dtod=0.05)

# name: (config, container class, the fields present)
MODELS = {
    "constant_step": (ConstantStepDevice(**SPREAD), ConstantStepParams,
                      BOUNDS + ("step_up", "step_down", "mid", "half", "var_mid", "var_half")),
    "linear_step": (LinearStepDevice(**SPREAD), AffineParams, MULT),
    "linear_step_additive": (LinearStepDevice(mult_noise=False, **SPREAD), AffineParams, ADD),
    "soft_bounds": (SoftBoundsDevice(**SPREAD), AffineParams, MULT),
    "soft_bounds_pmax": (SoftBoundsPmaxDevice(), AffineParams, MULT),
    "soft_bounds_reference": (SoftBoundsReferenceDevice(**SPREAD), AffineParams, ADD),
    # a slope a <= -1 marks crosspoints exact
    "soft_bounds_steep": (SoftBoundsDevice(dw_min=0.1, w_max=0.08, w_min=-0.08),
                          AffineParams, MULT + ("exact",)),
    "exp_step": (ExpStepDevice(**SPREAD), ExpStepParams,
                 BOUNDS + ("step_mid", "step_half", "z_scale", "live")),
    "pow_step": (PowStepDevice(**SPREAD), PowStepParams, POW),
    "pow_step_reference": (PowStepReferenceDevice(**SPREAD), PowStepParams, POW),
    "piecewise_step": (PiecewiseStepDevice(piecewise_up=[1.2, 1.0, 0.8],
                                           piecewise_down=[0.8, 1.0, 1.2], **SPREAD),
                       PiecewiseStepParams,
                       BOUNDS + ("step_up", "step_down", "size_mid", "size_half", "inv_span")),
}


def engine_of(name):
    return make(MODELS[name][0], ROWS, COLS, seed=3)


def test_every_pulsed_model_is_covered():
    registry.lookup(ConstantStepDevice())     # loads the engine modules
    pulsed = {engine for engine in registry._ENGINES.values()   # pylint: disable=protected-access
              if issubclass(engine, PulsedDeviceEngine)}
    covered = {type(engine_of(name)) for name in MODELS}
    assert pulsed <= covered


@pytest.mark.parametrize("name", sorted(MODELS))
def test_container_type_fields_and_shapes(name):
    engine = engine_of(name)
    _, kind, fields = MODELS[name]
    params = engine.pulse_params()
    assert type(params) is kind
    assert tuple(key for key, _ in params.items()) == fields
    for _, value in params.items():
        assert value.shape == (ROWS, COLS)
        assert value.dtype == engine.dtype
    # the bounds are the engine's own tensors (the cache is keyed on them)
    assert params.lo is engine.min_bound and params.hi is engine.max_bound
    # absent optional fields are None, never present with another shape
    absent = set(params.names()) - set(fields)
    assert all(getattr(params, key) is None for key in absent)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_flat_views_share_storage(name):
    engine = engine_of(name)
    params = engine.pulse_params()
    flat = engine.flat_pulse_params()
    assert type(flat) is type(params)
    for (key, value), (flat_key, flat_value) in zip(params.items(), flat.items()):
        assert key == flat_key
        assert flat_value.shape == (ROWS * COLS,)
        assert flat_value.data_ptr() == value.data_ptr()
        assert torch.equal(flat_value, value.reshape(-1))
    assert engine.flat_pulse_params() is flat


@pytest.mark.parametrize("name", sorted(MODELS))
def test_select_gathers_the_indexed_crosspoints(name):
    flat = engine_of(name).flat_pulse_params()
    index = torch.tensor([5, 0, 11, 5])
    picked = flat.select(index)
    assert type(picked) is type(flat)
    for (key, value), (_, sub) in zip(flat.items(), picked.items()):
        assert torch.equal(sub, value[index]), key
    block = flat.select(slice(4, 8))
    for (_, value), (_, sub) in zip(flat.items(), block.items()):
        assert sub.data_ptr() == value[4:8].data_ptr()
    assert [key for key, _ in picked.items()] == [key for key, _ in flat.items()]


def test_select_keeps_the_exact_values():
    flat = engine_of("soft_bounds_steep").flat_pulse_params()
    assert flat.exact is not None and bool((flat.exact > 0).all())
    assert torch.equal(flat.select(torch.tensor([2])).exact, flat.exact[2:3])


def test_field_values_follow_the_hidden_parameters():
    engine = engine_of("constant_step")
    params = engine.pulse_params()
    assert torch.equal(params.step_up, engine.dwmin_up)
    assert torch.equal(params.step_down, -engine.dwmin_down)
    # one pulse in direction s: half + s mid (up to rounding of the halves)
    assert torch.allclose(params.half + params.mid, engine.dwmin_up, rtol=1e-12, atol=0)
    assert torch.allclose(params.half - params.mid, -engine.dwmin_down, rtol=1e-12, atol=0)


def test_cached_until_hidden_parameters_are_set():
    engine = engine_of("soft_bounds")
    params = engine.pulse_params()
    flat = engine.flat_pulse_params()
    assert engine.pulse_params() is params and engine.flat_pulse_params() is flat
    engine.update(torch.rand(2, COLS, dtype=torch.float64),
                  torch.rand(2, ROWS, dtype=torch.float64), 0.01, UpdateParameters())
    assert engine.pulse_params() is params
    hidden = engine.get_hidden_parameters()
    hidden["max_bound"] = hidden["max_bound"] * 2
    engine.set_hidden_parameters(hidden)
    fresh = engine.pulse_params()
    assert fresh is not params and engine.flat_pulse_params() is not flat
    assert torch.equal(fresh.hi, hidden["max_bound"])
    assert engine.pulse_params() is fresh


def test_cache_follows_new_bound_tensors():
    engine = engine_of("exp_step")
    params = engine.pulse_params()
    engine.min_bound = engine.min_bound.clone()
    assert engine.pulse_params() is not params
    assert engine.pulse_params().lo is engine.min_bound


def test_cache_is_rebuilt_after_a_move():
    engine = engine_of("linear_step_additive")
    params = engine.pulse_params()
    engine.to(dtype=torch.float32)
    moved = engine.pulse_params()
    assert moved is not params and moved.lo is engine.min_bound
    assert all(value.dtype == torch.float32 for _, value in moved.items())
    assert engine.flat_pulse_params().cv_mid.dtype == torch.float32


def test_containers_are_frozen_and_copyable():
    params = engine_of("pow_step").pulse_params()
    with pytest.raises(AttributeError):
        params.lo = params.hi
    for twin in (copy.deepcopy(params), pickle.loads(pickle.dumps(params))):
        assert type(twin) is type(params)
        for (key, value), (_, other) in zip(params.items(), twin.items()):
            assert torch.equal(value, other), key


def test_base_container_has_only_the_bounds():
    lo, hi = -torch.ones(2, 2), torch.ones(2, 2)
    params = PulseParams(lo, hi)
    assert params.names() == BOUNDS
    assert params.flat().lo.shape == (4,)
    assert torch.equal(params.apply(torch.neg).hi, -hi)
