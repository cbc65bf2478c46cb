"""Questions the SQL-text rules ask of a parsed statement: keys, bounds, keyset rewrites."""

from __future__ import annotations

import re

from sqlglot import exp

KEY_NAME = re.compile(r"^(id|pk|uuid|guid|\w+_(id|pk|uuid|guid))$", re.IGNORECASE)
VALUE_TYPES = (exp.Literal, exp.Parameter, exp.Placeholder, exp.Null, exp.Boolean)


def is_key_name(name: str) -> bool:
    """Whether a column name looks like a primary or unique key (``id``, ``*_id``, ``uuid``).

    Without the database, uniqueness cannot be known: this is a naming heuristic.
    """
    return bool(KEY_NAME.match(name.strip('"')))


def is_value(node: exp.Expression | None) -> bool:
    """A literal, a placeholder, or a cast/function of those: no column of another row."""
    if node is None:
        return False
    if isinstance(node, VALUE_TYPES):
        return True
    if isinstance(node, (exp.Cast, exp.Paren, exp.Neg)):
        return is_value(node.this)
    if isinstance(node, (exp.Func, exp.Binary)) and not isinstance(node, exp.AggFunc):
        return not any(True for _ in node.find_all(exp.Column, exp.Subquery, exp.Select))
    return False


def conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    """The terms of a top-level AND chain."""
    if condition is None:
        return []
    terms: list[exp.Expression] = []
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.And):
            stack.extend([node.expression, node.this])
        elif isinstance(node, exp.Paren) and isinstance(node.this, exp.And):
            stack.append(node.this)
        else:
            terms.append(node)
    return terms


def key_filter(select: exp.Select) -> str | None:
    """The key column the WHERE (or a join condition) pins to given values, if any.

    ``id = $1``, ``user_id IN ($1, $2)``, ``order_id = ANY($1)``, ``article_id = (SELECT ...)``.
    """
    where = select.args.get("where")
    terms = conjuncts(where.this if where is not None else None)
    for join in select.args.get("joins") or []:
        terms.extend(conjuncts(join.args.get("on")))
    for term in terms:
        column, values = None, False
        if isinstance(term, exp.EQ):
            for side, other in ((term.this, term.expression), (term.expression, term.this)):
                # "= (SELECT ...)" must return at most one row, so it is one value too
                if isinstance(side, exp.Column) and (is_value(other) or isinstance(other, exp.Subquery)):
                    column, values = side, True
                    break
        elif isinstance(term, exp.In) and isinstance(term.this, exp.Column):
            items = term.expressions
            values = bool(items) and all(is_value(i) for i in items) and not term.args.get("query")
            column = term.this
        if column is not None and values and is_key_name(column.name):
            return column.name
        if isinstance(term, exp.EQ) and isinstance(term.this, exp.Column) and isinstance(term.expression, exp.Any):
            if is_value(term.expression.this) and is_key_name(term.this.name):
                return term.this.name
    return None


def is_limited(node: exp.Expression) -> bool:
    """A LIMIT (other than LIMIT ALL) or FETCH FIRST on this SELECT or set operation."""
    limit = node.args.get("limit")
    if isinstance(limit, exp.Limit):
        value = limit.expression
        if not (isinstance(value, exp.Var) and value.name.upper() == "ALL"):
            return True
    elif isinstance(limit, exp.Fetch):
        return True
    return isinstance(node.args.get("fetch"), exp.Fetch)


def aggregates_only(select: exp.Select) -> bool:
    """Every output column is an aggregate (or a constant), so the result is one row."""
    if not select.expressions:
        return False
    for projection in select.expressions:
        target = projection.this if isinstance(projection, exp.Alias) else projection
        if is_value(target):
            continue
        if isinstance(target, exp.Star) or not any(_own_aggregates(target)):
            return False
    return True


def _own_aggregates(node: exp.Expression):
    """Aggregates of this query level (not inside a window or a subquery)."""
    for agg in node.find_all(exp.AggFunc):
        current: exp.Expression | None = agg
        while current is not None and not isinstance(current, exp.Window):
            if current is node:
                yield agg
                break
            if isinstance(current.parent, (exp.Window, exp.Subquery, exp.Select)):
                break
            current = current.parent


def ordered_columns(select: exp.Expression) -> list[tuple[str, bool]]:
    """(expression SQL, descending) of the ORDER BY."""
    order = select.args.get("order")
    if order is None:
        return []
    return [(o.this.sql(dialect="postgres"), bool(o.args.get("desc"))) for o in order.expressions]


def keyset_rewrite(select: exp.Expression) -> str:
    """The keyset-pagination form of a paged query, built from its ORDER BY."""
    columns = ordered_columns(select)
    if not columns:
        return ("give the query an ORDER BY on a unique key and page by it: "
                "WHERE id > :last_id ORDER BY id LIMIT :page_size")
    if not any(is_key_name(name.rsplit(".", 1)[-1]) for name, _ in columns):
        columns.append(("id", columns[-1][1]))
        tie = " (id added as a tie-breaker so the order is total)"
    else:
        tie = ""
    order_by = ", ".join(f"{name} DESC" if desc else name for name, desc in columns)
    params = [f":last_{_param_name(name)}" for name, _ in columns]
    if len({desc for _, desc in columns}) == 1:
        operator = "<" if columns[0][1] else ">"
        if len(columns) == 1:
            where = f"{columns[0][0]} {operator} {params[0]}"
        else:
            where = f"({', '.join(n for n, _ in columns)}) {operator} ({', '.join(params)})"
    else:
        alternatives = []
        for i, (name, desc) in enumerate(columns):
            equal = [f"{n} = {p}" for (n, _), p in zip(columns[:i], params[:i])]
            alternatives.append("(" + " AND ".join([*equal, f"{name} {'<' if desc else '>'} {params[i]}"]) + ")")
        where = " OR ".join(alternatives)
    return f"keyset pagination: WHERE {where} ORDER BY {order_by} LIMIT :page_size{tie}"


def _param_name(expression_sql: str) -> str:
    return re.sub(r"\W+", "_", expression_sql.rsplit(".", 1)[-1]).strip("_").lower() or "key"


def from_clause(select: exp.Expression) -> exp.Expression | None:
    """The FROM of a SELECT (the arg is ``from_`` in recent sqlglot, ``from`` before)."""
    return select.args.get("from_") or select.args.get("from")


def source_tables(select: exp.Select) -> list[str]:
    """Tables named in the FROM and JOINs of this SELECT (not of its subqueries or CTEs)."""
    names: list[str] = []
    ctes = {cte.alias for cte in select.find_all(exp.CTE)}
    sources = [from_clause(select)] + list(select.args.get("joins") or [])
    for source in sources:
        if source is None:
            continue
        table = source.this if not isinstance(source, exp.Table) else source
        if isinstance(table, exp.Table) and table.name and table.name not in ctes and table.name not in names:
            names.append(table.name)
    return names


def seeks_from_a_key(select: exp.Expression) -> bool:
    """The WHERE already starts from a cursor on the leading ORDER BY column, in its direction.

    ``x > $1 ORDER BY x`` or ``x < $1 ORDER BY x DESC``: an OFFSET on top skips a bounded
    batch from the cursor, not every earlier page.
    """
    order = select.args.get("order")
    if order is None or not order.expressions or not isinstance(order.expressions[0].this, exp.Column):
        return False
    leading = order.expressions[0].this.name
    descending = bool(order.expressions[0].args.get("desc"))
    where = select.args.get("where")
    for term in conjuncts(where.this if where is not None else None):
        if not isinstance(term, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
            continue
        lower_bound_when_left = isinstance(term, (exp.GT, exp.GTE))
        for side, other, column_left in ((term.this, term.expression, True), (term.expression, term.this, False)):
            if isinstance(side, exp.Column) and side.name == leading and is_value(other):
                is_lower_bound = lower_bound_when_left == column_left
                if is_lower_bound != descending:
                    return True
    return False
