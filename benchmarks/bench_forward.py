"""Cost of the IO-managed forward pass relative to a plain torch matmul of the same shape.

Measures, in one run and interleaved with the baseline so that machine load affects both:
  (a) ``IOManager.mvm`` with default ``IOParameters`` (ABS_MAX noise management,
      ITERATIVE bound management, 7-bit DAC, 9-bit ADC, output noise 0.06);
  (b) ``AnalogLinear(n, n, bias=False)`` in eval mode under ``torch.no_grad()`` with
      ``InferenceRPUConfig()`` and ``SingleRPUConfig()``, as the inference workloads do.

Usage:
    python benchmarks/bench_forward.py [--size 1024] [--batch 256] [--threads N]
                                       [--steps 10] [--rounds 7] [--dtype float32]
Prints one line per case: median milliseconds per call and the ratio to the matmul.
"""

import argparse
import statistics
import time
from typing import Callable, List, Optional

import torch


def _time(fn: Callable[[], object], steps: int) -> float:
    """Mean seconds per call over ``steps`` calls."""
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps


def _compare(baseline: Callable[[], object], candidate: Callable[[], object], steps: int,
             rounds: int) -> List[float]:
    """Median seconds per call of baseline and candidate, measured in alternating rounds."""
    baseline()
    candidate()
    base: List[float] = []
    cand: List[float] = []
    for _ in range(rounds):
        base.append(_time(baseline, steps))
        cand.append(_time(candidate, steps))
    return [statistics.median(base), statistics.median(cand)]


def _report(name: str, base: float, cand: float) -> None:
    print(f"{name:<44s} {cand * 1e3:9.3f} ms   matmul {base * 1e3:8.3f} ms   "
          f"ratio {cand / base:5.2f}", flush=True)


def bench_io_manager(size: int, batch: int, dtype: torch.dtype, steps: int,
                     rounds: int) -> None:
    """(a) the periphery alone."""
    from aihwkit.simulator.parameters.io import IOParameters
    from aihwkit.simulator.rpu_base.periphery import IOManager
    from aihwkit.simulator.rpu_base.rng import TileRNG

    torch.manual_seed(0)
    device = torch.device("cpu")
    weights = (torch.rand(size, size, dtype=dtype) * 2 - 1) / size ** 0.5
    x = torch.rand(batch, size, dtype=dtype) - 0.5
    manager = IOManager(IOParameters(), size, size, is_backward=False, device=device,
                        dtype=dtype, rng=TileRNG(device, 0))
    base, cand = _compare(lambda: x @ weights.t(), lambda: manager.mvm(weights, x, True),
                          steps, rounds)
    _report(f"IOManager.mvm {size}x{size} b{batch}", base, cand)


def _analog_linear(config_name: str, size: int) -> Optional[torch.nn.Module]:
    try:
        from aihwkit.nn import AnalogLinear
        from aihwkit.simulator import configs
    except ImportError as exc:
        print(f"AnalogLinear ({config_name}): not available ({exc})", flush=True)
        return None
    try:
        rpu_config = getattr(configs, config_name)()
        torch.manual_seed(0)
        model = AnalogLinear(size, size, bias=False, rpu_config=rpu_config)
    except ImportError as exc:
        print(f"AnalogLinear ({config_name}): not available ({exc})", flush=True)
        return None
    except Exception as exc:  # pylint: disable=broad-except
        print(f"AnalogLinear ({config_name}): error {type(exc).__name__}: {exc}", flush=True)
        return None
    model.eval()
    return model


def bench_layer(config_name: str, size: int, batch: int, steps: int, rounds: int) -> None:
    """(b) a whole analog layer in inference, as in the inference workloads."""
    model = _analog_linear(config_name, size)
    if model is None:
        return
    torch.manual_seed(0)
    x = torch.rand(batch, size) - 0.5
    weights = torch.rand(size, size) - 0.5
    with torch.no_grad():
        try:
            base, cand = _compare(lambda: x @ weights.t(), lambda: model(x), steps, rounds)
        except Exception as exc:  # pylint: disable=broad-except
            print(f"AnalogLinear ({config_name}): error {type(exc).__name__}: {exc}",
                  flush=True)
            return
    _report(f"AnalogLinear {size}x{size} b{batch} {config_name}", base, cand)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--steps", type=int, default=10, help="calls per timing round")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (median)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.dtype}",
          flush=True)
    bench_io_manager(args.size, args.batch, dtype, args.steps, args.rounds)
    for config_name in ("InferenceRPUConfig", "SingleRPUConfig"):
        bench_layer(config_name, args.size, args.batch, args.steps, args.rounds)


if __name__ == "__main__":
    main()
