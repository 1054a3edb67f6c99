"""The shape PostgreSQL requires of a WITH RECURSIVE query (its parser's
checkWellFormedRecursion): ``non-recursive term UNION [ALL] recursive term``, the recursive
term reading the query once, not from a subquery expression, an outer join's nullable side,
INTERSECT or EXCEPT, without aggregates or window functions, and no ORDER BY / LIMIT / OFFSET /
FOR UPDATE on the whole. A query db9 ran in spite of these either fails as PostgreSQL's does
or recursed with no end.
"""

from __future__ import annotations

from sqlglot import exp

from sql.errors import FeatureNotSupported, InvalidRecursion


def self_references(name: str, e: exp.Expr) -> list[exp.Table]:
    """The FROM items of ``e`` that read the query ``name`` (not an inner WITH's namesake)."""
    return [t for t in e.find_all(exp.Table) if t.name == name and not t.db and not _shadowed(t, e)]


def _shadowed(t: exp.Table, top: exp.Expr) -> bool:
    """Whether a WITH between ``t`` and ``top`` (``top``'s own included) defines a query of
    ``t``'s name."""
    node = t.parent
    while node is not None:
        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(with_, exp.With) and any(c.alias == t.name for c in with_.expressions):
            return True
        if node is top:
            break
        node = node.parent
    return False


def recursion_order(ctes: list[exp.CTE]) -> list[exp.CTE]:
    """The queries of a WITH RECURSIVE in an order that plans each after those it reads (a
    query may read one written after it); 0A000 for two that read each other."""
    names = {c.alias for c in ctes}
    reads = {c.alias: {n for n in names - {c.alias} if self_references(n, c.this)} for c in ctes}
    done: list[exp.CTE] = []
    placed: set[str] = set()
    while len(done) < len(ctes):
        ready = [c for c in ctes if c.alias not in placed and reads[c.alias] <= placed]
        if not ready:
            raise FeatureNotSupported("mutual recursion between WITH items is not implemented")
        done.append(ready[0])
        placed.add(ready[0].alias)
    return done


def check_recursive(name: str, body: exp.Expr) -> None:
    """42P19 / 0A000 for a WITH RECURSIVE query ``name`` PostgreSQL refuses; nothing for
    one that does not read itself (an ordinary WITH query)."""
    if not self_references(name, body):
        return
    if not isinstance(body, exp.Union):
        raise InvalidRecursion(
            f'recursive query "{name}" does not have the form non-recursive-term UNION [ALL] '
            "recursive-term"
        )
    for key, words in (("order", "ORDER BY"), ("offset", "OFFSET"), ("limit", "LIMIT")):
        if body.args.get(key):
            raise FeatureNotSupported(f"{words} in a recursive query is not implemented")
    if self_references(name, body.this):
        raise InvalidRecursion(
            f'recursive reference to query "{name}" must not appear within its non-recursive term'
        )
    term = body.expression
    if any(q.args.get("locks") for q in term.find_all(exp.Select)):
        raise FeatureNotSupported("FOR UPDATE/SHARE in a recursive query is not implemented")
    refs = self_references(name, term)
    if len(refs) > 1:
        raise InvalidRecursion(
            f'recursive reference to query "{name}" must not appear more than once'
        )
    if refs:
        _check_reference(name, refs[0], term)
    # Aggregates and window functions: at the recursive term's own level only.
    top = term.this if isinstance(term, exp.Subquery) else term
    if isinstance(top, exp.Select):
        _check_aggregates(top)


def _check_reference(name: str, ref: exp.Table, term: exp.Expr) -> None:
    """Where the one recursive reference ``ref`` in the recursive ``term`` stands."""
    child: exp.Expr = ref
    node = ref.parent
    while node is not None and child is not term:
        if isinstance(node, exp.Intersect | exp.Except):
            kind = "INTERSECT" if isinstance(node, exp.Intersect) else "EXCEPT"
            raise InvalidRecursion(
                f'recursive reference to query "{name}" must not appear within {kind}'
            )
        if _is_sublink(node, child):
            raise InvalidRecursion(
                f'recursive reference to query "{name}" must not appear within a subquery'
            )
        if isinstance(node, exp.Select):
            _check_joins(name, node, child)
        child, node = node, node.parent


def _is_sublink(node: exp.Expr, child: exp.Expr) -> bool:
    """Whether ``child`` is a subquery used as an expression in ``node`` (not a FROM item)."""
    if isinstance(node, exp.In) and child is node.args.get("query"):
        return True
    if isinstance(node, exp.Exists):
        return True
    return isinstance(child, exp.Subquery) and not isinstance(
        node, exp.From | exp.Join | exp.Union | exp.Intersect | exp.Except | exp.Subquery
    )


def _check_joins(name: str, select: exp.Select, child: exp.Expr) -> None:
    """The reference (in ``child``, a FROM item or join of ``select``) on an outer join's
    nullable side."""
    from_ = select.args.get("from_") or select.args.get("from")
    items = [from_, *list(select.args.get("joins") or [])]
    if child not in items:
        return
    at = items.index(child)
    for k, join in enumerate(items[1:], start=1):
        side = str(join.args.get("side") or "").upper()
        nullable = (
            (side == "LEFT" and at == k)
            or (side == "RIGHT" and at < k)
            or (side == "FULL" and at <= k)
        )
        if nullable:
            raise InvalidRecursion(
                f'recursive reference to query "{name}" must not appear within an outer join'
            )


def _check_aggregates(select: exp.Select) -> None:
    for e in [*select.expressions, select.args.get("having")]:
        if e is None:
            continue
        for found in e.find_all(exp.AggFunc, exp.Window):
            if found.find_ancestor(exp.Select) is not select:
                continue  # in a subquery of its own
            what = "window functions" if isinstance(found, exp.Window) else "aggregate functions"
            raise InvalidRecursion(f"{what} are not allowed in a recursive query's recursive term")
