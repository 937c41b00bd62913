"""Field names, order and defaults of the configuration dataclasses (spec tables)."""

# pylint: disable=import-error,wrong-import-order

from dataclasses import MISSING, fields

import pytest

import config_spec_tables as spec
from aihwkit.simulator import configs as cfg
from aihwkit.simulator.configs import compounds, devices
from aihwkit.simulator.configs.configs import IOManagedRPUConfig
from aihwkit.simulator.parameters import inference, io, mapping, pre_post, training
from aihwkit.simulator.parameters.enums import PulseType

_EVAL_NAMESPACE = {
    "DriftParameter": inference.DriftParameter,
    "SimpleDriftParameter": inference.SimpleDriftParameter,
    "IOParameters": io.IOParameters,
    "UpdateParameters": training.UpdateParameters,
    "VectorUnitCell": compounds.VectorUnitCell,
}

TABLES = [
    (io.IOParameters, spec.IO_PARAMETERS),
    (io.IOParametersIRDropT, spec.IO_PARAMETERS_IRDROP_T),
    (training.UpdateParameters, spec.UPDATE_PARAMETERS),
    (devices.PulsedDevice, spec.PULSED_DEVICE),
    (devices.IdealDevice, spec.IDEAL_DEVICE),
    (devices.FloatingPointDevice, spec.FLOATING_POINT_DEVICE),
    (devices.SoftBoundsPmaxDevice, spec.SOFT_BOUNDS_PMAX),
    (compounds.UnitCell, spec.VECTOR_UNIT_CELL[:2]),
    (compounds.VectorUnitCell, spec.VECTOR_UNIT_CELL),
    (compounds.ReferenceUnitCell, spec.REFERENCE_UNIT_CELL),
    (compounds.OneSidedUnitCell, spec.ONE_SIDED_UNIT_CELL),
    (compounds.DifferenceUnitCell, spec.ONE_SIDED_UNIT_CELL),
    (compounds.TransferCompound, spec.TRANSFER_COMPOUND),
    (compounds.BufferedTransferCompound, spec.BUFFERED_TRANSFER_COMPOUND),
    (compounds.ChoppedTransferCompound, spec.CHOPPED_TRANSFER_COMPOUND),
    (compounds.DynamicTransferCompound, spec.DYNAMIC_TRANSFER_COMPOUND),
    (compounds.DigitalRankUpdateCell, spec.DIGITAL_RANK_UPDATE_CELL),
    (compounds.MixedPrecisionCompound, spec.MIXED_PRECISION_COMPOUND),
    (mapping.MappingParameter, spec.MAPPING_PARAMETER),
    (pre_post.InputRangeParameter, spec.INPUT_RANGE_PARAMETER),
    (inference.WeightModifierParameter, spec.WEIGHT_MODIFIER_PARAMETER),
    (inference.WeightClipParameter, spec.WEIGHT_CLIP_PARAMETER),
    (inference.WeightRemapParameter, spec.WEIGHT_REMAP_PARAMETER),
    (inference.SimpleDriftParameter, spec.SIMPLE_DRIFT_PARAMETER),
    (inference.DriftParameter, spec.DRIFT_PARAMETER),
] + [(getattr(devices, name), spec.PULSED_DEVICE + extra)
     for name, extra in spec.DEVICE_EXTRAS.items()]


def _expected(value):
    if isinstance(value, str) and value.endswith(")"):
        return eval(value, dict(_EVAL_NAMESPACE))  # pylint: disable=eval-used
    return value


@pytest.mark.parametrize("klass,table", TABLES, ids=[c.__name__ for c, _ in TABLES])
def test_field_names_order_and_defaults(klass, table):
    assert [f.name for f in fields(klass)] == [name for name, _ in table]
    instance = klass()
    for name, default in table:
        value = getattr(instance, name)
        expected = _expected(default)
        assert type(value) is type(expected) or isinstance(expected, float), name
        assert value == expected, name


@pytest.mark.parametrize("name,order", spec.RPU_CONFIG_ORDER.items())
def test_rpu_config_field_order(name, order):
    assert [f.name for f in fields(getattr(cfg, name))] == order


def test_io_managed_config_fields():
    names = [f.name for f in fields(IOManagedRPUConfig)]
    assert names == ["tile_class", "runtime", "pre_post", "tile_array_class", "mapping",
                     "forward", "backward", "update"]
    for fld in fields(IOManagedRPUConfig)[-3:]:
        assert fld.metadata.get("bindings_include") is True


def test_rpu_config_defaults():
    assert isinstance(cfg.SingleRPUConfig().device, devices.ConstantStepDevice)
    assert type(cfg.UnitCellRPUConfig().device) is compounds.UnitCell
    assert type(cfg.DigitalRankUpdateRPUConfig().device) is compounds.DigitalRankUpdateCell
    assert cfg.FloatingPointRPUConfig().device == devices.FloatingPointDevice()
    for name in spec.RPU_CONFIG_ORDER:
        config = getattr(cfg, name)()
        assert config.mapping == mapping.MappingParameter()
        expected = ("QuantizedTileModuleArray" if name == "QuantizedTorchInferenceRPUConfig"
                    else "TileModuleArray")
        assert config.tile_array_class.__name__ == expected, name
    assert isinstance(cfg.TorchInferenceRPUConfigIRDropT().forward, io.IOParametersIRDropT)
    quant = cfg.QuantizedTorchInferenceRPUConfig()
    assert isinstance(quant.pre_post, pre_post.PrePostProcessingParameterQuant)
    assert quant.act_quant_config is None
    assert quant.pre_post.periph_quant == pre_post.PeripheryQuantizationParameter(
        n_bits=0, symmetric=True, learn_quant_params=False, init_learning_after=100)


def test_runtime_is_not_compared():
    runtime_field = next(f for f in fields(cfg.SingleRPUConfig) if f.name == "runtime")
    assert runtime_field.compare is False


def test_inference_config_fixed_fields_are_not_init_arguments():
    init_false = {f.name for f in fields(cfg.InferenceRPUConfig) if not f.init}
    assert init_false == {"device", "backward", "update"}
    config = cfg.InferenceRPUConfig()
    assert config.device == devices.IdealDevice()
    assert config.backward == io.IOParameters(is_perfect=True)
    assert config.update == training.UpdateParameters(pulse_type=PulseType.NONE)
    for name in init_false:
        with pytest.raises(TypeError, match=name):
            cfg.InferenceRPUConfig(**{name: None})


def test_inference_config_compatible_tiles():
    config = cfg.InferenceRPUConfig()
    assert config.compatible_with("TorchInferenceTile")
    assert not config.compatible_with("AnalogTile")


def test_inference_config_keyword_order():
    init_names = [f.name for f in fields(cfg.InferenceRPUConfig) if f.init]
    assert init_names == ["tile_class", "runtime", "pre_post", "tile_array_class", "mapping",
                          "forward", "noise_model", "drift_compensation", "clip", "remap",
                          "modifier"]


def test_lazy_tile_class_fields():
    expected = {
        "FloatingPointRPUConfig": "aihwkit.simulator.tiles.floating_point:FloatingPointTile",
        "SingleRPUConfig": "aihwkit.simulator.tiles.analog:AnalogTile",
        "UnitCellRPUConfig": "aihwkit.simulator.tiles.analog:AnalogTile",
        "DigitalRankUpdateRPUConfig": "aihwkit.simulator.tiles.analog:AnalogTile",
        "InferenceRPUConfig": "aihwkit.simulator.tiles.inference:InferenceTile",
        "TorchInferenceRPUConfig":
            "aihwkit.simulator.tiles.inference_torch:TorchInferenceTile",
        "QuantizedTorchInferenceRPUConfig":
            "aihwkit.simulator.tiles.quantized_inference_torch:QuantizedTorchInferenceTile",
    }
    for name, path in expected.items():
        fld = next(f for f in fields(getattr(cfg, name)) if f.name == "tile_class")
        assert fld.metadata["lazy_default"] == path
        assert fld.default is None and fld.default_factory is MISSING
    sim = {f.name: f for f in fields(cfg.TorchInferenceRPUConfigIRDropT)}
    assert (sim["simulator_tile_class"].metadata["lazy_default"]
            == "aihwkit.simulator.tiles.torch_tile_irdrop_t:TorchSimulatorTileIRDropT")
    sim = {f.name: f for f in fields(cfg.TorchInferenceRPUConfig)}
    assert (sim["simulator_tile_class"].metadata["lazy_default"]
            == "aihwkit.simulator.tiles.torch_tile:TorchSimulatorTile")
