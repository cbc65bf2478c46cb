"""R4.connect-per-request: a new database connection for every request or loop turn.

## What it does
Reports a database connection, pool or engine opened once per request or once per loop
iteration instead of being taken from a pool opened at startup. It looks at calls that
open a new database server connection (`psycopg.connect`,
`psycopg2.connect`, `asyncpg.connect`, `pymysql.connect`, `aiomysql.connect`,
`dataset.connect`, which also builds an engine, ...),
build a new pool or SQLAlchemy engine (`asyncpg.create_pool`,
`psycopg_pool.ConnectionPool`, `create_engine`, `create_async_engine`, sqlalchemy-helpers' database managers:
`manager_from_config(settings.database)`, `AsyncDatabaseManager(url, ...)`) or a new Redis
client, which builds its own connection pool (`redis.Redis(...)`, `Redis.from_url`,
`redis.asyncio`, `aioredis`, arq's `create_pool(settings)`; not one over a pool it is given,
`Redis(connection_pool=pool)`), a new
Elasticsearch or OpenSearch client (`Elasticsearch(url)`, a pool of connections to the search datastore), a new Celery app
(`Celery("tasks")`, which opens its own broker connection and producer pool), and calls of project functions that return what they
open (`def create_main_engine(): return create_async_engine(url)`, also over a few such
functions; the finding is where the factory is called, not inside it), where they run
once per request or once per loop iteration:

- inside a request handler (route decorators, registered views, Django/DRF views,
  aiohttp handlers, as recognised by `audit_lib.libs.web`, and the `fetch()` of a
  datasethoster `Query`, which the dataset host runs per API request), a FastAPI per-request
  dependency (`Depends(get_db)`), a Pyramid service factory
  (`config.register_service_factory(RedisCache.create_service, ICache)`, also through a local
  naming one of several classes; pyramid_services calls it once per request), or a background job function (Celery `@app.task` /
  `@shared_task`, Dramatiq `@actor`, RQ `@job`, Huey tasks, also through the project's own
  wrapper of one, `@tasks.task(bind=True)` over a `def task(**options)` of a module that
  imports celery), which runs once per job; not a task put on a beat schedule
  (`add_periodic_task(crontab(hour=6), reindex)`, or a `beat_schedule` entry
  `{"task": "app.tasks.reindex", "schedule": crontab(hour=6)}`), one client per nightly run;
- inside a project function that a handler or dependency calls, up to three calls deep
  (`self.method()`, also one a project base class defines, local and imported functions, the last
  `def` of a name rather than its `@overload` stubs, a `@property` the code reads (`store.celery_app`, which
  builds a new app on every read unless it returns the one it kept), the `__init__` of a project class the
  function builds (`BackupService()`, or `cls(url)` in a classmethod, whose `__init__` makes an
  engine, one per object), the `__call__` of one it builds to call at once (`Notice(dsn, channel, payload)()`), and
  `obj.method()` on a local of unknown type when exactly one project class defines a method
  of that compound name, like `get_results`; the finding
  is on the connect call and names the handler, with medium confidence);
- inside a loop body, also through methods: `for table in tables: self._run_query_internal(...)`
  where that method (of the class or a project base class) reaches, up to three `self.` calls
  deep and dispatched on the looping class, a method that opens a connection with its object's
  settings (not with its own arguments, which may name another database each turn); the finding
  is on the call in the loop, with medium confidence;
- an Airflow database hook's `run()`/`get_records()`/`get_first()` called in a loop (`for w in rows:
  hook.run(sql, parameters=w)` on a local bound to `PostgresHook(...)`, on `self.hook` an operator's method binds
  to one, or on a parameter named `postgres_hook`): each call opens and closes a connection of its own
  (not `insert_rows()`, nor statements run on a cursor of one `hook.get_conn()`);
- a connection kept on the framework's per-request globals (`if "db" not in g: g.db = self.connect()`, also
  through a method or function that opens it, or a subclass's override of a base class's stub): it lives one
  request and the teardown closes it, so each request opens its own; the finding is on the call stored on
  `flask.g`, not on the loops and helpers that take it from there (they share the request's connection);
  also a database a project helper opens through layers the audit cannot follow (a backend chosen at run
  time: `tree = open_tree(path); g.tree_db = tree`) when a teardown hook closes it after every request
  (`close_tree(g.pop("tree_db"))`) and its name on `g` names a database or connection; not a helper that takes it
  from a pool or engine (`pool.getconn()`, `engine.connect()`) or opens SQLite (`sqlite3.connect`);
- for pools, engines and Redis clients: inside a generator run as a context manager
  (`@contextmanager`/`@asynccontextmanager`, not an application lifespan) that does not
  keep it, like `async with get_single_session()` building an engine, yielding a session
  and disposing of the engine: one pool per `with` block, thrown away after one unit of
  work. A single connection per `with` block is judged where the block runs;
- Django settings that close the connection after every request: a settings module (not one of tests or
  development: `settings/test.py`, `dev.py`, `local_settings.py`) whose `DATABASES` name a database server in
  some branch (`"ENGINE": "django.db.backends.postgresql"`, also the default of
  `os.environ.get("DATABASE_ENGINE", "django.db.backends.mysql")`, or an entry built from the URL the deployment
  gives: `dj_database_url.config()`, `env.db()`) and set no `CONN_MAX_AGE`: Django's default 0 opens a new
  connection for every request. The finding is on the `DATABASES` assignment, or on a top-level
  `CONN_MAX_AGE = 60`, which Django ignores (it reads the key per database). Not settings that keep connections
  (`"CONN_MAX_AGE": 60`, `DATABASES["default"]["CONN_MAX_AGE"] = ...` also in a settings module that star-imports
  this one, `dj_database_url.config(conn_max_age=600)`, Django 5.1's `"OPTIONS": {"pool": ...}`), nor settings that
  name PgBouncer, nor databases that are SQLite in every branch;
- an engine that keeps no connection: `engine = create_engine(url, poolclass=NullPool)` kept in a module global
  (at the top level or through `global engine`) that a request handler, or a helper it calls, connects through
  (`with engine.connect() as conn`, `db.engine.begin()`): every checkout opens a new connection to the server. The
  finding is on the `create_engine` call and names the handler or helper. Not in a project that names PgBouncer
  (which pools in the engine's place), nor an engine of SQLite;
- an engine disposed of after each request: `engine.dispose()` in a Flask/Quart teardown hook
  (`@app.teardown_request`, `@app.teardown_appcontext`, `@app.after_request`) or in a request handler (or what it
  calls) closes every connection of the engine's pool, so the next request connects anew (not an engine the
  function builds itself, judged where it is built).

Not reported: connections and pools opened at module level, at startup (lifespan,
`main()`, the `__init__` of an object made there), and in functions that are neither
handlers nor loops; schema and data migrations (`migrations/`, Alembic revisions), run
once by an operator; lazy
creation reused afterwards (`if _pool is None: _pool = create_pool(...)`, a function memoised by its decorator:
`@lru_cache def get_manager(): return manager_from_config(...)`, also a lazily
made singleton whose `__init__` builds the engine: `if _engine is None: _engine = Engine()`, or that wraps the
client a helper builds: `if _cache is None: client = build_client(); _cache = CacheWrapper(client)`, and a getter that
returns what it kept before and keeps what it builds: `cached = store.get("redis"); if cached: return cached` ...
`store["redis"] = client`, `if hasattr(self, "_factory"): return self._factory`); a handler that connects to the
database its request names (`req = request.get_json(); pyodbc.connect(f"SERVER={req['host']};...")`: testing a
user's data source, which no pool of the service serves), also through helpers: `def get_client(host, port):
Elasticsearch(hosts=[{"host": host, ...}])` when every call that runs it per request hands it a host read from the
request (`get_client(data.host, data.port)` with `data: Schema = Body(...)` in the handler); a helper that sets
up the schema (`Base.metadata.create_all(engine)`, `CREATE DATABASE ...`), whose engine serves that one set-up
step; a connect under a flag that defaults to off (`def __init__(self, long_query=False): if long_query:
self.conn = psycopg2.connect(...) else: self.conn = pool.getconn()`) when no call that runs it per request passes
the flag; routes registered only in development (`if settings.DEBUG:`, `if config("LOCAL_DEV"):`); loops
that connect to a different database each turn (the loop variable is in the connect
arguments, also through locals the loop derives from it: `for node in nodes: host = node.rsplit(":", 1)[0];
redis.Redis(host=host)`); retry loops (the connect sits in a `try` and the loop `break`s or
`return`s once connected); loops whose turn is a cycle of work rather than one item: a polling loop that sleeps
between turns (`while True: with connect(dsn) as conn: ...; time.sleep(interval)`), or a loop that counts rather
than walks data (`while True:`, `for rank in range(low, high)`) calling a method of the class that loops itself
(`await self._index(rank)` streaming every row of that rank), one connection per indexing phase; reconnect-on-demand guards (`if conn is None or
conn.closed: conn = psycopg.connect(...)`). SQLite (`sqlite3.connect`,
`aiosqlite.connect`) is a local file, not a server: opening one costs a file open and
is not reported. Test files are not audited.

## Why is this bad?
A PostgreSQL connection costs a TCP (often TLS) handshake, authentication and a new
backend process: milliseconds to tens of milliseconds before the first query, and one
server process per concurrent request. Under load the service reaches
`max_connections` and refuses work, while a pool of a few connections would have
served the same traffic (Backend Posture R4: runtime coherence and resource lifecycle).

## Example
```python
@app.get("/orders/{order_id}")
def get_order(order_id: int):
    with psycopg.connect(DSN) as conn:
        return conn.execute("SELECT * FROM orders WHERE id = %s", (order_id,)).fetchone()
```

## Use instead
```python
pool = ConnectionPool(DSN, min_size=2, max_size=10, open=False)  # opened in the lifespan

@app.get("/orders/{order_id}")
def get_order(order_id: int):
    with pool.connection() as conn:
        return conn.execute("SELECT * FROM orders WHERE id = %s", (order_id,)).fetchone()
```

## References
- psycopg connection pools: https://www.psycopg.org/psycopg3/docs/advanced/pool.html
- asyncpg pools: https://magicstack.github.io/asyncpg/current/usage.html#connection-pools
- Django persistent connections: https://docs.djangoproject.com/en/stable/ref/databases/#persistent-connections
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs.db import is_migration_module, project_class
from audit_lib.libs.storage import MEMOISING_DECORATORS
from audit_lib.libs.web import is_django_settings, route_handlers
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    declared_globals,
    dotted,
    enclosing_function,
    enclosing_loops,
    method_in_hierarchy,
    method_name,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r4_lifecycle._common import (
    DB_CONNECT,
    DB_POOLS,
    ENGINES,
    called_function,
    REDIS_CLIENTS,
    REQUEST_GLOBALS,
    SEARCH_CLIENTS,
    RESOURCE_TAILS,
    context_generator,
    dependency_functions,
    is_abstract,
    kept_for_the_request,
    library_call_name,
    methods_by_name,
    over_given_pool,
    project_index,
    project_resource,
    resolve_function,
    returned_resource,
    top_level_function,
)
from audit_lib.source import Project, SourceModule, is_test_path

# A Celery app opens its own broker connection and producer pool the first time it sends or inspects.
CELERY_APPS = {"celery.Celery"}
# Database managers of sqlalchemy-helpers: each builds its own SQLAlchemy engine (create_async_engine) and pool.
ENGINE_MANAGERS = {"sqlalchemy_helpers.fastapi.manager_from_config", "sqlalchemy_helpers.fastapi.AsyncDatabaseManager",
                   "sqlalchemy_helpers.aio.AsyncDatabaseManager", "sqlalchemy_helpers.AsyncDatabaseManager",
                   "sqlalchemy_helpers.manager.DatabaseManager", "sqlalchemy_helpers.DatabaseManager"}
OPENERS = DB_CONNECT | DB_POOLS | ENGINES | ENGINE_MANAGERS | REDIS_CLIENTS | CELERY_APPS | SEARCH_CLIENTS.keys()
OPENER_TAILS = RESOURCE_TAILS | {name.rsplit(".", 1)[-1] for name in CELERY_APPS | ENGINE_MANAGERS}
# What a project factory may hand back and still be a new connection (or pool) when called.
FACTORY_KINDS = {"database connection", "connection pool", "engine", "Redis client", *SEARCH_CLIENTS.values()}
# Openers that build a pool: one per `with` block of a context manager is already one too many.
POOLED = DB_POOLS | ENGINES | ENGINE_MANAGERS | REDIS_CLIENTS | CELERY_APPS | SEARCH_CLIENTS.keys()
TASK_LIBRARIES = ("celery", "dramatiq", "rq", "huey", "arq")
TASK_DECORATORS = {"task", "shared_task", "actor", "job", "periodic_task", "db_task"}
# Names of the request object in handlers, what it carries from the client, and the frameworks' request proxies.
REQUEST_OBJECTS = {"request", "req"}
REQUEST_DATA = {"json", "data", "form", "args", "values", "POST", "GET", "body", "query_params", "get_json", "params"}
REQUEST_MODULES = {"flask.request", "quart.request"}
# FastAPI's markers of a parameter read from the request: ``data: Schema = Body(...)``.
REQUEST_PARAMETERS = {"Body", "Form", "Query", "File"}
# Names of what locates a server: a client built for one the request names can come from no pool of the service.
PEER_NAME = re.compile(r"(?i)^(host|hosts|hostname|server|address|url|uri|dsn|endpoint)$")
TEARDOWN_HOOKS = {"teardown_request", "teardown_appcontext", "after_request"}
# How a connection is taken from a pool, an engine or a session factory rather than opened anew.
POOL_CHECKOUTS = {"getconn", "acquire", "connect", "connection", "raw_connection", "get_connection", "Session",
                  "sessionmaker", "scoped_session"}
# Schema set-up: ``Base.metadata.create_all(engine)``, ``CREATE DATABASE shop``.
SCHEMA_SET_UP_CALLS = {"create_all", "drop_all"}
SCHEMA_SET_UP_SQL = re.compile(r"(?i)\s*(CREATE|DROP)\s+(DATABASE|SCHEMA|TABLE)\b")
# Switches of a development set-up: ``settings.DEBUG``, ``config("LOCAL_DEV")``, ``app.debug``.
DEVELOPMENT_FLAG = re.compile(r"(?i)(^|[._])(debug|local_dev|dev_mode|development)$")
SLEEPS = {"time.sleep", "asyncio.sleep", "gevent.sleep", "trio.sleep", "anyio.sleep"}
HELPER_DEPTH = 3  # how many calls deep a helper called from a handler still counts as per-request
# Airflow DbApiHook methods that open a connection with get_conn() and close it when the statement is done.
AIRFLOW_HOOK_QUERIES = {"run", "get_records", "get_first", "get_pandas_df", "get_df"}
AIRFLOW_DB_HOOKS = {"PostgresHook", "MySqlHook", "MsSqlHook", "OracleHook", "SnowflakeHook", "RedshiftSQLHook",
                    "TrinoHook", "PrestoHook", "VerticaHook", "JdbcHook", "OdbcHook", "DbApiHook"}
AIRFLOW_HOOK_PARAMETERS = {"postgres_hook", "pg_hook", "mysql_hook", "mssql_hook", "oracle_hook", "snowflake_hook",
                           "db_hook"}
# Base classes of frameworks that serve a request by calling one method of the project's subclass.
QUERY_HANDLER_BASES = {"datasethoster.Query": "fetch", "datasethoster.main.Query": "fetch"}
# Django database backends of a server (a backend named for SQLite opens a local file).
SERVER_BACKEND = re.compile(r"(?i)postgres|postgis|mysql|oracle|mssql|sql_server|cockroach")
# What builds a Django DATABASES entry from a URL: ``dj_database_url.config()``, django-environ's ``env.db()``.
DATABASE_URL_PARSERS = {"dj_database_url.parse", "dj_database_url.config"}
ENVIRON_DATABASE_READERS = {"db", "db_url"}
# Per-database keys that keep connections between requests: CONN_MAX_AGE, and Django 5.1's native pool in OPTIONS.
PERSISTENT_CONNECTION_KEYS = {"CONN_MAX_AGE", "conn_max_age", "pool"}
# Settings modules of tests and development set-ups: settings/test.py, dev.py, local_settings.py, settings_test.py.
DEVELOPMENT_SETTINGS = re.compile(r"(?i)(^|_)(test|dev|local)")
DJANGO_PERSISTENT_CONNECTIONS_FIX = (
    'set "CONN_MAX_AGE": 60 and "CONN_HEALTH_CHECKS": True on each database (dj_database_url.config(conn_max_age=60, '
    'conn_health_checks=True)), or on Django 5.1+ use the native pool ("OPTIONS": {"pool": True})')


@rule("R4.connect-per-request", on="project", scope="code", severity="medium")
def check(project: Project) -> Iterator[Finding]:
    modules = [m for m in project.modules if not is_test_path(m.path) and not is_migration_module(m)]
    openers = [(module, call, fn, factory) for module in modules for call in module.nodes_of(ast.Call)
               if (fn := enclosing_function(module, call)) is not None
               and (factory := _opener(project, module, call)) is not None and not _is_factory(project, module, fn)]
    yield from _airflow_hook_calls_per_iteration(modules)
    yield from _django_connections_per_request(project, modules)
    if not openers and not any(".dispose(" in m.text or "teardown_" in m.text for m in modules):
        return
    per_request, call_sites = _per_request_functions(project, modules)
    for module, call, fn, factory in openers:
        what = _what(factory)
        name = dotted(call.func) or factory
        if kept_for_the_request(module, call):
            continue  # judged below, with what the connection is kept on
        if fn in per_request and not _lazy_guard(module, call, fn) and not _memoized(module, call, fn) \
                and not _connects_where_the_request_says(module, call, fn, call_sites) \
                and not (not per_request[fn][1] and _sets_up_the_schema(fn)) \
                and not _off_the_branch_callers_take(module, call, fn, call_sites.get(fn, [])):
            how, direct, unit = per_request[fn]
            where = f"in {how}" if direct else f"in {fn.name}(), called from {how}"
            yield _finding(module, call, Confidence.high if direct else Confidence.medium,
                           f"{name}() opens a new {what} {where}: one per {unit}", factory=factory)
        elif _per_iteration(module, call) and not _turn_is_a_cycle(project, module, enclosing_loops(module, call)[0]):
            yield _finding(module, call, Confidence.medium,
                           f"{name}() opens a new {what} on every loop iteration",
                           f"open one {what} before the loop and reuse it in every iteration", factory=factory)
        elif factory in POOLED and context_generator(module, project, fn) and not _lazy_guard(module, call, fn) \
                and not _kept(module, call):
            yield _finding(module, call, Confidence.medium,
                           f"{name}() builds a new {what} in context manager {fn.name}(): one per `with` block "
                           "that uses it, and the pool is thrown away after one unit of work", factory=factory)
    yield from _per_iteration_through_methods(project, modules, openers)
    yield from _kept_on_request_globals(project, modules, openers)
    yield from _opened_for_the_request(project, modules, openers)
    yield from _disposed_per_request(modules, per_request)
    yield from _unpooled_engines(project, modules, per_request)


def _unpooled_engines(project: Project, modules: list[SourceModule], per_request: dict) -> Iterator[Finding]:
    """``engine = create_engine(url, poolclass=NullPool)`` kept in a module global that request handlers (or the
    helpers they call) connect through (``with db.engine.connect() as conn``): a NullPool keeps no connection, so
    every ``connect()``/``begin()`` opens a new one to the server. Not in a project that names PgBouncer (which pools
    in its place), nor an engine of SQLite."""
    if not per_request or any("pgbouncer" in m.text.lower() for m in modules):
        return
    for module in modules:
        if "NullPool" not in module.text:
            continue
        for call in module.nodes_of(ast.Call):
            pool = next((k.value for k in call.keywords if k.arg == "poolclass"), None)
            if pool is None or (qualified(module, pool) or "").rsplit(".", 1)[-1] != "NullPool" \
                    or library_call_name(module, call) not in ENGINES or "sqlite" in ast.unparse(call).lower():
                continue
            name = _global_bound_to(module, call)
            user = next((fn for fn in per_request if name is not None and _connects_through(project, fn, module, name)),
                        None)
            if user is None:
                continue
            how, direct, unit = per_request[user]
            where = how if direct else f"{user.name}(), called from {how}"
            yield _finding(module, call, Confidence.medium,
                           f"{dotted(call.func)}(..., poolclass=NullPool) keeps no connection: every "
                           f"`{name}.connect()` opens a new database connection, and {where} connects through it: one "
                           f"per {unit}",
                           "drop poolclass=NullPool (the default QueuePool keeps connections), or put PgBouncer in "
                           "front of the database", factory=library_call_name(module, call))


def _global_bound_to(module: SourceModule, call: ast.Call) -> str | None:
    """The module-level name ``call`` is assigned to: at the top level, or in a function that declares it global."""
    parent = module.parents.get(call)
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return None
    name = parent.targets[0].id
    fn = enclosing_function(module, call)
    return name if fn is None or name in declared_globals(fn) else None


def _connects_through(project: Project, fn: ast.AST, module: SourceModule, name: str) -> bool:
    """Whether ``fn`` calls ``connect()``/``begin()`` on the global ``name`` of ``module``: ``engine.connect()`` in
    that module, or ``db.engine.connect()`` where ``db`` is that module."""
    owner = next((m for m in project.modules if fn in m.parents or fn in m.tree.body), None)
    if owner is None:
        return False
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Call) and method_name(node) in ("connect", "begin")
                and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id == name and owner is module or \
                isinstance(receiver, ast.Attribute) and receiver.attr == name \
                and qualified(owner, receiver.value) == module.dotted_name:
            return True
    return False


def _airflow_hook_calls_per_iteration(modules: list[SourceModule]) -> Iterator[Finding]:
    """``for w in weaknesses: hook.run(sql, parameters=w)`` on an Airflow database hook (``PostgresHook(...)``, also
    kept as ``self.hook`` by the operator's ``__init__``, or a parameter named ``postgres_hook``): the hook's
    ``run()``/``get_records()``/``get_first()`` open a connection (``get_conn()``: ``psycopg2.connect``) and
    close it on every call, so each turn of the loop connects anew. ``insert_rows()`` and a cursor of one
    ``get_conn()`` serve many rows over one connection."""
    if not any(module.imports_module("airflow") for module in modules):
        return
    for module in modules:
        for call in module.nodes_of(ast.Call):
            if method_name(call) not in AIRFLOW_HOOK_QUERIES or not isinstance(call.func, ast.Attribute) \
                    or not (loops := enclosing_loops(module, call)) or _few_turns(loops[0]):
                continue
            hook = _airflow_db_hook(module, call.func.value)
            if hook is not None:
                yield _finding(module, call, Confidence.medium,
                               f"{dotted(call.func)}() on an Airflow {hook} opens (and closes) a new database "
                               "connection on every loop iteration",
                               f"open one connection before the loop (`conn = {dotted(call.func.value)}.get_conn()`) "
                               "and run every statement on its cursor, or send the rows at once with insert_rows()")


def _django_connections_per_request(project: Project, modules: list[SourceModule]) -> Iterator[Finding]:
    """``DATABASES = {"default": env.db()}`` with no ``CONN_MAX_AGE``: Django's default of 0 closes the connection at
    the end of every request, so each request connects to the PostgreSQL/MySQL server anew. A top-level
    ``CONN_MAX_AGE = 60`` is no setting (Django reads it per database). Not SQLite-only settings, settings that keep
    connections (``CONN_MAX_AGE``, ``conn_max_age=``, the native ``"pool"``) or name PgBouncer, settings of tests
    and development, nor a module whose star-importing settings keep them."""
    deployed = [m for m in modules if not DEVELOPMENT_SETTINGS.search(m.path.rsplit("/", 1)[-1][:-3])]
    for module in deployed:
        databases = _module_level_assignments(module, "DATABASES") if is_django_settings(module, project) else []
        if not databases or _keeps_connections(module) or not _names_a_database_server(module) or any(
                _keeps_connections(other) for other in deployed if _star_imports(other, module)):
            continue
        ignored = _module_level_assignments(module, "CONN_MAX_AGE")
        if ignored:
            yield _finding(module, ignored[0], Confidence.medium,
                           "CONN_MAX_AGE at the top level of the settings is ignored (Django reads it per database in "
                           "DATABASES): every database keeps the default 0, and each request opens a new connection",
                           DJANGO_PERSISTENT_CONNECTIONS_FIX)
        else:
            yield _finding(module, databases[0], Confidence.medium,
                           "DATABASES sets no CONN_MAX_AGE: Django's default 0 closes the database connection after "
                           "every request, so each request opens a new connection to the database server",
                           DJANGO_PERSISTENT_CONNECTIONS_FIX)


def _module_level_assignments(module: SourceModule, name: str) -> list[ast.Assign]:
    """Assignments of the settings module (also under ``if``/``try``) to ``name`` or one of its keys
    (``DATABASES["default"] = ...``)."""
    def names(target: ast.expr) -> bool:
        return isinstance(target, ast.Name) and target.id == name or \
            isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == name
    return [n for n in module.nodes_of(ast.Assign) if any(names(t) for t in n.targets)
            and enclosing_function(module, n) is None and not any(isinstance(a, ast.ClassDef) for a in ancestors(module, n))]


def _keeps_connections(module: SourceModule) -> bool:
    """A database key that keeps connections (``"CONN_MAX_AGE": 60``, ``DATABASES["default"]["CONN_MAX_AGE"] =
    ...``, ``conn_max_age=600``, ``"OPTIONS": {"pool": True}``), or PgBouncer named in the settings."""
    if "pgbouncer" in module.text.lower():
        return True
    for node in walk_nodes(module.tree):
        keys = node.keys if isinstance(node, ast.Dict) else [node.slice] if isinstance(node, ast.Subscript) else []
        if any(k is not None and string_value(k) in PERSISTENT_CONNECTION_KEYS for k in keys) or isinstance(
                node, ast.keyword) and node.arg in PERSISTENT_CONNECTION_KEYS:
            return True
    return False


def _names_a_database_server(module: SourceModule) -> bool:
    """A database ENGINE of a server in some branch (``"django.db.backends.postgresql"``, also the default of
    ``os.environ.get("DATABASE_ENGINE", "django.db.backends.mysql")``), or an entry built from a URL the deployment
    gives (``dj_database_url.config()``, ``env.db()``), not a literal ``sqlite://`` one."""
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Dict):
            engines = [v for k, v in zip(node.keys, node.values) if k is not None and string_value(k) == "ENGINE"]
        elif isinstance(node, ast.Assign):
            engines = [node.value] if any(isinstance(t, ast.Subscript) and string_value(t.slice) == "ENGINE"
                                          for t in node.targets) else []
        elif isinstance(node, ast.Call) and _parses_a_database_url(module, node):
            url = node.args[0] if node.args and method_name(node) == "parse" else None
            if not (url is not None and (string_value(url) or "").startswith("sqlite")):
                return True
            continue
        else:
            continue
        if any(SERVER_BACKEND.search(text) for engine in engines for n in walk_nodes(engine)
               for text in [string_value(n)] if text):
            return True
    return False


def _parses_a_database_url(module: SourceModule, call: ast.Call) -> bool:
    return qualified(module, call.func) in DATABASE_URL_PARSERS or (
        method_name(call) in ENVIRON_DATABASE_READERS and module.imports_module("environ"))


def _star_imports(importer: SourceModule, module: SourceModule) -> bool:
    """``from .base import *`` in ``importer``, of ``module`` in the same package."""
    package, _, stem = module.path[:-3].rpartition("/")
    return importer is not module and importer.path.rpartition("/")[0] == package and any(
        isinstance(n, ast.ImportFrom) and (n.module or "").rsplit(".", 1)[-1] == stem
        and any(alias.name == "*" for alias in n.names) for n in walk_nodes(importer.tree))


def _few_turns(loop: ast.AST) -> bool:
    """A loop over a literal (``for metric in ["cvssV2_0", "cvssV3_1"]``) or over batches of rows
    (``for batch in chunked(ids, 500)``): a handful of statements, each serving many rows."""
    source = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else None
    if isinstance(source, (ast.List, ast.Tuple, ast.Set)):
        return True
    called = (dotted(source.func) or "").rsplit(".", 1)[-1] if isinstance(source, ast.Call) else ""
    return any(word in called.lower() for word in ("chunk", "batch"))


def _airflow_db_hook(module: SourceModule, receiver: ast.expr) -> str | None:
    """The Airflow database hook class ``receiver`` holds: a local of the function bound to ``PostgresHook(...)``,
    ``self.<attr>`` bound to one in a method of the class, or a parameter named for one (``postgres_hook``) in a
    project that uses Airflow."""
    fn = enclosing_function(module, receiver)
    if fn is None:
        return None
    if isinstance(receiver, ast.Name):
        params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        if receiver.id in params:
            return "database hook" if receiver.id in AIRFLOW_HOOK_PARAMETERS else None  # in an Airflow project
        scope: list[ast.AST] = [fn]
        target = receiver.id
    elif isinstance(receiver, ast.Attribute) and dotted(receiver.value) == "self":
        cls = next((a for a in ancestors(module, fn) if isinstance(a, ast.ClassDef)), None)
        if cls is None:
            return None
        scope, target = [m for m in cls.body if isinstance(m, FUNCTION_TYPES)], f"self.{receiver.attr}"
    else:
        return None
    for method in scope:
        for node in walk_function_body(method):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    any(dotted(t) == target for t in node.targets):
                name = qualified(module, node.value.func) or ""
                if module.imports_module("airflow") and name.startswith("airflow.providers.") and name.rsplit(".", 1)[-1] in AIRFLOW_DB_HOOKS:
                    return name.rsplit(".", 1)[-1]
    return None


def _disposed_per_request(modules: list[SourceModule], per_request: dict) -> Iterator[Finding]:
    """``@app.teardown_request def close_db(exc): session.close(); engine.dispose()`` (or a dispose in a handler
    or what it calls): disposing of the engine closes every connection of its pool, so each request connects
    anew. An engine the function builds itself is judged where it is built."""
    handlers = {fn: how for fn, (how, _, unit) in per_request.items() if unit == "request"}
    for module in modules:
        hooks = {fn: f"teardown hook {fn.name}()" for fn in _teardown_hooks(module)}
        for fn in module.nodes_of(*FUNCTION_TYPES):
            how = hooks.get(fn) or handlers.get(fn)
            if how is None:
                continue
            built = {t.id for n in walk_function_body(fn) if isinstance(n, ast.Assign) for t in n.targets
                     if isinstance(t, ast.Name)}
            for call in walk_function_body(fn):
                if isinstance(call, ast.Call) and method_name(call) == "dispose" and not call.args \
                        and isinstance(call.func, ast.Attribute) \
                        and "engine" in (dotted(call.func.value) or "").rsplit(".", 1)[-1].lower() \
                        and dotted(call.func.value) not in built:
                    yield _finding(module, call, Confidence.medium,
                                   f"{dotted(call.func)}() in {how} closes every pooled connection of the engine "
                                   "after each request: the next request opens new connections",
                                   "keep the engine and its pool for the process: close the session (or return the "
                                   "connection) per request and dispose of the engine only at shutdown")


def _teardown_hooks(module: SourceModule) -> list[ast.AST]:
    """Functions a Flask/Quart app runs after every request: ``@app.teardown_request``,
    ``@app.teardown_appcontext``, ``@app.after_request``, also registered with ``app.teardown_request(fn)``."""
    if not any(module.imports_module(framework) for framework in ("flask", "quart")):
        return []
    hooks = [fn for fn in module.nodes_of(*FUNCTION_TYPES) if any(
        (dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] in TEARDOWN_HOOKS
        for d in fn.decorator_list)]
    registered = {call.args[0].id for call in module.nodes_of(ast.Call) if method_name(call) in TEARDOWN_HOOKS
                  and len(call.args) == 1 and isinstance(call.args[0], ast.Name)}
    return hooks + [fn for fn in module.nodes_of(*FUNCTION_TYPES) if fn.name in registered and fn not in hooks]


def _kept_on_request_globals(project: Project, modules: list[SourceModule], openers: list) -> Iterator[Finding]:
    """``if "db" not in g: g.db = self.connect()``: the connection lives on ``flask.g`` for one request and the
    teardown closes it, so every request opens a new one; the ``if`` saves only the second connect of a request.
    The call may open it itself or through a method or function that does (``connect()`` over
    ``psycopg2.connect()``)."""
    opening = _opening_methods(openers)
    for module in modules:
        for call in module.nodes_of(ast.Call):
            if not kept_for_the_request(module, call):
                continue
            factory = _opener(project, module, call)
            found = None if factory is not None else _reached_from(project, module, call, opening)
            if factory is None and found is None:
                continue
            name = dotted(call.func) or factory
            where = ""
            if found is not None:
                via, (opener_module, opener, factory) = found
                where = f" ({dotted(opener.func) or factory}() in {via}(), {opener_module.path}:{opener.lineno})"
            what = _what(factory)
            yield _finding(module, call, Confidence.medium,
                           f"{name}() opens a new {what} for every request{where}: kept on flask.g, it lasts one "
                           "request and is closed at its teardown, with no pool behind it",
                           "open a pool at startup and take a connection from it per request", factory=factory)


def _opened_for_the_request(project: Project, modules: list[SourceModule], openers: list) -> Iterator[Finding]:
    """``db = open_tree(tree); g.db = db`` with ``@app.teardown_appcontext def close(exc): close_db(g.pop("db"))``:
    a project helper opens the database (through a backend chosen at run time, which the audit cannot follow)
    for one request, kept on ``flask.g`` under a database name, and a teardown hook closes it after every
    request: each request opens the database anew. Not a connection checked out of a pool or engine in the
    helper (``pool.getconn()``, ``engine.connect()``), nor a library call (judged by its kind, and SQLite's file
    is no server), nor a helper already known to open a connection (reported above)."""
    closed = {name: hook for module in modules for hook in _teardown_hooks(module)
              for name in _closed_request_globals(module, hook)}
    if not closed:
        return
    opening = _opening_methods(openers)
    for module in modules:
        for assign in module.nodes_of(ast.Assign):
            kept = [t.attr for t in assign.targets if isinstance(t, ast.Attribute) and t.attr in closed
                    and qualified(module, t.value) in REQUEST_GLOBALS]
            call = _assigned_call(module, assign)
            resolved = called_function(project, module, call) if kept and call is not None else None
            if resolved is None or _opener(project, module, call) is not None \
                    or _reached_from(project, module, call, opening) is not None or _checks_out(resolved[1]):
                continue
            hook = closed[kept[0]]
            yield _finding(module, call, Confidence.medium,
                           f"{dotted(call.func)}() opens the database for every request: kept on flask.g as "
                           f"`{kept[0]}` and closed after each request by teardown hook {hook.name}(), with no pool "
                           "behind it",
                           "open the database (or a pool of connections to it) once per process and hand a "
                           "connection from it to each request")


def _closed_request_globals(module: SourceModule, hook: ast.AST) -> set[str]:
    """The names on ``flask.g`` a teardown hook reads (``g.pop("db")``, ``g.get("db")``, ``g.db``) when it also
    closes something (``db.close()``, ``close_db(db)``), if they name a database or connection."""
    nodes = list(walk_function_body(hook))
    if not any(isinstance(n, ast.Call) and "close" in (dotted(n.func) or "").rsplit(".", 1)[-1].lower() for n in nodes):
        return set()
    names = set()
    for n in nodes:
        if isinstance(n, ast.Attribute) and qualified(module, n.value) in REQUEST_GLOBALS:
            names.add(n.attr)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("pop", "get") \
                and qualified(module, n.func.value) in REQUEST_GLOBALS and n.args \
                and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
            names.add(n.args[0].value)
    return {name for name in names if any(part in ("db", "conn", "connection", "database")
                                          for part in name.lower().split("_"))}


def _assigned_call(module: SourceModule, assign: ast.Assign) -> ast.Call | None:
    """The call whose result ``assign`` stores: its value, or the call last bound to the local it stores
    (``db = open_tree(tree)`` ... ``g.db = db``)."""
    value = assign.value.value if isinstance(assign.value, ast.Await) else assign.value
    if isinstance(value, ast.Call):
        return value
    fn = enclosing_function(module, assign)
    if not isinstance(value, ast.Name) or fn is None:
        return None
    bound = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign) and n.lineno < assign.lineno
             and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)]
    last = bound[-1] if bound else None
    last = last.value if isinstance(last, ast.Await) else last
    return last if isinstance(last, ast.Call) else None


def _checks_out(fn: ast.AST) -> bool:
    """The helper takes its connection from a pool or engine: ``pool.getconn()``, ``engine.connect()``."""
    return any(isinstance(n, ast.Call) and method_name(n) in POOL_CHECKOUTS for n in walk_function_body(fn))


def _reached_from(project: Project, module: SourceModule, call: ast.Call, opening: dict) -> tuple[str, tuple] | None:
    """(function, opener) when ``call`` runs a project function, or a method of the class (``self.connect()``,
    also through its own ``self.`` calls), that opens a connection with its object's or module's settings."""
    resolved = called_function(project, module, call)
    if resolved is not None and resolved[1] in opening:
        return resolved[1].name, opening[resolved[1]]
    cls = next((p for p in ancestors(module, call) if isinstance(p, ast.ClassDef)), None)
    if cls is None or not (isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self"):
        return None
    name = call.func.attr
    reached = _reach_opener(project, module, cls, name, opening, HELPER_DEPTH, set())
    if reached is None and resolved is not None and is_abstract(resolved[1]):
        # a base class's stub (raise NotImplementedError): the subclasses' overrides run
        reached = next(((name, found) for fn, found in opening.items() if fn.name == name and any(
            (dotted(base) or "").rpartition(".")[2] == cls.name
            for base in getattr(found[0].parents.get(fn), "bases", []))), None)
    return reached


def _per_iteration_through_methods(project: Project, modules: list[SourceModule], openers: list) -> Iterator[Finding]:
    """``for table in tables: self._run_query_internal(...)`` where that method (in the class or a project base
    class) reaches, through ``self.`` calls dispatched on the looping class, a method that opens a connection
    with its object's settings (not with its own arguments, which may name another database each turn)."""
    opening = {fn: found for fn, found in _opening_methods(openers).items()
               if isinstance(found[0].parents.get(fn), ast.ClassDef)}
    if not opening:
        return
    for module in modules:
        for call in module.nodes_of(ast.Call):
            func = call.func
            if not (isinstance(func, ast.Attribute) and dotted(func.value) == "self") or not enclosing_loops(module, call):
                continue
            loop = enclosing_loops(module, call)[0]
            cls = next((p for p in ancestors(module, call) if isinstance(p, ast.ClassDef)), None)
            if cls is None or _retry_loop(module, call, loop) or _turn_is_a_cycle(project, module, loop):
                continue
            reached = _reach_opener(project, module, cls, func.attr, opening, HELPER_DEPTH, set())
            if reached is not None:
                via, (opener_module, opener, factory) = reached
                yield _finding(module, call, Confidence.medium,
                               f"self.{func.attr}() opens a new {_what(factory)} on every loop iteration "
                               f"({dotted(opener.func) or factory}() in {via}(), {opener_module.path}:{opener.lineno})",
                               "open one connection before the loop and run every query of the loop on it",
                               factory=factory)


def _opening_methods(openers: list) -> dict:
    """Function -> (module, call, factory) for each function that opens a connection with its object's or
    module's settings, unconditionally (not lazily, not per loop turn, not with its own arguments)."""
    return {fn: (module, call, factory) for module, call, fn, factory in openers
            if not _lazy_guard(module, call, fn) and not _memoized(module, call, fn) and not _opens_with_arguments(call, fn)
            and not _per_iteration(module, call)}


def _opens_with_arguments(call: ast.Call, fn: ast.AST) -> bool:
    params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]} - {"self", "cls"}
    return any(isinstance(n, ast.Name) and n.id in params
               for a in [*call.args, *(k.value for k in call.keywords)] for n in walk_nodes(a))


def _reach_opener(project: Project, module: SourceModule, cls: ast.ClassDef, name: str, opening: dict, depth: int,
                  seen: set) -> tuple[str, tuple] | None:
    """(method, opener) when ``self.<name>()`` on an instance of ``cls`` opens a connection, ``depth`` calls deep."""
    found = method_in_hierarchy(project, module, cls, name)
    if found is None or found[1] in seen:
        return None
    seen.add(found[1])
    if found[1] in opening:
        return name, opening[found[1]]
    if depth == 0:
        return None
    for node in walk_function_body(found[1]):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) == "self" \
                and not kept_for_the_request(found[0], node):  # g.db = self.connect(): once per request, not per call
            reached = _reach_opener(project, module, cls, node.func.attr, opening, depth - 1, seen)
            if reached is not None:
                return reached
    return None


def _opener(project: Project, module: SourceModule, call: ast.Call) -> str | None:
    """The library factory of the connection, pool, engine or Redis client ``call`` opens: directly, or through
    a project function that returns what it opens (``create_main_engine()`` over ``create_async_engine()``)."""
    if method_name(call) in OPENER_TAILS:
        name = library_call_name(module, call)
        if name in OPENERS and not (name in REDIS_CLIENTS and over_given_pool(call)):
            return name
    if isinstance(call.func, (ast.Name, ast.Attribute)):
        made = project_resource(project, module, call)
        if made is not None and made[0] in FACTORY_KINDS and made[1] in OPENERS:
            return made[1]
    return None


def _is_factory(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """A top-level project function that returns what it opens: its callers are judged, where they call it."""
    return isinstance(module.parents.get(fn), ast.Module) and returned_resource(project, module, fn) is not None


def _kept(module: SourceModule, call: ast.Call) -> bool:
    """Stored beyond the call: ``self.engine = ...``, ``app.state.pool = ...``, a global."""
    site = module.parents.get(call)
    parent = module.parents.get(site) if isinstance(site, ast.Await) else site
    if not isinstance(parent, (ast.Assign, ast.AnnAssign)):
        return False
    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
    fn = enclosing_function(module, call)
    shared = declared_globals(fn) if fn else set()
    return any(isinstance(t, (ast.Attribute, ast.Subscript)) or isinstance(t, ast.Name) and t.id in shared
               for t in targets)


def _what(factory: str) -> str:
    if factory in DB_POOLS:
        return "connection pool"
    if factory in REDIS_CLIENTS:
        return "Redis client (and its connection pool)"
    if factory in ENGINES | ENGINE_MANAGERS:
        return "engine (and its pool)"
    if factory in CELERY_APPS:
        return "Celery app (and its broker connection pool)"
    if factory in SEARCH_CLIENTS:
        return f"{SEARCH_CLIENTS[factory]} (and its connection pool)"
    return "database connection"


def _per_request_functions(project: Project, modules: list[SourceModule]) -> tuple[dict, dict]:
    """Functions that run on every request or job -> (how they are reached, whether they are the handler or
    task itself, "request" or "job"); and each helper among them -> the calls that run it from those functions.

    Handlers and FastAPI dependencies, then the project functions they call, HELPER_DEPTH calls deep.
    """
    owner: dict[ast.AST, SourceModule] = {}
    call_sites: dict[ast.AST, list[tuple[SourceModule, ast.Call]]] = {}
    found: dict[ast.AST, tuple[str, bool, str]] = {}
    for module in modules:
        for handler in route_handlers(module, project):
            if _only_in_development(module, handler.function):
                continue
            found[handler.function] = (f"request handler {handler.name}()", True, "request")
            owner[handler.function] = module
    for module in modules:
        for cls, method in _query_handlers(module):
            found[method] = (f"request handler {cls.name}.{method.name}()", True, "request")
            owner[method] = module
    for factory, module in _service_factories(project, modules).items():
        found.setdefault(factory, (f"per-request service factory {factory.name}()", True, "request"))
        owner.setdefault(factory, module)
    dependencies = dependency_functions(project)
    for module in modules:
        for node in module.nodes_of(*FUNCTION_TYPES):
            if node in found:
                continue
            if node in dependencies:
                found[node] = (f"per-request dependency {node.name}()", True, "request")
                owner[node] = module
            elif _is_task(project, module, node) and node not in _periodic_tasks(project):
                found[node] = (f"background task {node.name}()", True, "job")
                owner[node] = module
    frontier = list(found)
    for _depth in range(HELPER_DEPTH):
        reached: list[ast.AST] = []
        for fn in frontier:
            module = owner[fn]
            how, _, unit = found[fn]
            for node in walk_function_body(fn):
                if isinstance(node, ast.Attribute):
                    called = _property_read(project, module, node)
                elif isinstance(node, ast.Call) and not _made_once(module, node, fn) and not _memoized(module, node, fn):
                    called = _resolve_calls(project, module, node)
                else:
                    continue
                for resolved in called:
                    callee_module, callee = resolved
                    if isinstance(node, ast.Call):
                        call_sites.setdefault(callee, []).append((module, node))
                    if callee in found or is_test_path(callee_module.path):
                        continue
                    found[callee] = (f"{how} at {module.path}:{node.lineno}", False, unit)
                    owner[callee] = callee_module
                    reached.append(callee)
        frontier = reached
    return found, call_sites


def _service_factories(project: Project, modules: list[SourceModule]) -> dict[ast.AST, SourceModule]:
    """``config.register_service_factory(RedisCache.create_service, ICache)``: pyramid_services calls the factory
    the first time each request (or task) asks for the service, so what it builds is built once per request."""
    found: dict[ast.AST, SourceModule] = {}
    for module in modules:
        for call in module.nodes_of(ast.Call):
            if method_name(call) != "register_service_factory" or not call.args:
                continue
            target = call.args[0]
            resolved = [resolve_function(project, module, target)]
            if isinstance(target, ast.Attribute):
                resolved += [method_in_hierarchy(project, made[0], made[1], target.attr)
                             for made in _named_classes(project, module, call, target.value)]
            found.update((fn, owner) for owner, fn in filter(None, resolved))
    return found


def _named_classes(project: Project, module: SourceModule, site: ast.AST, node: ast.expr) -> list:
    """The project classes ``node`` names at ``site``: the class itself, or each class a local of the enclosing
    function is assigned (``cache_class = RedisCache`` in one branch, ``NullCache`` in another)."""
    named = project_class(module, project, node)
    if named is not None:
        return [named]
    fn = enclosing_function(module, site)
    if not isinstance(node, ast.Name) or fn is None:
        return []
    assigned = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)]
    return [made for value in assigned if (made := project_class(module, project, value)) is not None]


def _query_handlers(module: SourceModule) -> Iterator[tuple[ast.ClassDef, ast.AST]]:
    """``class ArtistQuery(datasethoster.Query): def fetch(self, params, ...)``: the dataset host calls
    ``fetch()`` on every API request to the query's endpoint."""
    for cls in module.nodes_of(ast.ClassDef):
        for base in cls.bases:
            name = QUERY_HANDLER_BASES.get(qualified(module, base) or "")
            method = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)
            if method is not None:
                yield cls, method


def _is_task(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """A Celery/Dramatiq/RQ/Huey job function: it runs once per queued job. The decorator is the library's, or
    the project's own wrapper of it (``@tasks.task(bind=True)`` over a ``def task(**kwargs)`` in a module that
    imports celery)."""
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if (qualified(module, target) or "").rsplit(".", 1)[-1] not in TASK_DECORATORS:
            continue
        if _imports_task_library(module):
            return True
        wrapper = resolve_function(project, module, target)
        if wrapper is not None and _imports_task_library(wrapper[0]):
            return True
    return False


def _imports_task_library(module: SourceModule) -> bool:
    return any(module.imports_module(lib) for lib in TASK_LIBRARIES)


def _periodic_tasks(project: Project) -> dict:
    """Tasks put on a beat schedule (``add_periodic_task(crontab(hour=6), reindex)``): a daily or hourly run
    opening its own client once is one connection per run, not one per request."""
    return project_index(project, "R4.periodic-tasks", lambda module, index: _add_periodic(project, module, index))


def _add_periodic(project: Project, module: SourceModule, index: dict) -> None:
    for entry in module.nodes_of(ast.Dict):
        task = _beat_entry_task(project, entry)
        if task is not None:
            index[task[1]] = task[0]
    for call in module.nodes_of(ast.Call):
        if method_name(call) == "add_periodic_task" and len(call.args) > 1:
            task = call.args[1]
            if isinstance(task, ast.Call) and isinstance(task.func, ast.Attribute):  # reindex.s() signature
                task = task.func.value
            resolved = resolve_function(project, module, task)
            if resolved is not None:
                index[resolved[1]] = resolved[0]


def _beat_entry_task(project: Project, entry: ast.Dict) -> tuple[SourceModule, ast.AST] | None:
    """``{"task": "app.dashboards.tasks.cache_report", "schedule": crontab(hour=21)}``: an entry of Celery's
    ``beat_schedule`` (``CELERY_BEAT_SCHEDULE``) naming its task by dotted path."""
    values = {string_value(key): value for key, value in zip(entry.keys, entry.values)}
    task = string_value(values.get("task"))
    if "schedule" not in values or task is None:
        return None
    owner_name, _, name = task.rpartition(".")
    owner = project.by_dotted_name.get(owner_name)
    fn = top_level_function(owner, name) if owner is not None else None
    return (owner, fn) if fn is not None else None


def _resolve_calls(project: Project, module: SourceModule, call: ast.Call) -> list:
    """The project functions a call may run: a top-level function, imported or local (the last ``def`` of the
    name, not its ``@overload`` stubs), ``self.method`` (of the class or a project base class), the ``__init__`` of a project class it
    builds (``Exporter(url)``), the ``__call__`` of one built to be called at once (``Notice(dsn, payload)()``),
    or ``obj.method(...)`` on a local of unknown type when exactly one project class defines a method of that
    compound name (``connector.get_results(...)``: one ``get_results`` in the project)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        cls = next((p for p in ancestors(module, call) if isinstance(p, ast.ClassDef)), None)
        found = method_in_hierarchy(project, module, cls, func.attr) if cls is not None else None
        return [found] if found is not None else []
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id not in module.imports \
            and "_" in func.attr.strip("_") and resolve_function(project, module, func) is None:
        defined = methods_by_name(project).get(func.attr, [])
        return [(owner, method) for owner, _, method in defined] if len(defined) == 1 else []
    if isinstance(func, ast.Call):  # ``Notice(dsn, channel, payload)()``: the object is built to be called
        made = project_class(module, project, func.func)
        method = method_in_hierarchy(project, made[0], made[1], "__call__") if made is not None else None
        return [method] if method is not None else []
    resolved = resolve_function(project, module, func)
    if resolved is not None:
        return [resolved]
    made = project_class(module, project, func) or _own_class(module, call)  # ``Exporter(url)``, ``cls(url)``
    init = method_in_hierarchy(project, made[0], made[1], "__init__") if made is not None else None
    return [init] if init is not None else []


def _property_read(project: Project, module: SourceModule, node: ast.Attribute) -> list:
    """The ``@property`` a read runs: ``self.celery_app`` (of the class or a project base class), or
    ``conda.celery_app`` on a local of unknown type when exactly one project class defines that compound name."""
    parent = module.parents.get(node)
    if not isinstance(node.ctx, ast.Load) or isinstance(parent, ast.Call) and parent.func is node \
            or not isinstance(node.value, ast.Name):
        return []
    if node.value.id in ("self", "cls"):
        cls = next((p for p in ancestors(module, node) if isinstance(p, ast.ClassDef)), None)
        found = method_in_hierarchy(project, module, cls, node.attr) if cls is not None else None
        candidates = [found] if found is not None else []
    elif node.value.id not in module.imports and "_" in node.attr.strip("_"):
        defined = methods_by_name(project).get(node.attr, [])
        candidates = [(owner, method) for owner, _, method in defined] if len(defined) == 1 else []
    else:
        return []
    return [(owner, fn) for owner, fn in candidates if any(dotted(d) == "property" for d in fn.decorator_list)]


def _own_class(module: SourceModule, call: ast.Call) -> tuple[SourceModule, ast.ClassDef] | None:
    """The class a classmethod builds with ``cls(...)``."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "cls"):
        return None
    cls = next((p for p in ancestors(module, call) if isinstance(p, ast.ClassDef)), None)
    return (module, cls) if cls is not None else None


def _lazy_guard(module: SourceModule, call: ast.Call, stop: ast.AST) -> bool:
    """``if _pool is None: _pool = create_pool()``: created once, then reused."""
    for parent in ancestors(module, call):
        if parent is stop:
            return False
        if isinstance(parent, ast.If) and _is_guard_test(parent.test):
            return True
    return False


def _memoized(module: SourceModule, call: ast.Call, fn: ast.AST) -> bool:
    """A getter that returns what it built before: ``cached = store.get("client"); if cached is not None: return
    cached`` (or ``if hasattr(self, "_factory"): return self._factory``) ahead of the call, whose result it then keeps
    there (``store["client"] = client``, ``self._factory = build()``), or a function whose decorator memoises it
    (``@lru_cache``, ``@cache``). Built once per process, not per call; a cache on the request itself
    (``request._db``, ``flask.g``) is not a memo."""
    if any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1].lower() in MEMOISING_DECORATORS
           for d in fn.decorator_list):
        return True
    kept = _kept_in(module, call, fn)
    if not kept:
        return False
    cache_names = kept | {t.id for n in walk_function_body(fn) if isinstance(n, ast.Assign) and _mentions(n.value, kept)
                          for t in n.targets if isinstance(t, ast.Name)}
    return any(isinstance(n, ast.If) and n.lineno < call.lineno and any(isinstance(s, ast.Return) for s in n.body)
               and _mentions(n.test, cache_names) for n in walk_function_body(fn))


def _kept_in(module: SourceModule, call: ast.Call, fn: ast.AST) -> set[str]:
    """Where the function keeps what ``call`` returns: ``self._factory = call`` -> ``self._factory``,
    ``client = call; store["client"] = (pid, client)`` -> ``store``."""
    site = module.parents.get(call)
    assignment = module.parents.get(site) if isinstance(site, ast.Await) else site
    if not isinstance(assignment, ast.Assign):
        return set()
    kept = {_cache_key(t) for t in assignment.targets}
    names = {t.id for t in assignment.targets if isinstance(t, ast.Name)}
    kept |= {_cache_key(t) for n in walk_function_body(fn) if isinstance(n, ast.Assign) and n.lineno > call.lineno
             and any(isinstance(v, ast.Name) and v.id in names for v in walk_nodes(n.value)) for t in n.targets}
    return {key for key in kept - {None} if (root := key.split(".", 1)[0]) not in REQUEST_OBJECTS
            and module.imports.get(root, root) not in REQUEST_GLOBALS}


def _cache_key(target: ast.expr) -> str | None:
    if isinstance(target, ast.Attribute):
        return dotted(target)
    if isinstance(target, ast.Subscript):
        return dotted(target.value)
    return None


def _mentions(node: ast.AST, keys: set[str]) -> bool:
    """Whether ``node`` reads one of ``keys``: ``store.get(...)``, ``self._factory``, ``hasattr(self, "_factory")``."""
    for n in walk_nodes(node):
        if isinstance(n, (ast.Name, ast.Attribute)) and dotted(n) in keys:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "hasattr" and len(n.args) == 2 \
                and isinstance(n.args[1], ast.Constant) and f"{dotted(n.args[0])}.{n.args[1].value}" in keys:
            return True
    return False


def _connects_where_the_request_says(module: SourceModule, call: ast.Call, fn: ast.AST, call_sites: dict) -> bool:
    """``req = await get_request_json(); conn = pyodbc.connect(f"SERVER={req['host']};...")``: the handler connects
    to the database the request names (testing a user's data source), so there is no pool of the service to take
    the connection from. Also a helper that connects to the host it is given (``def get_client(host, port):
    Elasticsearch(hosts=[{"host": host, ...}])``) when every call that runs it per request hands it a host read
    from the request (``ping(data)`` ... ``get_client(data.host, data.port)``, ``data = Body(...)``)."""
    return _from_the_request(module, fn, [*call.args, *(k.value for k in call.keywords)], call_sites,
                             HELPER_DEPTH, peers_only=True)


def _from_the_request(module: SourceModule, fn: ast.AST, exprs: list[ast.expr], call_sites: dict, depth: int,
                      peers_only: bool = False) -> bool:
    """Whether ``exprs`` (followed through the locals of ``fn``) read what the request carries: request data, a
    handler's ``Body(...)``/``Form(...)`` parameter, or a parameter every per-request caller fills from the
    request. With ``peers_only``, only a parameter that names a peer (``host``, ``data.host``) counts."""
    values: dict[str, list[ast.expr]] = {}
    for n in walk_function_body(fn):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name):
                    values.setdefault(t.id, []).append(n.value)
    parameters = {a.arg: a for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    pending = list(exprs)
    seen: set[str] = set()
    while pending:
        expr = pending.pop()
        for n in walk_nodes(expr):
            if _request_data(module, n):
                return True
            if not isinstance(n, ast.Name) or n.id in seen:
                continue
            seen.add(n.id)
            pending.extend(values.get(n.id, ()))
            if n.id in parameters and (not peers_only or _names_a_peer(module, n)) \
                    and (_request_body_parameter(fn, n.id) or depth > 0 and _filled_from_the_request(
                        fn, n.id, call_sites, depth - 1)):
                return True
    return False


def _names_a_peer(module: SourceModule, name: ast.Name) -> bool:
    parent = module.parents.get(name)
    read = parent.attr if isinstance(parent, ast.Attribute) else name.id
    return PEER_NAME.search(read) is not None


def _request_body_parameter(fn: ast.AST, name: str) -> bool:
    """``data: Schema = Body(...)``: FastAPI fills the parameter from the request."""
    defaults = dict(zip(reversed([a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]), reversed(fn.args.defaults)))
    defaults.update((a.arg, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None)
    default = defaults.get(name)
    return isinstance(default, ast.Call) and (dotted(default.func) or "").rsplit(".", 1)[-1] in REQUEST_PARAMETERS


def _filled_from_the_request(fn: ast.AST, name: str, call_sites: dict, depth: int) -> bool:
    """Every per-request call of ``fn`` (but its own recursive ones) passes, for parameter ``name``, what the
    calling function read from the request."""
    sites = [(site_module, site, caller) for site_module, site in call_sites.get(fn, [])
             if (caller := enclosing_function(site_module, site)) is not fn]
    parameters = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    position = parameters.index(name) - (1 if parameters[:1] in (["self"], ["cls"]) else 0) \
        if name in parameters else None
    for site_module, site, caller in sites:
        passed = [k.value for k in site.keywords if k.arg == name] or \
            ([site.args[position]] if position is not None and 0 <= position < len(site.args) else [])
        if caller is None or not passed or not _from_the_request(site_module, caller, passed, call_sites, depth):
            return False
    return bool(sites)


def _sets_up_the_schema(fn: ast.AST) -> bool:
    """``def create_tables(): engine = create_engine(url); Base.metadata.create_all(engine)``, or a helper that runs
    ``CREATE DATABASE``: a set-up step whose statements do nothing once the schema exists; the engine it makes
    serves that one step, not the requests that happen to run it first."""
    return any(isinstance(n, ast.Call) and (method_name(n) in SCHEMA_SET_UP_CALLS or any(
        SCHEMA_SET_UP_SQL.match(text) for arg in n.args for text in [_sql_text(arg)] if text))
        for n in walk_function_body(fn))


def _sql_text(node: ast.expr) -> str | None:
    """The text of ``"CREATE ..."``, ``f"CREATE DATABASE {name}"``, ``"CREATE DATABASE {0}".format(name)`` or
    ``text(...)`` of one."""
    if isinstance(node, ast.Call) and node.args and dotted(node.func) in ("text", "sqlalchemy.text"):
        node = node.args[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        node = node.func.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        node = node.values[0]
    return string_value(node)


def _off_the_branch_callers_take(module: SourceModule, call: ast.Call, fn: ast.AST, sites: list) -> bool:
    """``def __init__(self, long_query=False): if long_query: self.conn = psycopg2.connect(...) else: self.conn =
    pool.getconn()`` reached from the requests only as ``PostgresClient()``: the connect sits under a flag that
    defaults to off, and no call that runs the function per request passes it."""
    parameters = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    offset = 1 if parameters[:1] in (["self"], ["cls"]) else 0
    defaults = dict(zip(reversed(parameters), reversed(fn.args.defaults)))
    defaults.update((a.arg, d) for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None)
    flags = set()
    child = call
    for parent in ancestors(module, call):
        if parent is fn:
            break
        if isinstance(parent, ast.If) and child in parent.body:
            tested = parent.test.values if isinstance(parent.test, ast.BoolOp) and isinstance(parent.test.op, ast.And) \
                else [parent.test]
            flags |= {t.id for t in tested if isinstance(t, ast.Name) and isinstance(defaults.get(t.id), ast.Constant)
                      and not defaults[t.id].value}
        child = parent

    def passes(site: ast.Call, flag: str) -> bool:
        position = parameters.index(flag) - offset if flag in parameters else None
        return any(isinstance(a, ast.Starred) for a in site.args) or any(
            k.arg in (None, flag) for k in site.keywords) or position is not None and len(site.args) > position

    return bool(flags) and bool(sites) and all(not passes(site, flag) for _, site in sites for flag in flags)


def _only_in_development(module: SourceModule, handler: ast.AST) -> bool:
    """``if config("LOCAL_DEV", cast=bool): @app.get("/trigger") def trigger_cron(): ...``: a route the
    application registers only in development serves no production traffic."""
    child = handler
    for parent in ancestors(module, handler):
        if isinstance(parent, ast.If) and child in parent.body and not isinstance(parent.test, ast.UnaryOp) \
                and any(DEVELOPMENT_FLAG.search(text) for n in walk_nodes(parent.test)
                        for text in [dotted(n) or string_value(n)] if text):
            return True
        child = parent
    return False


def _request_data(module: SourceModule, node: ast.AST) -> bool:
    """``request.json``, ``request.get_json()``, ``request.data``, or a project helper that reads it
    (``get_request_json()``)."""
    if isinstance(node, ast.Attribute) and node.attr in REQUEST_DATA:
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and (root.id in REQUEST_OBJECTS or qualified(module, root) in REQUEST_MODULES)
    if isinstance(node, ast.Call):
        name = (dotted(node.func) or "").rsplit(".", 1)[-1].lower()
        return "request" in name and any(part in name for part in ("json", "data", "body", "form", "args"))
    return False


def _made_once(module: SourceModule, call: ast.Call, stop: ast.AST) -> bool:
    """``if _engine is None: _engine = TransactionsEngine()``: the call builds what the guard tests, once; also
    through a local the guarded block wraps into it (``client = build_client(); _cache = CacheWrapper(client)``)."""
    assignment = module.parents.get(call)
    if isinstance(assignment, ast.Await):
        assignment = module.parents.get(assignment)
    if not isinstance(assignment, ast.Assign):
        return False
    kept = {dotted(target) for target in assignment.targets} - {None}
    for parent in ancestors(module, call):
        if parent is stop:
            return False
        if isinstance(parent, ast.If) and _is_guard_test(parent.test):
            tested = {dotted(node) for node in walk_nodes(parent.test)} - {None}
            if kept & tested or any(
                    isinstance(n, ast.Assign) and tested & {dotted(t) for t in n.targets}
                    and any(isinstance(v, ast.Name) and v.id in kept for v in walk_nodes(n.value))
                    for statement in parent.body for n in walk_nodes(statement)):
                return True
    return False


def _is_guard_test(test: ast.expr) -> bool:
    for node in walk_nodes(test):
        if isinstance(node, ast.Compare) and any(_is_none(c) for c in node.comparators):
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("closed", "broken", "is_closed"):
            return True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, (ast.Name, ast.Attribute)):
            return True
    return False


def _per_iteration(module: SourceModule, call: ast.Call) -> bool:
    loops = enclosing_loops(module, call)
    if not loops:
        return False
    loop = loops[0]
    if _uses_loop_variable(call, loop) or _lazy_guard(module, call, loop):
        return False
    return not _retry_loop(module, call, loop)


def _turn_is_a_cycle(project: Project, module: SourceModule, loop: ast.AST) -> bool:
    """A turn of ``loop`` is a cycle of work, not one item: the loop waits between turns (``time.sleep(interval)``
    in a polling worker), or it counts rather than walks data (``while True:``, ``for rank in range(lo, hi)``)
    and each turn runs a method that loops itself (``await self._index(runner)`` streaming the rows of a whole
    rank): one connection per cycle or phase serves many rows."""
    calls = [n for n in walk_function_body(loop) if isinstance(n, ast.Call)]
    if any(qualified(module, c.func) in SLEEPS for c in calls):
        return True
    counts = isinstance(loop, ast.While) or isinstance(loop, (ast.For, ast.AsyncFor)) and \
        isinstance(loop.iter, ast.Call) and dotted(loop.iter.func) == "range"
    cls = next((p for p in ancestors(module, loop) if isinstance(p, ast.ClassDef)), None)
    return counts and cls is not None and any(
        isinstance(c.func, ast.Attribute) and dotted(c.func.value) == "self"
        and _method_loops(project, module, cls, c.func.attr, HELPER_DEPTH, set()) for c in calls)


def _method_loops(project: Project, module: SourceModule, cls: ast.ClassDef, name: str, depth: int,
                  seen: set) -> bool:
    """``self.<name>()`` on an instance of ``cls`` runs a loop, itself or through its own ``self.`` calls."""
    found = method_in_hierarchy(project, module, cls, name)
    if found is None or found[1] in seen:
        return False
    seen.add(found[1])
    body = list(walk_function_body(found[1]))
    return any(isinstance(n, (ast.For, ast.AsyncFor, ast.While)) for n in body) or depth > 0 and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and dotted(n.func.value) == "self"
        and _method_loops(project, module, cls, n.func.attr, depth - 1, seen) for n in body)


def _uses_loop_variable(call: ast.Call, loop: ast.AST) -> bool:
    """The connect arguments read the loop variable, also through locals the loop body derives from it
    (``for node in nodes: host = node.rsplit(":", 1)[0]; redis.Redis(host=host)``: one client per host)."""
    targets: set[str] = set()
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        targets = {n.id for n in walk_nodes(loop.target) if isinstance(n, ast.Name)}
        derived = [n for n in walk_function_body(loop) if isinstance(n, ast.Assign)]
        grown = True
        while grown:
            grown = False
            for assignment in derived:
                names = {t.id for target in assignment.targets for t in walk_nodes(target) if isinstance(t, ast.Name)}
                if names - targets and any(isinstance(v, ast.Name) and v.id in targets
                                           for v in walk_nodes(assignment.value)):
                    targets |= names
                    grown = True
    elif isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        targets = {n.id for g in loop.generators for n in walk_nodes(g.target) if isinstance(n, ast.Name)}
    arguments = [*call.args, *(kw.value for kw in call.keywords)]
    return any(isinstance(n, ast.Name) and n.id in targets for a in arguments for n in walk_nodes(a))


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _retry_loop(module: SourceModule, call: ast.Call, loop: ast.AST) -> bool:
    """The connect is attempted in a ``try`` and the loop ends once it succeeds."""
    in_try = any(isinstance(p, ast.Try) and any(call is n for s in p.body for n in walk_nodes(s))
                 for p in _ancestors_until(module, call, loop))
    if not in_try or not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
        return False
    return any(isinstance(n, (ast.Break, ast.Return)) and _innermost_loop(module, n) is loop
               for n in walk_function_body(loop))


def _ancestors_until(module: SourceModule, node: ast.AST, stop: ast.AST) -> Iterator[ast.AST]:
    for parent in ancestors(module, node):
        if parent is stop:
            return
        yield parent


def _innermost_loop(module: SourceModule, node: ast.AST) -> ast.AST | None:
    for parent in ancestors(module, node):
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return parent
    return None


def _finding(module: SourceModule, call: ast.AST, confidence: Confidence, message: str, fix: str = "",
             factory: str = "") -> Finding:
    return Finding(message=message, path=module.path, line=call.lineno,
                   end_line=getattr(call, "end_lineno", call.lineno), evidence=module.evidence(call),
                   fix=fix or _pool_fix(factory), confidence=confidence)


def _pool_fix(factory: str) -> str:
    if factory in REDIS_CLIENTS:
        return "create one Redis client (or ConnectionPool) at startup and share it; it is safe to share"
    if factory in ENGINES | ENGINE_MANAGERS:
        return "create the engine once at module level or at startup and reuse it (it pools connections)"
    if factory in DB_POOLS:
        return "create the pool once at startup (lifespan/main) and share it"
    if factory in CELERY_APPS:
        return "create the Celery app once (at module level, or kept on the object after the first build) and reuse it"
    if factory in SEARCH_CLIENTS:
        return f"create one {SEARCH_CLIENTS[factory]} at module level or at startup and share it; it is thread-safe"
    if factory.startswith("asyncpg"):
        return "create one asyncpg pool at startup and `async with pool.acquire() as conn:` per request"
    return "take connections from a pool opened at startup (psycopg_pool.ConnectionPool: `with pool.connection() as conn:`)"
