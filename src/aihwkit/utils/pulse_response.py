"""Pulse responses of device models: the numbers behind the device plots.

Everything here works without matplotlib; :mod:`aihwkit.utils.visualization` draws the
results.
"""

from copy import deepcopy
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from aihwkit.exceptions import ArgumentError, ConfigError
from aihwkit.simulator.configs.configs import SingleRPUConfig
from aihwkit.simulator.tiles.analog import AnalogTile

# write noise is kept tiny rather than switched off so that a noise-free copy of a tile
# keeps the same hidden-parameter layout as the noisy original
_TINY_WRITE_NOISE = 1e-9
# kernel weight below which a node of the step statistics counts as empty
_MIN_KERNEL_WEIGHT = 0.1


def _check_direction(direction: Any) -> np.ndarray:
    values = np.asarray(direction, dtype=float).reshape(-1)
    if values.size == 0:
        raise ArgumentError("direction must hold at least one pulse direction")
    if not np.all(np.isin(values, (-1.0, 1.0))):
        raise ArgumentError("direction entries must be +1 (up) or -1 (down)")
    return values


@torch.no_grad()
def compute_pulse_response(analog_tile: Any, direction: Any,
                           use_forward: bool = False) -> np.ndarray:
    """Apply one update per entry of ``direction`` and record the weights after each.

    Each update uses ``x = -1`` on every input and ``d = direction[i]`` on every output at
    the tile's learning rate, so with single-pulse update settings and a learning rate of 1
    (see :func:`get_tile_for_plotting`) every device receives one pulse up (``+1``) or
    down (``-1``).

    Args:
        analog_tile: a training tile (e.g. ``AnalogTile``).
        direction: sequence of ``+1``/``-1``, one per update.
        use_forward: read the weights through the tile's forward pass (an identity input,
            so read noise is included) instead of reading them directly.

    Returns:
        ``[len(direction), out_size, in_size]`` weights after each update.
    """
    directions = _check_direction(direction)
    out_size, in_size = analog_tile.out_size, analog_tile.in_size
    dtype = analog_tile.get_dtype()
    device = analog_tile.device
    x_vec = -torch.ones(1, in_size, dtype=dtype, device=device)
    d_up = torch.ones(1, out_size, dtype=dtype, device=device)
    identity = torch.eye(in_size, dtype=dtype, device=device)
    trace = np.zeros((directions.size, out_size, in_size))
    for i, sign in enumerate(directions):
        analog_tile.update(x_vec, d_up * sign)
        if use_forward:
            trace[i] = analog_tile.forward(identity).detach().cpu().t().numpy()
        else:
            trace[i] = analog_tile.get_weights()[0].numpy()
    return trace


def compute_pulse_statistics(w_nodes: Any, w_trace: Any, direction: Any, up_direction: bool,
                             smoothness: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and spread of the weight step per pulse, as a function of the weight.

    The steps are the weight differences of consecutive pulses that both go in the chosen
    direction. Each step counts at the weight it started from, with a Gaussian kernel of
    width ``sigma = (w_nodes[1] - w_nodes[0]) / 2 * smoothness`` around each node; nodes
    whose total kernel weight is below 0.1 get NaN.

    Args:
        w_nodes: ``[n_nodes]`` weights at which to estimate (equally spaced, >= 2).
        w_trace: ``[n_pulses, ...]`` weights after each pulse (one column per device).
        direction: ``[n_pulses]`` pulse directions (+1/-1).
        up_direction: statistics of the up (True) or down (False) pulses.
        smoothness: kernel width relative to half the node spacing (> 0).

    Returns:
        ``(dw_mean, dw_std)``, each ``[n_nodes, n_devices]``.
    """
    nodes = np.asarray(w_nodes, dtype=float).reshape(-1)
    if nodes.size < 2:
        raise ArgumentError("w_nodes must hold at least two weights")
    if smoothness <= 0:
        raise ArgumentError(f"smoothness must be > 0, got {smoothness}")
    directions = _check_direction(direction)
    trace = np.asarray(w_trace, dtype=float)
    if trace.shape[0] != directions.size:
        raise ArgumentError(f"w_trace has {trace.shape[0]} pulses but direction has "
                            f"{directions.size}")
    trace = trace.reshape(trace.shape[0], -1)
    sign = 1.0 if up_direction else -1.0
    chosen = (directions[1:] == sign) & (directions[:-1] == sign)
    steps = np.diff(trace, axis=0)[chosen]          # [n_steps, n_devices]
    starts = trace[:-1][chosen]
    sigma = abs(nodes[1] - nodes[0]) / 2.0 * smoothness
    n_devices = trace.shape[1]
    dw_mean = np.full((nodes.size, n_devices), np.nan)
    dw_std = np.full((nodes.size, n_devices), np.nan)
    if steps.shape[0] == 0:
        return dw_mean, dw_std
    for dev in range(n_devices):
        # [n_nodes, n_steps] kernel weights
        kernel = np.exp(-0.5 * ((starts[None, :, dev] - nodes[:, None]) / sigma) ** 2)
        total = kernel.sum(axis=1)
        valid = total >= _MIN_KERNEL_WEIGHT
        mean = (kernel @ steps[:, dev])[valid] / total[valid]
        second = (kernel @ steps[:, dev] ** 2)[valid] / total[valid]
        dw_mean[valid, dev] = mean
        dw_std[valid, dev] = np.sqrt(np.maximum(second - mean ** 2, 0.0))
    return dw_mean, dw_std


def _set_if_present(obj: Any, name: str, value: Any) -> None:
    if obj is not None and hasattr(obj, name):
        setattr(obj, name, value)


def _silence_device(device: Any) -> None:
    """Switch off cycle-to-cycle and write noise of a device and all its sub-devices."""
    _set_if_present(device, "dw_min_std", 0.0)
    if getattr(device, "write_noise_std", 0.0) > 0:
        device.write_noise_std = _TINY_WRITE_NOISE
    for child in getattr(device, "unit_cell_devices", None) or []:
        _silence_device(child)
    if getattr(device, "device", None) is not None:
        _silence_device(device.device)
    for name in ("transfer_forward", "refresh_forward"):
        _set_if_present(getattr(device, name, None), "is_perfect", True)


def _device_of(rpu_config: Any) -> Any:
    device = getattr(rpu_config, "device", None)
    if device is None:
        raise ConfigError(f"{type(rpu_config).__name__} has no device: pulse responses need "
                          "a pulsed training configuration")
    return device


def get_tile_for_plotting(rpu_config: Any, n_traces: int, use_cuda: bool = False,
                          noise_free: bool = False,
                          w_init: Optional[Union[float, torch.Tensor]] = None) -> AnalogTile:
    """An ``AnalogTile(n_traces, 1)`` set up to apply single pulses.

    The update uses one pulse per call (``desired_bl = 1``, no update or bit-length
    management) at learning rate 1; weights start at ``w_init`` or the device's ``w_min``
    (``-1`` when the device has none).

    Args:
        rpu_config: a pulsed training configuration (deep-copied).
        n_traces: number of devices (tile rows) to simulate.
        use_cuda: put the tile on the GPU.
        noise_free: perfect forward pass, no cycle-to-cycle noise (``dw_min_std = 0``),
            negligible write noise, perfect transfer/refresh reads of compounds.
        w_init: initial weight of every device.

    Returns:
        the tile.
    """
    if isinstance(n_traces, bool) or not isinstance(n_traces, int) or n_traces < 1:
        raise ArgumentError(f"n_traces must be an integer >= 1, got {n_traces!r}")
    config = deepcopy(rpu_config)
    update = getattr(config, "update", None)
    if update is None:
        raise ConfigError(f"{type(config).__name__} has no pulsed update parameters")
    update.desired_bl = 1
    update.update_bl_management = False
    update.update_management = False
    if noise_free:
        config.forward.is_perfect = True
        _silence_device(_device_of(config))
    tile = AnalogTile(n_traces, 1, config)
    if use_cuda:
        tile = tile.cuda()
    tile.set_learning_rate(1.0)
    start = getattr(_device_of(config), "w_min", -1.0) if w_init is None else w_init
    weights = torch.ones(n_traces, 1) * (start if not isinstance(start, torch.Tensor)
                                         else start.reshape(-1, 1))
    tile.set_weights(weights)
    return tile


def estimate_n_steps(rpu_config: Any) -> int:
    """Pulses needed to go from ``w_min`` to ``w_max``.

    For a ``SingleRPUConfig`` this is ``round((w_max - w_min) / dw_min)`` (the weight
    granularity of a pulsed device is its ``dw_min``); for other configurations 1000.

    Raises:
        ConfigError: the device of a ``SingleRPUConfig`` has no weight bounds.
    """
    if not isinstance(rpu_config, SingleRPUConfig):
        return 1000
    device = rpu_config.device
    for name in ("w_min", "w_max", "dw_min"):
        if not hasattr(device, name):
            raise ConfigError(f"{type(device).__name__} has no '{name}': cannot estimate "
                              "the number of steps")
    if device.dw_min <= 0:
        raise ConfigError(f"{type(device).__name__}.dw_min = {device.dw_min} must be > 0 "
                          "to estimate the number of steps")
    return max(1, int(round((device.w_max - device.w_min) / device.dw_min)))


def response_directions(n_steps: int, n_loops: int) -> np.ndarray:
    """Up/down pulse sequence of the response overview: ``n_steps`` up, ``n_steps`` down,
    repeated (the sign of ``sin(pi (k+1) / n_steps)``, each zero crossing counted with the
    half period it ends), for ``k < min(max(2 n_loops n_steps, 1000),
    max(50000, 2 n_steps))``."""
    if n_steps < 1 or n_loops < 1:
        raise ArgumentError(f"n_steps and n_loops must be >= 1, got {n_steps}, {n_loops}")
    total = min(max(n_loops * 2 * n_steps, 1000), max(50000, 2 * n_steps))
    # integer arithmetic: the floating-point sine misjudges the sign near multiples of pi
    half_period = np.arange(total) // n_steps
    return np.where(half_period % 2 == 0, 1.0, -1.0)


def copy_device_state(source: AnalogTile, target: AnalogTile) -> None:
    """Give ``target`` the hidden parameters (device-to-device draws) and weights of
    ``source``."""
    target.set_hidden_parameters(source.get_hidden_parameters())
    target.set_weights(source.get_weights()[0])


def loop_directions(n_steps: int, n_loops: int) -> Sequence[float]:
    """``n_loops`` times ``n_steps`` pulses up then ``n_steps`` down."""
    one = [1.0] * n_steps + [-1.0] * n_steps
    return one * n_loops
