"""Machine-readable outputs of one audit: findings.json and findings.sarif."""

from __future__ import annotations

import json
from pathlib import Path

from audit_lib.engine import AuditResult
from audit_lib.redact import redact_values
from audit_lib.report.sarif import to_sarif


def findings_json(result: AuditResult) -> str:
    return json.dumps(redact_values(result.to_dict()), indent=2, default=str)


def sarif_json(result: AuditResult) -> str:
    return json.dumps(redact_values(to_sarif(result)), indent=2, default=str)


def write_outputs(result: AuditResult, out_dir: str | Path) -> dict[str, Path]:
    """Write findings.json and findings.sarif into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "findings.json", "sarif": out / "findings.sarif"}
    paths["json"].write_text(findings_json(result), encoding="utf-8")
    paths["sarif"].write_text(sarif_json(result), encoding="utf-8")
    return paths
