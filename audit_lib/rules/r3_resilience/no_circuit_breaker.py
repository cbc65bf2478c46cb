"""R3.no-circuit-breaker: calls to other services with nothing to stop a failure cascade.

## What it does
Reports outbound calls to other services that no circuit breaker guards, once per file (at the first call,
every call of the file listed as its places); calls made
through a service's SDK (Slack, AWS's boto3, Twilio, Telegram, MinIO, OpenAI, Anthropic, Postmark,
SendGrid, Stripe, Backblaze B2) and SMTP connections once per service for the whole code base, at the first site, listing
the others (a breaker belongs around the dependency: ten files calling Slack lack one breaker). The
calls are the HTTP and gRPC calls `audit_lib.libs.http` recognises, and calls made through a
service's SDK: methods of an httpx-oauth provider that reach the provider
(`get_access_token`, `refresh_token`, `get_id_email`, ...), of a Postmark, SendGrid, boto3, MinIO,
OpenAI, Anthropic, Twilio, Slack, Telegram, Stripe or B2 client, of the `stripe` module, litellm's functions
(`completion(...)`: one dependency, the LLM provider), `send_request` of a requests-hardened `Manager` (also one handed to a
class's constructor, `cls(stripe, ...)` kept as `self.api`, or one a project factory returns, `client().put_object(...)`,
or a factory lambda on `self` builds, `self.get_client = lambda: AsyncOpenAI(...)`), also a project class extending one (`class ChatClient(WebClient)`)
(not local ones such as `generate_presigned_url`), and calls that open a
connection (`smtplib.SMTP(host)`, `websockets.connect(url)`, `websocket.create_connection`). An
SDK client is followed through a name or `self` attribute bound to its constructor, to a
project function annotated to return one or returning one it built, or to an annotated
parameter, through a property of the class that builds one (`self.sms_client.messages.create(...)`),
a class attribute declared with the client's type (`_client: WebClient`), and a `self` attribute that
the project base class (in another file) sets in its `__init__`. An LLM SDK's API is known by its path
wherever the client comes from (a factory building one per user, a parameter): `client.chat.completions.create(...)`,
`client.responses.stream(...)` in a file importing openai, `client.messages.create(...)` with anthropic,
`client.models.generate_content(...)` with google-genai, a litellm `Router`'s
`router.acompletion(...)`. The finding is at the first unguarded call, with the count of the others. A call is guarded when its function is decorated with a breaker (`@breaker`,
`@circuit(...)`), when it runs inside `with breaker:`/`async with breaker...`, or when
its function is handed to `breaker.call(...)`/`call_async(...)`, or when a home-grown breaker gates
it: an `if` testing a health or breaker check that leaves first (`if not s3_is_healthy(): raise ...`),
in its function or in every function calling it, or a failure flag kept in a cache (a handler of the call's failure
stores a key for a while, `cache.set("releases.no_retry", url, 900)`, that an `if` before the call reads and leaves on,
`if url == cache.get("releases.no_retry"): return []`). Breakers are those of
pybreaker, aiobreaker, purgatory and circuitbreaker, or any local object whose
name says breaker/circuit, or class named for a breaker (`StorageBreaker`, `CircuitBreakerState`; not a
domain class with Breaker inside its name, an electrical panel's `PowerFeedBreakerPoleChoices`); so is a failure handler that switches the destination off
(`Webhook.objects.filter(pk=hook.id).update(is_active=False)`, `hook.enabled = False`: it opens for good).
Calls to localhost or to the service's own public address
(`f"{SITE_URL}/api/..."`: the service calling itself), calls to a sidecar (the URL or the session's
`base_url` is a `self` attribute set from an `__init__` parameter that every construction of the class
outside tests gives a literal local address, `ProxyControl(URL(f"http://localhost:{port}"))`), calls to the service's own bind
address (`f"http://{settings.HOST_IP}:{settings.HOST_PORT + 4}/api"`: a process beside it on the same host),
health probes (`/health`, `/ready`, `/ping`, ..., also through a local name, or in a function named for a
liveness check, `check_minio_alive()`, or for a connection test, `test_connection()`: they are there to see the failure), fetches of a URL a user gave (the call's URL is a parameter, and every
caller passes on a field of an object, `form.avatar.data`, never a literal, a built URL, a constant or
a setting, or the URL is read from the request's query or body, `request.query_params.get("url")`: an image proxy,
also through a name bound to the parsed body, `message = request.get_json()` ...
`requests.get(message["SubscribeURL"])`, or from a submitted form's or serializer's input, `self.cleaned_data.get("url")` in a Django form's `clean_url`;
or the address a row of the database holds: a field of a Django model, `self.url` in the model's method passed down
to the call, `hook.url` or `webhook.render_payload_url(context)` on a name that spells the model, also as the `url`
of a prepared request, `session.send(requests.Request(**params).prepare())`; or a field of each row a function is
handed, `monitor["url"]` in `fetch(session, monitor) for monitor in monitors`, the rows a parameter no caller fills
from the settings (an uptime probe, a webhook per recipient: a breaker would drop or hide that target's failures;
the items of a list the service keeps, `for d in self.destinations`, are fixed dependencies and reported);
no one dependency for a breaker to watch), calls on a client whose transport hands the request to an application
in this process (`httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))`: the service calling its own routes), calls to an integration each tenant configures
(a data source or an alert destination: the function reads the object's own configuration mapping,
`self.configuration["url"]` or `options.get("token")`, handed to the constructor or the method and
never filled from the settings; or sets a `self` attribute from it, calls a method of its class that
reads it, builds its client through one, or is called only by functions of its file that read it; not
an LLM SDK's calls: the provider is one service whatever key or model each user configures),
calls the code itself treats as going to anyone's URL (through an SSRF guard: `advocate`, a client
built with a safe/SSRF `transport=`, a check of the URL first, `validate_url_for_crawl(url)`, `is_downloadable(url)`,
also in every caller of a function whose URL is built from its parameters, `validate_webhook_destination(parsed.hostname)`
before `post_pinned(parsed, ip)`,
or a test whether the path or URL the function was given is a URL at all, `if validators.url(path):`; or to each URL
of a list in turn, `for url in subscriber_urls`), calls made while a lazily cached client is first built
(after `if hasattr(self, "_client"): return self._client`: a bucket check, once per process),
availability probes (a predicate, `enabled()`/`is_*()`/`has_*()`, whose `except` of a connection
failure answers False: the failure is the answer), fetches whose result the function keeps for the life of the process (stored into a module-level cache
mapping, `get_public_keys.key_cache[url] = keys`, or into a module-level mapping the function tests first,
`if issuer not in _configs: _configs[issuer] = ...`: a signing key set or an OIDC discovery document, asked
once per key), downloads the function writes, or what it derives from them, into a file it opens for writing
(`r = requests.get(FEED_URL)` ... `with open(db_location, "w") as f: json.dump(r.json(), f)`: a blocklist or a
database refreshed now and then into a local copy the service reads instead), checks for a new release of the product itself (in a function named for one: `run_version_check`,
`check_for_updates`, `get_latest_release`; daily or cached, for an admin's banner), calls made once at start-up (at a module's top level, a discovery
document fetched in a settings module; in a Django
`AppConfig.ready()`, discord.py's `cog_load`/`setup_hook`, an `on_startup` handler, FastAPI's
`@app.on_event("startup")`, or a function only those call, also a loop they start: nothing repeats them while
the dependency is down), calls of a periodic job the process schedules itself (`@repeat_every`,
`@schedule.repeat(...)`, `scheduler.add_job(fn, ...)`, a project helper sleeping in a loop,
`run_repeated(self.refresh, 86400)`: one call now and then), calls in a memoized function
(`@cached(TTLCache(...))`, `@lru_cache`, or one that reads a cache first and stores its outcome there after the
`try`, `region.get(key)` ... `region.set(key, version)`) that turns their failure into a value (a `try` whose
handlers do not raise: the fallback is cached, so a down dependency is asked once per cache period), calls
only an operator or a cron job makes (in an admin-only view, `@admins_only`/`@staff_member_required`, or a
Django admin action; in a function every use of which is a call from a command-line module or a script's
`__main__` block, directly or through such functions; in a method of a class whose every object is built by
such code, also through a subclass or a package re-exporting it, `process = Commenter(...); process.run()` in a
management command, a factory only commands call, a method of another such class; a Celery task only a periodic schedule starts,
`add_periodic_task(crontab(minute=10), sync_sponsors)` and never `.delay()`, or started by name only from a
beat schedule entry (`{"task": "update_channels", "schedule": 900.0}`, also by its dotted name,
`"task": "pricing.tasks.sync_rates"`), a `@worker_ready.connect` handler or
such a task's `send_task(...)`, and otherwise queued only by a management command: one process now and then, no cascade), calls of a batch pipeline's run (a
method of a class whose `steps()` returns its own methods, `return (cls.collect, cls.store)`, of a subclass, or a
function only those call) that are not made again after a failure (outside any loop, or in a loop that
nothing in it catches the failure of: the run fails once and the next one tries again; a loop that logs the
failure and carries on, one call per row, is reported), test code,
scripts, CLIs (also modules only command-line modules import, directly or through modules only they import:
a command's data sources), and Django management commands are left out.
The confidence is medium when the code base uses no breaker at all, low when it uses
breakers elsewhere (the file may be guarded further up the call chain).

Clients of a coordination service (Consul, etcd, the Kubernetes API) are reported like any
other: the catalog asks for a breaker around outbound calls to external services, and a
deadline-bounded retry with jitter and failover, however good, is a retry policy, not a
breaker. Whether a component that must see every failure (a leader lock's liveness) should
fail fast is the reader's call; the finding is low severity.

## Why is this bad?
When a dependency is down or slow, every request keeps calling it, waits for the
timeout, and ties up a worker while doing so; retries multiply the load on the failing
service. A circuit breaker notices the failures, fails fast for a while and lets the
dependency recover, so one sick service does not take its callers down with it
(Backend Posture R3, S15).

## Example
```python
def fetch_rates():
    return requests.get(RATES_URL, timeout=5).json()
```

## Use instead
```python
import pybreaker

rates_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)

@rates_breaker
def fetch_rates():
    return requests.get(RATES_URL, timeout=5).json()
```

## References
- Martin Fowler, "CircuitBreaker": https://martinfowler.com/bliki/CircuitBreaker.html
- pybreaker: https://github.com/danielfm/pybreaker
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs.http import METHOD_FIRST, SHARED_DEPENDENCIES, OutboundCall, outbound_calls, sdk_calls
from audit_lib.libs.web import route_handlers
from audit_lib.operator_code import (
    defines_worker_tasks,
    function_uses,
    is_celery_task,
    is_offline_file,
    module_importers,
    run_by_operators,
)
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    dotted,
    enclosing_function,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import LOCAL_TARGET, is_test_file, periodic_only_tasks, targets_own_service
from audit_lib.source import Project, SourceModule, is_management_command

BREAKER_LIBRARIES = ("pybreaker", "aiobreaker", "purgatory", "circuitbreaker", "pycircuitbreaker", "breakers", "hystrix")
BREAKER_NAME = re.compile(r"breaker|circuit", re.IGNORECASE)
# a class named Circuit is often the domain's (a proxy's circuits), one named for a Breaker inside a name too
# (an electrical panel's PowerFeedBreakerPoleChoices)
BREAKER_CLASS = re.compile(r"breaker$|circuit_?breaker", re.IGNORECASE)
RELEASE_CHECK = re.compile(r"(?i)version_?check|check_?(for_?)?(new_?)?(version|update|release)s?|update_?check|"
                           r"latest_?(\w+_)?(release|version)")
UNREACHABLE = re.compile(r"Connection|Timeout|RequestException|URLError|OSError|socket|\bException\b")
PREDICATE = re.compile(r"^_?(enabled|available|reachable|(is|has|can)_\w+)$")
HEALTH_GATE = re.compile(r"health|breaker|circuit", re.IGNORECASE)
SCHEDULE_DECORATORS = {"repeat_every", "repeat", "scheduled_job", "crontab"}
START_UP_SIGNALS = ("worker_ready.connect", "worker_init.connect")  # Celery's
START_UP_HOOKS = {"cog_load", "setup_hook", "on_startup"}
MEMOIZERS = {"cached", "lru_cache", "cache", "ttl_cache", "memoize", "memoized"}
CONFIGURATION = re.compile(r"settings|config|conf\b|options|environ|\bENV\b", re.IGNORECASE)
TENANT_CONFIG = re.compile(r"^_?(options|opts|configuration|config|conf|params|credentials|creds)$")
IN_PROCESS_TRANSPORT = re.compile(r"(^|\.)(ASGI|WSGI)Transport$")  # httpx's transports into an app of this process
VALIDATED_INPUT = {"cleaned_data", "validated_data"}  # a Django form's, a DRF serializer's: what the user submitted
REQUEST_FIELDS = {"query_params", "GET", "POST", "args", "form", "values", "data", "json", "get_json", "query"}  # a request's input
SSRF_GUARD = re.compile(r"advocate|ssrf|safe_?(http|transport|session|client)|SafeTransport", re.IGNORECASE)
URL_VALIDATOR = re.compile(r"(?i)(validate|sanitize)_?\w*(url|destination)|ssrf|safe_?url|public_?url|"
                           r"url_?\w*(allowed|permitted|private)|(private|reserved)_?(ip|address|host|url)|"
                           r"^validators\.url$|(^|\.)is_(valid_)?url$|(^|\.)is_\w*downloadable$")
GLOBAL_CONFIG = {"app.config", "current_app.config", "os.environ", "settings"}
ADMIN_ONLY = re.compile(r"(?i)(^|\.)(admins?_only|admin_required|require_admin|staff_member_required|superuser_required)$")
SWITCH = re.compile(r"^(is_)?(active|enabled)$")  # a destination's on/off flag
HEALTH_FUNCTION = re.compile(r"(?i)(^|_)(alive|liveness|readiness)(_|$)|(^|_)health(z|_?check)?$|"
                             r"^_?(test|check|verify)_connection$")
OWN_ADDRESS = {"HOST_IP", "HOST_PORT", "BIND_HOST", "BIND_PORT", "BIND_ADDRESS", "LISTEN_HOST", "LISTEN_PORT",
               "LISTEN_ADDRESS"}  # the service's own bind address
HEALTH_PATH = re.compile(r"/(health|healthz|healthcheck|ready|readyz|readiness|live|livez|liveness|ping)/?$")
# An LLM SDK's calls by their path on the client, for a client no binding reaches (one a factory builds per
# user from the provider configured, handed around as a parameter): SDK -> (service, paths)
LLM_SDK_CALLS = {
    "openai": ("OpenAI", ("chat.completions.create", "chat.completions.parse", "responses.create", "responses.stream",
                          "responses.parse", "embeddings.create", "completions.create", "images.generate")),
    "anthropic": ("Anthropic", ("messages.create", "messages.stream")),
    "google.genai": ("Google Gemini (google-genai)", ("models.generate_content", "models.generate_content_stream",
                                                      "models.embed_content")),
    "litellm": (SHARED_DEPENDENCIES["litellm"], ("completion", "acompletion", "embedding", "aembedding",
                                                 "text_completion", "atext_completion")),  # a Router's
}
LLM_LIBRARIES = set(LLM_SDK_CALLS)  # one provider however each user configures a key or a model


@rule("R3.no-circuit-breaker", on="project", scope="code", severity="low")
def check(project: Project) -> Iterator[Finding]:
    breakers_used = _uses_breakers(project)
    guarded_functions = _functions_handed_to_breakers(project)
    context = "the code base uses none" if not breakers_used else "the code base uses breakers, but not here"
    shared: dict[str, list[tuple[SourceModule, OutboundCall]]] = {}
    for module in project.modules:
        if is_test_file(module) or is_offline_file(module, project) or _imported_by_command_lines_only(module, project):
            continue
        calls = [c for c in outbound_calls(module, project) if not targets_own_service(module, c)
                 and not _health_probe(module, c) and not _own_host(module, c)
                 and not _user_supplied_url(module, project, c) and not _local_sidecar(module, project, c)
                 and not _in_process(module, c)]
        known = {id(c.node) for c in calls}
        via_sdk = [c for c in sdk_calls(module, project) if id(c.node) not in known]
        via_sdk += _llm_sdk_calls(module, {id(c.node) for c in via_sdk})
        calls += via_sdk
        through_sdk = {id(c.node) for c in via_sdk}
        calls = [c for c in calls if not _start_up_only(module, project, c) and not _cached_fallback(module, c)
                 and not _once_per_client(module, project, c.node)
                 and not _release_check(module, c.node) and not _kept_for_the_process(module, c.node)
                 and not _saved_to_file(module, c.node)
                 and not _disables_after_failures(module, c.node)
                 and not _availability_probe(module, c.node)
                 and not (c.library not in LLM_LIBRARIES and _tenant_configured(module, project, c.node))
                 and not _many_destinations(module, project, c)
                 and not _once_per_batch_run(module, project, c.node)
                 and not _operator_only(module, project, enclosing_function(module, c.node))]
        unguarded = sorted((c for c in calls if not _guarded(module, c, guarded_functions, project)), key=lambda c: c.line)
        for call in [c for c in unguarded if id(c.node) in through_sdk and _dependency(c)]:
            shared.setdefault(_dependency(call) or "", []).append((module, call))
            unguarded.remove(call)
        if not unguarded:
            continue
        first = unguarded[0]
        others = f" and {len(unguarded) - 1} more in this file" if len(unguarded) > 1 else ""
        yield Finding(
            message=f"outbound {first.protocol} call {_label(first)}{others} has no circuit breaker ({context})",
            path=module.path,
            line=first.line,
            end_line=getattr(first.node, "end_lineno", first.line),
            evidence=module.evidence(first.node),
            fix="wrap calls to each dependency in a circuit breaker (pybreaker.CircuitBreaker / aiobreaker / purgatory) "
                "that fails fast after repeated errors",
            confidence=Confidence.low if breakers_used else Confidence.medium,
            extra={"places": [f"{module.path}:{c.line}" for c in unguarded]},
        )
    for dependency, sites in sorted(shared.items()):
        yield _dependency_finding(dependency, sites, context, breakers_used)


def _dependency(call: OutboundCall) -> str | None:
    """The one service an SDK's calls go to, wherever in the code base they are made (Slack, AWS, the SMTP relay);
    None for SDKs whose calls go to a different service per client (OAuth providers, websockets)."""
    if call.library in LLM_SDK_CALLS:
        return LLM_SDK_CALLS[call.library][0]
    return "the SMTP server" if call.protocol == "smtp" else SHARED_DEPENDENCIES.get(call.library)


def _llm_sdk_calls(module: SourceModule, known: set[int]) -> list[OutboundCall]:
    """Calls of an LLM SDK's API in a file importing the SDK, by the call's path on the client
    (``client.chat.completions.create(...)``, ``client.messages.stream(...)``), whatever the client's
    origin: a parameter, a factory's product, ``self._client_factory()``. The provider is one service
    however each user's key or model is configured."""
    sdks = [sdk for sdk in LLM_SDK_CALLS if module.imports_module(sdk)]
    found: list[OutboundCall] = []
    for node in module.nodes_of(ast.Call) if sdks else ():
        path = _attribute_path(node.func)
        sdk = next((s for s in sdks if any(path.endswith(f".{p}") for p in LLM_SDK_CALLS[s][1])), None)
        if sdk is not None and id(node) not in known:
            found.append(OutboundCall(node=node, library=sdk, protocol="api", operation=path.rsplit(".", 1)[-1]))
    return found


def _attribute_path(func: ast.expr) -> str:
    """The attributes a call goes through, whatever they start from: ``.chat.completions.create`` for
    ``self._client().chat.completions.create``."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    return "." + ".".join(reversed(parts)) if parts else ""


def _dependency_finding(dependency: str, sites: list[tuple[SourceModule, OutboundCall]], context: str,
                        breakers_used: bool) -> Finding:
    """One finding per service reached through its SDK, listing the call sites: the breaker belongs around the
    dependency (one breaker for Slack), so ten files calling Slack are one missing breaker, not ten."""
    per_file: dict[str, int] = {}
    for m, _ in sites:
        per_file[m.path] = per_file.get(m.path, 0) + 1
    # at the file calling it most (the client's home, not a one-off elsewhere), then in path order
    sites = sorted(sites, key=lambda site: (-per_file[site[0].path], site[0].path, site[1].line))
    module, first = sites[0]
    files = sorted(per_file, key=lambda path: (-per_file[path], path))
    if len(sites) == 1:
        where = f"{_label(first)} has"
    elif len(files) == 1:
        where = f"{_label(first)} and {len(sites) - 1} more in this file have"
    else:
        shown = ", ".join(files[1:4]) + (", ..." if len(files) > 4 else "")
        where = f"{_label(first)} and {len(sites) - 1} more in {len(files)} files (also {shown}) have"
    return Finding(
        message=f"outbound {first.protocol} calls to {dependency}: {where} no circuit breaker around the "
                f"dependency ({context})",
        path=module.path,
        line=first.line,
        end_line=getattr(first.node, "end_lineno", first.line),
        evidence=module.evidence(first.node),
        fix=f"put the calls to {dependency} behind one circuit breaker (pybreaker.CircuitBreaker / aiobreaker / "
            "purgatory), for instance in the wrapper that builds the client, so they fail fast while it is down",
        confidence=Confidence.low if breakers_used else Confidence.medium,
        extra={"places": [f"{m.path}:{c.line}" for m, c in sites]},
    )


def _start_up_only(module: SourceModule, project: Project, call: OutboundCall) -> bool:
    """A call made once, when the process starts: at a module's top level (``requests.get(OIDC_WELLKNOWN_URL)``
    in a settings module), in a start-up hook (a Django ``AppConfig.ready()``,
    discord.py's ``cog_load``/``setup_hook``), or in a function of this file that only such hooks call.
    Nothing calls it again while the dependency is down: there is no cascade for a breaker to stop."""
    function = next((p for p in ancestors(module, call.node) if isinstance(p, (*FUNCTION_TYPES, ast.Lambda))), None)
    if function is None:
        return True  # at a module's top level: made once, when the module is first imported
    if isinstance(function, ast.Lambda):
        return False
    if _is_start_up_hook(module, function):
        return True
    if any(f"{function.name}(" in m.text for m in project.modules if m is not module and not is_test_file(m)):
        return False  # called from other files too
    callers = [node for node in walk_nodes(module.tree) if isinstance(node, ast.Call)
               and (dotted(node.func) or "").rsplit(".", 1)[-1] == function.name and node is not call.node]
    hooks = [next((p for p in ancestors(module, c) if isinstance(p, FUNCTION_TYPES)), None) for c in callers]
    return bool(hooks) and all(h is not None and _is_start_up_hook(module, h) for h in hooks)


def _once_per_client(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """A call made while a lazily cached client is first built (``if hasattr(self, "_client"): return
    self._client`` before it, in its function or in every function calling it: a bucket check when the
    MinIO client is made): once per process, nothing repeats it while the dependency is down."""
    function = enclosing_function(module, call)
    if function is None:
        return False
    if _after_cached_return(function, call):
        return True
    callers = [(m, c) for m, c in _calls_named(project).get(function.name, ()) if not is_test_file(m)]
    return bool(callers) and all(_after_cached_return(enclosing_function(m, c), c) for m, c in callers)


def _after_cached_return(function: ast.AST | None, node: ast.AST) -> bool:
    """Whether ``node`` comes after an ``if`` of ``function`` that returns the ``self`` attribute it tests."""
    for statement in function.body if function is not None else ():
        if statement.lineno >= node.lineno:
            return False
        if not isinstance(statement, ast.If) or not statement.body or not isinstance(statement.body[-1], ast.Return):
            continue
        returned = dotted(statement.body[-1].value) if statement.body[-1].value is not None else None
        if returned and returned.startswith("self.") and returned == _cache_tested(statement.test):
            return True
    return False


def _cache_tested(test: ast.expr) -> str | None:
    """The attribute an ``if`` tests for being set, and nothing else: ``hasattr(self, "_client")``,
    ``self._client``, ``self._client is not None``."""
    if isinstance(test, ast.Call) and dotted(test.func) == "hasattr" and len(test.args) == 2 \
            and dotted(test.args[0]) == "self" and string_value(test.args[1]):
        return f"self.{string_value(test.args[1])}"
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        test = test.left
    return dotted(test) if isinstance(test, ast.Attribute) else None


def _cached_fallback(module: SourceModule, call: OutboundCall) -> bool:
    """A call in a memoized function (``@cached(TTLCache(...))``, ``@lru_cache``) that turns the failure
    into a value (a ``try`` whose handlers do not raise): the fallback is cached like an answer, so while
    the dependency is down it is asked once per cache period, as a breaker would."""
    fn = next((p for p in ancestors(module, call.node) if isinstance(p, FUNCTION_TYPES)), None)
    if fn is None or not any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in MEMOIZERS
                             for d in fn.decorator_list) and not _caches_outcome(module, fn, call.node):
        return False
    for parent in ancestors(module, call.node):
        if parent is fn:
            return False
        if isinstance(parent, ast.Try) and any(call.node is n for stmt in parent.body for n in walk_nodes(stmt)):
            return bool(parent.handlers) and not any(isinstance(n, ast.Raise) for h in parent.handlers
                                                     for n in walk_nodes(h))
    return False


def _caches_outcome(module: SourceModule, fn: ast.AST, call: ast.Call) -> bool:
    """A cache-aside function: it first reads a cache (``version = region.get("radarr_version", ...)``) and,
    outside the ``try`` around the call, stores what it ends with in the same cache (``region.set(...)``):
    whatever the call gave, the fallback too, is kept for the cache period."""
    reads = {dotted(n.value.func.value) for n in walk_function_body(fn) if isinstance(n, ast.Assign)
             and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) and n.value.func.attr == "get"
             and n.value.lineno < call.lineno}
    guarded: list[ast.Try] = []
    for parent in ancestors(module, call):
        if parent is fn:
            break
        if isinstance(parent, ast.Try):
            guarded.append(parent)
    outer = guarded[-1] if guarded else None
    return outer is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "set"
        and dotted(n.func.value) in reads - {None, "self", "request", "os.environ"} and n.lineno > outer.end_lineno
        for n in walk_function_body(fn))


def _is_start_up_hook(module: SourceModule, function: ast.AST) -> bool:
    """A function the framework runs once when the process starts: Django's ``AppConfig.ready()``,
    discord.py's ``cog_load``/``setup_hook``, an ``on_startup`` handler (aiohttp's and Starlette's signal),
    a FastAPI ``@app.on_event("startup")``."""
    if function.name in START_UP_HOOKS or any((dotted(d) or "").endswith(START_UP_SIGNALS)
                                              for d in function.decorator_list):
        return True
    if any(isinstance(d, ast.Call) and (dotted(d.func) or "").endswith(".on_event")
           and string_value(d.args[0] if d.args else None) == "startup" for d in function.decorator_list):
        return True
    owner = module.parents.get(function)
    return function.name == "ready" and isinstance(owner, ast.ClassDef) \
        and any((qualified(module, base) or "").endswith("AppConfig") for base in owner.bases)


def _health_probe(module: SourceModule, call: OutboundCall) -> bool:
    """A call to a health endpoint (``f"{base}/health"``, also through a name the function binds it to,
    ``url = f"{scheme}://{host}/minio/health/live"``), or made by a function named for a liveness check
    (``check_minio_alive``, ``storage_health``) or a connection test (``test_connection``, run when someone
    saves or checks an integration): it is there to see the failure, which a breaker would hide."""
    function = enclosing_function(module, call.node)
    if function is not None and HEALTH_FUNCTION.search(function.name):
        return True
    target = _resolved(function, call.node.args[0] if call.node.args else None)
    if isinstance(target, ast.JoinedStr) and target.values:
        target = target.values[-1]
    text = string_value(target) if target is not None else None
    return bool(text and HEALTH_PATH.search(text))


def _url_of(call: OutboundCall) -> ast.expr | None:
    url_at = 1 if call.operation in METHOD_FIRST else 0
    return call.node.args[url_at] if len(call.node.args) > url_at else next(
        (kw.value for kw in call.node.keywords if kw.arg == "url"), None)


def _resolved(function: ast.AST | None, value: ast.expr | None, depth: int = 3) -> ast.expr | None:
    """What a local name stands for: the value its function first binds it to, when every later binding
    only rewrites that value (``url = url.replace("0.0.0.0", "127.0.0.1")``); the expression itself otherwise."""
    if function is None or not isinstance(value, ast.Name) or depth == 0:
        return value
    bound = [n.value for n in walk_function_body(function) if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name) and n.targets[0].id == value.id]
    if not bound or any(not any(isinstance(n, ast.Name) and n.id == value.id for n in walk_nodes(later))
                        for later in bound[1:]):
        return value
    return _resolved(function, bound[0], depth - 1)


def _own_host(module: SourceModule, call: OutboundCall) -> bool:
    """A call to another process of the same host: the URL's host and port are the service's own bind
    address settings (``f"http://{settings.HOST_IP}:{settings.HOST_PORT + 4}/api"``, also through local
    names and ``getattr(settings, "HOST_IP", "127.0.0.1")``). It fails with this host, not as a remote
    dependency whose outage a breaker would contain."""
    function = enclosing_function(module, call.node)
    url = _resolved(function, _url_of(call))
    if isinstance(url, ast.JoinedStr) and url.values and isinstance(url.values[0], ast.FormattedValue):
        url = _resolved(function, url.values[0].value)  # f"{service_url}/api/v1/spaces"
    if not isinstance(url, ast.JoinedStr) or not url.values or "://" not in (string_value(url.values[0]) or ""):
        return False
    host_part: list[ast.expr] = []
    for piece in url.values[1:]:
        text = string_value(piece)
        if text is not None and "/" in text:
            break
        if isinstance(piece, ast.FormattedValue):
            host_part.append(piece.value)
    names = [name for value in host_part for name in _setting_names(function, value)]
    return bool(names) and all(name.upper() in OWN_ADDRESS for name in names)


def _setting_names(function: ast.AST | None, value: ast.expr, depth: int = 3) -> list[str]:
    """The settings an address expression reads: ``HOST_PORT`` for ``getattr(settings, "HOST_PORT", 9380) + 4``,
    ``HOST_IP`` for ``host`` bound to ``settings.HOST_IP``; ``?`` for anything else but number literals."""
    value = _resolved(function, value, depth)
    if isinstance(value, ast.Attribute):
        return [value.attr]
    if isinstance(value, ast.Call) and dotted(value.func) == "getattr" and len(value.args) >= 2:
        return [string_value(value.args[1]) or "?"]
    if isinstance(value, ast.BinOp):
        return _setting_names(function, value.left, depth) + _setting_names(function, value.right, depth)
    if isinstance(value, ast.Constant) and isinstance(value.value, int):
        return []
    return ["?"]


def _user_supplied_url(module: SourceModule, project: Project, call: OutboundCall) -> bool:
    """A fetch of whatever URL a user gave (an avatar or a webhook address typed into a form): the call's
    URL is a parameter of its function, and every call of that function in the project passes on a value
    read from an object's field (``field.data``, ``details.avatar``) or a parameter passed on the same way,
    never a literal, a built URL, a constant or a setting; or the URL is a row's field (see :func:`_row_field`), or
    a field of a record its function is handed the same way (``monitor["url"]``). There is no one dependency for
    a breaker to watch: each call may go to another host."""
    url = _url_of(call)
    function = enclosing_function(module, call.node)
    if call.protocol == "http" and _read_from_request(url, function):
        return True  # image_url = request.query_params.get("url"); requests.get(image_url): an image proxy
    if call.protocol != "http":
        return False
    if isinstance(url, ast.Name) and _passed_user_data(module, project, call.node, url, 3):
        return True
    target = _request_target(function, url)
    if _row_field(module, project, target):
        return True  # requests.post(hook.url): the address a row of the database holds
    record = target.value if isinstance(target, (ast.Attribute, ast.Subscript)) else None
    return isinstance(record, ast.Name) and record.id not in ("self", "cls") \
        and _passed_user_data(module, project, call.node, record, 3)  # fetch(monitor): monitor["url"], per monitor


def _request_target(function: ast.AST | None, value: ast.expr | None) -> ast.expr | None:
    """What a call's URL stands for (see :func:`_resolved`), also through a prepared request: the ``url`` of
    ``requests.Request(method, url)`` or of the mapping its ``**params`` spreads, for ``session.send(prepared)``
    of ``prepared = requests.Request(**params).prepare()``."""
    value = _resolved(function, value)
    request = value.func.value if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and value.func.attr == "prepare" else None
    if not isinstance(request, ast.Call) or not (dotted(request.func) or "").endswith("Request"):
        return value
    if len(request.args) > 1:
        return _resolved(function, request.args[1])
    for keyword in request.keywords:
        spread = _resolved(function, keyword.value) if keyword.arg is None else None
        if keyword.arg == "url":
            return _resolved(function, keyword.value)
        if isinstance(spread, ast.Dict):
            return next((_resolved(function, v) for k, v in zip(spread.keys, spread.values)
                         if string_value(k) == "url"), value)
    return value


def _row_field(module: SourceModule, project: Project, value: ast.expr | None) -> bool:
    """A value read from a row of the database: a field of a Django model read on ``self`` in a method of the
    model (``self.url``), or a field or a method of a model read on a name that spells the model
    (``webhook.render_payload_url(context)`` for ``Webhook``). Each row holds its own address: a call to it is
    one of many destinations users configure, not one dependency."""
    if isinstance(value, ast.Call):
        value = value.func
    if not isinstance(value, ast.Attribute) or not isinstance(value.value, ast.Name):
        return False
    models = _model_members(project)
    if value.value.id == "self":
        owner = next((p for p in ancestors(module, value) if isinstance(p, ast.ClassDef)), None)
        return owner is not None and value.attr in models.get(_snake(owner.name), ((), ()))[0]
    fields, methods = models.get(value.value.id, ((), ()))
    return value.attr in fields or value.attr in methods


def _model_members(project: Project) -> dict[str, tuple[set[str], set[str]]]:
    """The project's Django models by their name in snake case (``alert_recipient``): their declared fields
    (``url = models.URLField(...)``) and their methods."""
    table = project.facts.get("r3_breaker_models")
    if table is None:
        table = {}
        for module in (m for m in project.modules if not is_test_file(m)):
            for cls in (n for n in walk_nodes(module.tree) if isinstance(n, ast.ClassDef)):
                fields = {t.id for n in cls.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                          and (dotted(n.value.func) or "").startswith("models.") for t in n.targets
                          if isinstance(t, ast.Name)}
                if fields:
                    entry = table.setdefault(_snake(cls.name), (set(), set()))
                    entry[0].update(fields)
                    entry[1].update(n.name for n in cls.body if isinstance(n, FUNCTION_TYPES))
        project.facts["r3_breaker_models"] = table
    return table  # type: ignore[return-value]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _read_from_request(value: ast.expr | None, function: ast.AST | None) -> bool:
    """A value read from the incoming request's query or body (``request.query_params.get("url")``,
    ``request.GET["url"]``, ``self.request.args.get("target")``, also through a name the function binds to it:
    ``message = request.get_json()`` ... ``message["SubscribeURL"]``), or from a submitted form or serializer's
    validated input (``self.cleaned_data.get("url")`` in a Django form's ``clean_url``, ``validated_data["url"]``)."""
    value = _resolved(function, value)
    for _ in range(8):  # a bound name may be read from itself (url = url[0]): a few steps, not a cycle
        if not isinstance(value, (ast.Call, ast.Subscript)):
            break
        value = value.func if isinstance(value, ast.Call) else value.value
        if isinstance(value, ast.Attribute) and value.attr == "get":
            value = value.value
        if isinstance(value, ast.Name):
            value = _resolved(function, value)
    parts = (dotted(value) or "").split(".")
    return len(parts) >= 2 and parts[-2] == "request" and parts[-1] in REQUEST_FIELDS or parts[-1] in VALIDATED_INPUT


def _passed_user_data(module: SourceModule, project: Project, at: ast.AST, value: ast.expr, depth: int) -> bool:
    if _row_field(module, project, value) or _per_row_item(module, project, at, value):
        return True  # send_webhook_notification(self.url) in the model; fetch(monitor) for monitor in monitors
    if isinstance(value, ast.Attribute):
        name = dotted(value) or ""
        return bool(name) and name.split(".", 1)[0] not in ("self", "cls") and not name.isupper() \
            and not name.rsplit(".", 1)[-1].isupper() and not CONFIGURATION.search(name)
    if not isinstance(value, ast.Name) or depth == 0:
        return False
    fn = next((p for p in ancestors(module, at) if isinstance(p, FUNCTION_TYPES)), None)
    if fn is None:
        return False
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if value.id not in params and value.id not in [a.arg for a in fn.args.kwonlyargs]:
        return False
    if any(isinstance(n, ast.Name) and n.id == value.id and not isinstance(n.ctx, ast.Load) for n in walk_nodes(fn)):
        return False  # reassigned in the function
    position = params.index(value.id) if value.id in params else None
    if position is not None and params and params[0] in ("self", "cls"):
        position -= 1
    callers = [(m, c) for m, c in _calls_named(project).get(fn.name, ()) if not is_test_file(m)]
    if not callers:
        return False
    for caller_module, caller in callers:
        given = next((kw.value for kw in caller.keywords if kw.arg == value.id), None)
        if given is None and position is not None and 0 <= position < len(caller.args):
            given = caller.args[position]
        if given is None or isinstance(given, ast.Starred) \
                or not _passed_user_data(caller_module, project, caller, given, depth - 1):
            return False
    return True


def _loop_source(module: SourceModule, at: ast.AST, value: ast.expr) -> ast.expr | None:
    """The collection that a loop or comprehension around ``at`` takes ``value`` from, when it is neither a
    constant nor the settings (``for url in subscriber_urls``, ``fetch(session, monitor) for monitor in monitors``)."""
    if not isinstance(value, ast.Name):
        return None
    loops = [p for p in ancestors(module, at) if isinstance(p, (ast.For, ast.AsyncFor))]
    loops += [g for p in ancestors(module, at) if isinstance(p, (ast.ListComp, ast.SetComp, ast.GeneratorExp,
                                                                ast.DictComp)) for g in p.generators]
    for loop in loops:
        if isinstance(loop.target, ast.Name) and loop.target.id == value.id:
            source = dotted(loop.iter) or ""
            constant = not source or source.rsplit(".", 1)[-1].isupper() or CONFIGURATION.search(source)
            return None if constant else loop.iter
    return None


def _per_row_item(module: SourceModule, project: Project, at: ast.AST, value: ast.expr) -> bool:
    """``value`` is an item of rows handed in: the loop around ``at`` walks a parameter of its function that no
    caller fills from the settings (``fetch(session, monitor) for monitor in monitors`` in ``fetch_all(monitors)``),
    one call per row, not the items of a fixed list the service keeps."""
    source = _loop_source(module, at, value)
    fn = enclosing_function(module, at)
    if not isinstance(source, ast.Name) or fn is None:
        return False
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    return source.id in params and not _filled_from_settings(project, fn, source.id)


def _calls_named(project: Project) -> dict[str, list[tuple[SourceModule, ast.Call]]]:
    """Function name -> the calls of that name (``f(...)``, ``x.f(...)``) in the project."""
    return _by_name(project, "r3_breaker_calls", lambda node: isinstance(node, ast.Call) and (
        node.func.id if isinstance(node.func, ast.Name) else
        node.func.attr if isinstance(node.func, ast.Attribute) else None))


def _definitions(project: Project) -> dict[str, list[tuple[SourceModule, ast.AST]]]:
    """Function name -> the project's functions of that name."""
    return _by_name(project, "r3_breaker_definitions", lambda node: isinstance(node, FUNCTION_TYPES) and node.name)


def _by_name(project: Project, key: str, name_of) -> dict[str, list[tuple[SourceModule, ast.AST]]]:
    """Name -> the project's nodes that ``name_of`` names (computed once per project)."""
    table = project.facts.get(key)
    if table is None:
        table = {}
        for module in project.modules:
            for node in walk_nodes(module.tree):
                name = name_of(node)
                if name:
                    table.setdefault(name, []).append((module, node))
        project.facts[key] = table
    return table  # type: ignore[return-value]



def _operator_only(module: SourceModule, project: Project, fn: ast.AST | None, depth: int = 0) -> bool:
    """Whether a function runs only when an operator, a cron job or the process's own schedule asks for it
    (see :func:`run_by_operators`), counting admin actions, start-up hooks and periodic jobs as such: one
    process calling a dependency once or now and then has no cascade for a breaker to stop. So is a task only
    a periodic schedule starts: one run at a time, and a method of an object only such code builds."""
    return run_by_operators(module, project, fn, also=lambda owner, f: is_offline_file(owner, project)
                            or _admin_action(owner, f)
                            or isinstance(owner.parents.get(f), ast.Module) and f.name in periodic_only_tasks(project)
                            or _is_start_up_hook(owner, f) or _periodic_job(owner, project, f)
                            or _scheduled_celery_task(owner, project, f) or _built_by_operators(owner, project, f, depth))


def _imported_by_command_lines_only(module: SourceModule, project: Project) -> bool:
    """A module that only command-line modules (not Django management commands) import, directly or through
    modules that only they import in turn (a command's data sources, registered by name in their package's
    ``__init__``), and that serves no
    routes or tasks itself: it runs when someone types the command, one call per source per run, with no
    stream of requests for a breaker to cut short."""
    seen, pending, command_lines = {module.path}, [module], 0
    while pending:
        current = pending.pop()
        if route_handlers(current, project) or defines_worker_tasks(current):
            return False  # serves requests or tasks itself, whoever imports it
        users = [m for m in module_importers(current, project) if not is_test_file(m)]
        if not users:
            return False  # loaded some other way (an entry point, a framework's discovery): maybe the service
        for user in users:
            if is_offline_file(user, project) and not is_management_command(user.path):
                command_lines += 1  # (a management command may be a long-running service process: followed on)
            elif user.path not in seen:
                seen.add(user.path)
                pending.append(user)
    return command_lines > 0


def _once_per_batch_run(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """A call of a batch pipeline's run (a method of a class whose ``steps()`` lists its methods, of a subclass,
    or a function only those call) that is not made again after it fails: neither it nor a call leading to it
    (three calls up) is in a loop, or nothing on the way catches its failure. The run fails once and the next
    scheduled run tries again; a breaker only helps a loop that carries on calling a service that is down."""
    fn = enclosing_function(module, call)
    if fn is None or not run_by_operators(module, project, fn, also=lambda owner, f: _pipeline_method(owner, project, f)):
        return False
    sites = [(module, call, fn)] + _call_sites(module, project, fn, 3)
    repeated = any(_in_body_of(m, node, scope, _loop) for m, node, scope in sites)
    caught = any(_in_body_of(m, node, scope, _catches) for m, node, scope in sites)
    return not (repeated and caught)


def _call_sites(module: SourceModule, project: Project, fn: ast.AST, depth: int) -> list[tuple[SourceModule, ast.AST, ast.AST | None]]:
    """Where ``fn`` is called, and where the functions calling it are, ``depth`` calls up: (module, call, its function).
    A method is followed through ``self.method(...)`` only: other objects' methods of that name are others'."""
    method = isinstance(module.parents.get(fn), ast.ClassDef)
    sites = [(m, node, enclosing_function(m, node)) for m, node, called in function_uses(module, project, fn)
             if called and (not method or isinstance(node, ast.Attribute) and dotted(node.value) == "self")]
    return sites + [site for m, _, caller in sites if caller is not None and depth > 1
                    for site in _call_sites(m, project, caller, depth - 1)]


def _in_body_of(module: SourceModule, node: ast.AST, scope: ast.AST | None, holds) -> bool:
    """Whether ``node`` sits in the body (not the ``else`` or the handlers) of a statement within ``scope`` for
    which ``holds(statement)``."""
    child = node
    for parent in ancestors(module, node):
        if parent is scope:
            return False
        if holds(parent) and any(child is statement for statement in getattr(parent, "body", ())):
            return True
        child = parent
    return False


def _loop(statement: ast.AST) -> bool:
    return isinstance(statement, (ast.For, ast.AsyncFor, ast.While))


def _catches(statement: ast.AST) -> bool:
    """A ``try`` with a handler that does not raise again."""
    return isinstance(statement, ast.Try) and any(not any(isinstance(n, ast.Raise) for n in walk_nodes(handler))
                                                  for handler in statement.handlers)


def _pipeline_method(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A method of a batch pipeline class (see :func:`_pipeline_classes`)."""
    owner = module.parents.get(fn)
    return isinstance(owner, ast.ClassDef) and owner.name in _pipeline_classes(project)


def _pipeline_classes(project: Project) -> set[str]:
    """Names of the classes that define a ``steps()`` returning their own methods in order (``return
    (cls.collect, cls.store)``: a batch pipeline a runner builds and walks step by step), and of their subclasses."""
    names = project.facts.get("r3.pipeline_classes")
    if names is None:
        classes = [(module, node) for module in project.modules if not is_test_file(module)
                   for node in walk_nodes(module.tree) if isinstance(node, ast.ClassDef)]
        names = {node.name for _, node in classes if any(_lists_steps(f) for f in node.body)}
        grown = True
        while grown:
            found = {node.name for _, node in classes
                     if any((dotted(base) or "").rsplit(".", 1)[-1] in names for base in node.bases)}
            grown = not found <= names
            names |= found
        project.facts["r3.pipeline_classes"] = names
    return names


def _lists_steps(fn: ast.AST) -> bool:
    """``def steps(cls): return (cls.collect, cls.store)``."""
    if not isinstance(fn, FUNCTION_TYPES) or fn.name != "steps" or not fn.args.args:
        return False
    owner = fn.args.args[0].arg
    returned = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Return)]
    return bool(returned) and all(isinstance(r, (ast.Tuple, ast.List)) and r.elts and all(
        isinstance(e, ast.Attribute) and dotted(e.value) == owner for e in r.elts) for r in returned)


def _built_by_operators(module: SourceModule, project: Project, fn: ast.AST, depth: int) -> bool:
    """A method of a class whose every object is built by operator code (``process = Commenter(...);
    process.run()`` in a management command, a factory only commands call, a method of another such class),
    also through a subclass: the method runs when the command does, however common its name (``run``)."""
    owner = module.parents.get(fn)
    if not isinstance(owner, ast.ClassDef) or not fn.args.args or fn.args.args[0].arg != "self":
        return False
    return bool(_builds(module, project, owner, depth))  # None (not only operators) or 0 (never built): no


def _builds(module: SourceModule, project: Project, cls: ast.ClassDef, depth: int) -> int | None:
    """How many places build an object of the class or of a subclass, all of them operator code; None when
    the service builds one, hands the class on as a value, or the class is nested or too deep to follow."""
    if depth > 3 or not isinstance(module.parents.get(cls), ast.Module):
        return None
    count = 0
    for user, node, called in _class_uses(module, project, cls):
        parent = user.parents.get(node)
        if isinstance(parent, ast.ClassDef) and node in parent.bases:
            subclass_builds = _builds(user, project, parent, depth + 1)
            if subclass_builds is None:
                return None
            count += subclass_builds
        elif called:
            if not _operator_only(user, project, enclosing_function(user, node), depth + 1) \
                    and not is_offline_file(user, project):
                return None
            count += 1
        elif not isinstance(parent, ast.Attribute) and not _names_a_type(user, node):
            return None  # handed on as a value: built wherever it goes
    return count


def _class_uses(module: SourceModule, project: Project, cls: ast.ClassDef) -> list[tuple[SourceModule, ast.AST, bool]]:
    """Where the service code names a class (see :func:`function_uses`), also through a package re-exporting it
    (``from app.client import Client`` for ``app/client/api.py``) when no other project class has its name."""
    uses = function_uses(module, project, cls)
    if len(_by_name(project, "r3_breaker_classes", lambda n: isinstance(n, ast.ClassDef) and n.name)[cls.name]) > 1:
        return uses
    seen = {id(node) for _, node, _ in uses}
    for user in project.modules:
        aliases = {alias for alias, target in user.imports.items() if target.rsplit(".", 1)[-1] == cls.name}
        if not aliases or user is module or is_test_file(user):
            continue
        called = {id(c.func) for c in user.nodes_of(ast.Call)}
        uses += [(user, node, id(node) in called) for node in walk_nodes(user.tree) if isinstance(node, ast.Name)
                 and node.id in aliases and isinstance(node.ctx, ast.Load) and id(node) not in seen]
    return uses


def _names_a_type(module: SourceModule, node: ast.AST) -> bool:
    """A class named in an annotation (``formulas: dict[str, Formula]``) or an ``isinstance`` test: no object built."""
    parent = module.parents.get(node)
    if isinstance(parent, ast.Call) and dotted(parent.func) in ("isinstance", "issubclass"):
        return True
    annotations = [a for p in ancestors(module, node) for a in (
        [p.annotation] if isinstance(p, (ast.arg, ast.AnnAssign)) else [p.returns] if isinstance(p, FUNCTION_TYPES) else [])]
    return any(n is node for a in annotations if a is not None for n in walk_nodes(a))


def _periodic_job(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A function the process runs on its own schedule: decorated as one (``@repeat_every(seconds=60)``,
    ``@schedule.repeat(schedule.every(2).minutes)``), or handed to a scheduler (``scheduler.add_job(fn, ...)``,
    ``schedule.every(5).minutes.do(fn)``, a project helper that sleeps in a loop calling it,
    ``run_repeated(self.refresh, 86400)``, or one that hands it on to such), and otherwise only called
    where it is handed so (run once now, then every day) or in a start-up hook."""
    if any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in SCHEDULE_DECORATORS
           for d in fn.decorator_list):
        return True
    owner = module.parents.get(fn)
    if isinstance(owner, ast.ClassDef):  # a method: its uses through self in its class (others may share the name)
        uses = [(module, n, isinstance(module.parents.get(n), ast.Call) and module.parents[n].func is n)
                for n in walk_nodes(owner) if isinstance(n, ast.Attribute) and n.attr == fn.name
                and dotted(n.value) == "self"]
    else:
        uses = function_uses(module, project, fn)
    scheduling = [(m, node) for m, node, called in uses if not called
                  and isinstance(m.parents.get(node), ast.Call) and _schedules(project, m.parents[node])]
    schedulers = {id(enclosing_function(m, node)) for m, node in scheduling}
    return bool(scheduling) and all(
        (m, node) in scheduling or called and (id(enclosing_function(m, node)) in schedulers or (
            (caller := enclosing_function(m, node)) is not None and _is_start_up_hook(m, caller)))
        for m, node, called in uses)


def _scheduled_celery_task(module: SourceModule, project: Project, fn: ast.AST, depth: int = 2) -> bool:
    """A Celery task started only by name from a beat schedule (``"beat_schedule": {"...": {"task":
    "update_channels", "schedule": 900.0}}``), from a start-up signal handler (``@worker_ready.connect``) or
    from such a task (``send_task("update_channel", args=[name])``), and never queued by the service
    (``.delay()``, ``.apply_async()``; a management command queuing it for an operator is one more run by
    hand): one run now and then. The entry names the task as Celery does by default, by its module's
    dotted name (``"task": "pricing.tasks.sync_rates"``), or by the name its decorator gives."""
    if not is_celery_task(module, fn) or depth == 0:
        return False
    names = {fn.name} | {string_value(kw.value) for d in fn.decorator_list if isinstance(d, ast.Call)
                         for kw in d.keywords if kw.arg == "name" and string_value(kw.value)}
    starts = 0
    for other in (m for m in project.modules if not is_test_file(m) and any(n in m.text for n in names)):
        for node in walk_nodes(other.tree):
            if isinstance(node, ast.Attribute) and node.attr in ("delay", "apply_async", "s", "si", "signature") \
                    and (dotted(node.value) or "").rsplit(".", 1)[-1] in names:
                if is_offline_file(other, project):
                    continue
                return False
            if isinstance(node, ast.Dict) and any(string_value(k) == "task" and _names_task(module, fn, names, v)
                                                  for k, v in zip(node.keys, node.values)):
                starts += 1
            elif isinstance(node, ast.Call) and (dotted(node.func) or "").endswith("send_task") and node.args \
                    and string_value(node.args[0]) in names:
                sender = enclosing_function(other, node)
                if sender is None or not (_is_start_up_hook(other, sender)
                                          or _scheduled_celery_task(other, project, sender, depth - 1)):
                    return False
                starts += 1
    return starts > 0


def _names_task(module: SourceModule, fn: ast.AST, names: set[str], value: ast.expr) -> bool:
    """Whether a beat schedule entry's task is this one: by a name it is given, or by Celery's default name,
    the module's dotted name and the function's (the module's path may have a source folder in front)."""
    text = string_value(value) or ""
    prefix, _, name = text.rpartition(".")
    return text in names or bool(prefix) and name == fn.name and f".{module.dotted_name}".endswith(f".{prefix}")


def _schedules(project: Project, call: ast.Call, depth: int = 2) -> bool:
    """Whether a call runs the function it is handed again and again: a scheduler's (``add_job``,
    ``every(...).do``), or a project function that calls one of its parameters in a loop that sleeps, or hands
    a parameter on to such a call."""
    name = (dotted(call.func) or "").rsplit(".", 1)[-1] if not isinstance(call.func, ast.Call) else "do"
    if name == "add_job" or name == "do" and "every(" in ast.unparse(call.func):
        return True
    for module, definition in _definitions(project).get(name, ()) if depth else ():
        if is_test_file(module):
            continue
        params = {a.arg for a in (*definition.args.posonlyargs, *definition.args.args, *definition.args.kwonlyargs)}
        for node in walk_function_body(definition):
            if isinstance(node, (ast.While, ast.For, ast.AsyncFor)) and any(
                    isinstance(n, ast.Call) and "sleep" in (dotted(n.func) or "") for n in walk_nodes(node)) and any(
                    isinstance(n, ast.Name) and n.id in params for c in walk_nodes(node) if isinstance(c, ast.Call)
                    for n in (c.func, *c.args)):
                return True
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id in params for a in node.args) \
                    and _schedules(project, node, depth - 1):
                return True
    return False


def _admin_action(module: SourceModule, fn: ast.AST) -> bool:
    """A view only administrators reach (``@admins_only``, ``@staff_member_required``), or a Django admin
    action (a function of an ``admin.py``, a method of a ``ModelAdmin``)."""
    if any(ADMIN_ONLY.search(dotted(d.func if isinstance(d, ast.Call) else d) or "") for d in fn.decorator_list):
        return True
    if module.path.rsplit("/", 1)[-1] == "admin.py" and module.imports_module("django"):
        return True
    owner = module.parents.get(fn)
    return isinstance(owner, ast.ClassDef) and any((dotted(b) or "").endswith("ModelAdmin") for b in owner.bases)


def _label(call: OutboundCall) -> str:
    return f"{dotted(call.node.func) or call.operation}()"


def _uses_breakers(project: Project) -> bool:
    for module in project.modules:
        if any(module.imports_module(lib) for lib in BREAKER_LIBRARIES):
            return True
        if "breaker" in module.text.lower() and any(isinstance(n, ast.ClassDef) and BREAKER_CLASS.search(n.name) for n in walk_nodes(module.tree)):
            return True
    return False


def _functions_handed_to_breakers(project: Project) -> set[str]:
    """Names of functions passed to ``breaker.call(fn, ...)`` anywhere in the code base."""
    names: set[str] = set()
    for module in project.modules:
        if not BREAKER_NAME.search(module.text):
            continue
        for node in walk_nodes(module.tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("call", "call_async", "call_with_retry") and node.args
                    and BREAKER_NAME.search(dotted(node.func.value) or "")):
                target = dotted(node.args[0])
                if target:
                    names.add(target.rsplit(".", 1)[-1])
    return names


def _guarded(module: SourceModule, call: OutboundCall, guarded_functions: set[str], project: Project | None = None) -> bool:
    if project is not None and _health_gated(module, project, call.node) or _backs_off_after_failure(module, call.node):
        return True
    for parent in ancestors(module, call.node):
        if isinstance(parent, FUNCTION_TYPES):
            if parent.name in guarded_functions or any(_names_breaker(d) for d in parent.decorator_list):
                return True
        elif isinstance(parent, (ast.With, ast.AsyncWith)):
            if any(_names_breaker(item.context_expr) for item in parent.items):
                return True
    return False


def _names_breaker(node: ast.expr) -> bool:
    """Whether an expression (decorator, context manager) names a circuit breaker."""
    for child in walk_nodes(node):
        name = child.id if isinstance(child, ast.Name) else child.attr if isinstance(child, ast.Attribute) else None
        if name and BREAKER_NAME.search(name):
            return True
    return False


def _tenant_configured(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """A call made for one of many user-configured integrations (a data source, an alert destination):
    its function reads the object's own configuration (``self.configuration["url"]``, ``options.get("token")``,
    a mapping handed to the constructor or to the method, never the process's settings), or is called only
    by functions of this file that do, or goes through a client that such a method builds
    (``client = self._get_client()``). Each tenant configures its own endpoint: there is no one dependency
    for a breaker to watch, and a failure stays with that tenant's query or alert."""
    fn = next((p for p in ancestors(module, call) if isinstance(p, FUNCTION_TYPES)), None)
    if fn is None:
        return False
    if _reads_tenant_config(module, project, fn):
        return True
    built_by = {node.targets[0].id: node.value for node in walk_function_body(fn)
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}
    root = call.func.value if isinstance(call.func, ast.Attribute) else None
    while isinstance(root, ast.Attribute):
        root = root.value
    maker = built_by.get(root.id) if isinstance(root, ast.Name) else None
    if isinstance(maker, ast.Call) and (dotted(maker.func) or "").startswith("self."):
        method = _own_method(module, fn, maker.func.attr if isinstance(maker.func, ast.Attribute) else "")
        if method is not None and _reads_tenant_config(module, project, method):
            return True
    callers = [node for node in walk_nodes(module.tree) if isinstance(node, ast.Call)
               and (dotted(node.func) or "") in (fn.name, f"self.{fn.name}", f"cls.{fn.name}")]
    outer = [next((p for p in ancestors(module, c) if isinstance(p, FUNCTION_TYPES)), None) for c in callers]
    return bool(outer) and len(_calls_named(project).get(fn.name, ())) == len(callers) \
        and all(o is not None and o is not fn and _reads_tenant_config(module, project, o) for o in outer)


def _own_method(module: SourceModule, fn: ast.AST, name: str) -> ast.AST | None:
    owner = next((p for p in ancestors(module, fn) if isinstance(p, ast.ClassDef)), None)
    if owner is None:
        return None
    return next((n for n in owner.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)


def _reads_tenant_config(module: SourceModule, project: Project, fn: ast.AST, depth: int = 1) -> bool:
    """Whether ``fn`` reads a key of a per-object configuration mapping: a parameter named like one
    (``options``, ``configuration``) that no caller fills from the settings, or a ``self`` attribute so
    named that is only ever set from a constructor's parameter; or a ``self`` attribute that its class
    sets from such a key (``self.base_url = self.configuration["url"]``), or calls a method of its class
    that reads one (``auth = self.get_auth()``)."""
    if _own_config_reads(module, project, fn):
        return True
    if depth == 0:
        return False
    derived = _config_derived_attributes(module, project, fn)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) \
                and node.value.id == "self" and node.attr in derived:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == "self":
            method = _own_method(module, fn, node.func.attr)
            if method is not None and method is not fn and _own_config_reads(module, project, method):
                return True
    return False


def _config_derived_attributes(module: SourceModule, project: Project, fn: ast.AST) -> set[str]:
    """The ``self`` attributes that the class of ``fn`` sets from its configuration's keys."""
    owner = next((p for p in ancestors(module, fn) if isinstance(p, ast.ClassDef)), None)
    if owner is None:
        return set()
    classes = {n.name: n for n in module.tree.body if isinstance(n, ast.ClassDef)}
    lineage, pending = [], [owner]
    while pending:  # the class and its bases of the same file (Kibana(BaseElasticSearch))
        cls = pending.pop()
        if cls not in lineage:
            lineage.append(cls)
            pending.extend(classes[b.id] for b in cls.bases if isinstance(b, ast.Name) and b.id in classes)
    found: set[str] = set()
    for method in (n for cls in lineage for n in cls.body if isinstance(n, FUNCTION_TYPES)):
        local: set[str] = set()  # user = self.configuration.get("user"); self.auth = Auth(user, ...)
        for node in sorted((n for n in walk_function_body(method) if isinstance(n, ast.Assign)), key=lambda n: n.lineno):
            derived = _config_reads(project, method, node.value) or any(
                isinstance(n, ast.Name) and n.id in local for n in walk_nodes(node.value))
            if not derived:
                continue
            local.update(t.id for t in node.targets if isinstance(t, ast.Name))
            found.update(t.attr for t in node.targets if isinstance(t, ast.Attribute) and dotted(t.value) == "self")
    return found


def _own_config_reads(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    return any(_config_reads(project, fn, node) for node in fn.body)


def _config_reads(project: Project, fn: ast.AST, tree: ast.AST) -> bool:
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
    for node in walk_nodes(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            mapping = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args:
            mapping = node.func.value
        else:
            continue
        if isinstance(mapping, ast.Name) and mapping.id in params and TENANT_CONFIG.match(mapping.id) \
                and not _filled_from_settings(project, fn, mapping.id):
            return True
        if isinstance(mapping, ast.Attribute) and isinstance(mapping.value, ast.Name) and mapping.value.id == "self" \
                and TENANT_CONFIG.match(mapping.attr) and _set_from_constructor(project, mapping.attr):
            return True
    return False


def _filled_from_settings(project: Project, fn: ast.AST, param: str, called_as: str | None = None) -> bool:
    """Whether some call of ``fn`` (by name, or by ``called_as``: the class, for a constructor) passes the
    process's settings for ``param``: a name the caller imports or defines at module level (``settings``,
    ``config``), ``app.config``, ``os.environ``."""
    names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    position = names.index(param) if param in names else None
    if position is not None and names and names[0] in ("self", "cls"):
        position -= 1
    for caller_module, caller in _calls_named(project).get(called_as or fn.name, ()):
        given = next((kw.value for kw in caller.keywords if kw.arg == param), None)
        if given is None and position is not None and 0 <= position < len(caller.args):
            given = caller.args[position]
        if given is not None and _is_settings(caller_module, given):
            return True
    return False


def _is_settings(module: SourceModule, value: ast.expr) -> bool:
    name = dotted(value) or ""
    root = name.split(".", 1)[0]
    if not root or root in ("self", "cls"):
        return False
    top_level = {t.id for n in module.tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return name in GLOBAL_CONFIG or name.endswith(".config") or root.isupper() or root in module.imports \
        or root in top_level


def _set_from_constructor(project: Project, attribute: str) -> bool:
    """Whether every ``self.<attribute> = ...`` in the project stores a parameter of the function doing it
    (``def __init__(self, configuration): self.configuration = configuration``): each object carries its own."""
    table = project.facts.get("r3_self_assignments")
    if table is None:
        table = {}
        for module in (m for m in project.modules if not is_test_file(m)):
            for node in walk_nodes(module.tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute) \
                        and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == "self":
                    fn = next((p for p in ancestors(module, node) if isinstance(p, FUNCTION_TYPES)), None)
                    params = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)} if fn is not None else set()
                    from_parameter = isinstance(node.value, ast.Name) and node.value.id in params
                    owner = module.parents.get(fn) if fn is not None else None
                    # a constructor that some caller hands the settings (Client(settings.API)) holds the settings
                    if from_parameter and fn.name == "__init__" and isinstance(owner, ast.ClassDef) \
                            and _filled_from_settings(project, fn, node.value.id, owner.name):
                        from_parameter = False
                    table.setdefault(node.targets[0].attr, []).append(from_parameter)
        project.facts["r3_self_assignments"] = table
    found = table.get(attribute, [])
    return bool(found) and all(found)


def _many_destinations(module: SourceModule, project: Project, call: OutboundCall) -> bool:
    """A call whose URL the code itself treats as anyone's: it goes through an SSRF guard (``advocate``, a
    client built in the function with a ``transport=`` named safe/SSRF, a check of the URL before the call,
    ``validate_url_for_crawl(url)``, ``is_fetch_url_allowed(url)``, ``is_url_private_or_parser_confused(url)``,
    a test whether a path or URL it was given is a URL at all, ``validators.url(path)``, or whether a link found in
    data is downloadable, ``is_downloadable(url)``),
    or every caller checks the destination it hands on (see :func:`_validated_by_callers`),
    or it posts to each URL of a list in turn (``for url in subscriber_urls: requests.post(url, ...)``). Many hosts, chosen by users:
    no one dependency for a breaker to watch."""
    if SSRF_GUARD.search(dotted(call.node.func) or "") or SSRF_GUARD.search(call.library or ""):
        return True
    fn = next((p for p in ancestors(module, call.node) if isinstance(p, FUNCTION_TYPES)), None)
    if any(SSRF_GUARD.search(ast.unparse(transport)) for transport in _client_transports(module, call)):
        return True
    url = _url_of(call)
    if fn is None or not isinstance(url, ast.Name):
        return False
    if any(isinstance(n, ast.Call) and URL_VALIDATOR.search(dotted(n.func) or "")
           and any(isinstance(a, ast.Name) and a.id == url.id for a in n.args) for n in walk_function_body(fn)):
        return True  # FileService._validate_url_for_crawl(url): checked as anyone's URL
    return _loop_source(module, call.node, url) is not None or _validated_by_callers(module, project, fn, url)


def _validated_by_callers(module: SourceModule, project: Project, fn: ast.AST, url: ast.Name) -> bool:
    """The URL is built from a parameter of the function (``pinned_url = pin_url_to_ip(parsed, ip)``), and every
    caller checks the destination as anyone's before calling it (``validate_webhook_destination(parsed.hostname)``
    ... ``post_pinned(parsed, ...)``): the function posts wherever the checked input points."""
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
    if not any(isinstance(n, ast.Name) and n.id in params for n in walk_nodes(_resolved(fn, url))):
        return False
    callers = [(enclosing_function(m, c), c) for m, c in _calls_named(project).get(fn.name, ()) if not is_test_file(m)]
    return bool(callers) and all(caller is not None and any(
        isinstance(n, ast.Call) and n.lineno < c.lineno and URL_VALIDATOR.search(dotted(n.func) or "")
        for n in walk_function_body(caller)) for caller, c in callers)


def _client_transports(module: SourceModule, call: OutboundCall) -> list[ast.expr]:
    """The ``transport=`` given to the client the call is made on, where the function (or the one it is nested
    in) builds that client: ``async with httpx.AsyncClient(transport=...) as client``, ``client = Client(transport=...)``."""
    receiver = call.node.func.value if isinstance(call.node.func, ast.Attribute) else None
    name = dotted(receiver) if receiver is not None else None
    if not name:
        return []
    made: list[ast.expr] = []
    scopes = [p for p in ancestors(module, call.node) if isinstance(p, FUNCTION_TYPES)]
    for scope in scopes[:2]:  # the function, and the one it is nested in (async def do(client, url) inside a fetcher)
        for node in walk_function_body(scope):
            items = node.items if isinstance(node, (ast.With, ast.AsyncWith)) else []
            made += [item.context_expr for item in items if dotted(item.optional_vars) == name]
            if isinstance(node, ast.Assign) and any(dotted(t) == name for t in node.targets):
                made.append(node.value)
    return [kw.value for value in made if isinstance(value, ast.Call) for kw in value.keywords if kw.arg == "transport"]


def _in_process(module: SourceModule, call: OutboundCall) -> bool:
    """A call on a client whose transport hands the request to an application in this process
    (``httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))``: the service calling its own routes)."""
    return any(isinstance(t, ast.Call) and IN_PROCESS_TRANSPORT.search(dotted(t.func) or "")
               for t in _client_transports(module, call))


def _health_gated(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """A call that a home-grown breaker gates: it runs only after a check of the dependency's recent
    failures (``if not TokenBucket.s3_is_healthy(): raise ...`` before it, or ``if breaker_open(): return``),
    in its own function or in every function that calls it."""
    fn = next((p for p in ancestors(module, call) if isinstance(p, FUNCTION_TYPES)), None)
    if fn is None:
        return False
    if _gate_before(module, fn, call):
        return True
    callers = [(m, c) for m, c in _calls_named(project).get(fn.name, ()) if not is_test_file(m) and c is not call]
    return bool(callers) and all(
        _gate_before(m, next((p for p in ancestors(m, c) if isinstance(p, FUNCTION_TYPES)), None), c) for m, c in callers)


def _gate_before(module: SourceModule, fn: ast.AST | None, call: ast.Call) -> bool:
    """An ``if`` testing a health/breaker check that leaves the function, before ``call``; or one that
    holds ``call`` in its body."""
    if fn is None:
        return False
    for node in walk_function_body(fn):
        if not isinstance(node, ast.If) or not any(
                isinstance(n, ast.Call) and HEALTH_GATE.search(dotted(n.func) or "") for n in walk_nodes(node.test)):
            continue
        if any(n is call for stmt in node.body for n in walk_nodes(stmt)):
            return True
        if node.lineno < call.lineno and any(isinstance(stmt, (ast.Raise, ast.Return)) for stmt in node.body):
            return True
    return False


CACHE_WRITES = {"set", "setex", "add"}


def _backs_off_after_failure(module: SourceModule, call: ast.Call) -> bool:
    """A home-grown breaker kept in a cache: a handler of the call's failure stores a key for a while
    (``cache.set("releases.no_retry", url, 900)``) that an ``if`` before the call reads and leaves on
    (``if url == cache.get("releases.no_retry"): return []``): once it fails the call is skipped until the key
    expires, as an open breaker would."""
    fn = enclosing_function(module, call)
    flags = {ast.dump(n.args[0]) for attempt in ancestors(module, call) if isinstance(attempt, ast.Try)
             and any(call is n for statement in attempt.body for n in walk_nodes(statement))
             for handler in attempt.handlers for n in walk_nodes(handler)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in CACHE_WRITES
             and len(n.args) >= 2}
    if fn is None or not flags:
        return False
    return any(isinstance(node, ast.If) and node.lineno < call.lineno
               and any(isinstance(statement, (ast.Return, ast.Raise)) for statement in node.body)
               and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get"
                       and n.args and ast.dump(n.args[0]) in flags for n in walk_nodes(node.test))
               for node in walk_function_body(fn))


def _release_check(module: SourceModule, call: ast.Call) -> bool:
    """A check for a new release of the product itself, in a function named for it (``run_version_check``,
    ``check_for_updates``, ``get_latest_github_release``): run daily or cached, for an admin's banner. When
    it fails nothing waits on it and nothing cascades: no dependency for a breaker to guard."""
    fn = next((p for p in ancestors(module, call) if isinstance(p, FUNCTION_TYPES)), None)
    return fn is not None and bool(RELEASE_CHECK.search(fn.name))


def _kept_for_the_process(module: SourceModule, call: ast.Call) -> bool:
    """A fetch whose result its function stores into a process-wide cache mapping (``key_cache[url] = keys``
    on a module-level name or a function attribute named for a cache): asked once per key for the life of
    the process (a signing key set, a discovery document), not per request."""
    fn = next((p for p in ancestors(module, call) if isinstance(p, FUNCTION_TYPES)), None)
    if fn is None:
        return False
    module_names = {t.id for n in module.tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    functions = {n.name for n in module.tree.body if isinstance(n, FUNCTION_TYPES)}
    memo_tests = {dotted(n.comparators[0]) for n in walk_function_body(fn) if isinstance(n, ast.Compare)
                  and len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn))}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) for t in node.targets):
            for target in (t for t in node.targets if isinstance(t, ast.Subscript)):
                name = dotted(target.value) or ""
                root = name.split(".", 1)[0]
                if ("cache" in name.rsplit(".", 1)[-1].lower() or name in memo_tests) \
                        and (root in module_names or root in functions):
                    return True
    return False


FILE_WRITES = {"write", "writelines", "write_text", "write_bytes", "dump", "copyfileobj"}


def _saved_to_file(module: SourceModule, call: ast.Call) -> bool:
    """A download its function writes into a file it opens for writing (``r = requests.get(FEED_URL)`` ...
    ``with open(db_location, "w") as f: f.write(r.text)``, ``json.dump(r.json(), f)``): a blocklist or a
    database refreshed now and then into a local copy that the service reads instead of the dependency."""
    fn = enclosing_function(module, call)
    assignment = module.parents.get(call)
    if fn is None or not isinstance(assignment, ast.Assign) or not isinstance(assignment.targets[0], ast.Name):
        return False
    derived = _derived_names(fn, assignment.targets[0].id)
    calls = [n for n in walk_function_body(fn) if isinstance(n, ast.Call)]
    opens_for_writing = any(
        dotted(n.func) == "open" and any(
            any(c in (string_value(m) or "") for c in "wax") for m in [*n.args[1:2], *(k.value for k in n.keywords
                                                                       if k.arg == "mode")])
        for n in calls)
    return opens_for_writing and any(
        (dotted(n.func) or "").rsplit(".", 1)[-1] in FILE_WRITES
        and any(isinstance(m, ast.Name) and m.id in derived for a in [*n.args, *(k.value for k in n.keywords)]
                for m in walk_nodes(a))
        for n in calls)


def _derived_names(fn: ast.AST, name: str) -> set[str]:
    """``name`` and the names the function binds from it (``data = response.json()``, ``for line in
    data.splitlines()``, ``cleaned += line``), and from those in turn."""
    derived = {name}
    for _ in range(4):
        for node in walk_function_body(fn):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                targets, value = (node.targets if isinstance(node, ast.Assign) else [node.target]), node.value
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                targets, value = [node.target], node.iter
            else:
                continue
            if any(isinstance(m, ast.Name) and m.id in derived for m in walk_nodes(value)):
                derived |= {t.id for target in targets for t in walk_nodes(target) if isinstance(t, ast.Name)}
    return derived


def _local_sidecar(module: SourceModule, project: Project, call: OutboundCall) -> bool:
    """A call to a process beside this one: its URL, or the ``base_url`` of its session, is a ``self``
    attribute that ``__init__`` sets from a parameter, and every construction of the class in the code base
    hands a literal local address (``H2Backend(URL(f"http://localhost:{port}"), ...)``). A sidecar fails
    with its host, not as a remote dependency whose outage a breaker would contain."""
    url = _url_of(call)
    base = call.client.keyword("base_url") if call.client is not None else None
    cls = next((p for p in ancestors(module, call.node) if isinstance(p, ast.ClassDef)), None)
    init = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None) \
        if cls is not None else None
    if init is None:
        return False
    for expr in (url, base):
        if not (isinstance(expr, ast.Attribute) and dotted(expr.value) == "self"):
            continue
        stored = [n.value.id for n in walk_function_body(init) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name)
                  and any(dotted(t) == dotted(expr) for t in n.targets)]
        positional = [a.arg for a in [*init.args.posonlyargs, *init.args.args]][1:]
        if len(stored) != 1 or stored[0] not in positional:
            continue
        at = positional.index(stored[0])
        given = [c.args[at] if len(c.args) > at else next((k.value for k in c.keywords if k.arg == stored[0]), None)
                 for m, c in _calls_named(project).get(cls.name, ()) if not is_test_file(m)]
        if given and all(g is not None and _local_address(g) for g in given):
            return True
    return False


def _local_address(expr: ast.expr) -> bool:
    """A literal URL of this machine, also wrapped in a constructor (``URL("http://127.0.0.1:4000")``)."""
    if isinstance(expr, ast.Call) and len(expr.args) == 1:
        expr = expr.args[0]
    head = expr.values[0] if isinstance(expr, ast.JoinedStr) and expr.values else expr
    return bool(LOCAL_TARGET.match(string_value(head) or ""))


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _disables_after_failures(module: SourceModule, call: ast.Call) -> bool:
    """A delivery whose failure handler switches the destination off (``Webhook.objects.filter(pk=hook.id)
    .update(is_active=False)``, ``hook.enabled = False``), on every failure or after the retries run out:
    a home-grown breaker that opens for good until someone turns the hook back on."""
    for attempt in (p for p in ancestors(module, call) if isinstance(p, ast.Try)):
        if not any(call is n for statement in attempt.body for n in walk_nodes(statement)):
            continue
        for node in (n for handler in attempt.handlers for n in walk_nodes(handler)):
            if isinstance(node, ast.Call) and any(
                    kw.arg and SWITCH.match(kw.arg) and _is_false(kw.value) for kw in node.keywords):
                return True
            if isinstance(node, ast.Assign) and _is_false(node.value) and any(
                    isinstance(t, ast.Attribute) and SWITCH.match(t.attr) for t in node.targets):
                return True
    return False


def _availability_probe(module: SourceModule, call: ast.Call) -> bool:
    """A call in a predicate (``enabled()``, ``is_on_cloud()``) inside a ``try`` whose handlers answer
    False: it asks whether the other side is there at all, and its failure is the answer a breaker
    would hide."""
    fn = next((p for p in ancestors(module, call) if isinstance(p, FUNCTION_TYPES)), None)
    if fn is None or not PREDICATE.match(fn.name):
        return False
    for parent in ancestors(module, call):
        if parent is fn:
            return False
        if isinstance(parent, ast.Try) and any(call is n for stmt in parent.body for n in walk_nodes(stmt)):
            return bool(parent.handlers) and all(
                any(isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and n.value.value is False
                    for n in walk_nodes(h)) for h in parent.handlers) and any(
                h.type is None or UNREACHABLE.search(ast.unparse(h.type)) for h in parent.handlers)
    return False
