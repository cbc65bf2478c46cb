"""The report's building blocks, offline: escaping, plan trees, scorecard, schema graph, export."""

from __future__ import annotations

import dataclasses
import json
import re

import nbformat
import papermill
import pytest

from audit_lib.engine import AuditResult, Skipped
from audit_lib.findings import Confidence, Finding, Severity
from audit_lib.pg.model import Catalog
from audit_lib.redact import register_secret
from audit_lib.report import notebook as report
from audit_lib.report.export import notebook_to_html
from audit_lib.report.plan_tree import flags_of, format_sql, plan_table, root_plan, walk
from audit_lib.report.scorecard import scorecard_png, scorecard_table, tally
from audit_lib.report.schema_graph import schema_graph, schema_graph_png
from audit_lib.report.tables import findings_table
from audit_lib.settings import PROJECT_ROOT, Settings
from audit_lib.sql.model import FoundQuery, QuerySite
from audit_lib.workbook import NOTEBOOK, WorkbookResult

HOSTILE = "<script>alert(1)</script></table>"

PLAN = [
    {
        "Plan": {
            "Node Type": "Sort",
            "Sort Key": ["o.placed_at DESC"],
            "Sort Space Type": "Disk",
            "Sort Space Used": 2048,
            "Plan Rows": 10,
            "Actual Rows": 5000,
            "Actual Loops": 1,
            "Total Cost": 1234.5,
            "Plans": [
                {
                    "Node Type": "Hash Join",
                    "Join Type": "Left",
                    "Hash Cond": "(o.customer_id = c.id)",
                    "Plan Rows": 5000,
                    "Actual Rows": 5000,
                    "Actual Loops": 1,
                    "Total Cost": 900.0,
                    "Plans": [
                        {"Node Type": "Seq Scan", "Relation Name": "orders", "Schema": "public", "Alias": "o",
                         "Filter": "(status = 'open')", "Rows Removed by Filter": 295000, "Plan Rows": 5000,
                         "Actual Rows": 5000, "Actual Loops": 1, "Total Cost": 800.0},
                        {"Node Type": "Index Scan", "Relation Name": HOSTILE, "Index Name": "customers_pkey",
                         "Plan Rows": 1, "Actual Rows": 1, "Actual Loops": 1, "Total Cost": 0.3},
                    ],
                },
            ],
        },
        "Planning Time": 0.2,
    }
]


def finding(rule="R3.http-no-timeout", severity=Severity.high, **values) -> Finding:
    base = dict(message="requests.get() has no timeout", rule=rule, severity=severity, path="app/clients.py",
                line=3, evidence="requests.get(url)", fix="pass timeout=(3.05, 27)")
    base.update(values)
    return Finding(**base)


def test_hostile_text_renders_as_text_in_findings_tables():
    html = findings_table([finding(message=HOSTILE, evidence=HOSTILE, fix=HOSTILE, path=HOSTILE, queries=[HOSTILE])])
    assert "<script>alert" not in html
    assert "</table>" in html and html.count("</table>") == 1  # only the table's own end tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/table&gt;" in html
    assert re.search(r'href="#query-[A-Za-z0-9_-]+"', html)  # the anchor is sanitised, the shown id escaped


def test_hostile_text_renders_as_text_in_plans_and_sql():
    html = plan_table(PLAN)
    assert "<script>alert" not in html and html.count("</table>") == 1
    query = FoundQuery(id="q1", sql=f"SELECT '{HOSTILE}'", normalized=f"SELECT '{HOSTILE}'",
                       sites=[QuerySite(HOSTILE, 2)], plan=PLAN)
    detail = report.query_detail(query, [])
    assert "<script>alert" not in detail
    assert detail.count("</table>") == 1


def test_secrets_are_masked_in_tables():
    register_secret("S3cretPlanted")
    html = findings_table([finding(message="cannot connect to postgresql://auditor:S3cretPlanted@db/shop")])
    assert "S3cretPlanted" not in html
    assert "postgresql://auditor:***@db/shop" in html


def test_a_failing_section_shows_one_redacted_line(capsys, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda *objects: shown.extend(objects))

    @report.section("boom")
    def broken(_):
        raise RuntimeError("failed on postgresql://u:hunter22@h/db\nsecond line <b>")

    broken(None)
    assert len(shown) == 1
    assert "hunter22" not in shown[0] and "second line" not in shown[0]
    assert "RuntimeError" in shown[0] and "boom" in shown[0]
    assert "section boom" in capsys.readouterr().err


def test_plan_tree_rows_and_flags():
    steps = list(walk(root_plan(PLAN)))
    assert [(s.depth, s.label) for s in steps] == [
        (0, "Sort"), (1, "Hash Join (Left)"), (2, "Seq Scan"), (2, "Index Scan"),
    ]
    assert steps[2].relation == "public.orders o"
    assert "sort spilled to disk (2048 kB)" in steps[0].flags
    assert "rows misestimated x500" in steps[0].flags
    assert steps[2].flags == ["seq scan with filter", "295,000 rows removed by filter"]
    assert steps[3].flags == []
    assert flags_of({"Node Type": "Hash", "Hash Batches": 4}) == ["hash in 4 batches (disk)"]
    # one row per node, the index named, estimates and actual rows shown
    html = plan_table(PLAN)
    assert html.count("<tr>") == 5 and "customers_pkey" in html and "295,000" in html


def test_root_plan_accepts_each_stored_shape_and_rejects_others():
    node = PLAN[0]["Plan"]
    assert root_plan(PLAN) is node and root_plan(PLAN[0]) is node and root_plan(node) is node
    assert root_plan(None) is None and root_plan([]) is None and root_plan({"x": 1}) is None
    assert "no plan" in plan_table(None)


def test_format_sql_pretty_prints_and_falls_back():
    assert format_sql("select a,b from t where x=$1 order by a") == "SELECT\n  a,\n  b\nFROM t\nWHERE\n  x = $1\nORDER BY\n  a"
    assert format_sql("SELEC nonsense (((") == "SELEC nonsense ((("


def test_scorecard_counts_by_group_and_severity_and_suppressed():
    findings = [
        finding(),
        finding(rule="R1.fk-no-index", severity=Severity.high, path=None, line=None, object="public.orders"),
        finding(rule="R1.unused-index", severity=Severity.info),
        finding(rule="R3.no-metrics", severity=Severity.low, suppressed=True, suppressed_by="comment"),
    ]
    counts = tally(findings)
    assert counts["R1"] == {"high": 1, "medium": 0, "low": 0, "info": 1, "suppressed": 0, "total": 2}
    assert counts["R3"] == {"high": 1, "medium": 0, "low": 0, "info": 0, "suppressed": 1, "total": 1}
    assert counts["T"]["total"] == 0
    table = scorecard_table(findings)
    last_row = table.rsplit("<tr>", 1)[1]
    assert re.findall(r">(\d+)</td>", last_row) == ["2", "0", "0", "1", "1", "3"]
    assert scorecard_png(findings).startswith(b"\x89PNG")
    assert scorecard_png([]).startswith(b"\x89PNG")


def catalog(tables, fks) -> Catalog:
    return Catalog(database="local/shop", server_version=150000, datasets={"tables": tables, "foreign_keys": fks})


def table_row(name, kind="table", parent=None, pk=True):
    return {"schema": "public", "name": name, "table": f"public.{name}", "kind": kind, "parent": parent,
            "est_rows": 10, "has_primary_key": pk, "size_bytes": 8192}


def fk_row(table, ref, covered, columns=("x_id",)):
    return {"name": f"{table}_fk", "table": f"public.{table}", "columns": list(columns), "ref_table": f"public.{ref}",
            "ref_columns": ["id"], "covered": covered, "covering_index": f"{table}_idx" if covered else None}


def test_schema_graph_folds_partitions_and_marks_unindexed_keys():
    tables = [table_row("orders", kind="partitioned"), table_row("orders_2024", kind="partition",
              parent="public.orders"), table_row("customers"), table_row("categories"), table_row("log", pk=False)]
    fks = [fk_row("orders", "customers", covered=False, columns=["customer_id"]),
           fk_row("categories", "categories", covered=False, columns=["parent_id"]),
           fk_row("orders", "customers", covered=True, columns=["billing_id"])]
    graph = schema_graph(catalog(tables, fks))
    assert graph.tables == ["public.orders", "public.customers", "public.categories", "public.log"]
    assert graph.without_primary_key == {"public.log"}
    assert [e["columns"] for e in graph.unindexed] == [["customer_id"], ["parent_id"]]
    assert graph.label("public.orders") == "orders"
    assert schema_graph_png(catalog(tables, fks)).startswith(b"\x89PNG")
    assert schema_graph_png(catalog([], [])) is None


def test_schema_graph_of_fifty_tables_draws():
    tables = [table_row(f"t{i:02d}") for i in range(50)]
    fks = [fk_row(f"t{i:02d}", f"t{i // 3:02d}", covered=i % 4 != 0) for i in range(1, 45)]
    png = schema_graph_png(catalog(tables, fks))
    assert png.startswith(b"\x89PNG") and len(png) > 50_000


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:40]
    assert "papermill" not in notebook.metadata


def test_notebook_parameters_are_every_setting_with_the_demo_defaults():
    parameters = papermill.inspect_notebook(str(NOTEBOOK))
    assert set(parameters) == {f.name for f in dataclasses.fields(Settings)}
    import yaml

    demo = yaml.safe_load((PROJECT_ROOT / "params" / "demo.yaml").read_text())
    for name, value in demo.items():
        assert parameters[name]["default"] == repr(value)


def test_notebook_is_thin():
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|lambda)\b|\blambda\b", code, re.M)


def test_params_files_name_variables_and_hold_no_secret():
    import yaml

    for name in ("default", "demo", "ci"):
        values = yaml.safe_load((PROJECT_ROOT / "params" / f"{name}.yaml").read_text())
        text = json.dumps(values)
        assert "://" not in text and "password" not in text.lower()
        Settings.from_mapping({k: v for k, v in values.items() if v is not None})
    assert yaml.safe_load((PROJECT_ROOT / "params" / "default.yaml").read_text())["dsn_env"] == "DATABASE_URL"


def test_settings_require_a_code_root():
    with pytest.raises(ValueError, match="code_root is required"):
        report.settings_from_parameters({"code_root": None, "database": "env"})
    settings = report.settings_from_parameters({"code_root": "x", "baseline": None, "unrelated": 1})
    assert settings.code_root == "x" and settings.baseline is None


def test_html_export_loads_nothing_from_the_network(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<p>kept</p>"}),
        nbformat.v4.new_output("stream", name="stderr", text="posture-audit: section x\n"),
    ])])
    source = tmp_path / "in.ipynb"
    nbformat.write(notebook, str(source))
    html = notebook_to_html(source, tmp_path / "out.html").read_text()
    assert "<p>kept</p>" in html and "posture-audit: section x" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html) and "@import" not in html
    assert "@page" in html and "size: A4" in html


def test_workbook_result_filters_active_findings_by_severity(tmp_path):
    result = WorkbookResult(tmp_path, [finding(severity=Severity.low), finding(severity=Severity.high),
                                       finding(severity=Severity.high, suppressed=True)], {})
    assert len(result.at_or_above(Severity.low)) == 2
    assert [f.severity for f in result.at_or_above(Severity.medium)] == [Severity.high]


def test_run_info_and_empty_sections_render_without_database(monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda *objects: shown.extend(objects))
    result = AuditResult(code_root="app", database=None, findings=[finding(confidence=Confidence.medium)],
                         skipped=[Skipped("database", "DATABASE_URL is not set")])
    audit = report.AuditReport(Settings(code_root="app"), result, None, __import__("datetime").datetime.now(),
                               0.1, PROJECT_ROOT, {})
    for show in (report.show_run_info, report.show_scorecard, report.show_queries, report.show_schema_graph,
                 report.show_skipped):
        show(audit)
    report.show_group(audit, "R3")
    text = "\n".join(o for o in shown if isinstance(o, str))
    assert "This section could not be rendered" not in text
    assert "skipped: database: DATABASE_URL is not set" in text
    assert "requests.get() has no timeout" in text


def test_nothing_runs_past_the_right_edge_of_an_a4_page(tmp_path):
    """Long unbroken paths, SQL and identifiers wrap inside the tables on paper."""
    import logging

    from weasyprint import HTML

    from audit_lib.report.export import html_to_pdf

    long_name = "very_long_identifier_" * 12
    findings = [finding(path=f"app/{long_name}/module.py", message=long_name, evidence=f"SELECT {long_name} FROM t",
                        fix=long_name, queries=["q1", "q2", "q3"])]
    plan = [{"Plan": {"Node Type": "Seq Scan", "Relation Name": long_name, "Filter": long_name, "Plan Rows": 300000000,
                      "Total Cost": 123456789.5, "Index Name": long_name}}]
    query = FoundQuery(id="q1", sql=f"SELECT {long_name}, {long_name} FROM {long_name}", normalized="",
                       sites=[QuerySite(f"app/{long_name}.py", 1)], plan=plan)
    outputs = [findings_table(findings), plan_table(plan), report.query_detail(query, findings),
               scorecard_table(findings)]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": f'<div class="pa-report">{html}</div>'})
        for html in outputs
    ])])
    nbformat.write(notebook, str(tmp_path / "wide.ipynb"))
    html_path = notebook_to_html(tmp_path / "wide.ipynb", tmp_path / "wide.html")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = HTML(filename=str(html_path)).render()
    leaves = ("TextBox", "TableCellBox", "InlineReplacedBox", "BlockReplacedBox", "LineBox")
    for page in document.pages:
        page_box = page._page_box
        assert round(page_box.margin_width()) == 794 and round(page_box.margin_height()) == 1123  # A4 at 96 dpi
        right_edge = page_box.content_box_x() + page_box.width
        for box in page_box.descendants():
            if type(box).__name__ in leaves:
                assert box.position_x + box.margin_width() <= right_edge + 1, (type(box).__name__, getattr(box, "text", ""))
    assert html_to_pdf(html_path, tmp_path / "wide.pdf").read_bytes().startswith(b"%PDF")


def test_schema_graph_section_says_when_foreign_keys_were_not_collected(monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display", lambda *objects: shown.extend(objects))
    partial = Catalog(database="local/shop", server_version=150000, datasets={"tables": [table_row("orders")]},
                      unavailable={"foreign_keys": "permission denied for pg_constraint"})
    audit = report.AuditReport(Settings(code_root="app"), AuditResult(code_root="app", database="local/shop"),
                               partial, __import__("datetime").datetime.now(), 0.1, PROJECT_ROOT, {})
    report.show_schema_graph(audit)
    assert shown[0].startswith(b"\x89PNG")
    assert "foreign keys were not collected (permission denied for pg_constraint): tables only" in shown[1]
