"""Torch calls and host reads per step of the small shared workloads.

Counts with the torch profiler, for one step after warm-up: top-level ``aten::`` calls
(each pays the dispatch cost that dominates small networks), host reads of values
(``aten::_local_scalar_dense`` and ``Tensor.tolist``) and reads of data-dependent sizes
(``aten::nonzero``). Unlike timings these numbers do not depend on the machine load, so
they can be compared between versions on a busy machine.

    python benchmarks/bench_op_counts.py [--only NAME ...]

The workloads are those of ``../shared/bench/workloads.py`` (same configurations, sizes
and seeds); prints a markdown table and the command that produced it.
"""

import argparse
import os
import sys
from typing import Callable, Dict, Tuple

import torch
from torch.profiler import ProfilerActivity, profile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench"))


def _workloads():
    sys.path.insert(0, BENCH)
    import workloads  # pylint: disable=import-outside-toplevel,import-error
    return workloads


def mlp_step(rpu_config) -> Callable[[], None]:
    """One training step of the workloads' MLP (64 -> 64 -> 10, batch 16)."""
    from aihwkit.nn import AnalogLinear, AnalogSequential  # pylint: disable=import-outside-toplevel
    from aihwkit.optim import AnalogSGD  # pylint: disable=import-outside-toplevel
    torch.manual_seed(0)
    model = AnalogSequential(AnalogLinear(64, 64, bias=True, rpu_config=rpu_config),
                             torch.nn.Sigmoid(),
                             AnalogLinear(64, 10, bias=True, rpu_config=rpu_config))
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    x = torch.rand(16, 64)
    y = torch.randint(0, 10, (16,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def layer_step(rpu_config, size: int, batch: int, lr: float = 0.01) -> Callable[[], None]:
    """One training step of a single layer (the workloads' ``train_steps``)."""
    from aihwkit.nn import AnalogLinear  # pylint: disable=import-outside-toplevel
    from aihwkit.optim import AnalogSGD  # pylint: disable=import-outside-toplevel
    torch.manual_seed(0)
    model = AnalogLinear(size, size, bias=False, rpu_config=rpu_config)
    opt = AnalogSGD(model.parameters(), lr=lr)
    opt.regroup_param_groups(model)
    x = torch.rand(batch, size) * 2 - 1
    g = torch.rand(batch, size) * 2 - 1

    def step() -> None:
        opt.zero_grad()
        (model(x) * g).sum().backward()
        opt.step()
    return step


def infer_step(rpu_config, size: int, batch: int) -> Callable[[], None]:
    """One evaluation forward under ``torch.no_grad`` (the workloads' ``infer_steps``)."""
    from aihwkit.nn import AnalogLinear  # pylint: disable=import-outside-toplevel
    torch.manual_seed(0)
    model = AnalogLinear(size, size, bias=False, rpu_config=rpu_config)
    model.eval()
    x = torch.rand(batch, size) - 0.5

    def step() -> None:
        with torch.no_grad():
            model(x)
    return step


def cases() -> Dict[str, Callable[[], Callable[[], None]]]:
    """Workload name -> builder of its step."""
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs import FloatingPointRPUConfig, SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice, SoftBoundsDevice
    work = _workloads()
    return {
        "train_mlp64_b16_floatingpoint": lambda: mlp_step(FloatingPointRPUConfig()),
        "train_mlp64_b16_constantstep":
            lambda: mlp_step(SingleRPUConfig(device=ConstantStepDevice())),
        "train_mlp64_b16_softbounds":
            lambda: mlp_step(SingleRPUConfig(device=SoftBoundsDevice())),
        "train_mlp64_b16_tikitaka_ecram": lambda: mlp_step(work.preset("TikiTakaEcRamPreset")),
        "train_mlp64_b16_mixedprecision_ecram":
            lambda: mlp_step(work.preset("MixedPrecisionEcRamPreset")),
        "train_mlp64_b16_hwa_inference": lambda: mlp_step(work.hwa_config()),
        "train_constantstep_64x64_b1":
            lambda: layer_step(SingleRPUConfig(device=ConstantStepDevice()), 64, 1),
        "infer_singlerpu_64x64_b1":
            lambda: infer_step(SingleRPUConfig(device=ConstantStepDevice()), 64, 1),
    }


def count(step: Callable[[], None]) -> Tuple[int, int, int]:
    """``(top-level aten calls, value reads, size reads)`` of one ``step()``."""
    lists = []
    original = torch.Tensor.tolist

    def counted(self):
        lists.append(1)
        return original(self)

    torch.Tensor.tolist = counted
    try:
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
    finally:
        torch.Tensor.tolist = original
    events = prof.events()
    top = sum(1 for event in events if event.name.startswith("aten::") and (
        event.cpu_parent is None or not event.cpu_parent.name.startswith("aten::")))
    reads = sum(1 for event in events if event.name == "aten::_local_scalar_dense")
    sizes = sum(1 for event in events if event.name == "aten::nonzero")
    return top, reads + len(lists), sizes


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", nargs="*", default=None, help="workload names")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| workload | aten calls / step | value reads / step | size reads / step |")
    print("| --- | ---: | ---: | ---: |")
    for name, build in cases().items():
        if args.only and name not in args.only:
            continue
        step = build()
        for _ in range(4):  # warm-up: caches, running statistics
            step()
        ops, reads, sizes = count(step)
        print(f"| {name} | {ops} | {reads} | {sizes} |", flush=True)
    print(f"\n`python benchmarks/bench_op_counts.py{' --only ' + ' '.join(args.only) if args.only else ''}`")


if __name__ == "__main__":
    main()
