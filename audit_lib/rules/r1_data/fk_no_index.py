"""R1.fk-no-index: a foreign key with no index on the referencing columns.

## What it does
Reports a foreign key whose columns are not the leading columns (in any order among
the first n) of some valid, non-partial btree or hash index on the referencing table.
Self-referencing keys (adjacency lists: `parent_id REFERENCES same_table`) are
included; a partitioned table is judged on its parent, where the key is declared.

## Why is this bad?
Every DELETE or key UPDATE on the referenced table must look up the referencing rows:
without an index that is a sequential scan of the child table, under a lock, per
parent row. Joins from parent to children (the graph edges R1 asks to model) and
tree walks over an adjacency list pay the same scan.

## Example
```sql
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id)
);
```

## Use instead
```sql
CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
```

## References
- PostgreSQL docs, Foreign Keys: https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
"""

from __future__ import annotations

from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import create_index
from audit_lib.pg.model import Catalog
from audit_lib.registry import rule
from audit_lib.settings import Settings


@rule("R1.fk-no-index", on="catalog", scope="db", severity="high", needs=("foreign_keys", "tables"))
def check(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    tables = {t["table"]: t for t in catalog.rows("tables")}
    for fk in catalog.rows("foreign_keys"):
        if fk["covered"]:
            continue
        table = tables.get(fk["table"], {})
        rows = table.get("est_rows", 0)
        columns = list(fk["columns"])
        self_reference = fk["table"] == fk["ref_table"]
        kind = "self-referencing foreign key" if self_reference else "foreign key"
        yield Finding(
            message=(f"{kind} {fk['table']}({', '.join(columns)}) -> {fk['ref_table']}"
                     f"({', '.join(fk['ref_columns'])}) has no covering index: each delete or key update on "
                     f"{fk['ref_table']} and each join scans the ~{rows} rows of {fk['table']}"),
            object=fk["table"],
            columns=columns,
            evidence=fk["name"],
            fix=create_index(fk["table"], columns, partitioned=table.get("kind") == "partitioned"),
            confidence=Confidence.high,
            extra={"index_columns": columns, "table_rows": rows},
        )
