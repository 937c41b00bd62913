"""Plots of inference effects: weight drift over time and programming errors."""

from typing import Any, Optional, Sequence, Tuple

import numpy as np
import torch

from aihwkit.exceptions import ArgumentError, TileError
from aihwkit.utils.plotting_backend import pyplot

TIME_XLABEL = "Time after programming [sec]"
WEIGHT_YLABEL = "Weight value [norm. units]"
TARGET_XLABEL = "Target weight [norm. units]"
ERROR_YLABEL = "Programming error [%]"


@torch.no_grad()
def weight_drift_traces(noise_model: Optional[Any] = None,
                        t_inference_list: Optional[Sequence[float]] = None,
                        w_inits: Optional[Sequence[float]] = None, n_repeats: int = 25
                        ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Program ``n_repeats`` copies of each initial weight once and drift them.

    Returns:
        ``(times [T], w_inits [W], mean [T, W], std [T, W])``: the mean drifted weight over
        the copies and the std of (programmed - drifted) weight, in weight units.
    """
    # pylint: disable=import-outside-toplevel
    from aihwkit.inference.noise.pcm import PCMLikeNoiseModel
    from aihwkit.simulator.configs.configs import InferenceRPUConfig
    from aihwkit.simulator.tiles.inference import InferenceTile

    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise ArgumentError(f"n_repeats must be an integer >= 1, got {n_repeats!r}")
    model = PCMLikeNoiseModel() if noise_model is None else noise_model
    times = np.logspace(0, 7, 15) if t_inference_list is None \
        else np.asarray(t_inference_list, dtype=float).reshape(-1)
    inits = np.linspace(-1, 1, 9) if w_inits is None \
        else np.asarray(w_inits, dtype=float).reshape(-1)
    if times.size == 0 or inits.size == 0:
        raise ArgumentError("t_inference_list and w_inits must not be empty")
    tile = InferenceTile(n_repeats, inits.size,
                         InferenceRPUConfig(noise_model=model, drift_compensation=None))
    tile.eval()
    target = torch.tensor(inits, dtype=torch.float32).repeat(n_repeats, 1)
    tile.set_weights(target, apply_weight_scaling=False)
    tile.program_weights()
    programmed = tile.get_weights(apply_weight_scaling=False)[0].double()
    means = np.zeros((times.size, inits.size))
    stds = np.zeros((times.size, inits.size))
    for i, t_inference in enumerate(times):
        tile.drift_weights(float(t_inference))
        drifted = tile.get_weights(apply_weight_scaling=False)[0].double()
        means[i] = drifted.mean(dim=0).numpy()
        stds[i] = (programmed - drifted).std(dim=0).numpy() if n_repeats > 1 else 0.0
    return times, inits, means, stds


def plot_weight_drift(noise_model: Optional[Any] = None,
                      t_inference_list: Optional[Sequence[float]] = None,
                      w_inits: Optional[Sequence[float]] = None, n_repeats: int = 25) -> Any:
    """Mean weight versus time after programming (log time axis), one curve per initial
    weight, with a band of +- the std of (programmed - drifted) weight.

    Args:
        noise_model: inference noise model (default ``PCMLikeNoiseModel()``).
        t_inference_list: times in seconds (default ``logspace(0, 7, 15)``).
        w_inits: initial weights (default ``linspace(-1, 1, 9)``).
        n_repeats: copies of each weight (devices averaged over).

    Returns:
        the matplotlib ``Figure``.
    """
    plt = pyplot()
    times, inits, means, stds = weight_drift_traces(noise_model, t_inference_list, w_inits,
                                                    n_repeats)
    figure = plt.figure()
    axes = figure.add_subplot(1, 1, 1)
    for col, w_init in enumerate(inits):
        line, = axes.plot(times, means[:, col], label=f"{w_init:.2f}")
        axes.fill_between(times, means[:, col] - stds[:, col], means[:, col] + stds[:, col],
                          color=line.get_color(), alpha=0.25, linewidth=0)
    axes.set_xscale("log")
    axes.set_xlabel(TIME_XLABEL)
    axes.set_ylabel(WEIGHT_YLABEL)
    axes.set_title(type(noise_model).__name__ if noise_model is not None
                   else "PCMLikeNoiseModel")
    return figure


def binned_error(target: np.ndarray, error: np.ndarray, n_bins: int,
                 w_range: Tuple[float, float]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and standard error of ``error`` in ``n_bins`` equal bins of ``target`` over
    ``w_range``; empty bins give NaN.

    Returns:
        ``(bin_centers, mean, standard_error)``, each ``[n_bins]``.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ArgumentError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    low, high = float(w_range[0]), float(w_range[1])
    if not high > low:
        raise ArgumentError(f"w_range must be increasing, got {w_range}")
    edges = np.linspace(low, high, n_bins + 1)
    index = np.clip(np.digitize(target.reshape(-1), edges) - 1, 0, n_bins - 1)
    flat = error.reshape(-1)
    mean = np.full(n_bins, np.nan)
    sem = np.full(n_bins, np.nan)
    for k in range(n_bins):
        values = flat[index == k]
        if values.size:
            mean[k] = values.mean()
            sem[k] = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else 0.0
    return (edges[:-1] + edges[1:]) / 2, mean, sem


@torch.no_grad()
def plot_programming_error(config: Any, w_range: Tuple[float, float] = (-1.0, 1.0),
                           w_init: Optional[torch.Tensor] = None, n_rows: int = 100,
                           realistic_read: bool = False, n_bins: int = 101,
                           use_cuda: bool = False, label: Optional[str] = None,
                           axes: Optional[Any] = None, t_inference: Optional[float] = None,
                           **kwargs: Any) -> Any:
    """Programming error versus target weight.

    A random ``[n_rows, n_bins]`` target matrix (uniform in ``w_range``, or ``w_init``) is
    put on a tile of ``config`` and programmed: inference configurations apply their
    programming noise (and, with ``t_inference``, drift to that time); training
    configurations program by closed-loop pulsed updates (``kwargs`` go to the tile's
    ``program_weights``). The absolute error, binned by target, is plotted as mean +-
    standard error in percent of half the weight range.

    Returns:
        the axes.
    """
    plt = pyplot()
    if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 1:
        raise ArgumentError(f"n_rows must be an integer >= 1, got {n_rows!r}")
    low, high = float(w_range[0]), float(w_range[1])
    if w_init is None:
        target = torch.rand(n_rows, n_bins) * (high - low) + low
    else:
        target = torch.as_tensor(w_init, dtype=torch.float32)
        if target.dim() != 2:
            raise ArgumentError(f"w_init must be a matrix, got shape {tuple(target.shape)}")
    tile_class = config.get_default_tile_module_class(*target.shape)
    tile = tile_class(target.shape[0], target.shape[1], config)
    if use_cuda:
        tile = tile.cuda()
    tile.eval()
    tile.set_weights(target, apply_weight_scaling=False)
    if getattr(tile, "is_inference_tile", False):
        tile.program_weights()
        if t_inference is not None:
            tile.drift_weights(t_inference)
    else:
        if t_inference is not None:
            raise ArgumentError("t_inference needs an inference configuration")
        tile.program_weights(**kwargs)
    programmed = (tile.read_weights(apply_weight_scaling=False)[0] if realistic_read
                  else tile.get_weights(apply_weight_scaling=False)[0])
    error = (programmed - target).abs().numpy() / ((high - low) / 2) * 100.0
    centers, mean, sem = binned_error(target.numpy(), error, n_bins, (low, high))
    if axes is None:
        axes = plt.figure().add_subplot(1, 1, 1)
    line, = axes.plot(centers, mean, label=label)
    axes.fill_between(centers, mean - sem, mean + sem, color=line.get_color(), alpha=0.3,
                      linewidth=0)
    axes.set_xlabel(TARGET_XLABEL)
    axes.set_ylabel(ERROR_YLABEL)
    if label is not None:
        axes.legend()
    return axes


@torch.no_grad()
def plot_model_programming_error(analog_model: Any, n_bins: int = 51,
                                 apply_weight_scaling: bool = False,
                                 axes: Optional[Any] = None, **kwargs: Any) -> Any:
    """Programming error of every programmed inference tile of a model.

    Target = the tile's reference weights (stored when it was programmed); programmed =
    a realistic read (forward passes and a least-squares fit). The absolute error, binned
    by target, is plotted in percent of the largest absolute target, one curve per tile
    labelled with its name. ``kwargs`` go to ``axes.plot``.

    Raises:
        TileError: an inference tile has not been programmed.

    Returns:
        the axes.
    """
    plt = pyplot()
    tiles = [(name, tile) for name, tile in analog_model.named_analog_tiles()
             if getattr(tile, "is_inference_tile", False)]
    if not tiles:
        raise TileError("the model has no inference tiles")
    if axes is None:
        axes = plt.figure().add_subplot(1, 1, 1)
    for name, tile in tiles:
        reference = tile.reference_combined_weights
        if reference is None:
            raise TileError(f"tile '{name}' is not programmed: call "
                            "program_analog_weights() first")
        target = reference[:, :tile.in_size].detach().cpu()
        if apply_weight_scaling and tile.get_scales() is not None:
            target = target * tile.get_scales().detach().cpu().reshape(-1, 1)
        programmed = tile.read_weights(apply_weight_scaling=apply_weight_scaling)[0]
        amax = float(target.abs().max().clamp_min(1e-12))
        error = (programmed - target).abs().numpy() / amax * 100.0
        centers, mean, _ = binned_error(target.numpy(), error, n_bins, (-amax, amax))
        axes.plot(centers, mean, label=name or "tile", **kwargs)
    axes.set_xlabel(TARGET_XLABEL)
    axes.set_ylabel(ERROR_YLABEL)
    axes.legend()
    return axes
