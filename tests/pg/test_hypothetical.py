"""Missing-index findings with plan costs before/after a hypothetical index (hypopg),
where the extension is installed; said once where it is not. Both servers: hypopg is
installed on the machine's PostgreSQL 15 only, so each server proves one side."""

from __future__ import annotations

import textwrap

import psycopg
import pytest

from audit_lib.engine import Audit
from audit_lib.pg.hypothetical import NOT_INSTALLED
from audit_lib.settings import Settings

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), total numeric NOT NULL);
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 5000) g;
INSERT INTO orders SELECT g, 1 + g % 5000, g FROM generate_series(1, 50000) g;
ANALYZE;
"""

APP = '''
def orders_of(conn, customer_id):
    return conn.execute("SELECT id, total FROM orders WHERE customer_id = %s", (customer_id,)).fetchall()
'''


def test_missing_index_findings_show_the_cost_with_the_index(scratch_db, tmp_path, monkeypatch):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
        available = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'").fetchone()[0]
        if available:
            conn.execute("CREATE EXTENSION hypopg")
    (tmp_path / "app.py").write_text(textwrap.dedent(APP), encoding="utf-8")
    monkeypatch.setenv("POSTURE_WHAT_IF_DSN", scratch_db)
    settings = Settings(code_root=str(tmp_path), database="env", dsn_env="POSTURE_WHAT_IF_DSN",
                        rules=["R1.fk-no-index", "R1.plan-red-flag"])

    result = Audit(settings).run()

    [fk] = [f for f in result.findings if f.rule == "R1.fk-no-index"]
    [query] = result.queries
    assert fk.queries == [query.id]
    skipped = [s.why for s in result.skipped if s.what == "hypothetical indexes"]
    if available:
        costs = fk.extra["hypothetical"][query.id]
        assert costs["after"] < costs["before"] / 10
        assert "plan cost with this index, by hypopg" in fk.message
        assert skipped == []
    else:
        assert skipped == [NOT_INSTALLED]
        assert "hypothetical" not in fk.extra
    with psycopg.connect(scratch_db) as conn:  # nothing of the experiment is left
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'").fetchone()[0] == 1
