"""Modules no entry point reaches, and the findings in them marked suppressed."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_lib.engine import Audit
from audit_lib.findings import Finding
from audit_lib.reachability import dead_definitions, factory_boy_test_support, suppress_unreachable, unreachable_modules
from audit_lib.settings import Settings
from audit_lib.source import load_project

FETCH = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
SERVICE = {
    "manage.py": "import sys\n\nif __name__ == '__main__':\n    print(sys.argv)\n",
    "shop/__init__.py": "",
    "shop/settings.py": "INSTALLED_APPS = ['shop']\nPAYMENT_BACKEND = 'shop.payments.card.CardBackend'\n",
    "shop/urls.py": "from shop import views\n\nurlpatterns = [views.index]\n",
    "shop/views.py": (
        "from .contact import SUPPORT_SITE\nfrom .feeds import current\n\n\n"
        "def index(request):\n    return current.fetch(SUPPORT_SITE)\n"
    ),
    "shop/feeds/__init__.py": "",
    "shop/feeds/current.py": FETCH,
    "shop/feeds/legacy.py": FETCH,
    "shop/feeds/old_helpers.py": "from shop.feeds.legacy import fetch\n",
    "shop/payments/__init__.py": "",
    "shop/payments/card.py": FETCH,
    "shop/hooks.py": FETCH,
    "shop/seeding.py": FETCH,
    "shop/migrations/__init__.py": "",
    "shop/migrations/0002_seed.py": "from shop.seeding import fetch\n",
    "shop/tests/__init__.py": "",
    "shop/tests/test_legacy.py": "from shop.feeds import legacy\n",
    "shop/plugins/__init__.py": (
        "import importlib\n\n\ndef load(name):\n    return importlib.import_module(f'shop.plugins.{name}')\n"
    ),
    "shop/plugins/slack.py": FETCH,
    "shop/contact.py": "SUPPORT_SITE = 'legacy.example'\nDOCS = 'old_helpers.py'\n",
    "pyproject.toml": '[project]\nname = "shop"\n\n[project.entry-points."shop.hooks"]\nsync = "shop.hooks:run"\n',
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def unreachable(root: Path, exclude: tuple[str, ...] = ("**/migrations/", "**/tests/")) -> dict[str, str]:
    return unreachable_modules(load_project(root, exclude=list(exclude)))


def test_modules_no_entry_point_imports_are_unreachable(tmp_path: Path):
    found = unreachable(write_tree(tmp_path, SERVICE))
    assert sorted(found) == ["shop/feeds/legacy.py", "shop/feeds/old_helpers.py"]
    assert found["shop/feeds/old_helpers.py"] == "unreachable: no production module imports shop/feeds/old_helpers.py"
    assert found["shop/feeds/legacy.py"] == (
        "unreachable: shop/feeds/legacy.py is imported only by modules nothing runs (shop/feeds/old_helpers.py)"
    )


def test_a_module_a_production_file_outside_the_scan_imports_stays_reachable(tmp_path: Path):
    """The migration that imports shop/seeding.py is excluded from the scan, yet it runs."""
    assert "shop/seeding.py" not in unreachable(write_tree(tmp_path, SERVICE))


def test_a_dynamic_loader_keeps_its_whole_package_reachable(tmp_path: Path):
    tree = write_tree(tmp_path, SERVICE)
    assert "shop/plugins/slack.py" not in unreachable(tree)
    (tree / "shop/plugins/__init__.py").write_text("")
    assert "shop/plugins/slack.py" in unreachable(tree)


def test_a_lazy_loading_package_keeps_its_modules_reachable(tmp_path: Path):
    """``lazy_loader.attach_stub(__name__, __file__)`` imports the names its ``.pyi`` stub lists on first use."""
    tree = write_tree(tmp_path, SERVICE)
    assert "shop/feeds/legacy.py" in unreachable(tree)
    (tree / "shop/feeds/__init__.py").write_text(
        "import lazy_loader as lazy\n\n__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)\n")
    assert "shop/feeds/legacy.py" not in unreachable(tree)


def test_dotted_paths_in_settings_and_entry_points_are_edges(tmp_path: Path):
    tree = write_tree(tmp_path, SERVICE)
    found = unreachable(tree)
    assert "shop/payments/card.py" not in found and "shop/hooks.py" not in found
    (tree / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (tree / "shop/settings.py").write_text("INSTALLED_APPS = ['shop']\n")
    assert {"shop/payments/card.py", "shop/hooks.py"} <= set(unreachable(tree))


def test_a_package_without_an_entry_point_of_its_own_stays_reachable(tmp_path: Path):
    tree = write_tree(tmp_path, {**SERVICE, "toolkit/__init__.py": "", "toolkit/strings.py": FETCH})
    assert "toolkit/strings.py" not in unreachable(tree)


def test_a_tree_without_packaging_metadata_or_manage_py_is_trusted_for_nothing(tmp_path: Path):
    files = {rel: text for rel, text in SERVICE.items() if rel not in ("pyproject.toml", "manage.py")}
    assert unreachable(write_tree(tmp_path, files)) == {}


def test_a_graph_leaving_most_of_the_code_unreachable_is_not_trusted(tmp_path: Path):
    dead = {f"shop/feeds/old_{n}.py": FETCH for n in range(16)}
    assert unreachable(write_tree(tmp_path, {**SERVICE, **dead})) == {}


def test_findings_in_unreachable_modules_are_suppressed_with_the_reason(tmp_path: Path):
    tree = write_tree(tmp_path, SERVICE)
    settings = Settings(code_root=str(tree), database="none", rules=["R3.http-no-timeout"],
                        exclude=["**/migrations/", "**/tests/"])
    result = Audit(settings).run()
    by_path = {f.path: f for f in result.findings}
    assert by_path["shop/feeds/legacy.py"].suppressed
    assert by_path["shop/feeds/legacy.py"].suppressed_by == (
        "unreachable: shop/feeds/legacy.py is imported only by modules nothing runs (shop/feeds/old_helpers.py)"
    )
    assert [f.path for f in result.active()] == sorted(set(by_path) - {"shop/feeds/legacy.py"})

    settings.reachability = False
    assert not [f for f in Audit(settings).run().findings if f.suppressed]


def test_a_finding_standing_for_several_places_is_suppressed_only_when_all_are_unreachable(tmp_path: Path):
    project = load_project(write_tree(tmp_path, SERVICE), exclude=["**/migrations/", "**/tests/"])
    dead_only = Finding("m", path="shop/feeds/legacy.py", line=5, extra={"places": ["shop/feeds/legacy.py:5"]})
    with_live = Finding("m", path="shop/feeds/legacy.py", line=5,
                        extra={"places": ["shop/feeds/legacy.py:5", "shop/feeds/current.py:5"]})
    suppress_unreachable([dead_only, with_live], project)
    assert dead_only.suppressed and not with_live.suppressed


def test_a_script_a_module_runs_by_file_path_is_reachable(tmp_path: Path):
    tree = write_tree(tmp_path, {**SERVICE, "shop/jobs/__init__.py": "", "shop/jobs/runner.py": FETCH})
    assert "shop/jobs/runner.py" in unreachable(tree)
    (tree / "shop/hooks.py").write_text("import subprocess\n\n\ndef run():\n"
                                        "    subprocess.run(['python', '/srv/app/jobs/runner.py'])\n")
    assert "shop/jobs/runner.py" not in unreachable(tree)


def test_a_package_of_a_conventional_name_and_its_star_imports_are_reachable(tmp_path: Path):
    """Django loads ``shop.models`` by convention; ``from .order import *`` is what imports order.py."""
    tree = write_tree(tmp_path, {**SERVICE, "shop/orders/__init__.py": "", "shop/orders/models/__init__.py": "",
                                 "shop/orders/models/order.py": FETCH})
    assert "shop/orders/models/order.py" in unreachable(tree)
    (tree / "shop/orders/models/__init__.py").write_text("from .order import *\n")
    assert not {"shop/orders/models/__init__.py", "shop/orders/models/order.py"} & set(unreachable(tree))


def test_a_module_a_launch_file_or_setup_py_names_is_reachable(tmp_path: Path):
    tree = write_tree(tmp_path, {**SERVICE, "shop/api.py": FETCH, "shop/sync.py": FETCH})
    assert {"shop/api.py", "shop/sync.py"} <= set(unreachable(tree))
    (tree / "Procfile").write_text("web: uvicorn shop.api:app --port $PORT\n")
    (tree / "setup.py").write_text('from setuptools import setup\n\nsetup(entry_points="""\n'
                                   '[console_scripts]\nshop-sync = shop.sync:main\n""")\n')
    assert not {"shop/api.py", "shop/sync.py"} & set(unreachable(tree))


def test_a_module_building_a_web_application_is_reachable(tmp_path: Path):
    """A server loads it by a path that may be written outside the scanned tree (a Dockerfile one folder up)."""
    tree = write_tree(tmp_path, {**SERVICE, "shop/service.py": "from flask import Flask\n"})
    assert "shop/service.py" in unreachable(tree)
    (tree / "shop/service.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    assert "shop/service.py" not in unreachable(tree)


def test_a_failing_reachability_analysis_degrades_to_keeping_every_finding(tmp_path: Path, monkeypatch):
    def broken(project):
        raise RecursionError("too deep")

    monkeypatch.setattr("audit_lib.reachability._unreachable", broken)
    settings = Settings(code_root=str(write_tree(tmp_path, SERVICE)), database="none", rules=["R3.http-no-timeout"],
                        exclude=["**/migrations/", "**/tests/"])
    result = Audit(settings).run()
    assert result.findings and not [f for f in result.findings if f.suppressed]
    assert [s.what for s in result.skipped if s.what == "reachability"] == ["reachability"]


FACTORIES = (
    "import factory\n\nfrom shop.models import Order\n\n\n"
    "class OrderFactory(factory.django.DjangoModelFactory):\n    class Meta:\n        model = Order\n"
)
FACTORY_TREE = {
    **SERVICE,
    "shop/models.py": "class Order:\n    pass\n",
    "shop/factories.py": FACTORIES,
    "shop/billing/__init__.py": "",
    "shop/billing/factory.py": (
        "import factory\n\nfrom shop.factories import OrderFactory\n\n\n"
        "class PaidOrderFactory(OrderFactory):\n    paid = factory.Faker('boolean')\n"
    ),
    "shop/management/__init__.py": "",
    "shop/management/commands/__init__.py": "",
    "shop/management/commands/generate_test_data.py": (
        "import factory.random\n\nfrom shop.billing.factory import PaidOrderFactory\n\n\n"
        "def handle(seed):\n    factory.random.reseed_random(seed)\n    PaidOrderFactory.create_batch(20)\n"
    ),
    "shop/tests/test_orders.py": "from shop.factories import OrderFactory\n",
}


def test_factory_boy_modules_only_tests_and_test_data_code_import_are_test_support(tmp_path: Path):
    tree = write_tree(tmp_path, FACTORY_TREE)
    project = load_project(tree, exclude=["**/migrations/", "**/tests/"])
    assert sorted(factory_boy_test_support(project)) == ["shop/billing/factory.py", "shop/factories.py"]
    (tree / "shop/views.py").write_text("from shop.factories import OrderFactory\n\n\n"
                                        "def demo(request):\n    return OrderFactory.build()\n")
    project = load_project(tree, exclude=["**/migrations/", "**/tests/"])
    assert sorted(factory_boy_test_support(project)) == ["shop/billing/factory.py"]
    finding = Finding("m", path="shop/billing/factory.py", line=6)
    suppress_unreachable([finding], project)
    assert finding.suppressed_by == ("test support: shop/billing/factory.py holds factory_boy factories only tests "
                                     "and test-data code import")


MAIL = (
    "import requests\n\n\n"
    "def notify(url):\n    return requests.get(url)\n\n\n"
    "def _send(url):\n    return requests.get(url)\n\n\n"
    "def send_simple(url):\n    # send_simple(url) once ran from the signup view\n    return _send(url)\n"
)
MAIL_SERVICE = {**SERVICE, "shop/views.py": SERVICE["shop/views.py"] + "\n\nfrom shop.mail import notify\n",
                "shop/mail.py": MAIL}


def dead(root: Path) -> dict[str, list[tuple[int, int, str]]]:
    return dead_definitions(load_project(root, exclude=["**/migrations/", "**/tests/"]))


def test_a_finding_in_a_function_nothing_calls_is_suppressed_with_the_reason(tmp_path: Path):
    """``_send`` is called only by ``send_simple``, which nothing calls (a comment naming it is no call)."""
    settings = Settings(code_root=str(write_tree(tmp_path, MAIL_SERVICE)), database="none",
                        rules=["R3.http-no-timeout"], exclude=["**/migrations/", "**/tests/"])
    by_line = {f.line: f for f in Audit(settings).run().findings if f.path == "shop/mail.py"}
    assert not by_line[5].suppressed
    assert by_line[9].suppressed_by == "unreachable: _send is never called"


@pytest.mark.parametrize("files", [
    {"shop/settings.py": "MAIL_SENDER = 'shop.mail.send_simple'\n"},
    {"shop/urls.py": "from django.urls import path\n\nurlpatterns = [path('send/', 'shop.mail.send_simple')]\n"},
    {"shop/templates/mail.html": "{{ mailer.send_simple }}\n"},
    {"shop/tests/test_mail.py": "from shop.mail import send_simple\n"},
    {"shop/signup.py": "from shop import mail\n\nsender = getattr(mail, 'send_simple')\n"},
    {"shop/signup.py": "from shop import mail\n\nsender = getattr(mail, f'send_{mail.KIND}')\n"},
    {"shop/mail.py": MAIL.replace("def send_simple", "@register\ndef send_simple")},
    {"shop/mail.py": "__all__ = ['send_simple']\n" + MAIL},
], ids=["setting", "urlconf", "template", "test", "getattr", "built-name", "decorator", "all"])
def test_a_function_named_anywhere_in_the_tree_is_not_dead(tmp_path: Path, files: dict[str, str]):
    tree = write_tree(tmp_path, MAIL_SERVICE)
    assert [why for _, _, why in dead(tree)["shop/mail.py"]] == [
        "unreachable: _send is never called", "unreachable: send_simple is never called"]
    write_tree(tree, files)
    assert "shop/mail.py" not in dead(tree)


CLASSES = (
    "import requests\nfrom django.core.files.storage import FileSystemStorage\n\n\n"
    "class Printer:\n    def show(self, url):\n        return requests.get(url)\n\n\n"
    "class Cache:\n    def get(self, key):\n        return self._load(key)\n\n"
    "    def _load(self, key):\n        return requests.get(key)\n\n"
    "    def _unused(self, key):\n        return requests.get(key)\n\n\n"
    "class RemoteStorage:\n    def _save(self, name, content):\n        return requests.put(name, data=content)\n\n\n"
    "class Storage(RemoteStorage, FileSystemStorage):\n    pass\n\n\n"
    "class ManageUsers:\n    @app.command()\n    def add(email):\n        return requests.post(email)\n"
)


def test_a_class_nothing_uses_and_private_methods_nothing_calls_are_dead(tmp_path: Path):
    """A framework calls the methods it defines by name (Django's ``Storage._save``): a class family with a
    base from outside the tree keeps its private methods; the methods of a dead class count under it; a class
    whose body registers a method (a typer command) runs on import; ``__subclasses__()`` finds unnamed ones."""
    tree = write_tree(tmp_path, {**MAIL_SERVICE, "shop/caching.py": CLASSES,
                                 "shop/views.py": "from shop.caching import Cache, Storage\n"})
    assert dead(tree)["shop/caching.py"] == [(5, 7, "unreachable: Printer is never instantiated or subclassed"),
                                             (17, 18, "unreachable: Cache._unused is never called")]
    write_tree(tree, {"shop/caching.py": CLASSES + "\n\nclass ColorPrinter(Printer):\n    pass\n",
                      "shop/views.py": "from shop.caching import Cache, Printer, Storage\n\n"
                                       "PRINTERS = Printer.__subclasses__()\n"})
    assert dead(tree)["shop/caching.py"] == [(17, 18, "unreachable: Cache._unused is never called")]


def test_a_finding_standing_for_several_places_is_suppressed_only_when_all_are_dead(tmp_path: Path):
    project = load_project(write_tree(tmp_path, MAIL_SERVICE), exclude=["**/migrations/", "**/tests/"])
    dead_only = Finding("m", path="shop/mail.py", line=9, extra={"places": ["shop/mail.py:9"]})
    with_live = Finding("m", path="shop/mail.py", line=9, extra={"places": ["shop/mail.py:9", "shop/mail.py:5"]})
    suppress_unreachable([dead_only, with_live], project)
    assert dead_only.suppressed and not with_live.suppressed


def test_a_tree_without_packaging_metadata_or_manage_py_has_no_dead_functions(tmp_path: Path):
    files = {rel: text for rel, text in MAIL_SERVICE.items() if rel not in ("pyproject.toml", "manage.py")}
    assert dead(write_tree(tmp_path, files)) == {}
