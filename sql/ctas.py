"""CREATE TABLE ... AS query and SELECT ... INTO table: a new table shaped by a query.

The table's columns are the query's output columns (names, optionally renamed by a column
list, and types, an untyped literal's as text); its rows are the query's, written by the
one INSERT path (``sql.dml``), in the statement's transaction: a rolled-back CREATE TABLE AS
leaves neither table nor rows. The tag is ``SELECT n``, or ``CREATE TABLE AS`` WITH NO DATA
and when IF NOT EXISTS skips, as in PostgreSQL.
"""

from __future__ import annotations

from sqlglot import exp

from sql import dml, grants, temp, views
from sql.catalog import TableDef
from sql.ddl import _catalog, _refuse_properties, _schema_of
from sql.errors import DuplicateTable, SyntaxError_
from sql.plan.binder import Planner
from sql.result import Result
from sql.scope import Context
from sql.session_api import SessionApi


def create_table_as(session: SessionApi, tree: exp.Create, ctx: Context) -> Result:
    target = tree.this
    names: list[str] = []
    if isinstance(target, exp.Schema):
        names = [i.name for i in target.expressions]
        target = target.this
    no_data = False
    props = tree.args.get("properties")
    persistence = temp.persistence_of(tree)
    for p in props.expressions if props is not None else []:
        if isinstance(p, exp.WithDataProperty):
            no_data = bool(p.args.get("no"))
        elif not temp.is_temp_property(p):
            _refuse_properties(exp.Create(properties=exp.Properties(expressions=[p.copy()])),
                               "CREATE TABLE AS")  # fmt: skip
    query = tree.expression
    refuse_into(query)
    if isinstance(query, exp.Table):  # CREATE TABLE ... AS TABLE t
        query = exp.select("*").from_(query.copy())
    exists = bool(tree.args.get("exists"))
    return _create(session, target, names, query, ctx, no_data=no_data, if_not_exists=exists,
                   persistence=persistence)  # fmt: skip


def refuse_into(tree: exp.Expr, top: exp.Expr | None = None) -> None:
    """SELECT ... INTO anywhere in ``tree`` but its top (``top``) is PostgreSQL's 42601."""
    for q in tree.find_all(exp.Select):
        if q is not top and q.args.get("into") is not None:
            raise SyntaxError_("SELECT ... INTO is not allowed here")


def select_into(session: SessionApi, tree: exp.Select, ctx: Context) -> Result:
    into = tree.args["into"]
    refuse_into(tree, tree)
    query = tree.copy()
    query.set("into", None)
    persistence = temp.ON_COMMIT_PRESERVE if into.args.get("temporary") else None
    return _create(session, into.this, [], query, ctx, no_data=False, if_not_exists=False,
                   persistence=persistence)  # fmt: skip


def _create(
    session: SessionApi,
    target: exp.Table,
    names: list[str],
    query: exp.Expr,
    ctx: Context,
    *,
    no_data: bool,
    if_not_exists: bool,
    persistence: str | None,
) -> Result:
    schema = _schema_of(session, target, persistence)
    catalog = _catalog(session)
    if catalog.find(target.name, schema, []) is not None:
        if if_not_exists:
            session.notices.append(f'relation "{target.name}" already exists, skipping')
            return Result("CREATE TABLE AS")
        raise DuplicateTable(f'relation "{target.name}" already exists')
    plan = Planner(session, session.catalog(), ctx).plan_query(query.copy())
    columns = views.column_defs(views.renamed([(c.name, c.type) for c in plan.columns], names))
    store = session.database.catalogs
    txn = session.current_txn()
    table = TableDef(id=store.next_id(txn), schema=schema, name=target.name, columns=columns)
    store.put_table(txn, grants.owned(session, table), catalog, new=True)
    if persistence is not None:
        temp.register(session, table, persistence)
    if no_data:
        return Result("CREATE TABLE AS")
    insert = exp.Insert(
        this=exp.Table(this=exp.to_identifier(table.name), db=exp.to_identifier(schema)),
        expression=query,
    )
    done = dml.plan_insert(session, insert, ctx).run()
    return Result(f"SELECT {done.tag.split()[-1]}")
