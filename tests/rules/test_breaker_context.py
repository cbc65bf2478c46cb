"""R3.no-circuit-breaker says whether the code base uses breakers elsewhere: only a breaker counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_lib.engine import Audit
from audit_lib.settings import Settings

CLIENT = "import requests\n\n\ndef sync_prices():\n    return requests.get('https://prices.example.com/v1', timeout=5)\n"


def breaker_messages(root: Path) -> list[str]:
    result = Audit(Settings(code_root=str(root), database="none", rules=["R3.no-circuit-breaker"])).run()
    return [f.message for f in result.findings if f.rule == "R3.no-circuit-breaker"]


@pytest.mark.parametrize(("other_file", "context"), [
    # a domain class named Circuit: a proxied route from a frontend port to a worker
    ("class Circuit:\n    pass\n", "the code base uses none"),
    # a domain class with Breaker inside its name: the poles of an electrical panel
    ("class PanelBreakerSlotChoices:\n    pass\n", "the code base uses none"),
    ("class CircuitBreaker:\n    def call(self, fn):\n        return fn()\n", "the code base uses breakers, but not here"),
    ("class StorageBreaker:\n    def call(self, fn):\n        return fn()\n", "the code base uses breakers, but not here"),
], ids=["domain-circuit", "domain-breaker-inside-name", "circuit-breaker-class", "dependency-breaker-class"])
def test_only_a_breaker_class_counts(tmp_path: Path, other_file: str, context: str):
    (tmp_path / "prices.py").write_text(CLIENT)
    (tmp_path / "resilience.py").write_text(other_file)
    [message] = breaker_messages(tmp_path)
    assert context in message
