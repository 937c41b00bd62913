"""Enumerations used by the configuration dataclasses (values are aihwkit's strings)."""

from enum import Enum

import torch


class RPUDataType(Enum):
    """Floating point type of a tile's tensors."""

    FLOAT = "float"
    DOUBLE = "double"
    HALF = "half"

    def as_torch(self) -> torch.dtype:
        """The matching torch dtype."""
        return _TORCH_DTYPES[self._value_]   # the member attribute: no property lookup


_TORCH_DTYPES = {"float": torch.float32, "double": torch.float64, "half": torch.float16}


class BoundManagementType(Enum):
    """How the forward pass reacts to saturated outputs."""

    NONE = "None"
    ITERATIVE = "Iterative"
    ITERATIVE_WORST_CASE = "IterativeWorstCase"
    SHIFT = "Shift"


class NoiseManagementType(Enum):
    """How the input vector is scaled into the DAC range."""

    NONE = "None"
    ABS_MAX = "AbsMax"
    ABS_MAX_NP_SUM = "AbsMaxNPSum"
    MAX = "Max"
    CONSTANT = "Constant"
    AVERAGE_ABS_MAX = "AverageAbsMax"


class WeightNoiseType(Enum):
    """Kind of read noise on the weights during a matrix-vector product."""

    NONE = "None"
    ADDITIVE_CONSTANT = "AdditiveConstant"
    PCM_READ = "PCMRead"


class PulseType(Enum):
    """How the rank update is turned into device pulses."""

    NONE = "None"
    STOCHASTIC_COMPRESSED = "StochasticCompressed"
    STOCHASTIC = "Stochastic"
    NONE_WITH_DEVICE = "NoneWithDevice"
    MEAN_COUNT = "MeanCount"
    DETERMINISTIC_IMPLICIT = "DeterministicImplicit"


class WeightModifierType(Enum):
    """Weight perturbation applied during hardware-aware training."""

    NONE = "None"
    DISCRETIZE = "Discretize"
    MULT_NORMAL = "MultNormal"
    ADD_NORMAL = "AddNormal"
    DISCRETIZE_ADD_NORMAL = "DiscretizeAddNormal"
    DOREFA = "DoReFa"
    POLY = "Poly"
    PCM_NOISE = "PCMNoise"
    PROG_NOISE = "ProgNoise"
    DROP_CONNECT = "DropConnect"
    COPY = "Copy"


class WeightClipType(Enum):
    """Weight clipping applied after each optimizer step."""

    NONE = "None"
    FIXED_VALUE = "FixedValue"
    LAYER_GAUSSIAN = "LayerGaussian"
    AVERAGE_CHANNEL_MAX = "AverageChannelMax"


class WeightRemapType(Enum):
    """Weight remapping applied after each optimizer step."""

    NONE = "None"
    LAYERWISE_SYMMETRIC = "LayerwiseSymmetric"
    CHANNELWISE_SYMMETRIC = "ChannelwiseSymmetric"


class VectorUnitCellUpdatePolicy(Enum):
    """Which sub-device of a vector unit cell receives an update."""

    ALL = "All"
    SINGLE_FIXED = "SingleFixed"
    SINGLE_SEQUENTIAL = "SingleSequential"
    SINGLE_RANDOM = "SingleRandom"


class AnalogMVType(Enum):
    """How the analog matrix-vector product is organised."""

    IDEAL = "Ideal"
    ONE_PASS = "OnePass"
    POS_NEG_SEPARATE = "PosNegSeparate"
    POS_NEG_SEPARATE_DIGITAL_SUM = "PosNegSeparateDigitalSum"
    SPLIT_MODE = "SplitMode"
    BIT_WISE = "BitWise"


class CountLRFeedbackPolicy(Enum):
    """Learning-rate feedback of transfer counters (exported for compatibility)."""

    NONE = "None"
    PAST_MOMENTUM = "PastMomentum"
    EXTERN = "Extern"
