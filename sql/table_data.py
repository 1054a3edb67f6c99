"""Whole-table work DDL shares: building an index from a table's rows, deleting a key range,
writing rows and index entries again (rekey), checking every row against a table's
constraints, and a column type's catalog fields."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from sql import types as T
from sql.catalog import IndexDef, TableDef
from sql.dml import TableWriter
from sql.errors import InvalidTableDefinition, UniqueViolation
from sql.layout import index_prefix, prefix_end
from sql.rows import RowCodec
from sql.scope import Context
from sql.session_api import SessionApi

BATCH = 1000  # entries or rows a DDL rewrite buffers per call


def type_fields(t: T.SqlType, column: str) -> tuple[str, list[int], bool]:
    """A ``ColumnDef``'s type_name, modifiers and array flag for the type ``t`` of
    ``column``; 42P16 for a pseudo-type, which no column can have (CheckAttributeType)."""
    if t.category == "P" or t.name == "unknown":
        raise InvalidTableDefinition(f'column "{column}" has pseudo-type {t.display()}')
    if t.element is not None:  # an array keeps its element's modifiers: varchar(3)[]
        name, mods, _ = type_fields(t.element, column)
        return name, mods, True
    if t.name == "numeric" and t.precision is not None:
        return t.name, [t.precision, t.scale or 0], False
    return t.name, [m for m in (t.length, t.precision, t.scale) if m is not None], False


def backfill(session: SessionApi, table: TableDef, index: IndexDef) -> None:
    """Write ``index``'s entry of every row, a batch at a time. A new index's id was never
    used in this table (``TableDef.index_seq``), so the only entries under it are the ones
    written here (or deleted by this transaction, as a rekey does): a unique index's
    duplicates are found among them, without a read per entry."""
    txn = session.current_txn()
    probe = dataclasses.replace(table, indexes=[*table.indexes, index])
    codec = RowCodec(session.db, probe)
    lo = codec.prefix
    seen: set[bytes] = set()
    batch: list[tuple[bytes, bytes]] = []
    for _, raw in txn.iter_scan(lo, prefix_end(lo)):
        entry = codec.index_entry(index, codec.decode_value(raw))
        if entry is None:
            continue
        key, value, unique = entry
        if unique:
            if key in seen:
                raise UniqueViolation(
                    f'could not create unique index "{index.name}"', detail="Key is duplicated."
                )
            seen.add(key)
        batch.append((key, value))
        if len(batch) >= BATCH:
            txn.put_many(batch)
            batch.clear()
    txn.put_many(batch)


def delete_range(session: SessionApi, lo: bytes, hi: bytes) -> None:
    txn = session.current_txn()
    for key, _ in list(txn.iter_scan(lo, hi)):
        txn.delete(key)


def rekey(session: SessionApi, table: TableDef) -> None:
    """Every row of ``table`` and its index entries written again from its rows as they read
    under its definition now: the keys of a composite type's values, stored by the type's
    old shape, after ALTER TYPE ... ADD or DROP ATTRIBUTE. 23505 if two primary keys
    became one (a dropped attribute told them apart)."""
    codec, txn = RowCodec(session.db, table), session.current_txn()
    lo = codec.prefix
    rows = [(key, codec.decode_value(raw)) for key, raw in txn.iter_scan(lo, prefix_end(lo))]
    rewrite(session, table, table, rows, [codec.key(r) for _, r in rows])


def rewrite(
    session: SessionApi,
    old: TableDef,
    new: TableDef,
    rows: list[tuple[bytes, tuple[Any, ...]]],
    keys: list[bytes],
) -> None:
    """``old``'s stored rows (each under its stored key) replaced by ``rows`` as ``new``
    stores them, under ``keys``, and every index entry written again: 23505 if two keys are
    one (the primary key's unique index could not be built)."""
    pk = next((i for i in old.indexes if i.primary), None)
    if pk is not None and len(set(keys)) != len(keys):
        raise UniqueViolation(
            f'could not create unique index "{pk.name}"', detail="Key is duplicated."
        )
    txn, codec = session.current_txn(), RowCodec(session.db, new)
    for key, _ in rows:
        txn.delete(key)
    for index in old.indexes:
        ilo = index_prefix(session.db, old.id, index.id)
        delete_range(session, ilo, prefix_end(ilo))
    txn.put_many([(k, codec.encode_value(r)) for k, (_, r) in zip(keys, rows, strict=True)])
    for index in new.indexes:
        if not index.primary:
            backfill(session, new, index)


def validate_constraints(session: SessionApi, table: TableDef, ctx: Context) -> None:
    """Every row of ``table`` checked against its constraints, but those still NOT VALID."""
    if not all(c.validated for c in table.constraints):
        table = copy.deepcopy(table)
        table.constraints = [c for c in table.constraints if c.validated]
    writer = TableWriter(session, table, ctx)
    lo = writer.codec.prefix
    for _, raw in session.current_txn().iter_scan(lo, prefix_end(lo)):
        writer.check(writer.codec.decode_value(raw))
