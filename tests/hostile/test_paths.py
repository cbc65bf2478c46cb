"""Paths in the outputs: relative to the audited root, whatever form ``--code`` takes; links out are not followed.

Also the success side of the INCOMPLETE marker: a finished run leaves none.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from audit_lib import cli

pytestmark = [pytest.mark.slow]

HTTP_CALL = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
QUERY = 'def load(conn, key):\n    return conn.execute("SELECT id FROM items WHERE id = %s", (key,)).fetchone()\n'


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """``base/code`` to audit, with links to ``base/outside`` that must not be followed."""
    base = tmp_path_factory.mktemp("paths")
    code, outside = base / "code", base / "outside"
    (code / "app" / "deep").mkdir(parents=True)
    outside.mkdir()
    (code / "app" / "deep" / "client.py").write_text(HTTP_CALL)
    (code / "app" / "store.py").write_text(QUERY)
    (outside / "secret_client.py").write_text(HTTP_CALL)
    (code / "app" / "linked_file.py").symlink_to(outside / "secret_client.py")
    (code / "linked_dir").symlink_to(outside, target_is_directory=True)
    return base


def run(args: list[str], out: Path) -> dict:
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(stderr):
        patch.delenv("DATABASE_URL", raising=False)
        exit_code = cli.main(["run", *args, "--no-pdf", "--out", str(out)])
    assert exit_code == 0, stderr.getvalue()
    assert (out / "report.html").exists() and not (out / "INCOMPLETE").exists()
    return json.loads((out / "findings.json").read_text())


def output_paths(data: dict) -> set[str]:
    """Paths of what was read: findings and the sites of queries."""
    paths = {f["path"] for f in data["findings"] if f["path"]}
    return paths | {site["path"] for q in data["queries"] for site in q["sites"]}


@pytest.fixture(scope="module")
def absolute_run(tree, tmp_path_factory) -> dict:
    return run(["--code", str(tree / "code")], tmp_path_factory.mktemp("abs") / "out")


@pytest.fixture(scope="module")
def relative_run(tree, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("rel") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tree / "code" / "app")
        return run(["--code", "../../code"], out)


def test_paths_are_relative_to_the_root_whatever_the_form_of_code(absolute_run, relative_run, tree):
    assert output_paths(absolute_run) == output_paths(relative_run) == {"app/deep/client.py", "app/store.py"}
    for data in (absolute_run, relative_run):
        text = json.dumps(data["findings"] + data["queries"] + data["errors"])
        assert str(tree) not in text


def test_target_code_is_the_path_as_given(absolute_run, relative_run, tree):
    assert absolute_run["target"]["code"] == str(tree / "code")
    assert relative_run["target"]["code"] == "../../code"


def test_links_out_of_the_root_are_not_followed(absolute_run):
    assert not [p for p in output_paths(absolute_run) if "linked" in p or "secret" in p]
    errors = {e["path"]: e["why"] for e in absolute_run["errors"]}
    assert list(errors) == ["app/linked_file.py"] and "not followed" in errors["app/linked_file.py"]
