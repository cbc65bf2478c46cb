"""R2.multi-table-write-no-tx: writes to several tables that can half-succeed.

## What it does
Reports writes to several tables that do not share one transaction. That is a function
that writes (SQL `INSERT`/`UPDATE`/`DELETE`, ORM `add`, `delete`,
`save`, `create`, `update`, directly or through a helper of the code base) to two or
more tables when those writes do not share one transaction:

- with drivers that commit every statement on their own (asyncpg, encode/databases,
  the Django ORM in its default autocommit mode, connections opened with
  `autocommit=True`), writes outside a transaction block;
- with drivers that open a transaction implicitly (psycopg 2 and 3, sqlite3, SQLAlchemy
  sessions and connections), writes separated by a `commit()`;
- writes in two different transaction blocks.

Transaction blocks: `with conn.transaction()`, `async with conn.transaction()`,
`with conn:` (psycopg, sqlite3), `session.begin()`, `engine.begin()`,
`transaction.atomic()` and `@atomic`, and an explicit `BEGIN` ... `COMMIT`. A SQLAlchemy
session or psycopg connection whose writes are followed by a single `commit()` is one
transaction and is not reported. Neither are deletes from two tables (independent
clean-ups), a get-or-create/upsert followed by another write (a retry reuses the row), Django projects with `ATOMIC_REQUESTS`, and Django model `save`/`delete`
overrides and signal receivers, which run in the transaction of their caller.

## Why is this bad?
If the process dies, the connection drops or the second statement fails after the first
has committed, the database keeps half of the change: an order without its lines, a
payment without its ledger entry, stock decremented for a sale that does not exist.
Nothing repairs it later (Backend Posture R2: multi-table mutations MUST be wrapped in a
transaction).

## Example
```python
async def place_order(pool, customer_id, lines):
    order_id = await pool.fetchval(
        "INSERT INTO orders (customer_id) VALUES ($1) RETURNING id", customer_id)
    await pool.executemany(
        "INSERT INTO order_lines (order_id, sku, qty) VALUES ($1, $2, $3)",
        [(order_id, l.sku, l.qty) for l in lines])
```

## Use instead
```python
async def place_order(pool, customer_id, lines):
    async with pool.acquire() as conn, conn.transaction():
        order_id = await conn.fetchval(
            "INSERT INTO orders (customer_id) VALUES ($1) RETURNING id", customer_id)
        await conn.executemany(
            "INSERT INTO order_lines (order_id, sku, qty) VALUES ($1, $2, $3)",
            [(order_id, l.sku, l.qty) for l in lines])
```

## References
- asyncpg transactions: https://magicstack.github.io/asyncpg/current/api/index.html#transactions
- Django atomic: https://docs.djangoproject.com/en/stable/topics/db/transactions/
- SQLAlchemy session.begin(): https://docs.sqlalchemy.org/en/20/orm/session_transaction.html
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db
from audit_lib.pyast import decorator_names, functions
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

FIX = ("put all the writes in one transaction and commit once after the last: `async with conn.transaction():` "
       "(asyncpg/psycopg 3), `with session.begin():` (SQLAlchemy), `with transaction.atomic():` (Django), or "
       "remove the commit() between the writes")
UPSERT_HELPER = re.compile(r"get_or_create|get_or_add|upsert|create_or_update|create_or_get|ensure_")
ATOMIC_REQUESTS = re.compile(r"""["']?ATOMIC_REQUESTS["']?\s*[:=]\s*True""")


@rule("R2.multi-table-write-no-tx", on="module", scope="code+sql", severity="high")
def check_code(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or not (db.uses_database(module) or _imports_project_code(module, project)):
        return
    atomic_requests = _atomic_requests(project)
    for fn in functions(module.tree):
        ops = db.expanded_ops(module, project, fn)
        if sum(1 for op in ops if op.is_write) < 2:
            continue
        django_in_caller_tx = atomic_requests or _runs_in_callers_transaction(module, fn)
        finding = _split_writes(module, fn, ops, django_in_caller_tx)
        if finding is not None:
            yield finding


def _imports_project_code(module: SourceModule, project: Project) -> bool:
    return any(target.rsplit(".", 1)[0] in project.by_dotted_name for target in module.imports.values())


def _atomic_requests(project: Project) -> bool:
    """Django's ATOMIC_REQUESTS wraps every view in a transaction."""
    if "django.atomic_requests" not in project.facts:
        project.facts["django.atomic_requests"] = any(
            "ATOMIC_REQUESTS" in m.text and ATOMIC_REQUESTS.search(m.text) for m in project.modules)
    return project.facts["django.atomic_requests"]


def _runs_in_callers_transaction(module: SourceModule, fn: ast.AST) -> bool:
    """Django model ``save``/``delete`` overrides and signal receivers run inside the transaction of
    the code that saves the instance; whether that code opened one is not visible here."""
    if fn.name in ("save", "delete") and isinstance(module.parents.get(fn), ast.ClassDef):
        return True
    return any(name.split(".")[-1] == "receiver" for name in decorator_names(module, fn))


def _split_writes(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], django_in_caller_tx: bool) -> Finding | None:
    spans = db.transaction_blocks(module, fn)
    commits_seen = 0
    last_commit_line = 0
    units: list[tuple[db.DbOp, tuple, str]] = []  # (write, unit, why a unit ends there)
    for index, op in enumerate(ops):
        line = op.call.lineno
        span = _outermost_span(spans, line)
        if op.kind == db.COMMIT:
            if span is None:
                commits_seen += 1
                last_commit_line = line
            continue
        if not op.is_write or not op.tables or op.helper_transaction:
            continue  # a helper that wraps its own writes in a transaction made them one unit on purpose
        if span is not None:
            units.append((op, ("block", span), "they run in separate transaction blocks"))
        elif op.autocommit and not (django_in_caller_tx and op.api == "django"):
            units.append((op, ("statement", index), f"{_library(op)} commits each statement on its own outside a "
                                                    f"transaction block"))
        else:
            why = f"the commit() at line {last_commit_line} ends the transaction between them"
            units.append((op, ("implicit", commits_seen), why))
    for later_index, (later, later_unit, why) in enumerate(units):
        for earlier, earlier_unit, _ in units[:later_index]:
            if earlier_unit == later_unit or earlier.call is later.call:
                continue
            if any(db.same_table(a, b) for a in earlier.tables for b in later.tables):
                continue
            if earlier.kind == later.kind == db.DELETE:
                continue  # independent clean-ups (expired rows of two tables): nothing is half-done
            if earlier.upsert or UPSERT_HELPER.search(earlier.through or ""):
                continue  # a row left by a get-or-create is reused by the retry: nothing is half-done
            first, second = sorted(earlier.tables)[0], sorted(later.tables)[0]
            through = f" via {later.through}()" if later.through else ""
            if db.is_log_table(first) or db.is_log_table(second):
                confidence = Confidence.low  # a lost audit/event row, not inconsistent domain state
            elif earlier.through or later.through:
                confidence = Confidence.medium
            else:
                confidence = Confidence.high
            return Finding(
                message=(f"writes to {first} (line {earlier.call.lineno}) and {second} (line {later.call.lineno}"
                         f"{through}) are not one transaction: {why}; a failure between them leaves half the change"),
                path=module.path,
                line=later.call.lineno,
                end_line=getattr(later.call, "end_lineno", later.call.lineno),
                evidence=module.evidence(later.call),
                fix=FIX,
                confidence=confidence,
            )
    return None


def _outermost_span(spans: list[tuple[int, int]], line: int) -> tuple[int, int] | None:
    containing = [s for s in spans if s[0] <= line <= s[1]]
    return min(containing, key=lambda s: (s[0], -s[1])) if containing else None


def _library(op: db.DbOp) -> str:
    return {"django": "the Django ORM (autocommit)", "aiosql": "the driver"}.get(op.api, "the driver (autocommit)")
