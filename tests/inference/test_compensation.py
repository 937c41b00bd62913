"""Drift compensation readouts and factors (§2.8, check 10), tile-free."""

import pytest
import torch

from aihwkit.inference import GlobalDriftCompensation, StateIndependentNoiseModel
from aihwkit.inference.compensation.drift import (
    GlobalDriftCompensationWithExactReference, PerColumnDriftCompensation)


@pytest.mark.parametrize("comp_class", [GlobalDriftCompensation, PerColumnDriftCompensation,
                                        GlobalDriftCompensationWithExactReference])
def test_alpha_undoes_fixed_drift(comp_class):
    model = StateIndependentNoiseModel(prog_noise_scale=0.0, read_noise_scale=0.0,
                                       drift_nu_mean=0.05, drift_nu_std=0.0)
    w = torch.rand(5, 7, dtype=torch.float64) * 2 - 1
    comp = comp_class()
    readout = comp.get_readout_tensor(7, dtype=torch.float64)
    assert torch.equal(readout, torch.eye(7, dtype=torch.float64))
    programmed, nus = model.apply_programming_noise(w)
    baseline = comp.init_baseline(readout @ programmed.t())
    drifted = model.apply_drift_noise(programmed, nus, 3600.0)
    alpha = comp.apply(readout @ drifted.t(), baseline)
    assert torch.allclose(alpha, torch.full_like(alpha, 181 ** 0.05))
    assert 181 ** 0.05 == pytest.approx(1.296833, abs=1e-6)
    expected_shape = (5,) if comp_class is PerColumnDriftCompensation else ()
    assert alpha.shape == expected_shape


def test_readout_floor_and_str():
    comp = GlobalDriftCompensation()
    assert comp.readout(torch.zeros(3, 4)).item() == pytest.approx(1e-4)
    assert str(comp) == "GlobalDriftCompensation()"
    assert comp == GlobalDriftCompensation()
    assert comp != PerColumnDriftCompensation()
