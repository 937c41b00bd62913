"""Example 14: a custom experiment with a learning-rate scheduler.

Subclassing ``BasicTraining`` changes single steps of the experiment: here the optimizer
comes with a ``StepLR`` schedule that is stepped after every training epoch.
"""

from torch import nn
from torch.optim.lr_scheduler import StepLR

from aihwkit.experiments import BasicTraining
from aihwkit.experiments.runners import LocalRunner
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.presets import GokmenVlasovPreset
from aihwkit.utils.glyphs import glyph_dataset


class LRSchedulerTraining(BasicTraining):
    """``BasicTraining`` with the learning rate halved every two epochs."""

    def get_optimizer(self, learning_rate, model):
        optimizer = super().get_optimizer(learning_rate, model)
        self.scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
        return optimizer

    def training_step(self, training_loader, model, optimizer, loss_function, device):
        result = super().training_step(training_loader, model, optimizer, loss_function,
                                       device)
        self.scheduler.step()
        result["lr"] = self.scheduler.get_last_lr()[0]
        return result


rpu_config = GokmenVlasovPreset()
model = AnalogSequential(
    AnalogLinear(35, 48, rpu_config=rpu_config), nn.Sigmoid(),
    AnalogLinear(48, 10, rpu_config=rpu_config), nn.LogSoftmax(dim=1),
)
experiment = LRSchedulerTraining(
    dataset=(glyph_dataset(1500, seed=0), glyph_dataset(500, seed=1)),
    model=model, batch_size=32, epochs=5, learning_rate=0.5,
)
for result in LocalRunner().run(experiment):
    print(f"epoch {result['epoch']}: lr {result['lr']:.4f}, "
          f"train loss {result['train_loss']:.4f}, accuracy {result['accuracy']:.3f}")
