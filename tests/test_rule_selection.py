"""`--rules`: a scan of some rules reports exactly what a scan of every rule reports for them
(shared per-module caches must not make one rule's answer depend on which rules ran before it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_lib.engine import Audit
from audit_lib.settings import EXAMPLE_CODE, Settings

FIXTURES = Path(__file__).parent / "fixtures"
GROUPS = ["R1", "R2", "R3", "R4", "R5", "T"]


def _findings(root: Path, rules: list[str]) -> list[tuple]:
    settings = Settings.from_mapping({"code_root": str(root), "database": "none", "rules": rules})
    return [(f.rule, f.path, f.line, f.message, f.confidence) for f in Audit(settings).run().findings]


@pytest.mark.parametrize("root", [FIXTURES, EXAMPLE_CODE], ids=["fixtures", "example"])
def test_each_group_alone_reports_what_the_full_scan_reports_for_it(root):
    every_rule = _findings(root, [])
    assert every_rule, "a tree without findings would prove nothing"
    for group in GROUPS:
        alone = _findings(root, [group])
        assert alone, f"no {group} finding: the comparison would prove nothing"
        assert sorted(alone) == sorted(f for f in every_rule if f[0].split(".")[0] == group), group
