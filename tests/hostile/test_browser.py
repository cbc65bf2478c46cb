"""Proof of escaping: the report of a hostile target, opened in headless Chromium, runs no planted script.

The target (``fixtures/target``) and its database (``fixtures/hostile_schema.sql``, loaded on
the embedded server) hold ``<script>``, ``</table>``, ``<img onerror>``, ``<svg onload>`` in
string literals, comments, SQL, a file name, table, column, index and constraint names.
Every payload sets ``document.title`` to ``PWNED``. The real ``posture-audit run`` writes
report.html; Chromium loads it with JavaScript on and dumps the DOM after load.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from audit_lib.embedded import create_database

pytestmark = [pytest.mark.slow, pytest.mark.pg]

FIXTURES = Path(__file__).parent / "fixtures"
TARGET = FIXTURES / "target"
CHROMIUM = Path("/usr/bin/chromium")
MARK = "PWNED"
NO_NETWORK = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE_TEXTS = [  # as the report must show them: text, not markup
    "<script>document.title='PWNED'</script>",  # a string literal, a table name
    "</table><script>document.title='PWNED'</script>",  # a table name, a .sql file
    "<style>body{display:none}</style>",  # the evidence line of a file named like HTML
    "app/<svg onload=document.title='PWNED'>.py",  # that file's path
    "<img src=x onerror=document.title='PWNED'>",  # a column, in SQL and in a finding
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    return CHROMIUM


def dump_dom(chromium: Path, page: Path, profile: Path) -> str:
    """The DOM of ``page`` after load, scripts enabled, no network."""
    completed = subprocess.run(
        [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", *NO_NETWORK,
         f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "<html" in completed.stdout, completed.stderr[-2000:]
    return completed.stdout


def title_of(dom: str) -> str:
    found = re.search(r"<title>(.*?)</title>", dom, re.S)
    return html.unescape(found.group(1)) if found else ""


def text_of(dom: str) -> str:
    """What a reader sees: the DOM without its tags, entities decoded, whitespace folded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def hostile_report(embedded_admin_dsn, tmp_path_factory) -> Path:
    name = f"pa_hostile_{uuid.uuid4().hex[:8]}"
    dsn = create_database(embedded_admin_dsn, name, (FIXTURES / "hostile_schema.sql",))
    out = tmp_path_factory.mktemp("hostile") / "report"
    env = {**os.environ, "DATABASE_URL": dsn}
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "audit_lib", "run", "--code", str(TARGET), "--no-pdf", "--out", str(out)],
            capture_output=True, text=True, timeout=300, env=env,
        )
    finally:
        with psycopg.connect(embedded_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out


def test_the_detector_sees_a_planted_script_that_does_run(chromium, tmp_path):
    """Control: the same payload, unescaped, does change the title; so the check below can fail."""
    page = tmp_path / "unescaped.html"
    page.write_text(f"<html><head><title>report</title></head><body><table><tr><td>"
                    f"{HOSTILE_TEXTS[1]}</td></tr></table></body></html>")
    assert title_of(dump_dom(chromium, page, tmp_path / "profile")) == MARK


def test_the_hostile_run_audited_code_and_database(hostile_report):
    import json

    data = json.loads((hostile_report / "findings.json").read_text())
    objects = {f["object"] for f in data["findings"] if f["object"]}
    assert "public.</table><script>document.title='PWNED'</script>" in objects, objects
    assert any(q["plan"] for q in data["queries"]), [q["plan_error"] for q in data["queries"]]
    assert {e["path"] for e in data["errors"]} == {"app/broken.py"}


def test_no_planted_script_runs_in_the_report(chromium, hostile_report, tmp_path):
    dom = dump_dom(chromium, hostile_report / "report.html", tmp_path / "profile")
    assert MARK not in title_of(dom)
    for element in ("<script>document.title", "<img src=\"x\" onerror", "<svg onload", "<iframe", "<b onmouseover"):
        assert element not in dom, f"a planted {element} became an element"
    visible = text_of(dom)
    for text in HOSTILE_TEXTS:
        assert text in visible, text
