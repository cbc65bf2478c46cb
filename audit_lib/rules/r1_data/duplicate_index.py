"""R1.duplicate-index: an index made redundant by another index on the same table.

## What it does
Reports a btree index whose key columns are a leading prefix of (or the same as)
another valid index's on the same table, with the same predicate, operator classes,
collations and sort order, and no INCLUDE columns the wider index lacks. A unique
index that backs a constraint on fewer columns is not redundant (the wider index
cannot enforce that uniqueness); of two equal indexes the one that does not back a
constraint is reported. On a partition, an index attached to the parent's index is
judged on the parent; one created on the partition alone is compared like any other.

## Why is this bad?
Every INSERT, and every UPDATE of an indexed column, writes each index: a redundant
one costs write throughput, WAL, vacuum work and cache memory and serves no query the
other index cannot.

## Example
```sql
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at);
```

## Use instead
```sql
DROP INDEX CONCURRENTLY orders_customer_idx;  -- orders_customer_created_idx serves its queries
```
"""

from __future__ import annotations

from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import ident
from audit_lib.pg.model import Catalog
from audit_lib.registry import rule
from audit_lib.settings import Settings


@rule("R1.duplicate-index", on="catalog", scope="db", severity="low", needs=("indexes", "index_details"))
def check(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    details = {(d["table"], d["name"]): d for d in catalog.rows("index_details")}
    by_table: dict[str, list[dict]] = {}
    for index in catalog.rows("indexes"):
        detail = details.get((index["table"], index["name"]))
        if detail is None or not index["valid"] or index["method"] != "btree":
            continue
        by_table.setdefault(index["table"], []).append({**index, **detail})
    for indexes in by_table.values():
        reported: set[str] = set()
        for index in indexes:
            for other in indexes:
                if other is index or other["name"] in reported or index["name"] in reported:
                    continue
                if _redundant(index, other):
                    reported.add(index["name"])
                    yield _finding(index, other)


def _redundant(index: dict, other: dict) -> bool:
    """True when ``other`` serves everything ``index`` does and ``index`` may be dropped."""
    n = len(index["columns"])
    if n > len(other["columns"]) or index["predicate"] != other["predicate"]:
        return False
    for key in ("columns", "opclasses", "collations", "options"):
        if list(index[key][:n]) != list(other[key][:n]):
            return False
    if not set(index["include"]) <= set(other["columns"]) | set(other["include"]):
        return False
    if index["attached"]:
        return False  # a partition's copy of its parent's index: judged on the parent
    if n < len(other["columns"]):
        return not index["is_unique"]
    return _weaker_of_equals(index, other)


def _weaker_of_equals(index: dict, other: dict) -> bool:
    """Of two indexes on the same keys, the one to drop (exactly one of the pair)."""
    def strength(ix: dict) -> tuple:
        return (ix["is_primary"], ix["constraint"] is not None, ix["is_unique"], ix["attached"])

    if strength(index) != strength(other):
        return strength(index) < strength(other)
    if index["constraint"] is not None:
        return False  # two constraints on the same keys: dropping either changes the schema's contract
    return index["name"] > other["name"]


def _finding(index: dict, other: dict) -> Finding:
    same = len(index["columns"]) == len(other["columns"])
    relation = "duplicates" if same else "is a leading prefix of"
    schema = index["table"].partition(".")[0]
    name = f"{ident(schema)}.{ident(index['name'])}"
    if index["constraint"] is not None:
        fix = f"ALTER TABLE ... DROP CONSTRAINT {ident(index['constraint'])}; ({other['name']} already enforces it)"
    else:
        fix = f"DROP INDEX CONCURRENTLY {name};"
    return Finding(
        message=(f"index {index['name']} ({', '.join(index['columns'])}) {relation} "
                 f"{other['name']} ({', '.join(other['columns'])}) on {index['table']}"),
        object=index["table"],
        columns=list(index["columns"]),
        evidence=index["definition"],
        fix=fix,
        confidence=Confidence.high if same else Confidence.medium,
        extra={"index": index["name"], "kept": other["name"], "size_bytes": index["size_bytes"]},
    )
