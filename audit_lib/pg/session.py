"""The audit's database session: read-only, bounded by timeouts, never leaking the DSN."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg.conninfo import conninfo_to_dict

from audit_lib.redact import redact_secrets, register_secret
from audit_lib.settings import Settings

APPLICATION_NAME = "posture-audit"
CONNECT_TIMEOUT_S = 10


class DatabaseUnavailable(Exception):
    """The database cannot be audited; the message says why and holds no credentials."""


def dsn_from_env(var: str) -> str:
    dsn = os.environ.get(var)
    if not dsn:
        raise DatabaseUnavailable(f"{var} is not set")
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        raise DatabaseUnavailable(f"{var} does not hold a valid libpq connection string") from None
    register_secret(params.get("password"))
    return dsn


def database_label(dsn: str) -> str:
    """``host/dbname`` for reports; never the user's password."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparsable DSN)"
    register_secret(params.get("password"))
    host = params.get("host") or "localhost"
    if host.startswith("/"):
        host = "local socket"
    port = params.get("port")
    dbname = params.get("dbname") or params.get("user") or "postgres"
    return f"{host}{':' + str(port) if port and port != '5432' else ''}/{dbname}"


def connection_label(conn: psycopg.Connection) -> str:
    """``host/dbname`` of an open connection, as :func:`database_label` writes it."""
    info = conn.info
    host = info.host or "localhost"
    if host.startswith("/"):
        host = "local socket"
    port = str(info.port) if info.port else ""
    return f"{host}{':' + port if port and port != '5432' else ''}/{info.dbname}"


def session_options(settings: Settings) -> str:
    """Server options that make every transaction of the session read-only and bounded."""
    options = {
        "default_transaction_read_only": "on",
        "statement_timeout": f"{settings.statement_timeout_ms}",
        "lock_timeout": f"{settings.lock_timeout_ms}",
        "idle_in_transaction_session_timeout": f"{max(settings.statement_timeout_ms * 4, 10_000)}",
    }
    return " ".join(f"-c {name}={value}" for name, value in options.items())


@contextmanager
def connect(dsn: str, settings: Settings, *, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    """A read-only connection; DatabaseUnavailable (redacted) when it cannot be had."""
    with open_connection(dsn, settings, autocommit=autocommit) as conn:
        yield conn


def connection_kwargs(dsn: str, settings: Settings) -> dict:
    """``psycopg.connect`` keywords of a read-only, bounded audit session (also for pools)."""
    params = conninfo_to_dict(dsn)
    register_secret(params.get("password"))
    extra = params.pop("options", "") or ""
    return {
        **params,
        "options": f"{extra} {session_options(settings)}".strip(),
        "application_name": APPLICATION_NAME,
        "connect_timeout": params.get("connect_timeout") or CONNECT_TIMEOUT_S,
    }


def open_connection(dsn: str, settings: Settings, *, autocommit: bool = True) -> psycopg.Connection:
    try:
        conn = psycopg.connect(**connection_kwargs(dsn, settings), autocommit=autocommit)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"cannot connect: {first_line(exc)}") from None
    verify_read_only(conn)
    return conn


def verify_read_only(conn: psycopg.Connection) -> None:
    """Refuse a session the server did not make read-only (a pooler may drop options)."""
    value = conn.execute("SHOW default_transaction_read_only").fetchone()[0]
    if value != "on":
        conn.execute("SET default_transaction_read_only = on")


def can_read_all_stats(conn: psycopg.Connection) -> bool:
    """Whether the session sees every session's state and query (superuser or pg_read_all_stats)."""
    try:
        with conn.transaction():
            row = conn.execute("SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return redact_secrets(text[0] if text else type(exc).__name__)
