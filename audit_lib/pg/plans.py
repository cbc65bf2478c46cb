"""EXPLAIN for every query found in the code, over a small pool of read-only sessions.

Text taken from the audited code is never executed: it is only ever wrapped in
EXPLAIN (or in PREPARE, on servers without ``EXPLAIN (GENERIC_PLAN)``) and sent through
the extended query protocol, where the server refuses more than one statement, so
``SELECT 1; DROP TABLE t`` fails to parse instead of running the DROP. Every plan is
taken in its own transaction, rolled back; ANALYZE runs only when asked, only for
queries without parameters (a query run with NULL arguments measures nothing), and
only for reads unless writes are explicitly allowed.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from typing import Iterable

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool

from audit_lib.pg.session import connection_kwargs, verify_read_only
from audit_lib.redact import redact_secrets
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

PLANNABLE = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES"}
READS = {"SELECT", "VALUES"}
GENERIC_PLAN_VERSION = 160000
_WRITE_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.I)
_statement_names = count(1)


class PlanError(Exception):
    """The server could not plan a query; the message is one redacted line."""


def plan_queries(dsn: str, queries: Iterable[FoundQuery], settings: Settings) -> None:
    """Fill ``plan`` or ``plan_error`` of each query; never raises for one query's failure."""
    todo: list[FoundQuery] = []
    for query in queries:
        reason = unplannable_reason(query)
        if reason:
            query.plan_error = reason
        else:
            todo.append(query)
    if not todo:
        return
    kwargs = {**connection_kwargs(dsn, settings), "autocommit": True}
    try:
        with psycopg.connect(**kwargs):  # fail fast, once, rather than per query after pool retries
            pass
    except psycopg.Error as exc:
        why = f"database unavailable for planning: {_one_line(exc)}"
        for query in todo:
            query.plan_error = why
        return
    workers = max(1, min(settings.plan_workers, len(todo)))
    pool = ConnectionPool(kwargs=kwargs, min_size=1, max_size=workers, open=False, configure=verify_read_only,
                          timeout=30, name="posture-audit-plans")
    pool.open(wait=False)
    with pool, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plan") as executor:
        list(executor.map(lambda q: _plan_with_pool(pool, q, settings), todo))


def unplannable_reason(query: FoundQuery) -> str | None:
    if query.parse_error:
        return f"not planned: the query did not parse ({_one_line(query.parse_error)})"
    if query.kind not in PLANNABLE:
        return f"not planned: only SELECT/INSERT/UPDATE/DELETE/WITH/VALUES are explained, not {query.kind or 'empty'}"
    return None


def _plan_with_pool(pool: ConnectionPool, query: FoundQuery, settings: Settings) -> None:
    try:
        with pool.connection() as conn:
            plan_query(conn, query, settings)
    except Exception as exc:  # one query's failure (a lost connection, a pool timeout) stays its own
        query.plan, query.analyzed, query.plan_error = None, False, f"not planned: {type(exc).__name__}: {_one_line(exc)}"


def plan_query(conn: psycopg.Connection, query: FoundQuery, settings: Settings, *,
               generic_plan_option: bool | None = None) -> None:
    """Plan one query on an autocommit connection; sets ``plan`` or ``plan_error``.

    A query with $n parameters is planned through PREPARE and a forced generic plan on
    every server version: ``EXPLAIN (GENERIC_PLAN)`` would need its parameters bound
    through the extended protocol, and bound parameters (even NULLs) make a custom plan.
    """
    if generic_plan_option is None:
        generic_plan_option = conn.info.server_version >= GENERIC_PLAN_VERSION
    text = query.normalized.strip().rstrip(";")
    try:
        parameters = _parameter_count(conn, text)
        if settings.explain_analyze and parameters == 0 and _may_analyze(query, settings):
            try:
                query.plan, query.analyzed = _explain_analyze(conn, text, settings, writes=query.kind not in READS), True
                query.plan_error = None
                return
            except PlanError:
                pass  # e.g. a constraint the rolled-back run hit: the estimated plan still says a lot
        if parameters == 0:
            option = "GENERIC_PLAN, " if generic_plan_option else ""
            query.plan, query.analyzed = _explain(conn, f"EXPLAIN ({option}FORMAT JSON) {text}"), False
        else:
            query.plan, query.analyzed = _explain_prepared(conn, text), False
        query.plan_error = None
    except PlanError as exc:
        query.plan, query.analyzed, query.plan_error = None, False, str(exc)


def _may_analyze(query: FoundQuery, settings: Settings) -> bool:
    is_read = query.kind in READS or (query.kind == "WITH" and not _WRITE_IN_WITH.search(query.normalized))
    return is_read or settings.explain_analyze_writes


def _explain(conn: psycopg.Connection, explain: str) -> dict:
    with conn.transaction(force_rollback=True):
        return _first_plan(_run_extended(conn, explain))


def _explain_prepared(conn: psycopg.Connection, text: str) -> dict:
    """PostgreSQL 15 and older: PREPARE, a generic plan of EXECUTE with NULLs, DEALLOCATE.

    A prepared statement is not transactional: it is dropped after the transaction,
    whatever happened in it.
    """
    name = f"posture_audit_{next(_statement_names)}"
    _run_extended(conn, f"PREPARE {name} AS {text}")
    try:
        with conn.transaction(force_rollback=True):
            _run_extended(conn, "SET LOCAL plan_cache_mode = force_generic_plan")
            rows = _run_extended(conn, "SELECT cardinality(parameter_types) FROM pg_prepared_statements "
                                       f"WHERE name = '{name}'")
            arguments = ", ".join(["NULL"] * int(rows[0][0] or 0))
            execute = f"EXECUTE {name}({arguments})" if arguments else f"EXECUTE {name}"
            return _first_plan(_run_extended(conn, f"EXPLAIN (FORMAT JSON) {execute}"))
    finally:
        _run_extended(conn, f"DEALLOCATE {name}")


def _explain_analyze(conn: psycopg.Connection, text: str, settings: Settings, *, writes: bool) -> dict:
    with conn.transaction(force_rollback=True):
        if writes:
            _run_extended(conn, "SET TRANSACTION READ WRITE")
        _run_extended(conn, f"SET LOCAL statement_timeout = {int(settings.statement_timeout_ms)}")
        return _first_plan(_run_extended(conn, f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}"))


def _parameter_count(conn: psycopg.Connection, text: str) -> int:
    """How many $n parameters the server finds in ``text`` (Parse + Describe, nothing run)."""
    pgconn = conn.pgconn
    result = pgconn.prepare(b"", text.encode(conn.info.encoding))
    _check(result)
    described = pgconn.describe_prepared(b"")
    _check(described)
    return described.nparams


def _run_extended(conn: psycopg.Connection, text: str, nparams: int = 0) -> list[tuple]:
    """Send one statement through the extended protocol; rows as text values."""
    result = conn.pgconn.exec_params(text.encode(conn.info.encoding), [None] * nparams)
    _check(result)
    return [tuple(_text(result.get_value(row, col)) for col in range(result.nfields))
            for row in range(result.ntuples)]


def _check(result: pq.abc.PGresult) -> None:
    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return
    message = result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or result.error_message or b"error"
    raise PlanError(_one_line(message.decode("utf-8", "replace")))


def _first_plan(rows: list[tuple]) -> dict:
    if not rows or rows[0][0] is None:
        raise PlanError("EXPLAIN returned no plan")
    document = json.loads(rows[0][0])
    return document[0] if isinstance(document, list) else document


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


def _one_line(value: object) -> str:
    lines = str(value).strip().splitlines()
    return redact_secrets(lines[0] if lines else type(value).__name__)
