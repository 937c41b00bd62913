"""Per-tile random number generator that survives pickling, deep copies and moves."""

from typing import Any, Dict, Optional

import torch


# SplitMix64 (the random stream of the compiled kernels): counter increment and the two
# multipliers of its output function
SPLITMIX_GOLDEN = 0x9E3779B97F4A7C15
SPLITMIX_MIX1 = 0xBF58476D1CE4E5B9
SPLITMIX_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1


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
        # the seed stream of the compiled kernels (see stream_seed): its start (None: not
        # drawn yet) and the number of seeds taken from it
        self.stream_base: Optional[int] = None
        self.stream_index = 0

    def __getstate__(self) -> Dict[str, Any]:
        return {"device": str(self.device), "state": self.generator.get_state(),
                "stream": self.stream_state()}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.device = torch.device(state["device"])
        self.generator = torch.Generator(device=self.device)
        self.generator.set_state(state["state"])
        self.set_stream_state(state.get("stream"))

    def stream_state(self) -> torch.Tensor:
        """The position of the kernels' seed stream as plain data: int64 ``[base,
        index]`` (``base = -1``: not started)."""
        base = -1 if self.stream_base is None else self.stream_base
        return torch.tensor([base, self.stream_index], dtype=torch.int64)

    def set_stream_state(self, state: Optional[torch.Tensor]) -> None:
        """Continue the seed stream from :meth:`stream_state`; ``None`` (a state saved
        without one) restarts it from the generator at the next seed."""
        if state is None:
            self.stream_base, self.stream_index = None, 0
            return
        base, index = (int(value) for value in torch.as_tensor(state).reshape(-1)[:2])
        self.stream_base = None if base < 0 else base
        self.stream_index = index if base >= 0 else 0

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
        self.set_stream_state(None)
        return self

    def seeded(self, seed: int) -> torch.Generator:
        """A fresh generator on this device seeded with ``seed`` (construction draws)."""
        gen = torch.Generator(device=self.device)
        gen.manual_seed(int(seed))
        return gen

    def stream_seed(self) -> int:
        """A seed in ``[0, 2^63)`` for the own random stream of one compiled CPU kernel
        call, without a torch call: the seeds are SplitMix64 outputs of consecutive
        counter values from a start drawn once from the generator (at the first seed,
        and again after the stream was restarted). The stream's position travels with
        the tile's state (:meth:`stream_state`), so a restored tile continues it."""
        base = self.stream_base
        if base is None:
            draw = torch.empty(1, dtype=torch.int64).random_(generator=self.generator)
            base = self.stream_base = int(draw[0]) & _MASK64
            self.stream_index = 0
        self.stream_index += 1
        z = (base + self.stream_index * SPLITMIX_GOLDEN) & _MASK64
        z = ((z ^ (z >> 30)) * SPLITMIX_MIX1) & _MASK64
        z = ((z ^ (z >> 27)) * SPLITMIX_MIX2) & _MASK64
        return (z ^ (z >> 31)) >> 1

    # short helpers used throughout the engine
    def normal(self, shape: Any, dtype: torch.dtype) -> torch.Tensor:
        """Standard normal draws of ``shape``."""
        return torch.randn(shape, generator=self.generator, device=self.device, dtype=dtype)

    def uniform(self, shape: Any, dtype: torch.dtype) -> torch.Tensor:
        """Uniform draws on ``[0, 1)`` of ``shape``."""
        return torch.rand(shape, generator=self.generator, device=self.device, dtype=dtype)
