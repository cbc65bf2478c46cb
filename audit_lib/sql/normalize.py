"""Rewriting every placeholder style to PostgreSQL's ``$n`` so the server can plan it.

Styles: ``%s`` and ``%(name)s`` (psycopg, pyformat), ``:name`` (SQLAlchemy ``text()``,
aiosql, sqlite named), ``?`` (qmark: sqlite, aiosqlite), ``$1`` (asyncpg, kept), and the
hole marker :data:`HOLE` that the extractor puts where a Python value was spliced into
the text. String literals, quoted identifiers, dollar-quoted bodies and comments are
copied untouched (except psycopg's ``%%`` escape), so ``'10:30'``, ``"a?b"`` and
``::int`` casts survive. The same name always gets the same number.
"""

from __future__ import annotations

import re

HOLE = "\ue000"  # a Python value spliced into the SQL text (private-use code point)

_NAME_START = re.compile(r"[A-Za-z_]")
_IDENT_CHAR = re.compile(r"[\w$]")
_PYFORMAT = re.compile(r"%(?:\((?P<name>[^()]{1,200})\))?[sbt]")
_DOLLAR_NUMBER = re.compile(r"\$(\d{1,6})")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][\w]*)?\$")
# Words after which a ``?`` starts a value, so it is a qmark placeholder and not the
# jsonb "key exists" operator (which follows a column or an expression).
_VALUE_KEYWORDS = {
    "limit", "offset", "values", "in", "like", "ilike", "and", "or", "not", "then", "when",
    "else", "select", "between", "is", "by", "set", "return", "returning", "where", "on",
}


def normalize(text: str) -> str:
    """``text`` with every placeholder rewritten to ``$n`` (same name, same number)."""
    text = text.replace("\x00", " ")
    pieces: list[str] = []
    named: dict[str, int] = {}
    explicit = [int(m.group(1)) for m in _DOLLAR_NUMBER.finditer(text)]
    counter = [max(explicit, default=0)]

    def number(name: str | None) -> str:
        if name is not None and name in named:
            return f"${named[name]}"
        counter[0] += 1
        if name is not None:
            named[name] = counter[0]
        return f"${counter[0]}"

    parts = list(tokens(text))
    kinds = {kind for kind, value in parts if value != "%%"}
    pyformat = "pyformat" in kinds
    qmark = "qmark" in kinds and not kinds & {"pyformat", "named"} and not explicit
    for kind, value in parts:
        if kind == "text":
            pieces.append(value)
        elif kind == "literal":
            pieces.append(value.replace("%%", "%") if pyformat else value)
        elif kind == "pyformat":
            if not pyformat:
                pieces.append(value)
            elif value == "%%":
                pieces.append("%")
            else:
                pieces.append(number(_PYFORMAT.fullmatch(value).group("name")))
        elif kind == "named":
            pieces.append(number(value[1:]))
        elif kind == "qmark":
            pieces.append(number(None) if qmark else value)
        elif kind == "hole":
            pieces.append(number(None))
        else:  # an escaped colon of SQLAlchemy text(): "\\:" is a literal ":"
            pieces.append(":")
    return "".join(pieces)


def tokens(text: str):
    """Split ``text`` into ('text'|'literal'|'pyformat'|'named'|'qmark'|'hole'|'colon', str)."""
    i, n = 0, len(text)
    start = 0
    previous_word = ""  # the last significant word or symbol before position i
    while i < n:
        ch = text[i]
        end = None
        kind = None
        if ch == "'" or ch == '"':
            end = _quoted_end(text, i, ch)
            kind = "literal"
        elif ch == "-" and text.startswith("--", i):
            newline = text.find("\n", i)
            end, kind = (n if newline < 0 else newline), "literal"
        elif ch == "/" and text.startswith("/*", i):
            close = text.find("*/", i + 2)
            end, kind = (n if close < 0 else close + 2), "literal"
        elif ch == "$":
            tag = _DOLLAR_TAG.match(text, i)
            if tag and not (i and _IDENT_CHAR.match(text[i - 1])):
                close = text.find(tag.group(0), tag.end())
                end, kind = (n if close < 0 else close + len(tag.group(0))), "literal"
        elif ch == "%":
            if text.startswith("%%", i):
                end, kind = i + 2, "pyformat"
            else:
                match = _PYFORMAT.match(text, i)
                if match:
                    end, kind = match.end(), "pyformat"
        elif ch == ":":
            if text.startswith("::", i):
                end, kind = i + 2, None
            elif _is_named(text, i):
                j = i + 1
                while j < n and _IDENT_CHAR.match(text[j]) and text[j] != "$":
                    j += 1
                end, kind = j, "named"
        elif ch == "\\" and text.startswith("\\:", i):
            end, kind = i + 2, "colon"
        elif ch == "?" and _is_qmark(text, i, previous_word):
            end, kind = i + 1, "qmark"
        elif ch == HOLE:
            end, kind = i + 1, "hole"
        if end is None:
            if _IDENT_CHAR.match(ch):
                j = i + 1
                while j < n and _IDENT_CHAR.match(text[j]):
                    j += 1
                previous_word = text[i:j]
                i = j
                continue
            if not ch.isspace():
                previous_word = _operator(text, i, previous_word)
            i += 1
            continue
        if kind is None:
            i = end
            continue
        if start < i:
            yield "text", text[start:i]
        yield kind, text[i:end]
        if kind != "literal" or not text.startswith(("--", "/*"), i):
            previous_word = "value"
        i = start = end
    if start < n:
        yield "text", text[start:]


def _quoted_end(text: str, i: int, quote: str) -> int:
    """End of the quoted run opened at ``i`` (doubled quotes and E'' backslashes inside)."""
    escapes = quote == "'" and i > 0 and text[i - 1] in "eE" and not (i > 1 and _IDENT_CHAR.match(text[i - 2]))
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if escapes and c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < n and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return n


def _is_named(text: str, i: int) -> bool:
    """``:name`` but not ``::cast``, ``:=``, ``a[1:n]`` slices or ``x:y`` inside words."""
    if i + 1 >= len(text) or not _NAME_START.match(text[i + 1]):
        return False
    if i and (text[i - 1] == ":" or _IDENT_CHAR.match(text[i - 1]) or text[i - 1] in "]\\"):
        return False
    return True


def _is_qmark(text: str, i: int, previous_word: str) -> bool:
    following = text[i + 1] if i + 1 < len(text) else ""
    if following and following in "|&":  # jsonb ?| and ?& operators
        return False
    if previous_word in ("", "(", ",", "=", "<", ">", "<=", ">=", "<>", "!=", "+", "-", "*", "/", "||", "["):
        return True
    return previous_word.lower() in _VALUE_KEYWORDS


def _operator(text: str, i: int, previous_word: str) -> str:
    """The operator that ends at ``i``: ``<=``, ``<>``, ``!=``, ``||`` join their first character."""
    ch = text[i]
    if ch in "<>=|" and previous_word in ("<", ">", "!", "|") and text[i - 1] == previous_word:
        return previous_word + ch
    return ch


# Words right before a spliced value that make it a value (``LIMIT 10``, ``IN (1, 2)``)
# rather than a name or a clause (``FROM users``, ``ORDER BY created_at``).
_VALUE_BEFORE_WORDS = {"limit", "offset", "like", "ilike", "then", "else", "in", "values", "interval"}
_VALUE_BEFORE_OPERATORS = ("<=", ">=", "<>", "!=", "||", "=", "<", ">", "+", "-", "/", "%")
_LIST_OWNERS = {"in", "any", "all", "values", "array"}
_LAST_WORD = re.compile(r"(\w+)\s*$")
_LOOKBACK = 2_000


def place_holes(text: str) -> tuple[str, int | None]:
    """Decide what each spliced value (HOLE) is.

    A hole inside a string literal becomes ``1`` (the literal stays a literal); a hole
    where a value goes stays a HOLE (a placeholder once normalised). Returns the text
    and the index of the first hole that fills a name or clause position (the query is
    then dynamic), or None.
    """
    pieces: list[str] = []
    hole_index = 0
    dynamic: int | None = None
    for kind, value in tokens(text):
        if kind == "literal":
            count = value.count(HOLE)
            if count:
                # a value inside a string or comment; inside "a quoted name" or a $$ body it is code
                if dynamic is None and not value.startswith(("'", "--", "/*")):
                    dynamic = hole_index
                pieces.append(value.replace(HOLE, "1"))
                hole_index += count
                continue
        if kind == "hole":
            if dynamic is None and not _value_position("".join(pieces[-50:])[-_LOOKBACK:]):
                dynamic = hole_index
            hole_index += 1
        pieces.append(value)
    return "".join(pieces), dynamic


def _value_position(before: str) -> bool:
    stripped = _strip_literals(before).rstrip()
    if not stripped:
        return False
    if stripped.endswith(_VALUE_BEFORE_OPERATORS) and not stripped.endswith(("*/", "--")):
        return True
    word = _LAST_WORD.search(stripped)
    if word and not stripped.endswith(")") and word.group(1).lower() in _VALUE_BEFORE_WORDS:
        return True
    if stripped.endswith(("(", ",", "[")):
        owner = _list_owner(stripped)
        return owner is not None and owner.lower() in _LIST_OWNERS
    return False


def _strip_literals(text: str) -> str:
    return "".join("''" if kind == "literal" and not value.startswith(("--", "/*")) else
                   ("" if kind == "literal" else value) for kind, value in tokens(text))


def _list_owner(text: str) -> str | None:
    """The word before the innermost unclosed ``(``/``[`` at the end of ``text``."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch in ")]":
            depth += 1
        elif ch in "([":
            if depth == 0:
                word = _LAST_WORD.search(text[:i])
                return word.group(1) if word else None
            depth -= 1
    return None
