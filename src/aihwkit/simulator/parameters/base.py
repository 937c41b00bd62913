"""Base classes of the RPU configurations."""

from dataclasses import dataclass, field
from typing import Any

from aihwkit.simulator.parameters.helpers import _PrintableMixin, resolve_lazy_fields
from aihwkit.simulator.parameters.runtime import RuntimeParameter


@dataclass
class RPUConfigBase(_PrintableMixin):
    """Base of every RPU configuration: the tile class it builds and runtime settings."""

    tile_class: Any = None
    runtime: RuntimeParameter = field(default_factory=RuntimeParameter, compare=False)

    def __post_init__(self) -> None:
        # class-valued fields declared with ``lazy_class`` are imported here, on first use
        resolve_lazy_fields(self)

    def as_bindings(self) -> "RPUConfigBase":
        """Kept for compatibility: the engine reads the dataclass itself."""
        return self

    def compatible_with(self, tile_class_name: str) -> bool:
        """Whether a tile of class ``tile_class_name`` can be built from this config."""
        return self.tile_class is not None and tile_class_name == self.tile_class.__name__

    def get_default_tile_module_class(self, out_size: int = 0, in_size: int = 0) -> Any:
        """The tile module class used by layers built from this config."""
        return self.tile_class

    def create_tile(self, *args: Any, **kwargs: Any) -> Any:
        """Build a tile of ``tile_class`` with this config."""
        return self.tile_class(*args, rpu_config=self, **kwargs)


RPUConfigGeneric = RPUConfigBase
