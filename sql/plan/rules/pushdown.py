"""Filter pushdown. A WHERE's condition is split into its conjuncts (ANDs and parentheses
flattened), so that the rules after this one can take single conditions down into the scan
below (sql.plan.rules.access_paths). A conjunct over an inner (or cross) join that reads the
columns of one side only, and is deterministic (``_MOVABLE``: no function calls, no
subqueries), is moved below the join onto that side, where a scan can use it or filter its
rows before they are joined.
"""

from __future__ import annotations

import dataclasses

from sqlglot import exp

from sql.errors import SqlError
from sql.plan.conjuncts import and_all, conjuncts
from sql.plan.nodes import Filter, HashJoin, NestedLoopJoin, Node, Where
from sql.plan.rule import Binding
from sql.plan.rules.access_paths import choose_access_path
from sql.plan.rules.join_order import join_on_where_equalities
from sql.scope import Scope


def split_conjuncts(node: Node, binding: Binding) -> Node:
    """A ``Where``'s conditions become their conjuncts; other nodes stay as they are."""
    if not isinstance(node, Where):
        return node
    return Where(node.child, [c for e in node.conds for c in conjuncts(e)], node.bound_in)


# Expressions whose value depends only on their operands, evaluated anywhere alike.
_MOVABLE = (
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Not,
    exp.Neg, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Is,
    exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.Between, exp.In, exp.Tuple,
)  # fmt: skip


def _side(cond: exp.Expr, scope: Scope, nleft: int) -> str | None:
    """ "left" or "right" if ``cond`` reads only that side's columns of a join whose scope is
    ``scope`` (the left side's ``nleft`` columns first), else None."""
    sides: set[str] = set()
    for e in cond.walk():
        if not isinstance(e, _MOVABLE):
            return None
        if isinstance(e, exp.Column):
            try:
                found = scope.resolve(e.name, e.table or None)
            except SqlError:
                return None
            if found is None:
                return None  # an outer reference, or an error the binder reports
            sides.add("left" if found[0] < nleft else "right")
    return sides.pop() if len(sides) == 1 else None


def push_below_joins(node: Node, binding: Binding) -> Node:
    """``Where`` over an inner or cross join: its one-sided deterministic conjuncts go below
    the join, onto the side they read (as a ``Where`` offered to the access paths there, then a
    ``Filter``); other nodes stay as they are."""
    if not isinstance(node, Where) or not isinstance(node.child, HashJoin | NestedLoopJoin):
        return node
    join = node.child
    if join.kind not in ("inner", "cross") or node.bound_in.columns != join.scope.columns:
        return node
    nleft = len(join.left.scope.columns)
    moved: dict[str, list[exp.Expr]] = {"left": [], "right": []}
    rest = []
    for c in node.conds:
        side = _side(c, node.bound_in, nleft)
        if side is None:
            rest.append(c)
        else:
            moved[side].append(c)
    if not moved["left"] and not moved["right"]:
        return node
    left = _filtered(join.left, moved["left"], node.bound_in, binding)
    right = _filtered(join.right, moved["right"], node.bound_in, binding)
    return Where(dataclasses.replace(join, left=left, right=right), rest, node.bound_in)


def _filtered(child: Node, conds: list[exp.Expr], joined: Scope, binding: Binding) -> Node:
    """``child`` under ``conds`` (compiled in its own scope, with the join's outer query)."""
    if not conds:
        return child
    scope = Scope(child.scope.columns, joined.outer, joined.outer_cell, joined.correlated)
    # the side may be a join itself (FROM a, b, c): its own conditions go down it in turn
    below = join_on_where_equalities(push_below_joins(Where(child, conds, scope), binding), binding)
    chosen = choose_access_path(below, binding)
    assert isinstance(chosen, Where)
    rest = and_all(chosen.conds)
    if rest is None:
        return chosen.child
    pred = binding.compiler(scope)._bool(rest)
    return Filter(chosen.child, pred, rest.sql(dialect="postgres"))
