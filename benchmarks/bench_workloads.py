"""Runs the shared workload set with this package and prints ratios.

    python benchmarks/bench_workloads.py [--quick] [--only NAME] [--anchor PYTHON]

Ratios printed per workload:
- ``train_floatingpoint_*``: against ``train_digital_torch_*`` (plain torch) in the same run.
- ``infer_*``: against a plain torch matmul of the same shape timed in the same run.
- every workload: against IBM aihwkit 1.1.0 run side by side when ``--anchor`` names the
  Python of an anchor environment (see ../shared/bench/setup_anchor.sh); otherwise against
  the anchor figures recorded in ../shared/bench/ANCHOR.md (marked "recorded").
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from typing import Dict, Optional

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "shared", "bench")


def _load_workloads():
    spec = importlib.util.spec_from_file_location("workloads", os.path.join(BENCH, "workloads.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recorded_anchor() -> Dict[str, float]:
    figures = {}
    with open(os.path.join(BENCH, "ANCHOR.md"), encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"\|\s*(\w+)[^|]*\|\s*([\d.]+)\s*\|", line)
            if match:
                figures[match.group(1)] = float(match.group(2))
    return figures


def _anchor_side_by_side(python: str, name: str, quick: bool) -> Optional[float]:
    cmd = [python, os.path.join(BENCH, "workloads.py"), "--only", name]
    if quick:
        cmd.append("--quick")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        row = json.loads(line)
        if row.get("name") == name and "ms_per_step" in row:
            return row["ms_per_step"]
    return None


def _matmul_ms(n_in: int, n_out: int, batch: int, steps: int = 20) -> float:
    x = torch.rand(batch, n_in)
    w = torch.rand(n_out, n_in)
    x @ w.t()
    start = time.perf_counter()
    for _ in range(steps):
        x @ w.t()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=None)
    parser.add_argument("--anchor", default=None, help="python of an aihwkit 1.1.0 venv")
    args = parser.parse_args()
    workloads = _load_workloads()
    recorded = _recorded_anchor()
    ours: Dict[str, float] = {}
    for name, (fn, steps, quick) in workloads.WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        try:
            ours[name] = fn(quick if args.quick else steps) * 1e3
        except Exception as exc:  # report and go on, like workloads.py
            print(json.dumps({"name": name, "error": f"{type(exc).__name__}: {exc}"[:300]}))
            continue
        row = {"name": name, "ms_per_step": round(ours[name], 3)}
        if name.startswith("train_floatingpoint"):
            digital = workloads.WORKLOADS[name.replace("floatingpoint", "digital_torch")]
            ms = digital[0](digital[2] if args.quick else digital[1]) * 1e3
            row["torch_ms"] = round(ms, 3)
            row["ratio_to_torch"] = round(ours[name] / ms, 3)
        if name.startswith("infer_"):
            size = int(re.search(r"_(\d+)x", name).group(1))
            batch = int(re.search(r"_b(\d+)", name).group(1))
            ms = _matmul_ms(size, size, batch)
            row["matmul_ms"] = round(ms, 3)
            row["ratio_to_matmul"] = round(ours[name] / ms, 3)
        anchor = _anchor_side_by_side(args.anchor, name, args.quick) if args.anchor else None
        if anchor is not None:
            row["anchor_ms"] = anchor
            row["ratio_to_anchor"] = round(ours[name] / anchor, 3)
        elif name in recorded:
            row["anchor_ms_recorded"] = recorded[name]
            row["ratio_to_anchor_recorded"] = round(ours[name] / recorded[name], 3)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    sys.exit(main())
