"""Compound training workloads side by side with a baseline aihwkit interpreter.

Runs ``train_tikitaka_256x256_b16`` and ``train_mixedprecision_256x256_b16`` of
``workloads.py`` (the public-API workloads) alternately with this package and with a
baseline interpreter (IBM aihwkit 1.1.0 in its own virtual environment), several rounds
each, so that machine load affects both alike, and prints the median milliseconds per
step and their ratio. Without a baseline interpreter only our figures are printed, next
to the recorded anchor figures.

    python benchmarks/bench_compounds.py [--workloads PATH/workloads.py]
        [--baseline PATH/bin/python] [--rounds 3] [--threads N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Dict, List, Optional

NAMES = ("train_tikitaka_256x256_b16", "train_mixedprecision_256x256_b16")
GOALS = {"train_tikitaka_256x256_b16": 0.33, "train_mixedprecision_256x256_b16": 0.5}
RECORDED = {"train_tikitaka_256x256_b16": 213.0, "train_mixedprecision_256x256_b16": 31.3}


def run_once(python: str, workloads: str, name: str, threads: Optional[int]) -> float:
    """Milliseconds per step of one workload run in a fresh interpreter."""
    env = dict(os.environ)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    out = subprocess.run([python, workloads, "--only", name], capture_output=True, text=True,
                         env=env, cwd=os.path.dirname(os.path.abspath(workloads)), check=False)
    for line in out.stdout.splitlines():
        record = json.loads(line)
        if record.get("name") == name:
            if "error" in record:
                raise RuntimeError(f"{python}: {record['error']}")
            return float(record["ms_per_step"])
    raise RuntimeError(f"{python} produced no result for {name}:\n{out.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", default="/work/shared/bench/workloads.py")
    parser.add_argument("--baseline", default="/work/anchor/bin/python")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    have_baseline = os.path.exists(args.baseline)
    for name in NAMES:
        ours: List[float] = []
        base: List[float] = []
        for _ in range(args.rounds):
            if have_baseline:
                base.append(run_once(args.baseline, args.workloads, name, args.threads))
            ours.append(run_once(sys.executable, args.workloads, name, args.threads))
        ours_ms = statistics.median(ours)
        result: Dict[str, object] = {"name": name, "ours_ms": round(ours_ms, 2),
                                     "goal_ratio": GOALS[name]}
        if have_baseline:
            base_ms = statistics.median(base)
            result.update(baseline_ms=round(base_ms, 2), ratio=round(ours_ms / base_ms, 3),
                          ratios=[round(o / b, 3) for o, b in zip(ours, base)])
        else:
            result.update(recorded_anchor_ms=RECORDED[name],
                          ratio_to_recorded=round(ours_ms / RECORDED[name], 3))
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
