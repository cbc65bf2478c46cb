"""R4.unbounded-state: in-memory state of a long-lived process that only grows.

## What it does
Reports in-memory state of a long-lived process that grows without a bound. Four kinds
are recognised:

- a module-level or class-level `dict`/`list`/`set` (also `defaultdict`,
  `OrderedDict`, `Counter`, `deque`), a `deque` stored on `self`, or any of these
  created in `__init__` of a long-lived class (a method runs a service loop that
  awaits, `while self.running: await ...`, or an `if __name__ == "__main__":` block of
  the project makes an instance: a worker's own object, `handler = CrawlerHandler(app)`; or an
  `asyncio.DatagramProtocol`, one object for every datagram of its endpoint), that functions other than `__init__` (and,
  for instance state, the set-up hooks run once per object: `on_startup`, `cog_load`,
  `setup_hook`, `initialize`, ..., and the methods only they call) add to (`x[k] = v`, `append`, `add`, `update`, `setdefault`, ...) while nothing ever
  removes from it or bounds it (`pop`, `del`, `clear`, `remove`, `discard`,
  `popleft`, reassignment, slice reset, or a `len(x)` comparison; an addition to an inner container,
  `pending[paw][upload_id] = upload` or `store[kind].append(obj)`, counts, and is bounded by a removal from
  the inner ones, `pending[paw].pop(upload_id)`; a removal handed on
  as a callback counts: `task.add_done_callback(tasks.discard)`, the asyncio-documented
  way to keep a reference to each running task). A module-level
  container imported by name into another project file (`from .cache import
  _statuses`) is followed there too: its additions and removals in that file count. An addition
  under a key (`x[k] = v`, `setdefault`, `add`) counts only where the key names what comes anew with
  traffic (a request, user, account, session, client, host or address, a job or task, a message, a URL,
  an id: `jobs[job.id] = job`, directly or through the local it is built into) or is made in a `while`
  loop, or holds a value read from the request (in the function, or passed by a caller for a parameter the key
  is made of: `get_news(days=int(request.args["age"]))` keyed by `(feeds, channel, days)`); a key of anything
  else (an error code, a namespace, a tree's folder, an index) is one of a set the deployment fixes as often as not;
- `functools.lru_cache(maxsize=None)` / `functools.cache` on a function that takes
  arguments (a method's `self` counts: the cache also keeps every instance alive), and
  `cachetools.cached` given a plain `dict`;
- `asyncio.Queue()`, `queue.Queue()`, `multiprocessing.Queue()` (and the Lifo/Priority
  variants) without a positive `maxsize`, and `queue.SimpleQueue()`, when the queue
  is long-lived (module level, class level, `self.` attribute) or created by a function
  that starts workers, registers it (`register_listener(q)`, `subscribe(q)`), or runs
  a service loop, itself or in a nested function that uses the queue (`while True`,
  or a flag named for a lifetime: `while running`, `while not self.stopped`,
  `while not self._is_shutting_down()`; not `while not q.empty()` or `while
  self.tasks`, which drain a container), or handed as a keyword to a constructor
  (`Connection(inbox=asyncio.Queue())`) and put into under that name by a service loop
  (`while running: conn.inbox.put_nowait(msg)`), and something puts into it (not a local queue that bridges one
  result or one stream of the call: the function takes from it up to an end, a `get` after `thread.join()` or
  a `while` loop left on a sentinel, or every put is made by the workers it starts, once or per item of a `for`
  loop, never in a `while` loop, nor a queue on `self` that carries the one result of a thread its method starts:
  one put, outside any loop, in the nested function handed to `Thread(target=...)`): a queue is judged
  only on a put that reaches it or on its registration with a listener registry (`register_listener(q)`);
  one only handed to a process or an object (`Process(args=(q,))`, a request-reply channel or a logging
  hand-off as often as a feed) shows no growth of its own and is not reported (puts are matched by the name it is bound
  to: `self.X.put` of the same class, of a base class or a subclass naming it, `X.put`/`obj.X.put` elsewhere; a module-level
  queue imported by another file is filled by the puts made there under its name). A queue bounded after construction
  (`handler.queue.maxsize = config[...]`, matched by the same name) is bounded, so is a pool of lent
  items (filled by a `for` loop in the method that makes it, a method returns what it takes, `client =
  self.pool.get_nowait(); return client`, and every other put gives back a parameter, `def release(self,
  client): self.pool.put_nowait(client)`), and so
  is a queue whose every put enqueues only a configured peer (`host`/`port` parameters)
  and at most a retry counter (`attempt`): work driven by the cluster's configuration,
  not by traffic (a queue of event kinds is still reported). A queue an object makes anew under the
  same attribute (`self.outgoing = asyncio.Queue()` again after a cancel or a reconnect) is the one queue,
  reported once, where the class first makes it;
- `collections.deque()` without `maxlen` stored at module level, class level or on
  `self`, when nothing removes from it; and one of a long-lived class (see above) used
  as a work queue: a method adds to it (`put_nowait(item): self._queue.append(item)`)
  and only other methods take from it one item at a time (`popleft`, `pop`), with no
  `clear()` or `len()` comparison: a consumer slower than its producers lets it grow
  (a deque popped elsewhere is bounded by its consumer, as before).

Not reported: bounded caches (`lru_cache(maxsize=1024)`, cachetools
`TTLCache`/`LRUCache`), caches of zero-argument functions or of functions whose every
argument is a `bool` (annotated or defaulting to `True`/`False`), a `Literal[...]`, an
`Enum` of the module, or a class (annotated `type[...]`, or named `*_class`, `klass`,
`model`, `serializer`, ...), or named as one choice of a fixed set (`name`, `kind`,
`mode`, `locale`, `lang`, `env`, `dataset`, `table`, `field`, `feature`, `role`, `status`, `priority`, `contract`,
`category`/`category_id` (the categories the operators set up),
`provider`, `resolver`, `issuer`, `*_type`, `*_format`, a provider's configured `*api_key` or `*base_url`, ...), or
named for a collection of such choices (`permissions_tuple`, `roles`, `scopes`: the combinations the code grants): a
process has few of those; constants (never
mutated); registries filled at import time: additions made by module-level code, by
functions used as decorators (or nested in one) or shaped as one (they return their
first argument: `def register(cls): ...; return cls`), by functions named
`register...`, by helpers the module deletes once imported (`del def_op`), by
`__init_subclass__`/`__set_name__`, by a Django `AppConfig.ready()` (run once at start-up),
by functions only called at module level, and per-class singletons keyed by `cls` (also a
metaclass's `__call__` keyed by the class and what the instance is built with). Registries filled
at start-up across the project: by start-up hooks (Pyramid's `includeme`, app factories
`create_app`/`make_app`, `on_startup`, a FastAPI `lifespan=`, plugin loading, a module-level
`main`/`setup` that runs no loop), by functions named `register...` or `configure...`, by the function a decorator factory returns (`def wrapper(klass)`), and, to a fixed point, by
any function (for a class, its `__init__`: `SERVICES.append(self)`) whose every call in the project
(a module-level function's calls are those that resolve to it, also under an import alias: `from .sms import
init as sms_init`) runs at import time or in one of those, outside a `while` loop, and that is never handed on as a
value (a view or callback is called per request). A class-level list filled through `self` in the
object's `start()`, outside a `while` loop, is that object's own start-up state. A container that escapes the module (passed to
another function, aliased or returned, or a class-level one handed by its class's name to a call in any
project file: `Watcher(Router.pool)`) is not judged: code elsewhere may bound it.
Local state of a function, instance dicts and lists of other classes (per-request
objects, builders: their state dies with them; module-level singletons too, which on
library code were mostly registries of a fixed set of names), test files and
files of short-lived processes (Django management commands, migrations, `setup.py`,
`manage.py`, `scripts/`, the top-level `tools/` folder, benchmarks, profiling) and the
documentation build (the top-level `docs/` folder, Sphinx `docs/conf.py`) are not
audited. A key written in the code (`classes["dynamic"] = ...`, `seen.add("ready")`, or a local that only
ever holds literals: `key = "cgroup_v2"` ... `key = "psutil"`; `samples[key] = ...`) adds one entry per literal
at most. A dict filled under a parameter named as one choice of a fixed set
(`tasks_by_name[name] = task`, `seen.add(name)`, same names as for caches), or under an object's kind
(`_current_jobs[job.job_type] = job`), is bounded by that set (and one keyed by the signed-in account,
`searched_ids[current_user.id] = ids`, holds one entry per account, replaced on each request), and so is one keyed by a local made only from such parameters (`fullname =
prefix(name); queues[fullname] = ...`) or by a loop variable named as a class (`for model, viewsets in
registry.items(): cache.setdefault(model, ...)`). So is a dict of a module-level function (or of a private method, through the `self.` calls of its
class) keyed by its parameters (alone, or a tuple of them: `key = (db_index, raw); _clients[key] = ...`) when
every call of that function in the project passes, for each of them, a literal, a setting
(`config.KV_DB_INDEX`, `settings.X`, `app.config["X"]`) or a named constant or enum member
(`JOBS_DB`, `Store.JOBS`), or leaves its default: a handful of keys the code names. And
a cache of the application's own files: the key names a file under the package's folder
(`__file__`, Flask's `root_path`), built into a path before the addition (a name with no
such file raises first), so it holds at most the files the application ships. Also bounded: additions under a load-once guard
that the block itself fills (`if not _types: ... _types[oid] = n; _names.add(n)`; a class-level catalog,
`if not self.by_id: for w in load_catalog(): self.by_id[w.id] = w`), and
copies of the configuration: `cache[key] = config.get(key)` (keyed by option names) or
`aliases.update(mappings)` with `mappings = config.get(...)`, classes built at run time
(`models[column.id] = type(name, (Base,), attributes)`: one mapped table per entry of the database's schema),
and caches keyed by a name the function first
looks up in a registry or the configuration (`config = LLMConfigRegistry.get_config(llm_key)` ...
`_handlers[llm_key] = handler`): one entry per entry the code registered. Assigning to a list
slot (`buffers[i] = []`) never grows the list and counts as a reset. Bounded as well: a key read from
the configuration (`_configs[config.connection_url] = ...`), a file cached per modification time
(`key = (path, os.path.getmtime(path))`), a file the function reads keyed by its path (a parameter
annotated `Path` or named `path`/`*_path`/`filename`, handed to `open`/`from_file`/`load`...: the files of the
server's disk), a key made only from the variable of a `for` loop over a constant of the code (`for sev in
Severity: escalate_map[str(sev + 1)] = ...`: one entry per member; or over literals listed in the loop, `for
field in ("groups", "roles")`), a lock (`Lock`, `Semaphore`, ...) per
configured entity (`_locks.setdefault(project_id, asyncio.Lock())`, keyed by a project, backend, tenant,
database, camera, model, device, ...: not one per user, session or client host), a cache its authors acknowledged (`@functools.cache  # noqa:
B019`), a `@functools.cache` whose every caller passes such fixed values (a named constant, `load_vocabulary(MODEL_DIR)`,
or a local bound to a literal) and nothing for its `**options`: one entry per value the code names,
a `@functools.cache` on a method of `self` alone whose class
is made only at module level or while the service starts (`config = SiteConfig()`), a queue whose every put is a request
whose answer its caller then waits for (a put outside any loop followed by `event.wait()`, `future.result()`,
`sock.recv()`, `responses.get(timeout=1)`, `next(predictions)`; or carrying a future the function returns or awaits,
`q.put((process, future)); return future`; or returning the ticket it put, `request_id`, to callers that each
wait on it): it holds one item per waiting caller, a local queue whose
producer drains it once it reaches a size (`if queue.qsize() >= batch_size: await flush()`; a put in an
`except` of the drain hands back what it took), a module-level queue whose every producer also calls a
function that empties it whole (`while not q.empty(): q.get_nowait()`), a queue whose every producer, after its puts,
waits until the consumers took everything (`while not q.empty(): await asyncio.sleep(1)`, `await q.join()`): it holds one
batch at most, and the class-level state of a test double no service
file names (`class CapturingPublisher`). A bulk addition of what a parameter named for a list of choices holds
(`RESOURCES.update([s.split(":")[1] for s in scopes])`, `roles`, `permissions`) holds the set the code declares, and
an addition made only under a test-mode flag of the configuration (`if app.config.get("CELERY_ALWAYS_EAGER"):`,
`TESTING`, `TEST_MODE`) never runs in production. Additions and removals in functions written for the test suite
(named `..._for_tests`, documented as a testing utility) do not count: a `reset()` only tests call does
not bound a registry; nor do additions in a top-level function the test suite calls and no file of the service
names but by its `def`: it never runs in production.

## Why is this bad?
A cache or buffer keyed by user ids, URLs or request data grows with traffic. Memory
climbs until the container is killed for OOM, and until then every garbage collection
walks a bigger heap: latency degrades long before the crash. An unbounded queue hides
a consumer slower than its producer until memory runs out, where a bounded one applies
back-pressure (Backend Posture R4, gate V14: bounded in-memory state is mandatory).

## Example
```python
_user_cache = {}

def get_user(user_id):
    if user_id not in _user_cache:
        _user_cache[user_id] = db.fetch_user(user_id)
    return _user_cache[user_id]
```

## Use instead
```python
from cachetools import TTLCache, cached

@cached(TTLCache(maxsize=10_000, ttl=300))
def get_user(user_id):
    return db.fetch_user(user_id)
```

## References
- functools.lru_cache: https://docs.python.org/3/library/functools.html#functools.lru_cache
- cachetools: https://cachetools.readthedocs.io/
- asyncio.Queue maxsize: https://docs.python.org/3/library/asyncio-queue.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from itertools import takewhile
from dataclasses import dataclass, field

from audit_lib.findings import Confidence, Finding
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_name,
    declared_globals,
    dotted,
    enclosing_function,
    enclosing_loops,
    in_main_block,
    is_none,
    is_self_attribute,
    keyword,
    method_name,
    qualified,
    walk_function_body,
    walk_nodes,
)
from audit_lib.libs.db import is_alembic_revision
from audit_lib.registry import rule
from audit_lib.rules.r4_lifecycle._common import (
    called_by_tests_only,
    is_short_lived_path,
    project_index,
    resolve_function,
)
from audit_lib.source import Project, SourceModule, is_test_path

CONTAINER_FACTORIES = {
    "dict": "dict", "list": "list", "set": "set", "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict", "collections.Counter": "Counter", "collections.deque": "deque",
}
ADD_METHODS = {"append", "extend", "add", "update", "setdefault", "insert", "appendleft", "extendleft",
               "__setitem__", "push"}
TAKE_METHODS = {"pop", "popleft"}  # a deque consumed as a work queue, one item at a time
REMOVE_METHODS = {"pop", "popitem", "clear", "remove", "discard", "popleft", "difference_update",
                  "intersection_update", "symmetric_difference_update", "__delitem__"}
READ_ONLY_CALLEES = {"len", "list", "sorted", "tuple", "dict", "set", "frozenset", "iter", "enumerate", "any", "all",
                     "sum", "min", "max", "isinstance", "print", "repr", "str", "reversed", "bool", "next",
                     "json.dumps", "copy.copy", "copy.deepcopy", "dataclasses.replace"}
UNBOUNDED_CACHES = {"functools.cache"}
LRU = "functools.lru_cache"
QUEUES = {"asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue", "queue.Queue", "queue.LifoQueue",
          "queue.PriorityQueue", "multiprocessing.Queue", "multiprocessing.JoinableQueue", "asyncio.queues.Queue"}
ALWAYS_UNBOUNDED_QUEUES = {"queue.SimpleQueue", "multiprocessing.SimpleQueue"}
WORKER_STARTERS = {"asyncio.create_task", "asyncio.ensure_future", "asyncio.gather", "threading.Thread",
                   "multiprocessing.Process", "create_task", "start_soon", "submit"}
WORKER_STARTER_TAILS = {name.rsplit(".", 1)[-1] for name in WORKER_STARTERS} | {"run_coroutine_threadsafe", "spawn"}
SEQUENCES = {"list", "deque"}
DATAGRAM_PROTOCOLS = {"asyncio.DatagramProtocol", "asyncio.protocols.DatagramProtocol"}
QUEUE_PUTS = {"put", "put_nowait"}
# Calls that block until an answer comes back: ``event.wait()``, ``future.result()``, ``socket.recv()``.
RESPONSE_WAITS = {"wait", "wait_for", "result", "recv", "recv_string", "recv_json", "recv_bytes", "recv_pyobj"}
FUTURES = {"asyncio.Future", "concurrent.futures.Future", "threading.Event", "asyncio.Event"}
# Names of the flags that keep a service loop going: running, alive, stopped, shutting_down, should_exit, ...
LIFETIME_FLAG = re.compile(r"(?i)run|alive|stop|shut|exit|quit|clos|cancel|terminat|active|enabled|keep_going|serving")
# Calls that keep a queue they are given: ``register_listener(q)``, ``subscribe(q)``, ``add_listener(q)``.
REGISTRAR = re.compile(r"register|subscribe|listener|add_consumer")
CLASS_PARAMETER = re.compile(r"(^|_)(class|cls|klass|model|serializer|form)$")
# Parameters named as one choice among a fixed set (a dataset name, a locale, a mode): few distinct values.
CHOICE_PARAMETER = re.compile(
    r"^(name|lang|language|locale|env|environment|dataset|table|field|attr|attribute|setting|option|dialect|"
    r"backend|driver|provider|resolver|issuer|unit|currency|feature|capability|permission|role|status|priority|contract)$"
    r"|^(category|category_id)$"  # the categories the operators set up: a forum's, a catalogue's
    r"|(^|_)(kind|mode|level|format|fmt|type)$"
    r"|(^|_)(api_key|base_url)$")  # a provider's configured credential or endpoint: one client per provider
# The signed-in account of a request (Flask-Login, Django, Flask's ``g``).
SIGNED_IN_USERS = {"current_user", "request.user", "g.user", "flask_login.current_user"}
# An attribute naming the kind of an object (``job.job_type``, ``event.kind``): a key of a fixed set.
KIND_ATTRIBUTE = re.compile(r"(^|_)(kind|type)$")
# Lookups of a name in a registry or in the configuration: ``LLMConfigRegistry.get_config(key)``, ``config_for(name)``.
REGISTRY_LOOKUP = re.compile(r"(?i)registry|(^|\.)(get_config|config_for)$")
# Names of the process configuration: ``config``, ``app.config``, ``settings``, ``os.environ``.
CONFIG_OWNER = re.compile(r"(?i)^(\w+_)?(config|conf|settings|environ)$")
# What a queue may carry and stay bounded by configuration: a choice, a configured peer, a retry counter.
PEER_ITEM = re.compile(r"^(host|hostname|port)$")
FIXED_SET_ITEM = re.compile(PEER_ITEM.pattern + r"|^(attempt|attempts|retry|retries|tries)$")
# Methods run once per instance: the constructor and the hooks frameworks call once when they load an object.
# Hooks run once while the service starts: Pyramid's ``includeme``, app factories, plugin loading.
START_UP_HOOK = re.compile(r"^(includeme|app_factory|on_startup|load_plugins?|install_plugins?|"
                           r"(create|make|build|setup|configure|init)_(app|application|wsgi_app|asgi_app))$")
# A function written for the test suite: named for it, or documented as such.
TEST_HELPER_NAME = re.compile(r"(?i)^_?tests?_|_(for|in)_(unit_)?test(s|ing)?$")
TEST_HELPER_DOC = re.compile(r"(?i)\b(unit[- ]?)?testing (utility|helper|purposes?)|\b(for|in|by|during) (the )?(unit )?tests\b"
                             r"|\btest (utility|helper)")
# Test doubles shipped in the package: CapturingPublisher, FakeMailer, StubClient.
TEST_DOUBLE_CLASS = re.compile(r"^(Capturing|Fake|Mock|Stub|Dummy|Spy)[A-Z]")
# ``@functools.cache  # noqa: B019``: the authors silenced flake8-bugbear's warning on this very cache.
ACCEPTED_METHOD_CACHE = re.compile(r"#\s*noqa:[\w\s,]*\bB019\b")
# Parameters naming a file: a cache keyed by one holds the files the server reads.
PATH_PARAMETER = re.compile(r"^(path|filename|filepath)$|_(path|file|filename)$")
FILE_READER = re.compile(r"(?i)open|from_file|read|load|parse")
# Synchronisation primitives kept per key: ``_LOCKS.setdefault(project_id, asyncio.Lock())``.
LOCKS = {"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition"}
# Keys naming an entity the operators configure (a project, a backend, a tenant), not a request or a user.
# Not a host: ``request.client.host`` is one per client.
ENTITY_KEY = re.compile(r"(^|_)(project|backend|tenant|organization|org|workspace|database|db|region|cluster|shard|"
                        r"pool|cam|camera|model|device|repo)(_(id|name|key|slug))?$")
# Names of what comes anew with traffic: a request, a user, a session, a job, a row's id, a URL, an address.
TRAFFIC_KEY = re.compile(r"(?i)(^|_)(id|pk|uuid|guid|token|session|sid|user|username|account|email|url|uri|link|"
                         r"ip|host|addr|address|request|req|client|agent|paw|job|task|chat|conversation|message|"
                         r"msg|query|question|prompt|text|content|hash|digest|checksum)(s|_key|_keys)?$"
                         r"|[a-z](Id|ID|Url|URL)$")
# Functions that register or configure something: called while the program sets itself up.
REGISTRAR_FUNCTION = re.compile(r"(?i)register|^_?configure")
# The parameter of a decorator: the class or function it decorates.
DECORATED_PARAMETER = re.compile(r"^(cls|klass|class_|func|function|fn|f|method|view|wrapped|target)$")
SETUP_HOOKS = {"__init__", "__post_init__", "setup_hook", "cog_load", "start", "startup", "on_startup", "initialize",
               "async_init"}
IMPORT_TIME_METHODS = {"__init_subclass__", "__set_name__", "__class_getitem__"}


@dataclass
class Container:
    name: str
    kind: str  # dict, list, set, deque, ...
    scope: str  # "module", "class" or "instance"
    node: ast.AST  # the assignment that creates it
    owner: ast.ClassDef | None = None
    adds: list[tuple[ast.AST, ast.AST]] = field(default_factory=list)  # (node, function)
    bounded: bool = False
    inner_bounded: bool = False  # something removes from the inner containers (`pending[paw].pop(upload_id)`)
    escapes: bool = False
    takers: list[ast.AST] = field(default_factory=list)  # functions that pop a deque's items one by one


@rule("R4.unbounded-state", on="module", scope="code", severity="medium")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if is_test_path(module.path) or is_short_lived_path(module.path) or is_alembic_revision(module):
        return
    yield from _growing_containers(module, project)
    yield from _unbounded_caches(module, project)
    yield from _unbounded_queues(module, project)
    yield from _metric_labels_from_raw_paths(module, project)


# --- containers that only grow ----------------------------------------------------------


def _growing_containers(module: SourceModule, project: Project) -> Iterator[Finding]:
    containers = _long_lived_containers(module, project)
    if not containers:
        return
    _scan_references(module, containers)
    importers = _scan_importers(module, project, containers)
    import_time = set()
    module_of: dict[ast.AST, SourceModule] = {}
    for m in [module, *importers] if any(c.adds for c in containers.values()) else ():
        import_time |= _import_time_functions(m)
        if m is not module:
            module_of.update((node, m) for c in containers.values() for node, fn in c.adds if fn in m.parents)
    start_up = _start_up_functions(project) if any(c.adds for c in containers.values()) else frozenset()
    for container in containers.values():
        growing = [(node, fn) for node, fn in container.adds if fn not in import_time
                   and not (_method_of(module_of.get(node, module), fn) in start_up
                            and not _in_while_loop(module_of.get(node, module), node))
                   and not _once_per_object(module_of.get(node, module), container, node,
                                            _method_of(module_of.get(node, module), fn))
                   and not _keyed_by_class(node) and not _holds_built_classes(node, fn)
                   and not _keyed_by_choice(node, fn) and not _literal_key(node, fn)
                   and not _singleton_per_class(module_of.get(node, module), node, fn)
                   and not _keyed_by_configuration(node, fn) and not _keyed_by_file_version(node, fn)
                   and not _keyed_by_fixed_arguments(project, module_of.get(node, module), node, fn)
                   and not _caches_a_shipped_file(node, fn) and not _caches_a_file_it_reads(node, fn)
                   and not _keyed_by_fixed_iteration(node, fn) and not _lock_per_entity(node, fn)
                   and not _filled_once(module_of.get(node, module), node, fn)
                   and not _from_configuration(node, fn) and not _key_of_a_registry(node, fn)
                   and not _filled_from_choices(node, fn)
                   and not _only_in_test_mode(module_of.get(node, module), node, fn)
                   and not called_by_tests_only(project, module_of.get(node, module), fn)
                   and not (container.kind in ("dict", "OrderedDict") and _replaces_present_key(node, fn))
                   and not (container.inner_bounded and _inner_addition(node))
                   and (_key_grows_with_traffic(node, fn) or _in_while_loop(module_of.get(node, module), node)
                        or _key_from_request(project, module_of.get(node, module), node, fn))]
        if container.bounded or container.escapes or not growing or _handed_on_elsewhere(project, container):
            continue
        if container.takers:
            growing = [(node, fn) for node, fn in growing if fn not in container.takers]
            if not growing or container.owner not in _long_lived_classes(module, project):
                continue
        node, fn = growing[0]
        elsewhere = module_of.get(node)
        if container.owner is None:
            where = f"module-level {container.kind} `{container.name}`"
        elif container.scope == "class":
            where = f"class-level {container.kind} `{container.owner.name}.{container.name}`"
        else:
            where = f"{container.kind} `self.{container.name}` of {container.owner.name}"
        added = f"{fn.name}() adds to it ({f'{elsewhere.path}:' if elsewhere else 'line '}{node.lineno})"
        yield Finding(
            message=f"{where} (a long-lived worker) is a work queue without maxlen: {added} and only "
                    f"{container.takers[0].name}() takes from it, so a consumer slower than its producers exhausts memory"
                    if container.takers else f"{where} only grows: {added} and nothing removes from it or bounds it",
            path=module.path, line=container.node.lineno,
            end_line=getattr(container.node, "end_lineno", container.node.lineno),
            evidence=module.evidence(container.node),
            fix="bound it: cachetools.TTLCache/LRUCache(maxsize=...), deque(maxlen=...), or evict old entries"
                if container.kind != "deque" else "give it a maxlen: deque(maxlen=N), or use asyncio.Queue(maxsize=N) "
                "so that producers wait" if container.takers else "give it a maxlen: deque(maxlen=N)",
            confidence=Confidence.medium,
            extra={"added_at": node.lineno},
        )


def _handed_on_elsewhere(project: Project, container: Container) -> bool:
    """A class-level container handed by its class's name to a call in any project file
    (``HeartbeatWatcher(ClientRouter.client_heartbeat_pool)``): the callee may prune it, as a watcher
    deleting dead clients does; the container escapes like one passed on in its own module."""
    if container.scope != "class" or container.owner is None:
        return False
    for module in project.modules:
        if container.name not in module.text:
            continue
        for call in module.nodes_of(ast.Call):
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                if isinstance(argument, ast.Attribute) and argument.attr == container.name \
                        and (dotted(argument.value) or "").rsplit(".", 1)[-1] == container.owner.name:
                    return True
    return False


def _method_of(module: SourceModule, fn: ast.AST) -> ast.AST:
    """The method a closure is defined in (``async def load_plugins(self): async def load(p): ...``), which runs
    it as part of itself; ``fn`` itself otherwise."""
    outer = fn
    while isinstance(module.parents.get(outer), FUNCTION_TYPES):
        outer = module.parents[outer]
    return outer if isinstance(module.parents.get(outer), ast.ClassDef) else fn


def _inner_addition(node: ast.AST) -> bool:
    """``pending[paw][upload_id] = upload`` / ``store[kind].append(obj)``: an addition to an inner container."""
    return isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)


def _scan_importers(module: SourceModule, project: Project, containers: dict[tuple, Container]) -> list[SourceModule]:
    """Classify the uses of module-level containers in the project files that import them by name
    (``from .cache import _users_cache``): a cache declared in one file and filled in another grows all the same."""
    importers: list[SourceModule] = []
    for other, local, name in _name_importers(project).get(module.dotted_name, ()):
        if ("module", name) in containers and not is_test_path(other.path) and not is_short_lived_path(other.path):
            _scan_references(other, {("module", local): containers[("module", name)]})
            if other not in importers:
                importers.append(other)
    return importers


def _name_importers(project: Project) -> dict[str, list[tuple[SourceModule, str, str]]]:
    """Dotted module name -> (importing file, local name, imported name) for every ``from module import name``
    (``from chainlit.user_session import user_sessions`` names ``backend/chainlit/user_session.py`` too: the
    project's code may sit below a folder that is not a package)."""
    table = project.facts.get("R4.name-importers")
    if table is None:
        table = project.facts["R4.name-importers"] = {}
        for other in project.modules:
            for local, imported in other.imports.items():
                source, _, name = imported.rpartition(".")
                owner = project.by_dotted_name.get(source)
                if owner is not None and owner is not other:
                    table.setdefault(owner.dotted_name, []).append((other, local, name))
    return table


def _container_kind(module: SourceModule, value: ast.AST | None) -> str | None:
    if isinstance(value, ast.Dict):
        return "dict"
    if isinstance(value, ast.List):
        return "list"
    if isinstance(value, ast.Set):
        return "set"
    if isinstance(value, ast.Call):
        kind = CONTAINER_FACTORIES.get(call_name(module, value) or "")
        if kind == "deque" and (keyword(value, "maxlen") is not None and not is_none(keyword(value, "maxlen"))
                                or len(value.args) >= 2):
            return None
        return kind
    return None


def _long_lived_containers(module: SourceModule, project: Project | None = None) -> dict[tuple, Container]:
    """("module", name) / ("class", ClassDef, name) / ("instance", ClassDef, name) -> Container."""
    found: dict[tuple, Container] = {}
    for stmt in _top_level_statements(module.tree.body):
        for target, value in _assignments(stmt):
            kind = _container_kind(module, value)
            if kind and isinstance(target, ast.Name):
                found[("module", target.id)] = Container(target.id, kind, "module", stmt)
    for cls in module.nodes_of(ast.ClassDef):
        candidates = [(stmt, target.id, kind) for stmt in cls.body for target, value in _assignments(stmt)
                      if isinstance(target, ast.Name) and (kind := _container_kind(module, value))]
        if candidates and not _test_double(cls):
            instance_names = _instance_attributes(cls)
            for stmt, name, kind in candidates:
                if name not in instance_names:
                    found[("class", cls, name)] = Container(name, kind, "class", stmt, cls)
    for cls in _long_lived_classes(module, project):
        init = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None)
        for stmt in walk_function_body(init) if init is not None else ():
            for target, value in _assignments(stmt):
                kind = _container_kind(module, value)
                if kind and is_self_attribute(target):
                    found.setdefault(("instance", cls, target.attr), Container(target.attr, kind, "instance", stmt, cls))
    for call in module.nodes_of(ast.Call):
        stmt = module.parents.get(call)
        if _container_kind(module, call) != "deque" or not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            continue
        method = enclosing_function(module, call)
        cls = module.parents.get(method) if method is not None else None
        if isinstance(cls, ast.ClassDef):
            for target, _ in _assignments(stmt):
                if is_self_attribute(target):
                    found.setdefault(("instance", cls, target.attr), Container(target.attr, "deque", "instance", stmt, cls))
    return found


def _test_double(cls: ast.ClassDef) -> bool:
    """``class CapturingPublisher(Publisher): messages = []``, ``class FakeStripe: ACTIVE_CUSTOMERS = {}``: a test
    double shipped in the package (for the test suite, or a development backend picked by configuration), whose
    class state is not the production service's."""
    return bool(TEST_DOUBLE_CLASS.search(cls.name))


def _once_per_object(module: SourceModule, container: Container, node: ast.AST, fn: ast.AST) -> bool:
    """An addition the object makes to its own state once, while it is set up (outside a ``while`` loop of the
    hook). A class-level container filled through ``self`` in a start-up hook (``async def start(self): for port
    in range(first, last): self.tasks.append(...)``) is that object's state too; in ``__init__`` it is not: every
    instance made adds to the one class-level container."""
    if container.scope == "module" or fn not in _setup_methods(module, container.owner) or _in_while_loop(module, node):
        return False
    if container.scope == "instance":
        return True
    target = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else \
        getattr(node, "value", None)
    return fn.name != "__init__" and is_self_attribute(target)


def _setup_methods(module: SourceModule, cls: ast.ClassDef) -> set[ast.AST]:
    """Methods that run once per instance: ``__init__``, the set-up hooks a framework calls once when it loads
    the object (``on_startup``, ``cog_load``, ``setup_hook``, ...), and the methods only they call, outside a
    ``while`` loop. Not a plain ``setup``: Django views run theirs once per request; nor a method they hand on
    (``create_task(self.poll_loop())`` runs a loop for the object's life) or call from a loop."""
    methods = {n.name: n for n in cls.body if isinstance(n, FUNCTION_TYPES)}
    found = {m for name, m in methods.items() if name in SETUP_HOOKS}
    callers: dict[str, set[ast.AST | None]] = {}
    for method in methods.values():
        for node in walk_function_body(method):
            if isinstance(node, ast.Attribute) and is_self_attribute(node) and node.attr in methods:
                call = module.parents.get(node)
                starter = module.parents.get(call)
                once = isinstance(call, ast.Call) and call.func is node and not _in_while_loop(module, call) \
                    and not (isinstance(starter, ast.Call) and (call_name(module, starter) or "").rsplit(".", 1)[-1]
                             in WORKER_STARTER_TAILS)
                callers.setdefault(node.attr, set()).add(method if once else None)
    changed = True
    while changed:
        changed = False
        for name, method in methods.items():
            if method not in found and callers.get(name) and callers[name] <= found:
                found.add(method)
                changed = True
    return found


def _long_lived_classes(module: SourceModule, project: Project | None = None) -> list[ast.ClassDef]:
    """Classes whose instances live as long as the service: a method runs a service loop that awaits
    (``while self.running: await ...``), the ``__main__`` block of a file of the project makes one (``handler =
    CrawlerHandler(app)`` in a worker's runner: the process's own object), or it is an asyncio datagram protocol
    (one object receives every datagram of its endpoint, from every client). A module-level instance alone is no
    sign: library singletons are mostly registries of a fixed set of names."""
    main_made = _made_by_main_blocks(project) if project is not None else frozenset()
    return [cls for cls in module.nodes_of(ast.ClassDef) if cls.name in main_made or any(
        qualified(module, base) in DATAGRAM_PROTOCOLS for base in cls.bases) or any(
        isinstance(node, ast.While) and _is_service_loop_test(node.test)
        and any(isinstance(n, (ast.Await, ast.AsyncFor)) for n in walk_nodes(node))
        for method in cls.body if isinstance(method, FUNCTION_TYPES) for node in walk_function_body(method))]


def _made_by_main_blocks(project: Project) -> frozenset[str]:
    """Names of the classes that ``if __name__ == "__main__":`` blocks of the project instantiate (also inside
    ``with``/``try``), tests and short-lived paths (scripts, tools) aside."""
    key = "R4.unbounded-state:main-made"
    if key not in project.facts:
        names: set[str] = set()
        for module in project.modules:
            if "__main__" not in module.text or is_test_path(module.path) or is_short_lived_path(module.path):
                continue
            for stmt in module.tree.body:
                if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
                    for node in walk_nodes(stmt):
                        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                            name = (dotted(node.value.func) or "").rsplit(".", 1)[-1]
                            if name[:1].isupper():
                                names.add(name)
        project.facts[key] = frozenset(names)
    return project.facts[key]


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.Try)):
            yield from _top_level_statements(stmt.body)
            yield from _top_level_statements(stmt.orelse)


def _assignments(stmt: ast.AST) -> Iterator[tuple[ast.expr, ast.expr]]:
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            yield target, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        yield stmt.target, stmt.value


def _instance_attributes(cls: ast.ClassDef) -> set[str]:
    """Names assigned as ``self.name = ...`` in the class: they shadow class attributes."""
    return {t.attr for n in walk_nodes(cls) for t, _ in _assignments(n) if is_self_attribute(t)}


def _scan_references(module: SourceModule, containers: dict[tuple, Container]) -> None:
    """Classify every use of the containers inside functions (module-level code fills at import time)."""
    module_names = {k[1] for k in containers if k[0] == "module"}
    attribute_names = {k[2] for k in containers if k[0] != "module"}
    scopes: dict[ast.AST, tuple[set[str], set[str]]] = {}  # function -> (declared global, local names)
    for node in module.nodes_of(ast.Name, ast.Attribute):
        if isinstance(node, ast.Name) and node.id in module_names or \
                isinstance(node, ast.Attribute) and node.attr in attribute_names and isinstance(node.value, ast.Name):
            fn = enclosing_function(module, node)
            if fn is None or _test_helper(fn):
                continue
            if fn not in scopes:
                declared_global = declared_globals(fn)
                scopes[fn] = (declared_global, _local_names(fn) - declared_global)
            declared_global, local_names = scopes[fn]
            container = containers.get(_container_key(module, node, fn, containers, local_names))
            if container is not None:
                _classify(module, node, fn, container, declared_global)


def _test_helper(fn: ast.AST) -> bool:
    """``def reset(cls): \"\"\"A unit testing utility to reset the state\"\"\"``, ``def clear_for_tests()``: what
    it adds or removes happens in the test suite, not in the service."""
    return bool(TEST_HELPER_NAME.search(fn.name) or TEST_HELPER_DOC.search(ast.get_docstring(fn) or ""))


def _container_key(module: SourceModule, node: ast.AST, fn: ast.AST, containers: dict[tuple, Container],
                   local_names: set[str]) -> tuple | None:
    if isinstance(node, ast.Name):
        return ("module", node.id) if node.id not in local_names else None
    owner_name = node.value.id
    cls = module.parents.get(fn)
    while isinstance(cls, FUNCTION_TYPES):  # a closure of a method: ``def done(task): self.tasks.pop(key)``
        cls = module.parents.get(cls)
    if isinstance(cls, ast.ClassDef) and owner_name in ("self", "cls", cls.name):
        return ("class", cls, node.attr) if ("class", cls, node.attr) in containers else ("instance", cls, node.attr)
    return next((k for k in containers if k[0] == "class" and k[1].name == owner_name and k[2] == node.attr), None)


def _local_names(fn: ast.AST) -> set[str]:
    names = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    names.update(a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _classify(module: SourceModule, ref: ast.AST, fn: ast.AST, container: Container, declared_global: set[str]) -> None:
    parent = module.parents.get(ref)
    if isinstance(getattr(ref, "ctx", None), ast.Store):
        if parent is container.node:
            return  # the assignment that creates it
        if isinstance(parent, ast.AugAssign):
            container.adds.append((parent, fn))  # `items += [...]`
        elif isinstance(ref, ast.Attribute) or ref.id in declared_global:
            container.bounded = True  # reassigned: reset
        return
    if isinstance(parent, ast.Attribute) and parent.value is ref:
        grand = module.parents.get(parent)
        if isinstance(grand, ast.Call) and grand.func is parent:
            if parent.attr in ADD_METHODS:
                container.adds.append((grand, fn))
            elif parent.attr in TAKE_METHODS and container.kind == "deque":
                container.takers.append(fn)
            elif parent.attr in REMOVE_METHODS:
                container.bounded = True
        elif parent.attr in REMOVE_METHODS and isinstance(grand, (ast.Call, ast.keyword)):
            container.bounded = True  # handed on as a callback: `task.add_done_callback(tasks.discard)`
        return
    if isinstance(parent, ast.Subscript) and parent.value is ref:
        if isinstance(parent.slice, ast.Slice) and not isinstance(parent.ctx, ast.Load) or isinstance(parent.ctx, ast.Del):
            container.bounded = True
        elif isinstance(parent.ctx, ast.Store) and container.kind in SEQUENCES:
            container.bounded = True  # `buffers[i] = []`: a slot is replaced (a list never grows by index)
        elif isinstance(parent.ctx, ast.Store):
            container.adds.append((parent, fn))  # `cache[key] = value`, `counts[key] += 1`
        else:  # an inner container: `uploads[paw][upload_id] = upload`, `store[kind].append(obj)`
            grand = module.parents.get(parent)
            if isinstance(grand, ast.Attribute) and grand.attr in ADD_METHODS or \
                    isinstance(grand, ast.Subscript) and grand.value is parent and isinstance(grand.ctx, ast.Store):
                container.adds.append((parent, fn))
            elif isinstance(grand, ast.Attribute) and grand.attr in REMOVE_METHODS or \
                    isinstance(grand, ast.Subscript) and grand.value is parent and isinstance(grand.ctx, ast.Del):
                container.inner_bounded = True  # bounds what the inner containers hold, not the keys
        return
    if isinstance(parent, ast.Call) and ref in parent.args:
        callee = call_name(module, parent) or ""
        if callee == "len" and isinstance(module.parents.get(parent), ast.Compare):
            container.bounded = True
        elif callee not in READ_ONLY_CALLEES:
            container.escapes = True
        return
    if isinstance(parent, (ast.Return, ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.keyword, ast.Yield, ast.YieldFrom)):
        container.escapes = True
    elif isinstance(parent, ast.Delete):
        container.bounded = True


def _import_time_functions(module: SourceModule) -> set[ast.AST]:
    """Functions whose additions happen while the program imports: decorators, registrars, init hooks."""
    decorators = {qualified(module, d.func if isinstance(d, ast.Call) else d)
                  for fn in module.nodes_of(*FUNCTION_TYPES, ast.ClassDef) for d in fn.decorator_list}
    call_sites: dict[str, list[ast.Call]] = {}
    for node in module.nodes_of(ast.Call):
        if isinstance(node.func, ast.Name):
            call_sites.setdefault(node.func.id, []).append(node)
    found: set[ast.AST] = set()
    for fn in module.nodes_of(*FUNCTION_TYPES):
        chain = [fn, *(a for a in ancestors(module, fn) if isinstance(a, FUNCTION_TYPES))]
        if any(f.name in decorators or REGISTRAR_FUNCTION.search(f.name) for f in chain) \
                or _returns_its_argument(module, fn) or fn.name in IMPORT_TIME_METHODS or _is_metaclass_method(module, fn) \
                or _is_app_ready_hook(module, fn):
            found.add(fn)
    deleted_after_import = {t.id for stmt in module.tree.body if isinstance(stmt, ast.Delete)
                            for t in stmt.targets if isinstance(t, ast.Name)}
    found.update(fn for fn in module.tree.body if isinstance(fn, FUNCTION_TYPES) and fn.name in deleted_after_import)
    # Functions called only while importing: from module level, or from functions that are.
    callers = {name: [_calling_scope(module, c) for c in calls] for name, calls in call_sites.items()}
    changed = True
    while changed:
        changed = False
        for fn in module.nodes_of(*FUNCTION_TYPES):
            sites = callers.get(fn.name)
            if fn not in found and sites and all(s is None or s in found for s in sites):
                found.add(fn)
                changed = True
    return found


def _start_up_functions(project: Project) -> frozenset[ast.AST]:
    """Functions of the project that run only while the service starts: the start-up hooks frameworks call once
    (Pyramid's ``includeme``, an app factory ``main``/``create_app``, a module-level ``setup``, plugin loading,
    ``on_startup``), and, to a fixed point, every function (for a class, its ``__init__``) whose calls in the
    project all run at import time or in one of them, outside a ``while`` loop, and that is never handed on as a
    value (a view or callback the framework calls per request). A registry they fill is as large as the code
    and its configuration make it."""
    key = "R4.unbounded-state:start-up"
    if key not in project.facts:
        calls = project_index(project, "R4.start-up-references", _add_references)
        found: set[ast.AST] = set()
        modules = [m for m in project.modules if not is_test_path(m.path)]
        candidates = [(m, fn) for m in modules for fn in m.nodes_of(*FUNCTION_TYPES)]
        for module in modules:
            found |= _import_time_functions(module)
        found.update(fn for module, fn in candidates if _is_start_up_hook(module, fn))
        changed = True
        while changed:
            changed = False
            for module, fn in candidates:
                if fn in found:
                    continue
                sites = _calls_of(project, module, fn, calls.get(_called_as(module, fn) or "", ()))
                if sites and all(call is not None and _runs_at_start_up(site, call, found) for site, call in sites):
                    found.add(fn)
                    changed = True
        project.facts[key] = frozenset(found)
    return project.facts[key]


def _calls_of(project: Project, module: SourceModule, fn: ast.AST, sites) -> list:
    """The references by name that can be ``fn``: for a module-level function, the calls that resolve to it (not
    ``gateway.init()`` of some object, nor another module's ``init()``) and every use as a value."""
    if module.parents.get(fn) is not module.tree:
        return list(sites)
    return [(site, call) for site, call in sites
            if call is None or (resolve_function(project, site, call.func) or (None, None))[1] is fn]


def _is_start_up_hook(module: SourceModule, fn: ast.AST) -> bool:
    """A hook run once at start-up: ``includeme``, an app factory, ``on_startup``; a module-level ``main`` or
    ``setup`` only when it runs no loop of its own (a worker's ``main`` that loops over jobs is not)."""
    if START_UP_HOOK.search(fn.name) or _decorator_of_a_factory(module, fn) or _handed_as_lifespan(module, fn):
        return True
    return fn.name in ("main", "setup") and module.parents.get(fn) is module.tree and \
        not any(isinstance(n, (ast.While, ast.For, ast.AsyncFor)) for n in walk_function_body(fn))


def _handed_as_lifespan(module: SourceModule, fn: ast.AST) -> bool:
    """``FastAPI(lifespan=lifespan)``: the app runs its lifespan once, while it starts."""
    return any(kw.arg == "lifespan" and isinstance(kw.value, ast.Name) and kw.value.id == fn.name
               for kw in module.nodes_of(ast.keyword))


def _decorator_of_a_factory(module: SourceModule, fn: ast.AST) -> bool:
    """``def resource(**kw): def wrapper(klass): return add_resource(klass, **kw); return wrapper``: the function
    a decorator factory returns, taking the decorated class or function; it runs where that is defined."""
    outer = enclosing_function(module, fn)
    params = [*fn.args.posonlyargs, *fn.args.args]
    return outer is not None and len(params) == 1 and bool(DECORATED_PARAMETER.search(params[0].arg)) and any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == fn.name
        for n in walk_function_body(outer))


def _called_as(module: SourceModule, fn: ast.AST) -> str | None:
    """The name calls of ``fn`` end with: its own, or its class's for ``__init__``."""
    if fn.name != "__init__":
        return fn.name
    cls = module.parents.get(fn)
    return cls.name if isinstance(cls, ast.ClassDef) else None


def _runs_at_start_up(module: SourceModule, call: ast.Call, start_up: set[ast.AST]) -> bool:
    """At import time or in a start-up function, outside a ``while`` loop; not in the ``__main__`` block, which
    runs the program itself."""
    if _in_while_loop(module, call):
        return False
    fn = enclosing_function(module, call)
    return fn in start_up if fn is not None else not in_main_block(module, call)


def _in_while_loop(module: SourceModule, node: ast.AST) -> bool:
    """Inside a ``while`` (or ``async for``) loop of its function: repeated for as long as the loop runs."""
    return any(isinstance(loop, (ast.While, ast.AsyncFor)) for loop in enclosing_loops(module, node))


def _add_references(module: SourceModule, references: dict) -> None:
    """Last name -> (module, call) for every call, and (module, None) for every use as a value handed on (an
    argument, an assigned or returned value, an element of a literal): code elsewhere may call it at any time."""
    for node in module.nodes_of(ast.Name, ast.Attribute):
        if not isinstance(node.ctx, ast.Load):
            continue
        name = node.id if isinstance(node, ast.Name) else node.attr
        parent = module.parents.get(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            references.setdefault(name, []).append((module, parent))
            imported = module.imports.get(name, "").rsplit(".", 1)[-1] if isinstance(node, ast.Name) else ""
            if imported and imported != name:  # from .sms import init as sms_init ... sms_init()
                references.setdefault(imported, []).append((module, parent))
        elif isinstance(parent, ast.Call) and node in parent.args and \
                (dotted(parent.func) or "") in ("isinstance", "issubclass", "getattr", "hasattr"):
            continue
        elif isinstance(parent, (ast.Call, ast.keyword, ast.Assign, ast.Return, ast.List, ast.Tuple, ast.Set,
                                 ast.Dict, ast.NamedExpr)):
            references.setdefault(name, []).append((module, None))


def _calling_scope(module: SourceModule, call: ast.Call) -> ast.AST | None:
    """The function a call runs in; None at import time; the main-guard ``If`` when the program runs."""
    fn = enclosing_function(module, call)
    if fn is not None:
        return fn
    return next((a for a in ancestors(module, call) if isinstance(a, ast.If) and "__main__" in ast.unparse(a.test)),
                None)


def _returns_its_argument(module: SourceModule, fn: ast.AST) -> bool:
    """``def register(cls): REGISTRY[...] = cls; return cls``: shaped as a class or function decorator (for a
    method, the first argument after ``self``: ``def on(self, handler): ...; return handler``)."""
    params = [*fn.args.posonlyargs, *fn.args.args]
    if params and isinstance(module.parents.get(fn), ast.ClassDef) and not any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list):
        params = params[1:]
    if not params:
        return False
    returns = [n for n in walk_function_body(fn) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Name) and r.value.id == params[0].arg for r in returns)


def _is_app_ready_hook(module: SourceModule, fn: ast.AST) -> bool:
    """``AppConfig.ready()``: Django runs it once while the process starts, after the apps are loaded."""
    cls = module.parents.get(fn)
    return isinstance(cls, ast.ClassDef) and fn.name == "ready" and \
        any((dotted(b) or "").endswith("AppConfig") for b in cls.bases)


def _filled_once(module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    """``if not _types: for row in load(): _types[row.oid] = row.name; _names.add(row.name)``: filled under a
    guard that the block itself makes false (a load-once of a fixed table), not on every call; also a class-level
    catalog filled through the instance, ``if not self.by_id: for entry in load(): self.by_id[entry.id] = entry``."""
    for outer in ancestors(module, node):
        if outer is fn:
            return False
        if isinstance(outer, ast.If) and isinstance(outer.test, ast.UnaryOp) and \
                isinstance(outer.test.op, ast.Not) and isinstance(outer.test.operand, (ast.Name, ast.Attribute)):
            guard = dotted(outer.test.operand)
            for inner in (n for stmt in outer.body for n in ast.walk(stmt)):
                target = inner.func.value if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                    and inner.func.attr in ADD_METHODS else inner.value if isinstance(inner, ast.Subscript) \
                    and isinstance(inner.ctx, ast.Store) else None
                if guard is not None and isinstance(target, (ast.Name, ast.Attribute)) and dotted(target) == guard:
                    return True
    return False


def _replaces_present_key(node: ast.AST, fn: ast.AST) -> bool:
    """``label, cls = TRANSPORTS[kind]`` ... ``TRANSPORTS[kind] = (label, imported)``: the function has already
    read the same key with a plain subscript (a missing key raised ``KeyError``), or left when the key is
    absent (``if kind not in TRANSPORTS: raise ...``), in a statement that runs first whatever happens. The
    write replaces an entry of a fixed registry (a lazy import resolved in place); it adds none."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)):
        return False
    owner, key = node.value.id, ast.dump(node.slice)
    line = getattr(node, "lineno", 0)
    for stmt in getattr(fn, "body", []):
        if stmt.lineno >= line:
            break
        if isinstance(stmt, ast.If) and _leaves_when_absent(stmt, owner, key):
            return True
        first = stmt.test if isinstance(stmt, (ast.If, ast.While)) else stmt  # what runs whatever happens
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr, ast.If, ast.While)) and any(
                isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
                and n.value.id == owner and ast.dump(n.slice) == key for n in ast.walk(first)):
            return True
    return False


def _leaves_when_absent(stmt: ast.If, owner: str, key: str) -> bool:
    """``if key not in registry: raise ...`` (or ``return``)."""
    test = stmt.test
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn) \
        and ast.dump(test.left) == key and isinstance(test.comparators[0], ast.Name) \
        and test.comparators[0].id == owner and isinstance(stmt.body[-1], (ast.Raise, ast.Return))


def _from_configuration(node: ast.AST, fn: ast.AST) -> bool:
    """What the configuration holds, copied in: ``cache[key] = config.get(key)`` (keyed by a configuration
    option's name) or ``routes.update(mappings)`` with ``mappings = config.get("app.route_mappings")``. The
    configuration is fixed for the process: the same keys are written again, not new ones."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name):
        key = node.slice.id
        return any(_config_read(n) and _read_key(n) == key for n in walk_function_body(fn))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update" \
            and len(node.args) == 1:
        value = node.args[0]
        while isinstance(value, ast.Call) and len(value.args) == 1:  # ``json.loads(mappings)``
            value = value.args[0]
        if isinstance(value, ast.Name):
            bound = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)]
            return len(bound) == 1 and _config_read(bound[0])
        return _config_read(value)
    return False


def _key_of_a_registry(node: ast.AST, fn: ast.AST) -> bool:
    """``llm_config = LLMConfigRegistry.get_config(llm_key)`` ... ``_handlers[llm_key] = handler``: before the
    addition the function looks the key up in a registry or the configuration (a callee named ``...Registry...``,
    ``get_config``, ``config_for``), which fails or answers nothing for a name it does not hold: the cache keeps
    one entry per entry the code registered."""
    key = _added_key(node)
    line = getattr(node, "lineno", 0)
    return isinstance(key, ast.Name) and any(
        isinstance(n, ast.Call) and n.lineno < line and REGISTRY_LOOKUP.search(dotted(n.func) or "")
        and any(isinstance(a, ast.Name) and a.id == key.id for a in n.args) for n in walk_function_body(fn))


def _config_read(node: ast.AST) -> bool:
    """``config.get(k)``, ``settings[k]``, ``os.environ.get(k)``: a read of the process configuration."""
    owner = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "get" else node.value if isinstance(node, ast.Subscript) else None
    return owner is not None and bool(CONFIG_OWNER.search((dotted(owner) or "").rsplit(".", 1)[-1]))


def _read_key(node: ast.AST) -> str | None:
    key = node.args[0] if isinstance(node, ast.Call) and node.args else getattr(node, "slice", None)
    return key.id if isinstance(key, ast.Name) else None


def _is_metaclass_method(module: SourceModule, fn: ast.AST) -> bool:
    cls = module.parents.get(fn)
    return isinstance(cls, ast.ClassDef) and fn.name in ("__new__", "__init__") and \
        any(qualified(module, b) in ("type", "abc.ABCMeta") for b in cls.bases)


def _singleton_per_class(module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    """``instance_key = (cls.__name__, database_config.unique_key()); cls._instances[instance_key] =
    super().__call__(...)`` in a metaclass's ``__call__``: one instance per class that uses the metaclass (and
    per set-up it is built with), a singleton registry."""
    cls = module.parents.get(fn)
    if not (isinstance(cls, ast.ClassDef) and fn.name == "__call__"
            and any(qualified(module, b) in ("type", "abc.ABCMeta") for b in cls.bases)):
        return False
    key = _resolved_key(node, fn)
    return key is not None and any(isinstance(n, ast.Name) and n.id == "cls" for n in ast.walk(key))


def _keyed_by_configuration(node: ast.AST, fn: ast.AST) -> bool:
    """``_configs[config.connection_url] = ...`` (also through a local: ``url = settings.DATABASE_URL``): every
    part of the key is read from the process configuration (a name or attribute called ``config``,
    ``database_config``, ``settings``, ...), which holds a handful of databases and services."""
    key = _resolved_key(node, fn)
    if key is None:
        return False
    parts = key.elts if isinstance(key, ast.Tuple) else [key]
    return bool(parts) and all(any(isinstance(n, (ast.Name, ast.Attribute)) and CONFIG_OWNER.search(
        n.id if isinstance(n, ast.Name) else n.attr) for n in ast.walk(part)) for part in parts)


def _keyed_by_file_version(node: ast.AST, fn: ast.AST) -> bool:
    """``key = (filepath, os.path.getmtime(filepath)); cache[key] = load(filepath)``: a file of the server's disk
    (a build manifest, a template) cached per version; a new entry only when the deployment changes it."""
    key = _resolved_key(node, fn)
    return key is not None and any(
        isinstance(n, ast.Call) and (dotted(n.func) or "").rsplit(".", 1)[-1] in ("getmtime", "getctime")
        or isinstance(n, ast.Attribute) and n.attr in ("st_mtime", "st_mtime_ns") for n in ast.walk(key))


def _resolved_key(node: ast.AST, fn: ast.AST) -> ast.expr | None:
    """The key of an addition, or the value of the local it names when that is bound once in the function."""
    key = _added_key(node)
    if isinstance(key, ast.Name):
        values = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == key.id for t in n.targets)]
        if len(values) == 1:
            return values[0]
    return key


def _key_grows_with_traffic(node: ast.AST, fn: ast.AST) -> bool:
    """A keyed addition (``x[key] = v``, ``x.setdefault(key, v)``, ``x.add(key)``) counts only when its key
    names something that comes anew with requests, users or rows (see TRAFFIC_KEY): ``jobs[job.id] = job``,
    ``seen.add(request.remote_addr)``, ``cache[cache_key]`` with ``cache_key = key_for(address)``. A key of
    anything else (an error code, a namespace, a tree's folder, an index) is one of a set the deployment
    fixes, as often as not. Additions without a key (``append``, ``update``, ``+=``) are judged as before, and so
    is one made in a ``while`` loop (a service loop: it grows with time, whatever the key)."""
    key = _added_key(node)
    if key is None:
        return True
    for expression in (key, _resolved_key(node, fn)):
        for leaf in walk_nodes(expression) if expression is not None else ():
            name = leaf.id if isinstance(leaf, ast.Name) else leaf.attr if isinstance(leaf, ast.Attribute) \
                else leaf.arg if isinstance(leaf, ast.keyword) else leaf.value \
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) else None
            if name and TRAFFIC_KEY.search(name):
                return True
    return False


def _key_from_request(project: Project, module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    """The key of a keyed addition holds a value read from the request: in the function itself (``days =
    request.args["days"]; _cache[(feed, days)] = ...``) or passed by a caller for a parameter the key is made of
    (``get_news(days=int(request.all_data["age"]))`` with ``key = _cache_key(feeds, days)``): a client picks it."""
    key = _resolved_key(node, fn)
    if key is None or _reads_request(fn, key):
        return key is not None
    params = {leaf.id for leaf in walk_nodes(key) if isinstance(leaf, ast.Name) and _is_parameter(fn, leaf.id)}
    return any(_reads_request(enclosing_function(caller_module, call), _argument(call, fn, param))
               for param in sorted(params) for caller_module, call in _callers(project, module, fn))


def _reads_request(fn: ast.AST | None, value: ast.expr | None, depth: int = 3) -> bool:
    """``value`` reads the request (``request.args``, ``self.request.GET``), directly or through a local of
    ``fn`` bound once (``param = request.all_data; age = int(get(param, "age"))``), up to ``depth`` steps."""
    return _reads_through_locals(fn, value, _request_attribute, depth)


def _request_attribute(leaf: ast.AST) -> bool:
    return isinstance(leaf, ast.Attribute) and (dotted(leaf.value) or "").split(".")[-1] == "request"


def _reads_through_locals(fn: ast.AST | None, value: ast.expr | None, test, depth: int) -> bool:
    """Some node of ``value`` passes ``test``, directly or through a local of ``fn`` bound once, up to ``depth``
    steps."""
    if value is None or isinstance(value, ast.Starred):
        return False
    for leaf in walk_nodes(value):
        if test(leaf):
            return True
        if depth and fn is not None and isinstance(leaf, ast.Name) and not _is_parameter(fn, leaf.id):
            bound = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id == leaf.id for t in n.targets)]
            if len(bound) == 1 and _reads_through_locals(fn, bound[0], test, depth - 1):
                return True
    return False


def _keyed_by_class(node: ast.AST) -> bool:
    """``_instances[cls] = ...``: one entry per class, a bounded set."""
    if not isinstance(node, ast.Subscript):
        return False
    key = node.slice
    if isinstance(key, ast.Name) and key.id == "cls":
        return True
    if isinstance(key, ast.Attribute) and key.attr == "__class__":
        return True
    return isinstance(key, ast.Call) and isinstance(key.func, ast.Name) and key.func.id == "type"


def _holds_built_classes(node: ast.AST, fn: ast.AST) -> bool:
    """``models[column.id] = type(f"custom_column_{column.id}", (Base,), attributes)``: a class built at run time
    for each entry of the database's schema (a mapped table per custom column), not data of the traffic."""
    return isinstance(node, ast.Subscript) and any(
        isinstance(n, ast.Assign) and node in n.targets and isinstance(n.value, ast.Call)
        and isinstance(n.value.func, ast.Name) and n.value.func.id == "type" and len(n.value.args) == 3
        for n in walk_function_body(fn))


def _added_key(node: ast.AST) -> ast.expr | None:
    """The key of an addition: ``x[key] = v``, ``x.setdefault(key, v)``, ``x.add(key)``."""
    if isinstance(node, ast.Subscript):
        return node.slice
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("setdefault", "add"):
        return node.args[0]
    return None


def _literal_key(node: ast.AST, fn: ast.AST) -> bool:
    """``CLASSES["dynamic"] = DynamicChallenge`` / ``seen.add("ready")``: a key written in the code is replaced
    on every call, it adds one entry at most."""
    key = _added_key(node)
    if isinstance(key, ast.Name):
        # key = "cgroup_v2" ... key = "psutil": a local that only ever holds a literal
        values = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == key.id for t in n.targets)]
        return bool(values) and all(_is_literal(v) for v in values) and not _is_parameter(fn, key.id)
    return _is_literal(key)


def _is_literal(key: ast.AST | None) -> bool:
    return isinstance(key, ast.Constant) or isinstance(key, ast.Tuple) and all(isinstance(e, ast.Constant) for e in key.elts)


def _is_parameter(fn: ast.AST, name: str) -> bool:
    return isinstance(fn, FUNCTION_TYPES) and any(
        a.arg == name for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs])


def _keyed_by_choice(node: ast.AST, fn: ast.AST) -> bool:
    """``tasks_by_name[name] = task`` / ``seen.add(name)`` where ``name`` is a parameter named as one choice of a
    fixed set (see CHOICE_PARAMETER), or a parameter or loop variable named as a class (``model``,
    ``serializer_class``): the same few keys are replaced, not accumulated."""
    key = _added_key(node)
    if isinstance(key, ast.Attribute) and KIND_ATTRIBUTE.search(key.attr):
        return True  # ``_current_jobs[job.job_type] = job``: one entry per kind of job
    if isinstance(key, ast.Attribute) and key.attr in ("id", "pk") and dotted(key.value) in SIGNED_IN_USERS:
        return True  # ``searched_ids[current_user.id] = ids``: one entry per account, replaced on each request
    if not isinstance(key, ast.Name):
        return False
    params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    if key.id not in params and CLASS_PARAMETER.search(key.id) and _only_loop_variable(fn, key.id):
        return True  # ``for model, viewsets in app.viewsets.items(): cache.setdefault(model, ...)``: one per class
    if key.id not in params:
        # ``fullname = add_prefix(name); _queues[fullname] = ...``: a key made from choices only is one too
        values = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == key.id for t in n.targets)]
        used = {n.id for n in ast.walk(values[0]) if isinstance(n, ast.Name) and n.id in params} \
            if len(values) == 1 else set()
        return bool(used) and all(CHOICE_PARAMETER.search(p) or CLASS_PARAMETER.search(p) for p in used)
    return bool(CHOICE_PARAMETER.search(key.id) or CLASS_PARAMETER.search(key.id))


def _filled_from_choices(node: ast.AST, fn: ast.AST) -> bool:
    """``KNOWN_RESOURCES.update([scope.split(":")[1] for scope in scopes])``: a bulk addition (``update``,
    ``extend``) of what a parameter named for a list of choices of a fixed set holds (``roles``, ``permissions``,
    see CHOICE_PARAMETER, and an authorisation's ``scopes``): the set the code declares, one entry per choice."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("update", "extend")
            and len(node.args) == 1 and not node.keywords and isinstance(fn, FUNCTION_TYPES)):
        return False
    params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    used = {n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name) and n.id in params}
    return bool(used) and all(_names_choices(p) for p in used)


def _names_choices(name: str) -> bool:
    """A parameter named for a collection of choices of a fixed set: ``roles``, ``permissions_tuple``,
    ``scopes``."""
    plural = re.sub(r"_(tuple|set|frozenset|list)$", "", name)
    return plural == "scopes" or plural.endswith("s") and bool(CHOICE_PARAMETER.search(plural[:-1]))


# A flag of the configuration that only a test run or a developer's machine sets: Celery's eager mode (tasks run
# in the caller), Flask's ``TESTING``, a ``TEST_MODE``.
TEST_MODE_FLAG = re.compile(r"(?i)(^|_)(always_eager|testing|test_mode)$")


def _only_in_test_mode(module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    """``if current_app.config.get("CELERY_ALWAYS_EAGER"): TASK_RESULTS[task.id] = ...``: an addition made only
    when a test-mode flag of the configuration is set (see TEST_MODE_FLAG) never runs in production."""
    child = node
    for parent in ancestors(module, node):
        if parent is fn:
            return False
        if isinstance(parent, ast.If) and child in parent.body and any(
                TEST_MODE_FLAG.search(leaf.attr if isinstance(leaf, ast.Attribute) else leaf.id
                                      if isinstance(leaf, ast.Name) else leaf.value
                                      if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) else "")
                for leaf in ast.walk(parent.test)):
            return True
        child = parent
    return False


def _only_loop_variable(fn: ast.AST, name: str) -> bool:
    """``name`` is bound in ``fn`` by ``for`` loops only."""
    targets = [n for n in walk_function_body(fn) if isinstance(n, ast.Name) and n.id == name
               and isinstance(n.ctx, ast.Store)]
    loop_targets = {id(n) for loop in walk_function_body(fn) if isinstance(loop, (ast.For, ast.AsyncFor))
                    for n in ast.walk(loop.target)}
    return bool(targets) and all(id(n) in loop_targets for n in targets)


def _keyed_by_fixed_arguments(project: Project, module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    """``_clients[(db_index, decode)] = Redis(db=db_index, ...)`` where every caller in the project passes a
    constant, a setting (``config.KV_DB_INDEX``, ``settings.X``) or an enum member (``Store.JOBS``) for each
    parameter the key is made of, or leaves it to its default: the keys are the handful the code names."""
    key = _added_key(node)
    params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]
    if key is None or not isinstance(fn, FUNCTION_TYPES) or fn.args.vararg or fn.args.kwarg:
        return False
    if isinstance(key, ast.Name) and key.id not in params:
        values = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == key.id for t in n.targets)]
        if len(values) != 1:
            return False
        key = values[0]
    parts = key.elts if isinstance(key, ast.Tuple) else [key]
    if not parts or not all(isinstance(p, ast.Constant) or isinstance(p, ast.Name) and p.id in params for p in parts):
        return False
    return _called_with_fixed_values(project, module, fn, [p.id for p in parts if isinstance(p, ast.Name)])


def _called_with_fixed_values(project: Project, module: SourceModule, fn: ast.AST, params: list[str]) -> bool:
    """Every call of ``fn`` in the project passes a fixed value (see ``_fixed_argument``) for each of ``params``."""
    callers = _callers(project, module, fn)
    return bool(callers) and all(_fixed_argument(caller_module, call, _argument(call, fn, param))
                                 for caller_module, call in callers for param in params)


def _caches_a_shipped_file(node: ast.AST, fn: ast.AST) -> bool:
    """``path = os.path.join(app.root_path, "trees", f"{name}.json"); tree = json.load(open(path));
    _trees[name] = tree``: the key names a file of the application's own folder (``__file__``, Flask's
    ``root_path``), built into a path before the addition; a name with no such file raises first. The cache
    holds at most the files the application ships."""
    key = _added_key(node)
    return isinstance(key, ast.Name) and _names_a_shipped_file(fn, key.id, getattr(node, "lineno", 0))


def _names_a_shipped_file(fn: ast.AST, name: str, before_line: int) -> bool:
    """``name`` is built into a path under the application's own folder before ``before_line``: in one expression
    with ``__file__`` or Flask's ``root_path``, or with a local made from them (``base = Path(__file__).parent /
    "js"`` ... ``base / name``)."""
    shipped = {"__file__", "root_path"}
    changed = True
    while changed:  # locals made from the folder, or from such locals
        changed = False
        for stmt in walk_function_body(fn):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and stmt.targets[0].id not in shipped and _mentions(stmt.value, shipped):
                shipped.add(stmt.targets[0].id)
                changed = True
    return any(isinstance(n, (ast.Call, ast.BinOp, ast.JoinedStr)) and getattr(n, "lineno", before_line) < before_line
               and _mentions(n, {name}) and _mentions(n, shipped - {name}) for n in walk_function_body(fn))


def _mentions(node: ast.AST, names: set[str]) -> bool:
    """A name of ``names`` used in ``node`` (``root_path`` also as an attribute: ``app.root_path``)."""
    return any(isinstance(m, ast.Name) and m.id in names or isinstance(m, ast.Attribute) and m.attr == "root_path"
               and "root_path" in names for m in ast.walk(node))


def _caches_a_file_it_reads(node: ast.AST, fn: ast.AST) -> bool:
    """``cache_key = str(binary_path); _MODULE_CACHE[cache_key] = Module.from_file(engine, str(binary_path))``: the
    key is a path parameter (annotated ``Path``, or named ``path``/``*_path``/``filename``) that the function reads
    (``open``, ``from_file``, ``read_text``, ``load``): a file of the server's disk, as many as the deployment has."""
    key = _resolved_key(node, fn)
    if key is None or not isinstance(fn, FUNCTION_TYPES):
        return False
    paths = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
             if PATH_PARAMETER.search(a.arg) or a.annotation is not None and
             (dotted(a.annotation) or "").rsplit(".", 1)[-1] in ("Path", "PurePath")}
    used = {n.id for n in ast.walk(key) if isinstance(n, ast.Name)} & _local_names(fn)
    if not used or not used <= paths:
        return False
    return any(isinstance(n, ast.Call) and FILE_READER.search((dotted(n.func) or "").rsplit(".", 1)[-1])
               and any(isinstance(a, ast.Name) and a.id in used for arg in [*n.args, *(k.value for k in n.keywords)]
                       for a in ast.walk(arg)) for n in walk_function_body(fn))


def _keyed_by_fixed_iteration(node: ast.AST, fn: ast.AST) -> bool:
    """``for sev in alarm_model.Severity: level = str(alarm_model.Severity[sev] + 1); escalate_map[level] = ...``:
    the key is made from the variable of a ``for`` loop over a constant of the code (a module's enum or table, or
    literals listed in the loop; not a parameter, a local or ``self``), and from nothing else the function binds:
    one entry per member."""
    key = _resolved_key(node, fn)
    if key is None or not isinstance(fn, FUNCTION_TYPES):
        return False
    loop_names = set()
    for loop in walk_function_body(fn):
        if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and _names_a_constant(loop.iter, fn) \
                and any(n is node for n in ast.walk(loop)):
            loop_names.add(loop.target.id)
    bound = _local_names(fn)
    used = {n.id for n in ast.walk(key) if isinstance(n, ast.Name) and n.id in bound}
    return bool(used) and used <= loop_names


def _names_a_constant(iterable: ast.expr, fn: ast.AST) -> bool:
    """``Severity``, ``alarm_model.Severity``, ``SEVERITIES``: a name the function does not bind; or literals
    written in the loop itself: ``for field in ("groups", "structure_level")``."""
    if isinstance(iterable, (ast.Tuple, ast.List, ast.Set)):
        return all(isinstance(e, ast.Constant) for e in iterable.elts)
    root = iterable
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id not in _local_names(fn) and root.id not in ("self", "cls")


def _lock_per_entity(node: ast.AST, fn: ast.AST) -> bool:
    """``_LOCKS.setdefault(project_id, asyncio.Lock())``: a lock per project, backend or tenant (see
    ENTITY_KEY), a few hundred bytes for each of a set the operators configure, not one per request."""
    value = node.args[1] if isinstance(node, ast.Call) and len(node.args) == 2 else None
    if isinstance(node, ast.Subscript):
        parent = next((n for n in walk_function_body(fn) if isinstance(n, ast.Assign) and node in n.targets), None)
        value = parent.value if parent is not None else None
    if not (isinstance(value, ast.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] in LOCKS):
        return False
    key = _added_key(node)
    name = (dotted(key) or "").replace(".", "_") if key is not None else ""
    return bool(ENTITY_KEY.search(name) or CHOICE_PARAMETER.search(name))


def _callers(project: Project, module: SourceModule, fn: ast.AST) -> list[tuple[SourceModule, ast.Call]]:
    """The calls (with their files) of the module-level function ``fn`` in the project's own (not test) files, or
    of the method ``fn`` through ``self.`` in its own class (its only callers when its name starts with ``_``)."""
    owner = module.parents.get(fn)
    if isinstance(owner, ast.ClassDef):
        if not fn.name.startswith("_"):
            return []
        return [(module, n) for n in walk_nodes(owner) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute) and n.func.attr == fn.name and dotted(n.func.value) == "self"]
    if owner is not module.tree:
        return []
    calls = project_index(project, "R4.calls-by-name", _add_calls).get(fn.name, ())
    return [(other, call) for other, call in calls
            if (resolve_function(project, other, call.func) or (None, None))[1] is fn]


def _add_calls(module: SourceModule, calls: dict) -> None:
    for call in module.nodes_of(ast.Call):
        name = dotted(call.func)
        if name is not None:
            calls.setdefault(name.rsplit(".", 1)[-1], []).append((module, call))


def _argument(call: ast.Call, fn: ast.AST, param: str) -> ast.expr | None:
    """What ``call`` passes for ``param`` of ``fn`` (None when it leaves the default); a ``*args``/``**kw``
    spread is returned as is (not a fixed value)."""
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self":
        positional = positional[1:]  # self.method(a, b): the instance is bound, a is the second parameter
    index = positional.index(param) if param in positional else None
    if index is not None and index < len(call.args):
        return call.args[index]
    if any(isinstance(a, ast.Starred) for a in call.args):
        return next(a for a in call.args if isinstance(a, ast.Starred))
    for kw in call.keywords:
        if kw.arg == param or kw.arg is None:
            return kw.value
    return None


def _fixed_argument(module: SourceModule, call: ast.Call, value: ast.expr | None) -> bool:
    """A fixed value (see ``_fixed_value``), or a local of the calling function bound only to fixed values: ``key =
    settings.ENRICHMENT_LLM_KEY; _resolve_handler(key)``."""
    caller = enclosing_function(module, call)
    if isinstance(value, ast.Name) and caller is not None and not _is_parameter(caller, value.id):
        bound = [n.value for n in walk_function_body(caller) if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)]
        stores = [n for n in walk_function_body(caller) if isinstance(n, ast.Name)
                  and n.id == value.id and isinstance(n.ctx, ast.Store)]
        if stores:  # a local; otherwise a name of the module (``MODEL_DIR``), judged below
            return len(bound) == len(stores) and all(_fixed_value(v) for v in bound)
    return _fixed_value(value)


def _fixed_value(value: ast.expr | None) -> bool:
    """A default, a literal, a setting (``config.X``, ``settings.X``, ``app.config["X"]``), a named constant
    or enum member (``JOBS_DB``, ``Store.JOBS``), or a function of the code base read off a class."""
    if value is None or isinstance(value, ast.Constant) or _read_off_a_class(value):
        return True
    if isinstance(value, ast.Subscript):
        return isinstance(value.slice, ast.Constant) and bool(CONFIG_OWNER.search(
            (dotted(value.value) or "").rsplit(".", 1)[-1]))
    name = dotted(value)
    if name is None:
        return False
    owner, _, last = name.rpartition(".")
    return last.isupper() or bool(owner) and bool(CONFIG_OWNER.search(owner.rsplit(".", 1)[-1]))


def _read_off_a_class(value: ast.expr) -> bool:
    """``getattr(field.parent.__class__, name, None)``, ``getattr(type(obj), name)``: an attribute of a class (a
    function or class the code base defines), one of a fixed set, unlike a method bound to each instance."""
    if not (isinstance(value, ast.Call) and dotted(value.func) == "getattr" and value.args):
        return False
    owner = value.args[0]
    return isinstance(owner, ast.Attribute) and owner.attr == "__class__" or \
        isinstance(owner, ast.Call) and dotted(owner.func) == "type" and len(owner.args) == 1


# --- caches without a size limit --------------------------------------------------------


def _unbounded_caches(module: SourceModule, project: Project) -> Iterator[Finding]:
    enums: set[str] | None = None
    for fn in module.nodes_of(*FUNCTION_TYPES):
        for dec in fn.decorator_list:
            what = _unbounded_cache_decorator(module, dec)
            if what is None or ACCEPTED_METHOD_CACHE.search(module.line_text(dec.lineno)):
                continue
            if enums is None:
                enums = {c.name for c in module.nodes_of(ast.ClassDef)
                         if any((qualified(module, b) or "").endswith(("Enum", "Flag")) for b in c.bases)}
            params = _cache_key_parameters(fn, enums)
            if not params or params == ["self"] and _module_level_singleton(project, module, fn) \
                    or _cache_of_fixed_keys(project, module, fn, params):
                continue
            keeps_instances = params[0] == "self"
            message = f"{what} on {fn.name}({', '.join(params)}) keeps one entry per distinct argument, never evicted"
            if keeps_instances:
                message += ", and keeps every instance alive"
            yield Finding(
                message=message, path=module.path, line=dec.lineno, end_line=fn.lineno,
                evidence=module.evidence(dec),
                fix="give it a bound: @functools.lru_cache(maxsize=1024), or cachetools.TTLCache(maxsize=..., ttl=...)",
                confidence=Confidence.medium,
            )


def _cache_of_fixed_keys(project: Project, module: SourceModule, fn: ast.AST, params: list[str]) -> bool:
    """A cache whose arguments are few: every call in the project passes fixed values (``key =
    settings.LLM_KEY; _resolve(key)``), or each argument names a file the application ships (``def
    _load_asset(name): base = Path(__file__).parent / "js"; return open(base / name).read()``)."""
    if "self" in params:
        return False
    named = [p for p in params if not p.startswith("*")]
    if len(named) < len(params):
        return _called_with_fixed_values(project, module, fn, named) and not any(
            _passes_more(fn, call) for _, call in _callers(project, module, fn))
    end = getattr(fn, "end_lineno", fn.lineno) + 1
    return _called_with_fixed_values(project, module, fn, params) or \
        all(_names_a_shipped_file(fn, param, end) for param in params)


def _passes_more(fn: ast.AST, call: ast.Call) -> bool:
    """``call`` hands ``fn`` a value for its ``*args`` or ``**kwargs``: more positional arguments than it names,
    a keyword it does not name, or a ``*``/``**`` spread."""
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self":
        positional = positional[1:]
    named = {*positional, *(a.arg for a in fn.args.kwonlyargs)}
    return len(call.args) > len(positional) or any(isinstance(a, ast.Starred) for a in call.args) \
        or any(kw.arg is None or kw.arg not in named for kw in call.keywords)


def _module_level_singleton(project: Project, module: SourceModule, method: ast.AST) -> bool:
    """``config = IndicoConfig()`` at module level, or in functions that run while the service starts (an app
    factory), and nowhere else in the service: a cache keyed by ``self`` alone holds one entry per instance,
    and the process makes a handful."""
    cls = module.parents.get(method)
    if not isinstance(cls, ast.ClassDef):
        return False
    made = [(other, call) for other, call in project_index(project, "R4.calls-by-name", _add_calls).get(cls.name, ())
            if not is_test_path(other.path)]
    start_up = _start_up_functions(project)
    return bool(made) and all(_runs_at_start_up(other, call, start_up) for other, call in made)


def _unbounded_cache_decorator(module: SourceModule, dec: ast.expr) -> str | None:
    target = dec.func if isinstance(dec, ast.Call) else dec
    name = qualified(module, target) or ""
    if name in UNBOUNDED_CACHES:
        return "@functools.cache"
    if name == LRU and isinstance(dec, ast.Call):
        maxsize = keyword(dec, "maxsize")
        if maxsize is None and dec.args:
            maxsize = dec.args[0]
        return "@lru_cache(maxsize=None)" if is_none(maxsize) else None
    if name in ("cachetools.cached", "cachetools.func.cached") and isinstance(dec, ast.Call):
        cache = keyword(dec, "cache") or (dec.args[0] if dec.args else None)
        if isinstance(cache, ast.Dict) or isinstance(cache, ast.Call) and qualified(module, cache.func) == "dict":
            return "@cached with a plain dict"
    return None


def _cache_key_parameters(fn: ast.AST, enums: set[str]) -> list[str]:
    """The parameters that make up the cache key, unless every one has a small domain."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    if params and params[0][0].arg == "cls":
        params = params[1:]
    names = [p.arg for p, _ in params]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    if not names:
        return []
    if all(_small_domain(p, default, enums) for p, default in params) and not (args.vararg or args.kwarg) \
            and "self" not in names:
        return []
    return names


def _small_domain(param: ast.arg, default: ast.expr | None, enums: set[str]) -> bool:
    """A flag, a literal choice, an Enum member or a class: few distinct values in one process."""
    if CLASS_PARAMETER.search(param.arg) or CHOICE_PARAMETER.search(param.arg) or _names_choices(param.arg):
        return True
    annotation = param.annotation
    if annotation is None:
        return isinstance(default, ast.Constant) and isinstance(default.value, bool)
    if isinstance(annotation, ast.Name):
        return annotation.id in ("bool", "type") or annotation.id in enums
    if isinstance(annotation, ast.Subscript):
        base = annotation.value
        base_name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
        return base_name in ("Literal", "type", "Type")
    return False


# --- metric label children per raw request path -------------------------------------------

PROMETHEUS_METRICS = {f"prometheus_client.{kind}" for kind in ("Counter", "Gauge", "Histogram", "Summary", "Info",
                                                                  "Enum")}
# The path a client sent: ``request.url.path`` (Starlette), ``request.path``/``path_info`` (Flask, Django), the URL.
RAW_REQUEST_PATH = re.compile(r"(^|\.)(request|req)\.(url\.path|path|path_info|full_path|url|raw_path)$")


def _metric_labels_from_raw_paths(module: SourceModule, project: Project) -> Iterator[Finding]:
    """``REQUESTS.labels(method, request.url.path).inc()`` on a prometheus_client metric, directly or through a
    project function whose parameter becomes a label (``inc_request(path=request.url.path)``): each distinct
    path a client sends (ids, a scanner's probes) makes a child of the metric that lives as long as the process."""
    labelling = project_index(project, "R4.path-labelling-functions",
                              lambda other, index: _add_labelling_functions(project, other, index))
    called = {fn.name for fn in labelling} | {"labels"}
    sites: list[ast.Call] = []
    for call in module.nodes_of(ast.Call) if "req" in module.text else ():
        fn = enclosing_function(module, call)
        if fn is None or (dotted(call.func) or "").rsplit(".", 1)[-1] not in called:
            continue
        if _labels_a_metric(project, module, call):
            handed = [*call.args, *(k.value for k in call.keywords)]
        else:
            resolved = resolve_function(project, module, call.func)
            params = labelling.get(resolved[1]) if resolved else None
            handed = [_argument(call, resolved[1], param) for param in sorted(params)] if params else []
        if any(_raw_request_path(fn, value) for value in handed):
            sites.append(call)
    if sites:
        first, others = sites[0], sites[1:]
        more = f" (and on line{'s' if len(others) > 1 else ''} {', '.join(str(c.lineno) for c in others)})" \
            if others else ""
        yield Finding(
            message=f"a Prometheus metric is labelled with the raw request path{more}: every distinct path (ids in "
                    f"it, a scanner's probes) adds a label child the registry keeps for the life of the process",
            path=module.path, line=first.lineno, end_line=first.end_lineno, evidence=module.evidence(first),
            fix="label with the route template (request.scope['route'].path, request.url_rule.rule, "
                "resolver_match.route), or a fixed label for unmatched paths",
            confidence=Confidence.medium,
            extra={"places": [f"{module.path}:{c.lineno}" for c in sites]},
        )


def _labels_a_metric(project: Project, module: SourceModule, call: ast.Call) -> bool:
    """``METRIC.labels(...)`` where ``METRIC`` is a module-level prometheus_client metric of the project."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "labels"):
        return False
    name = qualified(module, call.func.value) or ""
    if isinstance(call.func.value, ast.Name) and "." not in name:
        name = f"{module.dotted_name}.{name}"
    owner_name, _, metric = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name)
    return owner is not None and any(
        isinstance(st, ast.Assign) and isinstance(st.value, ast.Call)
        and any(isinstance(t, ast.Name) and t.id == metric for t in st.targets)
        and qualified(owner, st.value.func) in PROMETHEUS_METRICS for st in owner.tree.body)


def _add_labelling_functions(project: Project, module: SourceModule, index: dict) -> None:
    """Module-level function -> its parameters handed to a metric's ``labels()`` (``def inc_request(*, path):
    REQUESTS.labels(path=path).inc()``)."""
    if "labels" not in module.text:
        return
    for call in module.nodes_of(ast.Call):
        fn = enclosing_function(module, call)
        if fn is None or module.parents.get(fn) is not module.tree or not (
                isinstance(call.func, ast.Attribute) and call.func.attr == "labels"):
            continue
        params = {value.id for value in [*call.args, *(k.value for k in call.keywords)]
                  if isinstance(value, ast.Name) and _is_parameter(fn, value.id)}
        if params and _labels_a_metric(project, module, call):
            index.setdefault(fn, set()).update(params)


def _raw_request_path(fn: ast.AST, value: ast.expr | None) -> bool:
    """``request.url.path``, ``request.path``, ``str(request.url)``, also through a local of ``fn`` bound once
    (``path = request.url.path``)."""
    return _reads_through_locals(fn, value, _raw_path_attribute, 2)


def _raw_path_attribute(leaf: ast.AST) -> bool:
    return isinstance(leaf, ast.Attribute) and bool(RAW_REQUEST_PATH.search(dotted(leaf) or ""))


# --- queues without maxsize ---------------------------------------------------------------


def _unbounded_queues(module: SourceModule, project: Project) -> Iterator[Finding]:
    reported_attributes: set[tuple[int, str]] = set()
    for node in sorted(module.nodes_of(ast.Call), key=lambda n: (n.lineno, n.col_offset)):
        name = call_name(module, node) or ""
        if name in ALWAYS_UNBOUNDED_QUEUES:
            problem = f"{name}() has no size limit"
        elif name in QUEUES and not _has_positive_maxsize(node):
            problem = f"{name}() without maxsize grows without limit"
        else:
            continue
        where, long_lived = _queue_home(module, node)
        if where is None:
            where = _kept_by_object_fed_by_loop(module, project, node)
        if where is None or _never_filled(module, project, node) or _bounded_later(project, module, node) \
                or _fed_from_a_fixed_set(module, project, node) or _drained_by_its_producers(module, node) \
                or _flushed_by_its_producers(module, node) or _lives_for_one_call(module, node) \
                or _waited_empty_by_its_producers(module, node) \
                or _answered_before_the_next_request(module, project, node) or _pool_of_lent_items(module, project, node):
            continue
        attribute = _instance_attribute(module, node)
        if attribute in reported_attributes:
            continue  # the object's queue made anew (after a cancel, a reconnect): the queue already reported
        if attribute is not None:
            reported_attributes.add(attribute)
        yield Finding(
            message=f"{problem} ({where}): a consumer slower than its producer exhausts memory",
            path=module.path, line=node.lineno, end_line=getattr(node, "end_lineno", node.lineno),
            evidence=module.evidence(node),
            fix=f"pass maxsize=N so that producers wait (back-pressure): {name.rsplit('.', 1)[0]}.Queue(maxsize=1000)",
            confidence=Confidence.medium if long_lived else Confidence.low,
        )


def _instance_attribute(module: SourceModule, call: ast.Call) -> tuple[int, str] | None:
    """(its class, the attribute name) for a queue stored as ``self.<name>`` in a method."""
    target = _queue_target(module, call)
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    return (id(cls), target.attr) if is_self_attribute(target) and cls is not None else None


def _has_positive_maxsize(call: ast.Call) -> bool:
    size = keyword(call, "maxsize") or (call.args[0] if call.args else None)
    if size is None:
        return False
    if isinstance(size, ast.Constant):
        return isinstance(size.value, int) and size.value > 0
    # A variable or expression: assume the author chose a bound, unless it is negative.
    return not (isinstance(size, ast.UnaryOp) and isinstance(size.op, ast.USub))


def _queue_home(module: SourceModule, call: ast.Call) -> tuple[str | None, bool]:
    """(where the queue lives, whether it is long-lived); (None, False) when it dies young."""
    fn = enclosing_function(module, call)
    if fn is None:
        in_class = any(isinstance(a, ast.ClassDef) for a in ancestors(module, call))
        return ("class level" if in_class else "module level"), True
    parent = module.parents.get(call)
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if any(is_self_attribute(t) for t in targets):
            return "stored on self", True
    local = _queue_name(module, call)
    nested = [n for n in walk_function_body(fn) if isinstance(n, FUNCTION_TYPES) and local and
              any(isinstance(u, ast.Name) and u.id == local for u in walk_function_body(n))]
    for scope in [fn, *nested]:  # the function, and the nested functions that use the queue
        runner = scope.name
        for node in walk_function_body(scope):
            if isinstance(node, ast.While) and _is_service_loop_test(node.test):
                return f"consumed by the service loop of {runner}()", False
            if isinstance(node, ast.Call):
                starter = call_name(module, node) or ""
                if starter in WORKER_STARTERS or starter.rsplit(".", 1)[-1] in ("create_task", "start_soon"):
                    return f"shared with workers started by {runner}()", False
                if local and REGISTRAR.search(starter.rsplit(".", 1)[-1]) and \
                        any(isinstance(a, ast.Name) and a.id == local for a in node.args):
                    return f"registered with {starter}() by {fn.name}()", False
    return None, False


def _kept_by_object_fed_by_loop(module: SourceModule, project: Project, call: ast.Call) -> str | None:
    """``WebsocketConnection(receive_queue=Queue())``: a queue handed to a constructor as a keyword, and put into
    under that name by a service loop (``while settings.running: conn.receive_queue.put_nowait(data)``): it
    lives as long as the object and fills as long as the loop runs."""
    keyword_node = module.parents.get(call)
    owner = module.parents.get(keyword_node)
    if not isinstance(keyword_node, ast.keyword) or keyword_node.arg is None or not isinstance(owner, ast.Call):
        return None
    constructor = (call_name(module, owner) or "").rsplit(".", 1)[-1]
    if not constructor[:1].isupper():
        return None
    for put_module, _cls, _through_self, attribute in _queue_puts(project).get(keyword_node.arg, ()):
        loop = next((a for a in ancestors(put_module, attribute) if isinstance(a, ast.While)
                     or isinstance(a, FUNCTION_TYPES)), None)
        if isinstance(loop, ast.While) and _is_service_loop_test(loop.test):
            fn = enclosing_function(put_module, attribute)
            return f"kept as `{keyword_node.arg}` of {constructor}, filled by the service loop of " \
                   f"{fn.name if fn is not None else 'the module'}()"
    return None


def _is_service_loop_test(test: ast.expr) -> bool:
    """``while True``, ``while running``, ``while not self.stopped``, ``while settings.app_running``,
    ``while not self._is_shutting_down()``: a loop that lasts as long as the service. Its flag is named for a
    lifetime (not ``while self.tasks`` or ``while not q.empty()``, which drain a container)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Constant):
        return test.value is True
    if isinstance(test, ast.Call) and not test.args and isinstance(test.func, ast.Attribute):
        test = test.func
    name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
    return bool(LIFETIME_FLAG.search(name))


def _queue_target(module: SourceModule, call: ast.Call) -> ast.expr | None:
    """What a queue is bound to: ``jobs`` in ``jobs = Queue()``, ``self.jobs`` in ``self.jobs = Queue()``."""
    parent = module.parents.get(call)
    if not isinstance(parent, (ast.Assign, ast.AnnAssign)) or parent.value is not call:
        return None
    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
    return targets[0] if len(targets) == 1 and isinstance(targets[0], (ast.Name, ast.Attribute)) else None


def _queue_name(module: SourceModule, call: ast.Call) -> str | None:
    target = _queue_target(module, call)
    return target.id if isinstance(target, ast.Name) else target.attr if target is not None else None


def _never_filled(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Nothing puts into the queue, and it is never handed anywhere: it cannot grow.

    Puts are matched by the name the queue is bound to (see ``_reaching_puts``). A module-level queue imported
    by another file counts as filled.
    """
    name = _queue_name(module, call)
    if name is None:
        return False
    if _reaching_puts(module, project, call):
        return False
    return not _registered(module, call, name)


def _registered(module: SourceModule, call: ast.Call, name: str) -> bool:
    """``register_listener(q, "core")``, ``bus.subscribe(q)``: handed to a registry that fills it with every
    event. A queue only handed to a process or an object (``Process(args=(q,))``) shows no put of its own: it
    may as well be a request-reply channel or a logging hand-off, and is not judged."""
    fn = enclosing_function(module, call)
    scope = fn if fn is not None else module.tree
    on_self = is_self_attribute(_queue_target(module, call))
    for node in walk_nodes(scope):
        if isinstance(node, ast.Call) and REGISTRAR.search((call_name(module, node) or "").rsplit(".", 1)[-1]) \
                and any((is_self_attribute(a) and a.attr == name) if on_self else
                        (isinstance(a, ast.Name) and a.id == name) for a in node.args):
            return True
    return False


def _reaching_puts(module: SourceModule, project: Project, call: ast.Call) -> list[tuple[SourceModule, ast.Attribute]]:
    """The ``.put``/``.put_nowait`` sites that can reach the queue made by ``call``: ``self.X.put`` of the same
    class, ``X.put`` / ``obj.X.put`` anywhere in the project (not another class's ``self.X``, unless the queue is
    a module-level one, which other objects may keep under the same name)."""
    name = _queue_name(module, call)
    if name is None:
        return []
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    on_self = is_self_attribute(_queue_target(module, call))
    return [(put_module, node) for put_module, put_class, through_self, node in _queue_puts(project).get(name, ())
            if not on_self or not through_self or put_module is module and put_class is cls
            or _related_classes(cls, put_class)]


def _related_classes(cls: ast.ClassDef | None, other: ast.ClassDef | None) -> bool:
    """One class names the other among its bases: a ``self.queue.put`` in a base class (``class
    EthDaemon(BlockProcessor)``) reaches the queue its subclass makes, and the other way round."""
    if cls is None or other is None:
        return False
    bases_of_cls, bases_of_other = ({(dotted(b) or "").rsplit(".", 1)[-1] for b in c.bases} for c in (cls, other))
    return other.name in bases_of_cls or cls.name in bases_of_other


def _queue_puts(project: Project) -> dict[str, list[tuple[SourceModule, ast.ClassDef | None, bool, ast.Attribute]]]:
    """Name the receiver of a ``.put``/``.put_nowait`` (called or passed as a callback) ends with ->
    (module, class, whether through ``self``, the ``.put`` attribute)."""
    return project_index(project, "R4.queue-puts", _add_queue_puts)


def _add_queue_puts(module: SourceModule, puts: dict) -> None:
    for node in module.nodes_of(ast.Attribute):  # called, or handed on: call_soon_threadsafe(q.put_nowait, x)
        if node.attr not in QUEUE_PUTS:
            continue
        receiver = node.value
        while isinstance(receiver, ast.Subscript):
            receiver = receiver.value
        if isinstance(receiver, ast.Name):
            puts.setdefault(receiver.id, []).append((module, None, False, node))
        elif isinstance(receiver, ast.Attribute):
            cls = next((a for a in ancestors(module, node) if isinstance(a, ast.ClassDef)), None)
            puts.setdefault(receiver.attr, []).append((module, cls, is_self_attribute(receiver), node))


def _bounded_later(project: Project, module: SourceModule, call: ast.Call) -> bool:
    """``handler.queue.maxsize = config["max_queue_size"]``: the queue gets its bound after construction (a
    ``maxsize`` assigned on a receiver ending with the queue's name, anywhere in the project)."""
    name = _queue_name(module, call)
    sizes = project.facts.get("R4.queue-maxsize")
    if sizes is None:
        sizes = project.facts["R4.queue-maxsize"] = set()
        for other in project.modules:
            if is_test_path(other.path):
                continue
            for node in other.nodes_of(ast.Attribute):
                if node.attr != "maxsize" or not isinstance(node.ctx, ast.Store):
                    continue
                receiver = node.value
                stmt = other.parents.get(node)
                value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
                if isinstance(value, ast.Constant) and not (isinstance(value.value, int) and value.value > 0):
                    continue  # ``q.maxsize = 0``: unbounded on purpose
                if isinstance(receiver, ast.Name):
                    sizes.add(receiver.id)
                elif isinstance(receiver, ast.Attribute):
                    sizes.add(receiver.attr)
    return name is not None and name in sizes


def _fed_from_a_fixed_set(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Every put into the queue enqueues a configured peer (``host``, ``port`` parameters), with at most a retry
    counter (``attempt``), as in ``def resolve_async(self, host, port, attempt=0): self._queue.put(((host,
    port), attempt))``: work driven by the cluster's configuration, not by traffic. (A queue of event names or
    kinds is not: a fixed set of values can still be queued once per request.)"""
    puts = _reaching_puts(module, project, call)
    if not puts:
        return False
    for put_module, attribute in puts:
        put = put_module.parents.get(attribute)
        fn = enclosing_function(put_module, attribute)
        if not isinstance(put, ast.Call) or put.func is not attribute or fn is None or not put.args:
            return False  # handed on as a callback: what it is given is unknown
        params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        for argument in put.args:
            for leaf in walk_nodes(argument):
                if isinstance(leaf, (ast.Tuple, ast.Load, ast.Constant)):
                    continue
                if not (isinstance(leaf, ast.Name) and leaf.id in params and FIXED_SET_ITEM.search(leaf.id)):
                    return False
        if not any(isinstance(leaf, ast.Name) and PEER_ITEM.search(leaf.id) for a in put.args for leaf in walk_nodes(a)):
            return False
    return True


def _answered_before_the_next_request(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Every put into the queue is a request whose caller waits for the answer (see ``_waits_for_answer``): the
    queue holds at most one item per waiting caller, a number the callers bound, not the traffic."""
    puts = _reaching_puts(module, project, call)
    return bool(puts) and all(_waits_for_answer(project, put_module, attribute) for put_module, attribute in puts)


def _waits_for_answer(project: Project, module: SourceModule, attribute: ast.Attribute) -> bool:
    """A put, outside any loop of its function, that is followed there by a wait for the answer (``event.wait()``,
    ``future.result()``, ``sock.recv()``, ``responses.get(timeout=1)``, ``next(predictions)``), that carries a
    future the function returns or awaits (``q.put((job, future)); return future``), or whose function returns
    the ticket it put (``request_id``) to callers that each wait on it (``responses.get(request_id)``)."""
    put = module.parents.get(attribute)
    fn = enclosing_function(module, attribute)
    if not isinstance(put, ast.Call) or put.func is not attribute or fn is None or any(
            isinstance(a, (ast.While, ast.For, ast.AsyncFor))
            for a in takewhile(lambda a: a is not fn, ancestors(module, attribute))):
        return False
    put_names = {n.id for a in [*put.args, *(k.value for k in put.keywords)] for n in walk_nodes(a)
                 if isinstance(n, ast.Name)}
    futures = {t.id for n in walk_function_body(fn) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
               and (method_name(n.value) == "create_future" or call_name(module, n.value) in FUTURES)
               for t in n.targets if isinstance(t, ast.Name)} & put_names
    handed_back = {n.value.id for n in walk_function_body(fn) if isinstance(n, (ast.Return, ast.Await))
                   and isinstance(n.value, ast.Name)}
    if futures & handed_back:
        return True
    if any(_waits(n, attribute.value) for n in walk_function_body(fn) if getattr(n, "lineno", 0) > put.lineno):
        return True
    tickets = put_names & handed_back
    return bool(tickets) and _every_caller_waits_on_its_ticket(project, fn.name)


def _waits(node: ast.AST, queue: ast.expr) -> bool:
    """A call that blocks until an answer comes (not a ``get`` from the queue itself)."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return node.func.id == "next"
    if not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr == "get":
        return dotted(node.func.value) != dotted(queue) and (
            not node.args or any(k.arg in ("timeout", "block") for k in node.keywords))
    return node.func.attr in RESPONSE_WAITS


def _every_caller_waits_on_its_ticket(project: Project, name: str) -> bool:
    """``request_id = store.put(tensor)`` ... ``responses.get(request_id, timeout=1.0)``: every call of ``name``
    whose result the caller keeps is followed by a wait given that ticket."""
    callers = 0
    for module in project.modules:
        for call in module.nodes_of(ast.Call):
            assign = module.parents.get(call)
            if method_name(call) != name or not isinstance(assign, ast.Assign) or len(assign.targets) != 1 \
                    or not isinstance(assign.targets[0], ast.Name) or is_test_path(module.path) \
                    or (dotted(call.func) or "").split(".", 1)[0] in module.imports:
                continue  # not this function: ``r = requests.put(url)`` calls a library
            fn = enclosing_function(module, call)
            ticket = assign.targets[0].id
            if fn is None or not any(
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and n.func.attr in RESPONSE_WAITS | {"get"} and n.lineno > call.lineno
                    and any(isinstance(a, ast.Name) and a.id == ticket for a in n.args)
                    for n in walk_function_body(fn)):
                return False
            callers += 1
    return callers > 0


def _drained_by_its_producers(module: SourceModule, call: ast.Call) -> bool:
    """``await queue.put(event); if queue.qsize() >= batch_size: await flush()``: a queue local to a function
    (with the functions nested in it) whose every put either hands back, when writing them failed, items a
    drain took (a put in an ``except`` of a function that gets from the queue) or is followed by a drain once
    the queue reaches a size: the producer empties it itself, so it stays near that size."""
    name = _queue_name(module, call)
    owner = enclosing_function(module, call)
    if name is None or owner is None or is_self_attribute(_queue_target(module, call)):
        return False
    puts = [n for n in walk_nodes(owner) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in QUEUE_PUTS and isinstance(n.func.value, ast.Name) and n.func.value.id == name]
    return bool(puts) and all(_hands_back(module, name, put) or _drains_at_size(name, enclosing_function(module, put))
                              for put in puts)


def _lives_for_one_call(module: SourceModule, call: ast.Call) -> bool:
    """A queue local to a function that bridges one result or one stream of this call: the function itself takes
    from it up to an end (a ``get`` outside any loop, after ``thread.join()``, or in a ``while`` loop it leaves on
    a sentinel: ``if item is DONE: break``), or every put into it is made by the workers it starts, once or per
    item of a ``for`` loop over one stream, never in a ``while`` loop. It holds one response, not the traffic of
    the process."""
    name = _queue_name(module, call)
    owner = enclosing_function(module, call)
    if name is None or owner is None:
        return False
    if is_self_attribute(_queue_target(module, call)):
        return _one_result_of_a_started_worker(module, call, owner, name)
    takes = [n for n in walk_function_body(owner) if isinstance(n, ast.Call)
             and dotted(n.func) in (f"{name}.get", f"{name}.get_nowait")]
    if takes and all(_taken_up_to_an_end(module, take, owner) for take in takes):
        return True
    puts = [n for n in walk_nodes(owner) if isinstance(n, ast.Attribute) and n.attr in QUEUE_PUTS
            and isinstance(n.value, ast.Name) and n.value.id == name]
    started = _started_workers(module, owner)
    return bool(puts) and all(
        (producer := enclosing_function(module, put)) is not owner and _nested_in_started(module, producer, started)
        and not any(isinstance(a, ast.While) for a in ancestors(module, put)) for put in puts)


def _one_result_of_a_started_worker(module: SourceModule, call: ast.Call, owner: ast.AST, name: str) -> bool:
    """``self.result_queue = Queue()`` in a method that starts a thread whose function, nested in it, puts one
    value into it outside any loop (``def build(): ...; self.result_queue.put(model)``), and no other method of
    the class puts into it: it carries the one result of that thread."""
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    if cls is None:
        return False
    puts = [n for n in walk_nodes(cls) if isinstance(n, ast.Attribute) and n.attr in QUEUE_PUTS
            and is_self_attribute(n.value) and n.value.attr == name]
    started = _started_workers(module, owner)
    return bool(puts) and all(
        (producer := enclosing_function(module, put)) is not owner and _nested_in_started(module, producer, started)
        and owner in ancestors(module, producer)
        and not any(isinstance(a, (ast.While, ast.For, ast.AsyncFor)) for a in ancestors(module, put)
                    if owner in ancestors(module, a)) for put in puts)


def _taken_up_to_an_end(module: SourceModule, take: ast.Call, owner: ast.AST) -> bool:
    loops = [a for a in ancestors(module, take) if isinstance(a, (ast.While, ast.For, ast.AsyncFor))]
    if not loops:
        return True
    loop = loops[0]
    return isinstance(loop, ast.While) and any(
        isinstance(n, (ast.Break, ast.Return)) and next(
            (a for a in ancestors(module, n) if isinstance(a, (ast.While, ast.For, ast.AsyncFor, *FUNCTION_TYPES))),
            None) is loop for n in walk_nodes(loop))


def _started_workers(module: SourceModule, owner: ast.AST) -> set[str]:
    """Names of the functions ``owner`` starts as workers: ``Thread(target=run)``, ``create_task(drive())``."""
    names = set()
    for node in walk_function_body(owner):
        if isinstance(node, ast.Call) and (call_name(module, node) or "").rsplit(".", 1)[-1] in WORKER_STARTER_TAILS                 | {"Thread", "Process"}:
            for value in [*node.args, *(k.value for k in node.keywords)]:
                target = value.func if isinstance(value, ast.Call) else value
                if isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def _nested_in_started(module: SourceModule, fn: ast.AST | None, started: set[str]) -> bool:
    """``fn`` is, or is nested in, a function named in ``started``."""
    return fn is not None and any(isinstance(f, FUNCTION_TYPES) and f.name in started
                                  for f in [fn, *ancestors(module, fn)])


def _pool_of_lent_items(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """``self.pool = Queue()`` filled in the same method by a ``for`` loop (``for _ in range(min_size):
    self.pool.put(connect())``), a method that hands out what it takes (``client = self.pool.get_nowait() ...
    return client``), and every other put gives back a parameter (``def release(self, client):
    self.pool.put_nowait(client)``): a pool of a fixed number of items lent and returned, not a feed."""
    name = _queue_name(module, call)
    maker = enclosing_function(module, call)
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    if name is None or maker is None or cls is None or not is_self_attribute(_queue_target(module, call)):
        return False
    puts = [(put_module, put_module.parents.get(attribute))
            for put_module, attribute in _reaching_puts(module, project, call)]
    filled_at_construction = [put for put_module, put in puts if put_module is module
                              and enclosing_function(module, put) is maker
                              and any(isinstance(loop, ast.For) for loop in enclosing_loops(module, put))]
    given_back = [put for put_module, put in puts if isinstance(put, ast.Call) and len(put.args) == 1
                  and isinstance(put.args[0], ast.Name)
                  and _is_parameter(enclosing_function(put_module, put), put.args[0].id)]
    return bool(filled_at_construction) and len(filled_at_construction) + len(given_back) == len(puts) \
        and any(_hands_out_what_it_takes(method, name) for method in cls.body if isinstance(method, FUNCTION_TYPES))


def _hands_out_what_it_takes(method: ast.AST, name: str) -> bool:
    """``client = self.pool.get_nowait() ... return client`` (or ``return self.pool.get()``) in ``method``."""
    def takes(value: ast.AST | None) -> bool:
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
            and value.func.attr in ("get", "get_nowait") and is_self_attribute(value.func.value) \
            and value.func.value.attr == name
    taken = {target.id for node in walk_function_body(method) if isinstance(node, ast.Assign) and takes(node.value)
             for target in node.targets if isinstance(target, ast.Name)}
    return any(isinstance(node, ast.Return) and (takes(node.value) or isinstance(node.value, ast.Name)
                                                 and node.value.id in taken)
               for node in walk_function_body(method))


def _flushed_by_its_producers(module: SourceModule, call: ast.Call) -> bool:
    """``_log_queue.put(entry)`` in a function that also calls ``_process_log_queue()``, which empties it whole
    (``while not _log_queue.empty(): entries.append(_log_queue.get_nowait())``): a module-level queue whose every
    producer flushes it holds at most what was put since the last flush."""
    name = _queue_name(module, call)
    if name is None or enclosing_function(module, call) is not None:
        return False
    flushers = {fn.name for fn in module.nodes_of(*FUNCTION_TYPES) if _empties(name, fn)}
    puts = [n for n in module.nodes_of(ast.Call) if isinstance(n.func, ast.Attribute) and n.func.attr in QUEUE_PUTS
            and isinstance(n.func.value, ast.Name) and n.func.value.id == name]
    return bool(flushers) and bool(puts) and all(
        (fn := enclosing_function(module, put)) is not None and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in flushers
            for n in walk_function_body(fn))
        for put in puts)


def _waited_empty_by_its_producers(module: SourceModule, call: ast.Call) -> bool:
    """``await REQUESTS.put(item)`` in a function that then waits until the consumers took everything
    (``while not REQUESTS.empty(): await asyncio.sleep(1)``, ``await REQUESTS.join()``) before it goes on: every
    producer holds back for its consumers, so the queue holds one batch at most."""
    name = _queue_name(module, call)
    if name is None:
        return False
    scope = enclosing_function(module, call)
    puts = [n for n in (walk_nodes(scope) if scope is not None else module.nodes_of(ast.Call))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in QUEUE_PUTS
            and isinstance(n.func.value, ast.Name) and n.func.value.id == name]

    def waits_empty(node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and dotted(node.func) == f"{name}.join" or isinstance(node, ast.While) \
            and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) \
            and dotted(getattr(node.test.operand, "func", None)) == f"{name}.empty" \
            and not any(isinstance(n, ast.Call) and dotted(n.func) in (f"{name}.get", f"{name}.get_nowait")
                        for n in walk_nodes(node))

    return bool(puts) and all(
        (fn := enclosing_function(module, put)) is not None and any(
            waits_empty(n) and n.lineno > put.lineno for n in walk_function_body(fn))
        for put in puts)


def _empties(name: str, fn: ast.AST) -> bool:
    """``while not queue.empty(): queue.get_nowait()`` in ``fn``: it takes every item the queue holds."""
    return any(
        isinstance(loop, ast.While) and isinstance(loop.test, ast.UnaryOp) and isinstance(loop.test.op, ast.Not)
        and dotted(getattr(loop.test.operand, "func", None)) == f"{name}.empty"
        and any(isinstance(n, ast.Call) and dotted(n.func) in (f"{name}.get", f"{name}.get_nowait")
                for n in walk_nodes(loop))
        for loop in walk_function_body(fn))


def _hands_back(module: SourceModule, name: str, put: ast.Call) -> bool:
    fn = enclosing_function(module, put)
    return fn is not None and any(isinstance(a, ast.ExceptHandler) for a in ancestors(module, put)) and any(
        isinstance(n, ast.Attribute) and n.attr in ("get", "get_nowait") and isinstance(n.value, ast.Name)
        and n.value.id == name for n in walk_function_body(fn))


def _drains_at_size(name: str, fn: ast.AST | None) -> bool:
    """``if queue.qsize() >= size: await flush()`` (or ``queue.full()``) in the function that puts."""
    return fn is not None and any(
        isinstance(n, ast.If) and any(isinstance(c, ast.Call) for stmt in n.body for c in ast.walk(stmt))
        and any(isinstance(t, ast.Call) and isinstance(t.func, ast.Attribute) and t.func.attr in ("qsize", "full")
                and isinstance(t.func.value, ast.Name) and t.func.value.id == name for t in ast.walk(n.test))
        for n in walk_function_body(fn))
