"""R1.offset-pagination: pages fetched with OFFSET instead of a keyset.

## What it does
Reports pages fetched with OFFSET, in the code and in the SQL it sends. OFFSET makes the database count and
throw away every row before the page. In code: `.offset(...)` with a variable or non-zero value on
SQLAlchemy/SQLModel queries and selects (`.offset(skip)` fed by a `skip`/`page` request parameter is the
common case; also `rows.limit(n).offset(k)` on a query a module that imports no ORM is handed, or on a name the
function binds to a query chain: `found = db.session.query(Item)...; found = found.offset((page - 1) * 10)`), `.slice(start,
...)`, Flask-SQLAlchemy and peewee `.paginate(...)` (also in modules that import only the models,
`Model.query...paginate()`, on a name bound to such a query, `db.paginate(stmt, ...)` on a `db` imported from
the project module that makes it with `SQLAlchemy()`, any `.paginate(..., error_out=...)`, a keyword only
Flask-SQLAlchemy takes, and `query_set.paginate(page, page_size)` on a query a helper is handed or
`Update.for_reader(user).paginate(page=page, per_page=n)` on what a project function returns when each of its
returns is a query chain, in a project that uses Flask-SQLAlchemy; not `.paginate(0, 1)` or `.paginate(1, n)`, a constant first page;
a project helper that pages a statement it is given, `def paginate(stmt, page, per_page): return db.paginate(stmt,
page=page, ...)`, is reported at each call handing it a statement and a page number that is not a constant, one finding
per paged listing), SQL fragments
that append a variable OFFSET (`f"LIMIT {n} OFFSET {self.offset}"` in a paging helper, or a `str.format`
template `"{where} LIMIT {limit} OFFSET {offset}"`; whole statements are read by the SQL side, also when the
code fills in the table name: `"SELECT ... FROM %s ORDER BY id LIMIT %s OFFSET %s" % (table, size, done)`;
a statement assembled from a filter and an order the code fills in, `WHERE {conditions} ORDER BY {column}
{direction} LIMIT ? OFFSET ?`, is reported at each call that hands it a page start its function takes:
`offset`, `skip`, `page`, ...; not when the code base calls that function and no call passes the page start:
`list_grants(client_id=c)` of a `def list_grants(..., offset=None)`), each call that hands the function sending a
statement with a variable OFFSET a page start for it (`list_reviews(user_id=u, limit=12, offset=(page - 1) * 12)`,
also through wrappers that pass their own parameter on; not `offset=0`, a name bound only to a constant, nor a position
that is no page start, `offset=count - n`), and
every call that hands such a helper a page start for the parameter it appends (`self._fetchall(q, v,
limit=size, offset=(page - 1) * size)`: one finding per paged listing, not `offset=0`), web.py's
`db.select(table, ..., limit=n, offset=k)` (also its keywords gathered in a dict, `db.select(table, **kwargs)`;
not `offset=0` nor an offset with no limit) and its statements with `$name` parameters ending in `LIMIT $limit
OFFSET $offset`, sent as `db.query(sql, vars=data)` with a page start in `data`, MongoDB cursors paged
with `.find(q).skip(start).limit(n)` and aggregation stages `{'$skip': start}` in a pipeline with a `$limit`,
marshmallow-pagination's `OffsetPaginator(query, per_page, session)` (not when only asked for a constant page),
Elasticsearch and OpenSearch searches paged with `from_=` (`Search().extra(size=n, from_=from_hit)`; not `from_=0`,
nor the loop variable of a `for` over a `range`, a batch walk the code drives: use `search_after` instead),
Django querysets sliced with a variable start (`qs[offset:offset + n]`, also under another name, `qs = queryset;
qs = qs[offset:]` in a GraphQL list resolver, a view's own
`self.filter_queryset(self.get_queryset())[offset:...]` and a parameter annotated `QuerySet`), a code base's
own paginator class (a method that slices the queryset it was given, `self.queryset`, from a start computed
from its `cursor`/`page` parameter, or the `number` of a Django `Paginator` subclass's `page(number)`: one
finding at its first such slice, naming the views that page with it, also through a helper's default
`paginator_cls=`), Django's `Paginator` (called, or set as a class's `paginator_class`, or handed to a table library as one,
`RequestConfig(request, paginate={"paginator_class": EnhancedPaginator})`, `table.paginate(paginator_class=...)`,
also a project subclass of it that keeps its `page()`; not when each table it pages is made over a Python list or
one parent's children, `DeviceTable(Device.objects.filter(rack=instance))`, as below; in a project helper
`paginate(object_list, page, per_page)` that pages with it, at each call handing it a page number that is not
a constant), Django REST framework's page-number and limit-offset pagination classes (also
`rest_framework_gis`'s `GeoJsonPagination`, a page-number one, and `rest_framework_json_api`'s
`JsonApiPageNumberPagination`/`JsonApiLimitOffsetPagination`; set as
`DEFAULT_PAGINATION_CLASS`, as a view's `pagination_class`, or extended by a project class: one finding at the
setting or class, naming the list views it pages; not when each of them is a nested viewset, `NestedViewSetMixin`,
listing one parent's rows, keeps the requesting user's rows, `filter(buyer=self.request.user)`, or lists a
catalogue, a model keyed by a unique `slug` or `readable_id` that staff enter one by one), Django generic list views given a `paginate_by` (`class
BookList(ListView): paginate_by = 50`, also through a project base; not one whose `get_queryset` keeps the
requesting user's own rows, nor one whose `get_context_data` hands the paginator a Python list it built
(`super().get_context_data(object_list=[present(e) for e in events])`: sliced in memory), nor one listing a
catalogue as above (`model = Backend`, `queryset = ...`, `self.model.objects...` or `super().get_queryset()`
of a model with a unique `slug`, also declared by an abstract base it extends: job-runner backends, event
categories); a list of another user's or one parent's rows named in the URL stays reported (a forum's topics, a
topic's posts, a user's event log grow without bound); low confidence when the view extends
`PermissionRequiredMixin`, a list only staff open), fastapi-pagination's `paginate(session, select(...))` of a database extension
(`fastapi_pagination.ext.sqlalchemy`; not in a module paging with its `CursorPage`, nor its list
`fastapi_pagination.paginate`, nor a query pinned to one parent row, `where(Check.ruleset_id == ruleset.id)` or
`ruleset.hooks.order_by(...)`, a parent that is neither a user, a tenant nor a growing container), django-ninja's `@paginate` with its default `LimitOffsetPagination` (when no
`NINJA_PAGINATION_CLASS` is set) or given `LimitOffsetPagination`/`PageNumberPagination` (not over a returned
list), and the page classes of the `paginate` family given a page number: `paginate_sqlalchemy`'s
`SqlalchemyOrmPage(query, page=request.params.get("page"))`, `paginate.Page` over a query, and project classes
extending them.

`.limit(n)` alone, `.offset(0)`, slices that start at a constant (`qs[:20]`) and slices of plain lists are not
reported, nor is an OFFSET that picks one row at random (`OFFSET FLOOR(RANDOM() * (SELECT COUNT(*) ...)) LIMIT
1`, `.offset(random.randint(0, n - 1))`), one that picks the row at a position the code or its configuration
fixes (`.limit(1).offset(ALERTS_HARD_LIMIT - 1)`, the Nth newest as a cut-off: no parameter or local name of
the function is read, so no caller pages deeper) or one with no LIMIT that fetches every row after the first N
(`.offset(keep).all()`, also nested as the subquery of a DELETE, `.offset(MAX_KEPT).scalar_subquery()`, or
ending in a bulk `.delete()`): neither is a page, nor is `.offset(offset)` on a parameter that defaults to `None`
or 0 and that no call of its function in the code base passes (`def query_for(self, cond, limit=None, offset=None)`
only ever called as `query_for(cond)`: no OFFSET is sent), nor is `.paginate(show_all=True)`, a project paginate asked
for every row. Nor is a pagination class that extends a DRF one but replaces its `paginate_queryset` without
calling `super()` and refuses pages past a window (`if end > self.max_result_window: raise ...`): no page
starts deeper than that. Nor is a queryset sliced after `len(qs)`/`list(qs)` ran it (Django slices the cached
rows in memory: no OFFSET is sent), a pagination class whose paginator's `count` returns a small constant
(`return 50`: no page starts past it), a page class given no page number or a constant one (the first page
only), or `paginate.Page` over a list or with its own `wrapper_class` (a search engine's hits). Nor is a
`Paginator` whose pages cost no deep OFFSET: over a Python list (`sorted(...)`, `[...]`), read only for its
`count`/`num_pages`, over a queryset ordered by a value computed per row
(`annotate(rank=...).order_by("-rank")`: every page ranks all the matches anyway, a keyset would not make deep
pages cheaper), over the requesting user's own rows (`filter(user=request.user)`, `request.user.lists`, when
not in one branch only), or over one parent's children (`Vote.objects.filter(reply=reply)`: a foreign key of
the project's models to a parent row, a reply's few votes; not a user's, a tenant's or a growing container's
rows: `filter(owner=user)`, `filter(category=category)`, `filter(thread=thread)`, nor the runs of something that
runs again and again: `AutomationExecution.objects.filter(automation=automation)`, a job's runs). Code under hidden folders
(`.agents/examples`) is not checked.

## Why is this bad?
`OFFSET 100000 LIMIT 20` reads 100020 rows to return 20: page N costs O(N), deep pages
time out, and rows inserted or deleted between two requests shift the window so
clients skip or repeat items. A keyset (seek) query reads just the page from an index
whatever its depth (Backend Posture R1, "Use Keyset pagination over offset").

## Example
```python
def list_items(session, skip: int = 0, limit: int = 100):
    return session.scalars(select(Item).order_by(Item.id).offset(skip).limit(limit)).all()
```

## Use instead
```python
def list_items(session, after_id: int = 0, limit: int = 100):
    return session.scalars(
        select(Item).where(Item.id > after_id).order_by(Item.id).limit(limit)
    ).all()
```
In SQL: `WHERE (created_at, id) > (:last_created_at, :last_id) ORDER BY created_at, id
LIMIT :n`, with an index on `(created_at, id)`; return the last key as the next cursor.
For Django REST framework use `CursorPagination`.

## References
- Markus Winand, "We need tool support for keyset pagination": https://use-the-index-luke.com/no-offset
- DRF CursorPagination: https://www.django-rest-framework.org/api-guide/pagination/#cursorpagination
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Iterator

from audit_lib.findings import Confidence, Finding, code_base_finding, shown_places
from audit_lib.libs import db
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    dotted,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

ORM_LIBRARIES = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy", "peewee", "tortoise", "ormar", "piccolo", "databases",
                 "gino", "pony")
SEARCH_LIBRARIES = ("elasticsearch", "elasticsearch_dsl", "opensearchpy", "opensearch_dsl")
MONGO_LIBRARIES = ("pymongo", "motor", "mongoengine", "beanie", "odmantic", "flask_pymongo")
QUERY_LINKS = {"select", "query", "filter", "filter_by", "where", "order_by", "limit", "join", "options", "all",
               "objects", "exclude", "values", "distinct", "group_by"}
OFFSET_PAGINATION_CLASSES = {"rest_framework.pagination.PageNumberPagination",
                             "rest_framework.pagination.LimitOffsetPagination",
                             "rest_framework_gis.pagination.GeoJsonPagination",  # a PageNumberPagination
                             # django-rest-framework-json-api's, extending DRF's (page[number], page[offset])
                             "rest_framework_json_api.pagination.JsonApiPageNumberPagination",
                             "rest_framework_json_api.pagination.JsonApiLimitOffsetPagination"}
DJANGO_PAGINATOR = {"django.core.paginator.Paginator"}
# page classes of the paginate family: the page is ``collection[first:last]``, a SQL OFFSET on a query
QUERY_PAGE_CLASSES = {"paginate_sqlalchemy.SqlalchemyOrmPage", "paginate_sqlalchemy.SqlalchemySelectPage"}
SLICING_PAGE_CLASSES = {"paginate.Page", "webhelpers.paginate.Page"}  # any collection: a list is sliced in memory
PAGINATOR_COUNTS = {"count", "num_pages", "page_range"}
KEYSET_FIX = ("page by keyset: WHERE (sort_col, id) > (:last_sort, :last_id) ORDER BY sort_col, id LIMIT n, with an "
              "index on (sort_col, id); hand the last row's key back as the next-page cursor")


@rule("R1.offset-pagination", on="module", scope="code+sql", severity="medium")
def check_code(module: SourceModule, project: Project) -> Iterator[Finding]:
    if db.skipped_module(module) or _hidden_folder(module):
        return
    orm = any(module.imports_module(lib) for lib in ORM_LIBRARIES) or ".query." in module.text  # Model.query...
    django = module.imports_module("django") or module.imports_module("rest_framework") or ".objects." in module.text \
        or DEFAULT in module.text  # a settings module that imports nothing
    if "OFFSET" in module.text:
        yield from _offset_fragments(module)
    if "skip" in module.text and any(module.imports_module(lib) for lib in MONGO_LIBRARIES):
        yield from _mongo_skips(module)
    if "offset" in module.text and project.imports_anywhere("web"):
        yield from _webpy_selects(module)
    if "OffsetPaginator" in module.text and module.imports_module("marshmallow_pagination"):
        yield from _marshmallow_offset_paginators(module)
    if "from_" in module.text and any(module.imports_module(lib) for lib in SEARCH_LIBRARIES):
        yield from _search_from_offsets(module)
    if "paginate" in module.text and (module.imports_module("fastapi_pagination") or module.imports_module("ninja")):
        yield from _paging_library_findings(module, project)
    paginator_helpers = _paginator_helpers(project)
    if any(name.rpartition(":")[2] in module.text for name in paginator_helpers):
        for call in module.nodes_of(ast.Call):
            finding = _paginator_helper_call_finding(module, project, call)
            if finding is not None:
                yield finding
    if "paginator_class" in module.text:
        yield from _handed_paginators(module, project)
    helpers = _offset_helpers(project)
    if any(name in module.text for name in helpers):
        for node in walk_nodes(module.tree):
            finding = _offset_helper_call_finding(module, node, project) if isinstance(node, ast.Call) else None
            if finding is not None:
                yield finding
    if not orm and not django and ".offset(" not in module.text and ".paginate(" not in module.text \
            and "Page(" not in module.text:
        return
    querysets: dict[int, set[str]] = {}
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call):
            # a module that imports no ORM still pages a query it is handed: rows.limit(n).offset(k)
            finding = _call_finding(module, node, orm, project)
        elif isinstance(node, ast.Subscript) and django:
            finding = _slice_finding(module, project, node, querysets)
        elif isinstance(node, (ast.ClassDef, ast.Assign)) and django:
            finding = _drf_finding(module, node, project)
        else:
            finding = None
        if finding is not None:
            yield finding


def _finding(module: SourceModule, node: ast.AST, message: str, fix: str = KEYSET_FIX,
             confidence: Confidence = Confidence.high) -> Finding:
    line = _method_line(node)
    return Finding(message=message, path=module.path, line=line,
                   end_line=max(line, getattr(node, "end_lineno", None) or line), evidence=module.line_text(line),
                   fix=fix, confidence=confidence)


def _method_line(node: ast.AST) -> int:
    """The line of ``.offset`` in a chain split over lines, where a reader looks for it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.end_lineno:
        return node.func.end_lineno
    return node.lineno


def _call_finding(module: SourceModule, call: ast.Call, orm: bool, project: Project) -> Finding | None:
    func = call.func
    name = qualified(module, func) or ""
    if name in DJANGO_PAGINATOR or (dotted(func) or "").endswith("Paginator") and _is_django_paginator(module, project, func):
        # Django's Paginator, or a project subclass of it that keeps its page(): CachedPaginator(qs, 24).page(n)
        if _paginator_reads_no_deep_offset(module, project, call) or _makes_helpers_paginator(module, project, call):
            return None
        return _finding(module, call, "Django Paginator pages with OFFSET: page N reads and discards N-1 pages of rows",
                        fix=KEYSET_FIX + " (Django: filter on the last key, or DRF CursorPagination)",
                        confidence=Confidence.medium)
    page_class = _page_library_class(module, project, func)
    if page_class is not None:
        return _page_finding(module, call, page_class)
    if not isinstance(func, ast.Attribute) or func.attr not in ("offset", "slice", "paginate"):
        return None
    project_db = func.attr == "paginate" and _project_flask_db(module, project, func.value)
    if not (orm or project_db or _looks_like_query(func.value) or _built_query(module, project, func.value)):
        return None
    if func.attr == "offset":
        value = call.args[0] if call.args else (call.keywords[0].value if call.keywords else None)
        if value is None or _is_zero(value) or isinstance(value, ast.Constant) and value.value is None \
                or _random_offset(module, call, value) or _skips_without_limit(module, call) \
                or _nth_row_threshold(module, call, value) or _never_given(module, project, call, value):
            return None
        shown = ast.unparse(value)
        what = "a variable" if not isinstance(value, ast.Constant) else "a constant"
        return _finding(module, call, f".offset({shown}) pages with OFFSET ({what} start): each page reads and "
                                      f"discards every row before it")
    if func.attr == "slice":
        if not call.args or _is_zero(call.args[0]) or not _looks_like_query(func.value):
            return None
        return _finding(module, call, f".slice({ast.unparse(call.args[0])}, ...) pages with OFFSET")
    if _asks_for_every_row(call) or _first_page_only(call) or _query_paginate_helper_call(module, project, call):
        return None
    if project_db or _paginate_is_query(module, func) or any(k.arg == "error_out" for k in call.keywords) \
            or _pages_by_number(call) and project.imports_anywhere("flask_sqlalchemy"):
        return _finding(module, call, ".paginate() pages with LIMIT/OFFSET (and a count query per page)",
                        confidence=Confidence.medium)
    return None


EVERY_ROW_FLAG = re.compile(r"^(all|show_all|return_all|fetch_all|get_all)$")


def _asks_for_every_row(call: ast.Call) -> bool:
    """``query.paginate(show_all=True)``: a project's paginate told to return every row in one page (no OFFSET)."""
    return any(k.arg and EVERY_ROW_FLAG.search(k.arg) and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


def _first_page_only(call: ast.Call) -> bool:
    """``.paginate(0, 1)``, ``.paginate(page=1, per_page=10)``: a constant first page (peewee reads page 0 as
    page 1), ``OFFSET 0``: an existence check or a top-N, not a page walk."""
    page = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "page"), None)
    return isinstance(page, ast.Constant) and page.value in (0, 1) and not isinstance(page.value, bool)


def _page_finding(module: SourceModule, call: ast.Call, page_class: str) -> Finding | None:
    """``SqlalchemyOrmPage(query, page=request.params.get("page"), ...)``, ``paginate.Page(query, page=n)``
    and project subclasses of them: page N is ``query[(N-1)*size:N*size]``, a LIMIT/OFFSET. Not when
    the page number is a constant or not given (the first page only), nor ``paginate.Page`` over a
    collection that is not a query (a list is sliced in memory) or with its own ``wrapper_class``."""
    page = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "page"), None)
    if page is None or isinstance(page, ast.Constant):
        return None
    if page_class in SLICING_PAGE_CLASSES:
        collection = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "collection"), None)
        fn = db.function_of(module, call)
        known = _queryset_names(fn) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else set()
        if collection is None or any(k.arg == "wrapper_class" for k in call.keywords) \
                or not any(_looks_like_query(e) or _is_queryset_expr(e, known) for e in _bound_expressions(fn, collection)):
            return None
    shown = ast.unparse(call.func)
    return _finding(module, call, f"{shown}(..., page={ast.unparse(page)}) pages the query with LIMIT/OFFSET "
                                  f"({page_class}): page N reads and discards N-1 pages of rows")


def _page_library_class(module: SourceModule, project: Project, func: ast.expr) -> str | None:
    """The paginate-family class that ``func`` makes: itself, or the library class a project class extends."""
    key = _class_key(module, project, func)
    if isinstance(key, str):
        return key if key in QUERY_PAGE_CLASSES | SLICING_PAGE_CLASSES else None
    return _project_page_classes(project).get(key) if key else None


def _class_key(module: SourceModule, project: Project, node: ast.expr) -> str | tuple[str, str] | None:
    """A library class by its qualified name, or a project class by (module path, class name)."""
    if isinstance(node, ast.Subscript):  # a generic base: ModelViewSet[Tag]
        node = node.value
    name = qualified(module, node)
    if name is None:
        return None
    if isinstance(node, ast.Name) and node.id not in module.imports:
        return module.path, node.id
    owner_name, _, class_name = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else None
    return (owner.path, class_name) if owner is not None else name


def _project_page_classes(project: Project) -> dict[tuple[str, str], str]:
    """Project classes extending a paginate-family page class (at any depth), with the library class."""
    found = project.facts.get("offset_pagination.page_classes")
    if found is None:
        found = {}
        classes = list(_project_classes(project).values())
        grew = True
        while grew:
            grew = False
            for module, cls in classes:
                if (module.path, cls.name) in found:
                    continue
                for base in cls.bases:
                    key = _class_key(module, project, base)
                    library = key if isinstance(key, str) and key in QUERY_PAGE_CLASSES | SLICING_PAGE_CLASSES \
                        else found.get(key) if isinstance(key, tuple) else None
                    if library:
                        found[(module.path, cls.name)] = library
                        grew = True
                        break
        project.facts["offset_pagination.page_classes"] = found
    return found


def _pages_by_number(call: ast.Call) -> bool:
    """``.paginate(page, per_page)`` or ``.paginate(page=n, per_page=m)``: Flask-SQLAlchemy's (and
    peewee's) arguments, on a query a helper is handed (``def paginate(query_set, page, size)``);
    a boto3 paginator's ``paginate`` takes the API call's own keywords."""
    keywords = {k.arg for k in call.keywords}
    return len(call.args) == 2 and not keywords or bool(keywords) and keywords <= {"page", "per_page", "max_per_page",
                                                                                  "count"} and "page" in keywords


RANDOM_FUNCTIONS = {"random", "rand", "randint", "randrange", "choice", "uniform", "randbelow"}


def _random_offset(module: SourceModule, call: ast.Call, value: ast.expr) -> bool:
    """``.offset(random.randint(0, n - 1)).limit(1)``, ``.offset(func.floor(func.random() * n))``, or
    an offset bound to such a value in the function: one row picked at random, not a page (a keyset
    has no page to continue from)."""
    exprs = [value]
    fn = db.function_of(module, call)
    if isinstance(value, ast.Name) and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        exprs += [stmt.value for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == value.id for t in stmt.targets)]
    for expr in exprs:
        for node in walk_nodes(expr):
            if isinstance(node, ast.Call):
                parts = (qualified(module, node.func) or dotted(node.func) or "").split(".")
                if parts[-1] in RANDOM_FUNCTIONS \
                        and (len(parts) == 1 or parts[0] in ("random", "secrets") or "func" in parts[:-1]):
                    return True  # random.randint(...), func.random(), sa.func.rand()
    return False


def _nth_row_threshold(module: SourceModule, call: ast.Call, value: ast.expr) -> bool:
    """``.order_by(LastAlert.timestamp.desc()).limit(1).offset(alerts_hard_limit - 1)``: the one row at a
    position fixed by the code or its configuration (the Nth newest, a cut-off to compare with), not a page:
    the offset reads no parameter or local name of its function, so no caller walks it deeper."""
    node = call
    links = list(_chain(call)[1])
    while isinstance(module.parents.get(node), ast.Attribute) and isinstance(
            module.parents.get(module.parents[node]), ast.Call):
        node = module.parents[module.parents[node]]
        links.append(node)
    if not any(link.func.attr == "limit" and link.args and isinstance(link.args[0], ast.Constant)
               and link.args[0].value == 1 for link in links if isinstance(link.func, ast.Attribute)):
        return False
    fn = db.function_of(module, call)
    local: set[str] = set()
    if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = fn.args
        local = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                 arguments.vararg, arguments.kwarg] if a is not None}
        local |= {n.id for n in walk_nodes(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return not any(isinstance(n, ast.Name) and n.id in local for n in walk_nodes(value))


def _never_given(module: SourceModule, project: Project, call: ast.Call, value: ast.expr) -> bool:
    """``def build(self, condition, limit=None, offset=None): ... query.offset(offset)`` where the function is called
    in the code base and no call passes ``offset`` (by name, by position, or through ``*args``/``**kwargs``):
    the OFFSET is never sent, no page is read."""
    fn = db.function_of(module, call)
    if not (isinstance(value, ast.Name) and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))):
        return False
    positional = [*fn.args.posonlyargs, *fn.args.args]
    defaults = dict(zip([a.arg for a in positional][len(positional) - len(fn.args.defaults):], fn.args.defaults))
    defaults |= {a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None}
    default = defaults.get(value.id)
    if not (isinstance(default, ast.Constant) and default.value in (None, 0)) or any(
            isinstance(t, ast.Name) and t.id == value.id for stmt in walk_function_body(fn)
            if isinstance(stmt, (ast.Assign, ast.AugAssign)) for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])):
        return False
    names = [a.arg for a in positional]
    method = isinstance(module.parents.get(fn), ast.ClassDef) and names[:1] in (["self"], ["cls"])
    at = names.index(value.id) - method if value.id in names and value.id not in (a.arg for a in fn.args.kwonlyargs) \
        else None
    callers = [c for m in project.modules if fn.name in m.text and not db.skipped_module(m)
               for c in m.nodes_of(ast.Call) if (c.func.attr if isinstance(c.func, ast.Attribute)
                                                 else getattr(c.func, "id", None)) == fn.name]
    return bool(callers) and not any(
        any(k.arg in (value.id, None) for k in c.keywords) or any(isinstance(a, ast.Starred) for a in c.args)
        or at is not None and len(c.args) > at for c in callers)


# Where a chain is run or nested into another statement: an OFFSET without a LIMIT there is final.
STATEMENT_ENDS = {"all", "subquery", "scalar_subquery", "cte", "delete", "update"}


def _skips_without_limit(module: SourceModule, call: ast.Call) -> bool:
    """``Model.query.filter_by(...).order_by(...).offset(keep).all()``: every row but the first ``keep``,
    fetched at once (no LIMIT in the chain, run where it is built): a skip, not a page. So is such a chain
    nested into another statement (``.offset(keep).scalar_subquery()`` picking the rows a DELETE removes)
    or ending in a bulk ``.delete()``/``.update()``: no page is read, the rows past the first ``keep`` are."""
    node, links = _chain_end(module, call)
    fn = db.function_of(module, call)
    for expr in _bound_expressions(fn, call.func.value):  # q = q.limit(n) ... q.offset(skip).all()
        inner: ast.AST = expr
        while isinstance(inner, (ast.Call, ast.Attribute)):
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
                links.add(inner.func.attr)
            inner = inner.func if isinstance(inner, ast.Call) else inner.value
    return node is not call and node.func.attr in STATEMENT_ENDS \
        and not links & {"limit", "slice", "paginate", "fetch"}


def _paginator_reads_no_deep_offset(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """Django ``Paginator`` calls whose pages cost no deep OFFSET:

    - over a Python list (``sorted(...)``, ``[...]``, ``list(...)``): the page is a list slice;
    - used only for ``count``/``num_pages``: no page is fetched;
    - over a queryset ordered by a value computed per row (``annotate(rank=...).order_by("-rank")``:
      relevance, similarity, counts): every page computes and sorts all the matches whatever
      the paging, so a keyset would not make deep pages cheaper;
    - over the requesting user's own rows (``filter(user=request.user)``, ``request.user.lists``):
      one person's records, paged by that person;
    - over one parent's children (``Like.objects.filter(post=post)``): see ``_pins_one_parent``.
    """
    listed = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "object_list"), None)
    if listed is None:
        return False
    fn = db.function_of(module, call)
    return _count_only(module, fn, call) or _pages_no_deep_offset(module, project, fn, listed)


def _pages_no_deep_offset(module: SourceModule, project: Project, fn: ast.AST, listed: ast.expr) -> bool:
    """Whether the collection a Django paginator is given, ``listed``, costs no deep OFFSET to page
    (the cases of ``_paginator_reads_no_deep_offset`` but the count-only use)."""
    exprs = _bound_expressions(fn, listed)
    if any(_is_plain_list(e) for e in exprs):
        return True
    annotated: set[str] = set()
    order_keys: list[str] = []
    for expr in exprs:
        root, links = _chain(expr)
        always = expr is listed or module.parents.get(module.parents.get(expr)) is fn  # not in one branch only
        if always and (_is_request_user(root) or any(_is_request_user(k.value) for k in _keywords(links))):
            return True  # request.user.saved_lists..., .filter(user=request.user)
        if always and _pins_one_parent(project, links):
            return True
        for link in links:
            if link.func.attr == "annotate":
                annotated.update(k.arg for k in link.keywords if k.arg)
            elif link.func.attr == "order_by" and link.args:
                order_keys.append((string_value(link.args[0]) or "").lstrip("-"))
    return bool(order_keys) and all(key in annotated for key in order_keys)


# Relations that scope rows to a user, a tenant, a container the domain keeps growing (a category's threads,
# a thread's posts, a repository version's content, a search's results) or a class or place many rows share (a
# device type, a location, a status), or something that runs again and again and records each run (an automation's executions, a
# job's runs, a monitor's checks, a webhook's deliveries): pinned to one of them, the rows are still a table's worth.
UNBOUNDED_SCOPE = re.compile(r"(^|_)(user|owner|author|creator|member|profile|person|customer|account|tenant|"
                             r"automation|schedule|job|cron|workflow|pipeline|monitor|sensor|device|webhook|"
                             r"subscription|"
                             r"organi[sz]ation|org|company|team|workspace|project|space|site|group|category|"
                             r"folder|channel|room|thread|conversation|chat|topic|forum|board|album|collection|"
                             r"library|feed|repository|repo|dataset|version|series|cluster|type|kind|platform|"
                             r"location|place|region|zone|area|status|state|stage|country|language|currency|tag|"
                             r"label|search|result)s?$|_by$")
TO_ONE_FIELDS = {"ForeignKey", "OneToOneField", "ParentalKey", "TreeForeignKey"}


def _pins_one_parent(project: Project, links: list[ast.Call]) -> bool:
    """A Django queryset chain pinned to one parent row: a ``filter`` setting a foreign key of the project's
    models to a variable (``Like.objects.filter(post=post)``, ``filter(post_id=post.id)``), a key that
    points at neither a user nor a tenant nor a growing container (``owner``, ``category``, ``thread``:
    ``UNBOUNDED_SCOPE``). A post's likes or edits are a handful, so OFFSET over them costs nothing."""
    parent_keys = _parent_keys(project)
    for link in links:
        if link.func.attr != "filter":
            continue
        for keyword in link.keywords:
            field = (keyword.arg or "").split("__")[-1]
            field = field[:-3] if field.endswith("_id") else field
            if field in parent_keys and not _is_flag(keyword.value):
                return True
    return False


def _parent_keys(project: Project) -> frozenset[str]:
    """Names of the project's Django foreign keys that point at a parent row: a model of the project that
    has a foreign key of its own (a post of a thread, not a lookup table such as a rank or a content type,
    whose rows each gather a share of the table), and neither a user, a tenant nor a container (by the
    field's name and the model's: ``UNBOUNDED_SCOPE``). A name also declared otherwise is left out."""
    found = project.facts.get("offset_pagination.parent_keys")
    if found is not None:
        return found
    keys: list[tuple[str, str]] = []  # (field name, name of the model it points at)
    children: set[str] = set()  # models with a foreign key of their own
    for module in project.modules:
        if not any(field in module.text for field in TO_ONE_FIELDS):
            continue
        for cls in module.nodes_of(ast.ClassDef):
            for stmt in cls.body:
                if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)
                        and (dotted(stmt.value.func) or "").rpartition(".")[2] in TO_ONE_FIELDS):
                    continue
                target = stmt.value.args[0] if stmt.value.args else next(
                    (k.value for k in stmt.value.keywords if k.arg == "to"), None)
                keys.append((stmt.targets[0].id, (string_value(target) or dotted(target) or "").rpartition(".")[2]))
                children.add(cls.name)
    parents = {name for name, model in keys if model in children}
    scopes = {name for name, model in keys if model not in children or UNBOUNDED_SCOPE.search(name)
              or UNBOUNDED_SCOPE.search(_snake(model)) or "user" in model.lower()}
    found = frozenset(parents - scopes)
    project.facts["offset_pagination.parent_keys"] = found
    return found


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_flag(value: ast.expr) -> bool:
    """A literal, a CONSTANT or an enum member (``Kind.DONE``): a filter on a flag, not on a parent."""
    return isinstance(value, ast.Constant) or any(part.isupper() and len(part) > 1
                                                  for part in (dotted(value) or "").split("."))


def _keywords(links: list[ast.Call]) -> Iterator[ast.keyword]:
    for link in links:
        yield from link.keywords


def _chain(expr: ast.AST) -> tuple[ast.AST, list[ast.Call]]:
    """The root of a method chain and its method calls: ``qs`` and ``[.order_by(), .filter()]``
    for ``qs.filter(...).order_by(...)``; ``request.user`` for ``request.user.lists.all()``."""
    links: list[ast.Call] = []
    node = expr
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            links.append(node)
            node = node.func.value
        elif isinstance(node, ast.Attribute) and not _is_request_user(node):
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node, links


def _bound_expressions(fn: ast.AST, expr: ast.expr) -> list[ast.expr]:
    """``expr`` and, through the name at the root of its method chain, every value assigned to
    that name in ``fn`` (``qs = ...; qs = qs.filter(...)`` gives both right-hand sides)."""
    found: list[ast.expr] = [expr]
    seen: set[str] = set()
    pending = [expr]
    while pending:
        root, _ = _chain(pending.pop())
        if not isinstance(root, ast.Name) or root.id in seen \
                or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        seen.add(root.id)
        for stmt in walk_function_body(fn):
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == root.id for t in stmt.targets):
                found.append(stmt.value)
                pending.append(stmt.value)
    return found


def _is_plain_list(expr: ast.expr) -> bool:
    if isinstance(expr, (ast.List, ast.ListComp)):
        return True
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) \
        and expr.func.id in ("list", "sorted", "tuple", "range")


def _count_only(module: SourceModule, fn: ast.AST, call: ast.Call) -> bool:
    """``p = Paginator(qs, n)`` read only for ``p.count``/``p.num_pages``/``p.page_range``."""
    parent = module.parents.get(call)
    if isinstance(parent, ast.Attribute):
        return parent.attr in PAGINATOR_COUNTS
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    uses = [n for n in walk_nodes(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    return bool(uses) and all(isinstance(module.parents.get(n), ast.Attribute)
                              and module.parents[n].attr in PAGINATOR_COUNTS for n in uses)


def _is_request_user(node: ast.AST) -> bool:
    return dotted(node) in ("request.user", "self.request.user")


def _offset_fragments(module: SourceModule) -> Iterator[Finding]:
    """``f"LIMIT {n} OFFSET {self.offset}"``: a SQL fragment (no SELECT of its own) that a paging
    helper appends to queries. The SQL side reads whole statements only, so the fragment is
    reported here; whole statements are left to it."""
    for node, offset in _paging_fragments(module):
        kind = "fragment" if isinstance(node, ast.JoinedStr) else "template"
        yield _finding(module, node, f"SQL {kind} appends OFFSET {{{offset}}}: every query paged with it reads and "
                                     f"discards the rows before the page")


def _paging_fragments(module: SourceModule) -> Iterator[tuple[ast.expr, str]]:
    """Each paging SQL fragment of the module and the source of the value it puts after OFFSET
    (an f-string's expression, a ``str.format`` template's field name)."""
    for node in walk_nodes(module.tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        for before, after in zip(node.values, node.values[1:]):
            text = before.value if isinstance(before, ast.Constant) and isinstance(before.value, str) else ""
            if re.search(r"\bOFFSET\s*$", text) and isinstance(after, ast.FormattedValue):
                whole = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if not re.search(r"\bSELECT\b", whole, re.I) and _builds_paging_sql(module, node, whole):
                    yield node, ast.unparse(after.value)
                break
    for node in walk_nodes(module.tree):  # str.format templates: "{where} LIMIT {limit} OFFSET {offset}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and not isinstance(module.parents.get(node), (ast.JoinedStr, ast.Expr)):
            found = re.search(r"\bOFFSET\s+\{(\w*)\}", node.value)
            if found and not re.search(r"\bSELECT\b", node.value, re.I) and _builds_paging_sql(module, node, node.value):
                yield node, found.group(1)


def _mongo_skips(module: SourceModule) -> Iterator[Finding]:
    """MongoDB pages: ``collection.find(q).skip((page - 1) * size).limit(size)`` and an aggregation
    stage ``{'$skip': start}`` in a pipeline with a ``$limit``: the server walks and drops every
    document before the page, like OFFSET."""
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "skip" \
                and len(node.args) == 1 and _pages_from(node.args[0]) and "limit" in _chain_links(module, node):
            yield _finding(module, node, f".skip({ast.unparse(node.args[0])}) pages a MongoDB cursor: each page walks "
                                         f"and drops every document before it")
        elif isinstance(node, ast.Dict) and len(node.keys) == 1 and string_value(node.keys[0]) == "$skip" \
                and _pages_from(node.values[0]) and _has_limit_stage(db.function_of(module, node)):
            yield _finding(module, node, f"aggregation stage $skip: {ast.unparse(node.values[0])} pages the pipeline: "
                                         f"each page walks and drops every document before it")


MARSHMALLOW_OFFSET_PAGINATOR = "marshmallow_pagination.paginators.OffsetPaginator"


def _marshmallow_offset_paginators(module: SourceModule) -> Iterator[Finding]:
    """marshmallow-pagination's ``OffsetPaginator(query, per_page, session).get_page(page)``: page N is ``LIMIT
    per_page OFFSET (N - 1) * per_page`` (its ``SeekPaginator`` pages by keyset). Not when every ``get_page`` of it
    asks for a constant page (the first page only)."""
    for call in module.nodes_of(ast.Call):
        if qualified(module, call.func) != MARSHMALLOW_OFFSET_PAGINATOR:
            continue
        parent = module.parents.get(call)
        uses: list[ast.AST] = [call]
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
            uses = [n for n in walk_function_body(db.function_of(module, call))
                    if isinstance(n, ast.Name) and n.id == parent.targets[0].id and isinstance(n.ctx, ast.Load)]
        pages = [module.parents[module.parents[u]] for u in uses
                 if isinstance(module.parents.get(u), ast.Attribute) and module.parents[u].attr == "get_page"
                 and isinstance(module.parents.get(module.parents[u]), ast.Call)]
        if pages and all(page.args and isinstance(page.args[0], ast.Constant) for page in pages):
            continue
        yield _finding(module, call, f"{ast.unparse(call.func)}() pages the query with LIMIT/OFFSET: page N reads "
                                     f"and discards N-1 pages of rows",
                       fix=KEYSET_FIX + " (marshmallow-pagination: SeekPaginator)", confidence=Confidence.medium)


def _search_from_offsets(module: SourceModule) -> Iterator[Finding]:
    """Elasticsearch/OpenSearch ``Search().extra(size=n, from_=from_hit)``, ``client.search(..., from_=start)``: each
    shard collects and sorts ``from + size`` hits to return ``size``, so deep pages grow in cost (and fail past
    ``index.max_result_window``). Not ``from_=0``, nor the target of a ``for`` loop over a ``range`` (a batch walk
    the code drives, not a page a client asks for)."""
    for call in module.nodes_of(ast.Call):
        start = next((k.value for k in call.keywords if k.arg == "from_"), None)
        if start is None or not _pages_from(start) or isinstance(start, ast.Name) and _walks_a_fixed_range(
                module, call, start.id):
            continue
        yield _finding(module, call, f"search paged with from_={ast.unparse(start)}: each page makes every shard "
                                     f"collect and sort from + size hits, and pages past max_result_window fail",
                       fix="page with search_after on the sort values of the last hit (with a point in time for a "
                           "stable view), keeping a unique tiebreaker in the sort")


def _walks_a_fixed_range(module: SourceModule, node: ast.AST, name: str) -> bool:
    return any(isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and loop.target.id == name
               and isinstance(loop.iter, ast.Call) and dotted(loop.iter.func) == "range"
               for loop in ancestors(module, node))


def _webpy_selects(module: SourceModule) -> Iterator[Finding]:
    """web.py's ``db.select("likes", where=..., limit=limit, offset=offset)``, also through a dict of keywords
    built in the function (``oldb.select(table, **query_kwargs)`` with ``"offset": limit * (page - 1)``): web.py
    writes ``LIMIT n OFFSET k``. Not ``offset=0``, nor an offset with no limit (every row after the first N)."""
    for call in module.nodes_of(ast.Call):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "select" and call.args):
            continue
        given = {k.arg: k.value for k in call.keywords if k.arg}
        for spread in (k.value for k in call.keywords if k.arg is None and isinstance(k.value, ast.Name)):
            given.update(_dict_bound_to(module, call, spread.id))
        offset, limit = given.get("offset"), given.get("limit")
        if offset is not None and _pages_from(offset) and limit is not None \
                and not (isinstance(limit, ast.Constant) and limit.value is None):
            yield _finding(module, call, f"select(..., offset={ast.unparse(offset)}) pages with OFFSET (web.py writes "
                                         f"LIMIT/OFFSET): each page reads and discards every row before it")


def _dict_bound_to(module: SourceModule, call: ast.Call, name: str) -> dict[str, ast.expr]:
    """The string-keyed entries of the dict literals bound to ``name`` in the function around ``call``."""
    found: dict[str, ast.expr] = {}
    for node in walk_function_body(db.function_of(module, call)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) \
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            found.update({string_value(k): v for k, v in zip(node.value.keys, node.value.values, strict=True)
                          if string_value(k)})
    return found


def _pages_from(value: ast.expr) -> bool:
    return not _is_zero(value) and not (isinstance(value, ast.Constant) and value.value is None)


def _chain_links(module: SourceModule, call: ast.Call) -> set[str]:
    """The method names of the whole chain ``call`` is a link of, before and after it."""
    return {link.func.attr for link in _chain(call)[1]} | _chain_end(module, call)[1]


def _chain_end(module: SourceModule, call: ast.Call) -> tuple[ast.Call, set[str]]:
    """The last call of the method chain ``call`` starts, and the method names called after ``call``."""
    links: set[str] = set()
    node = call
    while isinstance(module.parents.get(node), ast.Attribute) \
            and isinstance(module.parents.get(module.parents[node]), ast.Call) \
            and module.parents[module.parents[node]].func is module.parents[node]:
        node = module.parents[module.parents[node]]
        links.add(node.func.attr)
    return node, links


def _has_limit_stage(fn: ast.AST) -> bool:
    return any(isinstance(node, ast.Dict) and any(string_value(k) == "$limit" for k in node.keys if k is not None)
               for node in walk_function_body(fn))


# fastapi-pagination's paginate over a database query (``fastapi_pagination.ext.sqlalchemy.paginate``); the
# package's own ``fastapi_pagination.paginate`` slices a Python list
FASTAPI_PAGINATION_QUERY = re.compile(r"^fastapi_pagination\.ext\.(?!elasticsearch)\w+\.a?paginate$")
NINJA_PAGINATE = "ninja.pagination.paginate"
NINJA_OFFSET_PAGINATIONS = {"ninja.pagination.LimitOffsetPagination", "ninja.pagination.PageNumberPagination"}
NINJA_SETTING = "NINJA_PAGINATION_CLASS"


def _paging_library_findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    """fastapi-pagination's ``paginate(session, select(...))`` of a database extension, unless the module
    pages with its keyset ``CursorPage``; django-ninja's ``@paginate`` with its default
    ``LimitOffsetPagination`` (when the project sets no ``NINJA_PAGINATION_CLASS``) or given
    ``LimitOffsetPagination``/``PageNumberPagination``, unless every return is a plain list."""
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call) and FASTAPI_PAGINATION_QUERY.search(qualified(module, node.func) or "") \
                and "CursorPage" not in module.text and not _pages_one_parents_rows(module, node):
            yield _finding(module, node, f"{ast.unparse(node.func)}() of fastapi-pagination pages the query with "
                                         f"LIMIT/OFFSET: page N reads and discards N-1 pages of rows",
                           fix="answer with fastapi_pagination.cursor.CursorPage (keyset paging on an indexed ordering)")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                pagination = _ninja_offset_pagination(module, project, decorator)
                if pagination and not _returns_plain_lists(node):
                    yield _finding(module, decorator, f"@paginate({pagination}) of django-ninja slices the queryset "
                                                      f"with LIMIT/OFFSET: page N reads and discards N-1 pages of rows",
                                   fix=KEYSET_FIX, confidence=Confidence.medium)


def _pages_one_parents_rows(module: SourceModule, call: ast.Call) -> bool:
    """``paginate(Rule.filter(db, conditions=(Rule.policy_id == policy.id)), params)``,
    ``paginate(policy.webhooks.order_by("order"))``: a SQLAlchemy query, on every path through the function,
    pinned to one parent row by an equality on its key (``<parent>_id == ...``) or read through the relationship
    of one row the function holds, where the parent is neither a user, a tenant nor a growing container
    (``UNBOUNDED_SCOPE``): a policy's rules or a connection's datasets are a handful, OFFSET over them costs nothing."""
    fn = db.function_of(module, call)
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for paged in [*call.args, *(k.value for k in call.keywords if k.arg == "query")]:
        for expr in _bound_expressions(fn, paged):
            if not (expr is paged or module.parents.get(module.parents.get(expr)) is fn):
                continue  # bound in one branch only
            if _one_rows_relationship(fn, expr) or any(_equals_parent_key(node) for node in walk_nodes(expr)):
                return True
    return False


def _equals_parent_key(node: ast.AST) -> bool:
    """``Rule.policy_id == policy.id``, ``filter_by(policy_id=policy_id)``: a parent key set to a variable."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq) \
            and isinstance(node.left, ast.Attribute):
        value = node.comparators[0]
        column = isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id[:1].isupper()
        return _is_parent_key(node.left.attr) and not _is_flag(value) and not column  # not a join: Policy.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "filter_by":
        return any(_is_parent_key(k.arg or "") and not _is_flag(k.value) for k in node.keywords)
    return False


def _is_parent_key(column: str) -> bool:
    return column.endswith("_id") and not UNBOUNDED_SCOPE.search(column[:-3])


def _one_rows_relationship(fn: ast.FunctionDef | ast.AsyncFunctionDef, expr: ast.expr) -> bool:
    """``policy.webhooks.order_by(...)``: the rows of a relationship of ``policy``, one row the function holds
    (a parameter or a name it binds, not ``self`` nor a session), named neither as a user nor a container."""
    node: ast.AST = expr
    called = False  # privacy_service.filter_requests(...): a method of a service, not a relationship
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            break
        called = isinstance(node, ast.Call)
        node = node.func if called else node.value
    if called or not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)) \
            or node.attr in QUERY_LINKS:
        return False
    holder = node.value.id
    held = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]} | {
        t.id for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
        for t in stmt.targets if isinstance(t, ast.Name)}
    return holder in held and holder not in ("self", "cls", "db", "session") and not UNBOUNDED_SCOPE.search(holder)


def _ninja_offset_pagination(module: SourceModule, project: Project, decorator: ast.expr) -> str | None:
    """The django-ninja offset pagination class a ``@paginate`` decorator pages with, if it is one."""
    call = decorator if isinstance(decorator, ast.Call) else None
    if qualified(module, call.func if call else decorator) != NINJA_PAGINATE:
        return None
    given = call.args[0] if call and call.args else next((k.value for k in call.keywords
                                                          if k.arg == "pagination_class"), None) if call else None
    if given is None:
        return None if any(NINJA_SETTING in m.text for m in project.modules) else "LimitOffsetPagination"
    name = qualified(module, given)
    return name.rsplit(".", 1)[-1] if name in NINJA_OFFSET_PAGINATIONS else None


def _returns_plain_lists(fn: ast.AST) -> bool:
    returns = [n.value for n in walk_function_body(fn) if isinstance(n, ast.Return) and n.value is not None]
    return bool(returns) and all(_is_plain_list(r) for r in returns)


_OFFSET_HELPERS = "offset_pagination.offset_helpers"


def _offset_helpers(project: Project) -> dict[str, tuple[str, int, str]]:
    """Project functions that append ``OFFSET {param}`` to the queries they run, where ``param`` is
    one of their own parameters (``def _fetchall(self, query, vars, limit=None, offset=0)``): by
    name, the parameter, its position among the arguments a caller passes, and the fragment's place."""
    helpers = project.facts.get(_OFFSET_HELPERS)
    if helpers is None:
        helpers = project.facts[_OFFSET_HELPERS] = {}
        for module in project.modules:
            if "OFFSET" not in module.text:
                continue
            for node, offset in _paging_fragments(module):
                fn = db.function_of(module, node)
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                given = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                if given and given[0] in ("self", "cls"):
                    given = given[1:]
                keyword_only = [a.arg for a in fn.args.kwonlyargs]
                if offset in given or offset in keyword_only:
                    position = given.index(offset) if offset in given else -1
                    helpers[fn.name] = (offset, position, f"{module.path}:{node.lineno}")
    return helpers


def _offset_helper_call_finding(module: SourceModule, call: ast.Call, project: Project) -> Finding | None:
    """``self._fetchall(select, vars, limit=page_size, offset=(page - 1) * page_size)``: a caller
    handing a page start to a helper that appends it as OFFSET pages with OFFSET where it picks the page."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
    helper = _offset_helpers(project).get(name) if name else None
    if helper is None:
        return None
    parameter, position, fragment = helper
    value = next((k.value for k in call.keywords if k.arg == parameter), None)
    if value is None and 0 <= position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        value = call.args[position]
    if value is None or not _pages_from(value) \
            or getattr(db.function_of(module, call), "name", None) == name:  # the helper calling itself or its base
        return None
    return _finding(module, call, f"{name}() is handed the page start {ast.unparse(value)}, which it appends as "
                                  f"OFFSET (at {fragment}): this page reads and discards every row before it")


_PAGINATOR_HELPERS = "offset_pagination.paginator_helpers"
PAGE_METHODS = {"page", "get_page"}


def _paginator_helpers(project: Project) -> dict[str, tuple[int, int, str]]:
    """Project functions that page a collection they are given with Django's ``Paginator`` at a page number
    they are given (``def paginate(object_list, page, per_page): return Paginator(object_list, per_page).page(page)``,
    also through a name bound to it: ``paginator = paginator or Paginator``): by ``path:name``, the positions of
    the collection and the page among their parameters, and the paginator's place."""
    helpers = project.facts.get(_PAGINATOR_HELPERS)
    if helpers is not None:
        return helpers
    helpers = project.facts[_PAGINATOR_HELPERS] = {}
    for module in project.modules:
        if "Paginator" not in module.text and "paginate" not in module.text or db.skipped_module(module):
            continue
        for fn in module.tree.body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
            body = list(walk_function_body(fn))
            query_helper = _query_paginate_helper(module, project, fn, params, body)
            if query_helper is not None:
                helpers[f"{module.path}:{fn.name}"] = query_helper
                continue
            made = next((n for n in body if isinstance(n, ast.Call) and _makes_django_paginator(module, fn, n)
                         and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id in params), None)
            page = next((name.id for n in body if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                         and n.func.attr in PAGE_METHODS and len(n.args) == 1
                         for name in walk_nodes(n.args[0]) if isinstance(name, ast.Name) and name.id in params), None)
            if made is not None and page is not None:
                helpers[f"{module.path}:{fn.name}"] = (params.index(made.args[0].id), params.index(page),
                                                       f"{module.path}:{made.lineno}", params, "Django's Paginator")
    return helpers


def _query_paginate_helper(module: SourceModule, project: Project, fn: ast.AST, params: list[str],
                           body: list[ast.AST]) -> tuple[int, int, str, list[str], str] | None:
    """``def paginate(stmt, page, per_page): return db.paginate(stmt, page=page, per_page=per_page)``: a project
    function that pages a statement or query it is given (``db.paginate(stmt, ...)``, ``query.paginate(...)``) with
    Flask-SQLAlchemy at a page number it is given; each listing hands it its own query, so each call is a paged
    listing. The positions of the query and the page among its parameters, the paginate's place, the parameters."""
    for call in body:
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "paginate"):
            continue
        receiver = call.func.value
        flask_db = _project_flask_db(module, project, receiver) \
            or dotted(receiver) == "db" and module.imports_module("flask_sqlalchemy")
        collection = call.args[0] if flask_db and call.args else receiver
        page = next((k.value for k in call.keywords if k.arg == "page"), None)
        if page is None and not flask_db and call.args:
            page = call.args[0]
        if not (isinstance(collection, ast.Name) and collection.id in params and isinstance(page, ast.Name)
                and page.id in params and collection.id != page.id):
            continue
        if flask_db or any(k.arg == "error_out" for k in call.keywords) \
                or project.imports_anywhere("flask_sqlalchemy") and "per_page" in {k.arg for k in call.keywords}:
            return (params.index(collection.id), params.index(page.id), f"{module.path}:{_method_line(call)}", params,
                    "Flask-SQLAlchemy's paginate")
    return None


def _query_paginate_helper_call(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """The ``.paginate(...)`` of a project paginate helper: reported where it is called, with the query and the page."""
    fn = db.function_of(module, call)
    helper = _paginator_helpers(project).get(f"{module.path}:{getattr(fn, 'name', '')}")
    return helper is not None and helper[4] != "Django's Paginator"


def _makes_django_paginator(module: SourceModule, fn: ast.AST, call: ast.Call) -> bool:
    """``Paginator(...)``, or a call of a name the function binds to it (``paginator = paginator or Paginator``)."""
    if qualified(module, call.func) in DJANGO_PAGINATOR:
        return True
    if not isinstance(call.func, ast.Name):
        return False
    return any(isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == call.func.id
                                                    for t in stmt.targets)
               and any(isinstance(n, ast.Name) and qualified(module, n) in DJANGO_PAGINATOR
                       for n in walk_nodes(stmt.value))
               for stmt in walk_function_body(fn))


def _makes_helpers_paginator(module: SourceModule, project: Project, call: ast.Call) -> bool:
    """The ``Paginator(...)`` of a paginator helper: reported where it is called, with the rows and the page."""
    fn = db.function_of(module, call)
    return f"{module.path}:{getattr(fn, 'name', '')}" in _paginator_helpers(project)


def _paginator_helper_call_finding(module: SourceModule, project: Project, call: ast.Call) -> Finding | None:
    """``paginate(queryset, page, 12)`` of a project helper that pages with Django's ``Paginator``, handed a
    page number that is not a constant (``None`` or ``1``: the first page only), over rows that cost
    a deep OFFSET (not a list, not one parent's children, not the requesting user's own rows)."""
    if not isinstance(call.func, ast.Name) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    owner_name, _, name = (qualified(module, call.func) or "").rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    helper = _paginator_helpers(project).get(f"{owner.path}:{name}") if owner is not None else None
    if helper is None:
        return None
    collection_at, page_at, place, params, kind = helper
    given = {k.arg: k.value for k in call.keywords if k.arg}
    collection = call.args[collection_at] if collection_at < len(call.args) else given.get(params[collection_at])
    page = call.args[page_at] if page_at < len(call.args) else given.get(params[page_at])
    if collection is None or page is None:
        return None
    if isinstance(page, ast.Constant) or _pages_no_deep_offset(module, project, db.function_of(module, call),
                                                                 collection):
        return None
    return _finding(module, call, f"{name}({ast.unparse(collection)}, {ast.unparse(page)}, ...) pages with {kind} "
                                  f"(at {place}), which pages with OFFSET: page N reads and discards N-1 "
                                  f"pages of rows",
                    fix=KEYSET_FIX + " (Django: filter on the last key instead of a page number)",
                    confidence=Confidence.medium)


def _builds_paging_sql(module: SourceModule, node: ast.expr, text: str) -> bool:
    """Whether the fragment is paging SQL: it holds LIMIT too, or its function builds a LIMIT clause
    in another string (``stmt = f"LIMIT {n} "; stmt += f"OFFSET {o}"``); a message that names
    OFFSET is not."""
    if re.search(r"\bLIMIT\b", text):
        return True
    fn = db.function_of(module, node)
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    docstring = fn.body[0].value if fn.body and isinstance(fn.body[0], ast.Expr) else None
    return any(isinstance(other, ast.Constant) and isinstance(other.value, str) and other is not docstring
               and re.search(r"\bLIMIT\b", other.value) for other in walk_function_body(fn))


def _hidden_folder(module: SourceModule) -> bool:
    """Code under a hidden folder (``.agents/examples``, ``.github``): tooling and examples, not the application."""
    return any(part.startswith(".") for part in module.path.split("/")[:-1])


def _paginate_is_query(module: SourceModule, func: ast.Attribute) -> bool:
    """Flask-SQLAlchemy ``Model.query.paginate``/``db.paginate(select)``, peewee ``query.paginate``
    (also on a name bound to such a query: ``q = Model.query.filter(...); q.paginate(...)``)."""
    if isinstance(func.value, ast.Name):
        fn = db.function_of(module, func)
        bound = [stmt.value for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == func.value.id for t in stmt.targets)] \
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
        if any(_paginate_is_query(module, ast.Attribute(value=value, attr="paginate")) for value in bound
               if not (isinstance(value, ast.Name) and value.id == func.value.id)):
            return True
    node: ast.AST = func.value
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr == "query":
            return True  # Model.query... or session.query(...)...
        node = node.func if isinstance(node, ast.Call) else node.value
    receiver = dotted(func.value)
    if receiver in ("db", "self.db") and module.imports_module("flask_sqlalchemy"):
        return True
    return _looks_like_query(func.value) and (module.imports_module("flask_sqlalchemy") or module.imports_module("peewee"))


def _project_flask_db(module: SourceModule, project: Project, receiver: ast.AST) -> bool:
    """``db.paginate(...)`` on a ``db`` imported from a project module that makes it with Flask-SQLAlchemy
    (``from app.extensions import db`` where ``extensions`` has ``db = SQLAlchemy(...)``)."""
    if not isinstance(receiver, ast.Name):
        return False
    owner_name, _, attr = module.imports.get(receiver.id, "").rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else None
    if owner is None or owner is module or not owner.imports_module("flask_sqlalchemy"):
        return False
    for node in owner.tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and any(isinstance(t, ast.Name) and t.id == attr for t in node.targets):
            return (qualified(owner, node.value.func) or "").startswith("flask_sqlalchemy.")
    return False


def _built_query(module: SourceModule, project: Project, receiver: ast.expr) -> bool:
    """A query built out of sight: a name the function binds to a query chain (``found =
    db.session.query(Item).filter(...)`` then ``found.offset(n)``), or what a function of the project returns
    when each of its returns is a query chain (``Update.for_reader(reader).paginate(page=n)``)."""
    fn = db.function_of(module, receiver)
    if fn is not None and any(_looks_like_query(expr) for expr in _bound_expressions(fn, receiver)[1:]):
        return True
    helper = _called_function(module, project, receiver) if isinstance(receiver, ast.Call) else None
    if helper is None:
        return False
    returns = [n.value for n in walk_function_body(helper) if isinstance(n, ast.Return) and n.value is not None]
    return bool(returns) and all(any(_looks_like_query(expr) for expr in _bound_expressions(helper, value))
                                 for value in returns)


def _called_function(module: SourceModule, project: Project, call: ast.Call) -> ast.AST | None:
    """The project function ``call`` runs; for ``Model.method(...)`` on a class imported through a package
    whose names the resolver cannot follow (a lazy loader's stub), the method of the one class of that name."""
    resolved = db.resolve_function(module, project, call, reexports=True)
    if resolved is not None:
        return resolved[1]
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in module.imports):
        return None
    classes = [cls for (_, name), (_, cls) in _project_classes(project).items() if name == func.value.id]
    methods = [item for cls in classes[:2] for item in cls.body
               if isinstance(item, FUNCTION_TYPES) and item.name == func.attr]
    return methods[0] if len(classes) == 1 and methods else None


def _looks_like_query(node: ast.AST) -> bool:
    """Whether an expression is built by a query-builder chain (``select(...).where(...)``)."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        if node.attr in QUERY_LINKS:
            return True
        node = node.value
    return isinstance(node, ast.Name) and node.id in QUERY_LINKS


def _is_zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)


def _is_queryset_annotation(annotation: ast.expr | None) -> bool:
    """``QuerySet``, ``models.QuerySet[Item]``, ``"QuerySet[Item]"``."""
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    if annotation is None:
        return False
    name = dotted(annotation) or (string_value(annotation) or "").partition("[")[0]
    return name.rpartition(".")[2] == "QuerySet"


VIEW_QUERYSETS = {"self.get_queryset", "self.filter_queryset"}  # a Django or DRF view's own queryset


def _queryset_names(fn: ast.AST) -> set[str]:
    """The names a function binds to a Django queryset or SQLAlchemy query, or to another such name (``qs =
    queryset``), and its parameters annotated as a Django ``QuerySet`` (``def page(items: QuerySet[Item], offset: int)``)."""
    names: set[str] = set()
    if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        names.update(a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
                     if _is_queryset_annotation(a.annotation))
    for node in walk_function_body(fn):
        if isinstance(node, ast.Assign) and (_is_queryset_expr(node.value, names)
                                             or isinstance(node.value, ast.Name) and node.value.id in names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _is_queryset_expr(node: ast.AST, known: set[str]) -> bool:
    text_chain = node
    while isinstance(text_chain, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(text_chain, ast.Attribute) and text_chain.attr in ("objects", "_default_manager"):
            return True
        if isinstance(text_chain, ast.Call) and isinstance(text_chain.func, ast.Attribute) and text_chain.func.attr == "query":
            return True
        if isinstance(text_chain, ast.Call) and dotted(text_chain.func) in VIEW_QUERYSETS:
            return True
        text_chain = text_chain.func if isinstance(text_chain, ast.Call) else text_chain.value
    if isinstance(text_chain, ast.Name) and text_chain.id in known:
        return isinstance(node, ast.Call)  # qs = qs.filter(...)
    return False


def _slice_finding(module: SourceModule, project: Project, node: ast.Subscript,
                   querysets: dict[int, set[str]]) -> Finding | None:
    if not isinstance(node.slice, ast.Slice):
        return None
    lower = node.slice.lower
    if lower is None or isinstance(lower, ast.Constant):
        return None
    fn = db.function_of(module, node)
    if id(fn) not in querysets:
        querysets[id(fn)] = _queryset_names(fn)
    known = querysets[id(fn)]
    value = node.value
    if not (_is_queryset_expr(value, known) or isinstance(value, ast.Name) and value.id in known):
        return _shared_paginator_finding(module, project, fn, node)
    if isinstance(value, ast.Name) and _evaluated_before(module, fn, value.id, node):
        return None
    return _finding(module, node, f"queryset sliced from a variable start [{ast.unparse(lower)}:...] pages with OFFSET")


# What a paginator is given to page (``self.queryset``, a ``queryset`` parameter), and what says which page
# (``number``: the parameter of Django's ``Paginator.page(number)``, which a subclass overrides).
PAGED_COLLECTION = re.compile(r"^(queryset|qs|query|object_list)$")
PAGE_PARAMETER = re.compile(r"^(cursor|page|page_number|number|offset|start|skip)$")


def _shared_paginator_finding(module: SourceModule, project: Project, fn: ast.AST,
                              sliced: ast.Subscript) -> Finding | None:
    """A code base's own paginator: a method of a module-level class that slices the queryset it was given
    (``queryset = self.queryset.order_by(...)``) from a start computed from its page parameter (``offset =
    cursor.offset * limit; queryset[offset:stop]``). One finding, at the method's first such slice, naming the
    views that page with the class."""
    cls = module.parents.get(fn)
    if not (isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and isinstance(cls, ast.ClassDef)
            and module.parents.get(cls) is module.tree):
        return None
    params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    if not any(_is_given_collection(e, params) for e in _bound_expressions(fn, sliced.value)) \
            or not _from_page_parameter(fn, sliced.slice.lower, params):
        return None
    first = next(n for n in walk_function_body(fn) if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice)
                 and n.slice.lower is not None and not isinstance(n.slice.lower, ast.Constant)
                 and ast.dump(n.value) == ast.dump(sliced.value))
    if first is not sliced:
        return None
    finding = _finding(module, sliced, f"paginator {cls.name}.{fn.name}() slices the queryset from a variable start "
                                       f"[{ast.unparse(sliced.slice.lower)}:...]: every page it serves is a LIMIT/"
                                       "OFFSET that reads and discards the rows before it")
    return _with_list_views(finding, _paginator_users(project, cls.name))


def _is_given_collection(expr: ast.AST, params: set[str]) -> bool:
    """``self.queryset``, ``queryset`` (a parameter) or a method chain on one of them."""
    while isinstance(expr, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return bool(PAGED_COLLECTION.search(expr.attr))
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return isinstance(expr, ast.Name) and expr.id in params and bool(PAGED_COLLECTION.search(expr.id))


def _from_page_parameter(fn: ast.AST, start: ast.expr, params: set[str]) -> bool:
    """Whether the slice's start is computed (through the function's assignments) from a page parameter."""
    names = {n.id for n in walk_nodes(start) if isinstance(n, ast.Name)}
    seen: set[str] = set()
    while names - seen:
        name = (names - seen).pop()
        seen.add(name)
        if name in params and PAGE_PARAMETER.search(name):
            return True
        for stmt in walk_function_body(fn):
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                names.update(n.id for n in walk_nodes(stmt.value) if isinstance(n, ast.Name))
    return False


def _paginator_users(project: Project, class_name: str) -> list[str]:
    """The places that page with the paginator class: the classes (or functions) that name it, and, where it is
    the default of a helper method's parameter (``def paginate(self, request, paginator_cls=OffsetPaginator)``),
    the classes calling ``self.paginate(...)`` without passing another class for that parameter."""
    places: set[str] = set()
    for module in project.modules:
        if class_name not in module.text or db.skipped_module(module):
            continue
        for name in module.nodes_of(ast.Name):
            if name.id != class_name or not isinstance(name.ctx, ast.Load):
                continue
            owner = next((a for a in ancestors(module, name) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))),
                         None)
            if owner is None:
                continue
            parameter = _parameter_defaulting_to(owner, name)
            if parameter is not None and isinstance(module.parents.get(owner), ast.ClassDef):
                places.update(_self_callers(project, owner.name, parameter))
            else:
                places.add(_place_of(module, owner))
    return sorted(places, key=_place_order)


def _parameter_defaulting_to(fn: ast.AST, default: ast.expr) -> str | None:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return next((a.arg for a, d in pairs if d is default), None)


def _self_callers(project: Project, method: str, parameter: str) -> set[str]:
    places = set()
    for module in project.modules:
        if f"self.{method}(" not in module.text or db.skipped_module(module):
            continue
        for call in module.nodes_of(ast.Call):
            if dotted(call.func) == f"self.{method}" and not any(k.arg == parameter for k in call.keywords):
                places.add(_place_of(module, call))
    return places


def _place_of(module: SourceModule, node: ast.AST) -> str:
    """``path:line`` of the module-level class around ``node`` (else its outermost function)."""
    outer = [a for a in ancestors(module, node) if isinstance(a, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    return f"{module.path}:{outer[-1].lineno if outer else node.lineno}"


EVALUATING_CALLS = {"len", "list", "tuple", "sorted"}


def _evaluated_before(module: SourceModule, fn: ast.AST, name: str, sliced: ast.Subscript) -> bool:
    """Whether the queryset ``name`` is run whole (``len(qs)``, ``list(qs)``) before it is sliced,
    with no new value bound in between: Django then slices its result cache in memory, no OFFSET
    is sent (``for i in range(0, len(pks), n): pks[i:i + n]``)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    first_iters = [gen.generators[0].iter for gen in ancestors(module, sliced)
                   if isinstance(gen, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp))]
    rebinds = [stmt.lineno for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)]
    for call in walk_function_body(fn):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in EVALUATING_CALLS
                and len(call.args) == 1 and isinstance(call.args[0], ast.Name) and call.args[0].id == name):
            continue
        in_first_iter = any(call is n for it in first_iters for n in walk_nodes(it))
        if in_first_iter or call.lineno < sliced.lineno \
                and not any(call.lineno < line <= sliced.lineno for line in rebinds):
            return True
    return False


def _drf_finding(module: SourceModule, node: ast.AST, project: Project) -> Finding | None:
    if isinstance(node, ast.ClassDef):
        if _counts_a_fixed_few(module, project, node) or _replaces_paging(node):
            return None
        for base in node.bases:
            if qualified(module, base) in OFFSET_PAGINATION_CLASSES:
                views = _drf_list_views(project)
                places = views.get((module.path, node.name), [])
                if _names_class(_default_pagination(project), module, node):
                    places = sorted({*places, *views.get(DEFAULT, [])}, key=_place_order)
                if places and all(_lists_few_rows(project, place) for place in places):
                    return None
                return _with_list_views(_finding(
                    module, node, f"pagination class {node.name} extends "
                                  f"{qualified(module, base).rsplit('.', 1)[-1]}, which pages with OFFSET",
                    fix="extend rest_framework.pagination.CursorPagination (keyset paging on an indexed ordering)"), places)
        return None
    if len(node.targets) != 1:
        return None
    target = dotted(node.targets[0])
    if (target == "paginator_class" and _is_django_paginator(module, project, node.value)
            or target == "django_paginator_class" and qualified(module, node.value) in DJANGO_PAGINATOR) \
            and isinstance(module.parents.get(node), ast.ClassDef):  # a DRF class's own is judged with the class
        return _finding(module, node, f"{target} = {ast.unparse(node.value)}: the class pages its lists with "
                                      f"Django's Paginator, which pages with OFFSET",
                        fix=KEYSET_FIX + " (Django: filter on the last key, or DRF CursorPagination)",
                        confidence=Confidence.medium)
    if target == "paginate_by" and _pages_a_list_view(module, project, node):
        staff = _staff_only(project, module, module.parents[node])
        return _finding(module, node, f"paginate_by = {ast.unparse(node.value)}: the list view pages its queryset "
                                      f"with Django's Paginator, which pages with OFFSET"
                                      + (" (a list only staff with a permission open: few deep pages)" if staff else ""),
                        fix=KEYSET_FIX + " (Django: filter on the last key instead of ?page=N)",
                        confidence=Confidence.low if staff else Confidence.medium)
    if target == "pagination_class" and qualified(module, node.value) in OFFSET_PAGINATION_CLASSES \
            and not _lists_few_rows(project, _place_of(module, node)):
        return _finding(module, node, f"pagination_class = {ast.unparse(node.value)} pages with OFFSET",
                        fix="use rest_framework.pagination.CursorPagination (keyset paging on an indexed ordering)")
    if isinstance(node.value, ast.Dict):
        for key, value in zip(node.value.keys, node.value.values, strict=True):
            if string_value(key) == "DEFAULT_PAGINATION_CLASS" and string_value(value) in OFFSET_PAGINATION_CLASSES:
                return _with_list_views(
                    _finding(module, value, f"DEFAULT_PAGINATION_CLASS {string_value(value)} pages with OFFSET",
                             fix="set DEFAULT_PAGINATION_CLASS to rest_framework.pagination.CursorPagination"),
                    _drf_list_views(project).get(DEFAULT, []))
    return None


NESTED_VIEW_MIXINS = {"rest_framework_extensions.mixins.NestedViewSetMixin",
                      "rest_framework_nested.viewsets.NestedViewSetMixin"}


def _lists_few_rows(project: Project, place: str) -> bool:
    """Whether the DRF view class at ``place`` (``path:line``) lists one parent's or one user's rows, or a
    catalogue (``_lists_scoped_rows``, ``_lists_catalogue``)."""
    path, _, line = place.rpartition(":")
    module, cls = next(((m, c) for (p, _), (m, c) in _project_classes(project).items()
                        if p == path and str(c.lineno) == line), (None, None))
    if cls is None or any(isinstance(n, ast.Call) and dotted(n.func) == "self.paginate_queryset"
                          for n in walk_nodes(cls)):
        return False  # it also pages other rows of its own: a contract's enrollments
    return _lists_scoped_rows(module, cls) or _lists_catalogue(project, cls)


CATALOGUE_KEYS = re.compile(r"^(slug|readable_id)$")


def _lists_catalogue(project: Project, cls: ast.ClassDef) -> bool:
    """A view whose queryset (``queryset = Course.objects...``, a list view's ``model = Backend``, or every return
    of its ``get_queryset``, also through ``super().get_queryset()`` and ``self.model.objects``) lists a model of
    the project keyed by a unique human-chosen name for its URL (``readable_id = CharField(unique=True)``,
    ``slug = SlugField(unique=True)``, also declared by an abstract base): staff enter such rows one by one, a
    catalogue of courses, programs or job-runner backends stays small, so OFFSET over it costs nothing."""
    get_queryset = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "get_queryset"), None)
    own = [stmt.value for stmt in cls.body if isinstance(stmt, ast.Assign)
           and any(dotted(t) == "queryset" for t in stmt.targets)]
    own_models = {_manager_model(expr) for expr in own} - {None} or {
        stmt.value.id for stmt in cls.body if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
        and any(dotted(t) == "model" for t in stmt.targets)}
    if get_queryset is None:
        models = own_models
    else:
        listed = [expr for n in walk_function_body(get_queryset) if isinstance(n, ast.Return) and n.value is not None
                  for expr in _bound_expressions(get_queryset, n.value)]
        models = {_manager_model(expr) for expr in listed} - {None}
        if any(_reads_class_queryset(expr) for expr in listed):
            models |= own_models
    return bool(models) and models <= _catalogue_models(project)


def _reads_class_queryset(expr: ast.AST) -> bool:
    """``super().get_queryset()`` or ``self.model.objects...``: the rows of the class's ``queryset``/``model``."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get_queryset"
               and isinstance(n.func.value, ast.Call) and dotted(n.func.value.func) == "super"
               or dotted(n) == "self.model.objects" for n in walk_nodes(expr))


def _manager_model(expr: ast.AST) -> str | None:
    """``Course`` for ``Course.objects.filter(...)...``."""
    return next((node.value.id for node in walk_nodes(expr) if isinstance(node, ast.Attribute)
                 and node.attr == "objects" and isinstance(node.value, ast.Name)), None)


def _catalogue_models(project: Project) -> set[str]:
    """Names of the project's Django models with a unique ``slug`` or ``readable_id`` field (``CATALOGUE_KEYS``)."""
    found = project.facts.get("offset_pagination.catalogue_models")
    if found is None:
        found = {cls.name for module in project.modules if "unique=True" in module.text
                 for cls in module.nodes_of(ast.ClassDef) for stmt in cls.body
                 if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                 and CATALOGUE_KEYS.search(stmt.targets[0].id) and isinstance(stmt.value, ast.Call)
                 and any(k.arg == "unique" and isinstance(k.value, ast.Constant) and k.value.value is True
                         for k in stmt.value.keywords)}
        grown = True
        while grown:  # a model extending an abstract one that declares the key (``class Shelf(Labelled)``)
            more = {cls.name for module in project.modules if "models" in module.text
                    for cls in module.nodes_of(ast.ClassDef) if cls.name not in found
                    and any((dotted(base) or "").rpartition(".")[2] in found for base in cls.bases)}
            found |= more
            grown = bool(more)
        project.facts["offset_pagination.catalogue_models"] = found
    return found


def _lists_scoped_rows(module: SourceModule, cls: ast.ClassDef) -> bool:
    """Whether a DRF view class lists the rows of one parent or one person: a nested viewset (drf-extensions' or
    drf-nested-routers' ``NestedViewSetMixin`` filters the queryset by the parent's key in the URL: a discount's
    products) or a ``get_queryset`` whose every return keeps the requesting user's rows (``Order.objects.filter(purchaser=self.request.user)``: one user's orders). Pages of a handful of
    rows cost no deep OFFSET."""
    if any(qualified(module, base) in NESTED_VIEW_MIXINS for base in cls.bases):
        return True
    get_queryset = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "get_queryset"), None)
    returns = [n.value for n in walk_function_body(get_queryset) if isinstance(n, ast.Return)] if get_queryset else []
    return bool(returns) and all(value is not None and any(
        _is_request_user(_chain(expr)[0]) or any(_is_request_user(k.value) for k in _keywords(_chain(expr)[1]))
        for expr in _bound_expressions(get_queryset, value)) for value in returns)


def _handed_paginators(module: SourceModule, project: Project) -> Iterator[Finding]:
    """``RequestConfig(request, paginate={"paginator_class": EnhancedPaginator, "per_page": n})``,
    ``table.paginate(paginator_class=EnhancedPaginator, page=n)``: a table library (django-tables2) handed Django's
    ``Paginator`` or a project subclass of it pages the table's queryset with OFFSET."""
    for node in walk_nodes(module.tree):
        handed = []
        if isinstance(node, ast.keyword) and node.arg == "paginator_class" \
                and isinstance(module.parents.get(node), ast.Call):
            handed.append(node.value)
        elif isinstance(node, ast.Dict):
            handed += [v for k, v in zip(node.keys, node.values) if string_value(k) == "paginator_class"]
        for value in handed:
            if _is_django_paginator(module, project, value) and not _tables_hold_few_rows(module, project, node):
                yield _finding(module, value, f"paginator_class {ast.unparse(value)} handed to "
                                              f"{_handed_to(module, node)}: it pages with Django's Paginator, which "
                                              f"pages with OFFSET",
                               fix=KEYSET_FIX + " (django-tables2: LazyPaginator still pages with OFFSET; page by "
                                                "a key filter instead)", confidence=Confidence.medium)


def _tables_hold_few_rows(module: SourceModule, project: Project, setting: ast.AST) -> bool:
    """Whether every table a paginate setting pages is made over rows whose pages cost no deep OFFSET
    (``_pages_no_deep_offset``): a Python list (``InstalledAppsTable(data)`` after ``data = []; data.append(...)``),
    or one parent's children (``DeviceTable(Device.objects.filter(rack=instance))``, a rack's devices)."""
    fn = db.function_of(module, setting)
    tables = _paged_tables(module, fn, setting)
    rows = [data for table in tables for data in _table_data(fn, table)]
    if not tables or None in rows:
        return False
    assigned = {t.id for stmt in walk_function_body(fn) if isinstance(stmt, ast.Assign)
                for t in stmt.targets if isinstance(t, ast.Name)}
    origins = [expr for data in rows for expr in _bound_expressions(fn, data)  # not qs = qs.filter(...)
               if not (isinstance(_chain(expr)[0], ast.Name) and _chain(expr)[0].id in assigned)]
    return bool(origins) and all(_pages_no_deep_offset(module, project, fn, origin) for origin in origins)


def _paged_tables(module: SourceModule, fn: ast.AST, setting: ast.AST) -> list[ast.expr]:
    """The tables a paginate setting is applied to: ``table`` in ``table.paginate(paginator_class=...)`` and in
    ``RequestConfig(request, paginate).configure(table)`` (the dict given in place or bound to a name the
    function hands only to such calls); none when it goes anywhere else."""
    parent = module.parents.get(setting)
    if isinstance(setting, ast.keyword):
        paginate = isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
            and parent.func.attr == "paginate"
        return [parent.func.value] if paginate else []
    if isinstance(parent, ast.keyword):
        parent = module.parents.get(parent)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name) \
            and isinstance(fn, FUNCTION_TYPES):
        name = parent.targets[0].id
        configs = [node for node in walk_function_body(fn) if isinstance(node, ast.Name) and node.id == name
                   and isinstance(node.ctx, ast.Load)]
        configs = [module.parents.get(node) for node in configs]
        configs = [module.parents.get(c) if isinstance(c, ast.keyword) else c for c in configs]
    else:
        configs = [parent]
    tables = []
    for config in configs:
        attribute = module.parents.get(config)
        configure = module.parents.get(attribute)
        if not (isinstance(config, ast.Call) and isinstance(attribute, ast.Attribute) and attribute.attr == "configure"
                and isinstance(configure, ast.Call) and configure.args):
            return []
        tables.append(configure.args[0])
    return tables


def _table_data(fn: ast.AST, table: ast.expr) -> list[ast.expr | None]:
    """What each construction of ``table`` in ``fn`` is given as its rows (``DeviceTable(devices)``,
    ``self.table(data=rows)``); None for one given none."""
    made = [expr for expr in _bound_expressions(fn, table) if isinstance(expr, ast.Call)]
    return [call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "data"), None)
            for call in made] or [None]


def _handed_to(module: SourceModule, node: ast.AST) -> str:
    call = next((a for a in ancestors(module, node) if isinstance(a, ast.Call)), None)
    return f"{dotted(call.func) or 'a call'}()" if call is not None else "a paginate setting"


def _is_django_paginator(module: SourceModule, project: Project, node: ast.expr, depth: int = 4) -> bool:
    """Django's ``Paginator``, or a project class extending it (at any depth) that keeps its ``page()``: a
    subclass slicing in a ``page`` of its own is reported at that slice."""
    if qualified(module, node) in DJANGO_PAGINATOR:
        return True
    key = _class_key(module, project, node)
    found = _project_classes(project).get(key) if isinstance(key, tuple) else None
    if found is None or depth == 0:
        return False
    owner, cls = found
    if any(isinstance(m, FUNCTION_TYPES) and m.name == "page" for m in cls.body):
        return False
    return any(_is_django_paginator(owner, project, base, depth - 1) for base in cls.bases)


FEW_ROWS = 1000
DJANGO_LIST_VIEWS = {"django.views.generic.ListView", "django.views.generic.list.ListView",
                     "django.views.generic.list.BaseListView", "django.views.generic.list.MultipleObjectMixin"}


def _pages_a_list_view(module: SourceModule, project: Project, node: ast.Assign) -> bool:
    """``paginate_by = 25`` in a Django generic list view (or a project class extending one) whose
    ``get_queryset`` does not narrow the rows to the requesting user's own (``filter(owner=self.request.user)``)."""
    cls = module.parents.get(node)
    if not isinstance(cls, ast.ClassDef) or isinstance(node.value, ast.Constant) and node.value.value is None:
        return False
    if not _extends_django_list_view(project, module, cls):
        return False
    get_queryset = next((n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and n.name == "get_queryset"), None)
    if get_queryset is not None and any(_is_request_user(n) for n in walk_function_body(get_queryset)):
        return False
    return not _pages_a_built_list(cls) and not _lists_catalogue(project, cls)


def _pages_a_built_list(cls: ast.ClassDef) -> bool:
    """A list view whose ``get_context_data`` hands the paginator a Python list it built
    (``super().get_context_data(object_list=[present(e) for e in events], ...)``): the page is a slice of
    that list in memory, no OFFSET is sent."""
    own = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == "get_context_data"), None)
    if own is None:
        return False
    handed = [k.value for n in walk_function_body(own) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Attribute) and n.func.attr == "get_context_data"
              for k in n.keywords if k.arg == "object_list"]
    return bool(handed) and all(any(_is_plain_list(e) for e in _bound_expressions(own, value)) for value in handed)


STAFF_MIXINS = {"django.contrib.auth.mixins.PermissionRequiredMixin", "braces.views.PermissionRequiredMixin",
                "braces.views.StaffuserRequiredMixin", "braces.views.SuperuserRequiredMixin"}


def _staff_only(project: Project, module: SourceModule, cls: ast.ClassDef, depth: int = 4) -> bool:
    """A view only staff open: it (or a project base) extends Django's ``PermissionRequiredMixin`` (or a staff or
    superuser mixin of django-braces), ``class RequestedHats(LoginRequiredMixin, PermissionRequiredMixin,
    ListView)``; its list is paged by a few moderators, not by the public."""
    return any(key in STAFF_MIXINS or parent is not None and depth and _staff_only(project, *parent, depth - 1)
               for key, parent in _base_classes(project, module, cls))


def _extends_django_list_view(project: Project, module: SourceModule, cls: ast.ClassDef, depth: int = 4) -> bool:
    return any(key in DJANGO_LIST_VIEWS or parent is not None and depth
               and _extends_django_list_view(project, *parent, depth - 1)
               for key, parent in _base_classes(project, module, cls))


def _base_classes(project: Project, module: SourceModule,
                  cls: ast.ClassDef) -> Iterator[tuple[object, tuple[SourceModule, ast.ClassDef] | None]]:
    """Each base of ``cls``: its ``_class_key`` and, for a project class, its module and class."""
    for base in cls.bases:
        key = _class_key(module, project, base)
        yield key, _project_classes(project).get(key) if isinstance(key, tuple) else None


def _replaces_paging(cls: ast.ClassDef) -> bool:
    """A pagination class whose own ``paginate_queryset`` never calls the base's (``super()``) and refuses
    pages past a limit (``if end > self.max_result_window: raise ...``): no page starts deeper than that
    window, so no OFFSET grows with the page number (a search engine's capped hits)."""
    own = next((n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and n.name == "paginate_queryset"), None)
    if own is None:
        return False
    body = list(walk_function_body(own))
    calls_base = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "super" for n in body)
    refuses_deep_pages = any(isinstance(n, ast.If) and isinstance(n.test, ast.Compare)
                             and any(isinstance(s, ast.Raise) for s in n.body) for n in body)
    return not calls_base and refuses_deep_pages


def _counts_a_fixed_few(module: SourceModule, project: Project, cls: ast.ClassDef) -> bool:
    """A pagination class whose ``django_paginator_class`` has a ``count`` returning a small constant
    (``return 50``): no page starts past that many rows, whatever the page number."""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(dotted(t) == "django_paginator_class" for t in stmt.targets):
            paginator = _project_classes(project).get(_class_key(module, project, stmt.value))
            count = next((n for n in paginator[1].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and n.name == "count"), None) if paginator else None
            returns = [n.value for n in walk_function_body(count) if isinstance(n, ast.Return)] if count else []
            return bool(returns) and all(isinstance(r, ast.Constant) and isinstance(r.value, int)
                                         and 0 <= r.value <= FEW_ROWS for r in returns)
    return False


def _with_list_views(finding: Finding, places: list[str]) -> Finding:
    """The finding of a pagination class, standing for the list views it pages (kept in ``extra``)."""
    if not places:
        return finding
    views = "one list view pages" if len(places) == 1 else f"{len(places)} list views page"
    return replace(code_base_finding(finding, places, f"{finding.message}: {views} with it "
                                                      f"({shown_places(places)})", finding.fix),
                   confidence=finding.confidence)


DEFAULT = "DEFAULT_PAGINATION_CLASS"
DRF_LIST_VIEWS = {"rest_framework.generics.ListAPIView", "rest_framework.generics.ListCreateAPIView",
                  "rest_framework.viewsets.ModelViewSet", "rest_framework.viewsets.ReadOnlyModelViewSet",
                  "rest_framework.mixins.ListModelMixin"}


def _default_pagination(project: Project) -> str | None:
    """The dotted name set as ``DEFAULT_PAGINATION_CLASS`` in the project's REST framework settings."""
    for module in project.modules:
        if DEFAULT in module.text:
            for node in module.nodes_of(ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if string_value(key) == DEFAULT and string_value(value):
                        return string_value(value)
    return None


def _names_class(name: str | None, module: SourceModule, cls: ast.ClassDef) -> bool:
    owner, _, class_name = (name or "").rpartition(".")
    return class_name == cls.name and f".{module.dotted_name}".endswith(f".{owner}")


def _drf_list_views(project: Project) -> dict[object, list[str]]:
    """The places that page a list through DRF, by the pagination they use: a project class's
    (path, name), or ``DEFAULT``. A list view is a generic list view or viewset (or one calling
    ``self.paginate_queryset``) and its place is its class; a view reading
    ``api_settings.DEFAULT_PAGINATION_CLASS`` itself is placed at its ``paginate_queryset`` calls."""
    found = project.facts.get("offset_pagination.drf_list_views")
    if found is not None:
        return found
    found = {}
    classes = _project_classes(project)
    for (path, name), (module, cls) in classes.items():
        if not module.imports_module("rest_framework") or not _is_list_view(project, module, cls):
            continue
        pagination = _pagination_class_of(project, module, cls)
        if pagination is None:
            key: object = DEFAULT
        elif isinstance(pagination, ast.Constant):
            continue  # pagination_class = None
        else:
            key = _class_key(*pagination)
            key = DEFAULT if isinstance(key, str) and key.endswith(f".{DEFAULT}") else key
        found.setdefault(key, []).append(f"{path}:{cls.lineno}")
    for module in project.modules:
        if DEFAULT not in module.text or not module.imports_module("rest_framework"):
            continue
        for fn in module.nodes_of(ast.FunctionDef, ast.AsyncFunctionDef):
            body = list(walk_function_body(fn))
            if any(isinstance(n, ast.Attribute) and n.attr == DEFAULT for n in body):
                found.setdefault(DEFAULT, []).extend(
                    f"{module.path}:{n.lineno}" for n in body if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute) and n.func.attr == "paginate_queryset")
    found = {key: sorted(set(places), key=_place_order) for key, places in found.items()}
    project.facts["offset_pagination.drf_list_views"] = found
    return found


def _place_order(place: str) -> tuple[str, int]:
    path, _, line = place.rpartition(":")
    return path, int(line)


def _is_list_view(project: Project, module: SourceModule, cls: ast.ClassDef, depth: int = 4) -> bool:
    if any(isinstance(n, ast.Call) and dotted(n.func) == "self.paginate_queryset" for n in walk_nodes(cls)):
        return True
    return any(key in DRF_LIST_VIEWS or parent is not None and depth and _is_list_view(project, *parent, depth - 1)
               for key, parent in _base_classes(project, module, cls))


def _pagination_class_of(project: Project, module: SourceModule, cls: ast.ClassDef,
                         depth: int = 4) -> tuple[SourceModule, Project, ast.expr] | ast.Constant | None:
    """What ``pagination_class`` a view sets, in its body or a project base's: the arguments
    ``_class_key`` resolves it with, the constant it sets (None), or None when it sets none."""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(dotted(t) == "pagination_class" for t in stmt.targets):
            return stmt.value if isinstance(stmt.value, ast.Constant) else (module, project, stmt.value)
    for base in cls.bases if depth else []:
        parent = _project_classes(project).get(_class_key(module, project, base))
        found = _pagination_class_of(project, *parent, depth - 1) if parent is not None else None
        if found is not None:
            return found
    return None


def _project_classes(project: Project) -> dict[tuple[str, str], tuple[SourceModule, ast.ClassDef]]:
    """Every module-level class of the checked modules (not tests, not migrations) by (module path, class name)."""
    found = project.facts.get("offset_pagination.classes")
    if found is None:
        found = {(m.path, n.name): (m, n) for m in project.modules if not db.skipped_module(m)
                 for n in m.tree.body if isinstance(n, ast.ClassDef)}
        project.facts["offset_pagination.classes"] = found
    return found


# -- SQL side: OFFSET in the SQL text the code sends ----------------------------------------
# (appended to the code side's module: one rule, one module)

from sqlglot import exp  # noqa: E402

from audit_lib.sql.keyset import keyset_rewrite, seeks_from_a_key  # noqa: E402
from audit_lib.sql.model import FoundQuery  # noqa: E402
from audit_lib.sql.parse import parse  # noqa: E402
from audit_lib.sql.sites import site_evidence  # noqa: E402


@rule("R1.offset-pagination", on="query", scope="code+sql", severity="medium")
def check_sql(query: FoundQuery, project: Project) -> Iterator[Finding]:
    """``OFFSET $1``, ``OFFSET :skip``, ``OFFSET 100`` in a query the code sends.

    A statement whose table name the code fills in (``"SELECT ... FROM %s ORDER BY id LIMIT %s OFFSET %s" %
    (table, size, done)``, a batch walk of a table) is read with the name as a parameter.

    Not ``OFFSET 0``, nor an offset taken from a keyset cursor (``WHERE id > $1 ORDER BY id
    LIMIT 1 OFFSET 1000`` finds the end of the next batch: it reads one batch, not every page),
    nor a random pick (``OFFSET FLOOR(RANDOM() * (SELECT COUNT(*) ...)) LIMIT 1``), nor an OFFSET
    with no LIMIT (every row after the first N: a skip, not a page), nor a page of rows picked by a list
    of keys the caller passes (``WHERE a.gid IN %s``, ``id = ANY(:ids)``): the set is as small as the list.
    """
    statement = query.statement if query.statement is not None else _with_dynamic_names(query)
    if statement is None:
        yield from _unparsed_pages(query, project)
        return
    paging = [(o, o.parent or statement) for o in statement.find_all(exp.Offset) if _skips_rows(o.expression)
              and not o.expression.find(exp.Rand) and (o.parent or statement).args.get("limit") is not None]
    offset, paged = next(((o, p) for o, p in paging if not seeks_from_a_key(p) and not _bounded_by_keys(p)),
                         (None, None))
    if offset is None:
        return
    constant = isinstance(offset.expression, exp.Literal)
    what = f"OFFSET {offset.expression.sql(dialect='postgres')}" if constant else "a variable OFFSET"
    for site in query.sites:
        yield Finding(
            message=f"query pages with {what}: each page reads and discards every row before it",
            path=site.path,
            line=site.line,
            evidence=site_evidence(project, site, query),
            fix=f"{keyset_rewrite(paged)}, with an index on the ORDER BY columns; return the last row's key "
                "as the next-page cursor",
            confidence=Confidence.medium if constant else Confidence.high,
            queries=[query.id],
        )
        if not constant:
            yield from _caller_findings(project, site.path, site.line, query.id)


# ``... LIMIT ? OFFSET ?`` ending a statement, the OFFSET a bound value (``?``, ``%s``, ``%(offset)s``, ``:offset``,
# ``$1``, web.py's ``$offset``)
TRAILING_BOUND_OFFSET = re.compile(r"(?is)\bLIMIT\s+(\?|%s|%\(\w+\)s|:\w+|\$\w+)\s+OFFSET\s+(\?|%s|%\(\w+\)s|:\w+|\$\w+)"
                                   r"\s*;?\s*(--[^\n]*\s*)*$")
PAGE_START_PARAMETER = re.compile(r"^(offset|skip|start|page|page_?(num|number|no|index))$")


def _unparsed_pages(query: FoundQuery, project: Project) -> Iterator[Finding]:
    """A statement the code assembles from parts (``WHERE {conditions} ORDER BY {column} {direction} LIMIT ?
    OFFSET ?``, a filter or an order the caller chooses), which the SQL side cannot parse, ending in ``LIMIT ?
    OFFSET ?``: reported at each site whose function takes a page start (``offset``, ``skip``, ``page``, ...) and
    hands it to the call. A filled-in clause might hold a keyset seek, but an OFFSET fed by a page parameter still
    reads and discards the rows before the page."""
    if not TRAILING_BOUND_OFFSET.search(query.sql):
        return
    reported = project.facts.setdefault("offset_pagination.unparsed_sites", set())  # a call sending either of two
    for site in query.sites:                                                         # branches' statements
        if (site.path, site.line) in reported:
            continue
        module, fn, starts = _page_starts_sent(project, site.path, site.line)
        calls = {start: _page_start_callers(project, module, fn, start) for start in starts}
        if not calls or all(called and not given for called, given, _ in calls.values()):
            continue  # def list_grants(..., offset=None) that no call hands an offset: no OFFSET is sent
        reported.add((site.path, site.line))
        yield Finding(
            message="query pages with a variable OFFSET (LIMIT ? OFFSET ? after a filter and order the code "
                    "fills in): each page reads and discards every row before it",
            path=site.path, line=site.line, evidence=site_evidence(project, site, query),
            fix=KEYSET_FIX, confidence=Confidence.medium, queries=[query.id])
        yield from _caller_findings(project, site.path, site.line, query.id, starts)


def _binds_page_start(project: Project, path: str, line: int) -> bool:
    """Whether the call sending a query at ``path:line`` sits in a function with a page-start parameter
    (``offset``, ``page``, ...) that the call's arguments use, directly or through a list or dict of parameters
    the function builds (``params.extend([limit, offset])``, ``params["offset"] = offset``)."""
    return bool(_page_starts_sent(project, path, line)[2])


def _page_starts_sent(project: Project, path: str, line: int) -> tuple[SourceModule | None, ast.AST | None, set[str]]:
    """The module and function of the call sending a query at ``path:line`` and the page-start parameters of the
    function that the call's arguments use (see ``_binds_page_start``)."""
    module = next((m for m in project.modules if m.path == path), None)
    if module is None:
        return None, None, set()
    call = next((c for c in module.nodes_of(ast.Call) if c.lineno <= line <= (c.end_lineno or c.lineno)
                 and isinstance(c.func, ast.Attribute) and c.args), None)
    fn = db.function_of(module, call) if call is not None else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return module, None, set()
    starts = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)
              if PAGE_START_PARAMETER.search(a.arg)}
    if not starts:
        return module, fn, set()
    feeds: list[tuple[str, list[ast.expr]]] = []  # params.extend([limit, offset]), params = [..., page * per_page]
    for node in walk_function_body(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("extend", "append") \
                and isinstance(node.func.value, ast.Name):
            feeds.append((node.func.value.id, node.args))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            feeds.append((node.targets[0].id, [node.value]))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript) \
                and isinstance(node.targets[0].value, ast.Name):  # params["offset"] = offset
            feeds.append((node.targets[0].value.id, [node.value]))
    sent = {n.id for a in [*call.args[1:], *(k.value for k in call.keywords)] for n in walk_nodes(a)
            if isinstance(n, ast.Name)}  # db.query(sql, vars=data) too
    grew = True
    while grew:
        before = len(sent)
        sent |= {n.id for target, values in feeds if target in sent for v in values for n in walk_nodes(v)
                 if isinstance(n, ast.Name)}
        grew = len(sent) > before
    return module, fn, starts & sent


PAGE_START_TEXT = re.compile(r"(?i)offset|page|skip|start")


def _page_start_callers(project: Project, module: SourceModule, fn: ast.AST, parameter: str,
                        depth: int = 3) -> tuple[bool, bool, list[tuple[SourceModule, ast.Call, ast.expr, str]]]:
    """The calls of ``fn`` in the code base that hand it a page start for its ``parameter`` (``offset=(page - 1) *
    20``, ``offset=int(request.args.get("offset", 0))``: the listing that picks the page), also through wrappers
    that pass their own parameter on (``def list_reviews(..., offset=None): return fetch(conn, offset=offset)``),
    whether the code base calls ``fn`` and whether any call passes the parameter at all. Not a constant (``offset=0``, the first page) nor a
    position that is no page start (``offset=count - n``: the Nth row)."""
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or depth <= 0:
        return False, False, []
    names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if names[:1] in (["self"], ["cls"]):
        names = names[1:]
    position = names.index(parameter) if parameter in names else None
    called, given, found = False, False, []
    for other in project.modules:
        if fn.name not in other.text or db.skipped_module(other):
            continue
        for call in other.nodes_of(ast.Call):
            callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
            if callee != fn.name or any(isinstance(a, ast.Starred) for a in call.args):
                continue
            resolved = db.resolve_function(other, project, call, reexports=True)
            if resolved is None or resolved[1] is not fn:
                continue
            called = True
            value = next((k.value for k in call.keywords if k.arg == parameter), None)
            if value is None and position is not None and position < len(call.args):
                value = call.args[position]
            if value is None:
                continue
            given = True
            caller = db.function_of(other, call)
            own = {a.arg for a in (*caller.args.posonlyargs, *caller.args.args, *caller.args.kwonlyargs)} \
                if isinstance(caller, (ast.FunctionDef, ast.AsyncFunctionDef)) else set()
            if isinstance(value, ast.Name) and value.id in own:  # a wrapper passing its own parameter on
                found.extend(_page_start_callers(project, other, caller, value.id, depth - 1)[2])
                continue
            bound = _bound_expressions(caller, value)
            if isinstance(value, ast.Constant) or len(bound) > 1 and all(isinstance(e, ast.Constant) for e in bound[1:]):
                continue  # offset=0, reviews_offset = 0; ...(offset=reviews_offset): the first page
            if any(PAGE_START_TEXT.search(ast.unparse(e)) or any(isinstance(n, ast.Mult) for n in walk_nodes(e))
                   for e in bound):
                found.append((other, call, value, fn.name))
    return called, given, found


def _caller_findings(project: Project, path: str, line: int, query_id: str,
                     starts: set[str] | None = None) -> Iterator[Finding]:
    """A finding at each call that hands the function sending the paged query at ``path:line`` a page start:
    the view or job that picks the page (``offset=(page - 1) * 12`` from ``?page=``), once per call."""
    module, fn, sent = _page_starts_sent(project, path, line)
    reported = project.facts.setdefault("offset_pagination.caller_sites", set())
    for parameter in sorted(sent if starts is None else starts):
        for other, call, value, name in _page_start_callers(project, module, fn, parameter)[2]:
            if (other.path, call.lineno) in reported:
                continue
            reported.add((other.path, call.lineno))
            yield replace(_finding(other, call, f"{name}() is handed the page start {ast.unparse(value)}, which its "
                                                f"query sends as OFFSET (at {path}:{line}): this page reads and "
                                                f"discards every row before it", confidence=Confidence.medium),
                          queries=[query_id])


# Where a value the code fills in stands for a clause (``FROM t {where}``, ``WHERE {cond}``, ``AND {cond}``):
# a condition there could be a keyset seek or a list of keys, which the statement does not show.
CLAUSE_HOLES = (exp.Where, exp.Having, exp.TableAlias, exp.And, exp.Or)


def _with_dynamic_names(query: FoundQuery) -> exp.Expression | None:
    """The statement of a query left unparsed because the code fills in a name (``FROM {table}``), parsed
    with each filled-in part as a parameter, when no part stands for a clause; None otherwise."""
    if not (query.parse_error or "").startswith("dynamic SQL") or "OFFSET" not in query.normalized.upper():
        return None
    statement, _ = parse(query.normalized)
    if statement is None or any(isinstance(p.parent, CLAUSE_HOLES)
                                for p in statement.find_all(exp.Parameter, exp.Placeholder)):
        return None
    return statement


KEY_COLUMN = re.compile(r"(?i)^(id|gid|uuid|guid|pk|key|slug)$")  # the table's own key, not a foreign one


def _bounded_by_keys(select: exp.Expression) -> bool:
    """A WHERE that keeps only the rows whose key is in a list the caller binds (``a.gid IN %s``,
    ``id IN (:a, :b)``, ``id = ANY(:ids)``): the rows paged are at most the keys given (times a grouping),
    never a table to walk page by page."""
    where = select.args.get("where")
    if where is None:
        return False
    for condition in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        column, values = None, []
        if isinstance(condition, exp.In) and not condition.args.get("query"):
            column, values = condition.this, [condition.args.get("field"), *condition.expressions]
        elif isinstance(condition, exp.EQ) and isinstance(condition.expression, exp.Any):
            column, values = condition.this, [condition.expression.this]
        values = [v for v in values if v is not None]
        if isinstance(column, exp.Column) and KEY_COLUMN.search(column.name) and values \
                and all(v.find(exp.Placeholder, exp.Parameter) and not v.find(exp.Select) for v in values):
            return True
    return False


def _skips_rows(value: exp.Expression | None) -> bool:
    """A variable offset, or a constant other than 0 (and NULL, which PostgreSQL reads as 0)."""
    if value is None or isinstance(value, exp.Null):
        return False
    if isinstance(value, exp.Literal) and not value.is_string:
        try:
            return float(value.this) != 0
        except ValueError:
            return True
    return True
