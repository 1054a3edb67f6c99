"""Late materialisation: a table scan decodes only the columns its query can read.

Applied to a whole statement's plan once it is bound (not one of the optimizer's RULES, which
see a node at a time): the statement's text says which column names it reads anywhere,
subqueries included, so a scan's other columns stay undecoded (None in its rows). Conservative:
a name counts for every table that has such a column; ``*`` (other than in ``count(*)``), a
whole-row reference (a table's name as a value), NATURAL joins, column alias lists and
locking clauses (which make a row's key from its primary key) keep every column.
"""

from __future__ import annotations

from sqlglot import exp

from sql.plan.nodes import KeyScan, Node, SubqueryScan, TableScan


def referenced_names(tree: exp.Expr) -> tuple[set[str], set[str]] | None:
    """The names ``tree`` may read columns by (every identifier in it, lower-cased) and the
    names it uses as column references, or None when it may read every column."""
    if tree.args.get("locks"):
        return None
    for star in tree.find_all(exp.Star):
        if not isinstance(star.parent, exp.Count):
            return None
    for join in tree.find_all(exp.Join):
        if "NATURAL" in str(join.args.get("method") or "").upper():
            return None
    if any(alias.columns for alias in tree.find_all(exp.TableAlias)):
        return None  # a column alias list reads columns by other names
    idents = {i.name.lower() for i in tree.find_all(exp.Identifier, exp.Var)}
    return idents, {c.name.lower() for c in tree.find_all(exp.Column)}


def prune_columns(tree: exp.Expr, node: Node) -> None:
    """Set ``want`` on the table scans of ``node``'s tree (as far as ``children`` reach)."""
    found = referenced_names(tree)
    if found is None:
        return
    names, columns = found
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, SubqueryScan) and n.view:
            continue  # pruned by the view's own query (sql.views)
        stack.extend(n.children())
        if isinstance(n, TableScan | KeyScan):
            table = n.codec.table
            labels = {str(c.table).lower() for c in n.scope.columns} | {table.name.lower()}
            if labels & columns:
                continue  # the table's row as a value
            n.want = bytes(c.name.lower() in names for c in n.codec.live)
