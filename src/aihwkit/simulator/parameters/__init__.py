"""Parameter dataclasses and enums of the RPU configurations."""

from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, CountLRFeedbackPolicy, NoiseManagementType, PulseType,
    RPUDataType, VectorUnitCellUpdatePolicy, WeightClipType, WeightModifierType,
    WeightNoiseType, WeightRemapType)
from aihwkit.simulator.parameters.inference import (
    DriftParameter, SimpleDriftParameter, WeightClipParameter, WeightModifierParameter,
    WeightRemapParameter)
from aihwkit.simulator.parameters.io import IOParameters, IOParametersIRDropT
from aihwkit.simulator.parameters.mapping import MappableRPU, MappingParameter
from aihwkit.simulator.parameters.pre_post import (
    InputRangeParameter, PrePostProcessingParameter, PrePostProcessingParameterQuant)
from aihwkit.simulator.parameters.runtime import RuntimeParameter
from aihwkit.simulator.parameters.training import UpdateParameters
