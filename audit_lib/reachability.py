"""Modules nothing in production runs: the project's import graph, walked from its entry points.

A finding in a module that no entry point reaches (a legacy importer replaced by a newer one and
absent from every registry, an API module only tests import) is about code that never runs; the
report keeps it, marked suppressed with the reason.

The graph holds every Python file under the code root but test code (the scan's ``exclude`` may
drop folders, such as migrations, whose imports still keep code alive): an edge for each import
(absolute, relative, ``import a.b.c``, ``from pkg import module``, ``from .item import *``) and for each
string constant that is a dotted path to a module of the project (``"pkg.mod"``, ``"pkg.mod.Class"``,
``"pkg.mod:func"``: Django settings, celery includes, ``importlib.import_module("pkg.mod")``, each line
of setup.py's ``entry_points`` text); a path naming a package also reaches its ``base`` module (what
Django loads of a database ``ENGINE``).

Entry points (roots):
- a file with an ``if __name__ == "__main__":`` guard, ``__main__.py``, ``setup.py``, a file
  outside any package (a script, a tool's config);
- the modules a framework or a server loads by convention: ``settings*``, ``urls``, ``wsgi``, ``asgi``,
  ``manage``, ``apps``, ``admin``, ``models``, ``signals``, ``receivers``, ``tasks``, ``celery``,
  ``consumers``, ``routing``, ``formats``, ``app``, ``main``, ``cli``, ``server``, ``worker``, and
  everything under ``settings/``, ``migrations/``, ``templatetags/``, ``management/commands/``, plus the names an
  ``autodiscover*("name")`` call asks for; a package of such a name counts too (``models/__init__.py``);
- a module that builds a web or Celery application (``FastAPI()``, ``Flask(__name__)``, ``Celery("proj")``):
  a server or a worker loads it by a path that may be written outside the scanned tree;
- every module of a package one of whose modules loads modules by a computed name
  (``importlib.import_module(name)``, ``__import__(name)``, ``import_string(name)``,
  ``pkgutil.iter_modules``);
- modules named by dotted paths in the tree's configuration and launch files (``.toml``, ``.cfg``, ``.ini``,
  ``.yml``, ``.yaml``, ``.txt``, ``.json``, ``.conf``, ``.sh``, ``.env``, Dockerfile, Procfile, Makefile): entry
  points, plugin lists, settings, ``gunicorn svc.api:app``, ``python -m svc.worker``;
- every module of a top-level package holding no other entry point: a library, used by what
  imports it from outside.

Modules of factory_boy factories (a class on ``factory.django.DjangoModelFactory`` or a project's factory base)
that only tests, test-data code importing factory_boy (a ``generate_test_data`` command) and other factory
modules import are test support wherever they sit (``vpn/factory.py``): their findings are suppressed too.

Running a module runs the ``__init__`` of each package above it. The graph is not trusted, and every
module counts as reachable, when the tree holds no packaging metadata nor ``manage.py`` (a package
folder of a repository, scanned without the files that say how it runs) or when most of the code
would be unreachable.
"""

from __future__ import annotations

import ast
import bisect
import os
import re
import sys
from pathlib import Path

from audit_lib.findings import Finding
from audit_lib.libs.web import APP_FACTORIES
from audit_lib.pyast import qualified, string_value
from audit_lib.source import (
    SKIPPED_DIRS,
    Project,
    SourceModule,
    is_management_command,
    is_test_path,
    iter_files,
    parse_file,
    project_files,
)

CONVENTIONAL_NAMES = frozenset({
    "urls", "wsgi", "asgi", "manage", "apps", "admin", "models", "signals", "receivers", "tasks", "celery",
    "consumers", "routing", "formats", "__main__", "setup", "app", "main", "cli", "server", "worker",
})
CONVENTIONAL_FOLDERS = frozenset({"settings", "migrations", "templatetags"})
PROJECT_FILES = frozenset({"setup.py", "setup.cfg", "pyproject.toml", "manage.py"})
PROJECT_FILES_DEPTH = 2  # folders below the root searched for them (a repository with its service in api/)
CONFIG_SUFFIXES = (".toml", ".cfg", ".ini", ".yml", ".yaml", ".txt", ".json", ".conf", ".sh", ".env", ".flaskenv")
LAUNCH_FILES = ("dockerfile", "procfile", "makefile")  # lower-cased name prefixes: Dockerfile.prod, Procfile.dev
MAX_CONFIG_BYTES = 1_000_000
DYNAMIC_LOADERS = frozenset({"import_module", "__import__", "import_string"})
PACKAGE_WALKERS = frozenset({"iter_modules", "walk_packages"})
LAZY_LOADERS = frozenset({"lazy_loader.attach", "lazy_loader.attach_stub"})  # a package's names loaded on first use
APPLICATIONS = frozenset({name for name in APP_FACTORIES if not name.endswith(("Router", "Blueprint", "RouteTableDef"))}
                         | {"celery.Celery"})
MOST_UNREACHABLE = 0.5  # above this share of unreachable modules the graph is taken to be partial
ENTRY_POINT = re.compile(r"\s*[\w.-]+\s*=\s*(?P<target>[\w.]+(?::\w+)?)\s*(?:\[[^\]]*\])?\s*")
DOTTED_PATH = re.compile(r"(?<![\w./-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?")
_FACT = "reachability.unreachable"  # Project.facts key


def unreachable_modules(project: Project) -> dict[str, str]:
    """Path of each scanned module no entry point reaches -> why (empty when the graph is not trusted)."""
    known = project.facts.get(_FACT)
    if known is None:
        known = project.facts[_FACT] = _unreachable(project)
    return known


def suppress_unreachable(findings: list[Finding], project: Project) -> None:
    """Mark suppressed the findings located in unreachable modules, in test-data factories and in definitions
    nothing uses (a finding standing for several places only when every one of them is)."""
    unreachable = {**factory_boy_test_support(project), **unreachable_modules(project)}
    for finding in findings:
        if finding.suppressed or finding.path not in unreachable:
            continue
        if all(path in unreachable for path in _paths_stood_for(finding)):
            finding.suppressed = True
            finding.suppressed_by = unreachable[finding.path]
    _suppress_in_dead_definitions(findings, project)


def _suppress_in_dead_definitions(findings: list[Finding], project: Project) -> None:
    dead = dead_definitions(project)
    for finding in findings:
        if finding.suppressed or finding.path not in dead or finding.line is None:
            continue
        why = _dead_why(dead, finding.path, finding.line)
        if why and all(_dead_why(dead, path, line) for path, line in _places_stood_for(finding)):
            finding.suppressed = True
            finding.suppressed_by = why


def _dead_why(dead: dict[str, list[tuple[int, int, str]]], path: str, line: int | None) -> str | None:
    """Why the line sits in a definition nothing uses (the outermost one), or None."""
    return next((why for first, last, why in dead.get(path, ()) if line is not None and first <= line <= last), None)


def factory_boy_test_support(project: Project) -> dict[str, str]:
    """Path of each module of factory_boy factories that only test code and test-data code import -> why: a
    module importing ``factory`` and defining a class on a factory base (``factory.django.DjangoModelFactory``,
    a project's ``PrimaryModelFactory``), whose importers are tests, modules that import factory_boy themselves
    (a ``generate_test_data`` command) or other factory modules (``factory.py``, ``factories.py``)."""
    factories = {m.path for m in project.modules if not is_test_path(m.path) and _defines_factories(m)}
    for module in project.modules:
        if is_test_path(module.path) or module.imports_module("factory") or module.path in factories \
                or module.path.rpartition("/")[2] in FACTORY_FILES:
            continue
        factories -= {target.path for name in module.imported_roots if (target := project.by_dotted_name.get(name))}
    return {path: f"test support: {path} holds factory_boy factories only tests and test-data code import"
            for path in factories}


FACTORY_FILES = frozenset({"factory.py", "factories.py"})


def _defines_factories(module: SourceModule) -> bool:
    if not module.imports_module("factory"):
        return False
    bases = [qualified(module, base) or "" for cls in module.nodes_of(ast.ClassDef) for base in cls.bases]
    return any(base.startswith("factory.") or base.endswith("Factory") for base in bases)


def _paths_stood_for(finding: Finding) -> set[str]:
    return {path for path, _ in _places_stood_for(finding)}


def _places_stood_for(finding: Finding) -> set[tuple[str, int | None]]:
    """The finding's place and those it stands for: ``extra["places"]`` or ``extra["calls"]`` (``path:line``
    or a line of its own file)."""
    places = {(finding.path, finding.line)}
    for site in [*finding.extra.get("places", []), *finding.extra.get("calls", [])]:
        path, _, line = site.rpartition(":") if isinstance(site, str) else (finding.path, "", str(site))
        places.add((path, int(line) if line.isdigit() else None))
    return places


def _unreachable(project: Project) -> dict[str, str]:
    if not _holds_project_files(project.root):
        return {}
    graph = _graph_modules(project)
    tree = Project(project.root, graph, [])
    names = _names(tree)
    paths = {m.path: m for m in graph}
    tops = _top_names(graph, tree.package_folders)
    files: dict[str, set[str]] = {}
    for module in graph:
        files.setdefault(module.path.rpartition("/")[2], set()).add(module.path)
    edges = {m.path: _targets(m, names, tops, files) for m in graph}
    reached: set[str] = set()
    pending = list(_roots(graph, project.root, names, tops, tree.package_folders))
    while pending:
        path = pending.pop()
        if path in reached or path not in paths:
            continue
        reached.add(path)
        pending.extend(edges[path])
        pending.extend(_package_inits(path, paths))
    scanned = [m.path for m in project.modules if not is_test_path(m.path) and m.path in paths]
    unreached = [path for path in scanned if path not in reached]
    if len(unreached) > MOST_UNREACHABLE * len(scanned):
        return {}
    return {path: _why(path, edges, reached) for path in unreached}


def _why(path: str, edges: dict[str, set[str]], reached: set[str]) -> str:
    importers = sorted(p for p, targets in edges.items() if path in targets and p != path and p not in reached)
    if not importers:
        return f"unreachable: no production module imports {path}"
    shown = ", ".join(importers[:3]) + (", ..." if len(importers) > 3 else "")
    return f"unreachable: {path} is imported only by modules nothing runs ({shown})"


def _holds_project_files(root: Path) -> bool:
    """Whether the tree says how its code is installed or run (packaging metadata, ``manage.py``): a tree
    without (one package folder of a repository) may be missing the entry points that use its code."""
    return any(True for _ in project_files(root, PROJECT_FILES.__contains__, PROJECT_FILES_DEPTH))


def _graph_modules(project: Project) -> list[SourceModule]:
    """Every non-test Python file under the root: the scanned modules, and those ``exclude`` left out."""
    scanned = {m.path: m for m in project.modules}
    graph: list[SourceModule] = []
    for path, rel in iter_files(project.root, []):
        if not rel.endswith(".py") or is_test_path(rel):
            continue
        module = scanned.get(rel) or parse_file(path, rel, [])
        if module is not None:
            graph.append(module)
    return graph


def _names(project: Project) -> dict[str, set[str]]:
    """Each name a module may be imported under -> the paths of every module it may stand for: its dotted
    name, the names below a folder that is not a package (``src/``, ``api/``; ambiguous when two packages
    hold ``permissions/serializers.py``), and those under an installed namespace."""
    names: dict[str, set[str]] = {}
    for module in project.modules:
        parts = module.dotted_name.split(".")
        for start in range(len(parts)):
            if start == 0 or parts[start] not in sys.stdlib_module_names:
                names.setdefault(".".join(parts[start:]), set()).add(module.path)
    for namespace in project.installed_namespaces:
        for name, paths in list(names.items()):
            names.setdefault(f"{namespace}.{name}", set()).update(paths)
    return names


def _targets(module: SourceModule, names: dict[str, set[str]], tops: frozenset[str],
             files: dict[str, set[str]]) -> set[str]:
    """Paths of the project's modules ``module`` imports or names in a string (a dotted path, a file path)."""
    dotted = set(module.imported_roots)
    dotted.update(module.imported_from(node) for node in module.nodes_of(ast.ImportFrom))
    found = {path for name in dotted for path in names.get(name, ())}
    for node in module.nodes_of(ast.Constant):
        text = (string_value(node) or "").strip()
        for line in text.splitlines() if "\n" in text else [text]:  # setup(entry_points="""[console_scripts]...""")
            entry_point = ENTRY_POINT.fullmatch(line)
            dotted = entry_point.group("target") if entry_point else line
            if DOTTED_PATH.fullmatch(dotted):
                found |= _modules_named(dotted, names, tops)
            elif line.endswith(".py") and "/" in line:
                found |= _files_named(line, files)
    return found


def _files_named(path: str, files: dict[str, set[str]]) -> set[str]:
    """The modules a file path in a string names (``"/opt/app/jobs/run.py"`` run as a command): those whose
    path ends with its last folder and file name."""
    folder, _, name = path.rpartition("/")
    tail = f"{folder.rpartition('/')[2]}/{name}"
    return {candidate for candidate in files.get(name, ()) if f"/{candidate}".endswith(f"/{tail}")}


def _modules_named(dotted: str, names: dict[str, set[str]], tops: frozenset[str]) -> set[str]:
    """The modules a dotted path names: its longest prefix that is a module of the project. A path that
    does not start at a top-level package or module of the project (``"plugin.Plugin"`` for a module
    found deeper) must end in a class or a ``:attribute``, not a word (``"example.com"``)."""
    name, colon, _ = dotted.partition(":")
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        paths = names.get(name)
        if not paths:
            continue
        rest = parts[end:]
        if parts[0] in tops or colon and not rest or len(rest) == 1 and rest[0][:1].isupper():
            return paths if rest else paths | names.get(f"{name}.base", set())  # a backend package loads .base
        return set()
    return set()


def _top_names(graph: list[SourceModule], packages: frozenset[str]) -> frozenset[str]:
    """Names that start an absolute import of the project: top-level packages and loose modules."""
    tops = set()
    for module in graph:
        top = _top_package(module.path, packages)
        tops.add(top.rpartition("/")[2] if top is not None else module.path.rpartition("/")[2][:-3])
    return frozenset(tops)


def _roots(graph: list[SourceModule], root: Path, names: dict[str, set[str]], tops: frozenset[str],
           packages: frozenset[str]) -> set[str]:
    discovered = {name for m in graph for name in _autodiscovered_names(m)}
    loading_packages = {m.path.rpartition("/")[0] for m in graph if _loads_by_computed_name(m)}
    roots = {m.path for m in graph
             if _is_entry_module(m, discovered) or _top_package(m.path, packages) is None
             or any(_is_under(m.path, folder) for folder in loading_packages)}
    roots |= _configured_modules(root, names, tops)
    tops_with_roots = {_top_package(path, packages) for path in roots}
    roots |= {m.path for m in graph if _top_package(m.path, packages) not in tops_with_roots}
    return roots


def _is_entry_module(module: SourceModule, discovered: set[str]) -> bool:
    parts = module.path.split("/")
    name = module.dotted_name.rpartition(".")[2]  # a package's own: models/__init__.py is "models"
    return (name in CONVENTIONAL_NAMES or name in discovered or name.startswith("settings")
            or any(folder in CONVENTIONAL_FOLDERS for folder in parts[:-1])
            or is_management_command(module.path) or _has_main_guard(module) or _builds_application(module))


def _builds_application(module: SourceModule) -> bool:
    return any(qualified(module, call.func) in APPLICATIONS for call in module.nodes_of(ast.Call))


def _has_main_guard(module: SourceModule) -> bool:
    for node in module.tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            sides = [node.test.left, *node.test.comparators]
            if any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
                    string_value(s) == "__main__" for s in sides):
                return True
    return False


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _loads_by_computed_name(module: SourceModule) -> bool:
    for call in module.nodes_of(ast.Call):
        name = _called_name(call)
        if name in PACKAGE_WALKERS or qualified(module, call.func) in LAZY_LOADERS:
            return True
        if name in DYNAMIC_LOADERS and call.args and string_value(call.args[0]) is None:
            return True
    return False


def _autodiscovered_names(module: SourceModule) -> set[str]:
    """Module names an ``autodiscover*`` call loads from each app: ``autodiscover_modules("jobs")``,
    ``autodiscover_tasks(apps, related_name="jobs")``."""
    found: set[str] = set()
    for call in module.nodes_of(ast.Call):
        if _called_name(call).startswith("autodiscover"):
            values = [*call.args, *(kw.value for kw in call.keywords if kw.arg == "related_name")]
            found.update(text for text in map(string_value, values) if text and text.isidentifier())
    return found


def _configured_modules(root: Path, names: dict[str, set[str]], tops: frozenset[str]) -> set[str]:
    """Modules a configuration file of the tree names by dotted path."""
    found: set[str] = set()
    for path in _config_files(root):
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for dotted in set(DOTTED_PATH.findall(text)):
            found |= _modules_named(dotted, names, tops)
    return found


def _config_files(root: Path) -> list[Path]:
    return list(project_files(root, lambda name: name.endswith(CONFIG_SUFFIXES) or name.startswith(LAUNCH_FILES)))


def _top_package(path: str, packages: frozenset[str]) -> str | None:
    """The outermost package folder holding ``path``; None for a file outside any package."""
    parts = path.split("/")[:-1]
    for end in range(1, len(parts) + 1):
        folder = "/".join(parts[:end])
        if folder in packages:
            return folder
    return None


def _package_inits(path: str, paths: dict[str, SourceModule]) -> list[str]:
    """The ``__init__.py`` of every package above ``path``: importing a module runs them."""
    parts = path.split("/")[:-1]
    return [f"{'/'.join(parts[:end])}/__init__.py" for end in range(1, len(parts) + 1)
            if f"{'/'.join(parts[:end])}/__init__.py" in paths]


def _is_under(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


NAME_TEXT_SUFFIXES = (*CONFIG_SUFFIXES, ".py", ".pyi", ".html", ".htm", ".jinja", ".jinja2", ".j2", ".tpl", ".mako",
                      ".xml", ".js", ".jsx", ".ts", ".tsx", ".vue")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdr]|\{[^{}]*\}")  # "%s", "%(kind)s", "{}"
HOOK_NAMES = frozenset({  # module-level functions a server or a tool calls by name from a file it loads
    "on_starting", "on_reload", "when_ready", "pre_fork", "post_fork", "post_worker_init", "worker_int",
    "worker_abort", "pre_exec", "pre_request", "post_request", "child_exit", "worker_exit", "nworkers_changed",
    "on_exit", "ssl_context", "create_app", "make_app", "application", "app", "handler", "lambda_handler",
    "setup", "includeme", "upgrade", "downgrade", "load_tests", "Deserializer",
})
DESCRIPTORS = frozenset({  # method decorators that register nothing
    "staticmethod", "classmethod", "property", "cached_property", "abstractmethod", "setter", "getter", "deleter",
    "override", "cache", "lru_cache",
})
PLAIN_BASES = frozenset({"object", "ABC", "Generic"})
_DEAD_FACT = "reachability.dead_definitions"


class _Definition:
    """A function, class or private method that may be dead: its name, where it sits, the class holding it."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, label: str,
                 holder: "_Definition | None") -> None:
        self.name = node.name
        self.label = label
        self.first, self.last = node.lineno, node.end_lineno or node.lineno
        self.holder = holder
        verb = "instantiated or subclassed" if isinstance(node, ast.ClassDef) else "called"
        self.why = f"unreachable: {label} is never {verb}"


def dead_definitions(project: Project) -> dict[str, list[tuple[int, int, str]]]:
    """Path of each scanned module -> (first line, last line, why) of its functions, classes and private methods
    that nothing in the tree refers to, outermost first (empty when the tree says nothing of how it runs)."""
    known = project.facts.get(_DEAD_FACT)
    if known is None:
        known = project.facts[_DEAD_FACT] = _dead_definitions(project)
    return known


def _dead_definitions(project: Project) -> dict[str, list[tuple[int, int, str]]]:
    """A module-level function or class, or a ``_private`` method, is dead when its name is used nowhere but
    inside dead definitions (itself included): no name, attribute, import, keyword or word of a string in
    the scanned modules, no word of another file of the tree (tests, migrations, templates, configuration,
    scripts; their comments too), no run-time built name it may match (``"handle_" + kind``). What a
    decorator registers (also a class whose methods a decorator registers: ``@app.command()``), the names a
    server or a framework calls in a module it loads (``post_fork``, ``create_app``, ``includeme``, a Django
    serialization module's ``Deserializer``), dunders, classes with a metaclass, ``__init_subclass__`` or a
    base outside the tree, and the methods of a class family one of whose classes has a base outside the
    tree (a framework may call ``_save`` by name) never are."""
    if not _holds_project_files(project.root):
        return {}
    plain = _plain_classes(project)
    definitions: dict[str, list[_Definition]] = {}
    uses: dict[str, set[_Definition | None]] = {}
    affixes: set[str] = set()
    for module in project.modules:
        definitions[module.path] = [] if is_test_path(module.path) else _definitions(module, plain)
    wanted = {d.name for found in definitions.values() for d in found}
    for module in project.modules:
        _collect_uses(module, definitions[module.path], wanted, uses, affixes)
    named_elsewhere: set[str] = set()
    for text in _tree_texts(project.root, {m.path for m in project.modules}):
        named_elsewhere.update(IDENTIFIER.findall(text))
    dead = {d for found in definitions.values() for d in found
            if d.name not in named_elsewhere and not _built_at_run_time(d.name, affixes)}
    changed = True
    while changed:
        changed = False
        for definition in list(dead):
            if definition.holder in dead:
                continue
            users = uses.get(definition.name, ())
            if any(user is None or user not in dead for user in users):
                dead.discard(definition)
                changed = True
    return {path: [(d.first, d.last, d.why) for d in found if d in dead and d.holder not in dead]
            for path, found in definitions.items() if any(d in dead for d in found)}


def _built_at_run_time(name: str, affixes: set[str]) -> bool:
    """Whether a name a template or a concatenation builds may be ``name``: one of ``affixes`` (the words
    glued to a run-time part) starts or ends it."""
    return any(len(part.strip("_")) > 1 and (part in affixes)
               for end in range(1, len(name)) for part in (name[:end], name[end:]))


def _definitions(module: SourceModule, plain: set[str]) -> list[_Definition]:
    found: list[_Definition] = []
    for node in module.tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name.startswith("__"):
            continue
        is_class = isinstance(node, ast.ClassDef)
        definition = None
        if _may_be_dead(node, plain):
            definition = _Definition(node, node.name, None)
            found.append(definition)
        if is_class and node.name in plain:
            found.extend(_Definition(item, f"{node.name}.{item.name}", definition) for item in node.body
                         if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_private(item))
    return found


def _may_be_dead(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, plain: set[str]) -> bool:
    if node.decorator_list:
        return False
    if isinstance(node, ast.ClassDef):  # a method decorator may register it when the class body runs
        return node.name in plain and all(_decorator_name(decorator) in DESCRIPTORS for item in node.body
                                          for decorator in getattr(item, "decorator_list", ()))
    return node.name not in HOOK_NAMES and not node.name.startswith("pytest_")


def _is_private(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return (method.name.startswith("_") and not method.name.startswith("__")
            and all(_decorator_name(decorator) in DESCRIPTORS for decorator in method.decorator_list))


def _decorator_name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""


def _plain_classes(project: Project) -> set[str]:
    """Names of the classes of the tree none of whose relatives (bases, subclasses, up and down the tree's
    classes of those names) has a base from outside the tree, a metaclass or an ``__init_subclass__``, or
    has its subclasses listed (``__subclasses__()``)."""
    bases: dict[str, set[str]] = {}
    outside: set[str] = set()
    for module in project.modules:
        for node in module.nodes_of(ast.ClassDef):
            names = bases.setdefault(node.name, set())
            for base in node.bases:
                base = base.value if isinstance(base, ast.Subscript) else base
                names.add(base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else "")
            if node.keywords or any(isinstance(item, ast.FunctionDef) and item.name == "__init_subclass__"
                                    for item in node.body):
                outside.add(node.name)
    for name, names in bases.items():
        if any(base not in bases and base not in PLAIN_BASES for base in names):
            outside.add(name)
    for module in project.modules:  # Rule.__subclasses__() finds the subclasses without naming them
        outside.update(_decorator_name(node.value) for node in module.nodes_of(ast.Attribute)
                       if node.attr == "__subclasses__")
    relatives: dict[str, set[str]] = {name: set() for name in bases}
    for name, names in bases.items():
        for base in names & relatives.keys():
            relatives[name].add(base)
            relatives[base].add(name)
    tainted, pending = set(), list(outside)
    while pending:
        name = pending.pop()
        if name not in tainted:
            tainted.add(name)
            pending.extend(relatives.get(name, ()))
    return set(bases) - tainted


def _collect_uses(module: SourceModule, found: list[_Definition], wanted: set[str],
                  uses: dict[str, set[_Definition | None]], affixes: set[str]) -> None:
    """Each of the ``wanted`` names ``module`` uses -> the innermost of ``found`` using it (None: code outside
    them); ``affixes`` gathers the words its strings glue to run-time parts."""
    firsts = [definition.first for definition in found]  # in source order: a class, then its methods

    def user(line: int | None) -> _Definition | None:
        index = bisect.bisect_right(firsts, line) - 1 if line is not None else -1
        candidate = found[index] if index >= 0 else None
        while candidate is not None and not candidate.first <= line <= candidate.last:
            candidate = candidate.holder
        return candidate

    def use(name: str, node: ast.AST) -> None:
        if name in wanted:
            uses.setdefault(name, set()).add(user(getattr(node, "lineno", None)))

    for node in module.nodes_of(ast.Name):
        use(node.id, node)
    for node in module.nodes_of(ast.Attribute):
        use(node.attr, node)
    for node in module.nodes_of(ast.alias):
        for name in (*node.name.split("."), node.asname or ""):
            use(name, node)
    for node in module.nodes_of(ast.keyword):
        use(node.arg or "", node)
    for node in module.nodes_of(ast.Global, ast.Nonlocal):
        for name in node.names:
            use(name, node)
    for node in module.nodes_of(ast.Constant):
        text = string_value(node)
        if text:
            words = set(IDENTIFIER.findall(text))
            for name in words:
                use(name, node)
            affixes.update(word for word in words if word.startswith("_") or word.endswith("_"))
            affixes.update(_edges_of_placeholders(text))
    for node in module.nodes_of(ast.JoinedStr):
        affixes.update(_edges_of_placeholders("{}".join(string_value(part) or "{}" for part in node.values)))
    for node in module.nodes_of(ast.BinOp):
        if isinstance(node.op, ast.Add):
            affixes.update(_edges_of_placeholders(f"{string_value(node.left) or '{}'}{string_value(node.right) or '{}'}"))


def _edges_of_placeholders(text: str) -> set[str]:
    """The words a string template glues to its placeholders: ``"Backend"`` of ``f"{kind}Backend"``,
    ``"_header_"`` of ``"_header_%s"``."""
    pieces = PLACEHOLDER.split(text)
    if len(pieces) == 1:
        return set()
    edges = {match.group() for piece in pieces[1:] if (match := re.match(r"\w+", piece))}
    return edges | {match.group() for piece in pieces[:-1] if (match := re.search(r"\w+$", piece))}


def _tree_texts(root: Path, scanned: set[str]):
    """The text of each file of the tree that may name a function and that is not a scanned module: tests,
    excluded modules, templates, configuration, scripts."""
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".")
                       and not d.endswith(".egg-info") and not (folder / d).is_symlink()]
        for name in filenames:
            lower = name.lower()
            if not lower.endswith(NAME_TEXT_SUFFIXES) and not lower.startswith(LAUNCH_FILES):
                continue
            path = folder / name
            if path.relative_to(root).as_posix() in scanned:
                continue
            try:
                if path.stat().st_size <= MAX_CONFIG_BYTES:
                    yield path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
