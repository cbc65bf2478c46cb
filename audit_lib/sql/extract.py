"""Evaluating the string expression handed to a DB API into SQL text, without running it.

Constant parts are joined; every part that is only known at run time becomes a *hole*
(the :data:`~audit_lib.sql.normalize.HOLE` marker in :attr:`SqlText.text`, with the
Python source of the expression in :attr:`SqlText.holes`). Understood forms: string
literals, ``+`` concatenation, f-strings, ``%``-formatting, ``str.format``,
``"sep".join([...])`` of constants, ``textwrap.dedent``/``inspect.cleandoc``/``.strip()``,
``str(...)`` of constants, psycopg ``sql.SQL``/``sql.Identifier``/``sql.Placeholder``,
SQLAlchemy ``text()``, and names bound to any of these earlier in the same function
(including later ``+=`` additions), in the class body, at module level, or imported
from another module of the project.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field

from audit_lib.pyast import FUNCTION_TYPES, dotted, qualified
from audit_lib.source import Project, SourceModule
from audit_lib.sql.normalize import HOLE

MAX_DEPTH = 40
MAX_TEXT = 1_000_000
HOLE_SOURCE_CHARS = 60
TEXT_FUNCTIONS = {
    "sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text",
    "sqlalchemy.sql.elements.TextClause",
}
DEDENT_FUNCTIONS = {"textwrap.dedent", "inspect.cleandoc"}
PERCENT_FORMAT = re.compile(r"%(?:\((?P<name>[^()]*)\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?P<conv>[diouxXeEfFgGcrsa%])")
BRACE_FORMAT = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}")


@dataclass
class SqlText:
    """SQL text with a HOLE marker where each run-time value goes."""

    text: str
    holes: list[str] = field(default_factory=list)

    def __add__(self, other: SqlText) -> SqlText:
        return SqlText(self.text + other.text, self.holes + other.holes)

    @property
    def constant(self) -> bool:
        return not self.holes


def hole(node: ast.AST) -> SqlText:
    try:
        source = ast.unparse(node)
    except Exception:  # ast.unparse of a hand-made or odd tree
        source = type(node).__name__
    source = " ".join(source.split())
    if len(source) > HOLE_SOURCE_CHARS:
        source = source[: HOLE_SOURCE_CHARS - 3] + "..."
    return SqlText(HOLE, [source])


def constant(value: str) -> SqlText:
    return SqlText(value.replace(HOLE, "\ufffd"))


class Evaluator:
    """Turns expressions of one module into :class:`SqlText`; None when not a string."""

    def __init__(self, module: SourceModule, project: Project | None = None):
        self.module = module
        self.project = project
        self.text_calls_used: set[int] = set()  # id() of text() calls reached through a name

    # -- entry points ---------------------------------------------------------

    def evaluate(self, node: ast.AST, depth: int = 0) -> SqlText | None:
        if depth > MAX_DEPTH:
            return None
        try:
            result = self._evaluate(node, depth + 1)
        except RecursionError:
            return None
        if result is not None and len(result.text) > MAX_TEXT:
            return None
        return result

    def scalar(self, node: ast.AST, depth: int) -> SqlText:
        """A value formatted into the text: its constant text, or a hole."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return constant(str(node.value))
        result = self.evaluate(node, depth)
        return result if result is not None else hole(node)

    # -- forms ----------------------------------------------------------------

    def _evaluate(self, node: ast.AST, depth: int) -> SqlText | None:
        if isinstance(node, ast.Constant):
            return constant(node.value) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            operands = _added(node)
            values = [self.evaluate(operand, depth) for operand in operands]
            if all(value is None for value in values):
                return None
            out = SqlText("")
            for operand, value in zip(operands, values):
                out = out + (value if value is not None else hole(operand))
                if len(out.text) > MAX_TEXT:
                    return None
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            template = self.evaluate(node.left, depth)
            return None if template is None else self._percent(template, node.right, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Name):
            return self._binding(node, depth)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, depth)
        return None

    def _fstring(self, node: ast.JoinedStr, depth: int) -> SqlText:
        out = SqlText("")
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out = out + constant(part.value)
            elif isinstance(part, ast.FormattedValue):
                if part.conversion == -1 and part.format_spec is None:
                    out = out + self.scalar(part.value, depth)
                else:
                    out = out + hole(part.value)
        return out

    def _percent(self, template: SqlText, args: ast.AST, depth: int) -> SqlText:
        """``template % args`` with Python's rules: each directive takes the next value."""
        positional = args.elts if isinstance(args, ast.Tuple) else None
        named = _dict_literal(args)
        pieces = _split_holes(template)
        out = SqlText("")
        index = 0
        for piece in pieces:
            if isinstance(piece, SqlText):
                out = out + piece
                continue
            last = 0
            for match in PERCENT_FORMAT.finditer(piece):
                out = out + constant(piece[last : match.start()])
                last = match.end()
                if match["conv"] == "%":
                    out = out + constant("%")
                elif match["name"] is not None:
                    value = named.get(match["name"]) if named is not None else None
                    out = out + (self.scalar(value, depth) if value is not None else hole(args))
                elif positional is not None:
                    out = out + (self.scalar(positional[index], depth) if index < len(positional) else hole(args))
                    index += 1
                else:
                    out = out + self.scalar(args, depth)
            out = out + constant(piece[last:])
        return out

    def _format(self, template: SqlText, call: ast.Call, depth: int) -> SqlText:
        """``template.format(*args, **kwargs)``."""
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
        out = SqlText("")
        auto = 0
        for piece in _split_holes(template):
            if isinstance(piece, SqlText):
                out = out + piece
                continue
            last = 0
            for match in BRACE_FORMAT.finditer(piece):
                out = out + constant(piece[last : match.start()])
                last = match.end()
                if match.group(0) in ("{{", "}}"):
                    out = out + constant(match.group(0)[0])
                    continue
                key = match["field"]
                value: ast.AST | None = None
                if key == "":
                    value = call.args[auto] if auto < len(call.args) else None
                    auto += 1
                elif key.isdigit():
                    value = call.args[int(key)] if int(key) < len(call.args) else None
                elif key.isidentifier():
                    value = keywords.get(key)
                if value is None or isinstance(value, ast.Starred):
                    out = out + SqlText(HOLE, [key or "?"])
                else:
                    out = out + self.scalar(value, depth)
            out = out + constant(piece[last:])
        return out

    def _call(self, call: ast.Call, depth: int) -> SqlText | None:
        name = qualified(self.module, call.func) or ""
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        first = call.args[0] if call.args else None
        if name in DEDENT_FUNCTIONS and first is not None:
            inner = self.evaluate(first, depth)
            if inner is None:
                return None
            cleaned = textwrap.dedent(inner.text) if name == "textwrap.dedent" else inspect.cleandoc(inner.text)
            return SqlText(cleaned, inner.holes) if cleaned.count(HOLE) == len(inner.holes) else inner
        if is_text_call(self.module, call) or _is_psycopg_sql(name, "SQL"):
            return self.evaluate(first, depth) if first is not None else None
        if _is_psycopg_sql(name, "Identifier") and call.args and all(_is_str(a) for a in call.args):
            return constant(".".join('"' + a.value.replace('"', '""') + '"' for a in call.args))
        if _is_psycopg_sql(name, "Placeholder"):
            return constant(f"%({first.value})s" if _is_str(first) else "%s")
        if name == "str" and first is not None and len(call.args) == 1:
            return self.scalar(first, depth)
        if method is None:
            return None
        receiver = func.value
        if method == "join" and len(call.args) == 1:
            return self._join(receiver, first, depth)
        if method in ("strip", "lstrip", "rstrip") and not call.args:
            inner = self.evaluate(receiver, depth)
            return None if inner is None else SqlText(getattr(inner.text, method)(), inner.holes)
        if method == "format":
            template = self.evaluate(receiver, depth)
            return None if template is None else self._format(template, call, depth)
        if method == "mogrify" and first is not None:  # psycopg's cur.mogrify(sql, params): that SQL, values bound
            return self.evaluate(first, depth)
        return None

    def _join(self, separator_node: ast.AST, items: ast.AST, depth: int) -> SqlText | None:
        separator = self.evaluate(separator_node, depth)
        if separator is None:
            return None
        if not isinstance(items, (ast.List, ast.Tuple)):
            return hole(items)
        out = SqlText("")
        for i, item in enumerate(items.elts):
            if i:
                out = out + separator
            out = out + (hole(item) if isinstance(item, ast.Starred) else self.scalar(item, depth))
        return out

    # -- names ----------------------------------------------------------------

    def _binding(self, use: ast.Name, depth: int) -> SqlText | None:
        """The text bound to a name where it is used: its own function, outer functions, module."""
        scope = _enclosing_scope(self.module, use)
        position: tuple[int, int] | None = (use.lineno, use.col_offset)
        while True:
            result = self._bound_in(scope, use.id, position, depth)
            if result is not _UNBOUND:
                return result
            if isinstance(scope, ast.Module):
                return self._imported(use.id, depth)
            scope = _enclosing_scope(self.module, scope)
            position = None  # an outer scope is complete by the time the inner function runs

    def _bound_in(self, scope: ast.AST, name: str, position: tuple[int, int] | None, depth: int):
        """The value ``name`` holds in ``scope`` at ``position`` (None: at its end), or _UNBOUND."""
        candidates = self._candidates(scope, name, position)
        if candidates is _UNBOUND or candidates is None:
            return candidates
        return self._candidate_value(candidates[-1], depth)

    def variants(self, node: ast.AST) -> list[SqlText]:
        """Every text ``node`` may hold: one per branch of an ``if`` that assigns it differently."""
        if not isinstance(node, ast.Name):
            value = self.evaluate(node)
            return [value] if value is not None else []
        scope = _enclosing_scope(self.module, node)
        candidates = self._candidates(scope, node.id, (node.lineno, node.col_offset))
        if candidates is _UNBOUND or candidates is None or len(candidates) == 1:
            value = self.evaluate(node)
            return [value] if value is not None else []
        values = [self._candidate_value(candidate, 1) for candidate in candidates]
        return [value for value in values if value is not None]

    def _candidates(self, scope: ast.AST, name: str, position: tuple[int, int] | None):
        """The assignments to ``name`` that may be live at ``position``, each with its later ``+=``.

        An assignment in one branch of an ``if`` does not replace one in the other branch.
        None when the name is bound to something that is not text (a parameter, a loop
        variable); _UNBOUND when ``scope`` does not bind it.
        """
        live: list[tuple[ast.AST, ast.AST | None, list[ast.AST]]] = []
        for node in _scope_statements(scope):
            if position is not None and _binding_end(node) > position:
                continue
            value: ast.AST | None = None
            if isinstance(node, ast.Assign) and any(_binds(t, name) for t in node.targets):
                single = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                value = node.value if single else None
            elif isinstance(node, ast.AnnAssign) and _binds(node.target, name) and node.value is not None:
                value = node.value
            elif isinstance(node, ast.AugAssign) and _binds(node.target, name) and isinstance(node.op, ast.Add):
                for base, _, additions in live:
                    if not exclusive_branches(self.module, base, node):
                        additions.append(node.value)
                continue
            elif not (
                isinstance(node, ast.AugAssign) and _binds(node.target, name)
                or isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)) and _binds_loosely(node, name)
                or isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)) and node.name == name
            ):
                continue
            live = [c for c in live if exclusive_branches(self.module, c[0], node)]
            live.append((node, value, []))
        if not live:
            if isinstance(scope, FUNCTION_TYPES) and name in _parameters(scope):
                return None
            return _UNBOUND
        if any(value is None for _, value, _ in live):
            return None
        return live

    def _candidate_value(self, candidate: tuple[ast.AST, ast.AST, list[ast.AST]], depth: int) -> SqlText | None:
        _, value_node, additions = candidate
        value = self.evaluate(value_node, depth)
        if value is None:
            return None
        if isinstance(value_node, ast.Call) and is_text_call(self.module, value_node):
            self.text_calls_used.add(id(value_node))
        for addition in additions:
            value = value + (self.evaluate(addition, depth) or hole(addition))
        return value

    def _attribute(self, node: ast.Attribute, depth: int) -> SqlText | None:
        """``self.QUERY``/``cls.QUERY`` from the class body, ``queries.GET`` from an imported module."""
        owner = dotted(node.value)
        if owner in ("self", "cls"):
            for parent in _ancestors(self.module, node):
                if isinstance(parent, ast.ClassDef):
                    for stmt in parent.body:
                        value = _assigned_value(stmt, node.attr)
                        if value is not None:
                            return self.evaluate(value, depth)
                    return None
            return None
        target = qualified(self.module, node.value)
        if target and self.project is not None:
            other = self.project.by_dotted_name.get(target)
            if other is not None and other is not self.module:
                return _module_constant(other, node.attr, self.project, depth)
        return None

    def _imported(self, name: str, depth: int) -> SqlText | None:
        if self.project is None:
            return None
        target = self.module.imports.get(name)
        if not target or "." not in target:
            return None
        module_name, _, attr = target.rpartition(".")
        other = self.project.by_dotted_name.get(module_name)
        if other is None or other is self.module:
            return None
        return _module_constant(other, attr, self.project, depth)


_UNBOUND = object()


def is_text_call(module: SourceModule, call: ast.Call) -> bool:
    name = qualified(module, call.func) or ""
    return name in TEXT_FUNCTIONS


def _is_psycopg_sql(name: str, what: str) -> bool:
    return name in (f"psycopg.sql.{what}", f"psycopg2.sql.{what}")


def _is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _module_constant(module: SourceModule, name: str, project: Project, depth: int) -> SqlText | None:
    for stmt in module.tree.body:
        value = _assigned_value(stmt, name)
        if value is not None:
            return Evaluator(module, project).evaluate(value, depth + 1)
    return None


def _assigned_value(stmt: ast.AST, name: str) -> ast.AST | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _binds(stmt.targets[0], name):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign) and _binds(stmt.target, name):
        return stmt.value
    return None


def _binds(target: ast.AST, name: str) -> bool:
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_binds(t, name) for t in target.elts)
    if isinstance(target, ast.Starred):
        return _binds(target.value, name)
    return False


def _binds_loosely(node: ast.AST, name: str) -> bool:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _binds(node.target, name)
    return any(item.optional_vars is not None and _binds(item.optional_vars, name) for item in node.items)


def exclusive_branches(module: SourceModule, first: ast.AST, second: ast.AST) -> bool:
    """Whether two nodes sit in different branches of one ``if`` (so never both run)."""
    branches: dict[int, str] = {}
    child, parent = first, module.parents.get(first)
    while parent is not None:
        if isinstance(parent, ast.If):
            branches[id(parent)] = _branch_of(parent, child)
        child, parent = parent, module.parents.get(parent)
    child, parent = second, module.parents.get(second)
    while parent is not None:
        if id(parent) in branches:
            return branches[id(parent)] != _branch_of(parent, child)
        child, parent = parent, module.parents.get(parent)
    return False


def _branch_of(statement: ast.If, child: ast.AST) -> str:
    if child in statement.body:
        return "body"
    return "orelse" if child in statement.orelse else "test"


def _binding_end(node: ast.AST) -> tuple[int, int]:
    """Where the binding made by ``node`` takes effect: a loop or ``with`` binds before its body."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        node = node.iter
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        node = node.items[-1].optional_vars or node.items[-1].context_expr
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def _parameters(fn: ast.AST) -> set[str]:
    args = fn.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return set(names)


def _ancestors(module: SourceModule, node: ast.AST):
    parent = module.parents.get(node)
    while parent is not None:
        yield parent
        parent = module.parents.get(parent)


def _enclosing_scope(module: SourceModule, node: ast.AST) -> ast.AST:
    """The function or module whose names ``node`` sees (class bodies are not scopes for functions)."""
    for parent in _ancestors(module, node):
        if isinstance(parent, (*FUNCTION_TYPES, ast.Module)):
            return parent
    return module.tree


def _scope_statements(scope: ast.AST):
    """Nodes that may bind names in ``scope``, in source order, not entering nested scopes."""
    stack = list(reversed(scope.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            continue
        children = [c for c in ast.iter_child_nodes(node) if isinstance(c, (ast.stmt, ast.excepthandler, ast.match_case))]
        stack.extend(reversed(children))


def _added(node: ast.BinOp) -> list[ast.AST]:
    """The operands of ``a + b + c`` left to right, without recursion (chains can be long)."""
    operands: list[ast.AST] = []
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            stack.append(current.right)
            stack.append(current.left)
        else:
            operands.append(current)
    return operands


def _dict_literal(node: ast.AST) -> dict[str, ast.AST] | None:
    if isinstance(node, ast.Dict) and all(_is_str(k) for k in node.keys):
        return {k.value: v for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
    return None


def _split_holes(text: SqlText) -> list:
    """Constant runs (str) and holes (one-hole SqlText) in order, so formatting skips holes."""
    pieces: list = []
    runs = text.text.split(HOLE)
    for i, run in enumerate(runs):
        if i:
            pieces.append(SqlText(HOLE, [text.holes[i - 1]]))
        if run:
            pieces.append(run)
    return pieces
