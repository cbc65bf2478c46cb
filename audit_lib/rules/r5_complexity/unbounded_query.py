"""R5.unbounded-query: a SELECT whose every row goes back to the caller, with no bound.

## What it does
Reports a SELECT found in the code that has no `LIMIT`/`FETCH FIRST` and no filter
pinning a key, at the call sites that hand all its rows to the caller: asyncpg
`fetch`, `fetch_all`, `fetchall()`/`.all()` on the result, iteration over the cursor or
result, Django `.raw()`, `pandas.read_sql`, aiosql queries without a suffix.

Not reported: lookups by a key (`WHERE id = $1`, `WHERE order_id = ANY($1)`; without the
database uniqueness is unknown, so a column named `id`, `*_id`, `uuid`, `*_uuid` or
`pk` compared with values counts as a key, and so do the natural keys `sku`, `slug`,
`email`, `username` and `idempotency_key`: `WHERE sku = ANY($1)` returns one row per
SKU the caller asked for), aggregates without `GROUP BY` (one row),
`GROUP BY` on non-key columns (one row per status or day), selects without a `FROM`
(`SELECT EXISTS (...)`, `SELECT now()`), and sites that read one row (`fetchone`,
`fetchrow`, `fetchval`, `.first()`, `.scalar_one()`), a bounded batch (`fetchmany`) or
a stream (asyncpg `cursor()`, psycopg `stream()`, databases `iterate()`), and sites in tests and
migrations (run once).
Sites whose use of the rows the code does not show are not judged.

## Why is this bad?
The result grows with the table. What returns 50 rows in development returns 5 million
in production, all buffered in the driver and then in the process: memory spikes, long
transactions and timeouts, and the response is too large for the client anyway
(Backend Posture R5: O(n) at the border, stream over buffer).

## Example
```python
async def list_orders(conn, customer_id):
    return await conn.fetch(
        "SELECT id, total, placed_at FROM orders WHERE status = $1 ORDER BY placed_at DESC", "open"
    )
```

## Use instead
```python
async def list_orders(conn, after_placed_at, after_id, page_size=100):
    return await conn.fetch(
        "SELECT id, total, placed_at FROM orders WHERE status = $1"
        " AND (placed_at, id) < ($2, $3) ORDER BY placed_at DESC, id DESC LIMIT $4",
        "open", after_placed_at, after_id, page_size,
    )
```
or stream the rows with a server-side cursor (`conn.cursor(...)` in a transaction,
psycopg named cursors, `yield_per`).
"""

from __future__ import annotations

from typing import Iterator

from sqlglot import exp

from audit_lib.findings import Confidence, Finding
from audit_lib.registry import rule
from audit_lib.source import Project
from audit_lib.sql.keyset import (
    aggregates_only,
    conjuncts,
    from_clause,
    is_key_name,
    is_limited,
    is_value,
    key_filter,
    keyset_rewrite,
    source_tables,
)
from audit_lib.rules.r5_complexity._common import is_offline_module
from audit_lib.sql.model import FoundQuery
from audit_lib.sql.sites import site_evidence

SET_OPERATIONS = (exp.Union, exp.Intersect, exp.Except)
NATURAL_KEYS = frozenset({"sku", "slug", "email", "username", "idempotency_key"})  # unique in nearly every schema


@rule("R5.unbounded-query", on="query", scope="sql", severity="low")
def check(query: FoundQuery, project: Project) -> Iterator[Finding]:
    statement = query.statement
    if not isinstance(statement, (exp.Select, *SET_OPERATIONS)) or not unbounded(statement):
        return
    tables = _tables(statement)
    what = f"SELECT from {', '.join(tables)}" if tables else "SELECT"
    grouped_by_key = isinstance(statement, exp.Select) and statement.args.get("group") is not None
    offline = {m.path for m in project.modules if is_offline_module(m)}
    for site in query.sites:
        if site.returns != "all" or site.path in offline:
            continue
        how = f"{site.method}()" if site.method not in ("aiosql", None) else f"aiosql query {site.function}"
        yield Finding(
            message=f"{what} returns every matching row to the caller through {how}, with no LIMIT and no key filter",
            path=site.path,
            line=site.line,
            evidence=site_evidence(project, site, query),
            fix=f"bound it: {keyset_rewrite(statement)}; or stream the rows with a server-side cursor",
            confidence=Confidence.low if grouped_by_key else Confidence.medium,
            queries=[query.id],
        )


def unbounded(node: exp.Expression) -> bool:
    """Whether this SELECT (or set operation) can return a number of rows that grows with the data."""
    if is_limited(node):
        return False
    if isinstance(node, SET_OPERATIONS):
        return unbounded(node.this) or unbounded(node.expression)
    if isinstance(node, exp.Subquery):
        return unbounded(node.this)
    if not isinstance(node, exp.Select):
        return False
    source = from_clause(node)
    if source is None:
        return False
    group = node.args.get("group")
    if group is not None:
        return any(isinstance(g, exp.Column) and is_key_name(g.name) for g in group.expressions)
    if aggregates_only(node) or key_filter(node) is not None or _natural_key_filter(node):
        return False
    inner = _bounded_source(node, source)
    return not inner


def _natural_key_filter(select: exp.Select) -> bool:
    """Whether the WHERE pins a natural key to given values: ``sku = $1``, ``sku = ANY($1)``, ``email IN ($1, $2)``."""
    where = select.args.get("where")
    for term in conjuncts(where.this if where is not None else None):
        if not isinstance(term, (exp.EQ, exp.In)) or not isinstance(term.this, exp.Column):
            continue
        if term.this.name.lower() not in NATURAL_KEYS:
            continue
        if isinstance(term, exp.In):
            values = [] if term.args.get("query") else term.expressions
        elif isinstance(term.expression, exp.Any):
            values = [term.expression.this]
        else:
            values = [term.expression]
        if values and all(is_value(v) for v in values):
            return True
    return False


def _bounded_source(select: exp.Select, source: exp.Expression) -> bool:
    """``SELECT ... FROM (bounded subquery or CTE)`` is driven by a bounded set of rows.

    Joins to it fetch the rows related to that set, the usual batch pattern.
    """
    target = source.this
    if isinstance(target, exp.Subquery):
        return not unbounded(target.this)
    if isinstance(target, exp.Table):
        for cte in select.find_all(exp.CTE):
            if cte.alias == target.name:
                return not unbounded(cte.this)
    return False


def _tables(statement: exp.Expression) -> list[str]:
    selects = [statement] if isinstance(statement, exp.Select) else list(statement.find_all(exp.Select))
    names: list[str] = []
    for select in selects:
        for name in source_tables(select):
            if name not in names:
                names.append(name)
    return names

