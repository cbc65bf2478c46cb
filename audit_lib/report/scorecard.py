"""The scorecard: findings by rule group (R1–R5, T) and severity, as a table and a chart."""

from __future__ import annotations

import io
from typing import Sequence

from audit_lib.findings import Finding, Severity
from audit_lib.report.tables import Cell, Html, html_table

GROUPS = ("R1", "R2", "R3", "R4", "R5", "T")
GROUP_TITLES = {
    "R1": "EXPLAIN-first data design",
    "R2": "Atomic and transactional integrity",
    "R3": "Distributed systems and observability",
    "R4": "Runtime coherence and resource lifecycle",
    "R5": "Algorithmic and asymptotic rigor",
    "T": "Types",
}
SEVERITIES = tuple(sorted(Severity, reverse=True))  # high first
SEVERITY_COLORS = {
    Severity.high: "#c0392b",
    Severity.medium: "#e67e22",
    Severity.low: "#f1c40f",
    Severity.info: "#7f8c8d",
}


def tally(findings: Sequence[Finding]) -> dict[str, dict[str, int]]:
    """Per group: active findings per severity name, plus ``suppressed`` and ``total``."""
    counts = {g: {**{s.name: 0 for s in SEVERITIES}, "suppressed": 0, "total": 0} for g in GROUPS}
    for finding in findings:
        row = counts.setdefault(finding.group, {**{s.name: 0 for s in SEVERITIES}, "suppressed": 0, "total": 0})
        if finding.suppressed:
            row["suppressed"] += 1
        else:
            row[finding.severity.name] += 1
            row["total"] += 1
    return counts


def scorecard_table(findings: Sequence[Finding]) -> Html:
    counts = tally(findings)
    rows = []
    for group, row in counts.items():
        title = GROUP_TITLES.get(group, "")
        rows.append(
            [Html(f'<a href="#group-{group}">{group}</a>'), title]
            + [Cell(row[s.name], css="pa-num" + (f" pa-hit-{s.name}" if row[s.name] else "")) for s in SEVERITIES]
            + [Cell(row["suppressed"], css="pa-num"), Cell(row["total"], css="pa-num pa-total")]
        )
    totals = {key: sum(row[key] for row in counts.values()) for key in next(iter(counts.values()))}
    rows.append(
        [Html("<strong>all</strong>"), ""]
        + [Cell(totals[s.name], css="pa-num pa-total") for s in SEVERITIES]
        + [Cell(totals["suppressed"], css="pa-num"), Cell(totals["total"], css="pa-num pa-total")]
    )
    return html_table(
        ["Group", "Rules about", *[s.name for s in SEVERITIES], "suppressed", "active"],
        rows,
        css_class="pa-scorecard",
        widths=["9%", "34%", "9%", "9%", "9%", "9%", "12%", "9%"],
        sortable=False,
    )


def scorecard_png(findings: Sequence[Finding]) -> bytes:
    """A horizontal stacked bar per group, one colour per severity; suppressed hatched grey."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    counts = tally(findings)
    groups = list(counts)
    figure, axes = plt.subplots(figsize=(7.5, 0.45 * len(groups) + 1.2), dpi=150)
    try:
        left = [0] * len(groups)
        positions = list(range(len(groups)))[::-1]
        for severity in SEVERITIES:
            values = [counts[g][severity.name] for g in groups]
            axes.barh(positions, values, left=left, color=SEVERITY_COLORS[severity], label=severity.name, height=0.6)
            left = [a + b for a, b in zip(left, values)]
        suppressed = [counts[g]["suppressed"] for g in groups]
        axes.barh(positions, suppressed, left=left, color="white", edgecolor="#95a5a6", hatch="///",
                  label="suppressed", height=0.6)
        for position, end, group in zip(positions, [a + b for a, b in zip(left, suppressed)], groups):
            axes.text(end + 0.1, position, str(counts[group]["total"]), va="center", fontsize=8)
        axes.set_yticks(positions, [f"{g}  {GROUP_TITLES.get(g, '')}" for g in groups], fontsize=8)
        axes.set_xlabel("findings", fontsize=8)
        axes.tick_params(axis="x", labelsize=8)
        axes.xaxis.get_major_locator().set_params(integer=True)
        widest = max((a + b for a, b in zip(left, suppressed)), default=0)
        axes.set_xlim(0, max(widest * 1.12, 1))
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(fontsize=7, ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
