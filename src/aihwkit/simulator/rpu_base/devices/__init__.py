"""Device engines: one module per device model. Importing this package registers them."""

from aihwkit.simulator.rpu_base.devices import floating_point  # noqa: F401
from aihwkit.simulator.rpu_base.devices import (  # noqa: F401
    constant_step, exp_step, ideal, linear_step, piecewise_step, pow_step,
    soft_bounds_reference)
# the compiled engine's parameter-class names, as ``rpu_base.devices.<Name>``
from aihwkit.simulator.rpu_base.device_parameters import *  # noqa: F401,F403,E402
