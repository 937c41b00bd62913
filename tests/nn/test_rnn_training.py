"""Training analog recurrent networks with ``AnalogSGD``."""

import pytest
import torch

from aihwkit.nn import AnalogGRUCell, AnalogLinear, AnalogLSTMCell, AnalogRNN
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import ConstantStepDevice, InferenceRPUConfig, SingleRPUConfig

F, H, B, T = 2, 4, 3, 5


@pytest.mark.parametrize("rpu_config", [SingleRPUConfig(device=ConstantStepDevice()),
                                        InferenceRPUConfig()], ids=["pulsed", "inference"])
def test_one_step_changes_every_tile(rpu_config):
    model = AnalogRNN(AnalogGRUCell, F, H, rpu_config=rpu_config, num_layers=2, bidir=True)
    tiles = dict(model.named_analog_tiles())
    assert len(tiles) == 8
    before = {name: tile.get_weights()[0].clone() for name, tile in tiles.items()}
    optimizer = AnalogSGD(model.parameters(), lr=0.5)
    optimizer.regroup_param_groups(model)
    out, _ = model(torch.randn(T, B, F))
    (out ** 2).sum().backward()
    for tile in tiles.values():
        # pulsed tiles keep one trace per time step; inference tiles get torch gradients
        ctx = tile.analog_ctx
        assert len(ctx.analog_input) == (0 if ctx.use_torch_update else T)
    optimizer.step()
    for name, tile in tiles.items():
        assert not torch.equal(tile.get_weights()[0], before[name]), name
        assert not tile.analog_ctx.has_gradient()


class _DelayNet(torch.nn.Module):
    """LSTM + linear readout: ``y[t]`` estimates ``x[t-1]``."""

    def __init__(self, rpu_config, hidden=8):
        super().__init__()
        self.rnn = AnalogRNN(AnalogLSTMCell, 1, hidden, rpu_config=rpu_config)
        self.readout = AnalogLinear(hidden, 1, rpu_config=rpu_config)

    def forward(self, x):
        return self.readout(self.rnn(x)[0])


def _delay_batch(batch, steps=6):
    """Random ±1 sequences ``[steps, batch, 1]`` and their copies delayed by one step."""
    x = torch.randint(0, 2, (steps, batch, 1)).float() * 2 - 1
    y = torch.zeros_like(x)
    y[1:] = x[:-1]
    return x, y


def _delay_error(model, x, y):
    """Mean squared error over the steps that have a target (t >= 1), in eval mode."""
    model.eval()
    with torch.no_grad():
        error = float(((model(x) - y)[1:] ** 2).mean())
    model.train()
    return error


@pytest.mark.parametrize("rpu_config, lr, steps, threshold", [
    (SingleRPUConfig(device=ConstantStepDevice()), 0.5, 200, 0.3),
    (InferenceRPUConfig(), 0.5, 150, 0.1)], ids=["pulsed", "inference"])
def test_lstm_learns_to_remember_the_previous_input(rpu_config, lr, steps, threshold):
    """The targets are ±1, so predicting 0 (or the current input) gives an error of 1;
    after training the error must be well below that (seeds 1-7 end at <= 0.15 with the
    pulsed device, <= 0.05 with the inference tile)."""
    torch.manual_seed(1)
    model = _DelayNet(rpu_config)
    x_test, y_test = _delay_batch(256)
    initial = _delay_error(model, x_test, y_test)
    optimizer = AnalogSGD(model.parameters(), lr=lr)
    optimizer.regroup_param_groups(model)
    for _ in range(steps):
        x, y = _delay_batch(16)
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    final = _delay_error(model, x_test, y_test)
    assert initial > 0.8
    assert final < threshold, (initial, final)
