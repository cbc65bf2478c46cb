"""The catalog stays honest: ids well-formed and documented, every rule fixtured,
every id of shared/rules.md either implemented or listed as not yet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audit_lib.registry import DOC_HEADINGS, RULE_ID, all_rules, doc_section

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "fixtures"
RULES_MD = TESTS.parents[0] / "docs" / "rules.md"


def annotated_rule_ids() -> set[str]:
    ids: set[str] = set()
    pattern = re.compile(r"(?:#|--)\s*(?:ruleid|ok):\s*([\w.\-, ]+)")
    for path in FIXTURES.rglob("*"):
        if path.suffix in (".py", ".sql"):
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                ids.update(i.strip() for i in match.group(1).split(",") if i.strip())
    return ids


def fixture_kinds(rule_id: str) -> set[str]:
    kinds: set[str] = set()
    pattern = re.compile(r"(?:#|--)\s*(ruleid|ok):\s*([\w.\-, ]+)")
    for path in FIXTURES.rglob("*"):
        if path.suffix in (".py", ".sql"):
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                if rule_id in [i.strip() for i in match.group(2).split(",")]:
                    kinds.add(match.group(1))
    return kinds


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_is_documented(rule):
    assert RULE_ID.match(rule.id)
    for heading in DOC_HEADINGS:
        assert doc_section(rule.doc, heading), f"{rule.id}: docstring lacks '{heading}'"
    assert rule.summary


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_has_both_kinds_of_fixture(rule):
    assert fixture_kinds(rule.id) == {"ruleid", "ok"}, f"{rule.id} needs '# ruleid:' and '# ok:' fixtures"


def test_ids_are_unique_and_in_the_catalog():
    ids = [r.id for r in all_rules()]
    assert len(ids) == len(set(ids))
    catalog = set(re.findall(r"^\| ((?:R[1-5]|T)\.[a-z0-9-]+) \|", RULES_MD.read_text(encoding="utf-8"), re.M))
    assert set(ids) <= catalog, set(ids) - catalog


def test_annotations_name_known_rules():
    known = {r.id for r in all_rules()}
    assert annotated_rule_ids() <= known, annotated_rule_ids() - known


NOT_YET: set[str] = set()


def test_every_catalog_id_is_implemented_or_listed_as_not_yet():
    catalog = set(re.findall(r"^\| ((?:R[1-5]|T)\.[a-z0-9-]+) \|", RULES_MD.read_text(encoding="utf-8"), re.M))
    implemented = {r.id for r in all_rules()}
    assert catalog - implemented == NOT_YET
