"""Example 35: training in half precision.

``runtime.data_type = RPUDataType.HALF`` makes the tiles compute in float16 (on CPU too,
where torch supports it); the inputs are cast to ``torch.float16``. The network trains on
the embedded glyph digits like its float32 counterpart.
"""

import torch
from torch import nn

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import TorchInferenceRPUConfig
from aihwkit.simulator.parameters.enums import RPUDataType
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import noisy_glyphs

torch.manual_seed(0)
DEVICE = torch.device("cuda" if cuda.is_compiled() else "cpu")

rpu_config = TorchInferenceRPUConfig()
rpu_config.runtime.data_type = RPUDataType.HALF

model = AnalogSequential(
    AnalogLinear(35, 64, rpu_config=rpu_config), nn.ReLU(),
    AnalogLinear(64, 10, rpu_config=rpu_config),
).to(DEVICE)
print("tile dtype:", next(model.analog_tiles()).get_dtype())

train_x, train_y = noisy_glyphs(2000, seed=0)
test_x, test_y = noisy_glyphs(500, seed=1)
train_x, test_x = train_x.half().to(DEVICE), test_x.half().to(DEVICE)
train_y, test_y = train_y.to(DEVICE), test_y.to(DEVICE)

optimizer = AnalogSGD(model.parameters(), lr=0.1)
optimizer.regroup_param_groups(model)
for epoch in range(5):
    total = 0.0
    for start in range(0, 2000, 32):
        optimizer.zero_grad()
        out = model(train_x[start:start + 32])
        loss = nn.functional.cross_entropy(out.float(), train_y[start:start + 32])
        loss.backward()
        optimizer.step()
        total += loss.item() * 32
    model.eval()
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    model.train()
    print(f"epoch {epoch}: loss {total / 2000:.4f}, test accuracy {acc:.3f}, "
          f"output dtype {out.dtype}")
