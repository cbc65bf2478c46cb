"""What a parsed query asks of an index: its equality filters, its ORDER BY, its complexity."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

VALUE_TYPES = (exp.Parameter, exp.Placeholder, exp.Literal, exp.Null, exp.Boolean)
AGGREGATES = (exp.AggFunc,)


@dataclass
class Complexity:
    joins: int = 0
    subqueries: int = 0
    ctes: int = 0
    windows: int = 0
    aggregates: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def is_complex(self) -> bool:
        return bool(self.reasons)


def complexity(statement: exp.Expression | None, text: str) -> Complexity:
    """Joins, subqueries, CTEs, window functions and aggregates of a query.

    From the sqlglot tree when there is one, else from the text (a query that did not
    parse still shows its JOINs and WITH).
    """
    shape = Complexity()
    if statement is not None:
        shape.joins = len(list(statement.find_all(exp.Join)))
        shape.ctes = len(list(statement.find_all(exp.CTE)))
        shape.subqueries = len([s for s in statement.find_all(exp.Subquery, exp.Exists, exp.In)
                                if isinstance(s, exp.Subquery) or s.find(exp.Select)])
        shape.windows = len(list(statement.find_all(exp.Window)))
        shape.aggregates = len(list(statement.find_all(*AGGREGATES))) + (1 if statement.find(exp.Group) else 0)
    else:
        upper = re.sub(r"'(?:[^']|'')*'", "''", text).upper()
        shape.joins = len(re.findall(r"\bJOIN\b", upper))
        shape.ctes = 1 if re.match(r"\s*WITH\b", upper) else 0
        shape.subqueries = len(re.findall(r"\(\s*SELECT\b", upper))
        shape.windows = len(re.findall(r"\bOVER\s*\(", upper))
        shape.aggregates = len(re.findall(r"\b(?:COUNT|SUM|AVG|MIN|MAX)\s*\(|\bGROUP\s+BY\b", upper))
    if shape.joins >= 3:
        shape.reasons.append(f"{shape.joins} joins")
    if shape.ctes:
        shape.reasons.append("a CTE")
    if shape.subqueries:
        shape.reasons.append("a subquery")
    if shape.windows:
        shape.reasons.append("a window function")
    if shape.aggregates:
        shape.reasons.append("aggregates")
    return shape


def main_select(statement: exp.Expression | None) -> exp.Select | None:
    return statement if isinstance(statement, exp.Select) else None


def single_table(select: exp.Select) -> tuple[str | None, str] | None:
    """(schema, name) when the SELECT reads exactly one table and joins nothing."""
    if select.args.get("joins"):
        return None
    source = select.args.get("from") or select.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or not table.name:
        return None
    return (table.db or None, table.name)


def order_by(select: exp.Select) -> list[tuple[str, bool]] | None:
    """ORDER BY as (column, descending) pairs; None when it is absent or holds expressions."""
    order = select.args.get("order")
    if order is None:
        return None
    keys: list[tuple[str, bool]] = []
    for ordered in order.expressions:
        if not isinstance(ordered.this, exp.Column):
            return None
        keys.append((ordered.this.name, bool(ordered.args.get("desc"))))
    return keys


def equality_columns(select: exp.Select) -> set[str]:
    """Columns the WHERE clause pins to one value (``col = $1``, ``'x' = col``) with AND."""
    where = select.args.get("where")
    if where is None:
        return set()
    pinned: set[str] = set()
    for condition in _conjuncts(where.this):
        if isinstance(condition, exp.EQ):
            left, right = condition.this, condition.expression
            if isinstance(left, exp.Column) and isinstance(right, VALUE_TYPES):
                pinned.add(left.name)
            elif isinstance(right, exp.Column) and isinstance(left, VALUE_TYPES):
                pinned.add(right.name)
        elif isinstance(condition, exp.Is) and isinstance(condition.this, exp.Column):
            pinned.add(condition.this.name)
    return pinned


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    return [node]
