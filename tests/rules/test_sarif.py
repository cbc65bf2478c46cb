"""`posture-audit scan --format sarif` is valid SARIF 2.1.0 and carries every rule's help.

The schema is the OASIS one, vendored in tests/data (see tests/data/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from audit_lib.engine import AuditResult
from audit_lib.findings import Finding, Severity
from audit_lib.registry import all_rules
from audit_lib.report.sarif import to_sarif

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)

TARGET = {
    "app/clients.py": (
        "import requests\n"
        "from datetime import datetime\n\n"
        "def fetch(url):\n"
        "    return requests.get(url)\n\n"
        "def stamp():\n"
        "    return datetime.now()  # posture: ignore[T.naive-datetime]\n"
    ),
    "app/billing.py": "def charge(price: float):\n    return price\n",
    "app/broken.py": "def broken(:\n",
}


def errors_of(document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("target")
    for name, text in TARGET.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "-m", "audit_lib", "scan", str(root), "--format", "sarif"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_scan_output_validates_against_the_sarif_schema(scanned):
    assert errors_of(scanned) == []
    assert scanned["version"] == "2.1.0"
    assert len(scanned["runs"]) == 1


def test_results_have_rules_locations_and_suppressions(scanned):
    run = scanned["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    found = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert ("R3.http-no-timeout", "app/clients.py", 5) in found
    assert ("T.naive-datetime", "app/clients.py", 8) in found
    assert ("T.float-money", "app/billing.py", 1) in found
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]["postureFingerprint/v1"]
    suppressed = [r for r in run["results"] if r["ruleId"] == "T.naive-datetime"]
    assert suppressed[0]["suppressions"][0]["kind"] == "inSource"
    assert suppressed[0]["suppressions"][0]["status"] == "accepted"
    base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("app/broken.py" in n["message"]["text"] for n in notes)


def test_every_rule_carries_its_help_text(scanned):
    described = {r["id"]: r for r in scanned["runs"][0]["tool"]["driver"]["rules"]}
    assert set(described) == {r.id for r in all_rules()}
    for rule in all_rules():
        entry = described[rule.id]
        assert entry["help"]["text"] == rule.doc
        assert "## What it does" in entry["help"]["markdown"]
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_database_findings_validate_with_logical_locations():
    result = AuditResult(code_root="/srv/app", database="db.internal/shop")
    db_rule = next(r for r in all_rules() if "db" in r.scope.split("+"))
    result.findings.append(Finding(
        message="foreign key has no covering index", rule=db_rule.id, severity=Severity.high,
        object="public.orders", columns=["customer_id"], evidence="fk_orders_customers",
        fix="CREATE INDEX CONCURRENTLY ...", fingerprint="abc123", suppressed=True, suppressed_by="params",
    ))
    document = to_sarif(result)
    assert errors_of(document) == []
    location = document["runs"][0]["results"][0]["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "public.orders(customer_id)"
    assert document["runs"][0]["results"][0]["suppressions"][0]["kind"] == "external"
