"""Which columns depend on a user-defined or extension type, and dropping a type with them
(DROP TYPE ... CASCADE, DROP EXTENSION ... CASCADE): a column of the type, of an array of it
or of a composite type or domain over it depends on it."""

from __future__ import annotations

from typing import Any

from kv import dropped
from sql import index_exprs
from sql import types as T
from sql.catalog import TYPE_KINDS, Catalog, ColumnDef, TableDef
from sql.layout import index_prefix
from sql.session_api import SessionApi
from sql.user_types import sql_type


def dependents(catalog: Catalog, t: TableDef) -> list[tuple[TableDef, ColumnDef]]:
    """The columns (of tables and composite types) of the type ``t``, or of a type over it."""
    return [
        (owner, c)
        for owner in [*catalog.tables.values(), *catalog.types.values()]
        for c in owner.live_columns
        if owner.id != t.id and c.udt is not None and mentions(c.udt, t.id)
    ]


def mentions(udt: dict[str, Any], oid: int) -> bool:
    """Whether the type ``udt`` (as ColumnDef.udt keeps it) is or holds the type ``oid``."""
    if udt.get("oid") == oid or (udt.get("domain") or {}).get("oid") == oid:
        return True
    if "element" in udt and mentions(udt["element"], oid):
        return True
    return any(mentions(f, oid) for _, f in udt.get("fields", []))


def refresh_dependents(
    session: SessionApi, catalog: Catalog, changed: TableDef
) -> list[tuple[TableDef, ColumnDef]]:
    """The columns (of tables and composite types) of ``changed`` or of a type over it keep
    its new definition, however deep it sits in theirs (ALTER TYPE); returns them."""
    new = T.type_to_json(sql_type(changed))
    store, txn = session.database.catalogs, session.current_txn()
    found = dependents(catalog, changed)
    for owner, col in found:
        assert col.udt is not None
        col.udt = _replaced(col.udt, changed.id, new)
        store.put_table(txn, owner, catalog, new=False)
    return found


def _replaced(udt: dict[str, Any], oid: int, new: dict[str, Any]) -> dict[str, Any]:
    """``udt`` with the type ``oid`` in it replaced by ``new`` (a domain over it keeps its
    own part: a domain's JSON is its base type's with "domain" added)."""
    if udt.get("oid") == oid:
        return {**new, **({"domain": udt["domain"]} if "domain" in udt else {})}
    out = dict(udt)
    if "element" in udt:
        out["element"] = _replaced(udt["element"], oid, new)
    if "fields" in udt:
        out["fields"] = [[n, _replaced(f, oid, new)] for n, f in udt["fields"]]
    return out


def owner_noun(owner: TableDef) -> str:
    """What a column's owner is called in a dependency message."""
    return "composite type" if owner.kind in TYPE_KINDS else "table"


def drop_with_dependents(session: SessionApi, catalog: Catalog, t: TableDef) -> None:
    """Drop the type ``t`` and the columns of it (CASCADE), with a notice for each column."""
    store, txn = session.database.catalogs, session.current_txn()
    for owner, col in dependents(catalog, t):
        session.notices.append(
            f"drop cascades to column {col.name} of {owner_noun(owner)} {owner.name}"
        )
        col.dropped = True
        drop_column_objects(session, owner, col.name)  # as ALTER TABLE ... DROP COLUMN
        store.put_table(txn, owner, catalog, new=False)
    store.drop_table(txn, t)


def drop_column_objects(session: SessionApi, table: TableDef, name: str) -> None:
    """The indexes (their keys scheduled for deletion) and constraints of ``table`` that use
    column ``name``, gone with it: ALTER TABLE ... DROP COLUMN and a type's DROP CASCADE."""
    gone = [i for i in table.indexes if name in index_exprs.referenced_columns(i)]
    for index in gone:
        dropped.schedule(session.current_txn(), index_prefix(session.db, table.id, index.id))
    table.indexes = [i for i in table.indexes if i not in gone]
    table.constraints = [
        k for k in table.constraints if name not in index_exprs.constraint_columns(k)
    ]
