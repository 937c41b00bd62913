"""Interface of the weight <-> conductance converters."""

from typing import Any, Dict, List, Tuple, Union

from torch import Tensor

from aihwkit.inference._common import compact_str, public_equal

Conductances = Union[List[Tensor], Tensor]


class BaseConductanceConverter:
    """Maps a tile's weight matrix to device conductances (µS) and back.

    Subclasses implement :meth:`convert_to_conductances`, returning the conductances and
    a dictionary of parameters (e.g. the scale used), and
    :meth:`convert_back_to_weights`, which inverts it given those parameters.
    """

    def __eq__(self, other: object) -> bool:
        return public_equal(self, other)

    def __str__(self) -> str:
        return compact_str(self)

    __repr__ = __str__

    def convert_to_conductances(self, weights: Tensor) -> Tuple[Conductances, Dict[str, Any]]:
        """Conductances (µS) of the devices encoding ``weights``.

        Args:
            weights: tile weights ``[out_size, in_size]`` (unitless).

        Returns:
            The conductances (a list of tensors shaped like ``weights``, one per device
            of a unit cell, or a single tensor) and the parameters needed to invert.
        """
        raise NotImplementedError

    def convert_back_to_weights(self, conductances: Conductances,
                                params: Dict[str, Any]) -> Tensor:
        """Weights encoded by ``conductances`` (the inverse of the conversion)."""
        raise NotImplementedError
