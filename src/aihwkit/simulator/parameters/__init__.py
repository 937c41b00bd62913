"""Parameter dataclasses and enums of the RPU configurations."""

# pylint: disable=unused-import
from aihwkit.simulator.parameters.enums import (  # noqa: F401
    AnalogMVType, BoundManagementType, CountLRFeedbackPolicy, NoiseManagementType, PulseType,
    RPUDataType, VectorUnitCellUpdatePolicy, WeightClipType, WeightModifierType,
    WeightNoiseType, WeightRemapType)
from aihwkit.simulator.parameters.inference import (  # noqa: F401
    DriftParameter, SimpleDriftParameter, WeightClipParameter, WeightModifierParameter,
    WeightRemapParameter)
from aihwkit.simulator.parameters.io import IOParameters, IOParametersIRDropT  # noqa: F401
from aihwkit.simulator.parameters.mapping import MappableRPU, MappingParameter  # noqa: F401
from aihwkit.simulator.parameters.pre_post import (  # noqa: F401
    InputRangeParameter, PeripheryQuantizationParameter, PrePostProcessingParameter,
    PrePostProcessingParameterQuant)
from aihwkit.simulator.parameters.runtime import RuntimeParameter  # noqa: F401
from aihwkit.simulator.parameters.training import UpdateParameters  # noqa: F401
