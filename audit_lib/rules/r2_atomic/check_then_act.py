"""R2.check-then-act: read a row, decide, then insert or update it -- a race.

## What it does
Reports a read followed by an insert or update that depends on it. That is a function
that reads a table (a `SELECT`, `exists()`, `get`, `first`,
`count`, `filter(...).first()`, `objects.filter(...).exists()`, or a helper of the
code base that does so) and then, depending on what it read, inserts into the same
table (SQL `INSERT`, ORM `add`/`create`/`save` of a new instance) or runs a SQL
`UPDATE` of it. The decision is either an `if` on the read's result around the write,
or an earlier `if` that leaves the function (`raise`, `return`) before the write.

Not reported: `UPDATE`s whose `WHERE` re-checks the condition (`... AND status =
'pending'`, an atomic compare-and-set), upserts (`INSERT ... ON CONFLICT`, `on_conflict_do_*`, `merge`, Django
`get_or_create`/`update_or_create`), reads that lock (`SELECT ... FOR UPDATE`,
`select_for_update()`, `with_for_update()`), and writes inside a `try` that handles the
unique violation (`IntegrityError`, `UniqueViolation`). One-off code under a `scripts/`
folder, tests and migrations are not checked: nothing runs them concurrently.

## Why is this bad?
Between the read and the write another request can do the same read and get the same
answer: both insert (a duplicate, or a unique-violation error surfacing as a 500), or
both update from a stale value (a lost update, a double spend). The check gives no
guarantee; only the database can decide atomically (Backend Posture R2: check-then-act
is a Tier 1 anti-pattern, reach for ON CONFLICT or upsert).

## Example
```python
def subscribe(conn, email):
    cur = conn.cursor()
    cur.execute("SELECT 1 FROM subscribers WHERE email = %s", (email,))
    if cur.fetchone() is None:
        cur.execute("INSERT INTO subscribers (email) VALUES (%s)", (email,))
```

## Use instead
```python
def subscribe(conn, email):
    conn.cursor().execute(
        "INSERT INTO subscribers (email) VALUES (%s) ON CONFLICT (email) DO NOTHING", (email,)
    )
```
with a unique index on `subscribers(email)`. For read-modify-write of one row, take
the row lock in the read: `SELECT ... FOR UPDATE` (`select_for_update()`,
`with_for_update()`), or write the condition into the `UPDATE ... WHERE`.

## References
- PostgreSQL INSERT ... ON CONFLICT: https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT
- Django get_or_create: https://docs.djangoproject.com/en/stable/ref/models/querysets/#get-or-create
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db
from audit_lib.pyast import ancestors, functions, method_name, qualified, walk_nodes
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

UNIQUE_VIOLATIONS = {"IntegrityError", "UniqueViolation", "UniqueViolationError", "DuplicateKeyError",
                     "UniqueConstraintError"}
FETCH_METHODS = {"fetchone", "fetchall", "fetchmany", "fetchval", "fetchrow", "first", "one", "one_or_none",
                 "scalar", "scalar_one", "scalar_one_or_none", "all"}
EXITS = (ast.Raise, ast.Return, ast.Continue, ast.Break)
FIX = ("make the write decide atomically: INSERT ... ON CONFLICT (key) DO NOTHING / DO UPDATE over a unique index "
       "(SQLAlchemy insert().on_conflict_do_nothing(), Django get_or_create/update_or_create), or lock the row "
       "in the read (SELECT ... FOR UPDATE / select_for_update() / with_for_update()) inside one transaction")


@rule("R2.check-then-act", on="module", scope="code+sql", severity="high")
def check_code(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or module.path.split("/")[0] == "scripts" or "/scripts/" in module.path or not (db.uses_database(module) or _imports_project_code(module, project)):
        return
    for fn in functions(module.tree):
        ops = db.expanded_ops(module, project, fn)
        writing_calls = {id(op.call) for op in ops if op.is_write}
        # a helper that also writes is not a lookup whose answer the caller acts on
        reads = [op for op in ops if op.is_read and op.tables and not op.locking
                 and not (op.through and id(op.call) in writing_calls)]
        writes = [op for op in ops if _is_act(op)]
        if not reads or not writes:
            continue
        reported: set[int] = set()
        for write in writes:
            if id(write.call) in reported or handles_unique_violation(module, write.call, fn):
                continue
            read = _deciding_read(module, fn, reads, write)
            if read is None:
                continue
            reported.add(id(write.call))
            table = sorted(write.tables)[0]
            through = f" (via {write.through}())" if write.through else ""
            yield Finding(
                message=(f"check-then-act on {table}: line {read.call.lineno} reads it ({read.describe()}), then "
                         f"this {write.kind}{through} depends on the answer; concurrent requests can both pass the check"),
                path=module.path,
                line=write.call.lineno,
                end_line=getattr(write.call, "end_lineno", write.call.lineno),
                evidence=module.evidence(write.call),
                fix=FIX,
                confidence=Confidence.high if not (read.through or write.through) and read.api == "sql"
                else Confidence.medium,
            )


def _imports_project_code(module: SourceModule, project: Project) -> bool:
    return any(target.rsplit(".", 1)[0] in project.by_dotted_name for target in module.imports.values())


def _is_act(op: db.DbOp) -> bool:
    if op.upsert or not op.tables:
        return False
    if op.kind == db.INSERT:
        return True
    # ORM updates of a loaded row are left to locking rules; a SQL UPDATE whose WHERE re-checks a
    # condition besides the key (``... AND status = 'pending'``) is an atomic compare-and-set
    return op.kind == db.UPDATE and op.api == "sql" and not _rechecks_in_where(op.sql)


def _rechecks_in_where(sql: str | None) -> bool:
    if not sql:
        return False
    match = re.search(r"\bwhere\b(.*)", sql, re.I | re.S)
    return bool(match and re.search(r"\b(and|or)\b", match.group(1), re.I))


def _deciding_read(module: SourceModule, fn: ast.AST, reads: list[db.DbOp], write: db.DbOp) -> db.DbOp | None:
    for read in reads:
        if read.call is write.call or read.call.lineno > write.call.lineno:
            continue
        if not any(db.same_table(a, b) for a in read.tables for b in write.tables):
            continue
        names = _result_names(module, fn, read)
        if _copies_rows(module, names, write):
            continue
        if _write_depends_on(module, fn, read, names, write):
            return read
    return None


def _statement_of(module: SourceModule, node: ast.AST) -> ast.stmt | None:
    for parent in [node, *ancestors(module, node)]:
        if isinstance(parent, ast.stmt):
            return parent
    return None


def _result_names(module: SourceModule, fn: ast.AST, read: db.DbOp) -> set[str]:
    """Names that hold what ``read`` returned: its assignment targets, or a cursor's later fetch."""
    names: set[str] = set()
    statement = _statement_of(module, read.call)
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        names |= {n.id for t in targets for n in walk_nodes(t) if isinstance(n, ast.Name)}
    receiver = read.receiver
    if receiver:
        for node in walk_nodes(fn):
            if isinstance(node, ast.Assign) and node.lineno >= read.call.lineno and any(
                isinstance(c, ast.Call) and method_name(c) in FETCH_METHODS and isinstance(c.func, ast.Attribute)
                and ast.unparse(c.func.value) == receiver
                for c in walk_nodes(node.value)
            ):
                names |= {n.id for t in node.targets for n in walk_nodes(t) if isinstance(n, ast.Name)}
    return names


def _test_uses(test: ast.AST, read: db.DbOp, names: set[str], receiver_fetch: bool) -> bool:
    """Whether an ``if`` test decides on what the read found: the row itself, its presence, a count.

    ``if user:``, ``if row is None``, ``if balance >= amount`` decide on the read; ``if
    check.project != project`` inspects an attribute of a row that was only fetched to be
    used, which is not the check of a check-then-act.
    """
    attribute_bases = {id(n.value) for n in walk_nodes(test) if isinstance(n, (ast.Attribute, ast.Subscript))}
    for node in walk_nodes(test):
        if node is read.call:
            return True
        if isinstance(node, ast.Name) and node.id in names and id(node) not in attribute_bases:
            return True
        if receiver_fetch and isinstance(node, ast.Call) and method_name(node) in FETCH_METHODS and isinstance(
            node.func, ast.Attribute
        ) and ast.unparse(node.func.value) == read.receiver:
            return True
    return False


def _write_depends_on(module: SourceModule, fn: ast.AST, read: db.DbOp, names: set[str], write: db.DbOp) -> bool:
    receiver_fetch = read.receiver is not None and read.api == "sql"
    for parent in ancestors(module, write.call):
        if parent is fn:
            break
        if isinstance(parent, (ast.If, ast.IfExp, ast.While)) and parent.lineno >= read.call.lineno:
            if _test_uses(parent.test, read, names, receiver_fetch):
                return True
    for node in walk_nodes(fn):
        if not isinstance(node, ast.If) or not (read.call.lineno <= node.lineno < write.call.lineno):
            continue
        if node.end_lineno and node.end_lineno >= write.call.lineno:
            continue
        if _test_uses(node.test, read, names, receiver_fetch) and _leaves(node.body) and _runs_after(module, node, write.call):
            return True
    return False


def _runs_after(module: SourceModule, guard: ast.If, node: ast.AST) -> bool:
    """Whether ``node`` is in a statement that follows ``guard`` in the same block (so the guard's
    early exit protects it), not in another branch."""
    parent = module.parents.get(guard)
    chain = {id(a) for a in ancestors(module, node)} | {id(node)}
    for field_name in ("body", "orelse", "finalbody"):
        block = getattr(parent, field_name, None)
        if isinstance(block, list) and guard in block:
            return any(id(statement) in chain for statement in block[block.index(guard) + 1:])
    return False


def _copies_rows(module: SourceModule, read_names: set[str], write: db.DbOp) -> bool:
    """An insert inside a loop over what was read copies or derives rows; it does not act on a check.
    (An update of the rows read is the claim race of a job queue, and stays reported.)"""
    if write.kind != db.INSERT:
        return False
    for parent in ancestors(module, write.call):
        if isinstance(parent, (ast.For, ast.AsyncFor)) and {
            n.id for n in walk_nodes(parent.iter) if isinstance(n, ast.Name)
        } & read_names:
            return True
    return False


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always leaves: ends with raise/return/continue/break or an abort() call."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, EXITS):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return method_name(last.value) in ("abort", "abort_json")
    return False


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
