"""The one finding model every rule produces and every output reads."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import asdict, dataclass, field


class Severity(enum.IntEnum):
    info = 0
    low = 1
    medium = 2
    high = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().lower()]
        except KeyError:
            names = ", ".join(s.name for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class Confidence(enum.IntEnum):
    low = 0
    medium = 1
    high = 2


@dataclass
class Finding:
    """One reported problem, located in code (path+line) or in the database (object)."""

    message: str
    rule: str = ""
    severity: Severity = Severity.medium
    confidence: Confidence = Confidence.high
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    object: str | None = None
    columns: list[str] | None = None
    evidence: str = ""
    fix: str = ""
    queries: list[str] = field(default_factory=list)  # ids of the found queries this finding concerns
    fingerprint: str = ""
    suppressed: bool = False
    suppressed_by: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.rule.split(".", 1)[0]

    @property
    def where(self) -> str:
        if self.path is not None:
            return f"{self.path}:{self.line}" if self.line else self.path
        if self.object is not None:
            cols = f"({', '.join(self.columns)})" if self.columns else ""
            return f"{self.object}{cols}"
        return ""

    def identity(self) -> str:
        """What the fingerprint hashes: the rule, the place by name (not line), the evidence."""
        place = self.path if self.path is not None else (self.object or "")
        cols = ",".join(self.columns or [])
        evidence = " ".join(self.evidence.split())
        return "\x1f".join([self.rule, place, cols, evidence])

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.name
        data["confidence"] = self.confidence.name
        data.pop("extra")
        if self.extra.get("places"):
            data["places"] = self.extra["places"]  # every place a code-base finding stands for
        if not data["suppressed_by"]:
            data.pop("suppressed_by")
        return data


def assign_fingerprints(findings: list[Finding]) -> None:
    """Give each finding a hash stable under line moves.

    Findings that share an identity (same rule, file and evidence text) are told apart
    by their order of occurrence, so two identical lines in one file keep two
    fingerprints.
    """
    seen: dict[str, int] = {}
    for finding in sorted(findings, key=lambda f: (f.path or "", f.object or "", f.line or 0)):
        identity = finding.identity()
        occurrence = seen.get(identity, 0)
        seen[identity] = occurrence + 1
        digest = hashlib.sha256(f"{identity}\x1f{occurrence}".encode()).hexdigest()
        finding.fingerprint = digest[:20]


def sort_key(finding: Finding) -> tuple:
    return (-finding.severity, finding.rule, finding.path or "", finding.line or 0, finding.object or "")


def code_base_finding(at: Finding, places: list[str], message: str, fix: str) -> Finding:
    """One finding for a choice the whole code base made, located at ``at`` and standing for every
    place in ``places`` (kept in ``extra``)."""
    return Finding(message=message, path=at.path, line=at.line, end_line=at.end_line, evidence=at.evidence,
                   fix=fix, confidence=Confidence.low, extra={"places": places})


def shown_places(places: list[str], skip: str | None = None, limit: int = 3) -> str:
    """The first ``limit`` places (not ``skip``), then ``...`` when there are more."""
    rest = [p for p in places if p != skip]
    return ", ".join(rest[:limit]) + (", ..." if len(rest) > limit else "")
