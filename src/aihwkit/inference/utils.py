"""Programming and drifting every inference tile of a model."""

from typing import Any, Iterator, Optional

from torch.nn import Module

from aihwkit.exceptions import ArgumentError, ModuleError


def _tiles(model: Module) -> Iterator[Any]:
    """Every tile module of ``model``."""
    from aihwkit.simulator.tiles.base import TileModuleBase  # pylint: disable=import-outside-toplevel
    for module in model.modules():
        if isinstance(module, TileModuleBase):
            yield module


def _check_model(model: Any, what: str) -> None:
    if not isinstance(model, Module):
        raise ArgumentError(f"{what}: model must be a torch.nn.Module, "
                            f"got {type(model).__name__}")
    if model.training:
        raise ModuleError(f"{what} can only be applied in evaluation mode "
                          "(call model.eval() first)")


def program_analog_weights(model: Module, noise_model: Optional[Any] = None) -> None:
    """Program the weights of every inference tile of ``model`` (programming noise).

    Args:
        model: a module in eval mode.
        noise_model: a noise model replacing the tiles' configured one (``None``: keep).

    Raises:
        ModuleError: if ``model`` is in training mode, or holds a tile that cannot be
            programmed with a noise model (not an inference tile).
    """
    from aihwkit.simulator.tiles.inference import InferenceTileWithPeriphery

    _check_model(model, "program_analog_weights")
    tiles = list(_tiles(model))
    for tile in tiles:
        if not isinstance(tile, InferenceTileWithPeriphery):
            raise ModuleError(f"program_analog_weights: tile {type(tile).__name__} is not an "
                              "inference tile (use an InferenceRPUConfig)")
    for tile in tiles:
        tile.program_weights(noise_model=noise_model)


def drift_analog_weights(model: Module, t_inference: float = 0.0) -> None:
    """Apply drift and read noise for ``t_inference`` seconds after programming to every
    inference tile of ``model`` (programming first where not yet done); other tiles are
    left alone.

    Raises:
        ModuleError: if ``model`` is in training mode.
        ArgumentError: for a negative ``t_inference``.
    """
    from aihwkit.inference._common import check_t_inference
    from aihwkit.simulator.tiles.inference import InferenceTileWithPeriphery

    _check_model(model, "drift_analog_weights")
    t_inference = check_t_inference("drift_analog_weights", t_inference)
    for tile in _tiles(model):
        if isinstance(tile, InferenceTileWithPeriphery):
            tile.drift_weights(t_inference)
