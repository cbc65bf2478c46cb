"""A SQL query found in the audited code, with its call sites and (later) its plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class QuerySite:
    path: str
    line: int
    function: str | None = None
    method: str | None = None  # the DB API call that sends it: "fetch", "execute", "text", "aiosql", ...
    returns: str | None = None  # rows handed back: "all", "one", "bounded", "stream", "none"; None: unknown

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "function": self.function,
                "method": self.method, "returns": self.returns}


@dataclass
class FoundQuery:
    id: str
    sql: str  # as written in the code (constant parts joined)
    normalized: str  # placeholders rewritten to $1..$n, ready for PostgreSQL
    sites: list[QuerySite] = field(default_factory=list)
    statement: Any = None  # the sqlglot expression, None when it did not parse
    parse_error: str | None = None
    plan: dict | None = None
    plan_error: str | None = None
    analyzed: bool = False

    @property
    def kind(self) -> str:
        """SELECT / INSERT / UPDATE / DELETE / WITH / ... from the first keyword."""
        words = self.normalized.lstrip("( \n\t").split(None, 1)
        return words[0].upper() if words else ""

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "sql": self.sql,
            "normalized": self.normalized,
            "sites": [s.to_dict() for s in self.sites],
            "parse_error": self.parse_error,
            "plan": self.plan,
            "plan_error": self.plan_error,
            "analyzed": self.analyzed,
        }
