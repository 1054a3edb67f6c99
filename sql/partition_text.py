"""How a partition's bound and a partitioned table's key print (pg_get_expr of
relpartbound, pg_get_partkeydef): kept apart from sql.partitions, which compiles keys, so
the system catalogs can show them without importing the expression compiler."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from sql.catalog import TableDef
from sql.pg_dialect import DIALECT


def bound_sql(bound: dict[str, Any]) -> str:
    """pg_get_expr(relpartbound): FOR VALUES ... as PostgreSQL prints it."""
    kind = bound["kind"]
    if kind == "default":
        return "DEFAULT"
    if kind == "hash":
        return f"FOR VALUES WITH (modulus {bound['modulus']}, remainder {bound['remainder']})"

    plain = bound.get("plain") or []

    def lit(v: Any, n: int) -> str:
        if v is None:
            return "NULL"
        if v in ("MINVALUE", "MAXVALUE") or (n < len(plain) and plain[n]):
            return str(v)  # numbers print bare, as PostgreSQL deparses their constants
        return "'" + str(v).replace("'", "''") + "'"

    if kind == "list":
        return "FOR VALUES IN (" + ", ".join(lit(v, 0) for v in bound["values"]) + ")"
    return (
        "FOR VALUES FROM (" + ", ".join(lit(v, n) for n, v in enumerate(bound["from"]))
        + ") TO (" + ", ".join(lit(v, n) for n, v in enumerate(bound["to"])) + ")"
    )  # fmt: skip


def key_sql(table: TableDef) -> str:
    """pg_get_partkeydef."""
    assert table.partkey is not None
    keys = [k if table.has_column(k) else f"({deparsed(k)})" for k in table.partkey["keys"]]
    return f"{table.partkey['strategy'].upper()} ({', '.join(keys)})"


def deparsed(key: str) -> str:
    """An expression (a partition key, a generated column's) as PostgreSQL deparses it at
    the top: an operator's in parentheses."""
    tree = sqlglot.parse_one(key, read=DIALECT)
    return f"({key})" if isinstance(tree, exp.Binary) else key
