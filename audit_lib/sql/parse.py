"""Splitting SQL text into statements and parsing each with sqlglot (PostgreSQL dialect)."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import sqlglot
from sqlglot import exp

from audit_lib.sql.normalize import tokens

MAX_PARSE_CHARS = 200_000
MAX_ERROR_CHARS = 200
_PARAMETER_GLUED = re.compile(r"(\$\d+)(?=[^\s\d])")


def split_statements(text: str) -> list[tuple[int, str]]:
    """(offset, statement) for each ``;``-separated statement that holds more than comments.

    Semicolons inside literals, quoted names, dollar-quoted bodies and comments do not
    split.
    """
    statements: list[tuple[int, str]] = []
    start = 0
    position = 0
    for kind, value in tokens(text):
        if kind == "text" and ";" in value:
            for i, ch in enumerate(value):
                if ch == ";":
                    statements.append((start, text[start : position + i]))
                    start = position + i + 1
        position += len(value)
    statements.append((start, text[start:]))
    return [(offset, piece) for offset, piece in statements if has_code(piece)]


def has_code(text: str) -> bool:
    """Whether ``text`` holds anything besides whitespace and comments."""
    for kind, value in tokens(text):
        if kind == "literal" and value.startswith(("--", "/*")):
            continue
        if value.strip():
            return True
    return False


def code_start(text: str) -> int:
    """Offset of the first character of ``text`` that is not whitespace or comment."""
    position = 0
    for kind, value in tokens(text):
        if kind == "literal" and value.startswith(("--", "/*")):
            position += len(value)
            continue
        stripped = value.lstrip()
        if stripped:
            return position + len(value) - len(stripped)
        position += len(value)
    return position


def parse(normalized: str) -> tuple[exp.Expression | None, str | None]:
    """The sqlglot expression of one statement, or None and a one-line reason."""
    if len(normalized) > MAX_PARSE_CHARS:
        return None, f"too long to parse ({len(normalized)} characters)"
    try:
        with _quiet_sqlglot():
            expressions = [e for e in sqlglot.parse(_spaced_parameters(normalized), read="postgres") if e is not None]
    except RecursionError:
        return None, "nested too deeply to parse"
    except Exception as exc:  # sqlglot raises ParseError, TokenError and, on odd input, others
        return None, _one_line(exc)
    if not expressions:
        return None, "no SQL statement"
    return expressions[0], None


def _spaced_parameters(text: str) -> str:
    """``$1,$2`` with a space after each parameter: sqlglot's tokenizer fails on ``$1,$2``."""
    return "".join(_PARAMETER_GLUED.sub(r"\1 ", value) if kind == "text" else value for kind, value in tokens(text))


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 3] + "..."
    return f"{type(exc).__name__}: {text}"


@contextmanager
def _quiet_sqlglot():
    """sqlglot logs a warning when it falls back to an opaque Command; the report says enough."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
