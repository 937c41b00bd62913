"""Device presets: pulsed device models with parameters fitted to measured devices.

Values are in the units of the base model (weights normalized so that the device range is
of order 1; see :mod:`aihwkit.simulator.configs.devices`).
"""

# pylint: disable=invalid-name

from dataclasses import dataclass

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, LinearStepDevice, SoftBoundsReferenceDevice)


@dataclass
class ReRamESPresetDevice(ExpStepDevice):
    """ReRAM fitted with the exponential step model (strong asymmetry, large write
    noise)."""

    dw_min: float = 0.00135
    up_down: float = 0.259359
    w_max: float = 1.0
    w_min: float = -1.0
    a: float = -0.5
    b: float = -0.5
    gamma_up: float = 5.0
    gamma_down: float = 5.0
    A_up: float = -1.18445
    A_down: float = -0.081404
    dw_min_dtod: float = 0.2
    up_down_dtod: float = 0.05
    w_max_dtod: float = 0.3
    w_min_dtod: float = 0.3
    dw_min_std: float = 5.0
    write_noise_std: float = 75.0


@dataclass
class ReRamSBPresetDevice(SoftBoundsReferenceDevice):
    """ReRAM fitted with the soft-bounds model (additive cycle-to-cycle noise)."""

    dw_min: float = 0.002
    up_down: float = 0.0
    w_max: float = 1.25
    w_min: float = -0.75
    mult_noise: bool = False
    dw_min_dtod: float = 0.3
    up_down_dtod: float = 0.01
    w_max_dtod: float = 0.3 / 1.25
    w_min_dtod: float = 0.3 / 0.75
    dw_min_std: float = 3.75
    write_noise_std: float = 56.0


@dataclass
class CapacitorPresetDevice(LinearStepDevice):
    """Capacitor-based cell: nearly linear steps and leakage (``lifetime`` in
    mini-batches)."""

    dw_min: float = 0.005
    up_down: float = 0.0
    w_max: float = 1.0
    w_min: float = -1.0
    mult_noise: bool = False
    gamma_up: float = 0.05
    gamma_down: float = 0.05
    dw_min_dtod: float = 0.1
    up_down_dtod: float = 0.06
    w_max_dtod: float = 0.07
    w_min_dtod: float = 0.07
    gamma_up_dtod: float = 0.01
    gamma_down_dtod: float = 0.01
    dw_min_std: float = 0.3
    write_noise_std: float = 0.0
    mean_bound_reference: bool = True
    lifetime: float = 1.0e6
    lifetime_dtod: float = 0.3


@dataclass
class EcRamPresetDevice(LinearStepDevice):
    """Electro-chemical RAM (Li-based) fitted with the linear step model."""

    dw_min: float = 0.002
    up_down: float = 0.0
    w_max: float = 1.1724
    w_min: float = -0.8276
    mult_noise: bool = True
    gamma_up: float = 0.1153
    gamma_down: float = 0.5085
    dw_min_dtod: float = 0.1
    up_down_dtod: float = 0.01
    w_max_dtod: float = 0.05
    w_min_dtod: float = 0.05
    gamma_up_dtod: float = 0.05
    gamma_down_dtod: float = 0.05
    dw_min_std: float = 0.3
    write_noise_std: float = 0.0
    mean_bound_reference: bool = True


@dataclass
class EcRamMOPresetDevice(LinearStepDevice):
    """Metal-oxide electro-chemical RAM fitted with the linear step model."""

    dw_min: float = 2.8214e-4
    up_down: float = 0.0
    w_max: float = 1.1714
    w_min: float = -0.8286
    mult_noise: bool = True
    gamma_up: float = 0.4152
    gamma_down: float = 0.7342
    dw_min_dtod: float = 0.1
    up_down_dtod: float = 0.01
    w_max_dtod: float = 0.05
    w_min_dtod: float = 0.05
    gamma_up_dtod: float = 0.05
    gamma_down_dtod: float = 0.05
    dw_min_std: float = 2.0
    write_noise_std: float = 0.0
    mean_bound_reference: bool = True


@dataclass
class IdealizedPresetDevice(ConstantStepDevice):
    """Idealized symmetric constant-step device with fine steps (about 10000 states)."""

    dw_min: float = 0.0002
    dw_min_dtod: float = 0.3
    dw_min_std: float = 0.3
    up_down: float = 0.0
    up_down_dtod: float = 0.0
    w_max: float = 1.0
    w_min: float = -1.0
    w_max_dtod: float = 0.3
    w_min_dtod: float = 0.3


@dataclass
class GokmenVlasovPresetDevice(ConstantStepDevice):
    """Constant-step device of Gokmen & Vlasov (2016), about 1200 states."""

    dw_min: float = 0.0016
    dw_min_dtod: float = 0.3
    dw_min_std: float = 0.3
    up_down: float = 0.0
    up_down_dtod: float = 0.01
    w_max: float = 1.0
    w_min: float = -1.0
    w_max_dtod: float = 0.3
    w_min_dtod: float = 0.3


@dataclass
class PCMPresetDevice(ExpStepDevice):
    """Phase-change memory: potentiation only in practice (``w_min = 0``), with
    state-dependent noise; used in pairs (see ``PCMPresetUnitCell``)."""

    dw_min: float = 0.01
    up_down: float = 0.0
    w_max: float = 2.0
    w_min: float = 0.0
    a: float = -1.0
    b: float = 0.0
    gamma_up: float = 2.5
    gamma_down: float = 2.5
    A_up: float = -27.235
    A_down: float = -2.235
    dw_min_dtod: float = 0.2
    up_down_dtod: float = 0.05
    w_max_dtod: float = 0.1
    w_min_dtod: float = 0.0
    dw_min_std: float = 0.6
    dw_min_std_add: float = 0.042
    dw_min_std_slope: float = 0.108
    write_noise_std: float = 0.0
    reset: float = 0.01
    reset_dtod: float = 0.02


@dataclass
class ReRamArrayOMPresetDevice(SoftBoundsReferenceDevice):
    """ReRAM array (OM stack) fitted with the soft-bounds reference model."""

    enforce_consistency: bool = True
    dw_min_dtod_log_normal: bool = True
    dw_min: float = 0.0949
    up_down: float = 0.0
    w_max: float = 1.0
    w_min: float = -1.0
    mult_noise: bool = False
    dw_min_dtod: float = 0.7829
    up_down_dtod: float = 0.01
    w_max_dtod: float = 0.3499
    w_min_dtod: float = 0.5695
    dw_min_std: float = 0.4158
    write_noise_std: float = 1.4113
    corrupt_devices_range: float = 0.01
    corrupt_devices_prob: float = 0.0
    subtract_symmetry_point: bool = True
    reference_std: float = 0.05


@dataclass
class ReRamArrayHfO2PresetDevice(SoftBoundsReferenceDevice):
    """ReRAM array (HfO2 stack) fitted with the soft-bounds reference model."""

    enforce_consistency: bool = True
    dw_min_dtod_log_normal: bool = True
    dw_min: float = 0.4622
    up_down: float = 0.0
    w_max: float = 1.0
    w_min: float = -1.0
    mult_noise: bool = False
    dw_min_dtod: float = 0.7125
    up_down_dtod: float = 0.01
    w_max_dtod: float = 0.4295
    w_min_dtod: float = 0.5990
    dw_min_std: float = 0.2174
    write_noise_std: float = 0.5841
    corrupt_devices_range: float = 0.01
    corrupt_devices_prob: float = 0.0
    subtract_symmetry_point: bool = True
    reference_std: float = 0.05
