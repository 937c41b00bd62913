"""Example 32: how the mapping of weights to conductances changes drift.

The same weights are programmed with different conductance converters: one pair of PCM
devices per weight, two pairs with a significance factor (``DualPairConductanceConverter``),
three pairs (``NPairConductanceConverter``), and a custom table
(``CustomPairConductanceConverter``). After one day of drift (without compensation) the
mean absolute weight error differs between the options.
"""

import torch

from aihwkit.inference import PCMLikeNoiseModel
from aihwkit.inference.converter.conductance import (
    CustomPairConductanceConverter, DualPairConductanceConverter, NPairConductanceConverter,
    SinglePairConductanceConverter)
from aihwkit.nn import AnalogLinear
from aihwkit.simulator.configs import IOParameters, InferenceRPUConfig

torch.manual_seed(0)
weights = torch.rand(64, 64) * 2 - 1

converters = {
    "single pair": SinglePairConductanceConverter(g_max=25.0),
    "dual pair [1, 3]": DualPairConductanceConverter(f_lst=[1.0, 3.0], g_max=25.0),
    "three pairs [1, 1, 1]": NPairConductanceConverter(f_lst=[1.0, 1.0, 1.0], g_max=25.0),
    "custom pair": CustomPairConductanceConverter(
        f_lst=[1.0],
        g_lst=[[25.0, 12.5, 6.25, 0.0, 0.0, 0.0, 0.0],
               [0.0, 0.0, 0.0, 0.0, 6.25, 12.5, 25.0]],
        g_min=0.0, g_max=25.0, invertibility_test=False),
}

for name, converter in converters.items():
    rpu_config = InferenceRPUConfig(noise_model=PCMLikeNoiseModel(g_converter=converter),
                                    drift_compensation=None,
                                    forward=IOParameters(is_perfect=True))
    layer = AnalogLinear(64, 64, bias=False, rpu_config=rpu_config)
    layer.set_weights(weights)
    layer.eval()
    layer.program_analog_weights()
    errors = []
    for t_inference in (0.0, 86400.0):
        layer.drift_analog_weights(t_inference)
        drifted = layer.get_weights(apply_weight_scaling=True)[0]
        errors.append(float((drifted - weights).abs().mean()))
    print(f"{name:22s} mean |error| after programming {errors[0]:.4f}, "
          f"after one day {errors[1]:.4f}")
