"""GPU benchmarks of the device check: pulsed update, inference forward, HWA training.

Every figure is measured in the same run as its plain-torch baseline:

* dense pulsed update of an ``N x N`` ConstantStep tile at batch ``B`` (ms per update and
  pulses per second; the pulses of one update are counted once with ``count_pulses``);
* inference forward of ``N x N`` at batch ``4 B`` (``InferenceRPUConfig``, eval, no
  autograd) against ``x @ W.T``;
* hardware-aware training step (forward, backward, ``AnalogSGD``) of ``AnalogLinear``
  with ``InferenceRPUConfig`` against ``torch.nn.Linear`` with ``torch.optim.SGD``.

    python benchmarks/bench_gpu.py [--device cuda] [--size 4096] [--batch 256]
                                   [--steps 10] [--json out.json]

Prints one line per figure and a final JSON line. ``--device cpu --size 256`` is a
smoke test of the script only.
"""

import argparse
import json
import time
from typing import Callable, Dict

import torch

from aihwkit.nn import AnalogLinear
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.tiles import AnalogTile
from aihwkit.simulator.tiles.counters import get_pulse_counters


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ms(run: Callable[[], None], device: torch.device, steps: int) -> float:
    """Median milliseconds of ``run`` over ``steps`` calls after two warm-up calls."""
    for _ in range(2):
        run()
    _sync(device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        run()
        _sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2]


def bench_update(size: int, batch: int, steps: int, device: torch.device) -> Dict[str, float]:
    """Dense pulsed update: ms per update call and pulses per second."""
    torch.manual_seed(0)
    x = torch.rand(batch, size, device=device) * 2 - 1
    d = torch.rand(batch, size, device=device) * 2 - 1
    tile = AnalogTile(size, size, rpu_config=SingleRPUConfig(device=ConstantStepDevice()))
    tile.to(device)
    tile.set_learning_rate(0.01)
    ms = time_ms(lambda: tile.update(x, d), device, steps)
    counting = AnalogTile(size, size, rpu_config=SingleRPUConfig(
        device=ConstantStepDevice(count_pulses=True)))
    counting.to(device)
    counting.set_learning_rate(0.01)
    counting.update(x, d)
    pulses = float(get_pulse_counters(counting).sum())
    return {"update_ms": ms, "pulses_per_update": pulses,
            "pulses_per_s": pulses / (ms / 1e3)}


def bench_forward(size: int, batch: int, steps: int, device: torch.device) -> Dict[str, float]:
    """Inference forward against a plain matmul of the same shape."""
    torch.manual_seed(0)
    layer = AnalogLinear(size, size, bias=False, rpu_config=InferenceRPUConfig()).to(device)
    layer.eval()
    weight = layer.get_weights()[0].to(device)
    x = torch.rand(batch, size, device=device) * 2 - 1

    def analog() -> None:
        with torch.no_grad():
            layer(x)

    def plain() -> None:
        with torch.no_grad():
            x @ weight.t()

    analog_ms = time_ms(analog, device, steps)
    plain_ms = time_ms(plain, device, steps)
    return {"forward_ms": analog_ms, "matmul_ms": plain_ms, "forward_ratio": analog_ms / plain_ms}


def bench_hwa(size: int, batch: int, steps: int, device: torch.device) -> Dict[str, float]:
    """HWA training step against ``torch.nn.Linear`` + SGD."""
    torch.manual_seed(0)
    layer = AnalogLinear(size, size, bias=True, rpu_config=InferenceRPUConfig()).to(device)
    opt = AnalogSGD(layer.parameters(), lr=0.01)
    opt.regroup_param_groups(layer)
    digital = torch.nn.Linear(size, size).to(device)
    digital_opt = torch.optim.SGD(digital.parameters(), lr=0.01)
    x = torch.rand(batch, size, device=device) * 2 - 1

    def step(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Callable[[], None]:
        def run() -> None:
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            optimizer.step()
        return run

    analog_ms = time_ms(step(layer, opt), device, steps)
    plain_ms = time_ms(step(digital, digital_opt), device, steps)
    return {"hwa_step_ms": analog_ms, "torch_step_ms": plain_ms, "hwa_ratio": analog_ms / plain_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench_gpu.py: no CUDA device (use --device cpu for a smoke run)")
    n, b = args.size, args.batch
    figures: Dict[str, float] = {"size": n, "batch": b}
    figures.update(bench_update(n, b, args.steps, device))
    print(f"pulsed update {n}x{n} batch {b}: {figures['update_ms']:.2f} ms/step, "
          f"{figures['pulses_per_s']:.3e} pulses/s "
          f"({figures['pulses_per_update']:.3e} pulses per update)", flush=True)
    figures.update(bench_forward(n, 4 * b, args.steps, device))
    print(f"inference forward {n}x{n} batch {4 * b}: {figures['forward_ms']:.2f} ms vs matmul "
          f"{figures['matmul_ms']:.2f} ms = {figures['forward_ratio']:.2f}x (goal <= 1.5x)",
          flush=True)
    figures.update(bench_hwa(n, 4 * b, args.steps, device))
    print(f"HWA training step {n}x{n} batch {4 * b}: {figures['hwa_step_ms']:.2f} ms vs torch "
          f"{figures['torch_step_ms']:.2f} ms = {figures['hwa_ratio']:.2f}x (goal <= 2x)",
          flush=True)
    if device.type == "cuda":
        figures["device_name"] = torch.cuda.get_device_name(device)
    print(json.dumps(figures))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)


if __name__ == "__main__":
    main()
