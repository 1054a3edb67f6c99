"""ALTER TABLE ... ATTACH / DETACH PARTITION and INHERIT / NO INHERIT: an existing table
joins or leaves an inheritance tree, checked as PostgreSQL 15 checks it (the columns and
constraints it must have, and for a partition, that its rows fit the bound)."""

from __future__ import annotations

import dataclasses

import sqlglot
from sqlglot import exp

from sql import partitions, temp
from sql.catalog import Catalog, TableDef
from sql.errors import (
    CheckViolation,
    DatatypeMismatch,
    DuplicateTable,
    InvalidObjectDefinition,
    UndefinedTable,
    WrongObjectType,
)
from sql.pg_dialect import DIALECT
from sql.scope import Context
from sql.session_api import SessionApi
from sql.table_data import validate_constraints


def attach_partition(
    session: SessionApi, catalog: Catalog, parent: TableDef, child: TableDef, bound_sql: str
) -> None:
    """ATTACH PARTITION ``child`` FOR VALUES ... (``bound_sql``) of ``parent``."""
    _check_partitioned(parent)
    if child.bound is not None:
        raise WrongObjectType(f'"{child.name}" is already a partition')
    if child.parents:
        raise WrongObjectType("cannot attach inheritance child as partition")
    if catalog.children(child) and child.partkey is None:
        raise WrongObjectType("cannot attach inheritance parent as partition")
    if child.id == parent.id or any(d.id == parent.id for d in catalog.descendants(child)):
        raise DuplicateTable(
            "circular inheritance not allowed",
            detail=f'"{child.name}" is already a child of "{parent.name}".',
        )
    if temp.is_temp_schema(child.schema) != temp.is_temp_schema(parent.schema):
        raise WrongObjectType(
            f"cannot attach a {'temporary' if temp.is_temp_schema(child.schema) else 'permanent'}"
            f" relation as partition of "
            f"{'temporary' if temp.is_temp_schema(parent.schema) else 'permanent'} relation "
            f'"{parent.name}"'
        )
    parent_cols = {c.name for c in parent.live_columns}
    for col in child.live_columns:
        if col.name not in parent_cols:
            raise DatatypeMismatch(
                f'table "{child.name}" contains column "{col.name}" not found in parent '
                f'"{parent.name}"',
                detail="The new partition may contain only the columns present in parent.",
            )
    _join_columns(parent, child)
    tree = sqlglot.parse_one(f"CREATE TABLE x PARTITION OF y {bound_sql}", read=DIALECT)
    props = tree.args["properties"].expressions
    spec = next(p for p in props if isinstance(p, exp.PartitionedOfProperty)).expression
    bound = partitions.parse_bound(parent, child.name, spec)
    partitions.check_overlap(catalog, parent, child.name, bound)
    child.parents = [parent.id]
    child.bound = bound
    for con in parent.constraints:  # the partitioned table's foreign keys hold here too
        if con.kind == "f" and all(c.name != con.name for c in child.constraints):
            child.constraints.append(dataclasses.replace(con, oid=0, inherited=True, local=False))
    partitions.check_default_rows(session, catalog, parent, child)
    catalog.tables[child.id] = child
    router = partitions.Router(catalog)
    for values in partitions.rows_of(session, catalog, child):
        if not router.fits(child, values):
            raise CheckViolation(
                f'partition constraint of relation "{child.name}" is violated by some row'
            )
    session.database.catalogs.put_table(session.current_txn(), child, catalog, new=False)
    validate_constraints(session, child, Context())  # its rows against the copied keys


def detach_partition(
    session: SessionApi, catalog: Catalog, parent: TableDef, child: TableDef
) -> None:
    _check_partitioned(parent)
    if child.bound is None or child.parents != [parent.id]:
        raise UndefinedTable(
            f'relation "{child.name}" is not a partition of relation "{parent.name}"'
        )
    child.bound = None
    _leave(child, parent)
    session.database.catalogs.put_table(session.current_txn(), child, catalog, new=False)


def _check_partitioned(parent: TableDef) -> None:
    if parent.partkey is None:
        raise InvalidObjectDefinition(f'table "{parent.name}" is not partitioned')


def inherit(session: SessionApi, catalog: Catalog, child: TableDef, parent: TableDef) -> None:
    """ALTER TABLE child INHERIT parent."""
    if parent.partkey is not None:
        raise WrongObjectType(f'cannot inherit from partitioned table "{parent.name}"')
    if child.bound is not None or parent.bound is not None:
        raise WrongObjectType(
            "cannot change inheritance of a partition"
            if child.bound is not None
            else "cannot inherit from a partition"
        )
    if child.partkey is not None:
        raise WrongObjectType("cannot change inheritance of partitioned table")
    if temp.is_temp_schema(parent.schema) and not temp.is_temp_schema(child.schema):
        raise WrongObjectType(f'cannot inherit from temporary relation "{parent.name}"')
    if parent.id in child.parents:
        raise DuplicateTable(f'relation "{parent.name}" would be inherited from more than once')
    if parent.id == child.id or any(d.id == parent.id for d in catalog.descendants(child)):
        raise DuplicateTable(
            "circular inheritance not allowed",
            detail=f'"{parent.name}" is already a child of "{child.name}".',
        )
    _join_columns(parent, child)
    child.parents.append(parent.id)
    session.database.catalogs.put_table(session.current_txn(), child, catalog, new=False)


def no_inherit(session: SessionApi, catalog: Catalog, child: TableDef, parent: TableDef) -> None:
    if child.bound is not None:
        raise WrongObjectType("cannot change inheritance of a partition")
    if parent.id not in child.parents:
        raise UndefinedTable(f'relation "{parent.name}" is not a parent of relation "{child.name}"')
    _leave(child, parent)
    session.database.catalogs.put_table(session.current_txn(), child, catalog, new=False)


def _join_columns(parent: TableDef, child: TableDef) -> None:
    """The columns and CHECK constraints a table must have to become ``parent``'s child,
    and their inheritance counts once it is."""
    for pc in parent.live_columns:
        if not child.has_column(pc.name):
            raise DatatypeMismatch(f'child table is missing column "{pc.name}"')
        col = child.column(pc.name)
        if col.type != pc.type:
            raise DatatypeMismatch(
                f'child table "{child.name}" has different type for column "{pc.name}"'
            )
        if pc.not_null and not col.not_null:
            raise DatatypeMismatch(f'column "{pc.name}" in child table must be marked NOT NULL')
    for con in parent.constraints:
        if con.kind != "c" or con.no_inherit:
            continue
        mine = next((c for c in child.constraints if c.kind == "c" and c.name == con.name), None)
        if mine is None:
            raise DatatypeMismatch(f'child table is missing constraint "{con.name}"')
    for pc in parent.live_columns:
        child.column(pc.name).inherited += 1
    for con in parent.constraints:
        for mine in child.constraints:
            if mine.kind == "c" and mine.name == con.name:
                mine.inherited = True


def _leave(child: TableDef, parent: TableDef) -> None:
    child.parents = [p for p in child.parents if p != parent.id]
    for pc in parent.live_columns:
        if child.has_column(pc.name):
            col = child.column(pc.name)
            col.inherited = max(0, col.inherited - 1)
            if col.inherited == 0:
                col.local = True
    names = {c.name for c in parent.constraints if c.kind == "c"}
    for con in child.constraints:
        if con.name in names:
            con.inherited = False
