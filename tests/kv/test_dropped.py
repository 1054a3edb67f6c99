"""Dropped prefixes (kv.dropped): recorded in the dropping transaction, readable by older
snapshots, destroyed by GC once the safepoint passes the drop and no branch retains them; on
every backend (one node, Raft, gRPC)."""

from __future__ import annotations

import pytest

from kv import dropped, interrupt
from kv.gc_worker import GcWorker
from kv.txn.gc import RetainPoint
from tests.kv.conftest import Backend, client, engine_keys

TABLE = b"dA\x00r\x00\x00\x00\x07"  # the keys of one table of database b"dA\x00"


def _fill(kv: Backend, n: int) -> None:
    t = client(kv).begin()
    for i in range(n):
        t.put(TABLE + b"%04d" % i, b"row")
    t.put(b"dA\x00other", b"kept")
    t.commit()


def test_a_dropped_prefix_stays_for_older_snapshots_then_gc_destroys_it(kv: Backend) -> None:
    _fill(kv, 50)
    c = client(kv)
    old = c.begin()
    assert len(old.scan(TABLE, TABLE + b"\xff")) == 50
    drop = c.begin()
    dropped.schedule(drop, TABLE)
    drop.commit()
    assert len(old.scan(TABLE, TABLE + b"\xff")) == 50  # nothing deleted row by row
    worker = GcWorker(kv, life_time_s=0, min_active_ts=c.min_active_ts)
    assert worker.run_once().prefixes_destroyed == 0  # ``old`` holds the safepoint back
    assert engine_keys(kv, TABLE) > 0
    old.rollback()
    assert worker.run_once().prefixes_destroyed == 1
    assert engine_keys(kv, TABLE) == 0
    assert dropped.pending(kv, kv.get_ts()) == []
    assert c.begin().get(b"dA\x00other") == b"kept"
    assert worker.run_once().prefixes_destroyed == 0


def test_a_branch_forked_before_the_drop_holds_the_prefix_back(kv: Backend) -> None:
    _fill(kv, 5)
    fork = kv.get_ts()
    c = client(kv)
    drop = c.begin()
    dropped.schedule(drop, TABLE)
    drop.commit()
    sp = kv.get_ts()
    kv.gc(sp)
    branch = [RetainPoint(b"dA\x00", fork)]
    assert dropped.destroy_due(c, sp, branch) == []
    assert engine_keys(kv, TABLE) > 0
    assert dropped.destroy_due(c, sp, []) == [TABLE]  # the branch was deleted
    assert engine_keys(kv, TABLE) == 0


def test_a_drop_that_rolls_back_schedules_nothing(kv: Backend) -> None:
    _fill(kv, 5)
    c = client(kv)
    drop = c.begin()
    dropped.schedule(drop, TABLE)
    drop.rollback()
    assert GcWorker(kv, life_time_s=0).run_once().prefixes_destroyed == 0
    assert engine_keys(kv, TABLE) > 0


def test_destroying_stops_between_prefixes_when_the_worker_is_stopped(kv: Backend) -> None:
    """A node's shutdown stops the GC worker between chunks; destroying dropped prefixes
    must not hold it either."""
    _fill(kv, 5)
    c = client(kv)
    drop = c.begin()
    for n in range(3):
        dropped.schedule(drop, TABLE + bytes([n]))
    drop.commit()
    sp = kv.get_ts()
    kv.gc(sp)
    control = interrupt.Control()
    control.interrupt(interrupt.Reason.SHUTDOWN)
    with interrupt.running(control), pytest.raises(interrupt.Interrupted):
        dropped.destroy_due(c, sp)
    assert len(dropped.pending(kv, kv.get_ts())) == 3
    assert len(dropped.destroy_due(c, sp)) == 3  # the next pass does it all
