"""Runtime parameters of a tile (data type, offloading)."""

from dataclasses import dataclass

from aihwkit.simulator.parameters.enums import RPUDataType
from aihwkit.simulator.parameters.helpers import _PrintableMixin


@dataclass
class RuntimeParameter(_PrintableMixin):
    """Data type of the tile tensors and where stored update inputs live.

    ``offload_input``/``offload_gradient`` keep the forward inputs / output gradients that
    wait for the analog update on the CPU. ``on_the_fly_bindings`` re-reads the
    clip/remap/modifier parameters from the config at every ``post_update_step``.
    """

    data_type: RPUDataType = RPUDataType.FLOAT
    on_the_fly_bindings: bool = False
    offload_input: bool = False
    offload_gradient: bool = False
