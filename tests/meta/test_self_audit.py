"""posture-audit passes its own audit: no unsuppressed finding, every suppression says
why, none is left unused. Run with a database (the embedded server), so the catalog
queries in audit_lib/pg/sql/ are planned like any other SQL the code sends."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from audit_lib.engine import Audit
from audit_lib.settings import Settings
from audit_lib.suppress import COMMENT, SQL_COMMENT

ROOT = Path(__file__).resolve().parents[2]


def test_posture_audit_passes_its_own_audit(embedded_admin_dsn, monkeypatch):
    monkeypatch.setenv("SELF_AUDIT_DSN", embedded_admin_dsn)
    settings = Settings.from_file(ROOT / "params" / "self.yaml", {"code_root": str(ROOT)})
    result = Audit(settings).run()
    assert not [s for s in result.skipped if s.what == "database"], result.skipped
    assert [f"{f.where}: {f.rule} {f.message}" for f in result.active()] == []
    assert result.unused_suppressions == []
    assert not [e for e in result.errors if " failed: " in e.why], result.errors


def comments(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment: Python comment tokens, SQL ``--`` comments."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".sql":
        return [(n, line[line.index("--"):]) for n, line in enumerate(text.splitlines(), start=1) if "--" in line]
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.COMMENT]


def test_every_suppression_in_the_code_says_why():
    excluded = ("tests/fixtures/", "tests/hostile/fixtures/", "examples/", "bench/.cache/", ".venv/")
    without_reason = []
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix not in (".py", ".sql") or rel.startswith(excluded):
            continue
        for lineno, comment in comments(path):
            match = (COMMENT if path.suffix == ".py" else SQL_COMMENT).search(comment)
            if match and not re.search(r"\w", match.group("why")):
                without_reason.append(f"{rel}:{lineno}")
    assert without_reason == []
