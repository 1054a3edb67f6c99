"""What PostgreSQL refuses in a WITH RECURSIVE query's recursive term (parse_cte.c's
checkWellFormedRecursion), checked before it is planned: the term reads its own query once,
not within an outer join's nullable side, a subquery in an expression or EXCEPT, without
aggregates; the union has no ORDER BY, LIMIT, OFFSET or FOR UPDATE. Without these checks such
a query could run for ever (an aggregate's row feeds the next round)."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from sql.errors import FeatureNotSupported, SqlError


class InvalidRecursion(SqlError):
    sqlstate = "42P19"


_FROM_PARTS = (exp.Subquery, exp.Union, exp.Except, exp.Intersect, exp.Paren)


def check_recursive_term(
    name: str, body: exp.Union, has_aggregate: Callable[[exp.Expr], bool]
) -> None:
    """Raise as PostgreSQL does for ``body`` (the CTE ``name``'s UNION) that it cannot run."""
    for key, what in (("order", "ORDER BY"), ("offset", "OFFSET"), ("limit", "LIMIT")):
        if body.args.get(key):
            raise FeatureNotSupported(f"{what} in a recursive query is not implemented")
    step = body.expression
    if any(s.args.get("locks") for s in [body, *step.find_all(exp.Select)]):
        raise FeatureNotSupported("FOR UPDATE/SHARE in a recursive query is not implemented")
    refs = [
        t
        for t in step.find_all(exp.Table)
        if t.name == name and not t.db and not isinstance(t.this, exp.Func)
    ]
    for ref in refs:
        _check_reference(name, ref, step)
    if len(refs) > 1:
        raise InvalidRecursion(
            f'recursive reference to query "{name}" must not appear more than once'
        )
    arms = [step] if isinstance(step, exp.Select) else list(step.find_all(exp.Select))
    for arm in arms:
        if any(has_aggregate(e) for e in arm.expressions) or (arm.args.get("having") is not None):
            raise InvalidRecursion(
                "aggregate functions are not allowed in a recursive query's recursive term"
            )


def _check_reference(name: str, ref: exp.Table, step: exp.Expr) -> None:
    child: exp.Expr = ref
    node = ref.parent
    while node is not None and child is not step:
        if isinstance(node, exp.Except):
            raise InvalidRecursion(
                f'recursive reference to query "{name}" must not appear within EXCEPT'
            )
        if isinstance(node, exp.Join) and _nullable(node, child):
            raise InvalidRecursion(
                f'recursive reference to query "{name}" must not appear within an outer join'
            )
        if isinstance(node, exp.Select) and node is not step and not _in_from(node, step):
            raise InvalidRecursion(
                f'recursive reference to query "{name}" must not appear within a subquery'
            )
        if isinstance(node, exp.Select):
            _check_outer_joins(name, node, child)
        child, node = node, node.parent


def _nullable(join: exp.Join, child: exp.Expr) -> bool:
    """The joined item (``child`` is it) is on a nullable side of ``join``."""
    side = (join.side or "").upper()
    return child is join.this and side in ("LEFT", "FULL")


def _check_outer_joins(name: str, select: exp.Select, child: exp.Expr) -> None:
    """The items before a RIGHT or FULL join in ``select``'s FROM are on its nullable side."""
    joins = select.args.get("joins") or []
    from_ = select.args.get("from_") or select.args.get("from")
    items: list[exp.Expr] = ([from_] if from_ is not None else []) + list(joins)
    if child not in items:
        return
    at = items.index(child)
    if any((j.side or "").upper() in ("RIGHT", "FULL") for j in joins[at:]):
        raise InvalidRecursion(
            f'recursive reference to query "{name}" must not appear within an outer join'
        )


def _in_from(select: exp.Select, step: exp.Expr) -> bool:
    """``select`` is a derived table in FROM (or an arm of the term), not an expression's."""
    node = select.parent
    while isinstance(node, _FROM_PARTS) and node is not step:
        node = node.parent
    # a WITH item's query inside the term is read where the WITH's query names it
    return node is step or isinstance(node, exp.From | exp.Join | exp.CTE)
