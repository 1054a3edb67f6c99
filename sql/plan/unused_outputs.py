"""Outputs of a derived table its query never reads are not computed (PostgreSQL's
remove_unused_subquery_outputs): a scalar subquery in such an output, which might fail (more
than one row) or be costly, is not run. Only scalar subquery outputs are dropped, and only
where nothing can read them by position or name: no ``*``, no whole-row or column alias
list, no DISTINCT, GROUP BY, HAVING or ORDER BY in the derived table, nothing volatile in the
output."""

from __future__ import annotations

from sqlglot import exp

_VOLATILE = {"random", "nextval", "setval", "clock_timestamp", "timeofday", "gen_random_uuid"}


def without_unused_outputs(item: exp.Expr, query: exp.Select) -> exp.Expr:
    """``item`` (a FROM item of ``query``), its unread scalar subquery outputs NULL."""
    if not isinstance(item, exp.Subquery) or not isinstance(item.this, exp.Select):
        return item
    alias = item.args.get("alias")
    inner = item.this
    if (
        alias is None
        or alias.columns
        or any(inner.args.get(k) for k in ("distinct", "group", "having", "order", "windows"))
    ):  # GROUP BY / ORDER BY may name an output
        return item
    droppable = [
        i for i, e in enumerate(inner.expressions)
        if isinstance(e, exp.Alias) and isinstance(e.this, exp.Subquery) and not _volatile(e)
    ]  # fmt: skip
    if not droppable:
        return item
    read = _names_read(query, item)
    if read is None:
        return item
    unread = [i for i in droppable if inner.expressions[i].alias.lower() not in read]
    if not unread:
        return item
    pruned = item.copy()
    for i in unread:
        e = pruned.this.expressions[i]
        e.set("this", exp.Null())
    return pruned


def _volatile(e: exp.Expr) -> bool:
    return any(str(f.this).lower() in _VOLATILE for f in e.find_all(exp.Anonymous)) or any(
        isinstance(f, exp.Rand) for f in e.find_all(exp.Func)
    )


def _names_read(query: exp.Select, item: exp.Subquery) -> set[str] | None:
    """The names ``query`` (outside ``item``) may read a column by; None when it may read
    ``item``'s columns by position (``*``, a whole-row reference, NATURAL)."""
    names: set[str] = set()
    own = item.alias.lower()
    for node in query.walk():
        if node is item:
            continue
        if _inside(node, item):
            continue
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            return None
        if isinstance(node, exp.Join) and "NATURAL" in str(node.args.get("method") or "").upper():
            return None
        if isinstance(node, exp.Column) and node.name.lower() == own and not node.table:
            return None  # the derived table's whole row
        if isinstance(node, exp.Identifier):
            names.add(node.name.lower())
    return names


def _inside(node: exp.Expr, item: exp.Expr) -> bool:
    p = node.parent
    while p is not None:
        if p is item:
            return True
        p = p.parent
    return False
