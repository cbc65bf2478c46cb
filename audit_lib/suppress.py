"""Suppressions: ``# posture: ignore[ID]`` comments, params-file objects, a baseline."""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from audit_lib.findings import Finding
from audit_lib.source import SourceModule

COMMENT = re.compile(r"#\s*posture:\s*ignore(?:\[(?P<ids>[^\]]*)\])?(?P<why>.*)$")
SQL_COMMENT = re.compile(r"--\s*posture:\s*ignore(?:\[(?P<ids>[^\]]*)\])?(?P<why>.*)$")
ALL = "*"


@dataclass
class Suppression:
    path: str
    line: int
    ids: frozenset[str]  # {"*"} for a bare ignore
    used: bool = False
    own_line: bool = True  # a comment alone on its line also covers the next line; a trailing one does not

    def covers(self, rule_id: str) -> bool:
        return ALL in self.ids or rule_id in self.ids


def module_suppressions(module: SourceModule) -> list[Suppression]:
    found: list[Suppression] = []
    if "posture:" not in module.text:
        return found
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(module.text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        match = COMMENT.search(tok.string)
        if not match:
            continue
        own_line = not tok.line[: tok.start[1]].strip()
        found.append(Suppression(module.path, tok.start[0], _ids(match), own_line=own_line))
    return found


def sql_file_suppressions(rel: str, text: str) -> list[Suppression]:
    """``-- posture: ignore[ID]`` comments of a ``.sql`` file, by the same line rules."""
    found: list[Suppression] = []
    if "posture:" not in text:
        return found
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = SQL_COMMENT.search(line)
        if match:
            own_line = not line[: match.start()].strip()
            found.append(Suppression(rel, lineno, _ids(match), own_line=own_line))
    return found


def _ids(match: re.Match) -> frozenset[str]:
    ids = match.group("ids")
    return frozenset(i.strip() for i in ids.split(",") if i.strip()) if ids else frozenset({ALL})


def apply_code_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> None:
    """Mark findings covered by a comment on their line or the line above."""
    by_place: dict[tuple[str, int], list[Suppression]] = {}
    for sup in suppressions:
        by_place.setdefault((sup.path, sup.line), []).append(sup)
    for finding in findings:
        if finding.path is None or finding.line is None or finding.suppressed:
            continue
        for line in (finding.line, finding.line - 1):
            for sup in by_place.get((finding.path, line), []):
                if line != finding.line and not sup.own_line:
                    continue
                if sup.covers(finding.rule):
                    sup.used = True
                    finding.suppressed = True
                    finding.suppressed_by = "comment"
                    break
            if finding.suppressed:
                break


def apply_object_suppressions(findings: list[Finding], entries: list[str]) -> None:
    """Params entries ``schema.table`` (every rule) or ``RULE:schema.table``."""
    wanted: set[tuple[str | None, str]] = set()
    for entry in entries:
        rule_id, sep, obj = entry.partition(":")
        wanted.add((rule_id, obj) if sep else (None, entry))
    for finding in findings:
        if finding.object is None or finding.suppressed:
            continue
        if (None, finding.object) in wanted or (finding.rule, finding.object) in wanted:
            finding.suppressed = True
            finding.suppressed_by = "params"


def load_baseline(path: str | Path) -> set[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError:
        raise ValueError(f"baseline {path} is not a findings.json file") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError(f"baseline {path} is not a findings.json file")
    return {f["fingerprint"] for f in data["findings"] if isinstance(f, dict) and f.get("fingerprint")}


def apply_baseline(findings: list[Finding], fingerprints: set[str]) -> None:
    for finding in findings:
        if not finding.suppressed and finding.fingerprint in fingerprints:
            finding.suppressed = True
            finding.suppressed_by = "baseline"
