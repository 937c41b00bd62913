"""Example 21: fit a device model to measured pulse-response data.

"Measurements" are generated here from a soft-bounds device with known parameters plus
read noise (a real use would load them from a file). ``fit_measurements`` (needs lmfit)
adjusts ``dw_min``, ``up_down`` and ``w_max`` of a ``SoftBoundsDevice`` until its
simulated response matches, and the fitted device is plotted with
``plot_device_compact`` to ``results/21_fitted_device.png``.
"""

import os
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position
import numpy as np  # noqa: E402
import torch  # noqa: E402

from aihwkit.simulator.configs import SoftBoundsDevice  # noqa: E402
from aihwkit.utils.fitting import fit_measurements  # noqa: E402
from aihwkit.utils.visualization import plot_device_compact  # noqa: E402

warnings.simplefilter("ignore", UserWarning)  # granularity notes of the fitted device
torch.manual_seed(0)
rng = np.random.default_rng(0)
NOISE_FREE = dict(dw_min_dtod=0.0, dw_min_std=0.0, w_max_dtod=0.0, w_min_dtod=0.0,
                  up_down_dtod=0.0)

# 40 up pulses, 40 down pulses: the pulse applied before each measurement
pulses = np.array([1.0] * 40 + [-1.0] * 40)
true_device = SoftBoundsDevice(dw_min=0.04, up_down=0.2, w_max=0.8, w_min=-0.7,
                               **NOISE_FREE)
true_params = {"dw_min": 0.04, "up_down": 0.2, "w_max": 0.8, "w_min": -0.7}
start = np.full((pulses.size, 1), -0.6)
_, _, _clean = fit_measurements(true_params, pulses, start[:, 0], true_device)
measured = _clean[:, 0] + rng.normal(0.0, 0.005, pulses.size)
measured[0] = -0.6

result, fitted, response = fit_measurements(
    {"dw_min": (0.02, 0.001, 0.1), "up_down": (0.0, -0.5, 0.5),
     "w_max": (0.6, 0.2, 1.5), "w_min": -0.7},
    pulses, measured, SoftBoundsDevice(**NOISE_FREE))
for name in ("dw_min", "up_down", "w_max"):
    print(f"{name:8s} true {true_params[name]:+.4f}  fitted {getattr(fitted, name):+.4f}")
print(f"rms deviation from the measurement: "
      f"{np.sqrt(np.mean((response[:, 0] - measured) ** 2)):.4f}")

os.makedirs("results", exist_ok=True)
plot_device_compact(fitted, n_steps=40, n_traces=3, n_loops=1)
plt.gcf().savefig("results/21_fitted_device.png", dpi=70)
print("wrote results/21_fitted_device.png")
