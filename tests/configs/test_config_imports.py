"""Every name of the import-path table (spec 20 §11.1) resolves from every listed path."""

import importlib

import pytest

ENUMS = ["BoundManagementType", "NoiseManagementType", "WeightNoiseType", "PulseType",
         "WeightModifierType", "WeightClipType", "WeightRemapType",
         "VectorUnitCellUpdatePolicy", "AnalogMVType"]
DEVICES = ["FloatingPointDevice", "IdealDevice", "ConstantStepDevice", "LinearStepDevice",
           "SoftBoundsDevice", "SoftBoundsPmaxDevice", "SoftBoundsReferenceDevice",
           "ExpStepDevice", "PowStepDevice", "PowStepReferenceDevice", "PiecewiseStepDevice"]
COMPOUNDS = ["VectorUnitCell", "ReferenceUnitCell", "OneSidedUnitCell", "DifferenceUnitCell",
             "TransferCompound", "BufferedTransferCompound", "ChoppedTransferCompound",
             "DynamicTransferCompound", "MixedPrecisionCompound"]
RPU_CONFIGS = ["FloatingPointRPUConfig", "InferenceRPUConfig", "SingleRPUConfig",
               "UnitCellRPUConfig", "DigitalRankUpdateRPUConfig", "TorchInferenceRPUConfig",
               "TorchInferenceRPUConfigIRDropT", "QuantizedTorchInferenceRPUConfig"]
PARAMS = ["IOParameters", "UpdateParameters", "WeightModifierParameter",
          "WeightClipParameter", "WeightRemapParameter", "SimpleDriftParameter",
          "DriftParameter", "MappingParameter", "InputRangeParameter",
          "PrePostProcessingParameter"]

TABLE = {
    "aihwkit.simulator.configs": PARAMS + ["IOParametersIRDropT", "RPUDataType",
                                           "CountLRFeedbackPolicy", "build_config"]
    + ENUMS + DEVICES + COMPOUNDS + RPU_CONFIGS,
    "aihwkit.simulator.configs.configs": RPU_CONFIGS + ["IOManagedRPUConfig"],
    "aihwkit.simulator.configs.devices": DEVICES + ["PulsedDevice"] + COMPOUNDS,
    "aihwkit.simulator.configs.compounds": COMPOUNDS + ["UnitCell", "DigitalRankUpdateCell"],
    "aihwkit.simulator.configs.utils": PARAMS + ENUMS,
    "aihwkit.simulator.configs.helpers": ["build_config"],
    "aihwkit.simulator.parameters": ENUMS + [
        "RPUDataType", "UpdateParameters", "IOParameters", "IOParametersIRDropT",
        "MappingParameter", "InputRangeParameter", "PrePostProcessingParameter",
        "PrePostProcessingParameterQuant", "WeightModifierParameter", "WeightClipParameter",
        "WeightRemapParameter", "SimpleDriftParameter", "DriftParameter"],
    "aihwkit.simulator.parameters.enums": ENUMS + ["RPUDataType", "CountLRFeedbackPolicy"],
    "aihwkit.simulator.parameters.io": ["IOParameters", "IOParametersIRDropT"],
    "aihwkit.simulator.parameters.training": ["UpdateParameters"],
    "aihwkit.simulator.parameters.mapping": ["MappingParameter", "MappableRPU"],
    "aihwkit.simulator.parameters.pre_post": [
        "InputRangeParameter", "PeripheryQuantizationParameter", "PrePostProcessingParameter",
        "PrePostProcessingParameterQuant", "PrePostProcessingRPU"],
    "aihwkit.simulator.parameters.inference": [
        "WeightModifierParameter", "WeightClipParameter", "WeightRemapParameter",
        "SimpleDriftParameter", "DriftParameter"],
    "aihwkit.simulator.parameters.runtime": ["RuntimeParameter"],
    "aihwkit.simulator.parameters.base": ["RPUConfigBase", "RPUConfigGeneric"],
    "aihwkit.simulator.parameters.helpers": [
        "_PrintableMixin", "parameters_to_bindings", "tile_parameters_to_bindings"],
    "aihwkit.simulator.parameters.quantization": [
        "ActivationQuantConfig", "WeightQuantConfig", "QuantizationConfig", "QuantizationMap"],
}

CASES = [(path, name) for path, names in TABLE.items() for name in names]


@pytest.mark.parametrize("path,name", CASES, ids=[f"{p}:{n}" for p, n in CASES])
def test_name_importable(path, name):
    assert hasattr(importlib.import_module(path), name)


def test_same_object_from_every_path():
    from aihwkit.simulator import configs  # pylint: disable=import-outside-toplevel
    for path, names in TABLE.items():
        module = importlib.import_module(path)
        for name in names:
            if hasattr(configs, name):
                assert getattr(module, name) is getattr(configs, name), f"{path}:{name}"


def test_not_exported_from_configs_package():
    from aihwkit.simulator import configs  # pylint: disable=import-outside-toplevel
    for name in ["PulsedDevice", "UnitCell", "DigitalRankUpdateCell", "RuntimeParameter",
                 "PrePostProcessingParameterQuant"]:
        assert not hasattr(configs, name), name


def test_legacy_utils_has_no_data_type():
    utils = importlib.import_module("aihwkit.simulator.configs.utils")
    assert not hasattr(utils, "RPUDataType")


def test_configs_do_not_import_tiles_or_engine():
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    code = ("import sys, aihwkit.simulator.configs, aihwkit.simulator.presets, "
            "aihwkit.simulator.presets.web; "
            "bad = [m for m in sys.modules if m.startswith(('aihwkit.simulator.tiles', "
            "'aihwkit.simulator.rpu_base', 'aihwkit.nn'))]; print(bad); "
            "sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
