"""The database knowledge module: SQL facts, call classification, transaction scopes."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from audit_lib.libs import db
from audit_lib.pyast import functions
from audit_lib.source import Project, SourceModule, load_project


def module_of(source: str, path: str = "app/service.py") -> SourceModule:
    text = textwrap.dedent(source)
    return SourceModule(path, text, ast.parse(text), text.splitlines())


def ops_of(source: str, name: str, project: Project | None = None) -> list[db.DbOp]:
    module = module_of(source)
    fn = next(f for f in functions(module.tree) if f.name == name)
    return db.function_ops(module, fn, project)


@pytest.mark.parametrize(
    ("sql", "kind", "reads", "writes"),
    [
        ("SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.id = %s", "SELECT",
         {"orders", "customers"}, set()),
        ("INSERT INTO public.orders (customer_id) VALUES (:customer) RETURNING id", "INSERT", set(), {"orders"}),
        ("UPDATE stock SET qty = qty - $1 WHERE sku = $2", "UPDATE", set(), {"stock"}),
        ("DELETE FROM sessions WHERE expires_at < now()", "DELETE", set(), {"sessions"}),
        ("WITH moved AS (DELETE FROM queue WHERE id = ? RETURNING *) INSERT INTO done SELECT * FROM moved",
         "INSERT", set(), {"queue", "done"}),
    ],
)
def test_parse_sql_tables_and_kind(sql, kind, reads, writes):
    facts = db.parse_sql(sql)
    assert facts is not None
    assert (facts.kind, set(facts.reads), set(facts.writes)) == (kind, reads, writes)


def test_parse_sql_flags():
    assert db.parse_sql("SELECT * FROM accounts WHERE id = %s FOR UPDATE").for_update
    assert db.parse_sql("INSERT INTO tags (name) VALUES (%s) ON CONFLICT (name) DO NOTHING").on_conflict
    assert db.parse_sql("SELECT * FROM items ORDER BY id LIMIT 20 OFFSET %(skip)s").offset == "param"
    assert db.parse_sql("SELECT * FROM items ORDER BY id LIMIT 20 OFFSET 0").offset == "0"
    assert db.parse_sql("SELECT * FROM items WHERE id = ANY(%s)").batch
    assert db.parse_sql("BEGIN").kind == "BEGIN"
    assert db.parse_sql("hello world") is None


@pytest.mark.parametrize("sql", ["INSERT OR REPLACE INTO t (a) VALUES (?)", "INSERT OR IGNORE INTO t (a) VALUES (?)",
                                 "REPLACE INTO t (a) VALUES (%s)", "INSERT IGNORE INTO t (a) VALUES (%s)",
                                 "INSERT INTO t (a) VALUES (%s) ON DUPLICATE KEY UPDATE a = a + 1"])
def test_sqlite_and_mysql_upserts_are_upserts(sql):
    facts = db.parse_sql(sql)
    assert (facts.kind, facts.writes, facts.on_conflict) == ("INSERT", frozenset({"t"}), True)


@pytest.mark.parametrize("name, records", [("AuditLog", True), ("sync_logs", True), ("Changelog", True),
                                           ("accesslog", True), ("task_history", True), ("Dialog", False),
                                           ("Catalog", False), ("blogs", False), ("Backlog", False), ("Login", False)])
def test_log_tables_are_told_from_words_that_end_in_log(name, records):
    assert db.is_log_table(name) is records


def test_f_string_holes_are_not_tables():
    module = module_of('''
        def f(cur, table):
            cur.execute(f"SELECT * FROM {table} WHERE id = %s", (1,))
    ''')
    fn = next(functions(module.tree))
    (op,) = db.function_ops(module, fn)
    assert op.kind == db.READ and op.tables == frozenset()


def test_driver_calls():
    ops = ops_of('''
        import asyncpg

        async def f(pool, ids):
            rows = await pool.fetch("SELECT id FROM users WHERE id = ANY($1)", ids)
            async with pool.acquire() as conn:
                await conn.execute("INSERT INTO audit (what) VALUES ($1)", "x")
            return rows
    ''', "f")
    assert [(o.kind, set(o.tables), o.batch, o.autocommit) for o in ops] == [
        (db.READ, {"users"}, True, True),
        (db.INSERT, {"audit"}, False, True),
    ]


def test_cursor_writes_are_not_autocommit():
    (op,) = ops_of('''
        import psycopg2

        def f(conn):
            with conn.cursor() as cur:
                cur.execute("UPDATE stock SET qty = 0")
    ''', "f")
    assert op.kind == db.UPDATE and not op.autocommit


def test_sqlalchemy_calls():
    ops = ops_of('''
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        def f(session: Session, email):
            user = session.execute(select(User).where(User.email == email).with_for_update()).scalar_one()
            session.add(Order(user_id=user.id))
            legacy = session.query(Order).filter(Order.user_id == user.id).first()
            session.commit()
    ''', "f")
    assert [(o.kind, set(o.tables), o.locking, o.deferred) for o in ops] == [
        (db.READ, {"User"}, True, False),
        (db.INSERT, {"Order"}, False, True),
        (db.READ, {"Order"}, False, False),
        (db.COMMIT, set(), False, False),
    ]


def test_django_calls():
    ops = ops_of('''
        def f(user):
            if not Follow.objects.filter(user=user).exists():
                Follow.objects.create(user=user)
            Follow.objects.get_or_create(user=user)
            Book.objects.filter(pk__in=[1, 2]).update(read=True)
            order = Order.objects.get(pk=1)
            order.save()
    ''', "f")
    assert [(o.kind, set(o.tables), o.upsert, o.batch) for o in ops] == [
        (db.READ, {"Follow"}, False, False),
        (db.INSERT, {"Follow"}, False, False),
        (db.INSERT, {"Follow"}, True, False),
        (db.UPDATE, {"Book"}, False, True),
        (db.READ, {"Order"}, False, False),
        (db.UPDATE, {"Order"}, False, False),
    ]


def test_bulk_create_ignoring_conflicts_is_an_upsert():
    ops = ops_of('''
        def f(rows):
            Member.objects.bulk_create(rows, ignore_conflicts=True)
            Member.objects.bulk_create(rows, update_conflicts=True, unique_fields=["email"])
            Member.objects.bulk_create(rows, ignore_conflicts=False)
            Member.objects.bulk_create(rows)
    ''', "f")
    assert [(o.kind, o.upsert, o.batch) for o in ops] == [
        (db.INSERT, True, True), (db.INSERT, True, True), (db.INSERT, False, True), (db.INSERT, False, True)]


def test_a_statement_extended_after_it_is_bound_keeps_its_table_and_what_is_chained_on():
    ops = ops_of('''
        from sqlalchemy import select
        from sqlalchemy.dialects.postgresql import insert

        def f(rows, session):
            tl = TaskLink
            stmt = insert(tl).from_select([tl.id], rows)
            stmt = stmt.on_conflict_do_update(index_elements=["a"], set_={"x": stmt.excluded.x}).returning(tl.id)
            session.execute(stmt)
            plain = insert(Note).values(x=1)
            session.execute(plain.on_conflict_do_nothing())
            session.execute(plain)
            query = select(tl)
            session.execute(query.where(tl.id == 1).with_for_update())
    ''', "f")
    assert [(o.kind, set(o.tables), o.upsert, o.locking) for o in ops] == [
        (db.INSERT, {"TaskLink"}, True, False), (db.INSERT, {"Note"}, True, False),
        (db.INSERT, {"Note"}, False, False), (db.READ, {"TaskLink"}, False, True)]


def test_lazy_querysets():
    ops = ops_of('''
        def f(tags):
            qs = Book.objects.filter(published=True)
            return qs.count()
    ''', "f")
    assert [(o.method, o.lazy) for o in ops] == [("filter", True), ("count", False)]


def test_dict_get_on_a_session_named_object_is_not_a_query():
    assert ops_of('''
        def f(session):
            return session.get("user_id")
    ''', "f") == []


def test_transaction_blocks():
    module = module_of('''
        from django.db import transaction

        def a(conn):
            with conn.transaction():
                conn.execute("UPDATE t SET x = 1")

        @transaction.atomic
        def b():
            pass

        def c(cur):
            cur.execute("BEGIN")
            cur.execute("UPDATE t SET x = 1")
            cur.execute("COMMIT")

        def d(pool):
            with pool.acquire() as conn:
                conn.execute("UPDATE t SET x = 1")
    ''')
    spans = {fn.name: db.transaction_blocks(module, fn) for fn in functions(module.tree)}
    assert spans["a"] == [(5, 6)]
    assert spans["b"] == [(9, 10)]
    assert spans["c"] == [(13, 15)]
    assert spans["d"] == []


def test_helpers_are_followed_across_modules(tmp_path: Path):
    crud = module_of('''
        from sqlalchemy import select

        def get_user(session, email):
            return session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    ''', "app/crud.py")
    routes = module_of('''
        from app import crud

        def register(session, email):
            return crud.get_user(session, email)
    ''', "app/routes.py")
    project = Project(tmp_path, [crud, routes], [])
    fn = next(functions(routes.tree))
    (op,) = db.expanded_ops(routes, project, fn)
    assert (op.kind, set(op.tables), op.through) == (db.READ, {"User"}, "get_user")


def test_aiosql_queries_come_from_the_sql_files(tmp_path: Path):
    sql = tmp_path / "queries.sql"
    sql.write_text("-- name: create-order<!\nINSERT INTO orders (customer_id) VALUES (:customer_id) RETURNING id;\n")
    module = module_of('''
        async def f(conn, customer_id):
            return await queries.create_order(conn, customer_id=customer_id)
    ''')
    project = Project(tmp_path, [module], [], [sql])
    fn = next(functions(module.tree))
    (op,) = db.function_ops(module, fn, project)
    assert (op.api, op.kind, set(op.tables)) == ("aiosql", db.INSERT, {"orders"})


def test_same_table():
    assert db.same_table("OrderItem", "order_items")
    assert db.same_table("Address", "public.addresses")
    assert not db.same_table("Order", "order_lines")


def test_a_reused_sql_variable_is_read_at_each_call():
    ops = ops_of('''
        import asyncpg

        async def f(pool, name, flag):
            query = "SELECT id FROM feeds WHERE name = $1"
            row = await pool.fetchrow(query, name)
            query = "INSERT INTO feeds (name) VALUES ($1)"
            await pool.execute(query, name)
            if flag:
                query = "DELETE FROM tags WHERE name = $1"
                await pool.execute(query, name)
            await pool.execute(query, name)
    ''', "f")
    assert [(o.kind, set(o.tables)) for o in ops] == [
        (db.READ, {"feeds"}), (db.INSERT, {"feeds"}), (db.DELETE, {"tags"}),
        (db.EXECUTE, set()),  # after the branch either statement can reach it
    ]


def test_a_sql_variable_rebound_later_in_a_loop_is_not_certain():
    ops = ops_of('''
        import asyncpg

        async def f(pool, names):
            query = "SELECT 1 FROM feeds WHERE name = $1"
            for name in names:
                await pool.fetchrow(query, name)
                query = "SELECT 1 FROM tags WHERE name = $1"
    ''', "f")
    assert [(o.kind, set(o.tables)) for o in ops] == [(db.EXECUTE, set())]


REPOSITORIES = '''
    from typing import Generic, TypeVar
    from sqlalchemy import delete, select
    from sqlalchemy.ext.asyncio import AsyncSession

    M = TypeVar("M")


    class BaseRepository(Generic[M]):
        model: type[M]

        def __init__(self, session: AsyncSession):
            self.session = session

        async def get_one_or_none(self, statement):
            result = await self._run(statement)
            return result.scalar_one_or_none()

        async def get_by_id(self, id):
            return await self.get_one_or_none(select(self.model).where(self.model.id == id))

        async def create(self, obj: M) -> M:
            self.session.add(obj)
            await self.session.commit()
            return obj

        async def purge(self):
            await self.session.execute(delete(self.model))
            await self.session.commit()

        async def _run(self, statement):
            return await self.session.execute(statement)


    class TagRepository(BaseRepository[Tag]):
        model = Tag

        async def get_by_name(self, name):
            return await self.get_one_or_none(select(Tag).where(Tag.name == name))
'''


def _project_with(tmp_path: Path, routes: str) -> tuple[Project, SourceModule]:
    repositories = module_of(REPOSITORIES, "app/repositories/base.py")
    package = module_of("from app.repositories.base import BaseRepository, TagRepository\n", "app/repositories/__init__.py")
    module = module_of(routes, "app/routes.py")
    return Project(tmp_path, [repositories, package, module], []), module


def _expanded_of(project: Project, module: SourceModule, name: str) -> list[tuple]:
    fn = next(f for f in functions(module.tree) if f.name == name)
    return [(o.kind, set(o.tables), o.through) for o in db.expanded_ops(module, project, fn)]


def test_repository_methods_are_followed_through_their_class_and_bases(tmp_path: Path):
    project, module = _project_with(tmp_path, '''
        from typing import Annotated, Optional
        from fastapi import Depends
        from app.repositories import TagRepository

        async def create_tag(name: str, repo: TagRepository = Depends(TagRepository)):
            if await repo.get_by_name(name) is None:
                await repo.create(Tag(name=name))

        async def by_ids(ids: list[int], repo: Annotated[TagRepository, Depends(TagRepository)]):
            return [await repo.get_by_id(i) for i in ids]

        async def maybe(repo: Optional[TagRepository], tag):
            await repo.create(tag)

        async def purge(session):
            repository = TagRepository(session)
            await repository.purge()
    ''')
    assert _expanded_of(project, module, "create_tag") == [
        (db.READ, {"Tag"}, "get_by_name"), (db.INSERT, {"Tag"}, "create"), (db.COMMIT, set(), "create")]
    assert _expanded_of(project, module, "by_ids") == [(db.READ, {"Tag"}, "get_by_id")]
    # the object's model is unknown in the caller: the repository's type parameter says which table
    assert _expanded_of(project, module, "maybe") == [(db.WRITE, {"Tag"}, "create"), (db.COMMIT, set(), "create")]
    assert _expanded_of(project, module, "purge") == [(db.DELETE, {"Tag"}, "purge"), (db.COMMIT, set(), "purge")]


def test_services_holding_a_repository_and_dependency_functions(tmp_path: Path):
    project, module = _project_with(tmp_path, '''
        from fastapi import Depends
        from app.repositories.base import TagRepository

        class Tagger:
            def __init__(self, tags: TagRepository):
                self.tags = tags

            async def tag(self, name):
                return await self.tags.get_by_name(name)

        def get_tag_repository(session) -> TagRepository:
            return TagRepository(session)

        def get_tagger(tags: TagRepository = Depends(get_tag_repository)):
            return Tagger(tags)

        async def route(tagger: Tagger = Depends(get_tagger), other=Depends(get_tag_repository)):
            await tagger.tag("x")
            await other.get_by_id(1)
    ''')
    assert _expanded_of(project, module, "tag") == [(db.READ, {"Tag"}, "get_by_name")]
    assert _expanded_of(project, module, "route") == [(db.READ, {"Tag"}, "tag"), (db.READ, {"Tag"}, "get_by_id")]


def test_receivers_of_uncertain_class_are_not_followed(tmp_path: Path):
    project, module = _project_with(tmp_path, '''
        from app.repositories import TagRepository

        async def f(session, flag, repo):
            other = TagRepository(session)
            if flag:
                other = make()
            await other.get_by_name("x")
            await repo.get_by_name("y")
    ''')
    assert _expanded_of(project, module, "f") == []


def test_an_async_helper_handed_to_a_task_does_not_run_at_the_call(tmp_path: Path):
    project, module = _project_with(tmp_path, '''
        import asyncio
        from app.repositories import TagRepository

        class Reminders:
            def __init__(self, tags: TagRepository):
                self.tags = tags

            async def run(self):
                await self.tags.get_by_name("due")

            def reschedule(self):
                self.task = asyncio.create_task(self.run())

            async def now(self):
                await asyncio.gather(self.run(), self.run())
    ''')
    assert _expanded_of(project, module, "reschedule") == []
    assert _expanded_of(project, module, "now") == [(db.READ, {"Tag"}, "run"), (db.READ, {"Tag"}, "run")]


@pytest.mark.parametrize(("path", "skipped"), [
    ("app/services/initializer.py", True), ("app/bootstrap.py", True), ("app/init_db.py", True),
    ("app/seed.py", True), ("app/seed_users.py", True), ("tests/test_orders.py", True),
    ("app/initialize_payment.py", False), ("app/seedling.py", False), ("app/services/orders.py", False),
])
def test_set_up_code_is_left_to_its_one_run(path, skipped):
    assert db.skipped_module(module_of("x = 1\n", path)) is skipped


def test_a_new_instance_of_the_repository_model_is_an_insert(tmp_path: Path):
    project, module = _project_with(tmp_path, '''
        from app.repositories.base import BaseRepository

        class ClientRepository(BaseRepository[Client]):
            model = Client

        async def create_client(session, name, existing):
            client = Client(name=name)
            await ClientRepository(session).create(client)
            await ClientRepository(session).create(existing)
    ''')
    assert _expanded_of(project, module, "create_client") == [
        (db.INSERT, {"Client"}, "create"), (db.COMMIT, set(), "create"),
        (db.WRITE, {"Client"}, "create"), (db.COMMIT, set(), "create")]


def test_a_write_is_about_the_table_it_changes():
    ops = ops_of('''
        import asyncpg

        async def f(conn, message_id):
            await conn.fetchrow("DELETE FROM starrers USING entries WHERE entries.id = starrers.entry_id "
                                "AND entries.message_id = $1 RETURNING starrers.entry_id", message_id)
            await conn.execute("INSERT INTO archive SELECT * FROM orders WHERE id = $1", message_id)
    ''', "f")
    assert [(o.kind, set(o.tables)) for o in ops] == [(db.DELETE, {"starrers"}), (db.INSERT, {"archive"})]


MODELS = '''
from app.extensions import db


class CRUDMixin:
    def save(self):
        db.session.add(self)
        db.session.commit()
        return self


class Member(CRUDMixin, db.Model):
    def leave(self, group_id):
        db.session.execute(delete(Membership).where(Membership.member_id == self.id,
                                                    Membership.group_id == group_id))


class NoteForm:
    def save(self, author):
        note = Note(author=author)
        return note.save()


class Note(CRUDMixin, db.Model):
    pass
'''


def _model_project(tmp_path: Path, views: str) -> tuple[Project, SourceModule]:
    models = module_of(MODELS, "app/models.py")
    module = module_of(views, "app/views.py")
    return Project(tmp_path, [models, module], []), module


def test_methods_on_a_fetched_row_or_a_built_form_are_followed(tmp_path: Path):
    project, module = _model_project(tmp_path, '''
        from app.models import Member, NoteForm

        def leave(member_id, group_id):
            member = Member.query.filter_by(id=member_id).first_or_404()
            member.leave(group_id)

        def leave_too(session, member_id, group_id):
            session.get(Member, member_id).leave(group_id)

        def typed(member: Member, group_id):
            member.leave(group_id)

        class AddNote(MethodView):
            form = NoteForm

            def post(self, user):
                form = self.form()
                form.author.data = user  # an attribute set on the form does not rebind it
                form.save(user)

        class AddNoteToo(MethodView):
            def put(self, user):
                self.form().save(user)

            def form(self):
                if not allowed():
                    return None
                return NoteForm()
    ''')
    assert _expanded_of(project, module, "leave") == [(db.READ, {"Member"}, None), (db.DELETE, {"Membership"}, "leave")]
    assert _expanded_of(project, module, "leave_too") == [(db.READ, {"Member"}, None),
                                                          (db.DELETE, {"Membership"}, "leave")]
    assert _expanded_of(project, module, "typed") == [(db.DELETE, {"Membership"}, "leave")]
    # the form's save() builds a Note and calls the mixin's save() on it: ``self`` there is that new row
    saved = [(db.INSERT, {"Note"}, "save"), (db.COMMIT, set(), "save")]
    assert [op for op in _expanded_of(project, module, "post") if op[2]] == saved
    assert _expanded_of(project, module, "put") == saved


def test_a_loaded_row_saved_through_its_mixin_is_an_update_and_unknown_rows_are_not_followed(tmp_path: Path):
    project, module = _model_project(tmp_path, '''
        from app.models import Member

        def rename(member_id, name):
            member = Member.query.get(member_id)
            member.name = name
            member.save()

        def unknown(rows, group_id):
            for member in rows:
                member.leave(group_id)
            cache.get(Member).leave(group_id)
    ''')
    assert [op for op in _expanded_of(project, module, "rename") if op[2]] == [
        (db.UPDATE, {"Member"}, "save"), (db.COMMIT, set(), "save")]
    assert _expanded_of(project, module, "unknown") == []


# -- a generic repository layer (audit_lib/libs/repositories.py) ----------------------------

GENERIC_REPOSITORIES = '''
    from functools import cached_property
    from typing import Generic, TypeVar
    from sqlalchemy import select

    S = TypeVar("S")
    Model = TypeVar("Model")


    class Repo(Generic[S, Model]):
        def __init__(self, session, key, sql_model: type[Model], schema: type[S]):
            self.session = session
            self.key = key
            self.model = sql_model

        def _query(self):
            return select(self.model)

        def get_one(self, value):
            q = self._query().filter_by(**{self.key: value})
            return self.session.execute(q).scalars().one_or_none()

        def update(self, value, data):
            entry = self.session.execute(self._query().filter_by(id=value)).scalars().one()
            entry.apply(data)
            self.session.commit()
            return entry


    class GroupRepo(Repo[S, Model]):
        def __init__(self, session, key, sql_model: type[Model], schema: type[S], *, group):
            super().__init__(session, key, sql_model, schema)


    class UserRepo(GroupRepo[UserOut, User]):
        def update(self, value, data):
            return super().update(value, data)


    class Repos:
        def __init__(self, session):
            self.session = session

        @cached_property
        def users(self) -> UserRepo:
            return UserRepo(self.session, "id", User, UserOut, group=None)

        @property
        def tags(self):
            return GroupRepo(self.session, "slug", Tag, TagOut, group=None)


    def get_repos(session):
        return Repos(session)
'''


def test_repositories_built_by_a_registry_read_and_write_their_model(tmp_path: Path):
    layer = module_of(GENERIC_REPOSITORIES, "app/repos.py")
    module = module_of('''
        from app.repos import Repos, get_repos

        class Service:
            def __init__(self, repos: Repos):
                self.repos = repos

            def tag(self, slug):
                return self.repos.tags.get_one(slug)

        def bump(session, user_id):
            repos = get_repos(session)
            user = repos.users.get_one(user_id)
            repos.users.update(user_id, user)
    ''', "app/service.py")
    project = Project(tmp_path, [layer, module], [])
    assert _expanded_of(project, module, "tag") == [(db.READ, {"Tag"}, "get_one")]
    ops = [(kind, tables, through) for kind, tables, through in _expanded_of(project, module, "bump")]
    # the update loads the row (a read), changes it in Python and commits: an UPDATE of users
    assert ops == [(db.READ, {"User"}, "get_one"), (db.READ, {"User"}, "update"), (db.UPDATE, {"User"}, "update"),
                   (db.COMMIT, set(), "update")]
    fn = next(f for f in functions(module.tree) if f.name == "bump")
    read = db.expanded_ops(module, project, fn)[0]
    assert read.method == "one_or_none"  # one row, which the caller may change and write back


def test_a_repository_method_read_on_its_own_does_not_follow_super(tmp_path: Path):
    layer = module_of(GENERIC_REPOSITORIES, "app/repos.py")
    project = Project(tmp_path, [layer], [])
    # Repo.update on its own: the statement of its query builder, the model unknown
    assert _expanded_of(project, layer, "update") == [(db.EXECUTE, set(), None), (db.COMMIT, set(), None)]
    user_update = [f for f in functions(layer.tree) if f.name == "update"][1]
    assert db.expanded_ops(layer, project, user_update) == []


def test_a_registry_with_an_uncertain_model_binds_none(tmp_path: Path):
    layer = module_of('''
        from functools import cached_property

        class Repo:
            def __init__(self, session, first, second):
                self.session = session
                self.model = first
                self.other_model = second

            def get_one(self, value):
                return self.session.execute(self.query(value)).scalars().one()

        class Repos:
            @property
            def pairs(self):
                return Repo(self.session, User, Tag)
    ''', "app/repos.py")
    module = module_of('''
        from app.repos import Repos

        def f(repos: Repos):
            return repos.pairs.get_one(1)
    ''', "app/service.py")
    project = Project(tmp_path, [layer, module], [])
    assert _expanded_of(project, module, "f") == [(db.EXECUTE, set(), "get_one")]


def test_imports_under_the_namespace_the_project_is_installed_in_name_its_files(tmp_path: Path):
    files = {
        "common/types.py": "class RouteInfo: ...\n",
        "coordinator/models/__init__.py": "from .circuit import *  # noqa\n",
        "coordinator/models/circuit.py": "class Circuit: ...\n",
        "coordinator/api.py": "from acme.proxy.common.types import RouteInfo\n"
                              "from acme.proxy.coordinator.models import Circuit\n"
                              "from acme.proxy.coordinator import models\n"
                              "from acme.common.types import Other\n"  # a sibling distribution
                              "from django.core.files import File\n",
        "files/core.py": "",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    project = load_project(tmp_path)
    assert project.by_dotted_name.get("acme.proxy.coordinator.models").path == "coordinator/models/__init__.py"
    assert project.by_dotted_name.get("acme.common.types") is None
    assert project.by_dotted_name.get("django.core.files") is None
    api = next(m for m in project.modules if m.path == "coordinator/api.py")
    circuit = db.project_class(api, project, ast.Name(id="Circuit"))
    assert circuit is not None and circuit[0].path == "coordinator/models/circuit.py"


def test_a_foreign_key_primary_key_is_natural_unless_the_class_extends_a_parent_row(tmp_path: Path):
    models = module_of('''
        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import Mapped, mapped_column

        class ManualActivation(Base):
            organization_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
            seat_limit: Mapped[int] = mapped_column()

        class Publisher(Base):
            id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
            __mapper_args__ = {"polymorphic_on": "discriminator"}

        class GitHubPublisher(Publisher):
            __mapper_args__ = {"polymorphic_identity": "github"}
            id: Mapped[UUID] = mapped_column(ForeignKey(Publisher.id), primary_key=True)
    ''', "app/models.py")
    project = Project(tmp_path, [models], [])
    assert [db.natural_unique(project, m) for m in ("ManualActivation", "Publisher", "GitHubPublisher")] == [
        True, False, False]


def test_rows_added_from_a_comprehension_are_inserts_of_their_model():
    ops = ops_of('''
        def f(session, tags):
            session.add_all([Note(tag=t) for t in tags])
            session.add_all(Note(tag=t) for t in tags)
            session.add_all([t for t in tags])
    ''', "f")
    assert [(o.kind, set(o.tables)) for o in ops] == [(db.INSERT, {"Note"}), (db.INSERT, {"Note"}), (db.WRITE, set())]
