"""Example 4: a LeNet-5 style CNN trained with analog layers.

Two ``AnalogConv2d`` layers with max pooling and two ``AnalogLinear`` layers classify the
embedded glyph digits, upscaled to 14x10 pixels. The analog layers use the idealized
device preset (``IdealizedPreset``: fine, nearly symmetric steps); pass ``--fp`` to train
the same network with ``FloatingPointRPUConfig``.
"""

import sys

import torch
from torch import nn

from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import FloatingPointRPUConfig
from aihwkit.simulator.presets import IdealizedPreset
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import glyph_dataset

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")

if "--fp" in sys.argv:
    rpu_config = FloatingPointRPUConfig()
else:
    rpu_config = IdealizedPreset()


def lenet5() -> AnalogSequential:
    """Conv(1->6, 5x5) - pool - Conv(6->12, 3x3) - pool - FC(12*3*2 -> 32) - FC(32 -> 10)."""
    return AnalogSequential(
        AnalogConv2d(1, 6, kernel_size=5, padding=2, rpu_config=rpu_config), nn.ReLU(),
        nn.MaxPool2d(2),
        AnalogConv2d(6, 12, kernel_size=3, padding=1, rpu_config=rpu_config), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        AnalogLinear(12 * 3 * 2, 32, rpu_config=rpu_config), nn.ReLU(),
        AnalogLinear(32, 10, rpu_config=rpu_config), nn.LogSoftmax(dim=1),
    )


train = glyph_dataset(500, seed=0, as_images=True, scale=2)
test = glyph_dataset(300, seed=1, as_images=True, scale=2)
train_x, train_y = (t.to(DEVICE) for t in train.tensors)
test_x, test_y = (t.to(DEVICE) for t in test.tensors)

model = lenet5().to(DEVICE)
print(model)
optimizer = AnalogSGD(model.parameters(), lr=0.3)
optimizer.regroup_param_groups(model)

for epoch in range(4):
    order = torch.randperm(train_x.shape[0], device=DEVICE)
    total = 0.0
    for start in range(0, train_x.shape[0], 10):
        idx = order[start:start + 10]
        optimizer.zero_grad()
        loss = nn.functional.nll_loss(model(train_x[idx]), train_y[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    model.train()
    print(f"epoch {epoch}: loss {total / train_x.shape[0]:.4f}, test accuracy {acc:.3f}")
