"""``ReferenceUnitCell``: a device and its reference, ``W = W_0 - W_1`` (spec 20 §3).

The engine is the vector unit cell's (default policy ``SINGLE_FIXED`` on child 0 and
``gamma_vec = [1, -1]``); only the list of devices is prepared differently: the first two
entries are used, and a single entry is paired with a copy of itself.
"""

from copy import deepcopy
from typing import Any, List

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs.compounds import ReferenceUnitCell
from aihwkit.simulator.rpu_base.compounds.vector import VectorUnitCellEngine
from aihwkit.simulator.rpu_base.registry import register


@register(ReferenceUnitCell)
class ReferenceUnitCellEngine(VectorUnitCellEngine):
    """Engine of :class:`ReferenceUnitCell`."""

    def child_configs(self, config: Any) -> List[Any]:
        devices = config.unit_cell_devices
        if not devices:
            raise ConfigError(f"{self.owner}.unit_cell_devices is empty: ReferenceUnitCell "
                              "expects two unit_cell_devices (or one, which is copied)")
        if len(devices) == 1:
            devices.append(deepcopy(devices[0]))
        del devices[2:]
        return list(devices)
