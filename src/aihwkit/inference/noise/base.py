"""Base class of the phenomenological inference noise models.

A noise model turns target weights into *programmed* weights (programming noise, drawn
once per chip instance, together with per-device drift parameters) and programmed
weights into weights read at ``t_inference`` seconds after programming (drift and read
noise, redrawn on every call). It works on conductances obtained from a
:class:`BaseConductanceConverter`.

Random draws: every public method takes an optional ``generator``; all draws of that
call come from it, or from torch's global RNG when it is ``None``. Tiles pass their own
generator.
"""

from typing import Any, List, Optional, Tuple

import torch
from torch import Tensor

from aihwkit.inference._common import (
    InferenceArgumentError, RandomSource, check_t_inference, compact_str, public_equal)
from aihwkit.inference.converter.base import BaseConductanceConverter
from aihwkit.inference.converter.conductance import SinglePairConductanceConverter


def _as_slices(conductances: Any) -> Tuple[List[Tensor], bool]:
    """The converter's output as a list of tensors (and whether it was one tensor)."""
    if isinstance(conductances, Tensor):
        return [conductances], True
    return list(conductances), False


class BaseNoiseModel(RandomSource):
    """Programming, drift and read noise of the devices encoding the weights.

    Subclasses implement the per-conductance hooks
    :meth:`apply_programming_noise_to_conductance`, :meth:`generate_drift_coefficients`
    and :meth:`apply_drift_noise_to_conductance`; each acts elementwise on a tensor of
    conductances in µS and draws its noise through ``self._randn_like``.

    Args:
        g_converter: weight <-> conductance converter (default
            :class:`SinglePairConductanceConverter`).
    """

    def __init__(self, g_converter: Optional[BaseConductanceConverter] = None) -> None:
        self.g_converter = g_converter or SinglePairConductanceConverter()

    def __eq__(self, other: object) -> bool:
        return public_equal(self, other)

    def __str__(self) -> str:
        return compact_str(self)

    __repr__ = __str__

    # ------------------------------------------------------------------ public API
    @torch.no_grad()
    def apply_programming_noise(self, weights: Tensor,
                                generator: Optional[torch.Generator] = None
                                ) -> Tuple[Tensor, List[Any]]:
        """Program ``weights``: programming noise and drift parameters of every device.

        Args:
            weights: target weights ``[out_size, in_size]`` (tile units).
            generator: source of the random draws (``None``: torch's global RNG).

        Returns:
            The programmed weights (same shape) and the list of drift parameters, one
            entry per conductance slice of the converter.
        """
        with self._rng_scope(generator):
            conductances, params = self.g_converter.convert_to_conductances(weights)
            slices, single = _as_slices(conductances)
            programmed, drift_params = [], []
            for g_target in slices:
                programmed.append(self.apply_programming_noise_to_conductance(g_target))
                drift_params.append(self.generate_drift_coefficients(g_target.clone()))
            back = programmed[0] if single else programmed
            return self.g_converter.convert_back_to_weights(back, params), drift_params

    @torch.no_grad()
    def apply_drift_noise(self, weights: Tensor, drift_noise_parameters: List[Any],
                          t_inference: float,
                          generator: Optional[torch.Generator] = None) -> Tensor:
        """Weights read ``t_inference`` seconds after programming.

        The programmed ``weights`` are converted to conductances anew; drift and read
        noise act on each slice with its stored drift parameters.

        Args:
            weights: programmed weights ``[out_size, in_size]``.
            drift_noise_parameters: the list returned by :meth:`apply_programming_noise`.
            t_inference: seconds since programming (``>= 0``).
            generator: source of the random draws (``None``: torch's global RNG).

        Raises:
            ArgumentError: for a negative ``t_inference`` or a parameter list that does
                not match the converter's slices.
        """
        t_inference = check_t_inference(type(self).__name__, t_inference)
        with self._rng_scope(generator):
            conductances, params = self.g_converter.convert_to_conductances(weights)
            slices, single = _as_slices(conductances)
            if len(slices) != len(drift_noise_parameters):
                raise InferenceArgumentError(
                    f"{type(self).__name__}: {len(drift_noise_parameters)} drift parameter "
                    f"entries given for {len(slices)} conductance slices")
            drifted = [self.apply_drift_noise_to_conductance(g_prog, param, t_inference)
                       for g_prog, param in zip(slices, drift_noise_parameters)]
            back = drifted[0] if single else drifted
            return self.g_converter.convert_back_to_weights(back, params)

    def apply_noise(self, weights: Tensor, t_inference: float,
                    generator: Optional[torch.Generator] = None) -> Tensor:
        """Programming followed by drift to ``t_inference`` (fresh parameters each call)."""
        programmed, drift_params = self.apply_programming_noise(weights, generator)
        return self.apply_drift_noise(programmed, drift_params, t_inference, generator)

    # ------------------------------------------------------------------ hooks
    def apply_programming_noise_to_conductance(self, g_target: Tensor) -> Tensor:
        """Programmed conductances (µS) for the targets ``g_target`` (µS)."""
        raise NotImplementedError

    def generate_drift_coefficients(self, g_target: Tensor) -> Any:
        """Per-device drift parameters drawn at programming (default: none)."""
        return None

    def apply_drift_noise_to_conductance(self, g_prog: Tensor, drift_noise_param: Any,
                                         t_inference: float) -> Tensor:
        """Conductances (µS) read ``t_inference`` seconds after programming."""
        raise NotImplementedError
