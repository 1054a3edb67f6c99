"""Rollback, check_txn_status and resolve_lock: how a transaction's fate is decided and spread.

The primary key's lock is the single source of truth. Whoever finds a lock asks the primary:
committed (a commit record exists), rolled back (a rollback record exists), or still locked.
A lock whose TTL has run out, measured against the caller's ``current_ts``, is rolled back, so a
crashed client never blocks others for longer than its TTL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from kv.errors import AlreadyCommitted, InvalidArgument
from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Lock, Write, WriteKind
from kv.mvcc.writer import MvccWriter
from kv.timestamp import physical_ms
from kv.txn.gc import put_version


class TxnState(Enum):
    LOCKED = "locked"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class TxnStatus:
    state: TxnState
    commit_ts: int = 0
    lock_ttl_ms: int = 0
    reason: str = ""


def lock_expired(lock: Lock, current_ts: int) -> bool:
    return physical_ms(lock.start_ts) + lock.ttl_ms < physical_ms(current_ts)


def _rollback_key(
    reader: MvccReader, writer: MvccWriter, key: bytes, key_enc: bytes, start_ts: int
) -> None:
    lock = reader.load_lock(key, key_enc)
    if lock is not None and lock.start_ts == start_ts:
        writer.unlock(key_enc)
        if lock.kind == WriteKind.PUT and lock.short_value is None:
            writer.delete_value(key_enc, start_ts)
    else:
        record = reader.txn_record(key_enc, start_ts)
        if record is not None:
            if record[1].kind == WriteKind.ROLLBACK:
                return
            raise AlreadyCommitted(start_ts, record[0])
    # The rollback record stops a prewrite of this transaction that arrives late.
    put_version(reader, writer, key_enc, start_ts, Write(WriteKind.ROLLBACK, start_ts))


def rollback(reader: MvccReader, writer: MvccWriter, keys: Sequence[bytes], start_ts: int) -> None:
    for key in keys:
        _rollback_key(reader, writer, key, K.enc(key), start_ts)


def check_txn_status(
    reader: MvccReader,
    writer: MvccWriter,
    primary: bytes,
    lock_ts: int,
    current_ts: int,
    *,
    rollback_if_not_exist: bool = True,
) -> TxnStatus:
    key_enc = K.enc(primary)
    lock = reader.load_lock(primary, key_enc)
    if lock is not None and lock.start_ts == lock_ts:
        if lock_expired(lock, current_ts):
            _rollback_key(reader, writer, primary, key_enc, lock_ts)
            return TxnStatus(TxnState.ROLLED_BACK, reason="lock ttl expired")
        return TxnStatus(TxnState.LOCKED, lock_ttl_ms=lock.ttl_ms)
    record = reader.txn_record(key_enc, lock_ts)
    if record is not None:
        if record[1].kind == WriteKind.ROLLBACK:
            return TxnStatus(TxnState.ROLLED_BACK, reason="rolled back")
        return TxnStatus(TxnState.COMMITTED, commit_ts=record[0])
    if rollback_if_not_exist:
        put_version(reader, writer, key_enc, lock_ts, Write(WriteKind.ROLLBACK, lock_ts))
        return TxnStatus(TxnState.ROLLED_BACK, reason="primary lock not found")
    return TxnStatus(TxnState.NOT_FOUND)


def resolve_lock(
    reader: MvccReader,
    writer: MvccWriter,
    start_ts: int,
    commit_ts: int,
    keys: Sequence[bytes] | None = None,
) -> int:
    """Commit (commit_ts > 0) or roll back (commit_ts == 0) the locks of one transaction.

    Without ``keys`` every lock of the transaction is found by scanning the lock column family,
    which holds only in-flight transactions and so stays small. Returns the number resolved.
    """
    if commit_ts and commit_ts <= start_ts:
        raise InvalidArgument(f"commit_ts {commit_ts} must be greater than start_ts {start_ts}")
    if keys is None:
        locks = reader.scan_locks(start_ts=start_ts)
    else:
        locks = [lk for k in keys if (lk := reader.load_lock(k)) and lk.start_ts == start_ts]
    for lock in locks:
        key_enc = K.enc(lock.key)
        if commit_ts:
            write = Write(lock.kind, start_ts, lock.short_value)
            put_version(reader, writer, key_enc, commit_ts, write)
            writer.unlock(key_enc)
        else:
            _rollback_key(reader, writer, lock.key, key_enc, start_ts)
    return len(locks)


def txn_heart_beat(
    reader: MvccReader, writer: MvccWriter, primary: bytes, start_ts: int, ttl_ms: int
) -> int:
    """Extend the TTL of a long transaction's primary lock; returns the TTL now in force (0 if
    the lock is gone, i.e. the transaction was committed or rolled back)."""
    key_enc = K.enc(primary)
    lock = reader.load_lock(primary, key_enc)
    if lock is None or lock.start_ts != start_ts:
        return 0
    if ttl_ms > lock.ttl_ms:
        writer.put_lock(
            key_enc,
            Lock(
                lock.key, lock.primary, start_ts, ttl_ms, lock.kind, lock.short_value, lock.txn_size
            ),
        )
        return ttl_ms
    return lock.ttl_ms
