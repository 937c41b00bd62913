"""``build_config``: an RPU config for a named training algorithm and a device."""

from copy import deepcopy
from typing import Any

from aihwkit.exceptions import ArgumentError
from aihwkit.simulator.configs.compounds import (
    ChoppedTransferCompound, DynamicTransferCompound, MixedPrecisionCompound,
    TransferCompound, VectorUnitCell)
from aihwkit.simulator.configs.configs import (
    DigitalRankUpdateRPUConfig, SingleRPUConfig, UnitCellRPUConfig)
from aihwkit.simulator.parameters.enums import (
    BoundManagementType, NoiseManagementType, VectorUnitCellUpdatePolicy)
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.training import UpdateParameters

_TIKI_TAKA = ("tiki-taka", "tt", "ttv1")
_TTV2 = ("ttv2",)
_CHOPPED = ("chopped-ttv2", "ttv3", "c-ttv2")
_AGAD = ("agad", "ttv4")
_MIXED = ("mp", "mixed-precision")


def _make(source: Any, **overrides: Any) -> Any:
    """A new object from ``source``: called if it is a class or other callable, otherwise
    a deep copy with ``overrides`` written into its attributes."""
    if callable(source):  # a class or a factory function
        return source(**overrides)
    made = deepcopy(source)
    made.__dict__.update(overrides)
    return made


def build_config(algorithm: str, device: Any, io_parameters: Any = IOParameters,
                 up_parameters: Any = UpdateParameters, n_devices: int = 1,
                 construction_seed: int = 0, **kwargs: Any) -> Any:
    """Build the RPU config of a training ``algorithm`` for ``device``.

    Args:
        algorithm: ``"sgd"``, ``"tiki-taka"``/``"tt"``/``"ttv1"``, ``"ttv2"``,
            ``"chopped-ttv2"``/``"ttv3"``/``"c-ttv2"``, ``"agad"``/``"ttv4"`` or
            ``"mp"``/``"mixed-precision"`` (case-insensitive).
        device: device class, factory or instance (an instance is copied per use).
        io_parameters: IO parameters class, factory or instance.
        up_parameters: update parameters class, factory or instance.
        n_devices: devices per crosspoint for ``"sgd"`` (more than one: a
            ``VectorUnitCell`` updating one random device per cycle).
        construction_seed: seed of the device-to-device draws (0: random).
        **kwargs: further arguments of the RPU config (e.g. ``mapping=``).

    Returns:
        A ``SingleRPUConfig``, ``UnitCellRPUConfig`` or ``DigitalRankUpdateRPUConfig``.

    Raises:
        ArgumentError: the algorithm is not known.
    """
    name = algorithm.lower()
    io_kw = {"forward": _make(io_parameters), "backward": _make(io_parameters)}
    no_management = {"noise_management": NoiseManagementType.NONE,
                     "bound_management": BoundManagementType.NONE}
    single_pulse = {"desired_bl": 1, "update_bl_management": False,
                    "update_management": False}

    if name == "sgd":
        if n_devices == 1:
            return SingleRPUConfig(device=_make(device, construction_seed=construction_seed),
                                   update=_make(up_parameters), **io_kw, **kwargs)
        cell = VectorUnitCell([_make(device) for _ in range(n_devices)],
                              update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM,
                              construction_seed=construction_seed)
        return UnitCellRPUConfig(device=cell, update=_make(up_parameters), **io_kw, **kwargs)

    if name in _TIKI_TAKA:
        compound: Any = TransferCompound(
            [_make(device), _make(device)],
            transfer_forward=_make(io_parameters, **no_management),
            transfer_update=_make(up_parameters), units_in_mbatch=True,
            construction_seed=construction_seed)
        return UnitCellRPUConfig(device=compound, update=_make(up_parameters), **io_kw,
                                 **kwargs)

    if name in _TTV2 or name in _CHOPPED:
        extra = ({"in_chop_prob": 0.0, "auto_scale": False} if name in _TTV2
                 else {"fast_lr": 0.1, "auto_scale": True})
        compound = ChoppedTransferCompound(
            [_make(device), _make(device)],
            transfer_forward=_make(io_parameters, **no_management),
            transfer_update=_make(up_parameters, **single_pulse), units_in_mbatch=False,
            construction_seed=construction_seed, **extra)
        return UnitCellRPUConfig(device=compound, update=_make(up_parameters, desired_bl=5),
                                 **io_kw, **kwargs)

    if name in _AGAD:
        compound = DynamicTransferCompound(
            [_make(device), _make(device)], transfer_forward=_make(io_parameters),
            transfer_update=_make(up_parameters, desired_bl=1, update_bl_management=True,
                                  update_management=True),
            auto_scale=True, fast_lr=0.1, units_in_mbatch=False,
            construction_seed=construction_seed)
        return UnitCellRPUConfig(device=compound, update=_make(up_parameters, desired_bl=5),
                                 **io_kw, **kwargs)

    if name in _MIXED:
        compound = MixedPrecisionCompound(
            device=_make(device, construction_seed=construction_seed))
        return DigitalRankUpdateRPUConfig(device=compound, update=_make(up_parameters),
                                          **io_kw, **kwargs)

    raise ArgumentError(f"Algorithm '{algorithm}' is not known")
