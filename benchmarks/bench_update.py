"""Times the pulsed update engine on the side-by-side training workloads.

For each workload the device engine alone is updated with the workload's operands
(``x``, ``d`` ~ U(-1, 1), learning rate as in ``shared/bench/workloads.py``), once with
the exact reference kernel and once with the automatic (fast) choice, and the ratio is
printed. With ``--full`` the whole training step of the workloads (forward, backward,
update through ``AnalogLinear`` and ``AnalogSGD``) is timed as well, by running
``workloads.py`` from the given path with this package.

    python benchmarks/bench_update.py [--steps N] [--only NAME] [--full PATH/workloads.py]
"""

import argparse
import json
import subprocess
import sys
import time

import torch

from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, ExpStepDevice, SoftBoundsDevice)
from aihwkit.simulator.parameters import UpdateParameters
from aihwkit.simulator.rpu_base.kernels import reference_update
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device

WORKLOADS = {
    # name: (device factory, in_size, out_size, batch, lr)
    "train_constantstep_512x512_b64": (ConstantStepDevice, 512, 512, 64, 0.01),
    "train_constantstep_sparse_512x512_b64": (ConstantStepDevice, 512, 512, 64, 0.0005),
    "train_softbounds_512x512_b64": (SoftBoundsDevice, 512, 512, 64, 0.01),
    "train_expstep_256x256_b32": (ExpStepDevice, 256, 256, 32, 0.01),
    "train_constantstep_1024x1024_b1": (ConstantStepDevice, 1024, 1024, 1, 0.01),
}


def time_updates(factory, n_in, n_out, batch, lr, steps, reference):
    """Milliseconds per update call of a fresh engine (one warm-up call)."""
    torch.manual_seed(0)
    rng = TileRNG(torch.device("cpu"))
    engine = build_device(factory(), n_out, n_in, device=torch.device("cpu"),
                          dtype=torch.float32, rng=rng)
    engine.set_weights(torch.rand(n_out, n_in) * 0.2 - 0.1)
    x = torch.rand(batch, n_in) * 2 - 1
    d = torch.rand(batch, n_out) * 2 - 1
    up = UpdateParameters()
    with reference_update(reference):
        engine.update(x, d, lr, up)
        start = time.perf_counter()
        for _ in range(steps):
            engine.update(x, d, lr, up)
        return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--only", default=None)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--full", default=None, help="path of workloads.py to run as well")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    for name, (factory, n_in, n_out, batch, lr) in WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        fast = time_updates(factory, n_in, n_out, batch, lr, args.steps, reference=False)
        ref = time_updates(factory, n_in, n_out, batch, lr, max(1, args.steps // 2),
                           reference=True)
        print(json.dumps({"name": name, "update_fast_ms": round(fast, 2),
                          "update_reference_ms": round(ref, 2),
                          "fast_over_reference": round(fast / ref, 3)}), flush=True)
        if args.full:
            out = subprocess.run([sys.executable, args.full, "--only", name],
                                 capture_output=True, text=True, check=False)
            print(out.stdout.strip() or out.stderr.strip()[-300:], flush=True)


if __name__ == "__main__":
    main()
