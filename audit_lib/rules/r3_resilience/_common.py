"""Facts that several R3 rules ask: is this test code, a script, a CLI, a call to localhost?"""

from __future__ import annotations

import ast
import re

from audit_lib.libs.http import OutboundCall
from audit_lib.libs.web import RouteHandler, project_routes
from audit_lib.pyast import string_value
from audit_lib.source import Project, SourceModule, is_test_path

SCRIPT_DIRS = {"scripts", "script", "bin", "cli", "tools", "commands", "examples", "example", "docs", "benchmarks", "bench",
               "docker", "deploy", "ops", "dev"}
LOCAL_TARGET = re.compile(r"^\w+://(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])([:/]|$)")


def is_test_file(module: SourceModule) -> bool:
    return is_test_path(module.path)


def is_script_file(module: SourceModule) -> bool:
    """Scripts, CLIs, migrations and tooling: not the running service."""
    parts = module.path.split("/")
    name = parts[-1]
    if name in ("setup.py", "manage.py", "noxfile.py", "tasks.py", "fabfile.py", "__main__.py", "cli.py", "conf.py"):
        return True
    if any(p in SCRIPT_DIRS for p in parts[:-1]):
        return True
    if "management/commands" in module.path or "/migrations/" in f"/{module.path}":
        return True
    return module.imports_module("alembic")  # alembic migrations and env.py


def in_main_block(module: SourceModule, node: ast.AST) -> bool:
    """Whether ``node`` sits under ``if __name__ == "__main__":``."""
    parent = module.parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.If) and _is_main_test(parent.test):
            return True
        parent = module.parents.get(parent)
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    values = {s.value for s in sides if isinstance(s, ast.Constant)}
    return "__name__" in names and "__main__" in values


def targets_localhost(call: OutboundCall) -> bool:
    """Whether the call's URL is written as a literal pointing at this machine."""
    node = call.node
    candidates = [*node.args[:2], *(kw.value for kw in node.keywords if kw.arg == "url")]
    for arg in candidates:
        if isinstance(arg, ast.JoinedStr) and arg.values:
            arg = arg.values[0]
        text = string_value(arg)
        if text and LOCAL_TARGET.match(text):
            return True
    return False


def service_routes(project: Project) -> list[tuple[SourceModule, RouteHandler]]:
    """The project's route handlers, leaving out apps that tests build for themselves."""
    return [(m, h) for m, h in project_routes(project) if not is_test_file(m)]
