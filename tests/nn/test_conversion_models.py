"""``convert_to_analog`` / ``convert_to_digital`` on whole models."""

import importlib
import io

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError
from aihwkit.nn import AnalogLinear, AnalogSequential, AnalogWrapper
from aihwkit.nn.conversion import (
    _DEFAULT_CONVERSION_MAP, _DEFAULT_DIGITAL_CONVERSION_SET, _DEFAULT_MAPPED_CONVERSION_MAP,
    convert_to_analog, convert_to_analog_mapped, convert_to_digital, specific_rpu_config_id)
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import (
    FloatingPointRPUConfig, InferenceRPUConfig, SingleRPUConfig, TorchInferenceRPUConfig)
from aihwkit.simulator.parameters.mapping import MappingParameter


def _optional(module, name):
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


AnalogConv2d = _optional("aihwkit.nn.modules.conv", "AnalogConv2d")
AnalogLinearMapped = _optional("aihwkit.nn.modules.linear_mapped", "AnalogLinearMapped")
AnalogConv2dMapped = _optional("aihwkit.nn.modules.conv_mapped", "AnalogConv2dMapped")
needs_conv = pytest.mark.skipif(AnalogConv2d is None, reason="analog convolutions missing")


class Net(nn.Module):
    """A model with its own forward."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(self.seq(torch.tanh(self.fc1(x))))


class Attention(nn.Module):
    """Single-head self attention from Linear layers, with a LayerNorm block."""

    def __init__(self, dim=8):
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 16), nn.GELU(), nn.Linear(16, dim))

    def forward(self, x):
        q, k, v = self.query(x), self.key(x), self.value(x)
        att = torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1)
        h = self.norm(x + self.out(att @ v))
        return h + self.mlp(h)


class MyLinear(nn.Linear):
    """A subclass of Linear: not converted (exact class match)."""


def _digital_weights(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _perfect():
    return FloatingPointRPUConfig(mapping=MappingParameter(max_input_size=0,
                                                           max_output_size=0))


def test_custom_forward_model_is_wrapped():
    net = Net()
    analog = convert_to_analog(net, InferenceRPUConfig(), exclude_modules=["fc2"])
    assert type(analog).__name__ == "AnalogWrapperNet"
    assert isinstance(analog, AnalogWrapper) and isinstance(analog, Net)
    assert isinstance(analog.fc1, AnalogLinear)
    assert isinstance(analog.seq, AnalogSequential)
    assert type(analog.fc2) is nn.Linear
    assert [name for name, _ in analog.named_analog_layers()] == ["fc1", "seq.0"]
    assert [name for name, _ in analog.named_analog_modules()] == ["", "fc1", "seq",
                                                                    "seq.0"]
    assert type(net.fc1) is nn.Linear  # the original is untouched
    assert analog(torch.rand(5, 4)).shape == (5, 2)
    # one class per wrapped class, cached
    again = convert_to_analog(Net(), InferenceRPUConfig())
    assert type(again) is type(analog)
    assert AnalogWrapper.SUBCLASSES[Net] is type(analog)


def test_sequential_and_single_layer_roots():
    seq = convert_to_analog(nn.Sequential(nn.Linear(3, 2)), SingleRPUConfig())
    assert type(seq) is AnalogSequential
    layer = convert_to_analog(nn.Linear(3, 2), SingleRPUConfig())
    assert type(layer) is AnalogLinear
    leaf = convert_to_analog(nn.ReLU(), SingleRPUConfig())
    assert type(leaf).__name__ == "AnalogWrapperReLU"
    unwrapped = convert_to_analog(nn.ReLU(), SingleRPUConfig(), ensure_analog_root=False)
    assert type(unwrapped) is nn.ReLU


def test_round_trip_exact_weights_and_structure():
    torch.manual_seed(0)
    for model in (Net(), Attention(), nn.Sequential(nn.Linear(5, 4), nn.Sequential(
            nn.Linear(4, 4), nn.Tanh()), nn.Linear(4, 2))):
        before = _digital_weights(model)
        structure = [(name, type(m)) for name, m in model.named_modules()]
        analog = convert_to_analog(model, InferenceRPUConfig())
        analog_structure = [(name, type(m)) for name, m in analog.named_modules()]
        back = convert_to_digital(analog)
        assert [(name, type(m)) for name, m in back.named_modules()] == structure
        # the analog model is not changed by converting a copy
        assert [(name, type(m)) for name, m in analog.named_modules()] == analog_structure
        assert not {id(p) for p in back.parameters()} & {id(p) for p in analog.parameters()}
        after = _digital_weights(back)
        assert after.keys() == before.keys()
        for name, value in before.items():
            assert torch.equal(after[name], value), name


def test_converted_model_computes_like_the_digital_one():
    torch.manual_seed(1)
    model = Attention()
    x = torch.rand(2, 5, 8)
    analog = convert_to_analog(model, _perfect())
    assert type(analog).__name__ == "AnalogWrapperAttention"
    assert torch.allclose(analog(x), model(x), atol=1e-5)


def test_subclasses_are_not_converted():
    model = nn.Sequential(MyLinear(3, 3), nn.Linear(3, 2))
    analog = convert_to_analog(model, SingleRPUConfig())
    assert type(analog[0]) is MyLinear
    assert type(analog[1]) is AnalogLinear


def test_exclude_nested_name_and_string():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2)))
    analog = convert_to_analog(model, SingleRPUConfig(), exclude_modules=["1.0"])
    assert type(analog[0]) is AnalogLinear
    assert type(analog[1][0]) is nn.Linear
    assert type(analog[1][1]) is AnalogLinear
    whole = convert_to_analog(model, SingleRPUConfig(), exclude_modules="1")
    assert type(whole[1]) is nn.Sequential and type(whole[1][1]) is nn.Linear


def test_each_layer_gets_its_own_config_copy():
    calls = []

    def per_layer(name, module, config):
        calls.append((name, type(module), config))
        if name == "fc1":
            config.forward.out_noise = 0.0
        return config

    base = InferenceRPUConfig()
    analog = convert_to_analog(Net(), base, specific_rpu_config_fun=per_layer)
    assert [(name, cls) for name, cls, _ in calls] == [
        ("fc1", nn.Linear), ("seq", nn.Sequential), ("seq.0", nn.Linear),
        ("fc2", nn.Linear)]
    configs = [config for _, _, config in calls]
    assert len({id(config) for config in configs}) == 4
    assert all(config is not base for config in configs)
    assert base.forward.out_noise == 0.06
    tiles = dict(analog.named_analog_tiles())
    assert tiles["fc1.analog_module"].rpu_config.forward.out_noise == 0.0
    assert tiles["fc2.analog_module"].rpu_config.forward.out_noise == 0.06
    assert tiles["fc2.analog_module"].rpu_config is not tiles["seq.0.analog_module"].rpu_config
    assert specific_rpu_config_id("x", nn.ReLU(), base) is base


def test_inplace_and_copy():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    copy = convert_to_analog(model, SingleRPUConfig())
    assert type(model[0]) is nn.Linear and copy is not model
    same = convert_to_analog(model, SingleRPUConfig(), inplace=True)
    assert type(same) is AnalogSequential
    # Sequential -> AnalogSequential: a new container holding the same child objects
    assert same[1] is model[1]
    net = Net()
    fc2 = net.fc2
    wrapped = convert_to_analog(net, SingleRPUConfig(), inplace=True)
    assert type(net.fc1) is AnalogLinear  # children replaced in the original
    assert wrapped.__dict__ is net.__dict__
    assert type(wrapped.fc2) is AnalogLinear and fc2 is not wrapped.fc2
    digital = convert_to_digital(wrapped, inplace=True)
    assert type(digital) is Net and type(net.fc1) is nn.Linear


def test_copy_shares_nothing_with_the_original():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    analog = convert_to_analog(model, SingleRPUConfig())
    originals = {id(t) for t in list(model.parameters()) + list(model.buffers())}
    assert not originals & {id(t) for t in analog.parameters()}
    assert not originals & {id(t) for t in analog.buffers()}
    assert analog[1] is not model[1]
    assert torch.equal(analog[1].weight, model[1].weight)


def test_replaced_parameters_are_not_deep_copied(monkeypatch):
    copies = []
    original = nn.Parameter.__deepcopy__

    def counting(self, memo):
        copies.append(self.shape)
        return original(self, memo)

    monkeypatch.setattr(nn.Parameter, "__deepcopy__", counting)
    model = nn.Sequential(nn.Linear(300, 200), nn.LayerNorm(200), nn.Linear(200, 10))
    convert_to_analog(model, InferenceRPUConfig())
    # only the LayerNorm's weight and bias are copied; the Linear weights go straight
    # into the tiles
    assert sorted(copies) == [torch.Size([200]), torch.Size([200])]


def test_tied_weights_are_copied_for_the_digital_user():
    linear = nn.Linear(4, 4)
    other = nn.Linear(4, 4)
    other.weight = linear.weight  # tied with a layer that stays digital
    model = nn.Sequential(linear, nn.Sequential(other))
    analog = convert_to_analog(model, SingleRPUConfig(), exclude_modules=["1"])
    assert type(analog[1][0]) is nn.Linear
    assert analog[1][0].weight is not linear.weight
    assert torch.equal(analog[1][0].weight, linear.weight)


def test_verbose_output(capsys):
    convert_to_analog(Net(), SingleRPUConfig(), verbose=True, exclude_modules=["fc1"])
    assert capsys.readouterr().out.splitlines() == [
        "Converted 'seq' to 'AnalogSequential'.",
        "Converted 'seq.0' to 'AnalogLinear'.",
        "Converted 'fc2' to 'AnalogLinear'."]


def test_argument_errors():
    with pytest.raises(ArgumentError, match="conversion_map"):
        convert_to_analog(Net(), SingleRPUConfig(), conversion_map=[(nn.Linear, AnalogLinear)])
    with pytest.raises(ArgumentError, match="conversion_set"):
        convert_to_digital(convert_to_analog(Net(), SingleRPUConfig()),
                           conversion_set=[AnalogLinear])
    with pytest.raises(ArgumentError, match="exclude_modules"):
        convert_to_analog(Net(), SingleRPUConfig(), exclude_modules=[1])
    with pytest.raises(ArgumentError, match="to_digital"):
        convert_to_digital(nn.Sequential(nn.ReLU()), conversion_set={nn.ReLU})
    with pytest.raises(ArgumentError):
        AnalogWrapper(3)


def test_custom_maps_and_sets():
    class Doubler(nn.Module):
        @classmethod
        def from_digital(cls, module, rpu_config, tile_module_class=None):
            return cls()

        def forward(self, x):
            return 2 * x

    analog = convert_to_analog(nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), SingleRPUConfig(),
                               conversion_map={nn.ReLU: Doubler})
    assert type(analog).__name__ == "AnalogWrapperSequential"
    assert type(analog[0]) is Doubler and type(analog[1]) is nn.Linear
    digital = convert_to_digital(analog, conversion_set=set())
    assert type(digital) is nn.Sequential  # the wrapper is always removed


def test_default_maps():
    assert _DEFAULT_CONVERSION_MAP[nn.Linear] is AnalogLinear
    assert _DEFAULT_CONVERSION_MAP[nn.Sequential] is AnalogSequential
    assert _DEFAULT_MAPPED_CONVERSION_MAP[nn.Sequential] is AnalogSequential
    assert set(_DEFAULT_CONVERSION_MAP.values()) <= _DEFAULT_DIGITAL_CONVERSION_SET
    assert set(_DEFAULT_MAPPED_CONVERSION_MAP.values()) <= _DEFAULT_DIGITAL_CONVERSION_SET


def test_wrapper_pickles_and_to_digital_shares_state():
    analog = convert_to_analog(Net(), _perfect())
    buffer = io.BytesIO()
    torch.save(analog, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    x = torch.rand(3, 4)
    assert type(loaded) is type(analog)
    assert torch.allclose(loaded(x), analog(x))
    digital = AnalogWrapper.to_digital(analog)
    assert type(digital) is Net and digital.fc1 is analog.fc1


@pytest.mark.skipif(AnalogLinearMapped is None, reason="mapped layers missing")
def test_mapped_conversion():
    mapping = MappingParameter(max_input_size=4, max_output_size=3)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
    mapped = convert_to_analog(model, InferenceRPUConfig(mapping=mapping),
                               conversion_map=_DEFAULT_MAPPED_CONVERSION_MAP)
    assert type(mapped[0]) is AnalogLinearMapped and type(mapped[2]) is AnalogLinearMapped
    assert mapped[0].analog_tile_count() == 4
    alias = convert_to_analog_mapped(model, InferenceRPUConfig(mapping=mapping))
    assert type(alias[0]) is AnalogLinearMapped
    back = convert_to_digital(mapped)
    assert torch.equal(back[0].weight, model[0].weight)


class SmallCNN(nn.Module):
    """torchvision-style CNN: features and classifier in nested Sequentials."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Sequential(nn.Conv2d(4, 6, 3), nn.ReLU()))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(6 * 2 * 2, 8), nn.ReLU(),
                                        nn.Linear(8, 3))

    def forward(self, x):
        return self.classifier(self.features(x))


@needs_conv
def test_cnn_conversion_and_one_training_step():
    torch.manual_seed(5)
    model = SmallCNN()
    analog = convert_to_analog(model, TorchInferenceRPUConfig())
    assert isinstance(analog.features[0], AnalogConv2d)
    assert isinstance(analog.features[4][0], AnalogConv2d)
    assert type(analog.features[1]) is nn.BatchNorm2d
    before = {name: tile.get_weights()[0] for name, tile in analog.named_analog_tiles()}
    assert len(before) == 4
    optimizer = AnalogSGD(analog.parameters(), lr=0.5)
    optimizer.regroup_param_groups(analog)
    x = torch.rand(4, 1, 8, 8)
    loss = nn.functional.cross_entropy(analog(x), torch.tensor([0, 1, 2, 0]))
    loss.backward()
    optimizer.step()
    for name, tile in analog.named_analog_tiles():
        assert not torch.equal(tile.get_weights()[0], before[name]), name
    back = convert_to_digital(convert_to_analog(model, InferenceRPUConfig()))
    assert type(back.features[0]) is nn.Conv2d
    assert torch.equal(back.features[0].weight, model.features[0].weight)
    assert torch.equal(back.features[4][0].weight, model.features[4][0].weight)


@pytest.mark.skipif(AnalogConv2dMapped is None, reason="mapped convolutions missing")
def test_cnn_mapped_conversion():
    mapping = MappingParameter(max_input_size=20, max_output_size=3)
    mapped = convert_to_analog(SmallCNN(), InferenceRPUConfig(mapping=mapping),
                               conversion_map=_DEFAULT_MAPPED_CONVERSION_MAP)
    assert type(mapped.features[0]) is AnalogConv2dMapped
    assert mapped(torch.rand(2, 1, 8, 8)).shape == (2, 3)


def test_root_options_and_tile_class():
    from aihwkit.simulator.tiles.inference_torch import TorchInferenceTile
    plain = convert_to_analog(Net(), SingleRPUConfig(), ensure_analog_root=False)
    assert type(plain) is Net and isinstance(plain.fc1, AnalogLinear)
    named = convert_to_analog(Net(), SingleRPUConfig(), module_name="block")
    assert type(named) is Net  # not the root of a model: never wrapped
    tiles = convert_to_analog(Net(), TorchInferenceRPUConfig(),
                              tile_module_class=TorchInferenceTile)
    assert all(type(tile) is TorchInferenceTile for tile in tiles.analog_tiles())


def test_state_dict_moves_between_converted_models():
    torch.manual_seed(2)
    source = convert_to_analog(Net(), InferenceRPUConfig())
    target = convert_to_analog(Net(), InferenceRPUConfig())
    target.load_state_dict(source.state_dict())
    for (name, mine), (_, theirs) in zip(target.get_weights().items(),
                                         source.get_weights().items()):
        assert torch.equal(mine[0], theirs[0]), name


class BasicBlock(nn.Module):
    """Residual block with a downsampling shortcut, as in torchvision's ResNet."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                        nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.downsample(x))


class TinyResNet(nn.Module):
    """Stem, two residual stages, pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(4, 4, 1), BasicBlock(4, 8, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layer1(self.stem(x))), 1))


@needs_conv
def test_resnet_style_model():
    torch.manual_seed(4)
    model = TinyResNet().eval()
    analog = convert_to_analog(model, _perfect()).eval()
    assert type(analog).__name__ == "AnalogWrapperTinyResNet"
    block = analog.layer1[1]
    assert type(block) is BasicBlock
    assert isinstance(block.conv1, AnalogConv2d) and isinstance(block.downsample,
                                                                AnalogSequential)
    assert isinstance(block.downsample[0], AnalogConv2d)
    assert len(list(analog.analog_tiles())) == 1 + 2 * 3 + 1
    x = torch.rand(2, 3, 8, 8)
    assert torch.allclose(analog(x), model(x), atol=1e-5)
    back = convert_to_digital(analog)
    assert type(back) is TinyResNet
    assert torch.equal(back.layer1[1].downsample[0].weight,
                       model.layer1[1].downsample[0].weight)
