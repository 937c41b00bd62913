"""Multi-layer (optionally bidirectional) recurrent networks built from analog cells."""

import math
import warnings
from functools import partial
from typing import Any, Callable, List, Optional, Sequence, Tuple, Type

import torch
from torch import Tensor
from torch.nn import Dropout, Linear, Module, ModuleList, init

from aihwkit.exceptions import ArgumentError
from aihwkit.nn.modules.container import AnalogContainerBase
from aihwkit.nn.modules.linear import AnalogLinear
from aihwkit.nn.modules.rnn.cells import check_positive_int
from aihwkit.nn.modules.rnn.layers import (
    AnalogBidirRNNLayer, AnalogRNNLayer, check_sequence)


def _check_dropout(owner: str, dropout: Any) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout <= 1.0:
        raise ArgumentError(f"{owner}: dropout must be a number in [0, 1], got {dropout!r}")
    return float(dropout)


def _check_bool(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"{owner}: {name} must be a bool, got {value!r}")
    return value


class ModularRNN(AnalogContainerBase, Module):
    """A stack of recurrent layers with dropout between consecutive layers.

    Args:
        num_layers: number of stacked layers.
        layer: layer class (e.g. :class:`AnalogRNNLayer`), called as ``layer(*args)``.
        dropout: dropout probability applied to the outputs of every layer but the last.
        first_layer_args: constructor arguments of the first layer.
        other_layer_args: constructor arguments of the other layers.

    Shape: input ``[T, B, F]``; returns ``(outputs of the last layer, [state of each
    layer])``.
    """

    def __init__(self, num_layers: int, layer: Type[Module], dropout: float,
                 first_layer_args: Sequence[Any], other_layer_args: Sequence[Any]) -> None:
        owner = type(self).__name__
        check_positive_int(owner, "num_layers", num_layers)
        dropout = _check_dropout(owner, dropout)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout is applied between stacked recurrent layers only: with "
                          f"num_layers=1 the dropout of {dropout} has no effect",
                          UserWarning, stacklevel=3)
        super().__init__()
        self.layers = ModuleList([layer(*first_layer_args)]
                                 + [layer(*other_layer_args) for _ in range(num_layers - 1)])
        self.dropout_layer = Dropout(dropout) if dropout > 0 else None

    def get_zero_state(self, batch_size: int) -> List[Any]:
        """Zero state of every layer."""
        return [layer.get_zero_state(batch_size) for layer in self.layers]

    def forward(self, input_: Tensor, states: List[Any]) -> Tuple[Tensor, List[Any]]:
        """Run the layers in turn, each from its own initial state.

        Shape: input ``[T, B, F]``; ``states`` holds one state per layer.
        """
        owner = type(self).__name__
        check_sequence(owner, input_)
        if not isinstance(states, (list, tuple)) or len(states) != len(self.layers):
            raise ArgumentError(f"{owner}: states must be a list with one state per layer "
                                f"({len(self.layers)})")
        output = input_
        out_states = []
        last = len(self.layers) - 1
        for index, (layer, state) in enumerate(zip(self.layers, states)):
            output, out_state = layer(output, state)
            if index < last and self.dropout_layer is not None:
                output = self.dropout_layer(output)
            out_states.append(out_state)
        return output, out_states


class AnalogRNN(AnalogContainerBase, Module):
    """Multi-layer recurrent network of analog cells (LSTM, GRU or vanilla RNN).

    ``AnalogRNN(AnalogLSTMCell, F, H, num_layers=2)`` is the analog counterpart of
    ``torch.nn.LSTM(F, H, num_layers=2)``: same equations, same time-major layout,
    bidirectional outputs concatenated as ``[forward, reverse]``.

    Args:
        cell: the cell class (:class:`AnalogVanillaRNNCell`, :class:`AnalogLSTMCell`,
            :class:`AnalogLSTMCellCombinedWeight` or :class:`AnalogGRUCell`).
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H`` per direction.
        bias: whether the linear maps have biases.
        rpu_config: configuration of every analog layer (``None``: the cell's default).
        tile_module_class: tile class of the analog layers (default: the config's choice).
        xavier: initialise weights with Xavier-uniform and biases with zeros, instead of
            ``U(-1/sqrt(H), 1/sqrt(H))`` for both.
        num_layers: number of stacked layers; layers after the first take
            ``dirs * H`` inputs.
        bidir: also run every layer in reverse time order (``dirs = 2``).
        dropout: dropout probability between stacked layers (not after the last one).

    Shape: input ``[T, B, F]``; returns ``(output [T, B, dirs * H], [state of each
    layer])``, where a bidirectional layer's state is ``[forward, reverse]``.
    """

    def __init__(self, cell: Type[Module], input_size: int, hidden_size: int,
                 bias: bool = True, rpu_config: Optional[Any] = None,
                 tile_module_class: Optional[Any] = None, xavier: bool = False,
                 num_layers: int = 1, bidir: bool = False, dropout: float = 0.0) -> None:
        owner = type(self).__name__
        check_positive_int(owner, "input_size", input_size)
        check_positive_int(owner, "hidden_size", hidden_size)
        check_positive_int(owner, "num_layers", num_layers)
        _check_bool(owner, "xavier", xavier)
        _check_bool(owner, "bidir", bidir)
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidir = bidir
        num_dirs = 2 if self.bidir else 1
        layer = AnalogBidirRNNLayer if self.bidir else AnalogRNNLayer
        self.rnn = ModularRNN(
            num_layers, layer, dropout,
            first_layer_args=[cell, input_size, hidden_size, bias, rpu_config,
                              tile_module_class],
            other_layer_args=[cell, num_dirs * hidden_size, hidden_size, bias, rpu_config,
                              tile_module_class])
        self.reset_parameters(xavier)

    def init_layers(self, weight_init_fn: Callable[[Tensor], Any],
                    bias_init_fn: Optional[Callable[[Tensor], Any]] = None) -> None:
        """Initialise every linear map in place.

        Analog layers are read with ``get_weights``, initialised and written back with
        ``set_weights`` (so weight scaling and device bounds apply); digital
        ``torch.nn.Linear`` layers are initialised directly.

        Args:
            weight_init_fn: called on each weight matrix ``[out, in]`` (e.g.
                ``torch.nn.init.xavier_uniform_``).
            bias_init_fn: called on each bias ``[out]``; ``weight_init_fn`` when ``None``.
        """
        if bias_init_fn is None:
            bias_init_fn = weight_init_fn
        for module in self.modules():
            if isinstance(module, AnalogLinear):
                weight, bias = module.get_weights()
                weight = weight.detach().clone()
                weight_init_fn(weight)
                if bias is not None:
                    bias = bias.detach().clone()
                    bias_init_fn(bias)
                module.set_weights(weight, bias)
            elif isinstance(module, Linear):
                with torch.no_grad():
                    weight_init_fn(module.weight)
                    if module.bias is not None:
                        bias_init_fn(module.bias)

    def reset_parameters(self, xavier: bool = False) -> None:
        """Xavier-uniform weights and zero biases (``xavier=True``), else weights and
        biases from ``U(-1/sqrt(H), 1/sqrt(H))``."""
        if xavier:
            self.init_layers(init.xavier_uniform_, init.zeros_)
        else:
            bound = 1.0 / math.sqrt(self.hidden_size)
            self.init_layers(partial(init.uniform_, a=-bound, b=bound))

    def get_zero_state(self, batch_size: int) -> List[Any]:
        """Zero state of every layer for ``batch_size`` sequences."""
        return self.rnn.get_zero_state(batch_size)

    def forward(self, input_: Tensor, states: Optional[List[Any]] = None
                ) -> Tuple[Tensor, List[Any]]:
        """Run the network; ``states=None`` starts every layer from its zero state."""
        owner = type(self).__name__
        check_sequence(owner, input_)
        if input_.shape[2] != self.input_size:
            raise ArgumentError(f"{owner}: input must have {self.input_size} features in its "
                                f"last dimension, got shape {tuple(input_.shape)}")
        if states is None:
            states = self.get_zero_state(input_.shape[1])
        return self.rnn(input_, states)
