"""Every configuration class: defaults, keyword overrides, unknown keywords, copies, pickle;
plus the seed text's examples and device/compound helper methods."""

import copy
import importlib
import inspect
import pickle
from dataclasses import fields, is_dataclass

import pytest

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs import (
    DigitalRankUpdateRPUConfig, FloatingPointDevice, IdealDevice, IOParameters,
    LinearStepDevice, MixedPrecisionCompound, SingleRPUConfig, SoftBoundsDevice,
    TransferCompound, UnitCellRPUConfig, UpdateParameters, VectorUnitCell,
    VectorUnitCellUpdatePolicy)
from aihwkit.simulator.configs.compounds import (
    BufferedTransferCompound, ChoppedTransferCompound, DigitalRankUpdateCell,
    DynamicTransferCompound, OneSidedUnitCell)
from aihwkit.simulator.configs.devices import ConstantStepDevice, PulsedDevice
from aihwkit.simulator.parameters.helpers import parameters_to_bindings
from aihwkit.simulator.parameters.quantization import (
    ActivationQuantConfig, QuantizationConfig, QuantizationMap, WeightQuantConfig)

MODULES = [
    "aihwkit.simulator.configs.devices", "aihwkit.simulator.configs.compounds",
    "aihwkit.simulator.configs.configs", "aihwkit.simulator.parameters.io",
    "aihwkit.simulator.parameters.training", "aihwkit.simulator.parameters.inference",
    "aihwkit.simulator.parameters.mapping", "aihwkit.simulator.parameters.pre_post",
    "aihwkit.simulator.parameters.runtime", "aihwkit.simulator.parameters.quantization",
    "aihwkit.simulator.presets.utils", "aihwkit.simulator.presets.devices",
    "aihwkit.simulator.presets.compounds", "aihwkit.simulator.presets.configs",
    "aihwkit.simulator.presets.inference", "aihwkit.simulator.presets.web",
]


def _all_classes():
    found = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if inspect.isclass(value) and is_dataclass(value) and not attr.startswith("_"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return sorted(found.items())


CLASSES = _all_classes()


def test_enough_classes_found():
    assert len(CLASSES) > 120


def _changed(value):
    """A different value of the same simple type (None when there is none)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return None


@pytest.mark.parametrize("klass", [c for _, c in CLASSES], ids=[n for n, _ in CLASSES])
def test_class_contract(klass):
    default = klass()
    assert default == klass()
    assert copy.deepcopy(default) == default
    assert copy.copy(default) == default
    assert pickle.loads(pickle.dumps(default)) == default
    assert isinstance(str(default), str) and str(default).startswith(klass.__name__ + "(")

    overridable = [f for f in fields(klass) if f.init and _changed(getattr(default, f.name))
                   is not None]
    for fld in overridable:
        value = _changed(getattr(default, fld.name))
        changed = klass(**{fld.name: value})
        assert getattr(changed, fld.name) == value
        assert f"{fld.name}=" in str(changed) or getattr(changed, "is_perfect", False)
        restored = pickle.loads(pickle.dumps(changed))
        assert restored == changed and restored != default

    with pytest.raises(TypeError, match="not_a_field"):
        klass(not_a_field=1)


def test_device_update_docstrings_state_the_rule():
    from aihwkit.simulator.configs import devices  # pylint: disable=import-outside-toplevel
    for name, value in vars(devices).items():
        if inspect.isclass(value) and value.__module__ == devices.__name__:
            assert value.__doc__ and len(value.__doc__) > 80, name
            if issubclass(value, PulsedDevice) and value is not PulsedDevice:
                assert "pulse" in value.__doc__.lower(), name


def test_seed_text_examples():
    rpu_config = SingleRPUConfig(device=LinearStepDevice(w_min=-0.4, w_max=0.6))
    assert (rpu_config.device.w_min, rpu_config.device.w_max) == (-0.4, 0.6)

    rpu_config = SingleRPUConfig(device=LinearStepDevice())
    rpu_config.forward.out_noise = 0.1
    rpu_config.backward.out_noise = 0.1
    rpu_config.update.desired_bl = 20
    rpu_config.device.w_min = -0.4
    rpu_config.device.w_max = 0.6
    assert rpu_config.forward.out_noise == 0.1 and rpu_config.backward.out_noise == 0.1
    assert rpu_config.update.desired_bl == 20
    assert parameters_to_bindings(rpu_config) is rpu_config

    rpu_config = UnitCellRPUConfig()
    rpu_config.device = VectorUnitCell(unit_cell_devices=[
        SoftBoundsDevice(w_max=0.3), LinearStepDevice(w_max=0.4)])
    rpu_config.device.update_policy = VectorUnitCellUpdatePolicy.SINGLE_RANDOM
    assert rpu_config.device.update_policy is VectorUnitCellUpdatePolicy.SINGLE_RANDOM

    rpu_config = UnitCellRPUConfig(device=TransferCompound(
        unit_cell_devices=[SoftBoundsDevice(w_min=-0.3, w_max=0.3),
                           SoftBoundsDevice(w_min=-0.6, w_max=0.6)],
        units_in_mbatch=True, transfer_every=2, n_cols_per_transfer=1, gamma=0.0,
        scale_transfer_lr=True, transfer_lr=1.0))
    rpu_config.forward.inp_res = 1 / 64.0
    rpu_config.device.transfer_forward = rpu_config.forward
    rpu_config.device.transfer_update = rpu_config.update
    assert rpu_config.device.transfer_forward.inp_res == 1 / 64.0
    assert rpu_config.device.n_reads_per_transfer == 1

    rpu_config = DigitalRankUpdateRPUConfig(device=MixedPrecisionCompound(
        device=SoftBoundsDevice(), n_x_bins=0, n_d_bins=0))
    assert rpu_config.device.device == SoftBoundsDevice()


@pytest.mark.parametrize("klass", [TransferCompound, BufferedTransferCompound,
                                   ChoppedTransferCompound, DynamicTransferCompound])
def test_old_name_of_n_reads_per_transfer(klass):
    compound = klass(n_cols_per_transfer=3)
    assert compound.n_reads_per_transfer == 3 and compound == klass(n_reads_per_transfer=3)
    assert compound.n_cols_per_transfer == 3
    compound.n_cols_per_transfer = 2
    assert compound.n_reads_per_transfer == 2
    assert "n_cols_per_transfer" not in vars(compound)
    assert "n_cols_per_transfer" not in [f.name for f in fields(klass)]
    with pytest.raises(TypeError, match="n_cols_per_transfer"):
        klass(n_cols_per_transfer=1, n_reads_per_transfer=1)
    assert list(inspect.signature(klass).parameters)[:2] == ["unit_cell_devices",
                                                             "construction_seed"]


def test_misspelt_attribute_is_rejected_on_validation():
    rpu_config = SingleRPUConfig()
    rpu_config.forward.out_nosie = 0.1  # pylint: disable=attribute-defined-outside-init
    with pytest.raises(ConfigError, match="out_nosie"):
        parameters_to_bindings(rpu_config)


@pytest.mark.parametrize("klass", [FloatingPointDevice, IdealDevice, ConstantStepDevice,
                                   SoftBoundsDevice])
def test_single_device_requirements(klass):
    assert not klass().requires_diffusion() and not klass().requires_decay()
    assert klass(diffusion=0.01).requires_diffusion()
    assert klass(lifetime=100.0).requires_decay()


def test_compound_requirements():
    plain, diffusing, decaying = (ConstantStepDevice(), ConstantStepDevice(diffusion=0.1),
                                  ConstantStepDevice(lifetime=10.0))
    for klass in (VectorUnitCell, OneSidedUnitCell, TransferCompound, ChoppedTransferCompound):
        assert not klass([plain, plain]).requires_diffusion()
        assert klass([plain, diffusing]).requires_diffusion()
        assert not klass([plain, diffusing]).requires_decay()
        assert klass([decaying, plain]).requires_decay()
    nested = VectorUnitCell([TransferCompound([plain, decaying])])
    assert nested.requires_decay() and not nested.requires_diffusion()
    assert MixedPrecisionCompound(device=diffusing).requires_diffusion()
    assert not MixedPrecisionCompound(device=diffusing).requires_decay()
    assert DigitalRankUpdateCell(device=VectorUnitCell([decaying])).requires_decay()


def test_mutable_defaults_are_not_shared():
    first, second = VectorUnitCell(), VectorUnitCell()
    first.unit_cell_devices.append(ConstantStepDevice())
    assert second.unit_cell_devices == []
    one, two = SingleRPUConfig(), SingleRPUConfig()
    one.forward.out_noise = 0.0
    assert two.forward.out_noise == 0.06
    assert IOParameters().out_noise == 0.06 and UpdateParameters().desired_bl == 31


def test_quantization_map_lookup():
    linear_cfg = QuantizationConfig(activation_quant_config=ActivationQuantConfig(n_bits=8))
    named_cfg = QuantizationConfig(weight_quant_config=WeightQuantConfig(n_bits=4))
    qmap = QuantizationMap(module_qconfig_map={int: linear_cfg},
                           instance_qconfig_map={"layer.0": named_cfg})
    assert qmap.config_for("layer.0", 3) is named_cfg
    assert qmap.config_for("layer.1", 3) is linear_cfg
    assert qmap.config_for("layer.1", "text") is None
