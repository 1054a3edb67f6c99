"""GC through the worker: old locks are resolved first, running transactions hold it back."""

from __future__ import annotations

from kv.gc_worker import GcWorker, collect_garbage
from kv.mvcc.records import Mutation, Op
from tests.kv.conftest import client, local_kv


def test_gc_resolves_a_committed_primary_before_deleting_its_record() -> None:
    kv = local_kv()
    start = kv.get_ts()
    kv.prewrite([Mutation(Op.PUT, k, b"v1") for k in (b"p", b"s")], b"p", start, 0)
    kv.commit([b"p"], start, kv.get_ts())  # secondary "s" is still locked
    t = client(kv).begin()
    t.put(b"p", b"v2")
    t.commit()
    report = collect_garbage(kv, kv.get_ts())
    assert report.locks_resolved == 1
    r = client(kv).begin()
    assert r.get(b"s") == b"v1"
    assert r.get(b"p") == b"v2"


def test_live_lock_holds_the_safepoint_below_its_transaction() -> None:
    kv = local_kv()
    start = kv.get_ts()
    kv.prewrite([Mutation(Op.PUT, b"k", b"v")], b"k", start, 3_600_000)
    report = collect_garbage(kv, kv.get_ts())
    assert report.safepoint < start
    assert kv.safepoint() < start


def test_worker_never_passes_the_oldest_running_transaction() -> None:
    kv = local_kv()
    c = client(kv)
    old = c.begin()
    for i in range(3):
        t = c.begin()
        t.put(b"k", str(i).encode())
        t.commit()
    worker = GcWorker(kv, life_time_s=0.0, min_active_ts=c.min_active_ts)
    report = worker.run_once()
    assert report.safepoint < old.start_ts
    assert old.get(b"k") is None  # the old snapshot still reads
    old.rollback()
    report = worker.run_once()
    assert report.versions_deleted == 2
    assert c.begin().get(b"k") == b"2"
