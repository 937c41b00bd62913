"""Weight modifiers in hardware-aware training (spec §1.8, checks 13–15, 18c)."""

import math

import pytest
import torch

from aihwkit.exceptions import ConfigError, TorchTileConfigError
from aihwkit.simulator.rpu_base.kernels import fused
from aihwkit.simulator.rpu_base.weight_ops import modify_weights
from aihwkit.simulator.configs import WeightModifierParameter, WeightModifierType
from aihwkit.simulator.tiles.inference import InferenceTile
from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile

from inference_helpers import close, perfect_config, std_with_se

Mod = WeightModifierType
EYE = torch.eye(50)


def _tile(weights, torch_tile=False, **modifier):
    config = perfect_config(torch_tile)
    for key, value in modifier.items():
        setattr(config.modifier, key, value)
    tile = (TorchInferenceTile if torch_tile else InferenceTile)(40, 50, config)
    tile.set_weights(weights)
    return tile


def _seen(tile):
    """Weights used by a training forward (read through the identity input)."""
    with torch.no_grad():
        return tile(EYE).t()


def test_first_forward_unmodified_then_fixed_until_next_step(uniform_weights):
    tile = _tile(uniform_weights, type=Mod.ADD_NORMAL, std_dev=0.1)
    assert torch.equal(_seen(tile), uniform_weights)
    tile.post_update_step()
    first = _seen(tile)
    assert not torch.equal(first, uniform_weights)
    assert torch.equal(_seen(tile), first)  # not redrawn per forward
    tile.post_update_step()
    assert not torch.equal(_seen(tile), first)
    tile.eval()  # eval uses the plain weights
    assert torch.equal(_seen(tile), uniform_weights)


def test_enable_during_test_and_stale_after_set_weights(uniform_weights):
    tile = _tile(uniform_weights, type=Mod.ADD_NORMAL, std_dev=0.1, enable_during_test=True)
    tile.post_update_step()
    noisy = _seen(tile)
    tile.eval()
    assert torch.equal(_seen(tile), noisy)
    tile.train()
    tile.set_weights(uniform_weights * 2)  # W_fb is refreshed only by post_update_step
    assert torch.equal(_seen(tile), noisy)


@pytest.mark.parametrize("compiled", [False, True], ids=["torch", "compiled"])
@pytest.mark.parametrize("rel,expected", [(True, 0.05), (False, 0.1)])
def test_add_and_mult_normal_amplitudes(uniform_weights, rel, expected, compiled,
                                        monkeypatch):
    # a = amax = 0.5 (rel_to_actual_wmax) or assumed_wmax = 1; std_dev 0.1 -> 0.1 a
    if compiled and not fused.available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(fused, "MODIFIER_SIZE", 1 << 20 if compiled else 0)
    gen = torch.Generator().manual_seed(0)
    w = uniform_weights.repeat(50, 1)  # 1e5 entries
    for kind in (Mod.ADD_NORMAL, Mod.MULT_NORMAL):
        mod = WeightModifierParameter(type=kind, std_dev=0.1, rel_to_actual_wmax=rel)
        out = modify_weights(w, mod, gen)
        err = out - w if kind == Mod.ADD_NORMAL else (out / w - 1.0)[w.abs() > 1e-3]
        std, se = std_with_se(err)
        assert close(std, expected, se) and not close(std, 1.1 * expected, se)
        assert abs(float(err.mean())) <= 4 * expected / math.sqrt(err.numel())


def test_discretize_dorefa_and_drop_connect(uniform_weights):
    gen = torch.Generator().manual_seed(1)
    w = uniform_weights
    out = modify_weights(w, WeightModifierParameter(type=Mod.DISCRETIZE, res=0.1), gen)
    steps = out / 0.05  # grid res * amax
    assert torch.allclose(steps, steps.round(), atol=1e-4)
    assert (out - w).abs().max() <= 0.025 + 1e-6
    out = modify_weights(w, WeightModifierParameter(type=Mod.DOREFA, res=0.1), gen)
    steps = out / 0.1
    assert torch.allclose(steps, steps.round(), atol=1e-4) and out.abs().max() <= 0.6 + 1e-6
    big = w.repeat(50, 1)
    out = modify_weights(big, WeightModifierParameter(type=Mod.DROP_CONNECT, pdrop=0.3), gen)
    frac = (out == 0).float().mean().item()
    se = math.sqrt(0.3 * 0.7 / big.numel())
    assert close(frac, 0.3, se) and not close(frac, 0.33, se)
    assert torch.equal(out[out != 0], big[out != 0])
    out = modify_weights(w, WeightModifierParameter(type=Mod.COPY), gen)
    assert torch.equal(out, w)


def test_discretize_add_normal_poly_and_prog_noise():
    gen = torch.Generator().manual_seed(2)
    w = torch.full((400, 250), 0.25)
    w[0, 0] = 1.0  # amax 1
    mod = WeightModifierParameter(type=Mod.DISCRETIZE_ADD_NORMAL, res=0.2, std_dev=0.1)
    err = modify_weights(w, mod, gen)[1:] - 0.2  # 0.25 -> grid 0.2
    std, se = std_with_se(err)
    assert close(std, 0.1, se)
    coeffs = [0.0105392, 0.0768, -0.046925]
    sigma = 2.0 * (coeffs[0] + coeffs[1] * 0.25 + coeffs[2] * 0.0625)
    err = modify_weights(w, WeightModifierParameter(type=Mod.POLY, std_dev=2.0), gen)[1:] - w[1:]
    std, se = std_with_se(err)
    assert close(std, sigma, se) and not close(std, 1.1 * sigma, se)
    # PROG_NOISE: std_dev / g_max and the sign kept
    w_neg = -w
    out = modify_weights(w_neg, WeightModifierParameter(type=Mod.PROG_NOISE, std_dev=50.0,
                                                         g_max=25.0), gen)
    assert (out <= 0).all()
    std, se = std_with_se(out[1:] + 0.25)
    assert close(std, sigma, se)


def test_pcm_noise_modifier_works():
    gen = torch.Generator().manual_seed(3)
    w = torch.full((400, 250), 0.5)
    w[0, 0] = 1.0
    # no noise, no drift: unchanged
    mod = WeightModifierParameter(type=Mod.PCM_NOISE, std_dev=0.0)
    assert torch.allclose(modify_weights(w, mod, gen), w)
    # programming noise of the PCM polynomial at rho = 0.5, read noise at t = t0
    mod = WeightModifierParameter(type=Mod.PCM_NOISE, std_dev=1.0)
    out = modify_weights(w, mod, gen)[1:]
    rho = 0.5
    sig_prog = (0.26348 + 1.9650 * rho - 1.1731 * rho * rho) / 25.0
    q_s = 0.0088 / rho ** 0.65
    sig_read = 0.5 * q_s * math.sqrt(math.log((20.0 + 250e-9) / 500e-9))
    std, se = std_with_se(out)
    expected = math.sqrt(sig_prog ** 2 + sig_read ** 2)
    assert close(std, expected, se, z=6) and not close(std, 1.1 * expected, se, z=6)
    mod = WeightModifierParameter(type=Mod.PCM_NOISE, std_dev=1.0, pcm_prob_at_reset=1.0)
    assert torch.equal(modify_weights(w, mod, gen), torch.zeros_like(w))


def test_copy_last_column_keeps_bias_column():
    gen = torch.Generator().manual_seed(4)
    w = torch.rand(20, 6)
    mod = WeightModifierParameter(type=Mod.ADD_NORMAL, std_dev=0.5, copy_last_column=True,
                                  pdrop=0.5)
    out = modify_weights(w, mod, gen)
    assert torch.equal(out[:, -1], w[:, -1]) and not torch.equal(out[:, :-1], w[:, :-1])


def test_torch_tile_modifiers(uniform_weights):
    # fresh noise on every training forward, none in eval
    tile = _tile(uniform_weights, torch_tile=True, type=Mod.ADD_NORMAL, std_dev=0.1)
    first, second = _seen(tile), _seen(tile)
    assert not torch.equal(first, second)
    std, se = std_with_se(first - uniform_weights)
    assert close(std, 0.05, se)
    tile.eval()
    assert torch.allclose(_seen(tile), uniform_weights, atol=1e-6)
    # MULT_NORMAL without the factor a
    tile = _tile(uniform_weights, torch_tile=True, type=Mod.MULT_NORMAL, std_dev=0.1)
    rel = torch.cat([(_seen(tile) / uniform_weights - 1.0)[uniform_weights.abs() > 1e-2]
                     for _ in range(10)])
    std, se = std_with_se(rel)
    assert close(std, 0.1, se) and not close(std, 0.11, se)
    # DISCRETIZE: grid res * 2 * a = 0.1
    tile = _tile(uniform_weights, torch_tile=True, type=Mod.DISCRETIZE, res=0.1)
    steps = _seen(tile) / 0.1
    assert torch.allclose(steps, steps.round(), atol=1e-4)


def test_torch_tile_per_batch_sample_and_straight_through(uniform_weights):
    tile = _tile(uniform_weights, torch_tile=True, type=Mod.DISCRETIZE, res=0.1,
                 per_batch_sample=True)
    x = torch.ones(2, 50)
    x[1] = 1.0
    y = tile(x)
    assert y.shape == (2, 40)
    y.sum().backward()
    assert torch.allclose(tile.tile.weight.grad, torch.full((40, 50), 2.0))
    tile = _tile(uniform_weights, torch_tile=True, type=Mod.ADD_NORMAL, std_dev=0.1,
                 per_batch_sample=True)
    y = tile(torch.ones(2, 50))
    assert not torch.allclose(y[0], y[1])


@pytest.mark.parametrize("kwargs", [
    {"type": Mod.POLY}, {"type": Mod.DOREFA}, {"type": Mod.ADD_NORMAL, "pdrop": 0.1},
    {"type": Mod.ADD_NORMAL, "enable_during_test": True},
    {"type": Mod.DISCRETIZE, "res": 0.0}])
def test_torch_tile_rejects_unsupported_modifiers(kwargs, uniform_weights):
    with pytest.raises(TorchTileConfigError):
        _tile(uniform_weights, torch_tile=True, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {"std_dev": -0.1}, {"pdrop": 1.5}, {"type": "AddNormal"},
    {"type": Mod.ADD_NORMAL, "per_batch_sample": True},
    {"rel_to_actual_wmax": False, "assumed_wmax": 0.0}])
def test_invalid_modifier_config(kwargs, uniform_weights):
    with pytest.raises(ConfigError):
        _tile(uniform_weights, **kwargs)


def test_bindings_snapshot_unless_on_the_fly(uniform_weights):
    tile = _tile(uniform_weights, type=Mod.ADD_NORMAL, std_dev=0.1)
    tile.post_update_step()
    tile.rpu_config.modifier.std_dev = 0.0  # ignored: bound at the first step
    tile.post_update_step()
    assert not torch.equal(_seen(tile), uniform_weights)
    tile = _tile(uniform_weights, type=Mod.ADD_NORMAL, std_dev=0.1)
    tile.rpu_config.runtime.on_the_fly_bindings = True
    tile.post_update_step()
    tile.rpu_config.modifier.std_dev = 0.0
    tile.post_update_step()
    assert torch.equal(_seen(tile), uniform_weights)
