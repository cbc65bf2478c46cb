"""Query plans for reading: formatted SQL, and EXPLAIN (FORMAT JSON) as an indented tree."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator

from audit_lib.report.tables import Cell, Html, esc, html_table

ESTIMATE_ERROR_FACTOR = 10.0
CONDITION_KEYS = ("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Filter", "Sort Key",
                  "Group Key")


def format_sql(sql: str) -> str:
    """The query pretty-printed by sqlglot (PostgreSQL dialect); as written when it does not parse."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command" is not news here
    try:
        statements = sqlglot.transpile(sql, read="postgres", write="postgres", pretty=True)
    except (SqlglotError, ValueError, RecursionError):
        return sql.strip()
    return ";\n\n".join(statements) if statements else sql.strip()


def root_plan(plan: object) -> dict | None:
    """The top plan node of EXPLAIN JSON, whichever way it was stored (list, wrapper or node)."""
    if isinstance(plan, list):
        plan = plan[0] if plan else None
    if isinstance(plan, dict) and isinstance(plan.get("Plan"), dict):
        return plan["Plan"]
    if isinstance(plan, dict) and "Node Type" in plan:
        return plan
    return None


@dataclass
class PlanStep:
    depth: int
    node: dict
    flags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        node = self.node
        label = node.get("Node Type", "?")
        if node.get("Parallel Aware"):
            label = f"Parallel {label}"
        details = [node[key] for key in ("Join Type", "Strategy") if node.get(key) and node[key] not in ("Inner", "Plain")]
        return f"{label} ({', '.join(details)})" if details else label

    @property
    def relation(self) -> str:
        name = self.node.get("Relation Name") or self.node.get("CTE Name") or self.node.get("Function Name") or ""
        schema = self.node.get("Schema")
        alias = self.node.get("Alias")
        qualified = f"{schema}.{name}" if schema and name else name
        return f"{qualified} {alias}" if alias and alias != name else qualified

    @property
    def conditions(self) -> list[str]:
        found = []
        for key in CONDITION_KEYS:
            value = self.node.get(key)
            if value:
                text = ", ".join(value) if isinstance(value, list) else str(value)
                found.append(f"{key}: {text}")
        return found


def walk(node: dict, depth: int = 0) -> Iterator[PlanStep]:
    yield PlanStep(depth, node, flags_of(node))
    for child in node.get("Plans", []) or []:
        if isinstance(child, dict):
            yield from walk(child, depth + 1)


def flags_of(node: dict) -> list[str]:
    """What a reader should look at in this node: spills, misestimates, filtered scans."""
    flags = []
    node_type = node.get("Node Type", "")
    if node_type == "Seq Scan":
        flags.append("seq scan" + (" with filter" if node.get("Filter") else ""))
    if node.get("Sort Space Type") == "Disk":
        flags.append(f"sort spilled to disk ({node.get('Sort Space Used', '?')} kB)")
    batches = node.get("Hash Batches")
    if isinstance(batches, int) and batches > 1:
        flags.append(f"hash in {batches} batches (disk)")
    loops = node.get("Actual Loops")
    if loops == 0:
        flags.append("never executed")
    estimated, actual = node.get("Plan Rows"), node.get("Actual Rows")
    if isinstance(estimated, (int, float)) and isinstance(actual, (int, float)) and loops:
        low, high = sorted((max(estimated, 1), max(actual, 1)))
        if high / low >= ESTIMATE_ERROR_FACTOR:
            flags.append(f"rows misestimated x{high / low:.0f}")
    removed = node.get("Rows Removed by Filter")
    if isinstance(removed, (int, float)) and removed > 0:
        flags.append(f"{removed:,} rows removed by filter")
    return flags


def _rows(value: object) -> str:
    return f"{value:,.0f}" if isinstance(value, (int, float)) else ""


def format_cost(cost: object) -> str:
    if not isinstance(cost, (int, float)):
        return ""
    return f"{cost:,.0f}" if cost >= 100 else f"{cost:,.2f}"


def plan_summary(plan: object) -> str:
    """The top node's cost and row estimate, e.g. ``cost 5,123, ~300,000 rows``."""
    root = root_plan(plan)
    if root is None:
        return ""
    rows = root.get("Actual Rows") if root.get("Actual Loops") else root.get("Plan Rows")
    return f"cost {format_cost(root.get('Total Cost'))}, ~{_rows(rows)} rows"


def plan_table(plan: object) -> Html:
    """The plan as a table, one row per node, indented by depth; actual rows when it was analyzed."""
    root = root_plan(plan)
    if root is None:
        return Html('<p class="pa-empty">no plan</p>')
    steps = list(walk(root))
    analyzed = any("Actual Rows" in step.node for step in steps)
    rows = []
    for step in steps:
        indent = "&nbsp;&nbsp;" * step.depth + ("&#x2514;&#x2500; " if step.depth else "")
        conditions = "".join(f'<br><span class="pa-note">{esc(c)}</span>' for c in step.conditions)
        row = [
            Html(f'<span class="pa-node">{indent}{esc(step.label)}</span>{conditions}'),
            step.relation,
            step.node.get("Index Name", ""),
            Cell(_rows(step.node.get("Plan Rows")), css="pa-num"),
        ]
        if analyzed:
            row.append(Cell(_rows(step.node.get("Actual Rows")), css="pa-num"))
        row.append(Cell(format_cost(step.node.get("Total Cost")), css="pa-num"))
        row.append(Html("<br>".join(f'<span class="pa-flag">{esc(f)}</span>' for f in step.flags)))
        rows.append(row)
    if analyzed:
        headers = ["Node", "Relation", "Index", "Est. rows", "Actual rows", "Cost", "Flags"]
        widths = ["29%", "14%", "14%", "9%", "9%", "9%", "16%"]
    else:
        headers = ["Node", "Relation", "Index", "Est. rows", "Cost", "Flags"]
        widths = ["32%", "16%", "16%", "9%", "9%", "18%"]
    return html_table(headers, rows, css_class="pa-plan", widths=widths, sortable=False)
