"""What the R5 rules ask of a function: which loops walk a collection, which names
hold lists, which values come from the request."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from audit_lib.libs.db import is_setup_module, is_test_module
from audit_lib.pyast import (
    FUNCTION_TYPES,
    annotation_expr,
    dotted,
    has_main_block,
    method_name,
    string_value,
    walk_nodes,
)
from audit_lib.libs.web import imports_web_framework, route_handlers
from audit_lib.source import Project, SourceModule

# Migration revisions run once, offline: not the request path R5 is about.
MIGRATION_PATH = re.compile(r"(^|/)(migrations|alembic|versions)/")
DOCUMENTATION_DIRS = {"docs", "doc", "examples", "example"}
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Wrappers that walk their first argument in full: the loop walks that collection.
PASS_THROUGH_CALLS = {"enumerate", "reversed", "sorted", "list", "tuple", "iter"}
DICT_VIEWS = {"items", "keys", "values"}
REQUEST_NAMES = {"request", "req"}
# The body of a request: as large as the client sends. Not the query string (``request.args``,
# ``request.GET``, ``query_params``): servers cut the request line at a few kilobytes.
REQUEST_BODY_READS = {"json", "get_json", "form", "data", "POST", "FILES", "files"}


# Packaging and task-runner files: run by the build (``hatch_build.py``'s build hook), never by the service.
BUILD_FILES = {"setup.py", "hatch_build.py", "noxfile.py", "fabfile.py"}


def is_offline_module(module: SourceModule) -> bool:
    """Test code, migration revisions (a ``migrations/`` folder, or one ``migrations.py`` of them),
    the developer tools of a top-level ``tools/`` folder (converters, generators) and the build files at the
    top of the tree (``hatch_build.py``, ``setup.py``): code run once, by hand or by the build."""
    return is_test_module(module) or is_migration_path(module.path) or module.path.startswith("tools/") \
        or module.path in BUILD_FILES


def runs_offline(module: SourceModule, project: Project) -> bool:
    """Code run once or by hand, not on the service's path: :func:`is_offline_module`, documentation
    and examples (``docs/``, ``examples/``), set-up code run once at installation (``seed.py``,
    ``bootstrap.py``) and :func:`is_hand_run_script` (a demo-data loader)."""
    return is_offline_module(module) or in_documentation(module.path) or is_setup_module(module) \
        or is_hand_run_script(module, project)


def is_hand_run_script(module: SourceModule, project: Project) -> bool:
    """A file outside the service's packages with a ``__main__`` block, that no module imports,
    that declares no routes and does not import a web framework: it only runs when someone runs it (``python loaddata.py``). A runnable
    module of a package (``python -m app.worker``, a package's ``__main__.py``) may well be a service
    process: not one of these."""
    if "__main__" not in module.text or project.in_package(module) or not has_main_block(module):
        return False
    parts = module.dotted_name.split(".")
    imported = project.imported_roots
    if any(".".join(parts[i:]) in imported for i in range(len(parts))):
        return False
    # a module that builds the web app (``app = Flask(__name__)`` ... ``app.run()``) is the service's entry
    return not route_handlers(module, project) and not imports_web_framework(module)


def is_migration_path(path: str) -> bool:
    return MIGRATION_PATH.search(path) is not None or path.rsplit("/", 1)[-1] == "migrations.py"


def in_documentation(path: str) -> bool:
    """A file of a ``docs/`` or ``examples/`` folder: documentation and sample code (Sphinx's ``conf.py``)."""
    return any(part in DOCUMENTATION_DIRS for part in path.split("/")[:-1])


@dataclass(frozen=True)
class LoopSite:
    """One loop: a ``for`` statement or one ``for`` clause of a comprehension."""

    node: ast.AST  # the For / AsyncFor, or the comprehension
    iter: ast.expr
    clause: int = 0  # index of the comprehension's generator


def walked_collection(iter_node: ast.expr) -> str | None:
    """The dotted name of the collection a loop walks: ``xs`` for ``enumerate(xs)``,
    ``xs[1:]``, ``d.items()``, ``range(len(xs))``; None for anything else."""
    node = iter_node
    while True:
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name in PASS_THROUGH_CALLS and node.args:
                node = node.args[0]
                continue
            if name == "range":
                lengths = [a.args[0] for a in node.args
                           if isinstance(a, ast.Call) and dotted(a.func) == "len" and len(a.args) == 1]
                lengths += [a.left.args[0] for a in node.args
                            if isinstance(a, ast.BinOp) and isinstance(a.left, ast.Call)
                            and dotted(a.left.func) == "len" and len(a.left.args) == 1]
                if not lengths:
                    return None
                node = lengths[0]
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr in DICT_VIEWS and not node.args:
                node = node.func.value
                continue
            return None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            node = node.value
            continue
        return dotted(node)


def is_constant_iterable(node: ast.expr) -> bool:
    """A literal of constants, a string, or ``range`` of constants: a bounded loop."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    if isinstance(node, ast.Call) and dotted(node.func) in ("range", "enumerate", "reversed", "sorted") and node.args:
        return all(is_constant_iterable(a) if dotted(node.func) != "range" else isinstance(a, ast.Constant)
                   for a in node.args)
    return False


def loop_sites(tree: ast.AST) -> list[LoopSite]:
    sites: list[LoopSite] = []
    for node in walk_nodes(tree):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            sites.append(LoopSite(node, node.iter))
        elif isinstance(node, COMPREHENSIONS):
            sites.extend(LoopSite(node, gen.iter, i) for i, gen in enumerate(node.generators))
    return sites


def enclosing_loop_sites(module: SourceModule, node: ast.AST) -> list[LoopSite]:
    """Loops that run ``node`` once per iteration, innermost first, within its function."""
    found: list[LoopSite] = []
    child = node
    parent = module.parents.get(node)
    while parent is not None and not isinstance(parent, FUNCTION_TYPES + (ast.Lambda, ast.ClassDef)):
        if isinstance(parent, (ast.For, ast.AsyncFor)) and child in parent.body:
            found.append(LoopSite(parent, parent.iter))
        elif isinstance(parent, ast.While) and child in parent.body:
            found.append(LoopSite(parent, parent.test))
        elif isinstance(parent, COMPREHENSIONS):
            found.extend(_comprehension_clauses_around(parent, child))
        child = parent
        parent = module.parents.get(parent)
    return found


def _comprehension_clauses_around(comp: ast.AST, child: ast.AST) -> list[LoopSite]:
    """The clauses of ``comp`` that run ``child`` once per item, innermost first."""
    generators = comp.generators
    for index, gen in enumerate(generators):
        if child is gen.iter:
            return [LoopSite(comp, g.iter, i) for i, g in reversed(list(enumerate(generators[:index])))]
        if child is gen:
            return [LoopSite(comp, g.iter, i) for i, g in reversed(list(enumerate(generators[:index + 1])))]
    return [LoopSite(comp, g.iter, i) for i, g in reversed(list(enumerate(generators)))]


def walks_a_collection(site: LoopSite) -> bool:
    """A ``for`` over something that is not a constant literal or ``range`` of constants."""
    return not isinstance(site.node, ast.While) and not is_constant_iterable(site.iter)


LIST = "list"
STR = "str"
BYTES = "bytes"
OTHER = "other"


def name_kinds(module: SourceModule, scope: ast.AST) -> dict[str, set[str]]:
    """For each simple name bound in ``scope`` (not in nested functions): what it is bound to.

    ``list`` for list literals that the scope grows or that unpack other collections, ``list(...)``, list comprehensions,
    ``.fetchall()`` and parameters annotated ``list[...]``; ``str`` for string literals, ``bytes`` for bytes literals;
    ``other`` for anything else, so that a name rebound to a set stops counting as a list.
    """
    kinds: dict[str, set[str]] = {}
    grown = _grown_names(scope)
    if isinstance(scope, FUNCTION_TYPES):
        arguments = scope.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            kinds.setdefault(arg.arg, set()).add(LIST if is_list_annotation(arg.annotation) else OTHER)
    for node in _scope_nodes(scope):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None:
                continue
            for target in targets:
                if isinstance(target, ast.Name) and _extends_itself(target.id, node.value):
                    continue
                if isinstance(target, ast.Name):
                    kinds.setdefault(target.id, set()).add(_value_kind(node.value, target.id in grown))
                else:
                    for name in walk_nodes(target):
                        if isinstance(name, ast.Name):
                            kinds.setdefault(name.id, set()).add(OTHER)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)):
            bound = [node.target] if isinstance(node, (ast.For, ast.AsyncFor, ast.NamedExpr)) else \
                [i.optional_vars for i in node.items if i.optional_vars is not None]
            for target in bound:
                for name in walk_nodes(target):
                    if isinstance(name, ast.Name):
                        kinds.setdefault(name.id, set()).add(OTHER)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                kinds.setdefault(name, set()).add(OTHER)
    return kinds


def _extends_itself(name: str, value: ast.expr) -> bool:
    """``s = s + x``: a growth of ``s``, not a new binding."""
    return isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) \
        and isinstance(value.left, ast.Name) and value.left.id == name


def _scope_nodes(scope: ast.AST):
    stack = list(getattr(scope, "body", []))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, FUNCTION_TYPES + (ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _grown_names(scope: ast.AST) -> set[str]:
    grown: set[str] = set()
    for node in _scope_nodes(scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("append", "extend", "insert") and isinstance(node.func.value, ast.Name):
            grown.add(node.func.value.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            grown.add(node.target.id)
    return grown


def _value_kind(value: ast.expr, grown: bool) -> str:
    if isinstance(value, ast.List) or isinstance(value, ast.Call) and dotted(value.func) == "list" and not value.args:
        # A literal (or ``list()``) never grown keeps the few items written in it.
        unpacks = isinstance(value, ast.List) and any(isinstance(e, ast.Starred) for e in value.elts)
        return LIST if grown or unpacks else OTHER
    if is_list_expression(value):
        return LIST
    if isinstance(value, (ast.JoinedStr,)) or string_value(value) is not None:
        return STR
    if isinstance(value, ast.Constant) and isinstance(value.value, bytes):
        return BYTES
    if isinstance(value, ast.IfExp):  # ``"" if decode else b""``: text either way
        kinds = {_value_kind(value.body, grown), _value_kind(value.orelse, grown)}
        return (STR if STR in kinds else BYTES) if kinds <= {STR, BYTES} else OTHER
    return OTHER


def is_list_expression(value: ast.expr) -> bool:
    """An expression that builds a list of data: ``list(x)``, ``[... for ...]``, ``cur.fetchall()``,
    ``request.form.getlist("ids")``, ``redis.lrange(key, 0, -1)``, rq's ``queue.get_job_ids()``.

    Lists made from a class or a constant (``[k.value for k in Keyword]``, ``list(Status)``:
    the members of an enum, a CONSTANT) or from a table's, query's or model's columns
    (``[c.name for c in stmt.columns]``) hold a fixed handful of items, not data."""
    if isinstance(value, ast.ListComp):
        return not all(is_fixed_source(g.iter) for g in value.generators)
    if isinstance(value, ast.Call):
        if isinstance(value.func, ast.Name) and value.func.id == "list" and value.args:
            return not is_fixed_source(value.args[0])
        # getlist: every value of a form or query field; a Redis list's or sorted set's members, rq's job ids
        return method_name(value) in LIST_READS
    return False


LIST_READS = {"fetchall", "getlist", "lrange", "zrange", "zrevrange", "zrangebyscore", "hkeys", "hvals", "get_job_ids"}


SCHEMA_ATTRIBUTES = frozenset({"columns", "c", "column_descriptions", "model_fields", "__fields__"})


def is_fixed_source(node: ast.expr) -> bool:
    """A class or a constant (``Status``, ``DEFAULT_FIELDS``, ``settings.PLUGINS``), or a table's columns: a
    fixed handful of items."""
    if isinstance(node, ast.Attribute) and node.attr in SCHEMA_ATTRIBUTES:
        return True
    name = dotted(node)
    return name is not None and name.rsplit(".", 1)[-1][:1].isupper()


def is_list_annotation(annotation: ast.expr | None) -> bool:
    annotation = annotation_expr(annotation)
    if isinstance(annotation, ast.Subscript):
        head = dotted(annotation.value) or ""
        return head.rsplit(".", 1)[-1] in ("list", "List")
    return isinstance(annotation, ast.Name) and annotation.id in ("list", "List")


def is_request_derived(node: ast.expr) -> bool:
    """``request.json["items"]``, ``request.get_json()["rows"]``, ``req.POST.getlist("ids")``."""
    current = node
    while isinstance(current, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(current, ast.Call):
            current = current.func
            continue
        if isinstance(current, ast.Attribute) and isinstance(current.value, ast.Name) \
                and current.value.id in REQUEST_NAMES and current.attr in REQUEST_BODY_READS:
            return True
        current = current.value
    return False


def own_parameters(fn: ast.AST) -> list[str]:
    """The parameters a caller passes, in order: without ``self``/``cls``."""
    names = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def opened_files(nodes: Iterable[ast.AST], assigned: bool = False) -> Iterator[tuple[ast.Name, ast.Call]]:
    """Each name a ``with`` binds to a file it opens (``with open(path) as f``, ``with gzip.open(path) as f``,
    ``with path.open() as f``; with ``assigned``, also ``f = io.open(path)``), with the call that opens it."""
    for node in nodes:
        pairs = [(i.optional_vars, i.context_expr) for i in node.items] if isinstance(node, (ast.With, ast.AsyncWith)) \
            else [(node.targets[0], node.value)] if assigned and isinstance(node, ast.Assign) \
            and len(node.targets) == 1 else []
        for target, value in pairs:
            if isinstance(target, ast.Name) and isinstance(value, ast.Call) and method_name(value) == "open":
                yield target, value
