"""AnalogLinear + FloatingPointRPUConfig + AnalogSGD is torch's Linear + SGD, step for step."""

import torch

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import FloatingPointRPUConfig


def _pair(bias: bool):
    torch.manual_seed(3)
    digital = torch.nn.Sequential(torch.nn.Linear(6, 5, bias=bias), torch.nn.Tanh(),
                                  torch.nn.Linear(5, 2, bias=bias))
    analog = AnalogSequential(
        AnalogLinear(6, 5, bias=bias, rpu_config=FloatingPointRPUConfig()), torch.nn.Tanh(),
        AnalogLinear(5, 2, bias=bias, rpu_config=FloatingPointRPUConfig()))
    for dig, ana in ((digital[0], analog[0]), (digital[2], analog[2])):
        ana.set_weights(dig.weight.detach(), None if dig.bias is None else dig.bias.detach())
    return digital, analog


def _train(model, optimizer, x, y, steps):
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        batch = slice(4 * (step % 5), 4 * (step % 5) + 4)
        loss = ((model(x[batch]) - y[batch]) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def test_matches_torch_step_for_step():
    for bias in (True, False):
        digital, analog = _pair(bias)
        x = torch.randn(20, 6)
        y = torch.randn(20, 2)
        opt_d = torch.optim.SGD(digital.parameters(), lr=0.05)
        opt_a = AnalogSGD(analog.parameters(), lr=0.05)
        opt_a.regroup_param_groups(analog)
        for _ in range(6):
            loss_d = _train(digital, opt_d, x, y, 5)
            loss_a = _train(analog, opt_a, x, y, 5)
            assert max(abs(a - b) for a, b in zip(loss_a, loss_d)) < 1e-5
            for dig, ana in ((digital[0], analog[0]), (digital[2], analog[2])):
                weight, b = ana.get_weights()
                torch.testing.assert_close(weight, dig.weight.detach(), rtol=0, atol=1e-5)
                if bias:
                    torch.testing.assert_close(b, dig.bias.detach(), rtol=0, atol=1e-5)


def test_layer_attributes_and_print():
    layer = AnalogLinear(3, 2, bias=True, rpu_config=FloatingPointRPUConfig())
    assert layer.weight is None and layer.bias is True
    text = repr(layer)
    assert "in_features=3, out_features=2, bias=True, FloatingPointRPUConfig" in text
    assert "FloatingPointTile(RPUSimple<float>(2,3))" in text
    assert layer(torch.randn(4, 7, 3)).shape == (4, 7, 2)


def test_plain_torch_lr_scheduler_and_group_lr():
    layer = AnalogLinear(3, 2, rpu_config=FloatingPointRPUConfig())
    opt = AnalogSGD(layer.parameters(), lr=0.5)
    opt.regroup_param_groups(layer)
    assert layer.analog_module.get_learning_rate() == 0.5
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
    (layer(torch.randn(2, 3)).sum()).backward()
    opt.step()
    sched.step()
    (layer(torch.randn(2, 3)).sum()).backward()
    opt.step()
    assert abs(layer.analog_module.get_learning_rate() - 0.05) < 1e-9


def test_digital_parameters_step_bit_for_bit_as_torch_sgd():
    """AnalogSGD steps plain groups itself and hands the rest to torch: either way the
    digital parameters end exactly where torch's SGD puts them."""
    options = [{}, {"foreach": True}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True},
               {"weight_decay": 0.01}, {"maximize": True}, {"momentum": 0.5, "dampening": 0.2}]
    x = torch.randn(12, 5)
    y = torch.randn(12, 3)
    for opts in options:
        torch.manual_seed(1)
        ours = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
        theirs = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(),
                                     torch.nn.Linear(4, 3))
        theirs.load_state_dict(ours.state_dict())
        opt_a = AnalogSGD(ours.parameters(), lr=0.1, **opts)
        opt_d = torch.optim.SGD(theirs.parameters(), lr=0.1, **opts)
        for step in range(6):
            if step == 3:   # a changed learning rate is taken at the next step
                for opt in (opt_a, opt_d):
                    opt.param_groups[0]["lr"] = 0.03
            for model, opt in ((ours, opt_a), (theirs, opt_d)):
                opt.zero_grad()
                ((model(x[2 * step:2 * step + 2]) - y[2 * step:2 * step + 2]) ** 2).sum() \
                    .backward()
                opt.step()
        for mine, ref in zip(ours.parameters(), theirs.parameters()):
            assert torch.equal(mine, ref), opts
