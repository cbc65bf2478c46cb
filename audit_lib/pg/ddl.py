"""Writing the DDL that a fix proposes: quoted names, index names within PostgreSQL's limit."""

from __future__ import annotations

import re

MAX_IDENTIFIER = 63
_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
RESERVED = {"all", "and", "any", "array", "as", "asc", "both", "case", "check", "collate", "column",
            "constraint", "create", "default", "desc", "distinct", "do", "else", "end", "for",
            "foreign", "from", "grant", "group", "having", "in", "into", "is", "join", "limit",
            "not", "null", "offset", "on", "only", "or", "order", "primary", "references",
            "select", "table", "then", "to", "union", "unique", "user", "using", "when", "where",
            "with"}


def ident(name: str) -> str:
    """``name`` as an SQL identifier, quoted only when it must be."""
    if _PLAIN.match(name) and name not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified_table(table: str) -> str:
    """``schema.name`` (as the collectors write it) as a quoted SQL name."""
    schema, _, name = table.partition(".")
    return f"{ident(schema)}.{ident(name)}" if name else ident(schema)


def index_name(table: str, columns: list[str], suffix: str = "idx") -> str:
    base = "_".join([table.partition(".")[2] or table, *columns, suffix])
    base = re.sub(r"[^a-z0-9_]+", "_", base.lower()).strip("_")
    return base[:MAX_IDENTIFIER]


def create_index(table: str, columns: list[str], *, partitioned: bool = False) -> str:
    """The CREATE INDEX statement for ``columns`` of ``table``.

    CONCURRENTLY does not lock writes, but PostgreSQL refuses it on a partitioned
    table: there the index is created on each partition first, then on the parent.
    """
    cols = ", ".join(ident(c) for c in columns)
    name = ident(index_name(table, columns))
    target = qualified_table(table)
    if partitioned:
        return (f"CREATE INDEX {name} ON ONLY {target} ({cols}); then for each partition "
                f"CREATE INDEX CONCURRENTLY ... ({cols}) and ALTER INDEX {name} ATTACH PARTITION ...")
    return f"CREATE INDEX CONCURRENTLY {name} ON {target} ({cols});"
