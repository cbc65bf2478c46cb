"""R2.upsert-no-unique: an `INSERT ... ON CONFLICT (cols)` whose target matches no unique index.

## What it does
For each INSERT found in the code with an `ON CONFLICT (columns)` target, checks the
audited database: the target must match the columns (or expressions) of a valid
unique index or constraint of the table, and a partial unique index counts only when
the statement repeats its predicate (`ON CONFLICT (email) WHERE deleted_at IS NULL`).
`ON CONFLICT ON CONSTRAINT name` must name an existing constraint. The server's own
planning error ("no unique or exclusion constraint matching the ON CONFLICT
specification") is reported too. `ON CONFLICT DO NOTHING` without a target is fine.

## Why is this bad?
PostgreSQL refuses the statement at run time: the upsert that was meant to make the
write idempotent (R2) fails on every call, often only in the code path that retries.

## Example
```sql
INSERT INTO subscriptions (user_id, plan) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan;   -- no unique index on user_id
```

## Use instead
```sql
CREATE UNIQUE INDEX CONCURRENTLY subscriptions_user_id_key ON subscriptions (user_id);
```
"""

from __future__ import annotations

import re
from typing import Iterator

from sqlglot import exp

from audit_lib.findings import Confidence, Finding
from audit_lib.pg.ddl import ident, index_name, qualified_table
from audit_lib.pg.model import Catalog
from audit_lib.pg.plan_tree import located
from audit_lib.registry import rule
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery

NO_MATCH_ERROR = "no unique or exclusion constraint matching the on conflict specification"


@rule("R2.upsert-no-unique", on="plan", scope="sql+db", severity="high")
def check(query: FoundQuery, catalog: Catalog | None, settings: Settings) -> Iterator[Finding]:
    insert = query.statement
    if not isinstance(insert, exp.Insert) or catalog is None:
        return
    conflict = insert.args.get("conflict")
    if conflict is None:
        return
    table = _table(catalog, insert)
    server_refused = NO_MATCH_ERROR in (query.plan_error or "").lower()
    constraint = conflict.args.get("constraint")
    if constraint is not None:
        if not server_refused and any(i["constraint"] == constraint.name for i in catalog.rows("indexes")
                                      if table is None or i["table"] == table):
            return
        yield _finding(query, table, [], f"ON CONFLICT ON CONSTRAINT {constraint.name} names no constraint of "
                                         f"{table or 'the table'}", "declare the constraint or name the right one")
        return
    keys = conflict.args.get("conflict_keys") or []
    if not keys:
        return  # DO NOTHING without a target: any constraint counts
    target = [_sql(key.this if isinstance(key, exp.Ordered) else key) for key in keys]
    predicate = conflict.args.get("index_predicate")
    if not server_refused:
        if table is None or _matches(catalog, table, target, predicate):
            return
    columns = [t for t in target if re.fullmatch(r"\w+", t)]
    name = table or _table_name(insert)
    fix = (f"CREATE UNIQUE INDEX CONCURRENTLY {ident(index_name(name, columns, 'key'))} ON "
           f"{qualified_table(name)} ({', '.join(target)}); (after removing duplicates)")
    yield _finding(query, name, target,
                   f"ON CONFLICT ({', '.join(target)}) matches no unique index or constraint of {name}: "
                   "the statement fails at run time", fix, confirmed=server_refused)


def _finding(query: FoundQuery, table: str | None, target: list[str], message: str, fix: str, *,
             confirmed: bool = True) -> Finding:
    return located(query, message=message, object=table, columns=target or None,
                   evidence=" ".join(query.normalized.split())[:300], fix=fix,
                   confidence=Confidence.high if confirmed else Confidence.medium)


def _matches(catalog: Catalog, table: str, target: list[str], predicate: exp.Expression | None) -> bool:
    wanted = {_normal(t) for t in target}
    for index in catalog.rows("indexes"):
        if index["table"] != table or not index["is_unique"] or not index["valid"]:
            continue
        if {_normal(c) for c in index["columns"]} != wanted:
            continue
        if index["predicate"] is None or predicate is not None:
            return True  # a partial index needs a WHERE; whether it implies the predicate, the server judges
    return False


def _table(catalog: Catalog, insert: exp.Insert) -> str | None:
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    if not isinstance(target, exp.Table):
        return None
    names = [t["table"] for t in catalog.rows("tables")
             if t["name"] == target.name and (not target.db or t["schema"] == target.db)]
    if len(names) > 1:
        names = [n for n in names if n.startswith("public.")]
    return names[0] if len(names) == 1 else None


def _table_name(insert: exp.Insert) -> str:
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    return f"{target.db or 'public'}.{target.name}" if isinstance(target, exp.Table) else "the table"


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect="postgres")


def _normal(text: str) -> str:
    """Index column / predicate text compared loosely: case, spaces, casts and parentheses."""
    text = re.sub(r"::[\w ]+", "", text.lower())
    return re.sub(r"[\s()\"]", "", text)
