"""Example 17: convert a torch CNN to an analog network.

``convert_to_analog`` replaces every ``Linear`` and ``Conv2d`` of a digital model (here a
small ResNet-style network) by its analog counterpart with the given RPU configuration
(``TikiTakaReRamSBPreset`` with layers split into tiles of at most 256 x 256), copying
the weights. The converted model is printed, and the stored weights of the first layer
are compared with the digital ones: the ReRAM devices' write noise and device-to-device
spread show up as a deviation.
"""

import torch
from torch import nn

from aihwkit.nn.conversion import convert_to_analog
from aihwkit.simulator.configs import MappingParameter
from aihwkit.simulator.presets import TikiTakaReRamSBPreset

torch.manual_seed(0)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity shortcut."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):  # pylint: disable=arguments-differ
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + x)


model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
    ResidualBlock(16), ResidualBlock(16),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
)

rpu_config = TikiTakaReRamSBPreset(mapping=MappingParameter(max_input_size=256,
                                                             max_output_size=256))
analog_model = convert_to_analog(model, rpu_config)
print(analog_model)

layers = [name for name, _ in analog_model.named_analog_layers()]
print(f"{len(layers)} analog layers: {layers}")
with torch.no_grad():
    stored = analog_model[0].get_weights()[0]
    target = model[0].weight.reshape(stored.shape)
print(f"first layer: mean |stored - digital| weight {float((stored - target).abs().mean()):.4f}"
      f" (mean |digital weight| {float(target.abs().mean()):.4f})")
