"""R1.complex-query-no-plan: a complex query for which no plan could be produced.

## What it does
Reports a query found in the code that is complex (three or more joins, a subquery, a
CTE, a window function or aggregates) and has no EXPLAIN plan, with the reason: it
did not parse, it names a table or column the database lacks, it is built
dynamically, or no database was audited.

## Why is this bad?
R1: no complex query ships without its query plan. A complex query nobody could
EXPLAIN is a query whose cost nobody knows; a missing table usually means the code and
the schema (or its migrations) have drifted apart.

## Example
```python
cur.execute('''
    SELECT c.region, count(*) FROM orders o
    JOIN customers c ON c.id = o.customer_id
    JOIN refunds r ON r.order_id = o.id
    GROUP BY c.region''')   # refunds does not exist in the audited database
```

## Use instead
Run the audit against a database with the current schema (or fix the query) and keep
the plan with the change: `EXPLAIN (ANALYZE, BUFFERS)` on production-like data.
"""

from __future__ import annotations

from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.model import Catalog
from audit_lib.pg.plan_tree import located
from audit_lib.pg.query_shape import complexity
from audit_lib.registry import rule
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

DATA_QUERIES = {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "VALUES", "MERGE"}


@rule("R1.complex-query-no-plan", on="plan", scope="sql+db", severity="low")
def check(query: FoundQuery, catalog: Catalog | None, settings: Settings) -> Iterator[Finding]:
    if query.plan is not None or query.kind not in DATA_QUERIES:
        return
    shape = complexity(query.statement, query.normalized)
    if not shape.is_complex:
        return
    reason = query.plan_error or query.parse_error or "not planned"
    yield located(
        query,
        message=f"complex query ({', '.join(shape.reasons)}) has no plan: {reason}",
        evidence=" ".join(query.normalized.split())[:300],
        fix=_fix(reason),
        confidence=Confidence.high if query.statement is not None else Confidence.medium,
    )


def _fix(reason: str) -> str:
    lowered = reason.lower()
    if "does not exist" in lowered:
        return "align the query and the schema (a migration may be missing), then EXPLAIN (ANALYZE, BUFFERS) it"
    if "no database" in lowered:
        return "run the audit with a database (DATABASE_URL) so the query is planned, or attach its EXPLAIN to the change"
    if "parse" in lowered or "dynamic" in lowered:
        return "write the query as one static statement with bind parameters so it can be EXPLAINed and reviewed"
    return "EXPLAIN (ANALYZE, BUFFERS) the query on production-like data and keep the plan with the change"
