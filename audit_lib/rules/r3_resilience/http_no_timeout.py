"""R3.http-no-timeout: an outbound HTTP call that can wait forever.

## What it does
Reports outbound HTTP and gRPC calls that can wait forever. In detail: calls made with `requests` (module functions and `Session` methods;
also authlib's requests `OAuth2Session`, unless built with `default_timeout=` or with `**options` that may carry it),
`urllib.request.urlopen` and `open()` of an opener from `build_opener()`, `urlretrieve` (it takes no timeout),
`http.client` connections (these four wait on the process-wide socket default: not reported when the
project calls `socket.setdefaulttimeout()`), `aiohttp` and `urllib3` sessions
and gRPC stubs without a timeout (a gRPC deadline; also a stub a parameter annotated with a generated stub class
holds, `def infer(stub: PredictionServiceStub)`, or that every caller hands in), and `httpx` calls or clients given
`timeout=None` or an `httpx.Timeout` with no read limit (`Timeout(None)`, `Timeout(10, read=None)`; not a client
whose calls are all event streams read line by line), also through the `**options` they are handed when that is
the function's only timeout for them (`kwargs.setdefault("timeout", None)`, `kwargs["timeout"] = None`,
`{"timeout": None}`, `dict(timeout=None)`) and no keys it cannot see are added.
httpx has a 5 second default, so an httpx call without a timeout argument is fine (as are a `caldav.DAVClient`, sending
through niquests with 30 s reads and 120 s writes, and a Temporal client call without `rpc_timeout=`, given 30 s by
sdk-core); so does tornado's
`AsyncHTTPClient.fetch` (20 seconds): it is reported only given `request_timeout=None` or `0` (on the call or the `HTTPRequest` it fetches). A call that passes on a `timeout` parameter defaulting to None
(`def fetch(url, timeout=None): client.get(url, timeout=timeout)`, never set in the
function) is judged as given None: it waits forever whenever its caller gives no timeout.
When the project calls such a wrapper (also a pycurl function that sets `pycurl.TIMEOUT` only
from that parameter, a function passing its own such parameter on to a wrapper, or a method
called as `self._call(...)` in its class), each call that leaves the timeout out is reported
instead, and the wrapper is not. So is each call, made with no `timeout=`, on an instance of a project
class (a local or `self.` attribute every binding of which constructs it: `self._http = yield WebSession(...)`)
whose method hands the caller's `**options` on, through its own methods, those of the objects it keeps
(`self.transport = transport`, the parameter annotated with a project class) and functions of its file, to
a request function that has no timeout unless given one (`getattr(treq, method)(url, **kwargs)`,
`requests.post(url, **kwargs)`), none of them mentioning a timeout (a wrapper that sets a default is fine);
edx-rest-api-client's `OAuthAPIClient` is a requests session (its `timeout=` times the token fetch only).
A pycurl `perform()` on a handle given no `pycurl.TIMEOUT`
(or `TIMEOUT_MS`, `LOW_SPEED_TIME`) is reported: curl has no overall limit by default. A
library imported from a project module that imports it (`from app.net import requests_alias`,
also `advocate`, the SSRF-guarded drop-in for requests) is the library. A thrift HTTP
transport (`THttpClient.THttpClient(uri)`) is reported unless `setTimeout(ms)` is called on it;
so is a `jira.JIRA(...)` client built without `timeout=` (the SDK sends its requests with none), and a Twilio
`Client(sid, token)` built without `http_client=` (its default `TwilioHttpClient` has a timeout of None).
A search client built without a timeout is reported too: a
`meilisearch.Client` sends its requests with `timeout=None` (mail and FTP clients, `smtplib`, `imaplib`,
`poplib`, `ftplib`, `imap_tools`, are no HTTP or gRPC clients: not reported). So is a python-redmine
`Redmine(url, key=...)` built without `requests={"timeout": ...}` (each request merges those options in, none by
default), each `musicbrainzngs` request function (`search_*`, `get_*`, `browse_*`, `submit_*`: urllib with no
timeout, none taken; not when the project calls `socket.setdefaulttimeout()`), a PayPal `PayPalHttpClient`'s
`execute(request)` (paypalhttp sends with requests and no timeout, the access token request too), and
`self.get_userinfo`/`get_token`/`retrieve_matching_jwk` in a subclass of mozilla-django-oidc's
`OIDCAuthenticationBackend` when the service code never names `OIDC_TIMEOUT` (the backend passes that setting,
None by default, as the timeout). So are WebDAV clients that send every request with
no timeout and take none (`owncloud.Client(url)`, `easywebdav.connect(host)`); API clients that send on a plain
`requests.Session` they keep in `http_session` (`pynetbox.api(url, token=...)`, `pyixapi.api(...)`), unless the
project gives the client a session of its own (`api.http_session = session`, where the client is bound or where the
callers of the function returning it bind it) or mounts an adapter on it that is not a plain `HTTPAdapter`;
`feedparser.parse(url)` handed an address (it fetches with urllib and no timeout; not given text or bytes, and
not when the project calls `socket.setdefaulttimeout()`); and an MCP `ClientSession(read,
write)` with no `read_timeout_seconds` built where a network transport is opened (`sse_client`,
`streamablehttp_client`): `initialize()` and each request wait for the answer without limit (over `stdio_client`
alone the server is a child process). A `requests` function run in a worker thread with no `timeout`
(`await asyncio.to_thread(requests.get, url)`, `loop.run_in_executor(None, requests.get, url)`, also over
`functools.partial(requests.get, url)`) is reported: the coroutine awaiting the thread waits as long as it does.
So are Twisted's `Agent.request(...)` (on an `Agent`, `RedirectAgent`, ... kept in a local or on `self` by the
class, its bases or its subclasses in the file; `connectTimeout` bounds the connection only) and treq's
`treq.get(url)` without `timeout=`, unless the function gives the Deferred a limit (`d.addTimeout(30, reactor)`,
`reactor.callLater(30, d.cancel)`), the request is the `request` method of an `@implementer(IAgent)` class
(an agent over another: its caller times the Deferred), or a `try` lets `CancelledError` through (`except
defer.CancelledError: raise`: a caller's timeout cancels it). A google_auth_oauthlib `Flow`'s `flow.fetch_token(code=code)` without
`timeout=` is reported: the Flow hands its keywords to requests-oauthlib, which posts with none. So is an
authlib Flask or Django `OAuth()` client registered with `client_kwargs` that give no `timeout`
(`oauth.register(name, client_kwargs={"scope": "openid"})`, also on an `OAuth()` imported from another module:
`login.oauth.register(...)`): its requests session sends the metadata, JWKS and token requests with none (the
Starlette client's httpx session has a default); so are the calls that send through that client with no `timeout=`
(`oauth.<name>.authorize_access_token()`, `oauth.<name>.post(url, data=...)`). So is a google-genai `genai.Client(...)`
built without `http_options` giving a `timeout` (`types.HttpOptions(timeout=60_000)`): the SDK hands `timeout=None` to
httpx on every request, which turns httpx's default off (its `.aio` client too); and a call on a session a library
shares without a timeout of its own (`from openfoodfacts.utils import http_session`, a plain `requests.Session`),
unless the project sets that session up somewhere (mounts an adapter on it).

The session that makes a call is followed wherever it lives: a local, a `with` target,
a module global (also one a function sets after `global http`), `self.session` set in `__init__` or
returned by a property (`@cached_property def session(self): return get_oauth2_client(self.account)`,
in the class and its subclasses), a parameter annotated with the
session class, or a client returned by a factory function or a static or class method
(`HttpPools.mirror_session()`; also one imported from another module). A session handed to a function or method as a plain parameter
(`get_entries(self.session, id)`, `self.fetch_page(session, page)`) is the one every caller in
the service code hands it, when they all hand the same one; so is a client kept from a constructor
parameter named for one (`self._http = session`) when every construction of the class outside tests
(`cls(session=request.http)` in its factory method) hands the same one, and the client a Pyramid
request method returns (`config.add_request_method(SessionFactory(), name="http")`, a factory or a
callable class whose `__call__` builds it: `request.http.post(...)`). A timeout on the call or on the
session (aiohttp, urllib3) is enough, except an aiohttp `ClientTimeout` that sets no finite
`total` and no finite `sock_read` (`ClientTimeout(total=None, sock_read=None)`, `ClientTimeout()`;
inline, or bound once to a local or module global): it turns reading without limit on, unlike
aiohttp's default (total=300), so calls through it are reported (also a call on a client of unknown
origin given one: `client.get(url, timeout=ClientTimeout(total=None))` is an aiohttp call); a `requests.Session` has no timeout of its own, so its
calls are fine only when a mounted adapter or a `Session` subclass sets a default timeout (an
`HTTPAdapter(max_retries=Retry(...))`, mounted inline or through the name it was assigned to,
retries but sets none).
Calls that forward `**kwargs` (unless every splat is a dict the function builds itself with
no timeout key: a literal, or a local set only to such dicts or to what a method of its class
(or a function of its file or of a project module: `**make_request_hooks()`) returning only such
dicts gives, and never updated, or a `self.` attribute its class (and subclasses) only sets to such dicts
and only gives other constant keys: `self._settings = {"verify": verify}`, `self._settings["auth"] = auth`;
or a method forwarding its own untouched
`**options` (setting only other keys: `kwargs["verify"] = True`), when a class whose `self.method` it is
calls it with no timeout and no splat, or, for a method or module-level function whose name no other
function of the service code has, any call of that name does, also through a function relaying its own
`**options` to it (`def request_json(url, **kwargs): return request_response(url, **kwargs)`): the
finding names those callers), sessions of unknown configuration, gRPC channels with
interceptors, server streams iterated to their end, httpx `stream(..., timeout=None)`
event streams (read line by line, or chunk by chunk with each chunk decoded as an event:
they wait for events by design), calls under a deadline
(`async with asyncio.timeout(...)`, `async_timeout`, anyio/trio cancel scopes,
`asyncio.wait_for`), test code, and a developer's tooling (a script outside the package folders,
in a docs, examples or benchmarks folder, an invoke, nox or fabric task file, a helper only
migrations import) are not reported. Scripts, CLIs and Django management commands that ship in
the product's package (and the helpers they import) are reported at low confidence: an operator
who runs one by hand sees a hung call and interrupts it, but run from cron (an installed console
script, a periodic import) it hangs the job with no one to interrupt it; not a command following
a stream until it is interrupted (`with requests.get(url, stream=True) as r: for line in
r.iter_lines()`). The product's own commands are reported as service code: a package's
`__main__.py` and the modules of a scripts folder that is a
subpackage of the product's package (`app/scripts/backup.py`) run unattended on its hosts,
and a management command the product runs itself (a Procfile process, a cron entry or CronJob,
the docs scheduling it, `call_command()` from service code): a hang there blocks every later run. Nor is a module that is runnable only for a developer's convenience (an
`if __name__ == "__main__":` block) in a folder without `__init__.py` a script when the service imports it by its
package path (a namespace package: `from app.core.demo import seed`) or the deployment starts it (a container
entrypoint's `python "$DIR/jobs_bg.py" &`, a Dockerfile `CMD`, a Procfile process, a supervisord `command=`); nor a
helper of management commands one of whose functions the service queues by its dotted name
(django-q's `async_task("app.ml.ocr.run_ocr", path)`): the workers run it.

## Why is this bad?
A peer that stops answering holds the calling worker for as long as the socket stays
open: with no timeout that is forever. One slow dependency then exhausts every worker
and the outage cascades to all callers (Backend Posture R3).

## Example
```python
import requests

def fetch_rates():
    return requests.get("https://rates.example.com/today").json()
```

## Use instead
```python
def fetch_rates():
    return requests.get("https://rates.example.com/today", timeout=(3.05, 27)).json()
```

## References
- requests: https://requests.readthedocs.io/en/latest/user/advanced/#timeouts
- httpx: https://www.python-httpx.org/advanced/timeouts/
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs.http import (
    ClientBinding,
    OutboundCall,
    RequestWrapper,
    client_for,
    none_default_parameter,
    outbound_calls,
    passed_argument,
    pycurl_requests,
    request_wrapper,
    uses_http,
    wrapper_callers,
    wrapper_calls,
)
from audit_lib.operator_code import (
    CLI_LIBRARIES,
    in_management_package,
    is_command_line_helper,
    is_offline_file,
    is_runnable_script,
    is_script_file,
    is_shipped_command,
    module_importers,
)
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    annotation_expr,
    call_name,
    dotted,
    enclosing_function,
    has_kwargs_splat,
    is_none,
    keyword,
    method_in_hierarchy,
    method_name,
    qualified,
    scope_of,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import is_test_file, module_constant, operator_command_line
from audit_lib.scheduled_commands import is_scheduled_command
from audit_lib.source import Project, SourceModule, is_management_command, project_files

HTTP_CLIENT_CONNECTIONS = {"http.client.HTTPConnection", "http.client.HTTPSConnection"}
HTTPX_CLIENTS = {"httpx.Client", "httpx.AsyncClient"}
HTTPX_TIMEOUTS = {"httpx.Timeout", "httpx.TimeoutConfig"}


@dataclass(frozen=True)
class UntimedLibraryCall:
    """A library client (or function) that sends with no timeout unless the project gives it one, and the ways
    it can: an argument, or the requests session the client keeps replaced (``api.http_session = session``) or
    given a mounted adapter after construction."""

    waits: str  # the finding's message after the call's name: what waits forever, and why
    fix: str  # its key in FIXES
    setting: str | None = None  # the argument that gives it a timeout; None: it takes none
    position: int = 0  # how many positional arguments may come before ``setting``
    session_attribute: str | None = None  # the attribute keeping its requests.Session
    setting_key: str | None = None  # the key of the ``setting`` dict that gives the timeout (redminelib's requests=)
    socket_default: bool = False  # it waits on the process-wide socket default (socket.setdefaulttimeout)
    fetches_url: bool = False  # a function that goes to the network only when handed a URL (else it parses text)


_CLIENT_WAIT = "client has no timeout: each request it sends can wait forever (the library's default is None)"
_REQUESTS_WAIT = "sends its requests with no timeout (the library takes none): each call on it can wait forever"
# Each entry checked in the library's source: the version a project is likely to pin has no limit by default.
# - jira: requests with timeout=None unless given (15th positional parameter in jira 2, 16th in jira 3).
# - Twilio: a TwilioHttpClient whose timeout is None unless one is handed in (5th argument, http_client).
# - meilisearch sends with timeout=None (position: the oldest version that takes it positionally).
# - owncloud, nextcloud_client, easywebdav: one requests session, no timeout on any request, none taken.
# - pynetbox 7 (core/api.py: self.http_session = requests.Session(); query.py: getattr(self.http_session, verb)(...)
#   with none), pyixapi 0.2 (the same, with proxies=): the documented way to a timeout is a session of one's own.
# - feedparser 6 (up to 6.0.14, http.get: urllib's opener.open(request) with no timeout) when handed a URL.
# - python-redmine (redminelib 2.x, engines/base.py: every request is session.request(method, url, **kwargs) with
#   the keys of the client's requests= options merged in): no timeout unless requests={"timeout": ...}.
# - musicbrainzngs 0.7 (musicbrainz.py _safe_read: opener.open(req) with no timeout, none taken): every get_*,
#   search_*, browse_*, submit_*, add_*/remove_* function, and the Cover Art Archive's get_image* (caa.py).
# Finite by default, so not here: caldav 2+ (niquests: 30 s reads, 120 s writes when timeout is None; caldav 1
# used requests), python-bugzilla (300 s), pymediawiki (15 s), PyGithub (15 s), minio (urllib3, 5 min), Temporal
# (sdk-core gives each RPC without rpc_timeout a 30 s grpc-timeout). Nor mail and FTP clients (smtplib, imaplib,
# poplib, ftplib, imap_tools): the rule names HTTP and gRPC clients only.
UNTIMED_LIBRARY_CALLS = {
    **dict.fromkeys(("jira.JIRA", "jira.client.JIRA"), UntimedLibraryCall(_CLIENT_WAIT, "jira", "timeout", 14)),
    **dict.fromkeys(("twilio.rest.Client", "twilio.rest.client.Client"), UntimedLibraryCall(
        "sends through the default TwilioHttpClient, whose timeout is None: each API call on it can wait forever",
        "twilio", "http_client", 4)),
    **dict.fromkeys(("meilisearch.Client", "meilisearch.client.Client"),
                    UntimedLibraryCall(_CLIENT_WAIT, "client", "timeout", 2)),
    **dict.fromkeys(("owncloud.Client", "owncloud.owncloud.Client", "nextcloud_client.Client",
                     "nextcloud_client.nextcloud_client.Client", "easywebdav.connect", "easywebdav.Client",
                     "easywebdav.client.Client"), UntimedLibraryCall(_REQUESTS_WAIT, "untimed client")),
    **dict.fromkeys(("pynetbox.api", "pynetbox.core.api.Api", "pyixapi.api", "pyixapi.core.api.API"),
                    UntimedLibraryCall("sends every request on a requests.Session with no timeout (its http_session): "
                                       "each call on it can wait forever", "untimed session",
                                       session_attribute="http_session")),
    **dict.fromkeys(("redminelib.Redmine", "redmine.Redmine"), UntimedLibraryCall(
        _CLIENT_WAIT, "redmine", "requests", 1, setting_key="timeout")),
    **dict.fromkeys(("feedparser.parse", "feedparser.api.parse"), UntimedLibraryCall(
        "fetches the feed with urllib and no timeout: it waits forever for a server that stops answering",
        "feedparser", socket_default=True, fetches_url=True)),
}
# Libraries whose request functions (named by these prefixes) take no timeout at all
UNTIMED_LIBRARY_FUNCTIONS = {
    module: (("get_", "search_", "browse_", "submit_", "add_", "remove_"), UntimedLibraryCall(
        "sends its request with urllib and no timeout (the library takes none): it waits forever for a server "
        "that stops answering", "socket default", socket_default=True))
    for module in ("musicbrainzngs", "musicbrainzngs.musicbrainz", "musicbrainzngs.caa")}
UNTIMED_LIBRARY_ROOTS = frozenset(name.split(".", 1)[0] for name in [*UNTIMED_LIBRARY_CALLS, *UNTIMED_LIBRARY_FUNCTIONS])


def _untimed_library_call(name: str | None) -> UntimedLibraryCall | None:
    if name in UNTIMED_LIBRARY_CALLS:
        return UNTIMED_LIBRARY_CALLS[name]
    owner, _, function = (name or "").rpartition(".")
    prefixes, library = UNTIMED_LIBRARY_FUNCTIONS.get(owner, ((), None))
    return library if function.startswith(prefixes) else None

MAX_LAUNCH_FILE_BYTES = 200_000
MCP_SESSIONS = {"mcp.ClientSession", "mcp.client.session.ClientSession"}  # read_timeout_seconds defaults to None
MCP_NETWORK_TRANSPORTS = {"mcp.client.sse.sse_client", "mcp.client.streamable_http.streamablehttp_client",
                          "mcp.client.streamable_http.streamable_http_client", "mcp.client.websocket.websocket_client"}
# google-genai's Client sends through httpx with timeout=HttpOptions.timeout, None unless given: no limit at all
GENAI_CLIENTS = {"google.genai.Client", "google.genai.client.Client"}
GENAI_HTTP_OPTIONS = {"google.genai.types.HttpOptions", "google.genai.types.HttpOptionsDict"}
THRIFT_HTTP = {"thrift.transport.THttpClient.THttpClient"}  # no timeout unless setTimeout(ms) is called
PLAIN_ADAPTERS = {"requests.adapters.HTTPAdapter", "requests.HTTPAdapter"}
DEADLINE_SCOPES = {"asyncio.timeout", "asyncio.timeout_at", "async_timeout.timeout", "anyio.fail_after",
                   "anyio.move_on_after", "trio.fail_after", "trio.move_on_after"}
URLLIB_RETRIEVE = {"urllib.request.urlretrieve", "urllib.urlretrieve"}  # no timeout parameter at all
URLLIB_OPENERS = {"urllib.request.build_opener", "urllib2.build_opener"}
AIOHTTP_TIMEOUTS = {"aiohttp.ClientTimeout", "aiohttp.client.ClientTimeout", "aiohttp.timeout.ClientTimeout"}
SESSION_DEFAULT_TIMEOUT = {"aiohttp", "urllib3"}  # libraries whose sessions carry a timeout for every call
FIXES = {
    "requests": "pass timeout=(3.05, 27) (connect, read seconds), or mount an adapter that sets a default timeout",
    "httpx": "drop timeout=None or pass httpx.Timeout(10.0, connect=3.0)",
    "aiohttp": "pass timeout=aiohttp.ClientTimeout(total=30) to the call or the ClientSession",
    "urllib3": "pass timeout=urllib3.Timeout(connect=3.0, read=27.0) to the call or the PoolManager",
    "urllib": "pass timeout=10 (urlretrieve takes none: download with urlopen(url, timeout=10))",
    "http.client": "pass timeout=10 to the connection",
    "grpc": "pass timeout=<seconds> (the call's deadline) to the stub call",
    "tornado": "drop request_timeout=None/0 (tornado's default is 20 seconds) or pass request_timeout=10",
    "pycurl": "set c.setopt(pycurl.TIMEOUT, 30) (and CONNECTTIMEOUT) on the handle",
    "thrift": "call transport.setTimeout(30_000) (milliseconds) before opening it",
    "jira": "pass timeout=30 (seconds) to JIRA(...): its requests have none by default",
    "redmine": "pass requests={\"timeout\": 30} to Redmine(...): its requests have none by default",
    "socket default": "set a process-wide limit at startup (socket.setdefaulttimeout(30)) or call it under a "
                      "deadline: the library takes no timeout",
    "client": "pass timeout=<seconds> to the client's constructor: by default it waits forever",
    "twilio": "pass http_client=TwilioHttpClient(timeout=10) to Client(...)",
    "mcp": "pass read_timeout_seconds=timedelta(seconds=30) to ClientSession (each request's own can override it)",
    "untimed client": "call it under a deadline (a worker time limit, a thread with a timeout), or give its requests "
                      "session a default timeout (a Session subclass or adapter that sets one)",
    "untimed session": "replace the client's session: api.http_session = session, a requests.Session with a mounted "
                       "adapter (or subclass) that sets a default timeout",
    "feedparser": "fetch the feed yourself (requests.get(url, timeout=10)) and hand feedparser.parse() its content",
    "wrapper": "pass a timeout to the wrapper, or give its timeout parameter a default in seconds",
    "forwarding wrapper": "pass timeout=<seconds> here, or have the wrapper set a default (kwargs.setdefault(\"timeout\", 30))",
    "twisted": "give the Deferred a limit: d.addTimeout(30, reactor) (treq: pass timeout=30)",
    "oidc": "set OIDC_TIMEOUT (seconds, or a (connect, read) pair) in the Django settings",
    "genai": "pass http_options=types.HttpOptions(timeout=60_000) (milliseconds) to genai.Client(...)",
}


@rule("R3.http-no-timeout", on="module", scope="code", severity="high")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if is_test_file(module):
        return
    if not _run_by_hand(module, project):
        yield from _findings(module, project)
    elif _product_command_line(module, project):
        follows = {n.lineno for n in module.nodes_of(ast.Call) if _event_stream(module, n, followed=True)}
        for finding in _findings(module, project):
            if finding.line in follows:
                continue  # a command that follows a stream until the operator interrupts it
            finding.confidence = Confidence.low
            finding.message += f" ({BY_HAND_NOTE})"
            yield finding


def _findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    seen: set[int] = set()
    for call in outbound_calls(module, project):
        seen.add(id(call.node))
        problem = _problem(module, project, call)
        if problem:
            message, confidence = problem
            yield _finding(module, call.node, message, call.library, confidence)
    if module.imports_module("aiohttp"):
        for node in module.nodes_of(ast.Call):
            disabled = _disabled_client_timeout(module, keyword(node, "timeout")) if id(node) not in seen else None
            if disabled and isinstance(node.func, ast.Attribute) and not _under_deadline(module, node) \
                    and not (call_name(module, node) or "").startswith("aiohttp."):  # the session it configures
                yield _finding(module, node, f"{dotted(node.func) or node.func.attr}() has no read timeout: its "
                               f"{disabled} sets no finite total or sock_read", "aiohttp", Confidence.high)
    if module.imports_module("urllib.request") or module.imports_module("urllib2"):
        for node in module.nodes_of(ast.Call):
            message = _urllib_problem(module, project, node)
            if message:
                yield _finding(module, node, message, "urllib", Confidence.high)
    for call, wrapper in wrapper_calls(module, project):
        message = _wrapper_problem(module, call, wrapper)
        if message:
            yield _finding(module, call, message, "wrapper", Confidence.high)
    for call, message in _own_wrapper_problems(module, project):
        yield _finding(module, call, message, "forwarding wrapper", Confidence.high)
    for request in pycurl_requests(module):
        message = _pycurl_problem(module, project, request)
        if message:
            yield _finding(module, request.node, message, "pycurl", Confidence.high)
    if module.imports_module("thrift.transport"):
        for node in module.nodes_of(ast.Call):
            if call_name(module, node) in THRIFT_HTTP and not _thrift_timeout_set(module, node):
                yield _finding(module, node, "thrift THttpClient() transport has no timeout (no setTimeout())", "thrift",
                               Confidence.high)
    if any(module.imports_module(root) for root in UNTIMED_LIBRARY_ROOTS):
        for node in module.nodes_of(ast.Call):
            name = call_name(module, node)
            library = _untimed_library_call(name)
            if library is not None and _library_call_untimed(module, project, node, library):
                yield _finding(module, node, f"{name}() {library.waits}", library.fix, Confidence.high)
    if module.imports_module("google.genai"):
        for node in module.nodes_of(ast.Call):
            name = call_name(module, node)
            if name in GENAI_CLIENTS and _genai_client_untimed(module, node):
                yield _finding(module, node, f"{name}() has no HttpOptions timeout: the SDK hands timeout=None to httpx "
                               "on every request (turning its default off), so each call on the client (and its .aio "
                               "client) can wait forever", "genai", Confidence.high)
    if module.imports_module("mcp"):
        for node in module.nodes_of(ast.Call):
            if call_name(module, node) in MCP_SESSIONS and _mcp_session_untimed(module, node):
                yield _finding(module, node, f"{call_name(module, node)}() over a network transport has no "
                               "read_timeout_seconds: initialize() and every request wait forever for a server "
                               "that stops answering", "mcp", Confidence.high)
    if module.imports_module("requests") and ("to_thread" in module.text or "run_in_executor" in module.text):
        for node in module.nodes_of(ast.Call):
            message = _threaded_request_problem(module, node)
            if message:
                yield _finding(module, node, message, "requests", Confidence.high)
    if module.imports_module("google_auth_oauthlib"):
        for node in module.nodes_of(ast.Call):
            if _untimed_flow_token(module, project, node):
                yield _finding(module, node, f"{dotted(node.func)}() of a google_auth_oauthlib Flow has no timeout: "
                               "it posts to the token endpoint through requests-oauthlib with none", "requests",
                               Confidence.high)
    if any(module.imports_module(integration) for integration in AUTHLIB_REQUESTS_OAUTH) or ".register(" in module.text:
        for node in module.nodes_of(ast.Call):
            if _untimed_oauth_registration(module, node, project):
                yield _finding(module, node, f"{dotted(node.func)}() registers an authlib OAuth client whose "
                               "client_kwargs give no timeout: its requests session sends the metadata, JWKS and "
                               "token requests with none", "requests", Confidence.high)
    if _untimed_oauth_clients(project):
        for node in module.nodes_of(ast.Call):
            message = _untimed_oauth_request(module, project, node)
            if message:
                yield _finding(module, node, message, "requests", Confidence.high)
    if any(module.imports_module(sdk) for sdk in PAYPAL_SDKS):
        for node in module.nodes_of(ast.Call):
            if _untimed_paypal_execute(module, node):
                yield _finding(module, node, f"{dotted(node.func)}() of a PayPal HttpClient has no timeout: paypalhttp "
                               "sends the request (and the access token request before it) with requests and none",
                               "untimed client", Confidence.high)
    if module.imports_module("mozilla_django_oidc"):
        for node, method in _untimed_oidc_requests(module, project):
            yield _finding(module, node, f"self.{method} of mozilla-django-oidc's backend has no timeout: it passes "
                           "timeout=OIDC_TIMEOUT to requests, and the settings set none (the default is None)",
                           "oidc", Confidence.high)
    if module.imports_module("twisted.web") or module.imports_module("treq"):
        for node in module.nodes_of(ast.Call):
            message = _twisted_request_problem(module, node)
            if message:
                yield _finding(module, node, message, "twisted", Confidence.high)
    if uses_http(module):
        for node in walk_nodes(module.tree):
            if isinstance(node, ast.Call):
                problem = _constructor_problem(module, project, node)
                if problem:
                    yield _finding(module, node, *problem, Confidence.high)


def _run_by_hand(module: SourceModule, project: Project, depth: int = 0) -> bool:
    """Test code, and scripts, CLIs and management commands an operator runs (not the product's own commands).
    A module that is runnable only for a developer's convenience (an ``if __name__ == "__main__":`` block) in a
    folder without ``__init__.py`` is no script when the product runs it: when code of the service imports it by
    its package path (a namespace package: ``from app.core.demo import seed``), or when the product's
    deployment starts it (a container entrypoint's ``python "$DIR/jobs.py" &``, a Dockerfile ``CMD``)."""
    if is_test_file(module):
        return True
    if not is_offline_file(module, project) or is_scheduled_command(module, project) \
            or is_shipped_command(module, project) and not operator_command_line(module):
        return False
    if depth > 3 or is_script_file(module) or in_management_package(module, project):
        return True
    if any(not _run_by_hand(caller, project, depth + 1) for caller in _naming_modules(module, project)):
        return False  # a task queue runs one of its functions, named by the service
    if not _loose_runnable(module, project):
        return True
    if _launched_by_deployment(module, project):
        return False
    return "." not in module.dotted_name or not any(
        not _run_by_hand(importer, project, depth + 1) for importer in module_importers(module, project))


BY_HAND_NOTE = "in a command run from the command line: run unattended, from cron, it hangs the job with no one to " \
               "interrupt it"
DEVELOPER_FOLDERS = {"docs", "doc", "examples", "example", "benchmarks", "bench", "dev"}
DEVELOPER_FILES = {"noxfile.py", "fabfile.py", "conf.py", "setup.py", "manage.py"}


def _product_command_line(module: SourceModule, project: Project, depth: int = 0) -> bool:
    """A script, CLI or management command (run by hand) that ships in the product's package, or a helper one
    of them imports: an installed command, a management command or a utility an operator may as well run from
    cron. Not a developer's tooling: a file outside the package folders (``upload-screenshots.py``,
    ``extras/authors/gen.py``), in a docs, examples or benchmarks folder, an invoke, nox or fabric task file, or
    a helper only migrations import. (Django finds the commands of a ``management/commands`` folder without
    ``__init__.py`` too.)"""
    parts = module.path.split("/")
    if not (project.in_package(module) or is_management_command(module.path)) or not parts[-1][:-3].isidentifier() \
            or parts[-1] in DEVELOPER_FILES or any(part in DEVELOPER_FOLDERS for part in parts[:-1]) \
            or "migrations" in parts or any(module.imports_module(tool) for tool in ("invoke", "fabric", "nox")):
        return False
    if is_management_command(module.path) or in_management_package(module, project) \
            or not is_command_line_helper(module, project):
        return True
    return depth < 3 and any(_product_command_line(importer, project, depth + 1)
                             for importer in module_importers(module, project) if not is_test_file(importer))


def _naming_modules(module: SourceModule, project: Project) -> list[SourceModule]:
    """The other modules that name one of the module's functions by its dotted path in a string: a task queue's
    job enqueued by name (django-q's ``async_task("app.ml.ocr.run_ocr", path)``, ``schedule(...)``)."""
    table = project.facts.get("r3.dotted_function_strings")
    if table is None:
        table = project.facts["r3.dotted_function_strings"] = {}
        for other in project.modules:
            if is_test_file(other):
                continue
            for node in other.nodes_of(ast.Constant):
                if isinstance(node.value, str) and node.value.count(".") >= 2 and all(
                        part.isidentifier() for part in node.value.split(".")):
                    table.setdefault(node.value.rpartition(".")[0], []).append((node.value.rpartition(".")[2], other))
    functions = {n.name for n in module.tree.body if isinstance(n, FUNCTION_TYPES)}
    return list({id(other): other for name, other in table.get(module.dotted_name, ())
                 if name in functions and other is not module}.values())


def _loose_runnable(module: SourceModule, project: Project) -> bool:
    """Judged offline only for being runnable outside a package folder: no script or CLI by its place, its name
    or its imports, and no helper of one."""
    return is_runnable_script(module, project) and not project.in_package(module) and not (
        is_script_file(module) or in_management_package(module, project) or is_command_line_helper(module, project)
        or any(module.imports_module(lib) for lib in CLI_LIBRARIES))


# ``python "$SCRIPT_DIR/jobs.py" &``, ``CMD ["python", "-u", "app/worker.py"]``: the file a launch line runs
LAUNCHED_SCRIPT = re.compile(r"\bpython[\d.]*[\"',\s]+(?:-\w+[\"',\s]+)*[\"']?(?:\$\{?\w+\}?/)?([\w./-]*\.py)\b")


def _launched_by_deployment(module: SourceModule, project: Project) -> bool:
    """Whether the product's deployment starts the module: a container entrypoint script (``entrypoint.sh``,
    ``docker-entrypoint.sh``), a Dockerfile's ``CMD``/``ENTRYPOINT``, a Procfile process or a supervisord
    ``command=`` runs ``python <path>`` naming it (by its path, or a tail of it only it has)."""
    launched = project.facts.get("r3.launched_scripts")
    if launched is None:
        launched = project.facts["r3.launched_scripts"] = _launched_scripts(project.root)
    tails = {path.lstrip("./") for path in launched}
    return any(module.path == tail or tail.endswith("/" + module.path) or module.path.endswith("/" + tail) and sum(
        m.path == tail or m.path.endswith("/" + tail) for m in project.modules) == 1 for tail in tails)


def _launched_scripts(root: Path) -> set[str]:
    found: set[str] = set()
    for path in project_files(root, _is_launch_file):
        name = path.name.lower()
        for line in _launch_file_lines(path):
            line = line.strip()
            if name.startswith("dockerfile") and not line.upper().startswith(("CMD", "ENTRYPOINT")) \
                    or name.startswith("procfile") and line.partition(":")[0].strip() == "release" \
                    or name.endswith(".conf") and not line.replace(" ", "").startswith("command="):
                continue
            found.update(LAUNCHED_SCRIPT.findall(line))
    return found


def _launch_file_lines(path: Path) -> list[str]:
    try:
        small = path.stat().st_size <= MAX_LAUNCH_FILE_BYTES
        return path.read_text(encoding="utf-8", errors="replace").splitlines() if small else []
    except OSError:
        return []


def _is_launch_file(name: str) -> bool:
    return name.startswith(("dockerfile", "procfile")) or "entrypoint" in name and name.endswith(".sh") \
        or "supervisor" in name and name.endswith(".conf")


def _finding(module: SourceModule, node: ast.Call, message: str, library: str, confidence: Confidence) -> Finding:
    return Finding(
        message=message,
        path=module.path,
        line=node.lineno,
        end_line=getattr(node, "end_lineno", node.lineno),
        evidence=module.evidence(node),
        fix=FIXES[library],
        confidence=confidence,
    )


REQUESTS_FUNCTIONS = {f"{lib}.{verb}" for lib in ("requests", "advocate")
                      for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")}


def _threaded_request_problem(module: SourceModule, call: ast.Call) -> str | None:
    """``await asyncio.to_thread(requests.get, url)``, ``loop.run_in_executor(None, requests.post, url, data)``
    (also over ``functools.partial(requests.get, url)``): the requests function is called in a worker thread with
    no ``timeout``, and the awaiting coroutine waits as long as the thread does."""
    name = call_name(module, call) or ""
    if name == "asyncio.to_thread" and call.args:
        target, keywords = call.args[0], call.keywords
    elif isinstance(call.func, ast.Attribute) and call.func.attr == "run_in_executor" and len(call.args) > 1:
        target, keywords = call.args[1], []
    else:
        return None
    if isinstance(target, ast.Call) and call_name(module, target) == "functools.partial" and target.args:
        target, keywords = target.args[0], [*keywords, *target.keywords]
    function = qualified(module, target)
    if function not in REQUESTS_FUNCTIONS or any(k.arg in (None, "timeout") for k in keywords) \
            or _under_deadline(module, call):
        return None
    return f"{function}() run in a thread by {name or call.func.attr}() has no timeout: the thread, and the " \
           "coroutine awaiting it, wait as long as the peer does"


OAUTH_FLOWS = {f"google_auth_oauthlib.flow.{cls}{how}" for cls in ("Flow", "InstalledAppFlow")
               for how in ("", ".from_client_config", ".from_client_secrets_file")}


def _untimed_flow_token(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """``flow = Flow.from_client_config(config, scopes=scopes)`` ... ``flow.fetch_token(code=code)``: the Flow hands
    its keywords to requests-oauthlib's ``OAuth2Session.fetch_token``, which sends the request with no timeout
    unless one is among them."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "fetch_token"
            and isinstance(call.func.value, ast.Name)) or keyword(call, "timeout") is not None:
        return False
    if has_kwargs_splat(call) and not _splats_without_timeout(module, project, call) or _under_deadline(module, call):
        return False
    fn = enclosing_function(module, call)
    name = call.func.value.id
    return fn is not None and any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
        and isinstance(n.value, ast.Call) and call_name(module, n.value) in OAUTH_FLOWS for n in walk_function_body(fn))


# authlib's Flask and Django clients send through a requests OAuth2Session, whose default_timeout is None (the
# Starlette client's httpx session has httpx's 5 second default)
AUTHLIB_REQUESTS_OAUTH = {f"authlib.integrations.{web}_client" for web in ("flask", "django")}
AUTHLIB_OAUTH_REGISTRIES = {f"{integration}.OAuth" for integration in AUTHLIB_REQUESTS_OAUTH}


# the methods of a registered authlib client that send a request through its session
AUTHLIB_CLIENT_REQUESTS = {"authorize_access_token", "fetch_access_token", "get", "post", "put", "patch", "delete",
                           "request", "userinfo"}


def _untimed_oauth_registration(module: SourceModule, call: ast.Call, project: Project | None = None) -> bool:
    """``oauth.register(name=..., client_kwargs={"scope": "openid"})`` on an authlib Flask or Django ``OAuth()``
    (bound once at module level, here or in the project module it is imported from: ``login.oauth.register``):
    the client's session takes its options from ``client_kwargs``, and a literal with no ``timeout``
    (``default_timeout``) key leaves every request it sends without one."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "register") or has_kwargs_splat(call) \
            or not _authlib_registry(module, project, call.func.value):
        return False
    options = keyword(call, "client_kwargs")
    return isinstance(options, ast.Dict) and None not in options.keys and not any(
        string_value(key) in ("timeout", "default_timeout") for key in options.keys)


def _authlib_registry(module: SourceModule, project: Project | None, value: ast.expr) -> bool:
    """``oauth`` bound to an authlib Flask/Django ``OAuth()`` in this file, or imported from the project module that
    binds it (``from app.login import oauth``, or ``login.oauth`` after ``from app import login``)."""
    if isinstance(value, ast.Name):
        owner, name = module, value.id
        imported = module.imports.get(name)
        if imported is not None and project is not None and "." in imported:
            owner, name = project.by_dotted_name.get(imported.rsplit(".", 1)[0]), imported.rsplit(".", 1)[1]
    elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and project is not None:
        owner, name = project.by_dotted_name.get(module.imports.get(value.value.id) or ""), value.attr
    else:
        return False
    registry = module_constant(owner, name) if owner is not None else None
    return isinstance(registry, ast.Call) and call_name(owner, registry) in AUTHLIB_OAUTH_REGISTRIES


def _untimed_oauth_clients(project: Project) -> set[str]:
    """Names of the authlib clients the service code registers with ``client_kwargs`` that give no timeout."""
    if "r3.untimed_oauth_clients" not in project.facts:
        names: set[str] = set()
        for other in project.modules:
            if is_test_file(other) or not any(other.imports_module(i) for i in AUTHLIB_REQUESTS_OAUTH) \
                    and ".register(" not in other.text:
                continue
            for call in other.nodes_of(ast.Call):
                if _untimed_oauth_registration(other, call, project):
                    name = keyword(call, "name") or (call.args[0] if call.args else None)
                    if string_value(name):
                        names.add(string_value(name))
        project.facts["r3.untimed_oauth_clients"] = names
    return project.facts["r3.untimed_oauth_clients"]


def _untimed_oauth_request(module: SourceModule, project: Project, call: ast.Call) -> str | None:
    """``oauth.musicbrainz.authorize_access_token()``, ``oauth.musicbrainz.post(url, data=...)`` with no ``timeout=``
    on a client registered (anywhere in the service code) with ``client_kwargs`` that give none."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in AUTHLIB_CLIENT_REQUESTS
            and isinstance(func.value, ast.Attribute)) or keyword(call, "timeout") is not None \
            or has_kwargs_splat(call) or _under_deadline(module, call):
        return None
    untimed = _untimed_oauth_clients(project)
    if func.value.attr not in untimed or not _authlib_registry(module, project, func.value.value):
        return None
    return f"{dotted(func)}() on an authlib OAuth client registered with client_kwargs that give no timeout: " \
           "its requests session sends with none"


# paypalhttp's HttpClient.execute (the Checkout and Payouts SDKs' PayPalHttpClient extends it) calls
# requests.request(...) with no timeout and takes none, for the access token request too
PAYPAL_SDKS = ("paypalhttp", "paypalcheckoutsdk", "paypalpayoutssdk")
PAYPAL_CLIENTS = {"paypalhttp.HttpClient", "paypalhttp.http_client.HttpClient",
                  *(f"{sdk}.core.{path}PayPalHttpClient" for sdk in PAYPAL_SDKS[1:] for path in ("", "paypal_http_client."))}


def _untimed_paypal_execute(module: SourceModule, call: ast.Call) -> bool:
    """``client.execute(request)`` on a ``PayPalHttpClient(environment)`` (inline, a local bound once, a module
    global or a ``self.`` attribute of the class bound once)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "execute") or _under_deadline(module, call):
        return False
    client = call.func.value
    if isinstance(client, (ast.Name, ast.Attribute)) and dotted(client):
        client = _assigned_once(module, call, dotted(client)) or (
            module_constant(module, client.id) if isinstance(client, ast.Name) else None)
    return isinstance(client, ast.Call) and call_name(module, client) in PAYPAL_CLIENTS


# mozilla-django-oidc's backend sends its token, userinfo and JWKS requests with timeout=OIDC_TIMEOUT (None unless set)
OIDC_BACKENDS = {"mozilla_django_oidc.auth.OIDCAuthenticationBackend"}
OIDC_REQUEST_METHODS = {"get_token", "get_userinfo", "retrieve_matching_jwk"}


def _untimed_oidc_requests(module: SourceModule, project: Project) -> Iterator[tuple[ast.Attribute, str]]:
    """``self.get_userinfo(...)`` (called, or handed on as a bound method) in a subclass of mozilla-django-oidc's
    ``OIDCAuthenticationBackend`` that does not define it, when no module of the service code names
    ``OIDC_TIMEOUT``."""
    if any("OIDC_TIMEOUT" in other.text for other in project.modules if not is_test_file(other)):
        return
    for cls in module.nodes_of(ast.ClassDef):
        if not any(qualified(module, base) in OIDC_BACKENDS for base in cls.bases):
            continue
        defined = {n.name for n in cls.body if isinstance(n, FUNCTION_TYPES)}
        for node in walk_nodes(cls):
            if isinstance(node, ast.Attribute) and node.attr in OIDC_REQUEST_METHODS - defined \
                    and isinstance(node.value, ast.Name) and node.value.id == "self" and isinstance(node.ctx, ast.Load):
                yield node, node.attr


# Twisted's agents: ``connectTimeout`` bounds the TCP connect only; the response is awaited without limit unless
# the Deferred is given ``addTimeout``. treq takes ``timeout=`` per request.
TWISTED_AGENTS = {f"twisted.web.client.{name}" for name in (
    "Agent", "Agent.usingEndpointFactory", "RedirectAgent", "BrowserLikeRedirectAgent", "ContentDecoderAgent",
    "ProxyAgent", "CookieAgent")}
TREQ_FUNCTIONS = {f"treq.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head", "request")}
DEFERRED_TIMEOUTS = ("addTimeout", "timeout_deferred", "callLater", "timeout")


def _twisted_request_problem(module: SourceModule, call: ast.Call) -> str | None:
    """``await self.agent.request(b"GET", uri)`` on a Twisted ``Agent`` (a local, or an attribute the class or a
    class of its file extending it sets to one) and ``treq.get(url)`` without ``timeout=``, in a function that
    gives the Deferred no timeout (``d.addTimeout(30, reactor)``, ``reactor.callLater(30, d.cancel)``)."""
    name = call_name(module, call) or ""
    if name in TREQ_FUNCTIONS:
        if keyword(call, "timeout") is not None or has_kwargs_splat(call) or _deferred_timed(module, call):
            return None
        return f"{name}() has no timeout: the request waits for the response without limit"
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "request" and len(call.args) >= 2) \
            or not _twisted_agent(module, call.func.value, call) or _deferred_timed(module, call):
        return None
    return (f"{dotted(call.func) or 'request'}() on a Twisted Agent has no timeout: connectTimeout bounds the "
            "connection only, the response is awaited without limit (no addTimeout on the Deferred)")


def _twisted_agent(module: SourceModule, receiver: ast.expr, call: ast.Call) -> bool:
    if isinstance(receiver, ast.Name):
        return _makes_twisted_agent(module, receiver, enclosing_function(module, call))
    if not (isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and receiver.value.id == "self"):
        return False
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    if cls is None:
        return False
    related = {cls.name} | _base_names(cls)  # the class, its bases and its subclasses in this file
    classes = [c for c in module.nodes_of(ast.ClassDef) if c.name in related or cls.name in _base_names(c)]
    for klass in classes:
        for method in klass.body:
            if not isinstance(method, FUNCTION_TYPES):
                continue
            for node in walk_function_body(method):
                if isinstance(node, ast.Assign) and any(dotted(t) == f"self.{receiver.attr}" for t in node.targets) \
                        and _makes_twisted_agent(module, node.value, method):
                    return True
    return False


def _base_names(cls: ast.ClassDef) -> set[str]:
    """``class SimpleHttpClient(HTTPClient[Agent])``: {"HTTPClient"}."""
    return {dotted(b.value if isinstance(b, ast.Subscript) else b) or "" for b in cls.bases}


def _makes_twisted_agent(module: SourceModule, value: ast.expr, fn: ast.AST | None = None) -> bool:
    """``Agent(reactor)``, ``RedirectAgent(Agent(reactor))``, or a local of ``fn`` bound to one."""
    if isinstance(value, ast.Call):
        return call_name(module, value) in TWISTED_AGENTS
    if isinstance(value, ast.Name) and fn is not None:
        return any(isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)
                   and _makes_twisted_agent(module, n.value) for n in walk_function_body(fn))
    return False


def _deferred_timed(module: SourceModule, call: ast.Call) -> bool:
    fn = enclosing_function(module, call)
    return _under_deadline(module, call) or fn is not None and (any(
        isinstance(n, ast.Attribute) and n.attr in DEFERRED_TIMEOUTS for n in walk_function_body(fn))
        or _implements_agent(module, fn) or _cancelled_by_caller(module, call))


def _implements_agent(module: SourceModule, fn: ast.AST) -> bool:
    """The ``request`` method of a class declared ``@implementer(IAgent)``: an agent wrapping another one; the
    client calling it gives the Deferred its limit (``timeout_deferred(agent.request(...), 60)``)."""
    cls = module.parents.get(fn)
    return getattr(fn, "name", "") == "request" and isinstance(cls, ast.ClassDef) and any(
        isinstance(d, ast.Call) and (dotted(d.func) or "").endswith("implementer")
        and any((dotted(a) or "").rsplit(".", 1)[-1] == "IAgent" for a in d.args) for d in cls.decorator_list)


def _cancelled_by_caller(module: SourceModule, call: ast.Call) -> bool:
    """A request in a ``try`` that lets Twisted's ``CancelledError`` through (``except defer.CancelledError:
    raise``) before handling other failures: the code is written to be cancelled by a caller's timeout."""
    return any(isinstance(a, ast.Try) and any(
        h.type is not None and (dotted(h.type) or "").rsplit(".", 1)[-1] == "CancelledError"
        and len(h.body) == 1 and isinstance(h.body[0], ast.Raise) for h in a.handlers)
        for a in ancestors(module, call))


def _urllib_problem(module: SourceModule, project: Project, call: ast.Call) -> str | None:
    """``urlretrieve(url, path)`` (it takes no timeout: the socket default, none unless the project sets one)
    and ``open(url)`` of an opener from ``build_opener()`` (inline or bound once) with no timeout."""
    if _under_deadline(module, call):
        return None
    name = call_name(module, call)
    if _sets_socket_default(project):
        return None  # the process-wide default bounds every socket opened without a timeout
    if name in URLLIB_RETRIEVE:
        return f"{name}() has no timeout (it takes none): the download can wait forever"
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "open") or keyword(call, "timeout") is not None \
            or len(call.args) >= 3 or has_kwargs_splat(call):
        return None
    opener = call.func.value
    if isinstance(opener, ast.Name):
        opener = _assigned_once(module, call, opener.id) or module_constant(module, opener.id)
    if isinstance(opener, ast.Call) and call_name(module, opener) in URLLIB_OPENERS:
        return f"{dotted(call.func) or 'open'}() of a urllib opener has no timeout"
    return None


def _thrift_timeout_set(module: SourceModule, call: ast.Call) -> bool:
    """Whether the transport a ``THttpClient(...)`` call makes is given ``setTimeout(...)``: on the
    name it is assigned to, in its function (in the file for an attribute)."""
    parent = module.parents.get(call)
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and dotted(parent.targets[0])):
        return False
    name = dotted(parent.targets[0])
    scope = enclosing_function(module, call) if "." not in name else None
    nodes = walk_function_body(scope) if scope is not None else walk_nodes(module.tree)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "setTimeout"
               and dotted(n.func.value) == name for n in nodes)


def _wrapper_problem(module: SourceModule, call: ast.Call, wrapper: RequestWrapper) -> str | None:
    """A call of a project request wrapper that leaves its None-default timeout parameter out."""
    if any(isinstance(a, ast.Starred) for a in call.args) or has_kwargs_splat(call):
        return None  # the caller's options may carry the timeout
    given = passed_argument(call, wrapper)
    if given is not None and not is_none(given) or _under_deadline(module, call):
        return None
    if wrapper.outbound is not None and _event_stream(wrapper.module, wrapper.outbound.node):
        return None
    how = "given None" if given is not None else "left out"
    return (f"{dotted(call.func) or wrapper.name}() sends a {wrapper.library} request through the project's "
            f"wrapper {wrapper.name}(), whose {wrapper.parameter}= defaults to None and is {how} here: no timeout at all")


UNTIMED_LIBRARIES = {"treq": "treq", "requests": "requests", "advocate": "requests"}  # no timeout unless given one


def _own_wrapper_problems(module: SourceModule, project: Project) -> Iterator[tuple[ast.Call, str]]:
    """``self._http.post(ep, json=body)`` on an instance of a project class whose method hands the caller's
    ``**options`` on, through its own methods and those of the objects it keeps, to a request function that
    waits forever unless given a timeout (``getattr(treq, method)(url, **kwargs)``), none of them setting one:
    the call site leaves the timeout out."""
    forwarding = _options_forwarding_methods(project)
    for call in module.nodes_of(ast.Call):
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in forwarding or keyword(call, "timeout") is not None \
                or has_kwargs_splat(call) or any(isinstance(a, ast.Starred) for a in call.args) \
                or dotted(func.value) in (None, "self"):
            continue
        cls = _instance_class(module, project, func.value, call)
        found = method_in_hierarchy(project, cls[0], cls[1], func.attr) if cls is not None else None
        libraries = _forwarded_to_untimed(project, *found, 0) if found is not None else None
        if not libraries or _deferred_timed(module, call):
            continue
        if libraries != {"treq"} and _only_method_named(project, func.attr):
            continue  # the request it forwards to is reported where it is sent, naming its callers
        yield call, (f"{dotted(func)}() sends a {' or '.join(sorted(libraries))} request through the project's wrapper "
                     f"{cls[1].name}.{func.attr}(), which hands the caller's options on and sets no timeout: "
                     "none is given here, so it waits forever")


def _options_forwarding_methods(project: Project) -> set[str]:
    """Names of the methods of the service code's classes that take ``**options``."""
    if "r3.options_forwarding_methods" not in project.facts:
        project.facts["r3.options_forwarding_methods"] = {
            fn.name for m in project.modules if not is_test_file(m) for cls in m.nodes_of(ast.ClassDef)
            for fn in cls.body if isinstance(fn, FUNCTION_TYPES) and fn.args.kwarg is not None}
    return project.facts["r3.options_forwarding_methods"]


def _instance_class(module: SourceModule, project: Project, receiver: ast.expr,
                    at: ast.AST) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project class ``receiver`` is an instance of: a local of the function, or a ``self.`` attribute of
    the class and its project bases, every binding of which constructs it (``self._http = yield WebSession(...)``)."""
    name = dotted(receiver)
    if isinstance(receiver, ast.Name):
        fn = enclosing_function(module, at)
        scopes = [(module, walk_function_body(fn))] if fn is not None else []
    elif name.count(".") == 1 and name.startswith("self."):
        cls = next((a for a in ancestors(module, at) if isinstance(a, ast.ClassDef)), None)
        scopes = [(owner, walk_nodes(klass)) for owner, klass in _class_and_bases(project, module, cls, 4)]
    else:
        return None
    made: dict[str | None, SourceModule] = {}  # qualified constructor -> the file that calls it
    for owner, nodes in scopes:
        for node in nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None \
                    and any(dotted(t) == name for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
                value = node.value.value if isinstance(node.value, (ast.Await, ast.Yield, ast.YieldFrom)) else node.value
                made[call_name(owner, value) if isinstance(value, ast.Call) else None] = owner
    if len(made) != 1 or None in made:
        return None
    constructor, owner = made.popitem()
    return _class_and_file(owner, project, constructor)


def _class_and_bases(project: Project, module: SourceModule, cls: ast.ClassDef | None,
                     depth: int) -> Iterator[tuple[SourceModule, ast.ClassDef]]:
    """The class and its project base classes (``depth`` levels up), each with its file."""
    if cls is None:
        return
    yield module, cls
    for base in cls.bases if depth else []:
        parent = _class_and_file(module, project, qualified(module, base) or "")
        if parent is not None:
            yield from _class_and_bases(project, *parent, depth - 1)


def _forwarded_to_untimed(project: Project, module: SourceModule, fn: ast.AST, depth: int) -> set[str] | None:
    """The libraries a function's own ``**options`` reach, handed on (through methods of its class, of the
    objects the class keeps and functions of its file) to a request function that has no timeout unless
    given one; None when a function on the way mentions a timeout (it may set one)."""
    splat = fn.args.kwarg.arg if isinstance(fn, FUNCTION_TYPES) and fn.args.kwarg else None
    if splat is None or depth > 4 or _mentions_timeout(fn):
        return None
    cache = project.facts.setdefault("r3.forwarded_to_untimed", {})
    if id(fn) not in cache:
        cache[id(fn)] = set()  # a method forwarding to itself reaches nothing new
        cache[id(fn)] = _libraries_reached(project, module, fn, splat, depth)
    return cache[id(fn)]


def _libraries_reached(project: Project, module: SourceModule, fn: ast.AST, splat: str, depth: int) -> set[str] | None:
    reached: set[str] = set()
    for call in walk_function_body(fn):
        if not isinstance(call, ast.Call):
            continue
        if any(isinstance(a, ast.Name) and a.id == splat for a in call.args):
            helper = _callee(module, project, fn, call)
            if helper is None or _mentions_timeout(helper[1]):
                return None  # the options handed to code that may give them a timeout
        if not any(kw.arg is None and isinstance(kw.value, ast.Name) and kw.value.id == splat for kw in call.keywords):
            continue
        library = _untimed_request(module, call)
        callee = _callee(module, project, fn, call) if library is None else None
        libraries = {library} if library else _forwarded_to_untimed(project, *callee, depth + 1) if callee else set()
        if libraries is None:
            return None
        reached |= libraries
    return reached


def _untimed_request(module: SourceModule, call: ast.Call) -> str | None:
    """``treq.post(url, **kwargs)``, ``getattr(treq, method)(url, **kwargs)``: a request function of a library
    that sends it with no timeout unless one is given."""
    func = call.func
    if isinstance(func, ast.Call) and call_name(module, func) == "getattr" and func.args:
        func = func.args[0]
        library = qualified(module, func)
    else:
        library = (call_name(module, call) or "").rpartition(".")[0]
        if not any(call_name(module, call) in names for names in (TREQ_FUNCTIONS, REQUESTS_FUNCTIONS)):
            return None
    return UNTIMED_LIBRARIES.get(library or "")


def _callee(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The project function a call runs: ``self.method(...)`` of the class (or a project base), ``helper(...)``
    of the file, or ``self.attr.method(...)`` of the project class the class keeps in ``self.attr``."""
    func = call.func
    cls = next((a for a in ancestors(module, fn) if isinstance(a, ast.ClassDef)), None)
    if isinstance(func, ast.Attribute) and dotted(func.value) == "self" and cls is not None:
        return method_in_hierarchy(project, module, cls, func.attr)
    if isinstance(func, ast.Attribute) and cls is not None and (dotted(func.value) or "").count(".") == 1 \
            and dotted(func.value).startswith("self."):
        kept = _kept_class(module, project, cls, func.value.attr)
        return method_in_hierarchy(project, *kept, func.attr) if kept is not None else None
    helper = _local_function(module, fn, call) if isinstance(func, ast.Name) else None
    return (module, helper) if helper is not None else None


def _kept_class(module: SourceModule, project: Project, cls: ast.ClassDef,
                attribute: str) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project class of ``self.<attribute>``: set once from an ``__init__`` parameter annotated with it
    (``def __init__(self, http: HttpService): self.http = http``)."""
    init = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None)
    stores = [n for n in walk_nodes(cls) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
              and dotted(n) == f"self.{attribute}"]
    parent = module.parents.get(stores[0]) if len(stores) == 1 and init is not None else None
    if not (isinstance(parent, ast.Assign) and isinstance(parent.value, ast.Name)):
        return None
    parameter = next((a for a in init.args.args if a.arg == parent.value.id and a.annotation is not None), None)
    annotation = annotation_expr(parameter.annotation) if parameter is not None else None
    name = qualified(module, annotation) if annotation is not None else None
    return _class_and_file(module, project, name) if name else None


def _pycurl_problem(module: SourceModule, project: Project, request) -> str | None:
    """pycurl waits without limit unless TIMEOUT (or a low-speed limit) is set on the handle."""
    if _under_deadline(module, request.node):
        return None
    if not request.timeouts:
        return "pycurl request (perform()) has no timeout: no pycurl.TIMEOUT is set on the handle"
    fn = enclosing_function(module, request.node)
    wrapper = request_wrapper(project, fn) if fn is not None else None
    if wrapper is None or wrapper.sends is not request.node or wrapper_callers(project, wrapper):
        return None  # a timeout of its own, or one its callers give (they are judged)
    return (f"pycurl request (perform()) sets pycurl.TIMEOUT only from {wrapper.parameter}=, "
            f"None unless the caller gives one: no timeout at all")


def _sets_socket_default(project: Project) -> bool:
    """Whether the service code calls ``socket.setdefaulttimeout(...)``, the timeout of every socket
    opened without one."""
    if "r3.sets_socket_default" not in project.facts:
        project.facts["r3.sets_socket_default"] = any(
            call_name(m, n) == "socket.setdefaulttimeout" for m in project.modules
            if m.imports_module("socket") and not is_test_file(m) for n in m.nodes_of(ast.Call))
    return project.facts["r3.sets_socket_default"]


def _mcp_session_untimed(module: SourceModule, call: ast.Call) -> bool:
    """An MCP ``ClientSession(read, write)`` with no ``read_timeout_seconds``, built in a function that opens a
    network transport (``sse_client``, ``streamablehttp_client``): its requests wait for the answer without
    limit. (Over ``stdio_client`` alone the server is a child process of this one.)"""
    if has_kwargs_splat(call) or any(isinstance(a, ast.Starred) for a in call.args) and len(call.args) > 1 \
            or len(call.args) >= 3:
        return False
    limit = keyword(call, "read_timeout_seconds")
    if limit is not None and not is_none(limit):
        return False
    fn = enclosing_function(module, call)
    return fn is not None and any(isinstance(n, ast.Call) and call_name(module, n) in MCP_NETWORK_TRANSPORTS
                                  for n in walk_function_body(fn))


def _library_call_untimed(module: SourceModule, project: Project, call: ast.Call, library: UntimedLibraryCall) -> bool:
    """A call of a library in UNTIMED_LIBRARY_CALLS that leaves it with no timeout: no ``setting`` given (by
    keyword, as None or at its position), no session of the project's own given to the client afterwards, no
    process-wide socket default where that is what it waits on, and (for a parsing function) a URL to fetch."""
    if library.setting is not None and (has_kwargs_splat(call) or any(isinstance(a, ast.Starred) for a in call.args)
                                        or len(call.args) > library.position):
        return False
    given = keyword(call, library.setting) if library.setting is not None else None
    if library.setting_key is not None and given is not None:
        return isinstance(given, ast.Dict) and None not in given.keys \
            and library.setting_key not in map(string_value, given.keys)  # (options made elsewhere: unknown)
    if given is not None and not is_none(given):
        return False
    if library.socket_default and _sets_socket_default(project):
        return False
    if library.fetches_url and not (call.args and _names_url(module, call, call.args[0])):
        return False
    return library.session_attribute is None or not _session_replaced(module, project, call, library.session_attribute)


def _names_url(module: SourceModule, at: ast.AST, value: ast.expr) -> bool:
    """``"https://blog.example.com/index.xml"`` (inline, or bound once to a local or module constant), an f-string
    starting with a scheme, or a name spelled as an address (``feed_url``, ``settings.RSS_URL``)."""
    if isinstance(value, ast.Name):
        value = _assigned_once(module, at, value.id) or module_constant(module, value.id) or value
    if isinstance(value, ast.JoinedStr) and value.values:
        value = value.values[0]
    text = string_value(value)
    if text is not None:
        return text.startswith(("http://", "https://"))
    name = (dotted(value) or "").rsplit(".", 1)[-1].lower()
    return "url" in name or "uri" in name


def _session_replaced(module: SourceModule, project: Project, call: ast.Call, attribute: str, depth: int = 0) -> bool:
    """Whether the project gives the client a call builds a session of its own (``api.http_session = session``),
    patches its session's ``request`` or mounts an adapter on it that is not a plain ``HTTPAdapter``: where the
    client is bound (a local in its function, ``self.api`` in its class, a module global), where the callers of
    the function returning it (one of its name in the service code) bind it, or anywhere in the service code
    when it is handed on otherwise."""
    holder = module.parents.get(call)
    fn = enclosing_function(module, call)
    if isinstance(holder, ast.Return) and fn is not None and depth < 2 and _only_method_named(project, fn.name):
        return any(_session_replaced(other, project, site, attribute, depth + 1)
                   for other in project.modules if fn.name in other.text and not is_test_file(other)
                   for site in other.nodes_of(ast.Call) if (dotted(site.func) or "").rsplit(".", 1)[-1] == fn.name)
    target = dotted(holder.targets[0]) if isinstance(holder, ast.Assign) and len(holder.targets) == 1 \
        else dotted(holder.target) if isinstance(holder, ast.AnnAssign) else None
    if target is None:
        return any(_sets_session(other, node, lambda name: name.endswith(f".{attribute}"))
                   for other in project.modules if f".{attribute}" in other.text and not is_test_file(other)
                   for node in walk_nodes(other.tree))
    if target.startswith("self."):
        scope = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), module.tree)
    else:
        scope = scope_of(module, call)
    session = f"{target}.{attribute}"
    return any(_sets_session(module, node, lambda name: name == session) for node in walk_nodes(scope))


def _sets_session(module: SourceModule, node: ast.AST, is_session) -> bool:
    """``api.http_session = session``, ``api.http_session.request = partial(...)`` or ``api.http_session.mount(
    "https://", TimeoutAdapter())`` on a session ``is_session`` accepts the dotted name of."""
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            name = dotted(target) or ""
            if is_session(name) or name.endswith(".request") and is_session(name.removesuffix(".request")):
                return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "mount" \
            and is_session(dotted(node.func.value) or ""):
        adapter = node.args[1] if len(node.args) >= 2 else keyword(node, "adapter")
        return not (isinstance(adapter, ast.Call) and call_name(module, adapter) in PLAIN_ADAPTERS)
    return False


def _genai_client_untimed(module: SourceModule, call: ast.Call) -> bool:
    """``genai.Client(api_key=key)`` with no ``http_options``, or options (an ``HttpOptions(...)`` or a dict, inline
    or bound once) with no ``timeout`` or ``timeout=None``; not when the function gives its requests
    ``http_options`` of their own (``config=GenerateContentConfig(http_options=...)``) or options are handed in."""
    if has_kwargs_splat(call) or call.args:
        return False
    options = keyword(call, "http_options")
    if isinstance(options, ast.Name):
        options = _assigned_once(module, call, options.id) or module_constant(module, options.id)
    if options is None or is_none(options):
        fn = enclosing_function(module, call)
        return fn is None or not any(isinstance(n, ast.keyword) and n.arg == "http_options"
                                     or string_value(n) == "http_options" for n in walk_function_body(fn))
    if isinstance(options, ast.Call) and call_name(module, options) in GENAI_HTTP_OPTIONS \
            and not has_kwargs_splat(options):
        timeout = keyword(options, "timeout")
    elif isinstance(options, ast.Dict) and None not in options.keys:
        timeout = next((v for k, v in zip(options.keys, options.values) if string_value(k) == "timeout"), None)
    else:
        return False  # options made elsewhere: their timeout is unknown
    return timeout is None or is_none(timeout)


def _constructor_problem(module: SourceModule, project: Project, call: ast.Call) -> tuple[str, str] | None:
    """Timeouts that belong to the constructor: httpx clients and http.client connections."""
    name = call_name(module, call)
    timeout = keyword(call, "timeout")
    none_in_options = _timeout_disabled_in_options(module, call) if timeout is None and name in HTTPX_CLIENTS else None
    unbounded = none_in_options or _httpx_unbounded_read(module, timeout) if name in HTTPX_CLIENTS else None
    if unbounded and not _streams_events_only(module, call):
        return f"{name}() disables httpx's default timeout ({unbounded})", "httpx"
    if name in HTTP_CLIENT_CONNECTIONS and timeout is None and len(call.args) < 3 and not has_kwargs_splat(call) \
            and not _sets_socket_default(project):
        return f"{name}() has no timeout", "http.client"
    return None


def _problem(module: SourceModule, project: Project, call: OutboundCall) -> tuple[str, Confidence] | None:
    node = call.node
    if call.library == "tornado":
        return _tornado_problem(module, call)
    timeout = keyword(node, "timeout")
    none_in_options = _timeout_disabled_in_options(module, node) if timeout is None else None
    if none_in_options:
        timeout = ast.Constant(value=None)  # what the options hand the call
    if timeout is None and has_kwargs_splat(node) and not _splats_without_timeout(module, project, node):
        callers = _callers_without_timeout(module, project, node)
        if not callers:
            return None  # the caller's options may carry the timeout
        problem = _problem(module, project, OutboundCall(_without_splats(node), call.library, call.protocol,
                                                         call.operation, call.client))
        return (f"{problem[0]}: it forwards its **options, and {_listed(callers)} with no timeout", problem[1]) \
            if problem else None
    defaulted = _none_by_default(module, node, timeout)
    if defaulted:
        timeout = ast.Constant(value=None)  # what the call passes when its caller gives no timeout
    given = timeout is not None and not is_none(timeout)
    client = call.client
    label = _label(module, call)
    if defaulted:
        if _event_stream(module, node) or _under_deadline(module, node):
            return None
        wrapper = request_wrapper(project, enclosing_function(module, node))
        if wrapper is not None and wrapper.sends is node and wrapper_callers(project, wrapper):
            return None  # the project's calls of the wrapper are judged, each where it leaves the timeout out
        return (f"{label} passes timeout={defaulted}, None unless the caller gives one: no timeout at all "
                f"({'it overrides the client default' if call.library == 'httpx' else 'the default'})"), Confidence.high
    if call.library == "httpx":
        unbounded = none_in_options or _httpx_unbounded_read(module, timeout)
        if unbounded is None or _event_stream(module, node):
            return None
        return f"{label} disables httpx's default timeout ({unbounded})", Confidence.high
    if call.library == "http.client":
        return None  # judged where the connection is made
    if call.library == "urllib":
        return None if given or len(node.args) >= 3 or _sets_socket_default(project) \
            else (f"{label} has no timeout", Confidence.high)
    if call.library == "aiohttp" and not _under_deadline(module, node):
        disabled = _disabled_client_timeout(module, timeout if given else client.keyword("timeout") if client else None)
        if disabled:
            return f"{label} has no read timeout: its {disabled} sets no finite total or sock_read", Confidence.high
    if given or _under_deadline(module, node):
        return None
    if call.library == "grpc":
        return _grpc_problem(module, project, call, label)
    if client is None:
        return f"{label} has no timeout", Confidence.high
    if call.library in SESSION_DEFAULT_TIMEOUT:
        if client.opaque or client.sets("timeout"):
            return None
        return f"{client.library} session call {label} has no timeout (neither on the call nor on the session)", Confidence.high
    return _requests_session_problem(project, client, label)


def _httpx_unbounded_read(module: SourceModule, timeout: ast.expr | None) -> str | None:
    """``timeout=None``, or an ``httpx.Timeout`` (inline or bound once to a name) that leaves reading without
    limit: ``Timeout(None)``, ``Timeout(None, connect=5)``, ``Timeout(10, read=None)``; how it is written."""
    if timeout is None:
        return None
    if is_none(timeout):
        return "timeout=None"
    value = timeout
    if isinstance(value, ast.Name):
        value = _assigned_once(module, value, value.id) or module_constant(module, value.id)
    if not (isinstance(value, ast.Call) and call_name(module, value) in HTTPX_TIMEOUTS) or has_kwargs_splat(value):
        return None
    default = value.args[0] if value.args else keyword(value, "timeout")
    read = keyword(value, "read")
    if read is not None and is_none(read) or read is None and default is not None and is_none(default):
        return f"timeout={ast.unparse(value)}: no read timeout"
    return None


def _disabled_client_timeout(module: SourceModule, timeout: ast.expr | None) -> str | None:
    """``aiohttp.ClientTimeout(total=None, sock_read=None)`` (inline or bound once to a name where it is
    used): an explicit timeout that leaves reading without limit. aiohttp's own default (total=300) is not."""
    if isinstance(timeout, ast.Name):
        timeout = _assigned_once(module, timeout, timeout.id) or module_constant(module, timeout.id)
    if not (isinstance(timeout, ast.Call) and call_name(module, timeout) in AIOHTTP_TIMEOUTS) \
            or timeout.args or has_kwargs_splat(timeout):
        return None
    limits = {kw.arg: kw.value for kw in timeout.keywords}
    if any(name in limits and not is_none(limits[name]) for name in ("total", "sock_read")):
        return None
    given = ", ".join(f"{name}=None" for name in limits if is_none(limits[name]))
    return f"ClientTimeout({given})"


def _splats_without_timeout(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Whether every ``**options`` of a call is a dict the function builds itself with no timeout
    key: a literal, or a local assigned only such dicts or the result of a method of its class (or
    a function of its file, or one imported from a project module: ``**make_request_hooks()``) that
    returns only such dicts, and never given keys it cannot see."""
    fn = enclosing_function(module, call)
    return fn is not None and all(_timeout_free(module, project, fn, kw.value, 0)
                                  for kw in call.keywords if kw.arg is None)


def _timeout_free(module: SourceModule, project: Project, fn: ast.AST, value: ast.expr, depth: int) -> bool:
    if isinstance(value, ast.Dict):
        return all(k is not None and isinstance(k, ast.Constant) and k.value != "timeout" for k in value.keys)
    if isinstance(value, ast.Call) and (call_name(module, value) == "dict") and not value.args:
        return all(kw.arg is not None and kw.arg != "timeout" for kw in value.keywords)
    if depth > 2:
        return False
    if isinstance(value, ast.Call):
        owner, helper = _called_function(module, project, fn, value)
        returns = [n.value for n in walk_function_body(helper) if isinstance(n, ast.Return)] if helper else []
        return bool(returns) and all(r is not None and _timeout_free(owner, project, helper, r, depth + 1)
                                     for r in returns)
    if isinstance(value, ast.Attribute):
        return _attribute_timeout_free(module, project, fn, value, depth)
    if not isinstance(value, ast.Name):
        return False
    args = fn.args
    if value.id in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}:
        return False  # the caller's options
    assigned = []
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets):
            assigned.append(node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name) \
                and node.target.id == value.id:
            assigned.append(node.value)  # options: dict[str, Any] = {"code": code}
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr, ast.withitem)) \
                and any(isinstance(n, ast.Name) and n.id == value.id and isinstance(n.ctx, ast.Store)
                        for n in walk_nodes(node.optional_vars if isinstance(node, ast.withitem) else node.target)
                        if n is not None):
            return False  # bound some other way: options |= extra, for options in ..., with ... as options
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and dotted(t.value) == value.id
                                                  and not (isinstance(t.slice, ast.Constant) and t.slice.value != "timeout")
                                                  for t in node.targets):
            return False  # options[key] = ..., options["timeout"] = ...
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) == value.id \
                and node.func.attr in ("update", "setdefault", "__setitem__", "__ior__"):
            return False
    return bool(assigned) and all(_timeout_free(module, project, fn, v, depth + 1) for v in assigned)


def _attribute_timeout_free(module: SourceModule, project: Project, fn: ast.AST, value: ast.Attribute,
                            depth: int) -> bool:
    """``**self._settings`` where the class (and its subclasses) only assign ``self._settings`` dicts with no
    timeout key and only set other constant keys of it (``self._settings["auth"] = (user, passwd)``), and no other
    code of its file binds or updates that attribute of something else."""
    cls = next((a for a in ancestors(module, fn) if isinstance(a, ast.ClassDef)), None)
    if cls is None or dotted(value) != f"self.{value.attr}":
        return False
    assigned: list[tuple[SourceModule, ast.AST, ast.expr]] = []
    for owner in project.modules:
        if owner is not module and not (value.attr in owner.text and cls.name in owner.text):
            continue
        for node in owner.nodes_of(ast.Attribute):
            if node.attr != value.attr:
                continue
            klass = next((a for a in ancestors(owner, node) if isinstance(a, ast.ClassDef)), None)
            own = klass is cls or klass is not None and cls.name in _base_names(klass)
            if dotted(node.value) == "self" and not own or owner is not module and not own:
                continue  # another class's attribute of that name
            parent = owner.parents.get(node)
            if isinstance(node.ctx, ast.Store):
                method = enclosing_function(owner, node)
                if not (own and isinstance(parent, ast.Assign) and parent.targets == [node] and method is not None):
                    return False  # bound from outside, or some other way (self._settings |= extra)
                assigned.append((owner, method, parent.value))
            elif isinstance(parent, ast.Subscript) and parent.value is node and not isinstance(parent.ctx, ast.Load):
                if string_value(parent.slice) in (None, "timeout"):
                    return False  # self._settings[key] = ..., self._settings["timeout"] = ...
            elif isinstance(parent, ast.Attribute) and parent.attr in DICT_MUTATORS:
                return False
    return bool(assigned) and all(_timeout_free(owner, project, method, v, depth + 1) for owner, method, v in assigned)


DICT_MUTATORS = ("update", "setdefault", "__setitem__", "__ior__")


def _timeout_disabled_in_options(module: SourceModule, call: ast.Call) -> str | None:
    """How a ``**options`` the call is handed sets ``timeout`` to None in its function, the only place the
    function gives the options a timeout: ``kwargs.setdefault("timeout", None)`` (None unless the caller gives
    one), ``kwargs["timeout"] = None``, ``options = {"timeout": None}`` or ``dict(timeout=None)``; not when keys
    it cannot see are added or the timeout is taken out again."""
    fn = enclosing_function(module, call)
    for splat in (kw.value for kw in call.keywords if kw.arg is None) if fn is not None else ():
        if isinstance(splat, ast.Name):
            settings = _timeout_settings(module, fn, splat.id)
            if settings is not None and len(settings) == 1 and is_none(settings[0][0]):
                return ast.unparse(settings[0][1])
    return None


def _timeout_settings(module: SourceModule, fn: ast.AST, name: str) -> list[tuple[ast.expr, ast.AST]] | None:
    """Each value a function gives the ``timeout`` key of its dict ``name``, with where; None when keys it cannot
    see may be set or the key is removed."""
    settings: list[tuple[ast.expr, ast.AST]] = []
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) == name \
                and node.func.attr in (*DICT_MUTATORS, "pop", "clear"):
            key = string_value(node.args[0]) if node.args else None
            if node.func.attr not in ("setdefault", "pop") or key is None \
                    or node.func.attr == "pop" and key == "timeout":
                return None
            if key == "timeout" and node.func.attr == "setdefault":
                settings.append((node.args[1] if len(node.args) > 1 else ast.Constant(value=None), node))
        elif isinstance(node, ast.Subscript) and dotted(node.value) == name and not isinstance(node.ctx, ast.Load):
            key = string_value(node.slice)
            if key is None or key == "timeout" and isinstance(node.ctx, ast.Del):
                return None
            assignment = module.parents.get(node)
            if not isinstance(assignment, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                return None
            if key == "timeout":
                settings.append((assignment.value, assignment))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            parent = module.parents.get(node)
            literal = parent.value if isinstance(parent, ast.Assign) and parent.targets == [node] else None
            if isinstance(literal, ast.Dict) and None not in literal.keys:
                keyed = zip((string_value(k) for k in literal.keys), literal.values)
            elif isinstance(literal, ast.Call) and dotted(literal.func) == "dict" and not literal.args \
                    and not has_kwargs_splat(literal):
                keyed = ((kw.arg, kw.value) for kw in literal.keywords)
            else:
                return None
            settings += [(v, parent) for k, v in keyed if k == "timeout"]
    return settings


def _without_splats(call: ast.Call) -> ast.Call:
    copy = ast.Call(func=call.func, args=call.args, keywords=[k for k in call.keywords if k.arg is not None])
    return ast.copy_location(copy, call)


def _callers_without_timeout(module: SourceModule, project: Project, call: ast.Call) -> list[str]:
    """Where (file:line, in the order found) a function that forwards its own ``**options`` untouched to the call is called with no timeout
    and no splat. A method: as ``self.method(...)`` by a class whose ``self.method`` is that method (the
    class or a subclass that does not override it): ``def get_response(self, url, **kwargs):
    session.request("get", url, **kwargs)`` called as ``self.get_response(url)``; or on any object when no
    other function of the service code has its name (``source.client.get_response(url)``). A module-level
    function whose name no other function has: any call of that name, also through a function forwarding
    its own ``**options`` to it (``def request_json(url, **kwargs): return request_response(url, **kwargs)``)."""
    fn = enclosing_function(module, call)
    splats = [k.value for k in call.keywords if k.arg is None]
    if fn is None or len(splats) != 1 or not isinstance(splats[0], ast.Name):
        return []
    return _forwarder_callers(module, project, fn, splats[0].id, 0)


def _forwarder_callers(module: SourceModule, project: Project, fn: ast.AST, splat: str, depth: int) -> list[str]:
    if depth > 2 or not _forwards_own_options(fn, splat):
        return []
    in_class = isinstance(module.parents.get(fn), ast.ClassDef)
    if not in_class and not isinstance(module.parents.get(fn), ast.Module):
        return []
    only_one = _only_method_named(project, fn.name)
    if not in_class and not only_one:
        return []
    callers: list[str] = []
    for other in project.modules:
        if is_test_file(other) or fn.name not in other.text:
            continue
        for site in other.nodes_of(ast.Call):
            func = site.func
            if not (isinstance(func, ast.Attribute) and func.attr == fn.name
                    or not in_class and isinstance(func, ast.Name) and func.id == fn.name) \
                    or any(isinstance(a, ast.Starred) for a in site.args) or keyword(site, "timeout") is not None:
                continue
            if has_kwargs_splat(site):
                callers += _relayed_from(other, project, site, depth)
                continue
            if not in_class or dotted(func.value) != "self":
                if only_one:
                    callers.append(f"{other.path}:{site.lineno}")
                continue
            cls = next((a for a in ancestors(other, site) if isinstance(a, ast.ClassDef)), None)
            found = method_in_hierarchy(project, other, cls, fn.name) if cls is not None else None
            if found is not None and found[1] is fn:
                callers.append(f"{other.path}:{site.lineno}")
    return callers


def _relayed_from(module: SourceModule, project: Project, site: ast.Call, depth: int) -> list[str]:
    """The callers with no timeout of a function relaying its own ``**options`` to the forwarder at ``site``."""
    splats = [k.value for k in site.keywords if k.arg is None]
    relay = enclosing_function(module, site)
    if relay is None or len(splats) != 1 or not isinstance(splats[0], ast.Name):
        return []
    return _forwarder_callers(module, project, relay, splats[0].id, depth + 1)


def _listed(callers: list[str]) -> str:
    more = len(callers) - 3
    return f"{callers[0]} calls it" if len(callers) == 1 else \
        f"{', '.join(callers[:3])}{f' and {more} more' if more > 0 else ''} call it"


def _forwards_own_options(fn: ast.AST, splat: str) -> bool:
    """Whether ``splat`` is the function's own ``**options``, never given a timeout: only other constant
    keys are set (``kwargs["verify"] = True``) or popped."""
    if fn.args.kwarg is None or fn.args.kwarg.arg != splat:
        return False
    for n in walk_function_body(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == splat:
            return False  # options = ...
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and dotted(n.value) == splat \
                and not (isinstance(n.slice, ast.Constant) and n.slice.value != "timeout"):
            return False  # options["timeout"] = ..., options[key] = ...
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and dotted(n.func.value) == splat \
                and n.func.attr in ("update", "setdefault", "__setitem__", "__ior__"):
            return False
    return True


def _only_method_named(project: Project, name: str) -> bool:
    """Whether the service code defines one function of this name, a method: its calls on any object
    (``source.client.raw_get(url)``) are calls of it."""
    defined = [n for m in project.modules if not is_test_file(m) and name in m.text
               for n in walk_nodes(m.tree) if isinstance(n, FUNCTION_TYPES) and n.name == name]
    return len(defined) == 1


def _called_function(module: SourceModule, project: Project, fn: ast.AST,
                     call: ast.Call) -> tuple[SourceModule, ast.AST | None]:
    """The file and function a call calls: one of this file (see :func:`_local_function`) or a module-level
    function imported from a project module (``from app.net import request_hooks``)."""
    helper = _local_function(module, fn, call)
    owner_name, _, name = (call_name(module, call) or "").rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if helper is None and owner_name else None
    if owner is None:
        return module, helper
    return owner, next((n for n in owner.tree.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)


def _local_function(module: SourceModule, fn: ast.AST, call: ast.Call) -> ast.AST | None:
    """The function of this file a call calls: ``helper()`` at module level, ``self.helper()`` of the class."""
    func = call.func
    if isinstance(func, ast.Name):
        owner = module.tree
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        owner = next((a for a in ancestors(module, fn) if isinstance(a, ast.ClassDef)), None)
    else:
        return None
    name = func.id if isinstance(func, ast.Name) else func.attr
    return next((n for n in (owner.body if owner is not None else []) if isinstance(n, FUNCTION_TYPES) and n.name == name), None)


def _tornado_problem(module: SourceModule, call: OutboundCall) -> tuple[str, Confidence] | None:
    """tornado's ``fetch`` has a 20 second ``request_timeout`` by default: only ``request_timeout=None``
    or ``0`` given to the call (or to the ``HTTPRequest`` it fetches) turns it off."""
    requests = [call.node, *(a for a in call.node.args[:1] if isinstance(a, ast.Call)
                             and (call_name(module, a) or "").endswith("HTTPRequest"))]
    for request in requests:
        value = keyword(request, "request_timeout")
        if value is not None and (is_none(value) or isinstance(value, ast.Constant) and value.value == 0):
            return f"{_label(module, call)} disables tornado's default request timeout (request_timeout={value.value})", \
                Confidence.high
    return None


def _none_by_default(module: SourceModule, node: ast.Call, timeout: ast.expr | None) -> str | None:
    """The parameter passed as ``timeout=`` when it defaults to None and the function never sets it:
    ``def fetch(url, timeout=None): client.get(url, timeout=timeout)`` sends no timeout (httpx: none
    rather than the client's) whenever the caller leaves it out."""
    if not isinstance(timeout, ast.Name):
        return None
    fn = enclosing_function(module, node)
    if fn is None or not none_default_parameter(fn, timeout.id):
        return None  # (timeout = timeout or DEFAULT gives it a value)
    return timeout.id


def _event_stream(module: SourceModule, node: ast.Call, followed: bool = False) -> bool:
    """``async with client.stream("GET", url, timeout=None) as r: async for line in r.aiter_lines()``:
    a long-lived event stream (server-sent events, a long poll) that waits for events by design. ``followed``:
    also ``with requests.get(url, stream=True) as r: for line in r.iter_lines()`` (a command following a log)."""
    item = module.parents.get(node)
    streamed = method_name(node) == "stream" or followed and isinstance(keyword(node, "stream"), ast.Constant) \
        and keyword(node, "stream").value is True
    if not (isinstance(item, ast.withitem) and isinstance(item.optional_vars, ast.Name) and streamed):
        return False
    owner = module.parents.get(item)
    response = item.optional_vars.id
    for stmt in owner.body:
        for n in walk_nodes(stmt):
            if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                    and n.func.value.id == response):
                continue
            if method_name(n) in ("aiter_lines", "iter_lines"):
                return True
            if method_name(n) in ("aiter_text", "iter_text") and _decodes_each_chunk(module, n):
                return True  # chunks read one by one as events (progress updates of a long operation)
    return False


def _streams_events_only(module: SourceModule, client: ast.Call) -> bool:
    """``async with httpx.AsyncClient(timeout=None) as client:`` whose calls are all event streams
    (``client.stream(...)`` read line by line): the client's missing read timeout is by design."""
    item = module.parents.get(client)
    if not (isinstance(item, ast.withitem) and isinstance(item.optional_vars, ast.Name)):
        return False
    name = item.optional_vars.id
    calls = [n for stmt in module.parents[item].body for n in walk_nodes(stmt) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) and n.func.value.id == name]
    return bool(calls) and all(_event_stream(module, call) for call in calls)


def _decodes_each_chunk(module: SourceModule, chunks: ast.Call) -> bool:
    """``async for chunk in response.aiter_text(): event = json.loads(chunk)``."""
    loop = module.parents.get(chunks)
    if not (isinstance(loop, (ast.For, ast.AsyncFor)) and loop.iter is chunks and isinstance(loop.target, ast.Name)):
        return False
    return any(isinstance(n, ast.Call) and call_name(module, n) == "json.loads" and n.args
               and isinstance(n.args[0], ast.Name) and n.args[0].id == loop.target.id
               for stmt in loop.body for n in walk_nodes(stmt))


def _under_deadline(module: SourceModule, node: ast.Call) -> bool:
    """Inside ``async with asyncio.timeout(...)`` (or async_timeout, anyio, trio), or awaited through
    ``asyncio.wait_for(..., timeout)``."""
    for parent in ancestors(module, node):
        if isinstance(parent, (ast.With, ast.AsyncWith)):
            for item in parent.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and (call_name(module, expr) or "") in DEADLINE_SCOPES:
                    return True
        if isinstance(parent, ast.Call) and call_name(module, parent) == "asyncio.wait_for":
            return True
        if isinstance(parent, FUNCTION_TYPES):
            return False
    return False


def _label(module: SourceModule, call: OutboundCall) -> str:
    func = call.node.func
    if isinstance(func, ast.Attribute) and func.attr in ("future", "with_call") and call.protocol == "grpc":
        func = func.value
    return f"{qualified(module, func) or call.operation}()"


def _requests_session_problem(project: Project, session: ClientBinding, label: str):
    """requests sessions have no timeout of their own: only a subclass or a mounted adapter gives one (or,
    on authlib's sessions, ``default_timeout=``)."""
    if session.subclass is not None and _mentions_timeout(session.subclass):
        return None
    if session.origin == "library":
        if session.configured:
            return None  # the project sets the library's shared session up elsewhere: its settings are unknown here
        return f"requests session call {label} has no timeout (the library's shared requests.Session sets none)", \
            Confidence.high
    if session.sets("default_timeout") or _authlib_session(session) and has_kwargs_splat(session.factory) \
            and not _options_without_timeout(project, session):
        return None  # authlib's default_timeout=, or options that may carry it
    if session.sets("request"):
        return None  # session.request = functools.partial(session.request, timeout=...)
    if _mounted_adapters_may_time_out(project, session):
        return None
    if session.origin == "parameter":
        if _project_defines_timeout_adapter(project):
            return None
        return f"requests session call {label} has no timeout", Confidence.medium
    ignored = " (requests ignores session.timeout)" if session.sets("timeout") else ""
    return f"requests session call {label} has no timeout{ignored}", Confidence.high


def _authlib_session(session: ClientBinding) -> bool:
    return session.made_by is None and session.factory is not None and session.module is not None \
        and (call_name(session.module, session.factory) or "").startswith("authlib.")


def _options_without_timeout(project: Project, session: ClientBinding) -> bool:
    """``OAuth2Session(client_id=..., **kwargs)`` in an ``__init__`` taking ``**kwargs`` of a module-level class
    that every construction in the service code (one at least) calls with keywords and no splat, none of them
    ``default_timeout``/``timeout``: the options carry no timeout."""
    module, factory = session.module, session.factory
    fn = enclosing_function(module, factory) if module is not None else None
    splats = [kw.value for kw in factory.keywords if kw.arg is None]
    if fn is None or fn.name != "__init__" or fn.args.kwarg is None \
            or any(not (isinstance(s, ast.Name) and s.id == fn.args.kwarg.arg) for s in splats):
        return False
    cls = module.parents.get(fn)
    if not (isinstance(cls, ast.ClassDef) and isinstance(module.parents.get(cls), ast.Module)):
        return False
    constructions = [site for other in project.modules if cls.name in other.text and not is_test_file(other)
                     for site in other.nodes_of(ast.Call) if (dotted(site.func) or "").rsplit(".", 1)[-1] == cls.name]
    return bool(constructions) and all(
        not has_kwargs_splat(site) and not any(isinstance(a, ast.Starred) for a in site.args)
        and keyword(site, "default_timeout") is None and keyword(site, "timeout") is None for site in constructions)


def _grpc_problem(module: SourceModule, project: Project, call: OutboundCall, label: str):
    parent = module.parents.get(call.node)
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is call.node:
        return None  # a server stream read to its end: often long-lived on purpose
    stub = call.client
    channel = stub.factory.args[0] if stub is not None and stub.factory is not None and stub.factory.args else None
    if channel is not None and _intercepted(module, channel, stub.node):
        return None  # an interceptor may set a default deadline
    if stub is not None and stub.factory is None:  # a parameter annotated with a stub class, made elsewhere
        if any("intercept_channel" in m.text or "interceptors=" in m.text for m in project.modules):
            return None  # the project intercepts some channel: this stub's may set a default deadline
        return f"gRPC call {label} has no deadline (timeout=)", Confidence.medium
    return f"gRPC call {label} has no deadline (timeout=)", Confidence.high


def _intercepted(module: SourceModule, channel: ast.expr, at: ast.AST) -> bool:
    if isinstance(channel, ast.Call):
        name = call_name(module, channel) or ""
        return name.endswith("intercept_channel") or keyword(channel, "interceptors") is not None
    binding = client_for(module, channel, at)
    return binding is not None and binding.kind == "channel" and binding.factory is not None \
        and _intercepted(module, binding.factory, binding.node)


def _mounted_adapters_may_time_out(project: Project, session: ClientBinding) -> bool:
    owners = [session, session.made_by] if session.made_by is not None else [session]
    for owner in owners:
        for statement in owner.configured:
            call = statement.value if isinstance(statement, ast.Expr) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "mount"):
                continue
            adapter = call.args[1] if len(call.args) >= 2 else keyword(call, "adapter")
            if isinstance(adapter, (ast.Name, ast.Attribute)) and dotted(adapter):
                adapter = _assigned_once(owner.module, statement, dotted(adapter)) or adapter
            if adapter is None:
                continue
            if not isinstance(adapter, ast.Call):
                return True  # an adapter built elsewhere: its timeout is unknown
            name = call_name(owner.module, adapter) or ""
            if name in PLAIN_ADAPTERS:
                continue
            cls = _find_class(owner.module, project, name)
            if cls is None or _mentions_timeout(cls):
                return True
    return False


def _assigned_once(module: SourceModule, at: ast.AST, name: str) -> ast.expr | None:
    """The value of a local (or module global) or a ``self.`` attribute of the class bound once, by a
    plain assignment, where ``at`` is: ``adapter = HTTPAdapter(max_retries=retry)`` before
    ``session.mount("https://", adapter)``, ``self.adapter = HTTPAdapter(...)`` in ``__init__``."""
    fn = enclosing_function(module, at)
    if name.startswith("self."):
        owner = next((a for a in ancestors(module, at) if isinstance(a, ast.ClassDef)), None)
        if owner is None:
            return None
        stores = [n for n in walk_nodes(owner) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
                  and dotted(n) == name]
    else:
        stores = [n for n in (walk_function_body(fn) if fn is not None else walk_nodes(module.tree))
                  if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                  and (fn is not None or enclosing_function(module, n) is None)]
    if len(stores) != 1:
        return None
    parent = module.parents.get(stores[0])
    return parent.value if isinstance(parent, ast.Assign) and parent.targets == stores else None


def _find_class(module: SourceModule, project: Project, name: str) -> ast.ClassDef | None:
    found = _class_and_file(module, project, name)
    return found[1] if found is not None else None


def _class_and_file(module: SourceModule, project: Project, name: str) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project class a qualified name (as resolved in ``module``) names, with the file defining it."""
    owner_name, _, short = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    cls = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == short), None) \
        if owner is not None else None
    return (owner, cls) if cls is not None else None


def _mentions_timeout(cls: ast.ClassDef) -> bool:
    for node in walk_nodes(cls):
        if isinstance(node, ast.Constant) and node.value == "timeout":
            return True
        if isinstance(node, ast.keyword) and node.arg == "timeout":
            return True
        if isinstance(node, ast.Name) and "timeout" in node.id.lower():
            return True
        if isinstance(node, ast.arg) and "timeout" in node.arg.lower():
            return True
        if isinstance(node, ast.Attribute) and "timeout" in node.attr.lower():
            return True
    return False


def _project_defines_timeout_adapter(project: Project) -> bool:
    for module in project.modules:
        for cls in module.tree.body:
            if isinstance(cls, ast.ClassDef) and _mentions_timeout(cls):
                bases = {qualified(module, b) or "" for b in cls.bases}
                if bases & (PLAIN_ADAPTERS | {"requests.Session", "requests.sessions.Session"}):
                    return True
    return False
