"""Real PostgreSQL servers for the tests: the embedded one (always) and the machine's
PostgreSQL 15 at 127.0.0.1:5432 when it answers (CI starts it; a laptop may not have it).

`pg_server` is parametrized over both, so a test that takes it runs on each.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from audit_lib.embedded import create_database, embedded_server

MACHINE_PG_DSN = os.environ.get("POSTURE_TEST_PG15_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


@pytest.fixture(scope="session")
def embedded_admin_dsn():
    with embedded_server() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def machine_admin_dsn():
    try:
        with psycopg.connect(MACHINE_PG_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the machine's PostgreSQL is not reachable in CI: {exc}")
        pytest.skip("the machine's PostgreSQL 15 is not reachable")
    return MACHINE_PG_DSN


@pytest.fixture(scope="session", params=["embedded", "pg15"])
def pg_server(request) -> str:
    """The admin DSN of a real server: the embedded PostgreSQL, then the machine's."""
    name = "embedded_admin_dsn" if request.param == "embedded" else "machine_admin_dsn"
    return request.getfixturevalue(name)


@pytest.fixture
def scratch_db(pg_server):
    """A fresh, empty database on each server; dropped afterwards. Yields its DSN."""
    name = f"pa_test_{uuid.uuid4().hex[:10]}"
    dsn = create_database(pg_server, name)
    yield dsn
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
