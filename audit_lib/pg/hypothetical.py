"""What an index a finding proposes would do: plan cost before and after, with hypopg.

hypopg creates hypothetical indexes in the session's memory only (nothing is written,
it works in a read-only session); they are dropped with ``hypopg_reset()`` after each
finding and vanish with the session.
"""

from __future__ import annotations

import dataclasses

import psycopg

from audit_lib.findings import Finding
from audit_lib.pg import plans, session
from audit_lib.pg.ddl import ident, qualified_table
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

MAX_FINDINGS = 50
MAX_QUERIES_PER_FINDING = 5
NOT_INSTALLED = "hypopg is not installed in the audited database: missing-index findings show no plan cost before/after"


def what_if(dsn: str, findings: list[Finding], queries: list[FoundQuery], settings: Settings) -> str | None:
    """Add the plan cost before/after each proposed index to its finding's message.

    Returns why it could not be done (to be reported once), or None.
    """
    by_id = {q.id: q for q in queries}
    candidates = [f for f in findings if f.extra.get("index_columns") and f.object
                  and any(q in by_id and by_id[q].plan is not None for q in f.queries)][:MAX_FINDINGS]
    if not candidates:
        return None
    try:
        with session.connect(dsn, settings) as conn:
            if not conn.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg')").fetchone()[0]:
                return NOT_INSTALLED
            for finding in candidates:
                planned = [by_id[q] for q in finding.queries if q in by_id and by_id[q].plan is not None]
                _compare(conn, finding, planned[:MAX_QUERIES_PER_FINDING])
    except (session.DatabaseUnavailable, psycopg.Error) as exc:
        return f"hypothetical indexes not tried: {session.first_line(exc)}"
    return None


def _compare(conn: psycopg.Connection, finding: Finding, queries: list[FoundQuery]) -> None:
    columns = ", ".join(ident(c) for c in finding.extra["index_columns"])
    ddl = f"CREATE INDEX ON {qualified_table(finding.object)} ({columns})"
    before = {q.id: _cost(conn, q) for q in queries}
    try:
        conn.execute("SELECT * FROM hypopg_create_index(%s)", (ddl,))
    except psycopg.Error as exc:  # e.g. a partitioned table, which hypopg does not index
        finding.extra["hypothetical"] = {"error": session.first_line(exc)}
        return
    try:
        after = {q.id: _cost(conn, q) for q in queries}
    finally:
        conn.execute("SELECT hypopg_reset()")
    costs = {qid: (before[qid], after[qid]) for qid in before if before[qid] is not None and after[qid] is not None}
    finding.extra["hypothetical"] = {qid: {"before": b, "after": a} for qid, (b, a) in costs.items()}
    if costs:
        text = ", ".join(f"{qid} {b:,.0f} -> {a:,.0f}" for qid, (b, a) in costs.items())
        finding.message += f" (plan cost with this index, by hypopg: {text})"


def _cost(conn: psycopg.Connection, query: FoundQuery) -> float | None:  # posture: ignore[T.float-money] EXPLAIN cost units, not money
    probe = dataclasses.replace(query, plan=None, plan_error=None, analyzed=False)
    plans.plan_query(conn, probe, Settings(explain_analyze=False))
    return probe.plan["Plan"].get("Total Cost") if probe.plan else None
