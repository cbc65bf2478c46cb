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
  page or form (it renders a template or redirects, and never answers JSON; a Pyramid view configured
  with a template renderer).

Recognised handlers:

- FastAPI/Starlette/Flask/Quart/Sanic/aiohttp decorators: ``@app.get("/x")``,
  ``@router.post(...)``, ``@app.route("/x", methods=[...])``, ``@bp.route``,
  ``@app.api_route``, ``@routes.get`` (``web.RouteTableDef``), ``@app.websocket``; also on a name that nothing
  in the file binds, which an app loader injects into the module's globals (``@manager.route("/x",
  methods=["POST"])  # noqa: F821``), when the path is a route path;
- Pyramid ``@view_config`` (and the exception, not-found and forbidden forms), a decorator of the code base
  that registers a view (``@api_config(...)`` calling ``config.add_view``, ``@json_view`` returning
  ``view_config(...)``), Cornice services (``svc = Service(path="/x")``, ``@svc.get()``,
  ``svc.add_view("GET", fn)``) and resource classes (Cornice ``@resource``, or a code base's resource
  decorator: ``get``/``collection_get``/``plural_get``... responders, also inherited from project base classes);
- registrations: ``app.add_url_rule``, ``app.add_api_route``, ``app.router.add_get/...`` (also of a method of
  the registering class: ``self.app.router.add_post("/login", self.login)``), aiohttp
  ``resource.add_route("GET", handler)`` and ``add_route = app.router.add_route``, Pyramid ``config.add_view``
  (and ``add_exception_view``...), ``web.get("/", handler)``, Starlette ``Route``/``WebSocketRoute``, Django
  ``path``/``re_path``/``url``; a class of the code base registered as the view itself (``bp.add_url_rule(
  '/x', 'x', RHCreate, methods=('POST',))``) answers through its ``post``/``_process_POST`` or ``_process`` method;
- class-based views: Flask ``MethodView``, Flask-RESTX/Flask-RESTful ``Resource``, Django ``View`` and generic views, DRF
  ``APIView``/``ViewSet`` (HTTP-method methods, ViewSet actions, ``@action``), Starlette
  ``HTTPEndpoint``, aiohttp ``web.View``, Tornado ``RequestHandler``, Sanic ``HTTPMethodView``, Twisted
  ``Resource`` (``render_GET``, ``render_POST``, ...), Falcon
  resources (``on_get``, ``on_post_collection``, ... in a file importing falcon); with ``project``, also
  through a base class of the code
  base defined in another file (``class Groups(BaseResource)``, ``BaseResource(Resource)`` in ``base.py``);
- Django function views: top-level functions of ``views.py`` (or a ``views/`` package) whose
  first parameter is ``request``, and DRF ``@api_view([...])`` functions;
- web.py handler classes (``GET``, ``POST``, ... methods; infogami also ``POST_json``): infogami pages, modes and
  views (``class create(delegate.page): path = "/x"``, also through a project base such as ``class view(app.page)``,
  or any infogami class extended), classes a web.py mapping names (``urls = ("/x", "pkg.views.x")`` given to
  ``web.application(urls, globals())``, ``app.add_mapping("/x", __name__ + ".x")``) and infogami API hooks
  (``add_hook("import", importapi)``, at ``/api/import``);
- django-modern-rpc remote procedures, answered over POST: ``@rpc_method`` (``modernrpc.core``),
  ``@server.register_procedure`` of an ``RpcServer`` (also built in another file), and a decorator of the
  code base that calls ``server.register_procedure(func, name=...)``; flask-xml-rpc procedures,
  ``@handler.register`` of an ``XMLRPCHandler`` the file builds.
"""

from __future__ import annotations

import ast
import builtins
import weakref
from dataclasses import dataclass, replace
from typing import Iterator

from audit_lib.libs.db import _top_level_class, project_class, single_binding
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    dotted,
    keyword,
    method_in_hierarchy,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.source import Project, SourceModule, is_test_path

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
XMLRPC_LIBRARIES = ("flaskext.xmlrpc", "flask_xmlrpcre")  # flask-xml-rpc and its fork: @handler.register
ROUTE_DECORATORS = {m.lower() for m in HTTP_METHODS} | {"route", "api_route", "websocket", "websocket_route", "view_functions"}
WEB_FRAMEWORKS = ("fastapi", "starlette", "flask", "quart", "sanic", "aiohttp.web", "django", "rest_framework",
                  "litestar", "falcon", "tornado.web", "bottle", "connexion", "ninja", "pyramid", "cornice", "twisted.web",
                  "infogami", "modernrpc", *XMLRPC_LIBRARIES)

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
    "sanic.views.HTTPMethodView": "sanic",
    "twisted.web.resource.Resource": "twisted",
    # infogami's page, mode and view classes register themselves (a metaclass) and answer in GET, POST, ...
    **{f"infogami.utils.{module}.{base}": "webpy" for module in ("app", "delegate") for base in ("page", "mode", "view")},
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

CLASS_VIEW_PROCESSORS = ("_process", "process", "dispatch_request")
REGISTRATION_METHODS = {"add_url_rule", "add_api_route", "add_route", "add_get", "add_post", "add_put",
                        "add_patch", "add_delete", "add_head", "add_view", "add_api_websocket_route",
                        "add_exception_view", "add_notfound_view", "add_forbidden_view"}
PYRAMID_VIEW_REGISTRATIONS = {"add_view", "add_exception_view", "add_notfound_view", "add_forbidden_view"}
PYRAMID_VIEW_DECORATORS = {"pyramid.view.view_config", "pyramid.view.exception_view_config",
                           "pyramid.view.notfound_view_config", "pyramid.view.forbidden_view_config"}
CORNICE_SERVICES = {"cornice.Service", "cornice.service.Service"}
CORNICE_RESOURCES = {"cornice.resource", "cornice.resource.resource"}
RESOURCE_METHOD_PREFIXES = ("", "collection_", "plural_")  # Cornice collection_get, Kinto plural_get
FALCON_RESPONDER = "on_"  # Falcon resources answer in on_get, on_post, on_get_collection, ...
TWISTED_RENDERER = "render_"  # Twisted resources answer in render_GET, render_POST, ...
VIEW_DECORATOR_DEPTH = 3  # project functions followed to find a view registration in a decorator
AIOHTTP_ROUTE_FUNCTIONS = {f"aiohttp.web.{m.lower()}": (m,) for m in HTTP_METHODS} | {"aiohttp.web.route": (), "aiohttp.web.view": ()}
ROUTE_CLASSES = {"starlette.routing.Route": "starlette", "starlette.routing.WebSocketRoute": "starlette",
                 "fastapi.routing.APIRoute": "fastapi"}
DJANGO_URL_FUNCTIONS = {"django.urls.path", "django.urls.re_path", "django.conf.urls.url"}
REGISTRATION_TOKENS = ("add_", "Route(", "path(", "url(", "web.")  # cheap test before walking a file
WEBPY_APPLICATIONS = {"web.application", "web.auto_application"}  # web.application(urls, globals())
INFOGAMI_API_HOOK = "infogami.plugins.api.code.add_hook"
RPC_PROCEDURE_DECORATORS = {"modernrpc.core.rpc_method", "modernrpc.rpc_method"}  # django-modern-rpc 0.x/1.x
RPC_REGISTRATION = "register_procedure"  # django-modern-rpc 2: RpcServer().register_procedure / RpcNamespace


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
    found = [*own]
    for handler in [*_project_registered(project).get(module.path, []), *_inherited_views(project, module),
                    *_project_decorated_views(project).get(module.path, [])]:
        if id(handler.function) not in seen:
            seen.add(id(handler.function))
            found.append(handler)
    return sorted(found, key=lambda h: (h.function.lineno, h.line))


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


def django_atomic_requests(project: Project) -> bool:
    """Whether the Django settings run every view in a transaction: ``ATOMIC_REQUESTS`` set in a database's
    settings (``DATABASES = {"default": {..., "ATOMIC_REQUESTS": True}}``, ``DATABASES["default"]["ATOMIC_REQUESTS"]
    = True``, ``.update(ATOMIC_REQUESTS=True)``). A top-level ``ATOMIC_REQUESTS = True`` is no setting: Django reads
    the flag per database only."""
    if "django.atomic_requests" not in project.facts:
        project.facts["django.atomic_requests"] = any(
            _sets_atomic_requests(node) for m in project.modules
            if "ATOMIC_REQUESTS" in m.text and not is_test_path(m.path) for node in walk_nodes(m.tree))
    return project.facts["django.atomic_requests"]


def _sets_atomic_requests(node: ast.AST) -> bool:
    if isinstance(node, ast.Dict):
        values = [v for k, v in zip(node.keys, node.values) if k is not None and string_value(k) == "ATOMIC_REQUESTS"]
    elif isinstance(node, ast.Assign):
        values = [node.value] if any(isinstance(t, ast.Subscript) and string_value(t.slice) == "ATOMIC_REQUESTS"
                                     for t in node.targets) else []
    elif isinstance(node, ast.Call):
        values = [k.value for k in node.keywords if k.arg == "ATOMIC_REQUESTS"]
    else:
        return False
    return any(not (isinstance(v, ast.Constant) and not v.value) for v in values)


def is_django_settings(module: SourceModule, project: Project) -> bool:
    """A Django settings module: ``settings.py`` or a module of a ``settings/`` package, in a Django code base."""
    stem = module.path.rsplit("/", 1)[-1][:-3]
    in_settings = stem == "settings" or "/settings/" in f"/{module.path}"
    return in_settings and ("INSTALLED_APPS" in module.text or project.imports_anywhere("django"))


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
        framework_imported = imports_web_framework(module)
        injected = set() if framework_imported else _injected_receivers(module)  # only read without a framework import
        if framework_imported or _is_django_views_file(module) or injected:
            apps = _app_names(module)
            for node in walk_nodes(module.tree):
                if isinstance(node, FUNCTION_TYPES):
                    found.extend(_decorated_handlers(module, node, apps, injected))
                elif isinstance(node, ast.ClassDef):
                    found.extend(_class_view_handlers(module, node))
                    if any(qualified(module, d.func if isinstance(d, ast.Call) else d) in CORNICE_RESOURCES
                           for d in node.decorator_list):
                        found.extend(_resource_methods(node, "cornice", set()))
                    elif module.imports_module("falcon"):
                        found.extend(_falcon_responders(node))
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
            framework = APP_FACTORIES.get(qualified(module, node.value.func) or "") \
                or ("cornice" if _is_cornice_service(module, node.value) else None)
            if framework:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    name = dotted(target)
                    if name:
                        names[name] = framework
    return names


def _injected_receivers(module: SourceModule) -> set[str]:
    """Names a route decorator is called on (``@manager.route("/x", methods=["POST"])``) that nothing in the
    file binds: an app loader puts the blueprint into the module's globals before running it."""
    if ".route(" not in module.text and not any(f".{verb}(" in module.text for verb in VIEW_METHOD_NAMES):
        return set()
    receivers = {dec.func.value.id for fn in module.nodes_of(*FUNCTION_TYPES) for dec in fn.decorator_list
                 if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr in ROUTE_DECORATORS
                 and isinstance(dec.func.value, ast.Name)}
    return receivers - _bound_names(module) - set(dir(builtins)) if receivers else set()


def _bound_names(module: SourceModule) -> set[str]:
    """Every name the file binds, in any scope: assignments, parameters, definitions and imports."""
    names = set(module.imports)
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _is_route_path(node: ast.AST | None) -> bool:
    """A literal route path (``"/orders"``, ``""``), or an f-string building one (``f"{prefix}/orders"``)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.Constant) and str(part.value).startswith("/") for part in node.values)
    path = string_value(node)
    return path is not None and (path == "" or path.startswith("/"))


def _is_cornice_service(module: SourceModule, call: ast.Call) -> bool:
    """``Service(name="heartbeat", path="/__heartbeat__")``: Cornice's service, or a project subclass or vendored
    copy of it (a class named ``Service`` given a route path)."""
    name = qualified(module, call.func) or ""
    if name in CORNICE_SERVICES:
        return True
    path = keyword(call, "path") or (call.args[1] if len(call.args) >= 2 else None)
    return name.rsplit(".", 1)[-1] == "Service" and (string_value(path) or "").startswith("/")


def _framework_of(module: SourceModule) -> str:
    for name in ("fastapi", "starlette", "flask", "quart", "sanic", "aiohttp", "rest_framework", "django",
                 "litestar", "bottle", "ninja", "falcon", "tornado", "cornice", "pyramid"):
        if module.imports_module(name):
            return "drf" if name == "rest_framework" else name
    return "unknown"


def _decorated_handlers(module: SourceModule, fn: ast.AST, apps: dict[str, str], injected: set[str]) -> Iterator[RouteHandler]:
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
        if name in PYRAMID_VIEW_DECORATORS:
            yield RouteHandler(fn, "pyramid", _request_methods(dec), None, dec)
            return
        if name in RPC_PROCEDURE_DECORATORS or (name.endswith(f".{RPC_REGISTRATION}") and module.imports_module("modernrpc")):
            yield RouteHandler(fn, "modernrpc", ("POST",), None, dec)  # a remote procedure: JSON-RPC/XML-RPC POSTs
            return
        if _xmlrpc_registration(module, dec):
            yield RouteHandler(fn, "flask", ("POST",), None, dec)  # a remote procedure: XML-RPC POSTs
            return
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
        path_node = dec.args[0] if dec.args else keyword(dec, "path") or keyword(dec, "rule")
        path = string_value(path_node)
        framework = apps.get(receiver or "")
        if framework is None:
            # An app or router imported from elsewhere, or injected by an app loader: trust it when the path is a route path.
            if not (imports_web_framework(module) or receiver in injected) or not _is_route_path(path_node):
                continue
            framework = _framework_of(module)
            if framework == "unknown":
                framework = "flask"  # an injected blueprint: Flask-style @bp.route("/x", methods=[...])
        yield RouteHandler(fn, framework, _decorator_methods(dec, verb, framework), path, dec)
        return


def _xmlrpc_registration(module: SourceModule, dec: ast.expr) -> bool:
    """``@handler.register`` (or ``@handler.register("name")``) of flask-xml-rpc, on a handler the file builds
    (``handler = XMLRPCHandler("api")``, or a namespace of one): the function answers calls POSTed to the
    handler's endpoint."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    if not (isinstance(target, ast.Attribute) and target.attr == "register" and isinstance(target.value, ast.Name)) \
            or not any(module.imports_module(lib) for lib in XMLRPC_LIBRARIES):
        return False
    for node in module.nodes_of(ast.Assign):
        if any(isinstance(t, ast.Name) and t.id == target.value.id for t in node.targets) \
                and isinstance(node.value, ast.Call):
            built = node.value.func
            if (dotted(built) or "").rsplit(".", 1)[-1] == "XMLRPCHandler" \
                    or isinstance(built, ast.Attribute) and built.attr == "namespace":
                return True
    return False


def _request_methods(dec: ast.expr) -> tuple[str, ...]:
    """Pyramid's ``request_method="POST"`` (or a tuple of them) of a view configuration; () for any."""
    listed = keyword(dec, "request_method") if isinstance(dec, ast.Call) else None
    return tuple(m.upper() for m in _string_list(listed)) if listed is not None else ()


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
    if framework == "webpy":
        yield from _webpy_methods(cls)
        return
    for fn in cls.body:
        if not isinstance(fn, FUNCTION_TYPES):
            continue
        if framework == "twisted":
            if fn.name.startswith(TWISTED_RENDERER) and fn.name[len(TWISTED_RENDERER):] in HTTP_METHODS:
                yield RouteHandler(fn, framework, (fn.name[len(TWISTED_RENDERER):],), None, fn)
        elif fn.name in VIEW_METHOD_NAMES:
            yield RouteHandler(fn, framework, (fn.name.upper(),), None, fn)
        elif framework == "drf" and fn.name in VIEWSET_ACTIONS:
            yield RouteHandler(fn, framework, (VIEWSET_ACTIONS[fn.name],), None, fn)
        elif framework == "drf" and (dec := _action_decorator(module, fn)) is not None:
            methods = _string_list(keyword(dec, "methods")) if isinstance(dec, ast.Call) and keyword(dec, "methods") else ("GET",)
            yield RouteHandler(fn, framework, tuple(m.upper() for m in methods), None, dec)


def _webpy_methods(cls: ast.ClassDef) -> Iterator[RouteHandler]:
    """A web.py handler class's ``GET``, ``POST``, ... (infogami views also ``POST_json``, per encoding), at the
    path of the class's ``path = "/..."`` when it has one (infogami pages)."""
    path = next((string_value(n.value) for n in cls.body if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "path" for t in n.targets)), None)
    for fn in cls.body:
        if isinstance(fn, FUNCTION_TYPES) and (verb := fn.name.split("_", 1)[0]) in HTTP_METHODS:
            yield RouteHandler(fn, "webpy", (verb,), path, fn)


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
        if name.startswith("infogami."):
            return "webpy"  # infogami's own pages and modes (core.edit): a subclass answers in its GET, POST, ...
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
        resolved = _project_class(project, module, base)
        if resolved is None or (resolved[0] is module and resolved[1] is cls):
            continue  # a base of this file is followed on to its own imported base; the class itself is not
        owner, parent = resolved
        found = _view_framework(owner, parent, set()) or _imported_view_framework(project, owner, parent, depth - 1)
        if found is not None:
            return found
    return None


def _project_class(project: Project, module: SourceModule, node: ast.expr) -> tuple[SourceModule, ast.ClassDef] | None:
    """(module, class) of a class of the code base named by ``node``: of this file or imported."""
    name = dotted(node)
    if name is not None and "." not in name:
        local = _top_level_class(module.tree, name)
        if local is not None:
            return module, local
    owner_name, _, class_name = (qualified(module, node) or "").rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else None
    cls = _top_level_class(owner.tree, class_name) if owner is not None else None
    if cls is None and owner is not None:  # re-exported by a package (``from .base import *`` in handlers/__init__)
        return project_class(module, project, node)
    return (owner, cls) if cls is not None else None


def _resource_methods(cls: ast.ClassDef, framework: str, overridden: set[str]) -> Iterator[RouteHandler]:
    """The responders of a Cornice-style resource class: ``get``, ``put``, ... and their collection forms
    (Cornice ``collection_get``, Kinto ``plural_get``); names in ``overridden`` are a subclass's."""
    for fn in cls.body:
        if not isinstance(fn, FUNCTION_TYPES) or fn.name in overridden:
            continue
        verb = next((fn.name[len(prefix):] for prefix in RESOURCE_METHOD_PREFIXES
                     if fn.name.startswith(prefix) and fn.name[len(prefix):] in VIEW_METHOD_NAMES), None)
        if verb is not None:
            yield RouteHandler(fn, framework, (verb.upper(),), None, fn)


def _falcon_responders(cls: ast.ClassDef) -> Iterator[RouteHandler]:
    """A Falcon resource's ``on_get``, ``on_post``, ``on_get_collection``, ... (Falcon resources need no base class)."""
    for fn in cls.body:
        if isinstance(fn, FUNCTION_TYPES) and fn.name.startswith(FALCON_RESPONDER):
            verb = fn.name[len(FALCON_RESPONDER):].split("_", 1)[0]
            if verb in VIEW_METHOD_NAMES:
                yield RouteHandler(fn, "falcon", (verb.upper(),), None, fn)


# --- Pyramid/Cornice views registered by a decorator of the code base ------------------


def _project_decorated_views(project: Project) -> dict[str, list[RouteHandler]]:
    """Path -> handlers that a decorator of the code base registers as Pyramid/Cornice views: functions under
    ``@api_config(...)`` (which calls ``config.add_view``) or ``@json_view(...)`` (which returns
    ``view_config(...)``), and the responders of resource classes under such a decorator (Kinto's
    ``@resource.register()``) or Cornice's ``@resource(...)``, including those the class inherits from
    project base classes (kept in the base's file)."""
    if "web.decorated_views" in project.facts:
        return project.facts["web.decorated_views"]  # type: ignore[return-value]
    table: dict[str, list[RouteHandler]] = {}
    if any(m.imports_module(name) for m in project.modules for name in ("pyramid", "cornice", "modernrpc")):
        registers: dict[int, str | None] = {}
        for module in project.modules:
            if "@" not in module.text:
                continue
            for node in module.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                dec, framework = next(((d, found) for d in node.decorator_list
                                       if (found := _registers_view(project, module, d, registers))), (None, None))
                if dec is None:
                    continue
                if isinstance(node, ast.ClassDef):
                    for owner, handler in _resource_family(project, module, node):
                        table.setdefault(owner.path, []).append(handler)
                elif framework == "modernrpc":
                    table.setdefault(module.path, []).append(RouteHandler(node, framework, ("POST",), None, dec, module))
                else:
                    table.setdefault(module.path, []).append(
                        RouteHandler(node, "pyramid", _request_methods(dec), None, dec, module))
    project.facts["web.decorated_views"] = table
    return table


def _registers_view(project: Project, module: SourceModule, dec: ast.expr, registers: dict[int, str | None]) -> str | None:
    """The framework a decorator of the code base registers its function with, or None."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    if qualified(module, target) in CORNICE_RESOURCES:
        return "cornice"
    if _rpc_registration(project, module, target):
        return "modernrpc"  # @server.register_procedure, the server built in another file
    resolved = _resolve_function(project, module, target)
    return _registers_views(project, *resolved, VIEW_DECORATOR_DEPTH, registers) if resolved is not None else None


def _registers_views(project: Project, module: SourceModule, fn: ast.AST, depth: int,
                     registers: dict[int, str | None]) -> str | None:
    """The framework a function of the code base (or one it calls, ``depth`` deep) registers a view with: it
    calls ``config.add_view(...)`` or a Pyramid view decorator (``view_config(...)``), or a django-modern-rpc
    server's ``register_procedure(func, name="Tag.create")``."""
    if id(fn) not in registers:
        registers[id(fn)] = None  # (recursion)
        found = None
        for node in walk_nodes(fn):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr in PYRAMID_VIEW_REGISTRATIONS \
                    or qualified(module, node.func) in PYRAMID_VIEW_DECORATORS:
                found = "pyramid"
                break
            if _rpc_registration(project, module, node.func):
                found = "modernrpc"
                break
            callee = _resolve_function(project, module, node.func) if depth > 1 else None
            if callee is not None and (found := _registers_views(project, *callee, depth - 1, registers)):
                break
        registers[id(fn)] = found
    return registers[id(fn)]


def _rpc_registration(project: Project, module: SourceModule, func: ast.expr) -> bool:
    """Whether ``func`` is ``server.register_procedure`` of a django-modern-rpc server: the file imports
    modernrpc, or the server comes from a file of the code base that does (``from myapp.rpc import server``)."""
    if not (isinstance(func, ast.Attribute) and func.attr == RPC_REGISTRATION):
        return False
    if module.imports_module("modernrpc"):
        return True
    owner = project.by_dotted_name.get((qualified(module, func.value) or "").rpartition(".")[0])
    return owner is not None and owner.imports_module("modernrpc")


def _resource_family(project: Project, module: SourceModule, cls: ast.ClassDef) -> Iterator[tuple[SourceModule, RouteHandler]]:
    """The responders of a registered resource class and those it inherits from project base classes."""
    overridden: set[str] = set()
    owner, current = module, cls
    for _ in range(VIEW_DECORATOR_DEPTH + 1):
        for handler in _resource_methods(current, "cornice", overridden):
            handler.declared_in = owner
            yield owner, handler
        overridden |= {n.name for n in current.body if isinstance(n, FUNCTION_TYPES)}
        base = next((found for b in current.bases if (found := _project_class(project, owner, b)) is not None), None)
        if base is None:
            return
        owner, current = base


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
            for owner, fn, verbs in _registered_class_methods(project, module, target, methods):
                table.setdefault(owner.path, []).append(RouteHandler(fn, framework, verbs, path, call, module))
        for call, path, target in _webpy_mappings(module):
            found = _named_class(project, module, target) if isinstance(target, str) else \
                _project_class(project, module, target)
            for handler in _webpy_methods(found[1]) if found is not None else ():
                table.setdefault(found[0].path, []).append(replace(handler, path=path, node=call, declared_in=module))
    _PROJECT_CACHE[id(project)] = (weakref.ref(project), table)
    return table


def _registered_class_methods(project: Project, module: SourceModule, target: ast.expr, methods: tuple[str, ...]):
    """A class of the code base registered itself as the view (``bp.add_url_rule('/x', 'x', RHCreate,
    methods=('POST',))``), which the code base's blueprint instantiates per request: each registered HTTP
    method is answered by the class's method named for it (``post``, ``_process_POST``), else by its one
    processing method (``_process``, ``process``, ``dispatch_request``), also inherited from a project base.
    Yields (module, method, the HTTP methods it answers)."""
    found = _project_class(project, module, target) if isinstance(target, (ast.Name, ast.Attribute)) else None
    if found is None:
        return
    owner, cls = found
    answering: dict[int, tuple[SourceModule, ast.AST, list[str]]] = {}
    for verb in methods or ("GET",):
        method = next((m for name in (verb.lower(), f"_process_{verb}", *CLASS_VIEW_PROCESSORS)
                       if (m := method_in_hierarchy(project, owner, cls, name)) is not None), None)
        if method is not None:
            answering.setdefault(id(method[1]), (*method, []))[2].append(verb)
    for method_module, method, verbs in answering.values():
        yield method_module, method, tuple(verbs)


def _registrations(module: SourceModule) -> Iterator[tuple[ast.Call, ast.expr, str, tuple[str, ...], str | None]]:
    """(call, handler expression, framework, methods, path) of each registration call."""
    aliases = _registration_aliases(module)
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
            yield from _method_registration(module, call, call.func.attr, path)
        elif isinstance(call.func, ast.Name) and call.func.id in aliases:
            yield from _method_registration(module, call, call.func.id, path)


def _webpy_mappings(module: SourceModule) -> Iterator[tuple[ast.Call, str | None, str | ast.expr]]:
    """(call, path, class name or expression) of web.py's URL mappings: ``web.application(urls, globals())`` over
    ``urls = ("/login", "login", "/covers/(.*)", "views.cover")``, ``app.add_mapping("/stats", __name__ + ".stats")``
    and infogami's API hooks, ``add_hook("import", importapi)`` answering at ``/api/import``."""
    if not (module.imports_module("web") or module.imports_module("infogami")):
        return
    for call in module.nodes_of(ast.Call):
        if qualified(module, call.func) in WEBPY_APPLICATIONS and call.args:
            listed = single_binding(module.tree, call.args[0].id) if isinstance(call.args[0], ast.Name) else call.args[0]
            if isinstance(listed, (ast.Tuple, ast.List)):
                pairs = [string_value(e) for e in listed.elts]
                for path, class_name in zip(pairs[::2], pairs[1::2]):
                    if class_name:
                        yield call, path, class_name
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "add_mapping" and len(call.args) == 2:
            target = call.args[1]
            if isinstance(target, ast.BinOp) and dotted(target.left) == "__name__":
                target = target.right  # __name__ + ".stats": a class of this file
            class_name = string_value(target)
            if class_name:
                yield call, string_value(call.args[0]), class_name.lstrip(".")
        elif qualified(module, call.func) == INFOGAMI_API_HOOK and len(call.args) == 2:
            yield call, f"/api/{string_value(call.args[0]) or ''}", call.args[1]


def _named_class(project: Project, module: SourceModule, name: str) -> tuple[SourceModule, ast.ClassDef] | None:
    """The class a web.py mapping names by string: ``"login"`` in this file, ``"pkg.views.cover"`` in another."""
    owner_name, _, class_name = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    cls = _top_level_class(owner.tree, class_name) if owner is not None else None
    return (owner, cls) if cls is not None else None


def _registration_aliases(module: SourceModule) -> set[str]:
    """Names bound to a router's registration method: ``add_route = app.router.add_route``."""
    return {t.id for node in module.nodes_of(ast.Assign) if isinstance(node.value, ast.Attribute)
            and node.value.attr in REGISTRATION_METHODS
            for t in node.targets if isinstance(t, ast.Name) and t.id == node.value.attr}


def _method_registration(module: SourceModule, call: ast.Call, attr: str, path: str | None):
    framework = _framework_of(module)
    first = string_value(call.args[0]).upper() if call.args and string_value(call.args[0]) else None
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
    elif attr == "add_route" and len(call.args) >= 3 and first:
        # aiohttp: add_route("GET", "/x", handler)
        yield call, call.args[2], framework, (first,) if first in HTTP_METHODS else (), string_value(call.args[1])
    elif attr in ("add_route", "add_view") and len(call.args) >= 2 and first in (*HTTP_METHODS, "*"):
        # an aiohttp resource's add_route("GET", handler); a Cornice service's add_view("GET", view)
        yield call, call.args[1], framework, (first,) if first in HTTP_METHODS else (), None
    elif attr in PYRAMID_VIEW_REGISTRATIONS:
        target = keyword(call, "view") or (call.args[0] if call.args else None)
        if target is not None:
            yield call, target, "pyramid", _request_methods(call), None
    elif attr == "add_route" and len(call.args) >= 2:
        yield call, call.args[1], framework, (), path  # starlette: add_route("/x", handler)
    elif attr.startswith("add_") and attr[4:].upper() in HTTP_METHODS and len(call.args) >= 2:
        yield call, call.args[1], framework, (attr[4:].upper(),), path


def _resolve_function(project: Project, module: SourceModule, target: ast.expr):
    """(module, function) a handler expression names: local, imported, ``views.fn``, or a method of the
    registering class (``self.app.router.add_post("/login", self.login)``)."""
    name = dotted(target)
    if name is None:
        return None
    if name.startswith("self.") and name.count(".") == 1:
        cls = next((a for a in ancestors(module, target) if isinstance(a, ast.ClassDef)), None)
        return method_in_hierarchy(project, module, cls, name[5:]) if cls is not None else None
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
                  "HTMLResponse", "HTTPFound", "HTTPSeeOther"}
DATA_RENDERERS = {"json", "jsonp", "string"}  # Pyramid's built-in renderers that answer data, not a page
JSON_RESPONSES = {"jsonify", "JsonResponse", "JSONResponse", "ORJSONResponse", "UJSONResponse", "json_response"}
WEBPY_REDIRECTS = {f"web.{name}" for name in ("seeother", "found", "redirect", "tempredirect",
                                              "SeeOther", "Found", "Redirect", "TempRedirect")}


def answers_browser(module: SourceModule, fn: ast.AST) -> bool:
    """A server-rendered page or form handler: its body renders a template or redirects
    (``render(...)``, ``render_template(...)``, ``templates.TemplateResponse(...)``, ``redirect(...)``,
    ``HttpResponseRedirect``, ``RedirectResponse``, Pyramid's ``HTTPFound``/``HTTPSeeOther``, web.py's
    ``raise web.seeother(url)``, a helper of the code base named ``redirect_*``) and nowhere answers JSON
    (``jsonify``, ``JsonResponse``, DRF's ``Response``, a returned dict, list or ``json.dumps``, web.py's
    ``web.header("Content-Type", "application/json")``). A Pyramid view whose configuration (``@view_config`` or the
    class's ``@view_defaults``) names a template renderer renders what it returns into a page. A browser
    posts its forms; API clients get JSON."""
    if _template_renderer(module, fn):
        return True
    page = False
    for node in walk_function_body(fn):
        if isinstance(node, ast.Return) and (isinstance(node.value, (ast.Dict, ast.List, ast.DictComp, ast.ListComp)) or (
                isinstance(node.value, ast.Call) and qualified(module, node.value.func) in ("json.dumps", "orjson.dumps"))):
            return False
        if not isinstance(node, ast.Call):
            continue
        name = qualified(module, node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if last in JSON_RESPONSES or name.startswith("rest_framework.") or (
                name == "web.header" and len(node.args) > 1 and "json" in (string_value(node.args[1]) or "")):
            return False  # web.header("Content-Type", "application/json"): a web.py handler answering JSON
        if isinstance(node.func, ast.Name) and (last in PAGE_RESPONSES or last.startswith("redirect_")) or (
                last in PAGE_RESPONSES and (last == "TemplateResponse" or name.startswith(
                    ("django.", "flask.", "quart.", "starlette.", "fastapi.", "werkzeug.", "pyramid.")))) \
                or name in WEBPY_REDIRECTS:
            page = True
    return page


def _template_renderer(module: SourceModule, fn: ast.AST) -> bool:
    """``@view_config(renderer="admin/users.html.jinja2")`` on the view or ``@view_defaults(renderer=...)`` on its
    class: what the view returns is rendered into a page."""
    owners = [fn, *(p for p in [module.parents.get(fn)] if isinstance(p, ast.ClassDef))]
    for owner in owners:
        for dec in owner.decorator_list:
            if isinstance(dec, ast.Call) and (qualified(module, dec.func) or "").startswith("pyramid.view."):
                renderer = string_value(keyword(dec, "renderer"))
                if renderer is not None and renderer not in DATA_RENDERERS:
                    return True
    return False


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
    """``signal.SIGTERM``, or the variable of ``for sig in (signal.SIGINT, signal.SIGTERM):`` around the call."""
    if isinstance(node, ast.Name):
        for loop in ancestors(module, node):
            if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and loop.target.id == node.id:
                return isinstance(loop.iter, (ast.Tuple, ast.List)) and any(_is_sigterm(module, e) for e in loop.iter.elts)
    return (qualified(module, node) or "").rsplit(".", 1)[-1] == "SIGTERM"
