"""Filter pushdown. A WHERE's condition is split into its conjuncts (ANDs and parentheses
flattened), so that the rules after this one can take single conditions down into the scan
below (sql.plan.rules.access_paths). Conditions are not moved below joins (yet): a WHERE
over a join stays one filter above it.
"""

from __future__ import annotations

from sqlglot import exp

from sql.plan.nodes import Node, Where
from sql.plan.rule import Binding


def conjuncts(e: exp.Expr | None) -> list[exp.Expr]:
    if e is None:
        return []
    if isinstance(e, exp.And):
        return conjuncts(e.this) + conjuncts(e.expression)
    if isinstance(e, exp.Paren):
        return conjuncts(e.this)
    return [e]


def and_all(parts: list[exp.Expr]) -> exp.Expr | None:
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = exp.And(this=out, expression=p)
    return out


def split_conjuncts(node: Node, binding: Binding) -> Node:
    """A ``Where``'s conditions become their conjuncts; other nodes stay as they are."""
    if not isinstance(node, Where):
        return node
    return Where(node.child, [c for e in node.conds for c in conjuncts(e)], node.bound_in)
