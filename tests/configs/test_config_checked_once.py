"""Per-call configuration checks that skip configs unchanged since they last passed:
any change of a field (assigned or a list changed in place) is checked again."""

import pytest
import torch

from aihwkit.exceptions import ConfigError, TorchTileConfigError
from aihwkit.simulator.configs import TorchInferenceRPUConfig
from aihwkit.simulator.parameters.enums import WeightModifierType
from aihwkit.simulator.rpu_base.weight_ops import check_modifier
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile
from aihwkit.simulator.tiles.torch_tile import check_torch_io


def test_changed_fields_are_checked_again():
    modifier = TorchInferenceRPUConfig().modifier
    check_modifier(modifier)
    check_modifier(modifier)            # unchanged: passes without a check
    modifier.std_dev = -0.1
    with pytest.raises(ConfigError, match="std_dev"):
        check_modifier(modifier)
    modifier.std_dev = 0.1
    check_modifier(modifier)
    modifier.coeffs.append(float("nan"))   # a list changed in place
    with pytest.raises(ConfigError, match="coeffs"):
        check_modifier(modifier)


def test_arguments_are_part_of_the_key():
    modifier = TorchInferenceRPUConfig().modifier
    modifier.pdrop = 0.5
    check_modifier(modifier)             # the analog tile simulates drop-out
    with pytest.raises(TorchTileConfigError):
        check_modifier(modifier, torch_tile=True)


def test_forward_checks_every_call_after_a_change():
    config = TorchInferenceRPUConfig()
    config.modifier.type = WeightModifierType.ADD_NORMAL
    tile = TorchInferenceTile(3, 4, config)
    tile.train()
    tile(torch.rand(2, 4))
    tile(torch.rand(2, 4))
    config = tile.rpu_config           # the tile's own copy
    config.forward.out_noise = -1.0
    with pytest.raises(ConfigError, match="out_noise"):
        tile(torch.rand(2, 4))
    config.forward.out_noise = 0.0
    check_torch_io(config.forward)
    config.modifier.std_dev = float("nan")
    with pytest.raises(ConfigError, match="std_dev"):
        tile(torch.rand(2, 4))
