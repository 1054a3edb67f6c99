"""Automatically updatable views: INSERT, UPDATE and DELETE on a simple view (one relation in
FROM; no DISTINCT, GROUP BY, HAVING, LIMIT, OFFSET, set operation, WITH, aggregate, window
or set-returning function in its list) become the same statement on the relation it reads,
as PostgreSQL's rewriter does. The statement's target keeps its name (the view's, or its
alias) for the relation, each view column becomes the expression it stands for, and the
view's WHERE joins the statement's (UPDATE, DELETE). A view column that is no plain column
of the relation cannot be written (0A000); a view that is not simple cannot be changed at
all (55000), unless rules or INSTEAD OF triggers do it.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from sql.catalog import TableDef
from sql.errors import FeatureNotSupported, ObjectNotInPrerequisiteState
from sql.pg_dialect import DIALECT
from sql.session_api import SessionApi

CHECKS = "view_checks"  # tree.meta: [(view, label, SQL)] a new row must meet (TableWriter)
_CASCADE = "view_checks_cascade"  # tree.meta: an outer view's CASCADED CHECK OPTION
_VERBS = {exp.Insert: "insert into", exp.Update: "update", exp.Delete: "delete from"}
_RULE_KIND = {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE"}


def _refuse(view: TableDef, tree: exp.Expr, detail: str) -> ObjectNotInPrerequisiteState:
    verb = _VERBS[type(tree)]  # type: ignore[index]
    kind = _RULE_KIND[type(tree)]  # type: ignore[index]
    action = {"INSERT": "inserting into", "UPDATE": "updating", "DELETE": "deleting from"}[kind]
    return ObjectNotInPrerequisiteState(
        f'cannot {verb} view "{view.name}"',
        detail=detail,
        hint=f"To enable {action} the view, provide an INSTEAD OF {kind} trigger or an "
        f"unconditional ON {kind} DO INSTEAD rule.",
    )


def _simple(view: TableDef, tree: exp.Expr) -> exp.Select:
    """The view's query, when PostgreSQL could update through it."""
    query = sqlglot.parse_one(view.query or "", read=DIALECT)
    if not isinstance(query, exp.Select):
        raise _refuse(view, tree, "Views containing UNION, INTERSECT, or EXCEPT are not "
                      "automatically updatable.")  # fmt: skip
    checks = [
        ("with_", "Views containing WITH are not automatically updatable."),
        ("distinct", "Views containing DISTINCT are not automatically updatable."),
        ("group", "Views containing GROUP BY are not automatically updatable."),
        ("having", "Views containing HAVING are not automatically updatable."),
        ("limit", "Views containing LIMIT or OFFSET are not automatically updatable."),
        ("offset", "Views containing LIMIT or OFFSET are not automatically updatable."),
    ]
    for key, detail in checks:
        if query.args.get(key):
            raise _refuse(view, tree, detail)
    source = query.args.get("from_")
    if (
        source is None
        or query.args.get("joins")
        or not isinstance(source.this, exp.Table)
        or source.this.args.get("joins")
        or not isinstance(source.this.this, exp.Identifier)
    ):
        raise _refuse(view, tree, "Views that do not select from a single table or view are "
                      "not automatically updatable.")  # fmt: skip
    for e in query.expressions:
        if e.find(exp.AggFunc) is not None:
            raise _refuse(view, tree, "Views that return aggregate functions are not "
                          "automatically updatable.")  # fmt: skip
        if e.find(exp.Window) is not None:
            raise _refuse(view, tree, "Views that return window functions are not "
                          "automatically updatable.")  # fmt: skip
    return query


def updatable(view: TableDef) -> bool:
    """Whether PostgreSQL could insert, update and delete through ``view`` by itself (what
    information_schema's is_updatable and is_insertable_into say)."""
    try:
        _simple(view, exp.Delete())
    except ObjectNotInPrerequisiteState:
        return False
    return True


def _columns(
    session: SessionApi, view: TableDef, query: exp.Select, base: TableDef, label: str
) -> dict[str, exp.Expr]:
    """Each view column's expression over the base relation, its columns named by ``label``."""
    inner = query.args["from_"].this
    names = {inner.alias_or_name, inner.name}
    items: list[exp.Expr] = []
    for e in query.expressions:
        star = e if isinstance(e, exp.Star) else e.this if isinstance(e, exp.Column) else None
        if isinstance(star, exp.Star):
            items += [exp.column(c.name, quoted=True) for c in base.live_columns]
        else:
            items.append(e.this if isinstance(e, exp.Alias) else e)
    out: dict[str, exp.Expr] = {}
    for col, e in zip(view.live_columns, items, strict=False):
        out[col.name] = _requalified(e, names, base, label)
    return out


def _requalified(e: exp.Expr, names: set[str], base: TableDef, label: str) -> exp.Expr:
    e = e.copy()
    for c in list(e.find_all(exp.Column)):
        if c.find_ancestor(exp.Subquery, exp.Select) is not None:
            continue
        if (c.table in names or not c.table) and base.has_column(c.name):
            c.set("table", exp.to_identifier(label))
            c.set("db", None)
            c.set("catalog", None)
    return e


def _substitute(node: exp.Expr, cols: dict[str, exp.Expr], label: str) -> exp.Expr:
    """``node`` with references to the view's columns as their expressions."""
    for c in list(node.find_all(exp.Column)):
        if isinstance(c.this, exp.Star):
            continue
        if c.table not in ("", label) or c.name not in cols:
            continue
        if not c.table and c is not node and c.find_ancestor(exp.Select) is not None:
            continue  # a subquery's own column, most likely
        repl = exp.Paren(this=cols[c.name].copy()) if not isinstance(
            cols[c.name], exp.Column) else cols[c.name].copy()  # fmt: skip
        if c is node:
            return repl
        c.replace(repl)
    return node


def _plain(view: TableDef, cols: dict[str, exp.Expr], name: str, verb: str) -> str:
    e = cols.get(name)
    if e is None:
        view.column(name)
    if not isinstance(e, exp.Column):
        raise FeatureNotSupported(
            f'cannot {verb} column "{name}" of view "{view.name}"',
            detail="View columns that are not columns of their base relation are not updatable.",
        )
    return e.name


def rewrite(session: SessionApi, tree: exp.Expr) -> exp.Expr | None:
    """``tree`` on the relation its target view reads; None when its target is no view."""
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return None
    view = session.catalog().find(table.name, table.db or None, session.search_path())
    if view is None or view.kind != "view":
        return None
    query = _simple(view, tree)
    inner = query.args["from_"].this
    base = session.catalog().find(inner.name, inner.db or None, session.search_path())
    if base is None or base.kind not in ("table", "view"):
        raise _refuse(view, tree, "Views that do not select from a single table or view are "
                      "not automatically updatable.")  # fmt: skip
    label = table.alias or view.name
    cols = _columns(session, view, query, base, label)
    incoming = tree.meta.get(CHECKS) or []
    cascade = bool(tree.meta.get(_CASCADE)) or view.check_option == "cascaded"
    tree = tree.copy()
    tree.meta.pop("rules_applied", None)  # the base relation's rules still apply
    if not isinstance(tree, exp.Delete):
        own_where = query.args.get("where")
        checks = []
        if own_where is not None and (view.check_option or cascade):
            known = {inner.alias_or_name, inner.name}
            checks.append((view.name, label, _requalified(own_where.this, known, base, label)
                           .sql(dialect="postgres")))  # fmt: skip
        for name, lab, sql in incoming:
            cond = _substitute(sqlglot.parse_one(sql, read=DIALECT), cols, label)
            checks.append((name, lab, cond.sql(dialect="postgres")))
        tree.meta[CHECKS] = checks
        tree.meta[_CASCADE] = cascade
    new_target = exp.Table(this=exp.to_identifier(base.name, quoted=True),
                           db=exp.to_identifier(base.schema, quoted=True),
                           alias=exp.TableAlias(this=exp.to_identifier(label)))  # fmt: skip
    if tree.args.get("only") or table.args.get("only"):
        new_target.set("only", True)
    ret = tree.args.get("returning")
    if ret is not None:
        items: list[exp.Expr] = []
        for e in ret.expressions:
            star = e if isinstance(e, exp.Star) else e.this if isinstance(e, exp.Column) else None
            if isinstance(star, exp.Star) and (isinstance(e, exp.Star) or e.table == label):
                items += [exp.alias_(cols[c.name].copy(), c.name, quoted=True)
                          for c in view.live_columns]  # fmt: skip
                continue
            if isinstance(e, exp.Column) and e.table in ("", label) and e.name in cols:
                items.append(exp.alias_(cols[e.name].copy(), e.name, quoted=True))
                continue
            items.append(_substitute(e, cols, label))
        ret.set("expressions", items)
    if isinstance(tree, exp.Insert):
        names = [i.name for i in target.expressions] if isinstance(target, exp.Schema) else None
        if names is None:
            width = _width(tree.expression)
            names = [c.name for c in view.live_columns][: width or None]
        base_names = [_plain(view, cols, n, "insert into") for n in names]
        tree.set("this", exp.Schema(this=new_target,
                                    expressions=[exp.to_identifier(n, quoted=True)
                                                 for n in base_names]))  # fmt: skip
        return tree
    tree.set("this", new_target)
    if isinstance(tree, exp.Update):
        for s in tree.expressions:
            if not isinstance(s, exp.EQ) or not isinstance(s.this, exp.Column):
                raise FeatureNotSupported("this form of UPDATE of a view is not supported")
            name = _plain(view, cols, s.this.name, "update")
            s.set("this", exp.column(name, quoted=True))
            s.set("expression", _substitute(s.expression, cols, label))
    where = tree.args.get("where")
    conds = []
    if where is not None:
        conds.append(exp.Paren(this=_substitute(where.this, cols, label)))
    own = query.args.get("where")
    if own is not None:
        inner_names = {inner.alias_or_name, inner.name}
        conds.append(exp.Paren(this=_requalified(own.this, inner_names, base, label)))
    if conds:
        tree.set("where", exp.Where(this=exp.and_(*conds)))
    return tree


def _width(source: exp.Expr | None) -> int:
    """How many columns an INSERT's source gives (0: DEFAULT VALUES or unknown)."""
    if isinstance(source, exp.Values) and source.expressions:
        first = source.expressions[0]
        return len(first.expressions) if isinstance(first, exp.Tuple) else 1
    if isinstance(source, exp.Select):
        if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(
                e.this, exp.Star)) for e in source.expressions):  # fmt: skip
            return 0
        return len(source.expressions)
    return 0
