"""R4.resource-not-closed: a connection, file, socket or client that nothing closes.

## What it does
Inside a function, reports a resource acquired outside `with`/`async with` that is
neither closed in a `finally` block nor handed to an owner (a context manager entered by hand is closed by its
exit: `await client.__aexit__(None, None, None)`). Resources are files
(`open`, `io.open`, `gzip.open`, `Path(p).open()`, `tempfile.NamedTemporaryFile`,
`TemporaryFile`, `SpooledTemporaryFile`, ..., and a file a Django storage opens, on a receiver named
like one: `default_storage.open(name)`, `build_media_storage.open(path)`, a local file or a remote
body such as S3's streaming response), the descriptor of `fd, path = tempfile.mkstemp()` (an int the
garbage collector never closes: dropped as `_` or `mkstemp()[1]`, or never closed by `os.close(fd)` or by the
file object `os.fdopen(fd)` wraps it in), PDF documents opened from a file (`pikepdf.open`, PyMuPDF's
`fitz.open`), database connections (`psycopg.connect`,
`psycopg2.connect`, `asyncpg.connect`, `sqlite3.connect`, `pymysql.connect`,
`dataset.connect`, `pyodbc.connect`, `pymssql.connect`, `oracledb.connect`, pyhive's
`hive.connect`, `ibm_db.connect`, ...),
pools (`asyncpg.create_pool`, `psycopg_pool.ConnectionPool`, `psycopg2.pool.*`),
cursors (`conn.cursor()`), sockets (`socket.socket`, `socket.create_connection`,
websocket-client's `create_connection`, the websockets library's `await websockets.connect(url)` outside `async with`
(also awaited through `asyncio.wait_for(websockets.connect(url), 30)`), http.client's
`HTTPConnection`/`HTTPSConnection`, TLS sockets from `ssl.wrap_socket(sock)` or `context.wrap_socket(sock)`,
which take over the socket they wrap),
zip archives opened to write (`zipfile.ZipFile(p, "w")`, also `"a"`/`"x"`: `close()` writes the
central directory; a close outside `finally` is reported, low, only for an archive written to a path,
`ZipFile(zip_path, "w")`, which an exception leaves open and half-written there, not one written over a file
object its caller owns), archives opened to read from a path, which hold the file open
(`zipfile.ZipFile(path)`, `tarfile.TarFile(path)`/`tarfile.open(path)`, `rarfile.RarFile(path)`,
`py7zr.SevenZipFile(path)`, a path being a string, a name like `tmp_file_name`, or a local bound to
`os.path.join(...)`; not one over a file object or bytes, `ZipFile(BytesIO(data))`),
child processes (`subprocess.Popen`, `asyncio.create_subprocess_exec`/`_shell`), which
must be reaped by `wait()`/`communicate()` (a `poll()` loop or `kill()` count too, and so
does a reap later in the body, without a `finally`, unless the child has pipes, `stdin=PIPE`/`stdout=PIPE`/`stderr=PIPE`,
and a call before the reap may raise, `proc.stdin.write(data)` ... `proc.wait(timeout=60)`: that exception leaves
the child running and its pipes open, reported with low confidence; a child whose output goes to a pipe,
`stdout=PIPE`/`stderr=PIPE`, that nothing reads before `wait()` is reported too: `wait()` blocks for ever once the
child fills the pipe, and the pipe is never closed (`communicate()` reads while it waits); a `Popen(...)` statement whose
result is dropped is a detached child, on purpose, and is not reported, nor is one
started in a session of its own: `start_new_session=True`, `preexec_fn=os.setsid`, or
`os.setsid()` called first by the process that starts it),
HTTP sessions/clients (`requests.Session`, `httpx.Client`/`AsyncClient`,
`aiohttp.ClientSession`), HTTP responses requested with `stream=True` (`requests.get(url, stream=True)`,
`session.post(..., stream=True)`), which hold their pooled connection until closed or read to the end
(`for chunk in r.iter_content()` run to its end, `.content`, `.json()`: a release; a loop that may `break` or
`return` first is not; an iterator handed on, `StreamingHttpResponse(r.iter_content())`, is drained by its taker; nor
one requested from a session entered by `with`, `with requests.Session() as s: r = s.get(url, stream=True)`, whose
exit closes the session's pool and the response's connection with it), Redis clients (`redis.from_url`, `redis.Redis(...)`, arq's `await create_pool(settings)`: each builds a
connection pool of its own; not one over a pool it is given), clients of other servers (ldap3's `Connection` and python-ldap's
`ldap.initialize`, closed by `unbind()`/`unbind_s()`; `pymongo.MongoClient`; GitPython's `git.Repo(path)`, whose
object database runs `git cat-file` processes until `close()`; `Elasticsearch`/`OpenSearch`
clients, each a pool of HTTP connections to the cluster; a Cassandra
`Cluster`, closed by `shutdown()`; `openai.OpenAI`/`AsyncOpenAI`; Segment's analytics `Client`, whose
consumer threads run, and which atexit keeps, until its `shutdown()`; paramiko's `SSHClient` and `Transport`; MCP transports and sessions entered by hand, `transport =
stdio_client(params); await transport.__aenter__()`, which start a server process or connection that only their
`__aexit__` ends (never entered, they open nothing); `smtplib.SMTP`/`SMTP_SSL`/`LMTP` and `aiosmtplib.SMTP`, closed
by `quit()`, which is often called only after the mail went out; the standard library's other protocol clients,
`poplib.POP3`/`POP3_SSL` (`quit()`), `imaplib.IMAP4`/`IMAP4_SSL` (`logout()`), `ftplib.FTP`/`FTP_TLS`,
`telnetlib.Telnet`, and impacket's `SMBConnection`; Django's `GeoIP2()`, which opens the MaxMind database
files until its `close()`; a `logging.FileHandler` (and the rotating ones), which holds its file until `close()`:
one added to a logger, `root.addHandler(handler)`, is the logger's, unless the function takes it off again,
`root.removeHandler(handler)`, which does not close it; any of these also when a class names it as a class attribute
and builds it through `self`: `client = smtplib.SMTP` ... `relay = self.client(host, port)`), a Redis `PubSub` (`p = r.pubsub()` in a module that imports redis: it holds a connection of its own until
`p.close()`/`p.reset()`), Playwright browsers, contexts and pages in a module that imports playwright
(`await pw.chromium.launch()`, `chromium.connect_over_cdp(url)`, `await browser.new_context()`,
`browser.new_page()`; not a page or context of a browser the function opens itself, closed with it, and none
inside `with sync_playwright()`/`async with async_playwright()`, whose exit ends every browser of its driver), Pillow's `Image.open` of a
path (given a file object, Pillow leaves it to its owner, and so for a parameter whose name says it may be one,
`filename_or_stream`; an image whose pixels are loaded,
`Image.open(p).convert(...)`, `img.save(...)`, `img.thumbnail(...)`, `ImageOps.exif_transpose(img)`, `np.array(img)` or a
project function that crops or resizes its parameter, has its file closed by Pillow after loading, for
single-frame images; one never loaded is reported, medium: it waits for the garbage collector), and connections checked out of a pool or engine
(`pool.getconn()`, `await pool.acquire()` on a receiver named like a pool,
`engine.connect()`, `engine.raw_connection()`, also on an engine from a getter,
`backend.get_write_engine().connect()`), which must go back with
`pool.putconn(conn)` / `await pool.release(conn)` or `close()`, SQLAlchemy
sessions (`Session(engine)`, or a call of a module-level
`SessionLocal = sessionmaker(...)` of this file or an imported one; also a project helper that
returns one, `def get_session_sync(): return Session(engine)`, a dependency generator advanced by hand,
`next(get_session())`, whose `with Session(engine)` block stays suspended, and a project class whose
`__init__` keeps one it opens when the caller hands none in, `self.db = db or get_session_sync()`, with no
way to close it), which hold a
pooled connection until closed (not one bound to a connection already checked out,
`Session(bind=session.connection())`); a session handed to project functions that only
query through it (`count_rows(session)`, also one passing it on to another such function) is
still the caller's to close, and so is one whose query result the caller returns; and Django field files opened in place through a
local bound to a `FileField`/`ImageField` of a project model (`archive =
job.archive_file; archive.open("rb")`, closed by `archive.close()`; an upload handed in
as a parameter is not followed); temporary directories bound to a local, `tempfile.mkdtemp()` (removed by
`shutil.rmtree(path)`) and `tempfile.TemporaryDirectory()` outside `with` (removed by `cleanup()`), judged only
when the function removes them somewhere (one removed nowhere may be kept on purpose, and `TemporaryDirectory`'s
finalizer removes it once freed); and an object a project helper pair opens and closes in place,
`self.open_napalm_device(device)` ... `self.close_napalm_device(device)`, an `open_<thing>` function beside a
`close_<thing>` of the same class or module, when the helper opens the object it is given (`device.open()`,
`client.connect()`; not a domain step named `open_registration(tourney, initiator)` that returns a changed
record): the object handed in is the resource. A project function that returns what it opens
(`def connect(**kw): conn = psycopg2.connect(**kw); ...; return conn`, also over a few
such functions, under an import alias, also one that rebinds the local to a wrapper that takes it over, `sock =
socket.socket(); sock = context.wrap_socket(sock); return sock`, and a method called on `self`/`cls` or a static or class method called
on its class: `IdResolver.create_connection(server=pool)`) is a factory of the same resource: its
callers are judged; so is a project class whose construction opens a client of another server and keeps
it (`self.http = ClientSession()` in `__init__` or in a method `__init__` calls; also `self.session = session or
requests.Session()` when the caller hands no session in: `AniDBClient(key)`, not `AniDBClient(key, session=s)`)
but offers no way to close it (no teardown method in the class or its project bases, and nothing in the project closes that attribute;
and the client is what the class wraps, used by at least half of the methods that do not build it: a per-job object,
`Run(args)` with prepare/start/collect steps of which two report back through `self.requests_session`, is the
lifecycle owner of its client, which goes with it):
each instance (`self.client = RemoteApi(state)` on every login) holds a client only the garbage collector
ends (also a plugin class handed in as a type: `def setup(loader: Type[Loader], config): loader(config).run()`
builds one when a project subclass of `Loader` is such a class); so is one that returns it inside a tuple, at the same position in every
tuple it returns (`return archive, meta`): the caller that unpacks it (`archive, meta =
read_archive(p)`) owns it, and one that drops it (`_, meta = ...`) leaks it (a tuple kept whole
is not followed); a Redis client built over a pool it is given
(`Redis(connection_pool=pool)`) opens nothing of its own and is not such a resource. SQLAlchemy engines (`create_engine`, `create_async_engine`, or such a
factory) are judged only when the function disposes of them itself (a per-use engine);
an engine made and dropped is R4.connect-per-request's concern, and a `Session(engine)`
borrows the engine, it does not own it.

Ownership moves are not leaks, so these stay silent: the resource is returned or
yielded to the caller (also as what its method returns, the same object: a cursor's `execute()` in psycopg 3
and sqlite3, `return cur.execute(sql)`; not in a module using only psycopg2 or a MySQL driver, whose `execute()`
returns None or a row count), stored on an attribute (`self.conn = ...`, `app.state.pool =
...`, `setattr(client, "session", session)`, a module global: `global _proc; _proc = proc`) or in a container (`pools[name] = ...`, `conns.append(...)`), passed to a class
constructor whose object is returned or stored (`return Repository(conn)`), to the `__init__` of the object being
built (`super().__init__(file, name)` in an `UploadedFile` subclass, which keeps and closes it), to a method of `self` (not one of
the class that only calls the resource's methods, `self._submit(session, data)`, which keeps nothing) or a
setter (`self.set_socket(sock)`, `loop.add_reader(sock, ...)`), or to a call whose
result is returned or stored (`return send_file(handle)`, `transport =
make_transport(sock); return transport`), entered into an
`ExitStack`/`AsyncExitStack` (`stack.enter_context(...)`), wrapped in
`contextlib.closing(...)`, handed as `sock=` to the asyncio server or transport that takes it over
(`asyncio.start_server(handle, sock=sock)`, `asyncio.open_connection(sock=sock)`,
`loop.create_server(factory, sock=sock)`, aiohttp's `SockSite`), its descriptor duplicated onto another
(`os.dup2(null.fileno(), sys.stdin.fileno())`: a daemon redirecting its standard streams once), given back by a cleanup helper (`pool.putconn(conn)`, `_sync_close(f)`) or handed to a project
function that closes what it is given (`def consume(handle): with handle: ...`; it counts as a close at the call), its
`close` registered as a callback (`atexit.register(
conn.close)`, `stack.callback(f.close)`, `request.addfinalizer(...)`), an I/O method of it
handed on (`tracer.set_writer(log.write)`: the callee keeps it alive), or captured by a
nested function that outlives the call (decorated, returned, passed on). A nested
function that is only called in place is part of the function: its uses and closes
count as the function's. A wrapper built around the resource and kept in a local
(`wrapped = File(handle)`) stands for it: closing or handing over the wrapper counts,
and a wrapper that is dropped leaks the resource. A file opened in a cached function (`@lru_cache`,
`@cache`, `@cached(...)`, or one that keeps what it read in a module-level dict it checks first) is
opened once per key and freed as soon as it is read: not reported. A plain generator that yields the
resource and closes it after the `yield` (pytest fixtures, which resume the generator
normally) is fine, and so is an application lifespan (passed as `lifespan=`, named
`lifespan`, or taking the app) that closes after its `yield`: that code runs at
shutdown. A `@contextmanager`/`@asynccontextmanager` generator or a FastAPI dependency
that closes after the `yield` but not in a `finally` is reported (medium): an
exception in the caller's block is thrown in at the `yield` and skips the close.
A resource stored on `self` whose attribute nothing in the project closes (no `.http.close()`, `with`,
cleanup helper, `storage.close(conn)` of a local read from it, or `getattr` by name) is reported when the object's end or a replacement is known:
its class has a teardown that takes nothing but `self` (`close()`, `aclose()`, `delete()`, `dispose()`,
`shutdown()`, `__exit__`, `__del__`; not `stop()`, after which an object may start again), reported
there; or the method storing it is no `__init__`, is called again on an object that may have run it before
(`api.setup_http()` on a proxy change, `self.connect()` in a retry loop; not an override's `super().config(c)`, a
call on an object its caller has just built or fetched, `plugin = cls(c); plugin.start()`, nor a step of a
template method, `self.config(c)` in `start()`, unless that method runs again) and does not test the attribute
first (`if self.http is None:`, or returns the one kept before: `if self.conn: return self.conn`),
so each call drops the previous one unclosed (also when a teardown closes the attribute, if the method lets go of
nothing first, `self.conn.close()`/`self.close()`, and a method of the class runs it and lets go of nothing either:
`conn = self.get_connection(); return conn.list_database_names()`, so the next call drops that one open), unless its class (or a project base) lets go of it in a way
the project-wide look cannot see: a property returns it and that property is closed or reaped (`@property
def process(self): return self._process` ... `self.process.wait(1)`), or a method hands it to a new object
that keeps it and then forgets it (`UploadedFile(_file=self.current_file)` ... `self.current_file = None`).
A GitPython `Repo` replaced on `self` (`self.repository = Repo(new_path)` after a move) is not reported: its
`__del__` closes the old one as it goes.
Module-level and class-level
resources, and those of a top-level function the project calls only from module-level code
(`publisher_store.init()` in a module's body, run once at import), live as long as the process
(a function that only test code calls is a helper of the test suite: not audited either) and are judged by R4.no-graceful-shutdown.
Except a process pool made in a module's body for one job (`pool = Pool(processes=1)`, `pool.apply_async(job).get()`,
also under a module-level `try`), never closed, terminated or joined and named by no function of the module: its
idle workers stay alive for the life of the service (medium).

Decisions:
- A close in a `finally` covers only its own `try`: a `raise` or `return` between the acquisition and
  that `try` (`log = open(p)`, `if not enabled: raise Unavailable()`, then `try: ... finally: log.close()`)
  leaves with the resource open, and is reported (medium), unless a close of its own precedes it. Not for
  an engine left by an `except` of the `try` that creates it (`try: engine = create_engine(url)` ...
  `except Exception: return -1`): an engine connects on first use, that path opened nothing; nor for any
  resource whose acquisition ends that `try` (`try: client = create_ssh_client(s)` `except Exception: return`).
- `.close()` later in the function but not in a `finally`: a `return` or `raise` in a statement that follows
  the acquisition and comes before the first close (`client = get_redis_client()`, `if over_limit: return
  REJECT`, ..., `await client.close()`) leaves with the resource open on an ordinary path: reported (medium; low
  for files and cursors, which reference counting closes as the function returns). Otherwise reported with low
  confidence when a call, `await` or `raise` between the acquisition and the close can
  skip it; silent when nothing in between can raise, or when an `except` handler closes
  it too, or when what can raise sits in a `try` that ends before the close and catches everything, only logging
  (`try: smtp.send_message(m)` `except Exception: log.exception(...)`, then `smtp.quit()`). Silent as well for a file read or written by a step of the start-up (a function only `main()`
  calls, or a method only the `__init__` of its class calls, a class itself built only by `main()` or by
  such an `__init__`: certificates, a schema, a configuration write-back): an exception there stops the
  service, and the file is freed with it. Silent too for a file closed on the statement right after the one
  that opened it and a single write of its own (`fp = open(p, "w")`, `fp.write(data)`, `fp.close()`): only that
  write's failure skips the close, and reference counting frees the file as the exception leaves the function.
- `with psycopg2.connect(...) as conn` and `with sqlite3.connect(...) as conn` only commit or
  roll back; they do not close the connection. Both drivers close it when the object is freed,
  so a local of an ordinary function is closed when the function returns (CPython's reference
  counting): not reported; the connection opened per call is R4.connect-per-request's concern.
  In a generator the frame, and the connection, stay alive while it is suspended: reported
  (medium).
- A temporary file made for its path only (`tf = NamedTemporaryFile(delete=False)`, used
  as nothing but `tf.name`) is closed the same way when the function returns: not reported,
  except in a generator.
- `conn.close()` of an asyncio resource (asyncpg, aiohttp, httpx.AsyncClient, psycopg
  async, aiosqlite, aiomysql, aiopg) without `await` closes nothing and is reported
  with high confidence (awaited through `asyncio.wait_for`, `gather` or `shield` counts:
  `await asyncio.wait_for(proc.communicate(), timeout)`).
- A resource used inline and dropped (`open(p).read()`, `json.load(open(p))`,
  `for line in open(p)`, `NamedTemporaryFile(delete=False).name`, handed to a builtin
  that consumes it, `list(open(p))`, or to a library function that only uses it and
  whose result is not handed on, `subprocess.call(cmd, stdout=open(os.devnull, "w"))`; an HTTP request given it
  as its body, `requests.put(url, data=open(p, "rb"))`, also bound first, `body = open(p, "rb")` ...
  `resp = session.put(url, data=body)`: the response never closes its body, returned or not; a library function kept
  on `self` under a name of the class, `self.atranscription(file=open(p, "rb"))` after `self.atranscription =
  atranscription`; Django's `File(open(p, "rb"))` given to `field.save(name, ...)`, which reads it and closes nothing;
  not to a project function, a constructor, a setter, or a call whose result is
  returned or stored, which may own it) is
  reported with low confidence for files (CPython's reference counting closes them at
  once; other interpreters do not) and medium confidence otherwise. A cursor made and dropped at once
  (`connection.cursor()` only to force Django to connect) runs nothing and is not reported.
- A cursor of a connection that this function itself opens (also through a project function or method that
  returns one, `conn = self.connect()`), or closes in a `finally`, is not reported separately: closing the
  connection closes its cursors. Nor is a client-side cursor of a connection the function closes anywhere (a
  leak of the connection on an error is the connection's finding), or of one taken from an accessor that keeps
  it on `flask.g` (`self.get_db().cursor()`: the request's teardown closes it), or of a connection parameter
  that every caller holds in a `with` (`with connect(db) as conn: drop_schema(name, conn)`: its exit closes the
  connection, psycopg 3's, and a client-side cursor holds nothing on the server). Nor is Django's
  `connection.cursor()` closed later in the body but not in a `finally`: an exception that skips the close leaves
  a client-side wrapper freed on return, while the connection stays Django's. Other client-side cursors get
  low confidence (freed when the name goes out of scope on CPython); server-side
  (named) cursors get high confidence, they hold a portal open on the server. A cursor of `self` in a method
  of a library's connection (a database backend's `_start_transaction_under_autocommit(self)`:
  `self.cursor().execute("BEGIN")`, also a function taking `self` patched onto one; not a project class with
  a `cursor()` of its own) mirrors the backend it extends and is not reported.
- Test files (`tests/`, `test_*.py`, `conftest.py`) and files of one-shot processes
  (migrations, `scripts/`, the top-level `tools/` and `docs/` folders, `setup.py`,
  `manage.py`, benchmarks) are not audited: what they leave open dies with the process at once.
  Django management commands stay audited (some run as long-lived workers), and so
  does the `__init__.py` of a package named `migrations` (application code). But a
  resource opened once by a command's entry point (the `handle()` of a management
  command, a click/typer `@...command` function, or a command method, or a function of the command's module that
  no other module names, that only `handle()` calls, or a top-level function of any module that only click/typer
  command functions call, or other such functions, and that the service names nowhere else: not a task it
  queues by reference, `dispatch(role_import, kwargs)`), outside any loop, is not reported:
  there is one per run, and it dies with the process (so for a file bound to a local in a loop of it, `for name
  in names: stream = open(name)`, which the next turn frees as it rebinds the name); unless the command goes on into an
  endless `while True` loop (a worker): then it is held for the worker's life.
- Modules that only a command-line program runs (its entry file: `manage.py`, or a file with a
  `__main__` block built on click/typer/argparse that serves no routes; and the modules only such
  files, or other such modules, import) are one-shot jobs: what they open once, outside any loop,
  dies with the process and is not reported (a connection per item of a loop still is). Not when
  one of those modules runs an endless `while True` loop: then the program is a worker.
- An ORM session made inline and handed to a project function that only queries through
  its parameter (`get_all(db_session=SessionLocal())`, the callee never closes, stores,
  returns or passes on the session) is reported: nobody closes it.
- `with engine.connect().execution_options(...) as conn`: `execution_options` returns the
  same connection, so the `with` closes it.
- A dotted factory counts only when its first part is an import: `dataset.connect()`
  on a local variable named `dataset` is not the dataset library.

## Why is this bad?
Every unclosed connection holds a PostgreSQL backend process (and its memory) until the
garbage collector happens to run or the server times it out; under load the service
reaches `max_connections` or the file-descriptor limit and fails requests that have
nothing to do with the leak. An exception between acquire and close is exactly when
this happens (Backend Posture R4: acquired resources must have explicit finally or
using blocks).

## Example
```python
def load_user(dsn, user_id):
    conn = psycopg.connect(dsn)
    row = conn.execute("SELECT * FROM users WHERE id = %s", (user_id,)).fetchone()
    conn.close()  # skipped when execute() raises
    return row
```

## Use instead
```python
def load_user(dsn, user_id):
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT * FROM users WHERE id = %s", (user_id,)).fetchone()
```

## References
- PEP 343, the `with` statement: https://peps.python.org/pep-0343/
- psycopg2, `with connection` does not close it: https://www.psycopg.org/docs/usage.html#with-statement
- sqlite3, connection as context manager: https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from audit_lib.findings import Confidence, Finding
from audit_lib.pyast import (catches_any_error, 
    FUNCTION_TYPES,
    ancestors,
    call_name,
    declared_globals,
    dotted,
    enclosing_function,
    enclosing_loops,
    is_none,
    is_self_attribute,
    keyword,
    method_name,
    qualified,
    walk_function_body,
    walk_nodes,
)
from audit_lib.libs.db import is_alembic_revision, project_class
from audit_lib.libs.db import resolve_function as resolve_callee
from audit_lib.libs.http import outbound_call
from audit_lib.registry import rule
from audit_lib.rules.r4_lifecycle._common import (
    CLOSE_METHODS,
    called_by_tests_only,
    called_function,
    calls_of,
    DESCRIPTOR_FACTORIES,
    DESCRIPTOR_WRAPPERS,
    ENGINES,
    HTTP_CLIENTS,
    IMAGE_LOADERS,
    IMAGE_OPENERS,
    PROCESSES,
    REDIS_CLIENTS,
    SEARCH_CLIENTS,
    SERVICE_CLIENT_CLOSERS,
    SERVICE_CLIENTS,
    client_class_attribute,
    command_line_only,
    context_generator,
    is_cursor_call,
    is_lifespan,
    is_named_cursor,
    is_one_shot_path,
    library_call_name,
    over_given_pool,
    project_index,
    project_resource,
    request_scoped_accessor,
    resolve_function,
    returned_resource,
    STREAM_DRAINS,
    is_streamed_request_factory,
    names_a_path,
    resource_kind,
    tuple_resource,
)
from audit_lib.source import Project, SourceModule, is_management_command, is_test_path

TRY_STATEMENTS = (ast.Try, getattr(ast, "TryStar", ast.Try))  # try/except* exists from Python 3.11
COMMAND_BASES = {"django.core.management.base.BaseCommand", "django.core.management.BaseCommand"}
# Methods that configure a resource and return the same object: ``conn.execution_options(...)`` (SQLAlchemy).
RETURNS_ITSELF = {"execution_options"}
EXECUTE_RETURNS_CURSOR = ("psycopg", "sqlite3")
EXECUTE_RETURNS_NO_CURSOR = ("psycopg2", "MySQLdb", "pymysql", "mysql")
# Callees that take over closing what they are given.
OWNERSHIP_SINKS = {"enter_context", "enter_async_context", "closing", "aclosing", "push", "push_async_exit"}
# Callees that register a cleanup callback (``atexit.register(conn.close)``).
CLEANUP_REGISTRARS = {"register", "callback", "push_async_callback", "addCleanup", "addfinalizer",
                      "add_done_callback", "finalize", "on_cleanup", "on_shutdown"}
# Methods that store their argument in a container or owner.
STORING_METHODS = {"append", "add", "put", "put_nowait", "insert", "setdefault", "extend", "appendleft",
                   "update", "set", "register"}
# Calls that give a pooled connection back: ``pool.putconn(conn)``, ``await pool.release(conn)``.
RELEASE_METHODS = {"putconn", "release"}
SESSIONMAKERS = {"sqlalchemy.orm.sessionmaker", "sqlalchemy.ext.asyncio.async_sessionmaker",
                 "sqlalchemy.orm.session.sessionmaker"}
SESSION_CLASSES = {"sqlalchemy.orm.Session", "sqlalchemy.ext.asyncio.AsyncSession", "sqlmodel.Session"}
# Helpers whose name says they give a resource back (``_sync_close(f)``, ``cleanup(conn)``).
CLEANUP_WORDS = ("close", "cleanup", "dispose", "release", "rmtree")
USER_DEPTH = 3  # project functions followed while a session is handed on from one to the next
SET_UP_DEPTH = 4  # classes built by the constructor of a class built by main(), followed this deep
# Methods that keep what they are given: ``server.set_socket(sock)``, ``loop.add_reader(sock, ...)``.
OWNING_PREFIXES = ("set_", "add_", "attach", "register")
CONNECTION_KINDS = {"database connection", "pooled connection", "engine connection"}
# What an object may open in its constructor and keep: clients of other servers.
NETWORK_CLIENT_KINDS = {*HTTP_CLIENTS.values(), "Redis client", "connection pool", "database connection",
                        "LDAP connection", "MongoDB client", "Cassandra cluster", "OpenAI client",
                        *SEARCH_CLIENTS.values()}
# Drivers whose connection context manager ends a transaction but leaves the connection open.
TRANSACTION_ONLY_WITH = {"psycopg2.connect", "sqlite3.connect"}
AWAITING_WRAPPERS = {"asyncio.wait_for", "asyncio.gather", "asyncio.shield"}  # await what they are given
# MCP transports and sessions: they start a child process or open a connection only once entered.
MCP_CONTEXTS = {"mcp.client.stdio.stdio_client", "mcp.client.sse.sse_client", "mcp.ClientSession",
                "mcp.client.streamable_http.streamablehttp_client", "mcp.client.session.ClientSession",
                "fastmcp.Client", "fastmcp.client.Client"}
# Resources whose close() is a coroutine: calling it without await closes nothing.
ASYNC_CLOSE = {"asyncpg.connect", "asyncpg.create_pool", "aiohttp.ClientSession", "httpx.AsyncClient",
               "psycopg.AsyncConnection.connect", "psycopg_pool.AsyncConnectionPool", "aiosqlite.connect",
               "aiomysql.connect", "aiomysql.create_pool", "aiopg.connect", "aiopg.create_pool",
               "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
               "sqlalchemy.ext.asyncio.create_async_engine", "arq.create_pool", "arq.connections.create_pool",
               *MCP_CONTEXTS}
# Playwright's browser types, and how each starts (or connects to) a browser.
BROWSER_TYPES = {"chromium", "firefox", "webkit"}
BROWSER_OPENERS = {"launch", "connect", "connect_over_cdp"}
# What reaps a child process: ``proc.wait()``, ``proc.communicate()``, a ``poll()`` loop, ``kill()``.
PROCESS_WAITS = {"wait", "communicate", "poll", "kill"}
# Bound methods that, handed to a callee, keep the resource alive there: ``set_writer(handle.write)``.
IO_METHODS = {"write", "writelines", "read", "readline", "readlines", "send", "sendall", "recv", "execute",
              "executemany", "flush"}
MEMOIZING_DECORATORS = {"functools.lru_cache", "functools.cache", "functools.cached_property", "cachetools.cached",
                        "cachetools.func.lru_cache", "cachetools.func.ttl_cache"}
# asyncio (and aiohttp) calls whose server or transport takes over the socket given as ``sock=``.
SOCKET_TAKERS = {"start_server", "start_unix_server", "open_connection", "open_unix_connection", "create_server",
                 "create_unix_server", "create_connection", "create_unix_connection", "create_datagram_endpoint",
                 "connect_accepted_socket", "SockSite"}
CONTAINERS = (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Starred, ast.keyword)
# Functions that read or write a file object they are given and leave it open.
READERS = {"json.load", "json.dump", "yaml.load", "yaml.safe_load", "yaml.full_load", "yaml.dump",
           "yaml.safe_dump", "pickle.load", "pickle.dump", "tomllib.load", "toml.load", "csv.reader",
           "csv.writer", "csv.DictReader", "csv.DictWriter", "shutil.copyfileobj", "print",
           "hashlib.file_digest", "configparser.ConfigParser.read_file"}
PATH_CLASSES = {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath"}
# Calls that put a process in a session or group of its own: its children are detached from the caller.
DETACHING_CALLS = {"os.setsid", "os.setpgrp"}
# Builtins that consume an iterable (a file's lines) at once and keep nothing of it: ``list(open(p))``.
CONSUMING_BUILTINS = {"list", "tuple", "set", "frozenset", "sorted", "sum", "next"}
# Methods that end an object's life for good (not ``stop()``: a stopped object may start again with what it
# keeps): what it stored on ``self`` must be closed there or elsewhere.
TEARDOWN_METHODS = {"close", "aclose", "delete", "dispose", "shutdown", "__exit__", "__aexit__", "__del__"}
INIT_METHODS = {"__init__", "__post_init__", "__new__", "setUp"}
# A context manager entered by hand (``await client.__aenter__()``) is closed by its exit method.
EXIT_METHODS = {"__exit__", "__aexit__"}
# Calls that copy an image's pixels into an array (through ``__array_interface__``, which loads the image).
PIXEL_ARRAYS = {"numpy.array", "numpy.asarray", "numpy.asanyarray"}
# Temporary directories: removed by ``shutil.rmtree(path)`` (``mkdtemp``) or ``cleanup()`` (``TemporaryDirectory``).
TEMPORARY_DIRECTORIES = {"tempfile.mkdtemp", "tempfile.TemporaryDirectory"}
# A connection of its own to one server: the websockets library's client (``await websockets.connect(url)``, outside
# ``async with``) and http.client's, each a socket held until ``close()``.
DJANGO_FILE_WRAPPERS = {"django.core.files.File", "django.core.files.base.File"}
OWN_CONNECTIONS = {"websockets.connect": "websocket connection", "websockets.client.connect": "websocket connection",
                   "websockets.asyncio.client.connect": "websocket connection",
                   "http.client.HTTPConnection": "HTTP connection", "http.client.HTTPSConnection": "HTTP connection"}
# Project helpers that open and close the object they are given: ``open_napalm_device(d)``/``close_napalm_device(d)``.
HELPER_OPENER, HELPER_CLOSER = "open_", "close_"
OPENING_WORDS = ("open", "connect", "login", "bind", "start")  # what such a helper calls on the object it is given
# Kinds that CPython's reference counting closes as soon as the function lets go of them.
FREED_ON_RETURN = {"file", "image file", "PDF file", "PDF document", "cursor"}
# Kinds whose object closes itself, without a warning, when the last reference goes (GitPython's ``Repo.__del__``
# calls ``close()``): one replaced on ``self`` (``self.repository = Repo(new_path)`` after a move) is closed then.
CLOSED_WHEN_DROPPED = {"git repository"}
# Drivers whose cursors support `with` (sqlite3 cursors do not).
CURSOR_CONTEXT_DRIVERS = ("psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql", "django.db")


@dataclass
class Usage:
    """How a tracked name is used across its function."""

    owned: bool = False  # returned, stored, entered, handed to an owner
    yielded_at: int | None = None
    closes: list[tuple[ast.AST, str]] = field(default_factory=list)  # (close call, "finally"|"except"|"body")
    transaction_with: bool = False
    unawaited_close: ast.Call | None = None  # ``conn.close()`` of an asyncio resource, never awaited


@rule("R4.resource-not-closed", on="module", scope="code", severity="high")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if is_test_path(module.path) or is_one_shot_path(module.path) or is_alembic_revision(module):
        return
    if "Pool(" in module.text and module.imports_module("multiprocessing"):
        yield from _import_time_pools(module)
    cursors_matter = any(module.imports_module(d) for d in CURSOR_CONTEXT_DRIVERS)
    sessionmakers: dict[str, set[str]] = {}
    own_connections: dict[ast.AST, set[str]] = {}
    for node in module.nodes_of(ast.Call):
        kind = _acquired_kind(module, node)
        factory = client_class_attribute(module, node) if kind is not None else None  # ``client = smtplib.SMTP``
        via = None
        if kind is None and _is_session_factory(module, project, node, sessionmakers):
            kind = "ORM session"
        if kind is None and (helper := _session_helper(project, module, node, sessionmakers)) is not None:
            kind = "ORM session"  # ``session = get_session_sync()``, ``next(get_session())``
            factory, via = helper
        if kind is None and isinstance(node.func, (ast.Name, ast.Attribute)) and \
                (made := project_resource(project, module, node)) is not None:
            kind, factory, via = made  # a project function that returns what it opens: ``conn = get_conn()``
            via = dotted(node.func) or via
        if kind is None and isinstance(node.func, ast.Attribute) and \
                (made := _method_resource(project, module, node)) is not None:
            kind, factory, via = made  # ``conn = self.connect()``, ``conn = IdResolver.create_connection(...)``
            via = dotted(node.func) or via
        if kind is None and (held := _client_holder(project, module, node)) is not None:
            kind, factory, via = held  # ``api = RemoteApi(state)``, whose constructor opens a session
        unpacked_at = opened_in_place = None
        if kind is None and (paired := _opened_by_helper_pair(project, module, node)) is not None:
            kind, factory, opened_in_place = paired  # ``self.open_device(device)`` ... ``self.close_device(device)``
        if kind is None and isinstance(node.func, (ast.Name, ast.Attribute)) and \
                (held := tuple_resource(project, module, node)) is not None:
            unpacked_at, kind, factory, via = held  # ``archive, meta = read_archive(p)``
            via = dotted(node.func) or via
        if kind is None and (field := _field_file_local(module, project, node)) is not None:
            kind, factory = "file", "FieldFile.open"
            if isinstance(module.parents.get(node), ast.Expr):  # ``archive.open("rb")``: opened in place
                finding = _judge_name(module, project, enclosing_function(module, node), node, kind, factory, field)
                if finding is not None:
                    yield finding
                continue
        if kind is None and not (cursors_matter and is_cursor_call(node)):
            continue
        fn = enclosing_function(module, node)
        if fn is None or _run_at_import_or_by_tests_only(project, module, fn):
            continue  # module level: lives as long as the process; or a helper of the test suite
        if _once_per_command_run(project, module, fn, node, kind) or (
                module.path in command_line_only(project) and _outside_loops(module, fn, node)):
            continue  # one per run of a command-line program: it dies with the process
        if kind == "file" and _memoized(module, fn) and _outside_loops(module, fn, node):
            continue  # read once per key of the cache, and freed as soon as it is read
        if kind is None:
            if fn not in own_connections:
                own_connections[fn] = _connections_opened_in(module, project, fn)
            if _cursor_of(module, project, fn, node, own_connections[fn]):
                continue
            kind = "server-side cursor" if is_named_cursor(node) else "cursor"
        if unpacked_at is not None:
            finding = _judge_unpacked(module, project, fn, node, kind, factory, unpacked_at)
        elif opened_in_place is not None:
            finding = _judge_name(module, project, fn, node, kind, factory, opened_in_place)
        else:
            finding = _judge(module, project, fn, node, kind, factory)
        if finding is not None:
            if via is not None:
                finding.message = finding.message.replace(f"{factory}()", f"{via}() (which opens it with {factory}())", 1)
                finding.extra["factory"] = call_name(module, node) or via
            yield finding


PROCESS_POOLS = {"multiprocessing.Pool", "multiprocessing.pool.Pool", "multiprocessing.pool.ThreadPool"}
POOL_ENDS = {"close", "terminate", "join", "__exit__"}


def _import_time_pools(module: SourceModule) -> Iterator[Finding]:
    """``pool = Pool(processes=1)`` in a module's body (also under a module-level ``try``/``if``), used there for
    one job and never closed, terminated or joined, and named by no function of the module: a one-off pool whose
    worker processes stay alive, idle, as long as the service that imported the module."""
    statements = [s for s in module.tree.body]
    assigned: list[tuple[str, ast.Call]] = []
    while statements:
        stmt = statements.pop()
        if isinstance(stmt, (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try))):
            statements.extend([*stmt.body, *getattr(stmt, "orelse", []), *getattr(stmt, "finalbody", []),
                               *(s for h in getattr(stmt, "handlers", []) for s in h.body)])
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and call_name(module, stmt.value) in PROCESS_POOLS:
            assigned.append((stmt.targets[0].id, stmt.value))
    for name, call in assigned:
        ended = any(isinstance(n, ast.Attribute) and n.attr in POOL_ENDS and isinstance(n.value, ast.Name)
                    and n.value.id == name for n in walk_nodes(module.tree))
        used_later = any(isinstance(n, ast.Name) and n.id == name for fn in module.nodes_of(*FUNCTION_TYPES)
                         for n in walk_nodes(fn))
        if not ended and not used_later:
            yield _finding(module, call, "process pool", call_name(module, call) or "Pool", Confidence.medium,
                           f"process pool from {call_name(module, call)}() is made at import, used once and never "
                           "closed: its worker processes stay alive, idle, for the life of the service",
                           f"`with {call_name(module, call)}(...) as {name}:` (or `{name}.close(); {name}.join()` "
                           "when the job is done)")


def _opened_by_helper_pair(project: Project, module: SourceModule, call: ast.Call) -> tuple[str, str, str] | None:
    """(kind, helper, name) when ``call`` is ``self.open_napalm_device(device)`` (or ``open_session(client)``): a
    project function named ``open_<thing>`` that opens the object it is given, beside a ``close_<thing>`` of the
    same class or module that closes it. The object handed in is the resource, opened in place."""
    helper = method_name(call) or ""
    if not helper.startswith(HELPER_OPENER) or len(helper) == len(HELPER_OPENER) or not call.args \
            or not isinstance(call.args[0], ast.Name):
        return None
    found = called_function(project, module, call)
    if found is None:
        return None
    owner = found[0].parents.get(found[1])
    scope = owner.body if isinstance(owner, (ast.ClassDef, ast.Module)) else []
    closer = HELPER_CLOSER + helper[len(HELPER_OPENER):]
    if not any(isinstance(n, FUNCTION_TYPES) and n.name == closer for n in scope) \
            or not _opens_its_parameter(found[1], isinstance(owner, ast.ClassDef)):
        return None
    return helper[len(HELPER_OPENER):].replace("_", " "), dotted(call.func) or helper, call.args[0].id


def _opens_its_parameter(helper: ast.AST, method: bool) -> bool:
    """Whether ``helper`` opens the object it is given (``device.open()``, ``client.connect(...)``), not a domain
    step named ``open_registration(tourney, initiator)`` that builds and returns a changed record."""
    params = [*helper.args.posonlyargs, *helper.args.args][1 if method else 0:]
    given = params[0].arg if params else None
    return given is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and dotted(n.func.value) == given
        and any(word in n.func.attr.lower() for word in OPENING_WORDS) for n in walk_function_body(helper))


def _method_resource(project: Project, module: SourceModule, call: ast.Call) -> tuple[str, str, str] | None:
    """(kind, library factory, method) when ``call`` runs a project method that returns a resource it acquires:
    ``self.connect()``/``cls.connect()`` of the class or a project base, or a static or class method called on
    a project class (``IdResolver.create_connection(server=pool, user=dn)``)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if dotted(func.value) in ("self", "cls"):
        found = called_function(project, module, call)
    else:
        owner = project_class(module, project, func.value)
        method = next((m for m in owner[1].body if isinstance(m, FUNCTION_TYPES) and m.name == func.attr
                       and any(dotted(d) in ("staticmethod", "classmethod") for d in m.decorator_list)), None) \
            if owner is not None else None
        found = (owner[0], method) if method is not None else None
    if found is None or found[1] is enclosing_function(module, call):
        return None
    made = returned_resource(project, *found)
    return (*made, found[1].name) if made is not None else None


def _client_holder(project: Project, module: SourceModule, call: ast.Call) -> tuple[str, str, str] | None:
    """(kind, library factory, class) when ``call`` builds a project class whose construction opens a network
    client it keeps (``self.http = ClientSession()`` in ``__init__``, or in a method ``__init__`` calls) and that
    offers no way to close it: no teardown method (``close()``, ``aclose()``, ``__aexit__``, ...) in the class or
    its project bases, and nothing in the project closes that attribute. Each instance is then a client that
    only the garbage collector ends."""
    if (plugin_base := _class_parameter(project, module, call)) is not None:
        return next(filter(None, (_holder(project, *sub) for sub in _subclasses(project, *plugin_base)
                                  if _constructible_with(sub[1], call))), None)
    if not (method_name(call) or "")[:1].isupper() or not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    found = project_class(module, project, call.func)
    held = _holder(project, *found) if found is not None else None
    if held is not None and _given_client(found[1], call, project.facts.get("R4.client-holder-params", {})):
        return None  # the caller hands its own client in: ``AniDBClient(key, session=shared)``
    return held


def _given_client(cls: ast.ClassDef, call: ast.Call, parameters: dict) -> bool:
    """Whether ``call`` fills the parameter that ``cls.__init__`` prefers to the client it makes (``self.session =
    session or requests.Session()``)."""
    name = parameters.get(cls)
    init = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None)
    if name is None or init is None:
        return False
    positional = [a.arg for a in [*init.args.posonlyargs, *init.args.args][1:]]
    return any(k.arg in (name, None) for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args) \
        or name in positional and len(call.args) > positional.index(name)


def _holder(project: Project, module: SourceModule, cls: ast.ClassDef) -> tuple[str, str, str] | None:
    cache = project.facts.setdefault("R4.client-holders", {})
    if cls not in cache:
        cache[cls] = _held_client(project, module, cls)
    return cache[cls]


def _constructible_with(cls: ast.ClassDef, call: ast.Call) -> bool:
    """Whether ``call``'s arguments fill the required parameters of ``cls.__init__`` (a class defining none
    inherits one: assumed to fit). ``loader()`` cannot build a ``WikiLoader`` whose ``__init__`` needs a config."""
    init = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None)
    if init is None or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return True
    positional = [*init.args.posonlyargs, *init.args.args][1:]
    required = positional[:len(positional) - len(init.args.defaults)]
    given = {k.arg for k in call.keywords}
    return all(i < len(call.args) or p.arg in given for i, p in enumerate(required))


def _class_parameter(project: Project, module: SourceModule, call: ast.Call) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project class ``call`` builds a subclass of when it calls a parameter annotated ``Type[Base]`` /
    ``type[Base]``: ``def setup(text_to_entries: Type[TextToEntries], config): text_to_entries(config).process()``,
    a plugin class handed in by the caller."""
    fn = enclosing_function(module, call)
    if fn is None or not isinstance(call.func, ast.Name):
        return None
    hint = next((a.annotation for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
                 if a.arg == call.func.id), None)
    if not (isinstance(hint, ast.Subscript) and (dotted(hint.value) or "").rsplit(".", 1)[-1] in ("Type", "type")):
        return None
    return project_class(module, project, hint.slice)


def _subclasses(project: Project, module: SourceModule, cls: ast.ClassDef) -> list[tuple[SourceModule, ast.ClassDef]]:
    """The project classes that derive from ``cls``, at any depth."""
    children = project_index(project, "R4.subclasses", lambda m, index: _add_subclasses(project, m, index))
    found: list[tuple[SourceModule, ast.ClassDef]] = []
    pending = [cls]
    while pending:
        for child in children.get(pending.pop(), ()):
            if child not in found:
                found.append(child)
                pending.append(child[1])
    return found


def _add_subclasses(project: Project, module: SourceModule, children: dict) -> None:
    for cls in module.nodes_of(ast.ClassDef):
        for base in cls.bases:
            resolved = project_class(module, project, base)
            if resolved is not None and resolved[1] is not cls:
                children.setdefault(resolved[1], []).append((module, cls))


def _held_client(project: Project, module: SourceModule, cls: ast.ClassDef) -> tuple[str, str, str] | None:
    hierarchy = _class_hierarchy(project, module, cls)
    methods: dict[str, tuple[SourceModule, ast.AST]] = {}
    for owner, klass in hierarchy:
        for member in klass.body:
            if isinstance(member, FUNCTION_TYPES):
                if _is_teardown(member):
                    return None
                methods.setdefault(member.name, (owner, member))
    if "__init__" not in methods:
        return None
    init_module, init = methods["__init__"]
    run = [(init_module, init)] + [methods[n.func.attr] for n in walk_function_body(init) if isinstance(n, ast.Call)
                                   and isinstance(n.func, ast.Attribute) and dotted(n.func.value) == "self"
                                   and n.func.attr in methods]
    parameters = {a.arg for a in [*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs]}
    session = None
    for owner, method in run:
        for node in walk_function_body(method):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and _is_self_attribute(node.targets[0])
                    and node.targets[0].attr not in _closed_attributes(project)):
                continue
            value, given = node.value, None
            if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and len(value.values) == 2 \
                    and isinstance(value.values[0], ast.Name) and value.values[0].id in parameters:
                value, given = value.values[1], value.values[0].id  # ``session or requests.Session()``
            elif isinstance(value, ast.IfExp) and isinstance(value.body, ast.Name) and value.body.id in parameters \
                    and isinstance(value.test, ast.Name) and value.test.id == value.body.id:
                value, given = value.orelse, value.body.id  # ``session if session else get_session_sync()``
            if not isinstance(value, ast.Call):
                continue
            kind, factory = _acquired_kind(owner, value), call_name(owner, value) or ""
            if kind not in NETWORK_CLIENT_KINDS and _is_session_factory(owner, project, value, {}):
                kind = "ORM session"  # ``self.db_session = db or Session(engine)``: a pooled connection per instance
            elif kind not in NETWORK_CLIENT_KINDS and (helper := _session_helper(project, owner, value, {})):
                kind, factory = "ORM session", helper[0]  # ``self.db_session = db or get_session_sync()``
            if kind == "ORM session" and session is None:
                session = (kind, factory, cls.name, given)  # reported unless the class also holds a client
            elif kind in NETWORK_CLIENT_KINDS:
                if _one_part_of_many(methods, {m for _, m in run}, node.targets[0].attr):
                    continue  # a job object (``Run``: prepare, start, push_output) owns its client for its life
                if given is not None:
                    project.facts.setdefault("R4.client-holder-params", {})[cls] = given
                return kind, factory, cls.name
    if session is not None and session[3] is not None:
        project.facts.setdefault("R4.client-holder-params", {})[cls] = session[3]
    return session[:3] if session is not None else None


def _one_part_of_many(methods: dict[str, tuple[SourceModule, ast.AST]], set_up: set[ast.AST], attribute: str) -> bool:
    """Whether the client kept on ``self.<attribute>`` is one part of a larger object, not what the class wraps:
    fewer than half of the methods that do not build it use it (a per-job ``Run`` whose prepare/start/collect
    steps mostly do other work, and which two of them use to report back). Such an object is the lifecycle owner
    of its client, which goes with it; a client wrapper (``InvoiceClient``: every method a request) is not."""
    others = [m for _, m in methods.values() if m not in set_up]
    users = [m for m in others if any(isinstance(n, ast.Attribute) and n.attr == attribute and is_self_attribute(n)
                                      for n in walk_function_body(m))]
    return len(others) >= 4 and 2 * len(users) < len(others)


def _class_hierarchy(project: Project, module: SourceModule, cls: ast.ClassDef,
                     depth: int = 4) -> list[tuple[SourceModule, ast.ClassDef]]:
    """The class and its project bases, nearest first (a depth-first walk of the bases, as Python's method
    resolution order is for classes without shared bases)."""
    found = [(module, cls)]
    for base in cls.bases if depth else ():
        resolved = project_class(module, project, base)
        if resolved is not None and resolved[1] is not cls:
            found.extend(_class_hierarchy(project, *resolved, depth - 1))
    return found


def _run_at_import_or_by_tests_only(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """A top-level function that the project calls only from module-level code (``publisher_store.init()`` in
    a module's body: it runs once per process, as module-level code does), or only from test code (a
    ``delete_all_tables(db)`` that only a pytest fixture calls)."""
    if fn not in module.tree.body:
        return False
    calls = calls_of(project, module, fn)
    return bool(calls) and all(enclosing_function(other, node) is None for other, node in calls) \
        or called_by_tests_only(project, module, fn)


def _once_per_command_run(project: Project, module: SourceModule, fn: ast.AST, call: ast.Call,
                          kind: str | None = None) -> bool:
    """Opened once by a command-line entry point: the ``handle()`` of a Django management command or a
    click/typer command function, outside any loop, or by a top-level function only such entry points call, once
    each. There is one per run of the process, and it dies with it. A file bound to a local in a loop of such a
    command (``for name in names: stream = open(name)``) is freed as the next turn rebinds it: one at a time."""
    if not _command_entry(module, fn) and not _run_once_by_handle(project, module, fn) \
            and not _run_once_by_commands(project, module, fn):
        return False
    if _runs_for_ever(fn):
        return False  # a worker: what it opens before its endless loop is held for the process's life
    parent = module.parents.get(call)
    return _outside_loops(module, fn, call) or kind in FREED_ON_RETURN and isinstance(parent, ast.Assign) \
        and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)


def _command_entry(module: SourceModule, fn: ast.AST) -> bool:
    return isinstance(fn, ast.FunctionDef) and (
        fn.name == "handle" and isinstance(cls := module.parents.get(fn), ast.ClassDef)
        and any((qualified(module, b) or "") in COMMAND_BASES for b in cls.bases)
        or any((dotted(d.func if isinstance(d, ast.Call) else d) or "").rsplit(".", 1)[-1] == "command"
               for d in fn.decorator_list))


def _runs_for_ever(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.While) and isinstance(n.test, ast.Constant) and n.test.value is True
               for n in walk_function_body(fn))


def _run_once_by_commands(project: Project, module: SourceModule, fn: ast.AST, depth: int = SET_UP_DEPTH) -> bool:
    """``@cli.command("drop_index") def drop_index_cli(name): search_utils.drop_index(name)``: a top-level function
    of another module that only click/typer commands call (or other such functions, a few calls deep), outside
    loops, runs once per run of the program. Not one the service also names without calling it
    (``dispatch(role_import, kwargs)``, ``"app.tasks.role_import"`` in the settings): a task it queues."""
    if fn not in module.tree.body or depth == 0:
        return False
    naming = [other for other in project.modules if fn.name in other.text and not is_test_path(other.path)]
    if any(_named_without_call(other, fn.name) for other in naming):
        return False
    calls = [(other, node) for other in naming for node in other.nodes_of(ast.Call) if method_name(node) == fn.name
             and (resolve_function(project, other, node.func) or (None, None))[1] is fn]
    return bool(calls) and all(
        (caller := enclosing_function(other, node)) is not None and caller is not fn
        and (_command_entry(other, caller) or _run_once_by_commands(project, other, caller, depth - 1))
        and not _runs_for_ever(caller) and _outside_loops(other, caller, node) for other, node in calls)


def _outside_loops(module: SourceModule, fn: ast.AST, node: ast.AST) -> bool:
    for outer in ancestors(module, node):
        if outer is fn:
            return True
        if isinstance(outer, (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return False  # one per item
    return False


def _named_without_call(module: SourceModule, name: str) -> bool:
    """``name`` read other than as what a call calls: handed on as a callable, or a dotted path in a string."""
    for node in module.nodes_of(ast.Name, ast.Attribute, ast.Constant):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and node.value.endswith(f".{name}"):
                return True
        elif (node.id if isinstance(node, ast.Name) else node.attr) == name and isinstance(node.ctx, ast.Load):
            parent = module.parents.get(node)
            if not (isinstance(parent, ast.Call) and parent.func is node):
                return True
    return False


def _run_once_by_handle(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """A method of a management command that only its ``handle()`` calls, outside any loop
    (``def handle(self, **options): self.import_dump(...)``), or a function of the command's module that only
    ``handle()`` calls so, and no other module names."""
    owner = module.parents.get(fn)
    if not is_management_command(module.path):
        return False
    if isinstance(owner, ast.ClassDef):
        handle = next((n for n in owner.body if isinstance(n, FUNCTION_TYPES) and n.name == "handle"), None)
        calls = [n for n in walk_nodes(owner) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == fn.name and dotted(n.func.value) == "self"]
    elif owner is module.tree and not any(fn.name in other.text for other in project.modules
                                          if other is not module and not is_test_path(other.path)):
        handle = next((n for n in module.nodes_of(*FUNCTION_TYPES) if n.name == "handle"
                       and isinstance(module.parents.get(n), ast.ClassDef)), None)
        calls = [n for n in module.nodes_of(ast.Call) if isinstance(n.func, ast.Name) and n.func.id == fn.name]
    else:
        return False
    return handle is not None and bool(calls) and \
        all(enclosing_function(module, c) is handle and _outside_loops(module, handle, c) for c in calls)


def _is_session_factory(module: SourceModule, project: Project, call: ast.Call,
                        sessionmakers: dict[str, set[str]]) -> bool:
    """``Session(engine)``, or a call of ``SessionLocal = sessionmaker(...)`` bound in this or an imported file."""
    if "session" not in (method_name(call) or "").lower():
        return False
    bind = keyword(call, "bind") or (call.args[0] if call.args else None)
    if isinstance(bind, ast.Call) and method_name(bind) == "connection":
        return False  # Session(bind=session.connection()): borrows a connection already checked out
    name = qualified(module, call.func) or ""
    if name in SESSION_CLASSES:
        return True
    owner_name, _, attribute = name.rpartition(".")
    owner = module if not owner_name else project.by_dotted_name.get(owner_name)
    if owner is None:
        return False
    if owner.path not in sessionmakers:
        sessionmakers[owner.path] = _sessionmakers_of(owner)
    return attribute in sessionmakers[owner.path]


def _session_helper(project: Project, module: SourceModule, call: ast.Call,
                    sessionmakers: dict[str, set[str]]) -> tuple[str, str] | None:
    """(library factory, project function) of a session a project helper opens for its caller: a function
    whose every ``return`` is ``Session(engine)`` (``def get_session_sync(): return Session(engine)``), or a
    generator dependency advanced by hand, ``next(get_session())``, that yields a session it opens in a
    ``with`` block: that block stays open, and the session with it, until the generator is collected."""
    advanced = isinstance(call.func, ast.Name) and call.func.id == "next" and len(call.args) == 1 \
        and isinstance(call.args[0], ast.Call) and isinstance(call.args[0].func, (ast.Name, ast.Attribute))
    target = call.args[0] if advanced else call
    if not isinstance(target.func, (ast.Name, ast.Attribute)) or \
            "session" not in (method_name(target) or "").lower():
        return None
    resolved = resolve_function(project, module, target.func)
    if resolved is None:
        return None
    owner, fn = resolved
    body = list(walk_function_body(fn))
    if fn.decorator_list or advanced != any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body):
        return None  # a context manager, a cached singleton; a generator called without next()
    opened: dict[str, ast.Call] = {}  # names bound to a session the helper opens
    for node in body:
        if isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Call) and \
                isinstance(node.optional_vars, ast.Name):
            opened[node.optional_vars.id] = node.context_expr
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call):
            opened[node.targets[0].id] = node.value
    given = [n.value for n in body if isinstance(n, ast.Yield if advanced else ast.Return)]
    if not given:
        return None
    factories = set()
    for value in given:
        if isinstance(value, ast.Name):
            value = opened.get(value.id)
        if not isinstance(value, ast.Call) or not _is_session_factory(owner, project, value, sessionmakers):
            return None
        factories.add(call_name(owner, value) or ast.unparse(value.func))
    return (factories.pop(), dotted(target.func) or fn.name) if len(factories) == 1 else None


def _sessionmakers_of(module: SourceModule) -> set[str]:
    """Module-level names bound to ``sessionmaker(...)``/``async_sessionmaker(...)``."""
    names: set[str] = set()
    for stmt in module.tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call) \
                and call_name(module, stmt.value) in SESSIONMAKERS:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _field_file_local(module: SourceModule, project: Project, call: ast.Call) -> str | None:
    """The local a Django ``FieldFile`` is opened through: ``archive = job.archive_file; archive.open("rb")``,
    where ``archive_file`` is a ``FileField``/``ImageField`` of a model of the project. ``open()`` opens the
    field's file in place (and returns the same object): ``archive.close()`` must follow."""
    if method_name(call) != "open" or not isinstance(call.func, ast.Attribute) or \
            not isinstance(call.func.value, ast.Name):
        return None
    fields = _file_fields(project)
    fn = enclosing_function(module, call)
    if not fields or fn is None:
        return None
    name = call.func.value.id
    values = [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
    return name if len(values) == 1 and isinstance(values[0], ast.Attribute) and values[0].attr in fields else None


def _file_fields(project: Project) -> set[str]:
    """Names of the Django ``FileField``/``ImageField`` model fields declared in the project."""
    fields = project.facts.get("R4.file-fields")
    if fields is None:
        fields = project.facts["R4.file-fields"] = set()
        for module in project.modules:
            if is_test_path(module.path) or not module.imports_module("django"):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                for stmt in cls.body:
                    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and \
                            (qualified(module, stmt.value.func) or "").startswith("django.") and \
                            (qualified(module, stmt.value.func) or "").endswith((".FileField", ".ImageField")):
                        fields.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return fields


def _acquired_kind(module: SourceModule, call: ast.Call) -> str | None:
    """What ``call`` acquires: a resource it opens, or a connection it checks out of a pool or engine."""
    kind = resource_kind(module, call)
    if kind is None and library_call_name(module, call) in ENGINES:
        return "engine"
    if kind is None and library_call_name(module, call) in REDIS_CLIENTS and not over_given_pool(call):
        return "Redis client"
    if kind is None and library_call_name(module, call) in MCP_CONTEXTS and _entered_by_hand(module, call):
        return "MCP client"
    if kind is None and library_call_name(module, call) in TEMPORARY_DIRECTORIES:
        return "temporary directory"
    if kind is None and library_call_name(module, call) in OWN_CONNECTIONS:
        return OWN_CONNECTIONS[library_call_name(module, call)]
    if kind is not None or not isinstance(call.func, ast.Attribute):
        return kind
    owner = call.func.value
    if isinstance(owner, ast.Call):
        owner = owner.func  # ``backend.get_write_engine().connect()``: named by the getter
    receiver = (dotted(owner) or "").rsplit(".", 1)[-1].lower()
    method = call.func.attr
    if method == "open" and (_is_path(module, call.func.value) or receiver.endswith("storage")):
        return "file"  # ``Path(p).open()``, a Django storage's ``build_media_storage.open(name)``
    if method == "getconn" or method == "acquire" and "pool" in receiver \
            and isinstance(module.parents.get(call), ast.Await):
        return "pooled connection"
    if method in ("connect", "raw_connection") and "engine" in receiver:
        return "engine connection"
    if method == "pubsub" and not call.args and any(module.imports_module(r) for r in ("redis", "aioredis")):
        return "Redis PubSub"  # ``p = r.pubsub()``: a connection of its own, held until ``p.close()``
    if module.imports_module("playwright"):
        return _browser_kind(module, call, method, receiver)
    return None


def _browser_kind(module: SourceModule, call: ast.Call, method: str, receiver: str) -> str | None:
    """Playwright's browsers, contexts and pages, each a browser process, a remote browser's connection or its
    tabs, held until closed: ``browser = await pw.chromium.launch()``, ``chromium.connect_over_cdp(url)``,
    ``context = await browser.new_context()``, ``page = await browser.new_page()`` (a page of a context the code
    opens is closed with its context). Not inside ``with sync_playwright()``/``async with async_playwright()``,
    whose exit stops the driver and, with it, every browser it launched or connected to."""
    if any(isinstance(p, (ast.With, ast.AsyncWith)) and any(isinstance(item.context_expr, ast.Call) and
            "playwright" in (call_name(module, item.context_expr) or "") for item in p.items)
            for p in ancestors(module, call)):
        return None
    browser_type = receiver in BROWSER_TYPES or "browser_type" in receiver  # pw.chromium, a BrowserType kept
    if browser_type and method in BROWSER_OPENERS:
        return "browser"
    if browser_type and method == "launch_persistent_context":
        return "browser context"
    if method in ("new_context", "new_page") and "browser" in receiver and not _opened_here(module, call.func.value):
        return "browser context" if method == "new_context" else "browser page"
    return None


def _opened_here(module: SourceModule, owner: ast.expr) -> bool:
    """``browser = await pw.chromium.launch()`` ... ``browser.new_page()``: closing (or leaking) the browser the
    function opens closes (or leaks) its pages with it: that browser is judged, not each page."""
    fn = enclosing_function(module, owner)
    return isinstance(owner, ast.Name) and fn is not None and any(
        isinstance(n, ast.Assign) and isinstance(n.value.value if isinstance(n.value, ast.Await) else n.value, ast.Call)
        and any(isinstance(t, ast.Name) and t.id == owner.id for t in n.targets) for n in walk_function_body(fn))


def _entered_by_hand(module: SourceModule, call: ast.Call) -> bool:
    """``transport = stdio_client(params); read, write = await transport.__aenter__()`` (or ``self.session =
    ClientSession(r, w)`` and ``await self.session.__aenter__()`` in its class): a context manager that only
    opens its connection or child process once entered, entered without ``async with``."""
    site = module.parents.get(call)
    if not isinstance(site, ast.Assign) or len(site.targets) != 1:
        return False
    target = site.targets[0]
    if isinstance(target, ast.Name):
        scope = enclosing_function(module, call)
    elif _is_self_attribute(target):
        scope = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    else:
        return False
    return scope is not None and any(
        isinstance(n, ast.Attribute) and n.attr == "__aenter__" and dotted(n.value) == dotted(target)
        for n in walk_nodes(scope))


def _is_path(module: SourceModule, node: ast.expr) -> bool:
    """``Path(p)``, ``Path(root) / name``: a pathlib path built in place (``Path(p).open()``)."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        node = node.left
    return isinstance(node, ast.Call) and call_name(module, node) in PATH_CLASSES


def _judge(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, kind: str,
           factory: str | None = None) -> Finding | None:
    factory = factory or call_name(module, call) or \
        ("Path.open" if method_name(call) == "open" else ast.unparse(call.func))
    site: ast.AST = call
    parent = module.parents.get(call)
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is call \
            and call_name(module, parent) in AWAITING_WRAPPERS - {"asyncio.gather"}:
        site, parent = parent, module.parents.get(parent)  # ``await asyncio.wait_for(websockets.connect(url), 30)``
    if isinstance(parent, ast.Await):
        site, parent = parent, module.parents.get(parent)

    if isinstance(parent, ast.withitem):
        if factory in TRANSACTION_ONLY_WITH and any(isinstance(n, (ast.Yield, ast.YieldFrom))
                                                    for n in walk_function_body(fn)):
            return _finding(module, call, kind, factory, Confidence.medium,
                            f"`with {factory}()` only ends the transaction: the {kind} stays open while the "
                            "generator is suspended, until it is garbage-collected",
                            f"wrap it as `with contextlib.closing({factory}(...)) as conn, conn:`")
        return None  # an ordinary function's local: the driver closes the connection when it is freed, on return
    if factory in DESCRIPTOR_FACTORIES:
        return _judge_descriptor(module, project, fn, call, parent, factory)
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and parent.value is site:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if kind == "temporary directory" and not isinstance(targets[0], ast.Name):
            return None  # a directory kept for later: its owner decides when it goes
        if len(targets) == 1 and _is_self_attribute(targets[0]):
            return _judge_self_attribute(module, project, fn, call, kind, factory, targets[0].attr)
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return None  # stored on an attribute, in a container, or unpacked: ownership moved
        return _judge_name(module, project, fn, call, kind, factory, targets[0].id)
    if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom, ast.Lambda)) or kind in ("engine", "temporary directory"):
        return None
    if kind == "process" and isinstance(parent, ast.Expr):
        return None  # started and let go: a detached child, on purpose
    if isinstance(parent, ast.Attribute):
        if parent.attr in _closers(factory) or parent.attr.startswith("__"):
            return None
        called = isinstance(module.parents.get(parent), ast.Call) and module.parents[parent].func is parent
        if called and _returns_itself(module, factory, parent.attr) and (
                isinstance(module.parents.get(module.parents[parent]), ast.withitem)
                or _result_handed_over(module, module.parents[parent])):
            return None  # ``with engine.connect().execution_options(...) as conn``, ``return cur.execute(q)``
        return _inline(module, call, kind, factory, f".{parent.attr}()" if called else f".{parent.attr}")
    if isinstance(parent, (ast.Call, ast.keyword)):
        callee_call = parent if isinstance(parent, ast.Call) else module.parents.get(parent)
        reader = call_name(module, callee_call) if isinstance(callee_call, ast.Call) else None
        if reader is not None and factory in IMAGE_OPENERS and _loads_image(module, project, callee_call, site):
            return None  # ``np.array(Image.open(path))``: the pixels are read, and Pillow closes the file
        if isinstance(callee_call, ast.Call) and callee_call.func is not site and kind == "file" and \
                (kept := _kept_library_function(module, callee_call)) is not None and \
                not _result_handed_over(module, callee_call, whole=True):
            return _inline(module, call, kind, factory, f"{kept}()")  # ``self.atranscription(file=open(p, "rb"))``
        if reader in DJANGO_FILE_WRAPPERS and (saved := _saved_through(module, callee_call, site)) is not None:
            return _inline(module, call, kind, factory, f"{reader}() to be stored by `{saved}`")
        if reader is not None and callee_call.func is not site and kind != "process" and \
                (reader in READERS or _library_user(module, project, callee_call, reader)
                 or kind == "ORM session" and _project_user(module, project, callee_call, parent)):
            return _inline(module, call, kind, factory, f"{reader}()")
        return None
    if isinstance(parent, ast.Expr):
        if kind == "cursor":
            return None  # ``connection.cursor()`` to force a connection: runs nothing, freed at once
        return _inline(module, call, kind, factory, "nothing")
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is site:
        return _inline(module, call, kind, factory, "a for loop")
    return None


def _kept_library_function(module: SourceModule, call: ast.Call) -> str | None:
    """``self.atranscription(...)`` in a class that defines no such method but keeps an imported library function
    under that name (``self.atranscription = atranscription``, litellm's): the library function it calls."""
    if not (is_self_attribute(call.func) and module.imports):
        return None
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    if cls is None or any(isinstance(m, FUNCTION_TYPES) and m.name == call.func.attr for m in cls.body):
        return None
    kept = {qualified(module, n.value) for n in walk_nodes(cls) if isinstance(n, ast.Assign) and len(n.targets) == 1
            and is_self_attribute(n.targets[0]) and n.targets[0].attr == call.func.attr and isinstance(n.value, ast.Name)
            and n.value.id in module.imports}
    return kept.pop() if len(kept) == 1 and None not in kept else None


def _saved_through(module: SourceModule, wrapper: ast.Call, given: ast.AST) -> str | None:
    """``instance.data_file.save(name, File(open(path, "rb")))``: the file wrapped for a Django field or storage to
    copy from; ``save()`` reads it to the end and closes nothing. What saves it, or None."""
    outer = module.parents.get(wrapper)
    if not (wrapper.args and wrapper.args[0] is given and isinstance(outer, ast.Call) and wrapper in outer.args
            and method_name(outer) == "save" and isinstance(outer.func, ast.Attribute)):
        return None
    return f"{ast.unparse(outer.func)}()"


def _is_self_attribute(target: ast.AST) -> bool:
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"


def _judge_self_attribute(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, kind: str,
                          factory: str, attribute: str) -> Finding | None:
    """``self.http = ClientSession()``: the object owns the resource, which is fine while it closes it somewhere.
    Nothing in the project closes ``.http``, and the object's life is known to end or the resource to be replaced:
    its class has a teardown method (``stop()``, ``delete()``, ``close()``, ...) that forgets it, or the method that
    stores it runs again on a live object (called outside ``__init__``) and drops the previous one unclosed."""
    cls = module.parents.get(fn)
    if not isinstance(cls, ast.ClassDef) or kind == "engine":
        return None
    closed_elsewhere = attribute in _closed_attributes(project)
    if closed_elsewhere and (fn.name in INIT_METHODS or _lets_go_first(cls, fn, attribute)
                             or not _left_open_by_a_user(cls, fn, attribute)):
        return None
    teardown = next((m for m in cls.body if _is_teardown(m)), None)
    if teardown is not None and not closed_elsewhere:
        return Finding(
            message=f"{cls.name}.{teardown.name}() ends the object but never closes `self.{attribute}`, the {kind} "
                    f"from {factory}() stored on line {call.lineno}: nothing else closes it either",
            path=module.path, line=teardown.lineno, end_line=teardown.lineno,
            evidence=module.evidence(call), fix=f"close `self.{attribute}` in `{teardown.name}()`",
            confidence=Confidence.medium, extra={"resource": kind, "factory": factory})
    if fn.name in INIT_METHODS or kind in CLOSED_WHEN_DROPPED or _guarded_by(module, call, fn, attribute) \
            or not _called_again(project, fn) or _released_by_class(project, module, cls, attribute):
        return None  # a git repository replaced on ``self`` is closed by its ``__del__`` as the old one goes
    return _finding(module, call, kind, factory, Confidence.medium,
                    f"{kind} from {factory}() replaces `self.{attribute}` each time {fn.name}() runs again on the "
                    "object, and nothing closes the one it replaces",
                    f"close the previous `self.{attribute}` first, or create it once and reuse it")


def _lets_go_first(cls: ast.ClassDef, method: ast.AST, attribute: str) -> bool:
    """``self.conn.close()`` or a teardown of the class (``self.close()``) in the method that replaces
    ``self.conn``: it lets go of the previous one itself."""
    teardowns = {m.name for m in cls.body if _is_teardown(m)}
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and (
        dotted(n.func.value) == f"self.{attribute}" or dotted(n.func.value) == "self" and n.func.attr in teardowns)
        for n in walk_function_body(method))


def _left_open_by_a_user(cls: ast.ClassDef, method: ast.AST, attribute: str) -> bool:
    """A method of the class runs ``self.<method>()`` and lets go of nothing (``conn = self.get_connection();
    return conn.list_database_names()``): the next call replaces ``self.<attribute>`` with it still open."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == method.name
               and dotted(n.func.value) == "self" and not _lets_go_first(cls, user, attribute)
               for user in cls.body if isinstance(user, FUNCTION_TYPES) and user is not method
               for n in walk_function_body(user))


def _released_by_class(project: Project, module: SourceModule, cls: ast.ClassDef, attribute: str) -> bool:
    """The class (or a project base) lets go of ``self.<attribute>`` in a way the project-wide index cannot see:
    a property returns it and the property is closed or reaped (``@property def process(self): return
    self._process`` ... ``self.process.wait(1)``), or a method hands it to a new object that keeps it and then
    forgets it (``UploadedFile(_file=self.current_file)`` ... ``self.current_file = None``): ownership moved."""
    closed = _closed_attributes(project)
    for _, klass in _class_hierarchy(project, module, cls):
        for method in klass.body:
            if not isinstance(method, FUNCTION_TYPES):
                continue
            if any(dotted(d) in ("property", "functools.cached_property", "cached_property")
                   for d in method.decorator_list) and method.name in closed and any(
                    isinstance(n, ast.Return) and is_self_attribute(n.value) and n.value.attr == attribute
                    for n in walk_function_body(method)):
                return True
            if _handed_on_then_forgotten(method, attribute):
                return True
    return False


def _handed_on_then_forgotten(method: ast.AST, attribute: str) -> bool:
    """``kept = UploadedFile(_file=self.current_file)`` (a class, its instance kept) and later in the same method
    ``self.current_file = None``."""
    handed_at = None
    for node in walk_function_body(method):
        if isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1][:1].isupper() \
                and any(is_self_attribute(a) and a.attr == attribute
                        for a in [*node.args, *(k.value for k in node.keywords)]):
            handed_at = node.lineno if handed_at is None else min(handed_at, node.lineno)
    if handed_at is None:
        return False
    return any(isinstance(node, ast.Assign) and node.lineno > handed_at and is_none(node.value) and any(
        is_self_attribute(t) and t.attr == attribute for t in node.targets) for node in walk_function_body(method))


def _is_teardown(method: ast.AST) -> bool:
    """``async def delete(self)``, ``def __exit__(self, *exc)``; not ``def delete(self, *args)``, an HTTP verb."""
    if not isinstance(method, FUNCTION_TYPES) or method.name not in TEARDOWN_METHODS:
        return False
    arguments = method.args
    return method.name.startswith("__") or len(arguments.posonlyargs + arguments.args) == 1 and \
        not (arguments.vararg or arguments.kwarg or arguments.kwonlyargs)


def _closed_attributes(project: Project) -> set[str]:
    """Attribute names whose value something in the project closes: ``self.http.close()``, ``with self.conn:``,
    ``stack.enter_context(self.file)``, ``session = self.http; await session.close()``, ``getattr(self, "http")``."""
    return project_index(project, "R4.closed-attributes", _add_closed_attributes).keys()


def _add_closed_attributes(module: SourceModule, closed: dict) -> None:
    closers = CLOSE_METHODS | EXIT_METHODS | SERVICE_CLIENT_CLOSERS | PROCESS_WAITS
    for fn in module.nodes_of(*FUNCTION_TYPES):
        body = list(walk_function_body(fn))
        bound: dict[str, set[str]] = {}
        for node in body:
            if isinstance(node, (ast.Assign, ast.For, ast.AsyncFor, ast.withitem)):
                value = node.value if isinstance(node, ast.Assign) else \
                    node.context_expr if isinstance(node, ast.withitem) else node.iter
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.optional_vars] if isinstance(node, ast.withitem) else [node.target]
                attributes = {n.attr for n in ast.walk(value) if isinstance(n, ast.Attribute)}
                for target in targets:
                    if isinstance(target, ast.Name):
                        bound.setdefault(target.id, set()).update(attributes)
        for node in body:
            handed: list[ast.AST] = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in closers:
                handed.append(node.func.value)
            if isinstance(node, ast.Call) and (_is_cleanup_call(node) or _callee_verdict(module, node) == "sink"):
                handed.extend(node.args)  # also ``await storage.close(conn)``: the owner closes what it is given
            if isinstance(node, ast.withitem):
                handed.append(node.context_expr)
            elif isinstance(node, ast.Call) and dotted(node.func) == "getattr" and len(node.args) > 1 and \
                    isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                closed[node.args[1].value] = True
            for value in handed:
                if isinstance(value, ast.Attribute):
                    closed[value.attr] = True
                elif isinstance(value, ast.Name):
                    closed.update(dict.fromkeys(bound.get(value.id, ()), True))


def _guarded_by(module: SourceModule, call: ast.Call, fn: ast.AST, attribute: str) -> bool:
    """``if self.http is None: self.http = ClientSession()``: made once, lazily, not replaced; also after an early
    return of the one kept (``if self.conn: return self.conn``)."""
    for outer in ancestors(module, call):
        if outer is fn:
            break
        if isinstance(outer, (ast.If, ast.While)) and _tests_attribute(outer.test, attribute):
            return True
    return any(isinstance(statement, ast.If) and statement.lineno < call.lineno
               and _tests_attribute(statement.test, attribute)
               and any(isinstance(n, ast.Return) for n in statement.body) for statement in fn.body)


def _tests_attribute(test: ast.expr, attribute: str) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == attribute for n in ast.walk(test))


def _called_again(project: Project, method: ast.AST, depth: int = SET_UP_DEPTH) -> bool:
    """Whether some code other than an ``__init__`` calls ``.method()`` on an object that may have run it before:
    ``api.setup_http()`` on an object it is handed, or ``self.connect()`` in a loop. Not an override delegating to
    its base (``super().config(c)``, ``Base.config(self, c)``), a library function of the same name
    (``subprocess.run(cmd)``), a call on an object the caller has just built or fetched (``plugin = cls(config);
    plugin.start()``, ``Engine.objects.first().run(job)``), nor a step of a template method (``self.config(c)`` in ``start()``) unless that method
    itself runs again."""
    for other in project.modules:
        if is_test_path(other.path) or method.name not in other.text:
            continue
        for node in other.nodes_of(ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == method.name:
                caller = enclosing_function(other, node)
                if caller is not None and caller.name not in INIT_METHODS and \
                        _runs_on_live_object(project, other, caller, node, depth):
                    return True
    return False


def _runs_on_live_object(project: Project, module: SourceModule, caller: ast.AST, call: ast.Call, depth: int) -> bool:
    receiver = call.func.value
    if isinstance(receiver, ast.Call) and dotted(receiver.func) == "super" or \
            call.args and isinstance(call.args[0], ast.Name) and call.args[0].id == "self" or \
            isinstance(receiver, ast.Name) and receiver.id in module.imports:
        return False
    loops = enclosing_loops(module, call)
    if isinstance(receiver, ast.Call) or isinstance(receiver, ast.Name) and _built_in(
            module, caller, receiver.id, loops[0] if loops else caller):
        return False
    if loops:
        return True
    if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
        return depth > 0 and _called_again(project, caller, depth - 1)
    return True


def _built_in(module: SourceModule, fn: ast.AST, name: str, scope: ast.AST) -> bool:
    """``name`` is a local that ``fn`` binds only to the result of a call, inside ``scope`` (the loop around
    the use, or the function): an object it has just built."""
    bindings = [node for node in walk_function_body(fn) if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
        isinstance(t, ast.Name) and t.id == name for t in getattr(node, "targets", [getattr(node, "target", None)]))]
    return bool(bindings) and all(isinstance(b.value, ast.Call) and (
        scope is fn or any(a is scope for a in ancestors(module, b))) for b in bindings)


def _judge_unpacked(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, kind: str, factory: str,
                    position: int) -> Finding | None:
    """``archive, meta = read_archive(p)`` where the project function returns a resource it opens inside a
    tuple: the name the caller unpacks it to owns it, and dropping it (``_, meta = ...``) leaks it. A tuple
    kept whole (returned, stored, indexed later) is not followed."""
    site: ast.AST = call
    parent = module.parents.get(call)
    if isinstance(parent, ast.Await):
        site, parent = parent, module.parents.get(parent)
    if not (isinstance(parent, ast.Assign) and parent.value is site and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Tuple) and len(parent.targets[0].elts) > position):
        return None
    target = parent.targets[0].elts[position]
    if not isinstance(target, ast.Name):
        return None  # unpacked onto an attribute or into a container: kept
    if target.id == "_":
        return _inline(module, call, kind, factory, "nothing")
    return _judge_name(module, project, fn, call, kind, factory, target.id)


def _judge_descriptor(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, parent: ast.AST | None,
                      factory: str) -> Finding | None:
    """``fd, path = tempfile.mkstemp()``: the descriptor is an int, nothing closes it but ``os.close(fd)`` or the
    file object it is wrapped in (``os.fdopen(fd)``). Dropped (``_, path = ...``, ``mkstemp()[1]``) it leaks one
    descriptor per call until the process reaches its limit."""
    position = DESCRIPTOR_FACTORIES[factory]
    target = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Tuple) \
            and len(parent.targets[0].elts) > position:
        target = parent.targets[0].elts[position]
    elif not (isinstance(parent, ast.Subscript) and parent.value is call):
        return None  # returned, stored or handed on whole: its owner closes the descriptor
    if isinstance(target, ast.Name) and target.id != "_":
        if any(isinstance(n, ast.Name) and n.id == target.id and isinstance(n.ctx, ast.Load)
               for n in walk_function_body(fn)):
            return _judge_name(module, project, fn, call, "file descriptor", factory, target.id)
    elif target is not None and not isinstance(target, ast.Name):
        return None  # unpacked onto an attribute or into a container: kept
    fate = f"bound to `{target.id}`, never used" if isinstance(target, ast.Name) and target.id != "_" else "dropped"
    return _finding(module, call, "file descriptor", factory, Confidence.high,
                    f"file descriptor from {factory}() is {fate} and never closed: only `os.close()` frees it, "
                    "one descriptor leaks per call",
                    f"`fd, path = {factory}()` then `os.close(fd)` (or `with os.fdopen(fd, \"wb\") as handle:`)")


def _detached(module: SourceModule, fn: ast.AST, call: ast.Call) -> bool:
    """A child started in its own session, a daemon on purpose: ``Popen(..., start_new_session=True)``,
    ``preexec_fn=os.setsid``, or ``os.setsid()`` called first by the (intermediate) process that starts it."""
    for kw in call.keywords:
        if kw.arg in ("start_new_session", "process_group") and not (
                isinstance(kw.value, ast.Constant) and kw.value.value in (False, None)):
            return True
        if kw.arg == "preexec_fn" and qualified(module, kw.value) in DETACHING_CALLS:
            return True
    return any(isinstance(n, ast.Call) and call_name(module, n) in DETACHING_CALLS and n.lineno <= call.lineno
               for n in walk_function_body(fn))


def _library_user(module: SourceModule, project: Project, call: ast.Call, name: str) -> bool:
    """``subprocess.call(cmd, stdout=open(os.devnull, "w"))``, ``list(open(p))``: a builtin that consumes what it
    is given, or a library function (imported, not the project's; not a constructor, setter or container) whose
    result is not handed on (``return send_file(open(p))`` hands the file over)."""
    if name in CONSUMING_BUILTINS:
        return True  # what they give back holds the lines, not the file
    if library_call_name(module, call) is None or "." not in name or \
            name.split(".")[0] in _project_packages(project):
        return False
    return _callee_verdict(module, call) == "uses" and not _result_handed_over(module, call)


def _project_user(module: SourceModule, project: Project, call: ast.Call, given: ast.AST) -> bool:
    """``get_all(db_session=SessionLocal())``, ``TopologyService.load(tenant, session)``: a project function
    that only queries through the session it is given (method calls on its parameter, or handing it to
    functions that do no more), never closes it, stores it or hands it back."""
    resolved = resolve_function(project, module, call.func) or resolve_callee(module, project, call)
    return resolved is not None and _only_used_by(resolved[1], call, given, _bound(call, resolved[1]),
                                                  project, resolved[0])


def _own_method_user(module: SourceModule, project: Project, call: ast.Call, given: ast.AST) -> bool:
    """``report = self._analysis(session, raw)``: a method of the object's class that only calls methods of the
    resource it is given; it does not keep it, so the caller still has to close it."""
    resolved = resolve_callee(module, project, call)
    return resolved is not None and _only_used_by(resolved[1], call, given, True, project, resolved[0])


def _bound(call: ast.Call, callee: ast.AST) -> bool:
    """Whether ``call`` passes the callee's first parameter implicitly: ``obj.method(x)`` of a method taking
    ``self``/``cls`` (not a static method, nor a module's function reached as ``module.function(x)``)."""
    positional = [*callee.args.posonlyargs, *callee.args.args]
    return isinstance(call.func, ast.Attribute) and bool(positional) and positional[0].arg in ("self", "cls") \
        and not any(dotted(d) == "staticmethod" for d in callee.decorator_list)


def _only_used_by(callee: ast.AST, call: ast.Call, given: ast.AST, bound: bool = False,
                  project: Project | None = None, owner: SourceModule | None = None,
                  depth: int = USER_DEPTH) -> bool:
    params = [*callee.args.posonlyargs, *callee.args.args, *callee.args.kwonlyargs]
    if isinstance(given, ast.keyword):
        param = given.arg
    else:
        index = call.args.index(given) if given in call.args else -1
        positional = [*callee.args.posonlyargs, *callee.args.args][1 if bound else 0:]
        param = positional[index].arg if 0 <= index < len(positional) else None
    if param is None or param not in {a.arg for a in params}:
        return False
    reads = [n for n in walk_nodes(callee) if isinstance(n, ast.Name) and n.id == param]
    parents = {id(child): node for node in walk_nodes(callee) for child in ast.iter_child_nodes(node)}
    for read in reads:
        parent = parents.get(id(read))
        if isinstance(parent, ast.Attribute) and parent.value is read \
                and parent.attr not in CLOSE_METHODS | {"__exit__", "__enter__"}:
            continue
        if project is not None and owner is not None and depth and \
                _passed_to_user(project, owner, read, parent, parents, depth - 1):
            continue  # ``find_key(session, tenant)``: handed on to a function that only uses it too
        return False  # closed, returned, stored or handed on: the callee may own it
    return bool(reads)


def _passed_to_user(project: Project, module: SourceModule, read: ast.Name, parent: ast.AST | None,
                    parents: dict, depth: int) -> bool:
    """``read`` is an argument of a call of a project function (or static method) that only uses it."""
    given: ast.AST = read
    if isinstance(parent, ast.keyword):
        given, parent = parent, parents.get(id(parent))
    if not isinstance(parent, ast.Call) or parent.func is read or \
            given not in parent.args and given not in parent.keywords:
        return False
    resolved = (resolve_function(project, module, parent.func)
                if isinstance(parent.func, (ast.Name, ast.Attribute)) else None) \
        or resolve_callee(module, project, parent)
    return resolved is not None and _only_used_by(resolved[1], parent, given, _bound(parent, resolved[1]),
                                                  project, resolved[0], depth)


def _project_packages(project: Project) -> set[str]:
    packages = project.facts.get("R4.project-packages")
    if packages is None:
        packages = project.facts["R4.project-packages"] = {name.split(".")[0] for name in project.by_dotted_name}
    return packages


def _judge_name(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, kind: str, factory: str,
                name: str) -> Finding | None:
    usage = _usage(module, fn, name, factory, project, opened_by=call)
    finally_closes = [c for c, where in usage.closes if where == "finally"]
    except_closes = [c for c, where in usage.closes if where == "except"]
    body_closes = sorted((c for c, where in usage.closes if where == "body"), key=lambda c: c.lineno)
    # closed here in a finally: handed to a callee (``self.render(src, log)``) only for use, still this function's
    if finally_closes and (exit_first := _leaves_before_try(
            module, fn, call, name, finally_closes, [*except_closes, *body_closes], kind == "engine")) is not None:
        leaves = "raise" if isinstance(exit_first, ast.Raise) else "return"
        return _finding(module, call, kind, factory, Confidence.medium,
                        f"{kind} from {factory}() is closed in a `finally`, but the `{leaves}` on line "
                        f"{exit_first.lineno} leaves the function before that `try` begins and leaks it",
                        "open it just before the `try` (after the checks), or use `with`")
    if usage.owned or kind == "engine" and not usage.closes and usage.unawaited_close is None \
            or kind == "streamed HTTP response" and _requested_in_with_block(module, call):
        return None  # an engine made and dropped is a new engine per call: R4.connect-per-request judges that
    if kind == "process" and (unread := _unread_output_pipe(fn, call, name, [c for c, _ in usage.closes])):
        return _finding(module, call, kind, factory, Confidence.medium,
                        f"child process from {factory}() is waited for with its {unread} on a pipe nothing reads "
                        f"first: wait() blocks for ever once the child fills the pipe, and {name}.{unread} is "
                        "never closed", f"`{name}.communicate(timeout=...)`, which reads the pipes while it waits, "
                        "or subprocess.run(..., capture_output=True)")
    if kind == "temporary directory" and not usage.closes:
        return None  # removed nowhere: kept on purpose, or by ``TemporaryDirectory``'s finalizer when it is freed
    if finally_closes or (except_closes and body_closes) or usage.closes and (
            kind == "process" and not _pipes_left_on_error(fn, call, body_closes) or factory in IMAGE_OPENERS):
        return None  # a child process reaped, an image loaded later in the body: nobody asks for a finally
    if kind == "process" and _detached(module, fn, call):
        return None
    if usage.unawaited_close is not None and not usage.closes:
        return _finding(module, call, kind, factory, Confidence.high,
                        f"{kind} from {factory}() is never closed: `{ast.unparse(usage.unawaited_close)}` on line "
                        f"{usage.unawaited_close.lineno} is a coroutine that is not awaited",
                        f"`await {ast.unparse(usage.unawaited_close)}` in a `finally` block")
    if body_closes and context_generator(module, project, fn):
        yields = [n.lineno for n in walk_function_body(fn) if isinstance(n, (ast.Yield, ast.YieldFrom))
                  and call.lineno < n.lineno < body_closes[-1].lineno]
        if yields:
            return _finding(module, call, kind, factory, Confidence.medium,
                            f"{kind} from {factory}() is closed on line {body_closes[-1].lineno}, after the yield "
                            f"on line {yields[0]}, not in a `finally`: an exception raised in the caller's block is "
                            "thrown in at the yield and skips the close",
                            f"wrap the yield: `try: yield ...` then `finally: {name}.close()`")
    if usage.yielded_at is not None or body_closes and is_lifespan(project, fn) and any(
            isinstance(n, (ast.Yield, ast.YieldFrom)) and n.lineno < body_closes[-1].lineno
            for n in walk_function_body(fn)):
        if any(c.lineno > (usage.yielded_at or 0) for c, _ in usage.closes):
            return None
        return _finding(module, call, kind, factory, Confidence.medium,
                        f"{kind} from {factory}() is yielded but never closed after the yield",
                        f"wrap the yield: `try: yield {name}` then `finally: {name}.close()`")
    if body_closes:
        first_close = body_closes[0]
        if kind == "zip archive" and not names_a_path(module, call):
            return None  # written over a file object its caller owns: an exception leaves nothing open here
        if kind == "file" and _set_up_step(project, module, fn):
            return None  # an exception there stops the start-up: the process ends, and the file with it
        if (exit_first := _leaves_before_close(module, fn, call, first_close)) is not None:
            leaves = "raise" if isinstance(exit_first, ast.Raise) else "return"
            return _finding(module, call, kind, factory,
                            Confidence.low if kind in FREED_ON_RETURN else Confidence.medium,
                            f"{kind} from {factory}() is closed on line {first_close.lineno}, but the `{leaves}` on "
                            f"line {exit_first.lineno} leaves the function before that and leaks it",
                            _fix(kind, factory, name))
        if not _can_raise_between(fn, call, first_close, module) or factory.startswith("django.db."):
            return None  # Django's client-side cursor, if an exception skips its close, is freed on return
        if kind == "file" and _one_write_then_closed(module, call, name, first_close):
            return None  # ``fp = open(p, "w"); fp.write(data); fp.close()``: only a failing write leaks it
        if kind == "process":
            return _finding(module, call, kind, factory, Confidence.low,
                            f"child process from {factory}() is waited for on line {first_close.lineno} but not in a "
                            "`finally`: an exception before that line leaves it running and its pipes open",
                            _fix(kind, factory, name))
        closed = "released (read to the end or closed)" if kind == "streamed HTTP response" else "closed"
        return _finding(module, call, kind, factory, Confidence.low,
                        f"{kind} from {factory}() is {closed} on line {first_close.lineno} but not in a `finally`: "
                        "an exception before that line leaks it",
                        _fix(kind, factory, name))
    if except_closes:
        return _finding(module, call, kind, factory, Confidence.medium,
                        f"{kind} from {factory}() is closed only when an exception is raised",
                        _fix(kind, factory, name))
    if usage.transaction_with:
        return _finding(module, call, kind, factory, Confidence.medium,
                        f"`with {name}:` only ends the transaction: the {kind} from {factory}() stays open",
                        f"close it in a finally block, or use `with contextlib.closing({factory}(...)) as {name}`")
    if kind == "process":
        return _finding(module, call, kind, factory, Confidence.medium,
                        f"child process from {factory}() is never waited for: it stays a zombie, its pipes open",
                        _fix(kind, factory, name))
    if kind == "file" and _only_path_read(fn, name):
        return None  # a temporary file made for its path: dropped, and so closed, when the function returns
    confidence = Confidence.high
    if kind in ("file", "image file", "PDF file", "PDF document", "streamed HTTP response"):
        confidence = Confidence.medium  # CPython's reference counting closes it when the function returns
    elif kind == "cursor":
        confidence = Confidence.low
    consequence = ": close() writes its central directory, without it the archive is unreadable" \
        if kind == "zip archive" else \
        " (hygiene: CPython frees a client-side cursor when the function returns; other interpreters wait for the " \
        "garbage collector)" if kind == "cursor" else ""
    return _finding(module, call, kind, factory, confidence, f"{kind} from {factory}() is never closed{consequence}",
                    _fix(kind, factory, name))


def _requested_in_with_block(module: SourceModule, call: ast.Call) -> bool:
    """``with requests.Session() as session: r = session.get(url, stream=True)``: the session's exit closes its
    connection pool, and the connection the response holds with it."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(receiver, ast.Name) and _inside_with_of(module, call, receiver.id)


def _inside_with_of(module: SourceModule, node: ast.AST, name: str) -> bool:
    """``node`` runs inside a ``with ... as <name>:`` block."""
    return any(isinstance(outer, (ast.With, ast.AsyncWith)) and any(
        isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name for item in outer.items)
        for outer in ancestors(module, node))


def _set_up_step(project: Project, module: SourceModule, fn: ast.AST, depth: int = SET_UP_DEPTH) -> bool:
    """A step of setting the service up, run once: a function only ``main()`` calls, or a method only the
    ``__init__`` of its class calls (``self.trust_root = self.load_ca_certificate()``) when that class is built
    only in such steps (``Service(config)`` in ``main()``, ``self.tls = TlsSettings(...)`` in its ``__init__``);
    outside loops."""
    if depth == 0:
        return False
    cls = module.parents.get(fn)

    def runs_once(other: SourceModule, call: ast.Call) -> bool:
        caller = enclosing_function(other, call)
        if caller is None or not _outside_loops(other, caller, call):
            return False
        if caller.name == "main":
            return True
        if isinstance(fn, ast.ClassDef):
            built_by = other.parents.get(caller)
            return caller.name == "__init__" and isinstance(built_by, ast.ClassDef) \
                and _set_up_step(project, other, built_by, depth - 1)
        return caller.name == "__init__" and other is module and module.parents.get(caller) is cls \
            and isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self" \
            and isinstance(cls, ast.ClassDef) and _set_up_step(project, module, cls, depth - 1)
    calls = [(other, node) for other in project.modules if fn.name in other.text and not is_test_path(other.path)
             for node in other.nodes_of(ast.Call) if method_name(node) == fn.name]
    return bool(calls) and all(runs_once(other, call) for other, call in calls)


def _leaves_before_try(module: SourceModule, fn: ast.AST, acquire: ast.Call, name: str, closes: list[ast.AST],
                       other_closes: list[ast.AST], lazy: bool) -> ast.Raise | ast.Return | None:
    """The first ``raise`` or ``return`` between the acquisition and the ``try`` whose ``finally`` closes the
    resource (``f = open(p)``, ``if not allowed: raise Forbidden()``, then ``try: ... finally: f.close()``): the
    ``finally`` covers only its own ``try``, and that path leaves with the resource open. Not one that a close
    of its own precedes (``f.close(); raise``), nor a ``return`` that hands the resource over. For a ``lazy``
    resource (an engine connects on first use), not one in an ``except`` of the ``try`` that makes it
    (``try: engine = create_engine(url) except Exception: return None``): that path opened nothing."""
    tries = [t for close in closes for t in ancestors(module, close)
             if isinstance(t, TRY_STATEMENTS) and any(close in walk_nodes(s) for s in t.finalbody)]
    if not tries:
        return None
    start, first_try = getattr(acquire, "end_lineno", acquire.lineno), min(t.lineno for t in tries)
    exits = [n for n in walk_function_body(fn) if isinstance(n, (ast.Raise, ast.Return)) and start < n.lineno < first_try
             and not any(start < c.lineno < n.lineno for c in other_closes)
             and not (isinstance(n, ast.Return) and n.value is not None
                      and any(isinstance(v, ast.Name) and v.id == name for v in walk_nodes(n.value)))
             and not _handles_failure_of(module, n, acquire, lazy)]
    return min(exits, key=lambda n: n.lineno) if exits else None


def _leaves_before_close(module: SourceModule, fn: ast.AST, acquire: ast.Call,
                         close: ast.AST) -> ast.Raise | ast.Return | None:
    """The first ``raise`` or ``return`` that runs after the acquisition (in a statement that follows it in its
    block) and before the first close (``client = get_client()``, ``if over_limit: return REJECT``, ...,
    ``client.close()``): that path leaves with the resource open, exception or not."""
    statement = next(s for s in (acquire, *ancestors(module, acquire)) if isinstance(s, ast.stmt))
    block = next((body for body in _blocks(module.parents.get(statement)) if statement in body), [])
    following = block[block.index(statement) + 1:] if statement in block else []
    exits = [n for stmt in following for n in walk_nodes(stmt) if isinstance(n, (ast.Raise, ast.Return))
             and n.lineno < close.lineno and enclosing_function(module, n) is fn]
    return min(exits, key=lambda n: n.lineno) if exits else None


def _blocks(owner: ast.AST) -> Iterator[list[ast.stmt]]:
    """The statement lists of a function, compound statement, ``except`` handler or ``case``."""
    for name in ("body", "orelse", "finalbody"):
        if isinstance(getattr(owner, name, None), list):
            yield getattr(owner, name)


def _handles_failure_of(module: SourceModule, node: ast.AST, acquire: ast.Call, lazy: bool) -> bool:
    """``node`` is in an ``except`` of the ``try`` whose body makes the resource: anywhere in it for a ``lazy``
    one, as its last statement for others (``try: client = create_ssh_client(s) except Exception: return``: the
    handler runs only when nothing was opened)."""
    for handler in ancestors(module, node):
        if isinstance(handler, ast.ExceptHandler):
            attempt = module.parents.get(handler)
            return any(acquire in walk_nodes(stmt) for stmt in (attempt.body if lazy else attempt.body[-1:]))
    return False


def _only_path_read(fn: ast.AST, name: str) -> bool:
    """``tf = NamedTemporaryFile(delete=False)`` whose only use is ``tf.name``, in a function that is no
    generator (a suspended frame would keep the handle open)."""
    body = list(walk_function_body(fn))
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body):
        return False
    parents = {child: node for node in body for child in ast.iter_child_nodes(node)}
    uses = [n for n in body if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    return bool(uses) and all(isinstance(parents.get(u), ast.Attribute) and parents[u].attr == "name" for u in uses)


def _usage(module: SourceModule, fn: ast.AST, name: str, factory: str, project: Project | None = None,
           opened_by: ast.Call | None = None) -> Usage:
    """How ``name`` is used in ``fn``; a use as an argument of ``opened_by``, the call that opens it in place
    (``self.open_device(device)``), is none."""
    usage = Usage()
    usage.owned = name in declared_globals(fn, nonlocal_too=True)  # kept on the module, or the enclosing function
    body_nodes = list(walk_function_body(fn))
    names = _aliases(module, body_nodes, {name})
    for node in list(body_nodes):
        if isinstance(node, FUNCTION_TYPES + (ast.Lambda,)) and any(
                isinstance(n, ast.Name) and n.id in names for n in walk_nodes(node)):
            if _called_in_place(fn, node):
                body_nodes.extend(walk_function_body(node))  # its uses are this function's uses
            else:
                usage.owned = True  # captured by a nested function: its lifetime is not this function's
    names = _aliases(module, body_nodes, names)
    cursors = {t.id for node in body_nodes if isinstance(node, ast.Assign) and _is_cursor_of(node.value, names)
               for t in node.targets if isinstance(t, ast.Name)}
    cursor_usage = Usage()
    opening = set(walk_nodes(opened_by)) if opened_by is not None else set()
    for node in body_nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node not in opening:
            if node.id in names:
                _classify_use(module, node, usage, factory, names, project)
            elif node.id in cursors:
                _classify_use(module, node, cursor_usage, factory, names, project)
    usage.owned = usage.owned or cursor_usage.owned  # a cursor handed over carries its connection along
    return usage


def _aliases(module: SourceModule, body_nodes: list[ast.AST], names: set[str]) -> set[str]:
    """``other = conn``, ``wrapper = File(handle)``: names that stand for the same resource."""
    names = set(names)
    size = 0
    while len(names) != size:
        size = len(names)
        for node in body_nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and (_is_name_in(node.value, names) or _wraps(module, node.value, names)):
                names.add(node.targets[0].id)
    return names


def _is_cursor_of(value: ast.AST, names: set[str]) -> bool:
    return isinstance(value, ast.Call) and is_cursor_call(value) and \
        isinstance(value.func.value, ast.Name) and value.func.value.id in names


def _is_name_in(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _wraps(module: SourceModule, value: ast.AST, names: set[str]) -> bool:
    """``File(handle)``, ``Wrapper(conn=conn)``: a class built around the resource, closed with it; a file
    object over a descriptor (``os.fdopen(fd)``). Not a child process given it as a stream (``Popen(cmd,
    stdout=log)``): the child gets a copy of the descriptor, the file stays this function's to close."""
    return isinstance(value, ast.Call) and call_name(module, value) not in PROCESSES and (
        _callee_verdict(module, value) == "constructor" or call_name(module, value) in DESCRIPTOR_WRAPPERS) and \
        any(_is_name_in(a, names) for a in [*value.args, *(k.value for k in value.keywords)])


def _called_in_place(fn: ast.AST, nested: ast.AST) -> bool:
    """A nested ``def`` without decorators that the function only calls: its captures die with the call."""
    if not isinstance(nested, FUNCTION_TYPES) or nested.decorator_list:
        return False
    uses = [n for n in walk_function_body(fn) if isinstance(n, ast.Name) and n.id == nested.name]
    calls = {id(n.func) for n in walk_function_body(fn) if isinstance(n, ast.Call)}
    return bool(uses) and all(id(n) in calls for n in uses)


def _awaited(module: SourceModule, call: ast.Call) -> bool:
    """``await proc.wait()``, or awaited through a wrapper: ``await asyncio.wait_for(proc.communicate(), t)``,
    ``await asyncio.gather(a.wait(), b.wait())``."""
    parent = module.parents.get(call)
    if isinstance(parent, ast.Call) and call in parent.args and call_name(module, parent) in AWAITING_WRAPPERS:
        parent = module.parents.get(parent)
    return isinstance(parent, ast.Await)


def _classify_use(module: SourceModule, use: ast.Name, usage: Usage, factory: str, names: set[str],
                  project: Project | None = None) -> None:
    child: ast.AST = use
    parent = module.parents.get(use)
    while True:
        if isinstance(parent, ast.Attribute):
            grand = module.parents.get(parent)
            if child is use and is_streamed_request_factory(factory) and parent.attr in STREAM_DRAINS:
                _classify_drain(module, parent, usage)
            elif parent.attr in _closers(factory):
                if isinstance(grand, ast.Call) and grand.func is parent:
                    if factory in ASYNC_CLOSE and not _awaited(module, grand):
                        usage.unawaited_close = usage.unawaited_close or grand
                    else:
                        usage.closes.append((grand, _where(module, grand)))
                elif isinstance(grand, (ast.Call, ast.keyword)):
                    usage.owned = True  # its close is registered as a callback
            elif child is not use:
                usage.owned = True  # the object it was handed to is used on: that object owns it now
            elif _returns_itself(module, factory, parent.attr) and isinstance(grand, ast.Call) and grand.func is parent \
                    and _result_handed_over(module, grand):
                usage.owned = True  # ``return cursor.execute(sql)``: the caller gets the cursor itself
            elif parent.attr == "fileno" and _duplicated_onto_another(module, grand):
                usage.owned = True  # ``os.dup2(null.fileno(), sys.stdin.fileno())``: daemonizing redirects stdio once
            elif parent.attr in IO_METHODS and _keeps_callback(module, grand, parent):
                usage.owned = True  # a bound method handed to a setter (``set_writer(handle.write)``) keeps it alive
            return
        if isinstance(parent, ast.keyword) and parent.arg == "sock" and _takes_the_socket(module, parent):
            usage.owned = True
            return
        if isinstance(parent, CONTAINERS):
            child, parent = parent, module.parents.get(parent)
            continue
        if isinstance(parent, ast.Call) and parent.func is not child:
            if method_name(parent) == "addHandler":
                usage.owned = usage.owned or not _handler_removed(module, use)
                return  # the logger keeps the handler, unless this function takes it off again
            if call_name(module, parent) in SESSION_CLASSES | SESSIONMAKERS:
                return  # ``Session(engine)``: sessions borrow the engine's connections, they do not dispose it
            if _is_cleanup_call(parent) or factory in IMAGE_OPENERS and _loads_image(module, project, parent, child) \
                    or _closes_its_argument(module, project, parent, child):
                usage.closes.append((parent, _where(module, parent)))
                return
            if call_name(module, parent) in PROCESSES:
                return  # ``Popen(cmd, stdout=log)``: the child gets a copy of the descriptor, see ``_wraps``
            verdict = _callee_verdict(module, parent)
            if verdict == "owner" and project is not None and isinstance(parent.func, ast.Attribute) and \
                    dotted(parent.func.value) == "self" and _own_method_user(module, project, parent, child):
                return  # ``self._analysis(session)`` only uses it: it stays this function's to close
            if verdict == "uses" and project is not None and "session" in factory.lower() and \
                    _project_user(module, project, parent, child):
                return  # ``total = count_rows(session)``: what it gives back is a query's result, not the session
            if verdict in ("owner", "sink") or _result_handed_over(module, parent):
                usage.owned = True
            elif verdict == "constructor" or call_name(module, parent) in DESCRIPTOR_WRAPPERS:
                child, parent = parent, module.parents.get(parent)
                continue
            return
        if isinstance(parent, ast.Await):
            child, parent = parent, module.parents.get(parent)
            continue
        break
    if isinstance(parent, ast.withitem) and parent.context_expr is child:
        if factory in TRANSACTION_ONLY_WITH and child is use:
            usage.transaction_with = True
        else:
            usage.owned = True
    elif isinstance(parent, (ast.Return, ast.YieldFrom)):
        usage.owned = True
    elif isinstance(parent, ast.Yield):
        usage.yielded_at = parent.lineno if usage.yielded_at is None else min(usage.yielded_at, parent.lineno)
    elif isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is child:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if any(not isinstance(t, ast.Name) for t in targets) or \
                child is not use and not all(t.id in names for t in targets) or _module_global(module, parent, targets):
            usage.owned = True  # stored elsewhere, or wrapped in an object that is not followed


def _handler_removed(module: SourceModule, use: ast.Name) -> bool:
    """Whether the function that adds the logging handler ``use`` to a logger also takes it off
    (``root.removeHandler(handler)``): then no logger keeps it, and closing it is the function's job."""
    fn = enclosing_function(module, use)
    return fn is not None and any(isinstance(n, ast.Call) and method_name(n) == "removeHandler" and any(
        isinstance(a, ast.Name) and a.id == use.id for a in n.args) for n in walk_function_body(fn))


def _module_global(module: SourceModule, site: ast.AST, targets: list[ast.expr]) -> bool:
    """``global _supervisor; _supervisor = proc``: kept on the module, for a function elsewhere to end."""
    fn = enclosing_function(module, site)
    shared = declared_globals(fn, nonlocal_too=True) if fn is not None else set()
    return any(isinstance(t, ast.Name) and t.id in shared for t in targets)


def _duplicated_onto_another(module: SourceModule, fileno: ast.AST) -> bool:
    """``os.dup2(handle.fileno(), ...)``: the handle's descriptor is copied onto another, a standard stream."""
    dup = module.parents.get(fileno)
    return isinstance(fileno, ast.Call) and isinstance(dup, ast.Call) and call_name(module, dup) == "os.dup2" \
        and bool(dup.args) and dup.args[0] is fileno


def _returns_itself(module: SourceModule, factory: str, method: str) -> bool:
    """``conn.execution_options(...)``, and a cursor's ``execute()`` (psycopg 3, sqlite3): the same object back;
    not in a module whose only drivers return None or a row count from ``execute()`` (psycopg2, MySQL)."""
    if method in RETURNS_ITSELF:
        return True
    if method != "execute" or factory.rsplit(".", 1)[-1] != "cursor":
        return False
    return any(module.imports_module(driver) for driver in EXECUTE_RETURNS_CURSOR) or not any(
        module.imports_module(driver) for driver in EXECUTE_RETURNS_NO_CURSOR)


def _classify_drain(module: SourceModule, read: ast.Attribute, usage: Usage) -> None:
    """``response.iter_content()``, ``response.content`` of a streamed response: read to the end, the response
    gives its connection back (a release, like a close); not by a loop that may stop early. An iterator handed on (``StreamingResponse(
    response.iter_content())``, ``return response.iter_lines()``) is drained by whoever takes it."""
    call = module.parents.get(read)
    site = call if isinstance(call, ast.Call) and call.func is read else read
    holder = module.parents.get(site)
    if site is not read and read.attr.startswith("iter_") and (
            isinstance(holder, (ast.Call, ast.keyword, ast.Return, ast.Yield, ast.YieldFrom))
            or isinstance(holder, (ast.Assign, ast.AnnAssign)) and _result_handed_over(module, site)):
        usage.owned = True
    elif not (isinstance(holder, (ast.For, ast.AsyncFor)) and holder.iter is site and _leaves_early(holder)):
        usage.closes.append((site, _where(module, site)))


def _leaves_early(loop: ast.For | ast.AsyncFor) -> bool:
    """A loop that may stop before its iterator runs out: a ``break`` or ``return`` in its body."""
    return any(isinstance(n, (ast.Break, ast.Return)) for statement in loop.body for n in walk_nodes(statement))


def _memoized(module: SourceModule, fn: ast.AST) -> bool:
    """A function whose result is cached: ``@lru_cache``/``@cache``/``@cached(...)``, or one that keeps what it
    read in a module-level dict it checks first (``if name in _trees: return _trees[name]`` ...
    ``_trees[name] = tree``). It opens its file once per key, not once per call."""
    if any((qualified(module, d.func if isinstance(d, ast.Call) else d) or "") in MEMOIZING_DECORATORS
           for d in fn.decorator_list):
        return True
    module_names = {t.id for stmt in module.tree.body if isinstance(stmt, (ast.Assign, ast.AnnAssign))
                    for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]) if isinstance(t, ast.Name)}
    body = list(walk_function_body(fn))
    stored = {n.value.id for n in body if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
              and isinstance(n.value, ast.Name) and n.value.id in module_names}
    return any(isinstance(n, ast.Compare) and isinstance(n.ops[0], (ast.In, ast.NotIn))
               and isinstance(n.comparators[0], ast.Name) and n.comparators[0].id in stored for n in body)


def _takes_the_socket(module: SourceModule, keyword_node: ast.keyword) -> bool:
    """``asyncio.start_server(handle, sock=sock)``, ``loop.create_connection(factory, sock=sock)``: the server or
    transport built on the socket owns it and closes it with itself (``server.close()``, ``writer.close()``)."""
    call = module.parents.get(keyword_node)
    return isinstance(call, ast.Call) and (dotted(call.func) or "").rsplit(".", 1)[-1] in SOCKET_TAKERS


def _keeps_callback(module: SourceModule, call: ast.AST, method: ast.Attribute) -> bool:
    """``tracer.setwriter(log.write)``, ``handler=sock.send``: a setter or owner keeps the bound method; a plain
    function given it (``detect_encoding(f.readline)``) only calls it."""
    if isinstance(call, ast.keyword):
        call = module.parents.get(call)
    if not isinstance(call, ast.Call) or call.func is method:
        return False
    name = (call_name(module, call) or "").rsplit(".", 1)[-1]
    return name.startswith("set") or _callee_verdict(module, call) in ("owner", "sink")


def _closers(factory: str) -> set[str]:
    if factory in IMAGE_OPENERS:
        return CLOSE_METHODS | EXIT_METHODS | IMAGE_LOADERS  # loading the pixels closes the file Pillow opened
    if factory in SERVICE_CLIENTS:
        return CLOSE_METHODS | EXIT_METHODS | SERVICE_CLIENT_CLOSERS
    if factory == "tempfile.TemporaryDirectory":
        return CLOSE_METHODS | EXIT_METHODS | {"cleanup"}
    if factory.endswith(".pubsub"):
        return CLOSE_METHODS | EXIT_METHODS | {"reset"}  # a PubSub's reset() gives its connection back
    return CLOSE_METHODS | EXIT_METHODS | (PROCESS_WAITS if factory in PROCESSES else set())


def _loads_image(module: SourceModule, project: Project | None, call: ast.Call, given: ast.AST) -> bool:
    """``ImageOps.exif_transpose(img)``, ``np.array(img)``, ``crop_center(img)`` where the project function runs
    ``img.crop(...)``: the callee loads the image it is given, and Pillow then closes the file."""
    name = call_name(module, call) or ""
    if (name.startswith("PIL.ImageOps.") or name in PIXEL_ARRAYS) and call.args and call.args[0] is given:
        return True
    found = _receiving_parameter(module, project, call, given)
    return found is not None and any(isinstance(n, ast.Attribute) and n.attr in IMAGE_LOADERS
                                     and isinstance(n.value, ast.Name) and n.value.id == found[1]
                                     for n in walk_nodes(found[0]))


def _closes_its_argument(module: SourceModule, project: Project, call: ast.Call, given: ast.AST) -> bool:
    """``def consume(handle): with handle: ...`` (or ``handle.close()``, ``closing(handle)``,
    ``stack.enter_context(handle)``) called as ``consume(handle)``: the project function closes what it is given."""
    found = _receiving_parameter(module, project, call, given)
    if found is None:
        return False
    callee, param = found
    closers = CLOSE_METHODS | EXIT_METHODS | SERVICE_CLIENT_CLOSERS | PROCESS_WAITS
    for node in walk_function_body(callee):
        if isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Name) and \
                node.context_expr.id == param:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in closers and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == param:
            return True
        if isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1] in OWNERSHIP_SINKS and \
                any(isinstance(a, ast.Name) and a.id == param for a in node.args):
            return True
    return False


def _receiving_parameter(module: SourceModule, project: Project | None, call: ast.Call,
                         given: ast.AST) -> tuple[ast.AST, str] | None:
    """(project function, parameter name) that receives ``given``, a positional argument of ``call``."""
    if given not in call.args:
        return None
    resolved = resolve_callee(module, project, call)
    if resolved is None:
        return None
    callee = resolved[1]
    positional = [*callee.args.posonlyargs, *callee.args.args]
    if positional and positional[0].arg in ("self", "cls") and isinstance(call.func, ast.Attribute) and \
            not any(dotted(d) == "staticmethod" for d in callee.decorator_list):
        positional = positional[1:]
    index = call.args.index(given)
    return (callee, positional[index].arg) if index < len(positional) else None


def _callee_verdict(module: SourceModule, call: ast.Call) -> str:
    """What a call does with the resource handed to it: "sink", "owner", "constructor", "uses"."""
    name = call_name(module, call) or ""
    last = name.rsplit(".", 1)[-1]
    if last in OWNERSHIP_SINKS:
        return "sink"
    if name == "setattr":
        return "owner"  # ``setattr(client, "session", session)``: stored on an object
    if _initialises_the_object(call):
        return "owner"  # ``super().__init__(file, name)``: the base class keeps it on the object being built
    if last in ("put", "post", "patch", "request") and _sends_request(module, call):
        return "uses"  # ``session.put(url, data=body)``: an HTTP request reads the body, it keeps nothing
    if isinstance(call.func, ast.Attribute) and (
            last in STORING_METHODS or last.startswith(OWNING_PREFIXES)
            or isinstance(call.func.value, ast.Name) and call.func.value.id == "self"):
        return "owner"  # a container, a setter, or the object's own method keeps it
    if last[:1].isupper():
        return "constructor"
    return "uses"


def _initialises_the_object(call: ast.Call) -> bool:
    """``super().__init__(...)`` or ``Base.__init__(self, ...)``: an ``__init__`` run on the object being built."""
    receiver = call.func.value if method_name(call) == "__init__" and isinstance(call.func, ast.Attribute) else None
    return isinstance(receiver, ast.Call) and dotted(receiver.func) == "super" or \
        isinstance(receiver, ast.Name) and bool(call.args) and dotted(call.args[0]) == "self"


def _is_cleanup_call(call: ast.Call) -> bool:
    """``pool.putconn(conn)``, ``await pool.release(conn)``, ``_sync_close(f)``: gives the resource back."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in RELEASE_METHODS or any(word in name.lower() for word in CLEANUP_WORDS)


def _result_handed_over(module: SourceModule, call: ast.Call, whole: bool = False) -> bool:
    """``return send_file(handle)``, ``transport = make_transport(sock); return transport``: what the call
    builds leaves the function (returned, yielded or stored), and takes the resource along. With ``whole``, only the
    result itself counts: ``return response.text`` hands back what was read off it."""
    if call_name(module, call) in READERS or _sends_request(module, call):
        return False  # ``resp = session.put(url, data=body)``: the response keeps no file open for anybody to close
    site: ast.AST = call
    parent = module.parents.get(call)
    if isinstance(parent, ast.Await):
        site, parent = parent, module.parents.get(parent)
    if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom)):
        return True
    if not isinstance(parent, (ast.Assign, ast.AnnAssign)) or parent.value is not site:
        return False
    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
    if any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets):
        return True
    names = {t.id for t in targets if isinstance(t, ast.Name)}
    fn = enclosing_function(module, call)
    return fn is not None and any(
        isinstance(node, (ast.Return, ast.Yield)) and node.value is not None
        and any(isinstance(n, ast.Name) and n.id in names and not (whole and _read_through(node.value, n))
                for n in walk_nodes(node.value))
        for node in walk_function_body(fn))


def _read_through(returned: ast.expr, name: ast.Name) -> bool:
    """``return response.text``, ``yield resp.json()``: what leaves is read off the object, not the object."""
    return any(isinstance(n, ast.Attribute) and n.value is name for n in walk_nodes(returned))


def _sends_request(module: SourceModule, call: ast.Call) -> bool:
    """``requests.put(url, data=body)``, ``self.http.post(...)``: an HTTP request, which reads the file it is given
    as its body and never closes it."""
    if "http" not in module.text and "requests" not in module.text:
        return False
    found = outbound_call(module, call)
    return found is not None and found.protocol == "http"


def _where(module: SourceModule, node: ast.AST) -> str:
    child = node
    for parent in ancestors(module, node):
        if isinstance(parent, FUNCTION_TYPES):
            break
        if isinstance(parent, TRY_STATEMENTS) and any(child is s for s in parent.finalbody):
            return "finally"
        if isinstance(parent, ast.ExceptHandler):
            return "except"
        child = parent
    return "body"


def _unread_output_pipe(fn: ast.AST, start: ast.Call, name: str, reaps: list[ast.AST]) -> str | None:
    """``p = Popen(cmd, stdout=PIPE, stderr=STDOUT); p.wait()``: the child's output goes to a pipe that nothing
    reads before ``wait()`` (not ``communicate()``, which reads while it waits). The stream, or None."""
    piped = [stream for stream in ("stdout", "stderr")
             if (dotted(keyword(start, stream)) or "").endswith("PIPE")]
    waits = [r.value if isinstance(r, ast.Await) else r for r in reaps]
    if not piped or not waits or not all(isinstance(w, ast.Call) and method_name(w) == "wait" for w in waits):
        return None
    first_wait = min(w.lineno for w in waits)
    read = {n.attr for n in walk_function_body(fn) if isinstance(n, ast.Attribute) and n.attr in piped
            and isinstance(n.value, ast.Name) and n.value.id == name and n.lineno <= first_wait}
    return None if read else piped[0]


def _pipes_left_on_error(fn: ast.AST, start: ast.Call, reaps: list[ast.AST]) -> bool:
    """``proc = Popen(cmd, stdin=PIPE, stdout=PIPE); proc.stdin.write(data); ...; proc.wait()``: a child with pipes
    reaped only later in the body, after a call that may raise, is left running with its pipes open by that
    exception. A child without pipes reaped later is not asked for a ``finally``."""
    pipes = (keyword(start, stream) for stream in ("stdin", "stdout", "stderr"))
    return bool(reaps) and any(p is not None and (dotted(p) or "").endswith("PIPE") for p in pipes) \
        and _can_raise_between(fn, start, reaps[0])


def _one_write_then_closed(module: SourceModule, acquire: ast.Call, name: str, close: ast.Call) -> bool:
    """``fp = open(p, "w")``, ``fp.write(data)``, ``fp.close()``: three statements in a row of one block, the middle
    one a single write of the file's own. Only that write's failure skips the close, and reference counting frees
    the file as the exception leaves the function."""
    opened, closed = module.parents.get(acquire), module.parents.get(close)
    block = module.parents.get(opened)
    if not isinstance(opened, ast.Assign) or not isinstance(closed, ast.Expr) or module.parents.get(closed) is not block:
        return False
    for body in (getattr(block, f, None) for f in ("body", "orelse", "finalbody")):
        if isinstance(body, list) and opened in body and closed in body:
            at = body.index(opened)
            if body.index(closed) != at + 2:
                return False
            middle = body[at + 1]
            value = middle.value if isinstance(middle, ast.Expr) else None
            return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr in ("write", "writelines") \
                and isinstance(value.func.value, ast.Name) and value.func.value.id == name
    return False


def _can_raise_between(fn: ast.AST, acquire: ast.Call, close: ast.Call, module: SourceModule | None = None) -> bool:
    start = getattr(acquire, "end_lineno", acquire.lineno)
    for node in walk_function_body(fn):
        line = getattr(node, "lineno", None)
        if line is None or not start < line < close.lineno:
            continue
        if isinstance(node, (ast.Call, ast.Await, ast.Raise, ast.Assert, ast.Subscript)) and \
                (module is None or not _swallowed(module, fn, node, close)):
            return True
    return False


def _swallowed(module: SourceModule, fn: ast.AST, node: ast.AST, close: ast.Call) -> bool:
    """Whether an exception at ``node`` is caught before ``close``: ``node`` lies in a ``try`` that ends before the
    close, whose handler catches everything (bare, ``Exception``, ``BaseException``) and only logs: it neither
    raises nor leaves (``try: smtp.send_message(m)`` ``except Exception: log.exception(...)`` then
    ``smtp.quit()``). A call in that handler itself counts as caught too (logging); one in the ``try``'s ``else``
    does not: nothing catches it."""
    child = node
    for outer in ancestors(module, node):
        if outer is fn:
            return False
        in_else, child = isinstance(outer, TRY_STATEMENTS) and any(child is s for s in outer.orelse), outer
        if isinstance(outer, TRY_STATEMENTS) and getattr(outer, "end_lineno", close.lineno) < close.lineno \
                and not in_else and not outer.finalbody and any(catches_any_error(h) for h in outer.handlers) \
                and not any(isinstance(n, (ast.Raise, ast.Return, ast.Break, ast.Continue))
                            for h in outer.handlers for n in walk_nodes(h)):
            return True
    return False


def _connections_opened_in(module: SourceModule, project: Project, fn: ast.AST) -> set[str]:
    """Names bound in ``fn`` to connections it acquires itself, also through a project function that returns
    one (``conn = self.connect()``): their cursors die with them."""
    names: set[str] = set()
    for node in walk_function_body(fn):
        value, targets = None, []
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            value, targets = node.context_expr, [node.optional_vars]
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call) and (_acquired_kind(module, value) in CONNECTION_KINDS
                                            or _opens_connection_through_project(project, module, value)):
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _opens_connection_through_project(project: Project, module: SourceModule, call: ast.Call) -> bool:
    """``self.connect()`` or ``connect()``: a project function or method of the class that returns a database
    connection it opens."""
    found = called_function(project, module, call)
    made = returned_resource(project, *found) if found is not None else None
    return made is not None and made[0] in CONNECTION_KINDS


def _cursor_of(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, own_connections: set[str]) -> bool:
    """Whether the cursor's connection ends in this function or with the request: opened here, closed here
    (closing the connection closes its client-side cursors; a leak of the connection is the connection's
    finding), or taken from an accessor that keeps it on ``flask.g`` for one request."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(receiver, ast.Call):
        return not is_named_cursor(call) and request_scoped_accessor(project, module, receiver)
    if not isinstance(receiver, ast.Name):
        return False
    if receiver.id == "self" and _library_connection_method(project, module, fn):
        return True
    if receiver.id in own_connections or not is_named_cursor(call) and \
            _entered_by_every_caller(project, module, fn, receiver.id):
        return True
    closes = _usage(module, fn, receiver.id, "").closes
    return any(where == "finally" for _, where in closes) or bool(closes) and not is_named_cursor(call)


def _library_connection_method(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """``def _start_transaction_under_autocommit(self): self.cursor().execute("BEGIN IMMEDIATE")``: ``self`` is a
    library's connection (a database backend's method, or a function patched onto one), no project class with a
    ``cursor()`` of its own. Its cursors are the driver's business, as in the backend it extends."""
    positional = [*fn.args.posonlyargs, *fn.args.args]
    if not positional or positional[0].arg != "self":
        return False
    cls = module.parents.get(fn)
    if not isinstance(cls, ast.ClassDef):
        return cls is module.tree
    return not any(isinstance(m, FUNCTION_TYPES) and m.name == "cursor"
                   for _, klass in _class_hierarchy(project, module, cls) for m in klass.body)


def _entered_by_every_caller(project: Project, module: SourceModule, fn: ast.AST, parameter: str) -> bool:
    """``def drop_schema(name, conn)``, a module-level function, and every call of it in the project passes a
    connection the caller holds in a ``with`` (``with connect(db) as conn: drop_schema(name, conn)``): the
    caller's exit closes the connection, and its client-side cursors with it."""
    if module.parents.get(fn) is not module.tree:
        return False
    positional = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if parameter not in positional + [a.arg for a in fn.args.kwonlyargs]:
        return False
    index = positional.index(parameter) if parameter in positional else None
    called = False
    for other in project.modules:
        if is_test_path(other.path) or fn.name not in other.text:
            continue
        for call in other.nodes_of(ast.Call):
            if (dotted(call.func) or "").rsplit(".", 1)[-1] != fn.name or \
                    (resolve_callee(other, project, call) or (None, None))[1] is not fn:
                continue
            given = keyword(call, parameter) or (
                call.args[index] if index is not None and index < len(call.args) else None)
            if not (isinstance(given, ast.Name) and _inside_with_of(other, call, given.id)):
                return False
            called = True
    return called


def _inline(module: SourceModule, call: ast.Call, kind: str, factory: str, used_by: str) -> Finding:
    confidence = Confidence.low if kind in ("file", "cursor") else Confidence.medium
    if used_by == "nothing":
        consumer = "is dropped at once"
    elif used_by == "a for loop":
        consumer = "is iterated by a for loop and never closed"
    elif used_by.startswith("."):
        consumer = f"is used once (`{used_by}`) and never closed"
    else:
        consumer = f"is handed to {used_by} and never closed"
    return _finding(module, call, kind, factory, confidence, f"{kind} from {factory}() {consumer}",
                    _fix(kind, factory, "handle"))


def _finding(module: SourceModule, call: ast.Call, kind: str, factory: str, confidence: Confidence,
             message: str, fix: str) -> Finding:
    return Finding(
        message=message,
        path=module.path,
        line=call.lineno,
        end_line=getattr(call, "end_lineno", call.lineno),
        evidence=module.evidence(call),
        fix=fix,
        confidence=confidence,
        extra={"resource": kind, "factory": factory},
    )


def _fix(kind: str, factory: str, name: str) -> str:
    if kind == "process":
        if factory.startswith("asyncio"):
            return f"`await {name}.wait()` (or `await {name}.communicate()`) before the function returns"
        return f"`with subprocess.Popen(...) as {name}:`, or `{name}.wait()` / `{name}.communicate()`"
    if kind in ("cursor", "server-side cursor"):
        return f"use `with conn.cursor() as {name}:` (closes it on every path)"
    if kind == "pooled connection":
        return (f"`with pool.connection() as {name}:` (psycopg_pool), `async with pool.acquire() as {name}:` "
                f"(asyncpg), or return it with `pool.putconn({name})` / `await pool.release({name})` in a `finally`")
    if kind == "ORM session":
        opener = "async with" if "async" in factory.lower() else "with"
        return f"`{opener} {factory}() as {name}:`, or `try: yield {name}` / `finally: {name}.close()` in a dependency"
    if kind == "engine connection":
        return f"`with engine.connect() as {name}:`"
    if kind == "engine":
        dispose = f"await {name}.dispose()" if "async" in factory else f"{name}.dispose()"
        return f"create the engine once at startup and reuse it, or `{dispose}` in a `finally` block"
    if factory.rsplit(".", 1)[-1].startswith(HELPER_OPENER):
        receiver, _, helper = factory.rpartition(".")
        closer = (f"{receiver}." if receiver else "") + HELPER_CLOSER + helper[len(HELPER_OPENER):]
        return f"`try:` ... `finally: {closer}({name})`"
    if kind == "temporary directory":
        remove = "shutil.rmtree" if factory == "tempfile.mkdtemp" else f"{name}.cleanup"
        return f"`with tempfile.TemporaryDirectory() as {name}:`, or `{remove}(...)` in a `finally` block"
    if kind.startswith("browser"):
        return f"`async with await {factory}(...) as {name}:` (`with` in sync code), or `{name}.close()` in a `finally`"
    opener = "async with" if factory in ("aiohttp.ClientSession", "httpx.AsyncClient") else "with"
    if factory in ("asyncpg.connect", "asyncpg.create_pool"):
        return f"`try:` ... `finally: await {name}.close()` (or `async with asyncpg.create_pool(...) as pool`)"
    if factory in TRANSACTION_ONLY_WITH:
        return f"`with contextlib.closing({factory}(...)) as {name}:` or close it in a finally block"
    return f"`{opener} {factory}(...) as {name}:` or close it in a `finally` block"
