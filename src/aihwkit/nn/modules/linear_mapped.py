"""``AnalogLinearMapped``: a linear layer that is always mapped onto a tile array."""

from typing import Any, Optional

from torch.nn import Linear

from aihwkit.exceptions import ConfigError
from aihwkit.nn.modules.linear import AnalogLinear, _default_rpu_config
from aihwkit.simulator.parameters.mapping import MappableRPU
from aihwkit.simulator.tiles.array import TileModuleArray


def _check_mappable(rpu_config: Any) -> None:
    if not isinstance(rpu_config, MappableRPU):
        raise ConfigError(f"AnalogLinearMapped: rpu_config {type(rpu_config).__name__} is not "
                          "a MappableRPU config: mapped layers need mapping.max_input_size / "
                          "max_output_size")


class AnalogLinearMapped(AnalogLinear):
    """:class:`AnalogLinear` whose weights always live in a :class:`TileModuleArray`.

    The ``[out_features, in_features]`` matrix is split over tiles of at most
    ``mapping.max_input_size`` inputs and ``mapping.max_output_size`` outputs (one tile
    when it fits); the bias is digital, added after the partial sums of the tiles.

    Args:
        in_features: input size.
        out_features: output size.
        bias: whether the layer has a bias.
        rpu_config: a mappable RPU configuration (``SingleRPUConfig()`` when ``None``).
        tile_module_class: the array class (``None``: the config's ``tile_array_class``,
            or ``TileModuleArray`` if it has none).

    Raises:
        ConfigError: ``rpu_config`` is not a ``MappableRPU``.

    Shape: input ``[..., in_features]``, output ``[..., out_features]``.
    """

    # pylint: disable=abstract-method

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rpu_config: Optional[Any] = None,
                 tile_module_class: Optional[Any] = TileModuleArray) -> None:
        if rpu_config is None:
            rpu_config = _default_rpu_config()
        _check_mappable(rpu_config)
        if tile_module_class is None:
            tile_module_class = rpu_config.tile_array_class or TileModuleArray
        super().__init__(in_features, out_features, bias, rpu_config, tile_module_class)

    @classmethod
    def from_digital(cls, module: Linear, rpu_config: Any,
                     tile_module_class: Optional[Any] = TileModuleArray
                     ) -> "AnalogLinearMapped":
        """A mapped analog copy of a ``torch.nn.Linear``.

        Raises:
            ConfigError: ``rpu_config`` is not a ``MappableRPU``.
        """
        _check_mappable(rpu_config)
        return super().from_digital(module, rpu_config, tile_module_class)
