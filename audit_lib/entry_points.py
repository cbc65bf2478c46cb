"""Plugins the target's packaging metadata registers as entry points.

A module named by an entry point (``[project.entry-points."app.plugins"]`` in pyproject.toml,
``[tool.poetry.plugins."app.plugins"]``, ``[options.entry_points]`` in setup.cfg, ``entry_points=``
given to ``setup()`` in setup.py) is loaded by the running product through
``importlib.metadata``: no static import may name it, yet it is service code. Groups of commands
(``console_scripts``, ``gui_scripts``, groups named for commands, CLIs or scripts) and test-runner
plugins (``pytest11``) are left out: those run by hand or under the test runner.

The metadata files are only read, never executed.
"""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from audit_lib.pyast import string_value
from audit_lib.source import Project, SourceModule, project_files

COMMAND_GROUP_WORDS = ("console_scripts", "gui_scripts", "script", "command", "cli", "pytest")
MAX_DEPTH = 3  # folders below the root searched for pyproject.toml and setup.cfg (one per plugin package)
_FACT = "entry_points.plugin_modules"  # Project.facts key


def is_plugin_module(module: SourceModule, project: Project) -> bool:
    """Whether the packaging metadata registers ``module`` as a plugin entry point."""
    paths = project.facts.get(_FACT)
    if paths is None:
        paths = project.facts[_FACT] = frozenset(_plugin_paths(project))
    return module.path in paths


def _plugin_paths(project: Project) -> set[str]:
    paths = set()
    for target in _plugin_targets(project):
        module = project.by_dotted_name.get(target)
        if module is not None:
            paths.add(module.path)
    return paths


def _plugin_targets(project: Project) -> list[str]:
    """The dotted module names of every plugin entry point (``pkg.mod`` of ``name = pkg.mod:Class``)."""
    groups: list[tuple[str, list[str]]] = []
    for path in _metadata_files(project.root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            groups.extend(_toml_groups(text) if path.name == "pyproject.toml" else _cfg_groups(text))
        except (OSError, ValueError, configparser.Error):
            continue  # unreadable or malformed metadata says nothing
    for module in project.modules:
        if module.path.rsplit("/", 1)[-1] == "setup.py":
            groups.extend(_setup_py_groups(module))
    targets = []
    for group, values in groups:
        if any(word in group.lower() for word in COMMAND_GROUP_WORDS):
            continue
        for value in values:
            target = value.split("=", 1)[-1].split(":", 1)[0].split("[", 1)[0].strip()
            if target and all(part.isidentifier() for part in target.split(".")):
                targets.append(target)
    return targets


def _metadata_files(root: Path) -> list[Path]:
    return list(project_files(root, ("pyproject.toml", "setup.cfg").__contains__, MAX_DEPTH))


def _toml_groups(text: str) -> list[tuple[str, list[str]]]:
    data = tomllib.loads(text)
    tables = [data.get("project", {}).get("entry-points", {}),
              data.get("tool", {}).get("poetry", {}).get("plugins", {})]
    return [(group, [str(v) for v in entries.values()])
            for table in tables if isinstance(table, dict)
            for group, entries in table.items() if isinstance(entries, dict)]


def _cfg_groups(text: str) -> list[tuple[str, list[str]]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    if not parser.has_section("options.entry_points"):
        return []
    return [(group, [line for line in value.splitlines() if line.strip()])
            for group, value in parser.items("options.entry_points")]


def _setup_py_groups(module: SourceModule) -> list[tuple[str, list[str]]]:
    """``setup(entry_points={"app.plugins": ["x = app.x:Plugin"]})`` (also a dict bound to a module-level
    name, or an ini-style string per group)."""
    found = []
    for call in module.nodes_of(ast.Call):
        value = next((kw.value for kw in call.keywords if kw.arg == "entry_points"), None)
        if isinstance(value, ast.Name):
            value = next((n.value for n in module.tree.body if isinstance(n, ast.Assign)
                          and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)), None)
        if not isinstance(value, ast.Dict):
            continue
        for key, entries in zip(value.keys, value.values):
            group = string_value(key)
            if group is None:
                continue
            items = entries.elts if isinstance(entries, (ast.List, ast.Tuple)) else [entries]
            lines = [line for item in items if string_value(item) for line in string_value(item).splitlines()]
            found.append((group, [line for line in lines if line.strip()]))
    return found
