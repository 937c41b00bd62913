"""Helpers of the checkpoint and bad-input tests: complete state snapshots, one step."""

from typing import Any, List

import torch

from aihwkit.optim import AnalogSGD


def flat_tensors(value: Any) -> List[torch.Tensor]:
    """Every tensor in nested dicts/lists (sorted keys), cloned."""
    if isinstance(value, torch.Tensor):
        return [value.detach().clone()]
    if isinstance(value, dict):
        return [t for key in sorted(value, key=str) for t in flat_tensors(value[key])]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in flat_tensors(item)]
    return []


def snapshot(model: torch.nn.Module) -> List[torch.Tensor]:
    """The complete state of a model (digital tensors, analog states incl. engine state,
    counters and random generator states)."""
    return flat_tensors(dict(model.state_dict()))


def same(before: List[torch.Tensor], after: List[torch.Tensor]) -> bool:
    """Bit-identical snapshots."""
    return len(before) == len(after) and all(
        a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
        for a, b in zip(before, after))


def train_step(layer: torch.nn.Module, in_size: int, out_size: int, seed: int = 0) -> None:
    """One AnalogSGD step on a fixed batch."""
    gen = torch.Generator().manual_seed(seed)
    opt = AnalogSGD(layer.parameters(), lr=0.05)
    opt.regroup_param_groups(layer)
    x = torch.rand(4, in_size, generator=gen) - 0.5
    target = torch.rand(4, out_size, generator=gen) - 0.5
    opt.zero_grad()
    ((layer(x) - target) ** 2).sum().backward()
    opt.step()
