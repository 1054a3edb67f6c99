"""Prewrite: lock every key of a transaction, or fail without writing anything.

A key cannot be prewritten while another transaction holds its lock (the caller resolves that
lock and retries), nor when a PUT/DELETE was committed at or after our start_ts: the first
committer wins, which is what snapshot isolation demands.

A committed LOCK record is a transaction's claim that the key existed when it committed (the
parent row a foreign key points at, as PostgreSQL's FOR KEY SHARE): a DELETE of the key
conflicts with a LOCK committed at or after its start_ts, so a child row and the removal of
its parent cannot both commit. A PUT (the parent's other columns changing) and other LOCKs do
not conflict with it; a LOCK itself conflicts only with a newer DELETE.
"""

from __future__ import annotations

from collections.abc import Sequence

from kv.errors import AlreadyExists, InvalidArgument, KeyIsLocked, TxnAborted, WriteConflict
from kv.mvcc import keys as K
from kv.mvcc.branches import overlay_exists
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import SHORT_VALUE_MAX, Lock, Mutation, Op, Write, WriteKind
from kv.mvcc.writer import MvccWriter
from kv.timestamp import MAX_TS

_LOCK_KIND = {
    Op.PUT: WriteKind.PUT,
    Op.INSERT: WriteKind.PUT,
    Op.DELETE: WriteKind.DELETE,
    Op.LOCK: WriteKind.LOCK,
}


def check_mutation(
    reader: MvccReader, m: Mutation, key_enc: bytes, start_ts: int, locked: bool = False
) -> bool:
    """Raise if ``m`` cannot be applied for ``start_ts``; False if it already was (a retry).

    ``locked``: the transaction holds a pessimistic row lock on the key, taken after checking
    for newer commits (kv/txn/pessimistic.py); nobody could commit to it since, so only a
    retry's own lock is looked for.
    """
    lock = reader.load_lock(m.key, key_enc)
    if lock is not None:
        if lock.start_ts == start_ts:
            return False
        raise KeyIsLocked(lock)
    if locked:
        return True
    lo, hi = K.versions_range(K.WRITE, key_enc)
    if reader.snap.seek(lo, hi) is None:  # never written (a bulk load's keys): one seek
        inserts = m.op in (Op.INSERT, Op.CHECK_NOT_EXISTS)
        if inserts and reader.links and overlay_exists(reader, m.key):
            raise AlreadyExists(m.key)  # a branch inherits its parent's rows
        return True
    if m.op in (Op.INSERT, Op.CHECK_NOT_EXISTS):
        # Uniqueness is checked against the newest committed value, not our snapshot: as in
        # PostgreSQL, a concurrent insert of the same key is a unique violation.
        newest = reader.newest_data_write(key_enc, MAX_TS)
        if newest is not None and newest[1].kind == WriteKind.PUT:
            if newest[1].start_ts == start_ts:
                return False  # our own, already committed: a retried request
            raise AlreadyExists(m.key)
        if newest is None and reader.links and overlay_exists(reader, m.key):
            raise AlreadyExists(m.key)  # a branch inherits its parent's rows
    hi = K.write_key(key_enc, start_ts) + b"\x00"  # every record with commit_ts >= start_ts
    for ek, raw in reader.snap.scan(lo, hi):
        commit_ts = K.split_versioned(ek)[1]
        write = Write.decode(raw)
        if write.start_ts == start_ts:
            if write.kind == WriteKind.ROLLBACK:
                raise TxnAborted(start_ts, f"rolled back before prewrite of {m.key!r}")
            return False  # already committed: a retried request
        if m.op == Op.LOCK:
            conflict = write.kind == WriteKind.DELETE  # only the key vanishing matters
        else:
            conflict = write.kind in (WriteKind.PUT, WriteKind.DELETE) or (
                write.kind == WriteKind.LOCK and m.op == Op.DELETE
            )
        if conflict:
            raise WriteConflict(m.key, start_ts, commit_ts)
    return True


def validate(mutations: Sequence[Mutation], start_ts: int) -> None:
    if start_ts <= 0:
        raise InvalidArgument("start_ts must be positive")
    seen: set[bytes] = set()
    for m in mutations:
        if not m.key:
            raise InvalidArgument("empty key")
        if m.key in seen:
            raise InvalidArgument(f"key {m.key!r} appears twice in one request")
        seen.add(m.key)


def prewrite(
    reader: MvccReader,
    writer: MvccWriter,
    mutations: Sequence[Mutation],
    primary: bytes,
    start_ts: int,
    lock_ttl_ms: int,
    txn_size: int = 0,
    locked: frozenset[bytes] = frozenset(),
) -> None:
    validate(mutations, start_ts)
    # Every lock of the request shares its head (kind aside): encoded once per kind, a lock is
    # its head plus the short value's tail, as ``Lock.encode`` lays it out.
    heads: dict[WriteKind, bytes] = {
        kind: Lock(b"", primary, start_ts, lock_ttl_ms, kind, None, txn_size).encode()
        for kind in WriteKind
        if kind != WriteKind.ROLLBACK
    }
    put = writer.batch.put
    for m in mutations:
        key_enc = K.enc(m.key)
        if not check_mutation(reader, m, key_enc, start_ts, m.key in locked):
            continue
        if m.op == Op.CHECK_NOT_EXISTS:
            continue
        kind = _LOCK_KIND[m.op]
        if kind != WriteKind.PUT:
            put(K.LOCK + key_enc, heads[kind])
        elif len(m.value) <= SHORT_VALUE_MAX:
            put(K.LOCK + key_enc, heads[kind] + b"\x01" + m.value)
        else:
            writer.put_value(key_enc, start_ts, m.value)
            put(K.LOCK + key_enc, heads[kind])
