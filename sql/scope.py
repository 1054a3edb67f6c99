"""What a compiled expression is and what it sees: the columns of its input rows (``Scope``),
the compiled closure with its SQL type (``Typed``), and the planning context (``Context``).

A row is a plain tuple; a ``Scope`` maps column names to positions in it, once, at plan time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlglot import exp

from sql.errors import AmbiguousColumn
from sql.session_api import SessionApi
from sql.types import SqlType

Row = tuple[Any, ...]
Fn = Callable[[Row], Any]
# The meta key of a column * expanded to whose name is not unique in its scope (the columns
# of ``unnest(a, b)``): its position there, which the compiler reads instead of the name.
STAR_POSITION = "db9_star_position"


@dataclass(frozen=True)
class ScopeColumn:
    table: str | None  # the alias or table name that qualifies it
    name: str
    type: SqlType
    hidden: bool = False  # not expanded by *
    # Resolved only qualified (``a.x``) and not expanded by a bare *: a side's own copy of a
    # column that JOIN USING merged, or a column an aliased join hides (table None: never).
    qualified_only: bool = False


@dataclass
class Scope:
    """The columns of the rows an expression sees, in tuple order."""

    columns: list[ScopeColumn]
    outer: Scope | None = None  # for correlated subqueries: the enclosing query's row
    # The enclosing row is placed here at run time before the subquery runs; a compiled
    # outer reference reads it, and marks the subquery correlated (not cacheable).
    outer_cell: list[Any] = field(default_factory=lambda: [None])
    correlated: list[bool] = field(default_factory=lambda: [False])

    def resolve(self, name: str, table: str | None) -> tuple[int, SqlType] | None:
        hits = [
            i
            for i, c in enumerate(self.columns)
            if c.name == name and (c.table == table if table is not None else not c.qualified_only)
        ]
        if len(hits) > 1:
            raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
        if hits:
            return hits[0], self.columns[hits[0]].type
        return None

    def has_table(self, table: str) -> bool:
        return any(c.table == table for c in self.columns)


@dataclass
class Typed:
    fn: Fn
    type: SqlType
    const: bool = False  # depends on no column (can be evaluated once)
    name: str = "?column?"


@dataclass
class Context:
    """What compiling needs beyond the scope: parameters, subquery planning, aggregates."""

    params: list[Any] = field(default_factory=list)
    param_types: list[SqlType | None] = field(default_factory=list)
    plan_subquery: Callable[[exp.Expr, Scope], Any] | None = None
    # Aggregate calls already computed by an Aggregate node: expression sql -> tuple index.
    agg_slots: dict[str, tuple[int, SqlType]] | None = None
    group_slots: dict[str, tuple[int, SqlType]] | None = None
    # An expression's text with its columns resolved in the grouped query's FROM (so
    # ``t.a % 2`` and ``a % 2`` are the same GROUP BY key), when group_slots is set.
    group_text: Callable[[exp.Expr], str] | None = None
    session: SessionApi | None = None
    # While a subquery is planned: the enclosing query's aggregate calls written in it
    # (sql.plan.outer_aggregates), expression sql -> index in the enclosing query's row.
    outer_aggs: dict[str, tuple[int, SqlType]] | None = None
    # The data-modifying WITH queries of the statement's own WITH (sql.plan.nodes.RunOnce):
    # an INSERT / UPDATE / DELETE runs them first, each execution, read or not.
    writes: list[Any] = field(default_factory=list)
    # Plan-time constant folding (PostgreSQL's eval_const_expressions): on while a query or
    # DML statement is planned and outside arms that folding proves dead (CASE, AND, OR,
    # COALESCE), so an immutable operator over constants is computed once, at planning, and
    # its error raised even when no row is read. Off for DDL (defaults, CHECKs are not folded).
    fold: bool = False
    # The first error folding met: raised once the whole statement is bound (raise_folded),
    # so the errors of parse analysis (an unknown column) come first, as in PostgreSQL.
    fold_error: Exception | None = None

    def raise_folded(self) -> None:
        if self.fold_error is not None:
            raise self.fold_error


class ExprCompiler(Protocol):
    """What SQL functions need of the expression compiler (sql.expr.Compiler): their
    arguments compiled in the caller's scope, and the planning context."""

    ctx: Context

    def compile(self, e: exp.Expr) -> Typed: ...

    def common(self, es: list[exp.Expr]) -> list[Typed]: ...

    # ``t`` compiled from ``e``, an untyped parameter typed as ``context`` (``f($1)``)
    def _typed_like(self, e: exp.Expr, t: Typed, context: SqlType) -> Typed: ...
