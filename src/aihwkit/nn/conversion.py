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
    if exclude_modules is None:
        return set()
    if isinstance(exclude_modules, str):
        return {exclude_modules}
    try:
        names = set(exclude_modules)
    except TypeError as exc:
        raise ArgumentError("exclude_modules must be a module name or a collection of "
                            f"module names, got {type(exclude_modules).__name__}") from exc
    if not all(isinstance(name, str) for name in names):
        raise ArgumentError("exclude_modules must contain module names (str), got "
                            f"{sorted(map(repr, names))}")
    return names


def _join(prefix: str, name: str) -> str:
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
        ArgumentError: ``conversion_map`` is not a dict or ``exclude_modules`` does not
            hold names.
    """
    if conversion_map is None:
        conversion_map = _DEFAULT_CONVERSION_MAP
    if not isinstance(conversion_map, dict):
        raise ArgumentError("conversion_map must be a dict mapping digital to analog "
                            f"classes, got {type(conversion_map).__name__}")
    if not isinstance(module, Module):
        raise ArgumentError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if specific_rpu_config_fun is None:
        specific_rpu_config_fun = specific_rpu_config_id
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


def _convert(module: Module, rpu_config: Any, tile_module_class: Optional[Any],
             conversion_map: Dict[type, type], specific_rpu_config_fun: RPUConfigFun,
             module_name: str, excluded: Set[str], verbose: bool) -> Module:
    """Convert ``module`` (if its class is mapped) and then its children, in place."""
    if type(module) in conversion_map and module_name not in excluded:
        module = _convert_one(module, module_name, rpu_config, tile_module_class,
                              conversion_map, specific_rpu_config_fun, verbose)
    for name, child in list(module.named_children()):
        full_name = _join(module_name, name)
        if full_name in excluded:
            continue
        if next(child.children(), None) is not None:
            new_child = _convert(child, rpu_config, tile_module_class, conversion_map,
                                 specific_rpu_config_fun, full_name, excluded, verbose)
        elif type(child) in conversion_map:
            new_child = _convert_one(child, full_name, rpu_config, tile_module_class,
                                     conversion_map, specific_rpu_config_fun, verbose)
        else:
            continue
        if new_child is not child:
            module._modules[name] = new_child  # pylint: disable=protected-access
    return module


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
        module_name: name of ``module`` in an enclosing model (``""``: the root).
        inplace: modify ``module`` itself instead of a copy.

    Returns:
        The digital model.

    Raises:
        ArgumentError: ``conversion_set`` is not a set, or a class in it has no
            ``to_digital``.
    """
    if conversion_set is None:
        conversion_set = _DEFAULT_DIGITAL_CONVERSION_SET
    if not isinstance(conversion_set, set):
        raise ArgumentError("conversion_set must be a set of analog classes, got "
                            f"{type(conversion_set).__name__}")
    if not isinstance(module, Module):
        raise ArgumentError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not inplace:
        # analog layers about to be replaced are read, never modified: no need to copy them
        memo: Dict[int, Any] = {id(layer): layer
                                for layer in _analog_leaves(module, conversion_set)}
        module = deepcopy(module, memo)
    return _to_digital(module, conversion_set, module_name)


def _digital_of(module: Module) -> Module:
    to_digital = getattr(type(module), "to_digital", None)
    if to_digital is None:
        raise ArgumentError(f"{type(module).__name__} has no to_digital: remove it from "
                            "conversion_set")
    return to_digital(module)


def _to_digital(module: Module, conversion_set: Set[type], module_name: str) -> Module:
    if type(module) in conversion_set or isinstance(module, AnalogWrapper):
        module = _digital_of(module)
    for name, child in list(module.named_children()):
        if next(child.children(), None) is not None:
            new_child = _to_digital(child, conversion_set, _join(module_name, name))
        elif type(child) in conversion_set:
            new_child = _digital_of(child)
        else:
            continue
        if new_child is not child:
            module._modules[name] = new_child  # pylint: disable=protected-access
    return module


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
