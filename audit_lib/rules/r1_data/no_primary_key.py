"""R1.no-primary-key: a table with no primary key.

## What it does
Reports ordinary and partitioned tables that have no primary key. Views are not
tables; a partition is judged through its parent (the parent's key covers it). A
table that already has a unique index on NOT NULL columns is still reported, with
medium confidence, and the fix promotes that index.

## Why is this bad?
Without a key, rows cannot be addressed one by one: duplicates creep in, ORMs and
upserts cannot target a row, logical replication cannot replicate UPDATE and DELETE,
and other tables have nothing to reference.

## Example
```sql
CREATE TABLE audit_events (occurred_at timestamptz, actor text, action text);
```

## Use instead
```sql
CREATE TABLE audit_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL, actor text NOT NULL, action text NOT NULL
);
```
"""

from __future__ import annotations

from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import ident, qualified_table
from audit_lib.pg.model import Catalog
from audit_lib.registry import rule
from audit_lib.settings import Settings


@rule("R1.no-primary-key", on="catalog", scope="db", severity="medium", needs=("tables", "indexes", "columns"))
def check(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    not_null = {(c["table"], c["column"]) for c in catalog.rows("columns") if not c["nullable"]}
    for table in catalog.rows("tables"):
        if table["kind"] == "partition" or table["has_primary_key"]:
            continue
        name = table["table"]
        key = _unique_not_null_index(catalog, name, not_null)
        target = qualified_table(name)
        kind = "partitioned table" if table["kind"] == "partitioned" else "table"
        if key is not None:
            yield Finding(
                message=f"table {name} has no primary key (unique index {key['name']} could be promoted)",
                object=name,
                evidence=f"{kind}, ~{table['est_rows']} rows, unique index {key['name']}",
                fix=_promote(target, table["name"], key),
                confidence=Confidence.medium,
            )
            continue
        yield Finding(
            message=f"table {name} has no primary key",
            object=name,
            evidence=f"{kind}, ~{table['est_rows']} rows, no primary key or unique key",
            fix=(f"ALTER TABLE {target} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY; "
                 "or declare the natural key: ALTER TABLE ... ADD PRIMARY KEY (...)"),
            confidence=Confidence.high,
        )


def _unique_not_null_index(catalog: Catalog, table: str, not_null: set[tuple[str, str]]) -> dict | None:
    for index in catalog.rows("indexes"):
        if (index["table"] == table and index["is_unique"] and index["valid"] and index["predicate"] is None
                and index["method"] == "btree"
                and all((table, column) in not_null for column in index["columns"])):
            return index
    return None


def _promote(target: str, name: str, key: dict) -> str:
    columns = ", ".join(ident(c) for c in key["columns"])
    if key["constraint"] is not None:  # an index owned by a constraint cannot be taken over
        return (f"ALTER TABLE {target} ADD PRIMARY KEY ({columns}); then drop the now redundant "
                f"{ident(key['constraint'])} once nothing references it")
    return f"ALTER TABLE {target} ADD CONSTRAINT {ident(name + '_pkey')} PRIMARY KEY USING INDEX {ident(key['name'])};"
