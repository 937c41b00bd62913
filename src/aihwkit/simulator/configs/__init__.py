"""RPU configurations, devices, compounds and their parameters."""

# pylint: disable=unused-import
from aihwkit.simulator.parameters.enums import (  # noqa: F401
    AnalogMVType, BoundManagementType, CountLRFeedbackPolicy, NoiseManagementType,
    PulseType, RPUDataType, VectorUnitCellUpdatePolicy, WeightClipType, WeightModifierType,
    WeightNoiseType, WeightRemapType)
from aihwkit.simulator.parameters.inference import (  # noqa: F401
    DriftParameter, SimpleDriftParameter, WeightClipParameter, WeightModifierParameter,
    WeightRemapParameter)
from aihwkit.simulator.parameters.io import IOParameters, IOParametersIRDropT  # noqa: F401
from aihwkit.simulator.parameters.mapping import MappingParameter  # noqa: F401
from aihwkit.simulator.parameters.pre_post import (  # noqa: F401
    InputRangeParameter, PrePostProcessingParameter)
from aihwkit.simulator.parameters.training import UpdateParameters  # noqa: F401
from aihwkit.simulator.configs.devices import (  # noqa: F401
    ConstantStepDevice, ExpStepDevice, FloatingPointDevice, IdealDevice, LinearStepDevice,
    PiecewiseStepDevice, PowStepDevice, PowStepReferenceDevice, SoftBoundsDevice,
    SoftBoundsPmaxDevice, SoftBoundsReferenceDevice)
from aihwkit.simulator.configs.compounds import (  # noqa: F401
    BufferedTransferCompound, ChoppedTransferCompound, DifferenceUnitCell,
    DynamicTransferCompound, MixedPrecisionCompound, OneSidedUnitCell, ReferenceUnitCell,
    TransferCompound, VectorUnitCell)
from aihwkit.simulator.configs.configs import (  # noqa: F401
    DigitalRankUpdateRPUConfig, FloatingPointRPUConfig, InferenceRPUConfig,
    QuantizedTorchInferenceRPUConfig, SingleRPUConfig, TorchInferenceRPUConfig,
    TorchInferenceRPUConfigIRDropT, UnitCellRPUConfig)
from aihwkit.simulator.configs.helpers import build_config  # noqa: F401
