"""The exception hierarchy and misspelt configuration attributes."""

import pytest

from aihwkit import exceptions
from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs import FloatingPointRPUConfig
from aihwkit.simulator.tiles import FloatingPointTile


def test_hierarchy():
    for name in ("ModuleError", "TileError", "ArgumentError", "CudaError", "ConfigError",
                 "CloudError"):
        assert issubclass(getattr(exceptions, name), exceptions.AihwkitException)
    assert issubclass(exceptions.TileModuleError, exceptions.TileError)
    assert issubclass(exceptions.AnalogBiasConfigError, exceptions.ConfigError)
    assert issubclass(exceptions.TorchTileConfigError, exceptions.ConfigError)
    assert issubclass(exceptions.FusionExportError, exceptions.CloudError)


def test_misspelt_attribute_is_rejected_at_build():
    config = FloatingPointRPUConfig()
    config.device.lifetme = 3.0
    with pytest.raises(ConfigError, match="lifetme"):
        FloatingPointTile(2, 2, config)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="bogus"):
        FloatingPointRPUConfig(bogus=1)


def test_negative_device_values_are_rejected():
    config = FloatingPointRPUConfig()
    config.device.lifetime = -1.0
    with pytest.raises(ConfigError, match="lifetime"):
        FloatingPointTile(2, 2, config)
