"""Partitioned indexes: an index of a partitioned table and the indexes of its partitions
attached to it (``IndexDef.parent_oid``), made by CREATE INDEX on the partitioned table (which
clones it down, sql.ddl) or, after CREATE INDEX ON ONLY, by ALTER INDEX ... ATTACH PARTITION.
This module attaches, checks as PostgreSQL 15 does, and walks those trees (pg_inherits,
pg_partition_tree / pg_partition_ancestors of an index)."""

from __future__ import annotations

from sql import relations
from sql.catalog import Catalog, IndexDef, TableDef
from sql.errors import InvalidObjectDefinition, ObjectNotInPrerequisiteState, WrongObjectType
from sql.session_api import SessionApi


def _same_definition(a: IndexDef, b: IndexDef) -> bool:
    return (a.columns, a.exprs, a.unique, a.predicate, a.method, a.opclasses, a.descending) == (
        b.columns, b.exprs, b.unique, b.predicate, b.method, b.opclasses, b.descending,
    )  # fmt: skip


def attach(
    session: SessionApi,
    catalog: Catalog,
    parent_table: TableDef,
    parent: IndexDef,
    name: relations.Name,
) -> None:
    """ALTER INDEX parent ATTACH PARTITION name."""
    if parent_table.partkey is None:
        raise WrongObjectType(
            f'ALTER action ATTACH PARTITION cannot be performed on relation "{parent.name}"',
            detail="This operation is not supported for indexes.",
        )
    rel = relations.for_use(catalog, "INDEX", name, session.search_path())
    child_table, child = rel.table, rel.index
    assert child is not None
    if child.parent_oid == parent.oid:
        return
    refused = f'cannot attach index "{child.name}" as a partition of index "{parent.name}"'
    if child_table.bound is None or child_table.parents[:1] != [parent_table.id]:
        raise ObjectNotInPrerequisiteState(
            refused,
            detail=f'Index "{child.name}" is not an index on any partition of table '
            f'"{parent_table.name}".',
        )
    if child.parent_oid:
        raise ObjectNotInPrerequisiteState(
            refused, detail=f'Index "{child.name}" is already attached to another index.'
        )
    if not _same_definition(parent, child):
        raise InvalidObjectDefinition(refused, detail="The index definitions do not match.")
    if any(i.parent_oid == parent.oid for i in child_table.indexes):
        raise ObjectNotInPrerequisiteState(
            refused,
            detail=f'Another index is already attached for partition "{child_table.name}".',
        )
    child.parent_oid = parent.oid
    session.database.catalogs.put_table(session.current_txn(), child_table, catalog, new=False)


def index_owner(catalog: Catalog, oid: int) -> tuple[TableDef, IndexDef] | None:
    for t in catalog.all_tables():
        for i in t.indexes:
            if i.oid == oid:
                return t, i
    return None


def children(catalog: Catalog, index: IndexDef) -> list[tuple[TableDef, IndexDef]]:
    """The partitions' indexes attached to ``index``, in their tables' order."""
    if not index.oid:
        return []
    return [(t, i) for t in catalog.all_tables() for i in t.indexes if i.parent_oid == index.oid]


def inherits_rows(catalog: Catalog) -> list[tuple[int, int, int, bool]]:
    """pg_inherits rows of attached indexes: (inhrelid, inhparent, inhseqno, inhdetachpending)."""
    return [
        (i.oid, i.parent_oid, 1, False)
        for t in catalog.all_tables()
        for i in t.indexes
        if i.parent_oid
    ]
