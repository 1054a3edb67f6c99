"""Where SQL data lives in the KV keyspace: the one module that knows the bytes.

Every database (tenant, branch) owns a key prefix; below it:

    <db> b"m" <name>                                   database metadata (catalog version, ids)
    <db> b"c" <codec(table_id)>                        catalog: a table's definition (JSON)
    <db> b"n" <codec(schema, name)>                    catalog: a relation name -> its id
    <db> b"s" <codec(schema_name)>                     catalog: a schema
    <db> b"q" <codec(sequence_id)>                     a sequence's current value
    <db> b"f" <codec(oid)>                             catalog: a function or procedure (JSON)
    <db> b"a" <codec(oid)>                             catalog: a role (JSON, sql.roles)
    <db> b"r" <be32 table_id> <codec(pk values...)>    a row: codec(tuple of column values)
    <db> b"x" <be32 table_id> <be32 index_id> <codec(index values...)> [<codec(pk values...)>]
                                                       an index entry; unique entries without
                                                       NULLs keep the pk in the value instead

Composite values use the codec's concatenated encoding, so key order is SQL order.

Advisory locks (sql.advisory_table) live outside every database's prefix, in the system
prefix (database id 0, whose other records the control plane keeps), so that a branch forked
from a database never inherits its parent's locks:

    <sys> b"advisory/l" <len(db)> <db> <be32 classid> <be32 objid> <u8 objsubid>
                                      one lock tag: its holders (JSON: holder, mode, pid, vxid)
    <sys> b"advisory/w" <len(db)> <db> <tag (9 bytes)> <holder (12 bytes)>
                                      a session waiting for the tag (JSON: mode, pid, since)
    <sys> b"advisory/n" <instance (8 bytes)>
                                      a lock table instance's lease: expiry (TSO physical ms)

The length byte keeps one database's range from holding another's (test prefixes vary in
length). A holder is ``<instance (8 random bytes)> <be32 session number>``.

Committed NOTIFYs (sql.notify_kv) live there too, for the other nodes' listeners:

    <sys> b"notify/" <len(db)> <db> <be64 ts> <instance (8 bytes)> <be32 n>
                                      one transaction's notifications (JSON: pid, channel,
                                      payload), ``ts`` at or after its commit timestamp
"""

from __future__ import annotations

import struct

from kv.codec import encode_key

_U32 = struct.Struct(">I")


def database_prefix(db_id: int) -> bytes:
    """The key prefix of database ``db_id`` (a tenant's database or a branch)."""
    return b"d" + _U32.pack(db_id)


DEFAULT_DATABASE_ID = 1


def meta_key(db: bytes, name: str) -> bytes:
    return db + b"m" + name.encode()


def table_def_key(db: bytes, table_id: int) -> bytes:
    return db + b"c" + encode_key(table_id)


def table_defs_range(db: bytes) -> tuple[bytes, bytes]:
    return db + b"c", db + b"d"


def name_key(db: bytes, schema: str, name: str) -> bytes:
    return db + b"n" + encode_key(schema, name)


def schema_key(db: bytes, schema: str) -> bytes:
    return db + b"s" + encode_key(schema)


def schemas_range(db: bytes) -> tuple[bytes, bytes]:
    return db + b"s", db + b"t"


def routine_key(db: bytes, oid: int) -> bytes:
    return db + b"f" + encode_key(oid)


def routines_range(db: bytes) -> tuple[bytes, bytes]:
    return db + b"f", db + b"g"


def role_key(db: bytes, oid: int) -> bytes:
    return db + b"a" + encode_key(oid)


def roles_range(db: bytes) -> tuple[bytes, bytes]:
    return db + b"a", db + b"b"


def sequence_key(db: bytes, seq_id: int) -> bytes:
    return db + b"q" + encode_key(seq_id)


def table_prefix(db: bytes, table_id: int) -> bytes:
    return db + b"r" + _U32.pack(table_id)


def row_key(db: bytes, table_id: int, pk: tuple[object, ...]) -> bytes:
    return table_prefix(db, table_id) + encode_key(*pk)


def table_indexes_prefix(db: bytes, table_id: int) -> bytes:
    """Every index entry of table ``table_id``, whichever index."""
    return db + b"x" + _U32.pack(table_id)


def index_prefix(db: bytes, table_id: int, index_id: int) -> bytes:
    return db + b"x" + _U32.pack(table_id) + _U32.pack(index_id)


def prefix_end(prefix: bytes) -> bytes:
    """The first key after every key that starts with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        raise ValueError("prefix of only 0xff bytes has no end")
    return stripped[:-1] + bytes([stripped[-1] + 1])


ADVISORY = database_prefix(0) + b"advisory/"


def advisory_lock_key(db: bytes, tag: bytes) -> bytes:
    return ADVISORY + b"l" + _db(db) + tag


def advisory_locks_range(db: bytes) -> tuple[bytes, bytes]:
    lo = ADVISORY + b"l" + _db(db)
    return lo, prefix_end(lo)


def advisory_wait_key(db: bytes, tag: bytes, holder: bytes) -> bytes:
    return ADVISORY + b"w" + _db(db) + tag + holder


def advisory_waits_range(db: bytes, tag: bytes = b"") -> tuple[bytes, bytes]:
    lo = ADVISORY + b"w" + _db(db) + tag
    return lo, prefix_end(lo)


def advisory_lease_key(instance: bytes) -> bytes:
    return ADVISORY + b"n" + instance


NOTIFY = database_prefix(0) + b"notify/"
_U64 = struct.Struct(">Q")


def notify_key(db: bytes, ts: int, instance: bytes, n: int) -> bytes:
    return NOTIFY + _db(db) + _U64.pack(ts) + instance + _U32.pack(n)


def notify_range(db: bytes, since_ts: int, until_ts: int | None = None) -> tuple[bytes, bytes]:
    """The records of ``db`` whose ts is at least ``since_ts`` (and below ``until_ts``)."""
    lo = NOTIFY + _db(db)
    hi = prefix_end(lo) if until_ts is None else lo + _U64.pack(until_ts)
    return lo + _U64.pack(since_ts), hi


def notify_ts(key: bytes) -> tuple[int, bytes]:
    """A notification record's ts and writer instance (``notify_key``'s)."""
    return _U64.unpack(key[-20:-12])[0], key[-12:-4]


def _db(db: bytes) -> bytes:
    return bytes([len(db)]) + db
