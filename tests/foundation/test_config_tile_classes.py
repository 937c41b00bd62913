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
    mapping = config.mapping
    # a zero limit on one side only still splits (into a single block on that side)
    one_sided = (mapping.max_input_size == 0) != (mapping.max_output_size == 0)
    expected = config.tile_array_class if one_sided else config.tile_class
    assert config.get_default_tile_module_class(4, 4) is expected
    assert f"tile_class=" not in str(config)
