"""SIGTERM or Ctrl-C during ``posture-audit demo``: exit 130, one line, nothing left running, outputs marked.

Each run carries a unique environment variable; every process it starts inherits it
(the kernel, the embedded postmaster and its backends), so after the exit no live
process may still carry it, whoever else runs PostgreSQL or kernels on the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.pg]

MARK_VARIABLE = "POSTURE_AUDIT_HOSTILE_RUN"


def processes_of(run_id: str) -> list[psutil.Process]:
    """Live processes (zombies are dead) whose environment carries this run's mark."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get(MARK_VARIABLE) == run_id:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize(("signum", "moment"), [
    (signal.SIGTERM, "the kernel runs the notebook"),
    (signal.SIGINT, "the embedded server is starting"),
])
def test_a_stopped_demo_cleans_up_and_marks_its_outputs(tmp_path: Path, signum: int, moment: str):
    run_id = uuid.uuid4().hex
    out = tmp_path / "report"
    demo = subprocess.Popen(
        [sys.executable, "-m", "audit_lib", "demo", "--no-pdf", "--out", str(out)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, MARK_VARIABLE: run_id},
    )
    try:
        awaited = "executing audit.ipynb" if signum == signal.SIGTERM else "embedded server: running"
        for line in demo.stderr:
            if awaited in line:
                break
        if signum == signal.SIGTERM:
            kernel_up = lambda: any("ipykernel" in " ".join(p.cmdline()) for p in processes_of(run_id))  # noqa: E731
            assert wait_for(kernel_up, 60), "the kernel never started"
            assert any(p.name() == "postgres" for p in processes_of(run_id)), "the embedded server is not up"
        else:
            time.sleep(0.5)
        data_dirs = [Path(p.cmdline()[p.cmdline().index("-D") + 1]) for p in processes_of(run_id)
                     if p.name() == "postgres" and "-D" in p.cmdline()]
        demo.send_signal(signum)
        stderr = demo.stderr.read()
        exit_code = demo.wait(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert exit_code == 130, stderr
    last = [line for line in stderr.splitlines() if line.startswith("posture-audit: interrupted")]
    assert last == [f"posture-audit: interrupted by {signal.Signals(signum).name}: stopped and cleaned up "
                    "(a report folder left is marked INCOMPLETE)"], stderr
    assert "Traceback" not in stderr
    assert wait_for(lambda: not processes_of(run_id), 15), [p.cmdline() for p in processes_of(run_id)]
    assert not [d for d in data_dirs if d.exists()], "the embedded server's data folder is left behind"
    assert (out / "INCOMPLETE").read_text().startswith("posture-audit: the outputs in this folder are incomplete")
    assert not (out / "report.html").exists()
