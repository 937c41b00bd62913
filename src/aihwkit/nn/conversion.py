"""Conversion of digital torch models to analog ones and back.

:func:`convert_to_analog` replaces every layer whose *exact* class is a key of a
conversion map (``torch.nn.Linear`` -> :class:`AnalogLinear`, ``Conv1d/2d/3d`` ->
``AnalogConv1d/2d/3d``, ``Sequential`` -> :class:`AnalogSequential`) by the analog class's
``from_digital``; subclasses of those torch classes are left alone. Each converted layer
receives its own deep copy of the RPU configuration. :func:`convert_to_digital` undoes it
with the layers' ``to_digital``.
"""

import importlib
from copy import deepcopy
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from torch.nn import Conv1d, Conv2d, Conv3d, Linear, Module, Sequential

from aihwkit.exceptions import ArgumentError
from aihwkit.nn.modules.base import AnalogLayerBase
from aihwkit.nn.modules.container import AnalogSequential, AnalogWrapper
from aihwkit.nn.modules.linear import AnalogLinear

RPUConfigFun = Callable[[str, Module, Any], Any]


def _optional(module_name: str, class_name: str) -> Optional[type]:
    """``module_name.class_name`` if that module exists in this version, else ``None``.

    Only a missing module is tolerated; an error raised while importing an existing one
    propagates.
    """
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise
    return getattr(module, class_name, None)


def _build_map(pairs: Iterable[Tuple[type, Optional[type]]]) -> Dict[type, type]:
    """``digital -> analog`` for the pairs whose analog class exists."""
    return {digital: analog for digital, analog in pairs if analog is not None}


_CONV = "aihwkit.nn.modules.conv"
_CONV_MAPPED = "aihwkit.nn.modules.conv_mapped"
_LINEAR_MAPPED = "aihwkit.nn.modules.linear_mapped"

_DEFAULT_CONVERSION_MAP: Dict[type, type] = _build_map([
    (Linear, AnalogLinear),
    (Conv1d, _optional(_CONV, "AnalogConv1d")),
    (Conv2d, _optional(_CONV, "AnalogConv2d")),
    (Conv3d, _optional(_CONV, "AnalogConv3d")),
    (Sequential, AnalogSequential),
])
"""Digital class -> analog class used by :func:`convert_to_analog` by default."""

_DEFAULT_MAPPED_CONVERSION_MAP: Dict[type, type] = _build_map([
    (Linear, _optional(_LINEAR_MAPPED, "AnalogLinearMapped")),
    (Conv1d, _optional(_CONV_MAPPED, "AnalogConv1dMapped")),
    (Conv2d, _optional(_CONV_MAPPED, "AnalogConv2dMapped")),
    (Conv3d, _optional(_CONV_MAPPED, "AnalogConv3dMapped")),
    (Sequential, AnalogSequential),
])
"""Like :data:`_DEFAULT_CONVERSION_MAP` with the tile-splitting ``*Mapped`` layers."""

_DEFAULT_DIGITAL_CONVERSION_SET: Set[type] = (set(_DEFAULT_CONVERSION_MAP.values())
                                              | set(_DEFAULT_MAPPED_CONVERSION_MAP.values()))
"""Analog classes that :func:`convert_to_digital` turns back into torch layers."""

# analog layers whose ``from_digital`` copies the weights into tiles (never keeping a
# reference to the digital parameters): the parameters they replace need no deep copy
_COPYING_LAYERS: Set[type] = {cls for cls in _DEFAULT_DIGITAL_CONVERSION_SET
                              if cls is not AnalogSequential}


def specific_rpu_config_id(module_name: str, module: Module, rpu_config: Any) -> Any:
    """Default per-layer configuration function: returns ``rpu_config`` unchanged.

    Args:
        module_name: dotted name of the layer in the model (``""`` for the root).
        module: the digital layer about to be converted.
        rpu_config: this layer's own copy of the configuration.
    """
    del module_name, module
    return rpu_config


def _exclusions(exclude_modules: Any) -> Set[str]:
    """The set of module names given as ``exclude_modules`` (one name or several)."""
    if exclude_modules is None:
        return set()
    if isinstance(exclude_modules, str):
        return {exclude_modules}
    try:
        names = set(exclude_modules)
    except TypeError as exc:
        raise ArgumentError("convert_to_analog: exclude_modules must be a module name or a "
                            "collection of module names, got "
                            f"{type(exclude_modules).__name__}") from exc
    if not all(isinstance(name, str) for name in names):
        raise ArgumentError("convert_to_analog: exclude_modules must contain module names "
                            "(str), got "
                            f"{sorted(map(repr, names))}")
    return names


def _check_module(owner: str, module: Any) -> None:
    if not isinstance(module, Module):
        raise ArgumentError(f"{owner}: module must be a torch.nn.Module, got "
                            f"{type(module).__name__}")


def _check_options(owner: str, module_name: Any, **flags: Any) -> None:
    if not isinstance(module_name, str):
        raise ArgumentError(f"{owner}: module_name must be a str, got {module_name!r}")
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ArgumentError(f"{owner}: {name} must be a bool, got {value!r}")


def _join(prefix: str, name: str) -> str:
    """Dotted name of child ``name`` of the module named ``prefix``."""
    return f"{prefix}.{name}" if prefix else name


def _leaves_to_replace(module: Module, conversion_map: Dict[type, type], name: str,
                       excluded: Set[str]) -> Iterator[Module]:
    """Modules without children that :func:`convert_to_analog` will replace by a layer
    copying their weights (same traversal rules as the conversion)."""
    children = list(module.named_children())
    if not children:
        if name not in excluded and conversion_map.get(type(module)) in _COPYING_LAYERS:
            yield module
        return
    for child_name, child in children:
        full_name = _join(name, child_name)
        if full_name not in excluded:
            yield from _leaves_to_replace(child, conversion_map, full_name, excluded)


def _copy_without_replaced_weights(module: Module, conversion_map: Dict[type, type],
                                   module_name: str, excluded: Set[str]) -> Module:
    """``deepcopy(module)`` that does not copy the parameters of layers about to be
    replaced (their values are written into tiles right afterwards).

    The memo of ``deepcopy`` is pre-filled so that those parameters map to themselves.
    A parameter also used by a module that stays digital (tied weights) is copied as
    usual, so the copy never shares a tensor with the original that it keeps.
    """
    replaced = list(_leaves_to_replace(module, conversion_map, module_name, excluded))
    candidates = {id(p): p for leaf in replaced for p in leaf.parameters(recurse=False)}
    replaced_ids = {id(leaf) for leaf in replaced}
    for sub in module.modules():
        if id(sub) in replaced_ids:
            continue
        for param in sub.parameters(recurse=False):
            candidates.pop(id(param), None)
    memo: Dict[int, Any] = {key: value for key, value in candidates.items()}
    return deepcopy(module, memo)


def convert_to_analog(module: Module, rpu_config: Any, tile_module_class: Optional[Any] = None,
                      conversion_map: Optional[Dict[type, type]] = None,
                      specific_rpu_config_fun: Optional[RPUConfigFun] = None,
                      module_name: str = "", ensure_analog_root: bool = True,
                      exclude_modules: Optional[List[str]] = None, inplace: bool = False,
                      verbose: bool = False) -> Module:
    """Replace the digital layers of ``module`` by analog ones.

    Rules: the root and every module without children whose exact class (not a
    subclass) is a key of ``conversion_map`` becomes
    ``conversion_map[cls].from_digital(mod, specific_rpu_config_fun(name, mod,
    deepcopy(rpu_config)), tile_module_class)``; modules with children are visited
    recursively; modules named in ``exclude_modules`` (dotted names, e.g. ``"fc2"`` or
    ``"features.0"``) are kept digital together with everything below them. Weights are
    copied exactly through ``set_weights`` (weight scaling applies). A root that is not
    analog afterwards is wrapped in :class:`AnalogWrapper` when ``ensure_analog_root``.

    Args:
        module: the torch model (or a single layer).
        rpu_config: RPU configuration; every converted layer gets its own deep copy.
        tile_module_class: tile class handed to ``from_digital`` (``None``: the config's).
        conversion_map: digital class -> analog class (default
            :data:`_DEFAULT_CONVERSION_MAP`; use :data:`_DEFAULT_MAPPED_CONVERSION_MAP`
            for tile-splitting layers).
        specific_rpu_config_fun: ``(name, module, rpu_config_copy) -> rpu_config`` to
            adapt the configuration per layer (default :func:`specific_rpu_config_id`).
        module_name: name of ``module`` in an enclosing model (``""``: it is the root).
        ensure_analog_root: wrap a non-analog root in :class:`AnalogWrapper`.
        exclude_modules: names of modules not to convert (a single name is accepted).
        inplace: modify ``module`` itself instead of a copy.
        verbose: print ``Converted '<name>' to '<AnalogClass>'.`` for every layer.

    Returns:
        The converted model (``module`` itself only if ``inplace`` and the root was not
        replaced or wrapped).

    Raises:
        ArgumentError: ``conversion_map`` is not a dict, ``exclude_modules`` does not
            hold names, ``specific_rpu_config_fun`` is not callable, ``module_name`` is
            not a str or a flag is not a bool.
    """
    if conversion_map is None:
        conversion_map = _DEFAULT_CONVERSION_MAP
    if not isinstance(conversion_map, dict):
        raise ArgumentError("convert_to_analog: conversion_map must be a dict mapping "
                            f"digital to analog classes, got {type(conversion_map).__name__}")
    _check_module("convert_to_analog", module)
    _check_options("convert_to_analog", module_name, ensure_analog_root=ensure_analog_root,
                   inplace=inplace, verbose=verbose)
    if specific_rpu_config_fun is None:
        specific_rpu_config_fun = specific_rpu_config_id
    elif not callable(specific_rpu_config_fun):
        raise ArgumentError("convert_to_analog: specific_rpu_config_fun must be a callable "
                            "(module_name, module, rpu_config) -> rpu_config, got "
                            f"{type(specific_rpu_config_fun).__name__}")
    excluded = _exclusions(exclude_modules)
    if not inplace:
        module = _copy_without_replaced_weights(module, conversion_map, module_name,
                                                excluded)
    module = _convert(module, rpu_config, tile_module_class, conversion_map,
                      specific_rpu_config_fun, module_name, excluded, verbose)
    if module_name == "" and ensure_analog_root and not isinstance(module, AnalogLayerBase):
        module = AnalogWrapper(module)
    return module


def _convert_one(module: Module, name: str, rpu_config: Any, tile_module_class: Optional[Any],
                 conversion_map: Dict[type, type], specific_rpu_config_fun: RPUConfigFun,
                 verbose: bool) -> Module:
    analog_class = conversion_map[type(module)]
    config = specific_rpu_config_fun(name, module, deepcopy(rpu_config))
    converted = analog_class.from_digital(module, config, tile_module_class)
    if verbose:
        print(f"Converted '{name}' to '{analog_class.__name__}'.")
    return converted


def _replace_children(module: Module, module_name: str,
                      branch: Callable[[Module, str], Module],
                      leaf: Callable[[Module, str], Optional[Module]],
                      excluded: Set[str]) -> Module:
    """Replace the children of ``module`` in place and return it.

    A child with children of its own becomes ``branch(child, name)``, any other child
    ``leaf(child, name)`` (``None``: kept); ``name`` is the child's dotted name below
    ``module_name``. Children named in ``excluded`` are kept as they are.
    """
    for name, child in list(module.named_children()):
        full_name = _join(module_name, name)
        if full_name in excluded:
            continue
        if next(child.children(), None) is not None:
            new_child: Optional[Module] = branch(child, full_name)
        else:
            new_child = leaf(child, full_name)
        if new_child is not None and new_child is not child:
            module._modules[name] = new_child  # pylint: disable=protected-access
    return module


def _convert(module: Module, rpu_config: Any, tile_module_class: Optional[Any],
             conversion_map: Dict[type, type], specific_rpu_config_fun: RPUConfigFun,
             module_name: str, excluded: Set[str], verbose: bool) -> Module:
    """Convert ``module`` (if its class is mapped) and then its children, in place."""

    def convert(child: Module, name: str) -> Module:
        return _convert_one(child, name, rpu_config, tile_module_class, conversion_map,
                            specific_rpu_config_fun, verbose)

    def branch(child: Module, name: str) -> Module:
        return _convert(child, rpu_config, tile_module_class, conversion_map,
                        specific_rpu_config_fun, name, excluded, verbose)

    def leaf(child: Module, name: str) -> Optional[Module]:
        return convert(child, name) if type(child) in conversion_map else None

    if type(module) in conversion_map and module_name not in excluded:
        module = convert(module, module_name)
    return _replace_children(module, module_name, branch, leaf, excluded)


def _analog_leaves(module: Module, conversion_set: Set[type]) -> Iterator[Module]:
    """Analog layers (not containers) that :func:`convert_to_digital` replaces."""
    for sub in module.modules():
        if type(sub) in conversion_set and isinstance(sub, AnalogLayerBase) \
                and not sub.IS_CONTAINER and type(sub) in _COPYING_LAYERS:
            yield sub


def convert_to_digital(module: Module, conversion_set: Optional[Set[type]] = None,
                       module_name: str = "", inplace: bool = False) -> Module:
    """Replace the analog layers of ``module`` by torch layers with the same weights.

    The root is converted if its class is in ``conversion_set`` or it is an
    :class:`AnalogWrapper` (which gives back an instance of the wrapped class); modules
    with children are visited recursively; leaves whose class is in the set become
    ``cls.to_digital(mod)`` (exact logical weights, not read back through the noisy
    periphery).

    Args:
        module: the analog model.
        conversion_set: analog classes to convert (default
            :data:`_DEFAULT_DIGITAL_CONVERSION_SET`).
        module_name: name of ``module`` in an enclosing model (``""``: the root); the
            dotted names below it identify a layer in the errors.
        inplace: modify ``module`` itself instead of a copy.

    Returns:
        The digital model.

    Raises:
        ArgumentError: ``conversion_set`` is not a set, a class in it has no
            ``to_digital``, ``module_name`` is not a str or ``inplace`` not a bool.
    """
    if conversion_set is None:
        conversion_set = _DEFAULT_DIGITAL_CONVERSION_SET
    if not isinstance(conversion_set, set):
        raise ArgumentError("convert_to_digital: conversion_set must be a set of analog "
                            f"classes, got {type(conversion_set).__name__}")
    _check_module("convert_to_digital", module)
    _check_options("convert_to_digital", module_name, inplace=inplace)
    if not inplace:
        # analog layers about to be replaced are read, never modified: no need to copy them
        memo: Dict[int, Any] = {id(layer): layer
                                for layer in _analog_leaves(module, conversion_set)}
        module = deepcopy(module, memo)
    return _to_digital(module, conversion_set, module_name)


def _digital_of(module: Module, module_name: str) -> Module:
    to_digital = getattr(type(module), "to_digital", None)
    if to_digital is None:
        raise ArgumentError(f"convert_to_digital: module '{module_name}' of class "
                            f"{type(module).__name__} has no to_digital: remove the class "
                            "from conversion_set")
    return to_digital(module)


def _to_digital(module: Module, conversion_set: Set[type], module_name: str) -> Module:
    """Convert ``module`` (if its class is in the set) and then its children, in place."""

    def branch(child: Module, name: str) -> Module:
        return _to_digital(child, conversion_set, name)

    def leaf(child: Module, name: str) -> Optional[Module]:
        return _digital_of(child, name) if type(child) in conversion_set else None

    if type(module) in conversion_set or isinstance(module, AnalogWrapper):
        module = _digital_of(module, module_name)
    return _replace_children(module, module_name, branch, leaf, set())


def convert_to_analog_mapped(module: Module, rpu_config: Any,
                             tile_module_class: Optional[Any] = None,
                             specific_rpu_config_fun: Optional[RPUConfigFun] = None,
                             module_name: str = "", ensure_analog_root: bool = True,
                             exclude_modules: Optional[List[str]] = None,
                             inplace: bool = False, verbose: bool = False) -> Module:
    """:func:`convert_to_analog` with :data:`_DEFAULT_MAPPED_CONVERSION_MAP`."""
    return convert_to_analog(module, rpu_config, tile_module_class,
                             _DEFAULT_MAPPED_CONVERSION_MAP, specific_rpu_config_fun,
                             module_name, ensure_analog_root, exclude_modules, inplace,
                             verbose)
