"""Layering is one way: nothing under ``aihwkit.simulator`` imports ``aihwkit.nn``,
``aihwkit.optim`` or ``aihwkit.inference``."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import aihwkit.simulator

ABOVE = ("aihwkit.nn", "aihwkit.optim", "aihwkit.inference")
ROOT = Path(aihwkit.simulator.__file__).parent


def _modules():
    names = ["aihwkit.simulator"]
    for info in pkgutil.walk_packages([str(ROOT)], prefix="aihwkit.simulator."):
        names.append(info.name)
    return sorted(names)


def _module_level_imports(path):
    """Imports executed when the module is imported (not those inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in tree.body:
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(item, ast.Import):
                found += [alias.name for alias in item.names]
            elif isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
                found.append(item.module)
            stack.extend(ast.iter_child_nodes(item))
    return found


def test_no_module_level_import_from_a_layer_above():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        for name in _module_level_imports(path):
            if name.startswith(ABOVE):
                offenders.append(f"{path.relative_to(ROOT.parent)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_importing_every_simulator_module_loads_nothing_above():
    code = (
        "import importlib, json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"for name in {_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({ABOVE!r}))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], loaded


def test_old_import_paths_still_work():
    # pylint: disable=import-outside-toplevel
    from aihwkit.optim.context import AnalogContext
    from aihwkit.simulator.tiles.context import AnalogContext as Moved
    assert AnalogContext is Moved
