"""Cost of analog convolutions relative to the same computation with torch layers.

Measures, in one run and interleaved with the baseline so that machine load affects both:
  (a) one LeNet-5 training step (batch 32, 1x28x28 inputs: two 5x5 convolutions with tanh
      and 2x2 max pooling, three linear layers, cross entropy, SGD) with analog layers
      against the same network built from ``torch.nn.Conv2d``/``torch.nn.Linear``;
  (b) the forward of a 64 -> 64 channel 3x3 convolution (padding 1, batch 16, 32x32) in
      eval mode under ``torch.no_grad()`` against ``torch.nn.Conv2d``.
Each case runs for every configuration named with ``--configs``.

Usage:
    python benchmarks/bench_conv.py [--configs FloatingPointRPUConfig,InferenceRPUConfig,...]
                                    [--steps 5] [--rounds 5] [--threads N]
Prints one line per case: median milliseconds per call, the torch baseline and the ratio.
"""

import argparse
import statistics
import time
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_CONFIGS = ("FloatingPointRPUConfig,InferenceRPUConfig,TorchInferenceRPUConfig,"
                   "SingleRPUConfig")


def _time(fn: Callable[[], object], steps: int) -> float:
    """Mean seconds per call over ``steps`` calls."""
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def _compare(baseline: Callable[[], object], candidate: Callable[[], object], steps: int,
             rounds: int) -> Tuple[float, float]:
    """Median seconds per call of baseline and candidate, measured in alternating rounds."""
    baseline()
    candidate()
    base: List[float] = []
    cand: List[float] = []
    for _ in range(rounds):
        base.append(_time(baseline, steps))
        cand.append(_time(candidate, steps))
    return statistics.median(base), statistics.median(cand)


def _report(name: str, base: float, cand: float) -> None:
    print(f"{name:<62s} {cand * 1e3:9.3f} ms   torch {base * 1e3:8.3f} ms   "
          f"ratio {cand / base:7.2f}", flush=True)


def _lenet(conv: Callable[..., nn.Module], linear: Callable[..., nn.Module]) -> nn.Module:
    return nn.Sequential(
        conv(1, 6, 5), nn.Tanh(), nn.MaxPool2d(2),
        conv(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(),
        linear(256, 120), nn.Tanh(), linear(120, 84), nn.Tanh(), linear(84, 10))


def _train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                y: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step


def bench_lenet(config_name: str, steps: int, rounds: int) -> None:
    """(a) LeNet-5 training step, batch 32."""
    from aihwkit.nn import AnalogConv2d, AnalogLinear, AnalogSequential
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator import configs

    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))
    digital = _lenet(nn.Conv2d, nn.Linear)
    digital_opt = torch.optim.SGD(digital.parameters(), lr=0.05)
    config = getattr(configs, config_name)()
    analog = AnalogSequential(*_lenet(
        lambda *a: AnalogConv2d(*a, rpu_config=config),
        lambda *a: AnalogLinear(*a, rpu_config=config)))
    analog_opt = AnalogSGD(analog.parameters(), lr=0.05)
    analog_opt.regroup_param_groups(analog)
    base, cand = _compare(_train_step(digital, digital_opt, x, y),
                          _train_step(analog, analog_opt, x, y), steps, rounds)
    _report(f"LeNet-5 train step b32 ({config_name})", base, cand)


def bench_conv_forward(config_name: str, steps: int, rounds: int) -> None:
    """(b) 64-channel 3x3 convolution forward, batch 16 at 32x32."""
    from aihwkit.nn import AnalogConv2d
    from aihwkit.simulator import configs

    torch.manual_seed(0)
    x = torch.rand(16, 64, 32, 32)
    digital = nn.Conv2d(64, 64, 3, padding=1).eval()
    analog = AnalogConv2d.from_digital(digital, getattr(configs, config_name)()).eval()

    def run(model: nn.Module) -> Callable[[], object]:
        def call() -> object:
            with torch.no_grad():
                return model(x)
        return call

    base, cand = _compare(run(digital), run(analog), steps, rounds)
    _report(f"Conv2d 64->64 3x3 b16 32x32 forward ({config_name})", base, cand)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--configs", default=DEFAULT_CONFIGS,
                        help="comma-separated RPU config class names")
    parser.add_argument("--steps", type=int, default=5, help="calls per timed round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timed rounds")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    for name in args.configs.split(","):
        bench_lenet(name, args.steps, args.rounds)
    for name in args.configs.split(","):
        bench_conv_forward(name, args.steps, args.rounds)


if __name__ == "__main__":
    main()
