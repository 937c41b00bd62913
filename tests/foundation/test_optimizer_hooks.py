"""``AnalogSGD.step`` and ``zero_grad`` keep torch's optimizer contract: step hooks
(global and per optimizer, pre and post, with replaced arguments), the profiler labels
while a profiler records, and both ``zero_grad`` modes; the analog update is the same
with and without torch's wrapper."""

import pytest
import torch
from torch.optim.optimizer import (register_optimizer_step_post_hook,
                                   register_optimizer_step_pre_hook)

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice


def _trained(step_hooks: bool, seed: int = 3):
    torch.manual_seed(seed)
    layer = AnalogLinear(5, 4, bias=True,
                         rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    calls = []
    if step_hooks:
        opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    x = torch.rand(6, 5, generator=torch.Generator().manual_seed(1))
    for _ in range(3):
        opt.zero_grad()
        layer(x).sum().backward()
        opt.step()
    return layer, calls


def test_hooks_run_and_the_update_is_the_same():
    plain, none = _trained(False)
    hooked, calls = _trained(True)
    assert none == [] and calls == ["pre", "post"] * 3
    for left, right in zip(plain.get_weights(), hooked.get_weights()):
        assert torch.equal(left, right)


def test_global_hooks_and_replaced_arguments():
    layer = AnalogLinear(3, 2, rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    seen = []

    def closure():
        seen.append("closure")
        return torch.tensor(1.5)

    def pre(optimizer, args, kwargs):
        seen.append("global pre")
        return (args[0], closure), kwargs

    handles = [register_optimizer_step_pre_hook(pre),
               register_optimizer_step_post_hook(lambda o, a, k: seen.append("global post"))]
    try:
        loss = opt.step()
    finally:
        for handle in handles:
            handle.remove()
    assert seen == ["global pre", "closure", "global post"]
    assert float(loss) == 1.5
    assert opt.step() is None and seen == ["global pre", "closure", "global post"]


def test_profiler_sees_the_labels():
    layer = AnalogLinear(3, 2, rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    layer(torch.rand(2, 3)).sum().backward()
    with torch.profiler.profile() as prof:
        opt.step()
        opt.zero_grad()
    names = {event.key for event in prof.key_averages()}
    assert "Optimizer.step#AnalogSGD.step" in names
    assert "Optimizer.zero_grad#AnalogSGD.zero_grad" in names
    assert type(opt).step.hooked and type(opt).step is AnalogSGD.step


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_modes(set_to_none):
    layer = AnalogLinear(3, 2, bias=True,
                         rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    opt.regroup_param_groups(layer)
    layer(torch.rand(2, 3)).sum().backward()
    bias = opt.param_groups[0]["params"][0]   # the digital bias
    assert bias.grad is not None
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert bias.grad is None
    else:
        assert torch.equal(bias.grad, torch.zeros_like(bias))
