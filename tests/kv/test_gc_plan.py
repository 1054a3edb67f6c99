"""A GC pass plans on a read snapshot and writes only its deletions (TiKV's GC in Raft mode).

In a cluster the apply thread of every node runs each command: it must never scan for
garbage. The planner names versions; a deletion command decides each again from a few seeks
(``collectable``), the same way the planner decides with the key's whole history in hand.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster.raft_kv import RaftKv
from cluster.state_machine import _ApplyState
from kv import interrupt
from kv.engine.base import WriteBatch
from kv.engine.memory import MemoryEngine
from kv.gc_worker import collect_garbage
from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Write, WriteKind
from kv.txn import gc
from tests.kv.conftest import Backend, client, local_kv, open_backend

# -- the deletion command decides as the planner does ------------------------------------------

WRITE_KINDS = [WriteKind.PUT, WriteKind.DELETE, WriteKind.LOCK, WriteKind.ROLLBACK]
history = st.lists(st.sampled_from(WRITE_KINDS), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    kinds=history,
    point_slots=st.sets(st.integers(0, 30), max_size=4),
    safepoint_slot=st.integers(0, 30),
    in_branch=st.booleans(),
)
def test_each_version_is_decided_from_seeks_as_from_the_whole_key(
    kinds: list[WriteKind], point_slots: set[int], safepoint_slot: int, in_branch: bool
) -> None:
    engine = MemoryEngine()
    key_enc = K.enc(b"k")
    batch = WriteBatch()
    versions = []
    for i, kind in enumerate(kinds):  # commit_ts 2, 4, 6, ...: points fall between and on them
        w = Write(kind, 2 * i + 1, b"v" if kind == WriteKind.PUT else None)
        batch.put(K.write_key(key_enc, 2 * i + 2), w.encode())
        versions.append((2 * i + 2, w))
    engine.write_batch(batch)
    safepoint = max(point_slots | {safepoint_slot})
    points = sorted(point_slots | {safepoint}, reverse=True)
    planned = set(gc._plan_key(versions[::-1], points, in_branch))
    with engine.snapshot() as snap:
        reader = MvccReader(snap)
        decided = {
            ts for ts, w in versions if gc.collectable(reader, key_enc, ts, w, points, in_branch)
        }
    assert decided == planned


# -- on every backend: exactly the collectable versions go, reads at the safepoint and after stay


def _versions(kv: Backend, prefix: bytes) -> dict[bytes, list[tuple[int, WriteKind]]]:
    out: dict[bytes, list[tuple[int, WriteKind]]] = {}
    with kv.engine.snapshot() as snap:
        for ek, raw in snap.scan(*K.cf_range(K.WRITE, prefix, prefix + b"\xff")):
            key_enc, ts = K.split_versioned(ek)
            out.setdefault(K.dec(key_enc), []).append((ts, Write.decode(raw).kind))
    return out


def _survivors(
    versions: list[tuple[int, WriteKind]], safepoint: int
) -> list[tuple[int, WriteKind]]:
    """A plain model of GC without retain points: every version above the safepoint, and the
    newest PUT or DELETE at or below it if it is a PUT."""
    newer = [v for v in versions if v[0] > safepoint]
    visible = [
        v for v in versions if v[0] <= safepoint and v[1] in (WriteKind.PUT, WriteKind.DELETE)
    ]
    return [*newer, visible[0]] if visible and visible[0][1] == WriteKind.PUT else newer


@pytest.mark.parametrize("kv", ["local", "raft"], indirect=True)
def test_a_pass_deletes_exactly_the_collectable_versions(kv: Backend) -> None:
    rng = random.Random(17)
    c = client(kv)
    keys = [b"g%03d" % i for i in range(60)]
    for _ in range(400):
        key = rng.choice(keys)
        t = c.begin()
        op = rng.random()
        if op < 0.6:
            t.put(key, b"%d" % rng.randrange(10**6) * rng.choice([1, 100]))  # short or not
            t.commit()
        elif op < 0.8:
            t.delete(key)
            t.commit()
        elif op < 0.9:
            t.lock_key(key)
            t.commit()
        else:
            t.rollback()
            kv.rollback([key], kv.get_ts())
    safepoint = kv.get_ts()
    for key in keys[:10]:  # versions above the safepoint stay
        t = c.begin()
        t.put(key, b"late")
        t.commit()
    before = _versions(kv, b"g")
    at_sp = {k: kv.get(k, safepoint) for k in keys}
    now = kv.get_ts()
    at_now = {k: kv.get(k, now) for k in keys}
    expected = {k: _survivors(v, safepoint) for k, v in before.items()}
    report = collect_garbage(kv, safepoint)
    assert report.safepoint == safepoint
    after = _versions(kv, b"g")
    assert after == {k: v for k, v in expected.items() if v}
    assert report.versions_deleted == sum(len(v) for v in before.values()) - sum(
        len(v) for v in after.values()
    )
    assert {k: kv.get(k, safepoint) for k in keys} == at_sp
    assert {k: kv.get(k, now) for k in keys} == at_now
    # Data CF: no value left behind for a deleted version.
    with kv.engine.snapshot() as snap:
        for ek, _ in snap.scan(*K.cf_range(K.DATA, b"g", b"g\xff")):
            key_enc, start_ts = K.split_versioned(ek)
            live = {
                Write.decode(raw).start_ts
                for _, raw in snap.scan(*K.versions_range(K.WRITE, key_enc))
            }
            assert start_ts in live


# -- in a cluster, the apply thread never scans ---------------------------------------------------


@pytest.fixture
def raft_kv() -> Iterator[RaftKv]:
    with open_backend("raft") as kv:
        assert isinstance(kv, RaftKv)
        yield kv


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every command the state machine applies, as applied."""
    seen: list[Any] = []
    real = _ApplyState.run

    def run(self: _ApplyState, c: Any, r: Any, w: Any) -> Any:
        seen.append(c)
        return real(self, c, r, w)

    monkeypatch.setattr(_ApplyState, "run", run)
    return seen


def _gc_commands(applied: list[Any]) -> list[Any]:
    return [c for c in applied if c.WhichOneof("cmd") in ("gc_chunk", "gc_delete")]


def test_a_pass_with_nothing_to_collect_proposes_no_gc_command(
    raft_kv: RaftKv, applied: list[Any]
) -> None:
    c = client(raft_kv)
    for n in range(3):
        t = c.begin()
        for i in range(n * 1000, n * 1000 + 1000):
            t.put(b"k%05d" % i, b"v")  # first versions: no garbage, no GC log entry
        t.commit()
    applied.clear()
    report = collect_garbage(raft_kv, raft_kv.get_ts())
    assert (report.keys_scanned, report.versions_deleted) == (0, 0)
    assert _gc_commands(applied) == []
    # A full walk plans on a snapshot too: its commands only persist its position.
    report = collect_garbage(raft_kv, raft_kv.get_ts(), full=True)
    assert (report.keys_scanned, report.versions_deleted) == (3000, 0)
    cmds = _gc_commands(applied)
    assert cmds and all(x.WhichOneof("cmd") == "gc_delete" for x in cmds)
    assert all(not x.gc_delete.versions and not x.gc_delete.log_keys for x in cmds)


def test_a_pass_with_garbage_proposes_small_deletion_commands(
    raft_kv: RaftKv, applied: list[Any]
) -> None:
    c = client(raft_kv)
    for value in (b"a", b"b"):
        t = c.begin()
        for i in range(2000):
            t.put(b"k%05d" % i, value)
        t.commit()
    applied.clear()
    report = collect_garbage(raft_kv, raft_kv.get_ts())
    assert report.versions_deleted == 2000
    cmds = _gc_commands(applied)
    assert cmds and all(x.WhichOneof("cmd") == "gc_delete" for x in cmds)
    sizes = [
        sum(len(v.commit_ts) for v in x.gc_delete.versions) + len(x.gc_delete.log_keys)
        for x in cmds
    ]
    assert max(sizes) <= 256 and sum(sizes) == 4000  # 2000 versions, 2000 log entries
    assert collect_garbage(raft_kv, raft_kv.get_ts()).keys_scanned == 0


def test_an_interrupted_full_walk_resumes_where_it_stopped() -> None:
    kv = local_kv()
    c = client(kv)
    t = c.begin()
    for i in range(2500):
        t.put(b"k%05d" % i, b"v")
    t.commit()
    calls = itertools.count()
    control = interrupt.Control()
    real = kv.storage._execute

    def execute(size: int, command: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(size, command, *args, **kwargs)
        if command.__name__ == "gc_delete" and next(calls) == 1:
            control.interrupt(interrupt.Reason.SHUTDOWN)  # after two chunks' positions
        return result

    kv.storage._execute = execute  # type: ignore[method-assign]
    with interrupt.running(control), pytest.raises(interrupt.Interrupted):
        kv.gc(kv.get_ts(), full=True)
    kv.storage._execute = real  # type: ignore[method-assign]
    assert kv.gc(kv.get_ts(), full=True).keys_scanned == 500
    assert kv.gc(kv.get_ts(), full=True).keys_scanned == 2500  # the walk finished: anew


def test_a_hot_keys_versions_go_in_commands_of_bounded_size() -> None:
    """A row updated a thousand times between passes: its versions span several deletion
    commands, each deciding its versions from seeks next to them, not from the whole key."""
    kv = local_kv()
    c = client(kv)
    for n in range(1000):
        t = c.begin()
        t.put(b"hot", b"%d" % n)
        t.commit()
    sizes: list[int] = []
    real = kv.storage._execute

    def execute(size: int, command: Any, *args: Any, **kwargs: Any) -> Any:
        if command.__name__ == "gc_delete":
            sizes.append(args[0].size())
        return real(size, command, *args, **kwargs)

    kv.storage._execute = execute  # type: ignore[method-assign]
    report = collect_garbage(kv, kv.get_ts())
    assert report.versions_deleted == 999
    assert report.keys_scanned == 5  # visited once per chunk of 200 log entries
    assert sum(sizes) == 999 + 999 and max(sizes) == 256  # versions, then the log's entries
    assert [kind for _, kind in _versions(kv, b"hot")[b"hot"]] == [WriteKind.PUT]
    assert c.begin().get(b"hot") == b"999"
