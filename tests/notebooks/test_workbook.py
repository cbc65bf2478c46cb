"""The workbook end to end: papermill runs of notebooks/audit.ipynb through the CLI, and their outputs.

Each papermill run costs a kernel start and the audit, so each run is a module-scoped
fixture whose outputs several tests read: the demo (embedded PostgreSQL), a run against
the machine's PostgreSQL 15 with a password planted in the DSN, and a run without any
database.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psycopg
import pytest

from audit_lib import cli, embedded, workbook
from audit_lib.embedded import EXAMPLE_SQL, create_database
from audit_lib.settings import EXAMPLE_CODE

pytestmark = [pytest.mark.slow, pytest.mark.pg]

SECRET = "S3cretPlanted"
OUTPUTS = ("report.ipynb", "report.html", "report.pdf", "findings.json", "findings.sarif")
FINDING_KEYS = {"rule", "severity", "message", "path", "line", "end_line", "object", "columns", "evidence", "fix",
                "fingerprint", "suppressed"}


@dataclass
class Run:
    code: int
    out: Path
    stderr: str

    def json(self) -> dict:
        return json.loads((self.out / "findings.json").read_text())

    def html(self) -> str:
        return (self.out / "report.html").read_text()

    def pdf_text(self) -> str:
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(str(self.out / "report.pdf")).pages)


def run_cli(args: list[str], out: Path) -> Run:
    stderr = io.StringIO()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with contextlib.redirect_stderr(stderr):
            code = cli.main([*args, "--out", str(out)])
    finally:
        signal.signal(signal.SIGTERM, previous)
    return Run(code, out, stderr.getvalue())


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``posture-audit demo``; remembers the embedded database's DSN to prove the server stopped."""
    started: list[str] = []
    real = embedded.example_database

    @contextlib.contextmanager
    def recording():
        with real() as dsn:
            started.append(dsn)
            yield dsn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded, "example_database", recording)
        patch.delenv("DATABASE_URL", raising=False)
        run = run_cli(["demo"], tmp_path_factory.mktemp("demo") / "report")
    return run, started


@pytest.fixture(scope="module")
def pg15_run(machine_admin_dsn, tmp_path_factory):
    """``posture-audit run`` on the example loaded into the machine's PostgreSQL 15, as role auditor."""
    with psycopg.connect(machine_admin_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'auditor'").fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE auditor LOGIN PASSWORD '{SECRET}'")
        conn.execute("GRANT pg_read_all_data, pg_read_all_stats TO auditor")
    name = f"pa_report_{uuid.uuid4().hex[:8]}"
    dsn = create_database(machine_admin_dsn, name, EXAMPLE_SQL)
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    planted = f"postgresql://auditor:{SECRET}@{params['host']}:{params.get('port', 5432)}/{name}"
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", planted)
            run = run_cli(["run", "--code", str(EXAMPLE_CODE)], tmp_path_factory.mktemp("pg15") / "report")
    finally:
        with psycopg.connect(machine_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return run


@pytest.fixture(scope="module")
def no_database_run(tmp_path_factory):
    """``run --fail-on high --no-pdf`` on a small code base with DATABASE_URL unset."""
    code = tmp_path_factory.mktemp("code")
    (code / "client.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        return run_cli(["run", "--code", str(code), "--no-pdf", "--fail-on", "high"],
                       tmp_path_factory.mktemp("nodb") / "report")


def normalised(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_contract(data: dict) -> None:
    assert data["tool"]["name"] == "posture-audit" and data["tool"]["version"]
    assert set(data["target"]) >= {"code", "database"}
    for item in data["findings"]:
        assert FINDING_KEYS <= set(item), item
        assert (item["path"] is not None and item["line"] >= 1) or item["object"] is not None, item
    for query in data["queries"]:
        assert {"id", "sql", "sites", "plan", "plan_error"} <= set(query)
    for skipped in data["skipped"]:
        assert set(skipped) == {"what", "why"}
    for error in data["errors"]:
        assert set(error) == {"path", "why"}


# -- the demo: embedded PostgreSQL -------------------------------------------------------------


def test_demo_exits_0_and_writes_the_five_outputs(demo_run):
    run, _ = demo_run
    assert run.code == 0, run.stderr
    for name in OUTPUTS:
        assert (run.out / name).stat().st_size > 0, name
    assert_contract(run.json())
    sarif = json.loads((run.out / "findings.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1


def test_demo_audits_the_embedded_example_database(demo_run):
    run, _ = demo_run
    data = run.json()
    assert data["target"]["database"], data["skipped"]
    assert not [s for s in data["skipped"] if s["what"] == "database"]
    html = run.html()
    assert "skipped: " not in html  # the schema graph section drew the graph
    assert "embedded PostgreSQL with the bundled example" in html


def test_demo_stops_the_embedded_server(demo_run):
    _, started = demo_run
    assert len(started) == 1
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(started[0], connect_timeout=3)


def test_demo_progress_is_one_line_per_section_on_stderr(demo_run):
    run, _ = demo_run
    sections = re.findall(r"^posture-audit: section (.+)$", run.stderr, re.M)
    assert sections == ["run info", "scorecard", "R1", "R2", "R3", "R4", "R5", "T", "query plans", "schema graph",
                        "skipped and errors"]
    assert "timings: " in run.stderr and "Traceback" not in run.stderr


def test_demo_html_hides_code_and_loads_nothing_from_the_network(demo_run):
    run, _ = demo_run
    html = run.html()
    assert "run_audit(" not in html and "show_scorecard" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html) and "@import" not in html
    for heading in ("Scorecard", "R1 — EXPLAIN-first data design", "T — Types", "Query plans", "Schema graph",
                    "Skipped and errors"):
        assert heading in html
    assert "This section could not be rendered" not in html
    assert "posture-audit: section" not in html  # the progress log stays in report.ipynb


def test_demo_pdf_has_scorecard_plans_and_findings(demo_run):
    run, _ = demo_run
    from pypdf import PdfReader

    pages = PdfReader(str(run.out / "report.pdf")).pages
    assert len(pages) > 1
    assert [round(float(pages[0].mediabox.width)), round(float(pages[0].mediabox.height))] == [595, 842]  # A4
    text = normalised(run.pdf_text())
    assert "Scorecard" in text and "Schemagraph" in text
    data = run.json()
    planned = [q for q in data["queries"] if q["plan"] is not None]
    assert planned, "the example's queries should be planned on the embedded server"
    assert "EXPLAIN(estimates)" in text and "Est.rows" in text
    for query in planned:
        assert f"Query{query['id']}" in text
    active = [f for f in data["findings"] if not f["suppressed"]]
    assert active
    for item in active:
        assert normalised(item["rule"]) in text


def test_executed_notebook_keeps_outputs_and_opens_with_the_standard_kernel(demo_run):
    run, _ = demo_run
    notebook = nbformat.read(str(run.out / "report.ipynb"), as_version=4)
    assert any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.papermill.parameters["database"] == "env"  # the server ran in the CLI process


# -- the machine's PostgreSQL 15, a password in the DSN ---------------------------------------


def test_pg15_run_exits_0_with_every_output(pg15_run):
    assert pg15_run.code == 0, pg15_run.stderr
    for name in OUTPUTS:
        assert (pg15_run.out / name).stat().st_size > 0, name
    data = pg15_run.json()
    assert_contract(data)
    assert data["target"]["database"].startswith("127.0.0.1/pa_report_")
    assert [q for q in data["queries"] if q["plan"] is not None]
    assert not [s for s in data["skipped"] if s["what"] == "database"]


def test_the_planted_password_is_in_no_output(pg15_run):
    for path in sorted(pg15_run.out.rglob("*")):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.name
    assert SECRET not in pg15_run.stderr
    assert SECRET not in pg15_run.pdf_text()


# -- no database, exit codes -------------------------------------------------------------------


def test_without_database_the_code_sections_render_and_the_database_ones_say_skipped(no_database_run):
    run = no_database_run
    assert run.code == 1, run.stderr  # --fail-on high and requests.get() without timeout
    assert not (run.out / "report.pdf").exists()
    data = run.json()
    assert {"what": "database", "why": "DATABASE_URL is not set"} in data["skipped"]
    assert "R3.http-no-timeout" in {f["rule"] for f in data["findings"]}
    html = run.html()
    assert "skipped: database: DATABASE_URL is not set" in html
    assert "requests.get" in html and "client.py:5" in html
    assert "This section could not be rendered" not in html


def test_run_with_a_missing_code_path_exits_2(tmp_path, capsys):
    code = cli.main(["run", "--code", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    assert not (tmp_path / "out").exists()


def test_a_failing_notebook_is_one_line_and_exit_3(tmp_path, monkeypatch, capsys):
    failing = tmp_path / "failing.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("code_root = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"raise RuntimeError('no route to postgresql://u:{SECRET}@db/x\\nmore')"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, str(failing))
    monkeypatch.setattr(workbook, "NOTEBOOK", failing)
    code = cli.main(["run", "--code", str(tmp_path), "--out", str(tmp_path / "out"), "--no-pdf"])
    assert code == 3
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("posture-audit: internal")]
    assert len(lines) == 1
    assert "RuntimeError" in lines[0] and SECRET not in lines[0] and "more" not in lines[0]
