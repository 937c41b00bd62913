"""Every RPU configuration and preset names a tile class that layers can build."""

import inspect

import pytest

from aihwkit.simulator import configs, presets
from aihwkit.simulator.parameters.base import RPUConfigBase

# the time-resolved IR-drop torch tile is not simulated by this version
NOT_SIMULATED = {"TorchInferenceRPUConfigIRDropT"}


def _config_classes():
    seen = {}
    for module in (configs, presets):
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, RPUConfigBase) and \
                    not name.startswith("_") and obj is not RPUConfigBase:
                seen[name] = obj
    return sorted(seen.items())


@pytest.mark.parametrize("name,klass", _config_classes())
def test_tile_class_resolves(name, klass):
    config = klass()
    if name in NOT_SIMULATED:
        return
    assert config.tile_class is not None, name
    assert config.get_default_tile_module_class(4, 4) is config.tile_class
    assert f"tile_class=" not in str(config)
