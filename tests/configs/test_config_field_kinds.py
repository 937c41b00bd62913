"""Field kinds come from the annotation where an integer default stands for a real number."""

import math

import pytest

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.parameters.validation import validate_config_fields


@pytest.mark.parametrize("field", ["x_res_implicit", "d_res_implicit"])
def test_float_field_with_integer_default_takes_reals(field):
    config = SingleRPUConfig()
    setattr(config.update, field, 0.1)
    validate_config_fields(config)
    setattr(config.update, field, math.nan)
    with pytest.raises(ConfigError, match=field):
        validate_config_fields(config)


def test_integer_field_still_rejects_fractions():
    config = SingleRPUConfig()
    config.update.desired_bl = 1.5
    with pytest.raises(ConfigError, match="desired_bl"):
        validate_config_fields(config)
