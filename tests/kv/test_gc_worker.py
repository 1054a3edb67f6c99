"""GC through the worker: old locks are resolved first, running transactions hold it back."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kv import interrupt
from kv.gc_worker import GcWorker, collect_garbage
from kv.mvcc.records import Mutation, Op
from tests.kv.conftest import Backend, client, local_kv


def test_gc_resolves_a_committed_primary_before_deleting_its_record(kv: Backend) -> None:
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


def test_live_lock_holds_the_safepoint_below_its_transaction(kv: Backend) -> None:
    start = kv.get_ts()
    kv.prewrite([Mutation(Op.PUT, b"k", b"v")], b"k", start, 3_600_000)
    report = collect_garbage(kv, kv.get_ts())
    assert report.safepoint < start
    assert kv.safepoint() < start


def test_worker_never_passes_the_oldest_running_transaction(kv: Backend) -> None:
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


# Over gRPC the pass runs in the server, out of reach of the caller's interrupt.
@pytest.mark.parametrize("kv", ["local", "raft"], indirect=True)
def test_a_gc_pass_stops_between_chunks_when_interrupted(kv: Backend) -> None:
    c = client(kv)
    for i in range(3):
        t = c.begin()
        for k in range(1500):  # more keys than one chunk holds
            t.put(b"k%05d" % k, b"%d" % i)
        t.commit()
    control = interrupt.Control()
    control.interrupt(interrupt.Reason.SHUTDOWN)
    with interrupt.running(control), pytest.raises(interrupt.Interrupted):
        kv.gc(kv.get_ts())
    report = collect_garbage(kv, kv.get_ts())  # the next pass does the whole work
    assert report.versions_deleted == 2 * 1500


def test_stopping_the_worker_does_not_wait_for_a_pass_to_finish() -> None:
    """A node's shutdown stops its GC worker: a pass over a large keyspace (seconds to
    minutes) must end at its next chunk, not run to the end."""
    kv = local_kv()
    started = threading.Event()
    real_gc = kv.gc

    def endless_gc(safepoint: int, retain: Any = (), *, full: bool = False) -> Any:
        started.set()
        while True:  # a pass that never ends on its own, checking between chunks
            interrupt.check()
            real_gc(safepoint, retain, full=full)

    kv.gc = endless_gc  # type: ignore[method-assign]
    worker = GcWorker(kv, life_time_s=0, interval_s=0.01)
    worker.start()
    assert started.wait(10)
    begun = time.monotonic()
    worker.stop()
    assert time.monotonic() - begun < 1.0
