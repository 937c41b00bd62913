"""Figures of the command-line demo: learning curves and the response of the device."""

import warnings
from copy import deepcopy
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from aihwkit.simulator.configs.configs import FloatingPointRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs.devices import PulsedDevice
from aihwkit.simulator.tiles.floating_point import FloatingPointTile
from aihwkit.utils.plot_inference import TIME_XLABEL, WEIGHT_YLABEL, weight_drift_traces
from aihwkit.utils.plotting_backend import pyplot
from aihwkit.utils.pulse_response import (
    compute_pulse_response, compute_pulse_statistics, copy_device_state, get_tile_for_plotting,
    loop_directions)
from aihwkit.utils.visualization import RESPONSE_XLABEL, RESPONSE_YLABEL, STEP_XLABEL

EPOCH_XLABEL = "Epoch"
LOSS_YLABEL = "Training loss"
ACCURACY_YLABEL = "Test accuracy"
STEP_SIZE_YLABEL = "Mean |step| per pulse [norm. units]"


def plot_learning_curves(histories: Dict[str, Dict[str, List[float]]]) -> Any:
    """Training loss and test accuracy per epoch, one curve per run.

    Args:
        histories: run label -> ``{"loss": [...], "accuracy": [...]}`` (one value per
            epoch).

    Returns:
        a ``Figure`` with two axes (loss, accuracy) sharing the epoch axis.
    """
    plt = pyplot()
    figure, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for label, history in histories.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        loss_ax.plot(epochs, history["loss"], marker="o", label=label)
        acc_ax.plot(epochs, history["accuracy"], marker="o", label=label)
    for axes, ylabel in ((loss_ax, LOSS_YLABEL), (acc_ax, ACCURACY_YLABEL)):
        axes.set_xlabel(EPOCH_XLABEL)
        axes.set_ylabel(ylabel)
        axes.grid(alpha=0.3)
        axes.legend()
    acc_ax.set_ylim(0.0, 1.02)
    loss_ax.xaxis.get_major_locator().set_params(integer=True)
    acc_ax.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    return figure


def _device_name(rpu_config: Any) -> str:
    device = getattr(rpu_config, "device", None)
    return type(device).__name__ if device is not None else type(rpu_config).__name__


def _is_pulsed(rpu_config: Any) -> bool:
    return hasattr(rpu_config, "update") and not hasattr(rpu_config, "noise_model")


def _single_device_config(rpu_config: Any) -> Tuple[Any, str]:
    """The configuration whose pulse response is shown, and the plot title: compounds
    show their first device (the one that receives the gradient pulses)."""
    device = rpu_config.device
    child = None
    if getattr(device, "unit_cell_devices", None):
        child = device.unit_cell_devices[0]
    elif isinstance(getattr(device, "device", None), PulsedDevice):
        child = device.device
    if child is None:
        return rpu_config, type(device).__name__
    config = SingleRPUConfig(device=deepcopy(child), forward=deepcopy(rpu_config.forward))
    return config, f"{type(child).__name__} (device of {type(device).__name__})"


def plot_config_response(rpu_config: Any, n_steps: int = 200, n_traces: int = 3,
                         n_loops: int = 2) -> Any:
    """What the devices of a configuration do, as a ``Figure``.

    Pulsed training configurations: the weight of ``n_traces`` devices under ``n_loops``
    cycles of ``n_steps`` up and ``n_steps`` down pulses and the mean up/down step size
    versus weight (of a noise-free copy of the same devices); compounds show the first
    of their devices. Inference configurations:
    the drift of programmed weights over time with the configuration's noise model.
    Floating-point configurations: the exact response of a floating-point tile (steps of
    ``1 / n_steps``).
    """
    plt = pyplot()
    if hasattr(rpu_config, "noise_model") and rpu_config.noise_model is not None:
        times, inits, means, stds = weight_drift_traces(
            rpu_config.noise_model, np.logspace(0, 7.5, 12), np.linspace(-1, 1, 5), 20)
        figure, axes = plt.subplots(1, 1, figsize=(7, 4))
        for col, w_init in enumerate(inits):
            line, = axes.plot(times, means[:, col], label=f"w = {w_init:.1f}")
            axes.fill_between(times, means[:, col] - stds[:, col],
                              means[:, col] + stds[:, col], color=line.get_color(),
                              alpha=0.25, linewidth=0)
        axes.set_xscale("log")
        axes.set_xlabel(TIME_XLABEL)
        axes.set_ylabel(WEIGHT_YLABEL)
        axes.set_title(f"Weight drift: {type(rpu_config.noise_model).__name__}")
        axes.legend(fontsize="small")
        figure.tight_layout()
        return figure

    direction = loop_directions(n_steps, n_loops)
    if _is_pulsed(rpu_config):
        config, title = _single_device_config(rpu_config)
        tile = get_tile_for_plotting(config, n_traces)
        quiet = get_tile_for_plotting(config, n_traces, noise_free=True)
        copy_device_state(tile, quiet)
    else:
        config = rpu_config or FloatingPointRPUConfig()
        tile = quiet = FloatingPointTile(n_traces, 1, config)
        tile.set_learning_rate(1.0 / n_steps)
        tile.set_weights(-0.5 * np.ones((n_traces, 1), dtype=np.float32))
        title = f"{_device_name(rpu_config)} (exact updates)"
    trace = compute_pulse_response(tile, direction).reshape(len(direction), -1)
    figure, (resp_ax, step_ax) = plt.subplots(1, 2, figsize=(11, 4),
                                              gridspec_kw={"width_ratios": [2, 1]})
    resp_ax.plot(trace, linewidth=1)
    resp_ax.set_xlabel(RESPONSE_XLABEL)
    resp_ax.set_ylabel(RESPONSE_YLABEL)
    resp_ax.set_title(title)

    one_loop = loop_directions(n_steps, 1)
    w_quiet = compute_pulse_response(quiet, one_loop).reshape(len(one_loop), -1)
    nodes = np.linspace(w_quiet.min(), w_quiet.max(), 50)
    if nodes[1] == nodes[0]:
        nodes = np.linspace(nodes[0] - 0.5, nodes[0] + 0.5, 50)
    top = 0.0
    for up, style in ((True, "-"), (False, "--")):
        mean, _ = compute_pulse_statistics(nodes, w_quiet, one_loop, up, smoothness=2.0)
        with warnings.catch_warnings():  # nodes no device reached stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            size = np.nanmean(np.abs(mean), axis=1)
        step_ax.plot(nodes, size, style, label="up" if up else "down")
        if np.isfinite(size).any():
            top = max(top, float(np.nanmax(size)))
    step_ax.set_ylim(0.0, 1.2 * top if top > 0 else 1.0)
    step_ax.set_xlabel(STEP_XLABEL)
    step_ax.set_ylabel(STEP_SIZE_YLABEL)
    step_ax.set_title("without cycle-to-cycle noise")
    step_ax.legend()
    figure.tight_layout()
    return figure


def save_figure(figure: Any, path: str, dpi: Optional[int] = 80) -> None:
    """Write ``figure`` to ``path`` (format from the suffix) and close it."""
    plt = pyplot()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
