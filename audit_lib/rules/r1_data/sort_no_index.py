"""R1.sort-no-index: a query's ORDER BY is served by no index, so its plan sorts a large table.

## What it does
For each SELECT found in the code that reads one table with an ORDER BY, looks at its
plan: when the plan sorts rows of a table above `large_table_rows` (default 10,000)
and no valid btree index on that table starts with the query's WHERE equality
columns (in any order) followed by the ORDER BY columns, the query is reported with
the index that would serve it. Small tables, sorts of a handful of rows (the
equality filter already narrows them) and ORDER BYs an index serves are not reported.

## Why is this bad?
Without an index in the ORDER BY's order, PostgreSQL reads every matching row and sorts
them before returning the first: `ORDER BY created_at DESC LIMIT 20` on a growing table
costs a full scan and sort per call, and keyset pagination (R1) needs that index.

## Example
```sql
SELECT id, status FROM orders WHERE status = $1 ORDER BY created_at DESC LIMIT 20;
```

## Use instead
```sql
CREATE INDEX CONCURRENTLY orders_status_created_at_idx ON orders (status, created_at);
```
"""

from __future__ import annotations

from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import create_index
from audit_lib.pg.model import Catalog
from audit_lib.pg.plan_tree import Node, describe, located, nodes, scans_below, table_row
from audit_lib.pg.query_shape import equality_columns, main_select, order_by, single_table
from audit_lib.registry import rule
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

MIN_SORTED_ROWS = 1_000


@rule("R1.sort-no-index", on="plan", scope="sql+db", severity="medium")
def check(query: FoundQuery, catalog: Catalog | None, settings: Settings) -> Iterator[Finding]:
    select = main_select(query.statement)
    if query.plan is None or catalog is None or select is None or single_table(select) is None:
        return
    keys = order_by(select)
    if not keys:
        return
    sort = next((n for n in nodes(query.plan) if n.type in ("Sort", "Incremental Sort")), None)
    if sort is None:
        return
    scans = scans_below(sort)
    if len(scans) != 1:
        return
    table = table_row(catalog, scans[0])
    sorted_rows = _input_rows(sort)
    if table is None or table["est_rows"] < settings.large_table_rows:
        return
    if sorted_rows < min(MIN_SORTED_ROWS, settings.large_table_rows):
        return
    equal = sorted(equality_columns(select) - {column for column, _ in keys})
    wanted = equal + [column for column, _ in keys]
    if _served(catalog, table["table"], equal, [column for column, _ in keys]):
        return
    yield located(
        query,
        message=(f"ORDER BY {', '.join(c + (' DESC' if d else '') for c, d in keys)} sorts ~{sorted_rows:.0f} rows "
                 f"of {table['table']} (~{table['est_rows']} rows): no index serves "
                 f"{'the WHERE equality columns then ' if equal else ''}the ORDER BY"),
        object=table["table"], columns=wanted, evidence=describe(sort),
        fix=create_index(table["table"], wanted, partitioned=table["kind"] == "partitioned"),
        confidence=Confidence.high if sorted_rows >= settings.large_table_rows else Confidence.medium,
        extra={"index_columns": wanted},
    )


def _input_rows(sort: Node) -> float:
    """Rows fed to the sort (a top-N sort returns only the LIMIT's few)."""
    source = sort.children[0] if sort.children else sort
    if "Actual Rows" in source.data:
        return float(source.get("Actual Rows") or 0) * max(source.get("Actual Loops", 1), 1)
    return float(source.get("Plan Rows") or 0)


def _served(catalog: Catalog, table: str, equal: list[str], ordered: list[str]) -> bool:
    """Some valid btree index starts with the equality columns (any order), then the ORDER BY."""
    n = len(equal)
    for index in catalog.rows("indexes"):
        if index["table"] != table or not index["valid"] or index["method"] != "btree" or index["predicate"]:
            continue
        columns = list(index["columns"])
        if len(columns) < n + len(ordered):
            continue
        if set(columns[:n]) == set(equal) and columns[n:n + len(ordered)] == ordered:
            return True
    return False
