"""Reading code written for a newer Python than the one running the audit.

When a file does not parse, its newer constructs are rewritten to the older syntax that
means the same to an analysis, keeping every line where it was, and the file is parsed
again:

- ``except A, B:`` (Python 3.14) becomes ``except (A, B):``;
- ``type Alias = ...`` (3.12) becomes ``Alias = ...``, and type parameter lists
  (``def f[T](x: T)``, ``class Box[T]:``; defaults ``[T = int]`` are 3.13) are blanked;
- f-strings of Python 3.12 (quotes reused inside a replacement field, backslashes,
  comments or line breaks there) are rewritten: each plain string literal inside a
  replacement field, and each f-string nested there, becomes a placeholder name, turned
  back into its constant (or the nested f-string, read on its own) once parsed; comments
  are dropped (as 3.12 drops them from a ``{value=}`` field's text); an f-string whose
  fields span lines gets triple quotes;
- ``except*`` (3.11) becomes ``except`` on Python 3.10.

The text is only rewritten and parsed, never run.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
import warnings

QUOTE_CHARS = "'\""
STRING_PREFIX_CHARS = frozenset("rRbBuUfF")


def parse_newer_syntax(text: str, filename: str) -> ast.Module | None:
    """The tree of ``text`` read through its downgrade, or None when that does not parse either."""
    placeholders: dict[str, ast.expr] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the first parse already warned of this file's invalid escapes
            downgraded = downgrade_statements(downgrade_fstrings(text, placeholders))
            if downgraded == text:
                return None
            tree = ast.parse(downgraded, filename=filename)
    except (SyntaxError, ValueError, tokenize.TokenError, RecursionError, MemoryError):
        return None
    return _RestoredPlaceholders(placeholders).visit(tree) if placeholders else tree


class _RestoredPlaceholders(ast.NodeTransformer):
    """Puts back what each placeholder name stands for, at the placeholder's place."""

    def __init__(self, placeholders: dict[str, ast.expr]) -> None:
        self.placeholders = placeholders

    def visit_Name(self, node: ast.Name) -> ast.AST:
        replacement = self.placeholders.get(node.id)
        if replacement is None:
            return node
        replacement = self.visit(replacement)
        for part in ast.walk(replacement):
            ast.copy_location(part, node)
        return replacement


# --- f-strings --------------------------------------------------------------------------


def downgrade_fstrings(text: str, placeholders: dict[str, ast.expr]) -> str:
    """``text`` with each f-string this Python cannot parse rewritten as one it can.

    ``placeholders`` receives the names put in place of string literals inside replacement
    fields, with the expression each stands for.
    """
    lexer = _FStringLexer(text, placeholders)
    pieces: list[str] = []
    copied_up_to = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            i = _line_end(text, i)
        elif char in QUOTE_CHARS:
            prefix = _string_prefix(text, i)
            end, rewritten = lexer.string(i, prefix)
            start = i - len(prefix)
            if "f" in prefix.lower() and not _parses_as_expression(text[start:end]):
                pieces.append(text[copied_up_to:start])
                pieces.append(rewritten)
                copied_up_to = end
            i = end
        else:
            i += 1
    pieces.append(text[copied_up_to:])
    return "".join(pieces)


def _parses_as_expression(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    return True


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _string_prefix(text: str, quote_at: int) -> str:
    """The letters (``rb``, ``f``...) right before a quote, when they are a string prefix, not a name's end."""
    start = quote_at
    while start > 0 and quote_at - start < 2 and text[start - 1] in STRING_PREFIX_CHARS:
        start -= 1
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return ""
    return text[start:quote_at]


class _FStringLexer:
    """Reads string literals by Python 3.12's rules and writes f-strings older Pythons read."""

    def __init__(self, text: str, placeholders: dict[str, ast.expr]) -> None:
        self.text = text
        self.placeholders = placeholders
        self.placeholder_stem = "_posture_str"
        while self.placeholder_stem in text:
            self.placeholder_stem += "_"

    def string(self, quote_at: int, prefix: str) -> tuple[int, str]:
        """End of the literal starting at ``quote_at`` and its rewritten text, prefix included."""
        quote = self._quote_at(quote_at)
        if "f" not in prefix.lower():
            end = self._plain_end(quote_at + len(quote), quote)
            return end, self.text[quote_at - len(prefix):end]
        return self._fstring(quote_at, quote, prefix)

    def _quote_at(self, i: int) -> str:
        triple = self.text[i] * 3
        return triple if self.text.startswith(triple, i) else self.text[i]

    def _plain_end(self, i: int, quote: str) -> int:
        text = self.text
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text.startswith(quote, i):
                return i + len(quote)
            elif text[i] == "\n" and len(quote) == 1:
                break
            else:
                i += 1
        raise ValueError("unterminated string literal")

    def _fstring(self, quote_at: int, quote: str, prefix: str) -> tuple[int, str]:
        end, body, spans_lines = self._fstring_body(quote_at + len(quote), quote, "r" in prefix.lower(), in_spec=False)
        new_quote = quote[0] * (3 if len(quote) == 3 or spans_lines else 1)
        return end, prefix + new_quote + body + new_quote

    def _fstring_body(self, i: int, quote: str, raw: bool, *, in_spec: bool) -> tuple[int, str, bool]:
        """Read an f-string's text (or a format spec's) from ``i``.

        Returns where it ends (after the closing quote; at the ``}`` closing the field for a
        spec), its rewritten text, and whether a field spans lines.
        """
        text = self.text
        out: list[str] = []
        spans_lines = False
        while i < len(text):
            char = text[i]
            if text.startswith(quote, i):
                if in_spec:
                    break
                return i + len(quote), "".join(out), spans_lines
            if in_spec and char == "}":
                return i, "".join(out), spans_lines
            if char == "\\":
                if not raw and text.startswith("\\N{", i):
                    length = text.index("}", i) + 1 - i
                elif text[i + 1:i + 2] in ("{", "}"):
                    length = 1
                else:
                    length = 2
                out.append(text[i:i + length])
                i += length
            elif char in "{}" and text.startswith(char * 2, i) and not in_spec:
                out.append(char * 2)
                i += 2
            elif char == "{":
                i, field = self._field(i + 1, quote, raw)
                out.append("{" + field + "}")
                spans_lines = spans_lines or "\n" in field
            elif char == "\n" and len(quote) == 1:
                break
            else:
                out.append(char)
                i += 1
        raise ValueError("unterminated f-string")

    def _field(self, i: int, quote: str, raw: bool) -> tuple[int, str]:
        """Read a replacement field from just after its ``{``; return the index after its ``}``."""
        text = self.text
        out: list[str] = []
        depth = 0
        while i < len(text):
            char = text[i]
            if depth == 0 and char == "}":
                return i + 1, "".join(out)
            if depth == 0 and char == "!" and text[i + 1:i + 2] != "=":
                out.append(char)
                i += 1
            elif depth == 0 and char == ":":
                i, spec, _ = self._fstring_body(i + 1, quote, raw, in_spec=True)
                out.append(":" + spec)
            elif char == "#":
                i = _line_end(text, i)
            elif char in QUOTE_CHARS:
                prefix = _string_prefix(text, i)
                del out[len(out) - len(prefix):]
                if "f" in prefix.lower():
                    i, placeholder = self._nested_fstring_placeholder(i, prefix)
                else:
                    i, placeholder = self._strings_placeholder(i - len(prefix))
                out.append(placeholder)
            elif char == "\\" and text[i + 1:i + 2] == "\n":
                out.append(" ")
                i += 1
            else:
                if char in "([{":
                    depth += 1
                elif char in ")]}":
                    depth -= 1
                out.append(char)
                i += 1
        raise ValueError("unterminated replacement field")

    def _nested_fstring_placeholder(self, quote_at: int, prefix: str) -> tuple[int, str]:
        """A name standing for the f-string nested in a replacement field at ``quote_at``, read on its own."""
        end, nested = self.string(quote_at, prefix)
        return end, self._placeholder(ast.parse(nested, mode="eval").body, nested.count("\n"))

    def _placeholder(self, expression: ast.expr, line_breaks: int) -> str:
        name = f"{self.placeholder_stem}{len(self.placeholders)}"
        self.placeholders[name] = expression
        return name + "\n" * line_breaks

    def _strings_placeholder(self, start: int) -> tuple[int, str]:
        """A name standing for the plain string literals (implicitly joined) from ``start``, their line breaks kept."""
        text = self.text
        end = self._plain_literal_end(start)
        while True:
            next_start = end
            while next_start < len(text) and text[next_start] in " \t\n":
                next_start += 1
            prefix = _string_prefix_after(text, next_start)
            if "f" in prefix.lower() or text[next_start + len(prefix):next_start + len(prefix) + 1] not in ("'", '"'):
                break
            end = self._plain_literal_end(next_start)
        source = text[start:end]
        constant = ast.Constant(ast.literal_eval("(" + source + ")"), kind="u" if source[0] in "uU" else None)
        return end, self._placeholder(constant, source.count("\n"))

    def _plain_literal_end(self, start: int) -> int:
        quote_at = start + len(_string_prefix_after(self.text, start))
        quote = self._quote_at(quote_at)
        return self._plain_end(quote_at + len(quote), quote)


def _string_prefix_after(text: str, i: int) -> str:
    """The string prefix starting at ``i`` (empty when a quote or anything else is there)."""
    end = i
    while end < len(text) and end - i < 2 and text[end] in STRING_PREFIX_CHARS:
        end += 1
    return text[i:end] if text[end:end + 1] in ("'", '"') else ""


# --- statements (tokenize) --------------------------------------------------------------


def downgrade_statements(text: str) -> str:
    """``text`` with ``except A, B:`` rewritten, and what the running Python cannot read of ``type``
    aliases and type parameters (3.12, their defaults 3.13) and ``except*`` (on 3.10)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    reads_type_parameters = sys.version_info >= (3, 13)  # with their defaults
    statement_start = True
    for index, token in enumerate(tokens):
        if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE):
            statement_start = statement_start or token.type == tokenize.NEWLINE
            continue
        starts_statement, statement_start = statement_start, token.string == ";"
        if token.type != tokenize.NAME:
            continue
        if token.string == "except":
            edits.extend(_except_edits(tokens, index))
        elif reads_type_parameters:
            continue
        elif token.string == "type" and starts_statement and _is(tokens, index + 1, tokenize.NAME):
            if _is(tokens, index + 2, tokenize.OP, "="):
                edits.append((token.start, tokens[index + 1].start, ""))
            elif _is(tokens, index + 2, tokenize.OP, "["):
                edits.append((token.start, tokens[index + 1].start, ""))
                edits.append(_blanked_brackets(tokens, index + 2, text))
        elif token.string in ("def", "class") and _is(tokens, index + 1, tokenize.NAME) and _is(tokens, index + 2, tokenize.OP, "["):
            edits.append(_blanked_brackets(tokens, index + 2, text))
    return _apply(text, edits) if edits else text


def _is(tokens: list[tokenize.TokenInfo], index: int, kind: int, string: str | None = None) -> bool:
    return index < len(tokens) and tokens[index].type == kind and (string is None or tokens[index].string == string)


def _except_edits(tokens: list[tokenize.TokenInfo], index: int) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """Parentheses around ``except A, B:``'s exceptions; ``except*`` made ``except`` where 3.10 runs."""
    edits = []
    first = index + 1
    if _is(tokens, first, tokenize.OP, "*"):
        if sys.version_info < (3, 11):
            edits.append((tokens[first].start, tokens[first].end, " "))
        first += 1
    depth = 0
    has_comma = binds_name = False
    last = first
    while last < len(tokens) and tokens[last].type != tokenize.NEWLINE and not (depth == 0 and tokens[last].string == ":"):
        string = tokens[last].string
        if string in ("(", "[", "{"):
            depth += 1
        elif string in (")", "]", "}"):
            depth -= 1
        elif depth == 0:
            has_comma = has_comma or string == ","
            binds_name = binds_name or string == "as"
        last += 1
    if has_comma and not binds_name and _is(tokens, last, tokenize.OP, ":"):
        edits.append((tokens[first].start, tokens[first].start, "("))
        edits.append((tokens[last - 1].end, tokens[last - 1].end, ")"))
    return edits


def _blanked_brackets(tokens: list[tokenize.TokenInfo], open_index: int, text: str) -> tuple[tuple[int, int], tuple[int, int], str]:
    """The edit blanking a ``[...]`` type parameter list; its line breaks become line continuations."""
    depth = 0
    for close in range(open_index, len(tokens)):
        if tokens[close].string in ("(", "[", "{"):
            depth += 1
        elif tokens[close].string in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                break
    if depth or tokens[close].string != "]":
        raise ValueError("a type parameter list without its closing bracket")
    start, end = tokens[open_index].start, tokens[close].end
    lines = _lines(text)
    if start[0] == end[0]:
        return start, end, " " * (end[1] - start[1])
    covered = [lines[start[0] - 1][start[1]:], *lines[start[0]:end[0] - 1], lines[end[0] - 1][:end[1]]]
    blanked = [" " * len(line.rstrip("\r\n")) + "\\\n" for line in covered[:-1]]
    return start, end, "".join(blanked) + " " * len(covered[-1])


def _apply(text: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]]) -> str:
    line_offsets = [0]
    for line in _lines(text):
        line_offsets.append(line_offsets[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        return line_offsets[position[0] - 1] + position[1]

    for start, end, replacement in sorted(edits, key=lambda edit: offset(edit[0]), reverse=True):
        text = text[:offset(start)] + replacement + text[offset(end):]
    return text


def _lines(text: str) -> list[str]:
    """The lines as tokenize counts them (split at ``\\n`` only)."""
    return io.StringIO(text).readlines()
