"""Compound device engines (unit cells, transfer compounds, mixed precision).

Importing this package registers every compound engine with the engine registry.
"""

# pylint: disable=unused-import
from aihwkit.simulator.rpu_base.compounds import (  # noqa: F401
    buffered, chopped, dynamic, mixed_precision, one_sided, reference, transfer, vector)
