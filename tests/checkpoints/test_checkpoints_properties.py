"""Property-based checks (hypothesis, bounded example counts): invalid configuration
fields and invalid calls on every tile type and layer raise an exception naming the
argument, leave the object bit-identical and the object still trains."""

import copy
import math
import typing
from dataclasses import fields, is_dataclass

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aihwkit.exceptions import AihwkitException
from aihwkit.nn import AnalogConv2d, AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, QuantizedTorchInferenceRPUConfig,
    SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.presets import MixedPrecisionEcRamPreset, TikiTakaEcRamPreset

from checkpoint_helpers import same, snapshot

CONFIGS = {
    "floating-point": FloatingPointRPUConfig,
    "pulsed": SingleRPUConfig,
    "tiki-taka": TikiTakaEcRamPreset,
    "mixed-precision": MixedPrecisionEcRamPreset,
    "inference": InferenceRPUConfig,
    "torch-inference": TorchInferenceRPUConfig,
    "quantized-torch-inference": QuantizedTorchInferenceRPUConfig,
}
TORCH_TILES = {"torch-inference", "quantized-torch-inference"}
# bounded example counts keep the suite fast; derandomized so CI runs are reproducible
CONFIG_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.too_slow])
CALL_SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow])
RAISES = (AihwkitException, TypeError, ValueError)
TRIED = {}


def _count(name):
    TRIED[name] = TRIED.get(name, 0) + 1


# ---------------------------------------------------------------------------- configs
def _scalar_fields(obj, path=""):
    """``(path, kind)`` of every bool/int/float field in the config tree."""
    out = []
    hints = typing.get_type_hints(type(obj))
    for fld in fields(obj):
        value = getattr(obj, fld.name)
        sub = f"{path}.{fld.name}" if path else fld.name
        if isinstance(value, bool):
            out.append((sub, bool))
        elif isinstance(value, int):
            # ``res: float = 0`` is a real-valued field with an integer default
            out.append((sub, float if hints.get(fld.name) is float else int))
        elif isinstance(value, float) and math.isfinite(value):
            out.append((sub, float))
        elif is_dataclass(value) and not isinstance(value, type):
            out += _scalar_fields(value, sub)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if is_dataclass(item):
                    out += _scalar_fields(item, f"{sub}[{i}]")
    return out


def _set(obj, path, value):
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    setattr(obj, parts[-1], value)


FIELD_CASES = [(name, path, kind) for name, klass in sorted(CONFIGS.items())
               for path, kind in _scalar_fields(klass())]
BAD_VALUES = {
    float: [float("nan"), float("inf"), "0.5", True, None, [0.1]],
    int: [2.5, "3", None, float("nan"), True],
    bool: [1, 0, "yes", None, 0.0],
}


@st.composite
def _bad_field(draw):
    name, path, kind = draw(st.sampled_from(FIELD_CASES))
    value = draw(st.sampled_from(BAD_VALUES[kind]))
    if kind is int and isinstance(value, bool):
        value = "3"
    return name, path, value


@CONFIG_SETTINGS
@given(case=_bad_field())
def test_invalid_config_field_is_refused_naming_it(case):
    name, path, value = case
    _count("invalid config field")
    config = CONFIGS[name]()
    _set(config, path, value)
    kept = copy.deepcopy(config)
    field_name = path.rsplit(".", 1)[-1].split("[")[0]
    with pytest.raises(RAISES, match=field_name):
        AnalogLinear(4, 3, rpu_config=config)
    assert repr(config) == repr(kept)  # the config itself is left as given


# ---------------------------------------------------------------------------- calls
def _layer(name, kind):
    torch.manual_seed(0)
    if kind == "conv":
        return AnalogConv2d(2, 3, kernel_size=2, rpu_config=CONFIGS[name]())
    return AnalogLinear(4, 3, rpu_config=CONFIGS[name]())


def _input(kind):
    return torch.rand(2, 2, 3, 3) if kind == "conv" else torch.rand(2, 4)


def _train(layer, kind):
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    opt.regroup_param_groups(layer)
    opt.zero_grad()
    (layer(_input(kind)) ** 2).sum().backward()
    opt.step()


NUMBERS = st.one_of(st.sampled_from([float("nan"), float("inf"), -float("inf")]),
                    st.text(max_size=3), st.none(), st.booleans(),
                    st.floats(max_value=-1e-3, allow_nan=False, allow_infinity=False))


def _tile(layer):
    return next(layer.analog_tiles())


def _bad_tensor(shape, draw):
    tensor = torch.rand(*shape)
    how = draw(st.sampled_from(["nan", "inf", "transposed", "flat", "string"]))
    if how == "nan":
        tensor.view(-1)[draw(st.integers(0, tensor.numel() - 1))] = float("nan")
    elif how == "inf":
        tensor.view(-1)[draw(st.integers(0, tensor.numel() - 1))] = float("inf")
    elif how == "transposed":
        tensor = tensor.t() if tensor.dim() == 2 and shape[0] != shape[1] else \
            torch.rand(shape[0] + 1, *shape[1:])
    elif how == "flat":
        tensor = tensor.reshape(-1)
    else:
        return "weights"
    return tensor


@st.composite
def _bad_call(draw):
    name = draw(st.sampled_from(sorted(CONFIGS)))
    kind = draw(st.sampled_from(["linear", "conv"]))
    methods = ["set_learning_rate", "set_weights", "forward", "update", "optimizer_lr"]
    if name not in TORCH_TILES:
        methods += ["decay_weights", "drift_weights", "reset_columns"]
    method = draw(st.sampled_from(methods))
    if method in ("set_learning_rate", "decay_weights", "drift_weights", "optimizer_lr"):
        value = draw(NUMBERS)
        if value is None and method == "set_learning_rate":
            value = float("nan")  # None means "unchanged" there
        return name, kind, method, value
    if method == "reset_columns":
        return name, kind, method, draw(st.sampled_from([1.5, -0.1, float("nan"), "1"]))
    return name, kind, method, draw(st.integers(0, 2**16))


ARG_NAMES = {"set_learning_rate": "learning_rate", "decay_weights": "alpha",
             "drift_weights": "delta_t|t_inference", "reset_columns": "reset_prob",
             "optimizer_lr": "lr", "set_weights": "weight", "forward": "x", "update": "x|d"}


@CALL_SETTINGS
@given(case=_bad_call(), data=st.data())
def test_invalid_call_is_refused_without_change_and_the_layer_trains(case, data):
    name, kind, method, value = case
    _count(f"invalid call ({method})")
    layer = _layer(name, kind)
    tile = _tile(layer)
    in_size, out_size = tile.in_size, tile.out_size
    before = snapshot(layer)
    with pytest.raises(RAISES, match=ARG_NAMES[method]):
        if method == "set_weights":
            layer.set_weights(_bad_tensor((3, 4) if kind == "linear" else (3, 2, 2, 2),
                                          data.draw), None)
        elif method == "forward":
            bad = _input(kind)
            bad.view(-1)[value % bad.numel()] = float("nan")
            layer(bad)
        elif method == "update":
            x, d = torch.rand(2, in_size), torch.rand(2, out_size)
            target = x if value % 2 else d
            target.view(-1)[value % target.numel()] = float("inf")
            tile.update(x, d)
        elif method == "optimizer_lr":
            AnalogSGD(layer.parameters(), lr=value)
        elif method == "reset_columns":
            tile.reset_columns(0, 1, value)
        else:
            getattr(tile, method)(value)
    assert same(before, snapshot(layer))
    _train(layer, kind)
    assert not same(before, snapshot(layer))


def test_properties_report_their_case_counts():
    """Runs last in this module: each property tried a bounded, non-zero number of
    cases (printed with ``-s``)."""
    print("\nproperty cases tried:", dict(sorted(TRIED.items())))
    if TRIED:
        assert TRIED.get("invalid config field", 0) > 0
