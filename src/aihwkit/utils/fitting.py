"""Fit device-model parameters to measured pulse responses (needs lmfit).

lmfit is imported on first use; without it :func:`fit_measurements` raises an
``ImportError`` that says how to install it.
"""

from copy import deepcopy
from dataclasses import fields, is_dataclass
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch

from aihwkit.exceptions import ArgumentError, ConfigError
from aihwkit.simulator.configs.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import PulsedDevice
from aihwkit.simulator.tiles.analog import AnalogTile


def _lmfit() -> Any:
    try:
        import lmfit  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise ImportError("aihwkit.utils.fitting needs lmfit: install it with "
                          "'pip install lmfit' (or 'pip install aihwkit-torch[fitting]')"
                          ) from exc
    return lmfit


def _device_of(config: Any) -> Any:
    return config if isinstance(config, PulsedDevice) else config.device


def _rpu_config_for(device_config: Any, max_pulses: int) -> Any:
    """RPU config simulating ``device_config`` with at most ``max_pulses`` pulses per
    update and no update or bit-length management."""
    if isinstance(device_config, PulsedDevice):
        config = SingleRPUConfig(device=deepcopy(device_config))
    elif hasattr(device_config, "device") and hasattr(device_config, "update"):
        config = deepcopy(device_config)
    else:
        raise ArgumentError("device_config must be a pulsed device or a pulsed RPU "
                            f"configuration, got {type(device_config).__name__}")
    config.update.desired_bl = max_pulses
    config.update.update_bl_management = False
    config.update.update_management = False
    return config


def _suppress_noise(device: Any) -> None:
    """Zero every field of ``device`` whose name ends in ``dtod`` or ``std``."""
    if not is_dataclass(device):
        return
    for field in fields(device):
        value = getattr(device, field.name)
        if (field.name.endswith("dtod") or field.name.endswith("std")) \
                and isinstance(value, (int, float)) and not isinstance(value, bool):
            setattr(device, field.name, 0.0)


def _parameters(parameters: Any, device: Any) -> Any:
    """lmfit ``Parameters`` from a dict of fixed values and ``(init, min, max)`` tuples."""
    lmfit = _lmfit()
    if isinstance(parameters, lmfit.Parameters):
        params = parameters
    elif isinstance(parameters, dict):
        params = lmfit.Parameters()
        for name, value in parameters.items():
            if isinstance(value, (tuple, list)):
                if len(value) != 3:
                    raise ArgumentError(f"parameter '{name}': a varied parameter is "
                                        f"(init, min, max), got {value!r}")
                init, low, high = (float(v) for v in value)
                if not low <= init <= high:
                    raise ArgumentError(f"parameter '{name}': need min <= init <= max, "
                                        f"got {value!r}")
                params.add(name, value=init, min=low, max=high, vary=True)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                params.add(name, value=float(value), vary=False)
            else:
                raise ArgumentError(f"parameter '{name}' must be a number (fixed) or an "
                                    f"(init, min, max) tuple (varied), got {value!r}")
    else:
        raise ArgumentError("parameters must be a dict or lmfit.Parameters, got "
                            f"{type(parameters).__name__}")
    for name in params:
        if not hasattr(device, name):
            raise ConfigError(f"{type(device).__name__} has no field '{name}'")
    return params


def _as_columns(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] < 2:
        raise ArgumentError(f"{name} must be [n_points] or [n_points, n_devices] with "
                            f"n_points >= 2, got shape {array.shape}")
    return array


@torch.no_grad()
def model_response(params: Any, pulse_data: np.ndarray, response_data: np.ndarray,
                   rpu_config: Any, n_traces: int = 1) -> np.ndarray:
    """Simulated response of the device with parameter values ``params``.

    An ``AnalogTile(n_traces, n_devices)`` at learning rate 1 starts at the first measured
    weights; for each pulse entry but the last it receives one update with ``x =
    pulse_data[i]`` and ``d = -1`` (positive entries move up, negative down) and its
    weights are recorded.

    Returns:
        ``[n_points, n_devices]`` weights averaged over the traces.
    """
    config = deepcopy(rpu_config)
    device = _device_of(config)
    for name, param in params.items():
        setattr(device, name, float(param.value))
    n_points, n_devices = pulse_data.shape
    tile = AnalogTile(n_traces, n_devices, config)
    tile.set_learning_rate(1.0)
    tile.set_weights(torch.tensor(np.repeat(response_data[:1], n_traces, axis=0),
                                  dtype=torch.float32))
    out = np.zeros((n_points, n_devices))
    out[0] = tile.get_weights()[0].numpy().mean(axis=0)
    d_vec = -torch.ones(1, n_traces)
    for i in range(n_points - 1):
        tile.update(torch.tensor(pulse_data[i:i + 1], dtype=torch.float32), d_vec)
        out[i + 1] = tile.get_weights()[0].numpy().mean(axis=0)
    return out


def fit_measurements(parameters: Union[Dict[str, Any], Any], pulse_data: Any,
                     response_data: Any, device_config: Any,
                     suppress_device_noise: bool = True, max_pulses: int = 1,
                     n_traces: int = 1, fit_weights: Optional[Any] = None,
                     method: str = "powell", verbose: bool = False,
                     **fit_kwargs: Any) -> Tuple[Any, Any, np.ndarray]:
    """Fit device parameters so that the simulated pulse response matches measurements.

    Args:
        parameters: device field name -> fixed value or ``(init, min, max)`` (varied), or
            an ``lmfit.Parameters``.
        pulse_data: ``[n_points]`` or ``[n_points, n_devices]`` pulses applied before each
            measurement (sign = direction).
        response_data: measured weights, same shape as ``pulse_data``.
        device_config: a pulsed device (simulated in a ``SingleRPUConfig``) or a pulsed RPU
            configuration.
        suppress_device_noise: zero every device field ending in ``dtod`` or ``std``.
        max_pulses: most pulses per update (``desired_bl``).
        n_traces: simulated devices averaged per measured device.
        fit_weights: optional weights of the residual (shape of ``response_data``).
        method: lmfit minimization method.
        verbose: print each residual evaluation's sum of squares.
        fit_kwargs: passed to ``lmfit.minimize``.

    Returns:
        ``(lmfit result, fitted device config, model response at the fit)``.

    Raises:
        ImportError: lmfit is not installed.
        ArgumentError: inconsistent parameter tuples or data shapes.
        ConfigError: a parameter name is not a field of the device.
    """
    lmfit = _lmfit()
    if isinstance(max_pulses, bool) or not isinstance(max_pulses, int) or max_pulses < 1:
        raise ArgumentError(f"max_pulses must be an integer >= 1, got {max_pulses!r}")
    if isinstance(n_traces, bool) or not isinstance(n_traces, int) or n_traces < 1:
        raise ArgumentError(f"n_traces must be an integer >= 1, got {n_traces!r}")
    pulses = _as_columns("pulse_data", pulse_data)
    response = _as_columns("response_data", response_data)
    if pulses.shape != response.shape:
        raise ArgumentError(f"pulse_data {pulses.shape} and response_data "
                            f"{response.shape} differ in shape")
    weights = None if fit_weights is None else _as_columns("fit_weights", fit_weights)
    if weights is not None and weights.shape != response.shape:
        raise ArgumentError(f"fit_weights {weights.shape} must have the shape of "
                            f"response_data {response.shape}")
    rpu_config = _rpu_config_for(device_config, max_pulses)
    if suppress_device_noise:
        _suppress_noise(_device_of(rpu_config))
    params = _parameters(parameters, _device_of(rpu_config))

    def residual(trial: Any) -> np.ndarray:
        diff = model_response(trial, pulses, response, rpu_config, n_traces) - response
        if weights is not None:
            diff = diff * weights
        if verbose:
            print(f"fit: sum of squares {float((diff ** 2).sum()):.6g}")
        return diff.reshape(-1)

    result = lmfit.minimize(residual, params, method=method, **fit_kwargs)
    fitted = deepcopy(device_config)
    target = _device_of(fitted)
    for name, param in result.params.items():
        setattr(target, name, float(param.value))
    response_fit = model_response(result.params, pulses, response, rpu_config, n_traces)
    return result, fitted, response_fit

