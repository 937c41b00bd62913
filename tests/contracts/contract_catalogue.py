"""The catalogue of simulated configurations that drives the contract suites.

Built from the engine's registry (every device/unit-cell/compound config class with a
registered engine, plus every subclass of one found in the preset modules) and from the
RPU configuration classes of ``aihwkit.simulator.configs``/``presets``. Each registered
class needs a factory below; :func:`uncovered` lists the ones without, and the suites
fail on them (nothing is skipped silently).
"""

import inspect
from typing import Any, Callable, Dict, List, Tuple

from aihwkit.simulator import configs, presets
from aihwkit.simulator.configs import (
    DigitalRankUpdateRPUConfig, SingleRPUConfig, UnitCellRPUConfig, compounds, devices)
from aihwkit.simulator.parameters.base import RPUConfigBase
from aihwkit.simulator.rpu_base import registry

C = compounds
D = devices


def _pair() -> List[Any]:
    return [D.ConstantStepDevice(), D.ConstantStepDevice()]


# registered config class -> RPU config using it (compounds get small children)
DEVICE_FACTORIES: Dict[type, Callable[[], Any]] = {
    D.FloatingPointDevice: lambda: configs.FloatingPointRPUConfig(),
    D.IdealDevice: lambda: SingleRPUConfig(device=D.IdealDevice()),
    D.ConstantStepDevice: lambda: SingleRPUConfig(device=D.ConstantStepDevice()),
    D.ExpStepDevice: lambda: SingleRPUConfig(device=D.ExpStepDevice()),
    D.LinearStepDevice: lambda: SingleRPUConfig(device=D.LinearStepDevice()),
    D.SoftBoundsDevice: lambda: SingleRPUConfig(device=D.SoftBoundsDevice()),
    D.SoftBoundsPmaxDevice: lambda: SingleRPUConfig(device=D.SoftBoundsPmaxDevice()),
    D.PiecewiseStepDevice: lambda: SingleRPUConfig(device=D.PiecewiseStepDevice()),
    D.PowStepDevice: lambda: SingleRPUConfig(device=D.PowStepDevice()),
    D.PowStepReferenceDevice: lambda: SingleRPUConfig(device=D.PowStepReferenceDevice()),
    D.SoftBoundsReferenceDevice: lambda: SingleRPUConfig(
        device=D.SoftBoundsReferenceDevice()),
    C.VectorUnitCell: lambda: UnitCellRPUConfig(
        device=C.VectorUnitCell(unit_cell_devices=_pair())),
    C.OneSidedUnitCell: lambda: UnitCellRPUConfig(
        device=C.OneSidedUnitCell(unit_cell_devices=[D.ConstantStepDevice()])),
    C.ReferenceUnitCell: lambda: UnitCellRPUConfig(
        device=C.ReferenceUnitCell(unit_cell_devices=_pair())),
    C.TransferCompound: lambda: UnitCellRPUConfig(
        device=C.TransferCompound(unit_cell_devices=_pair())),
    C.BufferedTransferCompound: lambda: UnitCellRPUConfig(
        device=C.BufferedTransferCompound(unit_cell_devices=_pair())),
    C.ChoppedTransferCompound: lambda: UnitCellRPUConfig(
        device=C.ChoppedTransferCompound(unit_cell_devices=_pair())),
    C.DynamicTransferCompound: lambda: UnitCellRPUConfig(
        device=C.DynamicTransferCompound(unit_cell_devices=_pair())),
    C.MixedPrecisionCompound: lambda: DigitalRankUpdateRPUConfig(
        device=C.MixedPrecisionCompound(device=D.ConstantStepDevice())),
}

# RPU config classes that cannot build a tile by design (the user must choose a
# device or unit cell first), with the reason
ABSTRACT_RPU_CONFIGS = {
    "UnitCellRPUConfig": "needs a unit cell or compound device",
    "DigitalRankUpdateRPUConfig": "needs a mixed-precision compound device",
    "IOManagedRPUConfig": "base class of the IO-managed configs",
}


def registered_classes() -> List[type]:
    """Config classes with an engine of their own in the registry."""
    registry._load_engines()  # pylint: disable=protected-access
    return sorted(registry._ENGINES, key=lambda k: k.__name__)  # pylint: disable=protected-access


def preset_device_classes() -> List[type]:
    """Preset device/unit-cell classes (subclasses of registered classes)."""
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.presets import compounds as preset_compounds
    from aihwkit.simulator.presets import devices as preset_devices
    found = []
    roots = tuple(registered_classes())
    for module in (preset_devices, preset_compounds):
        for _, obj in sorted(vars(module).items()):
            if inspect.isclass(obj) and issubclass(obj, roots) and obj not in roots \
                    and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def _preset_device_factory(klass: type) -> Callable[[], Any]:
    if issubclass(klass, C.OneSidedUnitCell) or issubclass(klass, C.VectorUnitCell):
        return lambda: UnitCellRPUConfig(device=klass())
    return lambda: SingleRPUConfig(device=klass())


def rpu_config_classes() -> List[Tuple[str, type]]:
    """Every public RPU configuration class of the config and preset modules."""
    found = {}
    for module in (configs, presets):
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, RPUConfigBase) \
                    and not name.startswith("_") and obj is not RPUConfigBase:
                found[name] = obj
    return sorted(found.items())


def uncovered() -> List[str]:
    """Registered classes without a factory (the suites fail if this is not empty)."""
    return [k.__name__ for k in registered_classes() if k not in DEVICE_FACTORIES]


def cases() -> List[Tuple[str, Callable[[], Any]]]:
    """``(case id, RPU config factory)`` for every simulated class."""
    out: List[Tuple[str, Callable[[], Any]]] = []
    for klass in registered_classes():
        if klass in DEVICE_FACTORIES:
            out.append((f"device:{klass.__name__}", DEVICE_FACTORIES[klass]))
    for klass in preset_device_classes():
        out.append((f"preset-device:{klass.__name__}", _preset_device_factory(klass)))
    for name, klass in rpu_config_classes():
        if name not in ABSTRACT_RPU_CONFIGS:
            out.append((f"config:{name}", klass))
    return out


CASES = cases()
CASE_IDS = [name for name, _ in CASES]
