"""Recurrent layers: a cell unrolled over a time-major sequence.

A layer's input is ``[T, B, F]`` (time first). It calls its cell once per time step, so
every analog tile of the cell runs ``T`` forward passes per sequence; in training, each
pass stores its own (input, output gradient) pair and the analog optimizer applies the sum
of their outer products in one update per step.
"""

from typing import Any, List, Optional, Tuple, Type

import torch
from torch import Tensor
from torch.nn import Module, ModuleList

from aihwkit.exceptions import ArgumentError
from aihwkit.nn.modules.container import AnalogContainerBase


def check_sequence(owner: str, input_: Any) -> None:
    """Raise :class:`ArgumentError` naming ``owner`` unless ``input_`` is a ``[T, B, F]``
    tensor with ``T >= 1``."""
    if not isinstance(input_, Tensor):
        raise ArgumentError(f"{owner}: input must be a torch.Tensor, got "
                            f"{type(input_).__name__}")
    if input_.dim() != 3 or input_.shape[0] < 1:
        raise ArgumentError(f"{owner}: input must be a time-major sequence [T >= 1, batch, "
                            f"features], got shape {tuple(input_.shape)}")


def _check_cell_class(owner: str, cell: Any) -> None:
    if not (isinstance(cell, type) and issubclass(cell, Module)):
        raise ArgumentError(f"{owner}: cell must be a torch.nn.Module class, got {cell!r}")


class AnalogRNNLayer(AnalogContainerBase, Module):
    """A cell applied along the time axis, first step to last.

    Args:
        cell: the cell class (e.g. :class:`AnalogLSTMCell`).
        cell_args: arguments of the cell's constructor.

    Shape: input ``[T, B, F]``; returns ``(outputs [T, B, H], last state)``.
    """

    def __init__(self, cell: Type[Module], *cell_args: Any) -> None:
        _check_cell_class(type(self).__name__, cell)
        super().__init__()
        self.cell = cell(*cell_args)

    def get_zero_state(self, batch_size: int) -> Any:
        """The cell's zero state for ``batch_size`` sequences."""
        return self.cell.get_zero_state(batch_size)

    def forward(self, input_: Tensor, state: Optional[Any] = None) -> Tuple[Tensor, Any]:
        """Run the sequence; ``state=None`` starts from the zero state."""
        return self._unroll(input_, state, reverse=False)

    def _unroll(self, input_: Tensor, state: Optional[Any], reverse: bool
                ) -> Tuple[Tensor, Any]:
        """Run the cell over the steps (last to first if ``reverse``); the outputs
        ``[T, B, H]`` are stacked in the original time order.

        Each step needs the state of the one before, so the cell runs once per step.
        """
        check_sequence(type(self).__name__, input_)
        if state is None:
            state = self.get_zero_state(input_.shape[1])
        steps = input_.unbind(0)
        outputs = []
        for step in reversed(steps) if reverse else steps:
            out, state = self.cell(step, state)
            outputs.append(out)
        if reverse:
            outputs.reverse()
        return torch.stack(outputs), state


class AnalogReverseRNNLayer(AnalogRNNLayer):
    """A cell applied along the time axis from the last step to the first; the outputs are
    returned in the original time order (``outputs[t]`` is the step that saw ``input[t]``).

    Args:
        cell: the cell class.
        cell_args: arguments of the cell's constructor.

    Shape: input ``[T, B, F]``; returns ``(outputs [T, B, H], state after input[0])``.
    """

    def forward(self, input_: Tensor, state: Optional[Any] = None) -> Tuple[Tensor, Any]:
        """Run the sequence backwards; ``state=None`` starts from the zero state."""
        return self._unroll(input_, state, reverse=True)


class AnalogBidirRNNLayer(AnalogContainerBase, Module):
    """A forward and a reverse layer (each with its own cell) over the same sequence.

    Args:
        cell: the cell class.
        cell_args: arguments of each cell's constructor.

    Shape: input ``[T, B, F]``; returns ``(outputs [T, B, 2H], [forward state, reverse
    state])``: the forward outputs come first on the last dimension.
    """

    def __init__(self, cell: Type[Module], *cell_args: Any) -> None:
        _check_cell_class(type(self).__name__, cell)
        super().__init__()
        self.directions = ModuleList([AnalogRNNLayer(cell, *cell_args),
                                      AnalogReverseRNNLayer(cell, *cell_args)])

    def get_zero_state(self, batch_size: int) -> List[Any]:
        """``[forward zero state, reverse zero state]``."""
        return [direction.get_zero_state(batch_size) for direction in self.directions]

    def forward(self, input_: Tensor, states: Optional[List[Any]] = None
                ) -> Tuple[Tensor, List[Any]]:
        """Run both directions; ``states=None`` starts both from zero states."""
        owner = type(self).__name__
        check_sequence(owner, input_)
        if states is None:
            states = self.get_zero_state(input_.shape[1])
        if not isinstance(states, (list, tuple)) or len(states) != 2:
            raise ArgumentError(f"{owner}: states of a bidirectional layer must be a list "
                                "[forward state, reverse state]")
        outputs = []
        out_states = []
        for direction, state in zip(self.directions, states):
            out, out_state = direction(input_, state)
            outputs.append(out)
            out_states.append(out_state)
        return torch.cat(outputs, -1), out_states
