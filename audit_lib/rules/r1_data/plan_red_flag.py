"""R1.plan-red-flag: the plan of a query found in the code shows a known costly pattern.

## What it does
Reads the EXPLAIN plan of each query the code sends and reports:
- a Seq Scan of a table above `large_table_rows` (default 10,000) whose filter keeps at
  most `selective_filter_fraction` (default 10%) of the rows: an index would read only those;
- a Sort or Hash that spilled to disk (seen with `explain_analyze`);
- a row estimate off by `estimate_error_factor` (default 10x) or more (with
  `explain_analyze`), reported at the deepest node where it starts;
- a Nested Loop whose inner side is a sequential scan of a table that is not tiny,
  re-read for every outer row.
Plans that use indexes and scans of tiny tables are not reported.

## Why is this bad?
R1 asks that no complex query ships without its plan having been read. These are the
patterns a reviewer looks for first: each one grows with the data, so a query that is
fast in development becomes the slowest one in production.

## Example
```sql
SELECT id, created_at FROM orders WHERE status = 'refunded';
-- Seq Scan on orders (Filter: status = 'refunded') rows=42 of 60,000
```

## Use instead
```sql
CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
-- or, for a rare fixed value: CREATE INDEX ... ON orders (created_at) WHERE status = 'refunded';
```
"""

from __future__ import annotations

import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import create_index
from audit_lib.pg.model import Catalog
from audit_lib.pg.plan_tree import Node, describe, located, nodes, scans_below, table_row
from audit_lib.registry import rule
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

SEQ_SCANS = {"Seq Scan", "Parallel Seq Scan"}
MIN_MISESTIMATED_ROWS = 100
NESTED_LOOP_WORK_FACTOR = 100  # outer rows x inner table rows above this many large tables is a red flag
_COMPARED_COLUMN = re.compile(r"(?:\b(\w+)\.)?\b([a-z_][a-z0-9_]*)\)?(?:::\w+(?:\s\w+)*)?\s*(?:=|<>|<=|>=|<|>|~~\*?|IS\b)")


@rule("R1.plan-red-flag", on="plan", scope="sql+db", severity="medium")
def check(query: FoundQuery, catalog: Catalog | None, settings: Settings) -> Iterator[Finding]:
    if query.plan is None:
        return
    plan_nodes = list(nodes(query.plan))
    for node in plan_nodes:
        finding = (_selective_seq_scan(query, node, catalog, settings) or _spill(query, node, catalog)
                   or _nested_loop_over_seq_scan(query, node, catalog, settings))
        if finding is not None:
            yield finding
    if query.analyzed:
        yield from _misestimates(query, plan_nodes, catalog, settings)


def _selective_seq_scan(query: FoundQuery, node: Node, catalog: Catalog | None,
                        settings: Settings) -> Finding | None:
    if node.type not in SEQ_SCANS or not node.get("Filter"):
        return None
    table = table_row(catalog, node)
    if table is None or table["est_rows"] < settings.large_table_rows:
        return None
    if "Actual Rows" in node.data:
        kept = node.get("Actual Rows", 0) * max(node.get("Actual Loops", 1), 1)
        removed = node.get("Rows Removed by Filter", 0) * max(node.get("Actual Loops", 1), 1)
        fraction = kept / max(kept + removed, 1)
    else:
        fraction = node.get("Plan Rows", 0) * _participants(node) / max(table["est_rows"], 1)
    if fraction > settings.selective_filter_fraction:
        return None
    columns = _filter_columns(node.get("Filter"), node)
    fix = create_index(table["table"], columns, partitioned=table["kind"] == "partitioned") if columns else \
        f"index the columns of the filter on {table['table']}"
    return located(
        query,
        message=(f"sequential scan of {table['table']} (~{table['est_rows']} rows) keeps about "
                 f"{fraction * table['est_rows']:.0f} of them ({fraction:.2%}): an index would read only those"),
        object=table["table"], columns=columns or None, evidence=describe(node), fix=fix,
        confidence=Confidence.high if query.analyzed else Confidence.medium,
        extra={"index_columns": columns},
    )


def _spill(query: FoundQuery, node: Node, catalog: Catalog | None) -> Finding | None:
    if node.type == "Sort" and node.get("Sort Space Type") == "Disk":
        size = f"{node.get('Sort Space Used', '?')} kB"
        what = f"sort on {', '.join(node.get('Sort Key', []))} spilled {size} to disk ({node.get('Sort Method')})"
        fix = ("serve the ORDER BY from an index or sort fewer/narrower rows; else raise work_mem for this "
               "query only (SET LOCAL work_mem = ...)")
    elif node.type == "Hash" and (node.get("Hash Batches") or 1) > 1:
        what = (f"hash of ~{node.get('Actual Rows', node.get('Plan Rows'))} rows spilled to disk in "
                f"{node.get('Hash Batches')} batches")
        fix = ("hash fewer rows (filter before the join, select fewer columns); else raise work_mem or "
               "hash_mem_multiplier for this query only")
    else:
        return None
    tables = [table_row(catalog, scan) for scan in scans_below(node)]
    names = sorted({t["table"] for t in tables if t})
    return located(query, message=what, object=names[0] if len(names) == 1 else None,
                   evidence=describe(node), fix=fix, confidence=Confidence.high)


def _nested_loop_over_seq_scan(query: FoundQuery, node: Node, catalog: Catalog | None,
                               settings: Settings) -> Finding | None:
    if node.type != "Nested Loop":
        return None
    children = {child.get("Parent Relationship"): child for child in node.children}
    outer, inner = children.get("Outer"), children.get("Inner")
    while inner is not None and inner.type == "Materialize" and inner.children:
        inner = inner.children[0]
    if outer is None or inner is None or inner.type not in SEQ_SCANS:
        return None
    table = table_row(catalog, inner)
    outer_rows = (outer.get("Actual Rows", outer.get("Plan Rows", 0)) or 0) * _participants(outer)
    if table is None or outer_rows < 2:
        return None
    if outer_rows * table["est_rows"] < NESTED_LOOP_WORK_FACTOR * settings.large_table_rows:
        return None
    columns = _join_columns(node, inner)
    fix = create_index(table["table"], columns) if columns else f"index the join column of {table['table']}"
    return located(
        query,
        message=(f"nested loop re-reads {table['table']} (~{table['est_rows']} rows) sequentially for each "
                 f"of ~{outer_rows:.0f} outer rows: the join column has no usable index"),
        object=table["table"], columns=columns or None,
        evidence=f"{describe(node)} -> inner {describe(inner)}", fix=fix, confidence=Confidence.medium,
        extra={"index_columns": columns},
    )


def _misestimates(query: FoundQuery, plan_nodes: list[Node], catalog: Catalog | None,
                  settings: Settings) -> Iterator[Finding]:
    wrong = [n for n in plan_nodes if _estimate_ratio(n) >= settings.estimate_error_factor]
    wrong_ids = {id(n.data) for n in wrong}
    for node in wrong:
        if any(id(d.data) in wrong_ids for d in _descendants(node)):
            continue  # the error starts lower down and is reported there
        planned, actual = node.get("Plan Rows"), node.get("Actual Rows")
        table = table_row(catalog, node)
        columns = _filter_columns(node.get("Filter") or node.get("Index Cond"), node)
        name = table["table"] if table else node.relation
        if name and len(columns) >= 2:
            fix = f"CREATE STATISTICS (dependencies, ndistinct) ON {', '.join(columns)} FROM {name}; ANALYZE {name};"
        elif name:
            fix = f"ANALYZE {name}; if it stays wrong, raise the statistics target of the filtered column"
        else:
            fix = "ANALYZE the tables below this node; CREATE STATISTICS for correlated columns"
        yield located(
            query,
            message=(f"{node.type} estimated {planned} rows but produced {actual:.0f} "
                     f"({_estimate_ratio(node):.0f}x off): the plan above it is chosen on wrong numbers"),
            object=name, columns=columns or None,
            evidence=describe(node), fix=fix, confidence=Confidence.high,
        )


def _estimate_ratio(node: Node) -> float:
    if "Actual Rows" not in node.data or not node.get("Actual Loops"):
        return 0.0
    planned, actual = float(node.get("Plan Rows") or 0), float(node.get("Actual Rows") or 0)
    if max(planned, actual) < MIN_MISESTIMATED_ROWS:
        return 0.0
    if actual < planned and _stopped_early(node):
        return 0.0
    return max(planned, actual) / max(min(planned, actual), 1.0)


def _stopped_early(node: Node) -> bool:
    """Under a LIMIT a node is read only until enough rows came up: fewer is no error."""
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.type == "Limit":
            return True
        ancestor = ancestor.parent
    return False


def _descendants(node: Node) -> Iterator[Node]:
    for child in node.children:
        yield child
        yield from _descendants(child)


def _participants(node: Node) -> int:
    """Parallel nodes estimate rows per process: count the leader and the planned workers."""
    if not node.get("Parallel Aware"):
        return 1
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.type in ("Gather", "Gather Merge"):
            return 1 + int(ancestor.get("Workers Planned", 0))
        ancestor = ancestor.parent
    return 1


def _filter_columns(condition: str | None, node: Node) -> list[str]:
    """Columns compared in a plan condition, in order of appearance (quoted strings skipped)."""
    if not condition:
        return []
    text = re.sub(r"'(?:[^']|'')*'", "''", condition)
    alias = node.get("Alias")
    columns: list[str] = []
    for qualifier, column in _COMPARED_COLUMN.findall(text):
        if qualifier and alias and qualifier != alias:
            continue
        if column not in columns and column not in ("null", "true", "false", "any", "text"):
            columns.append(column)
    return columns


def _join_columns(loop: Node, inner: Node) -> list[str]:
    condition = loop.get("Join Filter") or inner.get("Filter") or ""
    alias = inner.get("Alias") or inner.relation
    return [column for qualifier, column in re.findall(r"\b(\w+)\.(\w+)\b", condition) if qualifier == alias][:1]
