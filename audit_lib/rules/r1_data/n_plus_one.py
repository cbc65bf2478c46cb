"""R1.n-plus-one: one query per row, inside a loop over rows or request data.

## What it does
Reports a query run once per row, inside a loop over rows or request data. It looks for a
database call (`execute`, `fetch*`, ORM `get`/`query`/`filter`/`scalars`, a SQLAlchemy `Query`'s `.all()`
bound to a name, `files = session.query(File).filter_by(folder_id=f.id).all()` (only Django's `all()` is lazy),
session lookups, asyncpg and aiosql calls; also a method of the code base's own database layer, a project class
whose methods run statements through the driver: `db.select_single(sql, args)`, `db.upsert("plays", values, keys)`,
`self.datastore.get(fqid)` on an interface whose one implementation queries; a statement builder of the code base,
a class that builds its statement from its state and runs it, `QueryProcessor(tables=["build"], clauses=[...]).execute()`
or `UpdateProcessor("tag_listing", ...).execute()` (the table its constructor names; not with a clause
`id IN %(ids)s`: one query for many keys), and a function that runs the SQL it is handed,
`_singleValue("SELECT owner FROM build WHERE id = %(id)i", values)`; a read of the storage layer on
its storage object, `await self.store.get_account(account_id)`, `self.master.db.queues.getQueue(queue_id)`, whose
method every class defining it implements by querying through its pool (see `audit_lib.libs.storage`; not a
memoised one, `@cached`/`@lru_cache` or reading only through such a method of its class: repeated keys are
answered from memory); a method of the project's wrapper of its connection called on a name that reads like a
connection, `status, res = conn.execute_dict(sql)`, `self.conn.execute_scalar(sql)`, which every class defining
it implements by handing the statement it is given to the driver (not `conn.cancel_transaction(conn_id)`, which
runs one of its own), whose result holds the rows it fetched (`res["rows"]`); a method of a model's declarative
base, `Package.get(name)` on `Base = declarative_base(cls=ModelBase)`) made inside a `for` loop or a comprehension
whose items come from database rows (`for row in self:` in a method of a Django `QuerySet`
subclass too), from the request (also a parameter of a function of the same file that a
request handler passes its request data to: `self.add_tags(instance, validated_data.pop("tags"))`, and what
a function of the code base returns from the request: `body = validate_request_body(Schema)`; a parameter of a
function of any file that a request handler hands what it decoded from the request, directly or through one more
function, `config = json.loads(data)` then `read_host_config(session, config)` (not a path parameter the handler
hands on, `project_id`: one value); the arguments
of a GraphQL resolver, `@strawberry.mutation`/`@strawberry.field` or graphene's `mutate(root, info, ...)`; a
Django form's `cleaned_data`, a DRF serializer's `validated_data`, cornice's `request.validated`, Pyramid's
`request.json_body` and flask-restx's `parser.parse_args()`; the parameters coaster's
`@requestform(("sessions", json.loads))`/`@requestargs`/`@requestvalues` fill from the request; the `queryset` of a Django admin action,
the rows ticked in the change list),
from the rows of an imported file
(`csv.reader`/`csv.DictReader`; also handed to a function a request handler picks from a
dispatch table, `loaders[kind](reader)`, whose parameters are the request's data), from the items another service
returned (`r.json()["entries"]` of a response the function got: a remote folder's files, an API's list; also
what a helper of the code base yields or collects from such responses, page after page:
`for data in get_paginated(url): Muscle.objects.get(pk=data["muscle"])`), from the
files of a folder (`os.listdir(path)`, `glob.glob(pattern)`) or from a
list of keys the function is handed
(`ids: List[str]`, `names: list[int]`, `users: set[UserID]`, pairs of keys: `list[tuple[str, str]]`: one lookup per
key where one `IN` would do; not the values a click command's `@click.argument("names", nargs=-1)` fills from
its command line, the few an operator typed) or named as one (`meeting_ids`, `committee["forward_to_committee_ids"]`,
`instance.get("ids")`),
or of records another service sent, decoded into a class of the project (`receipts: list[ReadReceipt]` of a
pydantic or serializable class; not in a method of such a record class itself, whose records are parts of
that one record: a workflow node's `control: list[ControlField]` inputs), from the lists of
a JSON payload decoded in a module of Celery tasks (`json.loads(requested_data).get("issues")`; not the
payload's own keys, the fields of one change) or of rows of a
model of the project it is handed (`users: list[User]`, `topics: Iterable["Topic"]`; a name an assignment
fills: `by_id[key] = rows` fills `by_id`, `self.stats[camera] = query` fills neither `self` nor `camera`;
a comprehension holds the items of what it iterates, not of what filters them: `[f for f in CATALOG if
f["name"] == provider.name]` is entries of a constant catalog),
directly or through a helper function of the same code base that queries and returns what it read
(`return [r.id for r in rows]`, rows it appends to a list, also rows it gets from helpers of its own:
`followees = Watch.watched_by(uid)`, whose classmethods build the query and unwrap its rows; not
`prepare_authors(text)`, which looks each name up and returns the names it split from its text) (also through the code base's
own database layer: `rows = db.select(query)`, a method of a project class that runs the statement it is
handed through the driver and returns the rows it fetched, or the `rows` of the result object such a
method returns: `tables = self.query(sql).rows`, and a list the function fills with them,
`tbs.append(dict(zip(columns, row)))`; not `db.select_single(...)`, one row whose
columns are no list of items; or returns the
rows of a query it assembles through several names, or hands the query it builds to another
function that runs it: `return one_or_abort(query)`, three helpers deep, or returns a SQLAlchemy
1.x `Query` that runs when iterated: `return self.ordered(Model.query.filter(...))`), also a method of a
service looked up with pyramid_services (`request.find_service(name="user").fetch(userid)`, through the
factory the project registers) or of an object named after a class of the project whose method of that
name reads (`request.registry.storage.list_all(...)` and a `Storage` backend running SQL), or of an object a module
of the project creates at its top level (`db = Database()`) whose class only declares the method (its body raises
`NotImplementedError`) and a project subclass implements it with a read (a backend chosen at run time), called
directly or through a project helper (`Alert.find_by_id(id)` whose body is `db.get_alert(id)`). In Django code
a `@property` of the model that returns a queryset is followed, and a queryset chain counts
as rows and as a query wherever it is run (also iterated by a loop: `for r in reports.filter(user=user):` per
user), even when its model is not known (`books.filter(...).distinct()`,
`results.filter(work=w).first()`, `helper(user).first()`, `Model.objects.filter(path=p)[0]`: an index, not a
slice, runs it), and a method of the project's models that
queries and writes nothing but its own row (`self.save()` of the counts it read), called on each row
(`for c in couriers: c.open_parcel_count()`), is a query
even when the row's class is not known (the method's name is one only models define). For Django it
also reads the relations of the project's models: a related manager used on each row (`order.lines.all()`,
`day.slots.filter(...).count()`) or a foreign key loaded on each row (`line.order.customer`)
of a loop over a queryset (`Model.objects...` or a related manager such as
`routine.days.all()`, or what a queryset method of the project returns: `events = qs.close(actor)`,
`Incident.objects.open()`, `user.incidents()`; a bare `event.incident` counts on such a loop, not on one
row's related manager, nor when another model has a plain column of that name) that does not
`prefetch_related`/`select_related` that relation
(`select_related()` without names joins foreign keys only, not reverse sets); a related manager read that
queries whatever was prefetched (`team.members.all().values_list("user_id")`, `.filter(...)`: a prefetch fills
`.all()` only) is reported whatever the loop's queryset loads. A field the model of the loop's rows declares as a
value (`blob.blob.size` for `blob` in `FileBlob.objects.filter(...)`, a `FileField`: its file in storage) is no
relation, even when another model has a foreign key of that name. A nested path
counts for a loop over a related manager inside a loop over the outer rows
(`prefetch_related("stories__board")` covers `story.board` for `story in epic.stories.all()`),
or on the query the outer row was read by (`competition = qs.get(id=pk)` of
`qs = Competition.objects.prefetch_related("dumps__dataset")`, then `dump.dataset` for each of
`competition.dumps.all()`); the values of a dict `in_bulk()` filled are the rows of its queryset, with what it
prefetched (`by_key = qs.prefetch_related("jobs").in_bulk(keys)`, `for jr in by_key.values()`), and the
dict's `by_key.get(key)` is a lookup in memory, no query,
and so does such a path in an eager-loading list the enclosing class declares
(`PREFETCH_RELATED = [...]` on a serializer), or that every other file importing the serializer
prefetches on its querysets, directly or through a project method that does
(`Epic.objects.with_boards()` whose body is `prefetch_related("stories__board")`), or, for a plain function
handed the outer row (`def tag_names(board)`), that every caller prefetches on the rows it hands down, or every
caller of those callers (three levels up). A loop over an attribute of a parameter typed as a class of the project
that is no model (`record: NoticeRecord`, a dataclass) iterates values it holds, not a model property's rows. A bare
attribute of a Django row iterated
without `.all()` (`template.reminders`) is a field's value (a JSON list), not a related
manager, and `a - b` holds only the items of `a` (`set(DEFAULTS) - set(stored)` is a
constant set). A model
`@property` defined by a single model class is followed: one that returns a queryset is
iterated rows (`for v in exercise.variations:`), one that runs a query (`return self.editions.order_by(...)
.first()`, `return Network.objects.get(asn=self.asn)` in a `try`, or another such property of its row read:
`if self.peeringdb_network: return self.peeringdb_network.policy`; a `cached_property` too, once per row) is a query
on each row that reads it. When the loop's rows are of a known model (`Model.objects...`, or a related manager:
`for a in self.autonomous_systems.all()`), that model's property of the name is the one read, whichever other models
define one or a foreign key of that name; a property of the rows' model that reads only its fields is no query,
nor is a name the project's models declare as a field holding a value (`job.status`, a `TextField`) when the one
property of that name belongs to a class that is no model (a form wizard page's `status`).
A model method that reads such a property of its row (`network = self.peeringdb_network`) reads too, and so
does a method or property that queries a relation of its row whatever was prefetched
(`list(self.members.values_list("user_id"))`, `self.members.aggregate(...)`). For
SQLAlchemy it reads the models' `relationship()` declarations: a lazy relationship (the
default `lazy="select"`, `backref`s included) used on each row of a loop over a query's
rows (`solve.challenge.value`, `len(team.members)`; the rows of `.all()` or of a 1.x `Query` iterated as it
is: `for team in self.db.query(orm.Team).filter(...)`, `for m in Mapping.all()` of a model classmethod, also
what a project function returns from the query it builds: `for repo in get_repositories(session)` whose body is
`query = session.query(Repository)...; return query.all()`) that the
query does not load eagerly
(`joinedload`/`selectinload`/...; loader options built elsewhere, `.options(*self._options())`, may
load it and count as loading). For peewee it reads the models' foreign keys (`ForeignKeyField`,
`DeferredForeignKey` and the project's subclasses of `ForeignKeyField`): `book.author.name` on each row of a
loop over a `Model.select()` (also one a project function builds and returns) loads the author row once per
row, unless the query selects that model (`.select(Book, Author).join(Author)`; a join alone does not fill
it), the rows are `prefetch()`ed or are dicts/tuples, or the field says `lazy_load=False`; `book.author_id`
reads the key column. Rows rendered one by one through project code count too: a
model method (`[t.to_dict() for t in Task.query.all()]`), a model `@property` or a function handed the
row (`serialize_task(t)`, a method of the same class: `[self.team_model(t) for t in query]`) that reads a lazy relationship of the row or runs a query, followed through the
methods and helpers it hands the row to (two calls deep), unless the rows' query (or the project
function that returns them: `Alert.all(org)`, `cards = open_cards()`) loads that relationship eagerly,
the loop body reads it itself, the loop uses the item as a mapping (`"region" in item`, `item["word"]`: a dict a
helper built, whose `item.get("word")` is `dict.get`), the read sits under an `if relations:` flag the call leaves at its False
default (also when a helper is handed that flag, `self.variation(v, with_users=with_users)`, or leaves before the read
while it is off: `if not (with_users and v.get("user_id")): return v`), or the call is a statement whose value is not used (a unit of work on the row: `user.ban()`)
or changes the row, writes, commits or calls another service.

A Django `qs.prefetch_related(...)`/`select_related(...)` written as a statement is reported: the queryset
method returns a new queryset and leaves `qs` as it was, so the eager load is thrown away and each row of `qs`
loads those relations with a query of its own (`qs = qs.prefetch_related(...)` was meant); not when `qs` is
the view's `super().get_queryset()` and the class's `queryset = ...` already loads what it names (a line with
no effect).

A many-to-many or reverse relation of each row changed through its related manager (`for f in foods:
f.onhand_users.add(*users)`, `.remove(...)`, `.set(...)`, `.clear()`) in a loop over rows is a write per row where
one `bulk_create` of the through model would do. A Django row deleted (`for tag in unused: tag.delete()`) or saved with the same change for every row
(`b.archived = True; b.save()`, values that use no name the loop binds) as a statement of a loop over rows is
a write per row where one `queryset.delete()`/`.update(...)` would do; not when a model of the project
overrides that method (the row's class is not known, and its override is logic `queryset.delete()` would skip).

A query on a connection the loop opens for each item (`temp_conn = manager.connection(database=row["datname"])`,
then `temp_conn.execute_dict(sql)` or a helper handed `temp_conn`) goes to another database each time, which no
single query reaches: not reported.

A loop whose body runs several such queries is reported once, at its first query, with the lines of
the others: the loop is what to change. The message names the table the query reads or writes; a table
the statement takes from a placeholder (`"UPDATE %s SET ..." % table`) is named by what fills it in
(`update {table}`).

Methods the framework calls once per row of a list count as loops: a Django admin method named in
`list_display` (the change list calls it for every row; a model property or method named there that
queries is reported at its `list_display` entry) and a DRF serializer's `get_<field>` of a
`SerializerMethodField` or its `to_representation`, when the serializer renders lists (`many=True`, the
`serializer_class` of a list view, unless the view's serializer chooser returns another one under
`if self.action == "list":`, or its `get_queryset` filters on a one-to-one field,
`Basket.objects.filter(user=self.request.user)`: a list of one row). A related manager read on the row (`obj.comments.count()`), a
foreign key followed from it (`obj.assignee.username`), a model property of the row that queries and a
query the method runs itself (also on a queryset of the row it built first: `orders = Order.objects.filter(
project=obj)`, then `orders.aggregate(...)`) are reported, unless the admin's `get_queryset`/`list_select_related`
(for a serializer: some queryset of the project) loads that relation (a nested path it prefetches,
`prefetch_related("patentcountry_set__country")`, covers `link.country` for `link in
obj.patentcountry_set.all()` in a column), or an earlier column of the same row loaded that foreign key
(`list_display`, a serializer's `Meta.fields` or declared fields, in order), or the read is the fallback of
an `if hasattr(obj, "n"):` guard for a value the list's queryset annotates, or the serializer is only
nested as a field of other serializers and the foreign key leads back to that parent (its `related_name` is
the field's name: Django fills it from the parent).

A DRF list view (`ListAPIView`, `ModelViewSet`, `ListModelMixin`...) is reported (not one whose `list`
answers the list route itself, `if "pk" not in kwargs: return Response([])`: the router passes no lookup
keyword there) when its
`serializer_class` (or the default that `get_serializer_class` returns last) renders relations of each row (a nested serializer, a related field with
`many=True`, a many-to-many name in `Meta.fields`; nested serializers two levels deep) that the view's
queryset does not load, neither in `queryset`/`get_queryset` (also a list of names handed over as
`prefetch_related(*prefetches)`, and the lists a base's `get_queryset` applies from the view,
`queryset.prefetch_related(*self.prefetch_related)` with `prefetch_related = ["tags"]` on the view, also
built from another view's list or a list of the module) nor in the project methods and helpers
these call nor in the serializer's declared eager-loading lists (write-only fields do not count, nor fields
the serializer's `__init__` always drops: `del self.fields["comments"]`, `self.fields.pop("comments")`).

A helper called for each of one row's related children (`for action in workflow.actions.all():
apply(action, doc)`, a certificate's destinations, a user's roles) is not reported: a parent's
children are few and each call is a step of processing; a query or relationship read written in
such a loop itself is reported with low confidence. A list field of a request body decoded into a
pydantic (or other wire record) class is no row's children, whatever relation shares its name:
`for permission_id in role_create.permissions: await permission_repository.get_by_id(permission_id)`
is one lookup per id the request sent.

A query in an `except` clause inside the loop that handles a failure (`except IntegrityError:` after a lost
race, `except Exception:` around a file that did not import) runs for the items that fail, not for each
item, and is not reported; one handling a lookup's miss (`except Model.DoesNotExist:`, `except KeyError:`)
runs for every new item and is. Nor is a lookup that needs the row the previous iteration found
(`parent_id = folder.id` at the end of a loop over a path's segments whose query filters on `parent_id`: a
chain walked link by link, which no `IN` fetches at once).

Loops over literal constants (also the list a constant mapping holds for a key: `exclusions[state]` of
`{ACTIVE: [DISABLED], ...}`, written in the function or returned by a function of the code base), calls of a
helper whose queries all sit under a flag the call turns off (`ensure_has_events(thread, commit=False)`,
whose save is under `if commit:`, or under `if realm_names is None:` when the call hands it a
value: `device_to_dict(d, realm_names=names)`, or is the fallback of `known or query(...)` for a `known` the
call hands in), helpers whose result the loop enters as a context
manager (`with context.models.load(field.model) as model:`, `stack.enter_context(load(key))`: a
resource acquired for the item and released after, not a lookup to batch), loops over chunks of rows
(`range(0, len(rows), 500)`, `for batch in chunks(rows)`), loops over the rows after the first one the
function keeps (`keep = existing[0]`, `for dup in existing[1:]`: the duplicates of one key a race left,
a repair of a few rows), batch calls (`executemany`, `bulk_create`, `add_all`, queries that
take a whole list with `= ANY(...)`/`IN`; not a helper running such a query handed a list of one item,
`users_by_ids(conn, [user_id])`, once per item), statements that call a server function and read
no table (`SELECT pg_advisory_unlock(%s)`: nothing to join or fetch by key) or notify listeners
(`NOTIFY channel, payload`, also as the only statement of a helper), the loop's item run as a statement
(`for (stmt,) in rows: conn.execute(stmt)`, or a statement the item picks: `db.select(report_query(name))`,
or the script of each file of a schema folder: `cur.executescript(open(os.path.join(folder, name)).read())`),
schema changes per object (`DROP INDEX {name}`, a `CREATE INDEX` template, `TRUNCATE {}`, also a helper that
makes them and reads only the catalog: nothing a JOIN or `IN` batches), loops over a queryset filtered by its
primary key (`Model.objects.filter(pk=obj.id)`: one row at most),
statements on a table the loop names (`DELETE FROM {table}`, `PRAGMA table_info({table})`), loops over the
database's catalog (`SELECT name FROM sqlite_master`, `information_schema.tables`: one maintenance step per
table; but a read of each table's details from the catalog, `information_schema.columns WHERE TABLE_NAME = %s`,
is reported: one query filtered by the schema reads them all), loops over a Django model's metadata
(`queryset.model._meta.private_fields`: the fields the schema declares), queries on a model the item picks
(`model = models_by_type[ct_pk]; model.objects.filter(...).update(...)`: one statement per table is the least
there is), loops over the objects of a boto3 S3 bucket
(`bucket.objects.filter(Prefix="reports/")`: `obj.delete()` is a request to S3, not a row),
loops over what a helper returns when the function hands it a truth value (`self.calls_for(bool(opted_in))`:
the flag picks a configured list, it puts no row in it), lookups in an `objects` mapping of a settings value (`retain.objects.get(label, retain.default)`
in code that does not use Django, where a class of the project declares `objects: dict[str, int]`) and
`while` loops that page through results are not reported. A query in a loop's `else:` clause runs once per pass of
the loops around that loop, and is reported for those. Nor are per-item units of work, which are
not a query pattern: writes in loops that also call another service, send mail, move a file in
storage or hand a job to the task queue (`apply_async`, `delay`) for each item (not only for some, under an
`if` of the loop: `if newly_completed: notify(job)` after the per-item upsert; in the loop or in a helper it
calls, whose write then records that call's outcome), calls inside a transaction opened for each
item (`with transaction.atomic():` in the loop or in the helper it calls), calls of a helper that writes
and commits along with a lookup or another write, whichever branch it takes
(`delete_attachment(id)`: read, delete, commit; a helper whose only statement is one keyed
write, `repository.delete_by_role(id)`, or that commits only in the branch creating a
missing row, stays reported), calls of a helper that writes to two or more tables (one
aggregate per item), lookups made by a helper that fetches from another service or sends mail (a remote
lookup whose query only caches the answer, a quota charged per email), reads through a helper that ends the process
(`if not self.stopping: return`, then `self.stop(); sys.exit()`: its queries run once, on the way out), reads
through a memoized helper of no arguments
(`@lru_cache`, dogpile's `@region.cache_on_arguments()` on `def update_profile_id_list():`, also one that
keeps what it read in a ContextVar or a module global and reads only while that is empty, `pk = default_pk.get()`,
`if pk is None: ...; default_pk.set(pk)`; also further
down: its query runs once, later calls answer from memory) or memoized in an instance dict on what its argument
maps to (`key = sections[path][0]; if key in self.known: return self.known[key]`: once per distinct key, not per
item; a cache keyed on the argument itself stays reported), and inserts whose new row the same iteration
hands on to more processing (`job = Job.objects.create(...); job.start()`), and saves of
Django models that override `save()` (or inherit a project class that does): each row runs
that logic, which `bulk_create` would skip. Tests, migrations, modules only migrations import
(`_migration_helpers.py`, whose data moves a migration runs), the methods of the
project's schema migrator (`class SqliteMigrator`: once at start-up), receivers of `post_migrate` or of a
project signal only management commands send (`@receiver(migrate_finished)`: once after the migrations), the developer tools of a
top-level `tools/` folder and Django management commands (operator-run scripts: a clean-up, a
fake-data generator) are not checked; a management command the product runs itself (a Procfile
process other than `release:`, a cron entry or docs running it daily, `call_command()` from
service code) is checked like the service: it walks the whole data set, unattended. A Celery
task its own code marks unused (`# Experimental - unused` before its first statement) and that
no other code names, neither a caller nor a beat schedule, is dead code: not checked; so is a method
of a model (Django, Flask-SQLAlchemy) that takes arguments (or a `@property`, which a template reads without
calling) and whose name no code or template of the code
base writes but in its `def` lines (only the tests, left out of the audit, call it), and a data migration
script at the top of the code base (`migrate_slides.py` run under `if __name__ == "__main__":`) that no
module imports: an operator runs it once.

A related manager's queryset handed to an `__in` lookup (`Q(categories__in=listing.categories.all())`, also
through a name bound to it) is a subquery of the one query that filters by it, not a query per row. A
project function handed a row counts as prefetching what its callers load with a `Prefetch` object too
(`Prefetch("changes", queryset=Change.objects.select_related("cve"))` loads `changes__cve`), a static
method of a view included. A serializer method reading `instance.community` reads the field of the
serializer's `Meta.model` of that name, not another model's `@property`; a serializer bound to a module
constant (`PACKAGE_SERIALIZER = PackageListingSerializer`) and built with `many=True` renders lists, and its
`values_list()` on a related manager runs a query per row whatever the list's queryset prefetches.

## Why is this bad?
A page that shows 50 orders then runs 51 queries: each one pays a network round trip
and a planning cost, so the page gets slower in proportion to the data, and the
database serves 50 times the load it needs to (Backend Posture R1, self-verification
gate "N+1 pattern?").

## Example
```python
def order_totals(conn):
    cur = conn.cursor()
    cur.execute("SELECT id FROM orders WHERE status = 'open'")
    for (order_id,) in cur.fetchall():
        cur.execute("SELECT sum(amount) FROM order_lines WHERE order_id = %s", (order_id,))
```

## Use instead
```python
def order_totals(conn):
    cur = conn.cursor()
    cur.execute(
        "SELECT o.id, sum(l.amount) FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.status = 'open' GROUP BY o.id"
    )
```
or fetch the children for every key at once (`WHERE order_id = ANY(%s)`), or let the
ORM batch it (`selectinload(...)`, `prefetch_related(...)`).

## References
- Django: https://docs.djangoproject.com/en/stable/ref/models/querysets/#prefetch-related
- SQLAlchemy: https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html#selectin-eager-loading
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, replace
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.libs import db, repositories, storage
from audit_lib.libs.http import decoded_response, mail_call, outbound_call
from audit_lib.libs.web import project_routes, route_handlers
from audit_lib.operator_code import defines_worker_tasks, is_celery_task, receives_migrate_signal
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    call_parameters,
    declared_globals,
    decorator_names,
    dotted,
    parameters_off,
    passed_arguments,
    qualified,
    string_value,
    enclosing_function,
    enclosing_loops,
    functions,
    is_none,
    is_self_attribute,
    keyword,
    method_name,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.scheduled_commands import is_scheduled_command
from audit_lib.source import Project, SourceModule, is_management_command, is_test_path, project_files

ROW_METHODS = {"fetchall", "fetchmany", "all", "scalars", "mappings", "iterator", "values", "values_list", "unique",
               "partitions", "yield_per"}
REQUEST_ROOTS = {"request", "req"}
CHUNK_WORDS = re.compile(r"chunk|batch|partition|page|segment")
RELATED_MANAGER_READS = {"all", "count", "exists", "first", "last", "filter", "exclude", "get", "values_list", "order_by"}
QUERYSET_BUILDERS = {"filter", "exclude", "annotate", "order_by", "distinct", "select_related", "prefetch_related",
                     "values", "values_list", "only", "defer", "select_for_update"}
QUERYSET_EVALUATIONS = {"first", "last", "get", "count", "exists", "aggregate", "latest", "earliest", "in_bulk"}
FILE_ROW_READERS = {"csv.reader", "csv.DictReader"}
FOLDER_LISTINGS = {"os.listdir", "os.scandir", "glob.glob", "glob.iglob"}
MUTATORS = {"append", "remove", "extend", "add", "discard", "clear", "pop", "insert", "update", "setdefault"}
SAVING_METHODS = {"create", "save", "get_or_create", "update_or_create", "acreate", "asave"}
RELATED_MANAGER_WRITES = {"add", "remove", "set", "clear", "create", "get_or_create", "update_or_create", "bulk_create",
                          "update", "delete"}
RELATION_FIELDS = {"ForeignKey": "one", "OneToOneField": "one", "ParentalKey": "one", "TreeForeignKey": "one",
                   "ManyToManyField": "many", "ParentalManyToManyField": "many", "TreeManyToManyField": "many"}
STORAGE_METHODS = ("save", "open", "delete", "exists", "listdir", "size", "move", "copy", "remove", "upload",
                   "download")
NOT_REQUEST_PARAMS = {"self", "cls", "request", "req", "response", "background_tasks", "current_user", "user", "info",
                      "root"}
UNUSED_MARK = re.compile(r"#.*\b(?:unused|not used|dead code)\b", re.IGNORECASE)
JSON_DECODERS = {"json.loads", "orjson.loads", "ujson.loads"}
FIX = ("load every row's data in one query: a JOIN, `WHERE key = ANY(%s)` with the list of keys, or the ORM's "
       "batch loading (selectinload/joinedload, select_related/prefetch_related); executemany/bulk_create for writes")


MEMOIZING = frozenset({"lru_cache", "cache", "cache_on_arguments", "cached", "memoize", "memoized"})


@rule("R1.n-plus-one", on="module", scope="code", severity="high")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or _operator_script(module, project) or _migration_helper_module(module, project) \
            or not (db.uses_database(module) or _imports_project_code(module, project)):
        return  # tests, migrations, developer tools and management commands
    handlers = {id(h.function) for h in route_handlers(module)} | _dispatched_actions(project) \
        | {id(fn) for fn in functions(module.tree) if _graphql_resolver(fn)}
    django = module.imports_module("django") or module.imports_module("rest_framework") or ".objects." in module.text
    if django:
        yield from _list_view_findings(module, project)
        yield from _admin_model_member_findings(module, project)
        yield from _discarded_eager_loads(module)
    for fn in functions(module.tree):
        if _unused_task(module, project, fn) or _schema_migrator_method(module, fn) \
                or _migration_receiver(module, project, fn) or _uncalled_model_method(module, project, fn):
            continue
        expanded = db.expanded_ops(module, project, fn)
        anchored = {id(op.call) for op in expanded}  # the database layer reads such a call closer (its SQL)
        expanded = expanded + [op for op in _located_service_ops(module, project, fn) if id(op.call) not in anchored]
        units = _units_of_work(module, project, expanded)
        ops = [op for op in expanded
               if op.round_trip and (not op.batch or _one_item_batch(op))
               and (not op.lazy or _runs_sqlalchemy_query(op) or db.evaluated_in_place(module, op.call)
                    or _evaluated_by_chain(module, op.call)
                    or _extends_a_list(module, op.call) or _serialized_as_list(module, op.call)
                    or _indexed(module, op.call) or _run_by_helper(module, project, op))
               and id(op.call) not in units and not _server_function_call(op) and not _schema_work(module, project, op, fn)
               and not _settings_mapping_lookup(module, project, op)
               and not _sends_notification(module, project, op) and not _runs_loop_item(module, op)
               and not _switched_off_in_helper(module, project, op) and not _entered_as_context(module, op)
               and not _memoized_read(module, project, op) and not _ends_the_process(module, project, op)]
        if django:
            known = {id(op.call) for op in expanded}
            ops += [op for op in _queryset_evaluations(module, fn) if id(op.call) not in known]
            known |= {id(op.call) for op in ops}
            ops += [op for op in _reading_model_methods(module, project, fn) if id(op.call) not in known]
            known |= {id(op.call) for op in ops}
            ops += [op for op in _row_writes(module, project, fn) if id(op.call) not in known]
            known |= {id(op.call) for op in ops}
            ops += [op for op in _related_manager_writes(module, project, fn) if id(op.call) not in known]
        related = list(_related_manager_calls(module, project, fn)) + list(_lazy_relation_loads(module, project, fn))
        serialized = list(_per_row_serializer_reads(module, project, fn))
        if django:
            yield from _per_row_method_findings(module, project, fn, ops)
        if not ops and not related and not serialized:
            continue
        sources = _RowSources(module, project, fn, id(fn) in handlers, handlers)
        reported: set[int] = set()
        per_loop: dict[int, list[tuple[db.DbOp, ast.AST]]] = {}
        for op in ops:
            if id(op.call) in reported:
                continue
            loop = _row_loop(module, op.call, sources)
            if loop is None or _catalog_loop(module, fn, loop) and not _catalog_lookup(op) \
                    or op.is_write and _calls_out_on_every_item(module, project, loop) \
                    or _per_item_unit(module, project, fn, op, loop) or _saves_one_row_again(op, loop) \
                    or _configuration_loop(module, project, fn, op, loop) or _in_failure_handler(module, op.call, loop) \
                    or _model_of_the_item(fn, op.call, loop) or _walks_a_chain(fn, op.call, loop) \
                    or _on_item_connection(op.call, loop):
                continue
            if op.through and _one_rows_children(project, fn, loop):
                continue  # a helper run for each of a workflow's actions: per-item processing of a few
            reported.add(id(op.call))
            per_loop.setdefault(id(loop), []).append((op, loop))
        for queries in per_loop.values():
            yield _loop_finding(module, project, sources, queries)
        for node, loop, what in serialized:
            if id(node) in reported or any(n is node for n, _, _ in related) or _iterates_one_row(module, fn, loop):
                continue
            reported.add(id(node))
            yield _finding_at(module, node, f"{ast.unparse(node)} {what}, once per row of {sources.describe(loop)}",
                              "load what it reads with the rows (.options(selectinload(...)) or joinedload for "
                              "relationships), or query it once for every row (WHERE key IN (...)) before the loop",
                              Confidence.low if _one_rows_children(project, fn, loop) else Confidence.medium)
        for node, loop, kind in related:
            if id(node) in reported or _iterates_one_row(module, fn, loop):
                continue
            reported.add(id(node))
            rows = sources.describe(loop)
            if rows == "rows":
                text = ast.unparse(_loop_iterables(loop)[0])
                rows = f"rows ({text if len(text) <= 60 else text[:57] + '...'})"
            read = _relation_read(node)
            if kind == "many":
                message = f"{_call_text(node)} queries a related table once per row of {rows}"
                fix = "add prefetch_related() for that relation to the queryset the loop iterates"
            elif kind == "property":
                message = (f"{ast.unparse(node)} is a model property that runs a query, once per row of {rows}")
                fix = ("annotate or prefetch the value on the queryset the loop iterates "
                       "(Subquery/Prefetch with to_attr) instead of a per-row property query")
            elif kind == "foreign key":
                message = (f"{ast.unparse(read)} reads a peewee foreign key: it loads the related row "
                           f"(one query) once per row of {rows}")
                fix = (f"select the related model with the rows (.select(Model, Related).join(Related)) or "
                       f"prefetch() it, or read {read.attr}_id when only the key is needed")
            elif kind == "lazy":
                message = f"{ast.unparse(read)} is a lazy relationship: loading it runs a query once per row of {rows}"
                fix = (f"load it with the rows: .options(selectinload(...{read.attr})) or joinedload, or "
                       f"read the foreign key column when only the key is needed")
            else:  # event.incident / line.order.customer
                message = f"{ast.unparse(read)} loads a related row (one query) once per row of {rows}"
                fix = (f"add select_related({read.attr!r}) to the queryset the loop iterates "
                       f"(or read {read.attr}_id when only the key is needed)")
            yield _finding_at(module, node, message, fix,
                              Confidence.low if _one_rows_children(project, fn, loop) else Confidence.medium)


def _discarded_eager_loads(module: SourceModule) -> Iterator[Finding]:
    """``qs.prefetch_related("cards__tags")`` as a statement: a queryset method returns a new
    queryset and leaves ``qs`` as it was, so the rows are read without the relation and each row loads it."""
    for node in module.nodes_of(ast.Expr):
        call = node.value
        if isinstance(call, ast.Call) and method_name(call) in DJANGO_EAGER_LOADS and isinstance(call.func, ast.Attribute) \
                and (call.args or call.keywords) and not _class_queryset_loads(module, call):
            receiver = ast.unparse(call.func.value)
            shown = ast.unparse(call)
            yield _finding_at(module, call, f"{shown if len(shown) <= 80 else shown[:77] + '...'} is thrown away: a "
                                            f"queryset method returns a new queryset and leaves {receiver} as it was, "
                                            f"so its rows load those relations with one query per row",
                              f"keep the result: {receiver} = {receiver}.{call.func.attr}(...)",
                              Confidence.medium)


DJANGO_EAGER_LOADS = {"prefetch_related", "select_related"}


def _class_queryset_loads(module: SourceModule, call: ast.Call) -> bool:
    """``queryset = super().get_queryset(); queryset.select_related("task", "user")`` in a view whose class
    declares ``queryset = Report.objects.select_related("task", "user")``: the rows already load what the
    thrown-away call names (a line with no effect, not a relation loaded once per row)."""
    fn = enclosing_function(module, call)
    cls = module.parents.get(fn) if fn is not None else None
    receiver = call.func.value
    if not (isinstance(cls, ast.ClassDef) and isinstance(receiver, ast.Name)) or not any(
            _view_queryset(value) for value in _bindings(fn, receiver.id)):
        return False
    declared = [ast.unparse(item.value) for item in cls.body if isinstance(item, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "queryset" for t in item.targets)]
    names = [string_value(arg) for arg in call.args]
    return bool(declared) and all(name and re.search(rf"{call.func.attr}\([^)]*['\"]{re.escape(name)}['\"]", text)
                                  for text in declared for name in names)


def _relation_read(node: ast.AST) -> ast.AST:
    """The row's relation that a per-row read loads: ``team.members`` itself, ``solve.challenge`` of
    ``solve.challenge.value``."""
    return node.value if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) else node


def _loop_finding(module: SourceModule, project: Project, sources: "_RowSources",
                  queries: list[tuple[db.DbOp, ast.AST]]) -> Finding:
    """One finding per loop, at its first query: the loop is what to change (one query for every item
    before it), however many statements its body runs per item; the others are listed by line."""
    queries = sorted(queries, key=lambda query: (query[0].call.lineno, query[0].call.col_offset))
    op, loop = queries[0]
    what = f"{op.through}() runs a query" if op.through else f"{_call_text(op.call)} runs a query"
    others = sorted({other.call.lineno for other, _ in queries[1:]} - {op.call.lineno})
    more = f"; {len(others)} more in the same loop (line{'s' if len(others) > 1 else ''} " \
        f"{', '.join(map(str, others))})" if others else ""
    confidence = Confidence.low if _one_rows_children(project, sources.fn, loop) else max(other.confidence for other, _ in queries)
    return _finding_at(module, op.call, f"{what} ({_describe(module, op)}) once per item of a loop over "
                       f"{sources.describe(loop)}{more}", FIX, confidence)


def _describe(module: SourceModule, op: db.DbOp) -> str:
    """``op.describe()``, with a table the statement takes from a placeholder (``"UPDATE %s SET ..." % table``,
    which the SQL reader sees as a number) named by what fills it in: ``update {table}``."""
    text = op.describe()
    odd = [t for t in op.tables if not re.fullmatch(r"[A-Za-z_][\w.\"`\[\]]*", t)]
    if not odd or not op.sql:
        return text
    filled = next((node.right for node in ast.walk(module.tree)
                   if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
                   and isinstance(node.left, ast.Constant) and node.left.value == op.sql), None)
    if isinstance(filled, ast.Tuple) and filled.elts:
        filled = filled.elts[0]
    label = f"{{{ast.unparse(filled)}}}" if filled is not None else "a table its placeholder names"
    for table in odd:
        text = re.sub(rf"(?<![\w.]){re.escape(table)}(?![\w.])", label, text, count=1)
    return text


def _located_service_ops(module: SourceModule, project: Project, fn: ast.AST, depth: int = 1,
                         storage_reads: bool = True) -> list[db.DbOp]:
    """The database operations of the methods ``fn`` calls on a service whose class the database
    layer does not know (see :func:`_service_method`) and its reads of the storage layer (with
    ``storage_reads``), each anchored at the call; also those of the
    project helpers ``fn`` calls (``depth`` levels: ``Alert.find_by_id(id)`` whose body is
    ``db.get_alert(id)``), anchored at the helper's call. Storage reads count through a helper named
    as a read (``get_previous_rooms``), not through a unit of work on the item (``_handle_removed_user``)."""
    found: list[db.DbOp] = []
    for call in walk_function_body(fn):
        if not isinstance(call, ast.Call):
            continue
        stored = storage.storage_call(module, project, call)
        if stored is not None:
            if storage_reads and stored.reads and not stored.memoised:  # memoised: repeated keys from memory
                found.append(stored.as_op(call))
            continue
        helper = db.resolve_function(module, project, call)
        if helper is not None:
            if depth and helper[1] is not fn:
                found += [replace(op, call=call, through=helper[1].name)
                          for op in _located_service_ops(helper[0], project, helper[1], depth - 1,
                                                         storage.named_as_read(helper[1].name))]
            continue
        wrapper = _driver_wrapper_method(module, project, fn, call)
        if wrapper is not None:
            found.append(_wrapper_statement(module, fn, call))
            continue
        method = _service_method(module, project, fn, call) if isinstance(call.func, ast.Attribute) else None
        if method is None:
            continue
        found += [replace(op, call=call, through=method[1].name, confidence=min(op.confidence, Confidence.medium),
                          lazy=op.lazy and not db.evaluated_in_place(method[0], op.call))
                  for op in db.expanded_ops(method[0], project, method[1], depth=1)]
    return found


def _service_method(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call
                    ) -> tuple[SourceModule, ast.AST] | None:
    """The project method ``obj.method(...)`` runs when ``obj`` is a service looked up with pyramid_services'
    ``find_service`` (the lookup itself, a name of ``fn`` bound once to it, or ``self.<name>`` the class
    binds to it), or an object named after a class of the project whose method of that name queries
    (``request.registry.storage.list_all(...)`` and a ``Storage`` backend running SQL in ``list_all``)."""
    receiver = call.func.value
    if isinstance(receiver, ast.Name) and receiver.id != "self":
        bound = _bindings(fn, receiver.id)
    elif isinstance(receiver, ast.Attribute) and dotted(receiver.value) == "self":
        cls = next((a for a in ancestors(module, fn) if isinstance(a, ast.ClassDef)), None)
        bound = [stmt.value for stmt in walk_nodes(cls) if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == receiver.attr and dotted(t.value) == "self"
            for t in stmt.targets)] if cls is not None else []
    else:
        bound = [receiver]
    service = repositories.located_service(module, project, bound[0]) if len(bound) == 1 else None
    if service is not None:
        return db._method_of(project, service, call.func.attr)
    if isinstance(receiver, ast.Name) and any(receiver.id in _names(target) for loop in loops_around(module, call)
                                              for target in [*_loop_targets(loop), *_assigned_in_loop(loop)]):
        return None  # ``card.archive()``, ``created.calculate_stats()``: the item's own method, a step on each item
    if isinstance(receiver, ast.Name) and not bound and receiver.id not in {a.arg for a in _db_arguments(fn)}:
        instance_class = _module_instance_class(module, project, receiver.id)
        if instance_class is not None:
            return _reading_implementation(project, instance_class, call.func.attr)
    name = receiver.id if isinstance(receiver, ast.Name) else receiver.attr if isinstance(receiver, ast.Attribute) \
        else None
    return _querying_method_of_class_named(project, name, call.func.attr) if name else None


def _driver_wrapper_method(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call
                           ) -> tuple[SourceModule, ast.AST] | None:
    """``conn.execute_dict(sql)``, ``self.conn.execute_scalar(sql)``: a method the driver does not have, called on
    a name that reads like a connection or cursor, which every class of the code base defining it (declarations
    aside) implements by running the statement it is handed through the driver: the project's wrapper of its
    connection (not ``conn.cancel_transaction(conn_id)``, which runs a statement of its own)."""
    if not isinstance(call.func, ast.Attribute) or not call.args or not db.db_like_name(dotted(call.func.value)) \
            or db.classify(module, call, fn, project) is not None:
        return None
    wrappers = project.facts.setdefault("r1.driver_wrappers", {})
    name = call.func.attr
    if name not in wrappers:
        definitions = storage._methods(project).get(name, [])  # declarations aside, outside tests and migrations
        wrappers[name] = (definitions[0][0], definitions[0][2]) if definitions and all(
            db.handed_statement(defining, project, method) is not None for defining, _, method in definitions) else None
    return wrappers[name]


def _wrapper_statement(module: SourceModule, fn: ast.AST, call: ast.Call) -> db.DbOp:
    """The statement a call of the project's connection wrapper runs (see :func:`_driver_wrapper_method`), read
    from the SQL it is handed when the code shows it (``conn.execute_dict("SELECT ... FROM pg_class")``)."""
    text = db.sql_text(module, call.args[0], fn) if call.args else None
    facts = db.parse_sql(text) if text else None
    kind = db._kind_of_facts(facts) if facts is not None else db.EXECUTE
    return db.DbOp(call, kind, db._touched(facts) if facts else frozenset(), method=call.func.attr,
                   receiver=dotted(call.func.value), sql=text if facts else None, facts=facts,
                   batch=bool(facts and facts.batch), confidence=Confidence.medium, through=call.func.attr)


def _module_instance_class(module: SourceModule, project: Project, name: str) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project class of the object a module binds ``name`` to at its top level (``db = Database()``),
    in ``module`` or in the project module ``module`` imports ``name`` from."""
    target = module.imports.get(name)
    owner = project.by_dotted_name.get(target.rsplit(".", 1)[0]) if target and "." in target else module
    name = target.rsplit(".", 1)[1] if target and "." in target else name
    if owner is None:
        return None
    values = [stmt.value for stmt in owner.tree.body if isinstance(stmt, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)]
    if len(values) != 1 or not isinstance(values[0], ast.Call) or not isinstance(values[0].func, ast.Name):
        return None
    return _project_class(project, values[0].func.id, owner)


def _reading_implementation(project: Project, cls: tuple[SourceModule, ast.ClassDef], method: str
                            ) -> tuple[SourceModule, ast.AST] | None:
    """``cls``'s ``method`` when it reads; when ``cls`` only declares it (its body raises
    ``NotImplementedError``), the first implementation in a project subclass that reads: the backend
    the object becomes at run time (``self.__class__ = type("Impl", (backend.Backend, Database), {})``)."""
    declared = db._method_of(project, cls, method)
    if declared is None:
        return None
    if not _declares_only(declared[1]):
        return declared if _method_reads_rows(project, declared) else None
    _project_class(project, "")  # fills the index of classes by name
    for name, bases in db.class_bases(project).items():
        if cls[1].name in bases:
            for subclass in project.facts["r1.classes_by_name"].get(name, []):
                found = db._method_of(project, subclass, method)
                if found is not None and not _declares_only(found[1]) and _method_reads_rows(project, found):
                    return found
    return None


def _declares_only(fn: ast.AST) -> bool:
    """A method whose body (after its docstring) only raises ``NotImplementedError``: an interface's."""
    body = [stmt for stmt in fn.body if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].exc is not None \
        and "NotImplementedError" in (dotted(body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc) or "")


def _assigned_in_loop(loop: ast.AST) -> list[ast.expr]:
    return [target for node in walk_nodes(loop) if isinstance(node, ast.Assign) for target in node.targets]


def _querying_method_of_class_named(project: Project, name: str, method: str) -> tuple[SourceModule, ast.AST] | None:
    """``storage`` -> the project classes named ``Storage`` (a backend each): the first whose ``method``
    reads (``list_all``; not ``purge_deleted``, whose statement the method builds out of sight); not a
    classmethod, called on the class (``build.get("extra")`` is a dict's, not the model ``Build``'s ``get``)."""
    title = "".join(part.title() for part in name.strip("_").split("_"))
    _project_class(project, "")  # fills the index of classes by name
    for owner in project.facts["r1.classes_by_name"].get(title, []):
        found = db._method_of(project, owner, method)
        if found is not None and not db._is_classmethod(found[1]) and _method_reads_rows(project, found):
            return found
    return None


def _method_reads_rows(project: Project, method: tuple[SourceModule, ast.AST]) -> bool:
    """Whether a service method runs a read, or a statement it builds out of sight (SQL text in a
    module constant) while its name says it reads (``list_all``, not ``purge_deleted``)."""
    ops = db.expanded_ops(method[0], project, method[1], depth=1)
    return any(op.round_trip and op.is_read for op in ops) or repositories.names_a_read(method[1].name) and any(
        op.round_trip and op.kind == db.EXECUTE for op in ops)


def _evaluated_by_chain(module: SourceModule, call: ast.Call) -> bool:
    """Whether a lazy query is run by the chain it starts: ``helper(...).first()``, ``qs.filter(...).count()``."""
    node: ast.AST = call
    while isinstance(module.parents.get(node), ast.Attribute):
        attribute = module.parents[node]
        outer = module.parents.get(attribute)
        if not (isinstance(outer, ast.Call) and outer.func is attribute):
            return False
        if attribute.attr in QUERYSET_EVALUATIONS:
            return True
        node = outer
    return node is not call and db.evaluated_in_place(module, node)


def _runs_sqlalchemy_query(op: db.DbOp) -> bool:
    """``files = session.query(FileDetail).filter_by(directory_id=d.id).all()``: a SQLAlchemy ``Query``'s
    ``all()`` returns the list of rows it fetched (only Django's ``all()`` is a lazy queryset)."""
    return op.api == "sqlalchemy" and op.method == "all" and op.is_read


def _indexed(module: SourceModule, call: ast.Call) -> bool:
    """``Model.objects.filter(path=path)[0]``: an index (not a slice) runs the lazy query for that one row."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.Subscript) and parent.value is call and isinstance(parent.slice, ast.Constant) \
        and type(parent.slice.value) is int


def _extends_a_list(module: SourceModule, call: ast.Call) -> bool:
    """``found += Model.query.filter(...).all()``: adding a query to a list iterates it there."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.AugAssign) and parent.value is call and isinstance(parent.op, ast.Add)


def _serialized_as_list(module: SourceModule, call: ast.Call) -> bool:
    """``QualificationSerializer(Qualification.objects.filter(...), many=True).data``: a serializer built
    with ``many=True`` iterates the queryset it is given."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.Call) and (parent.args[:1] == [call] or any(
        k.arg == "instance" and k.value is call for k in parent.keywords)) and _many(parent)


def _many(call: ast.Call) -> bool:
    """``many=True``: the serializer renders a list."""
    flag = keyword(call, "many")
    return isinstance(flag, ast.Constant) and flag.value is True


QUERY_RUNNERS = QUERYSET_EVALUATIONS | {"one", "one_or_none", "all", "scalar", "scalars", "scalar_one",
                                        "scalar_one_or_none"}


def _run_by_helper(module: SourceModule, project: Project, op: db.DbOp) -> bool:
    """Whether a query a helper builds (``query = Source.query.filter(...)``) is run further down,
    by a function of the code base it is handed to (``return get_one_or_else(query)``, which calls
    ``query.one()``), through up to three helpers, or by the helper itself, which iterates it
    (``qs = Profile.objects.filter(...)``; ``for p in qs.select_related("user"):``) or runs it
    (``group = query.first()``)."""
    return bool(op.through) and (_run_by_helper_at(module, project, op.call, 3) or _iterated_by_helper(module, project, op))


def _iterated_by_helper(module: SourceModule, project: Project, op: db.DbOp) -> bool:
    resolved = db.resolve_function(module, project, op.call, reexports=True)
    if resolved is None:
        return False
    owner, helper = resolved
    lazy = [inner.call for inner in db.function_ops(owner, helper, project) if inner.is_read and inner.lazy]
    names = {target.id for stmt in walk_function_body(helper) if isinstance(stmt, ast.Assign)
             and any(node is call for call in lazy for node in walk_nodes(stmt.value))
             for target in stmt.targets if isinstance(target, ast.Name)}
    for node in walk_function_body(helper):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            root = node.iter
            while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute) \
                    and root.func.attr in QUERYSET_BUILDERS | {"all", "iterator"}:
                root = root.func.value
            if isinstance(root, ast.Name) and root.id in names or any(root is call for call in lazy):
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_RUNNERS \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in names:
            return True  # query = Session.query(cls).filter(...); group = query.first()
    return False


def _runs_its_queries(module: SourceModule, project: Project, fn: ast.AST, depth: int) -> bool:
    for op in db.expanded_ops(module, project, fn):
        if not (op.is_read and op.lazy):
            continue
        if op.through:
            if depth > 1 and _run_by_helper_at(module, project, op.call, depth - 1):
                return True
            continue
        names = {target.id for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
                 and any(node is op.call for node in walk_nodes(stmt.value))
                 for target in stmt.targets if isinstance(target, ast.Name)}
        for call in (n for n in walk_function_body(fn) if isinstance(n, ast.Call)):
            handed = [i for i, arg in enumerate(call.args) if isinstance(arg, ast.Name) and arg.id in names]
            if handed and _evaluates_parameter(module, project, call, handed):
                return True
    return False


def _run_by_helper_at(module: SourceModule, project: Project, call: ast.Call, depth: int) -> bool:
    resolved = db.resolve_function(module, project, call, reexports=True)
    return resolved is not None and _runs_its_queries(resolved[0], project, resolved[1], depth)


def _evaluates_parameter(module: SourceModule, project: Project, call: ast.Call, positions: list[int]) -> bool:
    """Whether the function ``call`` invokes runs a query handed in at one of ``positions``
    (``def get_one_or_else(query, ...): return query.one()``)."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None:
        return False
    helper = resolved[1]
    params = [a.arg for a in [*helper.args.posonlyargs, *helper.args.args]]
    if params and params[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
        params = params[1:]
    wanted = {params[i] for i in positions if i < len(params)}
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_RUNNERS
               and isinstance(node.func.value, ast.Name) and node.func.value.id in wanted
               for node in walk_function_body(helper))


def _one_item_batch(op: db.DbOp) -> bool:
    """``users_by_ids(conn, [user_id])``: a helper whose statement takes a whole list (``= ANY(%s)``,
    ``IN``), handed a list of one item: one statement per item all the same."""
    if not op.through:
        return False
    values = [*op.call.args, *(k.value for k in op.call.keywords)]
    return any(isinstance(v, (ast.List, ast.Tuple, ast.Set)) and len(v.elts) == 1
               and not isinstance(v.elts[0], ast.Starred) for v in values) \
        and not any(isinstance(v, (ast.List, ast.Tuple, ast.Set)) and len(v.elts) > 1 for v in values)


def _memoized_read(module: SourceModule, project: Project, op: db.DbOp, depth: int = 3) -> bool:
    """A read through a helper that, itself or further down, is a memoized function of no arguments
    (``@region.cache_on_arguments()`` / ``@lru_cache`` on ``def update_profile_id_list():``): its
    query runs once and every later call answers from memory, not once per item; or a helper memoized on
    what its argument maps to (a read or a get-or-create), once per distinct key."""
    if not op.through or depth <= 0:
        return False
    resolved = db.resolve_function(module, project, op.call)
    if resolved is None:
        return False
    helper_module, helper = resolved
    if _memoized_on_mapped_key(helper):
        return True
    if not op.is_read:
        return False
    if _memoized_without_arguments(helper_module, helper) or _kept_in_module_state(helper):
        return True
    inner = [o for o in db.expanded_ops(helper_module, project, helper, depth=1) if o.is_read]
    return bool(inner) and all(_memoized_read(helper_module, project, o, depth - 1) for o in inner)


PROCESS_EXITS = {"sys.exit", "os._exit", "exit", "quit"}


def _ends_the_process(module: SourceModule, project: Project, op: db.DbOp) -> bool:
    """``self.check_for_stopping()`` whose body leaves at once unless a flag is set (``if not self.stopping:
    return``) and otherwise ends with ``sys.exit()``: its queries run on the way out, once, not for each item."""
    resolved = db.resolve_function(module, project, op.call) if op.through else None
    if resolved is None:
        return False
    body = [stmt for stmt in resolved[1].body if not (isinstance(stmt, ast.Expr) and string_value(stmt.value))]
    guards = 0
    while guards < len(body) and isinstance(body[guards], ast.If) and not body[guards].orelse \
            and [type(stmt) for stmt in body[guards].body] == [ast.Return] and body[guards].body[0].value is None:
        guards += 1
    last = body[-1] if body else None
    ending = last.exc if isinstance(last, ast.Raise) else last.value if isinstance(last, ast.Expr) else None
    ending = ending.func if isinstance(ending, ast.Call) else ending
    exits = ending is not None and (dotted(ending) in PROCESS_EXITS and isinstance(last, ast.Expr)
                                    or dotted(ending) == "SystemExit" and isinstance(last, ast.Raise))
    return exits and not any(isinstance(node, ast.Return) for stmt in body[guards:] for node in walk_nodes(stmt))


def _memoized_without_arguments(module: SourceModule, fn: ast.AST) -> bool:
    names = {name.rsplit(".", 1)[-1] for name in decorator_names(module, fn)}
    if not names & MEMOIZING:
        return False
    args = fn.args
    return not (args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg) and all(
        a.arg in ("self", "cls") for a in args.args)


def _kept_in_module_state(fn: ast.AST) -> bool:
    """A function of no arguments that keeps what it reads outside itself and reads only when that is
    empty: ``pk = default_pk.get()`` then ``if pk is None: pk = query(); default_pk.set(pk)`` (a
    ContextVar), or ``global _pk`` filled under ``if _pk is None:``. Its query runs on the first call."""
    if not isinstance(fn, FUNCTION_TYPES) or fn.args.posonlyargs or fn.args.kwonlyargs or fn.args.vararg \
            or fn.args.kwarg or any(a.arg not in ("self", "cls") for a in fn.args.args):
        return False
    body = list(walk_function_body(fn))
    stores = {node.targets[0].id: dotted(node.value.func.value) for node in body
              if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, ast.Call) and method_name(node.value) == "get" and not node.value.args
              and isinstance(node.value.func, ast.Attribute)}  # pk = default_pk.get()
    kept = declared_globals(fn)
    for test in (node for node in body if isinstance(node, ast.If)):
        tested = test.test.operand if isinstance(test.test, ast.UnaryOp) and isinstance(test.test.op, ast.Not) \
            else test.test.left if isinstance(test.test, ast.Compare) and is_none(test.test.comparators[0]) else None
        if not isinstance(tested, ast.Name):
            continue
        filled = [n for stmt in test.body for n in walk_nodes(stmt)]
        if tested.id in kept and any(isinstance(n, ast.Name) and n.id == tested.id and isinstance(n.ctx, ast.Store)
                                     for n in filled):
            return True
        if stores.get(tested.id) and any(isinstance(n, ast.Call) and method_name(n) == "set"
                                         and dotted(n.func.value) == stores[tested.id] for n in filled):
            return True
    return False


def _memoized_on_mapped_key(fn: ast.AST) -> bool:
    """``key = components[path][0] + "::" + components[path][1]`` then ``if key in self.known: return
    self.known[key]`` and ``self.known[key] = found``: a helper that answers from an instance dict keyed on
    what its argument maps to runs its query once per distinct key (one component for many paths), not
    once per item; a cache keyed on the argument itself still runs once per item."""
    if not isinstance(fn, FUNCTION_TYPES):
        return False
    parameters = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
    body = list(walk_function_body(fn))
    mapped: set[str] = set()
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in parameters
                        or isinstance(n, ast.Name) and n.id in mapped for n in walk_nodes(node.value)):
            mapped.add(node.targets[0].id)
    answered = {dotted(node.test.comparators[0]) for node in body
                if isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                and isinstance(node.test.ops[0], ast.In) and isinstance(node.test.left, ast.Name)
                and node.test.left.id in mapped and is_self_attribute(node.test.comparators[0])
                and any(isinstance(s, ast.Return) for s in node.body)}
    return any(isinstance(node, ast.Assign) and isinstance(target, ast.Subscript)
               and dotted(target.value) in answered and isinstance(target.slice, ast.Name)
               and target.slice.id in mapped
               for node in body for target in getattr(node, "targets", ()))


def _entered_as_context(module: SourceModule, op: db.DbOp) -> bool:
    """``with context.models.load(field.model) as model:``, ``stack.enter_context(loader.load(key))``: a
    helper whose result the code enters as a context manager acquires a resource for the item (a model
    to run, a file, a lock) and releases it after; whatever record lookup it makes on the way is not the
    query a JOIN or ``IN`` would batch."""
    if not op.through:
        return False
    parent = module.parents.get(op.call)
    if isinstance(parent, ast.withitem):
        return parent.context_expr is op.call
    return isinstance(parent, ast.Call) and method_name(parent) == "enter_context" and op.call in parent.args


def _server_function_call(op: db.DbOp) -> bool:
    """``SELECT pg_replication_slot_advance(%s, %s)``: a statement that reads no table calls a server
    function for one item (with its own outcome per item); there are no rows to join or fetch by key."""
    facts = op.facts
    return op.api == "sql" and facts is not None and facts.parsed and facts.kind == "SELECT" and not facts.tables \
        and bool(op.sql) and not re.search(r"\bFROM\b", op.sql, re.I)


MAPPING_ANNOTATIONS = {"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict", "OrderedDict"}


def _settings_mapping_lookup(module: SourceModule, project: Project, op: db.DbOp) -> bool:
    """``retain.objects.get(label, retain.default)`` where the project's settings classes declare
    ``objects: dict[str, float]``: a lookup in a mapping held by a value named in lower case (no model
    class of the project), not a Django manager."""
    if op.api != "django" or len(op.tables) != 1 or module.imports_module("django"):
        return False
    (held,) = op.tables
    return held[:1].islower() and held not in db.class_bases(project) and _mapping_objects_fields(project)


def _mapping_objects_fields(project: Project) -> bool:
    """Whether a class of the project declares an ``objects`` field typed as a mapping."""
    cached = project.facts.get("r1.mapping_objects_fields")
    if cached is None:
        cached = any(isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                     and statement.target.id == "objects"
                     and (dotted(statement.annotation.value if isinstance(statement.annotation, ast.Subscript)
                                 else statement.annotation) or "").split(".")[-1] in MAPPING_ANNOTATIONS
                     for module in project.modules if "objects:" in module.text
                     for cls in module.nodes_of(ast.ClassDef) for statement in cls.body)
        project.facts["r1.mapping_objects_fields"] = cached
    return cached


def _runs_loop_item(module: SourceModule, op: db.DbOp) -> bool:
    """``for (stmt,) in conn.execute("SELECT 'DROP FUNCTION ' || ..."): conn.execute(stmt)``: the statement
    run is the item itself, a statement a query (or a list) generated, or one the item picks
    (``read(conn, dataset_query(name))``, the helper running the statement it is handed); each is its own
    command, with no key to fetch in one query."""
    if op.kind != db.EXECUTE:
        return False
    if op.through:
        statement = _names(op.pending) if op.pending is not None else set()
    else:
        statement = {op.call.args[0].id} if op.call.args and isinstance(op.call.args[0], ast.Name) else set()
        statement |= _script_file_names(module, op.call)
    return any(statement & _names(target) for loop in loops_around(module, op.call) for target in _loop_targets(loop))


def _script_file_names(module: SourceModule, call: ast.Call) -> set[str]:
    """``cursor.executescript(fp.read())`` with ``fp = open(os.path.join(folder, name))``: the names the
    statement's file is opened from (three bindings deep), to tell a script per file of a folder."""
    fn = enclosing_function(module, call)
    first = call.args[0] if call.args else None
    if fn is None or not (isinstance(first, ast.Call) and method_name(first) == "read"
                          and isinstance(first.func, ast.Attribute)):
        return set()
    names, pending = set(), [first.func.value]
    for _ in range(3):
        following = []
        for expr in pending:
            for name in _names(expr) - names:
                names.add(name)
                following += _bindings(fn, name)
        pending = following
    return names


NOTIFICATION = re.compile(r"^\s*(NOTIFY|LISTEN|UNLISTEN)\b|\bpg_notify\s*\(", re.I)


def _sends_notification(module: SourceModule, project: Project, op: db.DbOp) -> bool:
    """``NOTIFY channel, payload`` (or ``SELECT pg_notify(...)``) for each item, directly or as the only
    statement of the helper the loop calls (``await _notify(session, automation, "deleted")``): a message
    per item to the listeners, which reads no table; there is nothing to join or fetch by key."""
    if op.sql:
        return bool(NOTIFICATION.search(op.sql))
    if not op.through:
        return _notification_text(op.call)
    resolved = db.resolve_function(module, project, op.call, reexports=True)
    if resolved is None or op.kind != db.EXECUTE:
        return False
    statements = [inner for inner in db.function_ops(resolved[0], resolved[1], project) if inner.round_trip]
    return bool(statements) and all(inner.kind == db.EXECUTE and (
        bool(NOTIFICATION.search(inner.sql)) if inner.sql else _notification_text(inner.call)) for inner in statements)


def _notification_text(call: ast.Call) -> bool:
    """Whether the statement a call runs is written in its arguments as a notification
    (``sa.text(f"NOTIFY {CHANNEL}, '{payload}'")``: the literal parts of an f-string count)."""
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str) and NOTIFICATION.search(node.value)
               for arg in call.args for node in walk_nodes(arg))


DDL = re.compile(r"^\s*((CREATE|DROP|ALTER)\s+(\S+\s+)?(INDEX|TABLE|VIEW|SCHEMA|SEQUENCE|TRIGGER|FUNCTION|EXTENSION|"
                 r"TYPE|MATERIALIZED|ROLE|DATABASE|CONSTRAINT)|(TRUNCATE|REINDEX|VACUUM|ANALYZE)\b|(GRANT|REVOKE)\s+\w+"
                 r"\s+ON)\b", re.I)


# a table named by a placeholder: ``DELETE FROM {table}``, ``"INSERT INTO " + name``, ``PRAGMA table_info({t})``
TABLE_PLACEHOLDER = re.compile(r"\b(FROM|INTO|UPDATE|TABLE|JOIN)\s+(\w+\.)?(\{\w*\}(?!\.)|%s\b|%\(\w+\)s|$)"
                               r"|^\s*PRAGMA\s+[\w.{}]+\((\{\w*\}|%s|$)", re.I)


def _schema_change(op: db.DbOp, fn: ast.AST) -> bool:
    """``DROP INDEX {name}``, ``CREATE INDEX ... ({fields})`` per index: a schema change for each
    object, which no JOIN or ``IN`` list can batch; so is a statement on a table the loop names
    (``DELETE FROM {table}``, ``PRAGMA table_info({table})`` with ``table`` taken from the loop: one
    statement per table; a table name the function was given is one table, its rows still N+1). The
    SQL is the statement's text or a string the call's arguments are built from (through names bound
    in the function, three steps deep)."""
    if op.sql and DDL.match(op.sql):
        return True
    for argument in list(op.call.args) + [k.value for k in op.call.keywords]:
        pending: list[ast.AST] = [argument]
        seen: set[str] = set()
        names_a_table = False
        for _ in range(4):
            following: list[ast.AST] = []
            for expr in pending:
                for node in walk_nodes(expr):
                    if isinstance(node, ast.Constant) and isinstance(node.value, str):
                        if DDL.match(node.value):
                            return True
                        names_a_table = names_a_table or bool(TABLE_PLACEHOLDER.search(node.value))
                    if isinstance(node, ast.Name) and node.id not in seen:
                        seen.add(node.id)
                        following += _bindings(fn, node.id)
            pending = following
        if names_a_table and seen & _enclosing_loop_names(fn, op.call):
            return True
    return False


def _schema_work(module: SourceModule, project: Project, op: db.DbOp, fn: ast.AST, depth: int = 2) -> bool:
    """A schema change (see :func:`_schema_change`), or a helper that makes schema changes and otherwise reads
    only the catalog (``self._create_place_classtype_indexes(...)``: ``if not index_exists(...): CREATE
    INDEX ...``), two levels deep: one object of the schema per call, nothing an ``IN`` list batches."""
    if _schema_change(op, fn):
        return True
    helper = db.resolve_function(module, project, op.call) if op.through and depth else None
    if helper is None:
        return False
    inner = [o for o in db.expanded_ops(helper[0], project, helper[1]) if o.round_trip]
    changes = {id(o) for o in inner if _schema_work(helper[0], project, o, helper[1], depth - 1)}
    return bool(changes) and all(id(o) in changes or o.is_read and o.sql is not None and CATALOG.search(o.sql)
                                 for o in inner)


def _enclosing_loop_names(fn: ast.AST, call: ast.AST) -> set[str]:
    """The names the loops of ``fn`` that contain ``call`` bind on each pass."""
    return {name for loop in walk_nodes(fn) if _loop_targets(loop) and any(n is call for n in walk_nodes(loop))
            for target in _loop_targets(loop) for name in _names(target)}


CATALOG = re.compile(r"\b(sqlite_master|sqlite_schema|information_schema\.\w+|pg_catalog\.\w+|pg_tables|pg_class|"
                     r"pg_indexes|pg_namespace)\b", re.I)


CONFIGURATION_WORDS = {"setting", "settings", "config", "configs", "configuration", "configurations", "preference",
                       "preferences", "realm", "realms", "resolver", "resolvers", "rootfolder", "rootfolders"}
PER_USER_WORDS = {"user", "users", "account", "accounts", "member", "members", "customer", "customers", "profile"}


def _configuration_table(name: str) -> bool:
    """``TableSettingsNotifier``, ``auth_realm``, ``ResolverConfig``: a table of settings an administrator
    edits, a few rows; not ``UserSettings`` (one row per user)."""
    words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}
    return bool(words & CONFIGURATION_WORDS) and not words & PER_USER_WORDS


def _configuration_loop(module: SourceModule, project: Project, fn: ast.AST, op: db.DbOp, loop: ast.AST) -> bool:
    """A query on a configuration table (see :func:`_configuration_table`) once per row of configuration
    tables (``for item in rootfolder_to_remove:`` of ``db_rootfolder = select(TableMoviesRootfolder...)``):
    as many round trips as the administrator configured entries, not a list that grows with the data."""
    if not op.tables or not all(_configuration_table(t) for t in op.tables):
        return False
    read: set[str] = set()
    pending, seen = list(_loop_iterables(loop)), set()
    while pending:
        expr = pending.pop()
        for node in walk_nodes(expr):
            if isinstance(node, ast.Name) and node.id not in seen:
                seen.add(node.id)
                pending += _bindings(fn, node.id)
            elif isinstance(node, ast.Call) and (found := db.classify(module, node, fn, project)) is not None:
                if not found.is_read:
                    return False
                read |= found.tables
    return bool(read) and all(_configuration_table(t) for t in read)


def _model_of_the_item(fn: ast.AST, call: ast.Call, loop: ast.AST) -> bool:
    """``model = models_by_type[ct_pk]`` then ``model.objects.filter(...).update(...)`` in a loop over content
    types or a model's relations: each iteration queries another model's table, and one statement per table
    is the least there is."""
    node: ast.AST = call
    for _ in range(3):
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            node = node.value
            break
        bound = _bindings(fn, node.id) if isinstance(node, ast.Name) else []
        if len(bound) != 1:
            return False
        node = bound[0]
    else:
        return False
    return isinstance(node, ast.Name) and node.id[:1].islower() \
        and node.id in {n for t in [*_loop_targets(loop), *_assigned_in_loop(loop)] for n in _names(t)}


def _on_item_connection(call: ast.Call, loop: ast.AST) -> bool:
    """``temp_conn = manager.connection(database=row["datname"])`` in a loop over databases, then
    ``temp_conn.execute_dict(query)`` (or a helper handed ``temp_conn``): each item's query goes to a connection
    the loop opens for it, another database each time, which no single query can reach."""
    opened = {name for node in walk_nodes(loop) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              for target in node.targets for name in _names(target) if db.db_like_name(name)}
    used = [call.func.value] if isinstance(call.func, ast.Attribute) else []
    return any(isinstance(node, ast.Name) and node.id in opened for node in [*used, *call.args])


def _walks_a_chain(fn: ast.AST, call: ast.Call, loop: ast.AST) -> bool:
    """``parent_id = folder.id`` at the end of ``for name in path_parts:`` whose query filters on ``parent_id``
    (bound before the loop too, and again in it from what the query found): each lookup needs the row the
    previous one found (a path walked segment by segment, a chain of parents), so no ``IN`` can fetch them
    together."""
    in_loop: dict[str, list[ast.expr]] = {}
    for node in walk_nodes(loop):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    in_loop.setdefault(target.id, []).append(node.value)
    read = {n.id for n in walk_nodes(call) if isinstance(n, ast.Name)}
    for _ in range(3):
        read |= {n.id for name in read for value in in_loop.get(name, []) for n in walk_nodes(value)
                 if isinstance(n, ast.Name)}
    inside = {id(n) for n in walk_nodes(loop)}
    carried = {name for name in read & in_loop.keys()
               if any(isinstance(node, (ast.Assign, ast.AnnAssign)) and id(node) not in inside
                      and name in {n.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                                   for n in walk_nodes(t) if isinstance(n, ast.Name)}
                      for node in walk_function_body(fn))}
    found: set[str] = set()  # result = await session.execute(query); folder = result.scalar_one()
    for _ in range(5):
        found |= {name for name, values in in_loop.items() for value in values for n in walk_nodes(value)
                  if n is call or isinstance(n, ast.Name) and n.id in found}
    return bool(carried & found)


MISS_EXCEPTIONS = re.compile(r"DoesNotExist|NotFound|NoResult|KeyError|LookupError|IndexError")


def _in_failure_handler(module: SourceModule, node: ast.AST, loop: ast.AST) -> bool:
    """A query in an ``except`` clause inside the loop that handles a failure (``except IntegrityError:``
    after a lost race, ``except Exception:`` reporting a file that did not import): it runs for the items
    that fail, not for each item. A clause handling a lookup's miss (``except Model.DoesNotExist:
    Model.objects.create(...)``) runs for every new item and stays reported."""
    for parent in ancestors(module, node):
        if parent is loop:
            return False
        if isinstance(parent, ast.ExceptHandler):
            return parent.type is None or not MISS_EXCEPTIONS.search(ast.unparse(parent.type))
    return False


def _catalog_loop(module: SourceModule, fn: ast.AST, loop: ast.AST) -> bool:
    """A loop over the database's own catalog (``SELECT name FROM sqlite_master``, ``information_schema.tables``):
    one maintenance step per table or index of the schema, not rows of the data. The query is read
    from the loop's iterable and the bindings of its names that reach it, three steps deep."""
    pending: list[ast.AST] = _loop_iterables(loop)
    for _ in range(3):
        following: list[ast.AST] = []
        for expr in pending:
            for node in walk_nodes(expr):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and CATALOG.search(node.value):
                    return True
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    bound = db.single_binding(fn, node.id) or db.reaching_binding(module, fn, node)
                    following += [bound] if bound is not None else []
        pending = following
    return False


CATALOG_DETAILS = {"columns", "key_column_usage", "table_constraints", "statistics", "pg_attribute", "pg_constraint",
                   "pg_index", "pg_indexes", "pg_description", "all_tab_columns", "user_tab_columns"}


def _catalog_lookup(op: db.DbOp) -> bool:
    """A read of the catalog's details of one table (``INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = %s``,
    ``system.columns``): one query filtered by the schema reads them for every table of a catalog loop."""
    return op.is_read and bool(op.tables) and all(table.lower() in CATALOG_DETAILS for table in op.tables)


def _builds_queryset(call: ast.Call) -> bool:
    """A Django queryset chain: a call of ``filter``/``exclude``/``annotate``/... on anything but a
    literal (``books.filter(...).distinct()``, ``Edition.viewer_aware_objects(user).filter(...)``)."""
    node: ast.AST = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in QUERYSET_BUILDERS and (node.args or node.keywords or node.func.attr not in ("values",)):
            return True  # a bare .values() is as likely a dict's
        node = node.func.value
    return False


VIEW_QUERYSET_METHODS = {"get_queryset", "filter_queryset", "paginate_queryset"}


def _view_queryset(node: ast.AST) -> bool:
    """``self.get_queryset()``, ``self.filter_queryset(qs)``, ``self.paginate_queryset(qs)``, ``self.queryset``
    (also on ``super()``): the rows of a Django or DRF class-based view, the admin's too."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in VIEW_QUERYSET_METHODS:
        receiver = node.func.value
    elif isinstance(node, ast.Attribute) and node.attr == "queryset" and isinstance(node.ctx, ast.Load):
        receiver = node.value
    else:
        return False
    return isinstance(receiver, ast.Name) and receiver.id == "self" \
        or isinstance(receiver, ast.Call) and dotted(receiver.func) == "super"


def _reading_model_methods(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[db.DbOp]:
    """``for record in records: record.rendered_line()``, ``Order.objects.open_total(c)``: a method of the
    project's Django models (or querysets and managers), called on an object whose class the database layer
    cannot tell or on a model's manager, whose name no other
    class defines and whose body runs queries and writes nothing (a read per object; a method that
    writes is a per-item unit of work, judged with the writes)."""
    methods = _queryset_methods(project)
    for node in walk_function_body(fn):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods
                and (isinstance(node.func.value, ast.Name) and node.func.value.id not in ("self", "cls")
                     or _manager(node.func.value))):
            continue
        reads = _method_reads(project, node.func.attr)
        if reads:
            yield db.DbOp(call=node, kind=db.READ, api="django", method=node.func.attr, tables=reads,
                          through=node.func.attr, confidence=Confidence.medium)


def _manager(node: ast.AST) -> bool:
    """``Issue.objects``, ``Issue.issue_objects``: a model's manager, whose project methods
    (``Issue.objects.open_count(project)``) are queryset methods."""
    return isinstance(node, ast.Attribute) and node.attr.endswith("objects") and isinstance(node.value, ast.Name) \
        and node.value.id[:1].isupper()


def _method_reads(project: Project, name: str) -> frozenset[str]:
    """The tables the project's model methods named ``name`` read, when each of them runs a query (also
    through a querying ``@property`` of its row: ``network = self.peeringdb_network``) and
    none writes (other than saving the row it is called on: ``self.count = ...count(); self.save()``
    stores what it read), commits or calls another service; empty otherwise."""
    cache = project.facts.setdefault("r1.method_reads", {})
    if name in cache:
        return cache[name]
    cache[name] = frozenset()  # recursion guard
    tables: set[str] = set()
    for owner, method in _queryset_methods(project).get(name, []):
        ops = db.expanded_ops(owner, project, method)
        reads = [op for op in ops if _runs_read(owner, op)]
        reads += _queryset_evaluations(owner, method)  # self.filter(...).count() in a Manager
        read_tables = {t for op in reads for t in op.tables} or {"?"} if reads \
            else _own_relation_queries(owner, project, method) | _own_property_reads(owner, project, method)
        if not read_tables or any(op.is_write and not _saves_self(op) or op.kind in (db.COMMIT, db.EXECUTE) for op in ops) \
                or _calls_out(owner, project, method):
            return cache[name]
        tables |= read_tables
    cache[name] = frozenset(tables)
    return cache[name]


def _runs_read(module: SourceModule, op: db.DbOp) -> bool:
    """A read that reaches the server where it is written (not a queryset built and handed on)."""
    return op.is_read and op.round_trip and not op.batch \
        and (not op.lazy or db.evaluated_in_place(module, op.call) or _evaluated_by_chain(module, op.call))


def _saves_self(op: db.DbOp) -> bool:
    """``self.save(update_fields=[...])`` in a model method: the row the method is called on stores
    what the method computed, no write of other rows."""
    call = op.call
    return op.api == "django" and not op.through and isinstance(call.func, ast.Attribute) \
        and call.func.attr in {"save", "asave"} and isinstance(call.func.value, ast.Name) \
        and call.func.value.id == "self"


def _queryset_evaluations(module: SourceModule, fn: ast.AST) -> Iterator[db.DbOp]:
    """``results.filter(parent=x).order_by("-rank").first()``: a Django queryset chain the database
    layer does not know the model of, run by an evaluating method (first, count, exists, get...) or
    iterated by a loop (``for report in queryset.filter(user=user).order_by("date"):``)."""
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in QUERYSET_EVALUATIONS and isinstance(node.func.value, ast.Call) \
                and _builds_queryset(node.func.value) and not isinstance(module.parents.get(node), ast.Attribute):
            yield db.DbOp(call=node, kind=db.READ, api="django", method=node.func.attr, confidence=Confidence.medium)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _builds_queryset(node) \
                and isinstance(parent := module.parents.get(node), (ast.For, ast.AsyncFor, ast.comprehension)) \
                and parent.iter is node:
            yield db.DbOp(call=node, kind=db.READ, api="django", method=node.func.attr, confidence=Confidence.medium)


def _units_of_work(module: SourceModule, project: Project, ops: list[db.DbOp]) -> set[int]:
    """Calls of helpers that write and commit (``delete_file(f.id)``, ``set_config(k, v)``), or that
    write to two or more tables (``create_translation(data)`` inserting a row and its children): each
    call saves one item, and its lookups serve that write. Per-item units of work are not the N+1 reads
    this rule is about (a batch would change their failure semantics, not only their speed)."""
    calls = {id(op.call): op.call for op in ops}
    committing = {id(op.call) for op in ops if op.through and op.kind == db.COMMIT}
    writing = {id(op.call) for op in ops if op.through and op.is_write}
    # a helper that only runs one keyed write and commits it (a repository's delete_by_x) is a
    # statement per item, not a unit of work: one ``DELETE ... WHERE x IN (...)`` does the same
    statements: dict[int, int] = {}
    for op in ops:
        if op.through and op.kind != db.COMMIT:
            statements[id(op.call)] = statements.get(id(op.call), 0) + 1
    writing = {call for call in writing if statements.get(call, 0) > 1}
    tables: dict[int, set[str]] = {}
    for op in ops:
        if op.through and op.is_write:
            tables.setdefault(id(op.call), set()).update(op.tables or {"?"})
    aggregates = {call for call, written in tables.items() if len(written) > 1}
    return {call for call in committing & writing if _commits_on_every_path(project, module, calls[call])} | aggregates


def _commits_on_every_path(project: Project, module: SourceModule, call: ast.Call) -> bool:
    """Whether the helper ``call`` invokes commits whichever way it goes (``if found: ...; commit()
    else: add(...); commit()``); a commit only in the branch that creates a missing row leaves the
    other calls without one, so the calls are not units of work."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None:
        return True
    helper_module, helper = resolved
    commits = {id(op.call) for op in db.expanded_ops(helper_module, project, helper) if op.kind == db.COMMIT}
    return _always(helper.body, commits)


def _always(block: list[ast.stmt], commits: set[int]) -> bool:
    for stmt in block:
        if isinstance(stmt, ast.If):
            if _always(stmt.body, commits) and _always(stmt.orelse, commits):
                return True
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            if _always(stmt.body, commits):
                return True
        elif isinstance(stmt, ast.Try):
            if _always(stmt.finalbody, commits) or _always(stmt.body, commits) \
                    and all(_always(h.body, commits) or _leaves(h.body) for h in stmt.handlers):
                return True
        elif not isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
                                   ast.ClassDef)) and any(id(n) in commits for n in walk_nodes(stmt)):
            return True
        if _leaves([stmt]):
            return False
    return False


def _leaves(block: list[ast.stmt]) -> bool:
    return any(isinstance(stmt, (ast.Return, ast.Raise)) for stmt in block)


def _schema_migrator_method(module: SourceModule, fn: ast.AST) -> bool:
    """A method of the project's schema migrator (``class SqliteMigrator``): it runs once, at start-up,
    over the few migrations or version rows it is bootstrapping, like the migrations themselves."""
    owner = module.parents.get(fn)
    return isinstance(owner, ast.ClassDef) and re.search(r"Migrator\b", owner.name) is not None


def _unused_task(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A Celery task its own code marks unused (``# Experimental - unused`` before its first statement)
    that no other code names, neither a caller nor a beat schedule: dead code, never run."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not is_celery_task(module, fn):
        return False
    lines = module.text.splitlines()
    if not any(UNUSED_MARK.search(line) for line in lines[fn.lineno:fn.body[0].lineno - 1]):
        return False
    first = min(d.lineno for d in fn.decorator_list)
    elsewhere = [other.text if other is not module else "\n".join(lines[:first - 1] + lines[fn.lineno:])
                 for other in project.modules if not is_test_path(other.path)]
    mention = re.compile(rf"\b{re.escape(fn.name)}\b")
    return not any(mention.search(text) for text in elsewhere)


def _uncalled_model_method(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A method of a model class (Django's ``Model``, Flask-SQLAlchemy's ``db.Model``), all of whose bases are the project's classes or ``Model``, that takes
    arguments (or a ``@property``) and whose name the code base writes nowhere but in its ``def`` lines, nor a template calls
    (or, for a property, reads) (``def is_visible_to_user(self, user)``, called only by the tests left out of the audit): no request
    or job runs it, and the ORM calls no model method of that name."""
    cls = module.parents.get(fn)
    plain_property = _is_property(fn) and len(fn.decorator_list) == 1
    if not isinstance(cls, ast.ClassDef) or fn.name.startswith("__") or cls.name not in _django_model_classes(project) \
            or not plain_property and (len(fn.args.args) - len(fn.args.defaults) < 2 or getattr(fn, "decorator_list", None)):
        return False
    known = db.class_bases(project)
    if not all(base in known or base == "Model" for base in _project_bases(project, cls.name) - {cls.name}):
        return False  # a base of a library (wagtail's Page) may call it
    written = project.facts.setdefault("r1.names_written", {})
    if fn.name not in written:
        word = re.compile(rf"\b{re.escape(fn.name)}\b")
        defined = re.compile(rf"\bdef\s+{re.escape(fn.name)}\s*\(")
        written[fn.name] = any(len(word.findall(m.text)) > len(defined.findall(m.text)) for m in project.modules)
    return not written[fn.name] and fn.name not in _template_calls(project, plain_property)


TEMPLATE_SUFFIXES = (".html", ".jinja", ".jinja2", ".j2", ".txt", ".xml")


def _template_calls(project: Project, read: bool = False) -> frozenset[str]:
    """The method names the code base's templates call with arguments (``{{ user.can_access(panel) }}``,
    Jinja), or with ``read`` every attribute they read (``{{ enrollment.is_ended }}``), read once per project."""
    key = "r1.template_reads" if read else "r1.template_calls"
    found = project.facts.get(key)
    if found is None:
        names: set[str] = set()
        for path in project_files(project.root, lambda name: name.endswith(TEMPLATE_SUFFIXES)):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            names.update(re.findall(r"\.(\w+)\b" if read else r"\.(\w+)\s*\(", text))
        found = project.facts[key] = frozenset(names)
    return found


def _migration_receiver(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """``@receiver(post_migrate)``, or ``@receiver(migrate_finished)`` of a project signal that only
    operator scripts send (``migrate_finished.send(self)`` in a management command): it runs once after
    the migrations, over the few configuration rows it sets up, not on a request's path."""
    if receives_migrate_signal(module, project, fn):
        return True
    for decorator in getattr(fn, "decorator_list", ()):
        if not (isinstance(decorator, ast.Call) and (dotted(decorator.func) or "").split(".")[-1] == "receiver"
                and decorator.args):
            continue
        signal = (dotted(decorator.args[0]) or "").split(".")[-1]
        sent = re.compile(rf"\b{re.escape(signal)}\.send(_robust)?\(")
        senders = [other for other in project.modules if not is_test_path(other.path) and sent.search(other.text)]
        if signal and senders and all(_operator_script(other, project) for other in senders):
            return True
    return False


def _operator_script(module: SourceModule, project: Project) -> bool:
    """The one-off developer tools of a top-level ``tools/`` folder and Django management commands:
    scripts an operator runs (fake-data generators, clean-ups), where a query per row costs a batch
    run seconds rather than every user request its latency. A command the product runs itself
    (a Procfile process, a cron entry, ``call_command()`` from service code) is judged like the service."""
    if module.path.startswith("tools/") or _root_migration_script(module, project):
        return True
    return is_management_command(module.path) and not is_scheduled_command(module, project)


def _migration_helper_module(module: SourceModule, project: Project) -> bool:
    """A module of the code base that only migrations import (``assets/_migration_helpers.py``, whose
    class a data migration runs), or named for them and imported by no audited module: it runs once,
    with the migration."""
    importers = project.facts.get("r1.importers")
    if importers is None:
        importers = project.facts["r1.importers"] = {}
        for other in project.modules:
            for target in other.imports.values():
                imported = project.by_dotted_name.get(target) or project.by_dotted_name.get(target.rpartition(".")[0])
                if imported is not None and imported is not other:
                    importers.setdefault(id(imported), []).append(other)
    found = importers.get(id(module), [])
    if not found:  # the audit leaves migrations/ out: a helper named for them that no audited module imports
        return "migration" in module.path.rsplit("/", 1)[-1]
    return all(db.is_migration_module(other) for other in found)


def _root_migration_script(module: SourceModule, project: Project) -> bool:
    """A data migration script at the top of the code base (``session_slides_type_to_json.py`` whose
    ``db_migrate_speaker_doc()`` runs under ``if __name__ == "__main__":``) that no module imports: an
    operator runs it by hand, once, like the migrations themselves."""
    if "/" in module.path or "__main__" not in module.text:
        return False
    stem = module.path.removesuffix(".py")
    if not any(re.search(r"migrat", name, re.I) for name in [stem, *(fn.name for fn in functions(module.tree))]) \
            or not any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in module.tree.body):
        return False
    imported = re.compile(rf"^\s*(from\s+{re.escape(stem)}\s+import|import\s+{re.escape(stem)}\b)", re.M)
    return not any(other is not module and imported.search(other.text) for other in project.modules)


def _per_item_unit(module: SourceModule, project: Project, fn: ast.AST, op: db.DbOp, loop: ast.AST) -> bool:
    """Whether the call belongs to a per-item unit of work rather than to a query pattern:
    - it runs in a transaction opened for each item (``for s in rows: with atomic(): ...``, or
      by the helper the loop calls);
    - it goes through a helper of the code base that calls another service (a remote lookup
      per item, such as a webfinger or an API fetch, whose query only caches the answer);
    - it inserts a row that the same iteration then hands on, one by one, to more processing
      (``job = Job.objects.create(...); job.start()``, ``log_created(obj)``);
    - it saves a Django model whose class (or a project base) overrides ``save()``: each row runs
      that logic (broadcasting, derived fields), which ``bulk_create`` would skip; a query that
      such a ``save()`` runs is that per-row logic too."""
    for parent in ancestors(module, op.call):
        if parent is loop:
            break
        if isinstance(parent, (ast.With, ast.AsyncWith)) and db.is_transaction_with(module, parent):
            return True
    if op.helper_transaction:
        return True  # the helper opens a transaction (or savepoint) for its item
    if op.through and _calls_out(module, project, op.call):
        return True
    if op.through in SAVING_METHODS and method_name(op.call) == op.through:
        return True  # a query of the model's own save() override
    return op.is_write and (_handed_on(module, project, fn, op.call, loop) or _custom_save(project, op))


def _saves_one_row_again(op: db.DbOp, loop: ast.AST) -> bool:
    """``for i, album in enumerate(albums): ...; job.progress = i; job.save()``: the same row, loaded before
    the loop, saved at each step (a job's progress), not one row per item."""
    saved = op.call.func.value if isinstance(op.call.func, ast.Attribute) else None
    if op.api != "django" or op.through or op.method not in {"save", "asave"} or not isinstance(saved, ast.Name):
        return False
    return not any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == saved.id
                   for node in walk_nodes(loop))


def _custom_save(project: Project, op: db.DbOp) -> bool:
    if op.api != "django" or op.method not in SAVING_METHODS or not op.tables:
        return False
    overrides = _models_overriding(project, "save")
    return all(table.rsplit(".", 1)[-1] in overrides for table in op.tables)


def _models_overriding(project: Project, method: str) -> frozenset[str]:
    """Names of the project's Django classes that define ``method`` or inherit it from a project class."""
    cache = project.facts.setdefault("r1.models_overriding", {})
    if method in cache:
        return cache[method]
    bases: dict[str, list[str]] = {}
    overriding: set[str] = set()
    for module in project.modules:
        if db.skipped_module(module) or not module.imports_module("django"):
            continue
        for cls in module.nodes_of(ast.ClassDef):
            bases.setdefault(cls.name, []).extend((dotted(b) or "").rsplit(".", 1)[-1] for b in cls.bases)
            if any(isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == method for item in cls.body):
                overriding.add(cls.name)
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in overriding and any(parent in overriding for parent in parents):
                overriding.add(name)
                changed = True
    cache[method] = frozenset(overriding)
    return cache[method]


ROW_WRITES = {"delete": db.DELETE, "save": db.UPDATE}


def _row_writes(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[db.DbOp]:
    """``for tag in unused: tag.delete()``: a Django row saved or deleted as a statement of a loop over
    it, one UPDATE/DELETE per row where one ``queryset.update()``/``.delete()`` would do. Not when some
    model of the project overrides that method (the row's class is not known here, and an override's
    logic per row is what ``queryset.delete()`` would skip)."""
    for loop in walk_function_body(fn):
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or not isinstance(loop.target, ast.Name):
            continue
        for node in walk_nodes(loop):
            call = node.value if isinstance(node, ast.Expr) else None
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in ROW_WRITES \
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == loop.target.id \
                    and not call.args and not _models_overriding(project, call.func.attr) \
                    and (call.func.attr == "delete" or _same_change_for_every_row(loop)):
                yield db.DbOp(call=call, kind=ROW_WRITES[call.func.attr], api="django", method=call.func.attr,
                              confidence=Confidence.medium)


RELATED_SET_WRITES = {"add": db.INSERT, "remove": db.DELETE, "set": db.WRITE, "clear": db.DELETE}
RELATED_ITEM_WRITES = {"create", "get_or_create", "update_or_create"}


def _related_manager_writes(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[db.DbOp]:
    """``for f in foods: f.onhand_users.add(*users)``: a many-to-many or reverse relation of the loop's row
    changed through its related manager, a query or two per row where one ``bulk_create`` of the through
    model (or one ``update``/``delete`` of it) would do; also a child created or upserted through one parent's
    related manager from each item (``for data in jobs: job_request.jobs.update_or_create(identifier=data["id"], ...)``)."""
    to_many = _django_relations(project)[0]
    for loop in walk_function_body(fn):
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or not isinstance(loop.target, ast.Name):
            continue
        for call in walk_nodes(loop):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                    and call.func.attr in RELATED_SET_WRITES and isinstance(call.func.value, ast.Attribute) \
                    and call.func.value.attr in to_many and isinstance(call.func.value.value, ast.Name) \
                    and call.func.value.value.id == loop.target.id:
                yield db.DbOp(call=call, kind=RELATED_SET_WRITES[call.func.attr], api="django", method=call.func.attr,
                              tables=frozenset({call.func.value.attr}), confidence=Confidence.medium)
            elif isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                    and call.func.attr in RELATED_ITEM_WRITES and isinstance(call.func.value, ast.Attribute) \
                    and call.func.value.attr in to_many and isinstance(call.func.value.value, ast.Name) \
                    and loop.target.id in {n for k in call.keywords for n in _names(k.value)}:
                yield db.DbOp(call=call, kind=db.INSERT, api="django", method=call.func.attr,  # parent.jobs.update_or_create(
                              tables=frozenset({call.func.value.attr}), upsert=call.func.attr != "create",  # key=item["key"])
                              confidence=Confidence.medium)


def _handed_on(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call, loop: ast.AST) -> bool:
    """Whether the row ``call`` creates is then passed to a per-item step in the same loop: a method
    of the row that is not a query, or a helper of the code base that takes the row."""
    parent = module.parents.get(call)
    if isinstance(parent, ast.Await):
        parent = module.parents.get(parent)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)):
        target = parent.target
    else:
        return False
    if not isinstance(target, ast.Name):
        return False
    name = target.id
    for node in walk_nodes(loop):
        if not isinstance(node, ast.Call) or node is call:
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == name:
            if db.classify(module, node, fn, project) is None:
                return True
        elif any(isinstance(a, ast.Name) and a.id == name for a in node.args) \
                and db.classify(module, node, fn, project) is None and db.resolve_function(module, project, node):
            return True
    return False


def _dispatched_actions(project: Project) -> frozenset[int]:
    """Functions of the code base that a request handler picks from a dispatch table
    (``actions = {"star": col_star, ...}; return actions[action](selected)``): they take what the
    handler hands them, the request's data."""
    cached = project.facts.get("r1.dispatched_actions")
    if cached is not None:
        return cached
    found: set[int] = set()
    for module, handler in project_routes(project):
        for node in walk_nodes(handler.function):
            if not isinstance(node, ast.Dict):
                continue
            for value in node.values:
                if isinstance(value, ast.Name):
                    function = _top_level_function(module, project, value.id)
                    if function is not None:
                        found.add(id(function))
    result = frozenset(found)
    project.facts["r1.dispatched_actions"] = result
    return result


def _top_level_function(module: SourceModule, project: Project, name: str) -> ast.AST | None:
    """The module-level function ``name`` means in ``module``: defined there or imported from the code base."""
    for stmt in module.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
    target = module.imports.get(name)
    if not target or "." not in target:
        return None
    owner = project.by_dotted_name.get(target.rsplit(".", 1)[0])
    if owner is None:
        return None
    return next((stmt for stmt in owner.tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and stmt.name == target.rsplit(".", 1)[1]), None)


def _db_arguments(fn: ast.AST) -> list[ast.arg]:
    return [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs] if isinstance(
        fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else []


def _imports_project_code(module: SourceModule, project: Project) -> bool:
    return any(project.by_dotted_name.get(target.rsplit(".", 1)[0]) for target in module.imports.values())


def _call_text(call: ast.Call) -> str:
    name = dotted(call.func)
    return f"{name}()" if name else f"{method_name(call) or 'call'}()"


def _loop_iterables(loop: ast.AST) -> list[ast.expr]:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return [loop.iter]
    if isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return [g.iter for g in loop.generators]
    return []


def _row_iterables(loop: ast.AST, row: str) -> list[ast.expr]:
    """The iterables of ``loop`` that bind ``row``: in ``(h.fits(d) for d in days(...) for h in hours)``
    the rows ``h`` come from ``hours``, not from ``days(...)``."""
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return [loop.iter]
    return [g.iter for g in getattr(loop, "generators", []) if row in _names(g.target)]


def _loop_targets(loop: ast.AST) -> list[ast.expr]:
    if isinstance(loop, (ast.For, ast.AsyncFor)):
        return [loop.target]
    if isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return [g.target for g in loop.generators]
    return []


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in walk_nodes(node) if isinstance(n, ast.Name)}


def _bound_names(target: ast.AST) -> set[str]:
    """The names an assignment fills: ``rows``, ``a, b``, the collection of ``by_id[key] = rows``, the object
    of ``request.user = ...``; not the key of a subscript nor the instance of ``self.stats[camera] = ...``
    (``camera`` and ``self``, whose other attributes, ``self.config``, hold no rows)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return {name for element in target.elts for name in _bound_names(element)}
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return {target.id} if isinstance(target, ast.Name) and target.id not in ("self", "cls") else set()


S3_LISTING_KEYWORDS = {"Prefix", "Delimiter", "Marker", "MaxKeys"}


class _RowSources:
    """Which names of a function hold database rows or request data."""

    def __init__(self, module: SourceModule, project: Project, fn: ast.AST, is_handler: bool,
                 handlers: set[int] | frozenset[int] = frozenset()):
        self.module, self.project, self.fn = module, project, fn
        self.django = module.imports_module("django") or ".objects." in module.text
        self.sqlalchemy = any(module.imports_module(lib) for lib in ("sqlalchemy", "flask_sqlalchemy", "sqlmodel"))
        self.kind: dict[str, str] = {}
        self.handles = db.handles(module, fn)
        for arg in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
            if is_handler and arg.arg not in NOT_REQUEST_PARAMS and not db.db_like_name(arg.arg) \
                    and not _scalar_annotation(arg):
                self.kind[arg.arg] = "request data"
            elif _keys_annotation(arg.annotation) and arg.arg not in _command_line_arguments(module, fn):
                self.kind[arg.arg] = "keys passed in"  # ids: List[str], ids: list[UUID]
            elif _rows_annotation(project, arg.annotation):
                self.kind[arg.arg] = "rows passed in"  # topics: list[Topic], users: Iterable[User]
            elif _records_annotation(project, arg.annotation) and not _method_of_record_class(module, project, fn):
                self.kind[arg.arg] = "records passed in"  # receipts: list[api.ReadReceipt]
        for name in _request_filled_parameters(module, fn):
            self.kind.setdefault(name, "request data")
        if not is_handler and handlers:
            for name in _handed_request_data(module, project, fn, handlers):
                self.kind.setdefault(name, "request data")
        if not is_handler:
            for name in _handed_decoded_request(project, fn):
                self.kind.setdefault(name, "request data")
        if self.django and _queryset_method(module, fn):
            self.kind["self"] = "database rows"  # for row in self: inside a QuerySet subclass's method
        if self.django and _admin_action(module, fn):
            self.kind["queryset"] = "rows selected in the admin"
        for _ in range(2):
            for node in walk_function_body(fn):
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                    source = self.source_of(node.value)
                    if source:
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        for target in targets:
                            for name in _bound_names(target):
                                self.kind.setdefault(name, source)
                elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    source = self.source_of(node.iter)
                    if source:
                        for name in _names(node.target):
                            self.kind.setdefault(name, source)
                elif self._copies_rows(node):
                    self.kind.setdefault(node.value.func.value.id, "database rows")  # tbs.append(dict(zip(cols, row)))

    def source_of(self, expr: ast.AST) -> str | None:
        """'database rows' or 'request data' when ``expr`` draws on them, else None."""
        if _is_constant_collection(expr) or self._decoded_object(expr) or self._constant_mapping_entry(expr) \
                or self._bucket_listing(expr) or MODEL_METADATA.search(ast.unparse(expr)):
            return None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("list", "set", "sorted") \
                and len(expr.args) == 1 and not expr.keywords:
            return self.source_of(expr.args[0])  # list(set(all_areas) - set(chosen)): the items of its argument
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Sub):
            return self.source_of(expr.left)  # a - b holds only items of a
        if isinstance(expr, ast.Subscript):
            return self.source_of(expr.value)  # role_spec[kind]: an entry of role_spec, whatever key picks it
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            # [f for f in CATALOG if f["name"] == row.name]: the items of what it iterates, whatever filters them
            parts = [expr.key, expr.value] if isinstance(expr, ast.DictComp) else [expr.elt]
            return next((source for part in [*parts, *(g.iter for g in expr.generators)]
                         if (source := self.source_of(part))), None)
        if self._django_field_value(expr):
            return None
        for node in _item_nodes(expr):
            if isinstance(node, ast.Name) and node.id in self.kind:
                return self.kind[node.id]
            if _reads_request(node):
                return "request data"
            if isinstance(node, ast.Call) and _returns_request_data(self.module, self.project, node):
                return "request data"  # body = validate_request_body(Schema): the request's body, checked
            if self._parsed_arguments(node):
                return "request data"  # args = self.post_request_parser.parse_args(): flask-restx reqparse
            if isinstance(node, ast.Call):
                op = db.classify(self.module, node, self.fn, self.project)
                if op is not None and op.is_read:
                    return "database rows"
                if method_name(node) in ROW_METHODS and isinstance(node.func, ast.Attribute) and self._from_db(node.func.value):
                    return "database rows"
                if self._helper_reads(node):
                    return "database rows"
            if isinstance(node, ast.Attribute) and node.attr == "rows" and self._layer_result(node.value):
                return "database rows"  # self.query(sql).rows: the rows of a result the database layer fetched
            if isinstance(node, ast.Name) and node.id in self.handles and expr is node:
                return "database rows"  # iterating a cursor
            if self.django and isinstance(node, ast.Call) and _builds_queryset(node):
                return "database rows"  # qs.filter(...).distinct(), Model.viewer_objects(user).exclude(...)
            if self.django and _view_queryset(node):
                return "database rows"  # self.get_queryset(), self.filter_queryset(...) of a class-based view
            if self.django and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in _queryset_methods(self.project) \
                    and _project_queryset(self.module, self.project, node, _django_relations(self.project)[0], 3):
                return "database rows"  # qs.close(actor): a queryset method of the project
            if isinstance(node, ast.Call) and (qualified(self.module, node.func) or "") in FILE_ROW_READERS:
                return "file rows"  # csv.reader(upload): one record per row of an imported file
            if isinstance(node, ast.Call) and (qualified(self.module, node.func) or "") in FOLDER_LISTINGS:
                return "files of a folder"  # listdir(monitor.path): as many as the folder holds
            if self._decodes_task_payload(node):
                return "message data"  # json.loads(requested_data) of a Celery task's module
            if self._remote_response(node):
                return REMOTE_ITEMS  # resp.json()["installations"]
        return None

    def _copies_rows(self, node: ast.AST) -> bool:
        """``for row in result.rows: tbs.append(dict(zip(columns, row)))``: a list that gets every row of a loop
        over rows (an append of the row as a statement of the loop's body; not one under an ``if``, a few picked)."""
        loop = self.module.parents.get(node)
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and method_name(node.value) == "append" \
            and isinstance(node.value.func, ast.Attribute) and isinstance(node.value.func.value, ast.Name) \
            and len(node.value.args) == 1 and isinstance(loop, (ast.For, ast.AsyncFor)) and node in loop.body \
            and self.source_of(loop.iter) == "database rows" and self.source_of(node.value.args[0]) == "database rows"

    def _bucket_listing(self, expr: ast.AST) -> bool:
        """``bucket.objects.filter(Prefix="legal/")`` of a boto3 S3 ``Bucket`` (made in the function or returned
        by a helper of the code base): the objects stored under a prefix, whose ``obj.delete()`` is a request
        to S3, not a row of the database."""
        chain = expr
        while isinstance(chain, ast.Call) and isinstance(chain.func, ast.Attribute):
            if any(keyword.arg in S3_LISTING_KEYWORDS for keyword in chain.keywords):
                return True
            chain = chain.func.value
        if not (isinstance(chain, ast.Attribute) and chain.attr == "objects"):
            return False
        bucket = chain.value
        if isinstance(bucket, ast.Name):
            bucket = db.single_binding(self.fn, bucket.id)
        if not isinstance(bucket, ast.Call):
            return False
        if method_name(bucket) == "Bucket":
            return True
        resolved = db.resolve_function(self.module, self.project, bucket, reexports=True)
        returned = [db.single_binding(resolved[1], value.id) if isinstance(value, ast.Name) else value
                    for value in (_returns(resolved[1]) if resolved is not None else [])]
        return any(isinstance(value, ast.Call) and method_name(value) == "Bucket" for value in returned)

    def _layer_result(self, expr: ast.AST) -> bool:
        """A call the code base's database layer runs as a read (``self.query(sql=...)``), or a name bound to one."""
        calls = _bindings(self.fn, expr.id) if isinstance(expr, ast.Name) else [expr]
        reads = {id(op.call) for op in db.expanded_ops(self.module, self.project, self.fn) if op.is_read}
        return any(isinstance(call, ast.Call) and id(call) in reads for call in calls)

    def _parsed_arguments(self, node: ast.AST) -> bool:
        """``parser.parse_args()`` of flask-restx/flask-restful's ``reqparse``: the request's arguments."""
        return isinstance(node, ast.Call) and method_name(node) == "parse_args" and not node.args \
            and isinstance(node.func, ast.Attribute) and any(
                self.module.imports_module(lib) for lib in ("flask_restx", "flask_restful", "flask_restplus"))

    def _constant_mapping_entry(self, expr: ast.AST) -> bool:
        """``exclusions[state]`` of ``exclusions = {ACTIVE: [DISABLED], DISABLED: [ACTIVE]}``, written in the
        function, at module level or returned by a function of the code base (``States.exclusions()``): the
        items are constants of the code, whatever key picks them."""
        if not (isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name)):
            return False
        bound = db.single_binding(self.fn, expr.value.id) or db.single_binding(self.module.tree, expr.value.id)
        if isinstance(bound, ast.Call):
            resolved = db.resolve_function(self.module, self.project, bound, reexports=True)
            returned = _returns(resolved[1]) if resolved is not None else []
            if len(returned) == 1 and isinstance(returned[0], ast.Name):
                returned = [db.single_binding(resolved[1], returned[0].id)]
            bound = returned[0] if len(returned) == 1 else None
        return isinstance(bound, ast.Dict) and all(
            isinstance(value, (ast.List, ast.Tuple, ast.Set)) and all(_constant_item(e) for e in value.elts)
            for value in bound.values)

    def _remote_response(self, node: ast.AST) -> bool:
        """``resp.json()`` of the one response the function got from another service (``resp =
        client.get(url)``, through a helper of the code base too), or a helper of the code base that returns
        such a decoded body (``def fetch_series(): r = requests.get(url); return r.json()``) or its items
        (``yield`` each of ``requests.get(url).json()["results"]``, page after page): a list as long as that
        service makes it."""
        if _decodes_response(self.fn, node):
            return True
        resolved = db.resolve_function(self.module, self.project, node) if isinstance(node, ast.Call) else None
        return resolved is not None and (
            any(_decodes_response(resolved[1], returned) for returned in _returns(resolved[1]))
            or _returned_source(resolved[0], self.project, resolved[1]) == REMOTE_ITEMS)

    def _decodes_task_payload(self, node: ast.AST) -> bool:
        """``json.loads(current_instance)`` of a parameter, in a module that defines Celery tasks: the
        payload a task was sent, whose lists (``current_instance.get("created_records")``) are as long
        as the request or the rows that queued it."""
        return isinstance(node, ast.Call) and (qualified(self.module, node.func) or "") in JSON_DECODERS \
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name) \
            and node.args[0].id in {a.arg for a in _db_arguments(self.fn)} and defines_worker_tasks(self.module)

    def _decoded_object(self, expr: ast.AST) -> bool:
        """The decoded payload itself, or its ``items()``/``keys()``/``values()``: its keys are the fields
        of one change (``for key in requested_data:``), not a list of items."""
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and not expr.args \
                and expr.func.attr in ("items", "keys", "values"):
            expr = expr.func.value
        return isinstance(expr, ast.Name) and any(
            self._decodes_task_payload(node) for value in _bindings(self.fn, expr.id) for node in walk_nodes(value))

    def _django_field_value(self, expr: ast.AST) -> bool:
        """``template.due_dates`` on a Django row: a related manager is not iterable without
        ``.all()``, so a bare attribute of a row is a field's value (a JSON or array column),
        unless a model ``@property`` of that name returns rows."""
        return self.django and not self.sqlalchemy and isinstance(expr, ast.Attribute) \
            and isinstance(expr.value, ast.Name) and self.kind.get(expr.value.id) == "database rows" \
            and expr.attr not in _model_properties(self.project)

    def _from_db(self, node: ast.AST) -> bool:
        for inner in walk_nodes(node):
            if isinstance(inner, ast.Call) and db.classify(self.module, inner, self.fn, self.project) is not None:
                return True
            if isinstance(inner, ast.Name) and (inner.id in self.handles or db.db_like_name(inner.id)):
                return True
        return False

    def _helper_reads(self, call: ast.Call) -> bool:
        resolved = db.resolve_function(self.module, self.project, call)
        if resolved is None and isinstance(call.func, ast.Attribute):
            wrapper = _driver_wrapper_method(self.module, self.project, self.fn, call)
            if wrapper is not None:  # status, res = conn.execute_dict(sql): res["rows"] are the rows it fetched
                return _returns_fetched_rows(wrapper[0], self.project, wrapper[1])
            service = _service_method(self.module, self.project, self.fn, call)
            return service is not None and _method_reads_rows(self.project, service)
        if resolved is None:
            return False
        helper_module, helper = resolved
        return any(op.is_read for op in db.function_ops(helper_module, helper, self.project)) \
            and _returns_what_it_reads(helper_module, self.project, helper) \
            or not self._fills_an_entry(call) and _returned_source(helper_module, self.project, helper) == "database rows" \
            and any(op.is_read for op in db.expanded_ops(helper_module, self.project, helper)) \
            or self._reads_through_layer(call, helper_module, helper) \
            or _returns_query_rows(helper) or _returns_legacy_query(helper_module, self.project, helper, 2) \
            or self.django and any(isinstance(value, ast.Call) and _builds_queryset(value) for value in _returns(helper))

    def _fills_an_entry(self, call: ast.Call) -> bool:
        """``kwargs["perm_id"] = get_perm_id(name)``: one value stored under a key, not rows the mapping holds."""
        parent = self.module.parents.get(call)
        return isinstance(parent, ast.Assign) and any(isinstance(t, ast.Subscript) for t in parent.targets)

    def _reads_through_layer(self, call: ast.Call, helper_module: SourceModule, helper: ast.AST) -> bool:
        """``results = db.select(query)``: a call whose statement the code base's own database layer runs
        (a read of the call's operations, see :func:`db.expanded_ops`) and that returns the rows fetched."""
        return _returns_fetched_rows(helper_module, self.project, helper) and any(
            op.call is call and op.is_read for op in db.expanded_ops(self.module, self.project, self.fn))

    def describe(self, loop: ast.AST) -> str:
        for iterable in _loop_iterables(loop):
            source = self.source_of(iterable)
            if source:
                text = ast.unparse(iterable)
                return f"{source} ({text if len(text) <= 60 else text[:57] + '...'})"
        keys = next((iterable for iterable in _loop_iterables(loop) if _id_list_field(iterable)), None)
        return f"a list of keys ({ast.unparse(keys)[:60]})" if keys is not None else "rows"


REMOTE_ITEMS = "items another service returned"


REQUEST_DATA_ATTRS = {"json", "args", "form", "data", "POST", "GET", "query_params", "files", "values", "get_json",
                      "body", "query", "match_info", "path_params", "FILES", "json_body", "validated"}


VALIDATED_INPUT_ATTRS = {"cleaned_data", "validated_data"}


# ``queryset.model._meta.private_fields``, ``model._meta.get_fields()``: a model's fields, a handful the schema declares
MODEL_METADATA = re.compile(r"\._meta\.\w+(\(.*\))?$")


def _item_nodes(expr: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``expr`` that can hand it items, breadth first: not those under a truth value
    (``self.requests_for(bool(opted_in))``, ``not rows``), which picks what the call returns but puts nothing in it."""
    todo = [expr]
    while todo:
        node = todo.pop(0)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) or isinstance(node, ast.Call) \
                and isinstance(node.func, ast.Name) and node.func.id == "bool":
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _reads_request(node: ast.AST) -> bool:
    """``request.json``, ``request.get_json()``, ``req.query_params``, ``self.request.body`` (a Tornado
    handler's, a class-based view's): what the client sent; also a Django form's ``self.cleaned_data`` and a
    DRF serializer's ``serializer.validated_data``: the same, checked."""
    if not isinstance(node, ast.Attribute):
        return False
    root = node.value.attr if isinstance(node.value, ast.Attribute) and dotted(node.value.value) == "self" \
        else node.value.id if isinstance(node.value, ast.Name) else None
    return root in REQUEST_ROOTS and node.attr in REQUEST_DATA_ATTRS \
        or isinstance(node.value, ast.Name) and node.attr in VALIDATED_INPUT_ATTRS


def _returns_request_data(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Whether ``call`` runs a function of the code base that returns what it reads from the request
    (``payload = request.get_json(); return Schema.model_validate(payload)``): its value is the request's
    data, as long as the client makes its lists."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is None:
        return False
    helper = resolved[1]
    cache = project.facts.setdefault("r1.request_readers", {})
    if id(helper) not in cache:
        read: set[str] = set()
        for _ in range(2):  # body = self.request.body.decode(); model = json.loads(body)
            read |= {target.id for stmt in walk_function_body(helper) if isinstance(stmt, ast.Assign)
                     and any(_reads_request(node) or isinstance(node, ast.Name) and node.id in read
                             for node in walk_nodes(stmt.value))
                     for target in stmt.targets if isinstance(target, ast.Name)}
        cache[id(helper)] = any(_reads_request(node) or isinstance(node, ast.Name) and node.id in read
                                for value in _returns(helper) for node in walk_nodes(value))
    return cache[id(helper)]


def _handed_request_data(module: SourceModule, project: Project, fn: ast.AST, handlers: set[int] | frozenset[int]) -> set[str]:
    """Parameters of ``fn`` that a request handler of the same file passes its request data to
    (``self.add_tags(instance, validated_data.pop("tags"))`` in a serializer's ``update``)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    found: set[str] = set()
    for call in module.nodes_of(ast.Call):
        func = call.func
        if isinstance(func, ast.Name) and func.id == fn.name:
            positional = params
        elif isinstance(func, ast.Attribute) and func.attr == fn.name and dotted(func.value) in ("self", "cls"):
            static = any(dotted(d) == "staticmethod" for d in fn.decorator_list)
            positional = params if static else params[1:]
        else:
            continue
        caller = enclosing_function(module, call)
        if caller is None or caller is fn or id(caller) not in handlers:
            continue
        sources = _RowSources(module, project, caller, True)
        pairs = list(zip(positional, call.args)) + [(k.arg, k.value) for k in call.keywords if k.arg]
        found |= {name for name, value in pairs if not isinstance(value, ast.Starred)
                  and sources.source_of(value) == "request data"}
    return found


def _handed_decoded_request(project: Project, fn: ast.AST, depth: int = 2) -> frozenset[str]:
    """Parameters of ``fn`` that a request handler (of any file) hands what it decoded from the request
    (``config = json.loads(body)``; ``read_host_config(session, config)``), directly or through a function
    it hands them to (``depth`` calls down): as long as the client makes its lists. Not a parameter of the
    handler itself handed on (a path parameter, ``project_id``: one value)."""
    cache = project.facts.setdefault("r1.handed_decoded", {})
    key = (id(fn), depth)
    if key in cache:
        return cache[key]
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or project.facts.get("r1.handing"):
        return frozenset()  # the callers' own sources are read without it: no chain of readings
    project.facts["r1.handing"] = True
    try:
        cache[key] = _decoded_request_parameters(project, fn, depth)
    finally:
        project.facts["r1.handing"] = False
    return cache[key]


def _decoded_request_parameters(project: Project, fn: ast.AST, depth: int) -> frozenset[str]:
    _project_callers(project, fn)  # fills the index of calls by name
    found: set[str] = set()
    for module, caller, call in project.facts["r1.calls_by_name"].get(fn.name, []):
        if caller is fn:
            continue
        resolved = db.resolve_function(module, project, call, reexports=True)
        if resolved is None or resolved[1] is not fn:
            continue
        handler = id(caller) in _module_handlers(module, project)
        handed = set() if handler else _decoded_request_parameters(project, caller, depth - 1) if depth > 1 else set()
        if not handler and not handed:
            continue
        params = {a.arg for a in [*caller.args.posonlyargs, *caller.args.args, *caller.args.kwonlyargs]}
        sources = _RowSources(module, project, caller, handler) if handler else None
        for name, value in passed_arguments(fn, call):
            if isinstance(value, ast.Name) and value.id in params:
                if value.id in handed:
                    found.add(name)
            elif sources is not None and sources.source_of(value) == "request data":
                found.add(name)
    return frozenset(found)


def _module_handlers(module: SourceModule, project: Project) -> frozenset[int]:
    """The functions of ``module`` the web framework calls with a request (as :func:`check` reads them)."""
    cache = project.facts.setdefault("r1.module_handlers", {})
    if module.path not in cache:
        cache[module.path] = frozenset({id(h.function) for h in route_handlers(module)} | _dispatched_actions(project)
                                       | {id(f) for f in functions(module.tree) if _graphql_resolver(f)})
    return cache[module.path]


def _queryset_method(module: SourceModule, fn: ast.AST) -> bool:
    """Whether ``fn`` is a method of a Django ``QuerySet`` subclass, whose ``self`` is the rows it selects."""
    args = fn.args.posonlyargs + fn.args.args
    if not args or args[0].arg != "self" or any(dotted(d) in ("staticmethod", "classmethod") for d in getattr(fn, "decorator_list", [])):
        return False
    cls = next(iter(ancestors(module, fn)), None)
    return isinstance(cls, ast.ClassDef) and any(
        (qualified(module, base) or dotted(base) or "").rsplit(".", 1)[-1] == "QuerySet" for base in cls.bases)


def _same_change_for_every_row(loop: ast.For | ast.AsyncFor) -> bool:
    """``for v in rows: v.retired = True; v.save()``: the loop sets the row's fields to values that do not
    depend on the row (no name the loop binds), the change one ``rows.update(retired=True)`` makes."""
    bound = set(_names(loop.target))
    for node in walk_nodes(loop):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, (ast.Name, ast.Tuple, ast.List)):
                    bound |= _names(target)
    row = loop.target.id
    changes = [node for node in walk_nodes(loop) if isinstance(node, ast.Assign)
               and all(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == row
                       for t in node.targets)]
    return bool(changes) and all(not _names(change.value) & bound for change in changes)


GRAPHQL_RESOLVER_DECORATORS = re.compile(r"^(strawberry|strawberry_django)\.(mutation|field|subscription)$")


def _graphql_resolver(fn: ast.AST) -> bool:
    """A GraphQL resolver, whose arguments are the query's or mutation's input: ``@strawberry.mutation``
    and ``@strawberry.field`` methods, graphene's ``mutate(root, info, ...)`` and ``resolve_x(self, info, ...)``."""
    if any(GRAPHQL_RESOLVER_DECORATORS.search(dotted(d.func if isinstance(d, ast.Call) else d) or "")
           for d in getattr(fn, "decorator_list", [])):
        return True
    arguments = [a.arg for a in fn.args.args[:2]]
    return (fn.name == "mutate" or fn.name.startswith("resolve_")) and "info" in arguments


def _admin_action(module: SourceModule, fn: ast.AST) -> bool:
    """A Django admin action: ``def archive(self, request, queryset)`` of a ``ModelAdmin`` or a function
    decorated ``@admin.action``, whose ``queryset`` is the rows the user ticked in the change list."""
    if "queryset" not in [a.arg for a in fn.args.args[-1:]]:
        return False
    if any((dotted(d.func if isinstance(d, ast.Call) else d) or "").endswith("admin.action")
           for d in getattr(fn, "decorator_list", [])):
        return True
    cls = next(iter(ancestors(module, fn)), None)
    return isinstance(cls, ast.ClassDef) and any(ADMIN_BASES.search(dotted(base) or "") for base in cls.bases)


KEY_TYPES = {"int", "str", "UUID", "UUID4", "uuid.UUID"}
ID_TYPE = re.compile(r"(^|\.)[A-Z]\w*(ID|Id)$")  # UserID, RoomID: a NewType of an identifier
SEQUENCE_TYPES = {"list", "List", "Sequence", "Iterable", "set", "Set", "frozenset", "FrozenSet", "Collection"}


def _collections(annotation: ast.AST | None) -> list[tuple[str, ast.expr]]:
    """(collection type, item annotation) of ``list[User]``, ``Optional[Sequence[UUID]]``,
    ``list[int] | None``: the collections a parameter's annotation allows."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _collections(annotation.left) + _collections(annotation.right)
    if not isinstance(annotation, ast.Subscript):
        return []
    outer = (dotted(annotation.value) or "").rsplit(".", 1)[-1]
    return _collections(annotation.slice) if outer == "Optional" else [(outer, annotation.slice)]


def _rows_annotation(project: Project, annotation: ast.AST | None) -> bool:
    """``list[Topic]``, ``Iterable["User"]``, ``QuerySet[Order]``: a parameter that holds rows of a
    model of the project, as many as the caller loaded."""
    return any(outer in SEQUENCE_TYPES | {"QuerySet"}
               and (string_value(item) or dotted(item) or "").rsplit(".", 1)[-1] in _model_classes(project)
               for outer, item in _collections(annotation))


WIRE_RECORD_BASES = re.compile(r"^(Serializable\w*|\w*SerializableAttrs|BaseModel|Struct|ThriftObject)$")
ENUM_BASES = {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}


def _records_annotation(project: Project, annotation: ast.AST | None) -> bool:
    """``list[graphql.ReadReceipt]``, ``Sequence[Message]``: a parameter that holds records another service
    sent, decoded into a class of the project (a pydantic ``BaseModel``, mautrix ``SerializableAttrs``, a
    Thrift or msgspec struct), as many as that service returned; not the project's own value objects."""
    return any(outer in ("list", "List", "Sequence") and _wire_record_class(project, string_value(item) or dotted(item))
               for outer, item in _collections(annotation))


def _wire_record_class(project: Project, name: str | None) -> bool:
    """A record class of the project that decodes data sent to it (a pydantic ``BaseModel``, mautrix
    ``SerializableAttrs``, a Thrift or msgspec struct), not one of its models or enums."""
    name = (name or "").rsplit(".", 1)[-1]
    _project_class(project, "")  # fills the index of classes by name
    bases = _project_bases(project, name)
    return bool(project.facts["r1.classes_by_name"].get(name)) and not bases & ENUM_BASES \
        and any(WIRE_RECORD_BASES.search(base) for base in bases - {name}) and name not in _model_classes(project)


def _method_of_record_class(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A method of a record class itself (a pydantic node whose fields are ``control: list[ControlField]``):
    the records it is handed are parts of that one record (a node's inputs, a few), not a list another
    service returned."""
    cls = module.parents.get(fn)
    return isinstance(cls, ast.ClassDef) and any(
        WIRE_RECORD_BASES.search(base) for base in _project_bases(project, cls.name) - {cls.name})


def _model_classes(project: Project) -> frozenset[str]:
    """Names of the project's ORM model classes: Django models (deriving from ``Model``), SQLAlchemy
    and Flask-SQLAlchemy models (``db.Model``, a class with ``__tablename__``, or deriving from one)."""
    cached = project.facts.get("r1.model_classes")
    if cached is not None:
        return cached
    tabled = {cls.name for m in project.modules if "__tablename__" in m.text for cls in m.nodes_of(ast.ClassDef)
              if any(isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__tablename__"
                                                       for t in s.targets) for s in cls.body)}
    result = frozenset(name for name in db.class_bases(project)
                       if "Model" in _project_bases(project, name) - {name} or _project_bases(project, name) & tabled)
    project.facts["r1.model_classes"] = result
    return result


def _id_list_field(expr: ast.AST) -> bool:
    """``committee["forward_to_committee_ids"]``, ``instance.get("user_ids", [])``, ``self.meeting_ids``: a
    list of keys, named ``ids`` or ``..._ids`` (a record's field, a name)."""
    if isinstance(expr, (ast.Name, ast.Attribute)):
        name = expr.id if isinstance(expr, ast.Name) else expr.attr
    else:
        key = expr.slice if isinstance(expr, ast.Subscript) else expr.args[0] if isinstance(expr, ast.Call) \
            and method_name(expr) == "get" and expr.args and isinstance(expr.func, ast.Attribute) else None
        name = string_value(key) if key is not None else None
    return bool(name) and (name == "ids" or name.endswith("_ids"))


def _keys_annotation(annotation: ast.AST | None) -> bool:
    """``List[str]``, ``list[int]``, ``Sequence[UUID]``, ``set[UserID]``, ``list[tuple[str, str]]``: a parameter
    that holds a list of keys (ids, names, pairs of them) the caller collected, of a size the function cannot know."""
    return any(_key_type(item) for outer, item in _collections(annotation) if outer in SEQUENCE_TYPES)


def _command_line_arguments(module: SourceModule, fn: ast.AST) -> set[str]:
    """The parameters a click command's decorators fill from its command line (``@click.argument("names",
    nargs=-1)``, ``@click.option("--dry-run")``): the few values an operator typed, not a list of keys."""
    names = set()
    for decorator in fn.decorator_list:
        if isinstance(decorator, ast.Call) and (qualified(module, decorator.func) or "") in CLICK_PARAMETERS:
            declared = [value for arg in decorator.args if (value := string_value(arg))]
            named = [d for d in declared if d.isidentifier()] \
                or [d for d in declared if d.startswith("--")][:1] or declared[:1]  # click's own choice of name
            names.update(d.lstrip("-").replace("-", "_") for d in named)
    return names


CLICK_PARAMETERS = {"click.argument", "click.option"}


def _request_filled_parameters(module: SourceModule, fn: ast.AST) -> set[str]:
    """The parameters coaster's request decorators fill from the request (``@requestform(("sessions",
    json.loads))``, ``@requestvalues("name[]")``): request data, whatever the route decorator."""
    names = set()
    for decorator in fn.decorator_list:
        if isinstance(decorator, ast.Call) and (qualified(module, decorator.func) or "") in COASTER_REQUEST_DECORATORS:
            for arg in decorator.args:
                declared = string_value(arg.elts[0]) if isinstance(arg, ast.Tuple) and arg.elts else string_value(arg)
                if declared:
                    names.add(declared.removesuffix("[]"))
    return names


COASTER_REQUEST_DECORATORS = {f"{package}.{name}" for package in ("coaster.views", "coaster.views.decorators")
                              for name in ("requestargs", "requestform", "requestquery", "requestvalues", "requestbody")}


def _key_type(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "") in ("tuple", "Tuple"):
        parts = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        return all(_key_type(part) for part in parts if not (isinstance(part, ast.Constant) and part.value is ...))
    key = dotted(annotation) or ""
    return key in KEY_TYPES or ID_TYPE.search(key) is not None


def _scalar_annotation(arg: ast.arg) -> bool:
    return isinstance(arg.annotation, ast.Name) and arg.annotation.id in ("int", "str", "bool", "float", "UUID", "uuid")


def _constant_item(expr: ast.AST) -> bool:
    """A literal or a constant the code names: ``"active"``, ``HELPER_CODE``, ``cls.DISABLED``, ``States.LOST``."""
    return isinstance(expr, ast.Constant) or isinstance(expr, ast.Name) and expr.id.isupper() \
        or isinstance(expr, ast.Attribute) and dotted(expr) is not None \
        and (expr.attr.isupper() or dotted(expr.value) == "cls")


def _is_constant_collection(expr: ast.AST) -> bool:
    """``("a", "b")``, ``range(10)``, or a table written out entry by entry, each keyed by a constant
    (``[(CONTRIBUTOR_CODE, [Revision.objects.all()]), (HELPER_CODE, [...])]``): as many items as the code
    spells, whatever querysets the entries carry."""
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return all(isinstance(e, ast.Constant) or isinstance(e, ast.Tuple) and e.elts and _constant_item(e.elts[0])
                   for e in expr.elts)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "range":
        return all(isinstance(a, ast.Constant) for a in expr.args)
    return False


def loops_around(module: SourceModule, node: ast.AST) -> list[ast.AST]:
    """For-loops and comprehensions that run ``node`` once per item, innermost first;
    a ``while`` loop pages or polls rather than iterating rows."""
    return [loop for loop in enclosing_loops(module, node) if not isinstance(loop, ast.While)]


def _runs_once(module: SourceModule, node: ast.AST, loop: ast.AST) -> bool:
    """Whether ``node`` is followed in its loop body by an unconditional raise/return/break, sits
    in the loop's ``else:`` clause (run once, after the last item), or under a test of the item against
    a constant (``for key, value in data.items(): ... if key == "admin":``: the one item of that value)."""
    if _in_else_clause(module, node, loop):
        return True
    items = {name for target in _loop_targets(loop) for name in _names(target)}
    child = node
    for parent in ancestors(module, node):
        if isinstance(parent, ast.If) and child in parent.body and _item_is_constant(parent.test, items):
            return True
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, field_name, None)
            if isinstance(block, list) and child in block:
                after = block[block.index(child) + 1:]
                if any(isinstance(s, (ast.Raise, ast.Return, ast.Break)) for s in after):
                    return True
        if parent is loop:
            return False
        child = parent
    return False


def _item_is_constant(test: ast.expr, items: set[str]) -> bool:
    """``key == "admin"`` (also in an ``and``) of a loop's item ``key``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_item_is_constant(value, items) for value in test.values)
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) \
        and any(isinstance(a, ast.Name) and a.id in items and isinstance(b, ast.Constant)
                for a, b in ((test.left, test.comparators[0]), (test.comparators[0], test.left)))


def _in_else_clause(module: SourceModule, node: ast.AST, loop: ast.AST) -> bool:
    child = node
    for parent in ancestors(module, node):
        if parent is loop:
            return child in getattr(loop, "orelse", [])
        child = parent
    return False


def _calls_out(module: SourceModule, project: Project, node: ast.AST, depth: int = 3) -> bool:
    """Whether ``node`` (a loop's body, or one call) calls another service (also sends mail: ``message.send()``
    of a Django ``EmailMessage``), directly or through helpers of the code base (three levels deep): the loop
    processes items one by one, and its per-item write belongs to that step."""
    function = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    known = node.__dict__.setdefault("_calls_out", {}) if function else {}
    if depth in known:
        return known[depth]
    known[depth] = False  # recursion guard
    for inner in walk_function_body(node) if function else walk_nodes(node):
        if not isinstance(inner, ast.Call):
            continue
        if outbound_call(module, inner, project) is not None or mail_call(module, inner) is not None \
                or _file_storage_call(inner) or _queues_task(inner):
            known[depth] = True
            break
        if depth:
            resolved = db.resolve_function(module, project, inner, reexports=True)
            if resolved is not None and _calls_out(resolved[0], project, resolved[1], depth - 1):
                known[depth] = True
                break
    return known[depth]


def _calls_out_on_every_item(module: SourceModule, project: Project, loop: ast.AST) -> bool:
    """Whether the loop calls another service for each of its items (see :func:`_calls_out`): a call out
    only some items take (``if newly_completed: handle_job_notifications(job)`` after the upsert) leaves
    the write of every item a write per row, where one batched statement would do."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)) or _calls_out(module, project, loop.iter):
        return _calls_out(module, project, loop)  # items fetched page by page from another service: a sync step
    pending = list(loop.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            pending += statement.body
        elif isinstance(statement, ast.Try):
            pending += statement.body + statement.finalbody
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            if _calls_out(module, project, statement.iter):
                return True
            pending += statement.body  # each item of an inner loop is an item of this one too
        elif not isinstance(statement, (ast.If, ast.While)) and _calls_out(module, project, statement):
            return True
    return False


def _queues_task(call: ast.Call) -> bool:
    """``build_task.apply_async(args=..., queue=q)``, ``func.delay(*args)``, ``app.send_task("sync", ...)``: hands
    a job to the task queue's broker, another service, for each item."""
    return isinstance(call.func, ast.Attribute) and call.func.attr in ("apply_async", "delay", "send_task")


def _file_storage_call(call: ast.Call) -> bool:
    """``storage.save(name, f)``, ``default_storage.open(name)``, ``Storage.get_default().move_to(path)``:
    file I/O on a storage backend (often an object store), one file per item."""
    func = call.func
    if not isinstance(func, ast.Attribute) or not func.attr.startswith(STORAGE_METHODS):
        return False
    receiver = func.value.func if isinstance(func.value, ast.Call) else func.value  # Storage.get_default().move(...)
    return any(part.lower().endswith("storage") for part in (dotted(receiver) or "").split("."))


def _is_chunked(loop: ast.AST) -> bool:
    """``for i in range(0, len(rows), 500)``, ``for batch in chunks(rows)``: one query per batch of rows."""
    for iterable in _loop_iterables(loop):
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range" \
                and len(iterable.args) == 3:
            return True
        words = " ".join([ast.unparse(iterable), *(ast.unparse(t) for t in _loop_targets(loop))]).lower()
        if CHUNK_WORDS.search(words):
            return True
    return False


def _duplicates_of_first(fn: ast.AST, loop: ast.AST) -> bool:
    """``keep = existing[0]`` then ``for dup in existing[1:]: ...delete()``: the rows after the first one
    the function keeps are the duplicates of one key a race left behind, a repair of a few rows."""
    for iterable in _loop_iterables(loop):
        if isinstance(iterable, ast.Subscript) and isinstance(iterable.value, ast.Name) \
                and isinstance(iterable.slice, ast.Slice) and iterable.slice.upper is None \
                and iterable.slice.step is None and isinstance(iterable.slice.lower, ast.Constant) \
                and iterable.slice.lower.value == 1:
            name = iterable.value.id
            if any(isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == name
                   and isinstance(node.slice, ast.Constant) and node.slice.value == 0
                   for node in walk_function_body(fn)):
                return True
    return False


def _row_loop(module: SourceModule, call: ast.Call, sources: _RowSources) -> ast.AST | None:
    """The innermost enclosing for-loop or comprehension that iterates rows or request data."""
    for loop in loops_around(module, call):
        if _in_else_clause(module, call, loop):
            continue  # ``for ... else:``: once per pass of the loops around this one
        if _runs_once(module, call, loop) or _is_chunked(loop) or _duplicates_of_first(sources.fn, loop) \
                or _iterates_one_row(module, sources.fn, loop):
            return None
        if _spelled_out(sources.fn, loop):
            continue  # for rows, notify in [(cc_rows, a), (other_rows, b)]: twice, whatever each entry holds
        if any(sources.source_of(iterable) or _id_list_field(iterable) for iterable in _loop_iterables(loop)):
            return loop
    return None


def _iterates_one_row(module: SourceModule, fn: ast.AST, loop: ast.AST) -> bool:
    """``queryset = Model.objects.filter(pk=source.id)``, then ``queryset.select_related(...)`` or a helper
    annotating it, and ``for obj in queryset:``: the primary key picks one row at most, the loop runs once."""
    pending: list[ast.AST] = _loop_iterables(loop)
    for _ in range(6):
        following: list[ast.AST] = []
        for node in pending:
            while isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute):
                    if node.func.attr == "filter" and any(k.arg in PRIMARY_KEY_LOOKUPS for k in node.keywords):
                        return True
                    node = node.func.value
                elif node.args:
                    node = node.args[0]  # attach_watchers_to_queryset(queryset)
                else:
                    break
            if isinstance(node, ast.Name):
                bound = db.reaching_binding(module, fn, node) or db.single_binding(fn, node.id)
                following += [bound] if bound is not None else []
        pending = following
    return False


PRIMARY_KEY_LOOKUPS = {"pk", "id", "pk__exact", "id__exact"}


def _spelled_out(fn: ast.AST, loop: ast.AST) -> bool:
    """Whether the loop iterates a list the code writes out item by item (``[(cc_stocks, notify_cc),
    (stocks, notify)]``, also through a name bound only to such lists): it runs as many times as the
    code spells, whatever rows each item carries."""
    def display(expr: ast.AST) -> bool:
        return isinstance(expr, (ast.Tuple, ast.List, ast.Set)) and bool(expr.elts) \
            and not any(isinstance(e, ast.Starred) for e in expr.elts)
    iterables = _loop_iterables(loop)
    return bool(iterables) and all(
        display(iterable) or isinstance(iterable, ast.Name) and (bound := _bindings(fn, iterable.id))
        and all(display(value) for value in bound) and not _collected_into(fn, iterable.id)
        for iterable in iterables)


def _collected_into(fn: ast.AST, name: str) -> bool:
    """``items.append(row)``, ``items += rows``: the list ``name`` grows past what its binding spells."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS
               and isinstance(node.func.value, ast.Name) and node.func.value.id == name
               or isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name
               for node in walk_function_body(fn))


def _one_rows_children(project: Project, fn: ast.AST, loop: ast.AST) -> bool:
    """Whether the loop iterates one row's related collection (``workflow.actions.order_by("order")``,
    ``certificate.destinations``, ``self.roles``): a parent's children, which the domain keeps few (a
    workflow's actions, an account's rules), unlike a query over a table or a list the request sends
    (``role_create.permissions`` of a pydantic body ``role_create: RoleCreate``: ids, whatever relation
    shares the field's name)."""
    iterables = _loop_iterables(loop)
    if len(iterables) != 1:
        return False
    node = iterables[0]
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in QUERYSET_BUILDERS | {"all", "iterator"}:
        node = node.func.value
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)) \
            or any(arg.arg == node.value.id and _wire_record_class(project, dotted(arg.annotation))
                   for arg in _db_arguments(fn)):
        return False
    relations = {name for rels in _sqlalchemy_relations(project).values() for name in rels}
    return node.attr in relations | _django_relations(project)[0]


def _returns_query_rows(fn: ast.AST) -> bool:
    """Whether a helper returns the rows of a query built in its body
    (``rows = session.query(...).filter(...); return rows.all()``) that the database layer could not
    classify (a chain assembled through several names)."""
    returned = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Return) and n.value is not None]
    exprs, seen = list(returned), set()
    fetched = False
    while exprs:
        expr = exprs.pop()
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ROW_METHODS:
            fetched = True
        for name in _names(expr) - seen:
            seen.add(name)
            exprs.extend(_bindings(fn, name))
    if not fetched:
        return False
    texts = [ast.unparse(e) for e in returned] + [ast.unparse(v) for name in seen for v in _bindings(fn, name)]
    return any(re.search(r"\bsession\.query\(|\.query\.(filter|order_by|join|all)|\bselect\(", t) for t in texts)


FETCHES = {"fetchall", "fetchmany", "all"}


def _returns_fetched_rows(module: SourceModule, project: Project, fn: ast.AST, depth: int = 2) -> bool:
    """Whether a function returns the rows a query fetched (``rows = cursor.fetchall(); return rows``, also
    among what it returns: ``return True, {"columns": columns, "rows": rows}``, ``fetchall() if ... else []``),
    also the result of a project function that does (``return db.select(query)``, ``depth`` levels)."""
    exprs, seen = _returns(fn), set()
    while exprs:
        expr = exprs.pop()
        if isinstance(expr, (ast.Tuple, ast.Dict, ast.IfExp)):
            exprs.extend(expr.elts if isinstance(expr, ast.Tuple) else expr.values if isinstance(expr, ast.Dict)
                         else [expr.body, expr.orelse])
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in FETCHES:
            return True
        if depth and isinstance(expr, ast.Call):
            resolved = db.resolve_function(module, project, expr)
            if resolved is not None and resolved[1] is not fn \
                    and _returns_fetched_rows(resolved[0], project, resolved[1], depth - 1):
                return True
        if isinstance(expr, ast.Name) and expr.id not in seen:
            seen.add(expr.id)
            exprs.extend(_bindings(fn, expr.id))
    return False


def _returns_legacy_query(module: SourceModule, project: Project, fn: ast.AST, depth: int) -> bool:
    """Whether a helper returns a SQLAlchemy 1.x ``Query`` (``Model.query.filter(...)``,
    ``session.query(M)...``), which runs when iterated, also through helpers that order or filter
    the query another helper built (``return self.order(self.base_query())``)."""
    for value in _returns(fn):
        if re.search(r"(^|[^\w.])[A-Z]\w*\.query\.\w|\bsession\.query\(", ast.unparse(value)):
            return True
        if depth and isinstance(value, ast.Call):
            for call in [value, *(a for a in value.args if isinstance(a, ast.Call))]:
                resolved = db.resolve_function(module, project, call)
                if resolved is not None and resolved[1] is not fn \
                        and _returns_legacy_query(resolved[0], project, resolved[1], depth - 1):
                    return True
    return False


def _related_manager_calls(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[tuple[ast.AST, ast.AST, str]]:
    """Django relations used once per row of a loop over a queryset that does not prefetch them:
    ``order.lines.all()`` / ``order.lines.filter(...).count()`` (a related manager) and
    ``line.order.customer`` (a foreign key loaded on first access). Yields (node, loop, relation)."""
    if not (module.imports_module("django") or module.imports_module("rest_framework") or ".objects." in module.text):
        return  # a module of DRF serializers may import no Django name
    to_many, to_one = _django_relations(project)
    keys_of = _foreign_keys_by_model(project)
    to_one = to_one | {name for names in keys_of.values() for name in names}  # also names other models use for lists
    loaded: set[tuple[int, str]] = set()
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and not isinstance(module.parents.get(node), ast.Attribute):  # the outer call of a chain
            found = _manager_of(node, to_many)
            if found is None or _combined_into_one_query(module, node) or _only_a_subquery(module, fn, node):
                continue
            instance, relation = found
            kind = "many"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and isinstance(node.value.value, ast.Name) and node.value.attr in to_one \
                and not node.attr.startswith("_") and not isinstance(module.parents.get(node), ast.Attribute):
            instance, relation = node.value.value.id, node.value.attr
            kind = "one"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr in to_one \
                and node.attr not in _django_plain_fields(project) \
                and isinstance(node.ctx, ast.Load) and not isinstance(module.parents.get(node), ast.Attribute):
            instance, relation = node.value.id, node.attr  # event = ack.event, found.append(event.incident)
            kind = "bare"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and _queries_in_property(project, node.attr, to_many):
            instance, relation = node.value.id, node.attr
            kind = "property"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.attr in _model_properties(project):
            instance, relation = node.value.id, node.attr
            kind = "member"  # a property of several models: the model of the loop's rows tells which
        else:
            continue
        for loop in loops_around(module, node):
            if instance not in {n for t in _loop_targets(loop) for n in _names(t)}:
                continue
            if _runs_once(module, node, loop):
                break  # for t in tokens: if match(t): found = t.account; break
            if kind != "many":
                properties = _rows_properties(project, fn, loop, instance, relation)
                if properties and all(_property_reads(owner, project, prop) for owner, prop in properties):
                    node, kind = node.value if kind == "one" else node, "property"
                elif kind == "member" or properties and all(_reads_only_fields(prop) for _, prop in properties):
                    break  # a property of the rows' model that reads its fields (not another model's foreign key)
            if kind in {"one", "bare"} and relation in to_many \
                    and relation not in keys_of.get(_iterated_model(loop) or "", frozenset()):
                break  # ``photo.person``: a list of some model, a foreign key of others; the row's model is not known
            if kind == "one" and _plain_field_of_the_rows(project, fn, loop, relation):
                break
            if (id(loop), relation) not in loaded \
                    and _unprefetched_queryset(module, project, fn, loop, relation, to_many, children=kind != "bare", row=instance,
                                               queried_anyway=kind == "many" and _ignores_prefetch(node)):
                loaded.add((id(loop), relation))
                yield node, loop, "one" if kind == "bare" else kind
            break


QUERYSET_COMBINATORS = {"union", "intersection", "difference"}


def _combined_into_one_query(module: SourceModule, node: ast.AST) -> bool:
    """``combined = combined.union(ixlan.members.filter(...))``: a queryset handed to a combinator is
    a part of the one query the combined queryset runs, not a query of its own."""
    parent = module.parents.get(node)
    return isinstance(parent, ast.Call) and node in parent.args and method_name(parent) in QUERYSET_COMBINATORS


def _only_a_subquery(module: SourceModule, fn: ast.AST, node: ast.Call) -> bool:
    """``categories = listing.categories.all()`` used only as ``Q(exclude_categories__in=categories)``: a lazy
    queryset handed to an ``__in`` lookup becomes a subquery of the query that filters by it, and is never
    run on its own."""
    if method_name(node) in QUERYSET_EVALUATIONS:
        return False

    def in_lookup(expr: ast.AST) -> bool:
        keyword = module.parents.get(expr)
        return isinstance(keyword, ast.keyword) and keyword.value is expr and (keyword.arg or "").endswith("__in")

    if in_lookup(node):
        return True
    bound = module.parents.get(node)
    if not (isinstance(bound, ast.Assign) and bound.value is node and len(bound.targets) == 1
            and isinstance(bound.targets[0], ast.Name)):
        return False
    uses = [n for n in walk_function_body(fn) if isinstance(n, ast.Name) and n.id == bound.targets[0].id
            and isinstance(n.ctx, ast.Load)]
    return bool(uses) and all(in_lookup(use) for use in uses)


def _plain_field_of_the_rows(project: Project, fn: ast.AST, loop: ast.AST, name: str) -> bool:
    """``for blob in FileBlob.objects.filter(...): blob.blob.size``: the model of the rows declares ``blob`` as a
    field holding a value (a ``FileField``: its file in storage), not the relation another model's foreign key of
    that name loads."""
    models = {model for iterable in _loop_iterables(loop) for text in _iterable_texts(fn, iterable)
              for model in _objects_models(text)}
    fields = _field_types_by_model(project)
    return bool(models) and all(fields.get(model, {}).get(name, "").endswith("Field")
                                and fields[model][name] not in RELATION_FIELDS for model in models)


def _objects_models(text: str) -> list[str]:
    return re.findall(r"\b([A-Z]\w*)\.objects\b", text)


def _rows_properties(project: Project, fn: ast.AST, loop: ast.AST, row: str, name: str
                     ) -> list[tuple[SourceModule, ast.AST]]:
    """The ``@property`` ``name`` of each model whose rows ``loop`` binds to ``row``
    (``for asn in AutonomousSystem.objects.filter(...)``, ``for asn in self.autonomous_systems.all()``, also
    through the names the iterable is built from); empty when a model is not known or does not define it."""
    models: set[str] = set()
    relation_models = _relation_models(project)
    for iterable in _row_iterables(loop, row):
        for text in _iterable_texts(fn, iterable):
            models.update(_objects_models(text))
            node = ast.parse(text, mode="eval").body
            while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                node = node.func.value
            if node is not ast.parse(text, mode="eval").body and isinstance(node, ast.Attribute):
                models.update(relation_models.get(node.attr, ()))  # self.autonomous_systems.all()
    found = [_model_member(project, model, name, False) for model in sorted(models)]
    return found if found and all(found) else []


def _relation_models(project: Project) -> dict[str, set[str]]:
    """To-many relation name -> the models whose rows its related manager holds (a ``ManyToManyField``'s
    target, the model declaring a foreign key or many-to-many field for its reverse accessor)."""
    found = project.facts.get("r1.relation_models")
    if found is None:
        found = project.facts["r1.relation_models"] = {}
        for cls, name, call, field_type in _model_field_calls(project):
            kind = RELATION_FIELDS.get(field_type)
            target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "to"), None)
            target_name = (dotted(target) or string_value(target) or "").rpartition(".")[2] if target else ""
            if kind == "many" and target_name:
                found.setdefault(name, set()).add(cls.name if target_name == "self" else target_name)
            reverse = _reverse_accessor(cls, field_type, call)
            if kind is not None and not field_type.startswith("OneToOne") and reverse:
                found.setdefault(reverse, set()).add(cls.name)
    return found


def _field_types_by_model(project: Project) -> dict[str, dict[str, str]]:
    """Model name -> its fields' types (``{"blob": "FileField", "owner": "ForeignKey"}``)."""
    found = project.facts.get("r1.field_types_by_model")
    if found is None:
        found = project.facts["r1.field_types_by_model"] = {}
        for cls, name, _, field_type in _model_field_calls(project):
            found.setdefault(cls.name, {})[name] = field_type
    return found


def _foreign_keys_by_model(project: Project) -> dict[str, frozenset[str]]:
    """Model name -> its ``ForeignKey``/``OneToOneField`` names."""
    found: dict[str, set[str]] = {}
    for cls, name, _, field_type in _model_field_calls(project):
        if RELATION_FIELDS.get(field_type) == "one":
            found.setdefault(cls.name, set()).add(name)
    return {model: frozenset(names) for model, names in found.items()}


def _iterated_model(loop: ast.AST) -> str | None:
    """``for c in Cluster.objects.filter(owner=user)``: the model whose rows the loop iterates."""
    iterable = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else None
    match = re.match(r"(\w+)\.objects\b", ast.unparse(iterable)) if iterable is not None else None
    return match.group(1) if match else None


ADMIN_BASES = re.compile(r"ModelAdmin$")
SERIALIZER_BASES = re.compile(r"Serializer$")
BALANCED_ARGUMENTS = r"(?:[^()]|\((?:[^()]|\([^()]*\))*\))*"  # up to two levels of nested calls: Prefetch(q=X.filter())
NOT_MODEL_BASES = re.compile(r"(View|ViewSet|ViewSetMixin|Serializer|ModelAdmin)$")
LIST_VIEW_BASES = re.compile(r"^(ModelViewSet|ReadOnlyModelViewSet|ListAPIView|ListCreateAPIView|ListModelMixin)$")
PREFETCH_IGNORING_READS = {"filter", "exclude", "get", "order_by", "values", "values_list", "aggregate", "annotate",
                           "latest", "earliest"}


def _per_row_method_findings(module: SourceModule, project: Project, fn: ast.AST,
                             ops: list[db.DbOp]) -> Iterator[Finding]:
    """Queries made by a method the framework calls once per row of a list: a Django admin method named
    in ``list_display`` (once per row of the change list) or a DRF serializer's ``get_<field>`` of a
    ``SerializerMethodField`` / ``to_representation`` when the serializer renders lists (``many=True``,
    the ``serializer_class`` of a list view). Reported: a related manager read on the row
    (``obj.tags.count()``), a foreign key followed from it (``obj.owner.name``), a model property of
    the row that queries, and a query the method runs itself, unless the admin's ``get_queryset``/
    ``list_select_related`` (or, for a serializer, a queryset of the project) loads that relation."""
    per_row = _per_row_method(module, project, fn)
    if per_row is None:
        return
    row, where, loaded = per_row
    from_row = {row} | {target.id for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
                        and isinstance(stmt.value, ast.Attribute) and dotted(stmt.value.value) == row
                        for target in stmt.targets if isinstance(target, ast.Name)}  # key = obj.entity_identifier
    to_many, to_one = _django_relations(project)
    seen: set[int] = set()
    said: set[str] = set()
    for node in walk_function_body(fn):
        if loops_around(module, node) or _behind_hasattr(module, fn, node, row):
            continue  # inside a loop of its own (the loop rules judge it); a fallback for an annotated value
        what = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and not isinstance(module.parents.get(node), ast.Attribute):
            found = _manager_of(node, to_many)
            if found and found[0] == row and found[1] in to_many:
                links = [c.func.attr for c in walk_nodes(node) if isinstance(c, ast.Call)
                         and isinstance(c.func, ast.Attribute)]
                if found[1] not in loaded or PREFETCH_IGNORING_READS & set(links):
                    what = f"{_call_text(node)} queries a related table"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id == row \
                and node.value.attr in to_one and node.value.attr not in loaded and not node.attr.startswith("_") \
                and not isinstance(module.parents.get(node), ast.Attribute) and node.attr != "pk":
            if not _loaded_by_earlier_column(module, fn, node.value.attr):
                what = f"{ast.unparse(node.value)} loads a related row"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == row \
                and node.attr in to_one and _loaded_by_earlier_column(module, fn, node.attr):
            continue  # the foreign key an earlier column of the same row loaded
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == row \
                and node.attr not in _row_model_fields(project, module.parents.get(fn)) \
                and _queries_in_property(project, node.attr, to_many):
            what = f"{ast.unparse(node)} is a model property that runs a query"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == row \
                and node.attr in to_one and node.attr not in loaded and node.attr not in _django_plain_fields(project) \
                and isinstance(node.ctx, ast.Load) and not isinstance(module.parents.get(node), ast.Attribute):
            what = f"{ast.unparse(node)} loads a related row"  # UserSerializer(obj.owner).data
        if what and id(node) not in seen and what not in said:
            seen.add(id(node))
            said.add(what)
            yield _per_row_finding(module, node, what, where)
    # orders = Order.objects.filter(project=obj): a query of the row's own, run below (orders.aggregate(...))
    queried = {target.id for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
               and isinstance(stmt.value, ast.Call) and _names(stmt.value) & from_row
               and (_builds_queryset(stmt.value) or db.classify(module, stmt.value, fn, project) is not None)
               for target in stmt.targets if isinstance(target, ast.Name)}
    for op in ops:
        on_row = isinstance(op.call.func, ast.Attribute) and dotted(op.call.func.value) == row  # obj.open_count()
        if op.is_read and (not op.through or on_row) and id(op.call) not in seen and _names(op.call) & (from_row | queried) \
                and not loops_around(module, op.call) and not _behind_hasattr(module, fn, op.call, row):
            seen.add(id(op.call))
            yield _per_row_finding(module, op.call, f"a query ({op.describe()})", where)


def _row_model_fields(project: Project, cls: ast.AST) -> dict[str, str]:
    """The fields of the model a serializer renders (its ``Meta.model``, through the serializer's project
    bases): ``instance.community`` of a ``PackageListing`` is that model's foreign key, not the ``@property``
    another model defines under the same name."""
    if not isinstance(cls, ast.ClassDef):
        return {}
    return {name: kind for _, c in _project_class_chain(project, cls) for meta in c.body
            if isinstance(meta, ast.ClassDef) and meta.name == "Meta"
            for name, kind in _model_field_types(project, meta).items()}


def _loaded_by_earlier_column(module: SourceModule, fn: ast.AST, relation: str) -> bool:
    """``list_display = ("ix", "ixlan_name")`` where ``ix(obj)`` reads ``obj.ixlan``: the change list calls
    its columns in order on the same row object, which keeps the foreign key it loaded, so ``ixlan_name(obj)``
    reading ``obj.ixlan`` again runs no query. So does a serializer: its ``get_<field>`` methods run in the
    order of ``Meta.fields`` (or of the declared fields) on the same object."""
    cls = module.parents.get(fn)
    if not isinstance(cls, ast.ClassDef):
        return False
    methods = {item.name: item for item in cls.body if isinstance(item, FUNCTION_TYPES) and len(item.args.args) == 2}
    columns = [name for name in _column_order(cls) if name in methods or f"get_{name}" in methods]
    called = [name if name in methods else f"get_{name}" for name in columns]
    earlier = called[:called.index(fn.name)] if fn.name in called else []
    return any(isinstance(node, ast.Attribute) and node.attr == relation and isinstance(node.value, ast.Name)
               and node.value.id == methods[name].args.args[1].arg
               for name in earlier for node in walk_function_body(methods[name]))


def _column_order(cls: ast.ClassDef) -> list[str | None]:
    """The columns a change list (``list_display``) or a serializer (``Meta.fields``, else its declared
    fields) renders, in order."""
    def listed(body: list[ast.stmt], name: str) -> list[str | None] | None:
        return next(([string_value(element) for element in item.value.elts] for item in body
                     if isinstance(item, ast.Assign) and isinstance(item.value, (ast.Tuple, ast.List))
                     and any(isinstance(t, ast.Name) and t.id == name for t in item.targets)), None)

    meta = next((item.body for item in cls.body if isinstance(item, ast.ClassDef) and item.name == "Meta"), [])
    order = listed(cls.body, "list_display") or listed(meta, "fields")
    if order is not None:
        return order
    return [target.id for item in cls.body if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call)
            for target in item.targets if isinstance(target, ast.Name)]


def _behind_hasattr(module: SourceModule, fn: ast.AST, node: ast.AST, row: str) -> bool:
    """``if hasattr(obj, "alerts_count"): return obj.alerts_count`` / ``else: obj.alerts.count()``:
    the list's queryset annotates the value, the query is the fallback for a lone object."""
    def guard(stmt: ast.AST) -> bool:
        return isinstance(stmt, (ast.If, ast.IfExp)) and any(
            isinstance(n, ast.Call) and dotted(n.func) == "hasattr" and n.args
            and isinstance(n.args[0], ast.Name) and n.args[0].id == row for n in walk_nodes(stmt.test))

    child = node
    for parent in ancestors(module, node):
        if guard(parent):
            return True
        for block in (getattr(parent, f, None) for f in ("body", "orelse", "finalbody")):
            if isinstance(block, list) and child in block \
                    and any(guard(stmt) and _leaves(stmt.body) for stmt in block[:block.index(child)]):
                return True  # if hasattr(obj, "n"): return obj.n  ... then the query
        if parent is fn:
            return False
        child = parent
    return False


def _per_row_finding(module: SourceModule, node: ast.AST, what: str, where: str) -> Finding:
    return _finding_at(module, node, f"{what} once per row {where}",
                       "load it with the list's queryset (select_related/prefetch_related, or annotate a "
                       "count/Subquery) and read the loaded value here", Confidence.medium)


def _finding_at(module: SourceModule, node: ast.AST, message: str, fix: str, confidence: Confidence) -> Finding:
    return Finding(message=message, path=module.path, line=node.lineno,
                   end_line=getattr(node, "end_lineno", node.lineno), evidence=module.evidence(node), fix=fix,
                   confidence=confidence)


def _per_row_method(module: SourceModule, project: Project, fn: ast.AST) -> tuple[str, str, set[str]] | None:
    """(the row's parameter, where the framework calls it, relation names the list's queryset loads)
    for a ``list_display`` method of a ModelAdmin or a per-object method of a serializer that renders
    lists; None for any other function."""
    cls = module.parents.get(fn)
    args = fn.args.args if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    if not isinstance(cls, ast.ClassDef) or len(args) != 2 or args[0].arg != "self":
        return None
    bases = _project_bases(project, cls.name) - {cls.name}
    if any(ADMIN_BASES.search(b) for b in bases):
        shown = _class_strings(cls, "list_display")
        if fn.name not in shown:
            return None
        texts = [ast.unparse(item) for item in cls.body
                 if isinstance(item, ast.FunctionDef) and item.name == "get_queryset"
                 or isinstance(item, ast.Assign) and "list_select_related" in _names(item)]
        loaded = {seg for t in texts for seg in _loaded_segments(t)}
        _, to_one = _django_relations(project)
        if shown & to_one or any(isinstance(item, ast.Assign) and "list_select_related" in _names(item)
                                 and isinstance(item.value, ast.Constant) and item.value.value is True
                                 for item in cls.body):
            loaded |= to_one  # the change list joins every foreign key (select_related())
        return args[1].arg, f"of the admin change list ({cls.name}.list_display)", loaded
    if any(SERIALIZER_BASES.search(b) for b in bases):
        method_fields = {f"get_{t.id}" for item in cls.body if isinstance(item, ast.Assign)
                         and isinstance(item.value, ast.Call) and dotted(item.value.func or "")
                         and (dotted(item.value.func) or "").endswith("SerializerMethodField")
                         for t in item.targets if isinstance(t, ast.Name)}
        method_fields |= {string_value(k.value) for item in cls.body if isinstance(item, ast.Assign)
                          and isinstance(item.value, ast.Call)
                          and (dotted(item.value.func) or "").endswith("SerializerMethodField")
                          for k in item.value.keywords if k.arg == "method_name"}
        if fn.name not in method_fields | {"to_representation"} or not _renders_lists(project, cls.name) \
                or fn.name.removeprefix("get_") in _dropped_from_lists(project, cls):
            return None
        return args[1].arg, f"of the list {cls.name} renders", _project_loaded(project) | _parent_links(project, cls)
    return None


def _dropped_from_lists(project: Project, cls: ast.ClassDef) -> set[str]:
    """Fields a serializer's ``get_fields()`` drops when the view renders a list: it pops the names a
    ``Meta`` list holds (``getattr(self.Meta, "exclude_from_list_view")``) under a test of the view's
    ``detail``/``action``, so those fields render only for one row."""
    chain = _project_class_chain(project, cls)
    lists = set()
    for _, c in chain:
        for method in (i for i in c.body if isinstance(i, FUNCTION_TYPES) and i.name == "get_fields"):
            if not any(isinstance(n, ast.Attribute) and n.attr in {"detail", "action"} for n in walk_nodes(method)) \
                    or not any(isinstance(n, ast.Call) and method_name(n) == "pop" or isinstance(n, ast.Delete)
                               for n in walk_nodes(method)):
                continue
            lists |= {value for n in walk_nodes(method) if isinstance(n, ast.Call) and dotted(n.func) == "getattr"
                      and len(n.args) >= 2 and dotted(n.args[0]) == "self.Meta" and (value := string_value(n.args[1]))}
            lists |= {n.attr for n in walk_nodes(method) if isinstance(n, ast.Attribute)
                      and dotted(n.value) == "self.Meta"}
    metas = [i for _, c in chain for i in c.body if isinstance(i, ast.ClassDef) and i.name == "Meta"]
    return {field for name in lists for meta in metas for field in _class_strings(meta, name)}


def _parent_links(project: Project, cls: ast.ClassDef) -> set[str]:
    """The foreign keys back to the parent row, for a serializer used only as a nested field of other
    serializers (``commands = CommandSerializer(many=True)``): it renders the rows of the parent's related
    manager, and Django fills their foreign key to that parent (``build``, declared with
    ``related_name="commands"``) from the parent itself, so reading it runs no query."""
    nested: set[str] = set()
    for module in project.modules:
        if db.skipped_module(module):
            continue
        for node in module.nodes_of(ast.Name):
            if node.id != cls.name:
                continue
            call = module.parents.get(node)
            field = module.parents.get(call)
            if not (isinstance(call, ast.Call) and call.func is node and isinstance(field, ast.Assign)
                    and isinstance(module.parents.get(field), ast.ClassDef) and len(field.targets) == 1
                    and isinstance(field.targets[0], ast.Name)):
                return set()  # also rendered on its own (a view's serializer_class, a call, a subclass)
            source = next((string_value(k.value) for k in call.keywords if k.arg == "source"), None)
            nested.add(source or field.targets[0].id)
    models = {dotted(stmt.value) for _, c in _project_class_chain(project, cls) for meta in c.body
              if isinstance(meta, ast.ClassDef) and meta.name == "Meta" for stmt in meta.body
              if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model" for t in stmt.targets)}
    models = {(m or "").rsplit(".", 1)[-1] for m in models}
    return {name for owner, name, call, kind in _model_field_calls(project)
            if nested and owner.name in models and RELATION_FIELDS.get(kind) == "one"
            and next((string_value(k.value) for k in call.keywords if k.arg == "related_name"), None) in nested}


RELATED_FIELDS_READING_ROWS = {"StringRelatedField", "SlugRelatedField"}


def _admin_model_member_findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    """``list_display = ("name", "member_count")`` where ``member_count`` is not the admin's own method
    but a model property or method that runs a query: the change list calls it for every row."""
    to_many, _ = _django_relations(project)
    for cls in module.nodes_of(ast.ClassDef):
        if not any(ADMIN_BASES.search(b) for b in _project_bases(project, cls.name) - {cls.name}):
            continue
        own = {item.name for item in cls.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
        own |= _admin_model_fields(module, project, cls)
        shown = next((item for item in cls.body if isinstance(item, ast.Assign) and isinstance(item.value, (ast.Tuple, ast.List))
                      and any(isinstance(t, ast.Name) and t.id == "list_display" for t in item.targets)), None)
        if shown is None:
            continue
        for element in shown.value.elts:
            name = string_value(element)
            if not name or name in own:
                continue
            if _queries_in_property(project, name, to_many) or name in _queryset_methods(project) \
                    and _method_reads(project, name):
                yield _per_row_finding(module, element, f"{name}, a model member that runs a query,",
                                       f"of the admin change list ({cls.name}.list_display)")


def _admin_model_fields(module: SourceModule, project: Project, cls: ast.ClassDef) -> set[str]:
    """Field names of the model a ModelAdmin is registered for (``@admin.register(Loan)`` or
    ``admin.site.register(Loan, LoanAdmin)``), its project bases included: a ``list_display`` entry of
    that name is the model's column, and a foreign key column is joined by the change list's
    ``select_related()``, whatever property of that name another class has."""
    registered = [call.args[0] for call in (d for d in cls.decorator_list if isinstance(d, ast.Call))
                  if method_name(call) == "register" and call.args]
    registered += [call.args[0] for call in module.nodes_of(ast.Call) if method_name(call) == "register"
                   and len(call.args) == 2 and isinstance(call.args[1], ast.Name) and call.args[1].id == cls.name]
    fields: set[str] = set()
    for model in registered:
        found = _project_class(project, (dotted(model) or "").rsplit(".", 1)[-1], module)
        for _, c in _project_class_chain(project, found[1]) if found else []:
            fields |= {stmt.targets[0].id for stmt in c.body if isinstance(stmt, ast.Assign)
                       and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                       and isinstance(stmt.value, ast.Call)}
    return fields


def _list_view_findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    """A DRF list view (``ListAPIView``, ``ModelViewSet``, ``ListModelMixin``...) whose serializer
    renders a relation of each row (a nested serializer, a related field with ``many=True``, a
    many-to-many name in ``Meta.fields``) that the view's queryset does not load
    (``select_related``/``prefetch_related``, also in the project queryset methods it calls, or the
    serializer's declared eager-loading lists): one query per row of every page."""
    for cls in module.nodes_of(ast.ClassDef):
        if not any(LIST_VIEW_BASES.search(b) for b in _project_bases(project, cls.name)):
            continue
        chain = _project_class_chain(project, cls)
        assigned = _declared(chain, "serializer_class")
        custom_list = next((item for _, c in chain for item in c.body
                            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "list"), None)
        if custom_list is not None and not re.search(r"super\(\)\.list\(|get_serializer\(|serializer_class\b",
                                                     ast.unparse(custom_list)):
            continue  # a list action of its own that does not render the serializer
        if custom_list is not None and _answers_list_route_itself(custom_list):
            continue
        if assigned is None:  # def get_serializer_class(self): if writing: return A; return B (B renders lists)
            chooser = next((item for _, c in chain for item in c.body if isinstance(item, ast.FunctionDef)
                            and item.name == "get_serializer_class"), None)
            last = chooser.body[-1] if chooser is not None and chooser.body else None
            if isinstance(last, ast.Return) and isinstance(last.value, (ast.Name, ast.Attribute)):
                assigned = ast.Assign(targets=[], value=last.value, lineno=last.lineno)
        owner = next((m for m, c in chain if assigned is not None
                      and any(x is assigned.value for x in walk_nodes(c))), module)
        serializer = _project_class(project, (dotted(assigned.value) or "").rsplit(".", 1)[-1], owner) \
            if assigned else None
        sources = [(m, item) for m, c in chain for item in c.body
                   if isinstance(item, ast.FunctionDef) and item.name == "get_queryset"
                   or isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "queryset" for t in item.targets)]
        if serializer is None or not sources or not any(isinstance(i, ast.FunctionDef) or ".none()" not in ast.unparse(i)
                                                        for _, i in sources):
            continue
        texts = [ast.unparse(item) for _, item in sources]
        for owner, item in sources:
            values = _returns(item) if isinstance(item, ast.FunctionDef) else [item.value]
            texts += [t for value in values
                      for t in _project_queryset(owner, project, value, _django_relations(project)[0], 3) or []]
            if isinstance(item, ast.FunctionDef):
                for call in (n for n in walk_function_body(item) if isinstance(n, ast.Call)):
                    resolved = db.resolve_function(owner, project, call, reexports=True)
                    helpers = [resolved] if resolved else _queryset_methods(project).get(method_name(call) or "", [])
                    texts += [ast.unparse(helper) for _, helper in helpers]  # a helper that loads for the view
                    if _serializer_class_call(call, serializer[1].name):
                        texts += [ast.unparse(method) for _, c in _project_class_chain(project, serializer[1])
                                  for method in c.body if isinstance(method, FUNCTION_TYPES)
                                  and method.name == method_name(call)]
        loaded = {seg for t in texts for seg in _loaded_segments(t)} | _declared_view_loads(project, chain)
        if any("select_related()" in t for t in texts):
            loaded |= _django_relations(project)[1]  # every foreign key joined
        if any(re.search(r"(?i)eager|setup_\w*load", t) for t in texts):
            continue  # the queryset is handed to the serializer's own eager-loading set-up
        if _loads_what_serializer_renders(chain):
            continue
        missing: dict[str, str] = {}
        for relation, field in _rendered_relations(project, serializer, 2):
            if relation not in loaded:
                missing.setdefault(relation, field)
        if missing:
            fields = ", ".join(f"{field} ({relation})" for relation, field in missing.items())
            where = assigned if assigned in cls.body else cls
            yield Finding(
                message=(f"{cls.name} lists {serializer[1].name} rows, whose fields render relations of each row "
                         f"that the view's queryset does not load: {fields}; one query per row and relation "
                         f"on every page"),
                path=module.path,
                line=where.lineno,
                end_line=where.lineno,
                evidence=module.evidence(where),
                fix=(f"add select_related/prefetch_related({', '.join(repr(r) for r in missing)}) to the view's "
                     f"queryset (or a Prefetch of what the serializer reads)"),
                confidence=Confidence.medium,
            )


def _answers_list_route_itself(custom_list: ast.AST) -> bool:
    """``def list(self, request, *args, **kwargs): if "pk" not in kwargs: return Response([])``: on the list
    route the router passes no lookup keyword, so the test always holds and the action returns its own answer
    before any serializer renders a row."""
    def lookup_absent(test: ast.expr, followed: frozenset[str] = frozenset()) -> bool:
        if isinstance(test, ast.Name):  # direct = "pk" not in kwargs or ...; if direct: ...
            bound = _bindings(custom_list, test.id)
            return test.id not in followed and len(bound) == 1 and lookup_absent(bound[0], followed | {test.id})
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            return any(lookup_absent(value, followed) for value in test.values)
        return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn) \
            and isinstance(test.left, ast.Constant) and isinstance(test.left.value, str) \
            and (dotted(test.comparators[0]) or "") in {"kwargs", "self.kwargs"}

    def own_answer(block: list[ast.stmt]) -> bool:
        return bool(block) and isinstance(block[-1], ast.Return) and not any(
            isinstance(n, ast.Call) and "serializ" in (dotted(n.func) or "").lower() for s in block for n in walk_nodes(s))

    return any(isinstance(stmt, ast.If) and lookup_absent(stmt.test) and own_answer(stmt.body)
               for stmt in custom_list.body)


def _declared_view_loads(project: Project, chain: list[tuple[SourceModule, ast.ClassDef]]) -> set[str]:
    """Relations a base ``get_queryset`` of the view loads from lists the view declares
    (``queryset.prefetch_related(*self.prefetch_related)`` in a project mixin, ``prefetch_related = ["tags"]``
    on the view, also built from another view's list or a list of the module: ``["service__{}".format(p)
    for p in ServiceViewSet.prefetch_related]``, ``shared_prefetches + [Prefetch("licences", ...)]``)."""
    applied = {node.value.attr for _, c in chain for item in c.body
               if isinstance(item, FUNCTION_TYPES) and item.name == "get_queryset"
               for call in walk_function_body(item) if isinstance(call, ast.Call)
               and method_name(call) in {"prefetch_related", "select_related"}
               for node in call.args if isinstance(node, ast.Starred) and isinstance(node.value, ast.Attribute)
               and is_self_attribute(node.value)}
    loaded: set[str] = set()
    for name in applied:
        declared = _declared(chain, name)
        if declared is not None:
            owner = next(m for m, c in chain if declared in c.body)
            loaded |= _listed_relations(project, owner, declared.value, 3)
    return loaded


def _listed_relations(project: Project, module: SourceModule, value: ast.expr, depth: int) -> set[str]:
    """Each segment of the relation paths a declared eager-loading list names, following the class attributes
    (``ServiceViewSet.prefetch_related``) and module-level lists it is built from, ``depth`` levels."""
    found = {seg for node in walk_nodes(value) for text in [string_value(node)] if text
             for seg in re.findall(r"\w+", text.replace("__", " "))}
    if depth == 0:
        return found
    for node in walk_nodes(value):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            cls = _project_class(project, node.value.id, module)
            declared = _declared([cls], node.attr) if cls is not None else None
            if declared is not None:
                found |= _listed_relations(project, cls[0], declared.value, depth - 1)
        elif isinstance(node, ast.Name):
            assigned = [(m, item.value) for m in [module, *project.modules] for item in m.tree.body
                        if isinstance(item, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == node.id for t in item.targets)]
            if assigned:
                found |= _listed_relations(project, assigned[0][0], assigned[0][1], depth - 1)
    return found


def _serializer_class_call(call: ast.Call, serializer: str) -> bool:
    """A method called on the view's serializer class (``self.get_serializer_class().prefetch_queryset(qs)``,
    ``self.serializer_class.with_related(qs)``, ``BookSerializer.with_related(qs)``): the serializer's
    own query set-up, which loads what it renders."""
    if not isinstance(call.func, ast.Attribute):
        return False
    receiver = call.func.value
    if isinstance(receiver, ast.Call):
        return dotted(receiver.func) == "self.get_serializer_class"
    return (dotted(receiver) or "").rsplit(".", 1)[-1] in {serializer, "serializer_class"}


def _loads_what_serializer_renders(chain: list[tuple[SourceModule, ast.ClassDef]]) -> bool:
    """Whether the view's ``get_queryset`` (its own, or a base's it reaches through ``super()``) loads the
    relations it computes from its serializer: ``prefetch_related(*get_prefetches_for_serializer(
    self.get_serializer_class()))``, a base viewset that covers whatever the serializer renders."""
    for _, cls in chain:
        method = next((item for item in cls.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and item.name == "get_queryset"), None)
        if method is None:
            continue
        text = ast.unparse(method)
        computed = any(isinstance(node, ast.Call) and method_name(node) in {"prefetch_related", "select_related"}
                       and any(isinstance(arg, ast.Starred) for arg in node.args)
                       for node in walk_function_body(method))
        if computed and re.search(r"\bget_serializer(_class)?\(|\bserializer_class\b", text):
            return True
        if "super().get_queryset(" not in text:
            return False
    return False


def _rendered_relations(project: Project, serializer: tuple[SourceModule, ast.ClassDef],
                        depth: int) -> list[tuple[str, str]]:
    """(relation, field) for each relation the serializer renders per row that reads the related rows,
    nested serializers followed ``depth`` levels; relations its declared eager-loading lists load are left
    out."""
    to_many, to_one = _django_relations(project)
    to_one = to_one - _django_plain_fields(project)
    many_to_many = _django_many_to_many(project)
    chain = _project_class_chain(project, serializer[1])
    eager = {seg for _, c in chain for item in c.body if isinstance(item, ast.Assign)
             and any(isinstance(t, ast.Name) and re.search(r"(?i)prefetch|select_related", t.id) for t in item.targets)
             for p in re.findall(r"['\"]([\w_]+)['\"]", ast.unparse(item.value)) for seg in p.split("__")}
    found: list[tuple[str, str]] = []
    declared: set[str] = set()
    removed = _fields_removed_on_init(chain)
    for where, c in chain:
        for item in c.body:
            if not (isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name)):
                continue
            name = item.targets[0].id
            declared.add(name)
            if name in removed:
                continue
            if not isinstance(item.value, ast.Call):
                continue
            call = item.value
            kind = (dotted(call.func) or "").rsplit(".", 1)[-1]
            keywords = {k.arg: k.value for k in call.keywords if k.arg}
            if "write_only" in keywords and isinstance(keywords["write_only"], ast.Constant) \
                    and keywords["write_only"].value is True:
                continue
            many = isinstance(keywords.get("many"), ast.Constant) and keywords["many"].value is True
            nested = kind.endswith("Serializer") and kind != "SerializerMethodField"
            if not (nested or kind in RELATED_FIELDS_READING_ROWS or many and kind.endswith("RelatedField")):
                continue
            source = string_value(keywords["source"]) if "source" in keywords else name
            relation = (source or "").split(".")[0]
            if relation in eager or not (relation in to_many or relation in to_one):
                continue
            found.append((relation, f"{c.name}.{name}"))
            inner = _project_class(project, kind, where) if nested and depth > 1 else None
            if inner is not None and inner[1] is not serializer[1]:
                found += [(r, f) for r, f in _rendered_relations(project, inner, depth - 1)]
    for _, c in chain:  # many-to-many names a ModelSerializer renders as lists of keys (a query per row)
        for meta in (i for i in c.body if isinstance(i, ast.ClassDef) and i.name == "Meta"):
            model_fields = _model_field_types(project, meta)
            for name in sorted(_class_strings(meta, "fields") & many_to_many - declared - eager):
                if RELATION_FIELDS.get(model_fields.get(name, "ManyToManyField")) == "many":
                    found.append((name, f"{c.name}.Meta.fields[{name!r}]"))
    return found


def _model_field_types(project: Project, meta: ast.ClassDef) -> dict[str, str]:
    """The fields the model of a serializer's ``Meta`` (``model = Template``) and its project bases declare,
    with the called field's name: a name the model declares as a ``ForeignKey`` is rendered from its stored
    ``<fk>_id`` (DRF's primary-key field), though another model declares it many-to-many."""
    model = next(((dotted(item.value) or "").rsplit(".", 1)[-1] for item in meta.body if isinstance(item, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "model" for t in item.targets)), None)
    if not model:
        return {}
    classes = _project_bases(project, model)
    return {name: field_type for cls, name, _, field_type in _model_field_calls(project) if cls.name in classes}


def _fields_removed_on_init(chain: list[tuple[SourceModule, ast.ClassDef]]) -> set[str]:
    """Fields a serializer's ``__init__`` always drops (``del self.fields["comments"]``,
    ``self.fields.pop("comments")``): never rendered, so never read per row."""
    removed: set[str] = set()
    for _, c in chain:
        for init in (i for i in c.body if isinstance(i, FUNCTION_TYPES) and i.name == "__init__"):
            for statement in init.body:
                if isinstance(statement, ast.Delete):
                    targets = statement.targets
                elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                        and method_name(statement.value) == "pop" and statement.value.args:
                    targets = [ast.Subscript(value=statement.value.func.value, slice=statement.value.args[0])]
                else:
                    continue
                for target in targets:
                    if isinstance(target, ast.Subscript) and dotted(target.value) == "self.fields":
                        name = string_value(target.slice)
                        if name:
                            removed.add(name)
    return removed


def _django_many_to_many(project: Project) -> frozenset[str]:
    return frozenset(name for _, name, _, field_type in _model_field_calls(project)
                     if RELATION_FIELDS.get(field_type) == "many")


def _project_class(project: Project, name: str, module: SourceModule | None = None
                   ) -> tuple[SourceModule, ast.ClassDef] | None:
    """The project's class ``name`` means in ``module`` (defined there, or imported from a module of
    the project), else the class of that name when only one module defines it."""
    if module is not None:
        for cls in module.tree.body:
            if isinstance(cls, ast.ClassDef) and cls.name == name:
                return module, cls
        target = module.imports.get(name)
        owner = project.by_dotted_name.get(target.rsplit(".", 1)[0]) if target and "." in target else None
        if owner is not None:
            for cls in owner.tree.body:
                if isinstance(cls, ast.ClassDef) and cls.name == target.rsplit(".", 1)[1]:
                    return owner, cls
    classes = project.facts.get("r1.classes_by_name")
    if classes is None:
        classes = {}
        for module in project.modules:
            if not db.skipped_module(module):
                for cls in module.nodes_of(ast.ClassDef):
                    classes.setdefault(cls.name, []).append((module, cls))
        project.facts["r1.classes_by_name"] = classes
    found = classes.get(name, [])
    return found[0] if len(found) == 1 else None


def _project_class_chain(project: Project, cls: ast.ClassDef) -> list[tuple[SourceModule, ast.ClassDef]]:
    """``cls`` and its project bases (each found by a unique name), nearest first."""
    owners = project.facts.get("r1.class_modules")
    if owners is None:
        owners = project.facts["r1.class_modules"] = {
            id(c): m for m in project.modules for c in m.nodes_of(ast.ClassDef)}
    module = owners[id(cls)]
    chain: list[tuple[SourceModule, ast.ClassDef]] = [(module, cls)]
    seen: set[int] = {id(cls)}
    pending = [(module, (dotted(b) or "").rsplit(".", 1)[-1]) for b in cls.bases]
    while pending:
        where, name = pending.pop(0)
        found = _project_class(project, name, where)
        if found is None or id(found[1]) in seen:
            continue
        seen.add(id(found[1]))
        chain.append(found)
        pending += [(found[0], (dotted(b) or "").rsplit(".", 1)[-1]) for b in found[1].bases]
    return chain


def _class_strings(cls: ast.ClassDef, name: str) -> set[str]:
    for item in cls.body:
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in item.targets) \
                and isinstance(item.value, (ast.Tuple, ast.List)):
            return {v for v in (string_value(e) for e in item.value.elts) if v}
    return set()


def _loaded_segments(text: str) -> set[str]:
    """Relation names a text's ``select_related``/``prefetch_related`` calls (or a
    ``list_select_related`` tuple) load, each segment of their paths."""
    found: set[str] = set()
    for call in re.finditer(rf"(?:prefetch|select)_related\(({BALANCED_ARGUMENTS})\)|list_select_related\s*=\s*(.*)", text):
        for path in re.findall(r"['\"]([\w_]+)['\"]", call.group(1) or call.group(2) or ""):
            found.update(path.split("__"))
        if "Prefetch(" in (call.group(1) or ""):
            found.update(re.findall(r"Prefetch\(\s*['\"]([\w_]+)", text))
    for listed in re.finditer(r"(?:prefetch|select)_related\(\s*\*(\w+)\s*\)", text):
        for names in re.finditer(rf"\b{listed.group(1)}\s*\+?=\s*(?:\[([^\]]*)|\(([^)]*))", text):
            found.update(seg for path in re.findall(r"['\"]([\w_]+)['\"]", names.group(1) or names.group(2) or "")
                         for seg in path.split("__"))  # prefetches = ["tags", ...]; .prefetch_related(*prefetches)
    return found


def _project_loaded(project: Project) -> set[str]:
    """Relation names that some queryset of the project loads (``select_related``/``prefetch_related``
    or a declared eager-loading list): a serializer's view may load them for it."""
    cached = project.facts.get("r1.project_loaded")
    if cached is None:
        cached = set()
        for module in project.modules:
            if "_related" in module.text and not db.skipped_module(module):
                cached |= _loaded_segments(module.text)
                for match in re.finditer(r"(?i)(?:prefetch|select)_related\w*\s*=\s*[\[(]([^\])]*)", module.text):
                    cached |= {seg for p in re.findall(r"['\"]([\w_]+)['\"]", match.group(1)) for seg in p.split("__")}
        project.facts["r1.project_loaded"] = cached
    return cached


def _renders_lists(project: Project, name: str) -> bool:
    """Whether the serializer ``name`` renders lists: built with ``many=True`` somewhere, nested with
    ``many=True`` in another serializer, or the ``serializer_class`` of a list view."""
    listed = project.facts.get("r1.list_serializers")
    if listed is None:
        listed = set()
        for module in project.modules:
            if "Serializer" not in module.text or db.skipped_module(module):
                continue
            aliases = {target.id: (dotted(stmt.value) or "").rsplit(".", 1)[-1] for stmt in module.tree.body
                       if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.Name, ast.Attribute))
                       for target in stmt.targets if isinstance(target, ast.Name)}  # PACKAGE_SERIALIZER = ...
            for call in module.nodes_of(ast.Call):
                if _many(call) and not any(
                        isinstance(a, ast.Call) and re.search(r"(?i)schema|swagger|openapi", dotted(a.func) or "")
                        for a in ancestors(module, call)):  # a response documented in an OpenAPI decorator
                    called = (dotted(call.func) or "").rsplit(".", 1)[-1]
                    listed.add(aliases.get(called, called))
                    view = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
                    if view is not None and dotted(call.func.func if isinstance(call.func, ast.Call) else call.func) \
                            in VIEW_SERIALIZER_CALLS:
                        listed.add(_view_serializer_class(project, view) or "")  # self.get_serializer(page, many=True)
            for cls in module.nodes_of(ast.ClassDef):
                if any(LIST_VIEW_BASES.search(b) for b in _project_bases(project, cls.name)) \
                        and not _one_row_view(project, cls):
                    for_list = _list_action_serializer(cls)
                    if for_list is not None:
                        listed.add(for_list)
                        continue
                    for item in cls.body:
                        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "serializer_class"
                                                                for t in item.targets):
                            named = (dotted(item.value) or "").rsplit(".", 1)[-1]
                            listed.add(aliases.get(named, named))
        project.facts["r1.list_serializers"] = listed
    return name in listed


def _one_row_view(project: Project, view: ast.ClassDef) -> bool:
    """Whether every queryset the view's ``get_queryset`` returns (but ``.none()``) filters its model on a
    one-to-one field (``Basket.objects.filter(user=self.request.user)`` with ``user = OneToOneField(...)``):
    its list holds one row at most, however the serializer renders it."""
    method = next((item for item in view.body if isinstance(item, ast.FunctionDef) and item.name == "get_queryset"), None)
    returned = [value for value in _returns(method) if not (isinstance(value, ast.Call) and method_name(value) == "none")
                ] if method is not None else []
    return bool(returned) and all(_filters_one_to_one(project, value) for value in returned)


def _filters_one_to_one(project: Project, queryset: ast.expr) -> bool:
    one_to_one = _one_to_one_fields(project)
    model, node = None, queryset
    filtered: set[str] = set()
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            if method_name(node) in ("filter", "get"):
                filtered |= {keyword.arg for keyword in node.keywords if keyword.arg}
            node = node.func
        else:
            if node.attr == "objects":
                model = (dotted(node.value) or "").rsplit(".", 1)[-1]
            node = node.value
    return bool(model) and bool(filtered & one_to_one.get(model, set()))


def _one_to_one_fields(project: Project) -> dict[str, set[str]]:
    """Each Django model of the project with its ``OneToOneField`` names."""
    fields = project.facts.get("r1.one_to_one_fields")
    if fields is None:
        fields = {}
        for cls, name, _, called in _model_field_calls(project):
            if called == "OneToOneField":
                fields.setdefault(cls.name, set()).add(name)
        project.facts["r1.one_to_one_fields"] = fields
    return fields


VIEW_SERIALIZER_CALLS = {"self.get_serializer", "self.serializer_class", "self.get_serializer_class"}


def _view_serializer_class(project: Project, view: ast.ClassDef) -> str | None:
    """The name of the ``serializer_class`` a view declares (itself or a project base): what its
    ``self.get_serializer(page, many=True)`` renders."""
    assigned = _declared(_project_class_chain(project, view), "serializer_class")
    return (dotted(assigned.value) or "").rsplit(".", 1)[-1] if assigned is not None else None


def _declared(chain: list[tuple[SourceModule, ast.ClassDef]], name: str) -> ast.Assign | None:
    """The class attribute ``name = ...`` the first class of ``chain`` (nearest first) that sets it declares."""
    return next((item for _, c in chain for item in c.body if isinstance(item, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == name for t in item.targets)), None)


def _list_action_serializer(cls: ast.ClassDef) -> str | None:
    """``if self.action == "list": return ScheduleListSerializer`` in the view's serializer chooser: the
    serializer its list action renders, whatever ``serializer_class`` (then the one for single objects) says."""
    for item in cls.body:
        if not isinstance(item, ast.FunctionDef) or "serializer_class" not in item.name:
            continue
        for branch in (n for n in walk_function_body(item) if isinstance(n, ast.If)):
            if re.fullmatch(r"self\.action (?:==|in) (?:'list'|\('list',?\)|\['list'\])", ast.unparse(branch.test)) \
                    and isinstance(branch.body[0], ast.Return) and branch.body[0].value is not None:
                return (dotted(branch.body[0].value) or "").rsplit(".", 1)[-1] or None
    return None


def _queries_in_property(project: Project, name: str, to_many: frozenset[str]) -> bool:
    """Whether ``name`` is the ``@property`` of a single model class of the project that runs a query
    each time it is read (see ``_property_reads``); not when the project's models declare ``name`` as a
    field holding a value and the class of the property is no model (a wizard page's ``status``)."""
    defined = _model_properties(project).get(name, [])
    if len(defined) != 1:
        return False
    module = _property_modules(project)[id(defined[0])]
    owner = module.parents.get(defined[0])
    if name in _django_plain_fields(project) and getattr(owner, "name", None) not in _django_model_classes(project):
        return False  # ``job.status``: a column of the models; the property of that name is a form page's
    return bool(_property_reads(module, project, defined[0]))


def _property_reads(module: SourceModule, project: Project, prop: ast.AST, depth: int = 2) -> frozenset[str]:
    """The tables a model ``@property`` (also a ``cached_property``, once per row) reads each time it is read:
    it returns a query's result (``return self.editions.order_by("-rank").first()``), runs a read
    (``return Network.objects.get(asn=self.asn)`` in a ``try``), or reads another such property of its row
    (``if self.peeringdb_network: return self.peeringdb_network.policy``); empty when it runs none."""
    cache = project.facts.setdefault("r1.property_reads", {})
    if (id(prop), depth) not in cache:
        cache[id(prop), depth] = frozenset()  # a property reading itself
        cache[id(prop), depth] = _reads_of_property(module, project, prop, depth)
    return cache[id(prop), depth]


def _reads_of_property(module: SourceModule, project: Project, prop: ast.AST, depth: int) -> frozenset[str]:
    to_many = _django_relations(project)[0]
    tables = {t for op in db.function_ops(module, prop, project)
              if _runs_read(module, op) and not _behind_hasattr(module, prop, op.call, "self") for t in op.tables}
    for value in _returns(prop):
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr in QUERYSET_EVALUATIONS and isinstance(value.func.value, (ast.Call, ast.Attribute)):
            text = ast.unparse(value.func.value)
            root = value.func.value
            while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
                root = root.func.value
            if ".objects" in text or isinstance(root, ast.Attribute) and root.attr in to_many:
                tables.add(root.attr if isinstance(root, ast.Attribute) and root.attr in to_many else "?")
    tables |= _own_relation_queries(module, project, prop)
    if depth > 1:
        tables |= _own_property_reads(module, project, prop, depth - 1)
    return frozenset(tables - {"?"} or tables)


def _own_relation_queries(module: SourceModule, project: Project, fn: ast.AST) -> frozenset[str]:
    """The relations of its own row a model method or property queries whatever the rows' query prefetched
    (``list(self.members.values_list("user_id", flat=True))``, ``self.members.aggregate(n=Count("id"))["n"]``:
    a prefetch fills ``.all()`` only), run where they are written."""
    to_many = _django_relations(project)[0]
    return frozenset(found[1] for node in walk_function_body(fn)
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                     and not isinstance(module.parents.get(node), ast.Attribute)
                     and (found := _manager_of(node, to_many)) and found[0] == "self" and found[1] in to_many
                     and _ignores_prefetch(node) and not _behind_hasattr(module, fn, node, "self")
                     and (node.func.attr in QUERYSET_EVALUATIONS or db.evaluated_in_place(module, node)))


def _reads_only_fields(prop: ast.AST) -> bool:
    """Whether a property only reads columns of its own row (``return f"AS{self.asn}"``): no call but of a
    builtin, no attribute followed past ``self.<field>``."""
    return all(isinstance(node.func, ast.Name) and node.func.id in dir(builtins)
               for node in walk_function_body(prop) if isinstance(node, ast.Call)) \
        and not any(isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and isinstance(node.value.value, ast.Name) and node.value.value.id == "self"
                    for node in walk_function_body(prop))


def _own_property_reads(module: SourceModule, project: Project, fn: ast.AST, depth: int = 2) -> frozenset[str]:
    """The tables the querying ``@property``s of its own row that a model method or property reads
    (``network = self.peeringdb_network``) read."""
    cls = module.parents.get(fn)
    if not isinstance(cls, ast.ClassDef):
        return frozenset()
    read = {node.attr for node in walk_function_body(fn) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "self" and isinstance(node.ctx, ast.Load)}
    return frozenset(t for name in sorted(read) if (found := _model_member(project, cls.name, name, False))
                     for t in _property_reads(found[0], project, found[1], depth))


def _ignores_prefetch(call: ast.Call) -> bool:
    """``team.members.all().values_list("user_id")``, ``order.lines.filter(...)``: a related manager read that
    runs a query of its own even when the relation is prefetched (a prefetch fills only ``.all()``)."""
    node: ast.AST = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in PREFETCH_IGNORING_READS:
            return True
        node = node.func.value
    return False


def _manager_of(call: ast.Call, to_many: frozenset[str]) -> tuple[str, str] | None:
    """``(instance, relation)`` when ``call`` reads through a related manager: the chain starts at
    ``instance.relation`` and is a known to-many relation, or a bare ``instance.x.all()``-style read."""
    links: list[ast.Call] = []
    node: ast.AST = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        links.append(node)
        node = node.func.value
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return None
    first = links[-1]
    if first.func.attr in RELATED_MANAGER_WRITES:
        return None
    if node.attr in to_many:
        return node.value.id, node.attr
    # no model definitions to go by: a bare read of a manager-looking attribute
    if len(links) == 1 and (first.func.attr in RELATED_MANAGER_READS and not first.args and not first.keywords
                            or first.func.attr in ("filter", "exclude", "get") and first.keywords and not first.args):
        return node.value.id, node.attr
    return None


def _unprefetched_queryset(module: SourceModule, project: Project, fn: ast.AST, loop: ast.AST, relation: str,
                           to_many: frozenset[str], children: bool = True, queried_anyway: bool = False,
                           row: str | None = None) -> bool:
    """Whether the loop iterates a Django queryset (``Model.objects...``, a related manager such as
    ``order.lines.all()``, or what a queryset method of the project returns: ``qs.create_acks(...)``)
    that does not prefetch or join ``relation`` (whatever it prefetches when the read is ``queried_anyway``).
    Without ``children``, a loop over one row's related manager (its children, often a few) does not count.
    Only the iterable that binds ``row`` counts (``{j.pk for jr in rows for j in jr.jobs.all()}``: the rows
    ``jr`` come from ``rows``), and the values of a dict ``in_bulk()`` filled are the rows of its queryset
    (``by_key = qs.prefetch_related("jobs").in_bulk(keys)``, then ``for jr in by_key.values()``)."""
    for iterable in _row_iterables(loop, row) if row else _loop_iterables(loop):
        exprs = [iterable]
        if isinstance(iterable, ast.Name):
            exprs = _bindings_reaching(module, fn, iterable.id, loop) or exprs
        elif _in_bulk_values(module, fn, iterable, loop):
            exprs = _in_bulk_values(module, fn, iterable, loop)
        elif isinstance(iterable, ast.Attribute):  # for r in self.books / x.exercise.variations: a @property
            exprs = _property_returns(module, project, fn, iterable) or exprs
        texts = [ast.unparse(e) for e in exprs]
        if not any(".objects" in t if not children else _is_queryset_text(e, t, to_many) for e, t in zip(exprs, texts)):
            built = [_project_queryset(module, project, e, to_many, 3) for e in exprs]
            if not any(b is not None for b in built):
                continue
            texts += [t for b in built if b for t in b]
        if any(re.search(r"\.values(_list)?\(", t) for t in texts):
            return False  # dicts or tuples, not model instances
        if queried_anyway:
            return True
        texts += _eager_load_lists(fn, exprs)
        if any(_loads_relation(t, relation, relation not in to_many) for t in texts):
            return False
        return not any(_prefetched_through(module, project, fn, loop, e, relation) for e in exprs)
    return False


def _in_bulk_values(module: SourceModule, fn: ast.AST, iterable: ast.expr, loop: ast.AST) -> list[ast.expr]:
    """The ``in_bulk()`` calls that filled the dict whose ``.values()`` the loop iterates (all of its
    bindings are such calls); empty otherwise."""
    if not (isinstance(iterable, ast.Call) and method_name(iterable) == "values" and not iterable.args
            and not iterable.keywords and isinstance(iterable.func, ast.Attribute)
            and isinstance(iterable.func.value, ast.Name)):
        return []
    bound = _bindings_reaching(module, fn, iterable.func.value.id, loop)
    return bound if bound and all(isinstance(b, ast.Call) and method_name(b) == "in_bulk" for b in bound) else []


QUERYSET_CLASS = re.compile(r"QuerySet$|Manager$")


def _project_queryset(module: SourceModule, project: Project, expr: ast.AST, to_many: frozenset[str],
                      depth: int) -> list[str] | None:
    """The texts of what a queryset method of the project returns, when ``expr`` calls one (then maybe
    narrows it: ``qs.close(actor).filter(...)``): a method of a ``QuerySet``/``Manager`` subclass
    (``events = qs.create_events(...)``, ``Incident.objects.open()``) or of a model
    (``user.incidents()``), found by the call (``self.get_queryset()``) or, when the receiver's class is
    unknown, by a name only such methods define, each returning a queryset. None otherwise."""
    node = expr
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in QUERYSET_BUILDERS | {"all"}:
        node = node.func.value
    if depth == 0 or not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    resolved = db.resolve_function(module, project, node, reexports=True)
    if resolved is not None:
        candidates = [resolved]
    elif isinstance(node.func.value, ast.Name) and node.func.value.id in ("self", "cls") \
            or isinstance(node.func.value, ast.Call) and dotted(node.func.value.func) == "super":
        return None  # a method of a framework base (Django's own get_queryset)
    else:
        candidates = _queryset_methods(project).get(node.func.attr, [])
    texts: list[str] = []
    for owner, method in candidates:
        found = _returned_queryset(owner, project, method, to_many, depth)
        if found is None:
            return None
        texts += found
    return [ast.unparse(expr), *texts] if texts else None


def _returned_queryset(module: SourceModule, project: Project, fn: ast.AST, to_many: frozenset[str],
                       depth: int) -> list[str] | None:
    """The texts of the querysets ``fn`` returns (names followed to their bindings), None when one of
    its returns is not a queryset."""
    cls = module.parents.get(fn)
    in_queryset = isinstance(cls, ast.ClassDef) and any(
        QUERYSET_CLASS.search(base) for base in _project_bases(project, cls.name))
    texts: list[str] = []
    returns = _returns(fn)
    for value in returns:
        exprs = _bindings(fn, value.id) if isinstance(value, ast.Name) and value.id != "self" else [value]
        if not exprs:
            return None
        for expr in exprs:
            text = ast.unparse(expr)
            root = expr
            while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
                root = root.func.value
            if re.search(r"\.values(_list)?\(|\.(first|last|get|count|exists|aggregate)\(\)?", text):
                return None  # values, not model instances
            if _is_queryset_text(expr, text, to_many) \
                    or in_queryset and (isinstance(root, ast.Name) and root.id == "self"
                                        or isinstance(root, ast.Call) and dotted(root.func) == "super"):
                texts.append(text)
                continue
            inner = _project_queryset(module, project, expr, to_many, depth - 1)
            if inner is None:
                return None
            texts += inner
    return texts if returns else None


def _project_bases(project: Project, name: str) -> set[str]:
    """``name`` and the names of its bases, transitively, over the project's classes."""
    bases = db.class_bases(project)
    seen, pending = {name}, [name]
    while pending:
        for base in bases.get(pending.pop(), []):
            if base not in seen:
                seen.add(base)
                pending.append(base)
    return seen


def _queryset_methods(project: Project) -> dict[str, list[tuple[SourceModule, ast.AST]]]:
    """Methods of the project's Django ``QuerySet``/``Manager`` subclasses and models, by name, for the
    names that no other class of the project defines (so a call by that name is one of them)."""
    cached = project.facts.get("r1.queryset_methods")
    if cached is not None:
        return cached
    found: dict[str, list[tuple[SourceModule, ast.AST]]] = {}
    others: set[str] = set()
    models = _django_model_classes(project)
    for module in project.modules:
        if db.skipped_module(module):
            continue
        for cls in module.nodes_of(ast.ClassDef):
            django = module.imports_module("django") and (
                cls.name in models or any(QUERYSET_CLASS.search(b) for b in _project_bases(project, cls.name)))
            for item in cls.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("__"):
                    if django and not _is_property(item):
                        found.setdefault(item.name, []).append((module, item))
                    else:
                        others.add(item.name)
    result = {name: defs for name, defs in found.items()
              if name not in others and name not in QUERYSET_BUILDERS | ROW_METHODS | QUERYSET_EVALUATIONS}
    project.facts["r1.queryset_methods"] = result
    return result


def _django_model_classes(project: Project) -> frozenset[str]:
    """Names of the project's classes that derive (through project classes) from ``Model``."""
    cached = project.facts.get("r1.django_models")
    if cached is not None:
        return cached
    names = frozenset(name for name in db.class_bases(project)
                      if any(b.endswith("Model") and b not in db.class_bases(project) or b == "Model"
                             for b in _project_bases(project, name) - {name}))
    project.facts["r1.django_models"] = names
    return names


def _prefetched_through(module: SourceModule, project: Project, fn: ast.AST, loop: ast.AST, expr: ast.AST,
                        relation: str) -> bool:
    """Whether the related manager the loop iterates (``epic.stories.all()``) was prefetched with
    ``relation`` by a nested path (``prefetch_related("stories__project")``): on the queryset of
    an enclosing loop over ``epic``, on the query ``epic`` was read by (``epic = qs.get(pk=pk)`` of
    ``qs = Epic.objects.prefetch_related("stories__project")``), or in an eager-loading list the enclosing class declares
    (``PREFETCH_RELATED = ["stories__project"]`` on a serializer the views load with)."""
    node = expr
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    if node is expr or not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return False
    instance, path = node.value.id, f"{node.attr}__{relation}"
    pattern = re.compile(rf"['\"]{re.escape(path)}(__|['\"])")
    for outer in loops_around(module, loop):
        if instance not in {n for t in _loop_targets(outer) for n in _names(t)}:
            continue
        for iterable in _loop_iterables(outer):
            exprs = _bindings(fn, iterable.id) if isinstance(iterable, ast.Name) else [iterable]
            if any(pattern.search(m.group(1)) for e in exprs
                   for m in re.finditer(r"(?:prefetch|select)_related\(([^)]*)\)", ast.unparse(e))):
                return True
    for bound in _bindings(fn, instance):  # competition = qs.get(id=pk), qs = Competition.objects.prefetch_related(...)
        root = bound
        while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
            root = root.func.value
        exprs = [bound] + (_bindings(fn, root.id) if isinstance(root, ast.Name) and root.id != instance else [])
        if any(pattern.search(m.group(1)) for e in exprs
               for m in re.finditer(r"(?:prefetch|select)_related\(([^)]*)\)", ast.unparse(e))):
            return True
    cls = module.parents.get(fn)
    if isinstance(cls, ast.ClassDef):
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and re.search(r"(?i)prefetch|select_related", t.id)
                                                    for t in stmt.targets) \
                    and pattern.search(ast.unparse(stmt.value)):
                return True
        if _admin_queryset_prefetches(project, fn, cls, instance, pattern) \
                or _callers_prefetch(module, project, fn, cls, instance, pattern):
            return True
    return instance in {a.arg for a in fn.args.args} and _caller_chains_prefetch(project, fn, pattern)


def _admin_queryset_prefetches(project: Project, fn: ast.AST, cls: ast.ClassDef, instance: str,
                               pattern: re.Pattern) -> bool:
    """Whether ``fn`` is a method of a ModelAdmin handed the row (``def region(self, obj)``, a change-list
    column) and the admin's ``get_queryset`` prefetches the nested path on the rows it lists."""
    args = fn.args.args if isinstance(fn, FUNCTION_TYPES) else []
    if len(args) != 2 or args[1].arg != instance \
            or not any(ADMIN_BASES.search(b) for b in _project_bases(project, cls.name) - {cls.name}):
        return False
    return any(isinstance(item, FUNCTION_TYPES) and item.name == "get_queryset"
               and any(pattern.search(m.group(1)) for m in PREFETCH_CALL.finditer(_function_text(project, item)))
               for item in cls.body)


def _caller_chains_prefetch(project: Project, fn: ast.AST, pattern: re.Pattern, depth: int = 3) -> bool:
    """Whether every caller of the function ``fn`` (``digest(board)``), or every caller of those callers
    (``depth`` levels up), prefetches the nested path on the rows it hands down
    (``Board.objects.prefetch_related("cards__tags")``): the rows arrive with the relation loaded."""
    callers = _project_callers(project, fn)
    return bool(callers) and all(
        any(pattern.search(g.group(1)) for g in PREFETCH_CALL.finditer(_function_text(project, caller)))
        or any(pattern.search(path) for path in _prefetch_object_paths(_function_text(project, caller)))
        or depth > 1 and _caller_chains_prefetch(project, caller, pattern, depth - 1) for caller in callers)


PREFETCH_OBJECT = re.compile(rf"Prefetch\(\s*['\"](\w+)['\"]\s*,\s*(?:queryset\s*=\s*)?({BALANCED_ARGUMENTS})\)")


def _prefetch_object_paths(text: str) -> list[str]:
    """The nested paths a ``Prefetch("changes", queryset=Change.objects.select_related("cve"))`` loads, spelled
    as ``prefetch_related`` would (``"changes__cve"``): the prefetched rows arrive with their own relations."""
    return [f'"{match.group(1)}__{path}"' for match in PREFETCH_OBJECT.finditer(text)
            for call in re.finditer(rf"(?:prefetch|select)_related\(({BALANCED_ARGUMENTS})\)", match.group(2))
            for path in re.findall(r"['\"]([\w_]+)['\"]", call.group(1))]


def _project_callers(project: Project, fn: ast.AST) -> list[ast.AST]:
    """The functions of the project (tests and migrations left out) with a call that resolves to ``fn``."""
    by_name = project.facts.get("r1.calls_by_name")
    if by_name is None:
        by_name = project.facts["r1.calls_by_name"] = {}
        for module in project.modules:
            if db.skipped_module(module):
                continue
            for caller in functions(module.tree):
                for call in walk_function_body(caller):
                    if isinstance(call, ast.Call) and (name := method_name(call)):
                        by_name.setdefault(name, []).append((module, caller, call))
    callers: list[ast.AST] = []
    for module, caller, call in by_name.get(fn.name, []):
        resolved = db.resolve_function(module, project, call, reexports=True)
        if resolved is not None and resolved[1] is fn and caller is not fn and caller not in callers:
            callers.append(caller)
    return callers


def _function_text(project: Project, fn: ast.AST) -> str:
    texts = project.facts.setdefault("r1.function_texts", {})
    if id(fn) not in texts:
        texts[id(fn)] = ast.unparse(fn)
    return texts[id(fn)]


def _callers_prefetch(module: SourceModule, project: Project, fn: ast.AST, cls: ast.ClassDef, instance: str,
                      pattern: re.Pattern) -> bool:
    """Whether every other file that imports the class (a serializer whose method reads ``instance``,
    the object it is handed) prefetches the nested path, on a queryset or through a method of the
    project's that prefetches it (``Incident.objects.with_tags()``)."""
    if instance not in {a.arg for a in fn.args.args[1:]}:
        return False
    users = [m for m in project.modules if m is not module and not db.skipped_module(m)
             and any(project.by_dotted_name.get(target.rpartition(".")[0]) is module
                     and target.rpartition(".")[2] == cls.name for target in m.imports.values())]
    if not users:
        return False
    prefetching = {name for name, paths in _prefetching_functions(project) if any(pattern.search(p) for p in paths)}
    return all(any(pattern.search(g.group(1)) for g in PREFETCH_CALL.finditer(m.text))
               or any(f".{name}(" in m.text for name in prefetching) for m in users)


PREFETCH_CALL = re.compile(r"prefetch_related\(([^)]*)\)")


def _prefetching_functions(project: Project) -> list[tuple[str, list[str]]]:
    """Each project function calling ``prefetch_related``, with the arguments' text of each call
    (unparsed once per project, not once per serializer method judged)."""
    found = project.facts.get("r1.prefetching_functions")
    if found is None:
        found = project.facts["r1.prefetching_functions"] = [
            (f.name, [g.group(1) for g in PREFETCH_CALL.finditer(ast.unparse(f))])
            for m in project.modules if "prefetch_related" in m.text for f in functions(m.tree)]
    return found


EAGER_OPTIONS = re.compile(r"(joinedload|selectinload|subqueryload|immediateload|contains_eager|preload\w*)\(([^)]*)\)")
# ``.options(*self._query_options(level))``, ``.options(*cls.OPTIONS)``, ``.options(strategy)``: loader
# options built out of sight, which may load any relationship
OPAQUE_OPTIONS = re.compile(r"\.options\(\s*(?:\*|[\w.]+\s*[,)]|(?:self|cls)\.\w+\()")


def _lazy_relation_loads(module: SourceModule, project: Project, fn: ast.AST) -> Iterator[tuple[ast.AST, ast.AST, str]]:
    """SQLAlchemy ``relationship()`` attributes loaded lazily (the default ``lazy="select"``) on each
    row of a loop over a query's rows: ``solve.challenge.value`` runs one SELECT per row whose
    related object is not yet in the session, unless the query loads it eagerly
    (``joinedload``/``selectinload``/...)."""
    sqlalchemy = any(module.imports_module(lib) for lib in ("sqlalchemy", "flask_sqlalchemy", "sqlmodel")) \
        or ".query." in module.text or _imports_project_code(module, project)
    relations = _sqlalchemy_relations(project) if sqlalchemy else {}
    foreign_keys = _peewee_foreign_keys(project, module) if db.peewee_models(project, module) else {}
    if not relations and not foreign_keys:
        return
    loaded: set[tuple[int, str]] = set()
    for node in walk_function_body(fn):
        if not isinstance(node, ast.Attribute) or node.attr.startswith("_"):
            continue
        if isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name):
            read = node.value  # solve.challenge.value
        elif isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load) \
                and not isinstance(module.parents.get(node), ast.Attribute) \
                and not (isinstance(module.parents.get(node), ast.Call) and module.parents[node].func is node):
            read = node  # len(team.members), for m in team.members: the relationship as a value
        else:
            continue
        instance, relation = read.value.id, read.attr
        for loop in loops_around(module, node):
            if instance not in {n for t in _loop_targets(loop) for n in _names(t)}:
                continue
            kind = "lazy" if relations and _lazily_loaded(fn, loop, relation, relations, module, project) else \
                "foreign key" if foreign_keys and _unselected_foreign_key(module, project, fn, loop, relation, foreign_keys) \
                else None
            if kind and (id(loop), relation) not in loaded:
                loaded.add((id(loop), relation))
                yield node, loop, kind
            break


PEEWEE_ROW_SHAPES = {"dicts", "tuples", "namedtuples", "objects"}


def _unselected_foreign_key(module: SourceModule, project: Project, fn: ast.AST, loop: ast.AST, field: str,
                            foreign_keys: dict[str, dict[str, str | None]]) -> bool:
    """Whether the loop iterates the model rows of a peewee ``Model.select()`` whose foreign key ``field``
    the query neither selects (``.select(Book, Author).join(Author)``) nor prefetches (``prefetch(query,
    Author.select())``): reading ``book.author`` then loads the author row, one query per row. The query
    may be built by a project function the loop calls (``for book in books_of(shelf)``)."""
    for iterable in _loop_iterables(loop):
        exprs = [ast.parse(text, mode="eval").body for text in _iterable_texts(fn, iterable)]
        for call in [n for e in exprs for n in walk_nodes(e) if isinstance(n, ast.Call)]:
            helper = db.resolve_function(module, project, call, reexports=True)
            exprs += [ast.parse(text, mode="eval").body for value in (_returns(helper[1]) if helper else [])
                      for text in _iterable_texts(helper[1], value)]
        models = {match.group(1) for e in exprs if (match := re.match(r"(?:[a-z_]\w*\.)*([A-Z]\w*)\.select\(",
                                                                     ast.unparse(e)))}
        if not models:
            continue
        if not all(field in foreign_keys.get(model, {}) for model in models):
            return False
        related = {foreign_keys[model][field] for model in models}
        calls = [call for e in exprs for call in walk_nodes(e) if isinstance(call, ast.Call)]
        for call in calls:
            name = (dotted(call.func) or "").rsplit(".", 1)[-1]
            named = {n.id for arg in call.args for n in walk_nodes(arg) if isinstance(n, ast.Name)}
            if name in PEEWEE_ROW_SHAPES or name == "prefetch" \
                    or name == "select" and (named & related or None in related and named - models):
                return False
        return True
    return False


def _lazily_loaded(fn: ast.AST, loop: ast.AST, relation: str, relations: dict[str, dict[str, bool]],
                   module: SourceModule, project: Project) -> bool:
    """Whether the loop iterates the rows of a query (of a known model, when it can be read) whose
    ``relation`` is lazy and not loaded eagerly by the query's options; the query may be built and run
    by a project function the loop calls (``for repo in get_repositories(session)`` whose body is
    ``query = session.query(Repository)...; return query.all()``)."""
    for iterable in _loop_iterables(loop):
        texts = _iterable_texts(fn, iterable) + _query_helper_texts(module, project, fn, [iterable])
        models = {m for m in _queried_models(texts) | _called_models(texts) if m in relations}
        if not models or not (any(re.search(r"\.(all|fetchall|scalars|unique)\(\)", t) for t in texts)
                              or _iterates_legacy_query(texts)):
            continue  # not the rows of a query of a known model
        flags = [relations[m][relation] for m in models if relation in relations.get(m, {})]
        if not flags or not all(flags):
            return False
        return not _loaded_with_rows(texts + _preloads_before(fn, loop), relation)
    return False


def _iterable_texts(fn: ast.AST, iterable: ast.expr) -> list[str]:
    """The source of a loop's iterable and of the names it is built from in ``fn``
    (``rows = base.all()``, ``base = Model.query.options(...)``)."""
    exprs = [iterable]
    if isinstance(iterable, ast.Name):
        exprs += _bindings(fn, iterable.id)
        for expr in list(exprs):
            root = expr
            while isinstance(root, (ast.Call, ast.Attribute)):
                root = root.func if isinstance(root, ast.Call) else root.value
            if isinstance(root, ast.Name) and root.id != iterable.id:
                exprs += _bindings(fn, root.id)
    return [ast.unparse(e) for e in exprs]


def _queried_models(texts: list[str]) -> set[str]:
    return {m for t in texts
            for m in re.findall(r"\b([A-Z]\w*)\.query\b|query\(\s*(?:[a-z_]\w*\.)*([A-Z]\w*)\b", t) for m in m if m}


LEGACY_QUERY_STEPS = {"filter", "filter_by", "where", "order_by", "limit", "offset", "options", "join", "outerjoin",
                      "distinct", "group_by", "having", "yield_per", "execution_options", "params", "populate_existing"}


def _iterates_legacy_query(texts: list[str]) -> bool:
    return any(_legacy_query_rows(ast.parse(text, mode="eval").body) for text in texts)


def _legacy_query_rows(node: ast.expr) -> bool:
    """Whether ``node`` is a SQLAlchemy 1.x ``Query`` of one model's rows, which runs when a loop
    iterates it: ``self.db.query(orm.Team)`` or ``Team.query``, then filters, ordering and loader options."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEGACY_QUERY_STEPS:
        node = node.func.value
    if isinstance(node, ast.Attribute):
        return node.attr == "query" and isinstance(node.value, ast.Name) and node.value.id[:1].isupper()
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query" \
        and db.db_like_name(dotted(node.func.value)) \
        and len(node.args) == 1 and (dotted(node.args[0]) or "").rpartition(".")[2][:1].isupper()


def _loaded_with_rows(texts: list[str], relation: str) -> bool:
    """Whether the rows' ``relation`` is in the session when the loop reads it: a loader option
    (``selectinload(Task.owner)``) or a project's preloading call
    (``Contribution.preload_relationships(query, "acl_entries")``, ``event.preload_all_acl_entries()``)
    names it, or the query selects the children of that very parent (``Abstract.query.with_parent(self.event)``,
    ``filter_by(event=event)``) or whose key is that of objects already loaded
    (``Registration.user_id.in_(person.id for person in people)``): the many-to-one load finds
    them in the identity map. Loader options the query takes from elsewhere
    (``.options(*self._query_options(level))``) may load it too: not known to be lazy."""
    name = re.escape(relation)
    parent = (rf"with_parent\(\s*(?:\w+\.)*{name}\s*[,)]|filter_by\([^)]*\b{name}\s*=[^=]"
              rf"|\.{name}\s*==\s*(?:\w+\.)*{name}\b|\.{name}_id(?:\s*==|\.in_\()[^)]*\.id\b")
    return any(re.search(parent, t) or OPAQUE_OPTIONS.search(t) for t in texts) \
        or any(re.search(rf"\.{name}\b|['\"]{name}['\"]", call.group(2)) or call.group(1).endswith("_" + relation)
               for t in texts for call in EAGER_OPTIONS.finditer(t))


def _preloads_before(fn: ast.AST, loop: ast.AST) -> list[str]:
    """The project's preloading calls ``fn`` makes before ``loop`` (``self.event.preload_all_acl_entries()``):
    they load a relationship of every row into the session, where the loop's lazy loads find it."""
    return [ast.unparse(node) for node in walk_function_body(fn)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and node.lineno < loop.lineno
            and (dotted(node.value.func) or "").rpartition(".")[2].startswith("preload")]


def _per_row_serializer_reads(module: SourceModule, project: Project, fn: ast.AST
                              ) -> Iterator[tuple[ast.AST, ast.AST, str]]:
    """SQLAlchemy rows rendered one by one through project code that queries for each of them:
    ``[t.to_dict() for t in Task.query.all()]`` whose ``to_dict`` reads ``self.owner.name`` (a lazy
    relationship) or runs a query, ``serialize_task(t)`` doing the same with its parameter, a model
    ``@property`` that does, followed through the methods and helpers these call with the row (two
    calls deep). Relationships the loop's query loads eagerly do not count. Yields (the per-row call
    or read, the loop, what it does)."""
    relations = _sqlalchemy_relations(project)
    if not relations or not any(module.imports_module(lib) for lib in ("sqlalchemy", "flask_sqlalchemy", "sqlmodel")) \
            and ".query" not in module.text and not _imports_project_code(module, project):
        return
    sources: _RowSources | None = None
    judged: set[tuple[int, str, str]] = set()  # (loop, row, member): the first use loads what it reads
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(module.parents.get(node), ast.Expr):
            continue  # called for its effect, not rendered: a unit of work on the row, not a serializer
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            row, member = node.func.value.id, node.func.attr
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load) \
                and not (isinstance(module.parents.get(node), ast.Call) and module.parents[node].func is node):
            row, member = node.value.id, node.attr  # a property read and used as a value
        elif isinstance(node, ast.Call):
            row, member = "", ""
        else:
            continue
        handed = [i for i, arg in enumerate(node.args) if isinstance(arg, ast.Name)] \
            if isinstance(node, ast.Call) and (not member or row == "self") else []  # helper(t), self.render(t)
        for loop in loops_around(module, node):
            targets = {n for t in _loop_targets(loop) for n in _names(t)}
            on_row = bool(member) and row in targets
            rows = [row] if on_row else [node.args[i].id for i in handed if node.args[i].id in targets]
            if not rows:
                continue
            if sources is None:
                sources = _RowSources(module, project, fn, False)
            if _is_chunked(loop) or _runs_once(module, node, loop) or _returned_from(module, node, loop) \
                    or not any(sources.source_of(i) == "database rows" or _iterates_legacy_query(_iterable_texts(fn, i))
                               for i in _loop_iterables(loop)) \
                    or member and (id(loop), rows[0], member) in judged:
                break
            judged.add((id(loop), rows[0], member))
            iterables = _row_iterables(loop, rows[0])
            texts = [t for i in iterables for t in _iterable_texts(fn, i)]
            texts += _query_helper_texts(module, project, fn, iterables)
            query = _RowsQuery(models={m for m in _queried_models(texts) | _called_models(texts) if m in relations},
                               texts=texts + _preloads_before(fn, loop), read_in_loop={a.attr for a in walk_nodes(loop) if a is not node
                                                          and isinstance(a, ast.Attribute)
                                                          and isinstance(a.value, ast.Name) and a.value.id == rows[0]})
            if on_row:
                what = not _used_as_mapping(loop, rows[0]) and _member_reads(project, query, member, node)
            else:
                resolved = db.resolve_function(module, project, node, reexports=True)
                params = call_parameters(resolved[1], node) if resolved else []
                index = next(i for i in handed if node.args[i].id == rows[0])
                what = resolved and index < len(params) \
                    and _renders_only(resolved[0], project, resolved[1], params[index]) \
                    and _row_reads(resolved[0], project, resolved[1], params[index], node, query, 2)
            if what:
                yield node, loop, what
            break


def _used_as_mapping(loop: ast.AST, row: str) -> bool:
    """``if "region" in item: ... item["word"]``: the loop's item is a dict (what a helper built from its rows),
    so ``item.get("word", "")`` is ``dict.get``, not a model's method."""
    for node in walk_nodes(loop):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == row \
                and string_value(node.slice) is not None:
            return True
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
                and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == row \
                and string_value(node.left) is not None:
            return True
    return False


def _renders_only(module: SourceModule, project: Project, fn: ast.AST, row: str) -> bool:
    """Whether a function called per row, holding it as ``row``, only reads (a serializer): one that
    changes the row (``row.state = ...``, ``row.sources.remove(s)``), writes, commits or calls another
    service is a unit of work on each row (``user.ban()``, ``clean(certificate)``), judged with the writes."""
    for node in walk_function_body(fn):
        target = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in MUTATORS else node if isinstance(node, ast.Attribute) \
            and isinstance(node.ctx, ast.Store) else None
        while isinstance(target, ast.Attribute):
            target = target.value
        if isinstance(target, ast.Name) and target.id == row:
            return False
    return not any(op.is_write or op.kind == db.COMMIT for op in db.expanded_ops(module, project, fn)) \
        and not _calls_out(module, project, fn)


def _switched_off(module: SourceModule, fn: ast.AST, call: ast.Call | None, node: ast.AST,
                  off_outside: frozenset[str] = frozenset()) -> bool:
    """Whether ``node`` sits under ``if flag:`` for a parameter ``flag`` that ``call`` sets to False/None
    (``ensure_has_events(thread, commit=False)``), leaves at such a default (``serialize(self,
    relations=False)`` called as ``row.serialize()``) or hands on from a caller where it is off
    (``off_outside``: ``self.variation(v, with_users=with_users)``), or after ``if not (flag and ...): return``."""
    if not isinstance(call, ast.Call):
        return False
    off = parameters_off(fn, call, off_outside)
    given = {name for name, value in passed_arguments(fn, call)
             if isinstance(value, (ast.Name, ast.Attribute, ast.Dict, ast.List, ast.DictComp, ast.ListComp))
             and not (isinstance(value, ast.Name) and value.id in off_outside)}
    child = node
    for parent in ancestors(module, node):
        if isinstance(child, ast.stmt) and _returned_before(parent, child, off):
            return True
        if parent is fn:
            return False
        if isinstance(parent, ast.If) and child in parent.body and _false_when_off(parent.test, off):
            return True
        branch = _none_test(parent.test, given) if isinstance(parent, ast.If) else None
        if branch is not None and child in (parent.body if branch else parent.orelse):
            return True  # if realm_names is None: query, with realm_names handed in by the call
        if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or) and child in parent.values \
                and any(isinstance(v, ast.Name) and v.id in given for v in parent.values[:parent.values.index(child)]):
            return True  # hashes = known_hashes or query(...): the fallback for a caller that hands none
        child = parent
    return False


def _false_when_off(test: ast.expr, off: frozenset[str]) -> bool:
    """Whether ``test`` is false while the names ``off`` are: ``flag``, ``flag and x``, ``flag or other_flag``."""
    if isinstance(test, ast.Name):
        return test.id in off
    if isinstance(test, ast.BoolOp):
        parts = [_false_when_off(value, off) for value in test.values]
        return any(parts) if isinstance(test.op, ast.And) else all(parts)
    return False


def _returned_before(block: ast.AST, statement: ast.stmt, off: frozenset[str]) -> bool:
    """Whether a statement before ``statement`` in its block leaves the function while the names ``off`` are
    off: ``if not (with_users and v.get("user_id")): return v``."""
    for body in (getattr(block, field, None) for field in ("body", "orelse", "finalbody")):
        if isinstance(body, list) and statement in body:
            return any(isinstance(earlier, ast.If) and isinstance(earlier.test, ast.UnaryOp)
                       and isinstance(earlier.test.op, ast.Not) and _false_when_off(earlier.test.operand, off)
                       and isinstance(earlier.body[-1], (ast.Return, ast.Raise))
                       for earlier in body[:body.index(statement)])
    return False


def _none_test(test: ast.expr, given: set[str]) -> bool | None:
    """For ``p is None`` (True) or ``p is not None`` (False) of a parameter the call hands a value: which
    branch runs when it is None; None for any other test."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
            and test.left.id in given and isinstance(test.comparators[0], ast.Constant) \
            and test.comparators[0].value is None and isinstance(test.ops[0], (ast.Is, ast.IsNot)):
        return isinstance(test.ops[0], ast.Is)
    return None


def _switched_off_in_helper(module: SourceModule, project: Project, op: db.DbOp) -> bool:
    """``ensure_has_events(thread, commit=False)``: every statement of the helper the call runs sits under
    ``if commit:``, a flag the call turns off; on this path the helper runs no query."""
    resolved = db.resolve_function(module, project, op.call, reexports=True) if op.through else None
    if resolved is None:
        return False
    statements = [inner for inner in db.expanded_ops(resolved[0], project, resolved[1]) if inner.round_trip]
    return bool(statements) and all(_switched_off(resolved[0], resolved[1], op.call, inner.call) for inner in statements)


def _returned_from(module: SourceModule, node: ast.AST, loop: ast.AST) -> bool:
    """``for row in rows: return row.to_dict()``: the loop ends at its first row."""
    for parent in ancestors(module, node):
        if parent is loop:
            return False
        if isinstance(parent, ast.Return):
            return True
    return False


def _called_models(texts: list[str]) -> set[str]:
    """Model classes a loop's rows come from through their own methods: ``models.Alert.all(org)``."""
    return {m for t in texts for m in re.findall(r"\b([A-Z]\w*)\.\w+\(", t)}


def _query_helper_texts(module: SourceModule, project: Project, fn: ast.AST, iterables: list[ast.expr]) -> list[str]:
    """What the project functions a loop's iterable (or the name it iterates: ``alerts = Alert.all(org)``)
    calls return (``cls.query.options(joinedload(Alert.user))``): where the rows' eager loads are written."""
    texts = []
    for iterable in iterables:
        built = _bindings(fn, iterable.id) if isinstance(iterable, ast.Name) else [iterable]
        for call in (n for expr in built for n in walk_nodes(expr) if isinstance(n, ast.Call)):
            resolved = db.resolve_function(module, project, call, reexports=True)
            if resolved is not None:
                texts += [text for value in _returns(resolved[1])
                          for text in [ast.unparse(value), *_iterable_texts(resolved[1], _root(value))[1:]]]
    return texts


def _root(expr: ast.expr) -> ast.expr:
    """``query`` of ``query.order_by(...).all()``: the name a chain of calls starts from, or the expression itself."""
    root = expr
    while isinstance(root, (ast.Call, ast.Attribute)):
        root = root.func if isinstance(root, ast.Call) else root.value
    return root if isinstance(root, ast.Name) else expr


@dataclass(frozen=True)
class _RowsQuery:
    """What is known of the query a loop's rows come from: its model classes (when the source
    names them), its source text (for eager-loading options) and the row's attributes the loop
    body reads itself (a relationship read there is loaded there, not in the helper)."""
    models: set[str]
    texts: list[str]
    read_in_loop: set[str]

    def loads_lazily(self, relations: dict[str, dict[str, bool]], attribute: str) -> bool:
        flags = [relations[m][attribute] for m in self.models if attribute in relations.get(m, {})]
        return bool(flags) and all(flags) and attribute not in self.read_in_loop \
            and not _loaded_with_rows(self.texts, attribute)


def _member_reads(project: Project, query: _RowsQuery, member: str, node: ast.AST) -> str | None:
    """What ``row.member(...)`` (a method) or ``row.member`` (a ``@property``) of the rows' model runs
    per row; with no model known, of the model class that defines ``member`` when no other class of
    the project has an attribute of that name."""
    called = isinstance(node, ast.Call)
    candidates = sorted(query.models) or [name for name in _sqlalchemy_relations(project)
                                          if _model_member(project, name, member, called) is not None]
    if not query.models and not (len(candidates) == 1 and _class_member_counts(project).get(member) == 1):
        return None
    for name in candidates:
        found = _model_member(project, name, member, called)
        if found is not None and _renders_only(found[0], project, found[1], "self"):
            what = _row_reads(found[0], project, found[1], "self", node, _RowsQuery({name}, query.texts,
                                                                                   query.read_in_loop), 2)
            if what:
                return what
    return None


def _class_member_counts(project: Project) -> dict[str, int]:
    """How many classes of the project define each attribute name (a method, a column, a relationship)."""
    counts = project.facts.get("r1.class_member_counts")
    if counts is None:
        counts = project.facts["r1.class_member_counts"] = {}
        for module in project.modules:
            for cls in module.nodes_of(ast.ClassDef):
                names = {item.name for item in cls.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
                names |= {t.id for item in cls.body if isinstance(item, (ast.Assign, ast.AnnAssign))
                          for t in (item.targets if isinstance(item, ast.Assign) else [item.target])
                          if isinstance(t, ast.Name)}
                for name in names:
                    counts[name] = counts.get(name, 0) + 1
    return counts


def _model_member(project: Project, model: str, member: str, called: bool) -> tuple[SourceModule, ast.AST] | None:
    """The method (``called``) or ``@property`` ``member`` of the model class ``model`` or of its bases."""
    cache = project.facts.setdefault("r1.model_members", {})
    key = (model, member, called)
    if key not in cache:
        found = _project_class(project, model)
        cache[key] = next(((owner, item) for owner, cls in (_project_class_chain(project, found[1]) if found else [])
                           for item in cls.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and item.name == member and _is_property(item) != called), None)
    return cache[key]


def _row_reads(module: SourceModule, project: Project, fn: ast.AST, row: str, call: ast.AST, query: _RowsQuery,
               depth: int, off_outside: frozenset[str] = frozenset()) -> str | None:
    """What ``fn``, run by ``call``, does with the row it holds as ``row`` that queries: reads a lazy
    relationship of the rows' model that their query does not load eagerly, runs a query, or hands
    the row to a method or helper of the project that does (``depth`` calls deeper). Reads under a flag the
    call leaves off do not count (``off_outside``: the flags off where ``call`` is written)."""
    relations = _sqlalchemy_relations(project)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == row \
                and isinstance(node.ctx, ast.Load) and not _switched_off(module, fn, call, node, off_outside) \
                and query.loads_lazily(relations, node.attr):
            return f"reads {ast.unparse(node)} (a lazy relationship: one query per row)"
    ops = [op for op in db.function_ops(module, fn, project) if _runs_read(module, op)
           and not _switched_off(module, fn, call, op.call, off_outside)]
    if ops:
        return f"runs {_call_text(ops[0].call)} ({ops[0].describe()})"
    if depth <= 1:
        return None
    off = parameters_off(fn, call, off_outside) if isinstance(call, ast.Call) else frozenset()
    for call in (n for n in walk_function_body(fn) if isinstance(n, ast.Call)):
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == row:
            found = next((f for m in sorted(query.models) if (f := _model_member(project, m, call.func.attr, True))),
                         None)
            what = found and _row_reads(found[0], project, found[1], "self", call, query, depth - 1, off)
        else:
            handed = [i for i, arg in enumerate(call.args) if isinstance(arg, ast.Name) and arg.id == row]
            resolved = db.resolve_function(module, project, call, reexports=True) if handed else None
            params = call_parameters(resolved[1], call) if resolved else []
            what = resolved and handed[0] < len(params) \
                and _row_reads(resolved[0], project, resolved[1], params[handed[0]], call, query, depth - 1, off)
        if what:
            return f"calls {_call_text(call)}, which {what}"
    return None


def _sqlalchemy_relations(project: Project) -> dict[str, dict[str, bool]]:
    """Model class -> {relationship attribute: whether it loads lazily}, bases' attributes included
    (by class name); ``backref="name"`` adds a lazy attribute to the other side."""
    cached = project.facts.get("r1.sqlalchemy_relations")
    if cached is not None:
        return cached
    own: dict[str, dict[str, bool]] = {}
    bases: dict[str, list[str]] = {}
    for module in project.modules:
        if db.skipped_module(module) or "relationship(" not in module.text:
            continue
        for cls in module.nodes_of(ast.ClassDef):
            bases[cls.name] = [(dotted(b) or "").rsplit(".", 1)[-1] for b in cls.bases]
            for stmt in cls.body:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
                    stmt.target if isinstance(stmt, ast.AnnAssign) else None
                value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
                if not (isinstance(target, ast.Name) and isinstance(value, ast.Call)
                        and (dotted(value.func) or "").rsplit(".", 1)[-1] == "relationship"):
                    continue
                lazy = next((k.value for k in value.keywords if k.arg == "lazy"), None)
                own.setdefault(cls.name, {})[target.id] = lazy is None or string_value(lazy) in ("select", "dynamic") \
                    or isinstance(lazy, ast.Constant) and lazy.value is True
                backref = next((string_value(k.value) for k in value.keywords if k.arg == "backref"), None)
                other = string_value(value.args[0]) if value.args else None
                if backref and other:
                    own.setdefault(other.rsplit(".", 1)[-1], {}).setdefault(backref, True)
    result = project.facts["r1.sqlalchemy_relations"] = _with_inherited(own, bases)
    return result


def _with_inherited(own: dict[str, dict], bases: dict[str, list[str]]) -> dict[str, dict]:
    """Class name -> the attributes it declares and those of its bases (by class name), for the
    classes that have any."""
    result: dict[str, dict] = {}

    def collect(name: str, seen: set[str]) -> dict:
        if name in result:
            return result[name]
        merged: dict = {}
        for base in bases.get(name, []):
            if base not in seen and (base in own or base in bases):
                merged.update(collect(base, seen | {base}))
        merged.update(own.get(name, {}))
        result[name] = merged
        return merged

    for name in set(own) | set(bases):
        collect(name, {name})
    return {name: attributes for name, attributes in result.items() if attributes}


def _peewee_foreign_keys(project: Project, module: SourceModule) -> dict[str, dict[str, str | None]]:
    """peewee model -> {foreign key field: the related model's name, None when the field does not
    write it}, bases' fields included: ``ForeignKeyField(Author)``, ``DeferredForeignKey("Author")``
    and the project's subclasses of ``ForeignKeyField`` (``OwnerField(null=True)``), unless the field
    is declared ``lazy_load=False`` (reading it gives the key, not the row)."""
    cached = project.facts.get("r1.peewee_foreign_keys")
    if cached is not None:
        return cached
    classes = [cls for declaring in project.modules if not db.skipped_module(declaring) and "ForeignKey" in declaring.text
               for cls in declaring.nodes_of(ast.ClassDef)]
    field_classes = {"ForeignKeyField", "DeferredForeignKey"}
    field_classes |= {cls.name for cls in classes
                      if any((dotted(b) or "").rsplit(".", 1)[-1] in field_classes for b in cls.bases)}
    own: dict[str, dict[str, str | None]] = {}
    bases: dict[str, list[str]] = {}
    for cls in classes:
        bases[cls.name] = [(dotted(b) or "").rsplit(".", 1)[-1] for b in cls.bases]
        for stmt in cls.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call)
                    and (dotted(stmt.value.func) or "").rsplit(".", 1)[-1] in field_classes):
                continue
            keywords = {k.arg: k.value for k in stmt.value.keywords}
            if isinstance(keywords.get("lazy_load"), ast.Constant) and keywords["lazy_load"].value is False:
                continue
            related = stmt.value.args[0] if stmt.value.args else keywords.get("model")
            name = string_value(related) if isinstance(related, ast.Constant) else dotted(related) if related else None
            own.setdefault(cls.name, {})[stmt.targets[0].id] = \
                cls.name if name == "self" else name.rsplit(".", 1)[-1] if name else None
    result = project.facts["r1.peewee_foreign_keys"] = {
        name: fields for name, fields in _with_inherited(own, bases).items() if name in db.peewee_models(project, module)}
    return result


def _property_returns(module: SourceModule, project: Project, fn: ast.AST, node: ast.Attribute) -> list[ast.expr]:
    """What the ``@property`` read by ``node`` returns: ``self.books`` in ``fn``'s class, or
    ``x.variations`` when a single model class of the project defines that property."""
    if isinstance(node.value, ast.Name) and node.value.id == "self":
        cls = next((a for a in ancestors(module, fn) if isinstance(a, ast.ClassDef)), None)
        for item in cls.body if cls is not None else []:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == node.attr and _is_property(item):
                return _returns(item)
    if _annotated_with_plain_class(project, fn, node.value):
        return []  # record.items of a parameter typed as a dataclass of the project: a list it holds
    defined = _model_properties(project).get(node.attr, [])
    return _returns(defined[0]) if len(defined) == 1 else []


def _annotated_with_plain_class(project: Project, fn: ast.AST, node: ast.AST) -> bool:
    """Whether ``node`` is a parameter of ``fn`` annotated with a class of the project that is no ORM model
    (``record: NoticeRecord``, a dataclass): its attributes are values, not relations."""
    if not isinstance(node, ast.Name) or not isinstance(fn, FUNCTION_TYPES):
        return False
    arg = next((a for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs] if a.arg == node.id), None)
    name = (dotted(arg.annotation) or string_value(arg.annotation) or "") if arg and arg.annotation else ""
    name = name.rpartition(".")[2]
    return bool(name) and name not in _model_classes(project) and _project_class(project, name) is not None


def _is_property(fn: ast.AST) -> bool:
    return any((dotted(d) or "").endswith("property") for d in fn.decorator_list)


def _returns(fn: ast.AST) -> list[ast.expr]:
    return [n.value for n in walk_function_body(fn) if isinstance(n, ast.Return) and n.value is not None]


COLLECTING_METHODS = {"append", "extend", "add", "update", "insert", "appendleft"}


def _returns_what_it_reads(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """Whether a helper that reads returns (or yields) what it read: ``return [r.id for r in rows]``,
    ``out.append(row)`` then ``return out``; not ``prepare_authors(text)``, which looks each name up and
    returns the names it split from its argument (as many as the text holds, not rows)."""
    return _returned_source(module, project, fn) is not None


def _returned_source(module: SourceModule, project: Project, fn: ast.AST) -> str | None:
    """Where the items a helper returns (or yields) come from, as :meth:`_RowSources.source_of` names it:
    ``return [r.id for r in rows]``, ``out.append(row)`` then ``return out``, ``yield result`` for each
    ``result`` of ``requests.get(url).json()["results"]`` (items another service returned); None when it
    returns none of them."""
    cache = project.facts.setdefault("r1.returned_source", {})
    if id(fn) in cache:
        return cache[id(fn)]
    cache[id(fn)] = "database rows"  # a helper calling itself: as before, its reads are what it returns
    sources = _RowSources(module, project, fn, False)
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.attr in COLLECTING_METHODS:
            collected = next((source for arg in node.args if (source := sources.source_of(arg))), None)
            if collected:
                sources.kind.setdefault(node.func.value.id, collected)
    values = [n.value for n in walk_function_body(fn)
              if isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom)) and n.value is not None]
    cache[id(fn)] = next((source for value in values if (source := sources.source_of(value))), None)
    return cache[id(fn)]


def _model_properties(project: Project) -> dict[str, list[ast.AST]]:
    """``@property`` methods of the project's Django model classes, by name; not those of a view, a
    serializer or an admin (``def course(self): return Course.objects.filter(uuid=self.kwargs[...]).first()``
    on a view reads the request's object, not a member of each row)."""
    cached = project.facts.get("r1.model_properties")
    if cached is not None:
        return cached
    found: dict[str, list[ast.AST]] = {}
    for module in project.modules:
        if db.skipped_module(module) or not module.imports_module("django"):
            continue
        for cls in module.nodes_of(ast.ClassDef):
            if any(NOT_MODEL_BASES.search(b) for b in _project_bases(project, cls.name) - {cls.name}):
                continue
            for item in cls.body:
                if isinstance(item, ast.FunctionDef) and _is_property(item):
                    found.setdefault(item.name, []).append(item)
                    _property_modules(project)[id(item)] = module
    project.facts["r1.model_properties"] = found
    return found


def _property_modules(project: Project) -> dict[int, SourceModule]:
    """The module of each property ``_model_properties`` lists, by the id of its ``def``."""
    return project.facts.setdefault("r1.property_modules", {})


def _decodes_response(fn: ast.AST, node: ast.AST) -> bool:
    """``resp.json()`` of the one response ``fn`` got (``resp = client.get(url)``) or of a call made in place
    (``requests.get(url, timeout=5).json()``)."""
    response = decoded_response(node)
    if isinstance(response, ast.Name):
        bound = _bindings(fn, response.id)
        response = bound[0] if len(bound) == 1 else None
    return isinstance(response.value if isinstance(response, ast.Await) else response, ast.Call)


def _bindings_reaching(module: SourceModule, fn: ast.AST, name: str, loop: ast.AST) -> list[ast.expr]:
    """The bindings of ``name`` the loop can see: not one written after it (``lines = CheckoutLine.objects...``
    below ``[info.line.id for info in lines]`` rebinds a parameter the loop already read), unless an outer
    loop brings it round again."""
    if any(isinstance(outer, (ast.For, ast.AsyncFor, ast.While)) for outer in enclosing_loops(module, loop)):
        return _bindings(fn, name)
    return [value for value in _bindings(fn, name) if value.lineno <= loop.end_lineno]


def _eager_load_lists(fn: ast.AST, exprs: list[ast.expr]) -> list[str]:
    """``prefetch_related(*prefetch_fields)``: the relations the named list holds, as the calls that
    name them (``fields = ["discounts__rule"]``, ``fields.extend([...])`` in the same function)."""
    found = []
    for call in [n for e in exprs for n in walk_nodes(e) if isinstance(n, ast.Call)]:
        if method_name(call) not in {"prefetch_related", "select_related"}:
            continue
        for arg in call.args:
            name = arg.value if isinstance(arg, ast.Starred) else arg
            if not isinstance(name, ast.Name):
                continue
            values = _bindings(fn, name.id) + [a for node in walk_function_body(fn) if isinstance(node, ast.Call)
                                               and method_name(node) in {"append", "extend"}
                                               and isinstance(node.func, ast.Attribute)
                                               and isinstance(node.func.value, ast.Name)
                                               and node.func.value.id == name.id for a in node.args]
            found += [f"{method_name(call)}({ast.unparse(value)})" for value in values]
    return found


def _bindings(fn: ast.AST, name: str) -> list[ast.expr]:
    return [stmt.value for stmt in walk_function_body(fn)
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)]


def _is_queryset_text(expr: ast.AST, text: str, to_many: frozenset[str]) -> bool:
    for node in walk_nodes(expr):  # Prefetch("values", queryset=Value.objects...): the relation's rows, not these
        if isinstance(node, ast.Call) and (dotted(node.func) or "").rpartition(".")[2] == "Prefetch":
            text = text.replace(ast.unparse(node), "Prefetch()")
    if ".objects." in text or text.endswith(".objects"):
        return True
    node = expr  # a related manager's read: order.lines.all(), self.sessions.filter(...)
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node is not expr and isinstance(node, ast.Attribute) and node.attr in to_many


def _loads_relation(text: str, relation: str, to_one: bool) -> bool:
    """``prefetch_related("lines")``, ``select_related("customer__region")``, or, for a foreign key,
    ``select_related()`` (every foreign key; it does not load to-many relations)."""
    if to_one and "select_related()" in text:
        return True
    for call in re.finditer(r"(?:prefetch|select)_related\(([^)]*)\)", text):
        if re.search(rf"['\"]{re.escape(relation)}(__|['\"])", call.group(1)) or "Prefetch(" in call.group(1):
            return True
    return False


def _django_plain_fields(project: Project) -> frozenset[str]:
    """Names of the project's Django model fields that hold a value, not a relation
    (``value = models.CharField(...)``): a bare ``row.value`` of such a name may be that field, even
    when another model has a foreign key of the same name."""
    cached = project.facts.get("r1.django_plain_fields")
    if cached is not None:
        return cached
    models = _django_model_classes(project)
    result = frozenset(name for cls, name, call, field_type in _model_field_calls(project)
                       if field_type.endswith("Field") and field_type not in RELATION_FIELDS
                       and (cls.name in models or (dotted(call.func) or "").startswith("models.")))
    project.facts["r1.django_plain_fields"] = result
    return result


def _model_field_calls(project: Project) -> Iterator[tuple[ast.ClassDef, str, ast.Call, str]]:
    """``name = Something(...)`` in the body of a class of the project's Django modules:
    (class, name, call, the called name's last part)."""
    for module in project.modules:
        if not module.imports_module("django") or db.skipped_module(module):
            continue
        for cls in module.nodes_of(ast.ClassDef):
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                        and isinstance(stmt.value, ast.Call):
                    yield cls, stmt.targets[0].id, stmt.value, (dotted(stmt.value.func) or "").rsplit(".", 1)[-1]


def _django_relations(project: Project) -> tuple[frozenset[str], frozenset[str]]:
    """The relation names of the project's Django models: (to-many, to-one).

    To-many: ``ManyToManyField`` names, reverse accessors of foreign keys (``related_name`` or
    ``<model>_set``) and of many-to-many fields. To-one: ``ForeignKey``/``OneToOneField`` names
    and reverse one-to-one accessors (``related_name`` or ``<model>``)."""
    cached = project.facts.get("r1.django_relations")
    if cached is not None:
        return cached
    to_many: set[str] = set()
    to_one: set[str] = set()
    for cls, name, call, field_type in _model_field_calls(project):
        kind = RELATION_FIELDS.get(field_type)
        if kind is None:
            continue
        (to_one if kind == "one" else to_many).add(name)
        reverse = _reverse_accessor(cls, field_type, call)
        if reverse:
            (to_one if field_type.startswith("OneToOne") else to_many).add(reverse)
    result = frozenset(to_many), frozenset(to_one - to_many)
    project.facts["r1.django_relations"] = result
    return result


def _reverse_accessor(cls: ast.ClassDef, field_type: str, call: ast.Call) -> str | None:
    """The name the related model reads a relation field back by (``related_name``, ``<model>_set``, or
    ``<model>`` for a one-to-one field); None when it has none (``related_name="+"``, a ``%(class)s`` pattern)."""
    related = next((string_value(k.value) for k in call.keywords if k.arg == "related_name"), None)
    reverse = related or (cls.name.lower() if field_type.startswith("OneToOne") else f"{cls.name.lower()}_set")
    return None if reverse.endswith("+") or "%" in reverse else reverse
