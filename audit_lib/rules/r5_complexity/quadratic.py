"""R5.quadratic: work that grows with the square of the input.

## What it does
Reports work inside loops that grows with the square of the input. Inside loops that
walk a collection (not a constant literal or a `range` of constants), it reports:

- a loop nested in another loop over the same collection (`for a in xs: for b in xs`,
  `range(len(xs))` twice, a comprehension inside a loop over the same list), or nested
  loops over two collections that both come from the request body, also through the names they
  are bound to (not an inner loop over the outer item's own part, `for values in request.form.listvalues():
  for value in values`: each value is walked once), or are the rows a Django query picks by such a list
  (`Media.objects.filter(token__in=request.data["media_ids"])`: as many as the client names), or an
  inner loop that picks each outer item's matches by equality (`for pk in locale_pks: [e for e in rows
  if e["locale"] == pk]`: a join done by scanning) where both walk a list from the request body or
  the rows of a query as large as the data (not one parent's rows, not a sliced page);
- a linear scan of a list: `x in seen` / `x not in seen`, `seen.index(x)`,
  `seen.count(x)`, `seen.remove(x)`, where `seen` is known to be a list (a list
  literal or `list()` that the function grows, `list(...)`, a list comprehension, a `.fetchall()`
  or `.getlist()` result, a Redis list's members, `lrange(key, 0, -1)`, rq's `queue.get_job_ids()`, a
  parameter annotated `list[...]`), and `x in [y.id for y in ys]` or
  `x in {y.id for y in ys}` / `x in set(ys)`, which rebuild the list or the set on every pass; also `x in rows` where `rows` holds a Django or SQLAlchemy query
  (or a list made of it) as large as the data: a whole table, rows picked by flags (constants, enum members:
  `type=Kind.DONE.value`) or by a list the client sent (a QuerySet caches its rows in a list and `in` scans
  it), tested in a loop over a model's query (also through the project's own QuerySet methods,
  `Voting.objects.due_soon()`) or the request's list. One parent's rows (`filter(issue_id=issue_id)`) and rows
  picked by one object's relation (`encoding__in=media.encodings.all()`) are a handful: not reported;
- a join done by scanning a batch against the rows a query picked by that batch's keys (`ids = [e.id for e in
  edits]; for row in rows_by(Blob.id.in_(ids)): next(e for e in edits if e.id == row.id)`; also keys copied,
  `list({k[0] for k in keys})`, or picked from the batch's rows, `job_id__in=self.queryset.values_list("job_id")`
  of a batch the method itself keeps on `self`): one row per item, O(n²) in the batch whatever its origin, unless the batch is a slice capped by a constant (`rows =
  query[:batch_size]`, `batch_size = 500`). Rows also pinned to one parent (`estimate_id=estimate_id`: an
  estimate's few points) are a handful; a tenant's (`project_id`, `organization_id`, `workspace_id`) are not;
- a scan of a list that a long-lived object keeps growing (an attribute its methods `append` to, never a set,
  dict or a field or method its class body declares, such as SQLAlchemy's `@declared_attr def acl(cls)`, nor one
  it fills only while it is built, in `__init__` or a private method only `__init__` runs: a form's
  `self.relationships`, one per relationship of its model; `self.chain` of an operation, `self.sessions` of a server) inside
  a loop: a join by equality (`for pid in ids: next(s for s in self.steps if s.id == pid)`), `x in self.seen`,
  `self.steps.remove(s)`, or a call of a method of the class that returns such a scan
  (`await self.unfinished_links(agent.paw)`). The list holds every item the object has seen; a loop over a
  class, a constant (`for status in Status`) or an entry of a configuration (`module.app_settings.get("applications")
  or []`, `self.config["plugins"]`) walks a handful, and so does a list it fills only from such loops while walking
  itself (resolving the dependencies the configured applications name);
- a sort key that looks each item's place up in a list (`sorted(rows, key=lambda r: ids.index(r[0]))`,
  `rows.sort(key=ids.index)`, to keep the order the client gave): the items are that list's own, so the list
  alone needs to be the data's;
- a string (or `bytes`, or one started as `"" if decode else b""`) built with `+=` (or `s = s + ...`) on each
  pass of the loop (only the
  loops inside the one that starts it afresh count: `for w in rows: links = ""; for a in
  w.artifacts: links += ...` grows with one row's artifacts; an attribute of a loop's item is
  that item's, not the loop's collection; nor a loop over one object's relation, `recipe.keywords.all()`, also
  through a local or `enumerate(...)`, or a list gathered from such relations);
- a frame or array grown by concatenation on each pass of the loop (`df = pd.concat([df, part])`,
  `arr = np.concatenate([arr, row])`, `np.append`, `np.vstack`): each pass copies all built so far, as with `+=`;
- whatever the sizes: a text field of a model object grown on every pass of a loop over a collection and
  saved on every pass (`for row in rows: job.log += describe(row); job.save()`: the whole text is written to
  the database again each time; only over records, a list held by name or query rows, not one object's
  relation, `recipe.keywords.all()`, or the parts of one document, `page.find_all("p")`; a number or a
  duration added, `job.next_run += timedelta(days=1)`, is no text), a method that appends what it is given to a
  text field of its own object and saves the object (`def append_to_log(self, message): self.log = self.log +
  message + "\n"; self.save(update_fields=["log"])`: called once per line, each call writes the whole text again;
  growth by a constant, a footer, is not reported), a text grown with
  every chunk of a stream (an `async for`, or `r.iter_lines()` of an HTTP body) and parsed whole as JSON again
  on the same pass (`call.text += chunk.delta; call.input = parse_partial_json(call.text)`, `json.loads`,
  `model_validate_json`, or a function of the module that hands its parameter to one), and
  `items.remove(x)` inside `for x in items` (each removal rescans the list, and the loop skips the item
  after the removed one; `for x in list(items)` walks a copy, and a removal followed by `break` runs once),
  `items.index(x)` inside `for x in items` (the item's own place looked up again on each pass, where `enumerate()`
  hands it over; not in a loop that grows the list), and
  a loop over a property of the project that reads a file's lines on every access (`for ts in watch.history:`
  where `history` walks `f.readlines()` into a dict) that looks each item up in it again, directly
  (`watch.history[ts]`) or through a method that does (`watch.snapshot(timestamp=ts)` doing
  `self.history[timestamp]`): the file is read whole once per item. A property that parses a configuration
  document whole (`json.load(f)`) is not one of these.

Only where every size that multiplies is the data's: a collection read from the request
body (a request handler's `list[...]` parameters, the lists of a handler's pydantic body
parameter, and its `list[...]` fields read through `self` in the model's own validators, the `fields.List`
arguments of a webargs `@use_kwargs` read from the body, `request.json[...]`,
`request.form.getlist(...)`, a submitted form's fields, `form.file.data` of `form = ImportForm()`), from query
rows in the same
function (`fetchall()`, `.all()`, `.filter(...)`; not the rows read off a loop's item, `m.encodings.all()`
of each `m`: one item's children (also when the loop writes back into the item, `obj.data[key] = values`), nor `self.roles.all()` / `self.rank.roles.all()` /
`getattr(self.policy, f"{kind}_webhooks")` in a method, also through a local bound to such an attribute
(`group = self.bgp_group; group.communities.all()`): the object's own related rows, nor a parameter narrowed or ordered (`users.order_by("slug")` of an admin action's selection: the
rows the caller chose), nor those a filter pins to one row's key, `filter_by(task_id=task.id)`,
`filter(photo=self)`, `where(Member.team_id == team.id)`, `where(Episode.series_id == series_id)` executed and
fetched, also built by a method of the class, `self.get_connections()` returning
`Connection.objects.filter(exchange=self)`, not a tenant's key such as `project_id`, unless a list picks them too), from a whole Redis key or pattern (`smembers()`,
`lrange(key, 0, -1)`, `keys("lock:*")`, rq's `get_job_ids()`; also returned by a plain function of the
project called there, `jobs = list(rq_job_ids())`, followed one call deep: a service function's query
rows are not, they are as often a configuration table's as the data's, unless it lists every row of a table with no
filter at all, `return session.query(HostCategoryUrl).order_by(HostCategoryUrl.id).all()`), the chunks or lines of an HTTP body read as a stream
(`resp.aiter_bytes()`, `r.iter_content()`, `r.iter_lines()`: as long as the sender makes it), the records an outside API
lists (`r.json()` of `r = requests.get(url)` or of a client's or session's request, also returned by a plain function
of the project called there: a sync of a remote catalogue against the table's rows; also a response's whole body,
`r.content`, and what it is opened as, `with bz2.open(BytesIO(r.content)) as feed`, walked by a reader,
`csv.reader(feed)`, here or in the helper it is handed to), or a model's children (an SQLAlchemy
`relationship()` or `backref` collection such as `source.submissions`, or a model property
that gathers them; not a many-to-many set through an association table, `relationship("Tag",
secondary=...)`: one object's tags or destinations are a handful), followed through the names
it is assigned to and grown from, as they stand where they are read (a name rebound
later, or in the other branch of an `if`, does not count). A scan of a list that the
loop around it grows itself (`if x not in seen: seen.append(x)`, also the list a dict holds under a key,
`if pk not in result[model]: result[model].append(pk)`) needs only that loop's
collection to be the data's (not a list that loop starts afresh on each pass, `for m in rows: subs = []`:
one item's part); any other scan needs both the list and a loop around it to
be, and when the value looked for is only loop items (`for o in rows: for name in fields: if name in
nullified`), only the loops that bind them, or whose items their collections are read from, count: the test
does not vary with `rows`, and a form's few field names tested against the names a user ticked are a handful.
A helper's parameter counts when a caller in the project's service code hands it such a collection, followed up
to two calls (`get_members(bills)` in a model's `import_bills(self, bills)` that a handler hands the upload it
parsed; calls of a method only when no other function bears its name; not one item of a loop over such a
collection, `count_repeats(batch)` for each `batch`: its own size). Other collections of unknown origin
(a helper's parameters no caller fills so, another function's result,
configuration, settings, a model's columns, request headers, the query string
(`request.args`, `request.GET`: servers cut the request line at a few kilobytes)) are not judged, even in a
handler: O(n²) is a hard stop for client-provided inputs, and most other lists (custom
fields, installed plugins, one object's children) are small by design. The rule reports
only what it can be sure of, and misses quadratic work over such collections.

Membership tests on sets, dicts, strings (substring tests) and list literals that are
never grown, of the first part of a dotted or colon-separated name (`names[0]` of `names = event_type.split(".")`:
a list of distinct namespaces holds a handful), loops over constants, lists made afresh for each item, a string grown only under a
length cap (`if len(text + piece) <= 3000: text += piece`) or once on the way out of the loop
(`text += "..."; break`), and code that runs
once or by hand (at import, in migration revisions, in tests, in Django management
commands, in `docs/` and `examples/`, in set-up modules such as `seed.py`, in scripts outside the
service's packages that only a `__main__` block runs, in functions only the commands of a command-line module
call, even one the service imports for something else) are fine. Such a command's helper is still reported, at low
confidence, when what makes it quadratic is a body an outside server sends (a routing table a cron job downloads
and walks with `mrtparse.Reader(content)`, deduplicating it in a list).

## Why is this bad?
Each of these turns an O(n) pass into O(n²): with 10 000 items that is 100 million
steps. When n comes from the client (a request body, an upload, a query without a
limit) one request can pin a worker for minutes: O(n²) is a hard stop for
client-provided inputs; reach for a set or a dict for lookups and dedupe, and join
strings once (Backend Posture R5).

## Example
```python
@app.post("/invites")
def dedupe(emails: list[str]) -> list[str]:
    unique = []
    for email in emails:
        if email not in unique:
            unique.append(email)
    return unique
```

## Use instead
```python
@app.post("/invites")
def dedupe(emails: list[str]) -> list[str]:
    return list(dict.fromkeys(emails))   # O(n), keeps the order
```

## References
- Python time complexity: https://wiki.python.org/moin/TimeComplexity
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from functools import lru_cache, partial
from typing import Iterator

from audit_lib.findings import Confidence, Finding
from audit_lib.pyast import (
    FUNCTION_TYPES,
    annotation_expr,
    call_name,
    dotted,
    enclosing_function,
    keyword,
    method_name,
    qualified,
    scope_of,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.libs import http
from audit_lib.libs.web import handler_of
from audit_lib.registry import rule
from audit_lib.rules.r5_complexity._common import (
    COMPREHENSIONS,
    BYTES,
    DICT_VIEWS,
    LIST,
    PASS_THROUGH_CALLS,
    STR,
    LoopSite,
    enclosing_loop_sites,
    is_fixed_source,
    is_offline_module,
    is_list_annotation,
    is_list_expression,
    opened_files,
    own_parameters,
    is_request_derived,
    loop_sites,
    name_kinds,
    runs_offline,
    walked_collection,
    walks_a_collection,
)
from audit_lib.operator_code import run_by_operators
from audit_lib.source import Project, SourceModule, is_management_command

LINEAR_LIST_METHODS = {"index", "count", "remove"}
ROW_READS = {  # calls that hand back query rows: their number is the data's, not the code's
    "fetchall", "fetchmany", "fetch", "all", "scalars", "values_list", "values", "iterator",
    "filter", "filter_by", "exclude", "order_by", "select_related", "prefetch_related",
}


@rule("R5.quadratic", on="module", scope="code", severity="medium")
def check(module: SourceModule, project: Project) -> Iterator[Finding]:
    if runs_offline(module, project) or is_management_command(module.path) \
            or "for " not in module.text and ".index" not in module.text and ".save(" not in module.text:
        return  # a sort key and a text appended per call need no loop
    kinds_by_scope: dict[ast.AST, dict[str, set[str]]] = {}

    def kinds(node: ast.AST) -> dict[str, set[str]]:
        scope = scope_of(module, node)
        if scope not in kinds_by_scope:
            kinds_by_scope[scope] = name_kinds(module, scope)
        return kinds_by_scope[scope]

    reported: set[int] = set()
    for finding, node, groups in _findings(module, kinds):
        if finding.line in reported or not _data_sized(module, project, node, groups):
            continue
        if _command_helper(module, project, node):
            if not _data_sized(module, project, node, groups, downloaded=True):
                continue
            finding = replace(finding, confidence=Confidence.low,
                              message=f"{finding.message} (in a command-line job over a downloaded feed: run from "
                                      "cron, the job's time grows with the square of the feed's size)")
        reported.add(finding.line)
        yield finding
    for finding in [*_property_rereads(module, project), *_texts_appended_per_call(module)]:
        if finding.line not in reported:
            reported.add(finding.line)
            yield finding


def _command_helper(module: SourceModule, project: Project, node: ast.AST) -> bool:
    """In a function only the commands of a command-line module run (``ManagePrefs.fetch_prefs()`` of a typer
    command in a ``setup.py`` the service also imports for another function): an operator's one-off run."""
    return handler_of(module, node, project) is None \
        and run_by_operators(module, project, enclosing_function(module, node))


REREAD_PROPERTIES = "R5.quadratic:reread-properties"
LINE_SPLITS = {"readlines", "splitlines"}


def _rereading_properties(project: Project) -> dict[str, set[tuple[str, str, int]]]:
    """Properties of the project's classes that read a file and walk it on every access (``@property def
    history(self)`` that reads ``history.txt`` line by line into a dict), by name, with the methods that look one
    key up in them: ``{"history": {("get_history_snapshot", "timestamp", 0)}}`` for ``self.history[timestamp]``
    (the parameter's name and position after ``self``)."""
    if REREAD_PROPERTIES not in project.facts:
        found: dict[str, set[tuple[str, str, int]]] = {}
        for module in project.modules:
            if "@property" not in module.text or is_offline_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                methods = [fn for fn in cls.body if isinstance(fn, FUNCTION_TYPES)]
                rereading = {fn.name for fn in methods if any(dotted(d) == "property" for d in fn.decorator_list)
                             and _walks_a_file(fn)}
                for fn in methods:
                    own = [a.arg for a in fn.args.args[1:]]
                    for node in walk_nodes(fn):
                        if isinstance(node, ast.Subscript) and _self_attribute(node.value) & rereading \
                                and isinstance(node.slice, ast.Name) and node.slice.id in own:
                            found.setdefault(node.value.attr, set()).add(
                                (fn.name, node.slice.id, own.index(node.slice.id)))
                for name in rereading:
                    found.setdefault(name, set())
        project.facts[REREAD_PROPERTIES] = found
    return project.facts[REREAD_PROPERTIES]


def _walks_a_file(fn: ast.AST) -> bool:
    """The function walks the lines of a file (``for line in f.readlines()``, ``for line in f`` of ``with open(path)
    as f``, ``text.splitlines()``): a file kept one record a line, that grows with the data (not a configuration
    document parsed whole, ``json.load(f)``)."""
    handles = {name.id for name, _ in opened_files(walk_nodes(fn))}
    return any(isinstance(n, (ast.For, ast.comprehension)) and (
        isinstance(n.iter, ast.Call) and method_name(n.iter) in LINE_SPLITS
        or isinstance(n.iter, ast.Name) and n.iter.id in handles) for n in walk_nodes(fn))


def _property_rereads(module: SourceModule, project: Project) -> Iterator[Finding]:
    """``for ts in watch.history.keys(): watch.get_history_snapshot(timestamp=ts)`` where ``history`` is a property
    that reads and walks a file on every access and ``get_history_snapshot`` looks ``self.history[timestamp]``
    up (or ``watch.history[ts]`` itself): each pass reads the whole collection again, O(n²) in its length."""
    properties = _rereading_properties(project) if "for " in module.text else {}
    if not properties:
        return
    for loop in walk_nodes(module.tree):
        if not isinstance(loop, (ast.For, ast.AsyncFor)):
            continue
        walked = _walked(loop.iter)
        if isinstance(walked, ast.Call) and isinstance(walked.func, ast.Attribute) and walked.func.attr in DICT_VIEWS \
                and not walked.args:
            walked = walked.func.value
        if not (isinstance(walked, ast.Attribute) and walked.attr in properties and dotted(walked.value)):
            continue
        owner, keys = dotted(walked.value), _names_read(loop.target)
        for node in (n for statement in loop.body for n in walk_nodes(statement)):
            if _looks_up_by(node, owner, walked.attr, properties[walked.attr], keys):
                yield Finding(message=f"{owner}.{walked.attr} reads its file whole again on every access, once for "
                                      f"each of its own items here: O(n²) in its length",
                              path=module.path, line=node.lineno, end_line=node.end_lineno,
                              evidence=module.evidence(node), confidence=Confidence.medium,
                              fix=f"read {owner}.{walked.attr} once into a local before the loop and look the "
                                  "items up there (or cache the property until the file changes)")


def _looks_up_by(node: ast.AST, owner: str, prop: str, lookups: set[tuple[str, str, int]], keys: set[str]) -> bool:
    """``owner.prop[key]``, or ``owner.method(param=key)`` where that method looks ``self.prop[param]`` up, with a
    key the loop binds."""
    if isinstance(node, ast.Subscript) and dotted(node.value) == f"{owner}.{prop}":
        return bool(_names_read(node.slice) & keys)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and dotted(node.func.value) == owner):
        return False
    for method, parameter, position in lookups:
        if node.func.attr == method:
            given = keyword(node, parameter) or (node.args[position] if position < len(node.args) else None)
            if given is not None and _names_read(given) & keys:
                return True
    return False


def _findings(module: SourceModule, kinds) -> Iterator[tuple[Finding, ast.AST, list[list[ast.expr]]]]:
    """Each candidate finding with its node and the groups of expressions whose sizes make
    it quadratic: each group must hold one collection that grows with the data."""
    for site in loop_sites(module.tree):
        nested = _nested_loop(module, site)
        if nested:
            yield nested[0], site.node, nested[1]
        for node in walk_nodes(site.node) if site.clause == 0 else ():
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
                for finding, container in _membership(module, node, kinds):
                    yield finding, node, _scan_groups(module, node, container)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in LINEAR_LIST_METHODS:
                walked_item = _removes_from_walked_list(module, site, node) or _index_of_walked_item(module, site, node)
                finding = walked_item or _list_method(module, node, kinds)
                if finding:
                    yield finding, node, [] if walked_item else _scan_groups(module, node, node.func.value)
            elif isinstance(node, ast.Call) and _self_attribute(node.func):
                scanned = _store_scanning_method(module, node)
                if scanned is not None:
                    yield scanned
            elif isinstance(node, (ast.AugAssign, ast.Assign)):
                per_pass = _text_saved_per_pass(module, site, node) or _reparsed_per_chunk(module, site, node)
                frame = None if per_pass else _frame_growth(module, node)
                finding = per_pass or frame or _string_growth(module, node, kinds)
                if finding:
                    yield finding, node, [] if per_pass else [_loop_iters(module, node)] if frame \
                        else [_growing_loop_iters(module, node)]
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Call):
            for finding, positions in _sort_key_positions(module, node):
                yield finding, node, [[positions]]


SORTING_CALLS = {"sorted", "min", "max"}


def _sort_key_positions(module: SourceModule, call: ast.Call) -> Iterator[tuple[Finding, ast.Name]]:
    """``sorted(rows, key=lambda r: ids.index(r[0]))``, ``sorted(rows, key=ids.index)``: the key runs once per item
    and scans ``ids`` for its position. Items ordered by their place in ``ids`` are ``ids``' own items, so that
    list's size decides."""
    key = keyword(call, "key")
    if not (dotted(call.func) in SORTING_CALLS or method_name(call) == "sort"):
        return
    if isinstance(key, ast.Attribute) and key.attr == "index" and isinstance(key.value, ast.Name):
        lookups = [key]  # sorted(rows, key=ids.index): the bound method is the key
    elif isinstance(key, ast.Lambda):
        own = {a.arg for a in key.args.args}
        lookups = [node.func for node in walk_nodes(key.body) if isinstance(node, ast.Call)
                   and isinstance(node.func, ast.Attribute) and node.func.attr == "index"
                   and isinstance(node.func.value, ast.Name) and node.func.value.id not in own]
    else:
        return
    for lookup in lookups:
        name = lookup.value.id
        yield Finding(message=f"the sort key scans {name} with {name}.index() for every item: O(n²)",
                      path=module.path, line=lookup.lineno, end_line=lookup.end_lineno,
                      evidence=module.evidence(lookup),
                      fix=f"map each value to its position once ({{v: i for i, v in enumerate({name})}}) "
                          "and sort by a look-up in that dict"), lookup.value


def _scan_groups(module: SourceModule, node: ast.AST, scanned: ast.expr) -> list[list[ast.expr]]:
    """A list scanned once per item costs len(list) x len(loop). When a loop around the scan
    grows the list itself (``if x not in seen: seen.append(x)``), its length follows that
    loop's: that one collection decides (unless that loop starts the list afresh on each pass: it then
    holds one item's part), and so does a list an object keeps growing (``self.chain``):
    it holds all the object has seen. Otherwise both the list and a loop must be large."""
    if _store_scanned(module, scanned):
        return [[scanned]]
    if isinstance(scanned, ast.Name):
        for site in _collection_loops(module, node):
            if isinstance(site.node, (ast.For, ast.AsyncFor)) and _grows(site.node, scanned.id) \
                    and not _bound_in(site, {scanned.id}):  # ``for m in rows: subs = []; ...``: one item's list
                return [[site.iter]]
    elif isinstance(scanned, ast.Subscript):
        for site in _collection_loops(module, node):
            if isinstance(site.node, (ast.For, ast.AsyncFor)) and _grows_slot(site.node, scanned):
                return [[site.iter]]
    return [[scanned], _loops_feeding(module, node)]


def _loops_feeding(module: SourceModule, scan: ast.AST) -> list[ast.expr]:
    """The loops that hand the scan the values it looks for. When every name the looked-for value reads is an item
    some loops around bind (``for o in rows: for name in fields: if name in nullified``), only those loops and the
    ones their collections are read from count: the test does not vary with the others, ``rows`` does not make
    the handful of ``fields`` names data. Otherwise every loop around the scan does."""
    around = enclosing_loop_sites(module, scan)
    sites = [s for s in around if not isinstance(s.node, ast.While)]
    looked_for = scan.left if isinstance(scan, ast.Compare) else scan.args[0] \
        if isinstance(scan, ast.Call) and len(scan.args) == 1 else None
    read = _names_read(looked_for) if looked_for is not None else set()
    binders = [s for s in sites if _loop_targets(s) & read]
    if not read or not binders or read - set().union(*(_loop_targets(s) for s in binders)):
        return [s.iter for s in around]
    feeding = set(map(id, binders))
    for site in sites:  # outward: a loop counts if a counted loop's collection reads its item
        if id(site) not in feeding and any(_loop_targets(site) & _names_read(f.iter) for f in sites if id(f) in feeding):
            feeding.add(id(site))
    return [s.iter for s in sites if id(s) in feeding]


def _grows_slot(loop: ast.For | ast.AsyncFor, slot: ast.Subscript) -> bool:
    """``result[model].append(pk)`` in the loop: the list held under that key, written the same way, grows."""
    written = ast.dump(slot)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in GROWING_METHODS
               and isinstance(n.func.value, ast.Subscript) and ast.dump(n.func.value) == written
               for n in walk_nodes(loop))


def _slot_grown_as_list(module: SourceModule, compare: ast.Compare, container: ast.expr) -> bool:
    """``if pk not in result[model]: result[model].append(pk)``: the list a dict holds under a key named by a
    variable, which a loop around the test grows (``append``, never a set's ``add``) and does not start afresh."""
    if not (isinstance(container, ast.Subscript) and isinstance(container.value, ast.Name)
            and isinstance(container.slice, ast.Name)):
        return False
    return any(isinstance(site.node, (ast.For, ast.AsyncFor)) and _grows_slot(site.node, container)
               and not _bound_in(site, {container.value.id}) for site in _collection_loops(module, compare))


def _loop_iters(module: SourceModule, node: ast.AST) -> list[ast.expr]:
    return [s.iter for s in enclosing_loop_sites(module, node)]


def _growing_loop_iters(module: SourceModule, node: ast.AugAssign | ast.Assign) -> list[ast.expr]:
    """The loops that grow the string: those inside the loop that starts it afresh for each of its
    items (``for w in workflows: links = ""; for a in w.artifacts: links += ...`` grows with one
    workflow's artifacts, not with the workflows)."""
    target = node.target if isinstance(node, ast.AugAssign) else node.targets[0]
    iters: list[ast.expr] = []
    for site in enclosing_loop_sites(module, node):
        if isinstance(target, ast.Name) and _bound_in(site, {target.id}):
            break
        iters.append(site.iter)
    return iters


def _data_sized(module: SourceModule, project: Project, node: ast.AST, groups: list[list[ast.expr]],
                downloaded: bool = False) -> bool:
    """Whether every size that multiplies is the data's, where O(n²) is a hard stop: a
    collection read from the request body (a handler's ``list[...]`` parameters, ``request.json[...]``)
    or from query rows in the same function. Collections of unknown origin (a helper's
    parameters, configuration, settings, a model's fields, another function's result) are
    not judged: most such lists are small by design. With ``downloaded``, only a body an outside server sends
    counts (:func:`_from_data`)."""
    function = scope_of(module, node)
    if not isinstance(function, FUNCTION_TYPES):
        return False
    grows_with_data = _data_judge(module, project, function, CALLER_HOPS, downloaded)
    return all(any(grows_with_data(expression) for expression in group) for group in groups)


# How many calls up a parameter is followed to the values its callers hand it (a handler's upload handed to a
# model's ``import_bills(bills)``, which hands it to ``get_members(bills)``).
CALLER_HOPS = 2


def _data_judge(module: SourceModule, project: Project, function: ast.AST, hops: int, downloaded: bool = False):
    """Whether an expression read in ``function`` grows with the data (:func:`_from_data`), its parameters
    followed up to ``hops`` calls to what the project's callers hand them."""
    body_lists: set[str] = set()
    if function.body and handler_of(module, function.body[0], project) is not None:
        arguments = function.args
        models = _body_models(project)
        body_lists = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                      if is_list_annotation(a.annotation)
                      or (dotted(annotation_expr(a.annotation)) or "").rsplit(".", 1)[-1] in models}
    body_lists |= _webargs_lists(function)
    collections = _model_collections(project)
    helpers = partial(_helper_returns, project, module)
    own_lists = _own_data_lists(module, project, function)
    handed = partial(_handed_data, project, module, hops, downloaded) if hops else None
    return lambda expression: _from_data(function, expression, set(), body_lists, module.parents, collections,
                                         helpers, own_lists=own_lists, handed=handed, downloaded=downloaded)


HANDED_DATA = "R5.quadratic:handed-data"


def _handed_data(project: Project, module: SourceModule, hops: int, downloaded: bool, function: ast.AST,
                 parameter: str) -> bool:
    """A caller in the project's service code hands ``parameter`` of ``function`` a collection that grows with the
    data (``get_members(bills)`` where ``bills`` is an upload the handler parsed; not one item of a loop over
    one): the helper's loop walks it."""
    cache = project.facts.setdefault(HANDED_DATA, {})
    key = (id(function), parameter, hops, downloaded)
    if key not in cache:
        cache[key] = False  # a recursive call hands back what it was given
        cache[key] = any(not (isinstance(argument, ast.Name) and _loop_item(caller, argument))
                         and _data_judge(caller_module, project, caller, hops - 1, downloaded)(argument)
                         for caller_module, caller, argument in _handed_arguments(project, module, function, parameter))
    return cache[key]


def _handed_arguments(project: Project, module: SourceModule, function: ast.AST, parameter: str
                      ) -> Iterator[tuple[SourceModule, ast.AST, ast.expr]]:
    """What each call of ``function`` hands ``parameter``, with the calling module and function: calls of a
    plain function resolved through the imports, and ``obj.method(...)`` of a method no other function of the
    project is named after. Not calls in code run once or by hand."""
    parameters = own_parameters(function)
    if parameter not in parameters:
        return
    position = parameters.index(parameter)
    method = isinstance(module.parents.get(function), ast.ClassDef)
    if method and _definitions_named(project).get(function.name, 0) != 1:
        return
    for caller_module, call in _calls_named(project, function.name):
        if method and not isinstance(call.func, ast.Attribute) \
                or not method and (_called_function(project, caller_module, call) or (None, None))[1] is not function:
            continue
        caller = scope_of(caller_module, call)
        given = keyword(call, parameter) or (
            call.args[position] if position < len(call.args)
            and not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]) else None)
        if given is not None and isinstance(caller, FUNCTION_TYPES):
            yield caller_module, caller, given


CALLS_NAMED = "R5.quadratic:calls-named"
DEFINITIONS_NAMED = "R5.quadratic:definitions-named"


def _calls_named(project: Project, name: str) -> list[tuple[SourceModule, ast.Call]]:
    """The calls of ``name`` (``name(...)``, ``obj.name(...)``) in the project's service code."""
    if CALLS_NAMED not in project.facts:
        table: dict[str, list[tuple[SourceModule, ast.Call]]] = {}
        for module in project.modules:
            if not (is_offline_module(module) or runs_offline(module, project) or is_management_command(module.path)):
                for call in module.nodes_of(ast.Call):
                    table.setdefault(method_name(call) or dotted(call.func) or "", []).append((module, call))
        project.facts[CALLS_NAMED] = table
    return project.facts[CALLS_NAMED].get(name, [])


def _definitions_named(project: Project) -> dict[str, int]:
    """How many functions and methods of the project bear each name."""
    if DEFINITIONS_NAMED not in project.facts:
        counts: dict[str, int] = {}
        for module in project.modules:
            for fn in module.nodes_of(*FUNCTION_TYPES):
                counts[fn.name] = counts.get(fn.name, 0) + 1
        project.facts[DEFINITIONS_NAMED] = counts
    return project.facts[DEFINITIONS_NAMED]


def _own_data_lists(module: SourceModule, project: Project, function: ast.AST) -> frozenset[str]:
    """The attributes of ``self`` that hold the data in a method: :func:`_stores` of its class, and the lists
    of a request-body model (``self.blocks`` of a pydantic body in its validator: the client's list)."""
    owner = module.parents.get(function)
    if not isinstance(owner, ast.ClassDef):
        return frozenset()
    lists = _stores(owner)
    if owner.name in _body_models(project):
        lists |= {st.target.id for st in owner.body if isinstance(st, ast.AnnAssign)
                  and isinstance(st.target, ast.Name) and is_list_annotation(st.annotation)}
    return frozenset(lists)


# What holds no list: a set or a dict scans nothing on ``in``.
NON_LIST_VALUES = (ast.Set, ast.Dict, ast.SetComp, ast.DictComp)
NON_LIST_CALLS = {"set", "frozenset", "dict", "defaultdict", "OrderedDict", "Counter", "SortedList", "SortedSet"}
GROWING_METHODS = {"append", "extend", "insert"}


@lru_cache(maxsize=1024)
def _stores(cls: ast.ClassDef) -> frozenset[str]:
    """Lists a long-lived object accumulates: attributes its methods grow (``self.chain.append(link)``,
    ``self.sessions += [s]``) and never bind to a set or a dict. They hold every item the object has seen
    (an operation's links, a server's sessions), as many as the data. Not a field the class body declares
    (``roles = ArrayField(TextField())``): a column of one row, a handful of items; nor one it declares as a
    method (SQLAlchemy's ``@declared_attr def acl(cls): return relationship(...)``, a ``@property``): one row's
    related rows. Nor one the class keeps bounded: it takes items out of it outside any loop (``def
    on_job_end(self, e): self.running.remove(e.job_id)``: a working set of what is under way, not all the object
    has seen) or compares its length (``if len(self.clients) == num_workers``: filled up to a cap). Nor one
    it grows only while it is built (in ``__init__`` or a private method only ``__init__`` runs: a form's
    ``self.relationships``, a page's ``self._tabs``): what construction lists, not what the object goes on to see."""
    grown: set[str] = set()
    not_lists = {t.id for st in cls.body if isinstance(st, (ast.Assign, ast.AnnAssign))
                 for t in (st.targets if isinstance(st, ast.Assign) else [st.target]) if isinstance(t, ast.Name)}
    not_lists |= {st.name for st in cls.body if isinstance(st, FUNCTION_TYPES)}
    construction = _construction_methods(cls)
    for node in walk_nodes(cls):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in GROWING_METHODS:
            grown |= set() if node in construction else _self_attribute(node.func.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.value, ast.List):
            grown |= set() if node in construction else _self_attribute(node.target)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if isinstance(node.value, NON_LIST_VALUES) or isinstance(node.value, ast.Call) \
                    and (dotted(node.value.func) or "").rsplit(".", 1)[-1] in NON_LIST_CALLS:
                not_lists.update(name for t in targets for name in _self_attribute(t))
    return frozenset(grown - not_lists - _kept_bounded(cls))


CONSTRUCTORS = {"__init__", "__post_init__"}


def _construction_methods(cls: ast.ClassDef) -> set[ast.AST]:
    """The nodes of the methods that run while the object is built: ``__init__`` and the private methods only
    those call (``self._append_fields()`` from ``__init__``, and what that one calls)."""
    methods = {st.name: st for st in cls.body if isinstance(st, FUNCTION_TYPES)}
    callers: dict[str, set[str]] = {name: set() for name in methods}
    for name, method in methods.items():
        for node in walk_nodes(method):
            if isinstance(node, ast.Attribute) and node.attr in callers and _self_attribute(node):
                callers[node.attr].add(name)
    building = {name for name in methods if name in CONSTRUCTORS}
    while True:
        more = {name for name, by in callers.items() if name not in building and name.startswith("_")
                and not name.startswith("__") and by and by <= building}
        if not more:
            break
        building |= more
    return {node for name in building for node in walk_nodes(methods[name])}


STORE_REMOVALS = {"remove", "pop", "popleft", "clear"}


def _kept_bounded(cls: ast.ClassDef) -> set[str]:
    """Attributes of ``cls`` that a method empties item by item outside a loop (``self.running.remove(job_id)``,
    ``del self.running[0]``) or whose ``len()`` it compares: see :func:`_stores`."""
    bounded: set[str] = set()

    def visit(node: ast.AST, in_loop: bool) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in STORE_REMOVALS and not in_loop:
            bounded.update(_self_attribute(node.func.value))
        elif isinstance(node, ast.Delete) and not in_loop:
            bounded.update(a for t in node.targets if isinstance(t, ast.Subscript) for a in _self_attribute(t.value))
        elif isinstance(node, ast.Compare):
            bounded.update(a for side in [node.left, *node.comparators] if isinstance(side, ast.Call)
                           and dotted(side.func) == "len" and len(side.args) == 1
                           for a in _self_attribute(side.args[0]))
        loop = isinstance(node, (ast.For, ast.AsyncFor, ast.While, *COMPREHENSIONS))
        for child in ast.iter_child_nodes(node):
            visit(child, in_loop or loop)

    visit(cls, False)
    return bounded


def _self_attribute(node: ast.expr) -> set[str]:
    """``{"chain"}`` for ``self.chain``, else nothing."""
    return {node.attr} if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
        and node.value.id == "self" else set()


def _store_scanning_method(module: SourceModule, call: ast.Call) -> tuple[Finding, ast.AST, list] | None:
    """``await self._unfinished_links(agent.paw)`` in a loop, where that method of the class returns a scan of a
    list the object keeps growing (``[link for link in self.chain if link.paw == paw]``): each pass walks it."""
    function = scope_of(module, call)
    owner = module.parents.get(function)
    loops = _collection_loops(module, call)
    if not isinstance(owner, ast.ClassDef) or not loops or all(_fixed_loop(s) for s in loops):
        return None
    stores = _stores(owner)
    method = next((fn for fn in owner.body if isinstance(fn, FUNCTION_TYPES) and fn.name == call.func.attr), None)
    scans = [g.iter for r in walk_nodes(method) if isinstance(r, ast.Return) and isinstance(r.value, COMPREHENSIONS)
             for g in r.value.generators[:1] if _self_attribute(g.iter) & stores] if method is not None else []
    if not scans:
        return None
    name = dotted(scans[0])
    return Finding(message=f"{call.func.attr}() scans {name} on every pass of the loop: O(n·m)",
                   path=module.path, line=call.lineno, end_line=call.end_lineno, evidence=module.evidence(call),
                   fix=f"keep {name} indexed in a dict by what {call.func.attr}() looks for, or collect what the "
                       "loop needs in one pass before it"), call, [[scans[0]]]


def _store_scanned(module: SourceModule, node: ast.expr) -> bool:
    """``self.chain`` where the class accumulates it (:func:`_stores`)."""
    function = scope_of(module, node)
    owner = module.parents.get(function)
    return isinstance(function, FUNCTION_TYPES) and isinstance(owner, ast.ClassDef) \
        and bool(_self_attribute(node) & _stores(owner))


def _helper_returns(project: Project, module: SourceModule, call: ast.Call
                    ) -> list[tuple[ast.AST, ast.expr, dict]]:
    """What a plain function of the project called here returns (``rq_job_ids()`` defined once at the top of
    this module or of the module it is imported from): each return value, with its function and the parents
    of its module. Empty for methods, functions defined more than once and anything not the project's."""
    called = _called_function(project, module, call)
    if called is None:
        return []
    owner, fn = called
    return [(fn, r.value, owner.parents) for r in walk_nodes(fn) if isinstance(r, ast.Return) and r.value is not None]


def _called_function(project: Project, module: SourceModule, call: ast.Call) -> tuple[SourceModule, ast.AST] | None:
    """The plain function of the project ``call`` runs, defined once at the top of this module or of the module it
    is imported from, with that module; None for methods and anything not the project's."""
    name = qualified(module, call.func) or ""
    if not name or isinstance(call.func, ast.Attribute) and name == dotted(call.func):
        return None  # obj.method(): a method of something the rule does not type
    owner_name, _, function_name = name.rpartition(".")
    owner = project.by_dotted_name.get(owner_name) if owner_name else module
    if owner is None or is_offline_module(owner):
        return None
    definitions = [fn for fn in owner.tree.body if isinstance(fn, FUNCTION_TYPES) and fn.name == function_name]
    return (owner, definitions[0]) if len(definitions) == 1 else None


def _from_data(function: ast.AST, expression: ast.expr, seen: set[tuple[str, int]], body_lists: set[str],
               parents: dict, collections: frozenset[str] = frozenset(), helpers=None, in_helper: bool = False,
               own_lists: frozenset[str] = frozenset(), handed=None, downloaded: bool = False) -> bool:
    """Whether ``expression`` grows with the data (see :func:`_data_sized`). ``helpers`` gives the return
    values of a project function called in it, followed one call deep (``in_helper``): there only reads of
    a whole store count (``smembers()``, rq's ``get_job_ids()``); a service function's query rows are as
    often a configuration table's (a project's active plugins) as the data's, unless the function lists a whole
    table (:func:`_returns_whole_table`). ``handed`` tells whether a
    caller hands a parameter such a value (:func:`_handed_data`). With ``downloaded`` only what an outside
    server sends counts: a response's body (``r.content``, ``r.json()``) or its chunks, through the names and
    parameters it is handed on by."""
    item_reads: set[int] = set()
    for node in walk_nodes(expression):
        if id(node) in item_reads:
            continue
        if _response_body(function, node, parents) or downloaded and isinstance(node, ast.Call) \
                and (_api_results(function, node, parents) or _streams_body(node)):
            return True
        if downloaded:
            if isinstance(node, ast.Name) and (node.id, node.lineno) not in seen:
                seen.add((node.id, node.lineno))
                sources = _sources_of(function, node, parents)
                if any(_from_data(function, source, seen, set(), parents, handed=handed, downloaded=True)
                       for source in sources):
                    return True
                if not sources and handed is not None and _walked_whole(node, expression, parents) \
                        and handed(function, node.id):
                    return True
            continue
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr not in collections \
                and _loop_item(function, node.value):
            item_reads.add(id(node.value))  # w.artifacts of each w in rows: one item's attribute, not the rows
        if (is_request_derived(node) or _submitted_form_field(function, node, parents)) \
                if isinstance(node, ast.expr) else False:
            return True
        if isinstance(node, ast.Call) and _one_parents_rows(function, node, parents):
            item_reads.update(id(n) for n in walk_nodes(node))
            continue
        if isinstance(node, ast.Call) and (_reads_whole_store(node) or _api_results(function, node, parents)
                                           or not in_helper and (
                _reads_rows(node) and not _item_children(function, node, collections, parents)
                and not _narrows_a_parameter(function, node) or _streams_body(node))):
            return True
        if isinstance(node, ast.Call) and helpers is not None and any(
                _from_data(fn, value, seen, set(), owner_parents, frozenset(), in_helper=True)
                or _returns_whole_table(fn, value, owner_parents) for fn, value, owner_parents in helpers(node)):
            return True  # rq_job_ids(): a project function returning every job id
        if isinstance(node, ast.Name) and node.id in body_lists:
            return True
        if isinstance(node, ast.Attribute) and node.attr in collections and _walked_whole(node, expression, parents) \
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            return True  # source.submissions: one row per child in the database
        if isinstance(node, ast.Attribute) and _self_attribute(node) & own_lists \
                and _walked_whole(node, expression, parents):
            return True  # self.chain of an operation that gathers its links
        if isinstance(node, ast.Name) and (node.id, node.lineno) not in seen:
            seen.add((node.id, node.lineno))
            sources = _sources_of(function, node, parents)
            if any(_from_data(function, source, seen, body_lists, parents, collections, helpers, in_helper,
                              own_lists, handed)
                   for source in sources):
                return True
            if not sources and handed is not None and _walked_whole(node, expression, parents) \
                    and handed(function, node.id):  # the parameter walked, not an object read off
                return True
    return False


def _returns_whole_table(function: ast.AST, value: ast.expr, parents: dict) -> bool:
    """A helper's return value that lists every row of a table: ``query.all()`` of ``query =
    session.query(model.Mirror).order_by(model.Mirror.id)``, ``Mirror.objects.all()``, a model's query with no
    filter at all (not one row, ``.first()``, nor rows any filter picks: those may be a parent's handful)."""
    if isinstance(value, ast.Name):
        sources = _sources_of(function, value, parents)
        return bool(sources) and all(isinstance(s, ast.Call) and _returns_whole_table(function, s, parents)
                                     for s in sources)
    return isinstance(value, ast.Call) and _reads_rows(value) and _query_rows(function, value, parents) == []


def _submitted_form_field(function: ast.AST, node: ast.expr, parents: dict) -> bool:
    """``form.file.data`` of ``form = ImportForm()`` (WTForms reads the submitted form), ``form.cleaned_data``
    of a Django form: what the client posted."""
    if not (isinstance(node, ast.Attribute) and (
            node.attr == "data" and isinstance(node.value, ast.Attribute) and isinstance(node.value.value, ast.Name)
            or node.attr == "cleaned_data" and isinstance(node.value, ast.Name))):
        return False
    form = node.value.value if node.attr == "data" else node.value
    return any(isinstance(source, ast.Call) and (dotted(source.func) or "").endswith("Form")
               for source in _sources_of(function, form, parents))


def _api_results(function: ast.AST, call: ast.Call, parents: dict) -> bool:
    """``r.json()`` of the response an HTTP client handed back (``r = requests.get(url)``, ``self.session.get(url)``,
    also ``requests.get(url).json()``): the records an outside API lists, as many as it holds (a sync walks them
    against the table's rows)."""
    response = http.decoded_response(call)
    if response is None:
        return False
    sources = _sources_of(function, response, parents) if isinstance(response, ast.Name) else [response]
    return any(http.request_by_name(source) for source in sources)


RESPONSE_BODIES = {"content", "text", "raw"}


def _response_body(function: ast.AST, node: ast.AST, parents: dict) -> bool:
    """``response.content`` (``.text``, ``.raw``) of ``response = requests.get(url)``: the whole body an outside
    server sends, as long as it makes it (a routing table, a catalogue dump)."""
    if not (isinstance(node, ast.Attribute) and node.attr in RESPONSE_BODIES):
        return False
    response = node.value
    sources = _sources_of(function, response, parents) if isinstance(response, ast.Name) else [response]
    return any(http.request_by_name(source) for source in sources)


def _one_parents_rows(function: ast.AST, call: ast.Call, parents: dict) -> bool:
    """Query rows pinned to one row by its key (``filter_by(task_id=task.id).all()``, ``filter(photo=self)``,
    also a ``select(...).where(Member.team_id == team.id)`` executed and fetched): that row's few children. Not rows
    picked by a list as well (``photo_id__in=hashes``), nor those of an object named by any other value
    (``filter(project=project)``, ``filter(space=request.space)``): an account's or a project's data."""
    if not _reads_rows(call):
        return False
    filters = _statement_filters(function, call, parents, set())
    return any(_row_key(key) for f in filters for key in _parent_keys(f)) and not any(_in_lists(f) for f in filters)


def _row_key(value: ast.expr) -> bool:
    """``self`` or a row's key (``task.id``, ``task.pk``, ``row.group_id``, a name ``series_id``; not a tenant's,
    ``project_id``)."""
    return isinstance(value, ast.Name) and (value.id == "self" or value.id.endswith("_id")
                                            and not TENANT_SCOPE.search(value.id)) \
        or isinstance(value, ast.Attribute) and (value.attr in ("id", "pk") or value.attr.endswith("_id"))


STATEMENT_FILTERS = {"where", "filter", "filter_by"}


def _statement_filters(function: ast.AST, node: ast.expr, parents: dict, seen: set[tuple[str, int]]) -> list[ast.Call]:
    """The filter calls of the query whose rows ``node`` reads, through the names it is bound to and the
    ``execute(statement)`` that runs it."""
    filters: list[ast.Call] = []
    while True:
        if isinstance(node, ast.Await):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "execute" and node.args:
                node = node.args[0]
                continue
            if node.func.attr in STATEMENT_FILTERS:
                filters.append(node)
            method = _own_method(function, node, parents)
            if method is not None and (method.name, method.lineno) not in seen:
                seen.add((method.name, method.lineno))  # self.get_connections(): the query its own method builds
                return filters + [f for r in walk_function_body(method) if isinstance(r, ast.Return) and r.value
                                  for f in _statement_filters(method, r.value, parents, seen)]
            node = node.func.value
        elif isinstance(node, ast.Name) and (node.id, node.lineno) not in seen:
            seen.add((node.id, node.lineno))
            sources = _sources_of(function, node, parents)
            return filters + [f for source in sources for f in _statement_filters(function, source, parents, seen)]
        else:
            return filters


def _own_method(function: ast.AST, call: ast.Call, parents: dict) -> ast.AST | None:
    """The method ``self.get_connections()`` calls, when the class around ``function`` defines it once."""
    owner = parents.get(function)
    if not (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "self" and isinstance(owner, ast.ClassDef)):
        return None
    methods = [fn for fn in owner.body if isinstance(fn, FUNCTION_TYPES) and fn.name == call.func.attr]
    return methods[0] if len(methods) == 1 else None


def _loop_item(function: ast.AST, read: ast.Name) -> bool:
    """Whether ``read`` is only ever bound in the function as the item of a loop (``for w in workflows``)."""
    loops = assigned = False
    for node in walk_nodes(function):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            loops |= any(isinstance(n, ast.Name) and n.id == read.id for n in walk_nodes(node.target))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            assigned |= any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == read.id
                            for t in targets for n in walk_nodes(t))  # not `obj.data[key] = value`: obj stays
    return loops and not assigned


def _item_children(function: ast.AST, call: ast.Call, collections: frozenset[str], parents: dict) -> bool:
    """``m.encodings.all()`` of each ``m`` in a loop: one item's related rows, not the table's; and
    ``self.roles.all()``, ``self.rank.roles.all()``: the related rows of the object the method runs on."""
    receiver = call.func
    while isinstance(receiver, (ast.Attribute, ast.Call)):
        outer = receiver
        receiver = receiver.value if isinstance(receiver, ast.Attribute) else receiver.func
    if isinstance(receiver, ast.Name) and receiver.id == "getattr":
        return _own_relation(call)  # getattr(self.policy, f"{prefix}_webhooks"): a relation picked by name
    return isinstance(receiver, ast.Name) and isinstance(outer, ast.Attribute) and outer.attr not in collections \
        and (_loop_item(function, receiver) or _own_relation(call) or _own_related_object(function, receiver, parents))


QUERYSET_NARROWING = {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "distinct",
                      "values", "values_list", "only", "defer", "filter_by"}


def _narrows_a_parameter(function: ast.AST, call: ast.Call) -> bool:
    """``users.order_by("slug")``, ``qs.filter(active=True)`` on a parameter the caller chose: the rows it was
    handed, of unknown number (an admin action's selected page), not the table's."""
    node = call
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERYSET_NARROWING:
        node = node.func.value
    return node is not call and isinstance(node, ast.Name) and node.id not in ("self", "cls") \
        and node.id in {a.arg for a in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]}


OWN_QUERY_ATTRIBUTES = {"objects", "query", "queryset", "session", "db", "model"}


def _own_related_object(function: ast.AST, read: ast.Name, parents: dict) -> bool:
    """``group`` of ``group = self.bgp_group`` (or ``self.ixp_connection.internet_exchange_point``; ``None`` in
    another branch): an object the method's own row links to, so ``group.communities.all()`` is one row's
    children, as ``self.bgp_group.communities.all()`` is."""
    sources = [s for s in _sources_of(function, read, parents) if not (isinstance(s, ast.Constant) and s.value is None)]
    return bool(sources) and all(_self_chain(s) for s in sources)


def _self_chain(node: ast.expr) -> bool:
    """``self.rank.roles``: plain attributes of ``self`` (no call), none a query's or a tenant's."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self" and bool(names) \
        and not any(n in OWN_QUERY_ATTRIBUTES or n.endswith("objects") or TENANT_SCOPE.search(n) for n in names)


def _own_relation(call: ast.Call) -> bool:
    """``self.roles.all()``, ``self.rank.roles.filter(...)``, also ``getattr(self.policy, name).all()``: a chain
    of plain attributes of ``self`` (no call in it, so not ``self.session.query(Model)``; not ``self.queryset`` of
    a view nor ``self.project.tasks`` of a tenant) read as rows: one row's children."""
    node = call.func.value if isinstance(call.func, ast.Attribute) else None
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _reads_rows(node):
        node = node.func.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args:
        node = node.args[0]
    return _self_chain(node)


def _walked_whole(node: ast.expr, expression: ast.expr, parents: dict) -> bool:
    """``node`` is the collection itself, not something read off it or handed to a helper: the whole
    expression, the iterable of a comprehension in it, or the argument of ``list()``/``sorted()``..."""
    parent = parents.get(node)
    return node is expression or isinstance(parent, ast.comprehension) and parent.iter is node \
        or isinstance(parent, ast.Call) and node in parent.args and dotted(parent.func) in PASS_THROUGH_CALLS \
        or _read_record_by_record(node, parent) and _walked_whole(parent, expression, parents)


def _read_record_by_record(node: ast.expr, parent: ast.AST | None) -> bool:
    """``csv.reader(stream)``, ``mrtparse.Reader(content)``: a reader handed the stream as its first argument walks
    it whole, one record at a time."""
    return isinstance(parent, ast.Call) and bool(parent.args) and parent.args[0] is node \
        and (dotted(parent.func) or "").rsplit(".", 1)[-1].lower().endswith("reader")


# Where webargs reads arguments other than the body: the query string, headers, cookies, the URL.
WEBARGS_NON_BODY = {"query", "querystring", "headers", "cookies", "view_args", "path"}


def _webargs_lists(function: ast.AST) -> set[str]:
    """Parameters a webargs ``@use_kwargs({"ids": fields.List(...)})`` fills from the request body (its
    default location, unless ``location=`` names the query string, headers or the URL): the client's lists."""
    lists: set[str] = set()
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and (dotted(decorator.func) or "").endswith("use_kwargs")
                and decorator.args and isinstance(decorator.args[0], ast.Dict)):
            continue
        location = keyword(decorator, "location")
        if isinstance(location, ast.Constant) and location.value in WEBARGS_NON_BODY:
            continue
        lists |= {k.value for k, v in zip(decorator.args[0].keys, decorator.args[0].values, strict=True)
                  if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Call)
                  and (dotted(v.func) or "").rsplit(".", 1)[-1] == "List"}
    return lists


BODY_MODEL_BASES = {"BaseModel", "Schema", "Struct"}  # pydantic (and django-ninja's Schema), msgspec
BODY_MODELS = "R5.quadratic:body-models"
MODEL_COLLECTIONS = "R5.quadratic:model-collections"


def _body_models(project: Project) -> frozenset[str]:
    """The project's request-body classes: built on pydantic's ``BaseModel`` (django-ninja's
    ``Schema``, msgspec's ``Struct``), directly or through other classes of the project. A handler's
    parameter of such a class is the parsed request body: its lists are the client's."""
    if BODY_MODELS not in project.facts:
        bases: dict[str, set[str]] = {}
        for module in project.modules:
            if "class " in module.text and not is_offline_module(module):
                for cls in walk_nodes(module.tree):
                    if isinstance(cls, ast.ClassDef):
                        bases.setdefault(cls.name, set()).update(
                            (dotted(b) or "").rsplit(".", 1)[-1] for b in cls.bases)
        models: set[str] = set()
        while True:
            more = {name for name, of in bases.items() if name not in models and of & (BODY_MODEL_BASES | models)}
            if not more:
                break
            models |= more
        project.facts[BODY_MODELS] = frozenset(models)
    return project.facts[BODY_MODELS]


def _model_collections(project: Project) -> frozenset[str]:
    """Attributes that hold a model's children, one row each: SQLAlchemy ``relationship()``
    attributes and the ``backref`` names they add to the other side, and model properties that
    return them (``@property def collection(self)`` that gathers ``self.submissions``) or a query's rows.
    A loop over one of them (not through ``self``) walks rows of the database."""
    if MODEL_COLLECTIONS not in project.facts:
        relations: set[str] = set()
        properties: list[ast.AST] = []
        for module in project.modules:
            if is_offline_module(module):
                continue
            if "relationship(" in module.text:
                for node in walk_nodes(module.tree):
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                            and (dotted(node.value.func) or "").rsplit(".", 1)[-1] == "relationship":
                        if not _through_association_table(node.value):  # signal.tags: a handful per object
                            relations.update(t.id for t in node.targets if isinstance(t, ast.Name))
                        relations.update(_backref_names(node.value))
            if "@property" in module.text:
                properties.extend(fn for fn in walk_nodes(module.tree) if isinstance(fn, FUNCTION_TYPES)
                                  and any(dotted(d) == "property" for d in fn.decorator_list))
        found = set(relations)
        for fn in properties:
            reads = {n.attr for n in walk_nodes(fn) if isinstance(n, ast.Attribute)
                     and isinstance(n.value, ast.Name) and n.value.id == "self"}
            returns = [r.value for r in walk_nodes(fn) if isinstance(r, ast.Return) and r.value is not None]
            if returns and (reads & relations or any(isinstance(c, ast.Call) and _reads_rows(c)
                                                     for r in returns for c in walk_nodes(r))):
                found.add(fn.name)
        project.facts[MODEL_COLLECTIONS] = frozenset(found)
    return project.facts[MODEL_COLLECTIONS]


def _through_association_table(call: ast.Call) -> bool:
    """``relationship("Tag", secondary=assoc_signal_tags)`` (or the table as second argument): the
    object's links to shared entries (its tags, destinations, workflows), a handful per object, not
    rows that grow with the data like a one-to-many's children. Its backref, the entry's objects, is."""
    return keyword(call, "secondary") is not None or len(call.args) >= 2


def _backref_names(call: ast.Call) -> set[str]:
    """``backref="orders"`` / ``backref=backref("orders", ...)``: the attribute made on the other side."""
    names: set[str] = set()
    for kw in call.keywords:
        if kw.arg != "backref":
            continue
        value = kw.value
        if isinstance(value, ast.Call) and value.args:
            value = value.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            names.add(value.value)
    return names


# Chunks of an HTTP body read as a stream (requests, httpx, aiohttp, urllib3): as many as the sender sends.
BODY_CHUNKS = {"iter_content", "iter_bytes", "aiter_bytes", "iter_raw", "aiter_raw", "iter_text", "aiter_text",
               "iter_lines", "aiter_lines", "iter_chunked", "iter_any", "iter_chunks"}


def _streams_body(call: ast.Call) -> bool:
    """``resp.aiter_bytes(1024)``, ``r.iter_content(8192)``, ``resp.content.iter_chunked(n)``: the pieces of a
    body whose length is the sender's."""
    return isinstance(call.func, ast.Attribute) and call.func.attr in BODY_CHUNKS


# Redis reads that hand back every member of a key, or every key of a pattern (redis-py), and rq's
# registries of job ids: as many as the data has.
WHOLE_STORE_READS = {"smembers", "hgetall", "hkeys", "hvals", "lrange", "zrange", "zrangebyscore", "zrevrange",
                     "scan_iter", "sscan_iter", "hscan_iter", "zscan_iter", "get_job_ids"}


def _reads_whole_store(call: ast.Call) -> bool:
    """``redis.smembers(key)``, ``redis.keys("lock:*")`` (a pattern: ``dict.keys()`` takes none),
    ``registry.get_job_ids()``."""
    if not isinstance(call.func, ast.Attribute):
        return False
    return call.func.attr in WHOLE_STORE_READS or call.func.attr == "keys" and len(call.args) == 1


def _reads_rows(call: ast.Call) -> bool:
    """A call that hands back query rows. ``d.values()`` with no argument is a dict's view
    unless it is read from a query (``Book.objects.values()``, ``qs.filter(...).values()``)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ROW_READS):
        return False
    if call.func.attr != "values" or call.args or call.keywords:
        return True
    receiver = call.func.value
    return isinstance(receiver, ast.Attribute) and receiver.attr == "objects" \
        or isinstance(receiver, ast.Call) and _reads_rows(receiver)


def _sources_of(function: ast.AST, read: ast.Name, parents: dict) -> list[ast.expr]:
    """What the name ``read`` holds where it is read: the value of its last binding on an
    earlier line (an assignment, or the iterable a loop binds it from) and what it was grown from
    since (``name += xs``; ``name.append(x)`` in a loop over ``items``: ``items``).
    Line order stands in for the flow: a name rebound to other data later, or bound in the
    other branch of an ``if``, does not count."""
    name, line, read_branches = read.id, read.lineno, _branches(read, parents)
    binds: list[tuple[int, ast.expr]] = []
    grows: list[tuple[int, ast.expr]] = []
    for node in walk_nodes(function):
        if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension,
                                 ast.withitem)) or _exclusive(read_branches, _branches(node, parents)):
            continue
        if isinstance(node, ast.withitem):  # with bz2.open(BytesIO(r.content)) as content
            if isinstance(node.optional_vars, ast.Name) and node.optional_vars.id == name \
                    and node.optional_vars.lineno < line:
                binds.append((node.optional_vars.lineno, node.context_expr))
            continue
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets) \
                or isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name and node.value is not None:
            if node.lineno < line:
                binds.append((node.lineno, node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.lineno < line:
                grows.append((node.lineno, node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) \
                and any(isinstance(n, ast.Name) and n.id == name for n in walk_nodes(node.target)):
            # a comprehension's element is written before its `for`, on the same line
            if node.target.lineno < line or isinstance(node, ast.comprehension) and node.target.lineno == line:
                binds.append((node.target.lineno, node.iter))
        if isinstance(node, (ast.For, ast.AsyncFor)) and node.lineno < line and _grows(node, name):
            grows.append((node.lineno, node.iter))
    last = max((at for at, _ in binds), default=0)
    return [value for at, value in binds if at == last] + [value for at, value in grows if at >= last]


def _branches(node: ast.AST, parents: dict) -> dict[int, bool]:
    """For each ``if`` around ``node``: whether ``node`` is in its ``else``."""
    branches: dict[int, bool] = {}
    child, parent = node, parents.get(node)
    while parent is not None and not isinstance(parent, FUNCTION_TYPES):
        if isinstance(parent, ast.If) and child is not parent.test:
            branches[id(parent)] = child in parent.orelse
        child, parent = parent, parents.get(parent)
    return branches


def _exclusive(a: dict[int, bool], b: dict[int, bool]) -> bool:
    return any(a[key] != b[key] for key in a.keys() & b.keys())


def _grows(loop: ast.For | ast.AsyncFor, name: str) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr in ("append", "extend", "add", "insert")
               and isinstance(n.func.value, ast.Name) and n.func.value.id == name
               or isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and n.target.id == name
               for n in walk_nodes(loop))


def _outer_sites(module: SourceModule, site: LoopSite) -> list[LoopSite]:
    if isinstance(site.node, (ast.For, ast.AsyncFor)):
        return enclosing_loop_sites(module, site.node)
    earlier = [LoopSite(site.node, g.iter, i) for i, g in enumerate(site.node.generators[:site.clause])]
    return list(reversed(earlier)) + enclosing_loop_sites(module, site.node)


def _collection_loops(module: SourceModule, node: ast.AST) -> list[LoopSite]:
    """The loops over collections that run ``node`` once per item, in a function (code at
    module level runs once, at import)."""
    if not isinstance(scope_of(module, node), FUNCTION_TYPES):
        return []
    return [s for s in enclosing_loop_sites(module, node) if walks_a_collection(s)]


def _bound_in(loop: LoopSite, names: set[str]) -> bool:
    """Whether the loop binds one of ``names`` afresh on each pass (its target, or a plain
    assignment in its body; ``s += x`` and ``s = s + x`` grow the value, they do not renew it)."""
    if not isinstance(loop.node, (ast.For, ast.AsyncFor, ast.While)):
        generator = loop.node.generators[loop.clause]
        return bool(names & {n.id for n in walk_nodes(generator.target) if isinstance(n, ast.Name)})
    target = loop.node.target if not isinstance(loop.node, ast.While) else None
    bound = {n.id for n in walk_nodes(target) if isinstance(n, ast.Name)} if target is not None else set()
    for statement in loop.node.body:
        for node in walk_nodes(statement):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound |= {t.id for t in targets if isinstance(t, ast.Name) and dotted(_left_of(node.value)) != t.id}
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                bound |= {n.id for n in walk_nodes(node.target) if isinstance(n, ast.Name)}
    return bool(bound & names)


def _left_of(value: ast.expr) -> ast.expr:
    return value.left if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) else value


def _varies_per_item(loops: list[LoopSite], expression: ast.expr) -> bool:
    """The expression reads a name the innermost loop binds: it is a different list on each pass."""
    own = {n.id for c in walk_nodes(expression) if isinstance(c, ast.comprehension)
           for n in walk_nodes(c.target) if isinstance(n, ast.Name)}
    read = {n.id for n in walk_nodes(expression) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return _bound_in(loops[0], read - own)


def _capped_batch(function: ast.AST, expression: ast.expr) -> bool:
    """``rows = Record.objects.filter(...)[:batch_size]`` with ``batch_size = 500``: every value the name is given
    in the function is a slice capped by a constant, so a join of the batch against the rows picked by its keys
    costs at most the cap squared."""
    if not isinstance(expression, ast.Name):
        return False
    constants = {t.id for n in walk_nodes(function) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                 for t in n.targets if isinstance(t, ast.Name)}
    values = [n.value for n in walk_nodes(function) if isinstance(n, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == expression.id for t in n.targets)]
    return bool(values) and all(
        isinstance(v, ast.Subscript) and isinstance(v.slice, ast.Slice) and v.slice.step is None
        and (isinstance(v.slice.upper, ast.Constant) or isinstance(v.slice.upper, ast.Name)
             and v.slice.upper.id in constants) for v in values)


def _nested_loop(module: SourceModule, site: LoopSite) -> tuple[Finding, list[list[ast.expr]]] | None:
    """A nested loop that multiplies two sizes, with the groups of collections whose sizes do."""
    if not walks_a_collection(site) or not isinstance(scope_of(module, site.node), FUNCTION_TYPES):
        return None
    collection = walked_collection(site.iter)
    function = scope_of(module, site.node)
    from_request = _client_sized(function, site.iter, module.parents, set())
    if collection is None and not from_request:
        return None
    groups = [[site.iter]]
    for outer in _outer_sites(module, site):
        if not walks_a_collection(outer):
            continue  # `while xs:` drains or polls xs; it does not walk it
        if collection is not None and walked_collection(outer.iter) == collection:
            message = f"nested loop over {collection} inside a loop over the same collection: O(n²)"
            fix = f"index {collection} once in a dict or set keyed by what the inner loop looks for"
            break
        if from_request and _client_sized(function, outer.iter, module.parents, set()) \
                and not _varies_per_item([outer], site.iter):  # `for room in body[venue]["rooms"]`: one walk in all
            message = "nested loops over two collections from the request body: O(n·m) in client input"
            fix = "index one collection in a dict or set, then walk the other once"
            break
        if collection is not None and _joins_items(site, outer) and not _varies_per_item([outer], site.iter) \
                and all(_whole_rows(function, loop.iter, module.parents) for loop in (site, outer)):
            message = f"nested loop over {collection} matches each item of the outer loop by equality: " \
                      "a join done by scanning, O(n·m)"
            fix = f"group {collection} once in a dict keyed by the matched value, then look each item up"
            groups = [[site.iter], [outer.iter]]
            break
        if collection is not None and _joins_items(site, outer) and _store_scanned(module, _walked(site.iter)) \
                and not _fixed_loop(outer):
            message = f"{collection} is scanned for each item of the loop to find its match by equality: " \
                      "a join done by scanning, O(n·m)"
            fix = f"keep {collection} indexed in a dict keyed by the matched value beside the list, and look " \
                  "each item up"
            break
        if collection is not None and _joined_by_row_key(site, outer) and (
                _rows_picked_by(function, outer.iter, site.iter, module.parents)
                or _rows_picked_by(function, site.iter, outer.iter, module.parents)) \
                and not (_capped_batch(function, outer.iter) or _capped_batch(function, site.iter)):
            message = f"{collection} is scanned for each row the query picked by its keys: a join done by " \
                      "scanning, O(n²) in the batch's size"
            fix = f"index {collection} once in a dict keyed by the matched value, then look each row up"
            groups = []
            break
    else:
        return None
    return Finding(message=message, path=module.path, line=site.iter.lineno, end_line=site.iter.end_lineno,
                   evidence=module.evidence(site.iter), fix=fix), groups


def _rows_picked_by(function: ast.AST, rows: ast.expr, items: ast.expr, parents: dict) -> bool:
    """``rows`` are those of a query picked by the keys of ``items`` (``Run.id.in_(run_ids)``, ``pk__in=ids``
    with ``run_ids = [r.id for r in runs]``): one row per item, so a join of the two by scanning is O(n²) in
    the batch, whatever its origin. The batch is a name, or what the method itself keeps on ``self``
    (``self.queryset = Job.objects.by_repo(repo)``; not an object's relation, ``order.lines``: one parent's handful)."""
    listed = walked_collection(items)
    if listed is None or "." in listed and not _kept_on_self(function, listed):
        return False
    filters = _statement_filters(function, rows, parents, set()) + (_query_rows(function, rows, parents) or [])
    return any(_keys_of(function, value, listed, parents, set()) for f in filters for value in _in_lists(f)) \
        and all(TENANT_SCOPE.search(column) for f in filters for column, _ in _parent_pins(f))


# Columns that scope rows to a tenant (a project's, an organization's rows): a share of the data, not one
# parent's handful of children (``estimate_id=estimate_id``: an estimate's few points).
TENANT_SCOPE = re.compile(r"(^|_)(project|organization|org|workspace|tenant|account|team|space|company)(_id|_pk)?$")


KEY_COPIES = {"set", "frozenset", "list", "tuple", "sorted"}
KEY_COLUMNS = {"values_list", "values"}


def _kept_on_self(function: ast.AST, listed: str) -> bool:
    """``listed`` is ``self.<name>``, and the function sets it."""
    owner, _, attribute = listed.partition(".")
    return owner == "self" and "." not in attribute and any(
        isinstance(node, ast.Assign) and any(dotted(target) == listed for target in node.targets)
        for node in walk_nodes(function))


def _keys_of(function: ast.AST, value: ast.expr, listed: str, parents: dict, seen: set[tuple[str, int]]) -> bool:
    """``value`` is the list ``listed`` or is made from it (``[r.id for r in runs]``, ``set(ids)``,
    ``list({k[0] for k in keys})``, ``rows.values_list("id", flat=True)``), also through the names it is bound to."""
    if walked_collection(value) == listed:
        return True
    if isinstance(value, COMPREHENSIONS):
        return any(walked_collection(g.iter) == listed for g in value.generators)
    if isinstance(value, ast.Call) and dotted(value.func) in KEY_COPIES and value.args:
        return _keys_of(function, value.args[0], listed, parents, seen)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in KEY_COLUMNS:
        # rows.values_list("id", flat=True)
        return _keys_of(function, value.func.value, listed, parents, seen)
    if isinstance(value, ast.Name) and (value.id, value.lineno) not in seen:
        seen.add((value.id, value.lineno))
        return any(_keys_of(function, source, listed, parents, seen)
                   for source in _sources_of(function, value, parents))
    return False


def _walked(iterable: ast.expr) -> ast.expr:
    """The collection itself of ``enumerate(xs)``, ``sorted(xs)``, ``list(xs)``."""
    while isinstance(iterable, ast.Call) and dotted(iterable.func) in PASS_THROUGH_CALLS and iterable.args:
        iterable = iterable.args[0]
    return iterable


CONFIGURATION_NAMES = ("settings", "config", "conf")


def _fed_by_fixed_loops(loops: list[LoopSite], store: ast.expr) -> bool:
    """Every loop around the scan walks a class, a constant or a configuration entry, or else the store itself
    (``for name in self.applications[:]: for dep in settings_of(name).get("requires") or []: if dep not in
    self.applications``: resolving the dependencies the configuration names, the list holds what it lists)."""
    own = dotted(store)
    walked = [_walked(s.iter) for s in loops]
    walks_store = [dotted(w.value if isinstance(w, ast.Subscript) else w) == own for w in walked]
    fixed = [_fixed_loop(s) for s in loops]
    return any(fixed) and all(f or w for f, w in zip(fixed, walks_store, strict=True))


def _fixed_loop(site: LoopSite) -> bool:
    """A loop over a class or a constant (``for status in Status``, ``for name in DEFAULT_FIELDS``), or over an
    entry of a configuration (``module.app_settings.get("applications") or []``, ``self.config["plugins"]``):
    a handful the developers wrote."""
    walked = _walked(site.iter)
    if isinstance(walked, ast.BoolOp) and isinstance(walked.op, ast.Or):
        walked = walked.values[0]
    return is_fixed_source(walked) or _configuration_entry(walked)


def _configuration_entry(node: ast.expr) -> bool:
    """``settings["plugins"]``, ``app.config.get("applications")``: one key of a configuration mapping."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        mapping, key = node.func.value, node.args[0]
    elif isinstance(node, ast.Subscript):
        mapping, key = node.value, node.slice
    else:
        return False
    name = (mapping.attr if isinstance(mapping, ast.Attribute) else dotted(mapping) or "").lower()
    return isinstance(string_value(key), str) and name.endswith(CONFIGURATION_NAMES)


def _whole_rows(function: ast.AST, iterable: ast.expr, parents: dict) -> bool:
    """A list from the request body, or the rows of a query as large as the data (:func:`_unbounded_query`)."""
    return _client_sized(function, iterable, parents, set()) or _table_rows(function, iterable, parents, set())


def _joins_items(inner: LoopSite, outer: LoopSite) -> bool:
    """The inner loop tests its item equal to the outer loop's (``for r in receivers: [n for n in notes
    if n.receiver_id == r]``): it looks one item's matches up by walking every row."""
    return any(True for _ in _join_tests(inner, outer))


def _join_tests(inner: LoopSite, outer: LoopSite) -> Iterator[ast.Compare]:
    """The equality tests of the inner loop between its item and the outer loop's."""
    inner_names, outer_names = _loop_targets(inner), _loop_targets(outer)
    body = inner.node.body if isinstance(inner.node, (ast.For, ast.AsyncFor)) else [inner.node]
    for statement in body:
        for node in walk_nodes(statement):
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
                sides = [_names_read(node.left), _names_read(node.comparators[0])]
                if sides[0] & inner_names and sides[1] & outer_names or sides[0] & outer_names and sides[1] & inner_names:
                    yield node


# A key that names one row (``id``, ``task_id``, ``job__pk``, ``uuid``), not a value many rows share.
ROW_KEY = re.compile(r"(^|_)(id|pk|uuid)$", re.I)


def _joined_by_row_key(inner: LoopSite, outer: LoopSite) -> bool:
    """The loops are joined on a key that names one row (``row.id == edit.id``, ``x[0] == item["job_id"]``, a key
    the loop binds whole, ``crate_id``): each item has its one match. A join on a shared value
    (``x["hash"] == item["option_hash"]``) picks few rows for many items."""
    def names_a_row(side: ast.expr) -> bool:
        name = side.attr if isinstance(side, ast.Attribute) else string_value(side.slice) \
            if isinstance(side, ast.Subscript) else side.id if isinstance(side, ast.Name) else None
        return bool(name and ROW_KEY.search(name))

    return any(names_a_row(test.left) or names_a_row(test.comparators[0]) for test in _join_tests(inner, outer))


def _loop_targets(site: LoopSite) -> set[str]:
    target = site.node.target if isinstance(site.node, (ast.For, ast.AsyncFor)) else site.node.generators[site.clause].target
    return _names_read(target)


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in walk_nodes(node) if isinstance(n, ast.Name)}


def _client_sized(function: ast.AST, expression: ast.expr, parents: dict, seen: set[tuple[str, int]]) -> bool:
    """A collection read from the request body (``request.data["ids"]``), also through the names it is
    bound to and the indexes a ``range(len(ids))`` walks, or the query rows picked by such a list (``Media.objects.filter(token__in=ids)``):
    no more rows than the client named."""
    if is_request_derived(expression):
        return True
    if isinstance(expression, ast.Call) and dotted(expression.func) == "range":  # range(0, len(ids), 2): ids' indexes
        return any(_client_sized(function, n.args[0], parents, seen) for a in expression.args for n in walk_nodes(a)
                   if isinstance(n, ast.Call) and dotted(n.func) == "len" and len(n.args) == 1)
    if isinstance(expression, ast.Name) and (expression.id, expression.lineno) not in seen:
        seen.add((expression.id, expression.lineno))
        return any(_client_sized(function, source, parents, seen)
                   for source in _sources_of(function, expression, parents))
    call = expression
    while isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        if call.func.attr == "filter" and any((k.arg or "").endswith("__in")
                                              and _client_sized(function, k.value, parents, seen)
                                              for k in call.keywords):
            return True
        call = call.func.value
    return False


def _membership(module: SourceModule, compare: ast.Compare, kinds) -> Iterator[Finding]:
    for op, container in zip(compare.ops, compare.comparators, strict=True):
        if not isinstance(op, (ast.In, ast.NotIn)):
            continue
        rebuilt_set = _set_built(container)
        rebuilt = is_list_expression(container) or rebuilt_set
        known_list = isinstance(container, ast.Name) and kinds(compare).get(container.id) == {LIST} \
            or _slot_grown_as_list(module, compare, container)
        table_rows = isinstance(container, ast.Name) and not known_list and _holds_table_rows(module, container)
        store = _store_scanned(module, container)
        loops = _collection_loops(module, compare) if rebuilt or known_list or table_rows or store else []
        if not loops or _varies_per_item(loops, container) or store and _fed_by_fixed_loops(loops, container):
            continue
        if table_rows and not any(_walks_model_rows(module, compare, s.iter) for s in loops):
            continue  # one document's tags checked against the inbox tags: a handful against a handful
        if _namespace_of(scope_of(module, compare), compare.left):
            continue
        if rebuilt:
            message = f"membership test against a {'set' if rebuilt_set else 'list'} rebuilt on every " \
                      "pass of the loop: O(n·m)"
            fix = "build a set once before the loop and test membership in it"
        elif table_rows:
            message = f"membership test on the query rows {container.id} inside a loop scans them as a list: O(n·m)"
            fix = f"build a set of {container.id} once before the loop (set(query.values_list(..., flat=True)))"
        elif store:
            message = f"membership test on the list {dotted(container)}, which the object keeps growing, inside a " \
                      "loop: O(n·m)"
            fix = f"keep a set beside {dotted(container)} for the membership test"
        else:
            message = f"membership test on the list {ast.unparse(container)} inside a loop: O(n·m)"
            fix = f"make {ast.unparse(container)} a set (or keep a set beside it) for the membership test"
        yield Finding(message=message, path=module.path, line=compare.lineno, end_line=compare.end_lineno,
                      evidence=module.evidence(compare), fix=fix), container


NAMESPACE_SEPARATORS = {".", ":"}


def _namespace_of(scope: ast.AST, value: ast.expr) -> bool:
    """``names[0]`` of ``names = event_type.split(".")``, ``key.split(":")[0]`` (also in a tuple): the first part of
    a dotted or colon-separated name, its namespace. A list of the distinct namespaces holds a handful whatever
    the number of names walked."""
    if isinstance(value, ast.Tuple):
        return bool(value.elts) and all(_namespace_of(scope, element) for element in value.elts)
    if not (isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant) and value.slice.value == 0):
        return False
    parts = value.value
    if isinstance(parts, ast.Name):
        bound = [n.value for n in walk_nodes(scope) if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and n.targets[0].id == parts.id]
        parts = bound[0] if len(bound) == 1 else None
    return isinstance(parts, ast.Call) and method_name(parts) in ("split", "rsplit", "partition") and bool(parts.args) \
        and string_value(parts.args[0]) in NAMESPACE_SEPARATORS


def _set_built(container: ast.expr) -> bool:
    """``{r.id for r in rows}``, ``set(ids)`` written in the test: the set is built again from the whole collection
    each time the test runs, a walk as long as a list's scan (not of a class or a constant, ``set(Status)``)."""
    if isinstance(container, ast.SetComp):
        return not all(is_fixed_source(g.iter) for g in container.generators)
    return isinstance(container, ast.Call) and dotted(container.func) in ("set", "frozenset") \
        and len(container.args) == 1 and not is_fixed_source(container.args[0])


def _holds_table_rows(module: SourceModule, read: ast.Name) -> bool:
    """The name holds, where it is read, the rows of a query that is as large as the data (see
    :func:`_unbounded_query`), as a query or as a list made of it: ``in`` walks them one by one
    (a Django QuerySet caches its rows in a list and scans it; a SQLAlchemy query runs again)."""
    function = scope_of(module, read)
    return isinstance(function, FUNCTION_TYPES) and _table_rows(function, read, module.parents, set())


def _walks_model_rows(module: SourceModule, node: ast.AST, iterable: ast.expr) -> bool:
    """The loop walks the rows of a model's query (any filter: ``Entity.objects.filter(project=p)``, ``self.exclude(...)``
    in a QuerySet class) or a list from the request body, not one object's relation (``instance.tags.all()``)."""
    function = scope_of(module, node)
    return _client_sized(function, iterable, module.parents, set()) \
        or _table_rows(function, iterable, module.parents, set(), _model_query)


def _table_rows(function: ast.AST, expression: ast.expr, parents: dict, seen: set[tuple[str, int]],
                judge=None) -> bool:
    """``expression`` holds the rows of a query that ``judge`` accepts (:func:`_unbounded_query` unless
    given), as a query or as a list made of it, also through the names it is bound to."""
    judge = judge or _unbounded_query
    if isinstance(expression, ast.Name):
        if (expression.id, expression.lineno) in seen:
            return False
        seen.add((expression.id, expression.lineno))
        sources = _sources_of(function, expression, parents)
        return bool(sources) and all(_table_rows(function, s, parents, seen, judge) for s in sources)
    if isinstance(expression, ast.Call) and dotted(expression.func) in PASS_THROUGH_CALLS and expression.args:
        return _table_rows(function, expression.args[0], parents, seen, judge)
    if isinstance(expression, ast.ListComp) and len(expression.generators) == 1:
        return _table_rows(function, expression.generators[0].iter, parents, seen, judge)
    return judge(function, expression, parents)


# What a Django query hands back as one value, not rows.
ONE_VALUE_METHODS = {"get", "first", "last", "latest", "earliest", "count", "exists", "aggregate", "in_bulk",
                     "create", "update", "delete", "get_or_create", "update_or_create"}


def _model_query(function: ast.AST, query: ast.expr, parents: dict) -> bool:
    """Rows of a model's query, also picked by the project's own QuerySet methods
    (``Voting.objects.due_soon().filter(...)``)."""
    node = query
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr not in ONE_VALUE_METHODS:
        node = node.func.value
    return node is not query and _query_root(node) or _query_rows(function, query, parents) is not None


def _query_rows(function: ast.AST, query: ast.expr, parents: dict,
                seen: set[tuple[str, int]] | None = None) -> list[ast.Call] | None:
    """The filter calls of a query that hands back rows of a model, also of the query a name holds that
    it refines (``entities = entities.prefetch_related(...)``), or None for anything else."""
    filters: list[ast.Call] = []
    node = query
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in QUERY_ROW_METHODS | {"iterator"}:
        if node.func.attr in QUERY_FILTERS:
            filters.append(node)
        node = node.func.value
    if node is not query and (_query_root(node) or _queryset_self(function, node, parents)):
        return filters
    seen = set() if seen is None else seen
    if node is query or not isinstance(node, ast.Name) or (node.id, node.lineno) in seen:
        return None
    seen.add((node.id, node.lineno))
    refined = [_query_rows(function, source, parents, seen) for source in _sources_of(function, node, parents)]
    if not refined or None in refined:
        return None
    return filters + [f for found in refined for f in found]


# What a query can chain and still hand back its rows, and the calls among them that filter.
QUERY_ROW_METHODS = {"values_list", "values", "all", "filter", "exclude", "order_by", "distinct", "annotate",
                     "only", "defer", "select_related", "prefetch_related", "using", "filter_by", "options"}
QUERY_FILTERS = {"filter", "filter_by"}
# Django look-ups that compare otherwise than by equality (``resource__project`` ends with a field name).
DJANGO_LOOKUPS = {"in", "gt", "gte", "lt", "lte", "range", "isnull", "contains", "icontains", "startswith",
                  "istartswith", "endswith", "iendswith", "regex", "iregex", "year", "month", "day", "date",
                  "week_day", "search", "overlap", "contained_by", "has_key", "has_any_keys", "ne"}


def _unbounded_query(function: ast.AST, query: ast.expr, parents: dict) -> bool:
    """A Django (``Model.objects....``) or SQLAlchemy (``session.query(Model)...``, ``Model.query...``) query
    whose rows are as many as the data: the whole table or a subset picked by flags
    (``Entity.objects.filter(obsolete=False)``), or the rows of a list the client sent
    (``filter(pk__in=request.data["ids"])``). One parent's rows (a filter equal to a variable:
    ``filter(issue_id=issue_id)``, ``filter(Assignee.issue_id == issue.id)``) are a handful and are not."""
    filters = _query_rows(function, query, parents)
    if filters is None:
        return False
    lists = [value for f in filters for value in _in_lists(f)]
    if any(_client_sized(function, value, parents, set()) for value in lists):
        return True
    return not any(_pins_a_parent(f) for f in filters) and not any(_one_objects(value) for value in lists)


def _queryset_self(function: ast.AST, node: ast.expr, parents: dict) -> bool:
    """``self`` in a method of a QuerySet or Manager class: the query itself."""
    owner = parents.get(function)
    return isinstance(node, ast.Name) and node.id == "self" and isinstance(owner, ast.ClassDef) \
        and any((dotted(b.value if isinstance(b, ast.Subscript) else b) or "").endswith(("QuerySet", "Manager"))
                for b in owner.bases)


def _one_objects(values: ast.expr) -> bool:
    """A literal list, or one object's relation (``media.encodings.filter(...)``): a few keys to pick rows by."""
    if isinstance(values, (ast.List, ast.Tuple, ast.Set)):
        return True
    node = values
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].islower()


def _query_root(node: ast.expr) -> bool:
    """``Model.objects`` (any Django manager named ``*objects``), ``session.query(Model)``, ``Model.query``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id[:1].isupper():
        return node.attr.endswith("objects") or node.attr == "query"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query" \
        and bool(node.args) and all((dotted(a) or "").rsplit(".", 1)[-1][:1].isupper() for a in node.args)


def _in_lists(query_filter: ast.Call) -> list[ast.expr]:
    """The lists a filter picks rows by: ``pk__in=ids`` (Django), ``Model.id.in_(ids)`` (SQLAlchemy)."""
    lists = [k.value for k in query_filter.keywords if (k.arg or "").endswith("__in")]
    return lists + [c.args[0] for a in query_filter.args for c in walk_nodes(a) if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Attribute) and c.func.attr == "in_" and c.args]


def _pins_a_parent(query_filter: ast.Call) -> bool:
    """A filter equal to a variable (``issue_id=issue_id``, ``Model.owner_id == user.id``): the rows of one parent."""
    return bool(_parent_keys(query_filter))


def _parent_keys(query_filter: ast.Call) -> list[ast.expr]:
    """The variables a filter compares for equality (``issue_id`` in ``filter(issue_id=issue_id)``)."""
    return [value for _, value in _parent_pins(query_filter)]


def _parent_pins(query_filter: ast.Call) -> list[tuple[str, ast.expr]]:
    """The columns a filter sets equal to a variable, with that variable (``("project_id", pid)`` for
    ``filter(project_id=pid)`` or ``filter(Blob.project_id == pid)``)."""
    pins = [(k.arg.split("__", 1)[0], k.value) for k in query_filter.keywords
            if k.arg and (k.arg.rsplit("__", 1)[-1] if "__" in k.arg else None) not in DJANGO_LOOKUPS
            and not _constant(k.value)]
    return pins + [((dotted(a.left) or "").rsplit(".", 1)[-1], a.comparators[0]) for a in query_filter.args
                   if isinstance(a, ast.Compare) and len(a.ops) == 1 and isinstance(a.ops[0], ast.Eq)
                   and not _constant(a.comparators[0])]


def _constant(value: ast.expr) -> bool:
    """A literal, a CONSTANT or an enum member (``Kind.DONE``, ``Kind.DONE.value``): a flag, not a parent."""
    name = dotted(value) or ""
    return isinstance(value, ast.Constant) or any(part.isupper() and len(part) > 1 for part in name.split("."))


def _list_method(module: SourceModule, call: ast.Call, kinds) -> Finding | None:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in LINEAR_LIST_METHODS):
        return None
    name = dotted(func.value)
    store = _store_scanned(module, func.value)
    listed = isinstance(func.value, ast.Name) and kinds(call).get(name) == {LIST}
    loops = _collection_loops(module, call) if listed or store else []
    if not loops or _varies_per_item(loops, func.value) or store and _fed_by_fixed_loops(loops, func.value):
        return None
    fix = {"index": f"map each item to its position once: {{v: i for i, v in enumerate({name})}}",
           "count": f"count once before the loop with collections.Counter({name})",
           "remove": f"build the kept items in one pass: [x for x in {name} if x not in drop_set]"}[func.attr]
    return Finding(message=f"list.{func.attr}() scans {name} on every pass of the loop: O(n·m)",
                   path=module.path, line=call.lineno, end_line=call.end_lineno,
                   evidence=module.evidence(call), fix=fix)


def _removes_from_walked_list(module: SourceModule, site: LoopSite, call: ast.Call) -> Finding | None:
    """``for step in steps: ... steps.remove(step)``: each removal scans and shifts the list the loop is walking,
    and the item after the removed one is skipped. Whatever the list's size, the loop is wrong."""
    walked = site.iter
    if not (isinstance(site.node, (ast.For, ast.AsyncFor)) and call.func.attr == "remove"
            and isinstance(walked, ast.Name) and dotted(call.func.value) == walked.id) \
            or _leaves_loop_after(module, module.parents.get(call), site) or _drained(module, site.node, walked.id):
        return None
    return Finding(message=f"{walked.id}.remove() inside the loop over {walked.id}: each removal rescans the list "
                           "(O(n²)) and the loop skips the item after it",
                   path=module.path, line=call.lineno, end_line=call.end_lineno,
                   evidence=module.evidence(call), fix=f"keep the wanted items in one pass: {walked.id} = [x for x in {walked.id} if ...]")


def _index_of_walked_item(module: SourceModule, site: LoopSite, call: ast.Call) -> Finding | None:
    """``for val in data_vals: ... data_vals.index(val)``: the item's own place looked up again in the list the
    loop is walking, a scan per item where ``enumerate()`` hands it over (and the first place of an item that
    appears twice, not its own). Whatever the list's size, the loop is wrong."""
    walked, target = site.iter, site.node.target if isinstance(site.node, (ast.For, ast.AsyncFor)) else None
    if not (call.func.attr == "index" and isinstance(walked, ast.Name) and isinstance(target, ast.Name)
            and dotted(call.func.value) == walked.id and len(call.args) == 1
            and isinstance(call.args[0], ast.Name) and call.args[0].id == target.id) or _grows(site.node, walked.id):
        return None
    return Finding(message=f"{walked.id}.index({target.id}) inside the loop over {walked.id}: each pass rescans the "
                           "list for the item's own position (O(n²))",
                   path=module.path, line=call.lineno, end_line=call.end_lineno,
                   evidence=module.evidence(call), fix=f"walk it with its positions: for i, {target.id} in enumerate({walked.id})")


def _drained(module: SourceModule, loop: ast.For | ast.AsyncFor, name: str) -> bool:
    """``while tables: for table in tables: ... tables.remove(table)``: a loop around the walk runs it again until
    the list is empty (retrying what failed), so the items a removal skips are taken on the next pass."""
    parent = module.parents.get(loop)
    while parent is not None and not isinstance(parent, FUNCTION_TYPES):
        if isinstance(parent, ast.While) and name in _names_read(parent.test):
            return True
        parent = module.parents.get(parent)
    return False


def _text_saved_per_pass(module: SourceModule, site: LoopSite, node: ast.AugAssign | ast.Assign) -> Finding | None:
    """``for recipe in recipes: log.msg += line; log.save()``: a text field of a model object grown on every pass
    and saved on every pass writes the whole text again each time, O(n²) bytes to the database, where the
    growth is meant as progress. Only a loop over records (a list held by name, query rows) counts: one object's
    relation (``for k in recipe.keywords.all()``) or the parts of one document (``page.find_all("p")``) are few."""
    if not (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Attribute)
            and isinstance(node.target.value, ast.Name) and node.target.value.id != "self" and _text(node.value)):
        return None
    owner = node.target.value.id
    loop = next((s for s in enclosing_loop_sites(module, node) if isinstance(s.node, (ast.For, ast.AsyncFor))), None)
    if loop is None or loop.node is not site.node or not isinstance(scope_of(module, node), FUNCTION_TYPES):
        return None
    records = isinstance(loop.iter, ast.Name) or isinstance(loop.iter, ast.Call) and _reads_rows(loop.iter)
    if not records or _one_objects(loop.iter):
        return None
    if not any(isinstance(n, ast.Call) and dotted(n.func) == f"{owner}.save" for n in walk_nodes(loop.node)):
        return None
    return Finding(message=f"{owner}.{node.target.attr} grows on every pass of the loop and {owner} is saved on every "
                           "pass: the whole text is written again each time, O(n²)",
                   path=module.path, line=node.lineno, end_line=node.end_lineno, evidence=module.evidence(node),
                   confidence=Confidence.medium,
                   fix=f"collect the lines in a list and save {owner}.{node.target.attr} once (or every N items)")


def _texts_appended_per_call(module: SourceModule) -> Iterator[Finding]:
    """``def append_to_log(self, message): self.log = self.log + message + "\\n"; self.save(update_fields=["log"])``:
    a method that appends what it is given to a text field of its own object and saves the object each time.
    Called once per line, n lines write the whole growing text n times, O(n²) bytes to the database. Growth by
    a constant (a footer), a number, or a text kept unsaved in memory is not reported."""
    for cls in walk_nodes(module.tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        text_fields = _declared_text_fields(cls)
        for method in cls.body:
            if not isinstance(method, FUNCTION_TYPES) or not any(
                    isinstance(n, ast.Call) and dotted(n.func) == "self.save" for n in walk_function_body(method)):
                continue
            parameters = set(own_parameters(method))
            for statement in method.body:
                field, added = _self_text_growth(statement)
                if field is None or not (field in text_fields or any(_text(part) for part in added)) \
                        or not any(parameters & _names_read(part) for part in added):
                    continue
                yield Finding(message=f"each call appends to self.{field} and saves it: n calls write the whole "
                                      "growing text n times, O(n²)",
                              path=module.path, line=statement.lineno, end_line=statement.end_lineno,
                              evidence=module.evidence(statement), confidence=Confidence.medium,
                              fix="store each entry as a row of its own (or append in SQL, "
                                  f"F(\"{field}\") + text), or buffer the entries and save every N")


TEXT_FIELD_TYPES = re.compile(r"(TextField|CharField|Text|String)$")


def _declared_text_fields(cls: ast.ClassDef) -> set[str]:
    """The attributes a model class declares as text (``log = models.TextField()``, ``Column(Text)``)."""
    return {t.id for n in cls.body if isinstance(n, (ast.Assign, ast.AnnAssign)) and isinstance(n.value, ast.Call)
            and any(TEXT_FIELD_TYPES.search(dotted(c) or "") for c in [n.value.func, *n.value.args])
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}


def _self_text_growth(statement: ast.stmt) -> tuple[str | None, list[ast.expr]]:
    """``self.log += text`` or ``self.log = self.log + text + "\\n"``: the attribute and the parts added to it."""
    if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Add) \
            and _own_attribute(statement.target):
        return statement.target.attr, [statement.value]
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and _own_attribute(statement.targets[0]):
        added: list[ast.expr] = []
        left = statement.value
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
            left, added = left.left, [left.right, *added]
        if added and dotted(left) == dotted(statement.targets[0]):
            return statement.targets[0].attr, added
    return None, []


def _own_attribute(target: ast.expr) -> bool:
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"


JSON_PARSERS = {"json.loads", "orjson.loads", "ujson.loads", "simplejson.loads", "pydantic_core.from_json",
                "jiter.from_json"}
JSON_PARSING_METHODS = {"model_validate_json", "validate_json", "parse_raw"}


def _reparsed_per_chunk(module: SourceModule, site: LoopSite, node: ast.AugAssign | ast.Assign) -> Finding | None:
    """``async for chunk in stream: call.text += chunk.delta; call.input = parse_partial_json(call.text)``: the
    text grows with every chunk of a stream and is parsed whole again on each, O(n²) in the stream's length.
    Only a stream counts: an ``async for``, or the chunks or lines of an HTTP body (``r.iter_lines()``)."""
    if not (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and dotted(node.target)):
        return None
    grown = dotted(node.target)
    loop = next((s for s in enclosing_loop_sites(module, node) if isinstance(s.node, (ast.For, ast.AsyncFor))
                 and _walks_a_stream(s)), None)
    if loop is None or loop.node is not site.node or isinstance(node.target, ast.Name) and _bound_in(loop, {grown}):
        return None
    parsers = _json_parsing_functions(module)
    if not any(isinstance(call, ast.Call) and call.lineno > node.end_lineno and _parses(module, call, grown, parsers)
               for call in walk_nodes(site.node)):
        return None
    return Finding(message=f"{grown} grows with every chunk of the stream and is parsed whole again on every pass: "
                           "O(n²) in the stream's length",
                   path=module.path, line=node.lineno, end_line=node.end_lineno, evidence=module.evidence(node),
                   confidence=Confidence.medium,
                   fix="parse once when the stream ends, or feed only the new delta to an incremental parser")


def _walks_a_stream(site: LoopSite) -> bool:
    return isinstance(site.node, ast.AsyncFor) or isinstance(site.iter, ast.Call) and _streams_body(site.iter)


def _parses(module: SourceModule, call: ast.Call, text: str, parsers: dict[str, set[int]]) -> bool:
    """``json.loads(text)``, ``Model.model_validate_json(text)``, or ``parse_partial(text)`` where that function of
    the module hands the parameter to one."""
    handed = [i for i, a in enumerate(call.args) if dotted(a) == text]
    if not handed:
        return False
    name = call_name(module, call) or ""
    return name in JSON_PARSERS or method_name(call) in JSON_PARSING_METHODS \
        or isinstance(call.func, ast.Name) and bool(parsers.get(call.func.id, set()) & set(handed))


def _json_parsing_functions(module: SourceModule) -> dict[str, set[int]]:
    """Functions of the module that parse a parameter as JSON: name -> positions of those parameters."""
    parsing: dict[str, set[int]] = {}
    for fn in walk_nodes(module.tree):
        if isinstance(fn, FUNCTION_TYPES):
            own = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
            parsed = {dotted(call.args[0]) for call in walk_nodes(fn) if isinstance(call, ast.Call) and call.args
                      and (call_name(module, call) in JSON_PARSERS or method_name(call) in JSON_PARSING_METHODS)}
            positions = {i for i, name in enumerate(own) if name in parsed}
            if positions:
                parsing[fn.name] = positions
    return parsing


# Calls that give a number: ``done += len(batch)`` counts, it does not grow a text.
NUMBER_CALLS = {"len", "sum", "int", "float", "round", "abs", "max", "min", "count"}
QUANTITY_CALLS = NUMBER_CALLS | {"Decimal", "timedelta", "relativedelta"}  # `obj.next_run += timedelta(...)`: no text


def _text(value: ast.expr) -> bool:
    """A piece of text: a string, an f-string, a sum with one, or what a call other than a number's or a
    duration's gives (``self.get_processed_message(recipe)``)."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str)
    if isinstance(value, ast.BinOp):
        return _text(value.left) or _text(value.right)
    if isinstance(value, ast.Call):
        return (dotted(value.func) or method_name(value) or "").rsplit(".", 1)[-1] not in QUANTITY_CALLS
    return isinstance(value, ast.JoinedStr)


def _string_growth(module: SourceModule, node: ast.AugAssign | ast.Assign, kinds) -> Finding | None:
    if isinstance(node, ast.AugAssign):
        if not (isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name)):
            return None
        name = node.target.id
    else:
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add)
                and dotted(node.value.left) == node.targets[0].id):
            return None
        name = node.targets[0].id
    kind = kinds(node).get(name)
    loops = _collection_loops(module, node) if kind in ({STR}, {BYTES}) else []
    if not loops or _bound_in(loops[0], {name}) or _leaves_loop_after(module, node, loops[0]) \
            or _length_capped(module, node, loops[0]) or _over_one_objects_parts(module, node):
        return None
    if kind == {BYTES}:
        return Finding(message=f"bytes {name} are built with + on every pass of the loop: O(n²) copying",
                       path=module.path, line=node.lineno, end_line=node.end_lineno,
                       evidence=module.evidence(node), confidence=Confidence.medium,
                       fix="append the chunks to a bytearray (or a list joined once with b''.join()) after the loop")
    return Finding(message=f"string {name} is built with + on every pass of the loop: O(n²) copying",
                   path=module.path, line=node.lineno, end_line=node.end_lineno,
                   evidence=module.evidence(node), confidence=Confidence.medium,
                   fix="collect the parts in a list and ''.join() them once after the loop")


FRAME_CONCATS = {"pd.concat", "pandas.concat", "np.concatenate", "numpy.concatenate", "np.vstack", "numpy.vstack",
                 "np.append", "numpy.append"}


def _frame_growth(module: SourceModule, node: ast.AugAssign | ast.Assign) -> Finding | None:
    """``df = pd.concat([df, part])`` (or ``np.concatenate``/``np.append``) on every pass of a loop: each pass copies
    the whole frame built so far, O(n²) like a string grown with ``+=``."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call) and qualified(module, node.value.func) in FRAME_CONCATS
            and node.value.args):
        return None
    name = node.targets[0].id
    first = node.value.args[0]
    pieces = first.elts if isinstance(first, (ast.List, ast.Tuple)) else node.value.args
    loops = _collection_loops(module, node)
    if not any(isinstance(p, ast.Name) and p.id == name for p in pieces) or not loops \
            or _leaves_loop_after(module, node, loops[0]) or _renewed_in(loops[0], name, node):
        return None
    return Finding(message=f"{name} is concatenated again on every pass of the loop: O(n²) copying",
                   path=module.path, line=node.lineno, end_line=node.end_lineno,
                   evidence=module.evidence(node), confidence=Confidence.medium,
                   fix="collect the parts in a list and concatenate them once after the loop")


def _renewed_in(loop: LoopSite, name: str, growth: ast.Assign) -> bool:
    """The loop binds ``name`` afresh on each pass other than by the concatenation itself (its target, or
    ``frame = pd.DataFrame()`` in its body)."""
    if not isinstance(loop.node, (ast.For, ast.AsyncFor)):
        return True
    return any(isinstance(n, ast.Name) and n.id == name for n in walk_nodes(loop.node.target)) or any(
        isinstance(n, ast.Assign) and n is not growth and any(isinstance(t, ast.Name) and t.id == name
                                                              for t in n.targets)
        and not (isinstance(n.value, ast.Call) and any(isinstance(a, (ast.List, ast.Tuple)) and any(
            isinstance(e, ast.Name) and e.id == name for e in a.elts) for a in n.value.args))
        for statement in loop.node.body for n in walk_nodes(statement))


def _over_one_objects_parts(module: SourceModule, node: ast.stmt) -> bool:
    """Every loop that grows the string walks one object's parts: its relation (``for k in recipe.keywords.all()``)
    or a list gathered from such relations (``lines.append(i)`` for each ``i`` of ``step.ingredients.all()``): a
    recipe's keywords or one document's lines are a handful. Also through a local, as ``enumerate(local)``: ``ccs =
    ticket.ticketcc_set.all(); for i, cc in enumerate(ccs)``."""
    function = scope_of(module, node)
    iters = [_unwrapped(it) for it in _growing_loop_iters(module, node)]
    return bool(iters) and all(
        _relation_read(it) or isinstance(it, ast.Name) and isinstance(function, FUNCTION_TYPES)
        and bool(sources := _sources_of(function, it, module.parents))
        and all(_relation_read(src) or isinstance(src, (ast.List, ast.Tuple)) for src in sources)
        for it in iters)


def _relation_read(iterable: ast.expr) -> bool:
    """``recipe.keywords.all()``, ``step.ingredients.filter(...)``: the rows one object's relation picks (a mapped
    collection read bare, ``folder.notes``, is judged by what the model declares)."""
    iterable = _unwrapped(iterable)  # enumerate(recipe.steps.all())
    return isinstance(iterable, ast.Call) and _one_objects(iterable)


ORDERING_WRAPPERS = {"enumerate", "sorted", "reversed", "list"}


def _unwrapped(iterable: ast.expr) -> ast.expr:
    """``enumerate(ccs)`` -> ``ccs``: the collection an ordering wrapper walks (the expression itself otherwise)."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id in ORDERING_WRAPPERS \
            and iterable.args:
        return iterable.args[0]
    return iterable


def _leaves_loop_after(module: SourceModule, node: ast.stmt, loop: LoopSite) -> bool:
    """``text += "..."; break``: the growth runs once, on the way out of the loop. Also when the statement sits in
    an inner loop or block that the loop's pass then leaves (``for f in dependents: items.remove(f)`` followed by
    ``return``): the walk over the loop's collection ends there."""
    parent = module.parents.get(node)
    inner_loop = False
    while parent is not None and parent is not loop.node:
        for body in (getattr(parent, "body", None), getattr(parent, "orelse", None)):
            if isinstance(body, list) and node in body:
                leaves = (ast.Return, ast.Raise) if inner_loop else (ast.Break, ast.Return, ast.Raise)
                if any(isinstance(st, leaves) for st in body[body.index(node) + 1:]):
                    return True
        inner_loop = inner_loop or isinstance(parent, (ast.For, ast.AsyncFor, ast.While))
        node, parent = parent, module.parents.get(parent)
    if parent is loop.node and node in loop.node.body:  # the statement the pass ends with, at the loop's own level
        return any(isinstance(st, (ast.Break, ast.Return, ast.Raise)) for st in loop.node.body[loop.node.body.index(node) + 1:])
    return False


def _length_capped(module: SourceModule, node: ast.stmt, loop: LoopSite) -> bool:
    """``if len(text + piece) <= 3000: text += piece``: the text never outgrows a fixed cap, so
    the copying is bounded whatever the loop walks."""
    child, parent = node, module.parents.get(node)
    while parent is not None and parent is not loop.node:
        if isinstance(parent, ast.If) and child in parent.body and _caps_length(parent.test):
            return True
        child, parent = parent, module.parents.get(parent)
    return False


def _caps_length(test: ast.expr) -> bool:
    """``len(x) <= N`` / ``len(x) < LIMIT`` (also inside ``and``): the length stays under a constant."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_caps_length(v) for v in test.values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Lt, ast.LtE))):
        return False
    left, right = test.left, test.comparators[0]
    is_len = isinstance(left, ast.Call) and dotted(left.func) == "len"
    constant = isinstance(right, ast.Constant) and isinstance(right.value, int) \
        or (dotted(right) or "").rsplit(".", 1)[-1].isupper()
    return is_len and constant
