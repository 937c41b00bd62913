"""Recurrent cells whose weight matrices are analog layers.

Every cell computes one time step ``(output, new_state) = cell(input, state)`` for a batch
``input`` of shape ``[B, input_size]``. Its linear maps are :class:`AnalogLinear` layers (one
tile, or tile array, per matrix) or plain ``torch.nn.Linear`` layers, depending on the
``rpu_config`` given.
"""

from collections import namedtuple
from typing import Any, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Linear, Module

from aihwkit.exceptions import ArgumentError
from aihwkit.nn.modules.container import AnalogContainerBase
from aihwkit.nn.modules.linear import AnalogLinear

LSTMState = namedtuple("LSTMState", ["hx", "cx"])
LSTMState.__doc__ = "State of an LSTM cell: hidden state ``hx`` and cell state ``cx``, " \
    "each ``[B, H]``."


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an integer >= 1, else raise :class:`ArgumentError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def make_linear(in_features: int, out_features: int, bias: bool, rpu_config: Optional[Any],
                tile_module_class: Optional[Any]) -> Linear:
    """An :class:`AnalogLinear` for a given ``rpu_config``, a ``torch.nn.Linear`` otherwise.

    Raises:
        ArgumentError: ``tile_module_class`` is given without an ``rpu_config`` (a digital
            layer has no tile to build).
    """
    if rpu_config is None:
        if tile_module_class is not None:
            raise ArgumentError("tile_module_class needs an rpu_config: without one the cell "
                                "uses digital torch.nn.Linear layers")
        return Linear(in_features, out_features, bias=bias)
    return AnalogLinear(in_features, out_features, bias, rpu_config, tile_module_class)


class _AnalogCellBase(AnalogContainerBase, Module):
    """Size checks, zero states and printing shared by the cells.

    Args:
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H``.
        bias: whether each linear map has a bias.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool) -> None:
        check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        if not isinstance(bias, bool):
            raise ArgumentError(f"bias must be a bool, got {bias!r}")
        Module.__init__(self)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias

    def _like(self) -> Tensor:
        """The first parameter: zero states take its dtype and device."""
        return next(self.parameters())

    def _zeros(self, batch_size: int) -> Tensor:
        check_positive_int("batch_size", batch_size)
        like = self._like()
        return torch.zeros(batch_size, self.hidden_size, dtype=like.dtype, device=like.device)

    def get_zero_state(self, batch_size: int) -> Any:
        """Zero state for a batch of ``batch_size``: ``[batch_size, H]``."""
        return self._zeros(batch_size)

    def _check_input(self, input_: Tensor) -> None:
        if not isinstance(input_, Tensor):
            raise ArgumentError(f"input must be a torch.Tensor, got {type(input_).__name__}")
        if input_.dim() != 2 or input_.shape[1] != self.input_size:
            raise ArgumentError(f"input must have shape [batch, {self.input_size}], got "
                                f"{tuple(input_.shape)}")

    def _check_hidden(self, name: str, value: Any, batch_size: int) -> None:
        if not isinstance(value, Tensor) or value.shape != (batch_size, self.hidden_size):
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ArgumentError(f"{name} must be a tensor of shape [{batch_size}, "
                                f"{self.hidden_size}] (batch, hidden_size), got {shape}")

    def _check_lstm_state(self, state: Any, batch_size: int) -> None:
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ArgumentError("state of an LSTM cell must be a pair (hx, cx), got "
                                f"{type(state).__name__}")
        self._check_hidden("hx", state[0], batch_size)
        self._check_hidden("cx", state[1], batch_size)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class AnalogVanillaRNNCell(_AnalogCellBase):
    """Elman cell ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``.

    Args:
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H``.
        bias: whether ``weight_ih`` and ``weight_hh`` have biases.
        rpu_config: configuration of both analog layers; ``None`` uses digital
            ``torch.nn.Linear`` layers.
        tile_module_class: tile class of the analog layers (default: the config's choice).

    Shape: input ``[B, F]``, state ``[B, H]``; returns ``(h', h')``, each ``[B, H]``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool,
                 rpu_config: Optional[Any] = None, tile_module_class: Optional[Any] = None
                 ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.weight_ih = make_linear(input_size, hidden_size, bias, rpu_config,
                                     tile_module_class)
        self.weight_hh = make_linear(hidden_size, hidden_size, bias, rpu_config,
                                     tile_module_class)

    def forward(self, input_: Tensor, state: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """One step; ``state=None`` starts from zeros."""
        self._check_input(input_)
        if state is None:
            state = self._zeros(input_.shape[0])
        else:
            self._check_hidden("state", state, input_.shape[0])
        hidden = torch.tanh(self.weight_ih(input_) + self.weight_hh(state))
        return hidden, hidden


def _lstm_update(gates: Tensor, cx: Tensor) -> Tuple[Tensor, LSTMState]:
    """Gates ``[B, 4H]`` in the order ``i, f, g, o`` -> ``(h', LSTMState(h', c'))`` with
    ``c' = σ(f)·c + σ(i)·tanh(g)`` and ``h' = σ(o)·tanh(c')``."""
    in_gate, forget_gate, cell_gate, out_gate = gates.chunk(4, 1)
    cy = torch.sigmoid(forget_gate) * cx + torch.sigmoid(in_gate) * torch.tanh(cell_gate)
    hy = torch.sigmoid(out_gate) * torch.tanh(cy)
    return hy, LSTMState(hy, cy)


class AnalogLSTMCell(_AnalogCellBase):
    """LSTM cell with separate input and hidden weight matrices.

    ``gates = W_ih x + b_ih + W_hh h + b_hh`` (``[B, 4H]``) is split into ``i, f, g, o``;
    ``c' = σ(f)·c + σ(i)·tanh(g)``, ``h' = σ(o)·tanh(c')`` (torch's ``LSTMCell``).

    Args:
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H``.
        bias: whether ``weight_ih`` and ``weight_hh`` have biases.
        rpu_config: configuration of both analog layers; ``None`` uses digital
            ``torch.nn.Linear`` layers.
        tile_module_class: tile class of the analog layers (default: the config's choice).

    Shape: input ``[B, F]``, state ``LSTMState(hx, cx)`` with ``[B, H]`` each; returns
    ``(h', LSTMState(h', c'))``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool,
                 rpu_config: Optional[Any] = None, tile_module_class: Optional[Any] = None
                 ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.weight_ih = make_linear(input_size, 4 * hidden_size, bias, rpu_config,
                                     tile_module_class)
        self.weight_hh = make_linear(hidden_size, 4 * hidden_size, bias, rpu_config,
                                     tile_module_class)

    def get_zero_state(self, batch_size: int) -> LSTMState:
        """``LSTMState`` of zeros, ``[batch_size, H]`` each."""
        return LSTMState(self._zeros(batch_size), self._zeros(batch_size))

    def forward(self, input_: Tensor, state: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, LSTMState]:
        """One step; ``state=None`` starts from zeros."""
        self._check_input(input_)
        if state is None:
            state = self.get_zero_state(input_.shape[0])
        else:
            self._check_lstm_state(state, input_.shape[0])
        hx, cx = state
        return _lstm_update(self.weight_ih(input_) + self.weight_hh(hx), cx)


class AnalogLSTMCellCombinedWeight(_AnalogCellBase):
    """LSTM cell with one weight matrix applied to the concatenation ``[x, h]``.

    ``gates = W [x, h] + b`` (``W`` is ``[4H, F + H]``), split into ``i, f, g, o`` and used as
    in :class:`AnalogLSTMCell`. One tile holds both the input and the hidden weights.

    Args:
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H``.
        bias: whether ``weight`` has a bias.
        rpu_config: configuration of the analog layer; ``None`` uses a digital
            ``torch.nn.Linear`` layer.
        tile_module_class: tile class of the analog layer (default: the config's choice).

    Shape: input ``[B, F]``, state ``LSTMState(hx, cx)`` with ``[B, H]`` each; returns
    ``(h', LSTMState(h', c'))``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool,
                 rpu_config: Optional[Any] = None, tile_module_class: Optional[Any] = None
                 ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.weight = make_linear(input_size + hidden_size, 4 * hidden_size, bias,
                                  rpu_config, tile_module_class)

    def get_zero_state(self, batch_size: int) -> LSTMState:
        """``LSTMState`` of zeros, ``[batch_size, H]`` each."""
        return LSTMState(self._zeros(batch_size), self._zeros(batch_size))

    def forward(self, input_: Tensor, state: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, LSTMState]:
        """One step; ``state=None`` starts from zeros."""
        self._check_input(input_)
        if state is None:
            state = self.get_zero_state(input_.shape[0])
        else:
            self._check_lstm_state(state, input_.shape[0])
        hx, cx = state
        return _lstm_update(self.weight(torch.cat((input_, hx), dim=1)), cx)


def _default_gru_config() -> Any:
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs.configs import InferenceRPUConfig
    return InferenceRPUConfig()


class AnalogGRUCell(_AnalogCellBase):
    """GRU cell (torch's ``GRUCell`` equations).

    ``W_ih x + b_ih`` and ``W_hh h + b_hh`` (``[B, 3H]`` each) are split into the reset,
    update and new parts ``(i_r, i_z, i_n)`` and ``(h_r, h_z, h_n)``:
    ``r = σ(i_r + h_r)``, ``z = σ(i_z + h_z)``, ``n = tanh(i_n + r·h_n)``,
    ``h' = n + z·(h − n) = (1 − z)·n + z·h``.

    Args:
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H``.
        bias: whether ``weight_ih`` and ``weight_hh`` have biases.
        rpu_config: configuration of both analog layers (``InferenceRPUConfig()`` when
            ``None``).
        tile_module_class: tile class of the analog layers (default: the config's choice).

    Shape: input ``[B, F]``, state ``[B, H]``; returns ``(h', h')``, each ``[B, H]``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool,
                 rpu_config: Optional[Any] = None, tile_module_class: Optional[Any] = None
                 ) -> None:
        super().__init__(input_size, hidden_size, bias)
        if rpu_config is None:
            rpu_config = _default_gru_config()
        self.weight_ih = make_linear(input_size, 3 * hidden_size, bias, rpu_config,
                                     tile_module_class)
        self.weight_hh = make_linear(hidden_size, 3 * hidden_size, bias, rpu_config,
                                     tile_module_class)

    def forward(self, input_: Tensor, state: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """One step; ``state=None`` starts from zeros."""
        self._check_input(input_)
        if state is None:
            state = self._zeros(input_.shape[0])
        else:
            self._check_hidden("state", state, input_.shape[0])
        i_r, i_z, i_n = self.weight_ih(input_).chunk(3, 1)
        h_r, h_z, h_n = self.weight_hh(state).chunk(3, 1)
        reset_gate = torch.sigmoid(i_r + h_r)
        update_gate = torch.sigmoid(i_z + h_z)
        new_gate = torch.tanh(i_n + reset_gate * h_n)
        hidden = new_gate + update_gate * (state - new_gate)
        return hidden, hidden

