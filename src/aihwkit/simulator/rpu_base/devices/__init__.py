"""Device engines: one module per device model. Importing this package registers them."""

from aihwkit.simulator.rpu_base.devices import floating_point  # noqa: F401
