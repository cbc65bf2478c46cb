"""The embedded example's loaded data directory is cached; each run works on its own copy."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from audit_lib import embedded

FACTS = (
    "SELECT count(*) FROM orders",
    "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'",
    "SELECT count(*) FROM pg_stats WHERE schemaname = 'public'",  # ANALYZE's statistics travel with the copy
)


def _facts(dsn: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        return [conn.execute(sql).fetchone()[0] for sql in FACTS]


@pytest.fixture
def cache_home():
    """A fresh cache home that the server's own user can reach, as a user's ~/.cache is (pytest's
    tmp_path sits in a root-only folder, which a server dropped to its own user cannot enter)."""
    home = Path(tempfile.mkdtemp(prefix="posture-cache-"))
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_second_run_starts_from_the_cached_load_and_sees_the_same_database(cache_home, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    cached = embedded.cache_root() / f"{embedded.CACHE_PREFIX}{embedded.example_cache_key()}"
    assert not cached.exists()

    with embedded.example_database() as dsn:
        first = _facts(dsn)
    assert (cached / "PG_VERSION").is_file()
    assert not (cached / "postmaster.pid").exists()

    with embedded.example_database() as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE written_in_a_copy (id int)")  # must not reach the cache
        second = _facts(dsn)
    assert second == first and first[0] > 0

    with embedded.example_database() as dsn:
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT to_regclass('written_in_a_copy')").fetchone()[0] is None
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no build leftovers


def test_the_key_follows_the_example_sql(tmp_path, monkeypatch):
    schema, seed = tmp_path / "schema.sql", tmp_path / "seed.sql"
    schema.write_text("CREATE TABLE t (id int PRIMARY KEY);")
    seed.write_text("INSERT INTO t VALUES (1);")
    monkeypatch.setattr(embedded, "EXAMPLE_SQL", (schema, seed))
    before = embedded.example_cache_key()
    seed.write_text("INSERT INTO t VALUES (2);")
    assert embedded.example_cache_key() != before
