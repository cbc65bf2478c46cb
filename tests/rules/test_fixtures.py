"""One test per annotated fixture: the exact set of (rule, path, line) reported must
equal the set annotated with `# ruleid:`; lines annotated `# ok:` must stay silent.

A fixture is a file `tests/fixtures/<group>/<slug>.py` (or `.sql`), or a folder
`tests/fixtures/<group>/<slug>/` for rules that follow calls across files.
`pytest -k http_no_timeout` runs one rule's fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audit_lib.engine import Audit
from audit_lib.settings import Settings
from tests.annotations import read_annotations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CODE_FIXTURE_GROUPS = ("r1_data", "r2_atomic", "r3_resilience", "r4_lifecycle", "r5_complexity", "types")


def code_fixtures() -> list[Path]:
    found: list[Path] = []
    for group in CODE_FIXTURE_GROUPS:
        folder = FIXTURES / group
        if folder.is_dir():
            found.extend(p for p in sorted(folder.iterdir()) if p.suffix in (".py", ".sql") or p.is_dir())
    return found


def fixture_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".py", ".sql"))


@pytest.mark.parametrize("fixture", code_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(fixture: Path, tmp_path: Path):
    if fixture.is_dir():
        root = tmp_path / fixture.name
        shutil.copytree(fixture, root)
    else:
        root = tmp_path / "target"
        root.mkdir()
        shutil.copy(fixture, root / fixture.name)
    expectations = read_annotations(root, fixture_files(root))
    assert expectations.expected, f"{fixture.name} has no '# ruleid:' annotation"
    assert expectations.ok, f"{fixture.name} has no '# ok:' annotation"

    settings = Settings(code_root=str(root), database="none", rules=sorted(expectations.rules))
    result = Audit(settings).run()

    assert not [e for e in result.errors if "failed" in e.why], result.errors
    reported = {(f.rule, f.path, f.line) for f in result.findings if f.rule in expectations.rules}
    missing = expectations.expected - reported
    unexpected = reported - expectations.expected
    assert not missing and not unexpected, f"missing: {sorted(missing)}\nunexpected: {sorted(unexpected)}"
    assert not (reported & expectations.ok)
