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
    lo, _ = K.versions_range(K.WRITE, key_enc)
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
    for m in mutations:
        key_enc = K.enc(m.key)
        if not check_mutation(reader, m, key_enc, start_ts, m.key in locked):
            continue
        if m.op == Op.CHECK_NOT_EXISTS:
            continue
        kind = _LOCK_KIND[m.op]
        short: bytes | None = None
        if kind == WriteKind.PUT:
            if len(m.value) <= SHORT_VALUE_MAX:
                short = m.value
            else:
                writer.put_value(key_enc, start_ts, m.value)
        writer.put_lock(key_enc, Lock(m.key, primary, start_ts, lock_ttl_ms, kind, short, txn_size))
