"""The command-line demo end to end, its options and its figures."""

import os
import re
import subprocess
import sys

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402  pylint: disable=wrong-import-position
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position

from aihwkit import demo  # noqa: E402  pylint: disable=wrong-import-position
from aihwkit.__main__ import run as cli_run  # noqa: E402  pylint: disable=wrong-import-position
from aihwkit.simulator.configs import (  # noqa: E402  pylint: disable=wrong-import-position
    FloatingPointRPUConfig, InferenceRPUConfig)
from aihwkit.simulator.presets import TikiTakaEcRamPreset  # noqa: E402
from aihwkit.utils.demo_plots import (  # noqa: E402  pylint: disable=wrong-import-position
    ACCURACY_YLABEL, EPOCH_XLABEL, LOSS_YLABEL, plot_config_response, plot_learning_curves)

ENV = dict(os.environ, MPLBACKEND="Agg")
ACC = r"([01]\.\d{3})"


def _run_cli(*args, cwd=None, timeout=150):
    return subprocess.run([sys.executable, "-m", "aihwkit", *args], capture_output=True,
                          text=True, env=ENV, cwd=cwd, timeout=timeout, check=False)


def test_demo_end_to_end_default_preset(tmp_path):
    out = tmp_path / "plots"
    proc = _run_cli("demo", "--epochs", "2", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = re.search(rf"test accuracy TikiTakaEcRamPreset: {ACC}\s+floating-point "
                      rf"baseline: {ACC}", proc.stdout)
    assert match, proc.stdout
    analog, baseline = float(match.group(1)), float(match.group(2))
    # 10 classes: chance is 0.1; two epochs on the embedded glyphs learn far beyond it
    assert analog > 0.5 and baseline > 0.8
    # the progress bar goes to stderr and shows the running loss
    assert "loss=" in proc.stderr and "epoch 2/2" in proc.stderr
    assert "Traceback" not in proc.stderr
    curves = mpimg.imread(out / "learning_curves.png")
    response = mpimg.imread(out / "device_response.png")
    # figure size in inches x 80 dpi
    assert curves.shape[:2] == (320, 800)
    assert response.shape[:2] == (320, 880)
    assert curves.std() > 0.01 and response.std() > 0.01  # not blank


def test_inference_config_prints_drift_accuracies(tmp_path):
    lines = []
    result = demo.run("InferenceRPUConfig", epochs=1, out=str(tmp_path), log=lines.append)
    text = "\n".join(lines)
    for label in ("programming", "1 hour", "1 day", "1 year"):
        assert re.search(rf"after {label}: {ACC}", text), text
    assert [label for label, _ in result["drift"]] == ["programming", "1 hour", "1 day",
                                                       "1 year"]
    assert all(0.0 <= acc <= 1.0 for _, acc in result["drift"])
    assert sorted(os.listdir(tmp_path)) == ["device_response.png", "learning_curves.png"]


def test_floating_point_config_by_name_case_insensitive():
    result = demo.run("floatingpointrpuconfig", epochs=1, out=None, log=lambda _: None)
    assert result["drift"] is None
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert len(result["histories"]["FloatingPointRPUConfig"]["loss"]) == 1


@pytest.mark.parametrize("argv, message", [
    (["--rpu-config", "NoSuchPreset"], "unknown --rpu-config 'NoSuchPreset'"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--epochs", "two"], "invalid int value"),
    (["--device", "tpu"], "invalid choice"),
    (["--batch-size", "0"], "--batch-size must be >= 1"),
])
def test_bad_options_exit_nonzero_with_one_line(argv, message, capsys):
    assert demo.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_cuda_without_gpu_is_one_line(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is available")
    assert demo.main(["--device", "cuda", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no CUDA device" in err


def test_unknown_preset_from_shell_has_no_traceback(tmp_path):
    proc = _run_cli("demo", "--rpu-config", "Bogus", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert not (tmp_path / "demo_out").exists()


def test_help_explains_every_command_and_option(capsys):
    assert cli_run(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("demo", "--rpu-config", "--list", "--epochs", "--device", "--seed",
                 "--out", "--lr", "--batch-size"):
        assert word in text


def test_missing_or_unknown_command(capsys):
    assert cli_run([]) == 2
    assert cli_run(["train"]) == 2
    err = capsys.readouterr().err
    assert "missing command" in err and "unknown command 'train'" in err


def test_list_names_presets_and_configs(capsys):
    assert demo.main(["--list"]) == 0
    names = {line.split()[0]: line.split(None, 1)[1]
             for line in capsys.readouterr().out.splitlines()}
    assert names["TikiTakaEcRamPreset"] == "pulsed"
    assert names["InferenceRPUConfig"] == "inference"
    assert names["FloatingPointRPUConfig"] == "floating point"
    assert "UnitCellRPUConfig" not in names  # no default device: not usable by name
    assert len(names) > 40


def test_learning_curves_figure():
    histories = {"a": {"loss": [2.0, 1.0, 0.5], "accuracy": [0.3, 0.6, 0.9]},
                 "b": {"loss": [1.5, 0.7, 0.2], "accuracy": [0.5, 0.8, 0.95]}}
    figure = plot_learning_curves(histories)
    loss_ax, acc_ax = figure.axes
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == (EPOCH_XLABEL, LOSS_YLABEL)
    assert (acc_ax.get_xlabel(), acc_ax.get_ylabel()) == (EPOCH_XLABEL, ACCURACY_YLABEL)
    assert len(loss_ax.get_lines()) == 2 and len(acc_ax.get_lines()) == 2
    assert list(loss_ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert list(acc_ax.get_lines()[1].get_ydata()) == [0.5, 0.8, 0.95]
    plt.close(figure)


@pytest.mark.parametrize("config, xlabel, n_lines", [
    (TikiTakaEcRamPreset(), "Pulse number", 3),
    (FloatingPointRPUConfig(), "Pulse number", 3),
    (InferenceRPUConfig(), "Time after programming [sec]", 5),
])
def test_config_response_figure(config, xlabel, n_lines):
    figure = plot_config_response(config, n_steps=20, n_traces=3, n_loops=1)
    main_ax = figure.axes[0]
    assert main_ax.get_xlabel() == xlabel
    assert len(main_ax.get_lines()) == n_lines
    if xlabel == "Pulse number":
        assert len(main_ax.get_lines()[0].get_xdata()) == 40  # 20 up + 20 down pulses
        assert len(figure.axes) == 2 and len(figure.axes[1].get_lines()) == 2
    else:
        assert main_ax.get_xscale() == "log"
    plt.close(figure)


def test_floating_point_response_is_exact():
    figure = plot_config_response(FloatingPointRPUConfig(), n_steps=10, n_traces=2, n_loops=1)
    trace = figure.axes[0].get_lines()[0].get_ydata()
    # start -0.5, steps of 1/10 up then down
    expected = [-0.5 + 0.1 * k for k in range(1, 11)] + [0.5 - 0.1 * k for k in range(1, 11)]
    assert trace == pytest.approx(expected, abs=1e-6)
    plt.close(figure)


def test_without_tqdm_the_demo_logs_each_epoch(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    lines = []
    demo.run("FloatingPointRPUConfig", epochs=2, out=None, log=lines.append)
    epochs = [line for line in lines if re.match(r"FloatingPointRPUConfig epoch \d/2  loss",
                                                 line)]
    assert len(epochs) == 2
