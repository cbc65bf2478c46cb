"""Who runs a piece of code: the service, on every request, task and message, or an operator, by hand or
from cron (scripts, command lines, Django management commands and the helpers only they call). Rules that
judge only the service's path ask here."""

from __future__ import annotations

import ast
import re
from typing import Callable

from audit_lib.entry_points import is_plugin_module
from audit_lib.libs.web import route_handlers
from audit_lib.pyast import (
    ancestors,
    decorator_names,
    dotted,
    enclosing_function,
    functions,
    has_main_block,
    qualified,
    string_value,
    walk_nodes,
)
from audit_lib.source import Project, SourceModule, is_management_command, is_test_path

SCRIPT_DIRS = {"scripts", "script", "bin", "cli", "tools", "commands", "examples", "example", "docs", "benchmarks", "bench",
               "docker", "deploy", "ops", "dev"}
CELERY_TASK_DECORATORS = {"task", "shared_task"}
CLI_LIBRARIES = ("argparse", "click", "typer", "fire", "docopt", "optparse")
ANSIBLE_ROLE_FILE = re.compile(r"(^|/)roles/[^/]+/(files|templates)/")


def is_script_file(module: SourceModule) -> bool:
    """Scripts, CLIs, migrations and tooling: not the running service."""
    parts = module.path.split("/")
    name = parts[-1]
    if name in ("manage.py", "noxfile.py", "fabfile.py", "__main__.py", "cli.py", "conf.py"):
        return True
    if name == "setup.py" and any(module.imports_module(lib) for lib in ("setuptools", "distutils")):
        return True  # a package's setup.py; a service module may be named setup.py too (an API's setup endpoints)
    if name == "tasks.py" and any(module.imports_module(lib) for lib in ("invoke", "fabric")):
        return True  # invoke's tasks.py; a Celery or arq tasks.py is the service's worker code
    if any(p in SCRIPT_DIRS for p in parts[:-1]):
        return True
    if not name[:-3].isidentifier():
        return True  # no import can name it (upload-screenshots.py): it can only be run
    if ANSIBLE_ROLE_FILE.search(module.path):
        return True  # copied onto a host by the deployment and run there by cron or by hand
    if is_management_command(module.path) or "/migrations/" in f"/{module.path}":
        return True
    return module.imports_module("alembic")  # alembic migrations and env.py


def is_offline_file(module: SourceModule, project: Project) -> bool:
    """Code that an operator runs by hand rather than the service: scripts and tooling
    (:func:`is_script_file`), runnable files outside the service's packages, command-line modules
    without route handlers or worker tasks, and the helpers of Django management commands. (A runnable module inside
    a package, ``python -m app.worker``, may well be a service process: it stays; so does a plugin the
    packaging metadata registers as an entry point, loaded by the running product.)"""
    if is_plugin_module(module, project):
        return False
    if is_script_file(module) or in_management_package(module, project) or is_command_line_helper(module, project):
        return True
    if is_runnable_script(module, project) and not project.in_package(module):
        return True
    return any(module.imports_module(lib) for lib in CLI_LIBRARIES) and not route_handlers(module, project) \
        and not defines_worker_tasks(module)


def is_celery_task(module: SourceModule, fn: ast.AST) -> bool:
    """``@app.task``, ``@celery.task(bind=True)``, ``@shared_task``: a function the Celery workers run."""
    return any(name.rsplit(".", 1)[-1] in CELERY_TASK_DECORATORS for name in decorator_names(module, fn))


def defines_worker_tasks(module: SourceModule) -> bool:
    """A module that defines Celery tasks: the workers run them, however many, even when the module also
    imports a command-line library for a helper (``click.echo``)."""
    return any(is_celery_task(module, fn) for fn in functions(module.tree))


def is_runnable_script(module: SourceModule, project: Project) -> bool:
    """A file with a ``__main__`` block and no route handlers is run by hand, not served; so is a file
    at the code root, beside the service's packages, that no module imports (``ping.py``, ``export.py``),
    and one whose top-level code takes a command-line argument (``sys.argv[1]``): importing it would
    need one."""
    loose_root_file = "/" not in module.path and any("/" in m.path for m in project.modules) \
        and not _imported_root_module(module, project)
    return (has_main_block(module) or loose_root_file or _takes_arguments_at_import(module)) \
        and not route_handlers(module, project)


def _imported_root_module(module: SourceModule, project: Project) -> bool:
    """Whether some file imports a module at the code root, by its own name or under the name of the
    package the root is (``from aleph.oauth import oauth`` for ``oauth.py`` of an ``aleph/`` root)."""
    name = module.path[:-3]
    return name in project.imported_roots or any(f"{namespace}.{name}" in project.imported_roots
                                                 for namespace in project.installed_namespaces)


def _takes_arguments_at_import(module: SourceModule) -> bool:
    """Top-level code (outside functions and classes) that reads an argument: ``sys.argv[1]``, ``sys.argv[1:]``."""
    pending = [n for n in module.tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Subscript) and qualified(module, node.value) == "sys.argv" \
                and string_value(node.slice) is None and not (isinstance(node.slice, ast.Constant) and node.slice.value == 0):
            return True  # sys.argv[0] is the program's name: any process has one
        pending.extend(n for n in ast.iter_child_nodes(node)
                       if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)))
    return False


def is_command_line_helper(module: SourceModule, project: Project) -> bool:
    """A module that only scripts, command lines and tests import (``manage.py`` importing
    ``management/run.py``): it runs when an operator runs them, never in the service. (A package's
    ``__main__.py`` may start the service: what only it imports stays; so does a plugin registered as
    an entry point, which the product loads without an import.)"""
    if is_plugin_module(module, project):
        return False
    by_hand = [m for m in module_importers(module, project) if not is_test_path(m.path)]
    return bool(by_hand) and all(is_script_file(m) and not is_shipped_command(m, project) for m in by_hand)


def module_importers(module: SourceModule, project: Project) -> list[SourceModule]:
    """The other modules that import ``module``, by its dotted name or a shorter one."""
    importers = _importers(project)
    parts = module.dotted_name.split(".")
    names = {".".join(parts[i:]) for i in range(len(parts) - 1)} or {module.dotted_name}
    return list({id(m): m for name in names for m in importers.get(name, ()) if m is not module}.values())


def _importers(project: Project) -> dict[str, list[SourceModule]]:
    """Imported dotted name -> the modules that import it (computed once per project)."""
    table = project.facts.get("operator_code.importers")
    if table is None:
        table = {}
        for module in project.modules:
            for name in module.imported_roots:
                table.setdefault(name, []).append(module)
        project.facts["operator_code.importers"] = table
    return table  # type: ignore[return-value]


def is_shipped_command(module: SourceModule, project: Project) -> bool:
    """One of the product's own commands: a package's ``__main__.py`` (``python -m app``, the service's
    entry point when the package is the service), or a module of a scripts folder that is itself a
    subpackage of the product's package (``app/scripts/restore.py`` beside ``app/scripts/__init__.py``
    and ``app/__init__.py``). Those are installed with the product and run on each of its hosts, by the
    service, its automation or its operators, not once from a checkout; a hang or a retry there happens
    on every host. (Django ``management/commands`` are one-off jobs by convention: not these.)"""
    parts = module.path.split("/")
    if parts[-1] == "__main__.py":
        return project.in_package(module)
    index = next((i for i, part in enumerate(parts[:-1]) if part in SCRIPT_DIRS), None)
    if not index or "management" in parts:
        return False
    packages = project.package_folders
    return "/".join(parts[:index + 1]) in packages and "/".join(parts[:index]) in packages


def in_management_package(module: SourceModule, project: Project) -> bool:
    """A module of a Django ``management`` package (one with a ``commands/`` folder): the commands'
    shared base classes and helpers, run from the command line like the commands themselves."""
    parts = module.path.split("/")[:-1]
    if "management" not in parts:
        return False
    prefix = "/".join(parts[:parts.index("management") + 1]) + "/commands/"
    return any(m.path.startswith(prefix) for m in project.modules)


COMMON_METHOD_NAMES = {"get", "post", "put", "patch", "delete", "run", "send", "execute", "call", "request", "main",
                       "process", "handle", "update", "create", "save", "fetch", "start"}


def run_by_operators(module: SourceModule, project: Project, fn: ast.AST | None,
                     also: Callable[[SourceModule, ast.AST], bool] | None = None, depth: int = 0) -> bool:
    """Whether a function runs only when an operator or a cron job asks for it: a command of a
    command-line module that the service code never calls, or a function every use of which is a call
    from a script's ``if __name__ == "__main__":`` block or from such a function (or one ``also``
    accepts), up to five calls deep. A service function nothing calls (a route, a task, a signal
    receiver: the framework calls it), or one handed on as a value (a job table, a thread's target), is
    on the service's path. Functions are found by qualified name through any import alias, methods by
    name (not the common ones: ``get``, ``run``, ...)."""
    if fn is None:
        return False
    if also is not None and also(module, fn):
        return True
    method = isinstance(module.parents.get(fn), ast.ClassDef)
    if depth > 4 or fn.name.startswith("__") or method and fn.name in COMMON_METHOD_NAMES:
        return False
    uses = function_uses(module, project, fn)
    if not uses:
        return _command_line(module, project)  # run by the command-line framework, or by the service's
    for user, node, called in uses:
        if not called:
            return False
        if _in_script_main_block(user, project, node):
            continue
        caller = enclosing_function(user, node)
        if not (_command_line(user, project) if caller is None
                else run_by_operators(user, project, caller, also, depth + 1)):
            return False
    return True


MIGRATE_SIGNALS = frozenset({"pre_migrate", "post_migrate"})  # Django's: sent by the migrate command


def receives_migrate_signal(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A receiver of Django's ``pre_migrate``/``post_migrate`` signal (``@receiver(post_migrate)``, or
    ``post_migrate.connect(create_permissions)`` anywhere in the code base, ``apps.py`` included): the ``migrate``
    command runs it, once per app, on the operator's console rather than on a request's path."""
    def migrate_signal(node: ast.AST) -> bool:
        return (dotted(node) or "").split(".")[-1] in MIGRATE_SIGNALS

    if any(isinstance(d, ast.Call) and (dotted(d.func) or "").split(".")[-1] == "receiver" and d.args
           and migrate_signal(d.args[0]) for d in getattr(fn, "decorator_list", ())):
        return True
    return any(isinstance(call := user.parents.get(node), ast.Call) and node in call.args and isinstance(
        call.func, ast.Attribute) and call.func.attr == "connect" and migrate_signal(call.func.value)
        for user, node, called in function_uses(module, project, fn) if not called)


def function_uses(module: SourceModule, project: Project, fn: ast.AST) -> list[tuple[SourceModule, ast.AST, bool]]:
    """Where the service code outside ``fn`` names ``fn``: (module, node, whether it is called there)."""
    method = isinstance(module.parents.get(fn), ast.ClassDef)
    keys = [f".{fn.name}"] if method else [f"{name}.{fn.name}" for name in _module_names(module, project)]
    return [(m, node, called) for key in keys for m, node, called in _function_uses(project).get(key, [])
            if enclosing_function(m, node) is not fn]


def _module_names(module: SourceModule, project: Project) -> list[str]:
    """Every dotted name imports reach ``module`` by: its path's name and the shorter names
    :attr:`Project.by_dotted_name` gives it (``shop.seeding`` for ``src/shop/seeding.py``)."""
    table = project.facts.get("operator_code.module_names")
    if table is None:
        table = {}
        for name, named in project.by_dotted_name.items():
            table.setdefault(named.path, []).append(name)
        project.facts["operator_code.module_names"] = table
    return table.get(module.path, [module.dotted_name])  # type: ignore[union-attr]


def _command_line(module: SourceModule, project: Project) -> bool:
    """Code an operator runs; not a ``wsgi.py``/``asgi.py`` at the code root, how the service starts."""
    return is_offline_file(module, project) and module.path.rsplit("/", 1)[-1] not in ("wsgi.py", "asgi.py")


def _function_uses(project: Project) -> dict[str, list[tuple[SourceModule, ast.AST, bool]]]:
    """Where the service code names a function: its qualified name (``app.jobs.sync``, through any
    import alias) or ``.name`` for a method -> (module, node, whether it is called there)."""
    table = project.facts.get("operator_code.function_uses")
    if table is None:
        table = {}
        for module in project.modules:
            if is_test_path(module.path):
                continue
            called = {id(n.func) for n in module.nodes_of(ast.Call)}
            for node in walk_nodes(module.tree):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    keys = [module.imports.get(node.id) or f"{module.dotted_name}.{node.id}"]
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                    keys = [f".{node.attr}", qualified(module, node)]
                else:
                    continue
                for key in filter(None, keys):
                    table.setdefault(key, []).append((module, node, id(node) in called))
        project.facts["operator_code.function_uses"] = table
    return table  # type: ignore[return-value]


def _in_script_main_block(module: SourceModule, project: Project, node: ast.AST) -> bool:
    """In the ``__main__`` block of a script run by hand or by cron (a command-line module, or one named for
    cron: ``cron_job.py``); a package module's ``__main__`` may start a service worker (``python -m app.worker``)."""
    if "cron" not in module.path.rsplit("/", 1)[-1] and not _command_line(module, project):
        return False
    return any(isinstance(p, ast.If) and "__main__" in ast.unparse(p.test) and "__name__" in ast.unparse(p.test)
               for p in ancestors(module, node))
