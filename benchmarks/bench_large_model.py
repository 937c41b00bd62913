"""Peak memory of converting and running a 100M-parameter transformer-shaped stack.

The stack has ``--blocks`` blocks of ``nn.Linear`` layers shaped like a transformer
(``d -> 3d`` attention projections, ``d -> d`` output, ``d -> 4d -> d`` MLP, residuals),
``12 d^2`` weights per block: ``d = 1024`` and 8 blocks give 100.7M parameters.

Each case runs in its own subprocess and reports its peak resident set size
(``resource.getrusage``), so the figures do not mix:

* ``digital_infer`` / ``digital_train``: the torch model, forward (no autograd) or
  two SGD steps;
* ``analog_infer`` / ``hwa_train``: the model built on the ``meta`` device (no weights
  allocated), converted with ``convert_to_analog``, weights loaded layer by layer from a
  memory-mapped checkpoint, then forward or two ``AnalogSGD`` steps.

    python benchmarks/bench_large_model.py [--dim 1024] [--blocks 8] [--batch 4]
                                           [--seq 128] [--config inference|torch]

Prints the peaks and the ratios analog / digital of the memory added above the imported
libraries (goal: HWA training <= 1.3x). Figures are only meaningful on a quiet machine.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from typing import Dict

import torch
from torch import nn


class Block(nn.Module):
    """Transformer-shaped block of linear layers (no attention softmax: the cost is in
    the layers)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.up = nn.Linear(dim, 4 * dim)
        self.down = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pylint: disable=arguments-differ
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        x = x + self.proj(torch.tanh(q) * torch.sigmoid(k) * v)
        return x + self.down(torch.nn.functional.gelu(self.up(x)))


def build(dim: int, blocks: int) -> nn.Sequential:
    """The stack (on the current default device)."""
    return nn.Sequential(*[Block(dim) for _ in range(blocks)])


def peak_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _config(name: str):
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs import InferenceRPUConfig, TorchInferenceRPUConfig
    return {"inference": InferenceRPUConfig, "torch": TorchInferenceRPUConfig}[name]()


def _analog(args: argparse.Namespace) -> nn.Module:
    # pylint: disable=import-outside-toplevel
    from aihwkit.nn import AnalogLinear
    from aihwkit.nn.conversion import convert_to_analog
    with torch.device("meta"):
        digital = build(args.dim, args.blocks)
    model = convert_to_analog(digital, _config(args.config))
    state = torch.load(args.checkpoint, mmap=True, weights_only=True)
    for name, module in model.named_modules():
        if isinstance(module, AnalogLinear):
            module.set_weights(state[name + ".weight"], state[name + ".bias"])
    return model


def _digital(args: argparse.Namespace) -> nn.Module:
    model = build(args.dim, args.blocks)
    model.load_state_dict(torch.load(args.checkpoint, mmap=True, weights_only=True))
    return model


def child(args: argparse.Namespace) -> Dict[str, float]:
    """Run one case and return its figures."""
    torch.manual_seed(0)
    start = peak_mb()
    model = _analog(args) if args.case.startswith(("analog", "hwa")) else _digital(args)
    params = sum(p.numel() for p in model.parameters())
    x = torch.randn(args.batch, args.seq, args.dim)
    if args.case.endswith("infer"):
        model.eval()
        with torch.no_grad():
            model(x)
    else:
        # pylint: disable=import-outside-toplevel
        from aihwkit.optim import AnalogSGD
        opt = (AnalogSGD(model.parameters(), lr=0.01) if args.case == "hwa_train"
               else torch.optim.SGD(model.parameters(), lr=0.01))
        if args.case == "hwa_train":
            opt.regroup_param_groups(model)
        for _ in range(2):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    return {"case": args.case, "parameters": params, "start_mb": start, "peak_mb": peak_mb()}


def make_checkpoint(args: argparse.Namespace) -> None:
    """Write random weights of the stack to ``args.checkpoint``."""
    torch.manual_seed(0)
    torch.save(build(args.dim, args.blocks).state_dict(), args.checkpoint)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--config", choices=["inference", "torch"], default="torch")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case == "checkpoint":
        make_checkpoint(args)
        return
    if args.case is not None:
        print(json.dumps(child(args)))
        return
    common = ["--dim", str(args.dim), "--blocks", str(args.blocks), "--batch",
              str(args.batch), "--seq", str(args.seq), "--config", args.config]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = os.path.join(tmp, "weights.pt")
        base = [sys.executable, os.path.abspath(__file__)] + common + ["--checkpoint",
                                                                        checkpoint]
        subprocess.run(base + ["--case", "checkpoint"], check=True)
        for case in ("digital_infer", "analog_infer", "digital_train", "hwa_train"):
            out = subprocess.run(base + ["--case", case], check=True, capture_output=True,
                                 text=True).stdout
            results[case] = json.loads(out.strip().splitlines()[-1])
            row = results[case]
            print(f"{case:14s} {row['parameters'] / 1e6:8.1f}M params  peak "
                  f"{row['peak_mb']:9.1f} MiB (after imports {row['start_mb']:7.1f} MiB)",
                  flush=True)
    def growth(case: str) -> float:
        return results[case]["peak_mb"] - results[case]["start_mb"]

    # the memory the model run adds above the imported libraries
    infer = growth("analog_infer") / growth("digital_infer")
    train = growth("hwa_train") / growth("digital_train")
    print(f"analog / digital peak memory above imports: inference {infer:.2f}x, "
          f"HWA training {train:.2f}x (goal <= 1.3x)")
    print(json.dumps({"config": args.config, "inference_ratio": infer, "training_ratio": train,
                      "cases": results}))


if __name__ == "__main__":
    main()
