"""Hermes and ReRAM noise models (§2.5, §2.6)."""

import math

import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.inference import ReRamCMONoiseModel, ReRamWan2022NoiseModel
from aihwkit.inference.noise.hermes import HermesNoiseModel

from inference_helpers import close, mean_with_se, std_with_se

N = 100_000


def test_hermes_defaults_and_limits():
    two, one = HermesNoiseModel(), HermesNoiseModel(num_devices=1)
    assert (two.g_max, two.t_0, two.prog_coeff_g_max_reference) == (20.7, 300.0, 20.7)
    assert (one.g_max, one.t_0, one.prog_coeff_g_max_reference) == (10.35, 200.0, 10.35)
    with pytest.raises(ArgumentError):
        HermesNoiseModel(num_devices=3)
    with pytest.raises(ArgumentError):
        HermesNoiseModel(g_max=25.0)
    with pytest.raises(ArgumentError):
        HermesNoiseModel(num_devices=1, g_max=12.0)


def test_hermes_statistics():
    model = HermesNoiseModel()
    g_max = 20.7
    # programming noise at rho = 0.5: cubic polynomial, reference = g_max
    c = model.prog_coeff
    sigma = c[0] + c[1] * 0.5 + c[2] * 0.25 + c[3] * 0.125
    g = torch.full((N,), 0.5 * g_max, dtype=torch.float64)
    std, se = std_with_se(model.apply_programming_noise_to_conductance(g) - g)
    assert close(std, sigma, se) and not close(std, 1.1 * sigma, se)
    # drift exponent at rho = 0.5 (polynomial branches)
    mu = -0.0436 * 0.25 - 0.0126 * 0.5 + 0.0736
    sd = -0.0118 * 0.25 + 0.0093 * 0.5 + 0.0073
    nu = model.generate_drift_coefficients(g)
    mean, se_m = mean_with_se(nu)
    assert close(mean, mu, se_m)
    std, se_s = std_with_se(nu)
    assert close(std, sd, se_s)
    # drift exponent at rho = 0.01 (log branches, clipped)
    mu_low, sd_low = model.drift_nu_statistics(torch.tensor([0.01], dtype=torch.float64))
    assert mu_low.item() == pytest.approx(min(max(-0.0387 * math.log(0.01) - 0.0182, 0.072),
                                              0.13))
    assert sd_low.item() == pytest.approx(min(max(-0.0117 * math.log(0.01) - 0.0057, 0.0091),
                                              0.04))
    # read noise at rho = 0.5, t_inference = 1000 s, no drift
    q_s = 0.0069 * 0.125 - 0.0280 * 0.25 + 0.0211 * 0.5 + 0.0123
    t = 1000.0 + 300.0
    expected = q_s * math.sqrt(math.log((t + 512e-9) / (2 * 512e-9)))
    out = model.apply_drift_noise_to_conductance(g, torch.zeros_like(g), 1000.0) / g - 1
    std, se = std_with_se(out)
    assert close(std, expected, se) and not close(std, 1.1 * expected, se)


def test_reram_wan2022():
    model = ReRamWan2022NoiseModel(g_max=40.0)
    g = torch.full((N,), 20.0, dtype=torch.float64)
    # programming uses the coefficients of the smallest time (1 s)
    c = model.coeff_dic[1.0]
    sigma = sum(ck * 0.5 ** k for k, ck in enumerate(c))
    std, se = std_with_se(model.apply_programming_noise_to_conductance(g) - g)
    assert close(std, sigma, se)
    target = model.generate_drift_coefficients(g)
    c = model.coeff_dic[86400.0]
    sigma_day = sum(ck * 0.5 ** k for k, ck in enumerate(c))
    out = model.apply_drift_noise_to_conductance(g + 5.0, target, 86400.0)
    # redrawn around the target, not cumulative
    mean, se_m = mean_with_se(out)
    std, se_s = std_with_se(out)
    assert close(mean, 20.0, se_m) and close(std, sigma_day, se_s)
    with pytest.raises(ArgumentError):
        model.apply_drift_noise_to_conductance(g, target, 3600.0)
    # an explicit reference rescales the coefficients
    scaled = ReRamWan2022NoiseModel(g_max=40.0, coeff_g_max_reference=20.0)
    std, se = std_with_se(scaled.apply_programming_noise_to_conductance(g) - g)
    sigma_prog = sum(ck * 0.5 ** k for k, ck in enumerate(model.coeff_dic[1.0]))
    assert close(std, 2 * sigma_prog, se)


def test_reram_cmo():
    model = ReRamCMONoiseModel()
    assert (model.g_max, model.g_min) == (88.199997, 9.0)
    g = torch.full((N,), 50.0, dtype=torch.float64)
    c0, c1 = 0.00081107, 0.00106879  # acceptance 0.02 is no key: smallest key 0.2
    std, se = std_with_se(model.apply_programming_noise_to_conductance(g) - g)
    assert close(std, c0 + c1 * 50.0, se)
    assert torch.equal(model.apply_drift_noise_to_conductance(g, None, 0.0), g)
    t = 1000.0
    out = model.apply_drift_noise_to_conductance(g, None, t)
    mean, se_m = mean_with_se(out)
    assert close(mean, 50.0 - 0.08900206 * math.log(t), se_m)
    assert out.min() >= 9.0 and out.max() <= 88.199997
    w = torch.rand(4, 5) * 2 - 1
    noisy = model.apply_noise(w, 100.0)
    assert noisy.shape == w.shape and torch.isfinite(noisy).all()
