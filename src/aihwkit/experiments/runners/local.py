"""``LocalRunner``: run a training experiment on this machine."""

from typing import Any, Callable, Dict, List, Optional, Union

import torch

from aihwkit.exceptions import ArgumentError
from aihwkit.experiments.experiments.base import Signals
from aihwkit.experiments.experiments.training import BasicTraining


class LocalRunner:
    """Runs a :class:`BasicTraining` on a local device.

    Args:
        device: torch device (default: CPU).
    """

    def __init__(self, device: Optional[Union[str, torch.device]] = None) -> None:
        self.device = torch.device("cpu") if device is None else torch.device(device)

    def run(self, experiment: BasicTraining, max_elements_train: int = 0,
            dataset_root: str = "/tmp/datasets", stdout: bool = False
            ) -> List[Dict[str, Any]]:
        """Run ``experiment``; returns one dict per epoch with ``epoch``, ``time_epoch``,
        ``accuracy``, ``train_loss`` and ``valid_loss``.

        Args:
            experiment: the training experiment.
            max_elements_train: use only this many training samples (0: all).
            dataset_root: folder for dataset classes.
            stdout: print one line per epoch.
        """
        if not isinstance(experiment, BasicTraining):
            raise ArgumentError(f"experiment must be a BasicTraining, got "
                                f"{type(experiment).__name__}")
        printer: Optional[Callable[..., None]] = None
        if stdout:
            def _print(**result: Any) -> None:
                print(f"epoch {result['epoch']:3d}  train loss {result['train_loss']:.4f}  "
                      f"valid loss {result['valid_loss']:.4f}  accuracy "
                      f"{result['accuracy']:.4f}  ({result['time_epoch']:.1f} s)")
            printer = _print
            experiment.add_hook(Signals.EPOCH_END, printer)
        try:
            results = experiment.run(max_elements_train, dataset_root, self.device)
        finally:
            if printer is not None:
                experiment.hooks[Signals.EPOCH_END].remove(printer)
        return results
