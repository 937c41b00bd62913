"""A small embedded data set: noisy 5x7 pixel glyphs of the digits 0-9."""

from typing import Tuple

import torch

# One 5-pixel-wide row per string, 7 rows per digit ("#" = ink).
_GLYPHS = (
    (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
)

N_PIXELS = 35
N_CLASSES = 10


def glyph_templates() -> torch.Tensor:
    """The clean glyphs as a ``[10, 35]`` tensor of 0/1 pixels."""
    rows = [[1.0 if ch == "#" else 0.0 for line in glyph for ch in line] for glyph in _GLYPHS]
    return torch.tensor(rows)


def noisy_glyphs(n_samples: int, flip_prob: float = 0.1, noise_std: float = 0.2,
                 seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """``n_samples`` glyphs with flipped pixels and Gaussian noise.

    Returns:
        images ``[n_samples, 35]`` (values around 0..1) and labels ``[n_samples]``.
    """
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, N_CLASSES, (n_samples,), generator=gen)
    images = glyph_templates()[labels]
    flips = torch.rand(images.shape, generator=gen) < flip_prob
    images = torch.where(flips, 1.0 - images, images)
    images = images + noise_std * torch.randn(images.shape, generator=gen)
    return images, labels
