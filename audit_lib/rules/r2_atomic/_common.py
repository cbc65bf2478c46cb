"""Facts that several R2 rules ask: does Django run this method of a view class inside a transaction? Which
methods run for a call of an abstract one?"""

from __future__ import annotations

import ast

from audit_lib.libs import db
from audit_lib.pyast import FUNCTION_TYPES, dotted, qualified, string_value, walk_function_body
from audit_lib.source import Project, SourceModule


def in_atomic_dispatch_view(module: SourceModule, project: Project, fn: ast.AST) -> bool:
    """A method of a Django class-based view whose ``dispatch`` -- its own or a base class's in the code
    base -- runs the request inside ``transaction.atomic()`` (``with transaction.atomic(): return
    super().dispatch(...)``, ``@method_decorator(transaction.atomic, name="dispatch")``): every handler
    and form hook of the view runs in that one transaction."""
    owner = module.parents.get(fn)
    if not isinstance(owner, ast.ClassDef) or fn.name == "dispatch":
        return False
    return owner.name in _atomic_dispatch_classes(project)


def _atomic_dispatch_classes(project: Project) -> set[str]:
    """Classes whose ``dispatch`` runs the view in a transaction (a ``with transaction.atomic():`` block
    in ``dispatch`` that dispatches on, ``@transaction.atomic`` on it, or a class decorator
    ``@method_decorator(transaction.atomic, name="dispatch")``), and their subclasses."""
    if "r2.atomic_dispatch" not in project.facts:
        found: set[str] = set()
        for module in project.modules:
            if "atomic" not in module.text or "dispatch" not in module.text or db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                if any(_decorates_dispatch_atomic(module, dec) for dec in cls.decorator_list) or any(
                        isinstance(f, FUNCTION_TYPES) and f.name == "dispatch" and _dispatches_in_transaction(module, project, f)
                        for f in cls.body):
                    found.add(cls.name)
        bases = db.class_bases(project)
        inheriting = {name for name, parents in bases.items() if found & set(parents)} - found
        while inheriting:  # the subclasses, through the code base's class statements
            found |= inheriting
            inheriting = {name for name, parents in bases.items() if found & set(parents)} - found
        project.facts["r2.atomic_dispatch"] = found
    return project.facts["r2.atomic_dispatch"]


def _decorates_dispatch_atomic(module: SourceModule, dec: ast.expr) -> bool:
    """``@method_decorator(transaction.atomic, name="dispatch")`` on a view class."""
    return isinstance(dec, ast.Call) and (dotted(dec.func) or "").endswith("method_decorator") and any(
        string_value(k.value) == "dispatch" for k in dec.keywords if k.arg == "name") and any(
        (qualified(module, a) or "").endswith("atomic") for a in dec.args)


def _dispatches_in_transaction(module: SourceModule, project: Project, dispatch: ast.AST) -> bool:
    """``dispatch`` under ``@transaction.atomic``, or one that returns the view's response from inside a
    transaction block (``with transaction.atomic(): return self.wrapped_dispatch(request)``) or from the
    view run through a decorator of the code base that wraps it in one (``wrapped =
    atomic_for_request_method(super().dispatch); return wrapped(request, *args, **kwargs)``), also under
    ``@method_decorator(transaction.atomic)``."""
    return db.is_transaction_function(module, dispatch, project) or any(
        isinstance(dec, ast.Call) and (dotted(dec.func) or "").endswith("method_decorator") and dec.args
        and (qualified(module, dec.args[0].func if isinstance(dec.args[0], ast.Call) else dec.args[0]) or "")
        .endswith("atomic") for dec in getattr(dispatch, "decorator_list", ())) or any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and (
            db.in_transaction(module, n, dispatch, project) or _wrapped_in_transaction(module, project, dispatch, n.value))
        for n in walk_function_body(dispatch))


def _wrapped_in_transaction(module: SourceModule, project: Project, fn: ast.AST, call: ast.Call) -> bool:
    """``decorate(view)(request)``, or ``wrapped(request)`` with ``wrapped = decorate(view)`` bound once in ``fn``,
    where ``decorate`` is a decorator of the code base whose wrapper runs the view in a transaction block."""
    decorated = db.single_binding(fn, call.func.id) if isinstance(call.func, ast.Name) else call.func
    return isinstance(decorated, ast.Call) and db.wraps_in_transaction(module, project, decorated)


def is_abstract(fn: ast.AST) -> bool:
    """``@abstractmethod``, or a body that only documents, passes or raises NotImplementedError."""
    if any((dotted(d) or "").split(".")[-1] == "abstractmethod" for d in fn.decorator_list):
        return True
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Raise) and "NotImplementedError" in ast.unparse(s))
               for s in body)


def implementations(project: Project, module: SourceModule, method: ast.AST) -> list[tuple[SourceModule, ast.AST]]:
    """The overrides of an abstract method in the code base's subclasses of its class: ``self.x()``
    in the base runs one of them."""
    owner = module.parents.get(method)
    if not isinstance(owner, ast.ClassDef):
        return []
    found = []
    for other in project.modules:
        if method.name not in other.text:
            continue
        for cls in other.nodes_of(ast.ClassDef):
            if cls is not owner and _derives_from(project, cls.name, owner.name):
                found += [(other, f) for f in cls.body if isinstance(f, FUNCTION_TYPES) and f.name == method.name]
    return found


def derives_from(project: Project, name: str, base: str) -> bool:
    """Whether the class ``name`` of the code base names ``base`` among its bases, or a base of its bases."""
    return _derives_from(project, name, base)


def _derives_from(project: Project, name: str, base: str, depth: int = 5) -> bool:
    bases = db.class_bases(project).get(name, [])
    return base in bases or (depth > 0 and any(_derives_from(project, b, base, depth - 1) for b in bases if b != name))


def redis_client_classes(module: SourceModule, project: Project, fn: ast.AST, name: str) -> list[str]:
    """What builds the client ``name`` holds -- bound once in ``fn``, else at module level or in the module of
    the code base it is imported from: the callable (``redis.asyncio.from_url``, ``Redis``) and, for a class of
    the code base (``class KeyStore(Redis)``), its bases; empty when ``name`` is not one call's result."""
    bound = db.single_binding(fn, name)
    owner = module
    if bound is None and not any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                                 for n in walk_function_body(fn)):
        target = module.imports.get(name, "")
        defining = project.by_dotted_name.get(target.rpartition(".")[0]) if target else None
        owner, name = (defining, target.rpartition(".")[2]) if defining is not None else (module, name)
        bound = db.single_binding(owner.tree, name)
    if not isinstance(bound, ast.Call):
        return []
    built = qualified(owner, bound.func) or ""
    cls = next((n for n in owner.tree.body if isinstance(n, ast.ClassDef) and n.name == built), None)
    return [built, *(qualified(owner, base) or "" for base in (cls.bases if cls else []))]
