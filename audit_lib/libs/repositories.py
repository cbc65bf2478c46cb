"""Database access through a code base's own generic repository layer.

Many services reach the database through a repository object rather than a session:
``self.repos.recipes.get_one(slug)``, ``db.users.update(user.id, user)``, where ``repos`` is a
registry class whose properties build ``RepositoryGeneric(session, pk, RecipeModel, Schema)``
instances, and the generic methods run ``session.execute(self._query()...)`` and
``session.commit()``. :mod:`audit_lib.libs.db` follows such calls into the repository's
methods; this module tells it

- which project class the object is (:func:`receiver`): ``<object>.<property>`` where the
  property (``@property``/``@cached_property``) builds or returns the repository,
  ``super()`` in a method, a name bound once to a project function that builds the object
  (``db = get_repositories(session)``);
- which model one instance stands for (:func:`bound_models`): the model handed to its
  constructor (``sql_model: type[Model]`` stored in ``self.model``) or named by its generic
  bases, also through an intermediate generic class (``Repo(GroupRepo[Schema, User])``);
- which project class a service locator hands out (:func:`located_service`):
  ``request.find_service(UserService)``, ``find_service(IUserService)`` or
  ``find_service(name="user")`` of pyramid_services, through the factory the project registers
  (``config.register_service_factory("app.services.user.factory", name="user")``);
- what a call of a repository method does to that model's table (:func:`refine`): the
  method's statements built by the repository's own query builders read the model's
  table, an object it adds is a row of it, and a method named as a change
  (``create``/``update``/``delete``...) that commits changes a row of it (the loaded row
  changed in Python and flushed by the commit).

Only receivers whose class is certain are bound; a class with several candidate models
binds none.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from audit_lib.findings import Confidence
from audit_lib.pyast import FUNCTION_TYPES, ancestors, dotted, is_none, method_name, string_value, walk_function_body
from audit_lib.source import Project, SourceModule


class BoundClass(tuple):
    """A project class ``(module, ClassDef)`` with the models one of its instances was built with."""

    models: dict[str, str]

    def __new__(cls, ref: tuple, models: dict[str, str]) -> "BoundClass":
        bound = super().__new__(cls, (ref[0], ref[1]))
        bound.models = models
        return bound


def _db():
    from audit_lib.libs import db  # db imports this module's functions at call time: no import cycle

    return db


# -- which class the object is -----------------------------------------------------------


def receiver(module: SourceModule, project: Project | None, node: ast.AST, fn: ast.AST, self_class) -> tuple | None:
    """The project class of ``node`` when :func:`db._receiver_class` does not know it: an attribute
    that a property of a known class builds (``self.repos.users``, ``db.users``), ``super()``, a name
    bound once to what a project function returns."""
    if project is None:
        return None
    db = _db()
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            owner = self_class or db._enclosing_class(module, node)
        else:
            owner = db._receiver_class(module, project, node.value, fn, self_class)
        return _attribute_class(project, owner, node.attr) if owner is not None else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super" and not node.args:
        # only for an object whose class the caller knows (``repos.users.update()`` running
        # ``super().update()``): a method read on its own is judged on its own body
        return _super_class(module, project, node, self_class) if self_class is not None else None
    if isinstance(node, ast.Name) and isinstance(fn, FUNCTION_TYPES) and _bound_once(fn, node.id):
        value = db.single_binding(fn, node.id)
        value = value.value if isinstance(value, ast.Await) else value
        if not isinstance(value, ast.Call) or db.project_class(module, project, value.func) is not None:
            return None  # a name bound to a constructor is the db module's to judge
        return value_class(module, project, value, fn, db._enclosing_class(module, fn))
    return None


def _bound_once(fn: ast.AST, name: str) -> bool:
    stores = sum(1 for n in walk_function_body(fn) if isinstance(n, ast.Name) and n.id == name
                 and isinstance(n.ctx, ast.Store))
    return stores == 1 and name not in {a.arg for a in _db()._arguments(fn)}


def _super_class(module: SourceModule, project: Project, call: ast.Call, self_class) -> tuple | None:
    """The class after the one whose method holds ``super()``, in the MRO of the object's class."""
    db = _db()
    here = next((a for a in ancestors(module, call) if isinstance(a, ast.ClassDef)), None)
    if here is None:
        return None
    owner = self_class or (module, here)
    order = db._mro(project, owner)
    index = next((i for i, entry in enumerate(order) if entry[1] is here), None)
    if index is None or index + 1 >= len(order):
        return None
    following = order[index + 1]
    models = getattr(self_class, "models", None)
    return BoundClass(following, models) if models else following


_PROPERTY = re.compile(r"(^|\.)(property|cached_property)$")


def _attribute_class(project: Project, owner: tuple, name: str) -> tuple | None:
    """The class of ``<object of owner's class>.<name>``: a property's result, or an instance
    attribute (``self.name = Repo(...)``)."""
    db = _db()
    method = db._method_of(project, owner, name)
    if method is not None:
        if not any(_PROPERTY.search(dotted(d) or "") for d in getattr(method[1], "decorator_list", ())):
            return None
        return returned_class(method[0], project, method[1], owner)
    return db._attribute_classes(project, owner).get(name)


def returned_class(module: SourceModule, project: Project, fn: ast.AST, owner: tuple | None) -> tuple | None:
    """The class of what ``fn`` returns: the object every ``return`` builds (``return Repo(...)``,
    with the models handed to it) or holds (``return self._repos``), else its return annotation
    (``-> Repo[Schema, User]`` binding the type parameters)."""
    db = _db()
    cache = db._cache_of(module)
    key = ("repositories.returns", id(fn), id(owner[1]) if owner else None, id(project))
    if key in cache:
        return cache[key]
    cache[key] = None  # a property that returns itself
    found = []
    for node in walk_function_body(fn):
        if isinstance(node, ast.Return) and node.value is not None and not is_none(node.value):
            value = node.value
            if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self" \
                    and owner is not None:
                found.append(db._attribute_classes(project, owner).get(value.attr)
                             or _assigned_in(module, project, fn, value.attr))
            else:
                found.append(value_class(module, project, value, fn, owner))
    cls = None
    if found and all(f is not None and f[1] is found[0][1] for f in found):
        cls = found[0]
    if cls is None:
        annotation = getattr(fn, "returns", None)
        cls = db._annotated_class(module, project, annotation)
        if cls is not None and isinstance(annotation, ast.Subscript):
            models = _subscript_models(module, project, cls, annotation)
            cls = BoundClass(cls, models) if models else cls
    cache[key] = cls
    return cls


def _assigned_in(module: SourceModule, project: Project, fn: ast.AST, attribute: str) -> tuple | None:
    """``self._repos = Repo(...)`` in the function itself (a memoising property)."""
    built = [value_class(module, project, n.value, fn, None) for n in walk_function_body(fn)
             if isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == attribute
                                                  and dotted(t.value) == "self" for t in n.targets)
             and not is_none(n.value)]
    return built[0] if built and all(b is not None and b[1] is built[0][1] for b in built) else None


def value_class(module: SourceModule, project: Project, value: ast.AST | None, fn: ast.AST | None,
                owner: tuple | None) -> tuple | None:
    """``Repo(session, pk, User, ...)``: the project class with the models its constructor binds;
    ``make_repos(session)``: the class the project function returns."""
    db = _db()
    value = value.value if isinstance(value, ast.Await) else value
    if not isinstance(value, ast.Call):
        return None
    cls = db.project_class(module, project, value.func)
    if cls is not None:
        models = _constructor_models(module, project, cls, value)
        return BoundClass(cls, models) if models else cls
    if isinstance(value.func, ast.Name) or (isinstance(value.func, ast.Attribute)
                                            and isinstance(value.func.value, ast.Name)
                                            and value.func.value.id in module.imports):
        found = db._resolve(module, project, value, fn if fn is not None else module.tree, None, True)
        if found is not None and found[2] is None:
            return returned_class(found[0], project, found[1], None)
    return db._value_class(module, project, value, owner)


def located_service(module: SourceModule, project: Project, call: ast.AST) -> tuple | None:
    """The project class of the service ``request.find_service(...)`` returns (pyramid_services): the
    class its registered factory builds (``register_service_factory(factory, IUserService)``,
    ``..., iface=UserService)``, ``..., name="user")``), else the class the lookup names itself."""
    if not (isinstance(call, ast.Call) and method_name(call) == "find_service"):
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    interface = call.args[0] if call.args else keywords.get("iface")
    name = string_value(keywords["name"]) if "name" in keywords else None
    key = ("name", name) if name else ("iface", (dotted(interface) or "").rsplit(".", 1)[-1]) if interface else None
    registered = _registered_services(project).get(key) if key else None
    if registered is not None:
        return registered
    return _db().project_class(module, project, interface) if interface is not None else None


def _registered_services(project: Project) -> dict[tuple[str, str], tuple]:
    """("name", "user") / ("iface", "IUserService") -> the project class the registered factory returns."""
    cached = project.facts.get("repositories.registered_services")
    if cached is not None:
        return cached
    table: dict[tuple[str, str], tuple] = {}
    for module in project.modules:
        if "register_service_factory" not in module.text:
            continue
        for call in module.nodes_of(ast.Call):
            if method_name(call) != "register_service_factory" or not call.args:
                continue
            keywords = {k.arg: k.value for k in call.keywords}
            interface = call.args[1] if len(call.args) > 1 else keywords.get("iface")
            name = string_value(keywords["name"]) if "name" in keywords else None
            key = ("name", name) if name else ("iface", (dotted(interface) or "").rsplit(".", 1)[-1]) \
                if interface is not None else None
            cls = _factory_class(module, project, call.args[0])
            if key is not None and cls is not None:
                table[key] = cls
    project.facts["repositories.registered_services"] = table
    return table


def _factory_class(module: SourceModule, project: Project, factory: ast.expr) -> tuple | None:
    """The class a service factory builds: a dotted path to a project function (``"app.user.factory"``),
    a function or classmethod of the project, or a project class used as its own factory."""
    db = _db()
    path = string_value(factory)
    if path:
        path = path.replace(":", ".")
        found = db._project_definition(project, path, 0, 1)
        if found is None:
            return db._project_definition(project, path, 1, 1)
        return returned_class(found[0], project, found[1], None)
    cls = db.project_class(module, project, factory)
    if cls is not None:
        return cls
    found = db._resolve(module, project, ast.Call(func=factory, args=[], keywords=[]), module.tree, None, True)
    return returned_class(found[0], project, found[1], None) if found is not None else None


# -- which model an instance stands for --------------------------------------------------


def _type_variables(module: SourceModule) -> set[str]:
    cache = _db()._cache_of(module)
    names = cache.get("repositories.typevars")
    if names is None:
        names = cache["repositories.typevars"] = {
            t.id for n in module.tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and (dotted(n.value.func) or "").split(".")[-1] == "TypeVar" for t in n.targets if isinstance(t, ast.Name)}
    return names


def _type_parameters(project: Project, cls: tuple) -> list[str]:
    """``M`` for ``class Base(Generic[M])``; ``Schema, Model`` for ``class GroupRepo(Repo[Schema, Model])``
    (a generic class that passes its type variables on)."""
    module, node = cls
    direct = _db()._type_parameters(node)
    if direct:
        return direct
    variables = _type_variables(module)
    for base in node.bases:
        if isinstance(base, ast.Subscript):
            arguments = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            names = [a.id for a in arguments if isinstance(a, ast.Name) and a.id in variables]
            if names:
                return names
    return []


def _is_class_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id[:1].isupper() and not node.id.isupper()


def _subscript_models(module: SourceModule, project: Project, cls: tuple, annotation: ast.Subscript) -> dict[str, str]:
    arguments = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
    return {p: a.id for p, a in zip(_type_parameters(project, cls), arguments) if _is_class_name(a)}


def _class_type_bindings(project: Project, cls: tuple) -> dict[str, str]:
    """Type parameter -> model, from the generic bases of the class and its project bases, also
    where the generic class passes its type variables on (which the db module does not read)."""
    db = _db()
    table: dict[str, str] = {}
    for owner_module, owner in reversed(db._mro(project, cls)):
        for base in owner.bases:
            if not isinstance(base, ast.Subscript):
                continue
            generic = db.project_class(owner_module, project, base.value)
            if generic is None:
                continue
            arguments = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            for parameter, argument in zip(_type_parameters(project, generic), arguments):
                if _is_class_name(argument) and argument.id not in _type_variables(owner_module):
                    table[parameter] = argument.id
                elif isinstance(argument, ast.Name) and argument.id in table:
                    table[parameter] = table[argument.id]
    return table


def _model_attributes(project: Project, cls: tuple) -> dict[str, str]:
    """``self.<attr>`` -> the type parameter it holds: ``self.model = sql_model`` in an ``__init__``
    whose ``sql_model: type[Model]``."""
    db = _db()
    table: dict[str, str] = {}
    for owner_module, owner in reversed(db._mro(project, cls)):
        init = db._top_level_function(owner, "__init__")
        if init is None:
            continue
        parameters = {a.arg: p for a in db._arguments(init) if (p := _type_of(a.annotation))}
        for node in walk_function_body(init):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Name) \
                    and node.value.id in parameters:
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                    if isinstance(target, ast.Attribute) and dotted(target.value) == "self":
                        table[f"self.{target.attr}"] = parameters[node.value.id]
    return table


def _type_of(annotation: ast.AST | None) -> str | None:
    """``M`` for ``type[M]`` / ``Type[M]``."""
    if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").split(".")[-1] in ("type", "Type") \
            and isinstance(annotation.slice, ast.Name):
        return annotation.slice.id
    return None


def _constructor_models(module: SourceModule, project: Project, cls: tuple, call: ast.Call) -> dict[str, str]:
    """Type parameter or ``self.<attr>`` -> the model class handed to the constructor for it."""
    db = _db()
    init = db._method_of(project, cls, "__init__")
    models: dict[str, str] = {}
    if init is None:
        return models
    helper = init[1]
    args = helper.args
    positional = [a for a in [*args.posonlyargs, *args.args]][1:]
    bound: list[tuple[ast.arg, ast.expr]] = []
    for parameter, argument in zip(positional, call.args):
        if isinstance(argument, ast.Starred):
            break
        bound.append((parameter, argument))
    by_name = {a.arg: a for a in db._arguments(helper)}
    bound.extend((by_name[k.arg], k.value) for k in call.keywords if k.arg in by_name)
    for parameter, argument in bound:
        if not _is_class_name(argument):
            continue
        variable = _type_of(parameter.annotation)
        if variable:
            models[variable] = argument.id
        for node in walk_function_body(helper):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == parameter.arg:
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and dotted(target.value) == "self":
                        models[f"self.{target.attr}"] = argument.id
    return models


def bound_models(project: Project | None, cls, class_models: dict[str, str]) -> dict[str, str]:
    """The db module's class models of ``cls`` completed with the type parameters its generic bases
    bind, the ``self.<attr>`` that hold them, and the models its instance was built with."""
    if cls is None or project is None:
        return class_models
    db = _db()
    cache = db._cache_of(cls[0])
    key = ("repositories.models", id(cls[1]), id(project))
    static = cache.get(key)
    if static is None:
        # the type parameters first: the db module binds a generic's parameters to the names an
        # intermediate generic passes on (``Model`` -> ``Model``)
        static = {**{k: v for k, v in class_models.items() if k != v}, **_class_type_bindings(project, cls)}
        cache[key] = static = _with_attributes(project, cls, static)
    own = getattr(cls, "models", None)
    return _with_attributes(project, cls, {**static, **own}) if own else static


def _with_attributes(project: Project, cls: tuple, models: dict[str, str]) -> dict[str, str]:
    for attribute, variable in _model_attributes(project, cls).items():
        if variable in models and attribute not in models:
            models[attribute] = models[variable]
    return models


_MODEL_PARAMETER = re.compile(r"model|^(M|T|ModelT|ModelType|TModel)$", re.I)


def model_of(models: dict[str, str]) -> str | None:
    """The one model a repository stands for: ``self.model`` (any ``self.*model*``), else a type
    parameter named like a model; None when there are several candidates."""
    attributes = {v for k, v in models.items() if k.startswith("self.") and "model" in k.lower()}
    if len(attributes) == 1:
        return attributes.pop()
    if attributes:
        return None
    parameters = {v for k, v in models.items() if "." not in k and _MODEL_PARAMETER.search(k)}
    return parameters.pop() if len(parameters) == 1 else None


# -- what a repository method does ---------------------------------------------------------

_VERBS = {
    "read": ("get", "find", "list", "all", "count", "exists", "search", "page", "paginate", "multi", "query",
             "filter", "fetch", "read", "load", "select", "lookup", "one", "first", "retrieve"),
    "insert": ("create", "add", "insert", "new", "register"),
    "update": ("update", "patch", "set", "change", "modify", "edit", "increment", "decrement", "mark", "rename",
               "lock", "unlock", "touch"),
    "delete": ("delete", "remove", "purge", "destroy"),
}


def names_a_read(name: str) -> bool:
    """Whether a method's name says it reads (``get_user``, ``list_all``, ``count_all``)."""
    return _verb(name) == "read"


def _verb(name: str) -> str | None:
    head = name.lstrip("_").split("_", 1)[0].lower()
    return next((kind for kind, words in _VERBS.items() if head in words), None)


_STATEMENT_METHODS = {"execute", "scalars", "scalar", "exec"}
_SINGLE_ROW = ("one_or_none", "scalar_one_or_none", "scalar_one", "one", "first")


def _single_row(helper: ast.AST) -> str | None:
    """``one_or_none`` when the method's statement ends in a single-row fetch
    (``session.execute(q).scalars().one_or_none()``): the call reads one row, which the caller
    may change and write back."""
    found = {n.func.attr for n in walk_function_body(helper) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr in _SINGLE_ROW}
    return next((name for name in _SINGLE_ROW if name in found), None)


def refine(helper: ast.AST, ops: list, models: dict[str, str]) -> list:
    """The operations of one call of a repository method (``ops``, already anchored at the call),
    with the repository's model as the table of those whose table is unknown, and, for a method
    named as a change that commits without a write of its own (the loaded row changed in Python),
    that change."""
    model = model_of(models) if models else None
    if model is None or not ops:
        return ops
    db = _db()
    verb = _verb(helper.name)
    writes = {db.INSERT, db.UPDATE, db.DELETE}
    single = _single_row(helper)
    refined = []
    for op in ops:
        if op.kind == db.READ and verb in writes and op.method in _SINGLE_ROW:
            op = replace(op, method="execute")  # the row a change loads for itself is not one handed to the caller
        if op.kind == db.COMMIT or op.tables and (op.tables != {model} or op.kind != db.EXECUTE):
            refined.append(op)
            continue
        kind = op.kind  # also a statement a deeper helper of the repository left undecided
        if kind == db.EXECUTE and (verb == db.READ or verb in writes and any(
                o is not op and (o.kind == db.COMMIT or o.kind in writes or o.kind == db.WRITE) for o in ops)):
            kind = db.READ  # a statement of the repository's own query builder (``self._query()``) loading rows
        elif kind == db.WRITE and verb in writes:
            kind = verb
        method = single if verb == db.READ == kind and single and op.method in _STATEMENT_METHODS else op.method
        refined.append(replace(op, kind=kind, tables=frozenset({model}), method=method))
    if verb in writes and not any(op.is_write for op in refined):
        commit = next((i for i, op in enumerate(refined) if op.kind == db.COMMIT), None)
        if commit is not None:
            change = replace(refined[commit], kind=verb, tables=frozenset({model}), api="sqlalchemy",
                             method=helper.name, deferred=True, confidence=Confidence.medium)
            refined.insert(commit, change)
    return refined
