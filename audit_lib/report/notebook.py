"""What the report notebook calls: run the audit once, then one display call per section.

Every ``show_*`` function is a section: it writes a progress line on stderr, renders its
part of the report, and when it fails it shows a one-line (redacted) error in place of
its content so that the other sections still render.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from audit_lib import __version__
from audit_lib.engine import Audit, AuditResult
from audit_lib.pg.model import Catalog
from audit_lib.redact import redact_secrets
from audit_lib.report.export import stylesheet
from audit_lib.report.outputs import write_outputs
from audit_lib.report.plan_tree import format_sql, plan_summary, plan_table, root_plan, walk
from audit_lib.report.scorecard import GROUP_TITLES, scorecard_png, scorecard_table
from audit_lib.report.schema_graph import schema_graph, schema_graph_png
from audit_lib.report.tables import Cell, Html, anchor_id, esc, findings_table, html_table
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery
from audit_lib.workbook import EMBEDDED_DSN_ENV

PLANNABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "MERGE", "TABLE")


def progress(message: str) -> None:
    print(f"posture-audit: {message}", file=sys.stderr, flush=True)


@dataclass
class AuditReport:
    """One audit run and what the report needs of it."""

    settings: Settings
    result: AuditResult
    catalog: Catalog | None
    started: datetime
    seconds: float
    out_dir: Path
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def findings(self):
        return self.result.findings


def settings_from_parameters(namespace: dict[str, Any]) -> Settings:
    """The Settings from the notebook's parameter variables (its ``globals()``)."""
    unknown = injected_unknown_parameters(namespace)
    if unknown:
        raise ValueError(f"unknown parameter(s): {', '.join(unknown)} (every parameter is in params/default.yaml)")
    values = {
        f.name: namespace[f.name]
        for f in dataclasses.fields(Settings)
        if namespace.get(f.name) is not None  # None stands for the default
    }
    if not values.get("code_root"):
        raise ValueError("code_root is required: the root of the code base to audit")
    return Settings.from_mapping(values)


def injected_unknown_parameters(namespace: dict[str, Any]) -> list[str]:
    """Names a parameters cell (papermill's injected one included) sets that are no parameter.

    Papermill only warns about an unknown ``-p name value`` and runs on; the kernel's input
    history (``In``) still holds the injected cell, which is read here, never run again.
    """
    import ast

    known = {f.name for f in dataclasses.fields(Settings)}
    assigned: set[str] = set()
    for source in namespace.get("In") or []:
        if not isinstance(source, str) or not source.lstrip().startswith("# Parameters"):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                assigned.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return sorted(assigned - known)


def run_audit(settings: Settings) -> AuditReport:
    """Run every stage, write findings.json and findings.sarif into ``settings.out_dir``."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    audit = Audit(settings, progress=progress)
    result = audit.run()
    out_dir = Path(settings.out_dir).expanduser().resolve()
    outputs = write_outputs(result, out_dir)
    progress(f"audit done: {len(result.active())} finding(s), {len(result.queries)} query(ies); wrote {out_dir}")
    return AuditReport(settings, result, audit.catalog, started, time.perf_counter() - clock, out_dir, outputs)


def _display(*objects) -> None:
    from IPython.display import HTML, Image, display

    for obj in objects:
        if isinstance(obj, bytes):
            display(Image(data=obj, format="png"))
        else:
            display(HTML(f'<div class="pa-report">{obj}</div>'))


def section(name: str | Callable[..., str]) -> Callable:
    """Mark a function as a report section: progress line, and an error line instead of a crash.

    ``name`` is the section's name, or a function of the section's arguments giving it.
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs) -> None:
            title = name(*args, **kwargs) if callable(name) else name
            progress(f"section {title}")
            try:
                fn(*args, **kwargs)
            except Exception as exc:  # one broken section must not hide the others
                _display(error_line(title, exc))
                progress(f"section {title} failed: {type(exc).__name__}")

        return run

    return wrap


def error_line(name: str, exc: BaseException) -> Html:
    text = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return Html(f'<p class="pa-error">This section could not be rendered ({esc(name)}): {esc(redact_secrets(detail))}</p>')


def _key_value_table(pairs: list[tuple[str, object]]) -> Html:
    return html_table(["", ""], pairs, css_class="pa-info", widths=["25%", "75%"], sortable=False)


@section("run info")
def show_run_info(report: AuditReport) -> None:
    settings, result = report.settings, report.result
    if result.database:
        database = result.database
    elif settings.database == "none":
        database = "none selected"
    else:
        database = "not audited (see Skipped and errors)"
    source = {
        "env": "embedded PostgreSQL with the bundled example, started by posture-audit"
        if settings.dsn_env == EMBEDDED_DSN_ENV else f"connection string from ${settings.dsn_env}",
        "embedded-example": "embedded PostgreSQL with the bundled example",
        "none": "no database",
    }[settings.database]
    _display(Html(f"<style>{stylesheet('report.css')}</style>"))
    stages = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.timings.items())
    active = result.active()
    _display(
        _key_value_table(
            [
                ("Code", result.code_root),
                ("Database", f"{database} ({source})"),
                ("Run", f"{report.started:%Y-%m-%d %H:%M} UTC, posture-audit {__version__}, {report.seconds:.1f}s"),
                ("Stages", stages or "none ran"),
                ("Findings", f"{len(active)} active, {len(result.findings) - len(active)} suppressed"),
                ("Queries found in code", len(result.queries)),
                ("Rules selected", ", ".join(settings.rules) or "all"),
                ("Outputs", ", ".join(p.name for p in report.outputs.values())),
            ]
        )
    )


@section("scorecard")
def show_scorecard(report: AuditReport) -> None:
    _display(scorecard_png(report.findings), scorecard_table(report.findings))


@section(lambda report, group: group)
def show_group(report: AuditReport, group: str) -> None:
    findings = [f for f in report.findings if f.group == group]
    anchor = f'<span id="{anchor_id("group", group)}"></span>'
    _display(Html(anchor + findings_table(findings, empty=f"no {group} findings ({GROUP_TITLES.get(group, '')})")))


@section("query plans")
def show_queries(report: AuditReport) -> None:
    queries = report.result.queries
    if not queries:
        why = next((s.why for s in report.result.skipped if s.what == "sql"), None)
        _display(Html(f'<p class="pa-empty">{esc("no SQL query was found in the code" + (f" ({why})" if why else ""))}</p>'))
        return
    by_query: dict[str, list] = {}
    for finding in report.findings:
        for query_id in finding.queries:
            by_query.setdefault(query_id, []).append(finding)
    planned = [q for q in queries if q.plan is not None or q.kind in PLANNABLE]
    others = [q for q in queries if q not in planned]
    _display(query_index(planned, by_query))
    for query in planned:
        _display(query_detail(query, by_query.get(query.id, [])))
    if others:
        rows = [
            [Html(f'<span id="{anchor_id("query", q.id)}">{esc(q.id)}</span>'), q.kind, _sites(q),
             q.plan_error or "not planned", findings_summary(by_query.get(q.id, []))]
            for q in others
        ]
        _display(Html(
            "<h3>Other statements found (not planned)</h3>"
            + html_table(["Query", "Kind", "Sent from", "Why no plan", "Findings"], rows,
                         widths=["8%", "12%", "25%", "40%", "15%"])
        ))


def query_index(queries: list[FoundQuery], by_query: dict[str, list]) -> Html:
    """One line per query: where from, plan or not, flags, findings; linked to its detail."""
    rows = []
    for query in queries:
        steps = list(walk(root_plan(query.plan))) if root_plan(query.plan) else []
        flags = sorted({flag for step in steps for flag in step.flags})
        rows.append([
            Cell(Html(f'<a href="#{anchor_id("query", query.id)}">{esc(query.id)}</a>'), sort=_query_number(query.id)),
            query.kind,
            _sites(query),
            plan_summary(query.plan) if query.plan is not None else (query.plan_error or "no plan"),
            Html("<br>".join(f'<span class="pa-flag">{esc(f)}</span>' for f in flags)),
            findings_summary(by_query.get(query.id, [])),
        ])
    return html_table(["Query", "Kind", "Sent from", "Plan", "Plan flags", "Findings"], rows, css_class="pa-queries",
                      widths=["8%", "10%", "27%", "20%", "20%", "15%"])


def query_detail(query: FoundQuery, findings: list) -> Html:
    if query.plan is not None:
        mode = "EXPLAIN ANALYZE (rolled back)" if query.analyzed else "EXPLAIN (estimates)"
        plan = f'<p class="pa-note">{esc(mode)}</p>' + plan_table(query.plan)
    else:
        plan = f'<p class="pa-empty">no plan: {esc(query.plan_error or "not planned")}</p>'
    return Html(
        f'<div class="pa-query"><h3 id="{anchor_id("query", query.id)}">Query {esc(query.id)}</h3>'
        f'<pre class="pa-sql">{esc(format_sql(query.normalized or query.sql))}</pre>'
        f'<p class="pa-sites"><strong>Sent from</strong> {_sites(query)}</p>'
        f"{plan}"
        + (findings_table(findings) if findings else "")
        + "</div>"
    )


def _sites(query: FoundQuery) -> Html:
    return Html("<br>".join(
        esc(f"{s.path}:{s.line}" + (f" in {s.function}()" if s.function else "")) for s in query.sites
    ) or "unknown")


def findings_summary(findings: list) -> Html:
    return Html("<br>".join(esc(f.rule) + f' <span class="pa-note">{esc(f.severity.name)}</span>' for f in findings))


def _query_number(query_id: str) -> str:
    digits = "".join(ch for ch in query_id if ch.isdigit())
    return digits or query_id


@section("schema graph")
def show_schema_graph(report: AuditReport) -> None:
    if report.catalog is None or not report.catalog.rows("tables"):
        why = "; ".join(
            f"{s.what}: {s.why}" for s in report.result.skipped if s.what in ("database", "sql")
        ) or "the catalog holds no tables"
        if report.catalog is not None and "tables" in report.catalog.unavailable:
            why = report.catalog.unavailable["tables"]
        _display(Html(f'<p class="pa-empty">skipped: {esc(why)}</p>'))
        return
    graph = schema_graph(report.catalog)
    png = schema_graph_png(report.catalog)
    rows = [
        [f"{e['table']}({', '.join(e.get('columns') or [])})", f"{e['ref_table']}({', '.join(e.get('ref_columns') or [])})",
         e.get("name", "")]
        for e in graph.unindexed
    ]
    unavailable = report.catalog.unavailable.get("foreign_keys")
    counts = (
        f"foreign keys were not collected ({unavailable}): tables only"
        if unavailable
        else f"{len(graph.edges)} foreign key(s), {len(graph.unindexed)} without a covering index"
    )
    _display(
        png,
        Html(f"<p>{len(graph.tables)} table(s); {esc(counts)}.</p>"),
        html_table(["Referencing (columns)", "Referenced", "Constraint"], rows, css_class="pa-fks",
                   widths=["40%", "35%", "25%"], empty="every foreign key has a covering index"),
    )


@section("skipped and errors")
def show_skipped(report: AuditReport) -> None:
    result = report.result
    skipped = html_table(["What", "Why"], [[s.what, s.why] for s in result.skipped], widths=["20%", "80%"],
                         empty="nothing was skipped")
    errors = html_table(["Where", "Error"], [[e.path, e.why] for e in result.errors], widths=["30%", "70%"],
                        empty="no errors")
    unused = html_table(
        ["Where", "Ignored rules"],
        [[f"{s.path}:{s.line}", ", ".join(sorted(s.ids))] for s in result.unused_suppressions],
        widths=["40%", "60%"],
        empty="every suppression comment was used",
    )
    _display(Html(f"<h3>Skipped</h3>{skipped}<h3>Errors</h3>{errors}<h3>Unused suppressions</h3>{unused}"))

