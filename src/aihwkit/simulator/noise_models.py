"""Former location of the inference noise models; use :mod:`aihwkit.inference`."""

import warnings

from aihwkit.inference import *  # noqa: F401,F403

warnings.warn("aihwkit.simulator.noise_models is deprecated: import from aihwkit.inference",
              FutureWarning, stacklevel=2)
