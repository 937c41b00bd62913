"""Old import path of the parameter dataclasses and enums (kept for compatibility)."""

# pylint: disable=unused-import
from aihwkit.simulator.parameters.enums import (  # noqa: F401
    AnalogMVType, BoundManagementType, NoiseManagementType, PulseType,
    VectorUnitCellUpdatePolicy, WeightClipType, WeightModifierType, WeightNoiseType,
    WeightRemapType)
from aihwkit.simulator.parameters.inference import (  # noqa: F401
    DriftParameter, SimpleDriftParameter, WeightClipParameter, WeightModifierParameter,
    WeightRemapParameter)
from aihwkit.simulator.parameters.io import IOParameters  # noqa: F401
from aihwkit.simulator.parameters.mapping import MappingParameter  # noqa: F401
from aihwkit.simulator.parameters.pre_post import (  # noqa: F401
    InputRangeParameter, PrePostProcessingParameter)
from aihwkit.simulator.parameters.training import UpdateParameters  # noqa: F401
