"""PCM-like noise models against the closed forms of the spec (§2.2–2.4, checks 1–6)."""

import math

import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.inference import (
    CustomDriftPCMLikeNoiseModel, PCMLikeNoiseModel, SinglePairConductanceConverter,
    StateIndependentNoiseModel)
from aihwkit.inference.noise.pcm import PCM_PROG_COEFF

from inference_helpers import close, folded_normal_mean, mean_with_se, std_with_se

N = 100_000
HOUR, DAY, YEAR = 3600.0, 86400.0, 365 * 86400.0


def _gen(seed: int = 7) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _prog_sigma(g_t: float, g_max: float = 25.0) -> float:
    """sigma_prog in µS from the default polynomial (reference 25 µS)."""
    c0, c1, c2 = PCM_PROG_COEFF
    rho = g_t / g_max
    return (c0 + c1 * rho + c2 * rho * rho) * g_max / 25.0


def _weights_at(value: float) -> torch.Tensor:
    """N weights equal to ``value`` plus one entry at 1.0 fixing amax = 1."""
    w = torch.full((N + 1,), value, dtype=torch.float64)
    w[-1] = 1.0
    return w.reshape(1, -1)


@pytest.mark.parametrize("w_value,sigma_table", [
    (0.0, 0.26348), (0.25, 0.68141), (0.5, 0.95271), (1.0, 1.05538)])
def test_programming_noise_std_of_weights(w_value, sigma_table):
    # the polynomial reproduces the spec's table of sigma_prog(g_T)
    assert _prog_sigma(25.0 * w_value) == pytest.approx(sigma_table, abs=1e-5)
    model = PCMLikeNoiseModel()
    weights = _weights_at(w_value)
    programmed, _ = model.apply_programming_noise(weights, generator=_gen())
    err = (programmed - weights)[0, :-1]
    # on device: N(0, s_T) (the clamp at 0 is > 3 sigma away except at w = 0, where both
    # devices are half-normal); off device: max(s_0 xi, 0) with variance s_0^2 (1/2 - 1/2pi)
    s0 = _prog_sigma(0.0)
    half_var = s0 * s0 * (0.5 - 0.5 / math.pi)
    if w_value == 0.0:
        expected_std, expected_mean = math.sqrt(2 * half_var) / 25.0, 0.0
    else:
        s_t = _prog_sigma(25.0 * w_value)
        expected_std = math.sqrt(s_t * s_t + half_var) / 25.0
        expected_mean = -s0 / math.sqrt(2 * math.pi) / 25.0
    std, se_std = std_with_se(err)
    mean, se_mean = mean_with_se(err)
    assert close(std, expected_std, se_std)
    assert close(mean, expected_mean, se_mean)
    # power: a model mis-set by 10 % in the noise amplitude is caught
    assert not close(std, expected_std * 1.1, se_std)


def test_programming_noise_g_max_reference():
    assert PCMLikeNoiseModel(g_max=40).prog_coeff_g_max_reference == 25.0
    assert PCMLikeNoiseModel(prog_coeff=[0.1, 0.0, 0.0], g_max=40) \
        .prog_coeff_g_max_reference == 40.0
    # given explicitly, the reference is simply stored and used
    model = PCMLikeNoiseModel(prog_coeff=[0.5], g_max=40, prog_coeff_g_max_reference=20.0)
    assert model.prog_coeff_g_max_reference == 20.0
    g = torch.full((N,), 20.0, dtype=torch.float64)
    std, se = std_with_se(model.apply_programming_noise_to_conductance(g) - g)
    assert close(std, 0.5 * 40 / 20, se)
    # relative programming noise is independent of g_max with the default coefficients
    g25 = torch.full((N,), 12.5, dtype=torch.float64)
    g40 = torch.full((N,), 20.0, dtype=torch.float64)
    torch.manual_seed(3)
    rel25 = (PCMLikeNoiseModel().apply_programming_noise_to_conductance(g25) - g25) / 25
    torch.manual_seed(3)
    rel40 = (PCMLikeNoiseModel(g_max=40).apply_programming_noise_to_conductance(g40) - g40) / 40
    assert torch.allclose(rel25, rel40)


def test_drift_exponent_statistics():
    model = PCMLikeNoiseModel()
    # g_T / g_max = 0.5: mu = 0.049, sigma = 0.008 (both at their clip); folding negligible
    nu = model.generate_drift_coefficients(torch.full((N,), 12.5, dtype=torch.float64))
    mean, se_mean = mean_with_se(nu)
    std, se_std = std_with_se(nu)
    assert close(mean, 0.049, se_mean) and close(std, 0.008, se_std)
    assert not close(std, 0.0088, se_std)
    # g_T / g_max = 0.1: mu = 0.06009, sigma = 0.02288 before the absolute value
    mu = -0.0155 * math.log(0.1) + 0.0244
    sig = -0.0125 * math.log(0.1) - 0.0059
    assert (mu, sig) == (pytest.approx(0.06009, abs=1e-5), pytest.approx(0.02288, abs=1e-5))
    nu = model.generate_drift_coefficients(torch.full((N,), 2.5, dtype=torch.float64))
    mean, se_mean = mean_with_se(nu)
    assert close(mean, folded_normal_mean(mu, sig), se_mean)
    assert not close(mean, folded_normal_mean(mu * 1.1, sig), se_mean)
    # g_T = 0: |0.1 + 0.045 xi|
    nu = model.generate_drift_coefficients(torch.zeros(N, dtype=torch.float64))
    mean, se_mean = mean_with_se(nu)
    assert close(mean, folded_normal_mean(0.1, 0.045), se_mean)
    # drift_scale multiplies the exponent
    torch.manual_seed(5)
    nu1 = model.generate_drift_coefficients(torch.full((10,), 5.0))
    torch.manual_seed(5)
    nu2 = PCMLikeNoiseModel(drift_scale=2.0).generate_drift_coefficients(torch.full((10,), 5.0))
    assert torch.allclose(nu2, 2 * nu1)


@pytest.mark.parametrize("t_inf,factor", [(HOUR, 0.771110), (DAY, 0.657992),
                                          (YEAR, ((YEAR + 20) / 20) ** -0.05)])
def test_fixed_exponent_drift_factor_is_exact(t_inf, factor):
    model = StateIndependentNoiseModel(prog_noise_scale=0.0, read_noise_scale=0.0,
                                       drift_nu_mean=0.05, drift_nu_std=0.0)
    w = torch.rand(5, 6, dtype=torch.float64) * 2 - 1
    programmed, nus = model.apply_programming_noise(w)
    assert torch.allclose(programmed, w)
    drifted = model.apply_drift_noise(programmed, nus, t_inf)
    assert torch.allclose(drifted, w * ((t_inf + 20) / 20) ** -0.05, rtol=1e-12)
    assert ((t_inf + 20) / 20) ** -0.05 == pytest.approx(factor, abs=1e-6)


@pytest.mark.parametrize("t_inf", [HOUR, DAY, YEAR])
def test_mean_drift_factor_with_pcm_exponents(t_inf):
    # g_T / g_max = 0.5: nu ~ N(0.049, 0.008) so E[(t/t0)^-nu] = exp(-mu L + s^2 L^2 / 2)
    model = PCMLikeNoiseModel(read_noise_scale=0.0)
    g = torch.full((N,), 12.5, dtype=torch.float64)
    nu = model.generate_drift_coefficients(g)
    factor = model.apply_drift_noise_to_conductance(g, nu, t_inf) / g
    log_t = math.log((t_inf + 20.0) / 20.0)
    expected = math.exp(-0.049 * log_t + 0.5 * (0.008 * log_t) ** 2)
    if t_inf == HOUR:
        assert expected == pytest.approx(0.7758, abs=1e-4)
    mean, se = mean_with_se(factor)
    assert close(mean, expected, se)
    power = math.exp(-0.049 * 1.1 * log_t + 0.5 * (0.008 * log_t) ** 2)
    assert not close(mean, power, se)


@pytest.mark.parametrize("t_inf,rel_std", [(HOUR, 0.06579), (0.0, 0.05777)])
def test_read_noise_std(t_inf, rel_std):
    model = PCMLikeNoiseModel(prog_noise_scale=0.0, drift_scale=0.0)
    q_s = 0.0088 / 0.5 ** 0.65
    t = t_inf + 20.0
    expected = q_s * math.sqrt(math.log((t + 250e-9) / 500e-9))
    assert expected == pytest.approx(rel_std, abs=1e-5)
    g = torch.full((N,), 12.5, dtype=torch.float64)
    out = model.apply_drift_noise_to_conductance(g, torch.zeros_like(g), t_inf) / g - 1.0
    std, se = std_with_se(out)
    assert close(std, expected, se) and not close(std, expected * 1.1, se)
    # read noise is redrawn on every call (fresh), drift exponents stay
    out2 = model.apply_drift_noise_to_conductance(g, torch.zeros_like(g), t_inf) / g - 1.0
    assert not torch.equal(out, out2)


def test_state_independent_noise_closed_forms():
    model = StateIndependentNoiseModel(drift_scale=0.0)
    g = torch.full((N,), 10.0, dtype=torch.float64)
    prog = model.apply_programming_noise_to_conductance(g) - g
    std, se = std_with_se(prog)
    assert close(std, 0.2, se)
    nu = model.generate_drift_coefficients(g)
    assert torch.all(nu == 0)
    out = model.apply_drift_noise_to_conductance(g, nu, HOUR) - g
    # read noise std in µS: |g / G| * sqrt(ln((t + t_read) / (2 t_read)))
    expected = 10.0 / 25.0 * math.sqrt(math.log((3620 + 250e-9) / 500e-9))
    std, se = std_with_se(out)
    assert close(std, expected, se)


def test_custom_drift_model_interpolates():
    table = {"g_lst": [0.0, 10.0, 25.0], "nu_mean_lst": [0.1, 0.05, 0.02],
             "nu_std_lst": [0.0, 0.0, 0.0]}
    model = CustomDriftPCMLikeNoiseModel(table)
    nu = model.generate_drift_coefficients(torch.tensor([0.0, 5.0, 10.0, 17.5, 25.0, 30.0]))
    assert torch.allclose(nu, torch.tensor([0.1, 0.075, 0.05, 0.035, 0.02, 0.02]))
    with pytest.raises(ArgumentError):
        CustomDriftPCMLikeNoiseModel({"g_lst": [1.0, 25.0], "nu_mean_lst": [0.1, 0.1],
                                      "nu_std_lst": [0.0, 0.0]})  # converter g_min = 0 < 1
    with pytest.raises(ArgumentError):
        CustomDriftPCMLikeNoiseModel({"g_lst": [0.0, 25.0], "nu_mean_lst": [0.1]})


def test_generator_reproducible_and_global_rng_untouched():
    model = PCMLikeNoiseModel()
    w = torch.rand(8, 9) * 2 - 1
    state = torch.get_rng_state()
    p1, nu1 = model.apply_programming_noise(w, generator=_gen(11))
    d1 = model.apply_drift_noise(p1, nu1, DAY, generator=_gen(12))
    assert torch.equal(torch.get_rng_state(), state)
    p2, nu2 = model.apply_programming_noise(w, generator=_gen(11))
    d2 = model.apply_drift_noise(p2, nu2, DAY, generator=_gen(12))
    assert torch.equal(p1, p2) and torch.equal(d1, d2)
    assert "_generator" not in vars(model)
    # without a generator torch's global RNG is used (and advanced)
    torch.manual_seed(4)
    p3, _ = model.apply_programming_noise(w)
    torch.manual_seed(4)
    p4, _ = model.apply_programming_noise(w)
    assert torch.equal(p3, p4) and not torch.equal(p3, p1)


def test_apply_noise_works_at_zero_time():
    out = PCMLikeNoiseModel().apply_noise(torch.rand(3, 4), 0.0)
    assert out.shape == (3, 4) and torch.isfinite(out).all()


@pytest.mark.parametrize("build", [
    lambda: PCMLikeNoiseModel(g_max=0.0),
    lambda: PCMLikeNoiseModel(g_max=-3.0),
    lambda: PCMLikeNoiseModel(t_0=0.0),
    lambda: PCMLikeNoiseModel(prog_noise_scale=-1.0),
    lambda: PCMLikeNoiseModel(prog_coeff=[]),
    lambda: PCMLikeNoiseModel(g_converter="single pair"),
    lambda: StateIndependentNoiseModel(drift_nu_std=-0.1),
])
def test_bad_construction_raises(build):
    with pytest.raises(ArgumentError):
        build()


def test_negative_time_raises():
    model = PCMLikeNoiseModel()
    programmed, nus = model.apply_programming_noise(torch.rand(2, 3))
    with pytest.raises(ArgumentError):
        model.apply_drift_noise(programmed, nus, -1.0)
    with pytest.raises(ArgumentError):
        model.apply_drift_noise(programmed, nus[:1], 1.0)


def test_equality_and_str():
    assert PCMLikeNoiseModel() == PCMLikeNoiseModel()
    assert PCMLikeNoiseModel() != PCMLikeNoiseModel(drift_scale=0.5)
    assert str(PCMLikeNoiseModel()) == "PCMLikeNoiseModel()"
    assert str(PCMLikeNoiseModel(drift_scale=0.5)) == "PCMLikeNoiseModel(drift_scale=0.5)"
    model = PCMLikeNoiseModel(g_converter=SinglePairConductanceConverter(g_max=30.0))
    assert model.g_max == 30.0
