"""Experiment base: hook signals, hook registry and dataset resolution."""

import inspect
from enum import Enum
from typing import Any, Callable, Dict, List, Optional, Tuple

from torch.utils.data import Dataset, Subset

from aihwkit.exceptions import ArgumentError


class Signals(Enum):
    """Points of an experiment at which hooks are called."""

    EXPERIMENT_START = 1
    EXPERIMENT_END = 2
    EPOCH_START = 10
    EPOCH_END = 11
    TRAIN_EPOCH_START = 20
    TRAIN_EPOCH_END = 21
    TRAIN_EPOCH_BATCH_START = 22
    TRAIN_EPOCH_BATCH_END = 23
    VALIDATION_EPOCH_START = 30
    VALIDATION_EPOCH_END = 31
    VALIDATION_EPOCH_BATCH_START = 32
    VALIDATION_EPOCH_BATCH_END = 33
    INFERENCE_START = 40
    INFERENCE_END = 41
    INFERENCE_REPEAT_START = 50
    INFERENCE_REPEAT_END = 51


Hook = Callable[..., Optional[Dict[str, Any]]]

# mean and std used to normalize the two data sets that aihwkit's experiments know by name
_NORMALIZATION = {
    "FashionMNIST": ((0.2860,), (0.3205,)),
    "SVHN": ((0.4377, 0.4438, 0.4728), (0.1980, 0.2010, 0.1970)),
}


class Experiment:
    """Base of all experiments: a registry of hooks per :class:`Signals` member.

    A hook is called with keyword arguments describing the event; if it returns a dict,
    that dict is merged into the result of the current epoch (training) or repeat
    (inference).
    """

    def __init__(self) -> None:
        self.hooks: Dict[Signals, List[Hook]] = {signal: [] for signal in Signals}

    def add_hook(self, key: Signals, hook: Hook) -> None:
        """Call ``hook`` at ``key``.

        Raises:
            ArgumentError: ``key`` is not a ``Signals`` member or ``hook`` not callable.
        """
        if not isinstance(key, Signals):
            raise ArgumentError(f"key must be a Signals member, got {key!r}")
        if not callable(hook):
            raise ArgumentError(f"hook must be callable, got {hook!r}")
        self.hooks[key].append(hook)

    def clear_hooks(self) -> None:
        """Remove every hook."""
        self.hooks = {signal: [] for signal in Signals}

    def _call_hook(self, key: Signals, **kwargs: Any) -> Dict[str, Any]:
        merged: Dict[str, Any] = {}
        for hook in self.hooks[key]:
            returned = hook(**kwargs)
            if isinstance(returned, dict):
                merged.update(returned)
        return merged


def dataset_transform(dataset_class: type) -> Any:
    """torchvision transform for a dataset class: normalization for FashionMNIST and
    SVHN, ``ToTensor`` otherwise."""
    try:
        from torchvision import transforms  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise ImportError("dataset classes are built with torchvision transforms: install "
                          "torchvision, or pass (train, validation) Dataset instances"
                          ) from exc
    steps = [transforms.ToTensor()]
    if dataset_class.__name__ in _NORMALIZATION:
        mean, std = _NORMALIZATION[dataset_class.__name__]
        steps.append(transforms.Normalize(mean, std))
    return transforms.Compose(steps)


def _instantiate(dataset_class: type, root: str, train: bool) -> Dataset:
    transform = dataset_transform(dataset_class)
    params = inspect.signature(dataset_class).parameters
    if "split" in params and "train" not in params:
        return dataset_class(root, split="train" if train else "test", download=True,
                             transform=transform)
    return dataset_class(root, train=train, download=True, transform=transform)


def resolve_datasets(dataset: Any, dataset_root: str, max_elements: int = 0
                     ) -> Tuple[Dataset, Dataset]:
    """``(training, validation)`` datasets.

    Args:
        dataset: a ``Dataset`` class taking ``(root, train=..., download=..., transform=...)``
            (or ``split=`` like SVHN), or a ``(training, validation)`` pair of ``Dataset``
            instances.
        dataset_root: folder for dataset classes.
        max_elements: use only the first ``max_elements`` training samples (0: all).

    Raises:
        ArgumentError: ``dataset`` is neither.
    """
    if isinstance(max_elements, bool) or not isinstance(max_elements, int) or max_elements < 0:
        raise ArgumentError(f"max_elements must be an integer >= 0, got {max_elements!r}")
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2 \
            and all(isinstance(part, Dataset) for part in dataset):
        training, validation = dataset
    elif inspect.isclass(dataset) and issubclass(dataset, Dataset):
        training = _instantiate(dataset, dataset_root, True)
        validation = _instantiate(dataset, dataset_root, False)
    else:
        raise ArgumentError("dataset must be a torch Dataset class or a (training, "
                            f"validation) pair of Dataset instances, got {dataset!r}")
    if max_elements and max_elements < len(training):  # type: ignore[arg-type]
        training = Subset(training, range(max_elements))
    return training, validation


def check_positive_int(name: str, value: Any) -> int:
    """``value`` if it is an integer >= 1, otherwise ``ArgumentError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    return value
