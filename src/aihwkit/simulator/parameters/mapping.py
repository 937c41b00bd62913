"""How a weight matrix is mapped onto tiles (bias, scaling, split sizes)."""

from dataclasses import dataclass, field
from typing import Any, Optional

from aihwkit.simulator.parameters.base import RPUConfigBase
from aihwkit.simulator.parameters.helpers import _PrintableMixin

_SCALING_FIELDS = ("weight_scaling_omega", "weight_scaling_columnwise",
                   "weight_scaling_lr_compensation")


@dataclass
class MappingParameter(_PrintableMixin):
    """Mapping of a layer's weights onto analog tiles.

    ``weight_scaling_omega > 0`` maps ``max|W|`` (per output row when columnwise) onto
    omega in ``set_weights`` and keeps the factor as a digital output scale.
    ``max_input_size``/``max_output_size`` split large layers into several tiles (0: no
    split).
    """

    digital_bias: bool = True
    weight_scaling_omega: float = 0.0
    weight_scaling_columnwise: bool = False
    weight_scaling_lr_compensation: bool = False
    learn_out_scaling: bool = False
    out_scaling_columnwise: bool = False
    max_input_size: int = 512
    max_output_size: int = 512

    def compatible_with(self, other: "MappingParameter") -> bool:
        """Equal, or equal apart from the three ``weight_scaling_*`` fields."""
        if self == other:
            return True
        mine = {k: v for k, v in vars(self).items() if k not in _SCALING_FIELDS}
        theirs = {k: v for k, v in vars(other).items() if k not in _SCALING_FIELDS}
        return mine == theirs


@dataclass
class MappableRPU(RPUConfigBase):
    """An RPU config whose layers may be split over an array of tiles."""

    tile_array_class: Optional[Any] = None
    mapping: MappingParameter = field(default_factory=MappingParameter)

    def get_default_tile_module_class(self, out_size: int = 0, in_size: int = 0) -> Any:
        """The tile class, or the tile-array class when the layer exceeds a max size."""
        max_in = self.mapping.max_input_size
        max_out = self.mapping.max_output_size
        if self.tile_array_class is None or (max_in == 0 and max_out == 0):
            return self.tile_class
        if max_in < in_size or max_out < out_size:
            return self.tile_array_class
        return self.tile_class
