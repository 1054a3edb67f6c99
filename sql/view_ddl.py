"""CREATE [OR REPLACE] VIEW: checks a view's query and options, and stores it (sql.views
holds what a view is and how queries read it)."""

from __future__ import annotations

import re

from sqlglot import exp

from sql import grants, temp
from sql.catalog import ColumnDef, TableDef
from sql.ddl import _catalog, _refuse_properties, _schema_of
from sql.errors import (
    DuplicateTable,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidTableDefinition,
    WrongObjectType,
)
from sql.pg_dialect import DIALECT
from sql.plan.binder import Planner
from sql.result import Result
from sql.scope import Context
from sql.session_api import SessionApi
from sql.views import column_defs, qualify, renamed


def _query_of(tree: exp.Create) -> exp.Expr:
    query = tree.expression
    if any(q.args.get("into") is not None for q in query.find_all(exp.Select)):
        raise FeatureNotSupported("views must not contain SELECT INTO")
    if not isinstance(query, exp.Query):
        raise FeatureNotSupported(f"CREATE VIEW ... AS {query.sql(dialect='postgres')[:40]}")
    return query


def create_view(session: SessionApi, tree: exp.Create, ctx: Context) -> Result:
    _view_options(tree)
    _refuse_properties(tree, "CREATE VIEW")
    target = tree.this
    names = []
    if isinstance(target, exp.Schema):
        names = [i.name for i in target.expressions]
        target = target.this
    query = _query_of(tree).copy()
    schema = _schema_of(session, target, temp.persistence_of(tree))
    catalog = _catalog(session)
    depends = qualify(session, catalog, query)
    if not temp.is_temp_schema(schema) and any(
        temp.is_temp_schema(catalog.tables[d].schema) for d in depends
    ):
        session.notices.append(f'view "{target.name}" will be a temporary view')
        schema = _schema_of(session, target, temp.ON_COMMIT_PRESERVE)
        catalog = _catalog(session)
    plan = Planner(session, session.catalog(), ctx).plan_query(query)
    columns = column_defs(renamed([(c.name, c.type) for c in plan.columns], names))
    store = session.database.catalogs
    txn = session.current_txn()
    old = catalog.find(target.name, schema, [])
    text = query.sql(dialect=DIALECT)
    if old is not None:
        if old.kind != "view" or not tree.args.get("replace"):
            if old.kind == "view" or not tree.args.get("replace"):
                raise DuplicateTable(f'relation "{target.name}" already exists')
            raise WrongObjectType(f'"{target.name}" is not a view')
        _check_replacement(old, columns)
        old.columns, old.query, old.depends = columns, text, depends
        old.check_option = tree.meta.get("check_option")
        store.put_table(txn, old, catalog, new=False)
        return Result("CREATE VIEW")
    view = TableDef(id=store.next_id(txn), schema=schema, name=target.name, columns=columns,
                    kind="view", query=text, depends=depends,
                    check_option=tree.meta.get("check_option"))  # fmt: skip
    store.put_table(txn, grants.owned(session, view), catalog, new=True)
    return Result("CREATE VIEW")


# View options with no effect in db9: one user, no leaky functions to guard against.
_BOOLEAN_OPTIONS = ("security_barrier", "security_invoker")


_CHECK_OPTION = re.compile(
    r"\s+WITH\s+(?:(LOCAL|CASCADED)\s+)?CHECK\s+OPTION\s*;?\s*$", re.IGNORECASE
)
_RECURSIVE = re.compile(
    r"^(\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?)RECURSIVE\s+VIEW\s+"
    r"((?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))?)\s*\(([^)]*)\)\s+AS\s+(.*)$",
    re.IGNORECASE | re.DOTALL,
)


def split_check_option(text: str) -> tuple[str, str | None]:
    """CREATE VIEW's text without a trailing WITH [LOCAL|CASCADED] CHECK OPTION, and the
    option ("local" or "cascaded", the default) when it had one."""
    m = _CHECK_OPTION.search(text)
    if m is None:
        return text, None
    return text[: m.start()], (m.group(1) or "cascaded").lower()


def recursive_as_with(text: str) -> str:
    """CREATE RECURSIVE VIEW v (cols) AS q is CREATE VIEW v AS WITH RECURSIVE v (cols) AS
    (q) SELECT cols FROM v, as PostgreSQL defines it."""
    m = _RECURSIVE.match(text)
    if m is None:
        return text
    head, name, cols, query = m.groups()
    short = name.rsplit(".", 1)[-1]
    query = query.rstrip().rstrip(";")
    return (f"{head}VIEW {name} AS WITH RECURSIVE {short} ({cols}) AS ({query}) "
            f"SELECT {cols} FROM {short}")  # fmt: skip


def _view_options(tree: exp.Create) -> None:
    """Check and drop CREATE VIEW ... WITH (option = value, ...) as PostgreSQL checks them."""
    props = tree.args.get("properties")
    for p in list(props.expressions) if props is not None else []:
        if type(p) is not exp.Property:
            continue
        name, value = str(p.name).lower(), p.args.get("value")
        text = value.sql(dialect="postgres").strip("'").lower() if value is not None else "true"
        if name in _BOOLEAN_OPTIONS:
            if text not in ("true", "false", "on", "off", "1", "0", "yes", "no"):
                raise InvalidParameterValue(f'invalid value for boolean option "{name}": {text}')
        elif name == "check_option":
            if text not in ("local", "cascaded"):
                raise InvalidParameterValue('invalid value for enum option "check_option": '
                                            f"{text}")  # fmt: skip
            tree.meta["check_option"] = text
        else:
            raise InvalidParameterValue(f'unrecognized parameter "{name}"')
        p.pop()


def _check_replacement(old: TableDef, new: list[ColumnDef]) -> None:
    """CREATE OR REPLACE VIEW may only add columns at the end, as in PostgreSQL."""
    if len(new) < len(old.columns):
        raise InvalidTableDefinition("cannot drop columns from view")
    for o, n in zip(old.columns, new, strict=False):
        if o.name != n.name:
            raise InvalidTableDefinition(
                f'cannot change name of view column "{o.name}" to "{n.name}"',
                hint="Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.",
            )
        if o.type != n.type:
            raise InvalidTableDefinition(
                f'cannot change data type of view column "{o.name}" from '
                f"{o.type.display()} to {n.type.display()}"
            )
