"""With noise on, compound training of a small linear regression converges.

The tile is trained directly (forward, error, update, post-update step) on
``y = W* x`` with ``x ~ U(-1, 1)^4`` and ``W* ~ U(-0.3, 0.3)^{3x4}``; the loss is the
exact regression loss of the visible weights, ``E|(W - W*) x|^2``, on 256 fixed inputs.
"""

from typing import Any, Tuple

import pytest
import torch

import aihwkit.simulator.presets as presets
from aihwkit.simulator.tiles import AnalogTile

from compound_helpers import catalogue


def regression(config: Any, steps: int, lr: float, batch: int = 4, seed: int = 0
               ) -> Tuple[float, float]:
    """Initial and final regression loss."""
    torch.manual_seed(seed)
    target = torch.rand(3, 4) * 0.6 - 0.3
    tile = AnalogTile(3, 4, config)
    tile.set_learning_rate(lr)
    probe = torch.rand(256, 4) * 2 - 1

    def loss() -> float:
        return float(((probe @ (tile.get_weights()[0] - target).t()) ** 2).mean())

    first = loss()
    with torch.no_grad():
        for _ in range(steps):
            x = torch.rand(batch, 4) * 2 - 1
            error = 2 * (tile.forward(x) - x @ target.t()) / batch
            tile.update(x, error)
            tile.post_update_step()
    return first, loss()


# devices with 10x the default step (dw_min 0.01) so that 120 steps suffice
CONFIGS = catalogue(dw_min=0.01)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_compound_training_converges(name):
    first, last = regression(CONFIGS[name](), steps=120, lr=0.1)
    assert last < first / 4, (first, last)


# One preset per compound family, with the default budget; the loss must halve.
FAMILY_PRESETS = {
    "Idealized2Preset": 0.1, "Capacitor4Preset": 0.1, "TikiTakaEcRamPreset": 0.1,
    "MixedPrecisionIdealizedPreset": 0.1, "TTv2EcRamPreset": 0.1,
}


@pytest.mark.parametrize("name", sorted(FAMILY_PRESETS))
def test_family_presets_train(name):
    first, last = regression(getattr(presets, name)(), steps=150,
                             lr=FAMILY_PRESETS[name], batch=8)
    assert last < first / 2, (first, last)


def compound_presets():
    """Names of every preset built on a unit cell, transfer compound or mixed precision."""
    from aihwkit.simulator.configs import (  # pylint: disable=import-outside-toplevel
        DigitalRankUpdateRPUConfig, UnitCellRPUConfig)
    return sorted(name for name in dir(presets) if name.endswith("Preset")
                  and isinstance(getattr(presets, name), type)
                  and issubclass(getattr(presets, name),
                                 (UnitCellRPUConfig, DigitalRankUpdateRPUConfig)))


# Presets whose devices (strongly asymmetric ReRAM, PCM) or transfer settings make them
# learn slowly and erratically on this small problem: aihwkit 1.1.0 itself reaches less
# than a factor 2 with 300 steps at lr 0.05, and single runs vary widely. They get 600
# steps at lr 0.1 (PCM: 0.02) and the median over three seeds must lower the loss by 20 %.
# ChoppedTTv2CapacitorPreset halves the loss in about 300 steps, not more: median ratios
# over six seeds 0.52 with the forced reference, 0.55-0.57 with the fast paths (single
# runs 0.29 ... 0.68).
SLOW_LEARNERS = {
    "ChoppedTTv2CapacitorPreset",
    "AGADIdealizedPreset", "AGADReRamESPreset", "AGADReRamSBPreset",
    "ChoppedTTv2IdealizedPreset", "ChoppedTTv2ReRamESPreset", "ChoppedTTv2ReRamSBPreset",
    "ChoppedTTv2EcRamMOPreset", "AGADEcRamMOPreset", "MixedPrecisionPCMPreset",
    "MixedPrecisionReRamSBPreset", "TTv2ReRamESPreset", "TTv2ReRamSBPreset",
    "ReRamSB2Preset",
}
# Tiki-Taka on ReRAM: the absolute fast learning rate (1.0) drives the asymmetric fast
# device into saturation, and single runs range from no progress to a factor 7 (aihwkit
# 1.1.0 alike: factors 0.9 ... 3.5 over 8 seeds). Median over five seeds.
# The TTv2 presets on ReRamES scatter as widely (side by side with aihwkit 1.1.0 over six
# seeds at 600 steps: loss ratios 0.09 ... 1.45 here, 0.29 ... 1.04 there, medians ~0.5).
ERRATIC = {"TikiTakaReRamESPreset", "TTv2ReRamESPreset", "ChoppedTTv2ReRamESPreset"}
# PCMPreset (one-sided PCM pair refreshed after every mini-batch) does not learn this
# problem in aihwkit 1.1.0 either: the noisy refresh of the nearly empty pairs (read
# noise 0.1, steps of up to 28 dw_min near zero conductance) raises the loss at every
# learning rate tried (3e-4 ... 0.1). These are trained for stability only.
# TikiTakaReRamSBPreset: median factor about 1 over seeds in aihwkit 1.1.0 as well.
NOT_LEARNING = {"PCMPreset", "TikiTakaReRamSBPreset"}


@pytest.mark.slow
@pytest.mark.parametrize("name", compound_presets())
def test_every_compound_preset_trains(name):
    config = getattr(presets, name)
    if name in NOT_LEARNING:
        first, last = regression(config(), steps=150, lr=0.01, batch=8)
        assert last < 100 * first, (first, last)
    elif name in SLOW_LEARNERS or name in ERRATIC:
        lr = 0.02 if "PCM" in name else 0.1
        seeds = 5 if name in ERRATIC else 3
        ratios = sorted(last / first for first, last in (
            regression(config(), steps=600, lr=lr, batch=8, seed=seed)
            for seed in range(seeds)))
        # erratic presets: the median run must still lower the loss
        bound = 1.0 if name in ERRATIC else 1 / 1.25
        assert ratios[seeds // 2] < bound, ratios
    else:
        first, last = regression(config(), steps=300, lr=0.05, batch=8)
        assert last < first / 2, (first, last)
