"""The code examples of the seed text "Using aihwkit Simulator", run as written.

Where the text lost lines (closing brackets, truncated imports) the examples are completed
with the smallest addition; such spots are marked "completed".
"""

import pytest
import torch

from aihwkit.simulator.rpu_base import cuda


def test_floating_point_tile():
    from aihwkit.simulator.tiles import FloatingPointTile

    tile = FloatingPointTile(10, 20)
    assert tile.get_weights()[0].shape == (10, 20)


def test_gpu_stored_tiles():
    from aihwkit.simulator.tiles import FloatingPointTile

    cpu_tile = FloatingPointTile(10, 20)
    if not cuda.is_compiled():
        from aihwkit.exceptions import CudaError
        with pytest.raises(CudaError):
            cpu_tile.cuda()
        return
    from aihwkit.simulator.tiles import CudaFloatingPointTile
    gpu_tile = cpu_tile.cuda()
    assert isinstance(gpu_tile, CudaFloatingPointTile)


def test_floating_point_config():
    from aihwkit.simulator.configs import FloatingPointRPUConfig

    config = FloatingPointRPUConfig()
    assert config.device is not None


def test_single_config_with_constant_step():
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice

    config = SingleRPUConfig(device=ConstantStepDevice())
    assert isinstance(config.device, ConstantStepDevice)


def test_analog_tile_with_config():
    from aihwkit.simulator.tiles import AnalogTile
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice

    config = SingleRPUConfig(device=ConstantStepDevice())
    tile = AnalogTile(10, 20, rpu_config=config)
    assert tile(torch.rand(3, 20)).shape == (3, 10)


def _linear_step_keywords():
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import LinearStepDevice
    from aihwkit.simulator.configs.utils import IOParameters, UpdateParameters  # noqa: F401

    rpu_config = SingleRPUConfig(
        device=LinearStepDevice(w_min=-0.4, w_max=0.6)
    )  # completed: closing bracket
    return rpu_config


def _linear_step_assignment():
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import LinearStepDevice

    rpu_config = SingleRPUConfig(device=LinearStepDevice())

    rpu_config.forward.out_noise = 0.1
    rpu_config.backward.out_noise = 0.1
    rpu_config.update.desired_bl = 20
    rpu_config.device.w_min = -0.4
    rpu_config.device.w_max = 0.6
    return rpu_config


def test_linear_step_device_fields():
    first = _linear_step_keywords()
    second = _linear_step_assignment()
    assert first.device == second.device
    assert (first.device.w_min, first.device.w_max) == (-0.4, 0.6)
    assert second.forward.out_noise == 0.1 and second.update.desired_bl == 20


def test_linear_step_config_builds_a_tile():
    from aihwkit.simulator.tiles import AnalogTile

    tile = AnalogTile(10, 20, rpu_config=_linear_step_assignment())
    assert tile(torch.rand(3, 20)).shape == (3, 10)
