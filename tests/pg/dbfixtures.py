"""Annotated database fixtures: DDL files whose comments say which objects a rule reports.

`-- ruleid: <rule> [subject]` / `-- ok: <rule> [subject]`, where the subject is
`schema.table`, `schema.table(col, ...)`, `index schema.index_name` or
`session <application_name>`, the way
:func:`subject` writes a finding's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from audit_lib.findings import Finding

DB_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "db"
ANNOTATION = re.compile(r"--\s*(?P<kind>ruleid|ok):\s*(?P<rule>[\w.\-]+)\s*\[(?P<subject>[^\]]+)\]")


@dataclass
class DbExpectations:
    expected: set[tuple[str, str]] = field(default_factory=set)
    ok: set[tuple[str, str]] = field(default_factory=set)

    @property
    def rules(self) -> set[str]:
        return {rule for rule, _ in self.expected | self.ok}


def read_db_annotations(path: Path) -> DbExpectations:
    exp = DbExpectations()
    for match in ANNOTATION.finditer(path.read_text(encoding="utf-8")):
        key = (match["rule"], normalize(match["subject"]))
        (exp.expected if match["kind"] == "ruleid" else exp.ok).add(key)
    return exp


def normalize(subject: str) -> str:
    return re.sub(r"\s*([(),])\s*", r"\1", subject.strip()).replace(",", ", ")


def subject(finding: Finding) -> str:
    if finding.extra.get("application_name"):
        return f"session {finding.extra['application_name']}"
    if "index" in finding.extra:
        schema = (finding.object or "").partition(".")[0]
        return f"index {schema}.{finding.extra['index']}"
    return normalize(finding.where)


def session_scripts(path: Path) -> dict[str, str]:
    """``-- session: <name>`` blocks of a fixture: application_name -> statements."""
    scripts: dict[str, list[str]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^--\s*session:\s*(\S+)\s*$", line)
        if match:
            current = match[1]
            scripts[current] = []
        elif current is not None and line.strip() and not line.strip().startswith("--"):
            scripts[current].append(line)
    return {name: "\n".join(lines) for name, lines in scripts.items()}


PLAN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


@dataclass
class PlanCase:
    name: str
    sql: str
    analyze: bool = False
    session_settings: dict[str, str] = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)  # rule ids that must report the query
    ok: set[str] = field(default_factory=set)  # rule ids that must stay silent
    why: list[str] = field(default_factory=list)  # words some finding's message must hold

    @property
    def live(self) -> bool:
        """Plannable by plan_queries as is (no session setting needed)."""
        return not self.session_settings


def read_plan_cases(path: Path = PLAN_FIXTURES / "queries.sql") -> list[PlanCase]:
    """The ``-- name:`` blocks of queries.sql with their capture options and annotations."""
    cases: list[PlanCase] = []
    case: PlanCase | None = None
    sql: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        stripped = line.strip()
        if match := re.match(r"^--\s*name:\s*(\w+)$", stripped):
            case, sql = PlanCase(match[1], ""), []
        elif case is None:
            continue
        elif stripped == "-- analyze":
            case.analyze = True
        elif match := re.match(r"^--\s*why:\s*(.+)$", stripped):
            case.why.append(match[1])
        elif match := re.match(r"^--\s*set:\s*(\w+)=(\S+)$", stripped):
            case.session_settings[match[1]] = match[2]
        elif match := re.match(r"^--\s*(ruleid|ok):\s*([\w.\-, ]+)$", stripped):
            ids = {i.strip() for i in match[2].split(",") if i.strip()}
            (case.expected if match[1] == "ruleid" else case.ok).update(ids)
        elif stripped and not stripped.startswith("--"):
            sql.append(line)
        elif not stripped and sql:
            case.sql = "\n".join(sql).strip().rstrip(";")
            cases.append(case)
            case, sql = None, []
    return cases
