"""Example 10: response plots of device presets.

For a few device presets (and the PCM unit cell) a compact response plot is written to
``results/10_<name>.png``: the weight of three devices under up/down pulse cycles in the
middle, the mean up (left) and down (right) step size versus weight at the sides.
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

from aihwkit.simulator.presets import (  # noqa: E402  pylint: disable=wrong-import-position
    CapacitorPresetDevice, EcRamPresetDevice, IdealizedPresetDevice, PCMPresetUnitCell,
    ReRamESPresetDevice, ReRamSBPresetDevice)
from aihwkit.utils.visualization import plot_device_compact  # noqa: E402

OUT = "results"
os.makedirs(OUT, exist_ok=True)

# pulses per half cycle: enough to show each device's saturation
PRESETS = [
    (ReRamESPresetDevice(), 300),
    (ReRamSBPresetDevice(), 300),
    (CapacitorPresetDevice(), 300),
    (EcRamPresetDevice(), 300),
    (IdealizedPresetDevice(), 300),
    (PCMPresetUnitCell(), 60),
]

for device, n_steps in PRESETS:
    plot_device_compact(device, n_steps=n_steps, n_traces=3, n_loops=1)
    path = os.path.join(OUT, f"10_{type(device).__name__}.png")
    plt.gcf().savefig(path, dpi=70)
    plt.close("all")
    print(f"wrote {path}")
