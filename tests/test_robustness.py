"""No input makes an exception escape: random and mutated sources through the walker
and every rule (hypothesis). A rule that crashes is recorded as an error entry by the
engine; here that counts as a failure too."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from audit_lib.engine import Audit
from audit_lib.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_SOURCES = sorted(p.read_text(encoding="utf-8") for p in FIXTURES.rglob("*.py"))


def audit_source(root: Path, source: str):
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "target.py").write_text(source, encoding="utf-8", errors="surrogatepass")
    return Audit(Settings(code_root=str(root), database="none")).run()


@st.composite
def mutated_sources(draw):
    """A fixture file with lines dropped, duplicated or cut short: mostly still Python."""
    lines = draw(st.sampled_from(SEED_SOURCES)).splitlines()
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "cut", "dedent"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        else:
            lines[i] = lines[i].lstrip()
    return "\n".join(lines) + "\n"


def assert_no_rule_crashed(result):
    crashed = [e for e in result.errors if " failed: " in e.why]
    assert not crashed, crashed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=mutated_sources())
def test_mutated_fixtures_never_crash_a_rule(tmp_path, source):
    assert_no_rule_crashed(audit_source(tmp_path / "t", source))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400))
def test_random_text_never_crashes(tmp_path, source):
    assert_no_rule_crashed(audit_source(tmp_path / "t", source))
