"""ALTER TABLE actions that rewrite or rename what a table holds: ALTER COLUMN ... TYPE,
DROP CONSTRAINT, RENAME CONSTRAINT (OWNER TO is sql.ddl's, privileges sql.privileges').

ALTER COLUMN ... TYPE computes every new row before writing any, so a bad value fails the
statement with nothing changed; then rows are rewritten under the new definition and every
index is rebuilt from them (uniqueness checked as CREATE UNIQUE INDEX does).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from sqlglot import exp

from kv import dropped
from sql import dml, regclass_text, relations
from sql.casts import coerce_to
from sql.catalog import ColumnDef, TableDef
from sql.errors import (
    DatatypeMismatch,
    DependentObjectsStillExist,
    DuplicateObject,
    DuplicateTable,
    FeatureNotSupported,
    GroupingError,
    InvalidTableDefinition,
    UndefinedObject,
    WindowingError,
)
from sql.expr import Compiler, datatype_to_sql
from sql.layout import index_prefix, prefix_end
from sql.plan.binder import contains_aggregate, table_scope
from sql.rows import RowCodec
from sql.scope import Context
from sql.session_api import SessionApi
from sql.table_data import backfill, delete_range, rewrite, type_fields, validate_constraints
from sql.types import SqlType
from sql.user_types import column_udt

_STRINGS = ("text", "character varying", "character", "name")
_NUMBERS = ("smallint", "integer", "bigint", "numeric", "real", "double precision")
_DATETIMES = ("date", "timestamp without time zone", "timestamp with time zone")


def _assignable(src: SqlType, dst: SqlType) -> bool:
    """Whether PostgreSQL has an implicit or assignment cast from ``src`` to ``dst`` (what
    ALTER COLUMN TYPE without USING needs)."""
    if src.element is not None or dst.element is not None:
        return (
            src.element is not None
            and dst.element is not None
            and _assignable(src.element, dst.element)
        )
    s, d = src.name, dst.name
    return (
        s == d
        or d in _STRINGS
        or (s in _NUMBERS and d in _NUMBERS)
        or (s in _DATETIMES and d in _DATETIMES)
    )


def alter_column_type(
    session: SessionApi, table: TableDef, action: exp.AlterColumn, ctx: Context
) -> None:
    """Change a column's type, rewriting its rows through ``USING`` (or the column itself)
    assigned to the new type; ``table`` is changed in place for the caller to store."""
    col = table.column(action.this.name)
    new_type = datatype_to_sql(action.args["dtype"])
    using = action.args.get("using")
    if not using and not _assignable(col.type, new_type):
        shown = new_type.display()
        raise DatatypeMismatch(
            f'column "{col.name}" cannot be cast automatically to type {shown}',
            hint=f'You might need to specify "USING {col.name}::{shown}".',
        )
    _check_foreign_keys(session, table, col.name, new_type)
    source = using or exp.column(col.name)
    compiled = coerce_to(Compiler(table_scope(table, None), ctx).compile(source), new_type)
    pos = [c.name for c in table.live_columns].index(col.name)
    new = copy.deepcopy(table)
    name, modifiers, array = type_fields(new_type, col.name)
    target = new.column(col.name)
    target.type_name, target.modifiers, target.array = name, modifiers, array
    target.udt = column_udt(new_type)
    old_codec, new_codec = RowCodec(session.db, table), RowCodec(session.db, new)
    txn = session.current_txn()
    rows: list[tuple[bytes, tuple[Any, ...]]] = []
    lo = old_codec.prefix
    for key, raw in txn.iter_scan(lo, prefix_end(lo)):
        row = old_codec.decode_value(raw)
        rows.append((key, (*row[:pos], compiled.fn(row), *row[pos + 1 :])))
    pk = next((i for i in table.indexes if i.primary), None)
    if pk is not None and col.name in pk.columns:
        keys = [new_codec.key(r) for _, r in rows]
    else:
        keys = [k for k, _ in rows]
    rewrite(session, table, new, rows, keys)
    validate_constraints(session, new, ctx)
    col.type_name, col.modifiers, col.array = name, modifiers, array


_SAME_STORAGE = (
    frozenset({"smallint", "integer", "bigint"}),
    frozenset({"text", "character varying"}),
)


def _check_foreign_keys(
    session: SessionApi, table: TableDef, column: str, new_type: SqlType
) -> None:
    """A column in a foreign key must stay comparable with the other side: 42804 across type
    categories, as PostgreSQL; within one, db9 takes only types whose values compare as
    stored (integers with integers, text with varchar), else 0A000."""
    qualified = f"{table.schema}.{table.name}"
    pairs = []  # (constraint, the other side's type)
    for other in session.catalog().all_tables():
        for fk in other.constraints:
            if fk.kind != "f":
                continue
            ref = fk.ref_columns or []
            if other.id == table.id and column in fk.columns:
                schema, _, parent_name = (fk.ref_table or "").partition(".")
                parent = session.catalog().find(parent_name, schema, [])
                if parent is not None:
                    name = ref[fk.columns.index(column)] if ref else parent.primary_key[0]
                    pairs.append((fk.name, parent.column(name).type))
            if fk.ref_table == qualified and column in (ref or table.primary_key):
                idx = (ref or table.primary_key).index(column)
                pairs.append((fk.name, other.column(fk.columns[idx]).type))
    for name, other_type in pairs:
        if other_type.category != new_type.category:
            raise DatatypeMismatch(
                f'foreign key constraint "{name}" cannot be implemented',
                detail=f"Key columns are of incompatible types: {new_type.display()} and "
                f"{other_type.display()}.",
            )
        same = other_type.name == new_type.name or any(
            {other_type.name, new_type.name} <= group for group in _SAME_STORAGE
        )
        if not same:
            raise FeatureNotSupported(
                f'changing a column of foreign key "{name}" to type {new_type.display()} '
                "is not supported"
            )


def drop_constraint(session: SessionApi, table: TableDef, action: exp.Drop, catalog: Any) -> None:
    """Drop a named constraint (and the index enforcing a UNIQUE one); a primary key or
    unique constraint that another table's foreign key references needs CASCADE, which
    drops those foreign keys too."""
    store, txn = session.database.catalogs, session.current_txn()
    for target in action.args.get("tables") or action.expressions:
        con = next((c for c in table.constraints if c.name == target.name), None)
        if con is None:
            message = f'constraint "{target.name}" of relation "{table.name}" does not exist'
            if action.args.get("exists"):
                session.notices.append(message + ", skipping")
                continue
            raise UndefinedObject(message)
        if con.inherited:
            raise InvalidTableDefinition(
                f'cannot drop inherited constraint "{con.name}" of relation "{table.name}"'
            )
        qualified = f"{table.schema}.{table.name}"
        dependents = [
            (other, fk)
            for other in catalog.all_tables()
            for fk in other.constraints
            if con.kind in ("p", "u") and fk.kind == "f" and fk.ref_table == qualified
            and sorted(fk.ref_columns or table.primary_key) == sorted(con.columns
                                                                      or table.primary_key)
        ]  # fmt: skip
        if dependents and not action.args.get("cascade"):
            other, fk = dependents[0]
            raise DependentObjectsStillExist(
                f"cannot drop constraint {con.name} on table {table.name} because other "
                "objects depend on it",
                detail=f"constraint {fk.name} on table {other.name} depends on index "
                f"{con.index or con.name}",
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            )
        for other, fk in dependents:
            holder = table if other.id == table.id else other
            holder.constraints = [
                c for c in holder.constraints if c is not fk and c.name != fk.name
            ]
            if holder is not table:
                store.put_table(txn, holder, catalog, new=False)
        if con.kind == "p":
            _drop_primary_key(session, table)
        table.constraints = [c for c in table.constraints if c is not con]
        index = table.index(con.index) if con.index else None
        if index is not None:
            dropped.schedule(txn, index_prefix(session.db, table.id, index.id))
            table.indexes = [i for i in table.indexes if i is not index]


def _drop_primary_key(session: SessionApi, table: TableDef) -> None:
    """Rows are keyed by the primary key: without it each row moves to a fresh hidden row id,
    and the other indexes (whose entries end with the row key) are rebuilt. The key
    columns keep NOT NULL, as in PostgreSQL; ``table`` is changed in place."""
    pk = next(i for i in table.indexes if i.primary)
    new = copy.deepcopy(table)
    new.primary_key = []
    new.indexes = [i for i in new.indexes if not i.primary]
    old_codec, new_codec = RowCodec(session.db, table), RowCodec(session.db, new)
    txn = session.current_txn()
    lo = old_codec.prefix
    stored = list(txn.iter_scan(lo, prefix_end(lo)))
    rows = dml.TableWriter(session, new, Context()).complete_many(
        [old_codec.decode_value(raw) for _, raw in stored]
    )
    for key, _ in stored:
        txn.delete(key)
    for index in table.indexes:
        ilo = index_prefix(session.db, table.id, index.id)
        delete_range(session, ilo, prefix_end(ilo))
    txn.put_many([(new_codec.key(r), new_codec.encode_value(r)) for r in rows])
    for index in new.indexes:
        backfill(session, new, index)
    dropped.schedule(txn, index_prefix(session.db, table.id, pk.id))
    table.primary_key = []
    table.indexes = [i for i in table.indexes if not i.primary]


def rename_constraint(table: TableDef, old: str, new: str, catalog: Any) -> None:
    """Rename a constraint (and the index of a PRIMARY KEY or UNIQUE one, as PostgreSQL
    does); the caller stores ``table``."""
    con = next((c for c in table.constraints if c.name == old), None)
    if con is None:
        raise UndefinedObject(f'constraint "{old}" for table "{table.name}" does not exist')
    if any(c.name == new for c in table.constraints):
        raise DuplicateObject(f'constraint "{new}" for relation "{table.name}" already exists')
    if con.index is not None:
        if relations.lookup(catalog, relations.Name(table.schema, new), []) is not None:
            raise DuplicateTable(f'relation "{new}" already exists')
        index = table.index(con.index)
        if index is not None:
            index.name = new
        con.index = new
    con.name = new


def check_default(session: SessionApi, col: ColumnDef, e: exp.Expr, ctx: Context) -> str:
    """A column default checked as PostgreSQL checks one (no column reference, subquery,
    aggregate or window; of a type assignable to the column; a constant is evaluated now, so
    a bad literal fails here); returns its SQL to record."""
    if e.find(exp.Column):
        raise FeatureNotSupported("cannot use column reference in default expression")
    if e.find(exp.Subquery, exp.Select):
        raise FeatureNotSupported("cannot use subquery in DEFAULT expression")
    if contains_aggregate(e):
        raise GroupingError("aggregate functions are not allowed in DEFAULT expressions")
    if e.find(exp.Window):
        raise WindowingError("window functions are not allowed in DEFAULT expressions")
    text = regclass_text.qualify(
        str(e.sql(dialect="postgres")), session.catalog(), session.search_path()
    )
    probe = TableDef(0, "", "", [dataclasses.replace(col, default=text, dropped=False)])
    typed = dml.default_value(session, probe, col.name, ctx)
    if typed.const:
        typed.fn(())
    return text


def set_default(
    session: SessionApi, table: TableDef, column: str, e: exp.Expr, ctx: Context
) -> None:
    """ALTER COLUMN ... SET DEFAULT, checked as ``check_default``."""
    col = table.column(column)
    col.default = check_default(session, col, e, ctx)


def drop_not_null(table: TableDef, column: str) -> None:
    col = table.column(column)
    if col.name in table.primary_key:
        raise InvalidTableDefinition(f'column "{col.name}" is in a primary key')
    col.not_null = False
