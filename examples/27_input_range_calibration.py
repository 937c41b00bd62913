"""Example 27: post-training input-range calibration.

A network trained in floating point is moved onto analog inference tiles with 5-bit
DACs. Without calibration the DAC range does not match the activations; calibrating the
input range of every tile on a few batches (``calibrate_input_ranges``) recovers the
accuracy.
"""

import torch
from torch import nn

from aihwkit.inference.calibration import InputRangeCalibrationType, calibrate_input_ranges
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.configs import NoiseManagementType, TorchInferenceRPUConfig
from aihwkit.utils.glyphs import noisy_glyphs

torch.manual_seed(0)
train_x, train_y = noisy_glyphs(2000, seed=0)
test_x, test_y = noisy_glyphs(500, seed=1)

# 1. train a digital network
digital = nn.Sequential(nn.Linear(35, 64), nn.ReLU(), nn.Linear(64, 10))
optimizer = torch.optim.SGD(digital.parameters(), lr=0.1)
for epoch in range(5):
    for start in range(0, 2000, 32):
        optimizer.zero_grad()
        nn.functional.cross_entropy(digital(train_x[start:start + 32]),
                                    train_y[start:start + 32]).backward()
        optimizer.step()


def accuracy(model) -> float:
    """Test accuracy in eval mode."""
    model.eval()
    with torch.no_grad():
        return float((model(test_x).argmax(1) == test_y).float().mean())


print(f"digital accuracy: {accuracy(digital):.3f}")

# 2. the same weights on analog tiles with 5-bit inputs and a fixed input range of 100
rpu_config = TorchInferenceRPUConfig()
rpu_config.forward.inp_res = 2 ** 5 - 2
rpu_config.forward.noise_management = NoiseManagementType.NONE  # inputs scaled by the range only
rpu_config.pre_post.input_range.enable = True
rpu_config.pre_post.input_range.init_value = 100.0
rpu_config.pre_post.input_range.learn_input_range = False


def analog_copy():
    """Analog network with the digital network's weights."""
    model = AnalogSequential(AnalogLinear(35, 64, rpu_config=rpu_config), nn.ReLU(),
                             AnalogLinear(64, 10, rpu_config=rpu_config))
    for analog, linear in zip([model[0], model[2]], [digital[0], digital[2]]):
        analog.set_weights(linear.weight.detach(), linear.bias.detach())
    return model


uncalibrated = analog_copy()
print(f"analog, input range 100 (uncalibrated): {accuracy(uncalibrated):.3f}")

# 3. calibrate the input ranges on 10 batches of training inputs
calibrated = analog_copy()
batches = [((train_x[i:i + 100],), {}) for i in range(0, 1000, 100)]
calibrate_input_ranges(calibrated, InputRangeCalibrationType.CACHE_QUANTILE, batches,
                       quantile=0.995)
ranges = [round(float(tile.input_range), 2) for tile in calibrated.analog_tiles()]
print(f"calibrated input ranges: {ranges}")
print(f"analog, calibrated: {accuracy(calibrated):.3f}")
