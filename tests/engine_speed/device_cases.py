"""Heterogeneous device configurations shared by the kernel comparisons.

Each entry maps a name to ``dw_min_std -> device config``. The SoftBounds cases spread the
slope ``a = -dw/b`` over all three regimes of the affine kernels (``a > -1/2``,
``-1 < a <= -1/2`` and ``a <= -1``) through device-to-device variation.
"""

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, LinearStepDevice, SoftBoundsDevice,
    SoftBoundsReferenceDevice)

CASES = {
    "soft_bounds_all_slopes": lambda std: SoftBoundsDevice(
        dw_min=0.05, w_max=0.1, w_min=-0.1, dw_min_dtod=0.5, w_max_dtod=0.5, w_min_dtod=0.5,
        up_down_dtod=0.05, dw_min_std=std),
    "soft_bounds_additive": lambda std: SoftBoundsDevice(
        dw_min=0.05, w_max=0.1, w_min=-0.1, dw_min_dtod=0.5, w_max_dtod=0.5, w_min_dtod=0.5,
        mult_noise=False, dw_min_std=std),
    "soft_bounds_fine": lambda std: SoftBoundsDevice(dw_min=0.005, dw_min_std=std),
    "linear_step": lambda std: LinearStepDevice(dw_min=0.01, w_max=0.2, w_min=-0.2,
                                                dw_min_std=std),
    "linear_step_spread": lambda std: LinearStepDevice(dw_min=0.01, w_max=0.2, w_min=-0.2,
                                                       gamma_up_dtod=0.1, dw_min_std=std),
    "constant_step": lambda std: ConstantStepDevice(dw_min=0.01, w_max=0.05, w_min=-0.05,
                                                    dw_min_std=std),
    "soft_bounds_reference": lambda std: SoftBoundsReferenceDevice(
        dw_min=0.02, w_max=0.3, w_min=-0.3, dw_min_std=std),
    "exp_step": lambda std: ExpStepDevice(dw_min=0.005, w_max=0.2, w_min=-0.2,
                                          dw_min_std=std),
}

# the models with affine pulse maps (the compiled kernels' domain)
AFFINE = ("soft_bounds_all_slopes", "soft_bounds_additive", "linear_step_spread",
          "constant_step", "soft_bounds_reference")
