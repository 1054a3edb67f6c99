"""Join removal, as PostgreSQL's ``remove_useless_joins``: a LEFT JOIN whose right side is
read by nothing above the join and matches at most one row per left row (its ON clause
equates a unique key of it with values of the left side) adds nothing: each left row comes
out once, with NULLs or values nobody reads. The join is not run; its left side's rows are
padded with NULLs in the right side's positions, so the columns keep their places.

Invariants relied on: a column the query could read from the right side keeps the join (any
reference by a right-side table label, or by a right-side column name unqualified, or a
``*``); uniqueness comes from a primary key or a non-partial unique index of a table, a
subquery's GROUP BY keys, DISTINCT or UNION output, or an aggregate without GROUP BY.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp

from sql.errors import SqlError
from sql.plan.conjuncts import conjuncts
from sql.plan.nodes import Filter, KeyScan, Node, PointGet, Project, TableScan, Where, picked
from sql.scope import Row, Scope


def _null(_row: Row) -> None:
    return None


def remove_if_useless(joined: Node, join: exp.Join, left: Node, right: Node) -> Node:
    """``joined`` (``left`` LEFT JOIN ``right`` as ``join`` writes it), or, when the join is
    useless, ``left``'s rows padded with NULLs in the right side's columns."""
    if (join.side or "").upper() != "LEFT" or join.args.get("using") or join.method:
        return joined
    on = join.args.get("on")
    if on is None or not _unread(join, right.scope):
        return joined
    nl = len(left.scope.columns)
    keys = _equated_right(on, joined.scope, nl)
    if not keys or not _unique(right, join.this, keys):
        return joined
    fns: list[Callable[[Row], Any]] = [operator.itemgetter(i) for i in range(nl)]
    return Project(left, fns + [_null] * len(right.scope.columns), joined.scope)


def _query_of(join: exp.Join) -> exp.Select | None:
    node = join.parent
    while node is not None and not isinstance(node, exp.Select):
        node = node.parent
    return node


def _walk_outside(root: exp.Expr, skip: set[int]) -> Iterator[exp.Expr]:
    stack = [root]
    while stack:
        e = stack.pop()
        if id(e) in skip:
            continue
        yield e
        stack.extend(e.iter_expressions())


def _unread(join: exp.Join, right: Scope) -> bool:
    """No part of the query but the join's own ON and right item may read ``right``."""
    q = _query_of(join)
    if q is None or q.args.get("locks"):
        return False
    labels = {c.table.lower() for c in right.columns if c.table}
    names = {c.name.lower() for c in right.columns} | labels
    skip = {id(join.this), id(join.args["on"])}
    for e in _walk_outside(q, skip):
        if isinstance(e, exp.Star):
            if not isinstance(e.parent, exp.Count | exp.Column):
                return False
        elif isinstance(e, exp.Column):
            table = e.table.lower() if e.table else None
            if (table in labels) if table else (e.name.lower() in names):
                return False
        elif isinstance(e, exp.Join) and (e.args.get("using") or e.method):
            return False
    return True


def _equated_right(on: exp.Expr, scope: Scope, nl: int) -> set[int]:
    """The right side's columns (positions from the right side's first) that the ON clause
    equates with an expression reading no right-side column."""
    out: set[int] = set()
    for c in conjuncts(on):
        if not isinstance(c, exp.EQ):
            continue
        for mine, other in ((c.this, c.expression), (c.expression, c.this)):
            at = _position(mine, scope) if isinstance(mine, exp.Column) else None
            if at is None or at < nl:
                continue
            cols = [_position(x, scope) for x in other.find_all(exp.Column)]
            if all(p is not None and p < nl for p in cols) and not other.find(exp.Query):
                out.add(at - nl)
    return out


def _position(col: exp.Column, scope: Scope) -> int | None:
    try:
        hit = scope.resolve(col.name, col.table or None)
    except SqlError:
        return None
    return hit[0] if hit is not None else None


def _unique(node: Node, item: exp.Expr, keys: set[int]) -> bool:
    """Whether the rows of ``node`` (the FROM item ``item``) are unique on ``keys``."""
    while isinstance(node, Filter | Where):
        node = node.child
    if isinstance(node, Project):
        below = {picked(node.fns[k]) for k in keys}
        if None in below:
            return False
        return _unique(node.child, item, below)  # type: ignore[arg-type]
    if isinstance(node, PointGet):
        return True
    if isinstance(node, TableScan | KeyScan):
        names = {node.scope.columns[k].name for k in keys}
        table = node.codec.table
        if table.primary_key and set(table.primary_key) <= names:
            return True
        deferred = {c.index for c in table.constraints if c.deferrable}
        return any(
            ix.unique and not ix.predicate and not ix.computed and ix.name not in deferred
            and set(ix.columns) <= names
            for ix in table.indexes
        )  # fmt: skip
    if isinstance(item, exp.Subquery):
        return _unique_query(item.this, node.scope, keys)
    return False


def _set_returning(e: exp.Expr) -> bool:
    """Conservatively: calls a function that is not an aggregate (it might return a set)."""
    return any(not isinstance(f, exp.AggFunc | exp.Cast) for f in e.find_all(exp.Func))


def _unique_query(q: exp.Expr, scope: Scope, keys: set[int]) -> bool:
    """A subquery's rows are unique on ``keys`` (output positions) by its own shape."""
    if isinstance(q, exp.Union):
        return bool(q.args.get("distinct")) and keys >= set(range(len(scope.columns)))
    if not isinstance(q, exp.Select) or q.args.get("limit") or q.args.get("offset"):
        return False
    exprs = q.expressions
    if any(e.find(exp.Window) for e in exprs):
        return False
    distinct = q.args.get("distinct")
    if distinct is not None and not distinct.args.get("on"):
        return keys >= set(range(len(scope.columns)))
    group = q.args.get("group")
    if group is None:
        return False
    if any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup")):
        return False
    if not group.expressions or any(_set_returning(e) for e in exprs):
        return False
    if len(exprs) == 1 and isinstance(exprs[0], exp.Star):
        outs = [exp.column(c.name) for c in scope.columns]
        if q.args.get("joins"):
            return False
    else:
        outs = [e.this if isinstance(e, exp.Alias) else e for e in exprs]
    if len(outs) != len(scope.columns):
        return False
    for g in group.expressions:
        if not isinstance(g, exp.Column):
            return False
        hit = [i for i, o in enumerate(outs)
               if isinstance(o, exp.Column) and o.name == g.name
               and (not g.table or not o.table or o.table == g.table)]  # fmt: skip
        if not any(i in keys for i in hit):
            return False
    return True
