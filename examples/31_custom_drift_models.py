"""Example 31: a user-defined, conductance-dependent drift model.

``CustomDriftPCMLikeNoiseModel`` takes a table of drift-exponent mean and std versus
programmed conductance (µS). Here low conductances drift strongly and high ones hardly
at all; the weights of a layer are programmed and read after one hour and one day, and
the conductances of a few weights are printed through the noise model's converter.
"""

import torch

from aihwkit.inference.noise.pcm import CustomDriftPCMLikeNoiseModel
from aihwkit.nn import AnalogLinear
from aihwkit.simulator.configs import IOParameters, TorchInferenceRPUConfig

torch.manual_seed(0)

custom_drift = {
    "g_lst": [0.0, 5.0, 10.0, 15.0, 20.0, 25.0],      # conductance, µS
    "nu_mean_lst": [0.12, 0.10, 0.06, 0.03, 0.015, 0.01],
    "nu_std_lst": [0.02, 0.02, 0.015, 0.01, 0.005, 0.005],
}
noise_model = CustomDriftPCMLikeNoiseModel(custom_drift, g_max=25.0)
rpu_config = TorchInferenceRPUConfig(noise_model=noise_model, drift_compensation=None,
                                     forward=IOParameters(is_perfect=True))

layer = AnalogLinear(8, 4, bias=False, rpu_config=rpu_config)
weights = torch.linspace(-1.0, 1.0, 32).reshape(4, 8)
layer.set_weights(weights)

conductances, params = noise_model.g_converter.convert_to_conductances(weights)
print("conductances (µS) of the first row, positive / negative device:")
print("  g+ =", conductances[0][0].numpy().round(2))
print("  g- =", conductances[1][0].numpy().round(2))

layer.eval()
layer.program_analog_weights()
for t_inference in (1.0, 3600.0, 86400.0):
    layer.drift_analog_weights(t_inference)
    with torch.no_grad():
        read = layer(torch.eye(8)).t()  # column j = W e_j
    ratio = (read / weights)[weights.abs() > 0.5]
    print(f"t = {t_inference:7.0f} s: weight |w| > 0.5 kept {ratio.mean():.3f} of its value "
          f"on average, small |w| <= 0.3 kept "
          f"{(read / weights)[(weights.abs() > 0.05) & (weights.abs() <= 0.3)].mean():.3f}")
