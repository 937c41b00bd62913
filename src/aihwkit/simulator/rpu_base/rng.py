"""Per-tile random number generator that survives pickling, deep copies and moves."""

from typing import Any, Dict, Optional

import torch


class TileRNG:
    """Owns the ``torch.Generator`` shared by every engine part of one tile.

    Seeded from torch's global RNG at construction, so ``torch.manual_seed`` makes whole
    runs reproducible. The generator state travels with pickles and deep copies, so a
    restored tile continues its random stream exactly.
    """

    def __init__(self, device: torch.device, seed: Optional[int] = None) -> None:
        self.device = torch.device(device)
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)

    def __getstate__(self) -> Dict[str, Any]:
        return {"device": str(self.device), "state": self.generator.get_state()}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.device = torch.device(state["device"])
        self.generator = torch.Generator(device=self.device)
        self.generator.set_state(state["state"])

    def to(self, device: torch.device) -> "TileRNG":
        """Move the generator to ``device``; the new stream is seeded from the old one."""
        device = torch.device(device)
        if device == self.device:
            return self
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator,
                                 device=self.device).item())
        self.device = device
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(seed)
        return self

    def seeded(self, seed: int) -> torch.Generator:
        """A fresh generator on this device seeded with ``seed`` (construction draws)."""
        gen = torch.Generator(device=self.device)
        gen.manual_seed(int(seed))
        return gen

    def stream_seed(self) -> int:
        """A seed in ``[0, 2^63)`` for the own random stream of a compiled CPU kernel: one
        draw from the generator into a reused buffer, read through numpy (CPU only)."""
        found = self.__dict__.get("_seed_buffer")
        if found is None:
            tensor = torch.empty(1, dtype=torch.int64)
            found = self.__dict__["_seed_buffer"] = (tensor, tensor.numpy())
        found[0].random_(generator=self.generator)
        return int(found[1][0])

    # short helpers used throughout the engine
    def normal(self, shape: Any, dtype: torch.dtype) -> torch.Tensor:
        """Standard normal draws of ``shape``."""
        return torch.randn(shape, generator=self.generator, device=self.device, dtype=dtype)

    def uniform(self, shape: Any, dtype: torch.dtype) -> torch.Tensor:
        """Uniform draws on ``[0, 1)`` of ``shape``."""
        return torch.rand(shape, generator=self.generator, device=self.device, dtype=dtype)
