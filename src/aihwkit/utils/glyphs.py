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


def glyph_dataset(n_samples: int, seed: int = 0, as_images: bool = False,
                  scale: int = 1, flip_prob: float = 0.1,
                  noise_std: float = 0.2) -> "torch.utils.data.TensorDataset":
    """Noisy glyphs as a torch ``TensorDataset`` of ``(image, label)`` pairs.

    Args:
        n_samples: number of samples.
        seed: seed of the draws (different seeds give independent sets).
        as_images: images ``[1, 7 * scale, 5 * scale]`` instead of vectors ``[35]``.
        scale: pixel repetition factor of the images (>= 1; ``as_images`` only).
        flip_prob: probability that a pixel is inverted.
        noise_std: std of the additive Gaussian noise.
    """
    # pylint: disable=import-outside-toplevel
    from torch.utils.data import TensorDataset
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
    images, labels = noisy_glyphs(n_samples, flip_prob, noise_std, seed)
    if as_images:
        images = images.reshape(-1, 1, 7, 5)
        if scale > 1:
            images = images.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
    return TensorDataset(images, labels)
