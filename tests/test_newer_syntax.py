"""Code written for a newer Python than the audit's is read through a line-keeping downgrade."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from audit_lib.engine import Audit
from audit_lib.newer_syntax import parse_newer_syntax
from audit_lib.settings import Settings
from audit_lib.source import load_project


def write(root: Path, rel: str, content: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(content), encoding="utf-8")


def read(source: str) -> ast.Module:
    """The tree the audit works on: the native parse, else the downgrade's."""
    try:
        return ast.parse(source)
    except SyntaxError:
        tree = parse_newer_syntax(source, "newer.py")
        assert tree is not None, "the downgrade did not parse"
        return tree


def statement_lines(tree: ast.Module) -> list[tuple[str, int, int]]:
    return [(type(node).__name__, node.lineno, node.end_lineno) for node in ast.walk(tree) if isinstance(node, ast.stmt)]


# Each newer f-string beside the same f-string as Python 3.11 writes it, laid out on the same lines.
FSTRINGS_AND_OLDER_EQUIVALENTS = {
    "reused-quotes": ('label = f"{row["name"]} ({row["id"]})"\n', "label = f\"{row['name']} ({row['id']})\"\n"),
    "reused-quotes-in-call": (
        'link = f"{url_for("page", path="")}{slug}"\nnext_line = 1\n',
        "link = f\"{url_for('page', path='')}{slug}\"\nnext_line = 1\n",
    ),
    "joined-strings": ('text = f"{"a" "b"}"\n', "text = f\"{'a' 'b'}\"\n"),
    "bytes": ('text = f"{b"raw"!r}"\n', "text = f\"{b'raw'!r}\"\n"),
    "format-spec": ('text = f"{amount:{"<"}{width}}"\n', "text = f\"{amount:{'<'}{width}}\"\n"),
    "raw": ('pattern = rf"\\d+{"x"}"\n', "pattern = rf\"\\d+{'x'}\"\n"),
    "nested": ('text = f"{f"{user["name"]}"!r}"\n', "text = f'''{f\"{user['name']}\"!r}'''\n"),
    "multi-line-field": (
        'text = f"{\n    total\n    + 1\n}"\nafter = 2\n',
        'text = f"""{\n    total\n    + 1\n}"""\nafter = 2\n',
    ),
    "comment-in-field": (
        'text = f"""{\n    total  # before tax\n    + 1\n}"""\nafter = 2\n',
        'text = f"""{\n    total\n    + 1\n}"""\nafter = 2\n',
    ),
    "comment-in-a-self-documenting-field": ('text = f"{total=  # before tax\n}"\n', 'text = f"""{total=  \n}"""\n'),
    "fine-next-to-newer": (
        'a = f"{x!r}"; b = f\'{y["q"]}\'\nc = "#" + f"{\'#\'}"  # f"{"\n',
        'a = f"{x!r}"; b = f\'{y["q"]}\'\nc = "#" + f"{\'#\'}"  # f"{"\n',
    ),
}


@pytest.mark.parametrize("newer, older", FSTRINGS_AND_OLDER_EQUIVALENTS.values(), ids=FSTRINGS_AND_OLDER_EQUIVALENTS)
def test_a_newer_f_string_reads_as_its_older_equivalent(newer, older):
    newer_tree, older_tree = read(newer), ast.parse(older)
    assert ast.dump(newer_tree) == ast.dump(older_tree)
    assert statement_lines(newer_tree) == statement_lines(older_tree)


def test_backslashes_in_a_replacement_field_keep_their_value():
    tree = read('line = f"{"\\n".join(parts)}"\nrow = f"{"\\t".join(cells)}"\n')
    separators = [node.func.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert separators == ["\n", "\t"]


def test_placeholders_do_not_take_a_name_of_the_file():
    tree = read('_posture_str0 = 1\ntext = f"{d["k"]}"\n')
    assert [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)] == ["_posture_str0", "text", "d"]


STATEMENTS_AND_OLDER_EQUIVALENTS = {
    "type-alias": ("type UserId = int\ntype Pair[T] = tuple[T, T]\n", "UserId = int\nPair = tuple[T, T]\n"),
    "generic-function": ("def first[T: str, *Ts, **P](items: list[T]) -> T:\n    return items[0]\n",
                         "def first(items: list[T]) -> T:\n    return items[0]\n"),
    "generic-class": ("class Box[T](Base):\n    pass\nclass Bare[T]:\n    pass\n",
                      "class Box(Base):\n    pass\nclass Bare:\n    pass\n"),
    "type-parameters-over-lines": (
        "def pick[\n    T,  # the item\n    D = None,\n](items: list[T]) -> T:\n    return items[0]\n",
        "def pick(\n\n\n    items: list[T]) -> T:\n    return items[0]\n",
    ),
    "type-as-a-name": ("type = 'kind'\ncheck = type(x)\ntype Alias = int\n", "type = 'kind'\ncheck = type(x)\nAlias = int\n"),
}


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 reads type parameters and aliases natively")
@pytest.mark.parametrize("newer, older", STATEMENTS_AND_OLDER_EQUIVALENTS.values(), ids=STATEMENTS_AND_OLDER_EQUIVALENTS)
def test_type_parameters_and_aliases_read_as_their_older_equivalent(newer, older):
    newer_tree, older_tree = read(newer), ast.parse(older)
    assert ast.dump(newer_tree) == ast.dump(older_tree)
    assert statement_lines(newer_tree) == statement_lines(older_tree)


@pytest.mark.parametrize("clause", ["except", "except*"])
def test_unparenthesised_exceptions_are_caught_as_a_tuple(clause):
    tree = read(f"try:\n    pass\n{clause} ValueError, KeyError:\n    pass\n{clause} (OSError, EOFError) as exc:\n    pass\n")
    handlers = [node for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)]
    assert [ast.unparse(h.type) for h in handlers] == ["(ValueError, KeyError)", "(OSError, EOFError)"]
    assert [h.lineno for h in handlers] == [3, 5]


def test_unparenthesised_exceptions_over_two_lines_stay_unreadable_as_on_python_3_14():
    assert parse_newer_syntax("try:\n    pass\nexcept ValueError,\n    KeyError:\n    pass\n", "split.py") is None


def test_findings_point_at_their_lines_in_files_of_every_newer_construct(tmp_path):
    write(tmp_path, "app/sync.py", """\
        import requests

        type Payload = dict[str, object]


        def push[T](item: T) -> T:
            try:
                return requests.post("https://example.com/push", json=item, timeout=5)
            except ValueError, KeyError:
                return requests.get("https://example.com/fallback")


        class Feed[T]:
            def title(self, entry):
                return f"{entry["title"]} by {", ".join(entry["authors"])}"

            def fetch(self, url):
                return requests.get(f"{url}/{"feed"}")

            def summary(self, url):
                return f"{
                    requests.get(url).text  # the page's text
                }"
        """)
    result = Audit(Settings(code_root=str(tmp_path), database="none", rules=["R3.http-no-timeout"])).run()
    assert result.errors == []
    assert sorted((f.path, f.line) for f in result.findings) == [("app/sync.py", n) for n in (10, 18, 22)]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 reads these f-strings natively")
def test_a_file_the_downgrade_cannot_read_keeps_its_error_and_hint(tmp_path):
    write(tmp_path, "deep.py", 'text = f\'{value:{width:{0}}}\'\nuser = f"{row["name"]}"\n')
    write(tmp_path, "old.py", "try:\n    pass\nexcept IOError, e:\n    print 'failed'\n")
    errors = {e.path: e.why for e in load_project(tmp_path).errors}
    assert errors["deep.py"].startswith("SyntaxError: line 1: f-string") and "Python 3.12+" in errors["deep.py"]
    assert errors["old.py"].startswith("SyntaxError: line 3") and "Python 2?" in errors["old.py"]
