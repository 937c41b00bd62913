"""Analog recurrent modules: cells, layers unrolling them over time, and ``AnalogRNN``."""

from aihwkit.nn.modules.rnn.cells import (  # noqa: F401
    AnalogGRUCell, AnalogLSTMCell, AnalogLSTMCellCombinedWeight, AnalogVanillaRNNCell,
    LSTMState)
from aihwkit.nn.modules.rnn.layers import (  # noqa: F401
    AnalogBidirRNNLayer, AnalogReverseRNNLayer, AnalogRNNLayer)
from aihwkit.nn.modules.rnn.rnn import AnalogRNN, ModularRNN  # noqa: F401
