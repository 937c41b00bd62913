"""Example 11: a small VGG-style CNN with weight scaling on Gokmen-Vlasov devices.

``GokmenVlasovPreset`` with ``MappingParameter(weight_scaling_omega=0.6)``: each layer's
weights are scaled so that the largest maps to 0.6 of the device range, with the scale
applied digitally to the outputs. The network (three 3x3 convolution blocks and a
classifier) trains on the glyph digits upscaled to 14x10 pixels.
"""

import torch
from torch import nn

from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import MappingParameter
from aihwkit.simulator.presets import GokmenVlasovPreset
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import glyph_dataset

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")
rpu_config = GokmenVlasovPreset(mapping=MappingParameter(weight_scaling_omega=0.6))


def block(c_in: int, c_out: int) -> list:
    """3x3 analog convolution, batch norm, ReLU."""
    return [AnalogConv2d(c_in, c_out, 3, padding=1, rpu_config=rpu_config),
            nn.BatchNorm2d(c_out), nn.ReLU()]


model = AnalogSequential(
    *block(1, 8), *block(8, 8), nn.MaxPool2d(2),
    *block(8, 16), nn.MaxPool2d((7, 5)),
    nn.Flatten(),
    AnalogLinear(16, 10, rpu_config=rpu_config), nn.LogSoftmax(dim=1),
).to(DEVICE)

train_x, train_y = (t.to(DEVICE) for t in glyph_dataset(600, 0, True, scale=2).tensors)
test_x, test_y = (t.to(DEVICE) for t in glyph_dataset(300, 1, True, scale=2).tensors)
optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)

for epoch in range(3):
    order = torch.randperm(train_x.shape[0], device=DEVICE)
    for start in range(0, train_x.shape[0], 20):
        idx = order[start:start + 20]
        optimizer.zero_grad()
        nn.functional.nll_loss(model(train_x[idx]), train_y[idx]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    model.train()
    print(f"epoch {epoch}: test accuracy {acc:.3f}")
scales = next(model.analog_tiles()).get_scales()
print("weight scales of the first layer:", scales.cpu().numpy().round(3))
