"""Expression and partial indexes: an index whose key positions may be expressions of the
row (``IndexDef.exprs``) and whose entries exist only for rows matching a predicate
(``IndexDef.predicate``). Both are kept as SQL text in the catalog and compiled here against
the table's columns; the planner does not scan these indexes (``IndexDef.computed``), it
only keeps them current and lets unique ones enforce uniqueness.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from sql import rows
from sql.catalog import ConstraintDef, IndexDef, TableDef
from sql.expr import Compiler
from sql.plan.binder import table_scope
from sql.scope import Context, Fn
from sql.types import SqlType


def compile_index(table: TableDef, index: IndexDef) -> tuple[list[tuple[Fn, SqlType]], Fn | None]:
    """Per key position its value function and type, and the predicate (None: every row)."""
    comp = Compiler(table_scope(table, None), Context())
    keys = []
    for n, column in enumerate(index.columns):
        text = index.exprs[n] if index.exprs else ""
        typed = comp.compile(
            sqlglot.parse_one(text, read="postgres") if text else exp.column(column)
        )
        keys.append((typed.fn, typed.type))
    pred = None
    if index.predicate:
        pred = comp._bool(sqlglot.parse_one(index.predicate, read="postgres")).fn
    return keys, pred


rows.index_compiler = compile_index


def referenced_columns(index: IndexDef) -> set[str]:
    """Every column the index reads: its plain and INCLUDE columns and those its
    expressions and predicate name."""
    names = {c for c in (*index.columns, *index.include) if c}
    for text in [*index.exprs, index.predicate or ""]:
        if text:
            names |= {c.name for c in sqlglot.parse_one(text, read="postgres").find_all(exp.Column)}
    return names


def constraint_columns(con: ConstraintDef) -> set[str]:
    """Every column a constraint reads: its key columns and those its CHECK expression names
    (dropping any of them drops the constraint, as ALTER TABLE ... DROP COLUMN does)."""
    names = set(con.columns)
    if con.check:
        tree = sqlglot.parse_one(con.check, read="postgres")
        names |= {c.name for c in tree.find_all(exp.Column)}
    return names


def renamed_in(text: str, old: str, new: str, quote: bool = True) -> str:
    """An expression's SQL with column ``old`` renamed ``new`` (quoted always, or only when
    the name needs it)."""
    if not text:
        return text
    quoted = quote or not re.fullmatch(r"[a-z_][a-z0-9_$]*", new)

    def swap(node: exp.Expr) -> Any:
        if isinstance(node, exp.Column) and node.name == old:
            return exp.column(new, quoted=quoted)
        return node

    tree = sqlglot.parse_one(text, read="postgres").transform(swap)
    return str(tree.sql(dialect="postgres"))


def rename_column(index: IndexDef, old: str, new: str) -> None:
    """Rewrite the index's expressions and predicate for a renamed column."""
    index.exprs = [renamed_in(e, old, new) for e in index.exprs]
    if index.predicate:
        index.predicate = renamed_in(index.predicate, old, new)


def key_name(e: exp.Expr) -> str:
    """The name PostgreSQL gives an expression key in a generated index name."""
    if isinstance(e, exp.Column):
        return str(e.name)
    if isinstance(e, exp.Cast):  # PostgreSQL's FigureColname looks through a cast
        return key_name(e.this)
    if isinstance(e, exp.Anonymous):
        return str(e.name).lower()
    if isinstance(e, exp.Func) and not isinstance(e, exp.Binary | exp.Cast):
        return str(e.sql_name()).lower()
    return "expr"
