"""Where a found query is sent from, as the SQL-text rules report it."""

from __future__ import annotations

from pathlib import Path

from audit_lib.source import Project
from audit_lib.sql.model import FoundQuery, QuerySite


def site_evidence(project: Project, site: QuerySite, query: FoundQuery) -> str:
    """The source line of the site (the call, or the statement's first line in a .sql file)."""
    for module in project.modules:
        if module.path == site.path:
            text = module.line_text(site.line)
            if text:
                return text
    try:
        lines = (Path(project.root) / site.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    if 0 < site.line <= len(lines) and lines[site.line - 1].strip():
        return lines[site.line - 1].strip()
    return " ".join(query.sql.split())[:200]
