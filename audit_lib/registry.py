"""The rule catalog: a decorator registers each check under its rule id.

A rule lives in one module under ``audit_lib/rules/<group>/``. The module docstring is
the rule's documentation (headings: What it does / Why is this bad? / Example / Use
instead). Each check function in it is registered with ``@rule(...)`` and says what it
looks at with ``on=``:

- ``"module"``: ``fn(module: SourceModule, project: Project)``, once per parsed file;
- ``"project"``: ``fn(project: Project)``, once per code base (cross-file rules);
- ``"query"``: ``fn(query: FoundQuery, project: Project)``, once per SQL query found in code;
- ``"catalog"``: ``fn(catalog: Catalog, settings: Settings)``, once per database, over the
  collected rows of the datasets named in ``needs=``;
- ``"plan"``: ``fn(query: FoundQuery, catalog: Catalog | None, settings: Settings)``, once per
  query found in code, after the database stage: ``query.plan`` is its EXPLAIN JSON, or
  None with ``query.plan_error`` saying why (``catalog`` is None without a database).

Every check yields :class:`~audit_lib.findings.Finding` objects; the engine fills in
the rule id and severity.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable

from audit_lib.findings import Severity

KINDS = ("module", "project", "query", "catalog", "plan")
SCOPES = {"code", "sql", "db"}
RULE_ID = re.compile(r"^(R[1-5]|T)\.[a-z0-9]+(-[a-z0-9]+)*$")
DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead")


@dataclass
class Check:
    kind: str
    fn: Callable
    needs: tuple[str, ...] = ()


@dataclass
class Rule:
    id: str
    scope: str
    severity: Severity
    module: str
    checks: list[Check] = field(default_factory=list)

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def doc(self) -> str:
        return (sys.modules[self.module].__doc__ or "").strip()

    @property
    def summary(self) -> str:
        """The first sentence under "What it does"."""
        section = doc_section(self.doc, "What it does")
        first = " ".join(section.split())
        return first.split(". ")[0].rstrip(".") + "." if first else ""

    def checks_of(self, kind: str) -> list[Check]:
        return [c for c in self.checks if c.kind == kind]


_RULES: dict[str, Rule] = {}
_loaded = False


def rule(rule_id: str, *, on: str, scope: str, severity: str, needs: Iterable[str] = ()):
    """Register the decorated function as a check of rule ``rule_id``."""
    if not RULE_ID.match(rule_id):
        raise ValueError(f"malformed rule id {rule_id!r}")
    if on not in KINDS:
        raise ValueError(f"{rule_id}: unknown check kind {on!r}")
    if not set(scope.split("+")) <= SCOPES:
        raise ValueError(f"{rule_id}: unknown scope {scope!r}")
    sev = Severity.parse(severity)

    def register(fn: Callable) -> Callable:
        existing = _RULES.get(rule_id)
        if existing is None:
            existing = _RULES[rule_id] = Rule(rule_id, scope, sev, fn.__module__)
        elif existing.module != fn.__module__:
            raise ValueError(f"{rule_id} is registered by {existing.module} and {fn.__module__}")
        elif (existing.scope, existing.severity) != (scope, sev):
            raise ValueError(f"{rule_id}: checks disagree on scope or severity")
        existing.checks.append(Check(on, fn, tuple(needs)))
        return fn

    return register


def load_rules() -> None:
    """Import every module below ``audit_lib.rules`` so that their decorators run."""
    global _loaded
    if _loaded:
        return
    import audit_lib.rules as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
    _loaded = True


def all_rules() -> list[Rule]:
    load_rules()
    return sorted(_RULES.values(), key=lambda r: (r.group, r.id))


def get_rule(rule_id: str) -> Rule:
    load_rules()
    return _RULES[rule_id]


def select(patterns: Iterable[str] | None) -> list[Rule]:
    """Rules matching ids or prefixes (``R3``, ``R3.http-no-timeout``); all when empty."""
    rules = all_rules()
    patterns = [p.strip() for p in (patterns or []) if p and p.strip()]
    if not patterns:
        return rules
    chosen: list[Rule] = []
    for pattern in patterns:
        matched = [r for r in rules if r.id == pattern or r.id.startswith(pattern.rstrip(".") + ".")]
        if not matched:
            raise ValueError(f"unknown rule id or group: {pattern}")
        chosen.extend(r for r in matched if r not in chosen)
    return sorted(chosen, key=lambda r: (r.group, r.id))


def doc_section(doc: str, heading: str) -> str:
    """The text under ``## heading`` (or a line ``heading:``) up to the next heading."""
    lines = doc.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        stripped = line.strip().lstrip("#").strip()
        is_heading = line.strip().startswith("#") or stripped.rstrip(":") in DOC_HEADINGS
        if is_heading and stripped.rstrip(":") in DOC_HEADINGS:
            inside = stripped.rstrip(":") == heading
            continue
        if is_heading and line.strip().startswith("#"):
            inside = False
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()
