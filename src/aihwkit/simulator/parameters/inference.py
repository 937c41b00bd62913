"""Hardware-aware training parameters (modifier, clip, remap) and drift parameters."""

from dataclasses import dataclass, field
from typing import List

from aihwkit.simulator.parameters.enums import (
    WeightClipType, WeightModifierType, WeightRemapType)
from aihwkit.simulator.parameters.helpers import _PrintableMixin

_POLY_COEFFS = [0.0105392, 0.0768, -0.046925]


@dataclass
class WeightModifierParameter(_PrintableMixin):
    """Perturbation of the weights during hardware-aware training (``type`` selects)."""

    std_dev: float = 0.0
    per_batch_sample: bool = False
    res: float = 0.0
    sto_round: bool = False
    dorefa_clip: float = 0.6
    pdrop: float = 0.0
    enable_during_test: bool = False
    rel_to_actual_wmax: bool = True
    assumed_wmax: float = 1.0
    copy_last_column: bool = False
    coeffs: List[float] = field(default_factory=lambda: list(_POLY_COEFFS),
                                metadata={"hide_if": _POLY_COEFFS})
    type: WeightModifierType = field(default=WeightModifierType.NONE,
                                     metadata={"always_show": True})
    g_max: float = 25.0
    pcm_zero_thres: float = 0.0
    pcm_t_inference: float = 0.0
    pcm_prob_at_reset: float = 0.0
    pcm_prob_at_gmax: float = 0.0
    pcm_prob_at_random: float = 0.0
    pcm_t0: float = 20.0


@dataclass
class WeightClipParameter(_PrintableMixin):
    """Weight clipping after each optimizer step (``type`` selects)."""

    fixed_value: float = -1.0
    sigma: float = 2.5
    type: WeightClipType = field(default=WeightClipType.NONE, metadata={"always_show": True})


@dataclass
class WeightRemapParameter(_PrintableMixin):
    """Weight remapping after each optimizer step (``type`` selects)."""

    remapped_wmax: float = 1.0
    max_scale_range: float = 0.0
    max_scale_ref: float = 0.0
    type: WeightRemapType = field(default=WeightRemapType.NONE, metadata={"always_show": True})


@dataclass
class SimpleDriftParameter(_PrintableMixin):
    """Power-law drift ``w(t) = w0 * (t / t_0)^(-nu)`` (``nu = 0``: off)."""

    nu: float = 0.0
    t_0: float = 1.0
    reset_tol: float = 1e-7


@dataclass
class DriftParameter(SimpleDriftParameter):
    """Drift with device-to-device and cycle-to-cycle variation of ``nu``."""

    nu_dtod: float = 0.0
    nu_std: float = 0.0
    wg_ratio: float = 1.0
    g_offset: float = 0.0
    w_offset: float = 0.0
    nu_k: float = 0.0
    log_g0: float = 0.0
    w_noise_std: float = 0.0
