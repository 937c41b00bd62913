"""Analog neural network layers (aihwkit's ``nn``)."""

from aihwkit.nn.modules.base import AnalogLayerBase
from aihwkit.nn.modules.container import AnalogContainerBase, AnalogSequential, AnalogWrapper
from aihwkit.nn.modules.linear import AnalogLinear
from aihwkit.nn.modules.linear_mapped import AnalogLinearMapped
from aihwkit.nn.modules.conv import AnalogConv1d, AnalogConv2d, AnalogConv3d
from aihwkit.nn.modules.conv_mapped import (AnalogConv1dMapped, AnalogConv2dMapped,
                                           AnalogConv3dMapped)
from aihwkit.nn.modules.rnn import (AnalogGRUCell, AnalogLSTMCell, AnalogLSTMCellCombinedWeight,
                                    AnalogRNN, AnalogVanillaRNNCell)
