"""T.naive-datetime: a point in time stored or computed without its time zone.

## What it does
Reports datetimes made or stored without a time zone. In code:

- `datetime.now()` and `datetime.fromtimestamp(ts)` called without a time zone, and
  `datetime.utcnow()`, `datetime.utcfromtimestamp(ts)` and `datetime.today()`, which
  always return naive values (whatever the import spelling: `import datetime`,
  `from datetime import datetime`, `import datetime as dt`);
- a local reading labelled UTC, `datetime.now().replace(tzinfo=pytz.utc)`, or written out as UTC,
  `datetime.now().strftime("%Y-%m-%dT%H:%M:%S+00:00")` (also with a literal `Z`, `UTC`, `GMT`),
  `datetime.fromtimestamp(mtime).replace(tzinfo=timezone.utc)`: aware, but right only while the process
  runs in UTC; a code base that does it in several places gets one finding naming them; likewise a
  local reading labelled with another value's zone, `datetime.now().replace(tzinfo=discount.valid_from.tzinfo)`:
  replace() does not convert, so it is off by the difference between the host's zone and that one;
- a naive reading written out with its numeric offset, `datetime.now().strftime("%Y-%m-%d %H:%M:%S %z")` (also
  `utcnow()`): a naive value writes `%z` as an empty string, so the text meant for a program carries no zone;
- the same functions passed uncalled as a column or field default
  (`default=datetime.utcnow`, `default_factory=datetime.now`);
- SQLAlchemy `DateTime`/`TIMESTAMP` columns without `timezone=True` (they create
  `timestamp without time zone`), including `Mapped[datetime]` columns that take their
  type from the annotation (directly or through a project alias `datetime_now =
  Annotated[datetime, mapped_column(server_default=func.now())]` whose `mapped_column` gives no type)
  when no `type_annotation_map` of the code base maps `datetime` (a map of enums only leaves it
  naive) and the model is not built on an advanced-alchemy base (its registry maps `datetime` to the
  aware `DateTimeUTC`) and the class is not mapped from a `Table` (a bare `Mapped[datetime]`
  annotation of a class with `__table__ = Table(...)` or mapped by `map_imperatively`, or of
  its generic base, only types the attribute: the Table's column is judged; so does one under `if
  TYPE_CHECKING:`, typing a `column_property` defined later); a column that also
  has a naive default is one finding; sqlalchemy_utils `ArrowType` columns without
  `timezone=True` filled by the database's `now()` (`DefaultClause(func.now())`,
  `server_default=text("now()")`: the database session's zone; the code writes UTC arrow
  values into the others); `datetime` fields of SQLModel tables (and of the base classes in
  the same file they inherit from) without `sa_type=`/`sa_column=`; columns in migration
  revisions are left to the database check, and so are the columns of a module whose declarative
  base the code base never creates while it creates its others with `metadata.create_all()` and has
  no migrations (it maps a database another program owns: its column types are not the code base's);
- a Django settings module that sets `USE_TZ = False`, which makes every
  `DateTimeField` naive; when no settings module sets it `True`, the plain local readings of the code base
  (`datetime.now()`, `fromtimestamp(ts)`, `today()`) are places of that finding, not findings of their own:
  naive local time is what its fields hold, so each is right by the setting and only the setting can change
  them (a reading labelled UTC, shifted by hand by some hours, `datetime.now() + timedelta(hours=-8)`, or a
  UTC reading stays its own finding);
- `datetime.fromisoformat(data["start"])` of the request's input (`request....`, also through a local bound
  once to it, `data = json.loads(request.body)`) in a code base that keeps aware datetimes (Django without
  `USE_TZ = False`, `DateTime(timezone=True)` columns), unless made aware at once or read as a day: naive
  whenever the client sends no offset;
- `datetime.strptime(text, "%Y-%m-%d")` (a format without `%z`) and `datetime.combine(day, time.max)` (a time
  without a zone, no `tzinfo=`) where the value, directly, through a name or returned by a function, is compared
  with or subtracted from an aware one (`cutoff < timezone.now()`: TypeError) or, in a Django code base with
  time zones on, given to a `DateTimeField` (`created__lte=end`, `{"chat.update_time__lte": end}`,
  `Meeting.objects.create(starts=start)`, `meeting.starts = start`: read in the current zone, with a
  RuntimeWarning); one made aware at once (`make_aware(datetime.combine(...))`), read as a day, or only
  compared with other naive values (a loop over the days between two parsed dates) is left.

A code base that keeps naive UTC throughout (at least three DateTime columns without a zone,
not one with `timezone=True`, and at least five `utcnow()`/`utcfromtimestamp()` readings, counting
the columns' own `default=datetime.utcnow`/`onupdate=datetime.utcnow` (Flask-SQLAlchemy's
`db.Column(db.DateTime, default=datetime.utcnow)` too) and the calls and column defaults of a project helper
that returns one, `def get_utc_now(): return
datetime.utcnow()` or `datetime.now(timezone.utc).replace(tzinfo=None)`) gets
one finding for that choice, at its first naive column, naming the places: each of those lines
is right by the convention, and changing one alone would break its comparisons. What breaks the
convention stays a finding of its own: a local reading (`datetime.now()`, `fromtimestamp(ts)`,
`today()`, a `default=datetime.now`), a naive column filled by the database's `now()` (the
database session's zone), and `datetime.utcnow().timestamp()` (read as local time: a wrong epoch).
Likewise a code base that keeps naive local time throughout (at least eight local `now()`/`fromtimestamp()`
readings, naive columns to keep them in (peewee `DateTimeField`s, or three DateTime columns without a zone),
no UTC reading and not one aware value kept anywhere: an aware reading formatted into text at once is text)
gets one finding for that choice, at its first reading, naming the places.

In the database: `timestamp without time zone` columns (`date` columns are fine).

`datetime.now(timezone.utc)`, `now(tz=...)`, `fromtimestamp(ts, tz=...)`,
`datetime.now().astimezone()`, `make_aware(datetime.now())`,
a reading whose value is thrown away (`datetime.fromtimestamp(value)` as a statement in a `try`: a check that
the number is a valid timestamp), `datetime.fromtimestamp(0)` (the epoch as an "all time" lower bound),
`datetime.now().timestamp()`, `datetime.timestamp(datetime.now())`, `datetime.today().replace(day=1).timestamp()` (a correct POSIX time, also through a name read only that
way, also after `cutoff = now - timedelta(minutes=m)`, or handed to a project function whose parameter is read only that way),
a reading only turned into text for people (`datetime.now().strftime(...)`, also handed to a project formatter
`def as_text(value): if value: return value.strftime(...)`,
`datetime.ctime(datetime.utcnow())` in a log banner, `(datetime.now() + timedelta(hours=1))
.strftime(...)` as an example in a prompt, `f"generated on {datetime.utcnow()} UTC"`,
`"backup-" + datetime.now().isoformat()`, `str(datetime.utcnow()) + upload.filename`,
`str(datetime.now()).split(" ")[0]`, `date = datetime.fromtimestamp(ms / 1000); native = date.replace(tzinfo=None);
return native.strftime(fmt)` (a template filter),
`log.info("checkpoint at %s", datetime.now())`, a field of a log line (`request.log_context(time=stamp)`,
`logger.bind(at=stamp)`), a label (`request.data["name"] = datetime.now().isoformat()`, `title=`,
`{"filename": ...}`: a `name`/`title`/`label`/`description`/`filename`/`subject` field); also through a
name read only that way, handed to a project function whose parameter is only formatted with
`strftime()` (`certificate_name(cn, issuer, datetime.now(), ...)` putting the day into a name), or returned by a function whose callers all compose it into other
text or hand it to such a function (`date = fetch_git_date(ref); return pep440_version(date, ref)`: a
day written into a version string); an ISO string that is stored, sent or returned elsewhere, and any text written into an SQL
statement, are still reported), `freeze_time(datetime.utcfromtimestamp(ts))` (freezegun reads naive values as
UTC), a local deadline handed to the acme client (`client.poll_authorizations(order,
datetime.now() + timedelta(seconds=90))`: it compares with the naive local `now()`), a local reading handed to
APScheduler as the time a job runs (`add_job(job, "date", run_date=datetime.now())`, `modify_job(id,
next_run_time=datetime.now())`: it reads a naive value in the scheduler's zone, the host's by default), a UTC reading written as a JWT `exp`/`iat`/`nbf` claim (`{"exp": datetime.utcnow() + delta}`: PyJWT,
python-jose and Authlib read naive claims as UTC; a local `now()` there is reported), a UTC reading
handed to a project function that subtracts the naive epoch
(`unix_time(datetime.utcnow())` where `unix_time` returns
`(dt - datetime(1970, 1, 1)).total_seconds()`), `calendar.timegm(datetime.utcnow().utctimetuple())`, a reading only subtracted from or compared with
another reading of the same clock, directly or through a name bound once or only ever to readings of that
clock (`start = datetime.now()` timing two steps in turn, a throttle `next_save = datetime.now() +
timedelta(seconds=5)` set again in its loop; `datetime.now() - datetime.fromtimestamp(started)`, `datetime.fromtimestamp(exp) < datetime.now()`, `reset =
datetime.utcfromtimestamp(ts)` ... `reset - datetime.utcnow()`, `datetime.utcnow() - parsed` where `parsed =
datetime.strptime(header, "%a, %d %b %Y %H:%M:%S GMT")`; `datetime.utcnow() - worker.last_heartbeat` in a
code base that pins rq below 2.0, whose job and worker times are naive UTC; or with a datetime built from
fields without a zone, `datetime(*parts) - datetime.now()`, or with a day parsed from text, `datetime.strptime(key,
"%Y-%m-%d") <= datetime.today() - timedelta(days=n)`, which an aware reading could not meet; also moved
by a span either way,
`datetime.fromtimestamp(seen) < datetime.now() - timedelta(hours=h)`, or kept in an attribute the code base
only ever sets to readings of that clock, on any object, and compares only with them (`self.expiration =
datetime.now() + ttl` in a model, `datetime.now() > token.expiration` in a view; not a column with a default),
or truncated, `opens =
datetime.now().replace(hour=start, minute=0)` ... `opens < now < opens + span` (a window in local wall-clock
hours), or as the fallback of another such value, `(self.ended or datetime.now()) - self.started`, or kept in an instance attribute that its class
only sets to `None` or readings of that clock and only tests or compares with them: `self.synced_at =
datetime.now()` ... `now - self.synced_at > timedelta(hours=48)`), a local reading that every use converts
with `.astimezone(zone)` (`now = datetime.now()` ... `now.astimezone(tz).utcoffset()`: a naive value is read as
the host's local time, which it is), a UTC reading handed to a project function that
attaches UTC to it (`make_utc(datetime.utcnow())` where `make_utc` calls `make_aware(dt, timezone=utc)` or
`dt.replace(tzinfo=timezone.utc)`), a local reading used only in whole days (a cutoff
`datetime.now() - timedelta(days=retention)` only compared, also in a query, `date_joined__gte=cutoff`, or
shown; `(expires - datetime.now()).days`, a difference of which only `.days` is read: the host's offset moves
it by hours, which a count of days does not see), `date.today()`, today's date read off a reading
(`datetime.now().date()`, `.year`, `.weekday()`, also through a name read only that way; of a UTC reading
also `.hour` and `.minute`, the right UTC fields), the hour or time of day of a reading only compared
(`22 <= datetime.now().hour or datetime.now().hour < 7`, `datetime.now().time() < closing`: quiet hours, a
window in the host's wall-clock hours like the truncated one above) and date-only fields
(`DateField(default=datetime.now)`, `db.Column(db.Date, default=datetime.now)`, a DateTime column named for
a day of the calendar (`birthday`, `date_of_birth`, `due_date`, the `coverage_start_date` of a report's period:
kept at midnight, no moment to lose), a Django `DateField`
or SQLAlchemy `Date` column given the value as a view's initial data or as a keyword of its model,
`Photo.objects.create(taken=datetime.now())`, `Bill(date=datetime.today())`, or compared with one in a query,
`Grant.objects.filter(valid_until__gte=datetime.now())`: a date has no time of day), the time of a ZIP member
(`(name, datetime.now(), 0o644, ZIP_32, chunks)` for stream_zip: the ZIP format keeps local wall-clock time
without a zone), `DateTime(timezone=True)` and `django.utils.timezone.now()` are fine.
A reading marked deliberate for the code base's datetime lint (`# noqa: DTZ005` of flake8-datetimez or ruff, on
its line) is left: the authors silenced this very check there (a bare `# noqa` or another code is not enough).
Test code (`tests/`, `test_*.py`, `conftest.py`), scripts run by hand (a file outside the
service's packages with a `__main__` block that nothing imports: a demo-data loader; not one whose `__main__`
block starts a long-running process, `XMRDaemon().start()`, `serve_forever()`, `run_forever()`: a daemon),
Django management commands named for made-up data (`create_test_perf_data`, `load_demo_users`),
documentation and sample code (`docs/`, `examples/`) and migration revisions (they run once;
the models say what the columns are now) are not audited.

## Why is this bad?
A naive datetime is a wall-clock reading with no zone: the server's local time on one
host, UTC on another. Compared with aware values it raises; compared with each other
across hosts, daylight-saving changes or a move of the server, it is silently off by
hours. `utcnow()` looks safe but returns a naive value that any later `.astimezone()`
reads as local time (Backend Posture gate S32).

## Example
```python
from datetime import datetime
from sqlalchemy import Column, DateTime

class Order(Base):
    created_at = Column(DateTime, default=datetime.utcnow)

def expired(order):
    return order.created_at < datetime.now()
```

## Use instead
```python
from datetime import datetime, timezone
from sqlalchemy import Column, DateTime

class Order(Base):
    created_at = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))

def expired(order):
    return order.created_at < datetime.now(timezone.utc)
```

## References
- Python: https://docs.python.org/3/library/datetime.html#aware-and-naive-objects
- SQLAlchemy: https://docs.sqlalchemy.org/en/20/core/type_basics.html#sqlalchemy.types.DateTime
- Django: https://docs.djangoproject.com/en/stable/topics/i18n/timezones/
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Iterator

from audit_lib.findings import Confidence, Finding, code_base_finding, shown_places
from audit_lib.libs.db import is_test_module, looks_like_sql
from audit_lib.libs.web import is_django_settings
from audit_lib.pyast import (
    ancestors,
    call_name,
    dotted,
    enclosing_function,
    in_main_block,
    is_none,
    is_self_attribute,
    keyword,
    qualified,
    string_value,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.rules.r5_complexity._common import in_documentation, is_hand_run_script, is_offline_module
from audit_lib.source import Project, SourceModule, is_management_command

DATETIME_CLASS = "datetime.datetime"
ALWAYS_NAIVE = {"utcnow", "utcfromtimestamp", "today"}
# function -> index of the positional tz argument
TZ_POSITION = {"now": 0, "fromtimestamp": 1}
DEFAULT_KEYWORDS = {"default", "onupdate", "default_factory"}
SQLALCHEMY_DATETIME_TYPES = {
    "sqlalchemy.DateTime", "sqlalchemy.types.DateTime", "sqlalchemy.sql.sqltypes.DateTime",
    "sqlalchemy.TIMESTAMP", "sqlalchemy.types.TIMESTAMP", "sqlalchemy.sql.sqltypes.TIMESTAMP",
    "sqlalchemy.dialects.postgresql.TIMESTAMP", "sqlmodel.DateTime",
}
DATE_ONLY_FIELDS = (".DateField",)
AWARE_MAKERS = {"make_aware", "localize"}
COLUMN_FACTORIES = {"Column", "mapped_column"}
FIX_CALL = "pass a zone: datetime.now(timezone.utc) / datetime.fromtimestamp(ts, tz=timezone.utc)"
FIX_COLUMN = "use DateTime(timezone=True) (PostgreSQL timestamptz) and store aware UTC values"


@rule("T.naive-datetime", on="project", scope="code+db", severity="medium")
def check_code(project: Project) -> Iterator[Finding]:
    _KIND.clear()
    found: list[Finding] = []
    aware_columns = 0
    for module in project.modules:
        found.extend(_module_findings(module, project))
        if module.imports_module("sqlalchemy") or module.imports_module("sqlmodel"):
            aware_columns += _aware_column_count(module, project)
    found = _one_for_use_tz_false(_one_for_labelled_utc(found), project)
    helper_readings = _naive_utc_helper_readings(project)
    convention = _naive_utc_convention(found, aware_columns, sum(helper_readings.values()))
    local = _naive_local_convention(found, project) if convention is None and not aware_columns else None
    if local is not None:
        kept, collapsed = local
        yield _naive_local_code_base(collapsed)
        found = kept
    if convention is None:
        for finding in found:
            _drop_working_extras(finding)
        yield from found
        return
    kept, collapsed = convention
    yield _naive_utc_code_base(collapsed, helper_readings)
    for finding in kept:
        _drop_working_extras(finding)
        if _KIND.get(id(finding)) == "local":
            finding = replace(finding, message=f"{finding.message}, a local wall-clock reading in a code base "
                              "that keeps naive UTC everywhere else: mixed with those values it is off by the "
                              "host's UTC offset", fix="datetime.utcnow() like the rest of the code base (or, "
                              "better, aware UTC everywhere: datetime.now(timezone.utc))")
        yield finding


def _drop_working_extras(finding: Finding) -> None:
    """Remove what the convention checks read (a finding's kind, its UTC readings) before it is reported."""
    for key in ("kind", "utc_epoch", "utc_defaults", "shifted_by_hours"):
        finding.extra.pop(key, None)


def _module_findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    if is_test_module(module):
        return
    if not (module.imports_module("datetime") or module.imports_module("sqlalchemy")
            or module.imports_module("sqlmodel") or is_django_settings(module, project)):
        return
    reported: set[int] = set()
    for finding in _findings(module, project):
        if finding.line not in reported:
            reported.add(finding.line)
            yield finding


# The kind of each finding, for the code-base convention: "utc" (a utcnow()/utcfromtimestamp() reading
# or default), "column" (a naive column with no default or a UTC one), "local" (a local wall-clock
# reading: now(), fromtimestamp(), today()), "keep" (always its own finding: a UTC reading turned into
# an epoch by .timestamp(), a naive column filled by the database's now(), USE_TZ = False).
_KIND: dict[int, str] = {}
CONVENTION_MIN_READINGS = 5   # utcnow()/utcfromtimestamp() readings
CONVENTION_MIN_COLUMNS = 3    # naive DateTime columns, and not one aware column
DATABASE_NOW = re.compile(r"(?<![\w.])now\(\)|func\.now\(|current_timestamp|localtimestamp|getdate\(|sysdate",
                          re.IGNORECASE)
LOCAL_READING = re.compile(r"\b(now|today)\(\s*\)")  # a local default beside the column: lambda: datetime.now()


def _kind(finding: Finding) -> str:
    if finding.extra.get("kind"):
        return finding.extra["kind"]
    message = finding.message
    if message.startswith(("DateTime column", "TIMESTAMP column", "ArrowType column", "Mapped[datetime]",
                           "SQLModel datetime")):
        evidence = finding.evidence or ""
        if DATABASE_NOW.search(evidence):
            return "keep"  # the database's clock, in its session's zone
        local = re.search(r"datetime\.(now|today)\b", message) or LOCAL_READING.search(evidence)
        return "local" if local else "column"
    if re.match(r"\w+=datetime\.utc", message):
        return "utc"
    if re.match(r"\w+=datetime\.(now|today)", message):
        return "local"
    return "keep"


def _naive_utc_convention(found: list[Finding], aware_columns: int, helper_readings: int = 0
                          ) -> tuple[list[Finding], list[Finding]] | None:
    """A code base that keeps naive UTC throughout (every DateTime column without a zone, the readings
    utcnow(), or a project helper returning it: ``helper_readings`` calls of those): each of those lines is
    right by the convention, and one finding says what the code base chose; the local readings mixed into
    it (now(), fromtimestamp()) and the other naive values stay findings of their own. None when the code
    base has no such convention."""
    for finding in found:
        _KIND[id(finding)] = _kind(finding)
    utc = [f for f in found if _KIND[id(f)] == "utc" or f.extra.get("utc_epoch")]
    columns = [f for f in found if _KIND[id(f)] == "column"]
    readings = len(utc) + _column_default_readings(columns) + helper_readings
    if aware_columns or readings < CONVENTION_MIN_READINGS or \
            len(columns) < CONVENTION_MIN_COLUMNS:
        return None
    collapsed = [f for f in found if _KIND[id(f)] in ("utc", "column")]
    return [f for f in found if _KIND[id(f)] not in ("utc", "column")], collapsed


def _column_default_readings(columns: list[Finding]) -> int:
    """The ``default=datetime.utcnow`` / ``onupdate=datetime.utcnow`` of the naive columns: readings of the
    naive-UTC convention as much as a ``utcnow()`` call."""
    return sum(f.extra.get("utc_defaults", 0) for f in columns)


LOCAL_CONVENTION_MIN_READINGS = 8  # local now()/fromtimestamp()/today() readings, and not one aware value


def _naive_local_convention(found: list[Finding], project: Project) -> tuple[list[Finding], list[Finding]] | None:
    """A code base that keeps naive local time throughout: at least eight local readings (``now()``,
    ``fromtimestamp(ts)``), written into naive columns (peewee ``DateTimeField``s, or three SQLAlchemy DateTime
    columns without a zone), and not one UTC reading nor one aware value kept anywhere (an aware reading only
    formatted at once, ``datetime.now(timezone.utc).strftime(...)``, is text). Each reading is right by the
    convention and changing one alone would break its comparisons: one finding says what the code base chose.
    None when the code base has no such convention."""
    local = [f for f in found if f.extra.get("kind") == "local" and "labels it UTC" not in f.message]
    if len(local) < LOCAL_CONVENTION_MIN_READINGS or any(f.extra.get("kind") == "utc" for f in found):
        return None
    columns = sum(1 for f in found if _kind(f) == "column")
    if columns < CONVENTION_MIN_COLUMNS and not _peewee_datetime_fields(project):
        return None
    if _aware_values_kept(project):
        return None
    return [f for f in found if f not in local], local


def _peewee_datetime_fields(project: Project) -> bool:
    """Whether the code base's peewee models have ``DateTimeField`` columns (naive: peewee stores no zone)."""
    return any(module.imports_module("peewee") and "DateTimeField(" in module.text
               for module in project.modules if not is_test_module(module))


def _aware_values_kept(project: Project) -> bool:
    """Whether service code makes an aware datetime it keeps: ``datetime.now(timezone.utc)``, ``now(tz=...)``,
    ``fromtimestamp(ts, tz)``, ``django.utils.timezone.now()``, other than one formatted into text at once."""
    for module in project.modules:
        if is_test_module(module) or in_documentation(module.path) or "datetime" not in module.text:
            continue
        for call in module.nodes_of(ast.Call):
            function = _datetime_function(module, call.func)
            name = call_name(module, call) or ""
            if function in TZ_POSITION:
                tz = keyword(call, "tz")
                if tz is None and len(call.args) > TZ_POSITION[function]:
                    tz = call.args[TZ_POSITION[function]]
                if tz is None or is_none(tz):
                    continue
            elif name != "django.utils.timezone.now":
                continue
            parent = module.parents.get(call)
            if isinstance(parent, ast.Attribute) and parent.attr in ("strftime", "isoformat"):
                continue
            return True
    return False


def _naive_local_code_base(collapsed: list[Finding]) -> Finding:
    for finding in collapsed:
        _drop_working_extras(finding)
    ordered = sorted(collapsed, key=lambda f: (f.path or "", f.line or 0))
    first = ordered[0]
    places = [f"{f.path}:{f.line}" for f in ordered]
    shown = shown_places(places, skip=f"{first.path}:{first.line}")
    return code_base_finding(
        first, places,
        f"the code base keeps datetimes as naive local time throughout: {len(ordered)} datetime.now()/"
        f"fromtimestamp() readings without a zone, stored in columns without one, and no aware value anywhere "
        f"(this reading, {shown}); consistent on one host in one zone, but nothing in the stored values says "
        "which: a second host or a container in UTC, a move of the server or a daylight-saving change shifts "
        "or repeats them",
        "move to aware UTC in one change: datetime.now(timezone.utc) for every reading and columns with a zone "
        "(a migration that reads the stored values AT TIME ZONE of the server's zone)",
    )


def _naive_utc_code_base(collapsed: list[Finding], helper_readings: dict[str, int]) -> Finding:
    ordered = sorted(collapsed, key=lambda f: (f.path or "", f.line or 0))
    columns = [f for f in ordered if _KIND[id(f)] == "column"]
    first = columns[0]
    places = [f"{f.path}:{f.line}" for f in ordered]
    shown = shown_places(places, skip=f"{first.path}:{first.line}")
    direct = len(ordered) - len(columns) + _column_default_readings(columns)
    readings = [f"{direct} utcnow()/utcfromtimestamp() readings"] if direct or not any(helper_readings.values()) \
        else []
    readings += [f"{count} uses of {name}() (a project helper returning naive UTC)"
                 for name, count in sorted(helper_readings.items()) if count]
    return code_base_finding(
        first, places,
        f"the code base keeps datetimes as naive UTC throughout: {len(columns)} DateTime columns without "
        f"timezone=True and {', '.join(readings)} (this column, {shown}); consistent while every value is UTC, "
        "but nothing in the values says so: a local reading, an "
        "aware value from a library or .astimezone() mixed in is silently off by the host's offset or raises "
        "TypeError, and utcnow() is deprecated since Python 3.12",
        "move to aware UTC in one change: DateTime(timezone=True) columns (a migration that reads the stored "
        "values AT TIME ZONE 'UTC') and datetime.now(timezone.utc) for every reading",
    )


def _naive_utc_helper_readings(project: Project) -> dict[str, int]:
    """Uses of the project's own functions that return the naive UTC time (``def get_utc_now(): return
    datetime.utcnow()``, or ``datetime.now(timezone.utc).replace(tzinfo=None)``): calls and column defaults
    (``default=get_utc_now``), outside tests, migrations and documentation; by helper name. Each is a reading
    of the naive-UTC convention that the rule does not report itself."""
    helpers: dict[str, str] = {}  # dotted name -> function name
    for module in project.modules:
        if is_offline_module(module) or in_documentation(module.path) or not module.imports_module("datetime"):
            continue
        for fn in module.tree.body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.decorator_list:
                continue
            returns = [n.value for n in walk_nodes(fn) if isinstance(n, ast.Return)]
            if returns and all(r is not None and _naive_utc_reading(module, r) for r in returns):
                helpers[f"{module.dotted_name}.{fn.name}"] = fn.name
    if not helpers:
        return {}
    counts = dict.fromkeys(helpers.values(), 0)
    for module in project.modules:
        if is_offline_module(module) or in_documentation(module.path):
            continue
        for node in module.nodes_of(ast.Name, ast.Attribute):
            if not isinstance(node.ctx, ast.Load):
                continue
            parent = module.parents.get(node)
            if not (isinstance(parent, ast.Call) and parent.func is node
                    or isinstance(parent, ast.keyword) and parent.arg in DEFAULT_KEYWORDS):
                continue
            name = qualified(module, node) or ""
            if "." not in name:
                name = f"{module.dotted_name}.{name}"  # a helper called in its own module
            helper = helpers.get(name) or next((f for d, f in helpers.items() if d.endswith("." + name)), None)
            if helper is not None and name.rsplit(".", 1)[-1] == helper:
                counts[helper] += 1
    return counts


def _naive_utc_reading(module: SourceModule, node: ast.expr) -> bool:
    """``datetime.utcnow()``, ``datetime.utcfromtimestamp(ts)``, ``datetime.now(timezone.utc).replace(tzinfo=None)``."""
    if not isinstance(node, ast.Call):
        return False
    if _datetime_function(module, node.func) in ("utcnow", "utcfromtimestamp"):
        return True
    if isinstance(node.func, ast.Attribute) and node.func.attr == "replace" and \
            is_none(keyword(node, "tzinfo")) and isinstance(node.func.value, ast.Call):
        inner = node.func.value
        return _datetime_function(module, inner.func) in ("utcnow", "utcfromtimestamp") or \
            _datetime_function(module, inner.func) == "now" and \
            "utc" in ast.unparse(inner.args[0] if inner.args else keyword(inner, "tz") or ast.Constant("")).lower()
    return False


def _aware_column_count(module: SourceModule, project: Project) -> int:
    """``Column(DateTime(timezone=True))`` columns of the module (migrations, tests and docs aside)."""
    if is_test_module(module) or is_offline_module(module) or in_documentation(module.path):
        return 0
    flask_sqlalchemy = project.imports_anywhere("flask_sqlalchemy")
    count = 0
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call) and _is_column_call(module, node, flask_sqlalchemy) \
                and _column_kind(module, node, flask_sqlalchemy) == "datetime" \
                and not list(_naive_column(module, node, flask_sqlalchemy)):
            count += 1
    return count


def _findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    flask_sqlalchemy = project.imports_anywhere("flask_sqlalchemy")
    annotation_map = _has_type_annotation_map(project)
    sqlmodel_fields = _sqlmodel_table_fields(module) if module.imports_module("sqlmodel") else set()
    if is_offline_module(module) or in_documentation(module.path) or _test_data_command(module) \
            or is_hand_run_script(module, project) and not _starts_daemon(module):
        # run once or by hand (a migration revision, a data generator at the code root, sample code):
        # what it writes follows the models, which are audited
        return
    foreign_schema = _maps_foreign_schema(module, project)
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call):
            yield from _naive_call(module, node, project)
            yield from _parsed_request_time(module, node, project)
            yield from _naive_parse_meeting_aware(module, node, project)
            is_column = _is_column_call(module, node, flask_sqlalchemy) and not foreign_schema
            if is_column and (_column_kind(module, node, flask_sqlalchemy) == "date"
                              or _calendar_date_name(_column_name(module, node))):
                continue  # a date column keeps the day only, whatever its default
            defaults = list(_naive_default(module, node))
            columns = list(_naive_column(module, node, flask_sqlalchemy)) if is_column else []
            # a naive column with a naive default: one finding that names both (and counts its UTC defaults)
            yield from (replace(c, message=f"{c.message}, and its {defaults[0].message}",
                                extra={"utc_defaults": sum(_kind(d) == "utc" for d in defaults)})
                        if defaults else c for c in columns)
            if not columns:
                yield from defaults
        elif isinstance(node, ast.AnnAssign) and not annotation_map and not _typing_only(module, node) \
                and not _calendar_date_name(_column_name(module, node)):
            yield from _naive_mapped_annotation(module, node, project)
        if isinstance(node, ast.AnnAssign) and node in sqlmodel_fields:
            yield from _naive_sqlmodel_field(module, node)
    if is_django_settings(module, project):
        yield from _use_tz_false(module)


# ``manage.py create_test_perf_data``, ``load_demo_users``: a command named for data it makes up.
TEST_DATA_COMMAND = re.compile(r"(^|_)(test|fake|dummy|sample|demo)(_|\.py$)")


def _test_data_command(module: SourceModule) -> bool:
    """A Django management command named for test or sample data (``create_test_perf_data``,
    ``generate_fake_users``): run by hand on a development database, like a demo-data loader."""
    return is_management_command(module.path) and bool(TEST_DATA_COMMAND.search(module.path.rsplit("/", 1)[-1]))


DAEMON_STARTS = {"start", "serve_forever", "run_forever", "run_app"}


def _starts_daemon(module: SourceModule) -> bool:
    """A runnable file whose ``__main__`` block starts a long-running process (``XMRDaemon().start()``,
    ``server.serve_forever()``, ``loop.run_forever()``, ``web.run_app(app)``): a daemon of the deployment, not a
    script someone runs by hand."""
    return any(isinstance(node, ast.Call) and (method := (dotted(node.func) or "").rsplit(".", 1)[-1]) in DAEMON_STARTS
               and method and in_main_block(module, node) for node in walk_nodes(module.tree))


def _parsed_request_time(module: SourceModule, call: ast.Call, project: Project) -> Iterator[Finding]:
    """``datetime.fromisoformat(data["start"])`` of a request's input in a code base that keeps aware datetimes
    (Django without ``USE_TZ = False``, ``DateTime(timezone=True)`` columns): naive unless the client sends an
    offset, then compared with or stored beside aware values (raises, or read in the server's zone)."""
    if qualified(module, call.func) != f"{DATETIME_CLASS}.fromisoformat" or len(call.args) != 1 or call.keywords:
        return
    if not _request_input(module, call.args[0]) or not _keeps_aware_datetimes(project):
        return
    if _each_use(module, call, lambda node: _made_aware_at_once(module, node)) or _made_aware_when_rebound(module, call) \
            or _only_read_as_date(module, call):
        return
    yield Finding(
        message="datetime.fromisoformat() of the request's input is naive unless the client sends an offset: "
                "compared with or stored beside the code base's aware datetimes it raises TypeError or is read "
                "in the server's zone",
        path=module.path, line=call.lineno, end_line=call.end_lineno, evidence=module.evidence(call),
        fix="require an offset (reject a naive value) or attach the event's/user's zone: "
            "value if value.tzinfo else value.replace(tzinfo=zone)",
        extra={"kind": "keep"})


NAIVE_FORMAT = re.compile(r"%[zZ]")  # a strptime format that reads an offset or a zone name


def _naive_parse_meeting_aware(module: SourceModule, call: ast.Call, project: Project) -> Iterator[Finding]:
    """``datetime.strptime(text, "%Y-%m-%d")`` (no ``%z``) and ``datetime.combine(day, time.max)`` (no
    ``tzinfo``) build naive datetimes; reported where one, also through a name or a function returning it, is
    compared with or subtracted from an aware value (``timezone.now()``, ``datetime.now(timezone.utc)``: raises
    TypeError) or, in a Django code base with time zones on, given to a ``DateTimeField`` (a lookup,
    ``created__lte=end``, a model keyword or attribute: read in the current zone, with a RuntimeWarning)."""
    function = _naive_parse(module, call)
    if function is None or _made_aware_at_once(module, call):
        return
    for user_module, use in _value_uses(module, call, project):
        meets = _meets_aware(user_module, use, project)
        if meets is not None:
            yield Finding(
                message=f"datetime.{function}() builds a naive datetime that is {meets}",
                path=module.path, line=call.lineno, end_line=call.end_lineno, evidence=module.evidence(call),
                fix="attach the zone the text or the day is meant in: make_aware(value) (Django's current zone) "
                    "or value.replace(tzinfo=zone) / datetime.combine(day, time, tzinfo=zone)",
                extra={"kind": "keep"})
            return


def _naive_parse(module: SourceModule, call: ast.Call) -> str | None:
    """``strptime`` for ``datetime.strptime(text, "%Y-%m-%d %H:%M")`` whose format has no ``%z``/``%Z`` nor a
    literal UTC, ``combine`` for ``datetime.combine(day, time.max)`` whose time has no zone (``time.min``,
    ``time(9, 30)``, ``moment.time()``) and which is given no ``tzinfo``; None for anything else."""
    name = qualified(module, call.func)
    if name == f"{DATETIME_CLASS}.strptime" and len(call.args) == 2 and not call.keywords:
        fmt = string_value(call.args[1])
        return "strptime" if fmt and not NAIVE_FORMAT.search(fmt) and not UTC_FORMAT.search(fmt) else None
    if name == f"{DATETIME_CLASS}.combine" and len(call.args) == 2 and not call.keywords:
        return "combine" if _naive_time(module, call.args[1]) else None
    return None


def _naive_time(module: SourceModule, node: ast.expr) -> bool:
    """``time.min``, ``time.max``, ``datetime.max.time()``, ``moment.time()`` (``.time()`` drops the zone),
    ``time(9, 30)`` without a ``tzinfo``."""
    if isinstance(node, ast.Attribute) and node.attr in ("min", "max"):
        return qualified(module, node.value) == "datetime.time"
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr == "time" and not node.args:
        return True
    return qualified(module, node.func) == "datetime.time" and keyword(node, "tzinfo") is None and len(node.args) < 5


def _value_uses(module: SourceModule, node: ast.expr, project: Project, depth: int = 0
                ) -> Iterator[tuple[SourceModule, ast.expr]]:
    """Where a value goes: the expression itself (also ``± timedelta``), the reads of a name it is bound to, and
    the calls of a function that returns it (one level)."""
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        for read in _reads_of(module, parent, parent.targets[0].id):
            yield module, _through_arithmetic(module, read)
    elif isinstance(parent, ast.Return) and depth == 0:
        function = enclosing_function(module, parent)
        for caller_module, caller in _calls_of(project, function.name) if function is not None else []:
            yield from _value_uses(caller_module, caller, project, depth + 1)
    else:
        yield module, node


def _meets_aware(module: SourceModule, node: ast.expr, project: Project) -> str | None:
    """What aware value ``node`` meets: an operand of a comparison or difference with an aware datetime, or, in a
    Django code base with time zones on, a value given to a ``DateTimeField`` (``created__lte=end``,
    ``{"chat.created__lte": end}``, ``Event(start=start)``, ``event.start = start``); None otherwise."""
    parent = module.parents.get(node)
    if isinstance(parent, ast.Compare) or isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Sub):
        operands = [parent.left, *parent.comparators] if isinstance(parent, ast.Compare) else [parent.left, parent.right]
        if any(operand is not node and _aware_value(module, operand) for operand in operands):
            return "compared with an aware datetime: that raises TypeError (can't compare offset-naive and " \
                   "offset-aware datetimes)"
        return None
    field = None
    if isinstance(parent, ast.keyword) and parent.arg and ("__" in parent.arg or _model_call(module.parents.get(parent), project)):
        field = parent.arg
    elif isinstance(parent, ast.Dict) and node in parent.values:
        key = string_value(parent.keys[parent.values.index(node)])
        field = key if key and "__" in key else None
    elif isinstance(parent, ast.Assign) and parent.targets and isinstance(parent.targets[0], ast.Attribute) \
            and not is_self_attribute(parent.targets[0]):
        field = parent.targets[0].attr
    if field and _django_with_time_zones(project) and _datetime_field(field, project):
        return f"given to the DateTimeField {field!r} while USE_TZ is on: Django reads it in the current time " \
               "zone and warns (RuntimeWarning: received a naive datetime)"
    return None


MODEL_WRITES = {"create", "update", "get_or_create", "update_or_create"}


def _model_call(call: ast.AST | None, project: Project) -> bool:
    """``Event(...)``, ``Event.objects.create(...)``, ``queryset.update(...)``: keywords that are model fields."""
    if not isinstance(call, ast.Call):
        return False
    called = (dotted(call.func) or "").rsplit(".", 1)[-1]
    return called in MODEL_WRITES or called in _model_field_kinds(project)


def _django_with_time_zones(project: Project) -> bool:
    """A Django code base whose settings do not turn time zones off."""
    return project.imports_anywhere("django") and _keeps_aware_datetimes(project)


def _datetime_field(lookup: str, project: Project) -> bool:
    """Whether ``created__lte`` / ``chat.created`` / ``created`` names a ``DateTimeField`` of the code base's
    models (and no ``DateField`` of that name: the name alone decides)."""
    name = lookup.rsplit(".", 1)[-1].split("__", 1)[0]
    kinds = {fields[name] for fields in _model_field_kinds(project).values() if name in fields}
    return kinds == {"datetime"}


def _aware_value(module: SourceModule, node: ast.expr) -> bool:
    """``timezone.now()`` (Django), ``datetime.now(timezone.utc)``, ``fromtimestamp(ts, tz=...)``, also moved by a
    span or through a name bound once to one."""
    node = _moved_reading(node)
    if isinstance(node, ast.Name):
        node = _moved_reading(_single_binding(module, node) or node)
    if not isinstance(node, ast.Call):
        return False
    if call_name(module, node) == "django.utils.timezone.now":
        return True
    function = _datetime_function(module, node.func)
    if function not in TZ_POSITION:
        return False
    tz = keyword(node, "tz")
    if tz is None and len(node.args) > TZ_POSITION[function]:
        tz = node.args[TZ_POSITION[function]]
    return tz is not None and not is_none(tz)


def _request_input(module: SourceModule, node: ast.expr, depth: int = 0) -> bool:
    """An expression read from the request (``request.GET["since"]``), also through a local bound once to it
    (``data = json.loads(request.body)`` ... ``data["start"]``)."""
    for sub in walk_nodes(node):
        if isinstance(sub, ast.Name) and sub.id == "request":
            return True
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and depth < 2:
            value = _single_binding(module, sub)
            if value is not None and value is not node and _request_input(module, value, depth + 1):
                return True
    return False


def _keeps_aware_datetimes(project: Project) -> bool:
    """A Django code base whose settings do not set ``USE_TZ = False``, or one with ``DateTime(timezone=True)``
    columns."""
    if "naive_datetime.aware" not in project.facts:
        django = project.imports_anywhere("django") and not any(
            is_django_settings(m, project) and re.search(r"^USE_TZ\s*=\s*False", m.text, re.MULTILINE)
            for m in project.modules)
        project.facts["naive_datetime.aware"] = django or any(
            "timezone=True" in m.text for m in project.modules if not is_test_module(m))
    return project.facts["naive_datetime.aware"]


def _maps_foreign_schema(module: SourceModule, project: Project) -> bool:
    """A module whose declarative base (``Base = declarative_base()``) the code base never creates, while it
    creates its other bases with ``metadata.create_all()`` and has no migrations: its models map the tables of
    a database another program owns (a desktop application's library file), whose column types are not the
    code base's to change."""
    bases = [node.targets[0].id for node in module.tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
             and (call_name(module, node.value) or "").endswith("declarative_base")]
    created = _created_bases(project)
    if len(bases) != 1 or not created or project.imports_anywhere("alembic") \
            or any("/migrations/" in f"/{m.path}" for m in project.modules):
        return False
    return f"{module.dotted_name}.{bases[0]}" not in created


def _created_bases(project: Project) -> set[str]:
    """The qualified names of the declarative bases the code base creates: ``Base.metadata.create_all(engine)``."""
    if "sqlalchemy.created_bases" not in project.facts:
        created: set[str] = set()
        for module in project.modules:
            if "create_all" not in module.text:
                continue
            for node in walk_nodes(module.tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "create_all" \
                        and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "metadata":
                    name = qualified(module, node.func.value.value) or ""
                    created.add(name if "." in name else f"{module.dotted_name}.{name}")
        project.facts["sqlalchemy.created_bases"] = created
    return project.facts["sqlalchemy.created_bases"]


# Names of calendar days, not moments: a birthday or a due date is kept at midnight, with no zone to lose.
CALENDAR_DATE_WORDS = {"birthday", "birthdate", "dob", "birth", "anniversary"}
WORDS = re.compile(r"[a-z]+|[A-Z][a-z]*")


# With "date": a due day, the first or last day a report or a policy covers.
DAY_OF_DATE_WORDS = {"due", "coverage"}


def _calendar_date_name(name: str | None) -> bool:
    """``birthday``, ``date_of_birth``, ``due_date``, ``coverage_start_date``: a day of the calendar stored
    in a DateTime column."""
    words = [w.lower() for w in WORDS.findall(name or "")]
    return bool(CALENDAR_DATE_WORDS.intersection(words)) or "date" in words and bool(DAY_OF_DATE_WORDS.intersection(words))


def _column_name(module: SourceModule, node: ast.AST) -> str | None:
    """The attribute a column is assigned to (``birthday = Column(DateTime)``) or the name it is given
    (``Column("due_date", DateTime)``)."""
    if isinstance(node, ast.Call) and node.args and string_value(node.args[0]):
        return string_value(node.args[0])
    statement = node if isinstance(node, ast.AnnAssign) else module.parents.get(node)
    targets = statement.targets if isinstance(statement, ast.Assign) else \
        [statement.target] if isinstance(statement, ast.AnnAssign) else []
    return next((t.id for t in targets if isinstance(t, ast.Name)), None)


def _datetime_function(module: SourceModule, node: ast.expr) -> str | None:
    """``now`` for ``datetime.now`` / ``dt.datetime.now`` / ``datetime.datetime.now``."""
    name = qualified(module, node)
    if name is None:
        return None
    owner, _, function = name.rpartition(".")
    if owner == DATETIME_CLASS and (function in ALWAYS_NAIVE or function in TZ_POSITION):
        return function
    return None


def _naive_call(module: SourceModule, call: ast.Call, project: Project) -> Iterator[Finding]:
    function = _datetime_function(module, call.func)
    if function is None or _datetimez_waiver(module, call) or isinstance(module.parents.get(call), ast.Expr):
        return  # a statement of its own: the value is thrown away (``fromtimestamp(n)`` checking n is a timestamp)
    if function in TZ_POSITION:
        position = TZ_POSITION[function]
        tz = keyword(call, "tz")
        if tz is None and len(call.args) > position:
            tz = call.args[position]
        if tz is not None and not is_none(tz):
            return
        if any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            return
        if function == "fromtimestamp" and _epoch_itself(call):
            return  # the 1970 epoch as an "all time" lower bound: no offset moves a bound before every value
        labels = "UTC" if _labelled_utc(module, call) else "another" if _labelled_with_other_zone(module, call) else None
        if labels is not None:
            utc = labels == "UTC"
            yield Finding(
                message=f"datetime.{function}() reads the host's local wall clock and .replace(tzinfo=...) labels "
                        + ("it UTC: right only while the process runs in UTC (Django sets its zone from TIME_ZONE), "
                           "off by the host's offset anywhere else" if utc else
                           "it with another value's zone: replace() does not convert, so the time is off by the "
                           "difference between the host's zone and that one"),
                path=module.path, line=call.lineno, end_line=call.end_lineno, evidence=module.evidence(call),
                fix=FIX_CALL + " (django.utils.timezone.now() in Django)" if utc
                else "read the time in that zone: datetime.now(other.tzinfo)",
                extra={"kind": LABELLED_UTC if utc else "keep"})
            return
        if _each_use(module, call, lambda node: _formatted_as_utc(module, node)):
            yield Finding(
                message=f"datetime.{function}() reads the host's local wall clock and its format labels it UTC: "
                        "off by the host's offset anywhere but in UTC",
                path=module.path, line=call.lineno, end_line=call.end_lineno, evidence=module.evidence(call),
                fix=FIX_CALL, extra={"kind": "local"})
            return
        if _each_use(module, call, lambda node: _formatted_with_offset(module, node)):
            yield _offset_of_naive(module, call, function)
            return
        if _each_use(module, call, lambda node: _made_aware_at_once(module, node)) \
                or _made_aware_when_rebound(module, call) or _against_same_clock(module, call, project) \
                or _only_read_as_epoch(module, call) or _rendered_as_text(module, call, project) \
                or _name_only_read_as_epoch(module, call, project) or _given_to_date_field(module, call, project) \
                or _text_parameter(module, call, project) or (function == "now" and _acme_deadline(module, call, project)) \
                or (function == "now" and _apscheduler_run_time(module, call, project)) \
                or _only_read_as_date(module, call) or _day_granular(module, call, project) \
                or _zip_entry_time(module, call):
            return
        message = f"datetime.{function}() without a time zone returns a naive datetime"
    else:
        if _each_use(module, call, lambda node: _formatted_with_offset(module, node)):
            yield _offset_of_naive(module, call, function)
            return
        if _made_aware_at_once(module, call) or _made_aware_when_rebound(module, call) \
                or (function == "today" and _only_read_as_epoch(module, call)) \
                or _read_as_utc(module, call, function, project) or _against_same_clock(module, call, project) \
                or _rendered_as_text(module, call, project) or _given_to_date_field(module, call, project) \
                or _only_read_as_date(module, call, utc=function.startswith("utc")) or (function.startswith("utc") and (
                    _jwt_claim(module, call) or _scheduled_time(module, call, project))):
            return
        message = f"datetime.{function}() returns a naive datetime"
    kind = "utc" if function.startswith("utc") else "local"
    if kind == "utc" and _turned_into_epoch(module, call):
        kind = "keep"
        message += ", and .timestamp() reads a naive value as the host's local time: the epoch is off by its UTC offset"
    yield Finding(message=message, path=module.path, line=call.lineno, end_line=call.end_lineno,
                  evidence=module.evidence(call), fix=FIX_CALL, extra={"kind": kind, "utc_epoch": kind == "keep",
                                                                      "shifted_by_hours": _shifted_by_hours(module, call)})


def _shifted_by_hours(module: SourceModule, call: ast.Call) -> bool:
    """``datetime.now() + timedelta(hours=-8)``: a zone conversion made by hand, right on one host only."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub)) and parent.left is call \
        and isinstance(parent.right, ast.Call) and _is_span(module, parent.right) \
        and keyword(parent.right, "hours") is not None


def _zip_entry_time(module: SourceModule, call: ast.Call) -> bool:
    """The modification time of a ZIP member, which the format keeps as local wall-clock time without a zone:
    the time of a member tuple of stream_zip (``(name, datetime.now(), 0o644, ZIP_32, chunks)``)."""
    parent = module.parents.get(call)
    return isinstance(parent, ast.Tuple) and any(
        (qualified(module, e.func if isinstance(e, ast.Call) else e) or "").startswith("stream_zip.")
        for e in parent.elts if e is not call)


def _offset_of_naive(module: SourceModule, call: ast.Call, function: str) -> Finding:
    return Finding(
        message=f"datetime.{function}() returns a naive datetime and its strftime() format asks for its offset "
                "(%z): a naive value writes none, so the text carries no zone",
        path=module.path, line=call.lineno, end_line=call.end_lineno, evidence=module.evidence(call),
        fix=FIX_CALL, extra={"kind": "keep"})  # wrong whatever the code base keeps


CLOCK_DEPTH = 8  # names bound to names bound to readings: deeper is a cycle (x = x or now())


def _clock_of(module: SourceModule, node: ast.expr, project: Project, depth: int = 0) -> str | None:
    """``"local"`` for a local naive reading (``now()``, ``today()``, ``fromtimestamp(ts)`` without a zone),
    ``"utc"`` for a naive UTC one (``utcnow()``, ``utcfromtimestamp(ts)``, an HTTP date parsed with a literal
    ``GMT``, the naive UTC times of rq before 2.0), also moved by a ``timedelta`` or through a name bound once
    to one, or bound only to readings of that clock (``start = datetime.now()`` timing two steps, a
    throttle's ``next_save = datetime.now() + timedelta(seconds=5)`` set again in its loop); None for
    anything else (also for a name bound through itself, ``end = end or datetime.now()``, past a few steps)."""
    if depth > CLOCK_DEPTH:
        return None
    node = _moved_reading(node)  # fromtimestamp(issued) + timedelta(days=ttl)
    if isinstance(node, ast.Name):
        values = _bindings(module, node)
        if len(values) == 1:
            value = values[0]
            return None if value is None or isinstance(value, ast.Name) else _clock_of(module, value, project, depth + 1)
        if not values and _module_state_read(module, node) is not None:
            return _module_state_clock(module, node.id, project)  # a global set elsewhere in the module
        clocks = {None if value is None or isinstance(_moved_reading(value), ast.Name)
                  else _clock_of(module, value, project, depth + 1) for value in values}
        return clocks.pop() if len(clocks) == 1 else None
    if is_self_attribute(node):
        return _attribute_clock(module, node, project)
    state = _module_state_read(module, node)  # last_seen.get(key), last_seen[key]
    if state is not None:
        return _module_state_clock(module, state, project)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):  # self.ended or datetime.now()
        clocks = {_clock_of(module, value, project, depth + 1) for value in node.values}
        return clocks.pop() if len(clocks) == 1 else None
    if isinstance(node, ast.Attribute) and node.attr in RQ_NAIVE_UTC_ATTRIBUTES:
        return "utc" if module.imports_module("rq") and _rq_naive_utc(project) else None
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) \
            and node.value.id not in module.imports:
        return _project_attribute_clock(project, node.attr)  # token.expiration, Token.expiration
    if not isinstance(node, ast.Call):
        return None
    if qualified(module, node.func) == f"{DATETIME_CLASS}.strptime" and len(node.args) == 2 \
            and UTC_FORMAT.search(string_value(node.args[1]) or ""):
        return "utc"  # strptime(value, "%a, %d %b %Y %H:%M:%S GMT")
    function = _datetime_function(module, node.func)
    if function is None or node.keywords or len(node.args) > TZ_POSITION.get(function, 9):
        return None  # a zone given
    return "utc" if function.startswith("utc") else "local"


UTC_FORMAT = re.compile(r"(?<!%)\b(GMT|UTC)\b|(?<!%)Z$")  # a literal zone in a strptime format


# a zone written literally into a strftime format (``%Z`` is the value's own zone, empty for a naive one)
LITERAL_UTC = re.compile(r"[+-]00:?00|(?<!%)(?<![A-Za-z])(UTC|GMT)\b|(?<!%)Z$")


def _formatted_as_utc(module: SourceModule, node: ast.expr) -> bool:
    """``datetime.now().strftime("%Y-%m-%dT%H:%M:%S+00:00")``: a local reading written out as UTC."""
    return bool(LITERAL_UTC.search(_strftime_format(module, node)))


def _formatted_with_offset(module: SourceModule, node: ast.expr) -> bool:
    """``datetime.now().strftime("%Y-%m-%d %H:%M:%S %z")``: the format asks for the numeric offset, for a program
    to read, which a naive value writes as an empty string (a zone name, ``%Z``, is for people to read)."""
    return "%z" in _strftime_format(module, node).replace("%%", "")


def _strftime_format(module: SourceModule, node: ast.expr) -> str:
    """The literal format of ``node.strftime(fmt)`` (also ``± timedelta``), else an empty string."""
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    outer = module.parents.get(parent)
    if isinstance(parent, ast.Attribute) and parent.attr == "strftime" and isinstance(outer, ast.Call) and outer.args:
        return string_value(outer.args[0]) or ""
    return ""


def _moved_reading(node: ast.expr) -> ast.expr:
    """The reading a sum or difference or a truncation starts from: ``now() + timedelta(hours=1)`` -> ``now()``,
    ``now().replace(minute=0)`` -> ``now()``."""
    while True:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            node = node.left
        elif isinstance(node, ast.Call) and _truncation(node):
            node = node.func.value
        else:
            return node


def _truncation(call: ast.AST) -> bool:
    """``reading.replace(hour=0, minute=0)``: fields set without a zone, still a naive reading of the same clock."""
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "replace" \
        and not call.args and bool(call.keywords) and all(kw.arg in TIME_FIELDS for kw in call.keywords)


TIME_FIELDS = {"year", "month", "day", "hour", "minute", "second", "microsecond"}


def _through_truncation(module: SourceModule, node: ast.expr) -> ast.expr:
    """``node.replace(minute=0, second=0)`` when ``node`` is truncated so, else ``node``."""
    parent = module.parents.get(node)
    while isinstance(parent, ast.Attribute) and parent.value is node and _truncation(module.parents.get(parent)):
        node = module.parents.get(parent)
        parent = module.parents.get(node)
    return node


def _bindings(module: SourceModule, name: ast.Name) -> list[ast.expr | None]:
    """The values assigned to ``name`` in its function, None for a binding of another kind (a loop target,
    an unpacking, an augmented assignment); none outside a function."""
    scope = module.parents.get(name)
    while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = module.parents.get(scope)
    if scope is None:
        return []
    statements = [module.parents.get(n) for n in walk_nodes(scope)
                  if isinstance(n, ast.Name) and n.id == name.id and isinstance(n.ctx, ast.Store)]
    return [st.value if isinstance(st, ast.Assign) and len(st.targets) == 1 else None for st in statements]


def _single_binding(module: SourceModule, name: ast.Name) -> ast.expr | None:
    """The value of the one assignment to ``name`` in its function (None when it is bound otherwise or more)."""
    values = _bindings(module, name)
    return values[0] if len(values) == 1 else None


def _against_same_clock(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A naive reading only subtracted from or compared with another reading of the same clock, directly or
    through a name: ``datetime.now() - datetime.fromtimestamp(started)``, ``datetime.fromtimestamp(exp) <
    datetime.now()``, ``reset = datetime.utcfromtimestamp(ts)`` ... ``reset - datetime.utcnow()``,
    ``datetime.utcnow() - worker.last_heartbeat`` (rq before 2.0 keeps naive UTC): both sides are the host's
    wall clock (or both UTC), so the difference is right; neither value is kept. So is a reading that only
    meets a datetime built from fields without a zone (``datetime(*parts) - datetime.now()``)."""
    clock = _clock_of(module, call, project)
    if clock is None:
        return False
    node, parent = _moved_by_spans(module, call)  # now() + timedelta(...), now() - timedelta(...)
    if _kept_in_module_state(module, parent, clock, project):
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return _reads_on_clock(module, _reads_of(module, parent, parent.targets[0].id), clock, project)
    return _compared_on_clock(module, node, clock, project)


def _moved_by_spans(module: SourceModule, node: ast.expr) -> tuple[ast.expr, ast.AST | None]:
    """``node`` with the spans added to it or taken from it (``now() + ttl``, ``now() - timedelta(hours=1)``):
    still a reading of the same clock, and what holds that."""
    node = _through_truncation(module, node)
    parent = module.parents.get(node)
    while isinstance(parent, ast.BinOp) and (isinstance(parent.op, ast.Add) or isinstance(parent.op, ast.Sub)
                                             and parent.left is node and _is_span(module, parent.right)):
        node = _through_truncation(module, parent)
        parent = module.parents.get(node)
    return node, parent


SPAN_CLASSES = {"timedelta", "relativedelta"}


def _is_span(module: SourceModule, node: ast.expr) -> bool:
    """``timedelta(hours=1)``, ``relativedelta(months=1)``, or a name bound once to one."""
    if isinstance(node, ast.Name):
        node = _single_binding(module, node)
    return isinstance(node, ast.Call) and (call_name(module, node) or dotted(node.func) or "").rsplit(".", 1)[-1] \
        in SPAN_CLASSES


def _attribute_uses(module: SourceModule, attribute: ast.Attribute) -> tuple[list[ast.expr | None], list[ast.Attribute]]:
    """The values stored into ``self.<attr>`` by the methods of its class, and its reads there."""
    cls = next((a for a in ancestors(module, attribute) if isinstance(a, ast.ClassDef)), None)
    stored: list[ast.expr | None] = []
    reads: list[ast.Attribute] = []
    for node in walk_nodes(cls) if cls is not None else ():
        if not (is_self_attribute(node) and node.attr == attribute.attr):
            continue
        if isinstance(node.ctx, ast.Load):
            reads.append(node)
            continue
        statement = module.parents.get(node)
        if isinstance(statement, ast.Assign) and statement.targets == [node] \
                or isinstance(statement, ast.AnnAssign) and statement.value is not None:
            stored.append(statement.value)
        else:
            stored.append(None)  # unpacked, augmented or deleted: something else
    return stored, reads


def _attribute_clock(module: SourceModule, attribute: ast.Attribute, project: Project) -> str | None:
    """The clock of an instance attribute that its class only ever sets to ``None`` or to readings of one clock
    (``self.last_sync = datetime.now()``, through a name bound once): a value kept in memory, never stored."""
    stored, _ = _attribute_uses(module, attribute)
    clocks = {None if value is None or is_self_attribute(value) else _clock_of(module, value, project)
              for value in stored if not is_none(value)}
    return clocks.pop() if len(clocks) == 1 else None


def _kept_on_same_clock(module: SourceModule, statement: ast.AST, clock: str, project: Project) -> bool:
    """``self.last_sync = now`` where the class keeps ``last_sync`` on ``clock`` alone and only tests it
    (``if not self.last_sync``) or subtracts and compares it with readings of that clock."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and is_self_attribute(statement.targets[0])):
        return False
    attribute = statement.targets[0]
    if _attribute_clock(module, attribute, project) != clock:
        return False
    _, reads = _attribute_uses(module, attribute)
    if not reads and _project_attribute_clock(project, attribute.attr) == clock:
        # a mapped column its class sets and other modules read: self.expiration = now() + ttl in the model,
        # datetime.now() > token.expiration in the views
        places = _attribute_reads(project, attribute.attr)
        return bool(places) and all(_only_tested(m, n) or _compared_on_clock(m, n, clock, project) for m, n in places)
    return _reads_on_clock(module, reads, clock, project)


def _project_attribute_clock(project: Project, attr: str) -> str | None:
    """The clock of an attribute that the service code only ever sets to ``None`` or readings of one clock, on
    any object (``self.expiration = datetime.now() + ttl``, ``token.expiration = ...``, ``Token(expiration=...)``),
    and that is no column filled by a default; None otherwise."""
    cache = project.facts.setdefault("naive_datetime.attribute_clocks", {})
    if attr in cache:
        return cache[attr]
    cache[attr] = None  # (a value read from the attribute itself)
    clocks: set[str | None] = set()
    stores = 0
    for module in project.modules:
        if is_test_module(module) or attr not in module.text:
            continue
        for node in walk_nodes(module.tree):
            values: list[ast.expr | None] = []
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == attr:
                        values.append(node.value if not isinstance(node, ast.AugAssign) else None)
                    elif isinstance(target, ast.Name) and target.id == attr and isinstance(node.value, ast.Call) \
                            and any(k.arg in ("default", "server_default", "onupdate") for k in node.value.keywords):
                        values.append(None)  # a column the ORM or the database fills
                    elif isinstance(target, (ast.Tuple, ast.List)) and any(
                            isinstance(e, ast.Attribute) and e.attr == attr for e in target.elts):
                        values.append(None)
            elif isinstance(node, ast.keyword) and node.arg == attr:
                values.append(node.value)
            for value in values:
                stores += 1
                if value is None or not is_none(value):
                    clocks.add(None if value is None else _clock_of(module, value, project))
    result = clocks.pop() if stores and len(clocks) == 1 else None
    cache[attr] = result
    return result


def _attribute_reads(project: Project, attr: str) -> list[tuple[SourceModule, ast.Attribute]]:
    """Every read of ``<anything>.attr`` in the service code."""
    return [(module, node) for module in project.modules if not is_test_module(module) and attr in module.text
            for node in walk_nodes(module.tree)
            if isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.ctx, ast.Load)]


def _only_tested(module: SourceModule, node: ast.expr) -> bool:
    """Read for its truth or against ``None``: ``if not self.x``, ``self.x and ...``, ``self.x is None``."""
    parent = module.parents.get(node)
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not) or isinstance(parent, ast.BoolOp):
        return True
    if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is node:
        return True
    return isinstance(parent, ast.Compare) and len(parent.ops) == 1 and isinstance(parent.ops[0], (ast.Is, ast.IsNot)) \
        and is_none(parent.comparators[0])


def _compared_on_clock(module: SourceModule, node: ast.expr, clock: str, project: Project, depth: int = 0) -> bool:
    """``node`` (also ``± timedelta``, truncated, or the fallback of ``self.end or now()``) is subtracted from or
    compared with readings of ``clock`` (``start < now < end``), or kept in a name whose every read is (``end =
    start + timedelta(hours=2)``), or in an instance attribute that holds only readings of ``clock`` and is only
    compared with them."""
    node, parent = _moved_by_spans(module, node)
    if isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.Or) and all(
            value is node or _clock_of(module, value, project) == clock for value in parent.values):
        node, parent = _moved_by_spans(module, parent)
    if _kept_on_same_clock(module, parent, clock, project) or _kept_in_module_state(module, parent, clock, project):
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name) \
            and depth < 2:
        return _reads_on_clock(module, _reads_of(module, parent, parent.targets[0].id), clock, project, depth + 1)
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Sub):
        others = [parent.right if parent.left is node else parent.left]
    elif isinstance(parent, ast.Compare):
        others = [operand for operand in [parent.left, *parent.comparators] if operand is not node]
    else:
        return False
    return all(_clock_of(module, other, project) == clock or _built_without_zone(module, other) for other in others)


def _reads_on_clock(module: SourceModule, reads: list[ast.expr], clock: str, project: Project, depth: int = 0) -> bool:
    """There are reads, and each is only tested (``if last_sync``) or compared with readings of ``clock``."""
    return bool(reads) and all(_only_tested(module, read) or _compared_on_clock(module, read, clock, project, depth)
                               for read in reads)


EMPTY_CONTAINERS = {"dict", "collections.defaultdict", "collections.OrderedDict"}


def _module_state_read(module: SourceModule, node: ast.expr) -> str | None:
    """The module-level name a read takes its value from: ``last_seen[key]``, ``last_seen.get(key)`` of a
    module-level dict, or a module-level name read in a function that does not bind it (``_locked_at``)."""
    if isinstance(node, ast.Subscript):
        node = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "pop"):
        node = node.func.value
    elif not (isinstance(node, ast.Name) and enclosing_function(module, node) is not None):
        return None
    if not isinstance(node, ast.Name) or node.id not in _module_level_names(module):
        return None
    return node.id


def _module_level_names(module: SourceModule) -> set[str]:
    return {t.id for st in module.tree.body if isinstance(st, (ast.Assign, ast.AnnAssign))
            for t in (st.targets if isinstance(st, ast.Assign) else [st.target]) if isinstance(t, ast.Name)}


def _module_state(module: SourceModule, name: str) -> tuple[list[ast.expr | None], list[ast.expr]] | None:
    """The values a module's functions store into a module-level name (``_locked_at = datetime.now()`` under
    ``global``) or into its items (``last_seen[key] = datetime.now()``), None for a store of another kind,
    and its reads (``last_seen.get(key)``, ``last_seen[key]``, ``_locked_at``); membership tests, ``del``
    and a discarded ``pop(key)`` read no value. None when the module binds the name to anything but an empty
    dict or ``None`` at its top level."""
    stores: list[ast.expr | None] = []
    reads: list[ast.expr] = []
    for node in module.nodes_of(ast.Name):
        if node.id != name:
            continue
        fn = enclosing_function(module, node)
        if fn is not None and not _declares_global(fn, name) and _bindings(module, node):
            continue  # a local of the same name
        parent = module.parents.get(node)
        if isinstance(node.ctx, ast.Store):
            value = parent.value if isinstance(parent, ast.Assign) and parent.targets == [node] \
                or isinstance(parent, ast.AnnAssign) and parent.target is node else None
            if fn is None:
                if not (is_none(value) or _empty_container(module, value)):
                    return None
                continue
            stores.append(value)
        elif isinstance(parent, ast.Subscript) and parent.value is node:
            if isinstance(parent.ctx, ast.Store):
                statement = module.parents.get(parent)
                stores.append(statement.value if isinstance(statement, ast.Assign) and statement.targets == [parent]
                              else None)
            elif isinstance(parent.ctx, ast.Load):
                reads.append(parent)
        elif isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in ("get", "pop"):
            call = module.parents.get(parent)
            if not (parent.attr == "pop" and isinstance(module.parents.get(call), ast.Expr)):
                reads.append(call)
        elif isinstance(parent, ast.Compare) and node is not parent.left \
                and all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops):
            continue  # key in last_seen
        elif not isinstance(node.ctx, ast.Del):
            reads.append(node)  # the name itself: judged like any read
    return stores, reads


def _declares_global(fn: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Global) and name in n.names for n in walk_nodes(fn))


def _empty_container(module: SourceModule, value: ast.expr | None) -> bool:
    """``{}``, ``dict()``, ``defaultdict(...)``."""
    return isinstance(value, ast.Dict) and not value.keys or isinstance(value, ast.Call) \
        and (qualified(module, value.func) or dotted(value.func) or "") in EMPTY_CONTAINERS


def _module_state_clock(module: SourceModule, name: str, project: Project) -> str | None:
    """The clock of module-level state (a throttle's ``last_seen`` dict, a lock's ``_locked_at``) that the module
    only ever sets to ``None`` or readings of that clock; None otherwise."""
    cache = project.facts.setdefault("naive_datetime.module_state_clocks", {})
    key = (module.path, name)
    if key not in cache:
        cache[key] = None  # (a value read from the state itself)
        state = _module_state(module, name)
        stores = state[0] if state is not None else []
        clocks = {None if value is None else _clock_of(module, value, project) for value in stores if not is_none(value)}
        cache[key] = clocks.pop() if len(clocks) == 1 else None
    return cache[key]


def _kept_in_module_state(module: SourceModule, statement: ast.AST, clock: str, project: Project) -> bool:
    """``last_seen[key] = now`` / ``_locked_at = now`` (under ``global``): module state that holds readings of
    ``clock`` alone and is only tested or compared with readings of that clock (``datetime.now() - last_seen[key]
    < window``): kept in the process's memory, never stored, sent or mixed with an aware value."""
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        return False
    target = statement.targets[0]
    root = target.value if isinstance(target, ast.Subscript) else target
    fn = enclosing_function(module, statement)
    if not isinstance(root, ast.Name) or root.id not in _module_level_names(module) or fn is None \
            or root is target and not _declares_global(fn, root.id):
        return False
    if _module_state_clock(module, root.id, project) != clock:
        return False
    _, reads = _module_state(module, root.id)
    return _reads_on_clock(module, reads, clock, project)


def _built_without_zone(module: SourceModule, node: ast.expr) -> bool:
    """``datetime(*fields)`` / ``datetime(2024, 1, 1)`` without a ``tzinfo``, or a day parsed from text
    (``datetime.strptime(key, "%Y-%m-%d")``), also through a name bound once: a naive value by construction, so the reading it meets has to be naive too (an aware one raises)."""
    if isinstance(node, ast.Name):
        node = _single_binding(module, node)
    if isinstance(node, ast.Call) and _naive_parse(module, node) == "strptime" \
            and not TIME_OF_DAY_FORMAT.search(string_value(node.args[1]) or ""):
        return True  # datetime.strptime(key, "%Y-%m-%d"): a day read from text, midnight without a zone
    return isinstance(node, ast.Call) and qualified(module, node.func) == DATETIME_CLASS \
        and all(kw.arg not in (None, "tzinfo") for kw in node.keywords) and len(node.args) < 8


TIME_OF_DAY_FORMAT = re.compile(r"%[HIMSfpXcTRr]")  # a strptime format that reads a time of day


# rq keeps a job's and a worker's times as naive UTC before 2.0 (aware UTC since).
RQ_NAIVE_UTC_ATTRIBUTES = {"last_heartbeat", "enqueued_at", "started_at", "ended_at", "birth_date"}
# ``rq==1.16.1`` (requirements, PEP 621 lists), ``rq = "^1.16"`` (Poetry): the operator and the major version
RQ_VERSION = re.compile(r"""^\s*["']?rq\s*(==|~=|<=|<|=\s*["'][\^~]?)\s*([0-9]+)""", re.MULTILINE)
DEPENDENCY_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "requirements.txt",
                    "requirements/base.txt", "requirements/main.txt", "requirements/prod.txt")
RQ_NAIVE = "T.naive-datetime:rq-naive-utc"


def _rq_naive_utc(project: Project) -> bool:
    """Whether the project pins rq below 2.0 (``rq==1.16.1``, ``rq<2``), whose times are naive UTC."""
    if RQ_NAIVE not in project.facts:
        pinned = []
        for name in DEPENDENCY_FILES:
            path = project.root / name
            if path.is_file():
                text = path.read_text(errors="replace")
                pinned += [(op, int(major)) for op, major in RQ_VERSION.findall(text)]
        project.facts[RQ_NAIVE] = bool(pinned) and all(
            major < 2 or op == "<" and major == 2 for op, major in pinned)
    return project.facts[RQ_NAIVE]


def _turned_into_epoch(module: SourceModule, call: ast.Call) -> bool:
    """``datetime.utcnow().timestamp()`` (also ``± timedelta``)."""
    parent = module.parents.get(_through_arithmetic(module, call))
    return isinstance(parent, ast.Attribute) and parent.attr == "timestamp"


# Turn a datetime into text: the text says what it is (a local wall clock for people, a label).
TEXT_METHODS = {"strftime", "isoformat", "ctime", "__str__", "__format__"}
# ... and into text made only for people to read, wherever it goes afterwards.
HUMAN_TEXT_METHODS = {"strftime", "ctime"}
# Calls that show text to people: a log line, a console line, a prompt.
SHOWING_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log",
                 "print", "echo", "secho", "prompt", "confirm", "flash"}
# Fields that name or describe something for people: a time written there is part of a label.
LABEL_KEYS = {"name", "title", "label", "description", "filename", "file_name", "subject", "comment", "note"}
# Calls that add fields to the log lines that follow (structlog's ``bind``, a request's ``log_context``).
LOG_FIELD_CALLS = {"bind", "bind_contextvars"}
# str methods that cut a piece out of the text (the date part of ``str(now)``).
CUTTING_METHODS = {"split", "rsplit", "partition", "rpartition"}


def _rendered_as_text(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A naive reading that is only turned into text for people, never kept or compared as a
    time: ``datetime.now().strftime(...)``, ``(datetime.now() + timedelta(hours=1)).strftime(...)``
    (an example for a prompt), ``datetime.ctime(datetime.utcnow())`` in a log banner,
    ``f"... {datetime.now()}"``, ``"backup-" + datetime.now().isoformat()``, also through a name
    read only that way, or a function returning the text whose callers all compose it into
    other text (a file name). An ISO string that is returned, stored or sent is still reported:
    its reader cannot tell its zone."""
    return _each_use(module, call, lambda node: _value_as_text(module, node, project)
                     or _text_parameter(module, node, project) or _returned_for_text(module, node, project))


def _returned_for_text(module: SourceModule, node: ast.expr, project: Project) -> bool:
    """``def fetch_git_date(ref): return datetime.fromtimestamp(int(output))`` whose every caller turns the value
    into text, itself or through a function whose parameter is only formatted (``date = fetch_git_date(ref);
    return pep440_version(date, ref)`` with ``date.strftime('%Y%m%d')``): a day written into a version string."""
    parent = module.parents.get(_through_arithmetic(module, node))
    function = enclosing_function(module, parent) if isinstance(parent, ast.Return) else None
    calls = _calls_of(project, function.name) if function is not None else []
    return bool(calls) and all(_each_use(m, c, lambda n, m=m: _value_as_text(m, n, project)
                                         or _text_parameter(m, n, project)) for m, c in calls)


def _each_use(module: SourceModule, call: ast.expr, test) -> bool:
    """Whether the reading (also ``± timedelta``) passes ``test`` or, when it is assigned to a name,
    every read of that name does."""
    parent = module.parents.get(_through_arithmetic(module, call))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        reads = _reads_of(module, parent, parent.targets[0].id)
        return bool(reads) and all(test(n) for n in reads)
    return test(call)


def _value_as_text(module: SourceModule, node: ast.expr, project: Project, depth: int = 0) -> bool:
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    if isinstance(parent, ast.Attribute) and _zone_dropped(module.parents.get(parent)):
        node = module.parents.get(parent)
        parent = module.parents.get(node)
    if isinstance(parent, ast.Assign) and parent.value is node and depth < 2 and _zone_dropped(node) \
            and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        # native = date.replace(tzinfo=None); return native.strftime(fmt): still only text
        reads = _reads_of(module, parent, parent.targets[0].id)
        return bool(reads) and all(_value_as_text(module, read, project, depth + 1) for read in reads)
    text: ast.expr | None = None
    method = None
    if isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in TEXT_METHODS:
        outer = module.parents.get(parent)
        if isinstance(outer, ast.Call) and outer.func is parent:
            text, method = outer, parent.attr
    elif isinstance(parent, ast.Call) and parent.args and parent.args[0] is node:
        name = qualified(module, parent.func) or dotted(parent.func) or ""
        owner, _, last = name.rpartition(".")
        if name == "str" or (owner == DATETIME_CLASS and last in TEXT_METHODS):  # datetime.ctime(now)
            text, method = parent, last if owner else "__str__"
    if text is None:
        return _composed(module, node) or _shown(module, node)  # print(now), log.info("at %s", now)
    if method in HUMAN_TEXT_METHODS:
        return not _written_into_sql(module, text)
    return _text_for_people(module, text, project, follow=True)


def _zone_dropped(node: ast.expr) -> bool:
    """``reading.replace(tzinfo=None)``: a naive reading with no zone to drop, the same value."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace" \
        and not node.args and len(node.keywords) == 1 and node.keywords[0].arg == "tzinfo" \
        and is_none(node.keywords[0].value)


def _through_arithmetic(module: SourceModule, node: ast.expr) -> ast.expr:
    """``now() + timedelta(hours=1)``, ``now().replace(minute=0)``: the sum or truncation is still the reading."""
    node = _through_truncation(module, node)
    parent = module.parents.get(node)
    while isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub)):
        node = _through_truncation(module, parent)
        parent = module.parents.get(node)
    return node


def _composed(module: SourceModule, node: ast.expr) -> bool:
    """The value is written into a larger text: an f-string with other text, ``"..." + text``,
    ``"... %s" % value``, ``"... {}".format(value)``. Not SQL: a time written into a statement
    is stored or compared there."""
    parent = module.parents.get(node)
    if isinstance(parent, ast.FormattedValue):
        joined = module.parents.get(parent)
        return isinstance(joined, ast.JoinedStr) and any(isinstance(v, ast.Constant) for v in joined.values) \
            and not _sql_text(joined)
    if isinstance(parent, ast.Tuple):
        parent = module.parents.get(parent)
    if isinstance(parent, ast.BinOp):
        if isinstance(parent.op, ast.Mod):
            return parent.right is node and string_value(parent.left) is not None and not _sql_text(parent.left)
        if isinstance(parent.op, ast.Add):
            while isinstance(module.parents.get(parent), ast.BinOp) and isinstance(module.parents[parent].op, ast.Add):
                parent = module.parents[parent]
            # some piece of the sum is text: ``name + stamp + ".csv"``
            return _is_text(module, parent) and not _sql_text(parent)
        return False
    if isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Attribute):
        return parent.func.attr == "format" and string_value(parent.func.value) is not None \
            and not _sql_text(parent.func.value)
    return False


def _written_into_sql(module: SourceModule, text: ast.expr) -> bool:
    """``"... WHERE at < '%s'" % now.strftime(...)``: the text is part of a statement."""
    parent = module.parents.get(text)
    for _ in range(4):
        if isinstance(parent, ast.FormattedValue):
            parent = module.parents.get(parent)
        if isinstance(parent, (ast.JoinedStr, ast.BinOp)) and _sql_text(parent):
            return True
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "format" \
                and _sql_text(parent.func.value):
            return True
        if not isinstance(parent, (ast.Tuple, ast.BinOp, ast.JoinedStr)):
            return False
        parent = module.parents.get(parent)
    return False


def _sql_text(node: ast.expr) -> bool:
    """Whether the literal pieces of a text, put together, read as SQL."""
    pieces = [n.value for n in walk_nodes(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return looks_like_sql(" ".join(pieces).strip())


def _is_text(module: SourceModule, node: ast.expr) -> bool:
    """A string literal, an f-string, or a sum of text."""
    if string_value(node) is not None or isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return True  # str(stamp) + name: a sum with a str is text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(module, node.left) or _is_text(module, node.right)
    return False


def _text_for_people(module: SourceModule, text: ast.expr, project: Project, follow: bool) -> bool:
    """Whether the text made from a reading only reaches people: composed into other text, shown
    (a log line, a prompt), cut into pieces, or held in a name or returned by a function that is
    only read that way."""
    if _composed(module, text) or _shown(module, text) or _labels(module, text):
        return True
    parent = module.parents.get(text)
    if isinstance(parent, ast.Attribute) and parent.value is text and parent.attr in CUTTING_METHODS:
        return True
    if not follow:
        return False
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        reads = _reads_of(module, parent, parent.targets[0].id)
        return bool(reads) and all(_text_for_people(module, n, project, follow=False) for n in reads)
    if isinstance(parent, ast.Return):
        function = module.parents.get(parent)
        while function is not None and not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = module.parents.get(function)
        calls = _calls_of(project, function.name) if function is not None else []
        return bool(calls) and all(_text_for_people(m, c, project, follow=False) for m, c in calls)
    return False


def _labels(module: SourceModule, text: ast.expr) -> bool:
    """The text becomes a label for people: ``request.data["name"] = datetime.now().isoformat()``,
    ``Export(title=stamp)``, ``{"filename": stamp}``, ``job.description = stamp``."""
    parent = module.parents.get(text)
    if isinstance(parent, ast.keyword):
        return parent.arg in LABEL_KEYS
    if isinstance(parent, ast.Dict) and text in parent.values:
        return string_value(parent.keys[parent.values.index(text)]) in LABEL_KEYS
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        key = target.attr if isinstance(target, ast.Attribute) else \
            string_value(target.slice) if isinstance(target, ast.Subscript) else None
        return key in LABEL_KEYS
    return False


def _shown(module: SourceModule, node: ast.expr) -> bool:
    """Handed to a call that shows it: ``log.info("at %s", now)``, ``print(now)``, or a field of a log line
    (``request.log_context(time=stamp)``, ``logger.bind(at=stamp)``)."""
    parent = module.parents.get(node)
    if isinstance(parent, ast.Tuple):
        parent = module.parents.get(parent)
    if isinstance(parent, ast.keyword):
        call = module.parents.get(parent)
        callee = (dotted(call.func) or "").rsplit(".", 1)[-1] if isinstance(call, ast.Call) else ""
        return callee in SHOWING_CALLS or callee.startswith("log_") or callee in LOG_FIELD_CALLS
    if not (isinstance(parent, ast.Call) and node in parent.args):
        return False
    return (dotted(parent.func) or "").rsplit(".", 1)[-1] in SHOWING_CALLS


def _reads_of(module: SourceModule, statement: ast.AST, name: str) -> list[ast.Name]:
    """The reads of the name this statement binds, in its function. When the function binds the
    name more than once, in straight-line order (``now = timezone.now()`` ... ``now = datetime.now()``),
    the reads between this binding and the next."""
    scope = statement
    while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        scope = module.parents.get(scope)
    nodes = list(walk_nodes(scope or module.tree))
    reads = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    stores = sorted(n.lineno for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))
    line = getattr(statement, "end_lineno", None) or getattr(statement, "lineno", 0)
    in_loop = any(isinstance(n, (ast.For, ast.AsyncFor, ast.While)) and n.lineno <= line <= (n.end_lineno or 0)
                  for n in nodes)
    if len(stores) < 2 and not in_loop:
        own = set(map(id, walk_nodes(statement)))  # date = fromtimestamp(int(date)): the parameter, read before
        return [n for n in reads if id(n) not in own]
    if len(stores) < 2 or in_loop:
        return reads  # rebound in a loop: every read may see it
    end = min((s for s in stores if s > line), default=None)
    # a read on the line of the next binding (``now = now + delta``) still reads this one
    return [n for n in reads if line < n.lineno and (end is None or n.lineno <= end)]


def _calls_of(project: Project, function: str) -> list[tuple[SourceModule, ast.Call]]:
    """The calls to a function of this name anywhere in the project (``_now()``, ``util._now()``)."""
    if function.startswith("__"):
        return []
    return [(m, n) for m in project.modules if function in m.text and not is_test_module(m)
            for n in walk_nodes(m.tree) if isinstance(n, ast.Call)
            and (dotted(n.func) or "").rsplit(".", 1)[-1] == function]


def _given_to_date_field(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A reading given to a Django ``DateField`` or an SQLAlchemy ``Date`` column, which keep the day
    only: the initial data of a class-based view of that model (``model = Photo`` and ``get_initial``
    returning ``{"taken": datetime.today()}``), or a keyword of the model's constructor or manager
    (``Photo(taken=datetime.now())``, ``Photo.objects.create(taken=...)``, ``Bill(date=datetime.today())``
    with ``date = db.Column(db.Date)``), also a comparing lookup (``Photo.objects.filter(taken__gte=...)``)."""
    parent = module.parents.get(call)
    key = model = None
    if isinstance(parent, ast.Dict) and call in parent.values:
        key = string_value(parent.keys[parent.values.index(call)])
        owner = parent
        while owner is not None and not isinstance(owner, ast.ClassDef):
            owner = module.parents.get(owner)
        if owner is not None:
            model = next((dotted(st.value) for st in owner.body if isinstance(st, ast.Assign)
                          and any(isinstance(t, ast.Name) and t.id == "model" for t in st.targets)), None)
    elif isinstance(parent, ast.keyword) and parent.arg:
        key, receiver = parent.arg, module.parents.get(parent)
        field, _, lookup = key.partition("__")
        if lookup in DATE_LOOKUPS:
            key = field  # Grant.objects.filter(valid_until__gte=datetime.now()): compared as a day
        if isinstance(receiver, ast.Call):
            name = dotted(receiver.func) or ""
            model = name.rsplit(".objects.", 1)[0] if ".objects." in name else name
    if not (key and model):
        return False
    return _model_field_kinds(project).get(model.rsplit(".", 1)[-1], {}).get(key) == "date"


DATE_LOOKUPS = {"gt", "gte", "lt", "lte", "exact"}
DJANGO_FIELD_KINDS = "T.naive-datetime:model-field-kinds"


def _model_field_kinds(project: Project) -> dict[str, dict[str, str]]:
    """Model -> {field: "date" | "datetime"} for its Django ``DateField``/``DateTimeField`` fields and
    its SQLAlchemy ``Date``/``DateTime`` columns (``date = db.Column(db.Date)``)."""
    if DJANGO_FIELD_KINDS not in project.facts:
        kinds: dict[str, dict[str, str]] = {}
        flask_sqlalchemy = project.imports_anywhere("flask_sqlalchemy")
        for module in project.modules:
            if "Date" not in module.text or is_test_module(module) or is_offline_module(module):
                continue
            for cls in walk_nodes(module.tree):
                if not isinstance(cls, ast.ClassDef):
                    continue
                for st in cls.body:
                    if isinstance(st, ast.Assign) and isinstance(st.value, ast.Call) and len(st.targets) == 1 \
                            and isinstance(st.targets[0], ast.Name):
                        field = (dotted(st.value.func) or "").rsplit(".", 1)[-1]
                        if field in ("DateField", "DateTimeField"):
                            kinds.setdefault(cls.name, {})[st.targets[0].id] = "date" if field == "DateField" else "datetime"
                        elif _is_column_call(module, st.value, flask_sqlalchemy):
                            kind = _column_kind(module, st.value, flask_sqlalchemy)
                            if kind:
                                kinds.setdefault(cls.name, {})[st.targets[0].id] = kind
        project.facts[DJANGO_FIELD_KINDS] = kinds
    return project.facts[DJANGO_FIELD_KINDS]


DATE_PARTS = {"year", "month", "day"}
DATE_METHODS = {"date", "weekday", "isoweekday", "isocalendar"}
CLOCK_FIELDS = {"hour", "minute"}


def _only_read_as_date(module: SourceModule, call: ast.Call, utc: bool = False) -> bool:
    """``datetime.now().date()``, ``datetime.now().year`` (also after ``± timedelta`` and through a
    name read only that way): today's date, like ``date.today()``; no time of day is kept. A UTC reading
    (``utcfromtimestamp(ts)``) may also give its ``.hour`` and ``.minute``: the fields of UTC, right as read;
    any reading its hour, minute or ``.time()`` only compared (``22 <= now.hour or now.hour < 7``): a window
    in the host's wall-clock hours, nothing kept."""
    return _each_use(module, call, lambda node: _read_as_date(module, node, utc))


def _read_as_date(module: SourceModule, node: ast.expr, utc: bool = False) -> bool:
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    if not (isinstance(parent, ast.Attribute) and parent.value is node):
        return False
    if parent.attr in (TIME_FIELDS if utc else DATE_PARTS):
        return True
    if parent.attr in CLOCK_FIELDS and _only_compared(module, parent):
        return True  # 22 <= datetime.now().hour: a window in local wall-clock hours
    outer = module.parents.get(parent)
    if not (isinstance(outer, ast.Call) and outer.func is parent):
        return False
    return parent.attr in DATE_METHODS or parent.attr == "time" and _only_compared(module, outer)


def _only_compared(module: SourceModule, node: ast.expr) -> bool:
    """``node`` is compared, or bound to a name every read of which is (``hour = now.hour`` ... ``hour < 7``)."""
    return _each_use(module, node, lambda use: _compared(module, use))


def _day_granular(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A local reading used only at the granularity of days: moved back by a span of whole days into a
    cutoff that is only compared or shown (``datetime.now() - timedelta(days=age)``: entries older than so
    many days), or subtracted with only the days of the difference read (``(datetime.now() -
    sub["date_till"]).days``, ``delta = datetime.now() - expire`` ... ``delta.days``). The host's offset
    moves the answer by hours, which a count of days does not see."""
    if _moved_back_by_days(module, call):
        return _each_use(module, call, lambda node: _compared(module, node) or _value_as_text(module, node, project))
    return _each_use(module, call, lambda node: _difference_in_days(module, node))


DAY_SPANS = {"days", "weeks", "months", "years"}


def _moved_back_by_days(module: SourceModule, call: ast.Call) -> bool:
    parent = module.parents.get(call)
    return isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Sub) and parent.left is call \
        and isinstance(parent.right, ast.Call) and _is_span(module, parent.right) and len(parent.right.args) <= 1 \
        and all(kw.arg in DAY_SPANS for kw in parent.right.keywords) \
        and not isinstance(module.parents.get(parent), ast.BinOp)


def _compared(module: SourceModule, node: ast.expr) -> bool:
    """An operand of a comparison, also of a query's (``Entry.created < cutoff``, ``date_joined__gte=cutoff``)."""
    parent = module.parents.get(_through_arithmetic(module, node))
    return isinstance(parent, ast.Compare) or isinstance(parent, ast.keyword) and bool(parent.arg) \
        and parent.arg.endswith(COMPARING_LOOKUPS)


COMPARING_LOOKUPS = ("__gt", "__gte", "__lt", "__lte")


def _difference_in_days(module: SourceModule, node: ast.expr) -> bool:
    difference = _through_arithmetic(module, node)
    parent = module.parents.get(difference)
    return isinstance(parent, ast.Attribute) and parent.attr == "days" and (
        difference is not node or isinstance(node, ast.Name))


# Registered JWT claims: PyJWT, python-jose and Authlib turn a datetime into POSIX time with
# calendar.timegm(value.utctimetuple()), which reads a naive value as UTC.
JWT_TIME_CLAIMS = {"exp", "iat", "nbf"}


def _jwt_claim(module: SourceModule, call: ast.Call) -> bool:
    """A UTC reading (also ``+ timedelta``, also through a name) written as a token's ``exp``/``iat``/``nbf``
    claim: ``{"exp": datetime.utcnow() + timedelta(minutes=15)}``. The JWT libraries read a naive
    value as UTC, so the claim is right. A local ``datetime.now()`` there is wrong and stays reported."""
    return _each_use(module, call, lambda node: _claim_value(module, node))


def _claim_value(module: SourceModule, node: ast.expr) -> bool:
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    if isinstance(parent, ast.Dict) and node in parent.values:
        return string_value(parent.keys[parent.values.index(node)]) in JWT_TIME_CLAIMS
    if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 \
            and isinstance(parent.targets[0], ast.Subscript):
        return string_value(parent.targets[0].slice) in JWT_TIME_CLAIMS  # payload["exp"] = ...
    return False


def _only_read_as_epoch(module: SourceModule, call: ast.Call) -> bool:
    """``datetime.now().timestamp()`` / ``mktime(datetime.now().timetuple())``: a local
    reading turned into the right POSIX time."""
    # also (now() + timedelta(days=1)).timestamp(), today().replace(day=1).timestamp()
    node = _through_arithmetic(module, _through_truncation(module, call))
    parent = module.parents.get(node)
    if isinstance(parent, ast.Call) and parent.args == [node] and not parent.keywords \
            and qualified(module, parent.func) in (f"{DATETIME_CLASS}.timestamp", f"{DATETIME_CLASS}.timetuple"):
        return True  # the method called through the class: datetime.timestamp(datetime.now())
    return isinstance(parent, ast.Attribute) and parent.attr in ("timestamp", "timetuple") \
        and isinstance(module.parents.get(parent), ast.Call)


def _epoch_itself(call: ast.Call) -> bool:
    """``datetime.fromtimestamp(0)``."""
    return len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and call.args[0].value == 0 \
        and not isinstance(call.args[0].value, bool)


def _name_only_read_as_epoch(module: SourceModule, call: ast.Call, project: Project, depth: int = 0) -> bool:
    """``now = datetime.now()`` read only as ``now.timestamp()``, also by a function of the project
    it is handed to (``thread_index(msg_id, now)`` whose parameter is read only as ``.timestamp()``):
    the right POSIX time (also ``expires = datetime.now() + timedelta(days=7)``, and ``now`` read only
    into ``cutoff = now - timedelta(minutes=m)`` that is read only as ``cutoff.timestamp()``)."""
    parent = module.parents.get(_through_arithmetic(module, call))
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    reads = _reads_of(module, parent, parent.targets[0].id)
    return bool(reads) and all(_only_read_as_epoch(module, n) or _epoch_parameter(module, n, project)
                               or (depth < 2 and _name_only_read_as_epoch(module, n, project, depth + 1)) for n in reads)


def _epoch_parameter(module: SourceModule, node: ast.expr, project: Project) -> bool:
    """The value is handed by position to a function of the project (defined once) whose parameter
    is read only as ``.timestamp()``/``.timetuple()``."""
    return _parameter_read_only(module, node, project, _only_read_as_epoch)


def _text_parameter(module: SourceModule, node: ast.expr, project: Project) -> bool:
    """The reading is handed by position to a function of the project (defined once) whose parameter
    is read only as ``.strftime(...)`` (or tested for its truth first): ``certificate_name(cn, issuer,
    datetime.now(), ...)`` that puts the day into a name."""
    return _parameter_read_only(module, node, project, lambda owner, read: _only_formatted(owner, read)
                                or _only_tested(owner, read), need=_only_formatted)


def _only_formatted(module: SourceModule, node: ast.expr) -> bool:
    parent = module.parents.get(node)
    return isinstance(parent, ast.Attribute) and parent.attr in HUMAN_TEXT_METHODS \
        and isinstance(module.parents.get(parent), ast.Call)


def _parameter_read_only(module: SourceModule, node: ast.expr, project: Project, test, need=None) -> bool:
    """Every read of the parameter passes ``test``, and one at least passes ``need`` when given."""
    call = module.parents.get(node)
    if not (isinstance(call, ast.Call) and node in call.args) or any(isinstance(a, ast.Starred) for a in call.args):
        return False
    name = (dotted(call.func) or "").rsplit(".", 1)[-1]
    definitions = [(m, fn) for m in project.modules if name and f"def {name}(" in m.text and not is_test_module(m)
                   for fn in walk_nodes(m.tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == name]
    if len(definitions) != 1:
        return False
    owner, fn = definitions[0]
    parameters = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if parameters[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
        parameters = parameters[1:]
    index = call.args.index(node)
    if index >= len(parameters):
        return False
    reads = [n for n in walk_nodes(fn) if isinstance(n, ast.Name) and n.id == parameters[index] and isinstance(n.ctx, ast.Load)]
    return bool(reads) and all(test(owner, n) for n in reads) and (need is None or any(need(owner, n) for n in reads))


def _read_as_utc(module: SourceModule, call: ast.Call, function: str, project: Project) -> bool:
    """A naive value handed at once to a reader that takes it as UTC:
    ``freeze_time(datetime.utcfromtimestamp(ts))`` (freezegun reads naive values as UTC), or a
    UTC reading (``utcnow()``, ``utcfromtimestamp()``) handed to a function of the project that
    turns its argument into POSIX time by subtracting the naive epoch, ``dt - datetime(1970, 1, 1)``,
    or to ``calendar.timegm(datetime.utcnow().utctimetuple())``, which reads the fields as UTC,
    or to a function of the project that attaches UTC to its first parameter
    (``make_aware(dt, timezone=utc)``, ``dt.replace(tzinfo=timezone.utc)``)."""
    parent = module.parents.get(call)
    if function.startswith("utc") and isinstance(parent, ast.Attribute) and parent.attr in ("timetuple", "utctimetuple"):
        tuple_call = module.parents.get(parent)
        reader = module.parents.get(tuple_call)
        return isinstance(tuple_call, ast.Call) and isinstance(reader, ast.Call) and tuple_call in reader.args \
            and (call_name(module, reader) or dotted(reader.func) or "").rsplit(".", 1)[-1] == "timegm"
    if not (isinstance(parent, ast.Call) and call in parent.args):
        return False
    callee = (call_name(module, parent) or dotted(parent.func) or "").rsplit(".", 1)[-1]
    if callee == "freeze_time":
        return True
    return function.startswith("utc") and parent.args[0] is call \
        and (callee in _epoch_converters(project) or callee in _utc_attachers(project))


EPOCH_CONVERTERS = "T.naive-datetime:epoch-converters"


def _epoch_converters(project: Project) -> frozenset[str]:
    """Functions of the project that subtract ``datetime(1970, 1, 1)`` from their first parameter."""
    if EPOCH_CONVERTERS not in project.facts:
        found: set[str] = set()
        for module in project.modules:
            if "1970" not in module.text:
                continue
            for fn in walk_nodes(module.tree):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not fn.args.args:
                    continue
                first = fn.args.args[0].arg
                if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and isinstance(n.left, ast.Name)
                       and n.left.id == first and _is_naive_epoch(module, n.right) for n in walk_nodes(fn)):
                    found.add(fn.name)
        project.facts[EPOCH_CONVERTERS] = frozenset(found)
    return project.facts[EPOCH_CONVERTERS]


UTC_ATTACHERS = "T.naive-datetime:utc-attachers"


def _utc_attachers(project: Project) -> frozenset[str]:
    """Functions of the project that attach UTC to their first parameter:
    ``make_aware(dt, timezone=utc)``, ``utc.localize(dt)``, ``dt.replace(tzinfo=timezone.utc)``."""
    if UTC_ATTACHERS not in project.facts:
        found: set[str] = set()
        for module in project.modules:
            if "utc" not in module.text.lower() or is_test_module(module):
                continue
            for fn in walk_nodes(module.tree):
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.args.args \
                        and any(_attaches_utc(n, fn.args.args[0].arg) for n in walk_nodes(fn)):
                    found.add(fn.name)
        project.facts[UTC_ATTACHERS] = frozenset(found)
    return project.facts[UTC_ATTACHERS]


def _attaches_utc(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "replace" and isinstance(func.value, ast.Name) \
            and func.value.id == name:
        return _names_utc(keyword(node, "tzinfo"))
    last = (dotted(func) or "").rsplit(".", 1)[-1]
    if last not in AWARE_MAKERS or not (node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == name):
        return False
    zone = [*node.args[1:], *(kw.value for kw in node.keywords)]
    if last == "localize" and isinstance(func, ast.Attribute):
        zone.append(func.value)  # pytz.utc.localize(dt)
    return any(_names_utc(z) for z in zone)


def _names_utc(node: ast.expr | None) -> bool:
    """``utc``, ``timezone.utc``, ``pytz.UTC``, ``datetime.UTC``."""
    return node is not None and (dotted(node) or "").rsplit(".", 1)[-1].lower() == "utc"


def _is_naive_epoch(module: SourceModule, node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and qualified(module, node.func) == DATETIME_CLASS and not node.keywords \
        and [a.value for a in node.args if isinstance(a, ast.Constant)] == [1970, 1, 1] and len(node.args) == 3


LABELLED_UTC = "labelled-utc"


def _labelled_utc(module: SourceModule, call: ast.Call) -> bool:
    """``datetime.now().replace(tzinfo=pytz.utc)``, ``datetime.fromtimestamp(mtime).replace(tzinfo=timezone.utc)``:
    a local reading given the UTC label."""
    parent = module.parents.get(call)
    outer = module.parents.get(parent)
    return isinstance(parent, ast.Attribute) and parent.attr == "replace" and isinstance(outer, ast.Call) \
        and outer.func is parent and _names_utc(keyword(outer, "tzinfo"))


def _labelled_with_other_zone(module: SourceModule, call: ast.Call) -> bool:
    """``datetime.now().replace(tzinfo=discount.valid_from.tzinfo)``, also through a name bound to that
    zone (``tz = other.tzinfo``, ``.replace(tzinfo=tz or utc)``): the local wall time relabelled as the
    zone of another value, which says nothing of the host's."""
    parent = module.parents.get(call)
    outer = module.parents.get(parent)
    if not (isinstance(parent, ast.Attribute) and parent.attr == "replace" and isinstance(outer, ast.Call)
            and outer.func is parent):
        return False
    tzinfo = keyword(outer, "tzinfo")
    alternatives = tzinfo.values if isinstance(tzinfo, ast.BoolOp) else [tzinfo]
    for node in alternatives:
        bound = _bindings(module, node) if isinstance(node, ast.Name) else [node]
        if any(isinstance(value, ast.Attribute) and value.attr == "tzinfo" for value in bound):
            return True
    return False


def _one_for_labelled_utc(found: list[Finding]) -> list[Finding]:
    """Local readings labelled UTC in several places: one finding naming them, a habit of the code base."""
    labelled = sorted((f for f in found if f.extra.get("kind") == LABELLED_UTC), key=lambda f: (f.path or "", f.line or 0))
    if len(labelled) < 2:
        return found
    first = labelled[0]
    places = [f"{f.path}:{f.line}" for f in labelled]
    collapsed = code_base_finding(first, places, f"{first.message}; so do {len(places) - 1} more readings "
                                  f"({shown_places(places[1:])})", first.fix)
    return [f for f in found if f.extra.get("kind") != LABELLED_UTC] + [collapsed]


def _made_aware_at_once(module: SourceModule, call: ast.Call) -> bool:
    """``datetime.now().astimezone()``, ``.replace(tzinfo=...)``, Django's
    ``make_aware(...)`` or pytz's ``tz.localize(...)`` attach a zone at once (also to a truncation,
    ``datetime.now().replace(minute=0).astimezone(UTC)``)."""
    call = _through_truncation(module, call)
    parent = module.parents.get(call)
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is call \
            and (call_name(module, parent) or "").rsplit(".", 1)[-1] in AWARE_MAKERS:
        return True
    if not (isinstance(parent, ast.Attribute) and parent.value is call):
        return False
    outer = module.parents.get(parent)
    if not isinstance(outer, ast.Call) or outer.func is not parent:
        return False
    if parent.attr == "astimezone":
        return True
    if parent.attr == "replace":
        tzinfo = keyword(outer, "tzinfo")
        return tzinfo is not None and not is_none(tzinfo)
    return False


def _made_aware_when_rebound(module: SourceModule, call: ast.Call) -> bool:
    """``stamp = datetime.utcfromtimestamp(ts)`` and then ``stamp = stamp.replace(tzinfo=utc)``
    (``.astimezone()``, ``make_aware(stamp)``) before any other read of ``stamp``: the naive value
    never leaves the function. The rebinding may sit under ``if <parameter>:`` whose default is
    ``True`` (``dt_from_timestamp(ts, tz_aware=True)``): the default path attaches the zone."""
    parent = module.parents.get(call)
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    reads = _reads_of(module, parent, name)
    if not reads:
        return False
    for read in reads:
        made = _aware_rebinding(module, read, name)
        if made is None or not _on_default_path(module, made):
            return False
    return True


def _aware_rebinding(module: SourceModule, read: ast.Name, name: str) -> ast.Assign | None:
    """The statement ``name = name.replace(tzinfo=...)`` (or ``.astimezone()``, ``make_aware(name)``)
    whose right side is this read of ``name``."""
    call = module.parents.get(read)
    if isinstance(call, ast.Attribute):
        call = module.parents.get(call)
    if not isinstance(call, ast.Call) or not _made_aware_at_once(module, read):
        return None
    statement = module.parents.get(call)
    if isinstance(statement, ast.Assign) and statement.value is call and len(statement.targets) == 1 \
            and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == name:
        return statement
    return None


def _on_default_path(module: SourceModule, statement: ast.stmt) -> bool:
    """The statement runs unconditionally in its function, or only under ``if flag:`` where ``flag``
    is a parameter that defaults to ``True``."""
    node, parent = statement, module.parents.get(statement)
    while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
        if isinstance(parent, ast.If):
            if node not in parent.body or not isinstance(parent.test, ast.Name):
                return False
            flag = parent.test.id
            function = parent
            while function is not None and not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function = module.parents.get(function)
            if function is None or not _defaults_to_true(function, flag):
                return False
        elif not isinstance(parent, (ast.With, ast.AsyncWith)):
            return False  # a loop, a try: the rebinding may not run
        parent = module.parents.get(parent)
    return True


def _defaults_to_true(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    positional = [*function.args.posonlyargs, *function.args.args]
    defaults = dict(zip([a.arg for a in positional][len(positional) - len(function.args.defaults):],
                        function.args.defaults))
    defaults.update((a.arg, d) for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d is not None)
    value = defaults.get(name)
    return isinstance(value, ast.Constant) and value.value is True


# rq-scheduler turns the time a job is scheduled for into POSIX time with
# calendar.timegm(value.utctimetuple()): a naive value is read as UTC (its documented contract).
SCHEDULER_TIME_ARGUMENTS = {"schedule": "scheduled_time", "enqueue_at": "scheduled_time"}


def _scheduled_time(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A UTC reading (also ``+ timedelta``, also through a name) handed to rq-scheduler as the time a
    job runs: ``scheduler.schedule(scheduled_time=datetime.utcnow(), ...)``,
    ``scheduler.enqueue_at(datetime.utcnow() + delta, job)``."""
    if not project.imports_anywhere("rq_scheduler"):
        return False
    return _each_use(module, call, lambda node: _scheduler_argument(module, node))


# The acme client (certbot's ``acme`` package) compares the deadline of its polls with the naive local
# ``datetime.datetime.now()``: its contract is a local naive deadline (an aware one raises TypeError).
ACME_DEADLINE_METHODS = {"poll_authorizations": 1, "finalize_order": 1, "poll_and_finalize": 1}


def _acme_deadline(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A local reading (also ``+ timedelta``, also through a name) handed to the acme client as a deadline:
    ``deadline = datetime.now() + timedelta(seconds=90); client.poll_authorizations(order, deadline)``."""
    if not project.imports_anywhere("acme"):
        return False
    return _each_use(module, call, lambda node: _deadline_argument(module, node))


def _deadline_argument(module: SourceModule, node: ast.expr) -> bool:
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    if isinstance(parent, ast.keyword):
        return parent.arg == "deadline" and isinstance(outer := module.parents.get(parent), ast.Call) \
            and isinstance(outer.func, ast.Attribute) and outer.func.attr in ACME_DEADLINE_METHODS
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
        and parent.func.attr in ACME_DEADLINE_METHODS and node in parent.args \
        and parent.args.index(node) == ACME_DEADLINE_METHODS[parent.func.attr]


# ``# noqa: DTZ005`` (flake8-datetimez, ruff's DTZ rules): the authors silenced this very check on this call.
DATETIMEZ_WAIVER = re.compile(r"#\s*noqa:[\w\s,]*\bDTZ\d{3}\b")


def _datetimez_waiver(module: SourceModule, call: ast.Call) -> bool:
    """A reading the code base marks as deliberately naive for its datetime lint (``datetime.now() - span,
    # noqa: DTZ005 # recurrence must use naive time``); a bare ``# noqa`` or another code does not count."""
    return any(DATETIMEZ_WAIVER.search(module.lines[n - 1])
               for n in range(call.lineno, min(getattr(call, "end_lineno", call.lineno), len(module.lines)) + 1))


# APScheduler reads a naive ``run_date``/``next_run_time`` in the scheduler's zone (the host's local zone
# unless configured): a local ``now()`` handed there means "run now", which is what it is.
APSCHEDULER_TIME_KEYWORDS = {"run_date", "next_run_time"}
APSCHEDULER_METHODS = {"add_job", "modify_job", "reschedule_job", "scheduled_job"}


def _apscheduler_run_time(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """A local reading (also ``+ timedelta``, also through a name) handed to APScheduler as the time a job runs:
    ``scheduler.add_job(job, "date", run_date=datetime.now())``, ``modify_job(id, next_run_time=datetime.now())``."""
    if not project.imports_anywhere("apscheduler"):
        return False

    def run_time(node: ast.expr) -> bool:
        parent = module.parents.get(_through_arithmetic(module, node))
        outer = module.parents.get(parent)
        return isinstance(parent, ast.keyword) and parent.arg in APSCHEDULER_TIME_KEYWORDS \
            and isinstance(outer, ast.Call) and isinstance(outer.func, ast.Attribute) \
            and outer.func.attr in APSCHEDULER_METHODS
    return _each_use(module, call, run_time)


def _scheduler_argument(module: SourceModule, node: ast.expr) -> bool:
    node = _through_arithmetic(module, node)
    parent = module.parents.get(node)
    if isinstance(parent, ast.keyword):
        call, argument = module.parents.get(parent), parent.arg
    elif isinstance(parent, ast.Call) and parent.args and parent.args[0] is node:
        call, argument = parent, "scheduled_time"
    else:
        return False
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return False
    return SCHEDULER_TIME_ARGUMENTS.get(call.func.attr) == argument


def _naive_default(module: SourceModule, call: ast.Call) -> Iterator[Finding]:
    if (call_name(module, call) or "").endswith(DATE_ONLY_FIELDS):
        return  # a date column keeps the day only
    for kw in call.keywords:
        if kw.arg not in DEFAULT_KEYWORDS:
            continue
        function = _datetime_function(module, kw.value)
        if function is None or function == "fromtimestamp":
            continue
        yield Finding(
            message=f"{kw.arg}=datetime.{function} fills the value with a naive datetime",
            path=module.path, line=kw.value.lineno, end_line=kw.value.end_lineno,
            evidence=module.evidence(kw.value),
            fix=f"{kw.arg}=lambda: datetime.now(timezone.utc) (or func.now() on a timestamptz column)",
        )


def _is_column_call(module: SourceModule, call: ast.Call, flask_sqlalchemy: bool) -> bool:
    name = call_name(module, call)
    if name is None:
        return False
    owner, _, last = name.rpartition(".")
    if last not in COLUMN_FACTORIES:
        return False
    if name.startswith(("sqlalchemy.", "sqlmodel.")):
        return True
    return flask_sqlalchemy and bool(owner) and owner not in module.imports


def _naive_column(module: SourceModule, call: ast.Call, flask_sqlalchemy: bool) -> Iterator[Finding]:
    candidates = list(call.args)
    type_keyword = keyword(call, "type_")
    if type_keyword is not None:
        candidates.append(type_keyword)
    for arg in candidates:
        type_node = arg.func if isinstance(arg, ast.Call) else arg
        type_name = _datetime_type(module, type_node, flask_sqlalchemy)
        if type_name is None and (qualified(module, type_node) or "") in ARROW_TYPES and _database_now_default(call):
            type_name = "ArrowType"  # naive too, and filled by the database's clock in its session's zone
        if type_name is None:
            continue
        if isinstance(arg, ast.Call):
            timezone = keyword(arg, "timezone")
            if timezone is None and arg.args:
                timezone = arg.args[0]
            if timezone is not None and not (isinstance(timezone, ast.Constant) and timezone.value is False):
                continue
        filled = ", filled by the database's now() in its session's time zone" if _database_now_default(call) else ""
        yield Finding(
            message=f"{type_name} column without timezone=True is a timestamp without time zone{filled}",
            path=module.path, line=call.lineno, end_line=call.end_lineno,
            evidence=module.evidence(call), fix=FIX_COLUMN,
        )


# sqlalchemy_utils' ArrowType stores a `timestamp without time zone` unless given timezone=True; its values
# written by the code are UTC arrow objects, so only a column filled by the database's now() is judged.
ARROW_TYPES = {"sqlalchemy_utils.ArrowType", "sqlalchemy_utils.types.ArrowType", "sqlalchemy_utils.types.arrow.ArrowType"}


def _database_now_default(call: ast.Call) -> bool:
    """``DefaultClause(func.now())``, ``server_default=func.now()`` / ``text("now()")``."""
    defaults = [a for a in call.args if isinstance(a, ast.Call) and (dotted(a.func) or "").endswith("DefaultClause")]
    defaults += [k.value for k in call.keywords if k.arg == "server_default"]
    return any(DATABASE_NOW.search(ast.unparse(d)) for d in defaults)


SQLALCHEMY_DATE_TYPES = {"sqlalchemy.Date", "sqlalchemy.types.Date", "sqlalchemy.sql.sqltypes.Date", "sqlmodel.Date"}


def _column_kind(module: SourceModule, call: ast.Call, flask_sqlalchemy: bool) -> str | None:
    """``"date"`` for ``Column(Date)`` / ``db.Column(db.Date, ...)`` / ``mapped_column(Date)``, ``"datetime"``
    for a DateTime/TIMESTAMP column, else None."""
    candidates = list(call.args[:2])
    type_keyword = keyword(call, "type_")
    if type_keyword is not None:
        candidates.append(type_keyword)
    for arg in candidates:
        node = arg.func if isinstance(arg, ast.Call) else arg
        if _datetime_type(module, node, flask_sqlalchemy):
            return "datetime"
        name = qualified(module, node) or ""
        owner, _, last = name.rpartition(".")
        if name in SQLALCHEMY_DATE_TYPES or (flask_sqlalchemy and last == "Date" and owner and owner not in module.imports):
            return "date"
    return None


def _typing_only(module: SourceModule, node: ast.AnnAssign) -> bool:
    """A bare ``created: Mapped[datetime]`` in a class mapped from a ``Table`` (``__table__ = Table(...)``,
    ``registry.map_imperatively(Cls, table)``, ``mapper(Cls, table)``): the annotation only types the
    attribute; the column is the Table's, judged there. So is any annotation under ``if TYPE_CHECKING:`` (a
    ``column_property`` defined later, typed for the checker): it never runs."""
    owner = module.parents.get(node)
    if isinstance(owner, ast.If) and (dotted(owner.test) or "").rsplit(".", 1)[-1] == "TYPE_CHECKING":
        return True
    if node.value is not None or not isinstance(owner, ast.ClassDef):
        return False
    if any(isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__table__" for t in st.targets)
           for st in owner.body):
        return True
    mapped = {n.args[0].id for n in walk_nodes(module.tree) if isinstance(n, ast.Call) and n.args
              and isinstance(n.args[0], ast.Name)
              and (dotted(n.func) or "").rsplit(".", 1)[-1] in ("map_imperatively", "mapper")}
    # the class itself, or its subclasses in this file (a generic base typing what they share)
    return owner.name in mapped or any(
        isinstance(c, ast.ClassDef) and c.name in mapped
        and any((dotted(b.value if isinstance(b, ast.Subscript) else b) or "") == owner.name for b in c.bases)
        for c in module.tree.body)


def _datetime_type(module: SourceModule, node: ast.expr, flask_sqlalchemy: bool) -> str | None:
    name = qualified(module, node)
    if name is None:
        return None
    if name in SQLALCHEMY_DATETIME_TYPES:
        return name.rsplit(".", 1)[1]
    owner, _, last = name.rpartition(".")
    if flask_sqlalchemy and last in ("DateTime", "TIMESTAMP") and owner and owner not in module.imports:
        return last
    return None


def _naive_mapped_annotation(module: SourceModule, node: ast.AnnAssign, project: Project) -> Iterator[Finding]:
    """``created: Mapped[datetime] = mapped_column()``: SQLAlchemy picks a naive DateTime; so it does for
    ``Mapped[datetime_now]`` where ``datetime_now = Annotated[datetime, mapped_column(server_default=func.now())]``."""
    annotation = node.annotation
    if not (isinstance(annotation, ast.Subscript)
            and (qualified(module, annotation.value) or "").endswith("Mapped")
            and module.imports_module("sqlalchemy")):
        return
    inner = annotation.slice
    inner_names = {qualified(module, n) for n in walk_nodes(inner) if isinstance(n, (ast.Name, ast.Attribute))}
    aliases = _naive_datetime_aliases(project)
    local_names = {f"{module.dotted_name}.{name}" for name in inner_names if name}
    alias = next((name for name in inner_names | local_names if name in aliases), None)
    if (DATETIME_CLASS not in inner_names and alias is None) or _on_advanced_alchemy_base(module, node):
        return
    value = node.value
    if isinstance(value, ast.Call) and (call_name(module, value) or "").endswith("mapped_column"):
        if value.args or keyword(value, "type_") is not None:
            return  # the type is given explicitly and judged as a column
    elif value is not None:
        return
    message = "Mapped[datetime] without an explicit type maps to DateTime() without time zone"
    if alias is not None:
        message = f"{alias.rsplit('.', 1)[1]} is an Annotated datetime without an explicit type: it maps to " \
                  f"DateTime() without time zone{aliases[alias]}"
    yield Finding(
        message=message,
        path=module.path, line=node.lineno, end_line=node.end_lineno,
        evidence=module.evidence(node), confidence=Confidence.medium,
        fix="mapped_column(DateTime(timezone=True)), or map datetime to DateTime(timezone=True) in "
            "the declarative base's type_annotation_map",
    )


def _sqlmodel_table_fields(module: SourceModule) -> set[ast.AnnAssign]:
    """The annotated fields of SQLModel table classes (``class Order(SQLModel, table=True)``)
    and of the classes of this file they inherit from (``OrderBase``)."""
    classes = {n.name: n for n in module.tree.body if isinstance(n, ast.ClassDef)}
    tables = [c for c in classes.values() if any(
        k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True for k in c.keywords)]
    seen: set[str] = set()
    while tables:
        cls = tables.pop()
        if cls.name in seen:
            continue
        seen.add(cls.name)
        tables.extend(classes[b.id] for b in cls.bases if isinstance(b, ast.Name) and b.id in classes)
    return {st for name in seen for st in classes[name].body if isinstance(st, ast.AnnAssign)}


def _naive_sqlmodel_field(module: SourceModule, node: ast.AnnAssign) -> Iterator[Finding]:
    """``expires_at: datetime = Field(...)`` on a SQLModel table: without ``sa_type`` or
    ``sa_column`` SQLModel maps ``datetime`` to ``DateTime()``, without time zone."""
    inner_names = {qualified(module, n) for n in walk_nodes(node.annotation) if isinstance(n, (ast.Name, ast.Attribute))}
    if DATETIME_CLASS not in inner_names or any((name or "").endswith("Mapped") for name in inner_names):
        return
    value = node.value
    if isinstance(value, ast.Call) and (call_name(module, value) or "").endswith("Field") \
            and (keyword(value, "sa_type") is not None or keyword(value, "sa_column") is not None):
        return
    yield Finding(
        message="SQLModel datetime field without sa_type=DateTime(timezone=True) is a timestamp without time zone",
        path=module.path, line=node.lineno, end_line=node.end_lineno,
        evidence=module.evidence(node), fix="Field(sa_type=DateTime(timezone=True), ...) and store aware UTC values",
    )


def _on_advanced_alchemy_base(module: SourceModule, node: ast.AnnAssign) -> bool:
    """A column of a class built on an advanced-alchemy declarative base (``UUIDAuditBase``...)."""
    owner = module.parents.get(node)
    return isinstance(owner, ast.ClassDef) and any(
        (qualified(module, base) or "").startswith("advanced_alchemy.") for base in owner.bases)


def _has_type_annotation_map(project: Project) -> bool:
    """A declarative base's ``type_annotation_map`` that may map ``datetime``: one that is not a
    dict literal, or a dict literal with a ``datetime`` key (a map of enums only leaves datetime naive)."""
    if "sqlalchemy.type_annotation_map" not in project.facts:
        project.facts["sqlalchemy.type_annotation_map"] = any(
            _maps_datetime(module, value) for module in project.modules if "type_annotation_map" in module.text
            for value in _annotation_map_values(module))
    return project.facts["sqlalchemy.type_annotation_map"]


def _annotation_map_values(module: SourceModule) -> Iterator[ast.expr | None]:
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "type_annotation_map"
                                                for t in node.targets):
            yield node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == "type_annotation_map":
            yield node.value
        elif isinstance(node, ast.keyword) and node.arg == "type_annotation_map":
            yield node.value


def _maps_datetime(module: SourceModule, value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Dict):
        return True
    return any(key is None or qualified(module, key) in (DATETIME_CLASS, "datetime") for key in value.keys)


def _naive_datetime_aliases(project: Project) -> dict[str, str]:
    """Module-level ``Annotated[datetime, mapped_column(...)]`` aliases whose ``mapped_column`` gives no type,
    by qualified name, each with the words its finding adds (a database ``now()`` default)."""
    if "sqlalchemy.naive_datetime_aliases" not in project.facts:
        aliases: dict[str, str] = {}
        for module in project.modules:
            if "Annotated" not in module.text or "mapped_column" not in module.text:
                continue
            for node in module.tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    column = _annotated_datetime_column(module, node.value)
                    if column is not None:
                        database_now = any(isinstance(n, ast.Call) and (dotted(n.func) or "").endswith("now")
                                           for n in walk_nodes(column))
                        aliases[f"{module.dotted_name}.{node.targets[0].id}"] = \
                            ", filled by the database's now() in its session's zone" if database_now else ""
        project.facts["sqlalchemy.naive_datetime_aliases"] = aliases
    return project.facts["sqlalchemy.naive_datetime_aliases"]


def _annotated_datetime_column(module: SourceModule, value: ast.expr) -> ast.Call | None:
    """The untyped ``mapped_column(...)`` of ``Annotated[datetime.datetime, mapped_column(...)]``."""
    if not (isinstance(value, ast.Subscript) and (qualified(module, value.value) or "").endswith("Annotated")
            and isinstance(value.slice, ast.Tuple) and len(value.slice.elts) >= 2
            and qualified(module, value.slice.elts[0]) == DATETIME_CLASS):
        return None
    column = next((e for e in value.slice.elts[1:] if isinstance(e, ast.Call)
                   and (call_name(module, e) or "").endswith("mapped_column")), None)
    if column is None or column.args or keyword(column, "type_") is not None:
        return None
    return column


USE_TZ_FALSE = "USE_TZ = False: every DateTimeField stores and returns naive datetimes"
PLAIN_LOCAL_READING = re.compile(r"datetime\.(now|fromtimestamp|today)\(\) (without a time zone )?returns a naive datetime$")


def _one_for_use_tz_false(found: list[Finding], project: Project) -> list[Finding]:
    """The plain local readings of a Django code base that sets ``USE_TZ = False`` (and in no settings module
    ``True``) as places of that setting's finding: naive local time is what its ``DateTimeField``s hold, so
    each reading is right by the setting (an aware one would break its comparisons) and only the setting can
    change them. A reading labelled or formatted as UTC, shifted by hand by some hours, or a UTC reading, is
    wrong under the setting too and stays a finding of its own."""
    setting = next((f for f in found if f.message == USE_TZ_FALSE), None)
    if setting is None or any(node.value.value is True for module in project.modules
                              if is_django_settings(module, project) for node in _use_tz_assignments(module)):
        return found
    follow = [f for f in found if f.extra.get("kind") == "local" and PLAIN_LOCAL_READING.match(f.message)
              and not f.extra.get("shifted_by_hours")]
    if not follow:
        return found
    places = [f"{f.path}:{f.line}" for f in sorted(follow, key=lambda f: (f.path or "", f.line or 0))]
    summary = replace(setting, message=f"{USE_TZ_FALSE}, and {len(places)} datetime.now()/fromtimestamp() readings "
                      f"without a zone follow it ({shown_places(places)}): right by the setting, but nothing in "
                      "the stored values says which zone they are in", extra={**setting.extra, "places": places})
    return [summary if f is setting else f for f in found if f not in follow]


def _use_tz_assignments(module: SourceModule) -> Iterator[ast.Assign]:
    for node in module.tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "USE_TZ" for t in node.targets) \
                and isinstance(node.value, ast.Constant):
            yield node


def _use_tz_false(module: SourceModule) -> Iterator[Finding]:
    for node in _use_tz_assignments(module):
        if node.value.value is False:
            yield Finding(
                message=USE_TZ_FALSE,
                path=module.path, line=node.lineno, end_line=node.end_lineno,
                evidence=module.evidence(node),
                fix="set USE_TZ = True (and migrate stored values to UTC)",
            )


# -- database side ------------------------------------------------------------

from audit_lib.pg.ddl import ident, qualified_table  # noqa: E402  (database side appended to the code rule)
from audit_lib.pg.model import Catalog  # noqa: E402
from audit_lib.settings import Settings  # noqa: E402


@rule("T.naive-datetime", on="catalog", scope="code+db", severity="medium", needs=("columns",))
def check_db(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    """`timestamp without time zone` columns."""
    for column in catalog.rows("columns"):
        if column["type_name"] != "timestamp":
            continue
        target, name = qualified_table(column["table"]), ident(column["column"])
        yield Finding(
            message=f"column {column['table']}.{column['column']} is {column['type']}: it stores no time zone",
            object=column["table"],
            columns=[column["column"]],
            evidence=f"{column['column']} {column['type']}",
            fix=(f"ALTER TABLE {target} ALTER COLUMN {name} TYPE timestamptz USING {name} AT TIME ZONE 'UTC'; "
                 "(use the zone the values were written in; rewrites the table)"),
            confidence=Confidence.high,
        )
