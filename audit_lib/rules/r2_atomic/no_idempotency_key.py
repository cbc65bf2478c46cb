"""R2.no-idempotency-key: a create endpoint that a client retry turns into a duplicate.

## What it does
Reports a create endpoint without an Idempotency-Key or an upsert. That is a POST
request handler (FastAPI, Starlette, Flask, aiohttp, Django views,
Django REST framework), or a PUT on a collection, that inserts rows -- SQL `INSERT`,
ORM `add`/`create`/`save` of a new instance, `save()` of a DRF serializer built from
request data only (`ItemSerializerFull(data=...)`; not `ItemSerializerFull(item, data=...)`, an update) or of a
model form of the code base (`class Meta: model = ...`, also kept from a base's `class Meta(Base.Meta):`) built
without `instance=` -- directly or through a helper of the code base (also one imported through a
package that re-exports it, or a method of a class nested in one of the code base's:
`ToolSerializer.Create(data=...).insert(...)`; a helper three levels down, a router calling a service calling a
store whose SQL a connection helper runs, when the handler inserts nothing closer and the helper it calls is
named for making rows of that table, `create_collection`, `add_message`), without reading an
`Idempotency-Key` header and without making the insert an upsert. A PUT to
`/items/{id}` names its target, so repeating it rewrites the same resource (also a class-based
view's `def put(self, instance_id)`, whose argument comes from the URL).

A DRF view that leaves POST to the framework (`ModelViewSet`, `CreateModelMixin`,
`ListCreateAPIView`, without a `create` of its own or with one that hands the request to
`super().create(...)`) is reported at its class (at its own `post`, when that only returns `self.create(request,
...)`): DRF's `create()` saves the serializer, inserting a
row of its `Meta.model` (the `serializer_class`, or the class `get_serializer_class` returns for POST: `elif
self.request.method == "POST": return AlbumSerializer`; such a model is the resource the client posts even
when named like a record, an `Activity` or an `Event`, unless its name says audit, log, history or outbox); not when a base of the code base between them writes its own `create` (a
server-rendered page viewset whose `create` saves a form: its `serializer_class` only renders). A view's own `create` that calls `self.perform_create(serializer)` saves it too
(DRF's `perform_create`, or the view's unless it upserts). Not when that model
has a natural unique key or a UUID primary key with a default (DRF accepts the id from the
client: an offline-first client sends the same id again), or `perform_create` upserts.

A handler may also be handed back by a route factory for a blueprint to register: a method that defines it
and returns it with its path and HTTP methods (`return "/projects", ["POST"], _post`, a Sanic blueprint
class calling `add_route(handler, uri, methods=...)` for each), and the row built by a model's alternate
constructor (`session.add(ProjectORM.from_unsaved(project))`).

Inserts into audit, log, history, event, outbox and metrics staging tables do not make a create endpoint:
they record an action (`POST /orders/{id}/cancel`) rather than create the resource (a name that only ends
in the letters "log", `Dialog`, `Catalog`, `Blog`, is a domain table).

A check that the row exists refuses a retry: an early refusal before the insert
(`if Tag.objects.filter(name=name).exists(): return Response(status=409)`, `abort(409)`, a 400
"name taken", "already exists", also in the serializer's own `validate`/`create` or a helper of the
code base they call, `validate_name(name, project)`, or in the helper that inserts, whatever lookup it
makes: `if team.member_set.filter(user=user).exists(): raise ValidationError("Member already exists")`,
also before the call of the helper it inserts through in turn, a service answering 409 for a stored document
before its store writes it,
or a refusal of any stored row the new one overlaps: `if any(s.start <= end and start <= s.end for s in shifts):
raise`) is not reported. A retried POST gets an error, not a second row; the race between
two concurrent tries is R2.check-then-act's. A count of the owner's rows through a helper compared only with a
limit (`if total + 1 > max_notes: raise`) is a quota, not such a check: a retry under the limit passes again.
Nor do inserts made as the object a handler acts on leaves a state it is tested in (`if job.is_running:
return Response(204)`, then `job.is_running = True` before the insert, in the handler or in the helper
it goes through; or the insert under `if job.is_running:` that sets `job.is_running = False`): a retry
finds the new state and inserts nothing (an enable or disable action, not a create). So do inserts handed the
object after a refusal of it in a state the code base moves objects into (`if not issue.is_muted: raise
ValidationError(...)` where some code sets `issue.is_muted = False`, also in a helper it hands the object to:
`self._assert_unresolved(issue)` / `if issue.is_resolved: raise ...`, with `issue.is_resolved = True` set by the
handler or the code it calls): a resolve or mute action records its transition once, its retry is refused. A
state another action sets (a topic's `locked`, tested before a reply is posted) is a precondition, not that.
Nor do inserts into a table the code creates as `CREATE TEMPORARY TABLE` (the keys of a bulk lookup,
joined against the stored rows and dropped with the session).

Inserts into session, token (`TokenRegister`, `DbTokenConfirm`), OAuth authorization-code and one-time code tables (password reset,
recovery and verification codes, `EmailVerification` rows) do not either: a login, token, consent or
"send me a code" endpoint mints a new credential on each call by design; nor does a login or token-exchange route
(`/ldap/login`, `/oauth/token`) that creates the user on the first login.

Also not reported: a pending insert flushed in a `try` that catches the unique violation (a
unique name answered 409; not when the model declares no unique key on client data, in its class or a
migration: the `except IntegrityError` then handles other failures, a repeat violates nothing), the plain-insert branch of an upsert the client picks by sending its
own identifier, an insert only for a key missing from the existing rows the function holds
(`if user.id in members: <update>` / `else: <add>`; a loop over the rows that leave out those the inserted table
holds: `for kind in Kind.objects.exclude(id__in=user.credits.filter(year=y).values("kind"))`), a DRF serializer whose own `create` looks
the row up before writing it (also only to refuse it) or upserts it (`get_or_create`), or whose
`create` -- its own, or a base's that its `super().create(...)` hands on to -- inserts nothing (an
availability query answered through `save()`: `return Job.objects.filter(...).latest()`) or returns
the recent row a lookup of the same content finds and inserts only in that lookup's `except
DoesNotExist` handler (a job submission deduplicated by content: a resubmission gets the first job). A name lookup on one branch only
(`else: name = generate_name()`) refuses no retry of the other.

Server-rendered page and form handlers (a handler that renders a template or redirects -- `render`,
`render_template`, `TemplateResponse`, `redirect`, `HttpResponseRedirect`, `RedirectResponse` -- and
never answers JSON) are reported too, at low confidence: a browser resubmits a form and users click
twice just as API clients retry, and a form that creates a row of a growing business table (a bill, a
submission, a reply) makes a duplicate each time; its fix is a one-time form token rather than a
header. Not when the form stores the owner's settings, configuration, preferences or options (it
rewrites them), nor when its insert is a note a helper of the code base records of the form's action
(`close_pull_request(...)` adding a comment when a merge or close form is posted; a helper named for
inserting -- `create`, `add`, `save`, `insert_*` -- still counts, as does one whose result the page then shows when
it is no row the helper was handed: `topic = send_mp(...)` / `redirect(topic.get_absolute_url())`). The view's own
method that a valid form runs (`self.form_valid(form)`) is the handler's code: the helper it calls decides. A
Django `FormView`/`CreateView` that leaves `post` to Django is reported at its `form_valid`, not when that saves
the object the view shows before the insert (`db_object = self.object; db_object.save()`, then an operation row:
an edit), nor when it first deletes the row of the same model the view holds (`self.current =
Banner.objects...first()`, `self.current.delete()`: a replace). A request to an item's own URL (`POST
/reviews/<id>`) whose insert goes through a helper named for updating (`update`, `edit_*`) edits the item; its
insert is a revision of it. A handler that only returns what a
page helper of the code base returns (`return create_edit_shelf(shelf, page="shelfcreate")`) is left
out, as are the branches such a call never takes (`if upload_formats:` on a parameter defaulting to
None that `do_edit_book(book_id)` does not pass).

A handler named for creating something (`create_oauth_provider`, `add_saml_provider`) is a create
endpoint, whatever it configures; a login, token or OAuth callback endpoint is not (see above).

Not reported: handlers that look the row up by a natural key before inserting it and answer a
retry with the row found (`if found: return found`), or insert it only where it is missing (a
lookup whose result becomes a value of the new row, such as a free slug, refuses nothing),
also in a helper of the code base that creates only in the branch where the lookup of the
same model found nothing (`scene = Entity.get_by(name=name)` / `if scene is None:
Entity.create(...)`, also through a statement built first: `stmt = select(Entity).filter_by(name=name)`
/ `found = session.execute(stmt).scalar_one_or_none()`; a singleton's `Organisation.query.first()`, a dict of the existing links,
a model's own `get_or_create` classmethod) -- not when the branch that finds the row adds to it
(`found.duration + duration`, also under a flag the caller sets: a retry counts twice, whatever
unique key refuses a second insert) or the key is a number counted up
(`revision = last + 1`),
inserts that cannot run twice for one target -- a model with a unique key on client data
(`unique_together`, `UniqueConstraint`, `OneToOneField`, `unique=True` without a generated
default, one inherited from Django's `AbstractUser` or django-taggit's `TagBase`, Django's user model
(`get_user_model()`, whose `USERNAME_FIELD` Django requires unique), Django's `Group` (a unique `name`, refused
by the serializer's `UniqueValidator`), a primary key the client supplies -- `primary_key=True` without a default (`default`,
`default_factory`, `server_default`) on a Django or SQLModel field
that is not an `AutoField` or on a SQLAlchemy column of a non-integer type, or a primary key of
several columns --, unless the insert or the model's own `__init__` (also for a key declared on a mixin) fills it with a generated value such as a
file name, `uuid4()` or a helper's slug with a random suffix (also a positional argument the model's own
`__init__` stores in the key, `DbPosting(posting_id, ...)`, bound to what a helper returning `uuid7()` draws),
also set in the dict the insert unpacks:
`req["id"] = get_uuid()` then `SearchService.save(**req)`, or `channel = {"id": get_uuid(), ...}`), a raw SQL insert into a table
that a migration or schema file gives a key of several columns (Alembic `op.create_primary_key`
over two columns, a `UniqueConstraint("a", "b")`, `CREATE TABLE ... PRIMARY KEY (a, b)`), a `try` that catches the unique violation, a search of the owner's rows
that sets a flag (`for a in sketch.attributes: if a.name == name: found = True; break` / `if found: <update>` /
`else: <add>`), `if not owner.relation:` around the
insert that fills it, a set-state action that creates the owner's row only in the branch where the
owner has none (`if source.star: source.star.starred = True` / `else: add(SourceStar(source))`,
`owner = self.record.owners.first()` / `if not owner: add(Owner(record_id=self.record.id))`), a one-to-one
guard `if hasattr(user, "profile"): raise`, an early exit answering 409 or 429 or saying the row already exists
(`return error(f"{title} already exists.")`, also from a loop over the owner's rows), an early exit when the
target is among the owner's stored ones (`if agreement.id in request.user.agreements: raise`) or when
the object the request names exists (`user = User(username)` / `if user.exist(): raise`), a delete of the same rows first (a replace, also a restore that empties a table object and
refills it: `execute(table.delete())` then `execute(insert(table), rows)`), a set-up wizard
under `if not is_setup():` --
handlers that read the key (`request.headers.get("Idempotency-Key")`, an
`idempotency_key` header parameter), handlers under a decorator or a middleware of the
code base that handles idempotency keys, and handlers whose inserts are all upserts
(`ON CONFLICT`, `get_or_create`, `merge`; but Django's `bulk_create(..., ignore_conflicts=True)`
into a model that declares no unique key ignores nothing and still duplicates, unless the call
names its key, `unique_fields=(...)`, or fills a many-to-many field's own `through` table, unique on
its pair). Also not: a
serializer whose own `create`/`validate` raises when the row exists; a read of the same model
that only filters the existing rows out (`if (e.source, e.target) not in existing`); a pending placeholder (`FileAsset` of a presigned
upload) whose flag the handler leaves unset and that a sweep of the code base deletes when old
(`filter(created_at__lt=cutoff, is_uploaded=False).delete()`, also an upload not yet linked to
its post, `filter(post__isnull=True, uploaded_at__lt=cutoff)`, deleted at once or row by row); a row the insert gives an
expiry that such a sweep deletes it by (`create(expires=now() + timedelta(days=1))` and
`filter(expires__lt=now()).delete()`: a temporary upload); a
serializer without a `Meta.model` whose `create` inserts nothing (or that has none: its `save()`
updates the instance its validation found, or asks a billing provider for a page URL); a serializer
built with `many=True` whose `Meta.list_serializer_class` saves without a plain insert (sets the
priorities of rows it looked up). A view's `self.get_serializer(...)` is the class its
`get_serializer_class` returns for the action (`if self.action == "reorder": return
PositionSerializer`), and a serializer's own `create` that stores a copy of a row (`source.clone(name)`)
inserts; handlers only the site's operators
reach (`@staff_member_required`, `Depends(get_admin_user)`, `IsAdminUser`, an early exit unless
`is_superuser`; a tenant's own administrators stay reported, and so do handlers under a policy check
that only mentions administrators, `check_admin_tokenlist`); a viewset whose `as_view({...})`
mappings never name `create`. A get-or-create of a shared row (`if not triage: triage =
State.objects.create(...)`) is not reported itself, but does not hide the inserts after it.

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
import copy
import re
from itertools import takewhile
from dataclasses import replace
from typing import Callable, Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db
from audit_lib.libs.web import HTTP_METHODS, RouteHandler, answers_browser, route_handlers
from audit_lib.pyast import (FUNCTION_TYPES, ancestors, dotted, is_none, method_name, qualified, string_value,
                             walk_function_body, walk_nodes)
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

IDEMPOTENCY = re.compile(r"idempot", re.I)
IMPLICIT_CREATE = {"ModelViewSet", "CreateModelMixin", "CreateAPIView", "ListCreateAPIView"}
REPEAT_STATUS = re.compile(r"409|429|CONFLICT|TOO_MANY_REQUESTS|^Conflict$|^TooManyRequests$", re.I)
# a login or token endpoint mints a new credential on each call by design; OAuth codes: one per consent; a
# "send me a code" endpoint (password reset, recovery, verification) sends a fresh one-time code on each call
CREDENTIAL = re.compile(r"session|token$|tokens$|_token|^tokens?_|(?-i:Tokens?[A-Z])|authorization_?codes?$|password_?resets?$|"
                        r"(recovery|verification|one_?time)_?codes?$|verifications?$", re.I)
INSTALLATION_STATE = re.compile(r"(^|\.)(is|has_been)_(setup|set_up|installed|initiali[sz]ed|configured|bootstrapped)$")
SERIALIZER = re.compile(r"serializer\w*$", re.I)
FIX = ("accept an Idempotency-Key header, store it with the row under a unique constraint and insert with "
       "INSERT ... ON CONFLICT (idempotency_key) DO NOTHING, returning the stored result on a retry")
FORM_FIX = ("render a one-time token into the form, store it with the row under a unique constraint and answer "
            "a resubmitted token with the row it created (redirect to it)")


@rule("R2.no-idempotency-key", on="module", scope="code", severity="medium")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module):
        return
    handlers = [h for h in [*route_handlers(module, project), *_factory_routes(module), *_form_view_hooks(
        module, project)] if _is_write_method(h)]
    if _project_middleware_handles_keys(project):
        return
    yield from _implicit_creates(module, project)
    for handler in handlers:
        fn = handler.function
        if _reads_key(fn) or _in_serializer_class(module, fn) or _delegates_to_page(module, project, fn):
            continue
        if _operators_only(module, project, fn) or _signs_in(handler):
            continue
        insert = _first_insert(module, project, fn)
        if insert is None:
            continue
        table, line_node, through, confidence, counts_again = insert
        if through and EDIT.match(through) and _names_item(handler):
            continue  # POST /reviews/<id> through update(): an edit of the item, its insert a revision of it
        hook = handler.node is fn and fn.name == "form_valid"
        if hook and (_edits_view_object(module, fn, line_node) or _replaces_held(module, fn, line_node, table)):
            continue
        form_post = answers_browser(module, fn) or hook
        if form_post and (SETTINGS_TABLE.search(table) or through and not _creating_helper(
                module, project, line_node, table)):
            continue  # a form's action (merge, close) whose helper records a note of it creates no business row
        methods = "/".join(m for m in handler.methods if m in ("POST", "PUT")) or "POST"
        where = f" {handler.path}" if handler.path else ""
        via = f" (via {through}())" if through else ""
        key, retry = ("a form token", "a double submit or a browser resubmission") if form_post else (
            "an Idempotency-Key", "a client retry")
        yield Finding(
            message=(f"{methods}{where} handler {fn.name}() adds to the {table} row it finds{via}, or inserts it, "
                     f"without {key}: {retry} adds the same amount again" if counts_again else
                     f"{methods}{where} handler {fn.name}() inserts into {table}{via} without {key} "
                     f"or an upsert: {retry} creates a duplicate"),
            path=module.path,
            line=fn.lineno,
            end_line=fn.lineno,
            evidence=module.evidence(fn),
            fix=FORM_FIX if form_post else FIX,
            confidence=Confidence.low if form_post else confidence,
            extra={"insert_line": line_node.lineno},
        )


FORM_HOOKS = {"self.form_valid"}  # Django's form views: what a valid form post runs


def _creating_helper(module: SourceModule, project: Project, call: ast.AST, table: str, depth: int = 3) -> bool:
    """Whether the helper the insert ``call`` leads to creates the row the form posts rather than records a
    note of its action: one named for inserting (``create_topic``), or whose result the form then shows
    (``topic = send_mp(...)`` / ``redirect(topic.get_absolute_url())``) when it is not a row the helper
    was handed (``post = perform_edit_post(request, self.object, ...)``, an edit). A method of the view
    itself that a valid form post runs (``self.form_valid(form)``) is the handler's own code: the helper it
    calls decides, and it creates when it inserts ``table`` itself."""
    if not isinstance(call, ast.Call):
        return False
    if dotted(call.func) not in FORM_HOOKS or depth == 0:
        name = (dotted(call.func) or "").split(".")[-1]
        return bool(CREATE.match(name)) or _shows_result(module, project, call)
    resolved = db.resolve_function(module, project, call)
    for op in db.expanded_ops(resolved[0], project, resolved[1]) if resolved is not None else ():
        if op.kind == db.INSERT and table in op.tables:
            return _creating_helper(resolved[0], project, op.call, table, depth - 1) if op.through else True
    return False


def _shows_result(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """``row = helper(...)`` whose ``row`` the function redirects to, the helper returning no row it was handed."""
    bound = module.parents.get(call)
    if not (isinstance(bound, ast.Assign) and len(bound.targets) == 1 and isinstance(bound.targets[0], ast.Name)):
        return False
    fn = next((a for a in ancestors(module, call) if isinstance(a, FUNCTION_TYPES)), None)
    resolved = db.resolve_function(module, project, call)
    if fn is None or resolved is None:
        return False
    handed = {a.arg for a in resolved[1].args.args}
    if any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id in handed
           for n in walk_function_body(resolved[1])):
        return False
    name = bound.targets[0].id
    return any(isinstance(n, ast.Call) and (dotted(n.func) or "").split(".")[-1] in REDIRECTS and any(
        isinstance(m, ast.Name) and m.id == name for a in n.args for m in ast.walk(a)) for n in walk_function_body(fn))


REDIRECTS = {"redirect", "HttpResponseRedirect", "RedirectResponse"}


# a form that stores the owner's settings rewrites them; it does not add to a growing table
SETTINGS_TABLE = re.compile(r"settings?|config|preference|option", re.I)
METRICS = re.compile(r"metric", re.I)  # a staging table of measurements sent on to a metrics service


def _records(table: str) -> bool:
    """A table that records what happened -- an audit log, an event, a history, an outbox (see
    ``db.is_log_table``), or a metrics staging table (``MetricsORM`` holding "project_created") -- not the
    resource a create endpoint makes."""
    return db.is_log_table(table) or bool(METRICS.search(table))


# a model a client posts through a model viewset is the resource it creates (an `Activity` block of
# time tracking, an `Event` of a calendar), unless its name says it keeps a record of other actions
KEPT_RECORD = re.compile(r"audit|log|history|outbox|metric", re.I)
FORM_VIEWS = {"FormView", "CreateView", "BaseFormView", "BaseCreateView"}


def _view_objects(module: SourceModule, fn: ast.AST) -> set[str]:
    """``self.object`` and the names ``fn`` binds to it (``db_object = self.object``, ``self.get_object()``)."""
    held = {"self.object"}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and (
                dotted(node.value) == "self.object" or isinstance(node.value, ast.Call)
                and dotted(node.value.func) == "self.get_object"):
            held.add(node.targets[0].id)
    return held


def _edits_view_object(module: SourceModule, fn: ast.AST, insert: ast.AST) -> bool:
    """A form view's ``form_valid`` that saves the object the view acts on before the insert (``db_object =
    self.object`` ... ``db_object.save()``, then ``Operation.objects.create(...)``): an edit form, whose
    insert records the edit."""
    held = _view_objects(module, fn)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "save"
               and dotted(n.func.value) in held and n.lineno < insert.lineno for n in walk_function_body(fn))


def _replaces_held(module: SourceModule, fn: ast.AST, insert: ast.AST, model: str) -> bool:
    """Before the insert the view deletes a row of the same model that it holds (``self.last_message =
    FeaturedMessage.objects.latest()`` in the class, ``self.last_message.delete()`` in ``form_valid``):
    a replace, a retry leaves one row."""
    cls = module.parents.get(fn)
    if not isinstance(cls, ast.ClassDef):
        return False
    held = {dotted(t) for node in ast.walk(cls) if isinstance(node, ast.Assign) for t in node.targets
            if (dotted(t) or "").startswith("self.") and isinstance(node.value, ast.Call) and any(
                isinstance(n, ast.Name) and n.id == model for n in ast.walk(node.value.func))}
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "delete"
               and dotted(n.func.value) in held and n.lineno < insert.lineno for n in walk_function_body(fn))


def _form_view_hooks(module: SourceModule, project: Project) -> list[RouteHandler]:
    """The ``form_valid`` of a Django ``FormView``/``CreateView`` of the code base that leaves ``post`` to
    Django (no class on its way to the view writes one): what the view's POST runs once the form validates."""
    if "form_valid" not in module.text or not module.imports_module("django"):
        return []
    if "r2.post_classes" not in project.facts:
        project.facts["r2.post_classes"] = {
            cls.name for m in project.modules if "def post" in m.text for cls in m.nodes_of(ast.ClassDef)
            if any(isinstance(f, FUNCTION_TYPES) and f.name == "post" for f in cls.body)}
    found = []
    for cls in module.nodes_of(ast.ClassDef):
        hook = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "form_valid"), None)
        if hook is None:
            continue
        todo, seen, form_view = [cls.name], set(), False
        while todo:
            name = todo.pop()
            if name in seen or name in project.facts["r2.post_classes"]:
                form_view = form_view and name not in project.facts["r2.post_classes"]
                if name in project.facts["r2.post_classes"]:
                    break
                continue
            seen.add(name)
            form_view = form_view or name in FORM_VIEWS
            todo.extend(db.class_bases(project).get(name, ()))
        else:
            if form_view:
                found.append(RouteHandler(function=hook, framework="django", methods=("POST",), path=None, node=hook))
    return found


def _factory_routes(module: SourceModule) -> list[RouteHandler]:
    """Handlers a route factory hands back for a blueprint to register: a function (a method of a blueprint
    class) that defines the handler and returns it with its path and HTTP methods (``return "/items",
    ["POST"], _post``), the blueprint then calling ``add_route(handler, uri, methods=...)`` for each factory."""
    if "return" not in module.text:
        return []
    found: list[RouteHandler] = []
    for factory in module.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef):
        nested = {f.name: f for f in factory.body if isinstance(f, FUNCTION_TYPES)}
        for statement in factory.body:
            value = statement.value if isinstance(statement, ast.Return) else None
            if not (isinstance(value, ast.Tuple) and len(value.elts) == 3 and isinstance(value.elts[2], ast.Name)
                    and value.elts[2].id in nested and (string_value(value.elts[0]) or "").startswith("/")
                    and isinstance(value.elts[1], (ast.List, ast.Tuple))):
                continue
            methods = tuple((string_value(m) or "").upper() for m in value.elts[1].elts)
            if methods and all(m in HTTP_METHODS for m in methods):
                found.append(RouteHandler(nested[value.elts[2].id], "factory", methods, string_value(value.elts[0]),
                                          statement, module))
    return found


def _delegates_to_page(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A handler that hands the request to a helper of the code base (``return create_edit_shelf(shelf,
    page="shelfcreate")``) that renders a template or redirects and never answers JSON: a browser's form."""
    returns = [n for n in walk_function_body(fn) if isinstance(n, ast.Return) and n.value is not None]
    for returned in returns:
        resolved = db.resolve_function(module, project, returned.value, reexports=True) if isinstance(
            returned.value, ast.Call) else None
        if resolved is None or not answers_browser(resolved[0], _branches_taken(resolved[1], returned.value)):
            return False
    return bool(returns)


def _branches_taken(helper: ast.AST, call: ast.Call) -> ast.AST:
    """A copy of ``helper`` without the branches the call never takes: ``if upload_formats:`` on a parameter
    that defaults to None or False and that the call does not pass (``do_edit_book(book_id)``)."""
    arguments = helper.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(zip([a.arg for a in positional][len(positional) - len(arguments.defaults):], arguments.defaults))
    defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None})
    passed = {a.arg for a in positional[:len(call.args)]} | {k.arg for k in call.keywords}
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return helper
    unset = {name for name, value in defaults.items() if name not in passed
             and isinstance(value, ast.Constant) and value.value in (None, False)}
    if not unset:
        return helper

    class Prune(ast.NodeTransformer):
        def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt]:
            self.generic_visit(node)
            return node.orelse if isinstance(node.test, ast.Name) and node.test.id in unset else node

    return Prune().visit(copy.deepcopy(helper))


SIGN_IN = re.compile(r"(^|[/_.-])(log_?in|sign_?in|token|oauth2?|authori[sz]e|callback|sso|saml|oidc)([/_.-]|$)", re.I)
CREATING = re.compile(r"(create|add|new)_", re.I)


def _signs_in(handler) -> bool:
    """A login or token-exchange endpoint (``POST /ldap/login``, ``POST /oauth/token``): a user created
    on the first login or a grant recorded for the exchange is no resource the client asked to create,
    and a repeated login finds the same user. A handler named for creating something
    (``create_oauth_provider``, ``add_sso_config``) makes the resource its name gives, whatever it configures."""
    name = handler.function.name
    return bool(SIGN_IN.search(handler.path or "") or SIGN_IN.search(name) and not CREATING.match(name))


ADMIN_WORDS = {"admin", "admins", "superuser", "superusers", "staff"}
TENANT_WORDS = {"work", "workspace", "space", "project", "org", "organization", "organisation", "team", "group",
                "tenant", "household", "account", "channel", "community", "board"}
OPERATOR_FLAGS = {"is_superuser", "is_staff", "is_admin"}
# what may follow the operator word in a requirement's name (get_admin_user, staff_member_required); a
# policy check that only mentions them (check_admin_tokenlist) lets users through
OPERATOR_SUFFIXES = {"user", "users", "member", "members", "required", "only", "permission", "permissions",
                     "access", "role", "mixin", "view", "api", "auth", "authenticated", "login"}


def _operators_only(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """Only the site's operators reach the handler: a decorator or dependency that requires them
    (``@staff_member_required``, ``Depends(get_admin_user)``, ``permission_classes = [IsAdminUser]``,
    also on the handler's class or a base class of the code base), or an early exit unless the user
    is staff (``if not request.user.is_superuser: return JsonResponse(..., status=403)``). An
    operator's repeated click is seen and undone at once; it is no client retry. A tenant's own
    administrators (``WorkspaceAdminPermission``) are users of the product and stay reported."""
    requirements = [*fn.decorator_list, *_dependencies(fn)]
    owner = module.parents.get(fn)
    if isinstance(owner, ast.ClassDef):
        requirements += _class_requirements(module, project, owner, depth=4)
    if any(_names_operators(r) for r in requirements):
        return True
    if isinstance(owner, ast.ClassDef) and any(_guards_operators(check) for check in _access_checks(
            module, project, owner, depth=4)):
        return True
    return any(isinstance(node, ast.If) and node.body and isinstance(node.body[-1], (ast.Raise, ast.Return))
               and any(isinstance(n, ast.Attribute) and n.attr in OPERATOR_FLAGS for n in ast.walk(node.test))
               for node in walk_function_body(fn))


ACCESS_CHECK = re.compile(r"_*(check_(access|permissions?)|has_permission|authori[sz]e)")


def _access_checks(module: SourceModule, project: Project, cls: ast.ClassDef, depth: int) -> list[ast.AST]:
    """The access-check methods a view class runs before every request (``_check_access``,
    ``check_permissions``, ``has_permission``), its own and those of its bases in the code base."""
    return [n for _, member in _class_family(module, project, cls, depth) for n in member.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and ACCESS_CHECK.fullmatch(n.name)]


def _class_family(module: SourceModule, project: Project, cls: ast.ClassDef,
                  depth: int) -> Iterator[tuple[SourceModule, ast.ClassDef]]:
    """The class and its bases in the code base (``depth`` levels up), each with its module."""
    yield module, cls
    for base in cls.bases if depth > 0 else []:
        ref = db.project_class(module, project, base)
        if ref is not None and ref[1] is not cls:
            yield from _class_family(ref[0], project, ref[1], depth - 1)


def _guards_operators(check: ast.AST) -> bool:
    """An access check that turns away all but operators: ``if not session.user.is_admin: raise Forbidden``,
    ``if not is_site_admin(user): raise PermissionDenied``."""
    return any(isinstance(node, ast.If) and node.body and isinstance(node.body[-1], (ast.Raise, ast.Return))
               and isinstance(node.test, (ast.UnaryOp, ast.BoolOp)) and _names_operators(node.test)
               for node in walk_function_body(check))


def _dependencies(fn: ast.AST) -> list[ast.expr]:
    """FastAPI dependencies of a handler: its parameters' ``Depends(x)``/``Security(x)`` defaults."""
    arguments = fn.args
    return [d for d in [*arguments.defaults, *arguments.kw_defaults] if isinstance(d, ast.Call)]


def _class_requirements(module: SourceModule, project: Project, cls: ast.ClassDef, depth: int) -> list[ast.expr]:
    """What a view class requires of every request: its ``permission_classes``, ``decorators``,
    class-level ``Depends(...)`` attributes, and those of its bases in the code base."""
    found: list[ast.expr] = []
    for _, member in _class_family(module, project, cls, depth):
        for statement in member.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                if any(isinstance(t, ast.Name) and t.id in ("permission_classes", "decorators") for t in targets) or (
                        isinstance(statement.value, ast.Call)):
                    found.append(statement.value)
        found += member.decorator_list
    return found


def _names_operators(node: ast.AST) -> bool:
    """A requirement naming the site's operators: ``get_admin_user``, ``IsAdminUser``,
    ``staff_member_required``, ``user_passes_test(lambda u: u.is_superuser)``."""
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr in OPERATOR_FLAGS:
            return True
        name = part.id if isinstance(part, ast.Name) else part.attr if isinstance(part, ast.Attribute) else ""
        if name.isupper():
            continue  # a role constant (ROLE.ADMIN among the roles allowed) names no requirement
        words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)]
        if any(w in ADMIN_WORDS and (i + 1 == len(words) or words[i + 1] in OPERATOR_SUFFIXES)
               for i, w in enumerate(words)) and not set(words) & TENANT_WORDS:
            return True
    return False


def _implicit_creates(module: SourceModule, project: Project) -> Iterator[Finding]:
    """DRF views whose POST runs the framework's own ``create()`` (``ModelViewSet``,
    ``CreateModelMixin``, ``ListCreateAPIView``): ``serializer.save()`` inserts a row of the
    serializer's model, with no handler of the code base to read a key."""
    if not module.imports_module("rest_framework"):
        return
    for cls in module.nodes_of(ast.ClassDef):
        if not _creates_implicitly(project, cls) or _reads_key(cls) or not _routes_create(project, cls.name) or any(
                _names_operators(r) for r in _class_requirements(module, project, cls, depth=4)):
            continue
        methods = _assigned(cls, "http_method_names")
        if methods is not None and "post" not in {getattr(e, "value", None) for e in getattr(methods, "elts", [])}:
            continue
        serializer = (dotted(_assigned(cls, "serializer_class") or _action_serializer(cls, "create")) or "").split(".")[-1]
        model = _meta_models(project).get(serializer)
        if not model or db.natural_unique(project, model) or _library_keyed_form(project, serializer) or _client_keyed(
                project, model) or KEPT_RECORD.search(model) or CREDENTIAL.search(model) or _refuses_existing(
                project, serializer, model) or _own_create_finds_or_upserts(project, serializer, model) or (
                _create_repeats_nothing(project, serializer)):
            continue
        if _perform_create_upserts(cls):
            continue
        # the view's own ``post`` that hands the request on, if it writes one, is where the create is routed
        at = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and _hands_to_create(f)), cls)
        yield Finding(
            message=(f"POST to {cls.name} runs DRF's create(), which inserts into {model} through "
                     f"{serializer}.save() without an Idempotency-Key or an upsert: a client retry creates a duplicate"),
            path=module.path, line=at.lineno, end_line=at.lineno, evidence=module.evidence(at), fix=FIX,
            confidence=Confidence.medium,
        )


def _perform_create_upserts(cls: ast.ClassDef) -> bool:
    """The view's own ``perform_create`` saves through ``get_or_create``/``update_or_create``."""
    hook = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "perform_create"), None)
    return hook is not None and any(isinstance(n, ast.Call) and (dotted(n.func) or "").endswith(
        ("get_or_create", "update_or_create")) for n in ast.walk(hook))


def _routes_create(project: Project, view: str) -> bool:
    """Whether a POST can reach the viewset's ``create``: it is registered with a router, or never
    mapped by hand, or one of its ``as_view({...})`` mappings names ``create``. Mapped only as
    ``as_view({"get": "list"})`` or ``{"post": "archive"}``, the inherited ``create`` is never routed."""
    if "r2.viewset_actions" not in project.facts:
        actions: dict[str, set[str]] = {}
        for module in project.modules:
            if "as_view(" not in module.text and "register(" not in module.text:
                continue
            for call in module.nodes_of(ast.Call):
                if not isinstance(call.func, ast.Attribute):
                    continue
                if call.func.attr == "as_view" and call.args and isinstance(call.args[0], ast.Dict):
                    mapped = {v.value for v in call.args[0].values if isinstance(v, ast.Constant)}
                    actions.setdefault((dotted(call.func.value) or "").split(".")[-1], set()).update(mapped)
                elif call.func.attr == "register" and len(call.args) > 1:
                    actions.setdefault((dotted(call.args[1]) or "").split(".")[-1], set()).add("create")
        project.facts["r2.viewset_actions"] = actions
    mapped = project.facts["r2.viewset_actions"].get(view)
    return mapped is None or "create" in mapped


def _client_keyed(project: Project, model: str) -> bool:
    """A model whose primary key is a UUID with a default (``id = UUIDField(primary_key=True,
    default=uuid7)``): DRF accepts the id from the client, so an offline-first client that
    generates it sends the same id on a retry and the second insert is refused."""
    if "r2.client_keyed" not in project.facts:
        keyed = set()
        for module in project.modules:
            if "UUIDField" not in module.text:
                continue
            for cls in module.nodes_of(ast.ClassDef):
                for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call)):
                    words = {k.arg: k.value for k in call.keywords}
                    if (dotted(call.func) or "").endswith("UUIDField") and "default" in words and isinstance(
                            words.get("primary_key"), ast.Constant) and words["primary_key"].value is True:
                        keyed.add(cls.name)
        project.facts["r2.client_keyed"] = keyed
    return model in project.facts["r2.client_keyed"]


def _creates_implicitly(project: Project, cls: ast.ClassDef) -> bool:
    """A class built on DRF's create mixins (directly or through a base of the code base) that does
    not write its own ``create`` (an explicit one is a handler of its own), or whose own ``create``
    hands the request to DRF's (``return super().create(request, *args, **kwargs)``); nor does a base of
    the code base on the way to the mixin (a page viewset's ``create`` that saves a form)."""
    if _writes_own_create(cls):
        return False
    todo, seen = [(dotted(b) or "").split(".")[-1] for b in cls.bases], set()
    while todo:
        base = todo.pop()
        if base in seen or base.startswith("ReadOnly") or base in _classes_with_own_create(project):
            continue
        seen.add(base)
        if base in IMPLICIT_CREATE:
            return True
        todo.extend(db.class_bases(project).get(base, ()))
    return False


def _writes_own_create(cls: ast.ClassDef) -> bool:
    return any(isinstance(f, ast.FunctionDef) and f.name in ("create", "post") and not _calls_super_create(f)
               and not _hands_to_create(f) for f in cls.body)


def _hands_to_create(fn: ast.FunctionDef) -> bool:
    """A generic view's ``post`` that only hands its request to the framework's ``create`` (``return
    self.create(request, *args, **kwargs)``, what DRF's own ``post`` does): no handler of its own."""
    request = fn.args.args[1].arg if fn.name == "post" and len(fn.args.args) > 1 else None
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return request is not None and len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(
        body[0].value, ast.Call) and dotted(body[0].value.func) == "self.create" and bool(body[0].value.args) and (
        dotted(body[0].value.args[0]) == request)


def _classes_with_own_create(project: Project) -> set[str]:
    """Names of the code base's classes that write their own ``create``/``post``."""
    if "r2.own_create_classes" not in project.facts:
        project.facts["r2.own_create_classes"] = {
            cls.name for module in project.modules if "def create" in module.text or "def post" in module.text
            for cls in module.nodes_of(ast.ClassDef) if _writes_own_create(cls)}
    return project.facts["r2.own_create_classes"]


def _create_method(cls: ast.ClassDef) -> ast.FunctionDef | None:
    """A serializer class's own ``def create(...)``."""
    return next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "create"), None)


def _calls_super_create(fn: ast.FunctionDef) -> bool:
    return any(_is_super_create(n) for n in walk_function_body(fn))


def _is_super_create(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "create" \
        and isinstance(node.func.value, ast.Call) and dotted(node.func.value.func) == "super"


def _assigned(cls: ast.ClassDef, name: str) -> ast.expr | None:
    for statement in cls.body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            return statement.value
    return None


def _in_serializer_class(module: SourceModule, fn: ast.AST) -> bool:
    """A serializer's ``create``/``update`` is called by a view; the view is the endpoint."""
    owner = module.parents.get(fn)
    return isinstance(owner, ast.ClassDef) and (
        "Serializer" in owner.name or any("Serializer" in (dotted(b) or "") for b in owner.bases))


def _is_write_method(handler) -> bool:
    if "POST" in handler.methods:
        return True
    if "PUT" in handler.methods:
        # PUT /items/{id} names its target: repeating it rewrites the same resource; a DRF @action is a
        # verb on the item that may add rows of its own
        if _acts_on_item(handler):
            return True
        return not (handler.path and ("{" in handler.path or "<" in handler.path) or _takes_url_arguments(handler))
    if handler.methods:
        return False
    return _compares_method_to_post(handler.function)


def _acts_on_item(handler) -> bool:
    """A DRF ``@action`` taking PUT: it runs a verb on the item (add it to the shopping list) rather
    than replacing the item the URL names."""
    return any(isinstance(d, ast.Call) and (dotted(d.func) or "").split(".")[-1] == "action"
               for d in handler.function.decorator_list)


EDIT = re.compile(r"^(update|edit|modify|change)(_\w+)?$")


def _names_item(handler) -> bool:
    """The route's path ends in the item's identifier (``/<uuid:review_id>``, ``/items/{item_id}``): the request
    acts on that item rather than adding to a collection under it."""
    last = (handler.path or "").rstrip("/").rsplit("/", 1)[-1]
    return last.startswith(("<", "{")) and last.endswith((">", "}"))


def _takes_url_arguments(handler) -> bool:
    """A class-based view's method that takes arguments besides ``self`` and ``request``
    (``def put(self, instance_id)``): the framework passes them from the URL, so its route names
    the target (Flask-RESTful, MethodView, Django and DRF views)."""
    arguments = [a.arg for a in [*handler.function.args.posonlyargs, *handler.function.args.args]]
    return bool(arguments) and arguments[0] == "self" and bool(set(arguments[1:]) - {"request"})


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


def _deduplicated(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp, ops: list[db.DbOp]) -> bool:
    """A read of the same table before the insert: a natural-key lookup (``email already registered``)
    turns a retry into a refusal, not a duplicate. A helper's read counts when it is a lookup (``get``,
    ``first``, ``exists``...) or its result decides a branch, not a listing on the way (a serializer
    rendering the document's notes). Its race is R2.check-then-act's concern. A read in
    another branch that returns (``if shared: return create_shared(...)``) does not guard the insert."""
    earlier = ops[:next(i for i, op in enumerate(ops) if op is insert)]
    return any(op.is_read and any(db.same_table(a, b) for a in op.tables for b in insert.tables)
               and (op.through is None or op.call is insert.call or LOOKUP.match(op.method) or _tested(module, fn, op.call))
               and (op.call is insert.call or not db.never_both(module, fn, op.call, insert.call)
                    or _where_not_found(module, op.call, insert.call))
               and not _feeds_insert(module, fn, op, insert) and not _looked_up_on_one_branch(module, fn, op.call, insert.call)
               and not (op.call is insert.call and _helper_lookups_guard_nothing(module, project, insert))
               for op in earlier)


def _tested_branches(node: ast.If) -> tuple[ast.expr, list[ast.stmt], list[ast.stmt]]:
    """What ``if found:`` / ``if not found:`` / ``if found is None:`` tests (``found``), and its branches:
    (tested, found, missing)."""
    test = node.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand, node.orelse, node.body
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and is_none(test.comparators[0]):
        return (test.left, node.orelse, node.body) if isinstance(test.ops[0], ast.Is) else (
            test.left, node.body, node.orelse)
    return test, node.body, node.orelse


def _refuses(branch: list[ast.stmt], found: set[str]) -> bool:
    """The branch ends the request without the row found: a ``raise``, an ``abort(409)``, a ``return`` of
    anything but that row (``return Response(TagSerializer(tag).data)`` answers with it)."""
    last = branch[-1] if branch else None
    if isinstance(last, ast.Raise) or isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and (
            dotted(last.value.func) or "").split(".")[-1] == "abort":
        return True
    return isinstance(last, ast.Return) and not any(isinstance(n, ast.Name) and n.id in found
                                                    for n in ast.walk(last.value or ast.Constant(None)))


def _helper_lookups_guard_nothing(module: SourceModule, project: Project, insert: db.DbOp) -> bool:
    """The helper that inserts looks the row up on one branch only (see :func:`_looked_up_on_one_branch`)
    or for a value of the new row."""
    resolved = _resolve_helper(module, project, insert.call) if insert.through else None
    if resolved is None:
        return False
    helper_module, helper = resolved
    ops = db.expanded_ops(helper_module, project, helper, depth=1)  # also row.save() through the model's own save
    inserts = [op for op in ops if op.kind == db.INSERT and op.tables & insert.tables]
    # a deeper helper's read counts when its result decides a branch (not ``check_depth(parent_id)`` on the way)
    reads = [op for op in ops if op.is_read and op.tables & insert.tables and (
        op.through is None or _tested(helper_module, helper, op.call))]
    return bool(inserts and reads) and all(_looked_up_on_one_branch(helper_module, helper, read.call, made.call)
                                           or _feeds_insert(helper_module, helper, read, made)
                                           for read in reads for made in inserts)


def _looked_up_on_one_branch(module: SourceModule, fn: ast.AST, read: ast.AST, insert: ast.AST) -> bool:
    """The lookup runs on one branch only, and the insert after both (``if body.name is not None:
    <refuse an existing name>`` / ``else: body.name = generate_name()``): a request without a name
    gets a fresh one on every retry, so nothing refuses the repeat."""
    child = read
    for parent in ancestors(module, read):
        if parent is fn or any(n is insert for n in ast.walk(parent)):
            return False
        if isinstance(parent, ast.If):
            other = parent.orelse if any(s is child for s in parent.body) else parent.body
            return bool(other) and not isinstance(other[-1], (ast.Raise, ast.Return)) and any(
                isinstance(s, ast.Assign) and isinstance(s.value, (ast.Call, ast.Await)) for s in other)
        child = parent
    return False


def _tested(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """The helper's result decides a branch (``existing = await find_wallet(user_id)`` / ``if
    existing:``): a lookup, not a listing read on the way (``self.get_serializer(doc)``), nor a count only
    compared with a limit (``count = (await svc.overview(user_ids=[u]))["total_entries"]`` / ``if count + 1 >=
    max_count: raise``): a quota, which a retry under the limit passes again."""
    statement = next((a for a in ancestors(module, call) if isinstance(a, ast.stmt)), None)
    if isinstance(statement, ast.If) and any(n is call for n in ast.walk(statement.test)):
        return not _only_ordered(statement.test, lambda n: n is call)
    names = {t.id for t in getattr(statement, "targets", []) if isinstance(t, ast.Name)}
    tests = [node.test for node in walk_function_body(fn) if isinstance(node, ast.If) and any(
        isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.test))]
    return bool(tests) and not all(_only_ordered(test, lambda n: isinstance(n, ast.Name) and n.id in names)
                                   for test in tests)


def _only_ordered(test: ast.expr, is_value: Callable[[ast.AST], bool]) -> bool:
    """Every use of the value in ``test`` sits in an ordering comparison (``<``, ``>=``): a limit."""
    ordered = {id(n) for c in ast.walk(test) if isinstance(c, ast.Compare) and all(
        isinstance(o, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for o in c.ops) for n in ast.walk(c)}
    uses = [n for n in ast.walk(test) if is_value(n)]
    return bool(uses) and all(id(n) in ordered for n in uses)


NOT_FOUND = re.compile(r"(DoesNotExist|NoResultFound)$")


def _where_not_found(module: SourceModule, read: ast.AST, insert: ast.AST) -> bool:
    """The insert runs in ``except Issue.DoesNotExist:`` (or ``NoResultFound``) of the ``try`` that
    looks the row up: it runs only when the lookup found nothing."""
    for handler in (a for a in ancestors(module, insert) if isinstance(a, ast.ExceptHandler)):
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        attempt = module.parents.get(handler)
        if any(NOT_FOUND.search(dotted(t) or "") for t in caught) and isinstance(attempt, ast.Try) and any(
                a in attempt.body for a in ancestors(module, read)):
            return True
    return False


def _feeds_insert(module: SourceModule, fn: ast.AST, read: db.DbOp, insert: db.DbOp) -> bool:
    """The read's result is a value of the inserted row (``slug = await get_available_slug(name)``
    then ``create(Tenant(slug=slug))``): the lookup chose an input, it did not refuse a repeat. Not
    when it only filters the rows out that exist (``[e for e in entries if e.key not in existing]``):
    that refuses the repeat."""
    statement = next((a for a in [read.call, *ancestors(module, read.call)] if isinstance(a, ast.stmt)), None)
    if not isinstance(statement, ast.Assign) or read.call is insert.call:
        return False
    names = {t.id for t in statement.targets if isinstance(t, ast.Name)} | {
        t.value.id for t in statement.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)}
    given = [insert.call]  # tenant.slug = await get_available_slug(...) then create(tenant) counts too
    saved = insert.call.func.value if isinstance(insert.call.func, ast.Attribute) else None
    for argument in [*insert.call.args, *([saved] if isinstance(saved, ast.Name) else [])]:  # row = Model(...); row.save()
        if isinstance(argument, ast.Name):
            bound = db.reaching_binding(module, fn, argument) or db.single_binding(fn, argument.id)
            given += [bound] if bound is not None else []
    after = statement.end_lineno or statement.lineno  # a use of the name bound by the read, not an earlier one
    skipping = {id(c) for g in given for n in ast.walk(g) if isinstance(n, ast.Compare)
                and isinstance(n.ops[-1], ast.NotIn) for c in n.comparators[-1:]}
    # also a comprehension's condition (``if not existing.__contains__(content)``): it picks the rows, it gives no value
    skipping |= {id(m) for g in given for n in ast.walk(g) if isinstance(n, ast.comprehension)
                 for condition in n.ifs for m in ast.walk(condition)}
    return any(isinstance(n, ast.Name) and n.id in names and n.lineno > after and id(n) not in skipping
               for g in given for n in ast.walk(g))


MIGRATION_KEYS = ("create_table", "create_primary_key", "create_unique_constraint", "create_index")
SQL_TABLE = re.compile(r"create\s+table\s+(?:if\s+not\s+exists\s+)?([\w.\"]+)\s*\((.*?)\)\s*;", re.I | re.S)
SQL_KEY = re.compile(r"(primary\s+key|\bunique)\s*\([^)]*,[^)]*\)", re.I)
SQL_UNIQUE_INDEX = re.compile(
    r"create\s+unique\s+index\s+(?:if\s+not\s+exists\s+)?\w*\s*on\s+(?:only\s+)?([\w.\"]+)\s*(?:using\s+\w+\s*)?\([^)]*,", re.I)


def _migration_keyed(project: Project, table: str) -> bool:
    """Whether a migration or schema file gives ``table`` a key on client data (see
    :func:`_migration_keys`). Used for raw SQL inserts, which have no model class to read."""
    if "r2.migration_keys" not in project.facts:
        project.facts["r2.migration_keys"] = {db.normalize_table(t) for t in _migration_keys(project)}
    return db.normalize_table(table) in project.facts["r2.migration_keys"]


def _migration_keys(project: Project) -> set[str]:
    """Tables a migration gives a key of several columns (a link row such as
    ``(follower_id, following_id)``, which the same action repeats): an Alembic ``op.create_table``
    with two primary-key columns, a ``PrimaryKeyConstraint`` or ``UniqueConstraint`` of several
    columns, ``op.create_primary_key``/``op.create_unique_constraint``/a unique
    ``op.create_index`` over several columns; in ``.sql`` files ``PRIMARY KEY (a, b)``,
    ``UNIQUE (a, b)`` or ``CREATE UNIQUE INDEX ... ON t (a, b)``. A single unique column is left to
    the model or to the reader: a retried insert then fails instead of returning the first result."""
    keyed: set[str] = set()
    for module in project.modules:
        if not any(name in module.text for name in MIGRATION_KEYS):
            continue
        for call in module.nodes_of(ast.Call):
            verb = (dotted(call.func) or "").split(".")[-1]
            if verb not in MIGRATION_KEYS or not call.args:
                continue
            table = call.args[0] if verb == "create_table" else call.args[1] if len(call.args) > 1 else None
            name = table.value if isinstance(table, ast.Constant) and isinstance(table.value, str) else None
            if name is None:
                continue
            if verb == "create_table":
                parts = [a for a in call.args[1:] if isinstance(a, ast.Call)]
                keys = [a for a in parts if any(k.arg == "primary_key" and isinstance(k.value, ast.Constant)
                                                and k.value.value is True for k in a.keywords)]
                if len(keys) > 1 or any((dotted(a.func) or "").endswith(("UniqueConstraint", "PrimaryKeyConstraint"))
                                        and len(a.args) > 1 for a in parts):
                    keyed.add(name)
                continue
            columns = call.args[2] if len(call.args) > 2 else None
            if not (isinstance(columns, (ast.List, ast.Tuple)) and len(columns.elts) > 1):
                continue
            if verb != "create_index" or any(k.arg == "unique" and isinstance(k.value, ast.Constant)
                                             and k.value.value is True for k in call.keywords):
                keyed.add(name)
    for path in project.sql_files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        keyed |= {m.group(1) for m in SQL_TABLE.finditer(text) if SQL_KEY.search(m.group(2))}
        keyed |= {m.group(1) for m in SQL_UNIQUE_INDEX.finditer(text)}
    return keyed


def _generated_key(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp) -> bool:
    """The insert gives every unique field of its model a value the code computes
    (``File(file_name=file_generate_name(name))``): the key is new on each call, so it does not
    turn a retry into a refusal."""
    db.natural_unique(project, "")
    single = project.facts.get("r2.single_unique", {})
    model = sorted(insert.tables)[0] if insert.tables else ""
    fields = single.get(model)
    if not fields:
        return False
    if _fills_unpacked_keys(fn, insert.call, fields):
        return True
    bodies = [(module, fn)]
    resolved = db.resolve_function(module, project, insert.call, reexports=True) if insert.through else None
    if resolved is not None:
        bodies.append(resolved)
    for owner, body in bodies:
        for node in walk_function_body(body):
            called = dotted(node.func) if isinstance(node, ast.Call) else None
            if called and (called.split(".")[-1] == model or called.endswith(f"{model}.objects.create")):
                given = {k.arg: k.value for k in node.keywords} | _positional_fields(owner, project, node)
                if all(isinstance(given.get(f), ast.Call) or _generated_name(owner, project, body, given.get(f))
                       or _drawn_value(owner, project, body, given.get(f)) for f in fields):
                    return True
    return False


def _positional_fields(module: SourceModule, project: Project, call: ast.Call) -> dict[str, ast.expr]:
    """The fields a model's own ``__init__`` fills from the positional arguments of ``call``
    (``DbPosting(posting_id, ...)`` with ``def __init__(self, posting_id, ...): self.id = posting_id``)."""
    ref = db.project_class(module, project, call.func) if call.args else None
    init = next((f for f in ref[1].body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None) if ref else None
    if init is None:
        return {}
    stored = {node.value.id: t.attr for node in walk_function_body(init) if isinstance(node, ast.Assign)
              and isinstance(node.value, ast.Name) for t in node.targets
              if isinstance(t, ast.Attribute) and dotted(t.value) == "self"}
    parameters = [a.arg for a in init.args.args[1:]]
    return {stored[p]: a for p, a in zip(parameters, call.args) if p in stored}


def _drawn_value(module: SourceModule, project: Project, fn: ast.AST, value: ast.AST | None) -> bool:
    """A name bound to a value drawn at random on the spot (``posting_id = PostingID(generate_uuid7())``, a
    helper of the code base that returns ``uuid7()``)."""
    bound = db.single_binding(fn, value.id) if isinstance(value, ast.Name) else None
    for call in (n for n in ast.walk(bound) if isinstance(n, ast.Call)) if bound is not None else ():
        if db.GENERATOR.search(dotted(call.func) or ""):
            return True
        resolved = db.resolve_function(module, project, call, reexports=True)
        if resolved is not None and any(isinstance(n, ast.Call) and db.GENERATOR.search(dotted(n.func) or "")
                                        for n in walk_function_body(resolved[1])):
            return True
    return False


def _fills_unpacked_keys(fn: ast.AST, call: ast.AST, fields: set[str]) -> bool:
    """The insert takes its values unpacked from a dict (``SearchService.save(**req)``) in which the handler
    sets every unique field to what a call returns (``req["id"] = get_uuid()``, ``uuid4().hex``): a new key on each
    call."""
    unpacked = {k.value.id for k in getattr(call, "keywords", []) if k.arg is None and isinstance(k.value, ast.Name)}
    filled: dict[str, set[str]] = {}

    def generated(value: ast.expr | None) -> bool:  # a call's result, or a key filled so: {"id": req["id"]}
        return value is not None and (any(isinstance(n, ast.Call) for n in ast.walk(value)) or isinstance(
            value, ast.Subscript) and isinstance(value.value, ast.Name) and isinstance(value.slice, ast.Constant)
            and value.slice.value in filled.get(value.value.id, set()))

    for node in sorted((n for n in walk_function_body(fn) if isinstance(n, ast.Assign)), key=lambda n: n.lineno):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and isinstance(
                    target.slice, ast.Constant) and isinstance(target.slice.value, str) and generated(node.value):
                filled.setdefault(target.value.id, set()).add(target.slice.value)
            elif isinstance(target, ast.Name) and isinstance(node.value, ast.Dict):
                filled[target.id] = {k.value for k, v in zip(node.value.keys, node.value.values)
                                     if isinstance(k, ast.Constant) and generated(v)}
    return any(fields <= filled.get(name, set()) for name in unpacked)


def _generated_name(module: SourceModule, project: Project, fn: ast.AST, value: ast.AST | None) -> bool:
    """A name bound to what a helper of the code base returns when that helper draws a random or
    unique value (``slug = await repository.get_available_slug(name)``, which appends
    ``random.choices(...)`` when the plain slug is taken)."""
    if not isinstance(value, ast.Name):
        return False
    bound = db.reaching_binding(module, fn, value) or db.single_binding(fn, value.id)
    bound = bound.value if isinstance(bound, ast.Await) else bound
    resolved = db.resolve_function(module, project, bound, reexports=True) if isinstance(bound, ast.Call) else None
    return resolved is not None and any(isinstance(n, ast.Call) and db.GENERATOR.search(dotted(n.func) or "")
                                        for n in walk_function_body(resolved[1]))


def _replaced(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp, ops: list[db.DbOp]) -> bool:
    """A delete of the same table before the insert: the handler replaces the row (a new reset code
    for the user), so a retry leaves one row, not two. Not a delete in a branch that returns before
    the insert (``if data["_delete"]: <delete>; return``). Also a helper that empties a table object and
    refills it (``conn.execute(table.delete())`` then ``conn.execute(insert(table), rows)``: a restore)."""
    earlier = ops[:next(i for i, op in enumerate(ops) if op is insert)]
    if any(op.kind == db.DELETE and any(db.same_table(a, b) for a in op.tables for b in insert.tables)
           and (op.call is insert.call or not db.never_both(module, fn, op.call, insert.call)) for op in earlier):
        return True
    return bool(insert.through and earlier and earlier[-1].kind == db.DELETE and not earlier[-1].tables
                and _refills_table(module, project, insert.call, 3, set()))


def _refills_table(module: SourceModule, project: Project, call: ast.Call, depth: int, seen: set[int]) -> bool:
    """Whether the helper ``call`` runs (or one it calls, ``depth`` deep) deletes the rows of a table
    object and then inserts into the same object: ``X.delete()`` before ``insert(X)``."""
    resolved = db.resolve_function(module, project, call, reexports=True) if depth > 0 else None
    if resolved is None or id(resolved[1]) in seen:
        return False
    helper_module, helper = resolved
    seen.add(id(helper))
    emptied: set[str] = set()
    for node in walk_function_body(helper):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "delete" and not node.args:
            emptied.add(dotted(node.func.value) or "")
        elif (dotted(node.func) or "").split(".")[-1] == "insert" and node.args and dotted(node.args[0]) in emptied - {""}:
            return True
    return any(_refills_table(helper_module, project, node, depth - 1, seen)
               for node in walk_function_body(helper) if isinstance(node, ast.Call))


def _conflicts_on_nothing(module: SourceModule, project: Project, insert: db.DbOp) -> bool:
    """Django ``bulk_create(rows, ignore_conflicts=True)`` names no conflict target: into a model that
    declares no unique key (invites keyed by a generated id) no row ever conflicts, and a retry inserts
    them all again. Not when the call names its key (``unique_fields=("recipe_id", "user_id")``, also
    in the helper that runs it) or the model is a many-to-many field's own link table
    (``Recipe.shared.through``), which Django makes unique on its pair."""
    return insert.api == "django" and insert.method in ("bulk_create", "abulk_create") and bool(insert.tables) and not (
        _names_conflict_key(module, project, insert.call, 2) or any(
            db.natural_unique(project, table) for table in insert.tables))


def _names_conflict_key(module: SourceModule, project: Project, call: ast.Call, depth: int) -> bool:
    bulk_creates = _bulk_creates(module, project, call, depth)
    return bool(bulk_creates) and all(any(keyword.arg == "unique_fields" for keyword in bulk_create.keywords) or (
        isinstance(model := bulk_create.func.value.value, ast.Attribute) and model.attr == "through")
        for bulk_create in bulk_creates)


def _bulk_creates(module: SourceModule, project: Project, call: ast.Call, depth: int) -> list[ast.Call]:
    """``call`` when it is a ``Model.objects.bulk_create(...)``, else the ones in the helper it runs,
    ``depth`` deep."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in ("bulk_create", "abulk_create"):
        return [call] if isinstance(call.func.value, ast.Attribute) else []
    resolved = db.resolve_function(module, project, call) if depth > 0 else None
    if resolved is None:
        return []
    helper_module, helper = resolved
    return [inner for node in walk_function_body(helper) if isinstance(node, ast.Call)
            for inner in _bulk_creates(helper_module, project, node, depth - 1)]


def _pending_placeholder(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp) -> bool:
    """The row is a pending placeholder that a sweep of the code base deletes once it is old
    (``FileAsset.objects.filter(created_at__lt=cutoff, is_uploaded=False).delete()``, an upload not yet
    linked to its post: ``filter(post__isnull=True, uploaded_at__lt=cutoff)``, also deleted row by
    row) and that the handler, or the helpers that insert it, leave pending (``is_uploaded`` or
    ``post`` is not set): a retry's extra row is never completed and goes away with the sweep."""
    flags = set().union(*(_swept_flags(project).get(t, set()) for t in insert.tables))
    if not flags:
        return False
    flags |= {f"{flag}_id" for flag in flags}  # a link set by its key column
    bodies = [fn, *_helper_bodies(module, project, insert.call, 3, set())] if insert.through else [fn]
    for node in (n for body in bodies for n in walk_function_body(body)):
        if isinstance(node, ast.keyword) and node.arg in flags and not (
                isinstance(node.value, ast.Constant) and node.value.value in (False, None)):
            return False
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr in flags for t in node.targets):
            return False
    return True


TEMPORARY_TABLE = re.compile(r"create\s+(?:global\s+|local\s+)?temp(?:orary)?\s+table\s+(?:if\s+not\s+exists\s+)?"
                             r"[\"`]?(\w+)", re.I)


def _temporary_tables(project: Project) -> set[str]:
    """Tables the code creates as ``CREATE TEMPORARY TABLE``: a session's scratch table (the keys of a bulk
    lookup joined against the stored rows), dropped with the session; its rows create nothing."""
    if "r2.temporary_tables" not in project.facts:
        project.facts["r2.temporary_tables"] = {m.group(1).lower() for module in project.modules
                                                if "temp" in module.text.lower()
                                                for m in TEMPORARY_TABLE.finditer(module.text)}
    return project.facts["r2.temporary_tables"]


EXPIRY_FIELD = re.compile(r"expir|valid_until")


def _expiring_row(project: Project, insert: db.DbOp) -> bool:
    """The insert gives the row an expiry (``CachedFile.objects.create(expires=now() + timedelta(days=1))``)
    that a sweep of the code base deletes it by (``CachedFile.objects.filter(expires__lt=now())``, deleted at
    once or row by row): a temporary upload or cache entry; a retry's extra row is never referenced and goes
    away with the sweep."""
    fields = set().union(*(_swept_expiries(project).get(t, set()) for t in insert.tables))
    return bool(fields) and any(isinstance(n, ast.keyword) and n.arg in fields for n in ast.walk(insert.call))


def _swept_expiries(project: Project) -> dict[str, set[str]]:
    """Model -> its expiry fields (``expires``, ``expires_at``, ``valid_until``) a ``delete()`` removes the
    past rows by (``filter(expires__lt=now())``, ``Model.expires_at < now``)."""
    if "r2.swept_expiries" not in project.facts:
        swept: dict[str, set[str]] = {}
        for module in project.modules:
            if "delete(" not in module.text or not EXPIRY_FIELD.search(module.text):
                continue
            for call in module.nodes_of(ast.Call):
                if not (isinstance(call.func, ast.Attribute) and call.func.attr == "delete" and not call.args):
                    continue
                nodes = list(ast.walk(_deleted_rows(module, call)))
                model = next((n.id for n in nodes if isinstance(n, ast.Name) and n.id[:1].isupper() and n.id != "Q"), None)
                fields = {n.arg.rpartition("__")[0] for n in nodes if isinstance(n, ast.keyword) and n.arg
                          and n.arg.endswith(("__lt", "__lte")) and n.arg.count("__") == 1}
                fields |= {n.left.attr for n in nodes if isinstance(n, ast.Compare) and isinstance(n.left, ast.Attribute)
                           and isinstance(n.ops[0], (ast.Lt, ast.LtE))}
                fields = {f for f in fields if EXPIRY_FIELD.search(f)}
                if model and fields:
                    swept.setdefault(model, set()).update(fields)
        project.facts["r2.swept_expiries"] = swept
    return project.facts["r2.swept_expiries"]


def _helper_bodies(module: SourceModule, project: Project, call: ast.Call, depth: int, seen: set[int]) -> list[ast.AST]:
    """The helper ``call`` runs and those it calls in turn, ``depth`` deep."""
    resolved = db.resolve_function(module, project, call, reexports=True) if depth > 0 else None
    if resolved is None or id(resolved[1]) in seen:
        return []
    helper_module, helper = resolved
    seen.add(id(helper))
    return [helper, *(body for node in walk_function_body(helper) if isinstance(node, ast.Call)
                      for body in _helper_bodies(helper_module, project, node, depth - 1, seen))]


def _swept_flags(project: Project) -> dict[str, set[str]]:
    """Model -> its flags a sweep deletes the old unfinished rows by: a ``delete()`` of rows filtered
    on the flag being false or on a link being null, and on an age (``created_at__lt=...``; in
    SQLAlchemy ``Model.flag.is_(False)`` or ``== False`` with a ``<`` comparison), also a ``delete()``
    of each row of such a query (``for row in stale.iterator(): row.delete()``)."""
    if "r2.swept_flags" not in project.facts:
        swept: dict[str, set[str]] = {}
        for module in project.modules:
            if "delete(" not in module.text:
                continue
            for call in module.nodes_of(ast.Call):
                if isinstance(call.func, ast.Attribute) and call.func.attr == "delete" and not call.args:
                    for model, flag in _unfinished_and_old(_deleted_rows(module, call)):
                        swept.setdefault(model, set()).add(flag)
        project.facts["r2.swept_flags"] = swept
    return project.facts["r2.swept_flags"]


def _deleted_rows(module: SourceModule, delete: ast.Call) -> ast.expr:
    """The query whose rows ``delete`` removes: its receiver, or for ``row.delete()`` in ``for row in
    rows.iterator():`` the query ``rows`` holds."""
    receiver = delete.func.value
    if not isinstance(receiver, ast.Name):
        return delete.func
    loop = next((a for a in ancestors(module, delete) if isinstance(a, ast.For) and isinstance(a.target, ast.Name)
                 and a.target.id == receiver.id), None)
    if loop is None:
        return delete.func
    rows = loop.iter
    while isinstance(rows, ast.Call) and isinstance(rows.func, ast.Attribute):
        rows = rows.func.value  # stale.iterator(50), stale.all()
    holder = next((a for a in ancestors(module, loop) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    bound = db.single_binding(holder, rows.id) if isinstance(rows, ast.Name) and holder is not None else None
    return bound if bound is not None else loop.iter


def _unfinished_and_old(rows: ast.expr) -> set[tuple[str, str]]:
    nodes = list(ast.walk(rows))
    model = next((n.id for n in nodes if isinstance(n, ast.Name) and n.id[:1].isupper() and n.id != "Q"), None)
    aged = any(isinstance(n, ast.keyword) and n.arg and n.arg.endswith(("__lt", "__lte")) or isinstance(
        n, ast.Compare) and isinstance(n.ops[0], (ast.Lt, ast.LtE)) for n in nodes)
    if model is None or not aged:
        return set()
    found = {(model, n.arg) for n in nodes if isinstance(n, ast.keyword) and n.arg and "__" not in n.arg
             and isinstance(n.value, ast.Constant) and n.value.value is False}
    found |= {(model, n.arg.removesuffix("__isnull")) for n in nodes if isinstance(n, ast.keyword) and n.arg
              and n.arg.endswith("__isnull") and n.arg.count("__") == 1
              and isinstance(n.value, ast.Constant) and n.value.value is True}
    for n in nodes:
        if isinstance(n, ast.Compare) and isinstance(n.left, ast.Attribute) and isinstance(n.ops[0], (ast.Eq, ast.Is)) \
                and isinstance(n.comparators[0], ast.Constant) and n.comparators[0].value is False:
            found.add((model, n.left.attr))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "is_" and isinstance(
                n.func.value, ast.Attribute) and n.args and isinstance(n.args[0], ast.Constant) and n.args[0].value is False:
            found.add((model, n.func.value.attr))
    return found


def _created_once(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp) -> bool:
    """The insert cannot run twice for the same target: it is in a ``try`` that catches the unique
    violation, under ``if not owner.relation:`` that it fills (``owner.relation = create(...)``),
    behind a one-to-one guard (``if hasattr(user, "profile"): raise``, here or in the helper that
    inserts), in a set-up step that only runs until the installation is set up, or after an early refusal
    of a repeat (409, "already exists", the target among the owner's rows): a retry creates no second row,
    and the race in that check is R2.check-then-act's."""
    if (db.handles_unique_violation(module, insert.call, fn) or _flushed_under_unique_catch(module, fn, insert.call)) \
            and not _keyless_models(project, insert):
        return True
    if _fills_missing_relation(module, fn, insert.call) or _upsert_offered(module, project, fn, insert.call):
        return True
    if _installation_step(module, fn, insert.call) or _one_to_one_guard(fn, insert.call.lineno) or _refuses_repeats(
            fn, insert.call.lineno) or _refuses_member(fn, insert.call) or _refuses_existing_target(
            module, fn, insert.call.lineno):
        return True
    if _fills_missing_row(module, fn, insert.call) or _looked_up_first(module, project, fn, insert.call, 2):
        return True
    if insert.through:
        resolved = db.resolve_function(module, project, insert.call)
        return resolved is not None and (_one_to_one_guard(resolved[1], None) or _fills_missing_row(
            *resolved, None) or _helper_refuses_repeats(project, *resolved, insert))
    return False


def _helper_refuses_repeats(project: Project, helper_module: SourceModule, helper: ast.AST, insert: db.DbOp) -> bool:
    """The helper that inserts refuses a repeat before each of its inserts of the table (``if
    team.member_set.filter(user=user).exists(): raise ValidationError("Member already exists")``):
    a retry gets the error, whatever lookup the check makes; also before the call of the helper it inserts
    through in turn (a service refusing a stored document with a 409 before the store writes it)."""
    made = [op for op in db.expanded_ops(helper_module, project, helper) if op.kind == db.INSERT
            and (op.tables & insert.tables or not insert.tables)]
    return bool(made) and all(_refuses_repeats(helper, op.call.lineno) for op in made)


LOOKUP = re.compile(r"^(get_by\w*|first|one_or_none|scalar_one_or_none|scalar|one|get|get_or_none|find_one|exists)$")
CREATE = re.compile(r"^(create\w*|add|save|insert\w*)$")
COPYING = {"clone", "duplicate"}  # a model method that stores a copy of its row (``source_env.clone(name)``)


def _looked_up_first(module: SourceModule, project: Project, fn: ast.AST, call: ast.AST, depth: int,
                     caller: ast.Call | None = None) -> bool:
    """The insert is decided by a lookup of the same model filtered by the caller's values
    (``scene = Entity.get_by(name=name, ...)`` then ``if scene is None: scene = Entity.create(...)``,
    or ``if found: raise`` before it), here or in the helper that inserts (``depth`` deep): a
    sequential retry finds the row and changes nothing. Not when the branch that finds it adds to
    the row (``found.duration + duration``): a retry counts twice."""
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in (
            "get_or_create", "first_or_create", "get_or_insert"):
        return True  # a project's own get-or-create: the lookup and the insert in one helper
    if _made_when_not_in(module, fn, call) or _made_when_not_found(module, fn, call) or _fills_missing_row(
            module, fn, call) or _found_or_built(fn, call) or _replaces_found(module, fn, call):
        return True
    model = _created_model(module, fn, call)
    if model and _lookup_guards(module, fn, call, model, caller):
        return True
    # a model's own classmethod (``Document.save(collection, content_hash=...)``) is followed like any helper
    resolved = db.resolve_function(module, project, call, reexports=True) if depth > 0 and isinstance(call, ast.Call) else None
    if resolved is None:
        return False
    helper_module, helper = resolved
    inserts = [op for op in db.expanded_ops(helper_module, project, helper) if op.kind == db.INSERT and not op.upsert
               and not any(_records(t) or CREDENTIAL.search(t) for t in op.tables)]
    return bool(inserts) and all(_looked_up_first(helper_module, project, helper, op.call, depth - 1, call)
                                 for op in inserts)


def _found_or_built(fn: ast.AST, call: ast.AST) -> bool:
    """``session.add(row)`` of the row a lookup found, or of a new one built only where it found none
    (``permission = cls.by_collection_role(collection, role)`` / ``if permission is None: permission =
    Permission()`` / ``db.session.add(permission)``): adding the found row updates it, so a retry
    changes the row the first request made (a find-or-create by the caller's key)."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "add"
            and len(call.args) == 1 and isinstance(call.args[0], ast.Name)):
        return False
    name = call.args[0].id
    bindings = [n for n in walk_function_body(fn) if isinstance(n, ast.Assign) and n.lineno < call.lineno
                and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
    built = [b for b in bindings if _constructor(b.value)]
    looked_up = [b for b in bindings if b not in built and isinstance(b.value, (ast.Call, ast.Await))]
    if not built or not looked_up or len(built) + len(looked_up) < len(bindings):
        return False
    missing_branches = [missing for node in walk_function_body(fn) if isinstance(node, ast.If)
                        for tested, _, missing in [_tested_branches(node)]
                        if isinstance(tested, ast.Name) and tested.id == name]
    return all(any(n is b for branch in missing_branches for s in branch for n in ast.walk(s)) for b in built)


def _replaces_found(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """The insert runs after a lookup of the same class whose found branch answers with the row or
    deletes it (``existing = cls.by_entity_id(entityset, entity_id)`` / ``if existing is not None: if
    existing.judgement == judgement: return existing`` / ``existing.delete()`` / then ``add(cls(...))``):
    a replace, so a retry finds the row the first request made."""
    made = call.args[0] if isinstance(call, ast.Call) and len(call.args) == 1 else None
    if isinstance(made, ast.Name):
        made = db.reaching_binding(module, fn, made) or db.single_binding(fn, made.id)
    if not _constructor(made):
        return False
    for node in walk_function_body(fn):
        if not isinstance(node, ast.If) or node.lineno >= call.lineno or any(n is call for n in ast.walk(node)):
            continue
        tested, present, missing = _tested_branches(node)
        lookup = db.single_binding(fn, tested.id) if isinstance(tested, ast.Name) else None
        if missing or not present or not isinstance(lookup, ast.Call) or not isinstance(lookup.func, ast.Attribute) \
                or (dotted(lookup.func.value) or "").split(".")[0] != dotted(made.func):
            continue
        last = present[-1]
        if isinstance(last, (ast.Raise, ast.Return)) or isinstance(last, ast.Expr) and isinstance(
                last.value, ast.Call) and (dotted(last.value.func) or "").endswith(
                (f"{tested.id}.delete", "session.delete")):
            return True
    return False


def _constructor(value: ast.AST | None) -> bool:
    """``Permission()``, ``cls(entity_id=...)``: a new instance of a class."""
    return isinstance(value, ast.Call) and ((dotted(value.func) or "").split(".")[-1][:1].isupper()
                                            or dotted(value.func) == "cls")


def _made_when_not_in(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """The insert runs only for a key missing from the rows the function holds (``if user.id in
    member_by_user_id: <update the role>`` / ``else: add_member(...)``): a retry finds the member
    and updates it. The collection is bound once from what exists, not a constant (``if kind in
    ALLOWED:``) nor a set the request fills as it goes (``seen = set()``)."""
    child = call
    for parent in ancestors(module, call):
        if parent is fn:
            return False
        test = parent.test if isinstance(parent, ast.If) else None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Name) \
                and _holds_existing(db.single_binding(fn, test.comparators[0].id)):
            in_body = any(s is child for s in parent.body)
            if isinstance(test.ops[0], ast.NotIn) and in_body or isinstance(test.ops[0], ast.In) and not in_body:
                return True
        child = parent
    return False


def _made_when_not_found(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """The insert runs only when a search of the existing rows found no match: ``for attribute in
    sketch.attributes: if attribute.name == name: update = True; break`` then ``if update: <update>`` /
    ``else: add(Attribute(...))``. A retry finds the row the first request made."""
    child = call
    for parent in ancestors(module, call):
        if parent is fn:
            return False
        test = parent.test if isinstance(parent, ast.If) else None
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        flag = test.operand if negated else test
        if isinstance(flag, ast.Name) and _set_by_search(module, fn, flag.id):
            in_body = any(s is child for s in parent.body)
            if in_body == negated:
                return True
        child = parent
    return False


def _set_by_search(module: SourceModule, fn: ast.AST, name: str) -> bool:
    """``name`` starts false (``False``/``None``) and is set only in a loop over a collection, under a test
    of the loop's item (``if item.name == name:``): it says whether a matching row exists."""
    starts, found = False, False
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Assign) or not any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            continue
        if isinstance(node.value, ast.Constant) and node.value.value in (False, None):
            starts = True
            continue
        enclosing = list(takewhile(lambda p: p is not fn, ancestors(module, node)))  # innermost first
        loop = next((p for p in enclosing if isinstance(p, (ast.For, ast.AsyncFor))), None)
        item = loop.target.id if loop is not None and isinstance(loop.target, ast.Name) else None
        if item is None or not any(isinstance(p, ast.If) and any(isinstance(n, ast.Name) and n.id == item
                                                                 for n in ast.walk(p.test))
                                   for p in enclosing):
            return False
        found = True
    return starts and found


def _holds_existing(bound: ast.expr | None) -> bool:
    if isinstance(bound, (ast.DictComp, ast.SetComp, ast.ListComp)):
        return True
    return isinstance(bound, ast.Call) and bool(bound.args or bound.keywords) or isinstance(bound, ast.Await)


def _created_model(module: SourceModule, fn: ast.AST, call: ast.AST) -> str | None:
    """``Entity`` of ``Entity.create(...)``, ``Entity.objects.create(...)``, ``session.add(Entity(...))``
    or ``session.add(link)`` after ``link = Entity(...)``."""
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute) or not CREATE.match(call.func.attr):
        return None
    if call.func.attr == "add" and call.args:
        made = call.args[0]
        if isinstance(made, ast.Name):
            made = db.reaching_binding(module, fn, made) or db.single_binding(fn, made.id)
        return _model_name(made.func) if isinstance(made, ast.Call) else None
    return _model_name(call.func.value)


def _model_name(node: ast.AST) -> str | None:
    name = (dotted(node) or "").split(".")
    name = [part for part in name if part != "objects"]
    return name[-1] if name and name[-1][:1].isupper() else None


def _lookup_model(value: ast.AST, fn: ast.AST | None = None) -> str | None:
    """The model a lookup call reads: ``Entity.get_by(name=name)``, ``Entity.query.filter_by(...).first()``,
    ``Entity.objects.filter(...).first()``, ``session.scalar(select(Entity).where(...))``, also an
    unfiltered ``Organisation.query.first()`` before creating the one row of a singleton, and
    ``existing.get(key)`` from a dict built over such a read (``{l.kind_id: l for l in Link.query...}``)."""
    value = value.value if isinstance(value, ast.Await) else value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and LOOKUP.match(value.func.attr)):
        return None
    if isinstance(value.func.value, ast.Name) and fn is not None:  # existing.get(key) over {k: row for row in M.query...}
        rows = db.single_binding(fn, value.func.value.id)
        if isinstance(rows, ast.DictComp):
            value = rows.generators[0].iter
        elif isinstance(rows, ast.Call):  # links = Link.objects.filter(...) then links.exists()
            value = rows
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id[:1].isupper():
            return node.id
    # the statement built beforehand: stmt = select(Entity).filter_by(name=name) / session.execute(stmt).first()
    statements = [db.single_binding(fn, n.id) for n in ast.walk(value) if isinstance(n, ast.Name)] if fn else []
    return next((_statement_model(s) for s in statements if _statement_model(s)), None)


def _statement_model(statement: ast.expr | None) -> str | None:
    """``Entity`` of a query built as ``select(Entity)...`` or ``select(Entity.id)``."""
    for node in ast.walk(statement) if isinstance(statement, ast.Call) else ():
        if isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] == "select" and node.args:
            selected = node.args[0]
            return _model_name(selected) or (_model_name(selected.value) if isinstance(selected, ast.Attribute) else None)
    return None


def _counted_key(fn: ast.AST, lookup: ast.AST) -> bool:
    """The lookup filters by a number the function counts up (``revision = last["revision"] + 1``):
    a retry computes the next number and finds nothing, so the lookup refuses no repeat."""
    names = {n.id for n in ast.walk(lookup) if isinstance(n, ast.Name)}
    return any(isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id in names
               or isinstance(n, ast.Assign) and isinstance(n.value, ast.BinOp) and isinstance(n.value.op, ast.Add)
               and any(isinstance(t, ast.Name) and t.id in names for t in n.targets) for n in walk_function_body(fn))


def _adds_to(module: SourceModule, fn: ast.AST, present: list[ast.stmt], found: str, caller: ast.Call | None) -> bool:
    """The branch that finds the row adds to it (``found.duration + duration``, ``+=``), unless that
    step sits under ``if add:`` on a parameter the caller leaves false (``add=False`` by default)."""
    for node in ast.walk(ast.Module(body=present, type_ignores=[])):
        if not (isinstance(node, ast.AugAssign) or isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
                and any(isinstance(m, ast.Name) and m.id == found for m in ast.walk(node))):
            continue
        flags = [a.test.id for a in ancestors(module, node) if isinstance(a, ast.If) and isinstance(a.test, ast.Name)
                 and any(n is node for n in ast.walk(ast.Module(body=a.body, type_ignores=[])))]
        if not any(_left_false(fn, flag, caller) for flag in flags):
            return True
    return False


def _left_false(fn: ast.AST, name: str, caller: ast.Call | None) -> bool:
    """Whether parameter ``name`` of ``fn`` is false for ``caller``: not passed and false by default,
    or passed as a false constant."""
    arguments = getattr(fn, "args", None)
    if caller is None or arguments is None:
        return False
    positional = [*arguments.posonlyargs, *arguments.args]
    names = [a.arg for a in positional]
    if name not in names and name not in [a.arg for a in arguments.kwonlyargs]:
        return False
    given = next((k.value for k in caller.keywords if k.arg == name), None)
    if given is None and name in names:
        index = names.index(name) - (1 if names and names[0] in ("self", "cls") else 0)
        given = caller.args[index] if 0 <= index < len(caller.args) else None
        if any(isinstance(a, ast.Starred) for a in caller.args[:index + 1]) or any(k.arg is None for k in caller.keywords):
            return False
    if given is None:
        defaults = dict(zip(names[len(names) - len(arguments.defaults):], arguments.defaults))
        defaults.update({a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None})
        given = defaults.get(name)
    return isinstance(given, ast.Constant) and not given.value


def _lookup_guards(module: SourceModule, fn: ast.AST, call: ast.AST, model: str, caller: ast.Call | None) -> bool:
    inside = {id(a) for a in ancestors(module, call)}
    for node, present, missing, found in _lookup_branches(module, fn, call, model):
        if _adds_to(module, fn, present, found, caller):
            continue  # the found row is added to: a retry counts twice
        if id(node) in inside and any(id(s) in inside for s in missing):
            return True
        if id(node) not in inside and present and isinstance(present[-1], (ast.Raise, ast.Return)) and not missing:
            return True  # answers with the row found, or refuses the repeat
    return False


def _counts_again(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp) -> bool:
    """The insert is the missing branch of a get-or-update whose found branch adds to the row
    (``found.duration + duration`` under ``if add:`` that the caller sets), here or in the helper
    that inserts: a retry finds the row and counts the same amount again, whatever unique key
    refuses a second insert."""
    if insert.through is None:
        model = _created_model(module, fn, insert.call)
        return bool(model) and _adds_to_found(module, fn, insert.call, model, None)
    resolved = db.resolve_function(module, project, insert.call, reexports=True)
    if resolved is None:
        return False
    helper_module, helper = resolved
    for inner in db.function_ops(helper_module, helper, project) + [
            op for op in db.expanded_ops(helper_module, project, helper, depth=1) if op.through]:
        model = _created_model(helper_module, helper, inner.call) if inner.kind == db.INSERT else None
        if model and _adds_to_found(helper_module, helper, inner.call, model, insert.call):
            return True
    return False


def _adds_to_found(module: SourceModule, fn: ast.AST, call: ast.AST, model: str, caller: ast.Call | None) -> bool:
    inside = {id(a) for a in ancestors(module, call)}
    return any(id(node) in inside and any(id(s) in inside for s in missing) and _adds_to(
        module, fn, present, found, caller) for node, present, missing, found in _lookup_branches(module, fn, call, model))


def _lookup_branches(module: SourceModule, fn: ast.AST, call: ast.AST, model: str) -> Iterator[tuple[ast.If, list[ast.stmt], list[ast.stmt], str]]:
    """The ``if`` statements before ``call`` that test a row looked up of ``model`` (``found =
    Entity.get_by(...)``): (the ``if``, the branch where it was found, the branch where it was not,
    its name)."""
    found: set[str] = set()
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.lineno < call.lineno and _lookup_model(node.value, fn) == model and not _counted_key(fn, node.value) \
                and not _looked_up_on_one_branch(module, fn, node.value, call):
            found.add(node.targets[0].id)
    if not found:
        return
    for node in walk_function_body(fn):
        if not isinstance(node, ast.If) or node.lineno >= call.lineno:
            continue
        test, present, missing = _tested_branches(node)
        if isinstance(test, ast.Name) and test.id in found:
            yield node, present, missing, test.id


def _fills_missing_row(module: SourceModule, fn: ast.AST, call: ast.AST | None) -> bool:
    """A set-state action: the row of an owner's relation is created only in the branch where the
    owner has none (``if source.star: source.star.starred = True / else: add(SourceStar(source))``,
    ``if not user.settings: add(Settings(user_id=user.id))``, ``owner = self.record.owners.first()`` /
    ``if not owner: add(Owner(record_id=self.record.id, ...))``); the next call finds it and changes it
    or answers that it is there. ``call`` is the insert, or None to accept any such branch of a helper."""
    inside = {id(a) for a in ancestors(module, call)} | {id(call)} if call is not None else None
    for node in walk_function_body(fn):
        if not isinstance(node, ast.If) or (inside is not None and id(node) not in inside):
            continue
        test, missing_branch = node.test, node.orelse
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, missing_branch = test.operand, node.body
        elif isinstance(test, ast.Compare) and len(test.ops) == 1 and is_none(test.comparators[0]):
            missing_branch = node.body if isinstance(test.ops[0], ast.Is) else node.orelse
            test = test.left
        if isinstance(test, ast.Name):
            test = _looked_up_relation(db.single_binding(fn, test.id))
        owner = dotted(test.value) if isinstance(test, ast.Attribute) else None
        if not owner or not missing_branch:
            continue
        branch = ast.Module(body=missing_branch, type_ignores=[])
        if inside is not None and not any(id(s) in inside for s in missing_branch):
            continue
        for made in (n for n in ast.walk(branch) if isinstance(n, ast.Call) and (dotted(n.func) or "").split(".")[-1][:1].isupper()):
            given = [*made.args, *(k.value for k in made.keywords)]
            if any(dotted(g) == owner or (dotted(g) or "").startswith(f"{owner}.") for g in given):
                return True
    return False


def _looked_up_relation(value: ast.expr | None) -> ast.Attribute | None:
    """``container.owners`` of ``container.owners.first()`` or of ``self.owner``: the row found through
    the owner's relation, to be tested as ``if not owner:``."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and LOOKUP.match(value.func.attr) \
            and not value.args:
        value = value.func.value
    relation = dotted(value) if isinstance(value, ast.Attribute) else None
    return value if relation and not relation[:1].isupper() else None


def _fills_missing_relation(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    statement = next((a for a in ancestors(module, call) if isinstance(a, ast.stmt)), None)
    if not isinstance(statement, ast.Assign):
        return False
    filled = {dotted(t) for t in statement.targets if isinstance(t, ast.Attribute)} - {None}
    for parent in ancestors(module, call):
        if parent is fn:
            break
        if isinstance(parent, ast.If):
            test = parent.test
            missing = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else (
                test.left if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Is) and is_none(
                    test.comparators[0]) else None)
            if missing is not None and dotted(missing) in filled:
                return True
    return False


FLUSHES = {"flush", "commit", "save", "full_clean"}


def _keyless_models(project: Project, insert: db.DbOp) -> bool:
    """The insert writes model classes of the code base that declare no unique key on client data, in the
    class nor in a migration (``Comment(user_id=..., workout_id=..., text=...)``): a ``try`` catching
    ``IntegrityError`` around it handles other failures; no repeat can violate a key."""
    bases = db.class_bases(project)
    return bool(insert.tables) and insert.sql is None and all(
        t in bases and not db.natural_unique(project, t) and not any(
            _migration_keyed(project, name) for name in _table_names(project, t)) for t in insert.tables)


def _table_names(project: Project, model: str) -> set[str]:
    """The names the table of ``model`` may have: its ``__tablename__``/``db_table``, its name in snake case,
    with and without a plural ``s``."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model).lower()
    names = {model, snake, f"{snake}s", model.lower(), f"{model.lower()}s"}
    for module in project.modules:
        if model not in module.text:
            continue
        for cls in module.nodes_of(ast.ClassDef):
            if cls.name == model:
                names |= {n.value.value for n in ast.walk(cls) if isinstance(n, ast.Assign) and isinstance(
                    n.value, ast.Constant) and isinstance(n.value.value, str) and any(
                    isinstance(t, ast.Name) and t.id in ("__tablename__", "db_table", "table_name") for t in n.targets)}
    return names


def _flushed_under_unique_catch(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """The pending insert is flushed in a ``try`` that catches the unique violation (``session.add(label)``
    then ``try: await session.flush()`` / ``except IntegrityError: raise HTTPException(409)``): a unique
    key on the name refuses the retry, and the handler answers it as a conflict."""
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Try) or node.lineno <= call.lineno:
            continue
        caught = [t for h in node.handlers if h.type is not None
                  for t in (h.type.elts if isinstance(h.type, ast.Tuple) else [h.type])]
        if any((qualified(module, t) or dotted(t) or "").split(".")[-1] in db.UNIQUE_VIOLATIONS for t in caught) and any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in FLUSHES
                for statement in node.body for n in ast.walk(statement)):
            return True
    return False


UPSERT_CALL = re.compile(r"upsert|on_conflict|update_or_create|get_or_create", re.I)


def _upsert_offered(module: SourceModule, project: Project, fn: ast.AST, call: ast.AST) -> bool:
    """The insert is the other branch of an upsert the client chooses (``if body.identifier:
    insert_on_conflict(...)`` / ``else: insert(...)``): a client that wants retries to be safe sends
    its identifier, and appending without one is the endpoint's documented behaviour."""
    upserts = {id(op.call) for op in db.function_ops(module, fn, project) if op.upsert}
    child = call
    for parent in ancestors(module, call):
        if parent is fn:
            return False
        if isinstance(parent, ast.If) and parent.orelse:
            other = parent.orelse if any(s is child for s in parent.body) else parent.body
            if any(isinstance(n, ast.Call) and (id(n) in upserts or UPSERT_CALL.search(dotted(n.func) or ""))
                   for statement in other for n in ast.walk(statement)):
                return True
        child = parent
    return False


def _one_to_one_guard(fn: ast.AST, before_line: int | None) -> bool:
    """``if hasattr(user, "two_factor"): raise/return`` -- Django's reverse one-to-one accessor
    raises when the row is missing, so ``hasattr`` is how code asks whether it exists."""
    for node in walk_function_body(fn):
        if isinstance(node, ast.If) and (before_line is None or node.lineno < before_line) and isinstance(
                node.test, ast.Call) and isinstance(node.test.func, ast.Name) and node.test.func.id == "hasattr" \
                and node.body and isinstance(node.body[-1], (ast.Raise, ast.Return)):
            return True
    return False


def _refuses_repeats(fn: ast.AST, before_line: int) -> bool:
    """An early exit before the insert that answers 409 Conflict or 429 Too Many Requests, or says the row
    already exists: the handler checks for a repeat (whatever the check reads) and refuses it, under an
    ``if`` or after a lookup in a ``try`` whose ``except`` lets the missing row through (``try:
    get_config(org)`` / ``raise request_error("already exists")`` / ``except NotFound: pass``)."""
    for node in walk_function_body(fn):
        branch = node.body if isinstance(node, ast.If) or isinstance(node, ast.Try) and node.handlers else []
        if branch and node.lineno < before_line and _refuses(branch, set()) and any(
                _repeat_status(n) for n in ast.walk(branch[-1])):
            return True
    return False


def _refuses_member(fn: ast.AST, insert: ast.Call) -> bool:
    """An early exit before the insert when the target is already among the owner's stored ones
    (``if agreement.id in request.user.agreements: raise PermissionDenied("already accepted")``), the
    target being one the insert is given: a retry is refused as a repeat."""
    given = {n.id for argument in [*insert.args, *(k.value for k in insert.keywords)]
             for n in ast.walk(argument) if isinstance(n, ast.Name)}
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.If) and node.lineno < insert.lineno and node.body
                and isinstance(node.body[-1], (ast.Raise, ast.Return))):
            continue
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In) and isinstance(
                test.comparators[0], ast.Attribute) and not test.comparators[0].attr.isupper() and _identity_of(
                test.left, given):
            return True
    return False


def _identity_of(value: ast.expr, names: set[str]) -> bool:
    """``agreement`` or its key (``agreement.id``, ``.pk``, ``.user_id``) for a name among ``names``; not
    another property of it (``upload.content_type`` in a list of forbidden types)."""
    if isinstance(value, ast.Attribute) and (value.attr in ("id", "pk") or value.attr.endswith("_id")):
        value = value.value
    return isinstance(value, ast.Name) and value.id in names


def _refuses_existing_target(module: SourceModule, fn: ast.AST, before_line: int) -> bool:
    """An early exit before the insert when the object the request names exists already (``user =
    User(username, realm=realm)`` / ``if user.exist(): raise RegistrationError("already registered")``):
    a retry is refused. Not an ``exists()`` of a query (``bans.exists()``), which may test anything."""
    for node in walk_function_body(fn):
        test = node.test if isinstance(node, ast.If) and node.lineno < before_line and node.body and isinstance(
            node.body[-1], (ast.Raise, ast.Return)) else None
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in ("exist", "exists") \
                and isinstance(test.func.value, ast.Name):
            target = test.func.value
            built = db.reaching_binding(module, fn, target) or db.single_binding(fn, target.id)
            if isinstance(built, ast.Call) and (dotted(built.func) or "").split(".")[-1][:1].isupper() and (
                    built.args or built.keywords):
                return True
    return False


REPEAT_MESSAGE = re.compile(r"already exists?\b|\bduplicated?\b", re.I)


def _repeat_status(node: ast.AST) -> bool:
    """409/429 (``CONFLICT``), or a message saying the row is a repeat (``f"{title} already exists."``,
    ``"Duplicated MCP server name."``)."""
    if isinstance(node, ast.Constant):
        return node.value in (409, 429) and not isinstance(node.value, bool) or isinstance(
            node.value, str) and bool(REPEAT_MESSAGE.search(node.value))
    name = dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    return bool(name and REPEAT_STATUS.search(name.split(".")[-1]))


def _installation_step(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """Under ``if not is_setup():`` (``installed``, ``initialized``, ``configured``): a set-up wizard
    that turns itself off once it has run."""
    for parent in ancestors(module, call):
        if parent is fn:
            break
        test = getattr(parent, "test", None) if isinstance(parent, ast.If) else None
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call) \
                and not test.operand.args and INSTALLATION_STATE.search(dotted(test.operand.func) or ""):
            return True
    return False


def _moves_out_of_state(module: SourceModule, project: Project, fn: ast.AST, insert: db.DbOp) -> bool:
    """The insert runs only while the object the handler acts on is in a state that the same code leaves:
    ``if job.is_running: return Response(204)`` then ``job.is_running = True`` before the insert (in the
    handler or in the helper of the code base it goes through), or the insert under ``if job.is_running:``
    that sets ``job.is_running = False``. A retry finds the object in its new state and inserts nothing: an
    enable or disable action on one object, not a create."""
    if _state_guarded(fn, insert.call) or _refused_in_state(module, project, fn, insert.call):
        return True
    resolved = db.resolve_function(module, project, insert.call, reexports=True) if insert.through else None
    return resolved is not None and _state_guarded(resolved[1], None)


def _refused_in_state(module: SourceModule, project: Project, fn: ast.AST, insert: ast.AST) -> bool:
    """Before the insert, which is handed the object (``self._apply_issue_action(issue, "resolve")``), the handler
    refuses that object in a state the code base moves objects into: ``if not issue.is_muted: raise
    ValidationError(...)`` where some code sets ``issue.is_muted = False``, also in a helper of the code base it
    hands the object to (``self._assert_unresolved(issue)`` / ``if issue.is_resolved: raise ...``, and
    ``issue.is_resolved = True`` elsewhere). A state transition: its retry is refused, not recorded twice."""
    handed = {n.id for n in ast.walk(insert) if isinstance(n, ast.Name)}
    on_the_way = {id(a) for a in ancestors(module, insert)}
    states = _states_set_by(module, project, fn, 3, set())
    for statement in walk_function_body(fn):
        if not isinstance(statement, (ast.If, ast.Expr)) or statement.lineno >= insert.lineno or id(
                module.parents.get(statement)) not in on_the_way:
            continue
        if isinstance(statement, ast.If):
            if _refuses_state(project, statement, handed, states):
                return True
            continue
        call = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
        resolved = db.resolve_function(module, project, call, reexports=True) if isinstance(call, ast.Call) else None
        if resolved is None:
            continue
        helper = resolved[1]
        arguments = {a.arg: db._argument_for(call, helper, a.arg) for a in helper.args.args}
        parameters = {name for name, argument in arguments.items()
                      if isinstance(argument, ast.Name) and argument.id in handed}
        if any(isinstance(n, ast.If) and _refuses_state(project, n, parameters, states) for n in walk_function_body(helper)):
            return True
    return False


def _refuses_state(project: Project, guard: ast.If, objects: set[str], states: set[tuple[str, bool]]) -> bool:
    """``guard`` raises or returns when one of ``objects`` is in a state (``obj.is_resolved`` true, ``not
    obj.is_muted``) that the code base sets (``obj.is_resolved = True``, ``obj.is_muted = False``) in the
    handler or the code it calls (``states``): a lock of the topic, set by another action, is a
    precondition of a reply, not the state the reply moves it into."""
    tests = guard.test.values if isinstance(guard.test, ast.BoolOp) and isinstance(guard.test.op, ast.Or) else [
        guard.test]
    for test in tests:
        value = not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not))
        tested = test if value else test.operand
        if isinstance(tested, ast.Attribute) and isinstance(tested.value, ast.Name) and tested.value.id in objects \
                and (tested.attr, value) in states and _refuses(guard.body, set()):
            return True
    return False


def _states_set_by(module: SourceModule, project: Project, fn: ast.AST, depth: int, seen: set[int]) -> set[tuple[str, bool]]:
    """(attribute, value) of the flags ``fn`` and the functions of the code base it calls (``depth`` calls deep)
    set: ``issue.is_resolved = True``."""
    if id(fn) in seen:
        return set()
    seen.add(id(fn))
    found = {(target.attr, node.value.value) for node in walk_function_body(fn) if isinstance(node, ast.Assign)
             and isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool)
             for target in node.targets if isinstance(target, ast.Attribute)}
    if depth > 0:
        for call in (n for n in walk_function_body(fn) if isinstance(n, ast.Call)):
            resolved = db.resolve_function(module, project, call, reexports=True)
            if resolved is not None:
                found |= _states_set_by(resolved[0], project, resolved[1], depth - 1, seen)
    return found & _states_set(project)


def _states_set(project: Project) -> set[tuple[str, bool]]:
    """(attribute, value) of the flags the code base sets: ``issue.is_resolved = True``."""
    if "r2.states_set" not in project.facts:
        project.facts["r2.states_set"] = {
            (target.attr, node.value.value) for module in project.modules for node in module.nodes_of(ast.Assign)
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool)
            for target in node.targets if isinstance(target, ast.Attribute)}
    return project.facts["r2.states_set"]


def _state_guarded(fn: ast.AST, insert: ast.AST | None) -> bool:
    """An ``if`` testing ``obj.attr`` that returns or raises (or holds ``insert``), with ``obj.attr =`` set
    after the test, in ``fn``."""
    assigned = [(dotted(t), node.lineno) for node in walk_function_body(fn) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                and t.value.id not in ("self", "cls")]
    for node in walk_function_body(fn):
        if not isinstance(node, ast.If):
            continue
        tested = {dotted(n) for n in ast.walk(node.test) if isinstance(n, ast.Attribute)}
        body = [n for statement in node.body for n in ast.walk(statement)]
        if any(name in tested and line > node.lineno for name, line in assigned) and (
                any(isinstance(n, (ast.Return, ast.Raise)) for n in body) or any(n is insert for n in body)):
            return True
    return False


def _first_insert(module: SourceModule, project: Project, fn: ast.AST
                  ) -> tuple[str, ast.AST, str | None, Confidence, bool] | None:
    """(table, node, helper, confidence, whether the write is a get-or-update that adds to the row it
    finds) of the first insert a retry repeats."""
    ops = db.with_wrapper_writes(module, project, fn, _with_reexported_helpers(module, project, fn))
    inserts, guarded, counting = [], False, set()
    for op in ops:
        if op.kind != db.INSERT or op.upsert and not _conflicts_on_nothing(module, project, op) or any(
                _records(t) or CREDENTIAL.search(t) for t in op.tables):
            continue
        if _pending_placeholder(module, project, fn, op) or _expiring_row(project, op) or _moves_out_of_state(
                module, project, fn, op) or (
                op.tables and {t.lower() for t in op.tables} <= _temporary_tables(project)):
            continue
        if _counts_again(module, project, fn, op):
            if not guarded:
                inserts.append(op)
                counting.add(id(op))
        elif _deduplicated(module, project, fn, op, ops) or _replaced(module, project, fn, op, ops) or _created_once(
                module, project, fn, op) or _loops_over_missing(module, fn, op) or (
                op.tables and all(db.natural_unique(project, t) for t in op.tables)
                and not _generated_key(module, project, fn, op)) or (
                op.sql is not None and op.tables and all(_migration_keyed(project, t) for t in op.tables)):
            # the rows inserted after it belong to it: a retry is refused before reaching them; not after
            # a get-or-create of a shared row (the triage state), which goes on to the inserts after it
            guarded = guarded or not _made_when_missing(module, fn, op.call)
        elif not guarded:
            inserts.append(op)
    if inserts:
        op = inserts[0]
        table = sorted(op.tables)[0] if op.tables else "a table"
        confidence = Confidence.medium if op.through or op.api != "sql" else Confidence.high
        return table, op.call, op.through, confidence, id(op) in counting
    forms = _creating_model_forms(project, fn)
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        saved = _saved_serializer(module, fn, node)
        serializer = _created_serializer(module, fn, saved) if saved is not None else None
        if serializer and (serializer in _meta_models(project) or _plain_serializer_inserts(project, serializer)):
            model = _meta_models(project).get(serializer, "")
            if not _saved_once(module, project, fn, node, model, ops) and not _refuses_existing(
                    project, serializer, model) and not _library_keyed_form(project, serializer) and not (
                    _create_repeats_nothing(project, serializer)) and not _list_save_inserts_nothing(
                    module, project, fn, saved, serializer):
                return f"the model of {serializer}", node, None, Confidence.medium, False
        owner = dotted(node.func.value)
        if node.func.attr == "save" and owner in forms and not any(k.arg == "commit" for k in node.keywords) and not _saved_once(
                module, project, fn, node, forms[owner], ops):
            return forms[owner], node, None, Confidence.medium, False
    return None


def _loops_over_missing(module: SourceModule, fn: ast.AST, insert: db.DbOp) -> bool:
    """The insert runs in a loop over rows that leave out those the inserted table already holds
    (``for kind in Kind.objects.exclude(id__in=user.credits.filter(year=y).values("kind"))``, the
    subquery perhaps held in a name): a retry finds every row made and inserts nothing."""
    model = sorted(insert.tables)[0] if len(insert.tables) == 1 else None
    if model is None:
        return False
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model).lower()
    for loop in (a for a in takewhile(lambda a: a is not fn, ancestors(module, insert.call))
                 if isinstance(a, (ast.For, ast.AsyncFor))):
        rows = loop.iter
        if isinstance(rows, ast.Name):
            rows = db.single_binding(fn, rows.id)
        for call in (n for n in ast.walk(rows) if isinstance(n, ast.Call)) if rows is not None else ():
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "exclude"):
                continue
            for keyword in (k for k in call.keywords if (k.arg or "").endswith("__in")):
                held = keyword.value
                names = [n.id for n in ast.walk(held) if isinstance(n, ast.Name)]
                subqueries = [held, *(db.single_binding(fn, n) for n in names)]
                if any(isinstance(n, ast.Name) and n.id == model or isinstance(n, ast.Attribute) and n.attr in (
                        snake, f"{snake}s", f"{snake}_set") for q in subqueries if q is not None for n in ast.walk(q)):
                    return True
    return False


def _saved_serializer(module: SourceModule, fn: ast.AST, call: ast.Call) -> ast.expr | None:
    """The serializer that ``call`` saves: ``serializer.save()``, or ``self.perform_create(serializer)`` in a
    DRF view, whose default (or own, unless it upserts) ``perform_create`` runs ``serializer.save()``."""
    if call.func.attr == "save" and not call.args:
        return call.func.value
    owner = module.parents.get(fn)
    if dotted(call.func) == "self.perform_create" and len(call.args) == 1 and isinstance(owner, ast.ClassDef) \
            and not _perform_create_upserts(owner):
        return call.args[0]
    return None


def _with_reexported_helpers(module: SourceModule, project: Project, fn: ast.AST) -> list[db.DbOp]:
    """:func:`db.expanded_ops` of the handler, plus the operations of the service functions it imports
    through a package that re-exports them (``from ..lib.token import init_token``, defined in
    ``lib/token/lifecycle.py``) or of a method of a class nested in a class of the code base
    (:func:`_nested_class_method`), one level less deep. A handler whose helpers two levels deep insert
    nothing is followed one level further: a router calling a service calling a store whose statement a
    connection helper runs (``self.services.notes.create(...)`` -> ``self.store.save_note(...)`` ->
    ``self.connections.execute_query(query, params)``), for the inserts of a helper named for making that
    table's rows (``create_collection`` into ``collections``, ``add_message`` into ``messages``; ``create_...`` when
    the table is not known), not for a side effect an action reaches deep down (a ``Message`` sent by
    ``stop_mapping_task``)."""
    ops = list(db.expanded_ops(module, project, fn))
    if not any(op.kind == db.INSERT for op in ops):
        ops = [op for op in db.expanded_ops(module, project, fn, depth=3) if op.kind != db.INSERT or _named_for_table(op)]
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Call) or db.resolve_function(module, project, node) is not None:
            continue
        resolved = _resolve_helper(module, project, node)
        if resolved is not None and resolved[1] is not fn:
            ops += [replace(op, call=node, through=resolved[1].name, confidence=min(op.confidence, Confidence.medium))
                    for op in db.expanded_ops(resolved[0], project, resolved[1], depth=1)]
    return sorted(ops, key=lambda op: (op.call.lineno, op.call.col_offset))


def _named_for_table(op: db.DbOp) -> bool:
    """An insert made through a helper named for making rows of its table (``create_conversation`` into
    ``conversations``, ``add_message`` into ``Message``), or named ``create...`` when the table is not known."""
    helper = (op.through or "").lower()
    if not re.match(r"(create|add|insert)(_|$)", helper):
        return False
    stems = {re.sub(r"s$", "", re.sub(r"(?<!^)(?=[A-Z])", "_", t.split(".")[-1]).lower()) for t in op.tables}
    return helper.startswith("create") if not stems else any(stem and stem in helper for stem in stems)


def _resolve_helper(module: SourceModule, project: Project, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The function of the code base ``call`` runs, also through a package that re-exports it, or a method of
    a class nested in one of the code base's (:func:`_nested_class_method`)."""
    return db.resolve_function(module, project, call, reexports=True) or _nested_class_method(module, project, call)


def _nested_class_method(module: SourceModule, project: Project, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The method ``call`` runs on an instance of a class nested in a class of the code base, the
    service objects some code bases group under one name (``ToolSerializer.Create(data=...).insert(...)``)."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Attribute)):
        return None
    outer = db.project_class(module, project, func.value.func.value)
    inner = next((c for c in outer[1].body if isinstance(c, ast.ClassDef) and c.name == func.value.func.attr),
                 None) if outer is not None else None
    method = next((f for f in inner.body if isinstance(f, FUNCTION_TYPES)
                   and f.name == func.attr), None) if inner is not None else None
    return (outer[0], method) if method is not None else None


def _plain_serializer_inserts(project: Project, serializer: str) -> bool:
    """Whether ``save()`` of a serializer without a ``Meta.model`` inserts: its ``create`` (its own or a
    base's of the code base) writes a row. Without a ``create``, ``save()`` updates the instance its
    validation found (``self.instance = matched_code.user``). A serializer not in the code base counts."""
    found = _plain_serializers(project).get(serializer)
    if found is None:
        return True
    module, cls = found
    for member_module, member in _class_family(module, project, cls, depth=4):
        create = _create_method(member)
        if create is not None:
            return any(op.kind == db.INSERT and not any(_records(t) or CREDENTIAL.search(t) for t in op.tables)
                       for op in db.expanded_ops(member_module, project, create))
    return False


def _plain_serializers(project: Project) -> dict[str, tuple[SourceModule, ast.ClassDef]]:
    """Serializer classes of the code base without a ``Meta.model`` (``serializers.Serializer``)."""
    if "r2.plain_serializers" not in project.facts:
        models = _meta_models(project)
        project.facts["r2.plain_serializers"] = {
            cls.name: (module, cls) for module in project.modules if "Serializer" in module.text
            for cls in module.nodes_of(ast.ClassDef)
            if cls.name.endswith("Serializer") and cls.name not in models and any(
                "Serializer" in (dotted(b) or "") for b in cls.bases)}
    return project.facts["r2.plain_serializers"]


def _saved_once(module: SourceModule, project: Project, fn: ast.AST, save: ast.Call, model: str,
                ops: list[db.DbOp]) -> bool:
    """A serializer's or model form's ``save()`` that a retry cannot repeat: its model has a unique
    key on client data, or the handler refuses a repeat before it (an early 409, a lookup of the same
    model, such as ``Issue.objects.get(external_id=...)`` with the save in ``except Issue.DoesNotExist``)."""
    if model and (db.natural_unique(project, model) or _client_keyed(project, model)):
        return True
    insert = db.DbOp(call=save, kind=db.INSERT, tables=frozenset({model} if model else ()))
    in_order = sorted([*ops, insert], key=lambda op: (op.call.lineno, op.call.col_offset))
    return _created_once(module, project, fn, insert) or bool(model) and _deduplicated(module, project, fn, insert, in_order)


def _list_save_inserts_nothing(module: SourceModule, project: Project, fn: ast.AST, saved: ast.expr,
                               serializer: str) -> bool:
    """A serializer built with ``many=True`` whose ``Meta.list_serializer_class`` of the code base saves
    without a plain insert (sets priorities on rows it looked up, upserts): DRF's ``many=True`` builds
    that list serializer, and its ``save()`` runs the list class's ``save``/``create``, not the model's."""
    bound = (db.reaching_binding(module, fn, saved) or db.single_binding(fn, saved.id)) if isinstance(saved, ast.Name) else None
    if not (isinstance(bound, ast.Call) and any(k.arg == "many" and isinstance(k.value, ast.Constant) and k.value.value is True
                                                 for k in bound.keywords)):
        return False
    cls = _serializer_classes(project).get(serializer)
    meta = next((c for c in cls.body if isinstance(c, ast.ClassDef) and c.name == "Meta"), None) if cls else None
    chosen = _assigned(meta, "list_serializer_class") if meta is not None else None
    if chosen is None:
        return False
    owner_module = project.facts["r2.form_modules"][serializer]
    found = next(((owner_module, c) for c in meta.body if isinstance(c, ast.ClassDef) and c.name == dotted(chosen)),
                 None) or db.project_class(owner_module, project, chosen)
    if found is None:
        return False
    list_module, list_cls = found
    saving = [f for f in list_cls.body if isinstance(f, ast.FunctionDef) and f.name in ("save", "create")]
    return bool(saving) and not any(
        op.kind == db.INSERT and not (op.upsert and not _conflicts_on_nothing(list_module, project, op))
        for method in saving for op in db.expanded_ops(list_module, project, method))


def _own_create_finds_or_upserts(project: Project, serializer: str, model: str) -> bool:
    """The serializer's own ``create`` looks the row up before it writes it, itself or in the helpers
    it calls (``return get_or_create_tag(name, user)``, a helper that updates the bookmark it finds
    by URL), or upserts it (``ShoppingList.objects.get_or_create(name__iexact=name, ...)``): a retry
    finds the row the first call made. Not a read that is no lookup (the highest
    ``order`` so far). Refusing the row found counts: a retry creates no second row."""
    cls = _serializer_classes(project).get(serializer)
    create = _create_method(cls) if cls else None
    if create is None or _calls_super_create(create):
        return False
    module = project.facts["r2.form_modules"][serializer]
    for op in db.expanded_ops(module, project, create):
        if model not in op.tables:
            continue
        return op.is_read and bool(LOOKUP.match(op.method) or op.method == "filter") or (
            op.upsert and not _conflicts_on_nothing(module, project, op))
    return False


def _create_repeats_nothing(project: Project, serializer: str) -> bool:
    """The ``create`` methods of the code base that the serializer's ``save()`` runs (its own or a base's,
    and each base's that a ``super().create(...)`` hands on to) make no new row on a retry: the last one
    inserts nothing and does not hand on to DRF's (``create`` of an availability query that returns
    ``Job.objects.filter(...).latest()``), or one of them returns the row a lookup finds and inserts only
    in its ``except Model.DoesNotExist`` handler (``try: return self.find_recent(data)`` / ``except
    Job.DoesNotExist: job = super().create(data)``): a resubmission of the same content gets the row the
    first one made."""
    creates = _serializer_creates(project, serializer)
    if any(_created_when_not_found(module, create) for module, create in creates):
        return True
    if not creates or _calls_super_create(creates[-1][1]):
        return False
    module, create = creates[-1]
    return not any(op.kind == db.INSERT for op in db.expanded_ops(module, project, create)) and not any(
        isinstance(n, ast.Call) and (CREATE.match(method_name(n) or "") or method_name(n) in COPYING)
        for n in walk_function_body(create))


def _serializer_creates(project: Project, serializer: str) -> list[tuple[SourceModule, ast.FunctionDef]]:
    """The serializer's nearest ``create`` in the code base, then each base's its ``super().create(...)``
    hands on to, in that order."""
    cls = _serializer_classes(project).get(serializer)
    if cls is None:
        return []
    creates = []
    for module, member in _class_family(project.facts["r2.form_modules"][serializer], project, cls, depth=4):
        create = _create_method(member)
        if create is None:
            continue
        creates.append((module, create))
        if not _calls_super_create(create):
            break
    return creates


def _created_when_not_found(module: SourceModule, create: ast.FunctionDef) -> bool:
    """``super().create(...)`` in the ``except ...DoesNotExist`` handler of a ``try`` that returns what
    its lookup found."""
    for handler in (n for n in walk_function_body(create) if isinstance(n, ast.ExceptHandler)):
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        attempt = module.parents.get(handler)
        if any((dotted(t) or "").endswith(("DoesNotExist", "NoResultFound")) for t in caught if t is not None) and any(
                isinstance(s, ast.Return) and s.value is not None for s in attempt.body) and any(
                _is_super_create(n) for s in handler.body for n in ast.walk(s)):
            return True
    return False


def _refuses_existing(project: Project, serializer: str, model: str) -> bool:
    """The serializer's own ``create``/``validate`` refuses a row that exists (``if
    IssueLink.objects.filter(url=url, issue_id=issue_id).exists(): raise ValidationError``): a
    retry is answered 400, not saved twice (the race in that check is R2.check-then-act's)."""
    cls = _serializer_classes(project).get(serializer)
    if cls is None or not model:
        return False
    module = project.facts["r2.form_modules"][serializer]
    return any(_raises_when_found(module, project, method, model, depth=2)
               for method in cls.body if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
               and (method.name == "create" or method.name.startswith("validate")))


def _raises_when_found(module: SourceModule, project: Project, fn: ast.AST, model: str, depth: int) -> bool:
    """``fn`` raises when a lookup of ``model`` finds a row, or calls a helper of the code base that does
    (``validate_name(name, project)`` / ``if Rule.objects.filter(...).exists(): raise``), up to ``depth``
    calls down; the lookup may be a queryset held in a name and narrowed again (``rules = rules.exclude(...)``)."""
    for node in walk_function_body(fn):
        if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], ast.Raise) and (
                _lookup_model(node.test, fn) == model or _held_lookup_model(fn, node.test) == model):
            return True
    if depth <= 0:
        return False
    for node in walk_function_body(fn):
        resolved = db.resolve_function(module, project, node, reexports=True) if isinstance(node, ast.Call) else None
        if resolved is not None and resolved[1] is not fn and _raises_when_found(resolved[0], project, resolved[1], model, depth - 1):
            return True
    return False


def _held_lookup_model(fn: ast.AST, test: ast.AST) -> str | None:
    """The model of ``rows.exists()`` (``.first()``..., or ``any(...)`` of a test of each row: an overlap) where
    every binding of ``rows`` in ``fn`` is a query of that model (``rows = Rule.objects.filter(...)``, then
    ``rows = rows.exclude(...)``)."""
    test = test.value if isinstance(test, ast.Await) else test
    if isinstance(test, ast.Call) and dotted(test.func) == "any" and len(test.args) == 1 and isinstance(
            test.args[0], ast.GeneratorExp) and isinstance(test.args[0].generators[0].iter, ast.Name):
        name = test.args[0].generators[0].iter.id  # any(e.start <= end and start <= e.end for e in rows): an overlap
    elif isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and LOOKUP.match(test.func.attr) \
            and isinstance(test.func.value, ast.Name):
        name = test.func.value.id
    else:
        return None
    values = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
    models = {_model_name(v.func.value) if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and not (
        isinstance(v.func.value, ast.Name) and v.func.value.id == name) else name for v in values}
    models.discard(name)
    return models.pop() if len(models) == 1 else None


def _made_when_missing(module: SourceModule, fn: ast.AST, call: ast.AST) -> bool:
    """The insert is the missing branch of a get-or-create that carries on (``state = ...first()`` /
    ``if not state: state = State.objects.create(...)``, the branch not ending in a return or raise):
    a retry finds the row and goes on, it is not refused there."""
    child = call
    for parent in ancestors(module, call):
        if parent is fn:
            return False
        if isinstance(parent, ast.If):
            branch = parent.body if any(s is child for s in parent.body) else parent.orelse
            test = parent.test
            missing = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and branch is parent.body or (
                isinstance(test, ast.Compare) and len(test.ops) == 1 and is_none(test.comparators[0])
                and isinstance(test.ops[0], ast.Is) == (branch is parent.body))
            return missing and not isinstance(branch[-1], (ast.Raise, ast.Return))
        child = parent
    return False


def _creating_model_forms(project: Project, fn: ast.AST) -> dict[str, str]:
    """Names bound to ``SomeForm(request.POST)`` without ``instance=``, where ``SomeForm`` is a
    model form of the code base (``class Meta: model = Group``): their ``save()`` inserts."""
    found: dict[str, str] = {}
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)):
            continue
        target, call = dotted(node.targets[0]), node.value
        form = (dotted(call.func) or "").split(".")[-1]
        if target and form.endswith("Form") and call.args and not any(k.arg == "instance" for k in call.keywords):
            model = _meta_models(project).get(form)
            if model:
                found[target] = model
    return found


def _meta_models(project: Project) -> dict[str, str]:
    """Model form or serializer class -> the model of its ``Meta``, over the code base."""
    _collect_meta_classes(project)
    return project.facts["r2.form_models"]


def _serializer_classes(project: Project) -> dict[str, ast.ClassDef]:
    """Model form or serializer class name -> its class, for those with a ``Meta.model``."""
    _collect_meta_classes(project)
    return project.facts["r2.form_classes"]


def _collect_meta_classes(project: Project) -> None:
    if "r2.form_classes" in project.facts:
        return
    models: dict[str, str] = {}
    classes: dict[str, ast.ClassDef] = {}
    modules: dict[str, SourceModule] = {}
    user_forms: set[str] = set()
    inherited_meta: dict[str, tuple[SourceModule, ast.ClassDef, ast.ClassDef]] = {}
    for module in project.modules:
        if "class Meta" not in module.text:
            continue
        for cls in module.nodes_of(ast.ClassDef):
            if not cls.name.endswith(("Form", "Serializer")):
                continue
            for meta in (n for n in cls.body if isinstance(n, ast.ClassDef) and n.name == "Meta"):
                for assign in (n for n in meta.body if isinstance(n, ast.Assign)):
                    if any(isinstance(t, ast.Name) and t.id == "model" for t in assign.targets):
                        user_model = _django_user_model(module, assign.value)
                        if user_model or qualified(module, assign.value) in UNIQUE_LIBRARY_MODELS:
                            user_forms.add(cls.name)
                        # also through an import alias (Place as PlaceModel)
                        name = "User" if user_model else qualified(module, assign.value) or ""
                        models[cls.name] = name.split(".")[-1]
                        classes[cls.name] = cls
                        modules[cls.name] = module
                if cls.name not in models:
                    inherited_meta[cls.name] = (module, cls, meta)
    for name, (module, cls, meta) in inherited_meta.items():
        # ``class Meta(BaseSerializer.Meta):`` without a ``model`` of its own keeps the base's
        base = next((dotted(b)[:-len(".Meta")] for b in meta.bases if (dotted(b) or "").endswith(".Meta")), None)
        if base in models:
            models[name], classes[name], modules[name] = models[base], cls, module
            if base in user_forms:
                user_forms.add(name)
    project.facts["r2.form_models"] = models
    project.facts["r2.form_modules"] = modules
    project.facts["r2.form_classes"] = classes
    project.facts["r2.user_forms"] = user_forms


def _django_user_model(module: SourceModule, model: ast.expr) -> bool:
    """``model = get_user_model()``, a module's ``User = get_user_model()``, or ``django.contrib.auth``'s
    ``User``: Django requires the user model's ``USERNAME_FIELD`` to be unique, so a repeated sign-up is
    refused by the key."""
    if isinstance(model, ast.Name):
        bound = [s.value for s in module.tree.body if isinstance(s, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == model.id for t in s.targets)]
        model = bound[-1] if bound else model
    if isinstance(model, ast.Call):
        return (qualified(module, model.func) or "").endswith("get_user_model")
    return qualified(module, model) == "django.contrib.auth.models.User"


UNIQUE_LIBRARY_MODELS = {"django.contrib.auth.models.Group"}  # a library's model with a unique name


def _library_keyed_form(project: Project, serializer: str) -> bool:
    """A form or serializer of a model a library keys on what the client sends (the user model's
    ``USERNAME_FIELD``, Django's ``Group.name``): its unique check (DRF's ``UniqueValidator``) answers a
    repeat with a 400."""
    _collect_meta_classes(project)
    return serializer in project.facts["r2.user_forms"]


def _created_serializer(module: SourceModule, fn: ast.AST, owner: ast.expr) -> str | None:
    """The serializer class ``owner`` holds (of ``serializer.save()``) when the name holds one built from
    request data without an instance (``XSerializer(data=...)``, ``self.get_serializer(data=...)``, also in one
    branch of a conditional): its ``save()`` inserts. The assignment that reaches the call decides
    when there is one (``IssueSerializer(issue, data=...)`` in the branch that found the row updates)."""
    if not isinstance(owner, ast.Name):
        return None
    bound = db.reaching_binding(module, fn, owner)
    values = [bound] if bound is not None else [
        s.value for s in walk_function_body(fn)
        if isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == owner.id for t in s.targets)]
    for value in values:
        for built in (value.body, value.orelse) if isinstance(value, ast.IfExp) else (value,):
            serializer = _built_serializer(module, fn, built)
            if serializer:
                return serializer
    return None


def _built_serializer(module: SourceModule, fn: ast.AST, call: ast.expr) -> str | None:
    if not isinstance(call, ast.Call) or call.args or not any(k.arg == "data" for k in call.keywords) or any(
            k.arg == "instance" for k in call.keywords):
        return None
    called = dotted(call.func) or ""
    owner = module.parents.get(fn)
    if called == "self.get_serializer" and isinstance(owner, ast.ClassDef):
        chosen = _action_serializer(owner, fn.name) or _assigned(owner, "serializer_class")
        return (dotted(chosen) or called).split(".")[-1]
    return called.split(".")[-1] if SERIALIZER.search(called.split(".")[-1]) else None


def _action_serializer(view: ast.ClassDef, action: str) -> ast.expr | None:
    """The serializer class a DRF view's ``get_serializer_class`` returns for ``action`` (an ``@action``
    method's name): the branch ``if self.action == "action"`` (or ``in (...)``) returns, else its last
    ``return``. DRF's ``get_serializer`` builds the class ``get_serializer_class`` answers."""
    chooser = next((f for f in view.body if isinstance(f, ast.FunctionDef) and f.name == "get_serializer_class"), None)
    if chooser is None:
        return None
    for node in walk_function_body(chooser):
        if isinstance(node, ast.If) and _names_action(node.test, action) and isinstance(node.body[0], ast.Return):
            return node.body[0].value
    last = chooser.body[-1]
    return last.value if isinstance(last, ast.Return) else None


def _names_action(test: ast.expr, action: str) -> bool:
    if not (isinstance(test, ast.Compare) and dotted(test.left) in ("self.action", "self.request.method")
            and len(test.comparators) == 1):
        return False
    compared = test.comparators[0]
    values = compared.elts if isinstance(compared, (ast.Tuple, ast.List, ast.Set)) else [compared]
    if dotted(test.left) == "self.request.method":  # a generic view's POST runs its create
        return action == "create" and "POST" in {string_value(v) for v in values}
    return action in {string_value(v) for v in values}
