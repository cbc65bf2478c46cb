"""R4.idle-in-transaction: sessions holding a transaction open while doing nothing, and
connection counts close to the server's limit.

## What it does
Reports sessions of the audited database that `pg_stat_activity` shows `idle in
transaction` for longer than `idle_in_transaction_seconds` (default 60), and the
server when its client connections exceed `connection_saturation` (default 80%) of
the connections usable by applications (`max_connections` minus reserved slots).

## Why is this bad?
An open transaction holds its locks and its snapshot: writers queue behind the locks,
and vacuum cannot remove dead rows newer than the snapshot, so tables and indexes
bloat. It is the database-side mark of a leaked connection or of code that does
network calls or user waits inside a transaction. Near `max_connections`, the next
deploy or traffic spike gets "too many clients" errors.

## Example
```python
conn = pool.getconn()
cur = conn.execute("SELECT ... FOR UPDATE")
requests.post(url, json=payload, timeout=30)  # the transaction idles meanwhile
```

## Use instead
```python
with pool.connection() as conn, conn.transaction():
    row = conn.execute("SELECT ... FOR UPDATE").fetchone()
requests.post(url, json=payload, timeout=30)
```
and as a safety net `ALTER DATABASE app SET idle_in_transaction_session_timeout = '60s'`.
"""

from __future__ import annotations

from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.model import Catalog
from audit_lib.redact import redact_secrets
from audit_lib.registry import rule
from audit_lib.settings import Settings

IDLE_STATES = ("idle in transaction", "idle in transaction (aborted)")


@rule("R4.idle-in-transaction", on="catalog", scope="db", severity="high", needs=("activity", "server_settings"))
def check(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    sessions = catalog.rows("activity")
    yield from _idle_sessions(sessions, settings)
    saturation = _saturation(sessions, catalog.rows("server_settings"), settings)
    if saturation is not None:
        yield saturation


def _idle_sessions(sessions: list[dict], settings: Settings) -> Iterator[Finding]:
    for session in sessions:
        if not session["this_database"] or session["state"] not in IDLE_STATES:
            continue
        idle = session["state_seconds"] or 0.0
        if idle < settings.idle_in_transaction_seconds:
            continue
        who = session["application_name"] or "(no application_name)"
        last = " ".join((session["query"] or "").split())
        yield Finding(
            message=(f"session {session['pid']} ({who}, user {session['user']}) has been {session['state']} "
                     f"for {idle:.0f}s (transaction open {session['transaction_seconds'] or idle:.0f}s)"),
            object=f"{session['database']}:session:{who}",
            evidence=redact_secrets(f"last statement: {last}" if last else "no statement recorded"),
            fix=("find where this application opens the transaction and close it (with conn.transaction(): "
                 "around the statements only); set idle_in_transaction_session_timeout as a safety net"),
            confidence=Confidence.high,
            extra={"pid": session["pid"], "application_name": session["application_name"], "idle_seconds": idle},
        )


def _saturation(sessions: list[dict], server_settings: list[dict], settings: Settings) -> Finding | None:
    values = {row["name"]: int(row["setting"]) for row in server_settings
              if row["setting"] is not None and row["setting"].lstrip("-").isdigit()}
    if "max_connections" not in values:
        return None
    reserved = values.get("superuser_reserved_connections", 0) + values.get("reserved_connections", 0)
    usable = max(values["max_connections"] - reserved, 1)
    in_use = len(sessions) + 1  # the audit's own session is not listed
    if in_use <= settings.connection_saturation * usable:
        return None
    by_app: dict[str, int] = {}
    for session in sessions:
        key = session["application_name"] or "(none)"
        by_app[key] = by_app.get(key, 0) + 1
    top = ", ".join(f"{app}: {count}" for app, count in sorted(by_app.items(), key=lambda kv: -kv[1])[:5])
    return Finding(
        message=(f"{in_use} client connections use {in_use / usable:.0%} of the {usable} available "
                 f"(max_connections {values['max_connections']} minus {reserved} reserved)"),
        object="server:connections",
        evidence=f"by application: {top}",
        fix="put a pooler (PgBouncer, psycopg_pool with max_size) in front and size pools to the server; "
            "close leaked connections",
        confidence=Confidence.high,
        extra={"in_use": in_use, "usable": usable},
    )
