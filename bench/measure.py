"""Measuring a command: wall time, CPU time and peak memory of the process tree's leader."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
CACHE = BENCH / ".cache"
PYTHON = sys.executable


@dataclass
class Row:
    suite: str
    case: str
    wall_s: float
    cpu_s: float | None = None
    peak_mb: float | None = None
    ratio: float | None = None  # against the suite's reference row
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def run_measured(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> tuple[float, float, float, int]:
    """Run ``cmd``; return (wall seconds, CPU seconds, peak RSS in MB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def best_of(n: int, cmd: list[str], **kwargs) -> tuple[float, float, float, int]:
    """The fastest of ``n`` runs (the least disturbed by the rest of the machine)."""
    runs = [run_measured(cmd, **kwargs) for _ in range(n)]
    return min(runs, key=lambda r: r[0])


def format_table(rows: list[Row]) -> str:
    header = "| suite | case | wall s | CPU s | peak MB | ratio | note |\n|---|---|---:|---:|---:|---:|---|"
    lines = [header]
    for r in rows:
        cpu = f"{r.cpu_s:.2f}" if r.cpu_s is not None else ""
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else ""
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        lines.append(f"| {r.suite} | {r.case} | {r.wall_s:.2f} | {cpu} | {peak} | {ratio} | {r.note} |")
    return "\n".join(lines)
