"""Aggregates of an enclosing query written inside a subquery.

PostgreSQL gives an aggregate call to the query level of the variables in its arguments
and FILTER: ``(SELECT max(0) FILTER (WHERE b1))`` aggregates the outer query's rows when
``b1`` is the outer query's. A call whose column references all belong to the enclosing
query (and that has at least one) is therefore that query's aggregate: it is computed by
the enclosing query's Aggregate node and read by the subquery as an outer reference.
A reference is the enclosing query's when it names none of the subquery's FROM items (or
their columns) and the enclosing scope resolves it; a FROM item whose columns cannot be
listed leaves the call to the subquery.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from sql.catalog import Catalog
from sql.scope import Scope

FindAggs = Callable[[exp.Expr], list[exp.Expr]]


def claimed(
    e: exp.Expr, scope: Scope, catalog: Catalog, path: list[str], find_aggs: FindAggs
) -> list[exp.Expr]:
    """The aggregate calls in the subqueries directly inside ``e`` that belong to the query
    whose rows ``scope`` describes."""
    found: list[exp.Expr] = []
    for sub in _subqueries(e):
        names = _from_names(sub, catalog, path)
        if names is None:
            continue
        tables, columns = names
        parts = list(sub.expressions)
        for key in ("where", "having"):
            clause = sub.args.get(key)
            if clause is not None:
                parts.append(clause.this)
        for part in parts:
            for call in find_aggs(part):
                if _all_outer(call, tables, columns, scope):
                    found.append(call)
    return found


def _subqueries(e: exp.Expr) -> list[exp.Select]:
    """The SELECTs nearest to ``e``'s root (not those inside them)."""
    out: list[exp.Select] = []

    def walk(node: exp.Expr) -> None:
        if isinstance(node, exp.Select):
            out.append(node)
            return
        for child in node.iter_expressions():
            walk(child)

    for child in e.iter_expressions() if not isinstance(e, exp.Select) else ():
        walk(child)
    if isinstance(e, exp.Select):
        out.append(e)
    return out


def _from_names(
    q: exp.Select, catalog: Catalog, path: list[str]
) -> tuple[set[str], set[str]] | None:
    """The names of ``q``'s FROM items and of their columns; None: some cannot be listed."""
    tables: set[str] = set()
    columns: set[str] = set()
    from_ = q.args.get("from_") or q.args.get("from")
    items = [from_.this] if from_ is not None else []
    items += [j.this for j in q.args.get("joins") or []]
    for item in items:
        alias = item.args.get("alias")
        cols = [c.name for c in alias.columns] if alias is not None and alias.columns else []
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            found = catalog.find(item.name, item.db or None, path)
            if found is None:
                return None
            tables.add(item.alias_or_name)
            columns.update(c.name for c in found.live_columns)
            columns.update(cols)
        elif cols:
            tables.add(item.alias_or_name)
            columns.update(cols)
        else:
            return None
    return tables, columns


def _all_outer(call: exp.Expr, tables: set[str], columns: set[str], scope: Scope) -> bool:
    refs = [c for c in call.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
    seen = False
    for col in refs:
        inner = col.find_ancestor(exp.Select)
        if inner is not None and inner is not call.find_ancestor(exp.Select):
            # inside a subquery of the call's own: its own FROM names are no reference here
            names = {i.alias_or_name for i in inner.find_all(exp.Table)}
            if col.table and col.table in names:
                continue
        if col.table:
            if col.table in tables or not scope.has_table(col.table):
                return False
        elif col.name in columns or _resolves(scope, col.name) is False:
            return False
        seen = True
    return seen


def _resolves(scope: Scope, name: str) -> bool:
    try:
        return scope.resolve(name, None) is not None
    except Exception:  # ambiguous: not for this rule to decide
        return False
