"""SARIF 2.1.0: one run, the rules with their help text, one result per finding."""

from __future__ import annotations

from pathlib import Path

from audit_lib import __version__
from audit_lib.engine import AuditResult
from audit_lib.findings import Severity
from audit_lib.registry import all_rules, doc_section

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SUPPRESSED_BY = {
    "comment": "a '# posture: ignore' comment",
    "baseline": "listed in the baseline",
    "params": "listed in the params file's suppress_objects",
}
LEVELS = {Severity.high: "error", Severity.medium: "warning", Severity.low: "note", Severity.info: "note"}


def to_sarif(result: AuditResult) -> dict:
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "posture-audit",
                        "version": __version__,
                        "informationUri": "https://github.com/posture-audit/posture-audit",
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": _root_uri(result.code_root)}},
                "results": [_result(f, index) for f in result.findings if f.rule in index],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "warning", "message": {"text": f"{e.path}: {e.why}"}} for e in result.errors
                        ],
                    }
                ],
            }
        ],
    }


def _rule(rule) -> dict:
    return {
        "id": rule.id,
        "name": rule.id.split(".", 1)[1],
        "shortDescription": {"text": rule.summary or rule.id},
        "fullDescription": {"text": " ".join(doc_section(rule.doc, "What it does").split()) or rule.summary or rule.id},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"scope": rule.scope, "severity": rule.severity.name, "group": rule.group},
    }


def _result(finding, index: dict[str, int]) -> dict:
    result: dict = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message + (f" Fix: {finding.fix}" if finding.fix else "")},
        "partialFingerprints": {"postureFingerprint/v1": finding.fingerprint},
        "properties": {"severity": finding.severity.name, "confidence": finding.confidence.name},
    }
    if finding.path is not None:
        region = {"startLine": finding.line or 1, "endLine": finding.end_line or finding.line or 1}
        if finding.evidence:
            region["snippet"] = {"text": finding.evidence}
        result["locations"] = [
            {"physicalLocation": {"artifactLocation": {"uri": finding.path, "uriBaseId": "SRCROOT"}, "region": region}}
        ]
    elif finding.object is not None:
        name = finding.object + (f"({', '.join(finding.columns)})" if finding.columns else "")
        result["locations"] = [{"logicalLocations": [{"fullyQualifiedName": name, "kind": "table"}]}]
    if finding.suppressed:
        result["suppressions"] = [{
            "kind": "inSource" if finding.suppressed_by == "comment" else "external",
            "status": "accepted",
            "justification": SUPPRESSED_BY.get(finding.suppressed_by or "", finding.suppressed_by or "suppressed"),
        }]
    return result


def _root_uri(code_root: str) -> str:
    """The audited root as a file URI ending in '/', the base of every result's path."""
    uri = Path(code_root).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"
