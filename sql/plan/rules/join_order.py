"""Join order and method. Joins run in the order the query writes them (left-deep, as the
FROM clause nests them); the method is chosen per join: an equi-join (ON conditions that
compare a column of each side with =) is a hash join on those columns, the other ON
conditions checked on each matching pair; any other join is a nested loop. An inner hash
join hashes the side estimated smaller (statistics, sql.stats): the right one unless the
left is known to be under half its size.
"""

from __future__ import annotations

from sqlglot import exp

from sql.casts import comparable
from sql.plan.conjuncts import and_all, cond_text, conjuncts
from sql.plan.nodes import (
    Filter,
    HashJoin,
    Join,
    KeyScan,
    NestedLoopJoin,
    Node,
    PointGet,
    TableScan,
    Where,
)
from sql.plan.rule import Binding
from sql.scope import Scope, Typed
from sql.stats import TableStats


def choose_join_method(node: Node, binding: Binding) -> Node:
    """A ``Join`` becomes a ``HashJoin`` or a ``NestedLoopJoin``; other nodes stay as they are."""
    if not isinstance(node, Join):
        return node
    left, right, kind, on, scope = node.left, node.right, node.kind, node.on, node.scope
    if on is None:
        return NestedLoopJoin(left, right, "cross" if kind == "inner" else kind, None, scope)
    lkeys: list[Typed] = []
    rkeys: list[Typed] = []
    rest: list[exp.Expr] = []
    texts: list[str] = []
    comp = binding.compiler(scope)
    for c in conjuncts(on):
        if (
            isinstance(c, exp.EQ)
            and isinstance(c.this, exp.Column)
            and isinstance(c.expression, exp.Column)
        ):
            ia = _side(c.this, left.scope, right.scope)
            ib = _side(c.expression, left.scope, right.scope)
            if ia == "l" and ib == "r":
                lk, rk = c.this, c.expression
            elif ia == "r" and ib == "l":
                lk, rk = c.expression, c.this
            else:
                rest.append(c)
                continue
            comparable(comp.compile(lk), comp.compile(rk))  # raises if incomparable
            lkeys.append(binding.compiler(left.scope).compile(lk))
            rkeys.append(binding.compiler(right.scope).compile(rk))
            texts.append(c.sql(dialect="postgres"))
        else:
            rest.append(c)
    residual_e = and_all(rest)
    residual = comp._bool(residual_e) if residual_e is not None else None
    if lkeys:
        kind = kind if kind != "cross" else "inner"
        lrows, rrows = estimated_rows(left), estimated_rows(right)
        build_left = kind == "inner" and lrows is not None and rrows is not None
        return HashJoin(left, right, kind, lkeys, rkeys, residual, scope, " AND ".join(texts),
                        build_left and lrows * 2 < rrows,  # type: ignore[operator]
                        cond_text(rest))  # fmt: skip
    return NestedLoopJoin(left, right, kind, residual, scope, cond_text(rest))


def estimated_rows(node: Node) -> float | None:
    """How many rows ``node`` is estimated to produce, if statistics say."""
    if isinstance(node, PointGet):
        return 1.0
    if isinstance(node, KeyScan):
        return node.estimate
    if isinstance(node, TableScan):
        stats = TableStats.of(node.codec.table)
        return stats.rows if stats is not None else None
    if isinstance(node, Filter | Where):
        below = estimated_rows(node.child)
        return None if below is None else below / 3  # PostgreSQL's default selectivity
    if isinstance(node, HashJoin | NestedLoopJoin):
        sides = [estimated_rows(node.left), estimated_rows(node.right)]
        return None if None in sides else max(sides)  # type: ignore[type-var]
    return None


def _side(col: exp.Column, left: Scope, right: Scope) -> str | None:
    try:
        if left.resolve(col.name, col.table or None) and (
            col.table or not right.resolve(col.name, None)
        ):
            return "l"
        if right.resolve(col.name, col.table or None):
            return "r"
    except Exception:  # ambiguity is reported when the condition is compiled
        return None
    return None
