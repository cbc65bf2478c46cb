"""The collectors on real servers: the three datasets the report relies on, and a
failing dataset recorded as unavailable without spoiling the others."""

from __future__ import annotations

import psycopg
import pytest

from audit_lib.pg import catalog as catalog_mod
from audit_lib.pg import plans, session
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint, customer_id bigint REFERENCES customers (id), at date NOT NULL)
    PARTITION BY RANGE (at);
CREATE TABLE orders_2026 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX orders_customer_at_idx ON orders (customer_id, at);
INSERT INTO customers SELECT generate_series(1, 100);
INSERT INTO orders SELECT g, 1 + g % 100, date '2026-01-01' + g % 300 FROM generate_series(1, 500) g;
ANALYZE;
"""


def collect(dsn: str, needs: set[str]):
    with session.connect(dsn, Settings()) as conn:
        return catalog_mod.collect(conn, needs, Settings())


def test_report_datasets_have_the_agreed_columns(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    catalog = collect(scratch_db, {"tables", "foreign_keys", "indexes"})
    tables = {t["table"]: t for t in catalog.rows("tables")}
    assert set(tables["public.orders"]) == {"schema", "name", "table", "kind", "parent", "est_rows",
                                            "has_primary_key", "size_bytes"}
    assert tables["public.orders"]["kind"] == "partitioned" and tables["public.orders"]["est_rows"] == 500
    assert tables["public.orders_2026"]["kind"] == "partition"
    assert tables["public.orders_2026"]["parent"] == "public.orders"
    assert tables["public.customers"]["has_primary_key"] and tables["public.customers"]["est_rows"] == 100
    [fk] = catalog.rows("foreign_keys")  # declared on the parent; the partition's clone is not repeated
    assert fk == {"name": "orders_customer_id_fkey", "table": "public.orders", "columns": ["customer_id"],
                  "ref_table": "public.customers", "ref_columns": ["id"], "covered": True,
                  "covering_index": "orders_customer_at_idx"}
    index = next(i for i in catalog.rows("indexes") if i["name"] == "orders_customer_at_idx")
    assert set(index) == {"table", "name", "columns", "is_unique", "is_primary", "constraint", "constraint_type",
                          "method", "predicate", "valid", "scans", "size_bytes"}
    assert index["columns"] == ["customer_id", "at"] and index["size_bytes"] > 0
    pkey = next(i for i in catalog.rows("indexes") if i["name"] == "customers_pkey")
    assert (pkey["constraint"], pkey["constraint_type"], pkey["is_primary"]) == ("customers_pkey", "primary key", True)


def test_a_failing_dataset_is_unavailable_and_the_others_are_collected(scratch_db, monkeypatch):
    original = catalog_mod.dataset_query

    def query(name: str) -> str:
        return "SELECT 1 / 0 AS boom" if name == "columns" else original(name)

    monkeypatch.setattr(catalog_mod, "dataset_query", query)
    catalog = collect(scratch_db, {"columns", "tables", "server_settings", "no_such_dataset"})
    assert "division by zero" in catalog.unavailable["columns"]
    assert catalog.unavailable["no_such_dataset"] == "no collector for this dataset"
    assert "columns" not in catalog.datasets
    assert {r["name"] for r in catalog.rows("server_settings")} >= {"max_connections"}
    assert "tables" in catalog.datasets


def test_planning_without_a_reachable_server_says_so_for_each_query():
    queries = [FoundQuery("q1", "", "SELECT 1"), FoundQuery("q2", "", "SELECT 2")]
    plans.plan_queries("host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2", queries, Settings())
    for query in queries:
        assert query.plan is None and query.plan_error.startswith("database unavailable for planning")
