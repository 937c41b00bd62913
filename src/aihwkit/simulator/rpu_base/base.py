"""Common plumbing of engine objects: moving their tensors between devices and dtypes.

Engine objects are plain Python objects whose state is tensors, numbers and child
engines. The walk over that object graph lives in :mod:`aihwkit.simulator.rpu_base.state`
and is shared by device moves (:meth:`EngineBase.to`), state export/import and copies.
"""

from collections import OrderedDict
from typing import Callable, Dict, List, Optional

import torch

from aihwkit.exceptions import TileError

from aihwkit.simulator.rpu_base.state import engine_parts, map_tensors


class EngineBase:
    """Base of tile engines, periphery managers and device engines."""

    device: torch.device
    dtype: torch.dtype

    def apply_to_tensors(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Replace every tensor attribute (also inside child engines/lists) by ``fn(t)``."""
        map_tensors(self, fn)

    def to(self, device: Optional[torch.device] = None,
           dtype: Optional[torch.dtype] = None) -> "EngineBase":
        """Move all tensors to ``device`` and cast floating tensors to ``dtype``."""
        device = torch.device(device) if device is not None else self.device
        dtype = dtype if dtype is not None else self.dtype

        def move(tensor: torch.Tensor) -> torch.Tensor:
            if tensor.is_floating_point():
                return tensor.to(device=device, dtype=dtype)
            return tensor.to(device=device)

        self.apply_to_tensors(move)
        self._set_placement(device, dtype)
        return self

    def _set_placement(self, device: torch.device, dtype: torch.dtype) -> None:
        for part in engine_parts(self):
            part.device = device
            part.dtype = dtype


class NoHiddenParameters:
    """Hidden-parameter interface of an engine whose device keeps nothing but its weights."""

    def get_hidden_parameters(self) -> "OrderedDict[str, torch.Tensor]":
        """No hidden parameters: an empty dict."""
        return OrderedDict()

    def get_hidden_parameter_names(self) -> List[str]:
        """No hidden parameters: an empty list."""
        return []

    def set_hidden_parameters(self, params: Dict[str, torch.Tensor]) -> None:
        """Accept only an empty set of hidden parameters."""
        if params:
            raise TileError(f"{type(self).__name__} has no hidden parameters, got "
                            f"{sorted(params)}")
