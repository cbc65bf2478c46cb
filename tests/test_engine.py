"""The engine's policies that no single rule owns."""

from __future__ import annotations

from audit_lib.engine import Audit
from audit_lib.settings import Settings

UNBOUNDED = 'def rows(cur):\n    cur.execute("SELECT name FROM customers")\n    return cur.fetchall()\n'


def test_sql_sent_only_from_test_code_is_found_but_not_judged(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helpers.py").write_text(UNBOUNDED)
    (tmp_path / "app.py").write_text(UNBOUNDED.replace("customers", "orders"))
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R5.unbounded-query"])).run()
    assert sorted(site.path for q in result.queries for site in q.sites) == ["app.py", "tests/helpers.py"]
    assert [(f.path, f.line) for f in result.findings] == [("app.py", 2)]
