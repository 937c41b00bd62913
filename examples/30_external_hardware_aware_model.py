"""Example 30: bring an externally trained model onto analog inference hardware.

A digital network (standing in for one trained elsewhere, e.g. with noise injection) is
converted with ``convert_to_analog(model, StandardHWATrainingPreset())``, its input
ranges are calibrated on a few training batches, and its accuracy is evaluated after
programming and PCM drift.
"""

import torch
from torch import nn

from aihwkit.inference.calibration import InputRangeCalibrationType, calibrate_input_ranges
from aihwkit.nn.conversion import convert_to_analog
from aihwkit.simulator.presets import StandardHWATrainingPreset
from aihwkit.utils.glyphs import noisy_glyphs

torch.manual_seed(0)
train_x, train_y = noisy_glyphs(2000, seed=0)
test_x, test_y = noisy_glyphs(500, seed=1)

digital = nn.Sequential(nn.Linear(35, 64), nn.ReLU(), nn.Linear(64, 10))
optimizer = torch.optim.SGD(digital.parameters(), lr=0.1)
for epoch in range(6):
    for start in range(0, 2000, 32):
        x = train_x[start:start + 32]
        optimizer.zero_grad()
        # weight-noise injection as a simple form of hardware-aware training
        noisy = [p.data.clone() for p in digital.parameters()]
        for param in digital.parameters():
            param.data += 0.03 * param.data.abs().max() * torch.randn_like(param)
        loss = nn.functional.cross_entropy(digital(x), train_y[start:start + 32])
        loss.backward()
        for param, clean in zip(digital.parameters(), noisy):
            param.data.copy_(clean)
        optimizer.step()


def accuracy(model) -> float:
    """Test accuracy in eval mode."""
    model.eval()
    with torch.no_grad():
        return float((model(test_x).argmax(1) == test_y).float().mean())


print(f"digital accuracy: {accuracy(digital):.3f}")
analog = convert_to_analog(digital, StandardHWATrainingPreset())
batches = [((train_x[i:i + 100],), {}) for i in range(0, 1000, 100)]
calibrate_input_ranges(analog, InputRangeCalibrationType.CACHE_QUANTILE, batches)
analog.eval()
analog.program_analog_weights()
for t_inference in (0.0, 3600.0, 86400.0, 3.15e7):
    analog.drift_analog_weights(t_inference)
    print(f"analog accuracy {t_inference:10.0f} s after programming: {accuracy(analog):.3f}")
