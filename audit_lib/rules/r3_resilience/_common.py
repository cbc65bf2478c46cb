"""Facts that several R3 rules ask: is this test code, a call to localhost or to the service itself, a
task only a schedule starts? (Whether code is a script or a command line: :mod:`audit_lib.operator_code`.)"""

from __future__ import annotations

import ast
import re

from audit_lib.libs.db import single_binding
from audit_lib.libs.http import OutboundCall
from audit_lib.libs.web import RouteHandler, project_routes
from audit_lib.operator_code import is_script_file
from audit_lib.pyast import FUNCTION_TYPES, call_name, dotted, enclosing_function, string_value, walk_nodes
from audit_lib.source import Project, SourceModule, is_test_path

LOCAL_TARGET = re.compile(r"^\w+://(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])([:/]|$)")


def is_test_file(module: SourceModule) -> bool:
    return is_test_path(module.path)


def targets_own_service(module: SourceModule, call: OutboundCall) -> bool:
    """Whether the call's URL is written as a literal pointing at this machine, or starts with the service's
    own public address (``f"{SITE_URL}/api/v2/entities/{pk}/"``, directly, through a local, or returned by a
    helper of the same module): a call to itself crosses no service boundary."""
    node = call.node
    candidates = [*node.args[:2], *(kw.value for kw in node.keywords if kw.arg == "url")]
    for arg in candidates:
        for url in _url_expressions(module, node, arg):
            head = url.values[0] if isinstance(url, ast.JoinedStr) and url.values else url
            head = head.value if isinstance(head, ast.FormattedValue) else head
            text = string_value(head)
            if text and LOCAL_TARGET.match(text) or (dotted(head) or "").rsplit(".", 1)[-1] in OWN_ADDRESS_SETTINGS:
                return True
    return False


OWN_ADDRESS_SETTINGS = {"SITE_URL", "SITE_ROOT", "SITE_ROOT_URL"}


def _url_expressions(module: SourceModule, call: ast.Call, arg: ast.expr) -> list[ast.expr]:
    """``arg``, or for a local name the values the enclosing function assigns it, and for a call of a function of
    the same module the values it returns."""
    values = [arg]
    fn = enclosing_function(module, call)
    if isinstance(arg, ast.Name) and fn is not None:
        values = [n.value for n in walk_nodes(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == arg.id for t in n.targets)] or [arg]
    helpers = {n.name: n for n in module.tree.body if isinstance(n, FUNCTION_TYPES)}
    found: list[ast.expr] = []
    for value in values:
        helper = helpers.get(value.func.id) if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            else None
        found += [n.value for n in walk_nodes(helper) if isinstance(n, ast.Return) and n.value is not None] \
            if helper is not None else [value]
    return found


def service_routes(project: Project) -> list[tuple[SourceModule, RouteHandler]]:
    """The project's route handlers, leaving out apps that tests, examples and scripts build for themselves."""
    return [(m, h) for m, h in project_routes(project) if not is_test_file(m) and not is_script_file(m)]


LAZY_ENGINE_FACTORIES = {"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine", "create_engine",
                         "create_async_engine"}


def only_builds_engine(module: SourceModule, attempt: ast.Try) -> bool:
    """A ``try`` whose only call builds a SQLAlchemy engine: ``create_engine()`` is lazy and opens no connection,
    so an ``except OperationalError`` around it never runs (a retry loop or an error print there is dead code)."""
    calls = [n for s in attempt.body for n in ast.walk(s) if isinstance(n, ast.Call)]
    inner = {id(n) for c in calls for arg in [*c.args, *(k.value for k in c.keywords)] for n in ast.walk(arg)}
    outer = [c for c in calls if id(c) not in inner]
    return bool(outer) and all(call_name(module, c) in LAZY_ENGINE_FACTORIES for c in outer)


def periodic_only_tasks(project: Project) -> frozenset[str]:
    """Tasks only a periodic schedule starts (``config.add_periodic_task(crontab(hour=6), reindex)``, never
    ``reindex.delay()``): one run at a time, whose fixed retry has no herd to synchronise."""
    names = project.facts.get("r3.periodic_only_tasks")
    if names is None:
        scheduled: set[str] = set()
        queued: set[str] = set()
        for module in project.modules:
            if is_test_file(module) or "periodic_task" not in module.text and ".delay" not in module.text \
                    and "apply_async" not in module.text:
                continue
            for call in module.nodes_of(ast.Call):
                if not isinstance(call.func, ast.Attribute):
                    continue
                if call.func.attr == "add_periodic_task" and len(call.args) >= 2:
                    scheduled.add((dotted(call.args[1]) or "").rsplit(".", 1)[-1])
                elif call.func.attr in ("delay", "apply_async", "s", "si", "signature"):
                    queued.add((dotted(call.func.value) or "").rsplit(".", 1)[-1])
        names = frozenset(scheduled - queued - {""})
        project.facts["r3.periodic_only_tasks"] = names
    return names  # type: ignore[return-value]


CLI_FOLDERS = {"cli", "commands"}
CLI_DECORATOR = re.compile(r"(^|\.)(command|group)$")
CLI_COMMAND_LIBRARIES = ("click", "flask", "typer")


def operator_command_line(module: SourceModule) -> bool:
    """A module of the product's command-line interface (a ``cli``/``commands`` folder, or one that
    declares click or Flask CLI commands): an operator types these, one process at a time, even when they
    ship with the product."""
    if any(part in CLI_FOLDERS for part in module.path.split("/")[:-1]):
        return True
    return any(isinstance(n, FUNCTION_TYPES) and any(
        CLI_DECORATOR.search(call_name(module, d) or "") for d in n.decorator_list if isinstance(d, ast.Call))
        for n in walk_nodes(module.tree)) and any(module.imports_module(lib) for lib in CLI_COMMAND_LIBRARIES)


def module_constant(module: SourceModule, name: str, project: Project | None = None) -> ast.expr | None:
    """The value a module-level name is bound to once, in this file or in the project module it is imported
    from (``from constants import HEADERS``: ``HEADERS = {"User-Agent": ...}`` in ``constants.py``)."""
    imported = module.imports.get(name)
    if imported is not None and project is not None and "." in imported:
        source_name, name = imported.rsplit(".", 1)
        source = project.by_dotted_name.get(source_name)
        if source is None:
            return None
        module = source
    elif imported is not None:
        return None
    return single_binding(module.tree, name)
