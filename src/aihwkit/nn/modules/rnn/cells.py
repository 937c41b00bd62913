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


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """Return ``value`` if it is an integer >= 1, else raise :class:`ArgumentError`
    naming ``owner`` (the class asking) and the argument ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{owner}: {name} must be an integer >= 1, got {value!r}")
    return value


def make_linear(owner: str, in_features: int, out_features: int, bias: bool,
                rpu_config: Optional[Any], tile_module_class: Optional[Any]) -> Module:
    """An ``[out_features, in_features]`` :class:`AnalogLinear` for a given
    ``rpu_config``, a ``torch.nn.Linear`` otherwise.

    Raises:
        ArgumentError: ``tile_module_class`` is given without an ``rpu_config`` (a digital
            layer has no tile to build).
    """
    if rpu_config is None:
        if tile_module_class is not None:
            raise ArgumentError(f"{owner}: tile_module_class needs an rpu_config: without one "
                                "the cell uses digital torch.nn.Linear layers")
        return Linear(in_features, out_features, bias=bias)
    return AnalogLinear(in_features, out_features, bias, rpu_config, tile_module_class)


class _AnalogCellBase(AnalogContainerBase, Module):
    """Size checks, states and printing shared by the cells.

    A cell's state is one hidden tensor ``[B, H]`` unless a subclass says otherwise
    (``get_zero_state`` and ``_check_state``). Its linear maps are ``weight_ih``
    ``[_GATES * H, F]`` and ``weight_hh`` ``[_GATES * H, H]`` unless ``_build_linears`` is
    overridden.

    Args:
        input_size: number of input features ``F``.
        hidden_size: number of hidden units ``H``.
        bias: whether each linear map has a bias.
        rpu_config: configuration of the analog layers (``None``: the cell's
            ``_default_config()``; digital ``torch.nn.Linear`` layers if that is ``None``).
        tile_module_class: tile class of the analog layers (default: the config's choice).
    """

    _GATES = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool,
                 rpu_config: Optional[Any] = None, tile_module_class: Optional[Any] = None
                 ) -> None:
        owner = type(self).__name__
        check_positive_int(owner, "input_size", input_size)
        check_positive_int(owner, "hidden_size", hidden_size)
        if not isinstance(bias, bool):
            raise ArgumentError(f"{owner}: bias must be a bool, got {bias!r}")
        Module.__init__(self)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        if rpu_config is None:
            rpu_config = self._default_config()
        self._build_linears(rpu_config, tile_module_class)

    @staticmethod
    def _default_config() -> Optional[Any]:
        """Configuration used for ``rpu_config=None`` (``None``: digital layers)."""
        return None

    def _build_linears(self, rpu_config: Optional[Any], tile_module_class: Optional[Any]
                       ) -> None:
        """``weight_ih`` ``[_GATES * H, F]`` and ``weight_hh`` ``[_GATES * H, H]``."""
        rows = self._GATES * self.hidden_size
        self.weight_ih = self._linear(self.input_size, rows, rpu_config, tile_module_class)
        self.weight_hh = self._linear(self.hidden_size, rows, rpu_config, tile_module_class)

    def _linear(self, in_features: int, out_features: int, rpu_config: Optional[Any],
                tile_module_class: Optional[Any]) -> Module:
        """A linear map ``[out_features, in_features]`` of this cell (see
        :func:`make_linear`)."""
        return make_linear(type(self).__name__, in_features, out_features, self.bias,
                           rpu_config, tile_module_class)

    def _like(self) -> Tensor:
        """The first parameter: zero states take its dtype and device."""
        return next(self.parameters())

    def _zeros(self, batch_size: int) -> Tensor:
        check_positive_int(type(self).__name__, "batch_size", batch_size)
        like = self._like()
        return torch.zeros(batch_size, self.hidden_size, dtype=like.dtype, device=like.device)

    def get_zero_state(self, batch_size: int) -> Any:
        """Zero state for a batch of ``batch_size``: ``[batch_size, H]``."""
        return self._zeros(batch_size)

    def _start(self, input_: Any, state: Any) -> Any:
        """Check the step input ``[B, F]`` and return the state to start from (the zero
        state for ``None``, else the checked ``state``)."""
        self._check_input(input_)
        if state is None:
            return self.get_zero_state(input_.shape[0])
        self._check_state(state, input_.shape[0])
        return state

    def _check_input(self, input_: Any) -> None:
        owner = type(self).__name__
        if not isinstance(input_, Tensor):
            raise ArgumentError(f"{owner}: input must be a torch.Tensor, got "
                                f"{type(input_).__name__}")
        if input_.dim() != 2 or input_.shape[1] != self.input_size:
            raise ArgumentError(f"{owner}: input must have shape [batch, {self.input_size}], "
                                f"got {tuple(input_.shape)}")

    def _check_hidden(self, name: str, value: Any, batch_size: int) -> None:
        if not isinstance(value, Tensor) or value.shape != (batch_size, self.hidden_size):
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ArgumentError(f"{type(self).__name__}: {name} must be a tensor of shape "
                                f"[{batch_size}, {self.hidden_size}] (batch, hidden_size), "
                                f"got {shape}")

    def _check_state(self, state: Any, batch_size: int) -> None:
        self._check_hidden("state", state, batch_size)


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

    _GATES = 1

    def forward(self, input_: Tensor, state: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """One step; ``state=None`` starts from zeros."""
        state = self._start(input_, state)
        hidden = torch.tanh(self.weight_ih(input_) + self.weight_hh(state))
        return hidden, hidden


class _LSTMCellBase(_AnalogCellBase):
    """LSTM step from the gate pre-activations ``[B, 4H]`` of ``_gates``, in the order
    ``i, f, g, o``: ``c' = σ(f)·c + σ(i)·tanh(g)``, ``h' = σ(o)·tanh(c')``.

    Shape: input ``[B, F]``, state ``LSTMState(hx, cx)`` with ``[B, H]`` each; returns
    ``(h', LSTMState(h', c'))``.
    """

    def get_zero_state(self, batch_size: int) -> LSTMState:
        """``LSTMState`` of zeros, ``[batch_size, H]`` each."""
        return LSTMState(self._zeros(batch_size), self._zeros(batch_size))

    def _check_state(self, state: Any, batch_size: int) -> None:
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ArgumentError(f"{type(self).__name__}: state of an LSTM cell must be a pair "
                                f"(hx, cx), got {type(state).__name__}")
        self._check_hidden("hx", state[0], batch_size)
        self._check_hidden("cx", state[1], batch_size)

    def _gates(self, input_: Tensor, hx: Tensor) -> Tensor:
        """Gate pre-activations ``[B, 4H]`` for input ``[B, F]`` and hidden ``[B, H]``."""
        raise NotImplementedError(f"{type(self).__name__} does not define its gates")

    def forward(self, input_: Tensor, state: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, LSTMState]:
        """One step; ``state=None`` starts from zeros."""
        hx, cx = self._start(input_, state)
        gates = self._gates(input_, hx)
        in_gate, forget_gate, cell_gate, out_gate = gates.chunk(4, 1)
        cy = torch.sigmoid(forget_gate) * cx + torch.sigmoid(in_gate) * torch.tanh(cell_gate)
        hy = torch.sigmoid(out_gate) * torch.tanh(cy)
        return hy, LSTMState(hy, cy)


class AnalogLSTMCell(_LSTMCellBase):
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

    _GATES = 4

    def _gates(self, input_: Tensor, hx: Tensor) -> Tensor:
        return self.weight_ih(input_) + self.weight_hh(hx)


class AnalogLSTMCellCombinedWeight(_LSTMCellBase):
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

    def _build_linears(self, rpu_config: Optional[Any], tile_module_class: Optional[Any]
                       ) -> None:
        """One ``weight`` ``[4H, F + H]``."""
        self.weight = self._linear(self.input_size + self.hidden_size, 4 * self.hidden_size,
                                   rpu_config, tile_module_class)

    def _gates(self, input_: Tensor, hx: Tensor) -> Tensor:
        return self.weight(torch.cat((input_, hx), dim=1))


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

    _GATES = 3

    @staticmethod
    def _default_config() -> Optional[Any]:
        """``InferenceRPUConfig()``: a GRU cell is analog by default."""
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.configs.configs import InferenceRPUConfig
        return InferenceRPUConfig()

    def forward(self, input_: Tensor, state: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """One step; ``state=None`` starts from zeros."""
        state = self._start(input_, state)
        i_r, i_z, i_n = self.weight_ih(input_).chunk(3, 1)
        h_r, h_z, h_n = self.weight_hh(state).chunk(3, 1)
        reset_gate = torch.sigmoid(i_r + h_r)
        update_gate = torch.sigmoid(i_z + h_z)
        new_gate = torch.tanh(i_n + reset_gate * h_n)
        hidden = new_gate + update_gate * (state - new_gate)
        return hidden, hidden
