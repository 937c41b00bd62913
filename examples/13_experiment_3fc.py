"""Example 13: the experiment API, three fully connected layers.

``BasicTraining`` bundles data loaders, the analog optimizer and the training loop;
``LocalRunner`` runs it and returns per-epoch metrics. The dataset here is a pair of
torch ``Dataset`` instances (the embedded glyph digits); a torchvision dataset class such
as ``FashionMNIST`` works the same way.
"""

from torch import nn

from aihwkit.experiments import BasicTraining
from aihwkit.experiments.runners import LocalRunner
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.configs import ConstantStepDevice, SingleRPUConfig
from aihwkit.simulator.rpu_base import cuda
from aihwkit.utils.glyphs import glyph_dataset

rpu_config = SingleRPUConfig(device=ConstantStepDevice())
model = AnalogSequential(
    AnalogLinear(35, 64, rpu_config=rpu_config), nn.Sigmoid(),
    AnalogLinear(64, 32, rpu_config=rpu_config), nn.Sigmoid(),
    AnalogLinear(32, 10, rpu_config=rpu_config), nn.LogSoftmax(dim=1),
)

experiment = BasicTraining(
    dataset=(glyph_dataset(2000, seed=0), glyph_dataset(500, seed=1)),
    model=model, batch_size=32, epochs=5, learning_rate=0.5,
)
print(experiment)

runner = LocalRunner(device="cuda" if cuda.is_compiled() else "cpu")
results = runner.run(experiment, stdout=True)
print(f"final accuracy {results[-1]['accuracy']:.3f}")
