"""Recognising web frameworks' request handlers and shutdown hooks.

Shared knowledge for every rule that asks "is this code serving HTTP requests?".
Read-only API:

- :func:`route_handlers` ``(module, project=None) -> list[RouteHandler]``: the request
  handlers defined in a file, in source order. With ``project`` it also counts functions
  registered from another file (``path("", views.index)``, ``Route("/", homepage)``).
- :func:`handler_of` ``(module, node, project=None) -> RouteHandler | None``: the handler
  whose body holds ``node`` (the innermost enclosing handler function).
- :func:`project_routes` ``(project) -> list[tuple[SourceModule, RouteHandler]]``: every
  handler of the code base, by file then line.
- :func:`shutdown_hooks` ``(module) -> list[ShutdownHook]``: framework shutdown hooks,
  lifespans, SIGTERM handlers and ``atexit`` registrations in a file.
- :func:`answers_browser` ``(module, function) -> bool``: whether a handler is a server-rendered
  page or form (it renders a template or redirects, and never answers JSON).

Recognised handlers:

- FastAPI/Starlette/Flask/Quart/Sanic/aiohttp decorators: ``@app.get("/x")``,
  ``@router.post(...)``, ``@app.route("/x", methods=[...])``, ``@bp.route``,
  ``@app.api_route``, ``@routes.get`` (``web.RouteTableDef``), ``@app.websocket``;
- registrations: ``app.add_url_rule``, ``app.add_api_route``, ``app.router.add_get/...``,
  ``web.get("/", handler)``, Starlette ``Route("/", endpoint)``, Django ``path``/``re_path``/``url``;
- class-based views: Flask ``MethodView``, Flask-RESTX/Flask-RESTful ``Resource``, Django ``View`` and generic views, DRF
  ``APIView``/``ViewSet`` (HTTP-method methods, ViewSet actions, ``@action``), Starlette
  ``HTTPEndpoint``, aiohttp ``web.View``; with ``project``, also through a base class of the code
  base defined in another file (``class Groups(BaseResource)``, ``BaseResource(Resource)`` in ``base.py``);
- Django function views: top-level functions of ``views.py`` (or a ``views/`` package) whose
  first parameter is ``request``, and DRF ``@api_view([...])`` functions.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass
from typing import Iterator

from audit_lib.pyast import (
    FUNCTION_TYPES,
    dotted,
    keyword,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.source import Project, SourceModule

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
ROUTE_DECORATORS = {m.lower() for m in HTTP_METHODS} | {"route", "api_route", "websocket", "websocket_route", "view_functions"}
WEB_FRAMEWORKS = ("fastapi", "starlette", "flask", "quart", "sanic", "aiohttp.web", "django", "rest_framework",
                  "litestar", "falcon", "tornado.web", "bottle", "connexion", "ninja")

APP_FACTORIES: dict[str, str] = {
    "fastapi.FastAPI": "fastapi",
    "fastapi.APIRouter": "fastapi",
    "fastapi.routing.APIRouter": "fastapi",
    "starlette.applications.Starlette": "starlette",
    "starlette.routing.Router": "starlette",
    "flask.Flask": "flask",
    "flask.Blueprint": "flask",
    "quart.Quart": "quart",
    "quart.Blueprint": "quart",
    "sanic.Sanic": "sanic",
    "sanic.Blueprint": "sanic",
    "aiohttp.web.RouteTableDef": "aiohttp",
    "aiohttp.web.Application": "aiohttp",
    "ninja.NinjaAPI": "django",
    "ninja.Router": "django",
    "bottle.Bottle": "bottle",
}

VIEW_BASES: dict[str, str] = {
    "flask.views.MethodView": "flask",
    "flask.views.View": "flask",
    "quart.views.MethodView": "quart",
    "starlette.endpoints.HTTPEndpoint": "starlette",
    "aiohttp.web.View": "aiohttp",
    "tornado.web.RequestHandler": "tornado",
    "flask_restx.Resource": "flask",
    "flask_restx.resource.Resource": "flask",
    "flask_restful.Resource": "flask",
}
VIEW_BASE_PACKAGES = {"django.views": "django", "rest_framework": "drf"}
VIEW_METHOD_NAMES = {m.lower() for m in HTTP_METHODS}
VIEWSET_ACTIONS = {"list": "GET", "retrieve": "GET", "create": "POST", "update": "PUT",
                   "partial_update": "PATCH", "destroy": "DELETE"}
DJANGO_METHOD_DECORATORS = {
    "django.views.decorators.http.require_GET": ("GET",),
    "django.views.decorators.http.require_POST": ("POST",),
    "django.views.decorators.http.require_safe": ("GET", "HEAD"),
}

LITESTAR_HANDLERS = {f"litestar.{m.lower()}": (m,) for m in HTTP_METHODS if m != "TRACE"} \
    | {f"litestar.handlers.{m.lower()}": (m,) for m in HTTP_METHODS if m != "TRACE"} \
    | {"litestar.route": (), "litestar.handlers.route": (), "litestar.websocket": (), "litestar.handlers.websocket": ()}
# Litestar's handler decorators are plain functions (``from litestar import get``), on functions or Controller methods.

REGISTRATION_METHODS = {"add_url_rule", "add_api_route", "add_route", "add_get", "add_post", "add_put",
                        "add_patch", "add_delete", "add_head", "add_view", "add_api_websocket_route"}
AIOHTTP_ROUTE_FUNCTIONS = {f"aiohttp.web.{m.lower()}": (m,) for m in HTTP_METHODS} | {"aiohttp.web.route": (), "aiohttp.web.view": ()}
ROUTE_CLASSES = {"starlette.routing.Route": "starlette", "fastapi.routing.APIRoute": "fastapi"}
DJANGO_URL_FUNCTIONS = {"django.urls.path", "django.urls.re_path", "django.conf.urls.url"}
REGISTRATION_TOKENS = ("add_", "Route(", "path(", "url(", "web.")  # cheap test before walking a file


@dataclass(eq=False)
class RouteHandler:
    """A function that answers HTTP requests."""

    function: ast.FunctionDef | ast.AsyncFunctionDef
    framework: str  # fastapi, starlette, flask, quart, sanic, aiohttp, django, drf, tornado, ...
    methods: tuple[str, ...]  # upper-case HTTP methods; () when any or unknown
    path: str | None  # the route path when written as a literal
    node: ast.AST  # where the route is declared: decorator, registration call or the function itself
    declared_in: SourceModule | None = None  # the file holding ``node`` (another file for registrations)

    @property
    def line(self) -> int:
        """The line of ``node``, in ``declared_in``."""
        return self.node.lineno

    @property
    def name(self) -> str:
        return self.function.name


@dataclass(eq=False)
class ShutdownHook:
    """Code that runs when the process is asked to stop."""

    kind: str  # lifespan, on_shutdown, signal, atexit
    framework: str  # fastapi, starlette, aiohttp, flask, quart, sanic, signal, atexit
    node: ast.AST

    @property
    def line(self) -> int:
        return self.node.lineno


def route_handlers(module: SourceModule, project: Project | None = None) -> list[RouteHandler]:
    own = _module_handlers(module)
    if project is None:
        return own
    seen = {id(h.function) for h in own}
    registered = [h for h in _project_registered(project).get(module.path, []) if id(h.function) not in seen]
    inherited = [h for h in _inherited_views(project, module) if id(h.function) not in seen]
    return sorted([*own, *registered, *inherited], key=lambda h: (h.function.lineno, h.line))


def handler_of(module: SourceModule, node: ast.AST, project: Project | None = None) -> RouteHandler | None:
    handlers = route_handlers(module, project)
    if not handlers:
        return None
    by_function = {id(h.function): h for h in handlers}
    parent = module.parents.get(node)
    while parent is not None:
        if id(parent) in by_function:
            return by_function[id(parent)]
        parent = module.parents.get(parent)
    return None


def project_routes(project: Project) -> list[tuple[SourceModule, RouteHandler]]:
    return [(m, h) for m in project.modules for h in route_handlers(m, project)]


def imports_web_framework(module: SourceModule) -> bool:
    return any(module.imports_module(name) for name in WEB_FRAMEWORKS)


def shutdown_hooks(module: SourceModule) -> list[ShutdownHook]:
    hooks = [*_iter_shutdown_hooks(module)]
    return sorted(hooks, key=lambda h: (h.node.lineno, h.node.col_offset))


# --- route handlers in one file ----------------------------------------------------

_MODULE_CACHE: "weakref.WeakKeyDictionary[ast.Module, list[RouteHandler]]" = weakref.WeakKeyDictionary()
_PROJECT_CACHE: dict[int, tuple["weakref.ref[Project]", dict[str, list[RouteHandler]]]] = {}


def _module_handlers(module: SourceModule) -> list[RouteHandler]:
    if module.tree not in _MODULE_CACHE:
        found: list[RouteHandler] = []
        if imports_web_framework(module) or _is_django_views_file(module):
            apps = _app_names(module)
            for node in walk_nodes(module.tree):
                if isinstance(node, FUNCTION_TYPES):
                    found.extend(_decorated_handlers(module, node, apps))
                elif isinstance(node, ast.ClassDef):
                    found.extend(_class_view_handlers(module, node))
            found.extend(_django_function_views(module, {id(h.function) for h in found}))
        found.sort(key=lambda h: (h.function.lineno, h.line))
        for handler in found:
            handler.declared_in = module
        _MODULE_CACHE[module.tree] = found
    return _MODULE_CACHE[module.tree]


def _app_names(module: SourceModule) -> dict[str, str]:
    """Names bound to an application or router object -> framework."""
    names: dict[str, str] = {}
    for node in walk_nodes(module.tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            framework = APP_FACTORIES.get(qualified(module, node.value.func) or "")
            if framework:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    name = dotted(target)
                    if name:
                        names[name] = framework
    return names


def _framework_of(module: SourceModule) -> str:
    for name in ("fastapi", "starlette", "flask", "quart", "sanic", "aiohttp", "rest_framework", "django",
                 "litestar", "bottle", "ninja", "falcon", "tornado"):
        if module.imports_module(name):
            return "drf" if name == "rest_framework" else name
    return "unknown"


def _decorated_handlers(module: SourceModule, fn: ast.AST, apps: dict[str, str]) -> Iterator[RouteHandler]:
    for dec in fn.decorator_list:
        name = qualified(module, dec.func if isinstance(dec, ast.Call) else dec)
        if name == "rest_framework.decorators.api_view":
            methods = _string_list(dec.args[0]) if isinstance(dec, ast.Call) and dec.args else ("GET",)
            yield RouteHandler(fn, "drf", tuple(m.upper() for m in methods), None, dec)
            continue
        if name in ("django.views.decorators.http.require_http_methods", *DJANGO_METHOD_DECORATORS):
            methods = DJANGO_METHOD_DECORATORS.get(name) or (_string_list(dec.args[0]) if isinstance(dec, ast.Call) and dec.args else ())
            yield RouteHandler(fn, "django", tuple(m.upper() for m in methods), None, dec)
            continue
        if name in LITESTAR_HANDLERS:
            path = string_value(dec.args[0]) if isinstance(dec, ast.Call) and dec.args else \
                string_value(keyword(dec, "path")) if isinstance(dec, ast.Call) else None
            yield RouteHandler(fn, "litestar", LITESTAR_HANDLERS[name], path, dec)
            return
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            continue
        verb = dec.func.attr
        if verb not in ROUTE_DECORATORS:
            continue
        receiver = dotted(dec.func.value)
        path = string_value(dec.args[0]) if dec.args else string_value(keyword(dec, "path") or keyword(dec, "rule"))
        framework = apps.get(receiver or "")
        if framework is None:
            # An app or router imported from elsewhere: trust it when the path is a route path.
            if not imports_web_framework(module) or path is None or not (path == "" or path.startswith("/")):
                continue
            framework = _framework_of(module)
        yield RouteHandler(fn, framework, _decorator_methods(dec, verb, framework), path, dec)
        return


def _decorator_methods(dec: ast.Call, verb: str, framework: str) -> tuple[str, ...]:
    if verb.upper() in HTTP_METHODS:
        return (verb.upper(),)
    listed = keyword(dec, "methods")
    if listed is not None:
        return tuple(m.upper() for m in _string_list(listed))
    if verb == "route" and framework in ("flask", "quart", "sanic", "bottle"):
        return ("GET",)
    return ()


def _string_list(node: ast.AST) -> tuple[str, ...]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(v for v in (string_value(e) for e in node.elts) if v)
    value = string_value(node)
    return (value,) if value else ()


def _class_view_handlers(module: SourceModule, cls: ast.ClassDef, framework: str | None = None) -> Iterator[RouteHandler]:
    framework = framework or _view_framework(module, cls, set())
    if framework is None:
        return
    for fn in cls.body:
        if not isinstance(fn, FUNCTION_TYPES):
            continue
        if fn.name in VIEW_METHOD_NAMES:
            yield RouteHandler(fn, framework, (fn.name.upper(),), None, fn)
        elif framework == "drf" and fn.name in VIEWSET_ACTIONS:
            yield RouteHandler(fn, framework, (VIEWSET_ACTIONS[fn.name],), None, fn)
        elif framework == "drf" and (dec := _action_decorator(module, fn)) is not None:
            methods = _string_list(keyword(dec, "methods")) if isinstance(dec, ast.Call) and keyword(dec, "methods") else ("GET",)
            yield RouteHandler(fn, framework, tuple(m.upper() for m in methods), None, dec)


def _action_decorator(module: SourceModule, fn: ast.AST) -> ast.expr | None:
    """DRF's ``@action(detail=..., methods=[...])`` on a ViewSet method."""
    for dec in fn.decorator_list:
        name = qualified(module, dec.func if isinstance(dec, ast.Call) else dec) or ""
        if name.rsplit(".", 1)[-1] == "action" and (name.startswith("rest_framework") or "." not in name):
            return dec
    return None


def _view_framework(module: SourceModule, cls: ast.ClassDef, seen: set[str]) -> str | None:
    """The framework whose view class ``cls`` derives from, following local bases."""
    seen.add(cls.name)
    local = {n.name: n for n in module.tree.body if isinstance(n, ast.ClassDef)}
    for base in cls.bases:
        name = qualified(module, base) or ""
        if name in VIEW_BASES:
            return VIEW_BASES[name]
        for package, framework in VIEW_BASE_PACKAGES.items():
            if name.startswith(package + "."):
                return framework
        if name in local and name not in seen:
            found = _view_framework(module, local[name], seen)
            if found:
                return found
        short = name.rsplit(".", 1)[-1]
        if "." in name and short.endswith(("APIView", "ViewSet")) and module.imports_module("rest_framework"):
            return "drf"  # a project base class such as core.views.BaseAPIView
    return None


def _inherited_views(project: Project, module: SourceModule) -> list[RouteHandler]:
    """Handlers of class views whose view base is a class of another file of the code base
    (``class GroupListResource(BaseResource)`` with ``BaseResource(flask_restful.Resource)`` in
    ``handlers/base.py``)."""
    cache = project.facts.setdefault("web.inherited_views", {})
    if module.path not in cache:
        found: list[RouteHandler] = []
        if "class " in module.text:
            for cls in module.nodes_of(ast.ClassDef):
                if _view_framework(module, cls, set()) is None:
                    framework = _imported_view_framework(project, module, cls, 4)
                    if framework is not None:
                        found.extend(_class_view_handlers(module, cls, framework))
        for handler in found:
            handler.declared_in = module
        cache[module.path] = found
    return cache[module.path]


def _imported_view_framework(project: Project, module: SourceModule, cls: ast.ClassDef, depth: int) -> str | None:
    """The framework of a view base imported from another file of the code base, followed
    through that file's own bases (``depth`` files deep)."""
    if depth <= 0:
        return None
    for base in cls.bases:
        owner_name, _, class_name = (qualified(module, base) or "").rpartition(".")
        owner = project.by_dotted_name.get(owner_name) if owner_name else None
        if owner is None or owner is module:
            continue
        parent = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
        if parent is None:
            continue
        found = _view_framework(owner, parent, set()) or _imported_view_framework(project, owner, parent, depth - 1)
        if found is not None:
            return found
    return None


def _is_django_views_file(module: SourceModule) -> bool:
    parts = module.path.split("/")
    return parts[-1] == "views.py" or (len(parts) > 1 and parts[-2] == "views")


def _django_function_views(module: SourceModule, known: set[int]) -> Iterator[RouteHandler]:
    if not _is_django_views_file(module) or not module.imports_module("django"):
        return
    for fn in module.tree.body:
        if isinstance(fn, FUNCTION_TYPES) and id(fn) not in known and not fn.name.startswith("_"):
            params = fn.args.posonlyargs + fn.args.args
            if params and params[0].arg == "request":
                yield RouteHandler(fn, "django", (), None, fn)


# --- handlers registered by name, possibly from another file ---------------------------


def _project_registered(project: Project) -> dict[str, list[RouteHandler]]:
    entry = _PROJECT_CACHE.get(id(project))
    if entry is not None and entry[0]() is project:
        return entry[1]
    table: dict[str, list[RouteHandler]] = {}
    for module in project.modules:
        # Registrations often live in a routes.py that imports only the handlers, not the framework.
        if not any(token in module.text for token in REGISTRATION_TOKENS):
            continue
        for call, target, framework, methods, path in _registrations(module):
            resolved = _resolve_function(project, module, target)
            if resolved is not None:
                owner, fn = resolved
                table.setdefault(owner.path, []).append(RouteHandler(fn, framework, methods, path, call, module))
    _PROJECT_CACHE[id(project)] = (weakref.ref(project), table)
    return table


def _registrations(module: SourceModule) -> Iterator[tuple[ast.Call, ast.expr, str, tuple[str, ...], str | None]]:
    """(call, handler expression, framework, methods, path) of each registration call."""
    for call in walk_nodes(module.tree):
        if not isinstance(call, ast.Call):
            continue
        name = qualified(module, call.func) or ""
        path = string_value(call.args[0]) if call.args else None
        if name in DJANGO_URL_FUNCTIONS and len(call.args) >= 2:
            yield call, call.args[1], "django", (), path
        elif name in ROUTE_CLASSES:
            target = call.args[1] if len(call.args) >= 2 else keyword(call, "endpoint")
            if target is not None:
                methods = keyword(call, "methods")
                yield call, target, ROUTE_CLASSES[name], _string_list(methods) if methods is not None else (), path
        elif name in AIOHTTP_ROUTE_FUNCTIONS and len(call.args) >= 2:
            yield call, call.args[1], "aiohttp", AIOHTTP_ROUTE_FUNCTIONS[name], path
        elif isinstance(call.func, ast.Attribute) and call.func.attr in REGISTRATION_METHODS:
            yield from _method_registration(module, call, path)


def _method_registration(module: SourceModule, call: ast.Call, path: str | None):
    attr = call.func.attr
    framework = _framework_of(module)
    if attr == "add_url_rule":
        target = keyword(call, "view_func") or (call.args[2] if len(call.args) >= 3 else None)
        methods = keyword(call, "methods")
        if target is not None:
            yield call, target, framework, _string_list(methods) if methods is not None else ("GET",), path
    elif attr in ("add_api_route", "add_api_websocket_route"):
        target = keyword(call, "endpoint") or (call.args[1] if len(call.args) >= 2 else None)
        methods = keyword(call, "methods")
        if target is not None:
            yield call, target, framework, _string_list(methods) if methods is not None else (), path
    elif attr == "add_route" and len(call.args) >= 3 and string_value(call.args[0]):
        method = string_value(call.args[0]).upper()  # aiohttp: add_route("GET", "/x", handler)
        yield call, call.args[2], framework, (method,) if method in HTTP_METHODS else (), string_value(call.args[1])
    elif attr == "add_route" and len(call.args) >= 2:
        yield call, call.args[1], framework, (), path  # starlette: add_route("/x", handler)
    elif attr.startswith("add_") and attr[4:].upper() in HTTP_METHODS and len(call.args) >= 2:
        yield call, call.args[1], framework, (attr[4:].upper(),), path


def _resolve_function(project: Project, module: SourceModule, target: ast.expr):
    """(module, function) a handler expression names: local, imported, or ``views.fn``."""
    name = dotted(target)
    if name is None:
        return None
    if "." not in name:
        local = _top_level_function(module, name)
        if local is not None:
            return module, local
    resolved = qualified(module, target) or name
    owner_name, _, function_name = resolved.rpartition(".")
    owner = project.by_dotted_name.get(owner_name)
    if owner is None:
        return None
    fn = _top_level_function(owner, function_name)
    return (owner, fn) if fn is not None else None


def _top_level_function(module: SourceModule, name: str):
    return next((n for n in module.tree.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)


# --- what a handler answers ------------------------------------------------------------

PAGE_RESPONSES = {"render", "render_template", "render_template_string", "render_to_response", "TemplateResponse",
                  "redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect", "RedirectResponse",
                  "HTMLResponse"}
JSON_RESPONSES = {"jsonify", "JsonResponse", "JSONResponse", "ORJSONResponse", "UJSONResponse", "json_response"}


def answers_browser(module: SourceModule, fn: ast.AST) -> bool:
    """A server-rendered page or form handler: its body renders a template or redirects
    (``render(...)``, ``render_template(...)``, ``templates.TemplateResponse(...)``, ``redirect(...)``,
    ``HttpResponseRedirect``, ``RedirectResponse``, a helper of the code base named ``redirect_*``)
    and nowhere answers JSON (``jsonify``, ``JsonResponse``, DRF's ``Response``, a returned dict,
    list or ``json.dumps``). A browser posts its forms; API clients get JSON."""
    page = False
    for node in walk_function_body(fn):
        if isinstance(node, ast.Return) and (isinstance(node.value, (ast.Dict, ast.List, ast.DictComp, ast.ListComp)) or (
                isinstance(node.value, ast.Call) and qualified(module, node.value.func) in ("json.dumps", "orjson.dumps"))):
            return False
        if not isinstance(node, ast.Call):
            continue
        name = qualified(module, node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if last in JSON_RESPONSES or name.startswith("rest_framework."):
            return False
        if isinstance(node.func, ast.Name) and (last in PAGE_RESPONSES or last.startswith("redirect_")) or (
                last in PAGE_RESPONSES and (last == "TemplateResponse" or name.startswith(
                    ("django.", "flask.", "quart.", "starlette.", "fastapi.", "werkzeug.")))):
            page = True
    return page


# --- shutdown hooks --------------------------------------------------------------------

SHUTDOWN_EVENTS = {"shutdown", "on_shutdown"}
SHUTDOWN_DECORATORS = {"after_serving": "quart", "after_server_stop": "sanic", "before_server_stop": "sanic"}
AIOHTTP_SHUTDOWN_SIGNALS = {"on_shutdown", "on_cleanup", "cleanup_ctx"}


def _iter_shutdown_hooks(module: SourceModule) -> Iterator[ShutdownHook]:
    for node in walk_nodes(module.tree):
        if isinstance(node, FUNCTION_TYPES):
            for dec in node.decorator_list:
                yield from _decorator_hook(module, dec)
        if not isinstance(node, ast.Call):
            continue
        name = qualified(module, node.func) or ""
        framework = APP_FACTORIES.get(name)
        if framework and (keyword(node, "lifespan") is not None or keyword(node, "on_shutdown") is not None):
            yield ShutdownHook("lifespan" if keyword(node, "lifespan") is not None else "on_shutdown", framework, node)
        elif name == "signal.signal" and node.args and _is_sigterm(module, node.args[0]):
            yield ShutdownHook("signal", "signal", node)
        elif name == "atexit.register":
            yield ShutdownHook("atexit", "atexit", node)
        elif isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr == "add_signal_handler" and node.args and _is_sigterm(module, node.args[0]):
                yield ShutdownHook("signal", "asyncio", node)
            elif attr == "add_event_handler" and node.args and string_value(node.args[0]) == "shutdown":
                yield ShutdownHook("on_shutdown", _framework_of(module), node)
            elif attr in ("append", "extend", "insert") and isinstance(node.func.value, ast.Attribute) \
                    and node.func.value.attr in AIOHTTP_SHUTDOWN_SIGNALS and module.imports_module("aiohttp"):
                yield ShutdownHook("on_shutdown", "aiohttp", node)


def _decorator_hook(module: SourceModule, dec: ast.expr) -> Iterator[ShutdownHook]:
    name = qualified(module, dec.func if isinstance(dec, ast.Call) else dec) or ""
    if name == "atexit.register":
        yield ShutdownHook("atexit", "atexit", dec)
        return
    if not isinstance(dec, ast.Call) and not isinstance(dec, ast.Attribute):
        return
    func = dec.func if isinstance(dec, ast.Call) else dec
    if not isinstance(func, ast.Attribute):
        return
    if func.attr == "on_event" and isinstance(dec, ast.Call) and dec.args and string_value(dec.args[0]) in SHUTDOWN_EVENTS:
        yield ShutdownHook("on_shutdown", _framework_of(module), dec)
    elif func.attr in SHUTDOWN_DECORATORS and imports_web_framework(module):
        yield ShutdownHook("on_shutdown", SHUTDOWN_DECORATORS[func.attr], dec)


def _is_sigterm(module: SourceModule, node: ast.AST) -> bool:
    return (qualified(module, node) or "").rsplit(".", 1)[-1] == "SIGTERM"
