"""Table inheritance as PostgreSQL 15 has it (partitions are inheritance children too).

A child lists its parents' ids (``TableDef.parents``); its columns start with the parents'
columns, merged by name, and it keeps the parents' NOT NULL and CHECK constraints. A read of
a parent reads its descendants too (``scan``), each row carrying its table's oid as the
hidden ``tableoid`` column; ONLY reads the parent alone. INSERT writes the named table only
(a partitioned table routes: sql.partitions).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from sql import partition_indexes, relations
from sql.catalog import Catalog, ColumnDef, ConstraintDef, IndexDef, TableDef
from sql.errors import DatatypeMismatch, DuplicateColumn, WrongObjectType
from sql.layout import prefix_end
from sql.plan.nodes import Node, Project, SetOp, TableScan
from sql.rows import ROWID, RowCodec
from sql.scope import Row, Scope, ScopeColumn
from sql.types import BOOL, INT4, INT8, OID, REGCLASS, RegclassName, SqlType

TABLEOID = "tableoid"


def merge_parents(
    table: TableDef, parents: list[TableDef], own: list[ColumnDef], *, partition: bool
) -> list[ColumnDef]:
    """The columns of a new child: each parent's columns in order (a name in several parents
    once, their types the same), then its own (``own``) that no parent has. A column both
    inherited and declared keeps the declared NOT NULL / DEFAULT on top of the inherited."""
    merged: list[ColumnDef] = []
    by_name: dict[str, ColumnDef] = {}
    for parent in parents:
        for pc in parent.live_columns:
            col = by_name.get(pc.name)
            if col is None:
                col = ColumnDef(
                    pc.name, pc.type_name, 0, list(pc.modifiers), array=pc.array,
                    not_null=pc.not_null, default=pc.default, inherited=1, local=False,
                )  # fmt: skip
                by_name[pc.name] = col
                merged.append(col)
                continue
            if col.type != pc.type:
                raise DatatypeMismatch(
                    f'inherited column "{pc.name}" has a type conflict',
                    detail=f"{col.type.name} versus {pc.type.name}",
                )
            col.inherited += 1
            col.not_null = col.not_null or pc.not_null
    for oc in own:
        col = by_name.get(oc.name)
        if col is None:
            merged.append(oc)
            continue
        if partition:
            raise DuplicateColumn(f'column "{oc.name}" specified more than once')
        if oc.type_name and col.type != oc.type:
            raise DatatypeMismatch(
                f'column "{oc.name}" has a type conflict',
                detail=f"{col.type.name} versus {oc.type.name}",
            )
        col.local = True
        col.not_null = col.not_null or oc.not_null
        col.default = oc.default if oc.default is not None else col.default
    for n, col in enumerate(merged):
        col.attnum = n + 1
    return merged


def inherited_checks(parents: list[TableDef], table: TableDef) -> list[ConstraintDef]:
    """The parents' CHECK constraints as the child's, one per name."""
    out: list[ConstraintDef] = []
    for parent in parents:
        for con in parent.constraints:
            if con.kind == "c" and not con.no_inherit and all(o.name != con.name for o in out):
                out.append(ConstraintDef(con.name, "c", list(con.columns), check=con.check,
                                         inherited=True, local=False))  # fmt: skip
    return out


def check_parent(parent: TableDef, *, partition: bool) -> None:
    """A table INHERITS may name: a table, not a partitioned one (PARTITION OF is the way)."""
    if parent.kind != "table":
        raise WrongObjectType(f'inherited relation "{parent.name}" is not a table')
    if parent.partkey is not None and not partition:
        raise WrongObjectType(f'cannot inherit from partitioned table "{parent.name}"')
    if parent.bound is not None and not partition and parent.partkey is None:
        raise WrongObjectType(f'cannot inherit from partition "{parent.name}"')


def scan(db: bytes, catalog: Catalog, table: TableDef, alias: str | None) -> Node:
    """The rows of ``table`` and of every table below it, in ``table``'s columns (matched by
    name), each with its table's oid as the hidden ``tableoid`` column."""
    label = alias or table.name
    cols = table.live_columns
    node: Node | None = None
    for member in [table, *catalog.descendants(table)]:
        part = member_scan(db, member, cols, label)
        node = part if node is None else _union(node, part)
    assert node is not None
    return node


def member_scan(db: bytes, member: TableDef, cols: list[ColumnDef], label: str) -> Node:
    """One table's rows in the columns ``cols`` (by name) and its oid as ``tableoid``."""
    codec = RowCodec(db, member)
    own = _own_scope(member, label)
    scan_node = TableScan(codec, own, codec.prefix, prefix_end(codec.prefix))
    at = {c.name: i for i, c in enumerate(own.columns)}
    # A column the member lacks (ALTER TABLE ONLY added it to the parent) reads as NULL.
    fns: list[Callable[[Row], Any]] = [
        operator.itemgetter(at[c.name]) if c.name in at else _null for c in cols
    ]
    oid = member.id
    fns.append(lambda _r: oid)
    scope = Scope(
        [ScopeColumn(label, c.name, c.type) for c in cols]
        + [ScopeColumn(label, TABLEOID, OID, hidden=True)]
    )
    return Project(scan_node, fns, scope)


def _null(_row: Row) -> None:
    return None


def with_tableoid(node: TableScan, table: TableDef) -> Node:
    """A plain table's scan with its ``tableoid`` as a hidden last column."""
    oid = table.id
    width = len(node.scope.columns)
    fns: list[Callable[[Row], Any]] = [operator.itemgetter(i) for i in range(width)]
    fns.append(lambda _r: oid)
    label = node.scope.columns[0].table if node.scope.columns else table.name
    return Project(node, fns, Scope([*node.scope.columns,
                                     ScopeColumn(label, TABLEOID, OID, hidden=True)]))  # fmt: skip


def _own_scope(member: TableDef, label: str) -> Scope:
    cols = [ScopeColumn(label, c.name, c.type) for c in member.live_columns]
    if not member.primary_key:
        cols.append(ScopeColumn(label, ROWID, INT8, hidden=True))
    return Scope(cols)


def _union(left: Node, right: Node) -> Node:
    casts = [(c.type, c.type, c.type) for c in left.scope.columns]
    return SetOp("union", True, left, right, left.scope, casts)


TREE_FUNCTIONS = ("pg_partition_ancestors", "pg_partition_tree")


def tree_function(
    session: Any, name: str, arg: Callable[[Row], Any]
) -> tuple[list[tuple[str, SqlType]], Callable[[], list[Row]]]:
    """pg_partition_ancestors(rel) (the relation and the partitioned tables above it) and
    pg_partition_tree(rel) (it and the partitions below it, with their parent, leafness and
    level): their columns and rows. Relations are regclass values (names, in db9)."""

    def find() -> TableDef | None:
        catalog: Catalog = session.catalog()
        return catalog.by_regclass(arg(()), session.search_path())

    def ancestors() -> list[Row]:
        table = find()
        if table is None:
            return _index_ancestors(session, arg(()))
        if table.kind != "table":
            return []
        return [(RegclassName(t.name, t.id),) for t in [table, *session.catalog().ancestors(table)]]

    def tree() -> list[Row]:
        table = find()
        if table is None:
            return _index_tree(session, arg(()))
        if (
            table is None
            or table.kind != "table"
            or (table.partkey is None and table.bound is None)
        ):
            return []
        catalog = session.catalog()
        out: list[Row] = []
        todo: list[tuple[TableDef, str | None, int]] = [(table, None, 0)]
        while todo:
            t, parent, level = todo.pop(0)
            up = parent if parent is not None else (
                RegclassName(catalog.tables[t.parents[0]].name, t.parents[0])
                if t.bound is not None and t.parents else None
            )  # fmt: skip
            out.append((RegclassName(t.name, t.id), up, t.partkey is None, level))
            todo += [
                (c, RegclassName(t.name, t.id), level + 1)
                for c in catalog.children(t)
                if c.bound is not None
            ]
        return out

    if name == "pg_partition_ancestors":
        return [("relid", REGCLASS)], ancestors
    cols = [("relid", REGCLASS), ("parentrelid", REGCLASS), ("isleaf", BOOL), ("level", INT4)]
    return cols, tree


def _find_index(session: Any, value: Any) -> tuple[TableDef, IndexDef] | None:
    """The index a regclass value names (a name, or an oid)."""
    if value is None:
        return None
    catalog: Catalog = session.catalog()
    if isinstance(value, int) or str(value).isdigit():
        return partition_indexes.index_owner(catalog, int(value))
    rel = relations.lookup(catalog, relations.parse_name(str(value)), session.search_path())
    return (rel.table, rel.index) if rel is not None and rel.index is not None else None


def _index_ancestors(session: Any, value: Any) -> list[Row]:
    """pg_partition_ancestors of an index: it and the indexes it is attached to, up."""
    found = _find_index(session, value)
    if found is None or (found[0].partkey is None and found[0].bound is None):
        return []
    out: list[Row] = []
    index: IndexDef | None = found[1]
    while index is not None:
        out.append((RegclassName(index.name, index.oid),))
        up = partition_indexes.index_owner(session.catalog(), index.parent_oid) if (
            index.parent_oid
        ) else None  # fmt: skip
        index = up[1] if up is not None else None
    return out


def _index_tree(session: Any, value: Any) -> list[Row]:
    """pg_partition_tree of an index: it and the partitions' indexes attached below it."""
    found = _find_index(session, value)
    if found is None or (found[0].partkey is None and found[0].bound is None):
        return []
    catalog: Catalog = session.catalog()
    table, index = found
    up = partition_indexes.index_owner(catalog, index.parent_oid) if index.parent_oid else None
    out: list[Row] = []
    named = RegclassName
    todo = [(table, index, named(up[1].name, up[1].oid) if up is not None else None, 0)]
    while todo:
        t, i, parent, level = todo.pop(0)
        out.append((named(i.name, i.oid), parent, t.partkey is None, level))
        todo += [
            (ct, ci, named(i.name, i.oid), level + 1)
            for ct, ci in partition_indexes.children(catalog, i)
        ]
    return out
