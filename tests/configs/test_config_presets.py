"""Every preset against the tables of spec 20 §14 (table-driven)."""

from dataclasses import fields

import pytest

from aihwkit.simulator import presets
from aihwkit.simulator.configs import (
    ChoppedTransferCompound, DigitalRankUpdateRPUConfig, DynamicTransferCompound,
    InferenceRPUConfig, IOParameters, MappingParameter, MixedPrecisionCompound,
    SingleRPUConfig, TorchInferenceRPUConfig, TransferCompound, UnitCellRPUConfig,
    UpdateParameters, VectorUnitCell)
from aihwkit.simulator.configs import devices
from aihwkit.simulator.parameters.enums import (
    BoundManagementType as BM, NoiseManagementType as NM, PulseType,
    VectorUnitCellUpdatePolicy, WeightClipType, WeightModifierType, WeightNoiseType,
    WeightRemapType)
from aihwkit.simulator.presets import web

P = presets

IO_PRESETS = [
    (P.PresetIOParameters, IOParameters, dict(
        bound_management=BM.ITERATIVE, noise_management=NM.ABS_MAX, inp_res=1 / 126,
        inp_sto_round=False, out_bound=20.0, out_noise=0.1, out_res=1 / 510, w_noise=0.0,
        w_noise_type=WeightNoiseType.NONE)),
    (P.StandardIOParameters, IOParameters, dict(
        bound_management=BM.ITERATIVE, noise_management=NM.ABS_MAX, inp_res=1 / 254,
        inp_sto_round=False, out_bound=10.0, out_noise=0.04, out_res=1 / 254, w_noise=0.0,
        w_noise_type=WeightNoiseType.NONE)),
    (P.PresetUpdateParameters, UpdateParameters, dict(
        desired_bl=31, pulse_type=PulseType.STOCHASTIC_COMPRESSED, update_bl_management=True,
        update_management=True)),
    (web.WebComposerIOParameters, IOParameters, dict(
        bound_management=BM.ITERATIVE, noise_management=NM.ABS_MAX, inp_res=1 / 126,
        inp_sto_round=False, out_bound=20.0, out_noise=0.1, out_res=1 / 510, w_noise=0.0,
        w_noise_type=WeightNoiseType.NONE)),
]

_OM = dict(
    enforce_consistency=True, dw_min_dtod_log_normal=True, dw_min=0.0949, up_down=0.0,
    w_max=1.0, w_min=-1.0, mult_noise=False, dw_min_dtod=0.7829, up_down_dtod=0.01,
    w_max_dtod=0.3499, w_min_dtod=0.5695, dw_min_std=0.4158, write_noise_std=1.4113,
    corrupt_devices_range=0.01, corrupt_devices_prob=0.0, subtract_symmetry_point=True,
    reference_std=0.05)

DEVICE_PRESETS = [
    (P.ReRamESPresetDevice, devices.ExpStepDevice, dict(
        dw_min=0.00135, up_down=0.259359, w_max=1.0, w_min=-1.0, a=-0.5, b=-0.5,
        gamma_up=5.0, gamma_down=5.0, A_up=-1.18445, A_down=-0.081404, dw_min_dtod=0.2,
        up_down_dtod=0.05, w_max_dtod=0.3, w_min_dtod=0.3, dw_min_std=5.0,
        write_noise_std=75.0)),
    (P.ReRamSBPresetDevice, devices.SoftBoundsReferenceDevice, dict(
        dw_min=0.002, up_down=0.0, w_max=1.25, w_min=-0.75, mult_noise=False,
        dw_min_dtod=0.3, up_down_dtod=0.01, w_max_dtod=0.24, w_min_dtod=0.4,
        dw_min_std=3.75, write_noise_std=56)),
    (P.CapacitorPresetDevice, devices.LinearStepDevice, dict(
        dw_min=0.005, up_down=0.0, w_max=1.0, w_min=-1.0, mult_noise=False, gamma_up=0.05,
        gamma_down=0.05, dw_min_dtod=0.1, up_down_dtod=0.06, w_max_dtod=0.07,
        w_min_dtod=0.07, gamma_up_dtod=0.01, gamma_down_dtod=0.01, dw_min_std=0.3,
        write_noise_std=0.0, mean_bound_reference=True, lifetime=1.0e6, lifetime_dtod=0.3)),
    (P.EcRamPresetDevice, devices.LinearStepDevice, dict(
        dw_min=0.002, up_down=0.0, w_max=1.1724, w_min=-0.8276, mult_noise=True,
        gamma_up=0.1153, gamma_down=0.5085, dw_min_dtod=0.1, up_down_dtod=0.01,
        w_max_dtod=0.05, w_min_dtod=0.05, gamma_up_dtod=0.05, gamma_down_dtod=0.05,
        dw_min_std=0.3, write_noise_std=0.0, mean_bound_reference=True)),
    (P.EcRamMOPresetDevice, devices.LinearStepDevice, dict(
        dw_min=2.8214e-4, up_down=0.0, w_max=1.1714, w_min=-0.8286, mult_noise=True,
        gamma_up=0.4152, gamma_down=0.7342, dw_min_dtod=0.1, up_down_dtod=0.01,
        w_max_dtod=0.05, w_min_dtod=0.05, gamma_up_dtod=0.05, gamma_down_dtod=0.05,
        dw_min_std=2.0, write_noise_std=0.0, mean_bound_reference=True)),
    (P.IdealizedPresetDevice, devices.ConstantStepDevice, dict(
        dw_min=0.0002, dw_min_dtod=0.3, dw_min_std=0.3, up_down=0.0, up_down_dtod=0.0,
        w_max=1.0, w_min=-1.0, w_max_dtod=0.3, w_min_dtod=0.3)),
    (P.GokmenVlasovPresetDevice, devices.ConstantStepDevice, dict(
        dw_min=0.0016, dw_min_dtod=0.3, dw_min_std=0.3, up_down=0.0, up_down_dtod=0.01,
        w_max=1.0, w_min=-1.0, w_max_dtod=0.3, w_min_dtod=0.3)),
    (P.PCMPresetDevice, devices.ExpStepDevice, dict(
        dw_min=0.01, up_down=0.0, w_max=2.0, w_min=0.0, a=-1.0, b=0.0, gamma_up=2.5,
        gamma_down=2.5, A_up=-27.235, A_down=-2.235, dw_min_dtod=0.2, up_down_dtod=0.05,
        w_max_dtod=0.1, w_min_dtod=0.0, dw_min_std=0.6, dw_min_std_add=0.042,
        dw_min_std_slope=0.108, write_noise_std=0.0, reset=0.01, reset_dtod=0.02)),
    (P.ReRamArrayOMPresetDevice, devices.SoftBoundsReferenceDevice, _OM),
    (P.ReRamArrayHfO2PresetDevice, devices.SoftBoundsReferenceDevice, dict(
        _OM, dw_min=0.4622, dw_min_dtod=0.7125, w_max_dtod=0.4295, w_min_dtod=0.5990,
        dw_min_std=0.2174, write_noise_std=0.5841)),
]


def _check_values(obj, base, values):
    """``obj`` has ``values``; every other field keeps the default of ``base``."""
    reference = base()
    for fld in fields(base):
        expected = values.get(fld.name, getattr(reference, fld.name))
        actual = getattr(obj, fld.name)
        if isinstance(expected, float) and not isinstance(expected, bool):
            assert actual == pytest.approx(expected, rel=1e-12, abs=0.0), fld.name
        else:
            assert actual == expected, fld.name


PARAM_CASES = IO_PRESETS + DEVICE_PRESETS


@pytest.mark.parametrize("preset,base,values", PARAM_CASES,
                         ids=[c[0].__name__ for c in PARAM_CASES])
def test_parameter_and_device_presets(preset, base, values):
    assert issubclass(preset, base)
    assert [f.name for f in fields(preset)] == [f.name for f in fields(base)]
    _check_values(preset(), base, values)
    assert str(preset()) == f"{preset.__name__}()"


def test_pcm_preset_unit_cell():
    cell = P.PCMPresetUnitCell()
    assert cell.unit_cell_devices == [P.PCMPresetDevice(), P.PCMPresetDevice()]
    assert (cell.refresh_every, cell.units_in_mbatch) == (1, True)
    assert (cell.refresh_upper_thres, cell.refresh_lower_thres) == (0.75, 0.25)
    assert cell.copy_inverted is False
    assert cell.refresh_forward == P.PresetIOParameters()
    assert cell.refresh_update == P.PresetUpdateParameters(desired_bl=31)


ES, SB, CAP = P.ReRamESPresetDevice, P.ReRamSBPresetDevice, P.CapacitorPresetDevice
ECRAM, ECRAM_MO, IDEAL = P.EcRamPresetDevice, P.EcRamMOPresetDevice, P.IdealizedPresetDevice
GV = P.GokmenVlasovPresetDevice


def SBS():  # pylint: disable=invalid-name
    return SB(subtract_symmetry_point=True)


def _tf():
    return P.PresetIOParameters(noise_management=NM.NONE, bound_management=BM.NONE)


def _tu1():
    return P.PresetUpdateParameters(desired_bl=1, update_bl_management=False,
                                    update_management=False)


SINGLE = {"ReRamESPreset": ES, "ReRamSBPreset": SB, "CapacitorPreset": CAP,
          "EcRamPreset": ECRAM, "EcRamMOPreset": ECRAM_MO, "IdealizedPreset": IDEAL,
          "GokmenVlasovPreset": GV}
MULTI = {"ReRamES": ES, "ReRamSB": SB, "Capacitor": CAP, "EcRam": ECRAM, "EcRamMO": ECRAM_MO,
         "Idealized": IDEAL}
MIXED = dict({f"MixedPrecision{k}Preset": v for k, v in MULTI.items()},
             MixedPrecisionGokmenVlasovPreset=GV,
             MixedPrecisionPCMPreset=P.PCMPresetUnitCell)
TIKI_TAKA = {"TikiTakaReRamESPreset": (ES, {}), "TikiTakaReRamSBPreset": (SBS, {}),
             "TikiTakaCapacitorPreset": (CAP, {}), "TikiTakaEcRamPreset": (ECRAM, {}),
             "TikiTakaEcRamMOPreset": (ECRAM_MO, {}),
             "TikiTakaIdealizedPreset": (IDEAL, {})}
# preset: (device, in_chop_prob, fast_lr, auto_granularity, update.desired_bl)
CHOPPED = {
    "TTv2ReRamESPreset": (ES, 0.0, 0.5, 1000, 31),
    "TTv2ReRamSBPreset": (SBS, 0.0, 0.5, 1000, 31),
    "TTv2CapacitorPreset": (CAP, 0.0, 0.1, 1000, 31),
    "TTv2EcRamPreset": (ECRAM, 0.0, 0.1, 500, 100),
    "TTv2EcRamMOPreset": (ECRAM_MO, 0.0, 0.1, 500, 100),
    "TTv2IdealizedPreset": (IDEAL, 0.0, 0.1, 500, 100),
    "ChoppedTTv2ReRamESPreset": (ES, 0.01, 0.5, 1000, 31),
    "ChoppedTTv2ReRamSBPreset": (SBS, 0.01, 0.5, 1000, 31),
    "ChoppedTTv2CapacitorPreset": (CAP, 0.01, 0.1, 1000, 31),
    "ChoppedTTv2EcRamPreset": (ECRAM, 0.01, 1.0, 500, 100),
    "ChoppedTTv2EcRamMOPreset": (ECRAM_MO, 0.001, 0.1, 500, 100),
    "ChoppedTTv2IdealizedPreset": (IDEAL, 0.001, 0.1, 500, 100),
}
# preset: (device, fast_lr, auto_granularity, tail_weightening, in_chop_prob, desired_bl)
AGAD = {
    "AGADReRamESPreset": (ES, 0.5, 1000, 5.0, 0.02, 31),
    "AGADReRamSBPreset": (SBS, 0.5, 1000, 5.0, 0.02, 31),
    "AGADCapacitorPreset": (CAP, 0.1, 1000, 20.0, 0.01, 31),
    "AGADEcRamPreset": (ECRAM, 0.1, 750, 50.0, 0.005, 31),
    "AGADEcRamMOPreset": (ECRAM_MO, 0.1, 500, 50.0, 0.005, 100),
    "AGADIdealizedPreset": (IDEAL, 0.1, 500, 50.0, 0.005, 100),
}


def _expected_configs():
    """(preset name, expected config built by hand from the spec tables)."""
    cases = []
    periph = {"forward": P.PresetIOParameters(), "backward": P.PresetIOParameters()}
    for name, dev in SINGLE.items():
        cases.append((name, SingleRPUConfig(device=dev(), update=P.PresetUpdateParameters(),
                                            **periph)))
    cases.append(("PCMPreset", UnitCellRPUConfig(
        device=P.PCMPresetUnitCell(), update=P.PresetUpdateParameters(), **periph)))
    for stem, dev in MULTI.items():
        for k in (2, 4):
            cell = VectorUnitCell(unit_cell_devices=[dev() for _ in range(k)],
                                  update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM)
            cases.append((f"{stem}{k}Preset", UnitCellRPUConfig(
                device=cell, update=P.PresetUpdateParameters(), **periph)))
    for name, (dev, extra) in TIKI_TAKA.items():
        compound = TransferCompound(
            unit_cell_devices=[dev(), dev()], transfer_forward=_tf(),
            transfer_update=P.PresetUpdateParameters(), units_in_mbatch=True, **extra)
        cases.append((name, UnitCellRPUConfig(device=compound,
                                              update=P.PresetUpdateParameters(), **periph)))
    for name, (dev, chop, fast_lr, gran, bl) in CHOPPED.items():
        compound = ChoppedTransferCompound(
            unit_cell_devices=[dev(), dev()], transfer_forward=_tf(), transfer_update=_tu1(),
            units_in_mbatch=False, auto_scale=True, in_chop_prob=chop, fast_lr=fast_lr,
            auto_granularity=gran)
        cases.append((name, UnitCellRPUConfig(
            device=compound, update=P.PresetUpdateParameters(desired_bl=bl), **periph)))
    for name, (dev, fast_lr, gran, tail, chop, bl) in AGAD.items():
        compound = DynamicTransferCompound(
            unit_cell_devices=[dev(), dev()], transfer_forward=_tf(), transfer_update=_tu1(),
            auto_scale=True, units_in_mbatch=False, in_chop_random=False, fast_lr=fast_lr,
            auto_granularity=gran, tail_weightening=tail, in_chop_prob=chop)
        cases.append((name, UnitCellRPUConfig(
            device=compound, update=P.PresetUpdateParameters(desired_bl=bl), **periph)))
    for name, dev in MIXED.items():
        cases.append((name, DigitalRankUpdateRPUConfig(
            device=MixedPrecisionCompound(device=dev()), update=P.PresetUpdateParameters(),
            **periph)))
    return cases


CONFIG_CASES = _expected_configs()


@pytest.mark.parametrize("name,expected", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_rpu_config_presets(name, expected):
    preset = getattr(P, name)
    assert issubclass(preset, type(expected))
    config = preset()
    assert [f.name for f in fields(config)] == [f.name for f in fields(expected)]
    for fld in fields(expected):
        if fld.name == "tile_class":
            continue
        assert getattr(config, fld.name) == getattr(expected, fld.name), fld.name
        assert type(getattr(config, fld.name)) is type(getattr(expected, fld.name)), fld.name


def test_every_config_preset_is_covered():
    exported = {n for n in dir(P) if n.endswith("Preset")}
    covered = {name for name, _ in CONFIG_CASES}
    assert exported - covered == {"StandardHWATrainingPreset", "FloatingPointPreset"}


def test_standard_hwa_training_preset():
    config = P.StandardHWATrainingPreset()
    assert isinstance(config, InferenceRPUConfig)
    assert config.mapping == MappingParameter(
        weight_scaling_omega=1.0, weight_scaling_columnwise=True, max_input_size=512,
        max_output_size=0, digital_bias=True, learn_out_scaling=True,
        out_scaling_columnwise=True)
    assert config.forward == P.PresetIOParameters(
        inp_res=254.0, out_res=254.0, bound_management=BM.NONE, noise_management=NM.CONSTANT,
        nm_thres=1.0, w_noise=0.0175, w_noise_type=WeightNoiseType.PCM_READ, ir_drop=1.0,
        out_noise=0.04, out_bound=10.0)
    assert config.remap.type is WeightRemapType.CHANNELWISE_SYMMETRIC
    assert config.remap.remapped_wmax == 1.0
    rng = config.pre_post.input_range
    assert (rng.enable, rng.learn_input_range, rng.init_value, rng.init_from_data) == (
        True, True, 3.0, 100)
    assert (rng.init_std_alpha, rng.decay, rng.input_min_percentage) == (3.0, 0.001, 0.95)
    assert (rng.output_min_percentage, rng.manage_output_clipping) == (0.95, False)
    assert (rng.gradient_scale, rng.gradient_relative) == (1.0, True)
    assert config.clip.type is WeightClipType.FIXED_VALUE and config.clip.fixed_value == 1.0
    assert config.modifier.type is WeightModifierType.NONE
    assert type(config.noise_model).__name__ == "PCMLikeNoiseModel"
    assert type(config.drift_compensation).__name__ == "GlobalDriftCompensation"


def test_floating_point_preset():
    config = P.FloatingPointPreset()
    assert isinstance(config, TorchInferenceRPUConfig)
    assert config.mapping == MappingParameter(max_input_size=0, max_output_size=0)
    assert config.forward == IOParameters(is_perfect=True)
    assert config.pre_post.input_range.enable is False


def test_web_presets():
    assert web.WebComposerWeightModifierParameter().type is WeightModifierType.ADD_NORMAL
    assert web.WebComposerWeightModifierParameter().std_dev == 0.1
    clip = web.WebComposerWeightClipParameter()
    assert (clip.fixed_value, clip.type) == (1.0, WeightClipType.FIXED_VALUE)
    assert web.WebComposerMappingParameter() == web.WebComposerMappingParameter(
        digital_bias=True, weight_scaling_omega=1.0, weight_scaling_columnwise=True,
        learn_out_scaling=True, out_scaling_columnwise=False, max_input_size=512,
        max_output_size=512)
    old = web.OldWebComposerMappingParameter()
    assert (old.digital_bias, old.weight_scaling_omega, old.weight_scaling_columnwise) == (
        False, 1.0, True)
    assert (old.learn_out_scaling, old.out_scaling_columnwise) == (False, False)
    assert (old.max_input_size, old.max_output_size) == (0, 0)
    config = web.WebComposerInferenceRPUConfig()
    assert isinstance(config, InferenceRPUConfig)
    assert type(config.forward) is web.WebComposerIOParameters
    assert type(config.clip) is web.WebComposerWeightClipParameter
    assert type(config.modifier) is web.WebComposerWeightModifierParameter
    assert type(config.mapping) is web.WebComposerMappingParameter
    assert type(web.OldWebComposerInferenceRPUConfig().mapping) is (
        web.OldWebComposerMappingParameter)
    assert not any(hasattr(P, name) for name in dir(web) if name.startswith("WebComposer"))
