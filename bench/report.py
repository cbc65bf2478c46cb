"""`posture-audit demo` end to end, broken down by stage."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.measure import PYTHON, Row, run_measured


def kernel_start_seconds() -> float:
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3")
    elapsed = time.perf_counter() - start
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return elapsed


def run() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        wall, cpu, peak, code = run_measured([PYTHON, "-m", "audit_lib", "demo", "--out", str(out / "full")])
        rows.append(Row("report", "demo (HTML + PDF)", wall, cpu, peak, note="target ≤ 30 s" if code == 0 else f"exit {code}"))
        wall_nopdf, *_ = run_measured([PYTHON, "-m", "audit_lib", "demo", "--no-pdf", "--out", str(out / "nopdf")])
        rows.append(Row("report", "demo --no-pdf", wall_nopdf))
        rows.append(Row("report", "  of which PDF export", wall - wall_nopdf))
        notebook = out / "nopdf" / "report.ipynb"
        if notebook.is_file():
            html_wall, *_ = run_measured(
                [PYTHON, "-m", "nbconvert", "--to", "html", "--no-input", "--output-dir", str(out / "html"), str(notebook)]
            )
            rows.append(Row("report", "  HTML export alone (nbconvert, own process)", html_wall))
        rows.append(Row("report", "  kernel start", kernel_start_seconds()))
        wall_scan, *_ = run_measured([PYTHON, "-m", "audit_lib", "scan", "examples/shop", "--format", "json"])
        rows.append(Row("report", "  code analyses alone (scan, no database)", wall_scan))
    return rows
