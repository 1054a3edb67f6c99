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
from sql.plan.nodes import Filter, HashJoin, Join, LateralJoin, NestedLoopJoin, Node, Where
from sql.plan.rule import Binding
from sql.plan.rules.access_paths import choose_access_path
from sql.plan.rules.join_order import hash_side, join_on_where_equalities, loop_side
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


# Operators whose result is NULL when an operand is NULL.
_STRICT = (
    exp.Column, exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.EQ, exp.NEQ,
    exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Not,
)  # fmt: skip


def _nulls_out(cond: exp.Expr, scope: Scope, side: range) -> bool:
    """Whether ``cond`` is never true when the columns at positions ``side`` are all NULL
    (PostgreSQL's ``find_nonnullable_rels``, conservatively): a WHERE holding it turns an
    outer join that NULL-pads that side into an inner join."""
    if isinstance(cond, exp.Paren):
        return _nulls_out(cond.this, scope, side)
    if isinstance(cond, exp.And):
        return _nulls_out(cond.this, scope, side) or _nulls_out(cond.expression, scope, side)
    if isinstance(cond, exp.Or):
        return _nulls_out(cond.this, scope, side) and _nulls_out(cond.expression, scope, side)
    if isinstance(cond, exp.Is):  # x IS NOT NULL
        return (
            bool(cond.args.get("negate"))
            and isinstance(cond.expression, exp.Null)
            and _null_if(cond.this, scope, side)
        )
    return _null_if(cond, scope, side)


def _null_if(e: exp.Expr, scope: Scope, side: range) -> bool:
    """``e`` is NULL when the columns at ``side`` are: a strict operator over one of them."""
    if isinstance(e, exp.Column):
        try:
            found = scope.resolve(e.name, e.table or None)
        except SqlError:
            return False
        return found is not None and found[0] in side
    if not isinstance(e, _STRICT):
        return False
    return any(_null_if(x, scope, side) for x in e.iter_expressions())


def push_below_joins(node: Node, binding: Binding) -> Node:
    """``Where`` over a join: its one-sided deterministic conjuncts go below the join, onto
    the side they read (as a ``Where`` offered to the access paths there, then a
    ``Filter``), for an outer join only onto the side it keeps every row of; a conjunct that
    is false on a NULL-padded side's row first makes the outer join an inner one. Other
    nodes stay as they are."""
    if not isinstance(node, Where) or not isinstance(
        node.child, HashJoin | NestedLoopJoin | LateralJoin
    ):
        return node
    join = node.child
    if join.kind not in ("inner", "cross", "left", "right"):
        return node
    if node.bound_in.columns != join.scope.columns:
        return node
    if isinstance(join, LateralJoin):  # its right side is planned per left row: left only
        return _push_left_of_lateral(node, join, binding)
    nleft = len(join.left.scope.columns)
    if join.kind in ("left", "right"):
        padded = range(nleft, len(join.scope.columns)) if join.kind == "left" else range(nleft)
        if any(_nulls_out(c, node.bound_in, padded) for c in node.conds):
            join = dataclasses.replace(join, kind="inner")
    kept = {"left": ("left",), "right": ("right",)}.get(join.kind, ("left", "right"))
    moved: dict[str, list[exp.Expr]] = {"left": [], "right": []}
    rest = []
    for c in node.conds:
        side = _side(c, node.bound_in, nleft)
        if side is None or side not in kept:
            rest.append(c)
        else:
            moved[side].append(c)
    if not moved["left"] and not moved["right"]:
        return node if join is node.child else Where(join, rest, node.bound_in)
    left = _filtered(join.left, moved["left"], node.bound_in, binding)
    right = _filtered(join.right, moved["right"], node.bound_in, binding)
    below: Node = dataclasses.replace(join, left=left, right=right)
    if isinstance(below, HashJoin):
        below = hash_side(below)
    elif isinstance(below, NestedLoopJoin):
        below = loop_side(below)
    return Where(below, rest, node.bound_in)


def _push_left_of_lateral(node: Where, join: LateralJoin, binding: Binding) -> Node:
    nleft = len(join.left.scope.columns)
    mine = [c for c in node.conds if _side(c, node.bound_in, nleft) == "left"]
    if not mine:
        return node
    rest = [c for c in node.conds if all(c is not m for m in mine)]
    left = _filtered(join.left, mine, node.bound_in, binding)
    return Where(dataclasses.replace(join, left=left), rest, node.bound_in)


def push_join_conditions(node: Node, binding: Binding) -> Node:
    """``Join``: the one-sided deterministic conjuncts of its ON clause go below it, onto the
    side they read, where that side's rows are only ever matched under them (either side of
    an inner join, the NULL-padded side of an outer one); other nodes stay as they are."""
    if not isinstance(node, Join) or node.on is None or node.kind not in ("inner", "left", "right"):
        return node
    nleft = len(node.left.scope.columns)
    allowed = {"inner": ("left", "right"), "left": ("right",), "right": ("left",)}[node.kind]
    moved: dict[str, list[exp.Expr]] = {"left": [], "right": []}
    rest = []
    for c in conjuncts(node.on):
        side = _side(c, node.scope, nleft)
        if side in allowed and _reads_a_column(c):
            moved[side].append(c)
            continue
        rest.append(c)
        for s, implied in _or_restrictions(c, node.scope, nleft).items():
            if s in allowed:
                moved[s].append(implied)
    if not moved["left"] and not moved["right"]:
        return node
    left = _filtered(node.left, moved["left"], node.scope, binding)
    right = _filtered(node.right, moved["right"], node.scope, binding)
    return Join(left, right, node.kind, and_all(rest), node.scope)


def _or_restrictions(cond: exp.Expr, scope: Scope, nleft: int) -> dict[str, exp.Expr]:
    """For an OR whose every arm holds conditions on one side (``(a.x = 1 AND b.y = 2) OR
    (a.z = 3 AND b.w = 4)``), the OR of those conditions, a filter that side's rows must
    pass for the OR to hold (PostgreSQL's extract_restriction_or_clauses); per side."""
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if not isinstance(cond, exp.Or):
        return {}
    arms = list(cond.flatten())
    out: dict[str, exp.Expr] = {}
    for side in ("left", "right"):
        parts: list[exp.Expr] = []
        for arm in arms:
            mine = [c for c in conjuncts(arm) if _side(c, scope, nleft) == side]
            if not mine:
                break
            one = and_all([c.copy() for c in mine])
            assert one is not None
            while isinstance(one, exp.Paren):
                one = one.this
            parts += list(one.flatten()) if isinstance(one, exp.Or) else [one]
        else:
            implied = parts[0]
            for p in parts[1:]:
                implied = exp.Or(this=implied, expression=p)
            out[side] = implied
    return out


def _reads_a_column(cond: exp.Expr) -> bool:
    return cond.find(exp.Column) is not None


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
