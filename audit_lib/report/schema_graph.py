"""The schema as a graph: tables are nodes, foreign keys are edges, unindexed keys in red.

Drawn with matplotlib on a networkx layout into a PNG (no graphviz binary needed).
Partitions are folded into their partitioned parent, as the foreign-key rule judges them.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from audit_lib.pg.model import Catalog

COVERED_COLOR = "#7f8c8d"
UNINDEXED_COLOR = "#c0392b"
NODE_COLOR = "#d6eaf8"
NO_KEY_COLOR = "#fdebd0"


@dataclass
class SchemaGraph:
    tables: list[str]  # schema.name
    without_primary_key: set[str]
    edges: list[dict]  # foreign-key rows: table, ref_table, columns, covered, name

    @property
    def unindexed(self) -> list[dict]:
        return [e for e in self.edges if not e.get("covered")]

    def label(self, table: str) -> str:
        """``name`` when every table is in one schema, else ``schema.name``."""
        schemas = {t.split(".", 1)[0] for t in self.tables}
        return table.split(".", 1)[1] if len(schemas) == 1 and "." in table else table


def schema_graph(catalog: Catalog) -> SchemaGraph:
    tables = [row["table"] for row in catalog.rows("tables") if row.get("kind") != "partition"]
    edges = [row for row in catalog.rows("foreign_keys") if row.get("table") and row.get("ref_table")]
    known = set(tables)
    for edge in edges:  # a key to a table outside the collected schemas still gets a node
        for end in (edge["table"], edge["ref_table"]):
            if end not in known:
                known.add(end)
                tables.append(end)
    missing_key = {
        row["table"] for row in catalog.rows("tables")
        if row.get("kind") != "partition" and not row.get("has_primary_key")
    }
    return SchemaGraph(tables=tables, without_primary_key=missing_key, edges=edges)


def layout(graph: SchemaGraph) -> dict[str, tuple[float, float]]:
    """Connected tables by a force layout, each component apart; isolated tables in a row below."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(graph.tables)
    g.add_edges_from((e["table"], e["ref_table"]) for e in graph.edges if e["table"] != e["ref_table"])
    isolated = sorted(n for n in g.nodes if g.degree(n) == 0)
    connected = g.subgraph(n for n in g.nodes if g.degree(n) > 0)
    positions: dict[str, tuple[float, float]] = {}
    if connected.number_of_nodes():
        spread = 1.6 / math.sqrt(connected.number_of_nodes())
        raw = nx.spring_layout(connected, k=spread, iterations=300, seed=7)
        positions.update({n: (float(x), float(y)) for n, (x, y) in raw.items()})
    if isolated:
        per_row = max(4, math.ceil(math.sqrt(len(isolated)) * 2))
        bottom = min((y for _, y in positions.values()), default=0.0) - 0.3
        for index, name in enumerate(isolated):
            row, column = divmod(index, per_row)
            x = -1 + 2 * (column + 0.5) / per_row
            positions[name] = (x, bottom - 0.25 * row)
    return positions


def schema_graph_png(catalog: Catalog) -> bytes | None:
    """The graph as a PNG; None when the catalog holds no tables."""
    graph = schema_graph(catalog)
    if not graph.tables:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import networkx as nx
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    positions = layout(graph)
    count = len(graph.tables)
    side = min(5.0 + 0.16 * count, 14.0)
    font = 9 if count <= 25 else 8 if count <= 50 else 7
    figure, axes = plt.subplots(figsize=(side, side * 0.8), dpi=150)
    try:
        g = nx.MultiDiGraph()
        g.add_nodes_from(graph.tables)
        for style, color, selected in (
            ("solid", COVERED_COLOR, [e for e in graph.edges if e.get("covered")]),
            ("dashed", UNINDEXED_COLOR, graph.unindexed),
        ):
            pairs = [(e["table"], e["ref_table"]) for e in selected]
            if pairs:
                nx.draw_networkx_edges(
                    g, positions, edgelist=pairs, ax=axes, edge_color=color, style=style,
                    width=1.8 if color == UNINDEXED_COLOR else 1.0, arrows=True, arrowsize=10,
                    connectionstyle="arc3,rad=0.08", node_size=1400, min_target_margin=14,
                )
        for edge in graph.unindexed:
            start, end = positions[edge["table"]], positions[edge["ref_table"]]
            middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + (0.12 if start == end else 0))
            axes.annotate(
                ", ".join(edge.get("columns") or []), middle, fontsize=font - 1, color=UNINDEXED_COLOR,
                ha="center", va="center", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        for table in graph.tables:
            x, y = positions[table]
            axes.text(
                x, y, graph.label(table), fontsize=font, ha="center", va="center", zorder=3,
                bbox={
                    "boxstyle": "round,pad=0.3",
                    "fc": NO_KEY_COLOR if table in graph.without_primary_key else NODE_COLOR,
                    "ec": "#2c3e50", "lw": 0.6,
                },
            )
        axes.legend(
            handles=[
                Line2D([0], [0], color=COVERED_COLOR, lw=1, label="foreign key (indexed)"),
                Line2D([0], [0], color=UNINDEXED_COLOR, lw=1.8, ls="--", label="foreign key without index"),
                Patch(fc=NODE_COLOR, ec="#2c3e50", label="table"),
                Patch(fc=NO_KEY_COLOR, ec="#2c3e50", label="table without primary key"),
            ],
            loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8, frameon=False,
        )
        axes.set_axis_off()
        axes.margins(0.08)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)
