"""Talking to PostgreSQL, read-only: the session, catalog collectors, EXPLAIN."""
