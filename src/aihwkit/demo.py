"""Command-line demo: train a small analog network on the embedded glyph data set."""

import argparse
import time
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import nn

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.utils.glyphs import N_CLASSES, N_PIXELS, noisy_glyphs


def _configs() -> Dict[str, Callable[[], Any]]:
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator import configs, presets
    from aihwkit.simulator.configs import devices
    return {
        "floating-point": configs.FloatingPointRPUConfig,
        "constant-step": lambda: configs.SingleRPUConfig(device=devices.ConstantStepDevice()),
        "soft-bounds": lambda: configs.SingleRPUConfig(device=devices.SoftBoundsDevice()),
        "reram-es": presets.ReRamESPreset,
        "tiki-taka": presets.TikiTakaReRamSBPreset,
        "mixed-precision": presets.MixedPrecisionReRamSBPreset,
        "inference": configs.InferenceRPUConfig,
    }


def build_model(rpu_config: Any, hidden: int = 32) -> AnalogSequential:
    """Two analog layers with a sigmoid in between (35 -> hidden -> 10)."""
    return AnalogSequential(
        AnalogLinear(N_PIXELS, hidden, bias=True, rpu_config=rpu_config),
        nn.Sigmoid(),
        AnalogLinear(hidden, N_CLASSES, bias=True, rpu_config=rpu_config),
    )


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of correctly classified samples (eval mode)."""
    model.eval()
    with torch.no_grad():
        predicted = model(images).argmax(dim=1)
    model.train()
    return float((predicted == labels).float().mean())


def train(config_name: str = "constant-step", epochs: int = 10, batch_size: int = 16,
          lr: float = 0.1, seed: int = 0, log: Optional[Callable[[str], None]] = print
          ) -> Dict[str, float]:
    """Train on 2000 noisy glyphs, test on 500 others; returns the accuracies."""
    configs = _configs()
    if config_name not in configs:
        raise ValueError(f"unknown config {config_name!r}: choose from {sorted(configs)}")
    # the network is tiny: one thread avoids synchronisation costs that dominate here
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    train_x, train_y = noisy_glyphs(2000, seed=seed)
    test_x, test_y = noisy_glyphs(500, seed=seed + 1)
    model = build_model(configs[config_name]())
    optimizer = AnalogSGD(model.parameters(), lr=lr)
    optimizer.regroup_param_groups(model)
    loss_fn = nn.CrossEntropyLoss()
    history: List[float] = []
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(train_x.shape[0])
        total = 0.0
        for i in range(0, train_x.shape[0], batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
        history.append(total / train_x.shape[0])
        if log is not None:
            log(f"epoch {epoch + 1:3d}  loss {history[-1]:.4f}")
    result = {
        "train_accuracy": accuracy(model, train_x, train_y),
        "test_accuracy": accuracy(model, test_x, test_y),
        "final_loss": history[-1],
        "seconds": time.perf_counter() - start,
    }
    if log is not None:
        log(f"config {config_name}: test accuracy {result['test_accuracy']:.3f} "
            f"(train {result['train_accuracy']:.3f}) in {result['seconds']:.1f} s")
    return result


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m aihwkit demo``."""
    parser = argparse.ArgumentParser(prog="python -m aihwkit demo",
                                     description="Train a small analog network on embedded "
                                                 "glyph data and print its accuracy.")
    parser.add_argument("--config", default="constant-step", choices=sorted(_configs()))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    train(args.config, args.epochs, args.batch_size, args.lr, args.seed)
    return 0
