"""A full audit, EXPLAIN ANALYZE on and writes allowed, leaves the database as it was:
same rows, same schema, no prepared statement left; and SQL text from the audited
code is never run as anything but the one statement EXPLAIN wraps."""

from __future__ import annotations

import hashlib
import textwrap

import psycopg
import pytest

from audit_lib.engine import Audit
from audit_lib.pg import plans, session
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, balance float8 NOT NULL DEFAULT 0);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id),
                     status text NOT NULL, created_at timestamp NOT NULL DEFAULT now());
INSERT INTO customers SELECT g, 'c' || g || '@example.com', g FROM generate_series(1, 3000) g;
INSERT INTO orders SELECT g, 1 + g % 3000, CASE WHEN g % 10 = 0 THEN 'open' ELSE 'done' END,
                          now() - make_interval(days => g % 400) FROM generate_series(1, 20000) g;
ANALYZE;
"""

APP = '''
def open_orders(conn, customer_id):
    return conn.execute("SELECT id, status FROM orders WHERE customer_id = %s AND status = 'open'", (customer_id,)).fetchall()

def all_open(conn):
    return conn.execute("SELECT id FROM orders WHERE status = 'open' ORDER BY created_at").fetchall()

def close_all(conn):
    conn.execute("UPDATE orders SET status = 'closed' WHERE status = 'open'")

def purge(conn):
    conn.execute("DELETE FROM orders WHERE created_at < now() - interval '1 day'")

def add_customer(conn):
    conn.execute("INSERT INTO customers (id, email) VALUES (999999, 'x@example.com')")

def wipe(conn):
    conn.execute("WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone")

def drop_customers(conn):
    conn.execute("DELETE FROM customers WHERE id < 10")

def rename(conn, email):
    conn.execute("UPDATE customers SET email = %s WHERE id = %s", (email, 1))
'''


def snapshot(dsn: str) -> dict:
    """Every table's rows (hashed), the schema, and the sequences' positions."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1")]
        rows = {}
        for table in tables:
            data = conn.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')), count(*) "
                                f"FROM {table} t").fetchone()
            rows[table] = data
        schema = conn.execute("""
            SELECT string_agg(format('%s %s %s %s', c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod)),
                              ',' ORDER BY c.relname, a.attnum)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
        """).fetchone()[0]
        constraints = conn.execute(
            "SELECT string_agg(conname || pg_get_constraintdef(oid), ',' ORDER BY conname) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace").fetchone()[0]
        return {"rows": rows, "schema": hashlib.sha256((schema + constraints).encode()).hexdigest()}


@pytest.fixture
def shop_db(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
        if conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'").fetchone()[0]:
            conn.execute("CREATE EXTENSION hypopg")  # the audit then also tries hypothetical indexes
    return scratch_db


def test_full_audit_with_analyze_and_writes_changes_nothing(shop_db, tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text(textwrap.dedent(APP), encoding="utf-8")
    monkeypatch.setenv("POSTURE_NO_HARM_DSN", shop_db)
    before = snapshot(shop_db)

    settings = Settings(code_root=str(tmp_path), database="env", dsn_env="POSTURE_NO_HARM_DSN",
                        explain_analyze=True, explain_analyze_writes=True)
    result = Audit(settings).run()

    assert not [s for s in result.skipped if s.what in ("database", "plans")], result.skipped
    analyzed = [q for q in result.queries if q.analyzed]
    kinds = {q.kind for q in analyzed}
    assert {"UPDATE", "DELETE", "INSERT", "WITH", "SELECT"} <= kinds, [(q.kind, q.plan_error) for q in result.queries]
    assert all(q.plan is not None for q in result.queries), [q.plan_error for q in result.queries]
    blocked = next(q for q in result.queries if q.normalized.startswith("DELETE FROM customers"))
    assert not blocked.analyzed  # the foreign key stopped the rolled-back run: estimated plan kept
    assert snapshot(shop_db) == before


def test_multi_statement_text_is_refused_not_run(shop_db):
    before = snapshot(shop_db)
    queries = [
        FoundQuery("q1", "", "SELECT 1; DROP TABLE orders"),
        FoundQuery("q2", "", "SELECT id FROM customers WHERE id = $1; DELETE FROM orders"),
        FoundQuery("q3", "", "SELECT 1; UPDATE customers SET email = 'x'"),
    ]
    plans.plan_queries(shop_db, queries, Settings(explain_analyze=True, explain_analyze_writes=True))
    for query in queries:
        assert query.plan is None
        assert "multiple commands" in query.plan_error
    assert snapshot(shop_db) == before


@pytest.mark.parametrize("generic_plan_option", [True, False], ids=["server-default", "prepare-path"])
def test_no_prepared_statement_is_left_in_the_session(shop_db, generic_plan_option):
    queries = [FoundQuery("q1", "", "SELECT * FROM orders WHERE customer_id = $1 AND status = $2"),
               FoundQuery("q2", "", "UPDATE orders SET status = $1 WHERE id = $2"),
               FoundQuery("q3", "", "SELECT * FROM orders WHERE no_such_column = $1")]
    with session.connect(shop_db, Settings()) as conn:
        for query in queries:
            plans.plan_query(conn, query, Settings(), generic_plan_option=generic_plan_option)
        left = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
        status = conn.info.transaction_status
    assert queries[0].plan["Plan"]["Node Type"] in ("Seq Scan", "Bitmap Heap Scan", "Index Scan")
    assert queries[1].plan["Plan"]["Node Type"] == "ModifyTable"
    assert queries[2].plan is None and "no_such_column" in queries[2].plan_error
    assert left == 0
    assert status == psycopg.pq.TransactionStatus.IDLE
