"""R4.idle-in-transaction on real servers: connections really held idle in a transaction."""

from __future__ import annotations

import time
from contextlib import ExitStack

import psycopg
import pytest

from audit_lib.settings import Settings
from tests.pg.dbfixtures import DB_FIXTURES, read_db_annotations, session_scripts, subject
from tests.pg.test_catalog_rules import run_catalog_rules

pytestmark = pytest.mark.pg

FIXTURE = DB_FIXTURES / "idle_in_transaction.sql"
RULE = "R4.idle-in-transaction"


def test_sessions_idle_in_transaction(scratch_db):
    expectations = read_db_annotations(FIXTURE)
    assert expectations.expected and expectations.ok
    with ExitStack() as held:
        for name, statements in session_scripts(FIXTURE).items():
            conn = held.enter_context(psycopg.connect(scratch_db, autocommit=True, application_name=name))
            try:
                conn.execute(statements)
            except psycopg.DataError:
                pass  # the fixture's failing statement: its transaction stays open, aborted
        time.sleep(1.5)
        findings = run_catalog_rules(scratch_db, {RULE}, Settings(idle_in_transaction_seconds=1))

    reported = {(f.rule, subject(f)) for f in findings}
    assert reported == expectations.expected
    assert not reported & expectations.ok
    leak = next(f for f in findings if f.extra["application_name"] == "worker_leak")
    assert "idle in transaction for" in leak.message and "pg_class" in leak.evidence


def test_sessions_below_the_threshold_are_not_reported(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True, application_name="worker_leak") as conn:
        conn.execute("BEGIN; SELECT 1")
        findings = run_catalog_rules(scratch_db, {RULE}, Settings(idle_in_transaction_seconds=3600))
    assert findings == []


def test_connection_saturation_is_judged_against_usable_connections(scratch_db):
    with psycopg.connect(scratch_db, application_name="holder"):
        busy = run_catalog_rules(scratch_db, {RULE}, Settings(connection_saturation=0.0))
        relaxed = run_catalog_rules(scratch_db, {RULE}, Settings(connection_saturation=1.0))
    saturation = [f for f in busy if f.object == "server:connections"]
    assert len(saturation) == 1 and "max_connections" in saturation[0].message
    assert saturation[0].evidence.startswith("by application:")
    assert not [f for f in relaxed if f.object == "server:connections"]
