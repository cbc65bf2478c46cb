"""R2.sequential-awaits: independent I/O awaited one after another.

## What it does
Reports independent I/O awaited one after another. That is two or more statements of
one block of an `async def` (the last may be a `return`) -- consecutive, or separated only by statements that await
nothing and cannot leave the block (`query = "..."`, formatting the reply, a local `def`)
-- that each await an I/O
read -- an HTTP GET/HEAD through `httpx`, `aiohttp` or another recognised client, a
database read through a pool (`pool.fetch`, `pool.fetchrow`, a property of the code base
that returns the pool: `ctx.db.fetch`) or separate connections,
a read method (`get_*`, `fetch_*`, `list_*`, `read_*`) of a service's client library on an object
named a client or an API that the code base does not define (`self.client.get_state_event(...)`),
a read through a recognised service SDK or gRPC stub (`s3.get_object`, `ec2.describe_instances`,
`stub.GetUser`), an LLM request
(`llm.chat.completions.create(...)`, `claude.messages.create(...)`, `litellm.acompletion(...)`),
a read (`get`, `hgetall`, `info`, `dbsize`) or a key deletion (`delete`, `unlink`: one `DEL` takes several keys) sent
through an asyncio Redis client (`redis.asyncio`, `aioredis`, or a class of the code base derived from its client),
the name bound to it in the function or at module level (also imported from another module of the code base),
deletions joining only other deletions (a read next to a deletion may be its other half: `get`, then `delete`),
or a helper of the code base that does such reads -- a function, or a method of a service object
whose class is known (followed through plain `def`
wrappers that return a helper's coroutine, and through `request(method, ...)` helpers
called with `"GET"`), or a read of the code base's own storage layer on its storage object
(`await self.store.get_account(account_id)`, `self.master.db.queues.getQueue(queue_id)`: a method named as a read
that every class defining it implements by querying through its pool, see `audit_lib.libs.storage`; each
call takes a pooled connection of its own), or a call of the code base's connection helper that runs the SQL it
is handed, when every SQL the call can hand it is a plain `SELECT` (`await self.connection_manager.fetch_query(query,
params)` with `query = f"SELECT ..."`, also in each branch; on the pool when the helper borrows a connection
from it for each call, `async with self.pool.acquire() as conn`) -- where no later call uses a value an earlier one produced, directly
or through what the statements in between built from it, and no statement in between may leave on its answer
(`if not rows: return`). In a Twisted `@defer.inlineCallbacks` generator each `yield` of a call waits the
same way and counts as an await.

Not reported: awaits of a memoising helper (`if self.version is None: <fetch, store
self.version>` ... `return self.version`: the I/O runs once) or of a storage method that is memoised
(`@cached`, `@lru_cache`) or reads only through a memoised method of its class (served from memory), awaits inside one transaction block, awaits
in the body of a `for` loop (per item: batching them is R1.n-plus-one's concern), dependent awaits (the second uses
the first's result, or a statement between them changes in place what an earlier call was handed:
`params.append(offset)` after `count = await fetch(count_sql, params)`), awaits of non-I/O (`asyncio.sleep`, locks, queues, events),
writes (their order may matter; also an assistant thread's `threads.messages.create`), a guard
before the work it guards (`await check_can_view(...)`, `verify_*`, `ensure_*`, `authorize*`, `_check(...)`),
a call that fills an object it is given before a later call uses it (`await session.refresh(order)`),
Django's async ORM calls (`aget`, `afirst`, `acount`), directly or through helpers that only
make them (Django runs them one at a time on one shared thread, asgiref's thread-sensitive
executor, so gathering them overlaps nothing), and several queries on one connection or session, also through helpers handed the same one
(`list_circuits(db_sess)`, then `list_workers(db_sess)`) or methods of objects that read through a
session they hold (`users.get_user(...)`, then `invoices.list_invoices(...)` or `users.session.get(...)`:
the request's session is usually the one handed to each of them): asyncpg and SQLAlchemy's
`AsyncSession` run one query at a time per connection. Tests, migrations,
set-up code and scripts are left alone: their latency serves no request.

## Why is this bad?
Each await waits for the previous one: three 100 ms calls take 300 ms when they could
take 100 ms. Latency adds up across every request, and the server holds each request's
resources for the sum instead of the maximum (Backend Posture R2: independent I/O fans
out concurrently by default).

## Example
```python
async def dashboard(user_id):
    profile = await http.get(f"{USERS}/{user_id}")
    orders = await http.get(f"{ORDERS}?user={user_id}")
    return profile.json(), orders.json()
```

## Use instead
```python
async def dashboard(user_id):
    profile, orders = await asyncio.gather(
        http.get(f"{USERS}/{user_id}"),
        http.get(f"{ORDERS}?user={user_id}"),
    )
    return profile.json(), orders.json()
```
or `async with asyncio.TaskGroup() as tg:` (Python 3.11+).

## References
- asyncio.gather / TaskGroup: https://docs.python.org/3/library/asyncio-task.html#running-tasks-concurrently
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db, storage
from audit_lib.libs.http import external_call
from audit_lib.operator_code import is_script_file
from audit_lib.pyast import FUNCTION_TYPES, dotted, enclosing_loops, walk_function_body, walk_nodes
from audit_lib.registry import rule
from audit_lib.rules.r2_atomic._common import redis_client_classes
from audit_lib.rules.r4_lifecycle._common import REDIS_CLIENTS
from audit_lib.source import Project, SourceModule

HTTP_READS = {"get", "head", "options"}
IN_PLACE = {"append", "extend", "insert", "update", "pop", "popitem", "remove", "clear", "add", "discard",
            "setdefault", "sort", "reverse"}  # methods that change a list, dict or set in place
POOL_LEASES = {"acquire", "get_connection", "connection", "getconn"}  # pool.acquire(): a connection for this call
SDK_READ_PREFIXES = ("get_", "fetch_", "list_", "read_")
SERVICE_SDK_READ_PREFIXES = ("get_", "list_", "describe_", "head_")
GRPC_READ_PREFIXES = ("Get", "List", "Fetch", "Read", "Describe", "Lookup", "Search")
# LLM requests: the model answers, nothing is stored (unlike ``threads.messages.create``)
LLM_LIBRARIES = {"openai", "anthropic", "litellm"}
LLM_REQUESTS = ("chat.completions.create", "completions.create", "embeddings.create", "responses.create",
                "moderations.create", "messages.create", "messages.count_tokens")
ASYNC_REDIS_CLIENTS = {name for name in REDIS_CLIENTS if name.startswith(("redis.asyncio", "aioredis"))}
REDIS_READS = {"get", "mget", "getrange", "strlen", "exists", "ttl", "pttl", "type", "hget", "hmget", "hgetall",
               "hexists", "hlen", "hkeys", "hvals", "smembers", "sismember", "scard", "llen", "lrange", "lindex",
               "zrange", "zrangebyscore", "zrevrange", "zscore", "zcard", "zcount", "zrank", "xlen", "xrange",
               "info", "dbsize"}
REDIS_KEY_DELETIONS = {"delete", "unlink"}
OBJECT_SESSION = "(a session held by an object)"
DJANGO_ORM_THREAD = "(Django's thread-sensitive executor)"
GUARD_PREFIXES = ("check_", "verify_", "ensure_", "authorize", "authorise", "require_", "assert_", "validate_")
_CLIENT_NAME = re.compile(r"(^|_)(client|api)$", re.IGNORECASE)
FIX = "start the independent calls together: `a, b = await asyncio.gather(call_a(...), call_b(...))` or an asyncio.TaskGroup"
TWISTED_FIX = ("start the independent calls together: `a, b = yield defer.gatherResults([call_a(...), call_b(...)], "
               "consumeErrors=True)`")


@dataclass
class _Await:
    statement: ast.stmt
    call: ast.Call
    what: str
    serial_on: str | None  # a connection/session the call must have to itself
    confidence: Confidence
    removes_keys: bool = False  # Redis key deletions join only other deletions: a read next to one may be its pair


@rule("R2.sequential-awaits", on="module", scope="code", severity="low")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or is_script_file(module):
        return
    for fn in walk_nodes(module.tree):
        if not isinstance(fn, ast.AsyncFunctionDef) and not _inline_callbacks(fn):
            continue
        spans = db.transaction_blocks(module, fn, project)
        for block in _statement_lists(fn):
            if not any(isinstance(loop, (ast.For, ast.AsyncFor)) for loop in enclosing_loops(module, block[0])):
                yield from _runs(module, project, fn, block, spans)  # per-item awaits are R1.n-plus-one's


def _inline_callbacks(fn: ast.AST) -> bool:
    """A Twisted ``@defer.inlineCallbacks`` generator: each ``yield deferred`` waits like an ``await``."""
    return isinstance(fn, ast.FunctionDef) and _decorated(fn, "inlineCallbacks")


def _waits(fn: ast.AST) -> type:
    """The expression that waits for a call's answer in ``fn``: ``await``, or ``yield`` under inlineCallbacks."""
    return ast.Yield if _inline_callbacks(fn) else ast.Await


def _statement_lists(fn: ast.AST) -> Iterator[list[ast.stmt]]:
    yield fn.body
    for node in walk_function_body(fn):
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            continue  # nested functions are judged on their own
        for name in ("body", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                yield handler.body


def _runs(module: SourceModule, project: Project, fn: ast.AST, block: list[ast.stmt],
          spans: list[tuple[int, int]]) -> Iterator[Finding]:
    run: list[_Await] = []
    produced: set[str] = set()  # names holding or built from what the run's awaits returned
    for statement in [*block, None]:
        current = _io_await(module, project, fn, statement, spans) if statement is not None else None
        if current is not None and run and _can_join(run, current, produced):
            run.append(current)
            produced |= _targets(statement, _waits(fn))
            continue
        if current is None and run and statement is not None and _in_between(statement) \
                and not _changed(statement) & _handed(run):
            # work on the earlier results between the awaits (``query = "..."``, formatting a
            # reply): the next await is still independent unless it uses what this built from them
            used = {n.id for n in walk_nodes(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            if used & produced:
                produced |= _stored(statement)
            continue
        if len(run) >= 2:
            yield _finding(module, run, TWISTED_FIX if _inline_callbacks(fn) else FIX)
        run = [current] if current is not None else []
        produced = _targets(statement, _waits(fn)) if current is not None else set()


def _in_between(statement: ast.stmt) -> bool:
    """A statement that awaits nothing and cannot leave the block (no ``return``, ``raise``,
    ``break``, ``continue``), or a local ``def`` (defining it runs nothing): the awaits around it
    run in every case."""
    if isinstance(statement, (*FUNCTION_TYPES, ast.ClassDef)):
        return True
    return not isinstance(statement, (ast.Return, ast.Raise, ast.Break, ast.Continue)) \
        and not any(isinstance(n, (ast.Await, ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Yield, ast.YieldFrom,
                                   ast.AsyncFor, ast.AsyncWith)) for n in walk_nodes(statement))


def _handed(run: list[_Await]) -> set[str]:
    """Names whose objects the run's calls are handed (``params`` of ``fetch(sql, params)``), not as a
    copy (``params[:n]``)."""
    arguments = [arg for a in run for arg in (*a.call.args, *(k.value for k in a.call.keywords))]
    copied = {id(n.value) for arg in arguments for n in walk_nodes(arg)
              if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice)}
    return {n.id for arg in arguments for n in walk_nodes(arg)
            if isinstance(n, ast.Name) and id(n) not in copied and n.id not in {"self", "cls"}}


def _changed(statement: ast.stmt) -> set[str]:
    """Names whose object a statement changes in place (``params.append(offset)``, ``params[0] = ...``,
    ``settings.limit += 1``; not ``query = "..."`` nor ``index += 1``, which bind a new one): an earlier
    call handed that object ran before the change, so starting it together with the later ones would
    hand it the changed one."""
    names = set()
    for node in walk_nodes(statement):
        target = None
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
            target = node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in IN_PLACE:
            target = node.func.value
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            target = target.value
        if isinstance(target, ast.Name):
            names.add(target.id)
    return names


def _stored(statement: ast.stmt) -> set[str]:
    """Names a statement binds or changes (``embed`` of ``embed.description = ...``)."""
    names = set()
    for node in walk_nodes(statement):
        target = node
        while isinstance(target, (ast.Attribute, ast.Subscript)) and isinstance(target.ctx, ast.Store | ast.Load):
            target = target.value
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store) and isinstance(
                target, ast.Name):
            names.add(target.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            names.add(node.func.value.id)  # records.extend(...), embed.add_field(...)
    return names


def _can_join(run: list[_Await], current: _Await, produced: set[str]) -> bool:
    used = {n.id for n in walk_nodes(current.call) if isinstance(n, ast.Name)}
    if produced & used:
        return False
    if any(earlier.removes_keys != current.removes_keys for earlier in run):
        return False
    return current.serial_on is None or all(earlier.serial_on != current.serial_on for earlier in run)


def _targets(statement: ast.stmt, wait: type) -> set[str]:
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, wait) \
            and isinstance(statement.value.value, ast.Call):
        # its answer dropped, it fills the objects it is given (refresh(order)), not a key it is given (f"user:{uid}")
        targets = [a for a in statement.value.value.args if isinstance(a, (ast.Name, ast.Attribute, ast.Subscript))]
    return {n.id for t in targets for n in walk_nodes(t) if isinstance(n, ast.Name)}


def _awaited_call(statement: ast.stmt, wait: type) -> ast.Call | None:
    if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign, ast.Return)) and statement.value is not None:
        awaits = [n for n in walk_nodes(statement.value) if isinstance(n, wait)]
        if len(awaits) == 1 and isinstance(awaits[0].value, ast.Call):
            return awaits[0].value
    return None


def _io_await(module: SourceModule, project: Project, fn: ast.AST, statement: ast.stmt,
              spans: list[tuple[int, int]]) -> _Await | None:
    call = _awaited_call(statement, _waits(fn))
    if call is None or any(start <= statement.lineno <= end for start, end in spans):
        return None
    redis = _redis_command(module, project, fn, statement, call)
    if redis is not None:
        return redis
    outbound = external_call(module, call, project)
    if outbound is not None:
        if outbound.protocol == "http" and outbound.operation.lower() in HTTP_READS:
            return _Await(statement, call, f"{outbound.library} GET", None, Confidence.high)
        if _service_read(outbound, call):
            return _Await(statement, call, f"{outbound.library} {outbound.operation}()", None, Confidence.medium)
        return None
    op = db.classify(module, call, fn, project)
    if op is not None:
        if not op.is_read:
            return None
        receiver = op.receiver or ""
        pooled = "pool" in receiver.split(".")[-1].lower() or receiver.split(".")[-1] in _pool_properties(project)
        serial_on = DJANGO_ORM_THREAD if op.api == "django" else None if pooled else _session_key(receiver or "?")
        return _Await(statement, call, f"database read ({op.describe()})", serial_on, Confidence.medium)
    stored = storage.storage_call(module, project, call)
    if stored is not None:  # each storage call takes a connection of its own from the layer's pool
        return _Await(statement, call, f"{stored.name}() of the storage layer", None, Confidence.medium) \
            if stored.reads and not stored.memoised else None
    return _helper_await(module, project, fn, statement, call) or _sdk_read(module, project, statement, call)


def _redis_command(module: SourceModule, project: Project, fn: ast.AST, statement: ast.stmt,
                   call: ast.Call) -> _Await | None:
    """A read (``get``, ``hgetall``, ``info``, ``dbsize``) or a key deletion (``delete``, ``unlink``) sent to a
    Redis server through an asyncio Redis client (``redis.asyncio``, ``aioredis``): each takes a pooled
    connection of its own; deleted keys can go in one ``DEL`` together."""
    if not isinstance(call.func, ast.Attribute) or not isinstance(call.func.value, ast.Name):
        return None
    command = call.func.attr
    if command not in REDIS_READS and command not in REDIS_KEY_DELETIONS:
        return None
    if not _redis_client(module, project, fn, call.func.value.id):
        return None
    return _Await(statement, call, f"Redis {command.upper()}", None, Confidence.medium,
                  removes_keys=command in REDIS_KEY_DELETIONS)


def _redis_client(module: SourceModule, project: Project, fn: ast.AST, name: str) -> bool:
    """Whether ``name`` holds an asyncio Redis client: the library's (``redis.asyncio.from_url(...)``) or a
    class of the code base derived from the library's client (``class AppCache(Redis)``)."""
    return any(built in ASYNC_REDIS_CLIENTS for built in redis_client_classes(module, project, fn, name))


def _service_read(outbound, call: ast.Call) -> bool:
    """A request through a service's SDK or a gRPC stub that changes nothing there: an LLM request
    (``client.chat.completions.create(...)``, ``litellm.acompletion(...)``) or a read method
    (``s3.get_object``, ``ec2.describe_instances``, ``stub.GetUser``)."""
    if outbound.protocol == "grpc":
        return outbound.operation.startswith(GRPC_READ_PREFIXES)
    if outbound.protocol != "api":
        return False
    if outbound.library in LLM_LIBRARIES:
        path = dotted(call.func) or ""
        return outbound.library == "litellm" or "threads" not in path.split(".") and path.endswith(LLM_REQUESTS)
    return outbound.operation.startswith(SERVICE_SDK_READ_PREFIXES)


def _sdk_read(module: SourceModule, project: Project, statement: ast.stmt, call: ast.Call) -> _Await | None:
    """A read through a service's client library: a ``get_``/``fetch_``/``list_``/``read_`` method of an
    object named a client or an API (``self.client.get_state_event(...)``, ``api.fetch_profile(...)``) that
    no function of the code base defines (an SDK's request over a pooled HTTP connection)."""
    if not isinstance(call.func, ast.Attribute):
        return None
    receiver, method = dotted(call.func.value), call.func.attr
    if receiver is None or not _CLIENT_NAME.search(receiver.split(".")[-1]) or db.db_like_name(receiver):
        return None
    if not method.startswith(SDK_READ_PREFIXES) or "_or_" in method \
            or db.resolve_function(module, project, call, reexports=True) is not None:
        return None
    return _Await(statement, call, f"{receiver}.{method}()", None, Confidence.medium)


def _pool_properties(project: Project) -> set[str]:
    """Properties of the code base that hand out the connection pool (``@property def db(self):
    return self.pool``): ``ctx.db.fetch(...)`` takes a connection of its own from the pool."""
    if "r2.pool_properties" not in project.facts:
        found = set()
        for module in project.modules:
            if "property" not in module.text or "pool" not in module.text:
                continue
            for fn in module.nodes_of(ast.FunctionDef):
                body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
                if any((dotted(d) or "") == "property" for d in fn.decorator_list) and len(body) == 1 and isinstance(
                        body[0], ast.Return) and "pool" in (dotted(body[0].value) or "").split(".")[-1].lower():
                    found.add(fn.name)
        project.facts["r2.pool_properties"] = found
    return project.facts["r2.pool_properties"]


def _helper_await(module: SourceModule, project: Project, fn: ast.AST, statement: ast.stmt,
                  call: ast.Call) -> _Await | None:
    """An awaited helper of the code base whose body only reads (HTTP GET or database); helpers
    handed the same session or connection (``list_workers(db_sess)``) run on it one at a time."""
    found = _read_helper(module, project, call, depth=3)
    if found is None or not found[3] or _is_guard(found[0]):
        return None  # a guard (``check_can_access(...)``) runs before the work it guards
    name, ops, helper, _ = found
    serial_on = None
    if ops:
        handles = db.handles(module, fn)
        given = [dotted(a) for a in [*call.args, *(k.value for k in call.keywords)]]
        handle_args = [name for name in given if db.db_like_name(name) or name in handles]
        serial_on = _session_key(handle_args[0]) if handle_args else _object_handle(call, ops)
        if all(op.api == "django" for op in ops):
            serial_on = DJANGO_ORM_THREAD
        elif serial_on is None and not all("pool" in (op.receiver or "") for op in ops):
            serial_on = f"(connection used by {helper.name})"
    return _Await(statement, call, f"{name}()", serial_on, Confidence.medium)


def _is_guard(name: str) -> bool:
    """``check_can_view``, ``_verify_owner``, also a bare ``_check(request, permission)``."""
    bare = name.lstrip("_")
    return bare.startswith(GUARD_PREFIXES) or bare in {prefix.rstrip("_") for prefix in GUARD_PREFIXES}


def _object_handle(call: ast.Call, ops: list[db.DbOp]) -> str | None:
    """The session of an object whose method reads through ``self.session``
    (``secrets.resolve_credentials(...)``, ``users.get_user(...)``); not its pool (``self.pool``: each query
    borrows a connection of its own)."""
    if not isinstance(call.func, ast.Attribute) or not any(
            (op.receiver or "").startswith("self.") and not _pooled(op.receiver) for op in ops):
        return None
    return OBJECT_SESSION


def _pooled(receiver: str | None) -> bool:
    """``self.pool``, ``app.db_pool``: a connection pool, which hands each query a connection of its own."""
    return "pool" in (receiver or "").split(".")[-1].lower()


def _session_key(handle: str) -> str:
    """Sessions held by objects (``secrets.session``, ``self.session``) count as one: the request's
    session is usually handed to every repository and service it builds (``UserRepository(session)``,
    ``OrderRepository(session)``), so their queries cannot overlap."""
    return OBJECT_SESSION if "." in handle else handle


def _read_helper(module: SourceModule, project: Project, call: ast.Call,
                 depth: int) -> tuple[str, list[db.DbOp], ast.AST, bool] | None:
    """(helper name, its database reads, the helper, whether it does I/O) when ``call`` runs a
    function of the code base that does no I/O but reads: HTTP GET/HEAD (also through a
    ``request(method, ...)`` helper called with ``"GET"``), database reads, or other such helpers
    (an abstract method counts as no I/O). A plain ``def`` that returns another helper's coroutine
    (``def get(self, path): return self.request("GET", path)``) is followed. None: it may write."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None or depth < 0:
        return None
    helper_module, helper = resolved
    helper = _implementation(helper_module, helper)
    if _decorated(helper, "abstractmethod") or _memoised(helper):
        return helper.name, [], helper, False
    if not isinstance(helper, ast.AsyncFunctionDef):
        returned = _returned_call(helper)
        inner = _read_helper(helper_module, project, returned, depth) if returned is not None else None
        return (helper.name, inner[1], inner[2], inner[3]) if inner is not None else None
    ops = db.function_ops(helper_module, helper, project)
    if any(not op.is_read for op in ops):
        handed = _handed_read(module, project, call, helper_module, helper)
        return (helper.name, [handed], helper, True) if handed is not None else None
    reads, nested = bool(ops), []
    for node in walk_function_body(helper):
        if not isinstance(node, ast.Call):
            continue
        outbound = external_call(helper_module, node, project)
        if outbound is not None:
            if outbound.protocol == "http" and _verb(outbound, helper, call) in HTTP_READS:
                reads = True
            elif _service_read(outbound, node):
                reads = reads or isinstance(helper_module.parents.get(node), ast.Await)
            else:
                return None
        elif depth > 0 and isinstance(helper_module.parents.get(node), ast.Await) and (
                dotted(node.func) or "").split(".")[-1] == "gather":
            gathered = [_read_helper(helper_module, project, a, depth - 1) for a in node.args if isinstance(a, ast.Call)]
            if any(g is None for g in gathered):
                return None  # gathers a helper that may write
            nested.extend(op for g in gathered for op in g[1])
            reads = reads or any(g[3] for g in gathered)
        elif depth > 0 and isinstance(helper_module.parents.get(node), ast.Await):
            deeper = _read_helper(helper_module, project, node, depth - 1)
            if deeper is None and db.resolve_function(helper_module, project, node, reexports=True) is not None:
                return None  # awaits a helper of the code base that writes or does something else
            if deeper is not None:
                nested.extend(deeper[1])
                reads = reads or deeper[3]
    return helper.name, [*ops, *nested], helper, reads


def _handed_read(module: SourceModule, project: Project, call: ast.Call, helper_module: SourceModule,
                 helper: ast.AST) -> db.DbOp | None:
    """The read ``call`` makes through a helper of the code base that runs the SQL it is handed
    (``await self.connection_manager.fetch_query(query, params)``), when every SQL the call can hand it
    is a plain ``SELECT``; on the pool (``self.pool``) when the helper borrows its connection from one
    for the call (``async with self.pool.acquire() as conn``). None: a write, or SQL not in sight."""
    parameter = db.handed_statement(helper_module, project, helper)
    statement = _argument(call, helper, parameter) if parameter is not None else None
    if statement is None:
        return None
    caller = db.function_of(module, call)
    values = _bindings(caller, statement.id) if isinstance(statement, ast.Name) else [statement]
    facts = [db.parse_sql(text) if db.looks_like_sql(text) else None
             for text in (db.sql_text(module, value, caller) for value in values or [statement])]
    if not facts or any(f is None or f.kind != "SELECT" or f.for_update for f in facts):
        return None
    pool = _borrowed_pool(helper_module, project, helper)
    receiver = pool if pool is not None else dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
    return db.DbOp(call, db.READ, frozenset(t for f in facts for t in f.reads), "sql", helper.name, receiver,
                   confidence=Confidence.medium, through=helper.name)


def _bindings(fn: ast.AST, name: str) -> list[ast.expr] | None:
    """The values ``fn`` assigns to ``name`` (``query = f"SELECT ..."`` in each branch; ``query += ...``
    extends one); None when it is bound another way (a parameter, a loop, a ``with``)."""
    if name in {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}:
        return None
    values = []
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if len(node.targets) != 1:
                return None
            values.append(node.value)
    stored = sum(1 for n in walk_function_body(fn) if isinstance(n, ast.Name) and n.id == name
                 and isinstance(n.ctx, ast.Store))
    extended = sum(1 for n in walk_function_body(fn) if isinstance(n, ast.AugAssign)
                   and isinstance(n.target, ast.Name) and n.target.id == name)
    return values if values and stored == len(values) + extended else None


def _borrowed_pool(module: SourceModule, project: Project, helper: ast.AST) -> str | None:
    """The pool a helper borrows its connection from for each call (``async with self.pool.acquire() as
    conn``, ``self.pool.get_connection()``) when every statement it runs goes through that connection."""
    borrowed: dict[str, str] = {}
    for node in walk_function_body(helper):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                lease = item.context_expr
                if isinstance(lease, ast.Call) and isinstance(lease.func, ast.Attribute) \
                        and isinstance(item.optional_vars, ast.Name) and lease.func.attr in POOL_LEASES \
                        and _pooled(dotted(lease.func.value)):
                    borrowed[item.optional_vars.id] = dotted(lease.func.value)
    ops = db.function_ops(module, helper, project)
    pools = {borrowed.get(op.receiver or "") for op in ops}
    return pools.pop() if ops and len(pools) == 1 and None not in pools else None


def _implementation(module: SourceModule, helper: ast.AST) -> ast.AST:
    """The definition that runs for a function declared first with ``@overload`` signatures: the last
    one of that name beside them without the decorator."""
    if not _decorated(helper, "overload"):
        return helper
    holder = module.parents.get(helper)
    bodies = [n for n in getattr(holder, "body", []) if isinstance(n, FUNCTION_TYPES) and n.name == helper.name
              and not _decorated(n, "overload")]
    return bodies[-1] if bodies else helper


def _decorated(fn: ast.AST, name: str) -> bool:
    """Whether ``fn`` carries the decorator ``name`` (``@overload``, ``@typing.overload``)."""
    return any((dotted(d) or "").split(".")[-1] == name for d in fn.decorator_list)


def _memoised(helper: ast.AST) -> bool:
    """``if self.version is None: <fetch and store self.version>`` ... ``return self.version``: the
    I/O runs once per object, later calls return the stored value without waiting."""
    body = [s for s in helper.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) < 2 or not isinstance(body[0], ast.If) or body[0].orelse or not isinstance(body[-1], ast.Return):
        return False
    test = body[0].test
    tested = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test.left if (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None) else None
    attribute = dotted(tested) if isinstance(tested, ast.Attribute) else None
    if not attribute or not attribute.startswith("self.") or dotted(body[-1].value) != attribute:
        return False
    stored = any(isinstance(n, (ast.Assign, ast.AnnAssign)) and any(
        dotted(t) == attribute for t in (n.targets if isinstance(n, ast.Assign) else [n.target])) for n in ast.walk(body[0]))
    return stored and not any(isinstance(n, ast.Await) for s in body[1:] for n in ast.walk(s))


def _returned_call(helper: ast.AST) -> ast.Call | None:
    body = [s for s in helper.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call):
        return body[0].value
    return None


def _verb(outbound, helper: ast.AST, call: ast.Call) -> str:
    """The HTTP method of a call: its verb (``client.get``), or for ``client.request(method, ...)``
    the method given, looked up at ``call`` when the helper takes it as a parameter."""
    if outbound.operation.lower() != "request":
        return outbound.operation.lower()
    node = outbound.node
    given = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "method"), None)
    if isinstance(given, ast.Name):
        given = _argument(call, helper, given.id)
    return given.value.lower() if isinstance(given, ast.Constant) and isinstance(given.value, str) else "request"


def _argument(call: ast.Call, helper: ast.AST, parameter: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    positional = [a.arg for a in [*helper.args.posonlyargs, *helper.args.args]]
    if positional and positional[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
        positional = positional[1:]
    index = positional.index(parameter) if parameter in positional else -1
    return call.args[index] if 0 <= index < len(call.args) else None


def _finding(module: SourceModule, run: list[_Await], fix: str) -> Finding:
    first = run[0].statement
    lines = ", ".join(str(a.statement.lineno) for a in run)
    calls = "; ".join(a.what for a in run)
    return Finding(
        message=f"{len(run)} independent awaits run one after another (lines {lines}: {calls}); "
                f"their latencies add up",
        path=module.path,
        line=first.lineno,
        end_line=run[-1].statement.end_lineno or run[-1].statement.lineno,
        evidence=module.evidence(first),
        fix=fix,
        confidence=min(a.confidence for a in run),
    )
