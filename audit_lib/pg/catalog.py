"""Collecting the catalog: one set-based query per dataset, each in its own transaction.

Every dataset is the query in ``sql/<dataset>.sql``. A dataset that cannot be read
(no privilege, timeout, a server too old for it) is recorded in
``Catalog.unavailable`` with the reason; the other datasets are still collected.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Iterable

import psycopg
from psycopg.rows import dict_row

from audit_lib.pg.model import Catalog
from audit_lib.pg.session import can_read_all_stats, connection_label
from audit_lib.redact import redact_secrets
from audit_lib.settings import Settings


def available_datasets() -> set[str]:
    folder = resources.files("audit_lib.pg") / "sql"
    return {entry.name[: -len(".sql")] for entry in folder.iterdir() if entry.name.endswith(".sql")}


@cache
def dataset_query(name: str) -> str:
    return (resources.files("audit_lib.pg") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


# Datasets a role reads without an error but only in part: without this role, other
# sessions' state and query are hidden, and a rule would judge rows it cannot see.
ROLE_NEEDED = {"activity": "pg_read_all_stats"}


def collect(conn: psycopg.Connection, needs: Iterable[str], settings: Settings) -> Catalog:
    """Read each needed dataset; never raises for a dataset that fails."""
    catalog = Catalog(database=connection_label(conn), server_version=conn.info.server_version)
    known = available_datasets()
    for name in sorted(set(needs)):
        if name not in known:
            catalog.unavailable[name] = "no collector for this dataset"
            continue
        role = ROLE_NEEDED.get(name)
        if role and not can_read_all_stats(conn):
            catalog.unavailable[name] = (
                f"the audit's role is not a member of {role}, so other sessions are hidden from it "
                f"(GRANT {role} TO the role to audit them)"
            )
            continue
        try:
            catalog.datasets[name] = _read(conn, dataset_query(name))
        except psycopg.Error as exc:
            catalog.unavailable[name] = _reason(exc)
    return catalog


def _read(conn: psycopg.Connection, query: str) -> list[dict]:
    """One dataset in its own transaction (a savepoint when one is already open)."""
    with conn.transaction():
        with conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(query, prepare=False)
            return [dict(row) for row in cursor.fetchall()]


def _reason(exc: psycopg.Error) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    state = getattr(exc, "sqlstate", None)
    return redact_secrets(f"{text} (SQLSTATE {state})" if state else text)
