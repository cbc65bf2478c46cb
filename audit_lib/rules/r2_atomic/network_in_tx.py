"""R2.network-in-tx: an HTTP or gRPC call made while a database transaction is open.

## What it does
Reports an HTTP or gRPC call made while a database transaction is open. That is an
outbound HTTP request (`requests`, `httpx`, `aiohttp`, `urllib`,
`urllib3`, `http.client`) or gRPC stub call made inside a transaction block -- `with
conn.transaction()`, `async with conn.transaction()`, `with conn:` (psycopg, sqlite3),
`session.begin()`, `engine.begin()`, `transaction.atomic()` or an `@atomic` function,
between an executed `BEGIN` and `COMMIT`, or between a write and the `commit()` of a
driver that opens transactions implicitly (psycopg, sqlite3, a SQLAlchemy session) --
directly or through helper functions of the code base that make the call (up to four
calls deep, also through a package that re-exports a helper, and through the overrides in
subclasses when the helper called is an abstract method).

Calls made after the block closes, and callbacks deferred to the commit
(`transaction.on_commit(lambda: ...)`), are not reported.

## Why is this bad?
The transaction keeps its row locks, its snapshot and a pooled connection for the whole
round trip to the other service. A slow or hanging peer then blocks every writer of
those rows and drains the pool; PostgreSQL reports the session as "idle in
transaction". And the two systems disagree whenever one side fails: the remote call
succeeded but the transaction rolled back, or the other way round (Backend Posture R2,
self-verification gate "Transaction spanning network calls?").

## Example
```python
def checkout(order):
    with transaction.atomic():
        order.status = "paid"
        order.save()
        requests.post(PAYMENTS_URL, json={"order": order.id}, timeout=10)
```

## Use instead
```python
def checkout(order):
    charge = requests.post(PAYMENTS_URL, json={"order": order.id}, timeout=10)
    charge.raise_for_status()
    with transaction.atomic():
        order.status = "paid"
        order.save()
```
or record the intent in an outbox table inside the transaction and send it after the
commit (`transaction.on_commit(...)`, a worker reading the outbox).

## References
- Django on_commit: https://docs.djangoproject.com/en/stable/topics/db/transactions/#performing-actions-after-commit
- Transactional outbox: https://microservices.io/patterns/data/transactional-outbox.html
"""

from __future__ import annotations

import ast
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db
from audit_lib.libs.http import outbound_call
from audit_lib.pyast import FUNCTION_TYPES, dotted, functions, walk_function_body
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

FIX = ("make the call before the transaction starts or after it commits (transaction.on_commit, or an outbox row "
       "written in the transaction and sent by a worker); keep the transaction to database work only")


@rule("R2.network-in-tx", on="module", scope="code", severity="high")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or not db.uses_database(module):
        return
    for fn in functions(module.tree):
        spans = db.transaction_blocks(module, fn)
        implicit = _implicit_transactions(module, project, fn)
        if not spans and not implicit:
            continue
        for node in walk_function_body(fn):
            if not isinstance(node, ast.Call):
                continue
            span = next((s for s in spans if s[0] < node.lineno <= s[1] or _in_decorated(fn, s, node)), None)
            implicit_span = None if span is not None else next(
                (s for s in implicit if s[0] < node.lineno < s[1]), None)
            if span is None and implicit_span is None:
                continue
            direct = outbound_call(module, node, project)
            via = None if direct is not None else _helper_call(module, project, node, depth=4, seen={id(fn)})
            if direct is None and via is None:
                continue
            if direct is not None:
                what = f"{direct.library} {direct.operation}() call"
                confidence = Confidence.high if span is not None else Confidence.medium
            else:
                what = f"{via[0]}() makes a {via[1]} call and"
                confidence = Confidence.medium
            if span is not None:
                opened = f"the transaction opened at line {span[0]} is open"
            else:
                opened = (f"the transaction that the write at line {implicit_span[0]} opened is open until the "
                          f"commit at line {implicit_span[1]}")
            yield Finding(
                message=(f"{what} runs while {opened}: locks and a pooled connection are held for the network "
                         f"round trip"),
                path=module.path,
                line=node.lineno,
                end_line=getattr(node, "end_lineno", node.lineno),
                evidence=module.evidence(node),
                fix=FIX,
                confidence=confidence,
            )


def _implicit_transactions(module: SourceModule, project: Project, fn: ast.AST) -> list[tuple[int, int]]:
    """(write line, commit line) where a driver that opens transactions implicitly (psycopg,
    sqlite3, SQLAlchemy) has written, so holds row locks, and the function commits later."""
    spans: list[tuple[int, int]] = []
    open_since: int | None = None
    for op in db.function_ops(module, fn, project):
        if op.kind == db.COMMIT:
            if open_since is not None:
                spans.append((open_since, op.call.lineno))
            open_since = None
        elif op.is_write and not op.deferred and not op.autocommit and open_since is None:
            open_since = op.call.lineno
    return spans


def _in_decorated(fn: ast.AST, span: tuple[int, int], node: ast.AST) -> bool:
    """The span of an ``@atomic`` function starts at its ``def`` line, which a call cannot be on."""
    return span[0] == getattr(fn, "lineno", -1) and span[0] <= node.lineno <= span[1]


def _helper_call(module: SourceModule, project: Project, call: ast.Call, depth: int, seen: set[int]) -> tuple[str, str] | None:
    """(helper name, library) when ``call`` invokes a function of the code base that calls out."""
    if depth <= 0:
        return None
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None or id(resolved[1]) in seen:
        return None
    helper_module, helper = resolved
    bodies = _implementations(project, helper_module, helper) if _is_abstract(helper) else [(helper_module, helper)]
    for body_module, body in bodies:
        for node in walk_function_body(body):
            if not isinstance(node, ast.Call):
                continue
            outbound = outbound_call(body_module, node, project)
            if outbound is not None:
                return helper.name, outbound.library
            deeper = _helper_call(body_module, project, node, depth - 1, seen | {id(helper), id(body)})
            if deeper is not None:
                return helper.name, deeper[1]
    return None


def _is_abstract(fn: ast.AST) -> bool:
    """``@abstractmethod``, or a body that only documents, passes or raises NotImplementedError."""
    if any((dotted(d) or "").split(".")[-1] == "abstractmethod" for d in fn.decorator_list):
        return True
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Raise) and "NotImplementedError" in ast.unparse(s))
               for s in body)


def _implementations(project: Project, module: SourceModule, method: ast.AST) -> list[tuple[SourceModule, ast.AST]]:
    """The overrides of an abstract method in the code base's subclasses of its class: ``self.x()``
    in the base runs one of them."""
    owner = module.parents.get(method)
    if not isinstance(owner, ast.ClassDef):
        return []
    found = []
    for other in project.modules:
        if method.name not in other.text:
            continue
        for cls in other.nodes_of(ast.ClassDef):
            if cls is not owner and _derives_from(project, cls.name, owner.name):
                found += [(other, f) for f in cls.body if isinstance(f, FUNCTION_TYPES) and f.name == method.name]
    return found


def _derives_from(project: Project, name: str, base: str, depth: int = 5) -> bool:
    bases = db.class_bases(project).get(name, [])
    return base in bases or (depth > 0 and any(_derives_from(project, b, base, depth - 1) for b in bases if b != name))
