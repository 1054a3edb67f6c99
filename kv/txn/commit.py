"""Commit (second phase of 2PC) and one-phase commit for transactions that fit one batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kv.errors import InvalidArgument, TxnLockNotFound
from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import SHORT_VALUE_MAX, Mutation, Op, Write, WriteKind
from kv.mvcc.writer import MvccWriter
from kv.txn.gc import put_version
from kv.txn.prewrite import check_mutation, validate


def commit(
    reader: MvccReader,
    writer: MvccWriter,
    keys: Sequence[bytes],
    start_ts: int,
    commit_ts: int,
) -> None:
    """Turn this transaction's locks on ``keys`` into write records at ``commit_ts``.

    Committing the primary key is the transaction's commit point; a retry of an already
    committed key is a no-op, and a key whose lock is gone without a commit record means the
    transaction was rolled back by someone resolving its locks.
    """
    if commit_ts <= start_ts:
        raise InvalidArgument(f"commit_ts {commit_ts} must be greater than start_ts {start_ts}")
    for key in keys:
        key_enc = K.enc(key)
        lock = reader.load_lock(key, key_enc)
        if lock is not None and lock.start_ts == start_ts:
            put_version(
                reader, writer, key_enc, commit_ts, Write(lock.kind, start_ts, lock.short_value)
            )
            writer.unlock(key_enc)
            continue
        record = reader.txn_record(key_enc, start_ts)
        if record is not None and record[1].kind != WriteKind.ROLLBACK:
            continue
        raise TxnLockNotFound(key, start_ts)


def one_pc(
    reader: MvccReader,
    writer: MvccWriter,
    mutations: Sequence[Mutation],
    start_ts: int,
    next_commit_ts: Callable[[], int],
) -> int:
    """Check every mutation as prewrite would, then write committed versions directly.

    ``next_commit_ts`` is called only after every check passed, so a failed 1PC consumes no
    commit timestamp; the caller guarantees no reader sees the gap between choosing it and
    the batch landing (see ``Storage.one_pc``).
    """
    validate(mutations, start_ts)
    first = next((m for m in mutations if m.op != Op.CHECK_NOT_EXISTS), None)
    if first is not None:
        # A replay of a 1PC that was already applied (a retry after an unknown outcome, or
        # a Raft log replayed): report its commit instead of a conflict with itself.
        record = reader.txn_record(K.enc(first.key), start_ts)
        if record is not None and record[1].kind != WriteKind.ROLLBACK:
            return record[0]
    todo: list[tuple[Mutation, bytes]] = []
    for m in mutations:
        key_enc = K.enc(m.key)
        if check_mutation(reader, m, key_enc, start_ts) and m.op != Op.CHECK_NOT_EXISTS:
            todo.append((m, key_enc))
    commit_ts = next_commit_ts()
    if commit_ts <= start_ts:
        raise InvalidArgument(f"commit_ts {commit_ts} must be greater than start_ts {start_ts}")
    for m, key_enc in todo:
        if m.op in (Op.PUT, Op.INSERT):
            if len(m.value) <= SHORT_VALUE_MAX:
                write = Write(WriteKind.PUT, start_ts, m.value)
            else:
                writer.put_value(key_enc, start_ts, m.value)
                write = Write(WriteKind.PUT, start_ts)
        elif m.op == Op.DELETE:
            write = Write(WriteKind.DELETE, start_ts)
        else:
            write = Write(WriteKind.LOCK, start_ts)
        put_version(reader, writer, key_enc, commit_ts, write)
    return commit_ts
