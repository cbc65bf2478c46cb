"""Shared by the type rules: one finding for a choice the whole code base made."""

from __future__ import annotations

from audit_lib.findings import Confidence, Finding


def code_base_finding(at: Finding, places: list[str], message: str, fix: str) -> Finding:
    """A finding located at ``at`` that stands for every place in ``places`` (kept in ``extra``)."""
    return Finding(message=message, path=at.path, line=at.line, end_line=at.end_line, evidence=at.evidence,
                   fix=fix, confidence=Confidence.low, extra={"places": places})


def shown_places(places: list[str], skip: str | None = None, limit: int = 3) -> str:
    """The first ``limit`` places (not ``skip``), then ``...`` when there are more."""
    rest = [p for p in places if p != skip]
    return ", ".join(rest[:limit]) + (", ..." if len(rest) > limit else "")
