"""Engine parameter classes by the names of the compiled engine's ``rpu_base.devices``.

The engine reads the configuration dataclasses directly, so each ``...Parameter`` name is
the dataclass it corresponds to (``ConstantStepResistiveDeviceParameter`` is
:class:`~aihwkit.simulator.configs.devices.ConstantStepDevice`, ...).
:class:`AnalogTileParameter` and :class:`FloatingPointTileParameter` build bare engine
tiles with ``create_array``.
"""

from typing import Any, Optional

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.configs.compounds import (
    BufferedTransferCompound, ChoppedTransferCompound, DynamicTransferCompound,
    MixedPrecisionCompound, OneSidedUnitCell, ReferenceUnitCell, TransferCompound,
    VectorUnitCell)
from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, FloatingPointDevice, IdealDevice, LinearStepDevice,
    PiecewiseStepDevice, PowStepDevice, PowStepReferenceDevice, PulsedDevice,
    SoftBoundsDevice, SoftBoundsReferenceDevice)
from aihwkit.simulator.parameters.inference import DriftParameter
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.training import UpdateParameters

AnalogTileInputOutputParameter = IOParameters
AnalogTileUpdateParameter = UpdateParameters
IdealResistiveDeviceParameter = IdealDevice
PulsedResistiveDeviceParameter = PulsedDevice
ConstantStepResistiveDeviceParameter = ConstantStepDevice
LinearStepResistiveDeviceParameter = LinearStepDevice
SoftBoundsResistiveDeviceParameter = SoftBoundsDevice
SoftBoundsReferenceResistiveDeviceParameter = SoftBoundsReferenceDevice
ExpStepResistiveDeviceParameter = ExpStepDevice
PowStepResistiveDeviceParameter = PowStepDevice
PowStepReferenceResistiveDeviceParameter = PowStepReferenceDevice
PiecewiseStepResistiveDeviceParameter = PiecewiseStepDevice
VectorResistiveDeviceParameter = VectorUnitCell
OneSidedResistiveDeviceParameter = OneSidedUnitCell
TransferResistiveDeviceParameter = TransferCompound
BufferedTransferResistiveDeviceParameter = BufferedTransferCompound
ChoppedTransferResistiveDeviceParameter = ChoppedTransferCompound
DynamicTransferResistiveDeviceParameter = DynamicTransferCompound
MixedPrecResistiveDeviceParameter = MixedPrecisionCompound
ReferenceResistiveDeviceParameter = ReferenceUnitCell

_UNIT_CELLS = (VectorUnitCell, OneSidedUnitCell, ReferenceUnitCell, TransferCompound)


class FloatingPointTileParameter:  # pylint: disable=too-few-public-methods
    """Builds exact floating point engine tiles.

    Args:
        device: the floating point device (default :class:`FloatingPointDevice`).
    """

    def __init__(self, device: Optional[FloatingPointDevice] = None) -> None:
        self.device = device if device is not None else FloatingPointDevice()

    def create_array(self, x_size: int, d_size: int) -> Any:
        """An engine tile with ``d_size x x_size`` weights (zeros)."""
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.configs.configs import FloatingPointRPUConfig
        from aihwkit.simulator.rpu_base.tiles import FloatingPointTile
        return FloatingPointTile(x_size, d_size, FloatingPointRPUConfig(device=self.device))


class AnalogTileParameter:  # pylint: disable=too-few-public-methods
    """Builds IO-managed engine tiles from forward/backward/update parameters.

    Args:
        forward_io: forward periphery (default :class:`IOParameters`).
        backward_io: backward periphery (default :class:`IOParameters`).
        update: update parameters (default :class:`UpdateParameters`).
    """

    def __init__(self, forward_io: Optional[IOParameters] = None,
                 backward_io: Optional[IOParameters] = None,
                 update: Optional[UpdateParameters] = None) -> None:
        self.forward_io = forward_io if forward_io is not None else IOParameters()
        self.backward_io = backward_io if backward_io is not None else IOParameters()
        self.update = update if update is not None else UpdateParameters()

    def create_array(self, x_size: int, d_size: int, device_param: Any) -> Any:
        """An engine tile with ``d_size x x_size`` weights (zeros) on ``device_param``
        (a pulsed device, unit cell or compound; mixed precision is built through
        ``DigitalRankUpdateRPUConfig``)."""
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.configs.configs import (
            DigitalRankUpdateRPUConfig, SingleRPUConfig, UnitCellRPUConfig)
        from aihwkit.simulator.rpu_base.tiles import AnalogTile
        if isinstance(device_param, MixedPrecisionCompound):
            config_class: Any = DigitalRankUpdateRPUConfig
        elif isinstance(device_param, _UNIT_CELLS):
            config_class = UnitCellRPUConfig
        elif isinstance(device_param, (PulsedDevice, IdealDevice)):
            config_class = SingleRPUConfig
        else:
            raise ArgumentError(f"device_param must be a device, unit cell or compound "
                                f"configuration, got {type(device_param).__name__}")
        config = config_class(device=device_param, forward=self.forward_io,
                              backward=self.backward_io, update=self.update)
        return AnalogTile(x_size, d_size, config)


__all__ = [name for name in dir() if name.endswith("Parameter")]
