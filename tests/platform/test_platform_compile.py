"""torch.compile of models with analog layers gives the eager results.

Fullgraph capture works for the hardware-aware inference tiles with a noise-free forward
and for floating-point tiles without autograd. Two things break the graph, and the rest
then runs compiled around them: the tile's own ``torch.Generator`` (noisy forwards draw
from it; dynamo cannot trace generator objects) and the storing of update traces in the
autograd function of pulsed/floating-point tiles during training (a side effect on a
list outside the graph). The default tests use the ``aot_eager`` back-end (dynamo and
AOT autograd, fast to compile); the inductor cases are slow and opt-in.
"""

import copy

import pytest
import torch

from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (FloatingPointRPUConfig, InferenceRPUConfig,
                                       TorchInferenceRPUConfig)
from aihwkit.simulator.parameters import IOParameters
from aihwkit.simulator.rpu_base.kernels import fused

pytestmark = pytest.mark.skipif(not hasattr(torch, "compile"), reason="no torch.compile")

PERFECT = IOParameters(is_perfect=True)
CONFIGS = {
    "floating_point": FloatingPointRPUConfig,
    "inference": InferenceRPUConfig,
    "inference_torch": TorchInferenceRPUConfig,
    "inference_perfect": lambda: InferenceRPUConfig(forward=PERFECT),
    "inference_torch_perfect": lambda: TorchInferenceRPUConfig(forward=PERFECT),
}


@pytest.fixture(autouse=True)
def _torch_paths(monkeypatch):
    """dynamo does not trace the compiled CPU kernels (numba): inside a compiled graph the
    torch paths run, so the eager twins here use them as well (the draws of the two then
    come from the same torch operations)."""
    monkeypatch.setattr(fused, "available", lambda: False)


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()  # pylint: disable=protected-access
    yield
    torch._dynamo.reset()  # pylint: disable=protected-access


def _model(name: str) -> AnalogSequential:
    config = CONFIGS[name]()
    return AnalogSequential(AnalogLinear(8, 6, rpu_config=config), torch.nn.ReLU(),
                            AnalogLinear(6, 3, bias=True, rpu_config=config))


def _eval_pair(name: str, backend: str, fullgraph: bool) -> tuple:
    eager = _model(name).eval()
    compiled_model = copy.deepcopy(eager)  # same weights and the same random stream
    x = torch.randn(4, 5, 8)
    expected = eager(x)
    got = torch.compile(compiled_model, backend=backend, fullgraph=fullgraph)(x)
    return expected, got


@pytest.mark.parametrize("name", ["inference_perfect", "inference_torch_perfect"])
def test_eval_fullgraph_hwa(name):
    expected, got = _eval_pair(name, "aot_eager", fullgraph=True)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)


def test_eval_fullgraph_floating_point_without_autograd():
    with torch.no_grad():
        expected, got = _eval_pair("floating_point", "aot_eager", fullgraph=True)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", [pytest.param("inference", marks=pytest.mark.slow),
                                  "inference_torch", "floating_point"])
def test_eval_with_graph_breaks_same_draws(name):
    # noisy forwards: the deep copy continues the same random stream, so the compiled
    # model must reproduce the eager noise exactly
    expected, got = _eval_pair(name, "aot_eager", fullgraph=False)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)


def _train(model: AnalogSequential, runner, steps: int = 3) -> list:
    opt = AnalogSGD(model.parameters(), lr=0.1)
    opt.regroup_param_groups(model)
    gen = torch.Generator().manual_seed(7)
    for _ in range(steps):
        x = torch.randn(6, 8, generator=gen)
        y = torch.randn(6, 3, generator=gen)
        opt.zero_grad()
        torch.nn.functional.mse_loss(runner(x), y).backward()
        opt.step()
    return [layer.get_weights()[0] for layer in (model[0], model[2])]


def _check_training(name: str, backend: str) -> None:
    eager = _model(name)
    compiled_model = copy.deepcopy(eager)
    expected = _train(eager, eager)
    got = _train(compiled_model, torch.compile(compiled_model, backend=backend))
    for w_got, w_expected in zip(got, expected):
        assert not torch.equal(w_expected, _model(name)[0].get_weights()[0])
        # same operations in a different fusion order: float32 rounding only
        torch.testing.assert_close(w_got, w_expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["floating_point",
                                  pytest.param("inference", marks=pytest.mark.slow),
                                  pytest.param("inference_torch", marks=pytest.mark.slow)])
def test_training_matches_eager(name):
    _check_training(name, "aot_eager")


def test_non_finite_input_still_raises_when_compiled():
    model = torch.compile(_model("inference_perfect").eval(), backend="aot_eager",
                          fullgraph=True)
    with pytest.raises(RuntimeError, match="x holds NaN or infinite values"):
        model(torch.full((2, 8), float("nan")))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["inference_perfect", "inference_torch_perfect"])
def test_eval_fullgraph_inductor(name):
    expected, got = _eval_pair(name, "inductor", fullgraph=True)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["floating_point", "inference", "inference_torch"])
def test_training_matches_eager_inductor(name):
    _check_training(name, "inductor")
