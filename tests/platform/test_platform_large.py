"""Large models: converting a model built on the ``meta`` device allocates the analog
weights once, and real weights are loaded layer by layer afterwards."""

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from aihwkit.nn import AnalogLinear
from aihwkit.nn.conversion import convert_to_analog
from aihwkit.simulator.configs import (InferenceRPUConfig, SingleRPUConfig,
                                       TorchInferenceRPUConfig)
from aihwkit.simulator.configs.devices import ConstantStepDevice
from aihwkit.simulator.parameters import IOParameters

PERFECT = IOParameters(is_perfect=True)


def _stack() -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 4))


@pytest.mark.parametrize("config", [InferenceRPUConfig(forward=PERFECT),
                                    TorchInferenceRPUConfig(forward=PERFECT),
                                    # bounds wide enough for the torch initialisation
                                    SingleRPUConfig(forward=PERFECT, device=ConstantStepDevice(
                                        w_max=2.0, w_min=-2.0, w_max_dtod=0.0,
                                        w_min_dtod=0.0))],
                         ids=["inference", "inference_torch", "pulsed"])
def test_convert_meta_model_then_load_weights(config, tmp_path):
    real = _stack()
    torch.save(real.state_dict(), tmp_path / "weights.pt")
    with torch.device("meta"):
        lazy = _stack()
    analog = convert_to_analog(lazy, config)
    assert not any(p.is_meta for p in analog.parameters())
    state = torch.load(tmp_path / "weights.pt", mmap=True, weights_only=True)
    for name, module in analog.named_modules():
        if isinstance(module, AnalogLinear):
            module.set_weights(state[name + ".weight"], state[name + ".bias"])
    x = torch.randn(5, 8)
    analog.eval()
    with torch.no_grad():
        torch.testing.assert_close(analog(x), real(x), rtol=1e-5, atol=1e-5)


SCRIPT = textwrap.dedent("""
    import json, resource, torch
    from aihwkit.nn.conversion import convert_to_analog
    from aihwkit.simulator.configs import TorchInferenceRPUConfig
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with torch.device("meta"):
        lazy = torch.nn.Sequential(*[torch.nn.Linear(1024, 1024) for _ in range(16)])
    start = peak()
    analog = convert_to_analog(lazy, TorchInferenceRPUConfig())
    size = sum(p.numel() * p.element_size() for p in analog.parameters())
    print(json.dumps({"growth": peak() - start, "size": size}))
""")


def test_meta_conversion_allocates_the_weights_once():
    # 16 x 1024 x 1024 float32 = 64 MiB of analog weights; peak RSS (a per-process
    # figure, unaffected by other processes) may grow by them plus one layer's
    # temporaries, not by a second copy of the model
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["size"] >= 64 * 2 ** 20
    assert figures["growth"] <= 1.3 * figures["size"], figures
