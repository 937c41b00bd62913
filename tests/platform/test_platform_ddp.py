"""DistributedDataParallel with analog layers: 2 processes, gloo backend, CPU."""

import os
import socket
import subprocess
import sys

import pytest
import torch

import torch.distributed as dist

WORKER = os.path.join(os.path.dirname(__file__), "platform_ddp_worker.py")

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory):
    """Weights of both ranks (and rank 0's single-process references)."""
    out = tmp_path_factory.mktemp("ddp")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # the subprocess timeout guarantees the test never hangs on a stuck collective
    proc = subprocess.run([sys.executable, WORKER, str(out), str(_free_port())],
                          capture_output=True, text=True, timeout=180, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [torch.load(out / f"rank{rank}.pt") for rank in range(2)]


@pytest.mark.parametrize("name", ["hwa", "hwa_exact", "hwa_torch", "pulsed", "pulsed_exact"])
def test_ranks_identical_after_training(ddp_results, name):
    rank0, rank1 = ddp_results
    for w0, w1, init0, init1 in zip(rank0[name], rank1[name], rank0[name + "_initial"],
                                    rank1[name + "_initial"]):
        # the ranks were built from different seeds ...
        assert not torch.equal(init0, init1)
        # ... and trained on different data, yet end bit for bit equal
        assert torch.equal(w0, w1)
        assert not torch.equal(w0, init0)


@pytest.mark.parametrize("name", ["hwa_exact", "pulsed_exact"])
def test_ddp_equals_training_on_the_global_batch(ddp_results, name):
    # noise-free configs: DDP with R ranks is one process on the concatenated batch with
    # the mean of the ranks' mean losses (float summation order may differ by an ulp)
    rank0, _ = ddp_results
    for got, expected in zip(rank0[name], rank0[name + "_reference"]):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
