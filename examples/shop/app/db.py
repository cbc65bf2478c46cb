"""The PostgreSQL connection pool: opened and drained by the app's lifespan (app/main.py)."""

from collections.abc import Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from app import config

# Autocommit: a multi-statement write is atomic only inside `with conn.transaction()`.
# posture-demo: ok R4.connect-per-request (one pool per process)
# posture-demo: ok R4.resource-not-closed (closed by the lifespan in app/main.py)
pool = ConnectionPool(
    config.DATABASE_URL,
    min_size=2,
    max_size=config.POOL_MAX_SIZE,
    kwargs={"autocommit": True, "row_factory": dict_row},
    open=False,
)


def get_conn() -> Iterator[psycopg.Connection]:
    """FastAPI dependency: a pooled connection for the duration of one request."""
    with pool.connection() as conn:
        yield conn
