"""Compound device presets."""

from dataclasses import dataclass, field
from typing import Any, List

from aihwkit.simulator.configs.compounds import OneSidedUnitCell
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.training import UpdateParameters
from aihwkit.simulator.presets.devices import PCMPresetDevice
from aihwkit.simulator.presets.utils import PresetIOParameters, PresetUpdateParameters


@dataclass
class PCMPresetUnitCell(OneSidedUnitCell):
    """A pair of PCM devices, each only potentiated, refreshed after every mini-batch."""

    unit_cell_devices: List[Any] = field(
        default_factory=lambda: [PCMPresetDevice(), PCMPresetDevice()])
    refresh_every: int = 1
    units_in_mbatch: bool = True
    refresh_forward: IOParameters = field(default_factory=PresetIOParameters)
    refresh_update: UpdateParameters = field(
        default_factory=lambda: PresetUpdateParameters(desired_bl=31))
