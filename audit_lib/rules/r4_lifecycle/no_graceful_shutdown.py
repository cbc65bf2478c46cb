"""R4.no-graceful-shutdown: a service that cannot stop cleanly on SIGTERM.

## What it does
Reports a service entry point that cannot stop cleanly on SIGTERM: a worker loop or
server with no SIGTERM handler, or a web app holding pools with no shutdown hook.
Two kinds of entry point are judged differently:

- **Web applications** (`FastAPI()`, `Starlette()`, `Flask()`, `Quart()`, `Sanic()`,
  aiohttp `web.Application()`). Their servers (uvicorn, gunicorn, hypercorn,
  `web.run_app`) already catch SIGTERM, stop accepting connections and finish
  in-flight requests. What they cannot do is close the application's own long-lived
  resources, so the app is reported only when the code it imports (or that imports it)
  keeps a pool or client for the process lifetime (`asyncpg.create_pool`,
  `psycopg_pool.*Pool`, `psycopg2.pool.*`, `create_async_engine`, a database connection,
  `aiohttp.ClientSession`, `httpx.AsyncClient`, created at module level or stored on an
  attribute, in a container or in a global; Flask's per-request `g` and `request` do
  not count) and no shutdown hook exists there:
  FastAPI/Starlette `lifespan=` or `on_shutdown=`, `@app.on_event("shutdown")`,
  `add_event_handler("shutdown", ...)`, aiohttp `on_shutdown`/`on_cleanup`/`cleanup_ctx`,
  Quart/Sanic after-serving hooks, `atexit.register(...)`, a SIGTERM handler, or a
  gunicorn exit hook (`worker_exit`, `on_exit`, `worker_int` defined in a `gunicorn*.py`
  config file, which gunicorn loads itself: it counts for every app of the project), or a SIGTERM handler
  installed by a program file that imports the app's file, even through other files (`__main__.py` turning
  SIGTERM into `sys.exit()`, whose `finally: self.stop()` stops what the app started). An app in
  a file that a framework program imports (a project class derived from mautrix's `Program` or
  `Bridge`, whose `run()` turns SIGTERM into its stop sequence and stops the server it mounts the
  app on) is not reported either. A lifespan (a function of the app's file) that runs nothing after
  its `yield` yet is still the app's shutdown hook for the pools and clients other files keep (`lifespan=`
  is where they are closed), but it closes nothing it opens itself: a FastAPI/Starlette app with no other
  shutdown hook is reported when one of its start-up hooks (`@app.on_event("startup")`,
  `add_event_handler("startup", fn)`, `on_startup=[fn]`, such a lifespan) opens a pool, engine,
  Redis or HTTP client (outside a `with`, in a hook that closes nothing, even one handed to a
  library: `FastAPILimiter.init(redis.from_url(...))`) or starts a background task
  (`asyncio.create_task`, fastapi-utils' `@repeat_every`): nothing closes or stops it.
- **Self-managed loops**: `.serve_forever()`, `loop.run_forever()` (not a coroutine of that name
  handed to `create_task`, which runs in a loop already running and is cancelled by its owner),
  `asyncio.run(main())`
  where `main` (or a function of the same file that it calls) runs a service loop, and a
  service loop run from module level or the `if __name__ == "__main__":` block. A
  service loop is `while True` (or `while <flag>`, or a call named for the process's lifetime:
  `while keep_running():`, `while run_fn():`) whose body waits for work or time
  (an `await`, `sleep`, `get`, `recv`, `accept`, `poll`, `consume`, `fetch`, `brpop`,
  `xread`, ...), and does not read the keyboard. In a one-off script (`scripts/`, the
  top-level `tools/` folder) a module-level loop that ends by itself (a `break` of its own,
  or its flag cleared inside it: paging through an API) is a batch run, not a service. `asyncio.run(main())` also counts when
  `main` (or a function of its file that it calls) awaits something that runs until
  stopped: a discord.py client's `start()`/`connect()` (a `discord.Client`/`commands.Bot`
  or a project class derived from one; discord.py installs no SIGTERM handler for
  these), or the run-forever idiom `await asyncio.Future()` / `await
  asyncio.Event().wait()`; wherever `asyncio.run` is called from (a click command, a
  `main()` function). A Django management command
  (`class Command(BaseCommand)`, also through a project base command derived from it) whose
  `handle()`, or a method of the command or a project function (of its file or imported) that
  `handle()` calls, runs a service loop is such an entry point too: `manage.py` installs no SIGTERM handler. A loop over a flag of its own that it sets anew
  (`while rows: ...; rows = next_batch()`, `while next_page:` paging an API), or a `while True` that leaves once a
  page it fetched comes back empty (`hits = api.get(**params)["hits"]; if not hits: break`), is a batch run that
  ends, not a service loop, in a management command (a `break` under a test of the clock, `if time.monotonic() -
  start >= max_seconds: break`, only recycles a worker after a maximum run time). So is a click/typer command
  (`@group.command("process")`) whose body, or a top-level function of its file that it
  calls, runs an endless `while True` loop (one that never breaks or returns by itself and
  does not read the keyboard): a worker started from the command line; a SIGTERM handler
  installed by another command of the same file does not cover it. Both also count when
  they call a plugin's method on an object of no known class (`plugin.instance.consume()`),
  where a project base class declares that method abstract (`raise NotImplementedError`)
  and every class implementing it polls in an endless loop (an SQS, Kafka or Redis
  consumer). So is a method of a project class
  (or of its project base classes) that runs a service loop, called on an object the
  `__main__` block (or module-level code, also inside `with`) makes: `bt = BackgroundTasks();
  with app.app_context(): bt.start()`; one finding per such loop, however many runner files
  start it. Nothing catches SIGTERM for these, and
  `atexit` handlers do not run when a signal kills the process, so only a SIGTERM
  handler counts: `signal.signal(signal.SIGTERM, ...)` or
  `loop.add_signal_handler(signal.SIGTERM, ...)`.
- **Worker threads**: `threading.Thread(target=...)` whose target (a method of the class that starts
  it, a project function), or a `threading.Thread` subclass whose `run()`, pulls jobs in a service loop (`while True: item = work_queue.get()`; also
  `recv`, `brpop`, `consume`, ...), in a file of the service (not a one-off script). Under a web
  server the process exits normally after SIGTERM, so any shutdown hook counts here (a SIGTERM
  handler, `atexit`, a framework's shutdown hook, a gunicorn exit hook; also a SIGTERM handler installed by
  a program file that imports the thread's file, even through other files); with none, queued jobs
  are lost and the running one is cut. A thread that only samples or sleeps is not reported.

A hook counts when it is in the entry point's file, in a project file that file imports
(transitively), or in a file that imports it directly. Whether the hook really closes
every pool is not verified. Test files are not audited, nor the top-level `dev/` folder (stand-ins
a developer's docker-compose runs, such as a fake metrics sink) and the top-level `bin/` folder (a
developer's and operator's command-line utilities beside the package, such as a terminal viewer of the
SQL log the app sends over a socket), nor a standard-library server (`http.server.HTTPServer`,
`socketserver.TCPServer`, `wsgiref`'s `make_server`; their documentation says they are not for production)
listening on a loopback address (`HTTPServer(("localhost", port), Handler)`): a developer's debugging
listener. A function or management command whose only service loop is a `serve_forever()` of its file is
reported once, at that call, not again where it is started. A loop that waits for a dependency
(`while not conn: try: conn = connect() except ...: sleep(1)`, also with the `break` in a `with` of the `try`), that
gives up at a deadline (`if time.monotonic() >= deadline: raise TimeoutError`, or `sys.exit(msg)`), or that only polls a condition
(`while True: if await db_ready(): break; await asyncio.sleep(1)`) is a start-up wait, not a service loop; a loop
that reads a file, stream or cursor until it is exhausted (`while True: chunk = f.read(65536); if not chunk: break`)
ends with its data. A `loop.run_forever()` in a function the project runs as a `threading.Thread` target runs in that
thread, where no signal handler can be installed (the thread is judged as a worker thread), and a `__main__` block
calling such a function is a manual run of what the service starts in a thread: neither is reported. Nor is
`asyncio.run(run_channels(stop_event))` in a function that is given that event, where the loop runs
`while not stop_event.is_set()`: the caller (a thread the program starts) stops it. A worker thread whose loop ends
on `None` (`if item is None: break`) is stopped when a project function that the project calls (its `shutdown()`)
puts `None` on that queue. Nor is a worker thread, or a `self.loop.run_forever()`, whose object has a stop
method the project calls (`stop()`, `close()`, `shutdown()`, ...) that sets a flag the loop reads
(`self._stop_event.set()`, `self.running = False`) or stops that event loop (`self.loop.stop()`, also handed to
`call_soon_threadsafe`): whoever owns the object stops it at shutdown. A SIGTERM handler may be installed for several signals at once
(`for sig in (SIGINT, SIGTERM): signal.signal(sig, stop)`). Task runners that handle
signals themselves (Celery, RQ, Dramatiq, arq) start outside the audited code and are
not judged.

## Why is this bad?
Orchestrators (Kubernetes, systemd, ECS, Heroku) stop a process with SIGTERM and kill
it a few seconds later. A worker without a handler dies mid-job: the message is
processed twice or lost, and open transactions are cut. An app that never closes its
pool leaves PostgreSQL backends waiting for a client that is gone, and every deploy
drops requests (Backend Posture R4: graceful shutdown handlers drain pools and active
requests).

## Example
```python
async def main():
    pool = await asyncpg.create_pool(DSN)
    while True:
        job = await redis.blpop("jobs")
        await handle(pool, job)

asyncio.run(main())
```

## Use instead
```python
async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with asyncpg.create_pool(DSN) as pool:
        while not stop.is_set():
            job = await redis.blpop("jobs", timeout=1)
            if job:
                await handle(pool, job)

asyncio.run(main())
```

## References
- uvicorn shutdown sequence: https://www.uvicorn.org/server-behavior/#graceful-process-shutdown
- FastAPI lifespan events: https://fastapi.tiangolo.com/advanced/events/
- Kubernetes pod termination: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs.web import shutdown_hooks
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_name,
    dotted,
    enclosing_function,
    is_none,
    is_self_attribute,
    keyword,
    method_name,
    qualified,
    walk_function_body,
)
from audit_lib.registry import rule
from audit_lib.rules.r4_lifecycle._common import (
    CLOSE_METHODS,
    DB_CONNECT,
    DB_POOLS,
    ENGINES,
    REDIS_CLIENTS,
    RESOURCE_TAILS,
    is_abstract,
    is_one_shot_path,
    library_call_name,
    methods_by_name,
    resolve_function,
    top_level_function,
)
from audit_lib.source import Project, SourceModule, is_test_path

WEB_APPS = {
    "fastapi.FastAPI": "FastAPI", "starlette.applications.Starlette": "Starlette", "flask.Flask": "Flask",
    "quart.Quart": "Quart", "sanic.Sanic": "Sanic", "aiohttp.web.Application": "aiohttp",
}
LONG_LIVED = DB_POOLS | DB_CONNECT | {
    "sqlalchemy.ext.asyncio.create_async_engine", "aiohttp.ClientSession", "httpx.AsyncClient",
}
# What a start-up hook may open for the process lifetime: pools, engines, Redis and HTTP clients.
START_UP_RESOURCES = LONG_LIVED | ENGINES | REDIS_CLIENTS | {"httpx.Client", "requests.Session"}
WAITING_METHODS = {"sleep", "get", "recv", "recvfrom", "accept", "poll", "consume", "receive", "fetch", "fetchone",
                   "brpop", "blpop", "brpoplpush", "xread", "xreadgroup", "get_message", "listen", "wait", "select",
                   "handle_request", "basic_get", "getmany", "receive_messages", "read", "readline"}
KEYBOARD = {"input", "raw_input"}
# ``while keep_running():``, ``while self.should_run():``: a call named for the process's lifetime, not for work left
LIFETIME_CALL = re.compile(r"(?i)^_*(run|running|keep_running|keep_going|should_run|should_continue|alive|is_alive|forever)"
                           r"(_fn|_func)?$")
# Reads that return an empty value once the file, stream or cursor is exhausted.
EXHAUSTIBLE_READS = {"read", "read1", "readline", "recv", "fetchone", "fetchmany"}
# What a readiness wait does besides testing its condition: sleep, print or log.
WAITS_OR_REPORTS = {"sleep", "print", "debug", "info", "warning", "warn", "error", "exception", "log"}
CLOCKS = {"time", "monotonic", "perf_counter", "time_ns", "monotonic_ns", "now", "utcnow"}
# Calls that take the next job from a broker or an in-memory queue (with ``queue.get()``, see _pulls_a_job).
JOB_PULLS = {"recv", "brpop", "blpop", "brpoplpush", "xread", "xreadgroup", "consume", "basic_get", "getmany",
             "receive_messages", "get_message"}
WEB_APP_TAILS = {name.rsplit(".", 1)[-1] for name in WEB_APPS}
REQUEST_SCOPED = {"flask.g", "quart.g", "request", "flask.request", "starlette.requests.Request"}
GUNICORN_EXIT_HOOKS = {"worker_exit", "on_exit", "worker_int"}
# discord.py (and its forks') clients: ``start()`` runs until ``close()``; discord.py installs no SIGTERM handler.
DISCORD_CLIENTS = {"discord.Client", "discord.AutoShardedClient", "discord.Bot", "discord.AutoShardedBot",
                   "discord.ext.commands.Bot", "discord.ext.commands.AutoShardedBot"}
# Program classes whose run() installs a SIGTERM handler that runs the program's stop sequence.
SIGNAL_HANDLING_PROGRAMS = {"mautrix.util.program.Program", "mautrix.bridge.Bridge", "mautrix.bridge.bridge.Bridge"}
TASK_STARTERS = {"create_task", "ensure_future", "start_soon"}
CLASS_DEPTH = 3  # project classes derived from a client class, followed this many bases up
COMMAND_BASES = {"django.core.management.base.BaseCommand", "django.core.management.BaseCommand"}
# Standard-library servers, documented as not meant for production; on a loopback address, a debugging listener.
STDLIB_SERVERS = {"http.server.HTTPServer", "http.server.ThreadingHTTPServer", "socketserver.TCPServer",
                  "socketserver.ThreadingTCPServer", "wsgiref.simple_server.make_server"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# the top-level dev/ folder: stand-ins a developer's docker-compose runs (a fake metrics sink), not the service;
# the top-level bin/ folder: command-line utilities beside the package
DEVELOPMENT_TOOLING = re.compile(r"^(dev|devtools|bin)/")
STOP_METHOD = re.compile(r"stop|close|shutdown|terminate|dispose|__exit__|__aexit__")  # an object's own stop path


@rule("R4.no-graceful-shutdown", on="project", scope="code", severity="medium")
def check(project: Project) -> Iterator[Finding]:
    _CLI_WORKERS.clear()
    _STARTED_LOOPS.clear()
    modules = [m for m in project.modules if not is_test_path(m.path) and not DEVELOPMENT_TOOLING.match(m.path)]
    _THREAD_TARGETS.clear()
    _THREAD_TARGETS.update(_thread_targets(project, modules))
    entries = [(m, list(_web_apps(m)), list(_self_managed_loops(project, m)), list(_job_threads(project, m)))
               for m in modules]
    entries = [entry for entry in entries if any(entry[1:])]
    if not entries:
        return
    graph = _import_graph(project, modules)
    by_path = {m.path: m for m in modules}
    hooks_of: dict[str, list] = {}
    resources_of: dict[str, list[ast.Call]] = {}
    server_hooks = _gunicorn_exit_hooks(modules)
    run_by_programs = _run_by_framework_programs(project, modules, graph)
    run_by_signal_handling_programs = _imported_from(
        [m.path for m in modules if "SIGTERM" in m.text and any(h.kind == "signal" for h in shutdown_hooks(m))], graph)
    for module, apps, loops, threads in entries:
        related = _related(module, graph, by_path)
        for m in related:
            if m.path not in hooks_of:
                hooks_of[m.path] = shutdown_hooks(m)
        hooks, start_up_lifespans = [], []
        for m in related:
            for h in hooks_of[m.path]:
                (start_up_lifespans if h.kind == "lifespan" and _lifespan_without_shutdown(m, h.node) else hooks).append(h)
        if apps and not hooks and not server_hooks and module.path not in run_by_programs \
                and module.path not in run_by_signal_handling_programs:
            # a lifespan= given is the app's shutdown hook even with nothing after its yield yet: only what it opens
            # itself (below) is judged, not the clients other files keep
            resources = []
            if not start_up_lifespans:
                for m in related:
                    if m.path not in resources_of:
                        resources_of[m.path] = list(_long_lived_resources(m))
                resources = [(m, call) for m in related for call in resources_of[m.path]]
            opened = [] if resources else [found for m in related for found in _opened_at_start_up(m)]
            for app_call, framework in apps if opened and not resources else ():
                if framework in ("FastAPI", "Starlette"):
                    owner, hook, what = opened[0]
                    more = f" (and {len(opened) - 1} more start-up hooks)" if len(opened) > 1 else ""
                    yield _finding(
                        module, app_call, Confidence.medium,
                        f"{framework} app has start-up hooks but no shutdown hook: {hook.name}() "
                        f"({owner.path}:{hook.lineno}) {what}{more}; nothing closes it when the server stops",
                        _app_fix(framework))
            for app_call, framework in apps if resources else ():
                owner, call = resources[0]
                yield _finding(
                    module, app_call, Confidence.medium,
                    f"{framework} app has no shutdown hook, yet {call_name(owner, call)}() "
                    f"({owner.path}:{call.lineno}) stays open for the process lifetime: its connections are "
                    "never closed when the server stops",
                    _app_fix(framework))
        stopped = hooks or server_hooks or module.path in run_by_signal_handling_programs
        for thread, target in threads if not stopped else ():
            yield _finding(
                module, thread, Confidence.medium,
                f"worker thread running {target} pulls jobs in an endless loop, and nothing stops it at shutdown "
                "(no SIGTERM handler, atexit or shutdown hook): the process dies mid-job and the jobs still "
                "waiting in memory are lost",
                "stop it from a shutdown hook: on SIGTERM (or atexit, under gunicorn) put a sentinel or set a stop "
                "event, then join the thread")
        signals = [h for h in hooks if h.kind == "signal"]
        own_hooks = {id(h.node) for h in hooks_of[module.path]}
        if signals and not any(isinstance(entry, FUNCTION_TYPES) and entry in _CLI_WORKERS for entry, _ in loops):
            continue
        for entry, description in loops:
            if signals and not (entry in _CLI_WORKERS
                                and not any(_handles_for(module, h.node, entry, own_hooks) for h in signals)):
                continue
            yield _finding(
                module, entry, Confidence.medium,
                f"{description} has no SIGTERM handler: the default action kills the process mid-work, "
                "without draining jobs or closing connections",
                "install a handler that stops the loop and closes pools: "
                "`loop.add_signal_handler(signal.SIGTERM, stop.set)` (asyncio) or "
                "`signal.signal(signal.SIGTERM, handler)`")


def _finding(module: SourceModule, node: ast.AST, confidence: Confidence, message: str, fix: str) -> Finding:
    return Finding(message=message, path=module.path, line=node.lineno,
                   end_line=getattr(node, "end_lineno", node.lineno), evidence=module.evidence(node),
                   fix=fix, confidence=confidence)


def _app_fix(framework: str) -> str:
    if framework in ("FastAPI", "Starlette"):
        return "pass lifespan= an async context manager that opens the pools before `yield` and closes them after"
    if framework == "aiohttp":
        return "append a coroutine that closes the pools to app.on_cleanup (or use app.cleanup_ctx)"
    if framework in ("Quart", "Sanic"):
        return "close the pools in an @app.after_serving / @app.after_server_stop hook"
    return "register the pools' close with atexit.register(pool.close) (gunicorn runs it on SIGTERM)"


def _gunicorn_exit_hooks(modules: list[SourceModule]) -> list[ast.AST]:
    """``def worker_exit(server, worker)`` / ``def on_exit(server)`` in a gunicorn config file: gunicorn
    loads that file itself (nothing imports it) and runs the hook when a worker or the server stops."""
    return [stmt for m in modules if "gunicorn" in m.path.rsplit("/", 1)[-1]
            for stmt in m.tree.body if isinstance(stmt, FUNCTION_TYPES) and stmt.name in GUNICORN_EXIT_HOOKS]


def _run_by_framework_programs(project: Project, modules: list[SourceModule], graph: dict[str, set[str]]) -> set[str]:
    """Paths of the files that a file defining ``class MessengerBridge(mautrix.bridge.Bridge)`` imports (also
    transitively), and its own: the service runs as a framework's program, which turns SIGTERM into its stop
    sequence (``prepare_stop``, shutdown actions) and stops the web server it runs, with the sub-applications
    the project mounts on it."""
    return _imported_from([m.path for m in modules if any(_is_framework_program(project, m, base, CLASS_DEPTH)
                                                          for cls in m.nodes_of(ast.ClassDef) for base in cls.bases)],
                          graph)


def _is_framework_program(project: Project, module: SourceModule, node: ast.expr, depth: int) -> bool:
    if (qualified(module, node) or "") in SIGNAL_HANDLING_PROGRAMS:
        return True
    found = _project_class(project, module, node) if depth else None
    return found is not None and any(_is_framework_program(project, found[0], b, depth - 1) for b in found[1].bases)


# --- which files belong together ----------------------------------------------------------


def _import_graph(project: Project, modules: list[SourceModule]) -> dict[str, set[str]]:
    """Path of each file -> paths of the project files it imports."""
    graph: dict[str, set[str]] = {}
    for module in modules:
        targets: set[str] = set()
        for imported in module.imports.values():
            parts = imported.split(".")
            for end in range(len(parts), 0, -1):
                target = project.by_dotted_name.get(".".join(parts[:end]))
                if target is not None:
                    if target is not module and not is_test_path(target.path):
                        targets.add(target.path)
                    break
        graph[module.path] = targets
    return graph


def _imported_from(paths: list[str], graph: dict[str, set[str]]) -> set[str]:
    """The files at ``paths`` and what they import, transitively."""
    seen = set(paths)
    stack = list(paths)
    while stack:
        for target in graph.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _related(module: SourceModule, graph: dict[str, set[str]], by_path: dict[str, SourceModule]) -> list[SourceModule]:
    """The file, what it imports (transitively), and the files that import it."""
    seen = _imported_from([module.path], graph)
    seen.update(path for path, targets in graph.items() if module.path in targets)
    return [by_path[path] for path in sorted(seen)]


# --- web applications and what they keep open ---------------------------------------------


def _web_apps(module: SourceModule) -> Iterator[tuple[ast.Call, str]]:
    for node in module.nodes_of(ast.Call):
        if method_name(node) in WEB_APP_TAILS:
            framework = WEB_APPS.get(call_name(module, node) or "")
            if framework:
                yield node, framework


def _long_lived_resources(module: SourceModule) -> Iterator[ast.Call]:
    """Pools, connections and clients created at module level or stored beyond their function."""
    for node in module.nodes_of(ast.Call):
        if method_name(node) not in RESOURCE_TAILS or library_call_name(module, node) not in LONG_LIVED:
            continue
        fn = enclosing_function(module, node)
        parent = module.parents.get(node)
        if isinstance(parent, ast.Await):
            parent = module.parents.get(parent)
        if fn is None:
            if not isinstance(parent, ast.withitem):
                yield node
        elif isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            declared_global = {n for s in walk_function_body(fn) if isinstance(s, ast.Global) for n in s.names}
            if any(isinstance(t, (ast.Attribute, ast.Subscript)) and not _request_scoped(module, t) or
                   (isinstance(t, ast.Name) and t.id in declared_global) for t in targets):
                yield node


def _request_scoped(module: SourceModule, target: ast.expr) -> bool:
    """``g.db = ...`` (Flask's per-request ``g``), ``request.state.db = ...``: gone after the request."""
    base = target.value
    while isinstance(base, (ast.Attribute, ast.Subscript)):
        base = base.value
    name = qualified(module, base) or ""
    return name in REQUEST_SCOPED


def _lifespan_without_shutdown(module: SourceModule, app_call: ast.Call) -> bool:
    """``FastAPI(lifespan=lifespan)`` where ``lifespan`` (a function of the file) runs nothing once it has
    yielded: its last statement is a bare ``yield``, outside any ``with`` or ``try`` whose exit would run at
    shutdown. A start-up hook only."""
    lifespan = keyword(app_call, "lifespan")
    fn = top_level_function(module, lifespan.id) if isinstance(lifespan, ast.Name) else None
    if fn is None or not fn.body:
        return False
    last = fn.body[-1]
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Yield) and \
        sum(isinstance(n, ast.Yield) for n in walk_function_body(fn)) == 1


def _opened_at_start_up(module: SourceModule) -> Iterator[tuple[SourceModule, ast.AST, str]]:
    """(file, hook, what it does) for what a FastAPI/Starlette start-up hook (``@app.on_event("startup")``,
    ``add_event_handler("startup", fn)``, ``on_startup=[fn]``, a lifespan with nothing after its ``yield``) opens and
    leaves open: a pool, engine, Redis or HTTP client (not in a ``with``, in a hook that closes nothing), or a
    background task (``asyncio.create_task``, ``@repeat_every``)."""
    for hook in _start_up_hooks(module):
        if any(isinstance(d, ast.Call) and (dotted(d.func) or "").rsplit(".", 1)[-1] == "repeat_every"
               for d in hook.decorator_list):
            yield module, hook, "runs as a background task repeated by @repeat_every"
            continue
        calls = [n for n in walk_function_body(hook) if isinstance(n, ast.Call)]
        if any(method_name(c) in CLOSE_METHODS for c in calls):
            continue
        for call in calls:
            if method_name(call) in TASK_STARTERS and call.args:
                yield module, hook, f"starts a background task (line {call.lineno})"
                break
            name = library_call_name(module, call) if method_name(call) in RESOURCE_TAILS else None
            if name in START_UP_RESOURCES and not isinstance(module.parents.get(call), ast.withitem):
                yield module, hook, f"opens {name}() (line {call.lineno})"
                break


def _start_up_hooks(module: SourceModule) -> list[ast.AST]:
    if not module.imports_module("fastapi") and not module.imports_module("starlette"):
        return []
    hooks = [fn for fn in module.nodes_of(*FUNCTION_TYPES) if any(
        isinstance(d, ast.Call) and method_name(d) == "on_event" and d.args
        and isinstance(d.args[0], ast.Constant) and d.args[0].value == "startup" for d in fn.decorator_list)]
    names = []
    for call in module.nodes_of(ast.Call):
        if method_name(call) == "add_event_handler" and len(call.args) == 2 and \
                isinstance(call.args[0], ast.Constant) and call.args[0].value == "startup":
            names.append(call.args[1])
        on_startup = keyword(call, "on_startup")
        if isinstance(on_startup, (ast.List, ast.Tuple)):
            names.extend(on_startup.elts)
        if method_name(call) in WEB_APP_TAILS and _lifespan_without_shutdown(module, call):
            names.append(keyword(call, "lifespan"))
    hooks.extend(fn for name in names if isinstance(name, ast.Name)
                 and (fn := top_level_function(module, name.id)) is not None)
    return hooks


# --- loops that nothing stops -----------------------------------------------------------------


def _self_managed_loops(project: Project, module: SourceModule) -> Iterator[tuple[ast.AST, str]]:
    for node in module.nodes_of(ast.Call):
        method = method_name(node)
        if method == "serve_forever" and not isinstance(module.parents.get(node), ast.Await) \
                and not _loopback_debug_server(module, node):
            yield node, f"{dotted(node.func) or 'server.serve_forever'}() server"
        elif method == "run_forever" and isinstance(node.func, ast.Attribute) and not _coroutine_call(module, node) \
                and not _loop_stopped_by_its_object(project, module, node) \
                and id(enclosing_function(module, node)) not in _THREAD_TARGETS:
            yield node, "event loop run_forever()"
        elif method == "run" and node.args and isinstance(node.args[0], ast.Call) \
                and call_name(module, node) == "asyncio.run" and not _stopped_by_caller(project, module, node):
            looping = _service_loop_in(project, module, node.args[0].func)
            if looping is not None:
                yield node, f"asyncio.run() of the service loop in {looping}()"
            elif (forever := _runs_forever_in(project, module, node.args[0].func)) is not None:
                yield node, f"asyncio.run() of {forever}"
    for cls in module.nodes_of(ast.ClassDef):
        if _is_command(project, module, cls):
            handle = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "handle"), None)
            looping = _command_loop(project, module, cls, handle) if handle is not None else None
            if looping is not None and not _serves_forever_only(module, handle):
                yield handle, f"Django management command {cls.name}, whose {looping} runs a service loop,"
    for fn, plugin_loop in _cli_workers(project, module):
        _CLI_WORKERS.add(fn)
        runs = f"plugin method {plugin_loop} runs an endless loop" if plugin_loop else \
            "endless loop runs until the process is stopped"
        yield fn, f"command-line worker {fn.name}(), whose {runs},"
    yield from _main_object_loops(project, module)
    one_shot = is_one_shot_path(module.path)
    for stmt in _main_statements(module):
        if isinstance(stmt, ast.While) and _is_service_loop(module, stmt):
            if not (one_shot and _ends_itself(stmt)):
                yield stmt, "module-level service loop"
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            looping = _service_loop_in(project, module, stmt.value.func)
            started = top_level_function(module, looping) if looping is not None else None
            run = resolve_function(project, module, stmt.value.func) if looping is not None else None
            if looping is not None and call_name(module, stmt.value) != "asyncio.run" \
                    and not (started is not None and _serves_forever_only(module, started)) \
                    and not (run is not None and id(run[1]) in _THREAD_TARGETS):
                yield stmt, f"the service loop in {looping}(), started from module level,"


def _thread_targets(project: Project, modules: list[SourceModule]) -> set[int]:
    """The project functions the project itself runs in a thread (``threading.Thread(target=simulate)``): a
    ``loop.run_forever()`` there runs in that thread, where no signal handler can be installed (it is judged as a
    worker thread), and a ``__main__`` block calling such a function is a manual run of what the service starts."""
    targets: set[int] = set()
    for module in modules:
        if "Thread" not in module.text:
            continue
        for call in module.nodes_of(ast.Call):
            target = keyword(call, "target")
            if target is not None and isinstance(target, (ast.Name, ast.Attribute)) \
                    and call_name(module, call) == "threading.Thread" \
                    and (found := resolve_function(project, module, target)) is not None:
                targets.add(id(found[1]))
    return targets


def _stopped_by_caller(project: Project, module: SourceModule, run: ast.Call) -> bool:
    """``def start_channels(stop_event): asyncio.run(run_channels(stop_event))`` where ``run_channels`` loops
    ``while not stop_event.is_set()``: the event comes from the caller (a thread started by the program, whose own
    shutdown sets it), so stopping the loop is the caller's business, judged where the program runs."""
    fn = enclosing_function(module, run)
    coroutine = run.args[0]
    resolved = resolve_function(project, module, coroutine.func)
    if fn is None or resolved is None:
        return False
    caller_parameters = _parameters(fn)
    passed = [a for a in [*coroutine.args, *(k.value for k in coroutine.keywords)]
              if isinstance(a, ast.Name) and a.id in caller_parameters]
    owner, coroutine_fn = resolved
    flags = _parameters(coroutine_fn)
    return bool(passed) and any(
        isinstance(loop, ast.While) and _is_service_loop(owner, loop)
        and any(isinstance(n, ast.Name) and n.id in flags for n in ast.walk(loop.test))
        for loop in walk_function_body(coroutine_fn))


def _parameters(fn: ast.AST) -> set[str]:
    return {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]} - {"self", "cls"}


def _job_threads(project: Project, module: SourceModule) -> Iterator[tuple[ast.AST, str]]:
    """``threading.Thread(target=self.worker, daemon=True)`` where the target (a method of the class, a project
    function) pulls jobs in a service loop: ``while True: item = queue.get()`` (also ``recv``, ``brpop``,
    ``consume``, ...); or a subclass of ``threading.Thread`` whose ``run()`` does. A thread that only samples or
    sleeps has nothing to lose when it is killed."""
    if is_one_shot_path(module.path):
        return
    for cls in module.nodes_of(ast.ClassDef):
        run = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "run"), None)
        if run is not None and any(qualified(module, b) == "threading.Thread" for b in cls.bases) \
                and _pulls_jobs(module, run):
            yield cls, f"{cls.name}.run()"
    for call in module.nodes_of(ast.Call):
        target = keyword(call, "target")
        if target is None or call_name(module, call) != "threading.Thread":
            continue
        cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            found = _method_of(project, module, cls, target.attr, CLASS_DEPTH) if cls is not None else None
        else:
            found = resolve_function(project, module, target)
        if found is not None and _pulls_jobs(*found) and not _stopped_by_sentinel(project, *found) \
                and not (cls is not None and _stopped_by_its_object(project, cls, found[1], _self_reads(found[1]))):
            yield call, f"{found[1].name}()"


def _pulls_jobs(module: SourceModule, fn: ast.AST) -> bool:
    return any(isinstance(loop, ast.While) and _is_service_loop(module, loop)
               and any(_pulls_a_job(n) for n in walk_function_body(loop)) for loop in walk_function_body(fn))


def _stopped_by_sentinel(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """``while True: params = queue.get(); if params is None: break`` where a project function that the project
    calls (its ``shutdown()``) puts that ``None`` on the same queue (``NOTIFY_QUEUE.put(None)``): the thread has a
    stop path, wired by the program."""
    queues = {name for loop in walk_function_body(fn) if isinstance(loop, ast.While)
              for name in _sentinel_queues(fn, loop)}
    if not queues:
        return False
    for other in project.modules:
        if is_test_path(other.path):
            continue
        for call in other.nodes_of(ast.Call):
            if method_name(call) in ("put", "put_nowait") and len(call.args) == 1 and is_none(call.args[0]) \
                    and isinstance(call.func, ast.Attribute) \
                    and (dotted(call.func.value) or "").rsplit(".", 1)[-1] in queues:
                putter = enclosing_function(other, call)
                if putter is not None and putter is not fn and _is_called(project, putter):
                    return True
    return False


def _loop_stopped_by_its_object(project: Project, module: SourceModule, run: ast.Call) -> bool:
    """``self.loop.run_forever()`` in a class whose ``close()`` stops that loop (``self.loop.stop()``, also handed
    to ``self.loop.call_soon_threadsafe``): the object's owner stops it at shutdown."""
    cls = next((a for a in ancestors(module, run) if isinstance(a, ast.ClassDef)), None)
    fn = enclosing_function(module, run)
    loop = run.func.value
    return cls is not None and fn is not None and is_self_attribute(loop) \
        and _stopped_by_its_object(project, cls, fn, {loop.attr})


def _self_reads(fn: ast.AST) -> set[str]:
    """Attributes of ``self`` that ``fn`` reads: the flags its loop may test (``if self._stop_event.is_set()``)."""
    return {n.attr for n in walk_function_body(fn) if is_self_attribute(n) and isinstance(n.ctx, ast.Load)}


def _stopped_by_its_object(project: Project, cls: ast.ClassDef, loop_fn: ast.AST, flags: set[str]) -> bool:
    """A stop method of the class (``stop()``, ``close()``, ``shutdown()``), which the project calls, sets a flag
    the loop reads (``self._stop_event.set()``, ``self.running = False``) or stops the event loop it runs
    (``self.loop.stop()``): the thread has a stop path, wired by whoever owns the object."""
    for method in cls.body:
        if not isinstance(method, FUNCTION_TYPES) or method is loop_fn or not STOP_METHOD.search(method.name):
            continue
        stops = any(
            isinstance(n, ast.Attribute) and n.attr in ("set", "stop") and is_self_attribute(n.value)
            and n.value.attr in flags
            or isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, bool)
            and any(is_self_attribute(t) and t.attr in flags for t in n.targets)
            for n in ast.walk(method))
        if stops and _is_called(project, method):
            return True
    return False


def _sentinel_queues(fn: ast.AST, loop: ast.While) -> set[str]:
    """Names of the queues the loop takes ``item = queue.get()`` from and leaves on ``if item is None: break``
    (a local alias, ``queue = app.NOTIFY_QUEUE``, stands for what it names)."""
    aliases = {t.id: dotted(n.value) for n in walk_function_body(fn) if isinstance(n, ast.Assign)
               for t in n.targets if isinstance(t, ast.Name) and isinstance(n.value, (ast.Name, ast.Attribute))}
    leaves_on_none = {n.test.left.id for n in _own_nodes(loop) if isinstance(n, ast.If)
                      and isinstance(n.test, ast.Compare) and isinstance(n.test.left, ast.Name)
                      and any(is_none(c) for c in n.test.comparators)
                      and isinstance(n.body[-1], (ast.Break, ast.Return))}
    queues = set()
    for node in _own_nodes(loop):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _pulls_a_job(node.value) \
                and any(isinstance(t, ast.Name) and t.id in leaves_on_none for t in node.targets):
            receiver = dotted(node.value.func.value) or ""
            queues.add((aliases.get(receiver) or receiver).rsplit(".", 1)[-1])
    return queues - {""}


def _is_called(project: Project, fn: ast.AST) -> bool:
    """Whether the project calls ``fn`` (by name) or hands it on (``signal.signal(signal.SIGTERM, shutdown)``)."""
    for module in project.modules:
        for call in module.nodes_of(ast.Call):
            if method_name(call) == fn.name and enclosing_function(module, call) is not fn:
                return True
            if any((dotted(a) or "").rsplit(".", 1)[-1] == fn.name for a in call.args):
                return True
    return False


def _pulls_a_job(node: ast.AST) -> bool:
    """``queue.get()`` / ``queue.get(timeout=1)`` (not ``mapping.get(key)``), ``redis.brpop(...)``,
    ``consumer.consume()``: a call that takes the next job."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    return node.func.attr in JOB_PULLS or node.func.attr == "get" and not node.args


def _coroutine_call(module: SourceModule, call: ast.Call) -> bool:
    """``asyncio.create_task(worker.run_forever())``: a coroutine run as a task of a loop that is already
    running, which its owner cancels (a lifespan's ``finally``), not ``loop.run_forever()`` that runs the
    process."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.Call) and call in parent.args and method_name(parent) in TASK_STARTERS


_THREAD_TARGETS: set[int] = set()  # functions the project runs as a threading.Thread target (_thread_targets)
_CLI_WORKERS: set[ast.AST] = set()  # click/typer command functions found running an endless loop
_STARTED_LOOPS: set[int] = set()  # methods whose service loop a __main__ block starts, already reported
CLI_LIBRARIES = ("click", "typer")


def _cli_workers(project: Project, module: SourceModule) -> Iterator[tuple[ast.AST, str | None]]:
    """A click/typer command (``@group.command("process")``) whose body, or a top-level function of its file
    that it calls, runs an endless loop (``while True`` that never breaks out by itself and does not read the
    keyboard): a worker started from the command line. Nothing catches SIGTERM for it. Also one that calls a
    plugin's method (``plugin.instance.consume(...)``, see ``_plugin_loop``) that runs such a loop: yielded with
    that method's name."""
    if not any(module.imports_module(lib) for lib in CLI_LIBRARIES):
        return
    for fn in module.nodes_of(ast.FunctionDef):
        if not any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] == "command"
                   for d in fn.decorator_list):
            continue
        callees = [fn] + [callee for node in walk_function_body(fn) if isinstance(node, ast.Call)
                          and isinstance(node.func, ast.Name)
                          and (callee := top_level_function(module, node.func.id)) is not None and callee is not fn]
        if any(_endless_loop(module, callee) for callee in callees):
            yield fn, None
            continue
        plugin_loop = next((found for node in walk_function_body(fn) if isinstance(node, ast.Call)
                            and (found := _plugin_loop(project, module, node)) is not None), None)
        if plugin_loop is not None:
            yield fn, plugin_loop


def _plugin_loop(project: Project, module: SourceModule, call: ast.Call) -> str | None:
    """``plugin.instance.consume(db_session=session)``: a method called on an object of no known class (not
    ``self``, not an imported name), where the project declares it abstract in a base class (a plugin
    interface: ``raise NotImplementedError``) and every other class defining it runs an endless loop in it
    (an SQS/Kafka/Redis consumer polling forever). ``Class.method() (path:line)`` of the first such loop."""
    func = call.func
    if not isinstance(func, ast.Attribute) or isinstance(func.value, ast.Name) and (
            func.value.id in ("self", "cls") or func.value.id in module.imports):
        return None
    definitions = methods_by_name(project).get(func.attr, ())
    loops = [(owner, cls, method) for owner, cls, method in definitions if _endless_loop(owner, method)]
    abstract = [method for _, _, method in definitions if is_abstract(method)]
    if not loops or not abstract or len(loops) + len(abstract) != len(definitions):
        return None
    owner, cls, method = loops[0]
    return f"{cls.name}.{method.name}() ({owner.path}:{method.lineno})"


def _endless_loop(module: SourceModule, fn: ast.AST) -> bool:
    for loop in walk_function_body(fn):
        if isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and loop.test.value is True \
                and not _ends_itself(loop) and not _waits_for_readiness(loop) \
                and not any(isinstance(n, ast.Return) for n in _own_nodes(loop)) \
                and not any(isinstance(n, ast.Call) and method_name(n) in KEYBOARD for n in ast.walk(loop)):
            return True
    return False


def _handles_for(module: SourceModule, hook: ast.AST, worker: ast.AST, own_hooks: set[int]) -> bool:
    """Whether a SIGTERM handler installed at ``hook`` covers the command ``worker``: installed in another
    file, at module level, or by the command itself (or a function nested in it), not by another command of
    its file."""
    if id(hook) not in own_hooks:
        return True
    owner = enclosing_function(module, hook)
    while owner is not None and owner is not worker:
        owner = enclosing_function(module, owner)
    return owner is worker or enclosing_function(module, hook) is None


def _pages_until_done(loop: ast.While) -> bool:
    """``while vouchers: ...; vouchers = next_batch()``: a loop over a flag of its own that it sets anew, not an
    endless ``while True`` that breaks out on some condition, unless it breaks out once a page it fetched comes back
    empty."""
    return not isinstance(loop.test, ast.Constant) and _ends_itself(loop) or _breaks_on_an_empty_page(loop)


def _breaks_on_an_empty_page(loop: ast.While) -> bool:
    """``while True: resp = api.get(**params); hits = resp["hits"]; ...; if not hits or seen >= total: break``: the
    loop ends once the work it fetches runs out (a service loop waits for more instead)."""
    fetched: set[str] = set()
    for stmt in sorted(_own_statements(loop.body), key=lambda statement: statement.lineno):
        value = stmt.value.value if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Await) else \
            getattr(stmt, "value", None)
        if isinstance(stmt, ast.Assign) and (isinstance(value, ast.Call) or isinstance(value, (
                ast.Subscript, ast.Attribute)) and isinstance(value.value, ast.Name) and value.value.id in fetched):
            fetched.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return any(isinstance(stmt, ast.If) and isinstance(stmt.body[-1], (ast.Break, ast.Return)) and any(
        isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name)
        and test.operand.id in fetched
        for test in (stmt.test.values if isinstance(stmt.test, ast.BoolOp) and isinstance(stmt.test.op, ast.Or)
                     else [stmt.test])) for stmt in _own_statements(loop.body))


def _ends_itself(loop: ast.While) -> bool:
    """A loop that leaves by itself: a ``break`` of its own, or its flag cleared inside it (paging through an API
    until the last page). In a one-off script (``scripts/``, ``tools/``) it is a batch run, not a service."""
    flag = loop.test.operand if isinstance(loop.test, ast.UnaryOp) else loop.test
    recycled = _run_time_breaks(loop)
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break) and id(node) in recycled:
            continue
        if isinstance(node, ast.Break) or isinstance(flag, ast.Name) and isinstance(node, ast.Name) \
                and node.id == flag.id and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend(n for n in ast.walk(node) if isinstance(n, ast.Name))  # their breaks are their own
        elif not isinstance(node, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _run_time_breaks(loop: ast.While) -> set[int]:
    """ids of the loop's ``break``s under a test of the clock (``if time.monotonic() - started >= max_seconds:
    break``, also through a local read from it): a worker that leaves quietly after a maximum run time to be
    restarted fresh, not a batch run that ends or a wait that succeeds."""
    timed = {t.id for node in _own_nodes(loop) if isinstance(node, ast.Assign) and _reads_clock(node.value)
             for t in node.targets if isinstance(t, ast.Name)}
    return {id(b) for node in _own_nodes(loop) if isinstance(node, ast.If) and (_reads_clock(node.test) or any(
        isinstance(n, ast.Name) and n.id in timed for n in ast.walk(node.test)))
        for b in _own_statements(node.body) if isinstance(b, ast.Break)}


def _main_object_loops(project: Project, module: SourceModule) -> Iterator[tuple[ast.AST, str]]:
    """``bt = BackgroundTasks(); with app.app_context(): bt.start()`` in the ``__main__`` block (or at module
    level): a method of a project class (or of its project base classes) that runs a service loop."""
    objects: dict[str, tuple[SourceModule, ast.ClassDef]] = {}
    pending = list(_main_statements(module))
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, (ast.With, ast.AsyncWith, ast.Try)):
            pending[:0] = stmt.body
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Call):
            found = _project_class(project, module, stmt.value.func)
            if found is not None:
                objects[stmt.targets[0].id] = found
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and isinstance(stmt.value.func, ast.Attribute) and isinstance(stmt.value.func.value, ast.Name) \
                and stmt.value.func.value.id in objects:
            owner, cls = objects[stmt.value.func.value.id]
            method = _method_of(project, owner, cls, stmt.value.func.attr, CLASS_DEPTH)
            if method is not None and id(method[1]) not in _STARTED_LOOPS and _has_service_loop(method[0], method[1]):
                _STARTED_LOOPS.add(id(method[1]))  # one finding per loop, however many runners start it
                yield stmt, f"the service loop in {cls.name}.{method[1].name}(), started when the file is run,"


def _is_command(project: Project, module: SourceModule, cls: ast.ClassDef, depth: int = 3) -> bool:
    """A Django management command: derived from ``BaseCommand``, also through project base classes
    (``class Command(CommandFromDjangoSettings)`` whose base derives from it)."""
    for base in cls.bases:
        if qualified(module, base) in COMMAND_BASES:
            return True
        parent = _project_class(project, module, base) if depth > 0 else None
        if parent is not None and parent[1] is not cls and _is_command(project, *parent, depth - 1):
            return True
    return False


def _project_class(project: Project, module: SourceModule, node: ast.expr) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project class a name refers to: defined in ``module`` or imported from a project module."""
    name = dotted(node)
    if name is None:
        return None
    if "." not in name:
        local = next((c for c in module.tree.body if isinstance(c, ast.ClassDef) and c.name == name), None)
        if local is not None:
            return module, local
    owner_name, _, class_name = (qualified(module, node) or name).rpartition(".")
    owner = project.by_dotted_name.get(owner_name)
    if owner is None:
        return None
    cls = next((c for c in owner.tree.body if isinstance(c, ast.ClassDef) and c.name == class_name), None)
    return (owner, cls) if cls is not None else None


def _method_of(project: Project, module: SourceModule, cls: ast.ClassDef, name: str,
               depth: int) -> tuple[SourceModule, ast.AST] | None:
    method = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)
    if method is not None:
        return module, method
    for base in cls.bases if depth else ():
        found = _project_class(project, module, base)
        if found is not None and (inherited := _method_of(project, found[0], found[1], name, depth - 1)):
            return inherited
    return None


def _serves_forever_only(module: SourceModule, fn: ast.AST) -> bool:
    """``def start_server(): server.serve_forever()``: its only service loop is a ``serve_forever()`` of this
    file, judged (and reported) at that call; the command or statement that runs it is not another finding."""
    return not any(isinstance(n, ast.While) and _is_service_loop(module, n) for n in walk_function_body(fn)) \
        and any(isinstance(n, ast.Call) and method_name(n) == "serve_forever" for n in walk_function_body(fn))


def _loopback_debug_server(module: SourceModule, serve: ast.Call) -> bool:
    """``httpd = HTTPServer(("localhost", port), Handler); httpd.serve_forever()``: a standard-library server
    (which its documentation says is not for production) listening on the loopback interface only: a developer's
    debugging listener, stopped with Ctrl-C, not a service that drains traffic."""
    receiver = serve.func.value if isinstance(serve.func, ast.Attribute) else None
    fn = enclosing_function(module, serve)
    if not isinstance(receiver, ast.Name) or fn is None:
        return False
    return any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == receiver.id for t in n.targets)
        and isinstance(n.value, ast.Call) and (call_name(module, n.value) or "") in STDLIB_SERVERS
        and n.value.args and isinstance(n.value.args[0], ast.Tuple) and n.value.args[0].elts
        and isinstance(host := n.value.args[0].elts[0], ast.Constant) and host.value in LOOPBACK_HOSTS
        for n in walk_function_body(fn))


def _main_statements(module: SourceModule) -> Iterator[ast.stmt]:
    """Statements that run when the file is executed: top level and the ``__main__`` block."""
    for stmt in module.tree.body:
        if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            yield from stmt.body
        elif not isinstance(stmt, (ast.If, *FUNCTION_TYPES, ast.ClassDef)):
            yield stmt


def _service_loop_in(project: Project, module: SourceModule, func: ast.expr) -> str | None:
    """The name of the function (``func`` or one it calls) that runs a service loop, if any."""
    resolved = resolve_function(project, module, func)
    if resolved is None:
        return None
    owner, fn = resolved
    if _has_service_loop(owner, fn):
        return fn.name
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            callee = top_level_function(owner, node.func.id)
            if callee is not None and callee is not fn and _has_service_loop(owner, callee):
                return callee.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            callee = top_level_function(owner, node.id)
            if callee is not None and callee is not fn and _has_service_loop(owner, callee):
                return callee.name
    return None


def _runs_forever_in(project: Project, module: SourceModule, func: ast.expr) -> str | None:
    """What the coroutine ``func`` (or a function of its file that it calls) awaits that runs until stopped: a
    discord.py client's ``start()``/``connect()`` (``async with MyBot() as bot: await bot.start()``; discord.py
    installs no SIGTERM handler for it), or the run-forever idiom ``await asyncio.Future()`` /
    ``await asyncio.Event().wait()``."""
    resolved = resolve_function(project, module, func)
    if resolved is None:
        return None
    owner, fn = resolved
    callees = [fn] + [c for n in walk_function_body(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                      and (c := top_level_function(owner, n.func.id)) is not None and c is not fn]
    for scope in callees:
        clients = _discord_clients(project, owner, scope)
        for node in walk_function_body(scope):
            if not isinstance(node, ast.Await) or not isinstance(node.value, ast.Call):
                continue
            call = node.value
            func_name = call_name(owner, call) or ""
            if func_name == "asyncio.Future" or method_name(call) == "wait" and isinstance(call.func, ast.Attribute) \
                    and isinstance(call.func.value, ast.Call) and call_name(owner, call.func.value) == "asyncio.Event":
                return f"{scope.name}(), which waits forever (`{ast.unparse(call)}`),"
            if method_name(call) in ("start", "connect") and isinstance(call.func, ast.Attribute) \
                    and isinstance(call.func.value, ast.Name) and call.func.value.id in clients:
                return f"the discord.py client started in {scope.name}() (`{ast.unparse(call.func)}()` runs until closed)"
    return None


def _discord_clients(project: Project, module: SourceModule, fn: ast.AST) -> set[str]:
    """Names bound in ``fn`` to a discord.py client: ``bot = MyBot()``, ``async with MyBot() as bot``."""
    names: set[str] = set()
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Call) and node.optional_vars:
            targets, value = [node.optional_vars], node.context_expr
        else:
            continue
        if _is_discord_client_class(project, module, value.func, CLASS_DEPTH):
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_discord_client_class(project: Project, module: SourceModule, node: ast.expr, depth: int) -> bool:
    """A discord.py client class, or a project class derived from one (``class RoboBot(commands.AutoShardedBot)``)."""
    name = qualified(module, node) or ""
    if name in DISCORD_CLIENTS:
        return True
    if not depth or not isinstance(node, (ast.Name, ast.Attribute)):
        return False
    owner_name, _, class_name = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    cls = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None) \
        if owner is not None else None
    return cls is not None and any(_is_discord_client_class(project, owner, b, depth - 1) for b in cls.bases)


def _command_loop(project: Project, module: SourceModule, cls: ast.ClassDef, handle: ast.AST) -> str | None:
    """The name of ``handle`` or of what it calls that runs a service loop: a method of the command, a project
    function (``run_consumer()``, imported or of its file), or a plugin's method (``_plugin_loop``)."""
    if _has_service_loop(module, handle, batch_runs_end=True):
        return f"{handle.name}()"
    methods = {n.name: n for n in cls.body if isinstance(n, FUNCTION_TYPES)}
    for node in walk_function_body(handle):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        owner, callee = module, None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            callee = methods.get(func.attr)
        elif isinstance(func, (ast.Name, ast.Attribute)):
            owner, callee = resolve_function(project, module, func) or (module, None)
        if callee is not None and callee is not handle and _has_service_loop(owner, callee, batch_runs_end=True):
            return f"{callee.name}()"
        if callee is None and (plugin_loop := _plugin_loop(project, module, node)) is not None:
            return f"plugin method {plugin_loop}"
    return None


def _has_service_loop(module: SourceModule, fn: ast.AST, batch_runs_end: bool = False) -> bool:
    """With ``batch_runs_end``, a loop over its own flag that it sets anew (``while vouchers: ...; vouchers =
    next_batch()``, ``while next_page: ...``) pages through finite work and ends: a batch run, not a service."""
    for node in walk_function_body(fn):
        if isinstance(node, ast.While) and _is_service_loop(module, node) \
                and not (batch_runs_end and _pages_until_done(node)):
            return True
        if isinstance(node, ast.Call) and method_name(node) == "serve_forever":
            return True
    return False


def _waits_for_readiness(loop: ast.While) -> bool:
    """A loop that waits for a dependency (start-up) and ends: it retries until a try succeeds, counts its
    attempts, gives up at a deadline, or only polls a condition."""
    return _retries_until_success(loop) or _counts_attempts(loop) or _has_deadline(loop) or _polls_until_ready(loop) \
        or _reads_to_the_end(loop)


def _reads_to_the_end(loop: ast.While) -> bool:
    """``while True: chunk = handle.read(65536); if not chunk: break``: a loop that reads a file, a stream or a
    cursor until it is exhausted (hashing a file in chunks) ends with its data, it is no service loop."""
    read = {t.id for stmt in loop.body if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
            and method_name(stmt.value) in EXHAUSTIBLE_READS for t in stmt.targets if isinstance(t, ast.Name)}
    return any(isinstance(stmt, ast.If) and isinstance(stmt.body[-1], (ast.Break, ast.Return))
               and _is_exhausted(stmt.test, read) for stmt in loop.body)


def _is_exhausted(test: ast.expr, names: set[str]) -> bool:
    """``not chunk``, ``chunk is None``, ``chunk == b""``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Name) and test.operand.id in names
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id in names \
        and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.Eq)) \
        and isinstance(test.comparators[0], ast.Constant) and not test.comparators[0].value


def _retries_until_success(loop: ast.While) -> bool:
    """``while True: try: connect(); break; except ...: sleep(1)``, or ``while not conn: try: conn = connect()
    except ...: sleep(1)``: a wait-for loop that ends once a try succeeds (waiting for the database at
    start-up), not a service loop. The ``break`` may sit in a ``with`` or an ``if`` of the ``try``:
    ``try: with socket.create_connection(address): break``."""
    flag = loop.test.operand if isinstance(loop.test, ast.UnaryOp) and isinstance(loop.test.op, ast.Not) else None
    recycled = _run_time_breaks(loop)
    return any(isinstance(stmt, ast.Try) and any(
        isinstance(s, ast.Break) and id(s) not in recycled or isinstance(flag, ast.Name) and isinstance(s, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == flag.id for t in s.targets)
        for s in _own_statements([*stmt.body, *stmt.orelse])) for stmt in loop.body)


def _own_statements(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements and those of their ``with``, ``if`` and ``try`` blocks, not those of nested loops."""
    stack = list(statements)
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, (ast.With, ast.AsyncWith, ast.If, ast.Try)):
            stack.extend(stmt.body)
            stack.extend(getattr(stmt, "orelse", []))


def _polls_until_ready(loop: ast.While) -> bool:
    """``while True: if await check_db(): break; print("waiting"); await asyncio.sleep(1)``: a loop that only
    tests a condition, reports and sleeps until the condition holds (a start-up readiness wait), with no work of
    its own to cut short."""
    exits = False
    for stmt in loop.body:
        if isinstance(stmt, ast.If) and not stmt.orelse and isinstance(stmt.body[-1], (ast.Break, ast.Return)) \
                and all(_only_waits_or_reports(s) for s in stmt.body[:-1]):
            exits = True
        elif not _only_waits_or_reports(stmt):
            return False
    return exits


def _only_waits_or_reports(stmt: ast.stmt) -> bool:
    value = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    return isinstance(value, ast.Call) and method_name(value) in WAITS_OR_REPORTS


def _has_deadline(loop: ast.While) -> bool:
    """``if time.monotonic() >= deadline: raise TimeoutError(...)``: a loop that fails once its time budget is
    spent (waiting for a port, a session, a database), not a service loop. The time may be read into a name first:
    ``remaining = deadline - loop.time(); if remaining <= 0: raise``."""
    timed = {t.id for node in _own_nodes(loop) if isinstance(node, ast.Assign) and _reads_clock(node.value)
             for t in node.targets if isinstance(t, ast.Name)}
    # a loop that only leaves quietly at its deadline may be a worker recycled after a maximum run time
    return any(isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and _gives_up(node.body[-1])
               and (_reads_clock(node.test) or any(isinstance(n, ast.Name) and n.id in timed for n in ast.walk(node.test)))
               for node in _own_nodes(loop))


PROCESS_EXITS = {"exit", "quit", "sys.exit", "os._exit"}


def _gives_up(stmt: ast.stmt) -> bool:
    """``raise TimeoutError(...)``, or ``exit(msg)`` / ``sys.exit(1)``: the wait ends the process with an error."""
    return isinstance(stmt, ast.Raise) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
        and dotted(stmt.value.func) in PROCESS_EXITS


def _reads_clock(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and method_name(n) in CLOCKS for n in ast.walk(node))


def _counts_attempts(loop: ast.While) -> bool:
    """``while True: if connect(): break; retries -= 1; if retries == 0: raise ...; sleep(1)``: a loop with an
    attempt budget (a counter stepped in the loop body and compared where the loop raises, breaks or
    returns) and never set back in it runs a bounded number of times: waiting for a dependency at start-up,
    not serving."""
    stepped = {stmt.target.id for stmt in loop.body
               if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name)}
    # a counter set back inside the loop (``failures = 0`` after a success) bounds a run of failures, not the loop
    stepped -= {t.id for node in ast.walk(loop) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    for node in _own_nodes(loop):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare) \
                and isinstance(node.body[-1], (ast.Raise, ast.Break, ast.Return)) \
                and any(isinstance(n, ast.Name) and n.id in stepped for n in ast.walk(node.test)):
            return True
    return False


def _own_nodes(loop: ast.While) -> Iterator[ast.AST]:
    """The nodes of the loop's body, not those of loops or functions nested in it."""
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.For, ast.AsyncFor, ast.While, *FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _is_service_loop(module: SourceModule, loop: ast.While) -> bool:
    test = loop.test
    endless = isinstance(test, ast.Constant) and test.value is True
    flagged = isinstance(test, (ast.Name, ast.Attribute)) or \
        isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, (ast.Name, ast.Attribute, ast.Call)) \
        or isinstance(test, ast.Call) and not test.args and bool(LIFETIME_CALL.search(method_name(test) or ""))
    if not (endless or flagged) or _waits_for_readiness(loop):
        return False
    waits = False
    for node in walk_function_body(loop):
        if isinstance(node, ast.Call):
            method = method_name(node)
            if method in KEYBOARD:
                return False
            waits = waits or method in WAITING_METHODS
        elif isinstance(node, (ast.Await, ast.AsyncFor)):
            waits = True
    return waits
