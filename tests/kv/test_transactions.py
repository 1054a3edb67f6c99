"""The transaction client: read-your-writes, anomalies SI forbids and the one it allows,
1PC and 2PC commits, lock resolution after crashes, savepoints."""

from __future__ import annotations

import pytest

from kv.errors import AlreadyExists, InvalidArgument, KeyIsLocked, WriteConflict
from kv.mvcc.records import Mutation, Op
from tests.kv.conftest import Backend, client


def test_transaction_reads_its_own_writes_and_deletes(kv: Backend) -> None:
    c = client(kv)
    t = c.begin()
    t.put(b"a", b"1")
    t.put(b"b", b"2")
    t.commit()
    t = c.begin()
    t.put(b"c", b"3")
    t.delete(b"a")
    assert t.get(b"a") is None
    assert t.get(b"c") == b"3"
    assert t.scan(b"", None) == [(b"b", b"2"), (b"c", b"3")]
    assert t.scan(b"", None, reverse=True, limit=1) == [(b"c", b"3")]
    assert t.batch_get([b"a", b"b", b"c"]) == {b"b": b"2", b"c": b"3"}


def test_uncommitted_writes_are_invisible_to_others(kv: Backend) -> None:
    c = client(kv)
    writer = c.begin()
    writer.put(b"k", b"dirty")
    reader = c.begin()
    assert reader.get(b"k") is None
    writer.commit()
    assert reader.get(b"k") is None  # and the read stays repeatable
    assert c.begin().get(b"k") == b"dirty"


def test_concurrent_increments_cannot_lose_an_update(kv: Backend) -> None:
    c = client(kv)
    init = c.begin()
    init.put(b"counter", b"0")
    init.commit()
    t1, t2 = c.begin(), c.begin()
    for t in (t1, t2):
        n = int(t.get(b"counter") or b"0")
        t.put(b"counter", str(n + 1).encode())
    t1.commit()
    with pytest.raises(WriteConflict) as info:
        t2.commit()
    assert info.value.sqlstate == "40001"
    assert c.begin().get(b"counter") == b"1"


def test_write_skew_is_allowed_under_snapshot_isolation(kv: Backend) -> None:
    """Two doctors on call; each checks the other is on call, then leaves. SI lets both
    commit because their write sets are disjoint: this is the anomaly SI permits."""
    c = client(kv)
    init = c.begin()
    init.put(b"alice", b"on")
    init.put(b"bob", b"on")
    init.commit()
    t1, t2 = c.begin(), c.begin()
    assert t1.get(b"bob") == b"on"
    t1.put(b"alice", b"off")
    assert t2.get(b"alice") == b"on"
    t2.put(b"bob", b"off")
    t1.commit()
    t2.commit()
    final = c.begin()
    assert final.batch_get([b"alice", b"bob"]) == {b"alice": b"off", b"bob": b"off"}


def test_lock_key_does_not_conflict_but_makes_the_key_part_of_the_commit(kv: Backend) -> None:
    c = client(kv)
    t1, t2 = c.begin(), c.begin()
    t1.lock_key(b"row")
    t1.commit()
    t2.put(b"row", b"x")
    t2.commit()
    assert c.begin().get(b"row") == b"x"


def test_insert_reports_duplicates_now_and_at_commit(kv: Backend) -> None:
    c = client(kv)
    t = c.begin()
    t.insert(b"pk", b"1")
    with pytest.raises(AlreadyExists):
        t.insert(b"pk", b"2")
    racer = c.begin()
    racer.insert(b"pk", b"other")
    t.commit()
    with pytest.raises(AlreadyExists):
        racer.commit()
    t = c.begin()
    t.delete(b"pk")
    t.insert(b"pk", b"again")
    t.commit()
    assert c.begin().get(b"pk") == b"again"


def test_insert_then_delete_in_one_transaction_leaves_nothing(kv: Backend) -> None:
    c = client(kv)
    t = c.begin()
    t.insert(b"k", b"1")
    t.delete(b"k")
    assert t.mutations() == []
    t.commit()
    assert c.begin().get(b"k") is None


def test_two_phase_commit_of_a_large_transaction(kv: Backend) -> None:
    c = client(kv, one_pc_max_keys=10, batch_keys=7)
    t = c.begin()
    for i in range(100):
        t.put(f"k{i:03d}".encode(), b"v" * (i * 5))
    commit_ts = t.commit()
    assert commit_ts > t.start_ts
    r = c.begin()
    rows = r.scan(b"", None)
    assert len(rows) == 100
    assert rows[99] == (b"k099", b"v" * 495)
    assert c.backend.scan_locks(max_ts=r.start_ts) == []


def test_reader_commits_secondaries_of_a_txn_whose_primary_committed(kv: Backend) -> None:
    c = client(kv)
    start = kv.get_ts()
    muts = [Mutation(Op.PUT, k, b"x") for k in (b"p", b"s1", b"s2")]
    kv.prewrite(muts, b"p", start, 60_000)
    kv.commit([b"p"], start, kv.get_ts())  # the client dies here
    assert c.begin().scan(b"", None) == [(b"p", b"x"), (b"s1", b"x"), (b"s2", b"x")]
    assert kv.scan_locks(max_ts=kv.get_ts()) == []


def test_reader_rolls_back_an_expired_txn_that_never_committed(kv: Backend) -> None:
    # A TTL of 0 has run out once the clock passed the lock's millisecond: on a Raft backend
    # (the wall clock) the reader may have to wait for that.
    c = client(kv, lock_wait_s=2.0)
    start = kv.get_ts()
    kv.prewrite([Mutation(Op.PUT, b"k", b"ghost")], b"k", start, 0)
    assert c.begin().get(b"k") is None
    assert kv.scan_locks(max_ts=kv.get_ts()) == []


def test_reader_gives_up_on_a_live_lock_after_its_wait(kv: Backend) -> None:
    c = client(kv, lock_wait_s=0.0)
    start = kv.get_ts()
    kv.prewrite([Mutation(Op.PUT, b"k", b"v")], b"k", start, 600_000)
    reader = c.begin()
    with pytest.raises(KeyIsLocked):
        reader.get(b"k")
    kv.commit([b"k"], start, kv.get_ts())
    assert reader.get(b"k") is None  # committed after the reader's snapshot
    assert c.begin().get(b"k") == b"v"


def test_savepoints_restore_the_write_buffer(kv: Backend) -> None:
    c = client(kv)
    t = c.begin()
    t.put(b"a", b"1")
    sp1 = t.savepoint()
    t.put(b"b", b"2")
    sp2 = t.savepoint()
    t.delete(b"a")
    t.rollback_to(sp2)
    assert t.get(b"a") == b"1"
    t.rollback_to(sp1)
    assert t.get(b"b") is None
    t.release(sp1)
    with pytest.raises(InvalidArgument):
        t.rollback_to(sp1)
    t.commit()
    assert c.begin().scan(b"", None) == [(b"a", b"1")]


def test_finished_transaction_refuses_further_use(kv: Backend) -> None:
    c = client(kv)
    t = c.begin()
    t.commit()
    with pytest.raises(InvalidArgument):
        t.put(b"k", b"v")


def test_min_active_ts_tracks_open_transactions(kv: Backend) -> None:
    c = client(kv)
    assert c.min_active_ts() is None
    t1 = c.begin()
    t2 = c.begin()
    assert c.min_active_ts() == t1.start_ts
    t1.rollback()
    assert c.min_active_ts() == t2.start_ts
    t2.commit()
    assert c.min_active_ts() is None
