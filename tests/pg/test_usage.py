"""Missing-index findings point at the found queries that would use the index."""

from __future__ import annotations

from audit_lib.findings import Finding
from audit_lib.pg.usage import link_index_findings, queries_using
from audit_lib.sql.model import FoundQuery
from audit_lib.sql.parse import parse


def query(qid: str, sql: str) -> FoundQuery:
    statement, error = parse(sql)
    return FoundQuery(qid, sql, sql, statement=statement, parse_error=error)


QUERIES = [
    query("q1", "SELECT id FROM orders WHERE customer_id = $1"),
    query("q2", "SELECT c.email FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1"),
    query("q3", "SELECT id FROM orders ORDER BY customer_id"),
    query("q4", "SELECT customer_id FROM orders WHERE id = $1"),  # selects it, filters on the key
    query("q5", "SELECT id FROM invoices WHERE customer_id = $1"),  # another table
    query("q6", "SELECT id FROM billing.orders WHERE customer_id = $1"),  # another schema
    query("q7", "SELECT c.id FROM customers c JOIN invoices i ON i.customer_id = c.id"),
]


def test_queries_filtering_joining_or_sorting_on_the_column():
    assert queries_using("public.orders", "customer_id", QUERIES) == ["q1", "q2", "q3"]


def test_only_findings_that_propose_an_index_are_linked():
    fk = Finding("fk", object="public.orders", columns=["customer_id"], extra={"index_columns": ["customer_id"]})
    pk = Finding("no pk", object="public.orders")
    planned = Finding("plan", object="public.orders", queries=["q9"], extra={"index_columns": ["customer_id"]})
    link_index_findings([fk, pk, planned], QUERIES)
    assert fk.queries == ["q1", "q2", "q3"]
    assert pk.queries == []
    assert planned.queries == ["q9"]
