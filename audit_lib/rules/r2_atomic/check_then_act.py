"""R2.check-then-act: read a row, decide, then insert or update it -- a race.

## What it does
Reports a read followed by an insert or update that depends on it. That is a function
that reads a table (a `SELECT`, `exists()`, `get`, `first`,
`count`, `filter(...).first()`, `objects.filter(...).exists()`, or a helper of the
code base that does so) and then, depending on what it read, inserts into the same
table (SQL `INSERT`, ORM `add`/`create`/`save` of a new instance) or runs a SQL
`UPDATE` of it. The decision is an `if` on the read's result around the write, an
earlier `if` that leaves the function (`raise`, `return`) before the write (also one testing each row
of a loop over what the read found: `for b in Booking.objects.filter(room=room): if b.start < end and
start < b.end: raise`, then `Booking.objects.create(...)`), or an
`except DoesNotExist` (`NoResultFound`) handler of the read that creates the row, or an
inline get-or-create whose insert follows the branch (`row = query.first()`, `if not row: row =
Model(...)` or `if row: row.value = v` / `else: row = Model(...)`, or `try: user = User.objects.get(...)` /
`except User.DoesNotExist: user = User(...)`, then `session.add(row)` or `row.save()` after the `if` or
`try`). The read and the insert may go through a related manager (`pool.recipient_set.filter(address=a).exists()`,
then `pool.recipient_set.create(address=a)`: the model whose `ForeignKey` the manager follows), and the insert
may be a DRF view's `serializer.save(...)` in its `perform_create` or a model serializer's
`super().create(...)` in its `create` (both insert the serializer's `Meta.model`, also one its base declares). The read and the write may also go through
the code base's statement builders (`QueryProcessor(tables=["package"], ...).singleValue()`, then
`InsertProcessor("package", data=...).execute()`; `if insert.dup_check(): raise`, a check the builder makes on its
own table, then `insert.execute()`) or a function that runs the SQL it is handed (`_singleValue("SELECT ...")`): not
a builder whose statement is an upsert (`UpsertProcessor`), nor a read under its locking option
(`opts={"rowlock": True}`: `FOR UPDATE`), nor a builder's `UPDATE` after a check that the row exists (its columns
are not in sight). The row may be fetched from the result of the read (`result = await
session.execute(select(...))`, `row = result.scalar()`, or in the test itself, `if
result.scalar_one_or_none() is not None: raise`; the read may be `select(exists().where(Tag.name == name))`), and the model reached through an injected
database object (`db.Setting(...)`, `select(db.Setting)`, `db.queries.insert(db.Setting)`). A
SQLAlchemy get-or-create that hands the new instance back (`note = cls.query.filter_by(page=page).first()`,
`if note is None: note = cls(page=page)`, `return note`; `return found or Folder(owner=owner)`) counts
as an insert: given a related row, the instance joins the session through the relationship's cascade
(or the caller adds it) and the request's commit inserts it; an instance built of constants only (a
transient default) does not. An ORM
update of a row (`save()`, a repository's `update(obj)`) is reported after a lookup of
another row of its table that refuses when it finds one (`taken = get_by_slug(new); if
taken is not None: raise` ... `tag.slug = new; tag.save()`): two renames to one value both
pass; not when the model's unique key covers the looked-up columns (the key refuses the second
rename, the lookup only words the error), not after a check that the row exists, nor when it updates the row it found or has
just inserted. The
decision may also be a `try` whose body reads and raises "already exists" (or skips the item, `continue`) and whose
`except ...DoesNotExist`/`...NotFoundError` handler lets the code go on to the insert; or it
may go through a name set on the read's answer (`if taken is None: chosen =
alias; break` ... `if chosen is None: raise` before the insert), or sit in a validator helper
that raises when its own lookup finds the row (`ensure_free(code)` called before the insert), or in a
helper that picks a value no row holds yet and returns it when its lookup finds nothing (`slug = await
repo.get_available_slug(name)`: `if await self.get_by_slug(slug) is None: return slug`), the insert storing
what it returned (`Tenant(slug=slug)`). A lookup of a fixed value (`filter_by(username="deleted")`) decides the
insert of an instance given that value before it is added, also after one built with another
(`Journalist(username="placeholder")`, then `deleted.username = "deleted"`).

It also reports a form or serializer validator that checks what its class then stores: a
`clean_<field>`/`clean()` of a Django form or a `validate_<field>`/`validate()` of a DRF
serializer that raises when a lookup of the model finds a row or a count reaches a limit (`if
Tag.objects.filter(name=name).exists(): raise ValidationError`, `if shelf_full(shelf): raise`), where
the model is the class's `Meta.model` (stored by the `ModelForm`'s or `ModelSerializer`'s `save()`) or
one its own `save`/`create`/`update` writes. Validation and save are two steps: two concurrent
submissions both pass. A validator in front of the model's unique key over the looked-up columns (a
unique `name` of a Django `AbstractUser`/taggit tag too, the `user` of DRF's authtoken `Token`) only words the error the key would raise, and is left alone. When the form stores nothing itself (a plain `Form`, a WTForms form), the
validation call is the check of the insert that follows it: `if form.is_valid():` (or
`validate_on_submit()`, or after `if not form.is_valid(): return`, or after
`serializer.is_valid(raise_exception=True)`) then `Space.objects.create(...)`; the form may come from a helper
of the code base that returns one (`form = get_project_form()`), and the insert may add what the form's own
`save` hands back, a model it builds (`return Project(...)`) or is given (`member = form.save(project,
Person())`), then `db.session.add(member)`. A validator that raises
when the row is missing (`if not Label.objects.filter(...).exists()`) checks a reference, and is left
alone, as is a form or serializer the code base never names (dead code).

It also reports a single-use mark claimed without a lock: a row read without a lock, a test of
its `used`/`redeemed`/`consumed`/`claimed`/`spent` mark (also `used_at`, `used_by`, `is_used`), or a
read that only finds the row while the mark is unset (`filter(code=code, used_by=None).first()`), then
the mark set and the row saved (`if invite.used: raise` ... `invite.used = True; invite.save()`): two
requests redeem the same invite. So is a state transition: a column of such a row compared with
fixed values, the request refused (`raise`, `return`) unless it holds, then the column set to another
fixed value and the row saved (`if order.status != "paid": raise` ... `order.status = "shipped";
order.save()`): two requests both pass and both ship; or the read only finds rows in the old state and each row
found is moved (`for message in Message.objects.filter(status=SCHEDULED): message.status = SENDING;
message.save()`): two overlapping runs both send. The fixed values may be module constants and the
row read and saved through helpers of the code base (a task delivered twice: `job = get_job(job_id)`, `if
job.status != JOB_PENDING: return`, `job.status = JOB_RUNNING; update_job(job)`); reported once per row, at
its first save. The move may also be made by a helper of the code base handed the row, which sets the tested
column and saves it, called in the branch where the state holds (`if notification.status == CREATED:
provider.send(...); mark_sending(notification)`), on a row read here or by every caller without a lock
(`notification = get_notification(id)`, `send_to_provider(notification)`): two deliveries of the task both
send. The move may also be a state machine transition of the tested column called on the row or on an object
it builds (django-fsm's `@transition(field=state, source=..., target=...)`, `order.refund()` then `order.save()`;
viewflow's `@state.transition(...)`, `order.get_flow().refund()`, whose flow saves the row): the transition checks
its source state on the stale row in memory, as the `if` did. The row may be one the caller read and handed in
(`def finish_upload(upload: Upload)`, called with the view's `get_object()`), unless every caller locks it
before the call. Not a column set when different from a value
(`if row.status == status: return`, then `row.status = status`), nor bookkeeping inside the branch
(`if crawl.status != SEALED: crawl.status = STARTED`). A conditional `filter(pk=..., used=False).update(used=True)` is
the safe form.

It also reports a Django `Model.objects.get_or_create(...)` (also `cls.objects` in a classmethod, and a related
manager's, `board.pins.get_or_create(url=url)`, whose foreign key joins the lookup) of a model
of the code base that declares no unique key within the columns the call fixes -- the looked-up ones, and
those with a constant default its `defaults` leave alone (`label = CharField(default="")`), and those its `defaults`
compute from the looked-up values alone (`value=estimation, defaults={"name": str(estimation)}` under a key over
`(project, name)`: the loser's insert breaks the key and Django re-reads the row): Django makes the
call atomic only when the database enforces the lookup's uniqueness; without a key it is a `get`, then a
`create`, two concurrent calls both insert, and later lookups raise `MultipleObjectsReturned`. A key a base
class of the code base declares counts too (an abstract `Owned` with `unique_together = (("owner", "name"),)`, also
one brought in by a star import, `from .abstracts import *`);
a base that declares none (a `Timestamped` adding `created`) adds no key. So is the `get_or_create` a model
inherits from a library base that selects the row and then adds and flushes a new one, with no `ON CONFLICT`
and no `IntegrityError` handler (sqlalchemy_helpers' `Base`: `await User.get_or_create(session, name=name)`),
unless the caller handles the unique violation.

It also reports a "MAX + 1" sequence: the current maximum of a column read without a lock (SQLAlchemy
`func.max(Invoice.number)`, peewee `fn.MAX`, Django `aggregate(Max("number"))`, `order_by("-number").first()`
or `latest("number")`, SQL `SELECT MAX(number)`), then a row of that table written with the maximum plus one
(`Invoice(number=(last or 0) + 1)`, `order.number = top + 1; order.save()`), or a SQLAlchemy column set to such
a subquery (`self.number = select(func.max(Update.number) + 1).scalar_subquery()`), or a new child numbered after the
parent's pointer to its last child (`post.position = topic.last_message.position + 1`, then `post.save()`): concurrent requests read the
same maximum and store the same number. Not under a lock taken before the read (a row or advisory lock,
`LOCK TABLE`, SERIALIZABLE), nor a write that handles the unique violation (a retry); with a unique key over
the number and no handler, the second request fails with `IntegrityError` (low confidence).

It also reports a Redis value read with `GET` and written back or deleted by a second command on the
same key of a redis client (`redis`, `redis.asyncio`, or a class of the code base derived from one):
a value computed from it stored again (`n = int(await r.get(k) or 0) + 1; await r.setex(k, ttl, n)`, a
flag toggled in a JSON value), where concurrent requests read the same value and all but one change is
lost (use `INCR`); and a one-use value compared and refused (`if stored != code: raise`) and then
deleted (`await r.delete(k)`: a captcha, a refresh token), which every request checking it before the
first deletes it accepts (use `GETDEL`). A cache filled when the read finds nothing, or a key deleted
without a check of its value, is not reported.

It also reports an ORM read-modify-write: a row read without a lock (`row =
Model.objects.get(...)`, `get_object_or_404(Model, ...)`, `query.first()`, peewee's `Model.get_by_id(pk)` and
`get_or_none(...)`, a row fetched from a select's result, `result = await session.execute(select(User)...)` then
`user = result.scalar_one_or_none()`), a field
changed from its own value (`row.balance -= amount`, `row.n = row.n + 1`), then written
back (`row.save()`, a write given the row, or the `commit()` that flushes a SQLAlchemy
row): a lost update.

Not reported: an insert after a lookup by the primary key the request sent whose miss builds a new instance
that leaves its key to the database (`label = Label.query.filter_by(id=item["id"]).first()`, `if label is None:
label = Label()`, then `session.add(label)`): the new row gets a fresh id, so no key the lookup checked can be
taken twice (an editor saving the rows it names); not when the instance is given the looked-up id. Nor
an `UPDATE` after a permission gate: a helper of the code base named for a permission or role
(`is_user_team_manager`, `can_user_manage_organisation`, `is_user_action_permitted_on_project`,
`has_permission`) called in an `if` that refuses when it answers no (`if not await is_editor(...): return
403`, `if permitted(...): ... else: raise`), whatever rows of the written table it reads to answer (the
project's author and organisation): it decides who may write, not the state the write changes (before an
insert it counts as the check only when no other read decides the insert). Nor
an `UPDATE` after a mere existence check of a row read by key (`if row is
None: raise NotFound`) that sets columns the read did not select on and the check did not test
(`if config.webhook_url is not None: return` before `UPDATE ... SET webhook_url = $2` is a
decision; the columns also come from SQLAlchemy Core, `select(...).where(T.id == id)` (also built beforehand and
handed to the read, `db.fetch_one(query)`) and
`update(T).values(ffprobe_cache=...)`, and from the helper's own `UPDATE` the write goes through);
an `UPDATE` through a helper handed only the row just read, the key it was read by and what the
code derives from them (`elif episode.subtitles is None: store_subtitles(episode.path,
mapped(episode.path))`): a re-index or cache refill that two runs do alike, unless the arguments do
arithmetic on the row (`set_count(row.id, row.count + 1)`) or carry the request's data; `UPDATE`s whose `WHERE` re-checks the condition (`... AND status =
'pending'`, the read's own condition `WHERE state = 'open'`, or the read's query as a subquery, `UPDATE t SET
region = 'eu' WHERE id IN ({pending})` after `execute(text(pending))`: an atomic compare-and-set), upserts (`INSERT ... ON CONFLICT`, `on_conflict_do_*`, `merge`, Django
`get_or_create`/`update_or_create` over a unique key), reads that lock (`SELECT ... FOR UPDATE`,
`select_for_update()`, also through a related manager, `self.user.usage_set.select_for_update().filter(...).first()`,
`with_for_update()`; a decoy read of the name only in a branch that returns, against
timing attacks, leaves the locked row in place) or take the rows they return (`UPDATE ... RETURNING`, also as
SQL held in a name and given to `Model.objects.raw(query)`), checks made under a lock taken before them (a Postgres
advisory lock, `pg_advisory_xact_lock(...)`; a `with`/`async with` block of a lock; a locking read of
the parent row, also through a helper named for the lock it takes, `merchants_select_for_update().filter(pk=pk).first()`;
reads inside a transaction that takes a lock as it begins, so that its blocks run one at a time (a class of the
code base deriving from Django's `Atomic` whose `__enter__` runs `select_for_update()`, opened directly, through a
helper of the code base handing it out, `with immediate_atomic():`, or as the function's decorator,
`@immediate_atomic()`), also a re-check under such a lock in the block of the write after an earlier unlocked one;
such a lock every caller of the function takes in its transaction before calling it (in a discord.py bot, a
single process, also a lock of the process, `async with self._locks[guild_id]:`), also up to three calls
out: `with atomic(): basket = Basket.objects.select_for_update()...; finish(basket)`; or, for a helper's insert,
the helper's own check of the table under such a lock; or a view under a decorator of the code base that
runs it inside a `with` block of a lock keyed on the request, `with RedisLock(store, f"lock/{request hash}"):
... view(*args, **kwargs)`, which makes a double submit wait and replays the first answer),
and writes inside a `try` that handles the
unique violation (`IntegrityError`, `UniqueViolation`) or in its handler (the fallback of an insert that
already lost the race), also inside the helper or database-layer method the write goes through, or in the
function that defines a nested get-or-create, calls it and flushes under such a handler (`unsafe_set()`,
then `try: session.flush() except IntegrityError: rollback; unsafe_set()`)
(`db.upsert("stations", values, keys)`, whose insert catches `IntegrityError`), or whose `session.add` a later `flush()`
sends inside such a `try`. Nor a read of a row by an id that every caller of the function makes just for it (`job_id =
uuid.uuid4()` handed to `scan(user, job_id)` or to a queue, `AsyncTask(scan, user, uuid4())`): only the
one run that holds the id can write its row. Nor an insert made through a helper that decides on its own
read of the table (`if user is None: create_user(email)`, where `create_user` looks the user up and
refuses a taken email, or a helper named for it, `SearchIndex.get_or_create(...)` inherited from a base
the code base does not resolve): the race is the helper's, reported there once. Nor an insert that runs only when the read found its row (`if original
is None: return 404` ... a copy of it): each request adds its own row, no check is bypassed; nor one
appending to a log after its newest row was judged on age or author (amend it, else append), nor
any insert into a log or history (`ViewLog`, `audit_log`, `SearchHistory`), a token table (`AccessToken`, `RefreshTokenModel`), a notification table (`Notification`) or a cache
(`UserCache`, `CachedFile`) decided on a read (`if not recent_view: ViewLog.objects.create(...)`): a second
log entry, a second valid token, a repeated notification or a second cached copy harms nothing -- unless
the model declares a unique key over the columns the read filters on (`TicketCache.ticket_number`,
`unique=True`): the loser of the race then fails with `IntegrityError`. Nor an insert of a row of another kind than the read looked for (`filter_by(kind="comment")`, then
`Notification(kind="mention")`): a business rule, no duplicate of what was checked; nor a lookup and an insert
through helpers of the code base that fill a column the lookup filters on from different values the caller hands
them (`find_thread(token)` filters on `token=digest(token)`, `remember_thread(sent_id)` stores
`token=digest(sent_id)`, `sent_id` not computed from `token`): the insert stores another key than the one checked.
Nor a check in a Django `post_save` receiver run only when the row was just created (`if created:`) that looks
up rows by that row's one-to-one partner alone (`Token.objects.get(user=instance.user)` under
`@receiver(post_save, sender=Profile)`, `Profile.user` a `OneToOneField`): the row is created once. Nor an
insert into a model with a unique key inside a `try` that catches any error (`except Exception:
pass`). Nor an insert into a model with a
unique key (`UniqueConstraint`, `unique=True`, `unique_together`) when the code base handles
the unique violation for every request (`pyramid_retry.mark_error_retryable(IntegrityError)`,
whose retried request reads again and finds the row; a Flask `errorhandler(IntegrityError)`, a
FastAPI `exception_handler(IntegrityError)`), or when the view class's own or inherited
`handle_exception`/`dispatch` catches it (a DRF base view answering `IntegrityError` with a 400),
or a DRF view when the `REST_FRAMEWORK["EXCEPTION_HANDLER"]` function catches it (also in a
serializer only such views use), except in a
background task (`@app.task`, `@shared_task`), which no request handler covers. One-off code
under a `scripts/` folder, in Django management commands (`management/commands/`) or click/Typer commands
(`@cli.command()`; not a chat bot's commands, discord.py's `@commands.command()`, which every member of a
server sends), functions only such commands (also from a command's `handle()` or its helpers) or a
script's main block call (a dev-data seeder, `init_database`), a DRF view hook defined on a serializer
(`perform_create`: DRF calls it on views only, the serializer's is dead code), receivers of Django's `post_migrate`/`pre_migrate` signal (`post_migrate.connect(create_permissions)`,
run by `migrate`) and what only they call, a function called only from modules' top level (`boot()` in
`urls.py`, run as the process imports it), tests, a class's test hook (`_monkeypatch`, `mock_responses`: stubs that fabricate
fixture rows for a test run) and migrations are not checked: nothing runs them concurrently.
When every `isolation_level` the code base sets is `REPEATABLE READ` or stricter, read-modify-writes
and single-use claims are not reported (the database aborts the second of two updates of one row); at
`SERIALIZABLE` nothing is (it aborts one of two transactions that write on the same read), nor is a
check in a function that sets SERIALIZABLE for its own transaction before it
(`session.connection(execution_options={"isolation_level": "SERIALIZABLE"})`). A response
type named like a table (`return Trace(id=row.id, db_record=row)`, a `@strawberry.type`, dataclass
or pydantic model) is no new row, nor is `Job(id=job_id, status="queued").save(update_fields=["status"])`, an
UPDATE of the row its key names. Of the writes one read decides, the first is reported; a later
update of the same table on the same run (a second `save()` of the row just stored, a task enqueued
to fill it in) follows from it.

## Why is this bad?
Between the read and the write another request can do the same read and get the same
answer: both insert (a duplicate, or a unique-violation error surfacing as a 500), or
both update from a stale value (a lost update, a double spend). The message says which:
when the written model declares a unique key over the checked columns (also under an import alias,
`from .models import Run as RunModel`, Django's own `Group`, whose `name` is unique, Django's own `User` (also as
`User = get_user_model()` in a code base that sets no `AUTH_USER_MODEL`), whose `username` is, DRF's authtoken
`Token`, one per `user`, and a unique column
with a constant default, `default=''`, or a `unique_together` whose other column has one, `default=REGION_EU`; also a unique `Index` of its
table arguments, `db.Index("ix_uq_name", func.lower(cls.name), unique=True)`, or one a Django migration
makes and no later one drops, `RunSQL('CREATE UNIQUE INDEX ... ON "app_feature" (lower(name), project_id)
WHERE deleted_at IS NULL')` or `AddConstraint(constraint=UniqueConstraint(...))`, read from the app's
`migrations/` folder also when the scan leaves it out) the second request
fails with `IntegrityError` (reported with low confidence: an error for the loser, no bad
data); otherwise a duplicate row is stored. The check gives no
guarantee; only the database can decide atomically (Backend Posture R2: check-then-act
is a Tier 1 anti-pattern, reach for ON CONFLICT or upsert).

## Example
```python
def subscribe(conn, email):
    cur = conn.cursor()
    cur.execute("SELECT 1 FROM subscribers WHERE email = %s", (email,))
    if cur.fetchone() is None:
        cur.execute("INSERT INTO subscribers (email) VALUES (%s)", (email,))
```

## Use instead
```python
def subscribe(conn, email):
    conn.cursor().execute(
        "INSERT INTO subscribers (email) VALUES (%s) ON CONFLICT (email) DO NOTHING", (email,)
    )
```
with a unique index on `subscribers(email)`. For a counter or balance, let the database
compute it: `Account.objects.filter(pk=pk).update(balance=F("balance") - amount)`. For
read-modify-write of one row, take
the row lock in the read: `SELECT ... FOR UPDATE` (`select_for_update()`,
`with_for_update()`), or write the condition into the `UPDATE ... WHERE`.

## References
- PostgreSQL INSERT ... ON CONFLICT: https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT
- Django get_or_create: https://docs.djangoproject.com/en/stable/ref/models/querysets/#get-or-create
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db
from audit_lib.operator_code import function_uses, receives_migrate_signal, run_by_operators
from audit_lib.pyast import (FUNCTION_TYPES, ancestors, catches_any_error, dotted, enclosing_function, functions,
                             in_main_block, is_none, keyword, method_name, method_in_hierarchy, passed_arguments, string_value,
                             walk_function_body, walk_nodes)
from audit_lib.registry import rule
from audit_lib.rules.r2_atomic._common import redis_client_classes
from audit_lib.source import Project, SourceModule, is_management_command, parse_file

FETCH_METHODS = {"fetchone", "fetchall", "fetchmany", "fetchval", "fetchrow", "first", "one", "one_or_none",
                 "scalar", "scalar_one", "scalar_one_or_none", "all"}
ROW_READS = {"get", "aget", "first", "last", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "get_one",
             "get_or_none", "get_by_id",  # peewee
             "get_one_or_none", "earliest", "latest", "afirst", "alast"}
RMW_FIX = ("let the database compute the new value: an atomic UPDATE (`Model.objects.filter(pk=...).update(n=F(\"n\") + 1)`, "
           "`UPDATE t SET n = n + 1 WHERE ...`), or read the row with `select_for_update()` / `with_for_update()` / "
           "`SELECT ... FOR UPDATE` inside the transaction that saves it")
MISSING_ROW = re.compile(r"(DoesNotExist|NoResultFound|ObjectNotFound|NotFound)(Error|Exception)?$")
VIEW_EXCEPTION_HOOKS = {"handle_exception", "dispatch"}
DRF_VIEWS = {"APIView", "GenericAPIView", "ViewSet", "GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet",
             "CreateAPIView", "ListCreateAPIView", "RetrieveUpdateAPIView", "RetrieveUpdateDestroyAPIView",
             "UpdateAPIView"}
PER_REQUEST_HANDLERS = {"mark_error_retryable", "errorhandler", "register_error_handler", "exception_handler",
                        "add_exception_handler"}
HANDED_BACK = "__init__"  # the method of a get-or-create's new instance, taken as an insert
EXITS = (ast.Raise, ast.Return, ast.Continue, ast.Break)
STATE_CONDITION = re.compile(r"\w+\s*(=|!=|<>|\bis\b(\s+not)?)\s*('[^']*'|\d+\b|null\b|true\b|false\b)", re.I)
SINGLE_USE_MARK = re.compile(r"^(is_)?(used|redeemed|consumed|claimed|spent)(_at|_on|_by)?$")
CLAIM_FIX = ("claim the row in one statement that re-checks the mark: `claimed = Invite.objects.filter(pk=pk, "
             "used=False).update(used=True)` and go on only when it returns 1 (`UPDATE ... SET used = true WHERE id = "
             "%s AND NOT used`), or read the row with `select_for_update()` / `with_for_update()`")
Act = tuple[db.DbOp, db.DbOp, "tuple[SourceModule, db.DbOp] | None"]  # the deciding read, the write, its origin
ADVISORY_LOCK = re.compile(r"advisory_(xact_)?lock", re.I)
LOCKING_HELPER = re.compile(r"for_update$|(^|_)lock(ed)?$|^lock(ed)?_")  # a read helper named for its row lock
LOCK_NAME = re.compile(r"(^|_)[Rr]?[Ll]ocks?(et)?(_ctx)?$|[a-z]Lock$|^[Ll]ock")
HARMLESS_DUPLICATES = re.compile(  # a log or history, a credential, a notification, a cache
    r"[a-z]Logs?$|(^|_)logs?$|[Aa]udit|[a-z]Histor(y|ies)$|(^|_)histor(y|ies)$|[a-z]Tokens?$|(^|_)[Tt]okens?$"
    r"|(^|[a-z_])[Nn]otifications?$|(^|[a-z_])[Cc]ached?([A-Z_]|$)")
PERMISSION_CHECK = re.compile(r"^_*(is|can|has|may|check|user_(is|can|has))_(\w+_)?(admin|manager?|owner|author|editor|"
                              r"moderator|staff|superuser|permitted|allowed|authori[sz]ed|perms?|permissions?|access|"
                              r"rights?|roles?)(_\w+)?$")  # a helper that answers whether the user may act
SELF_DECIDING = re.compile(r"(^|_)(get|first)_or_(create|add|insert)$")  # a helper named for its own lookup
SERIALIZABLE = re.compile(r"^\s*SERIALIZABLE\s*$|ISOLATION\s+LEVEL\s+SERIALIZABLE\b", re.I)  # set for one transaction
CLASS_SUFFIX = re.compile(r"(?<=[a-z])(Model|DBE?|Entity)$")  # RefreshTokenModel, AuditLogDB: the table's noun before it
TEST_HOOK = re.compile(r"(^|_)(monkey_?patch|mock)(_|$)", re.I)  # stubs the code for a test run, fabricating fixture rows
VALIDATOR = re.compile(r"^(clean|validate)(_\w+)?$")
FORM_BASE = re.compile(r"(Form|Serializer)$")
DRF_VIEW_HOOKS = {"perform_create", "perform_update", "perform_destroy"}
VALIDATION_CALLS = {"is_valid", "validate_on_submit", "validate"}
LIBRARY_GET_OR_CREATE = {"sqlalchemy_helpers"}  # a model base whose get_or_create selects, then adds and flushes
LAZY_QUERIES = {"filter", "exclude", "all"}
RELATED_MANAGER_CALLS = LAZY_QUERIES | {"exists", "first", "last", "get", "count", "create"}
SAVING_METHODS = {"save", "create", "update", "perform_create"}
SCHEMA_CHANGE = re.compile(r"\s*(ALTER|CREATE|DROP)\s+(TABLE|(UNIQUE\s+)?INDEX|VIEW|TRIGGER)\b", re.I)
CLAIMING_SQL = re.compile(r"\bFOR\s+(NO\s+KEY\s+)?UPDATE\b|^\s*(UPDATE|DELETE)\b.*\bRETURNING\b", re.I | re.S)
MIGRATION_UNIQUE_INDEX = re.compile(r"CREATE\s+UNIQUE\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?"
                                    r"\s+ON\s+(?:ONLY\s+)?([\w\"`.]+)\s*(?:USING\s+\w+\s*)?\((.*?)\)\s*(?:WHERE\b|;|$)",
                                    re.I | re.S)
MIGRATION_DROP_INDEX = re.compile(r"DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?\"?(\w+)\"?", re.I)
CHAT_BOT_LIBRARIES = ("discord", "disnake", "nextcord")  # discord.py and its forks: commands users send
FRESH_ID_MAKERS = {"uuid1", "uuid4", "uuid7", "token_hex", "token_urlsafe"}
PRIMARY_KEY_NAMES = {"id", "pk"}
VALUE_CONVERSIONS = {"str", "int", "float", "round", "Decimal", "slugify"}  # one value in, the same value out
UNBACKED_FIX = ("declare a unique key over the looked-up columns (`UniqueConstraint(fields=[...])` in the model's "
                "`Meta.constraints`, with a migration): get_or_create then catches the losing insert's IntegrityError "
                "and returns the stored row")
REDIS_LIBRARY = re.compile(r"(redis|aioredis)(\.|$)")
REDIS_WRITE_BACKS = {"set", "setex", "psetex"}
REDIS_DELETES = {"delete", "unlink"}
REDIS_COUNTER_FIX = ("let Redis compute the new value: INCR/INCRBY (then EXPIRE for a time window), or a Lua "
                     "script/WATCH transaction for another computation")
REDIS_CONSUME_FIX = ("read and delete the value in one command: GETDEL (Redis 6.2+), or a Lua script that compares "
                     "and deletes it, and check the value it returned")
FIX = ("make the write decide atomically: INSERT ... ON CONFLICT (key) DO NOTHING / DO UPDATE over a unique index "
       "(SQLAlchemy insert().on_conflict_do_nothing(), Django get_or_create/update_or_create), or lock the row "
       "in the read (SELECT ... FOR UPDATE / select_for_update() / with_for_update()) inside one transaction")


@rule("R2.check-then-act", on="module", scope="code+sql", severity="high")
def check_code(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or _one_off(module.path):
        return
    if "redis" in module.text or _imports_project_code(module, project):
        for fn in functions(module.tree):
            yield from _unless_run_by_operators(module, project, fn, _redis_key_races(module, project, fn))
    if not (db.uses_database(module) or _imports_project_code(module, project)):
        return
    for fn in functions(module.tree):
        if _command_line_command(module, fn) or _changes_schema(fn) or TEST_HOOK.search(getattr(fn, "name", "")) or (
                _serialized_per_submission(module, project, _caller_of_nested(module, fn))) or (
                _view_hook_on_serializer(module, project, fn)):
            continue
        yield from _unless_run_by_operators(module, project, fn, chain(
            _function_findings(module, project, fn), _unbacked_get_or_creates(module, project, fn),
            _library_get_or_creates(module, project, fn), _next_numbers(module, project, fn)))
        yield from _validator_findings(module, project, fn)


def _redis_key_races(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[Finding]:
    """A Redis value read with ``GET`` and then written back or deleted by a second command on the same key:
    a counter raised in Python and stored again (``n = int(await r.get(k) or 0) + 1; await r.setex(k, ttl, n)``)
    loses the increments of concurrent requests, which read the same value; a one-use value checked and
    then deleted (``if stored != code: raise ...; await r.delete(k)``: a captcha, a refresh token) is
    accepted by every request that checks it before the first one deletes it."""
    statements = sorted((s for s in walk_function_body(fn) if isinstance(s, ast.stmt)), key=lambda s: s.lineno)
    for read in statements:
        got = _redis_get(module, project, fn, read)
        if got is None:
            continue
        name, client, key = got
        for node in walk_function_body(fn):
            if not (isinstance(node, ast.Call) and node.lineno > read.lineno and isinstance(node.func, ast.Attribute)
                    and dotted(node.func.value) == client and node.args and ast.dump(node.args[0]) == key):
                continue
            command, shown = node.func.attr, ast.unparse(node.args[0])
            if command in REDIS_WRITE_BACKS and _mentions(_written_value(node), _derived_names(statements, name, read, node)):
                yield _finding(module, node, (
                    f"read-modify-write on Redis key {shown}: line {read.lineno} reads it with GET and this "
                    f"{command.upper()} writes back a value computed from it; concurrent requests read the same "
                    f"value and all but one change is lost"), REDIS_COUNTER_FIX, Confidence.high)
            elif command in REDIS_DELETES and _refused_on(statements, name, read, node):
                yield _finding(module, node, (
                    f"check-then-act on Redis key {shown}: line {read.lineno} reads a one-use value with GET and "
                    f"checks it, then this {command.upper()} consumes it in a second command; concurrent requests "
                    f"all pass the check before the first one deletes it"), REDIS_CONSUME_FIX, Confidence.high)


def _redis_get(module: SourceModule, project: Project, fn: ast.AST, statement: ast.stmt
               ) -> tuple[str, str, str] | None:
    """``name = [await] client.get(key)`` on a Redis client: (name, client, dump of the key)."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)):
        return None
    call = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "get"
            and len(call.args) == 1 and isinstance(call.func.value, ast.Name) and _redis_client(module, project, fn, call.func.value.id)):
        return None
    return statement.targets[0].id, call.func.value.id, ast.dump(call.args[0])


def _redis_client(module: SourceModule, project: Project, fn: ast.AST, name: str) -> bool:
    """``name`` holds a client of the redis library (``Redis()``, ``redis.asyncio.from_url(...)``) or of a
    class of the code base derived from one (``class KeyStore(Redis)``)."""
    return any(REDIS_LIBRARY.match(built) for built in redis_client_classes(module, project, fn, name))


def _written_value(call: ast.Call) -> ast.expr | None:
    """The value a ``set``/``setex``/``psetex`` stores: ``set(key, value)``, ``setex(key, ttl, value)``."""
    position = 1 if call.func.attr == "set" else 2
    return call.args[position] if len(call.args) > position else keyword(call, "value")


def _derived_names(statements: list[ast.stmt], name: str, read: ast.stmt, until: ast.AST) -> set[str]:
    """The names holding a value computed from ``name`` at ``until``: assigned from an expression that
    uses one (``n = int(n) if n else 0``, ``n += 1``); a name assigned afresh stops holding it."""
    derived = {name}
    for statement in statements:
        if not read.lineno < statement.lineno < until.lineno:
            continue
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            target = statement.targets[0].id
            derived = derived | {target} if _mentions(statement.value, derived) else derived - {target}
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) and (
                statement.target.id in derived or _mentions(statement.value, derived)):
            derived.add(statement.target.id)
    return derived


def _refused_on(statements: list[ast.stmt], name: str, read: ast.stmt, until: ast.AST) -> bool:
    """An ``if`` between the read and ``until`` that compares the value read (``stored != code``) and
    raises or returns: the value is checked before it is used up."""
    return any(isinstance(s, ast.If) and read.lineno < s.lineno < until.lineno and any(
        isinstance(n, ast.Compare) and _mentions(n, {name}) for n in ast.walk(s.test)) and any(
        isinstance(b, (ast.Raise, ast.Return)) for b in s.body) for s in statements)


def _mentions(node: ast.AST | None, names: set[str]) -> bool:
    return node is not None and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _unless_run_by_operators(module: SourceModule, project: Project, fn: ast.AST,
                             findings: Iterator[Finding]) -> Iterator[Finding]:
    """A function only a command line or a script's main block runs (``init_db`` of a ``manage.py``
    command, a dev-data seeder, an LDAP import; a helper only Django management commands call, from their
    ``handle()`` or its helpers), or only a module's top level as it is imported (``boot()`` in ``urls.py``),
    or only a start-up hook (``@app.on_event("startup")``, the ``lifespan``
    of an ASGI app) runs, is run once, not by concurrent requests. A decorated function is a framework's
    entry point (a view, a task), whoever imports the module; one nested in the function that calls it
    (a transaction wrapper's body) runs when that function does."""
    found = list(findings)
    fn = _caller_of_nested(module, fn)

    def run_once(caller_module: SourceModule, caller: ast.AST) -> bool:
        return _run_once(caller_module, caller) or receives_migrate_signal(caller_module, project, caller) or (
            _called_at_import(caller_module, project, caller))

    if found and not run_once(module, fn) and (getattr(fn, "decorator_list", None) or not run_by_operators(
            module, project, fn, also=run_once)):
        yield from found


def _run_once(module: SourceModule, fn: ast.AST) -> bool:
    """A start-up hook, or a function of a script or a management command (``Command.handle``, which the
    search for callers leaves alone as a common method name)."""
    return _startup_hook(module, fn) or _one_off(module.path)


def _called_at_import(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A function the code base calls only from the top level of its modules (``boot()`` in ``urls.py``): it runs
    as a process imports the module, before the process serves a request; not from a ``__main__`` block, which
    may run the service itself (a worker's loop)."""
    uses = function_uses(module, project, fn)
    return bool(uses) and all(called and enclosing_function(user, node) is None and not in_main_block(user, node)
                              for user, node, called in uses)


def _serialized_per_submission(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A view under a decorator of the code base that runs it inside a lock keyed on the request (``with
    RedisLock(store, f"lock/{hash of request.url and request.form}"): ... return view(*args, **kwargs)``):
    identical submissions wait for each other and the later one gets the first one's answer, so a double
    submit cannot race past the view's check."""
    for decorator in getattr(fn, "decorator_list", ()):
        call = decorator if isinstance(decorator, ast.Call) else ast.Call(func=decorator, args=[], keywords=[])
        resolved = db.resolve_function(module, project, call, reexports=True)
        if resolved is not None and _calls_wrapped_under_request_lock(*resolved):
            return True
    return False


def _calls_wrapped_under_request_lock(module: SourceModule, decorator: ast.AST) -> bool:
    """The decorator's wrapper calls the function it wraps (a parameter of the decorator or of a function
    nested in it) in a ``with`` block of a lock, and reads the ``request`` its key is made of."""
    nested = [f for f in walk_nodes(decorator) if isinstance(f, FUNCTION_TYPES)]
    wrapped = {a.arg for f in [decorator, *nested] for a in f.args.args}
    for node in walk_nodes(decorator):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in wrapped:
            block, wrapper = _with_block(module, node), enclosing_function(module, node)
            if block is not None and any(_names_lock(item.context_expr) for item in block.items) and any(
                    isinstance(n, ast.Name) and n.id == "request" for n in walk_nodes(wrapper)):
                return True
    return False


def _caller_of_nested(module: SourceModule, fn: ast.AST) -> ast.AST:
    """The outermost function that defines ``fn`` and calls it by name (``def import_file(): @managed_tx
    def import_tx(db): ...; import_tx()``), or ``fn``."""
    outer = enclosing_function(module, fn)
    while outer is not None and any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                                    and node.func.id == fn.name for node in walk_nodes(outer)):
        fn, outer = outer, enclosing_function(module, outer)
    return fn


def _startup_hook(module: SourceModule, fn: ast.AST) -> bool:
    """``@app.on_event("startup")`` or an ASGI app's ``lifespan``: run once as the process starts."""
    return getattr(fn, "name", "").endswith("lifespan") or any(
        isinstance(d, ast.Call) and method_name(d) == "on_event" and d.args and string_value(d.args[0]) == "startup"
        for d in getattr(fn, "decorator_list", []))


def _function_findings(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[Finding]:
    ops = db.with_transaction_locks(module, project, fn, db.with_wrapper_writes(
        module, project, fn, db.expanded_ops(module, project, fn)))
    ops += _related_manager_ops(project, fn, ops) + _serializer_inserts(module, project, fn)
    writing_calls = {id(op.call) for op in ops if op.is_write}
    # a helper that also writes is not a lookup whose answer the caller acts on
    reads = [op for op in ops if op.is_read and op.tables and not op.locking
             and not (op.through and id(op.call) in writing_calls) and not _claims_rows(module, project, op)
             ] + _form_validations(module, project, fn)
    reads = [_run_query(fn, op) for op in reads]
    writes = [op for op in ops if _is_act(op) or _orm_update(op)] + _instances_handed_back(module, project, fn, reads, ops) + (
        _form_saved_inserts(module, project, fn, ops))
    reported: set[int] = set()
    read_apis = {op.api for op in ops if op.is_read}
    updates_refused = bool(read_apis) and all(_isolation(project, api) for api in read_apis)  # by the isolation level
    for finding, write_call in [*_read_modify_writes(module, fn, ops, project), *_single_use_claims(module, fn, ops, project),
                                *_moves_through_helpers(module, project, fn, ops)]:
        reported.add(id(write_call))
        if not updates_refused:
            yield finding
    if not reads or not writes:
        return
    acts: list[Act] = []
    for write in writes:
        origin = _origin(module, project, write) if write.through else (module, write)
        if origin is not None and _saves_new_instance(*origin):
            write = replace(write, kind=db.INSERT)  # save() stores an instance just built, not the row read
        if origin is not None and _forced_update(origin[1].call):
            write = replace(write, kind=db.UPDATE)  # Run(id=run_id, status=...).save(update_fields=[...])
        keyed = _as_declared(module, project, write)
        if id(write.call) in reported or db.handles_unique_violation(module, write.call, fn) or _recovers_from_conflict(
                module, fn, write) or _flushed_under_handler(
                module, fn, write) or (_inserts_unique(project, keyed) and _catches_every_error(module, write.call, fn)) or (
                write.through and _helper_handles_unique(module, project, write)) or (
                _request_retried_on_conflict(project, fn, keyed)) or (
                _base_view_answers_conflict(module, project, fn) and _inserts_unique(project, keyed)):
            continue
        read = _deciding_read(module, project, fn, reads, write) if _is_act(write) else _uniqueness_check(
            module, fn, reads, write, ops)
        if read is not None and not (_is_act(write) or read.through) and _refused_by_unique_key(project, read, keyed):
            continue  # a rename refused in front of the unique key, which decides atomically
        if read is None and not _is_act(write):
            read = next((r for r in reads if r.call.lineno < write.call.lineno and any(
                db.same_table(a, b) for a in r.tables for b in write.tables) and _built_when_missing(
                module, fn, r, _result_names(module, fn, r), write)), None)
            if read is not None:
                write = replace(write, kind=db.INSERT)  # the saved instance is built when the read found nothing
                if _new_row_after_key_lookup(module, project, fn, read, write) or _flushed_under_handler(module, fn, write):
                    continue
        if read is None or _isolation(project, read.api) == "SERIALIZABLE" or _serialized(module, fn, read.call, ops) \
                or _locked_by_every_caller(module, project, fn) or _rechecked_under_lock(module, project, fn, ops, write) \
                or _another_kind_of_row(fn, read, write) or _once_per_created_row(module, project, fn, read) \
                or _keyed_apart(module, project, fn, read, write) \
                or write.kind == db.INSERT and all(HARMLESS_DUPLICATES.search(CLASS_SUFFIX.sub("", t)) for t in write.tables) and not (
                    _keyed_on_checked_columns(project, read, keyed)) or (
                write.through and origin is not None and (
                    _helper_checks_under_lock(project, *origin) or _helper_decides_itself(project, *origin))) or (
                write.through and origin is None and SELF_DECIDING.search(write.through.split(".")[-1])):
            continue
        reported.add(id(write.call))
        acts.append((read, write, origin))
    for read, write, origin in _race_points(module, fn, acts):
        table = sorted(write.tables)[0]
        refused = _refused_by_unique_key(project, read, _as_declared(module, project, write)) or (
            _given_looked_up_key(fn, read, write))
        message = (f"check-then-act on {table}: line {read.call.lineno} reads it ({read.describe()}), then "
                   f"{_act(write, origin)} depends on the answer; concurrent requests can both pass the check"
                   f"{_consequence(write, table, refused)}")
        yield _finding(module, write.call, message, FIX, Confidence.low if refused else Confidence.high if not (
            read.through or write.through) and read.api == "sql" else Confidence.medium)


MAX_SQL = re.compile(r"\bMAX\s*\(\s*[\"`]?(?:\w+\.)?[\"`]?(\w+)[\"`]?\s*\)", re.I)
TABLE_LOCK_SQL = re.compile(r"\bLOCK\s+(TABLE\s+)?[\w\".]+\s+IN\b|\bLOCK\s+TABLE\b", re.I)
NEXT_NUMBER_FIX = ("let the database number the rows: a sequence or identity column, or a counter row updated "
                   "atomically (`UPDATE counters SET last = last + 1 WHERE scope = %s RETURNING last`); else take a "
                   "lock before reading the maximum (`SELECT ... FOR UPDATE` of the parent row, "
                   "`pg_advisory_xact_lock`) and keep a unique key over the number with a retry on IntegrityError")


def _next_numbers(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[Finding]:
    """A "MAX(number) + 1" sequence: the current maximum of a column read without a lock (SQLAlchemy
    ``func.max(Invoice.number)``, peewee ``fn.MAX``, Django ``aggregate(Max("number"))`` or
    ``order_by("-number").first()``/``latest("number")``, SQL ``SELECT MAX(number)``) and a row of that table
    then written with the maximum plus one (``Invoice(number=(last or 0) + 1)``). Two concurrent requests
    read the same maximum and store the same number. Also the SQLAlchemy form that computes the number in
    the statement that writes it (``self.number = select(func.max(Update.number) + 1).scalar_subquery()``):
    under READ COMMITTED two concurrent flushes still see the same maximum."""
    ops = db.with_transaction_locks(module, project, fn, db.expanded_ops(module, project, fn))
    statements = sorted((s for s in walk_function_body(fn) if isinstance(s, ast.stmt)), key=lambda s: s.lineno)
    for read in ops:
        found = _maximum_read(read) if read.is_read and read.tables and not read.locking and not read.through else None
        if found is None:
            continue
        table, column = found
        derived = {d for name in _result_names(module, fn, read) for d in _derived_after(statements, name, read.call.lineno)}
        plus_one = _adds_to(read.call, None) or any(
            _adds_to(s, derived) for s in statements if s.lineno >= read.call.lineno)
        write = next((op for op in ops if op.is_write and not op.upsert and op.call.lineno > read.call.lineno and any(
            db.same_table(t, table) for t in op.tables) and _carries(module, fn, op.call, derived)), None)
        if not plus_one or write is None or _number_protected(module, project, fn, read, write, ops):
            continue
        yield _next_number_finding(module, project, write.call, table, column, f"line {read.call.lineno} reads the "
                                   f"current maximum ({read.describe()}) without a lock and this write stores it plus one",
                                   sql=read.api == "sql")
    yield from _last_row_numbers(module, project, fn, ops)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute) and (
                any(isinstance(n, ast.Call) and method_name(n) in ("scalar_subquery", "as_scalar") for n in ast.walk(node.value))):
            found = next((_maximum_call(n) for n in ast.walk(node.value) if _maximum_call(n)), None)
            if found is None or not _adds_to(node.value, None) or _serialized(module, fn, node, ops) or (
                    _isolation(project, "sqlalchemy") == "SERIALIZABLE") or _assigned_again(fn, node):
                continue  # (a placeholder out of the way of a reorder, given its final number later, is none)
            table, column = found
            owner = _class_of(module, fn)
            if not table[:1].isupper():  # ``func.max(cls.seq)``, ``self.__class__.seq``: the class defining it
                if owner is None:
                    continue
                table = owner.name
            yield _next_number_finding(module, project, node, table, column or node.targets[0].attr,
                                       "this assignment numbers the row with a subquery of the current maximum plus one")


def _last_row_numbers(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> Iterator[Finding]:
    """The number of the parent's last child plus one, stored in a new child (``post.position =
    topic.last_message.position + 1``, then ``post.save()``): the pointer to the last row is the maximum read
    without a lock, and two concurrent replies take the same number."""
    for node in walk_function_body(fn):
        found = _last_row_number(node.value) if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if found is None:
            continue
        pointer, column = found
        target = node.targets[0]
        holder = target.id if isinstance(target, ast.Name) else target.value.id if isinstance(
            target, ast.Attribute) and isinstance(target.value, ast.Name) else None
        write = next((op for op in ops if op.kind == db.INSERT and op.tables and op.call.lineno > node.lineno and (
            isinstance(target, ast.Name) and _carries(module, fn, op.call, {holder}) or holder is not None and any(
                isinstance(n, ast.Name) and n.id == holder for n in [getattr(op.call.func, "value", None), *op.call.args])
        )), None)
        if write is None or _number_protected(module, project, fn, write, write, ops):
            continue
        table = sorted(write.tables)[0]
        yield _next_number_finding(module, project, write.call, table, target.attr if isinstance(
            target, ast.Attribute) else column, f"line {node.lineno} takes the number of the last row ({pointer}.{column}) "
            f"without a lock and this insert stores it plus one")


def _last_row_number(value: ast.expr) -> tuple[str, str] | None:
    """(pointer, column) of ``<row>.last_<child>.<column> + 1`` (also one branch of ``1 if ... else ...``)."""
    if isinstance(value, ast.IfExp):
        return _last_row_number(value.body) or _last_row_number(value.orelse)
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and isinstance(value.right, ast.Constant)
            and value.right.value == 1 and isinstance(value.left, ast.Attribute)
            and isinstance(value.left.value, ast.Attribute) and value.left.value.attr.startswith(("last_", "latest_"))):
        return None
    return dotted(value.left.value) or value.left.value.attr, value.left.attr


def _assigned_again(fn: ast.AST, assignment: ast.Assign) -> bool:
    """The same attribute is set again later in the function (``self.seq = <max + 1>`` to move the row out of
    the way, ``flush()``, ..., ``self.seq = new_seq``): a temporary value, not the number the row keeps."""
    target = ast.dump(assignment.targets[0])
    return any(isinstance(n, ast.Assign) and n.lineno > assignment.lineno and any(
        ast.dump(t) == target for t in n.targets) for n in walk_function_body(fn))


def _next_number_finding(module: SourceModule, project: Project, node: ast.AST, table: str, column: str,
                         what: str, sql: bool = False) -> Finding:
    keyed = not sql and _unique_over(project, table, column)
    outcome = ("both store the same number unless a unique key over it refuses the second" if sql else
               f"the second then fails with IntegrityError on the unique key over {column}" if keyed else
               f"{table}'s model declares no unique key over {column}, so both store the same number")
    message = (f"check-then-act on {table}.{column} (MAX + 1): {what}; concurrent requests read the same maximum, "
               f"and {outcome}")
    return _finding(module, node, message, NEXT_NUMBER_FIX, Confidence.low if keyed else Confidence.medium)


def _maximum_read(read: db.DbOp) -> tuple[str, str] | None:
    """(table, column) of a read of a column's maximum: ``func.max(T.n)``, ``fn.MAX(T.n)``, ``Max("n")``,
    ``order_by("-n").first()``, ``latest("n")``, ``SELECT MAX(n) FROM t``."""
    table = sorted(read.tables)[0]
    if read.api == "sql":
        found = MAX_SQL.search(read.sql or "")
        return (table, found.group(1)) if found and len(read.tables) == 1 else None
    for node in ast.walk(read.call):
        found = _maximum_call(node)
        if found is not None:
            return table, found[1]
    if read.method in ("first", "afirst", "latest", "alatest", "last", "alast"):
        ordering = next((n for n in ast.walk(read.call) if isinstance(n, ast.Call) and method_name(n) == "order_by"), None)
        keys = [string_value(a) for a in (ordering.args if ordering is not None else read.call.args)]
        descending = [k for k in keys if k]
        column = descending[0] if len(descending) == 1 else None
        if column and (column.startswith("-") if read.method in ("first", "afirst") else not column.startswith("-")):
            return table, column.lstrip("-")
    return None


def _maximum_call(node: ast.AST) -> tuple[str, str] | None:
    """(model, column) of ``func.max(Invoice.number)`` / ``fn.MAX(...)`` (model of the column), or ("", column)
    for Django's ``Max("number")``."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    name = dotted(node.func) or ""
    argument = node.args[0]
    if name.split(".")[-1] in ("max", "MAX") and name.split(".")[0] in ("func", "fn", "sa", "sqlalchemy", "db", "peewee"):
        if isinstance(argument, ast.Attribute):
            model = dotted(argument.value) or ""
            return model.split(".")[-1], argument.attr
        return None
    if name.split(".")[-1] == "Max" and string_value(argument):
        return "", (string_value(argument) or "").split("__")[0]
    return None


def _derived_after(statements: list[ast.stmt], name: str, after: int) -> set[str]:
    """``name`` and the names assigned later from an expression that uses one of them (``n = (last or 0) + 1``,
    ``number = agg["number__max"] + 1``)."""
    derived = {name}
    for statement in statements:
        if statement.lineno > after and isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None \
                and _mentions(statement.value, derived):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            derived |= {t.id for t in targets if isinstance(t, ast.Name)}
    return derived


def _adds_to(node: ast.AST, names: set[str] | None) -> bool:
    """A ``+`` in ``node`` of a maximum (``func.max(...) + 1``, with ``names`` None) or of one of ``names``."""
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add) and (
        any(_maximum_call(m) for m in ast.walk(n)) if names is None else _mentions(n, names)) for n in ast.walk(node))


def _carries(module: SourceModule, fn: ast.AST, call: ast.Call, names: set[str]) -> bool:
    """The write stores a value of ``names``: in its own arguments, or in the instance it is given (built
    with it, ``Invoice(number=n)``, or given it after, ``invoice.number = n``)."""
    if _mentions(call, names):
        return True
    given = {n.id for n in [*call.args, *(k.value for k in call.keywords), getattr(call.func, "value", None)]
             if isinstance(n, ast.Name)}
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and node.lineno < call.lineno and _mentions(node.value, names) and any(
                isinstance(t, ast.Name) and t.id in given or isinstance(t, ast.Attribute) and isinstance(
                    t.value, ast.Name) and t.value.id in given for t in node.targets):
            return True
    return False


def _number_protected(module: SourceModule, project: Project, fn: ast.AST, read: db.DbOp, write: db.DbOp,
                      ops: list[db.DbOp]) -> bool:
    """A lock taken before the read (a row or advisory lock, a ``with`` block of a lock, ``LOCK TABLE``), the
    SERIALIZABLE level, every caller's lock, or a write that handles the unique violation (a retry)."""
    return _serialized(module, fn, read.call, ops) or _isolation(project, read.api) == "SERIALIZABLE" or any(
        TABLE_LOCK_SQL.search(string_value(n) or "") for n in walk_function_body(fn)) or db.handles_unique_violation(
        module, write.call, fn) or _recovers_from_conflict(module, fn, write) or _flushed_under_handler(
        module, fn, write) or _locked_by_every_caller(module, project, fn)


def _unique_over(project: Project, table: str, column: str) -> bool:
    """Whether the model class ``table`` (or a base class of the code base) declares a unique key that
    includes ``column``: ``unique=True`` on it, a ``UniqueConstraint``/``unique_together``/unique ``Index``
    naming it (``__table_args__``, ``Meta``)."""
    classes = {table} | db._ancestors(table, db.class_bases(project)) if table else set()
    for module in project.modules:
        if column not in module.text:
            continue
        for cls in module.nodes_of(ast.ClassDef):
            if cls.name not in classes:
                continue
            for node in ast.walk(cls):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call) and any(
                        isinstance(t, ast.Name) and t.id == column for t in (
                            node.targets if isinstance(node, ast.Assign) else [node.target])) and any(
                        k.arg in ("unique", "primary_key") and isinstance(k.value, ast.Constant) and k.value.value is True
                        for k in node.value.keywords):
                    return True
                unique_index = isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] == "Index" and any(
                    k.arg == "unique" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords)
                if (unique_index or db._declares_unique(node)) and not isinstance(node, ast.ClassDef) and any(
                        string_value(n) == column or isinstance(n, ast.Attribute) and n.attr == column
                        for n in ast.walk(node)):
                    return True
    return False


def _unbacked_get_or_creates(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[Finding]:
    """Django's ``Model.objects.get_or_create(...)`` of a model of the code base that declares no unique
    key over the looked-up columns (the keywords but ``defaults``): Django documents the call as atomic
    only when the database enforces the lookup's uniqueness; without a key it is a ``get`` and then a
    ``create``, two concurrent calls both insert, and every later ``get_or_create`` of that lookup raises
    ``MultipleObjectsReturned``."""
    ops = db.expanded_ops(module, project, fn)
    for op in ops:
        call = op.call
        if op.through or op.api != "django" or op.method not in ("get_or_create", "aget_or_create") or not (
                isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Attribute)
                and call.func.value.attr == "objects"):
            continue
        found = _model_class(module, project, fn, call.func.value.value)
        model = found[1] if found is not None else None
        lookup = [k.arg for k in call.keywords if k.arg not in ("defaults", "create_defaults")]
        if model is None or None in lookup or _keyed_over(*found, project, call, lookup) or HARMLESS_DUPLICATES.search(
                CLASS_SUFFIX.sub("", model.name)) or _isolation(project, op.api) == "SERIALIZABLE" or _serialized(
                module, fn, call, ops):
            continue
        yield _unbacked_finding(module, call, model.name, lookup)
    for call in walk_function_body(fn):
        related = _related_manager_model(project, call.func.value) if isinstance(call, ast.Call) and method_name(
            call) in ("get_or_create", "aget_or_create") else None
        if related is None:
            continue
        (model_module, model), foreign_key = related
        lookup = [k.arg for k in call.keywords if k.arg not in ("defaults", "create_defaults")] + [foreign_key]
        if None in lookup or _keyed_over(model_module, model, project, call, lookup) or HARMLESS_DUPLICATES.search(
                CLASS_SUFFIX.sub("", model.name)) or _isolation(project, "django") == "SERIALIZABLE" or _serialized(
                module, fn, call, ops):
            continue
        yield _unbacked_finding(module, call, model.name, lookup)


def _library_get_or_creates(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[Finding]:
    """``User.get_or_create(session, name=name)`` of a model built on a library base whose ``get_or_create``
    selects the row and, when none is found, adds and flushes a new one, with no ``ON CONFLICT`` and no
    ``IntegrityError`` handler (sqlalchemy_helpers' ``Base``): two concurrent calls both miss the row."""
    for call in walk_function_body(fn):
        if not (isinstance(call, ast.Call) and method_name(call) == "get_or_create" and isinstance(call.func.value, ast.Name)):
            continue
        found = _model_class(module, project, fn, call.func.value)
        library = _library_base(*found, project) if found is not None else None
        if library is None or db.handles_unique_violation(module, call, fn) or _serialized(
                module, fn, call, db.expanded_ops(module, project, fn)):
            continue
        table = found[1].name
        read = db.DbOp(call, db.READ, frozenset({table}), "sqlalchemy", "get_or_create")
        write = replace(read, kind=db.INSERT)
        refused = _refused_by_unique_key(project, read, write)
        message = (f"check-then-act on {table}: the get_or_create() of {library} selects the row and inserts it when "
                   f"missing, without ON CONFLICT or an IntegrityError handler; concurrent calls can both miss it"
                   f"{_consequence(write, table, refused)}")
        yield _finding(module, call, message, FIX, Confidence.low if refused else Confidence.medium)


def _library_base(module: SourceModule, model: ast.ClassDef, project: Project) -> str | None:
    """The library of :data:`LIBRARY_GET_OR_CREATE` a model's base comes from, imported directly or through a
    module of the code base that imports it (``from ..main import Base``, ``main``: ``from sqlalchemy_helpers
    import Base``)."""
    for base in model.bases:
        target = module.imports.get(base.id) if isinstance(base, ast.Name) else None
        for _ in range(3):
            owner_name, _, name = (target or "").rpartition(".")
            owner = project.by_dotted_name.get(owner_name)
            if owner is None or name not in owner.imports:
                break
            target = owner.imports[name]
        if target and target.split(".")[0] in LIBRARY_GET_OR_CREATE:
            return target.split(".")[0]
    return None


def _unbacked_finding(module: SourceModule, call: ast.Call, table: str, lookup: list[str]) -> Finding:
    message = (f"check-then-act on {table}: get_or_create() looks the row up by ({', '.join(lookup)}) and inserts it "
               f"when missing, but {table}'s model declares no unique key over those columns, so Django cannot make it "
               f"atomic: concurrent calls both insert a duplicate row, and later lookups raise MultipleObjectsReturned")
    return _finding(module, call, message, UNBACKED_FIX, Confidence.medium)


def _related_manager_ops(project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """The reads and inserts of related managers the database reading leaves out: ``org.members.filter(email=e)
    .exists()`` reads ``Member``, ``user.apitoken_set.create(...)`` inserts into ``APIToken`` (see
    :func:`_related_manager_model`); a ``filter()`` or ``all()`` not run in place is a query run where its
    answer is tested. A chain through ``select_for_update()`` (``user.usage_set.select_for_update().filter(...)
    .first()``) locks the rows it reads."""
    known = {id(n) for op in ops for n in ast.walk(op.call)}
    found: list[db.DbOp] = []
    for call in walk_function_body(fn):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)) or id(call) in known or method_name(
                call) not in RELATED_MANAGER_CALLS:
            continue
        manager, chained = call.func.value, set()
        while isinstance(manager, ast.Call) and isinstance(manager.func, ast.Attribute):
            chained.add(manager.func.attr)
            manager = manager.func.value
        related = _related_manager_model(project, manager)
        if related is None or method_name(call) == "create" and manager is not call.func.value:
            continue
        known |= {id(n) for n in ast.walk(call)}
        kind = db.INSERT if method_name(call) == "create" else db.READ
        found.append(db.DbOp(call, kind, frozenset({related[0][1].name}), "django", method_name(call),
                             receiver=ast.unparse(manager), lazy=method_name(call) in LAZY_QUERIES,
                             locking=bool(chained & {"select_for_update"})))
    return found


def _serializer_inserts(module: SourceModule, project: Project, fn: ast.AST) -> list[db.DbOp]:
    """The inserts of a DRF model serializer's ``Meta.model`` a view makes through it: ``serializer.save(...)``
    in the view's ``perform_create(self, serializer)`` (the serializer of its ``serializer_class``), and
    ``super().create(validated_data)`` in the serializer's own ``create``."""
    cls = _class_of(module, fn)
    if cls is None or module.parents.get(fn) is not cls or fn.name not in ("perform_create", "create"):
        return []
    if fn.name == "create":
        model = _serializer_model(project, cls.name) if _form_class(project, cls) else None
        calls = [c for c in walk_function_body(fn) if isinstance(c, ast.Call) and method_name(c) == "create" and isinstance(
            c.func.value, ast.Call) and method_name(c.func.value) == "super"]
    else:
        serializer = _class_attribute(module, cls, project, "serializer_class")
        model = _serializer_model(project, serializer.id) if isinstance(serializer, ast.Name) else None
        parameter = fn.args.args[1].arg if len(fn.args.args) > 1 else None
        calls = [c for c in walk_function_body(fn) if isinstance(c, ast.Call) and method_name(c) == "save" and isinstance(
            c.func.value, ast.Name) and c.func.value.id == parameter]
    return [db.DbOp(c, db.INSERT, frozenset({model}), "django", method_name(c)) for c in calls] if model else []


def _serializer_model(project: Project, class_name: str) -> str | None:
    """The ``Meta.model`` of a serializer class, declared by it or inherited from a base (``class
    Meta(BaseSerializer.Meta)``)."""
    meta_models, bases = _meta_models(project), db.class_bases(project)
    seen, pending = set(), [class_name]
    while pending:
        name = pending.pop(0)
        if len(meta_models.get(name, ())) == 1:
            return next(iter(meta_models[name]))
        if name not in seen:
            seen.add(name)
            pending.extend(bases.get(name, ()))
    return None


def _class_attribute(module: SourceModule, cls: ast.ClassDef, project: Project, name: str,
                     depth: int = 0) -> ast.expr | None:
    """The value a class or its nearest base of the code base assigns to a class attribute (``serializer_class
    = TeamSerializer``)."""
    value = next((s.value for s in cls.body if isinstance(s, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in s.targets)), None)
    for base in cls.bases if value is None and depth < 5 else ():
        found = _base_class(module, project, base)
        value = _class_attribute(*found, project, name, depth + 1) if found is not None else None
        if value is not None:
            break
    return value


def _related_manager_model(project: Project, manager: ast.AST
                           ) -> tuple[tuple[SourceModule, ast.ClassDef], str | None] | None:
    """((module, model class), foreign key field) of a related manager: ``board.pins`` for the
    one model of the code base whose ``ForeignKey`` says ``related_name="pins"``, ``board.vote_set`` for a
    ``Vote`` with one ``ForeignKey``. The manager fixes the foreign key, so it joins the columns a
    ``get_or_create`` looks up."""
    if not isinstance(manager, ast.Attribute) or manager.attr == "objects":
        return None
    found = _foreign_keys(project).get(manager.attr, [])
    return found[0] if len(found) == 1 else None


def _foreign_keys(project: Project) -> dict[str, list[tuple[tuple[SourceModule, ast.ClassDef], str | None]]]:
    """Related manager name -> the models of the code base it may reach and their foreign key field: the
    ``related_name`` of a ``ForeignKey``, or ``<model>_set`` for a ``ForeignKey`` without one (its field
    None when the model has several: the manager does not say which it follows)."""
    if "r2.foreign_keys" not in project.facts:
        found: dict[str, list[tuple[tuple[SourceModule, ast.ClassDef], str | None]]] = {}
        for module in project.modules:
            if "ForeignKey" not in module.text or db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                keys = [(statement.targets[0].id, statement.value) for statement in cls.body
                        if isinstance(statement, ast.Assign) and len(statement.targets) == 1
                        and isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.Call)
                        and (dotted(statement.value.func) or "").endswith("ForeignKey")]
                for field, declared in keys:
                    named = next((string_value(k.value) for k in declared.keywords if k.arg == "related_name"), None)
                    if named is None and "related_name" not in {k.arg for k in declared.keywords}:
                        named, field = f"{cls.name.lower()}_set", field if len(keys) == 1 else None
                    if named and ((module, cls), field) not in found.get(named, []):
                        found.setdefault(named, []).append(((module, cls), field))
        project.facts["r2.foreign_keys"] = found
    return project.facts["r2.foreign_keys"]


def _model_class(module: SourceModule, project: Project, fn: ast.AST,
                 node: ast.expr) -> tuple[SourceModule, ast.ClassDef] | None:
    """The model class of the code base ``node`` names: ``Model``, or ``cls`` in a classmethod of it."""
    owner = module.parents.get(fn)
    if isinstance(node, ast.Name) and node.id == "cls" and isinstance(owner, ast.ClassDef):
        return module, owner
    return db.project_class(module, project, node)


def _keyed_over(module: SourceModule, model: ast.ClassDef, project: Project, call: ast.Call, lookup: list[str]) -> bool:
    """Whether a unique key the model class declares lies within the columns a ``get_or_create`` fixes (``user``
    for ``user_id`` too, in the call or in the key): those it looks up, and those with a constant default that its
    ``defaults`` leave alone (``label = CharField(default="")``, ``default=REGION_EU``: every such insert stores
    the same value), and those its ``defaults`` compute from the looked-up values alone (``value=estimation``,
    ``defaults={"name": str(estimation)}``: two calls with one lookup store one name, so the loser's insert breaks
    a key over ``name`` and Django re-reads the row; not ``uuid.uuid4().hex``). The keys: its primary key, a field with ``unique=True``, a ``OneToOneField``,
    ``primary_key=True``, ``unique_together`` or a ``UniqueConstraint`` of its ``Meta``, the key of a library base
    (Django's ``AbstractUser``), and those of its base classes of the code base (an abstract ``BaseModel``), read
    the same way. A key the code does not spell as field names (a ``UniqueConstraint`` over expressions), or
    bases nested deeper than the reading goes, count as within: not known to be absent."""
    given = next((k.value for k in call.keywords if k.arg == "defaults"), None)
    overridden = set() if given is None else {string_value(k) for k in given.keys} if isinstance(given, ast.Dict) else None
    fixed = {c.split("__")[0].removesuffix("_id") for c in lookup} | ({"id"} if "pk" in lookup else set()) | (
        _defaults_of_lookup(call))
    keys: list[set[str]] = [{"id"}]
    if not _declared_keys(module, model, project, overridden, fixed, keys):
        return True
    return any({column.removesuffix("_id") for column in key} <= fixed or "?" in key for key in keys)


def _defaults_of_lookup(call: ast.Call) -> set[str]:
    """The columns a ``get_or_create``'s ``defaults`` fill with a value made of its lookup values only, bare or
    through a conversion (``str(estimation)``, ``slugify(name)``, ``name.lower()``)."""
    given = keyword(call, "defaults")
    looked = {n.id for k in call.keywords if k.arg not in ("defaults", "create_defaults")
              for n in ast.walk(k.value) if isinstance(n, ast.Name)}
    derived: set[str] = set()
    for key, value in zip(given.keys, given.values) if isinstance(given, ast.Dict) else ():
        called = {c.func.id for c in ast.walk(value) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - called
        if string_value(key) and names and names <= looked and called <= VALUE_CONVERSIONS:
            derived.add(string_value(key).removesuffix("_id"))
    return derived


def _declared_keys(module: SourceModule, model: ast.ClassDef, project: Project, overridden: set[str] | None,
                   fixed: set[str], keys: list[set[str]], depth: int = 0) -> bool:
    """Adds to ``keys`` the unique keys ``model`` and its bases of the code base declare, and to ``fixed`` their
    columns with a constant default that ``overridden`` leaves alone; False when the bases nest too deep to read."""
    if depth > 5:
        return False
    keys += [set(fields) for base, fields in db.LIBRARY_KEYED_BASES.items()
             if any((dotted(b) or "").endswith(base) for b in model.bases)]
    for base in model.bases:
        found = _base_class(module, project, base)
        if found is not None and found[1] is not model and not _declared_keys(
                *found, project, overridden, fixed, keys, depth + 1):
            return False
    for statement in model.body:
        value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
        words = {k.arg: k.value for k in value.keywords} if isinstance(value, ast.Call) else {}
        names = [t.id for t in (statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)])
                 if isinstance(t, ast.Name)]
        if ((dotted(value.func) or "") if isinstance(value, ast.Call) else "").endswith("OneToOneField") or any(
                isinstance(words.get(flag), ast.Constant) and words[flag].value is True for flag in ("unique", "primary_key")):
            keys += [{name} for name in names]
        default = words.get("default")
        if _constant(default) and not is_none(default) and overridden is not None:
            fixed |= {name for name in names if name not in overridden}
    meta = next((c for c in model.body if isinstance(c, ast.ClassDef) and c.name == "Meta"), None)
    for node in ast.walk(meta) if meta is not None else ():
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "unique_together" for t in node.targets):
            pairs = node.value.elts if isinstance(node.value, (ast.Tuple, ast.List)) else []
            groups = [p for p in pairs if isinstance(p, (ast.Tuple, ast.List))] or [node.value]
            keys += [{string_value(e) or "?" for e in getattr(g, "elts", [None])} for g in groups]
        elif isinstance(node, ast.Call) and (dotted(node.func) or "").endswith("UniqueConstraint"):
            fields = next((k.value for k in node.keywords if k.arg == "fields"), None)
            keys.append({string_value(e) or "?" for e in getattr(fields, "elts", [None])})
    return True


def _base_class(module: SourceModule, project: Project, base: ast.expr) -> tuple[SourceModule, ast.ClassDef] | None:
    """The class of the code base a base class names, also one a star import brings in (``from .abstracts
    import *``, whose ``AbstractGroup`` derives from an abstract model of another package)."""
    found = db.project_class(module, project, base)
    if found is not None or not isinstance(base, ast.Name):
        return found
    sources = [project.by_dotted_name.get(module.imported_from(node)) for node in module.tree.body
               if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names)]
    return next((found for source in sources if source is not None
                 and (found := db.project_class(source, project, base)) is not None), None)


def _run_query(fn: ast.AST, read: db.DbOp) -> db.DbOp:
    """A query built into a name and run later (``query = session.query(Config)``, then ``config =
    query.filter_by(key=key).scalar()``): the read is where it runs, whose answer the code tests."""
    statement = next((s for s in walk_nodes(fn) if isinstance(s, ast.Assign) and s.value is read.call), None)
    if not read.lazy or statement is None or len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
        return read
    name = statement.targets[0].id
    run = next((n for n in walk_nodes(fn) if isinstance(n, ast.Call) and n.lineno > read.call.lineno
                and method_name(n) in FETCH_METHODS and isinstance(n.func, ast.Attribute)
                and _chain_root(n.func.value) == name), None)
    return read if run is None else replace(read, call=run, lazy=False)


def _chain_root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _race_points(module: SourceModule, fn: ast.AST, acts: list[Act]) -> list[Act]:
    """The acts to report: the first write of a table decided on a read is where the race is; the later
    updates of that table on the same run (a second ``save()`` of the new row, a task enqueued to fill
    it in) follow from it and are not races of their own, nor is the write of that table in another branch
    of the same check (``if exists: create(name=f"{name} !")`` / ``else: create(name=name)``): one race. A
    later insert on the same run is; but not a second ``save()`` of the instance just inserted
    (``photo.save()``, then ``photo.main_file = file; photo.save()``): the same new row."""
    kept: list[Act] = []
    for read, write, origin in sorted(acts, key=lambda act: act[1].call.lineno):
        follows = [earlier for earlier_read, earlier, _ in kept if earlier_read is read and earlier.tables & write.tables]
        if any(db.never_both(module, fn, earlier.call, write.call) for earlier in follows):
            continue  # the other branch of the same check: one race
        saved_again = any(earlier.receiver and earlier.receiver == write.receiver and not (earlier.through or write.through)
                          for earlier in follows)
        if not follows or write.kind == db.INSERT and not saved_again:
            kept.append((read, write, origin))
    return kept


def _validator_findings(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[Finding]:
    """A form or serializer validator (``clean_name``, ``clean``, ``validate_slug``, ``validate``) that
    refuses a value when its lookup finds a row (``if Tag.objects.filter(name=name).exists(): raise
    ValidationError``) or a count reaches a limit, of a model the same class then stores: its
    ``Meta.model`` (a ``ModelForm``'s or ``ModelSerializer``'s ``save()``), or a model its own
    ``save``/``create``/``update`` writes. Validation and save are two steps of one request: two
    concurrent submissions both pass the check."""
    cls = _class_of(module, fn)
    if cls is None or module.parents.get(fn) is not cls or not VALIDATOR.match(fn.name) or not _form_class(
            project, cls) or not _named_elsewhere(project, cls):
        return
    stored = _stored_models(module, project, cls)
    ops = db.expanded_ops(module, project, fn)
    for read in _refusing_reads(module, project, fn):
        table = next((model for model in stored if any(db.same_table(t, model) for t in read.tables)), None)
        if table is None:
            continue
        write = db.DbOp(read.call, db.INSERT, frozenset({table}), read.api, "save")
        if _isolation(project, read.api) == "SERIALIZABLE" or _serialized(module, fn, read.call, ops) or (
                _request_retried_on_conflict(project, fn, write)) or (
                _base_view_answers_conflict(module, project, fn) and _inserts_unique(project, write)):
            return
        if _refused_by_unique_key(project, read, _as_declared(module, project, write)):
            return  # a friendlier message in front of the unique key, which decides atomically
        message = (f"check-then-act on {table}: {cls.name}.{fn.name}() refuses the value on what this read of it "
                   f"({read.describe()}) finds, then the {cls.name}'s save stores {table}; validation and "
                   f"save are two steps, so concurrent requests can both pass the check"
                   f"{_consequence(write, table, False)}")
        yield _finding(module, read.call, message, FIX, Confidence.medium)
        return


def _refusing_reads(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[db.DbOp]:
    """The reads of ``fn`` whose answer leads to a ``raise`` when they find rows (see
    :func:`_refuses_when_found`), the read in the ``if`` test first."""
    reads = [op for op in db.expanded_ops(module, project, fn) if op.is_read and op.tables and not op.locking]
    for node in walk_nodes(fn):
        if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], ast.Raise):
            in_test = [r for r in reads if any(n is r.call for n in ast.walk(node.test))]
            yield from (r for r in [*in_test, *reads] if _refuses_when_found(module, fn, node.test, r))


def _form_validations(module: SourceModule, project: Project, fn: ast.AST) -> list[db.DbOp]:
    """``form.is_valid()``, ``form.validate_on_submit()`` of a form or serializer of the code base whose
    validators refuse a value on what a lookup of a table finds, a table the form does not store itself
    (those are reported at the validator): a read of that table, which passes when nothing was found
    (``if form.is_valid(): Space.objects.create(...)``)."""
    validations: list[db.DbOp] = []
    for node, forms in _validated_forms(module, project, fn):
        tables: set[str] = set()
        refusing: list[tuple[ast.ClassDef, db.DbOp]] = []
        for form_module, form in forms:
            stored = _stored_models(form_module, project, form)
            reads = [read for validator in form.body if isinstance(validator, ast.FunctionDef) and VALIDATOR.match(
                validator.name) for read in _refusing_reads(form_module, project, validator)]
            refusing += [(form, read) for read in reads]
            tables |= {t for read in reads for t in read.tables if not any(db.same_table(t, model) for model in stored)}
        if tables:
            form, read = refusing[0]  # named after the form whose validator refuses
            validations.append(db.DbOp(node, db.READ, frozenset(tables), read.api, method_name(node),
                                       through=f"{form.name}.{method_name(node)}"))
    return validations


def _validated_forms(module: SourceModule, project: Project, fn: ast.AST
                     ) -> Iterator[tuple[ast.Call, list[tuple[SourceModule, ast.ClassDef]]]]:
    """Each ``form.validate()`` / ``is_valid()`` / ``validate_on_submit()`` call of ``fn`` on a form or
    serializer of the code base, with the classes ``form`` may hold: the one built there (``form =
    MemberForm(project)``), or each one a helper of the code base returns (``form = get_project_form()``
    returning ``ProjectFormWithCaptcha()`` or ``ProjectForm()``)."""
    for node in walk_nodes(fn):
        if not (isinstance(node, ast.Call) and method_name(node) in VALIDATION_CALLS and isinstance(
                node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)):
            continue
        bound = db.single_binding(fn, node.func.value.id) or db.reaching_binding(module, fn, node.func.value)
        forms = [form for form in _classes_built(module, project, bound) if _form_class(project, form[1])]
        if forms:
            yield node, forms


def _classes_built(module: SourceModule, project: Project, value: ast.AST | None
                   ) -> list[tuple[SourceModule, ast.ClassDef]]:
    """The classes of the code base whose instance ``value`` is: ``Form(...)``, or what every ``return`` of a
    helper it calls builds (``return ProjectForm()``)."""
    if not isinstance(value, ast.Call):
        return []
    built = db.project_class(module, project, value.func)
    if built is not None:
        return [built]
    helper = db.resolve_function(module, project, value)
    if helper is None:
        return []
    returned = [db.project_class(helper[0], project, r.value.func) for r in walk_function_body(helper[1])
                if isinstance(r, ast.Return) and isinstance(r.value, ast.Call)]
    return returned if returned and None not in returned else []


def _form_saved_inserts(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> list[db.DbOp]:
    """``db.session.add(project)`` of the instance a validated form's ``save`` hands back (``project =
    form.save()``, ``member = form.save(project, Person())``): an insert of the model that ``save`` builds
    (``return Project(...)``) or is handed (``person.name = ...; return person``)."""
    forms = {node.func.value.id: classes for node, classes in _validated_forms(module, project, fn)}
    inserts: list[db.DbOp] = []
    for op in ops:
        added = op.call.args[0] if op.method == "add" and not op.tables and op.call.args else None
        saved = db.single_binding(fn, added.id) if isinstance(added, ast.Name) else None
        if not (isinstance(saved, ast.Call) and method_name(saved) == "save" and isinstance(saved.func, ast.Attribute)
                and isinstance(saved.func.value, ast.Name) and saved.func.value.id in forms):
            continue
        models = {model for form_module, form in forms[saved.func.value.id]
                  for model in _models_saved_by(module, project, form_module, form, saved)}
        if len(models) == 1:
            inserts.append(replace(op, kind=db.INSERT, tables=frozenset(models)))
    return inserts


def _models_saved_by(module: SourceModule, project: Project, form_module: SourceModule, form: ast.ClassDef,
                     call: ast.Call) -> set[str]:
    """The models of the instances a form's ``save`` returns, called as ``call`` in ``module``."""
    found = method_in_hierarchy(project, form_module, form, "save")
    if found is None:
        return set()
    save_module, save = found
    handed = dict(passed_arguments(save, call))
    models: set[str | None] = set()
    for node in walk_function_body(save):
        if not (isinstance(node, ast.Return) and node.value is not None):
            continue
        value, owner = node.value, save_module
        if isinstance(value, ast.Name) and value.id in handed:
            value, owner = handed[value.id], module
        elif isinstance(value, ast.Name):
            value = db.single_binding(save, value.id)
        models.add(db.constructed_model(value, owner) if isinstance(value, ast.Call) else None)
    return models if None not in models else set()


def _named_elsewhere(project: Project, cls: ast.ClassDef) -> bool:
    """Whether the service code names the class (a view builds it, a subclass extends it): a form
    nothing uses validates nothing."""
    return bool(_class_name_uses(project).get(cls.name))


def _form_class(project: Project, cls: ast.ClassDef) -> bool:
    """A form or serializer: a class whose own or inherited base is named ``...Form`` or ``...Serializer``."""
    bases = db.class_bases(project)
    seen, pending = set(), [(dotted(b) or "").split(".")[-1] for b in cls.bases]
    while pending:
        name = pending.pop()
        if FORM_BASE.search(name):
            return True
        if name not in seen:
            seen.add(name)
            pending.extend(bases.get(name, ()))
    return False


def _view_hook_on_serializer(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A DRF view hook (``perform_create``) defined on a serializer or form: DRF calls it on the view
    (whose own ``perform_create`` calls ``serializer.save()``, which runs ``create()``), never on the
    serializer, so it runs only if the code base calls it on one; every ``self.perform_create(...)``
    outside serializers and forms is a view's own."""
    cls = module.parents.get(fn)
    if not (getattr(fn, "name", "") in DRF_VIEW_HOOKS and isinstance(cls, ast.ClassDef) and _form_class(project, cls)):
        return False
    for user, node, _ in function_uses(module, project, fn):
        caller = enclosing_function(user, node)
        caller_class = user.parents.get(caller) if caller is not None else None
        on_itself = isinstance(node, ast.Attribute) and (dotted(node.value) == "self" or (
            isinstance(node.value, ast.Call) and method_name(node.value) == "super"))
        if not (on_itself and isinstance(caller_class, ast.ClassDef) and not _form_class(project, caller_class)):
            return False
    return True


def _stored_models(module: SourceModule, project: Project, cls: ast.ClassDef) -> set[str]:
    """The models a form or serializer stores: the ``Meta.model`` of the class or of a subclass that
    inherits its validators, and the tables its ``save``/``create``/``update`` insert or update."""
    meta_models = _meta_models(project)
    bases = db.class_bases(project)
    family, pending = set(), [cls.name]
    while pending:
        name = pending.pop()
        if name not in family:
            family.add(name)
            pending.extend(sub for sub, parents in bases.items() if name in parents)
    stored = {model for name in family for model in meta_models.get(name, ())}
    for method in cls.body:
        if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.name in SAVING_METHODS:
            stored |= {t for op in db.expanded_ops(module, project, method) if op.kind in (db.INSERT, db.UPDATE)
                       and not op.upsert for t in op.tables}
    return stored


def _meta_models(project: Project) -> dict[str, set[str]]:
    """Class name -> the ``model`` its inner ``class Meta`` names (``model = Tag``)."""
    if "r2.meta_models" in project.facts:
        return project.facts["r2.meta_models"]
    models: dict[str, set[str]] = {}
    for module in project.modules:
        if "class Meta" not in module.text:
            continue
        for cls in module.nodes_of(ast.ClassDef):
            for meta in cls.body:
                if isinstance(meta, ast.ClassDef) and meta.name == "Meta":
                    models.setdefault(cls.name, set()).update(
                        (dotted(s.value) or "").split(".")[-1] for s in meta.body if isinstance(s, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "model" for t in s.targets) and dotted(s.value))
    project.facts["r2.meta_models"] = models
    return models


def _refuses_when_found(module: SourceModule, fn: ast.AST, test: ast.AST, read: db.DbOp) -> bool:
    """Whether an ``if`` test that leads to a ``raise`` holds on what ``read`` found: ``qs.exists()``,
    ``taken``, ``query.count()``, ``count >= limit``; not ``not qs.exists()`` or ``row is None`` (a
    check that a referenced row exists)."""
    names = _result_names(module, fn, read)
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    using = [part for part in parts if any(node is read.call or isinstance(node, ast.Name) and node.id in names
                                           for node in ast.walk(part))]
    return bool(using) and not any(_tests_missing(part) for part in using)


def _tests_missing(test: ast.AST) -> bool:
    """``not x``, ``x is None``, ``x == 0``: true when nothing was found."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and (
        isinstance(test.ops[0], ast.Is) and is_none(test.comparators[0])
        or isinstance(test.ops[0], ast.Eq) and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == 0)


def _isolation(project: Project, api: str | None) -> str | None:
    """``REPEATABLE READ`` or ``SERIALIZABLE`` when every ``isolation_level`` the code base sets for the
    database API ``api`` uses is at least that (SQLAlchemy's ``create_engine(url, isolation_level="REPEATABLE
    READ")``, Django's ``OPTIONS`` entry): the database then refuses the second of two concurrent updates
    of one row (a serialization failure, not a lost update), and at SERIALIZABLE also the second of two
    inserts decided on the same read. A raw connection keeps the server's default."""
    if "r2.isolation" not in project.facts:
        levels: dict[str, set[str]] = {}
        for module in project.modules:
            if "isolation_level" not in module.text or db.skipped_module(module):
                continue
            for node in walk_nodes(module.tree):
                if isinstance(node, ast.Call):
                    levels.setdefault("sqlalchemy", set()).update(
                        (string_value(k.value) or "").upper() for k in node.keywords if k.arg == "isolation_level")
                elif isinstance(node, ast.Dict):
                    levels.setdefault("django", set()).update((string_value(v) or "").upper() for k, v in zip(
                        node.keys, node.values) if string_value(k) == "isolation_level")
        project.facts["r2.isolation"] = {  # "REPEATABLE READ" sorts before "SERIALIZABLE"
            name: min(found) for name, found in levels.items() if found and found <= {"REPEATABLE READ", "SERIALIZABLE"}}
    return project.facts["r2.isolation"].get(api)


def _serialized(module: SourceModule, fn: ast.AST, node: ast.AST, ops: list[db.DbOp]) -> bool:
    """Whether a lock taken before ``node`` makes concurrent runs of its check wait for each other: an
    advisory lock (``func.pg_advisory_xact_lock(...)``, ``SELECT pg_advisory_lock(...)``, a helper named
    for one), a ``with``/``async with`` block of a lock around it, a locking read of another row
    (``select_for_update()`` of the parent) earlier in the function, or the SERIALIZABLE isolation level
    set there for the transaction (``connection(execution_options={"isolation_level": "SERIALIZABLE"})``),
    which aborts one of two transactions that write on the same read."""
    if _in_lock_block(module, node):
        return True
    return any(_locks_row(op) and op.call.lineno < node.lineno for op in ops) or any(
        getattr(other, "lineno", node.lineno) < node.lineno and (
            isinstance(other, ast.Call) and ADVISORY_LOCK.search(dotted(other.func) or "")
            or ADVISORY_LOCK.search(string_value(other) or "") or SERIALIZABLE.search(string_value(other) or ""))
        for other in walk_nodes(fn))


def _in_lock_block(module: SourceModule, node: ast.AST) -> bool:
    """``node`` runs in a ``with``/``async with`` block of a lock (``async with self._locks[guild_id]:``)."""
    return any(isinstance(parent, (ast.With, ast.AsyncWith)) and any(
        _names_lock(item.context_expr) for item in parent.items) for parent in ancestors(module, node))


def _locked_by_every_caller(module: SourceModule, project: Project, fn: ast.AST, depth: int = 0) -> bool:
    """Whether every call of ``fn`` in the code base runs under a lock its caller took before it (a
    ``select_for_update()`` of the parent row, :func:`_serialized`), also through up to three callers
    (``with atomic(): basket = Basket.objects.select_for_update()...; finish(basket)``, where ``finish``
    calls ``fn``): concurrent runs of its check wait for each other. A ``select_for_update()`` in the ``with``
    block of the call (a transaction wrapper of the code base) counts: Django refuses it outside a transaction.
    In a chat bot, one process, a lock of the process (``async with self._locks[guild_id]:`` of an
    ``asyncio.Lock``) around the call counts too. A call of ``fn`` by itself runs under its first call's lock."""
    if depth > 2:
        return False
    locked = False
    for user, node, called in function_uses(module, project, fn):
        call = user.parents.get(node)
        caller = enclosing_function(user, call) if called and isinstance(call, ast.Call) else None
        if caller is None:
            return False
        if caller is fn:
            continue
        locked = True
        ops = db.expanded_ops(user, project, caller)
        block = _with_block(user, call)
        if not (db.in_transaction(user, call, caller) and _serialized(user, caller, call, ops) or block is not None and any(
                _locks_row(op) and op.call.lineno < call.lineno and _with_block(user, op.call) is block for op in ops)
                or _chat_bot(user) and _in_lock_block(user, call)
                or _locked_by_every_caller(user, project, caller, depth + 1)):
            return False
    return locked


def _rechecked_under_lock(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp], write: db.DbOp) -> bool:
    """A locking read in the ``with`` block of the write decides it too (``with immediate_atomic(): if not
    phone_home_is_due(): return`` before the insert, the earlier unlocked check only answering sooner)."""
    block = _with_block(module, write.call)
    locked = [op for op in ops if op.locking and op.is_read and block is not None and _with_block(module, op.call) is block]
    return bool(locked) and _deciding_read(module, project, fn, locked, write) is not None


def _with_block(module: SourceModule, node: ast.AST) -> ast.AST | None:
    """The innermost ``with``/``async with`` statement around ``node`` in its function."""
    for parent in ancestors(module, node):
        if isinstance(parent, FUNCTION_TYPES):
            return None
        if isinstance(parent, (ast.With, ast.AsyncWith)):
            return parent
    return None


def _another_kind_of_row(fn: ast.AST, read: db.DbOp, write: db.DbOp) -> bool:
    """The read looks for one value of a column and the insert stores another (``filter_by(kind="comment")``
    then ``Notification(kind="mention")``): the row checked is not the row made, so two runs store no
    duplicate of what was checked; the read is a business rule. A constant set on the instance before it is
    added (``row = User(username="placeholder"); row.username = "deleted"``) is the one stored."""
    if write.kind != db.INSERT:
        return False
    checked = _constant_columns([read.call])
    instances = {a.id for a in write.call.args if isinstance(a, ast.Name)}
    built = [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign) and isinstance(
        node.value, ast.Call) and any(isinstance(t, ast.Name) and t.id in instances for t in node.targets)]
    stored = _constant_columns([write.call, *built], shallow=True)
    stored.update((target.attr, node.value.value) for node in walk_function_body(fn) if isinstance(node, ast.Assign)
                  and isinstance(node.value, ast.Constant) for target in node.targets if isinstance(
                      target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in instances)
    return any(column in stored and stored[column] != value for column, value in checked.items())


def _keyed_apart(module: SourceModule, project: Project, fn: ast.AST, read: db.DbOp, write: db.DbOp) -> bool:
    """A lookup and an insert made through helpers of the code base that fill a column the lookup filters on
    from different values the caller hands them (``find_thread(token)`` filters ``token=_digest(token)``,
    ``remember_thread(sent_id, owner)`` stores ``token=_digest(sent_id)``, ``sent_id`` not computed from
    ``token``): the insert stores another key than the one checked, so no two requests insert the checked one."""
    if not (read.through and write.through):
        return False
    read_columns, write_columns = _helper_columns(module, project, read.call), _helper_columns(module, project, write.call)
    statements = [s for s in walk_function_body(fn) if isinstance(s, ast.stmt)]
    for column in set(read_columns) & set(write_columns):
        checked = set().union(*(_derived_after(statements, n, read.call.lineno) for n in read_columns[column]))
        if read_columns[column] and write_columns[column] and not write_columns[column] & checked:
            return True
    return False


def _helper_columns(module: SourceModule, project: Project, call: ast.Call) -> dict[str, set[str]]:
    """Column -> the names of the caller's arguments it is computed from, for the Django filter or insert keywords of
    the helper ``call`` runs (also a dict of them unpacked, ``create(**fields)``)."""
    resolved = db.resolve_function(module, project, call)
    if resolved is None or not isinstance(resolved[1], FUNCTION_TYPES):
        return {}
    helper = resolved[1]
    parameters = [a.arg for a in helper.args.args if a.arg not in ("self", "cls")]
    given: dict[str, set[str]] = {}
    for parameter, argument in [*zip(parameters, call.args), *((k.arg, k.value) for k in call.keywords if k.arg)]:
        given[parameter] = {n.id for n in ast.walk(argument) if isinstance(n, ast.Name)}
    sources = {p: {p} for p in given}
    dicts: dict[str, ast.Dict] = {}
    for statement in sorted((n for n in walk_function_body(helper) if isinstance(n, (ast.Assign, ast.AnnAssign))
                             and n.value is not None), key=lambda n: n.lineno):
        found = set().union(*(sources.get(n.id, set()) for n in ast.walk(statement.value) if isinstance(n, ast.Name)))
        for target in statement.targets if isinstance(statement, ast.Assign) else [statement.target]:
            for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                sources[name] = found
                if isinstance(statement.value, ast.Dict):
                    dicts[name] = statement.value
    columns: dict[str, set[str]] = {}
    for node in walk_function_body(helper):
        if not (isinstance(node, ast.Call) and method_name(node) in ("get", "filter", "exists", "first", "create")):
            continue
        pairs = [(k.arg, k.value) for k in node.keywords if k.arg]
        for k in node.keywords:
            if k.arg is None and isinstance(k.value, ast.Name) and k.value.id in dicts:
                pairs += [(key.value, value) for key, value in zip(dicts[k.value.id].keys, dicts[k.value.id].values)
                          if isinstance(key, ast.Constant) and isinstance(key.value, str)]
        for column, value in pairs:
            origins = set().union(*(sources.get(n.id, set()) for n in ast.walk(value) if isinstance(n, ast.Name)))
            columns.setdefault(column, set()).update(*(given[p] for p in origins if p in given))
    return columns


def _requires_created(test: ast.expr) -> bool:
    """``if created:`` or ``if created and ...:``; not ``if not created:`` nor ``if created or ...:``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_requires_created(value) for value in test.values)
    return isinstance(test, ast.Name) and test.id == "created"


def _once_per_created_row(module: SourceModule, project: Project, fn: ast.AST, read: db.DbOp) -> bool:
    """A Django ``post_save`` receiver (``@receiver(post_save, sender=Profile)``) whose check runs only when the
    row was just created (under ``if created``) and looks up rows by that row's one-to-one partner alone
    (``Token.objects.get(user=instance.user)``, ``Profile.user`` a ``OneToOneField``): the sender's row is
    created once, so no two runs check the same partner."""
    args = [a.arg for a in getattr(fn, "args", ast.arguments()).args]
    if "created" not in args or "instance" not in args or not any(
            isinstance(node, ast.If) and _requires_created(node.test)
            and any(_within_node(module, read.call, s) for s in node.body) for node in walk_function_body(fn)):
        return False
    sender = next((k.value for d in getattr(fn, "decorator_list", ()) if isinstance(d, ast.Call) and (
        dotted(d.func) or "").split(".")[-1] == "receiver" and d.args and (dotted(d.args[0]) or "").endswith("post_save")
                   for k in d.keywords if k.arg == "sender"), None)
    found = db.project_class(module, project, sender) if sender is not None else None
    if found is None:
        return False
    one_to_one = {t.id for s in found[1].body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call) and (
        (dotted(s.value.func) or "").split(".")[-1] == "OneToOneField" or any(
            k.arg == "unique" and isinstance(k.value, ast.Constant) and k.value.value is True for k in s.value.keywords))
                  for t in s.targets if isinstance(t, ast.Name)}
    values = [k.value for n in ast.walk(read.call) if isinstance(n, ast.Call) for k in n.keywords if k.arg]
    return bool(values) and all(isinstance(v, ast.Name) and v.id == "instance" or isinstance(v, ast.Attribute) and isinstance(
        v.value, ast.Name) and v.value.id == "instance" and v.attr in one_to_one for v in values)


def _constant_columns(calls: list[ast.AST], shallow: bool = False) -> dict[str, object]:
    """The columns set or compared to a constant in ``calls``: ``filter_by(kind="x")``, ``Model.kind == "x"``,
    ``Model(kind="x")``; with ``shallow``, only the keywords of the calls themselves."""
    nodes = calls if shallow else [n for call in calls for n in ast.walk(call)]
    found: dict[str, object] = {}
    for node in nodes:
        if isinstance(node, ast.Call):
            found.update((k.arg, k.value.value) for k in node.keywords if k.arg and isinstance(k.value, ast.Constant))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq) and isinstance(
                node.left, ast.Attribute) and isinstance(node.comparators[0], ast.Constant):
            found[node.left.attr] = node.comparators[0].value
    return found


def _locks_row(op: db.DbOp) -> bool:
    """A read that locks its rows: ``select_for_update()`` here, a helper asked to
    (``read_team(session, team_id, for_update=True)``), not one that merely can, or a helper named for the
    lock it always takes (``rows_select_for_update().filter(pk=pk).first()``, ``merchants_locked()``)."""
    return op.locking and (not op.through or LOCKING_HELPER.search(op.through.split(".")[-1]) is not None or any(
        k.arg and re.search(r"lock|for_update", k.arg) and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in op.call.keywords))


def _names_lock(expression: ast.AST) -> bool:
    """Whether a ``with`` item names a lock: ``lock``, ``self._lock``, ``advisory_lock_ctx(...)``,
    ``name_locks.setdefault(key, Lock())``."""
    expression = expression.func if isinstance(expression, ast.Call) else expression
    return any(LOCK_NAME.search(part) for part in (dotted(expression) or "").split("."))


def _helper_checks_under_lock(project: Project, helper_module: SourceModule, insert: db.DbOp) -> bool:
    """The helper that inserts reads the table again under a lock before it (``async with lock:``,
    ``if await get_by_name(...) is not None: raise`` ... ``session.add(model)``): its own check is the
    guard, and the caller's earlier read only answers sooner."""
    helper = db.function_of(helper_module, insert.call)
    ops = db.expanded_ops(helper_module, project, helper)
    return any(op.is_read and op.tables & insert.tables and op.call.lineno < insert.call.lineno
               and _serialized(helper_module, helper, op.call, ops) for op in ops)


def _helper_decides_itself(project: Project, helper_module: SourceModule, write: db.DbOp) -> bool:
    """The helper that writes decides on its own read of the table first (``create_user()`` looking
    the user up and inserting only when it finds none, ``get_or_create_account()``): the race is the
    helper's, reported there; the caller's earlier read only answers sooner."""
    helper = db.function_of(helper_module, write.call)
    reads = [op for op in db.expanded_ops(helper_module, project, helper) if op.is_read and op.tables
             and not op.locking and op.call.lineno < write.call.lineno]
    return bool(reads) and _deciding_read(helper_module, project, helper, reads, write) is not None


def _instances_handed_back(module: SourceModule, project: Project, fn: ast.AST, reads: list[db.DbOp],
                           ops: list[db.DbOp]) -> list[db.DbOp]:
    """A SQLAlchemy get-or-create that leaves the insert to the session: ``note =
    cls.query.filter_by(object=obj).first()``, ``if note is None: note = cls(object=obj)``, ``return
    note`` (or ``return folder or Folder(object=obj)``). The new instance is handed back to the caller
    and, given a related object, joins that object's session through the relationship's cascade:
    the request's commit inserts it. Taken as an insert of the model read, at its construction; an
    instance built only of constants and plain values (a transient default: ``kind=kind`` of ``kind: str``)
    is not, nor a response type of the same
    name (``return Trace(id=row.id, db_record=row)`` of a GraphQL resolver)."""
    written = {n.id for op in ops if op.is_write for n in ast.walk(op.call) if isinstance(n, ast.Name)}
    handed_back: list[db.DbOp] = []
    for node in walk_nodes(fn):
        if not isinstance(node, ast.Call) or not any(
                k.arg and _names_an_object(k.value) and not _scalar_parameter(fn, k.value) for k in node.keywords):
            continue
        model = db.constructed_model(node, module)
        read = next((r for r in reads if r.api == "sqlalchemy" and r.call.lineno < node.lineno and model and any(
            db.same_table(model, t) for t in r.tables)), None)
        if read is None or db.value_type(module, project, node.func):
            continue
        statement = _statement_of(module, node)
        if isinstance(statement, ast.Return) or isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id not in written and _returned_later(module, fn, statement, t.id)
                for t in statement.targets):
            handed_back.append(db.DbOp(node, db.INSERT, frozenset({model}), "sqlalchemy", HANDED_BACK,
                                       deferred=True, confidence=Confidence.medium))
    return handed_back


def _names_an_object(value: ast.AST) -> bool:
    """``linked_object``, ``self.event``: a variable, maybe a related row; not ``Title.none`` (a constant)."""
    root = value
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and not root.id[:1].isupper()


SCALAR_ANNOTATIONS = {"str", "int", "float", "bool", "bytes"}


def _scalar_parameter(fn: ast.AST, value: ast.AST) -> bool:
    """``template_type`` of ``def f(db, template_type: str)``: a value, no related row whose session the
    new instance could join."""
    return isinstance(value, ast.Name) and any(
        argument.arg == value.id and argument.annotation is not None
        and (dotted(argument.annotation) or "") in SCALAR_ANNOTATIONS for argument in fn.args.args + fn.args.kwonlyargs)


def _returned_later(module: SourceModule, fn: ast.AST, statement: ast.stmt, name: str) -> bool:
    """Whether ``return name`` follows ``statement`` (in its block or one around it)."""
    returns = [node for node in walk_nodes(fn) if isinstance(node, ast.Return) and isinstance(
        node.value, ast.Name) and node.value.id == name and node.lineno > statement.lineno]
    current: ast.AST = statement
    while returns and current is not fn:
        if any(_follows(module, current, node) for node in returns):
            return True
        current = module.parents.get(current)
        if isinstance(current, ast.ExceptHandler) or current is None:
            return False
    return False


DJANGO_USER = "django.contrib.auth.models.User"
LIBRARY_MODEL_KEYS = {  # a library's model used as is: its unique fields
    "django.contrib.auth.models.Group": {"name"},
    "rest_framework.authtoken.models.Token": {"key", "user"},  # DRF's token: one per user (a OneToOneField)
    DJANGO_USER: {"username"},
}


def _as_declared(module: SourceModule, project: Project, write: db.DbOp) -> db.DbOp:
    """``write`` naming the model classes it writes as they are declared: ``RunModel`` of ``from
    .models import Run as RunModel`` is ``Run``, whose ``unique=True`` columns then count; Django's
    ``Group`` keeps its qualified name (its ``name`` is unique), as does ``User = get_user_model()`` when
    the code base sets no ``AUTH_USER_MODEL`` (Django's ``User``, whose ``username`` is unique)."""
    if write.through:
        return write
    imported_as = {t: module.imports.get(t, t) if "." not in t else t for t in write.tables}
    imported_as.update({t: DJANGO_USER for t in write.tables if _default_user_model(module, project, t)})
    declared = frozenset(q if q in LIBRARY_MODEL_KEYS else q.split(".")[-1] for q in imported_as.values())
    return write if declared == write.tables else replace(write, tables=declared)


def _default_user_model(module: SourceModule, project: Project, name: str) -> bool:
    """``name = get_user_model()`` at the module's top level, in a code base that keeps Django's own user model."""
    return any(isinstance(s, ast.Assign) and isinstance(s.value, ast.Call) and method_name(s.value) == "get_user_model"
               and any(isinstance(t, ast.Name) and t.id == name for t in s.targets) for s in module.tree.body) and not any(
        "AUTH_USER_MODEL" in m.text and re.search(r"^\s*AUTH_USER_MODEL\s*=", m.text, re.M) for m in project.modules)


def _refused_by_unique_key(project: Project, read: db.DbOp, write: db.DbOp) -> bool:
    """Whether the model written declares a unique key that the check's columns fall under, so the
    database refuses the loser of the race (also its primary key, read by ``id``/``pk`` and given to the
    insert): a model
    unique only through single fields counts when
    the read filters on one of them (``filter(email=...)``, ``User.email == ...`` for ``email =
    ...(unique=True)``) or its filter is not known (a helper's, ``filter(**lookup)``)."""
    if write.api == "sql":
        return False
    filtered = _filtered_columns(read.call) if not read.through else set()
    if filtered & {"id", "pk"} and any(isinstance(n, ast.Call) and any(k.arg in ("id", "pk") for k in n.keywords)
                                       for n in ast.walk(write.call)):
        return True  # the row's primary key (``filter(id=chat_id).exists()``, then ``Chat(id=chat_id).save()``)
    unpacked = any(k.arg is None for n in ast.walk(read.call) if isinstance(n, ast.Call) for k in n.keywords)
    mentioned = filtered | {n.attr for n in ast.walk(read.call) if isinstance(n, ast.Attribute) and isinstance(
        n.value, ast.Name) and n.value.id[:1].isupper()} if not (read.through or unpacked) else set()  # ``~User.is_deleted``
    mentioned_bases = {c.removesuffix("_id") for c in mentioned}
    # a column chosen at run time (``getattr(Model, field) == entity``) may be any of the index's
    dynamic = not read.through and any(isinstance(n, ast.Compare) and isinstance(n.left, ast.Name) for n in ast.walk(read.call))
    if any(not mentioned or (any if dynamic else all)(c.removesuffix("_id") in mentioned_bases for c in columns)
           for t in write.tables for columns in _unique_indexes(project).get(t, ())):
        return True  # the check filters on every column of a unique index (``board`` as ``board_id`` too)
    if not _inserts_unique(project, write):
        return False
    unique_fields = set().union(*(project.facts.get("r2.single_unique", {}).get(t, LIBRARY_MODEL_KEYS.get(t, set()))
                                  for t in write.tables))
    return not (unique_fields and filtered) or bool(unique_fields & filtered)


def _keyed_on_checked_columns(project: Project, read: db.DbOp, write: db.DbOp) -> bool:
    """The model written declares a unique key over the columns the read filters on, as the read spells
    them (not through a helper): the loser of the race fails with ``IntegrityError``."""
    return not read.through and bool(_filtered_columns(read.call)) and _inserts_unique(project, write) and (
        _refused_by_unique_key(project, read, write))


def _unique_indexes(project: Project) -> dict[str, list[set[str]]]:
    """Model name -> the columns of each unique index in its table arguments (``db.Index("ix_uq_name",
    db.func.lower(cls.name), unique=True)``: ``{"name"}``; a column ``event_id`` also as ``event``), and
    each unique column with a constant default (``name = mapped_column(Unicode(255), default='',
    unique=True)``, also a primary key: a default of one value numbers nothing, the key is still the client's)."""
    if "r2.unique_indexes" not in project.facts:
        indexes: dict[str, list[set[str]]] = {}
        for module in project.modules:
            if not any(word in module.text for word in ("Index", "unique", "primary_key", "indexes")):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                indexes.setdefault(cls.name, []).extend({t.id} for s in cls.body if isinstance(s, (ast.Assign, ast.AnnAssign))
                                                        and isinstance(s.value, ast.Call) and _constant_default_unique(s.value)
                                                        for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
                                                        if isinstance(t, ast.Name))
                for node in ast.walk(cls):
                    if isinstance(node, ast.Call) and (dotted(node.func) or "").split(".")[-1] == "Index" and any(
                            k.arg == "unique" and isinstance(k.value, ast.Constant) and k.value.value is True
                            for k in node.keywords):
                        columns = {n.attr if isinstance(n, ast.Attribute) else n.value for arg in node.args[1:]
                                   for n in ast.walk(arg) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                                   and (n.value.id == "cls" or n.value.id[:1].isupper())
                                   or isinstance(n, ast.Constant) and isinstance(n.value, str)}
                        indexes.setdefault(cls.name, []).append(columns | {c.removesuffix("_id") for c in columns})
                indexes.setdefault(cls.name, []).extend(_peewee_unique_indexes(cls))
        for model, columns in _migration_unique_indexes(project):
            indexes.setdefault(model, []).append(columns | {c.removesuffix("_id") for c in columns})
        project.facts["r2.unique_indexes"] = indexes
    return project.facts["r2.unique_indexes"]


def _migration_unique_indexes(project: Project) -> Iterator[tuple[str, set[str]]]:
    """(model class name, columns) of each unique index a Django migration makes and no later one drops:
    ``RunSQL('CREATE UNIQUE INDEX "ix" ON "app_feature" (lower(name), project_id) WHERE ...')`` (the forward
    SQL only, also held in a module constant; the table is ``<app label>_<model>``, the app label being the
    folder above ``migrations/``, or a model's ``Meta.db_table``), and ``AddConstraint(model_name=...,
    constraint=UniqueConstraint(...))``. Partial indexes count: they refuse the live rows the check looks at."""
    created: dict[str, tuple[str, set[str]]] = {}
    for module in _migration_modules(project):
        parts = module.path.replace("\\", "/").split("/")
        app = parts[parts.index("migrations") - 1] if parts.index("migrations") > 0 else ""
        for call in sorted(module.nodes_of(ast.Call), key=lambda c: (c.lineno, c.col_offset)):
            verb = (dotted(call.func) or "").split(".")[-1]
            words = {k.arg: k.value for k in call.keywords}
            if verb.endswith("RunSQL"):
                forward = call.args[0] if call.args else words.get("sql")
                for sql in _sql_texts(module, forward):
                    for dropped in MIGRATION_DROP_INDEX.finditer(sql):
                        created.pop(dropped.group(1).lower(), None)
                    for index in MIGRATION_UNIQUE_INDEX.finditer(sql):
                        model = _table_model(project, app, index.group(2))
                        if model:
                            created[index.group(1).lower()] = (model, _index_columns(index.group(3)))
            elif verb == "AddConstraint" and isinstance(words.get("constraint"), ast.Call) and (
                    dotted(words["constraint"].func) or "").endswith("UniqueConstraint"):
                constraint = {k.arg: k.value for k in words["constraint"].keywords}
                name, model = string_value(constraint.get("name")), string_value(words.get("model_name"))
                spelled = [*words["constraint"].args, constraint.get("fields")]
                columns = {string_value(n) for part in spelled if part is not None for n in ast.walk(part) if string_value(n)}
                found = next((c.name for m in project.modules for c in m.nodes_of(ast.ClassDef)
                              if model and c.name.lower() == model.lower()), None)
                if name and found:
                    created[name.lower()] = (found, columns)
    yield from created.values()


def _migration_modules(project: Project) -> list[SourceModule]:
    """The Django migrations that make a unique key, in order: those of the code base, and those in the
    ``migrations/`` folder beside each app module when the scan leaves that folder out (the schema they
    make still holds)."""
    found = {m.path: m for m in project.modules if "migrations" in m.path.replace("\\", "/").split("/")[:-1]}
    root = Path(project.root)
    for folder in sorted({(root / m.path).parent / "migrations" for m in project.modules if m.path.endswith("models.py")}):
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            rel = path.relative_to(root).as_posix()
            if rel not in found and "UNIQUE" in path.read_text(errors="replace").upper():
                module = parse_file(path, rel, [])
                if module is not None:
                    found[rel] = module
    return [found[path] for path in sorted(found) if "UNIQUE" in found[path].text.upper()]


def _sql_texts(module: SourceModule, node: ast.AST | None) -> list[str]:
    """The SQL of a ``RunSQL`` argument: a string, a list of them, or a module constant holding one."""
    if isinstance(node, ast.Name):
        node = db.single_binding(module.tree, node.id)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [text for element in node.elts for text in _sql_texts(module, element)]
    text = string_value(node) if node is not None else None
    return [text] if text else []


def _table_model(project: Project, app: str, table: str) -> str | None:
    """The model class of the code base whose table is ``table``: its ``Meta.db_table``, or Django's
    default ``<app label>_<model name in lower case>``."""
    table = table.strip('"`').lower()
    default = table[len(app) + 1:] if app and table.startswith(f"{app.lower()}_") else None
    for module in project.modules:
        if default is None and table not in module.text.lower():
            continue
        for cls in module.nodes_of(ast.ClassDef):
            if cls.name.lower() == default or any(
                    isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "db_table" for t in n.targets)
                    and (string_value(n.value) or "").lower() == table for n in ast.walk(cls)):
                return cls.name
    return None


def _index_columns(spelled: str) -> set[str]:
    """The columns of an index's column list: ``lower(name), project_id`` is ``{name, project_id}``."""
    return {words[-1] for part in spelled.split(",") if (words := re.findall(r"[A-Za-z_]\w*", part.replace('"', "")))}


def _peewee_unique_indexes(cls: ast.ClassDef) -> Iterator[set[str]]:
    """The columns of each unique index of a peewee model (``class Meta: indexes = ((("manifest",
    "blob"), True),)``, the ``True`` saying unique; a foreign key ``org_id`` also as ``org``)."""
    for node in ast.walk(cls):
        if not (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "indexes" for t in node.targets)
                and isinstance(node.value, (ast.Tuple, ast.List))):
            continue
        for index in node.value.elts:
            if isinstance(index, ast.Tuple) and len(index.elts) == 2 and isinstance(index.elts[0], (ast.Tuple, ast.List)) \
                    and isinstance(index.elts[1], ast.Constant) and index.elts[1].value is True:
                columns = {c.value for c in index.elts[0].elts if isinstance(c, ast.Constant) and isinstance(c.value, str)}
                yield columns | {c.removesuffix("_id") for c in columns}


def _constant_default_unique(call: ast.Call) -> bool:
    """A unique column, or a primary key the code sets (no ``AutoField``), with one constant default
    (``type = models.IntegerField(primary_key=True, default=SettingType.EMAIL)``)."""
    keywords = {k.arg: k.value for k in call.keywords}
    key = next((k for k in ("unique", "primary_key") if isinstance(keywords.get(k), ast.Constant)
                and keywords[k].value is True), None)
    return key is not None and _constant(keywords.get("default")) and not (
        key == "unique" and "primary_key" in keywords) and "AutoField" not in (dotted(call.func) or "")


def _constant(value: ast.AST | None) -> bool:
    """``''``, ``0``, ``SettingType.EMAIL``, ``JOB_STATUS_PENDING``, ``constants.State.SENT.value``: one value, not a
    function that draws a new one."""
    parts = (dotted(value) or "").split(".") if isinstance(value, ast.Attribute) else []
    return isinstance(value, ast.Constant) or bool(parts) and (parts[0][:1].isupper() or any(
        part.isupper() for part in parts[1:])) or (
        isinstance(value, ast.Name) and value.id.isupper())


def _filtered_columns(call: ast.Call) -> set[str]:
    """Columns a query filters on: ``filter(email=..., org__slug=...)`` keywords, ``Model.col == ...``."""
    keywords = {k.arg.split("__")[0] for n in ast.walk(call) if isinstance(n, ast.Call) for k in n.keywords if k.arg}
    return keywords | {n.left.attr for n in ast.walk(call) if isinstance(n, ast.Compare) and isinstance(
        n.left, ast.Attribute)}


def _consequence(write: db.DbOp, table: str, refused: bool) -> str:
    """What the second of two concurrent requests does, as far as the models of the code base tell."""
    if refused:
        return (f", and the second then fails with IntegrityError on {table}'s unique key (a 500 for a request "
                f"unless something catches it)")
    if write.api == "sql":
        return ""  # the table's unique indexes are not in the code
    if write.kind != db.INSERT:
        return "; both make the change: a state moved twice, or one update lost"
    return f"; {table}'s model declares no unique key over the checked columns, so both insert: a duplicate row"


def _act(write: db.DbOp, origin: tuple[SourceModule, db.DbOp] | None) -> str:
    """What the write does and, for a helper's, where: ``this insert``, ``this create_user() call,
    which inserts into it at app/crud.py:40,``."""
    if write.method == HANDED_BACK:
        return "this new instance, handed back for the session to insert,"
    if not write.through:
        return f"this {write.kind}"
    verb = "inserts into" if write.kind == db.INSERT else "updates" if write.kind == db.UPDATE else "writes"
    where = f" at {origin[0].path}:{origin[1].call.lineno}" if origin is not None else ""
    return f"this {write.through}() call, which {verb} it{where},"


def _origin(module: SourceModule, project: Project, write: db.DbOp,
            seen: tuple[int, ...] = ()) -> tuple[SourceModule, db.DbOp] | None:
    """The helper's own operation behind a write made through it (followed through the helpers it
    calls in turn), with its module."""
    resolved = db.resolve_function(module, project, write.call, reexports=True)
    if resolved is None or id(resolved[1]) in seen:
        return None
    helper_module, helper = resolved
    for op in db.expanded_ops(helper_module, project, helper):
        if op.kind == write.kind and op.tables == write.tables:
            found = (helper_module, op) if not op.through else _origin(helper_module, project, op, (*seen, id(helper)))
            if found is not None:
                return found
    return None


def _saves_new_instance(module: SourceModule, op: db.DbOp) -> bool:
    """``user.save()`` where ``user`` was last bound to a new model instance (``user = User(...)``
    after a lookup found nothing): an INSERT, though the name also held a loaded row."""
    call = op.call
    if op.api != "django" or method_name(call) not in ("save", "asave") or not isinstance(call.func, ast.Attribute) \
            or not isinstance(call.func.value, ast.Name):
        return False
    bound = db.reaching_binding(module, db.function_of(module, call), call.func.value)
    return isinstance(bound, ast.Call) and (dotted(bound.func) or "").split(".")[-1][:1].isupper()


def _forced_update(call: ast.Call) -> bool:
    """``save(update_fields=[...])`` or ``save(force_update=True)``: Django sends an UPDATE of the row the
    instance's key names, never an INSERT, even for an instance just built with that key."""
    fields, forced = keyword(call, "update_fields"), keyword(call, "force_update")
    return method_name(call) in ("save", "asave") and (
        fields is not None and not is_none(fields) or isinstance(forced, ast.Constant) and forced.value is True)


def _claims_rows(module: SourceModule, project: Project, read: db.DbOp) -> bool:
    """A read whose SQL, held in a name (``query = "UPDATE task SET worker = %s WHERE id IN (SELECT ...
    FOR UPDATE SKIP LOCKED) RETURNING ..."``, then ``Task.objects.raw(query, ...)``), locks or takes the
    rows it returns: a claim, not a check."""
    origin = _origin(module, project, read) if read.through else (module, read)
    if origin is None or not origin[1].call.args:
        return False
    origin_module, op = origin
    statement = op.call.args[0]
    if isinstance(statement, ast.Name):
        statement = db.single_binding(db.function_of(origin_module, op.call), statement.id)
    return bool(CLAIMING_SQL.search(op.sql or string_value(statement) or ""))


def _recovers_from_conflict(module: SourceModule, fn: ast.AST, write: db.DbOp) -> bool:
    """A write in the handler of a unique violation (``except IntegrityError: try: row = get(...)
    except DoesNotExist: row = Model(...); row.save()``): the fallback of an insert that already lost
    the race, which the code handles there."""
    for parent in ancestors(module, write.call):
        if parent is fn:
            return False
        if isinstance(parent, ast.ExceptHandler) and parent.type is not None and any(
                (dotted(t) or "").split(".")[-1] in db.UNIQUE_VIOLATIONS
                for t in (parent.type.elts if isinstance(parent.type, ast.Tuple) else [parent.type])):
            return True
    return False


def _flushed_under_handler(module: SourceModule, fn: ast.AST, write: db.DbOp) -> bool:
    """``session.add(row)`` whose INSERT a later ``session.flush()``/``commit()`` sends inside a ``try``
    that catches the unique violation (``except IntegrityError: raise ConcurrentUpdateError``): the
    database decides, and the code answers the loser."""
    if write.kind != db.INSERT or method_name(write.call) != "add":
        return False
    holders = [(fn, write.call.lineno)]
    outer = enclosing_function(module, fn)
    if outer is not None:  # a nested get-or-create its definer calls, then flushes under the handler
        holders += [(outer, min(calls)) for calls in [[n.lineno for n in walk_nodes(outer) if isinstance(
            n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == getattr(fn, "name", None)]] if calls]
    return any(isinstance(node, ast.Call) and FLUSHES.search(method_name(node) or "") and node.lineno > after
               and db.handles_unique_violation(module, node, holder) for holder, after in holders
               for node in walk_nodes(holder))


FLUSHES = re.compile(r"(^|_)(flush|commit)(_|$)")  # session.flush(), commit(), session_commit_or_flush(session)


def _catches_every_error(module: SourceModule, node: ast.AST, fn: ast.AST) -> bool:
    """``node`` sits in the body of a ``try`` whose handler catches any error (bare ``except:``,
    ``except Exception``): an insert into a table with a unique key there has the database decide and
    the loser of the race skipped (``try: Membership.objects.create(...) except Exception: pass``)."""
    child = node
    for parent in ancestors(module, node):
        if parent is fn:
            return False
        if isinstance(parent, ast.Try) and any(child is statement for statement in parent.body) and any(
                catches_any_error(handler) for handler in parent.handlers):
            return True
        child = parent
    return False


def _orm_update(op: db.DbOp) -> bool:
    return op.kind in (db.UPDATE, db.WRITE) and op.api != "sql" and bool(op.tables) and not op.upsert


def _uniqueness_check(module: SourceModule, fn: ast.AST, reads: list[db.DbOp], write: db.DbOp,
                      ops: list[db.DbOp]) -> db.DbOp | None:
    """An ORM update of a row after a lookup of another row of its table that refuses when it
    finds one (``existing = get_by_codename(new); if existing is not None: raise AlreadyExists``
    ... ``update(permission)``): two requests renaming to the same value both pass. An ORM update
    after a check that the row exists (``if row is None: raise NotFound``) is not one."""
    for read in reads:
        if read.call.lineno >= write.call.lineno or not any(
                db.same_table(a, b) for a in read.tables for b in write.tables):
            continue
        names = _result_names(module, fn, read)
        if _written_object_names(write) & names or any(
                op.kind == db.INSERT and read.call.lineno < op.call.lineno < write.call.lineno
                and op.tables & write.tables for op in ops):
            continue  # it updates the row it found, or the row this function has just inserted
        for node in walk_nodes(fn):
            if isinstance(node, ast.If) and read.call.lineno <= node.lineno < write.call.lineno and (
                    node.end_lineno or node.lineno) < write.call.lineno and _refuses_found(module, fn, read, node.test, names) and _leaves(
                    node.body) and _runs_after(module, node, write.call):
                return read
    return None


def _written_object_names(write: db.DbOp) -> set[str]:
    """Names of the objects a write is given (``update(account)``, ``account.save()``)."""
    call = write.call
    given = [*call.args, *(k.value for k in call.keywords)]
    if isinstance(call.func, ast.Attribute):
        given.append(call.func.value)
    return {n.id for n in given if isinstance(n, ast.Name)}


def _refuses_found(module: SourceModule, fn: ast.AST, read: db.DbOp, test: ast.AST, names: set[str]) -> bool:
    """``x is not None`` or a bare ``x`` (also within ``and``), ``x`` holding what ``read`` found:
    the branch runs when the row was found."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_refuses_found(module, fn, read, v, names) for v in test.values)
    name = test if isinstance(test, ast.Name) else test.left if isinstance(test, ast.Compare) and len(
        test.ops) == 1 and isinstance(test.ops[0], ast.IsNot) and is_none(test.comparators[0]) else None
    if not isinstance(name, ast.Name) or name.id not in names:
        return False
    bound = db.reaching_binding(module, fn, name)
    return bound is None or _holds_read(module, fn, bound, read)


def _helper_handles_unique(module: SourceModule, project: Project, write: db.DbOp, depth: int = 3) -> bool:
    """The helper that inserts catches the unique violation around its insert (``try: INSERT ...
    except UniqueViolationError: "already exists"``), itself or through the helpers and methods of the
    code base's database layer it calls (``db.upsert("plays", values, keys)``, whose ``INSERT INTO " +
    table_name`` runs in such a ``try``): the database decides, the caller's check only gives a
    friendlier answer first."""
    resolved = db.resolve_function(module, project, write.call, reexports=True)
    if resolved is None or not depth:
        return False
    helper_module, helper = resolved
    for op in db.expanded_ops(helper_module, project, helper):
        if not op.is_write or op.tables and not op.tables & write.tables:
            continue  # no table: a statement built from the table name the caller hands in
        if db.handles_unique_violation(helper_module, op.call, helper) or op.through and _helper_handles_unique(
                helper_module, project, op, depth - 1):
            return True
    return False


def _finding(module: SourceModule, node: ast.AST, message: str, fix: str, confidence: Confidence) -> Finding:
    return Finding(message=message, path=module.path, line=node.lineno, evidence=module.evidence(node),
                   end_line=getattr(node, "end_lineno", node.lineno), fix=fix, confidence=confidence)


def _read_modify_writes(module: SourceModule, fn: ast.AST, ops: list[db.DbOp],
                        project: Project | None = None) -> Iterator[tuple[Finding, ast.AST]]:
    """``row = Model.objects.get(...)``, ``row.balance -= amount`` (or ``row.n = row.n + 1``),
    ``row.save()``: the save writes back a value computed from a read that did not lock the row,
    so two concurrent requests both start from the same value and one change is lost."""
    loaded = _rows_read(module, fn, ops)
    if not loaded:
        return
    changed: dict[str, tuple[ast.stmt, str]] = {}
    for node in walk_function_body(fn):
        target = attribute = None
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            target = node.target
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.BinOp):
            target = node.targets[0]
            if not any(isinstance(n, ast.Attribute) and dotted(n) == dotted(target) for n in ast.walk(node.value)):
                target = None
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in loaded:
            attribute = target.attr
            changed.setdefault(target.value.id, (node, attribute))
    for name, (statement, attribute) in changed.items():
        read = loaded[name]
        models = _returned_models(module, project, read, ops) if project is not None else []
        row = (f"{attribute} of the {' or '.join(models)} row {read.through}() returns" if models else
               f"{sorted(read.tables)[0]}.{attribute}")
        message = (f"read-modify-write of {row}: line {read.call.lineno} reads the row "
                   f"without a lock, line {statement.lineno} computes the new value from it and this save writes it "
                   f"back; concurrent requests start from the same value and one change is lost")
        yield from _saved_back(module, fn, ops, name, read, statement.lineno, message, RMW_FIX)


def _returned_models(module: SourceModule, project: Project, read: db.DbOp, ops: list[db.DbOp]) -> list[str]:
    """The models a helper that reads several tables (``_get_address(to)`` looks in ``RelayAddress``,
    ``DomainAddress`` and ``DeletedAddress``) declares it returns (``-> RelayAddress | DomainAddress``), among
    those it reads; none when it reads one table or declares nothing."""
    tables = {t for op in ops if op.call is read.call and op.is_read for t in op.tables}
    resolved = db.resolve_function(module, project, read.call) if read.through and len(tables) > 1 else None
    returns = getattr(resolved[1], "returns", None) if resolved is not None else None
    return sorted({n.id for n in ast.walk(returns) if isinstance(n, ast.Name)} & tables) if returns is not None else []


def _saved_back(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], name: str, read: db.DbOp, after: int,
                message: str, fix: str) -> Iterator[tuple[Finding, ast.AST]]:
    """The finding at the save that writes back the row ``name`` holds, after line ``after``."""
    write = _writes_back(module, fn, ops, name, after, read.api == "sqlalchemy")
    if write is not None:
        yield _finding(module, write, message, fix, Confidence.medium), write


def _single_use_claims(module: SourceModule, fn: ast.AST, ops: list[db.DbOp],
                       project: Project) -> Iterator[tuple[Finding, ast.AST]]:
    """``invite = Invite.objects.get(code=code)``, ``if invite.used: raise``, ``invite.used = True``,
    ``invite.save()``: a single-use mark tested on a row read without a lock, then set and saved;
    two concurrent requests both find it unset and both use the invite, code or voucher. The row may
    also be handed in by the caller (``def finish(upload: Upload)``, the view's ``get_object()``)."""
    handed = _rows_handed_in(module, project, fn, ops)
    loaded = {**_rows_looped(module, fn, ops), **handed, **_rows_read(module, fn, ops, project)}
    claimed: set[str] = set()  # rows already reported: later moves of the same row follow the first (race) save
    for node in sorted(walk_function_body(fn), key=lambda n: getattr(n, "lineno", 0)):
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        mark = isinstance(target, ast.Attribute) and bool(SINGLE_USE_MARK.match(target.attr))
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id in loaded and target.value.id not in claimed and (mark or _constant(node.value))):
            continue
        name, read = target.value.id, loaded[target.value.id]
        guard = next((test for test in walk_nodes(fn) if isinstance(test, ast.If)
                      and read.call.lineno < test.lineno < node.lineno and (
                          _tests_mark(test.test, name, target.attr) if mark
                          else _tests_state(test.test, name, target.attr, node.value))
                      and (_leaves(test.body) and _runs_after(module, test, node) or mark and _within(module, node, test, "body"))),
                     None)
        if mark:
            tested = f"line {guard.lineno} tests the mark" if guard is not None else "its filter asks for the mark unset" \
                if _selects_unmarked(read.call, target.attr) else None
            outcome = "both find it unset and both use the row"
        else:
            tested = f"line {guard.lineno} tests its state" if guard is not None else "its filter selects the old state" \
                if _selects_state(read.call, target.attr, node.value) else None
            outcome = "both see the old state and both make the change"
        if tested is not None:
            source = f"the caller reads the row {name} without a lock" if name in handed and handed[name] is read else (
                f"line {read.call.lineno} reads the row without a lock")
            message = (f"check-then-act on {sorted(read.tables)[0]}.{target.attr}: {source}, {tested} and this save "
                       f"sets it; two concurrent requests {outcome}")
            for finding in _saved_back(module, fn, ops, name, read, node.lineno, message, CLAIM_FIX):
                claimed.add(name)
                yield finding


def _rows_handed_in(module: SourceModule, project: Project, fn: ast.AST, ops: list[db.DbOp]) -> dict[str, db.DbOp]:
    """Parameters annotated with a model (``upload: Upload``) that ``fn`` saves (``upload.save()``) without
    binding them again: rows its callers read, taken as read where ``fn`` starts. Not when every caller
    locks the row before the call."""
    parameters = {a.arg: a.annotation for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    rebound = {t.id for node in walk_function_body(fn) if isinstance(node, ast.Assign)
               for t in node.targets if isinstance(t, ast.Name)}
    handed = {op.receiver: op for op in ops if op.kind == db.UPDATE and op.method in ("save", "asave")
              and op.receiver in parameters and op.receiver not in rebound and isinstance(parameters[op.receiver], ast.Name)
              and parameters[op.receiver].id in op.tables}
    if not handed or _locked_by_every_caller(module, project, fn):
        return {}
    start = ast.Call(func=ast.Name(id=fn.name), args=[], keywords=[], lineno=fn.lineno, col_offset=fn.col_offset)
    return {name: replace(op, call=start, kind=db.READ) for name, op in handed.items()}


def _tests_state(test: ast.AST, name: str, column: str, new_value: ast.AST) -> bool:
    """``order.status != "paid"``, ``order.status in (Status.OPEN, Status.HELD)``, ``order.closed_at is not
    None``: the row's column compared with fixed values, before a save that moves it to another fixed
    value (a state transition); not ``if row.status != new: row.status = new`` (set when different)."""
    return any(isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.left, ast.Attribute)
               and n.left.attr == column and isinstance(n.left.value, ast.Name) and n.left.value.id == name
               and all(_constant(v) for v in (n.comparators[0].elts if isinstance(
                   n.comparators[0], (ast.Tuple, ast.List, ast.Set)) else [n.comparators[0]]))
               and ast.dump(n.comparators[0]) != ast.dump(new_value) for n in ast.walk(test))


def _rows_looped(module: SourceModule, fn: ast.AST, ops: list[db.DbOp]) -> dict[str, db.DbOp]:
    """Loop variables over the rows a read without a lock found: ``for message in messages``, where ``messages =
    ScheduledMessage.objects.filter(status=SCHEDULED)``, or over the read itself."""
    reads = {id(op.call): op for op in ops if op.is_read and op.tables and not op.locking}
    looped: dict[str, db.DbOp] = {}
    for loop in walk_function_body(fn):
        if not (isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name)):
            continue
        source = db.single_binding(fn, loop.iter.id) or db.reaching_binding(module, fn, loop.iter) if isinstance(
            loop.iter, ast.Name) else loop.iter
        read = reads.get(id(source.value if isinstance(source, ast.Await) else source))
        if read is not None:
            looped[loop.target.id] = read
    return looped


def _selects_state(read_call: ast.Call, column: str, new_value: ast.AST) -> bool:
    """``filter(status=SCHEDULED)`` (``status__in=(...)``) before the rows found are moved to another fixed
    value: the read only finds rows in the old state, and two runs find the same ones."""
    return any(isinstance(n, ast.Call) and any(
        k.arg in (column, f"{column}__in") and all(_constant(v) for v in (k.value.elts if isinstance(
            k.value, (ast.Tuple, ast.List, ast.Set)) else [k.value])) and ast.dump(k.value) != ast.dump(new_value)
        for k in n.keywords) for n in ast.walk(read_call))


def _selects_unmarked(read_call: ast.Call, mark: str) -> bool:
    """``filter(code=code, used_by=None)``, ``filter(used=False)``, ``filter(used_at__isnull=True)``: the
    read only finds the row while the mark is unset."""
    return any(isinstance(n, ast.Call) and any(
        k.arg == mark and isinstance(k.value, ast.Constant) and k.value.value in (None, False)
        or k.arg == f"{mark}__isnull" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in n.keywords) for n in ast.walk(read_call))


def _tests_mark(test: ast.AST, name: str, mark: str) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == mark and isinstance(n.value, ast.Name) and n.value.id == name
               for n in ast.walk(test))


def _moves_through_helpers(module: SourceModule, project: Project, fn: ast.AST,
                           ops: list[db.DbOp]) -> Iterator[tuple[Finding, ast.AST]]:
    """``if notification.status == "created":`` ... ``mark_sending(notification)`` (or ``if job.status !=
    PENDING: return`` before it), where the helper of the code base sets the tested column
    (``notification.status = SENDING``) and saves the row: the state transition of
    :func:`_single_use_claims` made in a helper, on a row read here or by every caller without a lock.
    Two runs of a task delivered twice both see the old state and both act (send the message twice)."""
    rows = {**_rows_read_by_callers(module, project, fn), **_rows_read(module, fn, ops, project)}
    reported: set[str] = set()
    for test in sorted((n for n in walk_function_body(fn) if isinstance(n, ast.If)), key=lambda n: n.lineno):
        for name, read in rows.items():
            compare = next((c for c in ast.walk(test.test) if isinstance(c, ast.Compare) and name not in reported
                            and test.lineno > read.call.lineno - (read.kind != db.READ)
                            and _tests_state(c, name, getattr(c.left, "attr", ""), ast.Constant(value=...))), None)
            if compare is None:
                continue
            holds_state = isinstance(compare.ops[0], (ast.Eq, ast.In))
            guarded = test.body if holds_state else _following(module, test) if _leaves(test.body) else []
            move = next((call for statement in guarded for call in sorted(
                (c for c in ast.walk(statement) if isinstance(c, ast.Call)), key=lambda c: c.lineno)
                if _helper_moves(module, project, call, name, compare.left.attr)
                or _transition_moves(module, project, fn, call, name, compare.left.attr)), None)
            if move is None or _sets_column_before(fn, name, compare.left.attr, move):
                continue  # moved by ``fn`` itself first: the race is that save's (see :func:`_single_use_claims`)
            reported.add(name)
            source = f"line {read.call.lineno} reads the row without a lock" if read.kind == db.READ else (
                f"the caller reads the row {name} without a lock")
            message = (f"check-then-act on {sorted(read.tables)[0]}.{compare.left.attr}: {source}, line {test.lineno} "
                       f"tests its state and {dotted(move.func)}() sets it and saves the row; two concurrent runs both "
                       f"see the old state and both make the change")
            yield _finding(module, move, message, CLAIM_FIX, Confidence.medium), move


def _sets_column_before(fn: ast.AST, name: str, column: str, call: ast.Call) -> bool:
    return any(isinstance(node, ast.Assign) and node.lineno < call.lineno and any(
        isinstance(t, ast.Attribute) and t.attr == column and isinstance(t.value, ast.Name) and t.value.id == name
        for t in node.targets) for node in walk_function_body(fn))


def _following(module: SourceModule, statement: ast.stmt) -> list[ast.stmt]:
    """The statements after ``statement`` in its block."""
    parent = module.parents.get(statement)
    for field_name in ("body", "orelse", "finalbody"):
        block = getattr(parent, field_name, None)
        if isinstance(block, list) and statement in block:
            return block[block.index(statement) + 1:]
    return []


def _helper_moves(module: SourceModule, project: Project, call: ast.Call, name: str, column: str) -> bool:
    """Whether ``call`` hands the row ``name`` to a function of the code base that sets its ``column``
    and writes."""
    resolved = db.resolve_function(module, project, call)
    if resolved is None:
        return False
    helper_module, helper = resolved
    parameter = _parameter_given(helper, call, name)
    return parameter is not None and any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == column and isinstance(
            t.value, ast.Name) and t.value.id == parameter for t in node.targets) for node in walk_function_body(helper)
    ) and any(op.is_write or op.kind == db.COMMIT for op in db.expanded_ops(helper_module, project, helper))


def _transition_moves(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, name: str,
                      column: str) -> bool:
    """Whether ``call`` runs a state machine transition of the row ``name``'s ``column``: a method of the
    code base declared as one (django-fsm's ``@transition(field=state, source=..., target=...)``, viewflow's
    ``@state.transition(source=..., target=...)``), called on the row (``order.refund()``) or on an object
    the row builds (``order.get_flow().refund()``, ``flow = order.get_flow()``; ``flow.refund()``), and saved
    by the transition's class (viewflow's ``on_success`` hook) or by ``fn`` after the call. The transition
    checks its source state on the row in memory, as the ``if`` before it does."""
    if not isinstance(call.func, ast.Attribute):
        return False
    receiver = call.func.value
    if isinstance(receiver, ast.Name) and receiver.id != name:
        receiver = db.single_binding(fn, receiver.id)
    if not (isinstance(receiver, ast.Name) and receiver.id == name or isinstance(receiver, ast.Call) and isinstance(
            receiver.func, ast.Attribute) and isinstance(receiver.func.value, ast.Name) and receiver.func.value.id == name):
        return False
    saved_here = _writes_back(module, fn, [], name, call.lineno + 1, False) is not None
    return any(field == column and (saves or saved_here)
               for field, saves in _state_transitions(project).get(call.func.attr, []))


def _state_transitions(project: Project) -> dict[str, list[tuple[str, bool]]]:
    """Method name -> (the state field it moves, whether its class saves the row) for each method of the
    code base declared a state machine transition: decorated with ``transition(..., target=...)``, the field
    named by its ``field=`` (django-fsm) or by the object the decorator hangs on (viewflow's ``state``)."""
    if "r2.state_transitions" not in project.facts:
        found: dict[str, list[tuple[str, bool]]] = {}
        for module in project.modules:
            if "transition(" not in module.text or db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                saves = any(isinstance(node, ast.Call) and method_name(node) in ("save", "asave") for node in ast.walk(cls))
                for method in cls.body:
                    for decorator in getattr(method, "decorator_list", []):
                        if not (isinstance(decorator, ast.Call) and method_name(decorator) == "transition"
                                and keyword(decorator, "target") is not None):
                            continue
                        field = keyword(decorator, "field")
                        named = string_value(field) or dotted(field) if field is not None else dotted(
                            decorator.func.value) if isinstance(decorator.func, ast.Attribute) else None
                        if named:
                            found.setdefault(method.name, []).append((named.split(".")[-1], saves))
        project.facts["r2.state_transitions"] = found
    return project.facts["r2.state_transitions"]


def _parameter_given(fn: ast.AST, call: ast.Call, name: str) -> str | None:
    """The parameter of ``fn`` that ``call`` binds to the local ``name``."""
    parameters = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if parameters[:1] in (["self"], ["cls"]):
        parameters = parameters[1:]
    given = [(p, a) for p, a in zip(parameters, call.args)] + [(k.arg, k.value) for k in call.keywords]
    return next((p for p, a in given if isinstance(a, ast.Name) and a.id == name), None)


def _rows_read_by_callers(module: SourceModule, project: Project, fn: ast.AST) -> dict[str, db.DbOp]:
    """Parameters of ``fn`` every caller of the code base hands a row it read just before without a lock
    (``notification = get_notification_by_id(id)``, ``send(notification)``), taken as read where ``fn`` starts."""
    uses = function_uses(module, project, fn)
    handed: dict[str, db.DbOp] = {}
    for parameter in [a.arg for a in fn.args.posonlyargs + fn.args.args]:
        reads = []
        for user, node, called in uses:
            call = user.parents.get(node)
            caller = enclosing_function(user, call) if called and isinstance(call, ast.Call) else None
            argument = next((a.id for p, a in [*zip([x.arg for x in fn.args.posonlyargs + fn.args.args], call.args),
                                               *((k.arg, k.value) for k in call.keywords)]
                             if p == parameter and isinstance(a, ast.Name)), None) if caller is not None else None
            read = _rows_read(user, caller, db.expanded_ops(user, project, caller), project).get(
                argument) if argument else None
            if read is None or read.call.lineno > call.lineno:
                break
            reads.append(read)
        else:
            if reads:
                start = ast.Call(func=ast.Name(id=fn.name), args=[], keywords=[], lineno=fn.lineno, col_offset=fn.col_offset)
                handed[parameter] = replace(reads[0], call=start, kind=db.WRITE)
    return handed


def _returns_row(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Whether ``call`` runs a function of the code base that returns one row (``return query.first()``)."""
    resolved = db.resolve_function(module, project, call)
    returned = [n.value for n in walk_function_body(resolved[1]) if isinstance(n, ast.Return) and n.value is not None
                ] if resolved else []
    branches = [b for v in returned for b in ((v.body, v.orelse) if isinstance(v, ast.IfExp) else (v,))]
    return bool(branches) and all(isinstance(b, ast.Call) and method_name(b) in ROW_READS for b in branches)


def _rows_read(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], project: Project | None = None) -> dict[str, db.DbOp]:
    """Names bound to one row read without a lock: ``x = Model.objects.get(...)``, ``x =
    get_object_or_404(Model, ...)``, ``x, _ = Model.objects.get_or_create(...)``, ``x = query.first()``; with
    ``project``, also ``x = get_notification(id)``, a helper of the code base that returns one row."""
    by_call = {id(op.call): op for op in ops if op.tables and (op.is_read or op.upsert)}
    loaded: dict[str, db.DbOp] = {}
    bound: set[str] = set()  # names a row read bound so far, with a lock or without
    for node in sorted(walk_function_body(fn), key=lambda n: getattr(n, "lineno", 0)):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 or isinstance(node, ast.NamedExpr)):
            continue  # ``row = ...``, ``if row := ...:``
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(value, ast.Call):
            continue
        op = by_call.get(id(value)) or _shortcut_read(value) or _row_fetched(module, fn, ops, value)
        if op is None or not op.locking and (op.is_read and op.method not in ROW_READS and not (
                project is not None and op.through and _returns_row(module, project, value))):
            continue
        target = node.target if isinstance(node, ast.NamedExpr) else node.targets[0]
        if isinstance(target, ast.Tuple) and op.upsert and target.elts:
            target = target.elts[0]
        if not isinstance(target, ast.Name) or target.id in bound and _in_leaving_branch(module, node):
            continue  # a row read again only for a branch that returns (a dummy query against timing attacks)
        bound.add(target.id)
        if op.locking:
            loaded.pop(target.id, None)
        else:
            loaded[target.id] = op
    return loaded


def _row_fetched(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], value: ast.Call) -> db.DbOp | None:
    """The read whose result ``value`` fetches one row from (``result = await session.execute(select(User)...)``,
    then ``result.unique().scalar_one_or_none()``), as a one-row read."""
    if method_name(value) not in ROW_READS:
        return None
    read = next((op for op in ops if op.is_read and op.tables and _fetches_from(module, fn, value, op, None)), None)
    return replace(read, method=method_name(value)) if read is not None else None


def _in_leaving_branch(module: SourceModule, node: ast.AST) -> bool:
    """Whether ``node`` is a statement of an ``if`` branch that always leaves the function."""
    parent = module.parents.get(node)
    return isinstance(parent, ast.If) and any(node in block and _leaves(block) for block in (parent.body, parent.orelse))


def _shortcut_read(call: ast.Call) -> db.DbOp | None:
    """Django's ``get_object_or_404(Model, ...)``."""
    if (dotted(call.func) or "").split(".")[-1] in ("get_object_or_404", "aget_object_or_404") and call.args:
        model = (dotted(call.args[0]) or "").split(".")[-1]
        if model[:1].isupper():
            return db.DbOp(call, db.READ, frozenset({model}), "django", "get")
    return None


def _writes_back(module: SourceModule, fn: ast.AST, ops: list[db.DbOp], name: str, after: int,
                 flushed_on_commit: bool) -> ast.AST | None:
    """The first ``name.save()`` (or a write that passes ``name``'s fields, or for a SQLAlchemy
    row the ``commit()`` that flushes it) after line ``after``."""
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and node.lineno >= after and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("save", "asave") and isinstance(node.func.value, ast.Name) and node.func.value.id == name:
            return node
    for op in ops:
        if op.call.lineno >= after and (op.is_write and any(
                isinstance(n, ast.Name) and n.id == name for n in ast.walk(op.call)) or (
                flushed_on_commit and op.kind == db.COMMIT)):
            return op.call
    return None


def _request_retried_on_conflict(project: Project, fn: ast.AST, write: db.DbOp) -> bool:
    """The code base handles a unique violation for every request (see
    :func:`_unique_violation_handled_per_request`), the written model declares a unique key, and
    ``fn`` is not a background task, which no request handler covers."""
    if not _unique_violation_handled_per_request(project) or any(
            "task" in (dotted(d.func if isinstance(d, ast.Call) else d) or "").split(".")[-1]
            for d in getattr(fn, "decorator_list", ())):
        return False
    return _inserts_unique(project, write)


def _inserts_unique(project: Project, write: db.DbOp) -> bool:
    return bool(write.tables) and all(table in LIBRARY_MODEL_KEYS or db.natural_unique(project, table)
                                      for table in write.tables)


def _base_view_answers_conflict(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """``fn`` is a method of a view class whose own or inherited ``handle_exception``/``dispatch``
    catches the unique violation (a DRF base view answering ``IntegrityError`` with a 400), or of a
    serializer only such views use, so a concurrent duplicate fails on the constraint and the client
    gets an answer."""
    cls = _class_of(module, fn)
    return cls is not None and (_answers_conflict(project, cls.name) or _serializer_of_answering_views(project, cls))


def _class_of(module: SourceModule, node: ast.AST) -> ast.ClassDef | None:
    return next((a for a in ancestors(module, node) if isinstance(a, ast.ClassDef)), None)


def _serializer_of_answering_views(project: Project, cls: ast.ClassDef) -> bool:
    """A serializer (a class with a ``...Serializer`` base) that only views answering the unique
    violation use, directly or through its subclasses: its ``create()`` runs inside their
    ``serializer.save()``, so their ``handle_exception`` answers the duplicate with a 400."""
    if not any((dotted(b) or "").endswith("Serializer") for b in cls.bases):
        return False
    uses = _class_name_uses(project)
    seen, pending = set(), [cls.name]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if not uses.get(name):
            return False
        for user_module, node in uses[name]:
            owner = _class_of(user_module, node)
            if owner is not None and any(node is b or node in ast.walk(b) for b in owner.bases):
                pending.append(owner.name)  # a subclass inherits create(): its users count too
            elif owner is None or not _answers_conflict(project, owner.name):
                return False
    return True


def _class_name_uses(project: Project) -> dict[str, list[tuple[SourceModule, ast.AST]]]:
    """Class name -> where the service code names it (``ModuleSerializer(...)``, ``serializers.X``);
    reading one of its attributes (``ModuleSerializer.Meta.fields``) runs none of its methods."""
    if "r2.class_name_uses" in project.facts:
        return project.facts["r2.class_name_uses"]
    uses: dict[str, list[tuple[SourceModule, ast.AST]]] = {}
    for module in project.modules:
        if db.is_test_module(module):
            continue
        for node in walk_nodes(module.tree):
            parent = module.parents.get(node)
            if isinstance(parent, ast.Attribute) and parent.value is node:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id[:1].isupper():
                uses.setdefault(node.id, []).append((module, node))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr[:1].isupper():
                uses.setdefault(node.attr, []).append((module, node))
    project.facts["r2.class_name_uses"] = uses
    return uses


def _answers_conflict(project: Project, class_name: str) -> bool:
    """Whether the class so named, or a class it inherits from, answers the unique violation."""
    if "r2.conflict_answering_views" not in project.facts:
        project.facts["r2.conflict_answering_views"] = _conflict_answering_views(project)
    bases, answering = project.facts["r2.conflict_answering_views"]
    seen, pending = set(), [class_name]
    while pending:
        name = pending.pop()
        if name in answering:
            return True
        if name not in seen:
            seen.add(name)
            pending.extend(bases.get(name, ()))
    return False


def _conflict_answering_views(project: Project) -> tuple[dict[str, set[str]], set[str]]:
    """Base class names of every class of the code base, and the names of the classes whose
    ``handle_exception``/``dispatch`` catches a unique violation (``except IntegrityError`` or
    ``isinstance(exc, IntegrityError)``); a name counts only when every class so named does."""
    bases: dict[str, set[str]] = {}
    catching: dict[str, list[bool]] = {}
    for module in project.modules:
        for cls in module.nodes_of(ast.ClassDef):
            bases.setdefault(cls.name, set()).update((dotted(b) or "").split(".")[-1] for b in cls.bases)
            catching.setdefault(cls.name, []).append(any(
                isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in VIEW_EXCEPTION_HOOKS
                and _catches_unique_violation(item) for item in cls.body))
    answering = {name for name, flags in catching.items() if all(flags)}
    return bases, answering | (DRF_VIEWS if _drf_exception_handler_catches(project) else set())


def _drf_exception_handler_catches(project: Project) -> bool:
    """``REST_FRAMEWORK = {"EXCEPTION_HANDLER": "pkg.module.function"}`` names a function of the
    code base that catches the unique violation: it answers for every DRF view."""
    for module in project.modules:
        for mapping in module.nodes_of(ast.Dict):
            for key, value in zip(mapping.keys, mapping.values):
                target = string_value(value) if string_value(key) == "EXCEPTION_HANDLER" else None
                handler_module = project.by_dotted_name.get(target.rsplit(".", 1)[0]) if target and "." in target else None
                if handler_module is not None and any(
                        fn.name == target.rsplit(".", 1)[1] and _catches_unique_violation(fn)
                        for fn in handler_module.nodes_of(ast.FunctionDef)):
                    return True
    return False


def _catches_unique_violation(fn: ast.AST) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        elif isinstance(node, ast.Call) and dotted(node.func) == "isinstance" and len(node.args) == 2:
            caught = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
        else:
            continue
        if any((dotted(t) or "").split(".")[-1] in db.UNIQUE_VIOLATIONS for t in caught):
            return True
    return False


def _unique_violation_handled_per_request(project: Project) -> bool:
    """Whether the code base retries or answers every request that fails on a unique violation:
    ``pyramid_retry.mark_error_retryable(IntegrityError)`` (the retried request reads again and finds
    the row), a Flask ``errorhandler(IntegrityError)``/``register_error_handler(IntegrityError, ...)``
    or a FastAPI/Starlette ``exception_handler(IntegrityError)``/``add_exception_handler``."""
    if "r2.unique_violation_handler" not in project.facts:
        project.facts["r2.unique_violation_handler"] = any(
            (dotted(call.func) or "").split(".")[-1] in PER_REQUEST_HANDLERS and call.args
            and (dotted(call.args[0]) or "").split(".")[-1] in db.UNIQUE_VIOLATIONS
            for module in project.modules if "IntegrityError" in module.text or "UniqueViolation" in module.text
            for call in module.nodes_of(ast.Call))
    return project.facts["r2.unique_violation_handler"]


def _one_off(path: str) -> bool:
    """Scripts and Django management commands, run by hand one at a time (``initdb``, a data
    upgrade): nothing runs them concurrently with themselves."""
    return path.split("/")[0] == "scripts" or "/scripts/" in path or is_management_command(path)


def _chat_bot(module: SourceModule) -> bool:
    """A module of a discord.py bot: one process serves every server it is in."""
    return any(module.imports_module(library) for library in CHAT_BOT_LIBRARIES)


def _command_line_command(module: SourceModule, fn: ast.AST) -> bool:
    """A click or Typer command (``@cli.command()``, ``@sponsors.command(name=...)``): someone
    runs it by hand, one at a time, like a script. Not a chat bot's command (discord.py's
    ``@commands.command()``, ``@feeds.command(name="create")``): every member of the server runs it,
    at the same time as the others."""
    return not _chat_bot(module) and any(
        (dotted(d.func if isinstance(d, ast.Call) else d) or "").split(".")[-1] == "command"
        for d in getattr(fn, "decorator_list", ()))


def _changes_schema(fn: ast.AST) -> bool:
    """A schema upgrade run as the application starts (``c_db.execute("ALTER TABLE users ADD COLUMN
    title TEXT")``, then ``SELECT ... WHERE friendly_name = username`` and an ``UPDATE`` of what it
    found): a migration written in code, run once before requests are served."""
    return any(isinstance(node, ast.Call) and node.args and SCHEMA_CHANGE.match(string_value(node.args[0]) or "")
               for node in walk_function_body(fn))


def _imports_project_code(module: SourceModule, project: Project) -> bool:
    return any(target.rsplit(".", 1)[0] in project.by_dotted_name for target in module.imports.values())


def _is_act(op: db.DbOp) -> bool:
    if op.upsert or not op.tables:
        return False
    if op.kind == db.INSERT:
        return True
    # ORM updates of a loaded row are left to locking rules; a SQL UPDATE whose WHERE re-checks a
    # condition besides the key (``... AND status = 'pending'``) is an atomic compare-and-set
    return op.kind == db.UPDATE and op.api == "sql" and not _rechecks_in_where(op.sql)


def _rechecks_in_where(sql: str | None) -> bool:
    if not sql:
        return False
    match = re.search(r"\bwhere\b(.*)", sql, re.I | re.S)
    return bool(match and re.search(r"\b(and|or)\b", match.group(1), re.I))


def _deciding_read(module: SourceModule, project: Project, fn: ast.AST, reads: list[db.DbOp],
                   write: db.DbOp) -> db.DbOp | None:
    gates = {id(read.call) for read in reads if _permission_gate(module, read)}
    for read in sorted(reads, key=lambda r: id(r.call) in gates):  # an insert's own check first, then a gate's
        if read.call is write.call or read.call.lineno > write.call.lineno or (
                write.kind == db.UPDATE and id(read.call) in gates):
            continue
        if not any(db.same_table(a, b) for a in read.tables for b in write.tables) or _keyed_by_fresh_id(
                module, project, fn, read) or _new_row_after_key_lookup(module, project, fn, read, write) or (
                _where_rechecks_read(fn, read, write)) or write.kind == db.INSERT and _asks_table_empty(module, project, read):
            continue
        names = _result_names(module, fn, read)
        if _copies_rows(module, names, write) or _appends_after_latest(module, fn, read, names, write) or (
                _recomputed_from_row(fn, read, names, write)):
            continue
        columns = _update_columns(module, project, read, write) if write.kind == db.UPDATE and not any(
            isinstance(n, ast.BinOp) and any(isinstance(m, ast.Name) and m.id in names for m in ast.walk(n))
            for n in ast.walk(write.call)) else None  # not ``set_count(key, row.count + 1)``: a lost update
        flags = _flags(module, fn, read, names, write)
        if _write_depends_on(module, fn, read, names, write, columns=columns) or flags and _write_depends_on(
                module, fn, read, flags, write, flags=True, columns=columns) or _built_when_missing(
                module, fn, read, names, write) or _refused_in_helper(module, project, read, write) or (
                _free_value_from_helper(module, project, fn, read, write)) or _validated_before(module, read, write):
            return read
    return None


def _permission_gate(module: SourceModule, read: db.DbOp) -> bool:
    """The read is a helper of the code base named for a permission (``is_user_team_manager``,
    ``can_user_manage_organisation``, ``has_permission``), called in an ``if`` that refuses when it
    answers no (``if not await is_editor(...): return 403``, ``if permitted(...): ... else: raise``): it
    decides who may write, not what the write changes."""
    if not (read.through and PERMISSION_CHECK.search(read.through.split(".")[-1])):
        return False
    negated, node = False, read.call
    for parent in ancestors(module, read.call):
        if isinstance(parent, ast.If) and node is parent.test:
            refusal = parent.body if negated else parent.orelse
            return bool(refusal) and isinstance(refusal[-1], (ast.Raise, ast.Return))
        if not isinstance(parent, (ast.Await, ast.UnaryOp, ast.BoolOp)):
            return False
        negated ^= isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)
        node = parent
    return False


def _asks_table_empty(module: SourceModule, project: Project, read: db.DbOp) -> bool:
    """A gate opened by a setting or by an empty table: ``settings.OPEN_SIGNUP or not User.objects.exists()``
    (also returned by a helper). The insert it lets through runs whatever the table holds while the setting is
    on; the table's emptiness only opens it for the first row, a bootstrap that races once in the life of the
    database, and no key of the row is checked. A bare ``if not SiteSettings.objects.exists()`` before the
    insert of a singleton is a check of that row, and stays reported."""
    found = [(module, read.call)]
    resolved = db.resolve_function(module, project, read.call) if read.through else None
    if resolved is not None:
        found = [(resolved[0], op.call) for op in db.function_ops(*resolved, project) if op.is_read and op.tables & read.tables]
    elif read.through:
        return False
    return bool(found) and all(method_name(call) in ("exists", "count", "aexists", "acount") and not any(
        isinstance(n, ast.Call) and (n.args or n.keywords) for n in ast.walk(call)) and any(
        isinstance(a, ast.BoolOp) and isinstance(a.op, ast.Or) for a in ancestors(owner, call)) for owner, call in found)


def _where_rechecks_read(fn: ast.AST, read: db.DbOp, write: db.DbOp) -> bool:
    """Whether the SQL ``UPDATE``'s own ``WHERE`` carries the read's condition: the read's query as its
    subquery (``UPDATE t SET f = 0 WHERE id IN ({subq})`` after ``execute(text(subq))``) or the read's
    ``WHERE`` text itself when it tests a column against a fixed value (``state = 'open'``, ``region IS NULL``),
    not a lookup by key alone. The database re-checks the condition as it writes: a compare-and-set."""
    if write.api != "sql" or not (read.sql and write.sql):
        return False
    read_where = re.search(r"\bwhere\b(.*?)(\b(order|group|limit|for|returning)\b|$)", read.sql, re.I | re.S)
    write_where = re.search(r"\bwhere\b(.*)", write.sql, re.I | re.S)
    if not (read_where and write_where):
        return False
    condition = " ".join(read_where.group(1).split()).lower()
    if STATE_CONDITION.search(condition) and condition in " ".join(write_where.group(1).split()).lower():
        return True
    return "__dynamic__" in write_where.group(1) and bool(_sql_names(fn, read.call) & _sql_sources(fn, write.call))


def _sql_names(fn: ast.AST, call: ast.Call) -> set[str]:
    """The local names holding the SQL text handed to ``call`` (``execute(text(subq))``: ``subq``)."""
    assigned = {t.id for node in walk_function_body(fn) if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}
    return {n.id for a in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(a)
            if isinstance(n, ast.Name) and n.id in assigned}


def _sql_sources(fn: ast.AST, call: ast.Call) -> set[str]:
    """The names the SQL text handed to ``call`` is built from (``update = f"... IN ({subq})"``: ``subq``)."""
    held = _sql_names(fn, call)
    return {n.id for node in walk_function_body(fn) if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id in held for t in node.targets)
        for n in ast.walk(node.value) if isinstance(n, ast.Name)}


def _keyed_by_fresh_id(module: SourceModule, project: Project, fn: ast.AST, read: db.DbOp) -> bool:
    """Whether the read looks its row up by a parameter that every call of the function fills with an id
    made just for it (``job_id = uuid.uuid4()``; ``AsyncTask(scan, user, uuid4())``): the one run that
    holds the id is the only one that can write its row, so no other request races it."""
    if read.through:
        return False
    keys = {k.value.id for n in ast.walk(read.call) if isinstance(n, ast.Call)
            for k in n.keywords if k.arg and isinstance(k.value, ast.Name)}
    return any(_fresh_at_every_call(module, project, fn, key) for key in keys)


def _new_row_after_key_lookup(module: SourceModule, project: Project, fn: ast.AST, read: db.DbOp,
                              write: db.DbOp) -> bool:
    """Whether the read looks a row up by the primary key the request sent (``Label.query.filter_by(id=
    item["id"]).first()``, also in a helper) and the insert stores an instance built here that leaves its key
    to the database (``label = Label()`` ... ``session.add(label)``): the new row gets a fresh id, so there is
    no key a second request could take -- an editor's save of the rows it names, not a check. Not when the
    instance is given the looked-up key (``Label(id=item["id"])``, ``label.id = ...``)."""
    if write.kind != db.INSERT or write.through:
        return False
    read_op = _origin(module, project, read) if read.through and not read.sql else (module, read)
    keys = _key_columns_filtered(read_op[1]) if read_op is not None else set()
    if not keys:
        return False
    built = _instances_built(fn, write)
    return bool(built) and not _given_columns(fn, write, built, keys, unpacked=True)


def _given_looked_up_key(fn: ast.AST, read: db.DbOp, write: db.DbOp) -> bool:
    """An insert of an instance given the primary key the read looked up (``User.objects.get(pk=uid)``, then
    ``User(pk=uid, ...).save()``): the loser of the race breaks the key, it adds no duplicate row."""
    keys = _key_columns_filtered(read) if write.kind == db.INSERT and not (read.through or write.through) else set()
    return bool(keys) and _given_columns(fn, write, _instances_built(fn, write), keys)


def _instances_built(fn: ast.AST, write: db.DbOp) -> list[ast.Call]:
    """The model instances an insert stores: built in its arguments, assigned to the name it saves, or the
    ``create(...)`` call itself."""
    names = _written_object_names(write)
    built = [a for a in (*write.call.args, *(k.value for k in write.call.keywords)) if isinstance(a, ast.Call)] + [
        node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)]
    if method_name(write.call) in ("create", "acreate"):
        built.append(write.call)
    return [c for c in built if c is write.call or (dotted(c.func) or "").split(".")[-1][:1].isupper()]


def _given_columns(fn: ast.AST, write: db.DbOp, built: list[ast.Call], columns: set[str], unpacked: bool = False) -> bool:
    """Whether the instances get one of ``columns`` as a keyword (or any, when ``unpacked``, through ``**values``)
    or by assignment (``label.id = ...``)."""
    names = _written_object_names(write)
    return any(k.arg is None and unpacked or k.arg is not None and k.arg.lower() in columns
               for c in built for k in c.keywords) or any(
        isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in names and t.attr.lower() in columns
        for node in walk_function_body(fn) if isinstance(node, ast.Assign) for t in node.targets)


def _key_columns_filtered(op: db.DbOp) -> set[str]:
    """The primary key columns (``id``, ``pk``) the read selects its row on: ``filter_by(id=...)``,
    ``get(pk=...)``, ``where(Label.id == ...)`` on its own model, ``WHERE id = %s``; not another object's
    ``provider.id`` compared with a column."""
    if op.sql:
        return PRIMARY_KEY_NAMES & (_filter_columns(op) or set())
    models = {t.split(".")[-1] for t in op.tables}
    filters = [n for n in ast.walk(op.call) if isinstance(n, ast.Call) and method_name(n) in (
        "where", "filter", "filter_by", "get", "get_or_none", "aget")]
    named = {k.arg.lower() for n in filters for k in n.keywords if k.arg}
    compared = {side.attr.lower() for n in filters for c in ast.walk(n) if isinstance(c, ast.Compare)
                for side in (c.left, *c.comparators) if isinstance(side, ast.Attribute)
                and (dotted(side.value) or "").split(".")[-1] in models}
    return PRIMARY_KEY_NAMES & (named | compared)


def _fresh_at_every_call(module: SourceModule, project: Project, fn: ast.AST, parameter: str, depth: int = 0) -> bool:
    """Whether each use of ``fn`` in the code base passes a freshly made id for ``parameter``: called
    directly, or handed on with its arguments (``AsyncTask(fn, user, job_id)``, ``chain.append(fn, ...)``);
    an id passed on from the caller's own parameter is followed up to three calls out."""
    positional = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if isinstance(module.parents.get(fn), ast.ClassDef) and not any(
            dotted(d) == "staticmethod" for d in fn.decorator_list):
        positional = positional[1:]
    if parameter not in positional or depth > 2:
        return False
    uses = function_uses(module, project, fn)
    for user, node, called in uses:
        call = user.parents.get(node)
        if not isinstance(call, ast.Call) or not called and node not in call.args:
            return False
        arguments = call.args if called else call.args[call.args.index(node) + 1:]
        index = positional.index(parameter)
        argument = next((k.value for k in call.keywords if k.arg == parameter), None) or (
            arguments[index] if index < len(arguments) and not any(
                isinstance(a, ast.Starred) for a in arguments[:index + 1]) else None)
        caller = enclosing_function(user, call)
        if argument is None or not (_makes_fresh_id(argument) or caller is not None and isinstance(argument, ast.Name) and (
                _bound_to_fresh_id(caller, argument.id)
                or _fresh_at_every_call(user, project, caller, argument.id, depth + 1))):
            return False
    return bool(uses)


def _makes_fresh_id(expression: ast.AST) -> bool:
    """``uuid.uuid4()``, ``str(uuid4())``, ``uuid4().hex``, ``secrets.token_hex(16)``."""
    while isinstance(expression, ast.Attribute) or isinstance(expression, ast.Call) and method_name(
            expression) == "str" and len(expression.args) == 1:
        expression = expression.value if isinstance(expression, ast.Attribute) else expression.args[0]
    return isinstance(expression, ast.Call) and method_name(expression) in FRESH_ID_MAKERS


def _bound_to_fresh_id(fn: ast.AST, name: str) -> bool:
    """Whether every assignment of ``name`` in ``fn`` makes a fresh id (and ``name`` is not a parameter)."""
    values = [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in node.targets)]
    parameters = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    return bool(values) and name not in parameters and all(_makes_fresh_id(v) for v in values)


def _appends_after_latest(module: SourceModule, fn: ast.AST, read: db.DbOp, names: set[str], write: db.DbOp) -> bool:
    """The newest row of a log (``order_by("-saved_at").first()``, ``latest()``) judged on its age or
    author (``if version and version.owner == user and age < 600: amend it``) before an insert: the
    insert appends a new entry, and two concurrent appends are two entries of the log, not a
    duplicate of one key. (A bare ``if latest is None`` before the insert stays a get-or-create.)"""
    ordered = read.method in ("latest", "earliest", "last") or any(
        isinstance(n, ast.Call) and method_name(n) == "order_by" for n in ast.walk(read.call))
    return ordered and write.kind == db.INSERT and any(
        isinstance(node, ast.If) and read.call.lineno <= node.lineno < write.call.lineno
        and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.test))
        and (not _existence_only(node.test) or _judged_by_call(node.test, names)) for node in walk_nodes(fn))


def _judged_by_call(test: ast.AST, names: set[str]) -> bool:
    """``should_amend(version=latest, user_id=...)``: a helper given the row judges it."""
    return isinstance(test, ast.Call) and any(
        isinstance(a, ast.Name) and a.id in names for a in [*test.args, *(k.value for k in test.keywords)])


def _validated_before(module: SourceModule, read: db.DbOp, write: db.DbOp) -> bool:
    """``serializer.is_valid(raise_exception=True)`` before the insert: it raises when its validators refuse."""
    return read.method in VALIDATION_CALLS and write.kind == db.INSERT and any(
        k.arg == "raise_exception" for k in read.call.keywords) and _follows(module, read.call, write.call)


def _refused_in_helper(module: SourceModule, project: Project, read: db.DbOp, write: db.DbOp) -> bool:
    """A validator helper that raises when its lookup finds the row (``ensure_free(team, user)``:
    ``if Seat.objects.filter(...).exists(): raise Taken``), called before the insert: the check
    and the act are in two functions, the race is the same."""
    return any(isinstance(node, ast.If) and isinstance(node.body[-1], ast.Raise) and _implies_found(
        node.test, True, lookup, names) for helper, lookup, names in _helper_lookups(module, project, read, write)
        for node in walk_nodes(helper))


def _free_value_from_helper(module: SourceModule, project: Project, fn: ast.AST, read: db.DbOp,
                            write: db.DbOp) -> bool:
    """A helper that picks a value no row holds yet: its lookup, finding nothing, returns the value
    (``tenant = await self.get_by_slug(slug)``, ``if tenant is None: return slug``), and the insert
    stores what it returned (``slug = await repo.get_available_slug(name)`` ... ``Tenant(slug=slug)``):
    two requests are handed the same free value."""
    return _carries(module, fn, write.call, _result_names(module, fn, read)) and any(
        isinstance(node, ast.If) and isinstance(node.body[-1], ast.Return) and not is_none(
            node.body[-1].value) and _missing_test(node.test, names)
        for helper, lookup, names in _helper_lookups(module, project, read, write) for node in walk_nodes(helper))


def _helper_lookups(module: SourceModule, project: Project, read: db.DbOp, write: db.DbOp
                    ) -> Iterator[tuple[ast.AST, db.DbOp, set[str]]]:
    """The lookups of the read's table in the helper ``read`` calls, before an insert, with the names
    holding their answer: (helper, lookup, names)."""
    if not read.through or write.kind != db.INSERT or not _follows(module, read.call, write.call):
        return
    resolved = db.resolve_function(module, project, read.call, reexports=True)
    if resolved is None:
        return
    helper_module, helper = resolved
    for lookup in db.expanded_ops(helper_module, project, helper):
        if lookup.is_read and any(db.same_table(a, b) for a in lookup.tables for b in read.tables):
            yield helper, lookup, _result_names(helper_module, helper, lookup)


def _follows(module: SourceModule, first: ast.AST, later: ast.AST) -> bool:
    """Whether ``later`` is in a statement after the one holding ``first``, in its block or one around it."""
    statement = _statement_of(module, first)
    chain = {id(a) for a in ancestors(module, later)} | {id(later)}
    block = next((getattr(module.parents.get(statement), f, None) for f in ("body", "orelse", "finalbody", "handlers")
                  if statement in (getattr(module.parents.get(statement), f, None) or [])), None)
    return block is not None and any(id(s) in chain for s in block[block.index(statement) + 1:])


def _built_when_missing(module: SourceModule, fn: ast.AST, read: db.DbOp, names: set[str], write: db.DbOp) -> bool:
    """An inline get-or-create whose insert follows the branch: ``row = query.first()``, ``if not
    row: row = Model(...)`` (or ``try: row = Model.objects.get(...)``, ``except Model.DoesNotExist: row =
    Model(...)``), then ``session.add(row)`` (or ``row.save()``) after the ``if``/``try``: the new
    instance is built only when the read found nothing."""
    given = _written_object_names(write) & names
    for node in walk_nodes(fn):
        if not isinstance(node, (ast.If, ast.Try)) or (node.end_lineno or node.lineno) >= write.call.lineno:
            continue
        if isinstance(node, ast.Try):
            missing_branch = [s for h in node.handlers if _catches_missing_row(h) for s in h.body] if _within(
                module, read.call, node, "body") else []
        elif not read.call.lineno <= node.lineno:
            continue
        else:
            missing_branch = node.body if _missing_test(node.test, given) else node.orelse if _found_test(
                node.test, given) else []
        for statement in missing_branch:
            value = statement.value.value if isinstance(statement, ast.Assign) and isinstance(
                statement.value, ast.Await) else getattr(statement, "value", None)
            if isinstance(statement, ast.Assign) and isinstance(value, ast.Call) and any(
                    isinstance(t, ast.Name) and t.id in given for t in statement.targets) and (
                    dotted(value.func) or "").split(".")[-1][:1].isupper():
                return _runs_after(module, node, write.call)
    return False


def _missing_test(test: ast.AST, names: set[str]) -> bool:
    """``not x`` or ``x is None`` for one of ``names``."""
    tested = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else \
        test.left if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) and \
        is_none(test.comparators[0]) else None
    return isinstance(tested, ast.Name) and tested.id in names


def _found_test(test: ast.AST, names: set[str]) -> bool:
    """``x`` or ``x is not None`` for one of ``names`` (its ``else`` runs when the row is missing)."""
    tested = test.left if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(
        test.ops[0], ast.IsNot) and is_none(test.comparators[0]) else test
    return isinstance(tested, ast.Name) and tested.id in names


def _statement_of(module: SourceModule, node: ast.AST) -> ast.stmt | None:
    for parent in [node, *ancestors(module, node)]:
        if isinstance(parent, ast.stmt):
            return parent
    return None


def _result_names(module: SourceModule, fn: ast.AST, read: db.DbOp) -> set[str]:
    """Names that hold what ``read`` returned: its assignment targets, or a cursor's later fetch."""
    names: set[str] = set()
    statement = _statement_of(module, read.call)
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        names |= {n.id for t in targets for n in walk_nodes(t) if isinstance(n, ast.Name)}
    names |= _fetched_from(module, fn, read, names)
    receiver = read.receiver
    if receiver:
        for node in walk_nodes(fn):
            if isinstance(node, ast.Assign) and node.lineno >= read.call.lineno and any(
                isinstance(c, ast.Call) and method_name(c) in FETCH_METHODS and isinstance(c.func, ast.Attribute)
                and ast.unparse(c.func.value) == receiver
                for c in walk_nodes(node.value)
            ):
                names |= {n.id for t in node.targets for n in walk_nodes(t) if isinstance(n, ast.Name)}
    return names


def _fetched_from(module: SourceModule, fn: ast.AST, read: db.DbOp, results: set[str]) -> set[str]:
    """Names bound to a row or value fetched from a result the read returned (``result = await
    session.execute(query)``, then ``row = result.scalar()`` or ``result.scalars().first()``)."""
    fetched: set[str] = set()
    for node in walk_nodes(fn):
        if isinstance(node, ast.Assign) and node.lineno > read.call.lineno and _fetches_from(
                module, fn, node.value, read, results):
            fetched |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return fetched


def _fetches_from(module: SourceModule, fn: ast.AST, value: ast.AST, read: db.DbOp, results: set[str] | None) -> bool:
    """``result.scalar()`` (``result.scalars().first()``) where ``result`` holds what ``read`` returned
    (one of ``results``, when given)."""
    value = value.value if isinstance(value, ast.Await) else value
    root = value
    while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) and method_name(root) in FETCH_METHODS | {
            "scalars", "mappings", "unique", "tuples"}:
        root = root.func.value
    if root is value or not isinstance(root, ast.Name) or results is not None and root.id not in results:
        return False
    bound = db.reaching_binding(module, fn, root)
    if bound is None:
        statement = _statement_of(module, read.call)
        return isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == root.id for t in statement.targets)
    return any(n is read.call for n in walk_nodes(bound))


def _holds_read(module: SourceModule, fn: ast.AST, bound: ast.AST, read: db.DbOp) -> bool:
    """Whether the value bound to a name is what ``read`` returned, directly or fetched from its result."""
    return any(n is read.call for n in walk_nodes(bound)) or _fetches_from(module, fn, bound, read, None)


def _flags(module: SourceModule, fn: ast.AST, read: db.DbOp, names: set[str], write: db.DbOp) -> set[str]:
    """Names set in a branch taken on the read's answer (``if taken is None: chosen = alias; break``):
    a later ``if chosen is None: raise`` before the write decides on the read through them."""
    flags: set[str] = set()
    receiver_fetch = read.receiver is not None and read.api == "sql"
    for node in walk_nodes(fn):
        if isinstance(node, ast.If) and read.call.lineno <= node.lineno < write.call.lineno and not _within_node(
                module, write.call, node) and _test_uses(module, fn, node.test, read, names, receiver_fetch):
            flags |= {t.id for statement in walk_nodes(node) if isinstance(statement, ast.Assign)
                      for t in statement.targets if isinstance(t, ast.Name)}
    return flags - names


def _within_node(module: SourceModule, node: ast.AST, holder: ast.AST) -> bool:
    return any(a is holder for a in ancestors(module, node))


def _test_uses(module: SourceModule, fn: ast.AST, test: ast.AST, read: db.DbOp, names: set[str],
               receiver_fetch: bool, flags: bool = False) -> bool:
    """Whether an ``if`` test decides on what the read found: the row itself, its presence, a count.

    ``if user:``, ``if row is None``, ``if balance >= amount`` decide on the read; ``if
    check.project != project`` inspects an attribute of a row that was only fetched to be
    used, which is not the check of a check-then-act; nor does a name reused for the result
    of another query by the time of the test (``record = await conn.fetchrow(other)``).
    """
    attribute_bases = {id(n.value) for n in walk_nodes(test) if isinstance(n, (ast.Attribute, ast.Subscript))}
    for node in walk_nodes(test):
        if node is read.call:
            return True
        if isinstance(node, ast.Name) and node.id in names and id(node) not in attribute_bases:
            if flags:
                return True  # set from the read's answer (see _flags)
            bound = db.reaching_binding(module, fn, node)
            if bound is not None and not _holds_read(module, fn, bound, read):
                continue
            return True
        if receiver_fetch and isinstance(node, ast.Call) and method_name(node) in FETCH_METHODS and isinstance(
            node.func, ast.Attribute
        ) and ast.unparse(node.func.value) == read.receiver:
            return True
        if not flags and _fetched_inline(node, names):
            return True  # ``if result.scalar_one_or_none() is not None``: the row fetched in the test
    return False


def _fetched_inline(node: ast.AST, names: set[str]) -> bool:
    """``result.scalar_one_or_none()``, ``result.scalars().first()`` on a name holding what the read
    returned (``result = await session.execute(select(...))``): the row fetched where it is tested."""
    if not (isinstance(node, ast.Call) and method_name(node) in FETCH_METHODS):
        return False
    root = node
    while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) and method_name(root) in FETCH_METHODS | {
            "scalars", "mappings", "unique", "tuples"}:
        root = root.func.value
    return root is not node and isinstance(root, ast.Name) and root.id in names


def _write_depends_on(module: SourceModule, fn: ast.AST, read: db.DbOp, names: set[str], write: db.DbOp,
                      flags: bool = False, columns: Columns | None = None) -> bool:
    receiver_fetch = read.receiver is not None and read.api == "sql" and not flags
    for parent in ancestors(module, write.call):
        if parent is fn:
            break
        if isinstance(parent, ast.ExceptHandler) and _catches_missing_row(parent) and _within(
                module, read.call, module.parents.get(parent), "body"):
            return True  # try: row = get(...) / except DoesNotExist: create(...)
        if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or) and isinstance(
                parent.values[0], ast.Name) and parent.values[0].id in names and not flags:
            return True  # ``found or Model(...)``: built when the read found nothing
        if isinstance(parent, (ast.If, ast.IfExp, ast.While)) and parent.lineno >= read.call.lineno:
            runs_when_true = None if flags else not isinstance(parent, ast.If) or _within(
                module, write.call, parent, "body")
            if _test_uses(module, fn, parent.test, read, names, receiver_fetch, flags) and _decides(
                    parent.test, read, write, names, runs_when_true, columns):
                return True
    for node in walk_nodes(fn):
        if isinstance(node, ast.Try) and _leaves(node.body) and _within(
                module, read.call, node, "body") and any(_catches_missing_row(h) for h in node.handlers) and (
                node.end_lineno or node.lineno) < write.call.lineno and _runs_after(module, node, write.call):
            return True  # try: get_by_email(...); raise AlreadyExists (continue) / except DoesNotExist: pass -- then create
        if not isinstance(node, ast.If) or not (read.call.lineno <= node.lineno < write.call.lineno):
            continue
        if node.end_lineno and node.end_lineno >= write.call.lineno:
            continue
        if (_test_uses(module, fn, node.test, read, names, receiver_fetch, flags) or not flags and _checks_looped_row(
                module, fn, node, read, names)) and _leaves(node.body) and _runs_after(module, node, write.call) and \
                _decides(node.test, read, write, names, None if flags else False, columns):
            return True
    return False


def _checks_looped_row(module: SourceModule, fn: ast.AST, test: ast.If, read: db.DbOp, names: set[str]) -> bool:
    """An ``if`` in a loop over the rows the read found that tests the row (``for booking in
    Booking.objects.filter(room=room): if booking.start < end and start < booking.end: raise``):
    the insert after the loop is decided on every row found, and two requests both find none
    in the way."""
    for loop in ancestors(module, test):
        if loop is fn:
            return False
        if isinstance(loop, (ast.For, ast.AsyncFor)) and isinstance(loop.target, ast.Name) and (
                any(n is read.call for n in ast.walk(loop.iter))
                or isinstance(loop.iter, ast.Name) and loop.iter.id in names) and any(
                isinstance(n, ast.Name) and n.id == loop.target.id for n in ast.walk(test.test)):
            return True
    return False


def _decides(test: ast.AST, read: db.DbOp, write: db.DbOp, names: set[str], runs_when_true: bool | None,
             columns: Columns | None = None) -> bool:
    """Whether the write, run when ``test`` is ``runs_when_true`` (None: a test of a flag set from the
    read, whose sense is not the read's), acts on what the read decided.

    An INSERT run only when the row was found (``if original is None: return 404`` ... ``copy =
    Asset.objects.create(...)``; ``if updates: write(updates)``) adds a new row beside an existing
    one: two concurrent requests each add theirs, as each asked; no check is bypassed.
    An UPDATE after a mere existence check (``if row is None: raise NotFound``) of a row read by
    key only races if it moves the state the read selected on (``SELECT ... WHERE status = 'paid'``
    then ``UPDATE ... SET status = 'shipped'``: two workers claim the same rows); setting other
    columns of a row that exists is not a decision on what was read. An UPDATE whose statement the code does
    not show (a statement builder's ``UpdateProcessor("users", ...).execute()``) is taken as setting other
    columns: it is reported after a check that finds the row in the way (a rename to a taken name), not
    after one that finds the row it then changes."""
    if write.kind == db.INSERT or write.kind == db.UPDATE and write.built and columns is None:
        return runs_when_true is None or not _implies_found(test, runs_when_true, read, names)
    if write.kind != db.UPDATE or not _existence_only(test) or columns is None:
        return True
    filtered, changed = columns
    return bool(filtered & changed or _tested_columns(test) & changed)


def _recomputed_from_row(fn: ast.AST, read: db.DbOp, names: set[str], write: db.DbOp) -> bool:
    """An UPDATE through a helper handed only the row just read and the key it was read by
    (``elif episode.subtitles is None: store_subtitles(episode.path, mapped(episode.path))``,
    ``list_missing_subtitles(epno=episode_id)``): the helper re-derives the row's columns from the
    row's own data (a re-index, a cache refill), so two runs write the same thing -- no decision is
    lost. Not with arithmetic in the arguments (``set_count(row.id, row.count + 1)``: a lost update),
    nor with the request's data (``set_owner(row.id, request.json["owner"])``)."""
    if write.kind != db.UPDATE or not write.through:
        return False
    arguments = [*write.call.args, *(k.value for k in write.call.keywords)]
    if not arguments or any(isinstance(n, ast.BinOp) for a in arguments for n in ast.walk(a)):
        return False
    local = {a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)} | {
        t.id for t in walk_nodes(fn) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
    keys: set[str] = set()
    found = {n.id for n in ast.walk(read.call) if isinstance(n, ast.Name)}
    while found - keys:  # the names the read's statement is built of (stmt, its conditions, their key)
        keys |= found
        found = keys | {n.id for statement in walk_nodes(fn) if isinstance(statement, (ast.Assign, ast.AugAssign))
                        and any(isinstance(t, ast.Name) and t.id in keys for t in (
                            statement.targets if isinstance(statement, ast.Assign) else [statement.target]))
                        for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
    derived = names | keys
    assigned: dict[str, list[set[str]]] = {}
    for statement in walk_nodes(fn):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            assigned.setdefault(statement.targets[0].id, []).append(
                {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)})
    grown = True
    while grown:  # locals built only of the row, its key and module names (path = mapped(row.path))
        grown = False
        for name, values in assigned.items():
            if name not in derived and name in local and all(v <= derived | (v - local) for v in values):
                derived, grown = derived | {name}, True
    used = {n.id for a in arguments for n in ast.walk(a) if isinstance(n, ast.Name)}
    # a module's name only as the function applied to them (``path_mappings.path_replace(row.path)``), not
    # as a source of data (``request.json["url"]``)
    applied = {n.id for a in arguments for c in ast.walk(a) if isinstance(c, ast.Call) for n in ast.walk(c.func)
               if isinstance(n, ast.Name)}
    return bool(used & derived) and used <= derived | (applied - local)


Columns = tuple[set[str], set[str]]  # the columns a read selects rows on, the columns an UPDATE sets


def _update_columns(module: SourceModule, project: Project, read: db.DbOp, write: db.DbOp) -> Columns | None:
    """The columns ``read`` selects its rows on and those the UPDATE ``write`` sets, from their SQL
    (``WHERE``, ``SET``) or their SQLAlchemy Core chains (``select(...).where(T.id == id)``,
    ``update(T).values(ffprobe_cache=...)``), followed into the helper each goes through
    (``store_subtitles(path)``, whose own ``UPDATE`` sets the subtitle columns): None when either is unknown."""
    read_op = _origin(module, project, read) if read.through and not read.sql else (module, read)
    write_op = _origin(module, project, write) if write.through and not write.sql else (module, write)
    if read_op is None or write_op is None:
        return None
    filtered, changed = _filter_columns(read_op[1], read_op[0]), _set_columns(write_op[1])
    return None if filtered is None or not (changed or write_op[1].sql) else (filtered, changed)


def _filter_columns(op: db.DbOp, module: SourceModule | None = None) -> set[str] | None:
    """The columns a read selects its rows on; with its ``module``, also in a statement built beforehand and
    handed to it (``query = select(Interest).where(Interest.id == interest_id)``, ``db.fetch_one(query)``)."""
    if op.sql:
        where = re.search(r"\bwhere\b(.*)", op.sql, re.I | re.S)
        return {c.lower() for c in re.findall(r"(\w+)\s*(?:=|<|>|!=|\bin\b|\bis\b)", where.group(1), re.I)} if where else None
    fn = enclosing_function(module, op.call) if module is not None else None
    handed = _sql_names(fn, op.call) if fn is not None else set()
    sources = [op.call] + [node.value for node in walk_function_body(fn) if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id in handed for t in node.targets)] if handed else [op.call]
    filters = [n for source in sources for n in ast.walk(source) if isinstance(n, ast.Call) and method_name(n) in (
        "where", "filter", "filter_by")]
    if not filters:
        return None
    return {side.attr.lower() for n in filters for c in ast.walk(n) if isinstance(c, ast.Compare)
            for side in (c.left, *c.comparators) if isinstance(side, ast.Attribute)} | {
        k.arg.lower() for n in filters for k in n.keywords if k.arg}


def _set_columns(op: db.DbOp) -> set[str]:
    if op.sql:
        assigned = re.search(r"\bset\b(.*?)(\bwhere\b|$)", op.sql, re.I | re.S)
        return {c.lower() for c in re.findall(r"(\w+)\s*=", assigned.group(1))} if assigned else set()
    return {k.arg.lower() for n in ast.walk(op.call) if isinstance(n, ast.Call) and method_name(n) == "values"
            for k in n.keywords if k.arg}


def _tested_columns(test: ast.AST) -> set[str]:
    """Columns of the read row an ``if`` tests (``config.webhook_url is not None``,
    ``row["owner_id"]``): a NULL check of a column the UPDATE then sets is a decision on its state
    (create the webhook only if none is stored yet), not a check that the row exists."""
    columns = {n.attr.lower() for n in ast.walk(test) if isinstance(n, ast.Attribute)}
    return columns | {n.slice.value.lower() for n in ast.walk(test) if isinstance(n, ast.Subscript) and isinstance(
        n.slice, ast.Constant) and isinstance(n.slice.value, str)}


def _implies_found(test: ast.AST, holds: bool, read: db.DbOp, names: set[str]) -> bool:
    """Whether ``test`` being ``holds`` means the row ``read`` looked for was found: true for ``row``,
    ``row is not None``, ``qs.exists()``, ``key in {r.id for r in rows}`` (also within ``and``); false for
    ``not row``, ``row is None``, ``key not in ...`` (also within ``or``)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _implies_found(test.operand, not holds, read, names)
    if isinstance(test, ast.BoolOp):
        return isinstance(test.op, ast.And if holds else ast.Or) and any(
            _implies_found(v, holds, read, names) for v in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and is_none(test.comparators[0]) and isinstance(
            test.ops[0], (ast.Is, ast.IsNot)):
        return _names_the_row(test.left, read, names) and isinstance(test.ops[0], ast.IsNot) is holds
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.In, ast.NotIn)):
        return _built_of(test.comparators[0], names) and isinstance(test.ops[0], ast.In) is holds
    if isinstance(test, ast.Call) and method_name(test) == "__contains__" and isinstance(test.func, ast.Attribute):
        return holds and _built_of(test.func.value, names)
    return holds and _names_the_row(test, read, names)


def _built_of(expression: ast.AST, names: set[str]) -> bool:
    """Whether ``expression`` uses one of ``names`` (``{str(row.id) for row in rows}``)."""
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expression))


def _names_the_row(node: ast.AST, read: db.DbOp, names: set[str]) -> bool:
    """``row`` for a name in ``names`` holding what ``read`` found, or the read itself (``qs.exists()``)."""
    return isinstance(node, ast.Name) and node.id in names or node is read.call and read.method not in VALIDATION_CALLS or (
        _fetched_inline(node, names))


def _existence_only(test: ast.AST) -> bool:
    """``x``, ``not x``, ``x is None``, ``x is not None`` (and their ``and``/``or``): presence, not value."""
    if isinstance(test, ast.BoolOp):
        return all(_existence_only(v) for v in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _existence_only(test.operand)
    if isinstance(test, ast.Compare):
        return len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)) and is_none(test.comparators[0])
    return isinstance(test, (ast.Name, ast.Attribute, ast.Call))


def _catches_missing_row(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    types = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught is not None else []
    return any(MISSING_ROW.search(dotted(t) or "") for t in types)


def _within(module: SourceModule, node: ast.AST, holder: ast.AST | None, field_name: str) -> bool:
    block = getattr(holder, field_name, None) if holder is not None else None
    if not isinstance(block, list):
        return False
    chain = {id(a) for a in ancestors(module, node)} | {id(node)}
    return any(id(statement) in chain for statement in block)


def _runs_after(module: SourceModule, guard: ast.If | ast.Try, node: ast.AST) -> bool:
    """Whether ``node`` is in a statement that follows ``guard`` in the same block (so the guard's
    early exit protects it), not in another branch. A guard that leaves the function (``raise``,
    ``return``) also protects what follows the blocks around it (``if account: if taken: raise``
    ... ``create(account)``)."""
    chain = {id(a) for a in ancestors(module, node)} | {id(node)}
    leaves_function = isinstance(guard.body[-1], (ast.Raise, ast.Return)) or _leaves(guard.body) and not isinstance(
        guard.body[-1], (ast.Continue, ast.Break))
    current = guard
    while True:
        parent = module.parents.get(current)
        if parent is None:
            return False
        for field_name in ("body", "orelse", "finalbody"):
            block = getattr(parent, field_name, None)
            if isinstance(block, list) and current in block:
                if any(id(statement) in chain for statement in block[block.index(current) + 1:]):
                    return True
        if not leaves_function or isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) or id(parent) in chain:
            return False
        current = parent


def _copies_rows(module: SourceModule, read_names: set[str], write: db.DbOp) -> bool:
    """An insert inside a loop over what was read copies or derives rows; it does not act on a check.
    (An update of the rows read is the claim race of a job queue, and stays reported.)"""
    if write.kind != db.INSERT:
        return False
    for parent in ancestors(module, write.call):
        if isinstance(parent, (ast.For, ast.AsyncFor)) and {
            n.id for n in walk_nodes(parent.iter) if isinstance(n, ast.Name)
        } & read_names:
            return True
    return False


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always leaves: ends with raise/return/continue/break or an abort() call."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, EXITS):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        return method_name(last.value) in ("abort", "abort_json")
    return False
