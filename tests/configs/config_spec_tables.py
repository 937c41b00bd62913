"""Field tables (name, default, in dataclass order) transcribed from the specification."""

from aihwkit.simulator.parameters.enums import (
    AnalogMVType, BoundManagementType, NoiseManagementType, PulseType,
    VectorUnitCellUpdatePolicy, WeightClipType, WeightModifierType, WeightNoiseType,
    WeightRemapType)

IO_PARAMETERS = [
    ("is_perfect", False), ("mv_type", AnalogMVType.ONE_PASS), ("inp_bound", 1.0),
    ("inp_noise", 0.0), ("inp_res", 1 / 126), ("inp_sto_round", False),
    ("inp_asymmetry", 0.0), ("out_bound", 12.0), ("out_noise", 0.06),
    ("out_noise_std", 0.0), ("out_res", 1 / 510), ("out_sto_round", False),
    ("out_scale", 1.0), ("out_asymmetry", 0.0),
    ("bound_management", BoundManagementType.ITERATIVE),
    ("noise_management", NoiseManagementType.ABS_MAX), ("w_noise", 0.0),
    ("w_noise_type", WeightNoiseType.NONE), ("ir_drop", 0.0),
    ("ir_drop_g_ratio", 1 / 0.35 / 5e-6), ("out_nonlinearity", 0.0),
    ("out_nonlinearity_std", 0.0), ("slope_calibration", 0.0), ("v_offset_std", 0.0),
    ("v_offset_w_min", -1.0), ("r_series", 0.0), ("w_read_asymmetry_dtod", 0.0),
    ("max_bm_factor", 1000), ("max_bm_res", 0.25), ("bm_test_negative_bound", True),
    ("nm_thres", 0.0),
]

IO_PARAMETERS_IRDROP_T = [(n, 1.0 if n == "ir_drop" else v) for n, v in IO_PARAMETERS] + [
    ("ir_drop_rs", 0.15), ("ir_drop_segments", 8),
    ("ir_drop_time_step_resolution_scale", 1.0), ("ir_drop_v_read", 0.4005),
    ("apply_xdep_pcm_read_noise", False), ("xdep_pcm_read_noise_scale", 1.0),
    ("adc_quantization", True), ("adc_frequency", 6.24), ("ir_drop_integration_sum", False),
]

UPDATE_PARAMETERS = [
    ("desired_bl", 31), ("fixed_bl", True),
    ("pulse_type", PulseType.STOCHASTIC_COMPRESSED), ("res", 0), ("x_res_implicit", 0),
    ("d_res_implicit", 0), ("d_sparsity", False), ("sto_round", False),
    ("update_bl_management", True), ("update_management", True), ("um_grad_scale", 1.0),
]

PULSED_DEVICE = [
    ("construction_seed", 0), ("corrupt_devices_prob", 0.0), ("corrupt_devices_range", 0.1),
    ("diffusion", 0.0), ("diffusion_dtod", 0.0), ("drift", "DriftParameter()"),
    ("dw_min", 0.001), ("dw_min_dtod", 0.3), ("dw_min_dtod_log_normal", False),
    ("dw_min_std", 0.3), ("enforce_consistency", True), ("lifetime", 0.0),
    ("lifetime_dtod", 0.0), ("perfect_bias", False), ("reset", 0.0), ("reset_dtod", 0.0),
    ("reset_std", 0.01), ("up_down", 0.0), ("up_down_dtod", 0.01), ("w_max", 0.6),
    ("w_max_dtod", 0.3), ("w_min", -0.6), ("w_min_dtod", 0.3), ("count_pulses", False),
]

_WRITE_NOISE = [("write_noise_std", 0.0), ("apply_write_noise_on_set", True)]

# Own fields of each device, appended after the PulsedDevice block.
DEVICE_EXTRAS = {
    "ConstantStepDevice": [],
    "LinearStepDevice": [
        ("gamma_up", 0.0), ("gamma_down", 0.0), ("gamma_up_dtod", 0.05),
        ("gamma_down_dtod", 0.05), ("allow_increasing", False),
        ("mean_bound_reference", True), ("mult_noise", True)] + _WRITE_NOISE + [
        ("reverse_up", False), ("reverse_down", False), ("reverse_offset", 0.01)],
    "SoftBoundsDevice": [("mult_noise", True)] + _WRITE_NOISE + [
        ("reverse_up", False), ("reverse_down", False), ("reverse_offset", 0.01)],
    "SoftBoundsReferenceDevice": [("mult_noise", False)] + _WRITE_NOISE + [
        ("slope_up_dtod", 0.0), ("slope_down_dtod", 0.0), ("reference_mean", 0.0),
        ("reference_std", 0.0), ("subtract_symmetry_point", False)],
    "ExpStepDevice": [
        ("A_up", 0.00081), ("A_down", 0.36833), ("gamma_up", 12.44625),
        ("gamma_down", 12.78785), ("a", 0.244), ("b", 0.2425), ("dw_min_std_add", 0.0),
        ("dw_min_std_slope", 0.0)] + _WRITE_NOISE,
    "PowStepDevice": [
        ("pow_gamma", 1.0), ("pow_gamma_dtod", 0.1), ("pow_up_down", 0.0),
        ("pow_up_down_dtod", 0.0)] + _WRITE_NOISE,
    "PowStepReferenceDevice": [
        ("pow_gamma", 1.0), ("pow_gamma_dtod", 0.1), ("pow_up_down", 0.0),
        ("pow_up_down_dtod", 0.0), ("subtract_symmetry_point", False),
        ("n_estimation_steps", -1), ("reference_mean", 0.0), ("reference_std", 0.0)],
    "PiecewiseStepDevice": [("piecewise_up", [1]), ("piecewise_down", [1])] + _WRITE_NOISE,
}

SOFT_BOUNDS_PMAX = (
    [(n, None if n in ("w_min", "w_max", "dw_min", "up_down") else v)
     for n, v in PULSED_DEVICE]
    + DEVICE_EXTRAS["SoftBoundsDevice"]
    + [("p_max", 1000), ("alpha", 0.0005), ("range_min", -1.0), ("range_max", 1.0)])

IDEAL_DEVICE = [("construction_seed", 0), ("diffusion", 0.0), ("lifetime", 0.0),
                ("reset_std", 0.01)]
FLOATING_POINT_DEVICE = [("diffusion", 0.0), ("lifetime", 0.0),
                         ("drift", "SimpleDriftParameter()")]

_UNIT_CELL = [("unit_cell_devices", []), ("construction_seed", 0)]

VECTOR_UNIT_CELL = _UNIT_CELL + [
    ("update_policy", VectorUnitCellUpdatePolicy.ALL), ("first_update_idx", 0),
    ("gamma_vec", [])]
REFERENCE_UNIT_CELL = _UNIT_CELL + [
    ("update_policy", VectorUnitCellUpdatePolicy.SINGLE_FIXED), ("first_update_idx", 0),
    ("gamma_vec", [1.0, -1.0])]
ONE_SIDED_UNIT_CELL = _UNIT_CELL + [
    ("refresh_every", 0), ("units_in_mbatch", True), ("refresh_upper_thres", 0.75),
    ("refresh_lower_thres", 0.25), ("refresh_forward", "IOParameters()"),
    ("refresh_update", "UpdateParameters()"), ("copy_inverted", False)]

_SINGLE_PULSE = ("UpdateParameters(desired_bl=1, update_bl_management=False, "
                 "update_management=False)")

TRANSFER_COMPOUND = _UNIT_CELL + [
    ("gamma", 0.0), ("gamma_vec", []), ("transfer_every", 1.0), ("no_self_transfer", True),
    ("transfer_every_vec", []), ("units_in_mbatch", True), ("n_reads_per_transfer", 1),
    ("transfer_columns", True), ("with_reset_prob", 0.0), ("random_selection", False),
    ("fast_lr", 1.0), ("transfer_lr", 1.0), ("transfer_lr_vec", []),
    ("scale_transfer_lr", True), ("transfer_forward", "IOParameters()"),
    ("transfer_update", "UpdateParameters()")]

BUFFERED_TRANSFER_COMPOUND = [
    (n, _SINGLE_PULSE if n == "transfer_update" else v) for n, v in TRANSFER_COMPOUND] + [
    ("thres_scale", 1.0), ("step", 1.0), ("momentum", 0.1), ("forget_buffer", True)]

CHOPPED_TRANSFER_COMPOUND = [
    (n, {"transfer_update": _SINGLE_PULSE, "units_in_mbatch": False}.get(n, v))
    for n, v in TRANSFER_COMPOUND] + [
    ("in_chop_prob", 0.1), ("in_chop_random", True), ("out_chop_prob", 0.0),
    ("buffer_granularity", 1.0), ("auto_granularity", 0.0), ("step", 1.0),
    ("momentum", 0.0), ("forget_buffer", True), ("no_buffer", False), ("auto_scale", False),
    ("auto_momentum", 0.99), ("correct_gradient_magnitudes", False)]

DYNAMIC_TRANSFER_COMPOUND = [
    (n, False if n == "in_chop_random" else v) for n, v in CHOPPED_TRANSFER_COMPOUND] + [
    ("experimental_correct_accumulation", False), ("buffer_cap", 0.0),
    ("tail_weightening", 5.0)]

DIGITAL_RANK_UPDATE_CELL = [("device", "VectorUnitCell()"), ("construction_seed", 0)]
MIXED_PRECISION_COMPOUND = DIGITAL_RANK_UPDATE_CELL + [
    ("transfer_every", 1), ("n_rows_per_transfer", -1), ("random_row", False),
    ("granularity", 0.0), ("transfer_lr", 1.0), ("n_x_bins", 0), ("n_d_bins", 0),
    ("stoc_round_x", True), ("stoc_round_d", True)]

MAPPING_PARAMETER = [
    ("digital_bias", True), ("weight_scaling_omega", 0.0),
    ("weight_scaling_columnwise", False), ("weight_scaling_lr_compensation", False),
    ("learn_out_scaling", False), ("out_scaling_columnwise", False),
    ("max_input_size", 512), ("max_output_size", 512)]

INPUT_RANGE_PARAMETER = [
    ("enable", False), ("learn_input_range", True), ("init_value", 3.0),
    ("init_from_data", 100), ("init_std_alpha", 3.0), ("decay", 0.001),
    ("input_min_percentage", 0.95), ("manage_output_clipping", False),
    ("output_min_percentage", 0.95), ("gradient_scale", 1.0), ("gradient_relative", True),
    ("calibration_info", None)]

WEIGHT_MODIFIER_PARAMETER = [
    ("std_dev", 0.0), ("per_batch_sample", False), ("res", 0.0), ("sto_round", False),
    ("dorefa_clip", 0.6), ("pdrop", 0.0), ("enable_during_test", False),
    ("rel_to_actual_wmax", True), ("assumed_wmax", 1.0), ("copy_last_column", False),
    ("coeffs", [0.0105392, 0.0768, -0.046925]), ("type", WeightModifierType.NONE),
    ("g_max", 25.0), ("pcm_zero_thres", 0.0), ("pcm_t_inference", 0.0),
    ("pcm_prob_at_reset", 0.0), ("pcm_prob_at_gmax", 0.0), ("pcm_prob_at_random", 0.0),
    ("pcm_t0", 20.0)]
WEIGHT_CLIP_PARAMETER = [("fixed_value", -1.0), ("sigma", 2.5),
                         ("type", WeightClipType.NONE)]
WEIGHT_REMAP_PARAMETER = [("remapped_wmax", 1.0), ("max_scale_range", 0.0),
                          ("max_scale_ref", 0.0), ("type", WeightRemapType.NONE)]
SIMPLE_DRIFT_PARAMETER = [("nu", 0.0), ("t_0", 1.0), ("reset_tol", 1e-7)]
DRIFT_PARAMETER = SIMPLE_DRIFT_PARAMETER + [
    ("nu_dtod", 0.0), ("nu_std", 0.0), ("wg_ratio", 1.0), ("g_offset", 0.0),
    ("w_offset", 0.0), ("nu_k", 0.0), ("log_g0", 0.0), ("w_noise_std", 0.0)]

_IO_MANAGED = ["tile_class", "runtime", "pre_post", "tile_array_class", "mapping", "forward",
               "backward", "update"]
_INFERENCE = _IO_MANAGED + ["noise_model", "drift_compensation", "clip", "remap",
                            "modifier", "device"]

RPU_CONFIG_ORDER = {
    "FloatingPointRPUConfig": ["tile_class", "runtime", "pre_post", "tile_array_class",
                               "mapping", "device"],
    "SingleRPUConfig": _IO_MANAGED + ["device"],
    "UnitCellRPUConfig": _IO_MANAGED + ["device"],
    "DigitalRankUpdateRPUConfig": _IO_MANAGED + ["device"],
    "InferenceRPUConfig": _INFERENCE,
    "TorchInferenceRPUConfig": _INFERENCE + ["simulator_tile_class"],
    "TorchInferenceRPUConfigIRDropT": _INFERENCE + ["simulator_tile_class"],
    "QuantizedTorchInferenceRPUConfig": _INFERENCE + ["simulator_tile_class",
                                                      "act_quant_config"],
}
