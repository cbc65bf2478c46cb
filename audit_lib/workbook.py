"""``run`` and ``demo``: execute the report notebook with papermill, then export HTML and PDF.

The notebook does the audit (and writes findings.json and findings.sarif); this module
starts it with the parameters of one :class:`Settings`, then turns the executed copy
into report.html and report.pdf. The embedded example database, when asked for, is
started here rather than in the kernel, so it is stopped whatever becomes of the kernel.

While a run is under way its folder holds a file ``INCOMPLETE`` saying so; it is removed
only once every output is written, so an interrupted or failed run (or one killed
outright) leaves a folder that says its outputs are partial or stale.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from audit_lib.findings import Confidence, Finding, Severity
from audit_lib.redact import redact_secrets
from audit_lib.settings import PROJECT_ROOT, Settings

NOTEBOOK = PROJECT_ROOT / "notebooks" / "audit.ipynb"
KERNEL_NAME = "posture-audit-python"
EMBEDDED_DSN_ENV = "POSTURE_AUDIT_EMBEDDED_DSN"
INCOMPLETE_MARKER = "INCOMPLETE"
KERNEL_STOP_SECONDS = 5


class WorkbookError(Exception):
    """The report could not be produced; the message is one line and holds no secret."""


@dataclass
class WorkbookResult:
    out_dir: Path
    findings: list[Finding]
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)

    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [f for f in self.active() if f.severity >= severity]


def stderr_progress(message: str) -> None:
    print(f"posture-audit: {message}", file=sys.stderr, flush=True)


def run_workbook(settings: Settings, pdf: bool = True, *,
                 progress: Callable[[str], None] = stderr_progress) -> WorkbookResult:
    """Execute notebooks/audit.ipynb into ``settings.out_dir`` and export report.html (and .pdf)."""
    out_dir = Path(settings.out_dir).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    marker = out_dir / INCOMPLETE_MARKER
    _mark_incomplete(marker, "the run is under way, or stopped before writing every output")
    try:
        result = _run_workbook(settings, out_dir, pdf, progress)
    except BaseException as exc:
        _mark_incomplete(marker, _stop_reason(exc))
        raise
    marker.unlink(missing_ok=True)
    return result


def _run_workbook(settings: Settings, out_dir: Path, pdf: bool, progress: Callable[[str], None]) -> WorkbookResult:
    files = {"notebook": out_dir / "report.ipynb", "html": out_dir / "report.html"}
    timings: dict[str, float] = {}
    parameters = settings.as_params()
    parameters["out_dir"] = str(out_dir)
    server = ExitStack()
    stopping = None
    try:
        with ExitStack() as session:
            session.enter_context(_kernel_of_this_interpreter())
            if settings.database == "embedded-example":
                dsn = _start_embedded(server, progress, timings)
                if dsn is not None:
                    session.enter_context(_environment({EMBEDDED_DSN_ENV: dsn}))
                    parameters.update(database="env", dsn_env=EMBEDDED_DSN_ENV)
            _execute(parameters, files["notebook"], progress, timings)
        if settings.database == "embedded-example":  # its shutdown checkpoint takes seconds: overlap it
            stopping = _Closing(server, timings)
        findings = _read_findings(out_dir / "findings.json")
        files.update(json=out_dir / "findings.json", sarif=out_dir / "findings.sarif")

        from audit_lib.report.export import html_to_pdf, notebook_to_html

        with _timed("html", timings, progress):
            _guard("report.html", notebook_to_html, files["notebook"], files["html"])
        if pdf:
            files["pdf"] = out_dir / "report.pdf"
            with _timed("pdf", timings, progress):
                _guard("report.pdf", html_to_pdf, files["html"], files["pdf"])
    finally:
        if stopping is None:
            server.close()
        else:
            stopping.join()
    progress("timings: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items()))
    return WorkbookResult(out_dir, findings, files, timings)


class _Closing:
    """Close an ExitStack in a thread; :meth:`join` waits for it and re-raises what it raised."""

    def __init__(self, stack: ExitStack, timings: dict[str, float]):
        self.stack, self.timings = stack, timings
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._close, name="posture-audit-stop-server")
        self.thread.start()

    def _close(self) -> None:
        started = time.perf_counter()
        try:
            self.stack.close()
        except BaseException as exc:  # handed to join(), in the caller's thread
            self.error = exc
        self.timings["database stop (overlapped)"] = time.perf_counter() - started

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def _mark_incomplete(marker: Path, why: str) -> None:
    marker.write_text(f"posture-audit: the outputs in this folder are incomplete: {why}\n", encoding="utf-8")


def _stop_reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted ({_first_line(exc) or 'SIGINT'})"
    return _first_line(exc)


def _start_embedded(stack: ExitStack, progress, timings) -> str | None:
    """The example database on an embedded server; None (the kernel then says why) if it fails."""
    from audit_lib.embedded import example_database

    with _timed("embedded server", timings, progress):
        try:
            return stack.enter_context(example_database())
        except Exception as exc:  # the notebook retries and reports the reason in its skipped section
            progress(f"embedded PostgreSQL did not start here: {type(exc).__name__}: {_first_line(exc)}")
            return None


def _execute(parameters: dict, output: Path, progress, timings: dict[str, float]) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    progress(f"executing {NOTEBOOK.name}")
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            stderr_file=sys.stderr,
        )
    except PapermillExecutionError as exc:
        raise WorkbookError(
            f"the report notebook failed in cell {exc.exec_count}: {exc.ename}: {_first_line(exc.evalue)}"
        ) from None
    except Exception as exc:  # kernel did not start or died: still one line
        raise WorkbookError(f"the report notebook did not run: {type(exc).__name__}: {_first_line(exc)}") from None
    total = time.perf_counter() - started
    timings.update(_cell_timings(output, total))


def _cell_timings(executed: Path, total: float) -> dict[str, float]:
    """Where the notebook's seconds went: the audit cell, the section cells, the rest (kernel start)."""
    import nbformat

    notebook = nbformat.read(str(executed), as_version=4)
    audit = sections = 0.0
    for cell in notebook.cells:
        duration = (cell.metadata.get("papermill") or {}).get("duration") or 0.0
        if "run_audit(" in cell.source:
            audit += duration
        elif cell.cell_type == "code":
            sections += duration
    return {"kernel start and papermill": max(total - audit - sections, 0.0), "audit": audit, "sections": sections}


def _read_findings(path: Path) -> list[Finding]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkbookError(f"the report notebook wrote no readable findings.json: {_first_line(exc)}") from None
    known = {f.name for f in dataclasses.fields(Finding)}
    findings = []
    for item in data.get("findings", []):
        values = {k: v for k, v in item.items() if k in known}
        values["severity"] = Severity.parse(values.get("severity", "medium"))
        values["confidence"] = Confidence[values.get("confidence", "high")]
        findings.append(Finding(**values))
    return findings


def _guard(what: str, fn: Callable, *args) -> None:
    try:
        fn(*args)
    except Exception as exc:
        raise WorkbookError(f"{what} could not be written: {type(exc).__name__}: {_first_line(exc)}") from None


@contextmanager
def _timed(name: str, timings: dict[str, float], progress) -> Iterator[None]:
    started = time.perf_counter()
    progress(f"{name}: running")
    try:
        yield
    finally:
        timings[name] = time.perf_counter() - started
        progress(f"{name}: done in {timings[name]:.1f}s")


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the kernel papermill starts; restore them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _kernel_of_this_interpreter() -> Iterator[None]:
    """A kernelspec running this very Python (the one with audit_lib), whatever else is installed."""
    with tempfile.TemporaryDirectory(prefix="posture-audit-kernel-") as root:
        spec_dir = Path(root) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--log-level=ERROR"],
            "display_name": "posture-audit",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        jupyter_path = os.pathsep.join(p for p in (root, os.environ.get("JUPYTER_PATH")) if p)
        with _environment({"JUPYTER_PATH": jupyter_path}):
            yield


def _first_line(value: object) -> str:
    lines = str(value).strip().splitlines()
    return redact_secrets(lines[0] if lines else type(value).__name__)
