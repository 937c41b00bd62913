"""Noise management: the per-sample input scale ``s`` (spec 10 §1.5).

Every function works on a batch ``x`` of shape ``[B, N]`` and returns one scale per row
(shape ``[B]``, or a column ``[B, 1]`` where noted), computed exactly as the per-vector
reference does for each sample.
"""

from typing import Optional

import torch

from aihwkit.simulator.parameters.enums import NoiseManagementType
from aihwkit.simulator.rpu_base.base import EngineBase
from aihwkit.simulator.rpu_base.periphery_config import NM_ASSUMED_WMAX, NM_DECAY, ResolvedIO

# Samples per block of the vectorised running average; keeps (1 - decay)^-k <= e^1.03.
_RUNNING_BLOCK = 1024


# below this many elements ``|x|`` is formed before the reduction (two torch calls); larger
# inputs reduce twice instead of allocating a full-size temporary (same values)
_SMALL_ABS = 1 << 16


def abs_max(x: torch.Tensor, keepdim: bool = False) -> torch.Tensor:
    """``max_j |x_bj|`` per row: shape ``[B]`` (``[B, 1]`` with ``keepdim``)."""
    if x.numel() <= _SMALL_ABS:
        return x.abs().amax(1, keepdim=keepdim)
    return torch.maximum(x.amax(1, keepdim=keepdim), x.amin(1, keepdim=keepdim).neg_())


class RunningAbsMax(EngineBase):
    """State of ``AVERAGE_ABS_MAX`` noise management (the tile's ``aux_nm_value``).

    ``value`` is a 0-d tensor; negative means "not used yet". One instance may be shared by
    the forward and the backward manager of a tile, as the reference engine does.
    """

    def __init__(self, device: torch.device, dtype: torch.dtype) -> None:
        self.device = torch.device(device)
        self.dtype = dtype
        self.value = torch.full((), -1.0, device=self.device, dtype=dtype)

    def update(self, amax: torch.Tensor) -> torch.Tensor:
        """Fold the per-sample abs-max values ``amax`` ``[B]`` in, in batch order.

        Sample ``b`` gets ``m_b = (1 - d) m_{b-1} + d a_b`` (the first sample ever gets
        ``a_0``). Returns all ``m_b`` ``[B]``; the state keeps the last one.
        """
        if amax.numel() == 0:
            return amax.clone()
        work = amax.to(torch.float64)
        prev = self.value.to(device=work.device, dtype=torch.float64)
        # m_{-1} = a_0 makes m_0 = (1-d) a_0 + d a_0 = a_0 for a fresh state.
        prev = torch.where(prev < 0, work[0], prev)
        keep = 1.0 - NM_DECAY
        out = torch.empty_like(work)
        for start in range(0, work.numel(), _RUNNING_BLOCK):
            block = work[start:start + _RUNNING_BLOCK]
            k = torch.arange(block.numel(), device=work.device, dtype=torch.float64)
            grow = keep ** (-k)
            decay = keep ** (k + 1.0)
            # m_j = (1-d)^(j+1) m_prev + d (1-d)^j sum_{i<=j} (1-d)^(-i) a_i
            acc = torch.cumsum(block * grow, 0)
            values = decay * prev + NM_DECAY * (decay / keep) * acc
            out[start:start + block.numel()] = values
            prev = values[-1]
        self.value = prev.to(self.value.dtype).reshape(())
        return out.to(amax.dtype)


def np_sum_scale(cfg: ResolvedIO, x: torch.Tensor) -> torch.Tensor:
    """``ABS_MAX_NP_SUM`` scale per row: ``max(a, min(S·0.6/B, a·max_bm_res/Δ_inp))``.

    ``a`` is the (``nm_thres``-capped) abs max, ``S = max(Σ x⁺, Σ |x⁻|)`` and ``B`` the
    output bound (1 if unbounded); the ``min`` applies only with input quantization.
    """
    amax = abs_max(x)
    if cfg.nm_thres > 0:
        amax = amax.clamp(max=cfg.nm_thres)
    pos = x.clamp(min=0).sum(1)
    neg = x.clamp(max=0).sum(1).neg_()
    bound = cfg.out_bound if cfg.out_bound < float("inf") else 1.0
    target = torch.maximum(pos, neg).mul_(NM_ASSUMED_WMAX / bound)
    if cfg.inp_step > 0:
        target = torch.minimum(target, amax * (cfg.max_bm_res / cfg.inp_step))
    return torch.maximum(amax, target)


def noise_management_scale(cfg: ResolvedIO, x: torch.Tensor,
                           state: RunningAbsMax) -> Optional[torch.Tensor]:
    """Scale ``s`` of each row of ``x`` as a column ``[B, 1]``, or ``None`` without noise
    management.

    ``AVERAGE_ABS_MAX`` advances ``state`` by one step per row.
    """
    kind = cfg.noise_management
    thres = cfg.nm_thres
    if kind == NoiseManagementType.NONE:
        return None
    if kind == NoiseManagementType.ABS_MAX:
        scale = abs_max(x, keepdim=True)
    elif kind == NoiseManagementType.MAX:
        scale = x.amax(1, keepdim=True)
    elif kind == NoiseManagementType.CONSTANT:
        return torch.full((x.shape[0], 1), thres if thres > 0 else 1.0,
                          device=x.device, dtype=x.dtype)
    elif kind == NoiseManagementType.AVERAGE_ABS_MAX:
        return state.update(abs_max(x)).unsqueeze(1)
    else:  # ABS_MAX_NP_SUM
        return np_sum_scale(cfg, x).unsqueeze(1)
    if thres > 0:
        scale = scale.clamp_(max=thres)
    return scale
