"""Analog optimizers: a torch optimizer plus the analog tile updates."""

from typing import Any, Callable, Dict, Optional, Type

import torch
from torch.optim import SGD, Adam, Optimizer

from aihwkit.optim.context import AnalogContext


class AnalogOptimizerMixin:
    """Runs the wrapped torch step, then one analog update per tile and its post step."""

    def regroup_param_groups(self, *_: Any) -> None:
        """Give every analog context its own parameter group and set tile learning rates."""
        groups = []
        contexts = []
        for group in self.param_groups:  # type: ignore[attr-defined]
            digital = [p for p in group["params"] if not isinstance(p, AnalogContext)]
            contexts.extend(p for p in group["params"] if isinstance(p, AnalogContext))
            if digital:
                group["params"] = digital
                groups.append(group)
        self.param_groups = groups  # pylint: disable=attribute-defined-outside-init
        for ctx in contexts:
            ctx.analog_tile.set_learning_rate(self.defaults["lr"])  # type: ignore[attr-defined]
            self.add_param_group({"params": [ctx]})  # type: ignore[attr-defined]

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], float]] = None, **kwargs: Any) -> Any:
        """Digital step, analog updates, then ``post_update_step`` of every tile."""
        loss = super().step(closure, **kwargs)  # type: ignore[misc]
        tiles = []
        for group in self.param_groups:  # type: ignore[attr-defined]
            for param in group["params"]:
                if not isinstance(param, AnalogContext):
                    continue
                tile = param.analog_tile
                tiles.append(tile)
                if param.use_torch_update or not param.has_gradient():
                    continue
                learning_rate = group["lr"]
                if learning_rate == 0:
                    param.reset()
                    continue
                tile.set_learning_rate(learning_rate)
                inputs = [x.to(tile.device) for x in param.analog_input]
                grads = [d.to(tile.device) for d in param.analog_grad_output]
                x = inputs[0] if len(inputs) == 1 else torch.cat(_flat(inputs, tile.in_trans),
                                                                 dim=0 if not tile.in_trans else -1)
                d = grads[0] if len(grads) == 1 else torch.cat(_flat(grads, tile.out_trans),
                                                               dim=0 if not tile.out_trans else -1)
                tile.update(x, d)
                param.reset()
        for tile in tiles:
            tile.post_update_step()
        return loss

    def set_learning_rate(self, learning_rate: float = 0.1) -> None:
        """Set the learning rate of every group and tile."""
        for group in self.param_groups:  # type: ignore[attr-defined]
            group["lr"] = learning_rate
            for param in group["params"]:
                if isinstance(param, AnalogContext):
                    param.analog_tile.set_learning_rate(learning_rate)


def _flat(tensors: Any, trans: bool) -> Any:
    """Bring stored traces to 2-d so they concatenate along the batch."""
    if trans:
        return [t.reshape(t.shape[0], -1) for t in tensors]
    return [t.reshape(-1, t.shape[-1]) for t in tensors]


class AnalogSGD(AnalogOptimizerMixin, SGD):
    """``torch.optim.SGD`` that also updates analog tiles."""


class AnalogAdam(AnalogOptimizerMixin, Adam):
    """``torch.optim.Adam`` for digital parameters; analog tiles get their SGD update."""


class AnalogOptimizer(AnalogOptimizerMixin, Optimizer):
    """Factory: ``AnalogOptimizer(SGD, params, lr=...)`` builds an analog version of any
    torch optimizer class."""

    SUBCLASSES: Dict[str, Type] = {}

    def __new__(cls, optimizer_cls: Type[Optimizer], *args: Any, **kwargs: Any) -> Any:
        name = "AnalogOptimizer" + optimizer_cls.__name__
        if name not in cls.SUBCLASSES:
            cls.SUBCLASSES[name] = type(name, (AnalogOptimizer, optimizer_cls), {})
        return super().__new__(cls.SUBCLASSES[name])

    def __init__(self, optimizer_cls: Type[Optimizer], *args: Any, **kwargs: Any) -> None:
        optimizer_cls.__init__(self, *args, **kwargs)
