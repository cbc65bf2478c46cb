"""R3.no-correlation-id: a service calls another without passing on the request's id.

## What it does
Reports outbound HTTP calls made while handling a request that send no correlation id
header. In detail: in a code base that serves HTTP (it defines routes, see `audit_lib.libs.web`: FastAPI,
Flask, Django, Pyramid/Cornice, aiohttp, Falcon, ... handlers; or a CherryPy application's exposed methods,
`@cherrypy.expose` or the public methods of a class with `exposed = True`), reports
outbound HTTP calls (see `audit_lib.libs.http`) made while handling a request (in a
route handler, or in a function or method a handler calls directly) that send no
correlation header
(`X-Correlation-ID`, `X-Request-ID`, `traceparent`, ...): neither in the call's
`headers=` nor through the client that makes the call (default `headers=`,
`session.headers.update(...)`, httpx `event_hooks=`/`transport=`, aiohttp
`trace_configs=`, a mounted custom adapter, a client subclass, a library client that copies the incoming
`X-Request-ID` onto its requests: edx-rest-api-client's `OAuthAPIClient`).

Headers a function of the same file builds and returns (`headers=self._headers()`,
`headers=_service_headers(token)`) are judged by what it returns: a dict literal with string keys, or
a local only ever bound to one, sends no id unless the function names a correlation header; so are headers
held in a module constant, of the file or imported from a project module (`headers=HEADERS`,
`HEADERS = {"User-Agent": ...}` in `constants.py`): a dict literal without a correlation header sends none. Headers
built somewhere the rule cannot see (another file's helper, `**kwargs`),
clients received as parameters, code bases whose HTTP clients are instrumented by
OpenTelemetry or ddtrace (they inject `traceparent`), calls to well-known public APIs
(GitHub, Slack, Google, Stripe, ...) and to public domains written in the code (an update
check, an OAuth provider's default endpoint, also heading an f-string, `f"https://book.vendor.example/subject/{id}/"`,
or held in a constant, `WHOAMI_URL = "https://api.sheets.example/v0/meta/whoami"`, a class constant, a client's
`base_url`, followed through the locals and constants the URL is built from, `f"{ARTIFACTS}/tests.json"` with
`ARTIFACTS = f"{INDEX_API}/task"`, and a constant imported from a project module and filled in by `.format(...)`:
a hosted vendor's API, on a request path too; another service of ours is reached through an address each deployment
configures, or an internal name), calls whose URL comes from a parameter or
from response data (a link, a webhook, a user's callback), from a setting named after a
vendor (`settings.paypal_api_endpoint`) or from a setting whose shipped default is a public
address (`reviews_url: str = Field(default="https://reviews.vendor.example/api")`, like
`os.getenv("X") or "https://..."`, or a configuration key a project module binds to a public
address outright: the vendor's hosted service that every installation calls), and calls to an
identity provider (an OAuth token exchange, `fetch_token`/`refresh_token`, an address named for
a token, user-info, introspection, OIDC/SAML/SSO endpoint, a URL whose written path is one,
`f"{self.domain}/oauth2/v1/userinfo"`, `.../openid-connect/token`, or the host of the token/authorize endpoints an
OAuth client class names in its constants, `USER_API_URL` beside `TOKEN_URL`: the provider is no service of ours): only
calls that visibly address a service of ours (a configured address, also read from the
application's configuration, `current_app.config["CATALOG_SERVICE_URL"]`, `settings.get(...)`; an
internal host name, a single name, `http://stock:8080`, or one in an internal zone, `.svc`, `.internal`,
`billing.internal.example.com`; a path on such a `base_url`; a URL normalised or joined from one by a function,
`normalize_url(f"{settings.LIVE_URL}/convert/")`) are judged. A background task that a request handler
enqueues (Celery `task.delay(...)`/`.apply_async(...)` of a function under a task decorator), and the
functions of its file that it calls, are judged like the handler: the request's id is lost on the queue. Other
background jobs, test code, scripts and calls to
localhost or to the service's own public address (`f"{SITE_URL}/api/v2/..."`, also through a
local or a helper of the module that returns it: the service calling its own API) are not reported on
their own (they count towards the service's finding below).

A service none of whose calls is reported above gets one finding of its own instead, listing every silent call
as its places: when service code (outside tests and scripts) makes outbound HTTP calls
that visibly send no id to somewhere other than a public API written in the code, an identity provider or
a vendor-named or publicly defaulted setting (a configured address, a URL from data, a call to the service
itself or to localhost: a hop whose two requests' logs cannot be tied either), and at least one of them addresses a
service of ours, the service itself or is made on a request path, a form's `clean_*()` or a serializer's
`validate_*()` among them (background jobs that only fetch URLs found in
data have no incoming request whose id they could pass on), it is reported once, at the
first such call to a service of ours, else the first on a
request path, else the first to itself, with the count of the others and the files they are in:
an id the service never creates is missing from its own logs and from every hop alike. When a file of the service
names a request-id header (`"X-Request-ID"`, `"traceparent"`, an ASGI middleware's `b"x-request-id"`) or a
request-id library is in use (asgi-correlation-id, django-guid, django-log-request-id, django-structlog, ...), the
finding says the id exists and is not passed on (the fix is then only the forwarding). A field of an object
the function was handed or computed (`metadata.preview_image`) is a link in data, not a configured address;
a configured URL template filled in (`settings.ICON_URL.format(domain=d)`) is the configured address. A call that
names the method first takes its URL second (`http.request("GET", url)`, `client.stream("POST", url)`).

## Why is this bad?
When a request fans out to other services, the only way to follow it through their
logs is an id that travels with it. Without one, an error in a downstream service
cannot be tied to the user request that caused it, and debugging a distributed failure
becomes guesswork (Backend Posture R3, S8).

## Example
```python
@app.get("/orders/{order_id}")
def order(order_id: int):
    return requests.get(f"{STOCK_URL}/items/{order_id}", timeout=5).json()
```

## Use instead
```python
@app.get("/orders/{order_id}")
def order(order_id: int):
    headers = {"X-Request-ID": request_id.get()}  # set by the request-id middleware
    return requests.get(f"{STOCK_URL}/items/{order_id}", headers=headers, timeout=5).json()
```
or once per client: `httpx.Client(event_hooks={"request": [add_request_id]})`.

## References
- asgi-correlation-id: https://github.com/snok/asgi-correlation-id
- W3C Trace Context: https://www.w3.org/TR/trace-context/
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding, shown_places
from audit_lib.libs.http import METHOD_FIRST, ClientBinding, OutboundCall, outbound_calls
from audit_lib.libs.web import RouteHandler
from audit_lib.operator_code import is_offline_file, is_script_file
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_name,
    dotted,
    enclosing_function,
    keyword,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import is_test_file, module_constant, service_routes, targets_own_service
from audit_lib.source import Project, SourceModule

CORRELATION_HEADER = re.compile(
    r"correlation[-_]?id|request[-_]?id|trace[-_]?id|traceparent|x-amzn-trace-id|x-b3-|x-cloud-trace-context|"
    r"x-datadog-trace|uber-trace-id|sentry-trace", re.IGNORECASE)
INSTRUMENTATION = ("opentelemetry.instrumentation.requests", "opentelemetry.instrumentation.httpx",
                   "opentelemetry.instrumentation.aiohttp_client", "opentelemetry.instrumentation.urllib",
                   "opentelemetry.instrumentation.urllib3", "opentelemetry.propagate", "ddtrace")
CLIENT_HOOKS = ("event_hooks", "transport", "trace_configs", "hooks")
THIRD_PARTY_HOSTS = re.compile(
    r"^\w+://([\w.-]+\.)?(googleapis\.com|google\.com|github\.com|slack\.com|discord(app)?\.com|stripe\.com|twilio\.com|"
    r"sendgrid\.com|mailgun\.net|amazonaws\.com|microsoft\.com|office\.com|atlassian\.net|pagerduty\.com|"
    r"opsgenie\.com|zoom\.us|telegram\.org|facebook\.com|twitter\.com|paypal\.com|openai\.com|sentry\.io)([:/]|$)")
VENDOR_NAME = re.compile(r"paypal|stripe|github|gitlab|google|slack|twilio|sendgrid|mailgun|aws|azure|facebook|"
                         r"twitter|discord|telegram|openai|sentry|oauth|webhook|callback")
# an identity provider's endpoints (token exchange, user info, introspection): the provider's, however configured
IDENTITY_ENDPOINT = re.compile(r"oauth|token|userinfo|user_info|introspect|authori[sz]|jwks|openid|oidc|saml|"
                               r"(^|[^a-z])sso", re.IGNORECASE)
IDENTITY_PATH = re.compile(r"(?i)/(oauth2?|token|authorize|userinfo|user_info|openid-connect|introspect|jwks)(/|$)|/\.well-known/(openid|oauth)")
IDENTITY_ADDRESS = re.compile(r"(?i)(oauth|token|userinfo|user_info|introspect|authori[sz]\w*|jwks|openid|oidc)_?"
                              r"(url|uri|endpoint)$")
OAUTH_OPERATIONS = {"fetch_token", "refresh_token", "fetch_access_token", "fetch_request_token", "revoke_token"}
CONFIG_MAPPINGS = ("config", "settings", "conf")  # app.config["X"], current_app.config.get("X"), settings["X"]
URL_HOST = re.compile(r"^https?://(?:[^/@]*@)?([^/:?#]+)")
INTERNAL_ZONES = {"internal", "intranet", "corp", "svc", "lan", "local", "private"}  # billing.internal.example.com
INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain", ".svc", ".lan", ".corp", ".intranet", ".consul", ".home.arpa")
GENERIC_NAMES = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "json", "run", "execute",
                 "call", "__call__", "__init__", "close"}
UNKNOWN = None
TASK_ENQUEUE = {"delay", "apply_async"}  # Celery
ADDRESS_DEPTH = 3  # locals and wrapping calls followed to find where a URL starts
TASK_DECORATORS = {"task", "shared_task", "actor", "job"}  # Celery, Dramatiq, RQ
# libraries that give each request an id (and bind it to the logs)
REQUEST_ID_LIBRARIES = ("asgi_correlation_id", "django_guid", "log_request_id", "django_structlog", "flask_request_id",
                        "request_id", "correlation_id", "starlette_context")
REQUEST_ID_HEADER = re.compile(r"(?i)^(x-[\w-]*)?(request|correlation|trace)-id$|^traceparent$|^x-b3-traceid$")


@rule("R3.no-correlation-id", on="project", scope="code", severity="medium")
def check(project: Project) -> Iterator[Finding]:
    routes = service_routes(project) + _cherrypy_handlers(project)
    if not routes or any(m.imports_module(name) for m in project.modules for name in INSTRUMENTATION):
        return
    handlers = {id(h.function) for _, h in routes}
    task_code = {id(fn) for fn in _enqueued_task_code(project, routes)}
    called = _names_called_by_handlers(routes)
    public_settings = _settings_with_public_defaults(project) | _settings_with_public_values(project)
    reported = False
    silent: list[tuple[SourceModule, OutboundCall, int]] = []  # calls that visibly send no id, and their rank
    has_request_ids = any(m.imports_module(name) for m in project.modules for name in REQUEST_ID_LIBRARIES)
    for module in project.modules:
        if is_test_file(module) or is_offline_file(module, project):
            continue
        calls = [c for c in outbound_calls(module, project) if c.protocol == "http"]
        has_request_ids |= _names_request_id_header(module)
        for call in calls:
            fn = enclosing_function(module, call.node)
            if fn is None or _propagates(module, call, project):
                continue
            if targets_own_service(module, call):
                silent.append((module, call, OWN_SERVICE_RANK))  # a hop to itself: no id in either request's logs
                continue
            on_request_path = id(fn) in handlers or fn.name in called or id(fn) in task_code
            ours = _addresses_our_service(module, call, public_settings, project)
            if not _someone_elses_api(module, call, public_settings, project):
                validates_input = _validates_request_input(module, fn)
                silent.append((module, call, (not ours) * 2 + (not (on_request_path or validates_input))))
            if not ours:
                continue
            if not on_request_path:
                continue
            reported = True
            yield _finding_at(module, call, f"{_label(call)} sends no correlation id header "
                              "(X-Correlation-ID / X-Request-ID)", FORWARD_ID, Confidence.medium)
    if not reported and any(rank != UNKNOWN_TARGET_OFF_PATH_RANK for _, _, rank in silent):
        yield _service_finding(silent, has_request_ids)


def _validates_request_input(module: SourceModule, fn: ast.AST) -> bool:
    """A Django form's ``clean_url()`` or a DRF serializer's ``validate_url()``: run by the view that validates the
    request's data, so on its request path."""
    owner = module.parents.get(fn)
    return isinstance(owner, ast.ClassDef) and fn.name.startswith(("clean", "validate")) \
        and any((dotted(b) or "").endswith(("Form", "Serializer")) for b in owner.bases)


def _cherrypy_handlers(project: Project) -> list[tuple[SourceModule, RouteHandler]]:
    """The methods a CherryPy application exposes (``@cherrypy.expose``, or every public method of a class with
    ``exposed = True``): a CherryPy app mounting them is a web service like any routed one."""
    found: list[tuple[SourceModule, RouteHandler]] = []
    for module in project.modules:
        if not module.imports_module("cherrypy") or is_test_file(module) or is_script_file(module):
            continue
        for fn in module.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef):
            owner = module.parents.get(fn)
            exposed_class = isinstance(owner, ast.ClassDef) and any(
                isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "exposed" for t in s.targets)
                and isinstance(s.value, ast.Constant) and s.value.value is True for s in owner.body)
            if exposed_class and not fn.name.startswith("_") or any(
                    call_name(module, d) == "cherrypy.expose" if isinstance(d, ast.Call)
                    else qualified(module, d) == "cherrypy.expose" for d in fn.decorator_list):
                found.append((module, RouteHandler(function=fn, framework="cherrypy", methods=(), path=None, node=fn,
                                                   declared_in=module)))
    return found


OWN_SERVICE_RANK = 4  # where the service finding goes: a call to a service of ours on a request path first (0)
UNKNOWN_TARGET_OFF_PATH_RANK = 3  # a URL from data, off any request path: a background job with no request id to pass


FORWARD_ID = ('forward the incoming request\'s id: headers={"X-Request-ID": request_id.get()}, or set it once '
              "on the client (default headers, an httpx event hook, an aiohttp trace config)")


def _service_finding(silent: list[tuple[SourceModule, OutboundCall, int]], has_request_ids: bool) -> Finding:
    """One finding for a service whose outbound HTTP calls pass on no request id: it serves requests and makes
    outbound calls, none of which sends one. Each call to a public API is no finding of its own (the vendor
    ignores the header), but an id the service never creates, or keeps to itself, is missing from every hop
    alike. At the first call to a service of ours, else the first on a request path; every call is a place."""
    module, first, _ = min(silent, key=lambda site: (site[2], site[0].path, site[1].line))
    places = [f"{path}:{line}" for path, line in sorted({(m.path, c.line) for m, c, _ in silent},
                                                        key=lambda site: (site != (module.path, first.line), site))]
    files = sorted({m.path for m, _, _ in silent} - {module.path})
    where = "in this file" if not files else f"in {len(files) + 1} files (also {shown_places(files)})"
    calls = f" and {len(silent) - 1} more outbound calls {where} send" if len(silent) > 1 else " sends"
    if has_request_ids:
        return _finding_at(
            module, first, f"the service has a request id, but no outbound call visibly forwards it: {_label(first)}"
                           f"{calls} no correlation header", FORWARD_ID, Confidence.low, places=places)
    return _finding_at(
        module, first, f"the service has no request id to forward: {_label(first)}{calls} no correlation header, "
                       "and no request-id middleware or client hook supplies one",
        "give each incoming request an id (asgi-correlation-id, django-guid, a middleware setting X-Request-ID), "
        "log it, and " + FORWARD_ID, Confidence.low, places=places)


def _label(call: OutboundCall) -> str:
    return f"{dotted(call.node.func) or call.operation}()"


def _finding_at(module: SourceModule, call: OutboundCall, message: str, fix: str, confidence: Confidence,
                **extra) -> Finding:
    return Finding(message=message, path=module.path, line=call.line,
                   end_line=getattr(call.node, "end_lineno", call.line), evidence=module.evidence(call.node),
                   fix=fix, confidence=confidence, extra=extra)


def _names_request_id_header(module: SourceModule) -> bool:
    """Whether service code names a request-id header (``"X-Request-ID"``, ``"traceparent"``, an ASGI middleware's
    ``b"x-request-id"``): the service has
    request ids (read, set on responses or sent), whatever it does with them."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes))
               and REQUEST_ID_HEADER.match(n.value.decode("latin-1") if isinstance(n.value, bytes) else n.value)
               for n in walk_nodes(module.tree))


def _names_called_by_handlers(routes: list[tuple[SourceModule, RouteHandler]]) -> set[str]:
    """Names of the functions and methods request handlers call directly (one level deep)."""
    names: set[str] = set()
    for _, handler in routes:
        for node in walk_function_body(handler.function):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name and name not in GENERIC_NAMES:
                    names.add(name)
    return names


def _enqueued_task_code(project: Project, routes: list[tuple[SourceModule, RouteHandler]]) -> list[ast.AST]:
    """The background tasks request handlers enqueue (``copy_assets.delay(...)``, ``.apply_async(...)``: a
    top-level function of the code base under a task decorator, ``@shared_task``, ``@app.task``, ``@actor``)
    and the functions of the task's file it calls by name: the request's id is lost on the queue unless the
    message carries it, so their calls to our services are judged like the handler's own."""
    enqueued = {(dotted(node.func.value) or "").rsplit(".", 1)[-1] for _, handler in routes
                for node in walk_function_body(handler.function)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TASK_ENQUEUE}
    found: list[ast.AST] = []
    for module in project.modules:
        top_level = {fn.name: fn for fn in module.tree.body if isinstance(fn, FUNCTION_TYPES)}
        for name in enqueued & set(top_level) if not is_test_file(module) else ():
            task = top_level[name]
            if any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in TASK_DECORATORS
                   for d in task.decorator_list):
                found += [task, *(top_level[n.func.id] for n in walk_function_body(task) if isinstance(n, ast.Call)
                                  and isinstance(n.func, ast.Name) and n.func.id in top_level)]
    return found


def _public_constant_address(module: SourceModule, call: OutboundCall, project: Project) -> bool:
    """A URL that starts with a constant bound to a public address (``READWISE_URL = "https://readwise.example/api"``,
    ``self.base_url = "https://api.vendor.example/v0"``): a hosted vendor's API, like a public domain written at the
    call; another service of ours is reached through an address each deployment configures, or an internal name."""
    target = _requested_address(call)
    return target is not None and _public_host(_written_address(module, call.node, target, project))


def _requested_address(call: OutboundCall) -> ast.expr | None:
    """The URL a call requests, or for a path (``client.get("/items")``) the ``base_url`` of its client."""
    target = _url_argument(call)
    leading = target.values[0] if isinstance(target, ast.JoinedStr) and target.values else target
    if (string_value(leading) or "").startswith("/"):
        return call.client.keyword("base_url") if call.client is not None else None
    return target


def _url_argument(call: OutboundCall) -> ast.expr | None:
    """The URL a call requests: its first argument, the second after the method (``http.request("GET", url)``,
    ``client.stream("GET", url)``), or ``url=``."""
    url_at = 1 if call.operation in METHOD_FIRST and call.library != "urllib" else 0
    return call.node.args[url_at] if len(call.node.args) > url_at else keyword(call.node, "url")


def _addresses_our_service(module: SourceModule, call: OutboundCall, public_settings: set[str],
                           project: Project) -> bool:
    """Whether the call visibly targets another service of ours: a configured or constant address
    (``settings.STOCK_URL``, ``STOCK_URL``, ``self.BASE_URL``), an internal host, or a path on a client
    whose ``base_url`` is one. A URL from a parameter or from response data (a link, a webhook, a
    user's callback) is not judged, nor an address named after a public vendor, nor a setting whose
    default is a public address."""
    if _someone_elses_api(module, call, public_settings, project):
        return False
    target = _requested_address(call)
    return target is not None and _configured_address(module, call.node, target)


def _someone_elses_api(module: SourceModule, call: OutboundCall, public_settings: set[str], project: Project) -> bool:
    """A public API written in the code (at the call or in a constant), an identity provider (a token exchange), or a
    setting whose default or value is a public address or that is named after a vendor: a service that will not read
    our header."""
    if _third_party(module, call) or _public_constant_address(module, call, project) \
            or call.operation in OAUTH_OPERATIONS or _calls_identity_provider(module, call) or _identity_path(module, call):
        return True
    target = _url_argument(call)
    name = _setting_name(target) if target is not None else None
    return name is not None and (name in public_settings or bool(VENDOR_NAME.search(name.lower()))
                                 or bool(IDENTITY_ENDPOINT.search(name)))


def _calls_identity_provider(module: SourceModule, outbound: OutboundCall) -> bool:
    """A call, in a class that names an identity provider's endpoints in its constants (``TOKEN_URL =
    "https://gitlab.example/oauth/token"``), to the host of those endpoints (its ``USER_API_URL`` too): an
    OAuth/OIDC client talking to the provider."""
    call, target = outbound.node, _url_argument(outbound)
    cls = next((p for p in ancestors(module, call) if isinstance(p, ast.ClassDef)), None)
    if cls is None or target is None:
        return False
    provider_hosts = {_host(string_value(statement.value)) for statement in cls.body
                      if isinstance(statement, ast.Assign) and string_value(statement.value)
                      and any(isinstance(t, ast.Name) and IDENTITY_ENDPOINT.search(t.id) for t in statement.targets)}
    return _host(string_value(_constant_value(module, call, _leading_part(target)))) in provider_hosts - {None}


def _identity_path(module: SourceModule, outbound: OutboundCall) -> bool:
    """A URL whose written path is an identity provider's endpoint (``f"{self.domain}/oauth2/v1/userinfo"``,
    ``f"{base}/realms/{realm}/protocol/openid-connect/token"``), directly or through a local named for one
    (``user_info_url = ...``) or built from an address named for one (``urljoin(self.user_info_url, "emails")``):
    whatever host the deployment configures, it is the provider's."""
    call, target = outbound.node, _url_argument(outbound)
    if isinstance(target, ast.Name) and not IDENTITY_ENDPOINT.search(target.id):
        target = _local_value(module, call, target.id) or target
    return target is not None and any(
        isinstance(n, ast.Constant) and IDENTITY_PATH.search(string_value(n) or "")
        or isinstance(n, (ast.Name, ast.Attribute)) and IDENTITY_ADDRESS.search(n.id if isinstance(n, ast.Name) else n.attr)
        for n in walk_nodes(target))


def _host(url: str | None) -> str | None:
    match = URL_HOST.match(url or "")
    return match[1].lower() if match else None


def _leading_part(node: ast.expr) -> ast.expr:
    """What a URL expression starts with: ``settings.X`` in ``settings.X + "/tags"`` or ``f"{settings.X}/path"``."""
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    if isinstance(node, ast.FormattedValue):
        node = node.value
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    return node


def _setting_name(node: ast.expr) -> str | None:
    """``reviews_url`` in ``settings.reviews_url + "/tags"``, ``STOCK_URL`` in ``app.config["STOCK_URL"]``."""
    node = _leading_part(node)
    return node.attr if isinstance(node, ast.Attribute) else _config_key(node)


def _config_key(node: ast.expr) -> str | None:
    """The key a configuration mapping is read with: ``current_app.config["STOCK_URL"]``,
    ``app.config.get("STOCK_URL")``, ``settings["STOCK_URL"]``."""
    if isinstance(node, ast.Subscript):
        mapping, key = node.value, node.slice
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        mapping, key = node.func.value, node.args[0]
    else:
        return None
    owner = (dotted(mapping) or "").rsplit(".", 1)[-1].lower()
    return string_value(key) if owner in CONFIG_MAPPINGS else None


def _settings_with_public_values(project: Project) -> set[str]:
    """Names a module of the project binds to a public address outright (``LASTFM_API_URL =
    "https://ws.audioscrobbler.com/2.0/"`` in a Flask config module): read through ``app.config[...]``,
    that is a vendor's service like a setting with a public default."""
    names: set[str] = set()
    for module in project.modules:
        if is_test_file(module) or "://" not in module.text:
            continue
        for statement in module.tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    and isinstance(statement.targets[0], ast.Name) and _public_host(string_value(statement.value)):
                names.add(statement.targets[0].id)
    return names


def _settings_with_public_defaults(project: Project) -> set[str]:
    """Names of configurable settings (class fields or module globals) whose default is a public address:
    ``reviews_url: str = Field(default="https://reviews.vendor.example/api")``,
    ``REVIEWS_URL = env("REVIEWS_URL", default="https://...")``. Like a public domain written at the
    call, an address that every installation is shipped with is the vendor's hosted service, not a
    service of the deployment (those are configured per deployment, or named by an internal host)."""
    names: set[str] = set()
    for module in project.modules:
        if is_test_file(module) or "://" not in module.text:
            continue
        bodies = [module.tree.body, *(n.body for n in walk_nodes(module.tree) if isinstance(n, ast.ClassDef))]
        for body in bodies:
            for statement in body:
                target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                    else statement.target if isinstance(statement, ast.AnnAssign) else None
                if not isinstance(target, ast.Name) or statement.value is None:
                    continue
                if any(_public_host(string_value(n)) for n in _default_strings(statement.value)):
                    names.add(target.id)
    return names


def _default_strings(value: ast.expr) -> list[ast.expr]:
    """The literal a configurable setting falls back to: a string argument of the call that reads it
    (``Field(default=...)``, ``env("X", "...")``, ``field(default_factory=get_env("X", "..."))``) or the
    alternative of ``os.getenv("X") or "..."``. A plain constant is no setting: it is not looked at."""
    if isinstance(value, ast.BoolOp):
        return [v for v in value.values if string_value(v) is not None]
    if isinstance(value, ast.Call):
        found = [*value.args, *(kw.value for kw in value.keywords)]
        return [n for a in found for n in ([a] if string_value(a) is not None else _default_strings(a))]
    return []


def _configured_address(module: SourceModule, at: ast.AST, node: ast.expr, depth: int = 0,
                        built_by_helper: bool = False) -> bool:
    """Whether a URL expression starts with a configured or constant address. A field of a parameter or of a
    local object (``metadata.preview_image``) is a link in data, unless a helper builds the URL from the object
    (``build_url(event, path)``: it looks the address up)."""
    node = _leading_part(node)
    if string_value(node) is not None:
        return bool(re.match(r"^\w+://", string_value(node)))
    if isinstance(node, ast.Name):
        local = _local_value(module, at, node.id)
        if local is not None:
            return depth < ADDRESS_DEPTH and _configured_address(module, at, local, depth + 1)
        return (node.id in module.imports or _assigned_at_module_level(module, node.id)) \
            and not IDENTITY_ENDPOINT.search(node.id)
    if isinstance(node, ast.Attribute):
        name = dotted(node) or node.attr
        return not VENDOR_NAME.search(name.lower()) and not IDENTITY_ENDPOINT.search(node.attr) \
            and (built_by_helper or not _field_of_data(module, at, node))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        # a configured URL template filled in: settings.ICON_PROVIDER.format(domain=domain)
        return depth < ADDRESS_DEPTH and _configured_address(module, at, node.func.value, depth + 1)
    key = _config_key(node)
    if key is None and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
        # a URL normalised or joined from an address: normalize_url(f"{settings.LIVE_URL}/convert/"), urljoin(X, path)
        return depth < ADDRESS_DEPTH and _configured_address(module, at, node.args[0], depth + 1, built_by_helper=True)
    return key is not None and not VENDOR_NAME.search(key.lower()) and not IDENTITY_ENDPOINT.search(key)


def _field_of_data(module: SourceModule, at: ast.AST, node: ast.Attribute) -> bool:
    """``metadata.preview_image``, ``event.url``: a field of an object the function was handed or computed (a
    parameter or a local other than ``self``), a link in data rather than a configured address."""
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    fn = enclosing_function(module, at)
    if not isinstance(root, ast.Name) or fn is None or root.id in ("self", "cls"):
        return False
    parameters = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    return root.id in parameters or _local_value(module, at, root.id) is not None


def _assigned_at_module_level(module: SourceModule, name: str) -> bool:
    return any(isinstance(t, ast.Name) and t.id == name for statement in module.tree.body
               for t in (statement.targets if isinstance(statement, ast.Assign) else
                         [statement.target] if isinstance(statement, ast.AnnAssign) else []))


def _third_party(module: SourceModule, call: OutboundCall) -> bool:
    """A URL of a public SaaS API, literal or in a constant: it will not read our correlation header."""
    first = _url_argument(call)
    if isinstance(first, ast.JoinedStr) and first.values:
        first = first.values[0]
    if isinstance(first, ast.FormattedValue):
        first = first.value
    if first is None:
        return False
    if _public_url_in_code(module, call.node, first):
        return True
    first = _constant_value(module, call.node, first)
    text = string_value(first)
    return bool(text and THIRD_PARTY_HOSTS.match(text))


def _public_url_in_code(module: SourceModule, at: ast.AST, node: ast.expr) -> bool:
    """A public domain written at the call or in the calling function (``url = config("X") or
    "https://api.vendor.example/user"``): another service of ours is reached through its configured
    address or an internal name; a public domain in the code is someone else's API."""
    if isinstance(node, ast.Name):
        node = _local_value(module, at, node.id)
    candidates = node.values if isinstance(node, ast.BoolOp) else [node]
    # f"https://book.vendor.example/subject/{id}/": the written host leads the f-string
    return any(_public_host(string_value(_leading_part(c))) for c in candidates if c is not None)


def _written_address(module: SourceModule, at: ast.AST, node: ast.expr, project: Project,
                     depth: int = 0) -> str | None:
    """The address a URL starts with when the code writes it out, followed through the locals and module
    constants it is built from: ``url = f"{ARTIFACTS}/tests.json"`` with ``ARTIFACTS = f"{INDEX_API}/task"`` and
    ``INDEX_API = "https://ci.vendor.example/api"``, ``PROBE_URL.format(name=n)`` of an imported constant."""
    node = _leading_part(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        node = _leading_part(node.func.value)
    text = string_value(_constant_value(module, at, node))  # TOKEN_URL, self.TOKEN_URL
    if text is not None or not isinstance(node, ast.Name) or depth >= 4:
        return text
    value = _local_value(module, at, node.id) or module_constant(module, node.id, project)
    return _written_address(module, at, value, project, depth + 1) if value is not None else None


def _public_host(url: str | None) -> bool:
    """A host on the internet: not an IP address, a single name (``http://stock:8080``) or one in an internal zone
    (``stock.svc.cluster.local``, ``billing.internal.example.com``)."""
    host = _host(url) or ""
    return "." in host and not host.replace(".", "").isdigit() and not host.endswith(INTERNAL_SUFFIXES) \
        and not set(host.split(".")[:-1]) & INTERNAL_ZONES


def _local_value(module: SourceModule, at: ast.AST, name: str) -> ast.expr | None:
    """The value of the one assignment to ``name`` in the function around ``at``."""
    fn = enclosing_function(module, at)
    values = [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign)
              and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name] \
        if fn is not None else []
    return values[0] if len(values) == 1 else None


def _constant_value(module: SourceModule, at: ast.AST, node: ast.expr) -> ast.expr:
    """The string a module constant (``TOKEN_URL``), a class constant (``self.TOKEN_URL``) or an attribute the class
    only ever sets to one string (``self.api_url = "https://api.vendor.example/graphql"`` in ``__init__``) is bound to."""
    if isinstance(node, ast.Name):
        name, scope = node.id, module.tree
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        name, scope = node.attr, module.parents.get(at)
        while scope is not None and not isinstance(scope, ast.ClassDef):
            scope = module.parents.get(scope)
        if scope is None:
            return node
    else:
        return node
    for statement in scope.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else \
            [statement.target] if isinstance(statement, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and string_value(statement.value):
            return statement.value
    if isinstance(scope, ast.ClassDef):
        values = [n.value for n in walk_nodes(scope) if isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == name and dotted(t.value) == "self" for t in n.targets)]
        if len(values) == 1 and string_value(values[0]):
            return values[0]
    return node


def _propagates(module: SourceModule, call: OutboundCall, project: Project | None = None) -> bool:
    node = call.node
    if any(kw.arg is None for kw in node.keywords):
        return True  # **options may carry the headers
    if _headers_carry_id(module, keyword(node, "headers"), node, project) is not False:
        return True
    if call.library == "urllib" and node.args and not _is_string(node.args[0]):
        request = node.args[0]
        if not (isinstance(request, ast.Call) and (call_name(module, request) or "").endswith("Request")):
            return True  # a Request object built elsewhere
        return _headers_carry_id(module, keyword(request, "headers"), node) is not False
    return call.client is not None and _client_propagates(call.client)


def _headers_carry_id(module: SourceModule, headers: ast.expr | None, at: ast.AST,
                      project: Project | None = None) -> bool | None:
    """True when the headers hold a correlation id, False when they visibly do not, None when unknown."""
    if headers is None or isinstance(headers, ast.Constant) and headers.value is None:
        return False
    if isinstance(headers, ast.Dict):
        return _literal_headers_verdict(headers)
    if isinstance(headers, ast.Name):
        fn = enclosing_function(module, at)
        if fn is None:
            return UNKNOWN
        if _mentions_correlation(fn):
            return True
        if not _assigned_in(fn, headers.id):
            constant = module_constant(module, headers.id, project)
            return _literal_headers_verdict(constant) if isinstance(constant, ast.Dict) else UNKNOWN
        return False if _bound_to_plain_dicts(fn, headers.id) else UNKNOWN
    if isinstance(headers, ast.Call):
        return _built_headers_verdict(_same_file_function(module, headers, at))
    if isinstance(headers, ast.Attribute) and dotted(headers.value) == "self":
        return _attribute_headers_verdict(module, headers.attr, at)
    return UNKNOWN


def _attribute_headers_verdict(module: SourceModule, name: str, at: ast.AST) -> bool | None:
    """``headers=self.headers``: True when the class names a correlation header, False when every assignment
    of ``self.<name>`` in it is a dict literal with string keys, None when unknown."""
    cls = next((p for p in ancestors(module, at) if isinstance(p, ast.ClassDef)), None)
    if cls is None:
        return UNKNOWN
    if _mentions_correlation(cls):
        return True
    values = [n.value for n in walk_nodes(cls) if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None
              and any(isinstance(t, ast.Attribute) and t.attr == name and dotted(t.value) == "self"
                      for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
    plain = bool(values) and all(isinstance(v, ast.Dict) and _literal_headers_verdict(v) is False for v in values)
    return False if plain else UNKNOWN


def _assigned_in(fn: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load) for n in walk_function_body(fn))


def _bound_to_plain_dicts(fn: ast.AST, name: str) -> bool:
    """Whether every assignment to ``name`` in ``fn`` is a dict literal with string keys."""
    values = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
    return bool(values) and all(isinstance(v, ast.Dict) and all(k is not None and string_value(k) for k in v.keys)
                                for v in values)


def _built_headers_verdict(helper: ast.AST | None) -> bool | None:
    """The verdict on headers a function of the file builds and returns (``headers=_service_headers(token)``,
    ``headers=self._headers()``): True when it names a correlation header, False when each return is a dict
    literal with string keys or a local only ever bound to one, None when unknown."""
    if helper is None:
        return UNKNOWN
    if _mentions_correlation(helper):
        return True
    returned = [n.value for n in walk_function_body(helper) if isinstance(n, ast.Return)]
    visible = bool(returned) and all(
        isinstance(value, ast.Dict) and _literal_headers_verdict(value) is False
        or isinstance(value, ast.Name) and _bound_to_plain_dicts(helper, value.id) for value in returned)
    return False if visible else UNKNOWN


def _same_file_function(module: SourceModule, call: ast.Call, at: ast.AST) -> ast.AST | None:
    """The function of this file a call runs: a top-level ``def`` by name, or ``self.<method>()`` of the
    class around ``at``."""
    if isinstance(call.func, ast.Name):
        body = module.tree.body
        name = call.func.id
    elif isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self":
        cls = next((p for p in ancestors(module, at) if isinstance(p, ast.ClassDef)), None)
        body = cls.body if cls is not None else []
        name = call.func.attr
    else:
        return None
    found = [f for f in body if isinstance(f, FUNCTION_TYPES) and f.name == name]
    return found[0] if len(found) == 1 else None


def _mentions_correlation(node: ast.AST) -> bool:
    """Whether a correlation header name is written anywhere in ``node``."""
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and CORRELATION_HEADER.search(n.value)
               for n in walk_nodes(node))


def _client_propagates(client: ClientBinding) -> bool:
    if client.opaque or client.subclass is not None or client.forwards_request_id:
        return True
    owners = [client, client.made_by] if client.made_by is not None else [client]
    for owner in owners:
        if owner.factory is not None:
            if any(keyword(owner.factory, hook) is not None for hook in CLIENT_HOOKS):
                return True
            headers = keyword(owner.factory, "headers")
            if headers is not None and _literal_headers_verdict(headers) is not False:
                return True
        for statement in owner.configured:
            if _statement_propagates(statement):
                return True
    return False


def _literal_headers_verdict(headers: ast.expr) -> bool | None:
    if isinstance(headers, ast.Dict) and all(k is not None and string_value(k) is not None for k in headers.keys):
        return any(CORRELATION_HEADER.search(string_value(k)) for k in headers.keys)
    return UNKNOWN


def _statement_propagates(statement: ast.AST) -> bool:
    """A later configuration of the client that adds a correlation header, a hook or an adapter."""
    if _mentions_correlation(statement):
        return True
    touched = {n.attr for n in walk_nodes(statement) if isinstance(n, ast.Attribute)}
    if touched & set(CLIENT_HOOKS) or "mount" in touched:
        return True
    if "headers" in touched and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        args = statement.value.args
        return any(_literal_headers_verdict(a) is not False for a in args)  # headers.update(some_mapping)
    return False


def _is_string(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or string_value(node) is not None
