"""Views: CREATE [OR REPLACE] VIEW, their use in queries, and what depends on them.

A view is a catalog entry of kind "view" holding its query as SQL text and its output
columns (names and types, fixed when it is created). Every relation name in the stored query
is schema-qualified at creation, so the view reads the same relations whatever the search
path of the session using it, and the ids of those relations are its ``depends``: DROP of a
relation a view depends on fails with 2BP01 unless CASCADE, which drops the views too.
A view is inlined as a subquery where it is named (``scan``); INSERT, UPDATE and DELETE
reach it through rules (sql.rules), INSTEAD OF triggers (sql.view_dml) or, for a simple
view, its relation (sql.view_update).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from sql.catalog import Catalog, ColumnDef, TableDef
from sql.errors import (
    DependentObjectsStillExist,
    DuplicateColumn,
    FeatureNotSupported,
    SyntaxError_,
)
from sql.pg_dialect import DIALECT
from sql.scope import Scope, ScopeColumn
from sql.session_api import SessionApi
from sql.types import SqlType

if TYPE_CHECKING:
    from sql.plan.nodes import Node

_PARSED: dict[str, exp.Expr] = {}


def column_defs(columns: list[tuple[str, SqlType]]) -> list[ColumnDef]:
    """Catalog columns for a query's output (a view's or CREATE TABLE AS's); an untyped
    literal's column is text, as in PostgreSQL 10+."""
    seen: set[str] = set()
    out = []
    for n, (name, t) in enumerate(columns, 1):
        if name in seen:
            raise DuplicateColumn(f'column "{name}" specified more than once')
        seen.add(name)
        base = t.element if t.element is not None else t
        if base.name == "unknown":
            base = SqlType("text", 25)
        mods = (
            [base.length] if base.length is not None
            else [base.precision, base.scale or 0] if base.precision is not None
            else []
        )  # fmt: skip
        from sql.types import type_by_name

        if type_by_name(base.name) is None:
            raise FeatureNotSupported(f'column "{name}" has type {t.display()}, not supported')
        out.append(ColumnDef(name, base.name, n, mods, array=t.element is not None))
    return out


def renamed(columns: list[tuple[str, SqlType]], names: list[str]) -> list[tuple[str, SqlType]]:
    """``columns`` with the first ones named by an explicit column list."""
    if len(names) > len(columns):
        raise SyntaxError_("too many column names were specified")
    return [(names[i] if i < len(names) else c, t) for i, (c, t) in enumerate(columns)]


def qualify(session: SessionApi, catalog: Catalog, query: exp.Expr) -> list[int]:
    """Schema-qualify every relation ``query`` names (not its CTEs' names); returns the ids
    of the catalog relations it reads."""
    ctes = {c.alias for c in query.find_all(exp.CTE)}
    depends: list[int] = []
    for t in query.find_all(exp.Table):
        if not isinstance(t.this, exp.Identifier) or (not t.db and t.name in ctes):
            continue
        found = catalog.find(t.name, t.db or None, session.search_path())
        if found is None:
            continue  # a system relation, or missing: planning the query says which
        if not t.db:
            t.set("db", exp.to_identifier(found.schema))
        if found.id not in depends:
            depends.append(found.id)
    return depends


def scan(planner: Any, view: TableDef, alias: str | None) -> Node:
    """The view ``view`` as a subquery named ``alias`` (or its name), planned by ``planner``
    (sql.plan.binder's Planner, which calls this)."""
    from sql.plan.nodes import SubqueryScan
    from sql.plan.rules.columns import prune_columns

    text = view.query or ""
    parsed = _PARSED.get(text)
    if parsed is None:
        if len(_PARSED) > 256:
            _PARSED.clear()
        parsed = _PARSED[text] = sqlglot.parse_one(text, read=DIALECT)
    saved = planner.ctes
    planner.ctes = []  # the caller's CTEs are not the view's
    # The view's relations are read with its owner's rights, not checked for the caller's.
    checked, planner.check_privileges = planner.check_privileges, False
    query = parsed.copy()
    try:
        plan = planner.plan_query(query)
    finally:
        planner.ctes = saved
        planner.check_privileges = checked
    prune_columns(query, plan.node)
    label = alias or view.name
    names = [c.name for c in view.columns]
    scope = Scope([ScopeColumn(label, names[i] if i < len(names) else c.name, c.type)
                   for i, c in enumerate(plan.columns)])  # fmt: skip
    return SubqueryScan(plan, scope, view=True)


def dependents(catalog: Catalog, table: TableDef) -> list[TableDef]:
    return [v for v in catalog.all_tables()
            if (v.kind == "view" or v.materialized) and table.id in v.depends]  # fmt: skip


def noun(table: TableDef) -> str:
    return "materialized view" if table.materialized else table.kind


def drop_dependents(
    session: SessionApi,
    catalog: Catalog,
    table: TableDef,
    cascade: bool,
    dropping: set[int],
    drop: Callable[[SessionApi, TableDef, Catalog], None],
) -> None:
    """Before ``table`` (a table or view) is dropped: refuse when views not being dropped
    too depend on it, or with CASCADE drop them (and the views on them) with ``drop``."""
    for view in dependents(catalog, table):
        if view.id in dropping:
            continue
        if not cascade:
            raise DependentObjectsStillExist(
                f"cannot drop {noun(table)} {table.name} because other objects depend on it",
                detail=f"{noun(view)} {view.name} depends on {noun(table)} {table.name}",
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            )
        session.notices.append(f"drop cascades to {noun(view)} {view.name}")
        dropping.add(view.id)
        drop_dependents(session, catalog, view, cascade, dropping, drop)
        drop(session, view, catalog)


def rename_references(
    session: SessionApi, catalog: Catalog, table: TableDef, old_name: str
) -> None:
    """After ``table`` was renamed from ``old_name``: the views reading it name it anew."""
    store = session.database.catalogs
    for view in dependents(catalog, table):
        if view.id == table.id:
            continue
        query = sqlglot.parse_one(view.query or "", read=DIALECT)
        for t in query.find_all(exp.Table):
            if t.name == old_name and t.db == table.schema:
                if not t.alias:  # columns qualified by the old name still resolve
                    t.set("alias", exp.TableAlias(this=exp.to_identifier(old_name)))
                t.set("this", exp.to_identifier(table.name))
        view.query = query.sql(dialect=DIALECT)
        store.put_table(session.current_txn(), view, catalog, new=False)


def definition(view: TableDef) -> str:
    """pg_get_viewdef's text: the stored query, pretty-printed."""
    text = view.query or ""
    try:
        shown = sqlglot.transpile(text, read="postgres", write="postgres", pretty=True)[0]
    except sqlglot.errors.ParseError:  # syntax only db9's dialect reads (SEARCH, CYCLE)
        shown = sqlglot.transpile(text, read=DIALECT, write=DIALECT, pretty=True)[0]
    return " " + shown + ";"


def view_definition(catalog: Catalog, search_path: list[str], rel: object) -> str | None:
    """pg_get_viewdef(rel): ``rel`` an oid or a (possibly qualified) name; None when it is
    not a view."""
    if isinstance(rel, int):
        found = catalog.tables.get(rel)
    else:
        schema, _, name = str(rel).rpartition(".")
        found = catalog.find(name, schema or None, search_path)
    if found is None or not (found.kind == "view" or found.materialized):
        return None
    return definition(found)
