"""Every script in ``examples/`` runs to completion and prints what it promises.

A few fast examples run by default; the others are marked ``slow`` (``-m slow``). An
example whose module is not part of this install is skipped with the module's name.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
FAST = {"01_simple_layer.py", "05_simple_layer_hardware_aware.py",
        "23_using_analog_tile_as_matrix.py", "31_custom_drift_models.py"}

# modules beyond the core that an example imports
NEEDS = {
    "04_lenet5_training.py": ["aihwkit.nn.modules.conv"],
    "06_lenet5_hardware_aware.py": ["aihwkit.nn.modules.conv"],
    "10_plot_presets.py": ["matplotlib"],
    "11_vgg_weight_scaling.py": ["aihwkit.nn.modules.conv"],
    "15_simple_rnn.py": ["aihwkit.nn.modules.rnn"],
    "17_cnn_conversion_to_analog.py": ["aihwkit.nn.conversion"],
    "18_cnn_training_after_conversion.py": ["aihwkit.nn.conversion"],
    "19_analog_summary_lenet.py": ["aihwkit.nn.conversion", "aihwkit.utils.analog_info"],
    "21_fit_device_data.py": ["lmfit", "matplotlib"],
    "22_char_lstm.py": ["aihwkit.nn.modules.rnn"],
    "30_external_hardware_aware_model.py": ["aihwkit.nn.conversion"],
}

NUMBER = r"([0-9.]+(?:e[-+]?\d+)?)"
# what each example must print (a regex; group 1, if any, is checked by CHECKS)
EXPECT = {
    "01_simple_layer.py": rf"Epoch  99: loss {NUMBER}",
    "02_multiple_layer.py": r"Epoch  99: loss",
    "03_mlp_training.py": rf"Epoch 7: .*test accuracy {NUMBER}",
    "04_lenet5_training.py": rf"epoch 3: .*test accuracy {NUMBER}",
    "05_simple_layer_hardware_aware.py": rf"t =   100000 s: .*loss {NUMBER}",
    "06_lenet5_hardware_aware.py": rf"accuracy   10000000 s after programming: {NUMBER}",
    "07_simple_layer_with_other_devices.py": r"hidden parameters of the unit cell",
    "08_simple_layer_with_tiki_taka.py": rf"Epoch  99: loss {NUMBER}",
    "09_simple_layer_deterministic_pulses.py": rf"Epoch  99: loss {NUMBER}",
    "10_plot_presets.py": r"wrote results/10_PCMPresetUnitCell.png",
    "11_vgg_weight_scaling.py": rf"epoch 2: test accuracy {NUMBER}",
    "12_simple_layer_with_mixed_precision.py": rf"Epoch  99: loss {NUMBER}",
    "13_experiment_3fc.py": rf"final accuracy {NUMBER}",
    "14_experiment_custom_scheduler.py": rf"epoch 4: .*accuracy {NUMBER}",
    "15_simple_rnn.py": rf"test loss   31500000 s after programming: {NUMBER}",
    "17_cnn_conversion_to_analog.py": r"6 analog layers",
    "18_cnn_training_after_conversion.py": rf"epoch 2: test accuracy {NUMBER}",
    "19_analog_summary_lenet.py": r"Tiles: ",
    "21_fit_device_data.py": rf"dw_min   true \+0.0400  fitted \+{NUMBER}",
    "22_char_lstm.py": rf"step 159: loss {NUMBER}",
    "23_using_analog_tile_as_matrix.py": r"first row change after 10 x ger",
    "25_torch_tile_hardware_aware.py": rf"accuracy   31500000 s after programming: {NUMBER}",
    "26_correlation_detection.py": r"dynamic transfer .*correlated",
    "27_input_range_calibration.py": rf"analog, calibrated: {NUMBER}",
    "29_linalg_krylov.py": rf"analog inverse preconditioner +\d+ iterations, relative residual "
                           rf"{NUMBER}",
    "30_external_hardware_aware_model.py": rf"analog accuracy   31500000 s after programming: "
                                           rf"{NUMBER}",
    "31_custom_drift_models.py": r"t =   86400 s: weight",
    "32_weight_programming_options.py": r"custom pair .* after one day",
    "35_half_precision_training.py": rf"epoch 4: .*test accuracy {NUMBER}, output dtype "
                                     r"torch.float16",
}

# bounds on the number captured by EXPECT
CHECKS = {
    "01_simple_layer.py": lambda v: v < 0.05,
    "03_mlp_training.py": lambda v: v > 0.8,
    # IdealizedPreset on 500 glyphs in 4 epochs is erratic: over 8 seeds the epoch-3 test
    # accuracy ranges 0.11-0.57 (mean 0.35) with the compiled kernels and with the torch
    # kernels alike; the check asks for better than chance (0.1)
    "04_lenet5_training.py": lambda v: v > 0.15,
    "05_simple_layer_hardware_aware.py": lambda v: v < 0.1,
    "06_lenet5_hardware_aware.py": lambda v: v > 0.4,
    "08_simple_layer_with_tiki_taka.py": lambda v: v < 0.1,
    "09_simple_layer_deterministic_pulses.py": lambda v: v < 0.1,
    "11_vgg_weight_scaling.py": lambda v: v > 0.4,
    "12_simple_layer_with_mixed_precision.py": lambda v: v < 0.1,
    "13_experiment_3fc.py": lambda v: v > 0.5,
    "14_experiment_custom_scheduler.py": lambda v: v > 0.8,
    "15_simple_rnn.py": lambda v: v < 0.3,
    "18_cnn_training_after_conversion.py": lambda v: v > 0.2,
    "21_fit_device_data.py": lambda v: abs(v - 0.04) < 0.004,
    "22_char_lstm.py": lambda v: v < 2.0,
    "25_torch_tile_hardware_aware.py": lambda v: v > 0.8,
    "27_input_range_calibration.py": lambda v: v > 0.9,
    "29_linalg_krylov.py": lambda v: v < 1e-6,
    "30_external_hardware_aware_model.py": lambda v: v > 0.8,
    "35_half_precision_training.py": lambda v: v > 0.8,
}


def _scripts():
    return sorted(path.name for path in EXAMPLES.glob("[0-9][0-9]_*.py"))


def _params():
    for name in _scripts():
        marks = [] if name in FAST else [pytest.mark.slow]
        yield pytest.param(name, marks=marks, id=name[:2])


def test_every_example_is_listed_and_checked():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in _scripts():
        assert f"`{name}`" in readme, name
        assert name in EXPECT, name


@pytest.mark.parametrize("name", list(_params()))
def test_example_runs(name, tmp_path):
    for module in NEEDS.get(name, []):
        pytest.importorskip(module)
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    match = re.search(EXPECT[name], proc.stdout)
    assert match, proc.stdout[-3000:]
    if name in CHECKS:
        assert CHECKS[name](float(match.group(1))), match.group(0)
