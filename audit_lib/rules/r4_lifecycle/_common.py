"""What the R4 rules share: which calls acquire resources, which functions serve requests.

Module names are resolved through each file's imports (``pyast.qualified``), so
``from psycopg import connect`` and ``import psycopg as pg`` are both recognised.
"""

from __future__ import annotations

import ast
import re

from audit_lib.pyast import FUNCTION_TYPES, call_name, decorator_names, dotted, qualified
from audit_lib.source import SourceModule

# Calls that open a connection to a database server (network, authentication, backend process).
DB_CONNECT = {
    "psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect",
    "psycopg2.connect", "asyncpg.connect", "pymysql.connect", "MySQLdb.connect",
    "aiomysql.connect", "mysql.connector.connect", "aiopg.connect", "pg8000.connect",
    "pg8000.native.Connection",
}
# Local file databases: opening one is a file open, not a network round trip.
LOCAL_DB_CONNECT = {"sqlite3.connect", "aiosqlite.connect"}
# Calls that create a pool of connections (or an engine, which owns one).
DB_POOLS = {
    "asyncpg.create_pool", "psycopg_pool.ConnectionPool", "psycopg_pool.AsyncConnectionPool",
    "psycopg_pool.NullConnectionPool", "psycopg_pool.AsyncNullConnectionPool",
    "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool",
    "aiomysql.create_pool", "aiopg.create_pool",
}
ENGINES = {"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine"}
HTTP_CLIENTS = {
    "requests.Session": "requests session", "requests.session": "requests session",
    "httpx.Client": "httpx client", "httpx.AsyncClient": "httpx client",
    "aiohttp.ClientSession": "aiohttp session",
}
FILE_OPENERS = {"open", "io.open", "builtins.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open"}
SOCKETS = {"socket.socket", "socket.create_connection"}

CLOSE_METHODS = {"close", "aclose", "terminate", "closeall", "dispose"}

WEB_FRAMEWORKS = ("fastapi", "starlette", "flask", "quart", "django", "rest_framework", "aiohttp",
                  "sanic", "falcon", "tornado", "litestar", "bottle", "pyramid")
ROUTE_DECORATOR_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "route",
                           "api_route", "websocket", "view", "trace"}
ROUTE_RECEIVER = re.compile(r"(^|_)(app|api|router|routes|bp|blueprint|blp|application)$", re.I)
VIEW_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "list", "create",
                "retrieve", "update", "partial_update", "destroy", "dispatch"}
TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")


def is_test_path(path: str) -> bool:
    return bool(TEST_PATH.search(path))


def unwrap_await(node: ast.AST | None) -> ast.AST | None:
    return node.value if isinstance(node, ast.Await) else node


def resource_kind(module: SourceModule, call: ast.Call) -> str | None:
    """What ``call`` acquires: "database connection", "file", ... or None."""
    name = call_name(module, call)
    if name is None:
        return None
    if name in DB_CONNECT or name in LOCAL_DB_CONNECT:
        return "database connection"
    if name in DB_POOLS:
        return "connection pool"
    if name in HTTP_CLIENTS:
        return HTTP_CLIENTS[name]
    if name in FILE_OPENERS:
        return "file"
    if name in SOCKETS:
        return "socket"
    return None


def is_cursor_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "cursor"


def is_named_cursor(call: ast.Call) -> bool:
    """A psycopg/psycopg2 server-side cursor: ``conn.cursor("name")`` or ``cursor(name=...)``."""
    if any(kw.arg == "name" for kw in call.keywords):
        return True
    return bool(call.args) and isinstance(call.args[0], (ast.Constant, ast.JoinedStr)) and \
        isinstance(getattr(call.args[0], "value", ""), str)


def module_imports_web(module: SourceModule) -> bool:
    return any(module.imports_module(lib) for lib in WEB_FRAMEWORKS)


def is_route_decorator(module: SourceModule, decorator: ast.expr) -> bool:
    if isinstance(decorator, ast.Call):
        func = decorator.func
        if isinstance(func, ast.Attribute) and func.attr in ROUTE_DECORATOR_METHODS:
            first = decorator.args[0] if decorator.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("/"):
                return True
            receiver = dotted(func.value) or ""
            return bool(ROUTE_RECEIVER.search(receiver.rsplit(".", 1)[-1]))
        name = qualified(module, func) or ""
        return name in ("rest_framework.decorators.api_view", "django.views.decorators.http.require_http_methods")
    name = qualified(module, decorator) or ""
    return name.startswith("django.views.decorators.http.require_")


def _first_parameter(fn: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool) -> str | None:
    params = [*fn.args.posonlyargs, *fn.args.args]
    if skip_self and params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return params[0].arg if params else None


def handler_functions(module: SourceModule) -> set[ast.AST]:
    """Functions that run once per request: routed views, Django/aiohttp handlers, per-request dependencies."""
    found: set[ast.AST] = set()
    by_name: dict[str, list[ast.AST]] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, FUNCTION_TYPES):
            by_name.setdefault(node.name, []).append(node)
    web = module_imports_web(module)
    for name, defs in by_name.items():
        for fn in defs:
            if any(is_route_decorator(module, d) for d in fn.decorator_list):
                found.add(fn)
            elif web and _first_parameter(fn, skip_self=True) in ("request", "req"):
                found.add(fn)
            elif web and isinstance(module.parents.get(fn), ast.ClassDef) and fn.name in VIEW_METHODS \
                    and _is_view_class(module, module.parents[fn]):
                found.add(fn)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            for referenced in _handler_references(module, node):
                found.update(by_name.get(referenced, []))
    return found


def _is_view_class(module: SourceModule, cls: ast.ClassDef) -> bool:
    return any(re.search(r"(View|ViewSet|Handler|Resource|Endpoint)$", qualified(module, b) or "") for b in cls.bases)


def _handler_references(module: SourceModule, call: ast.Call) -> list[str]:
    """Names of functions that a call registers as per-request code."""
    name = qualified(module, call.func) or ""
    method = name.rsplit(".", 1)[-1]
    refs: list[ast.expr] = []
    if name in ("fastapi.Depends", "fastapi.Security") or method in ("Depends",):
        refs.extend(call.args[:1])
    elif method == "add_url_rule":
        refs.extend(kw.value for kw in call.keywords if kw.arg == "view_func")
        refs.extend(call.args[2:3])
    elif method in ("add_get", "add_post", "add_put", "add_patch", "add_delete", "add_route", "add_api_route"):
        refs.extend(call.args[-1:] if method == "add_route" else call.args[1:2])
        refs.extend(kw.value for kw in call.keywords if kw.arg in ("handler", "endpoint"))
    elif name.endswith(("routing.Route", "routing.WebSocketRoute", "django.urls.path", "django.urls.re_path")) \
            or name in ("starlette.routing.Route", "django.urls.path", "django.urls.re_path"):
        refs.extend(call.args[1:2])
        refs.extend(kw.value for kw in call.keywords if kw.arg in ("endpoint", "view"))
    return [r.id for r in refs if isinstance(r, ast.Name)]


def is_fixture(module: SourceModule, fn: ast.AST) -> bool:
    return any(n.endswith("fixture") for n in decorator_names(module, fn))
