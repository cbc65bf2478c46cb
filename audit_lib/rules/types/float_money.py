"""T.float-money: an amount of money held in a binary floating-point number.

## What it does
Reports money-named values typed as floats. A name is money-named when one of its
words (snake_case or camelCase) is price, amount, cost, total, balance, fee, salary,
freight, tax, charge, refund, payment, revenue, budget, donation, wage, income, expense,
payout, profit, earnings, deposit, withdrawal or disbursement (or a plural of these), or receipts,
and none says it measures something else (a threshold or limit is money when the name gives its
currency: `income_threshold_usd`). Amount, total, balance, charge, budget, deposit and receipts also name plain
quantities (the amount of flour in a recipe, a time budget), so in code they count as money only in
a file that speaks of money elsewhere (prices, costs, currency, fees, ...; `Decimal` alone
does not, it holds grams as often as cents), and not as a field of a class whose name
says it counts or measures something else (`total` of a `PaymentCountStat`). Not
money: `tax_rate`, `fee_ratio`, `rel_profit`, `price_percent`, `price_precision`, `total_count`, `total_seconds`,
`balance_ts`, `payment_date`, `discount`, coordinates and scores; nor is a field the code
itself reads into such a name (`fee_percent = settings.service_fee`: a percentage, also when
`service_fee` is a `Column(Float)`), or fills from one (`Public(serviceFee=settings.service_fee)`); nor the cost field of a record of usage
metrics, a class that also counts tokens or measures latency (`cost: float` beside `total_tokens`
and `latency` in a tracing span's metrics: an estimate of what LLM or API calls cost, summed for
dashboards, not an amount charged); nor a price per unit of metered usage, a fraction of a cent as
pricing tables publish it (`input_cost_per_token`, `cost_per_1k_tokens`; not `price_per_unit`), nor a
name a function binds to one (`p_cost = float(info["input_cost_per_token"])`, a parameter stored as
`{"input_cost_per_token": input_cost}` for a library that takes floats); nor a query planner's cost
setting, in its own abstract units (PostgreSQL's `random_page_cost`, `cpu_tuple_cost`); nor the float a function returns
when every caller rounds it to integer minor units before using it (`cost_usd = call_cost(...)`, then
`round(cost_usd * 1_000_000)` for a ledger of micros): its return type and the `float()` it returns.
In code it reports:

- ORM columns and serializer fields of a float type assigned to a money name:
  SQLAlchemy `Column(Float)` / `mapped_column(Float)` / `REAL` / `DOUBLE_PRECISION`,
  Flask-SQLAlchemy `db.Float`, Django and peewee `FloatField`, marshmallow and webargs
  `fields.Float()` (also as an entry of a dict of fields, `{"amount": fields.Float()}`). The marshmallow
  fields of one file (an API's schemas or query arguments) are one finding at the first, naming the
  others: rendering amounts as JSON floats is one choice of that file;
- `float` annotations of money names: `Mapped[float]`, dataclass, pydantic and SQLModel
  fields, attributes, parameters and the return type of money-named functions;
- `float(...)` applied to a money-named value (`float(row["price"])`,
  `float(order.total)`, a form field's `float(form.amount.data)`, a django-money `MoneyField`
  of the project's models whatever its name, `float(project.amount_offered.amount)`) or assigned to a money
  name, also as a keyword (`Bill(amount=float(raw))`); not `float("-inf")`, a sentinel for `max()`;
  not a value only shown or serialized
  for output, never computed with: a value of a dict literal (a response body, a chart's
  data, a template's context; still reported when the dict is handed to a call that sends it,
  `requests.post(url, json={"amount": float(order.total)})`), an f-string, `"%.2f" % float(x)`,
  an argument of a log, `print`, `format`, template or JSON-response call. `float(a) < float(b)`
  only orders two amounts and is not reported; `float(a) != b` compares them for equality and is;
- `int(x * 100)` of a float money column (`int(order.amount * 100)` for a payment provider's
  cents): `int` truncates, and 0.29 * 100 is 28.999..., so 28 cents are sent;
- Django REST framework's `COERCE_DECIMAL_TO_STRING: False` in a code base that stores its money
  exactly: every serializer then renders the `DecimalField` amounts as JSON floats.

A code base that stores its money exactly (money-named `Numeric`/`DECIMAL` columns or
`DecimalField`s, and not one float money column) and carries it as float in its schemas,
parameters and arithmetic gets one finding for that choice, at the first place, naming the
others: the column rounds whatever it is given, so the floats are one decision to revisit
(Decimal through the schemas and sums), not a stored error on each line.

Test code (`tests/`, `test_*.py`, `conftest.py`), which often compares amounts with the
floats of a JSON response, is not audited; neither is code run once or by hand: migration
revisions, `docs/` and `examples/`, set-up modules (`seed.py`) and scripts outside the
service's packages that only a `__main__` block runs (demo-data generators). The database side (`real` / `double
precision` columns) is checked separately.

## Why is this bad?
Binary floats cannot represent most decimal fractions: `0.1 + 0.2 != 0.3`. Sums of
prices drift by cents, rounding differs between the database and the code, totals do
not reconcile with the payment provider, and comparisons of amounts fail at random
(Backend Posture gate S32).

## Example
```python
from sqlalchemy import Column, Float

class Invoice(Base):
    total = Column(Float, nullable=False)

def charge(amount: float) -> None:
    ...
```

## Use instead
```python
from decimal import Decimal
from sqlalchemy import Column, Numeric

class Invoice(Base):
    total = Column(Numeric(12, 2), nullable=False)

def charge(amount: Decimal) -> None:   # or an int number of cents
    ...
```

## References
- Python decimal: https://docs.python.org/3/library/decimal.html
- PostgreSQL numeric: https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-NUMERIC-DECIMAL
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from audit_lib.findings import Confidence, Finding, code_base_finding, shown_places
from audit_lib.libs.db import is_test_module
from audit_lib.rules.r5_complexity._common import runs_offline
from audit_lib.pyast import (
    FUNCTION_TYPES,
    ancestors,
    annotation_expr,
    call_name,
    dotted,
    enclosing_function,
    keyword,
    qualified,
    string_value,
    walk_function_body,
    walk_nodes,
)
from audit_lib.registry import rule
from audit_lib.source import Project, SourceModule

MONEY_WORDS = {
    "price", "amount", "cost", "total", "subtotal", "balance", "fee", "salary", "freight", "tax",
    "charge", "refund", "payment", "revenue", "prices", "amounts", "costs", "totals", "subtotals",
    "balances", "fees", "salaries", "taxes", "charges", "refunds", "payments", "revenues",
    "budget", "budgets", "donation", "donations", "wage", "wages", "income", "incomes", "expense", "expenses",
    "payout", "payouts", "profit", "profits", "earnings", "deposit", "deposits", "withdrawal", "withdrawals",
    "disbursement", "disbursements", "receipts",
}
# Money words that also name plain quantities ("the amount of flour", "total of rows", a time budget).
AMBIGUOUS_WORDS = {"amount", "amounts", "total", "totals", "subtotal", "subtotals", "balance", "balances",
                   "charge", "charges", "budget", "budgets", "deposit", "deposits", "receipts"}
MONEY_CUES = {
    "currency", "currencies", "price", "prices", "cost", "costs", "invoice", "invoices", "payment", "payments",
    "billing", "money", "salary", "salaries", "refund", "refunds", "revenue", "revenues", "cent", "cents",
    "dollar", "dollars", "euro", "euros", "usd", "eur", "fee", "fees", "tax", "taxes", "donation", "donations",
    "wage", "wages", "income", "expense", "expenses", "payout", "payouts", "profit", "profits",
    "disbursement", "disbursements",
}  # not `Decimal`: it holds any exact quantity (grams, nutrients) as often as money
# Words saying a money-named value measures something else than money.
NOT_MONEY_WORDS = {
    "rate", "rates", "ratio", "ratios", "percent", "percentage", "pct", "count", "counts", "num",
    "number", "qty", "quantity", "factor", "multiplier", "weight", "score", "share", "fraction",
    "discount", "lat", "lng", "lon", "latitude", "longitude", "x", "y", "z", "seconds", "secs",
    "sec", "ms", "millis", "minutes", "hours", "days", "time", "duration", "elapsed", "latency",
    "distance", "size", "length", "bytes", "memory", "ram", "cpu", "tokens", "items", "id", "ids",
    "index", "idx", "version", "probability", "prob", "confidence", "threshold", "limit",
    "width", "height", "pixels", "steps", "epochs", "loss", "accuracy", "energy", "calories",
    "battery", "load", "progress", "level", "ts", "timestamp", "timestamps", "epoch", "date", "dates",
    "datetime", "rel", "relative",
}
# Bounds that are money when the name gives their currency (``income_threshold_usd``).
BOUND_WORDS = {"threshold", "limit"}
CURRENCY_UNITS = {"usd", "eur", "gbp", "dollars", "euros", "cents"}
# A value's precision (decimal places, step size) is no money, but ``price_to_precision()`` returns the price.
PRECISION = "precision"
FLOAT_COLUMN_TYPES = {"Float", "REAL", "DOUBLE", "DOUBLE_PRECISION", "Double", "FLOAT"}
SQLALCHEMY_PREFIXES = ("sqlalchemy.", "sqlmodel.")
SCHEMA_FIELD = "marshmallow fields.Float"
FIELD_CLASSES = {
    "django.db.models.FloatField": "Django FloatField",
    "peewee.FloatField": "peewee FloatField",
    "peewee.DoubleField": "peewee DoubleField",
    "marshmallow.fields.Float": SCHEMA_FIELD,
    "webargs.fields.Float": SCHEMA_FIELD,
}
SCHEMA_FIELDS = {name for name, shown in FIELD_CLASSES.items() if shown == SCHEMA_FIELD}
FLOAT_NAMES = {"float", "builtins.float"}
FIX_COLUMN = "use Numeric(precision, scale) / DecimalField (PostgreSQL numeric), or an integer of cents"
FIX_ANNOTATION = "annotate with decimal.Decimal (or an int number of cents)"
FIX_FLOAT_CALL = "use Decimal(str(value)) (or int cents) instead of float()"
FLOAT_SPELLINGS = re.compile(r"(?i:float)|REAL|DOUBLE|Double")
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def money_words(name: str) -> list[str]:
    """The words of a snake_case or camelCase name, lower-cased."""
    return [w.lower() for part in name.split("_") for w in WORD.findall(part)]


def is_money_name(name: str | None, money_context: bool = True) -> bool:
    """Whether ``name`` names money; words that also name quantities (amount, total,
    balance, charge) count only in a ``money_context``."""
    if not name:
        return False
    words = money_words(name)
    measures = NOT_MONEY_WORDS - BOUND_WORDS if not CURRENCY_UNITS.isdisjoint(words) else NOT_MONEY_WORDS
    if (any(w in measures for w in words) or _names_a_precision(words) or _names_a_unit_rate(words)
            or _names_a_planner_cost(words)):
        return False
    money = [w for w in words if w in MONEY_WORDS]
    return bool(money) and (money_context or any(w not in AMBIGUOUS_WORDS for w in money))


def _names_a_precision(words: list[str]) -> bool:
    """``amount_precision``, ``get_precision_price``; not ``amount_to_contract_precision``, a conversion."""
    return any(w == PRECISION and "to" not in words[:i] for i, w in enumerate(words))


# What a query planner's (or a search's) cost weighs, in its own abstract units: PostgreSQL's
# ``random_page_cost``, ``seq_page_cost``, ``cpu_tuple_cost``, ``cpu_operator_cost``, ``parallel_setup_cost``,
# ``jit_above_cost``.
PLANNER_UNITS = {"page", "pages", "tuple", "tuples", "operator", "seq", "random", "parallel", "jit"}


def _names_a_planner_cost(words: list[str]) -> bool:
    """``random_page_cost``, ``cpu_tuple_cost``: a planner setting, not money (unless a currency is named)."""
    return (not COST_WORDS.isdisjoint(words) and not PLANNER_UNITS.isdisjoint(words)
            and CURRENCY_UNITS.isdisjoint(words))


# Units of metered usage a price is quoted per (``input_cost_per_token``, ``price_per_1k_tokens``).
METERED_UNITS = {"token", "tokens", "1k", "1m", "thousand", "million", "mtok",
                 "character", "characters", "char", "chars", "image", "images"}


def _names_a_unit_rate(words: list[str]) -> bool:
    """``input_cost_per_token``, ``cost_per_1k_tokens``: a fraction of a cent per unit of usage, as
    pricing tables (LiteLLM's) publish it, which the code multiplies by a usage count; not ``price_per_unit``."""
    return any(w == "per" and not METERED_UNITS.isdisjoint(words[i + 1:]) for i, w in enumerate(words))


def _reads_a_rate(value: ast.expr) -> bool:
    """Whether an expression reads a unit rate: ``info.get("input_cost_per_token") or 0.0``, ``model.cost_per_token``
    (not a call of a function so named, which may return a cost)."""
    called = {id(n.func) for n in walk_nodes(value) if isinstance(n, ast.Call)}
    return any(id(n) not in called and _is_rate_name(string_value(n) if isinstance(n, ast.Constant) else _target_name(n))
               for n in walk_nodes(value) if isinstance(n, (ast.Constant, ast.Name, ast.Attribute)))


def _is_rate_name(name: str | None) -> bool:
    return bool(name) and _names_a_unit_rate(money_words(name))


def _rate_bound_names(fn: ast.AST) -> set[str]:
    """The names a function binds to a unit rate: read from one (``p_cost = float(info["input_cost_per_token"])``)
    or stored as one (``{"input_cost_per_token": input_cost}``, ``add_pricing(cost_per_token=input_cost)``)."""
    bound: set[str] = set()
    for node in walk_function_body(fn):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _reads_a_rate(node.value):
                bound.update(t.id for t in targets if isinstance(t, ast.Name))
            if isinstance(node.value, ast.Name) and any(_is_rate_name(_target_name(t)) for t in targets):
                bound.add(node.value.id)
        elif isinstance(node, ast.Dict):
            bound.update(v.id for k, v in zip(node.keys, node.values)
                         if isinstance(v, ast.Name) and _is_rate_name(string_value(k)))
        elif isinstance(node, ast.keyword) and isinstance(node.value, ast.Name) and _is_rate_name(node.arg):
            bound.add(node.value.id)
    return bound


_RATE_NAMES = "_float_money_rate_names"  # cache on the function node


def _holds_a_rate(module: SourceModule, node: ast.AST, name: str | None) -> bool:
    """Whether ``name``, at ``node``, is a name its function binds to a unit rate."""
    fn = enclosing_function(module, node)
    if fn is None or not name:
        return False
    if _RATE_NAMES not in fn.__dict__:
        fn.__dict__[_RATE_NAMES] = _rate_bound_names(fn)
    return name in fn.__dict__[_RATE_NAMES]


def mentions_money(tree: ast.AST) -> bool:
    """Whether a file's names or strings (not its comments) speak of money beyond the
    ambiguous words: prices, costs, currency, Decimal..."""
    for node in walk_nodes(tree):
        if isinstance(node, ast.Name):
            word = node.id
        elif isinstance(node, ast.Attribute):
            word = node.attr
        elif isinstance(node, ast.arg):
            word = node.arg
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            word = node.name
        elif isinstance(node, ast.alias):
            word = node.asname or node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            word = node.value
        else:
            continue
        if not MONEY_CUES.isdisjoint(money_words(word)):
            return True
    return False


@rule("T.float-money", on="project", scope="code+db", severity="high")
def check_code(project: Project) -> Iterator[Finding]:
    found = [f for module in project.modules for f in _module_findings(module, project)]
    exact = _exact_money_columns(project)
    if exact:
        yield from _decimals_rendered_as_float(project, exact)
    columns = {m.group(1) for f in found if (m := FLOAT_COLUMN_MESSAGE.match(f.message))}
    if columns:
        found += [f for module in project.modules for f in _truncated_cents(module, project, columns)]
    if not exact or not found or columns:
        yield from _schema_fields_grouped(found)
        return
    yield _handled_as_float(found, exact)


def _schema_fields_grouped(found: list[Finding]) -> Iterator[Finding]:
    """The marshmallow ``Float`` money fields of one file as one finding at the first: the file's schemas
    (often a public API's) parse or render every amount as a JSON float, one choice to revisit there."""
    by_path: dict[str | None, list[Finding]] = {}
    for finding in found:
        if finding.message.endswith(SCHEMA_FIELD):
            by_path.setdefault(finding.path, []).append(finding)
        else:
            yield finding
    for fields in by_path.values():
        if len(fields) == 1:
            yield fields[0]
            continue
        fields.sort(key=lambda f: f.line or 0)
        names = list(dict.fromkeys(m.group(1) for f in fields if (m := FLOAT_COLUMN_MESSAGE.match(f.message))))
        yield code_base_finding(
            fields[0], [f"{f.path}:{f.line}" for f in fields],
            f"{len(fields)} money fields of this file's schemas and arguments are marshmallow fields.Float (lines "
            f"{shown_places([str(f.line) for f in fields])}: {shown_places(names)}): every amount is parsed "
            "or rendered as a binary float",
            "use fields.Decimal(as_string=True) (or integer cents) for amounts; keep Float for measures")


EQUALITY = "is compared for equality"
FLOAT_COLUMN_MESSAGE = re.compile(r"money column '(\w+)' is a ")


def _truncated_cents(module: SourceModule, project: Project, columns: set[str]) -> Iterator[Finding]:
    """``int(order.amount * 100)`` of a float money column: ``int`` truncates, and 0.29 * 100 is
    28.999999999999996, so the provider is sent 28 cents."""
    if runs_offline(module, project) or "100" not in module.text:
        return
    for node in walk_nodes(module.tree):
        if not (isinstance(node, ast.Call) and call_name(module, node) in INT_NAMES and len(node.args) == 1
                and isinstance(node.args[0], ast.BinOp) and isinstance(node.args[0].op, ast.Mult)):
            continue
        product = node.args[0]
        for factor, other in ((product.left, product.right), (product.right, product.left)):
            if isinstance(factor, ast.Constant) and factor.value in (100, 100.0) \
                    and isinstance(other, (ast.Attribute, ast.Name, ast.Subscript)) and _target_name(other) in columns:
                yield _finding(module, node, f"int() truncates the float money value {_target_name(other)!r} times 100 "
                               "to cents: 0.29 * 100 is 28.999..., so 28 cents", FIX_TRUNCATION)
                break


INT_NAMES = {"int", "builtins.int"}
FIX_TRUNCATION = "round(value * 100) at the least; better keep the amount as Decimal or int cents throughout"


def _decimals_rendered_as_float(project: Project, exact: list[str]) -> Iterator[Finding]:
    """``REST_FRAMEWORK = {"COERCE_DECIMAL_TO_STRING": False}`` in a code base that stores its money in
    ``DecimalField``s: every serializer renders those amounts as JSON floats, so each client reads binary
    floats of exact values."""
    for module in project.modules:
        if "COERCE_DECIMAL_TO_STRING" not in module.text or runs_offline(module, project):
            continue
        for node in walk_nodes(module.tree):
            if isinstance(node, ast.Dict):
                pairs = zip(node.keys, node.values)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
                pairs = [(node.targets[0].slice, node.value)]
            else:
                continue
            for key, value in pairs:
                if key is not None and string_value(key) == "COERCE_DECIMAL_TO_STRING" \
                        and isinstance(value, ast.Constant) and value.value is False:
                    yield _finding(module, key, "COERCE_DECIMAL_TO_STRING=False makes Django REST framework render "
                                   f"the money stored exactly ({len(exact)} Numeric column(s): {shown_places(exact)}) "
                                   "as JSON floats", "leave COERCE_DECIMAL_TO_STRING on (amounts as strings) or render "
                                   "integer cents", Confidence.medium)


def _handled_as_float(found: list[Finding], exact: list[str]) -> Finding:
    """One finding for a code base that stores its money exactly (``Numeric`` columns, no float
    column) and handles it as float in its schemas and arithmetic: the column rounds every value it
    is given, so the floats are one choice of the code base, not a stored error per line."""
    # anchored at the first float the code keeps; comparisons for equality are listed after it
    ordered = sorted(found, key=lambda f: (EQUALITY in f.message, f.path or "", f.line or 0))
    first = ordered[0]
    places = [f"{f.path}:{f.line}" for f in ordered]
    others = f" and {len(places) - 1} more places ({shown_places(places[1:])})" if len(places) > 1 else ""
    return code_base_finding(
        first, places,
        f"money is stored exactly ({len(exact)} Numeric column(s): {shown_places(exact)}) but the code handles "
        f"it as float here{others}: {first.message}; sums and conversions in float drift by fractions of a cent "
        "before the column rounds them",
        "carry Decimal from the columns through the schemas (condecimal / Decimal fields) and the arithmetic; "
        "convert to float only for display",
    )


EXACT_COLUMN_TYPES = {"Numeric", "NUMERIC", "DECIMAL", "Decimal"}


def _exact_money_columns(project: Project) -> list[str]:
    """Money-named ORM columns of an exact type: SQLAlchemy ``Numeric``/``DECIMAL``, Django ``DecimalField``."""
    flask_sqlalchemy = project.imports_anywhere("flask_sqlalchemy")
    places: list[str] = []
    for module in project.modules:
        if runs_offline(module, project) or not re.search(r"Numeric|NUMERIC|DECIMAL|DecimalField", module.text):
            continue
        for node in walk_nodes(module.tree):
            if not (isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call)):
                continue
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            name = _target_name(target) or _column_name_argument(node.value)
            if is_money_name(name) and _exact_column(module, node.value, flask_sqlalchemy):
                places.append(f"{module.path}:{node.lineno}")
    return places


def _exact_column(module: SourceModule, call: ast.Call, flask_sqlalchemy: bool) -> bool:
    name = call_name(module, call) or ""
    owner, _, last = name.rpartition(".")
    if last == "DecimalField" and name.startswith(("django.", "peewee.")):
        return True
    if last not in ("Column", "mapped_column") or not (
            name.startswith(SQLALCHEMY_PREFIXES) or (flask_sqlalchemy and owner and owner not in module.imports)):
        return False
    for arg in call.args:
        type_name = qualified(module, arg.func if isinstance(arg, ast.Call) else arg) or ""
        type_owner, _, type_last = type_name.rpartition(".")
        if type_last in EXACT_COLUMN_TYPES and (type_name.startswith(SQLALCHEMY_PREFIXES) or (
                flask_sqlalchemy and type_owner and type_owner not in module.imports)):
            return True
    return False


def _module_findings(module: SourceModule, project: Project) -> Iterator[Finding]:
    if runs_offline(module, project) or not FLOAT_SPELLINGS.search(module.text):
        return
    flask_sqlalchemy = project.imports_anywhere("flask_sqlalchemy")
    reported: set[int] = set()
    for finding in _findings(module, flask_sqlalchemy, mentions_money(module.tree), _renamed_as_measures(project),
                             _used_names(project), project):
        if finding.line not in reported:
            reported.add(finding.line)
            yield finding


def _findings(module: SourceModule, flask_sqlalchemy: bool, money: bool,
              measures: frozenset[str], used: frozenset[str], project: Project) -> Iterator[Finding]:
    """``money``: whether the file speaks of money, which makes "amount" or "total" money too.
    ``measures``: attribute names the code itself renames to a rate or a percentage.
    ``used``: attribute names the code reads, sets or passes anywhere."""
    for node in walk_nodes(module.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if _usage_metric_cost(module, node, _target_name(node.targets[0])):
                continue
            if _target_name(node.targets[0]) in measures and isinstance(module.parents.get(node), ast.ClassDef):
                continue  # service_fee = Column(Float), read as fee_percentage = fees.service_fee
            yield from _assignment(module, _target_name(node.targets[0]), node.value, node, flask_sqlalchemy, money)
        elif isinstance(node, ast.AnnAssign):
            name = _target_name(node.target)
            if name in measures and isinstance(module.parents.get(node), ast.ClassDef):
                continue  # a field known to hold a rate; a local variable of that name is another value
            if _usage_metric_cost(module, node, name):
                continue
            if _unused_placeholder(module, node, name, used) or _holds_a_rate(module, node, name):
                continue
            if is_money_name(name, money and not _field_of_measure(module, node)) \
                    and _is_float_annotation(module, node.annotation):
                yield _finding(module, node, f"money value {name!r} is annotated as float", FIX_ANNOTATION)
            elif node.value is not None:
                yield from _assignment(module, name, node.value, node, flask_sqlalchemy, money)
        elif isinstance(node, FUNCTION_TYPES):
            yield from _function(module, node, money, project)
        elif isinstance(node, ast.Dict):  # Schema.from_dict({"amount": fields.Float()}), webargs arguments
            for key, value in zip(node.keys, node.values):
                if key is not None and isinstance(value, ast.Call) and call_name(module, value) in SCHEMA_FIELDS:
                    yield from _assignment(module, string_value(key), value, value, flask_sqlalchemy, money)
        elif isinstance(node, ast.keyword) and node.arg and isinstance(module.parents.get(node), ast.Call):
            yield from _assignment(module, node.arg, node.value, node.value, flask_sqlalchemy, money)  # Bill(amount=float(x))
        elif isinstance(node, ast.Call) and _is_float_call(module, node):
            subject = _money_subject(node.args[0], money) or _money_field_read(node.args[0], _money_fields(project))
            parent = module.parents.get(node)
            if not subject or _for_display(module, node) or _holds_a_rate(module, node, subject) \
                    or _returned_for_minor_units(module, node, project):
                continue
            if isinstance(parent, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in parent.ops):
                yield _finding(module, node, f"float() of the money value {subject!r} {EQUALITY}: "
                               "floats of equal amounts can differ in their last bit", FIX_FLOAT_CALL)
            elif not isinstance(parent, ast.Compare):
                # float(a) < float(b): only the order of two amounts is read, no float is kept
                yield _finding(module, node, f"float() of the money value {subject!r}", FIX_FLOAT_CALL)


MINOR_UNITS = "T.float-money:rounded-to-minor-units"
MINOR_UNIT_SCALE = 100  # cents; micros (1_000_000) and mills pass too


def _rounded_to_minor_units(project: Project, function: str) -> bool:
    """Whether every call of ``function`` in the project (one at least) keeps its result in a name the caller
    rounds to an integer of minor units before using it (``cost_usd = extract_cost(...)``, then
    ``round(cost_usd * 1_000_000)`` for an integer ledger of micros): the float is a reading of a source that
    reports floats (LiteLLM's ``response_cost``), and no amount is kept in it."""
    known = project.facts.setdefault(MINOR_UNITS, {})
    if function not in known:
        calls = [(m, c) for m in project.modules if f"{function}(" in m.text and not is_test_module(m)
                 for c in m.nodes_of(ast.Call) if _target_name(c.func) == function]
        known[function] = bool(calls) and all(_result_rounded(m, c) for m, c in calls)
    return known[function]


def _result_rounded(module: SourceModule, call: ast.Call) -> bool:
    assign = module.parents.get(call)
    if not (isinstance(assign, ast.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Name)):
        return False
    name = assign.targets[0].id
    scope = enclosing_function(module, call) or module.tree
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "round" and n.args
               and isinstance(product := n.args[0], ast.BinOp) and isinstance(product.op, ast.Mult)
               and {_scaled_name(product.left), _scaled_name(product.right)} >= {name, MINOR_UNIT_SCALE}
               for n in walk_nodes(scope))


def _scaled_name(node: ast.expr) -> str | int | None:
    """A factor of ``round(x * 1_000_000)``: the name, or ``MINOR_UNIT_SCALE`` for a whole scale of 100 or more."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= MINOR_UNIT_SCALE:
        return MINOR_UNIT_SCALE
    return None


def _returned_for_minor_units(module: SourceModule, call: ast.Call, project: Project) -> bool:
    """``float(...)`` in a function whose callers all round its result to minor units, returned by it (directly,
    or through the name it returns: ``value = float(cost)``, ``return value``)."""
    fn = enclosing_function(module, call)
    if fn is None or not _rounded_to_minor_units(project, fn.name):
        return False
    statement = next(a for a in ancestors(module, call) if isinstance(a, ast.stmt))
    if isinstance(statement, ast.Return):
        return True
    returned = {n.value.id for n in walk_function_body(fn) if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
    return isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id in returned for t in statement.targets)


USED_NAMES = "T.float-money:used-names"


def _used_names(project: Project) -> frozenset[str]:
    """Every attribute the project reads or sets (``result.cost``), every keyword it passes (``cost=...``)
    and every string it spells (``data["cost"]``, ``getattr(r, "cost")``): the names a field may be used by."""
    if USED_NAMES not in project.facts:
        project.facts[USED_NAMES] = frozenset(
            n.attr if isinstance(n, ast.Attribute) else n.arg if isinstance(n, ast.keyword) else n.value
            for module in project.modules for n in walk_nodes(module.tree)
            if isinstance(n, ast.Attribute) or isinstance(n, ast.keyword) and n.arg
            or isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier())
    return project.facts[USED_NAMES]


def _unused_placeholder(module: SourceModule, node: ast.AnnAssign, name: str | None, used: frozenset[str]) -> bool:
    """``cost: float = 0.0`` in a class of its own (a dataclass, no base that parses data into it) that nothing
    sets, reads or passes by name: a placeholder no money flows through."""
    owner = module.parents.get(node)
    return isinstance(owner, ast.ClassDef) and not owner.bases and isinstance(node.value, ast.Constant) \
        and name not in used


RENAMED_AS_MEASURES = "T.float-money:renamed-as-measures"


def _renamed_as_measures(project: Project) -> frozenset[str]:
    """Money-named attributes the project reads into a name that says what they measure
    (``fee_percent = settings.service_fee`` shows that ``service_fee`` is a percentage), and
    the fields it fills from them (``Public(serviceFee=settings.service_fee)`` fills the field
    ``service_fee: float = Field(alias="serviceFee")`` with that percentage)."""
    if RENAMED_AS_MEASURES not in project.facts:
        trees = [m.tree for m in project.modules if not is_test_module(m)]
        renamed: set[str] = set()
        for node in (n for tree in trees for n in walk_nodes(tree)):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Attribute) and is_money_name(node.value.attr) \
                    and any(w in NOT_MONEY_WORDS for w in money_words(node.targets[0].id)):
                renamed.add(node.value.attr)
        filled = {kw.arg for tree in trees for n in walk_nodes(tree) if isinstance(n, ast.Call) for kw in n.keywords
                  if kw.arg and isinstance(kw.value, ast.Attribute) and kw.value.attr in renamed}
        for node in (n for tree in trees for n in walk_nodes(tree)):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                    and isinstance(node.value, ast.Call) and string_value(keyword(node.value, "alias")) in filled:
                renamed.add(node.target.id)
        project.facts[RENAMED_AS_MEASURES] = frozenset(renamed | filled)
    return project.facts[RENAMED_AS_MEASURES]


# Words of the fields that record an LLM or API call's usage: token counts and latency.
USAGE_WORDS = {"tokens", "latency", "latencies"}
COST_WORDS = {"cost", "costs"}


def _usage_metric_cost(module: SourceModule, node: ast.stmt, name: str | None) -> bool:
    """A cost field of a record of usage metrics, a class that also counts tokens or measures latency
    (``cost: float`` beside ``total_tokens: int`` and ``latency: float`` in a tracing span's metrics):
    an estimate of what the calls cost, summed for dashboards like the other metrics, not an amount
    charged or paid."""
    owner = module.parents.get(node)
    if not isinstance(owner, ast.ClassDef) or COST_WORDS.isdisjoint(money_words(name or "")):
        return False
    fields = [_target_name(st.target) if isinstance(st, ast.AnnAssign) else _target_name(st.targets[0])
              for st in owner.body if isinstance(st, ast.AnnAssign) or isinstance(st, ast.Assign) and len(st.targets) == 1]
    return any(not USAGE_WORDS.isdisjoint(money_words(field or "")) for field in fields)


def _field_of_measure(module: SourceModule, node: ast.stmt) -> bool:
    """A field of a class whose name says it counts or measures something else
    (``PaymentCountStat``, ``WeightLog``): its "total" or "amount" is of that."""
    owner = module.parents.get(node)
    return isinstance(owner, ast.ClassDef) and any(w in NOT_MONEY_WORDS for w in money_words(owner.name))


def _assignment(module: SourceModule, name: str | None, value: ast.expr, node: ast.stmt,
                flask_sqlalchemy: bool, money: bool) -> Iterator[Finding]:
    if not isinstance(value, ast.Call):
        return
    column_type = _float_column_type(module, value, flask_sqlalchemy)
    if column_type and is_money_name(name or _column_name_argument(value), money):
        shown = name or _column_name_argument(value)
        yield _finding(module, node, f"money column {shown!r} is a {column_type}", FIX_COLUMN)
    elif is_money_name(name, money) and _is_float_call(module, value) and not _money_subject(value.args[0], money) \
            and not _non_finite(value) and not _holds_a_rate(module, node, name):
        yield _finding(module, node, f"money value {name!r} is converted with float()", FIX_FLOAT_CALL,
                       Confidence.medium)


def _function(module: SourceModule, fn: ast.FunctionDef | ast.AsyncFunctionDef, money: bool,
              project: Project) -> Iterator[Finding]:
    arguments = fn.args
    for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        if arg.annotation is not None and is_money_name(arg.arg, money) and _is_float_annotation(module, arg.annotation) \
                and not _holds_a_rate(module, arg, arg.arg):
            yield _finding(module, arg, f"money parameter {arg.arg!r} is annotated as float", FIX_ANNOTATION)
    if fn.returns is not None and is_money_name(fn.name, money) and _is_float_annotation(module, fn.returns) \
            and not _rounded_to_minor_units(project, fn.name):
        yield Finding(
            message=f"{fn.name}() returns money as float", path=module.path, line=fn.returns.lineno,
            end_line=fn.returns.end_lineno, evidence=module.evidence(fn.returns), fix=FIX_ANNOTATION,
            confidence=Confidence.medium,
        )


def _finding(module: SourceModule, node: ast.AST, message: str, fix: str,
             confidence: Confidence = Confidence.high) -> Finding:
    return Finding(message=message, path=module.path, line=node.lineno, end_line=node.end_lineno,
                   evidence=module.evidence(node), fix=fix, confidence=confidence)


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return string_value(target.slice)
    return None


def _money_subject(node: ast.expr, money: bool) -> str | None:
    """The money name a value is read from: ``price``, ``order.total``, ``row["fee"]``, ``d.get("amount")``,
    a form field's value ``form.amount.data``."""
    name: str | None = None
    if isinstance(node, ast.Attribute) and node.attr == "data" and isinstance(node.value, ast.Attribute):
        node = node.value  # WTForms: the field is named for what it holds
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        name = _target_name(node)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        name = string_value(node.args[0])
    return name if is_money_name(name, money) else None


MONEY_FIELDS = "T.float-money:money-fields"
MONEY_FIELD_CLASSES = {"djmoney.models.fields.MoneyField", "djmoney.models.fields.Money", "djmoney.money.Money"}


def _money_fields(project: Project) -> frozenset[str]:
    """The fields the project's models declare as django-money ``MoneyField``s: money whatever their name says
    (``amount_offered``, read as ``project.amount_offered.amount``)."""
    if MONEY_FIELDS not in project.facts:
        project.facts[MONEY_FIELDS] = frozenset(
            name for module in project.modules if "MoneyField" in module.text and not runs_offline(module, project)
            for node in module.nodes_of(ast.Assign)
            if isinstance(node.value, ast.Call) and call_name(module, node.value) in MONEY_FIELD_CLASSES
            and isinstance(module.parents.get(node), ast.ClassDef) and (name := _target_name(node.targets[0])))
    return project.facts[MONEY_FIELDS]


def _money_field_read(node: ast.expr, fields: frozenset[str]) -> str | None:
    """The ``MoneyField`` a value is read from: ``project.amount_offered`` or its ``.amount`` (the Decimal)."""
    if isinstance(node, ast.Attribute) and node.attr == "amount" and isinstance(node.value, ast.Attribute):
        node = node.value
    return node.attr if isinstance(node, ast.Attribute) and node.attr in fields else None


# Calls that show a value to people or serialize it as a response: logs, prints, templates, JSON responses.
DISPLAY_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print", "format",
                 "render", "render_template", "render_to_response", "TemplateResponse", "jsonify", "JsonResponse",
                 "Response", "make_response"}


def _for_display(module: SourceModule, call: ast.Call) -> bool:
    """``float(x)`` whose value is only shown or serialized for output, never computed with: a value of a
    dict literal (a response, a chart's data, a template's context) unless the dict is handed to a call
    that sends it elsewhere (``requests.post(url, json={...})``), an f-string, ``"%.2f" % float(x)``, an
    argument of a log, ``print``, ``format`` or template call."""
    node, parent = call, module.parents.get(call)
    if isinstance(parent, ast.FormattedValue) or isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod) \
            and parent.right is node and string_value(parent.left) is not None:
        return True
    if isinstance(parent, ast.Tuple):
        node, parent = parent, module.parents.get(parent)  # "%s %s" % (a, float(x)), log.info("%s", (...))
    if isinstance(parent, ast.Dict) and node in parent.values:
        node, parent = parent, module.parents.get(parent)
        if not isinstance(parent, (ast.Call, ast.keyword)):
            return True
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod) and string_value(parent.left) is not None:
        return True
    if isinstance(parent, ast.keyword):
        node, parent = parent, module.parents.get(parent)
    return isinstance(parent, ast.Call) and node is not parent.func \
        and (dotted(parent.func) or "").rsplit(".", 1)[-1] in DISPLAY_CALLS


NON_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan"}


def _non_finite(call: ast.Call) -> bool:
    """``float("-inf")``: a sentinel that any amount beats in ``max()``, not an amount held as float."""
    return (string_value(call.args[0]) or "").strip().lower() in NON_FINITE


def _is_float_call(module: SourceModule, call: ast.Call) -> bool:
    return call_name(module, call) in FLOAT_NAMES and len(call.args) == 1 and not call.keywords


def _is_float_annotation(module: SourceModule, annotation: ast.expr) -> bool:
    """``float``, ``Optional[float]``, ``float | None``, ``Mapped[float]``, ``"float"``."""
    annotation = annotation_expr(annotation)
    if isinstance(annotation, ast.Name):
        return annotation.id == "float"
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        return any(_is_float_annotation(module, s) for s in sides) and all(
            _is_float_annotation(module, s) or _is_none_type(s) for s in sides)
    if isinstance(annotation, ast.Subscript):
        wrapper = (qualified(module, annotation.value) or "").rsplit(".", 1)[-1]
        if wrapper in ("Optional", "Mapped", "Annotated", "Final", "ClassVar"):
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return _is_float_annotation(module, first)
        if wrapper == "Union" and isinstance(annotation.slice, ast.Tuple):
            members = annotation.slice.elts
            return any(_is_float_annotation(module, m) for m in members) and all(
                _is_float_annotation(module, m) or _is_none_type(m) for m in members)
    return False


def _is_none_type(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and node.value is None) or (isinstance(node, ast.Name) and node.id == "None")


def _float_column_type(module: SourceModule, call: ast.Call, flask_sqlalchemy: bool) -> str | None:
    """The float type named by a column or field constructor, e.g. ``Float`` for ``Column(Float)``."""
    name = call_name(module, call) or ""
    if name in FIELD_CLASSES:
        return FIELD_CLASSES[name]
    owner, _, last = name.rpartition(".")
    if last in ("FloatField", "DoubleField") and name.startswith(("django.", "peewee.")):
        return last
    is_column = last in ("Column", "mapped_column") and (
        name.startswith(SQLALCHEMY_PREFIXES) or (flask_sqlalchemy and owner and owner not in module.imports))
    if not is_column:
        return None
    for arg in call.args:
        type_node = arg.func if isinstance(arg, ast.Call) else arg
        type_name = qualified(module, type_node) or ""
        type_owner, _, type_last = type_name.rpartition(".")
        if type_last not in FLOAT_COLUMN_TYPES:
            continue
        if type_name.startswith(SQLALCHEMY_PREFIXES) or (flask_sqlalchemy and type_owner and type_owner not in module.imports):
            return type_last
    return None


def _column_name_argument(call: ast.Call) -> str | None:
    """``Column("unit_price", Float)`` names its column in the first argument."""
    return string_value(call.args[0]) if call.args else None


# -- database side ------------------------------------------------------------

from audit_lib.pg.ddl import ident, qualified_table  # noqa: E402  (database side appended to the code rule)
from audit_lib.pg.model import Catalog  # noqa: E402
from audit_lib.settings import Settings  # noqa: E402

FLOAT_COLUMN_TYPE_NAMES = {"float4", "float8"}


@rule("T.float-money", on="catalog", scope="code+db", severity="high", needs=("columns",))
def check_db(catalog: Catalog, settings: Settings) -> Iterator[Finding]:
    """`real` / `double precision` columns with money names."""
    for column in catalog.rows("columns"):
        if column["type_name"] not in FLOAT_COLUMN_TYPE_NAMES or not is_money_name(column["column"]):
            continue
        yield Finding(
            message=f"money column {column['table']}.{column['column']} is {column['type']} (binary float)",
            object=column["table"],
            columns=[column["column"]],
            evidence=f"{column['column']} {column['type']}",
            fix=(f"ALTER TABLE {qualified_table(column['table'])} ALTER COLUMN {ident(column['column'])} "
                 "TYPE numeric(12,2); (rewrites the table under an exclusive lock: plan the migration)"),
            confidence=Confidence.high,
        )
