"""Presets of the web composer (not re-exported by :mod:`aihwkit.simulator.presets`)."""

from dataclasses import dataclass, field
from typing import Any, Optional

from aihwkit.simulator.configs.configs import (
    InferenceRPUConfig, default_drift_compensation, default_noise_model)
from aihwkit.simulator.parameters.enums import WeightClipType, WeightModifierType
from aihwkit.simulator.parameters.inference import (
    WeightClipParameter, WeightModifierParameter)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.mapping import MappingParameter
from aihwkit.simulator.presets.utils import PresetIOParameters


@dataclass
class WebComposerIOParameters(PresetIOParameters):
    """Periphery of the web composer (the values of ``PresetIOParameters``)."""


@dataclass
class WebComposerWeightModifierParameter(WeightModifierParameter):
    """Additive Gaussian weight noise of std 0.1 (relative to the max weight) in
    training."""

    type: WeightModifierType = field(default=WeightModifierType.ADD_NORMAL,
                                     metadata={"always_show": True})
    std_dev: float = 0.1


@dataclass
class WebComposerWeightClipParameter(WeightClipParameter):
    """Weights clipped to ``[-1, 1]`` after each optimizer step."""

    fixed_value: float = 1.0
    type: WeightClipType = field(default=WeightClipType.FIXED_VALUE,
                                 metadata={"always_show": True})


@dataclass
class WebComposerMappingParameter(MappingParameter):
    """Column-wise weight scaling to 1 with a learned global output scale."""

    digital_bias: bool = True
    weight_scaling_omega: float = 1.0
    weight_scaling_columnwise: bool = True
    learn_out_scaling: bool = True
    out_scaling_columnwise: bool = False
    max_input_size: int = 512
    max_output_size: int = 512


@dataclass
class WebComposerInferenceRPUConfig(InferenceRPUConfig):
    """Inference configuration of the web composer."""

    forward: IOParameters = field(default_factory=WebComposerIOParameters,
                                  metadata={"bindings_include": True})
    noise_model: Any = field(default_factory=default_noise_model)
    drift_compensation: Optional[Any] = field(default_factory=default_drift_compensation)
    clip: WeightClipParameter = field(default_factory=WebComposerWeightClipParameter)
    modifier: WeightModifierParameter = field(
        default_factory=WebComposerWeightModifierParameter)
    mapping: MappingParameter = field(default_factory=WebComposerMappingParameter)


@dataclass
class OldWebComposerMappingParameter(WebComposerMappingParameter):
    """Mapping of the former web composer: analog bias, no learned scale, no splitting."""

    digital_bias: bool = False
    weight_scaling_omega: float = 1.0
    weight_scaling_columnwise: bool = True
    learn_out_scaling: bool = False
    out_scaling_columnwise: bool = False
    max_input_size: int = 0
    max_output_size: int = 0


@dataclass
class OldWebComposerInferenceRPUConfig(WebComposerInferenceRPUConfig):
    """Inference configuration of the former web composer."""

    mapping: MappingParameter = field(default_factory=OldWebComposerMappingParameter)
