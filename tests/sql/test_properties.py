"""The finder and the normaliser never raise, whatever the code or the SQL looks like."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_lib.source import Project, SourceModule
from audit_lib.sql.finder import find_queries, sql_file_occurrences
from audit_lib.sql.normalize import HOLE, normalize, place_holes
from audit_lib.sql.parse import split_statements

SQL_BITS = [
    "SELECT", "*", "FROM", "t", "WHERE", "id", "=", "%s", "%(name)s", ":name", "::int", ":=", "?", "$1",
    "$$", "$tag$", "'", '"', "--", "/*", "*/", ";", "(", ")", ",", "LIMIT", "OFFSET", "%%", "\\:", "E'",
    "\n", " ", "\x00", HOLE, "{", "}", "%d", "ORDER BY", "IN", "VALUES", "[", "]", "?|",
]
sql_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(SQL_BITS), max_size=60).map(" ".join),
    st.lists(st.sampled_from(SQL_BITS), max_size=60).map("".join),
)
EXPRESSIONS = [
    "{s!r}", "{s!r} + x", "x + {s!r}", "f{s!r}", "{s!r} % (a, b)", "{s!r} % x", "{s!r} % {{'a': 1}}",
    "{s!r}.format(x, y=2)", "textwrap.dedent({s!r})", "' '.join([{s!r}, x, 'FROM t'])", "text({s!r})",
    "sa.text({s!r} + {s!r})", "Q", "self.Q", "sql.SQL({s!r}).format(sql.Identifier('t'))", "str({s!r})",
]
CALLS = ["cur.execute({e})", "await conn.fetch({e}, 1)", "db.fetch_all(query={e})", "op.execute({e})",
         "RunSQL([{e}, ({e}, [1])])", "Model.objects.raw({e})", "session.execute({e}).scalars().all()"]


@st.composite
def python_sources(draw) -> str:
    strings = draw(st.lists(sql_text, min_size=1, max_size=4))
    lines = ["import textwrap", "import sqlalchemy as sa", "from sqlalchemy import text", "from psycopg import sql",
             f"Q = {strings[0]!r}", "class C:", f"    Q = {strings[-1]!r}", "    def m(self, cur, conn, db, session, x, y):"]
    for s in strings:
        expression = draw(st.sampled_from(EXPRESSIONS))
        if expression.startswith("f"):
            expression = "f" + repr(s.replace("{", "{{").replace("}", "}}") + "{x}")
        else:
            expression = expression.format(s=s)
        lines.append("        q = " + expression)
        lines.append("        q += " + repr(s))
        lines.append("        " + draw(st.sampled_from(CALLS)).format(e=draw(st.sampled_from(["q", expression]))))
        lines.append("        rows = cur.fetchall()")
    return "\n".join(lines) + "\n"


def parse(source: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(source)


def project_of(source: str) -> Project:
    tree = parse(source)
    module = SourceModule("app.py", source, tree, source.splitlines())
    return Project(Path("/nonexistent"), [module], [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(python_sources())
def test_finder_never_raises_on_generated_code(source):
    project = project_of(source)
    queries = find_queries(project)
    assert not project.errors
    for query in queries:
        assert query.id.startswith("q") and query.sites
        assert (query.statement is None) == (query.parse_error is not None)
        assert "\n" not in (query.parse_error or "")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_finder_never_raises_on_mutated_code(noise):
    base = "def f(cur, x):\n    cur.execute('SELECT * FROM t WHERE a = %s' + x, (1,))\n"
    for source in (base + noise, noise + "\n" + base, base.replace("SELECT", noise[:40])):
        try:
            parse(source)
        except (SyntaxError, ValueError):
            continue
        project = project_of(source)
        find_queries(project)
        assert not project.errors


@settings(max_examples=500, deadline=None)
@given(sql_text)
def test_normaliser_and_splitter_never_raise(text):
    normalized = normalize(text)
    assert isinstance(normalized, str)
    _, dynamic = place_holes(text)
    assert dynamic is None or 0 <= dynamic < text.count(HOLE)
    for offset, piece in split_statements(text):
        assert text[offset : offset + len(piece)] == piece


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=500))
def test_sql_files_of_any_bytes(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("sql")
    path = root / "q.sql"
    path.write_bytes(b"-- name: q^\n" + data if data[:1] == b"a" else data)
    for occurrence in sql_file_occurrences(path, root):
        assert occurrence.site.path == "q.sql" and occurrence.site.line >= 1


def test_deep_and_huge_inputs():
    deep = "def f(cur, x):\n    cur.execute(" + " + ".join(["'SELECT 1 '"] * 400 + ["x"]) + ")\n"
    huge = "def f(cur):\n    cur.execute('SELECT ' + " + repr("a, " * 200_000 + "b") + ")\n"
    for source in (deep, huge):
        project = project_of(source)
        queries = find_queries(project)
        assert not project.errors
        assert queries
