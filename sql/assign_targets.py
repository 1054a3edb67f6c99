"""Assignment targets with indirection: ``a[i]``, ``a[i:j]``, ``a[i][j]`` as INSERT's column
list and UPDATE's SET items name them. A target is a column and the subscripts applied to it
(sql.array_assign does the assigning). In INSERT, every subscripted target of one column starts
from NULL and the targets apply in the order listed, as PostgreSQL's assignment indirection does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlglot import exp

from sql import array_assign
from sql import types as T
from sql.casts import assignable, coerce_to
from sql.catalog import TableDef
from sql.errors import (
    DatatypeMismatch,
    DuplicateColumn,
    FeatureNotSupported,
    NullValueNotAllowed,
    SyntaxError_,
)
from sql.expr import Compiler
from sql.scope import Typed

Row = tuple[Any, ...]
Part = Callable[[Row], array_assign.Subscript]


@dataclass
class Target:
    """One assignment target: ``name`` and its subscripts, outermost first (none: the column)."""

    name: str
    subscripts: list[exp.Expr]

    @property
    def sliced(self) -> bool:
        return any(isinstance(x, exp.Slice) for x in self.subscripts)


def target_of(e: exp.Expr) -> Target:
    """The target a column-list item or a SET item's left side names."""
    subscripts: list[exp.Expr] = []
    base = e
    while isinstance(base, exp.Bracket):
        if len(base.expressions) != 1:
            raise SyntaxError_('syntax error at or near ","')
        subscripts.insert(0, base.expressions[0])
        base = base.this
    if isinstance(base, exp.Dot) or (isinstance(base, exp.Column) and base.table):
        raise FeatureNotSupported("assignment to a field of a composite column is not supported")
    return Target(str(base.name), subscripts)


def value_type(table: TableDef, target: Target) -> T.SqlType:
    """The type a value assigned to ``target`` takes: the column's, or its element's for one
    element (a slice takes an array)."""
    col = table.column(target.name)
    if not target.subscripts:
        return col.type
    if col.type.element is None:
        raise DatatypeMismatch(
            f"cannot subscript type {col.type.display()} because it does not support subscripting"
        )
    return col.type if target.sliced else col.type.element


def assigned(target: Target, value: Typed, to: T.SqlType) -> Typed:
    """``value`` coerced to ``to`` for ``target``: 42804 where no assignment cast exists."""
    if not assignable(value.type, to):
        what = (
            f'subscripted assignment to "{target.name}" requires type'
            if target.subscripts
            else f'column "{target.name}" is of type'
        )
        raise DatatypeMismatch(
            f"{what} {to.display()} but expression is of type {value.type.display()}"
        )
    return coerce_to(value, to)


def subscript_parts(comp: Compiler, target: Target) -> list[Part]:
    """Each subscript of ``target`` as a function of the row (1-based positions; slices as
    ``(lower, upper)``, an omitted end None); a NULL subscript fails 22004 when evaluated."""
    # sqlglot makes a subscript 0-based (PostgreSQL's are 1-based); slice bounds it keeps.
    parts: list[Part] = []
    for x in target.subscripts:
        if isinstance(x, exp.Slice):
            lo, hi = (coerce_to(comp.compile(b), T.INT4).fn if b is not None else None
                      for b in (x.this, x.expression))  # fmt: skip
            parts.append(partial(_slice_bounds, lo, hi))
        else:
            parts.append(partial(_position, coerce_to(comp.compile(x), T.INT4).fn))
    return parts


def check_insert_targets(targets: list[Target]) -> None:
    """PostgreSQL's rule: a column named whole may be named once; subscripted, many times."""
    whole: set[str] = set()
    partial_: set[str] = set()
    for t in targets:
        if t.name in whole or (not t.subscripts and t.name in partial_):
            raise DuplicateColumn(f'column "{t.name}" specified more than once')
        (partial_ if t.subscripts else whole).add(t.name)


def combiner(
    targets: list[Target], names: list[str], parts: list[list[Part]]
) -> Callable[[list[Any]], list[Any]]:
    """A function from one value per target to one value per name of ``names`` (the distinct
    target columns in order): subscripted targets assigned in turn into a NULL start."""
    slots = [names.index(t.name) for t in targets]

    def combine(values: list[Any]) -> list[Any]:
        out: list[Any] = [None] * len(names)
        for slot, p, v in zip(slots, parts, values, strict=True):
            out[slot] = array_assign.assign(out[slot], [f(()) for f in p], v) if p else v
        return out

    return combine


def _position(at: Callable[[Row], Any], row: Row) -> int | None:
    i = at(row)
    return None if i is None else int(i) + 1


def _slice_bounds(
    lo: Callable[[Row], Any] | None, hi: Callable[[Row], Any] | None, row: Row
) -> tuple[int | None, int | None]:
    bounds = (lo(row) if lo else None, hi(row) if hi else None)
    if (lo is not None and bounds[0] is None) or (hi is not None and bounds[1] is None):
        raise NullValueNotAllowed("array subscript in assignment must not be null")
    return bounds
