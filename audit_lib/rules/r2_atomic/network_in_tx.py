"""R2.network-in-tx: a call to another service made while a database transaction is open.

## What it does
Reports a call to another service made while a database transaction is open. That is an
outbound HTTP request (`requests`, `httpx`, `aiohttp`, `urllib`,
`urllib3`, `http.client`), a gRPC stub call, or a call through a service's SDK (Stripe, boto3,
Backblaze B2, SendGrid, Twilio, Slack, OpenAI, Taskcluster, PyGithub, Typesense: the calls that
`audit_lib.libs.http.external_call` knows, bar SMTP, also a client or the `stripe` module handed to a class's
constructor), a request to infrastructure (the Kubernetes API through the `kubernetes` client,
`CoreV1Api().create_namespaced_pod(...)`, or kr8s; Vault through hvac; an authzed client; a git remote:
GitPython's `Repo.clone_from(...)`/`remote.fetch()`, `subprocess.run(["git", "clone", url])`; a publish to a
message broker through pika, kombu or aio-pika), a write to Django's file storage where the settings configure a
remote backend of django-storages (S3, GCS, Azure: a file field's `instance.image.save(name, content)` or
`delete()`, `default_storage.save(...)`, a model created with a file for its file field), a DNS query
(dnspython's `resolver.resolve(...)`, aiodns), a request to an Elasticsearch or OpenSearch cluster (a
client's `es.index(...)`, `es.indices.refresh(...)`, `helpers.bulk(es, actions)`, also a client behind
werkzeug's `LocalProxy(get_es)`), an Open edX event published to the event bus
(`SEEDLING_PLANTED.send_event(...)` on a signal of `openedx_events`, where the settings name an
`EVENT_BUS_PRODUCER`), or a Celery task of
the code base queued on the broker (`send_receipt.delay(...)`, `apply_async(...)`: the worker may also
run it before the commit), also in a function a helper defines and calls, made inside a transaction block -- `with
conn.transaction()`, `async with conn.transaction()`, `with conn:` (psycopg, sqlite3),
`session.begin()`, `engine.begin()`, `transaction.atomic()`, peewee's `with db:`, or an `@atomic` function
(also a function under a decorator of the code base whose wrapper calls it inside such a block, `@with_db`
running `with db: return fn(*args)`; also a method that Django's `method_decorator(transaction.atomic)` wraps: on the method, on its class naming it, or
on the `dispatch` of a view class, which runs every handler and hook of the view and its subclasses;
and a `ModelAdmin`'s `save_model`, `save_related`, `save_formset` or `delete_model`, which the Django
admin runs inside its own `transaction.atomic()`),
between an executed `BEGIN` and `COMMIT`, between a write and the `commit()` of a
driver that opens transactions implicitly (psycopg, sqlite3, a SQLAlchemy or
Flask-SQLAlchemy session, including writes made by the code base's helpers), or between a
write and the end of a `with` block of the code base's own session context manager that
commits on exit (`with session_scope() as session:`, also an object of a class of the code base
whose `__call__` is one: `with self.db_factory() as session:` where `self.db_factory =
TransactionalSessionMaker()`), or between a write and the return of a FastAPI handler given its
session by a dependency of the code base that commits after its `yield` (`session: Session =
Depends(get_db)`, also through an `Annotated` alias), or
between a write and the return of a Django view when the settings set `ATOMIC_REQUESTS`
(views marked `@transaction.non_atomic_requests` excepted; also a method of a Django or DRF view class, such as
`perform_create` or `form_valid`, where saving the view's form or serializer is the write), of a Pyramid `@view_config` view
when the configuration includes `pyramid_tm`, of a Celery task when the code base's task
base class runs each task inside `with request.tm:` (or `transaction.manager`), or of a handler method
that a base class of the code base runs and commits after (`def process(self): rv = self._process();
db.session.commit()`, also through another of its methods). An ORM change staged with
`session.add()`, or made to a loaded row (`build.signed = True`) before an explicit `flush()`, counts
from the `flush()` or, with autoflush on, the next query that sends it, a helper of the code base that
flushes the session from its call; staged changes nothing has sent yet hold no lock; a query's bulk
`delete(synchronize_session=...)`/`update(...)` is sent at once. A write
in a loop whose commit comes after the loop holds the transaction across the loop's calls on later passes. A locking read (`with_for_update()`, `pg_advisory_xact_lock`) opens the
transaction as a write does; in an `async def`, so does any query of the session (an `AsyncSession`
keeps its connection checked out, idle in transaction, across every `await` until the commit); and a
helper called with no transaction open counts when its own body writes or queries before it calls
out. Reads of a sync session alone are not reported: they hold no lock. The call is found
directly or through helper functions of the code base that make the call (up to eight
calls deep, also through a function the caller defines in its body, through the method of a local name every
binding of which builds an object of a class of the code base that inherits one same method (`sanction =
Ban(...)` or `sanction = Mute(...)`, then `sanction.notify(user)`), also through a package that re-exports a helper, through the constructor of a class of the code
base (`WorkingCopy(path, url)` whose `__init__` clones the repository), through the overrides in
subclasses when the helper called is an abstract method, through the getter of a `@property` of the code
base a helper reads (`for d in self._decisions:`), through the one method of the code base of that name
when the object's class is unknown and the name has several words (`instance.process_geo_location()`),
through a function handed to an awaited
call that runs it now (`await asyncio.to_thread(store.upload, ...)`, `await
loop.run_in_executor(None, store.upload, ...)`, the code base's `await run_async(store.upload, ...)`),
and through a service looked up by
its interface, `request.find_service(IMailer).send(...)` or a view class's `self.mailer` set to such a
lookup in its `__init__`, when a class declared
`@implementer(IMailer)` calls out in that method). Inside a transaction block, a
Django `save()`/`create()`/`delete()` is reported when a `pre_`/`post_save` or
`pre_`/`post_delete` receiver registered for that model as sender (`@receiver(post_save, sender=Host)`,
`post_save.connect(receiver=publish_host, sender=host_model)` with `host_model = self.get_model("Host")`) makes
the call: Django runs receivers synchronously, inside the caller's transaction (not the save of a loaded instance,
or one with `update_fields=`, when the receiver returns unless `created` or calls out only under `if created:`; not
the creation of a row, `objects.create(...)`, `get_or_create(...)`, `save(force_insert=True)`, when the receiver
compares the instance with the state it was loaded with, `instance._previous_state`, `tracker.has_changed(...)`);
also after a write of an `ATOMIC_REQUESTS` view, or where the save is the view's first write for the `post_`
receivers, which run once the row is written; so is the
`send()` of a signal the code base defines (`parcel_shipped = Signal()`) when a receiver connected to it makes the call. A
`pre_delete`/`post_delete` receiver that makes the call is reported itself, once, at its first call out:
Django's `delete()` sends them from inside its own `transaction.atomic()` block, whoever deletes; the delete that
runs it is not reported again. A chain is reported once: a call of the view's own method that runs whole in the
transaction too (`return self.form_valid(form)` in the `post` of a view whose `dispatch` is atomic) is left to the
finding inside that method, which names the line where `dispatch` opens the transaction.

A call a Django `transaction.atomic()` block (its `with`, or the decorator of the function) makes in its first
statement, before any database statement and any helper of the code base, not in a loop of the block and not in a
method of a view whose `dispatch` is atomic,
is not reported: entering `atomic()` only turns autocommit off, and `BEGIN` goes out with the first statement, so
no transaction is open yet (`sha = github.get_branch_sha(...)` as the first line of an `@transaction.atomic`
`form_valid`); a helper that queries or writes before its own call out still opens it.

Mail sent over SMTP (`smtplib.SMTP(host)`, Django's `send_mail(...)`, edx-ace's `ace.send(message)`) is not
a call this rule reports. Calls made after the block closes, callbacks deferred to the commit
(`transaction.on_commit(lambda: send_receipt.delay(order.id))`, also a helper's local `_send` it hands to
`on_commit`, and a function under a decorator of the code base whose wrapper hands its call to `on_commit`,
`@run_after_commit`), and a call in the other branch of an
`if`/`else` from the write that opened the transaction (`if ...: save() else: requests.get(...)`, outside a loop)
are not reported; nor is a Celery task queued where only queries have run in a transaction the driver opened
implicitly (an async session's reads, a helper that committed its write before queuing), or queued by the call
itself (`task.delay(...)`) in a transaction block of its function where nothing before it, nor later in a loop
of the block around it, writes, locks or is a call named for a write (`save()`, `super().update(...)`): a
`with transaction.atomic():` kept for a server-side cursor's `iterator()`, an `@atomic` view that only reads. No
uncommitted change is there for the worker to miss (a helper that queues is still reported: it may write first).
Nor is a call a helper makes only under a flag the call leaves off (`def open_cart(owner, *, notify_now=False): if
notify_now: requests.post(...)`, called as `open_cart(owner)`, also a flag handed on).

## Why is this bad?
The transaction keeps its row locks, its snapshot and a pooled connection for the whole
round trip to the other service. A slow or hanging peer then blocks every writer of
those rows and drains the pool; PostgreSQL reports the session as "idle in
transaction". And the two systems disagree whenever one side fails: the remote call
succeeded but the transaction rolled back, or the other way round (Backend Posture R2,
self-verification gate "Transaction spanning network calls?"). A Celery task queued inside the transaction
is a message that cannot be taken back: a worker may run it before the commit, reading the rows as they were
before the change, or for a change that then rolls back; the finding says so, and names the task.

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
import re
from typing import Iterator, NamedTuple

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db, web
from audit_lib.libs.http import OutboundCall, external_call, infrastructure_call
from audit_lib.operator_code import is_celery_task
from audit_lib.pyast import (FUNCTION_TYPES, ancestors, call_name, decorator_names, dotted, enclosing_function,
                             enclosing_loops, functions, is_none, method_in_hierarchy, method_name, parameters_off,
                             qualified, string_value, walk_function_body, walk_nodes)
from audit_lib.registry import rule
from audit_lib.rules.r2_atomic._common import implementations, in_atomic_dispatch_view, is_abstract
from audit_lib.rules.r3_resilience._common import module_constant
from audit_lib.source import Project, SourceModule

FIX = ("make the call before the transaction starts or after it commits (transaction.on_commit, or an outbox row "
       "written in the transaction and sent by a worker); keep the transaction to database work only")
FIX_QUEUED = "queue the task after the commit: transaction.on_commit(lambda: task.delay(...)), or an outbox row"


@rule("R2.network-in-tx", on="module", scope="code", severity="high")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or not _reaches_database(module, project):
        return
    for fn in functions(module.tree):
        own = db.transaction_blocks(module, fn, project)
        spans = own + _atomic_method(module, project, fn) + _delete_receiver(project, fn)
        implicit = _implicit_transactions(module, project, fn)
        if not spans and not implicit:
            continue
        for node in walk_function_body(fn):
            if not isinstance(node, ast.Call):
                continue
            span = next((s for s in spans if s[0] < node.lineno <= s[1] or _in_decorated(fn, s, node)), None)
            implicit_span = None if span is not None else next((s for s in implicit if s.holds(node.lineno)), None)
            opened_inside = None if span is not None or implicit_span is not None \
                else next((s for s in implicit if s.opened == node.lineno < s.closed), None)
            if span is None and implicit_span is None and opened_inside is None:
                continue
            if implicit_span is not None and _exclusive_branches(module, fn, implicit_span.opened, node.lineno):
                continue
            direct = _network_call(module, node, project)
            via = None if direct is not None else _helper_call(module, project, node, depth=_HELPER_DEPTH, seen={id(fn)}) \
                or _service_call(module, project, fn, node)
            if opened_inside is not None:
                via = via if via is not None and _opens_before_calling_out(module, project, node) \
                    else _receiver_call(module, project, fn, node, after_write=True)
                if via is None:
                    continue
                implicit_span = opened_inside._replace(by_helper=True)
            if direct is None and via is None and (span is not None or implicit_span is not None):
                via = _receiver_call(module, project, fn, node) or _sent_signal_call(module, project, node)
            if direct is None and via is None or direct is None and _reported_inside(module, project, node):
                continue
            queued = (direct.library if direct is not None else via[1]) == TASK_QUEUE
            queued_in_block = queued and direct is not None and span in own
            if span in own and not queued and _before_first_statement(module, project, fn, span, node) \
                    and (via is None or not _opens_before_calling_out(module, project, node)):
                continue  # Django's atomic() sends BEGIN with the block's first statement: none has run yet
            if queued and implicit_span is not None and not implicit_span.written_before(node.lineno) \
                    or queued_in_block and not _changed_in_block(module, project, fn, span, node):
                continue  # only queries ran: the worker finds what the transaction has seen
            if direct is not None:
                what = f"Celery task {dotted(node.func.value) or 'task'}.{direct.operation}() is queued" if queued \
                    else f"{direct.library} {direct.operation}() call runs"
                confidence = Confidence.high if span is not None and span not in _delete_receiver(project, fn) \
                    else Confidence.medium
            else:
                what = f"{via[0]}() queues a Celery task" if queued else f"{via[0]}() makes a {via[1]} call and runs"
                confidence = Confidence.medium
            if span is not None:
                opened = _opened_at(module, project, fn, span)
            else:
                opened = implicit_span.describe()
            if queued:
                consequence = ("the worker may run the task before the commit, without the transaction's rows, "
                               "or for a change that then rolls back")
            elif span is None and implicit_span.by == "query":
                consequence = "a pooled connection is held idle in transaction for the network round trip"
            else:
                consequence = "locks and a pooled connection are held for the network round trip"
            yield Finding(
                message=f"{what} while {opened}: {consequence}",
                path=module.path,
                line=node.lineno,
                end_line=getattr(node, "end_lineno", node.lineno),
                evidence=module.evidence(node),
                fix=FIX_QUEUED if queued else FIX,
                confidence=confidence,
            )
            if span is not None and span in _delete_receiver(project, fn):
                break  # a delete receiver is one finding, at its first call out: every delete runs it


def _reaches_database(module: SourceModule, project: Project) -> bool:
    """The file uses a database library, or takes the code base's database handle from a file that
    does (``from app.core import db``)."""
    if db.uses_database(module):
        return True
    owners = {target.rpartition(".")[0] for target in module.imports.values()}
    return any(owner is not module and db.uses_database(owner)
               for owner in (project.by_dotted_name.get(name) for name in owners) if owner is not None)


def _network_call(module: SourceModule, call: ast.Call, project: Project) -> OutboundCall | None:
    """The call to another service ``call`` makes; mail sent over SMTP is left (smtplib, Django's mail API,
    edx-ace): this rule is about the HTTP/gRPC requests and the like a transaction waits on."""
    external = external_call(module, call, project)
    if external is not None and external.protocol == "smtp":
        return None
    return external or infrastructure_call(module, call) \
        or _dns_lookup(module, call) or _search_request(module, call, project) or _task_dispatch(module, call, project) \
        or _event_bus_publish(module, call, project) or _remote_file_storage(module, call, project)


def _remote_file_storage(module: SourceModule, call: ast.Call, project: Project) -> OutboundCall | None:
    """A write to Django's file storage where the settings name a remote backend of django-storages
    (``DEFAULT_FILE_STORAGE``/``STORAGES`` set to ``storages.backends.s3boto3.S3Boto3Storage``, GCS, Azure, or a
    storage class of the code base built on one): a file field's ``instance.icon.save(name, content)`` or
    ``delete()``, ``default_storage.save(...)``/``delete``/``open``/``exists``, and a model created with a file
    for one of its file fields (``Blob.objects.create(data=ContentFile(raw))``), whose save uploads the file.
    Each is an HTTP request to the object store."""
    if not isinstance(call.func, ast.Attribute) or not _configured(project, "storages.backends", _NAMES_REMOTE_STORAGE):
        return None
    method, receiver = call.func.attr, call.func.value
    fields = _file_fields(project)
    if method in STORAGE_CALLS and (qualified(module, receiver) or "") in DJANGO_STORAGES:
        return OutboundCall(call, "django-storages", "http", method)
    if isinstance(receiver, ast.Attribute) and receiver.attr in {f for names in fields.values() for f in names} and (
            method == "save" and len(call.args) >= 2 or method == "delete"):
        return OutboundCall(call, "django-storages", "http", method)
    if method not in ("create", "acreate") or not isinstance(receiver, ast.Attribute) or receiver.attr != "objects":
        return None
    model = dotted(receiver.value) or ""
    if model in ("cls", "self.__class__"):
        owner = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
        model = owner.name if owner is not None else ""
    uploads = fields.get(model.split(".")[-1], set())
    return OutboundCall(call, "django-storages", "http", method) if any(
        k.arg in uploads and not isinstance(k.value, ast.Constant) and not isinstance(k.value, ast.JoinedStr)
        for k in call.keywords) else None


def _file_fields(project: Project) -> dict[str, set[str]]:
    """Class name -> the names of the file fields it declares (``data = models.FileField(...)``, an
    ``ImageField``, a library's ``ThumbnailerImageField``)."""
    if "network_in_tx.file_fields" not in project.facts:
        found: dict[str, set[str]] = {}
        for module in project.modules:
            if "FileField" not in module.text and "ImageField" not in module.text or db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                for statement in cls.body:
                    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) \
                            and (dotted(statement.value.func) or "").endswith(("FileField", "ImageField")):
                        found.setdefault(cls.name, set()).update(
                            t.id for t in statement.targets if isinstance(t, ast.Name))
        project.facts["network_in_tx.file_fields"] = found
    return project.facts["network_in_tx.file_fields"]


def _event_bus_publish(module: SourceModule, call: ast.Call, project: Project) -> OutboundCall | None:
    """An Open edX event sent (``SEEDLING_PLANTED.send_event(...)`` on a signal imported from
    ``openedx_events``) where the settings name an event bus producer (``EVENT_BUS_PRODUCER``): the
    library's handler publishes the event to the bus (Kafka, Redis) from inside ``send_event``."""
    if method_name(call) not in EVENT_SENDS or not isinstance(call.func, ast.Attribute) \
            or not isinstance(call.func.value, ast.Name):
        return None
    if not module.imports.get(call.func.value.id, "").startswith("openedx_events.") \
            or not _configured(project, "EVENT_BUS_PRODUCER", _NAMES_EVENT_BUS_PRODUCER):
        return None
    return OutboundCall(call, "openedx_events", "event bus", method_name(call))


def _search_request(module: SourceModule, call: ast.Call, project: Project) -> OutboundCall | None:
    """A request to an Elasticsearch or OpenSearch cluster, whose API is HTTP: a bulk helper
    (``helpers.bulk(es, actions)``), or a method of a client (``es.index(...)``, ``es.indices.refresh(...)``)
    that ``Elasticsearch(...)``/``OpenSearch(...)`` builds in every binding of its name -- in the function, in
    the class or a base class of the code base (``self.es``), or at module level, also imported from the code
    base -- or that a function of the
    code base builds and returns (``get_client().index(...)``, also through ``LocalProxy(get_client)``)."""
    if not any(project.imports_anywhere(library) for library in SEARCH_LIBRARIES):
        return None
    name = call_name(module, call) or ""
    if name in SEARCH_HELPERS:
        return OutboundCall(call, name.split(".")[0], "http", name.rsplit(".", 1)[-1])
    if not isinstance(call.func, ast.Attribute) or call.func.attr in SEARCH_LOCAL_METHODS:
        return None
    receiver = call.func.value
    client = _search_client(module, project, call, receiver)
    while client is None and isinstance(receiver, ast.Attribute):
        receiver = receiver.value  # es.indices.refresh(...): a call through the client's namespaces
        client = _search_client(module, project, call, receiver)
    return OutboundCall(call, client, "http", call.func.attr) if client is not None else None


def _search_client(module: SourceModule, project: Project, at: ast.AST, expr: ast.expr) -> str | None:
    """The library of the search client ``expr`` is, when every binding of it builds one."""
    if isinstance(expr, ast.Call):
        built = call_name(module, expr) or ""
        if built in SEARCH_CLIENTS:
            return built.split(".")[0]
        if built.endswith(".LocalProxy") and expr.args and isinstance(expr.args[0], (ast.Name, ast.Attribute)):
            expr = ast.copy_location(ast.Call(func=expr.args[0], args=[], keywords=[]), expr)  # LocalProxy(get_es)
            module.parents[expr] = at  # looked up in the scope of the proxy
        factory = db.resolve_function(module, project, expr, reexports=True) \
            if isinstance(expr.func, (ast.Name, ast.Attribute)) else None
        return _factory_client(*factory) if factory else None
    name = dotted(expr)
    if name is None or name == "self":
        return None
    function = enclosing_function(module, at)
    scopes: list[tuple[SourceModule, ast.AST | None]] = [(module, function)]
    if name.startswith("self."):  # set in the class, or in a base class of the code base
        owner = module.parents.get(function)
        scopes = [(module, owner), *_base_classes(module, project, owner)] if isinstance(owner, ast.ClassDef) else []
    bindings: list[tuple[SourceModule, ast.expr]] = []
    for scope_module, scope in scopes:
        bindings = [(scope_module, n.value) for n in walk_nodes(scope) if isinstance(n, ast.Assign)
                    and any(dotted(t) == name for t in n.targets)] if scope is not None else []
        if bindings:
            break
    if not bindings and "." not in name:
        value = module_constant(module, name, project)
        source = project.by_dotted_name.get(module.imports.get(name, "").rpartition(".")[0], module)
        bindings = [(source, value)] if value is not None else []
    clients = {_search_client(m, project, v, v) if isinstance(v, ast.Call) else None for m, v in bindings}
    return clients.pop() if len(clients) == 1 and None not in clients else None


def _factory_client(factory_module: SourceModule, factory: ast.AST) -> str | None:
    """The library of the search client a function of the code base returns: one it builds in its
    ``return`` (``return Elasticsearch(url)``), or one it builds, keeps and returns
    (``SETTINGS._es = Elasticsearch(url)`` ... ``return SETTINGS._es``) when it builds no other call it returns."""
    nodes = list(walk_function_body(factory))
    returned = {call_name(factory_module, n.value) if isinstance(n.value, ast.Call) else None
                for n in nodes if isinstance(n, ast.Return) and n.value is not None}
    built = {call_name(factory_module, n) for n in nodes if isinstance(n, ast.Call)} & SEARCH_CLIENTS
    clients = returned if returned <= SEARCH_CLIENTS else built if returned == {None} else set()
    libraries = {client.split(".")[0] for client in clients}
    return libraries.pop() if len(libraries) == 1 else None


def _task_dispatch(module: SourceModule, call: ast.Call, project: Project) -> OutboundCall | None:
    """A Celery task of the code base queued on the broker: ``send_receipt.delay(order.id)``,
    ``send_receipt.apply_async(...)``, ``send_receipt.s(order.id).delay()``. The publish is a round trip
    to the broker, and a worker may run the task before the transaction commits and miss its rows."""
    if method_name(call) not in TASK_DISPATCHES or not isinstance(call.func, ast.Attribute):
        return None
    task = call.func.value
    if isinstance(task, ast.Call) and method_name(task) in TASK_SIGNATURES and isinstance(task.func, ast.Attribute):
        task = task.func.value
    if not isinstance(task, (ast.Name, ast.Attribute)):
        return None
    runs = ast.copy_location(ast.Call(func=task, args=[], keywords=[]), call)
    module.parents[runs] = call  # so that the task's name is looked up in the caller's scope
    resolved = db.resolve_function(module, project, runs, reexports=True)
    if resolved is None or not is_celery_task(*resolved):
        return None
    return OutboundCall(call, TASK_QUEUE, "broker", method_name(call))


def _dns_lookup(module: SourceModule, call: ast.Call) -> OutboundCall | None:
    """A query to a DNS server through dnspython (``dns.resolver.resolve(...)``, ``resolver.resolve(...)``
    on a ``dns.resolver.Resolver()``) or aiodns (``DNSResolver().query(...)``): a network round trip
    that waits up to the resolver's lifetime."""
    library = "dnspython" if module.imports_module("dns") else "aiodns" if module.imports_module("aiodns") else None
    if library is None or not isinstance(call.func, ast.Attribute) or call.func.attr not in DNS_QUERIES:
        return None
    receiver = dotted(call.func.value) or ""
    if receiver != "dns.resolver" and "resolver" not in receiver.split(".")[-1].lower():
        return None
    return OutboundCall(call, library, "dns", call.func.attr)


SEARCH_LIBRARIES = ("elasticsearch", "opensearchpy")
SEARCH_CLIENTS = frozenset({f"{library}.{client}" for library, clients in (
    ("elasticsearch", ("Elasticsearch", "AsyncElasticsearch")), ("opensearchpy", ("OpenSearch", "AsyncOpenSearch")))
    for client in clients})
SEARCH_HELPERS = frozenset({f"{library}.helpers.{helper}" for library in SEARCH_LIBRARIES for helper in (
    "bulk", "async_bulk", "streaming_bulk", "async_streaming_bulk", "parallel_bulk", "reindex", "async_reindex")})
SEARCH_LOCAL_METHODS = frozenset({"options", "close"})  # a copy of the client with other settings; no request
DNS_QUERIES = {"resolve", "query", "resolve_name", "resolve_address", "query_dns"}
TASK_DISPATCHES = {"delay", "apply_async"}
TASK_SIGNATURES = {"s", "si", "signature"}
TASK_QUEUE = "Celery"
# methods that write, whatever the object: an ORM model's, a manager's, a DRF view's or serializer's
WRITE_METHODS = frozenset({"save", "delete", "update", "create", "bulk_create", "bulk_update", "get_or_create",
                           "update_or_create", "perform_create", "perform_update", "perform_destroy", "execute",
                           "executemany", "flush"})
EVENT_SENDS = {"send_event", "send_event_with_custom_metadata"}
_NAMES_EVENT_BUS_PRODUCER = re.compile(r"^\s*EVENT_BUS_PRODUCER\s*=", re.M)
# settings naming a remote storage backend of django-storages, or a storage class of the code base built on one
_NAMES_REMOTE_STORAGE = re.compile(
    r"\bstorages\.backends\.(s3|s3boto3|gcloud|google|azure_storage|dropbox|apache_libcloud)\b")
DJANGO_STORAGES = frozenset({"django.core.files.storage.default_storage"})
STORAGE_CALLS = frozenset({"save", "delete", "open", "exists", "listdir", "size"})  # each a request to the store
_HELPER_DEPTH = 8  # calls deep: a request's service code reaches its SDK call through several layers


class _Implicit(NamedTuple):
    """A transaction opened by a write, without a ``with ...begin()`` block: open from the write
    (``opened``) until ``closed``, the line of the commit or the line past a scope committing on exit."""

    opened: int
    closed: int
    until: str
    by: str = "write"  # or "locking read", or "query" (of an async session)
    by_helper: bool = False  # opened inside the helper called on line ``opened``, before it calls out
    loop: int | None = None  # the line of a loop around ``opened`` that the commit comes after
    wrote: int | None = None  # the line of the first write (or lock) inside, None while only queries ran

    def holds(self, line: int) -> bool:
        return (self.loop if self.loop is not None else self.opened) < line < self.closed

    def written_before(self, line: int) -> bool:
        """A change is uncommitted when ``line`` runs: written before it, or on an earlier pass of the loop."""
        return self.wrote is not None and (self.wrote <= line or self.loop is not None)

    def describe(self) -> str:
        if self.by_helper:
            return f"the transaction that its own {self.by} opens is open until {self.until}"
        looped = f" (in the loop at line {self.loop}, on each pass)" if self.loop is not None else ""
        return f"the transaction that the {self.by} at line {self.opened}{looped} opened is open until {self.until}"


class _CommittingScope(NamedTuple):
    """Lines of ``fn`` at whose end the code base's own code commits: a ``with session_scope()``
    block, or the whole handler when a dependency it is given commits after the handler returns."""

    first: int
    last: int
    until: str
    django: bool = False  # a Django view under ATOMIC_REQUESTS: its ORM writes do not commit on their own


def _implicit_transactions(module: SourceModule, project: Project, fn: ast.AST) -> list[_Implicit]:
    """Where a driver that opens transactions implicitly (psycopg, sqlite3, SQLAlchemy) has written,
    so holds row locks, and a commit comes later -- an explicit ``commit()``, the end of a ``with``
    block of the project's own session context manager that commits on exit, or the return of a
    handler whose injected session the dependency commits after its ``yield``, or of a Django view
    when ``ATOMIC_REQUESTS`` runs every view in a transaction.

    An ORM change staged with ``session.add()``/``delete()`` reaches the database, and takes its
    locks, at the next ``flush()`` or, with autoflush on, at the next query of the session.
    """
    autoflush = _autoflush(project)
    awaited = isinstance(fn, ast.AsyncFunctionDef)
    events: list[tuple[int, float, object]] = [
        (op.call.lineno, op.call.col_offset, op) for op in db.expanded_ops(module, project, fn)]
    events += [(node.lineno, node.col_offset, node) for node in walk_function_body(fn)
               if isinstance(node, ast.Call) and method_name(node) == "flush" and isinstance(node.func, ast.Attribute)
               and _session_like(dotted(node.func.value))]
    scopes = _committing_scopes(module, project, fn)
    django_atomic = any(scope.django for scope in scopes)
    # a helper's flush sorts before the operations, a commit among them, that its call stands for
    events += [(node.lineno, node.col_offset - 0.5, _Flush(node.lineno)) for node in walk_function_body(fn)
               if isinstance(node, ast.Call) and (_flushing_helper(module, project, node, depth=2) or _bulk_write(node)
                                                  or django_atomic and _saves_view_form(module, project, fn, node))]
    events += [(scope.last + 1, -1, scope) for scope in scopes]
    events.sort(key=lambda e: (e[0], e[1]))
    spans: list[_Implicit] = []
    open_since: int | None = None
    opened_by = "write"
    staged_since: int | None = None
    wrote: int | None = None
    for line, _, item in events:
        if isinstance(item, _CommittingScope):
            if open_since is not None and item.first <= open_since <= item.last:
                spans.append(_Implicit(open_since, item.last + 1, item.until, opened_by, wrote=wrote))
                open_since = staged_since = wrote = None
                opened_by = "write"
        elif isinstance(item, ast.Call):  # session.flush(): it sends changes, staged or made to loaded rows
            changed = staged_since if staged_since is not None or not _sets_attribute_before(fn, line) else line
            open_since = open_since if open_since is not None else changed
            wrote = wrote if wrote is not None else line
        elif isinstance(item, _Flush):  # a helper that flushes the changes it made, a view's form saved
            open_since = open_since if open_since is not None else line
            wrote = wrote if wrote is not None else line
        elif item.kind == db.COMMIT:
            if open_since is not None:
                spans.append(_Implicit(open_since, line, f"the commit at line {line}", opened_by, wrote=wrote))
            open_since = staged_since = wrote = None
            opened_by = "write"
        elif item.helper_transaction or item.autocommit and not (django_atomic and item.api == "django"):
            continue
        elif item.is_write and item.deferred:
            staged_since = staged_since if staged_since is not None else line
        elif item.is_write or _locks(item):
            opened_by = opened_by if open_since is not None or item.is_write else "locking read"
            open_since = open_since if open_since is not None else line
            wrote = wrote if wrote is not None else line
        elif autoflush and item.api == "sqlalchemy" and staged_since is not None and item.round_trip and not item.lazy:
            open_since = open_since if open_since is not None else staged_since
            wrote = wrote if wrote is not None else staged_since
        elif awaited and _holds_connection(item):
            opened_by = opened_by if open_since is not None else "query"
            open_since = open_since if open_since is not None else line
    return [_within_loop(fn, span) for span in spans]


def _sets_attribute_before(fn: ast.AST, line: int) -> bool:
    """``fn`` sets an attribute of an object (``build.signed = True``) before ``line``: the change to a loaded
    row that a flush on that line sends."""
    return any(isinstance(node, (ast.Assign, ast.AugAssign)) and node.lineno < line
               and any(isinstance(target, ast.Attribute)
                       for target in (node.targets if isinstance(node, ast.Assign) else [node.target]))
               for node in walk_function_body(fn))


def _within_loop(fn: ast.AST, span: _Implicit) -> _Implicit:
    """``span`` reaching back to the start of the outermost loop of ``fn`` around its write when the commit
    comes after that loop: every later pass runs the loop's body, its calls before the write too, with the
    transaction open."""
    loops = [node.lineno for node in walk_function_body(fn) if isinstance(node, (ast.For, ast.AsyncFor, ast.While))
             and node.lineno < span.opened <= (node.end_lineno or node.lineno) < span.closed]
    return span._replace(loop=min(loops)) if loops else span


def _changed_in_block(module: SourceModule, project: Project, fn: ast.AST, span: tuple[int, int],
                      call: ast.Call) -> bool:
    """A change may be uncommitted when ``call`` runs in the transaction block ``span`` of ``fn``: a write or a
    locking read (also a helper's), or a call named for a write (``super().update(...)``, ``user.save()`` on an
    object of unknown class), in the block before it on the path to it, or later in a loop of the block around
    it, which an earlier pass has made."""
    loops = [node.end_lineno or node.lineno for node in walk_function_body(fn)
             if isinstance(node, (ast.For, ast.AsyncFor, ast.While))
             and span[0] <= node.lineno <= call.lineno <= (node.end_lineno or node.lineno) <= span[1]]
    last = max(loops, default=call.lineno)
    writes = [op.call.lineno for op in db.expanded_ops(module, project, fn) if op.is_write or _locks(op)]
    writes += [node.lineno for node in walk_function_body(fn)
               if isinstance(node, ast.Call) and method_name(node) in WRITE_METHODS]
    return any(span[0] <= line <= last and not _exclusive_branches(module, fn, line, call.lineno) for line in writes)


def _before_first_statement(module: SourceModule, project: Project, fn: ast.AST, span: tuple[int, int],
                            call: ast.Call) -> bool:
    """``call`` runs in a Django ``transaction.atomic()`` block of ``fn`` (``with`` or decorator) before any database
    statement of the block: in the block's first statement, after no helper of the code base; no query, lazy or not, no write, no helper's, no call named for a write before it or on
    its line (a save whose receiver calls out), not in a loop of the block, and the function is no method of a view whose ``dispatch`` is atomic
    (it may have queried). Entering ``atomic()`` only turns autocommit off; the driver sends ``BEGIN`` with the
    first statement, so no transaction is open yet, no lock nor snapshot held: the call is made before it starts."""
    if not _django_atomic(module, fn, span) or in_atomic_dispatch_view(module, project, fn):
        return False
    loops = [node.end_lineno or node.lineno for node in walk_function_body(fn)
             if isinstance(node, (ast.For, ast.AsyncFor, ast.While))
             and span[0] <= node.lineno <= call.lineno <= (node.end_lineno or node.lineno) <= span[1]]
    if loops:
        return False  # a later pass runs after what the earlier ones (or the helper they call) sent
    first = _first_statement(module, fn, span)
    if first is None or not any(node is call for node in walk_nodes(first)):
        return False  # only the block's first statement is sure to come before any query
    inner = {id(node) for node in walk_nodes(call)}
    if any(isinstance(node, ast.Call) and id(node) not in inner and (node.lineno, node.col_offset) < (call.lineno, call.col_offset)
           and db.resolve_function(module, project, node) is not None for node in walk_nodes(first)):
        return False  # a helper of the code base runs first, and may query
    lines = [op.call.lineno for op in db.expanded_ops(module, project, fn) if op.kind != db.COMMIT]
    lines += [node.lineno for node in walk_function_body(fn)
              if isinstance(node, ast.Call) and method_name(node) in WRITE_METHODS]
    return not any(span[0] <= line <= call.lineno for line in lines)  # also the call's own: a save whose receiver calls out


def _first_statement(module: SourceModule, fn: ast.AST, span: tuple[int, int]) -> ast.stmt | None:
    """The first statement of the transaction block ``span`` of ``fn`` (a docstring left out)."""
    if span[0] == getattr(fn, "lineno", -1):
        body = fn.body
    else:
        body = next((node.body for node in walk_function_body(fn)
                     if isinstance(node, (ast.With, ast.AsyncWith)) and node.lineno == span[0]), [])
    body = [st for st in body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
    return body[0] if body else None


def _django_atomic(module: SourceModule, fn: ast.AST, span: tuple[int, int]) -> bool:
    """``span`` is a ``with transaction.atomic():`` block of ``fn`` or ``fn`` under ``@transaction.atomic``."""
    if span[0] == getattr(fn, "lineno", -1):
        return any((qualified(module, d.func if isinstance(d, ast.Call) else d) or "") == "django.db.transaction.atomic"
                   for d in fn.decorator_list)
    return any(isinstance(node, (ast.With, ast.AsyncWith)) and node.lineno == span[0]
               and any(isinstance(item.context_expr, ast.Call)
                       and call_name(module, item.context_expr) == "django.db.transaction.atomic"
                       for item in node.items)
               for node in walk_function_body(fn))


def _exclusive_branches(module: SourceModule, fn: ast.AST, first: int, second: int) -> bool:
    """Lines ``first`` and ``second`` sit in opposite branches of one ``if``/``else`` that no loop
    of ``fn`` runs again: one run takes only one of them, so the write on one opens no transaction
    around the call on the other."""
    def within(branch: list[ast.stmt], line: int) -> bool:
        return bool(branch) and branch[0].lineno <= line <= (branch[-1].end_lineno or branch[-1].lineno)

    return any(
        isinstance(node, ast.If) and not enclosing_loops(module, node)
        and (within(node.body, first) and within(node.orelse, second) or within(node.orelse, first) and within(node.body, second))
        for node in walk_function_body(fn))


def _locks(op: db.DbOp) -> bool:
    """A read that takes locks kept until the commit: ``SELECT ... FOR UPDATE``, a transaction-level
    advisory lock (``select(func.pg_advisory_xact_lock(key))``)."""
    return op.locking or op.round_trip and "advisory_xact_lock" in ast.unparse(op.call)


def _holds_connection(op: db.DbOp) -> bool:
    """A query of an async SQLAlchemy session: it begins the session's transaction, and the session keeps
    that connection checked out of the pool, idle in transaction, across every later ``await`` until the
    commit."""
    return op.api == "sqlalchemy" and op.round_trip and not op.lazy


def _opens_before_calling_out(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Whether the helper ``call`` runs opens the transaction (writes, locks, or queries an async session)
    before the line of its own body that calls out, and leaves it open: the caller's transaction then
    stays open across that call until the caller commits. A helper that commits after opening is left
    alone: the transaction is closed before its call, or reported in the helper itself."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None:
        return False
    helper_module, helper = resolved
    awaited = isinstance(helper, ast.AsyncFunctionDef)
    ops = db.expanded_ops(helper_module, project, helper)
    first = next((op.call.lineno for op in ops if op.kind != db.COMMIT and not op.autocommit and not op.helper_transaction
                  and (op.is_write and not op.deferred or _locks(op) or awaited and _holds_connection(op))), None)
    if first is None or any(op.kind == db.COMMIT and op.call.lineno >= first for op in ops):
        return False
    return any(isinstance(node, ast.Call) and node.lineno > first
               and (_network_call(helper_module, node, project) is not None
                    or _helper_call(helper_module, project, node, _HELPER_DEPTH - 1, {id(helper)}) is not None)
               for node in walk_function_body(helper))


class _Flush(NamedTuple):
    """A call that sends changes to the database: a helper of the code base that flushes the session or runs a
    query's bulk delete or update, such a bulk write itself, or the form or serializer a Django view saves."""

    line: int


def _flushing_helper(module: SourceModule, project: Project, call: ast.Call, depth: int) -> bool:
    """A function of the code base that flushes the session (``db.session.flush()``) or runs a query's bulk
    delete or update, directly or through another: it makes changes (ORM objects built and linked to loaded rows) and sends them, so the
    transaction holds their locks from then on."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None:
        return False
    helper_module, helper = resolved
    known = project.facts.setdefault("network_in_tx.flushing", {})
    if (id(helper), depth) not in known:
        known[(id(helper), depth)] = _flushes(helper_module, project, helper, depth)
    return known[(id(helper), depth)]


def _flushes(helper_module: SourceModule, project: Project, helper: ast.AST, depth: int) -> bool:
    return any(isinstance(node, ast.Call) and (
        isinstance(node.func, ast.Attribute) and method_name(node) == "flush" and _session_like(dotted(node.func.value))
        or _bulk_write(node)
        or depth > 1 and _flushing_helper(helper_module, project, node, depth - 1)) for node in walk_function_body(helper))


def _bulk_write(call: ast.Call) -> bool:
    """A SQLAlchemy query's bulk ``delete()``/``update()``, which the session runs at once:
    ``query.delete(synchronize_session=False)``, also on a query held in a name."""
    return method_name(call) in ("delete", "update") and any(k.arg == "synchronize_session" for k in call.keywords)


def _session_like(receiver: str | None) -> bool:
    name = receiver.split(".")[-1].lower() if receiver is not None else ""
    return "session" in name or name == "db"


def _autoflush(project: Project) -> bool:
    """SQLAlchemy sessions flush staged changes before each query unless the project turns it off."""
    if "network_in_tx.autoflush" not in project.facts:
        project.facts["network_in_tx.autoflush"] = not any(
            _AUTOFLUSH_OFF.search(m.text) for m in project.modules if "autoflush" in m.text)
    return project.facts["network_in_tx.autoflush"]


_AUTOFLUSH_OFF = re.compile(r"\bautoflush\s*=\s*False\b")


def _committing_scopes(module: SourceModule, project: Project, fn: ast.AST) -> list[_CommittingScope]:
    scopes = []
    for node in walk_function_body(fn):
        if not isinstance(node, (ast.With, ast.AsyncWith)):
            continue
        for item in node.items:
            expr = item.context_expr
            factory = (_generator(module, project, expr.func) or _called_instance(module, project, fn, expr.func)) \
                if isinstance(expr, ast.Call) else None
            if factory is not None and _is_context_manager(*factory) and _yields_then_commits(project, *factory):
                scopes.append(_CommittingScope(node.lineno, node.end_lineno,
                                               f"the {method_name(expr)}() block commits on exit"))
                break
    dependency = next((d for owner, d in _injected(module, project, fn) if (found := _generator(owner, project, d))
                       is not None and _yields_then_commits(project, *found)), None)
    if dependency is not None:
        scopes.append(_CommittingScope(fn.lineno, fn.end_lineno, f"the {dotted(dependency)}() dependency commits "
                                                                 f"after the handler returns"))
    if web.django_atomic_requests(project) and _atomic_view(module, project, fn):
        scopes.append(_CommittingScope(fn.lineno, fn.end_lineno, "the view returns (ATOMIC_REQUESTS runs each "
                                                                 "request in one transaction)", django=True))
    if _pyramid_tm(project) and _pyramid_view(module, fn):
        scopes.append(_CommittingScope(fn.lineno, fn.end_lineno, "the view returns (pyramid_tm runs each request "
                                                                 "in one transaction)"))
    runner = _committing_runner(module, project, fn)
    if runner is not None:
        scopes.append(_CommittingScope(fn.lineno, fn.end_lineno, f"{runner}(), which runs it, commits after it "
                                                                 f"returns"))
    handler = _helpers_of_handlers(project).get(id(fn))
    if runner is None and handler is not None:
        scopes.append(_CommittingScope(fn.lineno, fn.end_lineno, f"{handler[0]}(), which calls it, returns and "
                                                                 f"{handler[1]}() commits"))
    if _task_in_transaction(project) and is_celery_task(module, fn):
        scopes.append(_CommittingScope(fn.lineno, fn.end_lineno, "the task returns (the task base class runs it in "
                                                                 "the request's transaction manager)"))
    return scopes


def _committing_runner(module: SourceModule, project: Project, fn: ast.AST) -> str | None:
    """``Base.process`` when a base class of the method's class runs it (``self.<name>()``, directly or
    through another of its methods) and commits the session after: a request-handler base class that
    commits once the subclass's handler returned, so the handler's writes stay uncommitted until then."""
    owner = module.parents.get(fn)
    if not isinstance(owner, ast.ClassDef):
        return None
    known = project.facts.setdefault("network_in_tx.runners", {})
    if (id(owner), fn.name) not in known:
        known[(id(owner), fn.name)] = _runner_of(module, project, owner, fn.name)
    return known[(id(owner), fn.name)]


def _runner_of(module: SourceModule, project: Project, owner: ast.ClassDef, name: str) -> str | None:
    for base_module, base in _base_classes(module, project, owner):
        methods = {m.name: m for m in base.body if isinstance(m, FUNCTION_TYPES) and m.name != name}
        for method in methods.values():
            line = _line_running(method, name, methods, depth=2)
            if line is not None and any(op.kind == db.COMMIT and op.call.lineno > line
                                        for op in db.function_ops(base_module, method, project)):
                return f"{base.name}.{method.name}"
    return None


def _helpers_of_handlers(project: Project) -> dict[int, tuple[str, str]]:
    """Functions of the code base that a handler method under a committing runner calls (id -> the
    handler, the runner): they run inside the handler's transaction, which commits after the handler."""
    if "network_in_tx.helpers_of_handlers" not in project.facts:
        found: dict[int, tuple[str, str]] = {}
        for module in project.modules:
            if db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                if not cls.bases:
                    continue
                for method in cls.body:
                    runner = _committing_runner(module, project, method) if isinstance(method, FUNCTION_TYPES) else None
                    if runner is None:
                        continue
                    for node in walk_function_body(method):
                        resolved = db.resolve_function(module, project, node, reexports=True) \
                            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
                        if resolved is not None:
                            found.setdefault(id(resolved[1]), (f"{cls.name}.{method.name}", runner))
        project.facts["network_in_tx.helpers_of_handlers"] = found
    return project.facts["network_in_tx.helpers_of_handlers"]


def _base_classes(module: SourceModule, project: Project, cls: ast.ClassDef) -> list[tuple[SourceModule, ast.ClassDef]]:
    """The code base's own classes ``cls`` derives from, nearest first."""
    found: list[tuple[SourceModule, ast.ClassDef]] = []
    pending = [(module, cls)]
    while pending:
        owner_module, owner = pending.pop(0)
        for base in owner.bases:
            resolved = db.project_class(owner_module, project, base)
            if resolved is not None and resolved[1] is not cls and all(resolved[1] is not f[1] for f in found):
                found.append(resolved)
                pending.append(resolved)
    return found


def _line_running(method: ast.AST, name: str, methods: dict[str, ast.AST], depth: int) -> int | None:
    """The line of ``method`` that calls ``self.<name>()``, or calls another of ``methods`` that does."""
    for node in walk_function_body(method):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) == "self":
            if node.func.attr == name:
                return node.lineno
            inner = methods.get(node.func.attr)
            if depth > 0 and inner is not None and inner is not method \
                    and _line_running(inner, name, methods, depth - 1) is not None:
                return node.lineno
    return None


def _pyramid_tm(project: Project) -> bool:
    """Whether the Pyramid configuration includes pyramid_tm, which commits once per request."""
    return _configured(project, "pyramid_tm", _INCLUDES_PYRAMID_TM)


_INCLUDES_PYRAMID_TM = re.compile(r"""\.include\(\s*["']pyramid_tm["']""")


def _pyramid_view(module: SourceModule, fn: ast.AST) -> bool:
    return any(name.split(".")[-1] == "view_config" for name in decorator_names(module, fn))


def _task_in_transaction(project: Project) -> bool:
    """Whether the code base's Celery task base class runs each task inside ``with request.tm:``
    or ``with transaction.manager:``, so a task's writes commit when it returns."""
    if "network_in_tx.task_tm" not in project.facts:
        project.facts["network_in_tx.task_tm"] = any(
            _runs_in_transaction_manager(cls) for m in project.modules if "Task" in m.text and not db.is_test_module(m)
            for cls in m.nodes_of(ast.ClassDef)
            if any((dotted(b) or "").split(".")[-1] == "Task" for b in cls.bases))
    return project.facts["network_in_tx.task_tm"]


def _runs_in_transaction_manager(cls: ast.ClassDef) -> bool:
    return any(isinstance(node, ast.With) and any(
        (dotted(item.context_expr) or "").split(".")[-1] == "tm" or dotted(item.context_expr) == "transaction.manager"
        for item in node.items) for node in ast.walk(cls))


def _configured(project: Project, setting: str, pattern: re.Pattern) -> bool:
    """Whether a module of the code base outside its tests matches ``pattern``, which names ``setting``."""
    key = f"network_in_tx.{setting}"
    if key not in project.facts:
        project.facts[key] = any(pattern.search(m.text) for m in project.modules
                                 if setting in m.text and not db.is_test_module(m))
    return project.facts[key]


def _atomic_view(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A Django or DRF view, or a method of a Django or DRF view class (its hooks, ``perform_create``,
    ``form_valid``, run inside the view), not opted out with ``@transaction.non_atomic_requests``."""
    if not isinstance(fn, FUNCTION_TYPES) or not fn.body:
        return False
    owner = module.parents.get(fn)
    if any("non_atomic_requests" in ast.unparse(d) for d in [
            *fn.decorator_list, *(owner.decorator_list if isinstance(owner, ast.ClassDef) else ())]):
        return False
    if isinstance(owner, ast.ClassDef) and fn.name not in _BEFORE_DISPATCH and any(
            base.startswith(VIEW_PACKAGES) for base in _library_bases(module, project, owner)):
        return True
    handler = web.handler_of(module, fn.body[0], project)
    return handler is not None and handler.function is fn and handler.framework in ("django", "drf")


VIEW_PACKAGES = tuple(f"{package}." for package in web.VIEW_BASE_PACKAGES)
MODEL_FORM_VIEWS = frozenset({"CreateView", "UpdateView", "BaseCreateView", "BaseUpdateView", "ModelFormMixin"})
SAVING_HOOKS = frozenset({"perform_create", "perform_update", "perform_destroy"})  # DRF's, saving the serializer


def _saves_view_form(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call) -> bool:
    """A form or serializer a view saves (``form.save()``, ``serializer.save(owner=user)``), or the library hook
    of a view that saves it (``super().perform_create(serializer)``, ``super().form_valid(form)`` of a
    ``CreateView``/``UpdateView``): the write of the view's request."""
    if not isinstance(call.func, ast.Attribute):
        return False
    if call.func.attr == "save":
        return (dotted(call.func.value) or "").split(".")[-1].lower().endswith(("form", "formset", "serializer"))
    if not (isinstance(call.func.value, ast.Call) and dotted(call.func.value.func) == "super"):
        return False
    owner = module.parents.get(fn)
    return call.func.attr in SAVING_HOOKS or call.func.attr == "form_valid" and isinstance(owner, ast.ClassDef) \
        and any(base.split(".")[-1] in MODEL_FORM_VIEWS for base in _library_bases(module, project, owner))


def _library_bases(module: SourceModule, project: Project, cls: ast.ClassDef) -> set[str]:
    """The qualified names of the bases of ``cls`` and of the code base's classes it derives from."""
    return {qualified(owner_module, base) or "" for owner_module, owner in [(module, cls), *_base_classes(
        module, project, cls)] for base in owner.bases}


def _generator(module: SourceModule, project: Project, target: ast.expr) -> tuple[SourceModule, ast.AST] | None:
    """The code base's function named by ``target`` (``session_scope``, ``deps.get_db``)."""
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return None
    return db.resolve_function(module, project, ast.Call(func=target, args=[], keywords=[]))


def _called_instance(module: SourceModule, project: Project, fn: ast.AST,
                     target: ast.expr) -> tuple[SourceModule, ast.AST] | None:
    """The ``__call__`` that calling an object of a class of the code base runs, for ``with self.db_factory() as
    session:`` where ``self.db_factory`` (an attribute its class sets) or a local name is bound to ``Maker()``
    (also through a module-level alias, ``maker = Maker``); a parameter handed on in another binding
    (``self.db_factory = db_factory``) is taken to be one too."""
    if isinstance(target, ast.Name):
        holders: list[tuple[SourceModule, ast.AST]] = [(module, fn)]
    elif isinstance(target, ast.Attribute) and dotted(target.value) == "self" \
            and isinstance(owner := module.parents.get(fn), ast.ClassDef):
        holders = [(module, owner), *_base_classes(module, project, owner)]
    else:
        return None
    values = [(holder_module, node.value) for holder_module, holder in holders for node in walk_nodes(holder)
              if isinstance(node, ast.Assign) and any(dotted(t) == dotted(target) for t in node.targets)]
    built = [(value_module, value) for value_module, value in values if isinstance(value, ast.Call)]
    if len(built) != 1 or any(not isinstance(value, (ast.Call, ast.Name)) for _, value in values):
        return None
    cls = _built_class(built[0][0], project, built[0][1].func)
    return method_in_hierarchy(project, *cls, "__call__") if cls is not None else None


def _built_class(module: SourceModule, project: Project, target: ast.expr) -> tuple[SourceModule, ast.ClassDef] | None:
    """The class of the code base ``target`` names, also through a module-level alias (``maker = Maker``)."""
    cls = db.project_class(module, project, target)
    if cls is not None or not isinstance(target, (ast.Name, ast.Attribute)):
        return cls
    owner_name, _, name = (qualified(module, target) or "").rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    alias = db.single_binding(owner.tree, name) if owner is not None else None
    return db.project_class(owner, project, alias) if isinstance(alias, (ast.Name, ast.Attribute)) else None


def _is_context_manager(module: SourceModule, function: ast.AST) -> bool:
    return any(name.split(".")[-1] in ("contextmanager", "asynccontextmanager")
               for name in decorator_names(module, function))


def _yields_then_commits(project: Project, helper_module: SourceModule, helper: ast.AST) -> bool:
    yields = [n.lineno for n in walk_function_body(helper) if isinstance(n, (ast.Yield, ast.YieldFrom))]
    return bool(yields) and any(op.kind == db.COMMIT and op.call.lineno > min(yields)
                                for op in db.function_ops(helper_module, helper, project))


def _injected(module: SourceModule, project: Project, fn: ast.AST) -> list[tuple[SourceModule, ast.expr]]:
    """The dependencies of a FastAPI handler's parameters (with the module that names them):
    ``Depends(get_db)`` as the default, in an ``Annotated[Session, Depends(get_db)]`` annotation, or
    in an alias of one defined at the top of this module or of the module it is imported from."""
    if not isinstance(fn, FUNCTION_TYPES):
        return []
    places = [(module, d) for d in [*fn.args.defaults, *fn.args.kw_defaults] if d is not None]
    for argument in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        owner, annotation = module, argument.annotation
        if isinstance(annotation, ast.Name):
            owner, annotation = _alias(module, project, annotation.id) or (owner, annotation)
        if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").endswith("Annotated"):
            places.append((owner, annotation.slice))
    return [(owner, node.args[0]) for owner, place in places for node in ast.walk(place)
            if isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] == "Depends" and node.args]


def _alias(module: SourceModule, project: Project, name: str, hops: int = 3) -> tuple[SourceModule, ast.expr] | None:
    """``DbSession = Annotated[Session, Depends(get_db)]`` at the top of the module, or of the module
    of the project ``name`` is imported from."""
    target = module.imports.get(name)
    if target is not None:
        source = project.by_dotted_name.get(target.rpartition(".")[0])
        return _alias(source, project, target.rpartition(".")[2], hops - 1) if source is not None and hops > 0 else None
    for statement in module.tree.body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            return module, statement.value
    return None


_SIGNALS_OF = {"save": ("pre_save", "post_save"), "asave": ("pre_save", "post_save"),
               "create": ("pre_save", "post_save"), "acreate": ("pre_save", "post_save"),
               "get_or_create": ("pre_save", "post_save"), "update_or_create": ("pre_save", "post_save"),
               "delete": ("pre_delete", "post_delete"), "adelete": ("pre_delete", "post_delete")}


def _receiver_call(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call,
                   after_write: bool = False) -> tuple[str, str] | None:
    """(``the post_save receiver <name>``, library) when ``call`` saves or deletes a Django model
    whose signal receiver, registered for that model as sender, makes an outbound call: Django runs
    receivers synchronously, inside the caller's transaction. ``after_write``: only the receivers that run
    once the row is written (``post_save``, ``post_delete``), for a save that opens the transaction."""
    op = next((o for o in db.function_ops(module, fn, project) if o.call is call), None)
    if op is None or op.api != "django" or not op.is_write or op.method not in _SIGNALS_OF:
        return None
    updated = op.kind == db.UPDATE or any(k.arg == "update_fields" and not is_none(k.value) for k in call.keywords)
    created = op.method in _CREATING or any(k.arg == "force_insert" and not is_none(k.value) for k in call.keywords)
    for model in op.tables:
        for signal, receiver_module, receiver in _receivers(project).get(model, []):
            if signal in _DELETE_SIGNALS:
                continue  # reported in the receiver itself, which every delete runs in a transaction
            if updated and _on_creation_only(receiver) or created and _compares_loaded_state(receiver):
                continue
            library = _receiver_library(project, receiver_module, receiver, updated) \
                if signal in _SIGNALS_OF[op.method] and not (after_write and signal.startswith("pre_")) else None
            if library is not None:
                return f"the {signal} receiver {receiver.name}", library
    return None


def _compares_loaded_state(receiver: ast.AST) -> bool:
    """A receiver that compares the instance with the state it was loaded (or built) with
    (``instance._previous_state``, ``instance.__original_hostname``, ``instance.tracker.has_changed(...)``):
    it acts on a change of a stored row, which the creation of a row does not make."""
    return any(isinstance(node, ast.Attribute) and _LOADED_STATE.search(node.attr)
               for node in walk_function_body(receiver))


_LOADED_STATE = re.compile(r"previous|original|has_changed|tracker", re.I)
_CREATING = frozenset({"create", "acreate", "get_or_create", "aget_or_create"})


def _on_creation_only(receiver: ast.AST) -> bool:
    """A receiver that first returns unless its ``created`` argument is set (``if instance.draft or not
    created: return``): the save of a loaded instance, an update, runs none of it."""
    first = next((s for s in receiver.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))), None)
    if not isinstance(first, ast.If) or not (len(first.body) == 1 and isinstance(first.body[0], ast.Return)):
        return False
    tests = first.test.values if isinstance(first.test, ast.BoolOp) and isinstance(first.test.op, ast.Or) else [first.test]
    return any(isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not) and isinstance(t.operand, ast.Name)
               and t.operand.id == "created" for t in tests)


def _creation_branches(receiver: ast.AST) -> Iterator[list[ast.stmt]]:
    """The branches of a receiver's ``if`` statements that run only when its ``created`` argument is set:
    the body of ``if created:`` (``if created and instance.public:``), the ``else`` of ``if not created:``."""
    def is_created(test: ast.expr) -> bool:
        return isinstance(test, ast.Name) and test.id == "created"

    for node in walk_function_body(receiver):
        if not isinstance(node, ast.If):
            continue
        both = isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.And)
        tests = node.test.values if both else [node.test]
        if any(is_created(t) for t in tests):
            yield node.body
        elif isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) and is_created(node.test.operand):
            yield node.orelse


def _sent_signal_call(module: SourceModule, project: Project, call: ast.Call) -> tuple[str, str] | None:
    """(``the <signal> receiver <name>``, library) when ``call`` sends a signal the code base defines
    (``document_added = Signal()`` ... ``document_added.send(sender=...)``) and a receiver connected to
    it makes an outbound call: Django runs the receivers synchronously, inside the caller's transaction."""
    if method_name(call) not in ("send", "send_robust") or not isinstance(call.func, ast.Attribute):
        return None
    signal = (dotted(call.func.value) or "").split(".")[-1]
    if signal not in _defined_signals(project):
        return None
    for _, receiver_module, receiver in _receivers(project).get(_SENT + signal, []):
        library = _receiver_library(project, receiver_module, receiver)
        if library is not None:
            return f"the {signal} receiver {receiver.name}", library
    return None


def _defined_signals(project: Project) -> set[str]:
    """Names the code base binds at module level to a Django ``Signal()``."""
    if "network_in_tx.signals" not in project.facts:
        project.facts["network_in_tx.signals"] = {
            target.id for module in project.modules if "Signal" in module.text and not db.skipped_module(module)
            for statement in module.tree.body if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
            and (call_name(module, statement.value) or "").startswith("django.dispatch")
            and (call_name(module, statement.value) or "").endswith(".Signal")
            for target in statement.targets if isinstance(target, ast.Name)}
    return project.facts["network_in_tx.signals"]


def _receiver_library(project: Project, module: SourceModule, receiver: ast.AST, updated: bool = False) -> str | None:
    """The library of an outbound call a signal receiver makes, directly or through helpers; for the save of
    an existing row (``updated``), not in a branch run only when ``created`` is set."""
    skipped = {id(n) for branch in _creation_branches(receiver) for statement in branch for n in ast.walk(statement)} \
        if updated else set()
    for node in walk_function_body(receiver):
        if not isinstance(node, ast.Call) or id(node) in skipped:
            continue
        outbound = _network_call(module, node, project)
        deeper = None if outbound is not None else _helper_call(module, project, node, 3, {id(receiver)})
        if outbound is not None or deeper is not None:
            return outbound.library if outbound else deeper[1]
    return None


_SENT = "sent:"  # marks the receivers of a signal the code base sends itself


def _receivers(project: Project) -> dict[str, list[tuple[str, SourceModule, ast.AST]]]:
    """Model name -> (signal, module, function) of the Django signal receivers registered for it as
    sender: ``@receiver(post_save, sender=Order)`` or ``post_save.connect(handler, sender=Order)`` (also
    ``receiver=handler``); and
    ``_SENT + name`` -> the receivers of the code base's own signal ``name``, whatever the sender."""
    if "network_in_tx.receivers" in project.facts:
        return project.facts["network_in_tx.receivers"]
    found: dict[str, list[tuple[str, SourceModule, ast.AST]]] = {}
    for module in project.modules:
        if "connect" not in module.text and "receiver" not in module.text or db.skipped_module(module):
            continue
        for fn in functions(module.tree):
            for decorator in getattr(fn, "decorator_list", []):
                if isinstance(decorator, ast.Call) and (dotted(decorator.func) or "").split(".")[-1] == "receiver":
                    _register(found, decorator, decorator.args[:1], module, fn)
        for call in module.nodes_of(ast.Call):
            target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "receiver"), None)
            if method_name(call) == "connect" and isinstance(call.func, ast.Attribute) and target is not None:
                handler = db.resolve_function(module, project, ast.Call(func=target, args=[], keywords=[])) \
                    if isinstance(target, (ast.Name, ast.Attribute)) else None
                if handler is not None:
                    _register(found, call, [call.func.value], handler[0], handler[1], module)
    project.facts["network_in_tx.receivers"] = found
    return found


def _delete_receiver(project: Project, fn: ast.AST) -> list[tuple[int, int]]:
    """The whole function when it is a ``pre_delete``/``post_delete`` receiver: Django's ``delete()`` (of an
    instance, a queryset, or a cascade) sends them from inside the ``transaction.atomic()`` block its collector
    deletes in, whoever calls it."""
    return [(fn.lineno, fn.end_lineno or fn.lineno)] if id(fn) in _delete_receivers(project) else []


def _delete_receivers(project: Project) -> dict[int, str]:
    """id of a receiver of Django's ``pre_delete``/``post_delete`` -> the signal's name."""
    if "network_in_tx.delete_receivers" not in project.facts:
        project.facts["network_in_tx.delete_receivers"] = {
            id(fn): signal for registered in _receivers(project).values() for signal, _, fn in registered
            if signal in _DELETE_SIGNALS}
    return project.facts["network_in_tx.delete_receivers"]


_DELETE_SIGNALS = frozenset({"pre_delete", "post_delete"})


def _register(found: dict, registration: ast.Call, signals: list[ast.expr], module: SourceModule, fn: ast.AST,
              registering: SourceModule | None = None) -> None:
    sender = next((k.value for k in registration.keywords if k.arg == "sender"), None)
    model = _sender_model(registering or module, registration, sender) if sender is not None else ""
    for signal in signals:
        names = signal.elts if isinstance(signal, (ast.List, ast.Tuple)) else [signal]
        for name in names:
            signal_name = (dotted(name) or "").split(".")[-1]
            if model and signal_name in ("pre_save", "post_save", "pre_delete", "post_delete"):
                found.setdefault(model, []).append((signal_name, module, fn))
            elif signal_name:
                found.setdefault(_SENT + signal_name, []).append((signal_name, module, fn))


def _sender_model(module: SourceModule, registration: ast.Call, sender: ast.expr) -> str:
    """The model a receiver is registered for: ``sender=IPAddress``, or a name the registering function binds
    to the model looked up by its name (``ip_model = self.get_model("IPAddress")`` in an ``AppConfig.ready``), or
    that lookup itself (``sender=apps.get_model("networks", "IPAddress")``)."""
    function = enclosing_function(module, registration) if isinstance(sender, ast.Name) else None
    bound = db.single_binding(function, sender.id) if function is not None else sender
    if isinstance(bound, ast.Call) and method_name(bound) == "get_model" and bound.args:
        return (string_value(bound.args[-1]) or "").split(".")[-1]  # get_model("networks.IPAddress") names the app
    return (dotted(sender) or "").split(".")[-1]


def _atomic_method(module: SourceModule, project: Project, fn: ast.AST) -> list[tuple[int, int]]:
    """The whole method, as for ``@transaction.atomic``, when Django runs it in a transaction: Django's
    ``method_decorator`` (``@method_decorator(transaction.atomic)`` on it, ``@method_decorator(transaction.atomic,
    name="post")`` on its class, or a view class whose ``dispatch`` runs the request atomically: every handler
    and hook of the view runs inside it; ``setup()`` runs before), or a ``ModelAdmin``'s ``save_model``,
    ``save_related``, ``save_formset`` or ``delete_model``, which the admin's views run in ``transaction.atomic()``."""
    owner = module.parents.get(fn)
    if not isinstance(fn, FUNCTION_TYPES) or not isinstance(owner, ast.ClassDef) or fn.name in _BEFORE_DISPATCH:
        return []
    decorated = any(_atomic_method_decorator(module, d) == "" for d in fn.decorator_list) \
        or any(_atomic_method_decorator(module, d) == fn.name for d in owner.decorator_list)
    admin_save = fn.name in ADMIN_SAVING_HOOKS and any(
        base.startswith("django.") and base.endswith("ModelAdmin") for base in _library_bases(module, project, owner))
    if decorated or admin_save or "atomic" in module.text and in_atomic_dispatch_view(module, project, fn):
        return [(fn.lineno, fn.end_lineno or fn.lineno)]
    return []


def _atomic_method_decorator(module: SourceModule, decorator: ast.expr) -> str | None:
    """The method named by ``method_decorator(transaction.atomic, name=...)`` ("" when it names none), None
    for any other decorator."""
    if not (isinstance(decorator, ast.Call) and (qualified(module, decorator.func) or "").endswith("method_decorator")
            and decorator.args):
        return None
    wrapped = decorator.args[0].func if isinstance(decorator.args[0], ast.Call) else decorator.args[0]
    if (qualified(module, wrapped) or "").split(".")[-1] != "atomic":
        return None
    return next((string_value(k.value) or "" for k in decorator.keywords if k.arg == "name"), "")


def _reported_inside(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """``call`` runs a method that Django runs whole in the transaction too (``self.form_valid(form)`` from
    the ``post`` of a view whose ``dispatch`` is atomic): its own outbound call is reported inside it, once."""
    if not (isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self"):
        return False
    resolved = db.resolve_function(module, project, call)
    return resolved is not None and bool(_atomic_method(*resolved[:1], project, resolved[1]))


def _opened_at(module: SourceModule, project: Project, fn: ast.AST, span: tuple[int, int]) -> str:
    """Where the transaction around ``span`` opens: the block's line, or, for a method of a view whose
    ``dispatch`` runs it atomically, the ``with transaction.atomic()`` or decorator of that ``dispatch``."""
    signal = _delete_receivers(project).get(id(fn))
    if signal is not None and span == (fn.lineno, fn.end_lineno or fn.lineno):
        return f"the transaction Django's delete() runs its {signal} receivers in is open"
    owner = module.parents.get(fn)
    if span[0] != getattr(fn, "lineno", -1) or not isinstance(owner, ast.ClassDef) \
            or not in_atomic_dispatch_view(module, project, fn) or _atomic_method_here(module, fn, owner):
        return f"the transaction opened at line {span[0]} is open"
    for dispatch_module, cls in [(module, owner), *_base_classes(module, project, owner)]:
        dispatch = next((m for m in cls.body if isinstance(m, FUNCTION_TYPES) and m.name == "dispatch"), None)
        decorated = next((d.lineno for d in getattr(dispatch, "decorator_list", ())
                          if _atomic_method_decorator(dispatch_module, d) is not None
                          or (qualified(dispatch_module, d) or "").endswith("atomic")), None)
        blocks = db.transaction_blocks(dispatch_module, dispatch, project) if dispatch is not None else []
        line = decorated or (blocks[0][0] if blocks else None)
        if line is not None:
            where = "" if dispatch_module is module else f" of {dispatch_module.path}"
            return f"the transaction {cls.name}.dispatch opens at line {line}{where} is open"
    return f"the transaction {owner.name}.dispatch opens is open"


def _atomic_method_here(module: SourceModule, fn: ast.AST, owner: ast.ClassDef) -> bool:
    """``fn`` is made atomic by a ``method_decorator`` on it or on its class naming it."""
    return any(_atomic_method_decorator(module, d) == "" for d in fn.decorator_list) \
        or any(_atomic_method_decorator(module, d) == fn.name for d in owner.decorator_list)


# run by the Django admin's change and delete views inside their transaction.atomic() block
ADMIN_SAVING_HOOKS = frozenset({"save_model", "save_related", "save_formset", "delete_model"})
_BEFORE_DISPATCH = frozenset({"__init__", "setup", "as_view", "dispatch"})  # run before, or are, the wrapped dispatch


def _in_decorated(fn: ast.AST, span: tuple[int, int], node: ast.AST) -> bool:
    """The span of an ``@atomic`` function starts at its ``def`` line, which a call cannot be on."""
    return span[0] == getattr(fn, "lineno", -1) and span[0] <= node.lineno <= span[1]


def _helper_call(module: SourceModule, project: Project, call: ast.Call, depth: int, seen: set[int],
                 off_outside: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(helper name, library) when ``call`` invokes a function of the code base that calls out, on the path the
    call takes: not under ``if no_delay:`` when the call leaves ``no_delay=False`` off (see :func:`audit_lib.pyast.parameters_off`);
    ``off_outside`` names what is off where ``call`` is written."""
    if depth <= 0:
        return None
    for handed in (False, True):  # the handed-over function only when the call itself calls out nowhere
        target = _handed_function(module, call) if handed else call
        resolved = db.resolve_function(module, project, target, reexports=True) if target is not None else None
        resolved = resolved or (_only_method_named(project, target) or _constructor(module, project, target)
                                or _method_of_every_binding(module, project, target) or _nested_function(module, target)
                                if target is not None and not handed else None)
        if resolved is None or id(resolved[1]) in seen or db.is_deferred_to_commit(*resolved, project):
            continue  # a function the code base's decorator runs from transaction.on_commit runs after the commit
        helper_module, helper = resolved
        bodies = implementations(project, helper_module, helper) if is_abstract(helper) else [(helper_module, helper)]
        off = frozenset() if handed else parameters_off(helper, call, off_outside)
        name = helper.name if helper.name != "__init__" or target is None else dotted(target.func) or helper.name
        found = _calls_out(project, name, bodies, depth, seen | {id(helper)}, off)
        if found is not None:
            return found
    return None


def _constructor(module: SourceModule, project: Project, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The ``__init__`` that building an object of a class of the code base runs (``GitRepo(path, url)``
    cloning the repository in its constructor)."""
    cls = db.project_class(module, project, call.func)
    return method_in_hierarchy(project, *cls, "__init__") if cls is not None else None


def _nested_function(module: SourceModule, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The function a function around ``call`` defines in its body under the name ``call`` runs
    (``def import_documents(objects): ...`` then ``import_documents(batch)`` in a loop below)."""
    if not isinstance(call.func, ast.Name):
        return None
    for holder in ancestors(module, call):
        if isinstance(holder, FUNCTION_TYPES):
            inner = [n for n in holder.body if isinstance(n, FUNCTION_TYPES) and n.name == call.func.id]
            if inner:
                return (module, inner[0]) if len(inner) == 1 else None
    return None


def _method_of_every_binding(module: SourceModule, project: Project, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The method ``state.notify(...)`` runs when every binding of the local name ``state`` in the function builds
    an object of a class of the code base (``state = BanSanction(...)`` in one branch, ``state =
    MuteSanction(...)`` in another) and each of those classes inherits the same method."""
    if not (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)):
        return None
    function = enclosing_function(module, call)
    values = [n.value for n in walk_function_body(function) if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == call.func.value.id for t in n.targets)] \
        if function is not None else []
    classes = [db.project_class(module, project, v.func) if isinstance(v, ast.Call) else None for v in values]
    if len(classes) < 2 or any(c is None for c in classes):
        return None
    methods = [method_in_hierarchy(project, *c, call.func.attr) for c in classes]
    return methods[0] if methods[0] is not None and all(m is not None and m[1] is methods[0][1] for m in methods) \
        else None


def _only_method_named(project: Project, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The method a call on an object of unknown class runs when one class of the code base alone defines a
    method of that name, a name of several words (``instance.process_geo_location()``)."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) and dotted(call.func.value) not in ("self", "cls") else ""
    if "_" not in name.strip("_"):
        return None
    if "network_in_tx.methods" not in project.facts:
        methods: dict[str, list[tuple[SourceModule, ast.AST]]] = {}
        for module in project.modules:
            for cls in module.nodes_of(ast.ClassDef):
                for method in cls.body:
                    if isinstance(method, FUNCTION_TYPES):
                        methods.setdefault(method.name, []).append((module, method))
        project.facts["network_in_tx.methods"] = methods
    found = project.facts["network_in_tx.methods"].get(name, [])
    return found[0] if len(found) == 1 else None


def _handed_function(module: SourceModule, call: ast.Call) -> ast.Call | None:
    """A call of the function an awaited call hands over to run now, in a worker thread or a wrapper:
    ``storage.upload(key, blob)`` for ``await run_async(storage.upload, key, blob)``, ``await
    asyncio.to_thread(storage.upload, ...)``, ``await loop.run_in_executor(None, storage.upload, ...)``."""
    if not isinstance(module.parents.get(call), ast.Await):
        return None
    handed = call.args[1:2] if method_name(call) == "run_in_executor" else call.args[:1]
    if not handed or not isinstance(handed[0], (ast.Name, ast.Attribute)):
        return None
    runs = ast.copy_location(ast.Call(func=handed[0], args=[], keywords=[]), call)
    module.parents[runs] = call  # so that the handed function's receiver is looked up in the caller's scope
    return runs


def _calls_out(project: Project, name: str, bodies: list[tuple[SourceModule, ast.AST]], depth: int,
               seen: set[int], off: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(name, library) when one of ``bodies`` calls out, outside the branches that the parameters ``off`` skip."""
    queued = None  # a task queued on the broker names the call only when the helper makes no other
    for body_module, body in bodies:
        deferred = _deferred_to_commit(body)
        local_functions = [n for n in walk_function_body(body)  # run by its calls, unless handed to on_commit
                           if isinstance(n, FUNCTION_TYPES) and n.name not in deferred]
        skipped = {id(n) for branch in walk_function_body(body) if isinstance(branch, ast.If)
                   and _switched_off(branch.test, off) for statement in branch.body for n in ast.walk(statement)}
        for node in (n for function in [body, *local_functions] for n in walk_function_body(function)):
            node = _property_read(body_module, project, node) or node
            if not isinstance(node, ast.Call) or id(node) in skipped:
                continue
            outbound = _network_call(body_module, node, project)
            library = outbound.library if outbound is not None else None
            if library is None:
                deeper = _helper_call(body_module, project, node, depth - 1, seen | {id(body)}, off) \
                    or _service_call(body_module, project, body, node, depth - 1)
                library = deeper[1] if deeper is not None else None
            if library == TASK_QUEUE:
                queued = queued or (name, library)
            elif library is not None:
                return name, library
    return queued


def _property_read(module: SourceModule, project: Project, node: ast.AST) -> ast.Call | None:
    """A call of the getter that reading ``self.<name>`` runs, when the class or a base of the code base
    declares ``<name>`` a ``@property`` (``for result in self._greenwave_results:``)."""
    if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and dotted(node.value) == "self") \
            or isinstance(module.parents.get(node), ast.Call) and module.parents[node].func is node:
        return None
    runs = ast.copy_location(ast.Call(func=node, args=[], keywords=[]), node)
    module.parents[runs] = module.parents.get(node)
    getter = db.resolve_function(module, project, runs)
    return runs if getter is not None and any(name.split(".")[-1] in ("property", "cached_property")
                                              for name in decorator_names(*getter)) else None


def _switched_off(test: ast.expr, off: frozenset[str]) -> bool:
    """``if no_delay:`` or ``if no_delay and user:`` with ``no_delay`` among ``off``: the branch does not run."""
    conditions = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    return any(isinstance(condition, ast.Name) and condition.id in off for condition in conditions)


def _deferred_to_commit(fn: ast.AST) -> set[str]:
    """Names of the local functions ``fn`` hands to ``transaction.on_commit(_send)``: they run after the commit."""
    return {argument.id for node in walk_function_body(fn) if isinstance(node, ast.Call) and method_name(node) == "on_commit"
            for argument in node.args[:1] if isinstance(argument, ast.Name)}


def _service_call(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call,
                  depth: int = 3) -> tuple[str, str] | None:
    """(method name, library) when ``call`` runs a method of a service looked up by its interface
    (``request.find_service(IMailer).send(...)``, also through a local name bound to the lookup) and
    a class of the code base declared ``@implementer(IMailer)`` calls out in that method."""
    if depth <= 0 or not isinstance(call.func, ast.Attribute):
        return None
    interface = _looked_up_interface(fn, call.func.value) or _attribute_interface(module, fn, call.func.value)
    if interface is None:
        return None
    bodies = [(other, method) for other in project.modules if interface in other.text
              for cls in other.nodes_of(ast.ClassDef) if _implements(cls, interface)
              for method in cls.body if isinstance(method, FUNCTION_TYPES) and method.name == call.func.attr]
    return _calls_out(project, call.func.attr, bodies, depth, {id(fn)})


def _looked_up_interface(fn: ast.AST, receiver: ast.expr) -> str | None:
    if isinstance(receiver, ast.Name):
        bound = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == receiver.id for t in n.targets)]
        receiver = bound[0] if len(bound) == 1 else receiver
    if not (isinstance(receiver, ast.Call) and method_name(receiver) == "find_service"):
        return None
    interface = receiver.args[0] if receiver.args else next((k.value for k in receiver.keywords if k.arg == "iface"), None)
    return (dotted(interface) or "").split(".")[-1] or None if interface is not None else None


def _attribute_interface(module: SourceModule, fn: ast.AST, receiver: ast.expr) -> str | None:
    """The interface of a service a view class looks up once and keeps (``self.billing_service =
    request.find_service(IBillingService)`` in its ``__init__``), for ``self.billing_service.x(...)``."""
    if not (isinstance(receiver, ast.Attribute) and dotted(receiver.value) == "self"):
        return None
    owner = module.parents.get(fn)
    init = next((n for n in owner.body if isinstance(n, FUNCTION_TYPES) and n.name == "__init__"), None) \
        if isinstance(owner, ast.ClassDef) else None
    if init is None:
        return None
    bound = [n.value for n in walk_function_body(init) if isinstance(n, ast.Assign)
             and any(dotted(t) == dotted(receiver) for t in n.targets)]
    return _looked_up_interface(init, bound[0]) if len(bound) == 1 else None


def _implements(cls: ast.ClassDef, interface: str) -> bool:
    return any(isinstance(d, ast.Call) and (dotted(d.func) or "").split(".")[-1] == "implementer"
               and any((dotted(a) or "").split(".")[-1] == interface for a in d.args) for d in cls.decorator_list)
