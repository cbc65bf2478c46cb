"""Recognising outbound HTTP and gRPC calls and the clients that make them.

Shared knowledge for every rule that asks "does this line talk to another service?".
Read-only API:

- :func:`outbound_calls` ``(module, project=None) -> list[OutboundCall]``: every outbound
  call in a file, in source order.
- :func:`outbound_call` ``(module, call, project=None) -> OutboundCall | None``: whether one
  ``ast.Call`` is an outbound call.
- :func:`client_for` ``(module, expr, at, project=None) -> ClientBinding | None``: the
  session/client/stub/channel an expression refers to at node ``at``.
- :func:`client_bindings` ``(module, project=None) -> list[ClientBinding]``: every name the
  file binds to a client.

What is recognised:

- module functions: ``requests.get/post/...``, ``httpx.get/...``, ``aiohttp.request``,
  ``urllib.request.urlopen``;
- clients: ``requests.Session``, ``httpx.Client/AsyncClient``, ``aiohttp.ClientSession``,
  ``urllib3.PoolManager``, ``http.client.HTTP(S)Connection``, gRPC channels and stubs
  (``FooStub(channel)``); local subclasses of those classes;
- where clients live: local variables, ``with``/``async with`` targets, module globals,
  ``self.x`` attributes set anywhere in a class (typically ``__init__``), class
  attributes, parameters annotated with a client class, and module-level factory
  functions returning a client (``def make_client(): return httpx.AsyncClient(...)``),
  also when imported from another module of the project, and methods of the same class
  returning one (``self.client = self._create_client()``).

The audited code is only read, never imported.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, field
from typing import Iterator

from audit_lib.pyast import (
    FUNCTION_TYPES,
    dotted,
    has_kwargs_splat,
    is_none,
    keyword,
    qualified,
    walk_function_body,
    walk_nodes,
)
from audit_lib.source import Project, SourceModule

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")

MODULE_FUNCTIONS: dict[str, str] = {
    **{f"requests.{verb}": "requests" for verb in (*HTTP_VERBS, "request")},
    **{f"requests.api.{verb}": "requests" for verb in (*HTTP_VERBS, "request")},
    **{f"httpx.{verb}": "httpx" for verb in (*HTTP_VERBS, "request", "stream")},
    "aiohttp.request": "aiohttp",
    "urllib.request.urlopen": "urllib",
    "urllib2.urlopen": "urllib",
}

CLIENT_CLASSES: dict[str, tuple[str, str]] = {
    # qualified constructor -> (library, kind)
    "requests.Session": ("requests", "session"),
    "requests.session": ("requests", "session"),
    "requests.sessions.Session": ("requests", "session"),
    "httpx.Client": ("httpx", "client"),
    "httpx.AsyncClient": ("httpx", "client"),
    "aiohttp.ClientSession": ("aiohttp", "session"),
    "aiohttp.client.ClientSession": ("aiohttp", "session"),
    "urllib3.PoolManager": ("urllib3", "pool"),
    "urllib3.HTTPConnectionPool": ("urllib3", "pool"),
    "urllib3.HTTPSConnectionPool": ("urllib3", "pool"),
    "urllib3.connection_from_url": ("urllib3", "pool"),
    "http.client.HTTPConnection": ("http.client", "connection"),
    "http.client.HTTPSConnection": ("http.client", "connection"),
    "grpc.insecure_channel": ("grpc", "channel"),
    "grpc.secure_channel": ("grpc", "channel"),
    "grpc.intercept_channel": ("grpc", "channel"),
    "grpc.aio.insecure_channel": ("grpc", "channel"),
    "grpc.aio.secure_channel": ("grpc", "channel"),
}

CLIENT_METHODS: dict[str, frozenset[str]] = {
    "requests": frozenset({*HTTP_VERBS, "request", "send"}),
    "httpx": frozenset({*HTTP_VERBS, "request", "send", "stream"}),
    "aiohttp": frozenset({*HTTP_VERBS, "request", "ws_connect"}),
    "urllib3": frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
    "http.client": frozenset({"request"}),
}
GRPC_CALL_VARIANTS = frozenset({"future", "with_call"})
# Wrappers a gRPC stub method can be called through: stub.Method.future(req, timeout=...).


@dataclass(eq=False)
class ClientBinding:
    """A name bound to an HTTP session/client, a gRPC channel or stub."""

    name: str  # as written at the use site: "session", "self.client", "cls.http"
    library: str  # requests, httpx, aiohttp, urllib3, http.client, grpc
    kind: str  # session, client, pool, connection, channel, stub
    node: ast.AST  # the binding statement (assignment, with, parameter) or the inline call
    factory: ast.Call | None = None  # the constructor call, None for annotated parameters
    origin: str = "constructed"  # constructed | factory-function | parameter
    subclass: ast.ClassDef | None = None  # a local subclass of the library's client class
    configured: list[ast.AST] = field(default_factory=list)  # later statements that configure it
    made_by: "ClientBinding | None" = None  # the factory function's client, for factory-made ones
    module: SourceModule | None = field(default=None, repr=False)  # the file that binds it

    def keyword(self, name: str) -> ast.expr | None:
        """The value given to ``name=`` when the client was constructed."""
        return keyword(self.factory, name) if self.factory is not None else None

    def sets(self, name: str) -> bool:
        """Whether ``name`` is given a non-None value at construction or assigned later
        (``client.timeout = 5``, ``session.headers.update(...)`` for ``headers``)."""
        value = self.keyword(name)
        if value is not None and not is_none(value):
            return True
        if any(_configures(statement, self.name, name) for statement in self.configured):
            return True
        return self.made_by is not None and self.made_by.sets(name)

    @property
    def opaque(self) -> bool:
        """Constructed with ``**options`` or received as a parameter: its settings are unknown."""
        return self.factory is None or has_kwargs_splat(self.factory)


@dataclass(eq=False)
class OutboundCall:
    """One call that leaves the process: an HTTP request or a gRPC method call."""

    node: ast.Call
    library: str
    protocol: str  # "http" or "grpc"
    operation: str  # HTTP verb or client method (get, post, request, urlopen), gRPC method name
    client: ClientBinding | None = None  # None for module functions (requests.get)

    @property
    def line(self) -> int:
        return self.node.lineno


def outbound_calls(module: SourceModule, project: Project | None = None) -> list[OutboundCall]:
    return _index(module, project).calls()


def outbound_call(module: SourceModule, call: ast.Call, project: Project | None = None) -> OutboundCall | None:
    return _index(module, project).classify(call)


def client_for(module: SourceModule, expr: ast.expr, at: ast.AST, project: Project | None = None) -> ClientBinding | None:
    return _index(module, project).resolve(expr, at)


def client_bindings(module: SourceModule, project: Project | None = None) -> list[ClientBinding]:
    return _index(module, project).all_bindings()


def uses_http(module: SourceModule) -> bool:
    """Cheap pre-filter: the file imports an HTTP or gRPC library, or a *_grpc module."""
    return any(
        module.imports_module(lib) for lib in ("requests", "httpx", "aiohttp", "urllib", "urllib2", "urllib3", "http.client", "grpc")
    ) or any("_grpc" in target for target in module.imports.values())


# --- implementation ---------------------------------------------------------------

_CACHE: "weakref.WeakKeyDictionary[ast.Module, dict[int, _ModuleIndex]]" = weakref.WeakKeyDictionary()


def _index(module: SourceModule, project: Project | None) -> "_ModuleIndex":
    per_project = _CACHE.setdefault(module.tree, {})
    key = id(project)
    if key not in per_project:
        per_project[key] = _ModuleIndex(module, project)
    return per_project[key]


class _ModuleIndex:
    def __init__(self, module: SourceModule, project: Project | None):
        self.module = module
        self.project = project
        self._subclasses: dict[str, tuple[str, str, ast.ClassDef]] | None = None
        self._factories: dict[str, ClientBinding] | None = None
        self._bindings: dict[tuple[ast.AST | None, str], ClientBinding] | None = None
        self._calls: list[OutboundCall] | None = None
        self._factory_locals: dict[tuple[int, str], ClientBinding] = {}
        self._method_factories: dict[int, ClientBinding | None] = {}
        self._locals: dict[int, set[str]] = {}
        self._classes = {id(n): n for n in walk_nodes(module.tree) if isinstance(n, ast.ClassDef)}

    # Pass 1: what the file defines (subclasses, factory functions), answerable to other files.

    def subclasses(self) -> dict[str, tuple[str, str, ast.ClassDef]]:
        """Local class name -> (library, kind, class) for subclasses of client classes."""
        if self._subclasses is None:
            self._subclasses = {}
            changed = True
            classes = [n for n in self.module.tree.body if isinstance(n, ast.ClassDef)]
            while changed:  # a subclass of a local subclass is found on a later round
                changed = False
                for cls in classes:
                    if cls.name in self._subclasses:
                        continue
                    for base in cls.bases:
                        known = self._constructor(qualified(self.module, base), set())
                        if known:
                            self._subclasses[cls.name] = (known[0], known[1], cls)
                            changed = True
                            break
        return self._subclasses

    def factories(self) -> dict[str, ClientBinding]:
        """Module-level function name -> the client it returns."""
        if self._factories is None:
            self._factories = {}
            for fn in self.module.tree.body:
                if isinstance(fn, FUNCTION_TYPES):
                    made = self._returned_client(fn)
                    if made is not None:
                        self._factories[fn.name] = made
        return self._factories

    def _returned_client(self, fn: ast.AST) -> ClientBinding | None:
        local: dict[str, ast.Call] = {}
        for node in walk_nodes(fn):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    if isinstance(target, (ast.Name, ast.Attribute)) and dotted(target):
                        local[dotted(target)] = node.value  # client = ..., or a cache: _local.client = ...
        for node in walk_nodes(fn):  # a return may come before the (nested) assignment in the walk
            if isinstance(node, ast.Return) and node.value is not None:
                value, name = node.value, fn.name
                if isinstance(value, (ast.Name, ast.Attribute)) and dotted(value) in local:
                    value, name = local[dotted(value)], dotted(value)
                if isinstance(value, ast.Call):
                    made = self._make(value, set(), name=name, node=node)
                    if made is not None:
                        made.origin = "factory-function"
                        self._factory_locals[(id(fn), name)] = made
                        return made
        return None

    def _constructor(self, name: str | None, seen: set) -> tuple[str, str, ast.ClassDef | None] | None:
        """(library, kind, local subclass) for a constructor or client subclass name."""
        if name is None:
            return None
        if name in CLIENT_CLASSES:
            library, kind = CLIENT_CLASSES[name]
            return library, kind, None
        if self._subclasses is not None and name in self._subclasses:
            return self._subclasses[name]
        other, attr = self._other_module(name)
        if other is not None and ("class", other.module.path, attr) not in seen:
            seen.add(("class", other.module.path, attr))
            return other.subclasses().get(attr)
        return None

    def _other_module(self, name: str) -> tuple["_ModuleIndex | None", str]:
        if self.project is None or "." not in name:
            return None, ""
        module_name, _, attr = name.rpartition(".")
        other = self.project.by_dotted_name.get(module_name)
        if other is None or other is self.module or not uses_http(other):
            return None, ""  # only a file that imports an HTTP/gRPC library can make clients
        return _index(other, self.project), attr

    def _make(self, call: ast.Call, seen: set, *, name: str, node: ast.AST) -> ClientBinding | None:
        """The client a call constructs, if it constructs one."""
        callee = qualified(self.module, call.func)
        known = self._constructor(callee, seen)
        if known is None and callee in self.subclasses():
            known = self.subclasses()[callee]
        if known is not None:
            library, kind, subclass = known
            return ClientBinding(name, library, kind, node, factory=call, subclass=subclass, module=self.module)
        if callee is not None and callee.rsplit(".", 1)[-1].endswith("Stub") and call.args and self._knows_grpc(callee):
            return ClientBinding(name, "grpc", "stub", node, factory=call, module=self.module)
        template = None
        if isinstance(call.func, ast.Name) and call.func.id in self.factories():
            template = self.factories()[call.func.id]
        elif callee is not None and callee.startswith(("self.", "cls.")) and callee.count(".") == 1:
            template = self._method_factory(call, callee.split(".", 1)[1])
        elif callee is not None:
            other, attr = self._other_module(callee)
            if other is not None and ("factory", other.module.path, attr) not in seen:
                seen.add(("factory", other.module.path, attr))
                template = other.factories().get(attr)
                if template is not None:
                    other.bindings()  # collects the configuration of the factory's local client
        if template is not None:
            return ClientBinding(name, template.library, template.kind, node, factory=template.factory,
                                 origin="factory-function", subclass=template.subclass, made_by=template,
                                 module=self.module)
        return None

    def _method_factory(self, call: ast.Call, name: str) -> ClientBinding | None:
        """The client a method of the caller's class returns (``self.client = self._create_client()``)."""
        cls = self._enclosing(call, (ast.ClassDef,))
        method = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None) \
            if cls is not None else None
        if method is None:
            return None
        if id(method) not in self._method_factories:
            self._method_factories[id(method)] = None  # a method that returns its own call
            self._method_factories[id(method)] = self._returned_client(method)
        return self._method_factories[id(method)]

    def _knows_grpc(self, callee: str) -> bool:
        return "grpc" in callee or self.module.imports_module("grpc")

    # Pass 2: where clients are bound in this file and which calls use them.

    def bindings(self) -> dict[tuple[ast.AST | None, str], ClientBinding]:
        if self._bindings is None:
            self._bindings = {}
            self._collect_bindings()
            self._collect_configuration()
        return self._bindings

    def all_bindings(self) -> list[ClientBinding]:
        return list(self.bindings().values())

    def _collect_bindings(self) -> None:
        aliases: list[ast.Assign] = []
        for node in walk_nodes(self.module.tree):
            if isinstance(node, ast.Assign):
                if isinstance(node.value, (ast.Name, ast.Attribute)):
                    aliases.append(node)
                for target in node.targets:
                    self._bind(node, target, node.value)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    self._bind(node, node.target, node.value)
                else:
                    self._bind_annotation(node, node.target, node.annotation)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind(node, item.optional_vars, item.context_expr)
            elif isinstance(node, FUNCTION_TYPES):
                args = node.args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    if arg.annotation is not None:
                        self._bind_annotation(node, ast.Name(id=arg.arg), arg.annotation, scope=node)
        for node in aliases:  # self.session = session, once the local is known
            source = self.resolve(node.value, node)
            for target in node.targets:
                name = dotted(target)
                if source is not None and name is not None:
                    key = self._binding_scope(node, name)
                    self._bindings.setdefault(key, ClientBinding(
                        name, source.library, source.kind, node, factory=source.factory, origin=source.origin,
                        subclass=source.subclass, made_by=source.made_by, module=self.module))

    def _bind(self, node: ast.AST, target: ast.expr, value: ast.expr) -> None:
        call = _constructing_call(value)
        if call is None:
            return
        name = dotted(target)
        if name is None:
            return
        made = self._make(call, set(), name=name, node=node)
        if made is not None:
            self._bindings[self._binding_scope(node, name)] = made

    def _bind_annotation(self, node: ast.AST, target: ast.expr, annotation: ast.expr, scope: ast.AST | None = None) -> None:
        name = dotted(target)
        hint = annotation.value if isinstance(annotation, ast.Subscript) else annotation  # Optional[...]
        if isinstance(annotation, ast.BinOp):  # Session | None
            hint = annotation.left
        known = self._constructor(qualified(self.module, hint), set()) if name else None
        if known is None and name and qualified(self.module, hint) in self.subclasses():
            known = self.subclasses()[qualified(self.module, hint)]
        if known is None:
            return
        key = (scope, name) if scope is not None else self._binding_scope(node, name)
        self._bindings.setdefault(key, ClientBinding(name, known[0], known[1], node, origin="parameter", subclass=known[2],
                                                     module=self.module))

    def _binding_scope(self, node: ast.AST, name: str) -> tuple[ast.AST | None, str]:
        """Locals live in their function, ``self.x`` and class attributes in their class."""
        head = name.split(".", 1)[0]
        fn = self._enclosing(node, FUNCTION_TYPES)
        if head in ("self", "cls") and fn is not None:
            return self._enclosing(fn, (ast.ClassDef,)), "self" + name[len(head):]
        parent = self.module.parents.get(node)
        if isinstance(parent, ast.ClassDef):
            return parent, f"self.{name}"
        return fn, name

    def _enclosing(self, node: ast.AST, types: tuple) -> ast.AST | None:
        parent = self.module.parents.get(node)
        while parent is not None and not isinstance(parent, types):
            parent = self.module.parents.get(parent)
        return parent

    def _collect_configuration(self) -> None:
        """Statements that change a bound client after construction."""
        self.factories()
        for node in walk_nodes(self.module.tree):
            subject: ast.expr | None = None
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Subscript):
                    target = target.value
                if isinstance(target, ast.Attribute):
                    subject = target.value
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
                subject = node.value.func.value
                if isinstance(subject, ast.Attribute) and node.value.func.attr in ("update", "setdefault", "append", "extend"):
                    subject = subject.value  # session.headers.update(...), client.event_hooks["request"].append(...)
                elif node.value.func.attr != "mount":
                    subject = None
            if subject is None:
                continue
            while isinstance(subject, ast.Subscript):
                subject = subject.value
            binding = self.resolve(subject, node)
            if binding is not None:
                binding.configured.append(node)
            fn = self._enclosing(node, FUNCTION_TYPES)
            made = self._factory_locals.get((id(fn), dotted(subject) or ""))
            if made is not None and made is not binding:
                made.configured.append(node)

    def resolve(self, expr: ast.expr, at: ast.AST) -> ClientBinding | None:
        bindings = self.bindings()
        if isinstance(expr, ast.Call):
            return self._make(expr, set(), name=dotted(expr.func) or "", node=expr)
        if isinstance(expr, ast.Await) and isinstance(expr.value, ast.Call):
            return self._make(expr.value, set(), name=dotted(expr.value.func) or "", node=expr)
        name = dotted(expr)
        if name is None:
            return None
        head = name.split(".", 1)[0]
        fn = self._enclosing(at, FUNCTION_TYPES)
        if head in ("self", "cls"):
            cls = self._enclosing(fn, (ast.ClassDef,)) if fn is not None else None
            return bindings.get((cls, "self" + name[len(head):])) if cls is not None else None
        scope = fn
        while scope is not None:
            if (scope, name) in bindings:
                return bindings[(scope, name)]
            if head in self._local_names(scope):
                return None  # a parameter or local that shadows a global client (a DB session, say)
            scope = self._enclosing(scope, FUNCTION_TYPES)
        if (None, name) in bindings:
            return bindings[(None, name)]
        imported = qualified(self.module, expr)
        if imported != name and imported is not None:
            other, attr = self._other_module(imported)
            if other is not None:
                return other.bindings().get((None, attr))
        return None

    def _local_names(self, fn: ast.AST) -> set[str]:
        """Parameters of ``fn`` and names it assigns (unless declared global)."""
        if id(fn) not in self._locals:
            args = fn.args
            names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
            declared_global: set[str] = set()
            for node in walk_function_body(fn):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    declared_global.update(node.names)
            self._locals[id(fn)] = names - declared_global
        return self._locals[id(fn)]

    def classify(self, call: ast.Call) -> OutboundCall | None:
        callee = qualified(self.module, call.func)
        if callee in MODULE_FUNCTIONS:
            operation = callee.rsplit(".", 1)[-1]
            return OutboundCall(call, MODULE_FUNCTIONS[callee], "http", operation)
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr in GRPC_CALL_VARIANTS and isinstance(func.value, ast.Attribute):
            stub = self.resolve(func.value.value, call)
            if stub is not None and stub.kind == "stub" and _is_rpc_name(func.value.attr):
                return OutboundCall(call, "grpc", "grpc", func.value.attr, stub)
        client = self.resolve(func.value, call)
        if client is None:
            return None
        if client.kind == "stub":
            return OutboundCall(call, "grpc", "grpc", func.attr, client) if _is_rpc_name(func.attr) else None
        if func.attr in CLIENT_METHODS.get(client.library, ()):
            return OutboundCall(call, client.library, "http", func.attr, client)
        return None

    def calls(self) -> list[OutboundCall]:
        if self._calls is None:
            if not uses_http(self.module) and not self._imports_project_clients():
                self._calls = []
            else:
                found = (self.classify(n) for n in walk_nodes(self.module.tree) if isinstance(n, ast.Call))
                self._calls = sorted((c for c in found if c is not None), key=lambda c: (c.node.lineno, c.node.col_offset))
        return self._calls

    def _imports_project_clients(self) -> bool:
        """Whether the file imports a client or client factory from another project module."""
        if self.project is None:
            return False
        for target in self.module.imports.values():
            other, attr = self._other_module(target)
            if other is not None and (attr in other.factories() or (None, attr) in other.bindings() or attr in other.subclasses()):
                return True
        return False


def _constructing_call(value: ast.expr) -> ast.Call | None:
    """The call in ``X(...)``, ``await X(...)``, ``given or X(...)``, ``X(...) if c else given``."""
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Call):
        return value
    if isinstance(value, ast.BoolOp):
        return next((v for v in value.values if isinstance(v, ast.Call)), None)
    if isinstance(value, ast.IfExp):
        return next((v for v in (value.body, value.orelse) if isinstance(v, ast.Call)), None)
    return None


def _is_rpc_name(name: str) -> bool:
    """gRPC methods are CapWords (``SayHello``); stub helpers and dunders are not."""
    return name[:1].isupper()


def _configures(statement: ast.AST, client_name: str, setting: str) -> bool:
    """Whether a configuration statement of ``client_name`` touches ``setting``."""
    for node in walk_nodes(statement):
        if isinstance(node, ast.Attribute) and node.attr == setting and dotted(node.value) == client_name:
            return True
    if setting == "adapter" and isinstance(statement, ast.Expr):
        call = statement.value
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "mount"
    return False


def iter_keyword_strings(node: ast.AST) -> Iterator[str]:
    """Every string constant below ``node`` (header names in dict literals and the like)."""
    for child in walk_nodes(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value
