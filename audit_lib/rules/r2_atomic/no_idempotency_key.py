"""R2.no-idempotency-key: a create endpoint that a client retry turns into a duplicate.

## What it does
Reports a create endpoint without an Idempotency-Key or an upsert. That is a POST
request handler (FastAPI, Starlette, Flask, aiohttp, Django views,
Django REST framework), or a PUT on a collection, that inserts rows -- SQL `INSERT`,
ORM `add`/`create`/`save` of a new instance, `save()` of a DRF serializer built from
request data only -- directly or through a helper of the code base, without reading an
`Idempotency-Key` header and without making the insert an upsert. A PUT to
`/items/{id}` names its target, so repeating it rewrites the same resource.

Inserts into audit, log, history, event and outbox tables do not make a create endpoint:
they record an action (`POST /orders/{id}/cancel`) rather than create the resource.

Not reported: handlers that look the row up by a natural key before inserting it (a
retry is refused as "already exists"; the race in that check is R2.check-then-act's),
handlers that read the key (`request.headers.get("Idempotency-Key")`, an
`idempotency_key` header parameter), handlers under a decorator or a middleware of the
code base that handles idempotency keys, and handlers whose inserts are all upserts
(`ON CONFLICT`, `get_or_create`, `merge`).

## Why is this bad?
Networks drop responses, not only requests. A client whose `POST /payments` timed out
cannot know whether the payment was made; if it retries -- and mobile clients, proxies
and job queues do -- the server creates a second payment. With a client-chosen key
stored under a unique constraint, the retry finds the first result and returns it
(Backend Posture R2: writes are born idempotent).

## Example
```python
@router.post("/payments")
def create_payment(body: PaymentIn, session: SessionDep):
    payment = Payment(**body.model_dump())
    session.add(payment)
    session.commit()
    return payment
```

## Use instead
```python
@router.post("/payments")
def create_payment(body: PaymentIn, session: SessionDep,
                   idempotency_key: str = Header(alias="Idempotency-Key")):
    stmt = (insert(Payment).values(**body.model_dump(), idempotency_key=idempotency_key)
            .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Payment))
    payment = session.scalar(stmt) or session.scalar(
        select(Payment).where(Payment.idempotency_key == idempotency_key))
    session.commit()
    return payment
```

## References
- IETF draft "The Idempotency-Key HTTP Header Field": https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
- Stripe, idempotent requests: https://stripe.com/docs/api/idempotent_requests
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db
from audit_lib.libs.web import route_handlers
from audit_lib.pyast import dotted, walk_function_body, walk_nodes
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

IDEMPOTENCY = re.compile(r"idempot", re.I)
SERIALIZER = re.compile(r"serializer$", re.I)
FIX = ("accept an Idempotency-Key header, store it with the row under a unique constraint and insert with "
       "INSERT ... ON CONFLICT (idempotency_key) DO NOTHING, returning the stored result on a retry")


@rule("R2.no-idempotency-key", on="module", scope="code", severity="medium")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module):
        return
    handlers = [h for h in route_handlers(module, project) if _is_write_method(h)]
    if not handlers or _project_middleware_handles_keys(project):
        return
    for handler in handlers:
        fn = handler.function
        if _reads_key(fn) or _in_serializer_class(module, fn):
            continue
        insert = _first_insert(module, project, fn)
        if insert is None:
            continue
        table, line_node, through, confidence = insert
        methods = "/".join(m for m in handler.methods if m in ("POST", "PUT")) or "POST"
        where = f" {handler.path}" if handler.path else ""
        via = f" (via {through}())" if through else ""
        if _renders_html(fn):
            confidence = Confidence.low  # a browser form: a double submit, not an API client's retry
        yield Finding(
            message=(f"{methods}{where} handler {fn.name}() inserts into {table}{via} without an Idempotency-Key "
                     f"or an upsert: a client retry creates a duplicate"),
            path=module.path,
            line=fn.lineno,
            end_line=fn.lineno,
            evidence=module.evidence(fn),
            fix=FIX,
            confidence=confidence,
            extra={"insert_line": line_node.lineno},
        )


def _renders_html(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("render", "redirect",
               "render_template", "TemplateResponse") for n in walk_function_body(fn))


def _in_serializer_class(module: SourceModule, fn: ast.AST) -> bool:
    """A serializer's ``create``/``update`` is called by a view; the view is the endpoint."""
    owner = module.parents.get(fn)
    return isinstance(owner, ast.ClassDef) and (
        "Serializer" in owner.name or any("Serializer" in (dotted(b) or "") for b in owner.bases))


def _is_write_method(handler) -> bool:
    if "POST" in handler.methods:
        return True
    if "PUT" in handler.methods:
        # PUT /items/{id} names its target: repeating it rewrites the same resource
        return not (handler.path and ("{" in handler.path or "<" in handler.path))
    if handler.methods:
        return False
    return _compares_method_to_post(handler.function)


def _compares_method_to_post(fn: ast.AST) -> bool:
    """A Django function view that branches on ``request.method == "POST"``."""
    for node in walk_function_body(fn):
        if isinstance(node, ast.Compare) and dotted(node.left) in ("request.method", "self.request.method"):
            if any(isinstance(c, ast.Constant) and c.value in ("POST", "PUT") for c in node.comparators):
                return True
    return False


def _reads_key(fn: ast.AST) -> bool:
    return bool(IDEMPOTENCY.search(ast.unparse(fn)))  # code and decorators, not comments


def _project_middleware_handles_keys(project: Project) -> bool:
    """A middleware or dependency of the code base that deals with Idempotency-Key headers."""
    if "http.idempotency_middleware" not in project.facts:
        project.facts["http.idempotency_middleware"] = _find_idempotency_middleware(project)
    return project.facts["http.idempotency_middleware"]


def _find_idempotency_middleware(project: Project) -> bool:
    for module in project.modules:
        if not IDEMPOTENCY.search(module.text) or not re.search(r"idempotency[-_]key", module.text, re.I):
            continue
        for node in walk_nodes(module.tree):
            if isinstance(node, ast.ClassDef) and ("Middleware" in node.name or any(
                isinstance(f, ast.AsyncFunctionDef | ast.FunctionDef) and f.name in ("dispatch", "__call__", "process_request")
                for f in node.body
            )):
                if IDEMPOTENCY.search(ast.unparse(node)):
                    return True
    return False


def _deduplicated(insert: db.DbOp, ops: list[db.DbOp]) -> bool:
    """A read of the same table before the insert: a natural-key lookup (``email already registered``)
    turns a retry into a refusal, not a duplicate. Its race is R2.check-then-act's concern."""
    earlier = ops[:next(i for i, op in enumerate(ops) if op is insert)]
    return any(op.is_read and any(db.same_table(a, b) for a in op.tables for b in insert.tables) for op in earlier)


def _first_insert(module: SourceModule, project: Project, fn: ast.AST) -> tuple[str, ast.AST, str | None, Confidence] | None:
    ops = db.expanded_ops(module, project, fn)
    inserts, guarded = [], False
    for op in ops:
        if op.kind != db.INSERT or op.upsert or any(db.is_log_table(t) for t in op.tables):
            continue
        if _deduplicated(op, ops):
            guarded = True  # the rows inserted after it belong to it: a retry is refused before reaching them
        elif not guarded:
            inserts.append(op)
    if inserts:
        op = inserts[0]
        table = sorted(op.tables)[0] if op.tables else "a table"
        confidence = Confidence.medium if op.through or op.api != "sql" else Confidence.high
        return table, op.call, op.through, confidence
    creating = _creating_serializers(fn)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save":
            owner = dotted(node.func.value)
            if owner in creating and not node.args:
                return f"the model of {creating[owner]}", node, None, Confidence.medium
    return None


def _creating_serializers(fn: ast.AST) -> dict[str, str]:
    """Names bound to ``XSerializer(data=...)`` without an instance: their ``save()`` inserts."""
    found: dict[str, str] = {}
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)):
            continue
        target, call = dotted(node.targets[0]), node.value
        called = dotted(call.func) or ""
        if target and SERIALIZER.search(called.split(".")[-1]) and not call.args and any(
            kw.arg == "data" for kw in call.keywords
        ) and not any(kw.arg == "instance" for kw in call.keywords):
            found[target] = called.split(".")[-1]
    return found
