"""CREATE and REFRESH MATERIALIZED VIEW: a materialized view is a table holding its query's
rows as of its creation or last refresh, marked ``materialized`` and keeping its query
(relations names it a MATERIALIZED VIEW, pg_class a relkind 'm'; pg_matviews and
pg_get_viewdef show the query). Its rows are written by CREATE TABLE AS's path (sql.ctas) and
by the one INSERT and DELETE path (sql.dml); DROP MATERIALIZED VIEW drops it as a table.
"""

from __future__ import annotations

import re

from sqlglot import exp

from sql import ctas, dml, privileges, relations, views
from sql.errors import FeatureNotSupported, SyntaxError_, UndefinedTable
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.scope import Context
from sql.session_api import SessionApi
from sql.statements import Statement

COMMANDS = ("CREATE MATERIALIZED VIEW", "REFRESH MATERIALIZED VIEW")
_CREATE = re.compile(r"\s*CREATE\s+MATERIALIZED\s+VIEW\s", re.IGNORECASE)
_REFRESH = re.compile(
    r"\s*REFRESH\s+MATERIALIZED\s+VIEW\s+(?:CONCURRENTLY\s+)?(?P<name>[^\s;]+)"
    r"(?:\s+WITH\s+(?P<no>NO\s+)?DATA)?\s*;?\s*",
    re.IGNORECASE,
)


def run(session: SessionApi, stmt: Statement) -> Result:
    if stmt.command == "CREATE MATERIALIZED VIEW":
        return create(session, stmt)
    return refresh(session, stmt)


def create(session: SessionApi, stmt: Statement) -> Result:
    """CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(columns)] AS query [WITH [NO] DATA]:
    CREATE TABLE AS's table, then marked materialized with its query kept."""
    text = _CREATE.sub("CREATE TABLE ", stmt.text, count=1)
    tree = session.parse(Statement(text, stmt.start, None, "CREATE TABLE AS"))
    if not isinstance(tree, exp.Create) or tree.expression is None:
        raise SyntaxError_(f'syntax error at or near "{stmt.text.split()[-1]}"')
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    catalog = session.catalog()
    path = session.search_path()
    if tree.args.get("exists") and catalog.find(target.name, target.db or None, path):
        session.notices.append(f'relation "{target.name}" already exists, skipping')
        return Result("CREATE MATERIALIZED VIEW")
    query = tree.expression.copy()
    if isinstance(query, exp.Table):
        query = exp.select("*").from_(query)
    depends = views.qualify(session, catalog, query)
    done = ctas.create_table_as(session, tree, Context())
    catalog = session.catalog()
    table = catalog.find(target.name, target.db or None, path)
    assert table is not None
    table.materialized = True
    table.query = query.sql(dialect=DIALECT)
    table.depends = depends
    table.populated = done.tag.startswith("SELECT")
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return done if table.populated else Result("CREATE MATERIALIZED VIEW")


def refresh(session: SessionApi, stmt: Statement) -> Result:
    """REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]: its rows replaced by
    its query's, in the statement's transaction."""
    # sqlglot's tokenizer keeps all after REFRESH as one string: read the text itself
    m = _REFRESH.fullmatch(stmt.text)
    if m is None:
        raise SyntaxError_(f'syntax error at or near "{stmt.text.split()[-1]}"')
    catalog = session.catalog()
    name = relations.parse_name(m["name"])
    rel = relations.lookup(catalog, name, session.search_path())
    if rel is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    if rel.kind != "MATERIALIZED VIEW":  # PostgreSQL's matview.c answers 0A000 here
        raise FeatureNotSupported(f'"{name.name}" is not a materialized view')
    table = rel.table
    privileges.require_owner(session, table, "materialized view", table.name)
    target = exp.Table(this=exp.to_identifier(table.name), db=exp.to_identifier(table.schema))
    store = session.database.catalogs
    if not table.populated:  # readable again for the DELETE below
        table.populated = True
        store.put_table(session.current_txn(), table, catalog, new=False)
        catalog = session.catalog()
    dml.plan_delete(session, exp.Delete(this=target.copy()), Context()).run()
    table.populated = m["no"] is None
    if table.populated:
        query = session.parse(Statement(table.query or "", 0, None, "SELECT"))
        insert = exp.Insert(this=target, expression=query.copy())
        dml.plan_insert(session, insert, Context()).run()
    store.put_table(session.current_txn(), table, catalog, new=False)
    return Result("REFRESH MATERIALIZED VIEW")
