"""Side-by-side table: the shared workloads under this package and under IBM aihwkit 1.1.0.

Runs ``../shared/bench/workloads.py`` as separate processes under two interpreters, one
workload at a time and alternating between them (``--rounds`` times each, median kept),
so that both see the same machine state. Prints one markdown table with the ratio
ours / anchor and the goal from ``ANCHOR.md``, a second one with ours / a plain torch
matmul of the same shape for the rows whose goal is set against one, and the command
that produced them.
Measure on a quiet machine: with other processes running the figures mean little.

    python benchmarks/bench_side_by_side.py --anchor /path/to/anchor-venv/bin/python \
        [--ours PYTHON] [--threads N] [--rounds R] [--quick] [--busy] [--only NAME ...]

The anchor environment is made by ``../shared/bench/setup_anchor.sh DIR``.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench"))
WORKLOADS = os.path.join(BENCH, "workloads.py")


def workload_names() -> List[str]:
    """Names of the workloads, in the file's order (read without importing aihwkit)."""
    with open(WORKLOADS, encoding="utf-8") as handle:
        text = handle.read()
    block = text[text.index("WORKLOADS = {"):]
    return re.findall(r'^\s*"(\w+)":\s*\(lambda', block, flags=re.M)


def goals() -> Dict[str, str]:
    """Goal column of ``ANCHOR.md`` per workload (the text as written)."""
    found = {}
    with open(os.path.join(BENCH, "ANCHOR.md"), encoding="utf-8") as handle:
        for line in handle:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and re.match(r"^\w+", cells[0]) and "<=" in cells[2]:
                found[cells[0].split()[0]] = cells[2]
    return found


def run_once(python: str, name: str, threads: int, quick: bool) -> Optional[float]:
    """ms per step of one workload in a fresh process (``None`` on error)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.pop("PYTHONPATH", None)
    cmd = [python, WORKLOADS, "--only", name] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=BENCH,
                         env=env).stdout
    for line in out.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("name") == name and "ms_per_step" in row:
            return float(row["ms_per_step"])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--anchor", required=True, help="python of the aihwkit 1.1.0 venv")
    parser.add_argument("--ours", default=sys.executable, help="python with this package")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--busy", action="store_true",
                        help="keep one core busy with a spinning process during the runs "
                             "(the shared-machine case)")
    args = parser.parse_args()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy \
        else None
    try:
        return _table(args)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def _table(args: argparse.Namespace) -> int:
    """Run the workloads and print the table."""
    names = [name for name in workload_names()
             if not args.only or any(part in name for part in args.only)]
    targets = goals()
    measured: Dict[str, Optional[float]] = {}
    print("| workload | ours ms/step | aihwkit 1.1.0 ms/step | ratio | goal |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name in names:
        ours: List[float] = []
        anchor: List[float] = []
        for _ in range(args.rounds):
            for python, values in ((args.ours, ours), (args.anchor, anchor)):
                value = run_once(python, name, args.threads, args.quick)
                if value is not None:
                    values.append(value)
        mine = statistics.median(ours) if ours else None
        theirs = statistics.median(anchor) if anchor else None
        ratio = f"{mine / theirs:.2f}" if mine and theirs else "n/a"
        print(f"| {name} | {_figure(mine)} | {_figure(theirs)} | {ratio} | "
              f"{targets.get(name, '')} |", flush=True)
        measured[name] = mine
    _matmul_table(args, [name for name in names if "matmul" in targets.get(name, "")],
                  measured)
    print()
    print("Command: " + " ".join([os.path.relpath(sys.executable)] + sys.argv)
          + f"  (medians of {args.rounds} alternating runs, {args.threads} threads"
          + (", one core kept busy)" if args.busy else ")"))
    return 0


_MATMUL = """
import sys, time, torch
n_in, n_out, batch = (int(v) for v in sys.argv[1:4])
x, w = torch.rand(batch, n_in), torch.rand(n_out, n_in)
x @ w.t()
start = time.perf_counter()
for _ in range(int(sys.argv[4])):
    x @ w.t()
print((time.perf_counter() - start) / int(sys.argv[4]) * 1e3)
"""


def _matmul_table(args: argparse.Namespace, names: List[str],
                  measured: Dict[str, Optional[float]]) -> None:
    """For the inference rows whose goal is set against a plain torch matmul: the matmul
    of the same shape ``[batch, in] x [in, out]`` in a fresh process with the same
    threads (median of ``--rounds``), and ours divided by it."""
    rows = [(name, match) for name in names
            if (match := re.match(r"infer_\w+?_(\d+)x(\d+)_b(\d+)$", name))]
    if not rows:
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    print()
    print("| workload | ours ms/step | plain torch matmul ms | ours / matmul |")
    print("| --- | ---: | ---: | ---: |")
    for name, match in rows:
        n_in, n_out, batch = match.groups()
        steps = "3" if int(n_in) * int(n_out) * int(batch) > 1 << 30 else "20"
        times = []
        for _ in range(args.rounds):
            out = subprocess.run([args.ours, "-c", _MATMUL, n_in, n_out, batch, steps],
                                 capture_output=True, text=True, check=False, env=env)
            try:
                times.append(float(out.stdout.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                continue
        plain = statistics.median(times) if times else None
        mine = measured.get(name)
        ratio = f"{mine / plain:.2f}" if mine and plain else "n/a"
        print(f"| {name} | {_figure(mine)} | {_figure(plain)} | {ratio} |", flush=True)


def _figure(value: Optional[float]) -> str:
    """Milliseconds with three significant digits ('error' when the run failed)."""
    return "error" if value is None else f"{value:.3g}"


if __name__ == "__main__":
    sys.exit(main())
