"""Suppressions: `# posture: ignore[...]` comments, unused ones, baselines, fingerprints.

Suppressed findings stay in the result, marked and counted; they are never dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audit_lib.engine import Audit, AuditResult
from audit_lib.report.text import to_text
from audit_lib.settings import Settings

NAIVE = "T.naive-datetime"
TIMEOUT = "R3.http-no-timeout"


def scan(root: Path, rules: list[str]) -> AuditResult:
    return Audit(Settings(code_root=str(root), database="none", rules=rules)).run()


def cli_scan(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "audit_lib", "scan", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def by_line(result: AuditResult, rule_id: str) -> dict[int, object]:
    return {f.line: f for f in result.findings if f.rule == rule_id}


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def test_comment_on_the_line_or_the_line_above_suppresses_and_counts(tmp_path: Path):
    write(tmp_path, "clock.py", (
        "from datetime import datetime\n"
        "a = datetime.now()  # posture: ignore[T.naive-datetime]\n"
        "# posture: ignore[T.naive-datetime] naive on purpose: local display only\n"
        "b = datetime.now()\n"
        "c = datetime.now()\n"
    ))
    result = scan(tmp_path, [NAIVE])
    findings = by_line(result, NAIVE)
    assert sorted(findings) == [2, 4, 5]
    assert findings[2].suppressed and findings[2].suppressed_by == "comment"
    assert findings[4].suppressed and findings[4].suppressed_by == "comment"
    assert not findings[5].suppressed
    assert [f.line for f in result.active()] == [5]
    assert "1 finding(s), 2 suppressed" in to_text(result)
    assert not result.unused_suppressions


def test_bare_ignore_suppresses_every_rule(tmp_path: Path):
    write(tmp_path, "client.py", (
        "from datetime import datetime\n"
        "import requests\n"
        "requests.get(datetime.now().isoformat())  # posture: ignore\n"
    ))
    result = scan(tmp_path, [NAIVE, TIMEOUT])
    assert {(f.rule, f.line) for f in result.findings} == {(NAIVE, 3), (TIMEOUT, 3)}
    assert all(f.suppressed for f in result.findings)


def test_several_ids_in_one_comment(tmp_path: Path):
    write(tmp_path, "client.py", (
        "from datetime import datetime\n"
        "import requests\n"
        "# posture: ignore[R3.http-no-timeout, T.naive-datetime]\n"
        "requests.get(datetime.now().isoformat())\n"
        "requests.get(datetime.now().isoformat())  # posture: ignore[R3.http-no-timeout]\n"
    ))
    result = scan(tmp_path, [NAIVE, TIMEOUT])
    state = {(f.rule, f.line): f.suppressed for f in result.findings}
    assert state == {(NAIVE, 4): True, (TIMEOUT, 4): True, (NAIVE, 5): False, (TIMEOUT, 5): True}


def test_unused_suppression_is_reported(tmp_path: Path):
    write(tmp_path, "clock.py", (
        "from datetime import datetime, timezone\n"
        "a = datetime.now(timezone.utc)  # posture: ignore[T.naive-datetime]\n"
        "b = datetime.now()  # posture: ignore[R3.http-no-timeout]\n"
    ))
    result = scan(tmp_path, [NAIVE, TIMEOUT])
    assert [(s.path, s.line) for s in result.unused_suppressions] == [("clock.py", 2), ("clock.py", 3)]
    # line 3: an ignore of another rule does not hide it, nor does the trailing comment of line 2
    assert [f.line for f in result.active()] == [3]
    text = to_text(result)
    assert "clock.py:2: unused suppression '# posture: ignore[T.naive-datetime]'" in text
    assert "clock.py:3: unused suppression '# posture: ignore[R3.http-no-timeout]'" in text
    assert result.to_dict()["unused_suppressions"] == [
        {"path": "clock.py", "line": 2, "ids": [NAIVE]},
        {"path": "clock.py", "line": 3, "ids": [TIMEOUT]},
    ]


def test_baseline_suppresses_every_known_finding_and_keeps_counts(tmp_path: Path):
    code = tmp_path / "code"
    code.mkdir()
    write(code, "clock.py", "from datetime import datetime\n\na = datetime.now()\nb = datetime.utcnow()\n")
    first = cli_scan(str(code), "--format", "json", "--rules", "T")
    assert first.returncode == 0, first.stderr
    baseline = write(tmp_path, "baseline.json", first.stdout)
    before = json.loads(first.stdout)["findings"]
    assert len(before) == 2 and not any(f["suppressed"] for f in before)

    second = cli_scan(str(code), "--format", "json", "--rules", "T", "--baseline", str(baseline))
    assert second.returncode == 0, second.stderr
    after = json.loads(second.stdout)["findings"]
    assert len(after) == len(before)
    assert all(f["suppressed"] and f["suppressed_by"] == "baseline" for f in after)
    assert {f["fingerprint"] for f in after} == {f["fingerprint"] for f in before}

    write(code, "clock.py", "from datetime import datetime\n\na = datetime.now()\nb = datetime.utcnow()\nc = datetime.today()\n")
    third = cli_scan(str(code), "--format", "json", "--rules", "T", "--baseline", str(baseline), "--fail-on", "low")
    assert third.returncode == 1  # the new finding is not in the baseline
    new = [f for f in json.loads(third.stdout)["findings"] if not f["suppressed"]]
    assert [(f["line"], f["evidence"]) for f in new] == [(5, "c = datetime.today()")]


def test_fingerprints_stay_when_lines_move(tmp_path: Path):
    source = "from datetime import datetime\n\na = datetime.now()\nb = datetime.now()\nc = datetime.utcnow()\n"
    write(tmp_path, "clock.py", source)
    before = {f.fingerprint: f.line for f in scan(tmp_path, [NAIVE]).findings}
    write(tmp_path, "clock.py", "\n\n\n" + source.replace("\n\n", "\n\n\n\n"))
    after = {f.fingerprint: f.line for f in scan(tmp_path, [NAIVE]).findings}
    assert len(before) == 3  # two identical lines keep two fingerprints
    assert set(after) == set(before)
    assert all(after[fp] == before[fp] + 5 for fp in before)


def test_a_suppression_of_an_unselected_rule_is_not_reported_unused(tmp_path):
    from audit_lib.engine import Audit
    from audit_lib.settings import Settings

    (tmp_path / "app.py").write_text(
        "import requests\n\n\ndef f(url):\n    return requests.get(url)  # posture: ignore[R3.http-no-timeout]\n"
    )
    only_types = Audit(Settings(code_root=str(tmp_path), database="none", rules=["T"])).run()
    assert only_types.unused_suppressions == []
    with_r3 = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R3.http-no-timeout"])).run()
    assert with_r3.unused_suppressions == [] and [f.suppressed for f in with_r3.findings] == [True]


def test_sql_file_comments_suppress_findings_on_their_statement(tmp_path):
    from audit_lib.engine import Audit
    from audit_lib.settings import Settings

    (tmp_path / "report.sql").write_text(
        "-- posture: ignore[R1.complex-query-no-plan] planned by the nightly job's own check\n"
        "SELECT a.id, count(*) FROM a JOIN b ON b.a_id = a.id JOIN c ON c.b_id = b.id JOIN d ON d.c_id = c.id GROUP BY a.id;\n"
        "SELECT x.id, count(*) FROM x JOIN y ON y.x_id = x.id JOIN z ON z.y_id = y.id JOIN w ON w.z_id = z.id GROUP BY x.id;\n"
    )
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R1.complex-query-no-plan"])).run()
    assert sorted((f.line, f.suppressed) for f in result.findings) == [(2, True), (3, False)]
    assert result.unused_suppressions == []
