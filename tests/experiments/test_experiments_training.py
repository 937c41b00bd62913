"""``BasicTraining``, ``BasicInferencing`` and their local runners on glyph data."""

import pytest
import torch
from torch import nn

from aihwkit.exceptions import ArgumentError
from aihwkit.experiments import BasicInferencing, BasicTraining, Signals
from aihwkit.experiments.runners import InferenceLocalRunner, LocalRunner
from aihwkit.nn import AnalogLinear, AnalogSequential
from aihwkit.simulator.configs import FloatingPointRPUConfig, InferenceRPUConfig
from aihwkit.utils.glyphs import glyph_dataset


def _model(config, log_softmax=True):
    layers = [AnalogLinear(35, 16, rpu_config=config), nn.Sigmoid(),
              AnalogLinear(16, 10, rpu_config=config)]
    if log_softmax:
        layers.append(nn.LogSoftmax(dim=1))
    return AnalogSequential(*layers)


@pytest.fixture
def data():
    return glyph_dataset(320, seed=0), glyph_dataset(100, seed=1)


def test_signal_values():
    assert Signals.EXPERIMENT_START.value == 1 and Signals.EPOCH_END.value == 11
    assert Signals.VALIDATION_EPOCH_BATCH_END.value == 33
    assert Signals.INFERENCE_REPEAT_END.value == 51


def test_training_learns_and_reports_per_epoch(data, capsys):
    experiment = BasicTraining(data, _model(FloatingPointRPUConfig()), batch_size=16,
                               epochs=4, learning_rate=0.5)
    results = LocalRunner().run(experiment, stdout=True)
    assert [r["epoch"] for r in results] == [0, 1, 2, 3]
    for result in results:
        assert {"epoch", "time_epoch", "accuracy", "train_loss", "valid_loss"} <= set(result)
    assert results[-1]["train_loss"] < results[0]["train_loss"]
    assert results[-1]["accuracy"] > 0.5  # chance is 0.1
    assert len(capsys.readouterr().out.strip().splitlines()) == 4
    assert experiment.hooks[Signals.EPOCH_END] == []  # the runner's printer is removed


def test_hooks_are_called_and_merged(data):
    experiment = BasicTraining(data, _model(FloatingPointRPUConfig()), batch_size=32,
                               epochs=2)
    calls = {"batches": 0, "valid_batches": 0}

    def on_batch(**kwargs):
        calls["batches"] += 1
        assert kwargs["batch_size"] == 32 and kwargs["loss"] > 0

    def on_valid(**kwargs):
        calls["valid_batches"] += 1

    experiment.add_hook(Signals.TRAIN_EPOCH_BATCH_END, on_batch)
    experiment.add_hook(Signals.VALIDATION_EPOCH_BATCH_END, on_valid)
    experiment.add_hook(Signals.EPOCH_END, lambda **kw: {"twice": 2 * kw["epoch"]})
    results = experiment.run(max_elements=64)
    assert calls == {"batches": 2 * 2, "valid_batches": 2 * 4}  # 64/32 and ceil(100/32)
    assert [r["twice"] for r in results] == [0, 2]
    experiment.clear_hooks()
    assert all(not hooks for hooks in experiment.hooks.values())
    with pytest.raises(ArgumentError, match="Signals"):
        experiment.add_hook("EPOCH_END", on_batch)


def test_subclass_overrides_the_optimizer(data):
    class WithScheduler(BasicTraining):
        def get_optimizer(self, learning_rate, model):
            optimizer = super().get_optimizer(learning_rate, model)
            self.scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1,
                                                             gamma=0.5)
            return optimizer

        def training_step(self, *args, **kwargs):
            result = super().training_step(*args, **kwargs)
            self.scheduler.step()
            return result

    experiment = WithScheduler(data, _model(FloatingPointRPUConfig()), epochs=2)
    experiment.run(max_elements=64)
    assert experiment.scheduler.get_last_lr() == pytest.approx(
        [0.05 * 0.25] * len(experiment.scheduler.get_last_lr()))


def test_bad_arguments(data):
    with pytest.raises(ArgumentError, match="dataset"):
        BasicTraining([1, 2, 3], _model(FloatingPointRPUConfig())).run()
    with pytest.raises(ArgumentError, match="epochs"):
        BasicTraining(data, _model(FloatingPointRPUConfig()), epochs=0)
    with pytest.raises(ArgumentError, match="model"):
        BasicTraining(data, "model")
    with pytest.raises(ArgumentError, match="BasicTraining"):
        LocalRunner().run("experiment")


def test_inferencing_over_drift_times(data, tmp_path, capsys):
    torch.manual_seed(0)
    model = _model(InferenceRPUConfig(), log_softmax=False)
    BasicTraining(data, model, loss_function=nn.CrossEntropyLoss, batch_size=16, epochs=2,
                  learning_rate=0.5).run()
    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    fresh = _model(InferenceRPUConfig(), log_softmax=False)
    experiment = BasicInferencing(data, fresh, batch_size=50, weight_template_id=str(path),
                                  inference_repeats=3, inference_time=1e4,
                                  n_inference_times=3)
    assert experiment.inference_times().tolist() == [0.0, 1.0, 1e4]
    repeats = []
    experiment.add_hook(Signals.INFERENCE_REPEAT_END, lambda **kw: repeats.append(kw))
    result = InferenceLocalRunner().run(experiment, stdout=True)
    assert result["accuracy"].shape == (3, 3)
    assert result["error"] == pytest.approx(1 - result["accuracy"])
    assert [r["repeat"] for r in repeats] == [0, 1, 2]
    # the loaded weights were trained: above chance (0.1) right after programming (over
    # seeds 0-5 this short training gives 0.23-0.60)
    assert result["accuracy_mean"][0] > 0.2
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    with pytest.raises(ArgumentError, match="local file"):
        BasicInferencing(data, fresh, weight_template_id="https://example.org/w.pt").run()


def test_dataset_class_needs_torchvision_or_builds_both_splits(tmp_path):
    calls = []

    class Digits(torch.utils.data.Dataset):
        """A dataset class with the torchvision constructor signature."""

        def __init__(self, root, train=True, download=False, transform=None):
            calls.append((root, train, download, transform is not None))
            self.data = glyph_dataset(40 if train else 20, seed=int(train))

        def __len__(self):
            return len(self.data)

        def __getitem__(self, index):
            return self.data[index]

    experiment = BasicTraining(Digits, _model(FloatingPointRPUConfig()), epochs=1)
    try:
        import torchvision  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        with pytest.raises(ImportError, match="torchvision"):
            experiment.run(dataset_root=str(tmp_path))
        return
    results = experiment.run(dataset_root=str(tmp_path), max_elements=32)
    assert calls == [(str(tmp_path), True, True, True), (str(tmp_path), False, True, True)]
    assert len(results) == 1
