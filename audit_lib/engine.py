"""Running the rules: code, then the SQL found in it, then the database and its plans.

Each stage stands alone: a stage that fails records why and the others still run, so
one broken part degrades one section of the report, never the whole audit.
"""

from __future__ import annotations

import gc
import os
import time
import traceback
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from audit_lib import __version__
from audit_lib.findings import Finding, Severity, assign_fingerprints, sort_key
from audit_lib.reachability import suppress_unreachable
from audit_lib.registry import Rule, select
from audit_lib.settings import Settings
from audit_lib.source import FileError, Project, is_test_path, load_project
from audit_lib.sql.model import FoundQuery
from audit_lib.suppress import (
    ALL,
    Suppression,
    apply_baseline,
    apply_code_suppressions,
    apply_object_suppressions,
    load_baseline,
    module_suppressions,
    sql_file_suppressions,
)

STAGES = ("code", "sql", "database", "plans")
REPORT_DATASETS = {"tables", "foreign_keys", "indexes"}  # the schema graph needs them whatever the rules


@dataclass
class Skipped:
    what: str
    why: str

    def to_dict(self) -> dict:
        return {"what": self.what, "why": self.why}


@dataclass
class AuditResult:
    code_root: str
    database: str | None
    findings: list[Finding] = field(default_factory=list)
    queries: list[FoundQuery] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    unused_suppressions: list[Suppression] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    catalog_summary: dict = field(default_factory=dict)

    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [f for f in self.active() if f.severity >= severity]

    def to_dict(self) -> dict:
        return {
            "tool": {"name": "posture-audit", "version": __version__},
            "target": {"code": self.code_root, "database": self.database},
            "findings": [f.to_dict() for f in self.findings],
            "queries": [q.to_dict() for q in self.queries],
            "skipped": [s.to_dict() for s in self.skipped],
            "errors": [e.to_dict() for e in self.errors],
            "unused_suppressions": [
                {"path": s.path, "line": s.line, "ids": sorted(s.ids)} for s in self.unused_suppressions
            ],
        }


class Audit:
    """One audit run; call the stages in order, or :meth:`run` for all of them."""

    def __init__(self, settings: Settings, *, progress: Callable[[str], None] | None = None):
        self.settings = settings
        self.rules: list[Rule] = select(settings.rules)
        self.progress = progress or (lambda message: None)
        self.project: Project | None = None
        self.suppressions: list[Suppression] = []
        self._resources = ExitStack()
        self._dsn: str | None = None
        self.catalog = None
        self._trees_frozen = False
        self.result = AuditResult(code_root=settings.code_root, database=None)

    # -- stages ---------------------------------------------------------------

    def run(self) -> AuditResult:
        try:
            self.run_code()
            self.run_sql()
            self.run_database()
            self.run_plan_rules()
            self.run_what_if()
        finally:
            self.close()
        return self.finish()

    def run_code(self) -> list[Finding]:
        """Parse the code base once and run every selected code rule on it."""
        with self._stage("code"):
            with _trees_kept_out_of_gc():
                self.project = load_project(self.settings.code_path(), exclude=self.settings.exclude)
            self._trees_frozen = True
            self.result.errors.extend(self.project.errors)
            for module in self.project.modules:
                self.suppressions.extend(module_suppressions(module))
            if self.settings.jobs > 1 and len(self.project.modules) > 1 and _can_fork():
                found = self._code_rules_in_processes(self.settings.jobs)
            else:
                found = self._module_rules(0, len(self.project.modules))[0]
                found.extend(self._project_rules())
            for path in self.project.sql_files:
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                rel = path.relative_to(self.project.root).as_posix()
                self.suppressions.extend(sql_file_suppressions(rel, text))
            return self._add(found)
        return []

    def _module_rules(self, start: int, stop: int) -> tuple[list[Finding], list[FileError]]:
        """The per-module checks on modules[start:stop], and the rule failures they recorded."""
        known_errors = len(self.result.errors)
        found: list[Finding] = []
        for module in self.project.modules[start:stop]:
            for rule in self.rules:
                for check in rule.checks_of("module"):
                    found.extend(self._guarded(rule, module.path, check.fn, module, self.project))
        return found, self.result.errors[known_errors:]

    def _project_rules(self) -> list[Finding]:
        found: list[Finding] = []
        for rule in self.rules:
            for check in rule.checks_of("project"):
                found.extend(self._guarded(rule, "(project)", check.fn, self.project))
        return found

    def _code_rules_in_processes(self, jobs: int) -> list[Finding]:
        """The project checks here, then the per-module checks in ``jobs`` forked processes.

        The children inherit the parsed project and what the project checks learnt about
        every module (fork), so nothing is parsed or worked out twice; results come back in
        module order, so the output is the one of a single process.
        """
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        known_errors = len(self.result.errors)
        project_found = self._project_rules()
        project_errors = self.result.errors[known_errors:]
        del self.result.errors[known_errors:]
        global _FORKED_AUDIT
        _FORKED_AUDIT = self
        try:
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                pending = pool.map(_module_rules_in_child, _chunks(self.project.modules, jobs * CHUNKS_PER_JOB))
                found: list[Finding] = []
                for chunk_found, chunk_errors in pending:
                    found.extend(chunk_found)
                    self.result.errors.extend(chunk_errors)
        finally:
            _FORKED_AUDIT = None
        self.result.errors.extend(project_errors)
        return found + project_found

    def run_sql(self) -> list[Finding]:
        """Find the SQL the code sends and run the SQL rules on each query."""
        if self.project is None:
            return []
        with self._stage("sql"):
            from audit_lib.sql.finder import find_queries

            known_errors = len(self.project.errors)
            self.result.queries = find_queries(self.project)
            self.result.errors.extend(self.project.errors[known_errors:])
            found: list[Finding] = []
            for query in judged_queries(self.result.queries):
                for rule in self.rules:
                    for check in rule.checks_of("query"):
                        found.extend(self._guarded(rule, query.id, check.fn, query, self.project))
            return self._add(found)
        return []

    def run_database(self) -> list[Finding]:
        """Connect read-only, run the catalog rules, plan every query, run the plan rules."""
        dsn = self._database_dsn()
        if dsn is None:
            return []
        with self._stage("database"):
            from audit_lib.pg import catalog as catalog_mod
            from audit_lib.pg import plans, session

            self.result.database = session.database_label(dsn)
            try:
                conn = self._resources.enter_context(session.connect(dsn, self.settings))
            except session.DatabaseUnavailable as exc:
                self.result.skipped.append(Skipped("database", str(exc)))
                return []
            needs = {n for rule in self.rules for c in rule.checks_of("catalog") for n in c.needs}
            needs |= REPORT_DATASETS
            self.catalog = catalog_mod.collect(conn, needs, self.settings)
            self.result.database = self.catalog.database
            found: list[Finding] = []
            for rule in self.rules:
                for check in rule.checks_of("catalog"):
                    missing = [n for n in check.needs if n in self.catalog.unavailable]
                    if missing:
                        why = "; ".join(f"{n}: {self.catalog.unavailable[n]}" for n in missing)
                        self.result.skipped.append(Skipped(rule.id, why))
                        continue
                    found.extend(self._guarded(rule, "(catalog)", check.fn, self.catalog, self.settings))
            if self.result.queries:
                self.progress(f"planning {len(self.result.queries)} queries")
                plans.plan_queries(dsn, self.result.queries, self.settings)
            return self._add(found)
        return []

    def run_plan_rules(self) -> list[Finding]:
        """Judge every found query with its plan (or the reason it has none)."""
        if not self.result.queries:
            return []
        with self._stage("plans"):
            no_plan_reason = self._no_plan_reason()
            found: list[Finding] = []
            for query in self.result.queries:
                if query.plan is None and query.plan_error is None:
                    query.plan_error = no_plan_reason
            for query in judged_queries(self.result.queries):
                for rule in self.rules:
                    for check in rule.checks_of("plan"):
                        found.extend(self._guarded(rule, query.id, check.fn, query, self.catalog, self.settings))
            return self._add(found)
        return []

    def run_what_if(self) -> None:
        """Missing-index findings: plan cost before/after a hypothetical index (hypopg), where installed."""
        if self._dsn is None or self.catalog is None:
            return
        with self._stage("what-if"):
            from audit_lib.pg.hypothetical import what_if
            from audit_lib.pg.usage import link_index_findings

            link_index_findings(self.result.findings, self.result.queries)
            why = what_if(self._dsn, self.result.findings, self.result.queries, self.settings)
            if why:
                self.result.skipped.append(Skipped("hypothetical indexes", why))

    def _no_plan_reason(self) -> str:
        for skipped in self.result.skipped:
            if skipped.what in ("database", "sql"):
                return f"no database: {skipped.why}"
        return "not planned"

    def finish(self) -> AuditResult:
        """Fingerprint, apply suppressions and the baseline, sort."""
        findings = self.result.findings
        link_findings_to_queries(findings, self.result.queries)
        assign_fingerprints(findings)
        apply_code_suppressions(findings, self.suppressions)
        apply_object_suppressions(findings, self.settings.suppress_objects)
        if self.settings.reachability and self.project is not None:
            with self._stage("reachability"):
                suppress_unreachable(findings, self.project)
        if self.settings.baseline:
            apply_baseline(findings, load_baseline(self.settings.baseline))
        findings.sort(key=sort_key)
        self.result.unused_suppressions = [s for s in self.suppressions if not s.used and self._could_have_used(s)]
        return self.result

    def close(self) -> None:
        self._resources.close()
        if self._trees_frozen:
            gc.unfreeze()
            self._trees_frozen = False

    def _could_have_used(self, suppression: Suppression) -> bool:
        """A comment naming only rules this run did not select is not unused, only idle."""
        from audit_lib.registry import all_rules

        selected = {rule.id for rule in self.rules}
        known = {rule.id for rule in all_rules()}
        return any(i == ALL or i in selected or i not in known for i in suppression.ids)

    # -- helpers --------------------------------------------------------------

    def _database_dsn(self) -> str | None:
        if self._dsn is not None:
            return self._dsn
        mode = self.settings.database
        if mode == "none":
            self.result.skipped.append(Skipped("database", "no database selected (database: none)"))
            return None
        if mode == "embedded-example":
            from audit_lib.embedded import example_database

            self.progress("starting the embedded example database")
            try:
                self._dsn = self._resources.enter_context(example_database())
            except Exception as exc:  # the embedded server is optional for the code sections
                self.result.skipped.append(Skipped("database", f"embedded PostgreSQL did not start: {exc}"))
                return None
            return self._dsn
        if not os.environ.get(self.settings.dsn_env):  # said here: a scan without a database never imports psycopg
            self.result.skipped.append(Skipped("database", f"{self.settings.dsn_env} is not set"))
            return None
        from audit_lib.pg.session import DatabaseUnavailable, dsn_from_env

        try:
            self._dsn = dsn_from_env(self.settings.dsn_env)
        except DatabaseUnavailable as exc:
            self.result.skipped.append(Skipped("database", str(exc)))
            return None
        return self._dsn

    def _add(self, found: list[Finding]) -> list[Finding]:
        self.result.findings.extend(found)
        return found

    def _guarded(self, rule: Rule, where: str, fn: Callable, *args) -> Iterable[Finding]:
        """Run one check; a crash in it is recorded, never raised."""
        try:
            produced = list(fn(*args))
        except Exception as exc:  # a rule bug must not sink the audit
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            self.result.errors.append(
                FileError(where, f"{rule.id} failed: {type(exc).__name__}: {exc} ({frame.name}:{frame.lineno})")
            )
            return []
        for finding in produced:
            finding.rule = rule.id
            finding.severity = self.settings.severity_for(rule.id, rule.severity)
        return produced

    class _StageGuard:
        def __init__(self, audit: "Audit", name: str):
            self.audit, self.name = audit, name

        def __enter__(self):
            self.start = time.perf_counter()
            self.audit.progress(f"{self.name}: running")
            return self

        def __exit__(self, exc_type, exc, tb):
            elapsed = time.perf_counter() - self.start
            self.audit.result.timings[self.name] = elapsed
            if exc is None:
                self.audit.progress(f"{self.name}: done in {elapsed:.1f}s")
                return False
            if isinstance(exc, ValueError) and self.name == "code":
                raise exc
            self.audit.result.skipped.append(Skipped(self.name, f"{type(exc).__name__}: {redact(str(exc))}"))
            self.audit.progress(f"{self.name}: failed: {type(exc).__name__}")
            return True

    def _stage(self, name: str) -> "Audit._StageGuard":
        return Audit._StageGuard(self, name)


@contextmanager
def _trees_kept_out_of_gc() -> Iterator[None]:
    """Parse without the cyclic garbage collector, then freeze what was parsed.

    Syntax trees hold no reference cycles, but millions of live nodes make every full
    collection walk them all: on a large code base that was more time than parsing.
    Frozen objects are still freed by reference counting; :meth:`Audit.close` unfreezes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


CHUNKS_PER_JOB = 4  # several chunks per process even out files of unequal cost
_FORKED_AUDIT: Audit | None = None  # the audit a forked child works for


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _chunks(modules: list, count: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges of about equal source size, in module order."""
    sizes = [len(m.text) for m in modules]
    target = sum(sizes) / max(1, count)
    ranges: list[tuple[int, int]] = []
    start, filled = 0, 0
    for index, size in enumerate(sizes):
        filled += size
        if filled >= target and len(ranges) < count - 1:
            ranges.append((start, index + 1))
            start, filled = index + 1, 0
    if start < len(modules):
        ranges.append((start, len(modules)))
    return ranges


def _module_rules_in_child(bounds: tuple[int, int]) -> tuple[list[Finding], list[FileError]]:
    return _FORKED_AUDIT._module_rules(*bounds)


def judged_queries(queries: list[FoundQuery]) -> list[FoundQuery]:
    """The queries the SQL and plan rules judge: those sent from outside test code (as the
    code rules leave tests alone). Test-only queries are still found and planned."""
    return [q for q in queries if any(not is_test_path(site.path) for site in q.sites)]


def link_findings_to_queries(findings: list[Finding], queries: list[FoundQuery]) -> None:
    """A code finding on a line that sends a query points at that query (and its plan)."""
    by_site: dict[tuple[str, int], list[str]] = {}
    for query in queries:
        for site in query.sites:
            by_site.setdefault((site.path, site.line), []).append(query.id)
    for finding in findings:
        if finding.path is not None and not finding.queries:
            finding.queries = list(by_site.get((finding.path, finding.line or 0), []))


def redact(text: str) -> str:
    from audit_lib.redact import redact_secrets

    return redact_secrets(text)
