"""The schema as a graph: tables are nodes, foreign keys are edges, unindexed keys in red.

Drawn with matplotlib on a networkx layout into a PNG (no graphviz binary needed); arrows
run from the referencing table to the referenced one and stop at the label boxes.
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
    """Connected tables by a force layout stretched over the square; isolated tables in rows below."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(graph.tables)
    g.add_edges_from((e["table"], e["ref_table"]) for e in graph.edges if e["table"] != e["ref_table"])
    isolated = sorted(n for n in g.nodes if g.degree(n) == 0)
    connected = g.subgraph(n for n in g.nodes if g.degree(n) > 0)
    positions: dict[str, tuple[float, float]] = {}
    if connected.number_of_nodes():
        spread = 2.5 / math.sqrt(connected.number_of_nodes())
        raw = nx.spring_layout(connected, k=spread, iterations=500, seed=7)
        positions.update(zip(raw, _stretch([(float(x), float(y)) for x, y in raw.values()])))
    if isolated:
        per_row = max(4, math.ceil(math.sqrt(len(isolated)) * 2))
        bottom = min((y for _, y in positions.values()), default=0.0) - 0.3
        for index, name in enumerate(isolated):
            row, column = divmod(index, per_row)
            x = -1 + 2 * (column + 0.5) / per_row
            positions[name] = (x, bottom - 0.25 * row)
    return positions


def _stretch(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Scale x and y each onto [-1, 1], so that the drawing uses the whole figure."""
    def scale(values: list[float]) -> list[float]:
        low, high = min(values), max(values)
        return [0.0 if high == low else 2 * (v - low) / (high - low) - 1 for v in values]

    xs, ys = scale([p[0] for p in points]), scale([p[1] for p in points])
    return list(zip(xs, ys))


def _separate(figure, axes, labels: list, rounds: int = 60) -> None:
    """Push overlapping label boxes apart (along the axis where they overlap least)."""
    figure.canvas.draw()
    to_data = axes.transData.inverted()
    sizes = []
    for label in labels:
        extent = label.get_bbox_patch().get_window_extent().expanded(1.08, 1.25)
        (x0, y0), (x1, y1) = to_data.transform([(extent.x0, extent.y0), (extent.x1, extent.y1)])
        sizes.append((x1 - x0, y1 - y0))
    centres = [list(label.get_position()) for label in labels]
    for _ in range(rounds):
        moved = False
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                dx, dy = centres[j][0] - centres[i][0], centres[j][1] - centres[i][1]
                overlap_x = (sizes[i][0] + sizes[j][0]) / 2 - abs(dx)
                overlap_y = (sizes[i][1] + sizes[j][1]) / 2 - abs(dy)
                if overlap_x <= 0 or overlap_y <= 0:
                    continue
                moved = True
                axis, overlap, delta = (1, overlap_y, dy) if overlap_y < overlap_x else (0, overlap_x, dx)
                step = overlap / 2 * (1 if delta >= 0 else -1)
                centres[i][axis] -= step
                centres[j][axis] += step
        if not moved:
            break
    for label, centre in zip(labels, centres):
        label.set_position(tuple(centre))


def schema_graph_png(catalog: Catalog) -> bytes | None:
    """The graph as a PNG; None when the catalog holds no tables."""
    graph = schema_graph(catalog)
    if not graph.tables:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    positions = layout(graph)
    count = len(graph.tables)
    side = min(5.0 + 0.16 * count, 14.0)
    font = 9 if count <= 25 else 8 if count <= 50 else 7
    figure, axes = plt.subplots(figsize=(side, side * 0.8), dpi=150)
    try:
        axes.set_axis_off()
        figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92)
        figure.legend(
            handles=[
                Line2D([0], [0], color=COVERED_COLOR, lw=1, label="foreign key (indexed)"),
                Line2D([0], [0], color=UNINDEXED_COLOR, lw=1.6, ls="--", label="foreign key without index"),
                Patch(fc=NODE_COLOR, ec="#2c3e50", label="table"),
                Patch(fc=NO_KEY_COLOR, ec="#2c3e50", label="table without primary key"),
            ],
            loc="upper center", ncol=2, fontsize=8, frameon=False,
        )
        xs, ys = [p[0] for p in positions.values()], [p[1] for p in positions.values()]
        axes.set_xlim(min(xs) - 0.15, max(xs) + 0.15)
        axes.set_ylim(min(ys) - 0.1, max(ys) + 0.1)
        boxes = {}
        for table in graph.tables:
            x, y = positions[table]
            boxes[table] = axes.text(
                x, y, graph.label(table), fontsize=font, ha="center", va="center", zorder=3,
                bbox={
                    "boxstyle": "round,pad=0.3",
                    "fc": NO_KEY_COLOR if table in graph.without_primary_key else NODE_COLOR,
                    "ec": "#2c3e50", "lw": 0.6,
                },
            )
        _separate(figure, axes, list(boxes.values()))
        for table, box in boxes.items():
            positions[table] = box.get_position()
        xs, ys = [p[0] for p in positions.values()], [p[1] for p in positions.values()]
        axes.set_xlim(min(xs) - 0.15, max(xs) + 0.15)
        axes.set_ylim(min(ys) - 0.1, max(ys) + 0.1)
        figure.canvas.draw()  # places the label boxes, which clip the arrows below
        for edge in graph.edges:
            unindexed = not edge.get("covered")
            color = UNINDEXED_COLOR if unindexed else COVERED_COLOR
            columns = ", ".join(edge.get("columns") or [])
            source, target = boxes[edge["table"]], boxes[edge["ref_table"]]
            if source is target:  # self-reference (adjacency list): a note under the table
                x, y = positions[edge["table"]]
                axes.annotate(f"\u21ba {columns}", (x, y), xytext=(0, -1.6 * font), textcoords="offset points",
                              fontsize=font - 1, color=color, ha="center", va="center", zorder=4)
                continue
            axes.annotate(
                "", xy=positions[edge["ref_table"]], xytext=positions[edge["table"]], zorder=2,
                arrowprops={
                    "arrowstyle": "-|>", "mutation_scale": 12, "color": color, "lw": 1.6 if unindexed else 0.9,
                    "linestyle": "--" if unindexed else "-", "shrinkA": 1, "shrinkB": 1,
                    "patchA": source.get_bbox_patch(), "patchB": target.get_bbox_patch(),
                    "connectionstyle": "arc3,rad=0.06",
                },
            )
            if unindexed:
                (x1, y1), (x2, y2) = positions[edge["table"]], positions[edge["ref_table"]]
                axes.text((x1 + x2) / 2, (y1 + y2) / 2, columns, fontsize=font - 1, color=color, ha="center",
                          va="center", zorder=2.5,  # under the table boxes: a table's name is never hidden
                          bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")  # not "tight": the arrows are clipped to the boxes as drawn
        return buffer.getvalue()
    finally:
        plt.close(figure)
