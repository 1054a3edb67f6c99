"""A correlated EXISTS run as a hashed semi-join.

``EXISTS (SELECT ... FROM f WHERE c1 AND inner.k = outer.x AND ...)`` is true for an outer
row exactly when some row of ``SELECT inner.k FROM f WHERE <the conditions that read only
f>`` has keys equal to the outer row's values. That query does not depend on the outer row:
it runs once per execution of the statement, its keys go into a set, and each outer row is a
lookup (PostgreSQL plans the same as a hashed semi-join, or an anti-join for NOT EXISTS).
A NULL key matches nothing, as ``=`` never holds for NULL.

Only a plain SELECT whose select list is constants or columns qualifies (an aggregate would
make the subquery return one row whatever the conditions); the equated keys must be of a
type whose Python equality is PostgreSQL's (numbers, text, booleans, dates and times).
Anything else keeps the nested loop (``hashed_exists`` returns None).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from sql import types as T
from sql.casts import comparable
from sql.errors import SqlError
from sql.executor.context import checked, dismantle
from sql.executor.execute import run_plan
from sql.plan.conjuncts import and_all, conjuncts
from sql.scope import Row, Scope, Typed

_HASHABLE = {
    "smallint", "integer", "bigint", "numeric", "real", "double precision", "text",
    "character varying", "name", "boolean", "date", "timestamp without time zone",
    "timestamp with time zone", "uuid",
}  # fmt: skip
_BLOCKERS = ("with", "with_", "group", "having", "limit", "offset", "qualify", "windows",
             "distinct", "laterals", "fetch")  # fmt: skip


def hashed_exists(
    query: exp.Expr,
    plan_subquery: Callable[[exp.Expr, Scope], Any],
    compile_outer: Callable[[exp.Expr], Typed],
    once: Any,
) -> Typed | None:
    """EXISTS (``query``) as a set lookup, or None when it does not have that shape.
    ``compile_outer`` compiles an expression in the enclosing query; ``once`` keeps the
    set for one execution (sql.expr._PerExecution)."""
    if not isinstance(query, exp.Select) or any(query.args.get(k) for k in _BLOCKERS):
        return None
    if not query.args.get("from_") and not query.args.get("from"):
        return None
    if not all(isinstance(s, exp.Literal | exp.Column | exp.Star) for s in query.expressions):
        return None
    detached = Scope([])  # no enclosing query: an outer reference fails to plan

    def plans(select_list: list[exp.Expr], where: exp.Expr | None) -> Any:
        q = query.copy()
        q.set("expressions", [x.copy() for x in select_list])
        q.set("where", exp.Where(this=where.copy()) if where is not None else None)
        try:
            return plan_subquery(q, detached)
        except SqlError:
            return None

    inner_keys: list[exp.Expr] = []
    outer_keys: list[exp.Expr] = []
    local: list[exp.Expr] = []
    for c in conjuncts(query.args["where"].this if query.args.get("where") else None):
        if plans([exp.Literal.number(1)], c) is not None:
            local.append(c)
            continue
        if not isinstance(c, exp.EQ):
            return None
        for inner, outer in ((c.this, c.expression), (c.expression, c.this)):
            if plans([inner], None) is not None and not any(
                plans([col], None) is not None for col in outer.find_all(exp.Column)
            ):
                inner_keys.append(inner)
                outer_keys.append(outer)
                break
        else:
            return None
    if not inner_keys:
        return None
    plan = plans(inner_keys, and_all(local))
    if plan is None or plan.correlated:
        return None
    pairs = []
    for i, (col, outer_e) in enumerate(zip(plan.columns, outer_keys, strict=True)):
        try:
            a, b = comparable(Typed(operator.itemgetter(i), col.type), compile_outer(outer_e))
        except SqlError:
            return None
        if a.type.name not in _HASHABLE or b.type.name not in _HASHABLE:
            return None
        pairs.append((a.fn, b.fn))
    inner_fns = [a for a, _ in pairs]
    outer_fns = [b for _, b in pairs]

    def keys() -> set[tuple[Any, ...]]:
        if not once.has():
            found = set()
            rows = run_plan(plan)
            for row in checked(rows):
                key = tuple(f(row) for f in inner_fns)
                if None not in key:
                    found.add(key)
            dismantle(rows)
            once.keep(found)
        result: set[tuple[Any, ...]] = once.value
        return result

    def run(r: Row) -> bool:
        key = tuple(f(r) for f in outer_fns)
        return None not in key and key in keys()

    return Typed(run, T.BOOL, name="exists")
