"""What the audited code does with its database, read from the syntax tree.

Which call sends a query, whether it reads or writes, which table it touches, which
``with`` opens a transaction, where the code commits. Shared by the R1, R2, R4 and R5
code rules; import it read-only.

Covered: DB-API drivers (psycopg 2 and 3, sqlite3, aiosqlite), asyncpg (connections
and pools), encode/databases, SQLAlchemy Core and ORM (1.x ``session.query`` and 2.x
``select``/``session.execute``/``scalars``), SQLModel, Flask-SQLAlchemy
(``Model.query``, ``db.session``), the Django ORM, peewee (models deriving from ``peewee.Model``:
``M.select()...``, ``M.get_by_id()``, ``M.create()``, ``M.update(...).execute()``, ``row.save()``,
autocommit outside ``db.atomic()``; ``cls.model`` of a service class is the model its subclass names)
and aiosql query objects; also a class of the code base whose ``__enter__`` hands out a DB-API cursor of a
connection it holds (``with PostgresClient() as cur``: ``cur`` is that cursor, and the block one transaction
when its ``__exit__`` commits); and the code base's own statement layer: a class whose methods build a statement
from the object's state and run it (``QueryProcessor(tables=["build"], ...).execute()``,
``InsertProcessor("package", data=...).execute()``: the table its constructor names, the kind its SQL or name
says) and a function that runs the SQL it is handed (``_dml("UPDATE ...", values)``, see :func:`handed_statement`).

The API:

- :func:`parse_sql` -- tables read and written by a SQL text, its kind, ``FOR UPDATE``,
  ``ON CONFLICT``, ``OFFSET`` (sqlglot, postgres dialect, with a regex fallback);
- :func:`sql_text` -- the SQL a string expression holds (literals, f-strings with the
  holes filled, ``text()``/``sql.SQL()``/``cur.mogrify()``, names bound to a string in the function or
  module);
- :func:`classify` -- a :class:`DbOp` for a call that talks to the database, else None;
- :func:`function_ops` -- every :class:`DbOp` of one function body, in source order;
- :func:`expanded_ops` -- the same plus, at each call of a local helper that queries,
  the helper's operations (followed through the target's own modules, two levels); this is how the
  code base's own database layer counts: a call of a method of a project class that runs statements
  through the driver (``db.select(sql, args)``, ``db.upsert("plays", values, keys)``, a method of an
  interface whose one project implementation queries) is the statement it runs, read with the SQL or
  table name the call hands in, and a statement the method runs alone in a transaction it opens
  (``with self.connection as c: c.execute(query, args)``) commits on its own;
- :func:`is_transaction_with`, :func:`is_transaction_function`, :func:`in_transaction`,
  :func:`transaction_blocks`, :func:`wraps_in_transaction` -- transaction scopes;
- :func:`is_locking_transaction_with`, :func:`with_transaction_locks` -- transactions that take a lock as they
  begin (a Django ``Atomic`` subclass of the code base whose ``__enter__`` runs ``select_for_update()``), whose
  reads are as good as locked;
- :func:`is_deferred_to_commit` -- a function whose decorator runs it from ``transaction.on_commit``;
- :func:`evaluated_in_place` -- whether a lazy query (``DbOp.lazy``) runs where it is written;
- :func:`is_commit` -- ``conn.commit()``, ``session.commit()``, ``COMMIT`` statements;
- :func:`resolve_function` -- the target's own function a call refers to;
- :func:`skipped_module` -- tests, migrations and set-up code, which the data-integrity rules leave alone;
- :func:`handles`, :func:`db_like_name` -- names holding connections, cursors, sessions, pools;
- :func:`same_table` -- whether an ORM model name and a table name are one table;
- :func:`is_log_table` -- audit/event/history tables, which record rather than hold state.
- :func:`with_wrapper_writes` -- add the writes made through the code base's own committing database
  wrapper (``(conn or db).insert("t", row)``);
- :func:`class_bases` -- class name -> the names of its bases, over the project;
- :func:`never_both` -- whether no run reaches both of two calls (exclusive branches, a leaving block);
- :func:`handles_unique_violation` -- whether a ``try`` around a call catches the unique violation;
- :func:`natural_unique` -- whether a model class declares a unique key on data the client sends.
"""

from __future__ import annotations

import ast
import re
import sys
import weakref
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import takewhile
from typing import Callable, Iterator

import sqlglot
from sqlglot import exp

from audit_lib.findings import Confidence
from audit_lib.libs import repositories as _repositories
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    annotation_expr,
    decorator_names,
    dotted,
    is_none,
    keyword,
    method_name,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.source import Project, SourceModule, is_test_path

READ, INSERT, UPDATE, DELETE, WRITE, EXECUTE, COMMIT = "read", "insert", "update", "delete", "write", "execute", "commit"
WRITE_KINDS = frozenset({INSERT, UPDATE, DELETE, WRITE})

# -- SQL text ---------------------------------------------------------------------------

_PLACEHOLDERS = [
    (re.compile(r"%\(\w+\)s"), "$1"),
    (re.compile(r"%s\b"), "$1"),
    (re.compile(r"(?<![:\w]):[A-Za-z_]\w*"), "$1"),
    (re.compile(r"\?"), "$1"),
]
_HOLE = "__dynamic__"
DYNAMIC_PART = _HOLE  # what sql_text() puts where the code fills in a part: ``FROM t {where}``
_SQL_START = re.compile(
    r"^\s*(\(\s*)*(select|insert|update|delete|with|begin|start\s+transaction|commit|rollback|end|merge|copy|upsert|replace\s+into)\b",
    re.I,
)
_RE_INSERT = re.compile(r"\b(?:insert|replace)(?:\s+or\s+\w+|\s+ignore)?\s+into\s+([\w.\"]+)", re.I)
_RE_UPDATE = re.compile(r"^\s*update\s+(?:only\s+)?([\w.\"]+)", re.I)
_RE_DELETE = re.compile(r"\bdelete\s+from\s+(?:only\s+)?([\w.\"]+)", re.I)
_RE_FROM = re.compile(r"\b(?:from|join)\s+([\w.\"]+)", re.I)


@dataclass(frozen=True)
class SqlFacts:
    """What one SQL statement does."""

    kind: str  # SELECT, INSERT, UPDATE, DELETE, BEGIN, COMMIT, ROLLBACK or OTHER
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    for_update: bool = False
    on_conflict: bool = False
    offset: str | None = None  # None (no OFFSET), "0", another literal, or "param"
    batch: bool = False  # "= ANY(...)", "IN (...)" with a parameter, unnest(): one query for many keys
    parsed: bool = True

    @property
    def tables(self) -> frozenset[str]:
        return self.reads | self.writes


def looks_like_sql(text: str | None) -> bool:
    return bool(text) and bool(_SQL_START.match(text))


@lru_cache(maxsize=4096)
def parse_sql(text: str) -> SqlFacts | None:
    """Facts of the first statement of ``text``; None when it does not read as SQL."""
    if not looks_like_sql(text):
        return None
    normalized = _with_placeholders(text)
    try:
        statements = [s for s in sqlglot.parse(normalized, dialect="postgres") if s is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError, RecursionError):
        statements = []
    if not statements:
        return _regex_facts(text)
    return _tree_facts(statements[0], normalized)


UPSERT_SYNTAX = re.compile(  # PostgreSQL/SQLite ON CONFLICT, SQLite INSERT OR, MySQL INSERT IGNORE and upserts
    r"\bon\s+conflict\b|\binsert\s+or\s+(replace|ignore)\b|\breplace\s+into\b|\binsert\s+ignore\b"
    r"|\bon\s+duplicate\s+key\s+update\b", re.I)


def _tree_facts(tree: exp.Expression, text: str) -> SqlFacts:
    if isinstance(tree, exp.Transaction):
        return SqlFacts("BEGIN")
    if isinstance(tree, exp.Commit):
        return SqlFacts("COMMIT")
    if isinstance(tree, exp.Rollback):
        return SqlFacts("ROLLBACK")
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    written: set[str] = set()
    for node in tree.find_all(exp.Insert, exp.Update, exp.Delete):
        target = node.this
        table = target if isinstance(target, exp.Table) else target.find(exp.Table) if target else None
        if table is not None and table.name and table.name.lower() not in cte_names:
            written.add(table.name.lower())
    read = {
        t.name.lower() for t in tree.find_all(exp.Table)
        if t.name and t.name.lower() not in cte_names and t.name != _HOLE
    } - written
    written.discard(_HOLE)
    body = tree.this if isinstance(tree, exp.With) else tree
    kind = {exp.Select: "SELECT", exp.Union: "SELECT", exp.Insert: "INSERT", exp.Update: "UPDATE",
            exp.Delete: "DELETE"}.get(type(body), "OTHER")
    if kind == "SELECT" and written:
        kind = "INSERT" if any(isinstance(n, exp.Insert) for n in tree.find_all(exp.Insert)) else "UPDATE"
    for_update = any(lock.args.get("update") for lock in tree.find_all(exp.Lock)) or bool(
        re.search(r"\bfor\s+(no\s+key\s+)?update\b", text, re.I))
    on_conflict = any(True for _ in tree.find_all(exp.OnConflict)) or bool(UPSERT_SYNTAX.search(text))
    return SqlFacts(kind, frozenset(read), frozenset(written), for_update, on_conflict,
                    _offset_of(tree), _is_batch(text), True)


def _offset_of(tree: exp.Expression) -> str | None:
    offset = tree.args.get("offset")
    if offset is None:
        return None
    value = offset.expression if isinstance(offset, exp.Offset) else offset
    if isinstance(value, exp.Literal) and not value.is_string:
        return value.this
    return "param"


def _is_batch(text: str) -> bool:
    return bool(re.search(r"=\s*any\s*\(|\bunnest\s*\(|\bin\s*\(\s*\$1\s*\)|\bin\s+\$1\b", text, re.I))


def _regex_facts(text: str) -> SqlFacts:
    first = text.split(None, 1)[0].lower().lstrip("(")
    def names(pattern: re.Pattern) -> set[str]:
        return {m.group(1).strip('"').split(".")[-1].lower() for m in pattern.finditer(text)} - {_HOLE}
    written = names(_RE_INSERT) | names(_RE_UPDATE) | names(_RE_DELETE)
    kind = {"select": "SELECT", "with": "SELECT", "insert": "INSERT", "replace": "INSERT", "update": "UPDATE", "delete": "DELETE",
            "begin": "BEGIN", "start": "BEGIN", "commit": "COMMIT", "end": "COMMIT", "rollback": "ROLLBACK"}.get(first, "OTHER")
    if kind == "SELECT" and written:
        kind = "INSERT" if names(_RE_INSERT) else "UPDATE"
    return SqlFacts(kind, frozenset(names(_RE_FROM) - written), frozenset(written),
                    bool(re.search(r"\bfor\s+(no\s+key\s+)?update\b", text, re.I)),
                    bool(UPSERT_SYNTAX.search(text)), None, _is_batch(text), False)


def sql_text(module: SourceModule, node: ast.AST | None, scope: ast.AST | None = None,
             values: dict[str, str] | None = None) -> str | None:
    """The SQL an expression holds, with f-string holes replaced by a placeholder name; ``values``:
    names whose string is known (a helper's parameters, from its caller's arguments)."""
    return _string_of(module, node, scope, depth=0, values=values or {})


def _string_of(module: SourceModule, node: ast.AST | None, scope: ast.AST | None, depth: int,
               values: dict[str, str]) -> str | None:
    if node is None or depth > 4:
        return None
    value = string_value(node)
    if value is not None:
        return value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            known = values.get(part.value.id) if isinstance(part, ast.FormattedValue) and isinstance(
                part.value, ast.Name) else None
            if isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Call):
                known = _named_table(module, part.value, values)
            parts.append(part.value if isinstance(part, ast.Constant) else known or _HOLE)
        return "".join(str(p) for p in parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        chained = isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Add)  # one level per concatenation
        left = _string_of(module, node.left, scope, depth if chained else depth + 1, values)
        right = _string_of(module, node.right, scope, depth + 1, values)
        if left is not None or right is not None:
            return (left or _HOLE) + " " + (right or _HOLE)
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _string_of(module, node.left, scope, depth + 1, values)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("format", "strip"):
            return _string_of(module, func.value, scope, depth + 1, values)
        name = method_name(node)
        if name in ("text", "SQL", "dedent", "Composed", "mogrify") and node.args:
            return _string_of(module, node.args[0], scope, depth + 1, values)
        return None
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.Name):
        for holder in (scope, module.tree):
            if holder is None:
                continue
            bound = single_binding(holder, node.id)
            if bound is None and holder is scope and isinstance(holder, FUNCTION_TYPES):
                bound = reaching_binding(module, holder, node)
            if bound is not None:
                return _string_of(module, bound, scope if holder is scope else None, depth + 1, values)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        return None
    return None


_TABLE_NAME_HELPER = re.compile(r"_*(get_)?(full_|qualified_|schema_)?table(_name)?")


def _named_table(module: SourceModule, call: ast.Call, values: dict[str, str]) -> str | None:
    """The table a helper qualifying a table's name is given in an f-string hole (``{self._get_table_name(
    "users")}``, ``{get_table_name(UserHandler.TABLE_NAME)}`` or ``self.TABLE_NAME``, a string its class
    body binds): that name."""
    if len(call.args) != 1 or call.keywords or not _TABLE_NAME_HELPER.fullmatch(method_name(call) or ""):
        return None
    given = call.args[0]
    if isinstance(given, ast.Name):
        return values.get(given.id)
    if not (isinstance(given, ast.Attribute) and isinstance(given.value, ast.Name)):
        return string_value(given)
    owner = _enclosing_class(module, call) if given.value.id in ("self", "cls") else None
    cls = owner[1] if owner is not None else _top_level_class(module.tree, given.value.id)
    bound = [s.value for s in (cls.body if cls is not None else []) if isinstance(s, ast.Assign)
             and [dotted(t) for t in s.targets] == [given.attr]]
    found = string_value(bound[0]) if len(bound) == 1 else None
    return found if found and found.isidentifier() else None


def single_binding(holder: ast.AST, name: str) -> ast.expr | None:
    """The value of the only assignment to ``name`` in ``holder`` (a function or module), if only one."""
    values: list[ast.expr] = []
    body = walk_function_body(holder) if isinstance(holder, FUNCTION_TYPES) else iter(holder.body)
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            values.append(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name and stmt.value:
            values.append(stmt.value)
    return values[0] if len(values) == 1 else None


def reaching_binding(module: SourceModule, fn: ast.AST, use: ast.Name) -> ast.expr | None:
    """The value of the assignment to ``use``'s name that certainly reaches ``use`` in ``fn``.

    A name rebound along a function (``query = "SELECT ..."; ...; query = "INSERT ..."``)
    holds, at each use, the last assignment before it on the straight-line path: one in the
    same block as the use or in a block that encloses it. None when another assignment could
    reach the use instead: one in a branch between the two, or one later in a loop around the use.
    """
    assignments = [stmt for stmt in walk_function_body(fn) if _assigns(stmt, use.id)]
    if len(assignments) < 2:
        return None
    path = {id(a) for a in ancestors(module, use)}
    before = sorted((a for a in assignments if (a.end_lineno or a.lineno) < use.lineno), key=lambda a: a.lineno)
    if not before:
        return None
    reaching = before[-1]
    parent = module.parents.get(reaching)
    if id(parent) not in path or not _same_block(parent, reaching, path):
        return None  # the last assignment before the use sits in a branch that does not enclose it
    for loop in ancestors(module, use):
        if loop is fn:
            break
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) and any(
            a.lineno > use.lineno and loop.lineno <= a.lineno <= (loop.end_lineno or a.lineno) for a in assignments
        ):
            return None  # rebound later in the loop: the next iteration sees that value
    return reaching.value


def _assigns(stmt: ast.AST, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    return isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name \
        and stmt.value is not None


def _same_block(parent: ast.AST, stmt: ast.stmt, path: set[int]) -> bool:
    """Whether ``stmt``'s block (a list field of ``parent``) also holds the use (one of ``path``)."""
    for field_name in ("body", "orelse", "finalbody"):
        block = getattr(parent, field_name, None)
        if isinstance(block, list) and any(s is stmt for s in block):
            return any(id(s) in path for s in block)
    return False


# -- table names ------------------------------------------------------------------------


def normalize_table(name: str) -> str:
    """``public."Order_Items"`` and ``OrderItem`` both become ``orderitem``."""
    base = name.strip('"').split(".")[-1].strip('"').lower().replace("_", "")
    if base.endswith("ies"):
        return base[:-3] + "y"
    if base.endswith(("ses", "xes", "ches", "shes")):
        return base[:-2]
    if base.endswith("s") and not base.endswith("ss"):
        return base[:-1]
    return base


def same_table(a: str, b: str) -> bool:
    return normalize_table(a) == normalize_table(b)


_LOG_TABLE = re.compile(r"audit|_log|history|event|activit|outbox|notification|timeline", re.I)
_LAST_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_DOMAIN_WORDS_IN_LOG = ("dialog", "catalog", "blog", "backlog", "analog", "prolog", "epilog", "monolog")


def is_log_table(name: str) -> bool:
    """Tables that record what happened (audit logs, events, history, outbox), not domain state; a
    name whose last word only ends in the letters "log" (``Dialog``, ``Catalog``, ``Blog``, ``Backlog``) is
    domain state, while ``AuditLog``, ``sync_logs``, ``Changelog``, ``accesslog`` record."""
    if _LOG_TABLE.search(name):
        return True
    last = (_LAST_WORD.findall(name) or [""])[-1].lower().removesuffix("s")
    return last.endswith("log") and not last.endswith(_DOMAIN_WORDS_IN_LOG)


# -- database calls ---------------------------------------------------------------------

_DB_NAME = re.compile(
    r"^(cur|cursor|curs|conn|connection|con|cnx|db|database|session|sess|dbsession|tx|txn|"
    r"transaction|pool|engine|pg|pgconn|sqlite|async_session|"
    r"\w+_(cur|cursor|conn|connection|db|session|sess|pool|engine|tx|txn))$"
)
_NOT_DB_NAME = re.compile(r"http|client|aiohttp|requests|redis|mongo|cache|elastic|kafka|amqp|rabbit|channel|"
                          r"socket|ssh|sftp|ftp|boto|s3|ws|celery|spark|browser|driver|aws|graph", re.I)
_DB_LIBRARIES = ("psycopg", "psycopg2", "asyncpg", "sqlite3", "aiosqlite", "sqlalchemy", "sqlmodel", "flask_sqlalchemy",
                 "databases", "django", "aiosql", "aiopg", "pymysql", "MySQLdb", "peewee", "tortoise", "pony", "records")
_AUTOCOMMIT_LIBRARIES = ("asyncpg", "databases")
_AUTOCOMMIT_METHODS = {"fetch", "fetchrow", "fetchval", "copy_records_to_table", "copy_to_table", "fetch_one",
                       "fetch_all", "fetch_val"}  # asyncpg and encode/databases only
_CURSOR_NAME = re.compile(r"^(cur|cursor|curs|c|\w+_cur|\w+_cursor)$")
_CONNECT_FACTORIES = {
    "psycopg.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect", "psycopg2.connect",
    "sqlite3.connect", "aiosqlite.connect", "asyncpg.connect", "asyncpg.create_pool", "aiopg.connect",
    "aiopg.create_pool", "psycopg_pool.ConnectionPool", "psycopg_pool.AsyncConnectionPool",
    "psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool", "databases.Database",
    "sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine", "sqlmodel.create_engine",
    "sqlalchemy.orm.Session", "sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.scoped_session", "sqlmodel.Session",
    "sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy.ext.asyncio.async_sessionmaker",
}
_HANDLE_METHODS = {"cursor", "acquire", "getconn", "connect", "begin", "connection"}
_HANDLE_ANNOTATIONS = {"Session", "AsyncSession", "Connection", "AsyncConnection", "Pool", "Cursor", "AsyncCursor",
                       "Database", "SessionDep", "Engine", "AsyncEngine", "scoped_session"}

_RAW_METHODS = {"execute", "executemany", "executescript", "fetch", "fetchrow", "fetchval", "fetch_one",
                "fetch_all", "fetch_val", "iterate", "copy_records_to_table", "copy_from", "copy_expert",
                "copy_to_table", "exec_driver_sql", "copy"}
_BATCH_METHODS = {"executemany", "copy_records_to_table", "copy_from", "copy_expert", "copy_to_table", "copy",
                  "add_all", "bulk_create", "bulk_update", "bulk_save_objects", "bulk_insert_mappings",
                  "bulk_update_mappings", "in_bulk"}
_SESSION_METHODS = {"execute", "scalars", "scalar", "exec", "get", "get_one", "add", "add_all", "delete", "merge",
                    "query", "refresh", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"}
_DJANGO_READS = {"get", "filter", "exclude", "all", "first", "last", "count", "exists", "values", "values_list",
                 "aggregate", "annotate", "in_bulk", "iterator", "order_by", "select_related", "prefetch_related",
                 "only", "defer", "distinct", "latest", "earliest", "raw", "none", "contains", "aget", "afirst",
                 "acount", "aexists", "alast", "aaggregate", "using", "extra", "dates", "datetimes"}
_DJANGO_WRITES = {"create": INSERT, "acreate": INSERT, "bulk_create": INSERT, "abulk_create": INSERT,
                  "update": UPDATE, "aupdate": UPDATE, "delete": DELETE, "adelete": DELETE,
                  "bulk_update": UPDATE, "abulk_update": UPDATE, "get_or_create": INSERT, "aget_or_create": INSERT,
                  "update_or_create": INSERT, "aupdate_or_create": INSERT}
_DJANGO_UPSERTS = {"get_or_create", "aget_or_create", "update_or_create", "aupdate_or_create"}
_LAZY_METHODS = {"filter", "exclude", "all", "order_by", "values", "values_list", "annotate", "select_related",
                 "prefetch_related", "only", "defer", "distinct", "using", "none", "extra", "filter_by", "where",
                 "join", "outerjoin", "options", "limit", "offset", "group_by", "having", "select_for_update",
                 "with_for_update", "query"}
_QUERY_TERMINAL_READS = {"all", "first", "one", "one_or_none", "scalar", "count", "get", "exists", "paginate",
                         "first_or_404", "get_or_404", "one_or_404", "all_or_404", "__iter__"}
_LOCKING_METHODS = {"select_for_update", "with_for_update", "with_lockmode"}
_UPSERT_METHODS = {"on_conflict_do_nothing", "on_conflict_do_update", "merge"}
_MODEL_CONSTRUCTORS = {"model_validate", "from_orm", "parse_obj", "model_construct", "construct"}


@dataclass
class DbOp:
    """One call that talks to the database."""

    call: ast.Call
    kind: str  # read, insert, update, delete, write (table or kind unknown), execute (SQL unknown), commit
    tables: frozenset[str] = frozenset()  # table or ORM model names as written
    api: str = "sql"  # sql, django, sqlalchemy, aiosql, peewee
    method: str = ""
    receiver: str | None = None
    sql: str | None = None
    facts: SqlFacts | None = None
    batch: bool = False
    upsert: bool = False
    locking: bool = False
    autocommit: bool = False  # each statement commits on its own outside a transaction block
    deferred: bool = False  # session.add/delete: no round trip until flush or commit
    confidence: Confidence = Confidence.high
    through: str | None = None  # the local helper whose body holds this operation
    lazy: bool = False  # builds a query without running it (Django filter(), session.query(...).filter())
    helper_transaction: bool = False  # a helper's operation that runs inside a transaction the helper opens
    built: bool = False  # run by a statement builder of the code base (``UpdateProcessor(...).execute()``): no SQL in sight
    # where an unknown statement or object comes from, in the module of ``call`` (a helper's parameter,
    # bound by its caller's argument)
    pending: ast.expr | None = field(default=None, repr=False, compare=False)

    @property
    def is_read(self) -> bool:
        return self.kind == READ

    @property
    def is_write(self) -> bool:
        return self.kind in WRITE_KINDS

    @property
    def round_trip(self) -> bool:
        """Whether the call itself reaches the server (not a deferred ORM change, not a commit)."""
        return self.kind != COMMIT and not self.deferred

    def describe(self) -> str:
        where = ", ".join(sorted(self.tables)) or "?"
        text = f"{self.kind} {where}" if self.kind != EXECUTE else "query"
        return f"{text} via {self.through}()" if self.through else text


def is_test_module(module: SourceModule) -> bool:
    """Test code and fixtures: ``tests/``, ``test_*.py``, ``*_test.py``, ``conftest.py``, load tests (``locust/``)."""
    return is_test_path(module.path)


def is_migration_module(module: SourceModule) -> bool:
    """Schema/data migrations (Django ``migrations/``, Alembic ``versions/``): one-off, and run in a
    transaction by their framework on PostgreSQL."""
    parts = module.path.split("/")
    return "migrations" in parts[:-1] or parts[-1] == "migrations.py" \
        or ("versions" in parts[:-1] and "alembic" in module.text[:2000].lower()) \
        or is_alembic_revision(module)


_REVISION_IDENTIFIERS = re.compile(r"^revision\s*=.*^down_revision\s*=", re.M | re.S)


def is_alembic_revision(module: SourceModule) -> bool:
    """An Alembic revision script wherever its folder is (``database/revisions/tenant/versions/``):
    module-level ``revision`` and ``down_revision`` identifiers, as Alembic writes them."""
    return "down_revision" in module.text and _REVISION_IDENTIFIERS.search(module.text) is not None


_SETUP_MODULE = re.compile(r"^(initiali[sz]ers?|bootstrap|init_?db|seeds?|seed_\w+)\.py$", re.I)


def is_setup_module(module: SourceModule) -> bool:
    """Set-up code run once at installation or start-up, before the service takes requests
    (``initializer.py``, ``bootstrap.py``, ``initdb.py``, ``seed.py``): like a migration, it creates
    what is missing (a default tenant, its templates) and is run again if it stops half-way."""
    return bool(_SETUP_MODULE.match(module.path.rsplit("/", 1)[-1]))


def skipped_module(module: SourceModule) -> bool:
    """Code the data-integrity rules leave alone: tests, migrations and set-up code."""
    return is_test_module(module) or is_migration_module(module) or is_setup_module(module)


def uses_database(module: SourceModule) -> bool:
    return any(module.imports_module(lib) for lib in _DB_LIBRARIES) or ".objects." in module.text


def db_like_name(name: str | None) -> bool:
    """Whether a receiver's name reads like a connection, cursor, session or pool."""
    if not name:
        return False
    last = name.split(".")[-1].lower()
    return bool(_DB_NAME.match(last)) and not _NOT_DB_NAME.search(name)


@dataclass
class _Scope:
    """Names bound in one function (and at module level) that matter to database calls."""

    handles: set[str] = field(default_factory=set)  # connections, cursors, sessions, pools
    cursors: set[str] = field(default_factory=set)  # DB-API cursors among the handles
    models: dict[str, str] = field(default_factory=dict)  # instance or queryset name -> model name
    loaded: set[str] = field(default_factory=set)  # instances read from the database (save() is an UPDATE)
    statements: dict[str, ast.expr] = field(default_factory=dict)  # name -> select()/insert()... expression
    # statement name -> methods chained onto it after it was bound (``stmt = stmt.on_conflict_do_update(...)``)
    extended: dict[str, set[str]] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)  # local alias -> the model class (``tl = TaskLink``)
    aiosql: set[str] = field(default_factory=set)
    # name -> (the chain's subject, whether a new instance, the chain's methods), read for peewee
    peewee: dict[str, tuple[str, bool, set[str]]] = field(default_factory=dict)
    # name -> the model an alternate constructor of it built (``orm = schemas.ReservationORM.from_unsaved(x)``),
    # read only where the name is handed to ``session.add``
    factory_built: dict[str, str] = field(default_factory=dict)


# Per parsed file (dropped with its tree): scopes and operations of each function, by id.
_CACHE: "weakref.WeakKeyDictionary[ast.Module, dict[tuple, object]]" = weakref.WeakKeyDictionary()


def _cache_of(module: SourceModule) -> dict[tuple, object]:
    return _CACHE.setdefault(module.tree, {})


def _scope_of(module: SourceModule, fn: ast.AST, project: Project | None = None) -> _Scope:
    """With ``project``, also the cursors the code base's own classes hand out (``with PostgresClient() as cur``)."""
    cache = _cache_of(module)
    cached = cache.get(("scope", id(fn), project is not None))
    if cached is not None:
        return cached
    scope = _Scope()
    if fn is not module.tree:
        module_scope = _scope_of(module, module.tree, project)
        scope.handles |= module_scope.handles
        scope.aiosql |= module_scope.aiosql
        scope.cursors |= module_scope.cursors
        scope.models.update(module_scope.models)
        for arg in _arguments(fn):
            annotation = dotted(arg.annotation) if arg.annotation is not None else None
            if annotation and annotation.split(".")[-1] in _HANDLE_ANNOTATIONS:
                scope.handles.add(arg.arg)
            elif isinstance(arg.annotation, ast.Subscript) and any(
                isinstance(n, (ast.Name, ast.Attribute)) and (dotted(n) or "").split(".")[-1] in _HANDLE_ANNOTATIONS
                for n in walk_nodes(arg.annotation)
            ):
                scope.handles.add(arg.arg)
    nodes = walk_function_body(fn) if fn is not module.tree else _module_level(module.tree)
    for node in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = dotted(target)
                if name:
                    _bind(module, scope, name, node.value)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                name = dotted(item.optional_vars) if item.optional_vars is not None else None
                held = dotted(item.context_expr) if isinstance(item.context_expr, (ast.Name, ast.Attribute)) else None
                if name and held and (held in scope.handles or db_like_name(held)):
                    scope.handles.add(name)  # ``with self.connection as c``: the connection itself
                elif name and _hands_out_cursor(module, project, item.context_expr):
                    scope.handles.add(name)
                    scope.cursors.add(name)
                elif name:
                    _bind(module, scope, name, item.context_expr)
    if fn is not module.tree:
        _bind_built_rows(module, scope, fn)
    owner = module.parents.get(fn) if fn is not module.tree else None
    if isinstance(owner, ast.ClassDef):  # ``qs = cls.objects.filter(...)`` in a classmethod of the model
        scope.models.update({name: owner.name for name, model in scope.models.items() if model == "cls"})
    if fn is not module.tree and _django_module(module):
        _bind_django_instances(module, scope, fn, owner)
        rows_of = _queryset_model(module, owner) if isinstance(owner, ast.ClassDef) else None
        for node in walk_function_body(fn) if rows_of is not None else ():
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                    isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) and dotted(
                    node.value.func.value) == "self" and node.value.func.attr not in _QUERYSET_TERMINALS:
                scope.models[node.targets[0].id] = rows_of  # qs = self.open(): rows of the model
                scope.loaded.add(node.targets[0].id)
    cache[("scope", id(fn), project is not None)] = scope
    return scope


def _bind_built_rows(module: SourceModule, scope: _Scope, fn: ast.AST) -> None:
    """Loop variables over a list of new model instances the function builds (``links = [Link(...) for t in
    ids]``, then ``for link in links:`` or ``for i, link in enumerate(links):``): each is a new row of that model."""
    built: dict[str, str] = {}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            model = _built_list_model(module, node.value)
            if model:
                built[node.targets[0].id] = model
    for node in walk_function_body(fn):
        if not isinstance(node, (ast.For, ast.AsyncFor)):
            continue
        iterated, target = node.iter, node.target
        if isinstance(iterated, ast.Call) and dotted(iterated.func) == "enumerate" and iterated.args and \
                isinstance(target, ast.Tuple) and len(target.elts) == 2:
            iterated, target = iterated.args[0], target.elts[1]
        model = built.get(iterated.id) if isinstance(iterated, ast.Name) else _built_list_model(module, iterated)
        if model and isinstance(target, ast.Name) and target.id not in scope.models:
            scope.models[target.id] = model


def _built_list_model(module: SourceModule, value: ast.AST) -> str | None:
    """``Link`` for ``[Link(...) for t in ids]`` or ``[Link(...), Link(...)]``: a list of new instances of one model."""
    if isinstance(value, (ast.ListComp, ast.GeneratorExp)):
        elements = [value.elt]
    elif isinstance(value, (ast.List, ast.Tuple)) and value.elts:
        elements = value.elts
    else:
        return None
    models = {_constructed_model(e, module) if isinstance(e, ast.Call) else None for e in elements}
    return models.pop() if len(models) == 1 and None not in models else None


def _bind_django_instances(module: SourceModule, scope: _Scope, fn: ast.AST, owner: ast.AST | None) -> None:
    """Django model instances a function holds without loading them itself: a parameter annotated with
    a model (``incident: Incident``, the class defined here as a model or imported from a ``models``
    module) and, in a DRF/Django class-based view, ``obj = self.get_object()`` where the class says
    ``queryset = Model.objects...`` or ``model = Model``. Their ``save()`` updates that model's table."""
    for arg in _arguments(fn):
        model = _annotated_model(module, arg.annotation)
        if model is not None and arg.arg not in scope.models:
            scope.models[arg.arg] = model
            scope.loaded.add(arg.arg)
    if not isinstance(owner, ast.ClassDef):
        return
    viewed = None
    for statement in owner.body:
        if isinstance(statement, ast.Assign) and [dotted(t) for t in statement.targets] in (["queryset"], ["model"]):
            viewed = _objects_model(statement.value) if isinstance(statement.value, ast.Call) else (
                dotted(statement.value) or "").split(".")[-1] or None
    if viewed is None or not viewed[:1].isupper():
        return
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                isinstance(node.value, ast.Call) and dotted(node.value.func) == "self.get_object":
            scope.models[node.targets[0].id] = viewed
            scope.loaded.add(node.targets[0].id)


_QUERYSET_TERMINALS = {"get", "first", "last", "count", "exists", "aggregate", "values_list", "values", "in_bulk",
                       "iterator", "latest", "earliest", "update", "delete", "create", "bulk_create", "bulk_update",
                       "get_or_create", "update_or_create", "contains", "explain"}


def _queryset_model(module: SourceModule, cls: ast.ClassDef) -> str | None:
    """The model whose rows a Django ``QuerySet`` subclass selects: the class of the same module that
    says ``objects = IncidentQuerySet.as_manager()`` (or ``Manager.from_queryset(IncidentQuerySet)()``)."""
    if not any((dotted(base) or "").endswith("QuerySet") for base in cls.bases):
        return None
    for holder in module.tree.body:
        if not isinstance(holder, ast.ClassDef):
            continue
        for statement in holder.body:
            value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
            for call in (n for n in walk_nodes(value) if isinstance(n, ast.Call)) if value is not None else ():
                if method_name(call) == "as_manager" and isinstance(call.func, ast.Attribute) and dotted(
                        call.func.value) == cls.name or method_name(call) == "from_queryset" and any(
                        dotted(a) == cls.name for a in call.args):
                    return holder.name
    return None


def _annotated_model(module: SourceModule, annotation: ast.AST | None) -> str | None:
    """The Django model a parameter annotation names, when it certainly is one."""
    name = dotted(annotation) if isinstance(annotation, (ast.Name, ast.Attribute)) else None
    if not name or not name.split(".")[-1][:1].isupper():
        return None
    if "." in name:
        head, _, last = name.rpartition(".")
        return last if _MODELS_MODULE.match(head.split(".")[-1]) else None
    local = next((c for c in module.tree.body if isinstance(c, ast.ClassDef) and c.name == name), None)
    if local is not None:
        return name if _is_django_model(local) else None
    target = module.imports.get(name) or ""
    return name if any(_MODELS_MODULE.match(part) for part in target.split(".")[:-1]) else None


def handles(module: SourceModule, fn: ast.AST) -> set[str]:
    """Names that hold a connection, cursor, session or pool in ``fn`` (module globals included)."""
    return set(_scope_of(module, fn).handles)


def _module_level(tree: ast.Module) -> Iterator[ast.AST]:
    """Module and class-body statements, not function bodies (scanned per function)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, FUNCTION_TYPES + (ast.Lambda,)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _arguments(fn: ast.AST) -> list[ast.arg]:
    args = getattr(fn, "args", None)
    if args is None:
        return []
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def _bind(module: SourceModule, scope: _Scope, name: str, value: ast.expr) -> None:
    value = value.value if isinstance(value, ast.Await) else value
    if isinstance(value, ast.Name) and value.id[:1].isupper() and not name[:1].isupper():
        scope.classes[name] = value.id
    if not isinstance(value, ast.Call):
        return
    _bind_peewee(scope, name, value)
    called = qualified(module, value.func) or ""
    method = method_name(value)
    receiver = dotted(value.func.value) if isinstance(value.func, ast.Attribute) else None
    if called in _CONNECT_FACTORIES or called.startswith(("psycopg", "asyncpg", "sqlite3", "aiosqlite")) and method in (
        "connect", "create_pool"
    ):
        scope.handles.add(name)
        return
    if method in _HANDLE_METHODS and (receiver in scope.handles or db_like_name(receiver)):
        scope.handles.add(name)
        if method == "cursor":
            scope.cursors.add(name)
        return
    if called.startswith("aiosql.") or called == "aiosql":
        scope.aiosql.add(name)
        return
    root = _chain_root(value)
    if isinstance(root, ast.Name) and root.id in scope.statements:
        scope.extended[name] = scope.extended.get(root.id, set()) | {method_name(c) for c in _chain(value)}
        scope.statements.setdefault(name, scope.statements[root.id])
        return
    innermost = _chain(value)[-1]
    if isinstance(root, ast.Call) and method_name(root) in ("select", "insert", "update", "delete", "text") or (
        called.split(".")[-1] in ("select", "insert", "update", "delete") and _is_sqlalchemy_function(module, value)
    ) or (  # ``stmt = db.update(User).where(...).values(...)``: Flask-SQLAlchemy's db (or ``sa``) builds it
        method_name(innermost) in ("select", "insert", "update", "delete") and isinstance(innermost.func, ast.Attribute)
        and _builds_statements(dotted(innermost.func.value)) and _is_sqlalchemy_module(module)
    ):
        scope.statements[name] = value
        return
    model = _django_model(value) or _query_model(module, value, scope)
    if model and method_name(value) == "in_bulk":
        return  # ``by_key = qs.in_bulk(keys)``: a dict of rows already read; ``by_key.get(k)`` runs no query
    if model:
        scope.models[name] = model
        scope.loaded.add(name)
        return
    constructed = _constructed_model(value, module)
    if constructed:
        scope.models[name] = constructed
    elif _factory_model(value):
        scope.factory_built[name] = _factory_model(value)


def _factory_model(call: ast.Call) -> str | None:
    """``ReservationORM`` for ``schemas.ReservationORM.from_unsaved_model(x)`` or ``Note.from_dict(d)``: a
    classmethod named ``from_...`` of a class, the alternate constructor of a model."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr.startswith("from_")):
        return None
    owner = (dotted(func.value) or "").split(".")[-1]
    return owner if owner[:1].isupper() and not owner.isupper() and not _NOT_MODELS.search(owner) else None


def _builds_statements(receiver: str | None) -> bool:
    """``db.update(...)`` (Flask-SQLAlchemy), ``sa.select(...)``, ``db.queries.insert(...)`` (a query
    builder the database object carries)."""
    return receiver in ("db", "sa", "sqlalchemy") or bool(receiver) and db_like_name(receiver.split(".")[0])


_NOT_MODELS = re.compile(r"(Form|FormSet|Formset|Serializer\w*|Schema|Client|Session|Response|Writer|Buffer|"
                         r"Error|Exception|Builder|Factory|Pool|Engine|Connection|Cursor|Lock|"
                         r"Repository|Repo|Service|Dao|DAO|Gateway|Manager|Initializer|Storage)$")


_SCHEMA_CONSTRUCTS = re.compile(r"(Model|Column|Table|ForeignKey|Index|Constraint|Enum|String|Integer|Text|Boolean|"
                                r"DateTime|Date|Time|Float|Numeric|JSON|Binary|Interval|Sequence|MetaData)$")
_MODELS_MODULE = re.compile(r"^(\w+_)?(models?|entities|tables)$")


def _standard_library_class(module: SourceModule, name: str) -> bool:
    """``Counter()``, ``OrderedDict()``, ``Decimal()`` imported from the standard library: a value, never a row."""
    imported = module.imports.get(name)
    return imported is not None and imported.split(".")[0] in sys.stdlib_module_names


def _constructed_model(call: ast.Call, module: SourceModule | None = None) -> str | None:
    """``Order(...)``, ``Order.model_validate(...)``, ``models.Order(...)`` (a class of a models
    module), ``cls(...)`` in a classmethod of a model (with ``module``): a new model instance."""
    func = call.func
    if isinstance(func, ast.Name) and func.id[:1].isupper() and not func.id.isupper():
        return None if _NOT_MODELS.search(func.id) or module is not None and _standard_library_class(module, func.id) \
            else func.id
    if isinstance(func, ast.Attribute) and func.attr in _MODEL_CONSTRUCTORS and isinstance(func.value, ast.Name):
        if func.value.id[:1].isupper():
            return func.value.id
    if isinstance(func, ast.Attribute) and func.attr[:1].isupper() and not func.attr.isupper() and isinstance(
            func.value, ast.Name) and _MODELS_MODULE.match(func.value.id):
        # ``models.ForeignKey(...)``, ``models.CharField(...)``: Django's field declarations, not rows
        return None if _NOT_MODELS.search(func.attr) or func.attr.endswith(("Field", "ForeignKey")) else func.attr
    if isinstance(func, ast.Attribute) and func.attr[:1].isupper() and not func.attr.isupper() and isinstance(
            func.value, ast.Name) and db_like_name(func.value.id):
        # ``db.WorkQueue(...)``: a model class reached through the database object (an injected
        # interface exposing the mapped classes); ``db.Column(...)`` and ``db.String(...)`` declare schema
        return None if _NOT_MODELS.search(func.attr) or _SCHEMA_CONSTRUCTS.search(func.attr) else func.attr
    if isinstance(func, ast.Name) and func.id == "cls" and module is not None:
        return _classmethod_model(module, call)
    return None


def constructed_model(call: ast.Call, module: SourceModule) -> str | None:
    """The model class ``call`` builds a new instance of (``Order(...)``, ``db.Order(...)``, ``cls(...)``
    in a classmethod of the model), or None."""
    return _constructed_model(call, module)


def _classmethod_model(module: SourceModule, node: ast.AST) -> str | None:
    """The class whose classmethod holds ``node`` (what ``cls`` names there), unless it is no model."""
    method = next((a for a in ancestors(module, node) if isinstance(a, FUNCTION_TYPES)), None)
    owner = module.parents.get(method) if method is not None else None
    if isinstance(owner, ast.ClassDef) and "classmethod" in {dotted(d) for d in method.decorator_list} and not \
            _NOT_MODELS.search(owner.name):
        return owner.name
    return None


def _mapped_classmethod_model(module: SourceModule, node: ast.AST) -> str | None:
    """:func:`_classmethod_model` of a class that derives from another (``class Group(Base)``); not of a mixin
    (``class RecordMixin:``), whose ``cls`` is the model it is mixed into."""
    model = _classmethod_model(module, node)
    owner = next((a for a in ancestors(module, node) if isinstance(a, ast.ClassDef)), None)
    return model if model is not None and owner is not None and not model.endswith("Mixin") \
        and any(dotted(base) != "object" for base in owner.bases) else None


def _chain(call: ast.AST) -> list[ast.Call]:
    """The calls of a method chain, outermost first: ``a.b().c().d()`` -> [d(), c(), b()]."""
    calls: list[ast.Call] = []
    node = call
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return calls


def _chain_root(call: ast.AST) -> ast.AST:
    node = call
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript, ast.Await)):
        if isinstance(node, ast.Call):
            inner = node.func
            if not isinstance(inner, ast.Attribute):
                return node
            node = inner.value
        elif isinstance(node, ast.Await):
            node = node.value
        else:
            node = node.value
    return node


def _objects_model(node: ast.AST) -> str | None:
    """``Order`` for a chain that starts ``Order.objects`` (or ``_default_manager``), or Django's
    ``QuerySet(Order)`` built directly. Not an SDK's namespace of that name (``hubspot.crm.objects.basic_api.create()``):
    a manager's attribute is a method, called."""
    above: list[ast.AST] = []
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript, ast.Await)):
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager", "_base_manager"):
            if len(above) >= 2 and isinstance(above[-1], ast.Attribute) and isinstance(above[-2], ast.Attribute):
                return None
            base = dotted(node.value)
            return base.split(".")[-1] if base else None
        above.append(node)
        if isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] == "QuerySet":
            given = node.args[:1] or [k.value for k in node.keywords if k.arg == "model"]
            model = (dotted(given[0]) or "").split(".")[-1] if given else ""
            return model if model[:1].isupper() else None
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def _django_model(call: ast.Call) -> str | None:
    return _objects_model(call)


def _imported_module(module: SourceModule, name: str) -> bool:
    """``pydash`` of ``import pydash``: ``pydash.objects.get(row, path)`` reads a library's module, not a manager."""
    return any(isinstance(node, ast.Import) and any((alias.asname or alias.name) == name for alias in node.names)
               for node in module.nodes_of(ast.Import))


def _query_model(module: SourceModule, call: ast.AST, scope: _Scope) -> str | None:
    """The model of ``session.query(M)...`` or Flask-SQLAlchemy ``M.query...`` chains."""
    for link in _chain(call):
        if isinstance(link.func, ast.Attribute) and link.func.attr == "query" and link.args:
            receiver = dotted(link.func.value)
            if receiver in scope.handles or db_like_name(receiver):
                if isinstance(link.args[0], ast.Name) and link.args[0].id == "cls":
                    return _mapped_classmethod_model(module, link)  # db.query(cls) in a classmethod of the model
                return _model_in(link.args[0])
    node = call
    while isinstance(node, (ast.Call, ast.Attribute, ast.Await)):
        if isinstance(node, ast.Attribute) and node.attr == "query" and isinstance(node.value, ast.Name):
            if node.value.id[:1].isupper():
                return node.value.id
            if node.value.id == "cls":  # ``cls.query`` in a classmethod of the model
                return _classmethod_model(module, node)
        node = node.func if isinstance(node, ast.Call) else node.value
    return None


def _model_in(node: ast.AST, attributes: dict[str, str] | None = None) -> str | None:
    """``User`` for ``User``, ``User.id``, ``func.count(User.id)`` (``self.model`` or a local alias of a
    model class with ``attributes``)."""
    if isinstance(node, ast.Name) and attributes and node.id in attributes:
        return attributes[node.id]
    if isinstance(node, ast.Name) and node.id[:1].isupper():
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node)
        if attributes and base:
            head = ".".join(base.split(".")[:2])
            if head in attributes:
                return attributes[head]
            if base.split(".")[0] in attributes:
                return attributes[base.split(".")[0]]
        if base:
            parts = base.split(".")
            if len(parts) == 2 and (_MODELS_MODULE.match(parts[0]) or db_like_name(parts[0])) and parts[1][:1].isupper():
                return parts[1]  # models.Source, db.Source
            for part in reversed(parts[:-1] if len(parts) > 1 else parts):
                if part[:1].isupper():
                    return part
            return None
    if isinstance(node, ast.Call):
        for arg in node.args:
            found = _model_in(arg, attributes)
            if found:
                return found
        return _exists_model(node, attributes)
    return None


def _exists_model(call: ast.Call, attributes: dict[str, str] | None) -> str | None:
    """``Tag`` for ``exists().where(Tag.name == name)`` (``sa.exists()``, also ``and_(...)`` of such
    comparisons): a bare ``exists()`` names its table only in the condition it is given."""
    chain = _chain(call)
    if not chain or method_name(chain[-1]) != "exists" or chain[-1].args:
        return None
    for link in chain[:-1]:
        if method_name(link) in ("where", "filter"):
            for node in (n for a in link.args for n in ast.walk(a)):
                if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute):
                    found = _model_in(node.left, attributes)
                    if found:
                        return found
    return None


def _is_sqlalchemy_function(module: SourceModule, call: ast.Call) -> bool:
    called = qualified(module, call.func) or ""
    return called.startswith(("sqlalchemy", "sqlmodel", "sa.")) or (
        isinstance(call.func, ast.Name) and (module.imports_module("sqlalchemy") or module.imports_module("sqlmodel"))
    )


def _statement_facts(module: SourceModule, node: ast.AST, scope: _Scope, fn: ast.AST,
                     attributes: dict[str, str] | None = None) -> tuple[str, set[str], bool, bool, SqlFacts | None, str | None]:
    """(kind, models, locking, upsert, facts, sql) of a SQLAlchemy statement or SQL text argument.

    ``attributes``: ``self.model``-like names -> the model they hold in the class the code runs for."""
    root = _chain_root(node) if isinstance(node, ast.Call) else node
    if isinstance(root, ast.Name) and root.id in scope.statements:
        kind, models, locking, upsert, facts, text = _statement_facts(
            module, scope.statements[root.id], scope, fn, attributes)
        chained = scope.extended.get(root.id, set()) | ({method_name(c) for c in _chain(node)} if root is not node else set())
        return (kind, models, locking or bool(chained & _LOCKING_METHODS), upsert or bool(chained & _UPSERT_METHODS),
                facts, text)
    attributes = {**scope.classes, **(attributes or {})}
    text = sql_text(module, node, fn)
    if text is not None and looks_like_sql(text):
        facts = parse_sql(text)
        if facts:
            return _kind_of_facts(facts), set(_touched(facts)), facts.for_update, facts.on_conflict, facts, text
    if not isinstance(node, ast.Call):
        return EXECUTE, set(), False, False, None, text
    chain = _chain(node)
    methods = {method_name(c) for c in chain}
    root = chain[-1] if chain else None
    if root is None:
        return EXECUTE, set(), False, False, None, None
    root_name = method_name(root)
    models = {m for m in (_model_in(a, attributes) for a in root.args) if m}
    for link in chain:
        if method_name(link) in ("join", "outerjoin", "select_from") and link.args:
            joined = _model_in(link.args[0], attributes)
            if joined:
                models.add(joined)
    locking = bool(methods & _LOCKING_METHODS)
    upsert = bool(methods & _UPSERT_METHODS)
    if root_name == "select":
        return READ, models, locking, upsert, None, None
    if root_name in ("insert", "update", "delete"):
        target = {(attributes or {}).get(m, m) for m in (dotted(a) for a in root.args[:1]) if m}
        return {"insert": INSERT, "update": UPDATE, "delete": DELETE}[root_name], {t.split(".")[-1] for t in target}, locking, upsert, None, None
    return EXECUTE, set(), locking, upsert, None, None


def _touched(facts: SqlFacts) -> frozenset[str]:
    """The tables an operation is about: those a write changes (not the ``USING``/``FROM``/``SELECT``
    tables it only reads), or those a read reads."""
    return facts.writes if facts.kind in ("INSERT", "UPDATE", "DELETE") and facts.writes else facts.tables


def _kind_of_facts(facts: SqlFacts) -> str:
    return {"SELECT": READ, "INSERT": INSERT, "UPDATE": UPDATE, "DELETE": DELETE,
            "BEGIN": EXECUTE, "COMMIT": COMMIT, "ROLLBACK": EXECUTE}.get(facts.kind, EXECUTE)


def _is_chain_link(module: SourceModule, call: ast.Call) -> bool:
    """Whether ``call`` is an inner link of a longer method chain (``x.filter()`` in ``x.filter().first()``)."""
    parent = module.parents.get(call)
    grand = module.parents.get(parent)
    return isinstance(parent, ast.Attribute) and isinstance(grand, ast.Call) and grand.func is parent


_AUTOCOMMIT_SETTING = re.compile(r"""\bautocommit["']?\s*[:=]\s*True\b""")


def _autocommit(module: SourceModule, method: str, receiver: str | None, scope: _Scope,
                project: Project | None = None) -> bool:
    """Whether this statement commits on its own when no transaction block is open.

    Connections opened with ``autocommit=True`` -- in this file, or, for psycopg, anywhere in
    the project (a pool configured once with ``kwargs={"autocommit": True}``) -- do.
    """
    if _AUTOCOMMIT_SETTING.search(module.text):
        return True
    if (module.imports_module("psycopg") or module.imports_module("psycopg2")) and not _is_sqlalchemy_module(module) \
            and _project_autocommit(project):
        return True
    if method in _AUTOCOMMIT_METHODS:
        return True
    if receiver is not None and (receiver in scope.cursors or _CURSOR_NAME.match(receiver.split(".")[-1].lower())):
        return False  # a DB-API cursor: psycopg and sqlite3 open a transaction implicitly
    return any(module.imports_module(lib) for lib in _AUTOCOMMIT_LIBRARIES) and not (
        _is_sqlalchemy_module(module) or module.imports_module("psycopg") or module.imports_module("psycopg2")
        or module.imports_module("sqlite3")
    )


def _project_autocommit(project: Project | None) -> bool:
    """Whether a psycopg connection or pool of the project is configured with autocommit."""
    if project is None:
        return False
    if "db.autocommit" not in project.facts:
        project.facts["db.autocommit"] = any(_AUTOCOMMIT_SETTING.search(m.text) and any(
            m.imports_module(lib) for lib in ("psycopg", "psycopg_pool", "psycopg2")) for m in project.modules)
    return project.facts["db.autocommit"]


def classify(module: SourceModule, call: ast.Call, fn: ast.AST | None = None,
             project: Project | None = None) -> DbOp | None:
    """A :class:`DbOp` when ``call`` talks to the database, else None.

    A method chain is one operation, anchored at its outermost call for query-builder
    chains (``Order.objects.filter(...).first()``) and at the execute call for
    statements (``session.execute(select(...)).scalar_one()`` is the ``execute``).
    With ``project``, aiosql calls are matched to the named queries of its ``.sql`` files, and
    calls of the code base's own statement layer read as the statements they run: a statement
    builder's ``query.execute()``, a function that runs the SQL it is handed (``_dml(sql, values)``).
    """
    fn = fn if fn is not None else function_of(module, call)
    return _driver_op(module, call, fn, project) or _builder_op(module, call, fn, project) \
        or _handed_statement_op(module, call, fn, project)


def _driver_op(module: SourceModule, call: ast.Call, fn: ast.AST, project: Project | None) -> DbOp | None:
    """:func:`classify` for the drivers and ORMs themselves."""
    scope = _scope_of(module, fn, project)
    method = method_name(call) or ""
    func = call.func
    receiver = dotted(func.value) if isinstance(func, ast.Attribute) else None
    receiver_is_db = receiver is not None and (receiver in scope.handles or db_like_name(receiver) or
                                               _receiver_is_handle_call(func, scope))

    peewee = _peewee_op(module, call, fn, scope, project, method, receiver) if isinstance(func, ast.Attribute) \
        else False
    if peewee is not False:
        return peewee

    # Django: Model.objects...<method>()
    model = _django_model(call)
    if model == "cls" and isinstance(module.parents.get(fn), ast.ClassDef):
        model = module.parents[fn].name  # cls.objects.filter(...) in a classmethod of the model
    if model and isinstance(func, ast.Attribute) and not _imported_module(module, model):
        if _is_chain_link(module, call):
            return None
        return _django_op(call, model, method)

    # Django queryset or instance held in a name: qs.count(), order.save(), order.delete()
    if isinstance(func, ast.Attribute) and receiver in scope.models and method in (
        _DJANGO_READS | set(_DJANGO_WRITES) | {"save", "asave", "adelete"}
    ) and _django_module(module):
        if _is_chain_link(module, call):
            return None
        if method in ("get", "aget") and _dict_lookup(call):
            return None
        held = scope.models[receiver]
        if method in ("save", "asave"):
            kind = UPDATE if receiver in scope.loaded else INSERT
            return DbOp(call, kind, frozenset({held}), "django", method, receiver, autocommit=True,
                        confidence=Confidence.medium)
        if method in ("delete", "adelete") and receiver not in scope.loaded:
            return None
        return _django_op(call, held, method, receiver)

    # a Django model built and saved in one expression: Token(member=member, key=key).save()
    if method in ("save", "asave") and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
            and not call.args and _django_module(module):
        built = _annotated_model(module, func.value.func)
        if built is not None:
            return DbOp(call, INSERT, frozenset({built}), "django", method, None, autocommit=True,
                        confidence=Confidence.medium)

    # a Django model's own method: self.save(update_fields=[...]) / self.delete()
    if receiver == "self" and method in ("save", "asave", "delete", "adelete"):
        own_model = _django_model_class(module, fn)
        if own_model is not None:
            kind = DELETE if method in ("delete", "adelete") else UPDATE
            return DbOp(call, kind, frozenset({own_model}), "django", method, receiver, autocommit=True,
                        confidence=Confidence.medium)

    # a Django QuerySet subclass's own bulk write: self.update(...) / self.delete() in IncidentQuerySet.close()
    if receiver == "self" and method in _DJANGO_WRITES and isinstance(module.parents.get(fn), ast.ClassDef):
        rows_of = _queryset_model(module, module.parents[fn])
        if rows_of is not None:
            return _django_op(call, rows_of, method, receiver)

    # SQLAlchemy 1.x session.query(M)... and Flask-SQLAlchemy M.query...
    query_model = _query_model(module, call, scope)
    if query_model and isinstance(func, ast.Attribute) and not (method == "query" and receiver_is_db):
        if _is_chain_link(module, call):
            return None
        chain_methods = {method_name(c) for c in _chain(call)}
        locking = bool(chain_methods & _LOCKING_METHODS)
        if method == "update":
            kind = UPDATE
        elif method == "delete":
            kind = DELETE
        else:
            kind = READ
        return DbOp(call, kind, frozenset({query_model}), "sqlalchemy", method, receiver, locking=locking,
                    confidence=Confidence.high if method in _QUERY_TERMINAL_READS | {"update", "delete"} else Confidence.medium,
                    lazy=kind == READ and method in _LAZY_METHODS)
    if method == "query" and receiver_is_db and call.args:
        if _is_chain_link(module, call):
            return None
        query_model = _model_in(call.args[0])
        return DbOp(call, READ, frozenset({query_model} if query_model else ()), "sqlalchemy", method, receiver,
                    confidence=Confidence.medium, lazy=True)

    if not isinstance(func, ast.Attribute):
        return None

    # aiosql: queries.get_user(conn, ...)
    if receiver in scope.aiosql or _looks_like_aiosql(receiver, call, scope):
        return _aiosql_op(module, call, method, receiver, scope, project)

    if method in ("commit", "acommit") and (receiver_is_db or receiver in ("transaction", "django.db.transaction")):
        return DbOp(call, COMMIT, frozenset(), "sql", method, receiver)

    if method in _SESSION_METHODS - _RAW_METHODS and receiver_is_db:
        return _session_op(module, call, method, receiver, scope, fn)

    if method in _RAW_METHODS:
        statement = call.args[0] if call.args else keyword(call, "query") or keyword(call, "sql")  # psycopg2, sqlite3
        kind, tables, locking, upsert, facts, text = _statement_facts(module, statement, scope, fn)
        if not receiver_is_db and facts is None:
            return None
        api = "sql" if facts is not None or not _is_sqlalchemy_module(module) else "sqlalchemy"
        batch = method in _BATCH_METHODS or (facts.batch if facts else False) or (
            len(call.args) > 1 and isinstance(call.args[1], (ast.List, ast.ListComp)) and api == "sqlalchemy"
        )
        confidence = Confidence.high if facts is not None or kind != EXECUTE else Confidence.medium
        return DbOp(call, kind, frozenset(tables), api, method, receiver, text, facts, batch, upsert, locking,
                    autocommit=api == "sql" and _autocommit(module, method, receiver, scope, project),
                    confidence=confidence)
    return None


_AIOSQL_NAME = re.compile(r"^-- name:\s*([\w-]+)([<!^*#$]*)\s*$", re.M)
_AIOSQL_KINDS = [(re.compile(r"^(get|select|find|list|count|fetch|is|has|check|search|read)_"), READ),
                 (re.compile(r"^(create|insert|add|new)_"), INSERT), (re.compile(r"^(update|set|change)_"), UPDATE),
                 (re.compile(r"^(delete|remove)_"), DELETE)]


def aiosql_statements(project: Project | None) -> dict[str, str]:
    """aiosql query name (as Python calls it) -> its SQL, from the project's ``.sql`` files."""
    if project is None:
        return {}
    if "db.aiosql" in project.facts:
        return project.facts["db.aiosql"]
    statements: dict[str, str] = {}
    project.facts["db.aiosql"] = statements
    for path in project.sql_files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        marks = list(_AIOSQL_NAME.finditer(text))
        for index, mark in enumerate(marks):
            end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
            body = "\n".join(line for line in text[mark.end():end].splitlines() if not line.strip().startswith("--"))
            statements[mark.group(1).replace("-", "_")] = body.strip()
    return statements


def _looks_like_aiosql(receiver: str | None, call: ast.Call, scope: _Scope) -> bool:
    """``queries.get_user(conn, ...)``: a query object whose methods take the connection first."""
    if receiver is None or receiver.split(".")[-1] not in ("queries", "sql_queries", "q"):
        return False
    first = dotted(call.args[0]) if call.args else None
    return first is not None and (first in scope.handles or db_like_name(first))


def _aiosql_op(module: SourceModule, call: ast.Call, method: str, receiver: str | None, scope: _Scope,
               project: Project | None) -> DbOp:
    text = aiosql_statements(project).get(method)
    facts = parse_sql(text) if text else None
    # aiosql.from_path(path, "asyncpg"): the asyncpg adapter runs each query in autocommit
    autocommit = _autocommit(module, method, None, scope, project) or bool(re.search(r"""["']asyncpg["']""", module.text))
    if facts is not None:
        return DbOp(call, _kind_of_facts(facts), _touched(facts), "aiosql", method, receiver, text, facts,
                    batch=facts.batch or method.endswith("_many"), upsert=facts.on_conflict, locking=facts.for_update,
                    autocommit=autocommit)
    kind = next((k for pattern, k in _AIOSQL_KINDS if pattern.match(method)), EXECUTE)
    return DbOp(call, kind, frozenset(), "aiosql", method, receiver, autocommit=autocommit,
                confidence=Confidence.medium)


def _receiver_is_handle_call(func: ast.Attribute, scope: _Scope) -> bool:
    """``conn.cursor().execute(...)``."""
    value = func.value
    return (isinstance(value, ast.Call) and method_name(value) in _HANDLE_METHODS
            and isinstance(value.func, ast.Attribute)
            and (dotted(value.func.value) in scope.handles or db_like_name(dotted(value.func.value))))


_DJANGO_MODEL_BASE = re.compile(r"(^|\.)(\w*Model|AbstractUser|AbstractBaseUser)$")


def _django_model_class(module: SourceModule, fn: ast.AST) -> str | None:
    """The Django model whose method ``fn`` is (``class Incident(models.Model)``, a base named
    ``...Model``, or a class body declaring ``models.XField(...)``): its ``self.save()`` writes that
    model's table."""
    owner = module.parents.get(fn)
    if not isinstance(owner, ast.ClassDef) or not isinstance(fn, FUNCTION_TYPES) or not _django_module(module):
        return None
    return owner.name if _is_django_model(owner) else None


def _is_django_model(cls: ast.ClassDef) -> bool:
    return any(_DJANGO_MODEL_BASE.search(dotted(base) or "") for base in cls.bases) or any(
        isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) and (
            dotted(statement.value.func) or "").startswith("models.") for statement in cls.body)


def _django_module(module: SourceModule) -> bool:
    return module.imports_module("django") or ".objects." in module.text


def _is_sqlalchemy_module(module: SourceModule) -> bool:
    return any(module.imports_module(lib) for lib in ("sqlalchemy", "sqlmodel", "flask_sqlalchemy"))


def _written_filter(lookup: str, value: ast.expr) -> bool:
    """``provider__in=[GitHub.id, GitLab.id]``, ``status__in=("open", "new")``: a few values of a column
    other than a key, written in the code: a filter, not a batch of the keys the caller collected
    (``pk__in=[1, 2]`` and ``user_id__in=ids`` stay batches)."""
    field = lookup[:-len("__in")].rsplit("__", 1)[-1]
    return isinstance(value, (ast.List, ast.Tuple, ast.Set)) and not any(isinstance(e, ast.Starred) for e in value.elts) \
        and field not in ("pk", "id") and not field.endswith("_id")


def _django_op(call: ast.Call, model: str, method: str, receiver: str | None = None) -> DbOp | None:
    chain_methods = {method_name(c) for c in _chain(call)}
    locking = bool(chain_methods & _LOCKING_METHODS)
    batch_filter = any(kw.arg and kw.arg.endswith("__in") and not _written_filter(kw.arg, kw.value)
                       for c in _chain(call) for kw in c.keywords)
    if method in _DJANGO_WRITES:
        return DbOp(call, _DJANGO_WRITES[method], frozenset({model}), "django", method, receiver,
                    batch=method in _BATCH_METHODS or method.startswith("abulk") or batch_filter,
                    upsert=method in _DJANGO_UPSERTS or _inserts_ignoring_conflicts(call, method), locking=locking,
                    autocommit=True)
    if method in _DJANGO_READS or method in _LOCKING_METHODS:
        return DbOp(call, READ, frozenset({model}), "django", method, receiver, locking=locking,
                    batch=method == "in_bulk" or batch_filter, autocommit=True, lazy=method in _LAZY_METHODS)
    return None


def _inserts_ignoring_conflicts(call: ast.Call, method: str) -> bool:
    """``bulk_create(rows, ignore_conflicts=True)`` (or ``update_conflicts=True``): an ``INSERT ... ON
    CONFLICT``, an upsert a retry runs again without duplicating a row."""
    return method in ("bulk_create", "abulk_create") and any(
        keyword.arg in ("ignore_conflicts", "update_conflicts") and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True for keyword in call.keywords)


# -- peewee ------------------------------------------------------------------------------

# run at the call: class methods of a model
_PEEWEE_CLASS_WRITES = {"create": INSERT, "get_or_create": INSERT, "bulk_create": INSERT, "bulk_update": UPDATE,
                        "delete_by_id": DELETE, "set_by_id": UPDATE}
# build a statement that ``.execute()`` runs
_PEEWEE_BUILT_WRITES = {"insert": INSERT, "insert_many": INSERT, "insert_from": INSERT, "replace": INSERT,
                        "replace_many": INSERT, "update": UPDATE, "delete": DELETE}
_PEEWEE_READS = {"get", "get_or_none", "get_by_id", "first", "count", "exists", "scalar", "peek", "execute"}
_PEEWEE_LAZY = {"select", "where", "join", "switch", "order_by", "limit", "offset", "paginate", "group_by", "having",
                "distinct", "dicts", "tuples", "namedtuples", "objects", "join_from", "left_outer_join", "filter",
                "for_update", "iterator", "alias", "select_extend"}
_PEEWEE_BATCHES = {"insert_many", "insert_from", "replace_many", "bulk_create", "bulk_update"}
_PEEWEE_UPSERTS = {"on_conflict", "on_conflict_ignore", "on_conflict_replace", "replace", "replace_many",
                   "get_or_create"}
_PEEWEE_ROWS = {"get", "get_or_none", "get_by_id", "first", "create"}  # a name bound to one of these holds a row
_CLASS_MODEL_ATTRIBUTES = ("cls.model", "self.model")


def peewee_models(project: Project | None, module: SourceModule) -> frozenset[str]:
    """Names of the peewee model classes of the code base: subclasses of ``peewee.Model`` (or of a
    ``playhouse`` model) and of the project's own classes deriving from one."""
    if project is None:
        cache = _cache_of(module)
        if "peewee_models" not in cache:
            cache["peewee_models"] = _peewee_models_in((module,)) if module.imports_module("peewee") else frozenset()
        return cache["peewee_models"]
    if "db.peewee_models" not in project.facts:
        project.facts["db.peewee_models"] = _peewee_models_in(project.modules) if project.imports_anywhere(
            "peewee") else frozenset()
    return project.facts["db.peewee_models"]


def _peewee_models_in(modules) -> frozenset[str]:
    classes = [(m, node) for m in modules for node in m.tree.body if isinstance(node, ast.ClassDef)]
    models: set[str] = set()
    grown = True
    while grown:
        grown = False
        for module, node in classes:
            if node.name in models:
                continue
            for base in node.bases:
                library = qualified(module, base) or ""
                if library == "peewee.Model" or library.startswith("playhouse.") and library.endswith("Model") or (
                        (dotted(base) or "").split(".")[-1] in models):
                    models.add(node.name)
                    grown = True
                    break
    return frozenset(models)


def _peewee_model(module: SourceModule, project: Project | None, subject: str | None, node: ast.AST) -> str | None:
    """The peewee model that ``subject`` (a chain's receiver at ``node``) names: a model class
    (``Document``, ``db_models.Document``), ``cls`` in a classmethod of a model, or the ``model``
    attribute of a service class (``cls.model``: the class's model when it names one, else kept as
    written and read with the model of the subclass the method is called on)."""
    models = peewee_models(project, module)
    if not subject or not models:
        return None
    if subject in _CLASS_MODEL_ATTRIBUTES:
        return _class_models(project, _enclosing_class(module, node)).get(subject, subject)
    if subject == "cls":
        return _enclosing_model(module, node, models)
    parts = subject.split(".")
    if parts[-1] in models and (len(parts) == 1 or len(parts) == 2 and parts[0] in module.imports):
        return parts[-1]
    return None


def _enclosing_model(module: SourceModule, node: ast.AST, models: frozenset[str]) -> str | None:
    """The model class whose method holds ``node``, if it is one of ``models``."""
    owner = _enclosing_class(module, node)
    return owner[1].name if owner is not None and owner[1].name in models else None


def _peewee_subject(call: ast.Call) -> tuple[str | None, bool, set[str]]:
    """(what the chain starts from, whether that is a new instance, the chain's methods) of a call chain:
    ``Document.select().where(...)`` -> ("Document", False, ...), ``cls.model(**kw).save()`` ->
    ("cls.model", True, {"save"})."""
    chain = _chain(call)
    innermost = chain[-1]
    methods = {method_name(c) for c in chain if c is not innermost or isinstance(c.func, ast.Attribute)}
    constructor = dotted(innermost.func)
    if constructor and (constructor in _CLASS_MODEL_ATTRIBUTES or constructor.split(".")[-1][:1].isupper()):
        return constructor, True, {method_name(c) for c in chain[:-1]}
    if isinstance(innermost.func, ast.Attribute):
        return dotted(innermost.func.value), False, methods
    return None, False, methods


def _bind_peewee(scope: _Scope, name: str, value: ast.Call) -> None:
    """Remember what a name bound to a chain holds, for peewee: the chain's subject and methods
    (``q = q.where(...)`` extends what ``q`` held)."""
    subject, new, methods = _peewee_subject(value)
    held = scope.peewee.get(subject) if subject else None
    if held is not None:
        scope.peewee[name] = (held[0], held[1] and not methods, held[2] | methods)
    elif subject:
        scope.peewee[name] = (subject, new, methods)


def _peewee_op(module: SourceModule, call: ast.Call, fn: ast.AST, scope: _Scope, project: Project | None,
               method: str, receiver: str | None) -> DbOp | None | bool:
    """The peewee operation of ``call``, None when it runs nothing, False when it is no peewee call."""
    if not peewee_models(project, module):
        return False
    subject, new, methods = _peewee_subject(call)
    held = scope.peewee.get(subject) if subject else None
    if held is not None:
        subject, new, methods = held[0], held[1], held[2] | methods
    model = _peewee_model(module, project, subject, call)
    if model is None and receiver == "self" and method in ("save", "delete_instance"):
        model = _enclosing_model(module, call, peewee_models(project, module))  # a model's own method: ``self.save()``
        new = False
    if model is None:
        return False
    if _is_chain_link(module, call):
        return None
    tables = frozenset({model})
    locking = "for_update" in methods
    upsert = bool(methods & _PEEWEE_UPSERTS)
    batch = bool(methods & _PEEWEE_BATCHES) or any(
        isinstance(c, ast.Call) and method_name(c) == "in_" or isinstance(c, ast.BinOp) and isinstance(c.op, ast.LShift)
        for link in _chain(call) if method_name(link) == "where" for c in walk_nodes(link))
    if method in ("save", "delete_instance"):
        loaded = held is not None and bool(held[2] & _PEEWEE_ROWS) or receiver == "self"
        if method == "save":
            kind = INSERT if new or not loaded and any(
                k.arg == "force_insert" and not is_none(k.value) for k in call.keywords) else UPDATE
        else:
            kind = DELETE
        return DbOp(call, kind, tables, "peewee", method, receiver, autocommit=True,
                    confidence=Confidence.high if new or loaded else Confidence.medium)
    if new:
        return None
    if method in _PEEWEE_CLASS_WRITES:
        return DbOp(call, _PEEWEE_CLASS_WRITES[method], tables, "peewee", method, receiver, batch=batch,
                    upsert=upsert, autocommit=True)
    built = methods & set(_PEEWEE_BUILT_WRITES)
    if built:
        if method != "execute":
            return None  # a statement built, not run
        return DbOp(call, _PEEWEE_BUILT_WRITES[built.pop()], tables, "peewee", method, receiver, batch=batch,
                    upsert=upsert, locking=locking, autocommit=True)
    if method in _PEEWEE_READS or method in _PEEWEE_LAZY:
        return DbOp(call, READ, tables, "peewee", method, receiver, locking=locking, batch=batch, autocommit=True,
                    lazy=method in _PEEWEE_LAZY)
    return None


def _session_op(module: SourceModule, call: ast.Call, method: str, receiver: str, scope: _Scope, fn: ast.AST) -> DbOp | None:
    first = call.args[0] if call.args else None
    if method in ("execute", "scalars", "scalar", "exec"):
        kind, tables, locking, upsert, facts, text = _statement_facts(module, first, scope, fn)
        batch = len(call.args) > 1 and isinstance(call.args[1], (ast.List, ast.ListComp)) or _takes_a_list(first, scope)
        return DbOp(call, kind, frozenset(tables), "sqlalchemy", method, receiver, text, facts, batch, upsert, locking,
                    confidence=Confidence.high if kind != EXECUTE else Confidence.medium)
    if method in ("get", "get_one"):
        model = _model_in(first) if first is not None else None
        if isinstance(first, ast.Name) and first.id == "cls":
            model = _mapped_classmethod_model(module, call)  # Session.get(cls, key) in a classmethod of the model
        if model is None:
            return None  # a dict-like .get(key) on something named like a session
        locking = any(kw.arg == "with_for_update" for kw in call.keywords)
        return DbOp(call, READ, frozenset({model}), "sqlalchemy", method, receiver, locking=locking)
    if method == "refresh":
        return DbOp(call, READ, frozenset(), "sqlalchemy", method, receiver, confidence=Confidence.medium)
    if method in ("add", "add_all", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"):
        models = _added_models(first, scope)
        kind = DELETE if method == "delete" else INSERT if models and method != "merge" else WRITE
        owner = module.parents.get(fn)
        if method in ("add", "delete") and isinstance(first, ast.Name) and first.id == "self" and isinstance(owner, ast.ClassDef) \
                and not owner.name.endswith(("Mixin", "Base")):
            models = {owner.name}  # a mapped model's own save()/delete(): the row is new or loaded, its table is known
        if method == "add" and isinstance(first, ast.Name) and first.id in scope.loaded:
            # a name first loaded, then bound to a new instance when the row was missing
            # (``row = query.one_or_none()`` / ``if row is None: row = Model(...)``) inserts it
            value = reaching_binding(module, fn, first) if isinstance(fn, FUNCTION_TYPES) else None
            value = value.value if isinstance(value, ast.Await) else value
            constructed = _constructed_model(value, module) if isinstance(value, ast.Call) else None
            kind = INSERT if constructed else UPDATE
            models = {constructed} if constructed else models
        return DbOp(call, kind, frozenset(models), "sqlalchemy", method, receiver,
                    batch=method in _BATCH_METHODS, upsert=method == "merge",
                    deferred=method in ("add", "add_all", "delete"), confidence=Confidence.medium)
    return None


def _takes_a_list(statement: ast.AST | None, scope: _Scope) -> bool:
    """A statement filtering with ``.in_(...)`` or ``any_(...)``: one query for many keys."""
    if isinstance(statement, ast.Name):
        statement = scope.statements.get(statement.id)
    return statement is not None and any(
        isinstance(n, ast.Call) and method_name(n) in ("in_", "any_") for n in walk_nodes(statement))


def _added_models(node: ast.AST | None, scope: _Scope) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Name) and node.id in scope.models:
        return {scope.models[node.id]}
    if isinstance(node, ast.Name) and node.id in scope.factory_built:  # what session.add is handed is an instance
        return {scope.factory_built[node.id]}
    if isinstance(node, ast.Call):
        constructed = _constructed_model(node) or _factory_model(node)
        return {constructed} if constructed else set()
    if isinstance(node, (ast.List, ast.Tuple)):
        found: set[str] = set()
        for element in node.elts:
            found |= _added_models(element, scope)
        return found
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):  # add_all([Note(...) for t in tags])
        return _added_models(node.elt, scope)
    return set()


def function_of(module: SourceModule, node: ast.AST) -> ast.AST:
    for parent in ancestors(module, node):
        if isinstance(parent, FUNCTION_TYPES):
            return parent
    return module.tree


def function_ops(module: SourceModule, fn: ast.AST, project: Project | None = None) -> list[DbOp]:
    """Every database operation in ``fn``'s own body (not nested functions), in source order.

    The list is shared between callers: read it, do not change it.
    """
    cache = _cache_of(module)
    key = ("ops", id(fn), id(project))
    if key not in cache:
        cache[key] = _function_ops(module, fn, project)
    return cache[key]


def _function_ops(module: SourceModule, fn: ast.AST, project: Project | None) -> list[DbOp]:
    ops = []
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call):
            op = classify(module, node, fn, project)
            if op is not None:
                ops.append(op)
    ops.sort(key=lambda o: (o.call.lineno, o.call.col_offset))
    return ops


_EVALUATING_CALLS = {"list", "len", "tuple", "set", "sorted", "sum", "any", "all", "bool", "dict", "max", "min"}


def evaluated_in_place(module: SourceModule, call: ast.Call) -> bool:
    """Whether a lazy query (``Model.objects.filter(...)``) runs where it is written: iterated by a
    loop or comprehension, tested by ``if``, or handed to list()/len()/...; a lazy query that is
    only assigned or returned runs where it is used."""
    parent = module.parents.get(call)
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is call:
        return True
    if isinstance(parent, (ast.If, ast.While, ast.UnaryOp)):
        return True
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in _EVALUATING_CALLS


# -- following local helpers ------------------------------------------------------------


def resolve_function(module: SourceModule, project: Project | None, call: ast.Call,
                     reexports: bool = False) -> tuple[SourceModule, ast.AST] | None:
    """The audited code's own function that ``call`` invokes, when that is certain.

    ``helper()`` defined at module level in the same file, ``self.helper()`` in the same
    class or a base class of the project, ``helper()`` or ``pkg.mod.helper()`` imported
    from a module of the project (with ``reexports``, also through a package that imports
    it from one of its modules), and ``x.method()`` on an object whose class of the
    project is certain (see :func:`receiver_class`), the method found on that class or on
    its project bases.
    """
    found = _resolve(module, project, call, None, None, reexports)
    return (found[0], found[1]) if found is not None else None


_ClassRef = tuple[SourceModule, ast.ClassDef]


def _resolve(module: SourceModule, project: Project | None, call: ast.Call, fn: ast.AST | None,
             self_class: _ClassRef | None, reexports: bool = False
             ) -> tuple[SourceModule, ast.AST, _ClassRef | None, bool] | None:
    """(module, function, class of its ``self``, whether its ``self`` is the caller's ``self``);
    ``fn``: the function around ``call`` (looked up when needed)."""
    func = call.func
    if isinstance(func, ast.Name):
        local = _top_level_function(module.tree, func.id)
        if local is not None:
            return module, local, None, False
        target = module.imports.get(func.id)
        found = _project_function(project, target, reexports) if target else None
        return (*found, None, False) if found is not None else None
    if not isinstance(func, ast.Attribute):
        return None
    if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        cls = self_class or _enclosing_class(module, call)
        if cls is None:
            return None
        found = _method_of(project, cls, func.attr)
        return (*found, cls, True) if found is not None else None
    head = _chain_root(func.value)
    if isinstance(head, ast.Name) and head.id in module.imports and dotted(func.value):
        # ``models.helper()``, ``models.artifacts.create_artifact()``: a package's module reached by attribute
        target = qualified(module, func)
        found = _project_function(project, target, reexports) if target else None
        if found is not None:
            return (*found, None, False)
    if func.attr not in _method_names(module, project):
        return None  # no class of the code base defines a method of that name
    named = project_class(module, project, func.value) if isinstance(func.value, (ast.Name, ast.Attribute)) else None
    if named is not None:  # ``ChangeEvent.change_level(...)``: a classmethod or staticmethod of a project class
        found = _method_of(project, named, func.attr)
        if found is None or not {dotted(d) for d in getattr(found[1], "decorator_list", ())} & {
                "classmethod", "staticmethod"}:
            return None
        return (*found, named, False)
    cls = _receiver_class(module, project, func.value, fn if fn is not None else function_of(module, call), self_class)
    if cls is None:
        return None
    found = _method_of(project, cls, func.attr)
    if found is None or _is_static(found[1]):
        return None
    if _declared_only(found[1]):  # an interface's method (``class Database(Protocol)``): its one implementation
        implementation = _only_implementation(project, cls, func.attr)
        return (*implementation, False) if implementation is not None else (*found, cls, False)
    return (*found, cls, False)


def _declared_only(fn: ast.AST) -> bool:
    """A method whose body (after its docstring) is ``...``, ``pass`` or ``raise NotImplementedError``:
    an interface's or an abstract base's declaration."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                       and isinstance(s.value.value, str))]
    return all(isinstance(s, ast.Pass) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
               and s.value.value is Ellipsis or isinstance(s, ast.Raise) and s.exc is not None
               and "NotImplementedError" in (dotted(s.exc.func if isinstance(s.exc, ast.Call) else s.exc) or "")
               for s in body)


def _only_implementation(project: Project | None, cls: _ClassRef, name: str
                         ) -> tuple[SourceModule, ast.AST, _ClassRef] | None:
    """(module, method, class) of the one project subclass of ``cls`` (outside tests) that implements
    ``name``, when there is exactly one: the object an interface-typed name holds at run time."""
    implementations: dict[int, tuple[SourceModule, ast.AST, _ClassRef]] = {}
    pending, seen = [cls], {id(cls[1])}
    while pending:
        for sub in _subclasses(project).get(id(pending.pop()[1]), []):
            if id(sub[1]) in seen or is_test_module(sub[0]):
                continue
            seen.add(id(sub[1]))
            pending.append(sub)
            method = _top_level_function(sub[1], name)
            if method is not None and not _declared_only(method):
                implementations[id(method)] = (sub[0], method, sub)
    return next(iter(implementations.values())) if len(implementations) == 1 else None


def _subclasses(project: Project | None) -> dict[int, list[_ClassRef]]:
    """id of a project class -> the project classes that name it as a base."""
    if project is None:
        return {}
    found = project.facts.get("db.subclasses")
    if found is None:
        found = project.facts["db.subclasses"] = {}
        for module in project.modules:
            for node in module.nodes_of(ast.ClassDef):
                for base in node.bases:
                    parent = project_class(module, project, base)
                    if parent is not None and parent[1] is not node:
                        found.setdefault(id(parent[1]), []).append((module, node))
    return found


def _method_names(module: SourceModule, project: Project | None) -> frozenset[str]:
    """Names of the methods the classes of the code base define (of ``module``'s without a project)."""
    if project is None:
        return frozenset(n.name for c in module.nodes_of(ast.ClassDef) for n in c.body if isinstance(n, FUNCTION_TYPES))
    names = project.facts.get("db.method_names")
    if names is None:
        names = project.facts["db.method_names"] = frozenset(
            n.name for m in project.modules for c in m.nodes_of(ast.ClassDef) for n in c.body
            if isinstance(n, FUNCTION_TYPES))
    return names


def _enclosing_class(module: SourceModule, node: ast.AST) -> _ClassRef | None:
    cls = next((a for a in ancestors(module, node) if isinstance(a, ast.ClassDef)), None)
    return (module, cls) if cls is not None else None


def _is_static(fn: ast.AST) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "property") for d in getattr(fn, "decorator_list", []))


def _top_level_function(holder: ast.AST, name: str) -> ast.AST | None:
    """The first function named ``name`` in ``holder``'s body (a module or a class)."""
    return _defined(holder)[0].get(name)


def _top_level_class(holder: ast.AST, name: str) -> ast.ClassDef | None:
    return _defined(holder)[1].get(name)


def _defined(holder: ast.AST) -> tuple[dict[str, ast.AST], dict[str, ast.ClassDef]]:
    table = holder.__dict__.get(_DEFINED_FUNCTIONS)
    if table is None:  # asked once per call of every analysed function: index the body once
        by_name: dict[str, ast.AST] = {}
        classes: dict[str, ast.ClassDef] = {}
        for node in getattr(holder, "body", []):
            if isinstance(node, FUNCTION_TYPES):
                by_name.setdefault(node.name, node)
            elif isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, node)
        table = holder.__dict__[_DEFINED_FUNCTIONS] = (by_name, classes)
    return table


_DEFINED_FUNCTIONS = "_posture_defined_functions"  # kept on the module or class node


def _project_function(project: Project | None, dotted_target: str,
                      reexports: bool = False) -> tuple[SourceModule, ast.AST] | None:
    return _project_definition(project, dotted_target, 0, 1 if reexports else 0)


def _project_definition(project: Project | None, dotted_target: str, kind: int, hops: int) -> tuple | None:
    """(module, top-level function (kind 0) or class (kind 1)) of the project that a dotted name
    refers to, following ``hops`` re-exports (``from .mod import f`` in a package)."""
    if project is None or "." not in dotted_target:
        return None
    module_name, _, name = dotted_target.rpartition(".")
    owner = project.by_dotted_name.get(module_name)
    if owner is None:
        return None
    found = _defined(owner.tree)[kind].get(name)
    if found is not None:
        return owner, found
    again = owner.imports.get(name)
    if hops > 0 and again and again != dotted_target:
        return _project_definition(project, again, kind, hops - 1)
    if hops > 0:  # ``from .circuit import *`` in a package's ``__init__``
        for source in _star_imported(owner):
            found = _project_definition(project, f"{source}.{name}", kind, hops - 1)  # and its own re-export
            if found is not None:
                return found
    return None


def _star_imported(module: SourceModule) -> list[str]:
    """The modules ``module`` re-exports whole at its top level (``from .circuit import *``)."""
    package = module.dotted_name if module.path.endswith("__init__.py") else module.dotted_name.rpartition(".")[0]
    found = []
    for node in module.tree.body:
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            parts = package.split(".") if package else []
            parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts if node.level else []
            found.append(".".join([*parts, node.module] if node.module else parts))
    return found


# -- the classes of the audited code ----------------------------------------------------


def project_class(module: SourceModule, project: Project | None, node: ast.AST | None) -> _ClassRef | None:
    """The audited code's own class that ``node`` names: ``Repo``, ``mod.Repo``, ``Repo[Model]``,
    defined in ``module`` or imported from a module of the project (also through a package's
    re-export)."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        local = _top_level_class(module.tree, node.id)
        if local is not None:
            return module, local
        target = module.imports.get(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in module.imports:
        target = qualified(module, node)
    else:
        return None
    return _project_definition(project, target, 1, 2) if target else None


_VALUE_TYPE_DECORATOR = re.compile(r"(^|\.)(type|input|interface|dataclass|define|frozen|attrs|s)$")
_VALUE_TYPE_PACKAGES = {"pydantic", "strawberry", "graphene", "msgspec", "marshmallow", "enum", "typing",
                        "typing_extensions", "attrs", "attr", "dataclasses"}


def value_type(module: SourceModule, project: Project | None, node: ast.AST) -> bool:
    """Whether ``node`` names a class of the code base that holds a value, not a mapped row: a GraphQL
    type (``@strawberry.type``), a dataclass, a pydantic model, or a subclass of one. Building one
    (``return Trace(id=row.id, db_record=row)`` in a resolver) answers a request; nothing is inserted."""
    cls = project_class(module, project, node)
    if cls is None:
        return False
    for owner_module, owner in _mro(project, cls):
        decorators = [dotted(d.func if isinstance(d, ast.Call) else d) or "" for d in owner.decorator_list]
        bases = [qualified(owner_module, b) or "" for b in owner.bases]
        if any(_VALUE_TYPE_DECORATOR.search(d) for d in decorators) or any(
                b.split(".")[0] in _VALUE_TYPE_PACKAGES for b in bases):
            return True
    return False


def _annotated_class(module: SourceModule, project: Project | None, annotation: ast.AST | None) -> _ClassRef | None:
    """The project class an annotation names: ``Repo``, ``Optional[Repo]``, ``Repo | None``,
    ``Annotated[Repo, Depends(...)]``."""
    node = annotation_expr(annotation)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [side for side in (node.left, node.right) if not is_none(side)]
        return _annotated_class(module, project, sides[0]) if len(sides) == 1 else None
    if isinstance(node, ast.Subscript):
        wrapper = (dotted(node.value) or "").split(".")[-1]
        inner = node.slice
        if wrapper == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
            return _annotated_class(module, project, inner.elts[0])
        if wrapper == "Optional":
            return _annotated_class(module, project, inner)
        if wrapper == "Union" and isinstance(inner, ast.Tuple):
            sides = [side for side in inner.elts if not is_none(side)]
            return _annotated_class(module, project, sides[0]) if len(sides) == 1 else None
    return project_class(module, project, node)


def _dependency_class(module: SourceModule, project: Project | None, call: ast.AST | None) -> _ClassRef | None:
    """The class of what ``Depends(Repo)`` / ``Depends(get_repo)`` injects."""
    if not isinstance(call, ast.Call) or method_name(call) not in ("Depends", "Security") or not call.args:
        return None
    target = call.args[0]
    cls = project_class(module, project, target)
    if cls is not None:
        return cls
    if isinstance(target, (ast.Name, ast.Attribute)):
        found = _resolve(module, project, ast.Call(func=target, args=[], keywords=[]), module.tree, None, True)
        if found is not None and found[2] is None:
            return _returned_class(found[0], project, found[1])
    return None


def _returned_class(module: SourceModule, project: Project | None, fn: ast.AST) -> _ClassRef | None:
    """The class a function returns: its return annotation, or the constructor every ``return`` calls
    (``return None`` aside)."""
    cache = _cache_of(module)
    key = ("returns", id(fn), id(project))
    if key in cache:
        return cache[key]
    cache[key] = None  # a dependency that depends on itself
    cls = _annotated_class(module, project, getattr(fn, "returns", None))
    if cls is None:
        returned = [_value_class(module, project, n.value) for n in walk_function_body(fn)
                    if isinstance(n, ast.Return) and n.value is not None and not is_none(n.value)]
        if returned and all(r is not None and r[1] is returned[0][1] for r in returned):
            cls = returned[0]
    cache[key] = cls
    return cls


def _table(module: SourceModule, key: tuple) -> tuple[dict, bool]:
    """The cached table under ``key``, and whether it is new (empty, to be filled; kept in the cache
    at once so that a recursive question gets the empty table instead of looping)."""
    cache = _cache_of(module)
    table = cache.get(key)
    if table is not None:
        return table, False
    table = cache[key] = {}
    return table, True


def _value_class(module: SourceModule, project: Project | None, value: ast.AST | None,
                 owner: _ClassRef | None = None) -> _ClassRef | None:
    """``Repo(session)`` (awaited or not): an instance of the project class ``Repo``; also the one
    row a query of a project model returns (``User.query.get(pk)``, ``User.query.filter_by(...).first()``,
    ``session.get(User, pk)``, ``User.objects.get(...)``) and, with the ``owner`` class of the
    method, ``self.form(...)`` where the class body says ``form = ProjectForm`` or the method ``form``
    builds the object in every ``return`` (``return ProjectForm()``; a getter's annotation is not enough)."""
    value = value.value if isinstance(value, ast.Await) else value
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if owner is not None and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == "self":
        if func.attr not in _QUERYSET_TERMINALS and _queryset_model(owner[0], owner[1]) is not None:
            return owner  # ``qs = self.open()`` in a QuerySet subclass: a queryset of the same class
        method = _method_of(project, owner, func.attr)
        if method is not None:  # a factory method: every ``return`` builds the object (``return TopicForm()``)
            built = [project_class(method[0], project, n.value.func) if isinstance(n.value, ast.Call) else None
                     for n in walk_function_body(method[1])
                     if isinstance(n, ast.Return) and n.value is not None and not is_none(n.value)]
            return built[0] if built and all(b is not None and b[1] is built[0][1] for b in built) else None
        return _class_valued_attributes(project, owner).get(func.attr)
    return project_class(module, project, func) or _row_class(module, project, value) or _helper_row(
        module, project, value, {}, 0)


_MAX_ROW_HOPS = 3


def _helper_row(module: SourceModule, project: Project | None, call: ast.Call, bound: dict[str, _ClassRef],
                hops: int) -> _ClassRef | None:
    """The project model instance a project helper returns: ``Task.get_by(...)`` / ``Task.create(...)``
    (a base's classmethod returning ``cls.query...first()``, ``session.get(cls, pk)`` or ``cls(**kw)``
    for the class it is called on), ``get_instance(Task, pk)`` (a function returning its model
    parameter's row) and ``get_task_raw(pk)`` returning one of those. ``bound``: names of the
    calling helper standing for a class (``cls``, a model parameter)."""
    if hops > _MAX_ROW_HOPS or project is None or not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in bound:
        owner = bound[func.value.id]  # ``cls.get_by(...)``, ``model.get(pk)`` for a bound class
        found = _method_of(project, owner, func.attr)
        if found is None or not _is_classmethod(found[1]):
            return None
        return _returned_row(found[0], project, found[1], {_first_parameter(found[1]): owner}, hops + 1)
    resolved = _resolve(module, project, call, None, None)
    if resolved is None:
        return None
    helper_module, helper, helper_class, same_object = resolved
    if same_object:
        return None
    if helper_class is not None:  # ``Task.get_by(...)``: the class it is called on
        return _returned_row(helper_module, project, helper, {_first_parameter(helper): helper_class}, hops + 1) \
            if _is_classmethod(helper) else None
    parameters: dict[str, _ClassRef] = {}
    for parameter in _arguments(helper):
        argument = _argument_for(call, helper, parameter.arg)
        named = project_class(module, project, argument) if isinstance(argument, (ast.Name, ast.Attribute)) else None
        if named is None and isinstance(argument, ast.Name) and argument.id in bound:
            named = bound[argument.id]
        if named is not None:
            parameters[parameter.arg] = named
    return _returned_row(helper_module, project, helper, parameters, hops + 1)


def _returned_row(module: SourceModule, project: Project | None, helper: ast.AST, bound: dict[str, _ClassRef],
                  hops: int) -> _ClassRef | None:
    """The class of the model instance every ``return`` of ``helper`` gives (``return None`` aside),
    directly or through a name bound once, with ``bound`` naming the classes its parameters stand for."""
    returned = []
    for node in walk_function_body(helper):
        if not isinstance(node, ast.Return) or node.value is None or is_none(node.value):
            continue
        value = node.value
        if isinstance(value, ast.Name):
            value = single_binding(helper, value.id)
        returned.append(_row_of(module, project, value, bound, hops) if isinstance(value, ast.Call) else None)
    return returned[0] if returned and all(r is not None and r[1] is returned[0][1] for r in returned) else None


def _row_of(module: SourceModule, project: Project | None, call: ast.Call, bound: dict[str, _ClassRef],
            hops: int) -> _ClassRef | None:
    """The model instance ``call`` gives in a helper whose ``bound`` names stand for classes:
    ``cls(**kw)``, ``cls.query...first()``, ``session.get(cls, pk)``, a classmethod or helper returning one."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in bound:
        return bound[func.id]
    if isinstance(func, ast.Attribute) and func.attr in _SINGLE_ROW:
        if func.attr == "get" and call.args and isinstance(call.args[0], ast.Name) and call.args[0].id in bound \
                and (dotted(func.value) or "").split(".")[-1] in ("session", "db"):
            return bound[call.args[0].id]
        node = func.value
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _ROW_FILTERS:
            node = node.func.value
        if isinstance(node, ast.Attribute) and node.attr == "query" and isinstance(node.value, ast.Name) \
                and node.value.id in bound:
            return bound[node.value.id]
    return _row_class(module, project, call) or _helper_row(module, project, call, bound, hops)


def _is_classmethod(fn: ast.AST) -> bool:
    return any(dotted(d) == "classmethod" for d in getattr(fn, "decorator_list", ()))


def _dict_lookup(call: ast.Call) -> bool:
    """``option_map.get(key, "")``: a positional key or default no ``Q`` object can be (a constant, an item
    of a sequence, a formatted string) is a dict's lookup, whatever a project manager method bound the name to;
    a queryset's ``get`` takes ``Q`` objects positionally and its lookups as keywords."""
    return any(isinstance(arg, (ast.Constant, ast.Subscript, ast.JoinedStr)) for arg in call.args)


def _first_parameter(fn: ast.AST) -> str:
    positional = [*fn.args.posonlyargs, *fn.args.args]
    return positional[0].arg if positional else "cls"


_SINGLE_ROW = {"get", "first", "one", "one_or_none", "get_or_404", "first_or_404", "one_or_404", "create"}


def _row_class(module: SourceModule, project: Project | None, call: ast.Call) -> _ClassRef | None:
    """The project model of the single row ``call`` fetches: ``Model.query[...].get/first/one(...)``,
    ``Model.objects[...].get(...)``, ``<session or db>.get(Model, pk)`` / ``db.get_or_404(Model, pk)``; or makes:
    ``Model.objects.create(...)``; Django's ``get_object_or_404(Model, pk=pk)``."""
    func = call.func
    if isinstance(func, ast.Name) and call.args and qualified(module, func) == "django.shortcuts.get_object_or_404":
        return project_class(module, project, call.args[0])
    if not isinstance(func, ast.Attribute) or func.attr not in _SINGLE_ROW:
        return None
    if func.attr in ("get", "get_or_404") and call.args:
        receiver = (dotted(func.value) or "").split(".")[-1]
        if receiver.endswith("session") or receiver == "db":
            return project_class(module, project, call.args[0])
    node = func.value
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr in ("query", "objects") and isinstance(node.value, ast.Name):
            return project_class(module, project, node.value)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "query" and len(node.args) == 1 \
                    and (dotted(node.func.value) or "").split(".")[-1].endswith("session"):
                return project_class(module, project, node.args[0])  # session.query(Model)...first()
            if not isinstance(node.func, ast.Attribute) or node.func.attr not in _ROW_FILTERS:
                return None  # a join, a column selection, ...: the row may be of another shape
            node = node.func.value
        else:
            node = node.value
    return None


_ROW_FILTERS = {"filter", "filter_by", "where", "order_by", "select_related", "prefetch_related", "exclude",
                "options", "with_for_update", "using"}


def _inherited_table(project: Project | None, cls: _ClassRef, kind: str, of) -> tuple[dict, bool]:
    """The cached table ``kind`` of a class (see :func:`_table`), when new filled first with its
    project bases' (``of(project, base)``), the nearest base last."""
    table, fresh = _table(cls[0], (kind, id(cls[1]), id(project)))
    if fresh:
        for base in reversed(_mro(project, cls)[1:]):
            table.update(of(project, base))
    return table, fresh


def _class_valued_attributes(project: Project | None, cls: _ClassRef) -> dict[str, _ClassRef]:
    """``self.<name>`` -> the project class a class body (or a project base's) binds to ``name``
    (``form = TopicForm``)."""
    table, fresh = _inherited_table(project, cls, "class attributes", _class_valued_attributes)
    if not fresh:
        return table
    for statement in cls[1].body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            found = project_class(cls[0], project, statement.value) \
                if isinstance(statement.value, (ast.Name, ast.Attribute)) else None
            if found is not None:
                table[statement.targets[0].id] = found
            else:
                table.pop(statement.targets[0].id, None)
    return table


def _local_classes(module: SourceModule, project: Project | None, fn: ast.AST) -> dict[str, _ClassRef]:
    """Names of ``fn`` whose project class is certain: parameters by annotation or ``Depends``
    default, and names bound once to ``Repo(...)``. Computed once per function."""
    table, fresh = _table(module, ("classes", id(fn), id(project)))
    if not fresh or not isinstance(fn, FUNCTION_TYPES):
        return table
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    for arg in _arguments(fn):
        cls = _annotated_class(module, project, arg.annotation) or _dependency_class(module, project,
                                                                                     defaults.get(arg.arg))
        if cls is not None:
            table[arg.arg] = cls
    bound: dict[str, list[_ClassRef | None]] = {}
    owner = _enclosing_class(module, fn)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:  # ``form.field.data = ...`` sets an attribute, it does not rebind ``form``
                for name in (n for n in walk_nodes(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)):
                    bound.setdefault(name.id, []).append(
                        _value_class(module, project, node.value, owner) if target is name else None)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            bound.setdefault(node.target.id, []).append(
                _annotated_class(module, project, node.annotation) or _value_class(module, project, node.value,
                                                                                   owner))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.AugAssign, ast.NamedExpr)):
            targets = [node.target] if not isinstance(node, (ast.With, ast.AsyncWith)) else \
                [i.optional_vars for i in node.items if i.optional_vars is not None]
            for target in targets:
                for name in (n for n in walk_nodes(target) if isinstance(n, ast.Name)):
                    bound.setdefault(name.id, []).append(None)
    for name, classes in bound.items():
        if name in table or classes[0] is None or any(c is None or c[1] is not classes[0][1] for c in classes):
            table.pop(name, None)  # a parameter rebound, or a name bound to objects of different classes
        else:
            table[name] = classes[0]
    return table


def _receiver_class(module: SourceModule, project: Project | None, node: ast.AST, fn: ast.AST,
                    self_class: _ClassRef | None) -> _ClassRef | None:
    """The project class of the object a method is called on, when certain (``repo``, ``self.repo``,
    ``Repo(session)``, ``Model.query.get(pk)``, ``self.form_class()``)."""
    found = None
    if isinstance(node, ast.Name):
        found = _local_classes(module, project, fn).get(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        cls = self_class or _enclosing_class(module, node)
        found = _attribute_classes(project, cls).get(node.attr) if cls is not None else None
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):  # ``pr.task_repository``
        owner = _receiver_class(module, project, node.value, fn, self_class)
        found = _attribute_classes(project, owner).get(node.attr) if owner is not None else None
    elif isinstance(node, ast.Call):
        found = _value_class(module, project, node, self_class or _enclosing_class(module, node))
    return found or _repositories.receiver(module, project, node, fn, self_class)  # repository layers


def receiver_class(module: SourceModule, project: Project | None, node: ast.AST) -> _ClassRef | None:
    """The audited code's own class of the object ``node`` holds, when certain: a parameter
    annotated with it (``Optional[...]``, ``Annotated[..., Depends(...)]`` too) or injected with
    ``Depends(Repo)`` / ``Depends(get_repo)`` (the dependency's return annotation or constructor),
    a name bound once to ``Repo(...)``, ``self.repo`` assigned ``Repo(...)`` or an annotated
    parameter in its class (or annotated in the class body), ``Repo(...)`` itself; a name bound once to
    the single row a query of a project model fetches (``User.query.get(pk)``, ``session.get(User, pk)``,
    ``User.objects.get(...)``) or to ``self.form(...)`` where the class body binds ``form = ProjectForm``."""
    if project is None:
        return None
    return _receiver_class(module, project, node, function_of(module, node), None)


def _attribute_classes(project: Project | None, cls: _ClassRef) -> dict[str, _ClassRef]:
    """``self.<name>`` -> its project class, for a class and its project bases."""
    table, fresh = _inherited_table(project, cls, "attributes", _attribute_classes)
    if not fresh:
        return table
    module, node = cls
    own: dict[str, list[_ClassRef | None]] = {}
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            own.setdefault(statement.target.id, []).append(_annotated_class(module, project, statement.annotation))
        elif isinstance(statement, FUNCTION_TYPES):
            parameters = None
            for inner in walk_function_body(statement):
                if not isinstance(inner, (ast.Assign, ast.AnnAssign)) or inner.value is None or is_none(inner.value):
                    continue
                for target in (inner.targets if isinstance(inner, ast.Assign) else [inner.target]):
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                            and target.value.id == "self":
                        value = inner.value.values[-1] if isinstance(inner.value, ast.BoolOp) and isinstance(
                            inner.value.op, ast.Or) else inner.value  # ``repo or Repo(session)``
                        found = _value_class(module, project, value)
                        if found is None and isinstance(inner.value, ast.Name):
                            if parameters is None:
                                parameters = _local_classes(module, project, statement)
                            found = parameters.get(inner.value.id)
                        if found is None and isinstance(inner, ast.AnnAssign):
                            found = _annotated_class(module, project, inner.annotation)
                        own.setdefault(target.attr, []).append(found)
    for name, classes in own.items():
        if all(c is not None and c[1] is classes[0][1] for c in classes):
            table[name] = classes[0]
        else:
            table.pop(name, None)
    return table


def _mro(project: Project | None, cls: _ClassRef) -> list[_ClassRef]:
    """The class and its bases within the project, in method resolution order (bases outside the
    project, such as ``Generic`` or a framework's, are left out)."""
    module, node = cls
    cache = _cache_of(module)
    key = ("mro", id(node), id(project))
    cached = cache.get(key)
    if cached is not None:
        return cached
    cache[key] = [cls]  # a cycle of bases stops here
    order: list[_ClassRef] = [cls]
    for base in node.bases:
        found = project_class(module, project, base) or _declarative_base_class(module, project, base)
        if found is not None and found[1] is not node:
            order.extend(_mro(project, found))
    unique: list[_ClassRef] = []
    for index, entry in enumerate(order):  # depth first, each class at its last place (C3 for the usual shapes)
        if not any(later[1] is entry[1] for later in order[index + 1:]):
            unique.append(entry)
    if unique[0][1] is not node:
        unique.insert(0, cls)
    cache[key] = unique
    return unique


def _declarative_base_class(module: SourceModule, project: Project | None, base: ast.expr) -> _ClassRef | None:
    """``Base = declarative_base(cls=BodhiBase)`` in ``module``: the project class whose methods every model
    built on ``Base`` inherits (``Package.get(name)`` running ``BodhiBase.get``)."""
    bound = single_binding(module.tree, base.id) if isinstance(base, ast.Name) else None
    if not (isinstance(bound, ast.Call) and (dotted(bound.func) or "").endswith("declarative_base")):
        return None
    mixin = keyword(bound, "cls")
    return project_class(module, project, mixin) if mixin is not None else None


def _method_of(project: Project | None, cls: _ClassRef, name: str) -> tuple[SourceModule, ast.AST] | None:
    for owner_module, owner in _mro(project, cls):
        method = _top_level_function(owner, name)
        if method is not None:
            return owner_module, method
    return None


def _class_models(project: Project | None, cls: _ClassRef | None) -> dict[str, str]:
    """``self.<attr>``/``cls.<attr>`` -> the model a class attribute names (``model = User``), and each
    type parameter of a generic base -> the model the class binds it to (``Repo(Base[User])``)."""
    if cls is None:
        return {}
    module, node = cls
    table, fresh = _table(module, ("models", id(node), id(project)))
    if not fresh:
        return table
    for owner_module, owner in reversed(_mro(project, cls)):
        for statement in owner.body:
            targets = statement.targets if isinstance(statement, ast.Assign) else \
                [statement.target] if isinstance(statement, ast.AnnAssign) and statement.value is not None else []
            value = getattr(statement, "value", None)
            if isinstance(value, ast.Name) and value.id[:1].isupper() and not value.id.isupper():
                for target in targets:
                    if isinstance(target, ast.Name):
                        table[f"self.{target.id}"] = table[f"cls.{target.id}"] = value.id
        for base in owner.bases:
            if not isinstance(base, ast.Subscript):
                continue
            generic = project_class(owner_module, project, base.value)
            arguments = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            parameters = _type_parameters(generic[1]) if generic is not None else []
            for parameter, argument in zip(parameters, arguments):
                name = argument.id if isinstance(argument, ast.Name) else None
                name = table.get(name, name) if name else None
                if name and name[:1].isupper() and parameter not in table:
                    table[parameter] = name
    return table


def _type_parameters(node: ast.ClassDef) -> list[str]:
    """``M`` for ``class Base(Generic[M])`` or ``class Base(Protocol[M])``."""
    for base in node.bases:
        if isinstance(base, ast.Subscript) and (dotted(base.value) or "").split(".")[-1] in ("Generic", "Protocol"):
            arguments = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            return [a.id for a in arguments if isinstance(a, ast.Name)]
    return []


# -- following helpers ------------------------------------------------------------------


def expanded_ops(module: SourceModule, project: Project | None, fn: ast.AST, depth: int = 2) -> list[DbOp]:
    """:func:`function_ops` plus, at each call of a helper of the audited code, the helper's own
    operations (see :func:`resolve_function`; ``depth`` levels, calls on the helper's own ``self``
    not counted, five at most).

    A helper's statement or object that is one of its parameters (``session.execute(statement)``,
    ``session.add(obj)``) is read from the caller's argument; ``self.model`` in a method called on
    an object of a known class is that class's model (``model = User``, ``Base[User]``).

    The list is shared between callers: read it, do not change it.
    """
    cache = _cache_of(module)
    key = ("expanded", id(fn), id(project), depth)
    if key not in cache:
        cache[key] = _expanded(module, project, fn, depth, (id(fn),), None)
    return cache[key]


_MAX_FRAMES = 5
_OBJECT_METHODS = {"add", "add_all", "delete", "merge"}


def _expanded(module: SourceModule, project: Project | None, fn: ast.AST, depth: int, seen: tuple[int, ...],
              self_class: _ClassRef | None) -> list[DbOp]:
    ops = list(function_ops(module, fn, project))
    models = _repositories.bound_models(project, self_class, _class_models(project, self_class))
    if models:
        ops = [_with_class_models(module, fn, op, models) for op in ops]
    if depth <= 0 and len(seen) >= _MAX_FRAMES:
        return ops
    anchored = {id(op.call) for op in ops}
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Call) or id(node) in anchored:
            continue
        if depth <= 0 and not _on_self(node) and method_name(node) != "commit":
            continue  # past the last level only the object's own methods (and commit helpers) are followed
        resolved = _resolve(module, project, node, fn, self_class)
        if resolved is None or id(resolved[1]) in seen:
            continue
        helper_module, helper, helper_class, same_object = resolved
        if same_object and len(seen) >= _MAX_FRAMES or not _runs_in_place(module, node, helper):
            continue
        if depth <= 0 and not same_object:  # ``commit()`` of the code base: its commit, nothing else
            ops.extend(replace(op, call=node, through=helper.name) for op in function_ops(helper_module, helper, project)
                       if op.kind == COMMIT)
            continue
        inner = _expanded(helper_module, project, helper, depth - (0 if same_object else 1), (*seen, id(helper)),
                          helper_class)
        helper_models = _repositories.bound_models(project, helper_class, _class_models(project, helper_class))
        start = len(ops)
        for op in inner:
            if _creates_missing(helper_module, op):
                continue
            op = _for_subclass(helper_module, helper, helper_class, op)
            ends_in_helper = _commits_handed_statement(helper_module, helper, op) or _read_in_own_session(
                helper_module, op)  # the statement's transaction does not outlive the helper's call
            op = _bind_argument(module, project, fn, node, (helper_module, helper), op, helper_models, models)
            ops.append(replace(op, call=node, through=helper.name,
                               lazy=op.lazy and not evaluated_in_place(helper_module, op.call),
                               helper_transaction=op.helper_transaction or not ends_in_helper and in_transaction(
                                   helper_module, op.call, helper, project),
                               autocommit=op.autocommit or ends_in_helper,
                               confidence=min(op.confidence, Confidence.medium)))
        ops[start:] = _repositories.refine(helper, ops[start:], helper_models)
    ops.sort(key=lambda o: (o.call.lineno, o.call.col_offset))
    return ops


def _commits_handed_statement(module: SourceModule, helper: ast.AST, op: DbOp) -> bool:
    """Whether ``op`` is the statement a helper's caller hands it, run in a transaction the helper opens
    for that statement alone (``def action(self, query, args): with self.connection as c:
    c.execute(query, args)``): each call of the helper commits its statement on its own."""
    subject = _unknown_subject(op) if op.through is None else None
    if not isinstance(subject, ast.Name) or subject.id not in {a.arg for a in _arguments(helper)}:
        return False
    for start, end in transaction_blocks(module, helper):
        if start <= op.call.lineno <= end:
            subjects = [_unknown_subject(o) for o in function_ops(module, helper)
                        if start <= o.call.lineno <= end and o.kind != COMMIT]
            return all(isinstance(s, ast.Name) and s.id == subject.id for s in subjects)
    return False


def _read_in_own_session(module: SourceModule, op: DbOp) -> bool:
    """A helper's read on a session or connection it opens for itself (``async with self.engine.session()
    as session: await session.execute(...)``): its transaction ends when the helper's block closes the
    session, not in the caller (a cursor's block closes the cursor only)."""
    if op.through is not None or not op.is_read or op.locking or op.receiver is None:
        return False
    for parent in ancestors(module, op.call):
        if isinstance(parent, FUNCTION_TYPES):
            return False
        if isinstance(parent, (ast.With, ast.AsyncWith)) and any(
                isinstance(item.context_expr, ast.Call) and method_name(item.context_expr) != "cursor"
                and dotted(item.optional_vars) == op.receiver for item in parent.items):
            return True
    return False


def _for_subclass(module: SourceModule, helper: ast.AST, cls: _ClassRef | None, op: DbOp) -> DbOp:
    """A classmethod inherited from a base (``Task.create(...)`` running ``BaseMixin.create``'s
    ``cls(**kw)``) writes the table of the class it was called on, not the base's."""
    defining = module.parents.get(helper)
    if cls is None or not isinstance(defining, ast.ClassDef) or defining is cls[1] or defining.name not in op.tables:
        return op
    return replace(op, tables=frozenset(cls[1].name if t == defining.name else t for t in op.tables))


_MISSING_ROW = re.compile(r"(DoesNotExist|NoResultFound)$")


def _creates_missing(module: SourceModule, op: DbOp) -> bool:
    """A helper's insert in the ``except Model.DoesNotExist`` (``NoResultFound``) handler of its lookup
    (``try: return cls.objects.get(id=1) / except cls.DoesNotExist: SiteSettings(id=1).save()``): a
    getter's get-or-create of a default row, made again on the next read; not a change its callers
    make (the helper itself is still checked where it is defined)."""
    if op.kind != INSERT or op.through is not None:
        return False
    for parent in ancestors(module, op.call):
        if isinstance(parent, FUNCTION_TYPES):
            return False
        if isinstance(parent, ast.ExceptHandler) and parent.type is not None and any(
                _MISSING_ROW.search(dotted(t) or "") for t in (
                    parent.type.elts if isinstance(parent.type, ast.Tuple) else [parent.type])):
            return True
    return False


def _runs_in_place(module: SourceModule, call: ast.Call, helper: ast.AST) -> bool:
    """Whether the helper's body runs at the call: an ``async def`` helper's runs where its coroutine is
    awaited (``await helper()``, ``asyncio.gather(helper(), ...)``), not where it is handed to
    ``create_task`` or a scheduler."""
    if not isinstance(helper, ast.AsyncFunctionDef):
        return True
    parent = module.parents.get(call)
    return isinstance(parent, ast.Await) or isinstance(parent, ast.Call) and method_name(parent) in (
        "gather", "wait_for", "shield", "run_until_complete", "run")


def _on_self(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")


def _unknown_subject(op: DbOp) -> ast.expr | None:
    """The statement or object of a helper's own operation when it is not known there."""
    if op.through is not None:
        return op.pending
    if not op.call.args:
        return None
    if op.tables and op.kind != EXECUTE:  # a model's own ``add(self)``: new or loaded is the caller's object
        first = op.call.args[0]
        return first if op.kind == WRITE and op.method in ("add", "delete") and isinstance(first, ast.Name) \
            and first.id == "self" else None
    if op.kind == EXECUTE or op.method in _OBJECT_METHODS:
        return op.call.args[0]
    return None


def _with_class_models(module: SourceModule, fn: ast.AST, op: DbOp, models: dict[str, str]) -> DbOp:
    """A method's own statement on ``self.model`` read with the model of the class it runs for."""
    if op.api == "peewee" and op.through is None:
        return replace(op, tables=frozenset(models.get(t, t) for t in op.tables))
    if op.through is not None or not op.call.args or op.api != "sqlalchemy" or op.method in _OBJECT_METHODS:
        return op
    if op.tables and not all(f"self.{t}" in models for t in op.tables):
        return op
    kind, tables, locking, upsert, facts, text = _statement_facts(module, op.call.args[0], _scope_of(module, fn), fn,
                                                                  models)
    if not tables:
        return op
    return replace(op, kind=kind, tables=frozenset(tables), locking=op.locking or locking, upsert=op.upsert or upsert)


def _bind_argument(module: SourceModule, project: Project | None, fn: ast.AST, call: ast.Call,
                   defined: tuple[SourceModule, ast.AST], op: DbOp, helper_models: dict[str, str],
                   models: dict[str, str]) -> DbOp:
    """A helper's operation whose statement or object is one of the helper's parameters, read from
    ``call``'s argument in the caller (or, for an object, from the helper's type parameter); a statement
    the helper builds from its parameters (``"UPDATE " + table_name + " SET ..."``) is read with the
    names ``call`` passes for them."""
    helper_module, helper = defined
    subject = _unknown_subject(op)
    if not isinstance(subject, ast.Name):
        return replace(op, pending=None) if op.pending is not None else op
    argument = _argument_for(call, helper, subject.id)
    if argument is None and not op.tables and op.method not in _OBJECT_METHODS:
        text = _filled_statement(helper_module, helper, subject, call)
        facts = parse_sql(text) if text is not None else None
        if facts is None or _kind_of_facts(facts) == EXECUTE or not _touched(facts):
            return replace(op, pending=None)
        return replace(op, kind=_kind_of_facts(facts), tables=_touched(facts), locking=facts.for_update,
                       upsert=facts.on_conflict, facts=facts, sql=text, confidence=Confidence.medium, pending=None)
    scope = _scope_of(module, fn)
    if op.method in _OBJECT_METHODS:
        found, loaded = _argument_models(module, fn, scope, argument)
        if found:
            kind = DELETE if op.method == "delete" else UPDATE if loaded else INSERT if op.method != "merge" else WRITE
            return replace(op, kind=kind, tables=frozenset(found), pending=None)
        held = _receiver_class(module, project, argument, fn, None) \
            if subject.id == "self" and isinstance(argument, ast.Name) else None
        if held is not None and not _NOT_MODELS.search(held[1].name):
            kind = DELETE if op.method == "delete" else UPDATE  # ``task.update(data)``: a model's own method
            return replace(op, kind=kind, tables=frozenset({held[1].name}), pending=None)
        bound = _parameter_model(helper, subject.id, helper_models)
        if bound is not None:
            kind = DELETE if op.method == "delete" else INSERT if op.method != "merge" and _constructs(
                module, fn, argument, bound) else WRITE
            return replace(op, kind=kind, tables=frozenset({bound}), pending=None)
        return replace(op, pending=argument)
    if op.kind != EXECUTE or argument is None:
        return replace(op, pending=None)
    kind, tables, locking, upsert, facts, text = _statement_facts(module, argument, scope, fn, models)
    if kind == EXECUTE:
        return replace(op, pending=argument)
    return replace(op, kind=kind, tables=frozenset(tables), locking=locking, upsert=upsert, facts=facts, sql=text,
                   batch=op.batch or bool(facts and facts.batch) or _takes_a_list(argument, scope),
                   confidence=Confidence.medium, pending=None if tables else argument)  # table named by a caller


def _filled_statement(module: SourceModule, helper: ast.AST, statement: ast.Name, call: ast.Call) -> str | None:
    """The SQL a helper builds in ``statement`` around names of tables and columns it is handed
    (``"INSERT INTO " + table_name + ...``), with the names ``call`` passes as string literals."""
    values = {}
    for parameter in _arguments(helper):
        argument = _argument_for(call, helper, parameter.arg)
        name = string_value(argument) if argument is not None else None
        if name is not None and name.isidentifier():
            values[parameter.arg] = name
    text = sql_text(module, statement, helper, values) if values else None
    return text if text is not None and looks_like_sql(text) else None


def _argument_models(module: SourceModule, fn: ast.AST, scope: _Scope, argument: ast.expr | None) -> tuple[set[str], bool]:
    """(models, whether loaded from the database) of an object a caller hands to a helper that
    adds or deletes it. A name bound several times is read from the binding that reaches the call."""
    if argument is None:
        return set(), False
    if isinstance(argument, ast.Name) and isinstance(fn, FUNCTION_TYPES) and \
            sum(1 for stmt in walk_function_body(fn) if _assigns(stmt, argument.id)) > 1:
        value = reaching_binding(module, fn, argument)
        value = value.value if isinstance(value, ast.Await) else value
        constructed = _constructed_model(value) if isinstance(value, ast.Call) else None
        return ({constructed} if constructed else set()), False
    return _added_models(argument, scope), isinstance(argument, ast.Name) and argument.id in scope.loaded


def _constructs(module: SourceModule, fn: ast.AST, argument: ast.expr | None, model: str) -> bool:
    """Whether the caller's argument is a new ``model(...)`` instance (built there or in the name's
    binding that reaches the call)."""
    if isinstance(argument, ast.Name) and isinstance(fn, FUNCTION_TYPES):
        argument = single_binding(fn, argument.id) or reaching_binding(module, fn, argument)
    argument = argument.value if isinstance(argument, ast.Await) else argument
    return isinstance(argument, ast.Call) and (dotted(argument.func) or "").split(".")[-1] == model


def _argument_for(call: ast.Call, helper: ast.AST, parameter: str) -> ast.expr | None:
    """The argument ``call`` passes for ``helper``'s ``parameter`` (for a method call, ``self`` is the
    object it is called on: ``topic`` of ``topic.save()``)."""
    for keyword_argument in call.keywords:
        if keyword_argument.arg == parameter:
            return keyword_argument.value
    args = helper.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if isinstance(call.func, ast.Attribute) and positional and positional[0] in ("self", "cls"):
        if parameter == positional[0] == "self" and not any(d for d in getattr(helper, "decorator_list", ())
                                                            if dotted(d) in ("staticmethod", "classmethod")):
            return call.func.value
        positional = positional[1:]
    if parameter not in positional or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    index = positional.index(parameter)
    return call.args[index] if index < len(call.args) else None


def _parameter_model(helper: ast.AST, parameter: str, models: dict[str, str]) -> str | None:
    """The model a parameter annotated with a type parameter (``obj: M``) stands for in the class."""
    for arg in _arguments(helper):
        if arg.arg == parameter and isinstance(arg.annotation, ast.Name):
            return models.get(arg.annotation.id)
    return None


# -- the code base's own statement layer ---------------------------------------------------
#
# A function that runs the SQL it is handed (``_dml(operation, values)`` -> ``cursor.execute(operation,
# values)``) and a class that builds a statement from its state and runs it (``QueryProcessor(tables=[...],
# clauses=[...]).execute()`` -> ``_multiRow(str(self), ...)``): a call of either is the statement it runs.

_STATEMENT_KEYWORDS = ("query", "sql", "statement", "operation")
_STATEMENT_KINDS = {"select": READ, "with": READ, "insert": INSERT, "replace": INSERT, "upsert": INSERT,
                    "update": UPDATE, "delete": DELETE}
_BUILDER_NAME_KINDS = [(re.compile(r"Insert|Upsert"), INSERT), (re.compile(r"Update"), UPDATE),
                       (re.compile(r"Delete"), DELETE), (re.compile(r"Query|Select"), READ)]
_BULK_BUILDER = re.compile(r"bulk|batch", re.I)
_TABLE_PARAMETERS = ("table", "tables")


def handed_statement(module: SourceModule, project: Project | None, fn: ast.AST) -> str | None:
    """The parameter of ``fn`` holding the SQL it runs: handed to the driver (``cursor.execute(operation,
    values)``) or to a function of the code base that runs it (``_fetchMulti(query, values)``, ``self._execute(cur,
    query)``), as the statement; None when ``fn`` runs no statement it is given."""
    if project is None:
        return None
    known = project.facts.setdefault("db.handed_statement", {})
    if id(fn) not in known:
        known[id(fn)] = None  # a call cycle answers None
        known[id(fn)] = _find_handed_statement(module, project, fn)
    return known[id(fn)]


def _find_handed_statement(module: SourceModule, project: Project, fn: ast.AST) -> str | None:
    parameters = {a.arg for a in _arguments(fn)}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id in parameters
                                              for a in [*node.args, *(k.value for k in node.keywords)]):
            statement = _run_statement_argument(module, project, fn, node)
            if isinstance(statement, ast.Name) and statement.id in parameters:
                return statement.id
    return None


def _run_statement_argument(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call) -> ast.expr | None:
    """The statement ``call`` runs, as written there: the first argument of a driver's ``execute``, or the
    argument for the statement parameter of a function of the code base that runs it; None for another call."""
    op = _driver_op(module, call, fn, project)
    if op is not None:  # a statement the call's own text does not show: ``cursor.execute(operation, values)``
        return (call.args[0] if call.args else next((keyword(call, k) for k in _STATEMENT_KEYWORDS if keyword(
            call, k) is not None), None)) if op.kind == EXECUTE and op.method in _RAW_METHODS else None
    resolved = _resolve(module, project, call, fn, None)
    parameter = handed_statement(resolved[0], project, resolved[1]) if resolved is not None else None
    return _argument_for(call, resolved[1], parameter) if parameter is not None else None


def _handed_statement_op(module: SourceModule, call: ast.Call, fn: ast.AST, project: Project | None) -> DbOp | None:
    """``_dml("UPDATE build SET ...", values)``: a call of a module-level function of the code base that runs
    the SQL it is handed, read from that SQL as a driver's ``execute`` is (when the call shows it)."""
    if project is None or not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    resolved = resolve_function(module, project, call)
    if resolved is None or not isinstance(resolved[0].parents.get(resolved[1]), ast.Module):
        return None
    parameter = handed_statement(resolved[0], project, resolved[1])
    statement = _argument_for(call, resolved[1], parameter) if parameter is not None else None
    if statement is None:
        return None
    kind, tables, locking, upsert, facts, text = _statement_facts(module, statement, _scope_of(module, fn, project), fn)
    if kind == EXECUTE:
        return None  # a statement the call does not show either: followed into the function as any helper
    return DbOp(call, kind, frozenset(tables), "sql", resolved[1].name, None, text, facts,
                batch=bool(facts and facts.batch), upsert=upsert, locking=locking,
                autocommit=_commits_itself(resolved[0], project, resolved[1]), confidence=Confidence.medium)


def _commits_itself(module: SourceModule, project: Project, fn: ast.AST, depth: int = 3) -> bool:
    """Whether a function that runs a statement commits it (``cur.execute(sql); conn.commit()``), also in the
    function of the code base it hands the statement on to."""
    for call in walk_function_body(fn):
        if not isinstance(call, ast.Call):
            continue
        op = _driver_op(module, call, fn, project)
        if op is not None and (op.kind == COMMIT or op.autocommit):
            return True
        resolved = _resolve(module, project, call, fn, None) if op is None and depth else None
        if resolved is not None and handed_statement(resolved[0], project, resolved[1]) is not None \
                and _commits_itself(resolved[0], project, resolved[1], depth - 1):
            return True
    return False


@dataclass(frozen=True)
class _StatementBuilder:
    """What a class of the code base that builds a statement from its state and runs it does."""

    kind: str
    running: frozenset[str]  # methods that run the object's statement (``execute``, ``executeOne``)
    table_reads: frozenset[str]  # methods that read the object's table with a statement of their own (``dup_check``)
    init: tuple[SourceModule, ast.AST] | None  # the constructor, whose ``table``/``tables`` names the table
    lock_options: frozenset[str]  # option keys that make it lock its rows (``opts={"rowlock": True}``)
    upsert: bool
    bulk: bool
    autocommit: bool


def _statement_builder(project: Project | None, cls: _ClassRef | None) -> _StatementBuilder | None:
    """The statement builder ``cls`` is (see :class:`_StatementBuilder`), else None."""
    if project is None or cls is None:
        return None
    known = project.facts.setdefault("db.statement_builders", {})
    if id(cls[1]) not in known:
        known[id(cls[1])] = None
        known[id(cls[1])] = _read_statement_builder(project, cls)
    return known[id(cls[1])]


def _read_statement_builder(project: Project, cls: _ClassRef) -> _StatementBuilder | None:
    methods: dict[str, tuple[SourceModule, ast.AST]] = {}
    for owner_module, owner in _mro(project, cls):
        for node in owner.body:
            if isinstance(node, FUNCTION_TYPES):
                methods.setdefault(node.name, (owner_module, node))
    running = {name for name, (owner_module, method) in methods.items()
               if any(_runs_own_statement(owner_module, project, method, call) for call in walk_function_body(method)
                      if isinstance(call, ast.Call))}
    init = methods.get("__init__")
    if not running or skipped_module(cls[0]) or init is None \
            or not any(a.arg in _TABLE_PARAMETERS for a in _arguments(init[1])):
        return None  # a builder names its table; an object running ``self.query(value)`` is a repository
    grown = True
    while grown:  # ``executeOne`` calling ``self.execute()``
        calling = {name for name, (_, method) in methods.items() if name not in running and any(
            isinstance(call, ast.Call) and _on_self(call) and call.func.attr in running for call in walk_function_body(method))}
        running |= calling
        grown = bool(calling)
    literals = [(owner, [n.value for n in ast.walk(owner) if isinstance(n, ast.Constant) and isinstance(n.value, str)])
                for _, owner in _mro(project, cls)]
    kind = next((k for _, texts in literals for k in [_literal_kind(texts)] if k is not None),
                next((k for pattern, k in _BUILDER_NAME_KINDS if pattern.search(cls[1].name)), EXECUTE))
    table_reads = frozenset(name for name, (owner_module, method) in methods.items()
                            if name not in running and _reads_own_table(owner_module, project, method))
    autocommit = any(_commits_itself(m, project, method, 2) for name, (m, method) in methods.items() if name in running)
    return _StatementBuilder(kind, frozenset(running), table_reads, init,
                             frozenset(key for _, owner in _mro(project, cls) for key in _lock_options(owner)),
                             any(UPSERT_SYNTAX.search(text) for _, texts in literals for text in texts),
                             bool(_BULK_BUILDER.search(cls[1].name)), autocommit)


def _runs_own_statement(module: SourceModule, project: Project, method: ast.AST, call: ast.Call) -> bool:
    """Whether ``call`` in a method runs the statement the object builds: ``str(self)``, ``self.get_sql()``,
    or a name bound to one (``query, params = self._get_insert(data)``)."""
    own = {n.id for node in walk_function_body(method) if isinstance(node, ast.Assign) and _builds_own_statement(node.value)
           for target in node.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    if not any(_builds_own_statement(a) or isinstance(a, ast.Name) and a.id in own
               for a in [*call.args, *(k.value for k in call.keywords)]):
        return False
    statement = _run_statement_argument(module, project, method, call)
    return _builds_own_statement(statement) or isinstance(statement, ast.Name) and statement.id in own


def _builds_own_statement(node: ast.AST | None) -> bool:
    """``str(self)`` or ``self.<method>(...)``."""
    return isinstance(node, ast.Call) and (_on_self(node) or isinstance(node.func, ast.Name) and node.func.id == "str"
                                           and len(node.args) == 1 and dotted(node.args[0]) == "self")


def _literal_kind(texts: list[str]) -> str | None:
    """The one kind of statement the SQL among a class's string literals starts (``'INSERT INTO %s '``)."""
    kinds = {_STATEMENT_KINDS.get(text.split(None, 1)[0].lower().lstrip("(")) for text in texts if looks_like_sql(text)}
    kinds.discard(None)
    return kinds.pop() if len(kinds) == 1 else None


def _lock_options(cls: ast.ClassDef) -> Iterator[str]:
    """``rowlock`` of ``if self.opts.get('rowlock'): query += ' FOR UPDATE'``."""
    for node in ast.walk(cls):
        if isinstance(node, ast.If) and any(isinstance(n, ast.Constant) and isinstance(n.value, str) and re.search(
                r"\bfor\s+(no\s+key\s+)?update\b", n.value, re.I) for statement in node.body for n in ast.walk(statement)):
            yield from (n.value for n in ast.walk(node.test) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _reads_own_table(module: SourceModule, project: Project, method: ast.AST) -> bool:
    """A builder's method that runs a query of the table the object is built for (``dup_check`` running
    ``QueryProcessor(tables=[self.table], ...).execute()``)."""
    for call in walk_function_body(method):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)) or _on_self(call):
            continue
        built = _builder_call(module, project, method, call)
        if built is None or built[0].kind != READ or built[1] is None:
            continue
        table = _table_argument(built[0], built[1])
        if table is not None and any(isinstance(n, ast.Attribute) and dotted(n.value) == "self"
                                     and n.attr in _TABLE_PARAMETERS for n in ast.walk(table)):
            return True
    return False


def _built_statement(module: SourceModule, project: Project | None, fn: ast.AST, call: ast.Call
                     ) -> tuple[_StatementBuilder, ast.Call | None, str] | None:
    """(builder, its constructor call when seen, the method) for ``query.execute()`` on a statement builder."""
    if project is None or not isinstance(call.func, ast.Attribute) or _on_self(call) \
            or call.func.attr not in _builder_methods(project):
        return None
    return _builder_call(module, project, fn, call)


def _builder_call(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call
                  ) -> tuple[_StatementBuilder, ast.Call | None, str] | None:
    receiver = call.func.value
    constructed = receiver if isinstance(receiver, ast.Call) else (
        single_binding(fn, receiver.id) or reaching_binding(module, fn, receiver)
        or _bound_just_before(module, receiver)) if isinstance(receiver, ast.Name) and isinstance(fn, FUNCTION_TYPES) else None
    cls = project_class(module, project, constructed.func) if isinstance(constructed, ast.Call) else None
    if cls is None:
        constructed, cls = None, _receiver_class(module, project, receiver, fn, None)
    builder = _statement_builder(project, cls)
    if builder is None or call.func.attr not in builder.running | builder.table_reads:
        return None
    return builder, constructed, call.func.attr


def _builder_methods(project: Project) -> frozenset[str]:
    """Names of methods that run a statement builder's statement, over the project (a quick filter)."""
    if "db.builder_methods" not in project.facts:
        project.facts["db.builder_methods"] = frozenset()  # asked again while being read
        names: set[str] = set()
        for module in project.modules:
            if "self" not in module.text or skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                builder = _statement_builder(project, (module, cls))
                if builder is not None:
                    names |= builder.running | builder.table_reads
        project.facts["db.builder_methods"] = frozenset(names)
    return project.facts["db.builder_methods"]


def _bound_just_before(module: SourceModule, use: ast.Name) -> ast.expr | None:
    """The value of an assignment to ``use``'s name in the statement right before the one that uses it
    (``delete = DeleteProcessor(table="rpmsigs", ...)``, then ``delete.execute()``, the name bound again
    for the next table further on in the loop)."""
    statement = next((a for a in ancestors(module, use) if isinstance(a, ast.stmt)), None)
    block = getattr(module.parents.get(statement), "body", None) if statement is not None else None
    if not isinstance(block, list) or not any(s is statement for s in block):
        return None
    index = next(i for i, s in enumerate(block) if s is statement)
    before = block[index - 1] if index else None
    return before.value if before is not None and _assigns(before, use.id) else None


def _table_argument(builder: _StatementBuilder, constructed: ast.Call) -> ast.expr | None:
    """The argument for the constructor's ``table``/``tables`` parameter, by keyword or position."""
    if builder.init is None:
        return None
    positional = [a.arg for a in [*builder.init[1].args.posonlyargs, *builder.init[1].args.args]][1:]
    for parameter in _TABLE_PARAMETERS:
        argument = keyword(constructed, parameter)
        if argument is None and parameter in positional and positional.index(parameter) < len(constructed.args):
            argument = constructed.args[positional.index(parameter)]
        if argument is not None and not isinstance(argument, ast.Starred):
            return argument
    return None


def _builder_op(module: SourceModule, call: ast.Call, fn: ast.AST, project: Project | None) -> DbOp | None:
    """``query.execute()`` on ``query = QueryProcessor(tables=["build"], clauses=[...])``: the statement the
    builder runs, on the table its constructor names (``table=``/``tables=``, also positional); a read under
    the option that makes it lock (``opts={"rowlock": True}``) locks; a clause ``id IN %(ids)s`` makes it one
    query for many keys, as does a bulk builder."""
    built = _built_statement(module, project, fn, call)
    if built is None:
        return None
    builder, constructed, method = built
    kind = READ if method in builder.table_reads else builder.kind
    tables: set[str] = set()
    locking = batch = False
    if constructed is not None:
        table = _table_argument(builder, constructed)
        table = single_binding(fn, table.id) or table if isinstance(table, ast.Name) and isinstance(
            fn, FUNCTION_TYPES) else table
        entries = table.elts if isinstance(table, (ast.List, ast.Tuple)) else [table]
        tables = {text.split()[0].strip('"').split(".")[-1].lower() for text in map(string_value, entries)
                  if text and text.split()}
        texts = [string_value(n) or "" for n in ast.walk(constructed)]
        batch = any(_is_batch(_with_placeholders(text)) for text in texts)
        locking = kind == READ and any(_option_on(fn, k.value, builder.lock_options) for k in constructed.keywords)
    return DbOp(call, kind, frozenset(tables), "sql", method, dotted(call.func.value), upsert=builder.upsert,
                batch=batch or builder.bulk, locking=locking, autocommit=builder.autocommit, confidence=Confidence.medium,
                built=True)


def _with_placeholders(text: str) -> str:
    for pattern, replacement in _PLACEHOLDERS:
        text = pattern.sub(replacement, text)
    return text


def _option_on(fn: ast.AST, value: ast.expr, options: frozenset[str]) -> bool:
    """Whether a dict handed to a builder (``{"rowlock": True}``, or a name bound to one) sets one of ``options``."""
    if isinstance(value, ast.Name) and isinstance(fn, FUNCTION_TYPES):
        value = single_binding(fn, value.id) or value
    return isinstance(value, ast.Dict) and any(
        string_value(key) in options and not (isinstance(item, ast.Constant) and not item.value)
        for key, item in zip(value.keys, value.values) if key is not None)


# -- transactions -----------------------------------------------------------------------

_TX_METHODS = {"transaction", "begin", "begin_nested", "atomic", "transaction_atomic", "manual_commit"}
_TX_DECORATORS = ("atomic", "transactional", "transaction.atomic", "db_session", "in_transaction")
DATABASE_TRANSACTION_HELPER = re.compile(r"_*(\w+_)?(db|database)_(transaction|atomic)")  # with db_transaction():


def is_transaction_with(module: SourceModule, node: ast.With | ast.AsyncWith, project: Project | None = None) -> bool:
    """Whether a ``with`` statement opens a database transaction.

    ``conn.transaction()`` (psycopg 3, asyncpg, databases), ``session.begin()``,
    ``engine.begin()``, ``transaction.atomic()``, and ``with conn:`` / ``with
    psycopg2.connect(...)`` for drivers whose connection context manager commits
    (psycopg 2 and 3, sqlite3), a helper of the code base named for the database's
    transaction (``with db_transaction():`` handing out peewee's ``db.transaction()``), a class of
    the code base that hands out a cursor and commits in its ``__exit__`` (``with PostgresClient() as cur``), and
    one whose body hands out a transaction (see :func:`_hands_out_transaction`; helpers of
    other modules are read when ``project`` is given).
    """
    fn = function_of(module, node)
    scope = _scope_of(module, fn)
    for item in node.items:
        expr = item.context_expr
        if _item_opens_transaction(module, project, fn, expr, scope, _HELPER_DEPTH):
            return True
        if isinstance(expr, (ast.Name, ast.Attribute)):
            name = dotted(expr)
            if name and (name in scope.handles or db_like_name(name)) and isinstance(node, ast.With) and (
                _commit_on_exit_driver(module) or not _is_sqlalchemy_module(module)
            ):
                last = name.split(".")[-1].lower()
                if "session" not in last and "pool" not in last and "engine" not in last and "cur" not in last:
                    return True
    return False


_HELPER_DEPTH = 3  # helpers deep: a context manager of the code base wrapping another that wraps atomic()


def _item_opens_transaction(module: SourceModule, project: Project | None, fn: ast.AST, expr: ast.expr, scope: _Scope,
                            depth: int, locking: bool = False) -> bool:
    """A ``with`` item that opens a transaction (a locking one with ``locking``): a call that opens one, or a name
    every assignment in the function binds to such a call (``atomic = ImmediateAtomic(using)``, then ``with atomic:``)."""
    if isinstance(expr, ast.Call):
        return _opens_transaction(module, project, expr, scope, depth, locking)
    bound = [stmt.value for stmt in walk_function_body(fn) if _assigns(stmt, expr.id)] if isinstance(
        expr, ast.Name) and isinstance(fn, FUNCTION_TYPES) else []
    return bool(bound) and all(isinstance(value, ast.Call) and _opens_transaction(
        module, project, value, scope, depth, locking) for value in bound)


def _opens_transaction(module: SourceModule, project: Project | None, call: ast.Call, scope: _Scope,
                       depth: int, locking: bool = False) -> bool:
    """Whether the call opens a transaction; with ``locking``, one that takes a lock as it begins, so that the
    blocks it opens run one at a time (see :func:`_locking_atomic_class`)."""
    if isinstance(call.func, ast.Call):  # ``ImmediateAtomic(using)(fn)``: the transaction applied as a decorator
        return _opens_transaction(module, project, call.func, scope, depth, locking)
    atomic_class = _django_atomic_class(module, project, call.func)
    if atomic_class is not None:
        return not locking or _locking_atomic_class(project, atomic_class)
    if locking:
        resolved = resolve_function(module, project, call) if depth > 0 else None
        return resolved is not None and _hands_out_transaction(*resolved, project, depth - 1, locking, _options_off(
            resolved[1], call))
    name = qualified(module, call.func) or ""
    if method_name(call) in _TX_METHODS and (name.split(".")[-1] in ("atomic",) or _tx_receiver(call, scope)):
        return True
    if name in ("psycopg.connect", "psycopg2.connect", "sqlite3.connect"):
        autocommit = keyword(call, "autocommit")  # an autocommit connection commits each statement on its own
        return not (isinstance(autocommit, ast.Constant) and autocommit.value is True)
    if DATABASE_TRANSACTION_HELPER.fullmatch(name.split(".")[-1]):
        return True  # the code base's helper handing out the database's transaction (peewee db.transaction())
    if _hands_out_cursor(module, project, call) and _commits_on_exit(project, project_class(module, project, call.func)):
        return True  # ``with PostgresClient() as cur``: the statements of the block commit together on exit
    resolved = resolve_function(module, project, call) if depth > 0 else None
    return resolved is not None and _hands_out_transaction(*resolved, project, depth - 1)


def _hands_out_transaction(module: SourceModule, helper: ast.AST, project: Project | None, depth: int,
                           locking: bool = False, options_off: frozenset[str] = frozenset()) -> bool:
    """A helper of the code base that hands out a transaction: a ``@contextmanager`` whose ``yield``
    sits inside a transaction block (``with transaction.atomic(): ... yield``, also inside another such
    helper's ``with`` or a name bound to one, ``atomic = ImmediateAtomic(using)``; ``with atomic: yield``), or a
    function that returns a call opening one (``return transaction.atomic(using=db)``). A ``yield`` under a test
    that the connection is already in a transaction (``if connection.in_atomic_block: yield``) hands out the
    caller's; with ``locking`` it does not, unless the test also needs an option of the helper that the call
    leaves off (``options_off``: ``if only_if_needed and ...``, called without ``only_if_needed``)."""
    cache = _cache_of(module)
    key = ("hands_out_transaction", id(helper), project is not None, locking, options_off)
    if key not in cache:
        cache[key] = False  # a helper that calls itself hands out nothing more through that call
        scope = _scope_of(module, helper)
        body = list(walk_function_body(helper))
        if any(name.split(".")[-1] in ("contextmanager", "asynccontextmanager") for name in decorator_names(module, helper)):
            yields = [node for node in body if isinstance(node, (ast.Yield, ast.YieldFrom))]
            cache[key] = bool(yields) and all(any(
                isinstance(block, (ast.With, ast.AsyncWith)) and any(_item_opens_transaction(
                    module, project, helper, item.context_expr, scope, depth, locking) for item in block.items)
                or _already_in_transaction(module, block, node, locking, options_off)
                for block in takewhile(lambda a: a is not helper, ancestors(module, node))) for node in yields)
        else:
            returned = [node.value for node in body if isinstance(node, ast.Return)]
            cache[key] = bool(returned) and all(isinstance(value, ast.Call) and _opens_transaction(
                module, project, value, scope, depth, locking) for value in returned)
    return cache[key]


def _already_in_transaction(module: SourceModule, branch: ast.AST, node: ast.AST, locking: bool,
                            options_off: frozenset[str]) -> bool:
    """``node`` runs in the body of an ``if`` that tests Django's ``connection.in_atomic_block`` (the caller's
    transaction is open), for a locking transaction only when the test also needs an option left off."""
    if not (isinstance(branch, ast.If) and any(node is n for stmt in branch.body for n in ast.walk(stmt))
            and any(isinstance(n, ast.Attribute) and n.attr == "in_atomic_block" for n in ast.walk(branch.test))):
        return False
    return not locking or isinstance(branch.test, ast.BoolOp) and isinstance(branch.test.op, ast.And) and any(
        isinstance(operand, ast.Name) and operand.id in options_off for operand in branch.test.values)


def _options_off(helper: ast.AST, call: ast.Call) -> frozenset[str]:
    """The helper's parameters defaulting to ``False`` or ``None`` that the call does not pass."""
    arguments = helper.args.posonlyargs + helper.args.args
    positional = arguments[-len(helper.args.defaults):] if helper.args.defaults else []
    defaults = list(zip(positional, helper.args.defaults)) + list(zip(helper.args.kwonlyargs, helper.args.kw_defaults))
    passed = {k.arg for k in call.keywords} | {a.arg for a in arguments[:len(call.args)]}
    return frozenset(arg.arg for arg, default in defaults if isinstance(default, ast.Constant)
                     and default.value in (False, None) and arg.arg not in passed)


def _django_atomic_class(module: SourceModule, project: Project | None, node: ast.AST) -> _ClassRef | None:
    """The code base's class that ``node`` names when it derives from Django's ``transaction.Atomic`` (the class
    behind ``atomic()``; ``class ImmediateAtomic(SuperDurableAtomic)``, ``class SuperDurableAtomic(Atomic)``)."""
    cls = project_class(module, project, node)
    return cls if cls is not None and any(
        (qualified(owner_module, base) or "") in ("django.db.transaction.Atomic", "transaction.Atomic")
        for owner_module, owner in _mro(project, cls) for base in owner.bases) else None


def _locking_atomic_class(project: Project | None, cls: _ClassRef) -> bool:
    """An ``Atomic`` class whose ``__enter__`` (its own or a base's in the code base) takes a row lock as the
    transaction begins (``ContentType.objects.select_for_update().order_by("pk").first()``): a lock every block
    it opens takes first, so the blocks run one at a time."""
    return any(op.locking for owner_module, owner in _mro(project, cls)
               for enter in [_top_level_function(owner, "__enter__")] if enter is not None
               for op in function_ops(owner_module, enter, project))


def _hands_out_cursor(module: SourceModule, project: Project | None, expr: ast.expr) -> bool:
    """``PostgresClient()``: a class of the code base whose ``__enter__`` (or ``__aenter__``) returns a DB-API cursor
    it makes of a database connection it holds (``self.cursor = self.connection.cursor(); return self.cursor``, in a
    module of a database driver), so the ``as`` target is that cursor."""
    cls = project_class(module, project, expr.func) if isinstance(expr, ast.Call) else None
    if cls is None:
        return False
    cache = _cache_of(cls[0])
    key = ("hands_out_cursor", id(cls[1]), project is not None)
    if key not in cache:
        enter = _method_of(project, cls, "__enter__") or _method_of(project, cls, "__aenter__")
        returned = [node.value for node in walk_function_body(enter[1]) if isinstance(node, ast.Return)] if enter else []
        scope = _scope_of(enter[0], enter[1]) if enter else None
        cache[key] = bool(returned) and uses_database(enter[0]) and all(
            (dotted(value) or "") in scope.cursors or _makes_cursor(value, scope) for value in returned)
    return cache[key]


def _makes_cursor(value: ast.expr | None, scope: _Scope) -> bool:
    """``self.connection.cursor()``: a cursor of a connection."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "cursor" and (
        dotted(value.func.value) in scope.handles or db_like_name(dotted(value.func.value)))


def _commits_on_exit(project: Project | None, cls: _ClassRef) -> bool:
    """The class's ``__exit__`` (or ``__aexit__``) commits its connection (``self.connection.commit()``)."""
    leave = _method_of(project, cls, "__exit__") or _method_of(project, cls, "__aexit__")
    return leave is not None and any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                                     and node.func.attr == "commit" and db_like_name(dotted(node.func.value))
                                     for node in walk_function_body(leave[1]))


def _tx_receiver(call: ast.Call, scope: _Scope) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    receiver = dotted(func.value)
    if receiver is None:
        return isinstance(func.value, ast.Call) and method_name(func.value) in ("Session", "session", "sessionmaker")
    return receiver in scope.handles or db_like_name(receiver) or receiver.split(".")[-1][:1].isupper() or \
        receiver in ("transaction", "django.db.transaction")


def _commit_on_exit_driver(module: SourceModule) -> bool:
    return any(module.imports_module(lib) for lib in ("psycopg2", "psycopg", "sqlite3"))


def is_transaction_function(module: SourceModule, fn: ast.AST, project: Project | None = None) -> bool:
    """Whether a decorator makes the whole function one transaction (``@transaction.atomic``, a
    context manager of the code base that hands one out used as a decorator: ``@traced_atomic()``, or
    a decorator of the code base that calls the function inside a transaction block: ``@with_db``
    whose wrapper runs ``with db: return fn(*args)``)."""
    return any(name == d or name.endswith("." + d) for name in decorator_names(module, fn) for d in _TX_DECORATORS) \
        or _decorated_into_transaction(module, fn, project)


def _decorated_into_transaction(module: SourceModule, fn: ast.AST, project: Project | None, locking: bool = False) -> bool:
    """A decorator of ``fn`` that opens a transaction (a locking one with ``locking``) around it: a call handing one
    out (``@traced_atomic()``, ``@immediate_atomic()``), or a decorator of the code base whose wrapper calls the
    function inside such a block."""
    wrapper_judge = _calls_inside_locking_transaction if locking else _calls_inside_transaction
    return any(
        isinstance(decorator, ast.Call) and _opens_transaction(
            module, project, decorator, _scope_of(module, fn), _HELPER_DEPTH, locking)
        or isinstance(decorator, (ast.Name, ast.Attribute)) and _decorator_wrapper_is(
            module, project, decorator, wrapper_judge)
        for decorator in getattr(fn, "decorator_list", ()))


def wraps_in_transaction(module: SourceModule, project: Project | None, call: ast.Call) -> bool:
    """``atomic_for_request_method(super().dispatch, using=None)``: the code base's decorator applied by a call
    to a function, whose wrapper runs it only inside a transaction block."""
    return isinstance(call.func, (ast.Name, ast.Attribute)) and _decorator_wrapper_is(
        module, project, call.func, _calls_inside_transaction)


def _calls_inside_transaction(helper_module: SourceModule, helper: ast.AST, project: Project | None) -> bool:
    """The wrapper calls the decorated function only inside a transaction block."""
    return _calls_inside(helper_module, helper, lambda block: is_transaction_with(helper_module, block, project))


def _calls_inside_locking_transaction(helper_module: SourceModule, helper: ast.AST, project: Project | None) -> bool:
    """The wrapper calls the decorated function only inside a locking transaction block."""
    return _calls_inside(helper_module, helper, lambda block: is_locking_transaction_with(helper_module, block, project))


def _calls_inside(helper_module: SourceModule, helper: ast.AST, opens: Callable[[ast.AST], bool]) -> bool:
    parameters = helper.args.posonlyargs + helper.args.args
    wrapped = [node for node in ast.walk(helper) if parameters and isinstance(node, ast.Call)
               and isinstance(node.func, ast.Name) and node.func.id == parameters[0].arg]
    return bool(wrapped) and all(any(
        isinstance(block, (ast.With, ast.AsyncWith)) and opens(block)
        for block in takewhile(lambda a: a is not helper, ancestors(helper_module, call))) for call in wrapped)


def is_locking_transaction_with(module: SourceModule, node: ast.With | ast.AsyncWith, project: Project | None = None) -> bool:
    """A ``with`` statement opening a transaction that takes a lock as it begins (a class of the code base
    deriving from Django's ``Atomic`` whose ``__enter__`` runs ``select_for_update()``, or a helper handing one
    out): the blocks it opens run one at a time, and the reads in them are as good as locked."""
    fn = function_of(module, node)
    scope = _scope_of(module, fn)
    return any(_item_opens_transaction(module, project, fn, item.context_expr, scope, _HELPER_DEPTH, locking=True)
               for item in node.items)


def with_transaction_locks(module: SourceModule, project: Project | None, fn: ast.AST, ops: list[DbOp]) -> list[DbOp]:
    """``ops`` with the reads made inside a locking transaction of ``fn`` (see :func:`is_locking_transaction_with`;
    also the whole function under such a decorator) marked as locking: no other such block runs between them
    and the writes after them."""
    if isinstance(fn, FUNCTION_TYPES) and _decorated_into_transaction(module, fn, project, locking=True):
        inside = {id(node) for node in walk_function_body(fn)}
    else:
        inside = {id(node) for block in walk_function_body(fn) if isinstance(block, (ast.With, ast.AsyncWith))
                  and is_locking_transaction_with(module, block, project) for node in ast.walk(block)}
    return [replace(op, locking=True) if op.is_read and id(op.call) in inside else op for op in ops]


def _decorator_wrapper_is(module: SourceModule, project: Project | None, decorator: ast.expr,
                          judge: Callable[[SourceModule, ast.AST, Project | None], bool]) -> bool:
    """Whether the code base's decorator function ``decorator`` names passes ``judge`` (cached per function)."""
    resolved = resolve_function(module, project, ast.Call(func=decorator, args=[], keywords=[]))
    if resolved is None:
        return False
    helper_module, helper = resolved
    cache = _cache_of(helper_module)
    key = (judge.__name__, id(helper), project is not None)
    if key not in cache:
        cache[key] = judge(helper_module, helper, project)
    return cache[key]


def is_deferred_to_commit(module: SourceModule, fn: ast.AST, project: Project | None = None) -> bool:
    """Whether a decorator of the code base defers every call of the function until the transaction commits:
    its wrapper hands the call to Django's ``transaction.on_commit`` (``@run_after_commit`` whose wrapper runs
    ``transaction.on_commit(lambda: fn(*args, **kwargs))``, also ``on_commit(partial(fn, *args))`` or a local
    function handed to it), so calling the function inside a transaction runs nothing before the commit."""
    return any(isinstance(decorator, (ast.Name, ast.Attribute)) and _wraps_on_commit(module, project, decorator)
               for decorator in getattr(fn, "decorator_list", ()))


def _wraps_on_commit(module: SourceModule, project: Project | None, decorator: ast.expr) -> bool:
    return _decorator_wrapper_is(module, project, decorator, _runs_on_commit)


def _runs_on_commit(helper_module: SourceModule, helper: ast.AST, project: Project | None) -> bool:
    """The wrapper runs the decorated function only through ``on_commit`` (directly, a ``partial`` of it, or a
    local function handed to ``on_commit``)."""
    parameters = helper.args.posonlyargs + helper.args.args
    wrapped = parameters[0].arg if parameters else None
    runs = [node for node in ast.walk(helper) if isinstance(node, ast.Call) and wrapped is not None and (
        isinstance(node.func, ast.Name) and node.func.id == wrapped
        or (dotted(node.func) or "").split(".")[-1] == "partial" and node.args
        and isinstance(node.args[0], ast.Name) and node.args[0].id == wrapped)]
    handed = {argument.id for node in ast.walk(helper) if isinstance(node, ast.Call) and method_name(node) == "on_commit"
              for argument in node.args[:1] if isinstance(argument, ast.Name)}
    return bool(runs) and all(any(
        isinstance(outer, ast.Call) and method_name(outer) == "on_commit"
        or isinstance(outer, FUNCTION_TYPES) and outer.name in handed
        for outer in takewhile(lambda a: a is not helper, ancestors(helper_module, run))) for run in runs)


def transaction_blocks(module: SourceModule, fn: ast.AST, project: Project | None = None) -> list[tuple[int, int]]:
    """(first line, last line) of each transaction scope in ``fn``'s body.

    ``with`` blocks that open a transaction, the whole function under a transaction
    decorator, and the lines between an executed ``BEGIN`` and the next ``COMMIT`` or
    ``ROLLBACK``.
    """
    spans: list[tuple[int, int]] = []
    if isinstance(fn, FUNCTION_TYPES) and is_transaction_function(module, fn, project):
        spans.append((fn.lineno, fn.end_lineno or fn.lineno))
    begin: int | None = None
    for node in walk_function_body(fn):
        if isinstance(node, (ast.With, ast.AsyncWith)) and is_transaction_with(module, node, project):
            spans.append((node.lineno, node.end_lineno or node.lineno))
        if isinstance(node, ast.Call) and method_name(node) == "execute" and node.args:
            facts = parse_sql(sql_text(module, node.args[0], fn) or "")
            if facts and facts.kind == "BEGIN":
                begin = node.lineno
            elif facts and facts.kind in ("COMMIT", "ROLLBACK") and begin is not None:
                spans.append((begin, node.lineno))
                begin = None
    return spans


def in_transaction(module: SourceModule, node: ast.AST, fn: ast.AST | None = None,
                   project: Project | None = None) -> bool:
    """Whether ``node`` runs inside a transaction scope of its function."""
    fn = fn if fn is not None else function_of(module, node)
    line = getattr(node, "lineno", 0)
    return any(start <= line <= end for start, end in transaction_blocks(module, fn, project))


def is_commit(op: DbOp) -> bool:
    return op.kind == COMMIT


# -- shared by the R2 rules: the code base's committing wrapper, class bases, exclusive branches,
#    unique-violation handlers

WRAPPER_READS = ("fetchone", "fetchall", "fetch_page")  # wrapper methods given a SELECT
WRAPPED_LIBRARIES = ("psycopg", "psycopg2", "asyncpg", "sqlite3", "aiosqlite", "sqlalchemy", "sqlmodel",
                     "flask_sqlalchemy", "django", "databases", "peewee", "tortoise", "pymysql", "mysql")
UNIQUE_VIOLATIONS = frozenset({"IntegrityError", "UniqueViolation", "UniqueViolationError", "DuplicateKeyError",
                               "UniqueConstraintError"})


def with_wrapper_writes(module: SourceModule, project: Project, fn: ast.AST, ops: list[DbOp]) -> list[DbOp]:
    """Add the writes made through the code base's own database wrapper when that wrapper commits
    each statement (``async def insert(self, table, row): ...; await self.conn.commit()``):
    ``(conn or db).insert("accounts", account)``, ``update("wallets", wallet)``, and mark the
    SQL statements of modules that talk to the database only through it as committing on their own."""
    if not _wrapper_commits(project) or any(module.imports_module(lib) for lib in WRAPPED_LIBRARIES):
        return ops
    found = [DbOp(**{**op.__dict__, "autocommit": True}) if op.api == "sql" and op.is_write else op for op in ops]
    found += _wrapper_writes(module, project, fn, 2, {id(fn)})
    return sorted(found, key=lambda o: (o.call.lineno, o.call.col_offset))


def _wrapper_writes(module: SourceModule, project: Project, fn: ast.AST, depth: int, seen: set[int]) -> list[DbOp]:
    writes: list[DbOp] = []
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("insert", "update") and node.args and isinstance(
                node.args[0], ast.Constant) and isinstance(node.args[0].value, str) and node.args[0].value.isidentifier():
            handles = func.value.values if isinstance(func.value, ast.BoolOp) else [func.value]
            if all(db_like_name(dotted(h)) for h in handles):
                writes.append(DbOp(node, INSERT if func.attr == "insert" else UPDATE,
                                      frozenset({node.args[0].value}), "wrapper", func.attr, autocommit=True,
                                      confidence=Confidence.medium))
            continue
        if isinstance(func, ast.Attribute) and func.attr in WRAPPER_READS and node.args:
            text = sql_text(module, node.args[0], fn) or ""
            facts = parse_sql(text)
            if facts is not None and facts.kind == "SELECT" and facts.reads:
                writes.append(DbOp(node, READ, facts.reads, "sql", func.attr, sql=text, facts=facts,
                                      locking=facts.for_update, confidence=Confidence.medium))
            continue
        resolved = resolve_function(module, project, node, reexports=True) if depth > 0 else None
        if resolved is not None and id(resolved[1]) not in seen:
            helper_module, helper = resolved
            inner = _wrapper_writes(helper_module, project, helper, depth - 1, seen | {id(helper)})
            if resolve_function(module, project, node) is None:
                # imported through a package re-export: expanded_ops did not follow it
                inner = [*function_ops(helper_module, helper, project), *inner]
            for op in inner:
                writes.append(DbOp(**{**op.__dict__, "call": node, "through": helper.name,
                                         "autocommit": op.autocommit or (op.api == "sql" and op.is_write)}))
    return writes


def _wrapper_commits(project: Project) -> bool:
    """Whether a class of the code base wraps the driver with statement methods that commit."""
    if "db.wrapper_commits" not in project.facts:
        project.facts["db.wrapper_commits"] = any(
            isinstance(method, ast.AsyncFunctionDef | ast.FunctionDef) and method.name in ("execute", "insert", "update")
            and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "commit"
                    for n in ast.walk(method))
            for module in project.modules if "commit" in module.text and not skipped_module(module)
            for cls in module.nodes_of(ast.ClassDef) for method in cls.body)
    return project.facts["db.wrapper_commits"]


def class_bases(project: Project) -> dict[str, list[str]]:
    """Class name -> the last part of each of its bases, over the project."""
    if "db.class_bases" not in project.facts:
        bases: dict[str, list[str]] = {}
        for module in project.modules:
            for node in module.nodes_of(ast.ClassDef):
                bases.setdefault(node.name, []).extend((dotted(b) or "").split(".")[-1] for b in node.bases)
        project.facts["db.class_bases"] = bases
    return project.facts["db.class_bases"]


def _path(module: SourceModule, fn: ast.AST, node: ast.AST) -> list[tuple[ast.AST, str, ast.AST]]:
    """(parent, field, child) steps from ``fn`` down to ``node``."""
    steps, child = [], node
    for parent in ancestors(module, node):
        for field_name, value in ast.iter_fields(parent):
            if value is child or (isinstance(value, list) and any(v is child for v in value)):
                steps.append((parent, field_name, child))
                break
        if parent is fn:
            break
        child = parent
    return steps[::-1]


def split_point(module: SourceModule, fn: ast.AST, earlier: ast.AST, later: ast.AST) -> tuple[list, list, int]:
    """Both paths from ``fn`` and the index of their first different step."""
    first, second = _path(module, fn, earlier), _path(module, fn, later)
    common = 0
    while common < min(len(first), len(second)) and first[common][2] is second[common][2]:
        common += 1
    return first, second, common


def never_both(module: SourceModule, fn: ast.AST, earlier: ast.AST, later: ast.AST) -> bool:
    """Whether no run reaches both writes: they sit in different branches of one ``if`` (or of one
    ``try``), or the earlier one is in a block that ends by leaving the function (an error path that
    saves and raises, a branch that writes and returns)."""
    first, second, common = split_point(module, fn, earlier, later)
    if common < min(len(first), len(second)):
        parent, field_a, _ = first[common]
        _, field_b, _ = second[common]
        if field_a != field_b and isinstance(parent, (ast.If, ast.Try, ast.ExceptHandler)) and {field_a, field_b} != {
                "body", "finalbody"}:
            return True
        if isinstance(parent, ast.Try) and field_a == field_b == "handlers":
            return True  # two different except clauses
    for parent, field_name, _ in first[common + 1:]:
        block = getattr(parent, field_name)
        if isinstance(block, list) and _ends_by_leaving(block):
            return True
        if isinstance(parent, ast.Try) and field_name == "body" and parent.handlers and all(
                _ends_by_leaving(b) for b in [parent.orelse, *(h.body for h in parent.handlers)]):
            return True  # try: write / except: return / else: return -- every way out of the try leaves
    return False


def _ends_by_leaving(block: list[ast.stmt]) -> bool:
    return bool(block) and isinstance(block[-1], (ast.Raise, ast.Return))


def handles_unique_violation(module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    child = node
    for parent in ancestors(module, node):
        if parent is fn:
            break
        if isinstance(parent, ast.Try) and any(child is stmt for stmt in parent.body):
            for handler in parent.handlers:
                caught = handler.type
                types = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
                if any((qualified(module, t) or "").split(".")[-1] in UNIQUE_VIOLATIONS for t in types):
                    return True
        child = parent
    return False


# -- shared by the R2 rules: natural keys of the model classes

GENERATOR = re.compile(r"(^|\.)(uuid\d|token_(hex|urlsafe|bytes)|urandom|randbytes|getrandbits|choices|now|utcnow|time_ns)$")
GENERATED_DEFAULTS = {"default", "default_factory", "server_default"}  # a primary key the database or model fills
LIBRARY_KEYED_BASES = {"AbstractUser": {"username"}, "TagBase": {"name", "slug"}}  # Django's user, django-taggit's tag


def natural_unique(project: Project, model: str) -> bool:
    """Whether a model class of the code base declares a unique key on data the client sends:
    ``unique_together``, a ``UniqueConstraint``, a ``OneToOneField``, or a field with
    ``unique=True`` and no generated ``default``, or inherits one from a library's model (Django's
    ``AbstractUser``: ``username``; django-taggit's ``TagBase``: ``name``, ``slug``). A retried
    insert then fails on the constraint instead of creating a duplicate (whether the error is handled well is another matter). See
    ``_generated_key`` of the R2 no-idempotency-key rule for a unique field the code fills itself."""
    if "r2.natural_unique" not in project.facts:
        project.facts["r2.natural_unique"] = _unique_models(project)
    declared, bases = project.facts["r2.natural_unique"]
    name = model.split(".")[-1]
    if name in declared:
        return True
    inherited = declared & _ancestors(name, bases)
    if inherited and "r2.filled_keys" not in project.facts:  # a subclass whose __init__ draws the mixin's key
        project.facts["r2.filled_keys"] = {c.name: _generated_in_class(c) for m in project.modules
                                           if "self." in m.text for c in m.nodes_of(ast.ClassDef)}
    single, filled = project.facts.get("r2.single_unique", {}), project.facts.get("r2.filled_keys", {})
    return any(not (single.get(base) and single[base] <= filled.get(name, set())) for base in inherited)


def _unique_models(project: Project) -> tuple[set[str], dict[str, list[str]]]:
    """The model classes that declare a natural key (see :func:`natural_unique`) and class name ->
    the names of its bases; also stores under ``project.facts["r2.single_unique"]`` the models
    unique only through single fields, with those fields."""
    declared: set[str] = set()
    bases: dict[str, list[str]] = {}
    single: dict[str, set[str]] = {}  # models unique only through single fields: those fields
    for module in project.modules:
        if "unique" not in module.text.lower() and "OneToOne" not in module.text and "primary_key" not in module.text:
            bases.update({c.name: [_base_class_name(b) for b in c.bases]
                          for c in module.nodes_of(ast.ClassDef)})
            continue
        for cls in module.nodes_of(ast.ClassDef):
            bases[cls.name] = [_base_class_name(b) for b in cls.bases]
            inherited_key = _polymorphic_subclass(cls)
            found = [n for n in ast.walk(cls) if n is not cls and not isinstance(n, ast.FunctionDef) and _declares_unique(n)
                     and not (inherited_key and _foreign_key_column(n))]
            keys = [s.value for s in cls.body if isinstance(s, (ast.Assign, ast.AnnAssign)) and isinstance(
                s.value, ast.Call) and any(k.arg == "primary_key" and isinstance(k.value, ast.Constant) and k.value.value is True
                                           for k in s.value.keywords)]
            found += keys if len(keys) > 1 else []  # a composite primary key: (user_id, forum_id) is a natural key
            if not found:
                continue
            declared.add(cls.name)
            fields = {t.id for statement in cls.body if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value
                      and any(n in found for n in ast.walk(statement.value)) for t in _assigned(statement) if isinstance(t, ast.Name)}
            generated = _generated_in_class(cls) & fields
            if generated and generated == fields and len(fields) == len(found):
                declared.discard(cls.name)  # every unique field is filled by the model itself: no natural key
                continue
            if all(isinstance(n, ast.Call) and (dotted(n.func) or "").split(".")[-1] not in (
                    "UniqueConstraint", "OneToOneField") for n in found) and len(fields) == len(found):
                single[cls.name] = fields
    for name in set(bases) - declared:
        ancestors = _ancestors(name, bases)
        inherited = next((fields for base, fields in LIBRARY_KEYED_BASES.items() if base in ancestors), None)
        if inherited is not None:
            declared.add(name)
            single[name] = inherited
    project.facts["r2.single_unique"] = single
    return declared, bases


def _assigned(statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    """The targets of a class attribute, plain (``email = Column(...)``) or annotated (``email:
    Mapped[str] = mapped_column(...)``, SQLAlchemy 2)."""
    return statement.targets if isinstance(statement, ast.Assign) else [statement.target]


def _base_class_name(base: ast.expr) -> str:
    """A base class by its class name (``mixins.Timestamped``: ``Timestamped``), but Django's own
    ``models.Model`` kept whole: a code base's class named ``Model`` is another class."""
    name = dotted(base) or ""
    return name if name in ("models.Model", "django.db.models.Model") else name.split(".")[-1]


def _ancestors(name: str, bases: dict[str, list[str]]) -> set[str]:
    """Every class ``name`` inherits from, by class name, through the code base's class statements."""
    seen: set[str] = set()
    todo = list(bases.get(name, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(bases.get(current, ()))
    return seen


def _declares_unique(node: ast.AST) -> bool:
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "unique_together" for t in node.targets):
        return True
    if not isinstance(node, ast.Call):
        return False
    name = (dotted(node.func) or "").split(".")[-1]
    if name in ("UniqueConstraint", "OneToOneField"):
        return True
    keywords = {k.arg: k.value for k in node.keywords}
    flag = keywords.get("unique")
    if _natural_primary_key(name, node, keywords):
        return True
    return isinstance(flag, ast.Constant) and flag.value is True and not {"default", "default_factory"} & set(keywords) and name.endswith(
        ("Field", "Column", "ForeignKey", "mapped_column")) and "primary_key" not in keywords


def _natural_primary_key(name: str, node: ast.Call, keywords: dict[str, ast.expr]) -> bool:
    """A primary key the client supplies: ``primary_key=True`` on a Django field that is not an
    ``AutoField`` (a Discord id, a package name), or on a SQLAlchemy column of a non-integer type,
    without a default. The database does not number the row, so a retry repeats the key."""
    flag = keywords.get("primary_key")
    if not (isinstance(flag, ast.Constant) and flag.value is True) or GENERATED_DEFAULTS & set(keywords):
        return False
    if name.endswith(("Field", "ForeignKey")):
        return not name.endswith("AutoField")
    if name in ("Column", "mapped_column") and _foreign_key_column(node):
        return True  # the key of the row it extends (one activation per organization): a retry repeats it
    if name in ("Column", "mapped_column") and node.args:
        kind = node.args[0].func if isinstance(node.args[0], ast.Call) else node.args[0]
        kind_name = (dotted(kind) or "").split(".")[-1]
        return bool(kind_name) and "Integer" not in kind_name and kind_name != "int"
    return False


def _foreign_key_column(node: ast.AST) -> bool:
    """``Column(Integer, ForeignKey("users.id"), ...)`` / ``mapped_column(ForeignKey(...), ...)``."""
    return isinstance(node, ast.Call) and any(
        isinstance(arg, ast.Call) and (dotted(arg.func) or "").split(".")[-1] == "ForeignKey" for arg in node.args)


def _polymorphic_subclass(cls: ast.ClassDef) -> bool:
    """A joined-table inheritance subclass (``__mapper_args__ = {"polymorphic_identity": ...}``): its
    foreign-key primary key is the id its parent row was just given, not a key a retry repeats."""
    return any(isinstance(statement, ast.Assign) and any(dotted(t) == "__mapper_args__" for t in statement.targets)
               and isinstance(statement.value, ast.Dict) and any(
                   isinstance(k, ast.Constant) and k.value == "polymorphic_identity" for k in statement.value.keys)
               for statement in cls.body)


def _generated_in_class(cls: ast.ClassDef) -> set[str]:
    """Fields a method of the model fills with a generated value (``self.uuid = str(uuid.uuid4())``
    in ``__init__``): unique on every insert, so not a key a retry would repeat."""
    found = set()
    for method in (f for f in cls.body if isinstance(f, ast.FunctionDef)):
        for node in ast.walk(method):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and any(
                    GENERATOR.search(dotted(n.func) or "") for n in ast.walk(node.value) if isinstance(n, ast.Call)):
                found |= {t.attr for t in node.targets if isinstance(t, ast.Attribute) and dotted(t.value) == "self"}
    return found
