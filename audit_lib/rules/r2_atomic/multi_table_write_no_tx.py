"""R2.multi-table-write-no-tx: writes to several tables that can half-succeed.

## What it does
Reports writes to several tables that do not share one transaction. That is a function
that writes (SQL `INSERT`/`UPDATE`/`DELETE`, ORM `add`, `delete`,
`save`, `create`, `update`, directly or through a helper of the code base -- a Django model's
own `self.save(update_fields=...)`, a classmethod such as `ChangeEvent.record(...)`, a model
mixin's shorthand that commits inside (`task.update(data)`, `link.delete()` on a row fetched by
`Task.get_by(...)` or a project getter such as `get_task_raw(pk)`), a model's own method called on the row
`Model.objects.create(...)` made (`copy.add_tag(tag)`), `session.add(link)` in a loop over a list of new
instances (`links = [Link(...) for t in ids]`, `for i, link in enumerate(links)`), attributes
set on a SQLAlchemy object that the next `commit()` flushes (also a row the function or a helper it calls loads,
`db_user = session.get(DbUser, user_id)`, `db_order = get_db_order(order_id)`), `super().create(validated_data)` in a DRF
serializer's own `create`/`update` and `serializer.save()` in a view's `perform_create`/`perform_update` (a row of
its `Meta.model`, also one a base serializer declares), a method of that model called on the row `save()` returned
(`organization = serializer.save()`, then `organization.add_user(user)`), the manager of the rows pointing at an
object through a `ForeignKey` (`alert.notification_set.create()`, `rule.recipient_set.filter(...).delete()`),
`form.save()` of a Django `ModelForm`
(its `Meta.model`; also `super().save()` in the form's own `save`, and `super().form_valid(form)` in a create or
update view, saving its `model` or its model form's) or model formset (the model of `inlineformset_factory(Parent, Child)`), the `save()`/`delete()` of a
row reached from one the function holds (the one-to-one companion, `user.userprofile.save()`; the copy of a row of
`get_object_or_404(Routine, pk=pk)` and of the rows of its reverse foreign key, `for day in routine.days.all():
day_copy = copy.copy(day)`, `day_copy.save()`), a user made by `User.objects.create_user(...)`, a settings proxy written in a
function that commits the session (`site_settings.set(...)`, `user.settings.set(...)`), a Django many-to-many field's
(or its other side's, `project.team_set`) `set`/`add`/`remove`/`clear` on an object the function writes or a DRF serializer's `update` is
handed, also in a helper the object is handed to (`bookmark.save()`, then `update_tags(bookmark,
names)` running `bookmark.tags.set(...)`), which writes the field's link table; in a Django model's `save`/`delete`
override, `super().save(*args, **kwargs)` writing the model's row; in a `post_save` receiver (`@receiver(post_save,
sender=Project)`, `post_save.connect(handler, sender=apps.get_model("projects", "Project"))`), the sender's row that
`save()` wrote before sending it, and in a `pre_save` receiver the row it writes after) to two or
more tables when those writes do not share one transaction:

- with drivers that commit every statement on their own (asyncpg, encode/databases,
  the Django ORM in its default autocommit mode, connections opened with
  `autocommit=True`, a database wrapper of the code base whose `execute`/`insert`/`update`
  methods commit, used as `(conn or db).insert("accounts", row)`, or that runs each statement it is handed on
  a connection of its own from the pool, `await self.runner.run(f"UPDATE {self._table_name('books')} ...")`,
  the table named by the helper's argument or a class constant, `ShelfStore.TABLE`), writes outside a
  transaction block;
- with drivers that open a transaction implicitly (psycopg 2 and 3, sqlite3, SQLAlchemy
  sessions and connections), writes separated by a `commit()`;
- writes in two different transaction blocks, also blocks that helpers open on their own (`hide_review(id)`,
  then `archive_reports(id)`, each running its writes in `with engine.begin() as conn:`), unless both helpers
  write one table too (steps of one row's workflow, each leaving it in a state of its own).

Transaction blocks: `with conn.transaction()`, `async with conn.transaction()`,
`with conn:` (psycopg, sqlite3), `session.begin()`, `engine.begin()`,
`transaction.atomic()` and `@atomic`, a class of the code base deriving from Django's `transaction.Atomic`
(`ImmediateAtomic(using)`), a context manager of the code base that hands one out (a
`@contextmanager` yielding inside `with transaction.atomic():`, also through another such helper or a name
bound to one, `atomic = ImmediateAtomic(using)`; `with atomic: yield`, or under a test that the caller's
transaction is open, `if connection.in_atomic_block: yield`; or a function returning `transaction.atomic(...)`),
used as a `with` or a decorator (`@immediate_atomic()`), and an explicit `BEGIN` ... `COMMIT`. A SQLAlchemy
session or psycopg connection whose writes are followed by a single `commit()` is one
transaction and is not reported. Neither are:

- calls that write no table: an SDK's namespace named `objects` (`client.crm.objects.basic_api.create(...)`),
  a file storage class's `save` (`ExportStorage().save(name, f)`);
- deletes from two tables (independent clean-ups), unless the second is given what the first
  returned (`DELETE FROM aliases ... RETURNING tag_id`, then `DELETE FROM tags WHERE id = $1`
  with it): those are parts of one removal;
- a get-or-create/upsert (also Django's `bulk_create(..., ignore_conflicts=True)`) followed by
  another write (an `update_or_create`, which changes the row it finds, only when what follows is an upsert too
  or a delete, or a helper making only those: a sync run again comes out the same), also written inline (`if row is None:
  row = Model(...)`, `except DoesNotExist: create`, `try: blob.save()` / `except IntegrityError: blob =
  Blob.objects.get(...)`) or in a helper that inserts only when its own
  lookup finds nothing (`department = save_department(data)`, `if found := lookup(): return found /
  else: create(...)`, or any use of `found` in place of the return, also one helper further down:
  `parse_line()` calling such a `get_unit()`, or the base serializer's `create` that a serializer's
  `super().create(validated_data)` runs) or is named so (`_maybe_create_default_organization()`,
  `create_if_missing`, `_create_missing_tags`): a retry reuses the row (a later write
  inside the branch that creates it is still reported: the retry skips it); and a write
  made by a getter (`get_user(...)` creating a missing default wallet), also further down
  (`save_memory()` calling `aget_default_search_model()`), made again on the next read;
- an audit, log, history or notification row written after the change it records (an
  outbox row is still reported: it must commit with its change, and so is a domain event,
  `Event`/`ChangeEvent`, that the code base reads back as the state of the row it follows), and any
  row written through a helper named for a log (`log_incident_event(...)`) or a history snapshot (`take_snapshot(obj)`), before or after; and two
  such records, events included, written one after the other (a `CustomerEvent`, then an `OrderEvent`):
  no state is split between them;
- writes to a usage statistics table (`ApplicationChatUserStats`) beside the change: lost, a count is
  one short;
- writes to a cache table (`LabelKeyCache`, a `CacheVersion` bump) or through a helper named for a
  cache (`invalidate_cache(...)`, `clear_acl_cache()`), or of nothing but full-text search vectors
  (`update(search_vector=SearchVector("instruction"))`) or of a flag asking for them again
  (`update(search_engine_requires_index=True)`), or of a template rendered from the data (`defaults={"content":
  render_to_string(...)}`, also through helpers writing only such rows, `update_supernav()`), rebuilt from the data, or through a helper
  that counts totals again from the rows (`update_stats(project)`); a user's favourite, bookmark or recent
  visit of the row (`UserFavorite`), made or cleared with it; a user's read marker (`ReadThread`,
  `read_receipts`): lost, it shows the row unread again; a write of nothing but a row's
  last-changed or last-synced time (`doc.save(update_fields=["modified"])`, `update_fields=["crm_synced_at"]`);
  a one-to-one companion row (`Profile`) that another function makes on demand (`Profile.objects.get_or_create(user=user)`)
  (a `Bookmark` model and its own `tags` links are the data, not a favourite);
  and an at-most-once claim
  (`filter(pk=pk, sent=False).update(sent=True)`) committed before the work on purpose;
- the sign-in session (a `SessionToken`/`session_tokens` row) opened with the change: a failure
  between them leaves the user signed out, not half a change; nor the delete of a finished
  login or registration session (`LoginSession`, `login_sessions`) after the change: it
  expires on its own;
- writes to a table the function creates as temporary (`Ids.create_table(temporary=True)`,
  `CREATE TEMP TABLE ids ...`): the connection's scratch space, no data;
- a many-to-many change followed by a `save()` of its object when the function sets none of the
  object's fields (`user.aliases.add(alias)`, then `user.save()` to notify): nothing new is saved;
- writes that no run reaches both of (two branches of one `if`, sibling `if`s comparing one
  subject with different values, `if storage.kind == DROPBOX:` / `if storage.kind == LOCAL:`,
  `if action in [DELETE, ASSIGN]:` / `if action == INIT:`, or
  an error path that saves and raises), and writes in sibling `if` blocks of optional,
  independent steps (`if options.reset_pages: ...`, `if "save_theme" in request.POST: ...`) where
  the later step uses nothing the earlier wrote; a `commit()` in a branch that returns does not
  split the writes after that branch;
- a savepoint (`async with session.begin_nested():`), released without committing; a helper that
  commits only when asked (`if commit: session.commit()`) called with `commit=False`, also through a helper
  that hands the switch on;
- writes through a helper that takes or releases a lease on rows (`lock_related_jobs(...)`,
  `unlock_instances(...)`, `claim_batch(...)`, `set_process_lock(...)`, also one level down) or
  through a `@contextmanager` the work runs in (`with queue.dequeued(instance): ...`): committed
  apart on purpose, before the work and apart from its result; a prerequisite filled in when missing (`if not
  user.ssh_key: refresh_ssh_key(user)` setting `user.ssh_key`, `if not project:
  create_project_model(...)`); a field of another row filled in after the change when found empty (`if
  self.session.day_id is None:` ... `self.session.save(update_fields=["day"])`), filled in by the next run; a
  row a `post_save` receiver makes through a helper named for making it if missing
  (`create_notify_policy_if_not_exists(...)`), made again on the row's next save; and a loop that runs each item in its own transaction and goes on
  when one fails (an import that counts its errors), which keeps what succeeded on purpose;
- writes with a call to another service between them (an HTTP request, a service's SDK such as
  Taskcluster's `queue.createTask(...)`, mail), in the lines between them, in a loop around the first
  write (its next passes) or in the helpers that make them, also through helpers of the code base and the
  overrides of an abstract method (`self.scheduler.trigger(...)`): a transaction cannot take in what the
  other service did, and one held open across the call is R2.network-in-tx;
- a later write in a `finally:` block or in an `except` handler that raises again (an event
  recording the attempt, whatever its outcome), and a later write in the body of a `try` whose
  handler deletes what was made and raises again (`except Exception: delete_user(user.id); raise`),
  also where every call of the function is in such a body: the failure is recorded or undone; and a
  later write in a `try` of its own whose handler catches any error and goes on (`except Exception:
  log.error(...)`), an optional step let fail on purpose; so is a write a helper makes in a `try` whose
  handler catches any error or a database error and goes on (`run_task` recording a task row under
  `except SQLAlchemyError: session.rollback()`), before or after the change;
- writes to the row that tracks a background job or task (`job.save(update_fields=
  ["status"])`, a model built on a `Job`/`Task` base, its `ProgressReport`, a worker's `AppStatus` row, a status set to `"running"`/`"processing"`
  and saved alone, a checkpoint saved through `update_checkpoint(...)`), committed apart on purpose so that
  progress is visible (a `Task` model with `assignees` is a work item people are given, not a job, and a `Job`
  row saved with its own many-to-many links, `job.categories.add(...)`, is a posting's data; a
  django-celery-beat `PeriodicTask` is a schedule the change sets up, and part of it);
- commands and scripts that seed or generate sample data (`seed.py`, `initdb`,
  `dummy-generator-*`, `populate_demo`, a module documented as "Loads test data into ...", a
  management command `create_test_event`, a management command that refuses to run unless `settings.DEBUG`
  and the helper modules of its commands folder that only such commands import), and scripts of a `bin/`
  directory, run by hand;
- separate calls of one helper that commits its own writes (`sketch.add_attribute("users", ...)`, then
  `sketch.add_attribute("hosts", ...)`), the second not given what the first made: each call is a
  change of its own, and a gap inside the helper is reported in the helper;
- in a background task (`@app.task`, `@shared_task`), the save of the row the task was
  handed (`item = ImportItem.objects.get(id=item_id)`), which records the task's outcome;
- a function every caller of which runs it inside a transaction block (its own recursive calls aside), also
  through callers up to four calls further up, among them a subclass's hook that a base class runs in its block (`with
  transaction.atomic(): cls.perform_change(...)`; a class outside that hierarchy calling its own
  `self.perform_change()` is no caller, nor is another class of the same name with its own method of that
  name, two management commands' `Command._create_run()`), or under a decorator of the code base whose wrapper calls it inside
  one (`@with_db` running `with db: return fn(*args)`; Django ORM and peewee writes, which use the thread's connection,
  and writes through a connection the caller hands in, `async def delete_partnership(partnership_id, db): ...
  await partnership.delete(db)` called in `async with db.transaction():`; a `with psycopg.connect(url,
  autocommit=True) as conn:` block is no transaction);
- Django projects with `ATOMIC_REQUESTS`, the methods of a class-based view whose `dispatch` (its own
  or a base class's) runs the request in `transaction.atomic()` (also `@method_decorator(transaction.atomic,
  name="dispatch")`, or through a decorator of the code base whose wrapper runs it in a transaction block,
  `return atomic_for_request_method(super().dispatch)(request, *args, **kwargs)`) and helpers called only from them,
  receivers of the signals Django sends inside its own `atomic()` (`pre_delete`/`post_delete` from a deletion,
  `m2m_changed` from a related manager) or of the code base's own signals (not `pre_save`/`post_save`: `save()`
  sends them outside any block of its own, so without `ATOMIC_REQUESTS` or a caller's `atomic()` a `save()`
  override or `post_save` receiver writing another table commits each write apart), a `save`/`delete` of a class
  that is no Django model nor a model form, a `ModelAdmin`'s `save_model`/`save_formset`/`save_related`/`delete_model`
  (the admin's change and delete views run them inside `transaction.atomic()`) and the `create`/`update` of a DRF serializer nested in a serializer
  whose own `create`/`update` is atomic, or of a serializer that every view naming it (`serializer_class`)
  saves in a `perform_create`/`perform_update` under `@transaction.atomic` (its own or a base's), or of a
  serializer named only in views that build it (`serializer_class`, a `return` of `get_serializer_class`) and call
  its `create`/`update`/`save()` only inside a transaction block (`with transaction.atomic():
  serializer.create(serializer.validated_data)`, no DRF create/update action inherited to save it outside), which run
  in the transaction of their caller.

## Why is this bad?
If the process dies, the connection drops or the second statement fails after the first
has committed, the database keeps half of the change: an order without its lines, a
payment without its ledger entry, stock decremented for a sale that does not exist.
Nothing repairs it later (Backend Posture R2: multi-table mutations MUST be wrapped in a
transaction).

## Example
```python
async def place_order(pool, customer_id, lines):
    order_id = await pool.fetchval(
        "INSERT INTO orders (customer_id) VALUES ($1) RETURNING id", customer_id)
    await pool.executemany(
        "INSERT INTO order_lines (order_id, sku, qty) VALUES ($1, $2, $3)",
        [(order_id, l.sku, l.qty) for l in lines])
```

## Use instead
```python
async def place_order(pool, customer_id, lines):
    async with pool.acquire() as conn, conn.transaction():
        order_id = await conn.fetchval(
            "INSERT INTO orders (customer_id) VALUES ($1) RETURNING id", customer_id)
        await conn.executemany(
            "INSERT INTO order_lines (order_id, sku, qty) VALUES ($1, $2, $3)",
            [(order_id, l.sku, l.qty) for l in lines])
```

## References
- asyncpg transactions: https://magicstack.github.io/asyncpg/current/api/index.html#transactions
- Django atomic: https://docs.djangoproject.com/en/stable/topics/db/transactions/
- SQLAlchemy session.begin(): https://docs.sqlalchemy.org/en/20/orm/session_transaction.html
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from itertools import takewhile
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db, http, web
from audit_lib.pyast import (FUNCTION_TYPES, ancestors, annotation_expr, catches_any_error, decorator_names, dotted,
                             enclosing_loops, functions, is_none, string_value, walk_function_body)
from audit_lib.registry import rule
from audit_lib.rules.r2_atomic._common import derives_from, implementations, in_atomic_dispatch_view, is_abstract
from audit_lib.source import Project, SourceModule, is_management_command

FIX = ("put all the writes in one transaction and commit once after the last: `async with conn.transaction():` "
       "(asyncpg/psycopg 3), `with session.begin():` (SQLAlchemy), `with transaction.atomic():` (Django), or "
       "remove the commit() between the writes")
UPSERT_HELPER = re.compile(r"get_or_create|get_or_add|upsert|create_or_update|create_or_get|ensure_|maybe_create|"
                           r"create_(\w+_)?if_(missing|absent|not_exists?)|create_missing")
UPDATES_FOUND = {"update_or_create", "aupdate_or_create"}  # the found row is changed too: a retry does not reuse it as is
TASK_DECORATORS = {"task", "shared_task", "actor", "periodic_task"}
GETTER = re.compile(r"(a?get|load|fetch|find|lookup)_")
SAMPLE_DATA = re.compile(r"^(seed|seeds|seeding|dummy|fake|initdb|init_db|populate|sample_data|demo_data)"
                         r"([-_]\w+)*\.py$|[-_](seed|seeds|dummy|fake|sample|demo)(\.py$|[-_])", re.I)
SAMPLE_DOCSTRING = re.compile(r"^\W*(loads?|generates?|creates?|populates?|seeds?)\b[^.\n]{0,40}\b(test|sample|demo|dummy|fake)"
                              r" (data|records|rows|content)\b", re.I)
TEST_DATA_COMMAND = re.compile(r"(^|[-_])test([-_]\w+)*\.py$")  # manage.py create_test_event
SIGN_IN_SESSION = re.compile(r"session_?tokens?$", re.I)
TRANSIENT_SESSION = re.compile(r"(Session|_sessions?)$")
JOB_ROW = re.compile(r"(\w*_)?(job|task)s?|\w*(Job|Task)s?$", re.I)
PROGRESS_ROW = re.compile(r"(\w*_)?(progress_?(report|bar)|(worker|app|process)_?(status|heartbeat))(e?s)?", re.I)
DOMAIN_EVENT = re.compile(r"^(?!.*(audit|log|histor|activit|notif|timeline|track|analytic)).*event", re.I)
NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
CACHE_WORDS = frozenset({"cache", "caches", "cached"})
RECORD_WORDS = frozenset({"event", "events", "log", "logs", "audit", "audits", "history", "histories"})
FAVOURITE_ROW = re.compile(r"(favou?rite|bookmark|star|recent_?visit)s?$", re.I)
READ_MARKER = re.compile(r"^Read[A-Z]|(^|_)read_(\w+_)?(marks?|markers?|receipts?|states?|positions?)$|"
                         r"Read(Mark|Marker|Receipt|State|Position)s?$")
CREATES = re.compile(r"_*(create|make|add|insert|new)_")
LEASE_HELPER = re.compile(r"_*((un)?lock|claim|lease|(acquire|release|set|take|remove|delete)_(\w+_)?(lock|lease))(_\w+)?")  # not run_with_lock
REQUEST_PARAMETER = re.compile(r"req(uest)?")
REINDEX_FLAG = re.compile(r"\w*(requires?|needs?)_(re)?index(ing)?|\w*_(dirty|stale)_index")
LOG_HELPER = re.compile(r"(log|audit)_\w+|\w+_(log|audit)|take_snapshot|(record|save|write)_history")  # a history snapshot too
RECOMPUTES_TOTALS = re.compile(r"(update|refresh|recalculate|recompute|calculate)_\w*(stats|statistics|counts?|totals?)")
TIMESTAMP_FIELD = re.compile(r"(last_)?(modified|updated)(_(at|on|date|time))?|"
                             r"last_(message|activity|active|seen|used|login)(_(at|on|date|time))?|"
                             r"(\w+_)?(last_)?sync(ed)?_(at|on|date|time|datetime)")  # when a sync last ran
CHECKPOINT_HELPER = re.compile(r"_*(update|save|set|write|store|record|clear|delete|remove)_(\w+_)?checkpoints?")
STATUS_FIELDS = frozenset({"status", "state", "progress"})
IN_PROGRESS = frozenset({"running", "processing", "in_progress", "started", "queued", "pending"})
AGGREGATE = re.compile(r"\b(count|sum|aggregate|annotate)\s*\(", re.I)
INSTALLS_SCHEMA = re.compile(r"create_all|drop_all|create_(\w+_)?db|init_?db|create_(\w+_)?database")
SQLALCHEMY = ("sqlalchemy", "flask_sqlalchemy", "sqlmodel")
MAPPED_BASE = re.compile(r"(^|\.)(Model|Base|DeclarativeBase|SQLModel)$")
NOT_MODELS = {"Any", "Optional", "Request", "Response", "Session", "AsyncSession", "Connection", "Engine"}
RELATION_WRITES = {"set", "add", "remove", "clear"}
ADMIN_SAVE_HOOKS = {"save_model", "save_formset", "save_related", "delete_model"}
SETTINGS_PROXY = re.compile(r"(\w+_)?settings")
DEFERRING_CALLS = {"on_commit", "Thread", "Timer", "Process", "submit", "map", "apply_async", "delay", "send_task",
                   "enqueue", "run_in_executor", "to_thread", "create_task", "ensure_future", "call_soon", "call_later",
                   "partial", "route", "receiver", "setattr", "dict", "append", "extend", "update", "setdefault"}
TEMPORARY_TABLE = re.compile(r"\bCREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                             r"\"?(\w+)", re.I)
SETTINGS_WRITES = {"set", "set_multi", "delete", "delete_all"}
SCHEDULER_MODELS = "django_celery_beat."  # the periodic task scheduler's tables: configuration, not a job's progress
CALLER_LEVELS = 4  # calls up: a request handler reaches the service that writes through a few helpers
SERVICE_CALL_DEPTH = 5  # helpers deep: a service's client sits a few layers below the code that writes
SIGNALLING_SAVE = "post_save sender"  # the receiver of the synthetic write standing for the save that sent post_save
DATABASE_ERROR = re.compile(r"(SQLAlchemy|Database|DBAPI|Operational|Peewee|DB)Error")


@rule("R2.multi-table-write-no-tx", on="module", scope="code+sql", severity="high")
def check_code(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or _makes_sample_data(module) or _hand_run_script(module) \
            or _development_command(module, project) or not (
            db.uses_database(module) or _imports_project_code(module, project)):
        return
    atomic_requests = web.django_atomic_requests(project)
    mapped = db.uses_database(module) and any(module.imports_module(lib) for lib in SQLALCHEMY)
    for fn in functions(module.tree):
        ops = db.with_wrapper_writes(module, project, fn, db.expanded_ops(module, project, fn))
        if "super(" in module.text and getattr(fn, "name", "") in ("save", "delete"):
            ops = _with_overridden_save(module, fn, ops)
        if "super(" in module.text and getattr(fn, "name", "") in ("save", "form_valid"):
            ops = _with_inherited_form_save(module, project, fn, ops)
        if any(op.kind == db.COMMIT for op in ops) and (mapped or any(op.api == "sqlalchemy" for op in ops)):
            if "commit=False" in module.text:
                ops = _without_declined_commits(module, project, ops)
            ops = _with_flushed_changes(module, fn, _with_helpers_flushed_changes(module, project, ops),
                                        handed=mapped)
        if "settings." in module.text and any(op.kind == db.COMMIT and not op.through for op in ops):
            ops = _with_settings_writes(fn, ops)
        if "serializer" in module.text:
            ops = _with_serializer_saves(module, project, fn, ops)
        if "commit=False" in module.text:
            ops = _with_form_saves(fn, _without_declined_commits(module, project, ops))
        if ".save()" in module.text and "Form" in module.text:
            ops = _with_model_form_saves(module, project, fn, ops)
        if "_set." in module.text:
            ops = _with_related_manager_writes(module, project, fn, ops)
        if ".save(" in module.text or ".delete(" in module.text or ".create_user(" in module.text:
            ops = _with_reached_row_writes(module, project, fn, ops)
        if ".set(" in module.text or ".add(" in module.text or ".clear(" in module.text:
            ops = _with_relation_sets(module, project, fn, ops)
        if "_save" in module.text or fn.name in _post_save_senders(project):
            ops = _with_signalling_save(module, project, fn, ops)
        scratch = _temporary_tables(fn)
        if scratch:
            ops = [op for op in ops if not (op.is_write and op.tables and op.tables <= scratch)]
        if sum(1 for op in ops if op.is_write) < 2:
            continue
        if _installs_schema(fn):
            continue
        in_caller_tx = {"django"} if atomic_requests or _runs_in_callers_transaction(module, fn, project) else set()
        shared = {op.api for op in ops if op.is_write} if _on_callers_connection(fn, ops) else \
            {"peewee"} & {op.api for op in ops}  # peewee's connection is the thread's: a caller's ``with db:`` covers it
        if shared and not _route_handler(module, project, fn) and _every_caller_in_transaction(module, project, fn):
            in_caller_tx |= shared
        finding = _split_writes(module, project, fn, ops, in_caller_tx)
        if finding is not None:
            yield finding


def _with_overridden_save(module: SourceModule, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """A Django model's ``save``/``delete`` override: ``super().save(*args, **kwargs)`` writes the model's own
    row, in a statement of its own when no transaction is open."""
    model = db._django_model_class(module, fn)
    added = [db.DbOp(node, db.DELETE if fn.name == "delete" else db.WRITE, frozenset({model}), "django", fn.name,
                     "super", autocommit=True, confidence=Confidence.medium)
             for node in walk_function_body(fn) if model is not None and _calls_inherited(node, fn.name)
             and not any(op.call is node for op in ops)]
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


MODEL_FORM_VIEWS = ("CreateView", "UpdateView", "BaseCreateView", "BaseUpdateView", "ModelFormMixin")


def _with_inherited_form_save(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """Django: ``super().save()`` in a ``ModelForm``'s ``save`` override (not ``commit=False``) writes the form's
    ``Meta.model`` row, and ``super().form_valid(form)`` in a create or update view (``model = Org`` or a
    ``form_class`` of a model form) saves the form's object: the row, in a statement of its own."""
    owner = module.parents.get(fn)
    if not isinstance(owner, ast.ClassDef):
        return ops
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "save"
           and dotted(n.func.value) in ("form", "self.object") for n in walk_function_body(fn)):
        return ops  # the view saves the form's object itself: super().form_valid(form) saves that row again
    if fn.name == "save":
        model = _form_models(project).get(owner.name)
    elif any(derives_from(project, owner.name, view) or view in {(dotted(b) or "").split(".")[-1] for b in owner.bases}
             for view in MODEL_FORM_VIEWS):
        named = {dotted(t): a.value for a in owner.body if isinstance(a, ast.Assign) for t in a.targets}
        model = (dotted(named["model"]) or "").split(".")[-1] if "model" in named else \
            _form_models(project).get((dotted(named.get("form_class")) or "").split(".")[-1])
    else:
        model = None
    added = [db.DbOp(node, db.WRITE, frozenset({model}), "django", fn.name, "super", autocommit=True,
                     confidence=Confidence.medium)
             for node in walk_function_body(fn) if model and _calls_inherited(node, fn.name) and not any(
                 k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False for k in node.keywords)
             and not any(op.call is node for op in ops)]
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


def _with_signalling_save(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """A Django ``post_save`` receiver (``@receiver(post_save, sender=Project)``, ``post_save.connect(handler,
    sender=Project)``) runs after ``save()`` wrote the sender's row, in a statement of its own when the caller
    opened no transaction: that write, at the receiver, before its own. A ``pre_save`` receiver's writes come before
    that row's, each in a statement of its own too: that write, at the receiver as well."""
    sender = next((_signal_sender(d) for d in fn.decorator_list if isinstance(d, ast.Call)
                   and (dotted(d.func) or "").split(".")[-1] == "receiver" and _signal_sender(d)), None)
    at = next((d for d in fn.decorator_list if sender is not None and _signal_sender(d) == sender), None)
    if sender is None and fn.name in _post_save_senders(project) and isinstance(module.parents.get(fn), ast.Module):
        sender = _post_save_senders(project)[fn.name]
        at = ast.copy_location(ast.Call(func=ast.Name(id=fn.name, ctx=ast.Load()), args=[], keywords=[]), fn)
    if sender is None or at is None:
        return ops
    return [db.DbOp(at, db.WRITE, frozenset({sender}), "django", "save", SIGNALLING_SAVE, autocommit=True,
                    confidence=Confidence.medium), *ops]


def _signal_sender(node: ast.AST) -> str | None:
    """The model of ``receiver(post_save, sender=Model)`` / ``post_save.connect(handler, sender=Model)``."""
    if not isinstance(node, ast.Call) or not node.args or (dotted(node.args[0]) or "").split(".")[-1] not in SAVE_SIGNALS and not (
            isinstance(node.func, ast.Attribute) and (dotted(node.func.value) or "").split(".")[-1] in SAVE_SIGNALS):
        return None
    given = next((k.value for k in node.keywords if k.arg == "sender"), None)
    if isinstance(given, ast.Call) and (dotted(given.func) or "").endswith("get_model") and given.args:
        given = given.args[-1]  # apps.get_model("projects", "Project")
    model = string_value(given) if isinstance(given, ast.Constant) else dotted(given) if given is not None else None
    return model.split(".")[-1] if model else None


def _post_save_senders(project: Project) -> dict[str, str]:
    """Function name -> the model whose ``save()`` it receives through ``post_save.connect(fn, sender=Model)``,
    for names connected to one model only."""
    if "r2.post_save_senders" not in project.facts:
        found: dict[str, set[str]] = {}
        for module in project.modules:
            if "_save" not in module.text or db.skipped_module(module):
                continue
            for call in module.nodes_of(ast.Call):
                if isinstance(call.func, ast.Attribute) and call.func.attr == "connect" and _signal_sender(call):
                    found.setdefault((dotted(call.args[0]) or "").split(".")[-1], set()).add(_signal_sender(call))
        project.facts["r2.post_save_senders"] = {name: next(iter(models)) for name, models in found.items()
                                                 if name and len(models) == 1}
    return project.facts["r2.post_save_senders"]


def _temporary_tables(fn: ast.AST) -> set[str]:
    """Tables the function creates as temporary (peewee ``RecordingsToDelete.create_table(temporary=True)``,
    SQL ``CREATE TEMP TABLE ids ...``): scratch space of this connection, gone with it, no data to
    leave half-changed."""
    found: set[str] = set()
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "create_table" \
                and any(k.arg == "temporary" and isinstance(k.value, ast.Constant) and k.value.value is True
                        for k in node.keywords):
            found.add((dotted(node.func.value) or "").split(".")[-1])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= set(TEMPORARY_TABLE.findall(node.value))
    return found - {""}


def _installs_schema(fn: ast.AST) -> bool:
    """An installer that creates the schema in the same run (``db.create_all()``, ``drop_all()``,
    ``create_latest_db()``, ``init_db()``) before filling it: run by hand on an empty database, and
    run again from scratch if it stops half-way."""
    return any(isinstance(n, ast.Call) and INSTALLS_SCHEMA.fullmatch((dotted(n.func) or "").split(".")[-1])
               for n in walk_function_body(fn))


def _with_flushed_changes(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], handed: bool = True) -> list[db.DbOp]:
    """SQLAlchemy: attributes set on a mapped object (``self.x = ...`` in a model's method, an object
    of a model the function is handed, ``new_forum: Forum``, ``for user in users`` of ``users: list[User]``, or
    a row the function loads, ``db_user = session.get(DbUser, user_id)``, ``db_order = get_db_order(order_id)``)
    are written by the next ``commit()``: an UPDATE of that model there, put just before the commit."""
    held = _handed_models(module, fn) if handed else {}
    owner = module.parents.get(fn)
    if handed and isinstance(owner, ast.ClassDef) and any(MAPPED_BASE.search(dotted(b) or "") for b in owner.bases):
        held["self"] = owner.name
    held.update(_loaded_rows(fn, ops))
    if not held:
        return ops
    dirty: list[tuple[int, str]] = []
    for node in walk_function_body(fn):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in held:
                dirty.append((node.lineno, held[target.value.id]))
    if not dirty:
        return ops
    result: list[db.DbOp] = []
    last_commit = 0
    for op in ops:
        if op.kind == db.COMMIT and not op.through:
            line = op.call.lineno
            for model in sorted({m for at, m in dirty if last_commit < at < line}):
                result.append(db.DbOp(op.call, db.UPDATE, frozenset({model}), "sqlalchemy", "commit", op.receiver,
                                      deferred=True, confidence=Confidence.medium))
            last_commit = line
        result.append(op)
    return result


def _loaded_rows(fn: ast.AST, ops: list[db.DbOp]) -> dict[str, str]:
    """Names bound to one row a SQLAlchemy read of one model returns (``db_user = session.get(DbUser, pk)``,
    ``db_order = get_db_order(order_id)``), bound once in the function."""
    read: dict[int, set[str]] = {}
    for op in ops:
        if op.is_read and op.api == "sqlalchemy" and op.method in ("get", "get_one", "scalar_one", "one", "first") or (
                op.is_read and op.api == "sqlalchemy" and op.through and GETTER.match(op.through)):
            read.setdefault(id(op.call), set()).update(op.tables)
    bound: dict[str, set[str]] = {}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            models = {m for n in ast.walk(node.value) for m in read.get(id(n), ())}
            bound.setdefault(node.targets[0].id, set()).update(models or {""})
    return {name: next(iter(models)) for name, models in bound.items() if len(models) == 1 and "" not in models}


def _with_helpers_flushed_changes(module: SourceModule, project: Project, ops: list[db.DbOp]) -> list[db.DbOp]:
    """A helper that loads a row, sets its attributes and commits (``db_line_item = session.get(DbLineItem, pk)``,
    ``db_line_item.processed_at = now``, ``session.commit()``): that UPDATE, at the helper's call."""
    result: list[db.DbOp] = []
    done: set[int] = set()
    for op in ops:
        if op.kind == db.COMMIT and op.through and isinstance(op.call, ast.Call) and id(op.call) not in done:
            done.add(id(op.call))
            resolved = db.resolve_function(module, project, op.call)
            if resolved is not None and isinstance(resolved[1], FUNCTION_TYPES):
                helper_module, helper = resolved
                own = list(db.expanded_ops(helper_module, project, helper, depth=1))
                result.extend(replace(flushed, call=op.call, through=helper.name)
                              for flushed in _with_flushed_changes(helper_module, helper, own, handed=False)
                              if flushed.method == "commit" and flushed.kind == db.UPDATE)
        result.append(op)
    return result


def _with_settings_writes(fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """A settings proxy written in a function that commits the session (``core_settings.set('name', value)``,
    ``user.settings.set('lang', lang)``, ``event_settings.set_multi(event, {...})``, then ``db.session.commit()``)
    writes rows of a settings table in that session: the commit ends or follows them like any other
    write. All settings proxies count as one table."""
    added = []
    written = {id(op.call) for op in ops}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SETTINGS_WRITES \
                and SETTINGS_PROXY.fullmatch((dotted(node.func.value) or "").split(".")[-1]) and id(node) not in written:
            receiver = dotted(node.func.value)
            added.append(db.DbOp(node, db.WRITE, frozenset({"settings"}), "sqlalchemy", node.func.attr, receiver,
                                 deferred=True, confidence=Confidence.medium))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


def _with_serializer_saves(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """DRF: ``serializer.save(...)`` in ``perform_create``/``perform_update`` (or ``create``/``update``) of
    a view writes the ``Meta.model`` of the serializer -- the parameter's annotation (``serializer:
    EventSerializer``) or the view's ``serializer_class``; ``super().create(...)`` in a serializer's own
    ``create``/``update`` writes its ``Meta.model``."""
    kind = db.INSERT if fn.name in ("perform_create", "create") else db.UPDATE if fn.name in (
        "perform_update", "update") else None
    owner = module.parents.get(fn)
    if kind is None or not isinstance(owner, ast.ClassDef):
        return ops
    declared = {a.arg: a.annotation for a in fn.args.args if a.annotation is not None}
    default = next((s.value for s in owner.body if isinstance(s, ast.Assign) and [dotted(t) for t in s.targets] == [
        "serializer_class"]), None)
    added = []
    for node in walk_function_body(fn):
        own_model = _serializer_models(project).get(owner.name) if _calls_inherited(node, fn.name) else None
        if own_model and fn.name in ("create", "update") and not any(op.call is node for op in ops):
            added.append(db.DbOp(node, kind, frozenset({own_model}), "django", fn.name, "super", autocommit=True,
                                 confidence=Confidence.medium))
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save"
                and isinstance(node.func.value, ast.Name) and "serializer" in node.func.value.id):
            continue
        named = declared.get(node.func.value.id, default)
        model = _serializer_models(project).get((dotted(named) or "").split(".")[-1]) if named is not None else None
        if model and not any(op.call is node for op in ops):
            added.append(db.DbOp(node, kind, frozenset({model}), "django", "save", node.func.value.id, autocommit=True,
                                 confidence=Confidence.medium))
    added.extend(_saved_row_method_writes(module, project, fn, added))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


def _saved_row_method_writes(module: SourceModule, project: Project, fn: ast.AST,
                             saves: list[db.DbOp]) -> list[db.DbOp]:
    """A method of the model called on the row a serializer's ``save()`` returned (``organization =
    serializer.save()``, then ``organization.add_user(user)`` inserting the membership): the method's
    writes, at the call."""
    rows = {statement.targets[0].id: next(iter(op.tables)) for op in saves
            if isinstance(statement := module.parents.get(op.call), ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)}
    added = []
    for node in walk_function_body(fn):
        if not (rows and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in rows):
            continue
        found = _model_method(project, rows[node.func.value.id], node.func.attr)
        if found is None:
            continue
        method_module, method = found
        added.extend(replace(op, call=node, through=method.name, confidence=Confidence.medium,
                             helper_transaction=op.helper_transaction or db.in_transaction(
                                 method_module, op.call, method, project))
                     for op in db.expanded_ops(method_module, project, method) if op.is_write)
    return added


def _model_method(project: Project, model: str, name: str) -> tuple[SourceModule, ast.AST] | None:
    """The method ``name`` of the one class of the code base named ``model``."""
    classes = [(module, cls) for module in project.modules if f"class {model}(" in module.text
               for cls in module.tree.body if isinstance(cls, ast.ClassDef) and cls.name == model]
    methods = [(module, method) for module, cls in classes for method in cls.body
               if isinstance(method, FUNCTION_TYPES) and method.name == name]
    return methods[0] if len(classes) == 1 and len(methods) == 1 else None


def _calls_inherited(node: ast.AST, method: str) -> bool:
    """``super().create(validated_data)`` in a serializer's ``create``: DRF's ``ModelSerializer``
    saves a row of the ``Meta.model``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method \
        and isinstance(node.func.value, ast.Call) and dotted(node.func.value.func) == "super"


def _with_form_saves(fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """Django model forms: ``obj = form.save(commit=False)``, ``obj.save()``, then ``form.save_m2m()``
    writes the object's row, then its many-to-many rows (each in its own autocommit statement)."""
    built: dict[str, str] = {}  # obj name -> the form it came from
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call) and isinstance(
                node.value.func, ast.Attribute) and node.value.func.attr == "save" and any(
                k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in node.value.keywords):
            target, form = dotted(node.targets[0]), dotted(node.value.func.value)
            if target and form:
                built[target] = form
    if not built:
        return ops
    for node in walk_function_body(fn):  # for recurrence in formset.save(commit=False) rows: recurrence.save()
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and dotted(node.iter) in built:
            built.setdefault(node.target.id, "")
    added = []
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or any(
                op.call is node for op in ops):
            continue
        holder = dotted(node.func.value) or ""
        if node.func.attr == "save" and holder in built:
            table = f"the {holder.split('.')[-1]} row"
        elif node.func.attr == "save_m2m" and holder and holder in built.values():
            table = f"the {next(k for k, v in built.items() if v == holder).split('.')[-1]} many-to-many rows"
        else:
            continue
        added.append(db.DbOp(node, db.WRITE, frozenset({table}), "django", node.func.attr, holder, autocommit=True,
                             confidence=Confidence.medium))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


def _with_model_form_saves(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """Django: ``form.save()`` of a ``ModelForm`` (its ``Meta.model``) or of a model formset
    (``QualificationFormset = inlineformset_factory(UserProfile, QualificationGrant, ...)``: the child
    model) writes that model's rows, each in its own autocommit statement. The form is built in the
    function (``form = EventForm(request.POST)``) or by a method of its class that returns it
    (``form = self.get_profile_form()``)."""
    added = []
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save"
                and isinstance(node.func.value, ast.Name) and not node.args and not node.keywords) or any(
                op.call is node and op.is_write for op in ops):
            continue
        built = db.single_binding(fn, node.func.value.id) or db.reaching_binding(module, fn, node.func.value)
        model = _form_model(module, project, built) if isinstance(built, ast.Call) else None
        if model is not None:
            added.append(db.DbOp(node, db.WRITE, frozenset({model}), "django", "save", node.func.value.id,
                                 autocommit=True, confidence=Confidence.medium))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


def _form_model(module: SourceModule, project: Project, built: ast.Call) -> str | None:
    """The model a form built by ``built`` saves: ``EventForm(...)`` of a model form or formset of
    the code base, or ``self.get_event_form()`` returning one."""
    models = _form_models(project)
    name = (dotted(built.func) or "").split(".")[-1]
    if name in models:
        return models[name]
    resolved = db.resolve_function(module, project, built) if dotted(built.func) == f"self.{name}" else None
    returned = [n.value for n in walk_function_body(resolved[1]) if isinstance(n, ast.Return)
                and isinstance(n.value, ast.Call)] if resolved is not None else []
    found = {models.get((dotted(r.func) or "").split(".")[-1]) for r in returned}
    return found.pop() if len(found) == 1 else None


FORMSET_FACTORIES = {"modelformset_factory": 0, "inlineformset_factory": 1, "modelform_factory": 0}  # model argument


def _form_models(project: Project) -> dict[str, str]:
    """Form class or formset name -> the model it saves, over the code base: a ``...Form``/``...FormSet``
    class with a ``Meta.model``, and a name bound at module level to ``modelformset_factory(Model, ...)``
    or ``inlineformset_factory(Parent, Model, ...)``."""
    if "r2.form_models" not in project.facts:
        found = _meta_models(project, re.compile(r"Form(Set|set)?$"))
        for module in (m for m in project.modules if "formset_factory" in m.text or "modelform_factory" in m.text):
            for statement in module.tree.body:
                factory = statement.value if isinstance(statement, ast.Assign) and isinstance(
                    statement.value, ast.Call) else None
                index = FORMSET_FACTORIES.get((dotted(factory.func) or "").split(".")[-1]) if factory else None
                if index is not None and len(factory.args) > index and dotted(factory.args[index]):
                    found.update({t.id: dotted(factory.args[index]).split(".")[-1] for t in statement.targets
                                  if isinstance(t, ast.Name)})
        project.facts["r2.form_models"] = found
    return project.facts["r2.form_models"]


def _without_declined_commits(module: SourceModule, project: Project, ops: list[db.DbOp]) -> list[db.DbOp]:
    """A helper that commits only when asked (``def set_default(session, ..., commit: bool = True): ...
    if commit: await session.commit()``), called with ``commit=False``: the caller's own commit
    ends the transaction, not the helper."""
    declined: dict[int, bool] = {}
    for op in ops:
        if op.kind == db.COMMIT and op.through and id(op.call) not in declined:
            declined[id(op.call)] = _declines_commit(module, project, op.call)
    return [op for op in ops if not (op.kind == db.COMMIT and declined.get(id(op.call)))]


def _declines_commit(module: SourceModule, project: Project, call: ast.Call, declined: frozenset[str] = frozenset(),
                     levels: int = 2) -> bool:
    """Also through a helper that hands the switch on (``increase_quantity(..., commit=False)`` calling
    ``product_repository.increase_quantity(product_id, quantity, commit)``)."""
    resolved = db.resolve_function(module, project, call)
    if resolved is None:
        return False
    helper_module, helper = resolved
    switches = {name for name, value in _passed_arguments(helper, call).items()
                if isinstance(value, ast.Constant) and value.value is False or isinstance(value, ast.Name)
                and value.id in declined}
    commits = [node for node in walk_function_body(helper) if isinstance(node, ast.Call)
               and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]
    if not commits and switches and levels > 0:
        handed_on = [node for node in walk_function_body(helper) if isinstance(node, ast.Call) and any(
            isinstance(a, ast.Name) and a.id in switches for a in [*node.args, *(k.value for k in node.keywords)])]
        return bool(handed_on) and all(_declines_commit(helper_module, project, node, frozenset(switches), levels - 1)
                                       for node in handed_on)
    return bool(commits) and all(_guarded_by(helper_module, helper, node, switches) for node in commits)


def _passed_arguments(helper: ast.AST, call: ast.Call) -> dict[str, ast.expr]:
    """The helper's parameter -> the caller's argument for it."""
    positional = [a.arg for a in [*helper.args.posonlyargs, *helper.args.args]]
    passed = {k.arg: k.value for k in call.keywords if k.arg}
    offset = 1 if positional[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute) else 0
    passed.update((positional[i + offset], value) for i, value in enumerate(call.args) if i + offset < len(positional))
    return passed


def _guarded_by(module: SourceModule, fn: ast.AST, node: ast.AST, switches: set[str]) -> bool:
    """Whether ``node`` runs only under ``if <switch>:`` for one of the named parameters."""
    child = node
    for parent in ancestors(module, node):
        if parent is fn:
            return False
        if isinstance(parent, ast.If) and isinstance(parent.test, ast.Name) and parent.test.id in switches and any(
                child is statement for statement in parent.body):
            return True
        child = parent
    return False


def _with_relation_sets(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """Django: ``user.groups.set(groups)``, ``book.tags.add(tag)``, ``.remove(...)``, ``.clear()`` on a
    many-to-many field of a model instance the function writes (``user = User.objects.create(...)``,
    ``book.save()``) or a DRF serializer's ``update`` is handed (``instance`` of its ``Meta.model``):
    a write of the field's link rows, its own autocommit statements."""
    held: dict[str, str] = {}
    for op in ops:
        if op.api != "django" or op.through or len(op.tables) != 1:
            continue
        statement = module.parents.get(op.call)
        if op.is_write and isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
                statement.targets[0], ast.Name):
            held[statement.targets[0].id] = next(iter(op.tables))  # user = User.objects.create(...)
        elif op.is_write and op.receiver and "." not in op.receiver:
            held[op.receiver] = next(iter(op.tables))  # book.save()
    owner = module.parents.get(fn)
    handed = fn.args.args[1].arg if fn.name == "update" and isinstance(owner, ast.ClassDef) and len(
        fn.args.args) > 1 else None
    if handed and _serializer_models(project).get(owner.name):
        held.setdefault(handed, _serializer_models(project)[owner.name])
    if not held:
        return ops
    fields = _many_to_many_fields(project)
    written = {id(op.call) for op in ops}
    added = []
    for node in walk_function_body(fn):
        if handed in held and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "save" and dotted(node.func.value) == handed and id(node) not in written:
            added.append(db.DbOp(node, db.UPDATE, frozenset({held[handed]}), "django", "save", handed, autocommit=True,
                                 confidence=Confidence.medium))  # instance.save() in the serializer's update
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RELATION_WRITES
                and isinstance(node.func.value, ast.Attribute) and isinstance(node.func.value.value, ast.Name)):
            continue
        holder, field = node.func.value.value.id, node.func.value.attr
        if holder in held and field in fields.get(held[holder], ()) and id(node) not in written:
            added.append(db.DbOp(node, db.WRITE, frozenset({fields[held[holder]][field]}), "django", node.func.attr,
                                 f"{holder}.{field}", autocommit=True, confidence=Confidence.medium))
    linked = {id(op.call) for op in ops if any(t.endswith(" links") for t in op.tables)}
    added.extend(_helper_relation_writes(module, project, fn, held, fields, linked))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


RELATED_MANAGER_WRITES = {"create": db.INSERT, "get_or_create": db.INSERT, "update_or_create": db.INSERT,
                          "bulk_create": db.INSERT, "update": db.UPDATE, "delete": db.DELETE}
QUERY_STEPS = {"all", "filter", "exclude"}


def _with_related_manager_writes(module: SourceModule, project: Project, fn: ast.AST,
                                 ops: list[db.DbOp]) -> list[db.DbOp]:
    """Django: the manager of the rows pointing at an object through a ``ForeignKey``
    (``alert.notification_set.create()``, ``instance.alertrecipient_set.filter(...).delete()``)
    writes the table of that model, in its own autocommit statement."""
    managers = _related_managers(project)
    written = {id(op.call) for op in ops}
    added = []
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in RELATED_MANAGER_WRITES) or id(node) in written:
            continue
        manager = node.func.value
        while isinstance(manager, ast.Call) and isinstance(manager.func, ast.Attribute) and \
                manager.func.attr in QUERY_STEPS and node.func.attr in ("update", "delete"):
            manager = manager.func.value
        model = managers.get(manager.attr) if isinstance(manager, ast.Attribute) else None
        if model is not None:
            added.append(db.DbOp(node, RELATED_MANAGER_WRITES[node.func.attr], frozenset({model}), "django",
                                 node.func.attr, dotted(manager), upsert=node.func.attr in ("get_or_create", "update_or_create"),
                                 autocommit=True, confidence=Confidence.medium))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


USER_FACTORIES = {"create_user", "create_superuser"}  # Django's UserManager: an INSERT of the user
COPIES = {"copy", "copy.copy", "deepcopy", "copy.deepcopy"}
ROW_WRITES = {"save": db.WRITE, "asave": db.WRITE, "delete": db.DELETE, "adelete": db.DELETE}


def _with_reached_row_writes(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """Django: writes of model instances the function reaches from one it holds (a row it reads, writes or
    gets from ``get_object_or_404(Routine, pk=pk)``): the object of a one-to-one or foreign key
    (``user.userprofile.save()``; ``profile = user.userprofile``, then ``profile.save()``), the rows of a
    reverse foreign key it loops over (``for day in routine.days.all(): ... day.save()``) and a copy of
    one (``day_copy = copy.copy(day)``, ``day_copy.save()``); and a user made by Django's
    ``User.objects.create_user(...)``. Each is its own autocommit statement."""
    written = {id(op.call) for op in ops}
    added = [db.DbOp(node, db.INSERT, frozenset({model}), "django", node.func.attr, None, autocommit=True,
                     confidence=Confidence.medium)
             for node in walk_function_body(fn) if id(node) not in written and (model := _user_factory_model(node))]
    relations = _row_relations(project)
    held = _held_rows(module, fn, [*ops, *added], relations)
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ROW_WRITES) \
                or id(node) in written:
            continue
        model = _reached_model(node.func.value, held, relations)
        if model is not None:
            added.append(db.DbOp(node, ROW_WRITES[node.func.attr], frozenset({model}), "django", node.func.attr,
                                 dotted(node.func.value), autocommit=True, confidence=Confidence.medium))
    return sorted([*ops, *added], key=lambda o: (o.call.lineno, o.call.col_offset)) if added else ops


def _user_factory_model(node: ast.AST) -> str | None:
    """``User`` for ``User.objects.create_user(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in USER_FACTORIES \
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "objects":
        model = (dotted(node.func.value.value) or "").split(".")[-1]
        return model if model[:1].isupper() else None
    return None


def _held_rows(module: SourceModule, fn: ast.AST, ops: list[db.DbOp],
               relations: dict[str, dict[str, tuple[str, bool]]]) -> dict[str, str]:
    """Names of ``fn`` holding a Django model instance -> its model: bound to a Django operation of one
    model (``gym = Gym.objects.get(...)``, ``user = User.objects.create_user(...)``) or its receiver
    (``user.save()``), to ``get_object_or_404(Model, ...)``, to a copy or a related row of a held one
    (``day_copy = copy.copy(day)``, ``profile = user.userprofile``), or looping over the rows of a held
    one's reverse foreign key (``for day in routine.days.all()``)."""
    held: dict[str, str] = {}
    for op in ops:
        if op.api != "django" or op.through or len(op.tables) != 1 or op.batch:
            continue
        statement = module.parents.get(op.call)
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
                statement.targets[0], ast.Name) and not op.lazy:
            held.setdefault(statement.targets[0].id, next(iter(op.tables)))
        elif op.method in ROW_WRITES and op.receiver and op.receiver.isidentifier():
            held.setdefault(op.receiver, next(iter(op.tables)))
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                isinstance(node.value, ast.Call) and (dotted(node.value.func) or "").split(".")[-1] == \
                "get_object_or_404" and node.value.args:
            model = (dotted(node.value.args[0]) or "").split(".")[-1]
            if model[:1].isupper():
                held.setdefault(node.targets[0].id, model)
    for node in walk_function_body(fn):  # in source order: a copy of a copy, the rows of a looped row
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) and node.value is not None else None
        if isinstance(target, ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and dotted(value.func) in COPIES and len(value.args) == 1:
                value = value.args[0]
            model = _reached_model(value, held, relations)
            if model is not None:
                held.setdefault(target.id, model)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            model = _looped_rows_model(node.iter, held, relations)
            if model is not None:
                held.setdefault(node.target.id, model)
    return held


def _looped_rows_model(rows: ast.AST, held: dict[str, str], relations: dict[str, dict[str, tuple[str, bool]]]) -> str | None:
    """The model of the rows of a held instance's reverse foreign key (``routine.days.all()``,
    ``day.slot_set.filter(...)``)."""
    while isinstance(rows, ast.Call) and isinstance(rows.func, ast.Attribute) and rows.func.attr in QUERY_STEPS | {
            "order_by", "select_related", "prefetch_related"}:
        rows = rows.func.value
    if isinstance(rows, ast.Attribute) and isinstance(rows.value, ast.Name) and rows.value.id in held:
        target, many = relations.get(held[rows.value.id], {}).get(rows.attr, (None, False))
        return target if many else None
    return None


def _reached_model(node: ast.AST, held: dict[str, str], relations: dict[str, dict[str, tuple[str, bool]]]) -> str | None:
    """The model of the instance ``node`` names: a held name, or a one-to-one or foreign key of one
    (``user.userprofile``)."""
    if isinstance(node, ast.Name):
        return held.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in held:
        target, many = relations.get(held[node.value.id], {}).get(node.attr, (None, True))
        return None if many else target
    return None


def _row_relations(project: Project) -> dict[str, dict[str, tuple[str, bool]]]:
    """Django model -> its relation attributes -> (the related model, whether the attribute is a manager of
    many rows): a ``ForeignKey`` or ``OneToOneField`` declared on it (one row), the reverse accessor of a
    ``OneToOneField`` pointing at it (``userprofile``: one row) and of a ``ForeignKey`` (``days``,
    ``day_set``: many)."""
    if "r2.row_relations" not in project.facts:
        found: dict[str, dict[str, tuple[str, bool]]] = {}
        for kind in ("ForeignKey", "OneToOneField"):
            for cls, field, target, accessor in _relation_fields(project, kind):
                found.setdefault(cls, {})[field] = (target, False)
                if accessor:
                    found.setdefault(target, {})[accessor] = (cls, kind == "ForeignKey")
        project.facts["r2.row_relations"] = found
    return project.facts["r2.row_relations"]


def _helper_relation_writes(module: SourceModule, project: Project, fn: ast.AST, held: dict[str, str],
                            fields: dict[str, dict[str, str]], linked: set[int]) -> list[db.DbOp]:
    """A helper of the code base handed an object the function writes (``bookmark.save()``, then
    ``update_tags(bookmark, names)``) that changes a many-to-many field of its parameter
    (``bookmark.tags.set(tags)``): the link rows are written at the call."""
    added = []
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Call) or id(node) in linked or not any(
                isinstance(a, ast.Name) and a.id in held for a in [*node.args, *(k.value for k in node.keywords)]):
            continue
        resolved = db.resolve_function(module, project, node)
        if resolved is None:
            continue
        handed = {parameter: argument.id for parameter, argument in _passed_arguments(resolved[1], node).items()
                  if isinstance(argument, ast.Name) and argument.id in held}
        for inner in walk_function_body(resolved[1]):
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr in \
                    RELATION_WRITES and isinstance(inner.func.value, ast.Attribute) and isinstance(
                    inner.func.value.value, ast.Name) and inner.func.value.value.id in handed:
                holder, field = handed[inner.func.value.value.id], inner.func.value.attr
                if field in fields.get(held[holder], ()):
                    added.append(db.DbOp(node, db.WRITE, frozenset({fields[held[holder]][field]}), "django",
                                         inner.func.attr, f"{holder}.{field}", through=getattr(resolved[1], "name", None),
                                         autocommit=True, confidence=Confidence.medium))
                    break
    return added


def _relinks_unchanged_row(module: SourceModule, fn: ast.AST, earlier: db.DbOp, later: db.DbOp) -> bool:
    """A many-to-many change of an object paired with a ``save()`` of that object when the function
    sets none of its fields (``user.also_known_as.add(alias)``, then ``user.save(broadcast=True)``):
    the save rewrites the row unchanged, so a failure between them leaves no half change."""
    links = next((op for op in (earlier, later) if op.method in RELATION_WRITES and op.api == "django"), None)
    saved = later if links is earlier else earlier
    if links is None or saved.method != "save" or not saved.receiver or links.receiver.split(".")[0] != saved.receiver:
        return False
    return not any(isinstance(target, ast.Attribute) and dotted(target.value) == saved.receiver
                   for node in walk_function_body(fn) if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                   for target in (node.targets if isinstance(node, ast.Assign) else [node.target])) and not any(
        isinstance(node, ast.Call) and dotted(node.func) == "setattr" and node.args
        and dotted(node.args[0]) == saved.receiver for node in walk_function_body(fn))


def _many_to_many_fields(project: Project) -> dict[str, dict[str, str]]:
    """Django model -> its many-to-many fields -> their link table: declared (``tags =
    models.ManyToManyField(Tag)``), also on an abstract base of the code base, Django's own on users
    and groups, and the other side's accessor (``team_set`` of ``Project`` for ``Team.projects``, or
    its ``related_name``)."""
    if "r2.many_to_many" not in project.facts:
        declared: dict[str, dict[str, str]] = {"User": {"groups": "User.groups links", "user_permissions":
                                                        "User.user_permissions links"},
                                               "Group": {"permissions": "Group.permissions links"}}
        bases: dict[str, list[str]] = {}
        for module in (m for m in project.modules if "ManyToManyField" in m.text):
            for cls in module.nodes_of(ast.ClassDef):
                bases[cls.name] = [(dotted(b) or "").split(".")[-1] for b in cls.bases]
        for cls, field, target, accessor in _relation_fields(project, "ManyToManyField"):
            declared.setdefault(cls, {})[field] = f"{cls}.{field} links"
            if accessor:
                declared.setdefault(target, {}).setdefault(accessor, f"{cls}.{field} links")
        for name, parents in bases.items():
            for parent in parents:
                for field, table in declared.get(parent, {}).items():
                    declared.setdefault(name, {}).setdefault(field, table.replace(f"{parent}.", f"{name}.", 1))
        project.facts["r2.many_to_many"] = declared
    return project.facts["r2.many_to_many"]


def _related_managers(project: Project) -> dict[str, str]:
    """The accessor of the rows that point at a Django model through a ``ForeignKey`` -> their model,
    when one model of the code base has it: the default ``<model>_set`` (``alertrecipient_set`` of
    ``AlertRecipient.alert``) or a ``related_name`` ending in ``_set``."""
    if "r2.related_managers" not in project.facts:
        models: dict[str, set[str]] = {}
        for cls, _, _, accessor in _relation_fields(project, "ForeignKey"):
            if accessor and accessor.endswith("_set"):
                models.setdefault(accessor, set()).add(cls)
        project.facts["r2.related_managers"] = {accessor: found.pop() for accessor, found in models.items()
                                                if len(found) == 1}
    return project.facts["r2.related_managers"]


def _relation_fields(project: Project, kind: str) -> Iterator[tuple[str, str, str, str | None]]:
    """(model, field, target model, the target's accessor or None) of each ``kind`` field (``ForeignKey``,
    ``ManyToManyField``) declared in a class body of the code base."""
    for module in (m for m in project.modules if kind in m.text):
        for cls in module.nodes_of(ast.ClassDef):
            for statement in cls.body:
                if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
                        statement.targets[0], ast.Name) and isinstance(statement.value, ast.Call)
                        and (dotted(statement.value.func) or "").split(".")[-1] == kind):
                    continue
                call = statement.value
                keywords = {k.arg: k.value for k in call.keywords}
                to = call.args[0] if call.args else keywords.get("to")
                target = string_value(to) if isinstance(to, ast.Constant) else dotted(to) if to is not None else None
                if not target:
                    continue
                target = cls.name if target == "self" else target.split(".")[-1]
                related = keywords.get("related_name")
                default = cls.name.lower() if kind == "OneToOneField" else f"{cls.name.lower()}_set"
                accessor = string_value(related) if related is not None else default
                if accessor and (accessor.endswith("+") or "%(" in accessor):
                    accessor = None
                yield cls.name, statement.targets[0].id, target, accessor


def _serializer_models(project: Project) -> dict[str, str]:
    """DRF serializer class -> the model of its ``Meta``, over the code base."""
    if "r2.serializer_models" not in project.facts:
        project.facts["r2.serializer_models"] = _meta_models(project, re.compile(r"Serializer$"))
    return project.facts["r2.serializer_models"]


def _meta_models(project: Project, class_name: re.Pattern) -> dict[str, str]:
    """Class whose name matches ``class_name`` -> the model its inner ``class Meta`` names, also
    inherited: a subclass without a ``Meta`` of its own, or whose ``Meta`` derives from its base's
    (``class Meta(TeamReferenceSerializer.Meta): fields = ...``), has its base's model."""
    found: dict[str, str] = {}
    inherits: dict[str, list[str]] = {}  # class without a model of its own -> the classes it takes one from
    for module in (m for m in project.modules if "Meta" in m.text):
        for cls in (c for c in module.nodes_of(ast.ClassDef) if class_name.search(c.name)):
            meta = next((n for n in cls.body if isinstance(n, ast.ClassDef) and n.name == "Meta"), None)
            model = next((dotted(a.value).split(".")[-1] for a in (meta.body if meta else []) if isinstance(
                a, ast.Assign) and [dotted(t) for t in a.targets] == ["model"] and dotted(a.value)), None)
            if model:
                found[cls.name] = model
            elif meta is None:
                inherits[cls.name] = [(dotted(b) or "").split(".")[-1] for b in cls.bases]
            else:
                inherits[cls.name] = [dotted(b).rsplit(".", 2)[-2] for b in meta.bases
                                      if (dotted(b) or "").endswith(".Meta")]
    for _ in range(len(inherits)):
        taken = {name: next(found[b] for b in bases if b in found) for name, bases in inherits.items()
                 if name not in found and any(b in found for b in bases)}
        if not taken:
            break
        found.update(taken)
    return found


def _handed_models(module: SourceModule, fn: ast.AST) -> dict[str, str]:
    """Names of ``fn`` holding objects of a model class by the annotation of a parameter (``forum:
    "Forum"``, ``Forum | None``), and loop names over a parameter annotated ``list[User]``."""
    held: dict[str, str] = {}
    listed: dict[str, str] = {}
    for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        node = annotation_expr(arg.annotation)
        if isinstance(node, ast.BinOp):  # X | None
            node = node.left if not is_none(node.left) else node.right
        if isinstance(node, ast.Subscript) and (dotted(node.value) or "").split(".")[-1] in ("list", "List", "Sequence",
                                                                                           "Iterable"):
            inner = annotation_expr(node.slice)
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                inner = annotation_expr(inner)
            name = (dotted(inner) or "").split(".")[-1] if isinstance(inner, (ast.Name, ast.Attribute)) else ""
            if name[:1].isupper() and not name.isupper():
                listed[arg.arg] = name
        elif isinstance(node, (ast.Name, ast.Attribute)):
            name = (dotted(node) or "").split(".")[-1]
            if name[:1].isupper() and not name.isupper() and name not in NOT_MODELS:
                held[arg.arg] = name
    for node in walk_function_body(fn):
        rows = node.iter.values[0] if isinstance(node, ast.For) and isinstance(node.iter, ast.BoolOp) else getattr(
            node, "iter", None)  # for user in users or []
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(rows, ast.Name) and \
                rows.id in listed:
            held[node.target.id] = listed[rows.id]
    return held


def _imports_project_code(module: SourceModule, project: Project) -> bool:
    return any(target.rsplit(".", 1)[0] in project.by_dotted_name for target in module.imports.values())


def _makes_sample_data(module: SourceModule) -> bool:
    """A command or script that seeds or generates development data (``seed.py``, ``initdb``,
    ``dummy-generator-users``, ``populate_demo``, a module whose docstring opens with "Loads test
    data into the database", a management command ``create_test_event``): run by hand on an empty or
    disposable database,
    and run again if it stops half-way."""
    docstring = ast.get_docstring(module.tree) or ""
    name = module.path.rsplit("/", 1)[-1]
    return bool(SAMPLE_DATA.search(name) or SAMPLE_DOCSTRING.search(docstring) or (
        is_management_command(module.path) and TEST_DATA_COMMAND.search(name)))


def _development_command(module: SourceModule, project: Project) -> bool:
    """A Django management command that refuses to run unless ``settings.DEBUG`` (``if not settings.DEBUG: raise
    CommandError(...)``): a developer's set-up or seeding tool, run against a disposable database; and a helper module
    of the commands folder (``management/commands/content/products.py``) that only such commands import."""
    if not is_management_command(module.path):
        return False
    if _refuses_without_debug(module):
        return True
    importers = [m for m in project.modules if m is not module and any(
        target == module.dotted_name or target.startswith(module.dotted_name + ".") for target in m.imports.values())]
    return bool(importers) and all(is_management_command(m.path) and _refuses_without_debug(m) for m in importers)


def _refuses_without_debug(module: SourceModule) -> bool:
    """``if not settings.DEBUG: raise CommandError(...)`` in a function of the module."""
    if "DEBUG" not in module.text:
        return False
    return any(isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
               and (dotted(node.test.operand) or "").endswith("settings.DEBUG")
               and any(isinstance(stmt, ast.Raise) for stmt in node.body)
               for node in module.nodes_of(ast.If))


def _hand_run_script(module: SourceModule) -> bool:
    """A script of a ``bin/`` directory (``bin/import_users.py``, ``bin/benchmark.py``): run by hand
    by an operator, who sees it stop and runs it again; not code the service runs."""
    return "bin" in module.path.split("/")[:-1]


def _runs_in_callers_transaction(module: SourceModule, fn: ast.AST, project: Project) -> bool:
    """A ``save``/``delete`` method of a class that is no Django model (nor a model form), and receivers of signals sent inside a
    transaction (``pre_delete``/``post_delete``, ``m2m_changed``) or of the code base's own signals, run inside the
    transaction of their caller. Not a Django model's ``save``/``delete`` override nor a ``pre_save``/``post_save``
    receiver: ``Model.save()`` opens no block around them, so in autocommit each of their writes commits apart. The Django
    admin's change and delete views run a ``ModelAdmin``'s ``save_model``/``save_formset``/
    ``save_related``/``delete_model`` inside their own ``transaction.atomic()``. So does the
    ``create``/``update`` of a DRF serializer nested in another serializer whose own ``create``/
    ``update`` is atomic: DRF leaves nested writes to the parent, which calls it; and that of a serializer
    every view naming it saves in an atomic ``perform_create``/``perform_update`` (its own or a base's)."""
    owner = module.parents.get(fn)
    if fn.name in ("save", "delete") and isinstance(owner, ast.ClassDef) and db._django_model_class(module, fn) is None \
            and owner.name not in _form_models(project):  # a model form's save opens no block either
        return True
    if fn.name in ADMIN_SAVE_HOOKS and isinstance(owner, ast.ClassDef) and _admin_class(owner):
        return True
    if fn.name in ("create", "update") and isinstance(owner, ast.ClassDef) and (
            owner.name in _nested_in_atomic(project) or owner.name in _saved_by_atomic_views(project)[fn.name]
            or owner.name in _saved_in_view_transactions(project)[fn.name]):
        return True
    if in_atomic_dispatch_view(module, project, fn):
        return True
    return _receives_in_transaction(module, fn) or (fn.name in _model_signal_receivers(project)) or (
        not _route_handler(module, project, fn) and _every_caller_in_transaction(module, project, fn))


def _receives_in_transaction(module: SourceModule, fn: ast.AST) -> bool:
    """A ``@receiver(...)`` of signals sent inside a transaction (``pre_delete``/``post_delete`` from the
    deletion's ``atomic()``, ``m2m_changed`` from the related manager's) or of signals the code base sends
    itself. Not of ``pre_save``/``post_save``: ``Model.save()`` sends them outside any block of its own, so
    in autocommit the receiver's writes each commit apart."""
    for decorator in getattr(fn, "decorator_list", []):
        call = decorator if isinstance(decorator, ast.Call) else None
        if (dotted(call.func if call else decorator) or "").split(".")[-1] != "receiver":
            continue
        first = call.args[0] if call and call.args else None
        signals = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
        if not any((dotted(s) or "").split(".")[-1] in SAVE_SIGNALS for s in signals if s is not None):
            return True
    return False


def _on_callers_connection(fn: ast.AST, ops: list[db.DbOp]) -> bool:
    """Every write of ``fn`` goes through a connection its caller hands it (``async def delete_partnership(
    partnership_id, db): ...; await history.create(db); await partnership.delete(db)``): a transaction the
    caller holds on that connection (``async with db.transaction():``) takes them in. Not a pool or an engine
    handed in, from which each statement may take a connection of its own."""
    connections = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
                   if db.db_like_name(a.arg) and not any(word in a.arg.lower() for word in ("pool", "engine"))}
    return bool(connections) and all(connections & _names_in_call(op.call) for op in ops if op.is_write)


def _names_in_call(call: ast.AST) -> set[str]:
    """The receiver's first name and the plain names handed as arguments."""
    receiver = (dotted(call.func) or "").split(".")[0] if isinstance(call, ast.Call) else ""
    handed = [*call.args, *(k.value for k in call.keywords)] if isinstance(call, ast.Call) else []
    return {receiver} | {arg.id for arg in handed if isinstance(arg, ast.Name)}


MODEL_SIGNALS = frozenset({"pre_delete", "post_delete", "m2m_changed"})  # sent inside the deletion's/manager's atomic()
SAVE_SIGNALS = frozenset({"pre_save", "post_save"})  # sent by save() outside any transaction of its own


def _model_signal_receivers(project: Project) -> set[str]:
    """Functions connected to a Django model signal (``post_save.connect(org_save, sender=Organization)``):
    receivers that run inside the ``save()``/``delete()`` that sends the signal, in its transaction."""
    if "r2.model_signal_receivers" not in project.facts:
        project.facts["r2.model_signal_receivers"] = {
            call.args[0].id for module in project.modules if ".connect(" in module.text
            for call in module.nodes_of(ast.Call) if isinstance(call.func, ast.Attribute) and call.func.attr == "connect"
            and (dotted(call.func.value) or "").split(".")[-1] in MODEL_SIGNALS and call.args
            and isinstance(call.args[0], ast.Name)}
    return project.facts["r2.model_signal_receivers"]


def _route_handler(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A view or a view class's request method (``post`` of a ``TemplateView``): the web framework calls it,
    outside any transaction, whatever other code of the same name does."""
    return any(handler.function is fn for handler in web.route_handlers(module, project))


def _every_caller_in_transaction(module: SourceModule, project: Project, fn: ast.AST,
                                 levels: int = CALLER_LEVELS) -> bool:
    """Every call of ``fn``'s name in the code base (tests aside) runs inside a transaction: under
    ``@transaction.atomic``, in a ``with transaction.atomic():`` block, in a Django admin hook
    that the admin runs inside one, or, further up, in a function whose own calls all do
    (``Translation.approve()`` called only from an atomic view). A name also read without being
    called (handed on as a callback, ``{"replace": replace_translations}``) leaves the callers
    unknown, unless it is handed to a call that runs it there and then (``delete_thread_hook(
    _delete_thread_action, thread)`` under ``@transaction.atomic``): that call is where it runs. A
    callback handed on to be run later (``transaction.on_commit(fn)``, an executor, a task queue, a
    thread) stays unknown. An override's ``super().save_action(...)`` runs where the override runs,
    and is no caller of its own. A name read in a class body that defines it (``actions = [undo]`` in a
    ``ModelAdmin``) is that class's own function, no use of another class's ``undo()``. For a method, a
    ``self.``/``cls.`` call in a class that neither inherits from its class nor is inherited by it runs
    that other class's own method (a base class's ``run()`` calling ``cls.perform_change()`` in its
    transaction is a caller of the hook; an unrelated class calling its own ``self.perform_change()`` is not)."""
    name = getattr(fn, "name", "")
    owner = module.parents.get(fn)
    related = _related_classes(project, owner.name) if isinstance(owner, ast.ClassDef) else None
    found = [(caller_module, call) for caller_module, call in _uses_by_name(project).get(name, [])
             if not _extends_itself(caller_module, call, name) and not _calls_itself(caller_module, call, fn) and not (
                isinstance(call, ast.ClassDef) and not any(fn is statement for statement in call.body))
             and not (related is not None and _calls_own_method_elsewhere(caller_module, project, call, owner, related))]
    return bool(found) and all(call is not None and not isinstance(call, ast.ClassDef) and _called_in_transaction(
        caller_module, project, call, levels) for caller_module, call in found)


def _related_classes(project: Project, name: str) -> set[str]:
    """``name``, the classes of the code base it inherits from and those that inherit from it."""
    related = project.facts.setdefault("r2.related_classes", {})
    if name not in related:
        bases = db.class_bases(project)
        related[name] = {name} | db._ancestors(name, bases) | {cls for cls in bases if name in db._ancestors(cls, bases)}
    return related[name]


def _calls_own_method_elsewhere(module: SourceModule, project: Project, call: ast.AST | None, owner: ast.ClassDef,
                                related: set[str]) -> bool:
    """``self.name``/``cls.name`` read in a method of a class outside ``related``, or of another class that
    defines ``name`` itself and is no base of ``owner`` (two management commands, each a ``Command`` with
    its own ``_create_run``)."""
    if not isinstance(call, ast.Attribute) or not isinstance(call.value, ast.Name) or call.value.id not in ("self", "cls"):
        return False
    caller_class = module.parents.get(db.function_of(module, call))
    if not isinstance(caller_class, ast.ClassDef) or caller_class is owner:
        return False
    return caller_class.name not in related or any(
        isinstance(method, FUNCTION_TYPES) and method.name == call.attr for method in caller_class.body) and (
        caller_class.name not in db._ancestors(owner.name, db.class_bases(project)))


def _extends_itself(module: SourceModule, node: ast.AST | None, name: str) -> bool:
    """``super().name(...)`` inside a method called ``name``: the override calling what it overrides."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call) and (
        dotted(node.value.func) == "super") and getattr(db.function_of(module, node), "name", None) == name


def _calls_itself(module: SourceModule, node: ast.AST | None, fn: ast.AST) -> bool:
    """A recursive call in ``fn``'s own body: it runs where ``fn`` runs, no caller of its own."""
    return isinstance(node, (ast.Name, ast.Attribute)) and db.function_of(module, node) is fn


def _uses_by_name(project: Project) -> dict[str, list[tuple[SourceModule, ast.AST | None]]]:
    """Name -> each place the code base (tests aside) reads it: the called name, the class whose body
    reads a function it defines without calling it (``actions = [undo]``), or None where it is read
    without being called elsewhere."""
    if "r2.uses_by_name" not in project.facts:
        uses: dict[str, list[tuple[SourceModule, ast.AST | None]]] = {}
        for module in project.modules:
            if db.skipped_module(module):
                continue
            calls = list(module.nodes_of(ast.Call))
            called = {id(call.func) for call in calls}
            handed = {id(arg): call for call in calls if not _defers(call)
                      for arg in [*call.args, *(k.value for k in call.keywords)]}
            for node in module.nodes_of(ast.Name, ast.Attribute):
                if isinstance(node.ctx, ast.Load):
                    name = node.id if isinstance(node, ast.Name) else node.attr
                    uses.setdefault(name, []).append((module, node if id(node) in called else handed.get(id(node))
                                                      or _defining_class(module, node)))
        project.facts["r2.uses_by_name"] = uses
    return project.facts["r2.uses_by_name"]


def _defining_class(module: SourceModule, node: ast.AST) -> ast.ClassDef | None:
    """The class whose body reads ``node`` (a bare name) and defines a function of that name."""
    owner = next((a for a in ancestors(module, node) if isinstance(a, (ast.ClassDef, *FUNCTION_TYPES, ast.Module))), None)
    return owner if isinstance(node, ast.Name) and isinstance(owner, ast.ClassDef) and any(
        isinstance(f, FUNCTION_TYPES) and f.name == node.id for f in owner.body) else None


def _defers(call: ast.Call) -> bool:
    """A call that keeps the callable it is given to run later or elsewhere: after the commit
    (``transaction.on_commit``), in a thread, process, executor or task queue, on a signal or route."""
    name = (dotted(call.func) or "").split(".")[-1]
    return name in DEFERRING_CALLS or name.startswith(("add_", "register", "connect", "schedule"))


def _called_in_transaction(module: SourceModule, project: Project, call: ast.AST, levels: int) -> bool:
    caller = db.function_of(module, call)
    if caller is module.tree:
        return False
    owner = module.parents.get(caller)
    return db.in_transaction(module, call, caller, project) or (
        caller.name in ADMIN_SAVE_HOOKS and isinstance(owner, ast.ClassDef) and _admin_class(owner)) or (
        in_atomic_dispatch_view(module, project, caller)) or (
        levels > 1 and _every_caller_in_transaction(module, project, caller, levels - 1))


def _admin_class(cls: ast.ClassDef) -> bool:
    return any((dotted(base) or "").endswith("Admin") for base in cls.bases)


def _separate_calls_of_committing_helper(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], earlier: db.DbOp,
                                         later: db.DbOp) -> bool:
    """Two calls of one helper that commits its own writes (``sketch.add_attribute("users", ...)``, then
    ``sketch.add_attribute("hosts", ...)``), the second not given what the first made: each call
    stores one thing of its own, and where the helper splits its change, it is reported there. (A
    repository's ``create(obj)`` given rows of two models is two parts of one change.)"""
    def written(call: ast.AST) -> set[str]:
        return {table for op in ops if op.is_write and op.call is call for table in op.tables}

    return bool(earlier.through) and earlier.through == later.through and any(
        op.kind == db.COMMIT and op.through == earlier.through for op in ops) and written(
        earlier.call) == written(later.call) and not _uses_result_of(module, fn, earlier.call, later.call)


def _saved_by_atomic_views(project: Project) -> dict[str, set[str]]:
    """``create``/``update`` -> the serializer classes named only as the ``serializer_class`` of views
    (``serializer_class = AccessCodeSerializer``) that all save them in a ``perform_create``/``perform_update`` under
    ``@transaction.atomic`` (``serializer.save()`` calls the serializer's ``create``/``update`` there), and
    the serializers registered to stand in for them (``@register_serializer(class_name="AccessCodeSerializer")``
    on an API version's variant)."""
    if "r2.saved_by_atomic_views" not in project.facts:
        atomic_hooks: dict[str, set[str]] = {}  # class -> its hooks run in a transaction
        users: dict[str, list[str]] = {}  # serializer -> the view classes naming it
        stand_ins: dict[str, str] = {}  # a serializer registered in place of another -> that one
        for module in project.modules:
            if "serializer" not in module.text or db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                atomic_hooks[cls.name] = {f.name for f in cls.body if isinstance(f, FUNCTION_TYPES) and f.name in (
                    "perform_create", "perform_update") and db.is_transaction_function(module, f)}
                stand_ins.update((cls.name, string_value(k.value)) for dec in cls.decorator_list if isinstance(
                    dec, ast.Call) for k in dec.keywords if k.arg == "class_name" and string_value(k.value))
                for statement in cls.body:
                    if isinstance(statement, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == "serializer_class" for t in statement.targets):
                        users.setdefault((dotted(statement.value) or "").split(".")[-1], []).append(cls.name)
        bases = db.class_bases(project)

        def hooks(name: str, seen: frozenset = frozenset()) -> set[str]:
            inherited = [hooks(base, seen | {name}) for base in bases.get(name, []) if base not in seen]
            return atomic_hooks.get(name, set()).union(*inherited)

        saved = {"create": set(), "update": set()}
        for serializer, views in users.items():
            for method, hook in (("create", "perform_create"), ("update", "perform_update")):
                if len(_uses_by_name(project).get(serializer, [])) == len(views) and all(
                        hook in hooks(view) for view in views):  # named nowhere else
                    saved[method].add(serializer)
        for registered in saved.values():
            registered |= {stand_in for stand_in, replaced in stand_ins.items() if replaced in registered}
        project.facts["r2.saved_by_atomic_views"] = saved
    return project.facts["r2.saved_by_atomic_views"]


def _saved_in_view_transactions(project: Project) -> dict[str, set[str]]:
    """``create``/``update`` -> the serializer classes named only in views that build them (``serializer_class``,
    a ``return`` of ``get_serializer_class``) and run every ``create``/``update``/``save`` of the serializers they
    build (``serializer = self.get_serializer(data=...)`` ... ``serializer.create(serializer.validated_data)``)
    inside a transaction block, with no DRF ``create``/``update`` action of a base class left to save one outside."""
    if "r2.saved_in_view_transactions" in project.facts:
        return project.facts["r2.saved_in_view_transactions"]
    views: dict[str, tuple[set[str], set[str]]] = {}  # view -> (serializers it builds, methods it may run outside)
    named_in: dict[str, list[str | None]] = {}  # serializer -> the class naming it at each place (None: no class)
    bases = db.class_bases(project)
    for module in project.modules:
        if "Serializer" not in module.text or db.skipped_module(module):
            continue
        for cls in module.nodes_of(ast.ClassDef):
            built = _built_serializers(cls)
            if built:
                views[cls.name] = built, _serializer_saves_outside_transaction(module, project, cls, bases)
        for node in module.nodes_of(ast.Name, ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if isinstance(node.ctx, ast.Load) and name.endswith("Serializer"):
                holder = next((a for a in ancestors(module, node) if isinstance(a, ast.ClassDef)), None)
                named_in.setdefault(name, []).append(holder.name if holder is not None else None)
    project.facts["r2.saved_in_view_transactions"] = {
        method: {serializer for serializer, holders in named_in.items() if all(
            holder in views and serializer in views[holder][0] and method not in views[holder][1] for holder in holders)}
        for method in ("create", "update")}
    return project.facts["r2.saved_in_view_transactions"]


def _built_serializers(view: ast.ClassDef) -> set[str]:
    """The serializer classes a view builds: its ``serializer_class``, each ``return`` of its ``get_serializer_class``."""
    built = {(dotted(s.value) or "").split(".")[-1] for s in view.body if isinstance(s, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == "serializer_class" for t in s.targets)}
    for chooser in view.body:
        if isinstance(chooser, ast.FunctionDef) and chooser.name == "get_serializer_class":
            built |= {(dotted(n.value) or "").split(".")[-1] for n in walk_function_body(chooser)
                      if isinstance(n, ast.Return) and n.value is not None}
    return {name for name in built if name.endswith("Serializer")}


def _serializer_saves_outside_transaction(module: SourceModule, project: Project, view: ast.ClassDef,
                                          bases: dict[str, list[str]]) -> set[str]:
    """Of ``create``/``update``, those a view may run on a serializer it builds outside a transaction block:
    a call (``serializer.create(...)``, ``serializer.save()``, which runs either) out of a block, or none made
    by the view itself (DRF's ``CreateModelMixin``/``UpdateModelMixin`` save it in ``perform_create``/
    ``perform_update``, or the serializer is saved elsewhere)."""
    outside, called = set(), set()
    for method in (f for f in view.body if isinstance(f, FUNCTION_TYPES)):
        serializers = {t.id for n in walk_function_body(method) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
                       and _builds_serializer(n.value) for t in n.targets if isinstance(t, ast.Name)}
        for call in (n for n in walk_function_body(method) if isinstance(n, ast.Call)):
            if isinstance(call.func, ast.Attribute) and call.func.attr in ("create", "update", "save") \
                    and isinstance(call.func.value, ast.Name) and call.func.value.id in serializers:
                runs = {"create", "update"} if call.func.attr == "save" else {call.func.attr}
                called |= runs
                if not db.in_transaction(module, call, method, project):
                    outside |= runs
    own = {f.name for f in view.body if isinstance(f, FUNCTION_TYPES)}
    inherited = {view.name} | db._ancestors(view.name, bases)
    actions = {base for cls in inherited for base in bases.get(cls, [])}
    if "create" not in own and any("Create" in base or base.endswith("ModelViewSet") for base in actions):
        outside.add("create")
    if "update" not in own and any("Update" in base or base.endswith("ModelViewSet") for base in actions):
        outside.add("update")
    return outside | ({"create", "update"} - called)


def _builds_serializer(call: ast.Call) -> bool:
    built = dotted(call.func) or ""
    return built == "self.get_serializer" or built.split(".")[-1].endswith("Serializer")


def _nested_in_atomic(project: Project) -> set[str]:
    """Serializer classes used as a field of a serializer whose ``create``/``update`` is atomic."""
    if "r2.nested_in_atomic" not in project.facts:
        nested: set[str] = set()
        for module in project.modules:
            if "Serializer" not in module.text or "atomic" not in module.text:
                continue
            for cls in module.nodes_of(ast.ClassDef):
                if not any(isinstance(f, ast.FunctionDef) and f.name in ("create", "update")
                           and db.is_transaction_function(module, f) for f in cls.body):
                    continue
                nested |= {(dotted(s.value.func) or "").split(".")[-1] for s in cls.body if isinstance(
                    s, ast.Assign) and isinstance(s.value, ast.Call) and (dotted(s.value.func) or "").endswith("Serializer")}
        project.facts["r2.nested_in_atomic"] = nested
    return project.facts["r2.nested_in_atomic"]


def _split_writes(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp],
                  in_caller_tx: set[str]) -> Finding | None:
    """``in_caller_tx``: the libraries (django, peewee) whose statements here run in the callers' transaction."""
    if _commits_per_item(module, fn):
        return None
    savepoints = _savepoint_blocks(module, fn)
    spans = [span for span in db.transaction_blocks(module, fn, project) if span not in savepoints]
    commits: list[ast.AST] = []
    units: list[tuple[db.DbOp, tuple, str]] = []  # (write, unit, why a unit ends there)
    for index, op in enumerate(ops):
        line = op.call.lineno
        span = _outermost_span(spans, line)
        if op.kind == db.COMMIT:
            if span is None:
                commits.append(op.call)
            continue
        if not op.is_write or not op.tables or op.helper_transaction and op.api in in_caller_tx:
            continue
        if span is not None:
            units.append((op, ("block", span), "they run in separate transaction blocks"))
        elif op.helper_transaction:
            # a helper that wraps its own writes in a transaction makes them one unit, committed when it returns
            units.append((op, ("helper", id(op.call)), f"{op.through}() runs its writes in a transaction of its own, "
                                                       f"committed apart"))
        elif op.autocommit and op.api not in in_caller_tx:
            units.append((op, ("statement", index), f"{_library(op)} commits each statement on its own outside a "
                                                    f"transaction block"))
        else:
            # a commit in a branch that returns (or in another branch) is not on this write's path
            before = tuple(c for c in commits if not db.never_both(module, fn, c, op.call))
            why = f"the commit() at line {before[-1].lineno} ends the transaction between them" if before else \
                "the transaction block before it commits on its own"
            units.append((op, ("implicit", tuple(id(c) for c in before)), why))
    for later_index, (later, later_unit, why) in enumerate(units):
        for earlier, earlier_unit, _ in units[:later_index]:
            if earlier_unit == later_unit or earlier.call is later.call:
                continue
            if any(db.same_table(a, b) for a in earlier.tables for b in later.tables):
                continue
            if earlier.kind == later.kind == db.DELETE and not _uses_result_of(module, fn, earlier.call, later.call):
                continue  # independent clean-ups (expired rows of two tables): nothing is half-done
            if _separate_calls_of_committing_helper(module, fn, ops, earlier, later):
                continue  # each call is one change; a gap inside the helper is reported in the helper
            if earlier_unit[0] == later_unit[0] == "helper" and _unit_tables(units, earlier_unit) & _unit_tables(
                    units, later_unit):
                continue  # steps of one row's workflow (payment captured, then shipped), each a transaction of its own
            if ((earlier.upsert and (earlier.method not in UPDATES_FOUND or _upserts_only(module, project, later)))
                    or UPSERT_HELPER.search(earlier.through or "")
                    or _created_if_missing(module, fn, earlier)
                    or _helper_creates_if_missing(module, project, earlier)
                    or _fills_missing_field(module, project, fn, earlier)) and not _follows_only_creation(
                    module, fn, earlier, later):
                continue  # a row left by a get-or-create is reused by the retry: nothing is half-done
            if earlier.receiver == SIGNALLING_SAVE and UPSERT_HELPER.search(later.through or ""):
                continue  # made if missing by a post_save receiver: the row's next save runs it again
            if _fills_missing_columns(module, fn, later):
                continue  # a field of another row filled in when found empty: the next run fills it again
            if _made_on_demand(module, project, fn, earlier) or _made_on_demand(module, project, fn, later):
                continue  # a companion row other code makes when it finds none: the next visit repairs it
            if _ensures_unrelated_row(module, fn, earlier, later):
                continue  # a row made if missing, keyed on nothing the first write made: the next run makes it
            if GETTER.match(later.through or "") or GETTER.match(earlier.through or "") or _made_by_getter(
                    module, project, earlier) or _made_by_getter(module, project, later):
                continue  # a getter that creates a missing default row does so again on the next read
            if _claims(earlier) or _takes_or_releases_lock(module, project, earlier) or _takes_or_releases_lock(
                    module, project, later) or _guarding_context(module, project, earlier) or _guarding_context(
                    module, project, later):
                continue  # a compare-and-set claim commits first on purpose: others see the row taken
            if not _own_links(earlier, later) and (_tracks_a_job(module, project, earlier) or _tracks_a_job(
                    module, project, later)) or _task_subject(module, fn, later) or (
                    _marks_in_progress(module, fn, earlier) or _marks_in_progress(module, fn, later)):
                continue  # a background job's status commits on its own so that others see the progress
            first, second = sorted(earlier.tables)[0], sorted(later.tables)[0]
            if _records_the_change(second) or _logged(earlier) or _logged(later):
                continue  # a lost trailing audit/notification row, not half a domain change
            if _only_records(earlier) and _only_records(later):
                continue  # two records of what happened (a customer's and an order's timeline entry): no state is split
            if _writes_cache(earlier) or _writes_cache(later) or _counts_usage(earlier) or _counts_usage(later) or _rebuilds_search_index(
                    earlier) or _rebuilds_search_index(later) or _stores_rendering(module, project, earlier) \
                    or _stores_rendering(module, project, later):
                continue  # a cache row or search index is rebuilt from the data: losing it is no half change
            if (FAVOURITE_ROW.search(first) or FAVOURITE_ROW.search(second)) and not _same_model(first, second):
                continue  # a user's favourite or recent visit of the row, made or cleared with it: not the data
            if READ_MARKER.search(first) or READ_MARKER.search(second):
                continue  # what a user has read (ReadThread): a lost marker shows the row unread again
            if _touches_timestamp(earlier) or _touches_timestamp(later):
                continue  # a parent's "modified"/"last message" time bumped: a stale time is no half change
            if _recomputes_totals(module, project, earlier) or _recomputes_totals(module, project, later):
                continue  # totals counted again from the rows: the next recount repairs a lost one
            if SIGN_IN_SESSION.search(first) or SIGN_IN_SESSION.search(second):
                continue  # the browser's sign-in session, opened or rotated with the change
            if later.kind == db.DELETE and TRANSIENT_SESSION.search(second):
                continue  # a finished login/registration session cleared after the change: it expires anyway
            if _relinks_unchanged_row(module, fn, earlier, later):
                continue  # the links are the change; the row's save() after them writes nothing new
            if _on_failure_path(module, fn, later.call) or _compensated(module, project, fn, later.call) or _best_effort(
                    module, project, fn, earlier.call, later.call) or _helper_lets_fail(
                    module, project, earlier) or _helper_lets_fail(module, project, later):
                continue  # recorded or undone because the work failed (or whatever its outcome): not its other half
            if _service_call_between(module, project, fn, earlier.call, later.call):
                continue  # a transaction cannot take in the other service's side of the change, nor should it wait on it
            if db.never_both(module, fn, earlier.call, later.call) or _independent_options(module, fn, ops, earlier.call,
                                                                                           later.call) or _exclusive_cases(
                    module, fn, earlier.call, later.call):
                continue
            through = f" via {later.through}()" if later.through else ""
            if db.is_log_table(first):
                confidence = Confidence.low  # a record written first, then the domain write
            elif earlier.through or later.through:
                confidence = Confidence.medium
            else:
                confidence = Confidence.high
            return Finding(
                message=(f"writes to {first} (line {earlier.call.lineno}) and {second} (line {later.call.lineno}"
                         f"{through}) are not one transaction: {why}; a failure between them leaves half the change"),
                path=module.path,
                line=later.call.lineno,
                end_line=getattr(later.call, "end_lineno", later.call.lineno),
                evidence=module.evidence(later.call),
                fix=FIX,
                confidence=confidence,
            )
    return None


def _unit_tables(units: list[tuple[db.DbOp, tuple, str]], unit: tuple) -> set[str]:
    return {table for op, of, _ in units if of == unit for table in op.tables}


def _service_call_between(module: SourceModule, project: Project, fn: ast.AST, earlier: ast.Call,
                          later: ast.Call) -> bool:
    """A call to another service (HTTP, a service's SDK, mail) that runs between the two writes, directly or
    through helpers of the code base: in the lines between them, in a loop around the earlier write but not
    the later (its next passes), or in the helpers that make the writes. A transaction around both writes
    would be held open across that call (R2.network-in-tx), and could not undo what the other service did."""
    loops = {id(loop) for loop in enclosing_loops(module, earlier)} - {id(loop) for loop in enclosing_loops(module, later)}
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Call):
            continue
        runs_between = earlier.lineno <= node.lineno <= later.lineno or any(
            id(loop) in loops for loop in enclosing_loops(module, node))
        if runs_between and _reaches_service(module, project, node, SERVICE_CALL_DEPTH):
            return True
    return False


def _reaches_service(module: SourceModule, project: Project, call: ast.Call, depth: int) -> bool:
    known = project.facts.setdefault("multi_table.reaches_service", {})
    if (id(call), depth) not in known:
        known[(id(call), depth)] = False  # a helper that calls itself reaches nothing more through that call
        known[(id(call), depth)] = _calls_service(module, project, call, depth)
    return known[(id(call), depth)]


def _calls_service(module: SourceModule, project: Project, call: ast.Call, depth: int) -> bool:
    if http.external_call(module, call, project) is not None or http.mail_call(module, call) is not None:
        return True
    resolved = db.resolve_function(module, project, call, reexports=True) if depth > 0 else None
    if resolved is None:
        return False
    helper_module, helper = resolved
    bodies = implementations(project, helper_module, helper) if is_abstract(helper) else [resolved]
    return any(_reaches_service(body_module, project, node, depth - 1) for body_module, body in bodies
               for node in walk_function_body(body) if isinstance(node, ast.Call))


def _same_model(first: str, second: str) -> bool:
    """A model's row and its own many-to-many links (``Bookmark``, ``Bookmark.tags links``)."""
    return first.split(".")[0] == second.split(".")[0]


def _uses_result_of(module: SourceModule, fn: ast.AST, earlier: ast.AST, later: ast.AST) -> bool:
    """Whether the later call is given what the earlier one returned (``deleted = await
    conn.fetchrow("DELETE ... RETURNING tag_id")``, then ``args.append(deleted[0])`` and the second
    DELETE with ``*args``), also through names built from it: the two statements are parts of one
    removal, not independent clean-ups."""
    statement = next((a for a in [earlier, *ancestors(module, earlier)] if isinstance(a, ast.stmt)), None)
    derived = _bound_names(statement)
    if not derived:
        return False
    for node in walk_function_body(fn):  # names built from the result, in source order
        if getattr(node, "lineno", 0) <= earlier.lineno or getattr(node, "lineno", 0) >= later.lineno:
            continue
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if isinstance(node, ast.Assign) and used & derived:
            derived |= _bound_names(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
                node.func.value, ast.Name) and node.func.attr in ("append", "extend", "insert", "add", "update") and used & (
                derived - {node.func.value.id}):
            derived.add(node.func.value.id)
    return any(isinstance(n, ast.Name) and n.id in derived for n in ast.walk(later))


def _claims(write: db.DbOp) -> bool:
    """An at-most-once claim: a Django update of a row picked by other columns that flips a boolean flag
    its filter tests (``filter(pk=pk, message_sent=False).update(message_sent=True)``). It is committed
    before the work on purpose, so that a concurrent worker sees the row taken. (A state change such as
    ``status IN ('pending', 'paid')`` to ``'cancelled'`` is a domain change, and stays one.)"""
    if write.kind != db.UPDATE or write.through or write.api != "django" or write.method not in ("update", "aupdate"):
        return False
    flipped = {k.arg: k.value.value for k in write.call.keywords
               if k.arg and isinstance(k.value, ast.Constant) and isinstance(k.value.value, bool)}
    tested: dict[str, object] = {}
    node = write.call.func.value if isinstance(write.call.func, ast.Attribute) else None
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "filter":
                tested.update({k.arg: k.value.value if isinstance(k.value, ast.Constant) else None
                               for k in node.keywords if k.arg})
            node = node.func
        else:
            node = node.value
    return any(tested.get(name) is (not value) for name, value in flipped.items()) and len(tested) > 1


def _records_the_change(table: str) -> bool:
    """An audit, history, log or notification row written after the change it records. An outbox
    row is not one: it is the change's message to other systems and must commit with it; nor is a
    domain event (``Event``, ``ChangeEvent``, ``order_events``): the state change itself, which the
    code base reads back (the incident's open/close/ack history) and acts on."""
    return db.is_log_table(table) and "outbox" not in table.lower() and not DOMAIN_EVENT.search(table)


def _only_records(write: db.DbOp) -> bool:
    """A write to nothing but event, audit or log rows (``CustomerEvent``, ``OrderEvent``; not an ``EventDelivery``
    that tracks its own state, nor an outbox): one of two records of a change, lost alone it leaves one timeline
    an entry short."""
    return all(db.is_log_table(table) and "outbox" not in table.lower() and (NAME_WORDS.findall(table) or [""])[
        -1].lower() in RECORD_WORDS for table in write.tables)


def _counts_usage(write: db.DbOp) -> bool:
    """A write to a usage statistics table (``ApplicationChatUserStats``, ``page_statistics``) beside the
    change: lost, a count is one short; no half of the change is left."""
    return any(NAME_WORDS.findall(table)[-1:] in (["Stats"], ["stats"], ["Statistics"], ["statistics"])
               for table in write.tables)


def _writes_cache(write: db.DbOp) -> bool:
    """A write to a cache table (``LabelKeyCache``, ``CacheVersion``, ``cache_generations``) or through a
    helper named for a cache (``invalidate_cache(...)``, ``clear_acl_cache()``, ``refresh_model_cache()``):
    a cache is rebuilt from the data, and a version bump lost only serves a stale copy until the next."""
    names = [*write.tables, (write.through or "").split(".")[-1]]
    return any(word.lower() in CACHE_WORDS for name in names for word in NAME_WORDS.findall(name))


RENDERS = {"render_to_string", "render", "render_template", "render_template_string"}


def _stores_rendering(module: SourceModule, project: Project, write: db.DbOp, levels: int = 2) -> bool:
    """A row that stores a template rendered from the data (``content = render_to_string("supernav.html",
    {...})``, then ``Box.objects.update_or_create(label=..., defaults={"content": content})``), also through a
    helper that writes only such rows (``update_supernav()``, or one calling such helpers): a rendered copy,
    which the next render replaces."""
    if not write.through:
        return write.is_write and _rendered_values(db.function_of(module, write.call), write.call)
    resolved = db.resolve_function(module, project, write.call) if levels > 0 else None
    if resolved is None:
        return False
    helper_module, helper = resolved
    own = [op for op in db.expanded_ops(helper_module, project, helper, depth=1) if op.is_write]
    rendered = {t for op in own if _stores_rendering(helper_module, project, op, levels - 1) for t in op.tables}
    return bool(rendered) and all(op.tables <= rendered for op in own)


def _rendered_values(fn: ast.AST, call: ast.Call) -> bool:
    """Whether a value ``call`` writes is a rendered template, or a name ``fn`` binds once to one."""
    def renders(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] in RENDERS
    values = [*call.args, *(k.value for k in call.keywords)]
    values += [v for d in values if isinstance(d, ast.Dict) for v in d.values]
    return any(renders(v) or isinstance(v, ast.Name) and renders(db.single_binding(fn, v.id)) for v in values)


def _logged(write: db.DbOp) -> bool:
    """A row written through a helper named for a log (``log_incident_event(...)``, ``audit_change(...)``, a
    history snapshot, ``take_snapshot(obj, user=...)``):
    a record of a change, whatever its table is called -- the code base itself says it logs. Losing it,
    or keeping it when the next write fails, leaves a timeline entry wrong, not half the data."""
    return bool(write.through) and bool(LOG_HELPER.fullmatch(write.through.split(".")[-1]))


def _touches_timestamp(write: db.DbOp) -> bool:
    """A write of nothing but a row's last-changed or last-synced time (``doc.save(update_fields=["modified"])``,
    ``filter(id=...).update(modified=now())``, ``chat.update({"last_message": message.created_at})``):
    losing it, or keeping it when the other write fails, leaves a time a little off, not half a change."""
    call = write.call
    if not isinstance(call.func, ast.Attribute):
        return False
    fields: list[ast.expr] = []
    if call.func.attr in ("save", "asave"):
        listed = next((k.value for k in call.keywords if k.arg == "update_fields"), None)
        fields = list(listed.elts) if isinstance(listed, (ast.List, ast.Tuple, ast.Set)) else []
    elif call.func.attr in ("update", "aupdate"):
        if call.keywords and not call.args:
            fields = [ast.Constant(k.arg) for k in call.keywords]
        elif len(call.args) == 1 and isinstance(call.args[0], ast.Dict) and not call.keywords:
            fields = list(call.args[0].keys)
    return bool(fields) and all(isinstance(f, ast.Constant) and isinstance(f.value, str)
                                and TIMESTAMP_FIELD.fullmatch(f.value) for f in fields)


def _rebuilds_search_index(write: db.DbOp) -> bool:
    """A Django ``update()`` that sets nothing but full-text search vectors computed from the rows'
    own text (``Step.objects.update(search_vector=SearchVector("instruction"))``), or nothing but a flag asking the
    indexer to index the rows again (``update(search_engine_requires_index=True)``): an index, which the next
    rebuild puts right."""
    call = write.call
    return (write.api == "django" and isinstance(call.func, ast.Attribute) and call.func.attr in ("update", "aupdate")
            and not call.args and bool(call.keywords) and all(
                isinstance(k.value, ast.Call) and (dotted(k.value.func) or "").split(".")[-1] == "SearchVector"
                or REINDEX_FLAG.fullmatch(k.arg or "") and isinstance(k.value, ast.Constant) for k in call.keywords))


def _recomputes_totals(module: SourceModule, project: Project, write: db.DbOp) -> bool:
    """A write through a helper that counts totals again from the rows (``update_stats(project)``
    running ``UPDATE ... SET total = agg.total FROM (SELECT COUNT(*) ...)``, ``update_project_stats()``
    saving ``Entity.objects.filter(...).count()``): derived numbers, which the next recount puts
    right. Not a helper that adds a delta to a counter: nothing recounts that."""
    if not write.through or not RECOMPUTES_TOTALS.fullmatch(write.through.split(".")[-1]):
        return False
    resolved = db.resolve_function(module, project, write.call)
    if resolved is None:
        return False
    helper_module, helper = resolved
    return bool(AGGREGATE.search(ast.get_source_segment(helper_module.text, helper) or ""))


def _own_links(earlier: db.DbOp, later: db.DbOp) -> bool:
    """One write is of a row, the other of that model's many-to-many links (``Job``, then ``Job.job_types links``):
    one object's data, saved with its links (a job posting and its types), not a background job's progress."""
    return any(b.startswith(f"{a}.") and b.endswith(" links") or a.startswith(f"{b}.") and a.endswith(" links")
               for a in earlier.tables for b in later.tables)


def _tracks_a_job(module: SourceModule, project: Project, write: db.DbOp) -> bool:
    """A write to the row that tracks a background job or task (``job.status = "active";
    job.save()``, an ``ImportJob``, a model built on a ``ChildJob`` base, ``task.save(...)``), its
    progress report (``ProgressReport``, ``progress_bar.save()``) or a worker's status row
    (``AppStatus``, ``worker_heartbeats``): it is committed on its own on purpose, so that other
    processes see the job's progress while it runs; so is a batch run's checkpoint saved through a helper (``update_checkpoint(position)``),
    which lets the next run resume where this one stopped. Not a task people are assigned (a model with an ``assignees`` field): that is a work item
    of the domain, not a job's progress; nor a schedule of django-celery-beat (``PeriodicTask``, ``ClockedSchedule``):
    it configures what runs later, and a half-made one runs a task for a change that was not completed."""
    if any(t in _assigned_work_items(project) or module.imports.get(t, "").startswith(SCHEDULER_MODELS) for t in write.tables):
        return False
    if CHECKPOINT_HELPER.fullmatch((write.through or "").split(".")[-1]):
        return True
    receiver = (write.receiver or "").split(".")[-1] if not write.through else ""
    return any(pattern.fullmatch(receiver) for pattern in (JOB_ROW, PROGRESS_ROW)) or any(
        JOB_ROW.fullmatch(t) or PROGRESS_ROW.fullmatch(t) or any(JOB_ROW.fullmatch(b) for b in db.class_bases(project).get(t, ()))
        for t in write.tables)


ASSIGNEE_FIELDS = frozenset({"assignees", "assignee", "assignee_id"})


def _assigned_work_items(project: Project) -> set[str]:
    """Model classes named like a job or task that declare ``assignees`` (or ``assignee``): work
    items people are given (a production task, an incident's follow-up), not background jobs."""
    if "r2.assigned_work_items" not in project.facts:
        project.facts["r2.assigned_work_items"] = {
            cls.name for module in project.modules if "assignee" in module.text
            for cls in module.nodes_of(ast.ClassDef) if JOB_ROW.fullmatch(cls.name) and ASSIGNEE_FIELDS & _field_names(cls)}
    return project.facts["r2.assigned_work_items"]


def _field_names(cls: ast.ClassDef) -> set[str]:
    """Names a class body assigns (``assignees = relationship(...)``, ``assignee_id: Mapped[int]``)."""
    names: set[str] = set()
    for statement in cls.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else \
            [statement.target] if isinstance(statement, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _marks_in_progress(module: SourceModule, fn: ast.AST, write: db.DbOp) -> bool:
    """A write of nothing but a row's status, set to a literal that says work is under way (``request.status =
    "running"; request.save(update_fields=["status"])``, ``.update(state="processing")``): the progress
    marker of a job, committed on its own so that others see it."""
    call = write.call
    if not isinstance(call.func, ast.Attribute):
        return False
    if call.func.attr in ("update", "aupdate") and call.keywords and not call.args:
        return all(k.arg in STATUS_FIELDS and isinstance(k.value, ast.Constant) and k.value.value in IN_PROGRESS
                   for k in call.keywords)
    listed = next((k.value for k in call.keywords if k.arg == "update_fields"), None) if call.func.attr == "save" else None
    if not isinstance(listed, (ast.List, ast.Tuple)) or not listed.elts or not all(
            isinstance(f, ast.Constant) and f.value in STATUS_FIELDS for f in listed.elts):
        return False
    receiver = dotted(call.func.value)
    set_before = [node for node in walk_function_body(fn) if isinstance(node, ast.Assign) and node.lineno < call.lineno
                  and any(isinstance(t, ast.Attribute) and t.attr in STATUS_FIELDS and dotted(t.value) == receiver
                          for t in node.targets)]
    latest = max(set_before, key=lambda node: node.lineno, default=None)
    return latest is not None and isinstance(latest.value, ast.Constant) and latest.value.value in IN_PROGRESS


def _task_subject(module: SourceModule, fn: ast.AST, write: db.DbOp) -> bool:
    """In a background task (``@app.task``, ``@shared_task``, ``@actor``), a save of the row the
    task was handed (``item = ImportItem.objects.get(id=item_id)``) records the task's outcome."""
    if write.through or not write.receiver or not any(
            name.split(".")[-1] in TASK_DECORATORS for name in decorator_names(module, fn)):
        return False
    parameters = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and [dotted(t) for t in node.targets] == [write.receiver]:
            return any(isinstance(n, ast.Name) and n.id in parameters for n in ast.walk(node.value))
    return False


def _created_if_missing(module: SourceModule, fn: ast.AST, write: db.DbOp) -> bool:
    """An inline get-or-create: the row is inserted under ``if x is None`` / ``if not x`` (or in an
    ``except ...DoesNotExist``), where ``x`` names the row the insert creates; a retry finds the
    row and goes on with it."""
    if write.kind == db.DELETE:
        return False
    if write.through and any(isinstance(parent, ast.If) and any(len(t) > 3 and _makes_named(write.through, t) for t in
                                                                _missing_tested(parent.test))
                             for parent in takewhile(lambda a: a is not fn, ancestors(module, write.call))):
        return True  # ``if not org.table_columns: org.update_table_columns(default)``: a lazy default
    return (not write.through or write.kind == db.INSERT) and _made_if_missing(module, fn, write.call)


def _makes_named(helper: str, missing: str) -> bool:
    """``update_table_columns`` for a missing ``table_columns``, ``create_project_model`` for a
    missing ``project``."""
    name = helper.split(".")[-1]
    return name.endswith(missing) or bool(CREATES.match(name)) and missing in name.split("_")


def _made_if_missing(module: SourceModule, fn: ast.AST, call: ast.Call) -> bool:
    return _missing_branch(module, fn, call) is not None


def _missing_branch(module: SourceModule, fn: ast.AST, call: ast.Call) -> ast.AST | None:
    """The ``if x is None`` / ``if not x`` (or ``except ...DoesNotExist``) that ``call`` runs under,
    where ``x`` names the row it writes (bound by its statement, passed to it, or its receiver)."""
    statement = next((a for a in [call, *ancestors(module, call)] if isinstance(a, ast.stmt)), None)
    created = _bound_names(statement) | {a.id for a in [*call.args, *(k.value for k in call.keywords)]
                                         if isinstance(a, ast.Name)}  # create_tag(session=session, tag=tag)
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        created.add(call.func.value.id)  # booklist.save()
    child: ast.AST = call
    for parent in ancestors(module, call):
        if parent is fn:
            break
        if isinstance(parent, ast.If) and any(t == c or t.endswith(f"_{c}") for t in _missing_tested(parent.test)
                                              for c in created):
            return parent  # also ``if channel.default_channel_filter is None: channel_filter = ...create(...)``
        if isinstance(parent, ast.If) and any(child is statement for statement in parent.orelse) and _uses_found(parent):
            return parent  # ``if found := Unit.objects.filter(...).first(): return found / else: create(...)``
        if isinstance(parent, ast.Try) and any(child is statement for statement in parent.body) and any(
                _takes_existing_row(handler) for handler in parent.handlers):
            return parent  # ``try: artifact.save() / except IntegrityError: artifact = Artifact.objects.get(...)``
        child = parent
        if isinstance(parent, ast.ExceptHandler) and parent.type is not None and any(
                name.endswith(("DoesNotExist", "NoResultFound")) for name in
                (dotted(t) or "" for t in (parent.type.elts if isinstance(parent.type, ast.Tuple) else [parent.type]))):
            return parent
    return None


def _takes_existing_row(handler: ast.ExceptHandler) -> bool:
    """An ``except IntegrityError`` (a unique violation) that goes on without raising again: the
    row is there already, and the code fetches or keeps it."""
    caught = handler.type
    types = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
    return any((dotted(t) or "").split(".")[-1] in db.UNIQUE_VIOLATIONS for t in types) and not isinstance(
        handler.body[-1], ast.Raise)


def _uses_found(test: ast.If) -> bool:
    """``if found := lookup(...): return found`` (or ``data["list"] = found``): the row the lookup
    finds is used when it exists."""
    if not isinstance(test.test, ast.NamedExpr) or not isinstance(test.test.target, ast.Name):
        return False
    return any(isinstance(n, ast.Name) and n.id == test.test.target.id and isinstance(n.ctx, ast.Load)
               for statement in test.body for n in ast.walk(statement))


def _follows_only_creation(module: SourceModule, fn: ast.AST, created: db.DbOp, later: db.DbOp) -> bool:
    """The later write sits in the same ``if link is None:`` branch as the insert of a get-or-create
    (the episode's count raised after its link is made): a retry finds the row, skips the branch and
    never makes the later write."""
    branch = _missing_branch(module, fn, created.call) if created.kind != db.DELETE else None
    return branch is not None and any(node is later.call for node in ast.walk(branch))


def _ensures_unrelated_row(module: SourceModule, fn: ast.AST, earlier: db.DbOp, later: db.DbOp) -> bool:
    """A later ``get_or_create`` whose lookup takes nothing from the earlier write (a comment saved,
    then ``ProjectPublicMember.objects.get_or_create(project_id=..., member=request.user)``): the two
    rows do not refer to each other, and the next run of the same path makes the missing one. Not
    one keyed on the row just written (``get_or_create(series=series)`` after ``series = ...create()``),
    nor on the serializer or object whose ``save()`` wrote it."""
    if later.through or later.method not in ("get_or_create", "aget_or_create"):
        return False
    if _uses_result_of(module, fn, earlier.call, later.call):
        return False
    saved = (earlier.receiver or "").split(".")[0] if earlier.method in ("save", "asave") else ""
    return not any(isinstance(n, ast.Name) and n.id == saved for n in ast.walk(later.call))


def _made_on_demand(module: SourceModule, project: Project, fn: ast.AST, write: db.DbOp) -> bool:
    """A one-to-one companion row (the ``Profile`` of a ``user = models.OneToOneField(User)``) created
    here and also made on demand in another function of the code base (``Profile.objects.get_or_create(
    user=user)`` where a signed-in user is redirected): a user left without one gets it on the next
    visit, so losing it is no half change."""
    if write.through or write.api != "django" or write.method not in ("create", "acreate", "get_or_create",
                                                                      "aget_or_create"):
        return False
    return any(made_in is not fn for table in write.tables for made_in in _on_demand_companions(project).get(table, ()))


def _on_demand_companions(project: Project) -> dict[str, list[ast.AST]]:
    """Django model -> the functions that ``get_or_create`` one by its one-to-one field alone."""
    if "r2.on_demand_companions" not in project.facts:
        one_to_one: dict[str, set[str]] = {}
        for module in (m for m in project.modules if "OneToOneField" in m.text):
            for cls in module.nodes_of(ast.ClassDef):
                for statement in cls.body:
                    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) and (
                            dotted(statement.value.func) or "").endswith("OneToOneField"):
                        one_to_one.setdefault(cls.name, set()).update(
                            t.id for t in statement.targets if isinstance(t, ast.Name))
        made: dict[str, list[ast.AST]] = {}
        for module in (m for m in project.modules if "get_or_create" in m.text and not db.skipped_module(m)):
            for call in module.nodes_of(ast.Call):
                model = (dotted(call.func) or "").removesuffix(".objects.get_or_create")
                lookup = [k.arg for k in call.keywords if k.arg != "defaults"]
                if len(lookup) == 1 and lookup[0] in one_to_one.get(model, ()):
                    made.setdefault(model, []).append(db.function_of(module, call))
        project.facts["r2.on_demand_companions"] = made
    return project.facts["r2.on_demand_companions"]


def _helper_creates_if_missing(module: SourceModule, project: Project, write: db.DbOp, levels: int = 2) -> bool:
    """A write through a helper that is a get-or-create of its own (``save_department(data)``: the
    helper looks the row up and inserts it under ``if department is None``), or a create-or-update
    whose updates sit in the ``else`` of that test (``register_plugin(session, plugin)``: update the
    row found, else create it): a retry finds the row and writes the same values again."""
    if write.kind not in (db.INSERT, db.UPDATE):
        return False
    resolved = db.resolve_function(module, project, write.call) if write.through else _inherited_save(
        module, project, write)
    if resolved is None:
        return False
    helper_module, helper = resolved
    writes = [op for op in db.expanded_ops(helper_module, project, helper, depth=1) if op.is_write]
    inserts = [op for op in writes if op.kind == db.INSERT and not op.upsert]
    if levels > 1 and inserts and all(op.through and _helper_creates_if_missing(helper_module, project, op, levels - 1)
                                      for op in inserts) and all(
            op.kind == db.INSERT for op in writes):
        return True  # parse_line() whose inserts are all its own get_unit()'s get-or-create
    branches = [_missing_branch(helper_module, helper, op.call) for op in inserts]
    if not branches or None in branches:
        return False
    if write.kind == db.INSERT:
        return True
    tests = [branch for branch in branches if isinstance(branch, ast.If)]
    return all(any(node is op.call for test in tests for alternative in test.orelse for node in ast.walk(alternative))
               for op in writes if op.kind == db.UPDATE)


def _inherited_save(module: SourceModule, project: Project, write: db.DbOp) -> tuple[SourceModule, ast.AST] | None:
    """The ``create``/``update`` of a base serializer of the code base that ``super().create(validated_data)``
    in a serializer's own method runs."""
    if write.receiver != "super":
        return None
    fn = db.function_of(module, write.call)
    owner = module.parents.get(fn)
    return _inherited_method(module, project, owner, write.method) if isinstance(owner, ast.ClassDef) else None


def _inherited_method(module: SourceModule, project: Project, cls: ast.ClassDef, name: str,
                      levels: int = 4) -> tuple[SourceModule, ast.AST] | None:
    for base in cls.bases:
        found = db.project_class(module, project, base)
        if found is None:
            continue
        base_module, base_class = found
        method = next((f for f in base_class.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and f.name == name), None)
        if method is None and levels > 1:
            return _inherited_method(base_module, project, base_class, name, levels - 1)
        if method is not None:
            return base_module, method
    return None


def _bound_names(statement: ast.AST | None) -> set[str]:
    if isinstance(statement, ast.Assign):
        return {n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(statement, ast.AnnAssign):
        return {n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)}
    return set()


def _missing_tested(test: ast.AST) -> set[str]:
    """Names an ``if`` test finds missing: ``not x``, ``x is None`` (for ``owner.x``, ``x``)."""
    names: set[str] = set()
    for node in ast.walk(test):
        tested = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) else \
            node.left if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Is) and \
            isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None else None
        if isinstance(tested, ast.Name):
            names.add(tested.id)
        elif isinstance(tested, ast.Attribute):
            names.add(tested.attr)
    return names


def _independent_options(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], earlier: ast.AST,
                         later: ast.AST) -> bool:
    """Writes in two sibling ``if`` blocks that each run one optional step (``if options.reset_users:
    ...``, ``if options.reset_pages: ...``) where the later step uses nothing the earlier block made
    and no row written in the function: a failure leaves some steps done, each whole, and running
    it again does the rest. Parts of one entity (the tags of the challenge just created) stay
    reported, and so do writes that are the tests themselves (``if not cls.save(**doc): raise``,
    ``if not Kb.increase_doc_num(kb_id): raise``): both always run."""
    first, second, common = db.split_point(module, fn, earlier, later)
    if common >= min(len(first), len(second)):
        return False
    branch_a, branch_b = first[common][2], second[common][2]
    if not (isinstance(branch_a, ast.If) and isinstance(branch_b, ast.If)) or _tested_write(
            branch_a, earlier) or _tested_write(branch_b, later):
        return False
    made = {n.id for n in ast.walk(branch_a) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    request_parameters = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
                          if REQUEST_PARAMETER.fullmatch(a.arg)}  # the submitted form each step reads, no row
    inside_b = {id(n) for n in ast.walk(branch_b)}
    for op in ops:
        if op.is_write and op.call.lineno < later.lineno and id(op.call) not in inside_b:
            statement = next((a for a in [op.call, *ancestors(module, op.call)] if isinstance(a, ast.stmt)), None)
            made |= _bound_names(statement) | {a.id for a in op.call.args if isinstance(a, ast.Name)
                                               and a.id not in request_parameters}
    used = {n.id for n in ast.walk(branch_b) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return not used & made


def _tested_write(branch: ast.If, write: ast.AST) -> bool:
    """The write is the ``if``'s own test (``if not cls.save(**doc): raise ...``): it runs whichever
    way the test goes, no optional step."""
    return any(node is write for node in ast.walk(branch.test))


def _exclusive_cases(module: SourceModule, fn: ast.AST, earlier: ast.AST, later: ast.AST) -> bool:
    """Writes in two sibling ``if`` blocks that compare one subject with different values (``if
    storage.kind == DROPBOX: ...``, ``if storage.kind == LOCAL: ...``, also ``if action in [DELETE,
    ASSIGN]: ...``, ``if action == INIT: ...``, ``if topic.endswith(SUB_LABEL): ...``, ``if
    topic.endswith(ATTRIBUTE): ...``): cases of one switch written without ``elif``, so no run takes both."""
    first, second, common = db.split_point(module, fn, earlier, later)
    if common >= min(len(first), len(second)):
        return False
    case_a, case_b = (_compared_case(path[common][2]) for path in (first, second))
    return case_a is not None and case_b is not None and case_a[0] == case_b[0] and not case_a[1] & case_b[1]


def _compared_case(statement: ast.AST) -> tuple[str, frozenset[str]] | None:
    """(subject, values) of ``if subject == value:``, ``if subject in [value, ...]:`` or ``if
    subject.endswith(value):`` (``startswith``: the subject is the string and the method)."""
    if not isinstance(statement, ast.If):
        return None
    call = statement.test
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in (
            "endswith", "startswith") and len(call.args) == 1 and not call.keywords:
        return ast.dump(call.func), frozenset({ast.dump(call.args[0])})
    if not isinstance(statement.test, ast.Compare):
        return None
    test = statement.test
    if len(test.ops) != 1:
        return None
    if isinstance(test.ops[0], ast.Eq):
        return ast.dump(test.left), frozenset({ast.dump(test.comparators[0])})
    if isinstance(test.ops[0], ast.In) and isinstance(test.comparators[0], (ast.List, ast.Tuple, ast.Set)):
        return ast.dump(test.left), frozenset(ast.dump(value) for value in test.comparators[0].elts)
    return None


def _commits_per_item(module: SourceModule, fn: ast.AST) -> bool:
    """A loop that runs each item in its own transaction and goes on when one fails (``for item in
    rows: try: with transaction.atomic(): ... except IntegrityError: errors += 1``): the function
    keeps what succeeded on purpose, an import that counts its errors, not one change."""
    for node in walk_function_body(fn):
        if not isinstance(node, (ast.With, ast.AsyncWith)) or not db.is_transaction_with(module, node):
            continue
        enclosing = list(takewhile(lambda parent: parent is not fn, ancestors(module, node)))
        loop = next((i for i, parent in enumerate(enclosing) if isinstance(parent, (ast.For, ast.AsyncFor, ast.While))),
                    None)
        if loop is not None and any(isinstance(parent, ast.Try) and parent.handlers and not any(
                _ends_by_raising(handler.body) for handler in parent.handlers) for parent in enclosing[:loop]):
            return True
    return False


def _ends_by_raising(block: list[ast.stmt]) -> bool:
    return any(isinstance(statement, ast.Raise) for statement in block)


def _savepoint_blocks(module: SourceModule, fn: ast.AST) -> list[tuple[int, int]]:
    """(first line, last line) of each ``with session.begin_nested():`` block: a savepoint inside the
    session's transaction, released without committing; its writes commit with the others."""
    return [(node.lineno, node.end_lineno or node.lineno) for node in walk_function_body(fn)
            if isinstance(node, (ast.With, ast.AsyncWith)) and any(
                isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
                and item.context_expr.func.attr == "begin_nested" for item in node.items)]


def _takes_or_releases_lock(module: SourceModule, project: Project, write: db.DbOp) -> bool:
    """A write through a helper named for taking or releasing a lock or lease on rows
    (``lock_related_jobs(...)``, ``unlock_instances(...)``, ``claim_batch(...)``), also one level
    down (``load_context()`` whose writes of the table are all its ``lock_related_jobs()``): the
    lease is committed on its own on purpose, before the work it guards and apart from its result;
    it expires if the work fails."""
    if not write.through:
        return False
    if LEASE_HELPER.fullmatch(write.through.split(".")[-1]):
        return True
    resolved = db.resolve_function(module, project, write.call)
    if resolved is None:
        return False
    inner = [op for op in db.expanded_ops(resolved[0], project, resolved[1]) if op.is_write and op.tables & write.tables]
    return bool(inner) and all(op.through and LEASE_HELPER.fullmatch(op.through.split(".")[-1]) for op in inner)


def _guarding_context(module: SourceModule, project: Project, write: db.DbOp) -> bool:
    """A write of a context manager the work runs in (``with queue.dequeued(instance): runtime.suspend()``
    where ``dequeued`` is a ``@contextmanager`` that takes a lock row before ``yield`` and gives it back
    after): the guard commits apart from the work on purpose, so that others see it taken."""
    if not write.through or not isinstance(module.parents.get(write.call), ast.withitem):
        return False
    resolved = db.resolve_function(module, project, write.call)
    return resolved is not None and any(name.split(".")[-1] in ("contextmanager", "asynccontextmanager")
                                        for name in decorator_names(*resolved))


def _on_failure_path(module: SourceModule, fn: ast.AST, later: ast.AST) -> bool:
    """A later write in the ``finally:`` of a ``try`` or in an ``except`` handler that raises again
    (``try: apply(task) / finally: add_event(instance, "task_completed")``, ``except Exception:
    record_error(instance); raise``): it records the attempt or undoes it, whatever became of the
    work; it is no second half of the same change."""
    return any(isinstance(parent, (ast.Try, ast.TryStar)) and any(
        _inside(later, block) for block in [parent.finalbody, *(h.body for h in parent.handlers
                                                               if _ends_by_raising(h.body))])
               for parent in takewhile(lambda a: a is not fn, ancestors(module, later)))


def _made_by_getter(module: SourceModule, project: Project, write: db.DbOp, levels: int = 3) -> bool:
    """A helper's write of a table that only a getter further down makes (``save_memory()`` calling
    ``aget_default_search_model()``, which creates the default ``SearchModelConfig`` when there is
    none): the default row is made again on the next read, whatever the caller's change."""
    resolved = db.resolve_function(module, project, write.call) if write.through and levels else None
    if resolved is None:
        return False
    inner = [op for op in db.expanded_ops(resolved[0], project, resolved[1])
             if op.is_write and op.tables & write.tables]
    return bool(inner) and all(GETTER.match(op.through or "") or _made_by_getter(
        resolved[0], project, op, levels - 1) for op in inner)


def _compensated(module: SourceModule, project: Project, fn: ast.AST, later: ast.AST, levels: int = 2) -> bool:
    """A later write in the body of a ``try`` whose handler deletes what was made and raises again
    (``user = create_user() / try: add_user_to_demos(user) / create_organization(user) / except
    Exception: delete_user(user); raise``), or writes of a function whose every call is in such a body:
    the failure is undone by hand, not left half done."""
    for parent in takewhile(lambda a: a is not fn, ancestors(module, later)):
        if isinstance(parent, ast.Try) and _inside(later, parent.body) and any(
                _ends_by_raising(handler.body) and _deletes(module, project, fn, handler) for handler in parent.handlers):
            return True
    if levels <= 1 or fn is module.tree:
        return False
    uses = _uses_by_name(project).get(getattr(fn, "name", ""), [])
    return bool(uses) and all(call is not None and _compensated(
        caller_module, project, db.function_of(caller_module, call), call, levels - 1) for caller_module, call in uses)


def _best_effort(module: SourceModule, project: Project, fn: ast.AST, earlier: ast.AST, later: ast.AST) -> bool:
    """A later write in a ``try`` of its own whose handler catches any error and goes on (``try:
    enforce_domain_policies(user) / except Exception: log.error(...)``): an optional step after the
    change, which the code base lets fail on purpose (not a handler that deletes what was made)."""
    return any(isinstance(parent, ast.Try) and _inside(later, parent.body) and not _inside(earlier, [parent]) and any(
        catches_any_error(handler) and not _ends_by_raising(handler.body) and not _deletes(module, project, fn, handler)
        for handler in parent.handlers)
               for parent in takewhile(lambda a: a is not fn, ancestors(module, later)))


def _helper_lets_fail(module: SourceModule, project: Project, write: db.DbOp) -> bool:
    """A write a helper makes in a ``try`` whose handler catches any error or a database error and goes
    on (``run_task`` recording a task row: ``try: _record_task(...) / except SQLAlchemyError:
    session.rollback(); log.warning(...)``): the helper declares that row optional, so it is no half of
    the caller's change, before or after it."""
    resolved = db.resolve_function(module, project, write.call) if write.through else None
    if resolved is None:
        return False
    helper_module, helper = resolved
    inner = [op for op in db.expanded_ops(helper_module, project, helper, depth=1)
             if op.is_write and op.tables & write.tables]
    return bool(inner) and all(any(
        isinstance(parent, ast.Try) and _inside(op.call, parent.body) and any(
            (catches_any_error(handler) or _catches_database_error(handler)) and not _ends_by_raising(handler.body)
            for handler in parent.handlers)
        for parent in takewhile(lambda a: a is not helper, ancestors(helper_module, op.call))) for op in inner)


def _catches_database_error(handler: ast.ExceptHandler) -> bool:
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(DATABASE_ERROR.fullmatch((dotted(t) or "").split(".")[-1]) for t in types if t is not None)


def _inside(node: ast.AST, block: list[ast.stmt]) -> bool:
    return any(node is n for statement in block for n in ast.walk(statement))


def _deletes(module: SourceModule, project: Project, fn: ast.AST, handler: ast.ExceptHandler) -> bool:
    return any(op.kind == db.DELETE and _inside(op.call, handler.body) for op in db.expanded_ops(module, project, fn))


def _fills_missing_field(module: SourceModule, project: Project, fn: ast.AST, write: db.DbOp) -> bool:
    """A helper called under ``if not user.ssh_public_key:`` that sets that field (``user.ssh_public_key
    = ...``): a missing prerequisite filled in; a retry finds it set and goes on."""
    tested = {name for parent in takewhile(lambda a: a is not fn, ancestors(module, write.call))
              if isinstance(parent, ast.If) for name in _missing_tested(parent.test)}
    resolved = db.resolve_function(module, project, write.call) if tested and write.through else None
    if resolved is None:
        return False
    assigned = {target.attr for node in walk_function_body(resolved[1]) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Attribute)}
    return bool(tested & assigned)


def _upserts_only(module: SourceModule, project: Project, write: db.DbOp) -> bool:
    """A write that is an upsert too (``Translation.objects.update_or_create(...)`` after ``Exercise.objects.
    update_or_create(...)``), or a helper whose writes are all upserts or deletes of rows missing from what it is
    given (a sync of weight units), or a delete of rows such a sync writes again: run again, the whole change
    comes out the same."""
    if write.upsert or write.kind == db.DELETE:
        return True
    resolved = db.resolve_function(module, project, write.call) if write.through and isinstance(write.call, ast.Call) \
        else None
    writes = [op for op in db.expanded_ops(*resolved[:1], project, resolved[1]) if op.is_write] if resolved else []
    return bool(writes) and all(op.upsert or op.kind == db.DELETE for op in writes)


def _fills_missing_columns(module: SourceModule, fn: ast.AST, write: db.DbOp) -> bool:
    """``row.save(update_fields=["day"])`` under ``if row.day_id is None:``: only fields the enclosing tests
    found empty are written; a run that stops before it leaves them empty, and the next run fills them in."""
    call = write.call
    fields = next((k.value for k in call.keywords if k.arg == "update_fields"), None) if isinstance(call, ast.Call) \
        and write.method == "save" else None
    names = {string_value(e) for e in fields.elts} if isinstance(fields, (ast.List, ast.Tuple)) else set()
    if not names or None in names:
        return False
    tested = {name.removesuffix("_id") for parent in takewhile(lambda a: a is not fn, ancestors(module, call))
              if isinstance(parent, ast.If) for name in _missing_tested(parent.test)}
    return {name.removesuffix("_id") for name in names} <= tested


def _outermost_span(spans: list[tuple[int, int]], line: int) -> tuple[int, int] | None:
    containing = [s for s in spans if s[0] <= line <= s[1]]
    return min(containing, key=lambda s: (s[0], -s[1])) if containing else None


def _library(op: db.DbOp) -> str:
    return {"django": "the Django ORM (autocommit)", "aiosql": "the driver",
            "wrapper": "the code base's database wrapper"}.get(op.api, "the driver (autocommit)")
