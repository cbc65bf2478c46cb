"""Recognising outbound HTTP and gRPC calls and the clients that make them.

Shared knowledge for every rule that asks "does this line talk to another service?".
Read-only API:

- :func:`outbound_calls` ``(module, project=None) -> list[OutboundCall]``: every outbound
  call in a file, in source order.
- :func:`outbound_call` ``(module, call, project=None) -> OutboundCall | None``: whether one
  ``ast.Call`` is an outbound call.
- :func:`sdk_calls` ``(module, project) -> list[OutboundCall]``: the calls a file makes through a
  service's SDK (Stripe, boto3, Slack, Twilio, SendGrid, OpenAI...) and the connections it opens
  (SMTP, websockets).
- :func:`external_call` ``(module, call, project) -> OutboundCall | None``: an outbound call to an
  external service, by HTTP, gRPC or a service's SDK.
- :func:`mail_call` ``(module, call) -> OutboundCall | None``: a call of Django's mail API that
  sends mail (``send_mail(...)``, ``EmailMessage(...).send()``), or of a mail library (edx-ace's ``ace.send``).
- :func:`infrastructure_call` ``(module, call) -> OutboundCall | None``: a call to infrastructure over the
  network: the Kubernetes API (kubernetes client, kr8s), Vault (hvac), authzed, a git remote (GitPython,
  ``git clone`` in a subprocess), a message broker's publish (pika, kombu, aio-pika).
- :func:`client_for` ``(module, expr, at, project=None) -> ClientBinding | None``: the
  session/client/stub/channel an expression refers to at node ``at``.
- :func:`client_bindings` ``(module, project=None) -> list[ClientBinding]``: every name the
  file binds to a client.
- :func:`decoded_response` ``(node) -> ast.expr | None``: the response a ``.json()`` call decodes
  (another service's answer, when :func:`request_by_name` says that response is a request's).
- :func:`request_by_name` ``(value) -> bool``: a request of an HTTP library, client or session, by names
  alone (no module needed).

What is recognised:

- module functions: ``requests.get/post/...``, ``httpx.get/...``, ``aiohttp.request``,
  ``urllib.request.urlopen``;
- clients: ``requests.Session`` (and requests-oauthlib's ``OAuth1Session``/``OAuth2Session``, whose
  ``fetch_*token`` and ``refresh_token`` calls are requests, authlib's requests ``OAuth1Session``/``OAuth2Session``/
  ``AssertionSession``, and edx-rest-api-client's ``OAuthAPIClient``),
  ``httpx.Client/AsyncClient``, ``aiohttp.ClientSession``,
  ``urllib3.PoolManager``, ``http.client.HTTP(S)Connection``, tornado's ``AsyncHTTPClient``/``HTTPClient``
  (``fetch``; also the one a ``tornado.auth`` mixin's ``self.get_auth_http_client()`` returns), gRPC
  channels and stubs (``FooStub(channel)``); local subclasses of those classes;
- where clients live: local variables, ``with``/``async with`` targets, module globals (also set by a
  function declaring them ``global``),
  ``self.x`` attributes set anywhere in a class (typically ``__init__``), class
  attributes, parameters annotated with a client class (or a generated gRPC stub class, ``stub: GreeterStub``),
  and module-level factory
  functions returning a client (``def make_client(): return httpx.AsyncClient(...)``),
  also when imported from another module of the project, and methods of the same class
  returning one (``self.client = self._create_client()``);
- clients reached through other objects: ``self.bot.session.get(...)``, ``ctx.session.get(...)``
  (a property returning the bot's session, or the client a factory call makes:
  ``@cached_property def session(self): return get_oauth2_client(self.account)``) or ``self.http`` of a
  project base class, when every
  binding of that attribute name in the project is one kind of client (see
  :class:`_AttributeClients`); the call must look like a request (a URL, not ``.get("key")``;
  ``delete`` only with a URL-like argument, ``session.delete(instance)`` being an ORM's), and
  attributes of web requests (``request.session``; ``request.app.state.http`` is the project's),
  of library objects (``db.session`` of ``db = SQLAlchemy()`` or of a project subclass of it) and
  of library base classes are not followed; clients built in test code do not define an attribute;
- a client a Pyramid request method returns (``config.add_request_method(SessionFactory(), name="http")``:
  ``request.http``), and a client kept from an ``__init__`` parameter named for one (``self._http = session``)
  that every construction of the class outside tests hands the same client (``cls(session=request.http)``);
- a request function passed as a parameter (``self.call_api(url, requests.get)`` for
  ``def call_api(self, url, http_method): http_method(url, ...)``), when every call of that function in
  the file passes one of the same library, or a local looked up by method name
  (``request_method = getattr(requests, method.lower())``);
- a client parameter (``def translate(text, *, session: ClientSession)``, also kept as
  ``self.session`` by ``__init__``) is the client every caller in the project passes, when they all
  pass the same one with known settings (see :meth:`_ModuleIndex._passed_client`); otherwise its
  settings are unknown;
- an unannotated parameter (``def get_id(session, url): session.get(url)``; a gRPC stub, ``stub.Predict(request)``),
  or an attribute of one
  (``def get_token(tenant, self): self.session.post(...)``), that every call in the service code hands
  the same client: calls of a module-level function, or ``self.method(...)``/``super().method(...)``
  calls within the method's class family when nothing else names the method (see
  :meth:`_ModuleIndex._handed_client`).

The audited code is only read, never imported.
"""

from __future__ import annotations

import ast
import re
import weakref
from dataclasses import dataclass, field
from typing import Iterator

from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    annotation_expr,
    call_name,
    decorator_names,
    dotted,
    enclosing_function,
    has_kwargs_splat,
    is_none,
    keyword,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.source import Project, SourceModule, is_test_path

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")

MODULE_FUNCTIONS: dict[str, str] = {
    **{f"requests.{verb}": "requests" for verb in (*HTTP_VERBS, "request")},
    **{f"requests.api.{verb}": "requests" for verb in (*HTTP_VERBS, "request")},
    **{f"advocate.{verb}": "requests" for verb in (*HTTP_VERBS, "request")},  # requests behind an SSRF guard
    **{f"httpx.{verb}": "httpx" for verb in (*HTTP_VERBS, "request", "stream")},
    "aiohttp.request": "aiohttp",
    "aiohttp.client.request": "aiohttp",
    "urllib.request.urlopen": "urllib",
    "urllib2.urlopen": "urllib",
}

CLIENT_CLASSES: dict[str, tuple[str, str]] = {
    # qualified constructor -> (library, kind)
    "requests.Session": ("requests", "session"),
    "requests.session": ("requests", "session"),
    "requests.sessions.Session": ("requests", "session"),
    "advocate.Session": ("requests", "session"),
    "requests_oauthlib.OAuth1Session": ("requests", "session"),  # requests.Session subclasses
    "requests_oauthlib.OAuth2Session": ("requests", "session"),
    "requests_oauthlib.oauth1_session.OAuth1Session": ("requests", "session"),
    "requests_oauthlib.oauth2_session.OAuth2Session": ("requests", "session"),
    "edx_rest_api_client.client.OAuthAPIClient": ("requests", "session"),  # its timeout= times the token fetch only
    # authlib's requests sessions: requests.Session subclasses (default_timeout=, in authlib >= 1.3, times them)
    **{f"authlib.integrations.requests_client.{where}{cls}": ("requests", "session")
       for cls in ("OAuth1Session", "OAuth2Session", "AssertionSession")
       for where in ("", f"{'oauth1' if cls == 'OAuth1Session' else 'oauth2' if cls == 'OAuth2Session' else 'assertion'}_session.")},
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
    "tornado.httpclient.AsyncHTTPClient": ("tornado", "client"),
    "tornado.httpclient.HTTPClient": ("tornado", "client"),
    "grpc.insecure_channel": ("grpc", "channel"),
    "grpc.secure_channel": ("grpc", "channel"),
    "grpc.intercept_channel": ("grpc", "channel"),
    "grpc.aio.insecure_channel": ("grpc", "channel"),
    "grpc.aio.secure_channel": ("grpc", "channel"),
}

REQUEST_ID_FORWARDING_CLIENTS = frozenset({"edx_rest_api_client.client.OAuthAPIClient"})
# Sessions a library builds once at import and shares with the code that imports them -> (library, kind):
# openfoodfacts.utils.http_session is a requests.Session given a User-Agent header and nothing else.
LIBRARY_SESSIONS: dict[str, tuple[str, str]] = {"openfoodfacts.utils.http_session": ("requests", "session")}
_LIBRARY_SESSION_SETUP = "libs.http.library_session_setup"  # Project.facts key

CLIENT_METHODS: dict[str, frozenset[str]] = {
    "requests": frozenset({*HTTP_VERBS, "request", "send",
                           "fetch_request_token", "fetch_access_token", "fetch_token",  # requests-oauthlib's
                           "refresh_token"}),
    "httpx": frozenset({*HTTP_VERBS, "request", "send", "stream"}),
    "aiohttp": frozenset({*HTTP_VERBS, "request", "ws_connect"}),
    "urllib3": frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
    "http.client": frozenset({"request"}),
    "tornado": frozenset({"fetch"}),
}
# A method that tornado.auth's OAuth mixins provide: it returns the AsyncHTTPClient they fetch with.
TORNADO_AUTH_CLIENT = "get_auth_http_client"

ALL_CLIENT_METHODS = frozenset().union(*CLIENT_METHODS.values())
GRPC_CALL_VARIANTS = frozenset({"future", "with_call"})
METHOD_FIRST = frozenset({"request", "urlopen", "request_encode_url", "request_encode_body", "stream"})
MAX_POSITIONAL = {"get": 1, "head": 1, "options": 1, "delete": 1, "put": 2, "patch": 2, "post": 3, "ws_connect": 1}
# requests.Session.post(url, data, json) takes the most; aiohttp and httpx take the URL alone.
CLIENT_PARAMETER = re.compile(r"(?i)session|http|client")  # __init__ parameters followed to their constructions
WEB_REQUEST_NAMES = frozenset({"request", "req"})  # request.session, request.client: the framework's
NEUTRAL_BASES = frozenset({"object", "ABC", "Generic", "Protocol", "NamedTuple", "TypedDict", "Enum"})
URL_WORDS = ("url", "uri", "path", "endpoint", "href", "link", "route", "location", "join", "format")
PROPERTY_DECORATORS = frozenset({"property", "cached_property", "cache_readonly", "reify"})
PLAIN_METHOD_DECORATORS = frozenset({"staticmethod", "classmethod", "abstractmethod", "overload", "override"})
# x.<name>.get(...) on a method is no call on a client: such a method does not make <name> ambiguous.
_ATTRIBUTE_CLIENTS = "libs.http.attribute_clients"  # Project.facts key
# Wrappers a gRPC stub method can be called through: stub.Method.future(req, timeout=...).


@dataclass(eq=False)
class ClientBinding:
    """A name bound to an HTTP session/client, a gRPC channel or stub."""

    name: str  # as written at the use site: "session", "self.client", "cls.http"
    library: str  # requests, httpx, aiohttp, urllib3, http.client, tornado, grpc
    kind: str  # session, client, pool, connection, channel, stub
    node: ast.AST  # the binding statement (assignment, with, parameter) or the inline call
    factory: ast.Call | None = None  # the constructor call, None for annotated parameters
    origin: str = "constructed"  # constructed | factory-function | parameter
    subclass: ast.ClassDef | None = None  # a local subclass of the library's client class
    configured: list[ast.AST] = field(default_factory=list)  # later statements that configure it
    made_by: "ClientBinding | None" = None  # the factory function's client, for factory-made ones
    module: SourceModule | None = field(default=None, repr=False)  # the file that binds it
    parameter: tuple[ast.AST, str] | None = field(default=None, repr=False)  # (function, argument) it was passed as

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
    def forwards_request_id(self) -> bool:
        """A library client that copies the incoming request's ``X-Request-ID`` onto each request it sends."""
        return self.factory is not None and self.module is not None \
            and call_name(self.module, self.factory) in REQUEST_ID_FORWARDING_CLIENTS

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


def external_call(module: SourceModule, call: ast.Call, project: Project) -> OutboundCall | None:
    """Whether one ``ast.Call`` reaches an external service over the network: an HTTP or gRPC call
    (:func:`outbound_call`) or a call through a service's SDK (:func:`sdk_calls`: Stripe, boto3, SMTP...)."""
    return outbound_call(module, call, project) or _index(module, project).sdk_call(call)


# Django's mail API: with the SMTP backend each of these connects to the mail server and sends
DJANGO_MAIL_FUNCTIONS = frozenset({"django.core.mail.send_mail", "django.core.mail.send_mass_mail",
                                   "django.core.mail.mail_admins", "django.core.mail.mail_managers"})
DJANGO_MAIL_MESSAGES = frozenset({"django.core.mail.EmailMessage", "django.core.mail.EmailMultiAlternatives",
                                  "django.core.mail.message.EmailMessage",
                                  "django.core.mail.message.EmailMultiAlternatives"})
# mail libraries' functions that send a message through their configured channel (SMTP, an email API)
MAIL_LIBRARY_FUNCTIONS = frozenset({"edx_ace.ace.send"})


def mail_call(module: SourceModule, call: ast.Call) -> OutboundCall | None:
    """A call of Django's mail API that sends mail: ``send_mail(...)``, ``mail_admins(...)``, or
    ``send()`` of a message built in the same function (``EmailMessage(...).send()``, ``message =
    EmailMultiAlternatives(...)`` ... ``message.send()``); or a mail library's send (edx-ace's ``ace.send(msg)``)."""
    name = call_name(module, call) or ""
    if name in DJANGO_MAIL_FUNCTIONS:
        return OutboundCall(node=call, library="django.core.mail", protocol="smtp", operation=name.rsplit(".", 1)[-1])
    if name in MAIL_LIBRARY_FUNCTIONS:
        return OutboundCall(node=call, library=name.split(".", 1)[0], protocol="smtp", operation=name.rsplit(".", 1)[-1])
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "send"):
        return None
    message = call.func.value
    if isinstance(message, ast.Name):
        fn = enclosing_function(module, call)
        bound = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and n.targets[0].id == message.id] if fn is not None else []
        message = bound[0] if len(bound) == 1 else message
    if isinstance(message, ast.Call) and call_name(module, message) in DJANGO_MAIL_MESSAGES:
        return OutboundCall(node=call, library="django.core.mail", protocol="smtp", operation="send")
    return None


def decoded_response(node: ast.AST) -> ast.expr | None:
    """The response whose body ``node`` decodes as JSON: ``resp`` of ``resp.json()``, the request of
    ``requests.get(url).json()`` or ``(await client.get(url)).json()`` (the ``await`` taken off); None when ``node``
    is no ``.json()`` call without arguments. A name is left for the caller to follow to what it is bound to."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "json"
            and not node.args):
        return None
    response = node.func.value
    return response.value if isinstance(response, ast.Await) else response


def request_by_name(value: ast.expr) -> bool:
    """``requests.get(url)``, ``await client.post(url)``, ``self.session.request("GET", url)``, judged by names
    alone: a request function of an HTTP library, or a request method of something named for a client or session
    (not the web request's own ``request.session``). For readers with no module at hand; :func:`outbound_call`
    resolves the client instead."""
    if isinstance(value, ast.Await):
        value = value.value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr in (*HTTP_VERBS, "request")):
        return False
    receiver = dotted(value.func.value) or ""
    root = receiver.split(".", 1)[0]
    return root in HTTP_LIBRARIES or bool(CLIENT_PARAMETER.search(receiver)) and root not in WEB_REQUEST_NAMES


def client_for(module: SourceModule, expr: ast.expr, at: ast.AST, project: Project | None = None) -> ClientBinding | None:
    return _index(module, project).resolve(expr, at)


def client_bindings(module: SourceModule, project: Project | None = None) -> list[ClientBinding]:
    return _index(module, project).all_bindings()


def uses_http_name(name: str) -> bool:
    """Whether a qualified name belongs to an HTTP or gRPC library."""
    return name.split(".", 1)[0] in HTTP_LIBRARIES or name.startswith("http.client")


def uses_http(module: SourceModule) -> bool:
    """Cheap pre-filter: the file imports an HTTP or gRPC library, or a *_grpc module."""
    return any(
        module.imports_module(lib)
        for lib in ("requests", "requests_oauthlib", "edx_rest_api_client", "advocate", "httpx", "aiohttp", "urllib",
                    "urllib2", "urllib3", "http.client", "grpc", "tornado.httpclient", "tornado.auth",
                    "authlib.integrations.requests_client")
    ) or any("_grpc" in target for target in module.imports.values())


HTTP_LIBRARIES = frozenset({"requests", "requests_oauthlib", "edx_rest_api_client", "advocate", "httpx", "aiohttp",
                            "urllib", "urllib2", "urllib3", "grpc", "tornado"})


def _defines(module: SourceModule, name: str) -> bool:
    """Whether a module binds ``name`` at its top level by other means than an import."""
    for node in module.tree.body:
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
    return False


# --- project request wrappers and pycurl -------------------------------------------

PYCURL_TIMEOUTS = frozenset({"TIMEOUT", "TIMEOUT_MS", "LOW_SPEED_TIME"})  # CONNECTTIMEOUT bounds the connect only
PYCURL_PERFORM = frozenset({"perform", "perform_rb", "perform_rs"})
_WRAPPERS = "libs.http.request_wrappers"  # Project.facts key


@dataclass(eq=False)
class PycurlRequest:
    """``handle.perform()`` of a ``pycurl.Curl()`` handle made in the same function, with the values
    its ``setopt(pycurl.TIMEOUT | TIMEOUT_MS | LOW_SPEED_TIME, value)`` calls give."""

    node: ast.Call
    timeouts: list[ast.expr]


@dataclass(eq=False)
class RequestWrapper:
    """A project function that sends an HTTP request whose only timeout is its ``parameter``, which
    defaults to None: ``def get(url, timeout=None): return requests.get(url, timeout=timeout)``, a
    pycurl function that sets ``pycurl.TIMEOUT`` only from it, or a function passing its own such
    parameter on to another wrapper (``def post(url, timeout=None): return request("post", url,
    timeout=timeout)``). A caller that gives no value gets no timeout at all."""

    function: ast.FunctionDef | ast.AsyncFunctionDef
    module: SourceModule
    parameter: str
    position: int | None  # where callers write it positionally (self/cls left out); None: keyword-only
    sends: ast.Call  # the call in its body that passes the parameter on (a request, perform(), a wrapper)
    library: str  # of the request finally made: requests, httpx, pycurl...
    outbound: OutboundCall | None = None  # when ``sends`` is a request of a known client

    @property
    def name(self) -> str:
        owner = self.module.parents.get(self.function)
        prefix = f"{owner.name}." if isinstance(owner, ast.ClassDef) else f"{self.module.dotted_name}."
        return prefix + self.function.name


def pycurl_requests(module: SourceModule) -> list[PycurlRequest]:
    """Every pycurl request of the file (a ``perform()`` of a handle the same function makes)."""
    if not module.imports_module("pycurl"):
        return []
    found: list[PycurlRequest] = []
    for fn in module.nodes_of(*FUNCTION_TYPES):
        handles = {dotted(t) for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                   and isinstance(n.value, ast.Call) and qualified(module, n.value.func) == "pycurl.Curl"
                   for t in n.targets} - {None}
        if not handles:
            continue
        performs, timeouts = [], []
        for n in walk_function_body(fn):
            if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and dotted(n.func.value) in handles):
                continue
            if n.func.attr in PYCURL_PERFORM:
                performs.append(n)
            elif n.func.attr == "setopt" and len(n.args) == 2 and isinstance(n.args[0], ast.Attribute) \
                    and n.args[0].attr in PYCURL_TIMEOUTS:
                timeouts.append(n.args[1])
        found.extend(PycurlRequest(call, timeouts) for call in performs)
    return found


def none_default_parameter(fn: ast.AST, name: str) -> bool:
    """Whether ``name`` is a parameter of ``fn`` that defaults to None and that ``fn`` never rebinds
    (``timeout = timeout or DEFAULT`` would give it a value)."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    if name not in defaults or not is_none(defaults[name]):
        return False
    return not any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in walk_function_body(fn))


def wrapper_calls(module: SourceModule, project: Project) -> list[tuple[ast.Call, RequestWrapper]]:
    """The calls in this file of the project's request wrappers (see :class:`RequestWrapper`)."""
    table = _wrapper_table(project)
    return [(call, wrapper) for call, wrapper in table.calls.get(module.path, [])]


def wrapper_callers(project: Project, wrapper: RequestWrapper) -> list[tuple[SourceModule, ast.Call]]:
    """Every call of ``wrapper`` in the project outside test code."""
    return _wrapper_table(project).callers.get(id(wrapper.function), [])


def request_wrapper(project: Project, fn: ast.AST) -> RequestWrapper | None:
    return _wrapper_table(project).by_function.get(id(fn))


class _WrapperTable:
    """The project's request wrappers, found in rounds (a wrapper of a wrapper on a later round),
    and the calls of them."""

    def __init__(self, project: Project):
        self.project = project
        self.by_function: dict[int, RequestWrapper] = {}
        self.by_name: dict[tuple[str, str], RequestWrapper] = {}  # (module path, name or Class.name)
        candidates: list[tuple[SourceModule, ast.AST, set[str]]] = []
        for module in project.modules:
            for fn in _wrapper_candidates(module):
                params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
                          if none_default_parameter(fn, a.arg)}
                if params:
                    candidates.append((module, fn, params))
        for module, fn, params in candidates:
            self._add(self._direct(module, fn, params))
        for _ in range(3):
            added = [self._add(self._forwarding(module, fn, params)) for module, fn, params in candidates
                     if id(fn) not in self.by_function]
            if not any(added):
                break
        self.calls: dict[str, list[tuple[ast.Call, RequestWrapper]]] = {}
        self.callers: dict[int, list[tuple[SourceModule, ast.Call]]] = {}
        names = {key[1].rsplit(".", 1)[-1] for key in self.by_name}
        for module in project.modules if self.by_function else []:
            if not any(name in module.text for name in names):
                continue
            for call in module.nodes_of(ast.Call):
                if (call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)) not in names:
                    continue
                wrapper = self.target(module, call)
                if wrapper is None or wrapper.function is enclosing_function(module, call):
                    continue
                self.calls.setdefault(module.path, []).append((call, wrapper))
                if not is_test_path(module.path):
                    self.callers.setdefault(id(wrapper.function), []).append((module, call))

    def _add(self, wrapper: RequestWrapper | None) -> bool:
        if wrapper is None:
            return False
        self.by_function[id(wrapper.function)] = wrapper
        owner = wrapper.module.parents.get(wrapper.function)
        name = f"{owner.name}.{wrapper.function.name}" if isinstance(owner, ast.ClassDef) else wrapper.function.name
        self.by_name[(wrapper.module.path, name)] = wrapper
        return True

    def _direct(self, module: SourceModule, fn: ast.AST, params: set[str]) -> RequestWrapper | None:
        """A request of a known client given ``timeout=<param>``, or pycurl timed only by the parameter."""
        for node in walk_function_body(fn):
            if isinstance(node, ast.Call) and isinstance(keyword(node, "timeout"), ast.Name) \
                    and keyword(node, "timeout").id in params:
                outbound = outbound_call(module, node, self.project)
                if outbound is not None and outbound.library != "tornado":
                    return _wrapper(module, fn, keyword(node, "timeout").id, node, outbound.library, outbound)
        for request in pycurl_requests(module):
            if enclosing_function(module, request.node) is fn and request.timeouts \
                    and all(isinstance(t, ast.Name) and t.id in params for t in request.timeouts) \
                    and len({t.id for t in request.timeouts}) == 1:
                return _wrapper(module, fn, request.timeouts[0].id, request.node, "pycurl")
        return None

    def _forwarding(self, module: SourceModule, fn: ast.AST, params: set[str]) -> RequestWrapper | None:
        """A call of a wrapper that passes one of ``fn``'s None-default parameters as its timeout."""
        for node in walk_function_body(fn):
            if not isinstance(node, ast.Call):
                continue
            wrapper = self.target(module, node)
            if wrapper is None or wrapper.function is fn:
                continue
            given = passed_argument(node, wrapper)
            if isinstance(given, ast.Name) and given.id in params:
                return _wrapper(module, fn, given.id, node, wrapper.library)
        return None

    def target(self, module: SourceModule, call: ast.Call) -> RequestWrapper | None:
        """The wrapper a call calls: a function of the same file or imported from a project module
        (``curl.post(...)`` after ``from app.lib import curl``), or ``self.method(...)`` of the
        caller's own class."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
            return self.by_name.get((module.path, f"{cls.name}.{func.attr}")) if cls is not None else None
        if isinstance(func, ast.Name) and func.id not in module.imports:
            fn = enclosing_function(module, call)
            if fn is not None and func.id in {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}:
                return None
            return self.by_name.get((module.path, func.id))
        name = qualified(module, func)
        if name is None or "." not in name:
            return None
        owner_name, _, attr = name.rpartition(".")
        owner = self.project.by_dotted_name.get(owner_name)
        return self.by_name.get((owner.path, attr)) if owner is not None else None


def passed_argument(call: ast.Call, wrapper: RequestWrapper) -> ast.expr | None:
    """What a call of ``wrapper`` gives its timeout parameter (by keyword or position), None if nothing."""
    value = keyword(call, wrapper.parameter)
    if value is None and wrapper.position is not None and len(call.args) > wrapper.position \
            and not any(isinstance(a, ast.Starred) for a in call.args[:wrapper.position + 1]):
        value = call.args[wrapper.position]
    return value


def _wrapper(module: SourceModule, fn: ast.AST, parameter: str, sends: ast.Call, library: str,
             outbound: OutboundCall | None = None) -> RequestWrapper:
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if isinstance(module.parents.get(fn), ast.ClassDef) and positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    position = positional.index(parameter) if parameter in positional else None
    return RequestWrapper(fn, module, parameter, position, sends, library, outbound)


def _wrapper_candidates(module: SourceModule) -> Iterator[ast.AST]:
    """Module-level functions and methods of module-level classes that may wrap a request."""
    if "timeout" not in module.text.lower() and "TIMEOUT" not in module.text:
        return
    for node in module.tree.body:
        if isinstance(node, FUNCTION_TYPES):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from (n for n in node.body if isinstance(n, FUNCTION_TYPES))


def _wrapper_table(project: Project) -> _WrapperTable:
    table = project.facts.get(_WRAPPERS)
    if table is None:
        table = project.facts[_WRAPPERS] = _WrapperTable(project)
    return table


# --- service SDKs -----------------------------------------------------------------

# Service SDKs: the client (a class, or a factory) by qualified-name prefix, and the methods that reach the
# service (None: every method call on the client, bar those in SDK_LOCAL_METHODS). A client whose
# constructor connects (SMTP) is itself the call.
SDK_CLIENTS: dict[str, frozenset[str] | None] = {
    "httpx_oauth.clients.": frozenset({"get_access_token", "refresh_token", "revoke_token", "get_id_email", "get_profile"}),
    "httpx_oauth.oauth2.": frozenset({"get_access_token", "refresh_token", "revoke_token", "get_id_email", "get_profile"}),
    "postmarker.core.PostmarkClient": None,
    "sendgrid.SendGridAPIClient": None,
    "sendgrid.sendgrid.SendGridAPIClient": None,
    "boto3.client": None,
    "boto3.resource": None,
    "boto3.session.Session.client": None,
    "botocore.client.BaseClient": None,  # the type of a boto3 client, in annotations: def s3() -> BaseClient
    # boto3's client types from the mypy-boto3 stubs, in annotations: def upload(client: S3Client)
    **{f"mypy_boto3_{service}.{cls}": None for service, typed in (
        ("s3", "S3Client"), ("sqs", "SQSClient"), ("sns", "SNSClient"), ("ses", "SESClient"),
        ("lambda", "LambdaClient"), ("dynamodb", "DynamoDBClient")) for cls in ("Client", typed, f"client.{typed}")},
    "twilio.rest.Client": None,
    "slack_sdk.WebClient": None,
    "slack_sdk.web.WebClient": None,
    "slack_sdk.web.client.WebClient": None,
    "telegram.Bot": None,
    "slack_sdk.web.async_client.AsyncWebClient": None,
    "minio.Minio": None,
    "openai.OpenAI": None,
    "openai.AsyncOpenAI": None,
    "openai.AzureOpenAI": None,
    "openai.AsyncAzureOpenAI": None,
    "anthropic.Anthropic": None,
    "anthropic.AsyncAnthropic": None,
    "stripe": None,  # the module is the client: stripe.Customer.create(...)
    "stripe.StripeClient": None,
    "b2sdk.v2.B2Api": None,
    "github.Github": None,  # PyGithub: github.get_repo(...) fetches from the GitHub API
    "github.MainClass.Github": None,
    **{f"taskcluster.{prefix}{service}": None for prefix in ("", "aio.") for service in (
        "Auth", "Github", "Hooks", "Index", "Notify", "Object", "PurgeCache", "Queue", "Secrets", "WorkerManager")},
    "requests_hardened.Manager": frozenset({"send_request"}),  # requests behind an SSRF guard
    "typesense.Client": None,  # the Typesense search engine's HTTP API: client.collections[name].documents...
    "typesense.client.Client": None,
}
# SDK functions that are themselves the call: an LLM gateway's module functions
SDK_FUNCTIONS = frozenset({f"litellm.{prefix}{operation}" for prefix in ("", "a") for operation in (
    "completion", "text_completion", "embedding", "image_generation", "transcription", "speech", "moderation",
    "responses")})
SDK_MODULES = frozenset({"stripe"})  # SDKs whose module itself makes the calls, once given its key
# SDKs whose every client reaches the same service: their call sites across the code base are one dependency
SHARED_DEPENDENCIES = {"slack_sdk": "Slack", "boto3": "AWS (boto3)", "twilio": "Twilio", "telegram": "Telegram",
                       "minio": "the object store (MinIO)", "openai": "OpenAI", "anthropic": "Anthropic",
                       "postmarker": "Postmark", "sendgrid": "SendGrid", "stripe": "Stripe", "b2sdk": "Backblaze B2",
                       "litellm": "the LLM provider (litellm)", "taskcluster": "Taskcluster",
                       "github": "GitHub (PyGithub)"}
HOLDS = "holds:"  # marks a name bound to a container of SDK clients
SDK_LOCAL_METHODS = {"generate_presigned_url", "generate_presigned_post", "get_paginator", "can_paginate", "get_waiter",
                     "close", "Bucket", "Object", "presigned_get_object", "presigned_put_object", "presigned_url",
                     "with_options", "copy", "construct_event", "verify_header", "buildUrl", "buildSignedUrl"}
CONNECTING_CALLS = {"smtplib.SMTP": "smtp", "smtplib.SMTP_SSL": "smtp", "aiosmtplib.send": "smtp",
                    "websockets.connect": "websocket", "websockets.client.connect": "websocket",
                    "websockets.asyncio.client.connect": "websocket", "websocket.create_connection": "websocket"}


def sdk_calls(module: SourceModule, project: Project) -> list[OutboundCall]:
    index = _index(module, project)
    if index.sdk_call_list is None:
        index.sdk_call_list = _find_sdk_calls(module, project)
    return list(index.sdk_call_list)


def _find_sdk_calls(module: SourceModule, project: Project) -> list[OutboundCall]:
    """Calls that reach another service through its SDK: methods of a client built from a service SDK
    (``PostmarkClient(...)``, ``boto3.client("s3")``, an httpx-oauth provider), on a name or ``self``
    attribute bound to one (by its constructor, a project function annotated to return one, an annotation,
    or every construction of the class handing one to ``__init__``), calls through an SDK module that is
    itself the client (``stripe.Customer.create(...)``), an SDK's module functions that make the call
    (``litellm.completion(...)``), and calls that open a connection (``smtplib.SMTP(host)``, ``websockets.connect(url)``)."""
    if not any(project.imports_anywhere(prefix.split(".", 1)[0])
               for prefix in [*SDK_CLIENTS, *CONNECTING_CALLS, *SDK_FUNCTIONS]):
        return []  # (a file may get its client from another file: one that imports the SDK is enough)
    clients = _sdk_bindings(module, project)
    found: list[OutboundCall] = []
    for node in walk_nodes(module.tree):
        if not isinstance(node, ast.Call):
            continue
        name = call_name(module, node) or ""
        if name in CONNECTING_CALLS and (node.args or node.keywords):
            found.append(OutboundCall(node=node, library=name.split(".", 1)[0], protocol=CONNECTING_CALLS[name],
                                      operation=name.rsplit(".", 1)[-1]))
            continue
        if name in SDK_FUNCTIONS:
            found.append(OutboundCall(node=node, library=name.split(".", 1)[0], protocol="api",
                                      operation=name.rsplit(".", 1)[-1]))
            continue
        if not isinstance(node.func, ast.Attribute) or node.func.attr in SDK_LOCAL_METHODS:
            continue
        receiver = node.func.value
        while isinstance(receiver, (ast.Attribute, ast.Subscript)) and dotted(receiver) not in clients:
            receiver = receiver.value  # client.emails.send(...), client.collections[name].documents.delete()
        sdk = clients.get(dotted(receiver) or "") if not isinstance(receiver, ast.Call) \
            else _sdk_of_value(module, project, receiver)  # client().put_object(...): a factory's client
        if sdk is None or sdk.startswith(HOLDS):
            continue
        methods = SDK_CLIENTS[sdk]
        if methods is None or node.func.attr in methods:
            found.append(OutboundCall(node=node, library=sdk.split(".", 1)[0], protocol="api",
                                      operation=node.func.attr))
    return found


def _sdk_bindings(module: SourceModule, project: Project) -> dict[str, str]:
    """Names (``client``, ``self._client``) bound to a service SDK's client -> its SDK_CLIENTS key. Names are
    taken file-wide: a name bound to a client in one function and to something else in another is dropped.
    A class attribute declared with an SDK client type (``_client: WebClient``) is that client, and a
    class of the project's base class in another file inherits the base's ``self`` clients."""
    index = _index(module, project)
    if index.sdk_bindings is None:
        index.sdk_bindings = {}  # a base class in a file that reaches back here inherits nothing from it
        index.sdk_bindings = _collect_sdk_bindings(module, project)
    return dict(index.sdk_bindings)


def _collect_sdk_bindings(module: SourceModule, project: Project) -> dict[str, str]:
    bindings = _own_sdk_bindings(module, project)
    bindings.update({name: target for name, target in module.imports.items() if target in SDK_MODULES})
    for node in module.tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for attribute, sdk in _handed_to_constructor(module, node, bindings).items():
            bindings.setdefault(attribute, sdk)
        for statement in node.body:  # _client: WebClient
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                sdk = _sdk_of_type(module, statement.annotation) \
                    or _sdk_subclass(module, project, qualified(module, statement.annotation) or "")
                if sdk and not sdk.startswith(HOLDS):
                    bindings[f"self.{statement.target.id}"] = sdk
        for base in node.bases:
            owner_name = (qualified(module, base) or "").rpartition(".")[0]
            owner = project.by_dotted_name.get(owner_name)
            if owner is None or owner is module:
                continue
            inherited = _sdk_bindings(owner, project)
            for name, sdk in inherited.items():
                if name.startswith("self.") and not sdk.startswith(HOLDS):
                    bindings.setdefault(name, sdk)
    return bindings


def _handed_to_constructor(module: SourceModule, cls: ast.ClassDef, bindings: dict[str, str]) -> dict[str, str]:
    """``self.api = api`` in ``__init__`` when every construction of the class in its file (``cls(stripe, ...)``
    in a factory classmethod of it or of a subclass, ``Billing(stripe, ...)``) hands the parameter the same
    SDK client or module."""
    init = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None)
    if init is None:
        return {}
    positional = [a.arg for a in [*init.args.posonlyargs, *init.args.args]][1:]
    family = {cls.name} | {c.name for c in module.tree.body if isinstance(c, ast.ClassDef)
                           and any(dotted(b) == cls.name for b in c.bases)}
    constructions = [node for node in walk_nodes(module.tree) if isinstance(node, ast.Call) and (
        isinstance(node.func, ast.Name) and node.func.id in family
        or dotted(node.func) == "cls" and next((c.name for c in ancestors(module, node) if isinstance(c, ast.ClassDef)),
                                               None) in family)]
    found: dict[str, str] = {}
    for node in walk_function_body(init):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Name)
                and node.value.id in positional and (dotted(node.targets[0]) or "").startswith("self.")):
            continue
        at = positional.index(node.value.id)
        given = {bindings.get(dotted(keyword(c, node.value.id) or (c.args[at] if len(c.args) > at else c.func)) or "")
                 for c in constructions}
        if constructions and len(given) == 1 and None not in given:
            found[dotted(node.targets[0])] = given.pop()
    return found


def _own_sdk_bindings(module: SourceModule, project: Project) -> dict[str, str]:
    kinds: dict[str, set[str | None]] = {}
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value, annotation = node.targets[0], node.value, None
        elif isinstance(node, ast.AnnAssign):
            target, value, annotation = node.target, node.value, node.annotation
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None and isinstance(item.context_expr, ast.Call):
                    name = dotted(item.optional_vars)
                    if name:
                        kinds.setdefault(name, set()).add(_sdk_of_value(module, project, item.context_expr))
            continue
        elif isinstance(node, ast.arg) and node.annotation is not None:
            sdk = _sdk_of_type(module, node.annotation)
            if sdk:
                kinds.setdefault(node.arg, set()).add(sdk)
            continue
        elif isinstance(node, FUNCTION_TYPES) and _property_like(module, node) \
                and isinstance(module.parents.get(node), ast.ClassDef):
            sdk = _sdk_of_type(module, node.returns) if node.returns is not None else _sdk_returned(module, node)
            if sdk:  # a property that builds the client: self.twilio_client.messages.create(...)
                kinds.setdefault(f"self.{node.name}", set()).add(sdk)
            continue
        else:
            continue
        name = dotted(target)
        if not name or annotation is None and value is not None and is_none(value):
            continue  # self.engine = None: a placeholder until the client is built
        sdk = _sdk_of_type(module, annotation) if annotation is not None else None
        if sdk is None and value is not None:
            sdk = _sdk_of_value(module, project, value)
        if sdk is None and value is not None and isinstance(value, ast.Name) and value.id in kinds:
            continue  # self.client = client: decided below with the parameter
        kinds.setdefault(name, set()).add(sdk)
    bindings = {name: next(iter(found)) for name, found in kinds.items() if len(found) == 1 and None not in found}
    for node in walk_nodes(module.tree):  # self.client = client, where client is an SDK parameter
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Name) \
                and node.value.id in bindings:
            name = dotted(node.targets[0])
            if name and name.startswith("self.") and kinds.get(name, {None}) <= {None}:
                bindings[name] = bindings[node.value.id]
    taken: dict[str, set[str | None]] = {}  # client = clients.get(provider) / clients[provider]: one of a mapping's
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            taken.setdefault(node.targets[0].id, set()).add(_container_sdk(node.value, bindings))
    bindings.update({name: next(iter(found)) for name, found in taken.items()
                     if name not in bindings and len(found) == 1 and None not in found})
    return bindings


def _container_sdk(value: ast.expr, bindings: dict[str, str]) -> str | None:
    """The SDK of the clients a mapping holds, for ``mapping.get(key)`` or ``mapping[key]`` on a mapping whose
    annotation names an SDK client (``dict[str, GitHubOAuth2 | GoogleOAuth2]``)."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get":
        value = value.func.value
    elif isinstance(value, ast.Subscript):
        value = value.value
    else:
        return None
    held = bindings.get(dotted(value) or "", "")
    return held[len(HOLDS):] if held.startswith(HOLDS) else None


def _sdk_of_value(module: SourceModule, project: Project, value: ast.expr) -> str | None:
    value = value.value if isinstance(value, ast.Await) else value
    if not isinstance(value, ast.Call):
        return None
    name = call_name(module, value) or ""
    sdk = _sdk_key(name) or _sdk_subclass(module, project, name) or _boto3_session_client(module, value)
    if sdk:
        return sdk
    function = _project_function(module, project, value, name)
    if function is None:
        return _lambda_factory_sdk(module, project, name)
    owner, fn = function
    if fn.returns is not None:
        return _sdk_of_type(owner, fn.returns)
    return _sdk_returned(owner, fn)


_BOTO3_SESSIONS = {"boto3.Session", "boto3.session.Session"}


def _boto3_session_client(module: SourceModule, value: ast.Call) -> str | None:
    """``boto3.client`` for ``session.client("s3")`` on a ``boto3.Session()`` made inline or bound in the
    file (``self._session = Session()``)."""
    if not (isinstance(value.func, ast.Attribute) and value.func.attr in ("client", "resource")):
        return None
    receiver = value.func.value
    if not isinstance(receiver, ast.Call):
        name = dotted(receiver)
        made = [node.value for node in walk_nodes(module.tree) if isinstance(node, ast.Assign) and len(node.targets) == 1
                and name is not None and dotted(node.targets[0]) == name]
        receiver = made[0] if len(made) == 1 else None
    return "boto3.client" if isinstance(receiver, ast.Call) and call_name(module, receiver) in _BOTO3_SESSIONS else None


def _sdk_subclass(module: SourceModule, project: Project, name: str) -> str | None:
    """The SDK whose client a project class extends (``class ChatClient(WebClient)``): its instances
    are that client."""
    owner_name, _, wanted = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    cls = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == wanted), None) \
        if owner is not None else None
    if cls is None:
        return None
    return next((sdk for sdk in (_sdk_key(qualified(owner, base) or "") for base in cls.bases) if sdk), None)


def _sdk_returned(module: SourceModule, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The SDK client a factory without a return annotation builds and returns (``client =
    boto3.client("s3", ...); return client``), when every return gives the same one."""
    built: dict[str, set[str | None]] = {}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            made = node.value if isinstance(node.value, ast.Call) else None
            built.setdefault(node.targets[0].id, set()).add(_sdk_key(call_name(module, made) or "") if made else None)
    kinds: set[str | None] = set()
    for node in walk_function_body(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Call):
                kinds.add(_sdk_key(call_name(module, node.value) or ""))
            elif isinstance(node.value, ast.Name):
                kinds |= built.get(node.value.id, {None})
            else:
                kinds.add(None)
    return next(iter(kinds)) if len(kinds) == 1 else None


def _sdk_of_type(module: SourceModule, annotation: ast.expr) -> str | None:
    """The SDK client named by a type annotation (``BaseOAuth2``, ``Optional[PostmarkClient]``, ``"Client"``,
    ``A | B``); ``HOLDS`` + the SDK for a container of clients (``dict[str, GitHubOAuth2]``)."""
    annotation = annotation_expr(annotation)
    if isinstance(annotation, ast.BinOp):
        return _sdk_of_type(module, annotation.left) or _sdk_of_type(module, annotation.right)
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        return _sdk_key(qualified(module, annotation) or "")
    if isinstance(annotation, ast.Subscript):
        generic = _sdk_of_type(module, annotation.value)
        if generic:
            return generic  # BaseOAuth2[OAuth2Token]: the client itself
        outer = (qualified(module, annotation.value) or "").rsplit(".", 1)[-1]
        parts = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        found = next((sdk for sdk in (_sdk_of_type(module, part) for part in parts) if sdk), None)
        if found is None or outer in ("Optional", "Union", "Annotated"):
            return found
        return found if found.startswith(HOLDS) else HOLDS + found
    return None


def _sdk_key(name: str) -> str | None:
    return next((key for key in SDK_CLIENTS if name == key or key.endswith(".") and name.startswith(key)), None)


def _project_function(module: SourceModule, project: Project, call: ast.Call,
                      name: str) -> tuple[SourceModule, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """The project's function a call reaches: ``self._client()`` in this file, or an imported function."""
    if name.startswith("self.") and name.count(".") == 1:
        owner, wanted = module, name.split(".", 1)[1]
        candidates = walk_nodes(module.tree)
    else:
        owner_name, _, wanted = name.rpartition(".")
        owner = project.by_dotted_name.get(owner_name) if owner_name else module
        if owner is None:
            return None
        candidates = owner.tree.body
    function = next((n for n in candidates if isinstance(n, FUNCTION_TYPES) and n.name == wanted), None)
    return (owner, function) if function is not None else None


def _lambda_factory_sdk(module: SourceModule, project: Project, name: str) -> str | None:
    """The SDK client that a ``self`` attribute holding a factory lambda builds
    (``self.get_client = lambda: AsyncOpenAI(...)``, then ``client = self.get_client()``)."""
    if not name.startswith("self.") or name.count(".") != 1:
        return None
    made = {_sdk_of_value(module, project, node.value.body) for node in walk_nodes(module.tree)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and dotted(node.targets[0]) == name
            and isinstance(node.value, ast.Lambda)}
    return next(iter(made)) if len(made) == 1 else None


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
        self._sdk_calls: dict[int, OutboundCall] | None = None
        self.sdk_call_list: list[OutboundCall] | None = None
        self.sdk_bindings: dict[str, str] | None = None
        self._factory_locals: dict[tuple[int, str], ClientBinding] = {}
        self._method_factories: dict[int, ClientBinding | None] = {}
        self._passed: dict[tuple[int, str], ClientBinding | None] = {}
        self._handed: dict[tuple[int, str, str | None], ClientBinding | None] = {}
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
        """Module-level function name (``Class.method`` for a static or class method of a module-level
        class: ``HttpClients.build()``) -> the client it returns."""
        if self._factories is None:
            self._factories = {}
            for node in self.module.tree.body:
                functions = [(node.name, node)] if isinstance(node, FUNCTION_TYPES) else \
                    [(f"{node.name}.{fn.name}", fn) for fn in node.body if isinstance(fn, FUNCTION_TYPES)
                     and {dotted(d) for d in fn.decorator_list} & {"staticmethod", "classmethod"}] \
                    if isinstance(node, ast.ClassDef) else []
                for name, fn in functions:
                    made = self._returned_client(fn)
                    if made is not None:
                        self._factories[name] = made
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
        name = self._reexported(name)
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

    def _reexported(self, name: str | None) -> str | None:
        """The library name behind a project module's import: ``app.http.requests.get`` is
        ``requests.get`` when ``app/http.py`` does ``import requests`` (or ``import advocate as
        requests``, a drop-in), and code imports the module from there. A few hops at most."""
        for _ in range(3):
            if self.project is None or name is None or "." not in name or name in MODULE_FUNCTIONS:
                return name
            parts = name.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                owner = self.project.by_dotted_name.get(".".join(parts[:cut]))
                if owner is not None:
                    break
            else:
                return name
            target = owner.imports.get(parts[cut])
            if target is None or owner is self.module or _defines(owner, parts[cut]):
                return name
            name = ".".join([target, *parts[cut + 1:]])
        return name

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
        if isinstance(call.func, (ast.Name, ast.Attribute)) and dotted(call.func) in self.factories():
            template = self.factories()[dotted(call.func)]
        elif callee == f"self.{TORNADO_AUTH_CLIENT}" and self._tornado_auth_class(call):
            return ClientBinding(name, "tornado", "client", node, factory=call, module=self.module)
        elif callee is not None and callee.startswith(("self.", "cls.")) and callee.count(".") == 1:
            template = self._method_factory(call, callee.split(".", 1)[1])
        elif callee is not None:
            other, attr = self._other_module(callee)
            if other is None and callee.count(".") >= 2:  # app.net.HttpClients.build: a class's factory method
                owner, _, method = callee.rpartition(".")
                other, attr = self._other_module(owner)
                attr = f"{attr}.{method}"
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

    def _tornado_auth_class(self, call: ast.Call) -> bool:
        """Whether the call is in a class that mixes in a ``tornado.auth`` mixin and does not define the
        method itself."""
        cls = self._enclosing(call, (ast.ClassDef,))
        if cls is None or any(isinstance(n, FUNCTION_TYPES) and n.name == TORNADO_AUTH_CLIENT for n in cls.body):
            return False
        return any((qualified(self.module, base) or "").startswith("tornado.auth.") for base in cls.bases)

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
        aliases: list[ast.Assign | ast.AnnAssign] = []
        for node in walk_nodes(self.module.tree):
            if isinstance(node, ast.Assign):
                if isinstance(node.value, (ast.Name, ast.Attribute)):
                    aliases.append(node)
                for target in node.targets:
                    self._bind(node, target, node.value)
            elif isinstance(node, ast.AnnAssign):
                if isinstance(node.value, (ast.Name, ast.Attribute)):
                    aliases.append(node)  # self.session: ClientSession = session
                elif node.value is not None:
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
            source = self.resolve(node.value, node) or self._constructor_argument(node)
            if source is None and isinstance(node, ast.AnnAssign):
                self._bind_annotation(node, node.target, node.annotation)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                name = dotted(target)
                if source is not None and name is not None:
                    key = self._binding_scope(node, name)
                    self._bindings.setdefault(key, ClientBinding(
                        name, source.library, source.kind, node, factory=source.factory, origin=source.origin,
                        subclass=source.subclass, made_by=source.made_by, module=self.module, parameter=source.parameter))

    def _constructor_argument(self, node: ast.Assign | ast.AnnAssign) -> ClientBinding | None:
        """``self._http = session`` in ``__init__``, an unannotated parameter named for a client: the client
        every construction of the class hands it (``cls(session=request.http)`` in its factory method)."""
        fn = self._enclosing(node, FUNCTION_TYPES)
        if self.project is None or fn is None or fn.name != "__init__" or not isinstance(node.value, ast.Name) \
                or not CLIENT_PARAMETER.search(node.value.id) or node.value.id in self._rebound(fn) \
                or node.value.id not in {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}:
            return None
        return self._passed_to(fn, node.value.id)

    def _rebound(self, fn: ast.AST) -> set[str]:
        return {n.id for n in walk_function_body(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}

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
        known = self._annotated_client(annotation) if name else None
        if known is None:
            return
        key = (scope, name) if scope is not None else self._binding_scope(node, name)
        self._bindings.setdefault(key, ClientBinding(name, known[0], known[1], node, origin="parameter", subclass=known[2],
                                                     parameter=(node, name) if scope is not None else None,
                                                     module=self.module))

    def _annotated_client(self, annotation: ast.expr | None) -> tuple[str, str, ast.ClassDef | None] | None:
        """(library, kind, local subclass) when an annotation names a client class (also ``Optional[...]``,
        ``X | None`` and a string annotation)."""
        annotation = annotation_expr(annotation)
        if annotation is None:
            return None
        hint = annotation.value if isinstance(annotation, ast.Subscript) else annotation  # Optional[...]
        if isinstance(annotation, ast.BinOp):  # Session | None
            hint = annotation.left
        if isinstance(annotation, ast.Subscript) and dotted(hint) in ("Optional", "typing.Optional", "t.Optional"):
            hint = annotation.slice
        name = qualified(self.module, hint)
        known = self._constructor(name, set())
        if known is None and name in self.subclasses():
            known = self.subclasses()[name]
        if known is None and _grpc_stub_class(self._reexported(name)):
            known = ("grpc", "stub", None)  # def infer(stub: GreeterStub): a stub, its channel unknown
        return known

    def _binding_scope(self, node: ast.AST, name: str) -> tuple[ast.AST | None, str]:
        """Locals live in their function, ``self.x`` and class attributes in their class, and a name the
        function declares ``global`` (``global http; http = ClientSession()`` in ``init()``) in the module."""
        head = name.split(".", 1)[0]
        fn = self._enclosing(node, FUNCTION_TYPES)
        if head in ("self", "cls") and fn is not None:
            return self._enclosing(fn, (ast.ClassDef,)), "self" + name[len(head):]
        if fn is not None and any(isinstance(n, ast.Global) and head in n.names for n in walk_function_body(fn)):
            return None, name
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
            return bindings.get((cls, "self" + name[len(head):])) or self._property_client(cls, name[len(head) + 1:]) \
                if cls is not None else None
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
        if imported in LIBRARY_SESSIONS:
            return self._library_session(imported, name)
        if imported != name and imported is not None:
            other, attr = self._other_module(imported)
            if other is not None:
                return other.bindings().get((None, attr))
        return None

    def _library_session(self, shared: str, name: str) -> ClientBinding:
        """The session a library shares (``from openfoodfacts.utils import http_session``), with what the project
        does to it anywhere (``http_session.mount("https://", TimeoutAdapter())``) as its configuration."""
        library, kind = LIBRARY_SESSIONS[shared]
        node = next((n for n in self.module.nodes_of(ast.ImportFrom) if shared.startswith(f"{n.module}.")), None)
        configured = _library_session_setup(self.project, shared) if self.project is not None else []
        return ClientBinding(name, library, kind, node or self.module.tree, origin="library", module=self.module,
                             configured=list(configured))

    def _property_client(self, cls: ast.ClassDef, attribute: str) -> ClientBinding | None:
        """``self.api_client`` in a class whose property ``api_client`` returns the client it builds."""
        fn = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == attribute
                   and _property_like(self.module, n)), None)
        return self._returned_client(fn) if fn is not None else None

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
        callee = self._reexported(qualified(self.module, call.func))
        if callee in MODULE_FUNCTIONS:
            operation = callee.rsplit(".", 1)[-1]
            return OutboundCall(call, MODULE_FUNCTIONS[callee], "http", operation)
        func = call.func
        if isinstance(func, ast.Name):
            passed = self._passed_function(call, func.id) or self._looked_up_function(call, func.id)
            return OutboundCall(call, MODULE_FUNCTIONS[passed], "http", passed.rsplit(".", 1)[-1]) if passed else None
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr in GRPC_CALL_VARIANTS and isinstance(func.value, ast.Attribute):
            stub = self.resolve(func.value.value, call) or self._through_attribute(func.value.value, call)
            if stub is not None and stub.kind == "stub" and _is_rpc_name(func.value.attr):
                return OutboundCall(call, "grpc", "grpc", func.value.attr, stub)
        client = self.resolve(func.value, call)
        followed = client is None
        if followed and func.attr in ALL_CLIENT_METHODS and _shaped_like_request(call, func.attr):
            client = self._handed_client(func.value, call)
        elif followed and _is_rpc_name(func.attr) and isinstance(func.value, ast.Name):
            handed = self._handed_client(func.value, call)  # def _predict(inputs, stub): stub.ModelInfer(request)
            client = handed if handed is not None and handed.kind == "stub" else None
        if client is None and followed:
            client = self._through_attribute(func.value, call) or self._request_client(func.value)
        if client is None:
            return None
        if client.parameter is not None:
            client = self._passed_client(client) or client
        if client.kind == "stub":
            return OutboundCall(call, "grpc", "grpc", func.attr, client) if _is_rpc_name(func.attr) else None
        if func.attr in CLIENT_METHODS.get(client.library, ()) and (not followed or _shaped_like_request(call, func.attr)):
            return OutboundCall(call, client.library, "http", func.attr, client)
        return None

    def _passed_function(self, call: ast.Call, name: str) -> str | None:
        """The request function a parameter is, when every call of its function in this file passes one
        of the same library: ``def call_api(self, url, http_method): http_method(url)`` called as
        ``self.call_api(url, requests.get)``. The first such function, for the call's operation."""
        fn = self._enclosing(call, FUNCTION_TYPES)
        if fn is None:
            return None
        params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        if name not in params + [a.arg for a in fn.args.kwonlyargs]:
            return None
        method = isinstance(self.module.parents.get(fn), ast.ClassDef)
        at = params.index(name) - (1 if method else 0) if name in params else None
        passed: list[str] = []
        for node in self.module.nodes_of(ast.Call):
            target = node.func
            if not (method and isinstance(target, ast.Attribute) and target.attr == fn.name
                    and dotted(target.value) in ("self", "cls")
                    or not method and isinstance(target, ast.Name) and target.id == fn.name):
                continue
            value = keyword(node, name)
            if value is None and at is not None and 0 <= at < len(node.args):
                value = node.args[at]
            if value is None or any(isinstance(a, ast.Starred) for a in node.args[:(at or 0) + 1]):
                return None
            passed.append(qualified(self.module, value) or "")
        if not passed or any(p not in MODULE_FUNCTIONS for p in passed) \
                or len({MODULE_FUNCTIONS[p] for p in passed}) > 1:
            return None
        return passed[0]

    def _looked_up_function(self, call: ast.Call, name: str) -> str | None:
        """The library's request function a local is looked up as by method name, when every binding of
        it in its function is one: ``request_method = getattr(requests, method.lower())``."""
        fn = self._enclosing(call, FUNCTION_TYPES)
        if fn is None or name not in self._local_names(fn):
            return None  # print(...), an imported function: no local to look up (before walking the body)
        values = [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
        if not values \
                or any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                       and not isinstance(self.module.parents.get(n), ast.Assign) for n in walk_function_body(fn)):
            return None
        libraries = set()
        for value in values:
            if not (isinstance(value, ast.Call) and dotted(value.func) == "getattr" and len(value.args) == 2):
                return None
            library = self._reexported(qualified(self.module, value.args[0]))
            if f"{library}.request" not in MODULE_FUNCTIONS:
                return None
            libraries.add(f"{library}.request")
        return libraries.pop() if len(libraries) == 1 else None

    def _passed_client(self, parameter: ClientBinding) -> ClientBinding | None:
        """The client every caller in the project passes for a client parameter, when they all pass
        the same one built with known settings: ``get_cells(self.bot.session, q)``,
        ``SplatNet(token, session=self.bot.session)`` for ``__init__(self, token, *, session)``.
        Only module-level functions and classes' ``__init__`` are followed (a method's callers are not
        known by name)."""
        return self._passed_to(*parameter.parameter)

    def _passed_to(self, fn: ast.AST, name: str) -> ClientBinding | None:
        key = (id(fn), name)
        if key not in self._passed:
            self._passed[key] = None
            self._passed[key] = self._find_passed_client(fn, name)
        return self._passed[key]

    def _find_passed_client(self, fn: ast.AST, name: str) -> ClientBinding | None:
        owner = self.module.parents.get(fn)
        arguments = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        if isinstance(owner, ast.ClassDef) and fn.name == "__init__" and isinstance(self.module.parents.get(owner), ast.Module):
            callee, arguments = owner.name, arguments[1:]
        elif isinstance(owner, ast.Module):
            callee = fn.name
        else:
            return None
        at = arguments.index(name) if name in arguments else None
        calls: list[tuple[SourceModule, ast.Call]] = []
        if isinstance(owner, ast.ClassDef):  # return cls(session=request.http) in its factory classmethod
            calls += [(self.module, n) for n in walk_nodes(owner) if isinstance(n, ast.Call) and dotted(n.func) == "cls"]
        for module in self.project.modules if self.project is not None else [self.module]:
            if callee not in module.text or is_test_path(module.path) and module is not self.module:
                continue  # (a test hands its fakes)
            for node in [*module.nodes_of(ast.Name), *module.nodes_of(ast.Attribute)]:
                if not self._names_function(module, node, callee) or _in_annotation(module, node):
                    continue
                call = module.parents.get(node)
                if isinstance(owner, ast.ClassDef) and isinstance(call, ast.Attribute) and call.value is node:
                    continue  # Service.create_service: a class attribute, not a construction
                if not (isinstance(call, ast.Call) and call.func is node):
                    return None  # handed on as a value (a callback, a partial, a base class): callers unknown
                calls.append((module, call))
        found: ClientBinding | None = None
        for module, call in calls:
            arg = _given_argument(call, name, at)
            if arg is None:
                return None  # not passed (the default: None, or a client made in place), or through a splat
            caller = _index(module, self.project)
            client = caller.resolve(arg, call) or caller._through_attribute(arg, call) or caller._request_client(arg)
            if client is None or client.factory is None or (found is not None and client is not found):
                return None
            found = client
        return found

    def _handed_client(self, expr: ast.expr, at: ast.AST, depth: int = 0) -> ClientBinding | None:
        """The client an unannotated parameter holds (``session``), or an attribute of one (``plugin.session``),
        when every call of its function in the project's service code hands it the same client built with
        known settings: ``get_certificate_id(self.session, url)``, ``self.fetch_page(session, page)`` of a
        method called only as ``self.fetch_page`` by its class, ``get_token(tenant, self)`` for
        ``def get_token(tenant, self): self.session.post(...)``. A caller passing on its own parameter is
        followed the same way, a few calls up."""
        if self.project is None or depth > 3:
            return None
        attr = None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            expr, attr = expr.value, expr.attr
        if not isinstance(expr, ast.Name):
            return None
        fn = self._enclosing(at, FUNCTION_TYPES)
        if fn is None:
            return None
        method = isinstance(self.module.parents.get(fn), ast.ClassDef)
        positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        if method and positional and positional[0] == expr.id or expr.id not in positional + [a.arg for a in fn.args.kwonlyargs] \
                or any(isinstance(n, ast.Name) and n.id == expr.id and isinstance(n.ctx, ast.Store) for n in walk_function_body(fn)):
            return None  # the instance itself, not a parameter, or a parameter the function rebinds
        key = (id(fn), expr.id, attr)
        if key not in self._handed:
            self._handed[key] = None  # a call cycle
            self._handed[key] = self._find_handed_client(fn, method, expr.id, attr, depth)
        return self._handed[key]

    def _find_handed_client(self, fn: ast.AST, method: bool, name: str, attr: str | None,
                            depth: int) -> ClientBinding | None:
        calls = self._method_calls(fn) if method else self._function_calls(fn)
        if not calls:
            return None
        positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]][1 if method else 0:]
        at = positional.index(name) if name in positional else None
        found: ClientBinding | None = None
        for module, call in calls:
            arg = _given_argument(call, name, at)
            if arg is None:
                return None  # left to its default, or passed through a splat
            if method and _passes_through(module, call, arg, fn.name):
                continue  # an override handing its own parameter to super(): its callers are these calls
            if attr is not None:
                arg = ast.copy_location(ast.Attribute(value=arg, attr=attr, ctx=ast.Load()), arg)
            caller = _index(module, self.project)
            client = caller.resolve(arg, call) or caller._through_attribute(arg, call) \
                or caller._handed_client(arg, call, depth + 1)
            if client is not None and client.parameter is not None:
                client = caller._passed_client(client)
            if client is None or client.factory is None or (found is not None and client is not found):
                return None
            found = client
        return found

    def _function_calls(self, fn: ast.AST) -> list[tuple[SourceModule, ast.Call]] | None:
        """Every call of a module-level function in the project's service code; None when it is also
        handed on as a value (a callback, a partial), its callers then being unknown."""
        if not isinstance(self.module.parents.get(fn), ast.Module):
            return None
        found = []
        for module in self.project.modules:
            if fn.name not in module.text or is_test_path(module.path):
                continue
            for node in [*module.nodes_of(ast.Name), *module.nodes_of(ast.Attribute)]:
                if not self._names_function(module, node, fn.name) or _in_annotation(module, node):
                    continue
                call = module.parents.get(node)
                if not (isinstance(call, ast.Call) and call.func is node):
                    return None
                found.append((module, call))
        return found

    def _method_calls(self, fn: ast.AST) -> list[tuple[SourceModule, ast.Call]] | None:
        """The ``self.method(...)`` (and ``super().method(...)``) calls of a method in its class and the
        project classes it derives from or that derive from it, when nothing else in the project's service
        code names a method of that name (an outside caller could hand it anything)."""
        cls = self.module.parents.get(fn)
        if any(isinstance(n, FUNCTION_TYPES) and n.name == fn.name and n is not fn for n in cls.body):
            return None
        family = _class_family(self.project, cls)
        found = []
        for module in self.project.modules:
            if f".{fn.name}" not in module.text or is_test_path(module.path):
                continue
            for node in module.nodes_of(ast.Attribute):
                if node.attr != fn.name:
                    continue
                call = module.parents.get(node)
                owner = next((a for a in ancestors(module, node) if isinstance(a, ast.ClassDef)), None)
                receiver = node.value
                own = dotted(receiver) in ("self", "cls") or isinstance(receiver, ast.Call) \
                    and isinstance(receiver.func, ast.Name) and receiver.func.id == "super"
                if not (own and id(owner) in family and isinstance(call, ast.Call) and call.func is node):
                    return None
                found.append((module, call))
        return found

    def _names_function(self, module: SourceModule, node: ast.AST, callee: str) -> bool:
        """Whether a Name or Attribute refers to the module-level ``callee`` of this index's file."""
        if (node.id if isinstance(node, ast.Name) else node.attr) != callee:
            return False
        if module is self.module and isinstance(node, ast.Name):
            return True
        target = qualified(module, node) or ""
        owner = self.project.by_dotted_name.get(target.rpartition(".")[0]) if self.project is not None else None
        return owner is self.module and target.endswith(f".{callee}")

    def _through_attribute(self, expr: ast.expr, at: ast.AST) -> ClientBinding | None:
        """``<anything>.<name>`` (``self.bot.session``, ``ctx.session``) when the project gives the
        attribute ``<name>`` one kind of client and nothing else (see :class:`_AttributeClients`).
        Attributes of a web request (``request.session``) and of library objects (``db.session``
        of a module-level ``db = SQLAlchemy()``) are the library's, not the project's."""
        if self.project is None or not isinstance(expr, ast.Attribute):
            return None
        table = _attribute_clients(self.project)
        if expr.attr not in table.candidates() or self._foreign_receiver(expr.value, at):
            return None
        return table.entry(expr.attr)

    def _request_client(self, expr: ast.expr) -> ClientBinding | None:
        """``request.http`` (also ``self.request.http``) when the project adds a request method ``http`` that
        returns a client (see :func:`_request_method_clients`)."""
        if self.project is None or not isinstance(expr, ast.Attribute) \
                or (dotted(expr.value) or "").rsplit(".", 1)[-1] not in WEB_REQUEST_NAMES:
            return None
        return _request_method_clients(self.project).get(expr.attr)

    def _foreign_receiver(self, receiver: ast.expr, at: ast.AST) -> bool:
        name = dotted(receiver)
        if name is None:
            return True  # a call's or a subscript's result: nothing says what it is
        parts = name.split(".")
        if parts[-1] in WEB_REQUEST_NAMES:
            return True  # request.session, self.request.client (request.app.state.http is the project's)
        head = parts[0]
        if head in ("self", "cls"):
            cls = self._enclosing(at, (ast.ClassDef,))
            if cls is None or len(parts) > 2:
                return False
            return self._library_base(self.module, cls, 0) if len(parts) == 1 else self._made_by_library(cls, name)
        scope = self._enclosing(at, FUNCTION_TYPES)
        while scope is not None:
            if head in self._local_names(scope):
                return len(parts) == 1 and self._made_by_library(scope, head)
            scope = self._enclosing(scope, FUNCTION_TYPES)
        return len(parts) == 1 and self._library_object(self.module, head)

    def _made_by_library(self, owner: ast.AST, name: str) -> bool:
        """Whether ``owner`` (a class or function) sets ``name`` (``r``, ``self.redis``) to what a library
        call returns (``self.redis = redis.Redis()``): its attributes are the library's."""
        for node in walk_nodes(owner):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets, value = (node.targets if isinstance(node, ast.Assign) else [node.target]), node.value
                value = value.value if isinstance(value, ast.Await) else value
                if isinstance(value, ast.Call) and any(dotted(t) == name for t in targets) \
                        and self._library_made(self.module, value):
                    return True
        return False

    def _library_made(self, module: SourceModule, call: ast.Call) -> bool:
        """Whether a call makes a library's object: a library function or class, or a project subclass
        of a library class (``db = MyAlchemy()`` with ``class MyAlchemy(SQLAlchemy)``)."""
        kind, found = self._named_class(module, call.func)
        return kind == "library" or (kind == "project" and self._library_base(*found, 0))

    def _named_class(self, module: SourceModule, expr: ast.expr) -> tuple[str, tuple[SourceModule, ast.ClassDef] | None]:
        """("library", None) for a name imported from outside the project, ("project", (module, class))
        for a class of the project, ("unknown", None) otherwise (``object``, ``ABC``, a local function)."""
        expr = expr.value if isinstance(expr, ast.Subscript) else expr
        name = qualified(module, expr)
        if name is None or name.rsplit(".", 1)[-1] in NEUTRAL_BASES:
            return "unknown", None
        owner: SourceModule | None = module
        if "." in name:
            owner_name, _, name = name.rpartition(".")
            owner = self.project.by_dotted_name.get(owner_name) if self._in_project(owner_name) else None
            owner = None if owner is module else owner  # import etcd in dcs/etcd.py: the library, not itself
        elif name not in module.imports and not any(isinstance(n, ast.ClassDef) and n.name == name for n in module.tree.body):
            return "unknown", None  # a builtin or a local function
        if owner is None:
            return "library", None
        found = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
        return ("project", (owner, found)) if found is not None else ("unknown", None)

    def _library_base(self, module: SourceModule, cls: ast.ClassDef, depth: int) -> bool:
        """Whether a class derives from a library class (other than ``object``, ``ABC``, ``Generic``...):
        an attribute its methods read but do not set may be the library's (``self.http`` of a
        ``etcd.Client`` subclass)."""
        for base in cls.bases:
            kind, found = self._named_class(module, base)
            if kind == "library" or (kind == "project" and depth < 5 and self._library_base(*found, depth + 1)):
                return True
        return False

    def _library_object(self, module: SourceModule, name: str) -> bool:
        """Whether a module-level name is imported from a library or made by a library call
        (``db = SQLAlchemy()``), also through a project module it is imported from."""
        target = module.imports.get(name)
        if target is not None:
            if self._in_project(target):
                owner, _, attr = target.rpartition(".")
                other = self.project.by_dotted_name.get(owner)
                return other is not None and target not in self.project.by_dotted_name \
                    and other is not module and self._library_object_here(other, attr)
            return True
        return self._library_object_here(module, name)

    def _library_object_here(self, module: SourceModule, name: str) -> bool:
        for node in module.tree.body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if isinstance(value, ast.Call) and any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return self._library_made(module, value)
        return False

    def _in_project(self, name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.project.by_dotted_name for i in range(len(parts), 0, -1))

    def sdk_call(self, call: ast.Call) -> OutboundCall | None:
        if self._sdk_calls is None:
            self._sdk_calls = {id(c.node): c for c in sdk_calls(self.module, self.project)}
        return self._sdk_calls.get(id(call))

    def calls(self) -> list[OutboundCall]:
        if self._calls is None:
            if not uses_http(self.module) and not self._imports_project_clients() and not self._reads_client_attributes() \
                    and not _imports_library_session(self.module):
                self._calls = []
            else:
                found = (self.classify(n) for n in walk_nodes(self.module.tree) if isinstance(n, ast.Call))
                self._calls = sorted((c for c in found if c is not None), key=lambda c: (c.node.lineno, c.node.col_offset))
        return self._calls

    def _reads_client_attributes(self) -> bool:
        """Whether the file reads ``X.<name>.`` for an attribute the project gives one kind of client, or for
        a request method returning one (``request.http``); or keeps a client handed to its constructor."""
        if self.project is None:
            return False
        table = _attribute_clients(self.project)
        return any(f".{name}." in self.module.text and table.entry(name) is not None for name in table.candidates()) \
            or any(f".{name}." in self.module.text for name in _request_method_clients(self.project)) \
            or any(b.node is not None and isinstance(b.node, (ast.Assign, ast.AnnAssign)) and b.name.startswith("self.")
                   and b.factory is not None and b.module is self.module for b in self.bindings().values())

    def _imports_project_clients(self) -> bool:
        """Whether the file imports a client or client factory (or a class with a factory method) from another
        project module."""
        if self.project is None:
            return False
        for target in self.module.imports.values():
            if self._reexported(target) != target and uses_http_name(self._reexported(target)):
                return True  # a library re-exported by a project module: from app.http import requests
            if _grpc_stub_class(self._reexported(target)):
                return True  # a generated gRPC stub class, re-exported by a project module for annotations
            other, attr = self._other_module(target)
            if other is not None and (attr in other.factories() or (None, attr) in other.bindings() or attr in other.subclasses()
                                      or any(name.startswith(f"{attr}.") for name in other.factories())):
                return True
        return False


class _AttributeClients:
    """The clients a project keeps in attributes of its objects, by attribute name.

    ``self.session = aiohttp.ClientSession()`` in one class makes ``self.bot.session.get(...)`` and
    ``ctx.session.get(...)`` elsewhere calls on that session, provided every binding of an
    attribute ``session`` in the project is that kind of client: a constructor or factory call, a
    parameter or annotation of the client class (``self.session: ClientSession = session``), a
    copy of another such attribute (``self.session = bot.session``), ``None``, or a property
    returning one. Any other binding (``self.session = Session()`` of SQLAlchemy, an unknown
    parameter) makes the name ambiguous: not followed. The settings are those of the one
    constructor call when the project builds it in one place (parameters pass on a client made
    elsewhere); with several constructors the client's settings are unknown (``opaque``).
    """

    def __init__(self, project: Project):
        self.project = project
        self._candidates: set[str] | None = None
        self._entries: dict[str, ClientBinding | None] = {}

    def candidates(self) -> set[str]:
        """Attribute names some binding gives a client (the only ones worth an entry)."""
        if self._candidates is None:
            self._candidates = set()
            for module in self.project.modules:
                index = _index(module, self.project)
                if is_test_path(module.path) or (not uses_http(module) and not index._imports_project_clients()):
                    continue  # (a test's client does not say what the service's attributes hold)
                for binding in index.bindings().values():
                    if isinstance(binding.node, FUNCTION_TYPES):
                        continue  # a parameter
                    if "." in binding.name or isinstance(module.parents.get(binding.node), ast.ClassDef):
                        self._candidates.add(binding.name.rsplit(".", 1)[-1])
            self._candidates |= self._client_properties(self._candidates)
        return self._candidates

    def _client_properties(self, attributes: set[str]) -> set[str]:
        """Properties of the project's classes that return a client: annotated with a client class,
        returning one of ``attributes`` (``return self.bot.session``) or the client a constructor or
        factory call makes (``return get_oauth2_client(self.account)``)."""
        found: set[str] = set()
        for module in self.project.modules:
            index = _index(module, self.project)
            if not uses_http(module) and not any(f".{name}" in module.text for name in attributes) \
                    and not index._imports_project_clients():
                continue
            for node in module.nodes_of(*FUNCTION_TYPES):
                if not (isinstance(module.parents.get(node), ast.ClassDef) and _property_like(module, node)):
                    continue
                returns = [n.value for n in walk_function_body(node) if isinstance(n, ast.Return)]
                if index._annotated_client(node.returns) is not None \
                        or any(isinstance(r, ast.Attribute) and r.attr in attributes for r in returns) \
                        or any(isinstance(r, ast.Call) and index.resolve(r, node) is not None for r in returns):
                    found.add(node.name)
        return found

    def entry(self, name: str, pending: frozenset[str] = frozenset()) -> ClientBinding | None:
        if name in self._entries:
            return self._entries[name]
        if name in pending:
            return None  # properties and attributes copying each other in a loop
        kinds: set[tuple[str, str]] = set()
        made: list[ClientBinding] = []
        opaque, first, clear = False, None, True
        for module, verdict, found in self._sites(name):
            if verdict == "unknown":
                clear = False
                break
            if verdict == "alias":
                found = self.entry(found, pending | {name})
                if found is None:
                    clear = False
                    break
                opaque = opaque or found.factory is None
            if verdict in ("client", "alias"):
                kinds.add((found.library, found.kind))
                if found.factory is not None and all(found is not m for m in made):
                    made.append(found)
                first = first or found
            elif verdict == "declared":
                kinds.add(found[:2])
                first = first or ClientBinding(name, found[0], found[1], found[3], origin="parameter", subclass=found[2],
                                               module=module)
        result = None
        if clear and len(kinds) == 1 and first is not None:
            if len(made) == 1 and not opaque:
                result = made[0]
            else:
                result = ClientBinding(name, first.library, first.kind, first.node, origin="parameter",
                                       subclass=first.subclass, module=first.module)
        if not pending:
            self._entries[name] = result
        return result

    def _sites(self, name: str) -> Iterator[tuple[SourceModule, str, object]]:
        """(module, verdict, detail) for every binding of an attribute ``name`` in the project:
        client (detail: the binding), declared ((library, kind, subclass, node)), alias (the
        attribute copied), none, unknown."""
        for module in self.project.modules:
            if name not in module.text:
                continue
            index = _index(module, self.project)
            made = {}
            for binding in index.bindings().values():
                made.setdefault(id(binding.node), []).append(binding)
            for node in walk_nodes(module.tree):
                cls = module.parents.get(node) if isinstance(module.parents.get(node), ast.ClassDef) else None
                for target, value in _attribute_assignments(node, name, cls is not None):
                    yield module, *self._judge(index, node, target, value, made.get(id(node), []), name)
                if cls is not None and isinstance(node, FUNCTION_TYPES) and node.name == name \
                        and any(d.rsplit(".", 1)[-1] not in PLAIN_METHOD_DECORATORS for d in decorator_names(module, node)):
                    yield from ((module, *v) for v in self._judge_property(index, node))

    def _judge(self, index: "_ModuleIndex", node: ast.AST, target: ast.expr, value: ast.expr | None,
               made: list[ClientBinding], name: str) -> tuple[str, object]:
        if not isinstance(target, (ast.Attribute, ast.Name)) or isinstance(node, ast.AugAssign):
            return "unknown", None  # a, self.session = ...
        if isinstance(node, ast.AnnAssign):
            known = index._annotated_client(node.annotation)
            if known is not None:
                return "declared", (*known, node)
            if value is None or is_none(value):
                return "unknown", None  # session: AsyncSession
        if value is not None and is_none(value):
            return "none", None
        binding = next((b for b in made if b.name == dotted(target) or b.name.endswith(f".{name}")), None)
        if binding is None and isinstance(value, (ast.Name, ast.Attribute)):
            binding = index.resolve(value, node)
        elif binding is None and value is not None and _constructing_call(value) is not None:
            binding = index._make(_constructing_call(value), set(), name=dotted(target) or name, node=node)
        if binding is not None:
            return "client", binding  # (a second construction of the same attribute is not kept in bindings())
        if isinstance(value, ast.Attribute):
            return ("none", None) if value.attr == name else ("alias", value.attr)
        return "unknown", None

    def _judge_property(self, index: "_ModuleIndex", fn: ast.AST) -> Iterator[tuple[str, object]]:
        if not _property_like(index.module, fn):
            yield "unknown", None  # a decorator that may turn the method into anything
            return
        known = index._annotated_client(fn.returns)
        if known is not None:
            yield "declared", (*known, fn)
            return
        for node in walk_function_body(fn):
            if isinstance(node, ast.Return):
                binding = index.resolve(node.value, node) if node.value is not None else None
                if binding is not None:
                    yield "client", binding
                elif isinstance(node.value, ast.Attribute) and node.value.attr != fn.name:
                    yield "alias", node.value.attr
                elif not is_none(node.value):
                    yield "unknown", None


def _given_argument(call: ast.Call, name: str, at: int | None) -> ast.expr | None:
    """What a call passes for parameter ``name`` (by keyword, or at position ``at``); None when it leaves it
    to its default or may pass it through ``*args``/``**kwargs``."""
    if any(isinstance(a, ast.Starred) for a in call.args) or has_kwargs_splat(call):
        return None
    return keyword(call, name) or (call.args[at] if at is not None and len(call.args) > at else None)


def _passes_through(module: SourceModule, call: ast.Call, arg: ast.expr, name: str) -> bool:
    """``def fetch(self, session, page): return super().fetch(session, page)``: an override of the method
    handing on its own parameter."""
    fn = next((a for a in ancestors(module, call) if isinstance(a, FUNCTION_TYPES)), None)
    return fn is not None and fn.name == name and isinstance(arg, ast.Name) \
        and arg.id in {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}


_CLASSES = "libs.http.classes"  # Project.facts key


def _class_family(project: Project, cls: ast.ClassDef) -> set[int]:
    """ids of the project classes connected to ``cls`` by inheritance, up and down (bases matched by
    name): where a ``self.method(...)`` call may run a method of ``cls``."""
    classes = project.facts.get(_CLASSES)
    if classes is None:
        classes = project.facts[_CLASSES] = [
            (node, {(dotted(b.value if isinstance(b, ast.Subscript) else b) or "").rsplit(".", 1)[-1] for b in node.bases})
            for module in project.modules if not is_test_path(module.path)
            for node in module.nodes_of(ast.ClassDef)]
    family, names, changed = {id(cls)}, {cls.name}, True
    bases = {(dotted(b.value if isinstance(b, ast.Subscript) else b) or "").rsplit(".", 1)[-1] for b in cls.bases}
    while changed:
        changed = False
        for node, node_bases in classes:
            if id(node) not in family and (node_bases & names or node.name in bases):
                family.add(id(node))
                names.add(node.name)
                bases |= node_bases
                changed = True
    return family


_REQUEST_METHODS = "libs.http.request_method_clients"  # Project.facts key


def _request_method_clients(project: Project) -> dict[str, ClientBinding]:
    """Request attribute name -> the client a Pyramid request method returns:
    ``config.add_request_method(ThreadLocalSessionFactory(...), name="http", reify=True)`` with a callable
    class whose ``__call__`` returns the client it builds, or a module-level factory function. A name
    registered twice with different factories is left out."""
    table = project.facts.get(_REQUEST_METHODS)
    if table is not None:
        return table
    made: dict[str, set[ClientBinding | None]] = {}
    for module in project.modules:
        if "add_request_method" not in module.text or is_test_path(module.path):
            continue
        for call in module.nodes_of(ast.Call):
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "add_request_method"):
                continue
            factory = call.args[0] if call.args else keyword(call, "callable")
            name = keyword(call, "name") or (call.args[1] if len(call.args) > 1 else None)
            label = string_value(name) if name is not None else None
            if factory is not None and label:
                made.setdefault(label, set()).add(_made_by_request_method(module, project, factory))
    table = project.facts[_REQUEST_METHODS] = {
        name: next(iter(found)) for name, found in made.items() if len(found) == 1 and None not in found}
    return table


def _made_by_request_method(module: SourceModule, project: Project, factory: ast.expr) -> ClientBinding | None:
    target = factory.func if isinstance(factory, ast.Call) else factory
    name = qualified(module, target) or ""
    owner_name, _, attr = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    if owner is None or not uses_http(owner):
        return None
    index = _index(owner, project)
    if not isinstance(factory, ast.Call):
        return index.factories().get(attr)
    cls = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == attr), None)
    call = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__call__"), None) \
        if cls is not None else None
    client = index._returned_client(call) if call is not None else None
    if client is not None:  # session.mount(...), session.headers.update(...) in __call__
        client.configured += [n for n in walk_function_body(call) if isinstance(n, ast.Expr)
                              and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute)
                              and dotted(n.value.func.value) == client.name]
    return client


def _attribute_clients(project: Project) -> _AttributeClients:
    table = project.facts.get(_ATTRIBUTE_CLIENTS)
    if table is None:
        table = project.facts[_ATTRIBUTE_CLIENTS] = _AttributeClients(project)
    return table


def _attribute_assignments(node: ast.AST, name: str, in_class_body: bool) -> Iterator[tuple[ast.expr, ast.expr | None]]:
    """(target, value) for each binding of an attribute ``name`` made by ``node``: ``x.name = ...``,
    ``x.name: T = ...``, ``with ... as x.name``, and ``name = ...`` in a class body."""
    def named(target: ast.expr) -> bool:
        if isinstance(target, ast.Attribute):
            return target.attr == name
        if isinstance(target, ast.Name):
            return in_class_body and target.id == name
        if isinstance(target, (ast.Tuple, ast.List)):
            return any(named(t) for t in target.elts)
        if isinstance(target, ast.Starred):
            return named(target.value)
        return False

    if isinstance(node, ast.Assign):
        yield from ((t, node.value) for t in node.targets if named(t))
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and named(node.target):
        yield node.target, node.value
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        yield from ((i.optional_vars, i.context_expr) for i in node.items if i.optional_vars is not None and named(i.optional_vars))


def _imports_library_session(module: SourceModule) -> bool:
    """Whether the file imports a session a library shares, or the module holding it and names it."""
    return any(module.imports_module(shared) or module.imports_module(shared.rpartition(".")[0])
               and shared.rpartition(".")[2] in module.text for shared in LIBRARY_SESSIONS)


def _library_session_setup(project: Project, shared: str) -> list[ast.stmt]:
    """Statements of the project's code that change a session a library shares: an adapter mounted on it, an
    attribute set (``http_session.request = ...``) or updated (``http_session.headers.update(...)``)."""
    table = project.facts.setdefault(_LIBRARY_SESSION_SETUP, {})
    if shared not in table:
        table[shared] = [node for module in project.modules if not is_test_path(module.path)
                         and _imports_library_session(module) for node in walk_nodes(module.tree)
                         if _changes_library_session(module, node, shared)]
    return table[shared]


def _changes_library_session(module: SourceModule, node: ast.AST, shared: str) -> bool:
    subject: ast.expr | None = None
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        subject = target.value if isinstance(target, (ast.Attribute, ast.Subscript)) else None
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        subject = node.value.func.value if node.value.func.attr == "mount" else \
            node.value.func.value.value if isinstance(node.value.func.value, ast.Attribute) else None
    while isinstance(subject, (ast.Attribute, ast.Subscript)) and qualified(module, subject) != shared:
        subject = subject.value
    return subject is not None and qualified(module, subject) == shared


def _in_annotation(module: SourceModule, node: ast.AST) -> bool:
    """Whether an expression is (part of) a type annotation: ``x: Optional[Client]``, ``-> Client``."""
    child, parent = node, module.parents.get(node)
    while isinstance(parent, (ast.Subscript, ast.Tuple, ast.BinOp, ast.Attribute, ast.List)):
        child, parent = parent, module.parents.get(parent)
    return (isinstance(parent, (ast.arg, ast.AnnAssign)) and parent.annotation is child) \
        or (isinstance(parent, FUNCTION_TYPES) and parent.returns is child)


def _property_like(module: SourceModule, fn: ast.AST) -> bool:
    return any(name.rsplit(".", 1)[-1] in PROPERTY_DECORATORS for name in decorator_names(module, fn))


def _shaped_like_request(call: ast.Call, operation: str) -> bool:
    """Whether a call's arguments fit the client method it names: a URL (or method and URL), no
    more positional arguments than the libraries take, and a literal URL that looks like one.
    ``request.session.get("cart")`` or ``db.session.get(User, 1)`` do not."""
    if any(isinstance(a, ast.Starred) for a in call.args) or has_kwargs_splat(call):
        return True
    url_at = 1 if operation in METHOD_FIRST else 0
    url = call.args[url_at] if len(call.args) > url_at else keyword(call, "url") or keyword(call, "str_or_url")
    if url is None or len(call.args) > MAX_POSITIONAL.get(operation, len(call.args)):
        return False
    text = string_value(url)
    if text is not None:
        return not text or "/" in text or ":" in text
    return operation != "delete" or _url_like(url)  # session.delete(instance) of an ORM


def _url_like(expr: ast.expr) -> bool:
    """An expression that builds or names a URL: ``f"{base}/items/{id}"``, ``base + path``,
    ``urljoin(...)``, ``item_url``, ``self.endpoint``."""
    if isinstance(expr, (ast.JoinedStr, ast.BinOp)):
        return True
    if isinstance(expr, ast.Call):
        expr = expr.func
    name = (dotted(expr) or "").rsplit(".", 1)[-1].lower()
    return any(word in name for word in URL_WORDS)


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


def _grpc_stub_class(name: str | None) -> bool:
    """A stub class of a gRPC service, by its generated module: ``foo_pb2_grpc.GreeterStub``."""
    module, _, cls = (name or "").rpartition(".")
    return cls.endswith("Stub") and module.rsplit(".", 1)[-1].endswith("_pb2_grpc")


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


# --- infrastructure clients -------------------------------------------------------
# Network calls that are neither HTTP libraries nor service SDKs: a Kubernetes API server, a secret store,
# a git remote, a message broker. Read by :func:`infrastructure_call`.

# constructors whose every method call (bar INFRASTRUCTURE_LOCAL_METHODS) is a request to the service
INFRASTRUCTURE_CLIENTS = {
    "hvac.Client": ("hvac", "vault"),
    "hvac.v1.Client": ("hvac", "vault"),
    **{f"authzed.api.v1.{cls}": ("authzed", "grpc")
       for cls in ("Client", "AsyncClient", "SyncClient", "InsecureClient", "TokenClient")},
}
INFRASTRUCTURE_LOCAL_METHODS = frozenset({"close", "adapter", "url", "token"})
KUBERNETES_PACKAGES = ("kubernetes.client.", "kubernetes_asyncio.client.")
# the kubernetes client's API methods (CoreV1Api().create_namespaced_pod(...)): a request to the API server
KUBERNETES_OPERATION = re.compile(r"^(create|read|replace|patch|delete|list|connect|get)_\w+$")
KR8S_OBJECT_PACKAGES = ("kr8s.objects.", "kr8s.asyncio.objects.")
KR8S_FUNCTIONS = frozenset({"kr8s.get", "kr8s.asyncio.get", "kr8s.whoami", "kr8s.asyncio.whoami"})
KR8S_OBJECT_METHODS = frozenset({"create", "delete", "patch", "refresh", "exists", "scale", "exec", "logs", "label",
                                 "annotate", "wait", "get", "set_owner", "adopt"})
GITPYTHON_FUNCTIONS = frozenset({"git.Repo.clone_from", "git.repo.Repo.clone_from", "git.repo.base.Repo.clone_from"})
# git subcommands that talk to a remote (also GitPython's repo.git.<cmd>(), remote.fetch())
GIT_REMOTE_COMMANDS = frozenset({"clone", "fetch", "pull", "push", "ls-remote", "ls_remote"})
SUBPROCESS_RUNS = frozenset({f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output", "Popen")}
                            | {"asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell"})
# message brokers: a publish is a round trip to the broker (pika, kombu, aio-pika)
BROKER_PUBLISHES = {"pika": frozenset({"basic_publish"}), "kombu": frozenset({"publish"}),
                    "aio_pika": frozenset({"publish"})}


def infrastructure_call(module: SourceModule, call: ast.Call) -> OutboundCall | None:
    """A network call to infrastructure: the Kubernetes API (the ``kubernetes`` client's
    ``CoreV1Api().create_namespaced_pod(...)``, kr8s), a secret store (hvac's Vault client), an authzed
    (SpiceDB) client, a git remote (GitPython's ``Repo.clone_from``, ``remote.fetch()``,
    ``subprocess.run(["git", "clone", ...])``), or a publish to a message broker (pika's
    ``basic_publish``, kombu's and aio-pika's ``publish``)."""
    name = call_name(module, call) or ""
    if name in KR8S_FUNCTIONS or name.startswith(KR8S_OBJECT_PACKAGES) and name.endswith(".get"):
        return OutboundCall(node=call, library="kr8s", protocol="kubernetes", operation=name.rsplit(".", 1)[-1])
    if name in GITPYTHON_FUNCTIONS:
        return OutboundCall(node=call, library="GitPython", protocol="git", operation="clone_from")
    if name in SUBPROCESS_RUNS:
        command = _git_remote_command(call)
        return OutboundCall(node=call, library="git", protocol="git", operation=command) if command else None
    if not isinstance(call.func, ast.Attribute):
        return None
    method = call.func.attr
    for library, methods in BROKER_PUBLISHES.items():
        if method in methods and module.imports_module(library):
            return OutboundCall(node=call, library=library, protocol="broker", operation=method)
    if method in GIT_REMOTE_COMMANDS and module.imports_module("git") and _git_remote_receiver(call.func.value):
        return OutboundCall(node=call, library="GitPython", protocol="git", operation=method)
    receiver = call.func.value
    while receiver is not None:
        built = _infrastructure_client(module, call, receiver)
        if built is not None:
            break
        receiver = receiver.value if isinstance(receiver, ast.Attribute) else None
    if built is None or method in INFRASTRUCTURE_LOCAL_METHODS:
        return None
    if built.startswith(KUBERNETES_PACKAGES):
        if receiver is not call.func.value or not KUBERNETES_OPERATION.match(method):
            return None
        return OutboundCall(node=call, library=built.split(".")[0], protocol="kubernetes", operation=method)
    if built.startswith(KR8S_OBJECT_PACKAGES):
        if receiver is not call.func.value or method not in KR8S_OBJECT_METHODS:
            return None
        return OutboundCall(node=call, library="kr8s", protocol="kubernetes", operation=method)
    library, protocol = INFRASTRUCTURE_CLIENTS[built]
    return OutboundCall(node=call, library=library, protocol=protocol, operation=method)


def _infrastructure_client(module: SourceModule, at: ast.AST, expr: ast.expr) -> str | None:
    """The constructor of the infrastructure client ``expr`` is: one built inline (``CoreV1Api().x()``), or
    bound to the name by every assignment of it in the enclosing function, else in the file (``self.vault =
    hvac.Client(...)``, a module global), or a parameter annotated with its class."""
    if isinstance(expr, ast.Call):
        return _infrastructure_constructor(call_name(module, expr) or "")
    name = dotted(expr)
    if name is None or name == "self":
        return None
    function = enclosing_function(module, at)
    for scope in ([function] if function is not None and "." not in name else []) + [module.tree]:
        values = [n.value for n in walk_nodes(scope) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None
                  and any(dotted(t) == name for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
        values += [n.context_expr for n in walk_nodes(scope) if isinstance(n, ast.withitem)
                   and n.optional_vars is not None and dotted(n.optional_vars) == name]
        if values:
            built = {_infrastructure_constructor(call_name(module, v) or "") if isinstance(v, ast.Call) else None
                     for v in values}
            return built.pop() if len(built) == 1 else None
    if function is not None and "." not in name:
        annotation = next((a.annotation for a in [*function.args.posonlyargs, *function.args.args,
                                                   *function.args.kwonlyargs] if a.arg == name and a.annotation), None)
        if annotation is not None:
            return _infrastructure_constructor(qualified(module, annotation_expr(annotation)) or "")
    return None


def _infrastructure_constructor(name: str) -> str | None:
    if name in INFRASTRUCTURE_CLIENTS:
        return name
    package = next((p for p in (*KUBERNETES_PACKAGES, *KR8S_OBJECT_PACKAGES) if name.startswith(p)), None)
    if package is None:
        return None
    cls = name[len(package):]
    if package in KUBERNETES_PACKAGES:
        return name if cls.endswith("Api") and "." not in cls else None
    return name if "." not in cls and cls[:1].isupper() else None


def _git_remote_command(call: ast.Call) -> str | None:
    """The remote git subcommand a subprocess runs: ``["git", "clone", url]``, ``"git fetch origin"``."""
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, (ast.List, ast.Tuple)):
        words = [string_value(e) for e in first.elts]
    elif "create_subprocess_exec" in (dotted(call.func) or ""):
        words = [string_value(a) for a in call.args]
    else:
        text = string_value(first)
        words = text.split() if text else []
    if not words or words[0] is None or words[0].rsplit("/", 1)[-1] != "git":
        return None
    return next((w for w in words[1:] if w in GIT_REMOTE_COMMANDS), None)


def _git_remote_receiver(receiver: ast.expr) -> bool:
    """A GitPython object whose fetch/pull/push talks to a remote: ``repo.remote()``, ``repo.remotes.origin``,
    ``origin``, or the command wrapper ``repo.git``."""
    if isinstance(receiver, ast.Call):
        return isinstance(receiver.func, ast.Attribute) and receiver.func.attr in ("remote", "create_remote")
    name = (dotted(receiver) or "").split(".")
    return name[-1] in ("git", "origin", "upstream") or "remotes" in name[:-1] or "remote" in name[-1]
