"""Which found queries would use an index a finding proposes: same table, and the
index's leading column in the query's WHERE, JOIN conditions or ORDER BY."""

from __future__ import annotations

from typing import Iterable

from sqlglot import exp

from audit_lib.findings import Finding
from audit_lib.sql.model import FoundQuery


def queries_using(table: str, column: str, queries: Iterable[FoundQuery]) -> list[str]:
    schema, _, name = table.partition(".")
    used: list[str] = []
    for query in queries:
        if query.statement is not None and _uses(query.statement, schema, name, column):
            used.append(query.id)
    return used


def link_index_findings(findings: list[Finding], queries: list[FoundQuery]) -> None:
    """Give each missing-index finding (``extra["index_columns"]``) the queries it would serve."""
    for finding in findings:
        columns = finding.extra.get("index_columns")
        if columns and finding.object and not finding.queries:
            finding.queries = queries_using(finding.object, columns[0], queries)


def _uses(statement: exp.Expression, schema: str, name: str, column: str) -> bool:
    aliases = {t.alias_or_name for t in statement.find_all(exp.Table)
               if t.name == name and (not t.db or t.db == schema)}
    if not aliases:
        return False
    single_table = len({t.alias_or_name for t in statement.find_all(exp.Table)}) == 1
    for clause in _filtering_clauses(statement):
        for col in clause.find_all(exp.Column):
            if col.name == column and (col.table in aliases or (not col.table and single_table)):
                return True
    return False


def _filtering_clauses(statement: exp.Expression) -> list[exp.Expression]:
    clauses: list[exp.Expression] = []
    for node in statement.find_all(exp.Where, exp.Order, exp.Join):
        clauses.append(node.args.get("on") if isinstance(node, exp.Join) and node.args.get("on") else node)
    return [c for c in clauses if c is not None]
