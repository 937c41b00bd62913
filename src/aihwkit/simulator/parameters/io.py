"""Forward/backward periphery parameters (DAC, ADC, noise, bound and noise management)."""

from dataclasses import dataclass

from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.helpers import _PrintableMixin


@dataclass
class IOParameters(_PrintableMixin):
    """Non-idealities of one direction (forward or backward) of the analog MVM.

    Inputs are in normalized units (after noise management): the DAC clips them to
    ``[-inp_bound, inp_bound]`` and quantizes with step ``inp_res * 2 * inp_bound``; the
    ADC clips outputs to ``[-out_bound, out_bound]`` and quantizes with step
    ``out_res * 2 * out_bound``. A resolution ``> 1`` is read as a number of steps.
    """

    is_perfect: bool = False
    mv_type: AnalogMVType = AnalogMVType.ONE_PASS
    inp_bound: float = 1.0
    inp_noise: float = 0.0
    inp_res: float = 1 / (2**7 - 2)
    inp_sto_round: bool = False
    inp_asymmetry: float = 0.0
    out_bound: float = 12.0
    out_noise: float = 0.06
    out_noise_std: float = 0.0
    out_res: float = 1 / (2**9 - 2)
    out_sto_round: bool = False
    out_scale: float = 1.0
    out_asymmetry: float = 0.0
    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    w_noise: float = 0.0
    w_noise_type: WeightNoiseType = WeightNoiseType.NONE
    ir_drop: float = 0.0
    ir_drop_g_ratio: float = 1 / 0.35 / 5e-6
    out_nonlinearity: float = 0.0
    out_nonlinearity_std: float = 0.0
    slope_calibration: float = 0.0
    v_offset_std: float = 0.0
    v_offset_w_min: float = -1.0
    r_series: float = 0.0
    w_read_asymmetry_dtod: float = 0.0
    max_bm_factor: int = 1000
    max_bm_res: float = 0.25
    bm_test_negative_bound: bool = True
    nm_thres: float = 0.0


@dataclass
class IOParametersIRDropT(IOParameters):
    """IO parameters of the time-resolved IR-drop torch tile."""

    split_mode_bit_shift = 3  # class attribute, not a field

    ir_drop: float = 1.0
    ir_drop_rs: float = 0.15
    ir_drop_segments: int = 8
    ir_drop_time_step_resolution_scale: float = 1.0
    ir_drop_v_read: float = 0.4005
    apply_xdep_pcm_read_noise: bool = False
    xdep_pcm_read_noise_scale: float = 1.0
    adc_quantization: bool = True
    adc_frequency: float = 6.24
    ir_drop_integration_sum: bool = False
