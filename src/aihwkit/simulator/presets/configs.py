"""RPU config presets: a device preset combined with a training algorithm.

Unless stated, forward and backward use :class:`PresetIOParameters` and the update
:class:`PresetUpdateParameters`. Transfer reads use the preset IO without noise and bound
management; chopped/dynamic transfer writes are single pulses without update management.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

from aihwkit.simulator.configs.compounds import (
    ChoppedTransferCompound, DigitalRankUpdateCell, DynamicTransferCompound,
    MixedPrecisionCompound, TransferCompound, UnitCell, VectorUnitCell)
from aihwkit.simulator.configs.configs import (
    DigitalRankUpdateRPUConfig, IOManagedRPUConfig, SingleRPUConfig, UnitCellRPUConfig)
from aihwkit.simulator.configs.devices import PulsedDevice
from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, VectorUnitCellUpdatePolicy)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.training import UpdateParameters
from aihwkit.simulator.presets.compounds import PCMPresetUnitCell
from aihwkit.simulator.presets.devices import (
    CapacitorPresetDevice, EcRamMOPresetDevice, EcRamPresetDevice, GokmenVlasovPresetDevice,
    IdealizedPresetDevice, ReRamESPresetDevice, ReRamSBPresetDevice)
from aihwkit.simulator.presets.utils import PresetIOParameters, PresetUpdateParameters

Factory = Callable[[], Any]
_BINDINGS = {"bindings_include": True}


def _sb_symmetric() -> ReRamSBPresetDevice:
    return ReRamSBPresetDevice(subtract_symmetry_point=True)


def _transfer_forward() -> PresetIOParameters:
    return PresetIOParameters(noise_management=NoiseManagementType.NONE,
                              bound_management=BoundManagementType.NONE)


def _single_pulse_update() -> PresetUpdateParameters:
    return PresetUpdateParameters(desired_bl=1, update_bl_management=False,
                                  update_management=False)


def _update(desired_bl: int) -> Factory:
    return lambda: PresetUpdateParameters(desired_bl=desired_bl)


def _vector(device: Factory, n_devices: int) -> Factory:
    return lambda: VectorUnitCell(
        unit_cell_devices=[device() for _ in range(n_devices)],
        update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM)


def _tiki_taka(device: Factory, **kwargs: Any) -> Factory:
    return lambda: TransferCompound(
        unit_cell_devices=[device(), device()], transfer_forward=_transfer_forward(),
        transfer_update=PresetUpdateParameters(), units_in_mbatch=True, **kwargs)


def _chopped(device: Factory, **kwargs: Any) -> Factory:
    return lambda: ChoppedTransferCompound(
        unit_cell_devices=[device(), device()], transfer_forward=_transfer_forward(),
        transfer_update=_single_pulse_update(), units_in_mbatch=False, auto_scale=True,
        **kwargs)


def _agad(device: Factory, **kwargs: Any) -> Factory:
    return lambda: DynamicTransferCompound(
        unit_cell_devices=[device(), device()], transfer_forward=_transfer_forward(),
        transfer_update=_single_pulse_update(), units_in_mbatch=False, auto_scale=True,
        in_chop_random=False, **kwargs)


def _mixed(device: Factory) -> Factory:
    return lambda: MixedPrecisionCompound(device=device())


@dataclass
class _PresetPeriphery(IOManagedRPUConfig):
    """Preset forward/backward/update (field positions stay those of the base class)."""

    forward: IOParameters = field(default_factory=PresetIOParameters, metadata=_BINDINGS)
    backward: IOParameters = field(default_factory=PresetIOParameters, metadata=_BINDINGS)
    update: UpdateParameters = field(default_factory=PresetUpdateParameters,
                                     metadata=_BINDINGS)


# Single device per crosspoint, plain SGD.

@dataclass
class ReRamESPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on ReRAM (exponential step model)."""

    device: PulsedDevice = field(default_factory=ReRamESPresetDevice)


@dataclass
class ReRamSBPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on ReRAM (soft-bounds model)."""

    device: PulsedDevice = field(default_factory=ReRamSBPresetDevice)


@dataclass
class CapacitorPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on capacitor cells."""

    device: PulsedDevice = field(default_factory=CapacitorPresetDevice)


@dataclass
class EcRamPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on ECRAM."""

    device: PulsedDevice = field(default_factory=EcRamPresetDevice)


@dataclass
class EcRamMOPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on metal-oxide ECRAM."""

    device: PulsedDevice = field(default_factory=EcRamMOPresetDevice)


@dataclass
class IdealizedPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on the idealized constant-step device."""

    device: PulsedDevice = field(default_factory=IdealizedPresetDevice)


@dataclass
class GokmenVlasovPreset(_PresetPeriphery, SingleRPUConfig):
    """SGD on the Gokmen & Vlasov constant-step device."""

    device: PulsedDevice = field(default_factory=GokmenVlasovPresetDevice)


@dataclass
class PCMPreset(_PresetPeriphery, UnitCellRPUConfig):
    """SGD on a pair of PCM devices with refresh."""

    device: UnitCell = field(default_factory=PCMPresetUnitCell)


# Several devices per crosspoint, one random device updated per cycle.

@dataclass
class ReRamES2Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Two ReRAM (exponential step) devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(ReRamESPresetDevice, 2))


@dataclass
class ReRamSB2Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Two ReRAM (soft-bounds) devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(ReRamSBPresetDevice, 2))


@dataclass
class Capacitor2Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Two capacitor cells per crosspoint."""

    device: UnitCell = field(default_factory=_vector(CapacitorPresetDevice, 2))


@dataclass
class EcRam2Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Two ECRAM devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(EcRamPresetDevice, 2))


@dataclass
class EcRamMO2Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Two metal-oxide ECRAM devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(EcRamMOPresetDevice, 2))


@dataclass
class Idealized2Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Two idealized devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(IdealizedPresetDevice, 2))


@dataclass
class ReRamES4Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Four ReRAM (exponential step) devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(ReRamESPresetDevice, 4))


@dataclass
class ReRamSB4Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Four ReRAM (soft-bounds) devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(ReRamSBPresetDevice, 4))


@dataclass
class Capacitor4Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Four capacitor cells per crosspoint."""

    device: UnitCell = field(default_factory=_vector(CapacitorPresetDevice, 4))


@dataclass
class EcRam4Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Four ECRAM devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(EcRamPresetDevice, 4))


@dataclass
class EcRamMO4Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Four metal-oxide ECRAM devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(EcRamMOPresetDevice, 4))


@dataclass
class Idealized4Preset(_PresetPeriphery, UnitCellRPUConfig):
    """Four idealized devices per crosspoint."""

    device: UnitCell = field(default_factory=_vector(IdealizedPresetDevice, 4))


# Tiki-Taka (transfer compound of two devices).

@dataclass
class TikiTakaReRamESPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Tiki-Taka on ReRAM (exponential step)."""

    device: UnitCell = field(default_factory=_tiki_taka(ReRamESPresetDevice))


@dataclass
class TikiTakaReRamSBPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Tiki-Taka on ReRAM (soft-bounds, symmetry point subtracted)."""

    device: UnitCell = field(default_factory=_tiki_taka(_sb_symmetric, transfer_every=1.0))


@dataclass
class TikiTakaCapacitorPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Tiki-Taka on capacitor cells."""

    device: UnitCell = field(default_factory=_tiki_taka(CapacitorPresetDevice))


@dataclass
class TikiTakaEcRamPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Tiki-Taka on ECRAM."""

    device: UnitCell = field(default_factory=_tiki_taka(EcRamPresetDevice))


@dataclass
class TikiTakaEcRamMOPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Tiki-Taka on metal-oxide ECRAM."""

    device: UnitCell = field(default_factory=_tiki_taka(EcRamMOPresetDevice))


@dataclass
class TikiTakaIdealizedPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Tiki-Taka on the idealized device."""

    device: UnitCell = field(default_factory=_tiki_taka(IdealizedPresetDevice))


# Mixed precision (digital rank update, pulsed transfer).

@dataclass
class MixedPrecisionReRamESPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on ReRAM (exponential step)."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(ReRamESPresetDevice))


@dataclass
class MixedPrecisionReRamSBPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on ReRAM (soft-bounds)."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(ReRamSBPresetDevice))


@dataclass
class MixedPrecisionCapacitorPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on capacitor cells."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(CapacitorPresetDevice))


@dataclass
class MixedPrecisionEcRamPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on ECRAM."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(EcRamPresetDevice))


@dataclass
class MixedPrecisionEcRamMOPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on metal-oxide ECRAM."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(EcRamMOPresetDevice))


@dataclass
class MixedPrecisionIdealizedPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on the idealized device."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(IdealizedPresetDevice))


@dataclass
class MixedPrecisionGokmenVlasovPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on the Gokmen & Vlasov device."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(GokmenVlasovPresetDevice))


@dataclass
class MixedPrecisionPCMPreset(_PresetPeriphery, DigitalRankUpdateRPUConfig):
    """Mixed precision on a PCM pair with refresh."""

    device: DigitalRankUpdateCell = field(default_factory=_mixed(PCMPresetUnitCell))


# TTv2 (buffered transfer, in_chop_prob = 0) and chopped TTv2.


@dataclass
class TTv2ReRamESPreset(_PresetPeriphery, UnitCellRPUConfig):
    """TTv2 on ReRAM (exponential step)."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        ReRamESPresetDevice, in_chop_prob=0.0, fast_lr=0.5, auto_granularity=1000))


@dataclass
class TTv2ReRamSBPreset(_PresetPeriphery, UnitCellRPUConfig):
    """TTv2 on ReRAM (soft-bounds, symmetry point subtracted)."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        _sb_symmetric, in_chop_prob=0.0, fast_lr=0.5, auto_granularity=1000))


@dataclass
class TTv2CapacitorPreset(_PresetPeriphery, UnitCellRPUConfig):
    """TTv2 on capacitor cells."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        CapacitorPresetDevice, in_chop_prob=0.0, fast_lr=0.1, auto_granularity=1000))


@dataclass
class TTv2EcRamPreset(_PresetPeriphery, UnitCellRPUConfig):
    """TTv2 on ECRAM."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        EcRamPresetDevice, in_chop_prob=0.0, fast_lr=0.1, auto_granularity=500))


@dataclass
class TTv2EcRamMOPreset(_PresetPeriphery, UnitCellRPUConfig):
    """TTv2 on metal-oxide ECRAM."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        EcRamMOPresetDevice, in_chop_prob=0.0, fast_lr=0.1, auto_granularity=500))


@dataclass
class TTv2IdealizedPreset(_PresetPeriphery, UnitCellRPUConfig):
    """TTv2 on the idealized device."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        IdealizedPresetDevice, in_chop_prob=0.0, fast_lr=0.1, auto_granularity=500))


@dataclass
class ChoppedTTv2ReRamESPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Chopped TTv2 on ReRAM (exponential step)."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        ReRamESPresetDevice, in_chop_prob=0.01, fast_lr=0.5, auto_granularity=1000))


@dataclass
class ChoppedTTv2ReRamSBPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Chopped TTv2 on ReRAM (soft-bounds, symmetry point subtracted)."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        _sb_symmetric, in_chop_prob=0.01, fast_lr=0.5, auto_granularity=1000))


@dataclass
class ChoppedTTv2CapacitorPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Chopped TTv2 on capacitor cells."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        CapacitorPresetDevice, in_chop_prob=0.01, fast_lr=0.1, auto_granularity=1000))


@dataclass
class ChoppedTTv2EcRamPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Chopped TTv2 on ECRAM."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        EcRamPresetDevice, in_chop_prob=0.01, auto_granularity=500))


@dataclass
class ChoppedTTv2EcRamMOPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Chopped TTv2 on metal-oxide ECRAM."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        EcRamMOPresetDevice, in_chop_prob=0.001, fast_lr=0.1, auto_granularity=500))


@dataclass
class ChoppedTTv2IdealizedPreset(_PresetPeriphery, UnitCellRPUConfig):
    """Chopped TTv2 on the idealized device."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_chopped(
        IdealizedPresetDevice, in_chop_prob=0.001, fast_lr=0.1, auto_granularity=500))



# AGAD (dynamic transfer, TTv4).


@dataclass
class AGADReRamESPreset(_PresetPeriphery, UnitCellRPUConfig):
    """AGAD on ReRAM (exponential step)."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_agad(
        ReRamESPresetDevice, fast_lr=0.5, auto_granularity=1000, tail_weightening=5.0,
        in_chop_prob=0.02))


@dataclass
class AGADReRamSBPreset(_PresetPeriphery, UnitCellRPUConfig):
    """AGAD on ReRAM (soft-bounds, symmetry point subtracted)."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_agad(
        _sb_symmetric, fast_lr=0.5, auto_granularity=1000, tail_weightening=5.0,
        in_chop_prob=0.02))


@dataclass
class AGADCapacitorPreset(_PresetPeriphery, UnitCellRPUConfig):
    """AGAD on capacitor cells."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_agad(
        CapacitorPresetDevice, fast_lr=0.1, auto_granularity=1000, tail_weightening=20.0,
        in_chop_prob=0.01))


@dataclass
class AGADEcRamPreset(_PresetPeriphery, UnitCellRPUConfig):
    """AGAD on ECRAM."""

    update: UpdateParameters = field(default_factory=_update(31), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_agad(
        EcRamPresetDevice, fast_lr=0.1, auto_granularity=750, tail_weightening=50.0,
        in_chop_prob=0.005))


@dataclass
class AGADEcRamMOPreset(_PresetPeriphery, UnitCellRPUConfig):
    """AGAD on metal-oxide ECRAM."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_agad(
        EcRamMOPresetDevice, fast_lr=0.1, auto_granularity=500, tail_weightening=50.0,
        in_chop_prob=0.005))


@dataclass
class AGADIdealizedPreset(_PresetPeriphery, UnitCellRPUConfig):
    """AGAD on the idealized device."""

    update: UpdateParameters = field(default_factory=_update(100), metadata=_BINDINGS)
    device: UnitCell = field(default_factory=_agad(
        IdealizedPresetDevice, fast_lr=0.1, auto_granularity=500, tail_weightening=50.0,
        in_chop_prob=0.005))
