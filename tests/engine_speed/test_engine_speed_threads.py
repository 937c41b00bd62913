"""Small engine calls run on one intra-op thread; large ones keep the threads set."""

import torch

from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import IOParameters, UpdateParameters
from aihwkit.simulator.rpu_base import kernels
from aihwkit.simulator.rpu_base.kernels import threads
from aihwkit.simulator.rpu_base.periphery import IOManager
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device

CPU = torch.device("cpu")


def seen_threads(monkeypatch, batch, rows, cols):
    seen = []
    original = kernels.apply_pulses

    def recording(engine, counts):
        seen.append(torch.get_num_threads())
        original(engine, counts)

    monkeypatch.setattr(kernels, "apply_pulses", recording)
    # the two-stage path (the fused whole-update kernel runs no torch operations)
    monkeypatch.setattr(kernels, "choose_update", lambda *args: None)
    engine = build_device(ConstantStepDevice(), rows, cols, device=CPU, dtype=torch.float32,
                          rng=TileRNG(CPU, seed=0))
    engine.update(torch.rand(batch, cols), torch.rand(batch, rows), 0.01, UpdateParameters())
    return seen


def test_small_update_runs_on_one_thread(monkeypatch):
    torch.set_num_threads(2)
    assert seen_threads(monkeypatch, 4, 16, 16) == [1]
    assert torch.get_num_threads() == 2                  # restored


def test_large_update_keeps_the_threads(monkeypatch):
    torch.set_num_threads(2)
    rows = cols = 256                                    # 4 * 256 * 256 = 2^18
    assert 4 * rows * cols >= threads.SMALL_WORK
    assert seen_threads(monkeypatch, 4, rows, cols) == [2]


def test_products_and_nesting_restore_the_threads():
    torch.set_num_threads(2)
    manager = IOManager(IOParameters(), 8, 8, is_backward=False, device=CPU,
                        dtype=torch.float32, rng=TileRNG(CPU, seed=0))
    manager.mvm(torch.rand(8, 8), torch.rand(2, 8))
    assert torch.get_num_threads() == 2
    with threads.SmallWork(10):
        assert torch.get_num_threads() == 1
        with threads.SmallWork(10):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_nested_blocks_know_the_enclosing_single_thread(monkeypatch):
    """Inside a one-thread block nested blocks and engine updates set nothing; a small
    block inside a large one sets one thread; the record is restored after errors."""
    torch.set_num_threads(2)
    calls = []
    original = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (calls.append(n), original(n)))
    assert not threads.single_thread_active()
    with threads.SmallWork(10):
        assert threads.single_thread_active() and calls == [1]
        with threads.SmallWork(10):
            assert threads.single_thread_active()
        engine = build_device(ConstantStepDevice(), 4, 4, device=CPU, dtype=torch.float32,
                              rng=TileRNG(CPU, seed=0))
        engine.update(torch.rand(2, 4), torch.rand(2, 4), 0.01, UpdateParameters())
        assert calls == [1] and threads.single_thread_active()
    assert calls == [1, 2] and not threads.single_thread_active()
    with threads.SmallWork(threads.SMALL_WORK):          # large: the threads stay
        assert not threads.single_thread_active() and torch.get_num_threads() == 2
        with threads.SmallWork(10):
            assert threads.single_thread_active() and torch.get_num_threads() == 1
        assert not threads.single_thread_active() and torch.get_num_threads() == 2
    try:
        with threads.SmallWork(10):
            raise ValueError("inside")
    except ValueError:
        pass
    assert not threads.single_thread_active() and torch.get_num_threads() == 2
