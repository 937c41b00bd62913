"""Former location of the inference noise models; use :mod:`aihwkit.inference`.

Names are looked up in :mod:`aihwkit.inference` on first access, so importing this
module does not import the inference package (which sits above the simulator).
"""

import importlib
import warnings
from typing import Any

warnings.warn("aihwkit.simulator.noise_models is deprecated: import from aihwkit.inference",
              FutureWarning, stacklevel=2)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module("aihwkit.inference"), name)
