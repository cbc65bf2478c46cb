"""R3.http-no-timeout: an outbound HTTP call that can wait forever.

## What it does
Reports calls made with `requests` (module functions and `Session` methods),
`urllib.request.urlopen`, `http.client` connections and `aiohttp` sessions without a
timeout, and `httpx` calls or clients given `timeout=None`. httpx has a 5 second
default, so an httpx call without a timeout argument is fine.

## Why is this bad?
A peer that stops answering holds the calling worker for as long as the socket stays
open: with no timeout that is forever. One slow dependency then exhausts every worker
and the outage cascades to all callers (Backend Posture R3).

## Example
```python
import requests

def fetch_rates():
    return requests.get("https://rates.example.com/today").json()
```

## Use instead
```python
def fetch_rates():
    return requests.get("https://rates.example.com/today", timeout=(3.05, 27)).json()
```

## References
- requests: https://requests.readthedocs.io/en/latest/user/advanced/#timeouts
- httpx: https://www.python-httpx.org/advanced/timeouts/
"""

from __future__ import annotations

import ast
from typing import Iterator

from audit_lib.findings import Finding
from audit_lib.pyast import call_name, enclosing_function, has_kwargs_splat, is_none, keyword, qualified
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

REQUESTS_FUNCTIONS = {f"requests.{m}" for m in ("get", "post", "put", "patch", "delete", "head", "options", "request")}
SESSION_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}
SESSION_FACTORIES = {"requests.Session": "requests", "requests.session": "requests",
                     "aiohttp.ClientSession": "aiohttp", "httpx.Client": "httpx", "httpx.AsyncClient": "httpx"}
HTTPX_FUNCTIONS = {f"httpx.{m}" for m in ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")}
HTTP_CLIENT_CONNECTIONS = {"http.client.HTTPConnection", "http.client.HTTPSConnection"}
URLOPEN = {"urllib.request.urlopen", "urllib2.urlopen"}


@rule("R3.http-no-timeout", on="module", scope="code", severity="high")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if not any(module.imports_module(lib) for lib in ("requests", "httpx", "aiohttp", "urllib", "urllib2", "http")):
        return
    sessions = _session_names(module)
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        message = _problem(module, node, sessions)
        if message:
            yield Finding(
                message=message,
                path=module.path,
                line=node.lineno,
                end_line=getattr(node, "end_lineno", node.lineno),
                evidence=module.evidence(node),
                fix=_fix(message),
            )


def _problem(module: SourceModule, call: ast.Call, sessions: dict[str, tuple[str, bool]]) -> str | None:
    name = call_name(module, call)
    if name is None:
        return None
    timeout = keyword(call, "timeout")
    if has_kwargs_splat(call) and timeout is None:
        return None
    if name in REQUESTS_FUNCTIONS:
        return f"{name}() has no timeout" if timeout is None or is_none(timeout) else None
    if name in HTTPX_FUNCTIONS or name in ("httpx.Client", "httpx.AsyncClient"):
        return f"{name}() disables httpx's default timeout (timeout=None)" if is_none(timeout) else None
    if name in URLOPEN:
        has_positional_timeout = len(call.args) >= 3
        return f"{name}() has no timeout" if timeout is None and not has_positional_timeout else None
    if name in HTTP_CLIENT_CONNECTIONS:
        return f"{name}() has no timeout" if timeout is None and len(call.args) < 3 else None
    if name == "aiohttp.ClientSession":
        return None  # judged at each request, where the session's own timeout is known
    if isinstance(call.func, ast.Attribute) and call.func.attr in SESSION_METHODS:
        owner = qualified(module, call.func.value)
        binding = sessions.get((_scope(module, call, owner), owner)) or sessions.get((None, owner))
        if binding:
            library, session_has_timeout = binding
            if library == "httpx":
                return f"{owner}.{call.func.attr}() disables httpx's default timeout" if is_none(timeout) else None
            if session_has_timeout or timeout is not None and not is_none(timeout):
                return None
            return f"{library} session call {owner}.{call.func.attr}() has no timeout"
    return None


def _scope(module: SourceModule, node: ast.AST, name: str) -> ast.AST | None:
    """Where a name lives: its function, or None for module globals and ``self.`` attributes."""
    if name.startswith("self."):
        return None
    return enclosing_function(module, node)


def _session_names(module: SourceModule) -> dict[tuple[ast.AST | None, str], tuple[str, bool]]:
    """Names bound to HTTP sessions/clients: (scope, name) -> (library, timeout set on the session)."""
    sessions: dict[tuple[ast.AST | None, str], tuple[str, bool]] = {}
    for node in ast.walk(module.tree):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    _bind(module, sessions, node, item.optional_vars, item.context_expr)
            continue
        for target in targets:
            _bind(module, sessions, node, target, value)
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            _note_timeout_attribute(module, sessions, node)
    return sessions


def _bind(module: SourceModule, sessions: dict, node: ast.AST, target: ast.expr, value: ast.expr | None) -> None:
    if not isinstance(value, ast.Call):
        return
    factory = call_name(module, value)
    if factory not in SESSION_FACTORIES:
        return
    name = qualified(module, target)
    if name is None:
        return
    timeout = keyword(value, "timeout")
    has_timeout = (timeout is not None and not is_none(timeout)) or has_kwargs_splat(value)
    sessions[(_scope(module, node, name), name)] = (SESSION_FACTORIES[factory], has_timeout)


def _note_timeout_attribute(module: SourceModule, sessions: dict, node: ast.Assign) -> None:
    """``session.timeout = 5`` does nothing for requests, but an adapter subclass may honour it."""
    target = node.targets[0]
    if isinstance(target, ast.Attribute) and target.attr == "timeout":
        owner = qualified(module, target.value)
        key = (_scope(module, node, owner), owner) if owner else None
        if key in sessions and sessions[key][0] == "aiohttp":
            sessions[key] = ("aiohttp", True)


def _fix(message: str) -> str:
    if "httpx" in message:
        return "drop timeout=None or pass httpx.Timeout(10.0, connect=3.0)"
    if "aiohttp" in message:
        return "pass timeout=aiohttp.ClientTimeout(total=30) to the call or the ClientSession"
    if "urlopen" in message:
        return "pass timeout=10"
    if "http.client" in message:
        return "pass timeout=10 to the connection"
    return "pass timeout=(3.05, 27) (connect, read seconds)"
