"""The database half at scale: catalog rules on 5,000 tables and 10,000 foreign keys;
1,000 plans with the bounded pool and with one connection (embedded PostgreSQL)."""

from __future__ import annotations

import random
import time

from bench.measure import Row

TABLES = 5_000
QUERIES = 1_000


def generated_schema(tables: int = TABLES, seed: int = 7) -> list[str]:
    """Tables t0..tN, each with two foreign keys to earlier tables; every third one indexed.

    Several scripts, each its own transaction: one would need a lock per table at once,
    more than the default max_locks_per_transaction allows.
    """
    rng = random.Random(seed)
    statements = ["CREATE TABLE t0 (id bigint PRIMARY KEY, a_id bigint, b_id bigint, created timestamp, amount float8)"]
    for i in range(1, tables):
        a, b = rng.randrange(i), rng.randrange(i)
        statements.append(
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY, a_id bigint REFERENCES t{a}(id), "
            f"b_id bigint REFERENCES t{b}(id), created timestamp, amount float8)"
        )
        if i % 3 == 0:
            statements.append(f"CREATE INDEX ON t{i} (a_id)")
    per_script = 500
    return [";\n".join(statements[i:i + per_script]) + ";" for i in range(0, len(statements), per_script)]


def generated_queries(tables: int = TABLES, count: int = QUERIES, seed: int = 11):
    from audit_lib.sql.model import FoundQuery, QuerySite

    rng = random.Random(seed)
    queries = []
    for n in range(count):
        i = rng.randrange(1, tables)
        sql = f"SELECT t.id, t.created FROM t{i} t JOIN t{i - 1} u ON u.id = t.a_id WHERE t.b_id = $1 ORDER BY t.created LIMIT 20"
        queries.append(FoundQuery(id=f"q{n + 1}", sql=sql, normalized=sql, sites=[QuerySite("bench.py", n + 1)]))
    return queries


def run() -> list[Row]:
    import psycopg

    from audit_lib.embedded import create_database, embedded_server
    from audit_lib.pg import catalog as catalog_mod
    from audit_lib.pg import plans
    from audit_lib.pg.session import connect
    from audit_lib.registry import all_rules
    from audit_lib.settings import Settings

    rows: list[Row] = []
    with embedded_server() as admin:
        dsn = create_database(admin, "bench")
        with psycopg.connect(dsn, autocommit=True) as conn:
            for script in generated_schema():
                conn.execute(script)
            conn.execute("ANALYZE")
        settings = Settings(database="env")
        rules = all_rules()
        needs = {n for r in rules for c in r.checks_of("catalog") for n in c.needs} | {"tables", "foreign_keys", "indexes"}
        start = time.perf_counter()
        with connect(dsn, settings) as conn:
            catalog = catalog_mod.collect(conn, needs, settings)
        collected = time.perf_counter() - start
        findings = 0
        for rule in rules:
            for check in rule.checks_of("catalog"):
                findings += len(list(check.fn(catalog, settings)))
        total = time.perf_counter() - start
        rows.append(Row("database", f"catalog collect, {TABLES:,} tables / {2 * (TABLES - 1):,} FKs", collected))
        rows.append(Row("database", "catalog collect + every catalog rule", total, note=f"{findings:,} findings; target ≤ 5 s"))

        timings = {}
        for workers in (1, settings.plan_workers):
            queries = generated_queries()
            start = time.perf_counter()
            plans.plan_queries(dsn, queries, Settings(database="env", plan_workers=workers))
            timings[workers] = time.perf_counter() - start
            planned = sum(q.plan is not None for q in queries)
            rows.append(Row("database", f"{QUERIES:,} plans, {workers} connection(s)", timings[workers], note=f"{planned} planned"))
        rows.append(Row("database", "plans: pool speed-up", 0.0, ratio=timings[1] / timings[settings.plan_workers], note="target ≥ 1.7x"))
    return rows
