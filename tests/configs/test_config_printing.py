"""Compact ``str()`` of configs (spec 20 §12.1, verified examples)."""

from aihwkit.simulator.configs import (
    ConstantStepDevice, DriftParameter, FloatingPointRPUConfig, InferenceRPUConfig,
    IOParameters, ReferenceUnitCell, SingleRPUConfig, TransferCompound, UpdateParameters,
    VectorUnitCell)
from aihwkit.simulator.presets import PCMPresetUnitCell, TTv2EcRamPreset

PRE_POST = "    pre_post=PrePostProcessingParameter(input_range=InputRangeParameter(enable=False)),"

SINGLE = "\n".join([
    "SingleRPUConfig(",
    "    runtime=RuntimeParameter(),",
    PRE_POST,
    "    mapping=MappingParameter(),",
    "    forward=IOParameters(),",
    "    backward=IOParameters(),",
    "    update=UpdateParameters(),",
    "    device=ConstantStepDevice()",
    ")"])

FLOATING_POINT = "\n".join([
    "FloatingPointRPUConfig(",
    "    runtime=RuntimeParameter(),",
    PRE_POST,
    "    mapping=MappingParameter(),",
    "    device=FloatingPointDevice(drift=SimpleDriftParameter())",
    ")"])

INFERENCE_HEAD = [
    "InferenceRPUConfig(",
    "    runtime=RuntimeParameter(),",
    PRE_POST,
    "    mapping=MappingParameter(),",
    "    forward=IOParameters(),",
    "    backward=IOParameters(is_perfect=True),",
    "    update=UpdateParameters(pulse_type=PulseType.NONE),"]
INFERENCE_TAIL = [
    "    drift_compensation=GlobalDriftCompensation(),",
    "    clip=WeightClipParameter(type=WeightClipType.NONE),",
    "    remap=WeightRemapParameter(type=WeightRemapType.NONE),",
    "    modifier=WeightModifierParameter(type=WeightModifierType.NONE),",
    "    device=IdealDevice()",
    ")"]

VECTOR = "\n".join([
    "VectorUnitCell(",
    "    unit_cell_devices=[",
    "        ConstantStepDevice(),",
    "        ConstantStepDevice()",
    "    ],",
    "    gamma_vec=[",
    "        0.5,",
    "        1",
    "    ]",
    ")"])

TTV2_ECRAM = "\n".join([
    "TTv2EcRamPreset(",
    "    runtime=RuntimeParameter(),",
    PRE_POST,
    "    mapping=MappingParameter(),",
    "    forward=PresetIOParameters(),",
    "    backward=PresetIOParameters(),",
    "    update=PresetUpdateParameters(desired_bl=100),",
    "    device=ChoppedTransferCompound(",
    "        unit_cell_devices=[",
    "            EcRamPresetDevice(),",
    "            EcRamPresetDevice()",
    "        ],",
    "        fast_lr=0.1,",
    "        transfer_forward=PresetIOParameters(bound_management=BoundManagementType.NONE, "
    "noise_management=NoiseManagementType.NONE),",
    "        transfer_update=PresetUpdateParameters(desired_bl=1, update_bl_management=False, "
    "update_management=False),",
    "        in_chop_prob=0.0,",
    "        auto_granularity=500,",
    "        auto_scale=True",
    "    )",
    ")"])


def test_single_rpu_config():
    assert str(SingleRPUConfig()) == SINGLE


def test_floating_point_rpu_config():
    assert str(FloatingPointRPUConfig()) == FLOATING_POINT


def test_inference_rpu_config():
    lines = str(InferenceRPUConfig()).split("\n")
    assert lines[:len(INFERENCE_HEAD)] == INFERENCE_HEAD
    assert lines[len(INFERENCE_HEAD)].startswith("    noise_model=PCMLikeNoiseModel(")
    assert lines[-len(INFERENCE_TAIL):] == INFERENCE_TAIL


def test_vector_unit_cell():
    cell = VectorUnitCell(unit_cell_devices=[ConstantStepDevice(), ConstantStepDevice()],
                          gamma_vec=[0.5, 1])
    assert str(cell) == VECTOR


def test_ttv2_ecram_preset():
    assert str(TTv2EcRamPreset()) == TTV2_ECRAM


def test_short_forms():
    assert str(IOParameters(is_perfect=True, inp_res=0.1)) == "IOParameters(is_perfect=True)"
    assert str(UpdateParameters()) == "UpdateParameters()"
    assert str(UpdateParameters(desired_bl=5)) == "UpdateParameters(desired_bl=5)"
    assert str(ConstantStepDevice(dw_min=0.1)) == "ConstantStepDevice(dw_min=0.1)"


def test_drift_hidden_only_when_default():
    assert str(ConstantStepDevice()) == "ConstantStepDevice()"
    assert (str(ConstantStepDevice(drift=DriftParameter(nu=0.1)))
            == "ConstantStepDevice(drift=DriftParameter(nu=0.1))")


def test_hidden_list_defaults():
    assert str(VectorUnitCell()) == "VectorUnitCell(unit_cell_devices=[])"
    assert str(ReferenceUnitCell()) == "ReferenceUnitCell(unit_cell_devices=[])"
    assert "gamma_vec=[\n" in str(ReferenceUnitCell(gamma_vec=[1.0, 1.0]))
    text = str(TransferCompound())
    for name in ("gamma_vec", "transfer_every_vec", "transfer_lr_vec"):
        assert name not in text


def test_preset_hides_its_own_defaults():
    text = str(PCMPresetUnitCell())
    assert "refresh_every" not in text and "units_in_mbatch" not in text
    assert "refresh_every=2" in str(PCMPresetUnitCell(refresh_every=2))
    assert str(TTv2EcRamPreset().device.unit_cell_devices[0]) == "EcRamPresetDevice()"


def test_repr_is_the_full_dataclass_repr():
    text = repr(UpdateParameters())
    assert text.startswith("UpdateParameters(desired_bl=31, fixed_bl=True, ")
    assert "um_grad_scale=1.0" in text
