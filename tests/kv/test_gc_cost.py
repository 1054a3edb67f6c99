"""A GC pass costs what was written since the last one, not the size of the store.

Garbage appears only where a write record lands: a second version of a key, a tombstone, a
ROLLBACK or LOCK record. So a pass visits only the keys written since the previous pass (the
GC log); a full pass over every key is left for when a branch's retain point goes away (the
versions it kept become garbage with nothing written) and for a worker's first pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kv import interrupt
from kv.gc_worker import GcWorker, collect_garbage
from kv.mvcc import keys as K
from kv.mvcc.records import Lock, Mutation, Op, Write, WriteKind
from kv.txn.gc import RetainPoint
from tests.kv.conftest import Backend, client, local_kv


def load(kv: Backend, n: int, value: bytes = b"v") -> None:
    c = client(kv)
    t = c.begin()
    for i in range(n):
        t.put(b"k%05d" % i, value)
    t.commit()


def versions(kv: Backend) -> list[tuple[bytes, int, WriteKind]]:
    out = []
    with kv.engine.snapshot() as snap:
        for ek, raw in snap.scan(K.WRITE, bytes([K.WRITE[0] + 1])):
            key_enc, commit_ts = K.split_versioned(ek)
            out.append((K.dec(key_enc), commit_ts, Write.decode(raw).kind))
    return out


def test_a_pass_after_no_writes_visits_no_key(kv: Backend) -> None:
    load(kv, 3000)
    collect_garbage(kv, kv.get_ts())
    report = collect_garbage(kv, kv.get_ts())
    assert report.keys_scanned == 0


def test_a_pass_visits_only_the_keys_written_since_the_last(kv: Backend) -> None:
    load(kv, 3000)
    collect_garbage(kv, kv.get_ts())
    c = client(kv)
    for i in range(5):
        t = c.begin()
        t.put(b"k%05d" % (i * 100), b"new")
        t.commit()
    report = collect_garbage(kv, kv.get_ts())
    assert report.keys_scanned == 5
    assert report.versions_deleted == 5
    assert collect_garbage(kv, kv.get_ts()).keys_scanned == 0


def test_fresh_inserts_leave_nothing_for_the_next_pass() -> None:
    """A first version of a key is not garbage and hides nothing: a bulk load costs no pass."""
    kv = local_kv()
    load(kv, 2000)
    assert collect_garbage(kv, kv.get_ts()).keys_scanned == 0


def test_versions_newer_than_the_safepoint_wait_for_a_later_pass(kv: Backend) -> None:
    load(kv, 10)
    c = client(kv)
    t = c.begin()
    t.put(b"k00001", b"v2")
    t.commit()
    safepoint = kv.get_ts()
    t = c.begin()
    t.put(b"k00001", b"v3")
    t.commit()
    assert collect_garbage(kv, safepoint).versions_deleted == 1  # v1
    report = collect_garbage(kv, kv.get_ts())
    assert report.versions_deleted == 1  # v2, once the safepoint passed v3
    assert c.begin().get(b"k00001") == b"v3"


def test_a_full_pass_collects_what_a_vanished_retain_point_kept() -> None:
    kv = local_kv()
    c = client(kv)
    for v in (b"v1", b"v2"):
        t = c.begin()
        t.put(b"dA\x00\x00\x00k", v)
        t.commit()
        fork = kv.get_ts()
    t = c.begin()
    t.put(b"dA\x00\x00\x00k", b"v3")
    t.commit()
    branch = [RetainPoint(b"dA\x00\x00\x00", fork)]
    collect_garbage(kv, kv.get_ts(), branch)
    assert len(versions(kv)) == 2  # v2 for the branch, v3
    assert collect_garbage(kv, kv.get_ts()).versions_deleted == 0  # nothing written
    assert collect_garbage(kv, kv.get_ts(), full=True).versions_deleted == 1
    assert [v[2] for v in versions(kv)] == [WriteKind.PUT]


def test_the_worker_runs_a_full_pass_first_and_when_a_retain_point_goes() -> None:
    kv = local_kv()
    load(kv, 100)
    retain: list[RetainPoint] = [RetainPoint(b"k", kv.get_ts())]
    worker = GcWorker(kv, life_time_s=0.0, retain=lambda: list(retain))
    assert worker.run_once().keys_scanned >= 100  # the first pass: the log may be incomplete
    assert worker.run_once().keys_scanned <= 2
    retain.append(RetainPoint(b"x", kv.get_ts()))  # (a pass visits the worker's own record)
    assert worker.run_once().keys_scanned <= 2  # a new branch only keeps more
    retain.clear()
    assert worker.run_once().keys_scanned >= 100


def test_a_restarted_worker_needs_no_full_pass() -> None:
    """The retain points of the last completed pass are stored with the data: a node's
    restart (a new worker) keeps visiting only what was written."""
    kv = local_kv()
    load(kv, 100)
    assert GcWorker(kv, life_time_s=0.0).run_once().keys_scanned >= 100  # no pass stored yet
    assert GcWorker(kv, life_time_s=0.0).run_once().keys_scanned <= 2


def test_a_retain_point_gone_under_another_worker_is_seen_by_the_next() -> None:
    """In a cluster the leader collects and leadership moves: a worker compares with the
    retain points of the last pass any worker completed, not of its own last pass."""
    kv = local_kv()
    load(kv, 100)
    p, q = RetainPoint(b"k", kv.get_ts()), RetainPoint(b"x", kv.get_ts())
    mine: list[RetainPoint] = [p]
    theirs: list[RetainPoint] = [p, q]
    a = GcWorker(kv, life_time_s=0.0, retain=lambda: list(mine))
    b = GcWorker(kv, life_time_s=0.0, retain=lambda: list(theirs))
    assert a.run_once().keys_scanned >= 100
    assert b.run_once().keys_scanned <= 2  # q only keeps more
    assert a.run_once().keys_scanned >= 100  # q went away after b's pass
    theirs.remove(q)
    assert b.run_once().keys_scanned <= 2  # a's pass already honoured its loss


def test_an_interrupted_full_pass_is_asked_for_again() -> None:
    kv = local_kv()
    load(kv, 2500)
    control = interrupt.Control()
    control.interrupt(interrupt.Reason.SHUTDOWN)
    with interrupt.running(control), pytest.raises(interrupt.Interrupted):
        GcWorker(kv, life_time_s=0.0).run_once()
    assert GcWorker(kv, life_time_s=0.0).run_once().keys_scanned >= 2500


# -- GC removes every collectable version, whatever the history ------------------------------

KEYS = [b"a", b"b", b"c"]
ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "rollback", "lock", "gc"]),
        st.sampled_from(KEYS),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=ops)
def test_logged_passes_leave_what_a_full_pass_leaves(history: list[tuple[str, bytes]]) -> None:
    """After any history of writes, rollbacks and passes, a pass over the log leaves exactly
    the versions a full pass over every key would leave, and reads at the safepoint and
    after agree with a model of the committed values."""
    kv = local_kv()
    c = client(kv)
    model: dict[bytes, bytes] = {}
    for n, (op, key) in enumerate(history):
        if op == "gc":
            collect_garbage(kv, kv.get_ts())
            continue
        t = c.begin()
        if op == "put":
            t.put(key, b"%d" % n)
            model[key] = b"%d" % n
            t.commit()
        elif op == "delete":
            t.delete(key)
            model.pop(key, None)
            t.commit()
        elif op == "lock":
            t.lock_key(key)
            t.commit()
        else:
            t.rollback()
            kv.rollback([key], kv.get_ts())  # a ROLLBACK record, as resolving a lock leaves
    safepoint = kv.get_ts()
    collect_garbage(kv, safepoint)
    logged = versions(kv)
    assert collect_garbage(kv, kv.get_ts(), full=True).versions_deleted == 0, logged
    r = c.begin()
    assert {k: r.get(k) for k in KEYS} == {k: model.get(k) for k in KEYS}
    # Nothing collectable is left: one live PUT per key at most, no tombstone, no other kind.
    assert sorted((k, kind) for k, _, kind in logged) == sorted((k, WriteKind.PUT) for k in model)


def test_a_live_transactions_locks_cost_one_status_check_per_pass() -> None:
    """A bulk load holds a million locks while it runs; the pass asks its primary once, not
    once per lock (each check is a write command)."""
    kv = local_kv()
    start = kv.get_ts()
    muts = [Mutation(Op.PUT, b"k%05d" % i, b"v") for i in range(500)]
    kv.prewrite(muts, muts[0].key, start, 3_600_000)
    checks = []
    real = kv.check_txn_status

    def counted(*args: Any, **kwargs: Any) -> Any:
        checks.append(args)
        return real(*args, **kwargs)

    kv.check_txn_status = counted  # type: ignore[method-assign]
    report = collect_garbage(kv, kv.get_ts())
    assert report.safepoint < start
    assert len(checks) == 1


@given(
    start_ts=st.integers(0, 2**64 - 1),
    kind=st.sampled_from([WriteKind.PUT, WriteKind.DELETE, WriteKind.LOCK]),
    short=st.none() | st.binary(max_size=8),
)
def test_a_locks_start_ts_reads_without_decoding_it(
    start_ts: int, kind: WriteKind, short: bytes | None
) -> None:
    """GC's lock scan filters a bulk load's locks on start_ts alone (``Lock.start_ts_of``)."""
    lock = Lock(b"k", b"primary", start_ts, 3000, kind, short, 7)
    assert Lock.start_ts_of(lock.encode()) == start_ts
    assert Lock.decode(b"k", lock.encode()) == lock
