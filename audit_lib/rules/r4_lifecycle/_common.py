"""What the R4 rules share: which calls acquire resources, which functions run per request.

Module names are resolved through each file's imports (``pyast.qualified``), so
``from psycopg import connect`` and ``import psycopg as pg`` are both recognised.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_name,
    declared_globals,
    dotted,
    enclosing_function,
    is_none,
    keyword,
    method_in_hierarchy,
    method_name,
    qualified,
    walk_function_body,
)
from audit_lib.source import Project, SourceModule, is_management_command, is_test_path

# Calls that open a connection to a database server (network, authentication, backend process). Not the
# HTTP-based DB-API clients (pyhive.presto, trino): their "connection" holds no socket of its own.
DB_CONNECT = {
    "psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect",
    "psycopg2.connect", "asyncpg.connect", "pymysql.connect", "MySQLdb.connect",
    "aiomysql.connect", "mysql.connector.connect", "aiopg.connect", "pg8000.connect",
    "pg8000.native.Connection",
    "pyodbc.connect", "pymssql.connect", "cx_Oracle.connect", "oracledb.connect", "ibm_db_dbi.connect",
    "ibm_db.connect",
    "pyhive.hive.connect", "impala.dbapi.connect", "snowflake.connector.connect", "memsql.common.database.connect",
    "dataset.connect",  # a dataset.Database: its own engine and connection, closed by db.close()
}
# Local file databases: opening one is a file open, not a network round trip.
LOCAL_DB_CONNECT = {"sqlite3.connect", "aiosqlite.connect"}
# Calls that create a pool of connections (or an engine, which owns one).
DB_POOLS = {
    "asyncpg.create_pool", "psycopg_pool.ConnectionPool", "psycopg_pool.AsyncConnectionPool",
    "psycopg_pool.NullConnectionPool", "psycopg_pool.AsyncNullConnectionPool",
    "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool",
    "aiomysql.create_pool", "aiopg.create_pool",
}
ENGINES = {"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine"}
# Redis clients: each one builds its own connection pool (redis-py, redis.asyncio, aioredis).
REDIS_CLIENTS = {
    "redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url", "redis.StrictRedis.from_url",
    "redis.client.Redis", "redis.asyncio.Redis", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url",
    "redis.asyncio.client.Redis", "aioredis.Redis", "aioredis.from_url", "aioredis.Redis.from_url",
    "arq.create_pool", "arq.connections.create_pool",  # an ArqRedis: a redis.asyncio client with its own pool
}
HTTP_CLIENTS = {
    "requests.Session": "requests session", "requests.session": "requests session",
    "httpx.Client": "httpx client", "httpx.AsyncClient": "httpx client",
    "aiohttp.ClientSession": "aiohttp session",
}
FILE_OPENERS = {"open", "io.open", "builtins.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open",
                "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile",
                "django.core.files.temp.NamedTemporaryFile"}
# websocket-client's create_connection returns a connected WebSocket (a socket), closed by ws.close().
SOCKETS = {"socket.socket", "socket.create_connection", "websocket.create_connection", "ssl.wrap_socket"}
# Child processes: reaped by wait()/communicate() (or `with`), else a zombie and open pipes remain.
PROCESSES = {"subprocess.Popen", "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell"}

# Clients of other servers (and image files) that hold sockets, threads or a file until closed: close(), an
# LDAP connection's unbind(), a Cassandra cluster's shutdown().
SERVICE_CLIENTS = {
    "ldap3.Connection": "LDAP connection", "ldap.initialize": "LDAP connection",
    "pymongo.MongoClient": "MongoDB client", "pymongo.mongo_client.MongoClient": "MongoDB client",
    "motor.motor_asyncio.AsyncIOMotorClient": "MongoDB client",
    "cassandra.cluster.Cluster": "Cassandra cluster",
    "openai.OpenAI": "OpenAI client", "openai.AsyncOpenAI": "OpenAI client",
    "smtplib.SMTP": "SMTP connection", "smtplib.SMTP_SSL": "SMTP connection", "smtplib.LMTP": "SMTP connection",
    "aiosmtplib.SMTP": "SMTP connection", "paramiko.SSHClient": "SSH client", "paramiko.client.SSHClient": "SSH client",
    "paramiko.Transport": "SSH transport", "paramiko.transport.Transport": "SSH transport",
    "PIL.Image.open": "image file",
    "pikepdf.open": "PDF file", "pikepdf.Pdf.open": "PDF file",
    "fitz.open": "PDF document", "pymupdf.open": "PDF document",
    # Segment: the constructor starts consumer threads and registers its join() with atexit, so a client that is
    # never shut down is never freed either.
    "segment.analytics.Client": "Segment analytics client",
    "segment.analytics.client.Client": "Segment analytics client",
    # GitPython: a Repo starts persistent `git cat-file` processes for its object database, ended by close().
    "git.Repo": "git repository", "git.repo.Repo": "git repository", "git.repo.base.Repo": "git repository",
    # The standard library's protocol clients hold a socket to the server until closed (POP3 and SMTP by quit(),
    # IMAP by logout()); impacket's SMB connection too.
    "poplib.POP3": "POP3 connection", "poplib.POP3_SSL": "POP3 connection",
    "imaplib.IMAP4": "IMAP connection", "imaplib.IMAP4_SSL": "IMAP connection",
    "ftplib.FTP": "FTP connection", "ftplib.FTP_TLS": "FTP connection", "telnetlib.Telnet": "Telnet connection",
    "impacket.smbconnection.SMBConnection": "SMB connection",
    # A logging handler writing to a file holds it open until its close() (removeHandler() does not close it).
    "logging.FileHandler": "log file handler", "logging.handlers.RotatingFileHandler": "log file handler",
    "logging.handlers.TimedRotatingFileHandler": "log file handler",
    "logging.handlers.WatchedFileHandler": "log file handler",
    # Django's GeoIP2 opens the MaxMind database files (readers) it answers from, until its close().
    "django.contrib.gis.geoip2.GeoIP2": "GeoIP2 database reader",
}
# Search datastore clients: each one builds its own pool of HTTP connections to the cluster.
SEARCH_CLIENTS = {
    "elasticsearch.Elasticsearch": "Elasticsearch client", "elasticsearch.AsyncElasticsearch": "Elasticsearch client",
    "opensearchpy.OpenSearch": "OpenSearch client", "opensearchpy.AsyncOpenSearch": "OpenSearch client",
}
SERVICE_CLIENTS.update(SEARCH_CLIENTS)
IMAGE_OPENERS = {"PIL.Image.open"}
# Image methods that read the pixels (they run ``load()``): Pillow then closes the file it opened from a path
# (single-frame images), so a loaded image holds no file. ``verify()`` closes it too.
IMAGE_LOADERS = {"load", "convert", "copy", "crop", "resize", "thumbnail", "transpose", "rotate", "save",
                 "getdata", "tobytes", "split", "getpixel", "filter", "quantize", "reduce", "transform",
                 "verify", "getextrema", "histogram", "getbbox", "getcolors", "point", "paste"}
PATH_MAKERS = {"Path", "PurePath", "join", "abspath", "realpath", "str", "fspath"}
PATH_TYPES = {"Path", "PurePath", "str", "PathLike", "StrPath"}
SERVICE_CLIENT_CLOSERS = {"unbind", "unbind_s", "unbind_ext", "unbind_ext_s", "shutdown", "quit",  # quit: SMTP
                          "logout"}  # IMAP

# requests calls that return a response, which holds its pooled connection when made with ``stream=True`` until it
# is closed or read to the end (``iter_content()``/``iter_lines()`` run out, ``.content``/``.text``/``.json()``).
STREAMING_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
STREAM_DRAINS = {"iter_content", "iter_lines", "content", "text", "json"}

# Calls returning an OS-level file descriptor (an int, never closed by the garbage collector) in a tuple, with
# the descriptor's position: ``fd, path = tempfile.mkstemp()``. Closed by ``os.close(fd)`` or by the file object
# ``os.fdopen(fd)`` wraps it in.
DESCRIPTOR_FACTORIES = {"tempfile.mkstemp": 0}
# Calls that wrap a descriptor in a file object, which closes it: ``os.fdopen(fd, "w")``, ``open(fd)``.
DESCRIPTOR_WRAPPERS = {"os.fdopen", "open", "io.open", "builtins.open"}

# Archives opened for writing: close() writes the central directory; without it the archive is unreadable.
WRITTEN_ARCHIVES = {"zipfile.ZipFile"}
# Archives opened from a path hold that file open until closed (one opened over a file object or bytes does not).
READ_ARCHIVES = {"zipfile.ZipFile", "tarfile.TarFile", "tarfile.open", "rarfile.RarFile", "py7zr.SevenZipFile"}

RESOURCE_TAILS = {name.rsplit(".", 1)[-1] for name in (
    *DB_CONNECT, *LOCAL_DB_CONNECT, *DB_POOLS, *ENGINES, *REDIS_CLIENTS, *HTTP_CLIENTS, *FILE_OPENERS, *SOCKETS,
    *PROCESSES, *WRITTEN_ARCHIVES, *READ_ARCHIVES, *SERVICE_CLIENTS, *DESCRIPTOR_FACTORIES)}
REEXPORT_DEPTH = 3  # package __init__ files re-exporting a function, followed this many times
CONTEXT_MANAGER_DECORATORS = {"contextlib.contextmanager", "contextlib.asynccontextmanager"}
FACTORY_DEPTH = 3  # project functions returning a resource made by another such function, followed this deep
CLOSE_METHODS = {"close", "aclose", "terminate", "closeall", "dispose"}

# A package named ``migrations`` whose ``__init__.py`` holds code is a library of the application, not a
# migration; the top-level ``tools/`` folder holds developer tools, like ``scripts/``; the top-level ``docs/``
# folder and a Sphinx ``docs/conf.py`` run while the documentation builds, not in the service.
SHORT_LIVED_PATH = re.compile(r"(^|/)(management/commands|alembic|scripts|bench|benchmarks|profiling)/"
                              r"|(^|/)migrations/(?!__init__\.py$)|^(tools|docs?)/|(^|/)docs?/(source/)?conf\.py$"
                              r"|(^|/)(setup|manage|noxfile)\.py$")


def is_short_lived_path(path: str) -> bool:
    """Files that run as one-off commands, whose in-memory state dies with the command."""
    return bool(SHORT_LIVED_PATH.search(path))


def is_one_shot_path(path: str) -> bool:
    """Short-lived files that always run once and exit: not Django management commands, some of which run
    as long-lived workers."""
    return is_short_lived_path(path) and not is_management_command(path)


def over_given_pool(call: ast.Call) -> bool:
    """``Redis(connection_pool=pool)``: a client over a pool it is given opens nothing of its own; the pool's
    owner closes the connections."""
    return any(k.arg == "connection_pool" for k in call.keywords)


def resource_kind(module: SourceModule, call: ast.Call) -> str | None:
    """What ``call`` acquires: "database connection", "file", ... or None."""
    if streamed_response(module, call):
        return "streamed HTTP response"
    if method_name(call) == "wrap_socket" and isinstance(call.func, ast.Attribute) and module.imports_module("ssl"):
        return "socket"  # ``context.wrap_socket(sock)``: a TLS socket over the one it takes over
    client_class = client_class_attribute(module, call)
    if client_class is not None:
        return SERVICE_CLIENTS.get(client_class)
    if method_name(call) not in RESOURCE_TAILS and not (isinstance(call.func, ast.Name) and call.func.id in module.imports):
        return None  # not a factory's name, nor imported under another (``from psycopg2 import connect as _connect``)
    name = library_call_name(module, call)
    if name is None:
        return None
    if name in DB_CONNECT or name in LOCAL_DB_CONNECT:
        return "database connection"
    if name in DB_POOLS:
        return "connection pool"
    if name in HTTP_CLIENTS:
        return HTTP_CLIENTS[name]
    if name in FILE_OPENERS:
        return "file"
    if name in WRITTEN_ARCHIVES and _writing_mode(call):
        return "zip archive"
    if name in READ_ARCHIVES and _names_a_path(module, call):
        return "archive"
    if name in SOCKETS:
        return "socket"
    if name in PROCESSES:
        return "process"
    if name in DESCRIPTOR_FACTORIES:
        return "file descriptor"
    if name in IMAGE_OPENERS and not _names_a_path(module, call):
        return None  # Pillow leaves a file object it is given to its owner
    return SERVICE_CLIENTS.get(name)


def client_class_attribute(module: SourceModule, call: ast.Call) -> str | None:
    """``self.client(host, port)`` in a class whose body says ``client = smtplib.SMTP``: the library class it
    names."""
    if not (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
            and call.func.value.id in ("self", "cls")):
        return None
    cls = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    values = [stmt.value for stmt in cls.body if isinstance(stmt, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == call.func.attr for t in stmt.targets)] if cls is not None else []
    return qualified(module, values[-1]) if values and isinstance(values[-1], (ast.Name, ast.Attribute)) else None


def streamed_response(module: SourceModule, call: ast.Call) -> bool:
    """``requests.get(url, stream=True)``, ``session.post(url, stream=True)`` in a file that uses requests: the
    body is left on the connection, which goes back to the pool only when the response is closed or read to
    the end."""
    stream = keyword(call, "stream")
    return isinstance(stream, ast.Constant) and stream.value is True and method_name(call) in STREAMING_VERBS \
        and isinstance(call.func, ast.Attribute) and module.imports_module("requests")


def is_streamed_request_factory(factory: str) -> bool:
    """Whether a factory name (``requests.get``, ``self.session.get``) is an HTTP verb: what it made is a
    streamed response (no other resource factory is named like one)."""
    return factory.rsplit(".", 1)[-1] in STREAMING_VERBS


FILE_OBJECT_WORDS = ("stream", "fileobj", "file_obj", "_or_file", "_or_fp", "_or_buf")


def _names_a_path(module: SourceModule, call: ast.Call) -> bool:
    """Whether the first argument of ``Image.open(...)`` is a path (Pillow opens and owns the file) rather
    than a file object: a string, ``base / name``, ``Path(...)``/``os.path.join(...)``, a parameter annotated
    ``Path``/``str``, or a name or attribute called like one (``image_path``, ``self.filename``; not one that
    says it may be a stream, ``filename_or_stream``)."""
    arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "fp"), None)
    if isinstance(arg, (ast.JoinedStr, ast.BinOp)) or isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return True
    if isinstance(arg, ast.Call):
        return (call_name(module, arg) or "").rsplit(".", 1)[-1] in PATH_MAKERS
    name = (dotted(arg) or "").rsplit(".", 1)[-1]
    if any(word in name.lower() for word in FILE_OBJECT_WORDS):
        return False  # ``filename_or_stream``: callers may hand a stream in, which Pillow leaves to them
    if any(word in name.lower() for word in ("path", "filename", "file_name")):
        return True
    fn = enclosing_function(module, call)
    if fn is None or not isinstance(arg, ast.Name):
        return False
    bound = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == arg.id for t in n.targets)]
    if bound and all(isinstance(v, ast.BinOp) or isinstance(v, ast.Call)
                     and (call_name(module, v) or "").rsplit(".", 1)[-1] in PATH_MAKERS for v in bound):
        return True  # cbr_file = os.path.join(root, book.path, name) + ".cbz"
    params = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    hint = next((a.annotation for a in params if a.arg == arg.id and a.annotation is not None), None)
    return (dotted(hint) or "").rsplit(".", 1)[-1] in PATH_TYPES


def names_a_path(module: SourceModule, call: ast.Call) -> bool:
    """Whether the first argument of a file or archive opener (``ZipFile(target_path, "w")``) is a path, as
    ``_names_a_path`` reads it for ``Image.open``."""
    return _names_a_path(module, call)


def _writing_mode(call: ast.Call) -> bool:
    """``ZipFile(path, "w")``, ``ZipFile(path, mode="a")``: opened to write (reading needs no close to be valid)."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and mode.value[:1] in ("w", "a", "x")


def project_resource(project: Project, module: SourceModule, call: ast.Call) -> tuple[str, str, str] | None:
    """(kind, library factory, project function) when ``call`` runs a project function that returns a resource
    it acquires: ``def connect(**kw): conn = psycopg2.connect(**kw); conn.autocommit = True; return conn``, or
    ``def create_main_engine(): return create_engine(settings.url)`` over another such function. The kind is
    what ``resource_kind`` says, or "engine" for a SQLAlchemy engine."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    resolved = resolve_function(project, module, call.func)
    if resolved is None:
        return None
    found = _factory_of(project, *resolved, FACTORY_DEPTH)
    return (*found, resolved[1].name) if found is not None else None


def tuple_resource(project: Project, module: SourceModule, call: ast.Call) -> tuple[int, str, str, str] | None:
    """(position, kind, library factory, project function) when ``call`` runs a project function that returns a
    tuple holding a resource it acquires, at the same position in every tuple it returns:
    ``def read_archive(p): archive = ZipFile(p); ...; return archive, meta``. The caller that unpacks it owns
    the resource as if it had opened it itself."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    resolved = resolve_function(project, module, call.func)
    if resolved is None:
        return None
    owner, fn = resolved
    cache = project.facts.setdefault("R4.tuple-factories", {})
    if fn not in cache:
        cache[fn] = _tuple_factory_of(project, owner, fn)
    found = cache[fn]
    return (*found, fn.name) if found is not None else None


def _tuple_factory_of(project: Project, module: SourceModule, fn: ast.AST) -> tuple[int, str, str] | None:
    body = list(walk_function_body(fn))
    if fn.decorator_list or any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body):
        return None
    bound = _bindings(fn)
    common: set[tuple[int, str, str]] | None = None
    for node in body:
        if not isinstance(node, ast.Return) or node.value is None or is_none(node.value):
            continue
        if not isinstance(node.value, ast.Tuple):
            return None
        held: set[tuple[int, str, str]] = set()
        for position, element in enumerate(node.value.elts):
            found = _acquired_as(project, module, bound, element, FACTORY_DEPTH)
            if found is not None:
                held.add((position, *found))
        common = held if common is None else common & held
        if not common:
            return None
    return min(common) if common else None


def _bindings(fn: ast.AST) -> dict[str, list[ast.expr]]:
    """Local names of ``fn`` -> every value bound to them (names kept in a global are left out)."""
    shared = declared_globals(fn, nonlocal_too=True)
    bound: dict[str, list[ast.expr]] = {}
    for node in walk_function_body(fn):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and target.id not in shared:
                    bound.setdefault(target.id, []).append(node.value)
    return bound


def _acquired_as(project: Project, module: SourceModule, bound: dict[str, list[ast.expr]], value: ast.expr,
                 depth: int) -> tuple[str, str] | None:
    """(kind, library factory) of what a returned ``value`` holds when the function acquires it: a call, or a
    local every binding of which acquires the same kind (``sock = socket.socket(); sock =
    context.wrap_socket(sock)``: the TLS socket takes over the one it wraps)."""
    found = []
    for one in bound.get(value.id, []) if isinstance(value, ast.Name) else [value]:
        if isinstance(one, ast.Await):
            one = one.value
        acquired = _acquires(project, module, one, depth) if isinstance(one, ast.Call) else None
        if acquired is None:
            return None
        found.append(acquired)
    return found[0] if found and len({kind for kind, _ in found}) == 1 else None


PLAIN_METHOD_DECORATORS = {"staticmethod", "classmethod"}  # a static factory method is still a factory


def returned_resource(project: Project, module: SourceModule, fn: ast.AST) -> tuple[str, str] | None:
    """(kind, library factory) when ``fn`` is a factory: it returns a resource it acquires itself."""
    return _factory_of(project, module, fn, FACTORY_DEPTH)


def _factory_of(project: Project, module: SourceModule, fn: ast.AST, depth: int) -> tuple[str, str] | None:
    """(kind, library factory) of what every non-None ``return`` of ``fn`` gives back, if it is a resource that
    ``fn`` acquires itself. Generators, decorated functions (cached singletons, context managers) and names kept
    in a global are not factories."""
    cache = project.facts.setdefault("R4.factories", {})
    if fn in cache:
        return cache[fn]
    cache[fn] = None  # recursion guard
    body = list(walk_function_body(fn))
    if any(dotted(d) not in PLAIN_METHOD_DECORATORS for d in fn.decorator_list) \
            or any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body):
        return None
    bound = _bindings(fn)
    kinds: set[tuple[str, str]] = set()
    for node in body:
        if not isinstance(node, ast.Return) or node.value is None or is_none(node.value):
            continue
        found = _acquired_as(project, module, bound, node.value, depth)
        if found is None:
            return None
        kinds.add(found)
    cache[fn] = next(iter(kinds)) if len(kinds) == 1 else None
    return cache[fn]


def _acquires(project: Project, module: SourceModule, call: ast.Call, depth: int) -> tuple[str, str] | None:
    kind = resource_kind(module, call)
    if kind is not None:
        return kind, call_name(module, call) or ""
    name = library_call_name(module, call)
    if name in ENGINES:
        return "engine", name
    if name in REDIS_CLIENTS and not over_given_pool(call):
        return "Redis client", name
    if depth and isinstance(call.func, (ast.Name, ast.Attribute)):
        resolved = resolve_function(project, module, call.func)
        if resolved is not None:
            return _factory_of(project, *resolved, depth - 1)
    return None


def context_generator(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A generator run as a context manager (``@contextmanager``, ``@asynccontextmanager``) or as a FastAPI
    dependency: it runs once per ``with`` block or request, and an exception in the caller's block is thrown in
    at its ``yield``. Not an application lifespan (see ``is_lifespan``)."""
    decorators = {qualified(module, d.func if isinstance(d, ast.Call) else d) for d in fn.decorator_list}
    return bool(decorators & CONTEXT_MANAGER_DECORATORS or fn in dependency_functions(project)) and \
        not is_lifespan(project, fn)


def is_lifespan(project: Project, fn: ast.AST) -> bool:
    """An application lifespan: passed as ``lifespan=``, named ``lifespan``, or a generator taking the app. Its
    code after the ``yield`` runs at shutdown; an exception before it fails the start-up and ends the process."""
    params = [*fn.args.posonlyargs, *fn.args.args]
    return "lifespan" in fn.name.lower() or fn.name in _lifespans(project) or \
        bool(params) and params[0].arg in ("app", "application") and \
        any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in walk_function_body(fn))


def _lifespans(project: Project) -> set[str]:
    """Names passed as ``lifespan=`` anywhere in the project."""
    names = project.facts.get("R4.lifespans")
    if names is None:
        names = project.facts["R4.lifespans"] = set()
        for other in project.modules:
            if "lifespan" not in other.text:
                continue
            for node in other.nodes_of(ast.keyword):
                if node.arg == "lifespan" and (name := dotted(node.value)) is not None:
                    names.add(name.rsplit(".", 1)[-1])
    return names


def library_call_name(module: SourceModule, call: ast.Call) -> str | None:
    """``call_name``, or None for a dotted call whose first part is not an import: ``dataset.connect()`` on a
    local variable named ``dataset`` is not the dataset library."""
    name = call_name(module, call)
    if name is not None and "." in name and (dotted(call.func) or "").partition(".")[0] not in module.imports:
        return None
    return name


REQUEST_GLOBALS = {"flask.g", "quart.g"}


def kept_for_the_request(module: SourceModule, call: ast.Call) -> bool:
    """``g.db = connect()``: what the call returns is kept on the framework's per-request globals (``flask.g``),
    which live for one request (the app context) and are dropped, usually closed by a teardown, at its end."""
    site = module.parents.get(call)
    parent = module.parents.get(site) if isinstance(site, ast.Await) else site
    if not isinstance(parent, (ast.Assign, ast.AnnAssign)):
        return False
    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
    return any(isinstance(t, ast.Attribute) and qualified(module, t.value) in REQUEST_GLOBALS for t in targets)


def request_scoped_accessor(project: Project, module: SourceModule, call: ast.Call) -> bool:
    """``self.get_db()`` or ``get_db()`` where that function keeps what it opens on ``flask.g``: one object per
    request, which the request's teardown ends."""
    resolved = called_function(project, module, call)
    if resolved is None:
        return False
    owner, fn = resolved
    return any(isinstance(n, ast.Call) and kept_for_the_request(owner, n) for n in walk_function_body(fn))


def called_function(project: Project, module: SourceModule, call: ast.Call):
    """(module, function) that ``call`` runs: ``self.method()`` of the enclosing class or a project base class,
    or a local or imported project function; None otherwise."""
    func = call.func
    if isinstance(func, ast.Attribute) and dotted(func.value) in ("self", "cls"):
        cls = next((p for p in ancestors(module, call) if isinstance(p, ast.ClassDef)), None)
        return method_in_hierarchy(project, module, cls, func.attr) if cls is not None else None
    return resolve_function(project, module, func) if isinstance(func, (ast.Name, ast.Attribute)) else None


def is_abstract(fn: ast.AST) -> bool:
    """A body of only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``: a base class's stub."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt.exc or stmt):
            continue
        return False
    return True


def is_cursor_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "cursor"


def is_named_cursor(call: ast.Call) -> bool:
    """A psycopg/psycopg2 server-side cursor: ``conn.cursor("name")`` or ``cursor(name=...)``."""
    if any(kw.arg == "name" for kw in call.keywords):
        return True
    return bool(call.args) and isinstance(call.args[0], (ast.Constant, ast.JoinedStr)) and \
        isinstance(getattr(call.args[0], "value", ""), str)


def resolve_function(project: Project, module: SourceModule, target: ast.expr):
    """(module, top-level function) that a name or ``module.name`` expression refers to, or None.

    Follows re-exports: ``from .tasks import create_task`` in a package ``__init__``.
    """
    name = dotted(target)
    if name is None:
        return None
    if "." not in name:
        local = top_level_function(module, name)
        if local is not None:
            return module, local
    return _resolve_dotted(project, qualified(module, target) or name, REEXPORT_DEPTH)


def _resolve_dotted(project: Project, dotted_name: str, depth: int):
    owner_name, _, function_name = dotted_name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name)
    if owner is None:
        return None
    fn = top_level_function(owner, function_name)
    if fn is not None:
        return owner, fn
    reexported = owner.imports.get(function_name)
    if depth and reexported and reexported != dotted_name:
        return _resolve_dotted(project, reexported, depth - 1)
    return None


def project_index(project: Project, key: str, add: Callable[[SourceModule, dict], None]) -> dict:
    """A project-wide index, built once per project: ``add(module, index)`` files each project (not test)
    file's entries."""
    index = project.facts.get(key)
    if index is None:
        index = project.facts[key] = {}
        for module in project.modules:
            if not is_test_path(module.path):
                add(module, index)
    return index


def methods_by_name(project: Project) -> dict[str, list[tuple[SourceModule, ast.ClassDef, ast.AST]]]:
    """Method name -> (module, class, method) of every project class that defines it (tests left out)."""
    return project_index(project, "R4.methods-by-name", _add_methods)


def _add_methods(module: SourceModule, methods: dict) -> None:
    for cls in module.nodes_of(ast.ClassDef):
        for node in cls.body:
            if isinstance(node, FUNCTION_TYPES):
                methods.setdefault(node.name, []).append((module, cls, node))


def top_level_function(module: SourceModule, name: str):
    """The module's top-level ``def name``: the last one, which is what runs (``@overload`` stubs come first)."""
    return next((n for n in reversed(module.tree.body) if isinstance(n, FUNCTION_TYPES) and n.name == name), None)


def calls_of(project: Project, module: SourceModule, fn: ast.AST) -> list[tuple[SourceModule, ast.Call]]:
    """The calls (with their files, tests included) that resolve to the top-level function ``fn``."""
    return [(other, node) for other in project.modules if fn.name in other.text
            for node in other.nodes_of(ast.Call) if method_name(node) == fn.name
            and (resolve_function(project, other, node.func) or (None, None))[1] is fn]


def called_by_tests_only(project: Project, module: SourceModule, fn: ast.AST) -> bool:
    """A top-level function the test suite calls and no file of the service names but by its ``def`` (a
    ``delete_all_tables(db)`` only a pytest fixture calls): it does not run in production."""
    named_in_service = [other for other in project.modules if fn.name in other.text and not is_test_path(other.path)]
    return fn in module.tree.body and named_in_service == [module] and module.text.count(fn.name) == 1 \
        and bool(calls_of(project, module, fn))


def dependency_functions(project: Project) -> set[ast.AST]:
    """Functions that FastAPI calls once per request: ``Depends(fn)`` / ``Security(fn)`` targets."""
    cached = project.facts.get("R4.dependencies")
    if cached is not None:
        return cached
    found: set[ast.AST] = project.facts.setdefault("R4.dependencies", set())
    for module in project.modules:
        if not module.imports_module("fastapi"):
            continue
        for node in module.nodes_of(ast.Call):
            if node.args and \
                    (qualified(module, node.func) or "") in ("fastapi.Depends", "fastapi.Security",
                                                             "fastapi.params.Depends"):
                resolved = resolve_function(project, module, node.args[0])
                if resolved is not None:
                    found.add(resolved[1])
    return found


CLI_ENTRY_LIBRARIES = ("click", "typer", "argparse")


def command_line_only(project: Project) -> frozenset[str]:
    """Paths of the modules that only a command-line program runs: its entry files (``manage.py``, or a
    file with a ``__main__`` block built on click/typer/argparse, serving no routes) and the modules
    that only those, or other such modules, import. Empty when one of them runs an endless loop (a
    worker started from the command line lives as long as a service)."""
    key = "R4:command-line-only"
    if key in project.facts:
        return project.facts[key]
    from audit_lib.libs.web import route_handlers  # noqa: PLC0415 (web imports this package's helpers)

    modules = [m for m in project.modules if not is_test_path(m.path)]
    entries = {m.path for m in modules
               if (m.path.rsplit("/", 1)[-1] == "manage.py" or "__main__" in m.text
                   and any(m.imports_module(lib) for lib in CLI_ENTRY_LIBRARIES))
               and not route_handlers(m, project)}
    importers: dict[str, set[str]] = {}
    for m in modules:
        for name in m.imported_roots:
            importers.setdefault(name, set()).add(m.path)
    found = set(entries)
    changed = True
    while changed:
        changed = False
        for m in modules:
            if m.path in found:
                continue
            parts = m.dotted_name.split(".")
            names = {".".join(parts[i:]) for i in range(len(parts))}
            users = {p for name in names for p in importers.get(name, ()) if p != m.path}
            if users and users <= found:
                found.add(m.path)
                changed = True
    by_path = {m.path: m for m in modules}
    if any(_runs_endlessly(by_path[p]) for p in found):
        found = set()
    project.facts[key] = frozenset(found)
    return project.facts[key]


def _runs_endlessly(module: SourceModule) -> bool:
    """A ``while True`` loop with no ``break``/``return`` of its own."""
    for loop in module.nodes_of(ast.While):
        if not (isinstance(loop.test, ast.Constant) and loop.test.value is True):
            continue
        stack: list[ast.AST] = list(loop.body)
        leaves = False
        while stack and not leaves:
            node = stack.pop()
            leaves = isinstance(node, (ast.Break, ast.Return, ast.Raise))
            if not isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
                                     ast.ClassDef, ast.Lambda)):
                stack.extend(ast.iter_child_nodes(node))
        if not leaves:
            return True
    return False
