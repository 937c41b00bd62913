"""Weight-drift and programming-error plots."""

import numpy as np
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

from aihwkit.exceptions import TileError  # noqa: E402
from aihwkit.inference import PCMLikeNoiseModel  # noqa: E402
from aihwkit.nn import AnalogLinear, AnalogSequential  # noqa: E402
from aihwkit.simulator.configs import InferenceRPUConfig  # noqa: E402
from aihwkit.utils import visualization as vis  # noqa: E402
from aihwkit.utils.plot_inference import (  # noqa: E402
    ERROR_YLABEL, TARGET_XLABEL, binned_error)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_weight_drift_curves():
    times = [1.0, 1e2, 1e4, 1e6]
    figure = vis.plot_weight_drift(t_inference_list=times, w_inits=[-1.0, 0.0, 0.5, 1.0],
                                   n_repeats=40)
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"
    assert axes.get_xlabel() == "Time after programming [sec]"
    assert axes.get_ylabel() == "Weight value [norm. units]"
    lines = axes.get_lines()
    assert len(lines) == 4
    assert list(lines[0].get_xdata()) == times
    top = lines[3].get_ydata()  # w = 1.0
    # PCM drift lowers the conductance: 1e6 s after programming the mean weight of 1.0 is
    # well below its 1 s value (drift factor ~ (1e6/20)^-0.05 < 0.6 of the programmed one)
    assert top[-1] < 0.8 * top[0] and top[0] > 0.8
    assert abs(lines[1].get_ydata()).max() < 0.05  # zero stays near zero
    assert lines[0].get_ydata()[-1] > -0.8  # negative weights drift towards zero too


def test_binned_error_means_and_standard_errors():
    target = np.array([-0.9, -0.8, 0.1, 0.2, 0.3])
    error = np.array([1.0, 3.0, 2.0, 2.0, 2.0])
    centers, mean, sem = binned_error(target, error, 2, (-1.0, 1.0))
    assert centers == pytest.approx([-0.5, 0.5])
    assert mean == pytest.approx([2.0, 2.0])
    assert sem == pytest.approx([np.sqrt(2.0) / np.sqrt(2.0), 0.0])


def test_plot_programming_error_inference_config():
    torch.manual_seed(0)
    axes = vis.plot_programming_error(InferenceRPUConfig(), n_rows=200, n_bins=11)
    assert (axes.get_xlabel(), axes.get_ylabel()) == (TARGET_XLABEL, ERROR_YLABEL)
    line = axes.get_lines()[0]
    assert len(line.get_xdata()) == 11
    values = np.asarray(line.get_ydata())
    assert (values > 0).all() and (values < 20).all()
    # PCM programming noise grows with the conductance: std ~0.0087 at w=0 and ~0.043 at
    # |w|=1 (in weight units), so the outer bins' error exceeds the center's
    assert values[0] > 2 * values[5] and values[-1] > 2 * values[5]


def test_plot_programming_error_with_drift_and_label():
    _, axes = plt.subplots()
    out = vis.plot_programming_error(InferenceRPUConfig(), n_rows=50, n_bins=5, axes=axes,
                                     label="1 day", t_inference=86400.0)
    assert out is axes and axes.get_legend() is not None


def test_plot_model_programming_error():
    config = InferenceRPUConfig(noise_model=PCMLikeNoiseModel())
    model = AnalogSequential(AnalogLinear(8, 6, rpu_config=config),
                             AnalogLinear(6, 4, rpu_config=config))
    model.eval()
    with pytest.raises(TileError, match="not programmed"):
        vis.plot_model_programming_error(model)
    model.program_analog_weights()
    axes = vis.plot_model_programming_error(model, n_bins=7)
    assert len(axes.get_lines()) == 2
    assert axes.get_ylabel() == ERROR_YLABEL
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "0.analog_module", "1.analog_module"]
