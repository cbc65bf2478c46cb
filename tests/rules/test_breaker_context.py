"""R3.no-circuit-breaker says whether the code base uses breakers elsewhere: only a breaker counts."""

from __future__ import annotations

from pathlib import Path

from audit_lib.engine import Audit
from audit_lib.settings import Settings

CLIENT = "import requests\n\n\ndef sync_prices():\n    return requests.get('https://prices.example.com/v1', timeout=5)\n"


def breaker_messages(root: Path) -> list[str]:
    result = Audit(Settings(code_root=str(root), database="none", rules=["R3.no-circuit-breaker"])).run()
    return [f.message for f in result.findings if f.rule == "R3.no-circuit-breaker"]


def test_a_domain_class_named_circuit_is_no_breaker(tmp_path: Path):
    (tmp_path / "prices.py").write_text(CLIENT)
    (tmp_path / "models.py").write_text("class Circuit:\n    '''A proxied route from a frontend port to a worker.'''\n")
    [message] = breaker_messages(tmp_path)
    assert "the code base uses none" in message


def test_a_breaker_class_of_the_code_base_is_mentioned(tmp_path: Path):
    (tmp_path / "prices.py").write_text(CLIENT)
    (tmp_path / "resilience.py").write_text("class CircuitBreaker:\n    def call(self, fn):\n        return fn()\n")
    [message] = breaker_messages(tmp_path)
    assert "the code base uses breakers, but not here" in message
