"""Peak memory of one pulsed update, this package against IBM aihwkit 1.1.0.

For each interpreter a fresh process builds an ``AnalogTile`` (public API only, so the
same code runs under both packages), runs one warm-up update, then resets the kernel's
resident-set high-water mark (``/proc/self/clear_refs``, Linux), notes the resident set
``VmRSS`` and runs one more update. The update's working memory is the new high-water
mark ``VmHWM`` minus that resident set: the memory torch's CPU allocator (or the C++
engine) took on top of what was already held. The figure compared between the two is
the peak resident set during the update (state, caches and working memory together).
``tracemalloc`` does not see torch's allocations, which is why the kernel's accounting
is used.

    python benchmarks/bench_memory.py [--anchor PYTHON] [--size 4096] [--batch 16]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys, torch
from aihwkit.simulator.configs import SingleRPUConfig
from aihwkit.simulator.configs.devices import SoftBoundsDevice
from aihwkit.simulator.tiles import AnalogTile

def status(key):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(key)

size, batch = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(1)
torch.manual_seed(0)
tile = AnalogTile(size, size, SingleRPUConfig(device=SoftBoundsDevice()))
tile.set_learning_rate(0.01)
tile.set_weights(torch.rand(size, size) * 0.2 - 0.1)
x = torch.rand(batch, size) * 2 - 1
d = torch.rand(batch, size) * 2 - 1
tile.update(x, d)
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")
before = status("VmRSS")
tile.update(x, d)
peak = status("VmHWM")
print(json.dumps({"rss_before": before, "peak": peak, "update_bytes": peak - before}))
"""


def measure(python: str, size: int, batch: int) -> dict:
    """Figures of one interpreter (bytes)."""
    out = subprocess.run([python, "-c", CHILD, str(size), str(batch)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--anchor", default=None, help="python of the aihwkit 1.1.0 venv")
    parser.add_argument("--ours", default=sys.executable)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    mib = 1 << 20
    ours = measure(args.ours, args.size, args.batch)
    weights = args.size * args.size * 4
    print(f"{args.size}x{args.size} SoftBounds tile, batch {args.batch} "
          f"(one float32 weight matrix = {weights / mib:.0f} MiB)")
    print(f"ours:   update working memory {ours['update_bytes'] / mib:8.1f} MiB "
          f"(resident before {ours['rss_before'] / mib:.0f} MiB)")
    if args.anchor:
        anchor = measure(args.anchor, args.size, args.batch)
        print(f"anchor: update working memory {anchor['update_bytes'] / mib:8.1f} MiB "
              f"(resident before {anchor['rss_before'] / mib:.0f} MiB)")
        # the anchor's engine works in buffers it holds already (working memory ~0), so
        # the figure compared is the peak resident set of the process during the update
        print(f"peak resident during the update: ours {ours['peak'] / mib:.0f} MiB, "
              f"anchor {anchor['peak'] / mib:.0f} MiB, ratio "
              f"{ours['peak'] / max(anchor['peak'], 1):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
