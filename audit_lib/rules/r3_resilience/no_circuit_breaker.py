"""R3.no-circuit-breaker: calls to other services with nothing to stop a failure cascade.

## What it does
Reports outbound HTTP and gRPC calls that no circuit breaker guards, once per file. The
calls are those `audit_lib.libs.http` recognises; the finding is at the first unguarded
call, with the count of the others. A call is guarded when its function is decorated with a breaker (`@breaker`,
`@circuit(...)`), when it runs inside `with breaker:`/`async with breaker...`, or when
its function is handed to `breaker.call(...)`/`call_async(...)`. Breakers are those of
pybreaker, aiobreaker, purgatory and circuitbreaker, or any local object or class whose
name says breaker/circuit. Calls to localhost, health probes (`/health`, `/ready`,
`/ping`, ...: they are there to see the failure), test code, scripts, CLIs and Django
management commands are left out.
The confidence is medium when the code base uses no breaker at all, low when it uses
breakers elsewhere (the file may be guarded further up the call chain).

## Why is this bad?
When a dependency is down or slow, every request keeps calling it, waits for the
timeout, and ties up a worker while doing so; retries multiply the load on the failing
service. A circuit breaker notices the failures, fails fast for a while and lets the
dependency recover, so one sick service does not take its callers down with it
(Backend Posture R3, S15).

## Example
```python
def fetch_rates():
    return requests.get(RATES_URL, timeout=5).json()
```

## Use instead
```python
import pybreaker

rates_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)

@rates_breaker
def fetch_rates():
    return requests.get(RATES_URL, timeout=5).json()
```

## References
- Martin Fowler, "CircuitBreaker": https://martinfowler.com/bliki/CircuitBreaker.html
- pybreaker: https://github.com/danielfm/pybreaker
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs.http import OutboundCall, outbound_calls
from audit_lib.pyast import FUNCTION_TYPES, ancestors, dotted, string_value, walk_nodes
from audit_lib.registry import rule
from audit_lib.rules.r3_resilience._common import (
    is_offline_file,
    is_test_file,
    targets_localhost,
)
from audit_lib.source import Project, SourceModule

BREAKER_LIBRARIES = ("pybreaker", "aiobreaker", "purgatory", "circuitbreaker", "pycircuitbreaker", "breakers", "hystrix")
BREAKER_NAME = re.compile(r"breaker|circuit", re.IGNORECASE)
HEALTH_PATH = re.compile(r"/(health|healthz|healthcheck|ready|readyz|readiness|live|livez|liveness|ping)/?$")


@rule("R3.no-circuit-breaker", on="project", scope="code", severity="low")
def check(project: Project) -> Iterator[Finding]:
    breakers_used = _uses_breakers(project)
    guarded_functions = _functions_handed_to_breakers(project)
    for module in project.modules:
        if is_test_file(module) or is_offline_file(module, project):
            continue
        unguarded = [c for c in outbound_calls(module, project)
                     if not targets_localhost(c) and not _health_probe(c) and not _guarded(module, c, guarded_functions)]
        if not unguarded:
            continue
        first = unguarded[0]
        others = f" and {len(unguarded) - 1} more in this file" if len(unguarded) > 1 else ""
        context = "the code base uses none" if not breakers_used else "the code base uses breakers, but not here"
        yield Finding(
            message=f"outbound {first.protocol} call {_label(first)}{others} has no circuit breaker ({context})",
            path=module.path,
            line=first.line,
            end_line=getattr(first.node, "end_lineno", first.line),
            evidence=module.evidence(first.node),
            fix="wrap calls to each dependency in a circuit breaker (pybreaker.CircuitBreaker / aiobreaker / purgatory) "
                "that fails fast after repeated errors",
            confidence=Confidence.low if breakers_used else Confidence.medium,
            extra={"calls": [c.line for c in unguarded]},
        )


def _health_probe(call: OutboundCall) -> bool:
    """A call to a health endpoint (``f"{base}/health"``): it is there to see the failure, which a
    breaker would hide."""
    target = call.node.args[0] if call.node.args else None
    if isinstance(target, ast.JoinedStr) and target.values:
        target = target.values[-1]
    text = string_value(target) if target is not None else None
    return bool(text and HEALTH_PATH.search(text))


def _label(call: OutboundCall) -> str:
    return f"{dotted(call.node.func) or call.operation}()"


def _uses_breakers(project: Project) -> bool:
    for module in project.modules:
        if any(module.imports_module(lib) for lib in BREAKER_LIBRARIES):
            return True
        if BREAKER_NAME.search(module.text) and any(isinstance(n, ast.ClassDef) and BREAKER_NAME.search(n.name) for n in walk_nodes(module.tree)):
            return True
    return False


def _functions_handed_to_breakers(project: Project) -> set[str]:
    """Names of functions passed to ``breaker.call(fn, ...)`` anywhere in the code base."""
    names: set[str] = set()
    for module in project.modules:
        if not BREAKER_NAME.search(module.text):
            continue
        for node in walk_nodes(module.tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("call", "call_async", "call_with_retry") and node.args
                    and BREAKER_NAME.search(dotted(node.func.value) or "")):
                target = dotted(node.args[0])
                if target:
                    names.add(target.rsplit(".", 1)[-1])
    return names


def _guarded(module: SourceModule, call: OutboundCall, guarded_functions: set[str]) -> bool:
    for parent in ancestors(module, call.node):
        if isinstance(parent, FUNCTION_TYPES):
            if parent.name in guarded_functions or any(_names_breaker(d) for d in parent.decorator_list):
                return True
        elif isinstance(parent, (ast.With, ast.AsyncWith)):
            if any(_names_breaker(item.context_expr) for item in parent.items):
                return True
    return False


def _names_breaker(node: ast.expr) -> bool:
    """Whether an expression (decorator, context manager) names a circuit breaker."""
    for child in walk_nodes(node):
        name = child.id if isinstance(child, ast.Name) else child.attr if isinstance(child, ast.Attribute) else None
        if name and BREAKER_NAME.search(name):
            return True
    return False
