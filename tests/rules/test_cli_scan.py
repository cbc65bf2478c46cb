"""`posture-audit scan` as users and CI scripts run it: a subprocess, judged by its exit
code and its stderr (0 ran, 1 findings at or above --fail-on, 2 bad usage or input with
one clear line on stderr, never a traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def posture_audit() -> list[str]:
    """The installed console script when there is one, else ``python -m audit_lib``."""
    script = Path(sys.executable).with_name("posture-audit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "audit_lib"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([*posture_audit(), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def one_line_error(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("posture-audit: ")
    return lines[0]


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    root.mkdir()
    (root / "clients.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n",
                                     encoding="utf-8")
    (root / "clock.py").write_text("from datetime import datetime\n\nNOW = datetime.now()\n", encoding="utf-8")
    return root


def test_findings_alone_exit_0(code: Path):
    done = run("scan", str(code))
    assert done.returncode == 0, done.stderr
    assert "clients.py:5: R3.http-no-timeout [high]" in done.stdout
    assert "clock.py:3: T.naive-datetime [medium]" in done.stdout


def test_fail_on_high_exits_1_when_a_high_finding_exists(code: Path):
    done = run("scan", str(code), "--fail-on", "high", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert any(f["severity"] == "high" for f in json.loads(done.stdout)["findings"])


def test_fail_on_below_the_findings_severity_exits_0(code: Path):
    assert run("scan", str(code), "--rules", "T.naive-datetime", "--fail-on", "high").returncode == 0
    assert run("scan", str(code), "--rules", "T.naive-datetime", "--fail-on", "medium").returncode == 1


def test_rules_given_twice_select_both(code: Path):
    both = run("scan", str(code), "--format", "json", "--rules", "R3", "--rules", "T.naive-datetime")
    rules = {f["rule"].split(".")[0] if f["rule"].startswith("R3") else f["rule"] for f in json.loads(both.stdout)["findings"]}
    assert rules == {"R3", "T.naive-datetime"}, both.stderr


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_a_password_in_the_evidence_is_masked_and_the_output_stays_valid(code: Path, output_format: str):
    (code / "accounts.py").write_text(
        "import requests\n\n\ndef sign_in(url):\n"
        "    return requests.post(url, data=dict(user='svc', password=\"hunter2-secret\"))\n", encoding="utf-8")
    done = run("scan", str(code), "--rules", "R3.http-no-timeout", "--format", output_format)
    assert done.returncode == 0, done.stderr
    assert "hunter2" not in done.stdout
    assert "password=***" in json.dumps(json.loads(done.stdout))


def test_suppressed_findings_do_not_fail_the_run(code: Path):
    clients = code / "clients.py"
    clients.write_text(clients.read_text().replace("requests.get(url)", "requests.get(url)  # posture: ignore"))
    assert run("scan", str(code), "--rules", "R3", "--fail-on", "high").returncode == 0


def test_missing_path_exits_2(tmp_path: Path):
    done = run("scan", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "does not exist" in one_line_error(done)


def test_a_file_instead_of_a_directory_exits_2(code: Path):
    done = run("scan", str(code / "clients.py"))
    assert done.returncode == 2
    assert "not a directory" in one_line_error(done)


def test_unknown_rule_id_exits_2(code: Path):
    done = run("scan", str(code), "--rules", "R9.nope")
    assert done.returncode == 2
    assert "R9.nope" in one_line_error(done)


def test_bad_fail_on_exits_2(code: Path):
    done = run("scan", str(code), "--fail-on", "severe")
    assert done.returncode == 2
    assert "severe" in one_line_error(done)


@pytest.mark.parametrize("content, expected", [
    ("rules: [R3\n", "not valid YAML"),
    ("- R3\n- R5\n", "must be a mapping"),
    ("statement_timeout_ms: soon\n", "wrong type"),
])
def test_malformed_params_file_exits_2(code: Path, tmp_path: Path, content: str, expected: str):
    params = tmp_path / "params.yaml"
    params.write_text(content, encoding="utf-8")
    done = run("scan", str(code), "--params", str(params))
    assert done.returncode == 2
    assert expected in one_line_error(done)


def test_unknown_parameter_exits_2(code: Path, tmp_path: Path):
    params = tmp_path / "params.yaml"
    params.write_text("code_root: .\nexplain_everything: true\n", encoding="utf-8")
    done = run("scan", str(code), "--params", str(params))
    assert done.returncode == 2
    assert "explain_everything" in one_line_error(done)


def test_unknown_option_exits_2(code: Path):
    done = run("scan", str(code), "--explain-everything")
    assert done.returncode == 2
    assert "--explain-everything" in one_line_error(done)


def test_missing_params_file_and_bad_baseline_exit_2(code: Path, tmp_path: Path):
    done = run("scan", str(code), "--params", str(tmp_path / "absent.yaml"))
    assert done.returncode == 2
    assert "cannot read params file" in one_line_error(done)
    not_findings = tmp_path / "baseline.json"
    not_findings.write_text("[1, 2]", encoding="utf-8")
    done = run("scan", str(code), "--baseline", str(not_findings))
    assert done.returncode == 2
    assert "not a findings.json file" in one_line_error(done)


def test_unreadable_sources_are_reported_not_fatal(code: Path):
    (code / "broken.py").write_text("def broken(:\n", encoding="utf-8")
    (code / "binary.py").write_bytes(b"\x00\x01\x02")
    done = run("scan", str(code), "--format", "json")
    assert done.returncode == 0, done.stderr
    errors = {e["path"] for e in json.loads(done.stdout)["errors"]}
    assert {"broken.py", "binary.py"} <= errors


def test_relative_path_and_no_database(code: Path):
    done = run("scan", code.name, "--format", "json", cwd=code.parent)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["target"]["database"] is None
    assert any(s["what"] == "database" and "DATABASE_URL" in s["why"] for s in result["skipped"])


@pytest.mark.skipif(shutil.which("posture-audit") is None and not Path(sys.executable).with_name("posture-audit").exists(),
                    reason="console script not installed")
def test_console_script_and_module_agree(code: Path):
    script = run("scan", str(code), "--format", "json")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    module = subprocess.run([sys.executable, "-m", "audit_lib", "scan", str(code), "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert module.returncode == script.returncode == 0
    fingerprints = [f["fingerprint"] for f in json.loads(script.stdout)["findings"]]
    assert fingerprints == [f["fingerprint"] for f in json.loads(module.stdout)["findings"]]


def test_a_code_base_finding_lists_every_place_it_stands_for(tmp_path: Path):
    app = tmp_path / "svc" / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    routes = "".join(f'\n\n@app.route("/orders/{n}")\ndef order_{n}(order_id):\n    log.info(f"order {{order_id}}")\n'
                     f'    return "ok"\n' for n in range(5))
    (app / "views.py").write_text("import logging\n\nfrom flask import Flask\n\napp = Flask(__name__)\n"
                                  "log = logging.getLogger(__name__)\n" + routes, encoding="utf-8")
    done = run("scan", str(tmp_path / "svc"), "--format", "json", "--rules", "R3.log-no-context")
    assert done.returncode == 0, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    log_lines = [f"app/views.py:{n}" for n, line in enumerate((app / "views.py").read_text().splitlines(), 1)
                 if "log.info" in line]
    assert len(log_lines) == 5
    assert finding["places"] == log_lines
    assert f"{finding['path']}:{finding['line']}" in log_lines
