"""Two-process DDP training on the gloo backend; run as a script by the DDP tests.

Usage: ``python platform_ddp_worker.py OUT_DIR PORT``. Each rank writes
``OUT_DIR/rank{r}.pt`` with its final weights per configuration; rank 0 also writes the
weights of a single-process reference trained on the concatenated global batches.
"""

import copy
import datetime
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (InferenceRPUConfig, SingleRPUConfig,
                                       TorchInferenceRPUConfig)
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import IOParameters, UpdateParameters
from aihwkit.simulator.parameters.enums import PulseType

WORLD = 2
STEPS = 4
BATCH = (5, 7)  # unequal local batch sizes: the trace gathering pads and trims


def deterministic_pulsed() -> SingleRPUConfig:
    """Pulsed config without any noise: its update is a function of the traces only."""
    device = ConstantStepDevice(dw_min=0.01, dw_min_std=0.0, dw_min_dtod=0.0,
                                up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0)
    return SingleRPUConfig(device=device, forward=IOParameters(is_perfect=True),
                           backward=IOParameters(is_perfect=True),
                           update=UpdateParameters(pulse_type=PulseType.DETERMINISTIC_IMPLICIT))


def exact_hwa() -> InferenceRPUConfig:
    """Hardware-aware training config with a perfect forward (no random draws)."""
    return InferenceRPUConfig(forward=IOParameters(is_perfect=True))


CONFIGS = {
    "hwa": InferenceRPUConfig,
    "hwa_exact": exact_hwa,
    "hwa_torch": TorchInferenceRPUConfig,
    "pulsed": SingleRPUConfig,
    "pulsed_exact": deterministic_pulsed,
}


def build(name: str) -> AnalogSequential:
    """A two-layer analog MLP ``8 -> 6 -> 3``."""
    config = CONFIGS[name]()
    bias = name.startswith("hwa")
    return AnalogSequential(AnalogLinear(8, 6, bias=bias, rpu_config=config), torch.nn.ReLU(),
                            AnalogLinear(6, 3, bias=bias, rpu_config=config))


def batches(rank: int) -> list:
    """The local batches of ``rank`` (the same on every call)."""
    gen = torch.Generator().manual_seed(100 + rank)
    return [(torch.randn(BATCH[rank], 8, generator=gen),
             torch.randn(BATCH[rank], 3, generator=gen)) for _ in range(STEPS)]


def weights(model: AnalogSequential) -> list:
    """Tile weights of every layer."""
    return [layer.get_weights()[0].clone() for layer in (model[0], model[2])]


def train(model: torch.nn.Module, analog: AnalogSequential, data: list) -> None:
    """Plain training loop: MSE loss, AnalogSGD, no extra DDP step."""
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(analog)
    for x, y in data:
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()


def reference(initial: AnalogSequential) -> list:
    """Single process on the concatenated batches, loss = mean of the ranks' losses."""
    model = copy.deepcopy(initial)
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    local = [batches(rank) for rank in range(WORLD)]
    for step in range(STEPS):
        opt.zero_grad()
        xs = [local[rank][step][0] for rank in range(WORLD)]
        ys = [local[rank][step][1] for rank in range(WORLD)]
        out = model(torch.cat(xs))
        sizes = [x.shape[0] for x in xs]
        parts = torch.split(out, sizes)
        loss = sum(torch.nn.functional.mse_loss(p, y) for p, y in zip(parts, ys)) / WORLD
        loss.backward()
        opt.step()
    return weights(model)


def run(rank: int, out_dir: str, port: int) -> None:
    """One rank: train every configuration under DDP and save the weights."""
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD,
                            timeout=datetime.timedelta(seconds=60))
    result = {}
    try:
        for name in CONFIGS:
            # different construction seeds per rank: DDP and the first analog step must
            # bring every replica to rank 0's state
            torch.manual_seed(10 + rank)
            model = build(name)
            initial = copy.deepcopy(model)
            train(DistributedDataParallel(model), model, batches(rank))
            result[name] = weights(model)
            result[name + "_initial"] = weights(initial)
            if rank == 0 and name in ("hwa_exact", "pulsed_exact"):
                result[name + "_reference"] = reference(initial)
    finally:
        dist.destroy_process_group()
    torch.save(result, os.path.join(out_dir, f"rank{rank}.pt"))


if __name__ == "__main__":
    mp.spawn(run, args=(sys.argv[1], int(sys.argv[2])), nprocs=WORLD, join=True)
