"""A code base of 100,000 files: walked, its Python parsed once and judged by every rule, without falling over.

One file in ten is Python (the rest is what a large repository also holds: data,
templates, docs), which keeps the test at a few seconds; 100,000 Python files take
about 30-55 s on the CI machine (docs/hardening.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_lib.engine import Audit
from audit_lib.settings import Settings

pytestmark = [pytest.mark.slow]

HTTP_CALL = b"import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def test_one_hundred_thousand_files(tmp_path: Path):
    packages, per_package = 100, 1000
    for number in range(packages):
        package = tmp_path / f"pkg{number}"
        package.mkdir()
        (package / "client.py").write_bytes(HTTP_CALL)
        for item in range(1, per_package):
            name = f"m{item}.py" if item % 10 == 0 else f"data{item}.json"
            (package / name).write_bytes(b"x = 1\n" if name.endswith(".py") else b"{}\n")
    assert sum(1 for _ in tmp_path.rglob("*") if _.is_file()) == packages * per_package
    result = Audit(Settings.from_mapping({"code_root": str(tmp_path), "database": "none"})).run()
    assert result.errors == []
    assert [s.what for s in result.skipped] == ["database"]
    timeouts = {f.path for f in result.findings if f.rule == "R3.http-no-timeout"}
    assert timeouts == {f"pkg{number}/client.py" for number in range(packages)}
