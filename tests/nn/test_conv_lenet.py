"""LeNet-5 (two analog convolutions with tanh and max pooling, three analog linear
layers) learns the embedded glyph digits, with a pulsed and with an inference config."""

import torch
import torch.nn.functional as F
from torch import nn

from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.utils.glyphs import noisy_glyphs


def _images(n_samples, seed, size):
    """Glyphs ``[n, 1, 7, 5]`` upscaled (nearest) to ``size x size * 5 // 7`` and padded
    with zeros to ``size x size``."""
    images, labels = noisy_glyphs(n_samples, seed=seed)
    width = size * 5 // 7
    images = F.interpolate(images.reshape(n_samples, 1, 7, 5), size=(size, width))
    left = (size - width) // 2
    return F.pad(images, (left, size - width - left)), labels


def _lenet(rpu_config, size):
    side = ((size - 4) // 2 - 4) // 2  # two 5x5 convolutions, each followed by 2x2 pooling
    return AnalogSequential(
        AnalogConv2d(1, 6, 5, rpu_config=rpu_config), nn.Tanh(), nn.MaxPool2d(2),
        AnalogConv2d(6, 16, 5, rpu_config=rpu_config), nn.Tanh(), nn.MaxPool2d(2),
        nn.Flatten(),
        AnalogLinear(16 * side * side, 120, rpu_config=rpu_config), nn.Tanh(),
        AnalogLinear(120, 84, rpu_config=rpu_config), nn.Tanh(),
        AnalogLinear(84, 10, rpu_config=rpu_config))


def _test_accuracy(rpu_config, size, batch, epochs, lr=0.3, n_train=320):
    model = _lenet(rpu_config, size)
    train_x, train_y = _images(n_train, 1, size)
    test_x, test_y = _images(200, 2, size)
    optimizer = AnalogSGD(model.parameters(), lr=lr)
    optimizer.regroup_param_groups(model)
    for _ in range(epochs):
        for start in range(0, n_train, batch):
            optimizer.zero_grad()
            logits = model(train_x[start:start + batch])
            F.cross_entropy(logits, train_y[start:start + batch]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return float((model(test_x).argmax(dim=1) == test_y).float().mean())


def test_lenet_learns_glyphs_with_pulsed_tiles():
    # 16x16 inputs keep the pulsed updates of the first convolution (144 patches per
    # image) cheap; chance is 0.1, this run reaches about 0.9
    config = SingleRPUConfig(device=ConstantStepDevice())
    assert _test_accuracy(config, size=16, batch=16, epochs=3) > 0.6


def test_lenet_learns_glyphs_with_inference_tiles():
    # classic 28x28 LeNet-5 geometry; reaches about 0.95
    assert _test_accuracy(InferenceRPUConfig(), size=28, batch=32, epochs=3) > 0.6
