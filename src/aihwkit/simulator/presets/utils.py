"""IO and update parameter presets shared by the RPU config presets."""

from dataclasses import dataclass

from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, PulseType, WeightNoiseType)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.training import UpdateParameters


@dataclass
class PresetIOParameters(IOParameters):
    """Periphery of the presets: 7-bit DAC, 9-bit ADC with range 20 and output noise 0.1
    (normalized units)."""

    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    inp_res: float = 1.0 / (2**7 - 2)
    inp_sto_round: bool = False
    out_bound: float = 20.0
    out_noise: float = 0.1
    out_res: float = 1.0 / (2**9 - 2)
    w_noise: float = 0.0
    w_noise_type: WeightNoiseType = WeightNoiseType.NONE


@dataclass
class StandardIOParameters(IOParameters):
    """Periphery with 8-bit DAC and ADC, ADC range 10 and output noise 0.04 (normalized
    units)."""

    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    inp_res: float = 1.0 / (2**8 - 2)
    inp_sto_round: bool = False
    out_bound: float = 10.0
    out_noise: float = 0.04
    out_res: float = 1.0 / (2**8 - 2)
    w_noise: float = 0.0
    w_noise_type: WeightNoiseType = WeightNoiseType.NONE


@dataclass
class PresetUpdateParameters(UpdateParameters):
    """Pulsed update of the presets: stochastic compressed trains of at most 31 pulses
    with update management."""

    desired_bl: int = 31
    pulse_type: PulseType = PulseType.STOCHASTIC_COMPRESSED
    update_bl_management: bool = True
    update_management: bool = True
