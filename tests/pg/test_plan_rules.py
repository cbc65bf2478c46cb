"""Plan rules: offline on the stored plans of tests/fixtures/plans/ (captured from real
EXPLAIN output by tests/pg/capture_plans.py), and live on both servers."""

from __future__ import annotations

import json

import psycopg
import pytest

from audit_lib.pg import catalog as catalog_mod
from audit_lib.pg import plans, session
from audit_lib.pg.model import Catalog
from audit_lib.registry import get_rule
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery, QuerySite
from audit_lib.sql.parse import parse
from tests.pg.dbfixtures import PLAN_FIXTURES, PlanCase, read_plan_cases

CASES = read_plan_cases()
PLAN_RULES = sorted({rule for case in CASES for rule in case.expected | case.ok})


def found_query(case: PlanCase) -> FoundQuery:
    statement, parse_error = parse(case.sql)
    return FoundQuery(case.name, case.sql, case.sql, sites=[QuerySite("app/queries.py", 10)],
                      statement=statement, parse_error=parse_error)


def stored_catalog() -> Catalog:
    data = json.loads((PLAN_FIXTURES / "catalog.json").read_text(encoding="utf-8"))
    return Catalog("stored", data["server_version"], data["datasets"])


def judge(query: FoundQuery, catalog: Catalog | None, settings: Settings) -> dict[str, list]:
    reported: dict[str, list] = {}
    for rule_id in PLAN_RULES:
        rule = get_rule(rule_id)
        for check in rule.checks_of("plan"):
            findings = list(check.fn(query, catalog, settings))
            if findings:
                reported[rule_id] = findings
    return reported


def assert_matches(case: PlanCase, reported: dict[str, list]) -> None:
    assert set(reported) == case.expected, f"{case.name}: reported {sorted(reported)}, annotated {sorted(case.expected)}"
    messages = [f.message for findings in reported.values() for f in findings]
    for words in case.why:
        assert any(words in message for message in messages), f"{case.name}: no finding says {words!r}: {messages}"
    for findings in reported.values():
        for finding in findings:
            assert finding.queries == [case.name]
            assert finding.message and finding.evidence and finding.fix
            assert (finding.path, finding.line) == ("app/queries.py", 10)


def test_every_case_is_annotated_and_captured():
    assert len(CASES) >= 20
    for rule_id in PLAN_RULES:
        assert sum(rule_id in c.expected for c in CASES) >= 2 and sum(rule_id in c.ok for c in CASES) >= 3, rule_id
    for case in CASES:
        assert (PLAN_FIXTURES / f"{case.name}.json").exists(), f"run python -m tests.pg.capture_plans ({case.name})"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_stored_plan(case):
    stored = json.loads((PLAN_FIXTURES / f"{case.name}.json").read_text(encoding="utf-8"))
    assert stored["sql"] == case.sql, "queries.sql changed: recapture the plans"
    query = found_query(case)
    query.plan, query.plan_error, query.analyzed = stored["plan"], stored["plan_error"], stored["analyzed"]
    assert query.analyzed == case.analyze
    assert_matches(case, judge(query, stored_catalog(), Settings()))


def test_without_a_database_only_the_missing_plan_is_reported():
    reasons = "no database: DATABASE_URL is not set"
    for case in CASES:
        query = found_query(case)
        query.plan_error = reasons
        reported = judge(query, None, Settings())
        assert set(reported) <= {"R1.complex-query-no-plan"}
    complex_case = next(c for c in CASES if c.name == "complex_planned")
    query = found_query(complex_case)
    query.plan_error = reasons
    [finding] = judge(query, None, Settings())["R1.complex-query-no-plan"]
    assert "no database" in finding.message and "a CTE" in finding.message


def test_unparsed_complex_query_reports_the_parse_error():
    query = FoundQuery("q9", "", "SELECT a FROM t1 JOIN t2 ON x JOIN t3 ON y JOIN t4 ON z WHERE ???",
                       statement=None, parse_error="Invalid expression / Unexpected token")
    query.plan_error = plans.unplannable_reason(query)
    [finding] = judge(query, None, Settings())["R1.complex-query-no-plan"]
    assert "did not parse" in finding.message and "3 joins" in finding.message


@pytest.mark.pg
def test_live_plans(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute((PLAN_FIXTURES / "schema.sql").read_text(encoding="utf-8"))
    live = [c for c in CASES if c.live]
    queries = {c.name: found_query(c) for c in live}
    settings = Settings(explain_analyze=True)
    plans.plan_queries(scratch_db, list(queries.values()), settings)
    with session.connect(scratch_db, settings) as conn:
        catalog = catalog_mod.collect(conn, {"tables", "indexes"}, settings)
    for case in live:
        query = queries[case.name]
        assert query.analyzed == (case.analyze or (query.plan is not None and query.kind in ("SELECT", "WITH")
                                                   and "$" not in case.sql))
        assert_matches(case, judge(query, catalog, settings))
