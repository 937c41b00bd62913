"""Command-line demo: train a small analog network on the embedded glyph data set.

``python -m aihwkit demo`` trains a 35-32-10 network of analog layers on noisy 5x7 pixel
digits that ship with the package, next to a floating-point baseline trained the same way,
prints both test accuracies (and, for inference configurations, the accuracy after
programming and after drift), and writes ``learning_curves.png`` and
``device_response.png``.
"""

import argparse
import functools
import inspect
import math
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from aihwkit.exceptions import AihwkitException
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.utils.glyphs import N_CLASSES, N_PIXELS, noisy_glyphs

DEFAULT_CONFIG = "TikiTakaEcRamPreset"
DEFAULT_LR = 0.5
DRIFT_TIMES: Tuple[Tuple[str, float], ...] = (
    ("1 hour", 3600.0), ("1 day", 86400.0), ("1 year", 365.0 * 86400.0))


class DemoError(Exception):
    """A bad demo option (reported as one line, exit status 2)."""


# ---------------------------------------------------------------------------- configs
def available_configs() -> Dict[str, type]:
    """RPU configuration classes (configs and presets) usable with their defaults, by name."""
    return dict(_available_configs())


@functools.lru_cache(maxsize=1)
def _available_configs() -> Tuple[Tuple[str, type], ...]:
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator import configs, presets
    from aihwkit.simulator.parameters.base import RPUConfigBase
    found: Dict[str, type] = {}
    for module in (configs, presets):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, RPUConfigBase) \
                    and cls is not RPUConfigBase:
                found[name] = cls
    usable = {}
    for name, cls in found.items():
        try:
            config = cls()
            tile_class = config.get_default_tile_module_class(2, 2)
            with torch.no_grad():
                tile_class(2, 2, config).forward(torch.zeros(1, 2))
        except (AihwkitException, TypeError, ValueError, NotImplementedError):
            continue
        usable[name] = cls
    return tuple(sorted(usable.items()))


def config_kind(config: Any) -> str:
    """``inference``, ``floating point`` or ``pulsed`` (analog training)."""
    if hasattr(config, "noise_model"):
        return "inference"
    if not hasattr(config, "update"):
        return "floating point"
    return "pulsed"


def resolve_config(name: str) -> Any:
    """An instance of the configuration class called ``name`` (case-insensitive).

    Raises:
        DemoError: no such configuration.
    """
    configs = available_configs()
    matches = {key.lower(): key for key in configs}
    key = matches.get(name.lower())
    if key is None:
        close = [k for k in configs if name.lower() in k.lower()][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise DemoError(f"unknown --rpu-config {name!r}{hint}; "
                        "'python -m aihwkit demo --list' prints the names")
    return configs[key]()


# ---------------------------------------------------------------------------- training
def build_model(rpu_config: Optional[Any], hidden: int = 32) -> nn.Module:
    """35 -> hidden -> 10 network with a sigmoid; analog layers unless ``rpu_config`` is
    None (then a plain torch network, the floating-point baseline)."""
    if rpu_config is None:
        return nn.Sequential(nn.Linear(N_PIXELS, hidden), nn.Sigmoid(),
                             nn.Linear(hidden, N_CLASSES))
    return AnalogSequential(
        AnalogLinear(N_PIXELS, hidden, bias=True, rpu_config=rpu_config),
        nn.Sigmoid(),
        AnalogLinear(hidden, N_CLASSES, bias=True, rpu_config=rpu_config),
    )


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of correctly classified samples, in eval mode (mode restored after)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        predicted = model(images).argmax(dim=1)
    model.train(was_training)
    return float((predicted == labels).float().mean())


def _progress(total: int, desc: str) -> Any:
    """A tqdm bar on stderr, or None when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=True, file=sys.stderr,
                dynamic_ncols=True)


def train_model(model: nn.Module, data: Dict[str, torch.Tensor], epochs: int,
                batch_size: int, lr: float, seed: int, label: str,
                log: Callable[[str], None]) -> Dict[str, List[float]]:
    """SGD with cross-entropy, ``AnalogSGD`` for analog models; shows a progress bar
    with the running loss. Returns per-epoch ``loss`` and test ``accuracy``."""
    if isinstance(model, AnalogSequential):
        optimizer: torch.optim.Optimizer = AnalogSGD(model.parameters(), lr=lr)
        optimizer.regroup_param_groups(model)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    train_x, train_y = data["train_x"], data["train_y"]
    n_batches = math.ceil(train_x.shape[0] / batch_size)
    order_gen = torch.Generator().manual_seed(seed)
    history: Dict[str, List[float]] = {"loss": [], "accuracy": []}
    bar = _progress(epochs * n_batches, label)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(train_x.shape[0], generator=order_gen).to(train_x.device)
        total, seen = 0.0, 0
        if bar is not None:
            bar.set_description(f"{label} epoch {epoch + 1}/{epochs}")
        for start in range(0, train_x.shape[0], batch_size):
            idx = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total / seen:.4f}", refresh=False)
        history["loss"].append(total / seen)
        history["accuracy"].append(accuracy(model, data["test_x"], data["test_y"]))
        if bar is None:
            log(f"{label} epoch {epoch + 1}/{epochs}  loss {history['loss'][-1]:.4f}  "
                f"test accuracy {history['accuracy'][-1]:.3f}")
    if bar is not None:
        bar.close()
    return history


def drift_accuracies(model: Any, data: Dict[str, torch.Tensor]
                     ) -> List[Tuple[str, float]]:
    """Accuracy right after programming and after each drift time of ``DRIFT_TIMES``."""
    model.eval()
    model.program_analog_weights()
    results = []
    for label, t_inference in (("programming", 0.0),) + DRIFT_TIMES:
        model.drift_analog_weights(t_inference)
        results.append((label, accuracy(model, data["test_x"], data["test_y"])))
    return results


def load_data(seed: int, device: torch.device, n_train: int = 2000,
              n_test: int = 500) -> Dict[str, torch.Tensor]:
    """Embedded glyph data: ``n_train`` training and ``n_test`` test samples."""
    train_x, train_y = noisy_glyphs(n_train, seed=seed)
    test_x, test_y = noisy_glyphs(n_test, seed=seed + 1)
    return {"train_x": train_x.to(device), "train_y": train_y.to(device),
            "test_x": test_x.to(device), "test_y": test_y.to(device)}


def run(config_name: str = DEFAULT_CONFIG, epochs: int = 5, batch_size: int = 16,
        lr: float = DEFAULT_LR, seed: int = 0, device: str = "cpu", out: Optional[str] = "demo_out",
        log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Train the analog network and the floating-point baseline; print and plot.

    Returns:
        ``test_accuracy``, ``baseline_accuracy``, per-epoch ``histories``, ``drift``
        (list of (label, accuracy), inference configurations only), ``plots`` (paths).

    Raises:
        DemoError: bad option values.
    """
    if epochs < 1:
        raise DemoError(f"--epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise DemoError(f"--batch-size must be >= 1, got {batch_size}")
    if not lr > 0:
        raise DemoError(f"--lr must be > 0, got {lr}")
    if device not in ("cpu", "cuda"):
        raise DemoError(f"--device must be cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise DemoError("--device cuda: no CUDA device is available to torch on this machine")
    rpu_config = resolve_config(config_name)
    name = type(rpu_config).__name__
    torch_device = torch.device(device)
    if device == "cpu":
        # the network is tiny: one thread avoids synchronisation costs that dominate here
        torch.set_num_threads(1)
    data = load_data(seed, torch_device)
    log(f"{name} ({config_kind(rpu_config)}): {epochs} epochs on "
        f"{data['train_x'].shape[0]} embedded glyphs, device {device}")

    start = time.perf_counter()
    torch.manual_seed(seed)
    model = build_model(rpu_config).to(torch_device)
    histories = {name: train_model(model, data, epochs, batch_size, lr, seed, name, log)}
    seconds = time.perf_counter() - start
    torch.manual_seed(seed)
    baseline = build_model(None).to(torch_device)
    histories["floating point"] = train_model(baseline, data, epochs, batch_size, lr, seed,
                                              "floating point", log)

    result: Dict[str, Any] = {
        "test_accuracy": histories[name]["accuracy"][-1],
        "baseline_accuracy": histories["floating point"]["accuracy"][-1],
        "histories": histories, "drift": None, "plots": [], "seconds": seconds,
    }
    log(f"test accuracy {name}: {result['test_accuracy']:.3f}   "
        f"floating-point baseline: {result['baseline_accuracy']:.3f}   "
        f"(analog training {seconds:.1f} s)")
    if config_kind(rpu_config) == "inference":
        result["drift"] = drift_accuracies(model, data)
        log("inference test accuracy: " + "   ".join(
            f"after {label}: {acc:.3f}" for label, acc in result["drift"]))
    if out is not None:
        result["plots"] = write_plots(out, histories, rpu_config, log)
    return result


def write_plots(out: str, histories: Dict[str, Dict[str, List[float]]], rpu_config: Any,
                log: Callable[[str], None]) -> List[str]:
    """Write ``learning_curves.png`` and ``device_response.png`` into ``out``."""
    try:
        # pylint: disable=import-outside-toplevel
        from aihwkit.utils.demo_plots import (
            plot_config_response, plot_learning_curves, save_figure)
        from aihwkit.utils.plotting_backend import pyplot
        pyplot()
    except ImportError as exc:
        log(f"plots not written: {exc}")
        return []
    os.makedirs(out, exist_ok=True)
    curves = os.path.join(out, "learning_curves.png")
    response = os.path.join(out, "device_response.png")
    save_figure(plot_learning_curves(histories), curves)
    save_figure(plot_config_response(rpu_config), response)
    log(f"wrote {curves} and {response}")
    return [curves, response]


# ---------------------------------------------------------------------------- CLI
class OneLineParser(argparse.ArgumentParser):
    """Argument parser that reports bad options in one line (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise DemoError(f"{message} (see {self.prog} --help)")


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``demo`` command."""
    parser.add_argument("--rpu-config", metavar="NAME", default=DEFAULT_CONFIG,
                        help="configuration or preset class by name, e.g. "
                             "TikiTakaEcRamPreset, InferenceRPUConfig, "
                             f"FloatingPointRPUConfig (default {DEFAULT_CONFIG})")
    parser.add_argument("--list", action="store_true",
                        help="print the configuration names and exit")
    parser.add_argument("--epochs", type=int, default=5,
                        help="training epochs (>= 1, default 5)")
    parser.add_argument("--batch-size", type=int, default=16,
                        help="mini-batch size (default 16)")
    parser.add_argument("--lr", type=float, default=DEFAULT_LR,
                        help=f"learning rate (default {DEFAULT_LR})")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                        help="where to train (cuda needs a GPU)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", metavar="DIR", default="demo_out",
                        help="folder for learning_curves.png and device_response.png "
                             "(default ./demo_out)")


def build_parser(prog: str = "python -m aihwkit demo") -> argparse.ArgumentParser:
    """Parser of the demo command."""
    parser = OneLineParser(
        prog=prog, description="Train a 35-32-10 analog network on noisy 5x7 pixel digits "
        "that ship with the package, next to a floating-point baseline; print the test "
        "accuracies (inference configurations: also after programming and after 1 hour, "
        "1 day and 1 year of drift) and write learning_curves.png and device_response.png.")
    add_demo_arguments(parser)
    return parser


def print_config_list(write: Callable[[str], None] = print) -> None:
    """One line per configuration: name and kind."""
    for name, cls in available_configs().items():
        write(f"{name:34s} {config_kind(cls())}")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the demo for parsed arguments; returns the exit status."""
    if args.list:
        print_config_list()
        return 0
    run(args.rpu_config, args.epochs, args.batch_size, args.lr, args.seed, args.device,
        args.out)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m aihwkit demo``; bad options exit 2 with one line."""
    try:
        return run_from_args(build_parser().parse_args(argv))
    except DemoError as exc:
        print(f"python -m aihwkit demo: error: {exc}", file=sys.stderr)
        return 2
    except AihwkitException as exc:
        print(f"python -m aihwkit demo: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
