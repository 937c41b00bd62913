"""Time-resolved IR-drop torch tile (``TorchInferenceRPUConfigIRDropT``)."""

import pytest
import torch

from aihwkit.exceptions import ConfigError, TorchTileConfigError
from aihwkit.inference.converter.conductance import SinglePairConductanceConverter
from aihwkit.inference.noise.pcm import PCMLikeNoiseModel
from aihwkit.nn import AnalogLinear
from aihwkit.simulator.configs import (
    BoundManagementType, NoiseManagementType, TorchInferenceRPUConfig,
    TorchInferenceRPUConfigIRDropT)
from aihwkit.simulator.parameters.enums import AnalogMVType
from aihwkit.simulator.tiles.torch_tile_irdrop_t import TorchSimulatorTileIRDropT


def _clean(config, segments=1, inp_res=-1.0):
    """No noise, no output quantization or bound, no noise/bound management."""
    forward = config.forward
    forward.out_noise = 0.0
    forward.out_res = -1.0
    forward.out_bound = 0.0
    forward.inp_res = inp_res
    forward.bound_management = BoundManagementType.NONE
    forward.noise_management = NoiseManagementType.NONE
    if hasattr(forward, "ir_drop_segments"):
        forward.ir_drop_segments = segments
    return config


def _layer(config, weights):
    layer = AnalogLinear(weights.shape[1], weights.shape[0], bias=False, rpu_config=config)
    layer.set_weights(weights)
    return layer.eval()


def reference_drop(weights, u, levels, rs, segments, g_min, g_max, ir_drop, phases):
    """Brute-force drop: loops over time steps, cells and segments in float64.

    ``phases`` is a list of ``(pulse lengths in steps [in], weight)``.
    """
    weights = weights.double()
    n_out, n_in = weights.shape
    amax = weights.abs().max()
    span = (g_max - g_min) / amax
    g_pos = g_min + span * weights.clamp(min=0)
    g_neg = g_min + span * (-weights).clamp(min=0)
    count = min(segments, n_in)
    base, extra = divmod(n_in, count)
    sizes = [base + (1 if k < extra else 0) for k in range(count)]
    owner = sum(([k] * size for k, size in enumerate(sizes)), [])
    drop = torch.zeros(n_out, dtype=torch.float64)
    for lengths, factor in phases:
        for step in range(int(max(1, lengths.max().ceil()))):
            active = (lengths.double() - step).clamp(0, 1) * torch.sign(u.double())
            for g, sign in ((g_pos, 1.0), (g_neg, -1.0)):
                for i in range(n_out):
                    seg_current = [0.0] * count
                    for j in range(n_in):
                        seg_current[owner[j]] += float(g[i, j] * active[j])
                    voltage, acc = [], 0.0
                    for k in range(count):
                        acc += rs * sizes[k] * sum(seg_current[k:])
                        voltage.append(acc * 1e-6 * ir_drop)
                    lost = sum(voltage[owner[j]] * float(g[i, j] * active[j].abs())
                               for j in range(n_in))
                    drop[i] += sign * factor * lost
    return drop / (span * levels)


def test_default_config_builds_and_runs():
    layer = AnalogLinear(20, 5, rpu_config=TorchInferenceRPUConfigIRDropT())
    out = layer(torch.rand(3, 20))
    assert out.shape == (3, 5)
    assert isinstance(layer.analog_module.tile, TorchSimulatorTileIRDropT)
    out.sum().backward()
    assert layer.analog_module.tile.weight.grad is not None


def test_zero_ir_drop_equals_torch_inference_tile():
    weights = torch.rand(6, 30) - 0.5
    x = torch.rand(8, 30) - 0.5
    outputs = []
    for config in (TorchInferenceRPUConfig(), TorchInferenceRPUConfigIRDropT()):
        config.forward.ir_drop = 0.0
        torch.manual_seed(7)  # the tile's generator (output noise) is seeded from it
        layer = _layer(config, weights)
        outputs.append(layer(x))
    assert torch.equal(outputs[0], outputs[1])


def test_uniform_closed_form_one_segment():
    # W = 1, u = 1, one segment of n cells (resistance rs n): a wire with conductances g
    # carries n g V_read, its voltage is 1e-6 rs n (n g) and it loses that times n g;
    # g = g_max on the positive wire, g_min on the negative one; back in weight units
    # (divide by g_max - g_min): y = n - 1e-6 rs n^3 (g_max + g_min)
    n, rs = 100, 0.15
    layer = _layer(_clean(TorchInferenceRPUConfigIRDropT()), torch.ones(1, n))
    y = layer(torch.ones(1, n)).item()
    assert y == pytest.approx(n - 1e-6 * rs * n ** 3 * 25.0, rel=1e-5)
    # all pulses equally shorter (63 of the 127 steps of an unquantized DAC): the drop
    # is proportional to the pulse length
    y_short = layer(torch.full((1, n), 63 / 127)).item()
    assert y_short == pytest.approx(63 / 127 * y, rel=1e-5)


def test_drop_follows_converter_and_scales():
    n = 50
    config = _clean(TorchInferenceRPUConfigIRDropT(
        noise_model=PCMLikeNoiseModel(g_converter=SinglePairConductanceConverter(
            g_min=0.1, g_max=15.0))))
    config.forward.ir_drop = 2.0
    config.forward.ir_drop_rs = 0.3
    layer = _layer(config, torch.ones(1, n))
    y = layer(torch.ones(1, n)).item()
    assert y == pytest.approx(n - 2.0 * 1e-6 * 0.3 * n ** 3 * 15.1, rel=1e-5)


@pytest.mark.parametrize("segments", [1, 3, 8])
def test_one_pass_matches_brute_force(segments):
    gen = torch.Generator().manual_seed(3)
    weights = torch.rand(3, 11, generator=gen) - 0.3
    x = torch.rand(2, 11, generator=gen) * 2 - 1
    config = _clean(TorchInferenceRPUConfigIRDropT(), segments=segments, inp_res=1 / 126)
    config.forward.ir_drop_rs = 50.0  # large enough for a visible drop at 11 inputs
    layer = _layer(config, weights)
    out = layer(x).double()
    levels = 63
    for row in range(2):
        u = torch.round(x[row] * levels) / levels
        ideal = weights.double() @ u.double()
        drop = reference_drop(weights, u, levels, 50.0, segments, 0.0, 25.0, 1.0,
                              [(u.abs() * levels, 1.0)])
        assert drop.abs().max() > 1e-3
        assert torch.allclose(out[row], ideal - drop, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mode", [AnalogMVType.SPLIT_MODE, AnalogMVType.BIT_WISE])
def test_split_and_bitwise_match_brute_force(mode):
    gen = torch.Generator().manual_seed(4)
    weights = torch.rand(2, 9, generator=gen) - 0.5
    x = torch.rand(1, 9, generator=gen) * 2 - 1
    config = _clean(TorchInferenceRPUConfigIRDropT(), segments=2, inp_res=1 / 126)
    config.forward.mv_type = mode
    config.forward.ir_drop_rs = 50.0
    out = _layer(config, weights)(x)[0].double()
    levels = 63
    integer = torch.round(x[0].abs() * levels).long()
    u = torch.sign(x[0]) * integer / levels
    if mode == AnalogMVType.SPLIT_MODE:
        phases = [((integer >> 3).double(), 8.0), ((integer & 7).double(), 1.0)]
    else:
        phases = [(((integer >> k) & 1).double(), float(2 ** k)) for k in range(6)]
    drop = reference_drop(weights, u, levels, 50.0, 2, 0.0, 25.0, 1.0, phases)
    ideal = weights.double() @ u.double()
    assert torch.allclose(out, ideal - drop, atol=1e-5, rtol=1e-5)
    # the ideal product is the same for all modes: only the drop differs
    one_pass = _clean(TorchInferenceRPUConfigIRDropT(), segments=2, inp_res=1 / 126)
    one_pass.forward.ir_drop_rs = 50.0
    out_one = _layer(one_pass, weights)(x)[0].double()
    assert not torch.allclose(out, out_one, atol=1e-6)


def test_positive_weights_and_inputs_shrink_outputs():
    weights = torch.rand(4, 64)
    x = torch.rand(5, 64)
    ideal = x @ weights.t()
    out = _layer(_clean(TorchInferenceRPUConfigIRDropT(), segments=8), weights)(x)
    assert (out < ideal).all()
    assert (out > 0.5 * ideal).all()


def test_time_resolution_scale():
    weights = torch.rand(2, 16)
    x = torch.rand(3, 16)
    outs = {}
    for scale in (0.25, 1.0, 2.0):
        config = _clean(TorchInferenceRPUConfigIRDropT(), inp_res=1 / 126)
        config.forward.ir_drop_rs = 20.0
        config.forward.ir_drop_time_step_resolution_scale = scale
        outs[scale] = _layer(config, weights)(x)
    # currents are constant within a DAC step: a finer grid changes nothing
    assert torch.allclose(outs[1.0], outs[2.0], atol=1e-5)
    # a coarser grid resolves pulse lengths worse
    assert not torch.allclose(outs[1.0], outs[0.25], atol=1e-6)


def test_adc_quantization_switch():
    weights = torch.rand(3, 8) - 0.5
    x = torch.rand(4, 8) - 0.5
    outs = []
    for flag in (True, False):
        config = TorchInferenceRPUConfigIRDropT()
        config.forward.out_noise = 0.0
        config.forward.out_res = 0.1
        config.forward.adc_quantization = flag
        outs.append(_layer(config, weights)(x))
    step = 0.1 * 2 * 12.0
    assert not torch.allclose(outs[0], outs[1])
    assert (outs[0] - outs[1]).abs().max() <= 0.5 * step + 1e-5


@pytest.mark.parametrize("field,value,error", [
    ("ir_drop_v_read", 0.3, TorchTileConfigError),
    ("adc_frequency", 1.0, TorchTileConfigError),
    ("apply_xdep_pcm_read_noise", True, TorchTileConfigError),
    ("ir_drop_integration_sum", True, TorchTileConfigError),
    ("ir_drop_segments", 0, ConfigError),
    ("ir_drop_rs", -1.0, ConfigError),
    ("ir_drop_time_step_resolution_scale", 0.0, ConfigError),
    ("mv_type", AnalogMVType.POS_NEG_SEPARATE, TorchTileConfigError),
])
def test_rejected_settings(field, value, error):
    config = TorchInferenceRPUConfigIRDropT()
    setattr(config.forward, field, value)
    with pytest.raises(error, match=field):
        AnalogLinear(4, 3, rpu_config=config)


def test_time_chunking_gives_the_same_result(monkeypatch):
    weights = torch.rand(3, 12) - 0.2
    x = torch.rand(4, 12)
    config = _clean(TorchInferenceRPUConfigIRDropT(), segments=3, inp_res=1 / 126)
    config.forward.ir_drop_rs = 30.0
    layer = _layer(config, weights)
    whole = layer(x)
    from aihwkit.simulator.tiles import torch_tile_irdrop_t
    monkeypatch.setattr(torch_tile_irdrop_t, "_CHUNK_ELEMENTS", 4 * 12 * 5)  # 5 steps
    assert torch.allclose(layer(x), whole, atol=1e-6)
