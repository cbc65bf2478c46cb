"""Finding the SQL the audited code sends, without importing or running it.

Sources:

- string expressions handed to DB API calls: ``execute``/``executemany``/``fetch*`` of
  psycopg 2/3, asyncpg, sqlite3, aiosqlite and encode/databases, ``copy``/``copy_expert``,
  SQLAlchemy ``text()`` and ``exec_driver_sql``, Django ``.raw()``/``RawSQL``/``RunSQL``,
  Alembic ``op.execute``, pandas ``read_sql`` (see :mod:`audit_lib.sql.extract` for the
  string forms understood);
- aiosql ``.sql`` files (``-- name: get_user^`` blocks) and plain ``.sql`` files, split
  into statements.

Each distinct statement (by its normalised text) becomes one :class:`FoundQuery` with
every call site; ids ``q1``, ``q2``, ... follow the first site's path and line. A value
spliced into a name or clause position makes the query *dynamic*: it is kept with
``parse_error`` saying so. A statement sqlglot cannot parse is kept with the reason.

Each site records the DB call (``method``) and, where the code shows it, how many rows
it reads back (``returns``: from the method itself, a chained ``.fetchall()``/``.first()``,
a later read of the same cursor or result, or iteration over it).

A name assigned differently in the branches of an ``if`` gives one query per branch at
the same site. Limits: strings that start with a run-time value (``f"{verb} FROM t"``) and SQL built by
helpers of the target's own (``self.query(sql)``) are not followed; ``.sql`` files over
2 MB are skipped.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from audit_lib.pyast import FUNCTION_TYPES, dotted, method_name, qualified, scope_of, walk_nodes
from audit_lib.source import FileError, Project, SourceModule
from audit_lib.sql.extract import Evaluator, SqlText, exclusive_branches, is_text_call
from audit_lib.sql.model import FoundQuery, QuerySite
from audit_lib.sql.normalize import HOLE, normalize, place_holes
from audit_lib.sql.parse import code_start, parse, split_statements

MAX_SQL_FILE_BYTES = 2_000_000
ALL, ONE, BOUNDED, NONE, STREAM = "all", "one", "bounded", "none", "stream"

# DB API methods whose first argument is SQL, with the rows they hand back
# (None: it depends on what the caller does with the result).
SQL_METHODS: dict[str, str | None] = {
    "execute": None, "exec_driver_sql": None, "query": None, "prepare": None,
    "executemany": NONE, "execute_many": NONE, "executescript": NONE,
    "copy": NONE, "copy_expert": NONE,
    "fetch": ALL, "fetch_all": ALL, "execute_fetchall": ALL, "iterate": STREAM, "stream": STREAM,
    "cursor": STREAM, "copy_from_query": NONE, "raw": ALL, "read_sql": ALL, "read_sql_query": ALL,
    "fetchrow": ONE, "fetchval": ONE, "fetch_one": ONE, "fetch_val": ONE, "execute_insert": ONE,
}
SQL_KEYWORDS = ("query", "sql", "operation", "statement", "stmt", "raw_query", "sql_query")
# What the caller does with a result object: methods that read one row, all rows, a few.
ONE_ROW = {"fetchone", "first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "fetchval", "fetchrow"}
ALL_ROWS = {"fetchall", "all", "fetch_all", "partitions"}
SOME_ROWS = {"fetchmany"}
PASS_THROUGH = {"scalars", "mappings", "unique", "tuples"}
STATEMENT_START = re.compile(
    r"^(select|with|insert|update|delete|merge|create|alter|drop|truncate|copy|grant|revoke|comment|values|"
    r"table|explain|analyze|vacuum|reindex|cluster|refresh|lock|do|call|set|reset|show|begin|start|commit|"
    r"rollback|end|abort|savepoint|release|prepare|execute|deallocate|declare|fetch|move|close|listen|notify|"
    r"unlisten|discard|pragma|replace|attach|detach)\b",
    re.IGNORECASE,
)
AIOSQL_NAME = re.compile(r"^--\s*name:\s*(?P<name>[\w.-]+?)(?P<suffix>[<*!#^$]*)\s*$", re.MULTILINE)
AIOSQL_RETURNS = {"": ALL, "^": ONE, "$": ONE, "<!": ONE, "!": NONE, "*!": NONE, "#": NONE}
PSQL_META = re.compile(r"^\\.*$", re.MULTILINE)
COPY_FROM_STDIN = re.compile(r"^COPY\b[^;]*\bFROM\s+stdin\b[^;]*;[ \t]*\n", re.IGNORECASE | re.MULTILINE)


@dataclass
class Occurrence:
    """One statement at one site, before deduplication."""

    sql: str
    normalized: str
    dynamic: str | None  # why it cannot be planned, when a value fills a name or clause
    site: QuerySite


QUERY_KEYWORDS = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "MERGE", "TABLE"}


def find_queries(project: Project) -> list[FoundQuery]:
    """Every distinct SQL statement the project sends, with all its call sites."""
    occurrences: list[Occurrence] = []
    for module in project.modules:
        try:
            occurrences.extend(module_occurrences(module, project))
        except Exception as exc:  # an evaluator bug must not lose the other files' SQL
            project.errors.append(FileError(module.path, f"SQL finder failed: {type(exc).__name__}: {exc}"))
    for path in project.sql_files:
        try:
            occurrences.extend(sql_file_occurrences(path, project.root))
        except Exception as exc:
            project.errors.append(FileError(_relative(path, project.root), f"SQL finder failed: {type(exc).__name__}: {exc}"))
    return group(occurrences)


def group(occurrences: list[Occurrence]) -> list[FoundQuery]:
    """One query per distinct statement, sites sorted, ids in order of first site."""
    by_key: dict[tuple[str, str | None], FoundQuery] = {}
    for occurrence in occurrences:
        key = (" ".join(occurrence.normalized.split()), " ".join(occurrence.sql.split()) if occurrence.dynamic else None)
        query = by_key.get(key)
        if query is None:
            query = by_key[key] = FoundQuery(id="", sql=occurrence.sql, normalized=occurrence.normalized)
            if occurrence.dynamic:
                query.parse_error = occurrence.dynamic
            else:
                query.statement, query.parse_error = parse(occurrence.normalized)
        if not any((s.path, s.line) == (occurrence.site.path, occurrence.site.line) for s in query.sites):
            query.sites.append(occurrence.site)
    queries = list(by_key.values())
    for query in queries:
        query.sites.sort(key=lambda s: (s.path, s.line))
    queries.sort(key=lambda q: (q.sites[0].path, q.sites[0].line, q.normalized))
    for number, query in enumerate(queries, start=1):
        query.id = f"q{number}"
    return queries


# -- Python sources ----------------------------------------------------------------------


def module_occurrences(module: SourceModule, project: Project | None = None) -> list[Occurrence]:
    evaluator = Evaluator(module, project)
    calls = sorted((n for n in walk_nodes(module.tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    found: list[Occurrence] = []
    text_calls: list[ast.Call] = []
    for call in calls:
        if is_text_call(module, call):
            text_calls.append(call)
            continue
        for argument, method, returns in sql_arguments(module, call):
            site = QuerySite(module.path, call.lineno, function_name(module, call), method, returns)
            for text in evaluator.variants(argument):
                if looks_like_sql(text):
                    found.extend(occurrences(text, site))
    for call in text_calls:
        if id(call) in evaluator.text_calls_used or _sent_directly(module, call) or not call.args:
            continue
        text = evaluator.evaluate(call.args[0])
        if text is not None and looks_like_sql(text):
            site = QuerySite(module.path, call.lineno, function_name(module, call), "text", rows_used(module, call))
            found.extend(occurrences(text, site))
    return found


def sql_arguments(module: SourceModule, call: ast.Call) -> list[tuple[ast.AST, str, str | None]]:
    """(SQL expression, method, rows returned) for each SQL argument ``call`` sends."""
    name = qualified(module, call.func) or ""
    tail = name.rsplit(".", 1)[-1]
    if tail == "RunSQL":
        return [(sql, "RunSQL", NONE) for sql in _run_sql_arguments(call)]
    if tail in ("execute_values", "execute_batch") and len(call.args) >= 2:
        return [(call.args[1], tail, NONE)]
    if tail == "RawSQL":
        first = _sql_argument(call)
        return [(first, "RawSQL", NONE)] if first is not None else []
    method = method_name(call)
    if method not in SQL_METHODS or (isinstance(call.func, ast.Name) and method not in ("read_sql", "read_sql_query")):
        return []
    argument = _sql_argument(call)
    if argument is None:
        return []
    returns = SQL_METHODS[method]
    if returns is None:
        returns = rows_used(module, call)
    return [(argument, method, returns)]


def _sql_argument(call: ast.Call) -> ast.AST | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for kw in call.keywords:
        if kw.arg in SQL_KEYWORDS:
            return kw.value
    return None


def _run_sql_arguments(call: ast.Call) -> list[ast.AST]:
    """Django ``RunSQL(sql, reverse_sql)``: each a string, or a list of strings / (sql, params)."""
    values = list(call.args[:2]) + [kw.value for kw in call.keywords if kw.arg in ("sql", "reverse_sql")]
    out: list[ast.AST] = []
    for value in values:
        if isinstance(value, (ast.List, ast.Tuple)):
            for item in value.elts:
                if isinstance(item, (ast.List, ast.Tuple)) and item.elts:
                    out.append(item.elts[0])
                else:
                    out.append(item)
        else:
            out.append(value)
    return out


def _sent_directly(module: SourceModule, call: ast.Call) -> bool:
    """A ``text()`` that is itself the SQL argument of a DB call: that call is the site."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.Call) and any(arg is call for arg, _, _ in sql_arguments(module, parent))


def looks_like_sql(text: SqlText) -> bool:
    head = text.text[code_start(text.text):].lstrip("( \t\r\n")
    return bool(STATEMENT_START.match(head))


def function_name(module: SourceModule, node: ast.AST) -> str | None:
    names: list[str] = []
    parent = module.parents.get(node)
    while parent is not None:
        if isinstance(parent, (*FUNCTION_TYPES, ast.ClassDef)):
            names.append(parent.name)
        parent = module.parents.get(parent)
    return ".".join(reversed(names)) or None


def rows_used(module: SourceModule, call: ast.Call) -> str | None:
    """How many rows the code reads from what ``call`` returns, when the code says so."""
    node: ast.AST = call
    parent = module.parents.get(node)
    if isinstance(parent, ast.Await):
        node, parent = parent, module.parents.get(parent)
    chained = _chained(module, node)
    if chained is not None:
        return chained
    parent = module.parents.get(node)
    if _iterates(parent, node):
        return ALL
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in ("list", "tuple") and node in parent.args:
        return ALL
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call):
        return None
    names: set[str] = set()
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    if isinstance(call.func, ast.Attribute):
        receiver = dotted(call.func.value)
        if receiver:
            names.add(receiver)
    if not names:
        return None
    position = (call.lineno, call.col_offset)
    later = [node for at, node in _reads_in(module, scope_of(module, call)) if at > position]
    prepared = method_name(call) == "prepare"
    return _read_later(module, later, names, prepared, call)


_READ_CACHE: dict[int, tuple[ast.AST, list[tuple[tuple[int, int], ast.AST]]]] = {}


def _reads_in(module: SourceModule, scope: ast.AST) -> list[tuple[tuple[int, int], ast.AST]]:
    """The calls, loops and comprehensions of ``scope`` by position (cached per scope)."""
    cached = _READ_CACHE.get(id(scope))
    if cached is not None and cached[0] is scope:
        return cached[1]
    reads: list[tuple[tuple[int, int], ast.AST]] = []
    for node in walk_nodes(scope):
        if isinstance(node, (ast.Call, ast.For, ast.AsyncFor)):
            reads.append(((node.lineno, node.col_offset), node))
        elif isinstance(node, ast.comprehension):
            reads.append(((node.iter.lineno, node.iter.col_offset), node))
    reads.sort(key=lambda item: item[0])
    if len(_READ_CACHE) > 256:
        _READ_CACHE.clear()
    _READ_CACHE[id(scope)] = (scope, reads)
    return reads


def _chained(module: SourceModule, node: ast.AST) -> str | None:
    """``execute(...).fetchall()``, ``.scalars().first()``: the first row-reading method decides."""
    parent = module.parents.get(node)
    while isinstance(parent, ast.Attribute) and isinstance(module.parents.get(parent), ast.Call):
        attr = parent.attr
        outer = module.parents.get(parent)
        if _rows_read_by(attr):
            return _rows_read_by(attr)
        if attr not in PASS_THROUGH:
            return None
        node = outer
        if isinstance(module.parents.get(node), ast.Await):
            node = module.parents.get(node)
        parent = module.parents.get(node)
        if _iterates(parent, node):
            return ALL
    return None


def _rows_read_by(method: str) -> str | None:
    """How many rows a row-reading method takes: ONE, ALL, BOUNDED, or None for other methods."""
    if method in ONE_ROW:
        return ONE
    if method in ALL_ROWS:
        return ALL
    return BOUNDED if method in SOME_ROWS else None


def _iterates(parent: ast.AST | None, node: ast.AST) -> bool:
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
        return True
    return isinstance(parent, ast.comprehension) and parent.iter is node


def _read_later(module: SourceModule, later: list[ast.AST], names: set[str], prepared: bool,
                call: ast.Call) -> str | None:
    """The first read of a result or cursor named in ``names``, before it runs another statement.

    A statement run in the other branch of an ``if`` does not count (both branches then
    share the read after the ``if``). For an asyncpg prepared statement,
    ``stmt.fetch()``/``stmt.fetchrow()`` are the reads.
    """
    for node in later:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) in names:
            attr = node.func.attr
            if attr in SQL_METHODS:
                if exclusive_branches(module, call, node):
                    continue
                return SQL_METHODS[attr] if prepared and SQL_METHODS[attr] in (ALL, ONE) else None
            if _rows_read_by(attr):
                return _rows_read_by(attr)
            if attr in PASS_THROUGH:
                return _chained(module, node)
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and dotted(node.iter) in names:
            return ALL
        if isinstance(node, ast.Call) and node.args and dotted(node.args[0]) in names:
            helper = (method_name(node) or "").lower()
            if helper in ("list", "tuple", "dict", "set") or "fetchall" in helper or "fetch_all" in helper:
                return ALL  # list(cur), Django's dictfetchall(cursor)
            if "fetchone" in helper or "fetch_one" in helper:
                return ONE
    return None


def occurrences(text: SqlText, site: QuerySite) -> list[Occurrence]:
    """One occurrence per statement of ``text`` (a string may hold several)."""
    found: list[Occurrence] = []
    for offset, piece in split_statements(text.text):
        skip = _line_of_code(piece)
        offset, piece = offset + skip, piece[skip:]
        first = text.text.count(HOLE, 0, offset)
        sources = text.holes[first : first + piece.count(HOLE)]
        found.append(_occurrence(piece, sources, site))
    return found


def _line_of_code(piece: str) -> int:
    """Where the line of the first code of ``piece`` starts: leading comments and blank lines go."""
    return piece.rfind("\n", 0, code_start(piece)) + 1


def _occurrence(piece: str, sources: list[str], site: QuerySite) -> Occurrence:
    display_parts = piece.split(HOLE)
    display = display_parts[0] + "".join(f"{{{src}}}{rest}" for src, rest in zip(sources, display_parts[1:]))
    filled, dynamic_index = place_holes(piece)
    dynamic = None
    if dynamic_index is not None and dynamic_index < len(sources):
        dynamic = f"dynamic SQL: {{{sources[dynamic_index]}}} fills a name or clause position"
    return Occurrence(
        sql=textwrap.dedent(display).strip(),
        normalized=textwrap.dedent(normalize(filled)).strip(),
        dynamic=dynamic,
        site=site,
    )


# -- .sql files ----------------------------------------------------------------------------


def sql_file_occurrences(path: Path, root: Path) -> list[Occurrence]:
    rel = _relative(path, root)
    try:
        if path.stat().st_size > MAX_SQL_FILE_BYTES:
            return []
        text = path.read_bytes().decode("utf-8", errors="replace").replace("\x00", " ")
    except OSError:
        return []
    text = text.replace(HOLE, "\ufffd")
    if AIOSQL_NAME.search(text):
        return _aiosql_occurrences(text, rel)
    statements = _statements_at(_without_psql_noise(text), 0, QuerySite(rel, 1, None, "sql-file", None))
    return [o for o in statements if _is_query(o.sql)]


def _is_query(sql: str) -> bool:
    """A statement that reads or writes rows; schema DDL and utility commands of a plain
    ``.sql`` file (migrations, seeds) are what the database's catalog shows, not queries."""
    words = sql.lstrip("( \n\t").split(None, 1)
    return bool(words) and words[0].upper() in QUERY_KEYWORDS


def _aiosql_occurrences(text: str, rel: str) -> list[Occurrence]:
    found: list[Occurrence] = []
    matches = list(AIOSQL_NAME.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        block = text[match.end() : end]
        name = match["name"].replace("-", "_")
        returns = AIOSQL_RETURNS.get(match["suffix"])
        site = QuerySite(rel, 1, name, "aiosql", returns)
        found.extend(_statements_at(block, match.end(), site, full_text=text))
    return found


def _statements_at(block: str, offset: int, site: QuerySite, full_text: str | None = None) -> list[Occurrence]:
    """Statements of a ``.sql`` text, each sited on the line where its code starts."""
    full_text = full_text if full_text is not None else block
    found: list[Occurrence] = []
    for start, piece in split_statements(block):
        position = offset + start + code_start(piece)
        piece = piece[_line_of_code(piece):]
        line = full_text.count("\n", 0, position) + 1
        statement_site = QuerySite(site.path, line, site.function, site.method, site.returns)
        found.append(_occurrence(piece, [], statement_site))
    return found


def _without_psql_noise(text: str) -> str:
    """Blank out psql meta-commands and ``COPY ... FROM stdin`` data, keeping line numbers."""
    out: list[str] = []
    position = 0
    for match in COPY_FROM_STDIN.finditer(text):
        if match.start() < position:
            continue
        out.append(text[position : match.end()])
        terminator = text.find("\n\\.", match.end())
        data_end = len(text) if terminator < 0 else terminator + 3
        out.append("\n" * text.count("\n", match.end(), data_end))
        position = data_end
    out.append(text[position:])
    return PSQL_META.sub("", "".join(out))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return path.as_posix()
