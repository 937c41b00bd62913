"""Speed of ``torch.compile`` against eager for models with analog layers.

A three-layer MLP (``--dim`` wide) of analog layers is timed eagerly and compiled, for
inference (eval, no autograd) and for a training step (forward, backward, ``AnalogSGD``),
with the configurations that compile: floating point, ``InferenceRPUConfig`` and
``TorchInferenceRPUConfig`` (each with its default noisy forward, which breaks the graph
at the tile's random draws, and with a perfect forward, which compiles in one graph).
The first compiled call (the compilation) is reported separately.

    python benchmarks/bench_compile.py [--dim 512] [--batch 256] [--steps 20]
                                       [--backend inductor] [--device cpu]
"""

import argparse
import copy
import json
import time
from typing import Callable, Dict

import torch

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (FloatingPointRPUConfig, InferenceRPUConfig,
                                       TorchInferenceRPUConfig)
from aihwkit.simulator.parameters import IOParameters

CONFIGS = {
    "floating_point": FloatingPointRPUConfig,
    "inference": InferenceRPUConfig,
    "inference_perfect": lambda: InferenceRPUConfig(forward=IOParameters(is_perfect=True)),
    "inference_torch": TorchInferenceRPUConfig,
    "inference_torch_perfect": lambda: TorchInferenceRPUConfig(
        forward=IOParameters(is_perfect=True)),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(run: Callable[[], None], device: torch.device, steps: int) -> float:
    """Median ms per call (after one warm-up call)."""
    run()
    _sync(device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        run()
        _sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[len(times) // 2]


def _first_call(run: Callable[[], None], device: torch.device) -> float:
    start = time.perf_counter()
    run()
    _sync(device)
    return time.perf_counter() - start


def bench(name: str, args: argparse.Namespace) -> Dict[str, float]:
    """Eager and compiled ms for inference and training of one configuration."""
    device = torch.device(args.device)
    torch.manual_seed(0)
    config = CONFIGS[name]()
    model = AnalogSequential(AnalogLinear(args.dim, args.dim, rpu_config=config),
                             torch.nn.ReLU(),
                             AnalogLinear(args.dim, args.dim, rpu_config=config),
                             torch.nn.ReLU(),
                             AnalogLinear(args.dim, 10, rpu_config=config)).to(device)
    x = torch.rand(args.batch, args.dim, device=device)
    result: Dict[str, float] = {}

    def infer(runner: Callable) -> Callable[[], None]:
        def run() -> None:
            with torch.no_grad():
                runner(x)
        return run

    def train(net: AnalogSequential, runner: Callable) -> Callable[[], None]:
        opt = AnalogSGD(net.parameters(), lr=0.01)
        opt.regroup_param_groups(net)

        def run() -> None:
            opt.zero_grad()
            runner(x).pow(2).mean().backward()
            opt.step()
        return run

    model.eval()
    compiled = torch.compile(model, backend=args.backend)
    result["compile_infer_s"] = _first_call(infer(compiled), device)
    result["eager_infer_ms"] = _time(infer(model), device, args.steps)
    result["compiled_infer_ms"] = _time(infer(compiled), device, args.steps)
    trained = copy.deepcopy(model).train()
    compiled_train = torch.compile(trained, backend=args.backend)
    step = train(trained, compiled_train)
    result["compile_train_s"] = _first_call(step, device)
    result["compiled_train_ms"] = _time(step, device, args.steps)
    model.train()
    result["eager_train_ms"] = _time(train(model, model), device, args.steps)
    result["infer_speedup"] = result["eager_infer_ms"] / result["compiled_infer_ms"]
    result["train_speedup"] = result["eager_train_ms"] / result["compiled_train_ms"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--backend", default="inductor")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", default=None, choices=sorted(CONFIGS))
    args = parser.parse_args()
    figures = {}
    for name in CONFIGS:
        if args.only and name != args.only:
            continue
        torch._dynamo.reset()  # pylint: disable=protected-access
        row = bench(name, args)
        figures[name] = row
        print(f"{name:24s} inference eager {row['eager_infer_ms']:8.2f} ms, compiled "
              f"{row['compiled_infer_ms']:8.2f} ms ({row['infer_speedup']:.2f}x); training "
              f"eager {row['eager_train_ms']:8.2f} ms, compiled {row['compiled_train_ms']:8.2f}"
              f" ms ({row['train_speedup']:.2f}x); compile {row['compile_infer_s']:.1f} s + "
              f"{row['compile_train_s']:.1f} s", flush=True)
    print(json.dumps({"backend": args.backend, "dim": args.dim, "batch": args.batch,
                      "figures": figures}))


if __name__ == "__main__":
    main()
