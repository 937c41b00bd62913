"""Conductance converters: closed forms, round trips, bad input."""

import pytest
import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.inference import (
    CustomPairConductanceConverter, DualPairConductanceConverter, NPairConductanceConverter,
    SingleDeviceConductanceConverter, SinglePairConductanceConverter)
from aihwkit.inference.converter.fusion import FusionConductanceConverter


def _weights() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(6, 7, dtype=torch.float64) * 2 - 1


def test_single_pair_closed_form_and_round_trip():
    conv = SinglePairConductanceConverter(g_max=25.0, g_min=2.0)
    w = torch.tensor([[-0.5, 0.0, 1.0], [0.25, -1.0, 0.5]], dtype=torch.float64)
    (g_plus, g_minus), params = conv.convert_to_conductances(w)
    assert params["scale_ratio"].item() == pytest.approx(23.0)
    assert torch.allclose(g_plus, torch.tensor([[2.0, 2.0, 25.0], [7.75, 2.0, 13.5]],
                                               dtype=torch.float64))
    assert torch.allclose(g_minus, torch.tensor([[13.5, 2.0, 2.0], [2.0, 25.0, 2.0]],
                                                dtype=torch.float64))
    assert torch.allclose(conv.convert_back_to_weights([g_plus, g_minus], params), w)
    assert str(SinglePairConductanceConverter()) == \
        "SinglePairConductanceConverter(g_max=25.00, g_min=0.00)"


def test_dual_pair_spec_example():
    conv = DualPairConductanceConverter([1, 3])
    w = torch.linspace(-1, 1, 9, dtype=torch.float64)
    gs, params = conv.convert_to_conductances(w)
    assert params["scale_ratio"].item() == pytest.approx(100.0)
    assert gs[0].tolist() == [0, 0, 0, 0, 0, 25, 25, 25, 25]
    assert torch.allclose(gs[2], torch.tensor([0, 0, 0, 0, 0, 0, 25 / 3, 50 / 3, 25],
                                              dtype=torch.float64))
    assert torch.allclose(gs[3], gs[2].flip(0))
    assert torch.allclose(conv.convert_back_to_weights(gs, params), w)


def test_n_pair_round_trip_and_saturation_order():
    conv = NPairConductanceConverter([1.0, 2.0, 4.0], g_max=30.0, g_min=1.0)
    w = _weights()
    gs, params = conv.convert_to_conductances(w)
    assert len(gs) == 6
    for g in gs:
        assert g.min() >= 1.0 and g.max() <= 30.0
    # a higher pair is only used once the lower one saturates
    used_high = gs[2] > 1.0 + 1e-9
    assert bool((gs[0][used_high] >= 30.0 - 1e-9).all())
    assert torch.allclose(conv.convert_back_to_weights(gs, params), w)


def test_custom_pair_linear_tables_are_invertible():
    up = [0.0, 0.0, 0.0, 10.0, 20.0]
    conv = CustomPairConductanceConverter([1.0], [up, up[::-1]])
    w = _weights()
    gs, params = conv.convert_to_conductances(w)
    assert torch.allclose(conv.convert_back_to_weights(gs, params), w)
    assert conv.g_max == 20.0 and conv.g_min == 0.0


def test_custom_pair_not_invertible():
    up = [0.0, 0.0, 0.0, 15.0, 20.0]  # kink: not linear in the weight
    with pytest.raises(ArithmeticError):
        CustomPairConductanceConverter([1.0], [up, up[::-1]])


def test_single_device_spec_example():
    conv = SingleDeviceConductanceConverter()
    w = torch.tensor([[-1.0, 0.0, 0.5], [1.0, 0.2, 0.3]], dtype=torch.float64)
    g, params = conv.convert_to_conductances(w)
    assert torch.allclose(g, torch.tensor([[9.0, 48.6, 68.4], [88.2, 56.52, 60.48]],
                                          dtype=torch.float64), atol=1e-5)
    assert params["scale_ratio"].item() == pytest.approx(39.6, abs=1e-5)
    assert params["min"].item() == -1.0
    assert torch.allclose(conv.convert_back_to_weights(g, params), w)
    assert torch.allclose(conv.convert_back_to_weights(list(g), params), w)


def test_fusion_round_trip_restores_scale():
    conv = FusionConductanceConverter(g_max=30)
    w = _weights()
    gs, params = conv.convert_to_conductances(w)
    assert float(gs[0].max()) == pytest.approx(30.0)
    assert torch.allclose(conv.convert_back_to_weights(gs, params), w, atol=1e-12)
    # a uniform read gain error is removed by the per-row fit
    assert torch.allclose(conv.convert_back_to_weights([gs[0] * 0.8], params), w, atol=1e-12)


@pytest.mark.parametrize("build", [
    lambda: SinglePairConductanceConverter(g_max=0.0),
    lambda: SinglePairConductanceConverter(g_max=-1.0),
    lambda: SinglePairConductanceConverter(g_min=-0.1),
    lambda: SinglePairConductanceConverter(g_max=5.0, g_min=5.0),
    lambda: DualPairConductanceConverter([1.0, 2.0, 3.0]),
    lambda: NPairConductanceConverter(3.0),
    lambda: NPairConductanceConverter([1.0, -1.0]),
    lambda: CustomPairConductanceConverter([1.0], [[0.0, 1.0]]),
    lambda: CustomPairConductanceConverter([1.0], [[0.0, 1.0], [1.0]]),
    lambda: SingleDeviceConductanceConverter(g_max=float("nan")),
    lambda: FusionConductanceConverter(g_max=50),
])
def test_bad_arguments_raise(build):
    with pytest.raises(ArgumentError):
        build()


def test_value_error_compatibility():
    with pytest.raises(ValueError):
        SinglePairConductanceConverter(g_max=-1.0)
