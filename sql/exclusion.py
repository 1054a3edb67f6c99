"""EXCLUDE constraints: no two rows of a table whose keys, compared pairwise with the
constraint's operators, all say true (``EXCLUDE USING gist (c WITH &&)``: no two rows whose
``c`` overlap; ``EXCLUDE (f WITH =)`` is a unique constraint that ignores NULLs).

A constraint (``ConstraintDef`` kind "x") names its index, which holds the keys as written
(columns, expressions, the WHERE predicate a row must pass to take part, the access method)
and is kept per row as every index is (sql.access_methods); the constraint adds the operator
of each key. A row is checked against the table's other live rows by a scan of the table
(the index orders keys by db9's encoding, which no operator but = could search), when it is
written, or at the end of its statement or at commit for a DEFERRABLE constraint
(sql.unique_checks holds its wait). A NULL key, or an operator that yields NULL, conflicts
with nothing, as in PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import sqlglot

from sql import index_exprs
from sql import types as T
from sql.catalog import ConstraintDef, TableDef
from sql.errors import ExclusionViolation
from sql.expr import Compiler
from sql.layout import prefix_end
from sql.pg_dialect import DIALECT
from sql.rows import RowCodec
from sql.scope import Context, Fn, Scope, ScopeColumn
from sql.types import SqlType

Row = tuple[Any, ...]


def compile_operator(symbol: str, t: SqlType) -> Fn:
    """``a <symbol> b`` for two values of ``t``, as a function of the pair (42883 when the
    operator does not exist for ``t``, 42804 when it does not yield boolean)."""
    scope = Scope([ScopeColumn(None, "a", t), ScopeColumn(None, "b", t)])
    tree = sqlglot.parse_one(f"a {symbol} b", read=DIALECT)
    fn: Fn = Compiler(scope, Context())._bool(tree).fn
    return fn


class Exclusion:
    """One EXCLUDE constraint of a table, compiled against the table's columns."""

    def __init__(self, table: TableDef, con: ConstraintDef) -> None:
        index = table.index(con.index or "")
        assert index is not None, con.index
        self.con, self.index = con, index
        self.keys, self.pred = index_exprs.compile_index(table, index)
        self.ops = [
            compile_operator(op, t) for op, (_, t) in zip(con.operators, self.keys, strict=True)
        ]
        self.names = [
            c or f"({e})"
            for c, e in zip(index.columns, index.exprs or [""] * len(index.columns), strict=True)
        ]

    def key(self, row: Row) -> list[Any] | None:
        """The row's keys; None when the predicate leaves it out."""
        if self.pred is not None and self.pred(row) is not True:
            return None
        return [fn(row) for fn, _ in self.keys]

    def find(self, txn: Any, codec: RowCodec, row: Row) -> Row | None:
        """A stored row other than ``row`` that ``row`` conflicts with, if there is one."""
        mine = self.key(row)
        if mine is None or None in mine:
            return None
        own = codec.key(row)
        for key, raw in txn.iter_scan(codec.prefix, prefix_end(codec.prefix)):
            if key == own:
                continue
            other = codec.decode_value(raw)
            theirs = self.key(other)
            if theirs is None:
                continue
            if all(op((t, m)) is True for op, t, m in zip(self.ops, theirs, mine, strict=True)):
                return other
        return None

    def _shown(self, keys: list[Any]) -> str:
        cols = ", ".join(self.names)
        values = ", ".join(
            "null" if v is None else str(T.format_value(v, t))
            for v, (_, t) in zip(keys, self.keys, strict=True)
        )
        return f"({cols})=({values})"

    def error(self, row: Row, other: Row) -> ExclusionViolation:
        return ExclusionViolation(
            f'conflicting key value violates exclusion constraint "{self.con.name}"',
            detail=f"Key {self._shown(self.key(row) or [])} conflicts with existing key "
            f"{self._shown(self.key(other) or [])}.",
        )

    def validate(self, txn: Any, codec: RowCodec) -> None:
        """ALTER TABLE ADD EXCLUDE: 23P01 when two stored rows conflict."""
        for _, raw in txn.iter_scan(codec.prefix, prefix_end(codec.prefix)):
            row = codec.decode_value(raw)
            other = self.find(txn, codec, row)
            if other is not None:
                raise ExclusionViolation(
                    f'could not create exclusion constraint "{self.con.name}"',
                    detail=f"Key {self._shown(self.key(row) or [])} conflicts with key "
                    f"{self._shown(self.key(other) or [])}.",
                )
