"""Pulse responses and the device plots built from them."""

import sys

import numpy as np
import pytest


matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

from aihwkit.exceptions import ArgumentError, ConfigError  # noqa: E402
from aihwkit.simulator.configs import (  # noqa: E402
    ConstantStepDevice, SingleRPUConfig, SoftBoundsDevice, UnitCellRPUConfig, VectorUnitCell)
from aihwkit.utils import visualization as vis  # noqa: E402


def _exact_constant_step(dw_min=0.01, w_min=-0.2, w_max=0.2):
    """Constant-step device without any noise or device-to-device spread."""
    return ConstantStepDevice(dw_min=dw_min, dw_min_dtod=0.0, dw_min_std=0.0, up_down=0.0,
                              up_down_dtod=0.0, w_min=w_min, w_max=w_max, w_min_dtod=0.0,
                              w_max_dtod=0.0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_compute_pulse_response_single_pulses_exact():
    tile = vis.get_tile_for_plotting(SingleRPUConfig(device=_exact_constant_step()), 2)
    direction = [1] * 50 + [-1] * 10
    trace = vis.compute_pulse_response(tile, direction)
    assert trace.shape == (60, 2, 1)
    # from w_min = -0.2, one pulse of 0.01 per update, clipped at w_max = 0.2
    expected_up = np.minimum(-0.2 + 0.01 * np.arange(1, 51), 0.2)
    assert trace[:50, 0, 0] == pytest.approx(expected_up, abs=1e-5)
    assert trace[50:, 1, 0] == pytest.approx(0.2 - 0.01 * np.arange(1, 11), abs=1e-5)


def test_compute_pulse_response_rejects_bad_directions():
    tile = vis.get_tile_for_plotting(SingleRPUConfig(device=_exact_constant_step()), 1)
    with pytest.raises(ArgumentError, match="direction"):
        vis.compute_pulse_response(tile, [1, 0.5])
    with pytest.raises(ArgumentError, match="n_traces"):
        vis.get_tile_for_plotting(SingleRPUConfig(), 0)


def test_pulse_statistics_constant_steps():
    trace = np.concatenate([0.01 * np.arange(1, 21), 0.2 - 0.02 * np.arange(1, 11)])
    direction = np.array([1.0] * 20 + [-1.0] * 10)
    nodes = np.linspace(-0.5, 0.5, 101)
    up_mean, up_std = vis.compute_pulse_statistics(nodes, trace[:, None], direction, True)
    # down steps start every 0.02: a kernel of sigma = 0.01 / 2 * 4 = 0.02 covers the gaps
    down_mean, _ = vis.compute_pulse_statistics(nodes, trace[:, None], direction, False,
                                                smoothness=4.0)
    covered = (nodes > 0.02) & (nodes < 0.18)
    assert up_mean[covered, 0] == pytest.approx(0.01, abs=1e-9)
    assert up_std[covered, 0] == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(up_mean[nodes < -0.1, 0]).all()  # no steps started there
    assert down_mean[(nodes > 0.05) & (nodes < 0.15), 0] == pytest.approx(-0.02, abs=1e-9)


def test_estimate_n_steps():
    assert vis.estimate_n_steps(SingleRPUConfig(device=ConstantStepDevice())) == 1200
    assert vis.estimate_n_steps(SingleRPUConfig(device=_exact_constant_step())) == 40
    assert vis.estimate_n_steps(UnitCellRPUConfig(device=VectorUnitCell(
        unit_cell_devices=[ConstantStepDevice()]))) == 1000
    with pytest.raises(ConfigError, match="dw_min"):
        vis.estimate_n_steps(SingleRPUConfig(device=ConstantStepDevice(dw_min=0.0)))


def test_noise_free_tile_keeps_hidden_parameter_layout():
    config = SingleRPUConfig(device=SoftBoundsDevice(write_noise_std=0.5))
    noisy = vis.get_tile_for_plotting(config, 3)
    quiet = vis.get_tile_for_plotting(config, 3, noise_free=True)
    assert list(noisy.get_hidden_parameters()) == list(quiet.get_hidden_parameters())
    assert quiet.rpu_config.forward.is_perfect
    assert quiet.rpu_config.device.dw_min_std == 0.0
    assert config.device.dw_min_std == 0.3  # the caller's config is untouched


def test_plot_pulse_response_axes():
    tile = vis.get_tile_for_plotting(SingleRPUConfig(device=_exact_constant_step()), 4)
    trace = vis.plot_pulse_response(tile, [1] * 15 + [-1] * 15)
    axes = plt.gca()
    assert len(axes.get_lines()) == 4
    assert axes.get_title() == "ConstantStepDevice (without cycle/read noise)"
    assert (axes.get_xlabel(), axes.get_ylabel()) == (vis.RESPONSE_XLABEL,
                                                      vis.RESPONSE_YLABEL)
    assert axes.get_lines()[2].get_ydata() == pytest.approx(trace[:, 2, 0])


def test_plot_device_overview_panels_and_ranges():
    device = _exact_constant_step()
    figure = vis.plot_device(device, n_steps=20, n_loops=1, n_traces=2)
    assert tuple(figure.get_size_inches()) == (7, 7)
    noisy_ax, quiet_ax, up_ax, down_ax = figure.axes
    # at least 1000 pulses are applied; two traces per response panel
    for axes in (noisy_ax, quiet_ax):
        assert len(axes.get_lines()) == 2
        assert len(axes.get_lines()[0].get_xdata()) == 1000
    assert quiet_ax.get_title().endswith("(without cycle/read noise)")
    quiet = np.concatenate([line.get_ydata() for line in quiet_ax.get_lines()])
    assert quiet.min() >= -0.2 - 1e-6 and quiet.max() <= 0.2 + 1e-6
    # 20 up and 20 down pulses of 0.01 from w_min: the traces span [-0.2, 0.0]
    assert quiet.min() == pytest.approx(-0.2, abs=1e-5)
    assert quiet.max() == pytest.approx(0.0, abs=1e-5)
    up = np.concatenate([line.get_ydata() for line in up_ax.get_lines()])
    down = np.concatenate([line.get_ydata() for line in down_ax.get_lines()])
    assert np.nanmax(np.abs(up - 0.01)) < 1e-5 and np.nanmax(np.abs(down + 0.01)) < 1e-5
    assert up_ax.get_xlabel() == vis.STEP_XLABEL


def test_plot_device_compact_figure_and_axes_mode():
    device = _exact_constant_step()
    w_trace = vis.plot_device_compact(device, n_steps=15, n_traces=3, n_loops=2)
    assert w_trace.shape == (30, 3, 1)  # one noise-free loop
    figure = plt.gcf()
    assert tuple(figure.get_size_inches()) == (12, 4)
    center = [ax for ax in figure.axes if ax.get_title() == "ConstantStepDevice"][0]
    lines = center.get_lines()
    assert len(lines) == 3 and len(lines[0].get_xdata()) == 60
    top = max(np.abs(line.get_ydata()).max() for line in lines)
    assert center.get_ylim() == pytest.approx((-1.2 * top, 1.2 * top))
    assert len(figure.axes) == 3
    _, axes = plt.subplots()
    assert vis.plot_device_compact(device, n_steps=5, n_traces=2, axes=axes) is axes
    assert len(axes.get_lines()) == 2


def test_plot_device_rejects_non_devices():
    with pytest.raises(ArgumentError, match="pulsed device or a unit cell"):
        vis.plot_device(SingleRPUConfig())


def test_plot_device_symmetry():
    figure = vis.plot_device_symmetry(_exact_constant_step(), n_pulses=40, n_traces=2,
                                      w_init=0.1)
    axes = figure.axes[0]
    assert axes.get_ylim() == (-1.0, 1.0)
    assert len(axes.get_lines()) == 2
    values = axes.get_lines()[0].get_ydata()
    assert len(values) == 40
    # alternating pulses of an exact constant-step device: 0.11, 0.10, 0.11, ...
    assert values[::2] == pytest.approx(0.11, abs=1e-5)
    assert values[1::2] == pytest.approx(0.10, abs=1e-5)


def test_missing_matplotlib_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    tile = vis.get_tile_for_plotting(SingleRPUConfig(device=_exact_constant_step()), 1)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        vis.plot_pulse_response(tile, [1, -1])
    # the numbers still work without it
    assert vis.compute_pulse_response(tile, [1, -1]).shape == (2, 1, 1)



def test_web_style_is_dark():
    from aihwkit.utils.visualization_web import (  # pylint: disable=import-outside-toplevel
        BACKGROUND, plot_device_compact_web)
    figure = plot_device_compact_web(_exact_constant_step(), n_steps=5, n_traces=2)
    assert len(figure.axes) == 3
    face = matplotlib.colors.to_hex(figure.axes[1].get_facecolor())
    assert face == BACKGROUND
