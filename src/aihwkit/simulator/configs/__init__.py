"""RPU configurations, devices and parameters (aihwkit's ``simulator.configs``)."""

from aihwkit.simulator.configs.configs import FloatingPointRPUConfig
from aihwkit.simulator.configs.devices import FloatingPointDevice
from aihwkit.simulator.parameters import *  # noqa: F401,F403
