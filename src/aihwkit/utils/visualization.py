"""Plots of device responses, weight drift and programming errors (needs matplotlib).

matplotlib is imported on first use; without it the plotting functions raise an
``ImportError`` that says how to install it. The numbers behind the plots come from
:mod:`aihwkit.utils.pulse_response` and work without matplotlib.
"""

from typing import Any, Optional, Tuple

import numpy as np

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.configs.configs import SingleRPUConfig, UnitCellRPUConfig
from aihwkit.simulator.configs.devices import PulsedDevice
from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, WeightNoiseType)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.utils.pulse_response import (  # noqa: F401  (re-exported)
    compute_pulse_response, compute_pulse_statistics, copy_device_state, estimate_n_steps,
    get_tile_for_plotting, loop_directions, response_directions)
from aihwkit.utils.plot_inference import (  # noqa: F401  (re-exported)
    plot_model_programming_error, plot_programming_error, plot_weight_drift)
from aihwkit.utils.plotting_backend import pyplot

RESPONSE_XLABEL = "Pulse number"
RESPONSE_YLABEL = "Weight [norm. units]"
STEP_XLABEL = "Weight [norm. units]"
STEP_YLABEL = "Step size per pulse [norm. units]"


def plot_pulse_response(analog_tile: Any, direction: Any, use_forward: bool = False
                        ) -> np.ndarray:
    """Plot the weight of every device after each pulse into the current axes.

    Args:
        analog_tile: a tile from :func:`get_tile_for_plotting`.
        direction: ``+1``/``-1`` per pulse.
        use_forward: read the weights through the forward pass (read noise included).

    Returns:
        ``[len(direction), out_size, in_size]`` weight trace.
    """
    plt = pyplot()
    w_trace = compute_pulse_response(analog_tile, direction, use_forward)
    axes = plt.gca()
    axes.plot(w_trace.reshape(w_trace.shape[0], -1), linewidth=1)
    title = type(analog_tile.rpu_config.device).__name__
    if not use_forward:
        title += " (without cycle/read noise)"
    axes.set_title(title)
    axes.set_xlabel(RESPONSE_XLABEL)
    axes.set_ylabel(RESPONSE_YLABEL)
    return w_trace


def plot_pulse_statistics(w_trace: Any, direction: Any, up_direction: bool,
                          num_nodes: int = 100, smoothness: float = 0.5
                          ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plot the mean step size (line) and its spread (band of +- one std) versus the weight
    into the current axes, one curve per device.

    Returns:
        ``(w_nodes [num_nodes], dw_mean [num_nodes, n_devices], dw_std [same])``.
    """
    if num_nodes < 2:
        raise ArgumentError(f"num_nodes must be >= 2, got {num_nodes}")
    plt = pyplot()
    trace = np.asarray(w_trace, dtype=float)
    w_nodes = np.linspace(trace.min(), trace.max(), num_nodes)
    if w_nodes[1] == w_nodes[0]:
        w_nodes = np.linspace(trace.min() - 0.5, trace.max() + 0.5, num_nodes)
    dw_mean, dw_std = compute_pulse_statistics(w_nodes, trace, direction, up_direction,
                                               smoothness)
    axes = plt.gca()
    for dev in range(dw_mean.shape[1]):
        line, = axes.plot(w_nodes, dw_mean[:, dev], linewidth=1)
        axes.fill_between(w_nodes, dw_mean[:, dev] - dw_std[:, dev],
                          dw_mean[:, dev] + dw_std[:, dev], color=line.get_color(),
                          alpha=0.3, linewidth=0)
    axes.set_xlabel(STEP_XLABEL)
    axes.set_ylabel(STEP_YLABEL)
    axes.set_title("up pulses" if up_direction else "down pulses")
    return w_nodes, dw_mean, dw_std


def plot_response_overview(rpu_config: Any, n_loops: int = 5, n_steps: Optional[int] = None,
                           n_traces: int = 5, use_cuda: bool = False,
                           smoothness: float = 0.1) -> Any:
    """Three panels into the current figure: the response read through the (noisy)
    forward pass, the noise-free response of the same devices, and the up/down step
    statistics of the noise-free response.

    The pulse sequence alternates ``n_steps`` up and ``n_steps`` down
    (``sign(sin(pi (k+1) / n_steps))``), at least 1000 and at most
    ``max(50000, 2 n_steps)`` pulses.

    Args:
        rpu_config: a pulsed training configuration.
        n_loops: number of up/down cycles.
        n_steps: pulses per half cycle (default :func:`estimate_n_steps`).
        n_traces: number of devices.
        use_cuda: simulate on the GPU.
        smoothness: kernel width of the step statistics.

    Returns:
        the matplotlib ``Figure``.
    """
    plt = pyplot()
    if n_steps is None:
        n_steps = estimate_n_steps(rpu_config)
    direction = response_directions(n_steps, n_loops)
    figure = plt.gcf()
    figure.clf()
    noisy = get_tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=False)
    quiet = get_tile_for_plotting(rpu_config, n_traces, use_cuda, noise_free=True)
    copy_device_state(noisy, quiet)

    plt.subplot(3, 1, 1)
    plot_pulse_response(noisy, direction, use_forward=True)
    plt.subplot(3, 1, 2)
    w_trace = plot_pulse_response(quiet, direction, use_forward=False)
    plt.subplot(3, 2, 5)
    plot_pulse_statistics(w_trace, direction, True, smoothness=smoothness)
    plt.subplot(3, 2, 6)
    plot_pulse_statistics(w_trace, direction, False, smoothness=smoothness)
    figure.tight_layout()
    return figure


def plotting_io_parameters(w_noise: float = 0.0) -> IOParameters:
    """Forward parameters of the device plots: no output noise, resolution or management,
    ``w_noise`` as additive constant weight noise, ``out_bound = 100``."""
    return IOParameters(out_noise=0.0, w_noise=w_noise,
                        w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT, inp_res=-1,
                        out_res=-1, out_bound=100.0,
                        noise_management=NoiseManagementType.NONE,
                        bound_management=BoundManagementType.NONE)


def device_config(device: Any, w_noise: float = 0.0) -> Any:
    """``SingleRPUConfig`` for a pulsed device or ``UnitCellRPUConfig`` for a unit cell,
    with the forward parameters of :func:`plotting_io_parameters`."""
    forward = plotting_io_parameters(w_noise)
    if isinstance(device, PulsedDevice):
        return SingleRPUConfig(device=device, forward=forward)
    if hasattr(device, "unit_cell_devices"):
        return UnitCellRPUConfig(device=device, forward=forward)
    raise ArgumentError(f"device must be a pulsed device or a unit cell, got "
                        f"{type(device).__name__}")


def plot_device(device: Any, w_noise: float = 0.0, **kwargs: Any) -> Any:
    """Response overview (:func:`plot_response_overview`) of a device in a new 7x7 inch
    figure. ``kwargs`` go to :func:`plot_response_overview`.

    Returns:
        the matplotlib ``Figure``.
    """
    plt = pyplot()
    plt.figure(figsize=(7, 7))
    return plot_response_overview(device_config(device, w_noise), **kwargs)


def plot_device_compact(device: Any, w_noise: float = 0.0, n_steps: Optional[int] = None,
                        n_traces: int = 3, n_loops: int = 2, w_init: Optional[float] = None,
                        use_cuda: bool = False, axes: Optional[Any] = None,
                        **plot_kwargs: Any) -> Any:
    """Compact device plot.

    Without ``axes``: a new 12x4 inch figure with the mean up-step size versus weight
    (left), the response traces read through the forward pass (center, y-limits
    +-1.2 max|w|) and the mean down-step size (right); the step sizes come from a
    noise-free copy of the same devices over one loop. With ``axes``: only the response
    traces, drawn into ``axes``.

    Args:
        device: pulsed device or unit cell.
        w_noise: additive weight read noise.
        n_steps: pulses per half cycle (default :func:`estimate_n_steps`).
        n_traces: number of devices.
        n_loops: up/down cycles of the center plot.
        w_init: initial weight (default the device's ``w_min``).
        use_cuda: simulate on the GPU.
        axes: draw the traces into these axes instead.
        plot_kwargs: passed to ``axes.plot`` of the traces.

    Returns:
        ``axes`` when given, otherwise the ``[2 n_steps, n_traces, 1]`` noise-free weight
        trace of the step statistics (the figure is ``plt.gcf()``).
    """
    plt = pyplot()
    config = device_config(device, w_noise)
    if n_steps is None:
        n_steps = estimate_n_steps(config)
    direction = loop_directions(n_steps, n_loops)
    noisy = get_tile_for_plotting(config, n_traces, use_cuda, False, w_init)
    quiet = get_tile_for_plotting(config, n_traces, use_cuda, True, w_init)
    copy_device_state(noisy, quiet)
    trace = compute_pulse_response(noisy, direction, use_forward=True)
    flat = trace.reshape(trace.shape[0], -1)
    limit = 1.2 * max(float(np.abs(flat).max()), 1e-12)
    if axes is not None:
        axes.plot(flat, **plot_kwargs)
        axes.set_ylim(-limit, limit)
        axes.set_xlabel(RESPONSE_XLABEL)
        axes.set_ylabel(RESPONSE_YLABEL)
        return axes

    figure = plt.figure(figsize=(12, 4))
    center = figure.add_subplot(1, 3, 2)
    center.plot(flat, **plot_kwargs)
    center.set_ylim(-limit, limit)
    center.set_xlabel(RESPONSE_XLABEL)
    center.set_ylabel(RESPONSE_YLABEL)
    center.set_title(type(device).__name__)

    one_loop = loop_directions(n_steps, 1)
    w_quiet = compute_pulse_response(quiet, one_loop, use_forward=False)
    nodes = np.linspace(w_quiet.min(), w_quiet.max(), 100)
    if nodes[1] == nodes[0]:
        nodes = np.linspace(nodes[0] - 0.5, nodes[0] + 0.5, 100)
    for position, up in ((1, True), (3, False)):
        side = figure.add_subplot(1, 3, position)
        mean, _ = compute_pulse_statistics(nodes, w_quiet, one_loop, up, smoothness=1.0)
        side.plot(nodes, mean)
        side.set_xlabel(STEP_XLABEL)
        side.set_ylabel(("Up" if up else "Down") + " step size [norm. units]")
    figure.tight_layout()
    return w_quiet


def plot_device_symmetry(device: Any, w_noise: float = 0.0, n_pulses: int = 10000,
                         n_traces: int = 3, use_cuda: bool = False,
                         w_init: float = 1.0) -> Any:
    """Response to alternating up/down pulses (the symmetry point is where the traces
    settle), read through the forward pass, in a new figure with y-limits +-1.

    Returns:
        the matplotlib ``Figure``.
    """
    if isinstance(n_pulses, bool) or not isinstance(n_pulses, int) or n_pulses < 1:
        raise ArgumentError(f"n_pulses must be an integer >= 1, got {n_pulses!r}")
    plt = pyplot()
    config = device_config(device, w_noise)
    tile = get_tile_for_plotting(config, n_traces, use_cuda, False, w_init)
    direction = np.where(np.arange(n_pulses) % 2 == 0, 1.0, -1.0)
    trace = compute_pulse_response(tile, direction, use_forward=True)
    figure = plt.figure()
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(trace.reshape(n_pulses, -1))
    axes.set_ylim(-1.0, 1.0)
    axes.set_xlabel(RESPONSE_XLABEL)
    axes.set_ylabel(RESPONSE_YLABEL)
    axes.set_title(type(device).__name__)
    return figure


__all__ = [
    "compute_pulse_response", "compute_pulse_statistics", "estimate_n_steps",
    "get_tile_for_plotting", "plot_device", "plot_device_compact", "plot_device_symmetry",
    "plot_model_programming_error", "plot_programming_error", "plot_pulse_response",
    "plot_pulse_statistics", "plot_response_overview", "plot_weight_drift",
    "device_config", "plotting_io_parameters",
]
