"""Example 23: an analog tile used as a matrix.

``AnalogMatrix`` stores a matrix on a tile of ReRAM devices. ``A @ x`` is the tile's
forward pass, ``x @ A`` its backward pass and ``A.ger(x, d, alpha)`` a pulsed rank-one
update ``A += alpha d x^T``; compare with exact numpy products. The ReRAM devices'
device-to-device spread and noise show up in the products; the rank update is shown on
the idealized preset.
"""

import numpy as np
import torch

from aihwkit.linalg import AnalogMatrix
from aihwkit.simulator.presets import IdealizedPreset, ReRamSBPreset
from aihwkit.simulator.rpu_base import cuda

torch.manual_seed(0)
rng = np.random.default_rng(0)

matrix = rng.uniform(-0.5, 0.5, (6, 4)).astype(np.float32)
device = "cuda" if cuda.is_compiled() else "cpu"
analog = AnalogMatrix(matrix, ReRamSBPreset(), device=device)
print(analog)

x = rng.standard_normal(4).astype(np.float32)
y = rng.standard_normal(6).astype(np.float32)
print("A @ x exact :", (matrix @ x).round(3))
print("A @ x analog:", np.asarray(analog @ x).round(3))
print("y @ A exact :", (y @ matrix).round(3))
print("y @ A analog:", np.asarray(y @ analog).round(3))

stored = analog.get_matrix().numpy()
print("stored matrix differs from the target by up to "
      f"{np.abs(stored - matrix).max():.3f} (device-to-device spread and bounds)")

# one pulsed update moves a weight by at most desired_bl * dw_min, and these ReRAM devices
# have large write noise: compare the rank-one update on the idealized preset
ideal = AnalogMatrix(matrix, IdealizedPreset(), device=device)
before = ideal.get_matrix().numpy()
d = np.zeros(6, dtype=np.float32)
d[0] = 1.0
for _ in range(10):
    ideal.ger(x, d, alpha=0.002)
change = ideal.get_matrix().numpy() - before
print("first row change after 10 x ger(alpha=0.002):", change[0].round(3))
print("expected 10 * (alpha * d x^T)[0]           :", (0.02 * x).round(3))
print("largest change of the other rows           :", np.abs(change[1:]).max().round(3))
