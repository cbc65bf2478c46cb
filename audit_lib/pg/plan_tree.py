"""Reading EXPLAIN (FORMAT JSON) plans and relating them to the catalog: pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from audit_lib.findings import Finding
from audit_lib.pg.model import Catalog
from audit_lib.sql.model import FoundQuery

SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Parallel Seq Scan"}


@dataclass
class Node:
    data: dict
    parent: "Node | None"

    @property
    def type(self) -> str:
        return self.data.get("Node Type", "")

    @property
    def children(self) -> list["Node"]:
        return [Node(child, self) for child in self.data.get("Plans", [])]

    @property
    def relation(self) -> str | None:
        return self.data.get("Relation Name")

    def get(self, key: str, default=None):
        return self.data.get(key, default)


def nodes(plan: dict | None) -> Iterator[Node]:
    """Every node of a plan (the top object of EXPLAIN's JSON), depth first."""
    if not plan or "Plan" not in plan:
        return
    stack = [Node(plan["Plan"], None)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def scans_below(node: Node) -> list[Node]:
    """The table scans under ``node`` (itself included)."""
    found = [node] if node.relation else []
    for child in node.children:
        found.extend(scans_below(child))
    return found


def table_row(catalog: Catalog | None, node: Node) -> dict | None:
    """The catalog's ``tables`` row of the relation a scan node reads.

    Plans name the schema only in VERBOSE mode; without it, a name that exists in a
    single schema is taken, and ``public`` wins among several.
    """
    if catalog is None or not node.relation:
        return None
    rows = [t for t in catalog.rows("tables") if t["name"] == node.relation]
    schema = node.get("Schema")
    if schema:
        rows = [t for t in rows if t["schema"] == schema]
    if len(rows) > 1:
        rows = [t for t in rows if t["schema"] == "public"]
    return rows[0] if len(rows) == 1 else None


def table_rows(catalog: Catalog | None, node: Node) -> int | None:
    row = table_row(catalog, node)
    return None if row is None else int(row["est_rows"])


def describe(node: Node) -> str:
    """One line for the evidence: ``Seq Scan on orders (Filter: ...) rows=...``."""
    text = node.type
    if node.relation:
        text += f" on {node.relation}"
        if node.get("Alias") and node.get("Alias") != node.relation:
            text += f" {node.get('Alias')}"
    for key in ("Filter", "Index Cond", "Hash Cond", "Join Filter"):
        if node.get(key):
            text += f" ({key}: {node.get(key)})"
    if node.get("Sort Key"):
        text += f" (Sort Key: {', '.join(node.get('Sort Key'))})"
    text += f" rows={node.get('Plan Rows')}"
    if "Actual Rows" in node.data:
        text += f" actual={node.get('Actual Rows')}x{node.get('Actual Loops', 1)}"
    return text


def located(query: FoundQuery, **fields) -> Finding:
    """A finding about a found query, placed at its first call site and linked to it."""
    site = query.sites[0] if query.sites else None
    return Finding(path=site.path if site else None, line=site.line if site else None,
                   end_line=site.line if site else None, queries=[query.id], **fields)
