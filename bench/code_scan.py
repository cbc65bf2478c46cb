"""Code scan against the parse floor and against peers, and its growth with corpus size.

The corpus is the Python source of Django (several hundred thousand lines nobody here
wrote), taken from its wheel on PyPI into bench/.cache/.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from bench.measure import CACHE, PYTHON, Row, best_of

CORPUS_PACKAGE = "django==5.2.*"
RUFF_NEAREST_RULES = "S113,DTZ,ASYNC,PERF,SIM115,B019"
REPEATS = 3


def corpus() -> Path:
    """Django's source tree, downloaded once."""
    target = CACHE / "django"
    if (target / "django").is_dir():
        return target
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [PYTHON, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:", "-d", str(wheels), CORPUS_PACKAGE],
        check=True,
    )
    wheel = next(wheels.glob("Django-*.whl"), None) or next(wheels.glob("django-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith("django/")]
        archive.extractall(target, members)
    return target


def count_lines(root: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in root.rglob("*.py"))


def parse_floor_cmd(root: Path) -> list[str]:
    return [PYTHON, "-m", "bench.parse_floor", str(root)]


def scan_cmd(root: Path, *extra: str) -> list[str]:
    return [PYTHON, "-m", "audit_lib", "scan", str(root), "--format", "json", *extra]


def _tool(name: str) -> str | None:
    found = shutil.which(name, path=str(Path(PYTHON).parent))
    return found or shutil.which(name)


def run_code_vs_peers() -> list[Row]:
    root = corpus()
    lines = count_lines(root)
    rows: list[Row] = []
    floor = best_of(REPEATS, parse_floor_cmd(root), env=_env())
    rows.append(Row("code", f"ast.parse floor ({lines:,} lines)", floor[0], floor[1], floor[2], 1.0))
    cases = [("posture-audit scan (all code rules)", scan_cmd(root))]
    cases.append(("posture-audit scan --jobs 2", scan_cmd(root, "--jobs", "2")))
    bandit = _tool("bandit")
    if bandit:
        cases.append(("bandit -r", [bandit, "-r", "-q", "-f", "json", str(root)]))
    ruff = _tool("ruff")
    if ruff:
        cases.append((f"ruff check --select {RUFF_NEAREST_RULES}", [ruff, "check", "--no-cache", "--exit-zero", "--select", RUFF_NEAREST_RULES, str(root)]))
    for name, cmd in cases:
        wall, cpu, peak, code = best_of(REPEATS, cmd, env=_env())
        note = "" if code in (0, 1) else f"exit {code}"
        rows.append(Row("code", name, wall, cpu, peak, wall / floor[0], note))
    if not bandit or not ruff:
        rows.append(Row("code", "peers", 0.0, note="install bandit and ruff (pip install -e '.[bench]') to compare"))
    return rows


def run_startup() -> list[Row]:
    """A 10-file project: process start to exit, the fixed cost a pre-commit hook pays."""
    root = corpus()
    small = CACHE / "ten-files"
    if not small.is_dir():
        for path in sorted((root / "django" / "utils").glob("*.py"))[:10]:
            dest = small / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    wall, cpu, peak, code = best_of(REPEATS, scan_cmd(small), env=_env())
    note = "target ≤ 0.6 s" if code in (0, 1) else f"exit {code}"
    return [Row("startup", "scan of a 10-file project", wall, cpu, peak, note=note)]


def run_memory() -> list[Row]:
    """Peak memory on a tree of about 800,000 lines (five copies of the corpus)."""
    root = corpus()
    big = CACHE / "django-x5"
    if not big.is_dir():
        for copy in range(5):
            shutil.copytree(root / "django", big / f"copy{copy}" / "django")
    lines = count_lines(big)
    wall, cpu, peak, code = best_of(1, scan_cmd(big), env=_env())
    note = "target ≤ 400 MB" if code in (0, 1) else f"exit {code}"
    return [Row("memory", f"scan of {lines:,} lines", wall, cpu, peak, note=note)]


def run_growth() -> list[Row]:
    root = corpus()
    files = sorted(root.rglob("*.py"))
    rows: list[Row] = []
    per_line: list[float] = []
    for fraction in (4, 2, 1):
        subset = CACHE / f"django-1of{fraction}"
        if not subset.is_dir():
            for path in files[: len(files) // fraction]:
                dest = subset / path.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
        lines = count_lines(subset)
        wall, cpu, peak, _ = best_of(REPEATS, scan_cmd(subset), env=_env())
        per_line.append(wall / lines * 1e6)
        rows.append(Row("growth", f"scan 1/{fraction} ({lines:,} lines)", wall, cpu, peak, note=f"{wall / lines * 1e6:.1f} µs/line"))
    rows.append(Row("growth", "µs/line, largest ÷ smallest", 0.0, ratio=per_line[-1] / per_line[0], note="≈1 means linear"))
    return rows


def _env() -> dict:
    import os

    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    return env
