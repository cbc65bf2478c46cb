"""The finder: each way code hands SQL to a database, .sql files, dedupe, errors kept."""

from __future__ import annotations

import textwrap
from pathlib import Path

from audit_lib.source import load_project
from audit_lib.sql.finder import find_queries


def scan(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    project = load_project(tmp_path)
    queries = find_queries(project)
    assert not [e for e in project.errors if "SQL finder" in e.why]
    return queries


def one(tmp_path: Path, source: str):
    queries = scan(tmp_path, {"app.py": source})
    assert len(queries) == 1, [q.sql for q in queries]
    return queries[0]


def test_literal_handed_to_execute_with_its_site(tmp_path):
    query = one(tmp_path, """
        def load(cur, uid):
            cur.execute("SELECT name FROM users WHERE id = %s", (uid,))
            return cur.fetchone()
    """)
    assert query.id == "q1"
    assert query.normalized == "SELECT name FROM users WHERE id = $1"
    assert query.parse_error is None and query.statement is not None
    assert [(s.path, s.line, s.function, s.method, s.returns) for s in query.sites] == [("app.py", 3, "load", "execute", "one")]


def test_module_constant_and_function_constant(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        LIST_ORDERS = '''
            SELECT id, total FROM orders
            WHERE customer_id = :customer_id
        '''

        class Repo:
            async def orders(self, conn, customer_id):
                return await conn.fetch_all(query=LIST_ORDERS, values={"customer_id": customer_id})

            def count(self, cur):
                query = "SELECT count(*) FROM orders"
                cur.execute(query)
                return cur.fetchone()
    """})
    assert [q.normalized for q in queries] == [
        "SELECT id, total FROM orders\nWHERE customer_id = $1",
        "SELECT count(*) FROM orders",
    ]
    assert [(s.function, s.returns) for q in queries for s in q.sites] == [("Repo.orders", "all"), ("Repo.count", "one")]


def test_concatenation_fstring_percent_format_join_dedent(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        import textwrap
        TABLE = "events"

        def forms(cur, uid, limit):
            cur.execute("SELECT * FROM events " + "WHERE user_id = %s", (uid,))
            cur.execute(f"SELECT * FROM {TABLE} WHERE user_id = {uid} LIMIT {limit}")
            cur.execute("SELECT * FROM %s WHERE kind = %d" % (TABLE, 3))
            cur.execute("SELECT * FROM {} WHERE id = {}".format(TABLE, 7))
            cur.execute(" ".join(["SELECT id", "FROM events", "WHERE id = 1"]))
            cur.execute(textwrap.dedent('''
                SELECT id
                FROM events
            '''))
    """})
    assert [q.normalized for q in queries] == [
        "SELECT * FROM events WHERE user_id = $1",
        "SELECT * FROM events WHERE user_id = $1 LIMIT $2",
        "SELECT * FROM events WHERE kind = 3",
        "SELECT * FROM events WHERE id = 7",
        "SELECT id FROM events WHERE id = 1",
        "SELECT id\nFROM events",
    ]
    assert all(q.parse_error is None for q in queries)
    assert queries[1].sql == "SELECT * FROM events WHERE user_id = {uid} LIMIT {limit}"


def test_value_in_a_name_position_keeps_the_query_as_dynamic(tmp_path):
    query = one(tmp_path, """
        def sorted_rows(cur, table, column):
            cur.execute(f"SELECT * FROM {table} ORDER BY {column}")
    """)
    assert query.sql == "SELECT * FROM {table} ORDER BY {column}"
    assert query.parse_error == "dynamic SQL: {table} fills a name or clause position"
    assert query.statement is None


def test_additions_with_plus_equals_are_followed(tmp_path):
    query = one(tmp_path, """
        def search(cur, name, active):
            sql = "SELECT id FROM users WHERE name = %(name)s"
            if active:
                sql += " AND active"
            sql += " ORDER BY id"
            cur.execute(sql, {"name": name})
    """)
    assert query.normalized == "SELECT id FROM users WHERE name = $1 AND active ORDER BY id"


def test_sqlalchemy_text_forms_and_results(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        import sqlalchemy as sa
        from sqlalchemy import text

        def forms(session, engine):
            session.execute(text("SELECT id FROM a WHERE x = :x"), {"x": 1}).fetchall()
            session.execute(sa.text("SELECT id FROM b")).scalars().first()
            stmt = text("SELECT id FROM c")
            rows = session.execute(stmt)
            for row in rows:
                print(row)
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT id FROM d")

        STANDALONE = text("SELECT id FROM e WHERE ts > now() - interval '1 day'")
    """})
    sites = {q.normalized: (q.sites[0].line, q.sites[0].method, q.sites[0].returns) for q in queries}
    assert sites == {
        "SELECT id FROM a WHERE x = $1": (6, "execute", "all"),
        "SELECT id FROM b": (7, "execute", "one"),
        "SELECT id FROM c": (9, "execute", "all"),
        "SELECT id FROM d": (13, "exec_driver_sql", None),
        "SELECT id FROM e WHERE ts > now() - interval '1 day'": (15, "text", None),
    }


def test_asyncpg_databases_sqlite_psycopg_calls(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        from psycopg import sql

        async def many(conn, pool, db, ids):
            await conn.fetch("SELECT * FROM a WHERE id = ANY($1)", ids)
            await conn.fetchrow("SELECT * FROM b WHERE id = $1", 1)
            await conn.fetchval("SELECT count(*) FROM c")
            await conn.executemany("INSERT INTO d (x) VALUES ($1)", [(1,), (2,)])
            await db.fetch_one(query="SELECT * FROM e WHERE id = :id", values={"id": 1})
            async with pool.acquire() as c:
                await c.copy_from_query("SELECT * FROM f", output="f.csv")
                async for row in c.cursor("SELECT * FROM i"):
                    print(row)

        def sync(conn, cur, f):
            conn.executescript("CREATE TABLE g (id integer); INSERT INTO g VALUES (1);")
            cur.copy_expert("COPY h TO STDOUT WITH CSV", f)
            cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier("users")), (1,))
            return cur.fetchall()
    """})
    got = {q.normalized: q.sites[0].returns for q in queries}
    assert got == {
        "SELECT * FROM a WHERE id = ANY($1)": "all",
        "SELECT * FROM b WHERE id = $1": "one",
        "SELECT count(*) FROM c": "one",
        "INSERT INTO d (x) VALUES ($1)": "none",
        "SELECT * FROM e WHERE id = $1": "one",
        "SELECT * FROM f": "none",
        "CREATE TABLE g (id integer)": "none",
        "INSERT INTO g VALUES (1)": "none",
        "COPY h TO STDOUT WITH CSV": "none",
        'SELECT * FROM "users" WHERE id = $1': "all",
        "SELECT * FROM i": "stream",
    }


def test_django_raw_rawsql_runsql_and_alembic(tmp_path):
    queries = scan(tmp_path, {
        "shop/views.py": """
            from django.db.models.expressions import RawSQL
            from shop.models import Order

            def recent():
                return list(Order.objects.raw("SELECT * FROM shop_order WHERE placed_at > now() - interval '1 day'"))

            def annotated(qs):
                return qs.annotate(n=RawSQL("SELECT count(*) FROM shop_item WHERE order_id = shop_order.id", ()))
        """,
        "shop/migrations/0002_index.py": """
            from django.db import migrations

            class Migration(migrations.Migration):
                operations = [
                    migrations.RunSQL(
                        "CREATE INDEX order_placed ON shop_order (placed_at)",
                        reverse_sql="DROP INDEX order_placed",
                    ),
                    migrations.RunSQL([("UPDATE shop_order SET status = %s", ["new"])]),
                ]
        """,
        "alembic/versions/1a2b_backfill.py": """
            from alembic import op
            import sqlalchemy as sa

            def upgrade():
                op.execute("UPDATE accounts SET plan = 'free' WHERE plan IS NULL")
                op.execute(sa.text("ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL"))
        """,
    })
    assert [(q.sites[0].path, q.sites[0].method, q.normalized) for q in queries] == [
        ("alembic/versions/1a2b_backfill.py", "execute", "UPDATE accounts SET plan = 'free' WHERE plan IS NULL"),
        ("alembic/versions/1a2b_backfill.py", "execute", "ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL"),
        ("shop/migrations/0002_index.py", "RunSQL", "CREATE INDEX order_placed ON shop_order (placed_at)"),
        ("shop/migrations/0002_index.py", "RunSQL", "DROP INDEX order_placed"),
        ("shop/migrations/0002_index.py", "RunSQL", "UPDATE shop_order SET status = $1"),
        ("shop/views.py", "raw", "SELECT * FROM shop_order WHERE placed_at > now() - interval '1 day'"),
        ("shop/views.py", "RawSQL", "SELECT count(*) FROM shop_item WHERE order_id = shop_order.id"),
    ]


def test_constant_imported_from_another_module_and_class_attribute(tmp_path):
    queries = scan(tmp_path, {
        "app/queries.py": 'ACTIVE = "SELECT id FROM users WHERE active"\n',
        "app/repo.py": """
            from app.queries import ACTIVE
            from app import queries

            class Repo:
                BY_ID = "SELECT id FROM users WHERE id = %s"

                def active(self, cur):
                    cur.execute(ACTIVE)
                    cur.execute(queries.ACTIVE)

                def by_id(self, cur, uid):
                    cur.execute(self.BY_ID, (uid,))
        """,
    })
    assert [(q.normalized, [s.line for s in q.sites]) for q in queries] == [
        ("SELECT id FROM users WHERE active", [9, 10]),
        ("SELECT id FROM users WHERE id = $1", [13]),
    ]


def test_one_query_keeps_every_site_across_files(tmp_path):
    queries = scan(tmp_path, {
        "a.py": 'def f(cur):\n    cur.execute("SELECT id FROM t WHERE x = %s", (1,))\n',
        "b.py": 'def g(cur):\n    cur.execute("""SELECT id\n               FROM t WHERE x = %s""", (2,))\n'
                'def h(cur):\n    cur.execute("SELECT id FROM t WHERE x = %s", (3,))\n',
    })
    assert len(queries) == 1
    assert [(s.path, s.line, s.function) for s in queries[0].sites] == [("a.py", 2, "f"), ("b.py", 2, "g"), ("b.py", 5, "h")]


def test_parse_errors_are_kept_with_a_reason(tmp_path):
    query = one(tmp_path, """
        def broken(cur):
            cur.execute("SELECT FROM WHERE (((")
    """)
    assert query.statement is None
    assert query.parse_error and "\\n" not in query.parse_error


def test_strings_that_are_not_sql_are_ignored(tmp_path):
    assert scan(tmp_path, {"app.py": """
        def not_sql(executor, client, df, cur, name):
            executor.execute("rebuild the cache")
            client.fetch("https://example.com/users")
            df.query("age > 30")
            cur.execute(name)
            print("SELECT * FROM users")
            run("SELECT 1")
    """}) == []


def test_aiosql_file_blocks(tmp_path):
    queries = scan(tmp_path, {"queries/users.sql": """\
        -- name: get-user-by-id^
        -- Get one user.
        select id, name
          from users
         where id = :id;

        -- name: list_users
        select id, name from users order by name;

        -- name: create_user<!
        insert into users (name) values (:name) returning id;

        -- name: bump_logins!
        update users set logins = logins + 1 where id = :id;
    """})
    assert [(q.normalized.split()[0], q.sites[0].line, q.sites[0].function, q.sites[0].returns) for q in queries] == [
        ("select", 3, "get_user_by_id", "one"),
        ("select", 8, "list_users", "all"),
        ("insert", 11, "create_user", "one"),
        ("update", 14, "bump_logins", "none"),
    ]
    assert queries[0].normalized == "select id, name\n  from users\n where id = $1"
    assert all(q.parse_error is None for q in queries)


def test_plain_sql_file_yields_its_queries_not_its_ddl(tmp_path):
    """Split through quoted semicolons, $$ bodies and COPY data; DDL and COPY are not queries."""
    queries = scan(tmp_path, {"db/schema.sql": """\
        \\set ON_ERROR_STOP on
        CREATE TABLE t (id integer PRIMARY KEY, note text DEFAULT 'a;b');

        CREATE FUNCTION touch() RETURNS trigger AS $$
        BEGIN
          NEW.note := 'x'; RETURN NEW;
        END $$ LANGUAGE plpgsql;
        COPY t (id, note) FROM stdin;
        1\tnot; sql
        \\.
        -- done
        SELECT count(*) FROM t;
    """})
    assert [(q.sites[0].line, q.normalized.split()[0]) for q in queries] == [(12, "SELECT")]
    assert all(q.sites[0].path == "db/schema.sql" for q in queries)


def test_ids_follow_the_first_site(tmp_path):
    queries = scan(tmp_path, {
        "z.py": 'def f(cur):\n    cur.execute("SELECT 2")\n    cur.execute("SELECT 1")\n',
        "a.sql": "SELECT 3;\n",
    })
    assert [(q.id, q.normalized) for q in queries] == [("q1", "SELECT 3"), ("q2", "SELECT 2"), ("q3", "SELECT 1")]


def test_glued_parameters_still_parse(tmp_path):
    query = one(tmp_path, """
        def add(txn):
            txn.execute("INSERT INTO txns(as_id, txn_id) VALUES(?,?)", (1, 2))
    """)
    assert query.normalized == "INSERT INTO txns(as_id, txn_id) VALUES($1,$2)"
    assert query.parse_error is None


def test_a_loop_variable_is_not_mistaken_for_a_module_constant(tmp_path):
    assert scan(tmp_path, {"app.py": """
        query = "SELECT 1"

        def run_all(cur, queries):
            for query in queries:
                cur.execute(query)
    """}) == []


def test_rows_read_through_a_helper_that_takes_the_cursor(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        from django.db import connection

        def report():
            with connection.cursor() as cursor:
                cursor.execute("SELECT kind, count(*) FROM events GROUP BY kind")
                return dictfetchall(cursor)
    """})
    assert [s.returns for q in queries for s in q.sites] == ["all"]


def test_rows_read_after_an_if_that_sends_one_of_two_queries(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        def receipts(txn, room_id, since):
            if since is None:
                txn.execute("SELECT event_id FROM receipts WHERE room_id = ?", (room_id,))
            else:
                txn.execute("SELECT event_id FROM receipts WHERE room_id = ? AND stream_id > ?", (room_id, since))
            return dict(txn)
    """})
    assert [s.returns for q in queries for s in q.sites] == ["all", "all"]


def test_each_branch_of_an_if_gives_its_own_query(tmp_path):
    queries = scan(tmp_path, {"app.py": """
        def receipts(txn, room_id, since, limit):
            if since is None:
                sql = "SELECT event_id FROM receipts WHERE room_id = ?"
                args = (room_id,)
            else:
                sql = "SELECT event_id FROM receipts WHERE room_id = ? AND stream_id > ?"
                args = (room_id, since)
            sql += " ORDER BY stream_id"
            txn.execute(sql, args)
            return txn.fetchall()
    """})
    assert [(q.normalized, [s.line for s in q.sites]) for q in queries] == [
        ("SELECT event_id FROM receipts WHERE room_id = $1 AND stream_id > $2 ORDER BY stream_id", [10]),
        ("SELECT event_id FROM receipts WHERE room_id = $1 ORDER BY stream_id", [10]),
    ]
