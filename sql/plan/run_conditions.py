"""Window run conditions: a filter over a subquery's window function result that
PostgreSQL 15 moves into the WindowAgg (find_window_run_conditions).

A condition ``f OP c`` (or ``c OP f``) on a subquery column that is a window function ``f``
whose value only grows within a partition (row_number, rank, dense_rank; count when its
frame starts at the partition's first row) or only shrinks (count when its frame ends at
the partition's last row) becomes the WindowAgg's ``Run Condition``: once it fails it
fails for the rest of the partition. ``<``/``<=`` need growing, ``>``/``>=`` shrinking; the
condition leaves the subquery's filter. ``f = c`` stays in the filter and adds ``f <= c``
(growing) or ``f >= c`` (shrinking) as the run condition; when ``f`` is constant over the
partition (count without ORDER BY) the condition itself moves.

Only a subquery whose plan is one projection over one WindowAgg (every call over one
window) qualifies here; db9 still filters the rows above, so only EXPLAIN sees the move.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
import sqlglot.errors
from sqlglot import exp

from sql.pg_dialect import DIALECT
from sql.plan import nodes as N
from sql.plan.deparse import is_constant

_GROWING = frozenset(("row_number", "rank", "dense_rank"))
_FLIPPED: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.LT: exp.GT, exp.LTE: exp.GTE, exp.GT: exp.LT, exp.GTE: exp.LTE, exp.EQ: exp.EQ,
}  # fmt: skip


@dataclass
class RunCondition:
    """A run condition: the comparison as written with the subquery's column replaced by
    the call's text (``row_number() OVER (?)``), as PostgreSQL prints it."""

    cond: exp.Expr
    call: str


def split_run_conditions(
    sub: N.SubqueryScan, parts: list[exp.Expr]
) -> tuple[list[RunCondition], list[exp.Expr]]:
    """The run conditions ``parts`` (a filter over ``sub``) give its WindowAgg, and the
    parts that stay in the filter."""
    top = sub.plan.node
    if not (isinstance(top, N.Project) and top.passes and isinstance(top.child, N.Window)):
        return [], parts
    window = top.child
    if len(N.window_runs(window.specs)) != 1:
        return [], parts
    runs: list[RunCondition] = []
    kept: list[exp.Expr] = []
    for p in parts:
        found = _run_condition(sub, top, window, p)
        if found is None:
            kept.append(p)
            continue
        run, keep = found
        runs.append(run)
        if keep:
            kept.append(p)
    return runs, kept


def _run_condition(
    sub: N.SubqueryScan, top: N.Project, window: N.Window, p: exp.Expr
) -> tuple[RunCondition, bool] | None:
    if type(p) not in _FLIPPED:
        return None
    left, right = p.this, p.expression
    op = type(p)
    if isinstance(left, exp.Column) and is_constant(right):
        column, const, flipped = left, right, False
    elif isinstance(right, exp.Column) and is_constant(left):
        column, const, flipped = right, left, True
        op = _FLIPPED[op]
    else:
        return None
    spec = _spec(sub, top, window, column)
    if spec is None:
        return None
    call = _call_text(spec)
    growing, shrinking = _monotonic(spec)
    if call is None or not (growing or shrinking):
        return None
    if op is exp.EQ:
        if flipped:
            return None
        if growing and shrinking:
            return RunCondition(p, call), False
        bound = exp.LTE if growing else exp.GTE
        return RunCondition(bound(this=column, expression=const), call), True
    if (op in (exp.LT, exp.LTE) and growing) or (op in (exp.GT, exp.GTE) and shrinking):
        return RunCondition(p, call), False
    return None


def keys_are_outputs(sub: N.SubqueryScan) -> bool:
    """Whether every sort key of the subquery's window is one of its output columns: else
    the key rides along as a junk column, and PostgreSQL keeps the Subquery Scan that
    drops it."""
    top = sub.plan.node
    if not (isinstance(top, N.Project) and isinstance(top.child, N.Window)):
        return False
    names = {c.name for c in sub.scope.columns}
    for spec in top.child.specs:
        if not spec.order_text:
            continue
        try:
            q = sqlglot.parse_one("SELECT 1 ORDER BY " + spec.order_text, read=DIALECT)
        except sqlglot.errors.ParseError:
            return False
        order = q.args.get("order")
        for o in order.expressions if order is not None else []:
            if not (isinstance(o.this, exp.Column) and o.this.name in names):
                return False
    return True


def _spec(
    sub: N.SubqueryScan, top: N.Project, window: N.Window, column: exp.Column
) -> N.WindowSpec | None:
    """The window function call the subquery's ``column`` is, if it is one."""
    hits = [
        i
        for i, c in enumerate(sub.scope.columns)
        if c.name == column.name and (not column.table or c.table == column.table)
    ]
    if len(hits) != 1 or top.passes is None or hits[0] >= len(top.passes):
        return None
    slot = top.passes[hits[0]]
    base = len(window.child.scope.columns)
    if slot is None or not base <= slot < base + len(window.specs):
        return None
    return window.specs[slot - base]


def _call_text(spec: N.WindowSpec) -> str | None:
    """The call as PostgreSQL's run condition shows it, for the calls without arguments."""
    if spec.agg is None and spec.name in _GROWING and not spec.args:
        return f"{spec.name}() OVER (?)"
    if spec.agg is not None and spec.agg.name == "count_star":
        return "count(*) OVER (?)"
    return None


def _monotonic(spec: N.WindowSpec) -> tuple[bool, bool]:
    """Whether the call's value only grows, and whether it only shrinks, in a partition."""
    if spec.agg is None:
        return spec.name in _GROWING, False
    if spec.agg.name != "count_star" or spec.agg.filter is not None:
        return False, False
    if not spec.order:
        return True, True  # every row a peer of every other: one value
    return spec.frame.start.kind == "unbounded", spec.frame.end.kind == "unbounded"
