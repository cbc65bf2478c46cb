"""The bundled example (examples/shop) shows every rule firing, and only where its markers say.

A marker is a comment ``# posture-demo: violates <RULE> (why)`` or ``# posture-demo: ok
<RULE> (why)`` (``--`` in SQL). Consecutive marker lines share their target: the first
line after them that is neither blank nor a comment.

- In Python that line must begin a statement (its first decorator, for a decorated
  definition). A ``violates`` marker is met when a finding of the rule is reported on
  the statement's header: every line of a simple statement; for a compound one
  (``def``, ``class``, ``with``, ``for``, ``if``, ``try``...) its decorators and the lines
  before its body. An ``ok`` marker is met when no finding of the rule falls anywhere in
  the statement, body included.
- In ``db/schema.sql`` the line names a database object: a column of the table being
  created, a ``CONSTRAINT``/``PRIMARY KEY`` clause, a ``CREATE INDEX``, a ``CREATE TABLE``
  or ``CREATE VIEW``. Its findings are those on that object (``public.<table>``) that name
  the column, the index or constraint, or exactly its columns.

Two audits run, with the demo's parameters: without a database (the code and SQL
rules) and against the embedded example database (every rule). In each, every marker
of the rules that run is met and every finding lies on a ``violates`` marker of its rule.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

import pytest

from audit_lib.engine import Audit
from audit_lib.findings import Finding
from audit_lib.registry import all_rules, get_rule
from audit_lib.settings import DEMO_PARAMS, EXAMPLE_CODE, Settings

MARKER = re.compile(r"^\s*(?:#|--)\s*posture-demo:\s*(?P<kind>violates|ok)\s+(?P<rule>[\w.\-]+)")
SCHEMA = "db/schema.sql"
RUNTIME_ONLY = {"R4.idle-in-transaction"}  # sessions idle in a transaction: nothing a static example can hold open
STATIC_KINDS = ("module", "project", "query")  # what runs without a database


@dataclass(frozen=True)
class DbSubject:
    """The database object a schema.sql marker points to."""

    table: str
    column: str | None = None
    name: str | None = None  # an index or constraint
    columns: tuple[str, ...] | None = None

    def matches(self, finding: Finding) -> bool:
        if finding.object != f"public.{self.table}":
            return False
        columns = tuple(finding.columns or ())
        if self.column is not None:
            return self.column in columns
        if self.name is not None and (self.name in finding.message or self.name in (finding.evidence or "")):
            return True
        if self.columns is not None:
            return columns == self.columns
        return self.name is None


@dataclass(frozen=True)
class Marker:
    kind: str  # "violates" or "ok"
    rule: str
    path: str
    line: int  # the marker comment's line
    target: int  # the line it points to
    header: tuple[int, int] | None = None  # Python: lines a reported violation must fall in
    span: tuple[int, int] | None = None  # Python: lines an ok look-alike keeps silent
    subject: DbSubject | None = None  # schema.sql

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.kind} {self.rule}"

    def covers(self, finding: Finding) -> bool:
        if finding.rule != self.rule:
            return False
        if self.subject is not None:
            return self.subject.matches(finding)
        first, last = self.header if self.kind == "violates" else self.span
        return finding.path == self.path and finding.line is not None and first <= finding.line <= last


def _targets(lines: list[str]) -> list[tuple[int, str, str, int]]:
    """(marker line, kind, rule, target line) of every marker in a file."""
    found, pending = [], []
    for number, text in enumerate(lines, start=1):
        match = MARKER.match(text)
        if match:
            pending.append((number, match["kind"], match["rule"]))
            continue
        stripped = text.strip()
        if not stripped or stripped.startswith(("#", "--")):
            continue
        found.extend((line, kind, rule_id, number) for line, kind, rule_id in pending)
        pending = []
    assert not pending, f"markers at the end of a file point to nothing: {pending}"
    return found


def _python_markers(path: str, text: str) -> list[Marker]:
    statements: dict[int, ast.stmt] = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.stmt):
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
            statements.setdefault(first, node)  # ast.walk is breadth-first: the outermost statement wins
    markers = []
    for line, kind, rule_id, target in _targets(text.splitlines()):
        statement = statements.get(target)
        assert statement is not None, f"{path}:{line}: the marker must precede a statement, line {target} begins none"
        body = getattr(statement, "body", None)
        header_end = max(target, body[0].lineno - 1) if body else statement.end_lineno
        markers.append(Marker(kind, rule_id, path, line, target,
                              header=(target, header_end), span=(target, statement.end_lineno)))
    return markers


CREATE_TABLE = re.compile(r"^CREATE (?:TABLE|VIEW) (\w+)", re.IGNORECASE)
CREATE_INDEX = re.compile(r"^CREATE (?:UNIQUE )?INDEX (\w+) ON (\w+) \(([^)]*)\)", re.IGNORECASE)
CONSTRAINT = re.compile(r"^CONSTRAINT (\w+) \w+(?: KEY)? \(([^)]*)\)", re.IGNORECASE)
PRIMARY_KEY = re.compile(r"^PRIMARY KEY \(([^)]*)\)", re.IGNORECASE)
COLUMN = re.compile(r"^(\w+)\s")


def _column_list(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(","))


def _schema_subject(lines: list[str], target: int) -> DbSubject:
    """The object named at ``target`` (1-based), inside the table created above it, if any."""
    text = lines[target - 1].strip()
    if match := CREATE_INDEX.match(text):
        return DbSubject(match[2], name=match[1], columns=_column_list(match[3]))
    if match := CREATE_TABLE.match(text):
        return DbSubject(match[1])
    table = next(m[1] for line in reversed(lines[: target - 1]) if (m := CREATE_TABLE.match(line.strip())))
    if match := CONSTRAINT.match(text):
        return DbSubject(table, name=match[1], columns=_column_list(match[2]))
    if match := PRIMARY_KEY.match(text):
        return DbSubject(table, columns=_column_list(match[1]))
    return DbSubject(table, column=COLUMN.match(text)[1])


def _schema_markers(text: str) -> list[Marker]:
    lines = text.splitlines()
    return [Marker(kind, rule_id, SCHEMA, line, target, subject=_schema_subject(lines, target))
            for line, kind, rule_id, target in _targets(lines)]


def _read_markers() -> list[Marker]:
    markers = []
    for file in sorted(EXAMPLE_CODE.rglob("*.py")):
        markers.extend(_python_markers(file.relative_to(EXAMPLE_CODE).as_posix(), file.read_text(encoding="utf-8")))
    markers.extend(_schema_markers((EXAMPLE_CODE / SCHEMA).read_text(encoding="utf-8")))
    return markers


MARKERS = _read_markers()


def _runs_statically(rule_id: str) -> bool:
    return any(get_rule(rule_id).checks_of(kind) for kind in STATIC_KINDS)


@dataclass
class Run:
    findings: list[Finding]
    markers: list[Marker]  # those of the rules this run checks
    checks: Callable[[Finding], bool]  # which findings this run judges


def _audit(database: str) -> list[Finding]:
    settings = Settings.from_file(DEMO_PARAMS, {"database": database, "code_root": str(EXAMPLE_CODE)})
    result = Audit(settings).run()
    assert not result.errors, result.errors
    if database != "none":
        assert result.database is not None, [s.to_dict() for s in result.skipped]
    return result.findings


@pytest.fixture(scope="module")
def static_run() -> Run:
    static = [m for m in MARKERS if m.subject is None and _runs_statically(m.rule)]
    return Run(_audit("none"), static, lambda f: _runs_statically(f.rule))


@pytest.fixture(scope="module")
def database_run() -> Run:
    return Run(_audit("embedded-example"), MARKERS, lambda f: True)


@pytest.fixture(params=["static", "database"])
def run(request) -> Run:
    return request.getfixturevalue(f"{request.param}_run")


def _where(findings: list[Finding]) -> list[str]:
    return sorted(f"{f.rule} {f.path}:{f.line}" if f.path else f"{f.rule} {f.object} {f.columns}" for f in findings)


def test_markers_name_registered_rules():
    known = {r.id for r in all_rules()}
    assert [str(m) for m in MARKERS if m.rule not in known] == []


def test_every_rule_has_a_marked_violation():
    violated = {m.rule for m in MARKERS if m.kind == "violates"}
    assert sorted({r.id for r in all_rules()} - violated) == sorted(RUNTIME_ONLY)


def test_idle_in_transaction_is_registered_and_runtime_only():
    """No static example holds a session idle in a transaction: the README says how to see this one fire."""
    rule = get_rule("R4.idle-in-transaction")
    assert rule.scope == "db" and rule.checks_of("catalog")
    assert not any(m.rule in RUNTIME_ONLY for m in MARKERS)


def test_each_violation_is_reported_at_its_marker(run: Run):
    missed = [str(m) for m in run.markers if m.kind == "violates" and not any(m.covers(f) for f in run.findings)]
    assert missed == [], f"marked violations not reported; reported: {_where(run.findings)}"


def test_each_look_alike_stays_silent(run: Run):
    noisy = {str(m): _where([f for f in run.findings if m.covers(f)]) for m in run.markers if m.kind == "ok"}
    assert {marker: where for marker, where in noisy.items() if where} == {}


def test_only_marked_violations_are_reported(run: Run):
    violations = [m for m in run.markers if m.kind == "violates"]
    unmarked = [f for f in run.findings if run.checks(f) and not any(m.covers(f) for m in violations)]
    assert _where(unmarked) == []


def test_database_rules_fire_on_the_example_database(database_run: Run):
    db_rules = {r.id for r in all_rules() if "db" in r.scope.split("+")} - RUNTIME_ONLY
    assert sorted(db_rules - {f.rule for f in database_run.findings}) == []
    catalog_rules = {r.id for r in all_rules() if r.checks_of("catalog")} - RUNTIME_ONLY
    on_objects = {f.rule for f in database_run.findings if f.path is None and f.object is not None}
    assert sorted(catalog_rules - on_objects) == []
