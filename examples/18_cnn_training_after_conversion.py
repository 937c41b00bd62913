"""Example 18: train a converted CNN with Tiki-Taka on EcRAM devices.

A digital CNN is converted with ``convert_to_analog(model, TikiTakaEcRamPreset())`` and
then trained with ``AnalogSGD`` on the glyph digits (upscaled to 14x10 pixels); batch
norm layers stay digital.
"""

import torch
from torch import nn

from aihwkit.nn.conversion import convert_to_analog
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.presets import TikiTakaEcRamPreset
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import glyph_dataset

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")

digital = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(8 * 7 * 5, 10),
)
model = convert_to_analog(digital, TikiTakaEcRamPreset()).to(DEVICE)
print(model)

train_x, train_y = (t.to(DEVICE) for t in glyph_dataset(600, 0, True, scale=2).tensors)
test_x, test_y = (t.to(DEVICE) for t in glyph_dataset(300, 1, True, scale=2).tensors)
optimizer = AnalogSGD(model.parameters(), lr=0.2)
optimizer.regroup_param_groups(model)

for epoch in range(3):
    order = torch.randperm(train_x.shape[0], device=DEVICE)
    for start in range(0, train_x.shape[0], 20):
        idx = order[start:start + 20]
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(train_x[idx]), train_y[idx]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    model.train()
    print(f"epoch {epoch}: test accuracy {acc:.3f}")
