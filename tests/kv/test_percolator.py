"""Percolator commands on every backend (local, single-node Raft, gRPC): prewrite, commit,
rollback, check_txn_status, resolve, GC."""

from __future__ import annotations

import pytest

from kv.engine.memory import MemoryEngine
from kv.errors import (
    AlreadyCommitted,
    AlreadyExists,
    InvalidArgument,
    KeyIsLocked,
    SnapshotTooOld,
    TxnAborted,
    TxnLockNotFound,
    WriteConflict,
)
from kv.mvcc import keys as K
from kv.mvcc.records import SHORT_VALUE_MAX, Mutation, Op
from kv.storage import Storage
from kv.timestamp import compose
from kv.txn.cleanup import TxnState
from kv.txn.gc import RetainPoint
from tests.kv.conftest import Backend


def ts(ms: int, logical: int = 0) -> int:
    """Timestamps with a readable physical part, so TTLs can be reasoned about."""
    return compose(1_000_000 + ms, logical)


def put(key: bytes, value: bytes) -> Mutation:
    return Mutation(Op.PUT, key, value)


def write(kv: Backend | Storage, key: bytes, value: bytes | None, start: int, commit: int) -> None:
    m = put(key, value) if value is not None else Mutation(Op.DELETE, key)
    kv.prewrite([m], key, start, 3000)
    kv.commit([key], start, commit)


def test_read_sees_newest_committed_version_at_or_below_its_timestamp(kv: Backend) -> None:
    write(kv, b"k", b"v1", ts(1), ts(2))
    write(kv, b"k", b"v2", ts(3), ts(4))
    write(kv, b"k", None, ts(5), ts(6))
    assert kv.get(b"k", ts(1)) is None
    assert kv.get(b"k", ts(2)) == b"v1"
    assert kv.get(b"k", ts(3)) == b"v1"
    assert kv.get(b"k", ts(4)) == b"v2"
    assert kv.get(b"k", ts(6)) is None


def test_prewritten_key_blocks_readers_at_or_after_start_only(kv: Backend) -> None:
    write(kv, b"k", b"old", ts(1), ts(2))
    kv.prewrite([put(b"k", b"new")], b"k", ts(3), 3000)
    assert kv.get(b"k", ts(2)) == b"old"
    with pytest.raises(KeyIsLocked) as info:
        kv.get(b"k", ts(4))
    assert info.value.lock.start_ts == ts(3)
    assert info.value.lock.primary == b"k"
    assert info.value.sqlstate == "40001"


def test_commit_is_visible_from_commit_ts_on(kv: Backend) -> None:
    kv.prewrite([put(b"a", b"1"), put(b"b", b"2")], b"a", ts(1), 3000)
    kv.commit([b"a", b"b"], ts(1), ts(5))
    assert kv.get(b"a", ts(4)) is None
    assert kv.batch_get([b"a", b"b", b"c"], ts(5)) == {b"a": b"1", b"b": b"2"}


def test_prewrite_after_a_newer_commit_is_a_write_conflict(kv: Backend) -> None:
    write(kv, b"k", b"theirs", ts(2), ts(3))
    with pytest.raises(WriteConflict) as info:
        kv.prewrite([put(b"k", b"mine")], b"k", ts(1), 3000)
    assert info.value.conflict_commit_ts == ts(3)
    assert kv.scan_locks(max_ts=ts(100)) == []


def test_a_committed_lock_conflicts_with_a_later_delete_only(kv: Backend) -> None:
    """A LOCK says the key existed when its transaction committed (a foreign key's parent):
    a transaction that started before it may not delete the key, but may still change its
    value; other lockers may lock it too, unless the key was deleted after they started."""
    write(kv, b"k", b"v", ts(1), ts(2))
    kv.prewrite([Mutation(Op.LOCK, b"k")], b"k", ts(3), 3000)
    kv.commit([b"k"], ts(3), ts(5))
    with pytest.raises(WriteConflict):
        kv.prewrite([Mutation(Op.DELETE, b"k")], b"k", ts(4), 3000)
    kv.prewrite([Mutation(Op.LOCK, b"k")], b"k", ts(4), 3000)  # a second locker: fine
    kv.commit([b"k"], ts(4), ts(6))
    write(kv, b"k", b"v2", ts(4, 1), ts(7))  # a new value for the key: fine
    assert kv.get(b"k", ts(7)) == b"v2"
    kv.prewrite([Mutation(Op.LOCK, b"k")], b"k", ts(4, 2), 3000)  # the key still exists
    kv.commit([b"k"], ts(4, 2), ts(8))
    write(kv, b"k", None, ts(9), ts(10))  # a delete that started after every lock: fine
    assert kv.get(b"k", ts(10)) is None
    with pytest.raises(WriteConflict):  # a lock taken before the key vanished
        kv.prewrite([Mutation(Op.LOCK, b"k")], b"k", ts(8, 1), 3000)


def test_failed_prewrite_writes_nothing_for_any_key(kv: Backend) -> None:
    write(kv, b"b", b"theirs", ts(2), ts(3))
    with pytest.raises(WriteConflict):
        kv.prewrite([put(b"a", b"1"), put(b"b", b"2")], b"a", ts(1), 3000)
    assert kv.scan_locks(max_ts=ts(100)) == []


def test_prewrite_on_a_key_locked_by_another_txn_reports_the_lock(kv: Backend) -> None:
    kv.prewrite([put(b"k", b"1")], b"k", ts(1), 3000)
    with pytest.raises(KeyIsLocked):
        kv.prewrite([put(b"k", b"2")], b"k", ts(2), 3000)


def test_prewrite_and_commit_are_idempotent_on_retry(kv: Backend) -> None:
    kv.prewrite([put(b"k", b"1")], b"k", ts(1), 3000)
    kv.prewrite([put(b"k", b"1")], b"k", ts(1), 3000)
    kv.commit([b"k"], ts(1), ts(2))
    kv.commit([b"k"], ts(1), ts(2))
    kv.prewrite([put(b"k", b"1")], b"k", ts(1), 3000)  # a very late duplicate
    assert kv.scan_locks(max_ts=ts(100)) == []
    assert kv.get(b"k", ts(3)) == b"1"


def test_rollback_blocks_a_late_prewrite_and_commit(kv: Backend) -> None:
    kv.rollback([b"k"], ts(1))
    with pytest.raises(TxnAborted):
        kv.prewrite([put(b"k", b"1")], b"k", ts(1), 3000)
    with pytest.raises(TxnLockNotFound):
        kv.commit([b"k"], ts(1), ts(2))


def test_rollback_of_a_committed_txn_is_refused(kv: Backend) -> None:
    write(kv, b"k", b"1", ts(1), ts(2))
    with pytest.raises(AlreadyCommitted):
        kv.rollback([b"k"], ts(1))
    assert kv.get(b"k", ts(3)) == b"1"


def test_rollback_removes_lock_and_large_value(kv: Backend) -> None:
    big = b"x" * (SHORT_VALUE_MAX + 1)
    kv.prewrite([put(b"k", big)], b"k", ts(1), 3000)
    assert kv.engine.get(K.data_key(K.enc(b"k"), ts(1))) == big
    kv.rollback([b"k"], ts(1))
    assert kv.engine.get(K.data_key(K.enc(b"k"), ts(1))) is None
    assert kv.get(b"k", ts(5)) is None


def test_large_values_round_trip_through_the_data_column(kv: Backend) -> None:
    big = bytes(range(256)) * 40
    write(kv, b"k", big, ts(1), ts(2))
    assert kv.get(b"k", ts(3)) == big
    assert kv.scan(b"", None, ts(3)) == [(b"k", big)]


def test_insert_fails_when_key_is_live_and_succeeds_after_delete(kv: Backend) -> None:
    write(kv, b"k", b"1", ts(1), ts(2))
    with pytest.raises(AlreadyExists) as info:
        kv.prewrite([Mutation(Op.INSERT, b"k", b"2")], b"k", ts(3), 3000)
    assert info.value.sqlstate == "23505"
    write(kv, b"k", None, ts(4), ts(5))
    kv.prewrite([Mutation(Op.INSERT, b"k", b"3")], b"k", ts(6), 3000)
    kv.commit([b"k"], ts(6), ts(7))
    assert kv.get(b"k", ts(8)) == b"3"


def test_check_txn_status_reports_live_lock_until_ttl_expires(kv: Backend) -> None:
    kv.prewrite([put(b"p", b"1")], b"p", ts(0), 100)
    live = kv.check_txn_status(b"p", ts(0), ts(50))
    assert live.state == TxnState.LOCKED and live.lock_ttl_ms == 100
    dead = kv.check_txn_status(b"p", ts(0), ts(101))
    assert dead.state == TxnState.ROLLED_BACK
    assert kv.scan_locks(max_ts=ts(1000)) == []
    with pytest.raises(TxnLockNotFound):
        kv.commit([b"p"], ts(0), ts(200))


def test_check_txn_status_finds_commit_and_rolls_back_missing_primary(kv: Backend) -> None:
    write(kv, b"p", b"1", ts(1), ts(2))
    done = kv.check_txn_status(b"p", ts(1), ts(3))
    assert done.state == TxnState.COMMITTED and done.commit_ts == ts(2)
    missing = kv.check_txn_status(b"q", ts(4), ts(5))
    assert missing.state == TxnState.ROLLED_BACK
    with pytest.raises(TxnAborted):  # the primary's prewrite arriving late must fail
        kv.prewrite([put(b"q", b"1")], b"q", ts(4), 3000)
    assert (
        kv.check_txn_status(b"r", ts(6), ts(7), rollback_if_not_exist=False).state
        == TxnState.NOT_FOUND
    )


def test_resolve_lock_commits_or_rolls_back_every_lock_of_a_txn(kv: Backend) -> None:
    kv.prewrite([put(b"a", b"1"), put(b"b", b"2"), put(b"c", b"3")], b"a", ts(1), 3000)
    kv.prewrite([put(b"z", b"9")], b"z", ts(2), 3000)
    kv.commit([b"a"], ts(1), ts(3))
    assert kv.resolve_lock(ts(1), ts(3)) == 2
    assert kv.batch_get([b"a", b"b", b"c"], ts(4)) == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert kv.resolve_lock(ts(2), 0) == 1
    assert kv.get(b"z", ts(5)) is None
    assert kv.scan_locks(max_ts=ts(100)) == []


def test_txn_heart_beat_extends_only_a_live_primary_lock(kv: Backend) -> None:
    kv.prewrite([put(b"p", b"1")], b"p", ts(0), 100)
    assert kv.txn_heart_beat(b"p", ts(0), 5000) == 5000
    assert kv.check_txn_status(b"p", ts(0), ts(1000)).state == TxnState.LOCKED
    assert kv.txn_heart_beat(b"p", ts(0), 10) == 5000
    assert kv.txn_heart_beat(b"p", ts(9), 10) == 0


def test_scan_returns_live_rows_in_order_both_ways_with_limits(kv: Backend) -> None:
    for i, k in enumerate([b"a", b"b", b"c", b"d"]):
        write(kv, k, k.upper(), ts(10 * i + 1), ts(10 * i + 2))
    write(kv, b"b", None, ts(50), ts(51))
    write(kv, b"c", b"C2", ts(52), ts(53))
    at = ts(60)
    assert kv.scan(b"", None, at) == [(b"a", b"A"), (b"c", b"C2"), (b"d", b"D")]
    assert kv.scan(b"", None, at, reverse=True) == [(b"d", b"D"), (b"c", b"C2"), (b"a", b"A")]
    assert kv.scan(b"b", b"d", at) == [(b"c", b"C2")]
    assert kv.scan(b"", None, at, limit=2) == [(b"a", b"A"), (b"c", b"C2")]
    assert kv.scan(b"", None, at, limit=1, reverse=True) == [(b"d", b"D")]
    assert kv.scan(b"", None, ts(52)) == [(b"a", b"A"), (b"c", b"C"), (b"d", b"D")]
    assert kv.scan(b"", None, ts(52), reverse=True)[1] == (b"c", b"C")
    assert kv.scan(b"z", b"a", at) == []


def test_scan_meets_locks_only_in_the_part_it_returned(kv: Backend) -> None:
    write(kv, b"a", b"1", ts(1), ts(2))
    write(kv, b"b", b"2", ts(1), ts(2))
    kv.prewrite([put(b"m", b"x")], b"m", ts(3), 3000)
    assert kv.scan(b"", None, ts(4), limit=2) == [(b"a", b"1"), (b"b", b"2")]
    with pytest.raises(KeyIsLocked):
        kv.scan(b"", None, ts(4))
    with pytest.raises(KeyIsLocked):
        kv.scan(b"", None, ts(4), reverse=True, limit=1)
    assert kv.scan(b"", None, ts(2)) == [(b"a", b"1"), (b"b", b"2")]


def test_keys_with_zero_bytes_and_prefixes_stay_distinct(kv: Backend) -> None:
    keys = [b"a", b"a\x00", b"a\x00\x00", b"a\x00b", b"ab", b"\x00", b"\xff\xff"]
    for i, k in enumerate(keys):
        write(kv, k, bytes([i]), ts(2 * i + 1), ts(2 * i + 2))
    at = ts(100)
    assert kv.scan(b"", None, at) == sorted((k, bytes([i])) for i, k in enumerate(keys))
    assert kv.scan(b"a", b"ab", at) == [
        (b"a", b"\x00"),
        (b"a\x00", b"\x01"),
        (b"a\x00\x00", b"\x02"),
        (b"a\x00b", b"\x03"),
    ]


def test_gc_keeps_newest_version_at_safepoint_and_everything_newer(kv: Backend) -> None:
    big = b"B" * 1000
    write(kv, b"k", b"v1", ts(1), ts(2))
    write(kv, b"k", big, ts(3), ts(4))
    write(kv, b"k", b"v3", ts(5), ts(6))
    write(kv, b"k", b"v4", ts(10), ts(11))
    kv.rollback([b"k"], ts(7))
    progress = kv.gc(ts(8))
    assert progress.versions_deleted == 3  # v1, the big v2 and the rollback record
    assert kv.get(b"k", ts(8)) == b"v3"
    assert kv.get(b"k", ts(11)) == b"v4"
    assert kv.engine.get(K.data_key(K.enc(b"k"), ts(3))) is None
    with pytest.raises(SnapshotTooOld) as info:
        kv.get(b"k", ts(7))
    assert info.value.sqlstate == "72000"
    with pytest.raises(InvalidArgument):
        kv.gc(ts(1))


def test_gc_drops_tombstones_that_hide_nothing(kv: Backend) -> None:
    write(kv, b"k", b"v1", ts(1), ts(2))
    write(kv, b"k", None, ts(3), ts(4))
    kv.gc(ts(5))
    assert list(kv.engine.scan(b"W", b"X")) == []


def test_gc_retain_point_keeps_what_a_branch_forked_at_ts_reads(kv: Backend) -> None:
    write(kv, b"db1/k", b"v1", ts(1), ts(2))
    write(kv, b"db1/k", b"v2", ts(3), ts(4))
    write(kv, b"db1/k", b"v3", ts(5), ts(6))
    write(kv, b"db2/k", b"w1", ts(1), ts(2))
    write(kv, b"db2/k", b"w2", ts(3), ts(4))
    kv.gc(ts(7), [RetainPoint(b"db1/", ts(3))])
    versions = {
        (K.dec(K.split_versioned(k)[0]), K.split_versioned(k)[1])
        for k, _ in kv.engine.scan(b"W", b"X")
    }
    assert versions == {(b"db1/k", ts(2)), (b"db1/k", ts(6)), (b"db2/k", ts(4))}


def test_gc_works_in_chunks_over_many_keys() -> None:
    kv = Storage(MemoryEngine())
    for i in range(50):
        key = f"k{i:03d}".encode()
        write(kv, key, b"old", ts(1, 2 * i), ts(2, 2 * i))
        write(kv, key, b"new", ts(3, 2 * i), ts(4, 2 * i))
    progress = kv.gc(ts(5), chunk_keys=7)
    assert progress.keys_scanned == 50
    assert progress.versions_deleted == 50
    assert len(kv.scan(b"", None, ts(6))) == 50


def test_prewrite_and_one_pc_below_the_safepoint_are_refused(kv: Backend) -> None:
    """GC may have removed the versions a start_ts below the safepoint would conflict with:
    accepting it would let a transaction commit over a newer write (first committer wins)."""
    write(kv, b"k", b"v", ts(1), ts(2))
    write(kv, b"k", None, ts(3), ts(4))
    kv.gc(ts(10))
    with pytest.raises(SnapshotTooOld):
        kv.prewrite([put(b"k", b"late")], b"k", ts(0), 3000)
    with pytest.raises(SnapshotTooOld):
        kv.one_pc([put(b"k", b"late")], ts(0))
    assert kv.scan_locks(max_ts=ts(100)) == []
    with pytest.raises(SnapshotTooOld):
        kv.get(b"k", ts(9))
    write(kv, b"k", b"new", ts(11), ts(12))
    assert kv.get(b"k", ts(12)) == b"new"
