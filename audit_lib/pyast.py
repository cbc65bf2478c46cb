"""Questions about Python syntax trees that several code rules ask."""

from __future__ import annotations

import ast
from collections import deque
from typing import Iterable, Iterator

from audit_lib.source import MODULE_WALK_ATTRIBUTE, Project, SourceModule, child_nodes

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_WALKS_KEPT = (ast.Module, *FUNCTION_TYPES)  # walked by many rules, and over again
_SCOPE_TYPES = (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)  # a function body's walk stops at these
LOOP_TYPES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def catches_any_error(handler: ast.ExceptHandler) -> bool:
    """A bare ``except:``, ``except Exception`` or ``except BaseException`` (also spelled through a module)."""
    return handler.type is None or (dotted(handler.type) or "").split(".")[-1] in ("Exception", "BaseException")


def qualified(module: SourceModule, node: ast.AST) -> str | None:
    """The dotted name of ``node`` with its first part resolved through the imports.

    ``r.get`` after ``import requests as r`` is ``requests.get``; ``get`` after
    ``from requests import get`` is ``requests.get``; a local ``client.get`` stays
    ``client.get``.
    """
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    resolved = module.imports.get(head)
    if resolved is None:
        return name
    return f"{resolved}.{rest}" if rest else resolved


def call_name(module: SourceModule, call: ast.Call) -> str | None:
    return qualified(module, call.func)


def method_name(call: ast.Call) -> str | None:
    """The last attribute of the called expression: ``execute`` for ``cur.execute(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def has_kwargs_splat(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def call_parameters(fn: ast.AST, call: ast.Call) -> list[str]:
    """The parameter names of ``fn`` that ``call``'s positional arguments fill, in order: ``self``/``cls``
    left out when the call is made through an object (``row.serialize()``)."""
    params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    if params[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
        params = params[1:]
    return params


def passed_arguments(fn: ast.AST, call: ast.Call) -> list[tuple[str, ast.expr]]:
    """The parameters of ``fn`` that ``call`` fills, with the values it hands them (positional ones up to a
    ``*args``)."""
    positional = call.args[:next((i for i, a in enumerate(call.args) if isinstance(a, ast.Starred)), len(call.args))]
    return [*zip(call_parameters(fn, call), positional), *((k.arg, k.value) for k in call.keywords if k.arg)]


def parameters_off(fn: ast.AST, call: ast.Call, off_outside: frozenset[str] = frozenset()) -> frozenset[str]:
    """The parameters of ``fn`` that are False or None when ``call`` runs it: left at such a default
    (``def establish_basket(request, *, no_delay=False)`` called as ``establish_basket(request)``), set so, or
    handed a name that is off where the call is written (``off_outside``). None when the call hands
    ``*args``/``**kwargs``, which may switch any of them on."""
    if not isinstance(fn, FUNCTION_TYPES) or has_kwargs_splat(call) \
            or any(isinstance(a, ast.Starred) for a in call.args):
        return frozenset()
    args = [*fn.args.posonlyargs, *fn.args.args]
    values: dict[str, ast.expr] = dict(zip([a.arg for a in args][len(args) - len(fn.args.defaults):], fn.args.defaults))
    values.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    values.update(passed_arguments(fn, call))
    return frozenset(name for name, value in values.items()
                     if isinstance(value, ast.Constant) and value.value in (False, None)
                     or isinstance(value, ast.Name) and value.id in off_outside)


def is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def is_self_attribute(node: ast.AST) -> bool:
    """``self.<name>``."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


_BODY_WALK = "_posture_body"  # a function's body nodes, kept on the function node
_FUNCTIONS = "_posture_functions"  # the functions defined in a module or function, kept on its node


def walk_nodes(node: ast.AST) -> Iterable[ast.AST]:
    """``ast.walk(node)``: the same nodes in the same (breadth-first) order, faster.

    The walk of a whole module or function is computed once and shared by every rule
    that asks for it.
    """
    if isinstance(node, _WALKS_KEPT):
        cached = node.__dict__.get(MODULE_WALK_ATTRIBUTE)
        if cached is None:
            cached = node.__dict__[MODULE_WALK_ATTRIBUTE] = list(_breadth_first(node))
        return cached
    return _breadth_first(node)


def _breadth_first(node: ast.AST) -> Iterator[ast.AST]:
    todo = deque([node])
    popleft, append = todo.popleft, todo.append
    while todo:
        node = popleft()
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        append(item)
        yield node


def functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function defined in ``tree``, in ``ast.walk`` order (a module's list is kept)."""
    if not isinstance(tree, _WALKS_KEPT):
        return (node for node in walk_nodes(tree) if isinstance(node, FUNCTION_TYPES))
    cached = tree.__dict__.get(_FUNCTIONS)
    if cached is None:
        cached = tree.__dict__[_FUNCTIONS] = [node for node in walk_nodes(tree) if isinstance(node, FUNCTION_TYPES)]
    return iter(cached)


def ancestors(module: SourceModule, node: ast.AST) -> Iterator[ast.AST]:
    parent = module.parents.get(node)
    while parent is not None:
        yield parent
        parent = module.parents.get(parent)


def enclosing_function(module: SourceModule, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for parent in ancestors(module, node):
        if isinstance(parent, FUNCTION_TYPES):
            return parent
    return None


def scope_of(module: SourceModule, node: ast.AST) -> ast.AST:
    """The function around ``node``, or the module."""
    return enclosing_function(module, node) or module.tree


def enclosing_loops(module: SourceModule, node: ast.AST) -> list[ast.AST]:
    """Loops around ``node`` within its function, innermost first.

    A node in a loop's ``iter`` (or a comprehension's first iterable) runs once, not
    per iteration, so that loop does not count.
    """
    loops: list[ast.AST] = []
    child = node
    for parent in ancestors(module, node):
        if isinstance(parent, FUNCTION_TYPES + (ast.Lambda, ast.ClassDef)):
            break
        if isinstance(parent, (ast.For, ast.AsyncFor)) and child is not parent.iter:
            loops.append(parent)
        elif isinstance(parent, ast.While):
            loops.append(parent)
        elif isinstance(parent, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            if not _is_within(module, node, parent.generators[0].iter):
                loops.append(parent)
        child = parent
    return loops


def _is_within(module: SourceModule, node: ast.AST, container: ast.AST) -> bool:
    return node is container or any(a is container for a in ancestors(module, node))


def walk_function_body(fn: ast.AST) -> Iterator[ast.AST]:
    """Every node of a function's body without descending into nested functions or classes.

    Computed once per function (several rules walk the same bodies).
    """
    cached = fn.__dict__.get(_BODY_WALK)
    if cached is None:
        cached = fn.__dict__[_BODY_WALK] = _body_nodes(fn)
    return iter(cached)


def declared_globals(fn: ast.AST, nonlocal_too: bool = False) -> set[str]:
    """The names ``fn`` declares ``global`` (and ``nonlocal`` when ``nonlocal_too``): assigning one binds a
    name outside the function."""
    kinds = (ast.Global, ast.Nonlocal) if nonlocal_too else ast.Global
    return {name for node in walk_function_body(fn) if isinstance(node, kinds) for name in node.names}


def _body_nodes(fn: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    stack = list(reversed(getattr(fn, "body", [])))
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, _SCOPE_TYPES):
            continue
        children = child_nodes(node)
        children.reverse()
        stack.extend(children)
    return found


def string_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def decorator_names(module: SourceModule, fn: ast.AST) -> list[str]:
    names: list[str] = []
    for dec in getattr(fn, "decorator_list", []):
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = qualified(module, target)
        if name:
            names.append(name)
    return names


def annotation_expr(annotation: ast.expr | None) -> ast.expr | None:
    """An annotation as an expression: a string annotation (``"list[int]"``) parsed, None if it does not parse."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    return annotation


def in_main_block(module: SourceModule, node: ast.AST) -> bool:
    """Whether ``node`` sits under ``if __name__ == "__main__":``."""
    return any(isinstance(parent, ast.If) and _is_main_test(parent.test) for parent in ancestors(module, node))


def has_main_block(module: SourceModule) -> bool:
    """Whether the module's top level has an ``if __name__ == "__main__":`` block."""
    return any(isinstance(node, ast.If) and _is_main_test(node.test) for node in module.tree.body)


def _is_main_test(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    values = {s.value for s in sides if isinstance(s, ast.Constant)}
    return "__name__" in names and "__main__" in values


def method_in_hierarchy(project: Project, module: SourceModule, cls: ast.ClassDef, name: str, depth: int = 4):
    """(module, method) that ``self.<name>`` runs on an instance of ``cls``: defined in the class or,
    first base first, in a project base class (``depth`` levels up); None for a library base's method."""
    method = next((n for n in cls.body if isinstance(n, FUNCTION_TYPES) and n.name == name), None)
    if method is not None:
        return module, method
    for base in cls.bases if depth else []:
        target = qualified(module, base) or ""
        owner_name, _, class_name = target.rpartition(".")
        owner = project.by_dotted_name.get(owner_name) if owner_name else module
        parent = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None) \
            if owner is not None else None
        found = method_in_hierarchy(project, owner, parent, name, depth - 1) if parent is not None else None
        if found is not None:
            return found
    return None
