"""R1.n-plus-one messages: what the finding says the loop's statement touches."""

from __future__ import annotations

from pathlib import Path

from audit_lib.engine import Audit
from audit_lib.settings import Settings

PLACEHOLDER_TABLE = '''
import sqlite3


def rehash(conn: sqlite3.Connection, table: str, pepper: str) -> None:
    cur = conn.cursor()
    rows = cur.execute("SELECT medium, address FROM %s" % table).fetchall()
    for medium, address in rows:
        sql = "UPDATE %s SET lookup_hash = ? WHERE medium = ? AND address = ?" % table
        cur.execute(sql, (hash(address + pepper), medium, address))
'''


def test_table_filled_in_by_a_placeholder_is_named_by_what_fills_it(tmp_path: Path):
    (tmp_path / "hashing.py").write_text(PLACEHOLDER_TABLE)
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R1.n-plus-one"])).run()
    messages = [f.message for f in result.findings if f.rule == "R1.n-plus-one"]
    assert len(messages) == 1, messages
    assert "(update {table})" in messages[0], messages[0]
