"""Join order and method. Joins run in the order the query writes them (left-deep, as the
FROM clause nests them); the method is chosen per join: an equi-join (ON conditions that
compare a column of each side with =) is a hash join on those columns, the other ON
conditions checked on each matching pair; any other join is a nested loop. A hash join
(but a FULL one) hashes the side estimated smaller (statistics, sql.stats, or PostgreSQL's
guess for a table never analyzed): the right one unless the left is under half its size.
"""

from __future__ import annotations

import dataclasses

from sqlglot import exp

from sql.casts import comparable
from sql.errors import SqlError
from sql.plan.conjuncts import and_all, cond_text, conjuncts
from sql.plan.deparse import is_constant, parse_cond
from sql.plan.nodes import (
    Filter,
    HashJoin,
    Join,
    KeyScan,
    NestedLoopJoin,
    Node,
    OneRow,
    PointGet,
    Project,
    SubqueryScan,
    TableScan,
    Where,
    picked,
)
from sql.plan.rule import Binding
from sql.scope import Scope, Typed
from sql.stats import ColumnStats, TableStats


def choose_join_method(node: Node, binding: Binding) -> Node:
    """A ``Join`` becomes a ``HashJoin`` or a ``NestedLoopJoin``; other nodes stay as they are."""
    if not isinstance(node, Join):
        return node
    left, right, kind, on, scope = node.left, node.right, node.kind, node.on, node.scope
    if on is None:
        kind = "cross" if kind == "inner" else kind
        return loop_side(NestedLoopJoin(left, right, kind, None, scope))
    lkeys: list[Typed] = []
    rkeys: list[Typed] = []
    rest: list[exp.Expr] = []
    texts: list[str] = []
    comp = binding.compiler(scope)
    nl = len(left.scope.columns)
    # keys compile in the join's own scope cut in two: a USING join labels its key columns
    lscope, rscope = Scope(scope.columns[:nl]), Scope(scope.columns[nl:])
    for c in conjuncts(on):
        sides = _sides(c, scope, nl)
        if sides == ("l", "r"):
            lk, rk = c.this, c.expression
        elif sides == ("r", "l"):
            lk, rk = c.expression, c.this
        else:
            rest.append(c)
            continue
        comparable(comp.compile(lk), comp.compile(rk))  # raises if incomparable
        lkeys.append(binding.compiler(lscope).compile(lk))
        rkeys.append(binding.compiler(rscope).compile(rk))
        texts.append(c.sql(dialect="postgres"))
    residual_e = and_all(rest)
    residual = comp._bool(residual_e) if residual_e is not None else None
    if lkeys:
        kind = kind if kind != "cross" else "inner"
        return hash_side(HashJoin(left, right, kind, lkeys, rkeys, residual, scope,
                                  " AND ".join(texts), False, cond_text(rest)))  # fmt: skip
    return loop_side(NestedLoopJoin(left, right, kind, residual, scope, cond_text(rest)))


def loop_side(join: NestedLoopJoin) -> NestedLoopJoin:
    """``join`` looping over its larger side, the smaller held (PostgreSQL materializes a
    nested loop's inner side): an inner join's left side when it is estimated smaller."""
    lrows, rrows = estimated_rows(join.left), estimated_rows(join.right)
    outer_right = (
        join.kind in ("inner", "cross")
        and lrows is not None
        and rrows is not None
        and lrows < rrows
    )
    if outer_right == join.outer_right:
        return join
    return dataclasses.replace(join, outer_right=outer_right)


def hash_side(join: HashJoin) -> HashJoin:
    """``join`` hashing the side PostgreSQL's cost model would (``_hash_cost``); the right
    one when either size is unknown, and always for a FULL join."""
    lrows, rrows = estimated_rows(join.left), estimated_rows(join.right)
    build_left = False
    if lrows is not None and rrows is not None and join.kind != "full":
        lb, rb = _bucket_share(join, join.left, 0), _bucket_share(join, join.right, 1)
        left_cost, right_cost = _hash_cost(lrows, lb, rrows), _hash_cost(rrows, rb, lrows)
        # PostgreSQL makes a RIGHT join a LEFT one with the sides swapped: on a tie, it
        # hashes the right join's left side
        build_left = left_cost <= right_cost if join.kind == "right" else left_cost < right_cost
    if build_left == join.build_left:
        return join
    return dataclasses.replace(join, build_left=build_left)


# cpu_operator_cost and cpu_tuple_cost, PostgreSQL's defaults
_OPERATOR, _TUPLE = 0.0025, 0.01


def _hash_cost(hashed: float, bucket: float, probing: float) -> float:
    """PostgreSQL's hash join run cost (final_cost_hashjoin, one batch, one key): building
    the table, probing it, and comparing each probe with half its bucket."""
    return (
        hashed * (_OPERATOR + _TUPLE)
        + probing * _OPERATOR
        + probing * hashed * bucket * 0.5 * _OPERATOR
    )


def _bucket_share(join: HashJoin, side: Node, which: int) -> float:
    """The share of the hashed rows in one bucket if ``side`` is hashed: one over the key
    column's distinct values when statistics know them, else PostgreSQL's 0.1."""
    nl = len(join.left.scope.columns)
    best = 0.1
    for c in parse_cond(join.text):
        if not isinstance(c, exp.EQ):
            continue
        for col in (c.this, c.expression):
            if not isinstance(col, exp.Column):
                continue
            try:
                hit = join.scope.resolve(col.name, col.table or None)
            except SqlError:
                continue
            if hit is None or (hit[0] >= nl) != bool(which):
                continue
            cs = _column_stats(side, hit[0] - nl * which)
            if cs is not None and cs.ndistinct >= 1:
                best = min(best, 1.0 / cs.ndistinct)
    return best


def _column_stats(node: Node, at: int) -> ColumnStats | None:
    """The statistics of the table column that column ``at`` of ``node`` passes on."""
    while True:
        if isinstance(node, Filter | Where):
            node = node.child
        elif isinstance(node, SubqueryScan):
            node = node.plan.node
        elif isinstance(node, Project):
            below = picked(node.fns[at]) if at < len(node.fns) else None
            if below is None:
                return None
            node, at = node.child, below
        else:
            break
    if not isinstance(node, TableScan | KeyScan):
        return None
    stats = TableStats.of(node.codec.table)
    return stats.columns.get(node.scope.columns[at].name) if stats is not None else None


def join_on_where_equalities(node: Node, binding: Binding) -> Node:
    """``Where`` over a cross join (``FROM a, b``): its conjuncts that equate a column of each
    side become the join's condition, so the join is a hash join on them rather than a
    nested loop over every pair; other nodes stay as they are."""
    if not isinstance(node, Where) or not isinstance(node.child, NestedLoopJoin):
        return node
    join = node.child
    if join.kind != "cross" or node.bound_in.columns != join.scope.columns:
        return node
    keys: list[exp.Expr] = []
    rest: list[exp.Expr] = []
    nl = len(join.left.scope.columns)
    for c in node.conds:
        sides = _sides(c, join.scope, nl)
        (keys if sides in (("l", "r"), ("r", "l")) else rest).append(c)
    if not keys:
        return node
    joined = choose_join_method(
        Join(join.left, join.right, "inner", and_all(keys), join.scope), binding
    )
    return Where(joined, rest, node.bound_in)


# PostgreSQL's selectivities without statistics: of an equality, of anything else
_DEFAULT_EQ_SEL, _DEFAULT_SEL = 0.005, 1 / 3


def estimated_rows(node: Node) -> float | None:
    """How many rows ``node`` is estimated to produce, if statistics say."""
    if isinstance(node, PointGet):
        return 1.0
    if isinstance(node, KeyScan):
        return node.estimate
    if isinstance(node, TableScan):
        stats = TableStats.of(node.codec.table)
        return stats.rows if stats is not None else _unanalyzed_rows(node.scope)
    if isinstance(node, SubqueryScan):
        return estimated_rows(node.plan.node)
    if isinstance(node, Project) and not isinstance(node.child, OneRow):
        return estimated_rows(node.child)
    if isinstance(node, Filter | Where):
        below = estimated_rows(node.child)
        if below is None:
            return None
        conds = parse_cond(node.text) if isinstance(node, Filter) else node.conds
        sel = 1.0
        for c in conds:
            sel *= _selectivity(c, node)
        return max(1.0, below * sel)
    if isinstance(node, HashJoin | NestedLoopJoin):
        sides = [estimated_rows(node.left), estimated_rows(node.right)]
        return None if None in sides else max(sides)  # type: ignore[type-var]
    return None


def _selectivity(cond: exp.Expr, node: Filter | Where) -> float:
    """The share of rows ``cond`` keeps: for ``column = value`` one over the column's
    distinct values when statistics know them, else PostgreSQL's defaults."""
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.Or):
        a, b = _selectivity(cond.this, node), _selectivity(cond.expression, node)
        return a + b - a * b
    if isinstance(cond, exp.And):
        return _selectivity(cond.this, node) * _selectivity(cond.expression, node)
    if isinstance(cond, exp.GT | exp.GTE | exp.LT | exp.LTE):
        return _range_selectivity(cond, node)
    if not isinstance(cond, exp.EQ):
        return _DEFAULT_SEL
    for col in (cond.this, cond.expression):
        if isinstance(col, exp.Column):
            try:
                hit = node.scope.resolve(col.name, col.table or None)
            except SqlError:
                continue
            cs = _column_stats(node.child, hit[0]) if hit is not None else None
            if cs is not None and cs.ndistinct >= 1:
                return (1 - cs.null_frac) / cs.ndistinct
    return _DEFAULT_EQ_SEL


def _range_selectivity(cond: exp.Expr, node: Filter | Where) -> float:
    """``column < number`` and the like: the share of the column's range of values below
    (or above) the number, as a histogram would say of evenly spread values."""
    col, value, below = cond.this, cond.expression, isinstance(cond, exp.LT | exp.LTE)
    if not isinstance(col, exp.Column):
        col, value, below = value, col, not below
    if not isinstance(col, exp.Column) or not is_constant(value):
        return _DEFAULT_SEL
    try:
        hit = node.scope.resolve(col.name, col.table or None)
        number = float(value.sql())
    except (SqlError, ValueError):
        return _DEFAULT_SEL
    cs = _column_stats(node.child, hit[0]) if hit is not None else None
    if cs is None or cs.lo is None or cs.hi is None or cs.hi <= cs.lo:
        return _DEFAULT_SEL
    share = min(1.0, max(0.0, (number - cs.lo) / (cs.hi - cs.lo)))
    return (1 - cs.null_frac) * (share if below else 1 - share)


# PostgreSQL's guess for a table never analyzed (plancat.c, estimate_rel_size): ten pages of
# rows as wide as their columns' types (a variable-width one counts 32 bytes), with a tuple
# header of 24 and a line pointer of 4 in each 8168 usable bytes.
_PAGES, _PAGE_BYTES, _ROW_OVERHEAD, _VARLENA_WIDTH = 10, 8192 - 24, 24 + 4, 32


def _unanalyzed_rows(scope: Scope) -> float:
    width = sum(
        c.type.typlen if c.type.typlen > 0 else _VARLENA_WIDTH
        for c in scope.columns
        if not c.hidden
    )
    return float(_PAGES * (_PAGE_BYTES // (width + _ROW_OVERHEAD)))


def _sides(cond: exp.Expr, scope: Scope, nleft: int) -> tuple[str | None, str | None]:
    """For ``a = b`` of two columns of a join (``scope``: the left side's ``nleft`` columns
    first), the side each column is on ("l" or "r"); (None, None) for anything else."""
    if not (
        isinstance(cond, exp.EQ)
        and isinstance(cond.this, exp.Column)
        and isinstance(cond.expression, exp.Column)
    ):
        return None, None

    def side(col: exp.Column) -> str | None:
        try:
            hit = scope.resolve(col.name, col.table or None)
        except SqlError:  # ambiguity is reported when the condition is compiled
            return None
        return None if hit is None else "l" if hit[0] < nleft else "r"

    return side(cond.this), side(cond.expression)
