"""Common plumbing of engine objects: moving their tensors between devices and dtypes.

Engine objects are plain Python objects whose state is tensors, numbers and child
engines. Pickling and ``copy.deepcopy`` therefore work natively and restore them exactly;
:meth:`EngineBase.to` walks the attributes to move every tensor.
"""

from typing import Any, Callable, Optional

import torch


def _map_value(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, EngineBase):
        value.apply_to_tensors(fn)
        return value
    if isinstance(value, list):
        return [_map_value(item, fn) for item in value]
    if isinstance(value, tuple):
        return tuple(_map_value(item, fn) for item in value)
    if isinstance(value, dict):
        return {key: _map_value(item, fn) for key, item in value.items()}
    return value


class EngineBase:
    """Base of tile engines, periphery managers and device engines."""

    device: torch.device
    dtype: torch.dtype

    def apply_to_tensors(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Replace every tensor attribute (also inside child engines/lists) by ``fn(t)``."""
        for name, value in list(vars(self).items()):
            if name == "rng":
                continue
            setattr(self, name, _map_value(value, fn))

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
        for value in vars(self).values():
            for child in (value if isinstance(value, list) else [value]):
                if isinstance(child, EngineBase):
                    child._set_placement(device, dtype)
        self.device = device
        self.dtype = dtype
