"""Enum members and their string values (spec 20 §11.9, spec 10 §1.1/§2.1)."""

import pytest
import torch

from aihwkit.simulator.parameters import enums

EXPECTED = {
    "RPUDataType": {"FLOAT": "float", "DOUBLE": "double", "HALF": "half"},
    "AnalogMVType": {"IDEAL": "Ideal", "ONE_PASS": "OnePass",
                     "POS_NEG_SEPARATE": "PosNegSeparate",
                     "POS_NEG_SEPARATE_DIGITAL_SUM": "PosNegSeparateDigitalSum",
                     "SPLIT_MODE": "SplitMode", "BIT_WISE": "BitWise"},
    "BoundManagementType": {"NONE": "None", "ITERATIVE": "Iterative",
                            "ITERATIVE_WORST_CASE": "IterativeWorstCase", "SHIFT": "Shift"},
    "NoiseManagementType": {"NONE": "None", "ABS_MAX": "AbsMax",
                            "ABS_MAX_NP_SUM": "AbsMaxNPSum", "MAX": "Max",
                            "CONSTANT": "Constant", "AVERAGE_ABS_MAX": "AverageAbsMax"},
    "WeightNoiseType": {"NONE": "None", "ADDITIVE_CONSTANT": "AdditiveConstant",
                        "PCM_READ": "PCMRead"},
    "PulseType": {"NONE": "None", "STOCHASTIC_COMPRESSED": "StochasticCompressed",
                  "STOCHASTIC": "Stochastic", "NONE_WITH_DEVICE": "NoneWithDevice",
                  "MEAN_COUNT": "MeanCount",
                  "DETERMINISTIC_IMPLICIT": "DeterministicImplicit"},
    "WeightModifierType": {"NONE": "None", "DISCRETIZE": "Discretize",
                           "MULT_NORMAL": "MultNormal", "ADD_NORMAL": "AddNormal",
                           "DISCRETIZE_ADD_NORMAL": "DiscretizeAddNormal",
                           "DOREFA": "DoReFa", "POLY": "Poly", "PCM_NOISE": "PCMNoise",
                           "PROG_NOISE": "ProgNoise", "DROP_CONNECT": "DropConnect",
                           "COPY": "Copy"},
    "WeightClipType": {"NONE": "None", "FIXED_VALUE": "FixedValue",
                       "LAYER_GAUSSIAN": "LayerGaussian",
                       "AVERAGE_CHANNEL_MAX": "AverageChannelMax"},
    "WeightRemapType": {"NONE": "None", "LAYERWISE_SYMMETRIC": "LayerwiseSymmetric",
                        "CHANNELWISE_SYMMETRIC": "ChannelwiseSymmetric"},
    "VectorUnitCellUpdatePolicy": {"ALL": "All", "SINGLE_FIXED": "SingleFixed",
                                   "SINGLE_SEQUENTIAL": "SingleSequential",
                                   "SINGLE_RANDOM": "SingleRandom"},
    "CountLRFeedbackPolicy": {"NONE": "None", "PAST_MOMENTUM": "PastMomentum",
                              "EXTERN": "Extern"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_enum_members(name):
    enum_type = getattr(enums, name)
    assert {m.name: m.value for m in enum_type} == EXPECTED[name]
    for member in enum_type:
        assert str(member) == f"{name}.{member.name}"


def test_data_type_as_torch():
    assert enums.RPUDataType.FLOAT.as_torch() is torch.float32
    assert enums.RPUDataType.DOUBLE.as_torch() is torch.float64
    assert enums.RPUDataType.HALF.as_torch() is torch.float16
