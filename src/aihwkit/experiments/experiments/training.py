"""``BasicTraining``: train a model with ``AnalogSGD`` on a dataset, validating per epoch."""

import time
from typing import Any, Dict, List, Optional, Tuple, Type

import torch
from torch import nn
from torch.utils.data import DataLoader

from aihwkit.exceptions import ArgumentError
from aihwkit.experiments.experiments.base import (
    Experiment, Signals, check_positive_int, resolve_datasets)
from aihwkit.optim import AnalogSGD


class BasicTraining(Experiment):
    """Supervised training: shuffled mini-batches, ``AnalogSGD``, validation each epoch.

    Args:
        dataset: a ``Dataset`` class (torchvision-like, built under ``dataset_root`` with
            normalization for FashionMNIST/SVHN) or a ``(training, validation)`` pair of
            ``Dataset`` instances yielding ``(input, label)``.
        model: the network (``nn.Module``, analog layers or not).
        batch_size: mini-batch size.
        loss_function: loss class, instantiated without arguments (default ``NLLLoss``:
            the model should end with ``LogSoftmax``).
        epochs: number of epochs.
        learning_rate: SGD learning rate.

    Subclasses may override :meth:`get_optimizer`, :meth:`training_step` and
    :meth:`validation_step` (e.g. to add a learning-rate scheduler).
    """

    def __init__(self, dataset: Any, model: nn.Module, batch_size: int = 64,
                 loss_function: Type[nn.Module] = nn.NLLLoss, epochs: int = 30,
                 learning_rate: float = 0.05) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise ArgumentError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not learning_rate > 0:
            raise ArgumentError(f"learning_rate must be > 0, got {learning_rate}")
        self.dataset = dataset
        self.model = model
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.loss_function = loss_function
        self.epochs = check_positive_int("epochs", epochs)
        self.learning_rate = float(learning_rate)

    # ------------------------------------------------------------------ pieces
    def get_data_loaders(self, max_elements: int = 0, dataset_root: str = "/tmp/data"
                         ) -> Tuple[DataLoader, DataLoader]:
        """Shuffled training and validation loaders."""
        training, validation = resolve_datasets(self.dataset, dataset_root, max_elements)
        return (DataLoader(training, batch_size=self.batch_size, shuffle=True),
                DataLoader(validation, batch_size=self.batch_size, shuffle=True))

    def get_optimizer(self, learning_rate: float, model: nn.Module) -> torch.optim.Optimizer:
        """``AnalogSGD`` over the model's parameters, analog tiles regrouped."""
        optimizer = AnalogSGD(model.parameters(), lr=learning_rate)
        optimizer.regroup_param_groups(model)
        return optimizer

    def get_model(self, device: torch.device) -> nn.Module:
        """The model moved to ``device``."""
        return self.model.to(device)

    def training_step(self, training_loader: DataLoader, model: nn.Module,
                      optimizer: torch.optim.Optimizer, loss_function: nn.Module,
                      device: torch.device) -> Dict[str, float]:
        """One epoch of training; returns ``train_loss`` (sample-weighted mean)."""
        model.train()
        total, count = 0.0, 0
        self._call_hook(Signals.TRAIN_EPOCH_START)
        for inputs, labels in training_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            self._call_hook(Signals.TRAIN_EPOCH_BATCH_START, batch_size=inputs.shape[0])
            optimizer.zero_grad()
            loss = loss_function(model(inputs), labels)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * inputs.shape[0]
            count += inputs.shape[0]
            self._call_hook(Signals.TRAIN_EPOCH_BATCH_END, batch_size=inputs.shape[0],
                            loss=float(loss.detach()))
        result = {"train_loss": total / max(count, 1)}
        result.update(self._call_hook(Signals.TRAIN_EPOCH_END, **result))
        return result

    @torch.no_grad()
    def validation_step(self, validation_loader: DataLoader, model: nn.Module,
                        loss_function: nn.Module, device: torch.device) -> Dict[str, float]:
        """Evaluate; returns ``valid_loss`` and ``accuracy`` (fraction correct)."""
        model.eval()
        total, correct, count = 0.0, 0, 0
        self._call_hook(Signals.VALIDATION_EPOCH_START)
        for inputs, labels in validation_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            self._call_hook(Signals.VALIDATION_EPOCH_BATCH_START, batch_size=inputs.shape[0])
            outputs = model(inputs)
            loss = float(loss_function(outputs, labels))
            hits = int((outputs.argmax(dim=1) == labels).sum())
            total += loss * inputs.shape[0]
            correct += hits
            count += inputs.shape[0]
            self._call_hook(Signals.VALIDATION_EPOCH_BATCH_END, batch_size=inputs.shape[0],
                            loss=loss, correct=hits)
        result = {"valid_loss": total / max(count, 1), "accuracy": correct / max(count, 1)}
        result.update(self._call_hook(Signals.VALIDATION_EPOCH_END, **result))
        return result

    # ------------------------------------------------------------------ loop
    def train(self, training_loader: DataLoader, validation_loader: DataLoader,
              model: nn.Module, optimizer: torch.optim.Optimizer, loss_function: nn.Module,
              epochs: int, device: torch.device) -> List[Dict[str, Any]]:
        """Train for ``epochs``; one result dict per epoch with ``epoch``,
        ``time_epoch`` (s), ``train_loss``, ``valid_loss``, ``accuracy`` and whatever the
        ``EPOCH_END`` hooks return."""
        results = []
        self._call_hook(Signals.EXPERIMENT_START, epochs=epochs)
        for epoch in range(epochs):
            start = time.perf_counter()
            self._call_hook(Signals.EPOCH_START, epoch=epoch)
            epoch_result: Dict[str, Any] = {"epoch": epoch}
            epoch_result.update(self.training_step(training_loader, model, optimizer,
                                                    loss_function, device))
            epoch_result.update(self.validation_step(validation_loader, model,
                                                      loss_function, device))
            epoch_result["time_epoch"] = time.perf_counter() - start
            epoch_result.update(self._call_hook(Signals.EPOCH_END, **epoch_result))
            results.append(epoch_result)
        self._call_hook(Signals.EXPERIMENT_END, results=results)
        return results

    def run(self, max_elements: int = 0, dataset_root: str = "/tmp/data",
            device: Optional[torch.device] = None) -> List[Dict[str, Any]]:
        """Build loaders, model, optimizer and loss; train. Returns the per-epoch results.

        Args:
            max_elements: use only this many training samples (0: all).
            dataset_root: folder for dataset classes.
            device: torch device (default CPU).
        """
        device = torch.device("cpu") if device is None else torch.device(device)
        training_loader, validation_loader = self.get_data_loaders(max_elements, dataset_root)
        model = self.get_model(device)
        optimizer = self.get_optimizer(self.learning_rate, model)
        return self.train(training_loader, validation_loader, model, optimizer,
                          self.loss_function(), self.epochs, device)

    def __str__(self) -> str:
        return (f"{type(self).__name__}(dataset={getattr(self.dataset, '__name__', 'pair')}, "
                f"batch_size={self.batch_size}, loss_function={self.loss_function.__name__}, "
                f"epochs={self.epochs}, learning_rate={self.learning_rate})")
