"""Relation and database sizes (pg_relation_size, pg_table_size, pg_indexes_size,
pg_total_relation_size, pg_database_size) estimated from the KV data, and pg_size_pretty.

db9 keeps no pages. A relation's size is the bytes of its live keys and values in the
statement's snapshot (sql.layout: a table's rows under ``b"r"``, each index's entries under
``b"x"``), rounded up to whole 8 kB pages so that an empty relation is 0 and a small one is a
page, as in PostgreSQL. A primary key orders the rows themselves and has no entries of its own:
its size is that of the row keys. A sequence is one page (PostgreSQL's too); views and
partitioned tables hold nothing (0). A database's size is every key and value under its prefix.
Each call scans what it measures: these are for tools that show sizes, not for hot paths.
"""

from __future__ import annotations

from typing import Any

from sql import layout, system_catalog
from sql.catalog import Catalog, IndexDef, TableDef
from sql.errors import FeatureNotSupported, InvalidCatalogName
from sql.session_api import SessionApi

PAGE = 8192
FUNCTIONS = frozenset(
    {
        "pg_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_total_relation_size",
        "pg_database_size",
    }
)


def _pages(nbytes: int) -> int:
    return -(-nbytes // PAGE) * PAGE


def _bytes(session: SessionApi, prefix: bytes, keys_only: bool = False) -> int:
    txn = session.current_txn()
    total = 0
    for key, value in txn.iter_scan(prefix, layout.prefix_end(prefix)):
        total += len(key) if keys_only else len(key) + len(value)
    return total


def _relation(session: SessionApi, value: Any) -> tuple[TableDef, IndexDef | None] | None:
    """The table a regclass value (a name or an oid) names, or an index and its table."""
    catalog: Catalog = session.catalog()
    path = session.search_path()
    table = catalog.by_regclass(value, path)
    if table is not None:
        return table, None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        index = catalog.index_by_oid(int(value))
    else:
        index = catalog.index_by_name(str(value), path)
    for t in catalog.tables.values():
        if index is not None and any(i is index for i in t.indexes):
            return t, index
    return None


def _index_size(session: SessionApi, table: TableDef, index: IndexDef) -> int:
    if index.primary and table.primary_key:
        return _pages(_bytes(session, layout.table_prefix(session.db, table.id), keys_only=True))
    return _pages(_bytes(session, layout.index_prefix(session.db, table.id, index.id)))


def _table_size(session: SessionApi, table: TableDef) -> int:
    if table.kind == "sequence":
        return PAGE
    if table.kind != "table" or table.partkey is not None:
        return 0
    return _pages(_bytes(session, layout.table_prefix(session.db, table.id)))


def _indexes_size(session: SessionApi, table: TableDef) -> int:
    if table.partkey is not None:
        return 0
    return sum(_index_size(session, table, i) for i in table.indexes)


def _database_size(session: SessionApi, database: Any) -> int | None:
    """pg_database_size(name or oid): this database's; another's is not reachable from a
    session (0A000); an unknown name is 3D000, an unknown oid NULL, as PostgreSQL answers."""
    rows = system_catalog.pg_database(session.catalog(), session)
    found = next((r for r in rows if database in (r[0], r[1])), None)
    if found is None:
        if isinstance(database, int):
            return None
        raise InvalidCatalogName(f'database "{database}" does not exist')
    if found[1] != session.database.name:
        raise FeatureNotSupported("pg_database_size of another database is not supported")
    return _pages(_bytes(session, session.db))


def size(session: SessionApi, name: str, args: list[Any]) -> int | None:
    """``name``'s answer for ``args`` (a relation's regclass value, or a database's name
    or oid); NULL for a relation that does not exist, as PostgreSQL answers."""
    if name == "pg_database_size":
        return _database_size(session, args[0])
    found = _relation(session, args[0])
    if found is None:
        return None
    table, index = found
    if name == "pg_relation_size" and len(args) > 1 and args[1] not in ("main", None):
        return 0  # db9 has no free-space map, visibility map or init fork
    if index is not None:
        return _index_size(session, table, index) if name != "pg_indexes_size" else 0
    if name in ("pg_relation_size", "pg_table_size"):
        return _table_size(session, table)
    if name == "pg_indexes_size":
        return _indexes_size(session, table)
    return _table_size(session, table) + _indexes_size(session, table)


_UNITS = [("bytes", 10 * 1024, False, 0)] + [
    (unit, 20 * 1024 - 1, True, bits)
    for unit, bits in (("kB", 10), ("MB", 20), ("GB", 30), ("TB", 40), ("PB", 50))
]


def _c_div(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def size_pretty(value: Any) -> str:
    """pg_size_pretty: PostgreSQL 15's units and rounding (half a unit rounds away from 0)."""
    n = int(value)
    for i, (unit, limit, rounded, bits) in enumerate(_UNITS):
        last = i == len(_UNITS) - 1
        if last or abs(n) < limit:
            if rounded:
                n = _c_div(n + (-1 if n < 0 else 1), 2)
            return f"{n} {unit}"
        nxt = _UNITS[i + 1]
        n = _c_div(n, 1 << (nxt[3] - bits - (1 if nxt[2] else 0) + (1 if rounded else 0)))
    raise AssertionError("unreachable")
