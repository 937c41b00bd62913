"""``AnalogContext``: the parameter through which an optimizer reaches an analog tile."""

from typing import Any, List, Optional, Tuple

import torch
from torch.nn import Parameter


class AnalogContext(Parameter):
    """A scalar parameter registered on every tile as ``analog_ctx``.

    It carries no gradient; the tile's backward stores the (input, grad_output) pairs in
    ``analog_input`` / ``analog_grad_output`` and the analog optimizer turns them into one
    tile update per step. ``use_torch_update`` marks tiles whose weights are an ordinary
    parameter updated by torch (inference tiles).
    """

    def __new__(cls, analog_tile: Any, parameter: Optional[Parameter] = None) -> "AnalogContext":
        if parameter is None:
            data = torch.ones((), dtype=analog_tile.get_dtype(), device=analog_tile.device)
        else:
            data = parameter.data
        # tiles whose forward bypasses AnalogFunction set ``context_requires_grad = False``
        # so that DistributedDataParallel does not wait for a gradient of the context
        return Parameter.__new__(cls, data, requires_grad=getattr(
            analog_tile, "context_requires_grad", True))

    def __init__(self, analog_tile: Any, parameter: Optional[Parameter] = None) -> None:
        super().__init__()
        self.analog_tile = analog_tile
        self.use_torch_update = False
        self.use_indexed = False
        self.analog_input: List[torch.Tensor] = []
        self.analog_grad_output: List[torch.Tensor] = []
        self.finite_inputs: List[Tuple[torch.Tensor, int]] = []

    def add_trace(self, x: torch.Tensor, d: torch.Tensor, x_finite: bool = False) -> None:
        """Store one (input, grad_output) pair; ``x_finite``: ``x`` is known to hold only
        finite values now (the optimizer then skips its test while ``x`` is unchanged)."""
        self.analog_input.append(x)
        self.analog_grad_output.append(d)
        if x_finite:
            self.finite_inputs.append((x, _version(x)))

    def unchecked_inputs(self) -> List[torch.Tensor]:
        """The stored inputs not known to be finite: those not marked by
        :meth:`add_trace`, changed in place since, or put there by other code."""
        if not self.finite_inputs:
            return list(self.analog_input)
        if len(self.analog_input) == 1 and len(self.finite_inputs) == 1:
            # the usual case: one forward per step, its input marked and unchanged
            (x,), ((known, version),) = self.analog_input, self.finite_inputs
            if x is known and version >= 0 and _version(x) == version:
                return []
        if len(self.finite_inputs) == len(self.analog_input) and all(
                x is known and version >= 0 and _version(x) == version
                for x, (known, version) in zip(self.analog_input, self.finite_inputs)):
            return []    # the usual case: every stored input marked, none changed
        known = {id(x): version for x, version in self.finite_inputs}
        return [x for x in self.analog_input
                if known.get(id(x), -1) != _version(x) or _version(x) < 0]

    def set_indexed(self, value: bool = True) -> None:
        """Switch the indexed (convolution) interface on or off."""
        self.use_indexed = value

    def set_data(self, data: torch.Tensor) -> None:
        """Copy ``data`` into the context."""
        self.data.copy_(data)

    def get_data(self) -> torch.Tensor:
        """The context's data."""
        return self.data

    def reset(self, analog_tile: Optional[Any] = None) -> None:
        """Forget stored traces; optionally re-link ``analog_tile`` and this context."""
        self.analog_input = []
        self.analog_grad_output = []
        self.finite_inputs = []
        if analog_tile is not None:
            self.analog_tile = analog_tile
            analog_tile.analog_ctx = self

    def has_gradient(self) -> bool:
        """Whether traces wait for an update."""
        return bool(self.analog_input)

    def __copy__(self) -> Parameter:
        return Parameter(self.data)

    def __deepcopy__(self, memo: Any) -> Parameter:
        return Parameter(self.data.clone())

    def __reduce_ex__(self, protocol: Any) -> Any:
        # contexts are rebuilt by their tile; alone they pickle as a plain parameter
        return (Parameter, (self.data.detach().clone(), True))

    def __repr__(self) -> str:
        return "AnalogContext of " + self.analog_tile.get_brief_info()


def is_context(param: Any) -> bool:
    """Whether ``param`` is an :class:`AnalogContext`, decided without torch's
    ``Parameter`` instance check (a Python-level hook, costly once per parameter and
    step) for the common exact types."""
    kind = type(param)
    if kind is AnalogContext:
        return True
    if kind is Parameter or kind is torch.Tensor:
        return False
    return isinstance(param, AnalogContext)


def _version(tensor: torch.Tensor) -> int:
    """The in-place version counter of ``tensor`` (-1 where it has none)."""
    try:
        return int(tensor._version)  # pylint: disable=protected-access
    except RuntimeError:  # inference tensors keep no version counter
        return -1
