"""Analog optimizers: a torch optimizer plus the analog tile updates."""

import math
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import torch
from torch import Tensor
from torch.optim import SGD, Adam, Optimizer
from torch.optim import optimizer as _torch_optimizer

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.optim.distributed import synchronize_traces
from aihwkit.simulator.rpu_base.kernels.fused import finite_many_on_cpu
from aihwkit.simulator.rpu_base.kernels.threads import SmallWork
from aihwkit.simulator.rpu_base.known_finite import KnownFinite
from aihwkit.simulator.tiles.finite_checks import all_finite
from aihwkit.simulator.tiles.context import AnalogContext, is_context


class AnalogOptimizerMixin:
    """Runs the wrapped torch step, then one analog update per tile and its post step.

    Bad input never breaks a model: before anything is stepped, every learning rate, the
    gradients of the digital parameters and the stored update traces of every tile are
    checked; a NaN or infinity raises :class:`~aihwkit.exceptions.TileError` (learning
    rates: :class:`~aihwkit.exceptions.ArgumentError`) and leaves all weights, digital
    parameters and optimizer state unchanged. The stored traces of every tile are
    cleared whether the step succeeds or not, so the next good batch trains normally.
    """

    def __init__(self, params: Any, *args: Any, **kwargs: Any) -> None:
        if "lr" in kwargs:
            _check_lr(kwargs["lr"], "lr")
        elif args:
            _check_lr(args[0], "lr")
        super().__init__(params, *args, **kwargs)  # type: ignore[call-arg]

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a parameter group (its learning rate must be a finite number >= 0)."""
        defaults = getattr(self, "defaults", {})
        if isinstance(param_group, dict) and ("lr" in param_group or "lr" in defaults):
            _check_lr(param_group.get("lr", defaults.get("lr")), "lr")
        super().add_param_group(param_group)  # type: ignore[misc]

    def regroup_param_groups(self, *_: Any) -> None:
        """Give every analog context its own parameter group and set tile learning rates."""
        groups = []
        contexts = []
        for group in self.param_groups:  # type: ignore[attr-defined]
            digital = [p for p in group["params"] if not is_context(p)]
            contexts.extend(p for p in group["params"] if is_context(p))
            if digital:
                group["params"] = digital
                groups.append(group)
        self.param_groups = groups  # pylint: disable=attribute-defined-outside-init
        for ctx in contexts:
            ctx.analog_tile.set_learning_rate(self.defaults["lr"])  # type: ignore[attr-defined]
            self.add_param_group({"params": [ctx]})  # type: ignore[attr-defined]

    def _contexts(self) -> List[Tuple[Dict[str, Any], AnalogContext]]:
        return [(group, param) for group in self.param_groups  # type: ignore[attr-defined]
                for param in group["params"] if is_context(param)]

    def _check_step_inputs(self) -> None:
        """Raise before any change if a learning rate, a digital gradient or a stored
        analog trace is not finite.

        All tensors are tested together with one host read per device; only when one of
        them is not finite are they tested one by one, to name the first bad one.
        """
        tensors = []
        for index, group in enumerate(self.param_groups):  # type: ignore[attr-defined]
            rate = group["lr"]
            if type(rate) is not float or not rate >= 0.0 or rate == math.inf:
                _check_lr(rate, f"param_groups[{index}]['lr']")
            for param in group["params"]:
                if is_context(param):
                    tensors.extend(param.unchecked_inputs())
                    tensors.extend(param.analog_grad_output)
                else:
                    grad = param.grad
                    if grad is not None:
                        tensors.append(grad)
        if _all_finite(tensors):
            return
        for group in self.param_groups:  # type: ignore[attr-defined]
            for param in group["params"]:
                if is_context(param):
                    _check_traces(param)
                elif param.grad is not None and not bool(torch.isfinite(param.grad).all()):
                    raise TileError(f"a gradient of a digital parameter (shape "
                                    f"{tuple(param.shape)}) holds NaN or infinite values: "
                                    "nothing was stepped")

    def step(self, closure: Optional[Callable[[], float]] = None, **kwargs: Any) -> Any:
        """Digital step, analog updates, then ``post_update_step`` of every tile.

        Runs inside torch's optimizer-step wrapper (step hooks, the profiler label
        ``Optimizer.step#<class>.step``) whenever a hook is registered or a profiler
        runs; otherwise directly (the wrapper's profiler label costs tens of
        microseconds per step even with no profiler)."""
        if _torch_step_wrapper_needed(self):
            return _HOOKED_STEP(self, closure, **kwargs)
        return self._analog_step(closure, **kwargs)

    step.hooked = True   # type: ignore[attr-defined]  # torch: do not wrap it again

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Torch's ``zero_grad``; the usual ``set_to_none`` without a profiler running
        sets the gradients to ``None`` here, without its profiler label."""
        if not set_to_none or _profiler_running():
            super().zero_grad(set_to_none)  # type: ignore[misc]
            return
        for group in self.param_groups:  # type: ignore[attr-defined]
            for param in group["params"]:
                if param.grad is not None:
                    param.grad = None

    @torch.no_grad()
    def _analog_step(self, closure: Optional[Callable[[], float]] = None,
                     **kwargs: Any) -> Any:
        """The body of :meth:`step`."""
        contexts = self._contexts()
        try:
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            synchronize_traces([param for _, param in contexts])
            self._check_step_inputs()
            self._digital_step(**kwargs)
            tiles = []
            for group, param in contexts:
                tile = param.analog_tile
                tiles.append(tile)
                if param.use_torch_update or not param.has_gradient():
                    continue
                learning_rate = group["lr"]
                if learning_rate == 0:
                    continue
                tile.set_learning_rate(learning_rate)
                x, d = _stacked_traces(param, tile)
                # the traces were checked above: tiles that can skip their own check do
                update = getattr(tile, "update_finite", tile.update)
                with SmallWork(x.numel() * tile.out_size), KnownFinite(x, d):
                    update(x, d)
            for tile in tiles:
                tile.post_update_step()
        finally:
            for _, param in contexts:
                param.reset()
        return loss

    def _digital_step(self, **kwargs: Any) -> None:
        """The wrapped torch optimizer's step of the digital parameters."""
        super().step(None, **kwargs)  # type: ignore[misc]

    def set_learning_rate(self, learning_rate: float = 0.1) -> None:
        """Set the learning rate of every group and tile (a finite number >= 0)."""
        learning_rate = _check_lr(learning_rate, "learning_rate")
        for group in self.param_groups:  # type: ignore[attr-defined]
            group["lr"] = learning_rate
            for param in group["params"]:
                if is_context(param):
                    param.analog_tile.set_learning_rate(learning_rate)


_PROFILER_ENABLED = getattr(getattr(torch._C, "_autograd", None), "_profiler_enabled", None)
# torch's step wrapper around the analog step (hooks, profiler label, profiler entry point)
_HOOKED_STEP = (Optimizer.profile_hook_step(AnalogOptimizerMixin._analog_step)
                if hasattr(Optimizer, "profile_hook_step") else AnalogOptimizerMixin._analog_step)


def _profiler_running() -> bool:
    """Whether a torch profiler records (``True`` where torch does not tell)."""
    return _PROFILER_ENABLED is None or bool(_PROFILER_ENABLED())


def _torch_step_wrapper_needed(optimizer: Any) -> bool:
    """Whether a step hook is registered (globally or on ``optimizer``) or a profiler
    records (``True`` where torch keeps its hooks elsewhere)."""
    pre = getattr(_torch_optimizer, "_global_optimizer_pre_hooks", None)
    post = getattr(_torch_optimizer, "_global_optimizer_post_hooks", None)
    if pre is None or post is None or _profiler_running():
        return True
    return bool(pre or post or getattr(optimizer, "_optimizer_step_pre_hooks", True)
                or getattr(optimizer, "_optimizer_step_post_hooks", True))


def _check_lr(value: Any, name: str) -> float:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ArgumentError(f"{name} must be a number, got a tensor of shape "
                                f"{tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{name} must be a real number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ArgumentError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _all_finite(tensors: List[Tensor]) -> bool:
    """Whether every tensor holds only finite values (one host read per device at
    most; sparse and complex tensors: one each)."""
    finite, rest = finite_many_on_cpu(tensors)
    if not finite:
        return False
    if not rest:
        return True
    dense = []
    for tensor in rest:
        if not tensor.numel():
            continue
        if tensor.layout != torch.strided or tensor.is_complex():
            if not bool(torch.isfinite(tensor).all()):
                return False
            continue
        dense.append(tensor)
    return all_finite(dense)


def _check_traces(ctx: AnalogContext) -> None:
    for kind, traces in (("inputs", ctx.analog_input), ("errors", ctx.analog_grad_output)):
        for trace in traces:
            if not bool(torch.isfinite(trace).all()):
                raise TileError(f"the stored {kind} of {ctx.analog_tile.get_brief_info()} "
                                "hold NaN or infinite values (a bad batch or loss): nothing "
                                "was stepped and the stored traces were cleared")


def _stacked_traces(ctx: AnalogContext, tile: Any) -> Tuple[Tensor, Tensor]:
    """The stored (inputs, errors) of one step as single tensors on the tile's device."""
    device = tile.device
    if len(ctx.analog_input) == 1 and len(ctx.analog_grad_output) == 1:
        # the usual case: one forward and backward per step
        (x,), (d,) = ctx.analog_input, ctx.analog_grad_output
        return (x if x.device == device else x.to(device),
                d if d.device == device else d.to(device))
    inputs = [x if x.device == device else x.to(device) for x in ctx.analog_input]
    grads = [d if d.device == device else d.to(device) for d in ctx.analog_grad_output]
    x = inputs[0] if len(inputs) == 1 else torch.cat(_flat(inputs, tile.in_trans),
                                                     dim=0 if not tile.in_trans else -1)
    d = grads[0] if len(grads) == 1 else torch.cat(_flat(grads, tile.out_trans),
                                                   dim=0 if not tile.out_trans else -1)
    return x, d


def _flat(tensors: Any, trans: bool) -> Any:
    """Bring stored traces to 2-d so they concatenate along the batch."""
    if trans:
        return [t.reshape(t.shape[0], -1) for t in tensors]
    return [t.reshape(-1, t.shape[-1]) for t in tensors]


class AnalogSGD(AnalogOptimizerMixin, SGD):
    """``torch.optim.SGD`` that also updates analog tiles."""

    def _digital_step(self, **kwargs: Any) -> None:
        """Plain SGD groups (no momentum, weight decay, maximize, differentiable or fused
        step; a float learning rate) step ``p <- p - lr * grad`` here, the arithmetic of
        torch's SGD for them (``p.add_(grad, alpha=-lr)``) without its per-call set-up;
        anything else goes to torch's SGD."""
        if kwargs or not all(_plain_sgd(group) for group in self.param_groups):
            super()._digital_step(**kwargs)
            return
        for group in self.param_groups:
            alpha = -group["lr"]
            for param in group["params"]:
                grad = param.grad
                if grad is not None and not is_context(param):
                    param.add_(grad, alpha=alpha)


def _plain_sgd(group: Dict[str, Any]) -> bool:
    """Whether an SGD parameter group steps ``p - lr * grad`` and nothing else."""
    return (type(group["lr"]) is float and not group["momentum"]
            and not group["weight_decay"] and not group["maximize"]
            and not group.get("differentiable") and not group.get("fused"))


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
