"""A condition as the list of its ANDed parts, and back: what the optimizer rules move."""

from __future__ import annotations

from sqlglot import exp


def conjuncts(e: exp.Expr | None) -> list[exp.Expr]:
    if e is None:
        return []
    if isinstance(e, exp.And):
        return conjuncts(e.this) + conjuncts(e.expression)
    if isinstance(e, exp.Paren):
        return conjuncts(e.this)
    return [e]


def and_all(parts: list[exp.Expr]) -> exp.Expr | None:
    """The parts ANDed; an OR part is parenthesised, so the result's SQL text parses back to
    the same condition (EXPLAIN reads it)."""
    if not parts:
        return None
    wrapped = [exp.Paren(this=p) if isinstance(p, exp.Or) else p for p in parts]
    out = wrapped[0]
    for p in wrapped[1:]:
        out = exp.And(this=out, expression=p)
    return out


def cond_text(parts: list[exp.Expr]) -> str:
    """The parts ANDed as SQL text (what a plan node keeps for EXPLAIN)."""
    e = and_all(parts)
    return e.sql(dialect="postgres") if e is not None else ""
