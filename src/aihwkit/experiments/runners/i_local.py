"""``InferenceLocalRunner``: run an inference experiment on this machine."""

from typing import Any, Callable, Dict, Optional, Union

import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.experiments.experiments.base import Signals
from aihwkit.experiments.experiments.inferencing import BasicInferencing


class InferenceLocalRunner:
    """Runs a :class:`BasicInferencing` on a local device.

    Args:
        device: torch device (default: CPU).
    """

    def __init__(self, device: Optional[Union[str, torch.device]] = None) -> None:
        self.device = torch.device("cpu") if device is None else torch.device(device)

    def run(self, experiment: BasicInferencing, max_elements: int = 0,
            dataset_root: str = "/tmp/datasets", stdout: bool = False) -> Dict[str, Any]:
        """Run ``experiment``; returns its result (see ``BasicInferencing.inference``).

        Args:
            experiment: the inference experiment.
            max_elements: evaluate only this many samples (0: all).
            dataset_root: folder for dataset classes.
            stdout: print the mean accuracy per inference time at the end.
        """
        if not isinstance(experiment, BasicInferencing):
            raise ArgumentError(f"experiment must be a BasicInferencing, got "
                                f"{type(experiment).__name__}")
        printer: Optional[Callable[..., None]] = None
        if stdout:
            def _print(**result: Any) -> None:
                for t_inference, mean, std in zip(result["inference_times"],
                                                  result["accuracy_mean"],
                                                  result["accuracy_std"]):
                    print(f"t = {t_inference:12.1f} s  accuracy {mean:.4f} +- {std:.4f}")
            printer = _print
            experiment.add_hook(Signals.INFERENCE_END, printer)
        try:
            return experiment.run(max_elements, dataset_root, self.device)
        finally:
            if printer is not None:
                experiment.hooks[Signals.INFERENCE_END].remove(printer)
