"""``BasicInferencing``: accuracy of a (hardware-aware trained) model over drift time."""

import os
from typing import Any, Dict, List, Optional, Type

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from aihwkit.exceptions import ArgumentError
from aihwkit.experiments.experiments.base import (
    Experiment, Signals, check_positive_int, resolve_datasets)


class BasicInferencing(Experiment):
    """Program a model's analog weights repeatedly and evaluate it at drift times.

    For each of ``inference_repeats`` chip instances the model is put in eval mode and
    programmed (new programming noise), then for each time ``t`` of
    ``[0] + logspace(0, log10(inference_time), n_inference_times - 1)`` seconds drifted to
    ``t`` and evaluated.

    Args:
        dataset: a ``Dataset`` class (its test split is used), a ``(training,
            validation)`` pair (the validation part is used) or a ``Dataset`` instance.
        model: a model with analog inference layers.
        batch_size: evaluation batch size.
        loss_function: loss class (instantiated without arguments).
        weight_template_id: path of a saved ``state_dict`` to load first ("" keeps the
            model's weights); the stored RPU configurations are not loaded.
        inference_repeats: number of programmed instances.
        inference_time: last drift time in seconds (> 1).
        remap_weights: re-apply weight scaling (``remap_analog_weights``) after loading.
        n_inference_times: number of evaluation times (>= 2).
    """

    def __init__(self, dataset: Any, model: nn.Module, batch_size: int = 10,
                 loss_function: Type[nn.Module] = nn.CrossEntropyLoss,
                 weight_template_id: str = "", inference_repeats: int = 2,
                 inference_time: float = 86400, remap_weights: bool = True,
                 n_inference_times: int = 10) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise ArgumentError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not inference_time > 1:
            raise ArgumentError(f"inference_time must be > 1 s, got {inference_time}")
        if check_positive_int("n_inference_times", n_inference_times) < 2:
            raise ArgumentError(f"n_inference_times must be >= 2, got {n_inference_times}")
        self.dataset = dataset
        self.model = model
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.loss_function = loss_function
        self.weight_template_id = weight_template_id
        self.inference_repeats = check_positive_int("inference_repeats", inference_repeats)
        self.inference_time = float(inference_time)
        self.remap_weights = bool(remap_weights)
        self.n_inference_times = n_inference_times

    def inference_times(self) -> np.ndarray:
        """The evaluation times in seconds, starting with 0."""
        later = np.logspace(0, np.log10(self.inference_time), self.n_inference_times - 1)
        return np.concatenate([[0.0], later])

    def get_data_loader(self, max_elements: int = 0, dataset_root: str = "/tmp/data"
                        ) -> DataLoader:
        """Loader of the evaluation data (``max_elements``: first samples only, 0: all)."""
        if isinstance(self.dataset, Dataset):
            data: Dataset = self.dataset
            if max_elements:
                data = torch.utils.data.Subset(data, range(min(max_elements,
                                                               len(data))))  # type: ignore
        else:
            _, data = resolve_datasets(self.dataset, dataset_root)
            if max_elements:
                data = torch.utils.data.Subset(data, range(min(max_elements,
                                                               len(data))))  # type: ignore
        return DataLoader(data, batch_size=self.batch_size, shuffle=False)

    def get_model(self, device: torch.device) -> nn.Module:
        """The model with the template weights loaded (and remapped), on ``device``."""
        model = self.model
        template = self.weight_template_id
        if template:
            if template.startswith(("http://", "https://")) or not os.path.isfile(template):
                raise ArgumentError(f"weight_template_id {template!r} is not a local file: "
                                    "download the weights and pass the file's path")
            state = torch.load(template, map_location="cpu", weights_only=False)
            if hasattr(model, "analog_tiles"):
                model.load_state_dict(state, load_rpu_config=False)  # type: ignore[call-arg]
            else:
                model.load_state_dict(state)
        if self.remap_weights and hasattr(model, "remap_analog_weights"):
            model.remap_analog_weights()
        return model.to(device)

    @torch.no_grad()
    def evaluate(self, loader: DataLoader, model: nn.Module, loss_function: nn.Module,
                 device: torch.device) -> Dict[str, float]:
        """``accuracy``, ``error`` (= 1 - accuracy) and mean ``loss`` on ``loader``."""
        total, correct, count = 0.0, 0, 0
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            outputs = model(inputs)
            total += float(loss_function(outputs, labels)) * inputs.shape[0]
            correct += int((outputs.argmax(dim=1) == labels).sum())
            count += inputs.shape[0]
        accuracy = correct / max(count, 1)
        return {"accuracy": accuracy, "error": 1.0 - accuracy, "loss": total / max(count, 1)}

    def inference(self, loader: DataLoader, model: nn.Module, loss_function: nn.Module,
                  device: torch.device) -> Dict[str, Any]:
        """All repeats; returns ``inference_times`` and ``[repeats, times]`` arrays of
        ``accuracy``, ``error`` and ``loss`` plus their mean/std over repeats."""
        times = self.inference_times()
        metrics = {key: np.zeros((self.inference_repeats, times.size))
                   for key in ("accuracy", "error", "loss")}
        self._call_hook(Signals.INFERENCE_START, inference_times=times)
        model.eval()
        for repeat in range(self.inference_repeats):
            self._call_hook(Signals.INFERENCE_REPEAT_START, repeat=repeat)
            model.program_analog_weights()  # type: ignore[operator]
            for index, t_inference in enumerate(times):
                model.drift_analog_weights(float(t_inference))  # type: ignore[operator]
                values = self.evaluate(loader, model, loss_function, device)
                for key, value in values.items():
                    metrics[key][repeat, index] = value
            self._call_hook(Signals.INFERENCE_REPEAT_END, repeat=repeat,
                            accuracy=metrics["accuracy"][repeat].tolist())
        result: Dict[str, Any] = {"inference_times": times.tolist()}
        for key, values in metrics.items():
            result[key] = values
            result[f"{key}_mean"] = values.mean(axis=0)
            result[f"{key}_std"] = values.std(axis=0)
        result.update(self._call_hook(Signals.INFERENCE_END, **result))
        return result

    def run(self, max_elements: int = 0, dataset_root: str = "/tmp/data",
            device: Optional[torch.device] = None) -> Dict[str, Any]:
        """Load, program, drift and evaluate (see :meth:`inference`)."""
        device = torch.device("cpu") if device is None else torch.device(device)
        loader = self.get_data_loader(max_elements, dataset_root)
        model = self.get_model(device)
        return self.inference(loader, model, self.loss_function(), device)

    def results_per_time(self, result: Dict[str, Any]) -> List[Dict[str, float]]:
        """One dict per time: ``t_inference``, ``accuracy_mean``, ``accuracy_std``."""
        return [{"t_inference": t, "accuracy_mean": float(m), "accuracy_std": float(s)}
                for t, m, s in zip(result["inference_times"], result["accuracy_mean"],
                                   result["accuracy_std"])]
