"""Fitting device parameters to pulse-response measurements."""

import sys

import numpy as np
import pytest

from aihwkit.exceptions import ArgumentError, ConfigError
from aihwkit.simulator.configs import SoftBoundsDevice
from aihwkit.utils import fitting

pytest.importorskip("lmfit")

EXACT = dict(dw_min_dtod=0.0, dw_min_std=0.0, w_max_dtod=0.0, w_min_dtod=0.0,
             up_down_dtod=0.0, w_max=0.6, w_min=-0.6)


def _measurement(dw_min):
    """Response of a noise-free soft-bounds device to 15 up then 15 down pulses."""
    pulses = np.array([1.0] * 15 + [-1.0] * 15)
    config = fitting._rpu_config_for(SoftBoundsDevice(dw_min=dw_min, **EXACT), 1)
    params = fitting._parameters({"dw_min": dw_min}, config.device)
    start = np.full((30, 1), -0.5)
    return pulses, fitting.model_response(params, pulses[:, None], start, config)[:, 0]


def test_model_response_follows_soft_bounds():
    _, response = _measurement(0.05)
    # soft bounds: w <- w + dw_min (1 - w / w_max) per up pulse
    expected = -0.5 + 0.05 * (1 + 0.5 / 0.6)
    assert response[0] == pytest.approx(-0.5, abs=1e-6)
    assert response[1] == pytest.approx(expected, abs=1e-5)
    assert response[16] < response[15]  # pulse entry 15 (the first down) comes after point 15


def test_fit_recovers_dw_min():
    pulses, response = _measurement(0.05)
    result, fitted, fit = fitting.fit_measurements(
        {"dw_min": (0.02, 0.001, 0.2), "w_max": 0.6, "w_min": -0.6}, pulses, response,
        SoftBoundsDevice(w_max=0.6, w_min=-0.6))
    assert fitted.dw_min == pytest.approx(0.05, rel=1e-3)
    assert fitted.w_max == 0.6 and isinstance(fitted, SoftBoundsDevice)
    assert np.abs(fit[:, 0] - response).max() < 1e-4
    assert result.params["dw_min"].vary and not result.params["w_max"].vary


def test_bad_parameters():
    pulses, response = _measurement(0.05)
    with pytest.raises(ConfigError, match="no field 'dw_max'"):
        fitting.fit_measurements({"dw_max": 0.1}, pulses, response, SoftBoundsDevice())
    with pytest.raises(ArgumentError, match="init, min, max"):
        fitting.fit_measurements({"dw_min": (0.1, 0.2)}, pulses, response,
                                 SoftBoundsDevice())
    with pytest.raises(ArgumentError, match="min <= init <= max"):
        fitting.fit_measurements({"dw_min": (0.5, 0.0, 0.1)}, pulses, response,
                                 SoftBoundsDevice())
    with pytest.raises(ArgumentError, match="differ in shape"):
        fitting.fit_measurements({"dw_min": 0.1}, pulses, response[:-1],
                                 SoftBoundsDevice())


def test_missing_lmfit_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "lmfit", None)
    with pytest.raises(ImportError, match="pip install lmfit"):
        fitting.fit_measurements({"dw_min": 0.1}, [1, 1], [0, 0], SoftBoundsDevice())
