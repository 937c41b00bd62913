"""Example 3: a multi-layer perceptron trained on the embedded glyph digits.

A 35-64-32-10 network of analog layers (sigmoid activations, log-softmax output) on
constant-step devices, trained with ``AnalogSGD`` and a ``StepLR`` schedule that halves
the learning rate every 3 epochs. The data are noisy 5x7 pixel digits that ship with the
package (``aihwkit.utils.glyphs``), so nothing is downloaded.
"""

import torch
from torch import nn
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import ConstantStepDevice, SingleRPUConfig
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import glyph_dataset

torch.manual_seed(1)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")
EPOCHS = 8

train_loader = DataLoader(glyph_dataset(2000, seed=0), batch_size=32, shuffle=True)
test_loader = DataLoader(glyph_dataset(500, seed=1), batch_size=250)

rpu_config = SingleRPUConfig(device=ConstantStepDevice())
model = AnalogSequential(
    AnalogLinear(35, 64, rpu_config=rpu_config), nn.Sigmoid(),
    AnalogLinear(64, 32, rpu_config=rpu_config), nn.Sigmoid(),
    AnalogLinear(32, 10, rpu_config=rpu_config), nn.LogSoftmax(dim=1),
).to(DEVICE)

optimizer = AnalogSGD(model.parameters(), lr=0.5)
optimizer.regroup_param_groups(model)
scheduler = StepLR(optimizer, step_size=3, gamma=0.5)
loss_fn = nn.NLLLoss()


def test_accuracy() -> float:
    """Fraction of correctly classified test glyphs."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            predicted = model(images.to(DEVICE)).argmax(dim=1)
            correct += int((predicted == labels.to(DEVICE)).sum())
    model.train()
    return correct / len(test_loader.dataset)


for epoch in range(EPOCHS):
    total = 0.0
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(images.to(DEVICE)), labels.to(DEVICE))
        loss.backward()
        optimizer.step()
        total += loss.item() * images.shape[0]
    scheduler.step()
    print(f"Epoch {epoch}: training loss {total / len(train_loader.dataset):.4f}, "
          f"test accuracy {test_accuracy():.3f}, lr {scheduler.get_last_lr()[0]:.3f}")
