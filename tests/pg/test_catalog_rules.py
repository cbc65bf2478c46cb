"""Catalog rules on real databases built from the annotated DDL in tests/fixtures/db/,
on the embedded PostgreSQL 18 and the machine's PostgreSQL 15."""

from __future__ import annotations

import time

import psycopg
import pytest

from audit_lib.pg import catalog as catalog_mod
from audit_lib.pg import session
from audit_lib.registry import get_rule
from audit_lib.settings import Settings
from tests.pg.dbfixtures import DB_FIXTURES, read_db_annotations, subject

pytestmark = pytest.mark.pg

DDL_FIXTURES = sorted(p for p in DB_FIXTURES.glob("*.sql") if p.stem != "idle_in_transaction")


def run_catalog_rules(dsn: str, rule_ids: set[str], settings: Settings) -> list:
    rules = [get_rule(rule_id) for rule_id in sorted(rule_ids)]
    checks = [(r, c) for r in rules for c in r.checks_of("catalog")]
    needs = {n for _, check in checks for n in check.needs}
    with session.connect(dsn, settings) as conn:
        catalog = catalog_mod.collect(conn, needs, settings)
    assert not catalog.unavailable, catalog.unavailable
    findings = []
    for rule, check in checks:
        for finding in check.fn(catalog, settings):
            finding.rule = rule.id
            findings.append(finding)
    return findings


def wait_for_index_scans(dsn: str) -> None:
    """Scan counts reach the shared statistics when the loading session reports them."""
    deadline = time.monotonic() + 10
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            if conn.execute("SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes").fetchone()[0]:
                return
            time.sleep(0.2)


@pytest.mark.parametrize("fixture", DDL_FIXTURES, ids=lambda p: p.stem)
def test_db_fixture(fixture, scratch_db):
    expectations = read_db_annotations(fixture)
    assert expectations.expected and expectations.ok, f"{fixture.name} needs both ruleid and ok annotations"
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(fixture.read_text(encoding="utf-8"))
        conn.execute("ANALYZE")
    if "SELECT pg_stat_force_next_flush()" in fixture.read_text(encoding="utf-8"):
        wait_for_index_scans(scratch_db)

    findings = run_catalog_rules(scratch_db, expectations.rules, Settings())

    reported = {(f.rule, subject(f)) for f in findings}
    missing = expectations.expected - reported
    unexpected = reported - expectations.expected
    assert not missing and not unexpected, f"missing: {sorted(missing)}\nunexpected: {sorted(unexpected)}"
    assert not reported & expectations.ok
    for finding in findings:
        assert finding.message and finding.evidence and finding.fix
