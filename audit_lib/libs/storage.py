"""Database calls through a code base's own storage layer.

Large services keep their SQL in storage classes and reach it through one object:
``await self.store.get_account(account_id)`` where the data store's ``get_account`` runs
``self.db_pool.simple_select_one(...)``, or ``yield self.master.db.queues.getQueue(queue_id)``
where a connector component's ``getQueue`` hands a function to ``self.db.pool.do(thd)``.
Nothing at the call says it queries; this module tells the rules when it does
(:func:`storage_call`):

- the receiver reads like the storage object: a name among its last two parts is a store or a
  database (``self.store``, ``self._datastore``, ``master.db.builds``);
- every method of that name the code base defines in a class (declarations without a body aside)
  is a storage method: its body runs a database call (see :func:`audit_lib.libs.db.classify`), calls a
  method of a pool or database handle it holds (``self.db_pool.runInteraction(...)``,
  ``self.db.pool.do(thd)``), or calls such a method of its own class (two levels).

A method whose body queries only through functions it hands the pool is read through those
functions when they are its local ``def``s or methods of its class. A method is memoised when it
carries a caching decorator (``@cached``, ``@cachedList``, ``@lru_cache``, ...) or queries only through
a method of its class that does: repeated keys are answered from memory.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from audit_lib.findings import Confidence
from audit_lib.libs import db
from audit_lib.pyast import FUNCTION_TYPES, dotted, walk_function_body
from audit_lib.source import Project, SourceModule

STORE_NAMES = {"store", "datastore", "data_store", "storage", "db", "database"}
MEMOISING_DECORATORS = {"cached", "cachedlist", "cached_list", "cachedinlinecallbacks", "lru_cache", "cache",
                        "alru_cache", "memoize", "memoized", "memoise", "memoised", "cache_on_arguments"}
READ_NAME = re.compile(r"^_*(get|fetch|list|count|lookup|search|find|select|load|read|is|has)(_|[A-Z]|$)")
POOL_WRITE_NAME = re.compile(r"insert|update|upsert|delete|replace|remove|purge|set_", re.IGNORECASE)
POOL_READ_NAME = re.compile(r"select|fetch|get|count|query", re.IGNORECASE)


@dataclass(frozen=True)
class StorageCall:
    """A call of a storage method: its name, what its definitions do, whether one is memoised."""
    name: str
    kinds: frozenset[str]
    memoised: bool

    @property
    def reads(self) -> bool:
        """A read: named as one (``get_*``, ``getQueue``, ``is_*``; not ``get_or_create``) and running no write."""
        return named_as_read(self.name) and not self.kinds & db.WRITE_KINDS

    def as_op(self, call: ast.Call) -> db.DbOp:
        """The call as a database operation of the caller, anchored at the call."""
        writes = sorted(self.kinds & db.WRITE_KINDS)
        kind = writes[0] if writes else db.READ if self.reads else db.EXECUTE
        return db.DbOp(call, kind, api="sql", method=self.name, receiver=dotted(call.func.value),
                       confidence=Confidence.medium, through=self.name)


def named_as_read(name: str) -> bool:
    """``get_user``, ``getQueue``, ``is_member``; not ``get_or_create``."""
    return bool(READ_NAME.match(name)) and "_or_" not in name


def storage_call(module: SourceModule, project: Project, call: ast.Call) -> StorageCall | None:
    """What ``call`` does when it is a method of the code base's storage layer called on the storage
    object (``self.store.get_user(...)``, ``self.master.db.queues.getQueue(...)``); None when unsure."""
    if not isinstance(call.func, ast.Attribute) or not _store_receiver(call.func.value):
        return None
    definitions = _methods(project).get(call.func.attr, [])
    if not definitions:
        return None
    kinds: set[str] = set()
    memoised = False
    for defining_module, cls, method in definitions:
        found, through_memoised = _storage_kinds(defining_module, project, cls, method, depth=2)
        if not found and not through_memoised:
            return None  # a method of that name that does not query: the receiver may be that class
        kinds |= found
        memoised = memoised or _memoised(method) or not found
    return StorageCall(call.func.attr, frozenset(kinds), memoised)


def _store_receiver(receiver: ast.expr) -> bool:
    name = dotted(receiver)
    if name is None:
        return False
    parts = [part for part in name.split(".") if part != "self"][-2:]
    return any(part.lstrip("_").lower() in STORE_NAMES for part in parts)


def _methods(project: Project) -> dict[str, list[tuple[SourceModule, ast.ClassDef, ast.AST]]]:
    """Methods the code base's classes define (outside tests and migrations), by name; declarations
    (``...``, ``pass``, ``raise NotImplementedError``) left out."""
    if "storage.methods" not in project.facts:
        found: dict[str, list] = {}
        for module in project.modules:
            if db.skipped_module(module):
                continue
            for cls in module.nodes_of(ast.ClassDef):
                for method in cls.body:
                    if isinstance(method, FUNCTION_TYPES) and not db._declared_only(method):
                        found.setdefault(method.name, []).append((module, cls, method))
        project.facts["storage.methods"] = found
    return project.facts["storage.methods"]


def _storage_kinds(module: SourceModule, project: Project, cls: ast.ClassDef, fn: ast.AST,
                   depth: int) -> tuple[set[str], bool]:
    """The kinds of database call ``fn`` makes itself, through its pool or through methods of its class,
    and whether it also queries through a memoised method of its class (``get_label`` answered by the
    cached ``get_label_row``: those calls are left out of the kinds)."""
    kinds = {op.kind for op in db.function_ops(module, fn, project) if op.round_trip}
    through_memoised = False
    for call in walk_function_body(fn):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        receiver = dotted(call.func.value) or ""
        if receiver.startswith("self.") and db.db_like_name(receiver) and db.classify(module, call, fn, project) is None:
            kinds |= _pool_call_kinds(module, project, cls, fn, call)
        elif receiver == "self" and depth > 0:
            own = _own_method(cls, call.func.attr)
            if own is not None:
                inner, inner_memoised = _storage_kinds(module, project, cls, own, depth - 1)
                if _memoised(own):
                    through_memoised = through_memoised or bool(inner) or inner_memoised
                else:
                    kinds |= inner
                    through_memoised = through_memoised or inner_memoised
    return kinds, through_memoised


def _pool_call_kinds(module: SourceModule, project: Project, cls: ast.ClassDef, fn: ast.AST,
                     call: ast.Call) -> set[str]:
    """``self.db_pool.simple_select_one(...)`` reads, ``self.db_pool.simple_upsert(...)`` writes; a call
    handed a function (``runInteraction("desc", self._get_txn)``, ``pool.do(thd)``) does what that
    function does, when it is a local ``def`` or a method of the class."""
    method = call.func.attr
    if POOL_WRITE_NAME.search(method):
        return {db.WRITE}
    handed = [_handed_function(fn, cls, argument) for argument in call.args]
    handed = [function for function in handed if function is not None]
    if handed:
        kinds = {op.kind for function in handed for op in db.function_ops(module, function, project) if op.round_trip}
        return kinds or {db.EXECUTE}
    return {db.READ} if POOL_READ_NAME.search(method) else {db.EXECUTE}


def _handed_function(fn: ast.AST, cls: ast.ClassDef, argument: ast.expr) -> ast.AST | None:
    if isinstance(argument, ast.Name):
        return next((node for node in walk_function_body(fn)
                     if isinstance(node, FUNCTION_TYPES) and node.name == argument.id), None)
    if isinstance(argument, ast.Attribute) and dotted(argument.value) == "self":
        return _own_method(cls, argument.attr)
    return None


def _own_method(cls: ast.ClassDef, name: str) -> ast.AST | None:
    return next((node for node in cls.body if isinstance(node, FUNCTION_TYPES) and node.name == name), None)


def _memoised(fn: ast.AST) -> bool:
    for decorator in fn.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (dotted(target) or "").split(".")[-1].lower() in MEMOISING_DECORATORS:
            return True
    return False
