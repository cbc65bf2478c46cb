"""`--jobs N`: the code rules in N processes give the output of one process, in the same order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit_lib.engine import Audit, _chunks
from audit_lib.settings import EXAMPLE_CODE, Settings

FIXTURES = Path(__file__).parent / "fixtures"


def _scan(root: Path, jobs: int) -> dict:
    settings = Settings.from_mapping({"code_root": str(root), "database": "none", "jobs": jobs})
    result = Audit(settings).run()
    assert result.findings, "a tree without findings would prove nothing"
    return result.to_dict()


@pytest.mark.parametrize("root", [FIXTURES, EXAMPLE_CODE], ids=["fixtures", "example"])
def test_processes_give_the_single_process_output(root):
    single = _scan(root, 1)
    for jobs in (2, 3):
        assert json.dumps(_scan(root, jobs)) == json.dumps(single)


def test_chunks_cover_every_module_once_in_order():
    class Module:
        def __init__(self, size):
            self.text = "x" * size

    modules = [Module(size) for size in (5, 1, 1, 40, 3, 3, 3, 2, 9, 1)]
    for count in (1, 2, 3, 8, 20):
        ranges = _chunks(modules, count)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(modules)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert all(start < stop for start, stop in ranges)
        assert len(ranges) <= count


def test_jobs_must_be_a_positive_number():
    with pytest.raises(ValueError, match="jobs"):
        Settings.from_mapping({"jobs": 0})
