"""Checkpoints as plain data; strict, atomic loading (regressions of reported failures)."""

import copy
import io
import pickle
import pickletools

import pytest
import torch

from aihwkit.exceptions import ModuleError, TileError, TileModuleError
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.parameters.serialization import config_from_dict, config_to_dict
from aihwkit.simulator.presets import MixedPrecisionEcRamPreset, TikiTakaEcRamPreset
from aihwkit.simulator.rpu_base.state import export_state, import_state

CONFIGS = [SingleRPUConfig, InferenceRPUConfig, TorchInferenceRPUConfig, TikiTakaEcRamPreset,
           MixedPrecisionEcRamPreset]
IDS = [c.__name__ for c in CONFIGS]


def _save_load(obj, **kwargs):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, **kwargs)


def _model(config, sizes=(5, 4, 3)):
    return AnalogSequential(AnalogLinear(sizes[0], sizes[1], rpu_config=config()),
                            torch.nn.Linear(sizes[1], sizes[1]),
                            AnalogLinear(sizes[1], sizes[2], rpu_config=config()))


def _everything(model):
    """Every tensor a model holds (state dict tensors and the analog states)."""
    out = []
    for value in model.state_dict().values():
        if isinstance(value, torch.Tensor):
            out.append(value.clone())
        elif isinstance(value, dict):
            out += [v.clone() for k, v in sorted(value.items()) if isinstance(v, torch.Tensor)]
    return out


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_state_dict_loads_with_torch_default_weights_only(config):
    model = _model(config)
    loaded = _save_load(model.state_dict())  # weights_only=True is torch's default
    other = _model(config)
    other.load_state_dict(loaded)
    for mine, theirs in zip(_everything(model), _everything(other)):
        assert torch.equal(mine, theirs)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_edited_stored_weights_take_effect(config):
    model = _model(config)
    state = model.state_dict()
    entry = state["0.analog_module.analog_tile_state"]
    edited = torch.full_like(entry["analog_tile_weights"], 0.05)
    entry["analog_tile_weights"] = edited
    other = _model(config)
    other.load_state_dict(state)
    weight, _ = other[0].get_weights(apply_weight_scaling=False)
    assert torch.equal(weight, edited)


def test_edited_hidden_parameters_take_effect():
    model = _model(SingleRPUConfig)
    state = model.state_dict()
    entry = state["0.analog_module.analog_tile_state"]
    names = entry["analog_tile_hidden_parameter_names"]
    index = names.index("max_bound")
    entry["analog_tile_hidden_parameters"][index].fill_(0.25)
    other = _model(SingleRPUConfig)
    other.load_state_dict(state)
    assert torch.equal(other[0].analog_module.get_hidden_parameters()["max_bound"],
                       torch.full((4, 5), 0.25))


def test_config_is_stored_as_plain_dict_and_round_trips():
    config = TikiTakaEcRamPreset()
    config.device.transfer_every = 3.0
    data = config_to_dict(config)
    assert data["__class__"].endswith(":TikiTakaEcRamPreset")
    assert config_from_dict(_save_load(data)) == config
    state = AnalogLinear(3, 2, rpu_config=config).state_dict()
    assert isinstance(state["analog_module.analog_tile_state"]["rpu_config"], dict)


def test_size_mismatch_raises_naming_the_layer_and_changes_nothing():
    target = AnalogLinear(6, 4)
    before = _everything(AnalogSequential(target))
    with pytest.raises(TileError, match="analog_module.*shape"):
        target.load_state_dict(AnalogLinear(5, 4).state_dict())
    assert target.analog_module.tile.get_weights().shape == (4, 6)
    for old, new in zip(before, _everything(AnalogSequential(target))):
        assert torch.equal(old, new)


def test_failure_in_a_later_layer_leaves_earlier_layers_and_digital_params_untouched():
    model = _model(SingleRPUConfig)
    before = _everything(model)
    source = _model(SingleRPUConfig, sizes=(5, 4, 2))  # last analog layer differs
    with pytest.raises((TileError, ModuleError), match="2.analog_module"):
        model.load_state_dict(source.state_dict())
    state = source.state_dict()
    state["2.analog_module.bias"] = model.state_dict()["2.analog_module.bias"]
    with pytest.raises(TileError, match="'2.analog_module'.*shape"):
        model.load_state_dict(state)
    for old, new in zip(before, _everything(model)):
        assert torch.equal(old, new)


def test_digital_shape_mismatch_is_refused_before_any_change():
    model = _model(SingleRPUConfig)
    before = _everything(model)
    state = _model(SingleRPUConfig).state_dict()
    state["1.weight"] = torch.zeros(4, 3)
    with pytest.raises(ModuleError, match="1.weight"):
        model.load_state_dict(state)
    for old, new in zip(before, _everything(model)):
        assert torch.equal(old, new)


def test_torch_key_errors_roll_the_model_back():
    model = _model(SingleRPUConfig)
    before = _everything(model)
    state = _model(SingleRPUConfig).state_dict()
    state["unexpected"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match="unexpected"):
        model.load_state_dict(state)
    for old, new in zip(before, _everything(model)):
        assert torch.equal(old, new)


def test_load_rpu_config_flag_and_strict_check():
    stored = SingleRPUConfig()
    stored.forward.out_noise = 0.1
    source = AnalogLinear(3, 2, rpu_config=stored)
    current = SingleRPUConfig()
    current.forward.out_noise = 0.0
    layer = AnalogLinear(3, 2, rpu_config=current)
    layer.load_state_dict(source.state_dict())
    assert layer.analog_module.rpu_config.forward.out_noise == 0.1
    layer = AnalogLinear(3, 2, rpu_config=current)
    layer.load_state_dict(source.state_dict(), load_rpu_config=False)
    assert layer.analog_module.rpu_config.forward.out_noise == 0.0
    assert torch.equal(layer.get_weights()[0], source.get_weights()[0])
    inference = AnalogLinear(3, 2, rpu_config=InferenceRPUConfig())
    with pytest.raises(TileError):
        inference.load_state_dict(source.state_dict())
    floating = AnalogLinear(3, 2, rpu_config=FloatingPointRPUConfig())
    with pytest.raises(TileError):
        floating.load_state_dict(source.state_dict(), load_rpu_config=False)
    # the flags persist on the tiles, also after a failed attempt
    assert floating.analog_module.load_rpu_config is False


def test_replacing_an_unrelated_config_is_refused_with_the_strict_check():
    source = AnalogLinear(3, 2, rpu_config=InferenceRPUConfig())
    layer = AnalogLinear(3, 2, rpu_config=TorchInferenceRPUConfig())
    with pytest.raises((TileError, TileModuleError)):
        layer.load_state_dict(source.state_dict(), load_rpu_config=False)


def test_unknown_engine_layout_version_is_refused():
    layer = AnalogLinear(3, 2)
    state = layer.state_dict()
    state["analog_module.analog_tile_state"]["analog_tile_engine"]["_version"] = 99
    with pytest.raises(TileError, match="layout version"):
        AnalogLinear(3, 2).load_state_dict(state)


def test_pickle_and_deepcopy_carry_no_engine_objects():
    layer = AnalogLinear(4, 3, rpu_config=TikiTakaEcRamPreset())
    data = pickle.dumps(layer)
    modules = {arg.split(" ")[0] for op, arg, _ in pickletools.genops(data)
               if op.name == "GLOBAL"}
    strings = [arg for op, arg, _ in pickletools.genops(data)
               if op.name in ("SHORT_BINUNICODE", "BINUNICODE")]
    stack_modules = {strings[i] for i in range(len(strings) - 1)
                     if strings[i].startswith("aihwkit.simulator.rpu_base")}
    assert not any(m.startswith("aihwkit.simulator.rpu_base") for m in modules | stack_modules)
    clone = copy.deepcopy(layer)
    assert clone.analog_module.tile is not layer.analog_module.tile
    assert torch.equal(clone.get_weights()[0], layer.get_weights()[0])


def test_engine_walker_skips_cache_attributes_and_moves_them():
    layer = AnalogLinear(4, 3)
    engine = layer.analog_module.tile
    engine.device_engine._cache_probe = torch.ones(2)
    state = export_state(engine)
    assert "_cache_probe" not in state["device_engine"]
    engine.to(torch.device("cpu"), torch.float64)
    assert engine.device_engine._cache_probe.dtype == torch.float64
    fresh = AnalogLinear(4, 3).analog_module.tile
    import_state(fresh, state)
    assert torch.equal(fresh.get_weights(), layer.analog_module.tile.get_weights().float())


def test_engine_state_of_another_structure_is_refused():
    state = export_state(AnalogLinear(4, 3).analog_module.tile)
    other = AnalogLinear(4, 3, rpu_config=TikiTakaEcRamPreset()).analog_module.tile
    with pytest.raises(TileError):
        import_state(other, state)
    state["device_engine"]["weights"] = torch.zeros(5, 5)
    with pytest.raises(TileError, match="shape"):
        import_state(AnalogLinear(4, 3).analog_module.tile, state)


def test_generator_state_is_a_uint8_tensor():
    state = AnalogLinear(3, 2).state_dict()["analog_module.analog_tile_state"]
    rng = state["analog_tile_engine"]["rng"]
    assert isinstance(rng, torch.Tensor) and rng.dtype == torch.uint8
    assert state["_version"] == 1 and state["aihwkit_version"]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_cuda_checkpoint_loads_on_cpu_and_back(config):
    model = _model(config).cuda()
    model(torch.rand(3, 5, device="cuda")).sum().backward()
    state = _save_load(model.state_dict())
    cpu = _model(config)
    cpu.load_state_dict(state)
    for mine, theirs in zip(_everything(model), _everything(cpu)):
        if mine.dtype != torch.uint8:  # generator states differ between device types
            assert torch.equal(mine.cpu(), theirs)
    back = copy.deepcopy(cpu).cuda()
    assert torch.equal(back[0].get_weights()[0], model[0].get_weights()[0])
