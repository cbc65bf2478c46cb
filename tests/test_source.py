"""The source walker: what it reads, what it skips, and how each bad file is reported."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from audit_lib.source import is_test_path, load_project


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def errors_by_path(project) -> dict[str, str]:
    return {e.path: e.why for e in project.errors}


def test_reads_python_and_sql_and_skips_tool_folders(tmp_path):
    write(tmp_path, "app/main.py", "x = 1\n")
    write(tmp_path, "app/queries.sql", "select 1;\n")
    for skipped in (".venv/lib/x.py", "node_modules/a.py", ".git/hooks/b.py", "build/c.py", "pkg.egg-info/d.py"):
        write(tmp_path, skipped, "x = 1\n")
    project = load_project(tmp_path)
    assert [m.path for m in project.modules] == ["app/main.py"]
    assert [p.name for p in project.sql_files] == ["queries.sql"]
    assert project.errors == []


def test_gitignored_files_are_skipped(tmp_path):
    write(tmp_path, ".gitignore", "generated/\n*_pb2.py\n")
    write(tmp_path, "generated/models.py", "x = 1\n")
    write(tmp_path, "api_pb2.py", "x = 1\n")
    write(tmp_path, "app.py", "x = 1\n")
    assert [m.path for m in load_project(tmp_path).modules] == ["app.py"]


@pytest.mark.parametrize(
    "content, expected",
    [
        ("def f(:\n    pass\n", "SyntaxError: line 1"),
        ("print 'hello'\n", "Python 2?"),
        (b"x = '\xff\xfe'\n", "not decodable"),
        (b"x = 1\x00\n", "NUL bytes"),
        ("x = " + "(" * 300 + "1" + ")" * 300 + "\n", "too many nested parentheses"),
        ("x = " + "-" * 100_000 + "1\n", "nested too deeply"),
        ("x = 1" + " + 1" * 200_000 + "\n", "nested too deeply"),
    ],
    ids=["syntax", "python2", "not-utf8", "nul", "deep-parens", "deep-unary", "long-chain"],
)
def test_a_bad_file_is_an_error_entry_and_the_rest_is_read(tmp_path, content, expected):
    write(tmp_path, "bad.py", content)
    write(tmp_path, "good.py", "x = 1\n")
    project = load_project(tmp_path)
    assert [m.path for m in project.modules] == ["good.py"]
    assert expected in errors_by_path(project)["bad.py"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 parses f-strings nested this deep")
def test_a_newer_f_string_names_the_python_the_audit_runs_on(tmp_path):
    write(tmp_path, "feed.py", "title = f'{price:{width:{0}}}'\n")
    message = errors_by_path(load_project(tmp_path))["feed.py"]
    assert "Python 3.12+" in message and f"Python {sys.version_info.major}.{sys.version_info.minor}" in message


def test_declared_encoding_is_honoured(tmp_path):
    write(tmp_path, "latin.py", "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"))
    project = load_project(tmp_path)
    assert project.modules[0].lines[1] == "name = 'café'"


def test_files_over_the_size_limit_are_reported_not_read(tmp_path):
    write(tmp_path, "huge.py", "x = 1\n" * 100)
    project = load_project(tmp_path, max_file_bytes=100)
    assert "size limit" in errors_by_path(project)["huge.py"]
    assert project.modules == []


def test_symlinks_outside_the_root_and_loops_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "secret.py", "token = 'x'\n")
    root = tmp_path / "root"
    write(root, "app.py", "x = 1\n")
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    project = load_project(root)
    assert [m.path for m in project.modules] == ["app.py"]
    assert "outside the audited root" in errors_by_path(project)["link.py"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_reported(tmp_path):
    path = write(tmp_path, "locked.py", "x = 1\n")
    path.chmod(0)
    assert "unreadable" in errors_by_path(load_project(tmp_path))["locked.py"]


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_root_raises_a_clear_value_error(tmp_path, kind):
    target = tmp_path / "nothing"
    if kind == "file":
        target.write_text("x = 1\n")
    with pytest.raises(ValueError, match="code root"):
        load_project(target)


def test_empty_root_is_an_empty_project(tmp_path):
    project = load_project(tmp_path)
    assert project.modules == [] and project.errors == []


def test_import_table_resolves_aliases_and_relative_imports(tmp_path):
    write(tmp_path, "pkg/__init__.py", "")
    write(
        tmp_path,
        "pkg/api/views.py",
        "import requests as r\nfrom httpx import AsyncClient as C\nfrom ..db import pool\nfrom . import helpers\nimport os.path\n",
    )
    module = next(m for m in load_project(tmp_path).modules if m.path == "pkg/api/views.py")
    assert module.dotted_name == "pkg.api.views"
    assert module.imports == {
        "r": "requests",
        "C": "httpx.AsyncClient",
        "pool": "pkg.db.pool",
        "helpers": "pkg.api.helpers",
        "os": "os",
    }


def test_modules_are_also_named_under_the_namespace_the_project_is_installed_in(tmp_path):
    write(tmp_path, "common/types.py", "class RouteInfo: ...\n")
    write(tmp_path, "coordinator/__init__.py", "")
    write(tmp_path, "coordinator/models.py", "class Circuit: ...\n")
    write(tmp_path, "coordinator/api.py", "from acme.proxy.common.types import RouteInfo\n"
                                          "from acme.proxy.coordinator.models import Circuit\n"
                                          "from acme.proxy.coordinator import models\n"
                                          "from acme.common.types import Other\n")
    project = load_project(tmp_path)
    assert project.installed_namespaces == {"acme.proxy"}
    assert project.by_dotted_name["acme.proxy.coordinator.models"].path == "coordinator/models.py"
    assert "acme.common.types" not in project.by_dotted_name


def test_a_package_scanned_from_inside_is_named_under_its_own_name(tmp_path):
    write(tmp_path, "settings.py", "DEBUG = False\n")
    write(tmp_path, "db/__init__.py", "")
    write(tmp_path, "db/models.py", "class Document: ...\n")
    write(tmp_path, "apps/views.py", "from api import settings\n"
                                     "from api.db.models import Document\n"
                                     "from api.db import models\n")
    project = load_project(tmp_path)
    assert project.installed_namespaces == {"api"}
    assert project.by_dotted_name["api.db.models"].path == "db/models.py"


def test_a_package_scanned_from_inside_is_named_under_its_own_name_beside_a_module_of_that_name(tmp_path):
    write(tmp_path, "__init__.py", "")
    write(tmp_path, "sydent.py", "class Sydent: ...\n")
    write(tmp_path, "types.py", "JsonDict = dict\n")
    write(tmp_path, "db/__init__.py", "")
    write(tmp_path, "db/accounts.py", "class AccountStore: ...\n")
    write(tmp_path, "http/servlets.py", "from sydent.db.accounts import AccountStore\n"
                                        "from sydent.sydent import Sydent\n"
                                        "from sydent.types import JsonDict\n")
    project = load_project(tmp_path)
    assert project.installed_namespaces == {"sydent"}
    assert project.by_dotted_name["sydent.db.accounts"].path == "db/accounts.py"
    assert project.by_dotted_name["sydent.sydent"].path == "sydent.py"


def test_exclude_patterns_leave_paths_out(tmp_path):
    write(tmp_path, "app/main.py", "x = 1\n")
    write(tmp_path, "db/seed.sql", "insert into t values (1);\n")
    write(tmp_path, "tests/test_main.py", "x = 1\n")
    project = load_project(tmp_path, exclude=["db/seed.sql", "tests/"])
    assert [m.path for m in project.modules] == ["app/main.py"]
    assert project.sql_files == []


def test_relative_imports_in_a_package_init_resolve_inside_the_package(tmp_path):
    write(tmp_path, "source/handlers/__init__.py", "from .create import CreateTask\nfrom ..db import pool\n")
    module = next(m for m in load_project(tmp_path).modules if m.path == "source/handlers/__init__.py")
    assert module.imports == {"CreateTask": "source.handlers.create.CreateTask", "pool": "source.db.pool"}


def test_enclosing_loops_skip_what_runs_once(tmp_path):
    import ast

    from audit_lib.pyast import enclosing_loops

    write(tmp_path, "m.py", "def f(xs, db):\n    return [db.get(x) for x in db.rows(xs)]\n")
    module = load_project(tmp_path).modules[0]
    calls = {c.func.attr: c for c in module.nodes_of(ast.Call)}
    assert enclosing_loops(module, calls["rows"]) == []
    assert [type(loop) for loop in enclosing_loops(module, calls["get"])] == [ast.ListComp]


@pytest.mark.parametrize("path, expected", [
    ("tests/test_api.py", True),
    ("app/orders_test.py", True),
    ("app/rtd_tests/utils.py", True),
    ("app/contests/views.py", False),
    ("features/steps/failover.py", True),
    ("features/environment.py", True),
    ("app/features/flags.py", False),
    ("app/steps/wizard.py", False),
])
def test_test_paths_include_behave_acceptance_tests(path, expected):
    assert is_test_path(path) is expected


def test_a_root_package_is_named_by_its_folder_when_a_generated_module_is_absent(tmp_path):
    root = tmp_path / "frigate"
    write(root, "__init__.py", "")
    write(root, "app.py", "class FrigateApp: ...\n")
    write(root, "__main__.py", "from frigate.app import FrigateApp\n"
                               "from frigate.version import VERSION\n")
    project = load_project(root)
    assert project.installed_namespaces == {"frigate"}
    assert project.by_dotted_name["frigate.app"].path == "app.py"


def test_a_module_named_like_the_standard_library_does_not_take_the_librarys_import(tmp_path):
    write(tmp_path, "service_manager/__init__.py", "")
    write(tmp_path, "service_manager/multiprocessing.py", "class Service: ...\n")
    write(tmp_path, "app.py", "import multiprocessing\n")
    project = load_project(tmp_path)
    assert "multiprocessing" not in project.by_dotted_name
    assert project.by_dotted_name["service_manager.multiprocessing"].path == "service_manager/multiprocessing.py"


def test_a_dotted_import_imports_the_whole_dotted_module(tmp_path):
    write(tmp_path, "handlers.py", "import tornado.web\n\n\nclass Paste(tornado.web.RequestHandler):\n    def post(self): ...\n")
    module = load_project(tmp_path).modules[0]
    assert module.imports == {"tornado": "tornado"}
    assert module.imports_module("tornado.web") and not module.imports_module("tornado.websocket")
