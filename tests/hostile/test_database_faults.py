"""Database faults: each one degrades only the database part of the report, in one line.

The code stage still runs and reports its findings; the database stage says what
happened in ``skipped`` (or a query's ``plan_error``); nothing leaks the password.
Most cases go through ``posture-audit scan --format json`` (the same engine as the
notebook, without a kernel); one goes through the full ``run``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from audit_lib import cli
from audit_lib.embedded import create_database, embedded_server
from audit_lib.engine import Audit
from audit_lib.settings import Settings

pytestmark = [pytest.mark.pg]

SECRET = "Pl4ntedS3cret"
CODE = '''import requests


def fetch(url):
    return requests.get(url)


def item(conn, item_id):
    return conn.execute("SELECT id, name FROM items WHERE id = %s", (item_id,)).fetchone()


def slow(conn):
    return conn.execute("SELECT id FROM items WHERE id = slow_constant()").fetchone()
'''
SCHEMA = """
CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;
-- Folded at plan time (IMMUTABLE, constant arguments): planning the query that calls it sleeps.
CREATE FUNCTION slow_constant() RETURNS bigint IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN PERFORM pg_sleep(3); RETURN 1; END $$;
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    root.mkdir()
    (root / "app.py").write_text(CODE)
    return root


def scan(code: Path, env: dict[str, str | None], *extra: str) -> tuple[int, dict, str]:
    """``posture-audit scan CODE --format json`` in this process; (exit code, findings.json, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            exit_code = cli.main(["scan", str(code), "--format", "json", "--dsn-env", "AUDIT_DSN", *extra])
    return exit_code, json.loads(stdout.getvalue()), stderr.getvalue()


def database_skip(data: dict) -> str:
    reasons = [s["why"] for s in data["skipped"] if s["what"] == "database"]
    assert len(reasons) == 1, data["skipped"]
    return reasons[0]


def assert_only_the_database_part_degrades(exit_code: int, data: dict, why: str) -> None:
    assert exit_code == 0
    assert "\n" not in why and why.strip() == why
    assert SECRET not in json.dumps(data)
    assert {f["rule"] for f in data["findings"]} >= {"R3.http-no-timeout"}, "the code findings are still there"
    assert data["queries"] and all(q["plan"] is None and q["plan_error"] for q in data["queries"])
    assert data["errors"] == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_dsn_variable_unset(code):
    exit_code, data, _ = scan(code, {"AUDIT_DSN": None})
    why = database_skip(data)
    assert_only_the_database_part_degrades(exit_code, data, why)
    assert why == "AUDIT_DSN is not set"


@pytest.mark.parametrize("dsn", [
    f"host=db password={SECRET} port='unterminated",
    f"postgresql://auditor:{SECRET}@db:notaport/shop",
    "this is not a connection string",
])
def test_malformed_dsn(code, dsn):
    exit_code, data, stderr = scan(code, {"AUDIT_DSN": dsn})
    why = database_skip(data)
    assert_only_the_database_part_degrades(exit_code, data, why)
    assert SECRET not in stderr
    assert why in ("AUDIT_DSN does not hold a valid libpq connection string",) or why.startswith("cannot connect:")


def test_dsn_pointing_nowhere(code):
    dsn = f"postgresql://auditor:{SECRET}@127.0.0.1:{closed_port()}/shop?connect_timeout=3"
    started = time.perf_counter()
    exit_code, data, stderr = scan(code, {"AUDIT_DSN": dsn})
    why = database_skip(data)
    assert_only_the_database_part_degrades(exit_code, data, why)
    assert why.startswith("cannot connect:") and "refused" in why, why
    assert SECRET not in stderr and time.perf_counter() - started < 30


@pytest.fixture
def password_role(embedded_admin_dsn):
    """A role that must give its password on the embedded server (scram), whatever else trusts."""
    role = f"pa_pw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(embedded_admin_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'the-right-one'")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        original = hba.read_text()
        hba.write_text(f"local all {role} scram-sha-256\n" + original)  # first match wins
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    try:
        yield role
    finally:
        hba.write_text(original)
        with psycopg.connect(embedded_admin_dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(f"DROP ROLE {role}")


def test_wrong_password(code, embedded_admin_dsn, password_role):
    params = conninfo_to_dict(embedded_admin_dsn)
    params.update(user=password_role, password=SECRET)
    exit_code, data, stderr = scan(code, {"AUDIT_DSN": make_conninfo(**params)})
    why = database_skip(data)
    assert_only_the_database_part_degrades(exit_code, data, why)
    assert why.startswith("cannot connect:") and "password authentication failed" in why, why
    assert SECRET not in stderr


@pytest.fixture
def items_db(embedded_admin_dsn):
    name = f"pa_hostile_{uuid.uuid4().hex[:8]}"
    dsn = create_database(embedded_admin_dsn, name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("ANALYZE")
    yield dsn
    with psycopg.connect(embedded_admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_plan_hitting_the_statement_timeout_fails_alone(code, items_db, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("statement_timeout_ms: 500\n")
    exit_code, data, _ = scan(code, {"AUDIT_DSN": items_db}, "--params", str(params))
    assert exit_code == 0 and not [s for s in data["skipped"] if s["what"] == "database"]
    by_sql = {q["sql"]: q for q in data["queries"]}
    slow = next(q for sql, q in by_sql.items() if "slow_constant" in sql)
    fast = next(q for sql, q in by_sql.items() if "name" in sql)
    assert slow["plan"] is None and "statement timeout" in slow["plan_error"], slow["plan_error"]
    assert "\n" not in slow["plan_error"]
    assert fast["plan"] is not None and fast["plan_error"] is None


def test_server_going_away_mid_audit(code, tmp_path):
    """The server dies once the catalog is read, before the queries are planned: the audit still finishes."""
    with embedded_server() as admin_dsn:
        dsn = create_database(admin_dsn, "shop")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA)
            data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])
        postmaster = int((data_dir / "postmaster.pid").read_text().splitlines()[0])

        def progress(message: str) -> None:
            if message.startswith("planning "):
                os.kill(postmaster, signal.SIGQUIT)  # immediate shutdown: every connection drops
                for _ in range(100):
                    if not (data_dir / "postmaster.pid").exists():
                        break
                    time.sleep(0.1)

        settings = Settings.from_mapping({"code_root": str(code), "database": "env", "dsn_env": "AUDIT_DSN"})
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AUDIT_DSN", dsn)
            result = Audit(settings, progress=progress).run()
    assert result.database and result.catalog_summary is not None
    assert {f.rule for f in result.findings} >= {"R3.http-no-timeout"}
    assert result.queries and all(q.plan is None for q in result.queries)
    for query in result.queries:
        assert query.plan_error and "\n" not in query.plan_error, query.plan_error
    assert not any(s.what in ("code", "sql") for s in result.skipped)


def test_role_without_statistics_rights_skips_those_rules(code, items_db):
    role = f"pa_nostats_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(items_db, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        params = conninfo_to_dict(items_db)
        params["user"] = role
        exit_code, data, _ = scan(code, {"AUDIT_DSN": make_conninfo(**params)})
    finally:
        with psycopg.connect(items_db, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
    assert exit_code == 0 and data["errors"] == []
    skipped = {s["what"]: s["why"] for s in data["skipped"]}
    assert "database" not in skipped
    assert "pg_read_all_stats" in skipped["R4.idle-in-transaction"], skipped
    fast = next(q for q in data["queries"] if "name" in q["sql"])
    assert fast["plan"] is not None


def test_a_schema_with_three_thousand_tables(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        for first in range(1, 3001, 250):  # batches: one transaction may not lock 3,000 new tables
            conn.execute(f"""
                DO $$ BEGIN
                  FOR i IN {first}..{first + 249} LOOP
                    EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, parent bigint REFERENCES t%s(id))',
                                   i, greatest(i - 1, 1));
                  END LOOP;
                END $$""")
    settings = Settings.from_mapping({"code_root": ".", "database": "env", "dsn_env": "AUDIT_DSN"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUDIT_DSN", scratch_db)
        audit = Audit(settings)
        started = time.perf_counter()
        try:
            audit.run_database()
        finally:
            audit.close()
    assert time.perf_counter() - started < 60
    assert not audit.result.skipped, audit.result.skipped
    assert len(audit.catalog.datasets["tables"]) == 3000
    unindexed = [f for f in audit.result.findings if f.rule == "R1.fk-no-index"]
    assert len(unindexed) == 3000


@pytest.mark.slow
def test_full_run_against_a_database_that_is_not_there(code, tmp_path):
    """The whole report: code sections as usual, the database named as not audited and why."""
    dsn = f"postgresql://auditor:{SECRET}@127.0.0.1:{closed_port()}/shop?connect_timeout=3"
    out = tmp_path / "report"
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(stderr):
        patch.setenv("DATABASE_URL", dsn)
        exit_code = cli.main(["run", "--code", str(code), "--no-pdf", "--out", str(out)])
    assert exit_code == 0, stderr.getvalue()
    data = json.loads((out / "findings.json").read_text())
    assert_only_the_database_part_degrades(exit_code, data, database_skip(data))
    report = (out / "report.html").read_text()
    assert "R3.http-no-timeout" in report and "Connection refused" in report
    assert "could not be rendered" not in report, "no section failed"
    for name in ("report.html", "report.ipynb", "findings.json", "findings.sarif"):
        assert SECRET not in (out / name).read_text(), name
    assert SECRET not in stderr.getvalue()
