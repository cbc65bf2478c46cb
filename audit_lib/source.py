"""Walking the target tree: each Python file is read and parsed once.

The target's code is only ever read and parsed, never imported or executed.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

import pathspec

from audit_lib.newer_syntax import parse_newer_syntax

SKIPPED_DIRS = {
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "virtualenv",
    "node_modules", "__pycache__", "build", "dist", ".eggs", "site-packages",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "htmlcov",
}
MAX_FILE_BYTES = 2_000_000
TEST_DIRS = frozenset({"tests", "test", "testing", "locust", "loadtests", "load_tests"})  # load tests are tests too
TEST_FILES = frozenset({"conftest.py", "pytest_plugin.py", "pytest_plugins.py", "test.py", "tests.py", "locustfile.py"})


def is_test_path(path: str) -> bool:
    """Test code and fixtures: ``tests/`` (also a project's own ``<prefix>_tests/``), ``test_*.py``,
    ``*_test.py``, ``conftest.py``, a package's pytest plugin (``pytest_plugin.py``), load tests, behave
    acceptance tests (``features/steps/``, ``features/environment.py``)."""
    parts = path.split("/")
    name = parts[-1]
    return (any(p in TEST_DIRS or p.endswith("_tests") for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name in TEST_FILES or _is_behave_path(parts))


def project_files(root: Path, wanted: Callable[[str], bool], max_depth: int | None = None) -> Iterator[Path]:
    """Files under ``root`` whose lower-cased name ``wanted`` accepts, in a stable order, outside tool,
    virtualenv, hidden and test folders; ``max_depth`` limits how many folders below the root are searched."""
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        relative = folder.relative_to(root).as_posix()
        depth = 0 if relative == "." else relative.count("/") + 1
        dirnames[:] = sorted(d for d in dirnames if (max_depth is None or depth < max_depth)
                             and d not in SKIPPED_DIRS and not d.startswith(".") and not is_test_path(f"{relative}/{d}/x.py"))
        for name in sorted(filenames):
            if wanted(name.lower()) and not is_test_path(f"{relative}/{name}"):
                yield folder / name


def is_management_command(path: str) -> bool:
    """A Django management command: ``<app>/management/commands/<name>.py``."""
    return "/management/commands/" in f"/{path}"


def _is_behave_path(parts: list[str]) -> bool:
    folders = parts[:-1]
    return "features" in folders and (parts[-1] == "environment.py" or "steps" in folders[folders.index("features"):])


@dataclass
class FileError:
    path: str
    why: str

    def to_dict(self) -> dict:
        return {"path": self.path, "why": self.why}


@dataclass
class SourceModule:
    """One parsed Python file and the facts every code rule asks of it."""

    path: str  # relative to the audited root, '/' separators
    text: str
    tree: ast.Module
    lines: list[str] = field(repr=False, default_factory=list)

    @cached_property
    def imports(self) -> dict[str, str]:
        """Local name -> what it was imported as (``r`` -> ``requests``, ``get`` -> ``requests.get``)."""
        table: dict[str, str] = {}
        for node in self.nodes_of(ast.Import, ast.ImportFrom):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        table[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        table[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = self.imported_from(node)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    table[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        return table

    def imported_from(self, node: ast.ImportFrom) -> str:
        """The absolute name of the module a ``from ... import`` reads (``from .item import *`` in
        ``shop/models/__init__.py`` -> ``shop.models.item``)."""
        base = node.module or ""
        if not node.level:
            return base
        if self.path.endswith("__init__.py"):
            package = self.dotted_name
        else:
            package = self.dotted_name.rsplit(".", 1)[0] if "." in self.dotted_name else ""
        parts = package.split(".") if package else []
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        return ".".join([*parts, base] if base else parts)

    @cached_property
    def dotted_name(self) -> str:
        parts = self.path[:-3].split("/") if self.path.endswith(".py") else self.path.split("/")
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)

    @cached_property
    def _index(self) -> tuple[dict[type, list[ast.AST]], dict[ast.AST, ast.AST]]:
        """One walk of the tree: every node by type (in source order), every node's parent.

        The same walk gives ``ast.walk``'s breadth-first order (the source order of each
        depth, one depth after the other), kept for :func:`audit_lib.pyast.walk_nodes`.
        """
        by_type: dict[type, list[ast.AST]] = {}
        parents: dict[ast.AST, ast.AST] = {}
        levels: list[list[ast.AST]] = []
        stack: list[tuple[ast.AST, int]] = [(self.tree, 0)]
        while stack:
            node, depth = stack.pop()
            by_type.setdefault(type(node), []).append(node)
            if depth == len(levels):
                levels.append([])
            levels[depth].append(node)
            children = child_nodes(node)
            for child in children:
                parents[child] = node
            stack.extend((child, depth + 1) for child in reversed(children))
        self.tree.__dict__.setdefault(MODULE_WALK_ATTRIBUTE, [node for level in levels for node in level])
        return by_type, parents

    def nodes_of(self, *types: type) -> list[ast.AST]:
        """Every node of the given exact types, in source order; use instead of ``ast.walk``."""
        by_type = self._index[0]
        if len(types) == 1:
            return by_type.get(types[0], [])
        found = [n for t in types for n in by_type.get(t, [])]
        found.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        return found

    @property
    def parents(self) -> dict[ast.AST, ast.AST]:
        return self._index[1]

    @cached_property
    def imported_roots(self) -> frozenset[str]:
        """Every imported qualified name and each of its dotted prefixes; ``import tornado.web`` binds only
        ``tornado`` but imports ``tornado.web`` too."""
        roots: set[str] = set()
        dotted_imports = [alias.name for node in self.nodes_of(ast.Import) for alias in node.names if not alias.asname]
        for qualified_name in [*self.imports.values(), *dotted_imports]:
            parts = qualified_name.split(".")
            roots.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        return frozenset(roots)

    def line_text(self, lineno: int | None) -> str:
        if not lineno or lineno > len(self.lines):
            return ""
        return self.lines[lineno - 1].strip()

    def evidence(self, node: ast.AST) -> str:
        return self.line_text(getattr(node, "lineno", None))

    def imports_module(self, name: str) -> bool:
        """Whether the file imports ``name`` or anything below it."""
        return name in self.imported_roots


MODULE_WALK_ATTRIBUTE = "_posture_walk"  # a module's (or function's) nodes in ast.walk order, kept on the node


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, faster: the walks over every node call it."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children


@dataclass
class Project:
    """The audited code base: its root and every module that parsed."""

    root: Path
    modules: list[SourceModule]
    errors: list[FileError]
    sql_files: list[Path] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict, repr=False, compare=False)  # cross-file facts rules compute once

    @cached_property
    def by_dotted_name(self) -> dict[str, SourceModule]:
        table = {m.dotted_name: m for m in self.modules}
        # Code often lives below a src/ folder or a project folder that is not a package; a shorter
        # name the standard library holds (service_manager/multiprocessing.py) stays the library's.
        for module in self.modules:
            parts = module.dotted_name.split(".")
            for i in range(1, len(parts)):
                if parts[i] not in sys.stdlib_module_names:
                    table.setdefault(".".join(parts[i:]), module)
        for namespace in self.installed_namespaces:
            for name, module in list(table.items()):
                table.setdefault(f"{namespace}.{name}", module)
        return table

    @cached_property
    def installed_namespaces(self) -> frozenset[str]:
        """Dotted prefixes the project's own packages are imported under although its files sit at
        the root (``ai.backend.appproxy`` for ``from ai.backend.appproxy.common.types import ...`` and
        a ``common/types.py``): prefixes that 3+ imports put before a top-level package of the
        project, and under which every import names a module of the project (``django.core`` is not
        one for a project with a ``files`` app: ``django.core.cache`` is Django's; nor ``ai.backend``,
        whose ``ai.backend.common`` is a sibling distribution). A package scanned from inside may hold
        a module of its own name (``sydent/sydent.py``): ``sydent.db.accounts`` still names ``db/accounts.py``.
        A root that is a package (it holds ``__init__.py``) is also named by its folder: ``frigate/`` maps
        ``frigate.app`` to ``app.py`` even when one of its modules is generated at build time and absent."""
        names = {m.dotted_name for m in self.modules}
        tops = {name.split(".", 1)[0] for name in names}
        root_files = {name for name in names if "." not in name} - {m.dotted_name for m in self.modules
                                                                      if m.path.endswith("__init__.py")}
        targets = {target for module in self.modules for target in module.imports.values()}
        mapped: dict[str, int] = {}
        for target in targets:
            parts = target.split(".")
            for i in range(1, len(parts)):
                rest = ".".join(parts[i:])
                outside = parts[0] not in tops or (parts[0] in root_files and parts[1] in tops)
                if outside and parts[i] in tops and (rest in names or rest.rpartition(".")[0] in names):
                    prefix = ".".join(parts[:i])
                    mapped[prefix] = mapped.get(prefix, 0) + 1
                    break
        inferred = {prefix for prefix, count in mapped.items() if count >= 3
                    and count == sum(1 for target in targets if target.startswith(prefix + "."))}
        own = self.root.name
        if "" in names and own.isidentifier() and any(target.startswith(own + ".") for target in targets):
            inferred.add(own)
        return frozenset(inferred)

    @cached_property
    def imported_roots(self) -> frozenset[str]:
        return frozenset().union(*(m.imported_roots for m in self.modules))

    def imports_anywhere(self, name: str) -> bool:
        return name in self.imported_roots

    @cached_property
    def package_folders(self) -> frozenset[str]:
        """Folders holding an ``__init__.py``: the packages of the code base."""
        return frozenset(m.path.rpartition("/")[0] for m in self.modules if m.path.endswith("/__init__.py"))

    def in_package(self, module: SourceModule) -> bool:
        """Whether ``module`` sits in a package folder (not loose at the root or in a plain folder)."""
        return module.path.rpartition("/")[0] in self.package_folders


def load_project(
    root: str | os.PathLike, *, max_file_bytes: int = MAX_FILE_BYTES, exclude: list[str] | tuple[str, ...] = ()
) -> Project:
    """Walk ``root`` and parse every Python file; raise ValueError for a bad root.

    ``exclude`` holds .gitignore-style patterns, relative to the root, of paths not to audit.
    """
    root_path = Path(root)
    if not root_path.exists():
        raise ValueError(f"code root does not exist: {root}")
    if not root_path.is_dir():
        raise ValueError(f"code root is not a directory: {root}")
    if not os.access(root_path, os.R_OK | os.X_OK):
        raise ValueError(f"code root is not readable: {root}")
    root_path = root_path.resolve()
    modules: list[SourceModule] = []
    errors: list[FileError] = []
    sql_files: list[Path] = []
    for path, rel in iter_files(root_path, errors, exclude):
        if path.suffix == ".sql":
            sql_files.append(path)
            continue
        module = parse_file(path, rel, errors, max_file_bytes)
        if module is not None:
            modules.append(module)
    return Project(root_path, modules, errors, sql_files)


def iter_files(root: Path, errors: list[FileError], exclude: list[str] | tuple[str, ...] = ()) -> Iterator[tuple[Path, str]]:
    """Yield (path, relative posix path) of .py and .sql files, in a stable order."""
    ignore = _ignored(root, exclude)
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        current = Path(dirpath)
        rel_dir = current.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        try:
            stat = current.stat()
        except OSError:
            continue
        if (stat.st_dev, stat.st_ino) in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add((stat.st_dev, stat.st_ino))
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIPPED_DIRS
            and not d.endswith(".egg-info")
            and not (current / d).is_symlink()
            and not (ignore and ignore.match_file(rel_dir + d + "/"))
        )
        for name in sorted(filenames):
            if not name.endswith((".py", ".sql")):
                continue
            rel = rel_dir + name
            path = current / name
            if ignore and ignore.match_file(rel):
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    errors.append(FileError(rel, "symlink to a file outside the audited root: not followed"))
                    continue
            yield path, rel


def _ignored(root: Path, exclude: list[str] | tuple[str, ...]) -> pathspec.PathSpec | None:
    """What the root's .gitignore ignores, plus the ``exclude`` patterns."""
    lines = list(exclude)
    gitignore = root / ".gitignore"
    if gitignore.is_file():
        try:
            lines.extend(gitignore.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            pass
    return pathspec.PathSpec.from_lines("gitignore", lines) if lines else None


def parse_file(path: Path, rel: str, errors: list[FileError], max_bytes: int = MAX_FILE_BYTES) -> SourceModule | None:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            errors.append(FileError(rel, f"larger than the size limit ({size} > {max_bytes} bytes): skipped"))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(FileError(rel, f"unreadable: {exc.strerror or exc}"))
        return None
    text = decode_source(raw, rel, errors)
    if text is None:
        return None
    tree = parse_text(text, rel, errors)
    if tree is None:
        return None
    return SourceModule(rel, text, tree, text.splitlines())


def decode_source(raw: bytes, rel: str, errors: list[FileError]) -> str | None:
    if b"\x00" in raw:
        errors.append(FileError(rel, "holds NUL bytes: not a Python source file"))
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        errors.append(FileError(rel, f"not decodable as its declared encoding: {exc}"))
        return None


def parse_text(text: str, rel: str, errors: list[FileError]) -> ast.Module | None:
    """The file's tree; code written for a newer Python is read through its downgrade (see :mod:`audit_lib.newer_syntax`)."""
    try:
        return ast.parse(text, filename=rel)
    except SyntaxError as exc:
        tree = parse_newer_syntax(text, rel)
        if tree is not None:
            return tree
        errors.append(FileError(rel, f"SyntaxError: line {exc.lineno}: {exc.msg}{_syntax_hint(text, exc)}"))
    except (RecursionError, MemoryError):
        errors.append(FileError(rel, "nested too deeply for the parser: skipped"))
    except ValueError as exc:
        errors.append(FileError(rel, f"unparsable: {exc}"))
    return None


def _syntax_hint(text: str, exc: SyntaxError) -> str:
    if _looks_like_python2(text):
        return " (Python 2?)"
    if sys.version_info < (3, 12) and (exc.msg or "").startswith("f-string"):
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        return f" (an f-string of Python 3.12+? posture-audit runs on Python {running}: run it on the Python the code targets)"
    return ""


def _looks_like_python2(text: str) -> bool:
    return any(line.lstrip().startswith(("print ", "exec ")) for line in text.splitlines()) or "except Exception, " in text
