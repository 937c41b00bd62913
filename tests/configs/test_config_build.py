"""``build_config`` for each algorithm (spec 20 §11.10)."""

import pytest

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.configs import (
    ChoppedTransferCompound, DigitalRankUpdateRPUConfig, DynamicTransferCompound,
    IOParameters, MappingParameter, MixedPrecisionCompound, SingleRPUConfig,
    SoftBoundsDevice, TransferCompound, UnitCellRPUConfig, UpdateParameters, VectorUnitCell,
    build_config)
from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, VectorUnitCellUpdatePolicy)

NO_MANAGEMENT = IOParameters(noise_management=NoiseManagementType.NONE,
                             bound_management=BoundManagementType.NONE)
SINGLE_PULSE = UpdateParameters(desired_bl=1, update_bl_management=False,
                                update_management=False)


def test_sgd_single_device():
    config = build_config("sgd", SoftBoundsDevice, construction_seed=7)
    assert config == SingleRPUConfig(device=SoftBoundsDevice(construction_seed=7))


def test_sgd_several_devices():
    config = build_config("SGD", SoftBoundsDevice, n_devices=3, construction_seed=7)
    assert config == UnitCellRPUConfig(device=VectorUnitCell(
        [SoftBoundsDevice()] * 3, update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM,
        construction_seed=7))


@pytest.mark.parametrize("name", ["tiki-taka", "tt", "ttv1", "Tiki-Taka"])
def test_tiki_taka(name):
    config = build_config(name, SoftBoundsDevice, construction_seed=3)
    assert config == UnitCellRPUConfig(device=TransferCompound(
        [SoftBoundsDevice(), SoftBoundsDevice()], transfer_forward=NO_MANAGEMENT,
        transfer_update=UpdateParameters(), units_in_mbatch=True, construction_seed=3))


def test_ttv2():
    config = build_config("ttv2", SoftBoundsDevice)
    assert config == UnitCellRPUConfig(
        device=ChoppedTransferCompound(
            [SoftBoundsDevice(), SoftBoundsDevice()], transfer_forward=NO_MANAGEMENT,
            transfer_update=SINGLE_PULSE, in_chop_prob=0.0, units_in_mbatch=False,
            auto_scale=False),
        update=UpdateParameters(desired_bl=5))


@pytest.mark.parametrize("name", ["chopped-ttv2", "ttv3", "c-ttv2"])
def test_chopped_ttv2(name):
    config = build_config(name, SoftBoundsDevice)
    assert config == UnitCellRPUConfig(
        device=ChoppedTransferCompound(
            [SoftBoundsDevice(), SoftBoundsDevice()], transfer_forward=NO_MANAGEMENT,
            transfer_update=SINGLE_PULSE, units_in_mbatch=False, fast_lr=0.1,
            auto_scale=True),
        update=UpdateParameters(desired_bl=5))
    assert config.device.in_chop_prob == 0.1


@pytest.mark.parametrize("name", ["agad", "ttv4"])
def test_agad(name):
    config = build_config(name, SoftBoundsDevice)
    assert config == UnitCellRPUConfig(
        device=DynamicTransferCompound(
            [SoftBoundsDevice(), SoftBoundsDevice()], transfer_forward=IOParameters(),
            transfer_update=UpdateParameters(desired_bl=1, update_bl_management=True,
                                             update_management=True),
            auto_scale=True, fast_lr=0.1, units_in_mbatch=False),
        update=UpdateParameters(desired_bl=5))


@pytest.mark.parametrize("name", ["mp", "mixed-precision"])
def test_mixed_precision(name):
    config = build_config(name, SoftBoundsDevice, construction_seed=5)
    assert config == DigitalRankUpdateRPUConfig(
        device=MixedPrecisionCompound(device=SoftBoundsDevice(construction_seed=5)))


def test_unknown_algorithm():
    with pytest.raises(ArgumentError, match="not known"):
        build_config("adam", SoftBoundsDevice)


def test_instances_are_copied_and_overridden():
    device = SoftBoundsDevice(dw_min=0.05)
    io_params = IOParameters(out_noise=0.0)
    config = build_config("tt", device, io_parameters=io_params, construction_seed=2)
    first, second = config.device.unit_cell_devices
    assert first == device and second == device
    assert first is not device and first is not second
    assert config.forward == io_params and config.forward is not io_params
    assert config.forward is not config.backward
    assert config.device.transfer_forward == IOParameters(
        out_noise=0.0, noise_management=NoiseManagementType.NONE,
        bound_management=BoundManagementType.NONE)
    assert io_params.noise_management is NoiseManagementType.ABS_MAX  # untouched
    single = build_config("sgd", device, construction_seed=9)
    assert single.device.construction_seed == 9 and device.construction_seed == 0


def test_callables_and_config_kwargs():
    config = build_config("sgd", lambda **kw: SoftBoundsDevice(w_max=0.5, **kw),
                          up_parameters=lambda **kw: UpdateParameters(desired_bl=7, **kw),
                          mapping=MappingParameter(max_input_size=128))
    assert config.device.w_max == 0.5
    assert config.update.desired_bl == 7
    assert config.mapping.max_input_size == 128
