"""Inference and hardware-aware training presets."""

from dataclasses import dataclass, field
from typing import Any, Optional

from aihwkit.simulator.configs.configs import (
    InferenceRPUConfig, TorchInferenceRPUConfig, default_drift_compensation,
    default_noise_model)
from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, WeightClipType, WeightNoiseType,
    WeightRemapType)
from aihwkit.simulator.parameters.inference import WeightClipParameter, WeightRemapParameter
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.parameters.pre_post import (
    InputRangeParameter, PrePostProcessingParameter)
from aihwkit.simulator.presets.utils import PresetIOParameters

_BINDINGS = {"bindings_include": True}


def _hwa_mapping() -> MappingParameter:
    return MappingParameter(
        weight_scaling_omega=1.0, weight_scaling_columnwise=True, max_input_size=512,
        max_output_size=0, digital_bias=True, learn_out_scaling=True,
        out_scaling_columnwise=True)


def _hwa_forward() -> PresetIOParameters:
    # resolutions > 1 are numbers of levels
    return PresetIOParameters(
        inp_res=254.0, out_res=254.0, bound_management=BoundManagementType.NONE,
        noise_management=NoiseManagementType.CONSTANT, nm_thres=1.0, w_noise=0.0175,
        w_noise_type=WeightNoiseType.PCM_READ, ir_drop=1.0, out_noise=0.04, out_bound=10.0)


def _hwa_pre_post() -> PrePostProcessingParameter:
    return PrePostProcessingParameter(input_range=InputRangeParameter(
        enable=True, init_value=3.0, init_from_data=100, init_std_alpha=3.0, decay=0.001,
        input_min_percentage=0.95, output_min_percentage=0.95, manage_output_clipping=False,
        gradient_scale=1.0, gradient_relative=True))


@dataclass
class StandardHWATrainingPreset(InferenceRPUConfig):
    """Hardware-aware training for PCM-like inference chips: 8-bit DAC/ADC with constant
    noise management, PCM read noise, IR drop, learned input ranges and output scales,
    channel-wise weight remapping and clipping at 1."""

    mapping: MappingParameter = field(default_factory=_hwa_mapping)
    forward: IOParameters = field(default_factory=_hwa_forward, metadata=_BINDINGS)
    remap: WeightRemapParameter = field(default_factory=lambda: WeightRemapParameter(
        remapped_wmax=1.0, type=WeightRemapType.CHANNELWISE_SYMMETRIC))
    noise_model: Any = field(default_factory=default_noise_model)
    drift_compensation: Optional[Any] = field(default_factory=default_drift_compensation)
    pre_post: PrePostProcessingParameter = field(default_factory=_hwa_pre_post)
    clip: WeightClipParameter = field(default_factory=lambda: WeightClipParameter(
        type=WeightClipType.FIXED_VALUE, fixed_value=1.0))


@dataclass
class FloatingPointPreset(TorchInferenceRPUConfig):
    """Exact floating point forward in the torch inference tile, no tile splitting."""

    mapping: MappingParameter = field(default_factory=lambda: MappingParameter(
        max_input_size=0, max_output_size=0))
    forward: IOParameters = field(default_factory=lambda: IOParameters(is_perfect=True),
                                  metadata=_BINDINGS)
    pre_post: PrePostProcessingParameter = field(
        default_factory=lambda: PrePostProcessingParameter(
            input_range=InputRangeParameter(enable=False)))
