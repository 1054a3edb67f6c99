"""INSERT, UPDATE and DELETE on a view that has INSTEAD OF triggers: each row the statement
would write is handed to the triggers as NEW / OLD instead (sql.triggers.Firing), and the
rows they return are what the statement counts and RETURNING shows, as in PostgreSQL.

A view without such a trigger is changed through its relation (sql.view_update).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from sql.casts import coerce_to
from sql.catalog import TableDef
from sql.errors import FeatureNotSupported, SyntaxError_
from sql.executor.execute import run_plan
from sql.plan.binder import Planner
from sql.result import Result
from sql.scope import Context, Scope, ScopeColumn
from sql.session_api import SessionApi
from sql.triggers import Firing

# dml._returning: RETURNING's columns and functions over rows of a scope.
Returning = Callable[..., Any]


def instead_of(
    session: SessionApi, tree: exp.Expr, ctx: Context, returning: Returning
) -> Callable[[], Result] | None:
    """How to run ``tree`` on a view through its INSTEAD OF triggers; None when its target
    is no view with an enabled INSTEAD OF trigger for the statement's event."""
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return None
    view = session.catalog().find(table.name, table.db or None, session.search_path())
    event = (
        "insert"
        if isinstance(tree, exp.Insert)
        else "update"
        if isinstance(tree, exp.Update)
        else "delete"
    )
    if view is None or view.kind != "view":
        return None
    if not any(t.enabled and t.timing == "instead" and event in t.events for t in view.triggers):
        return None
    alias = table.alias or None
    cols = view.live_columns
    scope = Scope([ScopeColumn(alias or view.name, c.name, c.type) for c in cols])
    ret = returning(session, view, tree, ctx, scope)
    if isinstance(tree, exp.Insert):
        rows = _insert_rows(session, view, tree, ctx)
    else:
        if tree.args.get("from_") or tree.args.get("from") or tree.args.get("using"):
            raise FeatureNotSupported(f"{event.upper()} of a view with FROM / USING")
        rows = _old_rows(session, view, tree, ctx, scope)

    def run() -> Result:
        fire = Firing.of(session, view, event, ctx)
        assert fire is not None
        fire.statement("before")
        out = []
        count = 0
        for old, new in rows():
            got = fire.instead_row(old, new)
            if got is None:
                continue
            count += 1
            if ret:
                out.append(tuple(f(got) for f in ret[1]))
        fire.finish()
        tag = f"INSERT 0 {count}" if event == "insert" else f"{event.upper()} {count}"
        return Result(tag, ret[0], out) if ret else Result(tag)

    return run


def _insert_rows(
    session: SessionApi, view: TableDef, tree: exp.Insert, ctx: Context
) -> Callable[[], list[tuple[Any, Any]]]:
    target = tree.this
    cols = view.live_columns
    names = [i.name for i in target.expressions] if isinstance(target, exp.Schema) else None
    names = names or [c.name for c in cols]
    positions = [[c.name for c in cols].index(view.column(n).name) for n in names]
    types = [view.column(n).type for n in names]
    planner = Planner(session, session.catalog(), ctx)
    source = tree.expression
    if isinstance(source, exp.Values):
        comp = planner.compiler(Scope([]))
        tuples = []
        for tup in source.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            if len(items) > len(names):
                raise SyntaxError_("INSERT has more expressions than target columns")
            tuples.append(
                [
                    None
                    if isinstance(item, exp.Var | exp.Column) and item.name.upper() == "DEFAULT"
                    else coerce_to(comp.compile(item), t)
                    for item, t in zip(items, types, strict=False)
                ]
            )

        def values() -> list[list[Any]]:
            return [[None if v is None else v.fn(()) for v in tup] for tup in tuples]
    elif source is not None:
        query = planner.plan_query(source)

        def values() -> list[list[Any]]:
            return [list(r) for r in run_plan(query)]
    else:

        def values() -> list[list[Any]]:
            return [[]]

    def rows() -> list[tuple[Any, Any]]:
        out = []
        for vals in values():
            full: list[Any] = [None] * len(cols)
            for pos, v in zip(positions, vals, strict=False):
                full[pos] = v
            out.append((None, tuple(full)))
        return out

    return rows


def _old_rows(
    session: SessionApi, view: TableDef, tree: exp.Expr, ctx: Context, scope: Scope
) -> Callable[[], list[tuple[Any, Any]]]:
    """The view's rows the UPDATE / DELETE's WHERE picks, each with its new version."""
    select = exp.Select(expressions=[exp.Star()])
    select.set("from_", exp.From(this=tree.this.copy()))
    where = tree.args.get("where")
    if where is not None:
        select.set("where", where.copy())
    planner = Planner(session, session.catalog(), ctx)
    query = planner.plan_query(select)
    comp = planner.compiler(scope)
    assigns = []
    for s in tree.expressions if isinstance(tree, exp.Update) else []:
        if not isinstance(s, exp.EQ) or not isinstance(s.this, exp.Column):
            raise FeatureNotSupported("this form of UPDATE of a view is not supported")
        col = view.column(s.this.name)
        index = [c.name for c in view.live_columns].index(col.name)
        assigns.append((index, coerce_to(comp.compile(s.expression), col.type)))
    update = isinstance(tree, exp.Update)

    def rows() -> list[tuple[Any, Any]]:
        out: list[tuple[Any, Any]] = []
        for old in run_plan(query):
            old = tuple(old)
            if not update:
                out.append((old, None))
                continue
            new = list(old)
            for i, typed in assigns:
                new[i] = typed.fn(old)
            out.append((old, tuple(new)))
        return out

    return rows
