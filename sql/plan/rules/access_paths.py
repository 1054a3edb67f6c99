"""Access paths: a WHERE directly on a table scan may read less than the whole table.

Conditions ``column = value``, ``<``, ``<=``, ``>``, ``>=`` where the value mentions no
column of the query (a constant, a parameter, an outer reference) are candidates, taken
only when the value converts to the column's type without changing which rows it selects
(``_lossless``). In order of preference: equality on every primary-key column is a point
get (those conditions leave the filter); bounds on the leading primary-key column a range
scan; equality on the leading columns of an index an index scan; bounds on an index's
leading column an index range scan. Keys compare stored forms, so every condition but a
point get's stays in the filter for SQL's semantics.
"""

from __future__ import annotations

from sqlglot import exp

from sql.casts import coerce_to
from sql.catalog import TableDef
from sql.errors import FeatureNotSupported, UndefinedColumn, UndefinedTable
from sql.expr import Compiler
from sql.plan.nodes import IndexRangeScan, IndexScan, Node, PointGet, RangeScan, TableScan, Where
from sql.plan.rule import Binding
from sql.scope import Scope, Typed
from sql.types import SqlType


def choose_access_path(node: Node, binding: Binding) -> Node:
    """``Where(TableScan)`` may become ``Where`` over a point get, range or index scan, with
    the conditions the scan fully answers removed; other nodes stay as they are."""
    if not isinstance(node, Where) or not isinstance(node.child, TableScan):
        return node
    path, conds = _access_path(binding, node.child, node.conds, node.bound_in)
    return Where(path, conds, node.bound_in)


def _access_path(
    binding: Binding, scan: TableScan, conds: list[exp.Expr], scope: Scope
) -> tuple[Node, list[exp.Expr]]:
    """Turn equalities on the primary key (or an index) into a point get or index scan."""
    table = scan.codec.table
    alias = scan.scope.columns[0].table if scan.scope.columns else table.name
    const = binding.compiler(
        Scope([], outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated)
    )
    eqs: dict[str, tuple[exp.Expr, Typed]] = {}
    bounds: list[tuple[exp.Expr, str, Typed, bool, bool]] = []  # cond, col, value, lower, incl
    flip: dict[type, type] = {
        exp.GT: exp.LT,
        exp.GTE: exp.LTE,
        exp.LT: exp.GT,
        exp.LTE: exp.GTE,
    }
    for c in conds:
        if type(c) in flip:
            for col, other, kind in (
                (c.this, c.expression, type(c)),
                (c.expression, c.this, flip[type(c)]),
            ):
                value = _key_value(const, table, alias, col, other, scope)
                if value is None:
                    continue
                lower = kind in (exp.GT, exp.GTE)
                inclusive = kind in (exp.GTE, exp.LTE)
                bounds.append((c, col.name, value, lower, inclusive))
                break
        if not isinstance(c, exp.EQ):
            continue
        for col, other in ((c.this, c.expression), (c.expression, c.this)):
            value = _key_value(const, table, alias, col, other, scope)
            if value is not None:
                eqs[col.name] = (c, value)
                break
    pk = table.primary_key
    if pk and all(k in eqs for k in pk):
        used = [eqs[k][0] for k in pk]
        node = PointGet(
            scan.codec,
            scan.scope,
            [eqs[k][1] for k in pk],
            " AND ".join(u.sql(dialect="postgres") for u in used),
        )
        return node, [c for c in conds if all(c is not u for u in used)]
    lead = [b for b in bounds if pk and b[1] == pk[0]]
    if lead and pk[0] not in eqs:
        rscan: Node = RangeScan(
            scan.codec,
            scan.scope,
            [(b[2], b[4]) for b in lead if b[3]],
            [(b[2], b[4]) for b in lead if not b[3]],
            " AND ".join(b[0].sql(dialect="postgres") for b in lead),
        )
        # Bounds compare stored forms; the predicates stay as a filter for SQL semantics.
        return rscan, conds
    for index in table.indexes:
        if index.primary or not index.columns or index.columns[0] not in eqs:
            continue
        prefix = []
        for col in index.columns:
            if col not in eqs:
                break
            prefix.append(col)
        used = [eqs[k][0] for k in prefix]
        iscan: Node = IndexScan(
            scan.codec,
            scan.scope,
            index,
            [eqs[k][1] for k in prefix],
            " AND ".join(u.sql(dialect="postgres") for u in used),
        )
        # Keep the predicates: the index compares stored forms, the filter SQL semantics.
        return iscan, conds
    for index in table.indexes:
        if index.primary or not index.columns or any(index.descending):
            continue
        ranged = [b for b in bounds if b[1] == index.columns[0]]
        if ranged:
            irange: Node = IndexRangeScan(
                scan.codec,
                scan.scope,
                index,
                [(b[2], b[4]) for b in ranged if b[3]],
                [(b[2], b[4]) for b in ranged if not b[3]],
                " AND ".join(b[0].sql(dialect="postgres") for b in ranged),
            )
            return irange, conds
    return scan, conds


def _key_value(
    const: Compiler,
    table: TableDef,
    alias: str | None,
    col: exp.Expr,
    other: exp.Expr,
    scope: Scope,
) -> Typed | None:
    """``other`` compiled as a key value of column ``col`` of the scanned table, or None when
    ``col`` is not such a column, ``other`` mentions a column of the query, cannot be compiled
    here, or would select other rows in the column's type."""
    if not (
        isinstance(col, exp.Column)
        and (not col.table or col.table == alias)
        and table.has_column(col.name)
    ) or _mentions_columns(other, scope):
        return None
    const._type_param(other, table.column(col.name).type)
    try:
        value = const.compile(other)
    except (UndefinedColumn, UndefinedTable, FeatureNotSupported):
        return None
    ctype = table.column(col.name).type
    if not _lossless(value.type, ctype):
        return None
    return coerce_to(value, ctype)


def _mentions_columns(e: exp.Expr, scope: Scope) -> bool:
    return any(True for _ in e.find_all(exp.Column, exp.Subquery, exp.Select))


def _lossless(value: SqlType, column: SqlType) -> bool:
    """Can a key bound of type ``value`` be converted to the column's type without changing
    which rows it selects? (5.5 as an integer bound would become 6.)"""
    if value.name == "unknown" or value.name == column.name:
        return True
    ints = ["smallint", "integer", "bigint"]
    if value.name in ints:
        if column.name == "numeric":
            return True
        return column.name in ints and ints.index(value.name) <= ints.index(column.name)
    if value.category == "S" and column.category == "S":
        return column.name in ("text", "character varying")
    return False
