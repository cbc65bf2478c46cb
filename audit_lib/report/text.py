"""Findings as lines of text for a terminal."""

from __future__ import annotations

from audit_lib.engine import AuditResult
from audit_lib.redact import redact_secrets


def to_text(result: AuditResult) -> str:
    lines: list[str] = []
    for f in result.active():
        lines.append(f"{f.where}: {f.rule} [{f.severity.name}] {f.message}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    for sup in result.unused_suppressions:
        ids = "" if "*" in sup.ids else f"[{', '.join(sorted(sup.ids))}]"
        lines.append(f"{sup.path}:{sup.line}: unused suppression '# posture: ignore{ids}' (nothing to suppress here)")
    for s in result.skipped:
        lines.append(f"skipped {s.what}: {s.why}")
    for e in result.errors:
        lines.append(f"error {e.path}: {e.why}")
    suppressed = len(result.findings) - len(result.active())
    lines.append(f"{len(result.active())} finding(s), {suppressed} suppressed, {len(result.errors)} file error(s)")
    return redact_secrets("\n".join(lines))
