"""Ready-made devices, IO/update parameters and RPU configurations."""

# pylint: disable=unused-import
from aihwkit.simulator.presets.utils import (  # noqa: F401
    PresetIOParameters, PresetUpdateParameters, StandardIOParameters)
from aihwkit.simulator.presets.devices import (  # noqa: F401
    CapacitorPresetDevice, EcRamMOPresetDevice, EcRamPresetDevice,
    GokmenVlasovPresetDevice, IdealizedPresetDevice, PCMPresetDevice,
    ReRamArrayHfO2PresetDevice, ReRamArrayOMPresetDevice, ReRamESPresetDevice,
    ReRamSBPresetDevice)
from aihwkit.simulator.presets.compounds import (  # noqa: F401
    PCMPresetUnitCell)
from aihwkit.simulator.presets.configs import (  # noqa: F401
    AGADCapacitorPreset, AGADEcRamMOPreset, AGADEcRamPreset, AGADIdealizedPreset,
    AGADReRamESPreset, AGADReRamSBPreset, Capacitor2Preset, Capacitor4Preset,
    CapacitorPreset, ChoppedTTv2CapacitorPreset, ChoppedTTv2EcRamMOPreset,
    ChoppedTTv2EcRamPreset, ChoppedTTv2IdealizedPreset, ChoppedTTv2ReRamESPreset,
    ChoppedTTv2ReRamSBPreset, EcRam2Preset, EcRam4Preset, EcRamMO2Preset,
    EcRamMO4Preset, EcRamMOPreset, EcRamPreset, GokmenVlasovPreset, Idealized2Preset,
    Idealized4Preset, IdealizedPreset, MixedPrecisionCapacitorPreset,
    MixedPrecisionEcRamMOPreset, MixedPrecisionEcRamPreset,
    MixedPrecisionGokmenVlasovPreset, MixedPrecisionIdealizedPreset,
    MixedPrecisionPCMPreset, MixedPrecisionReRamESPreset, MixedPrecisionReRamSBPreset,
    PCMPreset, ReRamES2Preset, ReRamES4Preset, ReRamESPreset, ReRamSB2Preset,
    ReRamSB4Preset, ReRamSBPreset, TTv2CapacitorPreset, TTv2EcRamMOPreset,
    TTv2EcRamPreset, TTv2IdealizedPreset, TTv2ReRamESPreset, TTv2ReRamSBPreset,
    TikiTakaCapacitorPreset, TikiTakaEcRamMOPreset, TikiTakaEcRamPreset,
    TikiTakaIdealizedPreset, TikiTakaReRamESPreset, TikiTakaReRamSBPreset)
from aihwkit.simulator.presets.inference import (  # noqa: F401
    FloatingPointPreset, StandardHWATrainingPreset)
