"""Floating point tile: exact products and updates."""

from dataclasses import fields
from typing import Any, Optional

from aihwkit.simulator.configs.devices import FloatingPointDevice
from aihwkit.simulator.rpu_base import RPUSimple
from aihwkit.simulator.tiles.periphery import TileWithPeriphery


class FloatingPointTile(TileWithPeriphery):
    """Exact floating point tile of ``out_size x in_size`` weights.

    The products are ``y = W x`` and ``z = W^T d`` and the update is
    ``W <- W - lr * d^T x`` whatever configuration is given: with another config (e.g.
    an ``InferenceRPUConfig`` or a ``SingleRPUConfig`` passed through
    ``tile_module_class=FloatingPointTile``) its IO settings and pulsed device model are
    not simulated; only the fields its device shares with :class:`FloatingPointDevice`
    (``lifetime``, ``diffusion``, ``drift``) act. The mapping (bias, weight scaling,
    splitting) and pre/post-processing of the config apply as usual.

    Args:
        out_size: number of outputs.
        in_size: number of inputs.
        rpu_config: a :class:`FloatingPointRPUConfig` (default when ``None``).
        bias: whether the tile has a bias.
        in_trans, out_trans: feature dimension first for inputs / outputs.
    """

    # the exact engine has no output bound, whatever ``rpu_config.forward`` says
    handle_output_bound = False

    def __init__(self, out_size: int, in_size: int, rpu_config: Optional[Any] = None,
                 bias: bool = False, in_trans: bool = False, out_trans: bool = False) -> None:
        if rpu_config is None:
            # pylint: disable=import-outside-toplevel
            from aihwkit.simulator.configs.configs import FloatingPointRPUConfig
            rpu_config = FloatingPointRPUConfig()
        super().__init__(out_size, in_size, rpu_config, bias, in_trans, out_trans)

    def _create_engine(self) -> RPUSimple:
        engine_config = _exact_engine_config(self.rpu_config)
        return RPUSimple(engine_config, self.d_size, self.x_size, device=self.device,
                         dtype=self.get_dtype(), rng=self._rng)


def _exact_engine_config(rpu_config: Any) -> Any:
    """``rpu_config`` itself when it describes a floating point tile, else a
    ``FloatingPointRPUConfig`` whose device takes the shared fields of the config's
    device."""
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs.configs import FloatingPointRPUConfig
    device = getattr(rpu_config, "device", None)
    if isinstance(device, FloatingPointDevice) and not hasattr(rpu_config, "forward"):
        return rpu_config
    shared = {}
    for fld in fields(FloatingPointDevice):
        value = getattr(device, fld.name, None)
        if value is not None and type(value) is type(getattr(FloatingPointDevice(), fld.name)):
            shared[fld.name] = value
    return FloatingPointRPUConfig(device=FloatingPointDevice(**shared))


class CudaFloatingPointTile(FloatingPointTile):
    """A :class:`FloatingPointTile` whose state lives on a CUDA device."""


FloatingPointTile.cpu_class = FloatingPointTile
FloatingPointTile.cuda_class = CudaFloatingPointTile
