"""R1.unused-index: an index no query has used since the statistics were reset.

## What it does
Reports valid indexes with zero scans in `pg_stat_all_indexes` that do not back a
primary key, unique or exclusion constraint and are not unique. The finding says
since when the scans have been counted (the database's statistics reset, or the
server's start), so the reader can judge whether that covers a full business cycle.
A partitioned table's index counts its partitions' scans; the partitions' copies of it
are not reported one by one.
Scans are counted per server: an index used only on a replica shows zero here.

## Why is this bad?
An index nobody reads still costs every write, WAL volume, vacuum time, backup size
and shared buffers.

## Example
```sql
CREATE INDEX orders_note_idx ON orders (note);  -- idx_scan = 0 for months
```

## Use instead
```sql
DROP INDEX CONCURRENTLY orders_note_idx;  -- after checking replicas and monthly jobs
```
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import ident
from audit_lib.pg.model import Catalog
from audit_lib.registry import rule
from audit_lib.settings import Settings

WELL_OBSERVED_DAYS = 7


@rule("R1.unused-index", on="catalog", scope="db", severity="info", needs=("indexes", "index_details", "stats_reset"))
def check(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    since, days = _counting_since(catalog)
    attached = {(d["table"], d["name"]) for d in catalog.rows("index_details") if d["attached"]}
    for index in catalog.rows("indexes"):
        if index["scans"] or not index["valid"] or index["is_unique"] or index["constraint"] is not None:
            continue
        if (index["table"], index["name"]) in attached:
            continue  # a partition's copy of its parent's index: the parent's counts its scans
        schema = index["table"].partition(".")[0]
        yield Finding(
            message=f"index {index['name']} on {index['table']} has not been scanned since {since}",
            object=index["table"],
            columns=list(index["columns"]),
            evidence=f"{index['name']}: idx_scan = 0, {index['size_bytes']} bytes",
            fix=f"DROP INDEX CONCURRENTLY {ident(schema)}.{ident(index['name'])}; "
                "(first check replicas and rare jobs: scans are counted on this server only)",
            confidence=Confidence.medium if days is not None and days >= WELL_OBSERVED_DAYS else Confidence.low,
            extra={"index": index["name"], "stats_since": since},
        )


def _counting_since(catalog: Catalog) -> tuple[str, float | None]:
    """When the scan counts started, as text, and how many days they cover."""
    rows = catalog.rows("stats_reset")
    if not rows:
        return "an unknown time", None
    row = rows[0]
    start: datetime | None = row["stats_reset"]
    label = "the statistics reset at"
    if start is None:
        start, label = row["server_started"], "at least the server start (statistics never reset) at"
    days = (row["collected_at"] - start).total_seconds() / 86400
    return f"{label} {start:%Y-%m-%d %H:%M %Z} ({days:.1f} days)".replace(" )", ")"), days
